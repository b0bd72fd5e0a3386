/* fieldcheck - one checker per field type: check a cell, give its canonical form.
 *
 * Trusts nothing about a cell but that it is a NUL-terminated string: any length,
 * any bytes. Work is linear in the cell's length and nothing is allocated except
 * by utf8proc while folding short values (bool, enum). Messages are written with
 * snprintf into the fixed buffers of fc_error_t and cut on a UTF-8 boundary.
 *
 * Rejection codes raised here. They are stable: receipts and agencies' tools key
 * on them. docs/REJECTION_CODES.md has the same table in both languages.
 *
 *   code                     raised when
 *   E_TAX_CODE_FORMAT        tax code is not 10 digits or 10 digits '-' 3 digits
 *   E_TAX_CODE_CHECK_DIGIT   the 10th digit does not match the first 9
 *   E_TAX_CODE_BRANCH        the branch part after '-' is not 3 digits 001..999
 *   E_INSURANCE_NO_FORMAT    social insurance number is not exactly 10 digits
 *   E_CITIZEN_ID_FORMAT      citizen ID is not exactly 12 digits
 *   E_CITIZEN_ID_PROVINCE    its first 3 digits are not a province code
 *   E_UNIT_CODE_FORMAT       unit code is not 3..12 of A-Z 0-9
 *   E_CODE_FORMAT            code is not 1..32 of A-Z a-z 0-9 _ - .
 *   E_DATE_FORMAT            not shaped YYYY-MM-DD, DD/MM/YYYY or D/M/YYYY
 *   E_DATE_INVALID           shaped like a date but no such day, or year not 1900..2100
 *   E_PERIOD_FORMAT          not a month YYYY-MM, MM/YYYY, M/YYYY in 1900..2100
 *   E_YEAR_FORMAT            not a year YYYY in 1900..2100
 *   E_MONEY_FORMAT           not whole VND grouped in threes, or above 10^15
 *   E_MONEY_NEGATIVE         a negative amount
 *   E_INT_FORMAT             not a whole number (grouping as for money)
 *   E_INT_RANGE              a whole number outside the field's range
 *   E_PCT_FORMAT             not a number with at most 4 decimals, optional '%'
 *   E_PCT_RANGE              a percentage outside the field's range
 *   E_BOOL_FORMAT            not one of the accepted yes/no words
 *   E_ENUM_VALUE             not one of the field's values or their aliases
 *   E_INTERNAL               the caller's output buffer is too small (a bug, not data)
 */
#include "fieldcheck.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <utf8proc.h>

#define S_ECHO_SZ (FC_ECHO_MAX + 8)  /* echoed value: 40 bytes, quotes, "…", NUL */
#define S_DESC_SZ 48                 /* "the character 'X'" */
#define S_FOLD_MAX 200               /* longer values cannot be a bool or enum word */
#define S_YEAR_MIN 1900
#define S_YEAR_MAX 2100

#define S_EXCEL_VI " (có thể Excel đã bỏ mất số 0 ở đầu)"
#define S_EXCEL_EN " (a spreadsheet may have dropped a leading 0)"

/* s_isdigit - ASCII digit, whatever the locale */
static int s_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* s_space_len - byte length of a blank character at p (ASCII white space, no-break,
 * figure, narrow no-break and zero-width spaces, BOM), or 0 */
static size_t s_space_len(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;

	if (n >= 1 && (u[0] == ' ' || (u[0] >= '\t' && u[0] <= '\r')))
		return 1;
	if (n >= 2 && u[0] == 0xC2 && u[1] == 0xA0)
		return 2;
	if (n >= 3 && u[0] == 0xE2 && u[1] == 0x80 &&
	    (u[2] == 0x87 || u[2] == 0x8B || u[2] == 0xAF))
		return 3;
	if (n >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		return 3;
	return 0;
}

/* s_space_len_back - byte length of a blank character ending at p + n, or 0 */
static size_t s_space_len_back(const char *p, size_t n)
{
	if (n >= 1 && s_space_len(p + n - 1, 1) == 1)
		return 1;
	if (n >= 2 && s_space_len(p + n - 2, 2) == 2)
		return 2;
	if (n >= 3 && s_space_len(p + n - 3, 3) == 3)
		return 3;
	return 0;
}

/* s_trim - the cell without surrounding blanks: start returned, length in *len */
static const char *s_trim(const char *in, size_t *len)
{
	size_t n, k;

	if (in == NULL)
		in = "";
	n = strlen(in);
	while ((k = s_space_len(in, n)) > 0) {
		in += k;
		n -= k;
	}
	while ((k = s_space_len_back(in, n)) > 0)
		n -= k;
	*len = n;
	return in;
}

/* s_char_len - byte length of the valid UTF-8 character at p, or 0 if the bytes
 * there are not one */
static size_t s_char_len(const char *p, size_t n)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t k;

	k = utf8proc_iterate((const utf8proc_uint8_t *)p, (utf8proc_ssize_t)(n < 4 ? n : 4), &cp);
	return k > 0 ? (size_t)k : 0;
}

/* s_utf8_cut - drop an incomplete character left at the end of s by truncation */
static void s_utf8_cut(char *s)
{
	size_t n = strlen(s), j = n;

	while (j > 0 && ((unsigned char)s[j - 1] & 0xC0) == 0x80)
		j--;
	if (j == 0)
		return;
	j--; /* the lead byte, or an ASCII byte */
	if (s_char_len(s + j, n - j) == 0)
		s[j] = '\0';
}

/* s_echo - a value fit for a message: at most FC_ECHO_MAX bytes cut on a character
 * boundary, control characters and invalid bytes shown as '?', "…" when cut,
 * optionally in quotes ("" for an empty value) */
