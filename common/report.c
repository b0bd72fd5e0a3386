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

/* report_grouped - see report.h. */
void
report_grouped(sb_t *out, long long v)
{
	char buf[32];
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	int n = snprintf(buf, sizeof(buf), "%llu", u);

	if (v < 0)
		sb_add(out, "-");
	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			sb_add(out, ".");
		sb_addn(out, &buf[i], 1);
	}
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
