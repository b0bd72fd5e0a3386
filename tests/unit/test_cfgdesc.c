/* test_cfgdesc - the one description of the configuration: every table is
 * sound, reading follows it (defaults, ranges, unknown keys, environment),
 * a reload's comparison finds exactly the keys that changed and swaps them,
 * and the documentation names every key with what a reload does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cfg_alert.h"
#include "cfg_endpoints.h"
#include "cfg_findings.h"
#include "cfgdesc.h"
#include "config.h"

typedef struct {
	char *name;
	int n;
	long long ms;
	double pct;
	int on;
	int mode;
	char word[8];
	char **list;
	int nlist;
	int depth;
} toy_t;

static const cd_key_t s_inner[] = {
	{ .key = "depth", .type = CD_INT, .flags = CD_RELOAD, .off = offsetof(toy_t, depth), .def = "2", .min = 1,
	  .max = 9, .doc = "how deep" },
	{ .key = NULL }
};

static const cd_key_t s_toy[] = {
	{ .key = "name", .type = CD_STR, .off = offsetof(toy_t, name), .def = "toy", .env = "TEST_CFGDESC_NAME",
	  .doc = "a name" },
	{ .key = "n", .type = CD_INT, .off = offsetof(toy_t, n), .def = "5", .min = 1, .max = 10, .doc = "a count" },
	{ .key = "wait", .type = CD_DURATION, .flags = CD_RELOAD, .off = offsetof(toy_t, ms), .def = "30s", .min = 1000,
	  .max = 3600000, .doc = "a wait" },
	{ .key = "pct", .type = CD_DOUBLE, .off = offsetof(toy_t, pct), .def = "50", .dmin = 0, .dmax = 100,
	  .doc = "a share" },
	{ .key = "on", .type = CD_BOOL, .off = offsetof(toy_t, on), .def = "true", .doc = "a switch" },
	{ .key = "mode", .type = CD_ENUM, .off = offsetof(toy_t, mode), .values = "off|try|required", .def = "required",
	  .env = "TEST_CFGDESC_MODE", .doc = "a mode" },
	{ .key = "word", .type = CD_ENUM, .flags = CD_RELOAD, .off = offsetof(toy_t, word), .bufsz = 8,
	  .values = "info|warning", .def = "info", .doc = "a word" },
	{ .key = "list", .type = CD_STRS, .off = offsetof(toy_t, list), .noff = offsetof(toy_t, nlist), .doc = "a list" },
	{ .key = "inner", .type = CD_SECTION, .sub = s_inner, .doc = "a section" },
	{ .key = NULL }
};

/* s_read - parse text and read it into t with fingerprints into sums. */
static int
s_read(const char *text, toy_t *t, cd_sums_t *sums, yt_diag_t *d)
{
	yt_node_t *root = text != NULL ? yt_load_string("t.yaml", text, strlen(text), NULL, d) : NULL;
	cd_ctx_t cx = { d, NULL, sums, CD_BASE_MAIN, NULL, 0, NULL, 0 };
	int rc;

	memset(t, 0, sizeof(*t));
	rc = cd_read(s_toy, "", root, t, &cx);
	yt_free(root);
	return rc;
}

static int
s_has(const yt_diag_t *d, const char *text)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->msgs[i], text) != NULL)
			return 1;
	for (size_t i = 0; i < d->n; i++)
		print_message("  %s\n", d->msgs[i]);
	return 0;
}

static void
test_every_table_is_sound(void **state)
{
	const cd_key_t *tables[] = { config_keys, config_schema_keys, cfg_findings_keys, cfg_alert_keys,
		cfg_endpoints_keys, s_toy };
	char why[300];

	(void)state;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		why[0] = '\0';
		if (cd_check_table(tables[i], why, sizeof(why)) != 0)
			print_message("table %zu: %s\n", i, why);
		assert_int_equal(cd_check_table(tables[i], why, sizeof(why)), 0);
	}
}

