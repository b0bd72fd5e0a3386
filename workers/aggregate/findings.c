/* findings - the findings of docs/DOMAIN.md §6, recomputed inside the
 * transaction of every applied file for the periods that file can change
 * (temp.dirty, filled by agg_recompute), and the events of their changes.
 *
 * Employer findings (not_enrolled, under_declared, unregistered) work on the
 * 10-digit parent of each tax code (a branch "NNNNNNNNNN-NNN" counts for its
 * parent). Everything is set-based SQL over grouped temp tables, so the cost
 * is a few scans of the record tables, not one query per employer.
 *
 * Events: a finding's identity is (kind, subject). Its current state is read
 * at the latest period evaluated for its kind ("class": the kind, or for
 * missing_data the kind and subject); finding_state remembers what was last
 * told to the alert worker, and each difference (new, escalated, resolved;
 * updated: the same finding in another month or with another value at the
 * same or a lower severity) is put into the outbox in the same transaction. The decisions are written
 * down in docs/INDICATORS.md.
 *
 * Evidence: a row is final only when every record type its kind needs for
 * its month (the table of kinds, common/kinds.c) is in; otherwise it is
 * 'provisional' (s_evidence). The kinds comparing Tax's and Social
 * Security's registries (not_enrolled, under_declared, unregistered) need
 * both tax_employer and insured_unit of P: their state is read at the latest
 * month with both (temp.complete), so a provisional row is never notified
 * nor resolves anything. */
#include "aggregate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fieldcheck.h"
#include "fsutil.h"
#include "kinds.h"
#include "log.h"
#include "xalloc.h"

/* month number of a YYYY-MM column */
#define MONTH(p) "(CAST(substr(" p ",1,4) AS INTEGER)*12 + CAST(substr(" p ",6,2) AS INTEGER) - 1)"

/* org unit and name of a 10-digit parent: enterprise registry, else an insured unit */
#define PARENT_ORG(x) "COALESCE((SELECT e.org_unit FROM enterprise e WHERE e.tax_code >= " x \
	" AND e.tax_code < " x " || '.' ORDER BY e.tax_code LIMIT 1)," \
	" (SELECT i.org_unit FROM insured_unit i INDEXED BY insured_unit_parent WHERE substr(i.tax_code,1,10) = +(" x ")" \
	" ORDER BY i.period DESC, i.unit_code LIMIT 1), '')"
#define PARENT_NAME(x) "COALESCE((SELECT e.name FROM enterprise e WHERE e.tax_code >= " x \
	" AND e.tax_code < " x " || '.' ORDER BY e.tax_code LIMIT 1)," \
	" (SELECT i.name FROM insured_unit i INDEXED BY insured_unit_parent WHERE substr(i.tax_code,1,10) = +(" x ")" \
	" ORDER BY i.period DESC, i.unit_code LIMIT 1), '')"
#define CLASS(t) "(CASE WHEN " t ".kind = 'missing_data' THEN " t ".kind || ':' || " t ".subject ELSE " t ".kind END)"

#define EVENTS_PER_MSG 1000

typedef struct {
	msg_event_t *ev;
	size_t n, cap;
} s_events_t;

/* s_exec - run SQL built in b; frees b. */
static int
s_exec(worker_t *w, sb_t *b)
{
	int rc = store_exec(w->store, b->data);

	sb_free(b);
	return rc;
}

/* s_ladder - "CASE WHEN x >= at THEN <severity|at> ... END", highest first. */
static void
s_ladder(sb_t *b, const cfg_levels_t *l, const char *x, int want_threshold, const char *otherwise)
{
	sb_add(b, "CASE");
	for (int i = l->n - 1; i >= 0; i--) {
		if (want_threshold && i == 0 && otherwise != NULL)
			break;
		if (want_threshold)
			sb_addf(b, " WHEN %s >= %.17g THEN %.17g", x, l->level[i].at, l->level[i].at);
		else
			sb_addf(b, " WHEN %s >= %.17g THEN '%s'", x, l->level[i].at, l->level[i].severity);
	}
	if (otherwise != NULL)
		sb_addf(b, " ELSE %s", otherwise);
	sb_add(b, " END");
}

/* s_kind_max - remember the latest period evaluated for a class. */
static int
s_kind_max(worker_t *w, const char *klass, const char *sql_max)
{
	sb_t b;

	sb_init(&b);
	sb_addf(&b, "INSERT OR REPLACE INTO temp.kind_max(class, period) SELECT '%s', p FROM (%s) WHERE p IS NOT NULL;",
	    klass, sql_max);
	return s_exec(w, &b);
}

#define DIRTY(what) "(SELECT period FROM temp.dirty WHERE what = '" what "')"

/* s_prepare - drop the finding rows to recompute; temp tables: employees and
 * insured counts per parent and dirty period, the months with participant
 * data, and the agent months of the dirty participant periods. */
