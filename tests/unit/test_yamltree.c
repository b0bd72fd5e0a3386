/* test_yamltree - unit tests for the YAML tree loader and checked config reading.
 * Everything is loaded from strings except the tests of yt_load_file(). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "yamltree.h"

/* load - parse s as "t.yaml" with the default limits */
static yt_node_t *
load(const char *s, yt_diag_t *d)
{
	return yt_load_string("t.yaml", s, strlen(s), NULL, d);
}

/* load_lim - parse s as "t.yaml" with the given limits */
static yt_node_t *
load_lim(const char *s, const yt_limits_t *lim, yt_diag_t *d)
{
	return yt_load_string("t.yaml", s, strlen(s), lim, d);
}

/* expect_fail - s must be refused with exactly one message, msg */
static void
expect_fail(const char *s, const char *msg)
{
	yt_diag_t d = { 0 };
	yt_node_t *root = load(s, &d);

	assert_null(root);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0], msg);
	yt_diag_free(&d);
}

/* expect_dup - s loads, with exactly msg reported, and its first value of the key kept */
static void
expect_dup(const char *s, const char *msg)
{
	yt_diag_t d = { 0 };
	yt_node_t *root = load(s, &d);

	assert_non_null(root);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0], msg);
	yt_diag_free(&d);
	yt_free(root);
}

/* deep_flow - "[[[...]]]" n deep, malloc'd */
static char *
deep_flow(int n)
{
	char *s = malloc((size_t)n * 2 + 1);
	int i;

	assert_non_null(s);
	for (i = 0; i < n; i++) {
		s[i] = '[';
		s[n + i] = ']';
	}
	s[2 * n] = '\0';
	return s;
}

/* deep_block - n nested block mappings "k0:\n  k1:\n    k2: ..." ending in a scalar, malloc'd */
static char *
deep_block(int n)
{
	size_t cap = (size_t)n * ((size_t)n * 2 + 16) + 16, o = 0;
	char *s = malloc(cap);
	int i;

	assert_non_null(s);
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(s + o, cap - o, "%*sk%d:%s", 2 * i, "", i, i + 1 < n ? "\n" : " x\n");
	return s;
}

static void
test_nested_marks(void **state)
{
	const char *src =
	    "ingest:\n"
	    "  batch_rows: 500\n"
	    "  dirs: [in, \"out\"]\n"
	    "agencies:\n"
	    "  - id: bhxh\n"
	    "    types:\n"
	    "      - participant\n";
	yt_diag_t d = { 0 };
	yt_node_t *root = load(src, &d);
	const yt_node_t *ing, *v, *ag, *a0, *types;

	assert_non_null(root);
	assert_int_equal(d.n, 0);
	assert_int_equal(root->kind, YT_MAP);
	assert_int_equal(root->n, 2);
	assert_int_equal(root->line, 1);
	assert_int_equal(root->col, 1);
	assert_string_equal(root->file, "t.yaml");
	assert_string_equal(root->keys[0]->scalar, "ingest");
	assert_string_equal(root->keys[1]->scalar, "agencies");
	assert_int_equal(root->keys[1]->line, 4);

	ing = yt_map_get(root, "ingest");
	assert_non_null(ing);
	assert_int_equal(ing->kind, YT_MAP);
	assert_int_equal(ing->line, 2);
	assert_int_equal(ing->col, 3);
	v = yt_map_get(ing, "batch_rows");
	assert_int_equal(v->kind, YT_SCALAR);
	assert_string_equal(v->scalar, "500");
	assert_true(v->plain);
	assert_int_equal(v->line, 2);
	assert_int_equal(v->col, 15);
	assert_string_equal(v->file, "t.yaml");

	v = yt_map_get(ing, "dirs");
	assert_int_equal(v->kind, YT_SEQ);
	assert_int_equal(v->n, 2);
	assert_int_equal(v->line, 3);
	assert_int_equal(v->col, 9);
	assert_string_equal(v->items[0]->scalar, "in");
	assert_true(v->items[0]->plain);
	assert_string_equal(v->items[1]->scalar, "out");
	assert_false(v->items[1]->plain);
	assert_int_equal(v->items[1]->col, 14);

	ag = yt_map_get(root, "agencies");
	assert_int_equal(ag->kind, YT_SEQ);
	assert_int_equal(ag->n, 1);
	assert_int_equal(ag->line, 5);
	assert_int_equal(ag->col, 3);
	a0 = ag->items[0];
	assert_int_equal(a0->kind, YT_MAP);
	assert_int_equal(a0->line, 5);
	assert_int_equal(a0->col, 5);
	types = yt_map_get(a0, "types");
	assert_int_equal(types->kind, YT_SEQ);
	assert_int_equal(types->items[0]->line, 7);
	assert_int_equal(types->items[0]->col, 9);
	assert_string_equal(types->items[0]->scalar, "participant");

	assert_null(yt_map_get(root, "nope"));
	assert_null(yt_map_get(ag, "id"));   /* not a map */
	assert_null(yt_map_get(NULL, "id"));
	yt_free(root);
	yt_free(NULL);
}

