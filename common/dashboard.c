/* dashboard - one page per unit (see dashboard.h).
 *
 * Layout of a page (docs/DOMAIN.md §8): breadcrumb up to the root; title;
 * the month of the figures and the time of generation; the goal as the
 * configuration states it; the unit's figures for the latest month; two
 * trend charts (BHXH and BHTN: coverage per month, each year's target as a
 * dashed step, the goal as a red line) with the same figures per year as a
 * table; the sub-units (bars and a table, each linked to its page); on the
 * root page which agencies' files are in; then the employers to chase in the
 * unit's subtree, final findings first and provisional ones apart, each
 * employer a row with the anchor id e-TAXCODE.
 *
 * Narrow screens: charts scale to the width (viewBox), tables sit in boxes
 * that scroll sideways on their own, and below 700 px the long tables turn
 * into one card per row. */
#include "dashboard.h"
#include "kinds.h"
#include "report.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bump when the page layout changes: every page is then written again. */
#define DASH_LAYOUT 1

struct dash {
	sqlite3 *db;
	const config_t *c;
	dash_opts_t o;
	int n;
	int *first, *next, *nkids; /* children of each unit, in configuration order */
	int *hidx, hcap;           /* code -> unit index (open addressing) */
	char gen[64];              /* the time of generation, as shown */
	int has_status;            /* the finding table has the status column */
};

typedef struct {
	char period[16];
	double cov[2], tgt[2];   /* NAN when empty; [0] BHXH, [1] BHTN */
	long long lf;            /* -1 when empty */
	long long part, comp, vol, bhtn;
} s_row_t;

static const char *const s_scheme[2] = { "BHXH", "BHTN" };
static const char *const s_scheme_color[2] = { "#1f4e9c", "#0e7c6b" };

/* ---- small helpers ---- */

static uint64_t
s_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t
s_hstr(uint64_t h, const char *s)
{
	h = fs_fnv1a(h, s ? s : "\x01", s ? strlen(s) : 1);
	return fs_fnv1a(h, "", 1);
}

/* s_unit_find - index of a unit code, -1 if not in the tree. */
static int
s_unit_find(const dash_t *d, const char *code)
{
	uint64_t h;

	if (code == NULL || d->hcap == 0)
		return -1;
	h = s_hstr(FS_FNV1A_INIT, code);
	for (int i = (int)(h % (uint64_t)d->hcap);; i = (i + 1) % d->hcap) {
		if (d->hidx[i] < 0)
			return -1;
		if (strcmp(d->c->units[d->hidx[i]].code, code) == 0)
			return d->hidx[i];
	}
}

/* s_esc - HTML-escaped text. */
static void
s_esc(sb_t *b, const char *s)
{
	report_html_escape(b, s);
}

/* s_name - a name from data, escaped, with every run of 9 or more digits
 * (an identity or insurance number typed into a name) cut to "…". */
static void
s_name(sb_t *b, const char *s)
{
	sb_t t;

	if (s == NULL)
		return;
	sb_init(&t);
	for (const char *p = s; *p;) {
		size_t k = strspn(p, "0123456789");

		if (k >= 9) {
			sb_add(&t, "…");
			p += k;
		} else if (k > 0) {
			sb_addn(&t, p, k);
			p += k;
		} else {
			sb_addn(&t, p, 1);
			p++;
		}
	}
	s_esc(b, t.data ? t.data : "");
	sb_free(&t);
}

/* s_int - a count with '.' grouping thousands ("1.234.567"). */
static void
s_int(sb_t *b, long long v)
{
	report_grouped(b, v);
}

/* s_dec - a decimal number with a decimal comma: fixed2 gives two decimals
 * ("16,36"), else at most two with trailing zeros dropped ("50", "47,5");
 * "—" when not finite. */
static void
s_dec(sb_t *b, double v, int fixed2)
{
	char buf[64], *p;

	if (!isfinite(v) || fabs(v) > 1e15) {
		sb_add(b, "—");
		return;
	}
	if (fixed2)
		snprintf(buf, sizeof(buf), "%.2f", v);
	else
		report_number(buf, sizeof(buf), v);
	if ((p = strchr(buf, '.')) != NULL)
		*p = ',';
	sb_add(b, buf);
}

/* s_pct - "16,36%" or "—". */
static void
s_pct(sb_t *b, double v)
{
	s_dec(b, v, 1);
	if (isfinite(v))
		sb_add(b, "%");
}

/* s_money - whole VND with '.' grouping. */
static void
s_money(sb_t *b, double v)
{
	if (!isfinite(v) || fabs(v) > 1e15) {
		sb_add(b, "—");
		return;
	}
	s_int(b, llround(v));
	sb_add(b, " VND");
}

/* s_period - "03/2017" from "2017-03". */
static void
s_period(sb_t *b, const char *p)
{
	if (p == NULL || strlen(p) < 7 || p[4] != '-')
		s_esc(b, p ? p : "");
	else
		sb_addf(b, "%.2s/%.4s", p + 5, p);
}

