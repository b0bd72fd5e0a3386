/* coverage - the indicators of docs/DOMAIN.md §5, per org unit and month,
 * and the report files.
 *
 * Participants are counted as distinct insurance numbers over a unit's whole
 * subtree, never by adding up children: one pass per period over the rows in
 * person order (s_count_period). After a file only the periods it touched
 * are counted again (temp.dirty, s_dirty); the rest is cheap and redone. Percentages are rounded
 * half away from zero to 2 decimals with integer arithmetic, so 1/8 gives
 * 12.50 exactly. */
#include "aggregate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard.h"
#include "fsutil.h"
#include "log.h"
#include "report.h"
#include "xalloc.h"

/* agg_units_sync - rewrite unit and unit_tree from the configuration. */
int
agg_units_sync(worker_t *w)
{
	const config_t *c = w->config;
	agg_t *ag = w->state;
	long long unknown;

	if (store_begin(w->store) != 0 || agg_tree_moves(w) < 0 || agg_tree_before(w) != 0 ||
	    store_exec(w->store, "DELETE FROM unit; DELETE FROM unit_tree;") != 0)
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
	if (agg_tree_after(w) != 0 || agg_recompute(w, NULL, NULL, 0) != 0 ||
	    store_exec(w->store, "DELETE FROM temp.tree_moved;") != 0 ||
	    (unknown = agg_tree_unknown(w, ag->unknown_codes, sizeof(ag->unknown_codes))) < 0 ||
	    store_commit(w->store) != 0)
		goto fail;
	ag->unknown_units = unknown;
	if (unknown > 0)
		log_warn("history holds rows of %lld org unit code%s the tree does not have (%s): they count in no unit"
		    " and their findings are held; map them under org_unit_moves or keep them in org_units", unknown,
		    unknown == 1 ? "" : "s", ag->unknown_codes);
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
	long long h;

	if (!isfinite(v) || fabs(v) > 1e12) { /* never from a checked row; no undefined llabs */
		buf[0] = '\0';
		return;
	}
	h = llround(v * 100.0 + (v >= 0 ? 1e-9 : -1e-9));
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

/* s_first_measured - per unit, the first year with measured coverage and
 * that year's latest-month coverage (year 0: none); one query per unit. */
static int
s_first_measured(worker_t *w, int *year, double *bhxh, double *bhtn)
{
	const config_t *c = w->config;

	for (int u = 0; u < c->nunits; u++) {
		sqlite3_stmt *st = store_stmt(w->store,
		    "SELECT CAST(substr(period, 1, 4) AS INTEGER) AS y, bhxh_participants, bhtn_participants, labor_force"
		    " FROM coverage WHERE org_unit = ? AND labor_force IS NOT NULL ORDER BY y ASC, period DESC LIMIT 1");

		if (st == NULL)
			return -1;
		year[u] = 0;
		sqlite3_bind_text(st, 1, c->units[u].code, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			double lf = (double)sqlite3_column_int64(st, 3);

			year[u] = sqlite3_column_int(st, 0);
			bhxh[u] = 100.0 * (double)sqlite3_column_int64(st, 1) / lf;
			bhtn[u] = 100.0 * (double)sqlite3_column_int64(st, 2) / lf;
		}
		sqlite3_reset(st);
	}
	return 0;
}

/* s_target - target(U,Y): own row, else nearest ancestor's, else the goal
 * path from the unit's first measured year y0 (coverage c0x, c0t there). */
static void
s_target(worker_t *w, int u, int year, int y0, double c0x, double c0t, double *bhxh, double *bhtn)
{
	const config_t *c = w->config;

	for (int a = u; a >= 0; a = c->units[a].parent)
		if (s_target_row(w, c->units[a].code, year, bhxh, bhtn))
			return;
	*bhxh = c->goal.bhxh_pct;
	*bhtn = c->goal.bhtn_pct;
	if (year >= c->goal.year || y0 == 0 || y0 >= c->goal.year)
		return;
	if (year <= y0) {
		*bhxh = c0x;
		*bhtn = c0t;
		return;
	}
	*bhxh = c0x + (c->goal.bhxh_pct - c0x) * (year - y0) / (c->goal.year - y0);
	*bhtn = c0t + (c->goal.bhtn_pct - c0t) * (year - y0) / (c->goal.year - y0);
}

/* s_dirty - fill temp.dirty(what, period) with what a file of type rtype can
 * change: 'participant' (coverage counts, agent months), 'agent' (idle_agent),
 * 'employer' (not_enrolled, under_declared, unregistered) and 'unit' (arrears,
 * low_wage_basis). Everything else derived (labour force, percentages,
 * targets, behind_target, off_track, missing_data) is small and recomputed
 * after every file. *full is set for rtype NULL or a type not known here. */
static int
s_dirty(worker_t *w, const char *rtype, char *const *periods, int nperiods, int *full)
{
	static const struct { const char *rtype, *what[2]; } per_period[] = {
		{ "participant", { "participant", NULL } },
		{ "tax_employer", { "employer", NULL } },
		{ "insured_unit", { "employer", "unit" } },
	};
	int known = rtype != NULL && (strcmp(rtype, "enterprise") == 0 || strcmp(rtype, "collection_agent") == 0 ||
	    strcmp(rtype, "labor_force") == 0 || strcmp(rtype, "target") == 0);

	if (store_exec(w->store, "CREATE TEMP TABLE IF NOT EXISTS dirty (what TEXT NOT NULL, period TEXT NOT NULL,"
	    " PRIMARY KEY (what, period)); DELETE FROM temp.dirty;") != 0)
		return -1;
	for (size_t i = 0; rtype != NULL && i < sizeof(per_period) / sizeof(per_period[0]); i++) {
		if (strcmp(rtype, per_period[i].rtype) != 0)
			continue;
		known = 1;
		for (int k = 0; k < 2 && per_period[i].what[k] != NULL; k++)
			for (int p = 0; p < nperiods; p++) {
				sqlite3_stmt *st = store_stmt(w->store, "INSERT OR IGNORE INTO temp.dirty VALUES (?, ?)");

				sqlite3_bind_text(st, 1, per_period[i].what[k], -1, SQLITE_STATIC);
				sqlite3_bind_text(st, 2, periods[p], -1, SQLITE_STATIC);
				if (store_step_done(w->store, st) != 0)
					return -1;
			}
	}
	*full = !known;
	/* types without a period, and idle_agent (a month's count runs back over
	 * earlier months): every period */
	if ((*full || strcmp(rtype, "enterprise") == 0) && store_exec(w->store,
	    "INSERT OR IGNORE INTO temp.dirty SELECT 'employer', period FROM " AGG_PERIODS("tax_employer") ";"
	    "INSERT OR IGNORE INTO temp.dirty SELECT 'employer', period FROM " AGG_PERIODS("insured_unit") ";") != 0)
		return -1;
	if (*full && store_exec(w->store,
	    "INSERT OR IGNORE INTO temp.dirty SELECT 'unit', period FROM " AGG_PERIODS("insured_unit") ";"
	    "INSERT OR IGNORE INTO temp.dirty SELECT 'participant', period FROM " AGG_PERSON_PERIODS ";") != 0)
		return -1;
	if ((*full || strcmp(rtype, "participant") == 0 || strcmp(rtype, "collection_agent") == 0) &&
	    store_exec(w->store,
	    "INSERT OR IGNORE INTO temp.dirty SELECT 'agent', period FROM " AGG_PERSON_PERIODS ";") != 0)
		return -1;
	return 0;
}

typedef struct {
	int nunits;
	const int *parent;        /* config units' parents */
	long long *n, *comp, *bhtn; /* per unit: distinct participants, compulsory, BHTN */
	unsigned *stamp;          /* == gen: unit already reached by the current person */
	unsigned char *fc, *fb;   /* the current person's flags within each unit's subtree */
	int *reached, nreached;
	unsigned gen;
} s_count_t;

/* s_count_person - the current person counts once in every unit reached. */
static void
s_count_person(s_count_t *k)
{
	for (int i = 0; i < k->nreached; i++) {
		int a = k->reached[i];

		k->n[a]++;
		k->comp[a] += k->fc[a];
		k->bhtn[a] += k->fb[a];
	}
	k->nreached = 0;
	k->gen++;
}

/* s_count_row - one participant row of the current person in unit u: the
 * unit and its ancestors are reached; flags OR-ed per subtree. */
static void
s_count_row(s_count_t *k, int u, int compulsory, int bhtn)
{
	for (int a = u; a >= 0; a = k->parent[a]) {
		if (k->stamp[a] != k->gen) {
			k->stamp[a] = k->gen;
			k->fc[a] = k->fb[a] = 0;
			k->reached[k->nreached++] = a;
		}
		k->fc[a] |= compulsory != 0;
		k->fb[a] |= bhtn != 0;
	}
}

/* s_count_period - the coverage counts of one period for every unit: one
 * pass over the period's rows in person order (the order of the table person,
 * no sort); each person counts once in every unit whose subtree holds one of
 * the person's rows, as compulsory there if any such row is compulsory, and
 * for BHTN if any such row has unemployment. Rows of units not in the tree
 * count nowhere. O(rows x depth), memory O(units). */
static int
s_count_period(worker_t *w, const char *period)
{
	const config_t *c = w->config;
	int nu = c->nunits, rc = -1, any = 0;
	s_count_t k = { .nunits = nu, .gen = 1 };
	int *parent = xcalloc((size_t)nu + 1, sizeof(int));
	struct { int64_t id; int ord; } *orgs = xcalloc((size_t)nu + 1, sizeof(*orgs));
	int norgs = 0, have_prev = 0;
	int64_t prev = 0;
	sqlite3_stmt *st;

	k.parent = parent;
	k.n = xcalloc((size_t)nu + 1, sizeof(long long));
	k.comp = xcalloc((size_t)nu + 1, sizeof(long long));
	k.bhtn = xcalloc((size_t)nu + 1, sizeof(long long));
	k.stamp = xcalloc((size_t)nu + 1, sizeof(unsigned));
	k.fc = xcalloc((size_t)nu + 1, 1);
	k.fb = xcalloc((size_t)nu + 1, 1);
	k.reached = xcalloc((size_t)nu + 1, sizeof(int));
	if (parent == NULL || orgs == NULL || k.n == NULL || k.comp == NULL || k.bhtn == NULL || k.stamp == NULL || k.fc == NULL ||
	    k.fb == NULL || k.reached == NULL)
		goto out;
	for (int u = 0; u < nu; u++)
		parent[u] = c->units[u].parent;
	/* the org units' numbers in the code table -> the units' places */
	st = store_stmt(w->store, "SELECT c.id, u.ord FROM unit u JOIN code c ON c.code = u.code ORDER BY c.id");
	if (st == NULL)
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW && norgs < nu) {
		orgs[norgs].id = sqlite3_column_int64(st, 0);
		orgs[norgs++].ord = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	/* the period's rows in the table's own order: by insurance number */
	st = store_stmt(w->store, "SELECT insurance_no, org, flags FROM person WHERE period = ?");
	if (st == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)atoi(period) * 100 + atoi(period + 5));
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t ins = sqlite3_column_int64(st, 0), org = sqlite3_column_int64(st, 1);
		int flags = sqlite3_column_int(st, 2), u = -1, lo = 0, hi = norgs - 1;

		while (lo <= hi) {
			int mid = lo + (hi - lo) / 2;

			if (orgs[mid].id == org) {
				u = orgs[mid].ord;
				break;
			}
			if (orgs[mid].id < org)
				lo = mid + 1;
			else
				hi = mid - 1;
		}
		if (u < 0 || u >= nu)
			continue;
		if (!have_prev || prev != ins) {
			s_count_person(&k);
			prev = ins;
			have_prev = 1;
		}
		s_count_row(&k, u, (flags & AGG_F_COMPULSORY) != 0, (flags & AGG_F_BHTN) != 0);
		any = 1;
	}
	sqlite3_reset(st);
	s_count_person(&k);
	rc = 0;
	for (int u = 0; any && u < nu && rc == 0; u++) {
		st = store_stmt(w->store, "INSERT INTO coverage(org_unit, period, bhxh_participants, compulsory, voluntary,"
		    " bhtn_participants) VALUES (?,?,?,?,?,?)");
		sqlite3_bind_text(st, 1, c->units[u].code, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, period, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, k.n[u]);
		sqlite3_bind_int64(st, 4, k.comp[u]);
		sqlite3_bind_int64(st, 5, k.n[u] - k.comp[u]);
		sqlite3_bind_int64(st, 6, k.bhtn[u]);
		rc = store_step_done(w->store, st);
	}
