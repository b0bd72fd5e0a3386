/* text - turning agency bytes into the one form all text is stored in:
 * UTF-8, Unicode NFC.
 *
 * Input is UTF-8 or, when an agency's configuration says so, one of the
 * legacy Vietnamese encodings still found in government files: Windows-1258
 * (which writes tones as separate combining marks, hence the NFC step),
 * TCVN 5712 ("TCVN3") and VISCII. Invalid input is refused, never guessed.
 *
 * text_fold_key gives the form header names are compared in, so that
 * "Mã số thuế", "MA SO THUE" and " ma_so_thue " are the same name. */
#ifndef BHXH_TEXT_H
#define BHXH_TEXT_H

#include <stddef.h>

typedef struct text_conv text_conv_t;

/* text_encoding_known - 1 if text_conv_new accepts this encoding name
 * (NULL and "" mean UTF-8), else 0. Names are case-insensitive: UTF-8, UTF8,
 * WINDOWS-1258, CP1258, TCVN3, TCVN, TCVN5712-1, VISCII. */
int text_encoding_known(const char *encoding);

/* text_conv_new - a converter from encoding to UTF-8 NFC; NULL for an
 * unknown encoding (errno EINVAL) or no memory. */
text_conv_t *text_conv_new(const char *encoding);

/* text_conv_destroy - free the converter and set *self_p to NULL. */
void text_conv_destroy(text_conv_t **self_p);

/* text_to_utf8_nfc - convert len bytes of one field to a NUL-terminated,
 * malloc'd UTF-8 string in NFC, stored in *out. 0, or -1 with *out NULL when
 * the input holds a NUL or an invalid byte sequence (for UTF-8: bad bytes,
 * overlongs, surrogates, truncated sequences), or memory runs out. */
int text_to_utf8_nfc(text_conv_t *self, const char *in, size_t len, char **out);

/* text_fold_key - the matching key of a header name: diacritics removed,
 * đ/Đ made d, lower case, runs of white space, '_' and '-' made one space,
 * trimmed. "Mã số BHXH" -> "ma so bhxh". malloc'd; NULL on invalid UTF-8
 * or no memory. */
char *text_fold_key(const char *utf8);

/* text_is_nfc_utf8 - 1 if s (len bytes) is valid UTF-8, holds no NUL and is
 * already in NFC, else 0. */
int text_is_nfc_utf8(const char *s, size_t len);

#endif
