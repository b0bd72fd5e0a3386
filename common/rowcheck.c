/* rowcheck - schema, scope and cross-field checks of one row (see rowcheck.h).
 *
 * Codes raised here besides those of fieldcheck.c: E_REQUIRED,
 * E_STRING_TOO_LONG, E_ORG_UNIT_UNKNOWN, E_ORG_UNIT_NOT_LEAF, E_OUT_OF_SCOPE,
 * E_RULE_VOLUNTARY_BHTN, E_RULE_VOLUNTARY_UNIT, E_RULE_COMPULSORY_UNIT,
 * E_RULE_AGENT_COMPULSORY, E_RULE_BHTN_GT_INSURED, E_RULE_ARREARS_MONTHS_NO_ARREARS,
 * E_RULE_BHTN_TARGET_GT_BHXH, and E_ROW_TOO_MANY_ERRORS, the note that ends
 * the list of a row with more errors than are kept (docs/REJECTION_CODES.md).
 * Every field is checked, then the scope and every rule. The rules themselves
 * are described in docs/VALIDATION.md; config.c knows their names and the
 * fields each one reads. */
#include "rowcheck.h"
#include "xalloc.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRING_MAX 500 /* bytes in a free-text cell (a name) */

/* s_err - fill err with a code and formatted messages. */
static int
s_err(fc_error_t *err, const char *code, const char *vi, const char *en, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, en);
	vsnprintf(err->vi, sizeof(err->vi), vi, ap);
	va_end(ap);
	va_start(ap, en);
	/* the same arguments serve both formats */
	vsnprintf(err->en, sizeof(err->en), en, ap);
	va_end(ap);
	return -1;
}

/* s_trimmed - copy of s without surrounding ASCII space. */
static char *
s_trimmed(const char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return xstrndup(s, n);
}

/* s_org_unit - the code exists (and is a leaf when asked). */
static int
s_org_unit(const config_t *c, const char *in, int leaf, char *out, size_t outsz, fc_error_t *err)
{
	char *v = s_trimmed(in);
	int u = config_unit_index(c, v);

	if (u < 0) {
		s_err(err, "E_ORG_UNIT_UNKNOWN", "mã đơn vị hành chính '%.40s' không có trong danh mục",
		    "org unit code '%.40s' is not in the configured list", v);
		free(v);
		return -1;
	}
	if (leaf && c->units[u].nchildren > 0) {
		s_err(err, "E_ORG_UNIT_NOT_LEAF", "'%.40s' là đơn vị cấp trên; dữ liệu phải ghi mã cấp cơ sở (huyện/xã)",
		    "'%.40s' is a parent unit; data rows must carry a lowest-level unit code", v);
		free(v);
		return -1;
	}
	snprintf(out, outsz, "%s", v);
	free(v);
	return 0;
}

/* s_field - check one non-empty cell by its type. */
static int
s_field(const config_t *c, const cfg_field_t *f, const char *in, char *out, size_t outsz, fc_error_t *err)
{
	switch (f->type) {
	case FT_STRING: {
		char *v = s_trimmed(in);
		int too_long = strlen(v) > STRING_MAX;

		if (!too_long)
			snprintf(out, outsz, "%s", v);
		free(v);
		if (too_long)
			return s_err(err, "E_STRING_TOO_LONG", "văn bản dài quá %d byte", "text longer than %d bytes",
			    STRING_MAX);
		return 0;
	}
	case FT_TAX_CODE: return fc_tax_code(in, out, outsz, err);
	case FT_INSURANCE_NO: return fc_insurance_no(in, out, outsz, err);
	case FT_CITIZEN_ID: return fc_citizen_id(in, out, outsz, err);
	case FT_UNIT_CODE: return fc_unit_code(in, out, outsz, err);
	case FT_CODE: return fc_code(in, out, outsz, err);
	case FT_ORG_UNIT: return s_org_unit(c, in, 0, out, outsz, err);
	case FT_ORG_UNIT_LEAF: return s_org_unit(c, in, 1, out, outsz, err);
	case FT_DATE: return fc_date(in, out, outsz, err);
	case FT_PERIOD: return fc_period(in, out, outsz, err);
	case FT_YEAR: return fc_year(in, out, outsz, err);
	case FT_MONEY: return fc_money(in, out, outsz, err);
	case FT_INT:
		return fc_int(in, f->has_min ? (long long)f->min : LLONG_MIN, f->has_max ? (long long)f->max : LLONG_MAX,
		    out, outsz, err);
	case FT_PCT:
		return fc_pct(in, f->has_min ? f->min : -1e15, f->has_max ? f->max : 1e15, out, outsz, err);
	case FT_BOOL: return fc_bool(in, out, outsz, err);
	case FT_ENUM:
		return fc_enum(in, (const char *const *)f->values, (const char *const *const *)f->value_aliases,
		    out, outsz, err);
	}
	return s_err(err, "E_INTERNAL", "lỗi nội bộ", "internal error");
}