static double
s_col_pct(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* days since 1970-01-01 of a civil date, and back */
static long
s_days(int y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void
s_civil(long z, int *y, int *m, int *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static void
s_date(sb_t *b, long days)
{
	int y, m, d;

	s_civil(days, &y, &m, &d);
	sb_addf(b, "%02d/%02d/%04d", d, m, y);
}

/* ---- the fingerprint function: dash_fp(a, b, ...) as an SQL aggregate, the
 * sum of one 64-bit hash per row, so that the order of rows does not count ---- */

static void
s_fp_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	uint64_t *acc = sqlite3_aggregate_context(ctx, sizeof(uint64_t));
	uint64_t h = FS_FNV1A_INIT;

	if (acc == NULL)
		return;
	for (int i = 0; i < argc; i++) {
		int t = sqlite3_value_type(argv[i]);
		const unsigned char *s;

		h = fs_fnv1a(h, &t, sizeof(t));
		if (t == SQLITE_NULL)
			continue;
		s = sqlite3_value_text(argv[i]);
		h = fs_fnv1a(h, s ? (const char *)s : "", (size_t)sqlite3_value_bytes(argv[i]));
		h = fs_fnv1a(h, "", 1);
	}
	*acc += s_mix(h);
}

static void
s_fp_final(sqlite3_context *ctx)
{
	uint64_t *acc = sqlite3_aggregate_context(ctx, 0);

	sqlite3_result_int64(ctx, acc ? (sqlite3_int64)*acc : 0);
}

/* ---- opening: children lists, code index, the current findings ---- */

/* Current findings: the rows of the latest month judged for their kind (as
 * workers/aggregate/findings.c reads a finding's state), with the employer
 * (ten digits of a tax code; for an insured unit, its tax code) and a size
 * to rank by (employees declared to Tax; insured persons for an insured unit). */
static const char s_cur_sql[] =
    "DROP TABLE IF EXISTS temp.dash_lp; DROP TABLE IF EXISTS temp.dash_te; DROP TABLE IF EXISTS temp.dash_iu;"
    "DROP TABLE IF EXISTS temp.dash_cur;"
    "CREATE TEMP TABLE dash_lp (kind TEXT PRIMARY KEY, p TEXT);"
    "INSERT INTO temp.dash_lp SELECT 'not_enrolled', (SELECT MAX(period) FROM tax_employer)"
    " UNION ALL SELECT 'under_declared', (SELECT MAX(period) FROM tax_employer)"
    " UNION ALL SELECT 'unregistered', (SELECT MAX(p) FROM (SELECT MAX(period) AS p FROM tax_employer"
    "   UNION ALL SELECT MAX(period) FROM insured_unit))"
    " UNION ALL SELECT 'arrears', (SELECT MAX(period) FROM insured_unit)"
    " UNION ALL SELECT 'low_wage_basis', (SELECT MAX(period) FROM insured_unit);"
    "CREATE TEMP TABLE dash_te (parent TEXT, period TEXT, employees INTEGER, PRIMARY KEY (parent, period));"
    "INSERT INTO temp.dash_te SELECT substr(tax_code, 1, 10), period, SUM(employees) FROM tax_employer"
    " WHERE period IN (SELECT p FROM temp.dash_lp) GROUP BY 1, 2;"
    "CREATE TEMP TABLE dash_iu (unit_code TEXT, period TEXT, insured INTEGER, tax10 TEXT,"
    " PRIMARY KEY (unit_code, period));"
    "INSERT INTO temp.dash_iu SELECT unit_code, period, SUM(insured_count), MIN(NULLIF(substr(tax_code, 1, 10), ''))"
    " FROM insured_unit WHERE period IN (SELECT p FROM temp.dash_lp) GROUP BY 1, 2;"
    "CREATE TEMP TABLE dash_cur AS SELECT f.kind AS kind, f.subject AS subject, COALESCE(f.org_unit, '') AS org_unit,"
    " f.period AS period, f.severity AS severity, f.value AS value, f.threshold AS threshold, f.name AS name,"
    " %s AS status,"
    " CASE WHEN f.kind IN ('arrears', 'low_wage_basis') THEN COALESCE(iu.tax10, f.subject)"
    "  ELSE substr(f.subject, 1, 10) END AS emp,"
    " CASE WHEN f.kind = 'unregistered' THEN f.value WHEN f.kind IN ('arrears', 'low_wage_basis') THEN iu.insured"
    "  ELSE te.employees END AS size,"
    " CASE f.severity WHEN 'critical' THEN 3 WHEN 'major' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END AS rank"
    " FROM finding f JOIN temp.dash_lp lp ON lp.kind = f.kind AND lp.p = f.period"
    " LEFT JOIN temp.dash_iu iu ON iu.unit_code = f.subject AND iu.period = f.period"
    " LEFT JOIN temp.dash_te te ON te.parent = f.subject AND te.period = f.period;"
    "CREATE INDEX temp.dash_cur_unit ON dash_cur(org_unit, status);";

dash_t *
dash_open(sqlite3 *db, const config_t *c, const dash_opts_t *o)
{
	dash_t *d = xcalloc(1, sizeof(*d));
	sqlite3_stmt *st;
	char sql[sizeof(s_cur_sql) + 256];
	struct tm tm;

	d->db = db;
	d->c = c;
	if (o != NULL)
		d->o = *o;
	if (d->o.generated == 0)
		d->o.generated = time(NULL);
	if (d->o.max_rows <= 0)
		d->o.max_rows = DASH_MAX_ROWS;
	localtime_r(&d->o.generated, &tm);
	if (d->o.today <= 0)
		d->o.today = s_days(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	snprintf(d->gen, sizeof(d->gen), "%02d:%02d ngày %02d/%02d/%04d", tm.tm_hour, tm.tm_min, tm.tm_mday,
	    tm.tm_mon + 1, tm.tm_year + 1900);
	d->n = c->nunits;
	d->first = xcalloc((size_t)d->n + 1, sizeof(int));
	d->next = xcalloc((size_t)d->n + 1, sizeof(int));
	d->nkids = xcalloc((size_t)d->n + 1, sizeof(int));
	for (int i = 0; i < d->n; i++)
		d->first[i] = d->next[i] = -1;
	for (int i = d->n - 1; i >= 0; i--) { /* backwards: lists come out in configuration order */
		int p = c->units[i].parent;

		if (p >= 0 && p < d->n) {
			d->next[i] = d->first[p];
			d->first[p] = i;
			d->nkids[p]++;
		}
	}
	d->hcap = 2 * d->n + 1;
	d->hidx = xcalloc((size_t)d->hcap, sizeof(int));
	for (int i = 0; i < d->hcap; i++)
		d->hidx[i] = -1;
	for (int i = 0; i < d->n; i++) {
		uint64_t h = s_hstr(FS_FNV1A_INIT, c->units[i].code);
		int k = (int)(h % (uint64_t)d->hcap);

		while (d->hidx[k] >= 0)
			k = (k + 1) % d->hcap;
		d->hidx[k] = i;
	}
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('finding') WHERE name = 'status'", -1, &st, NULL)
	    == SQLITE_OK) {
		d->has_status = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	snprintf(sql, sizeof(sql), s_cur_sql,
	    d->has_status ? "CASE WHEN f.status = 'provisional' THEN 'provisional' ELSE 'final' END" : "'final'");
	if (sqlite3_create_function(db, "dash_fp", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL, s_fp_step,
	    s_fp_final) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		dash_close(&d);
		return NULL;
	}
	return d;
}

void
dash_close(dash_t **dp)
{
	dash_t *d = *dp;

	if (d == NULL)
		return;
	sqlite3_exec(d->db, "DROP TABLE IF EXISTS temp.dash_cur; DROP TABLE IF EXISTS temp.dash_lp;"
	    " DROP TABLE IF EXISTS temp.dash_te; DROP TABLE IF EXISTS temp.dash_iu;", NULL, NULL, NULL);
	free(d->first);
	free(d->next);
	free(d->nkids);
	free(d->hidx);
	free(d);
	*dp = NULL;
}

/* ---- the parts of a page ---- */

/* s_href - the link from the page of unit `from` to the page of unit `to`. */
static void
s_href(const dash_t *d, int from, int to, sb_t *b)
{
	if (to == 0)
		sb_add(b, from == 0 ? "index.html" : "../index.html");
	else {
		sb_add(b, from == 0 ? "unit/" : "");
		s_esc(b, d->c->units[to].code);
		sb_add(b, ".html");
	}
}

/* s_unit_link - the unit's name, linked to its page unless it is this page. */
static void
s_unit_link(const dash_t *d, int from, int to, sb_t *b)
{
	if (to == from) {
		s_name(b, d->c->units[to].name);
		return;
	}
	sb_add(b, "<a href=\"");
	s_href(d, from, to, b);
	sb_add(b, "\">");
	s_name(b, d->c->units[to].name);
	sb_add(b, "</a>");
}

/* s_rows - the unit's coverage rows, oldest first. */
static int
s_rows(const dash_t *d, const char *code, const char *period, s_row_t **out)
{
	sqlite3_stmt *st;
	s_row_t *r = NULL;
	int n = 0, cap = 0;

	*out = NULL;
	if (sqlite3_prepare_v2(d->db, "SELECT period, bhxh_coverage_pct, bhtn_coverage_pct, target_bhxh_pct,"
	    " target_bhtn_pct, labor_force, bhxh_participants, compulsory, voluntary, bhtn_participants"
	    " FROM coverage WHERE org_unit = ?1 AND (?2 IS NULL OR period = ?2) ORDER BY period", -1, &st, NULL)
	    != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, period, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 0);

		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			r = xrealloc(r, (size_t)cap * sizeof(*r));
		}
		memset(&r[n], 0, sizeof(r[n]));
		snprintf(r[n].period, sizeof(r[n].period), "%s", p ? p : "");
		r[n].cov[0] = s_col_pct(st, 1);
		r[n].cov[1] = s_col_pct(st, 2);
		r[n].tgt[0] = s_col_pct(st, 3);
		r[n].tgt[1] = s_col_pct(st, 4);
		r[n].lf = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 5);
		r[n].part = sqlite3_column_int64(st, 6);
		r[n].comp = sqlite3_column_int64(st, 7);
		r[n].vol = sqlite3_column_int64(st, 8);
		r[n].bhtn = sqlite3_column_int64(st, 9);
		n++;
	}
	sqlite3_finalize(st);
	*out = r;
	return n;
}

/* s_reached - 1 reached, 0 behind, -1 unknown (rounded figures, as §5 judges). */
static int
s_reached(double cov, double tgt)
{
	if (!isfinite(cov) || !isfinite(tgt))
		return -1;
	return llround(cov * 100) >= llround(tgt * 100);
}

static const char *
s_judge(int r)
{
	return r < 0 ? "<span class=\"na\">chưa tính được</span>" : r ? "<span class=\"good\">đạt</span>"
	    : "<span class=\"bad\">chưa đạt</span>";
}

