/* coverage - the indicators of DOMAIN.md section 5, per org unit and month,
 * and the report files.
 *
 * Participants are counted as distinct insurance numbers over a unit's whole
 * subtree (unit_tree is the closure of the configured tree, each unit being
 * its own descendant), never by adding up children. Percentages are rounded
 * half away from zero to 2 decimals with integer arithmetic, so 1/8 gives
 * 12.50 exactly. */
#include "aggregate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "log.h"
#include "report.h"

/* agg_units_sync - rewrite unit and unit_tree from the configuration. */
int
agg_units_sync(worker_t *w)
{
	const config_t *c = w->config;

	if (store_begin(w->store) != 0 || store_exec(w->store, "DELETE FROM unit; DELETE FROM unit_tree;") != 0)
		goto fail;
	for (int i = 0; i < c->nunits; i++) {
		sqlite3_stmt *st = store_stmt(w->store,
		    "INSERT INTO unit(code, name, parent, depth, leaf, ord) VALUES (?,?,?,?,?,?)");

		sqlite3_bind_text(st, 1, c->units[i].code, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, c->units[i].name, -1, SQLITE_STATIC);
		if (c->units[i].parent >= 0)
			sqlite3_bind_text(st, 3, c->units[c->units[i].parent].code, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, c->units[i].depth);
		sqlite3_bind_int(st, 5, c->units[i].nchildren == 0);
		sqlite3_bind_int(st, 6, i);
		if (store_step_done(w->store, st) != 0)
			goto fail;
		for (int a = i; a >= 0; a = c->units[a].parent) {
			st = store_stmt(w->store, "INSERT INTO unit_tree(ancestor, descendant) VALUES (?, ?)");
			sqlite3_bind_text(st, 1, c->units[a].code, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, c->units[i].code, -1, SQLITE_STATIC);
			if (store_step_done(w->store, st) != 0)
				goto fail;
		}
	}
	if (agg_recompute(w) != 0 || store_commit(w->store) != 0)
		goto fail;
	return 0;
fail:
	store_rollback(w->store);
	return -1;
}

/* s_pct - 100*n/d in hundredths, half away from zero; "" when d <= 0. */
static void
s_pct(char *buf, size_t size, long long n, long long d)
{
	long long h;

	if (d <= 0) {
		buf[0] = '\0';
		return;
	}
	h = (2 * n * 10000 + d) / (2 * d);
	snprintf(buf, size, "%lld.%02lld", h / 100, h % 100);
}

/* s_pct2 - a real percentage with 2 decimals, half away from zero. */
static void
s_pct2(char *buf, size_t size, double v)
{
	long long h = llround(v * 100.0 + (v >= 0 ? 1e-9 : -1e-9));

	snprintf(buf, size, "%s%lld.%02lld", h < 0 ? "-" : "", llabs(h) / 100, llabs(h) % 100);
}

/* s_target_row - the target row of (unit, year): 1 and values if present. */
static int
s_target_row(worker_t *w, const char *unit, int year, double *bhxh, double *bhtn)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT bhxh_pct, bhtn_pct FROM target WHERE org_unit = ? AND year = ?");
	int found;

	sqlite3_bind_text(st, 1, unit, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, year);
	found = sqlite3_step(st) == SQLITE_ROW;
	if (found) {
		*bhxh = sqlite3_column_double(st, 0);
		*bhtn = sqlite3_column_double(st, 1);
	}
	sqlite3_reset(st);
	return found;
}

/* s_first_measured - first year with measured coverage of a unit, and that
 * year's latest-month coverage; 0 if none. */
