/* text - turning agency bytes into the one form all text is stored in:
 * UTF-8, Unicode NFC.
 *
 * Input is UTF-8 or, when an agency's configuration says so, one of the
 * legacy Vietnamese encodings still found in government files: Windows-1258
 * (which writes tones as separate combining marks, hence the NFC step),
 * TCVN 5712 ("TCVN3") and VISCII. Invalid input is refused, never guessed
 * into text; which encoding a file is in is decided once per file, from a
 * sample of its first bytes (text_choose), and the decision is named.
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

/* text_encoding_canonical - the name an accepted encoding is reported by:
 * "UTF-8", "WINDOWS-1258", "TCVN3" or "VISCII" (a static string); NULL for
 * an unknown name. NULL and "" are UTF-8. */
const char *text_encoding_canonical(const char *encoding);

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

/* TEXT_SAMPLE_BYTES - how much of a file's start text_choose looks at. */
#define TEXT_SAMPLE_BYTES (64u * 1024u)

/* TEXT_DETECT_MIN_WORDS - words that must read as Vietnamese before a
 * legacy encoding is named as the one a file is in. */
#define TEXT_DETECT_MIN_WORDS 3

/* How Vietnamese some bytes read in one encoding. A word is a run of
 * letters and marks holding at least one letter beyond ASCII: it reads as
 * Vietnamese when each such letter is one of the Vietnamese alphabet (a base
 * letter with at most a circumflex, breve or horn where those belong, and a
 * tone mark only on a vowel, or đ/Đ), the word carries at most one tone
 * mark, and no capital follows a small letter. Anything else beyond ASCII
 * is unlikely: such a word, a stray combining mark, a symbol that is not
 * common punctuation (no-break space, quotes, dashes, ellipsis, degree,
 * bullet, ₫, €), a control character, a NUL, or a byte the encoding does
 * not define. Words of ASCII letters only count for neither. */
typedef struct {
	int vietnamese; /* words that read as Vietnamese */
	int unlikely;   /* words and characters Vietnamese text hardly holds */
	int invalid;    /* byte sequences the encoding does not define (counted in unlikely too) */
} text_score_t;

/* text_score - decode len bytes from encoding and score them (a sequence
 * cut by the end is not counted). 0, or -1 for an unknown encoding or no
 * memory. */
int text_score(const char *encoding, const char *in, size_t len, text_score_t *out);

/* text_plausible - the score is of Vietnamese text: at most one unlikely
 * item for every 8 Vietnamese words (0/0 passes: nothing to object to). */
int text_plausible(const text_score_t *sc);

/* text_detect_legacy - the legacy encoding (WINDOWS-1258, TCVN3 or VISCII)
 * in which len bytes read most like Vietnamese: the highest of vietnamese
 * minus twice unlikely, ties going to prefer (when it is one of the three),
 * then to that order. Only a plausible reading with at least
 * TEXT_DETECT_MIN_WORDS Vietnamese words counts; NULL when none does. The
 * score of the encoding named is stored in *sc when sc is not NULL. */
const char *text_detect_legacy(const char *in, size_t len, const char *prefer, text_score_t *sc);

/* text_utf8_check - 1 if len bytes are valid UTF-8 (no overlong or
 * surrogate; a NUL passes: the CSV reader rejects its row); with cut, a sequence left unfinished by the end passes (the
 * bytes are the start of a longer file). 0 otherwise. *non_ascii (when not
 * NULL) is set to whether any byte is beyond ASCII. */
int text_utf8_check(const char *s, size_t len, int cut, int *non_ascii);

/* The encoding a file is read in, decided from a sample of its first bytes
 * (TEXT_SAMPLE_BYTES, a UTF-8 BOM left out) and the agency's declared one:
 *   1. valid UTF-8 (ASCII too): UTF-8, whatever was declared. UTF-8 checks
 *      itself, so bytes of another encoding further on fail loudly, row by
 *      row, where a one-byte code page would turn UTF-8 into mojibake;
 *   2. bytes invalid in UTF-8, a legacy encoding declared, and the sample
 *      decodes in it and reads plausibly (text_plausible): the declared one;
 *   3. otherwise, when a legacy encoding is detected (text_detect_legacy):
 *      refuse the file, naming that encoding as the likely one;
 *   4. otherwise (a few stray bytes that read as nothing): UTF-8 or the
 *      declared encoding, whichever reads more like Vietnamese (vietnamese
 *      minus twice unlikely; a tie to the declared one); the rows holding
 *      the bad bytes are rejected one by one. */
typedef struct {
	const char *encoding; /* canonical name to read the file in; NULL when refused */
	const char *likely;   /* when refused: the encoding the file is most likely in */
	int utf8_invalid;     /* the sample holds bytes invalid in UTF-8 */
} text_choice_t;

/* text_choose - decide, as above. declared is the agency's encoding (NULL
 * or "" for UTF-8); cut says the sample is shorter than the file. 0, or -1
 * for an unknown declared encoding or no memory. */
int text_choose(const char *declared, const char *sample, size_t len, int cut, text_choice_t *out);

#endif
