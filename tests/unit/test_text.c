/* test_text - unit tests for encodings, NFC and header folding
 * (common/text.c). Legacy-encoding bytes were produced with glibc iconv,
 * e.g. printf 'Nguyễn Văn Đức' | iconv -f UTF-8 -t TCVN5712-1 | xxd */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* "Nguyễn Văn Đức" in UTF-8 NFC, each letter precomposed */
#define NGUYEN_VAN_DUC "Nguy\xE1\xBB\x85n V\xC4\x83n \xC4\x90\xE1\xBB\xA9\x63"

/* s_expect_conv - converting len bytes from encoding gives want. */
static void
s_expect_conv(const char *encoding, const char *in, size_t len, const char *want)
{
	text_conv_t *c = text_conv_new(encoding);
	char *out = (char *)1;

	assert_non_null(c);
	assert_int_equal(text_to_utf8_nfc(c, in, len, &out), 0);
	assert_non_null(out);
	assert_string_equal(out, want);
	assert_true(text_is_nfc_utf8(out, strlen(out)));
	free(out);
	text_conv_destroy(&c);
	assert_null(c);
}

/* s_expect_bad - converting len bytes from encoding fails, *out NULL. */
static void
s_expect_bad(const char *encoding, const char *in, size_t len)
{
	text_conv_t *c = text_conv_new(encoding);
	char *out = (char *)1;

	assert_non_null(c);
	assert_int_equal(text_to_utf8_nfc(c, in, len, &out), -1);
	assert_null(out);
	text_conv_destroy(&c);
}

/* s_expect_fold - text_fold_key(in) is want. */
static void
s_expect_fold(const char *in, const char *want)
{
	char *key = text_fold_key(in);

	assert_non_null(key);
	assert_string_equal(key, want);
	free(key);
}

static void
test_encoding_names(void **state)
{
	(void)state;
	static const char *const known[] = {
		"UTF-8", "utf-8", "utf8", "WINDOWS-1258", "windows-1258", "CP1258", "cp1258",
		"TCVN3", "tcvn3", "TCVN5712-1", "TCVN", "VISCII", "viscii", "",
	};
	static const char *const unknown[] = { "LATIN1", "ISO-8859-1", "UTF-16", "TCVN4", "x" };

	assert_true(text_encoding_known(NULL));
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		text_conv_t *c = text_conv_new(known[i]);

		assert_true(text_encoding_known(known[i]));
		assert_non_null(c);
		text_conv_destroy(&c);
	}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_false(text_encoding_known(unknown[i]));
		errno = 0;
		assert_null(text_conv_new(unknown[i]));
		assert_int_equal(errno, EINVAL);
	}
	text_conv_destroy(NULL);
}

static void
test_utf8_identity(void **state)
{
	(void)state;
	static const char *const ins[] = {
		"", "plain ascii, 123", NGUYEN_VAN_DUC, "Mã số thuế", "Tạm ngừng", "€ 😀",
	};
	text_conv_t *c = text_conv_new(NULL);

	assert_non_null(c);
	for (size_t i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
		char *out = NULL;

		assert_int_equal(text_to_utf8_nfc(c, ins[i], strlen(ins[i]), &out), 0);
		assert_string_equal(out, ins[i]);
		free(out);
	}
	/* only len bytes are read */
	{
		char *out = NULL;

		assert_int_equal(text_to_utf8_nfc(c, "abcdef", 3, &out), 0);
		assert_string_equal(out, "abc");
		free(out);
	}
	text_conv_destroy(&c);
}

static void
test_nfc(void **state)
{
	(void)state;
	/* "Nguyễn" typed decomposed: e + circumflex + tilde, and ê + tilde */
	const char decomposed[] = "Nguye\xCC\x82\xCC\x83n V\x61\xCC\x86n \xC4\x90u\xCC\x9B\xCC\x81\x63";
	const char half[] = "Nguy\xC3\xAA\xCC\x83n V\xC4\x83n \xC4\x90\xC6\xB0\xCC\x81\x63";

	s_expect_conv("UTF-8", decomposed, strlen(decomposed), NGUYEN_VAN_DUC);
	s_expect_conv("utf-8", half, strlen(half), NGUYEN_VAN_DUC);
	assert_false(text_is_nfc_utf8(decomposed, strlen(decomposed)));
	assert_false(text_is_nfc_utf8(half, strlen(half)));
	assert_true(text_is_nfc_utf8(NGUYEN_VAN_DUC, strlen(NGUYEN_VAN_DUC)));
	assert_true(text_is_nfc_utf8("", 0));
	/* canonical reordering of marks: dot below before circumflex either way */
	s_expect_conv(NULL, "e\xCC\xA3\xCC\x82", 5, "\xE1\xBB\x87");
	s_expect_conv(NULL, "e\xCC\x82\xCC\xA3", 5, "\xE1\xBB\x87");
}

static void
test_invalid_utf8(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t len;
	} bad[] = {
		{ "\xC3\x28", 2 },          /* bad continuation */
		{ "\xFF", 1 },              /* never valid */
		{ "ab\xFE", 3 },
		{ "\xC0\xAF", 2 },          /* overlong '/' */
		{ "\xE0\x80\xAF", 3 },      /* overlong, 3 bytes */
		{ "\xED\xA0\x80", 3 },      /* surrogate U+D800 */
		{ "\xF4\x90\x80\x80", 4 },  /* above U+10FFFF */
		{ "\xE1\xBB", 2 },          /* cut sequence */
		{ "\x80", 1 },              /* lone continuation */
		{ "a\0b", 3 },              /* NUL */
		{ "\0", 1 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s_expect_bad("UTF-8", bad[i].in, bad[i].len);
		assert_false(text_is_nfc_utf8(bad[i].in, bad[i].len));
	}
}

