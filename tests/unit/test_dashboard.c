/* test_dashboard - unit tests for the dashboard pages (common/dashboard.c):
 * names escaped and stripped of long digit runs, the goal and the tree taken
 * from the configuration, a page per unit with its own employers and anchors,
 * provisional findings apart, and dash_write rewriting only the pages whose
 * content changed. Works on an in-memory SQLite database holding the tables
 * the pages read, as workers/aggregate/apply.c creates them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "config.h"
#include "dashboard.h"
#include "fsutil.h"

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
    "CREATE TABLE snapshot_src (agency TEXT NOT NULL, rtype TEXT NOT NULL, period TEXT NOT NULL,"
    "  file_no INTEGER NOT NULL, PRIMARY KEY (agency, rtype, period));"
    "CREATE TABLE files (file_no INTEGER NOT NULL, file_id TEXT NOT NULL, agency TEXT, rtype TEXT, name TEXT,"
    "  applied_at INTEGER, outcome TEXT, PRIMARY KEY (file_no, file_id));";

/* a province, a district with markup in its name and one commune, another
 * commune directly under the province; two months of coverage */
static const char *const s_data =
    "INSERT INTO unit VALUES ('06', 'Tỉnh <b>Bắc Kạn</b>', NULL, 0, 0, 0),"
    "  ('058', 'Phường \"A\" & ''B''', '06', 1, 0, 1), ('01834', 'Xã Một', '058', 2, 1, 2),"
    "  ('01840', 'Xã Hai 012345678901', '06', 1, 1, 3);"
    "INSERT INTO unit_tree VALUES ('06', '06'), ('06', '058'), ('06', '01834'), ('06', '01840'), ('058', '058'),"
    "  ('058', '01834'), ('01834', '01834'), ('01840', '01840');"
    "INSERT INTO coverage VALUES"
    "  ('06', '2016-12', 120, 12, 12, 0, 1, '10.00', '0.83', '10.00', '0.83'),"
    "  ('06', '2017-03', 120, 18, 18, 0, 2, '15.00', '1.67', '16.25', '9.38'),"
    "  ('058', '2016-12', 110, 11, 11, 0, 1, '10.00', '0.91', '10.00', '0.91'),"
    "  ('058', '2017-03', 110, 18, 18, 0, 2, '16.36', '1.82', '16.36', '5.00'),"
    "  ('01834', '2016-12', 110, 11, 11, 0, 1, '10.00', '0.91', '10.00', '0.91'),"
    "  ('01834', '2017-03', 110, 18, 18, 0, 2, '16.36', '1.82', '16.36', '5.00'),"
    "  ('01840', '2016-12', 10, 1, 1, 0, 0, '10.00', '0.00', '10.00', '0.00'),"
    "  ('01840', '2017-03', 10, 0, 0, 0, 0, '0.00', '0.00', '16.25', '9.38');"
    "INSERT INTO tax_employer VALUES ('cucthue', 'f', '0100109106', '2017-02', 10, NULL, 'operating'),"
    "  ('cucthue', 'f', '0300588569', '2017-02', 40, NULL, 'operating');"
    "INSERT INTO insured_unit VALUES ('bhxh', 'f', 'DV007', '4600004003', '01840', '2017-02', 'May', 21, 0, 0,"
    "  0, 0, 0, 12);"
    "INSERT INTO finding VALUES ('not_enrolled', '0100109106', '01834', '2017-02', 'critical', 10, 10,"
    "  'Công ty <script>alert(1)</script> & Co', 'final'),"
    "  ('under_declared', '0300588569', '01840', '2017-02', 'warning', 5, 4, 'Gỗ Sông Cầu', 'provisional'),"
    "  ('arrears', 'DV007', '01840', '2017-02', 'critical', 12, 12, 'May Bộc Bố', 'final'),"
    "  ('behind_target', '06:bhxh', '06', '2017-03', 'warning', 15, 16.25, '', 'final');"
    "INSERT INTO snapshot_src VALUES ('cucthue', 'tax_employer', '2017-02', 3), ('bhxh', 'participant', '2017-03', 2);"
    "INSERT INTO files VALUES (3, 'x', 'cucthue', 'tax_employer', 'tax_employer_2017-02.csv', 1492689600, 'applied'),"
    "  (2, 'y', 'bhxh', 'participant', 'participant_2017-03.csv', 1492689600, 'applied');";