static int
s_prepare(worker_t *w, int full)
{
	if (full && store_exec(w->store, "DELETE FROM finding; DELETE FROM agent_month;") != 0)
		return -1;
	return store_exec(w->store,
	    "CREATE TEMP TABLE IF NOT EXISTS kind_max (class TEXT PRIMARY KEY, period TEXT);"
	    "CREATE TEMP TABLE IF NOT EXISTS tax_all (parent TEXT, period TEXT, employees INTEGER, operating INTEGER,"
	    "  PRIMARY KEY (parent, period));"
	    "CREATE TEMP TABLE IF NOT EXISTS ins (parent TEXT, period TEXT, insured INTEGER, PRIMARY KEY (parent, period));"
	    "CREATE TEMP TABLE IF NOT EXISTS wage (org_unit TEXT PRIMARY KEY, wage INTEGER);"
	    "CREATE TEMP TABLE IF NOT EXISTS pperiods (period TEXT PRIMARY KEY, m INTEGER);"
	    "CREATE TEMP TABLE IF NOT EXISTS complete (period TEXT PRIMARY KEY);"
	    "DELETE FROM temp.kind_max; DELETE FROM temp.tax_all; DELETE FROM temp.ins; DELETE FROM temp.wage;"
	    "DELETE FROM temp.pperiods; DELETE FROM temp.complete;"
	    /* the months with both registries' data, as s_evidence sees them */
	    "INSERT INTO temp.complete SELECT period FROM snapshot_src WHERE rtype = 'tax_employer'"
	    "  INTERSECT SELECT period FROM snapshot_src WHERE rtype = 'insured_unit';"
	    "DELETE FROM finding WHERE kind IN ('not_enrolled', 'under_declared', 'unregistered')"
	    "  AND period IN " DIRTY("employer") ";"
	    "DELETE FROM finding WHERE kind IN ('arrears', 'low_wage_basis') AND period IN " DIRTY("unit") ";"
	    "DELETE FROM finding WHERE kind = 'idle_agent' AND period IN " DIRTY("agent") ";"
	    "DELETE FROM finding WHERE kind IN ('behind_target', 'off_track', 'missing_data', 'feed_stopped');"
	    "DELETE FROM agent_month WHERE m IN (SELECT " MONTH("period") " FROM temp.dirty WHERE what = 'participant');"
	    /* per agency, then the largest: two offices listing the same employer
	     * are not added up */
	    "INSERT INTO temp.tax_all SELECT parent, period, MAX(e), MAX(o) FROM (SELECT agency,"
	    "  substr(tax_code,1,10) AS parent, period, SUM(employees) AS e,"
	    "  SUM(CASE WHEN status = 'operating' THEN employees ELSE 0 END) AS o FROM tax_employer"
	    "  WHERE period IN " DIRTY("employer") " GROUP BY 1, 2, 3) GROUP BY parent, period;"
	    "INSERT INTO temp.ins SELECT parent, period, MAX(n) FROM (SELECT agency, substr(tax_code,1,10) AS parent,"
	    "  period, SUM(insured_count) AS n FROM insured_unit WHERE period IN " DIRTY("employer")
	    "  GROUP BY 1, 2, 3) GROUP BY parent, period;"
	    "INSERT INTO temp.pperiods SELECT period, " MONTH("period") " FROM " AGG_PERSON_PERIODS ";"
	    "INSERT OR IGNORE INTO agent_month SELECT g.code, (p.period / 100) * 12 + p.period % 100 - 1"
	    "  FROM person p JOIN code g ON g.id = p.agent"
	    "  WHERE p.period IN (SELECT " AGG_PINT("period") " FROM temp.dirty WHERE what = 'participant')"
	    "  AND p.flags & 3 = 2 AND g.code <> '';");
}

/* s_employers - not_enrolled and under_declared. */
static int
s_employers(worker_t *w)
{
	const cfg_findings_t *f = w->config->findings;
	sb_t b;
	char pct[128];

	sb_init(&b);
	sb_add(&b, "INSERT OR IGNORE INTO finding(kind, subject, org_unit, period, severity, value, threshold, name)"
	    " SELECT 'not_enrolled', t.parent, " PARENT_ORG("t.parent") ", t.period, ");
	s_ladder(&b, &f->not_enrolled, "t.operating", 0, NULL);
	sb_add(&b, ", t.operating, ");
	s_ladder(&b, &f->not_enrolled, "t.operating", 1, NULL);
	sb_addf(&b, ", " PARENT_NAME("t.parent") " FROM temp.tax_all t WHERE t.operating >= %.17g"
	    " AND NOT EXISTS (SELECT 1 FROM temp.ins i WHERE i.parent = t.parent AND i.period = t.period);",
	    f->not_enrolled.level[0].at);
	if (s_exec(w, &b) != 0)
		return -1;
	sb_init(&b);
	snprintf(pct, sizeof(pct), "max(%.17g, %.17g * g.operating / 100.0)", f->under_declared.level[0].at,
	    f->under_declared_min_pct);
	sb_add(&b, "INSERT OR IGNORE INTO finding(kind, subject, org_unit, period, severity, value, threshold, name)"
	    " SELECT 'under_declared', g.parent, " PARENT_ORG("g.parent") ", g.period, ");
	s_ladder(&b, &f->under_declared, "g.gap", 0, NULL);
	sb_add(&b, ", g.gap, ");
	s_ladder(&b, &f->under_declared, "g.gap", 1, pct);
	sb_addf(&b, ", " PARENT_NAME("g.parent") " FROM (SELECT t.parent, t.period, t.operating,"
	    " t.operating - i.insured AS gap FROM temp.tax_all t JOIN temp.ins i ON i.parent = t.parent"
	    " AND i.period = t.period) g WHERE g.gap >= %.17g AND g.gap * 100.0 >= %.17g * g.operating;",
	    f->under_declared.level[0].at, f->under_declared_min_pct);
	if (s_exec(w, &b) != 0)
		return -1;
	if (s_kind_max(w, "not_enrolled", "SELECT MAX(period) AS p FROM temp.complete") != 0 ||
	    s_kind_max(w, "under_declared", "SELECT MAX(period) AS p FROM temp.complete") != 0)
		return -1;
	sb_init(&b);
	sb_addf(&b, "INSERT OR IGNORE INTO finding(kind, subject, org_unit, period, severity, value, threshold, name)"
	    " SELECT 'unregistered', c.parent, " PARENT_ORG("c.parent") ", c.period, '%s',"
	    " COALESCE(MAX(c.tv), MAX(c.iv)), NULL, " PARENT_NAME("c.parent")
	    " FROM (SELECT parent, period, employees AS tv, NULL AS iv FROM temp.tax_all"
	    "  UNION ALL SELECT parent, period, NULL, insured FROM temp.ins) c"
	    " WHERE NOT EXISTS (SELECT 1 FROM enterprise e WHERE e.tax_code >= c.parent AND e.tax_code < c.parent || '.')"
	    " GROUP BY c.parent, c.period;", f->unregistered_severity);
	if (s_exec(w, &b) != 0)
		return -1;
	if (s_kind_max(w, "unregistered", "SELECT MAX(period) AS p FROM temp.complete") != 0)
		return -1;
	/* evidence (s_evidence) is marked once every kind's rows are in */
	/* Without a registry row, a code's org unit and name come from its insured
	 * unit of the latest period: an insured_unit file can change them in the
	 * periods it did not touch. */
	return store_exec(w->store,
	    "UPDATE finding SET org_unit = " PARENT_ORG("finding.subject") ", name = " PARENT_NAME("finding.subject")
	    " WHERE EXISTS (SELECT 1 FROM temp.dirty WHERE what = 'unit')"
	    " AND kind IN ('not_enrolled', 'under_declared', 'unregistered')"
	    " AND period NOT IN " DIRTY("employer")
	    " AND NOT EXISTS (SELECT 1 FROM enterprise e WHERE e.tax_code >= finding.subject"
	    "  AND e.tax_code < finding.subject || '.');");
}