/* s_scale - the top of a percentage axis: a multiple of 20 above every value. */
static double
s_scale(double top)
{
	double m = ceil(top / 20.0) * 20.0;

	return m < 20 ? 20 : m > 100 && top <= 100 ? 100 : m;
}

/* s_goal_text - "đến năm 2020 khoảng 50% lực lượng lao động tham gia BHXH và 35% tham gia BHTN". */
static void
s_goal_text(const dash_t *d, sb_t *b)
{
	sb_addf(b, "đến năm %d khoảng ", d->c->goal.year);
	s_dec(b, d->c->goal.bhxh_pct, 0);
	sb_add(b, "% lực lượng lao động tham gia bảo hiểm xã hội (BHXH) và ");
	s_dec(b, d->c->goal.bhtn_pct, 0);
	sb_add(b, "% tham gia bảo hiểm thất nghiệp (BHTN)");
}

/* s_trend - one scheme's coverage over the months: the line, each year's
 * target as a dashed step, the goal as a red line. */
static void
s_trend(const dash_t *d, const s_row_t *r, int n, int k, sb_t *b)
{
	const int W = 400, H = 250, L = 44, R = 392, T = 26, B = 206;
	double goal = k == 0 ? d->c->goal.bhxh_pct : d->c->goal.bhtn_pct, top = goal, ymax;
	sb_t dots;

#define X(i) (n == 1 ? (L + R) / 2.0 : L + (R - L) * (double)(i) / (double)(n - 1))
#define Y(v) (B - (B - T) * (v) / ymax)
	for (int i = 0; i < n; i++) {
		if (isfinite(r[i].cov[k]) && r[i].cov[k] > top)
			top = r[i].cov[k];
		if (isfinite(r[i].tgt[k]) && r[i].tgt[k] > top)
			top = r[i].tgt[k];
	}
	ymax = s_scale(top);
	sb_addf(b, "<figure class=\"chart\"><figcaption>Tỷ lệ tham gia %s theo tháng (%% lực lượng lao động)"
	    "</figcaption>\n<svg role=\"img\" aria-label=\"Biểu đồ tỷ lệ tham gia %s theo tháng, chỉ tiêu từng năm và"
	    " mục tiêu năm %d\" viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\" class=\"trend-%s\">\n",
	    s_scheme[k], s_scheme[k], d->c->goal.year, W, H, k == 0 ? "bhxh" : "bhtn");
	for (int t = 0; t <= 4; t++) {
		double v = ymax * t / 4, y = Y(v);

		sb_addf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\""
		    " font-size=\"12\" text-anchor=\"end\">", L, y, R, y, L - 4, y + 4);
		s_dec(b, v, 0);
		sb_add(b, "%</text>\n");
	}
	/* month labels: at most five, the first and the last always */
	for (int i = 0; i < n; i++) {
		int step = (n + 3) / 4;

		if (n > 5 && i % step != 0 && i != n - 1)
			continue;
		if (n > 5 && i != n - 1 && i + step > n - 1 && (n - 1 - i) < step / 2 + 1)
			continue; /* too close to the last */
		sb_addf(b, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" text-anchor=\"%s\">", X(i), B + 18,
		    n > 1 && i == n - 1 ? "end" : n > 1 && i == 0 ? "start" : "middle");
		s_period(b, r[i].period);
		sb_add(b, "</text>\n");
	}
	/* each year's target: a dashed step over that year's months */
	for (int i = 0; i < n;) {
		int j = i;
		double x1, x2, half = n > 1 ? (R - L) / (2.0 * (n - 1)) : (R - L) / 2.0;

		while (j + 1 < n && strncmp(r[j + 1].period, r[i].period, 4) == 0)
			j++;
		if (isfinite(r[i].tgt[k])) {
			x1 = X(i) - half;
			x2 = X(j) + half;
			if (x1 < L)
				x1 = L;
			if (x2 > R)
				x2 = R;
			sb_addf(b, "<line class=\"target\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\""
			    " stroke-width=\"2\" stroke-dasharray=\"5 3\"><title>Chỉ tiêu %s năm %.4s: ", x1, Y(r[i].tgt[k]), x2,
			    Y(r[i].tgt[k]), s_scheme[k], r[i].period);
			s_pct(b, r[i].tgt[k]);
			sb_add(b, "</title></line>\n");
		}
		i = j + 1;
	}
	/* the goal */
	sb_addf(b, "<line class=\"goal\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#c0392b\" stroke-width=\"2\"/>"
	    "<text x=\"%d\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\" fill=\"#c0392b\">Mục tiêu năm %d: ", L, Y(goal),
	    R, Y(goal), R, Y(goal) - 5, d->c->goal.year);
	s_dec(b, goal, 0);
	sb_add(b, "%</text>\n");
	/* the coverage line, a dot on every month so a single month still shows */
	sb_init(&dots);
	sb_addf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"3\" points=\"", s_scheme_color[k]);
	for (int i = 0; i < n; i++) {
		if (!isfinite(r[i].cov[k]))
			continue;
		sb_addf(b, "%.1f,%.1f ", X(i), Y(r[i].cov[k]));
		sb_addf(&dots, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>", X(i), Y(r[i].cov[k]),
		    s_scheme_color[k]);
		s_period(&dots, r[i].period);
		sb_add(&dots, ": ");
		s_pct(&dots, r[i].cov[k]);
		sb_add(&dots, "</title></circle>");
	}
	sb_add(b, "\"/>\n");
	if (dots.data != NULL)
		sb_addf(b, "%s\n", dots.data);
	sb_free(&dots);
	for (int i = n - 1; i >= 0; i--) /* the latest figure, written out */
		if (isfinite(r[i].cov[k])) {
			double y = Y(r[i].cov[k]) - 9;

			sb_addf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" font-weight=\"bold\" text-anchor=\"%s\" fill=\"%s\">",
			    X(i), y < 12 ? 12 : y, n == 1 ? "middle" : "end", s_scheme_color[k]);
			s_pct(b, r[i].cov[k]);
			sb_add(b, "</text>\n");
			break;
		}
	sb_addf(b, "</svg>\n<p class=\"legend\"><span class=\"sw\" style=\"background:%s\"></span> tỷ lệ tham gia"
	    " <span class=\"sw dash\"></span> chỉ tiêu từng năm <span class=\"sw\" style=\"background:#c0392b\"></span>"
	    " mục tiêu năm %d</p></figure>\n", s_scheme_color[k], d->c->goal.year);
#undef X
#undef Y
}

/* s_years - the figures per year (latest month of each year), as a table. */
static void
s_years(const s_row_t *r, int n, sb_t *b)
{
	sb_add(b, "<div class=\"tw\"><table class=\"cards\"><thead><tr><th>Năm (tháng)</th><th>Tỷ lệ BHXH</th>"
	    "<th>Chỉ tiêu BHXH</th><th>Tỷ lệ BHTN</th><th>Chỉ tiêu BHTN</th><th>Lực lượng lao động</th></tr></thead><tbody>\n");
	for (int i = n - 1; i >= 0; i--) {
		if (i < n - 1 && strncmp(r[i].period, r[i + 1].period, 4) == 0)
			continue; /* not the latest month of its year */
		sb_addf(b, "<tr><td data-l=\"Năm\">%.4s (", r[i].period);
		s_period(b, r[i].period);
		sb_add(b, ")</td><td class=\"n\" data-l=\"Tỷ lệ BHXH\">");
		s_pct(b, r[i].cov[0]);
		sb_add(b, "</td><td class=\"n\" data-l=\"Chỉ tiêu BHXH\">");
		s_pct(b, r[i].tgt[0]);
		sb_add(b, "</td><td class=\"n\" data-l=\"Tỷ lệ BHTN\">");
		s_pct(b, r[i].cov[1]);
		sb_add(b, "</td><td class=\"n\" data-l=\"Chỉ tiêu BHTN\">");
		s_pct(b, r[i].tgt[1]);
		sb_add(b, "</td><td class=\"n\" data-l=\"Lực lượng lao động\">");
		if (r[i].lf < 0)
			sb_add(b, "chưa có");
		else {
			s_int(b, r[i].lf);
			sb_add(b, " người");
		}
		sb_add(b, "</td></tr>\n");
	}
	sb_add(b, "</tbody></table></div>\n");
}