static void
test_cp1258(void **state)
{
	(void)state;
	/* "Nguyê" + combining tilde (0xDE) + "n": one precomposed ễ (U+1EC5) */
	const char nguyen[] = { 0x4e, 0x67, 0x75, 0x79, (char)0xea, (char)0xde, 0x6e };
	const char full[] = {
		0x4e, 0x67, 0x75, 0x79, (char)0xea, (char)0xde, 0x6e, 0x20,
		0x56, (char)0xe3, 0x6e, 0x20, (char)0xd0, (char)0xfd, (char)0xec, 0x63,
	};
	/* a tone mark on the very last letter, held back by iconv until flushed */
	const char last[] = { 0x6c, 0x75, 0x6f, 0x6e, 0x67, 0x20, (char)0xd0, (char)0xf5, (char)0xde };

	s_expect_conv("WINDOWS-1258", nguyen, sizeof(nguyen), "Nguy\xE1\xBB\x85n");
	s_expect_conv("CP1258", full, sizeof(full), NGUYEN_VAN_DUC);
	s_expect_conv("cp1258", last, sizeof(last), "luong \xC4\x90\xE1\xBB\xA1");
	s_expect_conv("CP1258", "", 0, "");
	s_expect_bad("CP1258", "ab\x81", 3); /* 0x81 is not assigned */
	s_expect_bad("CP1258", "a\0b", 3);
}

static void
test_tcvn3(void **state)
{
	(void)state;
	const char full[] = {
		0x4e, 0x67, 0x75, 0x79, (char)0xd4, 0x6e, 0x20,
		0x56, (char)0xa8, 0x6e, 0x20, (char)0xa7, (char)0xf8, 0x63,
	};

	s_expect_conv("TCVN3", full, sizeof(full), NGUYEN_VAN_DUC);
	s_expect_conv("TCVN5712-1", full, sizeof(full), NGUYEN_VAN_DUC);
	s_expect_bad("TCVN3", "a\0b", 3);
}

static void
test_viscii(void **state)
{
	(void)state;
	const char full[] = {
		0x4e, 0x67, 0x75, 0x79, (char)0xad, 0x6e, 0x20,
		0x56, (char)0xe5, 0x6e, 0x20, (char)0xd0, (char)0xd1, 0x63,
	};

	s_expect_conv("VISCII", full, sizeof(full), NGUYEN_VAN_DUC);
	s_expect_bad("VISCII", "a\0b", 3);
}

static void
test_conv_reuse(void **state)
{
	(void)state;
	/* one converter, many fields: no state leaks from one to the next */
	text_conv_t *c = text_conv_new("CP1258");
	const char a[] = { 0x41, (char)0xd0 };  /* "AĐ", Đ held back until the flush */
	const char b[] = { (char)0xde, 0x62 };  /* a combining tilde first, then "b" */
	char *out = NULL;

	assert_non_null(c);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(text_to_utf8_nfc(c, a, sizeof(a), &out), 0);
		assert_string_equal(out, "A\xC4\x90");
		free(out);
		assert_int_equal(text_to_utf8_nfc(c, b, sizeof(b), &out), 0);
		assert_string_equal(out, "\xCC\x83" "b");
		free(out);
		assert_int_equal(text_to_utf8_nfc(c, "A\x81", 2, &out), -1); /* "A" held */
		assert_null(out);
	}
	text_conv_destroy(&c);
}

static void
test_fold_key(void **state)
{
	(void)state;
	s_expect_fold("Mã số thuế", "ma so thue");
	s_expect_fold("MA SO THUE", "ma so thue");
	s_expect_fold(" ma_so_thue ", "ma so thue");
	s_expect_fold("Mã số BHXH", "ma so bhxh");
	s_expect_fold("Ma\xCC\x83 so\xCC\x82\xCC\x81 thue\xCC\x82\xCC\x81", "ma so thue");
	s_expect_fold("MÃ SỐ THUẾ", "ma so thue");
	s_expect_fold("Đơn vị", "don vi");
	s_expect_fold("ĐỊA BÀN", "dia ban");
	s_expect_fold("Tổng quỹ lương đóng BHXH", "tong quy luong dong bhxh");
	s_expect_fold("Số  lao--động", "so lao dong");
	s_expect_fold("\tTham_gia - BHTN\r\n", "tham gia bhtn");
	s_expect_fold("Ngày\xC2\xA0" "đăng ký", "ngay dang ky");   /* no-break space */
	s_expect_fold("Kỳ\xE2\x80\x93" "kế", "ky ke");             /* en dash */
	s_expect_fold("\xEF\xBB\xBFmst", "mst");                   /* stray BOM */
	s_expect_fold("tax_code", "tax code");
	s_expect_fold("Số đã đóng", "so da dong");
	s_expect_fold("Ư Ơ ư ơ", "u o u o");
	s_expect_fold("a.b", "a.b");
	s_expect_fold("", "");
	s_expect_fold(" _-_ ", "");
	assert_null(text_fold_key("\xC3\x28"));
	assert_null(text_fold_key("ab\xFF"));
	assert_null(text_fold_key("\xED\xA0\x80"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoding_names),
		cmocka_unit_test(test_utf8_identity),
		cmocka_unit_test(test_nfc),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_cp1258),
		cmocka_unit_test(test_tcvn3),
		cmocka_unit_test(test_viscii),
		cmocka_unit_test(test_conv_reuse),
		cmocka_unit_test(test_fold_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
