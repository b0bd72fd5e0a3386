/* text - encodings, NFC and header-name folding (see text.h).
 *
 * Legacy encodings go through glibc iconv into UTF-8; everything then goes
 * through utf8proc, which also refuses invalid UTF-8 (bad bytes, overlongs,
 * surrogates, truncated sequences), so that check is made in one place.
 *
 * Which encoding a file is in is decided from a sample of its start
 * (text_choose): valid UTF-8 checks itself, while a one-byte code page
 * accepts almost any bytes, so the legacy encodings are told apart by how
 * Vietnamese their reading of the sample looks (text_score). */
#include "text.h"
#include "xalloc.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#define S_NO_ICONV ((iconv_t)-1)

struct text_conv {
	iconv_t cd; /* to UTF-8; S_NO_ICONV when the input is UTF-8 already */
};

/* Accepted names, the name each is reported by, and what glibc iconv calls
 * it (NULL: UTF-8, no iconv). */
static const struct {
	const char *name;
	const char *canonical;
	const char *iconv_name;
} s_encodings[] = {
	{ "UTF-8", "UTF-8", NULL },
	{ "UTF8", "UTF-8", NULL },
	{ "WINDOWS-1258", "WINDOWS-1258", "WINDOWS-1258" },
	{ "CP1258", "WINDOWS-1258", "WINDOWS-1258" },
	{ "TCVN3", "TCVN3", "TCVN5712-1" },
	{ "TCVN", "TCVN3", "TCVN5712-1" },
	{ "TCVN5712-1", "TCVN3", "TCVN5712-1" },
	{ "VISCII", "VISCII", "VISCII" },
};

/* The legacy encodings detection chooses among, in order of preference on a tie. */
static const char *const s_legacy[] = { "WINDOWS-1258", "TCVN3", "VISCII" };

/* s_lookup - index of encoding in s_encodings, or -1. NULL and "" are UTF-8. */
static int
s_lookup(const char *encoding)
{
	if (encoding == NULL || *encoding == '\0')
		return 0;
	for (size_t i = 0; i < sizeof(s_encodings) / sizeof(s_encodings[0]); i++)
		if (strcasecmp(encoding, s_encodings[i].name) == 0)
			return (int)i;
	return -1;
}

/* text_encoding_known - whether text_conv_new accepts encoding. */
int
text_encoding_known(const char *encoding)
{
	return s_lookup(encoding) >= 0;
}

/* text_encoding_canonical - the name an accepted encoding is reported by. */
const char *
text_encoding_canonical(const char *encoding)
{
	int i = s_lookup(encoding);

	return i < 0 ? NULL : s_encodings[i].canonical;
}

/* text_conv_new - a converter from encoding to UTF-8 NFC. */
text_conv_t *
text_conv_new(const char *encoding)
{
	int i = s_lookup(encoding);
	text_conv_t *self;

	if (i < 0) {
		errno = EINVAL;
		return NULL;
	}
	self = xcalloc(1, sizeof(*self));
	if (self == NULL)
		return NULL;
	self->cd = S_NO_ICONV;
	if (s_encodings[i].iconv_name != NULL) {
		self->cd = iconv_open("UTF-8", s_encodings[i].iconv_name);
		if (self->cd == S_NO_ICONV) {
			free(self);
			return NULL;
		}
	}
	return self;
}

/* text_conv_destroy - free the converter and set *self_p to NULL. */
void
text_conv_destroy(text_conv_t **self_p)
{
	if (self_p == NULL || *self_p == NULL)
		return;
	if ((*self_p)->cd != S_NO_ICONV)
		iconv_close((*self_p)->cd);
	free(*self_p);
	*self_p = NULL;
}

/* s_iconv - convert len bytes to a malloc'd UTF-8 buffer (not terminated).
 * The final flush matters: glibc's CP1258 and TCVN decoders hold back the
 * last letter in case a combining tone mark follows. */