static void
test_a_bad_table_is_caught(void **state)
{
	static const cd_key_t bad_default[] = {
		{ .key = "n", .type = CD_INT, .def = "11", .min = 1, .max = 10, .doc = "a count" }, { .key = NULL } };
	static const cd_key_t no_doc[] = { { .key = "n", .type = CD_INT }, { .key = NULL } };
	static const cd_key_t env_on_int[] = { { .key = "n", .type = CD_INT, .env = "X", .doc = "d" }, { .key = NULL } };
	static const cd_key_t unswappable[] = {
		{ .key = "x", .type = CD_CUSTOM, .flags = CD_RELOAD, .read = cd_keep_node, .doc = "d" }, { .key = NULL } };
	static const cd_key_t layout_reloaded[] = {
		{ .key = "n", .type = CD_INT, .flags = CD_RELOAD | CD_LAYOUT, .doc = "d" }, { .key = NULL } };
	static const cd_key_t unknown_reader[] = {
		{ .key = "n", .type = CD_INT, .readby = 64, .doc = "d" }, { .key = NULL } };
	char why[300];

	(void)state;
	assert_int_equal(cd_check_table(bad_default, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "default '11'"));
	assert_int_equal(cd_check_table(no_doc, why, sizeof(why)), -1);
	assert_int_equal(cd_check_table(env_on_int, why, sizeof(why)), -1);
	assert_int_equal(cd_check_table(unswappable, why, sizeof(why)), -1);
	assert_int_equal(cd_check_table(layout_reloaded, why, sizeof(why)), -1);
	assert_int_equal(cd_check_table(unknown_reader, why, sizeof(why)), -1);
}

static void
test_defaults_and_values(void **state)
{
	yt_diag_t d = { 0 };
	cd_sums_t sums = { 0 };
	toy_t t;

	(void)state;
	unsetenv("TEST_CFGDESC_NAME");
	unsetenv("TEST_CFGDESC_MODE");
	assert_int_equal(s_read(NULL, &t, &sums, &d), 0);
	assert_string_equal(t.name, "toy");
	assert_int_equal(t.n, 5);
	assert_int_equal(t.ms, 30000);
	assert_true(t.pct == 50);
	assert_int_equal(t.on, 1);
	assert_int_equal(t.mode, 2);
	assert_string_equal(t.word, "info");
	assert_null(t.list);
	assert_int_equal(t.depth, 2);
	assert_int_equal(sums.n, 9); /* every key but the section itself, and the section's key */
	cd_free(s_toy, &t);
	cd_sums_free(&sums);

	assert_int_equal(s_read("name: x\nn: 7\nwait: 5m\npct: 12.5\non: no\nmode: try\nword: warning\n"
	    "list: [a, b]\ninner: { depth: 9 }\n", &t, NULL, &d), 0);
	assert_int_equal(d.n, 0);
	assert_string_equal(t.name, "x");
	assert_int_equal(t.n, 7);
	assert_int_equal(t.ms, 300000);
	assert_true(t.pct == 12.5);
	assert_int_equal(t.on, 0);
	assert_int_equal(t.mode, 1);
	assert_string_equal(t.word, "warning");
	assert_int_equal(t.nlist, 2);
	assert_string_equal(t.list[1], "b");
	assert_null(t.list[2]);
	assert_int_equal(t.depth, 9);
	cd_free(s_toy, &t);
	yt_diag_free(&d);
}

static void
test_every_problem_at_once(void **state)
{
	yt_diag_t d = { 0 };
	toy_t t;

	(void)state;
	assert_int_equal(s_read("n: 11\nwait: 10ms\npct: 101\non: maybe\nmode: sometimes\nword: loud\ncolour: red\n"
	    "inner: { depth: 0, x: 1 }\nlist: { a: 1 }\n", &t, NULL, &d), -1);
	assert_true(s_has(&d, "t.yaml:1:4: n: expected an integer from 1 to 10"));
	assert_true(s_has(&d, "t.yaml:2:7: wait: must be at least 1s"));
	assert_true(s_has(&d, "t.yaml:3:6: pct: expected a number from 0 to 100"));
	assert_true(s_has(&d, "t.yaml:4:5: on:"));
	assert_true(s_has(&d, "t.yaml:5:7: mode: expected off, try or required, got 'sometimes'"));
	assert_true(s_has(&d, "t.yaml:6:7: word: expected info or warning, got 'loud'"));
	assert_true(s_has(&d, "t.yaml:7:1: unknown key 'colour'"));
	assert_true(s_has(&d, "depth: expected an integer from 1 to 9"));
	assert_true(s_has(&d, "unknown key 'x' (expected one of: depth)"));
	assert_true(s_has(&d, "list: expected a value or a list of values"));
	assert_int_equal(d.n, 10);
	/* what was refused keeps its default */
	assert_int_equal(t.n, 5);
	assert_int_equal(t.mode, 2);
	assert_string_equal(t.word, "info");
	cd_free(s_toy, &t);
	yt_diag_free(&d);
}