/* s_val - canonical value of a named field, "" if absent. */
static const char *
s_val(const cfg_rtype_t *rt, char **out, const char *name)
{
	int i = config_field_index(rt, name);

	return i >= 0 && out[i] != NULL ? out[i] : "";
}

/* s_has_rule - the record type lists the rule. */
static int
s_has_rule(const cfg_rtype_t *rt, const char *rule)
{
	for (int i = 0; i < rt->nrules; i++)
		if (strcmp(rt->rules[i], rule) == 0)
			return 1;
	return 0;
}

/* s_found - one more error of the row: kept while there is room, counted
 * always. When there are more than max, the last slot says how many more. */
static void
s_found(rowcheck_errors_t *e, const char *field, const fc_error_t *err)
{
	if (e->n < e->max)
		e->errs[e->n++] = (rowcheck_error_t){ .field = field, .err = *err };
	e->total++;
}

/* s_ok - the named fields (NULL-terminated) passed their own checks: a rule
 * reads only valid values, so a bad cell never breaks a rule as well. */
static int
s_ok(const cfg_rtype_t *rt, char **out, ...)
{
	va_list ap;
	const char *name;
	int ok = 1;

	va_start(ap, out);
	while ((name = va_arg(ap, const char *)) != NULL) {
		int i = config_field_index(rt, name);

		if (i >= 0 && out[i] == NULL)
			ok = 0;
	}
	va_end(ap);
	return ok;
}

/* s_rule - a broken rule: its error, for the field it names. */
static void
s_rule(rowcheck_errors_t *e, const char *field, const char *code, const char *vi, const char *en, ...)
{
	fc_error_t err = { 0 };
	va_list ap;

	err.code = code;
	va_start(ap, en);
	vsnprintf(err.vi, sizeof(err.vi), vi, ap);
	va_end(ap);
	va_start(ap, en);
	vsnprintf(err.en, sizeof(err.en), en, ap);
	va_end(ap);
	s_found(e, field, &err);
}

/* s_rules - cross-field rules of docs/DOMAIN.md §3.5 (docs/VALIDATION.md),
 * every one that applies, each on fields that passed their own checks.
 * Values are canonical here: bools "0"/"1", ints and money plain digits,
 * percentages with '.'; an optional empty cell never breaks a rule. */
static void
s_rules(const cfg_rtype_t *rt, char **out, rowcheck_errors_t *e)
{
	const char *scheme = s_val(rt, out, "scheme");
	int vol = strcmp(scheme, "voluntary") == 0, comp = strcmp(scheme, "compulsory") == 0;

	if (s_has_rule(rt, "voluntary_no_bhtn") && s_ok(rt, out, "scheme", "unemployment", NULL) && vol &&
	    strcmp(s_val(rt, out, "unemployment"), "1") == 0)
		s_rule(e, "unemployment", "E_RULE_VOLUNTARY_BHTN", "người tham gia tự nguyện không thể tham gia BHTN",
		    "a voluntary participant cannot have unemployment insurance (BHTN)");
	if (s_has_rule(rt, "voluntary_no_unit") && s_ok(rt, out, "scheme", "unit_code", NULL) && vol &&
	    s_val(rt, out, "unit_code")[0])
		s_rule(e, "unit_code", "E_RULE_VOLUNTARY_UNIT", "người tham gia tự nguyện không có mã đơn vị; để trống ô này",
		    "a voluntary participant has no unit code; leave the cell empty");
	if (s_has_rule(rt, "compulsory_needs_unit") && s_ok(rt, out, "scheme", "unit_code", NULL) && comp &&
	    !s_val(rt, out, "unit_code")[0])
		s_rule(e, "unit_code", "E_RULE_COMPULSORY_UNIT", "người tham gia bắt buộc phải có mã đơn vị",
		    "a compulsory participant needs the unit code of the employer");
	if (s_has_rule(rt, "agent_voluntary_only") && s_ok(rt, out, "scheme", "agent_code", NULL) &&
	    s_val(rt, out, "agent_code")[0] && !vol)
		s_rule(e, "agent_code", "E_RULE_AGENT_COMPULSORY", "chỉ người tham gia tự nguyện mới có mã đại lý thu",
		    "only voluntary participants have a collection agent code");
	if (s_has_rule(rt, "bhtn_le_insured") && s_ok(rt, out, "bhtn_count", "insured_count", NULL) &&
	    s_val(rt, out, "bhtn_count")[0] &&
	    atoll(s_val(rt, out, "bhtn_count")) > atoll(s_val(rt, out, "insured_count")))
		s_rule(e, "bhtn_count", "E_RULE_BHTN_GT_INSURED",
		    "số lao động tham gia BHTN (%s) lớn hơn số lao động tham gia BHXH (%s)",
		    "unemployment-insured workers (%s) exceed insured workers (%s)",
		    s_val(rt, out, "bhtn_count"), s_val(rt, out, "insured_count"));
	if (s_has_rule(rt, "arrears_months_need_arrears") && s_ok(rt, out, "arrears_months", "arrears", NULL) &&
	    atoll(s_val(rt, out, "arrears_months")) > 0 && s_val(rt, out, "arrears")[0] &&
	    atoll(s_val(rt, out, "arrears")) == 0)
		s_rule(e, "arrears_months", "E_RULE_ARREARS_MONTHS_NO_ARREARS",
		    "số tháng nợ là %s nhưng số nợ bằng 0; đơn vị không nợ thì số tháng nợ phải là 0",
		    "%s months in arrears but the amount owed is 0; with nothing owed the months must be 0",
		    s_val(rt, out, "arrears_months"));
	if (s_has_rule(rt, "bhtn_target_le_bhxh") && s_ok(rt, out, "bhtn_pct", "bhxh_pct", NULL) &&
	    s_val(rt, out, "bhtn_pct")[0] && s_val(rt, out, "bhxh_pct")[0] &&
	    strtod(s_val(rt, out, "bhtn_pct"), NULL) > strtod(s_val(rt, out, "bhxh_pct"), NULL))
		s_rule(e, "bhtn_pct", "E_RULE_BHTN_TARGET_GT_BHXH",
		    "chỉ tiêu BHTN (%s%%) lớn hơn chỉ tiêu BHXH (%s%%); người tham gia BHTN đều tham gia BHXH bắt buộc",
		    "the BHTN target (%s%%) exceeds the BHXH target (%s%%); everyone with BHTN is also in BHXH",
		    s_val(rt, out, "bhtn_pct"), s_val(rt, out, "bhxh_pct"));
}

