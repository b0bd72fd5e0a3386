/* apply - apply one complete file to the record tables in one transaction.
 *
 * A reader of the aggregate database sees a file's effect whole or not at
 * all. Snapshot types (docs/DOMAIN.md §4) first delete what the same agency
 * sent earlier for every period the file contains; registry types upsert by
 * key. Within a file the first valid row of a key wins; later rows with the
 * same key are rejected as duplicates naming the first row's line. Files are
 * applied in ingest's order (file_no); a snapshot older than the one already
 * in place for a period (a late or retried file) is superseded, never
 * applied over it.
 *
 * Trusts no sender: every row is checked again against the schema, the tree
 * and the agency's rights (rowcheck.h), whatever validate said, and every
 * batch must belong to the agency, type and schema of its file's end. A
 * failure says whether trying again can help (the store's result code):
 * the caller retries a transient one and quarantines a permanent one. */
#include "aggregate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colhint.h"
#include "fsutil.h"
#include "log.h"
#include "outbox.h"
#include "receipt.h"
#include "rowcheck.h"
#include "xalloc.h"

const char *const aggregate_migrations[] = {
	OUTBOX_SCHEMA
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"INSERT INTO meta VALUES ('last_file_no', 0);"
	"CREATE TABLE staged_batch (file_id TEXT NOT NULL, seq INTEGER NOT NULL, body BLOB NOT NULL,"
	"  PRIMARY KEY (file_id, seq));"
	"CREATE TABLE staged_end (file_id TEXT PRIMARY KEY, file_no INTEGER NOT NULL, body BLOB NOT NULL);"
	"CREATE TABLE files (file_id TEXT PRIMARY KEY, file_no INTEGER, agency TEXT, rtype TEXT, name TEXT,"
	"  received_at INTEGER, applied_at INTEGER, rows_read INTEGER, rows_applied INTEGER,"
	"  rows_rejected INTEGER, rows_duplicate INTEGER, receipt TEXT, receipt_text TEXT, receipt_written INTEGER DEFAULT 0);"
	"CREATE TABLE unit (code TEXT PRIMARY KEY, name TEXT, parent TEXT, depth INTEGER, leaf INTEGER, ord INTEGER);"
	"CREATE TABLE unit_tree (ancestor TEXT NOT NULL, descendant TEXT NOT NULL, PRIMARY KEY (ancestor, descendant));"
	"CREATE INDEX unit_tree_desc ON unit_tree(descendant);"
	/* record tables: column names are the canonical field names */
	"CREATE TABLE enterprise (file_id TEXT, tax_code TEXT PRIMARY KEY, name TEXT, org_unit TEXT,"
	"  registered_on TEXT, status TEXT);"
	"CREATE TABLE tax_employer (agency TEXT NOT NULL, file_id TEXT, tax_code TEXT NOT NULL, period TEXT NOT NULL,"
	"  employees INTEGER, wage_fund INTEGER, status TEXT, PRIMARY KEY (agency, period, tax_code));"
	"CREATE TABLE insured_unit (agency TEXT NOT NULL, file_id TEXT, unit_code TEXT NOT NULL, tax_code TEXT,"
	"  org_unit TEXT, period TEXT NOT NULL, name TEXT, insured_count INTEGER, bhtn_count INTEGER,"
	"  wage_basis INTEGER, due INTEGER, paid INTEGER, arrears INTEGER, arrears_months INTEGER,"
	"  PRIMARY KEY (agency, period, unit_code));"
	"CREATE TABLE participant (agency TEXT NOT NULL, file_id TEXT, insurance_no TEXT NOT NULL, citizen_id TEXT,"
	"  org_unit TEXT NOT NULL, period TEXT NOT NULL, scheme TEXT NOT NULL, unemployment INTEGER NOT NULL,"
	"  unit_code TEXT NOT NULL, agent_code TEXT, PRIMARY KEY (agency, period, insurance_no, unit_code)) WITHOUT ROWID;"
	"CREATE INDEX participant_period_unit ON participant(period, org_unit);"
	"CREATE TABLE labor_force (file_id TEXT, org_unit TEXT NOT NULL, year INTEGER NOT NULL,"
	"  labor_force INTEGER NOT NULL, PRIMARY KEY (org_unit, year));"
	"CREATE TABLE target (file_id TEXT, org_unit TEXT NOT NULL, year INTEGER NOT NULL, bhxh_pct REAL,"
	"  bhtn_pct REAL, PRIMARY KEY (org_unit, year));"
	"CREATE TABLE collection_agent (file_id TEXT, agent_code TEXT PRIMARY KEY, name TEXT, org_unit TEXT,"
	"  status TEXT);"
	/* derived */
	"CREATE TABLE coverage (org_unit TEXT NOT NULL, period TEXT NOT NULL, labor_force INTEGER,"
	"  bhxh_participants INTEGER, compulsory INTEGER, voluntary INTEGER, bhtn_participants INTEGER,"
	"  bhxh_coverage_pct TEXT, bhtn_coverage_pct TEXT, target_bhxh_pct TEXT, target_bhtn_pct TEXT,"
	"  PRIMARY KEY (org_unit, period));"
	"CREATE TABLE finding (kind TEXT NOT NULL, subject TEXT NOT NULL, org_unit TEXT, period TEXT NOT NULL,"
	"  severity TEXT, value REAL, threshold REAL, name TEXT, PRIMARY KEY (kind, subject, period));",
	/* 2: findings state and the indexes the findings need */
	"CREATE TABLE finding_state (kind TEXT NOT NULL, subject TEXT NOT NULL, org_unit TEXT, severity TEXT NOT NULL,"
	"  last_period TEXT NOT NULL, open INTEGER NOT NULL, value REAL, threshold REAL, name TEXT,"
	"  PRIMARY KEY (kind, subject));"
	"CREATE INDEX insured_unit_parent ON insured_unit(substr(tax_code, 1, 10), period);"
	"CREATE INDEX insured_unit_period ON insured_unit(period);"
	"CREATE INDEX tax_employer_period ON tax_employer(period);"
	"CREATE INDEX participant_agent ON participant(agent_code, period) WHERE scheme = 'voluntary';",
	/* 3: incremental recompute. Participants of a period in person order, covering
	 * every column the coverage counts and agent months read (replaces the two
	 * participant indexes above); the months each agent had a voluntary participant. */
	"DROP INDEX participant_period_unit;"
	"DROP INDEX participant_agent;"
	"CREATE INDEX participant_period_person ON participant(period, insurance_no, org_unit, scheme,"
	"  unemployment, agent_code);"
	"CREATE TABLE agent_month (agent_code TEXT NOT NULL, m INTEGER NOT NULL, PRIMARY KEY (agent_code, m))"
	"  WITHOUT ROWID;",
	/* 4: a file is named by (file_no, file_id): ingest's number and the hash, so
	 * the same bytes taken again after a rejection are another file. Staging
	 * remembers when each part arrived; files remember how each file ended;
	 * snapshot_src which file each snapshot period comes from; an outbox to
	 * ingest for the outcomes. Staging of message format 1 cannot be read by
	 * this version: a var dir is upgraded drained (docs/OPERATIONS.md). */
	"INSERT OR REPLACE INTO meta VALUES ('change_seq', 0);"
	"CREATE TABLE snapshot_src (agency TEXT NOT NULL, rtype TEXT NOT NULL, period TEXT NOT NULL,"
	"  file_no INTEGER NOT NULL, PRIMARY KEY (agency, rtype, period));"
	"INSERT OR REPLACE INTO snapshot_src SELECT t.agency, 'participant', t.period, max(f.file_no)"
	"  FROM (SELECT DISTINCT agency, period, file_id FROM participant) t JOIN files f ON f.file_id = t.file_id"
	"  GROUP BY t.agency, t.period;"
	"INSERT OR REPLACE INTO snapshot_src SELECT t.agency, 'insured_unit', t.period, max(f.file_no)"
	"  FROM (SELECT DISTINCT agency, period, file_id FROM insured_unit) t JOIN files f ON f.file_id = t.file_id"
	"  GROUP BY t.agency, t.period;"
	"INSERT OR REPLACE INTO snapshot_src SELECT t.agency, 'tax_employer', t.period, max(f.file_no)"
	"  FROM (SELECT DISTINCT agency, period, file_id FROM tax_employer) t JOIN files f ON f.file_id = t.file_id"
	"  GROUP BY t.agency, t.period;"
	"DROP TABLE staged_batch;"
	"DROP TABLE staged_end;"
	"CREATE TABLE stage_batch (file_no INTEGER NOT NULL, file_id TEXT NOT NULL, seq INTEGER NOT NULL,"
	"  at INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY (file_no, file_id, seq)) WITHOUT ROWID;"
	"CREATE TABLE stage_end (file_no INTEGER NOT NULL, file_id TEXT NOT NULL, at INTEGER NOT NULL,"
	"  body BLOB NOT NULL, PRIMARY KEY (file_no, file_id));"
	"CREATE TABLE files_new (file_no INTEGER NOT NULL, file_id TEXT NOT NULL, agency TEXT, rtype TEXT, name TEXT,"
	"  received_at INTEGER, applied_at INTEGER, rows_read INTEGER, rows_applied INTEGER, rows_rejected INTEGER,"
	"  rows_duplicate INTEGER, receipt TEXT, receipt_text TEXT, receipt_written INTEGER NOT NULL DEFAULT 0,"
	"  outcome TEXT NOT NULL DEFAULT 'applied', code TEXT, reason TEXT, receipt_stamp INTEGER,"
	"  PRIMARY KEY (file_no, file_id));"
	"INSERT INTO files_new (file_no, file_id, agency, rtype, name, received_at, applied_at, rows_read,"
	"  rows_applied, rows_rejected, rows_duplicate, receipt, receipt_text, receipt_written, receipt_stamp)"
	"  SELECT coalesce(file_no, 0), file_id, agency, rtype, name, received_at, applied_at, rows_read,"
	"  rows_applied, rows_rejected, rows_duplicate, receipt, receipt_text, coalesce(receipt_written, 0),"
	"  received_at FROM files;"
	"DROP TABLE files;"
	"ALTER TABLE files_new RENAME TO files;"
	"CREATE INDEX files_unwritten ON files(file_no) WHERE receipt_written = 0;"
	"CREATE INDEX files_quarantined ON files(file_no) WHERE outcome = 'quarantined';"
	OUTBOX_TABLE("outbox_ingest"),
	/* 5: the rows each staged batch holds (they must add up to the end's count)
	 * and a mark on an end that arrived twice with different contents */
	"ALTER TABLE stage_batch ADD COLUMN rows INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE stage_end ADD COLUMN conflict INTEGER NOT NULL DEFAULT 0;",
	/* 6: evidence. A finding row is 'final' when the data it needs for its
	 * month are all in, else 'provisional' (never notified); finding_state
	 * remembers how the last resolution came about */
	"ALTER TABLE finding ADD COLUMN status TEXT NOT NULL DEFAULT 'final';"
	"ALTER TABLE finding_state ADD COLUMN since TEXT;",
	/* 7: receipts carry a CSV of the rejected rows beside the JSON and the text */
	"ALTER TABLE files ADD COLUMN receipt_csv TEXT;",
	/* 8: participants in compact form (docs/PERFORMANCE.md, "Storage"): one
	 * B-tree in the order coverage is counted in, integers for the period
	 * (YYYYMM) and the insurance number, codes (agency, unit, org unit,
	 * collection agent) as numbers of the code table, the scheme and BHTN as
	 * bits; no citizen ID (no indicator or finding reads it) and no file per
	 * row (snapshot_src names the file of each agency's period). The view
	 * participant shows the rows as before, for people reading the database. */
	"CREATE TABLE code (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);"
	"INSERT OR IGNORE INTO code(code) SELECT agency FROM participant UNION SELECT org_unit FROM participant"
	"  UNION SELECT unit_code FROM participant UNION SELECT agent_code FROM participant WHERE agent_code <> '';"
	"CREATE TABLE person (period INTEGER NOT NULL, insurance_no INTEGER NOT NULL, unit INTEGER NOT NULL,"
	"  agency INTEGER NOT NULL, org INTEGER NOT NULL, flags INTEGER NOT NULL, agent INTEGER,"
	"  PRIMARY KEY (period, insurance_no, unit, agency)) WITHOUT ROWID;"
	"INSERT INTO person SELECT " AGG_PINT("p.period") ", CAST(p.insurance_no AS INTEGER),"
	"  (SELECT id FROM code WHERE code = p.unit_code), (SELECT id FROM code WHERE code = p.agency),"
	"  (SELECT id FROM code WHERE code = p.org_unit),"
	"  (p.scheme = 'compulsory') | ((p.scheme = 'voluntary') << 1) | ((coalesce(p.unemployment, 0) <> 0) << 2),"
	"  (SELECT id FROM code WHERE code = p.agent_code AND code <> '') FROM participant p ORDER BY 1, 2, 3, 4;"
	"DROP TABLE participant;"
	"CREATE VIEW participant AS SELECT a.code AS agency,"
	"  (SELECT f.file_id FROM snapshot_src s JOIN files f ON f.file_no = s.file_no WHERE s.agency = a.code"
	"    AND s.rtype = 'participant' AND s.period = " AGG_PTEXT("p.period") " LIMIT 1) AS file_id,"
	"  printf('%010d', p.insurance_no) AS insurance_no, o.code AS org_unit, " AGG_PTEXT("p.period") " AS period,"
	"  CASE p.flags & 3 WHEN 1 THEN 'compulsory' WHEN 2 THEN 'voluntary' ELSE '' END AS scheme,"
	"  (p.flags >> 2) & 1 AS unemployment, u.code AS unit_code, coalesce(g.code, '') AS agent_code"
	"  FROM person p JOIN code a ON a.id = p.agency JOIN code o ON o.id = p.org JOIN code u ON u.id = p.unit"
	"  LEFT JOIN code g ON g.id = p.agent;"
};
const int aggregate_nmigrations = 8;

