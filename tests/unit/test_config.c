/* test_config - tests of config_load (common/config.c): the shipped
 * configuration loads with the expected tables, and every kind of mistake in
 * a schema or main file is reported with file:line:column, all of them at
 * once.
 *
 * Each test writes its files into a fresh mkdtemp directory: a small main
 * configuration (two org units under a root, one agency) that names
 * schemas.yaml next to it, and a schema variant with one mistake. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "shipped.h"

#include "bus.h"
#include "cfgdesc.h"
#include "config.h"

/* A main configuration whose schema is schemas.yaml beside it. */
static const char s_main_ok[] =
	"org_units:\n"
	"  code: \"06\"\n"
	"  name: Tỉnh Bắc Kạn\n"
	"  children:\n"
	"    - { code: \"058\", name: Thành phố Bắc Kạn }\n"
	"    - { code: \"060\", name: Huyện Pác Nặm }\n"
	"agencies:\n"
	"  - { id: bhxh, types: [participant] }\n"
	"schemas: schemas.yaml\n";

/* A schema that loads: one record type. Line numbers matter to the tests
 * below, which replace single lines of it. */
static const char s_schema_ok[] =
	"record_types:\n"                          /* 1 */
	"  - name: participant\n"                  /* 2 */
	"    apply: snapshot\n"                    /* 3 */
	"    key: [insurance_no]\n"                /* 4 */
	"    fields:\n"                            /* 5 */
	"      - name: insurance_no\n"             /* 6 */
	"        type: insurance_no\n";            /* 7 */

typedef struct {
	char dir[64];
	char main_path[128];
	char schema_path[128];
	yt_diag_t d;
	config_t *c;
} fixture_t;

/* s_write - write text into path. */
static void
s_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* s_setup - a fresh temporary directory per test. */
static int
s_setup(void **state)
{
	fixture_t *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_config.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->main_path, sizeof(fx->main_path), "%s/bhxh.yaml", fx->dir);
	snprintf(fx->schema_path, sizeof(fx->schema_path), "%s/schemas.yaml", fx->dir);
	*state = fx;
	return 0;
}

