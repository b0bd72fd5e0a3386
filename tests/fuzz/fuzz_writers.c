/* fuzz_writers - libFuzzer harness for the writers of what people and other
 * programs read: receipts (common/receipt.c), reports and the dashboard
 * (common/report.c) and alert notices and e-mails (workers/alert/format.c),
 * fed hostile names, codes, messages and extreme numbers.
 *
 * Input: byte 0 picks the writer (% 4) and options (its other bits); the rest
 * is read in order as needed: a string is the bytes up to the next NUL (or
 * the end), a number one selector byte (NaN, infinities, 1e300, 1e15, 2^63,
 * -0, halves, raw bits, small values...) plus bytes for the raw cases.
 *
 *   0 receipt   file name, agency, record type, sha256, status, repeat_of, up
 *               to 4 unknown columns and 4 errors (field, code, both
 *               messages) -> receipt_json, receipt_text, and with bit 2 of
 *               byte 0 receipt_write_rendered into $TMPDIR/fuzz_writers.XXXXXX/var
 *   1 reports   an in-memory database with the aggregate's tables (the CREATE
 *               TABLEs of workers/aggregate/apply.c) filled with up to 6 units,
 *               8 coverage rows, 8 findings and 8 finding states of hostile
 *               strings and extreme numbers -> report_coverage and
 *               report_findings in CSV, JSON and table, with and without the
 *               period and org unit filters, and every dashboard page (dashboard.c)
 *   2 notice    up to 4 alert items, receiver, role, scope, group ->
 *               format_notice, then format_email with the subject and text
 *   3 pieces    format_rfc2047, format_header_text and format_scrub of one string
 *
 * Checked: every JSON output parses with a strict RFC 8259 parser (UTF-8,
 * no raw control characters, number grammar, nothing after the value); text
 * outputs (receipt text, CSV, tables, notice text and subject) hold no
 * control character but \n (and no DEL); each CSV record has the report's
 * number of fields; the dashboard has no tag but its own (so no `<script`
 * from data) and no `<script` at all; an e-mail's header lines end in CRLF
 * with no bare CR or LF, each is one of the headers format_email writes or a
 * folded continuation, encoded-words are at most 75 characters and decode to
 * the header text, and the base64 body decodes to the text; scrubbed strings
 * hold no control character and no run of exactly 12 digits (nor 10 unless
 * kept); receipts are written under the var dir only (nothing appears beside
 * it, nor in $TMPDIR beside the temp dir). Crashes, leaks and sanitizer
 * reports are findings; so is a failed check (abort, with the reason on
 * stderr).
 *
 * What comes from outside decides how hostile a value is. By default a value
 * is as hostile as the pipeline lets it be where the writer gets it: file
 * names and repeat_of are any bytes; employer and unit names and notice
 * display names any UTF-8 (control characters included); messages UTF-8
 * without control characters (fieldcheck's echo); unknown column names too,
 * although ingest passes a header's control characters on (receipt_text then
 * prints them: a known finding, docs/FUZZING.md, shown by the strict build);
 * agency ids, record types, codes, field names and statuses come from the
 * configuration ([a-z0-9_-]); subjects, org units, periods, kinds and severities are
 * computed by the aggregate from checked values (UTF-8 without control
 * characters, periods and severities of the characters they are made of,
 * at most 200 bytes); the coverage percentages are the aggregate's own
 * "N.NN" text; addresses pass format_address_ok as the alert configuration
 * requires; the e-mail's date and a receipt's time are within the years
 * 1970-2100. Numbers are any double (NaN, infinities, 1e300, ...) everywhere.
 * Built with -DFUZZ_WRITERS_STRICT=1 (make bin/fuzz-strict/fuzz_writers)
 * every value is any bytes, which shows what the writers do with what the
 * pipeline is not supposed to hand them (docs/FUZZING.md lists what that
 * finds). $FUZZ_WRITERS_PRINT set prints every output, to read a reproducer. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fsutil.h"
#include "receipt.h"
#include "dashboard.h"
#include "report.h"
#include "../../workers/alert/alert.h"

#ifndef FUZZ_WRITERS_STRICT
#define FUZZ_WRITERS_STRICT 0
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ------------------------------------------------------------ checks */

/* s_fail - a failed check: say which and abort (a finding). */
static void
s_fail(const char *what, const char *out)
{
	fprintf(stderr, "fuzz_writers: check failed: %s\n", what);
	if (out != NULL)
		fprintf(stderr, "---- output (%zu bytes) ----\n%.4000s\n----\n", strlen(out), out);
	abort();
}

#define S_CHECK(cond, what, out) do { if (!(cond)) s_fail(what, out); } while (0)

/* s_utf8_len - length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
s_utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0], cp;
	size_t k = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;

	if (k == 0 || k > n)
		return 0;
	cp = k == 1 ? c : c & (0x7F >> k);
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((k == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return k;
}

/* s_valid_utf8 - the whole NUL-terminated string is UTF-8. */
static int
s_valid_utf8(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);

	for (size_t i = 0; i < n;) {
		size_t k = s_utf8_len(s + i, n - i);

		if (k == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* A strict JSON parser (RFC 8259): returns the position after the value or NULL. */
static const char *s_json_value(const char *p, int depth);

static const char *
s_json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static int
s_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static const char *
s_json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (;;) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			return p + 1;
		if (c < 0x20) /* also the end of the string */
			return NULL;
		if (c == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!s_hex(p[i]))
						return NULL;
				p += 5;
			} else if (*p != '\0' && strchr("\"\\/bfnrt", *p) != NULL) {
				p++;
			} else {
				return NULL;
			}
			continue;
		}
		{
			size_t k = s_utf8_len((const unsigned char *)p, strlen(p));

			if (k == 0)
				return NULL;
			p += k;
		}
	}
}

