/* test_cfg_findings - unit tests for the findings configuration: the built-in
 * defaults (docs/DOMAIN.md §6), a full valid file, and bad values and
 * unknown keys reported with file:line:column. Loaded from strings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfg_findings.h"

/* load - parse s as "f.yaml" and read it; the tree is freed, d keeps the messages */
static cfg_findings_t *
load(const char *s, yt_diag_t *d)
{
	yt_node_t *root = yt_load_string("f.yaml", s, strlen(s), NULL, d);
	cfg_findings_t *f;

	assert_non_null(root);
	f = cfg_findings_load(root, d);
	yt_free(root);
	return f;
}

/* has_msg - one of the messages is exactly m */
static int
has_msg(const yt_diag_t *d, const char *m)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->msgs[i], m) == 0)
			return 1;
	return 0;
}

/* print_msgs - the messages, to see what a failed assertion was about */
static void
print_msgs(const yt_diag_t *d)
{
	for (size_t i = 0; i < d->n; i++)
		print_message("  %s\n", d->msgs[i]);
}

static void
test_defaults(void **state)
{
	yt_diag_t d = { 0 };
	cfg_findings_t *f = cfg_findings_load(NULL, &d);

	(void)state;
	assert_non_null(f);
	assert_int_equal(d.n, 0);
	assert_int_equal(f->loaded, 0);
	assert_int_equal(f->not_enrolled.n, 2);
	assert_true(f->not_enrolled.level[0].at == 1 && f->not_enrolled.level[1].at == 10);
	assert_string_equal(f->not_enrolled.level[0].severity, "warning");
	assert_string_equal(f->not_enrolled.level[1].severity, "critical");
	assert_int_equal(f->under_declared.n, 2);
	assert_true(f->under_declared.level[0].at == 1 && f->under_declared.level[1].at == 10);
	assert_true(f->under_declared_min_pct == 10);
	assert_int_equal(f->arrears.n, 3);
	assert_true(f->arrears.level[0].at == 3 && f->arrears.level[1].at == 6 && f->arrears.level[2].at == 12);
	assert_string_equal(f->arrears.level[0].severity, "warning");
	assert_string_equal(f->arrears.level[1].severity, "major");
	assert_string_equal(f->arrears.level[2].severity, "critical");
	assert_true(f->minimum_wage > 0);
	assert_int_equal(f->nwages, 0);
	assert_string_equal(f->low_wage_severity, "warning");
	assert_string_equal(f->unregistered_severity, "info");
	assert_int_equal(f->idle_months, 3);
	assert_string_equal(f->idle_severity, "info");
	assert_string_equal(f->behind_severity, "warning");
	assert_string_equal(f->off_track_severity, "major");
	assert_string_equal(f->missing_severity, "warning");
	assert_int_equal(f->nexpected, 0);
	assert_int_equal(cfg_levels_pick(&f->arrears, 2.99), -1);
	assert_int_equal(cfg_levels_pick(&f->arrears, 3), 0);
	assert_int_equal(cfg_levels_pick(&f->arrears, 11.9), 1);
	assert_int_equal(cfg_levels_pick(&f->arrears, 12), 2);
	assert_int_equal(cfg_findings_rank("critical"), 3);
	assert_int_equal(cfg_findings_rank("info"), 0);
	assert_int_equal(cfg_findings_rank("fatal"), -1);
	cfg_findings_free(&f);
	assert_null(f);
}