/* s_teardown - remove the files and the directory. */
static int
s_teardown(void **state)
{
	fixture_t *fx = *state;

	config_free(&fx->c);
	yt_diag_free(&fx->d);
	unlink(fx->main_path);
	unlink(fx->schema_path);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* s_load - write both files and load; returns the number of problems. */
static size_t
s_load(fixture_t *fx, const char *main_text, const char *schema_text)
{
	s_write(fx->main_path, main_text);
	s_write(fx->schema_path, schema_text);
	fx->c = config_load(fx->main_path, &fx->d);
	if (fx->d.n > 0)
		assert_null(fx->c);
	return fx->d.n;
}

/* s_has - some message starts with "path:line:col: " followed by text
 * (text is a prefix of the rest of the message). Prints all on failure. */
static void
s_has(const fixture_t *fx, const char *path, int line, int col, const char *text)
{
	char want[1024];

	snprintf(want, sizeof(want), "%s:%d:%d: %s", path, line, col, text);
	for (size_t i = 0; i < fx->d.n; i++)
		if (strncmp(fx->d.msgs[i], want, strlen(want)) == 0)
			return;
	fprintf(stderr, "wanted: %s\ngot %zu messages:\n", want, fx->d.n);
	for (size_t i = 0; i < fx->d.n; i++)
		fprintf(stderr, "  %s\n", fx->d.msgs[i]);
	fail();
}

/* the shipped configuration: Bắc Kạn 2017, its agencies and record types */
static void
test_shipped(void **state)
{
	char path[PATH_MAX + 32];
	yt_diag_t d = { 0 };
	config_t *c;
	const cfg_rtype_t *p;
	const cfg_agency_t *a;
	(void)state;

	shipped_path(path, sizeof(path), "bhxh.yaml");
	c = config_load(path, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.msgs[i]);
	assert_int_equal(d.n, 0);
	assert_non_null(c);
	assert_int_equal(c->nunits, 9);
	assert_int_equal(c->nagencies, 12);
	assert_int_equal(c->nrtypes, 7);
	assert_string_equal(c->units[0].code, "06");
	assert_int_equal(c->units[0].nchildren, 8);
	assert_int_equal(c->units[config_unit_index(c, "066")].parent, 0);
	a = config_agency(c, "ubnd_058");
	assert_non_null(a);
	assert_string_equal(a->scope, "058");
	assert_true(config_agency_allows(a, "target"));
	assert_false(config_agency_allows(a, "participant"));
	p = config_rtype(c, "participant");
	assert_non_null(p);
	assert_int_equal(p->apply, APPLY_SNAPSHOT);
	assert_int_equal(p->nkey, 3);
	assert_int_equal(p->nrules, 4);
	assert_int_equal(config_rtype(c, "enterprise")->apply, APPLY_UPSERT);
	assert_ptr_equal(config_rtype_for_file(c, "labour_force-2017.csv"), config_rtype(c, "labor_force"));
	assert_int_equal(c->validate.instances, 1);
	config_free(&c);
	assert_null(c);
	yt_diag_free(&d);
}

/* the minimal files above load */
static void
test_minimal_ok(void **state)
{
	fixture_t *fx = *state;

	assert_int_equal(s_load(fx, s_main_ok, s_schema_ok), 0);
	assert_non_null(fx->c);
	assert_int_equal(fx->c->nunits, 3);
	assert_int_equal(fx->c->nrtypes, 1);
}

/* an empty prefixes list means the name, as no list does; its array was
 * once overwritten and leaked (found by fuzz_yaml; make asan sees a leak) */
static void
test_schema_empty_prefixes(void **state)
{
	fixture_t *fx = *state;
	const char *s =
		"record_types:\n"
		"  - name: participant\n"
		"    prefixes: []\n"
		"    apply: snapshot\n"
		"    key: [insurance_no]\n"
		"    fields:\n"
		"      - name: insurance_no\n"
		"        type: insurance_no\n";

	assert_int_equal(s_load(fx, s_main_ok, s), 0);
	assert_int_equal(fx->c->rtypes[0].nprefixes, 1);
	assert_string_equal(fx->c->rtypes[0].prefixes[0], "participant");
	assert_null(fx->c->rtypes[0].prefixes[1]);
}

static void
test_schema_unknown_type(void **state)
{
	fixture_t *fx = *state;
	const char *s =
		"record_types:\n"
		"  - name: participant\n"
		"    apply: snapshot\n"
		"    key: [insurance_no]\n"
		"    fields:\n"
		"      - name: insurance_no\n"
		"        type: ssn\n";

	assert_int_equal(s_load(fx, s_main_ok, s), 1);
	s_has(fx, fx->schema_path, 7, 15, "field 'insurance_no': type: expected string, tax_code");
}

static void
test_schema_unknown_rule(void **state)
{
	fixture_t *fx = *state;
	const char *s =
		"record_types:\n"
		"  - name: participant\n"
		"    apply: snapshot\n"
		"    key: [insurance_no]\n"
		"    rules: [voluntary_no_bhtn_x]\n"
		"    fields:\n"
		"      - { name: insurance_no, type: insurance_no }\n";

	assert_int_equal(s_load(fx, s_main_ok, s), 1);
	s_has(fx, fx->schema_path, 5, 13, "record type 'participant': unknown rule 'voluntary_no_bhtn_x'");
}

/* a known rule on a record type without the fields it reads */
static void
test_schema_rule_missing_field(void **state)
{
	fixture_t *fx = *state;
	const char *s =
		"record_types:\n"
		"  - name: participant\n"
		"    apply: snapshot\n"
		"    key: [insurance_no]\n"
		"    rules: [voluntary_no_bhtn, bhtn_le_insured]\n"
		"    fields:\n"
		"      - { name: insurance_no, type: insurance_no }\n"
		"      - { name: unemployment, type: bool }\n";

	assert_int_equal(s_load(fx, s_main_ok, s), 3);
	s_has(fx, fx->schema_path, 5, 13, "record type 'participant': rule 'voluntary_no_bhtn' needs a field 'scheme'");
	s_has(fx, fx->schema_path, 5, 32, "record type 'participant': rule 'bhtn_le_insured' needs a field 'bhtn_count'");
	s_has(fx, fx->schema_path, 5, 32,
	    "record type 'participant': rule 'bhtn_le_insured' needs a field 'insured_count'");
}

static void
test_schema_unknown_key(void **state)
{
	fixture_t *fx = *state;
	const char *s =
		"record_types:\n"
		"  - name: participant\n"
		"    apply: snapshot\n"
		"    key: [insurance_no]\n"
		"    fields:\n"
		"      - name: insurance_no\n"
		"        type: insurance_no\n"
		"        requird: false\n";

	assert_int_equal(s_load(fx, s_main_ok, s), 1);
	s_has(fx, fx->schema_path, 8, 9, "unknown key 'requird' (expected one of: ");
}

static void
test_schema_key_not_a_field(void **state)
{
	fixture_t *fx = *state;
	const char *s =
		"record_types:\n"
		"  - name: participant\n"
		"    apply: snapshot\n"
		"    key: [insurance_no, period]\n"
		"    fields:\n"
		"      - name: insurance_no\n"
		"        type: insurance_no\n";

	assert_int_equal(s_load(fx, s_main_ok, s), 1);
	s_has(fx, fx->schema_path, 4, 25, "record type 'participant': key field 'period' is not a field");
}

static void
test_schema_bad_apply(void **state)
{
	fixture_t *fx = *state;
	const char *s =
		"record_types:\n"
		"  - name: participant\n"
		"    apply: replace\n"
		"    key: [insurance_no]\n"
		"    fields:\n"
		"      - name: insurance_no\n"
		"        type: insurance_no\n";

	assert_int_equal(s_load(fx, s_main_ok, s), 1);
	s_has(fx, fx->schema_path, 3, 12, "record type 'participant': apply: expected upsert or snapshot, got");
}

/* an enum without values, a duplicate field, a non-numeric min */
static void
test_schema_field_mistakes(void **state)
{
	fixture_t *fx = *state;
	const char *s =
		"record_types:\n"
		"  - name: participant\n"
		"    apply: snapshot\n"
		"    key: [insurance_no]\n"
		"    fields:\n"
		"      - { name: insurance_no, type: insurance_no }\n"
		"      - { name: scheme, type: enum }\n"
		"      - { name: scheme, type: string }\n"
		"      - { name: n, type: int, min: zero, max: 10 }\n";

	assert_int_equal(s_load(fx, s_main_ok, s), 3);
	s_has(fx, fx->schema_path, 7, 9, "field 'scheme': an enum needs 'values'");
	s_has(fx, fx->schema_path, 8, 9, "record type 'participant': field 'scheme' appears twice");
	s_has(fx, fx->schema_path, 9, 36, "min: expected a number from -9e+18 to 9e+18, got 'zero'");
}

/* names that become SQL identifiers are checked, and every int has a max:
 * a record type named to drop a table never reaches the database */
static void
test_schema_identifiers_and_ranges(void **state)
{
	fixture_t *fx = *state;
	const char *s =
		"record_types:\n"
		"  - name: \"x; DROP TABLE participant\"\n"
		"    apply: upsert\n"
		"    key: [code]\n"
		"    fields:\n"
		"      - { name: code, type: code }\n"
		"      - { name: Count, type: int, min: 0, max: 5 }\n"
		"      - { name: n, type: int, min: 0 }\n"
		"      - { name: m, type: int, min: 9, max: 1 }\n";

	/* four here, and the agency's type 'participant' is now undefined */
	assert_int_equal(s_load(fx, s_main_ok, s), 5);
	s_has(fx, fx->schema_path, 2, 11, "record type 'x; DROP TABLE participant': a name is [a-z_][a-z0-9_]*");
	s_has(fx, fx->schema_path, 7, 17, "field 'Count': a name is [a-z_][a-z0-9_]*");
	s_has(fx, fx->schema_path, 8, 9, "field 'n': an int field needs a max");
	s_has(fx, fx->schema_path, 9, 9, "field 'm': min is above max");
	assert_true(config_identifier_ok("participant"));
	assert_true(config_identifier_ok("_x9"));
	assert_false(config_identifier_ok("9x"));
	assert_false(config_identifier_ok(""));
	assert_false(config_identifier_ok("a\"b"));
	assert_false(config_identifier_ok("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl"));
}

/* five different mistakes in one schema: all five are reported */
static void
test_schema_all_problems_reported(void **state)
{
	fixture_t *fx = *state;
	const char *s =
		"record_types:\n"                                    /* 1 */
		"  - name: participant\n"                            /* 2 */
		"    apply: sometimes\n"                             /* 3 bad apply */
		"    key: [insurance_no, unit]\n"                    /* 4 bad key */
		"    rules: [no_such_rule]\n"                        /* 5 bad rule */
		"    fields:\n"                                      /* 6 */
		"      - { name: insurance_no, type: insurance_no }\n" /* 7 */
		"      - { name: org_unit, type: district }\n"       /* 8 bad type */
		"  - name: target\n"                                 /* 9 */
		"    apply: upsert\n"                                /* 10 */
		"    key: [org_unit]\n"                              /* 11 */
		"    colour: blue\n"                                 /* 12 unknown key */
		"    fields:\n"                                      /* 13 */
		"      - { name: org_unit, type: org_unit }\n";      /* 14 */

	assert_int_equal(s_load(fx, s_main_ok, s), 5);
	s_has(fx, fx->schema_path, 3, 12, "record type 'participant': apply: expected upsert or snapshot, got");
	s_has(fx, fx->schema_path, 4, 25, "record type 'participant': key field 'unit' is not a field");
	s_has(fx, fx->schema_path, 5, 13, "record type 'participant': unknown rule 'no_such_rule'");
	s_has(fx, fx->schema_path, 8, 33, "field 'org_unit': type: expected string, tax_code");
	s_has(fx, fx->schema_path, 12, 5, "unknown key 'colour'");
}

static void
test_main_unknown_key(void **state)
{
	fixture_t *fx = *state;
	char text[2048];

	snprintf(text, sizeof(text), "%sschema: schemas.yaml\n", s_main_ok);
	assert_int_equal(s_load(fx, text, s_schema_ok), 1);
	s_has(fx, fx->main_path, 10, 1, "unknown key 'schema' (expected one of: ");
}

static void
test_main_bad_batch_rows(void **state)
{
	fixture_t *fx = *state;
	char text[2048];

	snprintf(text, sizeof(text), "%singest:\n  batch_rows: 0\nvalidate:\n  instances: many\n", s_main_ok);
	assert_int_equal(s_load(fx, text, s_schema_ok), 2);
	s_has(fx, fx->main_path, 11, 15, "batch_rows: expected an integer from 1 to 100000, got '0'");
	s_has(fx, fx->main_path, 13, 14, "instances: expected an integer from 1 to 64, got 'many'");
}

static void
test_main_scope_not_a_unit(void **state)
{
	fixture_t *fx = *state;
	const char *text =
		"org_units:\n"
		"  code: \"06\"\n"
		"  name: Tỉnh Bắc Kạn\n"
		"  children:\n"
		"    - { code: \"058\", name: Thành phố Bắc Kạn }\n"
		"agencies:\n"
		"  - { id: ubnd_099, types: [participant], scope: \"099\" }\n"
		"schemas: schemas.yaml\n";

	assert_int_equal(s_load(fx, text, s_schema_ok), 1);
	s_has(fx, fx->main_path, 7, 50, "agencies: scope '099' is not an org unit");
}

static void
test_main_type_not_in_schemas(void **state)
{
	fixture_t *fx = *state;
	const char *text =
		"org_units:\n"
		"  code: \"06\"\n"
		"  name: Tỉnh Bắc Kạn\n"
		"agencies:\n"
		"  - { id: bhxh, types: [participant, pension] }\n"
		"schemas: schemas.yaml\n";

	assert_int_equal(s_load(fx, text, s_schema_ok), 1);
	s_has(fx, fx->main_path, 5, 5, "agency 'bhxh': record type 'pension' is not defined in the schemas");
}

/* mistakes in both files in one load: all reported, each with its own file */
static void
test_problems_in_both_files(void **state)
{
	fixture_t *fx = *state;
	char text[2048];
	const char *s =
		"record_types:\n"
		"  - name: participant\n"
		"    apply: snapshot\n"
		"    key: [insurance_no]\n"
		"    fields:\n"
		"      - name: insurance_no\n"
		"        type: ssn\n";

	snprintf(text, sizeof(text), "%sgoal:\n  year: 1800\nlog_level: loud\n", s_main_ok);
	assert_int_equal(s_load(fx, text, s), 3);
	s_has(fx, fx->schema_path, 7, 15, "field 'insurance_no': type: expected string, tax_code");
	s_has(fx, fx->main_path, 11, 9, "year: expected an integer from 1990 to 2100, got '1800'");
	s_has(fx, fx->main_path, 12, 12, "log_level: expected error, warn, info or debug, got 'loud'");
}

/* YAML aliases are refused (no "billion laughs"), in either file */
static void
test_yaml_aliases_refused(void **state)
{
	fixture_t *fx = *state;
	const char *text =
		"org_units:\n"
		"  code: \"06\"\n"
		"  name: &n Tỉnh Bắc Kạn\n"
		"  children:\n"
		"    - { code: \"058\", name: *n }\n"
		"agencies:\n"
		"  - { id: bhxh, types: [participant] }\n"
		"schemas: schemas.yaml\n";
	const char *s =
		"record_types:\n"
		"  - name: participant\n"
		"    apply: snapshot\n"
		"    key: &k [insurance_no]\n"
		"    prefixes: *k\n"
		"    fields:\n"
		"      - { name: insurance_no, type: insurance_no }\n";

	assert_true(s_load(fx, text, s_schema_ok) >= 1);
	s_has(fx, fx->main_path, 5, 28, "aliases are not allowed");
	yt_diag_free(&fx->d);
	assert_true(s_load(fx, s_main_ok, s) >= 1);
	s_has(fx, fx->schema_path, 5, 15, "aliases are not allowed");
}

/* a missing schema file is named */
static void
test_schema_file_missing(void **state)
{
	fixture_t *fx = *state;

	s_write(fx->main_path, s_main_ok);
	fx->c = config_load(fx->main_path, &fx->d);
	assert_null(fx->c);
	assert_true(fx->d.n >= 1);
	assert_non_null(strstr(fx->d.msgs[0], fx->schema_path));
}

/* a record type that is not a mapping is reported, not loaded with no name
 * (found by fuzzing: `record_types: [5]` crashed config_load in strcmp) */
static void
test_schema_record_type_not_a_map(void **state)
{
	fixture_t *fx = *state;
	const char *s =
		"record_types:\n"
		"  - 5\n"
		"  - [participant]\n";

	assert_int_equal(s_load(fx, s_main_ok, s), 3);
	s_has(fx, fx->schema_path, 2, 5, "expected a mapping");
	s_has(fx, fx->schema_path, 3, 5, "expected a mapping");
	s_has(fx, fx->main_path, 8, 5, "agency 'bhxh': record type 'participant' is not defined");
}

/* the same for a field (found by fuzzing: crashed in strcmp) */
static void
test_schema_field_not_a_map(void **state)
{
	fixture_t *fx = *state;
	const char *s =
		"record_types:\n"
		"  - name: participant\n"
		"    apply: snapshot\n"
		"    key: [insurance_no]\n"
		"    fields:\n"
		"      - insurance_no\n"
		"      - { name: insurance_no, type: insurance_no }\n"
		"      - [x]\n";

	assert_int_equal(s_load(fx, s_main_ok, s), 2);
	s_has(fx, fx->schema_path, 6, 9, "expected a mapping");
	s_has(fx, fx->schema_path, 8, 9, "expected a mapping");
}

/* public CURVE keys for the tests (Z85) */
static const char *const s_k[] = { "2>Q#n^&nZ(/UH+IFGTjHG>+7Sa?>T5jyvza.yrcu", "(m+AuRY&x%DyXG9o)N@Aj4yy:B5bZ>t#6%M%4N8A", "RUSg4w-@kHI&xRa1Sx99g!tXnqYiN$jBxa+hGukJ", "l8(g<w.ult*mK9Z!#[&tG:wmj8zJfk[evuNOD*?K", "8.#rwtU30Tc(.PMiI#l5c=xv5kX>y!L*rE72(D2@", "pY*N.h9Oujo8oB^F^gw2&=QY$6a&xK)t&6EOGb^=", "){@XC{6>PpbD2+iky).CJxA0z}R3o7Ak@Z)R}hbF" };

/* s_curve - a curve block for ingest, the validators (nval of them, 1: "validate"),
 * aggregate, alert and operator. */
static const char *
s_curve(int nval)
{
	static char buf[1024];
	int n = snprintf(buf, sizeof(buf), "  curve:\n    public:\n      ingest: \"%s\"\n      aggregate: \"%s\"\n"
	    "      alert: \"%s\"\n      operator: [\"%s\"]\n", s_k[0], s_k[4], s_k[5], s_k[6]);

	for (int i = 1; i <= nval; i++)
		if (nval == 1)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "      validate: \"%s\"\n", s_k[1]);
		else
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "      validate-%d: \"%s\"\n", i, s_k[i]);
	return buf;
}

