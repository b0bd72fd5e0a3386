/* test_receipt - unit tests for receipts (common/receipt.c): JSON escaping of
 * file names and messages, the counts as given, the readable twin, and the
 * two files written into the agency's outbox. That rows_read equals
 * rows_applied + rows_rejected in what the aggregate writes is checked end to
 * end (tests/e2e/test_ingest.sh). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "receipt.h"

/* s_has_raw_control - 1 if a JSON string literal in s holds a raw byte < 0x20. */
static int
s_has_raw_control(const char *s)
{
	int inq = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (inq && *p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == '"')
			inq = !inq;
		else if (inq && *p < 0x20)
			return 1;
	}
	return 0;
}

static void
test_json_escapes_name_and_messages(void **state)
{
	receipt_error_t e = { 7, "name", "E_X", "lỗi \"ngoặc\"\nxuống dòng", "bad \"quote\"\tand\x01", NULL };
	receipt_t r = { .file = "a \"b\"\nc\\d\x02.csv", .agency = "bhxh", .type = NULL, .sha256 = "ab",
		.status = "rejected", .received_at = 0, .nerrors = 1, .errors = &e };
	sb_t b;

	(void)state;
	sb_init(&b);
	receipt_json(&b, &r);
	assert_non_null(strstr(b.data, "\"file\": \"a \\\"b\\\"\\nc\\\\d\\u0002.csv\""));
	assert_non_null(strstr(b.data, "\"message_vi\": \"lỗi \\\"ngoặc\\\"\\nxuống dòng\""));
	assert_non_null(strstr(b.data, "\"message_en\": \"bad \\\"quote\\\"\\tand\\u0001\""));
	assert_non_null(strstr(b.data, "\"type\": null"));
	assert_non_null(strstr(b.data, "{\"line\": 7, \"field\": \"name\", \"code\": \"E_X\""));
	assert_null(strstr(b.data, "repeat_of"));
	assert_false(s_has_raw_control(b.data));
	sb_free(&b);
}

static void
test_json_invalid_utf8_name(void **state)
{
	receipt_t r = { .file = "b\xff\xfe" "c.csv", .agency = "bhxh", .status = "rejected" };
	sb_t b;

	(void)state;
	sb_init(&b);
	receipt_json(&b, &r);
	assert_non_null(strstr(b.data, "\"file\": \"b\xEF\xBF\xBD\xEF\xBF\xBD" "c.csv\""));
	assert_null(strchr(b.data, '\xff'));
	sb_free(&b);
}

static void
test_json_counts_and_repeat(void **state)
{
	char *unknown[] = { "Ghi chú", "x\"y" };
	receipt_t r = { .file = "p.csv", .agency = "bhxh", .type = "participant", .sha256 = "00",
		.status = "repeat", .repeat_of = "p \"old\".csv", .rows_read = 10, .rows_applied = 7,
		.rows_rejected = 3, .rows_duplicate = 1, .nunknown = 2, .unknown_columns = unknown };
	sb_t b;

	(void)state;
	sb_init(&b);
	receipt_json(&b, &r);
	assert_non_null(strstr(b.data, "\n  \"rows_read\": 10,\n  \"rows_applied\": 7,\n  \"rows_rejected\": 3,"
	    "\n  \"rows_duplicate\": 1,"));
	assert_non_null(strstr(b.data, "\"repeat_of\": \"p \\\"old\\\".csv\""));
	assert_non_null(strstr(b.data, "\"unknown_columns\": [\"Ghi chú\", \"x\\\"y\"]"));
	assert_non_null(strstr(b.data, "\"errors\": []"));
	sb_free(&b);
}

