/* test_workbook - unit tests for the workbook reader (common/workbook.c).
 *
 * Most inputs are the workbooks under tests/fixtures/workbooks/, written by
 * real spreadsheet libraries (openpyxl, xlwt) or by hand with zipfile
 * (make_fixtures.py beside them says which and why). A few are zipped here
 * with libzip: a shared-strings table big enough to go to disk, and sheets
 * whose references run backwards. Tests run from the repository root
 * (tests/run-all.sh does); BHXH_FIXTURES overrides the directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "workbook.h"

/* s_fixture - the path of fixture name. */
static const char *
s_fixture(const char *name)
{
	static char path[4096];
	const char *dir = getenv("BHXH_FIXTURES");

	snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir : "tests/fixtures/workbooks", name);
	return path;
}

/* s_open - a reader on fixture name; fails the test on an error. */
static wb_reader_t *
s_open(const char *name, const char *sheet, unsigned flags, const wb_limits_t *lim)
{
	const char *err = NULL;
	wb_reader_t *r = wb_open_path(s_fixture(name), sheet, flags, lim, &err);

	if (r == NULL)
		fail_msg("%s: %s", name, err);
	return r;
}

/* s_open_err - the error opening fixture name (the open must fail). */
static const char *
s_open_err(const char *name, const wb_limits_t *lim)
{
	const char *err = NULL;
	wb_reader_t *r = wb_open_path(s_fixture(name), NULL, WB_FILL_MERGED, lim, &err);

	assert_null(r);
	assert_non_null(err);
	return err;
}

/* s_expect - the next row is line `line` with exactly the n fields given. */
static void
s_expect(wb_reader_t *r, unsigned long line, size_t n, ...)
{
	csv_row_t row;
	va_list ap;

	assert_int_equal(wb_next(r, &row), 1);
	assert_int_equal(row.line, line);
	assert_int_equal(row.end_line, line);
	assert_null(row.err);
	assert_int_equal(row.nfields, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		const char *want = va_arg(ap, const char *);

		assert_string_equal(row.fields[i], want);
		assert_int_equal(row.lens[i], strlen(want));
	}
	va_end(ap);
}

/* s_expect_end - no more rows, no error. */
static void
s_expect_end(wb_reader_t *r)
{
	csv_row_t row;

	assert_int_equal(wb_next(r, &row), 0);
	assert_int_equal(wb_next(r, &row), 0);
	assert_null(wb_error(r));
}

/* s_date_of - the date a cell's serial stands for. */
static const char *
s_date_of(wb_reader_t *r, const csv_row_t *row, size_t col)
{
	static char d[11];

	assert_int_equal(wb_serial_to_date(strtod(row->fields[col], NULL), wb_date1904(r), d), 0);
	return d;
}

/* ---- zipping test workbooks ---- */

static const char s_ct[] = "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>";
static const char s_wbxml[] =
    "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
    "<sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
static const char s_rels[] =
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" "
    "Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings\" "
    "Target=\"sharedStrings.xml\"/></Relationships>";

/* s_add - add a part holding a copy of text, stored (not deflated). */
static void
s_add(zip_t *z, const char *name, const char *text, size_t len)
{
	char *copy = malloc(len + 1);
	zip_source_t *src;

	assert_non_null(copy);
	memcpy(copy, text, len);
	zip_int64_t idx;

	src = zip_source_buffer(z, copy, len, 1);
	assert_non_null(src);
	idx = zip_file_add(z, name, src, ZIP_FL_ENC_UTF_8);
	assert_true(idx >= 0);
	zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0); /* quick to write */
}

/* s_zip_xlsx - an .xlsx at path with the sheet and shared strings given
 * (sst NULL: none). */
static void
s_zip_xlsx(const char *path, const char *sheet, size_t sheet_len, const char *sst, size_t sst_len)
{
	int ze = 0;
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &ze);

	assert_non_null(z);
	s_add(z, "[Content_Types].xml", s_ct, strlen(s_ct));
	s_add(z, "xl/workbook.xml", s_wbxml, strlen(s_wbxml));
	s_add(z, "xl/_rels/workbook.xml.rels", s_rels, strlen(s_rels));
	if (sst != NULL)
		s_add(z, "xl/sharedStrings.xml", sst, sst_len);
	s_add(z, "xl/worksheets/sheet1.xml", sheet, sheet_len);
	assert_int_equal(zip_close(z), 0);
}