static cfg_unit_t s_units[] = {
	{ "06", "Tỉnh <b>Bắc Kạn</b>", -1, 0, 2 },
	{ "058", "Phường \"A\" & 'B'", 0, 1, 1 },
	{ "01834", "Xã Một", 1, 2, 0 },
	{ "01840", "Xã Hai 012345678901", 0, 1, 0 },
};
static cfg_agency_t s_agencies[] = {
	{ .id = "cucthue", .name = "Cục Thuế tỉnh" },
	{ .id = "bhxh", .name = "Bảo hiểm xã hội tỉnh" },
};
static cfg_expected_t s_expected[] = {
	{ "bhxh", "participant", 20 }, { "cucthue", "tax_employer", 20 }, { "bhxh", "insured_unit", 20 },
};
static cfg_findings_t s_findings = { .nexpected = 3, .expected = s_expected };

static config_t
s_config(int year, double bhxh, double bhtn)
{
	config_t c = { 0 };

	c.nunits = 4;
	c.units = s_units;
	c.nagencies = 2;
	c.agencies = s_agencies;
	c.goal.year = year;
	c.goal.bhxh_pct = bhxh;
	c.goal.bhtn_pct = bhtn;
	c.findings = &s_findings;
	return c;
}

static sqlite3 *
s_db(void)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, s_schema, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, s_data, NULL, NULL, NULL), SQLITE_OK);
	return db;
}

/* s_page - the page of unit u as a string (caller frees). */
static char *
s_page(sqlite3 *db, const config_t *c, int u)
{
	dash_opts_t o = { .generated = 1492689600, .today = 17276 /* 2017-04-20 */ };
	dash_t *d = dash_open(db, c, &o);
	sb_t b;

	assert_non_null(d);
	sb_init(&b);
	assert_int_equal(dash_page(d, u, &b), 0);
	dash_close(&d);
	assert_non_null(b.data);
	return b.data;
}

static void
test_escapes_and_no_personal_numbers(void **state)
{
	config_t c = s_config(2020, 50, 35);
	sqlite3 *db = s_db();
	char *p = s_page(db, &c, 0);

	(void)state;
	assert_null(strstr(p, "<script"));
	assert_null(strstr(p, "<b>Bắc"));
	assert_non_null(strstr(p, "Công ty &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"));
	assert_non_null(strstr(p, "Tỉnh &lt;b&gt;Bắc Kạn&lt;/b&gt;"));
	assert_non_null(strstr(p, "Phường &quot;A&quot; &amp; &#39;B&#39;"));
	assert_null(strstr(p, "012345678901"));   /* a 12-digit run in a name is cut */
	assert_non_null(strstr(p, "Xã Hai …"));
	assert_non_null(strstr(p, "default-src 'none'"));
	assert_non_null(strstr(p, "name=\"viewport\""));
	assert_null(strstr(p, "src="));
	assert_null(strstr(p, "<link"));
	assert_null(strstr(p, "url("));
	free(p);
	sqlite3_close(db);
}

static void
test_goal_and_units_from_config(void **state)
{
	config_t c = s_config(2030, 60, 45);
	sqlite3 *db = s_db();
	char *p = s_page(db, &c, 0);

	(void)state;
	assert_non_null(strstr(p, "đến năm 2030 khoảng 60% lực lượng lao động"));
	assert_non_null(strstr(p, "45% tham gia bảo hiểm thất nghiệp"));
	assert_non_null(strstr(p, "Mục tiêu năm 2030: 60%"));
	assert_non_null(strstr(p, "Mục tiêu năm 2030: 45%"));
	assert_null(strstr(p, "2020"));
	assert_null(strstr(p, "50%"));
	assert_null(strstr(p, "35%"));
	assert_null(strstr(p, "huyện"));
	/* both trend charts, a goal line each, each year's target */
	assert_non_null(strstr(p, "class=\"trend-bhxh\""));
	assert_non_null(strstr(p, "class=\"trend-bhtn\""));
	assert_non_null(strstr(p, "<line class=\"goal\""));
	assert_non_null(strstr(p, "Chỉ tiêu BHXH năm 2017: 16,25%"));
	/* the sub-units linked from the root page */
	assert_non_null(strstr(p, "href=\"unit/058.html\""));
	assert_non_null(strstr(p, "href=\"unit/01840.html\""));
	/* which files are in, for the latest month */
	assert_non_null(strstr(p, "id=\"nop-so-lieu\""));
	assert_non_null(strstr(p, "chưa nhận (hạn 20/04/2017)"));
	assert_non_null(strstr(p, "đã nhận</span> ngày 20/04/2017"));
	free(p);
	sqlite3_close(db);
}

