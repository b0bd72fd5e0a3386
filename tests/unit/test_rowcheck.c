/* test_rowcheck - table-driven tests of rowcheck_row (common/rowcheck.c)
 * against the shipped configuration (config/bhxh.yaml and its schemas).
 *
 * Each record type has a valid base row; a table row changes a few of its
 * cells and says what must come out: the canonical form of one field, or the
 * code and field of the rejection and words its messages must contain. Every
 * rejection is also checked for what holds of all of them: both messages
 * present, nothing left in out[], and no 4 consecutive bytes of a personal
 * value (citizen ID, insurance number) in either message.
 *
 * The last tests load a copy of the shipped schemas with an extra field, an
 * extra alias and an extra enumeration value, and show that rows using them
 * pass with no change in C. */
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

#include "colhint.h"
#include "config.h"
#include "receipt.h"
#include "rowcheck.h"
#include "text.h"

#define LONG_MARK "@LONG"  /* replaced by a 501-byte name */

static config_t *s_cfg;
static char s_cfg_path[PATH_MAX + 32];

/* Valid base rows: field, value pairs, NULL-terminated. */
static const char *const s_base_enterprise[] = {
	"tax_code", "0300588569", "name", "Công ty TNHH Hoa Mai", "org_unit", "058",
	"registered_on", "15/03/2010", "status", "Đang hoạt động", NULL
};
static const char *const s_base_tax_employer[] = {
	"tax_code", "0100109106", "period", "03/2017", "employees", "12", "wage_fund", "1.234.567",
	"status", "operating", NULL
};
static const char *const s_base_insured_unit[] = {
	"unit_code", "dv001", "tax_code", "0101248141", "org_unit", "060", "period", "2017-03",
	"name", "", "insured_count", "10", "bhtn_count", "8", "wage_basis", "50.000.000",
	"due", "10,500,000", "paid", "10 500 000", "arrears", "0", "arrears_months", "0", NULL
};
static const char *const s_base_participant[] = {
	"insurance_no", "0100000001", "citizen_id", "001090000001", "org_unit", "058",
	"period", "2017-03", "scheme", "Bắt buộc", "unemployment", "x", "unit_code", "DV001",
	"agent_code", "", NULL
};
static const char *const s_base_labor_force[] = {
	"org_unit", "058", "year", "2017", "labor_force", "1000", NULL
};
static const char *const s_base_target[] = {
	"org_unit", "06", "year", "2017", "bhxh_pct", "30,5", "bhtn_pct", "15", NULL
};
static const char *const s_base_collection_agent[] = {
	"agent_code", "DL-01", "name", "Đại lý Nà Phặc", "org_unit", "061", "status", "hoat dong", NULL
};

typedef struct {
	const char *rtype;
	const char *agency;     /* NULL -> the agency that submits rtype without a scope */
	const char *set[8];     /* field, value pairs over the base row */
	const char *field;      /* the field to look at: canonical value or bad field */
	const char *want;       /* canonical value of field when accepted */
	const char *code;       /* rejection code, NULL when accepted */
	const char *vi_has;     /* must appear in the Vietnamese message */
	const char *en_has;     /* must appear in the English message */
} rcase_t;

#define OK(rt, f, w, ...) { .rtype = (rt), .set = { __VA_ARGS__ }, .field = (f), .want = (w) }
#define BAD(rt, f, c, v, e, ...) { .rtype = (rt), .set = { __VA_ARGS__ }, .field = (f), .code = (c), \
	.vi_has = (v), .en_has = (e) }
#define OK_AS(ag, rt, f, w, ...) { .rtype = (rt), .agency = (ag), .set = { __VA_ARGS__ }, .field = (f), \
	.want = (w) }
#define BAD_AS(ag, rt, f, c, v, e, ...) { .rtype = (rt), .agency = (ag), .set = { __VA_ARGS__ }, \
	.field = (f), .code = (c), .vi_has = (v), .en_has = (e) }

/* s_base - the base row of a record type. */
static const char *const *
s_base(const char *rtype)
{
	static const struct { const char *name; const char *const *row; } t[] = {
		{ "enterprise", s_base_enterprise }, { "tax_employer", s_base_tax_employer },
		{ "insured_unit", s_base_insured_unit }, { "participant", s_base_participant },
		{ "labor_force", s_base_labor_force }, { "target", s_base_target },
		{ "collection_agent", s_base_collection_agent },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].name, rtype) == 0)
			return t[i].row;
	return NULL;
}

/* s_default_agency - an unscoped agency allowed to send rtype. */
static const cfg_agency_t *
s_default_agency(const config_t *c, const char *rtype)
{
	for (int i = 0; i < c->nagencies; i++)
		if (c->agencies[i].scope == NULL && config_agency_allows(&c->agencies[i], rtype))
			return &c->agencies[i];
	return NULL;
}

/* s_put - set values[field] (a copy). */
static void
s_put(const cfg_rtype_t *rt, char **values, const char *field, const char *value)
{
	int i = config_field_index(rt, field);
	char *v;

	if (i < 0)
		fprintf(stderr, "no field '%s' in %s\n", field, rt->name);
	assert_true(i >= 0);
	if (strcmp(value, LONG_MARK) == 0) {
		v = malloc(502);
		assert_non_null(v);
		memset(v, 'a', 501);
		v[501] = '\0';
	} else {
		v = strdup(value);
	}
	free(values[i]);
	values[i] = v;
}

/* s_no_leak - no 4 consecutive bytes of secret in msg. */
static void
s_no_leak(const char *msg, const char *secret, int idx)
{
	size_t n = strlen(secret);

	for (size_t i = 0; i + 4 <= n; i++) {
		char part[5];

		memcpy(part, secret + i, 4);
		part[4] = '\0';
		if (strstr(msg, part) != NULL) {
			fprintf(stderr, "case %d: message echoes personal data: %s\n", idx, msg);
			fail();
		}
	}
}

