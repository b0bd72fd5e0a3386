/* test_template - the templates of `bhxhctl template` (common/template.c)
 * against the shipped configuration: for every record type the example row
 * passes the validator's own row checks (rowcheck_row_all) for any month and
 * for every agency that may send the type; every heading maps back to its
 * own field as ingest maps a header; the CSV is UTF-8 with a BOM and reads
 * back, through the CSV reader, as headings and a row that passes; the .xlsx
 * reads back the same through the workbook reader and opens in openpyxl
 * (Debian's /usr/bin/python3); an existing file is never replaced. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "shipped.h"

#include "config.h"
#include "csv.h"
#include "rowcheck.h"
#include "template.h"
#include "text.h"
#include "workbook.h"
#include "xalloc.h"

static config_t *s_cfg;
static char s_dir[] = "/tmp/bhxh-test-template.XXXXXX";

static int
s_group_setup(void **state)
{
	char path[PATH_MAX + 32];
	yt_diag_t d = { 0 };

	(void)state;
	shipped_path(path, sizeof(path), "bhxh.yaml");
	s_cfg = config_load(path, &d);
	yt_diag_print(&d, stderr);
	yt_diag_free(&d);
	return s_cfg == NULL || mkdtemp(s_dir) == NULL ? -1 : 0;
}

static int
s_group_teardown(void **state)
{
	char cmd[PATH_MAX + 32];

	(void)state;
	config_free(&s_cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* s_passes - values pass the row checks for agency ag; prints the errors if not. */
static int
s_passes(const cfg_agency_t *ag, const cfg_rtype_t *rt, char *const *values)
{
	rowcheck_error_t errs[ROWCHECK_MAX_ERRORS];
	rowcheck_errors_t e = { errs, ROWCHECK_MAX_ERRORS, 0, 0 };
	char **out = xcalloc((size_t)rt->nfields + 1, sizeof(char *));
	int rc = rowcheck_row_all(s_cfg, ag, rt, values, out, &e);

	for (int i = 0; rc == 0 && i < rt->nfields; i++)
		free(out[i]);
	free(out);
	for (unsigned i = 0; i < e.n; i++)
		fprintf(stderr, "%s (agency %s): %s %s: %s\n", rt->name, ag != NULL ? ag->id : "-",
		    errs[i].field ? errs[i].field : "-", errs[i].err.code, errs[i].err.en);
	return rc == 0;
}

/* the example row of every type passes, for any month, with and without
 * each agency that may send the type (a district committee's scope too) */
static void
test_example_rows_pass(void **state)
{
	static const int months[][2] = { { 2017, 3 }, { 2026, 1 }, { 2025, 12 }, { 1999, 2 } };

	(void)state;
	for (int t = 0; t < s_cfg->nrtypes; t++) {
		const cfg_rtype_t *rt = &s_cfg->rtypes[t];

		for (size_t m = 0; m < sizeof(months) / sizeof(months[0]); m++) {
			for (int a = -1; a < s_cfg->nagencies; a++) {
				const cfg_agency_t *ag = a < 0 ? NULL : &s_cfg->agencies[a];
				char **v = xcalloc((size_t)rt->nfields + 1, sizeof(char *));

				if (ag != NULL && !config_agency_allows(ag, rt->name)) {
					free(v);
					continue;
				}
				assert_int_equal(tpl_example(s_cfg, ag, rt, months[m][0], months[m][1], v), 0);
				assert_true(s_passes(ag, rt, v));
				/* an agency with no scope accepts the example made without one */
				if (ag != NULL && ag->scope == NULL) {
					char **w = xcalloc((size_t)rt->nfields + 1, sizeof(char *));

					assert_int_equal(tpl_example(s_cfg, NULL, rt, months[m][0], months[m][1], w), 0);
					assert_true(s_passes(ag, rt, w));
					tpl_free_values(rt, w);
					free(w);
				}
				tpl_free_values(rt, v);
				free(v);
			}
		}
	}
}

/* the example fills every required field, and a voluntary-only cell (the
 * participant's agent code) is left empty beside a compulsory scheme */
static void
test_example_fills_required(void **state)
{
	(void)state;
	for (int t = 0; t < s_cfg->nrtypes; t++) {
		const cfg_rtype_t *rt = &s_cfg->rtypes[t];
		char **v = xcalloc((size_t)rt->nfields + 1, sizeof(char *));

		assert_int_equal(tpl_example(s_cfg, NULL, rt, 2017, 3, v), 0);
		for (int i = 0; i < rt->nfields; i++)
			if (rt->fields[i].required)
				assert_true(v[i][0] != '\0');
		if (strcmp(rt->name, "participant") == 0) {
			assert_string_equal(v[config_field_index(rt, "scheme")], "Bắt buộc");
			assert_string_equal(v[config_field_index(rt, "agent_code")], "");
			assert_string_equal(v[config_field_index(rt, "period")], "03/2017");
		}
		tpl_free_values(rt, v);
		free(v);
	}
}