/* s_evidence - each finding row of the recomputed periods is 'final' when
 * every record type its kind needs (common/kinds.c) has data for its month
 * (or its year), else 'provisional'. Kinds without evidence stay final. */
static int
s_evidence(worker_t *w, int full)
{
	for (int i = 0; i < kind_count(); i++) {
		const kind_t *k = kind_at(i);
		sb_t b;

		if (k->cls != KIND_FINDING || !k->event || k->nevidence == 0)
			continue;
		sb_init(&b);
		sb_add(&b, "UPDATE finding SET status = CASE WHEN 1");
		for (int e = 0; e < k->nevidence; e++) {
			const kind_evidence_t *ev = &k->evidence[e];

			if (ev->when == KIND_EV_MONTH)
				sb_addf(&b, " AND EXISTS (SELECT 1 FROM snapshot_src s WHERE s.rtype = '%s'"
				    " AND s.period = finding.period)", ev->rtype);
			else if (strcmp(ev->rtype, "labor_force") == 0)
				sb_add(&b, " AND EXISTS (SELECT 1 FROM labor_force l"
				    " WHERE l.year = CAST(substr(finding.period, 1, 4) AS INTEGER))");
			/* other yearly types are not kept per year: not checked */
		}
		sb_addf(&b, " THEN 'final' ELSE 'provisional' END WHERE kind = '%s'", k->name);
		if (!full)
			sb_add(&b, " AND period IN (SELECT period FROM temp.dirty)");
		if (s_exec(w, &b) != 0)
			return -1;
	}
	return 0;
}

/* s_units - arrears and low_wage_basis, per insured unit. */
static int
s_units(worker_t *w)
{
	const cfg_findings_t *f = w->config->findings;
	const config_t *c = w->config;
	sb_t b;

	sb_init(&b);
	sb_add(&b, "INSERT OR IGNORE INTO finding(kind, subject, org_unit, period, severity, value, threshold, name)"
	    " SELECT 'arrears', a.unit_code, a.org_unit, a.period, ");
	s_ladder(&b, &f->arrears, "a.m", 0, NULL);
	sb_add(&b, ", a.m, ");
	s_ladder(&b, &f->arrears, "a.m", 1, NULL);
	sb_addf(&b, ", a.name FROM (SELECT unit_code, period, MAX(arrears_months) AS m, org_unit, name"
	    " FROM insured_unit WHERE period IN " DIRTY("unit") " GROUP BY unit_code, period) a WHERE a.m >= %.17g;",
	    f->arrears.level[0].at);
	if (s_exec(w, &b) != 0)
		return -1;
	for (int u = 0; u < c->nunits; u++) {
		sqlite3_stmt *st = store_stmt(w->store, "INSERT INTO temp.wage(org_unit, wage) VALUES (?, ?)");
		long long wage = f->minimum_wage;
		int found = 0;

		for (int a = u; a >= 0 && !found; a = c->units[a].parent)
			for (int i = 0; i < f->nwages && !found; i++)
				if (strcmp(f->wages[i].org_unit, c->units[a].code) == 0) {
					wage = f->wages[i].wage;
					found = 1;
				}
		sqlite3_bind_text(st, 1, c->units[u].code, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, wage);
		if (store_step_done(w->store, st) != 0)
			return -1;
	}
	sb_init(&b);
	sb_addf(&b, "INSERT OR IGNORE INTO finding(kind, subject, org_unit, period, severity, value, threshold, name)"
	    " SELECT 'low_wage_basis', i.unit_code, i.org_unit, i.period, '%s', i.wage_basis * 1.0 / i.insured_count,"
	    " w.wage, i.name FROM insured_unit i JOIN temp.wage w ON w.org_unit = i.org_unit"
	    " WHERE i.period IN " DIRTY("unit") " AND i.wage_basis IS NOT NULL AND i.insured_count > 0"
	    " AND i.wage_basis < w.wage * i.insured_count;",
	    f->low_wage_severity);
	if (s_exec(w, &b) != 0)
		return -1;
	if (s_kind_max(w, "arrears", "SELECT MAX(period) AS p FROM insured_unit") != 0 ||
	    s_kind_max(w, "low_wage_basis", "SELECT MAX(period) AS p FROM insured_unit") != 0)
		return -1;
	return 0;
}

/* s_agents - idle_agent: consecutive months, ending at a month with
 * participant data, without a voluntary participant of the agent; counting
 * stops at the first month with participant data. */
static int
s_agents(worker_t *w)
{
	const cfg_findings_t *f = w->config->findings;
	sb_t b;

	sb_init(&b);
	sb_addf(&b, "INSERT OR IGNORE INTO finding(kind, subject, org_unit, period, severity, value, threshold, name)"
	    " SELECT 'idle_agent', x.agent_code, x.org_unit, x.period, '%s', x.v, %d, x.name FROM ("
	    "  SELECT a.agent_code, a.org_unit, a.name, p.period, p.m - COALESCE((SELECT MAX(am.m)"
	    "   FROM agent_month am WHERE am.agent_code = a.agent_code AND am.m <= p.m),"
	    "   (SELECT MIN(m) FROM temp.pperiods) - 1) AS v"
	    "  FROM collection_agent a CROSS JOIN temp.pperiods p WHERE a.status = 'active'"
	    "  AND p.period IN " DIRTY("agent") ") x WHERE x.v >= %d;",
	    f->idle_severity, f->idle_months, f->idle_months);
	if (s_exec(w, &b) != 0)
		return -1;
	return s_kind_max(w, "idle_agent", "SELECT MAX(period) AS p FROM temp.pperiods");
}