/* s_with_curve - text followed by s_curve(nval), malloc'd; text is freed. */
static char *
s_with_curve(char *text, int nval)
{
	char *full = malloc(strlen(text) + strlen(s_curve(nval)) + 1);

	assert_non_null(full);
	strcpy(full, text);
	strcat(full, s_curve(nval));
	free(text);
	return full;
}

/* s_main_plus - s_main_ok (lines 1-9) followed by more (from line 10). */
static char *
s_main_plus(const char *more)
{
	size_t n = strlen(s_main_ok) + strlen(more) + 1;
	char *t = malloc(n);

	assert_non_null(t);
	snprintf(t, n, "%s%s", s_main_ok, more);
	return t;
}

/* s_ep - the resolved address (cfg_endpoint's answer must be want_rc) */
static const char *
s_ep(const config_t *c, const char *name, cfg_ep_kind_t kind, int want_rc)
{
	static char buf[300];

	buf[0] = '\0';
	assert_int_equal(cfg_endpoint(c->endpoints, name, kind, buf, sizeof(buf)), want_rc);
	return buf;
}

/* without an endpoints section every address is today's ipc path in the var dir */
static void
test_endpoints_absent(void **state)
{
	fixture_t *fx = *state;
	const char *names[] = { "ingest", "validate", "aggregate", "alert" };
	char buf[300];

	assert_int_equal(s_load(fx, s_main_ok, s_schema_ok), 0);
	assert_non_null(fx->c->endpoints);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (int k = 0; k < EP_NKINDS; k++)
			s_ep(fx->c, names[i], (cfg_ep_kind_t)k, 0);
	s_ep(fx->c, "validate-1", EP_BIND, -1); /* one validator is called validate */
	s_ep(fx->c, "supervisor", EP_BIND, -1);
	assert_int_equal(bus_worker_endpoint(buf, sizeof(buf), fx->c->endpoints, "/v", "aggregate", EP_BIND), 0);
	assert_string_equal(buf, "ipc:///v/run/aggregate.sock");
	assert_int_equal(bus_worker_endpoint(buf, sizeof(buf), fx->c->endpoints, "/v", "aggregate", EP_CONNECT), 0);
	assert_string_equal(buf, "ipc:///v/run/aggregate.sock");
	assert_int_equal(bus_worker_endpoint(buf, sizeof(buf), fx->c->endpoints, "/v", "validate", EP_CONTROL), 0);
	assert_string_equal(buf, "ipc:///v/run/validate.ctl");
	assert_int_equal(bus_worker_endpoint(buf, sizeof(buf), fx->c->endpoints, "/v", "alert", EP_CONTROL_CONNECT), 0);
	assert_string_equal(buf, "ipc:///v/run/alert.ctl");
}

