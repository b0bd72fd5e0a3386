/* report - coverage and findings reports (see report.h). */
#include "report.h"
#include "xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLS 11

/* report_format_parse - format name to enum. */
int
report_format_parse(const char *s)
{
	if (strcmp(s, "csv") == 0)
		return REPORT_CSV;
	if (strcmp(s, "json") == 0)
		return REPORT_JSON;
	if (strcmp(s, "table") == 0)
		return REPORT_TABLE;
	return -1;
}

/* report_number - shortest form with at most 2 decimals, rounded half away
 * from zero; empty (an empty cell, null in JSON) for NaN, infinities and
 * magnitudes above 1e15, which hundredths in a long long cannot hold. */
void
report_number(char *buf, size_t size, double v)
{
	long long h;
	char *p;

	if (size == 0)
		return;
	if (!isfinite(v) || fabs(v) > 1e15) {
		buf[0] = '\0';
		return;
	}
	h = llround(v * 100.0);

	snprintf(buf, size, "%s%lld.%02lld", h < 0 ? "-" : "", llabs(h) / 100, llabs(h) % 100);
	p = buf + strlen(buf) - 1;
	while (*p == '0')
		*p-- = '\0';
	if (*p == '.')
		*p = '\0';
}

/* s_cell - column i of the current row as text ("" for NULL); numbers per report_number. */
static void
s_cell(sqlite3_stmt *st, int i, char *buf, size_t size)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL: buf[0] = '\0'; break;
	case SQLITE_INTEGER: snprintf(buf, size, "%lld", (long long)sqlite3_column_int64(st, i)); break;
	case SQLITE_FLOAT: report_number(buf, size, sqlite3_column_double(st, i)); break;
	default: snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, i));
	}
}

typedef struct {
	char **cells; /* rows * ncols */
	size_t nrows, cap;
} s_table_t;

/* s_emit - run the query and append rows in the format; bit i of numeric
 * marks column i as a number (bare in JSON, right-aligned in a table). */
