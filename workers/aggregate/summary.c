/* summary - the figures of the monthly summary, sent to the alert worker as
 * a MSG_T_SUMMARY message whenever the reports are rewritten: the alert
 * worker keeps the latest and writes the summary from it, so that no process
 * opens another's database.
 *
 * Units: every unit of the configured tree in its order, with the coverage
 * of the latest month with a coverage figure and of the month before.
 * Employers: the open final employer findings (not_enrolled,
 * under_declared, arrears, low_wage_basis), most severe and largest first,
 * at most SUMMARY_EMPLOYERS. Agencies: the latest month of each agency's
 * monthly data, and the expected submissions that have none. */
#include "aggregate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "xalloc.h"

#define SUMMARY_EMPLOYERS 50

typedef struct {
	char **cells;
	uint32_t n, cap;
} s_cells_t;

/* s_put - append a copy of v ("" for NULL). */
static void
s_put(s_cells_t *c, const char *v)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->cells = xrealloc(c->cells, c->cap * sizeof(char *));
	}
	c->cells[c->n++] = xstrdup(v != NULL ? v : "");
}

/* s_put_col - append column i of st as text. */
static void
s_put_col(s_cells_t *c, sqlite3_stmt *st, int i)
{
	s_put(c, st != NULL ? (const char *)sqlite3_column_text(st, i) : NULL);
}

/* s_put_num - append a number without a needless fraction. */
static void
s_put_num(s_cells_t *c, double v)
{
	char buf[64];

	if (v == (double)(long long)v)
		snprintf(buf, sizeof(buf), "%lld", (long long)v);
	else
		snprintf(buf, sizeof(buf), "%.2f", v);
	s_put(c, buf);
}

static void
s_cells_free(s_cells_t *c)
{
	for (uint32_t i = 0; i < c->n; i++)
		free(c->cells[i]);
	free(c->cells);
}

/* s_units - one row per configured unit. */
static int
s_units(worker_t *w, const char *period, const char *prev, s_cells_t *c)
{
	const config_t *cfg = w->config;
	sqlite3_stmt *st = store_stmt(w->store,
	    "SELECT labor_force, bhxh_participants, bhtn_participants, bhxh_coverage_pct, bhtn_coverage_pct,"
	    " target_bhxh_pct, target_bhtn_pct FROM coverage WHERE org_unit = ? AND period = ?");
	sqlite3_stmt *pv = store_stmt(w->store,
	    "SELECT bhxh_coverage_pct, bhtn_coverage_pct FROM coverage WHERE org_unit = ? AND period = ?");

	if (st == NULL || pv == NULL)
		return -1;
	for (int u = 0; u < cfg->nunits; u++) {
		int has, hasp;

		sqlite3_bind_text(st, 1, cfg->units[u].code, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, period, -1, SQLITE_STATIC);
		sqlite3_bind_text(pv, 1, cfg->units[u].code, -1, SQLITE_STATIC);
		sqlite3_bind_text(pv, 2, prev, -1, SQLITE_STATIC);
		has = sqlite3_step(st) == SQLITE_ROW;
		hasp = sqlite3_step(pv) == SQLITE_ROW;
		s_put(c, cfg->units[u].code);
		s_put(c, cfg->units[u].name);
		s_put(c, cfg->units[u].parent >= 0 ? cfg->units[cfg->units[u].parent].code : "");
		for (int i = 0; i < 7; i++)
			s_put_col(c, has ? st : NULL, i);
		s_put_col(c, hasp ? pv : NULL, 0);
		s_put_col(c, hasp ? pv : NULL, 1);
		sqlite3_reset(st);
		sqlite3_reset(pv);
	}
	return 0;
}