static const char *
s_json_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

static const char *
s_json_value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = s_json_ws(p);
	switch (*p) {
	case '{':
		p = s_json_ws(p + 1);
		if (*p == '}')
			return p + 1;
		for (;;) {
			p = s_json_string(s_json_ws(p));
			if (p == NULL)
				return NULL;
			p = s_json_ws(p);
			if (*p++ != ':')
				return NULL;
			if ((p = s_json_value(p, depth + 1)) == NULL)
				return NULL;
			p = s_json_ws(p);
			if (*p == '}')
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	case '[':
		p = s_json_ws(p + 1);
		if (*p == ']')
			return p + 1;
		for (;;) {
			if ((p = s_json_value(p, depth + 1)) == NULL)
				return NULL;
			p = s_json_ws(p);
			if (*p == ']')
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	case '"':
		return s_json_string(p);
	case 't':
		return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
	case 'f':
		return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
	case 'n':
		return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
	default:
		return s_json_number(p);
	}
}

static int s_print; /* $FUZZ_WRITERS_PRINT: show every output on stderr (to read a reproducer) */

/* s_show - print one output when asked to. */
static void
s_show(const char *what, const char *out)
{
	if (s_print)
		fprintf(stderr, "==== %s\n%s\n", what, out != NULL ? out : "(null)");
}

/* s_check_json - out is one JSON document. */
static void
s_check_json(const char *out, const char *what)
{
	const char *end;

	s_show(what, out);
	S_CHECK(out != NULL, what, NULL);
	end = s_json_value(out, 0);
	S_CHECK(end != NULL && *s_json_ws(end) == '\0', what, out);
}

/* s_check_text - no control character but \n (and \t when allowed), no DEL. */
static void
s_check_text(const char *out, int allow_tab, const char *what)
{
	s_show(what, out);
	for (const unsigned char *p = (const unsigned char *)(out != NULL ? out : ""); *p; p++)
		S_CHECK(!((*p < 0x20 && *p != '\n' && !(allow_tab && *p == '\t')) || *p == 0x7f), what, out);
}

/* s_check_csv - RFC 4180 records of exactly ncols fields each. */
static void
s_check_csv(const char *out, int ncols, const char *what)
{
	const char *p = out;

	S_CHECK(out != NULL, what, NULL);
	while (*p != '\0') {
		int fields = 1;

		for (;;) {
			if (*p == '"') {
				for (p++;; p++) {
					S_CHECK(*p != '\0', what, out);
					if (*p == '"') {
						if (p[1] == '"') {
							p++;
							continue;
						}
						p++;
						break;
					}
				}
				S_CHECK(*p == ',' || *p == '\n', what, out);
			} else {
				while (*p != ',' && *p != '\n' && *p != '\0') {
					S_CHECK(*p != '"' && *p != '\r', what, out);
					p++;
				}
				S_CHECK(*p != '\0', what, out); /* every record ends with \n */
			}
			if (*p == ',') {
				fields++;
				p++;
				continue;
			}
			p++; /* \n */
			break;
		}
		S_CHECK(fields == ncols, what, out);
	}
}

/* s_check_html - every tag is one the dashboard writes itself; no <script. */
static void
s_check_html(const char *out)
{
	static const char *const tags[] = { "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1", "h2",
		"p", "svg", "line", "text", "rect", "polyline", "circle", "table", "tr", "th", "td", "span", "a", "nav",
		"div", "figure", "figcaption", "thead", "tbody", "ul", "li", "b", "br", "small", "footer", NULL };

	s_show("dashboard", out);
	S_CHECK(out != NULL, "dashboard: none", NULL);
	for (const char *p = out; (p = strchr(p, '<')) != NULL; p++) {
		const char *t = p + 1 + (p[1] == '/');
		size_t n = strcspn(t, " >/\n");
		int known = 0;

		for (int i = 0; tags[i] != NULL; i++)
			if (strlen(tags[i]) == n && strncmp(t, tags[i], n) == 0)
				known = 1;
		S_CHECK(known, "dashboard: a tag the dashboard does not write (markup from data)", out);
	}
	for (const char *p = out; *p; p++)
		S_CHECK(strncasecmp(p, "<script", 7) != 0, "dashboard: <script", out);
}

/* s_b64_val - the value of a base64 character, -1 if none. */
static int
s_b64_val(char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

/* s_b64_decode - decode n characters of base64 (a multiple of 4) onto b; -1 if malformed. */
static int
s_b64_decode(sb_t *b, const char *s, size_t n)
{
	if (n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		unsigned x;
		char o[3];

		for (int j = 0; j < 4; j++) {
			if (s[i + j] == '=' && i + 4 == n && j >= 2) {
				v[j] = 0;
				pad++;
			} else {
				if (pad || (v[j] = s_b64_val(s[i + j])) < 0)
					return -1;
			}
		}
		x = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
		o[0] = (char)(x >> 16);
		o[1] = (char)(x >> 8);
		o[2] = (char)x;
		sb_addn(b, o, 3 - (size_t)pad);
	}
	return 0;
}

/* s_check_rfc2047 - out is encoded-words "=?UTF-8?B?...?=" of at most 75
 * characters joined by CRLF SP, decoding to expect; each word holds whole
 * characters when expect is UTF-8. */
static void
s_check_rfc2047(const char *out, size_t len, const char *expect, const char *whole)
{
	sb_t dec;
	size_t i = 0;

	sb_init(&dec);
	sb_add(&dec, "");
	while (i < len) {
		const char *w = out + i, *end;
		size_t wl, before = dec.len;

		if (i > 0) {
			S_CHECK(strncmp(w, "\r\n ", 3) == 0, "rfc2047: words not folded with CRLF SP", whole);
			w += 3;
		}
		S_CHECK(strncmp(w, "=?UTF-8?B?", 10) == 0, "rfc2047: not an encoded-word", whole);
		end = strstr(w + 10, "?=");
		S_CHECK(end != NULL && (size_t)(end - out) + 2 <= len, "rfc2047: open encoded-word", whole);
		wl = (size_t)(end + 2 - w);
		S_CHECK(wl <= 75, "rfc2047: encoded-word longer than 75", whole);
		S_CHECK(s_b64_decode(&dec, w + 10, (size_t)(end - w - 10)) == 0, "rfc2047: bad base64", whole);
		if (s_valid_utf8(expect)) {
			char *piece = strndup(dec.data + before, dec.len - before);

			S_CHECK(piece != NULL && s_valid_utf8(piece) && strlen(piece) == dec.len - before,
			    "rfc2047: a word splits a character", whole);
			free(piece);
		}
		i = (size_t)(end + 2 - out);
	}
	S_CHECK(dec.len == strlen(expect) && memcmp(dec.data, expect, dec.len) == 0, "rfc2047: decodes to other text",
	    whole);
	sb_free(&dec);
}

/* s_check_email - the message format_email wrote. */
static void
s_check_email(const char *msg, const char *subject, const char *from_name, const char *text)
{
	static const char *const names[] = { "Date: ", "From: ", "To: ", "Subject: ", "Message-ID: ", "X-BHXH-Notice: ",
		"MIME-Version: ", "Content-Type: ", "Content-Transfer-Encoding: ", NULL };
	const char *body = strstr(msg, "\r\n\r\n"), *p;
	char *want;
	sb_t dec;

	s_show("email", msg);
	S_CHECK(body != NULL, "email: no blank line after the headers", msg);
	/* header lines: CRLF only, each a known header or a folded continuation */
	for (p = msg; p < body + 2;) {
		const char *eol = strstr(p, "\r\n");
		int known = *p == ' ';

		S_CHECK(eol != NULL && eol <= body, "email: header line without CRLF", msg);
		for (const char *q = p; q < eol; q++)
			S_CHECK(*q != '\r' && *q != '\n' && *q != '\0', "email: bare CR or LF in a header", msg);
		S_CHECK(eol - p <= 998, "email: header line longer than 998", msg);
		for (int i = 0; names[i] != NULL; i++)
			if (strncmp(p, names[i], strlen(names[i])) == 0)
				known = 1;
		S_CHECK(known, "email: a header line format_email does not write", msg);
		p = eol + 2;
	}
	/* the subject and the display name decode to their header text */
	p = strstr(msg, "\r\nSubject: ");
	S_CHECK(p != NULL, "email: no Subject", msg);
	p += 11;
	want = format_header_text(subject);
	s_check_rfc2047(p, (size_t)(strstr(p, "\r\nMessage-ID: ") - p), want, msg);
	free(want);
	p = msg + strlen("Date: ");
	p = strstr(p, "\r\nFrom: ") + 8;
	want = format_header_text(from_name);
	if (want[0] != '\0')
		s_check_rfc2047(p, (size_t)(strstr(p, " <") - p), want, msg);
	free(want);
	/* the body: base64 lines of at most 76, decoding to the text */
	sb_init(&dec);
	sb_add(&dec, "");
	for (p = body + 4; *p != '\0';) {
		const char *eol = strstr(p, "\r\n");

		S_CHECK(eol != NULL && eol - p <= 76, "email: body line", msg);
		S_CHECK(s_b64_decode(&dec, p, (size_t)(eol - p)) == 0, "email: body not base64", msg);
		p = eol + 2;
	}
	S_CHECK(dec.len == strlen(text) && memcmp(dec.data, text, dec.len) == 0, "email: body decodes to other text", msg);
	sb_free(&dec);
}

/* s_check_scrub - no control characters, no run of exactly 12 digits (or 10 unless kept). */
static void
s_check_scrub(const char *s, int keep_insurance)
{
	S_CHECK(s != NULL, "scrub: NULL", NULL);
	s_check_text(s, 0, "scrub: a control character");
	S_CHECK(strchr(s, '\n') == NULL, "scrub: a newline", s);
	for (const char *p = s; *p;) {
		size_t n = strspn(p, "0123456789");

		S_CHECK(n != 12 && (keep_insurance || n != 10), "scrub: a personal number left", s);
		p += n > 0 ? n : 1;
	}
}

/* ------------------------------------------------------------ input */

typedef struct {
	const uint8_t *p;
	size_t n;
	char *owned[512]; /* strings handed out, freed after the run */
	int nowned;
} s_in_t;

static uint8_t
s_u8(s_in_t *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t
s_u64(s_in_t *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | s_u8(in);
	return v;
}

/* s_keep - remember s for freeing; s itself. */
static char *
s_keep(s_in_t *in, char *s)
{
	if (in->nowned < (int)(sizeof(in->owned) / sizeof(in->owned[0])))
		in->owned[in->nowned++] = s;
	else
		abort(); /* the harness asks for fewer strings than that */
	return s;
}

/* s_raw - the bytes up to the next NUL (or the end) as a string. */
static char *
s_raw(s_in_t *in)
{
	const uint8_t *z = memchr(in->p, 0, in->n);
	size_t len = z != NULL ? (size_t)(z - in->p) : in->n;
	char *s = malloc(len + 1);

	if (s == NULL)
		abort();
	memcpy(s, in->p, len);
	s[len] = '\0';
	in->p += len + (z != NULL);
	in->n -= len + (z != NULL);
	return s_keep(in, s);
}

/* kinds of values (see the opening comment) */
enum { V_ANY, V_UTF8, V_LINE, V_ID, V_HEX, V_PERIOD, V_WORD };

/* s_str - a string of kind v: raw in strict builds, else made so. */
static char *
s_str(s_in_t *in, int v)
{
	char *s = s_raw(in);
	size_t n = strlen(s), w = 0;

	if (FUZZ_WRITERS_STRICT || v == V_ANY)
		return s;
	if (v == V_LINE && n > 200)
		n = 200;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t k = s_utf8_len((const unsigned char *)s + i, n - i);

		switch (v) {
		case V_UTF8:
		case V_LINE:
			if (k == 0) {
				s[w++] = '?';
				i++;
				continue;
			}
			if (v == V_LINE && (c < 0x20 || c == 0x7f || (k == 2 && c == 0xC2 && (unsigned char)s[i + 1] < 0xA0))) {
				s[w++] = '?';
				i += k;
				continue;
			}
			memmove(s + w, s + i, k);
			w += k;
			i += k;
			continue;
		case V_ID:
			s[w++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ? (char)c : '_';
			break;
		case V_HEX:
			s[w++] = "0123456789abcdef"[c & 15];
			break;
		case V_PERIOD:
			s[w++] = (c >= '0' && c <= '9') || c == '-' ? (char)c : '0';
			break;
		case V_WORD:
			s[w++] = (char)('a' + c % 26);
			break;
		}
		i++;
		if (v != V_UTF8 && w >= 64)
			break;
	}
	s[w] = '\0';
	return s;
}

/* s_pick - one of a NULL-terminated list, or (when the selector says) a string of kind v. */
static const char *
s_pick(s_in_t *in, const char *const *list, int v)
{
	int n = 0;
	uint8_t b = s_u8(in);

	while (list[n] != NULL)
		n++;
	if (b < 200)
		return list[b % n];
	return s_str(in, v);
}

/* s_num - a double, extreme ones often. */
static double
s_num(s_in_t *in)
{
	uint64_t bits;
	double d;

	switch (s_u8(in) % 20) {
	case 0: return NAN;
	case 1: return INFINITY;
	case 2: return -INFINITY;
	case 3: return 1e300;
	case 4: return -1e300;
	case 5: return 1e15;
	case 6: return -1e15;
	case 7: return 1e15 + 1;
	case 8: return 9223372036854775808.0; /* 2^63 */
	case 9: return -9223372036854775808.0;
	case 10: return -0.0;
	case 11: return 0.125;
	case 12: return -2.675;
	case 13: return 4.9e-324;
	case 14:
		bits = s_u64(in);
		memcpy(&d, &bits, sizeof(d));
		return d;
	case 15: return (double)(int64_t)s_u64(in) / 100.0;
	default: return (double)(int16_t)(s_u8(in) << 8 | s_u8(in)) / 100.0;
	}
}

/* s_int - an int64, the edges often. */
static int64_t
s_int(s_in_t *in)
{
	switch (s_u8(in) % 8) {
	case 0: return INT64_MAX;
	case 1: return INT64_MIN;
	case 2: return 0;
	case 3: return -1;
	case 4: return (int64_t)s_u64(in);
	default: return (int64_t)s_u8(in) * 7;
	}
}

static void
s_in_free(s_in_t *in)
{
	for (int i = 0; i < in->nowned; i++)
		free(in->owned[i]);
	in->nowned = 0;
}

/* ------------------------------------------------------------ set-up */

static char s_tmp[4096];     /* $TMPDIR/fuzz_writers.XXXXXX */
static char s_var[4200];     /* its var dir */
static char s_parent[4096];  /* $TMPDIR, when set */
static int s_parent_entries = -1;
static sqlite3 *s_db;

/* the tables the reports read, as workers/aggregate/apply.c creates them */
static const char *const s_schema =
    "CREATE TABLE unit (code TEXT PRIMARY KEY, name TEXT, parent TEXT, depth INTEGER, leaf INTEGER, ord INTEGER);"
    "CREATE TABLE unit_tree (ancestor TEXT NOT NULL, descendant TEXT NOT NULL, PRIMARY KEY (ancestor, descendant));"
    "CREATE TABLE tax_employer (agency TEXT NOT NULL, file_id TEXT, tax_code TEXT NOT NULL, period TEXT NOT NULL,"
    "  employees INTEGER, wage_fund INTEGER, status TEXT, PRIMARY KEY (agency, period, tax_code));"
    "CREATE TABLE insured_unit (agency TEXT NOT NULL, file_id TEXT, unit_code TEXT NOT NULL, tax_code TEXT,"
    "  org_unit TEXT, period TEXT NOT NULL, name TEXT, insured_count INTEGER, bhtn_count INTEGER,"
    "  wage_basis INTEGER, due INTEGER, paid INTEGER, arrears INTEGER, arrears_months INTEGER,"
    "  PRIMARY KEY (agency, period, unit_code));"
    "CREATE TABLE coverage (org_unit TEXT NOT NULL, period TEXT NOT NULL, labor_force INTEGER,"
    "  bhxh_participants INTEGER, compulsory INTEGER, voluntary INTEGER, bhtn_participants INTEGER,"
    "  bhxh_coverage_pct TEXT, bhtn_coverage_pct TEXT, target_bhxh_pct TEXT, target_bhtn_pct TEXT,"
    "  PRIMARY KEY (org_unit, period));"
    "CREATE TABLE finding (kind TEXT NOT NULL, subject TEXT NOT NULL, org_unit TEXT, period TEXT NOT NULL,"
    "  severity TEXT, value REAL, threshold REAL, name TEXT, status TEXT NOT NULL DEFAULT 'final',"
    "  PRIMARY KEY (kind, subject, period));"
    "CREATE TABLE finding_state (kind TEXT NOT NULL, subject TEXT NOT NULL, org_unit TEXT, severity TEXT NOT NULL,"
    "  last_period TEXT NOT NULL, open INTEGER NOT NULL, value REAL, threshold REAL, name TEXT,"
    "  PRIMARY KEY (kind, subject));";

enum { Q_UNIT, Q_TREE, Q_COV, Q_FIND, Q_STATE, Q_INS, Q_TAX, Q_N };
static const char *const s_ins_sql[Q_N] = {
	"INSERT OR IGNORE INTO unit VALUES (?1, ?2, NULL, ?3, 0, ?4)",
	"INSERT OR IGNORE INTO unit_tree VALUES (?1, ?2)",
	"INSERT OR IGNORE INTO coverage VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	"INSERT OR IGNORE INTO finding VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	"INSERT OR IGNORE INTO finding_state VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8)",
	"INSERT OR IGNORE INTO insured_unit (agency, unit_code, period, insured_count) VALUES ('bhxh', ?1, ?2, ?3)",
	"INSERT OR IGNORE INTO tax_employer (agency, tax_code, period, employees) VALUES ('thue', ?1, ?2, ?3)",
};
static sqlite3_stmt *s_ins[Q_N];

/* s_count_entries - entries of dir (without . and ..), -1 if unreadable. */
static int
s_count_entries(const char *dir, const char *except)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    (except == NULL || strcmp(e->d_name, except) != 0))
			n++;
	closedir(d);
	return n;
}

/* LLVMFuzzerInitialize - the temp dir and the database, once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	s_print = getenv("FUZZ_WRITERS_PRINT") != NULL;
	snprintf(s_tmp, sizeof(s_tmp), "%s/fuzz_writers.XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
	if (mkdtemp(s_tmp) == NULL) {
		perror(s_tmp);
		abort();
	}
	snprintf(s_var, sizeof(s_var), "%s/var", s_tmp);
	if (mkdir(s_var, 0700) != 0)
		abort();
	/* $TMPDIR beside the temp dir is watched only when it is ours (tools/fuzz.sh) */
	if (tmp != NULL && *tmp) {
		snprintf(s_parent, sizeof(s_parent), "%s", tmp);
		s_parent_entries = s_count_entries(s_parent, NULL);
	}
	if (sqlite3_open(":memory:", &s_db) != SQLITE_OK || sqlite3_exec(s_db, s_schema, NULL, NULL, NULL) != SQLITE_OK)
		abort();
	for (int i = 0; i < Q_N; i++)
		if (sqlite3_prepare_v2(s_db, s_ins_sql[i], -1, &s_ins[i], NULL) != SQLITE_OK)
			abort();
	return 0;
}