static void
test_unknown_key_mark(void **state)
{
	static const char *const allowed[] = { "a", "b", "c", NULL };
	yt_diag_t d = { 0 };
	yt_node_t *root = load("a: 1\nsub:\n  b: 2\n  bogus: 3\n", &d);
	const yt_node_t *sub = yt_map_get(root, "sub");

	assert_non_null(root);
	assert_int_equal(yt_check_keys(sub, allowed, &d), -1);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0], "t.yaml:4:3: unknown key 'bogus' (expected one of: a, b, c)");
	yt_diag_free(&d);

	/* all known: nothing reported */
	assert_int_equal(yt_check_keys(yt_map_get(root, "sub"), (const char *const[]){ "b", "bogus", NULL }, &d), 0);
	assert_int_equal(d.n, 0);

	/* not a map, and an empty allowed list */
	assert_int_equal(yt_check_keys(yt_map_get(root, "a"), allowed, &d), -1);
	assert_int_equal(yt_check_keys(sub, (const char *const[]){ NULL }, &d), -1);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.msgs[0], "t.yaml:1:4: expected a mapping, got '1'");
	assert_string_equal(d.msgs[1], "t.yaml:3:3: unknown key 'b' (no keys are allowed here)");
	assert_int_equal(yt_check_keys(NULL, allowed, &d), 0);
	yt_diag_free(&d);
	yt_free(root);
}

static void
test_collects_all_problems(void **state)
{
	static const char *const allowed[] = { "code", "rows", "enabled", "name", NULL };
	const char *src =
	    "rows: abc\n"
	    "colour: red\n"
	    "enabled: maybe\n"
	    "size: 3\n"
	    "nmae: x\n";
	yt_diag_t d = { 0 };
	yt_node_t *root = load(src, &d);
	long long rows = 7;
	int enabled = 1;
	const char *code = "dflt";

	assert_non_null(root);
	assert_int_equal(yt_check_keys(root, allowed, &d), -1);
	assert_int_equal(d.n, 3); /* three bad keys, three messages */
	assert_int_equal(yt_get_str(root, "code", 1, &code, &d), -1);
	assert_int_equal(yt_get_int(root, "rows", 1, 1, 100000, &rows, &d), -1);
	assert_int_equal(yt_get_bool(root, "enabled", 0, &enabled, &d), -1);
	assert_int_equal(d.n, 6);
	assert_string_equal(d.msgs[0], "t.yaml:2:1: unknown key 'colour' (expected one of: code, rows, enabled, name)");
	assert_string_equal(d.msgs[1], "t.yaml:4:1: unknown key 'size' (expected one of: code, rows, enabled, name)");
	assert_string_equal(d.msgs[2], "t.yaml:5:1: unknown key 'nmae' (expected one of: code, rows, enabled, name)");
	assert_string_equal(d.msgs[3], "t.yaml:1:1: missing required key 'code'");
	assert_string_equal(d.msgs[4], "t.yaml:1:7: rows: expected an integer from 1 to 100000, got 'abc'");
	assert_string_equal(d.msgs[5], "t.yaml:3:10: enabled: expected true or false (or yes/no, on/off), got 'maybe'");
	/* failed reads leave outputs alone */
	assert_int_equal(rows, 7);
	assert_int_equal(enabled, 1);
	assert_string_equal(code, "dflt");
	yt_diag_free(&d);
	yt_free(root);
}

static void
test_brief_example_message(void **state)
{
	const char *src =
	    "# 1\n# 2\n# 3\n# 4\n# 5\n# 6\n# 7\n# 8\n# 9\n"
	    "ingest:\n"
	    "  dir: in\n"
	    "  batch_rows: abc\n";
	yt_diag_t d = { 0 };
	yt_node_t *root = yt_load_string("config/bhxh.yaml", src, strlen(src), NULL, &d);
	const yt_node_t *ing = NULL;
	long long rows = 0;

	assert_non_null(root);
	assert_int_equal(yt_get_map(root, "ingest", 1, &ing, &d), 0);
	assert_int_equal(yt_get_int(ing, "batch_rows", 1, 1, 100000, &rows, &d), -1);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0],
	    "config/bhxh.yaml:12:15: batch_rows: expected an integer from 1 to 100000, got 'abc'");
	yt_diag_free(&d);
	yt_free(root);
}