/* s_check - run one case against the configuration c. */
static void
s_check(const config_t *c, const rcase_t *k, int idx)
{
	const cfg_rtype_t *rt = config_rtype(c, k->rtype);
	const char *const *base = s_base(k->rtype);
	const cfg_agency_t *ag;
	char **values, **out;
	const char *bad = "unset";
	fc_error_t err = { 0 };
	int rc, fi;

	assert_non_null(rt);
	assert_non_null(base);
	ag = k->agency ? config_agency(c, k->agency) : s_default_agency(c, k->rtype);
	assert_non_null(ag);
	values = calloc((size_t)rt->nfields, sizeof(char *));
	out = calloc((size_t)rt->nfields, sizeof(char *));
	assert_non_null(values);
	assert_non_null(out);
	for (int i = 0; base[i] != NULL; i += 2)
		s_put(rt, values, base[i], base[i + 1]);
	for (int i = 0; i < 8 && k->set[i] != NULL; i += 2)
		s_put(rt, values, k->set[i], k->set[i + 1]);
	rc = rowcheck_row(c, ag, rt, values, out, &bad, &err);
	fi = config_field_index(rt, k->field);
	if (k->code == NULL) {
		if (rc != 0)
			fprintf(stderr, "case %d: rejected %s (%s): %s\n", idx, err.code, bad ? bad : "-", err.en);
		assert_int_equal(rc, 0);
		assert_null(bad);
		assert_true(fi >= 0);
		if (strcmp(out[fi], k->want) != 0)
			fprintf(stderr, "case %d: %s is '%s', want '%s'\n", idx, k->field, out[fi], k->want);
		assert_string_equal(out[fi], k->want);
		for (int i = 0; i < rt->nfields; i++)
			assert_non_null(out[i]);
	} else {
		if (rc == 0 || strcmp(err.code, k->code) != 0)
			fprintf(stderr, "case %d: want %s, got rc %d code %s (%s)\n", idx, k->code, rc,
			    rc ? err.code : "-", rc ? err.en : "");
		assert_int_equal(rc, -1);
		assert_string_equal(err.code, k->code);
		if (bad == NULL || strcmp(bad, k->field) != 0)
			fprintf(stderr, "case %d: bad field %s, want %s\n", idx, bad ? bad : "NULL", k->field);
		assert_non_null(bad);
		assert_string_equal(bad, k->field);
		assert_true(err.vi[0] != '\0');
		assert_true(err.en[0] != '\0');
		if (k->vi_has != NULL && strstr(err.vi, k->vi_has) == NULL)
			fprintf(stderr, "case %d: vi '%s' lacks '%s'\n", idx, err.vi, k->vi_has);
		if (k->en_has != NULL && strstr(err.en, k->en_has) == NULL)
			fprintf(stderr, "case %d: en '%s' lacks '%s'\n", idx, err.en, k->en_has);
		assert_true(k->vi_has == NULL || strstr(err.vi, k->vi_has) != NULL);
		assert_true(k->en_has == NULL || strstr(err.en, k->en_has) != NULL);
		for (int i = 0; i < rt->nfields; i++)
			assert_null(out[i]);
		for (int i = 0; i < rt->nfields; i++)
			if (rt->fields[i].personal || rt->fields[i].type == FT_INSURANCE_NO ||
			    rt->fields[i].type == FT_CITIZEN_ID) {
				s_no_leak(err.vi, values[i], idx);
				s_no_leak(err.en, values[i], idx);
			}
	}
	for (int i = 0; i < rt->nfields; i++) {
		free(values[i]);
		free(out[i]);
	}
	free(values);
	free(out);
}

/* s_run_table - every case of a table against the shipped configuration. */
static void
s_run_table(const rcase_t *t, size_t n, int first)
{
	for (size_t i = 0; i < n; i++)
		s_check(s_cfg, &t[i], first + (int)i);
}
#define RUN(t) s_run_table((t), sizeof(t) / sizeof((t)[0]), 0)

/* s_group_setup - load the shipped configuration once. */
static int
s_group_setup(void **state)
{
	yt_diag_t d = { 0 };

	(void)state;
	shipped_path(s_cfg_path, sizeof(s_cfg_path), "bhxh.yaml");
	s_cfg = config_load(s_cfg_path, &d);
	yt_diag_print(&d, stderr);
	yt_diag_free(&d);
	return s_cfg == NULL ? -1 : 0;
}

static int
s_group_teardown(void **state)
{
	(void)state;
	config_free(&s_cfg);
	return 0;
}

/* the base rows themselves pass */
static void
test_base_rows(void **state)
{
	static const rcase_t t[] = {
		OK("enterprise", "registered_on", "2010-03-15", NULL),
		OK("tax_employer", "period", "2017-03", NULL),
		OK("insured_unit", "unit_code", "DV001", NULL),
		OK("participant", "scheme", "compulsory", NULL),
		OK("labor_force", "labor_force", "1000", NULL),
		OK("target", "bhxh_pct", "30.5", NULL),
		OK("collection_agent", "status", "active", NULL),
	};
	(void)state;
	RUN(t);
}