/* s_figures - the unit's figures for the latest month, as boxes. */
static void
s_figures(const s_row_t *x, sb_t *b)
{
	sb_add(b, "<div class=\"kpi\">\n");
	for (int k = 0; k < 2; k++) {
		sb_addf(b, "<div class=\"k\"><div class=\"kl\">Tỷ lệ tham gia %s</div><div class=\"kv\" id=\"cov-%s\">",
		    s_scheme[k], k == 0 ? "bhxh" : "bhtn");
		s_pct(b, x->cov[k]);
		sb_addf(b, "</div><div class=\"ks\">chỉ tiêu năm %.4s: ", x->period);
		s_pct(b, x->tgt[k]);
		sb_addf(b, " — %s</div></div>\n", s_judge(s_reached(x->cov[k], x->tgt[k])));
	}
	sb_add(b, "<div class=\"k\"><div class=\"kl\">Người tham gia BHXH</div><div class=\"kv\">");
	s_int(b, x->part);
	sb_add(b, " người</div><div class=\"ks\">bắt buộc ");
	s_int(b, x->comp);
	sb_add(b, " người, tự nguyện ");
	s_int(b, x->vol);
	sb_add(b, " người</div></div>\n<div class=\"k\"><div class=\"kl\">Người tham gia BHTN</div><div class=\"kv\">");
	s_int(b, x->bhtn);
	sb_addf(b, " người</div></div>\n<div class=\"k\"><div class=\"kl\">Lực lượng lao động năm %.4s</div>"
	    "<div class=\"kv\">", x->period);
	if (x->lf < 0)
		sb_add(b, "chưa có</div><div class=\"ks bad\">thiếu số liệu lao động: chưa tính được tỷ lệ");
	else {
		s_int(b, x->lf);
		sb_add(b, " người");
	}
	sb_add(b, "</div></div>\n</div>\n");
}

/* s_children - the sub-units in the latest month: bars and a table. */
static void
s_children(const dash_t *d, int u, const char *period, sb_t *b)
{
	const int W = 400, L = 46, R = 340, per = 58;
	int nk = 0, shown = 0;
	s_row_t *rows = xcalloc((size_t)d->nkids[u] + 1, sizeof(s_row_t));
	int *idx = xcalloc((size_t)d->nkids[u] + 1, sizeof(int));
	double top = 0, ymax;

	for (int c = d->first[u]; c >= 0; c = d->next[c]) {
		s_row_t *r = NULL;

		idx[nk] = c;
		memset(&rows[nk], 0, sizeof(rows[nk]));
		rows[nk].period[0] = '\0';
		rows[nk].cov[0] = rows[nk].cov[1] = rows[nk].tgt[0] = rows[nk].tgt[1] = NAN;
		rows[nk].lf = -1;
		if (s_rows(d, d->c->units[c].code, period, &r) > 0) {
			rows[nk] = r[0];
			for (int k = 0; k < 2; k++) {
				if (isfinite(r[0].cov[k]) && r[0].cov[k] > top)
					top = r[0].cov[k];
				if (isfinite(r[0].tgt[k]) && r[0].tgt[k] > top)
					top = r[0].tgt[k];
			}
			shown++;
		}
		free(r);
		nk++;
	}
	ymax = s_scale(top);
	sb_addf(b, "<h2 id=\"don-vi\">Các đơn vị trực thuộc (%d)</h2>\n<p>Tỷ lệ tham gia tháng ", nk);
	s_period(b, period);
	sb_add(b, " so với chỉ tiêu năm; bấm vào tên để xem trang của đơn vị.</p>\n");
	if (shown > 0) {
		int y = 0;

		sb_addf(b, "<figure class=\"chart wide\"><svg role=\"img\" aria-label=\"Biểu đồ tỷ lệ tham gia BHXH và BHTN"
		    " của các đơn vị trực thuộc\" viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">\n", W,
		    shown * per + 24);
		for (int t = 0; t <= 4; t++) {
			double x = L + (R - L) * t / 4.0;

			sb_addf(b, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e3e3e3\"/><text x=\"%.1f\" y=\"%d\""
			    " font-size=\"11\" text-anchor=\"middle\">", x, x, shown * per, x, shown * per + 16);
			s_dec(b, ymax * t / 4, 0);
			sb_add(b, "%</text>\n");
		}
		for (int i = 0; i < nk; i++) {
			if (rows[i].period[0] == '\0')
				continue;
			sb_addf(b, "<text x=\"2\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">", y + 15);
			s_name(b, d->c->units[idx[i]].name);
			sb_add(b, "</text>\n");
			for (int k = 0; k < 2; k++) {
				int by = y + 21 + k * 17, ok = s_reached(rows[i].cov[k], rows[i].tgt[k]);
				double v = isfinite(rows[i].cov[k]) ? rows[i].cov[k] : 0, w = (R - L) * v / ymax;

				sb_addf(b, "<text x=\"2\" y=\"%d\" font-size=\"11\">%s</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\""
				    " height=\"13\" fill=\"%s\"/>", by + 11, s_scheme[k], L, by, w, ok == 0 ? "#d9822b" : s_scheme_color[k]);
				if (isfinite(rows[i].tgt[k])) {
					double tx = L + (R - L) * rows[i].tgt[k] / ymax;

					sb_addf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#000\" stroke-width=\"3\"/>",
					    tx, by - 2, tx, by + 15);
				}
				sb_addf(b, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\">", L + w + 5 > R + 4 ? R + 4.0 : L + w + 5,
				    by + 11);
				s_pct(b, rows[i].cov[k]);
				sb_add(b, "</text>\n");
			}
			y += per;
		}
		sb_add(b, "</svg>\n<p class=\"legend\"><span class=\"sw\" style=\"background:#1f4e9c\"></span> BHXH đạt"
		    " chỉ tiêu <span class=\"sw\" style=\"background:#0e7c6b\"></span> BHTN đạt chỉ tiêu"
		    " <span class=\"sw\" style=\"background:#d9822b\"></span> chưa đạt chỉ tiêu"
		    " <span class=\"sw\" style=\"background:#000;width:4px\"></span> chỉ tiêu năm</p></figure>\n");
	}
	sb_add(b, "<div class=\"tw\"><table class=\"cards\"><thead><tr><th>Đơn vị</th><th>Tỷ lệ BHXH</th>"
	    "<th>Chỉ tiêu BHXH</th><th>Tỷ lệ BHTN</th><th>Chỉ tiêu BHTN</th><th>Người tham gia BHXH</th>"
	    "<th>Lực lượng lao động</th><th>Đánh giá</th></tr></thead><tbody>\n");
	for (int i = 0; i < nk; i++) {
		s_row_t *x = &rows[i];
		int j0 = s_reached(x->cov[0], x->tgt[0]), j1 = s_reached(x->cov[1], x->tgt[1]);

		sb_addf(b, "<tr id=\"u-");
		s_esc(b, d->c->units[idx[i]].code);
		sb_add(b, "\"><td class=\"name\">");
		s_unit_link(d, u, idx[i], b);
		if (x->period[0] == '\0') {
			sb_add(b, "</td><td colspan=\"7\" data-l=\"Số liệu\">chưa có số liệu tháng này</td></tr>\n");
			continue;
		}
		sb_add(b, "</td><td class=\"n\" data-l=\"Tỷ lệ BHXH\">");
		s_pct(b, x->cov[0]);
		sb_add(b, "</td><td class=\"n\" data-l=\"Chỉ tiêu BHXH\">");
		s_pct(b, x->tgt[0]);
		sb_add(b, "</td><td class=\"n\" data-l=\"Tỷ lệ BHTN\">");
		s_pct(b, x->cov[1]);
		sb_add(b, "</td><td class=\"n\" data-l=\"Chỉ tiêu BHTN\">");
		s_pct(b, x->tgt[1]);
		sb_add(b, "</td><td class=\"n\" data-l=\"Người tham gia BHXH\">");
		s_int(b, x->part);
		sb_add(b, " người</td><td class=\"n\" data-l=\"Lực lượng lao động\">");
		if (x->lf < 0)
			sb_add(b, "chưa có");
		else {
			s_int(b, x->lf);
			sb_add(b, " người");
		}
		sb_add(b, "</td><td data-l=\"Đánh giá\">");
		if (j0 < 0 || j1 < 0)
			sb_add(b, "<span class=\"na\">thiếu số liệu lao động</span>");
		else
			sb_addf(b, "BHXH %s, BHTN %s", s_judge(j0), s_judge(j1));
		sb_add(b, "</td></tr>\n");
	}
	sb_add(b, "</tbody></table></div>\n");
	free(rows);
	free(idx);
}