static int
s_emit(sqlite3 *db, const char *sql, const char *period, const char *unit, const char *columns,
    unsigned numeric, report_format_t f, sb_t *out)
{
	const char *names[MAX_COLS];
	char colbuf[256], *tok, *save = NULL;
	int ncols = 0, rc, first = 1;
	sqlite3_stmt *st;
	s_table_t t = { 0 };

	snprintf(colbuf, sizeof(colbuf), "%s", columns);
	for (tok = strtok_r(colbuf, ",", &save); tok && ncols < MAX_COLS; tok = strtok_r(NULL, ",", &save))
		names[ncols++] = tok;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, unit, -1, SQLITE_STATIC);
	if (f == REPORT_CSV)
		sb_addf(out, "%s\n", columns);
	else if (f == REPORT_JSON)
		sb_add(out, "[");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (f == REPORT_JSON)
			sb_add(out, first ? "\n  {" : ",\n  {");
		for (int i = 0; i < ncols; i++) {
			char cell[256];

			s_cell(st, i, cell, sizeof(cell));
			if (f == REPORT_CSV) {
				if (i)
					sb_add(out, ",");
				sb_csv_field(out, cell);
			} else if (f == REPORT_JSON) {
				sb_addf(out, "%s\"%s\": ", i ? ", " : "", names[i]);
				if (cell[0] == '\0')
					sb_add(out, "null");
				else if (numeric & (1u << i))
					sb_add(out, cell);
				else
					sb_json_str(out, cell);
			} else {
				if (t.nrows * (size_t)ncols + (size_t)i >= t.cap) {
					t.cap = t.cap ? t.cap * 2 : 256;
					t.cells = xrealloc(t.cells, t.cap * sizeof(char *));
				}
				t.cells[t.nrows * (size_t)ncols + (size_t)i] = xstrdup(cell);
			}
		}
		if (f == REPORT_CSV)
			sb_add(out, "\n");
		else if (f == REPORT_JSON)
			sb_add(out, "}");
		else
			t.nrows++;
		first = 0;
	}
	sqlite3_finalize(st);
	if (f == REPORT_JSON)
		sb_add(out, first ? "]\n" : "\n]\n");
	if (f == REPORT_TABLE) {
		size_t w[MAX_COLS];

		for (int i = 0; i < ncols; i++) {
			w[i] = strlen(names[i]);
			for (size_t r = 0; r < t.nrows; r++)
				if (strlen(t.cells[r * (size_t)ncols + (size_t)i]) > w[i])
					w[i] = strlen(t.cells[r * (size_t)ncols + (size_t)i]);
		}
		for (int i = 0; i < ncols; i++)
			sb_addf(out, "%s%-*s", i ? "  " : "", (int)w[i], names[i]);
		sb_add(out, "\n");
		for (size_t r = 0; r < t.nrows; r++) {
			for (int i = 0; i < ncols; i++) {
				const char *c = t.cells[r * (size_t)ncols + (size_t)i];

				if (numeric & (1u << i))
					sb_addf(out, "  %*s", (int)w[i], c);
				else
					sb_addf(out, "%s%-*s", i ? "  " : "", (int)w[i], c);
				free((char *)c);
			}
			sb_add(out, "\n");
		}
		free(t.cells);
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

/* report_coverage - rows by org unit then period. */
int
report_coverage(sqlite3 *db, const char *period, const char *org_unit, report_format_t f, sb_t *out)
{
	return s_emit(db,
	    "SELECT org_unit, period, labor_force, bhxh_participants, compulsory, voluntary, bhtn_participants,"
	    " bhxh_coverage_pct, bhtn_coverage_pct, target_bhxh_pct, target_bhtn_pct FROM coverage"
	    " WHERE (?1 IS NULL OR period = ?1)"
	    " AND (?2 IS NULL OR org_unit IN (SELECT descendant FROM unit_tree WHERE ancestor = ?2))"
	    " ORDER BY org_unit, period", period, org_unit, COVERAGE_COLUMNS, 0x7fcu, f, out);
}

/* report_findings - rows by kind, subject, period. */
int
report_findings(sqlite3 *db, const char *period, const char *org_unit, report_format_t f, sb_t *out)
{
	return s_emit(db,
	    "SELECT kind, subject, org_unit, period, severity, value, threshold, status FROM finding"
	    " WHERE (?1 IS NULL OR period = ?1)"
	    " AND (?2 IS NULL OR org_unit IN (SELECT descendant FROM unit_tree WHERE ancestor = ?2))"
	    " ORDER BY kind, subject, period", period, org_unit, FINDINGS_COLUMNS, 0x60u, f, out);
}

/* report_html_escape - text safe inside an element or a quoted attribute. */
void
report_html_escape(sb_t *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&': sb_add(b, "&amp;"); break;
		case '<': sb_add(b, "&lt;"); break;
		case '>': sb_add(b, "&gt;"); break;
		case '"': sb_add(b, "&quot;"); break;
		case '\'': sb_add(b, "&#39;"); break;
		default: sb_addn(b, s, 1);
		}
	}
}

#define DASH_MAX_UNITS 64
#define DASH_MAX_PERIODS 240

static const char *const s_palette[] = { "#1f4e9c", "#c0392b", "#27864a", "#8e44ad", "#d35400", "#16a085",
	"#7f6000", "#2c3e50", "#b03a7a", "#5d6d7e" };

/* s_vn_pct - "16,36" (decimal comma, as Vietnamese readers write it); "—" when NULL. */
static void
s_vn_pct(char *buf, size_t size, sqlite3_stmt *st, int col)
{
	char *p;

	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		snprintf(buf, size, "—");
		return;
	}
	snprintf(buf, size, "%.2f", sqlite3_column_double(st, col));
	if ((p = strchr(buf, '.')) != NULL)
		*p = ',';
}

/* s_vn_period - "03/2017" from "2017-03". */
static void
s_vn_period(char *buf, size_t size, const char *p)
{
	if (p == NULL || strlen(p) < 7)
		snprintf(buf, size, "%s", p ? p : "");
	else
		snprintf(buf, size, "%.2s/%.4s", p + 5, p);
}

typedef struct {
	char code[32];
	char *name;
} s_dunit_t;