static void
test_encoding(void **state)
{
	receipt_error_t e = { 0, NULL, "E_FILE_ENCODING", "vi", "en", NULL };
	receipt_t r = { .file = "p.csv", .agency = "bhxh", .type = "participant", .sha256 = "00",
		.status = "applied", .encoding = "WINDOWS-1258" };
	sb_t b;

	(void)state;
	sb_init(&b);
	receipt_json(&b, &r);
	assert_non_null(strstr(b.data, "\n  \"encoding\": \"WINDOWS-1258\",\n"));
	assert_null(strstr(b.data, "encoding_likely"));
	sb_free(&b);
	sb_init(&b);
	receipt_text(&b, &r);
	assert_non_null(strstr(b.data, "\nBảng mã / Encoding:    WINDOWS-1258\n"));
	sb_free(&b);
	/* refused for its encoding: the likely one is named, none was used */
	r.status = "rejected";
	r.encoding = NULL;
	r.encoding_likely = "TCVN3\nKết quả / Status: applied";
	r.nerrors = 1;
	r.errors = &e;
	sb_init(&b);
	receipt_json(&b, &r);
	assert_null(strstr(b.data, "\"encoding\":"));
	assert_non_null(strstr(b.data, "\"encoding_likely\": \"TCVN3\\nK"));
	sb_free(&b);
	sb_init(&b);
	receipt_text(&b, &r);
	assert_non_null(strstr(b.data, "Likely encoding: TCVN3?K")); /* one line, whatever a message carried */
	assert_null(strstr(b.data, "Encoding:    "));
	sb_free(&b);
	/* a file never read names no encoding at all */
	r.encoding_likely = NULL;
	sb_init(&b);
	receipt_json(&b, &r);
	assert_null(strstr(b.data, "encoding"));
	sb_free(&b);
}

static void
test_text_twin_is_one_line_per_field(void **state)
{
	receipt_error_t e = { 0, NULL, "E_FILE_EMPTY", "tệp rỗng", "the file is empty", NULL };
	receipt_t r = { .file = "evil\nKết quả / Status: applied.csv", .agency = "bhxh", .status = "rejected",
		.nerrors = 1, .errors = &e };
	sb_t b;

	(void)state;
	sb_init(&b);
	receipt_text(&b, &r);
	assert_non_null(strstr(b.data, "Tệp / File:            evil?Kết quả / Status: applied.csv\n"));
	assert_non_null(strstr(b.data, "\nKết quả / Status:      bị từ chối (rejected)\n"));
	assert_non_null(strstr(b.data, "  tệp/file, E_FILE_EMPTY: tệp rỗng\n      the file is empty\n"));
	assert_non_null(strstr(b.data, "\nTóm tắt lỗi / Error summary:\n  E_FILE_EMPTY"));
	sb_free(&b);
}

static void
test_write_both_files(void **state)
{
	char tmpl[] = "/tmp/test_receipt.XXXXXX", path[512], dir[512], cmd[600];
	receipt_t r = { .file = "../a/b.csv", .agency = "bhxh", .status = "applied", .sha256 = "ff",
		.received_at = 1490000000123456LL };
	struct dirent *de;
	int njson = 0, ntxt = 0;
	DIR *d;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	assert_int_equal(receipt_write(tmpl, &r, path, sizeof(path)), 0);
	snprintf(dir, sizeof(dir), "%s/spool/outbox/bhxh", tmpl);
	assert_true(strncmp(path, dir, strlen(dir)) == 0);
	assert_string_equal(path + strlen(dir), "/20170320T085320.123456Z-.._a_b.csv.json");
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		njson += n > 5 && strcmp(de->d_name + n - 5, ".json") == 0;
		ntxt += n > 4 && strcmp(de->d_name + n - 4, ".txt") == 0;
	}
	closedir(d);
	assert_int_equal(njson, 1);
	assert_int_equal(ntxt, 1);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	assert_int_equal(system(cmd), 0);
}

/* test_fit_cuts_errors - a receipt too large for a message keeps its head
 * and its first errors, says how many were left out, and stays valid JSON
 * (checked with python3 when there is one); one that fits is left alone. */