/* s_insert - one finding row. */
static int
s_insert(worker_t *w, const char *kind, const char *subject, const char *org, const char *period,
    const char *sev, double value, int has_threshold, double threshold, const char *name)
{
	sqlite3_stmt *st = store_stmt(w->store, "INSERT OR IGNORE INTO finding(kind, subject, org_unit, period,"
	    " severity, value, threshold, name) VALUES (?,?,?,?,?,?,?,?)");

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, org, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, period, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, sev, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 6, value);
	if (has_threshold)
		sqlite3_bind_double(st, 7, threshold);
	sqlite3_bind_text(st, 8, name, -1, SQLITE_TRANSIENT);
	return store_step_done(w->store, st);
}

/* s_round2 - to 2 decimals, half away from zero. */
static double
s_round2(double v)
{
	return (double)llround(v * 100.0 + (v >= 0 ? 1e-9 : -1e-9)) / 100.0;
}

/* s_unit_targets - behind_target and off_track of one unit and scheme, from
 * the rounded figures of the coverage table (years ascending). */
static int
s_unit_targets(worker_t *w, const char *unit, const char *name, const char *scheme, int n, const int *years,
    char (*periods)[8], const double *cov, const double *tgt, double goal)
{
	const cfg_findings_t *f = w->config->findings;
	char subject[64];
	double sx = 0, sy = 0, sxx = 0, sxy = 0;

	snprintf(subject, sizeof(subject), "%s:%s", unit, scheme);
	for (int k = 0; k < n; k++) {
		double x = years[k] - years[0], proj, den;

		if (cov[k] < tgt[k] && s_insert(w, "behind_target", subject, unit, periods[k], f->behind_severity,
		    cov[k], 1, tgt[k], name) != 0)
			return -1;
		sx += x;
		sy += cov[k];
		sxx += x * x;
		sxy += x * cov[k];
		den = (k + 1) * sxx - sx * sx;
		if (k == 0 || den == 0) {
			proj = sy / (k + 1); /* one year: the level is held */
		} else {
			double slope = ((k + 1) * sxy - sx * sy) / den;
			double icpt = (sy - slope * sx) / (k + 1);

			proj = icpt + slope * (w->config->goal.year - years[0]);
		}
		proj = s_round2(proj);
		if (proj < goal && s_insert(w, "off_track", subject, unit, periods[k], f->off_track_severity,
		    proj, 1, goal, name) != 0)
			return -1;
	}
	return 0;
}

/* s_targets - per unit: each year's latest month with a coverage figure. */
static int
s_targets(worker_t *w)
{
	const config_t *c = w->config;

	for (int u = 0; u < c->nunits; u++) {
		sqlite3_stmt *st = store_stmt(w->store,
		    "SELECT CAST(substr(period,1,4) AS INTEGER) AS y, MAX(period), bhxh_coverage_pct, bhtn_coverage_pct,"
		    " target_bhxh_pct, target_bhtn_pct FROM coverage WHERE org_unit = ? AND bhxh_coverage_pct IS NOT NULL"
		    " GROUP BY y ORDER BY y");
		int n = 0, cap = 0, rc = 0, *years = NULL;
		char (*periods)[8] = NULL;
		double *cx = NULL, *ct = NULL, *tx = NULL, *tt = NULL;

		if (st == NULL)
			return -1;
		sqlite3_bind_text(st, 1, c->units[u].code, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				years = xrealloc(years, (size_t)cap * sizeof(*years));
				periods = xrealloc(periods, (size_t)cap * sizeof(*periods));
				cx = xrealloc(cx, (size_t)cap * sizeof(double));
				ct = xrealloc(ct, (size_t)cap * sizeof(double));
				tx = xrealloc(tx, (size_t)cap * sizeof(double));
				tt = xrealloc(tt, (size_t)cap * sizeof(double));
			}
			years[n] = sqlite3_column_int(st, 0);
			snprintf(periods[n], sizeof(periods[n]), "%s", (const char *)sqlite3_column_text(st, 1));
			cx[n] = sqlite3_column_double(st, 2);
			ct[n] = sqlite3_column_double(st, 3);
			tx[n] = sqlite3_column_double(st, 4);
			tt[n] = sqlite3_column_double(st, 5);
			n++;
		}
		sqlite3_reset(st);
		if (n > 0)
			rc = s_unit_targets(w, c->units[u].code, c->units[u].name, "bhxh", n, years, periods, cx, tx,
			    c->goal.bhxh_pct) != 0 || s_unit_targets(w, c->units[u].code, c->units[u].name, "bhtn", n,
			    years, periods, ct, tt, c->goal.bhtn_pct) != 0 ? -1 : 0;
		free(years);
		free(periods);
		free(cx);
		free(ct);
		free(tx);
		free(tt);
		if (rc != 0)
			return -1;
	}
	if (s_kind_max(w, "behind_target", "SELECT MAX(period) AS p FROM coverage WHERE bhxh_coverage_pct IS NOT NULL") != 0 ||
	    s_kind_max(w, "off_track", "SELECT MAX(period) AS p FROM coverage WHERE bhxh_coverage_pct IS NOT NULL") != 0)
		return -1;
	return 0;
}