static void
test_unit_pages(void **state)
{
	config_t c = s_config(2020, 50, 35);
	sqlite3 *db = s_db();
	char *p = s_page(db, &c, 2), *q, *r;

	(void)state;
	/* the commune: breadcrumb up, its own employer with its anchor, not the others */
	assert_non_null(strstr(p, "<a href=\"../index.html\">Tỉnh &lt;b&gt;Bắc Kạn&lt;/b&gt;</a> › <a href=\"058.html\">"));
	assert_non_null(strstr(p, "id=\"e-0100109106\""));
	assert_null(strstr(p, "e-4600004003"));
	assert_null(strstr(p, "id=\"nop-so-lieu\""));
	q = s_page(db, &c, 3);
	/* the other commune: a final arrears (anchored by tax code and by unit code)
	 * and a provisional under-declaration, apart and marked */
	assert_non_null(strstr(q, "id=\"e-4600004003\""));
	assert_non_null(strstr(q, "id=\"e-DV007\""));
	assert_non_null(strstr(q, "Nợ đóng BHXH 12 tháng"));
	r = strstr(q, "id=\"tam-tinh\"");
	assert_non_null(r);
	assert_non_null(strstr(r, "id=\"e-0300588569\""));
	assert_non_null(strstr(r, "tạm tính — chưa đủ số liệu"));
	assert_true(strstr(q, "0300588569") > r); /* not in the final section before it */
	assert_non_null(strstr(q, "40 người lao động"));
	free(p);
	free(q);
	sqlite3_close(db);
}

/* s_mtime_ns - a file's modification time in ns, 0 if absent. */
static long long
s_mtime_ns(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return 0;
	return (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

static void
test_write_only_changed_pages(void **state)
{
	config_t c = s_config(2020, 50, 35);
	sqlite3 *db = s_db();
	char dir[] = "/tmp/test_dashboard.XXXXXX", path[256];
	dash_stats_t st;
	long long before;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(dash_write(db, &c, dir, NULL, &st), 0);
	assert_int_equal(st.pages, 4);
	assert_int_equal(st.written, 4);
	snprintf(path, sizeof(path), "%s/unit/01834.html", dir);
	assert_true(s_mtime_ns(path) > 0);
	/* nothing changed: only the root page (time, submissions) */
	assert_int_equal(dash_write(db, &c, dir, NULL, &st), 0);
	assert_int_equal(st.written, 1);
	assert_int_equal(st.unchanged, 3);
	/* a finding in 01840 changes its page and the root's, nothing else */
	before = s_mtime_ns(path);
	assert_int_equal(sqlite3_exec(db, "UPDATE finding SET value = 13 WHERE subject = 'DV007'", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(dash_write(db, &c, dir, NULL, &st), 0);
	assert_int_equal(st.written, 2);
	assert_int_equal(s_mtime_ns(path), before);
	/* a commune's coverage changes its page and its parent's (the sub-unit table) */
	assert_int_equal(sqlite3_exec(db, "UPDATE coverage SET bhxh_participants = 19 WHERE org_unit = '01834'"
	    " AND period = '2017-03'", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(dash_write(db, &c, dir, NULL, &st), 0);
	assert_int_equal(st.written, 3);
	/* a page deleted by hand is written again */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(dash_write(db, &c, dir, NULL, &st), 0);
	assert_int_equal(st.written, 2);
	assert_true(s_mtime_ns(path) > 0);
	/* a changed goal changes every page; a unit gone from the tree loses its page */
	c.goal.bhxh_pct = 60;
	c.nunits = 3;
	s_units[0].nchildren = 1;
	assert_int_equal(dash_write(db, &c, dir, NULL, &st), 0);
	s_units[0].nchildren = 2;
	assert_int_equal(st.written, 3);
	assert_int_equal(st.removed, 1);
	snprintf(path, sizeof(path), "%s/unit/01840.html", dir);
	assert_int_equal(s_mtime_ns(path), 0);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
	sqlite3_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes_and_no_personal_numbers),
		cmocka_unit_test(test_goal_and_units_from_config),
		cmocka_unit_test(test_unit_pages),
		cmocka_unit_test(test_write_only_changed_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