static int
s_first_measured(worker_t *w, const char *unit, int *year, double *bhxh, double *bhtn)
{
	sqlite3_stmt *st = store_stmt(w->store,
	    "SELECT CAST(substr(period, 1, 4) AS INTEGER) AS y, bhxh_participants, bhtn_participants, labor_force"
	    " FROM coverage WHERE org_unit = ? AND labor_force IS NOT NULL ORDER BY y ASC, period DESC LIMIT 1");
	int found;

	sqlite3_bind_text(st, 1, unit, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	if (found) {
		double lf = (double)sqlite3_column_int64(st, 3);

		*year = sqlite3_column_int(st, 0);
		*bhxh = 100.0 * (double)sqlite3_column_int64(st, 1) / lf;
		*bhtn = 100.0 * (double)sqlite3_column_int64(st, 2) / lf;
	}
	sqlite3_reset(st);
	return found;
}

/* s_target - target(U,Y): own row, else nearest ancestor's, else the goal path. */
static void
s_target(worker_t *w, int u, int year, double *bhxh, double *bhtn)
{
	const config_t *c = w->config;
	int y0;
	double c0x, c0t;

	for (int a = u; a >= 0; a = c->units[a].parent)
		if (s_target_row(w, c->units[a].code, year, bhxh, bhtn))
			return;
	*bhxh = c->goal.bhxh_pct;
	*bhtn = c->goal.bhtn_pct;
	if (year >= c->goal.year || !s_first_measured(w, c->units[u].code, &y0, &c0x, &c0t) || y0 >= c->goal.year)
		return;
	if (year <= y0) {
		*bhxh = c0x;
		*bhtn = c0t;
		return;
	}
	*bhxh = c0x + (c->goal.bhxh_pct - c0x) * (year - y0) / (c->goal.year - y0);
	*bhtn = c0t + (c->goal.bhtn_pct - c0t) * (year - y0) / (c->goal.year - y0);
}

/* agg_recompute - rebuild coverage for every unit and month with participant data,
 * then the findings. */
int
agg_recompute(worker_t *w)
{
	sqlite3_stmt *st;

	if (store_exec(w->store,
	    "DELETE FROM coverage;"
	    "WITH periods AS (SELECT DISTINCT period FROM participant),"
	    " counts AS (SELECT t.ancestor AS u, p.period AS period, COUNT(DISTINCT p.insurance_no) AS n,"
	    "   COUNT(DISTINCT CASE WHEN p.scheme = 'compulsory' THEN p.insurance_no END) AS c,"
	    "   COUNT(DISTINCT CASE WHEN p.unemployment = 1 THEN p.insurance_no END) AS b"
	    "   FROM participant p JOIN unit_tree t ON t.descendant = p.org_unit GROUP BY t.ancestor, p.period),"
	    " leaves AS (SELECT t.ancestor AS u, COUNT(*) AS k FROM unit_tree t JOIN unit x"
	    "   ON x.code = t.descendant AND x.leaf = 1 GROUP BY t.ancestor),"
	    " lf AS (SELECT t.ancestor AS u, l.year AS year, SUM(l.labor_force) AS s, COUNT(*) AS k"
	    "   FROM labor_force l JOIN unit x ON x.code = l.org_unit AND x.leaf = 1"
	    "   JOIN unit_tree t ON t.descendant = l.org_unit GROUP BY t.ancestor, l.year)"
	    " INSERT INTO coverage(org_unit, period, labor_force, bhxh_participants, compulsory, voluntary,"
	    "   bhtn_participants)"
	    " SELECT un.code, pe.period, CASE WHEN lf.k = le.k THEN lf.s END, COALESCE(c.n, 0), COALESCE(c.c, 0),"
	    "   COALESCE(c.n, 0) - COALESCE(c.c, 0), COALESCE(c.b, 0)"
	    " FROM unit un CROSS JOIN periods pe"
	    " LEFT JOIN counts c ON c.u = un.code AND c.period = pe.period"
	    " LEFT JOIN leaves le ON le.u = un.code"
	    " LEFT JOIN lf ON lf.u = un.code AND lf.year = CAST(substr(pe.period, 1, 4) AS INTEGER);") != 0)
		return -1;
	st = store_stmt(w->store, "SELECT rowid, org_unit, period, labor_force, bhxh_participants, bhtn_participants"
	    " FROM coverage");
	while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		sqlite3_stmt *up = store_stmt(w->store, "UPDATE coverage SET bhxh_coverage_pct = ?, bhtn_coverage_pct = ?,"
		    " target_bhxh_pct = ?, target_bhtn_pct = ? WHERE rowid = ?");
		int u = config_unit_index(w->config, (const char *)sqlite3_column_text(st, 1));
		int year = atoi((const char *)sqlite3_column_text(st, 2));
		long long lf = sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 3);
		char px[32], pt[32], tx[32], tt[32];
		double gx, gt;

		s_pct(px, sizeof(px), sqlite3_column_int64(st, 4), lf);
		s_pct(pt, sizeof(pt), sqlite3_column_int64(st, 5), lf);
		s_target(w, u, year, &gx, &gt);
		s_pct2(tx, sizeof(tx), gx);
		s_pct2(tt, sizeof(tt), gt);
		sqlite3_bind_text(up, 1, px[0] ? px : NULL, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(up, 2, pt[0] ? pt : NULL, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(up, 3, tx, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(up, 4, tt, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 5, sqlite3_column_int64(st, 0));
		if (store_step_done(w->store, up) != 0) {
			sqlite3_reset(st);
			return -1;
		}
	}
	if (st != NULL)
		sqlite3_reset(st);
	return agg_findings(w);
}

/* s_write_one - render one report (0 coverage, 1 findings, 2 dashboard) and
 * replace its file atomically. */
static void
s_write_one(worker_t *w, int findings, report_format_t f, const char *file)
{
	char path[4200];
	sb_t b;
	int rc;

	sb_init(&b);
	rc = findings == 2 ? report_dashboard(store_db(w->store), &b)
	    : findings ? report_findings(store_db(w->store), NULL, NULL, f, &b)
	    : report_coverage(store_db(w->store), NULL, NULL, f, &b);
	snprintf(path, sizeof(path), "%s/reports/%s", w->var_dir, file);
	if (rc != 0 || fs_write_atomic(path, b.data ? b.data : "", b.len) != 0)
		worker_error(w, "cannot write %s", path);
	sb_free(&b);
}

/* agg_write_reports - coverage and findings, CSV and JSON, and the dashboard, in VAR/reports/. */
void
agg_write_reports(worker_t *w)
{
	char dir[4200];

	snprintf(dir, sizeof(dir), "%s/reports", w->var_dir);
	fs_mkdirs(dir);
	s_write_one(w, 0, REPORT_CSV, "coverage.csv");
	s_write_one(w, 0, REPORT_JSON, "coverage.json");
	s_write_one(w, 1, REPORT_CSV, "findings.csv");
	s_write_one(w, 1, REPORT_JSON, "findings.json");
	s_write_one(w, 2, REPORT_CSV, "index.html");
}