/* s_days - days since 1970-01-01 of a civil date. */
static long
s_days(int y, int m, int d)
{
	long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

/* agg_today - today's date as days since the epoch: BHXH_TODAY=YYYY-MM-DD
 * when set (tests, re-runs), else the configuration's `today`, else the
 * local date. */
long
agg_today(const config_t *c)
{
	static int warned;
	const char *env = getenv("BHXH_TODAY");
	int y, m, d;
	time_t now;
	struct tm tm;

	if (env != NULL && *env != '\0') {
		if (fc_iso_date_ok(env) && sscanf(env, "%4d-%2d-%2d", &y, &m, &d) == 3)
			return s_days(y, m, d);
		if (!warned++)
			log_warn("BHXH_TODAY='%.20s' is not a date YYYY-MM-DD: ignored", env);
	}
	if (c != NULL && c->findings != NULL && c->findings->today[0] != '\0' &&
	    sscanf(c->findings->today, "%4d-%2d-%2d", &y, &m, &d) == 3)
		return s_days(y, m, d);
	now = time(NULL);
	localtime_r(&now, &tm);
	return s_days(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* s_month_of - the index (year*12 + month-1) of the month holding day. */
static int
s_month_of(int from, long day)
{
	int m = from;

	while (s_days((m + 1) / 12, (m + 1) % 12 + 1, 1) <= day)
		m++;
	return m;
}

/* s_missing_expected - one expected submission over the checked months:
 * from the first month with data to the last one (later months are the
 * feed's, s_feed), and back at most lookback_months from there. */
static int
s_missing_expected(worker_t *w, const cfg_expected_t *e, int first, int lastdata, long today)
{
	const config_t *c = w->config;
	const cfg_agency_t *ag = config_agency(c, e->agency);
	const cfg_rtype_t *rt = config_rtype(c, e->type);
	int tm = 0, last = -1, lastmiss = -1, rc = 0;
	char sql[200], subject[160], period[24], klass[200];
	sqlite3_stmt *st;
	long y, mo;

	if (ag == NULL || rt == NULL || config_field_index(rt, "period") < 0)
		return 0; /* reported once at start-up (agg_findings_check) */
	snprintf(sql, sizeof(sql), "SELECT 1 FROM \"%s\" WHERE agency = ? AND period = ? LIMIT 1", rt->name);
	if (sqlite3_prepare_v2(store_db(w->store), sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	snprintf(subject, sizeof(subject), "%s:%s", e->agency, e->type);
	tm = s_month_of(first, today);
	if (lastdata < tm)
		tm = lastdata;
	for (int m = first; m <= tm && rc == 0; m++) {
		long deadline = s_days((m + 1) / 12, (m + 1) % 12 + 1, e->deadline_day);

		if (deadline >= today || m < tm - c->findings->lookback_months)
			continue;
		y = m / 12;
		mo = m % 12 + 1;
		snprintf(period, sizeof(period), "%04ld-%02ld", y, mo);
		last = m;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, e->agency, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, period, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW) {
			rc = s_insert(w, "missing_data", subject, ag->scope ? ag->scope : "", period,
			    c->findings->missing_severity, (double)(today - deadline), 1, 0, ag->name);
			lastmiss = m;
		}
	}
	sqlite3_finalize(st);
	if (rc != 0 || last < 0)
		return rc;
	/* judged at the latest month still missing: a hole in an earlier month
	 * keeps the finding open when later months come in */
	if (lastmiss >= 0)
		last = lastmiss;
	snprintf(klass, sizeof(klass), "SELECT '%04d-%02d' AS p", last / 12, last % 12 + 1);
	snprintf(sql, sizeof(sql), "missing_data:%s", subject);
	return s_kind_max(w, sql, klass);
}

/* s_missing_labor_force - months with participants whose year lacks a leaf's labour force. */
static int
s_missing_labor_force(worker_t *w)
{
	const config_t *c = w->config;
	const char *agency = NULL;
	char subject[160], klass[200];
	sqlite3_stmt *st;
	int rc = 0;

	for (int i = 0; i < c->nagencies; i++)
		if (config_agency_allows(&c->agencies[i], "labor_force")) {
			agency = c->agencies[i].id;
			break;
		}
	snprintf(subject, sizeof(subject), "%s%slabor_force", agency ? agency : "", agency ? ":" : "");
	st = store_stmt(w->store,
	    "SELECT p.period, COUNT(*), (SELECT group_concat(name, ', ') FROM (SELECT u2.name FROM unit u2"
	    "  WHERE u2.leaf = 1 AND NOT EXISTS (SELECT 1 FROM labor_force l WHERE l.org_unit = u2.code"
	    "  AND l.year = CAST(substr(p.period,1,4) AS INTEGER)) ORDER BY u2.ord LIMIT 5))"
	    " FROM temp.pperiods p JOIN unit u ON u.leaf = 1"
	    " WHERE NOT EXISTS (SELECT 1 FROM labor_force l WHERE l.org_unit = u.code"
	    "  AND l.year = CAST(substr(p.period,1,4) AS INTEGER)) GROUP BY p.period");
	while (st != NULL && rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		/* the units lacking it by name, the first five and how many more */
		long long n = sqlite3_column_int64(st, 1);
		sb_t name;

		sb_init(&name);
		sb_add(&name, sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "");
		if (n > 5)
			sb_addf(&name, " và %lld đơn vị khác", n - 5);
		rc = s_insert(w, "missing_data", subject, "", (const char *)sqlite3_column_text(st, 0),
		    c->findings->missing_severity, (double)n, 1, 0, name.data);
		sb_free(&name);
	}
	if (st != NULL)
		sqlite3_reset(st);
	if (rc != 0)
		return -1;
	snprintf(klass, sizeof(klass), "missing_data:%s", subject);
	return s_kind_max(w, klass, "SELECT MAX(period) AS p FROM temp.pperiods");
}

/* s_feed - feed_stopped: the month after the last month with anyone's data
 * is past every expected submission's deadline. One finding for the
 * operator instead of one per agency and month (a province loading old
 * data years later is not told that every agency is years late). */
static int
s_feed(worker_t *w, int lastdata, long today)
{
	const cfg_findings_t *f = w->config->findings;
	int m = lastdata + 1, day = 0, late = 0;
	char period[24], sql[64];

	for (int i = 0; i < f->nexpected; i++)
		if (f->expected[i].deadline_day > day)
			day = f->expected[i].deadline_day;
	if (day == 0)
		return 0;
	for (int k = m; s_days((k + 1) / 12, (k + 1) % 12 + 1, day) < today; k++)
		late++;
	if (late == 0)
		return 0;
	snprintf(period, sizeof(period), "%04d-%02d", m / 12, m % 12 + 1);
	if (s_insert(w, "feed_stopped", "feed", "", period, f->feed_severity, (double)late, 1, 0, "") != 0)
		return -1;
	snprintf(sql, sizeof(sql), "SELECT '%s' AS p", period);
	return s_kind_max(w, "feed_stopped", sql);
}

/* s_missing - missing_data: expected submissions and labour force; feed_stopped. */
static int
s_missing(worker_t *w)
{
	const cfg_findings_t *f = w->config->findings;
	sqlite3_stmt *st = store_stmt(w->store, "SELECT MIN(p) FROM (SELECT " AGG_PTEXT("(SELECT MIN(period) FROM person)") " AS p"
	    " UNION ALL SELECT MIN(period) FROM insured_unit UNION ALL SELECT MIN(period) FROM tax_employer)");
	long today = agg_today(w->config);
	int first = -1, lastdata = -1;

	if (st == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		const char *p = (const char *)sqlite3_column_text(st, 0);

		first = atoi(p) * 12 + atoi(p + 5) - 1;
	}
	sqlite3_reset(st);
	st = store_stmt(w->store, "SELECT MAX(p) FROM (SELECT " AGG_PTEXT("(SELECT MAX(period) FROM person)") " AS p"
	    " UNION ALL SELECT MAX(period) FROM insured_unit UNION ALL SELECT MAX(period) FROM tax_employer)");
	if (st == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		const char *p = (const char *)sqlite3_column_text(st, 0);

		lastdata = atoi(p) * 12 + atoi(p + 5) - 1;
	}
	sqlite3_reset(st);
	for (int i = 0; first >= 0 && i < f->nexpected; i++)
		if (s_missing_expected(w, &f->expected[i], first, lastdata, today) != 0)
			return -1;
	if (first >= 0 && s_feed(w, lastdata, today) != 0)
		return -1;
	return s_missing_labor_force(w);
}

/* s_event_add - append one event (strings copied) from the columns kind,
 * subject, org_unit, period, severity, value, threshold, name, (state),
 * since, reason of st. */
static msg_event_t *
s_event_add(s_events_t *e, sqlite3_stmt *st, const char *state, const char *period)
{
	msg_event_t *ev;

	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 64;
		e->ev = xrealloc(e->ev, e->cap * sizeof(*e->ev));
	}
	ev = &e->ev[e->n++];
	memset(ev, 0, sizeof(*ev));
#define COL(i) xstrdup(sqlite3_column_text(st, i) ? (const char *)sqlite3_column_text(st, i) : "")
	ev->kind = COL(0);
	ev->subject = COL(1);
	ev->org_unit = COL(2);
	ev->period = period != NULL ? xstrdup(period) : COL(3);
	ev->severity = COL(4);
	ev->value = sqlite3_column_double(st, 5);
	ev->threshold = sqlite3_column_double(st, 6);
	ev->name = COL(7);
	ev->since = COL(9);
	ev->reason = COL(10);
#undef COL
	ev->state = xstrdup(state);
	return ev;
}

/* s_yearly - kinds judged once a year (each year's latest month). */
static int
s_yearly(const char *kind)
{
	return strcmp(kind, "behind_target") == 0 || strcmp(kind, "off_track") == 0;
}

/* s_since - the first month of the run of judged months, ending at the
 * event's, in which the finding has held (final rows only): consecutive
 * months, or consecutive years for the yearly kinds. */
static void
s_since(worker_t *w, msg_event_t *ev)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT period FROM finding WHERE kind = ? AND subject = ?"
	    " AND period <= ? AND status = 'final' ORDER BY period DESC");
	int prev = -1, yearly = s_yearly(ev->kind);
	char since[8] = "";

	if (st == NULL)
		return;
	sqlite3_bind_text(st, 1, ev->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ev->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ev->period, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 0);
		int m;

		if (p == NULL || strlen(p) != 7)
			break;
		m = yearly ? atoi(p) : atoi(p) * 12 + atoi(p + 5) - 1;
		if (prev >= 0 && m != prev - 1)
			break;
		prev = m;
		memcpy(since, p, 8);
	}
	sqlite3_reset(st);
	if (since[0] != '\0') {
		free(ev->since);
		ev->since = xstrdup(since);
	}
}

