/* fuzz_text - libFuzzer harness for the text conversions (common/text.c).
 *
 * Every input is converted from each supported encoding (UTF-8,
 * Windows-1258, TCVN3, VISCII) with text_to_utf8_nfc, and its NUL-terminated
 * copy and every conversion result are folded with text_fold_key.
 *
 * Checked: a conversion either fails with *out NULL or gives a string that
 * is valid UTF-8 in NFC (text_is_nfc_utf8) and converts to itself again as
 * UTF-8; from UTF-8 it succeeds exactly when the input is valid UTF-8 with no
 * NUL. A folded key has no leading, trailing or doubled space, and folding
 * it again succeeds. The input is also taken as a file's sample: for each
 * declared encoding text_choose reads it or refuses it naming a legacy
 * encoding other than the declared one, never both; valid UTF-8 is always
 * read as UTF-8; text_score counts nothing negative. Crashes, leaks and sanitizer reports are findings; so is
 * a failed check (abort). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const s_encodings[] = { "UTF-8", "WINDOWS-1258", "TCVN3", "VISCII" };
#define S_NENC (sizeof(s_encodings) / sizeof(s_encodings[0]))
static text_conv_t *s_conv[S_NENC];

/* s_check - abort (a finding) unless cond holds. */
static void
s_check(int cond)
{
	if (!cond)
		abort();
}

/* LLVMFuzzerInitialize - one converter per encoding, kept for the run. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	for (size_t i = 0; i < S_NENC; i++) {
		s_check(text_encoding_known(s_encodings[i]));
		s_conv[i] = text_conv_new(s_encodings[i]);
		s_check(s_conv[i] != NULL);
	}
	return 0;
}

/* s_check_key - fold s (valid UTF-8 when must_fold) and check the key. */
static void
s_check_key(const char *s, int must_fold)
{
	char *key = text_fold_key(s), *again;
	size_t n;

	if (key == NULL) {
		s_check(!must_fold);
		return;
	}
	n = strlen(key);
	s_check(n == 0 || (key[0] != ' ' && key[n - 1] != ' '));
	s_check(strstr(key, "  ") == NULL);
	again = text_fold_key(key);
	s_check(again != NULL);
	free(again);
	free(key);
}

/* LLVMFuzzerTestOneInput - convert from every encoding, fold every result. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char *copy = malloc(size + 1), *out, *again;
	int valid_utf8 = 0;

	s_check(copy != NULL);
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (size_t i = 0; i < S_NENC; i++) {
		if (text_to_utf8_nfc(s_conv[i], in, size, &out) != 0) {
			s_check(out == NULL);
			continue;
		}
		s_check(out != NULL);
		s_check(text_is_nfc_utf8(out, strlen(out)));
		s_check(text_to_utf8_nfc(s_conv[0], out, strlen(out), &again) == 0);
		s_check(strcmp(again, out) == 0);
		free(again);
		s_check_key(out, 1);
		if (i == 0) {
			valid_utf8 = 1;
			s_check(memchr(in, '\0', size) == NULL);
			s_check(text_is_nfc_utf8(in, size) == (strcmp(out, copy) == 0));
		}
		free(out);
	}
	if (!valid_utf8)
		s_check(memchr(in, '\0', size) != NULL || !text_is_nfc_utf8(in, size));
	for (size_t i = 0; i < S_NENC; i++) {
		text_choice_t ch;
		text_score_t sc;

		s_check(text_choose(s_encodings[i], in, size, (int)(size & 1), &ch) == 0);
		s_check((ch.encoding == NULL) != (ch.likely == NULL));
		if (ch.likely != NULL)
			s_check(strcmp(ch.likely, s_encodings[i]) != 0 && strcmp(ch.likely, "UTF-8") != 0);
		if (text_utf8_check(in, size, 0, NULL))
			s_check(ch.encoding != NULL && strcmp(ch.encoding, "UTF-8") == 0);
		s_check(text_score(s_encodings[i], in, size, &sc) == 0);
		s_check(sc.vietnamese >= 0 && sc.unlikely >= sc.invalid && sc.invalid >= 0);
	}
	s_check_key(copy, valid_utf8);
	free(copy);
	return 0;
}