static void
test_int_range(void **state)
{
	const char *src =
	    "ok: 500\n"
	    "low: 0\n"
	    "high: 100001\n"
	    "neg: -5\n"
	    "plus: +12\n"
	    "quoted: \"42\"\n"
	    "huge: 99999999999999999999\n"
	    "float: 1.5\n"
	    "space: ' 7'\n"
	    "hex: 0x10\n"
	    "nul: ~\n"
	    "list: [1]\n";
	yt_diag_t d = { 0 };
	yt_node_t *root = load(src, &d);
	long long v = -1;

	assert_non_null(root);
	assert_int_equal(yt_get_int(root, "ok", 1, 1, 100000, &v, &d), 0);
	assert_int_equal(v, 500);
	assert_int_equal(yt_get_int(root, "neg", 1, -10, 10, &v, &d), 0);
	assert_int_equal(v, -5);
	assert_int_equal(yt_get_int(root, "plus", 1, 0, 100, &v, &d), 0);
	assert_int_equal(v, 12);
	assert_int_equal(yt_get_int(root, "quoted", 1, 0, 100, &v, &d), 0);
	assert_int_equal(v, 42);
	assert_int_equal(d.n, 0);

	v = 99;
	assert_int_equal(yt_get_int(root, "low", 1, 1, 100000, &v, &d), -1);
	assert_int_equal(yt_get_int(root, "high", 1, 1, 100000, &v, &d), -1);
	assert_int_equal(yt_get_int(root, "huge", 1, LLONG_MIN, LLONG_MAX, &v, &d), -1);
	assert_int_equal(yt_get_int(root, "float", 1, 0, 10, &v, &d), -1);
	assert_int_equal(yt_get_int(root, "space", 1, 0, 10, &v, &d), -1);
	assert_int_equal(yt_get_int(root, "hex", 1, 0, 100, &v, &d), -1);
	assert_int_equal(yt_get_int(root, "nul", 1, 0, 100, &v, &d), -1);
	assert_int_equal(yt_get_int(root, "list", 1, 0, 100, &v, &d), -1);
	assert_int_equal(v, 99);
	assert_int_equal(d.n, 8);
	assert_string_equal(d.msgs[0], "t.yaml:2:6: low: expected an integer from 1 to 100000, got '0'");
	assert_string_equal(d.msgs[1], "t.yaml:3:7: high: expected an integer from 1 to 100000, got '100001'");
	assert_string_equal(d.msgs[2], "t.yaml:7:7: huge: expected an integer, got '99999999999999999999'");
	assert_string_equal(d.msgs[3], "t.yaml:8:8: float: expected an integer from 0 to 10, got '1.5'");
	assert_string_equal(d.msgs[6], "t.yaml:11:6: nul: a value is required");
	assert_string_equal(d.msgs[7], "t.yaml:12:7: list: expected an integer from 0 to 100, got a sequence");
	yt_diag_free(&d);

	/* optional null and absent keys leave the default */
	assert_int_equal(yt_get_int(root, "nul", 0, 0, 100, &v, &d), 0);
	assert_int_equal(yt_get_int(root, "absent", 0, 0, 100, &v, &d), 0);
	assert_int_equal(v, 99);
	assert_int_equal(d.n, 0);

	/* a sequence item */
	assert_int_equal(yt_scalar_int(yt_map_get(root, "list")->items[0], 0, 5, &v, &d, "list[0]"), 0);
	assert_int_equal(v, 1);
	assert_int_equal(yt_scalar_int(yt_map_get(root, "list")->items[0], 2, 5, &v, &d, NULL), -1);
	assert_int_equal(yt_scalar_int(NULL, 2, 5, &v, &d, "x"), -1);
	assert_string_equal(d.msgs[0], "t.yaml:12:8: expected an integer from 2 to 5, got '1'");
	assert_string_equal(d.msgs[1], "x: expected an integer from 2 to 5, got nothing");
	yt_diag_free(&d);
	yt_free(root);
}

static void
test_bool(void **state)
{
	const char *src =
	    "a: true\nb: false\nc: yes\nd: no\ne: on\nf: off\n"
	    "g: TRUE\nh: Off\ni: 'yes'\nj: 1\nk: maybe\nl:\n";
	static const struct { const char *key; int want; } ok[] = {
		{ "a", 1 }, { "b", 0 }, { "c", 1 }, { "d", 0 }, { "e", 1 }, { "f", 0 },
		{ "g", 1 }, { "h", 0 }, { "i", 1 },
	};
	yt_diag_t d = { 0 };
	yt_node_t *root = load(src, &d);
	size_t i;
	int v;

	assert_non_null(root);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = -1;
		assert_int_equal(yt_get_bool(root, ok[i].key, 1, &v, &d), 0);
		assert_int_equal(v, ok[i].want);
	}
	assert_int_equal(d.n, 0);
	v = 7;
	assert_int_equal(yt_get_bool(root, "j", 1, &v, &d), -1);
	assert_int_equal(yt_get_bool(root, "k", 0, &v, &d), -1);
	assert_int_equal(yt_get_bool(root, "l", 0, &v, &d), 0);  /* null: default kept */
	assert_int_equal(yt_get_bool(root, "l", 1, &v, &d), -1);
	assert_int_equal(v, 7);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.msgs[0], "t.yaml:10:4: j: expected true or false (or yes/no, on/off), got '1'");
	assert_string_equal(d.msgs[2], "t.yaml:12:3: l: a value is required");
	yt_diag_free(&d);
	yt_free(root);
}