/* tax codes: the real ones, each with its last digit changed, branches */
static void
test_tax_code(void **state)
{
	static const rcase_t t[] = {
		OK("enterprise", "tax_code", "0300588569", "tax_code", "0300588569"),
		OK("enterprise", "tax_code", "0100109106", "tax_code", "0100109106"),
		OK("enterprise", "tax_code", "0101248141", "tax_code", "0101248141"),
		OK("tax_employer", "tax_code", "0100109106", "tax_code", " 0100109106 "),
		OK("tax_employer", "tax_code", "0300588569-001", "tax_code", "0300588569-001"),
		OK("insured_unit", "tax_code", "0101248141-012", "tax_code", "0101248141-012"),
		BAD("enterprise", "tax_code", "E_TAX_CODE_CHECK_DIGIT", "là 0, phải là 9", "is 0, expected 9",
		    "tax_code", "0300588560"),
		BAD("enterprise", "tax_code", "E_TAX_CODE_CHECK_DIGIT", "là 7, phải là 6", "is 7, expected 6",
		    "tax_code", "0100109107"),
		BAD("enterprise", "tax_code", "E_TAX_CODE_CHECK_DIGIT", "là 2, phải là 1", "is 2, expected 1",
		    "tax_code", "0101248142"),
		BAD("tax_employer", "tax_code", "E_TAX_CODE_CHECK_DIGIT", "phải là 9", "expected 9",
		    "tax_code", "0300588568-001"),
		BAD("tax_employer", "tax_code", "E_TAX_CODE_BRANCH", "001 đến 999", "001 to 999",
		    "tax_code", "0300588569-000"),
		BAD("tax_employer", "tax_code", "E_TAX_CODE_BRANCH", "đúng 3 chữ số", "exactly 3 digits",
		    "tax_code", "0300588569-01"),
		BAD("insured_unit", "tax_code", "E_TAX_CODE_FORMAT", "9 chữ số", "9 digits",
		    "tax_code", "300588569"),
		BAD("enterprise", "tax_code", "E_TAX_CODE_FORMAT", NULL, NULL, "tax_code", "03005885X9"),
	};
	(void)state;
	RUN(t);
}

/* insurance numbers and citizen IDs: never echoed */
static void
test_personal_ids(void **state)
{
	static const rcase_t t[] = {
		OK("participant", "insurance_no", "0100000001", "insurance_no", "0100000001"),
		OK("participant", "citizen_id", "001090000001", "citizen_id", "001090000001"),
		OK("participant", "citizen_id", "", "citizen_id", ""),
		OK("participant", "citizen_id", "079185001234", "citizen_id", " 079185001234"),
		BAD("participant", "insurance_no", "E_INSURANCE_NO_FORMAT", NULL, "10 digits",
		    "insurance_no", "123456789"),
		BAD("participant", "insurance_no", "E_INSURANCE_NO_FORMAT", NULL, NULL,
		    "insurance_no", "01000000012"),
		BAD("participant", "insurance_no", "E_INSURANCE_NO_FORMAT", NULL, NULL,
		    "insurance_no", "01000A0001"),
		BAD("participant", "citizen_id", "E_CITIZEN_ID_FORMAT", "12 chữ số", "12 digits",
		    "citizen_id", "00109000000"),
		BAD("participant", "citizen_id", "E_CITIZEN_ID_FORMAT", NULL, "digits only",
		    "citizen_id", "00109000000X"),
		BAD("participant", "citizen_id", "E_CITIZEN_ID_PROVINCE", "mã tỉnh", "province code",
		    "citizen_id", "999090000001"),
		BAD("participant", "citizen_id", "E_CITIZEN_ID_PROVINCE", NULL, NULL,
		    "citizen_id", "000185007777"),
	};
	(void)state;
	RUN(t);
}

/* unit codes, generic codes, free text */
static void
test_codes_and_text(void **state)
{
	static const rcase_t t[] = {
		OK("insured_unit", "unit_code", "TA0123", "unit_code", " ta0123 "),
		OK("insured_unit", "unit_code", "ABC", "unit_code", "abc"),
		BAD("insured_unit", "unit_code", "E_UNIT_CODE_FORMAT", NULL, "3 to 12", "unit_code", "AB"),
		BAD("insured_unit", "unit_code", "E_UNIT_CODE_FORMAT", NULL, NULL, "unit_code", "DV-001"),
		BAD("insured_unit", "unit_code", "E_UNIT_CODE_FORMAT", NULL, NULL, "unit_code", "ABCDEFGHIJKLM"),
		OK("collection_agent", "agent_code", "dl_07.a", "agent_code", "dl_07.a"),
		BAD("collection_agent", "agent_code", "E_CODE_FORMAT", NULL, NULL, "agent_code", "DL 07"),
		BAD("collection_agent", "agent_code", "E_CODE_FORMAT", NULL, NULL, "agent_code", "ĐL07"),
		OK("collection_agent", "name", "Bà Nông Thị Hà", "name", "  Bà Nông Thị Hà  "),
		BAD("collection_agent", "name", "E_STRING_TOO_LONG", "500", "500", "name", LONG_MARK),
		BAD("enterprise", "name", "E_STRING_TOO_LONG", NULL, NULL, "name", LONG_MARK),
	};
	(void)state;
	RUN(t);
}

/* org units: exists, leaf where the schema says so */
static void
test_org_units(void **state)
{
	static const rcase_t t[] = {
		OK("labor_force", "org_unit", "066", "org_unit", " 066 "),
		BAD("labor_force", "org_unit", "E_ORG_UNIT_UNKNOWN", "099", "099", "org_unit", "099"),
		BAD("labor_force", "org_unit", "E_ORG_UNIT_UNKNOWN", NULL, NULL, "org_unit", "58"),
		BAD("labor_force", "org_unit", "E_ORG_UNIT_NOT_LEAF", "06", "parent unit", "org_unit", "06"),
		BAD("participant", "org_unit", "E_ORG_UNIT_NOT_LEAF", NULL, NULL, "org_unit", "06"),
		BAD("enterprise", "org_unit", "E_ORG_UNIT_NOT_LEAF", NULL, NULL, "org_unit", "06"),
		BAD("insured_unit", "org_unit", "E_ORG_UNIT_UNKNOWN", NULL, NULL, "org_unit", "067"),
		BAD("collection_agent", "org_unit", "E_ORG_UNIT_NOT_LEAF", NULL, NULL, "org_unit", "06"),
		OK("target", "org_unit", "06", "org_unit", "06"),     /* targets at any level */
		OK("target", "org_unit", "062", "org_unit", "062"),
		BAD("target", "org_unit", "E_ORG_UNIT_UNKNOWN", NULL, NULL, "org_unit", "6"),
	};
	(void)state;
	RUN(t);
}