/* every key given, defaults for the rest; validators by a port base */
static void
test_endpoints_map(void **state)
{
	fixture_t *fx = *state;
	char buf[300];
	char *text = s_main_plus(
		"validate: { instances: 3 }\n"
		"endpoints:\n"
		"  ingest: { bind: \"tcp://127.0.0.1:5570\", control: \"tcp://127.0.0.1:5580\" }\n"
		"  validate: { bind: \"tcp://*:5560\", connect: \"tcp://10.0.0.3:5560\", control: \"tcp://0.0.0.0:5590\","
		" control_connect: \"tcp://10.0.0.3:5590\" }\n"
		"  aggregate: { bind: \"tcp://0.0.0.0:5571\", connect: \"tcp://10.0.0.2:5571\","
		" control: \"tcp://127.0.0.1:5581\", control_connect: \"tcp://bhxh-b.local:5581\" }\n"
		"  alert: { control: \"ipc:///run/bhxh/alert.ctl\" }\n");
	char *full = s_with_curve(text, 3);

	assert_int_equal(s_load(fx, full, s_schema_ok), 0);
	free(full);
	assert_int_equal(fx->c->endpoints->npeers, 7);
	assert_int_equal(fx->c->endpoints->any_tcp, 1);
	assert_string_equal(cfg_peer_of_key(fx->c->endpoints, fx->c->endpoints->peers[1].keys[0]), "aggregate");
	assert_int_equal(cfg_endpoint_is_tcp(fx->c->endpoints, "alert", EP_CONTROL), 0);
	assert_int_equal(cfg_endpoint_is_tcp(fx->c->endpoints, "validate-2", EP_CONNECT), 1);
	assert_string_equal(s_ep(fx->c, "ingest", EP_BIND, 1), "tcp://127.0.0.1:5570");
	assert_string_equal(s_ep(fx->c, "ingest", EP_CONNECT, 1), "tcp://127.0.0.1:5570"); /* bind, as it is concrete */
	assert_string_equal(s_ep(fx->c, "ingest", EP_CONTROL_CONNECT, 1), "tcp://127.0.0.1:5580");
	assert_string_equal(s_ep(fx->c, "aggregate", EP_BIND, 1), "tcp://0.0.0.0:5571");
	assert_string_equal(s_ep(fx->c, "aggregate", EP_CONNECT, 1), "tcp://10.0.0.2:5571");
	assert_string_equal(s_ep(fx->c, "aggregate", EP_CONTROL, 1), "tcp://127.0.0.1:5581");
	assert_string_equal(s_ep(fx->c, "aggregate", EP_CONTROL_CONNECT, 1), "tcp://bhxh-b.local:5581");
	s_ep(fx->c, "alert", EP_BIND, 0);
	s_ep(fx->c, "alert", EP_CONNECT, 0);
	assert_string_equal(s_ep(fx->c, "alert", EP_CONTROL, 1), "ipc:///run/bhxh/alert.ctl");
	assert_string_equal(s_ep(fx->c, "alert", EP_CONTROL_CONNECT, 1), "ipc:///run/bhxh/alert.ctl");
	assert_string_equal(s_ep(fx->c, "validate-1", EP_BIND, 1), "tcp://*:5560");
	assert_string_equal(s_ep(fx->c, "validate-2", EP_BIND, 1), "tcp://*:5561");
	assert_string_equal(s_ep(fx->c, "validate-3", EP_CONNECT, 1), "tcp://10.0.0.3:5562");
	assert_string_equal(s_ep(fx->c, "validate-3", EP_CONTROL, 1), "tcp://0.0.0.0:5592");
	assert_string_equal(s_ep(fx->c, "validate-2", EP_CONTROL_CONNECT, 1), "tcp://10.0.0.3:5591");
	s_ep(fx->c, "validate", EP_BIND, -1);   /* three run: each has a number */
	s_ep(fx->c, "validate-4", EP_BIND, -1);
	s_ep(fx->c, "validate-0", EP_BIND, -1);
	s_ep(fx->c, "validate-2x", EP_BIND, -1);
	assert_int_equal(bus_worker_endpoint(buf, sizeof(buf), fx->c->endpoints, "/v", "alert", EP_BIND), 0);
	assert_string_equal(buf, "ipc:///v/run/alert.sock");
	assert_int_equal(bus_worker_endpoint(buf, sizeof(buf), fx->c->endpoints, "/v", "validate-2", EP_CONNECT), 0);
	assert_string_equal(buf, "tcp://10.0.0.3:5561");
}