/* s_rm - nftw callback removing everything below the var dir. */
static int
s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (ftw->level > 0)
		remove(path);
	return 0;
}

/* s_check_jail - nothing beside the var dir, nothing new in $TMPDIR; then empty the var dir. */
static void
s_check_jail(void)
{
	S_CHECK(s_count_entries(s_tmp, "var") == 0, "receipt: a file written beside the var dir", NULL);
	if (s_parent_entries >= 0)
		S_CHECK(s_count_entries(s_parent, NULL) == s_parent_entries, "receipt: a file written in $TMPDIR", NULL);
	nftw(s_var, s_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------ the writers */

static const char *const s_statuses[] = { "applied", "rejected", "repeat", NULL };
static const char *const s_kinds[] = { "not_enrolled", "under_declared", "arrears", "low_wage_basis", "unregistered",
	"idle_agent", "behind_target", "off_track", "missing_data", NULL };
static const char *const s_sevs[] = { "info", "warning", "major", "critical", NULL };
static const char *const s_alert_statuses[] = { "new", "escalated", "resolved", "firing", NULL };

/* s_receipt - one receipt, rendered both ways, maybe written. */
static void
s_receipt(s_in_t *in, uint8_t opt)
{
	receipt_error_t errs[4];
	char *unknown[4];
	receipt_t r = { 0 };
	sb_t j, t;

	r.file = s_str(in, V_ANY);
	r.agency = s_str(in, V_ID);
	r.type = (s_u8(in) & 1) ? s_str(in, V_ID) : NULL;
	r.sha256 = s_str(in, V_HEX);
	r.status = s_pick(in, s_statuses, V_ID);
	r.repeat_of = (s_u8(in) & 1) ? s_str(in, V_ANY) : NULL;
	r.received_at = s_int(in);
	if (!FUZZ_WRITERS_STRICT)
		r.received_at = (int64_t)((uint64_t)r.received_at % 4102444800000000ull); /* 1970..2100 */
	r.rows_read = (uint64_t)s_int(in);
	r.rows_applied = (uint64_t)s_int(in);
	r.rows_rejected = (uint64_t)s_int(in);
	r.rows_duplicate = (uint64_t)s_int(in);
	r.nunknown = s_u8(in) % 5;
	for (int i = 0; i < r.nunknown; i++)
		unknown[i] = s_str(in, V_LINE);
	r.unknown_columns = unknown;
	r.nerrors = s_u8(in) % 5;
	for (uint64_t i = 0; i < r.nerrors; i++) {
		errs[i].line = (uint64_t)s_int(in);
		errs[i].field = (s_u8(in) & 1) ? s_str(in, V_ID) : NULL;
		errs[i].code = s_str(in, V_ID);
		errs[i].message_vi = s_str(in, V_LINE);
		errs[i].message_en = s_str(in, V_LINE);
		errs[i].column = (s_u8(in) & 1) ? s_str(in, V_LINE) : NULL;
	}
	r.errors = errs;

	sb_init(&j);
	sb_init(&t);
	receipt_json(&j, &r);
	receipt_text(&t, &r);
	s_check_json(j.data, "receipt_json: not JSON");
	s_check_text(t.data, 0, "receipt_text: a control character");
	if (opt & 4) {
		char path[8192] = "";

		if (receipt_write_rendered(s_var, r.agency, r.file, r.received_at, j.data, t.data, NULL, path, sizeof(path)) == 0)
			S_CHECK(strncmp(path, s_var, strlen(s_var)) == 0 && strstr(path, "/../") == NULL,
			    "receipt: path outside the var dir", path);
		s_check_jail();
	}
	sb_free(&j);
	sb_free(&t);
}

/* s_bind_num - an extreme number, as an integer, a real, text or NULL. */
static void
s_bind_num(s_in_t *in, sqlite3_stmt *st, int col)
{
	switch (s_u8(in) % 4) {
	case 0: sqlite3_bind_int64(st, col, s_int(in)); break;
	case 1: sqlite3_bind_double(st, col, s_num(in)); break;
	case 2: sqlite3_bind_null(st, col); break;
	default: sqlite3_bind_int64(st, col, (int64_t)s_u8(in)); break;
	}
}

/* s_bind_pct - a coverage percentage: the aggregate's "N.NN" text or ""
 * (strict: also any number or string). */
static void
s_bind_pct(s_in_t *in, sqlite3_stmt *st, int col)
{
	uint8_t b = s_u8(in);
	char buf[64];

	if (FUZZ_WRITERS_STRICT && b >= 192) {
		if (b & 1)
			sqlite3_bind_double(st, col, s_num(in));
		else
			sqlite3_bind_text(st, col, s_raw(in), -1, SQLITE_STATIC);
		return;
	}
	switch (b % 4) {
	case 0: sqlite3_bind_null(st, col); return;
	case 1: sqlite3_bind_text(st, col, "", -1, SQLITE_STATIC); return;
	default: {
		long long h = (long long)(s_u64(in) % 100000000000000000ull) * ((b & 4) ? -1 : 1);

		snprintf(buf, sizeof(buf), "%s%lld.%02lld", h < 0 ? "-" : "", llabs(h) / 100, llabs(h) % 100);
		sqlite3_bind_text(st, col, buf, -1, SQLITE_TRANSIENT);
	}
	}
}

/* s_run_stmt - step an insert and reset it. */
static void
s_run_stmt(sqlite3_stmt *st)
{
	sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* s_reports - fill the database, run every report. */
static void
s_reports(s_in_t *in, uint8_t opt)
{
	static const char *const cols[] = { COVERAGE_COLUMNS, FINDINGS_COLUMNS };
	const char *codes[7] = { 0 };
	int nunits = 1 + s_u8(in) % 6, n;
	const char *fperiod, *funit;
	sb_t out;

	sqlite3_exec(s_db, "BEGIN; DELETE FROM unit; DELETE FROM unit_tree; DELETE FROM coverage; DELETE FROM finding;"
	    " DELETE FROM finding_state; DELETE FROM insured_unit; DELETE FROM tax_employer;", NULL, NULL, NULL);
	for (int i = 0; i < nunits; i++) {
		sqlite3_stmt *st = s_ins[Q_UNIT];

		codes[i] = s_str(in, V_LINE);
		sqlite3_bind_text(st, 1, codes[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, s_str(in, V_UTF8), -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, i == 0 ? 0 : 1 + (s_u8(in) % 4 == 0));
		sqlite3_bind_int(st, 4, i);
		s_run_stmt(st);
		for (int k = 0; k < 2; k++) {
			sqlite3_bind_text(s_ins[Q_TREE], 1, k == 0 ? codes[0] : codes[i], -1, SQLITE_STATIC);
			sqlite3_bind_text(s_ins[Q_TREE], 2, codes[i], -1, SQLITE_STATIC);
			s_run_stmt(s_ins[Q_TREE]);
		}
	}
	codes[nunits] = NULL;
	n = s_u8(in) % 9;
	for (int i = 0; i < n; i++) {
		sqlite3_stmt *st = s_ins[Q_COV];
		uint8_t u = s_u8(in);

		sqlite3_bind_text(st, 1, u % 8 < nunits ? codes[u % 8] : s_str(in, V_LINE), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, s_str(in, V_PERIOD), -1, SQLITE_STATIC);
		for (int c = 3; c <= 7; c++)
			s_bind_num(in, st, c);
		for (int c = 8; c <= 11; c++)
			s_bind_pct(in, st, c);
		s_run_stmt(st);
	}
	n = s_u8(in) % 9;
	for (int i = 0; i < n; i++) {
		sqlite3_stmt *st = s_ins[Q_FIND];
		uint8_t u = s_u8(in);

		sqlite3_bind_text(st, 1, s_pick(in, s_kinds, V_LINE), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, s_str(in, V_LINE), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, u % 8 < nunits ? codes[u % 8] : s_str(in, V_LINE), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, s_str(in, V_PERIOD), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, s_pick(in, s_sevs, V_WORD), -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 6, s_num(in));
		s_bind_num(in, st, 7);
		sqlite3_bind_text(st, 8, s_str(in, V_UTF8), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, (u & 0x80) ? "provisional" : "final", -1, SQLITE_STATIC);
		s_run_stmt(st);
	}
	n = s_u8(in) % 9;
	for (int i = 0; i < n; i++) {
		sqlite3_stmt *st = s_ins[Q_STATE];
		uint8_t u = s_u8(in);
		const char *subject = s_str(in, V_LINE), *period = s_str(in, V_PERIOD);

		sqlite3_bind_text(st, 1, s_pick(in, s_kinds, V_LINE), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, subject, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, u % 8 < nunits ? codes[u % 8] : s_str(in, V_LINE), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, s_pick(in, s_sevs, V_WORD), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, period, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 6, s_num(in));
		s_bind_num(in, st, 7);
		sqlite3_bind_text(st, 8, s_str(in, V_UTF8), -1, SQLITE_STATIC);
		s_run_stmt(st);
		if (u & 0x80) { /* a size for the employer table */
			sqlite3_stmt *sz = s_ins[(u & 0x40) ? Q_INS : Q_TAX];

			sqlite3_bind_text(sz, 1, subject, -1, SQLITE_STATIC);
			sqlite3_bind_text(sz, 2, period, -1, SQLITE_STATIC);
			s_bind_num(in, sz, 3);
			s_run_stmt(sz);
		}
	}
	sqlite3_exec(s_db, "COMMIT", NULL, NULL, NULL);

	fperiod = (opt & 4) ? s_str(in, V_PERIOD) : NULL;
	funit = (opt & 8) ? codes[s_u8(in) % nunits] : NULL;
	for (int which = 0; which < 2; which++)
		for (int f = REPORT_CSV; f <= REPORT_TABLE; f++)
			for (int filtered = 0; filtered < 2; filtered++) {
				const char *p = filtered ? fperiod : NULL, *u = filtered ? funit : NULL;
				int rc;

				if (filtered && fperiod == NULL && funit == NULL)
					continue;
				sb_init(&out);
				sb_add(&out, "");
				rc = which == 0 ? report_coverage(s_db, p, u, (report_format_t)f, &out)
				    : report_findings(s_db, p, u, (report_format_t)f, &out);
				if (rc == 0) {
					if (f == REPORT_JSON)
						s_check_json(out.data, which ? "report_findings json: not JSON" : "report_coverage json: not JSON");
					else
						s_check_text(out.data, 0, f == REPORT_CSV ? "report csv: a control character"
						    : "report table: a control character");
					if (f == REPORT_CSV)
						s_check_csv(out.data, which == 0 ? 11 : 8, "report csv: not the report's columns");
					if (f == REPORT_CSV)
						S_CHECK(strncmp(out.data, cols[which], strlen(cols[which])) == 0, "report csv: header",
						    out.data);
				}
				sb_free(&out);
			}
	{
		/* the configuration the pages read: the fuzzed units as a tree
		 * (each under the root), a goal, no expected submissions */
		cfg_unit_t units[7];
		cfg_findings_t fc = { 0 };
		config_t c = { .nunits = 0, .units = units, .findings = &fc };
		dash_opts_t o = { .generated = 1492689600, .today = 17276 };
		dash_t *d;

		c.goal.year = 2000 + s_u8(in) % 50;
		c.goal.bhxh_pct = s_u8(in) % 101;
		c.goal.bhtn_pct = s_u8(in) % 101;
		for (int i = 0; i < nunits; i++) {
			int dup = 0;

			for (int k = 0; k < c.nunits; k++)
				dup |= strcmp(units[k].code, codes[i]) == 0;
			if (dup)
				continue;
			units[c.nunits] = (cfg_unit_t){ (char *)codes[i], (char *)s_str(in, V_UTF8), c.nunits ? 0 : -1,
				c.nunits ? 1 : 0, 0 };
			if (c.nunits)
				units[0].nchildren++;
			c.nunits++;
		}
		d = dash_open(s_db, &c, &o);
		S_CHECK(d != NULL, "dashboard: cannot open", NULL);
		for (int u = 0; d != NULL && u < c.nunits; u++) {
			sb_init(&out);
			sb_add(&out, "");
			if (dash_page(d, u, &out) == 0)
				s_check_html(out.data);
			sb_free(&out);
		}
		dash_close(&d);
	}
}

/* s_address - an address as the alert configuration accepts it. */
static char *
s_address(s_in_t *in)
{
	char *a = s_str(in, V_ANY);

	if (!FUZZ_WRITERS_STRICT && !format_address_ok(a))
		return s_keep(in, strdup("bhxh@example.org"));
	return a;
}

/* s_notice - a notice and its e-mail. */
static void
s_notice(s_in_t *in, uint8_t opt)
{
	alert_item_t items[4] = { { 0 } };
	int n = s_u8(in) % 5, nto = s_u8(in) % 4;
	const char *receiver = s_str(in, V_ID), *scope = s_str(in, V_LINE), *scope_name = s_str(in, V_LINE);
	const char *group = s_str(in, V_LINE), *from_name = s_str(in, V_ANY), *from = s_address(in);
	alert_role_t role = (alert_role_t)(s_u8(in) % (ROLE_AGENCY + 1));
	long long nid = s_int(in), did = s_int(in), date = s_int(in);
	char *to[3];
	sb_t subject, text, json, mail;

	if (!FUZZ_WRITERS_STRICT)
		date = (long long)((unsigned long long)date % 4102444800ull);
	for (int i = 0; i < nto; i++)
		to[i] = s_address(in);
	for (int i = 0; i < n; i++) {
		items[i].status = s_pick(in, s_alert_statuses, V_WORD);
		items[i].kind = s_pick(in, s_kinds, V_LINE);
		items[i].subject = s_str(in, V_LINE);
		items[i].name = s_str(in, V_UTF8);
		items[i].org_unit = (s_u8(in) & 1) ? s_str(in, V_LINE) : NULL;
		items[i].unit_name = (s_u8(in) & 1) ? s_str(in, V_LINE) : NULL;
		items[i].period = s_str(in, V_PERIOD);
		items[i].severity = s_pick(in, s_sevs, V_WORD);
		items[i].value = s_num(in);
		items[i].threshold = s_num(in);
		items[i].since = (s_u8(in) & 1) ? s_str(in, V_PERIOD) : NULL;
		items[i].reason = (s_u8(in) & 1) ? s_str(in, V_WORD) : NULL;
		items[i].amount = s_num(in);
		items[i].workers = s_num(in);
	}
	sb_init(&subject);
	sb_init(&text);
	sb_init(&json);
	sb_add(&subject, "");
	sb_add(&text, "");
	{
		cfg_receiver_t rec = { .name = (char *)receiver, .role = role };
		notice_ctx_t x = { NULL, &rec, scope, scope_name, group, nid, date };

		format_notice(&x, items, n, &subject, &text, &json, NULL);
	}
	s_check_text(subject.data, 0, "notice subject: a control character");
	S_CHECK(strchr(subject.data, '\n') == NULL, "notice subject: more than one line", subject.data);
	s_check_text(text.data, 0, "notice text: a control character");
	s_check_json(json.data, "notice json: not JSON");
	{
		sb_t page;

		sb_init(&page);
		format_text_html(text.data, &page);
		S_CHECK(strstr(page.data, "<script") == NULL && strstr(page.data, "<img") == NULL,
		    "notice html: markup from the data", page.data);
		sb_free(&page);
	}
	if (opt & 4) {
		sb_init(&mail);
		format_email(&mail, from_name, from, to, nto, subject.data, text.data, NULL, NULL, NULL, nid, did, date);
		s_check_email(mail.data, subject.data, from_name, text.data);
		sb_free(&mail);
	}
	sb_free(&subject);
	sb_free(&text);
	sb_free(&json);
}

/* s_pieces - the header and scrub helpers on one string. */
static void
s_pieces(s_in_t *in, uint8_t opt)
{
	const char *s = s_str(in, V_ANY);
	char *h = format_header_text(s), *sc;
	sb_t w;

	S_CHECK(h != NULL && strlen(h) == strlen(s), "header_text: length changed", h);
	s_check_text(h, 0, "header_text: a control character");
	S_CHECK(strchr(h, '\n') == NULL, "header_text: a newline", h);
	sb_init(&w);
	sb_add(&w, "");
	format_rfc2047(&w, s);
	s_check_rfc2047(w.data, w.len, h, w.data);
	sb_free(&w);
	free(h);
	sc = format_scrub(s, opt & 4);
	s_check_scrub(sc, opt & 4);
	free(sc);
}

/* LLVMFuzzerTestOneInput - byte 0 picks the writer; see the opening comment. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	s_in_t in = { data, size, { 0 }, 0 };
	uint8_t sel;

	if (size < 1)
		return 0;
	sel = s_u8(&in);
	switch (sel % 4) {
	case 0: s_receipt(&in, sel); break;
	case 1: s_reports(&in, sel); break;
	case 2: s_notice(&in, sel); break;
	default: s_pieces(&in, sel); break;
	}
	s_in_free(&in);
	return 0;
}