/* a district committee may send rows of its own district only */
static void
test_scope(void **state)
{
	static const rcase_t t[] = {
		OK_AS("ubnd_058", "target", "org_unit", "058", "org_unit", "058"),
		BAD_AS("ubnd_058", "target", "org_unit", "E_OUT_OF_SCOPE", "phạm vi", "scope (058)",
		    "org_unit", "060"),
		BAD_AS("ubnd_058", "target", "org_unit", "E_OUT_OF_SCOPE", NULL, NULL, "org_unit", "06"),
		OK_AS("ubnd_066", "target", "org_unit", "066", "org_unit", "066"),
		OK_AS("sldtbxh", "target", "org_unit", "060", "org_unit", "060"),
		BAD_AS("ubnd_058", "target", "org_unit", "E_ORG_UNIT_UNKNOWN", NULL, NULL, "org_unit", "999"),
	};
	(void)state;
	RUN(t);
}

/* dates, months, years in both accepted forms */
static void
test_dates(void **state)
{
	static const rcase_t t[] = {
		OK("enterprise", "registered_on", "2010-03-15", "registered_on", "2010-03-15"),
		OK("enterprise", "registered_on", "2016-02-29", "registered_on", "29/02/2016"),
		OK("enterprise", "registered_on", "2016-02-01", "registered_on", "1/2/2016"),
		OK("enterprise", "registered_on", "", "registered_on", ""),
		BAD("enterprise", "registered_on", "E_DATE_INVALID", NULL, NULL, "registered_on", "31/04/2010"),
		BAD("enterprise", "registered_on", "E_DATE_INVALID", NULL, NULL, "registered_on", "29/02/2017"),
		BAD("enterprise", "registered_on", "E_DATE_FORMAT", NULL, NULL, "registered_on", "2010/03/15"),
		BAD("enterprise", "registered_on", "E_DATE_FORMAT", NULL, NULL, "registered_on", "15.03.2010"),
		OK("participant", "period", "2017-03", "period", "03/2017"),
		OK("participant", "period", "2017-03", "period", "3/2017"),
		OK("tax_employer", "period", "2017-12", "period", "2017-12"),
		BAD("participant", "period", "E_PERIOD_FORMAT", NULL, NULL, "period", "13/2017"),
		BAD("participant", "period", "E_PERIOD_FORMAT", NULL, NULL, "period", "2017-03-01"),
		BAD("insured_unit", "period", "E_PERIOD_FORMAT", NULL, NULL, "period", "T3/2017"),
		OK("labor_force", "year", "2017", "year", " 2017 "),
		BAD("labor_force", "year", "E_YEAR_FORMAT", NULL, NULL, "year", "17"),
		BAD("target", "year", "E_YEAR_FORMAT", NULL, NULL, "year", "2017-01"),
	};
	(void)state;
	RUN(t);
}

/* money, integers with their ranges, percentages */
static void
test_numbers(void **state)
{
	static const rcase_t t[] = {
		OK("tax_employer", "wage_fund", "1234567", "wage_fund", "1.234.567"),
		OK("tax_employer", "wage_fund", "1234567", "wage_fund", "1,234,567"),
		OK("tax_employer", "wage_fund", "1234567", "wage_fund", "1 234 567"),
		OK("tax_employer", "wage_fund", "", "wage_fund", ""),
		OK("insured_unit", "due", "10500000", "due", "10500000"),
		BAD("tax_employer", "wage_fund", "E_MONEY_FORMAT", NULL, NULL, "wage_fund", "12,5"),
		BAD("tax_employer", "wage_fund", "E_MONEY_FORMAT", NULL, NULL, "wage_fund", "1.234,567"),
		BAD("insured_unit", "paid", "E_MONEY_NEGATIVE", NULL, NULL, "paid", "-5"),
		BAD("insured_unit", "due", "E_MONEY_FORMAT", NULL, NULL, "due", "10tr"),
		OK("tax_employer", "employees", "1200", "employees", "1.200"),
		OK("tax_employer", "employees", "0", "employees", "0"),
		BAD("tax_employer", "employees", "E_INT_RANGE", NULL, NULL, "employees", "-1"),
		BAD("tax_employer", "employees", "E_INT_FORMAT", NULL, NULL, "employees", "12 người"),
		BAD("tax_employer", "employees", "E_INT_FORMAT", NULL, NULL, "employees", "1,5"),
		BAD("insured_unit", "arrears_months", "E_INT_RANGE", "1200", "1200", "arrears_months", "1201"),
		BAD("labor_force", "labor_force", "E_INT_RANGE", NULL, NULL, "labor_force", "0"),
		OK("target", "bhxh_pct", "30.5", "bhxh_pct", "30.5%"),
		OK("target", "bhxh_pct", "100", "bhxh_pct", "100"),
		OK("target", "bhtn_pct", "0.25", "bhtn_pct", "0,25"),
		BAD("target", "bhxh_pct", "E_PCT_RANGE", NULL, NULL, "bhxh_pct", "100,01"),
		BAD("target", "bhtn_pct", "E_PCT_RANGE", NULL, NULL, "bhtn_pct", "-1"),
		BAD("target", "bhxh_pct", "E_PCT_FORMAT", NULL, NULL, "bhxh_pct", "3o"),
	};
	(void)state;
	RUN(t);
}

