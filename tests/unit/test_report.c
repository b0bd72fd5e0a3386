/* test_report - unit tests for the reports: number rounding, CSV quoting,
 * the JSON shape, and HTML escaping of names on the dashboard. Works on an
 * in-memory SQLite database holding the tables the reports read, created as
 * the aggregate worker's migrations create them (workers/aggregate/apply.c). */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "fsutil.h"
#include "report.h"

/* the columns report.c reads, as in the aggregate's migrations */
static const char *const s_schema =
    "CREATE TABLE unit (code TEXT PRIMARY KEY, name TEXT, parent TEXT, depth INTEGER, leaf INTEGER, ord INTEGER);"
    "CREATE TABLE unit_tree (ancestor TEXT NOT NULL, descendant TEXT NOT NULL, PRIMARY KEY (ancestor, descendant));"
    "CREATE TABLE tax_employer (agency TEXT NOT NULL, file_id TEXT, tax_code TEXT NOT NULL, period TEXT NOT NULL,"
    "  employees INTEGER, wage_fund INTEGER, status TEXT, PRIMARY KEY (agency, period, tax_code));"
    "CREATE TABLE insured_unit (agency TEXT NOT NULL, file_id TEXT, unit_code TEXT NOT NULL, tax_code TEXT,"
    "  org_unit TEXT, period TEXT NOT NULL, name TEXT, insured_count INTEGER, bhtn_count INTEGER,"
    "  wage_basis INTEGER, due INTEGER, paid INTEGER, arrears INTEGER, arrears_months INTEGER,"
    "  PRIMARY KEY (agency, period, unit_code));"
    "CREATE TABLE coverage (org_unit TEXT NOT NULL, period TEXT NOT NULL, labor_force INTEGER,"
    "  bhxh_participants INTEGER, compulsory INTEGER, voluntary INTEGER, bhtn_participants INTEGER,"
    "  bhxh_coverage_pct TEXT, bhtn_coverage_pct TEXT, target_bhxh_pct TEXT, target_bhtn_pct TEXT,"
    "  PRIMARY KEY (org_unit, period));"
    "CREATE TABLE finding (kind TEXT NOT NULL, subject TEXT NOT NULL, org_unit TEXT, period TEXT NOT NULL,"
    "  severity TEXT, value REAL, threshold REAL, name TEXT, status TEXT NOT NULL DEFAULT 'final',"
    "  PRIMARY KEY (kind, subject, period));"
    "CREATE TABLE finding_state (kind TEXT NOT NULL, subject TEXT NOT NULL, org_unit TEXT, severity TEXT NOT NULL,"
    "  last_period TEXT NOT NULL, open INTEGER NOT NULL, value REAL, threshold REAL, name TEXT,"
    "  PRIMARY KEY (kind, subject));";

/* a province with a district whose name needs escaping, coverage of one
 * month, and open employer findings whose names carry markup */
static const char *const s_data =
    "INSERT INTO unit VALUES ('06', 'Tỉnh <b>Bắc Kạn</b>', NULL, 0, 0, 0),"
    "  ('058', 'Phường \"A\" & ''B''', '06', 1, 1, 1);"
    "INSERT INTO unit_tree VALUES ('06', '06'), ('06', '058'), ('058', '058');"
    "INSERT INTO coverage VALUES ('06', '2017-03', 120, 18, 18, 0, 2, '15.00', '1.67', '16.25', '9.38'),"
    "  ('058', '2017-03', 110, 18, 18, 0, 2, '16.36', '1.82', '16.36', '5.00');"
    "INSERT INTO tax_employer VALUES ('cucthue', 'f', '0100109106', '2017-02', 10, NULL, 'operating');"
    "INSERT INTO finding(kind, subject, org_unit, period, severity, value, threshold, name) VALUES ('not_enrolled', '0100109106', '058', '2017-02', 'critical', 10, 10,"
    "  'Công ty <script>alert(1)</script> & Co');"
    "INSERT INTO finding_state VALUES ('not_enrolled', '0100109106', '058', 'critical', '2017-02', 1, 10, 10,"
    "  'Công ty <script>alert(1)</script> & Co'),"
    "  ('unregistered', '4600000009', '058', 'info', '2017-02', 1, 6, NULL, 'Cty \"Sông\" ''Cầu'' & <i>x</i>');";