/* s_tmp_path - a fresh temporary file name. */
static void
s_tmp_path(char *path, size_t sz)
{
	int fd;

	snprintf(path, sz, "/tmp/test_workbook_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
}

/* ---- tests ---- */

/* A report with a title block, merged title and header cells, a tax code
 * stored as a number, date serials, and a gap of empty rows. */
static void
test_xlsx_report(void **state)
{
	wb_reader_t *r = s_open("participants.xlsx", NULL, WB_FILL_MERGED, NULL);
	const char *title = "BÁO CÁO DANH SÁCH NGƯỜI THAM GIA BHXH";
	csv_row_t row;
	wb_cell_t c;
	unsigned r1, c1, r2, c2;

	assert_string_equal(wb_format(r), "xlsx");
	assert_string_equal(wb_sheet_name(r), "BaoCao");
	assert_int_equal(wb_date1904(r), 0);
	assert_int_equal(wb_merge_count(r), 2);
	assert_int_equal(wb_merge(r, 0, &r1, &c1, &r2, &c2), 0);
	assert_int_equal(r1, 0);
	assert_int_equal(c1, 0);
	assert_int_equal(r2, 0);
	assert_int_equal(c2, 4);
	assert_int_equal(wb_merge(r, 2, &r1, &c1, &r2, &c2), -1);
	s_expect(r, 1, 5, title, title, title, title, title);
	assert_int_equal(wb_cell(r, 0).merged, 0);
	assert_int_equal(wb_cell(r, 4).merged, 1);
	s_expect(r, 2, 1, "Đơn vị: Công ty TNHH Hải Phòng");
	s_expect(r, 4, 6, "Họ và tên", "Mã số thuế", "Ngày sinh", "Lương", "Lương", "Đã nộp");

	assert_int_equal(wb_next(r, &row), 1);
	assert_int_equal(row.line, 5);
	assert_int_equal(row.nfields, 6);
	assert_string_equal(row.fields[0], "Nguyễn Văn Ánh");
	assert_string_equal(row.fields[1], "300588569"); /* a number, not 3.00588569E8 */
	c = wb_cell(r, 1);
	assert_int_equal(c.type, WB_NUMBER);
	assert_int_equal(c.is_date, 0);
	c = wb_cell(r, 2);
	assert_int_equal(c.type, WB_NUMBER);
	assert_int_equal(c.is_date, 1);
	assert_true(c.numfmt >= 164);
	assert_string_equal(c.format, "dd/mm/yyyy");
	assert_string_equal(s_date_of(r, &row, 2), "1990-05-17");
	assert_string_equal(row.fields[3], "5000000");
	assert_string_equal(row.fields[4], "0.3"); /* 0.1 + 0.2 without float noise */
	assert_string_equal(row.fields[5], "TRUE");
	assert_int_equal(wb_cell(r, 5).type, WB_BOOL);
	assert_int_equal(wb_cell(r, 99).type, WB_EMPTY);

	assert_int_equal(wb_next(r, &row), 1);
	assert_int_equal(row.line, 6);
	assert_string_equal(row.fields[1], "1234567890123");
	assert_string_equal(s_date_of(r, &row, 2), "1985-12-01");
	assert_string_equal(row.fields[3], "7250000.5");
	assert_string_equal(row.fields[5], "FALSE");

	/* rows 7 and 8 are empty: the next row says 9; B9 is empty */
	assert_int_equal(wb_next(r, &row), 1);
	assert_int_equal(row.line, 9);
	assert_int_equal(row.nfields, 3);
	assert_string_equal(row.fields[1], "");
	assert_int_equal(row.lens[1], 0);
	assert_int_equal(wb_cell(r, 1).type, WB_EMPTY);
	assert_string_equal(s_date_of(r, &row, 2), "2000-02-29");
	s_expect_end(r);
	wb_destroy(&r);
	assert_null(r);
}

/* Without WB_FILL_MERGED a merged area is its top-left cell only. */
static void
test_xlsx_merged_not_filled(void **state)
{
	wb_reader_t *r = s_open("participants.xlsx", NULL, 0, NULL);

	assert_int_equal(wb_merge_count(r), 0);
	s_expect(r, 1, 1, "BÁO CÁO DANH SÁCH NGƯỜI THAM GIA BHXH");
	s_expect(r, 2, 1, "Đơn vị: Công ty TNHH Hải Phòng");
	s_expect(r, 4, 6, "Họ và tên", "Mã số thuế", "Ngày sinh", "Lương", "", "Đã nộp");
	wb_destroy(&r);
}

/* Two sheets: the one named after the record type is picked, case and
 * spaces aside; a name not there is an error unless WB_SHEET_OR_FIRST. */
static void
test_xlsx_sheet_by_name(void **state)
{
	const char *err = NULL;
	wb_reader_t *r = s_open("participants.xlsx", " nld ", 0, NULL);
	csv_row_t row;

	assert_string_equal(wb_sheet_name(r), "NLD");
	s_expect(r, 1, 3, "ma_so_bhxh", "ho_ten", "ngay_sinh");
	assert_int_equal(wb_next(r, &row), 1);
	assert_string_equal(row.fields[0], "0123456789"); /* text stays text */
	assert_string_equal(row.fields[1], "Phạm Minh Đức");
	assert_int_equal(wb_cell(r, 2).numfmt, 14);
	assert_int_equal(wb_cell(r, 2).is_date, 1);
	assert_string_equal(s_date_of(r, &row, 2), "1970-01-01");
	s_expect_end(r);
	wb_destroy(&r);

	assert_null(wb_open_path(s_fixture("participants.xlsx"), "participants", 0, NULL, &err));
	assert_string_equal(err, WB_E_NO_SHEET);
	r = s_open("participants.xlsx", "participants", WB_SHEET_OR_FIRST, NULL);
	assert_string_equal(wb_sheet_name(r), "BaoCao");
	wb_destroy(&r);
}

/* The first sheet is the first visible one; a hidden one is read only by name. */
static void
test_xlsx_hidden_sheet(void **state)
{
	wb_reader_t *r = s_open("hidden.xlsx", NULL, 0, NULL);

	assert_string_equal(wb_sheet_name(r), "Hiện");
	s_expect(r, 1, 1, "visible");
	wb_destroy(&r);
	r = s_open("hidden.xlsx", "participant", WB_SHEET_OR_FIRST, NULL);
	assert_string_equal(wb_sheet_name(r), "Hiện");
	wb_destroy(&r);
	r = s_open("hidden.xlsx", "Ẩn", 0, NULL);
	s_expect(r, 1, 1, "hidden");
	wb_destroy(&r);
}

/* Formulas give their cached value; inline, rich and phonetic strings;
 * errors, booleans, cells and rows without references; number formats. */
static void
test_xlsx_crafted(void **state)
{
	wb_reader_t *r = s_open("crafted.xlsx", NULL, WB_FILL_MERGED, NULL);
	csv_row_t row;
	wb_cell_t c;

	s_expect(r, 1, 4, "Mã đơn vị", "", "Hà Nội", "  cách  ");
	s_expect(r, 2, 7, "300588569", "601177138", "ab", "#DIV/0!", "TRUE", "0.3", "Đà Nẵng");
	c = wb_cell(r, 0);
	assert_int_equal(c.type, WB_NUMBER);
	assert_int_equal(c.formula, 0);
	c = wb_cell(r, 1);
	assert_int_equal(c.type, WB_NUMBER);
	assert_int_equal(c.formula, 1);
	c = wb_cell(r, 2);
	assert_int_equal(c.type, WB_STRING);
	assert_int_equal(c.formula, 1);
	assert_int_equal(wb_cell(r, 3).type, WB_ERROR);
	assert_int_equal(wb_cell(r, 4).type, WB_BOOL);
	assert_int_equal(wb_cell(r, 6).type, WB_STRING);
	assert_int_equal(wb_cell(r, 7).type, WB_EMPTY); /* H2: a formula never computed */
	s_expect(r, 3, 5, "1", "2", "", "", "-1.5e-07");
	assert_int_equal(wb_next(r, &row), 1);
	assert_int_equal(row.line, 5);
	assert_int_equal(row.nfields, 5);
	c = wb_cell(r, 0);
	assert_int_equal(c.numfmt, 164);
	assert_int_equal(c.is_date, 1);
	assert_string_equal(s_date_of(r, &row, 0), "2024-01-01");
	c = wb_cell(r, 1);
	assert_int_equal(c.numfmt, 165);
	assert_int_equal(c.is_date, 0); /* 0 "ngày": the d is quoted */
	assert_string_equal(row.fields[1], "7");
	c = wb_cell(r, 2);
	assert_int_equal(c.numfmt, 14);
	assert_int_equal(c.is_date, 1);
	assert_string_equal(s_date_of(r, &row, 2), "1900-03-01");
	assert_string_equal(row.fields[3], "2024-03-01");
	assert_int_equal(wb_cell(r, 3).type, WB_DATE);
	assert_string_equal(row.fields[4], "5");
	assert_int_equal(wb_cell(r, 4).numfmt, 0); /* a style index out of range */
	{
		char d[11];

		assert_int_equal(wb_date_text(r, 0, row.fields[0], d), 0);
		assert_string_equal(d, "2024-01-01");
		assert_int_equal(wb_date_text(r, 1, row.fields[1], d), -1); /* not a date format */
		assert_int_equal(wb_date_text(r, 3, row.fields[3], d), -1); /* already a date as text */
	}
	assert_int_equal(wb_next(r, &row), 1);
	assert_int_equal(row.line, 6);
	{
		char d[11];

		assert_int_equal(wb_date_text(r, 0, row.fields[0], d), 0);
		assert_string_equal(d, "2017-03"); /* mm/yyyy: a month */
		assert_int_equal(wb_date_text(r, 1, row.fields[1], d), 0);
		assert_string_equal(d, "2017-03"); /* built-in 17, mmm-yy */
		assert_string_equal(row.fields[2], "42795.5");
		assert_int_equal(wb_date_text(r, 2, row.fields[2], d), 0);
		assert_string_equal(d, "2017-03-01"); /* the time of day dropped */
		assert_int_equal(wb_date_text(r, 9, "", d), -1);
	}
	s_expect_end(r);
	wb_destroy(&r);
}

/* A workbook of the 1904 date system. */
static void
test_xlsx_date1904(void **state)
{
	wb_reader_t *r = s_open("date1904.xlsx", NULL, 0, NULL);
	csv_row_t row;

	assert_int_equal(wb_date1904(r), 1);
	assert_int_equal(wb_next(r, &row), 1);
	assert_string_equal(s_date_of(r, &row, 0), "1904-01-01");
	assert_string_equal(s_date_of(r, &row, 1), "2024-01-01");
	wb_destroy(&r);
}

/* Excel serials, with the phantom 1900-02-29. */
static void
test_serial_to_date(void **state)
{
	char d[11];

	assert_int_equal(wb_serial_to_date(1, 0, d), 0);
	assert_string_equal(d, "1900-01-01");
	assert_int_equal(wb_serial_to_date(59, 0, d), 0);
	assert_string_equal(d, "1900-02-28");
	assert_int_equal(wb_serial_to_date(60, 0, d), -1);
	assert_int_equal(wb_serial_to_date(61, 0, d), 0);
	assert_string_equal(d, "1900-03-01");
	assert_int_equal(wb_serial_to_date(45292.75, 0, d), 0);
	assert_string_equal(d, "2024-01-01");
	assert_int_equal(wb_serial_to_date(36585, 0, d), 0);
	assert_string_equal(d, "2000-02-29");
	assert_int_equal(wb_serial_to_date(2958465, 0, d), 0);
	assert_string_equal(d, "9999-12-31");
	assert_int_equal(wb_serial_to_date(2958466, 0, d), -1);
	assert_int_equal(wb_serial_to_date(0, 0, d), -1);
	assert_int_equal(wb_serial_to_date(-1, 0, d), -1);
	assert_int_equal(wb_serial_to_date(0.0 / 0.0, 0, d), -1);
	assert_int_equal(wb_serial_to_date(0, 1, d), 0);
	assert_string_equal(d, "1904-01-01");
	assert_int_equal(wb_serial_to_date(1461, 1, d), 0);
	assert_string_equal(d, "1908-01-01");
}

/* Which number formats are dates. */
static void
test_format_is_date(void **state)
{
	for (int i = 14; i <= 17; i++)
		assert_int_equal(wb_format_is_date(i, NULL), 1);
	assert_int_equal(wb_format_is_date(22, NULL), 1);
	assert_int_equal(wb_format_is_date(20, NULL), 0); /* h:mm */
	assert_int_equal(wb_format_is_date(0, "General"), 0);
	assert_int_equal(wb_format_is_date(49, "@"), 0);
	assert_int_equal(wb_format_is_date(164, "dd/mm/yyyy"), 1);
	assert_int_equal(wb_format_is_date(165, "[$-42A]d mmmm yyyy"), 1);
	assert_int_equal(wb_format_is_date(166, "YYYY-MM-DD"), 1);
	assert_int_equal(wb_format_is_date(167, "0 \"ngày\""), 0);
	assert_int_equal(wb_format_is_date(168, "#,##0\\d"), 0);
	assert_int_equal(wb_format_is_date(169, "[Red]0.00"), 0);
	assert_int_equal(wb_format_is_date(170, "mm:ss"), 0);
	assert_int_equal(wb_format_is_date(171, "\"unterminated"), 0);
	assert_int_equal(wb_format_is_date(172, NULL), 0);
}

/* The old binary format through libfreexl. */
static void
test_xls(void **state)
{
	wb_reader_t *r = s_open("participants.xls", NULL, WB_FILL_MERGED, NULL);
	csv_row_t row;

	assert_string_equal(wb_format(r), "xls");
	assert_string_equal(wb_sheet_name(r), "BaoCao");
	s_expect(r, 1, 1, "DANH SÁCH NGƯỜI THAM GIA");
	s_expect(r, 3, 4, "Họ và tên", "Mã số thuế", "Ngày sinh", "Lương");
	assert_int_equal(wb_next(r, &row), 1);
	assert_int_equal(row.line, 4);
	assert_string_equal(row.fields[0], "Nguyễn Văn Ánh");
	assert_string_equal(row.fields[1], "300588569");
	assert_int_equal(wb_cell(r, 1).type, WB_NUMBER);
	assert_string_equal(row.fields[2], "1990-05-17");
	assert_int_equal(wb_cell(r, 2).type, WB_DATE);
	assert_string_equal(row.fields[3], "5000000.5");
	s_expect(r, 6, 1, "Trần Thị Bích");
	s_expect_end(r);
	wb_destroy(&r);

	r = s_open("participants.xls", "NLD", 0, NULL);
	s_expect(r, 1, 1, "ma_so_bhxh");
	s_expect(r, 2, 1, "0123456789");
	s_expect_end(r);
	wb_destroy(&r);
}

/* libfreexl runs in a child: a file that overflows its stack buffers (a
 * fuzzing finding) costs the child, not the reader; the reader's process
 * goes on and the file is refused. */
static void
test_xls_isolated(void **state)
{
	const char *err = NULL;
	wb_reader_t *r = wb_open_path(s_fixture("freexl_overflow.xls"), NULL, 0, NULL, &err);
	csv_row_t row;
	int rc;

	if (r != NULL) { /* freexl may read it without crashing outside sanitizers */
		while ((rc = wb_next(r, &row)) == 1)
			;
		assert_true(rc == 0 || wb_error(r) != NULL);
		wb_destroy(&r);
	} else {
		assert_true(strcmp(err, WB_E_UNSUPPORTED) == 0 || strcmp(err, WB_E_DAMAGED) == 0);
	}
	r = s_open("participants.xls", NULL, 0, NULL); /* and the next file is read as usual */
	s_expect(r, 1, 1, "DANH SÁCH NGƯỜI THAM GIA");
	wb_destroy(&r); /* kills and reaps the child before it has finished */
}

/* An OpenDocument spreadsheet: repeats, spans, covered cells, comments. */
static void
test_ods(void **state)
{
	wb_reader_t *r = s_open("participants.ods", NULL, WB_FILL_MERGED, NULL);
	csv_row_t row;

	assert_string_equal(wb_format(r), "ods");
	assert_string_equal(wb_sheet_name(r), "BaoCao");
	s_expect(r, 1, 3, "BÁO CÁO", "BÁO CÁO", "BÁO CÁO");
	assert_int_equal(wb_cell(r, 2).merged, 1);
	s_expect(r, 4, 5, "Họ và tên", "Mã số thuế", "Lương", "Lương", "Ghi chú");
	assert_int_equal(wb_next(r, &row), 1);
	assert_int_equal(row.line, 5);
	assert_int_equal(row.nfields, 5);
	assert_string_equal(row.fields[0], "Nguyễn  Văn\nÁnh"); /* text:s c=2, two paragraphs, no comment */
	assert_string_equal(row.fields[1], "300588569");
	assert_int_equal(wb_cell(r, 1).type, WB_NUMBER);
	assert_string_equal(row.fields[2], "0.3");
	assert_int_equal(wb_cell(r, 2).formula, 1);
	assert_string_equal(row.fields[3], "1990-05-17");
	assert_int_equal(wb_cell(r, 3).type, WB_DATE);
	assert_string_equal(row.fields[4], "TRUE");
	s_expect(r, 6, 2, "x", "x"); /* a row repeated twice */
	s_expect(r, 7, 2, "x", "x");
	s_expect_end(r); /* the million empty rows after it are not rows */
	assert_int_equal(wb_merge_count(r), 2);
	wb_destroy(&r);

	r = s_open("participants.ods", "nld", 0, NULL);
	assert_string_equal(wb_sheet_name(r), "NLD");
	s_expect(r, 1, 1, "ma_so_bhxh");
	s_expect(r, 2, 1, "2001-02-03 04:05:06");
	s_expect_end(r);
	wb_destroy(&r);
	r = s_open("participants.ods", "none", WB_SHEET_OR_FIRST, NULL);
	assert_string_equal(wb_sheet_name(r), "BaoCao");
	wb_destroy(&r);
	{
		const char *err = NULL;

		assert_null(wb_open_path(s_fixture("participants.ods"), "none", 0, NULL, &err));
		assert_string_equal(err, WB_E_NO_SHEET);
	}
}

/* A zip bomb (50 MB of spaces packed 1000:1), and the size limits. */
static void
test_zip_bomb(void **state)
{
	wb_limits_t lim = WB_LIMITS_DEFAULT;

	assert_string_equal(s_open_err("zipbomb.xlsx", NULL), WB_E_RATIO);
	lim.max_ratio = 100000;
	lim.max_entry = 10u * 1024u * 1024u;
	assert_string_equal(s_open_err("zipbomb.xlsx", &lim), WB_E_ENTRY_SIZE);
	lim = (wb_limits_t)WB_LIMITS_DEFAULT;
	lim.max_ratio = 100000;
	lim.max_total = 10u * 1024u * 1024u;
	assert_string_equal(s_open_err("zipbomb.xlsx", &lim), WB_E_TOTAL_SIZE);
	lim = (wb_limits_t)WB_LIMITS_DEFAULT;
	lim.max_entries = 3;
	assert_string_equal(s_open_err("participants.xlsx", &lim), WB_E_ENTRIES);
}

/* The total limit also holds while rows are read (not only at open). */
static void
test_total_while_reading(void **state)
{
	wb_limits_t lim = WB_LIMITS_DEFAULT;
	const char *err = NULL;
	wb_reader_t *r;
	csv_row_t row;
	int rc;

	lim.max_ratio = 100000;
	lim.max_total = 10u * 1024u * 1024u;
	r = wb_open_path(s_fixture("zipbomb.xlsx"), NULL, 0, &lim, &err); /* no merge pass */
	assert_non_null(r);
	assert_int_equal(wb_next(r, &row), 1);
	while ((rc = wb_next(r, &row)) == 1)
		;
	assert_int_equal(rc, -1);
	assert_string_equal(wb_error(r), WB_E_TOTAL_SIZE);
	assert_int_equal(wb_next(r, &row), -1);
	wb_destroy(&r);
}

/* An XML bomb (billion laughs), nesting, and a DTD-free file at small depth. */
static void
test_xml_bombs(void **state)
{
	wb_limits_t lim = WB_LIMITS_DEFAULT;

	assert_string_equal(s_open_err("xmlbomb.xlsx", NULL), WB_E_XML_ENTITY);
	assert_string_equal(s_open_err("deep.xlsx", NULL), WB_E_XML_DEPTH);
	lim.max_depth = 3;
	assert_string_equal(s_open_err("participants.xlsx", &lim), WB_E_XML_DEPTH);
}

/* Truncated archives, other files, other zips. */
static void
test_not_workbooks(void **state)
{
	char path[64];
	const char *err = NULL;
	int fd;

	assert_string_equal(s_open_err("truncated.xlsx", NULL), WB_E_DAMAGED);
	assert_string_equal(s_open_err("notzip.xlsx", NULL), WB_E_NOT_WORKBOOK);
	assert_string_equal(s_open_err("other.zip", NULL), WB_E_UNSUPPORTED);
	assert_null(wb_open_path("/nonexistent/x.xlsx", NULL, 0, NULL, &err));
	assert_string_equal(err, WB_E_IO);
	s_tmp_path(path, sizeof(path));
	fd = open(path, O_RDONLY);
	assert_null(wb_open(fd, NULL, 0, NULL, &err)); /* empty */
	assert_string_equal(err, WB_E_NOT_WORKBOOK);
	close(fd);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "PK\003\004", 4), 4);
	close(fd);
	fd = open(path, O_RDONLY);
	assert_null(wb_open(fd, NULL, 0, NULL, &err)); /* a local header and nothing else */
	assert_string_equal(err, WB_E_DAMAGED);
	close(fd);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1garbage", 15), 15);
	close(fd);
	fd = open(path, O_RDONLY);
	assert_null(wb_open(fd, NULL, 0, NULL, &err)); /* OLE2 magic, no .xls behind it */
	assert_string_equal(err, WB_E_UNSUPPORTED);
	close(fd);
	unlink(path);
}