/* s_stakes - the workers and the money an event is about, from the data of
 * its month: employees declared to Tax (employer kinds), insured people and
 * arrears owed (unit kinds). */
static void
s_stakes(worker_t *w, msg_event_t *ev)
{
	agg_stakes(w, ev->kind, ev->subject, ev->period, ev->value, &ev->workers, &ev->amount);
}

/* agg_stakes - the workers and the money a finding of kind on subject in
 * period is about (value: the finding's value). */
void
agg_stakes(worker_t *w, const char *kind, const char *subject, const char *period, double value, double *workers,
    double *amount)
{
	sqlite3_stmt *st = NULL;

	*workers = *amount = 0;
	if (strcmp(kind, "not_enrolled") == 0 || strcmp(kind, "unregistered") == 0) {
		*workers = value;
		return;
	}
	if (strcmp(kind, "under_declared") == 0)
		st = store_stmt(w->store, "SELECT MAX(e), 0 FROM (SELECT SUM(CASE WHEN status = 'operating'"
		    " THEN employees END) AS e FROM tax_employer WHERE agency IN (SELECT agency FROM snapshot_src"
		    " WHERE rtype = 'tax_employer' AND period = ?1) AND period = ?1 AND tax_code >= ?2"
		    " AND tax_code < ?2 || '.' GROUP BY agency)");
	else if (strcmp(kind, "arrears") == 0 || strcmp(kind, "low_wage_basis") == 0)
		st = store_stmt(w->store, "SELECT SUM(insured_count), SUM(arrears) FROM insured_unit"
		    " WHERE agency IN (SELECT agency FROM snapshot_src WHERE rtype = 'insured_unit' AND period = ?1)"
		    " AND period = ?1 AND unit_code = ?2");
	if (st == NULL)
		return;
	sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, subject, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*workers = sqlite3_column_double(st, 0);
		if (strcmp(kind, "arrears") == 0)
			*amount = sqlite3_column_double(st, 1);
	}
	sqlite3_reset(st);
}

/* s_send - the events into the outbox, EVENTS_PER_MSG per message. */
static int
s_send(worker_t *w, s_events_t *e)
{
	uint64_t seq = e->n > 0 ? agg_next_change(w) : 0;
	int rc = e->n > 0 && seq == 0 ? -1 : 0;

	for (size_t off = 0; off < e->n && rc == 0; off += EVENTS_PER_MSG) {
		msg_t m = { .version = MSG_VERSION, .type = MSG_T_EVENTS };

		m.u.events.seq = seq;

		m.u.events.nevents = (uint32_t)(e->n - off < EVENTS_PER_MSG ? e->n - off : EVENTS_PER_MSG);
		m.u.events.events = e->ev + off;
		if (w->outbox == NULL || outbox_put(w->outbox, &m) != 0)
			rc = -1;
	}
	return rc;
}