static int
s_iconv(text_conv_t *self, const char *in, size_t len, char **out, size_t *out_len)
{
	size_t cap = len * 3 + 16, left = cap, in_left = len;
	char *in_p = (char *)in;
	char *buf = xmalloc(cap), *out_p = buf;

	if (buf == NULL)
		return -1;
	iconv(self->cd, NULL, NULL, NULL, NULL); /* a fresh state per field */
	for (;;) {
		size_t used, rc = iconv(self->cd, &in_p, &in_left, &out_p, &left);
		char *grown;

		if (rc != (size_t)-1)
			rc = iconv(self->cd, NULL, NULL, &out_p, &left);
		if (rc != (size_t)-1)
			break;
		if (errno != E2BIG) /* EILSEQ, or EINVAL for a cut sequence */
			goto fail;
		used = (size_t)(out_p - buf);
		grown = xrealloc(buf, cap * 2);
		if (grown == NULL)
			goto fail;
		buf = grown;
		cap *= 2;
		out_p = buf + used;
		left = cap - used;
	}
	*out = buf;
	*out_len = (size_t)(out_p - buf);
	return 0;
fail:
	free(buf);
	return -1;
}

/* s_nfc - map valid UTF-8 without NUL to malloc'd NFC; NULL when invalid. */
static char *
s_nfc(const char *in, size_t len)
{
	utf8proc_uint8_t *nfc = NULL;
	utf8proc_ssize_t n;

	if (len > (size_t)(SIZE_MAX / 8) || (len > 0 && memchr(in, '\0', len) != NULL))
		return NULL;
	if (len == 0)
		return xstrdup("");
	{ /* ASCII is its own NFC: most fields are codes and numbers */
		size_t i = 0;
		char *c;

		while (i < len && (unsigned char)in[i] < 0x80)
			i++;
		if (i == len && (c = xcalloc(1, len + 1)) != NULL) {
			memcpy(c, in, len);
			return c;
		}
	}
	n = utf8proc_map((const utf8proc_uint8_t *)in, (utf8proc_ssize_t)len, &nfc,
	    UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (n < 0)
		return NULL;
	return (char *)nfc;
}

/* text_to_utf8_nfc - convert one field to malloc'd UTF-8 NFC in *out. */
int
text_to_utf8_nfc(text_conv_t *self, const char *in, size_t len, char **out)
{
	char *utf8 = NULL;
	size_t utf8_len = 0;

	*out = NULL;
	if (self->cd == S_NO_ICONV) {
		*out = s_nfc(in, len);
	} else if (s_iconv(self, in, len, &utf8, &utf8_len) == 0) {
		*out = s_nfc(utf8, utf8_len);
		free(utf8);
	}
	return *out == NULL ? -1 : 0;
}

/* s_fold_char - per code point, before decomposition: separators become a
 * space, đ/Đ become d (they have no decomposition), letters lower case. */
static utf8proc_int32_t
s_fold_char(utf8proc_int32_t c, void *data)
{
	utf8proc_category_t cat;

	(void)data;
	if (c == 0x0110 || c == 0x0111)
		return 'd';
	if (c == '_' || c == '-' || c == ' ' || (c >= '\t' && c <= '\r'))
		return ' ';
	cat = utf8proc_category(c);
	if (cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL
	    || cat == UTF8PROC_CATEGORY_ZP || cat == UTF8PROC_CATEGORY_PD)
		return ' ';
	return utf8proc_tolower(c);
}

/* text_fold_key - the matching key of a header name. */
char *
text_fold_key(const char *utf8)
{
	utf8proc_uint8_t *key = NULL;
	utf8proc_ssize_t n;
	size_t w = 0;

	n = utf8proc_map_custom((const utf8proc_uint8_t *)utf8, 0, &key,
	    UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK
	    | UTF8PROC_IGNORE, s_fold_char, NULL);
	if (n < 0)
		return NULL;
	/* collapse runs of spaces and trim, in place: the key only shrinks */
	for (utf8proc_ssize_t r = 0; r < n; r++) {
		if (key[r] == ' ' && (w == 0 || key[w - 1] == ' '))
			continue;
		key[w++] = key[r];
	}
	if (w > 0 && key[w - 1] == ' ')
		w--;
	key[w] = '\0';
	return (char *)key;
}

/* text_is_nfc_utf8 - whether s is valid UTF-8 without NUL, already NFC. */
int
text_is_nfc_utf8(const char *s, size_t len)
{
	char *nfc = s_nfc(s, len);
	int same;

	if (nfc == NULL)
		return 0;
	same = strlen(nfc) == len && memcmp(nfc, s, len) == 0;
	free(nfc);
	return same;
}

/* s_utf8_seq_len - bytes of the UTF-8 sequence a lead byte starts, 0 if it starts none. */
static size_t
s_utf8_seq_len(unsigned char c)
{
	if (c >= 0xC2 && c <= 0xDF)
		return 2;
	if (c >= 0xE0 && c <= 0xEF)
		return 3;
	if (c >= 0xF0 && c <= 0xF4)
		return 4;
	return 0;
}

/* s_utf8_cut_ok - the len bytes at s are the start of a UTF-8 sequence that
 * the end of a sample cut short. */
static int
s_utf8_cut_ok(const unsigned char *s, size_t len)
{
	size_t need = s_utf8_seq_len(s[0]);

	if (need == 0 || len >= need)
		return 0;
	for (size_t i = 1; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return 1;
}

/* text_utf8_check - whether s is valid UTF-8 (NUL bytes pass: the CSV
 * reader refuses their rows itself). */
int
text_utf8_check(const char *s, size_t len, int cut, int *non_ascii)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	int high = 0;

	for (size_t r = 0; r < len;) {
		utf8proc_int32_t c;
		utf8proc_ssize_t n;

		if (p[r] < 0x80) {
			r++;
			continue;
		}
		high = 1;
		n = utf8proc_iterate(p + r, (utf8proc_ssize_t)(len - r > 4 ? 4 : len - r), &c);
		if (n <= 0) {
			if (cut && len - r < 4 && s_utf8_cut_ok(p + r, len - r))
				break;
			if (non_ascii != NULL)
				*non_ascii = high;
			return 0;
		}
		r += (size_t)n;
	}
	if (non_ascii != NULL)
		*non_ascii = high;
	return 1;
}

/* s_decode_lenient - len bytes from encoding into a malloc'd UTF-8 buffer
 * (*out, *out_len), skipping each byte sequence the encoding does not define
 * (counted in *invalid); a sequence cut by the end is left out. 0 or -1. */
static int
s_decode_lenient(int enc, const char *in, size_t len, char **out, size_t *out_len, int *invalid)
{
	size_t cap = len * 3 + 16, left = cap, in_left = len;
	char *in_p = (char *)in, *buf, *out_p;
	iconv_t cd;

	*invalid = 0;
	if ((buf = xmalloc(cap)) == NULL)
		return -1;
	out_p = buf;
	if (s_encodings[enc].iconv_name == NULL) {
		const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)in;

		for (size_t r = 0; r < len;) {
			utf8proc_int32_t c;
			utf8proc_ssize_t n = utf8proc_iterate(p + r, (utf8proc_ssize_t)(len - r > 4 ? 4 : len - r), &c);

			if (n <= 0) {
				if (len - r < 4 && s_utf8_cut_ok(p + r, len - r))
					break;
				(*invalid)++;
				r++;
				continue;
			}
			memcpy(out_p, in + r, (size_t)n);
			out_p += n;
			r += (size_t)n;
		}
		*out = buf;
		*out_len = (size_t)(out_p - buf);
		return 0;
	}
	if ((cd = iconv_open("UTF-8", s_encodings[enc].iconv_name)) == S_NO_ICONV) {
		free(buf);
		return -1;
	}
	while (in_left > 0) {
		size_t rc = iconv(cd, &in_p, &in_left, &out_p, &left);

		if (rc != (size_t)-1)
			break;
		if (errno == EILSEQ) {
			(*invalid)++;
			in_p++;
			in_left--;
			iconv(cd, NULL, NULL, NULL, NULL);
		} else if (errno == E2BIG) {
			size_t used = (size_t)(out_p - buf);
			char *grown = xrealloc(buf, cap * 2);

			if (grown == NULL) {
				free(buf);
				iconv_close(cd);
				return -1;
			}
			buf = grown;
			cap *= 2;
			out_p = buf + used;
			left = cap - used;
		} else {
			break; /* EINVAL: a sequence cut by the end */
		}
	}
	if (iconv(cd, NULL, NULL, &out_p, &left) == (size_t)-1 && errno == E2BIG) {
		size_t used = (size_t)(out_p - buf);
		char *grown = xrealloc(buf, cap + 64);

		if (grown != NULL) {
			buf = grown;
			out_p = buf + used;
			left = 64;
			iconv(cd, NULL, NULL, &out_p, &left);
		}
	}
	iconv_close(cd);
	*out = buf;
	*out_len = (size_t)(out_p - buf);
	return 0;
}

