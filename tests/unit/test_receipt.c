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
	receipt_error_t e = { 7, "name", "E_X", "lỗi \"ngoặc\"\nxuống dòng", "bad \"quote\"\tand\x01" };
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
	receipt_error_t e = { 0, NULL, "E_FILE_ENCODING", "vi", "en" };
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
	receipt_error_t e = { 0, NULL, "E_FILE_EMPTY", "tệp rỗng", "the file is empty" };
	receipt_t r = { .file = "evil\nKết quả / Status: applied.csv", .agency = "bhxh", .status = "rejected",
		.nerrors = 1, .errors = &e };
	sb_t b;

	(void)state;
	sb_init(&b);
	receipt_text(&b, &r);
	assert_non_null(strstr(b.data, "Tệp / File:            evil?Kết quả / Status: applied.csv\n"));
	assert_non_null(strstr(b.data, "\nKết quả / Status:      bị từ chối (rejected)\n"));
	assert_non_null(strstr(b.data, "  tệp/file, E_FILE_EMPTY: tệp rỗng\n      the file is empty\n"));
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
	sb_t j, t;
	size_t before;
	FILE *fp;

	(void)state;
	assert_non_null(e);
	for (int i = 0; i < N; i++)
		e[i] = (receipt_error_t){ (uint64_t)i + 2, "tax_code", "E_TAX_CODE", "mã số thuế sai", "bad tax code" };
	r.errors = e;
	sb_init(&j);
	sb_init(&t);
	receipt_json(&j, &r);
	receipt_text(&t, &r);
	before = j.len + t.len;
	assert_int_equal(receipt_fit(&j, &t, before), 0);
	assert_int_equal(j.len + t.len, before);
	assert_int_equal(receipt_fit(&j, &t, 40000), 1);
	assert_true(j.len + t.len <= 40000);
	assert_non_null(strstr(j.data, "\"file\": \"participant_2017-03.csv\""));
	assert_non_null(strstr(j.data, "{\"line\": 2, "));
	assert_null(strstr(j.data, "{\"line\": 2001, "));
	assert_non_null(strstr(j.data, "\"truncated\": true,\n  \"errors_omitted\": "));
	assert_true(strcmp(j.data + j.len - 2, "}\n") == 0);
	assert_non_null(strstr(t.data, "Tệp / File:            participant_2017-03.csv\n"));
	assert_non_null(strstr(t.data, "  dòng/line 2, tax_code E_TAX_CODE"));
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
	free(e);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
