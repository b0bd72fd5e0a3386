/* apply - apply one complete file to the record tables in one transaction.
 *
 * A reader of the aggregate database sees a file's effect whole or not at
 * all. Snapshot types (DOMAIN.md section 4) first delete what the same agency
 * sent earlier for every period the file contains; registry types upsert by
 * key. Within a file the first valid row of a key wins; later rows with the
 * same key are rejected as duplicates naming the first row's line. Files are
 * applied in ingest's order (file_no), so a later snapshot always wins. */
#include "aggregate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "outbox.h"
#include "receipt.h"
#include "xalloc.h"

#define ORDER_WAIT_MS 60000 /* how long a file waits for an earlier one that never comes */

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
	"  WITHOUT ROWID;"
};
const int aggregate_nmigrations = 3;

typedef struct {
	worker_t *w;
	const cfg_rtype_t *rt;
	msg_file_end_t *end;
	sqlite3_stmt *ins;
	int *bindmap;         /* parameter i -> field index, -1 agency, -2 file_id */
	int nbind;
	char **periods;       /* snapshot periods already cleared */
	int nperiods;
	int period_field;
	receipt_error_t *errors;
	uint64_t nerrors, caperrors;
	uint64_t applied, duplicates, rejected;
} s_apply_t;

static int64_t s_blocked_since;

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
 * schema share; fields the table lacks are validated but not stored. */
static int
s_prepare_insert(s_apply_t *a)
{
	sqlite3 *db = store_db(a->w->store);
	sb_t cols, qs;
	int rc;

	sb_init(&cols);
	sb_init(&qs);
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
		sb_addf(&cols, "%s%s", a->nbind ? ", " : "", a->rt->fields[i].name);
		sb_add(&qs, a->nbind ? ", ?" : "?");
		a->bindmap[a->nbind++] = i;
	}
	{
		sb_t sql;

		sb_init(&sql);
		sb_addf(&sql, "INSERT OR REPLACE INTO %s (%s) VALUES (%s)", a->rt->name, cols.data, qs.data);
		rc = sqlite3_prepare_v2(db, sql.data, -1, &a->ins, NULL);
		if (rc != SQLITE_OK)
			worker_error(a->w, "no table for record type '%s': %s", a->rt->name, sqlite3_errmsg(db));
		sb_free(&sql);
	}
	sb_free(&cols);
	sb_free(&qs);
	return rc == SQLITE_OK ? 0 : -1;
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
	e->field = field ? xstrdup(field) : NULL;
	e->code = xstrdup(code);
	e->message_vi = xstrdup(vi ? vi : "");
	e->message_en = xstrdup(en ? en : "");
}