static void
test_double(void **state)
{
	const char *src = "a: 0.25\nb: -1e3\nc: .5\nd: 1,5\ne: nan\nf: inf\ng: 1e999\nh: 2.5\ni: 0x1p3\n";
	yt_diag_t d = { 0 };
	yt_node_t *root = load(src, &d);
	double v = 0;

	assert_non_null(root);
	assert_int_equal(yt_get_double(root, "a", 1, 0, 1, &v, &d), 0);
	assert_true(v == 0.25);
	assert_int_equal(yt_get_double(root, "b", 1, -DBL_MAX, DBL_MAX, &v, &d), 0);
	assert_true(v == -1000.0);
	assert_int_equal(yt_get_double(root, "c", 1, 0, 1, &v, &d), 0);
	assert_true(v == 0.5);
	assert_int_equal(d.n, 0);
	v = 9;
	assert_int_equal(yt_get_double(root, "d", 1, -DBL_MAX, DBL_MAX, &v, &d), -1);
	assert_int_equal(yt_get_double(root, "e", 1, -DBL_MAX, DBL_MAX, &v, &d), -1);
	assert_int_equal(yt_get_double(root, "f", 1, -DBL_MAX, DBL_MAX, &v, &d), -1);
	assert_int_equal(yt_get_double(root, "g", 1, -DBL_MAX, DBL_MAX, &v, &d), -1);
	assert_int_equal(yt_get_double(root, "h", 1, 0, 1, &v, &d), -1);
	assert_int_equal(yt_get_double(root, "i", 1, -DBL_MAX, DBL_MAX, &v, &d), -1);
	assert_true(v == 9);
	assert_int_equal(d.n, 6);
	assert_string_equal(d.msgs[0], "t.yaml:4:4: d: expected a number, got '1,5'");
	assert_string_equal(d.msgs[4], "t.yaml:8:4: h: expected a number from 0 to 1, got '2.5'");
	yt_diag_free(&d);
	yt_free(root);
}

static void
test_double_ignores_locale(void **state)
{
	static const char *const comma[] = { "vi_VN.UTF-8", "vi_VN.utf8", "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", NULL };
	yt_diag_t d = { 0 };
	yt_node_t *root;
	double v = 0;
	size_t i;

	for (i = 0; comma[i] != NULL; i++)
		if (setlocale(LC_NUMERIC, comma[i]) != NULL)
			break;
	if (comma[i] == NULL) {
		skip(); /* no locale with a decimal comma installed */
		return;
	}
	root = load("a: 1.5\n", &d);
	assert_int_equal(yt_get_double(root, "a", 1, 0, 2, &v, &d), 0);
	setlocale(LC_NUMERIC, "C");
	assert_true(v == 1.5);
	yt_free(root);
	yt_diag_free(&d);
}

static void
test_depth_flow(void **state)
{
	char *s = deep_flow(100);
	char *ok = deep_flow(32);
	yt_diag_t d = { 0 };
	yt_node_t *root;

	expect_fail(s, "t.yaml:1:33: nesting deeper than 32 levels");
	root = load(ok, &d); /* exactly at the limit is fine */
	assert_non_null(root);
	assert_int_equal(root->kind, YT_SEQ);
	assert_int_equal(root->n, 1);
	yt_free(root);
	free(s);
	free(ok);

	/* stops early: the parse error after the deep part is never reached */
	s = malloc(100 * 1000 + 16);
	assert_non_null(s);
	memset(s, '[', 100 * 1000);
	strcpy(s + 100 * 1000, "}}} : :");
	expect_fail(s, "t.yaml:1:33: nesting deeper than 32 levels");
	free(s);
}

static void
test_depth_block(void **state)
{
	char *s = deep_block(100);
	char *ok = deep_block(32);
	yt_diag_t d = { 0 };
	yt_node_t *root;
	yt_limits_t lim = YT_DEFAULT_LIMITS;

	expect_fail(s, "t.yaml:33:65: nesting deeper than 32 levels");
	root = load(ok, &d);
	assert_non_null(root);
	assert_int_equal(d.n, 0);
	yt_free(root);

	lim.max_depth = 2;
	assert_null(load_lim("a:\n  b:\n    c: 1\n", &lim, &d));
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0], "t.yaml:3:5: nesting deeper than 2 levels");
	yt_diag_free(&d);
	free(s);
	free(ok);
}

static void
test_node_limit(void **state)
{
	yt_limits_t lim = YT_DEFAULT_LIMITS;
	char buf[256];
	size_t o = 0;
	yt_diag_t d = { 0 };
	yt_node_t *root;
	int i;

	for (i = 1; i <= 20; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "- %d\n", i);
	lim.max_nodes = 10;
	assert_null(load_lim(buf, &lim, &d));
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0], "t.yaml:10:3: too many nodes (limit 10)");
	yt_diag_free(&d);

	lim.max_nodes = 21; /* the sequence and its 20 items */
	root = load_lim(buf, &lim, &d);
	assert_non_null(root);
	assert_int_equal(root->n, 20);
	yt_free(root);
}

static void
test_aliases_refused(void **state)
{
	const char *laughs =
	    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n";
	yt_diag_t d = { 0 };
	yt_node_t *root;

	expect_fail("a: &x 1\nb: *x\n", "t.yaml:2:4: aliases are not allowed");
	expect_fail("a: &k x\n*k : 1\n", "t.yaml:2:1: aliases are not allowed");
	expect_fail(laughs, "t.yaml:2:8: aliases are not allowed");

	/* anchors alone are ignored; a merge key is just a key */
	root = load("a: &x 1\n<<: {b: 2}\n", &d);
	assert_non_null(root);
	assert_string_equal(yt_map_get(root, "a")->scalar, "1");
	assert_int_equal(yt_check_keys(root, (const char *const[]){ "a", NULL }, &d), -1);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0], "t.yaml:2:1: unknown key '<<' (expected one of: a)");
	yt_diag_free(&d);
	yt_free(root);
}