static void
test_environment_overrides(void **state)
{
	yt_diag_t d = { 0 };
	toy_t t;

	(void)state;
	setenv("TEST_CFGDESC_NAME", "from-env", 1);
	setenv("TEST_CFGDESC_MODE", "off", 1);
	assert_int_equal(s_read("name: x\nmode: try\n", &t, NULL, &d), 0);
	assert_string_equal(t.name, "from-env");
	assert_int_equal(t.mode, 0);
	cd_free(s_toy, &t);
	setenv("TEST_CFGDESC_MODE", "maybe", 1);
	assert_int_equal(s_read("mode: try\n", &t, NULL, &d), -1);
	assert_true(s_has(&d, "TEST_CFGDESC_MODE='maybe': expected off, try or required"));
	cd_free(s_toy, &t);
	unsetenv("TEST_CFGDESC_NAME");
	unsetenv("TEST_CFGDESC_MODE");
	yt_diag_free(&d);
}

typedef struct {
	char paths[16][96];
	int n;
} seen_t;

static void
s_seen(const cd_sum_t *was, const cd_sum_t *now, void *arg)
{
	seen_t *s = arg;

	if (s->n < 16)
		snprintf(s->paths[s->n++], 96, "%s", now->path);
}

static void
test_changes_and_swap(void **state)
{
	yt_diag_t d = { 0 };
	cd_sums_t a = { 0 }, b = { 0 };
	seen_t seen = { 0 };
	toy_t ta, tb;

	(void)state;
	/* the same values, written differently (a default given, other spacing): no change */
	assert_int_equal(s_read("n: 5\nwait: 30s\n", &ta, &a, &d), 0);
	assert_int_equal(s_read("wait: 30000ms\ninner: {depth: 2}\n", &tb, &b, &d), 0);
	assert_int_equal(cd_changes(&a, &b, NULL, NULL), 0);
	cd_free(s_toy, &tb);
	cd_sums_free(&b);

	assert_int_equal(s_read("n: 6\nwait: 1m\nword: warning\nlist: [a]\ninner: {depth: 3}\n", &tb, &b, &d), 0);
	assert_int_equal(cd_changes(&a, &b, s_seen, &seen), 5);
	assert_string_equal(seen.paths[0], "n");
	assert_string_equal(seen.paths[1], "wait");
	assert_string_equal(seen.paths[2], "word");
	assert_string_equal(seen.paths[3], "list");
	assert_string_equal(seen.paths[4], "inner.depth");
	/* swapping moves the new value in and the old one out, strings and lists included */
	assert_int_equal(cd_swap(cd_find(s_toy, "wait"), &ta, &tb), 0);
	assert_int_equal(cd_swap(cd_find(s_toy, "word"), &ta, &tb), 0);
	assert_int_equal(cd_swap(cd_find(s_toy, "list"), &ta, &tb), 0);
	assert_int_equal(cd_swap(cd_find(s_toy, "inner.depth"), &ta, &tb), 0);
	assert_int_equal(ta.ms, 60000);
	assert_int_equal(tb.ms, 30000);
	assert_string_equal(ta.word, "warning");
	assert_string_equal(tb.word, "info");
	assert_int_equal(ta.nlist, 1);
	assert_string_equal(ta.list[0], "a");
	assert_int_equal(tb.nlist, 0);
	assert_int_equal(ta.depth, 3);
	assert_null(cd_find(s_toy, "inner.nothing"));
	assert_int_equal(cd_swap(cd_find(s_toy, "inner"), &ta, &tb), -1); /* a section is not a value */
	cd_free(s_toy, &ta);
	cd_free(s_toy, &tb);
	cd_sums_free(&a);
	cd_sums_free(&b);
	yt_diag_free(&d);
}

/* who reads a key: its own readby, else its section's, else the context's
 * (the file's), else every worker */