out:
	free(orgs);
	free(parent);
	free(k.n);
	free(k.comp);
	free(k.bhtn);
	free(k.stamp);
	free(k.fc);
	free(k.fb);
	free(k.reached);
	return rc;
}

/* s_counts - coverage rows (the participant counts) of the dirty periods. */
static int
s_counts(worker_t *w)
{
	sqlite3_stmt *st;
	char **periods = NULL;
	int n = 0, rc = 0;

	if (store_exec(w->store,
	    "DELETE FROM coverage WHERE period IN (SELECT period FROM temp.dirty WHERE what = 'participant');") != 0)
		return -1;
	st = store_stmt(w->store, "SELECT period FROM temp.dirty WHERE what = 'participant' ORDER BY period");
	while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		periods = xrealloc(periods, sizeof(char *) * (size_t)(n + 1));
		periods[n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	if (st != NULL)
		sqlite3_reset(st);
	for (int i = 0; i < n; i++) {
		if (rc == 0)
			rc = s_count_period(w, periods[i]);
		free(periods[i]);
	}
	free(periods);
	return st == NULL ? -1 : rc;
}

/* s_labor_force - labor_force of every coverage row: the sum over the unit's
 * leaves for the period's year, NULL if any leaf lacks it. */
static int
s_labor_force(worker_t *w)
{
	return store_exec(w->store,
	    "CREATE TEMP TABLE IF NOT EXISTS lf (u TEXT NOT NULL, year INTEGER NOT NULL, v INTEGER,"
	    "  PRIMARY KEY (u, year));"
	    "DELETE FROM temp.lf;"
	    "INSERT INTO temp.lf SELECT lf.u, lf.year, CASE WHEN lf.k = le.k THEN lf.s END"
	    " FROM (SELECT t.ancestor AS u, l.year AS year, SUM(l.labor_force) AS s, COUNT(*) AS k"
	    "   FROM labor_force l JOIN unit x ON x.code = l.org_unit AND x.leaf = 1"
	    "   JOIN unit_tree t ON t.descendant = l.org_unit GROUP BY t.ancestor, l.year) lf"
	    " LEFT JOIN (SELECT t.ancestor AS u, COUNT(*) AS k FROM unit_tree t JOIN unit x"
	    "   ON x.code = t.descendant AND x.leaf = 1 GROUP BY t.ancestor) le ON le.u = lf.u;"
	    "UPDATE coverage SET labor_force = (SELECT v FROM temp.lf WHERE u = coverage.org_unit"
	    "  AND year = CAST(substr(coverage.period, 1, 4) AS INTEGER));");
}

/* s_percentages - coverage percentages and targets of every coverage row
 * (units x months: few rows), after the counts and labour force. */
static int
s_percentages(worker_t *w)
{
	const config_t *c = w->config;
	int *y0 = xcalloc((size_t)c->nunits + 1, sizeof(int)), rc = -1;
	double *c0x = xcalloc((size_t)c->nunits + 1, sizeof(double));
	double *c0t = xcalloc((size_t)c->nunits + 1, sizeof(double));
	sqlite3_stmt *st;

	if (y0 == NULL || c0x == NULL || c0t == NULL || s_first_measured(w, y0, c0x, c0t) != 0)
		goto out;
	st = store_stmt(w->store, "SELECT rowid, org_unit, period, labor_force, bhxh_participants, bhtn_participants"
	    " FROM coverage");
	rc = st == NULL ? -1 : 0;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		sqlite3_stmt *up = store_stmt(w->store, "UPDATE coverage SET bhxh_coverage_pct = ?, bhtn_coverage_pct = ?,"
		    " target_bhxh_pct = ?, target_bhtn_pct = ? WHERE rowid = ?");
		int u = config_unit_index(c, (const char *)sqlite3_column_text(st, 1));
		int year = atoi((const char *)sqlite3_column_text(st, 2));
		long long lf = sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 3);
		char px[32], pt[32], tx[32], tt[32];
		double gx, gt;

		s_pct(px, sizeof(px), sqlite3_column_int64(st, 4), lf);
		s_pct(pt, sizeof(pt), sqlite3_column_int64(st, 5), lf);
		s_target(w, u, year, u >= 0 ? y0[u] : 0, u >= 0 ? c0x[u] : 0, u >= 0 ? c0t[u] : 0, &gx, &gt);
		s_pct2(tx, sizeof(tx), gx);
		s_pct2(tt, sizeof(tt), gt);
		sqlite3_bind_text(up, 1, px[0] ? px : NULL, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(up, 2, pt[0] ? pt : NULL, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(up, 3, tx, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(up, 4, tt, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 5, sqlite3_column_int64(st, 0));
		rc = store_step_done(w->store, up);
	}
	if (st != NULL)
		sqlite3_reset(st);
out:
	free(y0);
	free(c0x);
	free(c0t);
	return rc;
}

/* agg_recompute - coverage counts of the periods the file touched, then
 * labour force, percentages and targets of every row (a new first measured
 * year moves a unit's whole goal path), then the findings. */
int
agg_recompute(worker_t *w, const char *rtype, char *const *periods, int nperiods)
{
	int full = 0;

	if (s_dirty(w, rtype, periods, nperiods, &full) != 0 ||
	    (full && store_exec(w->store, "DELETE FROM coverage;") != 0) ||
	    s_counts(w) != 0 || s_labor_force(w) != 0 || s_percentages(w) != 0)
		return -1;
	return agg_findings(w, full);
}

/* s_write_one - render one report (0 coverage, 1 findings) and replace its
 * file atomically. */
static int
s_write_one(worker_t *w, int findings, report_format_t f, const char *file)
{
	char path[4200];
	sb_t b;
	int rc;

	sb_init(&b);
	rc = findings ? report_findings(store_db(w->store), NULL, NULL, f, &b)
	    : report_coverage(store_db(w->store), NULL, NULL, f, &b);
	snprintf(path, sizeof(path), "%s/reports/%s", w->var_dir, file);
	if (rc == 0 && (rc = fs_write_atomic(path, b.data ? b.data : "", b.len)) != 0)
		worker_error(w, "cannot write %s: %s", path, strerror(errno));
	else if (rc != 0)
		worker_error(w, "cannot render %s", path);
	sb_free(&b);
	return rc;
}

/* s_write_dashboard - the dashboard pages (common/dashboard.h): the root's
 * page always, another unit's page only when what it shows has changed. */
static int
s_write_dashboard(worker_t *w, const char *dir)
{
	dash_opts_t o = { .today = agg_today(w->config) };
	dash_stats_t st;
	int64_t t0 = now_ms();

	if (dash_write(store_db(w->store), w->config, dir, &o, &st) != 0) {
		worker_error(w, "cannot write the dashboard pages in %s: %s (%s)", dir, strerror(errno),
		    sqlite3_errmsg(store_db(w->store)));
		return -1;
	}
	if (st.written > 1 || st.removed > 0)
		log_info("dashboard: %d of %d pages written, %d unchanged, %d removed in %lld ms", st.written, st.pages,
		    st.unchanged, st.removed, (long long)(now_ms() - t0));
	return 0;
}

/* agg_write_reports - coverage and findings, CSV and JSON, and the dashboard, in VAR/reports/. */
int
agg_write_reports(worker_t *w)
{
	char dir[4200];
	int rc = 0;

	snprintf(dir, sizeof(dir), "%s/reports", w->var_dir);
	if (fs_mkdirs(dir) != 0) {
		worker_error(w, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	rc |= s_write_one(w, 0, REPORT_CSV, "coverage.csv");
	rc |= s_write_one(w, 0, REPORT_JSON, "coverage.json");
	rc |= s_write_one(w, 1, REPORT_CSV, "findings.csv");
	rc |= s_write_one(w, 1, REPORT_JSON, "findings.json");
	rc |= s_write_dashboard(w, dir);
	return rc != 0 ? -1 : 0;
}