/* s_scope - a scoped agency may send rows of its own subtree only (a valid
 * org unit: an unknown one is already reported). */
static void
s_scope(const config_t *c, const cfg_agency_t *ag, const cfg_rtype_t *rt, char **out, rowcheck_errors_t *e)
{
	int root, u, fi = config_field_index(rt, "org_unit");
	fc_error_t err = { 0 };

	if (ag == NULL || ag->scope == NULL || fi < 0 || out[fi] == NULL)
		return;
	root = config_unit_index(c, ag->scope);
	u = config_unit_index(c, out[fi]);
	if (u >= 0 && config_unit_within(c, u, root))
		return;
	s_err(&err, "E_OUT_OF_SCOPE", "đơn vị '%.40s' nằm ngoài phạm vi của cơ quan gửi (%s)",
	    "org unit '%.40s' is outside the sending agency's scope (%s)", out[fi], ag->scope);
	s_found(e, "org_unit", &err);
}

/* s_more - the last kept error becomes the note that says how many more the
 * row has (more than e->max in all). */
static void
s_more(rowcheck_errors_t *e)
{
	rowcheck_error_t *last;
	unsigned more;

	if (e->total <= e->n || e->max < 2)
		return;
	last = &e->errs[e->n - 1];
	more = e->total - e->n + 1;
	last->field = NULL;
	s_err(&last->err, "E_ROW_TOO_MANY_ERRORS",
	    "dòng còn %u lỗi khác không được liệt kê (mỗi dòng liệt kê tối đa %u lỗi); sửa các lỗi trên rồi gửi lại",
	    "the row has %u more errors not listed (at most %u are listed per row); fix those above and send it again",
	    more, e->max);
}

/* rowcheck_row_all - see rowcheck.h. */
int
rowcheck_row_all(const config_t *c, const cfg_agency_t *ag, const cfg_rtype_t *rt, char *const *values,
    char **out, rowcheck_errors_t *e)
{
	char buf[1024];

	e->n = e->total = 0;
	memset(out, 0, sizeof(char *) * (size_t)rt->nfields);
	for (int i = 0; i < rt->nfields; i++) {
		const cfg_field_t *f = &rt->fields[i];
		const char *v = values[i] ? values[i] : "";
		const char *p = v;
		fc_error_t err = { 0 };

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0') {
			if (f->required) {
				s_err(&err, "E_REQUIRED", "thiếu giá trị bắt buộc", "a required value is missing");
				s_found(e, f->name, &err);
				continue;
			}
			out[i] = xstrdup(f->type == FT_BOOL ? "0" : "");
			continue;
		}
		if (s_field(c, f, v, buf, sizeof(buf), &err) != 0) {
			s_found(e, f->name, &err);
			continue;
		}
		out[i] = xstrdup(buf);
	}
	s_scope(c, ag, rt, out, e);
	s_rules(rt, out, e);
	if (e->total == 0)
		return 0;
	s_more(e);
	for (int i = 0; i < rt->nfields; i++) {
		free(out[i]);
		out[i] = NULL;
	}
	return -1;
}

/* rowcheck_row - see rowcheck.h: the first error only. */
int
rowcheck_row(const config_t *c, const cfg_agency_t *ag, const cfg_rtype_t *rt, char *const *values,
    char **out, const char **bad_field, fc_error_t *err)
{
	rowcheck_error_t first;
	rowcheck_errors_t e = { .errs = &first, .max = 1 };

	*bad_field = NULL;
	if (rowcheck_row_all(c, ag, rt, values, out, &e) == 0)
		return 0;
	*bad_field = first.field;
	*err = first.err;
	return -1;
}