static void s_echo(char *dst, size_t dsz, const char *s, size_t n, int quote)
{
	size_t i = 0, j = 0, k, step;

	if (quote || n == 0)
		dst[j++] = '"';
	while (i < n) {
		k = s_char_len(s + i, n - i);
		step = k > 0 ? k : 1;
		if (i + step > FC_ECHO_MAX || j + step + 5 > dsz)
			break;
		if (k == 0 || (unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7F)
			dst[j++] = '?';
		else {
			memcpy(dst + j, s + i, k);
			j += k;
		}
		i += step;
	}
	if (i < n) {
		memcpy(dst + j, "\xE2\x80\xA6", 3); /* … */
		j += 3;
	}
	if (quote || n == 0)
		dst[j++] = '"';
	dst[j] = '\0';
}

/* s_char_desc - name the character at p, for "contains ...", in both languages */
static void s_char_desc(const char *p, size_t n, char *vi, char *en)
{
	size_t k;
	unsigned char c = (unsigned char)p[0];

	if (s_space_len(p, n) > 0) {
		snprintf(vi, S_DESC_SZ, "dấu cách");
		snprintf(en, S_DESC_SZ, "a space");
		return;
	}
	if (c < 0x20 || c == 0x7F) {
		snprintf(vi, S_DESC_SZ, "ký tự điều khiển");
		snprintf(en, S_DESC_SZ, "a control character");
		return;
	}
	k = s_char_len(p, n);
	if (k == 0) {
		snprintf(vi, S_DESC_SZ, "byte không hợp lệ");
		snprintf(en, S_DESC_SZ, "an invalid byte");
		return;
	}
	snprintf(vi, S_DESC_SZ, "ký tự '%.*s'", (int)k, p);
	snprintf(en, S_DESC_SZ, "the character '%.*s'", (int)k, p);
}

/* s_fail - fill err with code and both messages (same arguments for both formats);
 * returns -1 */
static int s_fail(fc_error_t *err, const char *code, const char *fvi, const char *fen, ...)
	__attribute__((format(printf, 3, 5), format(printf, 4, 5)));

static int s_fail(fc_error_t *err, const char *code, const char *fvi, const char *fen, ...)
{
	va_list ap, aq;

	if (err == NULL)
		return -1;
	err->code = code;
	va_start(ap, fen);
	va_copy(aq, ap);
	if (vsnprintf(err->vi, sizeof(err->vi), fvi, ap) >= (int)sizeof(err->vi))
		s_utf8_cut(err->vi);
	if (vsnprintf(err->en, sizeof(err->en), fen, aq) >= (int)sizeof(err->en))
		s_utf8_cut(err->en);
	va_end(aq);
	va_end(ap);
	return -1;
}

/* Formats given to s_fail take the same arguments. A pair of arguments that differ by
 * language (vi, en) is printed with S_VI in the Vietnamese format and S_EN in the
 * English one: each prints its own and skips the other. */
#define S_VI "%s%.0s"
#define S_EN "%.0s%s"

/* s_put - write the canonical form (n bytes of s) to out and clear err; -1 with
 * E_INTERNAL when out is too small. out == NULL only checks. */
static int s_put(char *out, size_t outsz, const char *s, size_t n, fc_error_t *err)
{
	if (out != NULL) {
		if (n >= outsz)
			return s_fail(err, "E_INTERNAL",
			    "lỗi nội bộ: vùng nhớ kết quả quá nhỏ (cần %zu byte, có %zu)",
			    "internal error: output buffer too small (need %zu bytes, have %zu)",
			    n + 1, outsz);
		memcpy(out, s, n);
		out[n] = '\0';
	}
	if (err != NULL) {
		err->code = NULL;
		err->vi[0] = '\0';
		err->en[0] = '\0';
	}
	return 0;
}

/* s_bad_char - offset of the first character of s not accepted by ok(), or n */
static size_t s_bad_char(const char *s, size_t n, int (*ok)(char))
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!ok(s[i]))
			return i;
	return n;
}

/* ---- identifiers ---------------------------------------------------------- */

#define S_TAX_EXP_VI "phải gồm 10 chữ số (ví dụ 0300588569) hoặc 10 chữ số, dấu '-' và 3 chữ số mã chi nhánh (ví dụ 0300588569-001)"
#define S_TAX_EXP_EN "expected 10 digits (e.g. 0300588569) or 10 digits, '-' and a 3-digit branch number (e.g. 0300588569-001)"

/* s_tax_char - a character allowed in a tax code */
static int s_tax_char(char c)
{
	return s_isdigit(c) || c == '-';
}

/* fc_tax_check_digit - the 10th digit that the first 9 call for: d10 = 10 - (S mod 11)
 * with S = 31d1 + 29d2 + 23d3 + 19d4 + 17d5 + 13d6 + 7d7 + 5d8 + 3d9 (docs/DOMAIN.md §3.7) */
int fc_tax_check_digit(const char *ten_digits)
{
	static const int w[9] = { 31, 29, 23, 19, 17, 13, 7, 5, 3 };
	int i, sum = 0;

	if (ten_digits == NULL)
		return -1;
	for (i = 0; i < 9; i++) {
		if (!s_isdigit(ten_digits[i]))
			return -1;
		sum += w[i] * (ten_digits[i] - '0');
	}
	if (sum % 11 == 0)
		return -1; /* 10 - 0 = 10 is not a digit */
	return 10 - sum % 11;
}

