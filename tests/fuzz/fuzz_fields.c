/* fuzz_fields - libFuzzer harness for the cell and row checks
 * (common/fieldcheck.c, common/rowcheck.c) with the shipped configuration.
 *
 * An input starting with 'R' is a row:
 *   R<record type>\n<agency id>\n<cell>,<cell>,...
 * checked with rowcheck_row against the shipped configuration (an unknown
 * record type name picks one by a hash of the name; an unknown agency is
 * none). Any other input is one cell (after the first byte), given to every
 * fieldcheck function: fc_int and fc_pct with several ranges, fc_enum with
 * every enumeration of the shipped schemas and a built-in one.
 * The shipped configuration is read at start from $BHXH_FUZZ_CONFIG
 * (default: config, relative to the current directory).
 *
 * Checked for a cell: success leaves err->code NULL and a NUL-terminated
 * canonical form that checks again to itself; failure gives an "E_" code and
 * NUL-terminated messages, valid UTF-8 when the cell is; the verdict is the
 * same with out NULL, and a small exact-size out buffer is never overrun
 * (ASan); a social insurance number or citizen ID is never echoed.
 * Checked for a row: success gives every canonical value, and the canonical
 * row checks again to itself; failure names a field of the record type (or
 * none) and leaves out empty. Crashes, leaks and sanitizer reports are
 * findings; so is a failed check (abort). */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fieldcheck.h"
#include "rowcheck.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { K_TAX, K_INS, K_CCCD, K_UNIT, K_CODE, K_DATE, K_PERIOD, K_YEAR, K_MONEY, K_INT_ANY, K_INT_PCT,
	K_INT_SMALL, K_PCT, K_PCT_ANY, K_PCT_HALF, K_BOOL, K_ENUM, K_COUNT };

#define S_MAX_ENUMS 16

static config_t *s_cfg;
static int s_nenums;
static const char *const *s_enum_canon[S_MAX_ENUMS];
static const char *const *const *s_enum_aliases[S_MAX_ENUMS];
static size_t s_enum_outsz[S_MAX_ENUMS];

static const char *const s_builtin_canon[] = { "compulsory", "voluntary", "Đã nộp", NULL };
static const char *const s_builtin_a0[] = { "bắt buộc", "BB", NULL };
static const char *const s_builtin_a2[] = { "da nop", "x", NULL };
static const char *const *const s_builtin_aliases[] = { s_builtin_a0, NULL, s_builtin_a2 };

/* s_check - abort (a finding) unless cond holds. */
static void
s_check(int cond)
{
	if (!cond)
		abort();
}