/* validators listed one per instance, each on its own host */
static void
test_endpoints_validate_list(void **state)
{
	fixture_t *fx = *state;
	char *text = s_main_plus(
		"validate: { instances: 2 }\n"
		"endpoints:\n"
		"  validate:\n"
		"    - { bind: \"tcp://0.0.0.0:5560\", connect: \"tcp://10.0.0.3:5560\" }\n"
		"    - { bind: \"tcp://0.0.0.0:5560\", connect: \"tcp://10.0.0.4:5560\", control: \"ipc:///run/v2.ctl\" }\n");

	text = s_with_curve(text, 2);
	assert_int_equal(s_load(fx, text, s_schema_ok), 0);
	free(text);
	assert_string_equal(s_ep(fx->c, "validate-1", EP_CONNECT, 1), "tcp://10.0.0.3:5560");
	assert_string_equal(s_ep(fx->c, "validate-2", EP_CONNECT, 1), "tcp://10.0.0.4:5560");
	assert_string_equal(s_ep(fx->c, "validate-2", EP_BIND, 1), "tcp://0.0.0.0:5560");
	s_ep(fx->c, "validate-1", EP_CONTROL, 0);
	assert_string_equal(s_ep(fx->c, "validate-2", EP_CONTROL_CONNECT, 1), "ipc:///run/v2.ctl");
	/* one validator: a list of one, or a map whose ports are used as they are */
	config_free(&fx->c);
	text = s_with_curve(s_main_plus("endpoints:\n  validate: [ { bind: \"tcp://127.0.0.1:5560\" } ]\n"), 1);
	assert_int_equal(s_load(fx, text, s_schema_ok), 0);
	free(text);
	assert_string_equal(s_ep(fx->c, "validate", EP_CONNECT, 1), "tcp://127.0.0.1:5560");
	config_free(&fx->c);
	text = s_main_plus("endpoints:\n  validate: { bind: \"ipc:///run/v.sock\" }\n");
	assert_int_equal(s_load(fx, text, s_schema_ok), 0);
	free(text);
	assert_string_equal(s_ep(fx->c, "validate", EP_CONNECT, 1), "ipc:///run/v.sock");
}