/* The numbers of codes met in one file: an open-addressing table. */
typedef struct {
	char **code;
	int64_t *id;
	size_t cap, n;
} s_codes_t;

typedef struct {
	worker_t *w;
	const cfg_rtype_t *rt;
	const cfg_agency_t *ag;
	const msg_file_end_t *end;
	agg_result_t *res;
	sqlite3_stmt *ins;
	int *bindmap;         /* parameter i -> field index, -1 agency, -2 file_id */
	int nbind;
	char **periods;       /* snapshot periods already cleared */
	int nperiods;
	int period_field;
	receipt_error_t *errors;
	uint64_t nerrors, caperrors;
	uint64_t applied, duplicates, rejected, rechecked;
	char **heading_of;    /* per field: the clerk's heading (the end's strings), or NULL */
	colhint_t cols;       /* the clerk's headings and hints for the receipt */
	/* participants (the table person): the rows are loaded into temp.pload
	 * as they are checked, then sorted by key once: duplicates found and the
	 * rows written in the table's order (s_person_flush) */
	int person;
	int f_ins, f_org, f_scheme, f_unemp, f_unit, f_agent; /* field indexes, -1 if absent */
	int64_t agency_id;
	s_codes_t codes;      /* code -> number, for this file (dropped with its transaction) */
	sqlite3_stmt *load;
	/* other record types: the rows are loaded into temp.gload and written
	 * sorted by the table's key at the end (s_generic_flush), unless the
	 * table's key is not made of the record's key (then row by row) */
	int sorted;
	sqlite3_stmt *gload;
	int *order, norder;   /* bound columns in the table's primary key order */
	int *keypos, nkeypos; /* bound columns of the record's key */
	int early;            /* loading batches as they arrive (struct agg_early): no end yet */
	/* early: codes new to the table get numbers from next_id on, written to
	 * the table only in the file's own transaction (s_person_begin) */
	int64_t first_id, next_id;
	char **newcode;
	size_t nnew;
	int t;                /* which temporary table: S_LOAD_EARLY or S_LOAD_END */
	char **eperiods;      /* early: the periods met, cleared when the file is applied */
	int neperiods;
} s_apply_t;

/* The rows of a file are loaded into one of two temporary tables: one for
 * the file taken early, batch by batch as they arrive (struct agg_early),
 * one for a file applied from its staging at its end. */