static void
test_fit_cuts_errors(void **state)
{
	enum { N = 2000 };
	receipt_error_t *e = calloc(N, sizeof(*e));
	receipt_t r = { .file = "participant_2017-03.csv", .agency = "bhxh", .type = "participant", .sha256 = "ab",
		.status = "applied", .received_at = 0, .rows_read = N, .rows_rejected = N, .nerrors = N };
	char tmpl[] = "/tmp/test_receipt_fit.XXXXXX", path[600], cmd[900];
	sb_t j, t, c;
	size_t before;
	FILE *fp;

	(void)state;
	assert_non_null(e);
	for (int i = 0; i < N; i++)
		e[i] = (receipt_error_t){ (uint64_t)i + 2, "tax_code", "E_TAX_CODE", "mã số thuế sai", "bad tax code",
			NULL };
	r.errors = e;
	sb_init(&j);
	sb_init(&t);
	sb_init(&c);
	receipt_json(&j, &r);
	receipt_text(&t, &r);
	assert_int_equal(receipt_csv(&c, &r), 1);
	before = j.len + t.len + c.len;
	assert_int_equal(receipt_fit(&j, &t, &c, before), 0);
	assert_int_equal(j.len + t.len + c.len, before);
	assert_int_equal(receipt_fit(&j, &t, &c, 60000), 1);
	assert_true(j.len + t.len + c.len <= 60000);
	assert_non_null(strstr(c.data, "\r\n2\t\"\"\t\"tax_code\"\t\"E_TAX_CODE\""));
	assert_non_null(strstr(c.data, "more errors not listed: the receipt was too large to send\"\r\n"));
	assert_non_null(strstr(j.data, "\"file\": \"participant_2017-03.csv\""));
	assert_non_null(strstr(j.data, "{\"line\": 2, "));
	assert_null(strstr(j.data, "{\"line\": 2001, "));
	assert_non_null(strstr(j.data, "\"truncated\": true,\n  \"errors_omitted\": "));
	assert_true(strcmp(j.data + j.len - 2, "}\n") == 0);
	assert_non_null(strstr(t.data, "Tệp / File:            participant_2017-03.csv\n"));
	assert_non_null(strstr(t.data, "  dòng/line 2, tax_code, E_TAX_CODE"));
	assert_non_null(strstr(t.data, " more errors not listed: the receipt was too large to send\n"));
	assert_null(strstr(t.data, "dòng/line 2001,"));
	/* the omitted count is what is missing */
	{
		const char *p = strstr(j.data, "\"errors_omitted\": ");
		long shown = 0;

		for (const char *q = j.data; (q = strstr(q, "{\"line\": ")) != NULL; q++)
			shown++;
		assert_int_equal(shown + strtol(p + strlen("\"errors_omitted\": "), NULL, 10), N);
	}
	assert_non_null(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/r.json", tmpl);
	assert_non_null(fp = fopen(path, "w"));
	fwrite(j.data, 1, j.len, fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "! command -v python3 >/dev/null || python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '%s'",
	    path);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	assert_int_equal(system(cmd), 0);
	sb_free(&j);
	sb_free(&t);
	sb_free(&c);
	free(e);
}

/* s_errors - n errors: line 2 + i/2 (two errors per line), codes alternating
 * between a period and an amount error, the period's column headed "Kỳ". */
static receipt_error_t *
s_errors(int n)
{
	receipt_error_t *e = calloc((size_t)n, sizeof(*e));

	assert_non_null(e);
	for (int i = 0; i < n; i++)
		e[i] = (i % 2 == 0)
		    ? (receipt_error_t){ (uint64_t)(2 + i / 2), "period", "E_PERIOD_FORMAT", "kỳ sai", "bad period", "Kỳ" }
		    : (receipt_error_t){ (uint64_t)(2 + i / 2), "wage_fund", "E_MONEY_FORMAT", "=1+1 sai", "-bad amount",
			"Tổng quỹ lương" };
	return e;
}

/* the text starts with counts by code, their meaning and first lines; it
 * names the clerk's heading with the field beside it */
static void
test_text_summary_and_headings(void **state)
{
	receipt_error_t *e = s_errors(14);
	receipt_t r = { .file = "tax_employer_2017-03.csv", .agency = "cucthue", .status = "rejected",
		.rows_read = 7, .rows_rejected = 7, .nerrors = 14 };
	sb_t b;
	const char *sum, *errs;

	(void)state;
	r.errors = e;
	sb_init(&b);
	receipt_text(&b, &r);
	sum = strstr(b.data, "\nTóm tắt lỗi / Error summary:\n");
	errs = strstr(b.data, "\nLỗi / Errors:\n");
	assert_non_null(sum);
	assert_non_null(errs);
	assert_true(sum < errs);
	assert_non_null(strstr(sum, "  E_PERIOD_FORMAT                   7  kỳ không phải tháng dạng MM/YYYY hoặc YYYY-MM\n"));
	assert_non_null(strstr(sum, "dòng/lines 2, 3, 4, 5, 6, …\n"));
	assert_non_null(strstr(errs, "  dòng/line 2, cột \"Kỳ\" (period), E_PERIOD_FORMAT: kỳ sai\n      bad period\n"));
	assert_non_null(strstr(errs, "  dòng/line 2, cột \"Tổng quỹ lương\" (wage_fund), E_MONEY_FORMAT: "));
	sb_free(&b);
	sb_init(&b);
	receipt_json(&b, &r);
	assert_non_null(strstr(b.data, "{\"code\": \"E_PERIOD_FORMAT\", \"count\": 7, \"meaning_vi\": "));
	assert_non_null(strstr(b.data, "\"first_lines\": [2, 3, 4, 5, 6]}"));
	assert_non_null(strstr(b.data, "\"message_en\": \"bad period\", \"column\": \"Kỳ\"}"));
	sb_free(&b);
	free(e);
}

/* the text lists the first RECEIPT_TEXT_MAX_ERRORS errors and says where the
 * rest are; the JSON lists them all */
static void
test_text_capped_json_whole(void **state)
{
	enum { N = 451 };
	receipt_error_t *e = s_errors(N);
	receipt_t r = { .file = "p.csv", .agency = "bhxh", .status = "rejected", .rows_read = 226,
		.rows_rejected = 226, .nerrors = N };
	sb_t b;
	long n = 0;

	(void)state;
	r.errors = e;
	sb_init(&b);
	receipt_text(&b, &r);
	for (const char *p = b.data; (p = strstr(p, "\n  dòng/line ")) != NULL; p++)
		n++;
	assert_int_equal(n, RECEIPT_TEXT_MAX_ERRORS);
	assert_non_null(strstr(b.data, "  … còn 251 lỗi nữa: xem tệp JSON hoặc tệp CSV"));
	assert_non_null(strstr(b.data, "      … 251 more: see the JSON or the CSV"));
	sb_free(&b);
	sb_init(&b);
	receipt_json(&b, &r);
	n = 0;
	for (const char *p = b.data; (p = strstr(p, "{\"line\": ")) != NULL; p++)
		n++;
	assert_int_equal(n, N);
	sb_free(&b);
	free(e);
}

/* the CSV: BOM, a header, one record per row error (none for a whole-file
 * error), formula-safe cells; python3's csv module reads it back */
static void
test_csv_rows(void **state)
{
	receipt_error_t *e = s_errors(4);
	receipt_error_t all[5];
	receipt_t r = { .file = "p.csv", .agency = "bhxh", .status = "rejected", .nerrors = 5, .errors = all };
	char tmpl[] = "/tmp/test_receipt_csv.XXXXXX", path[600], cmd[1400];
	sb_t b;
	FILE *fp;

	(void)state;
	all[0] = (receipt_error_t){ 0, NULL, "E_FILE_NO_VALID_ROWS", "không dòng nào hợp lệ", "no valid row", NULL };
	memcpy(all + 1, e, 4 * sizeof(*e));
	all[2].message_vi = "@SUM(A1), \"quoted\"\nnext";
	sb_init(&b);
	assert_int_equal(receipt_csv(&b, &r), 1);
	assert_true(memcmp(b.data, "\xEF\xBB\xBF", 3) == 0);
	assert_non_null(strstr(b.data, "\r\n2\t\"Tổng quỹ lương\"\t\"wage_fund\"\t\"E_MONEY_FORMAT\"\t\"'@SUM(A1), \"\"quoted\"\"\nnext\"\t\"'-bad amount\"\r\n"));
	assert_non_null(strstr(b.data, "\r\n3\t\"Kỳ\"\t\"period\"\t\"E_PERIOD_FORMAT\"\t\"kỳ sai\"\t\"bad period\"\r\n"));
	assert_null(strstr(b.data, "E_FILE_NO_VALID_ROWS"));
	assert_non_null(mkdtemp(tmpl));
	/* as the receipt writer puts it on disk: UTF-16LE with its BOM, which Excel opens into columns */
	assert_int_equal(receipt_write_rendered(tmpl, "bhxh", "p.csv", 0, "{}\n", "t\n", b.data, NULL, 0), 0);
	snprintf(path, sizeof(path), "%s/spool/outbox/bhxh/19700101T000000.000000Z-p.csv.errors.csv", tmpl);
	assert_non_null(fp = fopen(path, "rb"));
	assert_int_equal(fgetc(fp), 0xFF);
	assert_int_equal(fgetc(fp), 0xFE);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "! command -v python3 >/dev/null || python3 -c 'import csv,sys\n"
	    "rows = list(csv.reader(open(sys.argv[1], encoding=\"utf-16\", newline=\"\"), delimiter=\"\\t\"))\n"
	    "assert len(rows) == 5 and all(len(x) == 6 for x in rows), rows\n"
	    "assert rows[2][4].startswith(\"\\x27@\"), rows[2]\n' '%s'", path);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	assert_int_equal(system(cmd), 0);
	sb_free(&b);
	/* no row error, no CSV */
	r.nerrors = 1;
	sb_init(&b);
	assert_int_equal(receipt_csv(&b, &r), 0);
	assert_int_equal(b.len, 0);
	sb_free(&b);
	free(e);
}