/* s_viet_letter - 1 if c (beyond ASCII) is a letter of the Vietnamese
 * alphabet: đ/Đ, or an ASCII letter with at most one of circumflex (a, e,
 * o), breve (a) or horn (o, u) and at most one tone mark, on a vowel. The
 * tone marks are added to *tones. */
static int
s_viet_letter(utf8proc_int32_t c, int *tones)
{
	utf8proc_int32_t d[4];
	utf8proc_ssize_t n;
	int bc = 0, t = 0, mods = 0;
	const char *vowel;

	if (c == 0x0110 || c == 0x0111)
		return 1;
	n = utf8proc_decompose_char(c, d, 4, UTF8PROC_DECOMPOSE, &bc);
	if (n < 2 || n > 3 || d[0] >= 0x80 || !((d[0] | 0x20) >= 'a' && (d[0] | 0x20) <= 'z'))
		return 0;
	vowel = strchr("aeiouy", d[0] | 0x20);
	for (utf8proc_ssize_t i = 1; i < n; i++) {
		int base = d[0] | 0x20;

		switch (d[i]) {
		case 0x0300: case 0x0301: case 0x0303: case 0x0309: case 0x0323: /* tones */
			if (vowel == NULL)
				return 0;
			t++;
			break;
		case 0x0302: /* circumflex */
			if (base != 'a' && base != 'e' && base != 'o')
				return 0;
			mods++;
			break;
		case 0x0306: /* breve */
			if (base != 'a')
				return 0;
			mods++;
			break;
		case 0x031B: /* horn */
			if (base != 'o' && base != 'u')
				return 0;
			mods++;
			break;
		default:
			return 0;
		}
	}
	if (t > 1 || mods > 1)
		return 0;
	*tones += t;
	return 1;
}