static void
test_full_file(void **state)
{
	const char *s =
	    "not_enrolled:\n"
	    "  levels:\n"
	    "    - { at: 2, severity: info }\n"
	    "    - { at: 20, severity: major }\n"
	    "under_declared:\n"
	    "  min_gap_pct: 12.5\n"
	    "  levels: [{ at: 3, severity: warning }]\n"
	    "arrears:\n"
	    "  levels:\n"
	    "    - { at: 1, severity: info }\n"
	    "    - { at: 4, severity: warning }\n"
	    "    - { at: 8, severity: major }\n"
	    "    - { at: 24, severity: critical }\n"
	    "low_wage_basis:\n"
	    "  minimum_wage: 3000000\n"
	    "  by_org_unit: { \"058\": 3500000, \"01834\": 3750000 }\n"
	    "  severity: major\n"
	    "unregistered: { severity: warning }\n"
	    "idle_agent: { months: 6, severity: warning }\n"
	    "behind_target: { severity: major }\n"
	    "off_track: { severity: critical }\n"
	    "missing_data:\n"
	    "  severity: critical\n"
	    "  lookback_months: 24\n"
	    "  expected:\n"
	    "    - { agency: bhxh, type: participant, deadline_day: 15 }\n"
	    "    - { agency: cucthue, type: tax_employer, deadline_day: 28 }\n"
	    "feed_stopped: { severity: major }\n"
	    "today: \"2016-02-29\"\n";
	yt_diag_t d = { 0 };
	cfg_findings_t *f = load(s, &d);

	(void)state;
	print_msgs(&d);
	assert_int_equal(d.n, 0);
	assert_int_equal(f->loaded, 1);
	assert_int_equal(f->not_enrolled.n, 2);
	assert_true(f->not_enrolled.level[0].at == 2 && f->not_enrolled.level[1].at == 20);
	assert_string_equal(f->not_enrolled.level[0].severity, "info");
	assert_string_equal(f->not_enrolled.level[1].severity, "major");
	assert_int_equal(f->under_declared.n, 1);
	assert_true(f->under_declared.level[0].at == 3);
	assert_true(f->under_declared_min_pct == 12.5);
	assert_int_equal(f->arrears.n, 4);
	assert_true(f->arrears.level[3].at == 24);
	assert_string_equal(f->arrears.level[3].severity, "critical");
	assert_true(f->minimum_wage == 3000000);
	assert_int_equal(f->nwages, 2);
	assert_string_equal(f->wages[0].org_unit, "058");
	assert_true(f->wages[0].wage == 3500000);
	assert_string_equal(f->wages[1].org_unit, "01834");
	assert_true(f->wages[1].wage == 3750000);
	assert_string_equal(f->low_wage_severity, "major");
	assert_string_equal(f->unregistered_severity, "warning");
	assert_int_equal(f->idle_months, 6);
	assert_string_equal(f->idle_severity, "warning");
	assert_string_equal(f->behind_severity, "major");
	assert_string_equal(f->off_track_severity, "critical");
	assert_string_equal(f->missing_severity, "critical");
	assert_int_equal(f->lookback_months, 24);
	assert_string_equal(f->feed_severity, "major");
	assert_string_equal(f->today, "2016-02-29");
	assert_int_equal(f->nexpected, 2);
	assert_string_equal(f->expected[0].agency, "bhxh");
	assert_string_equal(f->expected[0].type, "participant");
	assert_int_equal(f->expected[0].deadline_day, 15);
	assert_string_equal(f->expected[1].agency, "cucthue");
	assert_int_equal(f->expected[1].deadline_day, 28);
	cfg_findings_free(&f);
	yt_diag_free(&d);
}

/* A partial file keeps the defaults of everything it does not set. */
static void
test_partial_keeps_defaults(void **state)
{
	yt_diag_t d = { 0 };
	cfg_findings_t *f = load("idle_agent:\n  months: 4\n", &d);

	(void)state;
	assert_int_equal(d.n, 0);
	assert_int_equal(f->idle_months, 4);
	assert_string_equal(f->idle_severity, "info");
	assert_int_equal(f->arrears.n, 3);
	assert_true(f->under_declared_min_pct == 10);
	cfg_findings_free(&f);
}