/* s_dash_units - the root and the units one level below it (the districts). */
static int
s_dash_units(sqlite3 *db, s_dunit_t *u, int max)
{
	sqlite3_stmt *st;
	int n = 0;

	if (sqlite3_prepare_v2(db, "SELECT code, name FROM unit WHERE depth <= 1 ORDER BY depth, ord", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	while (n < max && sqlite3_step(st) == SQLITE_ROW) {
		snprintf(u[n].code, sizeof(u[n].code), "%s", (const char *)sqlite3_column_text(st, 0));
		u[n].name = xstrdup(sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1) : "");
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

/* s_dash_bars - coverage against target per unit for one month: SVG bars
 * with the target as a dark tick, and the same figures as a table. */
static void
s_dash_bars(sqlite3 *db, const s_dunit_t *u, int n, const char *period, sb_t *out)
{
	sqlite3_stmt *st;
	const int row = 34, left = 230, width = 520;
	double maxv = 10;
	char vp[32];

	s_vn_period(vp, sizeof(vp), period);
	if (sqlite3_prepare_v2(db, "SELECT bhxh_coverage_pct, target_bhxh_pct, bhtn_coverage_pct, target_bhtn_pct,"
	    " bhxh_participants, labor_force FROM coverage WHERE org_unit = ? AND period = ?", -1, &st, NULL) != SQLITE_OK)
		return;
	for (int i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, u[i].code, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, period, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			for (int c = 0; c < 2; c++)
				if (sqlite3_column_double(st, c) > maxv)
					maxv = sqlite3_column_double(st, c);
	}
	maxv = ceil(maxv / 10.0) * 10.0;
	sb_addf(out, "<h2>Tỷ lệ tham gia BHXH so với chỉ tiêu, tháng %s</h2>\n", vp);
	sb_addf(out, "<svg role=\"img\" aria-label=\"Biểu đồ tỷ lệ tham gia BHXH theo đơn vị\" width=\"%d\" height=\"%d\""
	    " viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">\n", left + width + 120, n * row + 40,
	    left + width + 120, n * row + 40);
	for (int t = 0; t <= 4; t++) {
		double x = left + width * t / 4.0;

		sb_addf(out, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
		    "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%g%%</text>\n",
		    x, x, n * row, x, n * row + 16, maxv * t / 4);
	}
	for (int i = 0; i < n; i++) {
		char cov[32], tgt[32];
		int y = i * row;

		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, u[i].code, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, period, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW)
			continue;
		s_vn_pct(cov, sizeof(cov), st, 0);
		s_vn_pct(tgt, sizeof(tgt), st, 1);
		sb_addf(out, "<text x=\"%d\" y=\"%d\" font-size=\"14\" text-anchor=\"end\"%s>", left - 8, y + 21,
		    i == 0 ? " font-weight=\"bold\"" : "");
		report_html_escape(out, u[i].name);
		sb_addf(out, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"20\" fill=\"%s\"/>",
		    left, y + 6, width * sqlite3_column_double(st, 0) / maxv,
		    sqlite3_column_double(st, 0) < sqlite3_column_double(st, 1) ? "#d9822b" : "#2e8b57");
		sb_addf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#000\" stroke-width=\"3\"/>",
		    left + width * sqlite3_column_double(st, 1) / maxv, y + 2,
		    left + width * sqlite3_column_double(st, 1) / maxv, y + 30);
		sb_addf(out, "<text x=\"%.1f\" y=\"%d\" font-size=\"13\">%s%%</text>\n",
		    left + width * sqlite3_column_double(st, 0) / maxv + 6, y + 21, cov);
	}
	sb_add(out, "</svg>\n<p class=\"legend\"><span class=\"sw\" style=\"background:#2e8b57\"></span> đạt chỉ tiêu"
	    " &nbsp; <span class=\"sw\" style=\"background:#d9822b\"></span> chưa đạt chỉ tiêu"
	    " &nbsp; <span class=\"sw\" style=\"background:#000;width:4px\"></span> chỉ tiêu năm</p>\n");
	sb_add(out, "<table><tr><th>Đơn vị</th><th>Người tham gia BHXH</th><th>Lực lượng lao động</th>"
	    "<th>Tỷ lệ BHXH (%)</th><th>Chỉ tiêu BHXH (%)</th><th>Tỷ lệ BHTN (%)</th><th>Chỉ tiêu BHTN (%)</th>"
	    "<th>Đánh giá (BHXH và BHTN)</th></tr>\n");
	for (int i = 0; i < n; i++) {
		char c1[32], t1[32], c2[32], t2[32];
		int behind;

		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, u[i].code, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, period, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW)
			continue;
		s_vn_pct(c1, sizeof(c1), st, 0);
		s_vn_pct(t1, sizeof(t1), st, 1);
		s_vn_pct(c2, sizeof(c2), st, 2);
		s_vn_pct(t2, sizeof(t2), st, 3);
		behind = sqlite3_column_type(st, 0) != SQLITE_NULL &&
		    (sqlite3_column_double(st, 0) < sqlite3_column_double(st, 1) ||
		    sqlite3_column_double(st, 2) < sqlite3_column_double(st, 3));
		sb_add(out, "<tr><td>");
		report_html_escape(out, u[i].name);
		sb_addf(out, "</td><td class=\"n\">%lld</td><td class=\"n\">", (long long)sqlite3_column_int64(st, 4));
		if (sqlite3_column_type(st, 5) == SQLITE_NULL)
			sb_add(out, "chưa có");
		else
			sb_addf(out, "%lld", (long long)sqlite3_column_int64(st, 5));
		sb_addf(out, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
		    "<td class=\"n\">%s</td><td class=\"%s\">%s</td></tr>\n", c1, t1, c2, t2, behind ? "bad" : "good",
		    sqlite3_column_type(st, 0) == SQLITE_NULL ? "thiếu số liệu lao động" : behind ? "chưa đạt" : "đạt");
	}
	sb_add(out, "</table>\n");
	sqlite3_finalize(st);
}