/* fc_tax_code - 10 digits with a valid check digit, optionally '-' and a branch 001..999 */
int fc_tax_code(const char *in, char *out, size_t outsz, fc_error_t *err)
{
	size_t n, bad, dash, nsuf;
	const char *s = s_trim(in, &n), *dp;
	char v[S_ECHO_SZ], dvi[S_DESC_SZ], den[S_DESC_SZ];
	int want;

	s_echo(v, sizeof(v), s, n, 0);
	bad = s_bad_char(s, n, s_tax_char);
	dp = memchr(s, '-', bad);
	dash = dp != NULL ? (size_t)(dp - s) : n;
	if (bad == n && dash < n && memchr(s + dash + 1, '-', n - dash - 1) != NULL)
		bad = (size_t)((const char *)memchr(s + dash + 1, '-', n - dash - 1) - s);
	if (bad < n) {
		s_char_desc(s + bad, n - bad, dvi, den);
		return s_fail(err, "E_TAX_CODE_FORMAT", "mã số thuế %s: có " S_VI "; " S_TAX_EXP_VI,
		    "tax code %s: contains " S_EN "; " S_TAX_EXP_EN, v, dvi, den);
	}
	if (dash != 10) {
		if (dash == 9 && n == 9)
			return s_fail(err, "E_TAX_CODE_FORMAT",
			    "mã số thuế %s: có %zu chữ số" S_VI "; " S_TAX_EXP_VI,
			    "tax code %s: has %zu digits" S_EN "; " S_TAX_EXP_EN, v, dash,
			    S_EXCEL_VI, S_EXCEL_EN);
		return s_fail(err, "E_TAX_CODE_FORMAT",
		    "mã số thuế %s: có %zu chữ số" S_VI "; " S_TAX_EXP_VI,
		    "tax code %s: has %zu digits" S_EN "; " S_TAX_EXP_EN, v, dash,
		    dash < n ? " trước dấu '-'" : "", dash < n ? " before the '-'" : "");
	}
	if (dash < n) {
		nsuf = n - dash - 1;
		if (nsuf != 3)
			return s_fail(err, "E_TAX_CODE_BRANCH",
			    "mã số thuế %s: sau dấu '-' có %zu chữ số, phải có đúng 3 chữ số mã chi nhánh (001 đến 999)",
			    "tax code %s: %zu digits after the '-', expected exactly 3 digits of a branch number (001 to 999)",
			    v, nsuf);
		if (memcmp(s + dash + 1, "000", 3) == 0)
			return s_fail(err, "E_TAX_CODE_BRANCH",
			    "mã số thuế %s: mã chi nhánh %s không hợp lệ, phải từ 001 đến 999",
			    "tax code %s: branch number %s is not valid, expected 001 to 999", v, "000");
	}
	want = fc_tax_check_digit(s);
	if (want < 0)
		return s_fail(err, "E_TAX_CODE_CHECK_DIGIT",
		    "mã số thuế %s: không có chữ số kiểm tra (chữ số thứ 10) nào hợp lệ với 9 chữ số đầu này, hãy kiểm tra lại các chữ số",
		    "tax code %s: no check digit (10th digit) is valid after these first 9 digits; check the digits",
		    v);
	if (s[9] - '0' != want)
		return s_fail(err, "E_TAX_CODE_CHECK_DIGIT",
		    "mã số thuế %s: chữ số kiểm tra (chữ số thứ 10) là %c, phải là %d",
		    "tax code %s: check digit (10th digit) is %c, expected %d", v, s[9], want);
	return s_put(out, outsz, s, n, err);
}

/* fc_insurance_no - exactly 10 digits; the value is never echoed */
int fc_insurance_no(const char *in, char *out, size_t outsz, fc_error_t *err)
{
	size_t n, bad;
	const char *s = s_trim(in, &n);
	char dvi[S_DESC_SZ], den[S_DESC_SZ];

	bad = s_bad_char(s, n, s_isdigit);
	if (bad < n) {
		s_char_desc(s + bad, n - bad, dvi, den);
		return s_fail(err, "E_INSURANCE_NO_FORMAT",
		    "mã số BHXH có " S_VI "; mã số BHXH phải gồm đúng 10 chữ số",
		    "social insurance number contains " S_EN "; expected exactly 10 digits", dvi, den);
	}
	if (n != 10)
		return s_fail(err, "E_INSURANCE_NO_FORMAT",
		    "mã số BHXH có %zu chữ số" S_VI "; mã số BHXH phải gồm đúng 10 chữ số",
		    "social insurance number has %zu digits" S_EN "; expected exactly 10 digits", n,
		    n == 9 ? S_EXCEL_VI : "", n == 9 ? S_EXCEL_EN : "");
	return s_put(out, outsz, s, n, err);
}

/* fc_province_code_valid - one of the 63 province codes of the citizen ID scheme
 * (Circular 07/2016/TT-BCA) */
int fc_province_code_valid(int code3)
{
	static const unsigned char codes[] = {
		1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31,
		33, 34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62,
		64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93,
		94, 95, 96
	};
	size_t i;

	for (i = 0; i < sizeof(codes); i++)
		if (codes[i] == code3)
			return 1;
	return 0;
}

/* fc_citizen_id - 12 digits, the first 3 a province code. The value, any part of it
 * and its characters are personal data: messages say only what is wrong. */
