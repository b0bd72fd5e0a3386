/* test_fieldcheck - table-driven tests of common/fieldcheck.c.
 *
 * Each table row is one cell: the canonical form it must give, or the code it
 * must fail with and words its Vietnamese and English messages must contain.
 * Every failure is also checked for what holds of all messages: both present,
 * valid UTF-8, not cut short, and for personal data (citizen ID, social insurance
 * number) free of any 4 consecutive bytes of the value. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <utf8proc.h>

#include "fieldcheck.h"

typedef struct {
	fc_type_t type;
	const char *in;
	const char *want;     /* canonical form; NULL when the cell must be refused */
	const char *code;     /* expected code when refused */
	const char *vi_has;   /* must appear in the Vietnamese message (or NULL) */
	const char *en_has;   /* must appear in the English message (or NULL) */
	long long imin, imax; /* FC_INT range */
	double pmin, pmax;    /* FC_PCT range */
	const char *const *canon;                /* FC_ENUM values */
	const char *const *const *aliases;       /* FC_ENUM aliases */
} tcase_t;

#define OK(t, i, w) { .type = (t), .in = (i), .want = (w) }
#define BAD(t, i, c, v, e) { .type = (t), .in = (i), .code = (c), .vi_has = (v), .en_has = (e) }
#define INT_OK(i, lo, hi, w) { .type = FC_INT, .in = (i), .want = (w), .imin = (lo), .imax = (hi) }
#define INT_BAD(i, lo, hi, c, v, e) { .type = FC_INT, .in = (i), .code = (c), .vi_has = (v), \
	.en_has = (e), .imin = (lo), .imax = (hi) }
#define PCT_OK(i, lo, hi, w) { .type = FC_PCT, .in = (i), .want = (w), .pmin = (lo), .pmax = (hi) }
#define PCT_BAD(i, lo, hi, c, v, e) { .type = FC_PCT, .in = (i), .code = (c), .vi_has = (v), \
	.en_has = (e), .pmin = (lo), .pmax = (hi) }
#define ENUM_OK(i, w, cn, al) { .type = FC_ENUM, .in = (i), .want = (w), .canon = (cn), .aliases = (al) }
#define ENUM_BAD(i, v, e, cn, al) { .type = FC_ENUM, .in = (i), .code = "E_ENUM_VALUE", \
	.vi_has = (v), .en_has = (e), .canon = (cn), .aliases = (al) }

/* Enumerations of docs/DOMAIN.md §3.5 with their Vietnamese aliases. */
static const char *const scheme_canon[] = { "compulsory", "voluntary", NULL };
static const char *const scheme_comp[] = { "Bắt buộc", "bat buoc", "BB", NULL };
static const char *const scheme_vol[] = { "Tự nguyện", "tu nguyen", "TN", NULL };
static const char *const *const scheme_alias[] = { scheme_comp, scheme_vol };

static const char *const status_canon[] = { "active", "suspended", "dissolved", NULL };
static const char *const status_active[] = { "Đang hoạt động", NULL };
static const char *const status_susp[] = { "Tạm ngừng", NULL };
static const char *const *const status_alias[] = { status_active, status_susp, NULL };

/* s_run - call the checker for c's type */
static int s_run(const tcase_t *c, char *out, size_t outsz, fc_error_t *err)
{
	switch (c->type) {
	case FC_TAX_CODE: return fc_tax_code(c->in, out, outsz, err);
	case FC_INSURANCE_NO: return fc_insurance_no(c->in, out, outsz, err);
	case FC_CITIZEN_ID: return fc_citizen_id(c->in, out, outsz, err);
	case FC_UNIT_CODE: return fc_unit_code(c->in, out, outsz, err);
	case FC_CODE: return fc_code(c->in, out, outsz, err);
	case FC_DATE: return fc_date(c->in, out, outsz, err);
	case FC_PERIOD: return fc_period(c->in, out, outsz, err);
	case FC_YEAR: return fc_year(c->in, out, outsz, err);
	case FC_MONEY: return fc_money(c->in, out, outsz, err);
	case FC_INT: return fc_int(c->in, c->imin, c->imax, out, outsz, err);
	case FC_PCT: return fc_pct(c->in, c->pmin, c->pmax, out, outsz, err);
	case FC_BOOL: return fc_bool(c->in, out, outsz, err);
	case FC_ENUM: return fc_enum(c->in, c->canon, c->aliases, out, outsz, err);
	default: return -2;
	}
}

/* s_utf8_ok - 1 if s is valid UTF-8 */
static int s_utf8_ok(const char *s)
{
	utf8proc_ssize_t n = (utf8proc_ssize_t)strlen(s), i = 0, k;
	utf8proc_int32_t cp;

	while (i < n) {
		k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, n - i, &cp);
		if (k <= 0)
			return 0;
		i += k;
	}
	return 1;
}

/* s_leaks - 1 if msg holds any 4 consecutive bytes of value (of its first 256) */
static int s_leaks(const char *msg, const char *value)
{
	size_t n = strnlen(value, 256), i;
	char w[5];

	for (i = 0; i + 4 <= n; i++) {
		memcpy(w, value + i, 4);
		w[4] = '\0';
		if (strchr(w, ' ') == NULL && strstr(msg, w) != NULL)
			return 1;
	}
	return 0;
}

/* s_message_problem - what is wrong with the messages of a refusal, or NULL */
static const char *s_message_problem(const tcase_t *c, const fc_error_t *e)
{
	if (e->code == NULL || strncmp(e->code, "E_", 2) != 0)
		return "no code";
	if (e->vi[0] == '\0' || e->en[0] == '\0')
		return "empty message";
	if (!s_utf8_ok(e->vi) || !s_utf8_ok(e->en))
		return "message is not UTF-8";
	if (strlen(e->vi) >= sizeof(e->vi) - 1 || strlen(e->en) >= sizeof(e->en) - 1)
		return "message cut short";
	if ((c->type == FC_CITIZEN_ID || c->type == FC_INSURANCE_NO) &&
	    (s_leaks(e->vi, c->in) || s_leaks(e->en, c->in)))
		return "message shows personal data";
	return NULL;
}