/* s_dash_lines - BHXH coverage of each unit over the months, as SVG lines. */
static void
s_dash_lines(sqlite3 *db, const s_dunit_t *u, int n, sb_t *out)
{
	char *periods[DASH_MAX_PERIODS];
	int np = 0;
	const int left = 50, top = 10, w = 640, h = 260;
	double maxv = 10;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "SELECT DISTINCT period FROM coverage ORDER BY period DESC LIMIT 240", -1, &st,
	    NULL) != SQLITE_OK)
		return;
	while (np < DASH_MAX_PERIODS && sqlite3_step(st) == SQLITE_ROW)
		periods[np++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	for (int i = 0; i < np / 2; i++) { /* oldest first */
		char *t = periods[i];

		periods[i] = periods[np - 1 - i];
		periods[np - 1 - i] = t;
	}
	if (sqlite3_prepare_v2(db, "SELECT MAX(bhxh_coverage_pct + 0) FROM coverage", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_double(st, 0) > maxv)
			maxv = sqlite3_column_double(st, 0);
		sqlite3_finalize(st);
	}
	maxv = ceil(maxv / 10.0) * 10.0;
	sb_add(out, "<h2>Tỷ lệ tham gia BHXH theo tháng (%)</h2>\n");
	sb_addf(out, "<svg role=\"img\" aria-label=\"Biểu đồ tỷ lệ tham gia BHXH theo tháng\" width=\"%d\" height=\"%d\""
	    " viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">\n", left + w + 20, top + h + 40,
	    left + w + 20, top + h + 40);
	for (int t = 0; t <= 4; t++) {
		double y = top + h - h * t / 4.0;

		sb_addf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
		    "<text x=\"%d\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\">%g%%</text>\n",
		    left, y, left + w, y, left - 6, y + 4, maxv * t / 4);
	}
	for (int p = 0; p < np; p++) {
		char vp[32];
		double x = left + (np == 1 ? w / 2.0 : w * p / (double)(np - 1));

		if (np > 12 && p % ((np + 11) / 12) != 0 && p != np - 1)
			continue;
		s_vn_period(vp, sizeof(vp), periods[p]);
		sb_addf(out, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" text-anchor=\"%s\">%s</text>\n", x,
		    top + h + 18, np > 1 && p == np - 1 ? "end" : np > 1 && p == 0 ? "start" : "middle", vp);
	}
	if (sqlite3_prepare_v2(db, "SELECT bhxh_coverage_pct FROM coverage WHERE org_unit = ? AND period = ?", -1, &st,
	    NULL) == SQLITE_OK) {
		for (int i = 0; i < n; i++) {
			const char *color = s_palette[i % (int)(sizeof(s_palette) / sizeof(s_palette[0]))];

			sb_t dots; /* a dot on every point, so a single month still shows */

			sb_init(&dots);
			sb_addf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%d\" points=\"", color,
			    i == 0 ? 4 : 2);
			for (int p = 0; p < np; p++) {
				double x = left + (np == 1 ? w / 2.0 : w * p / (double)(np - 1)), y;

				sqlite3_reset(st);
				sqlite3_bind_text(st, 1, u[i].code, -1, SQLITE_STATIC);
				sqlite3_bind_text(st, 2, periods[p], -1, SQLITE_STATIC);
				if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL)
					continue;
				y = top + h - h * sqlite3_column_double(st, 0) / maxv;
				sb_addf(out, "%.1f,%.1f ", x, y);
				sb_addf(&dots, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\"/>", x, y, i == 0 ? 5 : 3, color);
			}
			sb_add(out, "\"/>\n");
			if (dots.data != NULL)
				sb_addf(out, "%s\n", dots.data);
			sb_free(&dots);
		}
		sqlite3_finalize(st);
	}
	sb_add(out, "</svg>\n<p class=\"legend\">");
	for (int i = 0; i < n; i++) {
		sb_addf(out, "<span class=\"sw\" style=\"background:%s\"></span> ",
		    s_palette[i % (int)(sizeof(s_palette) / sizeof(s_palette[0]))]);
		report_html_escape(out, u[i].name);
		sb_add(out, " &nbsp; ");
	}
	sb_add(out, "</p>\n");
	for (int p = 0; p < np; p++)
		free(periods[p]);
}