/* s_field_of - the field a heading maps to, as ingest maps a header: its
 * folded form among the fields' folded names and aliases; -1 for none or
 * for more than one. */
static int
s_field_of(const cfg_rtype_t *rt, const char *heading)
{
	char *k = text_fold_key(heading);
	int found = -1;

	for (int i = 0; i < rt->nfields; i++)
		for (int j = 0; j < rt->fields[i].nfolded; j++)
			if (strcmp(rt->fields[i].folded[j], k) == 0) {
				if (found >= 0 && found != i)
					found = -2;
				else if (found == -1)
					found = i;
			}
	free(k);
	return found < 0 ? -1 : found;
}

/* each heading is the field's first alias and maps back to that field only */
static void
test_headings_map_back(void **state)
{
	(void)state;
	for (int t = 0; t < s_cfg->nrtypes; t++) {
		const cfg_rtype_t *rt = &s_cfg->rtypes[t];

		for (int i = 0; i < rt->nfields; i++) {
			const cfg_field_t *f = &rt->fields[i];

			assert_string_equal(tpl_heading(f), f->naliases > 0 ? f->aliases[0] : f->name);
			assert_int_equal(s_field_of(rt, tpl_heading(f)), i);
		}
	}
	assert_string_equal(tpl_heading(&config_rtype(s_cfg, "participant")->fields[0]), "Mã số BHXH");
}

/* s_check_read - rows read back from a template file (CSV or workbook):
 * the header maps every field in order and the example row passes */
static void
s_check_rows(const cfg_rtype_t *rt, csv_row_t *hdr, csv_row_t *row)
{
	char **v = xcalloc((size_t)rt->nfields + 1, sizeof(char *));

	assert_int_equal(hdr->nfields, (size_t)rt->nfields);
	for (int i = 0; i < rt->nfields; i++) {
		assert_int_equal(s_field_of(rt, hdr->fields[i]), i);
		v[i] = i < (int)row->nfields ? row->fields[i] : (char *)""; /* a workbook row stops at its last value */
	}
	assert_true(s_passes(NULL, rt, v));
	free(v);
}

/* the CSV: BOM, CRLF, and it reads back through the CSV reader */
static void
test_csv_reads_back(void **state)
{
	(void)state;
	for (int t = 0; t < s_cfg->nrtypes; t++) {
		const cfg_rtype_t *rt = &s_cfg->rtypes[t];
		char **v = xcalloc((size_t)rt->nfields + 1, sizeof(char *));
		char path[PATH_MAX], err[512];
		csv_reader_t *r;
		csv_row_t hdr, row, end;
		char **hcopy;
		sb_t b;
		int fd;

		assert_int_equal(tpl_example(s_cfg, NULL, rt, 2017, 3, v), 0);
		sb_init(&b);
		tpl_csv(&b, rt, v);
		assert_memory_equal(b.data, "\xEF\xBB\xBF", 3);
		assert_non_null(strstr(b.data, "\r\n"));
		assert_int_equal(b.data[b.len - 1], '\n');
		assert_int_equal(b.data[b.len - 2], '\r');
		sb_free(&b);

		snprintf(path, sizeof(path), "%s/%s_mau.csv", s_dir, rt->name);
		assert_int_equal(tpl_write(path, "csv", rt, v, err, sizeof(err)), 0);
		fd = open(path, O_RDONLY);
		assert_true(fd >= 0);
		r = csv_new(fd, NULL);
		assert_non_null(r);
		assert_int_equal(csv_next(r, &hdr), 1);
		assert_null(hdr.err);
		assert_int_equal(csv_had_bom(r), 1);
		assert_int_equal(csv_delimiter(r), ',');
		hcopy = xcalloc(hdr.nfields + 1, sizeof(char *));
		for (size_t i = 0; i < hdr.nfields; i++)
			hcopy[i] = xstrdup(hdr.fields[i]);
		assert_int_equal(csv_next(r, &row), 1);
		assert_null(row.err);
		{
			csv_row_t h = { .nfields = hdr.nfields, .fields = hcopy };

			s_check_rows(rt, &h, &row);
		}
		assert_int_equal(csv_next(r, &end), 0);
		for (size_t i = 0; i < hdr.nfields; i++)
			free(hcopy[i]);
		free(hcopy);
		csv_destroy(&r);
		close(fd);
		tpl_free_values(rt, v);
		free(v);
	}
}

/* the .xlsx: read back through the workbook reader (the sheet named after
 * the type), identifier cells as text, and openpyxl opens it */
