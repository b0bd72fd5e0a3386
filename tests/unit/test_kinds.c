/* test_kinds - unit tests for the table of finding kinds (common/kinds.c):
 * every kind the findings and the alert worker know is there with both
 * labels, its evidence, its value's meaning and unit and an action; the
 * actions differ by role as the plan asks; the goal comes from the
 * configuration; severity words. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "shipped.h"

#include "config.h"
#include "kinds.h"

static const char *const s_finding_kinds[] = { "not_enrolled", "under_declared", "arrears", "low_wage_basis",
	"unregistered", "idle_agent", "behind_target", "off_track", "missing_data" };
static const char *const s_operator_kinds[] = { "quarantined_file", "feed_stopped", "dead_letter" };

/* every kind has its texts, in both languages */
static void
test_complete(void **state)
{
	(void)state;
	assert_int_equal(kind_count(), 12);
	for (int i = 0; i < kind_count(); i++) {
		const kind_t *k = kind_at(i);

		assert_non_null(k);
		assert_ptr_equal(kind_find(k->name), k);
		assert_true(k->vi[0] != '\0' && k->en[0] != '\0');
		assert_true(k->value_vi[0] != '\0' && k->value_en[0] != '\0');
		assert_true(k->action_vi[0] != '\0' && k->action_en[0] != '\0');
		assert_true(k->nevidence >= 0 && k->nevidence <= KIND_MAX_EVIDENCE);
		for (int e = 0; e < k->nevidence; e++)
			assert_non_null(k->evidence[e].rtype);
		for (int a = 0; a < k->nactions; a++)
			assert_true(k->actions[a].vi[0] != '\0' && k->actions[a].en[0] != '\0');
	}
	for (size_t i = 0; i < sizeof(s_finding_kinds) / sizeof(s_finding_kinds[0]); i++) {
		const kind_t *k = kind_find(s_finding_kinds[i]);

		assert_non_null(k);
		assert_int_equal(k->cls, KIND_FINDING);
		assert_true(k->event);
		assert_true(k->evidence_vi[0] != '\0' && k->evidence_en[0] != '\0');
	}
	for (size_t i = 0; i < sizeof(s_operator_kinds) / sizeof(s_operator_kinds[0]); i++)
		assert_int_equal(kind_find(s_operator_kinds[i])->cls, KIND_OPERATOR);
	assert_false(kind_find("dead_letter")->event); /* made by the alert worker, never an event */
	assert_true(kind_find("feed_stopped")->once); /* the operator is told once */
	assert_false(kind_find("not_enrolled")->once);
	assert_null(kind_find("rm_rf"));
	assert_null(kind_find(NULL));
	assert_null(kind_at(-1));
	assert_null(kind_at(kind_count()));
}

/* the evidence each kind needs for its month P, machine-readable */
static void
test_evidence(void **state)
{
	const char *const two[] = { "not_enrolled", "under_declared", "unregistered" };

	(void)state;
	for (int i = 0; i < 3; i++) {
		const kind_t *k = kind_find(two[i]);

		assert_int_equal(k->nevidence, 2);
		assert_true(kind_needs(k, "tax_employer", KIND_EV_MONTH));
		assert_true(kind_needs(k, "insured_unit", KIND_EV_MONTH));
	}
	assert_int_equal(kind_find("arrears")->nevidence, 1);
	assert_true(kind_needs(kind_find("arrears"), "insured_unit", KIND_EV_MONTH));
	assert_true(kind_needs(kind_find("low_wage_basis"), "insured_unit", KIND_EV_MONTH));
	assert_false(kind_needs(kind_find("low_wage_basis"), "tax_employer", KIND_EV_MONTH));
	assert_int_equal(kind_find("idle_agent")->nevidence, 1);
	assert_true(kind_needs(kind_find("idle_agent"), "participant", KIND_EV_MONTH));
	assert_true(kind_needs(kind_find("behind_target"), "participant", KIND_EV_MONTH));
	assert_true(kind_needs(kind_find("behind_target"), "labor_force", KIND_EV_YEAR));
	assert_false(kind_needs(kind_find("behind_target"), "labor_force", KIND_EV_MONTH));
	assert_true(kind_needs(kind_find("off_track"), "labor_force", KIND_EV_YEAR));
	assert_int_equal(kind_find("missing_data")->nevidence, 0);
	assert_int_equal(kind_find("feed_stopped")->nevidence, 0);
	assert_false(kind_needs(NULL, "participant", KIND_EV_MONTH));
}