/* s_check_one - run one case; prints and returns 1 when it fails */
static int s_check_one(const tcase_t *c, size_t idx)
{
	char out[FC_OUT_SIZE];
	fc_error_t e;
	const char *why = NULL;
	int rc;

	memset(out, 'Z', sizeof(out));
	memset(&e, 0, sizeof(e));
	rc = s_run(c, out, sizeof(out), &e);
	if (c->want != NULL) {
		if (rc != 0)
			why = "refused";
		else if (strcmp(out, c->want) != 0)
			why = "wrong canonical form";
		else if (e.code != NULL)
			why = "err->code set on success";
	} else if (rc != -1) {
		why = "accepted";
	} else if (e.code == NULL || strcmp(e.code, c->code) != 0) {
		why = "wrong code";
	} else if (c->vi_has != NULL && strstr(e.vi, c->vi_has) == NULL) {
		why = "Vietnamese message lacks expected words";
	} else if (c->en_has != NULL && strstr(e.en, c->en_has) == NULL) {
		why = "English message lacks expected words";
	} else {
		why = s_message_problem(c, &e);
	}
	if (why == NULL)
		return 0;
	print_error("case %zu (type %d) in \"%s\": %s\n  want %s / %s\n  got rc %d out \"%s\" code %s\n"
	    "  vi: %s\n  en: %s\n", idx, (int)c->type, c->in, why,
	    c->want != NULL ? c->want : "-", c->code != NULL ? c->code : "-",
	    rc, rc == 0 ? out : "", e.code != NULL ? e.code : "(null)", e.vi, e.en);
	return 1;
}

/* s_check_table - run every case of a table; fail if any fails */
static void s_check_table(const tcase_t *t, size_t n)
{
	size_t i, failed = 0;

	for (i = 0; i < n; i++)
		failed += (size_t)s_check_one(&t[i], i);
	assert_int_equal(failed, 0);
}

#define CHECK_TABLE(t) s_check_table((t), sizeof(t) / sizeof((t)[0]))

/* ---- the tables ----------------------------------------------------------- */

static const tcase_t tax_cases[] = {
	OK(FC_TAX_CODE, "0300588569", "0300588569"),
	OK(FC_TAX_CODE, "0100109106", "0100109106"),
	OK(FC_TAX_CODE, "0101248141", "0101248141"),
	OK(FC_TAX_CODE, "  0300588569\t", "0300588569"),
	OK(FC_TAX_CODE, "\xC2\xA0" "0300588569\xC2\xA0", "0300588569"),
	OK(FC_TAX_CODE, "0300588569-001", "0300588569-001"),
	OK(FC_TAX_CODE, "0100109106-999", "0100109106-999"),
	BAD(FC_TAX_CODE, "0300588568", "E_TAX_CODE_CHECK_DIGIT",
	    "mã số thuế 0300588568: chữ số kiểm tra (chữ số thứ 10) là 8, phải là 9",
	    "tax code 0300588568: check digit (10th digit) is 8, expected 9"),
	BAD(FC_TAX_CODE, "0100109105", "E_TAX_CODE_CHECK_DIGIT", "là 5, phải là 6",
	    "is 5, expected 6"),
	BAD(FC_TAX_CODE, "0101248142", "E_TAX_CODE_CHECK_DIGIT", "là 2, phải là 1",
	    "is 2, expected 1"),
	BAD(FC_TAX_CODE, "0300588560", "E_TAX_CODE_CHECK_DIGIT", "là 0, phải là 9",
	    "is 0, expected 9"),
	BAD(FC_TAX_CODE, "0300588568-001", "E_TAX_CODE_CHECK_DIGIT", "phải là 9", "expected 9"),
	BAD(FC_TAX_CODE, "0000000000", "E_TAX_CODE_CHECK_DIGIT", "không có chữ số kiểm tra",
	    "no check digit"),
	BAD(FC_TAX_CODE, "300588569", "E_TAX_CODE_FORMAT", "có 9 chữ số", "has 9 digits"),
	BAD(FC_TAX_CODE, "300588569", "E_TAX_CODE_FORMAT", "số 0 ở đầu", "leading 0"),
	BAD(FC_TAX_CODE, "03005885691", "E_TAX_CODE_FORMAT", "có 11 chữ số",
	    "has 11 digits; expected 10 digits"),
	BAD(FC_TAX_CODE, "03005885-001", "E_TAX_CODE_FORMAT", "có 8 chữ số trước dấu '-'",
	    "0300588569-001"),
	BAD(FC_TAX_CODE, "", "E_TAX_CODE_FORMAT", "có 0 chữ số", "has 0 digits"),
	BAD(FC_TAX_CODE, "03005A8569", "E_TAX_CODE_FORMAT", "ký tự 'A'", "the character 'A'"),
	BAD(FC_TAX_CODE, "0300 588 569", "E_TAX_CODE_FORMAT", "dấu cách", "contains a space"),
	BAD(FC_TAX_CODE, "0300588569–001", "E_TAX_CODE_FORMAT", "ký tự '–'",
	    "the character '–'"),
	BAD(FC_TAX_CODE, "0300588569-001-002", "E_TAX_CODE_FORMAT", "ký tự '-'",
	    "the character '-'"),
	BAD(FC_TAX_CODE, "0300588569-000", "E_TAX_CODE_BRANCH", "mã chi nhánh 000",
	    "branch number 000 is not valid, expected 001 to 999"),
	BAD(FC_TAX_CODE, "0300588569-01", "E_TAX_CODE_BRANCH", "có 2 chữ số",
	    "2 digits after the '-'"),
	BAD(FC_TAX_CODE, "0300588569-0001", "E_TAX_CODE_BRANCH", "đúng 3 chữ số",
	    "exactly 3 digits"),
	BAD(FC_TAX_CODE, "0300588569-", "E_TAX_CODE_BRANCH", "có 0 chữ số", "0 digits after"),
};