/* s_clear_period - a snapshot's first row of a period deletes the old snapshot. */
static int
s_clear_period(s_apply_t *a, const char *period)
{
	sqlite3_stmt *st;
	char sql[200];
	int rc;

	for (int i = 0; i < a->nperiods; i++)
		if (strcmp(a->periods[i], period) == 0)
			return 0;
	a->periods = xrealloc(a->periods, sizeof(char *) * (size_t)(a->nperiods + 1));
	a->periods[a->nperiods++] = xstrdup(period);
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE agency = ? AND period = ?", a->rt->name);
	if (sqlite3_prepare_v2(store_db(a->w->store), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, a->end->agency, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, period, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	return rc;
}

/* s_first_line - 0 if the key is new (and records it), else the first line. */
static int64_t
s_first_line(s_apply_t *a, const msg_row_t *r)
{
	sqlite3_stmt *st = store_stmt(a->w->store, "INSERT OR IGNORE INTO temp.seen(k, line) VALUES (?, ?)");
	sb_t k;
	int64_t line = 0;

	sb_init(&k);
	for (int i = 0; i < a->rt->nkey; i++) {
		sb_add(&k, r->values[a->rt->key[i]]);
		sb_add(&k, "\x1f");
	}
	sqlite3_bind_text(st, 1, k.data ? k.data : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, r->line);
	store_step_done(a->w->store, st);
	if (sqlite3_changes(store_db(a->w->store)) == 0) {
		st = store_stmt(a->w->store, "SELECT line FROM temp.seen WHERE k = ?");
		sqlite3_bind_text(st, 1, k.data ? k.data : "", -1, SQLITE_TRANSIENT);
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
			sqlite3_bind_int64(st, p, atoll(v));
		break;
	case FT_PCT:
		if (v[0] == '\0')
			sqlite3_bind_null(st, p);
		else
			sqlite3_bind_double(st, p, atof(v));
		break;
	default:
		sqlite3_bind_text(st, p, v, -1, SQLITE_STATIC);
	}
}

/* s_apply_row - one good row: duplicate check, snapshot clearing, insert. */
static int
s_apply_row(s_apply_t *a, const msg_row_t *r)
{
	int64_t first;
	char vi[160], en[160];

	if (r->nvalues != (uint32_t)a->rt->nfields) {
		s_add_error(a, r->line, NULL, "E_INTERNAL", "lỗi nội bộ", "internal error");
		a->rejected++;
		return 0;
	}
	first = s_first_line(a, r);
	if (first > 0) {
		snprintf(vi, sizeof(vi), "trùng khóa với dòng %lld; chỉ dòng đầu tiên được dùng", (long long)first);
		snprintf(en, sizeof(en), "same key as line %lld; only the first row is used", (long long)first);
		s_add_error(a, r->line, a->rt->fields[a->rt->key[0]].name, "E_DUPLICATE_KEY", vi, en);
		a->duplicates++;
		a->rejected++;
		return 0;
	}
	if (a->rt->apply == APPLY_SNAPSHOT && a->period_field >= 0 &&
	    s_clear_period(a, r->values[a->period_field]) != 0)
		return -1;
	sqlite3_reset(a->ins);
	for (int p = 0; p < a->nbind; p++) {
		int fi = a->bindmap[p];

		if (fi == -1)
			sqlite3_bind_text(a->ins, p + 1, a->end->agency, -1, SQLITE_STATIC);
		else if (fi == -2)
			sqlite3_bind_text(a->ins, p + 1, a->end->file_id, -1, SQLITE_STATIC);
		else
			s_bind_value(a->ins, p + 1, &a->rt->fields[fi], r->values[fi]);
	}
	if (sqlite3_step(a->ins) != SQLITE_DONE) {
		worker_error(a->w, "insert into %s failed: %s", a->rt->name, sqlite3_errmsg(store_db(a->w->store)));
		return -1;
	}
	a->applied++;
	return 0;
}

/* s_apply_batches - every batch of the file, in order. */
static int
s_apply_batches(s_apply_t *a)
{
	for (uint32_t seq = 0; seq < a->end->nbatches; seq++) {
		sqlite3_stmt *st = store_stmt(a->w->store, "SELECT body FROM staged_batch WHERE file_id = ? AND seq = ?");
		char err[160];
		msg_t m;
		int rc = 0;

		sqlite3_bind_text(st, 1, a->end->file_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, seq);
		if (sqlite3_step(st) != SQLITE_ROW ||
		    msg_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &m, err, sizeof(err)) != 0) {
			sqlite3_reset(st);
			worker_error(a->w, "staged batch %u of %.12s unreadable", seq, a->end->file_id);
			return -1;
		}
		sqlite3_reset(st);
		for (uint32_t i = 0; i < m.u.batch.nrows && rc == 0; i++) {
			const msg_row_t *r = &m.u.batch.rows[i];

			if (r->err_code != NULL) {
				s_add_error(a, r->line, r->err_field, r->err_code, r->err_vi, r->err_en);
				a->rejected++;
			} else {
				rc = s_apply_row(a, r);
			}
		}
		msg_free(&m);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* s_drop_staging - forget the staged batches and end of a file. */
static int
s_drop_staging(store_t *store, const char *file_id)
{
	sqlite3_stmt *st = store_stmt(store, "DELETE FROM staged_batch WHERE file_id = ?");

	sqlite3_bind_text(st, 1, file_id, -1, SQLITE_STATIC);
	if (store_step_done(store, st) != 0)
		return -1;
	st = store_stmt(store, "DELETE FROM staged_end WHERE file_id = ?");
	sqlite3_bind_text(st, 1, file_id, -1, SQLITE_STATIC);
	return store_step_done(store, st);
}

/* s_record_file - the files row with the receipt, and the staging cleared. */
static int
s_record_file(s_apply_t *a)
{
	receipt_t r = { .file = a->end->name, .agency = a->end->agency, .type = a->end->rtype,
		.sha256 = a->end->file_id, .status = "applied", .received_at = a->end->received_at,
		.rows_read = a->end->rows_read, .rows_applied = a->applied, .rows_rejected = a->rejected,
		.rows_duplicate = a->duplicates, .nunknown = (int)a->end->nunknown,
		.unknown_columns = a->end->unknown_columns, .nerrors = a->nerrors, .errors = a->errors };
	sqlite3_stmt *st = store_stmt(a->w->store,
	    "INSERT OR REPLACE INTO files(file_id, file_no, agency, rtype, name, received_at, applied_at, rows_read,"
	    " rows_applied, rows_rejected, rows_duplicate, receipt, receipt_text)"
	    " VALUES (?,?,?,?,?,?, strftime('%s','now'),?,?,?,?,?,?)");
	sb_t b, t;
	int rc;

	if (a->applied + a->rejected != a->end->rows_read)
		log_warn("%s: rows read %llu but applied %llu + rejected %llu", a->end->name,
		    (unsigned long long)a->end->rows_read, (unsigned long long)a->applied,
		    (unsigned long long)a->rejected);
	sb_init(&b);
	sb_init(&t);
	receipt_json(&b, &r);
	receipt_text(&t, &r);
	sqlite3_bind_text(st, 1, a->end->file_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)a->end->file_no);
	sqlite3_bind_text(st, 3, a->end->agency, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->end->rtype, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->end->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, a->end->received_at);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)a->end->rows_read);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)a->applied);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)a->rejected);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)a->duplicates);
	sqlite3_bind_text(st, 11, b.data, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, t.data, -1, SQLITE_STATIC);
	rc = store_step_done(a->w->store, st);
	sb_free(&b);
	sb_free(&t);
	if (rc != 0 || s_drop_staging(a->w->store, a->end->file_id) != 0)
		return -1;
	st = store_stmt(a->w->store, "UPDATE meta SET value = max(value, ?) WHERE key = 'last_file_no'");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)a->end->file_no);
	return store_step_done(a->w->store, st);
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
	if (a->ins != NULL)
		sqlite3_finalize(a->ins);
}

