/* text - encodings, NFC and header-name folding (see text.h).
 *
 * Legacy encodings go through glibc iconv into UTF-8; everything then goes
 * through utf8proc, which also refuses invalid UTF-8 (bad bytes, overlongs,
 * surrogates, truncated sequences), so that check is made in one place. */
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

/* Accepted names and what glibc iconv calls them (NULL: UTF-8, no iconv). */
static const struct {
	const char *name;
	const char *iconv_name;
} s_encodings[] = {
	{ "UTF-8", NULL },
	{ "UTF8", NULL },
	{ "WINDOWS-1258", "WINDOWS-1258" },
	{ "CP1258", "WINDOWS-1258" },
	{ "TCVN3", "TCVN5712-1" },
	{ "TCVN", "TCVN5712-1" },
	{ "TCVN5712-1", "TCVN5712-1" },
	{ "VISCII", "VISCII" },
};

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