static void
test_bad_values(void **state)
{
	const char *s =
	    "arrears:\n"                                  /* 1 */
	    "  levels:\n"                                 /* 2 */
	    "    - { at: 6, severity: warning }\n"        /* 3 */
	    "    - { at: 3, severity: major }\n"          /* 4: not increasing */
	    "unregistered: { severity: urgent }\n"        /* 5: unknown severity, col 27 */
	    "idle_agent: { months: 0 }\n"                 /* 6: below 1, col 23 */
	    "under_declared: { min_gap_pct: 150 }\n"      /* 7: above 100, col 32 */
	    "missing_data:\n"                             /* 8 */
	    "  expected:\n"                               /* 9 */
	    "    - { agency: bhxh, type: participant, deadline_day: 31 }\n" /* 10: above 28, col 56 */
	    "feed_stopped: { severity: loud }\n"          /* 11: col 27 */
	    "today: \"2017-02-29\"\n";                     /* 12: not a date (2017 is not a leap year) */
	yt_diag_t d = { 0 };
	cfg_findings_t *f = load(s, &d);

	(void)state;
	print_msgs(&d);
	assert_int_equal(d.n, 7);
	assert_true(has_msg(&d, "f.yaml:11:27: severity: expected info, warning, major or critical, got 'loud'"));
	assert_true(has_msg(&d, "f.yaml:12:8: today: '2017-02-29' is not a date YYYY-MM-DD"));
	assert_string_equal(f->today, "");
	assert_string_equal(f->feed_severity, "warning");
	assert_true(has_msg(&d, "f.yaml:4:7: levels: 'at' must increase from one level to the next"));
	assert_true(has_msg(&d, "f.yaml:5:27: severity: expected info, warning, major or critical, got 'urgent'"));
	assert_true(has_msg(&d, "f.yaml:6:23: months: expected an integer from 1 to 120, got '0'"));
	assert_true(has_msg(&d, "f.yaml:7:32: min_gap_pct: expected a number from 0 to 100, got '150'"));
	assert_true(has_msg(&d, "f.yaml:10:56: deadline_day: expected an integer from 1 to 28, got '31'"));
	/* a rejected ladder leaves the default in place */
	assert_int_equal(f->arrears.n, 3);
	assert_string_equal(f->unregistered_severity, "info");
	assert_int_equal(f->idle_months, 3);
	cfg_findings_free(&f);
	yt_diag_free(&d);
}

static void
test_unknown_keys(void **state)
{
	const char *s =
	    "arrears:\n"
	    "  level: []\n"                              /* 2:3 unknown in a kind */
	    "not_enroled:\n"                             /* 3:1 unknown kind */
	    "  levels: []\n"
	    "idle_agent: { months: 3, severity: info, color: red }\n" /* 5:42 */
	    "missing_data:\n"
	    "  expected:\n"
	    "    - { agency: bhxh, type: participant, deadline_day: 20, late: yes }\n"; /* 8:60 */
	yt_diag_t d = { 0 };
	cfg_findings_t *f = load(s, &d);

	(void)state;
	print_msgs(&d);
	assert_int_equal(d.n, 4);
	for (size_t i = 0; i < d.n; i++)
		assert_non_null(strstr(d.msgs[i], "unknown key"));
	assert_true(has_msg(&d, "f.yaml:3:1: unknown key 'not_enroled' (expected one of: not_enrolled, under_declared,"
	    " arrears, low_wage_basis, unregistered, idle_agent, behind_target, off_track, missing_data, feed_stopped,"
	    " today)"));
	assert_true(has_msg(&d, "f.yaml:2:3: unknown key 'level' (expected one of: levels)"));
	assert_true(has_msg(&d, "f.yaml:5:42: unknown key 'color' (expected one of: months, severity)"));
	assert_true(has_msg(&d, "f.yaml:8:60: unknown key 'late' (expected one of: agency, type, deadline_day)"));
	cfg_findings_free(&f);
	yt_diag_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_partial_keeps_defaults),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_unknown_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