static const tcase_t insurance_cases[] = {
	OK(FC_INSURANCE_NO, "0123456789", "0123456789"),
	OK(FC_INSURANCE_NO, " 0600123456 ", "0600123456"),
	BAD(FC_INSURANCE_NO, "600123456", "E_INSURANCE_NO_FORMAT", "có 9 chữ số",
	    "has 9 digits (a spreadsheet may have dropped a leading 0); expected exactly 10 digits"),
	BAD(FC_INSURANCE_NO, "06001234567", "E_INSURANCE_NO_FORMAT", "có 11 chữ số",
	    "has 11 digits; expected exactly 10 digits"),
	BAD(FC_INSURANCE_NO, "06001-23456", "E_INSURANCE_NO_FORMAT", "ký tự '-'",
	    "contains the character '-'"),
	BAD(FC_INSURANCE_NO, "0600 123 456", "E_INSURANCE_NO_FORMAT", "dấu cách", "a space"),
	BAD(FC_INSURANCE_NO, "", "E_INSURANCE_NO_FORMAT", "có 0 chữ số", "has 0 digits"),
};

static const tcase_t citizen_cases[] = {
	OK(FC_CITIZEN_ID, "001099012345", "001099012345"),
	OK(FC_CITIZEN_ID, " 006199000123 ", "006199000123"),
	OK(FC_CITIZEN_ID, "096301000001", "096301000001"),
	OK(FC_CITIZEN_ID, "079204000777", "079204000777"),
	BAD(FC_CITIZEN_ID, "003099012345", "E_CITIZEN_ID_PROVINCE",
	    "3 chữ số đầu không phải mã tỉnh", "first 3 digits are not a province code"),
	BAD(FC_CITIZEN_ID, "097199012345", "E_CITIZEN_ID_PROVINCE", "mã tỉnh", "province code"),
	BAD(FC_CITIZEN_ID, "000199012345", "E_CITIZEN_ID_PROVINCE", "mã tỉnh", "province code"),
	BAD(FC_CITIZEN_ID, "00109901234", "E_CITIZEN_ID_FORMAT", "có 11 chữ số",
	    "has 11 digits (a spreadsheet may have dropped a leading 0); expected exactly 12 digits"),
	BAD(FC_CITIZEN_ID, "0010990123456", "E_CITIZEN_ID_FORMAT", "phải gồm đúng 12 chữ số",
	    "expected exactly 12 digits"),
	BAD(FC_CITIZEN_ID, "001 099 012 345", "E_CITIZEN_ID_FORMAT", "chỉ được gồm chữ số",
	    "digits only"),
	BAD(FC_CITIZEN_ID, "Nguyễn Văn An", "E_CITIZEN_ID_FORMAT", "12 chữ số", "12 digits"),
	BAD(FC_CITIZEN_ID, "", "E_CITIZEN_ID_FORMAT", "12 chữ số", "12 digits"),
};

static const tcase_t unit_cases[] = {
	OK(FC_UNIT_CODE, "YN0123A", "YN0123A"),
	OK(FC_UNIT_CODE, "abc12", "ABC12"),
	OK(FC_UNIT_CODE, " TA0001 ", "TA0001"),
	OK(FC_UNIT_CODE, "ABC", "ABC"),
	OK(FC_UNIT_CODE, "ABCDEFGHIJ12", "ABCDEFGHIJ12"),
	BAD(FC_UNIT_CODE, "AB", "E_UNIT_CODE_FORMAT", "có 2 ký tự", "has 2 characters; expected 3 to 12"),
	BAD(FC_UNIT_CODE, "ABCDEFGHIJ123", "E_UNIT_CODE_FORMAT", "có 13 ký tự", "has 13 characters"),
	BAD(FC_UNIT_CODE, "AB-12", "E_UNIT_CODE_FORMAT", "ký tự '-'", "the character '-'"),
	BAD(FC_UNIT_CODE, "ĐV01", "E_UNIT_CODE_FORMAT", "ký tự 'Đ'", "the character 'Đ'"),
	BAD(FC_UNIT_CODE, "AB 12", "E_UNIT_CODE_FORMAT", "dấu cách", "a space"),
	BAD(FC_UNIT_CODE, "", "E_UNIT_CODE_FORMAT", "có 0 ký tự", "has 0 characters"),
};

static const tcase_t code_cases[] = {
	OK(FC_CODE, "agent_01", "agent_01"),
	OK(FC_CODE, " A.b-c_9 ", "A.b-c_9"),
	OK(FC_CODE, "x", "x"),
	OK(FC_CODE, "abcdefghijklmnopqrstuvwxyz012345", "abcdefghijklmnopqrstuvwxyz012345"),
	BAD(FC_CODE, "abcdefghijklmnopqrstuvwxyz0123456", "E_CODE_FORMAT", "có 33 ký tự",
	    "has 33 characters; expected 1 to 32"),
	BAD(FC_CODE, "", "E_CODE_FORMAT", "mã \"\": có 0 ký tự", "code \"\": has 0 characters"),
	BAD(FC_CODE, "dl 01", "E_CODE_FORMAT", "mã \"dl 01\": có dấu cách", "contains a space"),
	BAD(FC_CODE, "mã01", "E_CODE_FORMAT", "ký tự 'ã'", "the character 'ã'"),
};