static void
test_readers(void **state)
{
	static const cd_key_t inner[] = {
		{ .key = "a", .type = CD_INT, .off = offsetof(toy_t, n), .doc = "d" },
		{ .key = "b", .type = CD_INT, .readby = CD_BY_SUPERVISOR, .off = offsetof(toy_t, depth), .doc = "d" },
		{ .key = NULL } };
	static const cd_key_t t[] = {
		{ .key = "top", .type = CD_BOOL, .off = offsetof(toy_t, on), .doc = "d" },
		{ .key = "own", .type = CD_SECTION, .readby = CD_BY_INGEST | CD_BY_VALIDATE, .sub = inner, .doc = "d" },
		{ .key = "plain", .type = CD_SECTION, .sub = inner, .doc = "d" },
		{ .key = NULL } };
	static const char *const paths[] = { "top", "own.a", "own.b", "plain.a", "plain.b" };
	static const int workers[] = { CD_BY_WORKERS, CD_BY_INGEST | CD_BY_VALIDATE, CD_BY_SUPERVISOR, CD_BY_WORKERS,
		CD_BY_SUPERVISOR };
	static const int in_file[] = { CD_BY_ALERT, CD_BY_INGEST | CD_BY_VALIDATE, CD_BY_SUPERVISOR, CD_BY_ALERT,
		CD_BY_SUPERVISOR };
	yt_diag_t d = { 0 };
	char why[300];
	toy_t toy;

	(void)state;
	assert_int_equal(cd_check_table(t, why, sizeof(why)), 0);
	for (int file = 0; file < 2; file++) {
		cd_sums_t sums = { 0 };
		cd_ctx_t cx = { &d, NULL, &sums, CD_BASE_MAIN, NULL, 0, NULL, file ? CD_BY_ALERT : 0 };

		memset(&toy, 0, sizeof(toy));
		assert_int_equal(cd_read(t, "", NULL, &toy, &cx), 0);
		assert_int_equal(sums.n, 5);
		for (size_t i = 0; i < sums.n; i++) {
			assert_string_equal(sums.v[i].path, paths[i]);
			assert_int_equal(sums.v[i].readby, file ? in_file[i] : workers[i]);
		}
		assert_int_equal(cx.readby, file ? CD_BY_ALERT : 0); /* as it was after the sections */
		cd_sums_free(&sums);
	}
	yt_diag_free(&d);
}

static void
test_shipped_configuration_fingerprints(void **state)
{
	yt_diag_t d = { 0 };
	config_t *a = config_load("config/bhxh.yaml", &d), *b;
	seen_t seen = { 0 };
	int keys_of[CD_NBASES] = { 0 };

	(void)state;
	assert_non_null(a);
	for (size_t i = 0; i < a->sums.n; i++)
		keys_of[a->sums.v[i].base]++;
	/* every file's keys are fingerprinted: the main file, the findings and the alerting file */
	assert_true(keys_of[CD_BASE_MAIN] >= 20);
	assert_true(keys_of[CD_BASE_FINDINGS] >= 15);
	assert_true(keys_of[CD_BASE_ALERT] >= 15);
	b = config_load("config/bhxh.yaml", &d);
	assert_non_null(b);
	assert_int_equal(cd_changes(&a->sums, &b->sums, s_seen, &seen), 0);
	/* a goal's change is a change of goal.bhxh_pct, and a swap puts it in */
	b->goal.bhxh_pct = 60;
	for (size_t i = 0; i < b->sums.n; i++)
		if (strcmp(b->sums.v[i].path, "goal.bhxh_pct") == 0)
			b->sums.v[i].h ^= 1;
	assert_int_equal(cd_changes(&a->sums, &b->sums, s_seen, &seen), 1);
	assert_string_equal(seen.paths[0], "goal.bhxh_pct");
	assert_int_equal(cd_swap(cd_find(config_keys, "goal.bhxh_pct"), a, b), 0);
	assert_true(a->goal.bhxh_pct == 60);
	config_free(&a);
	config_free(&b);
	yt_diag_free(&d);
}

/* s_alert - the alerting file text through cfg_alert_load; problems in d. */
static cfg_alert_t *
s_alert(const char *text, yt_diag_t *d)
{
	yt_node_t *root = yt_load_string("a.yaml", text, strlen(text), NULL, d);
	cfg_alert_t *a = root != NULL ? cfg_alert_load(root, d) : NULL;

	yt_free(root);
	return a;
}