/* malformed addresses: every one reported at its key, all at once */
static void
test_endpoints_malformed(void **state)
{
	fixture_t *fx = *state;
	char *text = s_main_plus(
		"endpoints:\n"                                                        /* 10 */
		"  ingest:\n"                                                         /* 11 */
		"    bind: \"udp://127.0.0.1:5570\"\n"                               /* 12 */
		"    control: \"tcp://127.0.0.1:0\"\n"                               /* 13 */
		"  aggregate:\n"                                                      /* 14 */
		"    bind: \"tcp://127.0.0.1:65536\"\n"                              /* 15 */
		"    control: \"tcp://127.0.0.1\"\n"                                 /* 16 */
		"    port: 5\n"                                                       /* 17 */
		"  alert:\n"                                                          /* 18 */
		"    bind: \"ipc://run/alert.sock\"\n"                               /* 19 */
		"    control: \"tcp://bad host:5581\"\n"                             /* 20 */
		"  validate:\n"                                                       /* 21 */
		"    bind: \"tcp://127.0.0.1:-5\"\n"                                 /* 22 */
		"    control: \"tcp://127.0.0.1:5590;10.0.0.1:5590\"\n"              /* 23 */
		"  vaildate: {}\n");                                                  /* 24 */

	assert_int_equal(s_load(fx, text, s_schema_ok), 10);
	free(text);
	s_has(fx, fx->main_path, 12, 11, "endpoints.ingest.bind: 'udp://127.0.0.1:5570': expected ipc:///PATH or tcp://HOST:PORT");
	s_has(fx, fx->main_path, 13, 14, "endpoints.ingest.control: 'tcp://127.0.0.1:0': port 0 out of range 1-65535");
	s_has(fx, fx->main_path, 15, 11, "endpoints.aggregate.bind: 'tcp://127.0.0.1:65536': port 65536 out of range");
	s_has(fx, fx->main_path, 16, 14, "endpoints.aggregate.control: 'tcp://127.0.0.1': expected tcp://HOST:PORT");
	s_has(fx, fx->main_path, 17, 5, "unknown key 'port'");
	s_has(fx, fx->main_path, 19, 11, "endpoints.alert.bind: 'ipc://run/alert.sock': an ipc path must be absolute");
	s_has(fx, fx->main_path, 20, 14, "endpoints.alert.control: 'tcp://bad host:5581': host 'bad host'");
	s_has(fx, fx->main_path, 22, 11, "endpoints.validate.bind: 'tcp://127.0.0.1:-5': expected a port number");
	s_has(fx, fx->main_path, 23, 14, "endpoints.validate.control: 'tcp://127.0.0.1:5590;10.0.0.1:5590':");
	s_has(fx, fx->main_path, 24, 3, "unknown key 'vaildate'");
}

/* addresses that parse but do not fit together */
static void
test_endpoints_inconsistent(void **state)
{
	fixture_t *fx = *state;
	char *text = s_main_plus(
		"validate: { instances: 2 }\n"                                                      /* 10 */
		"endpoints:\n"                                                                       /* 11 */
		"  ingest: { bind: \"tcp://0.0.0.0:5570\", control: \"tcp://*:5580\" }\n"            /* 12 */
		"  aggregate: { connect: \"tcp://10.0.0.2:5571\", control: \"tcp://127.0.0.1:5581\","
		" control_connect: \"tcp://0.0.0.0:5581\" }\n"                                       /* 13 */
		"  alert: { bind: \"ipc:///run/alert.sock\", connect: \"tcp://10.0.0.2:5572\" }\n"   /* 14 */
		"  validate: { bind: \"ipc:///run/v.sock\", control: \"tcp://127.0.0.1:65535\" }\n"  /* 15 */
		);

	assert_int_equal(s_load(fx, text, s_schema_ok), 8);
	free(text);
	s_has(fx, fx->main_path, 12, 3, "endpoints: tcp addresses need `curve:` with the public key of every worker");
	s_has(fx, fx->main_path, 12, 19, "endpoints.ingest.bind: 'tcp://0.0.0.0:5570' listens on every interface:"
	    " give connect");
	s_has(fx, fx->main_path, 12, 50, "endpoints.ingest.control: 'tcp://*:5580' listens on every interface:"
	    " give control_connect");
	s_has(fx, fx->main_path, 13, 25, "endpoints.aggregate.connect: given without bind");
	s_has(fx, fx->main_path, 13, 98, "endpoints.aggregate.control_connect: 'tcp://0.0.0.0:5581': '0.0.0.0' is"
	    " a wildcard");
	s_has(fx, fx->main_path, 14, 52, "endpoints.alert.connect: 'tcp://10.0.0.2:5572' and bind"
	    " 'ipc:///run/alert.sock' must both be ipc or both tcp");
	s_has(fx, fx->main_path, 15, 21, "endpoints.validate.bind: 'ipc:///run/v.sock': with validate.instances: 2"
	    " each instance needs its own address");
	s_has(fx, fx->main_path, 15, 51, "endpoints.validate.control: 'tcp://127.0.0.1:65535': validate-2 would use"
	    " port 65536, above 65535");
}