/* s_apply_file - apply the file whose end is m, all in one transaction. */
static int
s_apply_file(worker_t *w, msg_file_end_t *end)
{
	s_apply_t a = { .w = w, .end = end, .period_field = -1 };
	int64_t t0 = now_ms(), t1 = 0;
	int already;

	a.rt = config_rtype(w->config, end->rtype);
	if (store_begin(w->store) != 0)
		return -1;
	{
		sqlite3_stmt *st = store_stmt(w->store, "SELECT 1 FROM files WHERE file_id = ?");

		sqlite3_bind_text(st, 1, end->file_id, -1, SQLITE_STATIC);
		already = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
	}
	if (already) { /* a resent end of a file applied before: drop the staging */
		log_info("%s: already applied; staging dropped", end->name);
		if (s_drop_staging(w->store, end->file_id) != 0)
			goto fail;
	} else if (a.rt == NULL) {
		worker_error(w, "%s: record type '%s' is not configured here", end->name, end->rtype);
		goto fail;
	} else {
		a.period_field = config_field_index(a.rt, "period");
		if (store_exec(w->store, "CREATE TEMP TABLE IF NOT EXISTS seen (k TEXT PRIMARY KEY, line INTEGER);"
		    "DELETE FROM temp.seen;") != 0 || s_prepare_insert(&a) != 0 || s_apply_batches(&a) != 0)
			goto fail;
		t1 = now_ms();
		if (s_record_file(&a) != 0 || agg_recompute(w, end->rtype, a.periods, a.nperiods) != 0)
			goto fail;
	}
	if (store_commit(w->store) != 0)
		goto fail;
	if (!already)
		log_info("%s/%s: applied %llu rows, rejected %llu (%llu duplicates) in %lld ms (recompute and commit %lld ms)",
		    end->agency, end->name, (unsigned long long)a.applied, (unsigned long long)a.rejected,
		    (unsigned long long)a.duplicates, (long long)(now_ms() - t0), (long long)(now_ms() - t1));
	s_apply_free(&a);
	return 1;
fail:
	store_rollback(w->store);
	s_apply_free(&a);
	return -1;
}