static sqlite3 *
s_db(void)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, s_schema, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, s_data, NULL, NULL, NULL), SQLITE_OK);
	return db;
}

/* num - report_number into a static buffer */
static const char *
num(double v)
{
	static char buf[64];

	report_number(buf, sizeof(buf), v);
	return buf;
}

static void
test_number_rounding(void **state)
{
	(void)state;
	assert_string_equal(num(0.125), "0.13");   /* half away from zero */
	assert_string_equal(num(-0.125), "-0.13");
	assert_string_equal(num(0.375), "0.38");
	assert_string_equal(num(2.5), "2.5");      /* trailing zero dropped */
	assert_string_equal(num(3.0), "3");        /* and the point */
	assert_string_equal(num(10.0), "10");      /* zeros before the point stay */
	assert_string_equal(num(100.0), "100");
	assert_string_equal(num(16.36), "16.36");
	assert_string_equal(num(1.10), "1.1");
	assert_string_equal(num(0.0), "0");
	assert_string_equal(num(0.004), "0");
	assert_string_equal(num(-0.004), "0");     /* no "-0" */
	assert_string_equal(num(-7.5), "-7.5");
	assert_string_equal(num(2580000.0), "2580000");
	assert_string_equal(num(1234567.891), "1234567.89");
}

/* NaN, infinities and magnitudes whose hundredths do not fit a long long
 * (llround is unspecified there, and llabs of its result undefined) print
 * as an empty cell; up to 1e15 they print in full */
static void
test_number_not_finite_or_huge(void **state)
{
	sqlite3 *db = s_db();
	sb_t b;

	(void)state;
	assert_string_equal(num(NAN), "");
	assert_string_equal(num(INFINITY), "");
	assert_string_equal(num(-INFINITY), "");
	assert_string_equal(num(1e300), "");
	assert_string_equal(num(-1e300), "");
	assert_string_equal(num(9.3e18), "");
	assert_string_equal(num(1e15 + 1), "");
	assert_string_equal(num(1e15), "1000000000000000");
	assert_string_equal(num(-1e15), "-1000000000000000");
	assert_string_equal(num(-0.0), "0");
	/* in a report: an empty CSV cell and null in JSON */
	assert_int_equal(sqlite3_exec(db, "UPDATE coverage SET labor_force = 1e300 WHERE org_unit = '058';"
	    "UPDATE finding SET value = 9.3e18, threshold = -1e16;", NULL, NULL, NULL), SQLITE_OK);
	sb_init(&b);
	assert_int_equal(report_coverage(db, NULL, "058", REPORT_CSV, &b), 0);
	assert_non_null(strstr(b.data, "\n058,2017-03,,18,"));
	sb_free(&b);
	sb_init(&b);
	assert_int_equal(report_coverage(db, NULL, "058", REPORT_JSON, &b), 0);
	assert_non_null(strstr(b.data, "\"labor_force\": null"));
	sb_free(&b);
	sb_init(&b);
	assert_int_equal(report_findings(db, NULL, NULL, REPORT_JSON, &b), 0);
	assert_non_null(strstr(b.data, "\"value\": null, \"threshold\": null"));
	sb_free(&b);
	sqlite3_close(db);
}

static void
test_csv_quoting(void **state)
{
	sqlite3 *db = s_db();
	sb_t b;

	(void)state;
	assert_int_equal(sqlite3_exec(db, "INSERT INTO finding(kind, subject, org_unit, period, severity, value, threshold, name) VALUES ('missing_data', 'a,b \"c\"' || char(10) || 'd',"
	    " '', '2017-03', 'warning', 1.5, 0, NULL)", NULL, NULL, NULL), SQLITE_OK);
	sb_init(&b);
	assert_int_equal(report_findings(db, "2017-03", NULL, REPORT_CSV, &b), 0);
	assert_string_equal(b.data, "kind,subject,org_unit,period,severity,value,threshold,status\n"
	    "missing_data,\"a,b \"\"c\"\"\nd\",,2017-03,warning,1.5,0,final\n");
	sb_free(&b);
	sb_init(&b);
	assert_int_equal(report_coverage(db, "2017-03", "058", REPORT_CSV, &b), 0);
	assert_string_equal(b.data, "org_unit,period,labor_force,bhxh_participants,compulsory,voluntary,"
	    "bhtn_participants,bhxh_coverage_pct,bhtn_coverage_pct,target_bhxh_pct,target_bhtn_pct\n"
	    "058,2017-03,110,18,18,0,2,16.36,1.82,16.36,5.00\n");
	sb_free(&b);
	sqlite3_close(db);
}