static void
test_duplicate_keys(void **state)
{
	yt_diag_t d = { 0 };

	yt_node_t *root;

	/* reported, dropped (the first stays), and the load goes on so that a
	 * reader can report every other problem of the file too */
	expect_dup("a: 1\nb: 2\na: 3\n", "t.yaml:3:1: duplicate key 'a' (first at 1:1)");
	expect_dup("x:\n  k: 1\n  'k': 2\n", "t.yaml:3:3: duplicate key 'k' (first at 2:3)");
	expect_dup("{a: 1, b: 2, a: 3}", "t.yaml:1:14: duplicate key 'a' (first at 1:2)");

	/* every duplicate, in document order, in every mapping */
	root = load("a: 1\nb: 2\na: 3\nb: 4\na: 5\nm: {z: 1, z: 2}\n", &d);
	assert_non_null(root);
	assert_int_equal(root->n, 3);
	assert_string_equal(yt_map_get(root, "a")->scalar, "1");
	assert_string_equal(yt_map_get(root, "b")->scalar, "2");
	assert_int_equal(yt_map_get(root, "m")->n, 1);
	assert_string_equal(yt_map_get(yt_map_get(root, "m"), "z")->scalar, "1");
	yt_free(root);
	assert_int_equal(d.n, 4);
	assert_string_equal(d.msgs[0], "t.yaml:6:11: duplicate key 'z' (first at 6:5)");
	assert_string_equal(d.msgs[1], "t.yaml:3:1: duplicate key 'a' (first at 1:1)");
	assert_string_equal(d.msgs[2], "t.yaml:4:1: duplicate key 'b' (first at 2:1)");
	assert_string_equal(d.msgs[3], "t.yaml:5:1: duplicate key 'a' (first at 1:1)");
	yt_diag_free(&d);
}

static void
test_nonscalar_keys(void **state)
{
	yt_diag_t d = { 0 };

	expect_fail("? [a]\n: 1\n", "t.yaml:1:3: mapping keys must be scalars");
	assert_null(load("{x: 1}: 2\n? {y: 1}\n: 3\n", &d));
	assert_int_equal(d.n, 2);
	assert_string_equal(d.msgs[0], "t.yaml:1:1: mapping keys must be scalars");
	assert_string_equal(d.msgs[1], "t.yaml:2:3: mapping keys must be scalars");
	yt_diag_free(&d);
}

static void
test_size_limit(void **state)
{
	yt_limits_t lim = YT_DEFAULT_LIMITS;
	char buf[101];
	yt_diag_t d = { 0 };
	yt_node_t *root;

	memset(buf, '[', 100); /* would be a parse error if it were parsed */
	buf[100] = '\0';
	lim.max_bytes = 50;
	assert_null(load_lim(buf, &lim, &d));
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0], "t.yaml: file too large: 100 bytes, limit 50");
	yt_diag_free(&d);

	lim.max_bytes = 4; /* exactly at the limit is fine */
	root = load_lim("a: 1", &lim, &d);
	assert_non_null(root);
	yt_free(root);
}

static void
test_load_file(void **state)
{
	char path[] = "/tmp/test_yamltree_XXXXXX";
	char want[128];
	yt_limits_t lim = YT_DEFAULT_LIMITS;
	yt_diag_t d = { 0 };
	yt_node_t *root;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("name: Bắc Kạn\nrows: x\n", f);
	fclose(f);

	root = yt_load_file(path, NULL, &d);
	assert_non_null(root);
	assert_string_equal(root->file, path);
	assert_string_equal(yt_map_get(root, "name")->scalar, "Bắc Kạn");
	assert_int_equal(yt_get_int(root, "rows", 1, 0, 9, &(long long){ 0 }, &d), -1);
	snprintf(want, sizeof(want), "%s:2:7: rows: expected an integer from 0 to 9, got 'x'", path);
	assert_string_equal(d.msgs[0], want);
	yt_diag_free(&d);
	yt_free(root);

	lim.max_bytes = 10; /* refused from its size, before reading */
	assert_null(yt_load_file(path, &lim, &d));
	snprintf(want, sizeof(want), "%s: file too large: 26 bytes, limit 10", path);
	assert_string_equal(d.msgs[0], want);
	yt_diag_free(&d);
	unlink(path);

	assert_null(yt_load_file(path, NULL, &d));
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	assert_string_equal(d.msgs[0], want);
	yt_diag_free(&d);

	assert_null(yt_load_file("/tmp", NULL, &d));
	assert_string_equal(d.msgs[0], "/tmp: not a regular file");
	yt_diag_free(&d);
}

static void
test_parse_error_mark(void **state)
{
	expect_fail("a: [1, 2\nb: 3\n",
	    "t.yaml:2:2: did not find expected ',' or ']' (while parsing a flow sequence at 1:4)");
	expect_fail("a: 1\n b: 2\n", "t.yaml:2:3: mapping values are not allowed in this context");
	expect_fail("a: \"x\n", "t.yaml:2:1: found unexpected end of stream (while scanning a quoted scalar at 1:4)");
	/* reader errors: the mark is computed from libyaml's byte offset */
	expect_fail("a: 1\nbb: \xff\n", "t.yaml:2:5: invalid leading UTF-8 octet (0xFF)");
	expect_fail("a: \x01\n", "t.yaml:1:4: control characters are not allowed (0x01)");
	expect_fail("\xef\xbb\xbf" "a: \xff\n", "t.yaml:1:4: invalid leading UTF-8 octet (0xFF)");
	expect_fail("\xff\xfe" "a\0:\0", "t.yaml:1:1: invalid leading UTF-8 octet (0xFF)"); /* UTF-16 refused */
}