/* what each receiver is asked: the plan's duty of its role */
static void
test_actions(void **state)
{
	sb_t b;

	(void)state;
	sb_init(&b);
	sb_add(&b, "");
	kind_action(NULL, "arrears", ROLE_SOCIAL_SECURITY, 0, &b);
	assert_non_null(strstr(b.data, "Recover the arrears"));
	b.len = 0;
	kind_action(NULL, "arrears", ROLE_TRADE_UNION, 0, &b);
	assert_non_null(strstr(b.data, "on the workers' behalf"));
	b.len = 0;
	kind_action(NULL, "arrears", ROLE_TRADE_UNION, 1, &b);
	assert_non_null(strstr(b.data, "Thay mặt người lao động"));
	b.len = 0;
	kind_action(NULL, "not_enrolled", ROLE_LABOUR_INSPECTION, 0, &b);
	assert_non_null(strstr(b.data, "Inspect"));
	b.len = 0;
	kind_action(NULL, "not_enrolled", ROLE_DISTRICT_COMMITTEE, 0, &b);
	assert_non_null(strstr(b.data, "Direct and supervise"));
	b.len = 0;
	kind_action(NULL, "not_enrolled", ROLE_SOCIAL_SECURITY, 0, &b);
	assert_non_null(strstr(b.data, "enrol"));
	b.len = 0;
	kind_action(NULL, "missing_data", ROLE_AGENCY, 1, &b); /* no role of its own: the kind's action */
	assert_string_equal(b.data, kind_find("missing_data")->action_vi);
	b.len = 0;
	kind_action(NULL, "rm_rf", ROLE_OPERATOR, 1, &b);
	assert_int_equal(b.len, 0);
	sb_free(&b);
}

/* the goal's year and percentages come from the configuration */
static void
test_goal_from_config(void **state)
{
	char path[PATH_MAX + 32];
	yt_diag_t d = { 0 };
	config_t *c;
	sb_t b;

	(void)state;
	shipped_path(path, sizeof(path), "bhxh.yaml");
	c = config_load(path, &d);
	yt_diag_print(&d, stderr);
	yt_diag_free(&d);
	assert_non_null(c);
	c->goal.year = 2030;
	c->goal.bhxh_pct = 60;
	c->goal.bhtn_pct = 45.5;
	sb_init(&b);
	sb_add(&b, "");
	kind_label(c, "off_track", 1, &b);
	assert_non_null(strstr(b.data, "năm 2030"));
	assert_null(strstr(b.data, "2020"));
	assert_null(strchr(b.data, '{'));
	b.len = 0;
	kind_label(c, "off_track", 0, &b);
	assert_non_null(strstr(b.data, "2030"));
	b.len = 0;
	kind_expand(c, kind_find("off_track")->evidence_vi, &b);
	assert_non_null(strstr(b.data, "60% tham gia BHXH, 45.5% tham gia BHTN"));
	b.len = 0;
	kind_action(c, "off_track", ROLE_DISTRICT_COMMITTEE, 1, &b);
	assert_non_null(strstr(b.data, "năm 2030"));
	b.len = 0;
	kind_expand(NULL, "{goal_year} {x} {", &b); /* without a configuration: left as they are */
	assert_string_equal(b.data, "{goal_year} {x} {");
	b.len = 0;
	kind_label(c, "unknown_kind", 1, &b);
	assert_string_equal(b.data, "unknown_kind");
	sb_free(&b);
	config_free(&c);
}

static void
test_severity_words(void **state)
{
	(void)state;
	assert_string_equal(kind_severity_vi("info"), "thông tin");
	assert_string_equal(kind_severity_vi("warning"), "cảnh báo");
	assert_string_equal(kind_severity_vi("major"), "nghiêm trọng");
	assert_string_equal(kind_severity_vi("critical"), "rất nghiêm trọng");
	assert_string_equal(kind_severity_en("critical"), "critical");
	assert_string_equal(kind_severity_vi("loud"), "loud");
}

/* the unit of each value */
static void
test_units(void **state)
{
	(void)state;
	assert_string_equal(kind_find("not_enrolled")->unit_vi, "người lao động");
	assert_string_equal(kind_find("not_enrolled")->unit_en, "workers");
	assert_string_equal(kind_find("arrears")->unit_vi, "tháng");
	assert_string_equal(kind_find("arrears")->unit_en, "months");
	assert_string_equal(kind_find("behind_target")->unit_vi, "%");
	assert_string_equal(kind_find("low_wage_basis")->unit_en, "VND");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_evidence),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_goal_from_config),
		cmocka_unit_test(test_severity_words),
		cmocka_unit_test(test_units),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