/* unknown columns with the closest heading; missing fields with the headings accepted */
static void
test_columns(void **state)
{
	char *unknown[] = { "Mã số thuế doanh nghiệp", "Ghi chú" };
	char *aliases[] = { "Mã số thuế", "MST" };
	receipt_hint_t hints[] = { { "Mã số thuế", "tax_code" }, { NULL, NULL } };
	receipt_missing_t missing[] = { { "tax_code", 2, aliases } };
	receipt_t r = { .file = "t.csv", .agency = "cucthue", .status = "rejected", .nunknown = 2,
		.unknown_columns = unknown, .hints = hints, .nmissing = 1, .missing = missing };
	sb_t b;

	(void)state;
	sb_init(&b);
	receipt_text(&b, &r);
	assert_non_null(strstr(b.data, "  \"Mã số thuế doanh nghiệp\": gần nhất / closest: \"Mã số thuế\" (tax_code)\n"));
	assert_non_null(strstr(b.data, "  \"Ghi chú\": không giống cột nào / like no accepted heading\n"));
	assert_non_null(strstr(b.data, "  tax_code: \"Mã số thuế\", \"MST\", \"tax_code\"\n"));
	sb_free(&b);
	sb_init(&b);
	receipt_json(&b, &r);
	assert_non_null(strstr(b.data, "\"unknown_columns\": [\"Mã số thuế doanh nghiệp\", \"Ghi chú\"]"));
	assert_non_null(strstr(b.data, "{\"column\": \"Mã số thuế doanh nghiệp\", \"closest\": \"Mã số thuế\","
	    " \"field\": \"tax_code\"}"));
	assert_non_null(strstr(b.data, "{\"column\": \"Ghi chú\", \"closest\": null, \"field\": null}"));
	assert_non_null(strstr(b.data, "{\"field\": \"tax_code\", \"accepted\": [\"Mã số thuế\", \"MST\", \"tax_code\"]}"));
	sb_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_escapes_name_and_messages),
		cmocka_unit_test(test_json_invalid_utf8_name),
		cmocka_unit_test(test_json_counts_and_repeat),
		cmocka_unit_test(test_encoding),
		cmocka_unit_test(test_text_twin_is_one_line_per_field),
		cmocka_unit_test(test_write_both_files),
		cmocka_unit_test(test_fit_cuts_errors),
		cmocka_unit_test(test_text_summary_and_headings),
		cmocka_unit_test(test_text_capped_json_whole),
		cmocka_unit_test(test_csv_rows),
		cmocka_unit_test(test_columns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