/* Row limits give row errors; reading goes on after them. */
static void
test_row_limits(void **state)
{
	wb_limits_t lim = WB_LIMITS_DEFAULT;
	wb_reader_t *r;
	csv_row_t row;

	lim.max_cells = 4;
	r = s_open("crafted.xlsx", NULL, 0, &lim);
	s_expect(r, 1, 4, "Mã đơn vị", "", "Hà Nội", "  cách  ");
	assert_int_equal(wb_next(r, &row), 1);
	assert_int_equal(row.line, 2);
	assert_string_equal(row.err, WB_E_TOO_MANY_CELLS);
	assert_int_equal(wb_next(r, &row), 1);
	assert_int_equal(row.line, 3);
	assert_string_equal(row.err, WB_E_TOO_MANY_CELLS);
	assert_int_equal(wb_next(r, &row), 1);
	assert_int_equal(row.line, 5);
	assert_string_equal(row.err, WB_E_TOO_MANY_CELLS);
	s_expect(r, 6, 3, "42795", "42795", "42795.5");
	s_expect_end(r);
	wb_destroy(&r);

	lim = (wb_limits_t)WB_LIMITS_DEFAULT;
	lim.max_string = 9;
	r = s_open("participants.ods", NULL, 0, &lim);
	assert_int_equal(wb_next(r, &row), 1);
	assert_int_equal(row.line, 1);
	assert_null(row.err); /* BÁO CÁO is 9 bytes */
	assert_int_equal(wb_next(r, &row), 1);
	assert_int_equal(row.line, 4);
	assert_string_equal(row.err, WB_E_CELL_TOO_LONG);
	wb_destroy(&r);
	assert_string_equal(s_open_err("crafted.xlsx", &lim), WB_E_STRINGS); /* a shared string too long */

	lim = (wb_limits_t)WB_LIMITS_DEFAULT;
	lim.max_record = 40; /* the title (43 bytes) is over, the unit (38) is not */
	r = s_open("participants.xlsx", NULL, 0, &lim);
	assert_int_equal(wb_next(r, &row), 1);
	assert_string_equal(row.err, WB_E_ROW_TOO_LONG);
	s_expect(r, 2, 1, "Đơn vị: Công ty TNHH Hải Phòng");
	wb_destroy(&r);
}