/* LLVMFuzzerInitialize - load the shipped configuration, collect its enums. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("BHXH_FUZZ_CONFIG");
	yt_diag_t d = { 0 };
	char path[512];

	snprintf(path, sizeof(path), "%s/bhxh.yaml", dir != NULL ? dir : "config");
	s_cfg = config_load(path, &d);
	if (s_cfg == NULL) {
		yt_diag_print(&d, stderr);
		fprintf(stderr, "fuzz_fields: cannot load %s (set BHXH_FUZZ_CONFIG)\n", path);
		abort();
	}
	yt_diag_free(&d);
	s_enum_canon[0] = s_builtin_canon;
	s_enum_aliases[0] = s_builtin_aliases;
	s_nenums = 1;
	for (int t = 0; t < s_cfg->nrtypes; t++)
		for (int i = 0; i < s_cfg->rtypes[t].nfields && s_nenums < S_MAX_ENUMS; i++) {
			const cfg_field_t *f = &s_cfg->rtypes[t].fields[i];

			if (f->type != FT_ENUM)
				continue;
			s_enum_canon[s_nenums] = (const char *const *)f->values;
			s_enum_aliases[s_nenums] = (const char *const *const *)f->value_aliases;
			s_nenums++;
		}
	for (int e = 0; e < s_nenums; e++) {
		s_enum_outsz[e] = 1;
		for (int i = 0; s_enum_canon[e][i] != NULL; i++)
			if (strlen(s_enum_canon[e][i]) + 1 > s_enum_outsz[e])
				s_enum_outsz[e] = strlen(s_enum_canon[e][i]) + 1;
	}
	return 0;
}

/* s_run - one checker (kind; enum e for K_ENUM) on in. */
static int
s_run(int kind, int e, const char *in, char *out, size_t outsz, fc_error_t *err)
{
	switch (kind) {
	case K_TAX: return fc_tax_code(in, out, outsz, err);
	case K_INS: return fc_insurance_no(in, out, outsz, err);
	case K_CCCD: return fc_citizen_id(in, out, outsz, err);
	case K_UNIT: return fc_unit_code(in, out, outsz, err);
	case K_CODE: return fc_code(in, out, outsz, err);
	case K_DATE: return fc_date(in, out, outsz, err);
	case K_PERIOD: return fc_period(in, out, outsz, err);
	case K_YEAR: return fc_year(in, out, outsz, err);
	case K_MONEY: return fc_money(in, out, outsz, err);
	case K_INT_ANY: return fc_int(in, LLONG_MIN, LLONG_MAX, out, outsz, err);
	case K_INT_PCT: return fc_int(in, 0, 100, out, outsz, err);
	case K_INT_SMALL: return fc_int(in, -5, 5, out, outsz, err);
	case K_PCT: return fc_pct(in, 0, 100, out, outsz, err);
	case K_PCT_ANY: return fc_pct(in, -1e15, 1e15, out, outsz, err);
	case K_PCT_HALF: return fc_pct(in, 0, 0.5, out, outsz, err);
	case K_BOOL: return fc_bool(in, out, outsz, err);
	case K_ENUM: return fc_enum(in, s_enum_canon[e], s_enum_aliases[e], out, outsz, err);
	}
	abort();
}

/* s_valid_utf8 - 1 if s is well-formed UTF-8 (no overlongs, surrogates or
 * code points above U+10FFFF). */