/* Why an open finding no longer holds at its class's latest month k.period:
 * remedied when a later month than the one it was last seen in shows its
 * subject without the problem (an insured unit now present for an employer
 * Tax still lists as operating, the gap closed,
 * the unit's arrears below the threshold, a registry entry, an agent's
 * participant, a coverage figure; the missing month's data that came);
 * otherwise it is
 * no longer found (data of its own month arrived or were corrected, or its
 * subject is gone from the later month's data). */
#define RESOLUTION \
	"CASE WHEN s.kind = 'missing_data' THEN (CASE WHEN EXISTS (SELECT 1 FROM snapshot_src x" \
	"  WHERE x.agency || ':' || x.rtype = s.subject AND x.period = s.last_period)" \
	"  OR (s.subject LIKE '%:labor_force' AND NOT EXISTS (SELECT 1 FROM unit u WHERE u.leaf = 1" \
	"  AND NOT EXISTS (SELECT 1 FROM labor_force l WHERE l.org_unit = u.code" \
	"  AND l.year = CAST(substr(s.last_period, 1, 4) AS INTEGER))))" \
	"  THEN 'remedied' ELSE 'no_longer_found' END)" \
	" WHEN s.kind IN ('feed_stopped', 'quarantined_file') THEN 'remedied'" \
	" WHEN k.period IS NULL OR k.period <= s.last_period THEN 'no_longer_found'" \
	" WHEN s.kind IN ('not_enrolled', 'under_declared') AND EXISTS (SELECT 1 FROM insured_unit i" \
	"  WHERE substr(i.tax_code, 1, 10) = +(s.subject) AND i.period = k.period)" \
	"  AND EXISTS (SELECT 1 FROM tax_employer t WHERE t.period = k.period AND t.tax_code >= s.subject" \
	"  AND t.tax_code < s.subject || '.' AND t.status = 'operating') THEN 'remedied'" \
	" WHEN s.kind = 'unregistered' AND EXISTS (SELECT 1 FROM enterprise e WHERE e.tax_code >= s.subject" \
	"  AND e.tax_code < s.subject || '.') THEN 'remedied'" \
	" WHEN s.kind IN ('arrears', 'low_wage_basis') AND EXISTS (SELECT 1 FROM insured_unit i" \
	"  WHERE i.agency IN (SELECT agency FROM snapshot_src WHERE rtype = 'insured_unit' AND period = k.period)" \
	"  AND i.period = k.period AND i.unit_code = s.subject) THEN 'remedied'" \
	" WHEN s.kind = 'idle_agent' AND EXISTS (SELECT 1 FROM agent_month am WHERE am.agent_code = s.subject" \
	"  AND am.m = " MONTH("k.period") ") THEN 'remedied'" \
	" WHEN s.kind IN ('behind_target', 'off_track') THEN 'remedied'" \
	" ELSE 'no_longer_found' END"

#define SEV_RANK(x) "(CASE " x " WHEN 'info' THEN 0 WHEN 'warning' THEN 1 WHEN 'major' THEN 2" \
	" WHEN 'critical' THEN 3 END)"

/* A finding of a unit the tree no longer has (and no move took): held as
 * it is, neither resolved nor closed, until the tree or a move says where
 * its unit went (tree.c). */
#define S_HELD(s) "(" s ".org_unit IS NOT NULL AND " s ".org_unit <> '' AND NOT EXISTS (SELECT 1 FROM unit u" \
	" WHERE u.code = " s ".org_unit))"

/* s_events - compare the current final findings with finding_state; events
 * for each change, in the outbox, and the new state. A finding that ends
 * because its unit changed with the tree (temp.tree_moved) is resolved with
 * the reason tree_changed, which the alert worker tells nobody. */