/* s_common_punct - characters beyond ASCII that Vietnamese text holds
 * without being Vietnamese letters. */
static int
s_common_punct(utf8proc_int32_t c)
{
	static const utf8proc_int32_t ok[] = { 0x00A0, 0x00AB, 0x00B0, 0x00B7, 0x00BB, 0x2013, 0x2014, 0x2018,
		0x2019, 0x201C, 0x201D, 0x2022, 0x2026, 0x20AB, 0x20AC };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (ok[i] == c)
			return 1;
	return 0;
}

/* s_score_nfc - score UTF-8 NFC text (see text_score_t). */
static void
s_score_nfc(const utf8proc_uint8_t *s, utf8proc_ssize_t len, text_score_t *sc)
{
	int in_word = 0, beyond = 0, bad = 0, tones = 0, prev_lower = 0;

	for (utf8proc_ssize_t r = 0; r <= len;) {
		utf8proc_int32_t c = -1;
		utf8proc_ssize_t n = 1;
		utf8proc_category_t cat = UTF8PROC_CATEGORY_CN;

		if (r < len) {
			n = utf8proc_iterate(s + r, len - r, &c);
			if (n <= 0) { /* cannot happen on utf8proc's own output */
				c = 0xFFFD;
				n = 1;
			}
			cat = utf8proc_category(c);
		}
		r += n;
		if (c >= 0 && ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
		    (cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME))) {
			in_word = 1;
			if (c >= 0x80) {
				beyond = 1;
				if (!s_viet_letter(c, &tones))
					bad = 1;
			}
			if (cat == UTF8PROC_CATEGORY_LU && prev_lower)
				bad = 1;
			prev_lower = cat == UTF8PROC_CATEGORY_LL;
			continue;
		}
		if (in_word && beyond) {
			if (bad || tones > 1)
				sc->unlikely++;
			else
				sc->vietnamese++;
		}
		in_word = beyond = bad = tones = prev_lower = 0;
		if (c < 0)
			break;
		if ((c >= 0x80 && !s_common_punct(c)) || (c < 0x20 && c != '\t' && c != '\n' && c != '\r'))
			sc->unlikely++;
	}
}

