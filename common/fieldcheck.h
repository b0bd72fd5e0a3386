/* fieldcheck - check one CSV cell against its field type and give its canonical form.
 *
 * Each checker takes the text of one cell (UTF-8, NFC, possibly with surrounding
 * spaces, which are trimmed), and either writes the canonical form into out and
 * returns 0, or returns -1 with err filled: a stable code (see the table at the
 * top of fieldcheck.c and docs/REJECTION_CODES.md) and a message for a clerk in
 * Vietnamese and English saying what is wrong and what was expected.
 *
 * Empty cells: the caller decides whether a field is required (E_REQUIRED is not
 * raised here). Given an empty cell, every checker except fc_bool (empty = "0")
 * fails with its format code.
 *
 * Messages never contain a citizen ID or a social insurance number, even in part;
 * other values are echoed truncated to 40 bytes (UTF-8 safe). Messages do not name
 * the field: the caller reports the field next to the code.
 *
 * out must have room for the canonical form plus NUL: FC_OUT_SIZE is enough for
 * every checker except fc_enum (which needs the longest canonical value + 1). If
 * it is too small the checker fails with code E_INTERNAL (a programming error).
 * out may be NULL (outsz ignored) to check only.
 * err may be NULL when only the verdict is wanted. On success err->code is NULL.
 * Thread-safe: no global state. */
#ifndef BHXH_FIELDCHECK_H
#define BHXH_FIELDCHECK_H

#include <stddef.h>

#define FC_OUT_SIZE 64          /* room for any canonical form but an enum value */
#define FC_ECHO_MAX 40          /* bytes of a value echoed in a message */
#define FC_MONEY_MAX_DIGITS 16  /* 10^15 */

typedef struct {
	const char *code;        /* stable, e.g. "E_TAX_CODE_CHECK_DIGIT"; NULL on success */
	char vi[320];            /* Vietnamese message */
	char en[320];            /* English message */
} fc_error_t;

/* Field types, for schema tables in callers. FC_ENUM was added after FC_BOOL. */
typedef enum { FC_STRING, FC_TAX_CODE, FC_INSURANCE_NO, FC_CITIZEN_ID, FC_UNIT_CODE, FC_CODE,
	FC_DATE, FC_PERIOD, FC_YEAR, FC_MONEY, FC_INT, FC_PCT, FC_BOOL, FC_ENUM } fc_type_t;

/* "0300588569" or "0300588569-001" (branch 001..999), with a valid check digit. */
int fc_tax_code(const char *in, char *out, size_t outsz, fc_error_t *err);
/* Social insurance number (mã số BHXH): exactly 10 digits. Never echoed. */
int fc_insurance_no(const char *in, char *out, size_t outsz, fc_error_t *err);
/* Citizen ID (CCCD): 12 digits, the first 3 a province code. Never echoed. */
int fc_citizen_id(const char *in, char *out, size_t outsz, fc_error_t *err);
/* 3..12 of A-Z 0-9 after ASCII upper-casing -> upper case. */
int fc_unit_code(const char *in, char *out, size_t outsz, fc_error_t *err);
/* YYYY-MM-DD, DD/MM/YYYY or D/M/YYYY, a real date in 1900..2100 -> YYYY-MM-DD. */
int fc_date(const char *in, char *out, size_t outsz, fc_error_t *err);
/* fc_iso_date_ok - 1 when s is exactly YYYY-MM-DD and a real date in 1900..2100. */
int fc_iso_date_ok(const char *s);
/* YYYY-MM, MM/YYYY or M/YYYY, year 1900..2100 -> YYYY-MM. */
int fc_period(const char *in, char *out, size_t outsz, fc_error_t *err);
/* YYYY in 1900..2100. */
int fc_year(const char *in, char *out, size_t outsz, fc_error_t *err);
/* Whole VND, digits optionally grouped in threes by one kind of '.', ',' or space
 * (a no-break space counts as a space), 0..10^15 -> digits without leading zeros. */
int fc_money(const char *in, char *out, size_t outsz, fc_error_t *err);
/* Integer (optional '-', grouping as for money) in [min,max] -> [-]digits. */
int fc_int(const char *in, long long min, long long max, char *out, size_t outsz, fc_error_t *err);
/* "35", "35.5", "35,5", optional trailing '%', at most 4 decimals, in [min,max]
 * -> shortest decimal with '.', e.g. "35.5", "35", "0.25". */
int fc_pct(const char *in, double min, double max, char *out, size_t outsz, fc_error_t *err);
/* 1/true/yes/có/co/x -> "1"; 0/false/no/không/khong/empty -> "0"; case- and
 * diacritic-insensitive. */
int fc_bool(const char *in, char *out, size_t outsz, fc_error_t *err);
/* canon: NULL-terminated list of canonical values. aliases: NULL, or an array
 * parallel to canon whose entries are NULL or NULL-terminated alias lists.
 * Matches case- and diacritic-insensitively (đ = d, internal runs of spaces = one
 * space) and writes the canonical value. The message lists each canonical value
 * with its first alias. */
int fc_enum(const char *in, const char *const *canon, const char *const *const *aliases,
	char *out, size_t outsz, fc_error_t *err);
/* Generic code: 1..32 of A-Z a-z 0-9 _ - . (case kept). */
int fc_code(const char *in, char *out, size_t outsz, fc_error_t *err);

/* Expected 10th digit (0..9) of a tax code from its first 9 digits (only those are
 * read), or -1 when no digit is valid (S mod 11 == 0) or the input is not 9 digits. */
int fc_tax_check_digit(const char *ten_digits);
/* 1 if code3 is one of the 63 province codes of the citizen ID scheme, else 0. */
int fc_province_code_valid(int code3);

#endif
