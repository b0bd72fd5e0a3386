/* test_text - unit tests for encodings, NFC and header folding
 * (common/text.c). Legacy-encoding bytes were produced with glibc iconv,
 * e.g. printf 'Nguyễn Văn Đức' | iconv -f UTF-8 -t TCVN5712-1 | xxd */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* "Nguyễn Văn Đức" in UTF-8 NFC, each letter precomposed */
#define NGUYEN_VAN_DUC "Nguy\xE1\xBB\x85n V\xC4\x83n \xC4\x90\xE1\xBB\xA9\x63"

/* Real Vietnamese text, the kind agencies send: a header and rows of a
 * collection-agent file, then sentences of an official letter. */
static const char *const S_TEXTS[] = {
	"Mã đại lý,Tên đại lý,Mã huyện,Trạng thái\n"
	"DL201,Nguyễn Văn Đức,058,Đang hoạt động\n"
	"DL202,Trần Thị Hương,061,Đang hoạt động\n"
	"DL203,Phạm Ngọc Ánh,064,Ngừng hoạt động\n"
	"DL204,Hoàng Thị Thu Huyền,066,Đang hoạt động\n"
	"DL205,Lý Văn Ước,062,Tạm ngừng\n",
	"Bảo hiểm xã hội tỉnh Bắc Kạn đề nghị các đơn vị sử dụng lao động trên địa bàn đóng đầy đủ "
	"bảo hiểm xã hội, bảo hiểm thất nghiệp cho người lao động theo đúng quy định của pháp luật.",
	"Sở Lao động - Thương binh và Xã hội phối hợp với Ủy ban nhân dân các huyện rà soát số người "
	"trong độ tuổi lao động chưa tham gia bảo hiểm xã hội tự nguyện.",
	"Công ty TNHH Một thành viên Xây dựng Bắc Kạn nợ đóng bảo hiểm xã hội ba tháng liên tiếp; "
	"đề nghị đơn vị khẩn trương nộp số tiền còn nợ trước ngày cuối tháng.",
};

/* The legacy encodings and what glibc iconv calls them. */
static const struct { const char *name, *iconv_name; } S_LEGACY[] = {
	{ "WINDOWS-1258", "WINDOWS-1258" }, { "TCVN3", "TCVN5712-1" }, { "VISCII", "VISCII" },
};

/* s_encode - utf8 encoded in iconv_name by glibc iconv, malloc'd, length in *len. */
static char *
s_encode(const char *iconv_name, const char *utf8, size_t *len)
{
	iconv_t cd = iconv_open(iconv_name, "UTF-8");
	size_t in_left = strlen(utf8), cap = in_left * 2 + 16, left = cap;
	char *in_p = (char *)utf8, *buf = malloc(cap), *out_p = buf;

	assert_true(cd != (iconv_t)-1);
	assert_non_null(buf);
	assert_true(iconv(cd, &in_p, &in_left, &out_p, &left) != (size_t)-1);
	assert_true(iconv(cd, NULL, NULL, &out_p, &left) != (size_t)-1);
	iconv_close(cd);
	*len = (size_t)(out_p - buf);
	return buf;
}

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

static void
test_score(void **state)
{
	(void)state;
	text_score_t sc;

	/* three Vietnamese words; ASCII words count for neither */
	assert_int_equal(text_score("UTF-8", NGUYEN_VAN_DUC " DL201 abc", strlen(NGUYEN_VAN_DUC) + 10, &sc), 0);
	assert_int_equal(sc.vietnamese, 3);
	assert_int_equal(sc.unlikely, 0);
	assert_int_equal(sc.invalid, 0);
	/* German, Spanish, a tone on a consonant, two tones, a capital after a
	 * small letter, a symbol, a stray combining mark: unlikely each */
	static const char *const odd[] = { "Straße", "año", "ṇam", "Nguyễẽn", "nguyỄn", "x § y", "a \xCC\x81 b" };
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		assert_int_equal(text_score("UTF-8", odd[i], strlen(odd[i]), &sc), 0);
		assert_int_equal(sc.vietnamese, 0);
		assert_int_equal(sc.unlikely, 1);
	}
	/* common punctuation is not held against a text */
	assert_int_equal(text_score("UTF-8", "“Việt” – 100 ₫…", strlen("“Việt” – 100 ₫…"), &sc), 0);
	assert_int_equal(sc.vietnamese, 1);
	assert_int_equal(sc.unlikely, 0);
	/* bytes invalid in the encoding are unlikely */
	assert_int_equal(text_score("UTF-8", "ab\xFF c\xC3", 6, &sc), 0);
	assert_int_equal(sc.invalid, 1); /* the cut \xC3 at the end is not counted */
	assert_int_equal(sc.unlikely, 1);
	assert_int_equal(text_score("WINDOWS-1258", "a\x81", 2, &sc), 0);
	assert_int_equal(sc.invalid, 1);
	assert_int_equal(text_score("LATIN1", "a", 1, &sc), -1);
	assert_true(text_plausible(&(text_score_t){ 8, 1, 0 }));
	assert_false(text_plausible(&(text_score_t){ 7, 1, 0 }));
	assert_true(text_plausible(&(text_score_t){ 0, 0, 0 }));
}