static void
test_documents(void **state)
{
	yt_diag_t d = { 0 };
	yt_node_t *root;

	expect_fail("a: 1\n---\nb: 2\n", "t.yaml:2:1: only one document is allowed");
	expect_fail("", "t.yaml: empty configuration");
	expect_fail("# only a comment\n\n", "t.yaml: empty configuration");
	expect_fail("---\n...\n", "t.yaml: empty configuration");
	expect_fail("~\n", "t.yaml: empty configuration");
	assert_null(yt_load_string(NULL, "", 0, NULL, &d));
	assert_string_equal(d.msgs[0], "<string>: empty configuration");
	yt_diag_free(&d);

	/* explicit markers, a BOM and a scalar root are fine */
	root = load("\xef\xbb\xbf---\na: 1\n...\n", &d);
	assert_non_null(root);
	yt_free(root);
	root = load("hello\n", &d);
	assert_non_null(root);
	assert_int_equal(root->kind, YT_SCALAR);
	assert_int_equal(yt_check_keys(root, (const char *const[]){ "a", NULL }, &d), -1);
	assert_string_equal(d.msgs[0], "t.yaml:1:1: expected a mapping, got 'hello'");
	yt_diag_free(&d);
	yt_free(root);
}

static void
test_nul_and_controls(void **state)
{
	yt_diag_t d = { 0 };
	yt_node_t *root;
	char want[128];

	expect_fail("a: \"x\\0y\"\n", "t.yaml:1:4: scalars may not contain NUL characters");

	/* escapes can make control characters: never echoed raw */
	root = load("\"\\e[31mred\\u009b\": 1\nlong: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
	    "vn: ááááááááááááááááááááááááááááááá\n", &d);
	assert_non_null(root);
	assert_int_equal(yt_check_keys(root, (const char *const[]){ "long", "vn", NULL }, &d), -1);
	assert_string_equal(d.msgs[0], "t.yaml:1:1: unknown key '?[31mred?' (expected one of: long, vn)");
	assert_int_equal(yt_get_int(root, "long", 1, 0, 1, &(long long){ 0 }, &d), -1);
	assert_string_equal(d.msgs[1],
	    "t.yaml:2:7: long: expected an integer from 0 to 1, got 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'");
	/* cut on a character boundary: 20 two-byte letters fit in 40 bytes */
	assert_int_equal(yt_get_bool(root, "vn", 1, &(int){ 0 }, &d), -1);
	snprintf(want, sizeof(want), "t.yaml:3:5: vn: expected true or false (or yes/no, on/off), got '%s...'",
	    "áááááááááááááááááááá");
	assert_string_equal(d.msgs[2], want);
	yt_diag_free(&d);
	yt_free(root);
}

static void
test_utf8_vietnamese(void **state)
{
	const char *src =
	    "tên: \"Bảo hiểm xã hội Việt Nam\"\n"
	    "tỉnh: Bắc Kạn\n"
	    "huyện: [Chợ Đồn, 'Na Rì']\n"
	    "ghi_chú: |\n"
	    "  Người lao động\n"
	    "  đóng BHXH\n";
	yt_diag_t d = { 0 };
	yt_node_t *root = load(src, &d);
	const yt_node_t *h;
	const char *s = NULL;

	assert_non_null(root);
	assert_int_equal(yt_get_str(root, "tên", 1, &s, &d), 0);
	assert_string_equal(s, "Bảo hiểm xã hội Việt Nam");
	assert_int_equal(yt_get_str(root, "tỉnh", 1, &s, &d), 0);
	assert_string_equal(s, "Bắc Kạn");
	assert_int_equal(yt_map_get(root, "tỉnh")->col, 7); /* columns count characters */
	assert_int_equal(yt_get_seq(root, "huyện", 1, &h, &d), 0);
	assert_string_equal(h->items[0]->scalar, "Chợ Đồn");
	assert_string_equal(h->items[1]->scalar, "Na Rì");
	assert_int_equal(h->items[1]->col, 18);
	assert_int_equal(yt_get_str(root, "ghi_chú", 1, &s, &d), 0);
	assert_string_equal(s, "Người lao động\nđóng BHXH\n");
	assert_int_equal(yt_check_keys(root, (const char *const[]){ "tên", "tỉnh", "huyện", NULL }, &d), -1);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0], "t.yaml:4:1: unknown key 'ghi_chú' (expected one of: tên, tỉnh, huyện)");
	yt_diag_free(&d);
	yt_free(root);
}