/* Shared strings past sst_mem go to disk and read back the same. */
static void
test_strings_on_disk(void **state)
{
	wb_limits_t lim = WB_LIMITS_DEFAULT;
	wb_reader_t *r;

	lim.sst_mem = 64;
	r = s_open("crafted.xlsx", NULL, 0, &lim);
	assert_int_equal(wb_strings_on_disk(r), 1);
	s_expect(r, 1, 4, "Mã đơn vị", "", "Hà Nội", "  cách  ");
	wb_destroy(&r);
	r = s_open("crafted.xlsx", NULL, 0, NULL);
	assert_int_equal(wb_strings_on_disk(r), 0);
	s_expect(r, 1, 4, "Mã đơn vị", "", "Hà Nội", "  cách  ");
	wb_destroy(&r);
}

/* 60,000 shared strings (over 1 MB) on disk, read back in reverse order
 * through the block cache, with one string longer than a cache block. */
static void
test_many_strings(void **state)
{
	enum { N = 60000 };
	char path[64];
	size_t cap = (size_t)N * 96 + 300000, slen = 0, wlen = 0;
	char *sst = malloc(cap), *sheet = malloc(cap);
	wb_limits_t lim = WB_LIMITS_DEFAULT;
	const char *err = NULL;
	wb_reader_t *r;
	csv_row_t row;
	char want[300000];

	assert_non_null(sst);
	assert_non_null(sheet);
	slen += (size_t)sprintf(sst + slen, "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">");
	for (int i = 0; i < N; i++) {
		if (i == 777) {
			slen += (size_t)sprintf(sst + slen, "<si><t>");
			memset(sst + slen, 'L', 200000);
			slen += 200000;
			slen += (size_t)sprintf(sst + slen, "</t></si>");
		} else {
			slen += (size_t)sprintf(sst + slen, "<si><t>chuỗi số %d</t></si>", i);
		}
	}
	slen += (size_t)sprintf(sst + slen, "</sst>");
	wlen += (size_t)sprintf(sheet + wlen, "<worksheet><sheetData>");
	for (int i = 0; i < N; i++)
		wlen += (size_t)sprintf(sheet + wlen, "<row r=\"%d\"><c r=\"B%d\" t=\"s\"><v>%d</v></c></row>", i + 1,
		    i + 1, N - 1 - i);
	wlen += (size_t)sprintf(sheet + wlen, "</sheetData></worksheet>");
	s_tmp_path(path, sizeof(path));
	s_zip_xlsx(path, sheet, wlen, sst, slen);
	free(sst);
	free(sheet);

	lim.sst_mem = 256u * 1024u;
	r = wb_open_path(path, NULL, 0, &lim, &err);
	assert_non_null(r);
	assert_int_equal(wb_strings_on_disk(r), 1);
	for (int i = 0; i < N; i++) {
		int k = N - 1 - i;

		assert_int_equal(wb_next(r, &row), 1);
		assert_int_equal(row.line, (unsigned long)i + 1);
		assert_int_equal(row.nfields, 2);
		assert_string_equal(row.fields[0], "");
		if (k == 777) {
			memset(want, 'L', 200000);
			want[200000] = '\0';
		} else {
			snprintf(want, sizeof(want), "chuỗi số %d", k);
		}
		assert_string_equal(row.fields[1], want);
	}
	s_expect_end(r);
	wb_destroy(&r);
	unlink(path);
}

/* Bad references: rows backwards, a shared-string index past the table, a
 * cell of another row, and a DOCTYPE without entities (allowed). */
static void
test_bad_refs(void **state)
{
	static const struct { const char *sheet, *err; } cases[] = {
		{ "<worksheet><sheetData><row r=\"5\"><c><v>1</v></c></row><row r=\"3\"><c><v>1</v></c></row></sheetData></worksheet>",
		  WB_E_BAD_REF },
		{ "<worksheet><sheetData><row r=\"2\"><c r=\"A3\"><v>1</v></c></row></sheetData></worksheet>", WB_E_BAD_REF },
		{ "<worksheet><sheetData><row r=\"2\"><c r=\"XFE2\"><v>1</v></c></row></sheetData></worksheet>", WB_E_BAD_REF },
		{ "<worksheet><sheetData><row r=\"1048577\"><c><v>1</v></c></row></sheetData></worksheet>", WB_E_BAD_REF },
		{ "<worksheet><sheetData><row><c t=\"s\"><v>7</v></c></row></sheetData></worksheet>", WB_E_STRINGS },
		{ "<worksheet><sheetData><row><c t=\"s\"><v>x</v></c></row></sheetData></worksheet>", WB_E_STRINGS },
		{ "<worksheet><sheetData><row><c><v>1</v></c></row>", WB_E_XML },
		{ "<!DOCTYPE worksheet [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><worksheet><sheetData><row><c t=\"inlineStr\"><is><t>&x;</t></is></c></row></sheetData></worksheet>",
		  WB_E_XML_ENTITY },
		{ "<!DOCTYPE worksheet><worksheet><sheetData><row><c><v>1</v></c></row></sheetData></worksheet>", NULL },
	};
	static const char sst[] = "<sst><si><t>a</t></si></sst>";

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[64];
		const char *err = NULL;
		wb_reader_t *r;
		csv_row_t row;
		int rc;

		s_tmp_path(path, sizeof(path));
		s_zip_xlsx(path, cases[i].sheet, strlen(cases[i].sheet), sst, strlen(sst));
		r = wb_open_path(path, NULL, 0, NULL, &err);
		assert_non_null(r);
		while ((rc = wb_next(r, &row)) == 1)
			;
		if (cases[i].err == NULL) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, -1);
			assert_string_equal(wb_error(r), cases[i].err);
		}
		wb_destroy(&r);
		unlink(path);
	}
}