/* s_employers - the open final employer findings, most severe and largest first. */
static int
s_employers(worker_t *w, s_cells_t *c)
{
	sqlite3_stmt *st = store_stmt(w->store,
	    "SELECT kind, subject, name, org_unit, severity, value, last_period, COALESCE(since, last_period)"
	    " FROM finding_state WHERE open = 1"
	    " AND kind IN ('not_enrolled', 'under_declared', 'arrears', 'low_wage_basis')"
	    " ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'major' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END,"
	    " value DESC, kind, subject LIMIT 50"); /* SUMMARY_EMPLOYERS */
	uint32_t rows = 0;

	if (st == NULL)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW && rows < SUMMARY_EMPLOYERS) {
		char kind[32], subject[64], period[8];
		double workers = 0, amount = 0;

		snprintf(kind, sizeof(kind), "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(subject, sizeof(subject), "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(period, sizeof(period), "%s", (const char *)sqlite3_column_text(st, 6));
		for (int i = 0; i < 5; i++)
			s_put_col(c, st, i);
		s_put_num(c, sqlite3_column_double(st, 5));
		/* the statement stays on its row: agg_stakes uses other statements */
		agg_stakes(w, kind, subject, period, sqlite3_column_double(st, 5), &workers, &amount);
		s_put_num(c, workers);
		s_put_num(c, amount);
		s_put_col(c, st, 7);
		rows++;
	}
	sqlite3_reset(st);
	return 0;
}

/* s_agencies - the latest month of each agency's monthly data; expected
 * submissions without any, with an empty month. */
static int
s_agencies(worker_t *w, s_cells_t *c)
{
	const cfg_findings_t *f = w->config->findings;
	sqlite3_stmt *st = store_stmt(w->store,
	    "SELECT agency, rtype, MAX(period) FROM snapshot_src GROUP BY agency, rtype ORDER BY agency, rtype");
	sqlite3_stmt *one = store_stmt(w->store, "SELECT 1 FROM snapshot_src WHERE agency = ? AND rtype = ? LIMIT 1");

	if (st == NULL || one == NULL)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW)
		for (int i = 0; i < 3; i++)
			s_put_col(c, st, i);
	sqlite3_reset(st);
	for (int i = 0; i < f->nexpected; i++) {
		sqlite3_bind_text(one, 1, f->expected[i].agency, -1, SQLITE_STATIC);
		sqlite3_bind_text(one, 2, f->expected[i].type, -1, SQLITE_STATIC);
		if (sqlite3_step(one) != SQLITE_ROW) {
			s_put(c, f->expected[i].agency);
			s_put(c, f->expected[i].type);
			s_put(c, "");
		}
		sqlite3_reset(one);
	}
	return 0;
}

/* agg_send_summary - see aggregate.h. */
int
agg_send_summary(worker_t *w)
{
	msg_t m = { .version = MSG_VERSION, .type = MSG_T_SUMMARY };
	s_cells_t units = { 0 }, emp = { 0 }, ag = { 0 };
	char period[16] = "", prev[32] = "";
	sqlite3_stmt *st;
	int rc = -1;

	if (w->outbox == NULL)
		return 0;
	if (store_begin(w->store) != 0)
		return -1;
	st = store_stmt(w->store, "SELECT MAX(period) FROM coverage WHERE bhxh_coverage_pct IS NOT NULL");
	if (st == NULL)
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		snprintf(period, sizeof(period), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (period[0] != '\0') {
		int y = atoi(period), mo = atoi(period + 5);

		snprintf(prev, sizeof(prev), "%04d-%02d", mo == 1 ? y - 1 : y, mo == 1 ? 12 : mo - 1);
	}
	if (s_units(w, period, prev, &units) != 0 || s_employers(w, &emp) != 0 || s_agencies(w, &ag) != 0)
		goto out;
	m.u.summary.period = period;
	m.u.summary.generated_at = (int64_t)time(NULL) * 1000;
	m.u.summary.units = (msg_table_t){ MSG_SUMMARY_UNIT_COLS, units.n / MSG_SUMMARY_UNIT_COLS, units.cells };
	m.u.summary.employers = (msg_table_t){ MSG_SUMMARY_EMPLOYER_COLS, emp.n / MSG_SUMMARY_EMPLOYER_COLS,
		emp.cells };
	m.u.summary.agencies = (msg_table_t){ MSG_SUMMARY_AGENCY_COLS, ag.n / MSG_SUMMARY_AGENCY_COLS, ag.cells };
	if (outbox_put(w->outbox, &m) != 0)
		goto out;
	rc = store_commit(w->store);
out:
	if (rc != 0)
		store_rollback(w->store);
	s_cells_free(&units);
	s_cells_free(&emp);
	s_cells_free(&ag);
	return rc;
}