/* a list of the wrong length, and two workers at one address */
static void
test_endpoints_list_length_and_duplicates(void **state)
{
	fixture_t *fx = *state;
	char *text = s_main_plus(
		"validate: { instances: 3 }\n"                                                   /* 10 */
		"endpoints:\n"                                                                    /* 11 */
		"  validate:\n"                                                                   /* 12 */
		"    - { bind: \"tcp://127.0.0.1:5560\" }\n"                                      /* 13 */
		"    - { bind: \"tcp://127.0.0.1:5561\" }\n");                                    /* 14 */

	assert_int_equal(s_load(fx, text, s_schema_ok), 1);
	free(text);
	s_has(fx, fx->main_path, 13, 5, "endpoints.validate: 2 entries for validate.instances: 3");
	yt_diag_free(&fx->d);
	text = s_main_plus(
		"validate: { instances: 2 }\n"                                                   /* 10 */
		"endpoints:\n"                                                                    /* 11 */
		"  ingest: { bind: \"tcp://127.0.0.1:5570\", control: \"tcp://127.0.0.1:5561\" }\n" /* 12 */
		"  validate: { bind: \"tcp://127.0.0.1:5560\" }\n"                                /* 13 */
		"  aggregate: { bind: \"tcp://0.0.0.0:5571\", connect: \"tcp://127.0.0.1:5570\" }\n"); /* 14 */
	assert_int_equal(s_load(fx, text, s_schema_ok), 3);
	free(text);
	s_has(fx, fx->main_path, 12, 3, "endpoints: tcp addresses need `curve:`");
	s_has(fx, fx->main_path, 13, 21, "endpoints.validate-2.bind: 'tcp://127.0.0.1:5561' is both ingest's control"
	    " and validate-2's data address");
	s_has(fx, fx->main_path, 14, 53, "endpoints.aggregate.connect: 'tcp://127.0.0.1:5570' is both ingest's data"
	    " and aggregate's data address");
}

/* a duplicate key is one problem among the others, all reported at once */
static void
test_duplicate_with_others(void **state)
{
	fixture_t *fx = *state;
	char *text = s_main_plus(
		"log_level: debug\n"                 /* 10 */
		"log_level: info\n"                  /* 11 */
		"validate: { instances: 0 }\n"       /* 12 */
		"bogus: 1\n");                       /* 13 */

	assert_int_equal(s_load(fx, text, s_schema_ok), 3);
	free(text);
	s_has(fx, fx->main_path, 11, 1, "duplicate key 'log_level' (first at 10:1)");
	s_has(fx, fx->main_path, 12, 24, "instances: expected an integer from 1 to 64");
	s_has(fx, fx->main_path, 13, 1, "unknown key 'bogus'");
}

/* the curve block: every problem at once, at its key */
static void
test_endpoints_curve(void **state)
{
	fixture_t *fx = *state;
	char *text = s_main_plus(
		"validate: { instances: 2 }\n"                                                      /* 10 */
		"endpoints:\n"                                                                       /* 11 */
		"  aggregate: { bind: \"tcp://127.0.0.1:5571\" }\n"                                 /* 12 */
		"  curve:\n"                                                                         /* 13 */
		"    keys_dir: keys\n"                                                               /* 14 */
		"    public:\n"                                                                      /* 15 */
		"      ingest: \"2>Q#n^&nZ(/UH+IFGTjHG>+7Sa?>T5jyvza.yrcu\"\n"                       /* 16 */
		"      validate-1: \"2>Q#n^&nZ(/UH+IFGTjHG>+7Sa?>T5jyvza.yrcu\"\n"                   /* 17 */
		"      validate-2: \"short\"\n"                                                      /* 18 */
		"      validate-3: \"(m+AuRY&x%DyXG9o)N@Aj4yy:B5bZ>t#6%M%4N8A\"\n"                   /* 19 */
		"      aggregate: []\n"                                                              /* 20 */
		"      alert: \"RUSg4w-@kHI&xRa1Sx99g!tXnqYiN$jBxa+hGukJ\"\n");                      /* 21 */

	assert_int_equal(s_load(fx, text, s_schema_ok), 8);
	free(text);
	s_has(fx, fx->main_path, 14, 15, "endpoints.curve.keys_dir: 'keys': expected an absolute path");
	s_has(fx, fx->main_path, 17, 19, "endpoints.curve.public.validate-1: a key also listed for ingest");
	s_has(fx, fx->main_path, 18, 19, "endpoints.curve.public.validate-2: expected a CURVE public key, 40 characters");
	s_has(fx, fx->main_path, 19, 7, "endpoints.curve.public.validate-3: not a worker of this configuration");
	s_has(fx, fx->main_path, 20, 18, "endpoints.curve.public.aggregate: expected one key or a list of 1 to 8 keys");
	s_has(fx, fx->main_path, 16, 7, "endpoints.curve.public: no key for validate-2");
	s_has(fx, fx->main_path, 16, 7, "endpoints.curve.public: no key for aggregate");
	s_has(fx, fx->main_path, 16, 7, "endpoints.curve.public: no key for operator");
	/* without tcp a curve block is checked but not required */
	config_free(&fx->c);
	yt_diag_free(&fx->d);
	assert_int_equal(s_load(fx, s_main_ok, s_schema_ok), 0);
	assert_int_equal(fx->c->endpoints->any_tcp, 0);
}

/* cfg_endpoint_check on its own: the forms accepted and refused */
static void
test_endpoint_check(void **state)
{
	char why[200];
	static const char *const good[] = { "ipc:///var/lib/bhxh/run/aggregate.sock", "tcp://127.0.0.1:1",
		"tcp://10.0.0.2:65535", "tcp://bhxh-b.example.vn:5571", "tcp://eth0:5571", NULL };
	static const char *const bad[] = { "", "tcp://", "tcp://:5571", "tcp://host:", "tcp://host:0",
		"tcp://host:65536", "tcp://host:123456", "tcp://host:55a", "tcp://host:*", "tcp://[::1]:5571",
		"ipc://", "ipc://relative.sock", "inproc://x", "pgm://eth0;239.1.1.1:5555", "TCP://h:1",
		"tcp://h:1;h:2", "tcp://-h:1", NULL };
	(void)state;

	for (int i = 0; good[i] != NULL; i++)
		assert_int_equal(cfg_endpoint_check(good[i], 1, why, sizeof(why)), 0);
	for (int i = 0; bad[i] != NULL; i++) {
		if (cfg_endpoint_check(bad[i], 0, why, sizeof(why)) != -1)
			fail_msg("accepted '%s'", bad[i]);
	}
	assert_int_equal(cfg_endpoint_check("tcp://*:5571", 0, why, sizeof(why)), 0);
	assert_int_equal(cfg_endpoint_check("tcp://*:5571", 1, why, sizeof(why)), -1);
	assert_int_equal(cfg_endpoint_check("tcp://0.0.0.0:5571", 1, why, sizeof(why)), -1);
	/* an ipc path of 107 bytes fits a socket address, 108 does not */
	{
		char p[200] = "ipc://";

		memset(p + 6, 'a', 107);
		p[6] = '/';
		p[6 + 107] = '\0';
		assert_int_equal(cfg_endpoint_check(p, 0, why, sizeof(why)), 0);
		p[6 + 107] = 'a';
		p[6 + 108] = '\0';
		assert_int_equal(cfg_endpoint_check(p, 0, why, sizeof(why)), -1);
	}
}