static const tcase_t date_cases[] = {
	OK(FC_DATE, "2024-02-29", "2024-02-29"),
	OK(FC_DATE, "29/02/2024", "2024-02-29"),
	OK(FC_DATE, "1/2/2020", "2020-02-01"),
	OK(FC_DATE, "01/12/1900", "1900-12-01"),
	OK(FC_DATE, "31/12/2100", "2100-12-31"),
	OK(FC_DATE, "2000-02-29", "2000-02-29"),
	OK(FC_DATE, " 15/06/2017 ", "2017-06-15"),
	OK(FC_DATE, "31/1/2017", "2017-01-31"),
	BAD(FC_DATE, "29/02/2023", "E_DATE_INVALID",
	    "năm 2023 không phải năm nhuận, tháng 2 chỉ có 28 ngày",
	    "2023 is not a leap year, February has only 28 days"),
	BAD(FC_DATE, "1900-02-29", "E_DATE_INVALID", "không phải năm nhuận", "not a leap year"),
	BAD(FC_DATE, "31/04/2020", "E_DATE_INVALID", "tháng 4 năm 2020 chỉ có 30 ngày",
	    "April 2020 has only 30 days"),
	BAD(FC_DATE, "30/02/2024", "E_DATE_INVALID", "tháng 2 năm 2024 chỉ có 29 ngày",
	    "February 2024 has only 29 days"),
	BAD(FC_DATE, "12/31/2024", "E_DATE_INVALID", "không có tháng 31",
	    "there is no month 31 (months are 1 to 12; dates are written day/month/year)"),
	BAD(FC_DATE, "2024-13-01", "E_DATE_INVALID", "không có tháng 13", "no month 13"),
	BAD(FC_DATE, "00/01/2020", "E_DATE_INVALID", "không có ngày 0", "no day 0"),
	BAD(FC_DATE, "31/12/1899", "E_DATE_INVALID", "năm 1899 nằm ngoài khoảng 1900–2100",
	    "year 1899 is outside 1900–2100"),
	BAD(FC_DATE, "2101-01-01", "E_DATE_INVALID", "2101", "year 2101"),
	BAD(FC_DATE, "2024/02/29", "E_DATE_FORMAT", "sai định dạng", "expected DD/MM/YYYY"),
	BAD(FC_DATE, "29-02-2024", "E_DATE_FORMAT", "DD/MM/YYYY", "YYYY-MM-DD"),
	BAD(FC_DATE, "29/2/24", "E_DATE_FORMAT", "DD/MM/YYYY", "not a date"),
	BAD(FC_DATE, "2024-2-9", "E_DATE_FORMAT", "DD/MM/YYYY", "not a date"),
	BAD(FC_DATE, "29/02/2024 00:00", "E_DATE_FORMAT", "DD/MM/YYYY", "not a date"),
	BAD(FC_DATE, "123/1/2020", "E_DATE_FORMAT", "DD/MM/YYYY", "not a date"),
	BAD(FC_DATE, "abc", "E_DATE_FORMAT", "ngày abc: sai định dạng", "date abc: not a date"),
	BAD(FC_DATE, "", "E_DATE_FORMAT", "ngày \"\"", "date \"\""),
};

static const tcase_t period_cases[] = {
	OK(FC_PERIOD, "2017-03", "2017-03"),
	OK(FC_PERIOD, "03/2017", "2017-03"),
	OK(FC_PERIOD, "3/2017", "2017-03"),
	OK(FC_PERIOD, " 12/2100 ", "2100-12"),
	OK(FC_PERIOD, "1900-01", "1900-01"),
	BAD(FC_PERIOD, "13/2017", "E_PERIOD_FORMAT", "không có tháng 13", "there is no month 13"),
	BAD(FC_PERIOD, "2017-00", "E_PERIOD_FORMAT", "không có tháng 0", "no month 0"),
	BAD(FC_PERIOD, "03/1899", "E_PERIOD_FORMAT", "năm 1899", "year 1899 is outside"),
	BAD(FC_PERIOD, "2017-3", "E_PERIOD_FORMAT", "sai định dạng", "expected a month MM/YYYY"),
	BAD(FC_PERIOD, "03/17", "E_PERIOD_FORMAT", "MM/YYYY", "YYYY-MM"),
	BAD(FC_PERIOD, "01/03/2017", "E_PERIOD_FORMAT", "đây là một ngày", "this is a day"),
	BAD(FC_PERIOD, "2017-03-01", "E_PERIOD_FORMAT", "kỳ là một tháng", "a period is a month"),
	BAD(FC_PERIOD, "T3/2017", "E_PERIOD_FORMAT", "MM/YYYY", "not a month"),
	BAD(FC_PERIOD, "", "E_PERIOD_FORMAT", "MM/YYYY", "not a month"),
};

static const tcase_t year_cases[] = {
	OK(FC_YEAR, "2020", "2020"),
	OK(FC_YEAR, "1900", "1900"),
	OK(FC_YEAR, "2100", "2100"),
	OK(FC_YEAR, " 2017 ", "2017"),
	BAD(FC_YEAR, "1899", "E_YEAR_FORMAT", "ngoài khoảng 1900 đến 2100", "outside 1900 to 2100"),
	BAD(FC_YEAR, "2101", "E_YEAR_FORMAT", "ngoài khoảng", "outside"),
	BAD(FC_YEAR, "20", "E_YEAR_FORMAT", "4 chữ số", "4 digits"),
	BAD(FC_YEAR, "2020.0", "E_YEAR_FORMAT", "4 chữ số", "not a year"),
	BAD(FC_YEAR, "năm 2020", "E_YEAR_FORMAT", "4 chữ số", "not a year"),
	BAD(FC_YEAR, "", "E_YEAR_FORMAT", "4 chữ số", "not a year"),
};

static const tcase_t money_cases[] = {
	OK(FC_MONEY, "1.234.567", "1234567"),
	OK(FC_MONEY, "1,234,567", "1234567"),
	OK(FC_MONEY, "1 234 567", "1234567"),
	OK(FC_MONEY, "1\xC2\xA0" "234\xC2\xA0" "567", "1234567"),
	OK(FC_MONEY, "1234567", "1234567"),
	OK(FC_MONEY, "0", "0"),
	OK(FC_MONEY, "000", "0"),
	OK(FC_MONEY, "0012", "12"),
	OK(FC_MONEY, "12.500", "12500"),
	OK(FC_MONEY, " 500 ", "500"),
	OK(FC_MONEY, "-0", "0"),
	OK(FC_MONEY, "1.000.000.000.000.000", "1000000000000000"),
	BAD(FC_MONEY, "1.23.4", "E_MONEY_FORMAT", "nhóm theo 3", "grouped in threes"),
	BAD(FC_MONEY, "1.234.5678", "E_MONEY_FORMAT", "nhóm theo 3", "grouped in threes"),
	BAD(FC_MONEY, "1234.567", "E_MONEY_FORMAT", "nhóm theo 3", "grouped in threes"),
	BAD(FC_MONEY, "1..234", "E_MONEY_FORMAT", "nhóm theo 3", "grouped in threes"),
	BAD(FC_MONEY, "1.234.", "E_MONEY_FORMAT", "nhóm theo 3", "grouped in threes"),
	BAD(FC_MONEY, "12,5", "E_MONEY_FORMAT", "có phần thập phân; số tiền phải là số đồng nguyên",
	    "has a decimal part; expected whole VND"),
	BAD(FC_MONEY, "1.234,50", "E_MONEY_FORMAT", "phần thập phân", "decimal part"),
	BAD(FC_MONEY, "1,234.5", "E_MONEY_FORMAT", "phần thập phân", "decimal part"),
	BAD(FC_MONEY, "1.234,567", "E_MONEY_FORMAT", "dùng lẫn", "mixes different group separators"),
	BAD(FC_MONEY, "-5", "E_MONEY_NEGATIVE", "số tiền -5: là số âm", "amount -5: is negative"),
	BAD(FC_MONEY, "\xE2\x88\x92" "1.000", "E_MONEY_NEGATIVE", "số âm", "negative"),
	BAD(FC_MONEY, "abc", "E_MONEY_FORMAT", "ký tự 'a'", "contains the character 'a'"),
	BAD(FC_MONEY, "1.234.567 đ", "E_MONEY_FORMAT", "ký tự 'đ'", "the character 'đ'"),
	BAD(FC_MONEY, "1.000.000.000.000.001", "E_MONEY_FORMAT", "vượt quá giới hạn", "exceeds the maximum"),
	BAD(FC_MONEY, "12345678901234567", "E_MONEY_FORMAT", "vượt quá", "exceeds"),
	BAD(FC_MONEY, "", "E_MONEY_FORMAT", "không có chữ số", "has no digits"),
	BAD(FC_MONEY, "-", "E_MONEY_FORMAT", "không có chữ số", "has no digits"),
};