enum { S_LOAD_EARLY, S_LOAD_END };
static const char *const s_sql_create[2] = {
	"CREATE TEMP TABLE IF NOT EXISTS pload_early (period INTEGER, ins INTEGER, unit INTEGER, org INTEGER,"
	" flags INTEGER, agent INTEGER, line INTEGER); DELETE FROM temp.pload_early;",
	"CREATE TEMP TABLE IF NOT EXISTS pload (period INTEGER, ins INTEGER, unit INTEGER, org INTEGER,"
	" flags INTEGER, agent INTEGER, line INTEGER); DELETE FROM temp.pload;",
};
static const char *const s_sql_load[2] = {
	"INSERT INTO temp.pload_early VALUES (?, ?, ?, ?, ?, ?, ?)",
	"INSERT INTO temp.pload VALUES (?, ?, ?, ?, ?, ?, ?)",
};
static const char *const s_sql_insert[2] = {
	"INSERT OR IGNORE INTO person SELECT period, ins, unit, ?1, org, flags, agent FROM temp.pload_early"
	" ORDER BY period, ins, unit, line, rowid",
	"INSERT OR IGNORE INTO person SELECT period, ins, unit, ?1, org, flags, agent FROM temp.pload"
	" ORDER BY period, ins, unit, line, rowid",
};
static const char *const s_sql_dups[2] = {
	"SELECT line, first FROM (SELECT line, rowid AS r, first_value(line) OVER k AS first, first_value(rowid) OVER k AS fr"
	" FROM temp.pload_early WINDOW k AS (PARTITION BY period, ins, unit ORDER BY line, rowid)) WHERE r <> fr",
	"SELECT line, first FROM (SELECT line, rowid AS r, first_value(line) OVER k AS first, first_value(rowid) OVER k AS fr"
	" FROM temp.pload WINDOW k AS (PARTITION BY period, ins, unit ORDER BY line, rowid)) WHERE r <> fr",
};
static const char *const s_sql_count[2] = {
	"SELECT count(*) FROM temp.pload_early",
	"SELECT count(*) FROM temp.pload",
};
static const char *const s_sql_empty[2] = { "DELETE FROM temp.pload_early;", "DELETE FROM temp.pload;" };

/* A participant file taken batch by batch as its batches arrive, before its
 * end: each batch checked and loaded while ingest and validate still work
 * on the next ones, so that at the end only the sort and the write remain.
 * Nothing of it is durable: staging stays the record of the file, and the
 * file is applied from its staging as before whenever this is not whole and
 * current (a restart, a transaction rolled back, a reload, another file in
 * the way, a batch that does not fit). */
struct agg_early {
	uint64_t file_no;
	char *file_id, *agency, *rtype;
	uint64_t rollbacks;   /* the store's count when it began: any rollback since spoils it */
	unsigned char *seen;  /* seq -> taken */
	uint32_t capseen, nseen;
	uint64_t rows;        /* rows loaded into temp.pload_early */
	int spoiled;          /* this file is applied from its staging */
	agg_result_t res;
	s_apply_t a;
};