/* booleans and enumerations with their Vietnamese values */
static void
test_bool_enum(void **state)
{
	static const rcase_t t[] = {
		OK("participant", "unemployment", "1", "unemployment", "có"),
		OK("participant", "unemployment", "1", "unemployment", "CO"),
		OK("participant", "unemployment", "1", "unemployment", "X"),
		OK("participant", "unemployment", "1", "unemployment", "true"),
		OK("participant", "unemployment", "0", "unemployment", "không"),
		OK("participant", "unemployment", "0", "unemployment", "no"),
		OK("participant", "unemployment", "0", "unemployment", ""),
		BAD("participant", "unemployment", "E_BOOL_FORMAT", NULL, NULL, "unemployment", "có lẽ"),
		OK("participant", "scheme", "compulsory", "scheme", "bat buoc"),
		OK("participant", "scheme", "compulsory", "scheme", "BB"),
		OK("participant", "scheme", "voluntary", "scheme", "Tự nguyện", "unemployment", "", "unit_code", ""),
		OK("participant", "scheme", "voluntary", "scheme", "TN", "unemployment", "", "unit_code", ""),
		BAD("participant", "scheme", "E_ENUM_VALUE", "Bắt buộc", "compulsory", "scheme", "hưu trí"),
		OK("enterprise", "status", "dissolved", "status", "GIẢI THỂ"),
		OK("enterprise", "status", "suspended", "status", "Tạm ngừng hoạt động"),
		OK("tax_employer", "status", "stopped", "status", "Ngừng hoạt động"),
		BAD("tax_employer", "status", "E_ENUM_VALUE", NULL, NULL, "status", "Tạm ngừng"),
		OK("collection_agent", "status", "inactive", "status", "ngung"),
	};
	(void)state;
	RUN(t);
}

/* required cells; optional ones may be empty */
static void
test_required(void **state)
{
	static const rcase_t t[] = {
		BAD("enterprise", "tax_code", "E_REQUIRED", "bắt buộc", "required", "tax_code", ""),
		BAD("enterprise", "name", "E_REQUIRED", NULL, NULL, "name", "   "),
		BAD("participant", "insurance_no", "E_REQUIRED", NULL, NULL, "insurance_no", ""),
		BAD("participant", "scheme", "E_REQUIRED", NULL, NULL, "scheme", ""),
		BAD("insured_unit", "arrears", "E_REQUIRED", NULL, NULL, "arrears", ""),
		BAD("target", "bhtn_pct", "E_REQUIRED", NULL, NULL, "bhtn_pct", ""),
		BAD("labor_force", "year", "E_REQUIRED", NULL, NULL, "year", "\t"),
		OK("insured_unit", "bhtn_count", "", "bhtn_count", "", "wage_basis", "", "name", ""),
		OK("participant", "agent_code", "", "agent_code", "", "citizen_id", ""),
		/* the first bad field, in schema order, is the one reported */
		BAD("participant", "insurance_no", "E_INSURANCE_NO_FORMAT", NULL, NULL, "insurance_no", "1",
		    "period", "x"),
	};
	(void)state;
	RUN(t);
}

/* the cross-field rules, each broken and kept */
static void
test_rules(void **state)
{
	static const rcase_t t[] = {
		/* voluntary_no_bhtn */
		BAD("participant", "unemployment", "E_RULE_VOLUNTARY_BHTN", "tự nguyện", "voluntary",
		    "scheme", "Tự nguyện", "unemployment", "x", "unit_code", ""),
		OK("participant", "unemployment", "0", "scheme", "Tự nguyện", "unemployment", "không", "unit_code", ""),
		OK("participant", "unemployment", "1", "scheme", "Bắt buộc", "unemployment", "có"),
		/* voluntary_no_unit */
		BAD("participant", "unit_code", "E_RULE_VOLUNTARY_UNIT", NULL, "leave the cell empty",
		    "scheme", "TN", "unemployment", "", "unit_code", "DV001"),
		/* compulsory_needs_unit */
		BAD("participant", "unit_code", "E_RULE_COMPULSORY_UNIT", "mã đơn vị", "unit code",
		    "scheme", "BB", "unit_code", ""),
		OK("participant", "unit_code", "DV002", "scheme", "BB", "unit_code", "dv002"),
		/* agent_voluntary_only */
		BAD("participant", "agent_code", "E_RULE_AGENT_COMPULSORY", "đại lý", "agent",
		    "scheme", "BB", "agent_code", "DL01"),
		OK("participant", "agent_code", "DL01", "scheme", "TN", "unemployment", "", "unit_code", "",
		    "agent_code", "DL01"),
		/* bhtn_le_insured */
		BAD("insured_unit", "bhtn_count", "E_RULE_BHTN_GT_INSURED", "(11)", "(11) exceed insured workers (10)",
		    "bhtn_count", "11", "insured_count", "10"),
		OK("insured_unit", "bhtn_count", "10", "bhtn_count", "10", "insured_count", "10"),
		OK("insured_unit", "bhtn_count", "", "bhtn_count", "", "insured_count", "0"),
		BAD("insured_unit", "bhtn_count", "E_RULE_BHTN_GT_INSURED", NULL, NULL,
		    "bhtn_count", "1.001", "insured_count", "999"),
		/* arrears_months_need_arrears */
		BAD("insured_unit", "arrears_months", "E_RULE_ARREARS_MONTHS_NO_ARREARS", "số nợ bằng 0",
		    "3 months in arrears", "arrears", "0", "arrears_months", "3"),
		OK("insured_unit", "arrears_months", "3", "arrears", "31.500.000", "arrears_months", "3"),
		OK("insured_unit", "arrears_months", "0", "arrears", "1.500.000", "arrears_months", "0"),
		/* paid above due is a prepayment, not an error */
		OK("insured_unit", "paid", "20000000", "due", "10.500.000", "paid", "20.000.000"),
		OK("insured_unit", "paid", "0", "paid", "0", "arrears", "10.500.000", "arrears_months", "1"),
		/* bhtn_target_le_bhxh */
		BAD("target", "bhtn_pct", "E_RULE_BHTN_TARGET_GT_BHXH", "(40%)", "(40%) exceeds the BHXH target (30.5%)",
		    "bhtn_pct", "40"),
		OK("target", "bhtn_pct", "30.5", "bhtn_pct", "30,5"),
		BAD("target", "bhtn_pct", "E_RULE_BHTN_TARGET_GT_BHXH", NULL, NULL,
		    "bhxh_pct", "9,99", "bhtn_pct", "10"),
	};
	(void)state;
	RUN(t);
}