static const tcase_t int_cases[] = {
	INT_OK("12", 0, LLONG_MAX, "12"),
	INT_OK("1.234", 0, LLONG_MAX, "1234"),
	INT_OK("1 234", 0, LLONG_MAX, "1234"),
	INT_OK("-5", -10, 10, "-5"),
	INT_OK("0", 0, 0, "0"),
	INT_OK("-0", 0, 10, "0"),
	INT_OK("007", 0, 10, "7"),
	INT_OK("9223372036854775807", LLONG_MIN, LLONG_MAX, "9223372036854775807"),
	INT_OK("-9223372036854775808", LLONG_MIN, LLONG_MAX, "-9223372036854775808"),
	INT_BAD("-1", 0, LLONG_MAX, "E_INT_RANGE", "ngoài khoảng cho phép; phải từ 0 trở lên",
	    "number -1: out of range; expected 0 or more"),
	INT_BAD("0", 1, LLONG_MAX, "E_INT_RANGE", "phải từ 1 trở lên", "expected 1 or more"),
	INT_BAD("1.500", 0, 1000, "E_INT_RANGE", "phải từ 0 đến 1000", "expected 0 to 1000"),
	INT_BAD("11", LLONG_MIN, 10, "E_INT_RANGE", "không quá 10", "expected at most 10"),
	INT_BAD("9223372036854775808", LLONG_MIN, LLONG_MAX, "E_INT_RANGE", "số quá lớn",
	    "too large"),
	INT_BAD("99999999999999999999999", 0, LLONG_MAX, "E_INT_RANGE", "số quá lớn",
	    "the number is too large"),
	INT_BAD("99999999999999999999999", 0, 10, "E_INT_RANGE", "phải từ 0 đến 10",
	    "expected 0 to 10"),
	INT_BAD("-9223372036854775809", LLONG_MIN, 0, "E_INT_RANGE", "số quá nhỏ",
	    "the number is too small"),
	INT_BAD("-3", 0, 10, "E_INT_RANGE", "phải từ 0 đến 10", "number -3: out of range"),
	INT_BAD("12,5", 0, LLONG_MAX, "E_INT_FORMAT", "có phần thập phân; phải là số nguyên",
	    "has a decimal part; expected a whole number"),
	INT_BAD("abc", 0, LLONG_MAX, "E_INT_FORMAT", "ký tự 'a'", "expected a whole number"),
	INT_BAD("1.23.4", 0, LLONG_MAX, "E_INT_FORMAT", "nhóm theo 3", "grouped in threes"),
	INT_BAD("", 0, LLONG_MAX, "E_INT_FORMAT", "không có chữ số", "no digits"),
};

static const tcase_t pct_cases[] = {
	PCT_OK("35,5", 0, 100, "35.5"),
	PCT_OK("35.5", 0, 100, "35.5"),
	PCT_OK("35", 0, 100, "35"),
	PCT_OK("35%", 0, 100, "35"),
	PCT_OK(" 35,5 % ", 0, 100, "35.5"),
	PCT_OK("100", 0, 100, "100"),
	PCT_OK("100.0000", 0, 100, "100"),
	PCT_OK("0", 0, 100, "0"),
	PCT_OK("-0", 0, 100, "0"),
	PCT_OK("035.50", 0, 100, "35.5"),
	PCT_OK("12.3456", 0, 100, "12.3456"),
	PCT_OK("0,25", 0, 100, "0.25"),
	PCT_OK("0.0001", 0, 100, "0.0001"),
	PCT_OK("-2.5", -10, 10, "-2.5"),
	PCT_BAD("101", 0, 100, "E_PCT_RANGE", "tỷ lệ 101: ngoài khoảng cho phép; phải từ 0 đến 100",
	    "percentage 101: out of range; expected 0 to 100"),
	PCT_BAD("100.0001", 0, 100, "E_PCT_RANGE", "từ 0 đến 100", "expected 0 to 100"),
	PCT_BAD("-1", 0, 100, "E_PCT_RANGE", "từ 0 đến 100", "out of range"),
	PCT_BAD("0,25", 0.5, 99.5, "E_PCT_RANGE", "từ 0.5 đến 99.5", "expected 0.5 to 99.5"),
	PCT_BAD("1000000000000000", 0, 100, "E_PCT_RANGE", "ngoài khoảng", "out of range"),
	PCT_BAD("35,55555", 0, 100, "E_PCT_FORMAT", "có 5 chữ số thập phân, chỉ được tối đa 4",
	    "has 5 decimals, at most 4"),
	PCT_BAD("abc", 0, 100, "E_PCT_FORMAT", "ký tự 'a'", "the character 'a'"),
	PCT_BAD("35,5,5", 0, 100, "E_PCT_FORMAT", "ký tự ','", "the character ','"),
	PCT_BAD("1.000,5", 0, 100, "E_PCT_FORMAT", "ký tự ','", "decimal mark"),
	PCT_BAD(".5", 0, 100, "E_PCT_FORMAT", "không phải là số", "not a number"),
	PCT_BAD("35.", 0, 100, "E_PCT_FORMAT", "không phải là số", "not a number"),
	PCT_BAD("%", 0, 100, "E_PCT_FORMAT", "không phải là số", "e.g. 35,5 or 35.5%"),
	PCT_BAD("", 0, 100, "E_PCT_FORMAT", "không phải là số", "not a number"),
};