/* s_dash_employers - the open employer findings, most severe and largest first. */
static void
s_dash_employers(sqlite3 *db, sb_t *out)
{
	static const char *const kinds[][2] = {
		{ "not_enrolled", "Có lao động nhưng chưa đóng BHXH (trốn đóng)" },
		{ "under_declared", "Khai thiếu số lao động tham gia" },
		{ "arrears", "Nợ đóng BHXH (số tháng nợ)" },
		{ "low_wage_basis", "Lương đóng bình quân thấp hơn lương tối thiểu vùng" },
		{ "unregistered", "Chưa có trong danh bạ đăng ký doanh nghiệp" } };
	static const char *const sev[][2] = { { "critical", "Rất nghiêm trọng" }, { "major", "Nghiêm trọng" },
		{ "warning", "Cảnh báo" }, { "info", "Thông tin" } };
	sqlite3_stmt *st;
	int n = 0;

	sb_add(out, "<h2>Doanh nghiệp cần kiểm tra, đôn đốc</h2>\n<p>Xếp theo mức độ, rồi theo quy mô lao động."
	    " Số liệu của kỳ gần nhất có dữ liệu.</p>\n");
	if (sqlite3_prepare_v2(db,
	    "SELECT s.kind, s.subject, s.name, COALESCE(u.name, s.org_unit), s.severity, s.value, s.last_period,"
	    " CASE WHEN s.kind IN ('arrears', 'low_wage_basis') THEN (SELECT SUM(i.insured_count) FROM insured_unit i"
	    "   WHERE i.unit_code = s.subject AND i.period = s.last_period)"
	    "  ELSE (SELECT SUM(t.employees) FROM tax_employer t WHERE t.period = s.last_period"
	    "   AND t.tax_code >= s.subject AND t.tax_code < s.subject || '.') END AS size"
	    " FROM finding_state s LEFT JOIN unit u ON u.code = s.org_unit"
	    " WHERE s.open = 1 AND s.kind IN ('not_enrolled', 'under_declared', 'arrears', 'low_wage_basis', 'unregistered')"
	    " ORDER BY CASE s.severity WHEN 'critical' THEN 0 WHEN 'major' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END,"
	    " size DESC, s.kind, s.subject LIMIT 200", -1, &st, NULL) != SQLITE_OK) {
		sb_add(out, "<p>Chưa có số liệu.</p>\n");
		return;
	}
	sb_add(out, "<table><tr><th>#</th><th>Mức độ</th><th>Doanh nghiệp / đơn vị</th><th>Mã</th><th>Địa bàn</th>"
	    "<th>Vấn đề</th><th>Số đo</th><th>Quy mô (lao động)</th><th>Kỳ</th></tr>\n");
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 0);
		const char *s = (const char *)sqlite3_column_text(st, 4);
		const char *klabel = kind, *slabel = s;
		char val[64], vp[32];

		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (strcmp(kind, kinds[k][0]) == 0)
				klabel = kinds[k][1];
		for (size_t k = 0; k < sizeof(sev) / sizeof(sev[0]); k++)
			if (s != NULL && strcmp(s, sev[k][0]) == 0)
				slabel = sev[k][1];
		report_number(val, sizeof(val), sqlite3_column_double(st, 5));
		s_vn_period(vp, sizeof(vp), (const char *)sqlite3_column_text(st, 6));
		sb_addf(out, "<tr><td class=\"n\">%d</td><td class=\"sev-%s\">", ++n, s ? s : "");
		report_html_escape(out, slabel);
		sb_add(out, "</td><td>");
		report_html_escape(out, (const char *)sqlite3_column_text(st, 2));
		sb_add(out, "</td><td>");
		report_html_escape(out, (const char *)sqlite3_column_text(st, 1));
		sb_add(out, "</td><td>");
		report_html_escape(out, (const char *)sqlite3_column_text(st, 3));
		sb_add(out, "</td><td>");
		report_html_escape(out, klabel);
		sb_addf(out, "</td><td class=\"n\">%s</td><td class=\"n\">", val);
		if (sqlite3_column_type(st, 7) != SQLITE_NULL)
			sb_addf(out, "%lld", (long long)sqlite3_column_int64(st, 7));
		sb_addf(out, "</td><td>%s</td></tr>\n", vp);
	}
	sqlite3_finalize(st);
	sb_add(out, "</table>\n");
	if (n == 0)
		sb_add(out, "<p>Không có doanh nghiệp nào cần kiểm tra.</p>\n");
}