static void
test_detect_legacy(void **state)
{
	(void)state;
	/* each text in each legacy encoding is told as that encoding, whichever
	 * encoding is preferred on a tie, and reads with nothing unlikely */
	for (size_t t = 0; t < sizeof(S_TEXTS) / sizeof(S_TEXTS[0]); t++) {
		for (size_t e = 0; e < sizeof(S_LEGACY) / sizeof(S_LEGACY[0]); e++) {
			size_t len;
			char *bytes = s_encode(S_LEGACY[e].iconv_name, S_TEXTS[t], &len);
			text_score_t sc;

			assert_false(text_utf8_check(bytes, len, 0, NULL));
			for (size_t p = 0; p <= sizeof(S_LEGACY) / sizeof(S_LEGACY[0]); p++) {
				const char *prefer = p < sizeof(S_LEGACY) / sizeof(S_LEGACY[0]) ? S_LEGACY[p].name : NULL;
				const char *got = text_detect_legacy(bytes, len, prefer, &sc);

				if (got == NULL || strcmp(got, S_LEGACY[e].name) != 0)
					fail_msg("text %zu in %s, preferring %s: detected %s", t, S_LEGACY[e].name,
					    prefer ? prefer : "none", got ? got : "none");
				assert_int_equal(sc.unlikely, 0);
				assert_true(sc.vietnamese >= TEXT_DETECT_MIN_WORDS);
			}
			/* read in the other two, the same bytes are not plausible text */
			for (size_t o = 0; o < sizeof(S_LEGACY) / sizeof(S_LEGACY[0]); o++) {
				if (o == e)
					continue;
				assert_int_equal(text_score(S_LEGACY[o].name, bytes, len, &sc), 0);
				if (text_plausible(&sc))
					fail_msg("text %zu in %s reads plausibly in %s (%d/%d)", t, S_LEGACY[e].name,
					    S_LEGACY[o].name, sc.vietnamese, sc.unlikely);
			}
			free(bytes);
		}
		/* the text in UTF-8 is no legacy encoding: its bytes read as mojibake */
		assert_null(text_detect_legacy(S_TEXTS[t], strlen(S_TEXTS[t]), NULL, NULL));
	}
	/* ASCII, or ASCII with a stray byte, holds too little to tell */
	assert_null(text_detect_legacy("DL201,058,2017", 14, NULL, NULL));
	assert_null(text_detect_legacy("063,2019,20,10\n06\xff" "4,2019", 21, NULL, NULL));
	assert_null(text_detect_legacy("", 0, "TCVN3", NULL));
}

static void
test_utf8_check(void **state)
{
	(void)state;
	int high = -1;

	assert_true(text_utf8_check("abc", 3, 0, &high));
	assert_false(high);
	assert_true(text_utf8_check(NGUYEN_VAN_DUC, strlen(NGUYEN_VAN_DUC), 0, &high));
	assert_true(high);
	assert_true(text_utf8_check("a\0b", 3, 0, NULL)); /* NUL is the CSV reader's business */
	assert_false(text_utf8_check("a\xFF" "b", 3, 0, NULL));
	assert_false(text_utf8_check("\xC0\xAF", 2, 0, NULL));     /* overlong */
	assert_false(text_utf8_check("\xED\xA0\x80", 3, 0, NULL)); /* surrogate */
	/* a sequence cut by the end of a sample passes only when cut */
	assert_false(text_utf8_check("ab\xE1\xBB", 4, 0, NULL));
	assert_true(text_utf8_check("ab\xE1\xBB", 4, 1, NULL));
	assert_true(text_utf8_check("ab\xF0", 3, 1, NULL));
	assert_false(text_utf8_check("ab\xE1\x41", 4, 1, NULL));
	assert_false(text_utf8_check("ab\xFF", 3, 1, NULL));
}

/* s_expect_choice - text_choose(declared, bytes) reads in want, or refuses
 * naming likely (want NULL). */
static void
s_expect_choice(const char *declared, const char *bytes, size_t len, int cut, const char *want, const char *likely)
{
	text_choice_t ch;

	assert_int_equal(text_choose(declared, bytes, len, cut, &ch), 0);
	if (want == NULL) {
		assert_null(ch.encoding);
		assert_non_null(ch.likely);
		assert_string_equal(ch.likely, likely);
		assert_true(ch.utf8_invalid);
	} else {
		assert_non_null(ch.encoding);
		assert_string_equal(ch.encoding, want);
		assert_null(ch.likely);
	}
}