static const tcase_t bool_cases[] = {
	OK(FC_BOOL, "1", "1"), OK(FC_BOOL, "0", "0"),
	OK(FC_BOOL, "true", "1"), OK(FC_BOOL, "TRUE", "1"), OK(FC_BOOL, "false", "0"),
	OK(FC_BOOL, "yes", "1"), OK(FC_BOOL, "No", "0"),
	OK(FC_BOOL, "Có", "1"), OK(FC_BOOL, "có", "1"), OK(FC_BOOL, "CÓ", "1"),
	OK(FC_BOOL, "co", "1"), OK(FC_BOOL, "Co", "1"),
	OK(FC_BOOL, "Co\xCC\x81", "1"), /* decomposed: C, o, combining acute */
	OK(FC_BOOL, "không", "0"), OK(FC_BOOL, "Không", "0"), OK(FC_BOOL, "KHÔNG", "0"),
	OK(FC_BOOL, "khong", "0"), OK(FC_BOOL, "KHONG", "0"),
	OK(FC_BOOL, "x", "1"), OK(FC_BOOL, "X", "1"), OK(FC_BOOL, " x ", "1"),
	OK(FC_BOOL, "", "0"), OK(FC_BOOL, "   ", "0"),
	BAD(FC_BOOL, "2", "E_BOOL_FORMAT", "giá trị \"2\": không hiểu là có hay không",
	    "value \"2\": not a yes/no value"),
	BAD(FC_BOOL, "maybe", "E_BOOL_FORMAT", "có/không, 1/0, x/để trống",
	    "expected có/không, 1/0, x/empty, true/false or yes/no"),
	BAD(FC_BOOL, "có không", "E_BOOL_FORMAT", "\"có không\"", "\"có không\""),
	BAD(FC_BOOL, "\xFF\xFE", "E_BOOL_FORMAT", "có/không", "yes/no"),
};

static const tcase_t enum_cases[] = {
	ENUM_OK("compulsory", "compulsory", scheme_canon, scheme_alias),
	ENUM_OK("Compulsory", "compulsory", scheme_canon, scheme_alias),
	ENUM_OK("Bắt buộc", "compulsory", scheme_canon, scheme_alias),
	ENUM_OK("BAT BUOC", "compulsory", scheme_canon, scheme_alias),
	ENUM_OK("BẮT BUỘC", "compulsory", scheme_canon, scheme_alias),
	ENUM_OK(" bắt   buộc ", "compulsory", scheme_canon, scheme_alias),
	ENUM_OK("bb", "compulsory", scheme_canon, scheme_alias),
	ENUM_OK("Tự nguyện", "voluntary", scheme_canon, scheme_alias),
	ENUM_OK("TỰ NGUYỆN", "voluntary", scheme_canon, scheme_alias),
	ENUM_OK("Tu Nguyen", "voluntary", scheme_canon, scheme_alias),
	ENUM_OK("Tu\xCC\x9B\xCC\xA3 nguye\xCC\x82\xCC\x83n", "voluntary", scheme_canon, scheme_alias),
	ENUM_OK("VOLUNTARY", "voluntary", scheme_canon, scheme_alias),
	ENUM_OK("Đang hoạt động", "active", status_canon, status_alias),
	ENUM_OK("dang hoat dong", "active", status_canon, status_alias),
	ENUM_OK("ĐANG HOẠT ĐỘNG", "active", status_canon, status_alias),
	ENUM_OK("tam ngung", "suspended", status_canon, status_alias),
	ENUM_OK("Dissolved", "dissolved", status_canon, status_alias),
	ENUM_BAD("bắt", "giá trị \"bắt\": không có trong danh sách; chấp nhận: compulsory (Bắt buộc), voluntary (Tự nguyện)",
	    "value \"bắt\": not an accepted value; expected one of: compulsory (Bắt buộc), voluntary (Tự nguyện)",
	    scheme_canon, scheme_alias),
	ENUM_BAD("other", "compulsory (Bắt buộc)", "voluntary (Tự nguyện)", scheme_canon, scheme_alias),
	ENUM_BAD("", "chấp nhận:", "expected one of:", scheme_canon, scheme_alias),
	ENUM_BAD("giải thể", "active (Đang hoạt động), suspended (Tạm ngừng), dissolved",
	    "dissolved", status_canon, status_alias),
	ENUM_BAD("active", "chấp nhận: compulsory", "compulsory", scheme_canon, NULL),
};

/* ---- tests ---------------------------------------------------------------- */

static void test_tax_code(void **state) { (void)state; CHECK_TABLE(tax_cases); }
static void test_insurance_no(void **state) { (void)state; CHECK_TABLE(insurance_cases); }
static void test_citizen_id(void **state) { (void)state; CHECK_TABLE(citizen_cases); }
static void test_unit_code(void **state) { (void)state; CHECK_TABLE(unit_cases); }
static void test_code(void **state) { (void)state; CHECK_TABLE(code_cases); }
static void test_date(void **state) { (void)state; CHECK_TABLE(date_cases); }
static void test_period(void **state) { (void)state; CHECK_TABLE(period_cases); }
static void test_year(void **state) { (void)state; CHECK_TABLE(year_cases); }
static void test_money(void **state) { (void)state; CHECK_TABLE(money_cases); }
static void test_int(void **state) { (void)state; CHECK_TABLE(int_cases); }
static void test_pct(void **state) { (void)state; CHECK_TABLE(pct_cases); }
static void test_bool(void **state) { (void)state; CHECK_TABLE(bool_cases); }
static void test_enum(void **state) { (void)state; CHECK_TABLE(enum_cases); }