static int
s_valid_utf8(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s != '\0') {
		unsigned c = *s;
		size_t n = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2
		    : c >= 0xF0 && c <= 0xF4 ? 3 : 99;
		unsigned cp;

		if (n == 99)
			return 0;
		cp = n == 0 ? c : c & (0x3F >> n);
		for (size_t i = 1; i <= n; i++) {
			if ((s[i] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3F);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
			return 0;
		s += n + 1;
	}
	return 1;
}

/* s_all_digits - 1 if s, without surrounding spaces, is at least 5 digits
 * (a value that a message must never repeat); the digits go to buf. */
static int
s_all_digits(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	while (*s >= '0' && *s <= '9' && n + 1 < size)
		buf[n++] = *s++;
	buf[n] = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0' && n >= 5;
}

/* s_cell - one checker on one cell, with every invariant. */
static void
s_cell(int kind, int e, const char *in, int utf8)
{
	size_t outsz = kind == K_ENUM ? s_enum_outsz[e] : FC_OUT_SIZE;
	char *out = malloc(outsz), *small;
	char again[FC_OUT_SIZE + 512], digits[64];
	size_t smallsz;
	fc_error_t err, err2;
	int rc;

	s_check(out != NULL);
	rc = s_run(kind, e, in, out, outsz, &err);
	s_check(rc == 0 || rc == -1);
	s_check(s_run(kind, e, in, NULL, 0, NULL) == rc);
	if (rc == 0) {
		s_check(err.code == NULL);
		s_check(memchr(out, '\0', outsz) != NULL);
		/* the canonical form is accepted as it is */
		s_check(s_run(kind, e, out, again, sizeof(again), &err2) == 0);
		s_check(strcmp(again, out) == 0);
		/* an exact-size buffer one byte short fails cleanly (ASan watches) */
		smallsz = strlen(out);
		if (smallsz > 0) {
			small = malloc(smallsz);
			s_check(small != NULL);
			s_check(s_run(kind, e, in, small, smallsz, &err2) == -1);
			s_check(err2.code != NULL && strcmp(err2.code, "E_INTERNAL") == 0);
			free(small);
		}
	} else {
		s_check(err.code != NULL && strncmp(err.code, "E_", 2) == 0);
		s_check(memchr(err.vi, '\0', sizeof(err.vi)) != NULL);
		s_check(memchr(err.en, '\0', sizeof(err.en)) != NULL);
		if (utf8)
			s_check(s_valid_utf8(err.vi) && s_valid_utf8(err.en));
		if ((kind == K_INS || kind == K_CCCD) && s_all_digits(in, digits, sizeof(digits)))
			s_check(strstr(err.vi, digits) == NULL && strstr(err.en, digits) == NULL);
	}
	free(out);
}

/* s_free_out - free a row's canonical values. */
static void
s_free_out(char **out, int n)
{
	for (int i = 0; i < n; i++)
		free(out[i]);
	free(out);
}

/* s_row - rowcheck_row on "type\nagency\ncells" (cells split on ','). */
static void
s_row(char *text)
{
	char *agency_id = strchr(text, '\n'), *cells, *p;
	const cfg_rtype_t *rt;
	const cfg_agency_t *ag;
	const char *bad = NULL;
	char **values, **out, **out2;
	fc_error_t err;
	unsigned h = 0;
	int n = 0, rc;

	if (agency_id == NULL)
		return;
	*agency_id++ = '\0';
	cells = strchr(agency_id, '\n');
	if (cells == NULL)
		return;
	*cells++ = '\0';
	rt = config_rtype(s_cfg, text);
	if (rt == NULL) {
		for (p = text; *p != '\0'; p++)
			h = h * 31 + (unsigned char)*p;
		rt = &s_cfg->rtypes[h % (unsigned)s_cfg->nrtypes];
	}
	ag = config_agency(s_cfg, agency_id);
	values = calloc((size_t)rt->nfields + 1, sizeof(char *));
	out = calloc((size_t)rt->nfields + 1, sizeof(char *));
	out2 = calloc((size_t)rt->nfields + 1, sizeof(char *));
	s_check(values != NULL && out != NULL && out2 != NULL);
	for (p = cells; p != NULL && n < rt->nfields; n++) {
		values[n] = p;
		p = strchr(p, ',');
		if (p != NULL)
			*p++ = '\0';
	}
	rc = rowcheck_row(s_cfg, ag, rt, values, out, &bad, &err);
	if (rc == 0) {
		s_check(bad == NULL);
		for (int i = 0; i < rt->nfields; i++)
			s_check(out[i] != NULL);
		/* the canonical row is accepted as it is */
		s_check(rowcheck_row(s_cfg, ag, rt, out, out2, &bad, &err) == 0);
		for (int i = 0; i < rt->nfields; i++)
			s_check(strcmp(out[i], out2[i]) == 0);
	} else {
		s_check(rc == -1);
		s_check(err.code != NULL && strncmp(err.code, "E_", 2) == 0);
		s_check(bad == NULL || config_field_index(rt, bad) >= 0);
		for (int i = 0; i < rt->nfields; i++)
			s_check(out[i] == NULL);
	}
	s_free_out(out, rt->nfields);
	s_free_out(out2, rt->nfields);
	free(values);
}

/* LLVMFuzzerTestOneInput - a row ('R') or one cell for every checker. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	int utf8;

	if (size < 1)
		return 0;
	/* an exact-size NUL-terminated copy, so ASan sees any over-read */
	text = malloc(size);
	s_check(text != NULL);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] == 'R') {
		s_row(text);
	} else {
		utf8 = s_valid_utf8(text);
		for (int k = 0; k < K_COUNT; k++) {
			if (k != K_ENUM) {
				s_cell(k, 0, text, utf8);
				continue;
			}
			for (int e = 0; e < s_nenums; e++)
				s_cell(k, e, text, utf8);
		}
	}
	free(text);
	return 0;
}