static void
test_choose(void **state)
{
	(void)state;
	const char *csv = S_TEXTS[0];
	char bom[1024];
	text_choice_t ch;

	/* valid UTF-8 is UTF-8 whatever is declared, with or without a BOM */
	snprintf(bom, sizeof(bom), "\xEF\xBB\xBF%s", csv);
	for (size_t e = 0; e < sizeof(S_LEGACY) / sizeof(S_LEGACY[0]); e++) {
		s_expect_choice(S_LEGACY[e].name, csv, strlen(csv), 0, "UTF-8", NULL);
		s_expect_choice(S_LEGACY[e].name, bom, strlen(bom), 0, "UTF-8", NULL);
	}
	s_expect_choice(NULL, csv, strlen(csv), 0, "UTF-8", NULL);
	s_expect_choice("utf8", bom, strlen(bom), 0, "UTF-8", NULL);
	/* ASCII is UTF-8 too: bytes of a legacy encoding further on then fail
	 * row by row instead of UTF-8 turning silently into mojibake */
	s_expect_choice("cp1258", "DL201,058\n", 10, 0, "UTF-8", NULL);
	s_expect_choice("TCVN5712-1", "DL201,058\n", 10, 0, "UTF-8", NULL);
	s_expect_choice("", "DL201,058\n", 10, 0, "UTF-8", NULL);
	/* invalid in UTF-8, read in the declared one: named canonically */
	{
		size_t len;
		char *bytes = s_encode("WINDOWS-1258", csv, &len);

		s_expect_choice("cp1258", bytes, len, 0, "WINDOWS-1258", NULL);
		free(bytes);
	}
	/* a legacy file: read in it when declared, else refused naming it */
	for (size_t e = 0; e < sizeof(S_LEGACY) / sizeof(S_LEGACY[0]); e++) {
		size_t len;
		char *bytes = s_encode(S_LEGACY[e].iconv_name, csv, &len);

		s_expect_choice(S_LEGACY[e].name, bytes, len, 0, S_LEGACY[e].name, NULL);
		s_expect_choice("UTF-8", bytes, len, 0, NULL, S_LEGACY[e].name);
		for (size_t o = 0; o < sizeof(S_LEGACY) / sizeof(S_LEGACY[0]); o++)
			if (o != e)
				s_expect_choice(S_LEGACY[o].name, bytes, len, 0, NULL, S_LEGACY[e].name);
		free(bytes);
	}
	/* a stray bad byte in a UTF-8 file reads as nothing: the declared
	 * encoding, the row holding it rejected alone */
	{
		const char stray[] = "Mã huyện,Năm\n063,2019\n06\xff" "4,2019\n";

		assert_int_equal(text_choose("UTF-8", stray, sizeof(stray) - 1, 0, &ch), 0);
		assert_string_equal(ch.encoding, "UTF-8");
		assert_true(ch.utf8_invalid);
		assert_null(ch.likely);
	}
	/* ...also from an agency that declares a legacy encoding: read in it, the
	 * UTF-8 would turn into mojibake */
	{
		char stray[1024];

		snprintf(stray, sizeof(stray), "%s06\xff" "4,2019\n", csv);
		for (size_t e = 0; e < sizeof(S_LEGACY) / sizeof(S_LEGACY[0]); e++) {
			assert_int_equal(text_choose(S_LEGACY[e].name, stray, strlen(stray), 0, &ch), 0);
			assert_non_null(ch.encoding);
			assert_string_equal(ch.encoding, "UTF-8");
			assert_true(ch.utf8_invalid);
		}
	}
	/* a legacy file with a byte its encoding does not define stays in it */
	{
		size_t len;
		char *bytes = s_encode("WINDOWS-1258", csv, &len), *more = malloc(len + 2);

		memcpy(more, bytes, len);
		memcpy(more + len, "\x81\n", 2);
		s_expect_choice("WINDOWS-1258", more, len + 2, 0, "WINDOWS-1258", NULL);
		free(more);
		free(bytes);
	}
	/* a sample cut in the middle of a letter is still UTF-8 */
	{
		size_t n = strlen(NGUYEN_VAN_DUC) - 2; /* "...Đứ" cut inside ứ */

		s_expect_choice("TCVN3", NGUYEN_VAN_DUC, n, 1, "UTF-8", NULL);
	}
	errno = 0;
	assert_int_equal(text_choose("LATIN1", "a", 1, 0, &ch), -1);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(text_encoding_canonical("cp1258"), "WINDOWS-1258");
	assert_string_equal(text_encoding_canonical(NULL), "UTF-8");
	assert_null(text_encoding_canonical("LATIN1"));
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
		cmocka_unit_test(test_score),
		cmocka_unit_test(test_detect_legacy),
		cmocka_unit_test(test_utf8_check),
		cmocka_unit_test(test_choose),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