/* test_tax_check_digit - the rule of docs/DOMAIN.md §3.7 on the real codes and its edges */
static void test_tax_check_digit(void **state)
{
	static const struct { const char *in; int want; } t[] = {
		{ "0300588569", 9 }, { "0100109106", 6 }, { "0101248141", 1 },
		{ "030058856", 9 },     /* only the first 9 digits are read */
		{ "0000000000", -1 },   /* S = 0: 10 - 0 = 10 is never valid */
		{ "030058856X", 9 },
		{ "03005885", -1 },     /* fewer than 9 digits */
		{ "03005A856", -1 },
		{ "", -1 },
	};
	size_t i;
	int d, ok0 = 0, none = 0;
	char code[11];

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (fc_tax_check_digit(t[i].in) != t[i].want)
			print_error("check digit of \"%s\": want %d\n", t[i].in, t[i].want);
		assert_int_equal(fc_tax_check_digit(t[i].in), t[i].want);
	}
	assert_int_equal(fc_tax_check_digit(NULL), -1);
	/* against the rule written out here: d10 = 10 - (S mod 11), 10 never valid */
	for (i = 0; i < 5000; i++) {
		static const int w[9] = { 31, 29, 23, 19, 17, 13, 7, 5, 3 };
		int j, sum = 0, want;

		snprintf(code, sizeof(code), "%09zu", (i * 199933u) % 1000000000u);
		for (j = 0; j < 9; j++)
			sum += w[j] * (code[j] - '0');
		want = 10 - sum % 11 == 10 ? -1 : 10 - sum % 11;
		d = fc_tax_check_digit(code);
		if (d != want)
			print_error("check digit of %s: want %d, got %d\n", code, want, d);
		assert_int_equal(d, want);
		ok0 += d == 0;
		none += d == -1;
	}
	assert_true(ok0 > 0);
	assert_true(none > 0);
}

/* test_province_codes - exactly the 63 codes of Circular 07/2016/TT-BCA */
static void test_province_codes(void **state)
{
	int c, n = 0;

	(void)state;
	for (c = -5; c < 1000; c++)
		n += fc_province_code_valid(c);
	assert_int_equal(n, 63);
	assert_true(fc_province_code_valid(1));
	assert_true(fc_province_code_valid(6));   /* Bắc Kạn */
	assert_true(fc_province_code_valid(79));  /* Hồ Chí Minh City */
	assert_true(fc_province_code_valid(96));
	assert_false(fc_province_code_valid(0));
	assert_false(fc_province_code_valid(3));
	assert_false(fc_province_code_valid(97));
	assert_false(fc_province_code_valid(-1));
}

/* test_citizen_id_not_echoed - no message about a citizen ID holds its digits */
static void test_citizen_id_not_echoed(void **state)
{
	static const char *const in[] = {
		"003099012345", "00309901234", "0030990123456", "003-099-012345", "12345678901x"
	};
	fc_error_t e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(fc_citizen_id(in[i], NULL, 0, &e), -1);
		assert_null(strstr(e.vi, in[i]));
		assert_null(strstr(e.en, in[i]));
		assert_null(strstr(e.vi, "099"));
		assert_null(strstr(e.en, "099"));
		assert_null(strstr(e.vi, "345"));
		assert_null(strstr(e.en, "345"));
	}
}

/* test_long_cells - a 1 MB cell gives a short, whole message for every type */
static void test_long_cells(void **state)
{
	static const char *const pieces[] = { "1", "ắ", "a", "1.234.", " x" };
	size_t big = 1u << 20, i, k, len;
	char *cell = malloc(big + 1);
	fc_error_t e;
	tcase_t c;
	int t;

	(void)state;
	assert_non_null(cell);
	for (k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
		len = strlen(pieces[k]);
		for (i = 0; i + len <= big; i += len)
			memcpy(cell + i, pieces[k], len);
		cell[i] = '\0';
		for (t = FC_TAX_CODE; t <= FC_ENUM; t++) {
			memset(&c, 0, sizeof(c));
			c.type = (fc_type_t)t;
			c.in = cell;
			c.imin = 0;
			c.imax = 1000;
			c.pmax = 100;
			c.canon = scheme_canon;
			c.aliases = scheme_alias;
			assert_int_equal(s_run(&c, NULL, 0, &e), -1);
			assert_null(s_message_problem(&c, &e));
			assert_true(strlen(e.vi) < 300 && strlen(e.en) < 300);
			if (t != FC_CITIZEN_ID && t != FC_INSURANCE_NO)
				assert_non_null(strstr(e.en, "\xE2\x80\xA6")); /* … marks the cut */
		}
	}
	free(cell);
}

/* test_control_chars - control characters in a value are not echoed raw */
static void test_control_chars(void **state)
{
	fc_error_t e;

	(void)state;
	assert_int_equal(fc_tax_code("03005\x01" "88569\n", NULL, 0, &e), -1);
	assert_string_equal(e.code, "E_TAX_CODE_FORMAT");
	assert_null(strchr(e.vi, '\x01'));
	assert_non_null(strstr(e.vi, "03005?88569"));
	assert_non_null(strstr(e.en, "a control character"));
}

/* test_out_buffer - too small an output is E_INTERNAL; NULL output checks only */
static void test_out_buffer(void **state)
{
	char out[8];
	fc_error_t e;

	(void)state;
	assert_int_equal(fc_tax_code("0300588569", out, sizeof(out), &e), -1);
	assert_string_equal(e.code, "E_INTERNAL");
	assert_non_null(strstr(e.en, "need 11 bytes, have 8"));
	assert_int_equal(fc_date("1/1/2020", out, sizeof(out), &e), -1);
	assert_string_equal(e.code, "E_INTERNAL");
	assert_int_equal(fc_tax_code("0300588569", NULL, 0, &e), 0);
	assert_null(e.code);
	{
		char exact[11];

		assert_int_equal(fc_date("1/1/2020", exact, sizeof(exact), &e), 0);
		assert_string_equal(exact, "2020-01-01");
	}
}