/* A tag or comment expat would have to hold whole is bounded, while long
 * text between tags is not held at all (it comes in pieces). */
static void
test_long_tokens(void **state)
{
	static const char *const heads[] = { "<worksheet><!--", "<worksheet a=\"", "<worksheet><sheetData><row><c><v>1" };
	static const char *const tails[] = { "--><sheetData/></worksheet>", "\"><sheetData/></worksheet>",
		"</v></c></row></sheetData></worksheet>" };
	size_t n = 3u * 1024u * 1024u;
	wb_limits_t lim = WB_LIMITS_DEFAULT;

	for (size_t i = 0; i < 3; i++) {
		size_t hl = strlen(heads[i]), tl = strlen(tails[i]);
		char *sheet = malloc(hl + n + tl), path[64];
		const char *err = NULL;
		wb_reader_t *r;
		csv_row_t row;

		assert_non_null(sheet);
		memcpy(sheet, heads[i], hl);
		memset(sheet + hl, i == 2 ? '0' : 'a', n);
		memcpy(sheet + hl + n, tails[i], tl);
		s_tmp_path(path, sizeof(path));
		s_zip_xlsx(path, sheet, hl + n + tl, NULL, 0);
		free(sheet);
		r = wb_open_path(path, NULL, 0, &lim, &err);
		assert_non_null(r);
		if (i < 2) {
			assert_int_equal(wb_next(r, &row), -1);
			assert_string_equal(wb_error(r), WB_E_XML_TOKEN);
		} else { /* 3 MiB of digits in one cell: a row error, nothing held */
			assert_int_equal(wb_next(r, &row), 1);
			assert_string_equal(row.err, WB_E_CELL_TOO_LONG);
			s_expect_end(r);
		}
		wb_destroy(&r);
		unlink(path);
	}
}