static int
s_events(worker_t *w)
{
	s_events_t e = { 0 };
	sqlite3_stmt *st;
	int rc = -1;

	if (store_exec(w->store,
	    "CREATE TEMP TABLE IF NOT EXISTS tree_moved (code TEXT PRIMARY KEY);"
	    "CREATE TEMP TABLE IF NOT EXISTS tree_ended (kind TEXT, subject TEXT, org_unit TEXT, period TEXT,"
	    " severity TEXT, value REAL, threshold REAL, name TEXT, since TEXT);"
	    "DROP TABLE IF EXISTS temp.cur;"
	    "CREATE TEMP TABLE cur AS SELECT f.kind, f.subject, f.org_unit, f.period, f.severity, f.value, f.threshold,"
	    "  f.name, CAST(NULL AS TEXT) AS since FROM finding f JOIN temp.kind_max k ON k.class = " CLASS("f")
	    "  AND k.period = f.period WHERE f.status = 'final';"
	    "CREATE UNIQUE INDEX temp.cur_id ON cur(kind, subject);"
	    "UPDATE temp.cur SET since = (SELECT s.since FROM finding_state s WHERE s.kind = cur.kind"
	    "  AND s.subject = cur.subject AND s.open = 1);") != 0)
		return -1;
	st = store_stmt(w->store,
	    "SELECT c.kind, c.subject, c.org_unit, c.period, c.severity, c.value, c.threshold, c.name,"
	    " CASE WHEN s.kind IS NULL OR s.open = 0 THEN 'new' ELSE 'escalated' END, c.since, ''"
	    " FROM temp.cur c LEFT JOIN finding_state s ON s.kind = c.kind AND s.subject = c.subject"
	    " WHERE s.kind IS NULL OR s.open = 0 OR " SEV_RANK("c.severity") " > " SEV_RANK("s.severity")
	    " ORDER BY c.kind, c.subject");
	while (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		s_event_add(&e, st, (const char *)sqlite3_column_text(st, 8), NULL);
	if (st != NULL)
		sqlite3_reset(st);
	/* an open finding that goes on at the same or a lower severity but now in
	 * another month, with another value, area or name: 'updated', so that
	 * reminders tell what holds now (the alert worker notifies nobody of it) */
	st = store_stmt(w->store,
	    "SELECT c.kind, c.subject, c.org_unit, c.period, c.severity, c.value, c.threshold, c.name, 'updated', '',"
	    " CASE WHEN c.org_unit IN (SELECT code FROM temp.tree_moved) THEN 'tree_changed' ELSE '' END"
	    " FROM temp.cur c JOIN finding_state s ON s.kind = c.kind AND s.subject = c.subject AND s.open = 1"
	    " WHERE " SEV_RANK("c.severity") " <= " SEV_RANK("s.severity")
	    " AND (c.period IS NOT s.last_period OR c.value IS NOT s.value OR c.org_unit IS NOT s.org_unit"
	    "  OR c.name IS NOT s.name OR c.severity IS NOT s.severity)"
	    " ORDER BY c.kind, c.subject");
	while (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		s_event_add(&e, st, "updated", NULL);
	if (st != NULL)
		sqlite3_reset(st);
	for (size_t i = 0; i < e.n; i++) {
		sqlite3_stmt *up;

		if (e.ev[i].since[0] == '\0') {
			s_since(w, &e.ev[i]);
			up = store_stmt(w->store, "UPDATE temp.cur SET since = ? WHERE kind = ? AND subject = ?");
			if (up == NULL)
				goto out;
			sqlite3_bind_text(up, 1, e.ev[i].since, -1, SQLITE_STATIC);
			sqlite3_bind_text(up, 2, e.ev[i].kind, -1, SQLITE_STATIC);
			sqlite3_bind_text(up, 3, e.ev[i].subject, -1, SQLITE_STATIC);
			if (store_step_done(w->store, up) != 0)
				goto out;
		}
		s_stakes(w, &e.ev[i]);
	}
	st = store_stmt(w->store,
	    "SELECT s.kind, s.subject, s.org_unit, s.last_period, s.severity, s.value, s.threshold, s.name,"
	    " CASE WHEN s.kind = 'missing_data' THEN s.last_period ELSE COALESCE(k.period, s.last_period) END,"
	    " COALESCE(s.since, ''), CASE WHEN s.org_unit IN (SELECT code FROM temp.tree_moved) THEN 'tree_changed'"
	    " ELSE " RESOLUTION " END"
	    " FROM finding_state s LEFT JOIN temp.kind_max k ON k.class = " CLASS("s")
	    " WHERE s.open = 1 AND NOT EXISTS (SELECT 1 FROM temp.cur c WHERE c.kind = s.kind AND c.subject = s.subject)"
	    " AND NOT " S_HELD("s")
	    " ORDER BY s.kind, s.subject");
	while (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		s_event_add(&e, st, "resolved", (const char *)sqlite3_column_text(st, 8));
	if (st != NULL)
		sqlite3_reset(st);
	/* the old names of unit findings that a tree change renamed (tree.c) */
	st = store_stmt(w->store, "SELECT kind, subject, org_unit, period, severity, value, threshold, name, period,"
	    " COALESCE(since, ''), 'tree_changed' FROM temp.tree_ended ORDER BY kind, subject");
	while (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		s_event_add(&e, st, "resolved", NULL);
	if (st != NULL)
		sqlite3_reset(st);
	if (s_send(w, &e) != 0 || store_exec(w->store, "DELETE FROM temp.tree_ended;") != 0)
		goto out;
	if (store_exec(w->store,
	    "UPDATE finding_state SET open = 0 WHERE open = 1 AND NOT EXISTS (SELECT 1 FROM temp.cur c"
	    "  WHERE c.kind = finding_state.kind AND c.subject = finding_state.subject)"
	    "  AND NOT " S_HELD("finding_state") ";"
	    "INSERT OR REPLACE INTO finding_state(kind, subject, org_unit, severity, last_period, open, value, threshold,"
	    " name, since) SELECT kind, subject, org_unit, severity, period, 1, value, threshold, name, since"
	    " FROM temp.cur;") != 0)
		goto out;
	if (e.n > 0)
		log_info("findings: %zu state change(s) sent to alerting", e.n);
	rc = 0;
out:
	for (size_t i = 0; i < e.n; i++) {
		free(e.ev[i].kind);
		free(e.ev[i].subject);
		free(e.ev[i].org_unit);
		free(e.ev[i].period);
		free(e.ev[i].severity);
		free(e.ev[i].state);
		free(e.ev[i].name);
		free(e.ev[i].since);
		free(e.ev[i].reason);
	}
	free(e.ev);
	return rc;
}

/* agg_findings - recompute the finding rows of the dirty periods (behind_target,
 * off_track and missing_data: all) and send the state changes of the whole
 * table; inside the caller's transaction, after the coverage table. */
int
agg_findings(worker_t *w, int full)
{
	if (s_prepare(w, full) != 0 || s_employers(w) != 0 || s_units(w) != 0 || s_agents(w) != 0 ||
	    s_targets(w) != 0 || s_missing(w) != 0 || s_evidence(w, full) != 0 || s_events(w) != 0) {
		worker_error(w, "findings could not be recomputed");
		return -1;
	}
	return 0;
}

/* agg_findings_check - warn once about expected submissions that cannot be checked. */
void
agg_findings_check(worker_t *w)
{
	const config_t *c = w->config;
	const cfg_findings_t *f = c->findings;

	for (int i = 0; i < f->nexpected; i++) {
		const cfg_agency_t *ag = config_agency(c, f->expected[i].agency);
		const cfg_rtype_t *rt = config_rtype(c, f->expected[i].type);

		if (ag == NULL || rt == NULL || config_field_index(rt, "period") < 0 ||
		    !config_agency_allows(ag, f->expected[i].type))
			log_warn("findings: expected submission %s:%s is not a monthly type this agency sends; not checked",
			    f->expected[i].agency, f->expected[i].type);
	}
	for (int i = 0; i < f->nwages; i++)
		if (config_unit_index(c, f->wages[i].org_unit) < 0)
			log_warn("findings: minimum wage for unknown org unit '%s' is not used", f->wages[i].org_unit);
}