/* metrics.listen: off when absent; HOST:PORT, each mistake at its line */
static void
test_metrics_listen(void **state)
{
	fixture_t *fx = *state;
	char text[2048];

	assert_int_equal(s_load(fx, s_main_ok, s_schema_ok), 0);
	assert_null(fx->c->metrics.listen);
	config_free(&fx->c);
	snprintf(text, sizeof(text), "%smetrics: { listen: \"127.0.0.1:9464\" }\n", s_main_ok);
	assert_int_equal(s_load(fx, text, s_schema_ok), 0);
	assert_string_equal(fx->c->metrics.listen, "127.0.0.1:9464");
	config_free(&fx->c);
	snprintf(text, sizeof(text), "%smetrics:\n  listen: \"127.0.0.1:70000\"\n  path: /m\n", s_main_ok);
	assert_int_equal(s_load(fx, text, s_schema_ok), 2);
	s_has(fx, fx->main_path, 11, 11, "metrics.listen: '127.0.0.1:70000': expected HOST:PORT");
	s_has(fx, fx->main_path, 12, 3, "");
	assert_int_equal(config_listen_ok("localhost:9464"), 1);
	assert_int_equal(config_listen_ok("0.0.0.0:1"), 1);
	assert_int_equal(config_listen_ok(":9464"), 0);
	assert_int_equal(config_listen_ok("127.0.0.1"), 0);
	assert_int_equal(config_listen_ok("127.0.0.1:"), 0);
	assert_int_equal(config_listen_ok("127.0.0.1:0"), 0);
	assert_int_equal(config_listen_ok("127.0.0.1:94x"), 0);
	assert_int_equal(config_listen_ok("a b:9464"), 0);
	assert_int_equal(config_listen_ok("[::1]:9464"), 0);
}

/* s_sum - the fingerprint of path in c, or NULL. */
static const cd_sum_t *
s_sum(const config_t *c, const char *path)
{
	for (size_t i = 0; i < c->sums.n; i++)
		if (strcmp(c->sums.v[i].path, path) == 0)
			return &c->sums.v[i];
	return NULL;
}

/* who reads each key of the shipped files: a worker's own section that
 * worker, the findings file the aggregate, the alerting file the alert
 * worker, validate.instances and metrics the supervisor, the rest every
 * worker; only validate.instances lays the sockets out */
static void
test_shipped_readers(void **state)
{
	static const struct { const char *path; int by; } want[] = {
		{ "org_units", CD_BY_WORKERS }, { "agencies", CD_BY_WORKERS }, { "schemas", CD_BY_WORKERS },
		{ "schemas.record_types", CD_BY_WORKERS }, { "log_level", CD_BY_WORKERS },
		{ "org_unit_moves", CD_BY_WORKERS }, { "goal.year", CD_BY_WORKERS },
		{ "ingest.batch_rows", CD_BY_INGEST }, { "validate.instances", CD_BY_SUPERVISOR },
		{ "aggregate.order_wait_s", CD_BY_AGGREGATE }, { "metrics.listen", CD_BY_SUPERVISOR },
		{ "findings", CD_BY_AGGREGATE }, { "findings.behind_target.severity", CD_BY_AGGREGATE },
		{ "alerting", CD_BY_ALERT }, { "alerting.smtp.url", CD_BY_ALERT }, { "alerting.receivers", CD_BY_ALERT },
	};
	char path[PATH_MAX + 32];
	yt_diag_t d = { 0 };
	config_t *c;
	(void)state;

	shipped_path(path, sizeof(path), "bhxh.yaml");
	c = config_load(path, &d);
	assert_non_null(c);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const cd_sum_t *s = s_sum(c, want[i].path);

		if (s == NULL)
			fail_msg("%s: no fingerprint", want[i].path);
		if (s->readby != want[i].by)
			fail_msg("%s: read by %#x, expected %#x", want[i].path, (unsigned)s->readby, (unsigned)want[i].by);
	}
	for (size_t i = 0; i < c->sums.n; i++) {
		const cd_sum_t *s = &c->sums.v[i];

		assert_int_not_equal(s->readby, 0);
		assert_int_equal(!!(s->k->flags & CD_LAYOUT), strcmp(s->path, "validate.instances") == 0);
		if (strncmp(s->path, "findings.", 9) == 0)
			assert_int_equal(s->readby, CD_BY_AGGREGATE);
		if (strncmp(s->path, "alerting.", 9) == 0)
			assert_int_equal(s->readby, CD_BY_ALERT);
	}
	config_free(&c);
	yt_diag_free(&d);
}

#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped),
		cmocka_unit_test(test_shipped_readers),
		T(test_minimal_ok),
		T(test_schema_empty_prefixes),
		T(test_schema_unknown_type),
		T(test_schema_unknown_rule),
		T(test_schema_rule_missing_field),
		T(test_schema_unknown_key),
		T(test_schema_key_not_a_field),
		T(test_schema_bad_apply),
		T(test_schema_field_mistakes),
		T(test_schema_identifiers_and_ranges),
		T(test_schema_all_problems_reported),
		T(test_main_unknown_key),
		T(test_main_bad_batch_rows),
		T(test_main_scope_not_a_unit),
		T(test_main_type_not_in_schemas),
		T(test_problems_in_both_files),
		T(test_yaml_aliases_refused),
		T(test_schema_file_missing),
		T(test_schema_record_type_not_a_map),
		T(test_schema_field_not_a_map),
		T(test_endpoints_absent),
		T(test_endpoints_map),
		T(test_endpoints_validate_list),
		T(test_endpoints_malformed),
		T(test_endpoints_inconsistent),
		T(test_endpoints_list_length_and_duplicates),
		T(test_endpoints_curve),
		T(test_duplicate_with_others),
		T(test_metrics_listen),
		cmocka_unit_test(test_endpoint_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