static void
test_required_values_and_where_problems_are(void **state)
{
	yt_diag_t d = { 0 };
	cfg_alert_t *a;

	(void)state;
	/* a required value written as null is missing, said at the value */
	assert_null(s_alert("receivers: [{name: op, role: operator}]\nroute: {receiver: ~}\n", &d));
	assert_true(s_has(&d, "a.yaml:2:19: receiver: a value is required"));
	yt_diag_free(&d);
	assert_null(s_alert("receivers: ~\nroute: {receiver: op}\n", &d));
	assert_true(s_has(&d, "a.yaml:1:12: receivers: a value is required"));
	yt_diag_free(&d);
	assert_null(s_alert("receivers: [{name: op, role: operator}]\nroute: {receiver: op}\n"
	    "inhibit: [{source: ~, target: {kind: a}}]\n", &d));
	assert_true(s_has(&d, "a.yaml:3:20: source: a value is required"));
	yt_diag_free(&d);
	/* a child route without a receiver takes its parent's */
	a = s_alert("receivers: [{name: op, role: operator}, {name: b, role: operator}]\n"
	    "route: {receiver: b, routes: [{receiver: ~, match: {kind: x}}]}\n", &d);
	assert_non_null(a);
	assert_int_equal(a->route.routes[0].receiver, 1);
	cfg_alert_free(&a);
	/* a check of keys that are absent says where: retry.max, absent, is shorter than initial */
	assert_null(s_alert("receivers: [{name: op, role: operator}]\nroute: {receiver: op}\nretry:\n  initial: 20m\n",
	    &d));
	assert_true(s_has(&d, "a.yaml:4:3: max: must not be shorter than initial"));
	yt_diag_free(&d);
}

static void
test_inherited_values_are_checked_once(void **state)
{
	yt_diag_t d = { 0 };

	(void)state;
	/* an unknown label in the root's group_by is said once, where it is written, not again without a
	 * place for every route that inherits it */
	assert_null(s_alert("receivers: [{name: op, role: operator}]\n"
	    "route: {receiver: op, group_by: [x], routes: [{match: {kind: a}}, {match: {kind: b}, routes: [{}]}]}\n", &d));
	assert_true(s_has(&d, "a.yaml:2:33: group_by: unknown label 'x'"));
	for (size_t i = 0; d.n != 1 && i < d.n; i++)
		print_message("  %s\n", d.msgs[i]);
	assert_int_equal(d.n, 1);
	yt_diag_free(&d);
}

static void
test_documentation(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	cd_doc_header(f);
	cd_doc(f, config_keys, "");
	cd_doc(f, cfg_alert_keys, "");
	fclose(f);
	assert_non_null(strstr(text, "| `ingest.batch_rows` | integer 1–100000 | `1000` | restart | rows per message"));
	assert_non_null(strstr(text, "| `goal.bhxh_pct` | number 0–100 | `50` | at once |"));
	assert_non_null(strstr(text, "| `agencies[].encoding` |"));
	assert_non_null(strstr(text, "| `endpoints.curve.public` |"));
	assert_non_null(strstr(text, "`BHXH_SMTP_STARTTLS` in the environment overrides it"));
	/* a route's routes are routes: documented once, not for ever */
	assert_non_null(strstr(text, "| `route.routes` |"));
	assert_null(strstr(text, "`route.routes[]."));
	/* the validators' keys are those of ingest: written once */
	assert_null(strstr(text, "`endpoints.aggregate.bind`"));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_table_is_sound),
		cmocka_unit_test(test_a_bad_table_is_caught),
		cmocka_unit_test(test_defaults_and_values),
		cmocka_unit_test(test_every_problem_at_once),
		cmocka_unit_test(test_environment_overrides),
		cmocka_unit_test(test_changes_and_swap),
		cmocka_unit_test(test_readers),
		cmocka_unit_test(test_shipped_configuration_fingerprints),
		cmocka_unit_test(test_required_values_and_where_problems_are),
		cmocka_unit_test(test_inherited_values_are_checked_once),
		cmocka_unit_test(test_documentation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