/* s_type_label - a record type in words, capitalised for a table cell. */
static const char *
s_type_label(const char *t, char *buf, size_t size)
{
	const char *v = kind_rtype_vi(t);

	snprintf(buf, size, "%s", v);
	if (strncmp(buf, "danh", 4) == 0)
		buf[0] = 'D';
	else if (strncmp(buf, "l", 1) == 0 || strncmp(buf, "c", 1) == 0)
		buf[0] = (char)(buf[0] - 'a' + 'A');
	return buf;
}

/* s_received - the day the agency's snapshot of type for the period was
 * applied (days since 1970), 0 with none, -1 when the tables are absent. */
static long
s_received(const dash_t *d, const char *agency, const char *type, const char *period)
{
	sqlite3_stmt *st;
	long r = 0;

	if (sqlite3_prepare_v2(d->db, "SELECT f.applied_at FROM snapshot_src s LEFT JOIN files f ON f.file_no = s.file_no"
	    " AND f.agency = s.agency AND f.rtype = s.rtype WHERE s.agency = ? AND s.rtype = ? AND s.period = ?"
	    " ORDER BY f.applied_at DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, agency, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, period, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		time_t t = (time_t)sqlite3_column_int64(st, 0);
		struct tm tm;

		localtime_r(&t, &tm);
		r = sqlite3_column_type(st, 0) == SQLITE_NULL ? 1 : s_days(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	}
	sqlite3_finalize(st);
	return r;
}

/* s_submissions - the root page: which expected files are in for the latest
 * month of any monthly data (and for the month of the figures, if older). */
static void
s_submissions(const dash_t *d, const char *cov_period, sb_t *b)
{
	const cfg_findings_t *f = d->c->findings;
	char months[2][16] = { "", "" };
	int nm = 0;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(d->db, "SELECT MAX(period) FROM snapshot_src", -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		snprintf(months[nm++], sizeof(months[0]), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (cov_period != NULL && (nm == 0 || strcmp(cov_period, months[0]) < 0))
		snprintf(months[nm++], sizeof(months[0]), "%s", cov_period);
	sb_add(b, "<h2 id=\"nop-so-lieu\">Tình hình nhận số liệu</h2>\n");
	if (nm == 0) {
		sb_add(b, "<p>Chưa nhận số liệu tháng nào.</p>\n");
		return;
	}
	sb_add(b, "<p>Các phát hiện so sánh số liệu Thuế và BHXH của một tháng chỉ chính thức khi đã nhận đủ số liệu"
	    " tháng đó; trước đó là <b>tạm tính</b>.</p>\n");
	sb_add(b, "<div class=\"tw\"><table class=\"cards\"><thead><tr><th>Cơ quan</th><th>Số liệu</th>");
	for (int m = 0; m < nm; m++) {
		sb_add(b, "<th>Tháng ");
		s_period(b, months[m]);
		sb_add(b, "</th>");
	}
	sb_add(b, "</tr></thead><tbody>\n");
	if (f == NULL || f->nexpected == 0) {
		/* nothing configured as expected: what did come */
		if (sqlite3_prepare_v2(d->db, "SELECT DISTINCT agency, rtype FROM snapshot_src WHERE period IN (?, ?)"
		    " ORDER BY agency, rtype", -1, &st, NULL) != SQLITE_OK) {
			sb_add(b, "</tbody></table></div>\n");
			return;
		}
		sqlite3_bind_text(st, 1, months[0], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, nm > 1 ? months[1] : months[0], -1, SQLITE_STATIC);
	} else
		st = NULL;
	for (int e = 0;; e++) {
		const char *agency, *type;
		const cfg_agency_t *ag;

		if (st != NULL) {
			if (sqlite3_step(st) != SQLITE_ROW)
				break;
			agency = (const char *)sqlite3_column_text(st, 0);
			type = (const char *)sqlite3_column_text(st, 1);
		} else {
			if (e >= f->nexpected)
				break;
			agency = f->expected[e].agency;
			type = f->expected[e].type;
		}
		ag = config_agency(d->c, agency);
		sb_add(b, "<tr><td class=\"name\">");
		s_name(b, ag != NULL ? ag->name : agency);
		sb_add(b, "</td><td data-l=\"Số liệu\">");
		{
			char tl[96];

			s_esc(b, s_type_label(type, tl, sizeof(tl)));
		}
		sb_add(b, "</td>");
		for (int m = 0; m < nm; m++) {
			long got = s_received(d, agency, type, months[m]);

			sb_add(b, "<td data-l=\"Tháng ");
			s_period(b, months[m]);
			sb_add(b, "\">");
			if (got > 1) {
				sb_add(b, "<span class=\"good\">đã nhận</span> ngày ");
				s_date(b, got);
			} else if (got == 1) {
				sb_add(b, "<span class=\"good\">đã nhận</span>");
			} else if (st != NULL) {
				sb_add(b, "chưa nhận");
			} else {
				int y = atoi(months[m]), mo = atoi(months[m] + 5), dd = f->expected[e].deadline_day;
				int ny = mo == 12 ? y + 1 : y, nmo = mo == 12 ? 1 : mo + 1;
				long first = s_days(ny, nmo, 1), last = s_days(nmo == 12 ? ny + 1 : ny, nmo == 12 ? 1 : nmo + 1, 1) - 1;
				long due = first + (dd > 0 ? dd - 1 : 0);

				if (due > last)
					due = last;
				if (d->o.today > due)
					sb_addf(b, "<span class=\"bad\">chưa nhận — quá hạn %ld ngày</span> (hạn ", d->o.today - due);
				else
					sb_add(b, "chưa nhận (hạn ");
				s_date(b, due);
				sb_add(b, ")");
			}
			sb_add(b, "</td>");
		}
		sb_add(b, "</tr>\n");
	}
	if (st != NULL)
		sqlite3_finalize(st);
	sb_add(b, "</tbody></table></div>\n");
}

/* ---- employers ---- */

typedef struct {
	char **s;
	int n, cap;
} s_ids_t;

static int
s_ids_has(const s_ids_t *ids, const char *s)
{
	uint64_t h;

	if (ids->cap == 0)
		return 0;
	h = s_hstr(FS_FNV1A_INIT, s);
	for (int i = (int)(h % (uint64_t)ids->cap);; i = (i + 1) % ids->cap) {
		if (ids->s[i] == NULL)
			return 0;
		if (strcmp(ids->s[i], s) == 0)
			return 1;
	}
}

static void
s_ids_add(s_ids_t *ids, const char *s)
{
	uint64_t h;
	int i;

	if (s_ids_has(ids, s))
		return;
	if (2 * (ids->n + 1) > ids->cap) {
		s_ids_t g = { xcalloc(ids->cap ? 2 * (size_t)ids->cap : 64, sizeof(char *)), 0,
			ids->cap ? 2 * ids->cap : 64 };

		for (int k = 0; k < ids->cap; k++)
			if (ids->s[k] != NULL) {
				h = s_hstr(FS_FNV1A_INIT, ids->s[k]);
				for (i = (int)(h % (uint64_t)g.cap); g.s[i] != NULL; i = (i + 1) % g.cap)
					;
				g.s[i] = ids->s[k];
				g.n++;
			}
		free(ids->s);
		*ids = g;
	}
	h = s_hstr(FS_FNV1A_INIT, s);
	for (i = (int)(h % (uint64_t)ids->cap); ids->s[i] != NULL; i = (i + 1) % ids->cap)
		;
	ids->s[i] = xstrdup(s);
	ids->n++;
}

static void
s_ids_free(s_ids_t *ids)
{
	for (int i = 0; i < ids->cap; i++)
		free(ids->s[i]);
	free(ids->s);
}

static const char *
s_sev_label(int rank)
{
	static const char *const l[] = { "Thông tin", "Cảnh báo", "Nghiêm trọng", "Rất nghiêm trọng" };

	return l[rank < 0 ? 0 : rank > 3 ? 3 : rank];
}

static const char *
s_sev_class(int rank)
{
	static const char *const l[] = { "info", "warning", "major", "critical" };

	return l[rank < 0 ? 0 : rank > 3 ? 3 : rank];
}

/* s_problem - one finding of an employer as a sentence, every figure with its unit. */
static void
s_problem(sqlite3_stmt *st, sb_t *b)
{
	const char *kind = (const char *)sqlite3_column_text(st, 1);
	const char *subject = (const char *)sqlite3_column_text(st, 2);
	double v = sqlite3_column_double(st, 6);
	int has_thr = sqlite3_column_type(st, 7) != SQLITE_NULL;
	double thr = sqlite3_column_double(st, 7);

	sb_add(b, "<li>");
	if (kind == NULL)
		kind = "";
	if (strcmp(kind, "not_enrolled") == 0) {
		sb_add(b, "Chưa đóng BHXH: có ");
		s_int(b, llround(v));
		sb_add(b, " người lao động khai với cơ quan thuế nhưng chưa có đơn vị tham gia BHXH");
	} else if (strcmp(kind, "under_declared") == 0) {
		sb_add(b, "Khai thiếu ");
		s_int(b, llround(v));
		sb_add(b, " người tham gia BHXH so với số lao động khai với cơ quan thuế");
	} else if (strcmp(kind, "arrears") == 0) {
		sb_add(b, "Nợ đóng BHXH ");
		s_int(b, llround(v));
		sb_add(b, " tháng (mã đơn vị ");
		s_esc(b, subject);
		sb_add(b, ")");
	} else if (strcmp(kind, "low_wage_basis") == 0) {
		sb_add(b, "Lương đóng BHXH bình quân ");
		s_money(b, v);
		sb_add(b, "/người/tháng");
		if (has_thr) {
			sb_add(b, ", thấp hơn lương tối thiểu vùng ");
			s_money(b, thr);
		}
		sb_add(b, " (mã đơn vị ");
		s_esc(b, subject);
		sb_add(b, ")");
	} else if (strcmp(kind, "unregistered") == 0) {
		sb_add(b, "Chưa có trong danh bạ đăng ký doanh nghiệp (");
		s_int(b, llround(v));
		sb_add(b, " người lao động)");
	} else {
		/* a kind without its own sentence: its label from the table of kinds */
		sb_t l;

		sb_init(&l);
		sb_add(&l, "");
		kind_label(NULL, kind, 1, &l);
		s_esc(b, l.data);
		sb_free(&l);
	}
	sb_add(b, ", tháng ");
	s_period(b, (const char *)sqlite3_column_text(st, 4));
	sb_add(b, "</li>");
}

/* s_employers - one section of employers to chase in the subtree of u:
 * status "final" or "provisional"; an employer's row carries the id
 * e-TAXCODE unless an earlier row of the page has it. */
static void
s_employers(const dash_t *d, int u, const char *status, s_ids_t *ids, sb_t *b)
{
	static const char where[] = " FROM temp.dash_cur WHERE status = ?2 AND kind IN ('not_enrolled', 'under_declared',"
	    " 'arrears', 'low_wage_basis', 'unregistered') AND (?3 = 1 OR org_unit IN"
	    " (SELECT descendant FROM unit_tree WHERE ancestor = ?1))";
	int prov = strcmp(status, "provisional") == 0, nemp = 0, total = 0, open = 0;
	sqlite3_stmt *st;
	char sql[1024];
	const char *cur = NULL;
	char *curbuf = NULL;

	snprintf(sql, sizeof(sql), "SELECT COUNT(DISTINCT emp)%s", where);
	if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, d->c->units[u].code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, u == 0);
	if (sqlite3_step(st) == SQLITE_ROW)
		total = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (prov) {
		if (total == 0)
			return;
		sb_addf(b, "<h2 id=\"tam-tinh\">Tạm tính — chưa đủ số liệu (%d doanh nghiệp)</h2>\n<p class=\"prov\">Các"
		    " phát hiện dưới đây so sánh số liệu của cơ quan Thuế và cơ quan BHXH cho một tháng mà chưa nhận đủ số liệu"
		    " của cả hai bên. Chúng có thể thay đổi hoặc mất đi khi nhận đủ số liệu, và chưa được gửi cảnh báo.</p>\n",
		    total);
	} else {
		sb_addf(b, "<h2 id=\"doanh-nghiep\">Doanh nghiệp cần kiểm tra, đôn đốc (%d)</h2>\n<p>Xếp theo mức độ, rồi"
		    " theo quy mô lao động; số liệu của tháng gần nhất đã nhận.</p>\n", total);
		if (total == 0) {
			sb_add(b, "<p>Không có doanh nghiệp nào cần kiểm tra.</p>\n");
			return;
		}
	}
	snprintf(sql, sizeof(sql), "SELECT emp, kind, subject, org_unit, period, name, value, threshold, rank,"
	    " MAX(rank) OVER e AS erank, MAX(COALESCE(size, -1)) OVER e AS esize%s"
	    " WINDOW e AS (PARTITION BY emp) ORDER BY erank DESC, esize DESC, emp, rank DESC, kind, subject", where);
	if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, d->c->units[u].code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, u == 0);
	sb_addf(b, "<div class=\"tw\"><table class=\"cards emp%s\"><thead><tr><th>#</th><th>Mức độ</th>"
	    "<th>Doanh nghiệp / đơn vị</th><th>Địa bàn</th><th>Quy mô</th><th>Vấn đề</th></tr></thead><tbody>\n",
	    prov ? " provisional" : "");
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *emp = (const char *)sqlite3_column_text(st, 0);
		const char *subject = (const char *)sqlite3_column_text(st, 2);
		const char *kind = (const char *)sqlite3_column_text(st, 1);

		if (emp == NULL)
			emp = "";
		if (cur == NULL || strcmp(cur, emp) != 0) {
			int ou = s_unit_find(d, (const char *)sqlite3_column_text(st, 3));
			int erank = sqlite3_column_int(st, 9);
			long long esize = sqlite3_column_int64(st, 10);

			if (open)
				sb_add(b, "</ul></td></tr>\n");
			open = 0;
			if (nemp >= d->o.max_rows)
				break;
			nemp++;
			free(curbuf);
			cur = curbuf = xstrdup(emp);
			sb_add(b, "<tr");
			if (emp[0] != '\0' && !s_ids_has(ids, emp)) {
				s_ids_add(ids, emp);
				sb_add(b, " id=\"e-");
				s_esc(b, emp);
				sb_add(b, "\"");
			}
			sb_addf(b, "><td class=\"n rank\">%d</td><td class=\"sev-%s\" data-l=\"Mức độ\">%s%s</td>"
			    "<td class=\"name\" data-l=\"Doanh nghiệp\"><b>", nemp, s_sev_class(erank), s_sev_label(erank),
			    prov ? "<br><small>tạm tính — chưa đủ số liệu</small>" : "");
			s_name(b, (const char *)sqlite3_column_text(st, 5));
			sb_add(b, "</b><br><small>mã số thuế ");
			s_esc(b, emp);
			sb_add(b, "</small></td><td data-l=\"Địa bàn\">");
			if (ou >= 0)
				s_unit_link(d, u, ou, b);
			else
				sb_add(b, "chưa xác định");
			sb_add(b, "</td><td class=\"sizecell\" data-l=\"Quy mô\">");
			if (esize >= 0) {
				s_int(b, esize);
				sb_add(b, " người lao động");
			} else
				sb_add(b, "—");
			sb_add(b, "</td><td data-l=\"Vấn đề\"><ul>");
			open = 1;
		}
		if (subject != NULL && kind != NULL && (strcmp(kind, "arrears") == 0 || strcmp(kind, "low_wage_basis") == 0) &&
		    !s_ids_has(ids, subject)) {
			/* an insured unit's own anchor, for links that know only its code */
			s_ids_add(ids, subject);
			sb_add(b, "<li class=\"a\" id=\"e-");
			s_esc(b, subject);
			sb_add(b, "\"></li>");
		}
		s_problem(st, b);
	}
	if (open)
		sb_add(b, "</ul></td></tr>\n");
	sqlite3_finalize(st);
	free(curbuf);
	sb_add(b, "</tbody></table></div>\n");
	if (total > nemp)
		sb_addf(b, "<p>Còn %d doanh nghiệp nữa không liệt kê ở đây; xem trang của từng đơn vị trực thuộc.</p>\n",
		    total - nemp);
}

/* ---- the page ---- */

static const char s_css[] =
    "*{box-sizing:border-box}\n"
    "body{font-family:\"Noto Sans\",\"DejaVu Sans\",Arial,sans-serif;margin:0 auto;padding:12px 14px;max-width:1200px;"
    "color:#222;font-size:16px;line-height:1.45}\n"
    "h1{font-size:1.45em;margin:.3em 0 .2em;overflow-wrap:anywhere}\n"
    "h2{font-size:1.2em;margin-top:1.6em;border-bottom:2px solid #1f4e9c}\n"
    "a{color:#1f4e9c}\n"
    "nav.bc{font-size:.95em;overflow-wrap:anywhere}\n"
    ".meta{color:#444;font-size:.95em}\n"
    ".goal{background:#f3f6fb;border-left:4px solid #c0392b;padding:6px 10px}\n"
    ".tw{overflow-x:auto;max-width:100%;-webkit-overflow-scrolling:touch}\n"
    "table{border-collapse:collapse;margin:8px 0;font-size:15px}\n"
    "th,td{border:1px solid #bbb;padding:4px 8px;text-align:left;vertical-align:top}\n"
    "th{background:#eef2f8}\n"
    "td.n{text-align:right;white-space:nowrap}\n"
    "td.name{overflow-wrap:anywhere}\n"
    "td ul{margin:0;padding-left:1.1em}\n"
    "li.a{list-style:none;height:0}\n"
    ".good{color:#1e6b3c;font-weight:bold}\n.bad{color:#b0450c;font-weight:bold}\n.na{color:#666}\n"
    ".sev-critical{color:#fff;background:#a61b1b}\n.sev-major{background:#f3b0a5}\n"
    ".sev-warning{background:#fbe3a1}\n.sev-info{background:#e4ecf7}\n"
    ".prov{background:#fff6d6;border-left:4px solid #e0a800;padding:6px 10px}\n"
    "table.provisional td{background:#fffbea}\n"
    "table.provisional td[class^=sev-]{color:#222;background:#fff1b8}\n"
    ".kpi{display:flex;flex-wrap:wrap;gap:8px;margin:10px 0}\n"
    ".k{flex:1 1 170px;border:1px solid #ccd6e6;border-radius:6px;padding:8px 10px;background:#fbfcfe}\n"
    ".kl{font-size:.9em;color:#444}\n.kv{font-size:1.5em;font-weight:bold}\n.ks{font-size:.9em}\n"
    ".charts{display:flex;flex-wrap:wrap;gap:16px}\n"
    "figure.chart{flex:1 1 340px;max-width:600px;min-width:0;margin:8px 0}\n"
    "figure.wide{max-width:560px}\n"
    "figcaption{font-weight:bold;margin-bottom:4px}\n"
    "svg{display:block;width:100%;height:auto}\n"
    ".legend{font-size:14px;margin:4px 0}\n"
    ".sw{display:inline-block;width:14px;height:14px;vertical-align:middle;margin-left:6px}\n"
    ".sw.dash{height:0;border-top:3px dashed #333}\n"
    "footer{margin-top:2em;font-size:.9em;color:#444;border-top:1px solid #ccc;padding-top:6px}\n"
    "@media (max-width:700px){\n"
    "body{padding:8px 10px;font-size:15px}\n"
    "table.cards thead{display:none}\n"
    "table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:100%}\n"
    "table.cards tr{border:1px solid #bbb;border-radius:6px;margin:0 0 10px;padding:4px 2px}\n"
    "table.cards td{border:none;padding:2px 8px;text-align:left;white-space:normal}\n"
    "table.cards td[data-l]::before{content:attr(data-l) \": \";font-weight:bold;color:#444}\n"
    "table.cards td.name{font-size:1.05em}\n"
    "table.cards td[class^=sev-]::before{color:inherit}\n"
    "table.cards td.rank{font-weight:bold}\ntable.cards td.rank::before{content:\"#\"}\n"
    "}\n";

int
dash_page(dash_t *d, int u, sb_t *out)
{
	const config_t *c = d->c;
	s_row_t *r = NULL;
	int n, chain[64], nchain = 0;
	s_ids_t ids = { 0 };

	if (u < 0 || u >= d->n)
		return -1;
	n = s_rows(d, c->units[u].code, NULL, &r);
	if (n < 0)
		return -1;
	for (int a = u; a >= 0 && nchain < 64; a = c->units[a].parent)
		chain[nchain++] = a;
	sb_add(out, "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	    "<title>Tham gia BHXH, BHTN — ");
	s_name(out, c->units[u].name);
	sb_addf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", s_css);
	if (nchain > 1) {
		sb_add(out, "<nav class=\"bc\" aria-label=\"Đơn vị cấp trên\">");
		for (int i = nchain - 1; i >= 1; i--) {
			s_unit_link(d, u, chain[i], out);
			sb_add(out, " › ");
		}
		s_name(out, c->units[u].name);
		sb_add(out, "</nav>\n");
	}
	sb_add(out, "<h1>Tình hình tham gia BHXH, BHTN — ");
	s_name(out, c->units[u].name);
	sb_add(out, "</h1>\n<p class=\"meta\">");
	if (n > 0) {
		sb_add(out, "Số liệu đến tháng <b>");
		s_period(out, r[n - 1].period);
		sb_add(out, "</b>. ");
	}
	sb_addf(out, "Trang tạo lúc <span id=\"generated\">%s</span>.", d->gen);
	if (u != 0) {
		sb_add(out, " Tình hình nhận số liệu: xem <a href=\"../index.html#nop-so-lieu\">trang ");
		s_name(out, c->units[0].name);
		sb_add(out, "</a>.");
	}
	sb_add(out, "</p>\n<p class=\"goal\">Mục tiêu: ");
	s_goal_text(d, out);
	sb_add(out, ". Tỷ lệ tham gia = số người tham gia / lực lượng lao động.</p>\n");
	if (n == 0) {
		sb_add(out, "<p>Chưa có số liệu người tham gia.</p>\n");
	} else {
		sb_add(out, "<h2 id=\"so-lieu\">Số liệu tháng ");
		s_period(out, r[n - 1].period);
		sb_add(out, "</h2>\n");
		s_figures(&r[n - 1], out);
		sb_add(out, "<h2 id=\"xu-huong\">Diễn biến theo tháng</h2>\n<div class=\"charts\">\n");
		s_trend(d, r, n, 0, out);
		s_trend(d, r, n, 1, out);
		sb_add(out, "</div>\n");
		s_years(r, n, out);
	}
	if (d->nkids[u] > 0 && n > 0)
		s_children(d, u, r[n - 1].period, out);
	else if (d->nkids[u] > 0) {
		sb_addf(out, "<h2 id=\"don-vi\">Các đơn vị trực thuộc (%d)</h2>\n<ul>\n", d->nkids[u]);
		for (int k = d->first[u]; k >= 0; k = d->next[k]) {
			sb_add(out, "<li>");
			s_unit_link(d, u, k, out);
			sb_add(out, "</li>\n");
		}
		sb_add(out, "</ul>\n");
	}
	if (u == 0)
		s_submissions(d, n > 0 ? r[n - 1].period : NULL, out);
	s_employers(d, u, "final", &ids, out);
	s_employers(d, u, "provisional", &ids, out);
	sb_add(out, "<footer>Trang do hệ thống theo dõi tham gia BHXH tạo tự động từ số liệu các cơ quan gửi. Không chứa"
	    " số định danh cá nhân hay mã số BHXH của người lao động.</footer>\n</body>\n</html>\n");
	s_ids_free(&ids);
	free(r);
	return 0;
}

/* ---- writing the pages ---- */

/* s_prints - the fingerprint of every unit's page: what the configuration
 * gives it (goal, tree, layout), its own coverage rows, its children's
 * coverage rows and the current findings of its subtree. */
static int
s_prints(dash_t *d, uint64_t *fp, uint64_t *global)
{
	const config_t *c = d->c;
	uint64_t g = FS_FNV1A_INIT, *cov = xcalloc((size_t)d->n + 1, sizeof(uint64_t));
	uint64_t *fnd = xcalloc((size_t)d->n + 1, sizeof(uint64_t));
	char buf[128];
	sqlite3_stmt *st;
	int rc = 0;

	snprintf(buf, sizeof(buf), "layout %d goal %d %.17g %.17g", DASH_LAYOUT, c->goal.year, c->goal.bhxh_pct,
	    c->goal.bhtn_pct);
	g = s_hstr(g, buf);
	for (int i = 0; i < d->n; i++) {
		snprintf(buf, sizeof(buf), "%d", c->units[i].parent);
		g = s_hstr(s_hstr(s_hstr(g, c->units[i].code), c->units[i].name), buf);
	}
	*global = g;
	if (sqlite3_prepare_v2(d->db, "SELECT org_unit, dash_fp(period, labor_force, bhxh_participants, compulsory,"
	    " voluntary, bhtn_participants, bhxh_coverage_pct, bhtn_coverage_pct, target_bhxh_pct, target_bhtn_pct)"
	    " FROM coverage GROUP BY org_unit", -1, &st, NULL) != SQLITE_OK)
		rc = -1;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		int u = s_unit_find(d, (const char *)sqlite3_column_text(st, 0));

		if (u >= 0)
			cov[u] = (uint64_t)sqlite3_column_int64(st, 1);
	}
	if (rc == 0)
		sqlite3_finalize(st);
	if (rc == 0 && sqlite3_prepare_v2(d->db, "SELECT t.ancestor, dash_fp(f.kind, f.subject, f.org_unit, f.period,"
	    " f.severity, f.value, f.threshold, f.name, f.status, f.emp, f.size) FROM temp.dash_cur f"
	    " JOIN unit_tree t ON t.descendant = f.org_unit GROUP BY t.ancestor", -1, &st, NULL) != SQLITE_OK)
		rc = -1;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		int u = s_unit_find(d, (const char *)sqlite3_column_text(st, 0));

		if (u >= 0)
			fnd[u] = (uint64_t)sqlite3_column_int64(st, 1);
	}
	if (rc == 0)
		sqlite3_finalize(st);
	for (int u = 0; rc == 0 && u < d->n; u++) {
		uint64_t h = s_mix(g ^ s_mix(cov[u] + 1)) + s_mix(fnd[u] + 2);

		for (int k = d->first[u]; k >= 0; k = d->next[k])
			h += s_mix(cov[k] ^ 0x5bd1e995ULL);
		fp[u] = s_mix(h);
	}
	free(cov);
	free(fnd);
	return rc;
}