/* test_err_null - a NULL err is allowed: only the verdict */
static void test_err_null(void **state)
{
	char out[FC_OUT_SIZE];

	(void)state;
	assert_int_equal(fc_tax_code("0300588568", out, sizeof(out), NULL), -1);
	assert_int_equal(fc_money("1.234.567", out, sizeof(out), NULL), 0);
	assert_string_equal(out, "1234567");
	assert_int_equal(fc_enum("x", scheme_canon, scheme_alias, out, sizeof(out), NULL), -1);
	assert_int_equal(fc_tax_code(NULL, out, sizeof(out), NULL), -1);
	assert_int_equal(fc_bool(NULL, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "0");
}

/* test_success_clears_err - a success after a failure leaves no stale error */
static void test_success_clears_err(void **state)
{
	char out[FC_OUT_SIZE];
	fc_error_t e;

	(void)state;
	assert_int_equal(fc_year("1800", out, sizeof(out), &e), -1);
	assert_non_null(e.code);
	assert_int_equal(fc_year("1900", out, sizeof(out), &e), 0);
	assert_null(e.code);
	assert_string_equal(e.vi, "");
	assert_string_equal(e.en, "");
}

/* test_enum_long_list - a long list of values is cut with "…" in the message */
static void test_enum_long_list(void **state)
{
	static const char *const canon[] = {
		"trạng_thái_một_rất_dài", "trạng_thái_hai_rất_dài", "trạng_thái_ba_rất_dài",
		"trạng_thái_bốn_rất_dài", "trạng_thái_năm_rất_dài", "trạng_thái_sáu_rất_dài",
		"trạng_thái_bảy_rất_dài", "trạng_thái_tám_rất_dài", "trạng_thái_chín_rất_dài",
		"trạng_thái_mười_rất_dài", NULL
	};
	char out[FC_OUT_SIZE];
	fc_error_t e;
	tcase_t c = { .type = FC_ENUM, .in = "zzz", .canon = canon };

	(void)state;
	assert_int_equal(fc_enum("zzz", canon, NULL, out, sizeof(out), &e), -1);
	assert_string_equal(e.code, "E_ENUM_VALUE");
	assert_null(s_message_problem(&c, &e));
	assert_non_null(strstr(e.vi, "trạng_thái_một_rất_dài, "));
	assert_non_null(strstr(e.vi, "\xE2\x80\xA6"));
	assert_int_equal(fc_enum("TRANG_THAI_MUOI_RAT_DAI", canon, NULL, out, sizeof(out), &e), 0);
	assert_string_equal(out, "trạng_thái_mười_rất_dài");
	assert_int_equal(fc_enum("a", NULL, NULL, out, sizeof(out), &e), -1);
	assert_string_equal(e.code, "E_ENUM_VALUE");
}

/* test_echo_cut - a value is echoed up to 40 bytes, cut on a character boundary */
static void test_echo_cut(void **state)
{
	char in[256];
	fc_error_t e;
	size_t i;

	(void)state;
	for (i = 0; i < 100; i++)
		in[i] = (char)('0' + i % 10);
	in[100] = '\0';
	assert_int_equal(fc_tax_code(in, NULL, 0, &e), -1);
	assert_string_equal(e.en, "tax code 0123456789012345678901234567890123456789\xE2\x80\xA6: has 100 "
	    "digits; expected 10 digits (e.g. 0300588569) or 10 digits, '-' and a 3-digit branch "
	    "number (e.g. 0300588569-001)");
	for (i = 0; i < 20; i++)
		memcpy(in + 3 * i, "\xE1\xBA\xAF", 3); /* ắ */
	in[60] = '\0';
	assert_int_equal(fc_unit_code(in, NULL, 0, &e), -1);
	/* 13 whole characters (39 bytes) fit in 40 */
	assert_non_null(strstr(e.en, "unit code ắắắắắắắắắắắắắ\xE2\x80\xA6: contains"));
	memcpy(in, "abcd", 4);
	for (i = 0; i < 20; i++)
		memcpy(in + 4 + 3 * i, "\xE1\xBA\xAF", 3);
	in[64] = '\0';
	assert_int_equal(fc_unit_code(in, NULL, 0, &e), -1);
	/* "abcd" + 12 characters: exactly 40 bytes */
	assert_non_null(strstr(e.en, "unit code abcdắắắắắắắắắắắắ\xE2\x80\xA6: contains the character 'ắ'"));
}

/* test_enum_list_cut_utf8 - the value list is cut on a character boundary whatever
 * the alignment */
static void test_enum_list_cut_utf8(void **state)
{
	char vals[8][64];
	const char *canon[9];
	char out[FC_OUT_SIZE];
	fc_error_t e;
	tcase_t c = { .type = FC_ENUM, .in = "?" };
	size_t pad, i, j;

	(void)state;
	for (pad = 0; pad < 6; pad++) {
		for (i = 0; i < 8; i++) {
			for (j = 0; j < pad; j++)
				vals[i][j] = 'a';
			for (j = 0; j < 9; j++)
				memcpy(vals[i] + pad + 3 * j, "\xE1\xBA\xAF", 3); /* ắ */
			vals[i][pad + 27] = '\0';
			canon[i] = vals[i];
		}
		canon[8] = NULL;
		c.canon = canon;
		assert_int_equal(fc_enum("?", canon, NULL, out, sizeof(out), &e), -1);
		assert_null(s_message_problem(&c, &e));
		assert_non_null(strstr(e.en, "\xE2\x80\xA6"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tax_code),
		cmocka_unit_test(test_insurance_no),
		cmocka_unit_test(test_citizen_id),
		cmocka_unit_test(test_unit_code),
		cmocka_unit_test(test_code),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_period),
		cmocka_unit_test(test_year),
		cmocka_unit_test(test_money),
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_pct),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_enum),
		cmocka_unit_test(test_tax_check_digit),
		cmocka_unit_test(test_province_codes),
		cmocka_unit_test(test_citizen_id_not_echoed),
		cmocka_unit_test(test_long_cells),
		cmocka_unit_test(test_control_chars),
		cmocka_unit_test(test_out_buffer),
		cmocka_unit_test(test_err_null),
		cmocka_unit_test(test_success_clears_err),
		cmocka_unit_test(test_enum_long_list),
		cmocka_unit_test(test_echo_cut),
		cmocka_unit_test(test_enum_list_cut_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