static void
test_json_shape(void **state)
{
	sqlite3 *db = s_db();
	sb_t b;

	(void)state;
	sb_init(&b);
	assert_int_equal(report_findings(db, NULL, NULL, REPORT_JSON, &b), 0);
	assert_string_equal(b.data, "[\n  {\"kind\": \"not_enrolled\", \"subject\": \"0100109106\", \"org_unit\": \"058\","
	    " \"period\": \"2017-02\", \"severity\": \"critical\", \"value\": 10, \"threshold\": 10,"
	    " \"status\": \"final\"}\n]\n");
	sb_free(&b);
	sb_init(&b);
	assert_int_equal(report_coverage(db, "2017-03", "06", REPORT_JSON, &b), 0);
	assert_string_equal(b.data, "[\n"
	    "  {\"org_unit\": \"058\", \"period\": \"2017-03\", \"labor_force\": 110, \"bhxh_participants\": 18,"
	    " \"compulsory\": 18, \"voluntary\": 0, \"bhtn_participants\": 2, \"bhxh_coverage_pct\": 16.36,"
	    " \"bhtn_coverage_pct\": 1.82, \"target_bhxh_pct\": 16.36, \"target_bhtn_pct\": 5.00},\n"
	    "  {\"org_unit\": \"06\", \"period\": \"2017-03\", \"labor_force\": 120, \"bhxh_participants\": 18,"
	    " \"compulsory\": 18, \"voluntary\": 0, \"bhtn_participants\": 2, \"bhxh_coverage_pct\": 15.00,"
	    " \"bhtn_coverage_pct\": 1.67, \"target_bhxh_pct\": 16.25, \"target_bhtn_pct\": 9.38}\n]\n");
	sb_free(&b);
	/* no rows: an empty array; a NULL cell: null */
	sb_init(&b);
	assert_int_equal(report_findings(db, "1999-01", NULL, REPORT_JSON, &b), 0);
	assert_string_equal(b.data, "[]\n");
	sb_free(&b);
	assert_int_equal(sqlite3_exec(db, "UPDATE coverage SET labor_force = NULL, bhxh_coverage_pct = NULL"
	    " WHERE org_unit = '058'", NULL, NULL, NULL), SQLITE_OK);
	sb_init(&b);
	assert_int_equal(report_coverage(db, "2017-03", "058", REPORT_JSON, &b), 0);
	assert_non_null(strstr(b.data, "\"labor_force\": null, "));
	assert_non_null(strstr(b.data, "\"bhxh_coverage_pct\": null, "));
	sb_free(&b);
	sqlite3_close(db);
}

static void
test_dashboard_escapes_names(void **state)
{
	sqlite3 *db = s_db();
	sb_t b;

	(void)state;
	sb_init(&b);
	assert_int_equal(report_dashboard(db, &b), 0);
	assert_non_null(b.data);
	assert_null(strstr(b.data, "<script"));
	assert_null(strstr(b.data, "<b>"));
	assert_null(strstr(b.data, "<i>"));
	assert_non_null(strstr(b.data, "Công ty &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"));
	assert_non_null(strstr(b.data, "Cty &quot;Sông&quot; &#39;Cầu&#39; &amp; &lt;i&gt;x&lt;/i&gt;"));
	assert_non_null(strstr(b.data, "Tỉnh &lt;b&gt;Bắc Kạn&lt;/b&gt;"));
	assert_non_null(strstr(b.data, "Phường &quot;A&quot; &amp; &#39;B&#39;"));
	assert_null(strstr(b.data, "Phường \"A\""));
	/* the page stays self-contained: nothing to fetch */
	assert_non_null(strstr(b.data, "default-src 'none'"));
	assert_null(strstr(b.data, "src="));
	assert_null(strstr(b.data, "<link"));
	assert_null(strstr(b.data, "url("));
	sb_free(&b);
	sb_init(&b);
	report_html_escape(&b, "<a href=\"x\">'&'</a>");
	assert_string_equal(b.data, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
	sb_free(&b);
	sqlite3_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_number_rounding),
		cmocka_unit_test(test_number_not_finite_or_huge),
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_dashboard_escapes_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