/* s_remove_stale - delete unit/X.html of units no longer in the tree. */
static int
s_remove_stale(dash_t *d, const char *udir)
{
	DIR *dir = opendir(udir);
	struct dirent *e;
	int n = 0;

	if (dir == NULL)
		return 0;
	while ((e = readdir(dir)) != NULL) {
		size_t len = strlen(e->d_name);
		char code[256], path[4608];

		if (e->d_name[0] == '.' || len < 6 || len - 5 >= sizeof(code) || strcmp(e->d_name + len - 5, ".html") != 0)
			continue;
		memcpy(code, e->d_name, len - 5);
		code[len - 5] = '\0';
		if (s_unit_find(d, code) > 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", udir, e->d_name);
		if (unlink(path) == 0)
			n++;
	}
	closedir(dir);
	return n;
}

int
dash_write(sqlite3 *db, const config_t *c, const char *dir, const dash_opts_t *o, dash_stats_t *stats)
{
	dash_t *d = NULL;
	dash_stats_t s = { 0 };
	uint64_t *fp = NULL, g = 0, oldg = 0;
	long long *old = NULL;
	unsigned char *have = NULL, *done = NULL;
	char udir[4200], path[4400];
	sqlite3_stmt *st = NULL;
	int rc = -1, dfd;

	snprintf(udir, sizeof(udir), "%s/unit", dir);
	if (c->nunits == 0 || fs_mkdirs(udir) != 0)
		return c->nunits == 0 ? 0 : -1;
	if (sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS dash_page (code TEXT PRIMARY KEY, print INTEGER NOT NULL);"
	    " BEGIN;", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	if ((d = dash_open(db, c, o)) == NULL)
		goto out;
	s.pages = d->n;
	fp = xcalloc((size_t)d->n + 1, sizeof(uint64_t));
	old = xcalloc((size_t)d->n + 1, sizeof(long long));
	have = xcalloc((size_t)d->n + 1, 1);
	done = xcalloc((size_t)d->n + 1, 1);
	if (s_prints(d, fp, &g) != 0 ||
	    sqlite3_prepare_v2(db, "SELECT code, print FROM dash_page", -1, &st, NULL) != SQLITE_OK)
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *code = (const char *)sqlite3_column_text(st, 0);
		int u = s_unit_find(d, code);

		if (code != NULL && strcmp(code, "*") == 0)
			oldg = (uint64_t)sqlite3_column_int64(st, 1);
		else if (u >= 0) {
			old[u] = sqlite3_column_int64(st, 1);
			have[u] = 1;
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	for (int u = 0; u < d->n; u++) {
		sb_t b;
		struct stat sb_;

		if (u == 0)
			snprintf(path, sizeof(path), "%s/index.html", dir);
		else
			snprintf(path, sizeof(path), "%s/%s.html", udir, c->units[u].code);
		if (u != 0 && have[u] && (uint64_t)old[u] == fp[u] && stat(path, &sb_) == 0) {
			s.unchanged++;
			continue;
		}
		sb_init(&b);
		if (dash_page(d, u, &b) != 0 || fs_replace(path, b.data ? b.data : "", b.len) != 0) {
			sb_free(&b);
			goto out;
		}
		sb_free(&b);
		done[u] = 1;
		s.written++;
	}
	if (oldg != g)
		s.removed = s_remove_stale(d, udir);
	/* the pages reach the disk before their fingerprints say they are there */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		int src = syncfs(dfd);

		close(dfd);
		if (src != 0)
			goto out;
	}
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO dash_page(code, print) VALUES (?, ?)", -1, &st, NULL)
	    != SQLITE_OK)
		goto out;
	for (int u = -1; u < d->n; u++) {
		if (u >= 0 && !done[u])
			continue;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, u < 0 ? "*" : c->units[u].code, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)(u < 0 ? g : fp[u]));
		if (sqlite3_step(st) != SQLITE_DONE)
			goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (oldg != g && sqlite3_exec(db, "DELETE FROM dash_page WHERE code <> '*' AND code NOT IN"
	    " (SELECT code FROM unit)", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	dash_close(&d);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	rc = 0;
out:
	if (st != NULL)
		sqlite3_finalize(st);
	if (rc != 0) {
		int e = errno;

		dash_close(&d);
		if (!sqlite3_get_autocommit(db))
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		errno = e;
	}
	free(fp);
	free(old);
	free(have);
	free(done);
	if (stats != NULL)
		*stats = s;
	return rc;
}