/* wb_open leaves the caller's fd open; the fd's offset does not matter. */
static void
test_fd_not_owned(void **state)
{
	int fd = open(s_fixture("participants.xlsx"), O_RDONLY);
	const char *err = NULL;
	wb_reader_t *r;
	char c;

	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, 100, SEEK_SET), 100);
	r = wb_open(fd, NULL, 0, NULL, &err);
	assert_non_null(r);
	s_expect(r, 1, 1, "BÁO CÁO DANH SÁCH NGƯỜI THAM GIA BHXH");
	wb_destroy(&r);
	assert_int_equal(pread(fd, &c, 1, 0), 1);
	assert_int_equal(c, 'P');
	close(fd);
	fd = open(s_fixture("participants.xls"), O_RDONLY);
	r = wb_open(fd, NULL, 0, NULL, &err);
	assert_non_null(r);
	wb_destroy(&r);
	assert_int_equal(pread(fd, &c, 1, 0), 1);
	close(fd);
}

/* Every error code has its own two sentences. */
static void
test_error_text(void **state)
{
	static const char *codes[] = {
		WB_E_NOT_WORKBOOK, WB_E_DAMAGED, WB_E_UNSUPPORTED, WB_E_NO_SHEET, WB_E_XML, WB_E_XML_ENTITY,
		WB_E_XML_DEPTH, WB_E_XML_TOKEN, WB_E_TOTAL_SIZE, WB_E_ENTRY_SIZE, WB_E_RATIO, WB_E_ENTRIES, WB_E_STRINGS,
		WB_E_MERGES, WB_E_BAD_REF, WB_E_IO, WB_E_TOO_MANY_CELLS, WB_E_CELL_TOO_LONG, WB_E_ROW_TOO_LONG,
	};
	const char *gvi, *gen;

	wb_error_text("E_NOPE", &gvi, &gen);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *vi, *en;

		wb_error_text(codes[i], &vi, &en);
		assert_true(vi != gvi && en != gen);
		for (size_t j = 0; j < i; j++) {
			const char *vj, *ej;

			wb_error_text(codes[j], &vj, &ej);
			assert_true(strcmp(vi, vj) != 0 && strcmp(en, ej) != 0);
		}
	}
}