static void
test_xlsx_reads_back(void **state)
{
	int have_python = system("/usr/bin/python3 -c 'import openpyxl' 2>/dev/null") == 0;

	(void)state;
	if (!have_python)
		fprintf(stderr, "# /usr/bin/python3 has no openpyxl (make test-deps): the openpyxl check is skipped\n");
	for (int t = 0; t < s_cfg->nrtypes; t++) {
		const cfg_rtype_t *rt = &s_cfg->rtypes[t];
		char **v = xcalloc((size_t)rt->nfields + 1, sizeof(char *));
		char path[PATH_MAX], err[512], cmd[2 * PATH_MAX];
		const char *werr = NULL;
		wb_reader_t *wb;
		csv_row_t hdr, row;
		char **hcopy;

		assert_int_equal(tpl_example(s_cfg, NULL, rt, 2017, 3, v), 0);
		snprintf(path, sizeof(path), "%s/%s_mau.xlsx", s_dir, rt->name);
		assert_int_equal(tpl_write(path, "xlsx", rt, v, err, sizeof(err)), 0);
		wb = wb_open_path(path, rt->name, WB_FILL_MERGED, NULL, &werr);
		assert_non_null(wb);
		assert_string_equal(wb_sheet_name(wb), rt->name);
		assert_int_equal(wb_next(wb, &hdr), 1);
		assert_int_equal(hdr.line, 1);
		hcopy = xcalloc(hdr.nfields + 1, sizeof(char *));
		for (size_t i = 0; i < hdr.nfields; i++)
			hcopy[i] = xstrdup(hdr.fields[i]);
		assert_int_equal(wb_next(wb, &row), 1);
		assert_int_equal(row.line, 2);
		{
			csv_row_t h = { .nfields = hdr.nfields, .fields = hcopy };

			s_check_rows(rt, &h, &row);
		}
		for (int i = 0; i < rt->nfields && i < (int)row.nfields; i++)
			if (rt->fields[i].type == FT_TAX_CODE || rt->fields[i].type == FT_INSURANCE_NO)
				assert_int_equal(row.fields[i][0], '0'); /* the leading zero is kept */
		assert_int_equal(wb_next(wb, &row), 0);
		assert_null(wb_error(wb));
		wb_destroy(&wb);
		for (size_t i = 0; i < hdr.nfields; i++)
			free(hcopy[i]);
		free(hcopy);
		if (have_python) {
			/* Excel's own reader is not here; openpyxl checks the package
			 * and reports the cell formats: text "@" on identifier cells */
			snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c '"
			    "import sys, openpyxl\n"
			    "wb = openpyxl.load_workbook(sys.argv[1])\n"
			    "ws = wb[sys.argv[2]]\n"
			    "assert ws.max_row == 2, ws.max_row\n"
			    "for c in ws[2]:\n"
			    "    if isinstance(c.value, str) and c.value[:1].isdigit(): assert c.number_format == \"@\", c\n"
			    "' '%s' '%s'", path, rt->name);
			assert_int_equal(system(cmd), 0);
		}
		tpl_free_values(rt, v);
		free(v);
	}
}

/* an existing file is never replaced, and nothing is left beside it */
static void
test_never_replaces(void **state)
{
	const cfg_rtype_t *rt = config_rtype(s_cfg, "target");
	char **v = xcalloc((size_t)rt->nfields + 1, sizeof(char *));
	char path[PATH_MAX], err[512], cmd[PATH_MAX + 64];
	struct stat st;
	FILE *f;

	(void)state;
	assert_int_equal(tpl_example(s_cfg, NULL, rt, 2017, 3, v), 0);
	for (int k = 0; k < 2; k++) {
		const char *fmt = k == 0 ? "csv" : "xlsx";

		snprintf(path, sizeof(path), "%s/mine.%s", s_dir, fmt);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs("the clerk's own file\n", f);
		fclose(f);
		errno = 0;
		assert_int_equal(tpl_write(path, fmt, rt, v, err, sizeof(err)), -1);
		assert_int_equal(errno, EEXIST);
		assert_non_null(strstr(err, "exists"));
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_size, (off_t)strlen("the clerk's own file\n"));
	}
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s' | grep '^\\.')\"", s_dir);
	assert_int_equal(system(cmd), 0); /* no hidden temporary left */
	snprintf(path, sizeof(path), "%s/no/such/dir/target_mau.csv", s_dir);
	assert_int_equal(tpl_write(path, "csv", rt, v, err, sizeof(err)), -1);
	tpl_free_values(rt, v);
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_rows_pass),
		cmocka_unit_test(test_example_fills_required),
		cmocka_unit_test(test_headings_map_back),
		cmocka_unit_test(test_csv_reads_back),
		cmocka_unit_test(test_xlsx_reads_back),
		cmocka_unit_test(test_never_replaces),
	};

	return cmocka_run_group_tests(tests, s_group_setup, s_group_teardown);
}