static void
test_null_vs_quoted(void **state)
{
	const char *src = "a: null\nb: \"null\"\nc: ~\nd:\ne: ''\nf: NULL\ng: 'null'\nh: nil\n";
	yt_diag_t d = { 0 };
	yt_node_t *root = load(src, &d);
	const char *s = "dflt";

	assert_non_null(root);
	assert_true(yt_is_null(yt_map_get(root, "a")));
	assert_false(yt_is_null(yt_map_get(root, "b")));
	assert_true(yt_is_null(yt_map_get(root, "c")));
	assert_true(yt_is_null(yt_map_get(root, "d")));
	assert_false(yt_is_null(yt_map_get(root, "e")));
	assert_true(yt_is_null(yt_map_get(root, "f")));
	assert_false(yt_is_null(yt_map_get(root, "g")));
	assert_false(yt_is_null(yt_map_get(root, "h")));
	assert_true(yt_is_null(NULL));
	assert_false(yt_is_null(root));

	assert_int_equal(yt_get_str(root, "a", 0, &s, &d), 0);
	assert_string_equal(s, "dflt"); /* plain null: absent */
	assert_int_equal(yt_get_str(root, "b", 1, &s, &d), 0);
	assert_string_equal(s, "null");
	assert_int_equal(yt_get_str(root, "e", 1, &s, &d), 0);
	assert_string_equal(s, "");
	assert_int_equal(yt_get_str(root, "d", 1, &s, &d), -1);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0], "t.yaml:4:3: d: a value is required");
	yt_diag_free(&d);
	yt_free(root);
}

static void
test_tags_ignored(void **state)
{
	yt_diag_t d = { 0 };
	yt_node_t *root = load("a: !!str 5\nb: !custom x\nc: !!int \"7\"\nd: !!map {k: v}\n", &d);
	long long v = 0;

	assert_non_null(root);
	assert_string_equal(yt_map_get(root, "a")->scalar, "5");
	assert_string_equal(yt_map_get(root, "b")->scalar, "x");
	assert_int_equal(yt_get_int(root, "c", 1, 0, 10, &v, &d), 0);
	assert_int_equal(v, 7);
	assert_int_equal(yt_map_get(root, "d")->kind, YT_MAP);
	yt_free(root);
}

static void
test_getters_kinds(void **state)
{
	const char *src = "code: '058'\nlist: [a, b]\nsect: {x: 1}\nscal: s\n";
	yt_diag_t d = { 0 };
	yt_node_t *root = load(src, &d);
	const yt_node_t *seq = NULL, *map = NULL, *absent = NULL;
	const char *s = NULL;

	assert_non_null(root);
	assert_int_equal(yt_get_str(root, "code", 1, &s, &d), 0);
	assert_string_equal(s, "058");
	assert_int_equal(yt_get_seq(root, "list", 1, &seq, &d), 0);
	assert_int_equal(seq->n, 2);
	assert_int_equal(yt_get_map(root, "sect", 1, &map, &d), 0);
	assert_int_equal(yt_scalar_str(seq->items[1], &s, &d, "list[1]"), 0);
	assert_string_equal(s, "b");
	assert_int_equal(yt_get_map(root, "nope", 0, &absent, &d), 0);
	assert_null(absent);
	assert_int_equal(d.n, 0);

	/* a NULL section (absent, optional) reads as nothing, silently */
	assert_int_equal(yt_get_str(absent, "code", 1, &s, &d), 0);
	assert_int_equal(yt_check_keys(absent, (const char *const[]){ NULL }, &d), 0);
	assert_int_equal(d.n, 0);

	assert_int_equal(yt_get_seq(root, "scal", 1, &seq, &d), -1);
	assert_int_equal(yt_get_map(root, "list", 1, &map, &d), -1);
	assert_int_equal(yt_get_str(root, "sect", 1, &s, &d), -1);
	assert_int_equal(yt_get_seq(root, "nope", 1, &seq, &d), -1);
	assert_int_equal(yt_get_str(seq, "x", 1, &s, &d), -1);
	assert_int_equal(d.n, 5);
	assert_string_equal(d.msgs[0], "t.yaml:4:7: scal: expected a sequence, got 's'");
	assert_string_equal(d.msgs[1], "t.yaml:2:7: list: expected a mapping, got a sequence");
	assert_string_equal(d.msgs[2], "t.yaml:3:7: sect: expected a string, got a mapping");
	assert_string_equal(d.msgs[3], "t.yaml:1:1: missing required key 'nope'");
	assert_string_equal(d.msgs[4], "t.yaml:2:7: expected a mapping with key 'x', got a sequence");
	yt_diag_free(&d);
	yt_free(root);
}

struct cfg {
	const char *name;
	int rows;
	long long max_bytes;
	double ratio;
	int strict;
	const yt_node_t *dirs;
	const yt_node_t *extra;
};