/* More merged areas than max_merges is an error. */
static void
test_merge_limit(void **state)
{
	wb_limits_t lim = WB_LIMITS_DEFAULT;

	lim.max_merges = 1;
	assert_string_equal(s_open_err("participants.xlsx", &lim), WB_E_MERGES);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xlsx_report),
		cmocka_unit_test(test_xlsx_merged_not_filled),
		cmocka_unit_test(test_xlsx_sheet_by_name),
		cmocka_unit_test(test_xlsx_hidden_sheet),
		cmocka_unit_test(test_xlsx_crafted),
		cmocka_unit_test(test_xlsx_date1904),
		cmocka_unit_test(test_serial_to_date),
		cmocka_unit_test(test_format_is_date),
		cmocka_unit_test(test_xls),
		cmocka_unit_test(test_xls_isolated),
		cmocka_unit_test(test_ods),
		cmocka_unit_test(test_zip_bomb),
		cmocka_unit_test(test_total_while_reading),
		cmocka_unit_test(test_xml_bombs),
		cmocka_unit_test(test_not_workbooks),
		cmocka_unit_test(test_row_limits),
		cmocka_unit_test(test_strings_on_disk),
		cmocka_unit_test(test_many_strings),
		cmocka_unit_test(test_bad_refs),
		cmocka_unit_test(test_long_tokens),
		cmocka_unit_test(test_fd_not_owned),
		cmocka_unit_test(test_error_text),
		cmocka_unit_test(test_merge_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