/* s_fail - a failure of the apply: transient if the store says so. Returns -1. */
static int
s_fail(s_apply_t *a, int permanent, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
s_fail(s_apply_t *a, int permanent, const char *fmt, ...)
{
	va_list ap;

	if (a->res->reason[0] != '\0')
		return -1; /* the first reason is the one that matters */
	va_start(ap, fmt);
	vsnprintf(a->res->reason, sizeof(a->res->reason), fmt, ap);
	va_end(ap);
	a->res->kind = permanent ? AGG_PERMANENT : AGG_TRANSIENT;
	return -1;
}

/* s_store_fail - a failure reported by the store: its code decides. */
static int
s_store_fail(s_apply_t *a, const char *what)
{
	int rc = store_last_rc(a->w->store);

	if (rc == SQLITE_OK)
		rc = sqlite3_extended_errcode(store_db(a->w->store));
	return s_fail(a, !store_rc_transient(rc), "%s: %s", what,
	    store_last_rc(a->w->store) != SQLITE_OK ? store_last_msg(a->w->store) : sqlite3_errstr(rc));
}

/* s_table_has - the record table has a column of that name. */
static int
s_table_has(sqlite3 *db, const char *table, const char *col)
{
	sqlite3_stmt *st;
	int found = 0;
	char sql[200];

	snprintf(sql, sizeof(sql), "SELECT 1 FROM pragma_table_info('%s') WHERE name = ?", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, col, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* s_prepare_insert - INSERT OR REPLACE over the columns the table and the
 * schema share; fields the table lacks are validated but not stored. Names
 * are identifiers checked at configuration load ([a-z_][a-z0-9_]*), quoted. */
static int
s_prepare_insert(s_apply_t *a)
{
	sqlite3 *db = store_db(a->w->store);
	sb_t cols, qs, sql;
	int rc;

	sb_init(&cols);
	sb_init(&qs);
	sb_init(&sql);
	a->bindmap = xcalloc((size_t)a->rt->nfields + 2, sizeof(int));
	if (s_table_has(db, a->rt->name, "agency")) {
		sb_add(&cols, "agency");
		sb_add(&qs, "?");
		a->bindmap[a->nbind++] = -1;
	}
	if (s_table_has(db, a->rt->name, "file_id")) {
		sb_add(&cols, a->nbind ? ", file_id" : "file_id");
		sb_add(&qs, a->nbind ? ", ?" : "?");
		a->bindmap[a->nbind++] = -2;
	}
	for (int i = 0; i < a->rt->nfields; i++) {
		if (!s_table_has(db, a->rt->name, a->rt->fields[i].name))
			continue;
		sb_addf(&cols, "%s\"%s\"", a->nbind ? ", " : "", a->rt->fields[i].name);
		sb_add(&qs, a->nbind ? ", ?" : "?");
		a->bindmap[a->nbind++] = i;
	}
	sb_addf(&sql, "INSERT OR REPLACE INTO \"%s\" (%s) VALUES (%s)", a->rt->name, cols.data ? cols.data : "",
	    qs.data ? qs.data : "");
	rc = sqlite3_prepare_v2(db, sql.data, -1, &a->ins, NULL);
	sb_free(&sql);
	sb_free(&cols);
	sb_free(&qs);
	if (rc != SQLITE_OK)
		return s_fail(a, 1, "no table for record type '%s': %s", a->rt->name, sqlite3_errmsg(db));
	return 0;
}

/* s_bound_pos - the bound column holding the table column name, or -1. */
static int
s_bound_pos(const s_apply_t *a, const char *name)
{
	for (int p = 0; p < a->nbind; p++) {
		int fi = a->bindmap[p];
		const char *n = fi == -1 ? "agency" : fi == -2 ? "file_id" : a->rt->fields[fi].name;

		if (strcmp(n, name) == 0)
			return p;
	}
	return -1;
}

/* s_generic_prepare - after s_prepare_insert: the sorted load, when the
 * table's primary key is made of the record's key (and the agency): then
 * rows of one key are neighbours in key order and the first by line wins. */
static int
s_generic_prepare(s_apply_t *a)
{
	sqlite3 *db = store_db(a->w->store);
	sqlite3_stmt *st;
	char sql[200];
	sb_t b;
	int ok = 1, rc;

	a->order = xcalloc((size_t)a->nbind + 1, sizeof(int));
	a->keypos = xcalloc((size_t)a->rt->nkey + 1, sizeof(int));
	for (int k = 0; k < a->rt->nkey; k++)
		if ((a->keypos[a->nkeypos++] = s_bound_pos(a, a->rt->fields[a->rt->key[k]].name)) < 0)
			ok = 0;
	snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info('%s') WHERE pk > 0 ORDER BY pk", a->rt->name);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return s_fail(a, 1, "no table for record type '%s': %s", a->rt->name, sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *col = (const char *)sqlite3_column_text(st, 0);
		int p = s_bound_pos(a, col), inkey = strcmp(col, "agency") == 0;

		for (int k = 0; k < a->nkeypos; k++)
			inkey |= a->keypos[k] == p;
		if (p < 0 || !inkey)
			ok = 0;
		else
			a->order[a->norder++] = p;
	}
	sqlite3_finalize(st);
	if (!ok || a->norder == 0)
		return 0; /* row by row, with the duplicate check in temp.seen */
	sb_init(&b);
	sb_add(&b, "DROP TABLE IF EXISTS temp.gload; CREATE TEMP TABLE gload (");
	for (int p = 0; p < a->nbind; p++)
		sb_addf(&b, "c%d, ", p);
	sb_add(&b, "line INTEGER);");
	rc = store_exec(a->w->store, b.data);
	sb_free(&b);
	if (rc != 0)
		return s_store_fail(a, "loading");
	sb_init(&b);
	sb_add(&b, "INSERT INTO temp.gload VALUES (");
	for (int p = 0; p <= a->nbind; p++)
		sb_add(&b, p ? ", ?" : "?");
	sb_add(&b, ")");
	rc = sqlite3_prepare_v2(db, b.data, -1, &a->gload, NULL);
	sb_free(&b);
	if (rc != SQLITE_OK)
		return s_fail(a, 1, "cannot load %s: %s", a->rt->name, sqlite3_errmsg(db));
	a->sorted = 1;
	return 0;
}

/* s_bind_row - the bound columns of a checked row, into st from parameter 1. */
static void
s_bind_value(sqlite3_stmt *st, int p, const cfg_field_t *f, const char *v);

static void
s_bind_row(s_apply_t *a, sqlite3_stmt *st, char *const *out)
{
	for (int p = 0; p < a->nbind; p++) {
		int fi = a->bindmap[p];

		if (fi == -1)
			sqlite3_bind_text(st, p + 1, a->end->agency, -1, SQLITE_STATIC);
		else if (fi == -2)
			sqlite3_bind_text(st, p + 1, a->end->file_id, -1, SQLITE_STATIC);
		else
			s_bind_value(st, p + 1, &a->rt->fields[fi], out[fi]);
	}
}

static void s_add_error(s_apply_t *a, uint64_t line, const char *field, const char *code, const char *vi,
    const char *en);

/* s_duplicate - the row at line repeats the key of the row at first: rejected,
 * naming it (under the key's first field). */
static void
s_duplicate(s_apply_t *a, uint64_t line, int64_t first)
{
	char vi[160], en[160];

	snprintf(vi, sizeof(vi), "trùng khóa với dòng %lld; chỉ dòng đầu tiên được dùng", (long long)first);
	snprintf(en, sizeof(en), "same key as line %lld; only the first row is used", (long long)first);
	s_add_error(a, line, a->rt->fields[a->rt->key[0]].name, "E_DUPLICATE_KEY", vi, en);
	a->duplicates++;
	a->rejected++;
}

/* s_generic_flush - the loaded rows in the table's key order, by line within
 * a key: the first row of a key is written (INSERT OR REPLACE: an upsert
 * type replaces what earlier files sent), a later one is a duplicate naming
 * it. */
static int
s_generic_flush(s_apply_t *a)
{
	sqlite3 *db = store_db(a->w->store);
	sqlite3_stmt *q;
	char **prev = xcalloc((size_t)a->nkeypos + 1, sizeof(char *));
	int64_t first = 0;
	int step, rc = 0, have = 0;
	sb_t b;

	sb_init(&b);
	sb_add(&b, "SELECT * FROM temp.gload ORDER BY ");
	for (int i = 0; i < a->norder; i++)
		sb_addf(&b, "c%d, ", a->order[i]);
	sb_add(&b, "line");
	step = sqlite3_prepare_v2(db, b.data, -1, &q, NULL);
	sb_free(&b);
	if (step != SQLITE_OK) {
		free(prev);
		return s_fail(a, !store_rc_transient(step), "sorting %s: %s", a->rt->name, sqlite3_errmsg(db));
	}
	while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t line = sqlite3_column_int64(q, a->nbind);
		int same = have;

		a->res->line = (uint32_t)line;
		for (int k = 0; k < a->nkeypos && same; k++) {
			const char *v = (const char *)sqlite3_column_text(q, a->keypos[k]);

			same = (v == NULL && prev[k] == NULL) || (v != NULL && prev[k] != NULL && strcmp(v, prev[k]) == 0);
		}
		if (same) {
			s_duplicate(a, (uint64_t)line, first);
			continue;
		}
		for (int k = 0; k < a->nkeypos; k++) {
			const char *v = (const char *)sqlite3_column_text(q, a->keypos[k]);

			free(prev[k]);
			prev[k] = v != NULL ? xstrdup(v) : NULL;
		}
		have = 1;
		first = line;
		sqlite3_reset(a->ins);
		for (int p = 0; p < a->nbind; p++)
			sqlite3_bind_value(a->ins, p + 1, sqlite3_column_value(q, p));
		step = sqlite3_step(a->ins);
		sqlite3_reset(a->ins);
		if (step != SQLITE_DONE)
			rc = s_fail(a, !store_rc_transient(step), "insert into %s failed at line %lld: %s", a->rt->name,
			    (long long)line, sqlite3_errmsg(db));
		else
			a->applied++;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = s_fail(a, !store_rc_transient(step), "sorting %s: %s", a->rt->name, sqlite3_errstr(step));
	sqlite3_finalize(q);
	for (int k = 0; k < a->nkeypos; k++)
		free(prev[k]);
	free(prev);
	if (rc == 0 && store_exec(a->w->store, "DELETE FROM temp.gload;") != 0)
		rc = s_store_fail(a, "loading");
	return rc;
}

/* s_add_error - remember a rejected row for the receipt. */
static void
s_add_error(s_apply_t *a, uint64_t line, const char *field, const char *code, const char *vi, const char *en)
{
	receipt_error_t *e;

	if (a->nerrors == a->caperrors) {
		a->caperrors = a->caperrors ? a->caperrors * 2 : 64;
		a->errors = xrealloc(a->errors, a->caperrors * sizeof(*a->errors));
	}
	e = &a->errors[a->nerrors++];
	e->line = line;
	e->field = xstrdup(field);
	e->code = xstrdup(code);
	e->message_vi = xstrdup(vi ? vi : "");
	e->message_en = xstrdup(en ? en : "");
	e->column = NULL;
	if (field != NULL && a->cols.column_of != NULL) {
		int fi = config_field_index(a->rt, field);

		e->column = fi >= 0 ? a->cols.column_of[fi] : NULL; /* borrowed from the file's end */
	}
}

/* s_period_int - YYYY-MM as the integer YYYYMM. */
static int64_t
s_period_int(const char *p)
{
	return (int64_t)atoi(p) * 100 + atoi(p + 5);
}

/* s_clear_period - a snapshot's first row of a period deletes the old
 * snapshot of that agency, type and period, unless a newer file has already
 * replaced it: then this file is superseded and must not apply at all. */
static int
s_clear_period(s_apply_t *a, const char *period)
{
	sqlite3_stmt *st;
	char sql[200];
	int rc;

	for (int i = 0; i < a->nperiods; i++)
		if (strcmp(a->periods[i], period) == 0)
			return 0;
	st = store_stmt(a->w->store, "SELECT file_no FROM snapshot_src WHERE agency = ? AND rtype = ? AND period = ?");
	if (st == NULL)
		return s_store_fail(a, "snapshot sources");
	sqlite3_bind_text(st, 1, a->end->agency, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->rt->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, period, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && (uint64_t)sqlite3_column_int64(st, 0) > a->end->file_no) {
		a->res->kind = AGG_SUPERSEDED;
		snprintf(a->res->period, sizeof(a->res->period), "%s", period);
		a->res->newer_file_no = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	a->periods = xrealloc(a->periods, sizeof(char *) * (size_t)(a->nperiods + 1));
	a->periods[a->nperiods++] = xstrdup(period);
	if (a->person)
		snprintf(sql, sizeof(sql), "DELETE FROM person WHERE agency = ? AND period = ?");
	else
		snprintf(sql, sizeof(sql), "DELETE FROM \"%s\" WHERE agency = ? AND period = ?", a->rt->name);
	if (sqlite3_prepare_v2(store_db(a->w->store), sql, -1, &st, NULL) != SQLITE_OK)
		return s_fail(a, 1, "cannot clear %s: %s", a->rt->name, sqlite3_errmsg(store_db(a->w->store)));
	if (a->person) {
		sqlite3_bind_int64(st, 1, a->agency_id);
		sqlite3_bind_int64(st, 2, s_period_int(period));
	} else {
		sqlite3_bind_text(st, 1, a->end->agency, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, period, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return s_fail(a, !store_rc_transient(rc), "cannot clear %s %s: %s", a->rt->name, period,
		    sqlite3_errstr(rc));
	st = store_stmt(a->w->store, "INSERT OR REPLACE INTO snapshot_src VALUES (?, ?, ?, ?)");
	if (st == NULL)
		return s_store_fail(a, "snapshot sources");
	sqlite3_bind_text(st, 1, a->end->agency, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->rt->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, period, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)a->end->file_no);
	return store_step_done(a->w->store, st) == 0 ? 0 : s_store_fail(a, "snapshot sources");
}

/* s_first_line - 0 if the key is new (and records it), else the first line;
 * -1 on a store failure. */
static int64_t
s_first_line(s_apply_t *a, char *const *values)
{
	sqlite3_stmt *st = store_stmt(a->w->store, "INSERT OR IGNORE INTO temp.seen(k, line) VALUES (?, ?)");
	sb_t k;
	int64_t line = 0;

	if (st == NULL)
		return s_store_fail(a, "duplicate check");
	sb_init(&k);
	sb_add(&k, "");
	for (int i = 0; i < a->rt->nkey; i++) {
		sb_add(&k, values[a->rt->key[i]]);
		sb_add(&k, "\x1f");
	}
	sqlite3_bind_text(st, 1, k.data, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, a->res->line);
	if (store_step_done(a->w->store, st) != 0) {
		sb_free(&k);
		return s_store_fail(a, "duplicate check");
	}
	if (sqlite3_changes(store_db(a->w->store)) == 0) {
		st = store_stmt(a->w->store, "SELECT line FROM temp.seen WHERE k = ?");
		if (st == NULL) {
			sb_free(&k);
			return s_store_fail(a, "duplicate check");
		}
		sqlite3_bind_text(st, 1, k.data, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW)
			line = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	sb_free(&k);
	return line;
}

/* s_bind_value - bind a canonical value with the type its column wants. */
static void
s_bind_value(sqlite3_stmt *st, int p, const cfg_field_t *f, const char *v)
{
	switch (f->type) {
	case FT_INT: case FT_MONEY: case FT_YEAR: case FT_BOOL:
		if (v[0] == '\0')
			sqlite3_bind_null(st, p);
		else
			sqlite3_bind_int64(st, p, strtoll(v, NULL, 10));
		break;
	case FT_PCT:
		if (v[0] == '\0')
			sqlite3_bind_null(st, p);
		else
			sqlite3_bind_double(st, p, strtod(v, NULL));
		break;
	default:
		sqlite3_bind_text(st, p, v, -1, SQLITE_TRANSIENT);
	}
}

/* s_hash - a code's place in the table. */
static uint64_t
s_hash(const char *v)
{
	return fs_fnv1a(FS_FNV1A_INIT, v, strlen(v));
}

/* s_codes_free - forget the numbers of a file's codes. */
static void
s_codes_free(s_codes_t *c)
{
	for (size_t i = 0; i < c->cap; i++)
		free(c->code[i]);
	free(c->code);
	free(c->id);
	memset(c, 0, sizeof(*c));
}

/* s_code_id - the number of a code in the table code, added if new (inside
 * the file's transaction); -1 on a store failure. */
static int64_t
s_code_id(s_apply_t *a, const char *v)
{
	s_codes_t *c = &a->codes;
	sqlite3_stmt *st;
	size_t i;
	int64_t id = -1;

	if (c->n * 2 >= c->cap) {
		s_codes_t bigger = { .cap = c->cap ? c->cap * 2 : 1024 };

		bigger.code = xcalloc(bigger.cap, sizeof(char *));
		bigger.id = xcalloc(bigger.cap, sizeof(int64_t));
		for (size_t k = 0; k < c->cap; k++) {
			if (c->code[k] == NULL)
				continue;
			for (i = s_hash(c->code[k]) & (bigger.cap - 1); bigger.code[i] != NULL; i = (i + 1) & (bigger.cap - 1))
				;
			bigger.code[i] = c->code[k];
			bigger.id[i] = c->id[k];
			bigger.n++;
		}
		free(c->code);
		free(c->id);
		*c = bigger;
	}
	for (i = s_hash(v) & (c->cap - 1); c->code[i] != NULL; i = (i + 1) & (c->cap - 1))
		if (strcmp(c->code[i], v) == 0)
			return c->id[i];
	st = store_stmt(a->w->store, "SELECT id FROM code WHERE code = ?");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, v, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (id < 0 && a->early) {
		/* a number of its own, not written yet: a file taken early may never
		 * be applied (a dry run, superseded), and then leaves nothing */
		id = a->next_id++;
		a->newcode = xrealloc(a->newcode, sizeof(char *) * (a->nnew + 1));
		a->newcode[a->nnew++] = xstrdup(v);
	} else if (id < 0) {
		st = store_stmt(a->w->store, "INSERT INTO code(code) VALUES (?)");
		if (st == NULL)
			return -1;
		sqlite3_bind_text(st, 1, v, -1, SQLITE_STATIC);
		if (store_step_done(a->w->store, st) != 0)
			return -1;
		id = sqlite3_last_insert_rowid(store_db(a->w->store));
	}
	c->code[i] = xstrdup(v);
	c->id[i] = id;
	c->n++;
	return id;
}

/* s_person_prepare - the participant fields the table person keeps, and the
 * temporary table the file's rows are loaded into. The key must be the
 * table's (insurance number, period, unit code): duplicates are found in its
 * order. */
static int
s_person_prepare(s_apply_t *a)
{
	const cfg_rtype_t *rt = a->rt;
	int ki = config_field_index(rt, "insurance_no"), ku = config_field_index(rt, "unit_code");

	a->person = 1;
	a->f_ins = ki;
	a->f_org = config_field_index(rt, "org_unit");
	a->f_scheme = config_field_index(rt, "scheme");
	a->f_unemp = config_field_index(rt, "unemployment");
	a->f_unit = ku;
	a->f_agent = config_field_index(rt, "agent_code");
	if (ki < 0 || a->f_org < 0 || a->period_field < 0 || rt->nkey != 3 ||
	    !((rt->key[0] == ki || rt->key[1] == ki || rt->key[2] == ki) &&
	    (rt->key[0] == a->period_field || rt->key[1] == a->period_field || rt->key[2] == a->period_field) &&
	    (ku < 0 || rt->key[0] == ku || rt->key[1] == ku || rt->key[2] == ku)))
		return s_fail(a, 1, "the participant record type must have the fields insurance_no, org_unit and period,"
		    " and the key insurance_no, period, unit_code");
	if (!a->early && (a->agency_id = s_code_id(a, a->end->agency)) < 0)
		return s_store_fail(a, "codes");
	if (store_exec(a->w->store, s_sql_create[a->t]) != 0)
		return s_store_fail(a, "loading");
	a->load = store_stmt(a->w->store, s_sql_load[a->t]);
	return a->load == NULL ? s_store_fail(a, "loading") : 0;
}

/* s_person_load - a checked participant row into temp.pload. */
static int
s_person_load(s_apply_t *a, char *const *out, uint32_t line)
{
	const char *scheme = a->f_scheme >= 0 ? out[a->f_scheme] : "";
	const char *agent = a->f_agent >= 0 ? out[a->f_agent] : "";
	int64_t unit = s_code_id(a, a->f_unit >= 0 ? out[a->f_unit] : ""), org = s_code_id(a, out[a->f_org]);
	int64_t agent_id = agent[0] != '\0' ? s_code_id(a, agent) : 0;
	int flags = (strcmp(scheme, "compulsory") == 0 ? AGG_F_COMPULSORY : 0) |
	    (strcmp(scheme, "voluntary") == 0 ? AGG_F_VOLUNTARY : 0) |
	    (a->f_unemp >= 0 && out[a->f_unemp][0] != '\0' && strtoll(out[a->f_unemp], NULL, 10) != 0 ? AGG_F_BHTN : 0);

	if (unit < 0 || org < 0 || agent_id < 0)
		return s_store_fail(a, "codes");
	sqlite3_bind_int64(a->load, 1, s_period_int(out[a->period_field]));
	sqlite3_bind_int64(a->load, 2, strtoll(out[a->f_ins], NULL, 10));
	sqlite3_bind_int64(a->load, 3, unit);
	sqlite3_bind_int64(a->load, 4, org);
	sqlite3_bind_int(a->load, 5, flags);
	if (agent[0] != '\0')
		sqlite3_bind_int64(a->load, 6, agent_id);
	else
		sqlite3_bind_null(a->load, 6);
	sqlite3_bind_int64(a->load, 7, line);
	return store_step_done(a->w->store, a->load) == 0 ? 0 : s_store_fail(a, "loading");
}

/* An error's line and its place in the order it was found. */
typedef struct {
	uint64_t line, i;
} s_error_ord_t;

/* s_error_cmp - errors by line, then in the order they were found. */
static int
s_error_cmp(const void *x, const void *y)
{
	const s_error_ord_t *p = x, *q = y;

	if (p->line != q->line)
		return p->line < q->line ? -1 : 1;
	return p->i < q->i ? -1 : p->i > q->i;
}

/* s_person_flush - the loaded rows sorted by key (SQLite's sorter: bounded
 * memory, spilling to temporary files): the first row of each key by line
 * (rows claiming the same line: the first loaded) is written to person, in
 * the table's order; a later one is a duplicate naming it. Then every error
 * back in line order. */
static int
s_person_flush(s_apply_t *a)
{
	sqlite3_stmt *ins = store_stmt(a->w->store, s_sql_insert[a->t]), *q;
	long long loaded = store_int(a->w->store, s_sql_count[a->t], -1);
	uint64_t inserted, dups = 0;
	int step, rc = 0;

	if (ins == NULL || loaded < 0)
		return s_store_fail(a, "writing the participants");
	/* in key order, and within a key by line: the first row of each key is
	 * written, a later one ignored (the key is the table's: the agency's
	 * period was cleared, so nothing else can conflict) */
	sqlite3_bind_int64(ins, 1, a->agency_id);
	step = sqlite3_step(ins);
	sqlite3_reset(ins);
	if (step != SQLITE_DONE)
		return s_fail(a, !store_rc_transient(step), "writing the participants: %s", sqlite3_errstr(step));
	inserted = (uint64_t)sqlite3_changes(store_db(a->w->store));
	a->applied += inserted;
	if (inserted < (uint64_t)loaded) {
		/* duplicates (rare): a second pass names them and their first line */
		q = store_stmt(a->w->store, s_sql_dups[a->t]);
		if (q == NULL)
			return s_store_fail(a, "finding duplicates");
		while ((step = sqlite3_step(q)) == SQLITE_ROW) {
			s_duplicate(a, (uint64_t)sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1));
			dups++;
		}
		sqlite3_reset(q);
		if (step != SQLITE_DONE)
			return s_fail(a, !store_rc_transient(step), "finding duplicates: %s", sqlite3_errstr(step));
	}
	if (inserted + dups != (uint64_t)loaded)
		return s_fail(a, 1, "participants: %lld rows loaded, %llu written and %llu duplicates", loaded,
		    (unsigned long long)inserted, (unsigned long long)dups);
	if (store_exec(a->w->store, s_sql_empty[a->t]) != 0)
		return s_store_fail(a, "loading");
	return rc;
}

/* s_errors_sort - the duplicates came in key order, and batches taken early
 * in the order they arrived: every error back in line order, the errors of
 * one line in the order they were found. */
static void
s_errors_sort(s_apply_t *a)
{
	s_error_ord_t *o;
	receipt_error_t *m;

	if (a->nerrors < 2)
		return;
	o = xcalloc((size_t)a->nerrors, sizeof(*o));
	m = xcalloc((size_t)a->nerrors, sizeof(*m));
	for (uint64_t i = 0; i < a->nerrors; i++)
		o[i] = (s_error_ord_t){ a->errors[i].line, i };
	qsort(o, (size_t)a->nerrors, sizeof(*o), s_error_cmp);
	for (uint64_t i = 0; i < a->nerrors; i++)
		m[i] = a->errors[o[i].i];
	memcpy(a->errors, m, (size_t)a->nerrors * sizeof(*m));
	free(m);
	free(o);
}

/* s_early_period - a period met in a file taken early: cleared at its end. */
static void
s_early_period(s_apply_t *a, const char *period)
{
	for (int i = 0; i < a->neperiods; i++)
		if (strcmp(a->eperiods[i], period) == 0)
			return;
	a->eperiods = xrealloc(a->eperiods, sizeof(char *) * (size_t)(a->neperiods + 1));
	a->eperiods[a->neperiods++] = xstrdup(period);
}

/* s_apply_row - one row validate passed: checked again against the schema,
 * the tree and the agency's rights (whatever the sender claims), then the
 * duplicate check, snapshot clearing and the insert. */
static int
s_apply_row(s_apply_t *a, const msg_row_t *r)
{
	char **out;
	const char *bad = NULL;
	fc_error_t err = { 0 };
	int64_t first;
	int rc = 0;

	a->res->line = r->line;
	if (r->nvalues != (uint32_t)a->rt->nfields) {
		s_add_error(a, r->line, NULL, "E_INTERNAL", "lỗi nội bộ: số trường không khớp",
		    "internal error: field count mismatch");
		a->rejected++;
		return 0;
	}
	out = xcalloc((size_t)a->rt->nfields, sizeof(char *));
	if (rowcheck_row(a->w->config, a->ag, a->rt, r->values, out, &bad, &err) != 0) {
		/* validate would have rejected it: a forged or inconsistent batch */
		s_add_error(a, r->line, bad, err.code, err.vi, err.en);
		a->rejected++;
		a->rechecked++;
		free(out);
		return 0;
	}
	if (a->person) { /* duplicates are found once all rows are in (s_person_flush) */
		if (a->early)
			s_early_period(a, out[a->period_field]);
		else if (s_clear_period(a, out[a->period_field]) != 0) {
			rc = -1;
			goto done;
		}
		rc = s_person_load(a, out, r->line);
		goto done;
	}
	if (a->sorted) { /* duplicates are found once all rows are in (s_generic_flush) */
		int step;

		if (a->rt->apply == APPLY_SNAPSHOT && a->period_field >= 0 && s_clear_period(a, out[a->period_field]) != 0) {
			rc = -1;
			goto done;
		}
		sqlite3_reset(a->gload);
		s_bind_row(a, a->gload, out);
		sqlite3_bind_int64(a->gload, a->nbind + 1, r->line);
		step = sqlite3_step(a->gload);
		sqlite3_reset(a->gload);
		if (step != SQLITE_DONE)
			rc = s_fail(a, !store_rc_transient(step), "loading %s failed at line %u: %s", a->rt->name, r->line,
			    sqlite3_errstr(step));
		goto done;
	}
	first = s_first_line(a, out);
	if (first < 0) {
		rc = -1;
	} else if (first > 0) {
		s_duplicate(a, r->line, first);
	} else if (a->rt->apply == APPLY_SNAPSHOT && a->period_field >= 0 &&
	    s_clear_period(a, out[a->period_field]) != 0) {
		rc = -1;
	} else {
		int step;

		sqlite3_reset(a->ins);
		s_bind_row(a, a->ins, out);
		step = sqlite3_step(a->ins);
		if (step != SQLITE_DONE)
			rc = s_fail(a, !store_rc_transient(step), "insert into %s failed at line %u: %s",
			    a->rt->name, r->line, sqlite3_errmsg(store_db(a->w->store)));
		else
			a->applied++;
	}
done:
	for (int i = 0; i < a->rt->nfields; i++)
		free(out[i]);
	free(out);
	return rc;
}

/* s_batch_matches - a staged batch belongs to the file its end describes. */
static int
s_batch_matches(const s_apply_t *a, const msg_batch_t *b)
{
	return strcmp(b->agency, a->end->agency) == 0 && strcmp(b->rtype, a->end->rtype) == 0 &&
	    config_fields_are(a->rt, b->fields, b->nfields);
}

/* s_apply_batch_rows - the rows of one batch: validate's errors kept for
 * the receipt, the others checked again and applied (or loaded). */
static int
s_apply_batch_rows(s_apply_t *a, const msg_batch_t *b)
{
	int rc = 0;

	for (uint32_t i = 0; i < b->nrows && rc == 0; i++) {
		const msg_row_t *r = &b->rows[i];

		if (r->err_code != NULL) {
			s_add_error(a, r->line, r->err_field, r->err_code, r->err_vi, r->err_en);
			for (uint32_t k = 0; k < r->nmore && k < MSG_ROW_MAX_MORE; k++)
				s_add_error(a, r->line, r->more[k].field, r->more[k].code, r->more[k].vi, r->more[k].en);
			a->rejected++;
		} else {
			rc = s_apply_row(a, r);
		}
	}
	return rc;
}

/* s_apply_batches - every batch of the file, in order. */
static int
s_apply_batches(s_apply_t *a)
{
	for (uint32_t seq = 0; seq < a->end->nbatches; seq++) {
		sqlite3_stmt *st = store_stmt(a->w->store,
		    "SELECT body FROM stage_batch WHERE file_no = ? AND file_id = ? AND seq = ?");
		char err[160];
		msg_t m;
		int rc = 0, got;

		if (st == NULL)
			return s_store_fail(a, "staging");
		sqlite3_bind_int64(st, 1, (sqlite3_int64)a->end->file_no);
		sqlite3_bind_text(st, 2, a->end->file_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, seq);
		got = sqlite3_step(st);
		if (got != SQLITE_ROW) {
			sqlite3_reset(st);
			if (got == SQLITE_DONE)
				return s_fail(a, 1, "batch %u of %u is missing", seq + 1, a->end->nbatches);
			return s_fail(a, !store_rc_transient(got), "staging: %s", sqlite3_errstr(got));
		}
		if (msg_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &m, err, sizeof(err)) != 0 ||
		    m.type != MSG_T_BATCH) {
			sqlite3_reset(st);
			msg_free(&m);
			return s_fail(a, 1, "batch %u of %u is unreadable: %s", seq + 1, a->end->nbatches, err);
		}
		sqlite3_reset(st);
		if (!s_batch_matches(a, &m.u.batch)) {
			msg_free(&m);
			return s_fail(a, 1, "batch %u of %u belongs to another agency, type or schema", seq + 1,
			    a->end->nbatches);
		}
		rc = s_apply_batch_rows(a, &m.u.batch);
		msg_free(&m);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* s_apply_free - release what an application held. */
static void
s_apply_free(s_apply_t *a)
{
	for (uint64_t i = 0; i < a->nerrors; i++) {
		free((char *)a->errors[i].field);
		free((char *)a->errors[i].code);
		free((char *)a->errors[i].message_vi);
		free((char *)a->errors[i].message_en);
	}
	free(a->errors);
	for (int i = 0; i < a->nperiods; i++)
		free(a->periods[i]);
	free(a->periods);
	free(a->bindmap);
	free(a->order);
	free(a->keypos);
	if (a->gload != NULL)
		sqlite3_finalize(a->gload);
	if (a->ins != NULL)
		sqlite3_finalize(a->ins);
	if (a->load != NULL)
		sqlite3_reset(a->load);
	s_codes_free(&a->codes);
	for (int i = 0; i < a->neperiods; i++)
		free(a->eperiods[i]);
	free(a->eperiods);
	for (size_t i = 0; i < a->nnew; i++)
		free(a->newcode[i]);
	free(a->newcode);
	colhint_free(&a->cols);
	free(a->heading_of);
}

/* s_early_spoil - the file taken early is applied from its staging after all:
 * what was loaded is let go, the file is remembered so as not to begin again. */
static void
s_early_spoil(worker_t *w, struct agg_early *e)
{
	if (e->spoiled)
		return;
	e->spoiled = 1;
	s_apply_free(&e->a);
	memset(&e->a, 0, sizeof(e->a));
	store_exec(w->store, s_sql_empty[S_LOAD_EARLY]); /* best effort: emptied again when the next begins */
}

/* agg_early_free - forget the file taken early. */
void
agg_early_free(worker_t *w)
{
	agg_t *ag = w->state;
	struct agg_early *e = ag != NULL ? ag->early : NULL;

	if (e == NULL)
		return;
	s_early_spoil(w, e);
	free(e->file_id);
	free(e->agency);
	free(e->rtype);
	free(e->seen);
	free(e);
	ag->early = NULL;
}

/* agg_early_drop - a reload: the file taken early (checked under the old
 * configuration) is applied from its staging at its end. */
void
agg_early_drop(worker_t *w)
{
	agg_t *ag = w->state;

	if (ag != NULL && ag->early != NULL)
		s_early_spoil(w, ag->early);
}

/* agg_early_ended - the file (file_no, file_id) ended: forget it if it was
 * the one taken early. */
void
agg_early_ended(worker_t *w, uint64_t file_no, const char *file_id)
{
	agg_t *ag = w->state;

	if (ag != NULL && ag->early != NULL && ag->early->file_no == file_no && strcmp(ag->early->file_id, file_id) == 0)
		agg_early_free(w);
}

/* agg_early_batch - a participant batch just staged (inside the burst's
 * transaction): checked and loaded now if its file is the one taken early,
 * or begins it when it is the first part of a file staged and no other is
 * being taken. Any trouble spoils it: the file is then applied from its
 * staging at its end, as every file was before. */
void
agg_early_batch(worker_t *w, const msg_batch_t *b)
{
	agg_t *ag = w->state;
	struct agg_early *e = ag != NULL ? ag->early : NULL;
	const cfg_rtype_t *rt;
	const cfg_agency_t *agc;

	if (e != NULL && (e->file_no != b->file_no || strcmp(e->file_id, b->file_id) != 0)) {
		/* another file: the one taken early may have ended without being
		 * applied (agg_early_ended is told of every end; this is a guard) */
		sqlite3_stmt *st = store_stmt(w->store, "SELECT EXISTS (SELECT 1 FROM files WHERE file_no = ?1 AND"
		    " file_id = ?2) OR NOT EXISTS (SELECT 1 FROM stage_batch WHERE file_no = ?1 AND file_id = ?2)");
		int ended;

		/* ... or its staging was dropped (its end never came) */
		if (st == NULL)
			return;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)e->file_no);
		sqlite3_bind_text(st, 2, e->file_id, -1, SQLITE_STATIC);
		ended = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
		sqlite3_reset(st);
		if (!ended)
			return;
		agg_early_free(w);
		e = NULL;
	}
	if (ag == NULL)
		return;
	if (e == NULL) {
		sqlite3_stmt *st;
		int parts = -1;

		rt = config_rtype(w->config, b->rtype);
		agc = config_agency(w->config, b->agency);
		if (rt == NULL || agc == NULL || strcmp(rt->name, "participant") != 0 ||
		    !config_fields_are(rt, b->fields, b->nfields))
			return;
		st = store_stmt(w->store, "SELECT count(*) FROM stage_batch WHERE file_no = ? AND file_id = ?");
		if (st == NULL)
			return;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)b->file_no);
		sqlite3_bind_text(st, 2, b->file_id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			parts = sqlite3_column_int(st, 0);
		sqlite3_reset(st);
		if (parts != 1)
			return; /* not its first part staged: it is applied from its staging */
		e = xcalloc(1, sizeof(*e));
		e->file_no = b->file_no;
		e->file_id = xstrdup(b->file_id);
		e->agency = xstrdup(b->agency);
		e->rtype = xstrdup(b->rtype);
		e->rollbacks = store_rollbacks(w->store);
		e->a = (s_apply_t){ .w = w, .rt = rt, .ag = agc, .res = &e->res, .early = 1, .t = S_LOAD_EARLY,
			.period_field = config_field_index(rt, "period") };
		ag->early = e;
		e->a.first_id = e->a.next_id = store_int(w->store, "SELECT coalesce(max(id), 0) + 1 FROM code", -1);
		if (e->a.first_id <= 0 || s_person_prepare(&e->a) != 0) {
			s_early_spoil(w, e);
			return;
		}
	}
	if (e->spoiled)
		return;
	if (store_rollbacks(w->store) != e->rollbacks || strcmp(e->agency, b->agency) != 0 ||
	    strcmp(e->rtype, b->rtype) != 0 || !config_fields_are(e->a.rt, b->fields, b->nfields) || b->seq >= 10000000u) {
		s_early_spoil(w, e);
		return;
	}
	if (b->seq >= e->capseen) {
		uint32_t cap = e->capseen ? e->capseen : 1024;

		while (cap <= b->seq)
			cap *= 2;
		e->seen = xrealloc(e->seen, cap);
		memset(e->seen + e->capseen, 0, cap - e->capseen);
		e->capseen = cap;
	}
	if (e->seen[b->seq])
		return; /* staged once already: taken */
	if (s_apply_batch_rows(&e->a, b) != 0) {
		s_early_spoil(w, e);
		return;
	}
	e->seen[b->seq] = 1;
	e->nseen++;
	e->rows += b->nrows;
}

/* s_early_take - the file being applied was taken early, whole, under this
 * configuration and with no rollback since: its loaded rows, errors and
 * periods become the application's. 1 if taken, 0 if not (the file is applied
 * from its staging). */
static int
s_early_take(s_apply_t *a)
{
	agg_t *ag = a->w->state;
	struct agg_early *e = ag != NULL ? ag->early : NULL;
	uint64_t loaded;

	if (e == NULL || e->spoiled || e->file_no != a->end->file_no || strcmp(e->file_id, a->end->file_id) != 0)
		return 0;
	if (store_rollbacks(a->w->store) != e->rollbacks || e->nseen != a->end->nbatches ||
	    e->capseen < a->end->nbatches || strcmp(e->agency, a->end->agency) != 0 ||
	    strcmp(e->rtype, a->end->rtype) != 0 || e->a.rt != a->rt || e->a.ag != a->ag) {
		s_early_spoil(a->w, e);
		return 0;
	}
	for (uint32_t i = 0; i < a->end->nbatches; i++)
		if (!e->seen[i]) {
			s_early_spoil(a->w, e);
			return 0;
		}
	/* the rows loaded are the rows counted (the table is not durable: any
	 * doubt, and the staging decides) */
	/* the numbers given to new codes must still be free (no other file added
	 * codes since) */
	if (e->a.nnew > 0 && store_int(a->w->store, "SELECT coalesce(max(id), 0) FROM code", -1) >= e->a.first_id) {
		s_early_spoil(a->w, e);
		return 0;
	}
	loaded = (uint64_t)store_int(a->w->store, s_sql_count[S_LOAD_EARLY], -1);
	if (loaded != e->rows - e->a.rejected) {
		log_warn("file %llu: %llu rows loaded early, %llu expected; applied from its staging",
		    (unsigned long long)e->file_no, (unsigned long long)loaded,
		    (unsigned long long)(e->rows - e->a.rejected));
		s_early_spoil(a->w, e);
		return 0;
	}
	a->person = 1;
	a->t = S_LOAD_EARLY;
	a->f_ins = e->a.f_ins;
	a->f_org = e->a.f_org;
	a->f_scheme = e->a.f_scheme;
	a->f_unemp = e->a.f_unemp;
	a->f_unit = e->a.f_unit;
	a->f_agent = e->a.f_agent;
	a->errors = e->a.errors;
	a->nerrors = e->a.nerrors;
	a->caperrors = e->a.caperrors;
	a->rejected = e->a.rejected;
	a->rechecked = e->a.rechecked;
	a->codes = e->a.codes;
	a->eperiods = e->a.eperiods;
	a->neperiods = e->a.neperiods;
	a->first_id = e->a.first_id;
	a->next_id = e->a.next_id;
	a->newcode = e->a.newcode;
	a->nnew = e->a.nnew;
	memset(&e->a, 0, sizeof(e->a));
	e->spoiled = 1; /* taken: nothing left to let go */
	/* the clerk's headings are known now */
	for (uint64_t i = 0; i < a->nerrors; i++)
		if (a->errors[i].field != NULL && a->errors[i].column == NULL && a->cols.column_of != NULL) {
			int fi = config_field_index(a->rt, a->errors[i].field);

			a->errors[i].column = fi >= 0 ? a->cols.column_of[fi] : NULL;
		}
	return 1;
}

/* s_person_begin - the participants of the file: taken early (the periods
 * met are cleared now, in the file's transaction), or loaded from staging. */
static int
s_person_begin(s_apply_t *a, int *taken)
{
	*taken = s_early_take(a);
	if (!*taken)
		return s_person_prepare(a);
	/* the codes met first in this file, under the numbers its rows carry */
	for (size_t i = 0; i < a->nnew; i++) {
		sqlite3_stmt *st = store_stmt(a->w->store, "INSERT INTO code(id, code) VALUES (?, ?)");

		if (st == NULL)
			return s_store_fail(a, "codes");
		sqlite3_bind_int64(st, 1, a->first_id + (int64_t)i);
		sqlite3_bind_text(st, 2, a->newcode[i], -1, SQLITE_STATIC);
		if (store_step_done(a->w->store, st) != 0)
			return s_store_fail(a, "codes");
	}
	if ((a->agency_id = s_code_id(a, a->end->agency)) < 0)
		return s_store_fail(a, "codes");
	for (int i = 0; i < a->neperiods; i++)
		if (s_clear_period(a, a->eperiods[i]) != 0)
			return -1;
	return 0;
}

/* agg_apply_file - apply the complete staged file whose end is end, inside
 * the caller's transaction: rows, receipt, outcome, recompute. */
int
agg_apply_file(worker_t *w, const msg_file_end_t *end, agg_result_t *res)
{
	s_apply_t a = { .w = w, .end = end, .res = res, .period_field = -1, .t = S_LOAD_END };
	int64_t t0 = now_ms(), t1, t2;
	int rc = -1, early = 0;

	memset(res, 0, sizeof(*res));
	a.rt = config_rtype(w->config, end->rtype);
	a.ag = config_agency(w->config, end->agency);
	if (a.rt == NULL || a.ag == NULL) {
		s_fail(&a, 1, "agency '%.40s' or record type '%.40s' is not configured here", end->agency, end->rtype);
		goto out;
	}
	a.period_field = config_field_index(a.rt, "period");
	a.heading_of = colhint_from_pairs(a.rt, end->nheadings, end->headings);
	colhint_build(&a.cols, a.rt, a.heading_of, (int)end->nunknown, end->unknown_columns, 0);
	if (store_exec(w->store, "CREATE TEMP TABLE IF NOT EXISTS seen (k TEXT PRIMARY KEY, line INTEGER);"
	    "DELETE FROM temp.seen;") != 0) {
		s_store_fail(&a, "duplicate check");
		goto out;
	}
	/* a dry run applies its rows as a real file would, up to this point: they
	 * are rolled back once the receipt is rendered */
	if (end->dry_run && store_exec(w->store, "SAVEPOINT dry_run") != 0) {
		s_store_fail(&a, "dry run");
		goto out;
	}
	if (strcmp(a.rt->name, "participant") == 0 ? s_person_begin(&a, &early) != 0
	    : (s_prepare_insert(&a) != 0 || s_generic_prepare(&a) != 0))
		goto out;
	if (!early && s_apply_batches(&a) != 0)
		goto out;
	t1 = now_ms();
	if ((a.person && s_person_flush(&a) != 0) || (a.sorted && s_generic_flush(&a) != 0))
		goto out;
	s_errors_sort(&a);
	t2 = now_ms();
	if (a.applied + a.rejected != end->rows_read)
		log_warn("file %llu: rows read %llu but applied %llu + rejected %llu", (unsigned long long)end->file_no,
		    (unsigned long long)end->rows_read, (unsigned long long)a.applied, (unsigned long long)a.rejected);
	if (a.applied == 0 && a.rejected > 0) {
		/* rows, but not one valid: nothing was written (no snapshot period
		 * was cleared, for that takes a valid row), and the file is
		 * rejected, not applied: the figures in place stay */
		s_add_error(&a, 0, NULL, "E_FILE_NO_VALID_ROWS",
		    "không dòng nào của tệp hợp lệ nên tệp không được áp dụng; số liệu đã có được giữ nguyên. "
		    "Sửa các lỗi dưới đây rồi gửi lại tệp",
		    "no row of the file is valid, so the file is not applied; the figures in place are kept. "
		    "Fix the errors below and send the file again");
		{ /* the whole-file error first */
			receipt_error_t whole = a.errors[a.nerrors - 1];

			memmove(a.errors + 1, a.errors, (size_t)(a.nerrors - 1) * sizeof(*a.errors));
			a.errors[0] = whole;
		}
	}
	if (end->dry_run) { /* nothing of the rows stays: only the receipt and the outcome */
		if (a.ins != NULL)
			sqlite3_reset(a.ins);
		if (store_exec(w->store, "ROLLBACK TO dry_run; RELEASE dry_run") != 0) {
			s_store_fail(&a, "dry run");
			goto out;
		}
	}
	{
		int none = a.applied == 0 && a.rejected > 0;
		const char *status = none ? "rejected" : "applied";
		receipt_t r = { .file = end->name, .agency = end->agency, .type = end->rtype, .sha256 = end->file_id,
			.encoding = end->encoding, .status = end->dry_run ? "checked" : status, .dry_run = end->dry_run,
			.would_be = end->dry_run ? status : NULL, .received_at = end->received_at,
			.rows_read = a.applied + a.rejected, .rows_applied = a.applied, .rows_rejected = a.rejected,
			.rows_duplicate = a.duplicates, .nunknown = (int)end->nunknown, .unknown_columns = end->unknown_columns,
			.hints = a.cols.hints, .nerrors = a.nerrors, .errors = a.errors };

		if (agg_record_outcome(w, end, &r, end->dry_run ? "checked" : status, none ? "E_FILE_NO_VALID_ROWS" : NULL,
		    none ? "no row is valid" : NULL) != 0) {
			s_store_fail(&a, "recording the file");
			goto out;
		}
		res->none_applied = none;
	}
	if (!res->none_applied && !end->dry_run && agg_recompute(w, end->rtype, a.periods, a.nperiods) != 0) {
		s_store_fail(&a, "recomputing the indicators");
		goto out;
	}
	res->kind = AGG_APPLIED;
	res->applied = a.applied;
	res->rejected = a.rejected;
	res->duplicates = a.duplicates;
	res->rechecked = a.rechecked;
	res->apply_ms = t2 - t0;
	res->sort_ms = t2 - t1;
	res->early = early;
	rc = 0;
out:
	if (rc != 0 && res->kind == AGG_APPLIED)
		res->kind = AGG_TRANSIENT;
	s_apply_free(&a);
	agg_early_ended(w, end->file_no, end->file_id); /* applied or not, it is taken from staging if tried again */
	return rc;
}