static void
test_read_fields(void **state)
{
	static const yt_field_t fields[] = {
		{ .key = "name", .type = YT_T_STR, .required = 1, .offset = offsetof(struct cfg, name) },
		{ .key = "rows", .type = YT_T_INT, .offset = offsetof(struct cfg, rows), .imin = 1, .imax = 100000 },
		{ .key = "max_bytes", .type = YT_T_LLONG, .offset = offsetof(struct cfg, max_bytes) },
		{ .key = "ratio", .type = YT_T_DOUBLE, .offset = offsetof(struct cfg, ratio), .dmin = 0, .dmax = 1 },
		{ .key = "strict", .type = YT_T_BOOL, .offset = offsetof(struct cfg, strict) },
		{ .key = "dirs", .type = YT_T_SEQ, .offset = offsetof(struct cfg, dirs) },
		{ .key = "extra", .type = YT_T_MAP, .offset = offsetof(struct cfg, extra) },
		{ .key = NULL },
	};
	struct cfg c = { "x", 500, 10, 0.5, 0, NULL, NULL };
	yt_diag_t d = { 0 };
	yt_node_t *root;

	root = load("name: ingest\nrows: 42\nmax_bytes: 5000000000\nstrict: yes\ndirs: [a]\n", &d);
	assert_non_null(root);
	assert_int_equal(yt_read_fields(root, fields, &c, &d), 0);
	assert_int_equal(d.n, 0);
	assert_string_equal(c.name, "ingest");
	assert_int_equal(c.rows, 42);
	assert_true(c.max_bytes == 5000000000LL);
	assert_true(c.ratio == 0.5); /* absent: default kept */
	assert_int_equal(c.strict, 1);
	assert_int_equal(c.dirs->n, 1);
	assert_null(c.extra);
	yt_free(root);

	/* every problem at once, good fields still read */
	root = load("rows: 0\nratio: 2\nstrict: on\nextra: []\nbogus: 1\n", &d);
	assert_non_null(root);
	assert_int_equal(yt_read_fields(root, fields, &c, &d), -1);
	assert_int_equal(d.n, 5);
	assert_string_equal(d.msgs[0],
	    "t.yaml:5:1: unknown key 'bogus' (expected one of: name, rows, max_bytes, ratio, strict, dirs, extra)");
	assert_string_equal(d.msgs[1], "t.yaml:1:1: missing required key 'name'");
	assert_string_equal(d.msgs[2], "t.yaml:1:7: rows: expected an integer from 1 to 100000, got '0'");
	assert_string_equal(d.msgs[3], "t.yaml:2:8: ratio: expected a number from 0 to 1, got '2'");
	assert_string_equal(d.msgs[4], "t.yaml:4:8: extra: expected a mapping, got a sequence");
	assert_int_equal(c.rows, 42);
	assert_int_equal(c.strict, 1);
	yt_diag_free(&d);
	yt_free(root);

	/* an int field outside int's range is refused */
	root = load("name: n\nrows: 3000000000\n", &d);
	assert_int_equal(yt_read_fields(root, (const yt_field_t[]){
	    { .key = "name", .type = YT_T_STR, .offset = offsetof(struct cfg, name) },
	    { .key = "rows", .type = YT_T_INT, .offset = offsetof(struct cfg, rows) },
	    { .key = NULL } }, &c, &d), -1);
	assert_string_equal(d.msgs[0], "t.yaml:2:7: rows: expected an integer from -2147483648 to 2147483647, got '3000000000'");
	yt_diag_free(&d);
	yt_free(root);
	assert_int_equal(yt_read_fields(NULL, fields, &c, &d), 0);
}

static void
test_diag_format(void **state)
{
	yt_diag_t d = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	yt_diag_addf(&d, "f.yaml", 3, 4, "x=%d", 1);
	yt_diag_addf(&d, "f.yaml", 0, 0, "no mark");
	yt_diag_addf(&d, NULL, 5, 6, "no file");
	yt_diag_addf(&d, NULL, 0, 0, "bare %s", "text");
	yt_diag_add(&d, NULL, "no node");
	yt_diag_add(NULL, NULL, "dropped");
	assert_int_equal(d.n, 5);
	assert_string_equal(d.msgs[0], "f.yaml:3:4: x=1");
	assert_string_equal(d.msgs[1], "f.yaml: no mark");
	assert_string_equal(d.msgs[2], "5:6: no file");
	assert_string_equal(d.msgs[3], "bare text");
	assert_string_equal(d.msgs[4], "no node");

	f = open_memstream(&text, &len);
	assert_non_null(f);
	yt_diag_print(&d, f);
	fclose(f);
	assert_string_equal(text, "f.yaml:3:4: x=1\nf.yaml: no mark\n5:6: no file\nbare text\nno node\n");
	free(text);

	yt_diag_free(&d);
	assert_int_equal(d.n, 0);
	assert_null(d.msgs);
	yt_diag_addf(&d, "g", 1, 1, "again"); /* reusable after free */
	assert_int_equal(d.n, 1);
	yt_diag_free(&d);
	yt_diag_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_marks),
		cmocka_unit_test(test_unknown_key_mark),
		cmocka_unit_test(test_collects_all_problems),
		cmocka_unit_test(test_brief_example_message),
		cmocka_unit_test(test_int_range),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_double),
		cmocka_unit_test(test_double_ignores_locale),
		cmocka_unit_test(test_depth_flow),
		cmocka_unit_test(test_depth_block),
		cmocka_unit_test(test_node_limit),
		cmocka_unit_test(test_aliases_refused),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_nonscalar_keys),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_parse_error_mark),
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_nul_and_controls),
		cmocka_unit_test(test_utf8_vietnamese),
		cmocka_unit_test(test_null_vs_quoted),
		cmocka_unit_test(test_tags_ignored),
		cmocka_unit_test(test_getters_kinds),
		cmocka_unit_test(test_read_fields),
		cmocka_unit_test(test_diag_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