/* agg_apply_ready - the next staged file, in ingest's order, once complete. */
int
agg_apply_ready(worker_t *w)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT file_id, file_no, body FROM staged_end ORDER BY file_no LIMIT 1");
	long long last = store_int(w->store, "SELECT value FROM meta WHERE key = 'last_file_no'", 0);
	char err[160];
	msg_t m;
	long long have;
	int rc;

	if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
		if (st != NULL)
			sqlite3_reset(st);
		return 0;
	}
	if (msg_decode(sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2), &m, err, sizeof(err)) != 0) {
		sqlite3_reset(st);
		worker_error(w, "staged file end unreadable: %s", err);
		return -1;
	}
	sqlite3_reset(st);
	st = store_stmt(w->store, "SELECT count(*) FROM staged_batch WHERE file_id = ?");
	sqlite3_bind_text(st, 1, m.u.end.file_id, -1, SQLITE_STATIC);
	have = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	rc = 0;
	if (have == (long long)m.u.end.nbatches) {
		if ((long long)m.u.end.file_no > last + 1) {
			/* an earlier file is still on its way (several validators) */
			if (s_blocked_since == 0)
				s_blocked_since = now_ms();
			if (now_ms() - s_blocked_since < ORDER_WAIT_MS)
				goto out;
			log_warn("%s: file %llu never arrived; applying %llu", m.u.end.name, last + 1,
			    (unsigned long long)m.u.end.file_no);
		}
		s_blocked_since = 0;
		rc = s_apply_file(w, &m.u.end);
	}
out:
	msg_free(&m);
	return rc;
}

/* agg_write_pending_receipts - receipts committed with their file, written out now
 * (again after a restart if the worker stopped in between). */
void
agg_write_pending_receipts(worker_t *w)
{
	sqlite3_stmt *st = store_stmt(w->store,
	    "SELECT file_id, agency, name, received_at, receipt, receipt_text FROM files WHERE receipt_written = 0");
	char path[4600];

	while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		sqlite3_stmt *up;

		if (receipt_write_rendered(w->var_dir, (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3),
		    (const char *)sqlite3_column_text(st, 4), (const char *)sqlite3_column_text(st, 5),
		    path, sizeof(path)) != 0) {
			worker_error(w, "cannot write receipt %s", path);
			break;
		}
		up = store_stmt(w->store, "UPDATE files SET receipt_written = 1 WHERE file_id = ?");
		sqlite3_bind_text(up, 1, (const char *)sqlite3_column_text(st, 0), -1, SQLITE_TRANSIENT);
		store_step_done(w->store, up);
	}
	if (st != NULL)
		sqlite3_reset(st);
}