int fc_citizen_id(const char *in, char *out, size_t outsz, fc_error_t *err)
{
	size_t n;
	const char *s = s_trim(in, &n);

	if (s_bad_char(s, n, s_isdigit) < n)
		return s_fail(err, "E_CITIZEN_ID_FORMAT",
		    "số CCCD chỉ được gồm chữ số; số CCCD phải gồm đúng 12 chữ số",
		    "citizen ID (CCCD) may contain digits only; expected exactly 12 digits");
	if (n != 12)
		return s_fail(err, "E_CITIZEN_ID_FORMAT",
		    "số CCCD có %zu chữ số" S_VI "; số CCCD phải gồm đúng 12 chữ số",
		    "citizen ID (CCCD) has %zu digits" S_EN "; expected exactly 12 digits", n,
		    n == 11 ? S_EXCEL_VI : "", n == 11 ? S_EXCEL_EN : "");
	if (!fc_province_code_valid((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0')))
		return s_fail(err, "E_CITIZEN_ID_PROVINCE",
		    "số CCCD: 3 chữ số đầu không phải mã tỉnh, thành phố (theo Thông tư 07/2016/TT-BCA); hãy kiểm tra lại số CCCD",
		    "citizen ID (CCCD): the first 3 digits are not a province code (Circular 07/2016/TT-BCA); check the number");
	return s_put(out, outsz, s, n, err);
}

/* s_upper_alnum - an A-Z or 0-9 character once upper-cased */
static int s_upper_alnum(char c)
{
	return s_isdigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* fc_unit_code - 3..12 of A-Z 0-9 after upper-casing */
int fc_unit_code(const char *in, char *out, size_t outsz, fc_error_t *err)
{
	size_t n, bad, i;
	const char *s = s_trim(in, &n);
	char v[S_ECHO_SZ], dvi[S_DESC_SZ], den[S_DESC_SZ], up[13];

	s_echo(v, sizeof(v), s, n, 0);
	bad = s_bad_char(s, n, s_upper_alnum);
	if (bad < n) {
		s_char_desc(s + bad, n - bad, dvi, den);
		return s_fail(err, "E_UNIT_CODE_FORMAT",
		    "mã đơn vị %s: có " S_VI "; phải gồm 3 đến 12 ký tự là chữ A–Z hoặc số 0–9",
		    "unit code %s: contains " S_EN "; expected 3 to 12 letters A–Z or digits 0–9", v, dvi, den);
	}
	if (n < 3 || n > 12)
		return s_fail(err, "E_UNIT_CODE_FORMAT",
		    "mã đơn vị %s: có %zu ký tự; phải gồm 3 đến 12 ký tự là chữ A–Z hoặc số 0–9",
		    "unit code %s: has %zu characters; expected 3 to 12 letters A–Z or digits 0–9", v, n);
	for (i = 0; i < n; i++)
		up[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 'a' + 'A') : s[i];
	return s_put(out, outsz, up, n, err);
}

/* s_code_char - a character allowed in a generic code */
static int s_code_char(char c)
{
	return s_upper_alnum(c) || c == '_' || c == '-' || c == '.';
}

/* fc_code - 1..32 of A-Z a-z 0-9 _ - . */
int fc_code(const char *in, char *out, size_t outsz, fc_error_t *err)
{
	size_t n, bad;
	const char *s = s_trim(in, &n);
	char v[S_ECHO_SZ], dvi[S_DESC_SZ], den[S_DESC_SZ];

	s_echo(v, sizeof(v), s, n, 1);
	bad = s_bad_char(s, n, s_code_char);
	if (bad < n) {
		s_char_desc(s + bad, n - bad, dvi, den);
		return s_fail(err, "E_CODE_FORMAT",
		    "mã %s: có " S_VI "; phải gồm 1 đến 32 ký tự là chữ không dấu, số, '_', '-' hoặc '.'",
		    "code %s: contains " S_EN "; expected 1 to 32 letters A–Z a–z, digits, '_', '-' or '.'",
		    v, dvi, den);
	}
	if (n < 1 || n > 32)
		return s_fail(err, "E_CODE_FORMAT",
		    "mã %s: có %zu ký tự; phải gồm 1 đến 32 ký tự là chữ không dấu, số, '_', '-' hoặc '.'",
		    "code %s: has %zu characters; expected 1 to 32 letters A–Z a–z, digits, '_', '-' or '.'",
		    v, n);
	return s_put(out, outsz, s, n, err);
}

/* ---- dates, periods, years ------------------------------------------------ */

#define S_DATE_EXP_VI "phải là DD/MM/YYYY (ví dụ 29/02/2024) hoặc YYYY-MM-DD (ví dụ 2024-02-29)"
#define S_DATE_EXP_EN "expected DD/MM/YYYY (e.g. 29/02/2024) or YYYY-MM-DD (e.g. 2024-02-29)"
#define S_PERIOD_EXP_VI "phải là tháng MM/YYYY (ví dụ 03/2017) hoặc YYYY-MM (ví dụ 2017-03)"
#define S_PERIOD_EXP_EN "expected a month MM/YYYY (e.g. 03/2017) or YYYY-MM (e.g. 2017-03)"

static const char *const s_month_en[12] = {
	"January", "February", "March", "April", "May", "June", "July", "August",
	"September", "October", "November", "December"
};

/* s_num - the value of n (1..4) ASCII digits at s, or -1 */
static int s_num(const char *s, size_t n)
{
	int v = 0;
	size_t i;

	if (n < 1 || n > 4)
		return -1;
	for (i = 0; i < n; i++) {
		if (!s_isdigit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* s_days_in_month - days of month m (1..12) in year y (Gregorian) */
static int s_days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : days[m - 1];
}

/* s_date_shape - read YYYY-MM-DD or D/M/YYYY (1-2 digit day and month); 0 if shaped
 * so (numbers not checked), *slash set for the second form */
static int s_date_shape(const char *s, size_t n, int *y, int *m, int *d, int *slash)
{
	const char *a, *b;

	if (n == 10 && s[4] == '-' && s[7] == '-') {
		*y = s_num(s, 4);
		*m = s_num(s + 5, 2);
		*d = s_num(s + 8, 2);
		*slash = 0;
		return (*y < 0 || *m < 0 || *d < 0) ? -1 : 0;
	}
	if (n > 10 || (a = memchr(s, '/', n)) == NULL)
		return -1;
	if ((b = memchr(a + 1, '/', (size_t)(s + n - a - 1))) == NULL)
		return -1;
	*d = s_num(s, (size_t)(a - s));
	*m = (b - a - 1 <= 2) ? s_num(a + 1, (size_t)(b - a - 1)) : -1;
	*y = (s + n - b - 1 == 4) ? s_num(b + 1, 4) : -1;
	*slash = 1;
	return (*d < 0 || *m < 0 || *y < 0 || a - s > 2) ? -1 : 0;
}

/* fc_date - a real calendar date in 1900..2100 -> YYYY-MM-DD */
int fc_date(const char *in, char *out, size_t outsz, fc_error_t *err)
{
	size_t n;
	const char *s = s_trim(in, &n);
	char v[S_ECHO_SZ], buf[40], mvi[24];
	int y, m, d, slash, dim;

	s_echo(v, sizeof(v), s, n, 0);
	if (s_date_shape(s, n, &y, &m, &d, &slash) < 0)
		return s_fail(err, "E_DATE_FORMAT", "ngày %s: sai định dạng; " S_DATE_EXP_VI,
		    "date %s: not a date; " S_DATE_EXP_EN, v);
	if (y < S_YEAR_MIN || y > S_YEAR_MAX)
		return s_fail(err, "E_DATE_INVALID", "ngày %s: năm %d nằm ngoài khoảng 1900–2100",
		    "date %s: year %d is outside 1900–2100", v, y);
	if (m < 1 || m > 12)
		return s_fail(err, "E_DATE_INVALID",
		    "ngày %s: không có tháng %d (tháng từ 1 đến 12" S_VI ")",
		    "date %s: there is no month %d (months are 1 to 12" S_EN ")", v, m,
		    slash ? "; ngày viết theo thứ tự ngày/tháng/năm" : "",
		    slash ? "; dates are written day/month/year" : "");
	if (d < 1)
		return s_fail(err, "E_DATE_INVALID", "ngày %s: không có ngày %d trong tháng",
		    "date %s: there is no day %d in a month", v, d);
	dim = s_days_in_month(y, m);
	if (d > dim && m == 2 && d == 29)
		return s_fail(err, "E_DATE_INVALID",
		    "ngày %s: năm %d không phải năm nhuận, tháng 2 chỉ có %d ngày",
		    "date %s: %d is not a leap year, February has only %d days", v, y, dim);
	if (d > dim) {
		snprintf(mvi, sizeof(mvi), "tháng %d", m);
		return s_fail(err, "E_DATE_INVALID", "ngày %s: " S_VI " năm %d chỉ có %d ngày",
		    "date %s: " S_EN " %d has only %d days", v, mvi, s_month_en[m - 1], y, dim);
	}
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
	return s_put(out, outsz, buf, strlen(buf), err);
}

/* fc_iso_date_ok - see fieldcheck.h: fc_date, and nothing to canonicalise. */
int fc_iso_date_ok(const char *s)
{
	char out[16];
	fc_error_t err;

	return s != NULL && strlen(s) == 10 && fc_date(s, out, sizeof(out), &err) == 0 && strcmp(out, s) == 0;
}

/* fc_period - a month YYYY-MM, MM/YYYY or M/YYYY in 1900..2100 -> YYYY-MM */
int fc_period(const char *in, char *out, size_t outsz, fc_error_t *err)
{
	size_t n;
	const char *s = s_trim(in, &n), *a;
	char v[S_ECHO_SZ], buf[40];
	int y = -1, m = -1, d, slash;

	s_echo(v, sizeof(v), s, n, 0);
	if (n == 7 && s[4] == '-') {
		y = s_num(s, 4);
		m = s_num(s + 5, 2);
	} else if (n >= 6 && n <= 7 && (a = memchr(s, '/', n)) != NULL && s + n - a - 1 == 4) {
		m = s_num(s, (size_t)(a - s));
		y = s_num(a + 1, 4);
	}
	if (y < 0 || m < 0) {
		if (s_date_shape(s, n, &y, &m, &d, &slash) == 0)
			return s_fail(err, "E_PERIOD_FORMAT",
			    "kỳ %s: đây là một ngày, kỳ là một tháng; " S_PERIOD_EXP_VI,
			    "period %s: this is a day, a period is a month; " S_PERIOD_EXP_EN, v);
		return s_fail(err, "E_PERIOD_FORMAT", "kỳ %s: sai định dạng; " S_PERIOD_EXP_VI,
		    "period %s: not a month; " S_PERIOD_EXP_EN, v);
	}
	if (m < 1 || m > 12)
		return s_fail(err, "E_PERIOD_FORMAT", "kỳ %s: không có tháng %d (tháng từ 1 đến 12)",
		    "period %s: there is no month %d (months are 1 to 12)", v, m);
	if (y < S_YEAR_MIN || y > S_YEAR_MAX)
		return s_fail(err, "E_PERIOD_FORMAT", "kỳ %s: năm %d nằm ngoài khoảng 1900–2100",
		    "period %s: year %d is outside 1900–2100", v, y);
	snprintf(buf, sizeof(buf), "%04d-%02d", y, m);
	return s_put(out, outsz, buf, strlen(buf), err);
}

/* fc_year - YYYY in 1900..2100 */
int fc_year(const char *in, char *out, size_t outsz, fc_error_t *err)
{
	size_t n;
	const char *s = s_trim(in, &n);
	char v[S_ECHO_SZ];
	int y = n == 4 ? s_num(s, 4) : -1;

	s_echo(v, sizeof(v), s, n, 0);
	if (y < 0)
		return s_fail(err, "E_YEAR_FORMAT",
		    "năm %s: sai định dạng; phải là năm gồm 4 chữ số từ 1900 đến 2100 (ví dụ 2020)",
		    "year %s: not a year; expected 4 digits from 1900 to 2100 (e.g. 2020)", v);
	if (y < S_YEAR_MIN || y > S_YEAR_MAX)
		return s_fail(err, "E_YEAR_FORMAT", "năm %s: nằm ngoài khoảng 1900 đến 2100",
		    "year %s: outside 1900 to 2100", v);
	return s_put(out, outsz, s, n, err);
}

/* ---- numbers -------------------------------------------------------------- */

enum { S_NUM_OK, S_NUM_EMPTY, S_NUM_CHAR, S_NUM_GROUP, S_NUM_MIXED, S_NUM_DECIMAL };

/* s_sep_at - the group separator at p ('.', ',' or ' ' for any blank) with its byte
 * length in *len, or 0 */
static char s_sep_at(const char *p, size_t n, size_t *len)
{
	if (*p == '.' || *p == ',') {
		*len = 1;
		return *p;
	}
	*len = s_space_len(p, n);
	return *len > 0 ? ' ' : 0;
}

/* s_shape - check that s is digits grouped in threes by one kind of separator.
 * *bad: offset of a character that is neither; *last_at, *last_group: where the
 * last separator is and the digits after it; *nlast: separators of its kind. */
static int s_shape(const char *s, size_t n, size_t *bad, size_t *last_at, size_t *last_group,
	size_t *nlast)
{
	size_t i = 0, len, cur = 0, groups = 0, ndig = 0, count[3] = { 0, 0, 0 };
	char first = 0, last = 0, c;
	int grouped = 1, mixed = 0;

	*last_at = n;
	while (i < n) {
		if (s_isdigit(s[i])) {
			cur++;
			ndig++;
			i++;
			continue;
		}
		if ((c = s_sep_at(s + i, n - i, &len)) == 0) {
			*bad = i;
			return S_NUM_CHAR;
		}
		if (cur == 0 || (groups == 0 && cur > 3) || (groups > 0 && cur != 3))
			grouped = 0;
		if (first == 0)
			first = c;
		else if (c != first)
			mixed = 1;
		count[c == '.' ? 0 : c == ',' ? 1 : 2]++;
		last = c;
		*last_at = i;
		groups++;
		cur = 0;
		i += len;
	}
	*last_group = cur;
	*nlast = last == 0 ? 0 : count[last == '.' ? 0 : last == ',' ? 1 : 2];
	if (n == 0)
		return S_NUM_EMPTY;
	if (groups == 0)
		return S_NUM_OK;
	if (cur != 3 || ndig == 0)
		grouped = 0;
	if (mixed)
		return S_NUM_MIXED;
	return grouped ? S_NUM_OK : S_NUM_GROUP;
}

/* s_grouped - s_shape, telling apart a decimal ("12,5", "1.234,50"): a single '.'
 * or ',' last, not followed by 3 digits, after a well-grouped whole part */
static int s_grouped(const char *s, size_t n, size_t *bad)
{
	size_t at, g, nl, at2, g2, nl2;
	int r = s_shape(s, n, bad, &at, &g, &nl);

	if (r != S_NUM_GROUP && r != S_NUM_MIXED)
		return r;
	if ((s[at] == '.' || s[at] == ',') && nl == 1 && g > 0 && g != 3 &&
	    s_shape(s, at, bad, &at2, &g2, &nl2) == S_NUM_OK)
		return S_NUM_DECIMAL;
	return r;
}

/* s_digits - the significant digits of s (no separators, no leading zeros; "0" for
 * zero) into dig, up to dsz - 1 of them; returns how many there are in all */
static size_t s_digits(const char *s, size_t n, char *dig, size_t dsz)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (!s_isdigit(s[i]) || (k == 0 && s[i] == '0'))
			continue;
		if (k + 1 < dsz)
			dig[k] = s[i];
		k++;
	}
	if (k == 0) {
		dig[0] = '0';
		k = 1;
	}
	dig[k + 1 < dsz ? k : dsz - 1] = '\0';
	return k;
}

/* s_minus - strip a leading '-' or U+2212 MINUS SIGN; 1 if there was one */
static int s_minus(const char **s, size_t *n)
{
	if (*n >= 1 && (*s)[0] == '-') {
		(*s)++;
		(*n)--;
		return 1;
	}
	if (*n >= 3 && memcmp(*s, "\xE2\x88\x92", 3) == 0) {
		*s += 3;
		*n -= 3;
		return 1;
	}
	return 0;
}


/* s_range_text - "expected min to max" in both languages, for whole numbers; an
 * open end (LLONG_MIN, LLONG_MAX) is left out. A number beyond long long on the
 * open side (overflow < 0 below, > 0 above) is said to be too small or too large. */
static void s_range_text(long long min, long long max, int overflow, char *vi, size_t visz,
	char *en, size_t ensz)
{
	if (overflow > 0 && max == LLONG_MAX) {
		snprintf(vi, visz, "số quá lớn");
		snprintf(en, ensz, "the number is too large");
	} else if (overflow < 0 && min == LLONG_MIN) {
		snprintf(vi, visz, "số quá nhỏ");
		snprintf(en, ensz, "the number is too small");
	} else if (max == LLONG_MAX) {
		snprintf(vi, visz, "phải từ %lld trở lên", min);
		snprintf(en, ensz, "expected %lld or more", min);
	} else if (min == LLONG_MIN) {
		snprintf(vi, visz, "phải không quá %lld", max);
		snprintf(en, ensz, "expected at most %lld", max);
	} else {
		snprintf(vi, visz, "phải từ %lld đến %lld", min, max);
		snprintf(en, ensz, "expected %lld to %lld", min, max);
	}
}

/* s_shape_fail - the message for a number that is not digits grouped in threes, in
 * money (whole VND) or integer wording */
static int s_shape_fail(fc_error_t *err, const char *code, int money, const char *v, int r,
	const char *s, size_t n, size_t bad)
{
	const char *lvi = money ? "số tiền" : "số", *len = money ? "amount" : "number";
	const char *wvi = money ? "số tiền phải là số đồng nguyên" : "phải là số nguyên";
	const char *wen = money ? "expected whole VND" : "expected a whole number";
	char dvi[S_DESC_SZ], den[S_DESC_SZ];

	switch (r) {
	case S_NUM_CHAR:
		s_char_desc(s + bad, n - bad, dvi, den);
		return s_fail(err, code,
		    S_VI " %s: có " S_VI "; " S_VI ", có thể nhóm 3 chữ số bằng '.', ',' hoặc dấu cách (ví dụ 1.234.567)",
		    S_EN " %s: contains " S_EN "; " S_EN ", digits optionally grouped in threes by '.', ',' or a space (e.g. 1.234.567)",
		    lvi, len, v, dvi, den, wvi, wen);
	case S_NUM_DECIMAL:
		return s_fail(err, code, S_VI " %s: có phần thập phân; " S_VI ", không có số lẻ",
		    S_EN " %s: has a decimal part; " S_EN ", without decimals",
		    lvi, len, v, wvi, wen);
	case S_NUM_MIXED:
		return s_fail(err, code,
		    S_VI " %s: dùng lẫn nhiều loại dấu phân cách nhóm; chỉ dùng một loại: '.', ',' hoặc dấu cách (ví dụ 1.234.567)",
		    S_EN " %s: mixes different group separators; use only one of '.', ',' or a space (e.g. 1.234.567)",
		    lvi, len, v);
	case S_NUM_GROUP:
		return s_fail(err, code,
		    S_VI " %s: các chữ số phải được nhóm theo 3 (ví dụ 1.234.567 hoặc 1234567)",
		    S_EN " %s: digits must be grouped in threes (e.g. 1.234.567 or 1234567)",
		    lvi, len, v);
	default:
		return s_fail(err, code, S_VI " %s: không có chữ số; " S_VI " (ví dụ 1.234.567)",
		    S_EN " %s: has no digits; " S_EN " (e.g. 1.234.567)", lvi, len, v, wvi, wen);
	}
}

/* fc_money - whole VND 0..10^15 -> digits without leading zeros */
int fc_money(const char *in, char *out, size_t outsz, fc_error_t *err)
{
	size_t n, bad = 0, k;
	const char *s = s_trim(in, &n);
	char v[S_ECHO_SZ], dig[FC_MONEY_MAX_DIGITS + 2];
	int neg, r;

	s_echo(v, sizeof(v), s, n, 0);
	neg = s_minus(&s, &n);
	r = s_grouped(s, n, &bad);
	if (r != S_NUM_OK)
		return s_shape_fail(err, "E_MONEY_FORMAT", 1, v, r, s, n, bad);
	k = s_digits(s, n, dig, sizeof(dig));
	if (neg && strcmp(dig, "0") != 0)
		return s_fail(err, "E_MONEY_NEGATIVE",
		    "số tiền %s: là số âm; số tiền không được âm (ghi 0 nếu không có)",
		    "amount %s: is negative; amounts cannot be negative (write 0 for none)", v);
	if (k > FC_MONEY_MAX_DIGITS ||
	    (k == FC_MONEY_MAX_DIGITS && strcmp(dig, "1000000000000000") > 0))
		return s_fail(err, "E_MONEY_FORMAT",
		    "số tiền %s: vượt quá giới hạn 1.000.000.000.000.000 đồng",
		    "amount %s: exceeds the maximum of 1,000,000,000,000,000 VND", v);
	return s_put(out, outsz, dig, k, err);
}

/* fc_int - a whole number (grouping as for money) in [min,max] -> [-]digits */
int fc_int(const char *in, long long min, long long max, char *out, size_t outsz, fc_error_t *err)
{
	size_t n, bad = 0, k, i;
	const char *s = s_trim(in, &n);
	char v[S_ECHO_SZ], dig[24], buf[32], rvi[96], ren[96];
	unsigned long long mag = 0;
	long long val = 0;
	int neg, r, inside, overflow;

	s_echo(v, sizeof(v), s, n, 0);
	neg = s_minus(&s, &n);
	r = s_grouped(s, n, &bad);
	if (r != S_NUM_OK)
		return s_shape_fail(err, "E_INT_FORMAT", 0, v, r, s, n, bad);
	k = s_digits(s, n, dig, sizeof(dig));
	for (i = 0; k <= 19 && i < k; i++)
		mag = mag * 10 + (unsigned long long)(dig[i] - '0');
	overflow = k > 19 || mag > (unsigned long long)LLONG_MAX + (neg ? 1u : 0u);
	inside = !overflow;
	if (inside) {
		if (!neg)
			val = (long long)mag;
		else if (mag == (unsigned long long)LLONG_MAX + 1u)
			val = LLONG_MIN;
		else
			val = -(long long)mag;
		inside = val >= min && val <= max;
	}
	if (!inside) {
		s_range_text(min, max, overflow ? (neg ? -1 : 1) : 0, rvi, sizeof(rvi), ren,
		    sizeof(ren));
		return s_fail(err, "E_INT_RANGE", "số %s: ngoài khoảng cho phép; " S_VI,
		    "number %s: out of range; " S_EN, v, rvi, ren);
	}
	snprintf(buf, sizeof(buf), "%lld", val);
	return s_put(out, outsz, buf, strlen(buf), err);
}

#define S_PCT_EXP_VI "phải là số với dấu thập phân '.' hoặc ',', tối đa 4 chữ số thập phân, có thể kèm '%%' (ví dụ 35,5 hoặc 35.5%%)"
#define S_PCT_EXP_EN "expected a number with '.' or ',' as the decimal mark, at most 4 decimals, optionally followed by '%%' (e.g. 35,5 or 35.5%%)"

/* s_dbl - d as the shortest decimal with at most 4 decimals ("100", "35.5") */
static void s_dbl(char *buf, size_t sz, double d)
{
	size_t n;

	if (!(d > -1e15 && d < 1e15)) {
		snprintf(buf, sz, "%g", d);
		return;
	}
	snprintf(buf, sz, "%.4f", d);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		n--;
	if (n > 0 && buf[n - 1] == '.')
		n--;
	buf[n] = '\0';
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, sz, "0");
}

/* fc_pct - a percentage, '.' or ',' decimal mark, <= 4 decimals, optional '%', in
 * [min,max] -> shortest decimal with '.' */
int fc_pct(const char *in, double min, double max, char *out, size_t outsz, fc_error_t *err)
{
	static const long long scale[5] = { 10000, 1000, 100, 10, 1 };
	size_t n, i, ni, nf = 0, k, len;
	const char *s = s_trim(in, &n), *f = NULL;
	char v[S_ECHO_SZ], dvi[S_DESC_SZ], den[S_DESC_SZ], dig[24], buf[48], lo[48], hi[48];
	long long ip = 0, fp = 0;
	double val;
	int neg;

	s_echo(v, sizeof(v), s, n, 0);
	if (n > 0 && s[n - 1] == '%') {
		n--;
		while ((k = s_space_len_back(s, n)) > 0)
			n -= k;
	}
	neg = s_minus(&s, &n);
	for (i = 0; i < n && s_isdigit(s[i]); i++)
		;
	ni = i;
	if (i < n && (s[i] == '.' || s[i] == ',')) {
		f = s + i + 1;
		for (i++; i < n && s_isdigit(s[i]); i++)
			nf++;
	}
	if (i < n) {
		s_char_desc(s + i, n - i, dvi, den);
		return s_fail(err, "E_PCT_FORMAT", "tỷ lệ %s: có " S_VI "; " S_PCT_EXP_VI,
		    "percentage %s: contains " S_EN "; " S_PCT_EXP_EN, v, dvi, den);
	}
	if (ni == 0 || (f != NULL && nf == 0))
		return s_fail(err, "E_PCT_FORMAT", "tỷ lệ %s: không phải là số; " S_PCT_EXP_VI,
		    "percentage %s: not a number; " S_PCT_EXP_EN, v);
	if (nf > 4)
		return s_fail(err, "E_PCT_FORMAT",
		    "tỷ lệ %s: có %zu chữ số thập phân, chỉ được tối đa 4",
		    "percentage %s: has %zu decimals, at most 4 are allowed", v, nf);
	k = s_digits(s, ni, dig, sizeof(dig));
	for (i = 0; k <= 12 && i < k; i++)
		ip = ip * 10 + (dig[i] - '0');
	for (i = 0; i < nf; i++)
		fp = fp * 10 + (f[i] - '0');
	fp *= scale[nf];
	val = (double)(ip * 10000 + fp) / 10000.0;
	if (neg)
		val = -val;
	if (k > 12 || val < min || val > max) {
		s_dbl(lo, sizeof(lo), min);
		s_dbl(hi, sizeof(hi), max);
		return s_fail(err, "E_PCT_RANGE", "tỷ lệ %s: ngoài khoảng cho phép; phải từ %s đến %s",
		    "percentage %s: out of range; expected %s to %s", v, lo, hi);
	}
	len = (size_t)snprintf(buf, sizeof(buf), "%s%lld", neg && (ip != 0 || fp != 0) ? "-" : "", ip);
	if (fp != 0) {
		snprintf(buf + len, sizeof(buf) - len, ".%04lld", fp);
		len = strlen(buf);
		while (buf[len - 1] == '0')
			len--;
	}
	return s_put(out, outsz, buf, len, err);
}

/* ---- words: booleans and enumerations ------------------------------------- */

/* s_fold - s without case and diacritics (đ -> d), blank runs as one space, trimmed,
 * into dst; -1 if too long or not UTF-8 */
static int s_fold(const char *s, size_t n, char *dst, size_t dsz)
{
	utf8proc_uint8_t *m = NULL;
	utf8proc_ssize_t r, i = 0;
	size_t j = 0, k;
	int gap = 0;

	if (n > S_FOLD_MAX)
		return -1;
	for (k = 0; k < n && (unsigned char)s[k] < 0x80 && s[k] != '\0'; k++)
		;
	if (k == n) { /* ASCII: folding is lower case (no marks, no decomposition) */
		m = malloc(n + 1);
		if (m == NULL)
			return -1;
		for (k = 0; k < n; k++)
			m[k] = (utf8proc_uint8_t)(s[k] >= 'A' && s[k] <= 'Z' ? s[k] - 'A' + 'a' : s[k]);
		m[n] = '\0';
		r = (utf8proc_ssize_t)n;
	} else {
		r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &m,
		    UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD);
		if (r < 0)
			return -1;
	}
	while (i < r) {
		if ((k = s_space_len((const char *)m + i, (size_t)(r - i))) > 0) {
			gap = j > 0;
			i += (utf8proc_ssize_t)k;
			continue;
		}
		if (j + 2 >= dsz) {
			free(m);
			return -1;
		}
		if (gap) {
			dst[j++] = ' ';
			gap = 0;
		}
		if (m[i] == 0xC4 && i + 1 < r && m[i + 1] == 0x91) { /* đ, no decomposition */
			dst[j++] = 'd';
			i += 2;
		} else {
			dst[j++] = (char)m[i++];
		}
	}
	dst[j] = '\0';
	free(m);
	return 0;
}

/* s_fold_eq - 1 if word folds to the already folded f. The words are the
 * schema's values and aliases, the same on every row: their folded forms are
 * remembered (per thread), each entry checked against the word itself, so a
 * reload that frees and reuses the memory finds no stale entry. */
static int s_fold_eq(const char *f, const char *word)
{
	static __thread struct {
		const char *p;
		char word[48], folded[S_FOLD_MAX * 2];
		int ok;
	} cache[64];
	size_t len = strlen(word), h = ((uintptr_t)word >> 3) & 63;
	char g[S_FOLD_MAX * 2];

	if (len < sizeof(cache[0].word)) {
		if (cache[h].p != word || strcmp(cache[h].word, word) != 0) {
			cache[h].p = word;
			memcpy(cache[h].word, word, len + 1);
			cache[h].ok = s_fold(word, len, cache[h].folded, sizeof(cache[h].folded)) == 0;
		}
		return cache[h].ok && strcmp(f, cache[h].folded) == 0;
	}
	return s_fold(word, len, g, sizeof(g)) == 0 && strcmp(f, g) == 0;
}

/* s_in_list - 1 if the folded f is one of the words */
static int s_in_list(const char *f, const char *const *words)
{
	size_t i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(f, words[i]) == 0)
			return 1;
	return 0;
}

/* fc_bool - yes/no words in English and Vietnamese, x and empty -> "1"/"0" */
int fc_bool(const char *in, char *out, size_t outsz, fc_error_t *err)
{
	static const char *const yes[] = { "1", "true", "yes", "co", "x", NULL };
	static const char *const no[] = { "0", "false", "no", "khong", NULL };
	size_t n;
	const char *s = s_trim(in, &n);
	char v[S_ECHO_SZ], f[S_FOLD_MAX * 2];

	if (n == 0)
		return s_put(out, outsz, "0", 1, err);
	if (s_fold(s, n, f, sizeof(f)) == 0) {
		if (s_in_list(f, yes))
			return s_put(out, outsz, "1", 1, err);
		if (s_in_list(f, no))
			return s_put(out, outsz, "0", 1, err);
	}
	s_echo(v, sizeof(v), s, n, 1);
	return s_fail(err, "E_BOOL_FORMAT",
	    "giá trị %s: không hiểu là có hay không; dùng có/không, 1/0, x/để trống, true/false hoặc yes/no",
	    "value %s: not a yes/no value; expected có/không, 1/0, x/empty, true/false or yes/no", v);
}

/* s_enum_list - "a (alias), b (alias)" for a message, cut with "…" if too long */
static void s_enum_list(char *buf, size_t sz, const char *const *canon,
	const char *const *const *aliases)
{
	size_t i, pos = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; canon != NULL && canon[i] != NULL; i++) {
		if (aliases != NULL && aliases[i] != NULL && aliases[i][0] != NULL)
			w = snprintf(buf + pos, sz - pos, "%s%s (%s)", i > 0 ? ", " : "", canon[i],
			    aliases[i][0]);
		else
			w = snprintf(buf + pos, sz - pos, "%s%s", i > 0 ? ", " : "", canon[i]);
		if (w < 0 || (size_t)w >= sz - pos) {
			buf[sz - 4] = '\0';
			s_utf8_cut(buf);
			strcat(buf, "\xE2\x80\xA6"); /* … */
			return;
		}
		pos += (size_t)w;
	}
}

/* fc_enum - one of the canonical values or their aliases, ignoring case, diacritics
 * and extra blanks -> the canonical value */
int fc_enum(const char *in, const char *const *canon, const char *const *const *aliases,
	char *out, size_t outsz, fc_error_t *err)
{
	size_t n, i, j;
	const char *s = s_trim(in, &n);
	char v[S_ECHO_SZ], f[S_FOLD_MAX * 2], list[200];

	if (canon != NULL && s_fold(s, n, f, sizeof(f)) == 0) {
		for (i = 0; canon[i] != NULL; i++) {
			if (s_fold_eq(f, canon[i]))
				return s_put(out, outsz, canon[i], strlen(canon[i]), err);
			for (j = 0; aliases != NULL && aliases[i] != NULL && aliases[i][j] != NULL; j++)
				if (s_fold_eq(f, aliases[i][j]))
					return s_put(out, outsz, canon[i], strlen(canon[i]), err);
		}
	}
	s_echo(v, sizeof(v), s, n, 1);
	s_enum_list(list, sizeof(list), canon, aliases);
	return s_fail(err, "E_ENUM_VALUE",
	    "giá trị %s: không có trong danh sách; chấp nhận: %s",
	    "value %s: not an accepted value; expected one of: %s", v, list);
}