/* text_score - decode and score len bytes. */
int
text_score(const char *encoding, const char *in, size_t len, text_score_t *out)
{
	int enc = s_lookup(encoding), invalid = 0;
	utf8proc_uint8_t *nfc = NULL;
	utf8proc_ssize_t n;
	char *utf8 = NULL;
	size_t utf8_len = 0;

	memset(out, 0, sizeof(*out));
	if (enc < 0) {
		errno = EINVAL;
		return -1;
	}
	if (s_decode_lenient(enc, in, len, &utf8, &utf8_len, &invalid) != 0)
		return -1;
	out->invalid = invalid;
	out->unlikely = invalid;
	if (utf8_len > 0) {
		n = utf8proc_map((const utf8proc_uint8_t *)utf8, (utf8proc_ssize_t)utf8_len, &nfc,
		    UTF8PROC_STABLE | UTF8PROC_COMPOSE);
		if (n < 0) {
			free(utf8);
			return -1;
		}
		s_score_nfc(nfc, n, out);
		free(nfc);
	}
	free(utf8);
	return 0;
}

/* text_plausible - at most one unlikely item for every 8 Vietnamese words. */
int
text_plausible(const text_score_t *sc)
{
	return sc->unlikely * 8 <= sc->vietnamese;
}

/* s_value - how Vietnamese a reading is, to compare readings by. */
static long
s_value(const text_score_t *sc)
{
	return (long)sc->vietnamese - 2L * sc->unlikely;
}

/* text_detect_legacy - the legacy encoding the bytes read most like Vietnamese in. */
const char *
text_detect_legacy(const char *in, size_t len, const char *prefer, text_score_t *sc)
{
	const char *pref = text_encoding_canonical(prefer), *best = NULL;
	const char *order[4];
	long best_val = 0;
	size_t n = 0;
	text_score_t best_sc = { 0, 0, 0 };

	if (pref != NULL && strcmp(pref, "UTF-8") != 0)
		order[n++] = pref;
	for (size_t i = 0; i < sizeof(s_legacy) / sizeof(s_legacy[0]); i++)
		if (pref == NULL || strcmp(pref, s_legacy[i]) != 0)
			order[n++] = s_legacy[i];
	for (size_t i = 0; i < n; i++) {
		text_score_t cur;
		long val;

		if (text_score(order[i], in, len, &cur) != 0)
			continue;
		if (cur.vietnamese < TEXT_DETECT_MIN_WORDS || !text_plausible(&cur))
			continue;
		val = s_value(&cur);
		if (best == NULL || val > best_val) {
			best = order[i];
			best_val = val;
			best_sc = cur;
		}
	}
	if (sc != NULL)
		*sc = best_sc;
	return best;
}

/* text_choose - the encoding to read a file in (see text_choice_t). */
int
text_choose(const char *declared, const char *sample, size_t len, int cut, text_choice_t *out)
{
	const char *decl = text_encoding_canonical(declared), *likely;
	text_score_t sc = { 0, 0, 0 }, u8;

	memset(out, 0, sizeof(*out));
	if (decl == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (len >= 3 && memcmp(sample, "\xEF\xBB\xBF", 3) == 0) {
		sample += 3;
		len -= 3;
	}
	if (text_utf8_check(sample, len, cut, NULL)) {
		out->encoding = "UTF-8";
		return 0;
	}
	out->utf8_invalid = 1;
	if (strcmp(decl, "UTF-8") != 0) {
		if (text_score(decl, sample, len, &sc) != 0)
			return -1;
		if (sc.invalid == 0 && text_plausible(&sc)) {
			out->encoding = decl;
			return 0;
		}
	}
	likely = text_detect_legacy(sample, len, decl, NULL);
	if (likely != NULL && strcmp(likely, decl) != 0) {
		out->likely = likely;
		return 0;
	}
	/* a few stray bytes: UTF-8 or the declared encoding, whichever reads
	 * more like Vietnamese (a UTF-8 file with one bad byte stays UTF-8) */
	out->encoding = decl;
	if (strcmp(decl, "UTF-8") != 0 && text_score("UTF-8", sample, len, &u8) == 0 &&
	    s_value(&u8) > s_value(&sc))
		out->encoding = "UTF-8";
	return 0;
}