/* s_slurp - a whole file into a string. */
static char *
s_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	assert_non_null(f);
	do {
		cap = cap * 2 + 4096;
		buf = realloc(buf, cap);
		assert_non_null(buf);
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* s_replace - text with the first occurrence of old replaced (malloc'd). */
static char *
s_replace(char *text, const char *old, const char *new)
{
	char *p = strstr(text, old), *out;

	if (p == NULL)
		fprintf(stderr, "the shipped schemas no longer contain: %s\n", old);
	assert_non_null(p);
	out = malloc(strlen(text) - strlen(old) + strlen(new) + 1);
	assert_non_null(out);
	memcpy(out, text, (size_t)(p - text));
	strcpy(out + (p - text), new);
	strcat(out, p + strlen(old));
	free(text);
	return out;
}

/* s_abs_paths - the main configuration text with the files it names
 * (findings, alerting) made absolute, relative to the shipped file's
 * directory, so that a copy elsewhere finds them; schemas stays relative
 * and so names the copy beside it. */
static char *
s_abs_paths(char *text, const char *cfg_path)
{
	static const char *const keys[] = { "\nfindings: ", "\nalerting: ", NULL };
	char dir[PATH_MAX + 32];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", cfg_path);
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	for (int i = 0; keys[i] != NULL; i++) {
		char *p = strstr(text, keys[i]), old[PATH_MAX], new[2 * PATH_MAX + 64];
		size_t klen = strlen(keys[i]), vlen;

		if (p == NULL || p[klen] == '/' || p[klen] == '"' || p[klen] == '\'')
			continue;
		vlen = strcspn(p + klen, " \t\n#");
		snprintf(old, sizeof(old), "%.*s", (int)(klen + vlen), p);
		snprintf(new, sizeof(new), "%.*s%s/%.*s", (int)klen, p, dir, (int)vlen, p + klen);
		text = s_replace(text, old, new);
	}
	return text;
}

/* s_write - text into path. */
static void
s_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* s_has_folded - the field matches the header name h. */
static int
s_has_folded(const cfg_field_t *f, const char *h)
{
	char *k = text_fold_key(h);
	int found = 0;

	for (int i = 0; k != NULL && i < f->nfolded; i++)
		found |= strcmp(f->folded[i], k) == 0;
	free(k);
	return found;
}

/* A schema copy with an extra field, an extra header alias, an extra
 * enumeration value and an extra alias of a value: rows using them pass
 * rowcheck_row and headers using them match, with no change in C. */
static void
test_extend_without_code(void **state)
{
	char dir[] = "/tmp/test_rowcheck.XXXXXX", main_path[64], schema_path[64];
	char shipped_schemas[PATH_MAX + 64], *main_text, *schema_text, *slash;
	yt_diag_t d = { 0 };
	config_t *c;
	const cfg_rtype_t *ent;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(main_path, sizeof(main_path), "%s/bhxh.yaml", dir);
	snprintf(schema_path, sizeof(schema_path), "%s/schemas.yaml", dir);
	snprintf(shipped_schemas, sizeof(shipped_schemas), "%s", s_cfg_path);
	slash = strrchr(shipped_schemas, '/');
	snprintf(slash ? slash + 1 : shipped_schemas,
	    sizeof(shipped_schemas) - (size_t)(slash ? slash + 1 - shipped_schemas : 0), "schemas.yaml");

	schema_text = s_slurp(shipped_schemas);
	schema_text = s_replace(schema_text, "          dissolved: [Giải thể]\n",
	    "          dissolved: [Giải thể]\n          bankrupt: [Phá sản, Đã phá sản]\n");
	schema_text = s_replace(schema_text, "compulsory: [Bắt buộc, BB]",
	    "compulsory: [Bắt buộc, BB, BHXH bắt buộc]");
	schema_text = s_replace(schema_text, "aliases: [Mã số thuế, MST, ma so doanh nghiep]",
	    "aliases: [Mã số thuế, MST, ma so doanh nghiep, Mã số DN]");
	schema_text = s_replace(schema_text,
	    "      - { name: registered_on, type: date, required: false, aliases: [Ngày đăng ký, ngay dang ky] }\n",
	    "      - { name: registered_on, type: date, required: false, aliases: [Ngày đăng ký, ngay dang ky] }\n"
	    "      - { name: employees_declared, type: int, min: 0, max: 1000000, required: false, aliases: [Số lao động đăng ký] }\n");
	s_write(schema_path, schema_text);
	free(schema_text);

	/* the shipped org units and agencies, with the copied schemas */
	main_text = s_abs_paths(s_slurp(s_cfg_path), s_cfg_path);
	s_write(main_path, main_text);
	free(main_text);

	c = config_load(main_path, &d);
	yt_diag_print(&d, stderr);
	assert_non_null(c);
	yt_diag_free(&d);

	ent = config_rtype(c, "enterprise");
	assert_int_equal(ent->nfields, config_rtype(s_cfg, "enterprise")->nfields + 1);
	assert_true(s_has_folded(&ent->fields[config_field_index(ent, "tax_code")], "MÃ SỐ DN"));
	assert_true(s_has_folded(&ent->fields[config_field_index(ent, "employees_declared")], "so lao dong dang ky"));
	assert_false(s_has_folded(&config_rtype(s_cfg, "enterprise")->fields[0], "Mã số DN"));
	{
		static const rcase_t t[] = {
			OK("enterprise", "status", "bankrupt", "status", "Phá sản", "employees_declared", "1.500"),
			OK("enterprise", "employees_declared", "1500", "status", "đã phá sản", "employees_declared", "1.500"),
			OK("enterprise", "employees_declared", "", "employees_declared", ""),
			BAD("enterprise", "employees_declared", "E_INT_RANGE", NULL, NULL, "employees_declared", "-3"),
			OK("participant", "scheme", "compulsory", "scheme", "bhxh bat buoc"),
		};

		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			s_check(c, &t[i], (int)i);
	}
	/* the shipped schemas refuse the new value */
	{
		static const rcase_t t[] = {
			BAD("enterprise", "status", "E_ENUM_VALUE", NULL, NULL, "status", "Phá sản"),
			BAD("participant", "scheme", "E_ENUM_VALUE", NULL, NULL, "scheme", "bhxh bat buoc"),
		};

		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			s_check(s_cfg, &t[i], (int)i);
	}
	config_free(&c);
	unlink(main_path);
	unlink(schema_path);
	rmdir(dir);
}

/* s_root_file - ROOT/rel of this source tree, from the configuration's path. */
static void
s_root_file(char *buf, size_t size, const char *rel)
{
	char dir[PATH_MAX + 32], *slash;

	snprintf(dir, sizeof(dir), "%s", s_cfg_path);
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	snprintf(buf, size, "%s/%s", dir, rel);
}

/* every "E_..." code in the validation sources and the aggregate's apply
 * step is listed in docs/REJECTION_CODES.md */
static void
test_codes_documented(void **state)
{
	static const char *const srcs[] = { "common/fieldcheck.c", "common/rowcheck.c",
		"workers/validate/main.c", "workers/aggregate/apply.c", "workers/aggregate/flow.c",
		"workers/ingest/intake.c", "workers/ingest/reader.c", NULL };
	char path[PATH_MAX + 64], *doc;
	int ncodes = 0;
	(void)state;

	s_root_file(path, sizeof(path), "docs/REJECTION_CODES.md");
	doc = s_slurp(path);
	for (int i = 0; srcs[i] != NULL; i++) {
		char *src;

		s_root_file(path, sizeof(path), srcs[i]);
		src = s_slurp(path);
		for (char *p = strstr(src, "\"E_"); p != NULL; p = strstr(p + 1, "\"E_")) {
			char code[64], want[70];
			size_t n = strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");

			if (n < 3 || n >= sizeof(code) || p[1 + n] != '"')
				continue;
			snprintf(code, sizeof(code), "%.*s", (int)n, p + 1);
			snprintf(want, sizeof(want), "| `%s` |", code);
			if (strstr(doc, want) == NULL)
				fprintf(stderr, "%s raises %s, not in docs/REJECTION_CODES.md\n", srcs[i], code);
			assert_non_null(strstr(doc, want));
			ncodes++;
		}
		free(src);
	}
	assert_true(ncodes >= 30);
	free(doc);
}

/* s_values - the base row of rtype with the given (field, value) pairs over it. */
static char **
s_values(const cfg_rtype_t *rt, const char *const *set)
{
	const char *const *base = s_base(rt->name);
	char **values = calloc((size_t)rt->nfields, sizeof(char *));

	assert_non_null(values);
	for (int i = 0; base[i] != NULL; i += 2)
		s_put(rt, values, base[i], base[i + 1]);
	for (int i = 0; set != NULL && set[i] != NULL; i += 2)
		s_put(rt, values, set[i], set[i + 1]);
	return values;
}

/* s_free_values - values and out of a row of rt. */
static void
s_free_values(const cfg_rtype_t *rt, char **values, char **out)
{
	for (int i = 0; i < rt->nfields; i++) {
		free(values[i]);
		free(out[i]);
	}
	free(values);
	free(out);
}

/* every error of a row, fields in schema order, then the rules; a rule
 * reading a bad cell is not reported besides that cell's own error */
static void
test_all_errors(void **state)
{
	static const char *const set[] = { "insurance_no", "12345", "period", "13/2017", "scheme", "Tự nguyện",
		"unemployment", "có", NULL };
	static const char *const set2[] = { "period", "2017/03", "scheme", "hợp đồng", "unit_code", "", NULL };
	const cfg_rtype_t *rt = config_rtype(s_cfg, "participant");
	const cfg_agency_t *ag = s_default_agency(s_cfg, "participant");
	rowcheck_error_t errs[ROWCHECK_MAX_ERRORS];
	rowcheck_errors_t e = { .errs = errs, .max = ROWCHECK_MAX_ERRORS };
	char **values, **out;

	(void)state;
	values = s_values(rt, set);
	out = calloc((size_t)rt->nfields, sizeof(char *));
	assert_int_equal(rowcheck_row_all(s_cfg, ag, rt, values, out, &e), -1);
	/* insurance_no, period, then the rules on valid cells: voluntary with BHTN, voluntary with a unit */
	assert_int_equal(e.n, 4);
	assert_int_equal(e.total, 4);
	assert_string_equal(errs[0].field, "insurance_no");
	assert_string_equal(errs[0].err.code, "E_INSURANCE_NO_FORMAT");
	assert_string_equal(errs[1].field, "period");
	assert_string_equal(errs[1].err.code, "E_PERIOD_FORMAT");
	assert_string_equal(errs[2].err.code, "E_RULE_VOLUNTARY_BHTN");
	assert_string_equal(errs[3].err.code, "E_RULE_VOLUNTARY_UNIT");
	for (int i = 0; i < rt->nfields; i++)
		assert_null(out[i]);
	s_free_values(rt, values, out);

	/* a bad scheme: the rules that read it are not checked (no E_RULE_COMPULSORY_UNIT for the empty unit) */
	values = s_values(rt, set2);
	out = calloc((size_t)rt->nfields, sizeof(char *));
	assert_int_equal(rowcheck_row_all(s_cfg, ag, rt, values, out, &e), -1);
	assert_int_equal(e.n, 2);
	assert_string_equal(errs[0].err.code, "E_PERIOD_FORMAT");
	assert_string_equal(errs[1].err.code, "E_ENUM_VALUE");
	s_free_values(rt, values, out);

	/* a good row: no error, canonical values out */
	values = s_values(rt, NULL);
	out = calloc((size_t)rt->nfields, sizeof(char *));
	assert_int_equal(rowcheck_row_all(s_cfg, ag, rt, values, out, &e), 0);
	assert_int_equal(e.n, 0);
	assert_string_equal(out[config_field_index(rt, "period")], "2017-03");
	s_free_values(rt, values, out);
}

/* more errors than there is room for: the last kept one says how many more */
static void
test_error_cap(void **state)
{
	static const char *const set[] = { "unit_code", "?", "tax_code", "1", "period", "x", "insured_count", "-1",
		NULL };
	const cfg_rtype_t *rt = config_rtype(s_cfg, "insured_unit");
	const cfg_agency_t *ag = s_default_agency(s_cfg, "insured_unit");
	rowcheck_error_t errs[3];
	rowcheck_errors_t e = { .errs = errs, .max = 3 };
	const char *bad = NULL;
	fc_error_t err = { 0 };
	char **values, **out;

	(void)state;
	values = s_values(rt, set);
	out = calloc((size_t)rt->nfields, sizeof(char *));
	assert_int_equal(rowcheck_row_all(s_cfg, ag, rt, values, out, &e), -1);
	assert_int_equal(e.total, 4);
	assert_int_equal(e.n, 3);
	assert_string_equal(errs[0].err.code, "E_UNIT_CODE_FORMAT");
	assert_string_equal(errs[1].err.code, "E_TAX_CODE_FORMAT");
	assert_string_equal(errs[2].err.code, "E_ROW_TOO_MANY_ERRORS");
	assert_null(errs[2].field);
	assert_non_null(strstr(errs[2].err.en, "2 more errors"));
	assert_non_null(strstr(errs[2].err.vi, "còn 2 lỗi"));
	/* rowcheck_row: the first error only, never the note */
	assert_int_equal(rowcheck_row(s_cfg, ag, rt, values, out, &bad, &err), -1);
	assert_string_equal(err.code, "E_UNIT_CODE_FORMAT");
	assert_string_equal(bad, "unit_code");
	s_free_values(rt, values, out);
}

/* the closest accepted heading of a clerk's heading, and the missing fields
 * with the headings accepted for them */
static void
test_column_hints(void **state)
{
	const cfg_rtype_t *rt = config_rtype(s_cfg, "tax_employer");
	char *unknown[] = { "Mã số thuế doanh nghiệp", "Số người lao động", "Tình trạng", "Ghi chú" };
	char *heading_of[8] = { NULL };
	colhint_t h;
	int fi;

	(void)state;
	assert_non_null(rt);
	assert_string_equal(colhint_closest(rt, "Mã số thuế doanh nghiệp", NULL, &fi), "Mã số thuế");
	assert_string_equal(rt->fields[fi].name, "tax_code");
	assert_string_equal(colhint_closest(rt, "Số người lao động", NULL, &fi), "Số lao động");
	assert_string_equal(rt->fields[fi].name, "employees");
	assert_string_equal(colhint_closest(rt, "MST DN", NULL, &fi), "MST");
	assert_null(colhint_closest(rt, "Ghi chú", NULL, &fi));
	assert_int_equal(fi, -1);
	assert_true(colhint_similarity("ma so thue", "ma so thue") == 1.0);
	assert_true(colhint_similarity("abc", "xyz") < COLHINT_MIN);

	heading_of[config_field_index(rt, "period")] = "Kỳ";
	colhint_build(&h, rt, heading_of, 4, unknown, 1);
	assert_string_equal(h.column_of[config_field_index(rt, "period")], "Kỳ");
	assert_string_equal(h.hints[0].closest, "Mã số thuế");
	assert_string_equal(h.hints[0].field, "tax_code");
	assert_string_equal(h.hints[1].field, "employees");
	assert_string_equal(h.hints[2].field, "status");
	assert_null(h.hints[3].closest);
	/* tax_code, employees and status are required and missing; wage_fund is optional */
	assert_int_equal(h.nmissing, 3);
	assert_string_equal(h.missing[0].field, "tax_code");
	assert_string_equal(h.missing[0].aliases[0], "Mã số thuế");
	assert_string_equal(h.missing[1].field, "employees");
	assert_string_equal(h.missing[2].field, "status");
	colhint_free(&h);
}

/* the receipt's summary has a meaning for every code the document lists */
static void
test_codes_have_meanings(void **state)
{
	char path[PATH_MAX + 64], *doc;
	int ncodes = 0;

	(void)state;
	s_root_file(path, sizeof(path), "docs/REJECTION_CODES.md");
	doc = s_slurp(path);
	for (char *p = strstr(doc, "| `E_"); p != NULL; p = strstr(p + 1, "| `E_")) {
		char code[64];
		const char *vi, *en;
		size_t n = strspn(p + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");

		snprintf(code, sizeof(code), "%.*s", (int)n, p + 3);
		if (receipt_code_meaning(code, &vi, &en) != 0)
			fprintf(stderr, "%s has no meaning in common/receipt.c\n", code);
		assert_int_equal(receipt_code_meaning(code, &vi, &en), 0);
		ncodes++;
	}
	assert_true(ncodes >= 50);
	free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_rows),
		cmocka_unit_test(test_tax_code),
		cmocka_unit_test(test_personal_ids),
		cmocka_unit_test(test_codes_and_text),
		cmocka_unit_test(test_org_units),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_bool_enum),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_extend_without_code),
		cmocka_unit_test(test_codes_documented),
		cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_column_hints),
		cmocka_unit_test(test_codes_have_meanings),
	};

	return cmocka_run_group_tests(tests, s_group_setup, s_group_teardown);
}