/* report_dashboard - the whole page. */
int
report_dashboard(sqlite3 *db, sb_t *out)
{
	s_dunit_t u[DASH_MAX_UNITS];
	int n = s_dash_units(db, u, DASH_MAX_UNITS);
	char *latest = NULL, vp[32];
	sqlite3_stmt *st;

	if (n < 0)
		return -1;
	if (sqlite3_prepare_v2(db, "SELECT MAX(period) FROM coverage", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
			latest = xstrdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sb_add(out, "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	    "<title>Tình hình tham gia BHXH");
	if (n > 0) {
		sb_add(out, " — ");
		report_html_escape(out, u[0].name);
	}
	sb_add(out, "</title>\n<style>\nbody{font-family:\"Noto Sans\",\"DejaVu Sans\",Arial,sans-serif;margin:24px;"
	    "color:#222;max-width:1000px}\nh1{font-size:26px}h2{font-size:20px;margin-top:32px;border-bottom:2px solid #1f4e9c}"
	    "\ntable{border-collapse:collapse;margin:8px 0;font-size:14px}\nth,td{border:1px solid #bbb;padding:4px 8px;"
	    "text-align:left}\nth{background:#eef2f8}\ntd.n{text-align:right}\n.bad{color:#b0450c;font-weight:bold}"
	    "\n.good{color:#1e6b3c}\n.sev-critical{color:#fff;background:#a61b1b}\n.sev-major{background:#f3b0a5}"
	    "\n.sev-warning{background:#fbe3a1}\n.legend{font-size:14px}\n.sw{display:inline-block;width:14px;"
	    "height:14px;vertical-align:middle}\n</style>\n</head>\n<body>\n<h1>Tình hình tham gia bảo hiểm xã hội");
	if (n > 0) {
		sb_add(out, " — ");
		report_html_escape(out, u[0].name);
	}
	sb_add(out, "</h1>\n");
	if (latest == NULL) {
		sb_add(out, "<p>Chưa có số liệu người tham gia.</p>\n");
	} else {
		s_vn_period(vp, sizeof(vp), latest);
		sb_addf(out, "<p>Số liệu đến tháng %s. Tỷ lệ tham gia = số người tham gia / lực lượng lao động."
		    " Mục tiêu của tỉnh: khoảng 50%% lực lượng lao động tham gia BHXH và 35%% tham gia bảo hiểm thất"
		    " nghiệp (BHTN).</p>\n", vp);
		s_dash_bars(db, u, n, latest, out);
		s_dash_lines(db, u, n, out);
	}
	s_dash_employers(db, out);
	sb_add(out, "</body>\n</html>\n");
	for (int i = 0; i < n; i++)
		free(u[i].name);
	free(latest);
	return 0;
}
