/* gen_files - write the model's months as agency files: one pass per file,
 * one row at a time into a 1 MiB buffer, so memory does not depend on the
 * number of rows.
 *
 * Each file gets a style drawn from the seed, its type and month, in the
 * forms agencies really send: Vietnamese headers (with diacritics, folded to
 * ASCII capitals, or short aliases), ',' or ';', a UTF-8 BOM, CRLF, a leading
 * STT (row number) column, periods YYYY-MM, MM/YYYY or M/YYYY, dates
 * DD/MM/YYYY, YYYY-MM-DD or D/M/YYYY, money plain or grouped by '.', ',' or
 * ' ', Vietnamese enumeration values with or without diacritics.
 *
 * With a bad share, that share of rows (drawn per row) is made bad in one
 * way each, chosen per row among the faults that make sense for the type;
 * every bad row is rejected exactly once, so expected.txt can list the rows
 * each receipt must reject. A duplicate repeats the last good row. */
#include "gen.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_BUFSZ (1u << 20)
#define S_MAXF 13
#define S_FLDSZ 192
#define S_LINESZ (S_MAXF * (2 * S_FLDSZ + 3) + 32)

/* the types, in the order of a month's submissions: insured units before
 * Tax's employers, so that no employer looks unenrolled in between */
enum { S_ENTERPRISE, S_AGENT, S_LABOR, S_TARGET, S_UNIT, S_PARTICIPANT, S_TAX, S_NTYPES };

static const struct {
	const char *name, *agency;
	unsigned bit;
} s_types[S_NTYPES] = {
	{ "enterprise", "skhdt", GEN_TYPE_ENTERPRISE },
	{ "collection_agent", "bhxh", GEN_TYPE_AGENT },
	{ "labor_force", "sldtbxh", GEN_TYPE_LABOR },
	{ "target", "sldtbxh", GEN_TYPE_TARGET },
	{ "insured_unit", "bhxh", GEN_TYPE_UNIT },
	{ "participant", "bhxh", GEN_TYPE_PARTICIPANT },
	{ "tax_employer", "cucthue", GEN_TYPE_TAX },
};

/* header names: Vietnamese, folded to ASCII capitals, another alias (all
 * from config/schemas.yaml; headers match ignoring case and diacritics) */
typedef const char *s_names_t[3];

static const s_names_t s_h_enterprise[] = {
	{ "Mã số thuế", "MA SO THUE", "MST" },
	{ "Tên doanh nghiệp", "TEN DOANH NGHIEP", "ten dn" },
	{ "Mã huyện", "MA HUYEN", "Địa bàn" },
	{ "Ngày đăng ký", "NGAY DANG KY", "ngay dang ky" },
	{ "Trạng thái", "TRANG THAI", "tinh trang" },
};
static const s_names_t s_h_tax[] = {
	{ "Mã số thuế", "MA SO THUE", "MST" },
	{ "Kỳ kê khai", "KY KE KHAI", "thang" },
	{ "Số lao động", "SO LAO DONG", "so ld" },
	{ "Tổng quỹ lương", "TONG QUY LUONG", "quy luong" },
	{ "Trạng thái", "TRANG THAI", "tinh trang" },
};
static const s_names_t s_h_unit[] = {
	{ "Mã đơn vị", "MA DON VI", "ma dv" },
	{ "Mã số thuế", "MA SO THUE", "MST" },
	{ "Mã huyện", "MA HUYEN", "Địa bàn" },
	{ "Kỳ", "KY", "thang" },
	{ "Tên đơn vị", "TEN DON VI", "ten dv" },
	{ "Số lao động tham gia", "SO LAO DONG THAM GIA", "so ld tham gia" },
	{ "Số lao động tham gia BHTN", "SO LAO DONG THAM GIA BHTN", "so ld bhtn" },
	{ "Tổng quỹ lương đóng BHXH", "TONG QUY LUONG DONG BHXH", "quy luong dong bhxh" },
	{ "Số phải đóng", "SO PHAI DONG", "phai dong" },
	{ "Số đã đóng", "SO DA DONG", "da dong" },
	{ "Số nợ", "SO NO", "no" },
	{ "Số tháng nợ", "SO THANG NO", "so thang no" },
};
static const s_names_t s_h_participant[] = {
	{ "Mã số BHXH", "MA SO BHXH", "so so bhxh" },
	{ "Số CCCD", "SO CCCD", "CCCD" },
	{ "Mã huyện", "MA HUYEN", "Địa bàn" },
	{ "Kỳ", "KY", "thang" },
	{ "Loại hình", "LOAI HINH", "hinh thuc" },
	{ "Tham gia BHTN", "THAM GIA BHTN", "BHTN" },
	{ "Mã đơn vị", "MA DON VI", "ma dv" },
	{ "Mã đại lý", "MA DAI LY", "ma dai ly" },
};
static const s_names_t s_h_agent[] = {
	{ "Mã đại lý", "MA DAI LY", "ma dai ly" },
	{ "Tên đại lý", "TEN DAI LY", "ten dai ly" },
	{ "Mã huyện", "MA HUYEN", "Địa bàn" },
	{ "Trạng thái", "TRANG THAI", "Trạng thái" },
};
static const s_names_t s_h_labor[] = {
	{ "Mã huyện", "MA HUYEN", "Địa bàn" },
	{ "Năm", "NAM", "Năm" },
	{ "Lực lượng lao động", "LUC LUONG LAO DONG", "llld" },
};
static const s_names_t s_h_target[] = {
	{ "Mã đơn vị hành chính", "MA DON VI HANH CHINH", "Mã huyện" },
	{ "Năm", "NAM", "Năm" },
	{ "Chỉ tiêu BHXH", "CHI TIEU BHXH", "bhxh_pct" },
	{ "Chỉ tiêu BHTN", "CHI TIEU BHTN", "bhtn_pct" },
};

/* enumeration values: Vietnamese, without diacritics, a short alias */
static const s_names_t s_v_active = { "Đang hoạt động", "Dang hoat dong", "Đang hoạt động" };
static const s_names_t s_v_suspended = { "Tạm ngừng hoạt động", "Tam ngung hoat dong", "Tạm ngừng" };
static const s_names_t s_v_dissolved = { "Giải thể", "Giai the", "Giải thể" };
static const s_names_t s_v_stopped = { "Ngừng hoạt động", "Ngung hoat dong", "Ngừng hoạt động" };
static const s_names_t s_v_agent_active = { "Đang hoạt động", "Dang hoat dong", "hoat dong" };
static const s_names_t s_v_agent_inactive = { "Ngừng hoạt động", "Ngung hoat dong", "ngung" };
static const s_names_t s_v_compulsory = { "Bắt buộc", "Bat buoc", "BB" };
static const s_names_t s_v_voluntary = { "Tự nguyện", "Tu nguyen", "TN" };
static const char *const s_yes[] = { "x", "X", "1", "có", "Có" };
static const char *const s_no[] = { "", "0", "không" };

/* the ways a row is made bad; each is rejected once */
enum {
	K_TAX_DIGIT,   /* E_TAX_CODE_CHECK_DIGIT */
	K_PERIOD,      /* E_PERIOD_FORMAT: month 13 */
	K_MONEY_NEG,   /* E_MONEY_NEGATIVE */
	K_ORG,         /* E_ORG_UNIT_UNKNOWN */
	K_DUP,         /* E_DUPLICATE_KEY: the last good row again */
	K_ENUM,        /* E_ENUM_VALUE */
	K_BHTN,        /* E_RULE_BHTN_GT_INSURED */
	K_INT_NEG,     /* E_INT_RANGE: negative employees */
	K_DATE,        /* E_DATE_INVALID: 30 February */
	K_ARR_RULE,    /* E_RULE_ARREARS_MONTHS_NO_ARREARS */
	K_UNIT_CODE,   /* E_UNIT_CODE_FORMAT */
	K_INS_NO,      /* E_INSURANCE_NO_FORMAT: 9 digits */
	K_RULE,        /* E_RULE_VOLUNTARY_BHTN or E_RULE_COMPULSORY_UNIT */
	K_CODE,        /* E_CODE_FORMAT: a space in an agent code */
	K_YEAR,        /* E_YEAR_FORMAT */
	K_LF_ZERO,     /* E_INT_RANGE: labour force 0 */
	K_PCT_RANGE,   /* E_PCT_RANGE */
	K_TGT_RULE,    /* E_RULE_BHTN_TARGET_GT_BHXH */
};

static const int s_k_enterprise[] = { K_TAX_DIGIT, K_ORG, K_DUP, K_ENUM, K_DATE };
static const int s_k_tax[] = { K_TAX_DIGIT, K_PERIOD, K_MONEY_NEG, K_DUP, K_ENUM, K_INT_NEG };
static const int s_k_unit[] = { K_UNIT_CODE, K_TAX_DIGIT, K_ORG, K_PERIOD, K_MONEY_NEG, K_DUP, K_BHTN, K_ARR_RULE };
static const int s_k_participant[] = { K_INS_NO, K_ORG, K_PERIOD, K_ENUM, K_DUP, K_RULE };
static const int s_k_agent[] = { K_CODE, K_ORG, K_ENUM, K_DUP };
static const int s_k_labor[] = { K_ORG, K_YEAR, K_LF_ZERO, K_DUP };
static const int s_k_target[] = { K_ORG, K_YEAR, K_PCT_RANGE, K_TGT_RULE, K_DUP };
#define S_N(a) ((int)(sizeof(a) / sizeof(a[0])))

typedef struct {
	char delim;
	int bom, crlf, stt, header, period, money, date, enums, quote_names, yes, no;
} s_style_t;

typedef struct {
	int fd;
	char *buf;
	size_t n;
	char path[4096], tmp[4096];
	int failed;
} s_file_t;

typedef struct {
	const gen_t *g;
	s_file_t f;
	s_style_t st;
	int type, m, y, mo;
	u64 key;                  /* the file's stream of bad-row draws */
	int nf;
	char fld[S_MAXF][S_FLDSZ];
	int fq[S_MAXF];
	char line[S_LINESZ], last[S_LINESZ];
	size_t linelen, lastlen;
	u64 rows, bad, dup;
} s_writer_t;

/* ---- output ----------------------------------------------------------------- */

static int
s_flush(s_file_t *f)
{
	size_t off = 0;

	while (off < f->n && !f->failed) {
		ssize_t k = write(f->fd, f->buf + off, f->n - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			fprintf(stderr, "bhxh-gen: write %s: %s\n", f->tmp, strerror(errno));
			f->failed = 1;
		} else
			off += (size_t)k;
	}
	f->n = 0;
	return f->failed ? -1 : 0;
}

static void
s_put(s_file_t *f, const char *s, size_t n)
{
	if (f->n + n > S_BUFSZ)
		s_flush(f);
	memcpy(f->buf + f->n, s, n);
	f->n += n;
}

static int
s_open(s_file_t *f, const char *dir, const char *name)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s/%s", dir, name);
	snprintf(f->tmp, sizeof(f->tmp), "%s/.%s.tmp", dir, name);
	f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (f->fd < 0) {
		fprintf(stderr, "bhxh-gen: %s: %s\n", f->tmp, strerror(errno));
		return -1;
	}
	f->buf = malloc(S_BUFSZ);
	if (f->buf == NULL) {
		fprintf(stderr, "bhxh-gen: out of memory\n");
		close(f->fd);
		unlink(f->tmp);
		return -1;
	}
	return 0;
}

/* s_close - flush and rename into place (readers never see a partial file) */
static int
s_close(s_file_t *f)
{
	int rc = s_flush(f);

	if (close(f->fd) != 0 && rc == 0) {
		fprintf(stderr, "bhxh-gen: close %s: %s\n", f->tmp, strerror(errno));
		rc = -1;
	}
	free(f->buf);
	f->buf = NULL;
	if (rc == 0 && rename(f->tmp, f->path) != 0) {
		fprintf(stderr, "bhxh-gen: rename %s: %s\n", f->path, strerror(errno));
		rc = -1;
	}
	if (rc != 0)
		unlink(f->tmp);
	return rc;
}

/* ---- values --------------------------------------------------------------- */

/* s_digits - v in decimal; returns the length */
static size_t
s_digits(char *dst, unsigned long long v)
{
	char t[24];
	size_t n = 0, i;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (i = 0; i < n; i++)
		dst[i] = t[n - 1 - i];
	dst[n] = '\0';
	return n;
}

/* s_digits_w - v zero-padded to width w */
static void
s_digits_w(char *dst, unsigned long long v, int w)
{
	for (int i = w - 1; i >= 0; i--) {
		dst[i] = (char)('0' + v % 10);
		v /= 10;
	}
	dst[w] = '\0';
}

/* s_money - an amount in the file's money style; one row in five plain */
static void
s_money(s_writer_t *w, char *dst, long long v)
{
	static const char sep[] = { 0, '.', ',', ' ' };
	char t[32];
	size_t n, i, j = 0;
	int style = w->st.money;

	if (v < 0) {
		*dst++ = '-';
		v = -v;
	}
	if (((w->rows * 2654435761u) >> 13) % 5 == 0)
		style = 0;
	n = s_digits(t, (unsigned long long)v);
	if (style == 0) {
		memcpy(dst, t, n + 1);
		return;
	}
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			dst[j++] = sep[style];
		dst[j++] = t[i];
	}
	dst[j] = '\0';
}

static void
s_period(const s_writer_t *w, char *dst, int y, int mo)
{
	if (w->st.period == 0)
		snprintf(dst, S_FLDSZ, "%04d-%02d", y, mo);
	else if (w->st.period == 1)
		snprintf(dst, S_FLDSZ, "%02d/%04d", mo, y);
	else
		snprintf(dst, S_FLDSZ, "%d/%04d", mo, y);
}

static void
s_date(const s_writer_t *w, char *dst, int y, int mo, int d)
{
	if (w->st.date == 0)
		snprintf(dst, S_FLDSZ, "%02d/%02d/%04d", d, mo, y);
	else if (w->st.date == 1)
		snprintf(dst, S_FLDSZ, "%04d-%02d-%02d", y, mo, d);
	else
		snprintf(dst, S_FLDSZ, "%d/%d/%04d", d, mo, y);
}

/* s_pct - a percentage given in tenths: "35", "35,5", "35.5" or with '%' */
static void
s_pct(const s_writer_t *w, char *dst, int tenths, u64 h)
{
	const char *pc = (h & 3) == 0 ? "%" : "";

	if (tenths % 10 == 0)
		snprintf(dst, S_FLDSZ, "%d%s", tenths / 10, pc);
	else
		snprintf(dst, S_FLDSZ, "%d%c%d%s", tenths / 10, (h >> 2) & 1 ? ',' : '.', tenths % 10, pc);
}

static void
s_set(s_writer_t *w, int i, const char *s)
{
	snprintf(w->fld[i], S_FLDSZ, "%s", s);
}

/* ---- rows ----------------------------------------------------------------- */

static void
s_style(const gen_t *g, int type, int m, s_style_t *st)
{
	u64 h = gen_hash(g, GT_STYLE, (u64)type, (u64)m);
	double u = gen_unit_interval(h);
	u64 b = gen_hash(g, GT_STYLE, (u64)type, (u64)m + GEN_NEVER);

	st->delim = u < 0.2 ? ';' : ',';
	st->bom = (b & 0xff) < 90;
	st->crlf = ((b >> 8) & 0xff) < 100;
	st->stt = ((b >> 16) & 0xff) < 77;
	st->header = (int)((b >> 24) % 3);
	st->period = (int)(((b >> 32) & 0xff) < 128 ? 0 : ((b >> 32) & 0xff) < 218 ? 1 : 2);
	st->money = (int)(((b >> 40) & 0xff) < 100 ? 0 : ((b >> 40) & 0xff) < 190 ? 1 : ((b >> 40) & 0xff) < 230 ? 2 : 3);
	st->date = (int)(((b >> 48) & 0xff) < 154 ? 0 : ((b >> 48) & 0xff) < 218 ? 1 : 2);
	st->enums = (int)(((b >> 56) & 0xff) < 180 ? 0 : ((b >> 56) & 0xff) < 218 ? 1 : 2);
	st->quote_names = (h & 1) != 0;
	st->yes = (int)((h >> 1) % 5);
	st->no = (int)((h >> 4) % 3);
}

static void
s_line_add(char *line, size_t *len, const char *s, char delim, int force)
{
	size_t n = *len;
	int q = force;

	for (const char *p = s; *p != '\0' && !q; p++)
		q = *p == delim || *p == '"' || *p == '\n' || *p == '\r';
	if (!q) {
		size_t k = strlen(s);

		memcpy(line + n, s, k);
		*len = n + k;
		return;
	}
	line[n++] = '"';
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '"')
			line[n++] = '"';
		line[n++] = *p;
	}
	line[n++] = '"';
	*len = n;
}

static int
s_writer_open(s_writer_t *w, const gen_t *g, const char *dir, const char *name, int type, int m,
    const s_names_t *hdr, int nf)
{
	char line[S_LINESZ];
	size_t len = 0;

	memset(w, 0, offsetof(s_writer_t, fld));
	w->g = g;
	w->type = type;
	w->m = m;
	w->nf = nf;
	gen_period(g, m, &w->y, &w->mo);
	s_style(g, type, m, &w->st);
	w->key = (u64)type * (GEN_MAX_MONTHS + 1) + (u64)m;
	memset(w->fq, 0, sizeof(w->fq));
	w->linelen = w->lastlen = 0;
	w->rows = w->bad = w->dup = 0;
	if (s_open(&w->f, dir, name) != 0)
		return -1;
	if (w->st.bom)
		s_put(&w->f, "\xEF\xBB\xBF", 3);
	if (w->st.stt) {
		memcpy(line, "STT", 3);
		len = 3;
	}
	for (int i = 0; i < nf; i++) {
		if (len > 0)
			line[len++] = w->st.delim;
		s_line_add(line, &len, hdr[i][w->st.header], w->st.delim, 0);
	}
	s_put(&w->f, line, len);
	s_put(&w->f, w->st.crlf ? "\r\n" : "\n", w->st.crlf ? 2 : 1);
	return 0;
}

/* s_bad - the fault of this row, or -1 for a good row */
static int
s_bad(s_writer_t *w, const int *kinds, int n)
{
	u64 h;
	int k;

	if (w->g->bad_share <= 0)
		return -1;
	h = gen_hash(w->g, GT_BAD, w->key, w->rows);
	if (gen_unit_interval(h) >= w->g->bad_share)
		return -1;
	k = (int)((h & 0xffff) % (u64)n);
	if (kinds[k] == K_DUP && w->lastlen == 0)
		k = (k + 1) % n;
	return kinds[k];
}

/* s_emit - write the row in fld[] (or, for a duplicate, the last good row) */
static void
s_emit(s_writer_t *w, int bad)
{
	char stt[32];
	size_t n = 0;

	w->rows++;
	if (w->st.stt) {
		n = s_digits(stt, (unsigned long long)w->rows);
		stt[n++] = w->st.delim;
		s_put(&w->f, stt, n);
	}
	if (bad == K_DUP) {
		s_put(&w->f, w->last, w->lastlen);
		w->dup++;
	} else {
		w->linelen = 0;
		for (int i = 0; i < w->nf; i++) {
			if (i > 0)
				w->line[w->linelen++] = w->st.delim;
			s_line_add(w->line, &w->linelen, w->fld[i], w->st.delim, w->fq[i]);
		}
		s_put(&w->f, w->line, w->linelen);
		if (bad < 0 && w->g->bad_share > 0) {
			memcpy(w->last, w->line, w->linelen);
			w->lastlen = w->linelen;
		}
	}
	if (bad >= 0)
		w->bad++;
	s_put(&w->f, w->st.crlf ? "\r\n" : "\n", w->st.crlf ? 2 : 1);
}

/* ---- faults on fields ------------------------------------------------------ */

static void
s_bad_tax(char *f)
{
	f[9] = (char)('0' + (f[9] - '0' + 1 + (f[0] + f[5]) % 9) % 10);
}

static void
s_bad_period(const s_writer_t *w, char *f)
{
	if (w->st.period == 0)
		snprintf(f, S_FLDSZ, "%04d-13", w->y);
	else
		snprintf(f, S_FLDSZ, "13/%04d", w->y);
}

static void
s_bad_money(s_writer_t *w, char *f)
{
	if (f[0] == '\0' || strcmp(f, "0") == 0)
		s_money(w, f, -1500000);
	else {
		memmove(f + 1, f, strlen(f) + 1);
		f[0] = '-';
	}
}

/* ---- the record types ------------------------------------------------------- */

typedef struct {
	u64 rows, bad, dup;
} s_count_t;

static int
s_writer_close(s_writer_t *w, s_count_t *c)
{
	c->rows = w->rows;
	c->bad = w->bad;
	c->dup = w->dup;
	return s_close(&w->f);
}

static int
s_enterprise(const gen_t *g, s_writer_t *w)
{
	u64 n = gen_emp_count(g, w->m);
	gen_emp_t x;

	w->fq[1] = w->st.quote_names;
	for (u64 e = 0; e < n; e++) {
		gen_employer(g, e, &x);
		if (!x.registered)
			continue;
		for (int k = 0; k <= x.reg_branches; k++) {
			int bad = s_bad(w, s_k_enterprise, S_N(s_k_enterprise));
			const char *const *status = w->m >= x.death ? s_v_dissolved : x.suspended ? s_v_suspended : s_v_active;

			if (k == 0)
				s_set(w, 0, x.tax);
			else
				snprintf(w->fld[0], S_FLDSZ, "%s-%03d", x.tax, k);
			gen_emp_name(&x, k, w->fld[1], S_FLDSZ);
			s_set(w, 2, g->unit[x.district]);
			if (gen_hash(g, GT_ROW, e, 1) % 20 == 0)
				w->fld[3][0] = '\0';
			else
				s_date(w, w->fld[3], x.reg_y, x.reg_m, x.reg_d);
			s_set(w, 4, status[w->st.enums]);
			switch (bad) {
			case K_TAX_DIGIT: s_bad_tax(w->fld[0]); break;
			case K_ORG: s_set(w, 2, g->bad_unit); break;
			case K_ENUM: s_set(w, 4, "Chờ giải thể"); break;
			case K_DATE: s_date(w, w->fld[3], x.reg_y, 2, 30); break;
			}
			s_emit(w, bad);
		}
	}
	return 0;
}

static int
s_tax(const gen_t *g, s_writer_t *w)
{
	u64 n = gen_emp_count(g, w->m);
	gen_emp_t x;

	for (u64 e = 0; e < n; e++) {
		gen_employer(g, e, &x);
		if (x.dormant || w->m < x.birth || w->m > x.death)
			continue;
		for (int k = 0; k < x.nest; k++) {
			int bad = s_bad(w, s_k_tax, S_N(s_k_tax));
			u64 emp = gen_employees(g, &x, k, w->m), h = gen_hash(g, GT_ROW, x.e * GEN_MAX_EST + (u64)k, (u64)w->m);
			long long fund = (long long)emp * gen_wage(g, &x, k) / 100 * (110 + (long long)(h % 30)) / 1000 * 1000;

			if (k == 0)
				s_set(w, 0, x.tax);
			else
				snprintf(w->fld[0], S_FLDSZ, "%s-%03d", x.tax, k);
			s_period(w, w->fld[1], w->y, w->mo);
			s_digits(w->fld[2], emp);
			if ((h >> 8) % 10 == 0)
				w->fld[3][0] = '\0';
			else
				s_money(w, w->fld[3], fund);
			s_set(w, 4, (w->m == x.death ? s_v_stopped : s_v_active)[w->st.enums]);
			switch (bad) {
			case K_TAX_DIGIT: s_bad_tax(w->fld[0]); break;
			case K_PERIOD: s_bad_period(w, w->fld[1]); break;
			case K_MONEY_NEG: s_bad_money(w, w->fld[3]); break;
			case K_ENUM: s_set(w, 4, "Tạm dừng"); break;
			case K_INT_NEG: snprintf(w->fld[2], S_FLDSZ, "-%llu", (unsigned long long)emp); break;
			}
			s_emit(w, bad);
		}
	}
	return 0;
}

static int
s_unit(const gen_t *g, s_writer_t *w)
{
	u64 n = gen_emp_count(g, w->m);
	gen_emp_t x;
	gen_unit_t u;

	w->fq[4] = w->st.quote_names;
	for (u64 e = 0; e < n; e++) {
		gen_employer(g, e, &x);
		if (x.dormant)
			continue;
		for (int k = 0; k < x.nest; k++) {
			int bad;

			gen_unit(g, &x, k, w->m, &u);
			if (u.insured == 0)
				continue;
			bad = s_bad(w, s_k_unit, S_N(s_k_unit));
			gen_unit_code(&x, k, w->fld[0]);
			if (k == 0)
				s_set(w, 1, x.tax);
			else
				snprintf(w->fld[1], S_FLDSZ, "%s-%03d", x.tax, k);
			s_set(w, 2, g->unit[x.district]);
			s_period(w, w->fld[3], w->y, w->mo);
			gen_emp_name(&x, k, w->fld[4], S_FLDSZ);
			s_digits(w->fld[5], u.insured);
			s_digits(w->fld[6], u.bhtn);
			s_money(w, w->fld[7], u.wage_basis);
			s_money(w, w->fld[8], u.due);
			s_money(w, w->fld[9], u.paid);
			s_money(w, w->fld[10], u.arrears);
			s_digits(w->fld[11], (unsigned long long)u.arrears_months);
			switch (bad) {
			case K_UNIT_CODE: w->fld[0][2] = '-'; break;
			case K_TAX_DIGIT: s_bad_tax(w->fld[1]); break;
			case K_ORG: s_set(w, 2, g->bad_unit); break;
			case K_PERIOD: s_bad_period(w, w->fld[3]); break;
			case K_MONEY_NEG: s_bad_money(w, w->fld[8]); break;
			case K_BHTN: s_digits(w->fld[6], u.insured + 1 + e % 3); break;
			case K_ARR_RULE:
				s_digits(w->fld[11], (unsigned long long)(u.arrears_months > 0 ? u.arrears_months : 2));
				s_set(w, 10, "0");
				break;
			}
			s_emit(w, bad);
		}
	}
	return 0;
}

/* s_person_row - the fields of one participant row */
static void
s_person_row(s_writer_t *w, u64 number, const char *org, int voluntary, int bhtn, const char *unit,
    const char *agent)
{
	const gen_t *g = w->g;

	s_digits_w(w->fld[0], number, 10);
	if (!gen_citizen_id(g, number, w->fld[1]))
		w->fld[1][0] = '\0';
	s_set(w, 2, org);
	s_period(w, w->fld[3], w->y, w->mo);
	s_set(w, 4, (voluntary ? s_v_voluntary : s_v_compulsory)[w->st.enums]);
	s_set(w, 5, bhtn ? s_yes[w->st.yes] : s_no[w->st.no]);
	s_set(w, 6, unit);
	s_set(w, 7, agent);
}

static void
s_person_fault(s_writer_t *w, int bad, int voluntary)
{
	switch (bad) {
	case K_INS_NO: memmove(w->fld[0], w->fld[0] + 1, 10); break;
	case K_ORG: s_set(w, 2, w->g->bad_unit); break;
	case K_PERIOD: s_bad_period(w, w->fld[3]); break;
	case K_ENUM: s_set(w, 4, "Hưu trí"); break;
	case K_RULE:
		if (voluntary)
			s_set(w, 5, "x");
		else
			w->fld[6][0] = '\0';
		break;
	}
}

static int
s_participant(const gen_t *g, s_writer_t *w)
{
	u64 n = gen_emp_count(g, w->m), base = 0, prev_base = 0, prev_c = 0, nv = gen_vol_count(g, w->m);
	gen_emp_t x;
	char unit[16], agent[48];

	for (u64 e = 0; e < n; e++) {
		gen_employer(g, e, &x);
		for (int k = 0; k < x.nest; k++) {
			u64 c = gen_insured(g, &x, k, w->m), b = 0;
			int dual = 0;

			if (c > 0) {
				gen_unit_t u;

				gen_unit(g, &x, k, w->m, &u);
				b = u.bhtn;
				gen_unit_code(&x, k, unit);
				/* one in thirty units shares a worker with the unit before it */
				dual = c >= 2 && prev_c >= 1 && gen_u(g, GT_DUAL, x.e * GEN_MAX_EST + (u64)k, 0) < 1.0 / 30;
			}
			for (u64 j = 0; j < c; j++) {
				int bad = s_bad(w, s_k_participant, S_N(s_k_participant));
				u64 slot = dual && j == 1 ? prev_base : base + j;
				u64 no = gen_person_no(g, 0, slot, gen_slot_gen(g, GT_SLOT, slot, w->m));

				s_person_row(w, no, g->unit[x.district], 0, j < b, unit, "");
				s_person_fault(w, bad, 0);
				s_emit(w, bad);
			}
			prev_base = base;
			prev_c = c;
			base += x.est_cap[k];
		}
	}
	if (base >= 78000000ULL) {
		fprintf(stderr, "bhxh-gen: too many workers for 10-digit insurance numbers\n");
		return -1;
	}
	for (u64 v = 0; v < nv; v++) {
		int bad = s_bad(w, s_k_participant, S_N(s_k_participant)), gn = gen_slot_gen(g, GT_VSLOT, v, w->m);
		long long a = gen_vol_agent(g, v, gn, w->m);

		if (a >= 0)
			gen_agent_code(g, (u64)a, agent, sizeof(agent));
		else
			agent[0] = '\0';
		s_person_row(w, gen_person_no(g, 1, v, gn), g->unit[gen_vol_district(g, v)], 1, 0, "", agent);
		s_person_fault(w, bad, 1);
		s_emit(w, bad);
	}
	return 0;
}

static int
s_agent(const gen_t *g, s_writer_t *w)
{
	u64 n = gen_agent_count(g, w->m);

	w->fq[1] = w->st.quote_names;
	for (u64 a = 0; a < n; a++) {
		int bad = s_bad(w, s_k_agent, S_N(s_k_agent));

		gen_agent_code(g, a, w->fld[0], S_FLDSZ);
		gen_agent_name(g, a, w->fld[1], S_FLDSZ);
		s_set(w, 2, g->unit[gen_agent_district(g, a)]);
		s_set(w, 3, (gen_agent_active(g, a) ? s_v_agent_active : s_v_agent_inactive)[w->st.enums]);
		switch (bad) {
		case K_CODE: w->fld[0][2] = ' '; break;
		case K_ORG: s_set(w, 2, g->bad_unit); break;
		case K_ENUM: s_set(w, 3, "Tạm nghỉ"); break;
		}
		s_emit(w, bad);
	}
	return 0;
}

/* s_district_people - participant rows per district in month m */
static void
s_district_people(const gen_t *g, int m, u64 *count)
{
	u64 n = gen_emp_count(g, m), nv = gen_vol_count(g, m);
	gen_emp_t x;

	memset(count, 0, sizeof(u64) * (size_t)g->nunits);
	for (u64 e = 0; e < n; e++) {
		gen_employer(g, e, &x);
		for (int k = 0; k < x.nest; k++)
			count[x.district] += gen_insured(g, &x, k, m);
	}
	for (u64 v = 0; v < nv; v++)
		count[gen_vol_district(g, v)]++;
}

/* s_labor - labour force per district sized so that the month's participants
 * are the district's coverage ratio (25-55%) of it */
static int
s_labor(const gen_t *g, s_writer_t *w)
{
	u64 count[GEN_MAX_UNITS];

	s_district_people(g, w->m, count);
	for (int d = 0; d < g->nunits; d++) {
		int bad = s_bad(w, s_k_labor, S_N(s_k_labor));
		u64 lf = (u64)llround((double)count[d] / gen_coverage_ratio(g, d));

		s_set(w, 0, g->unit[d]);
		snprintf(w->fld[1], S_FLDSZ, "%04d", w->y);
		s_digits(w->fld[2], lf > 0 ? lf : 100);
		switch (bad) {
		case K_ORG: s_set(w, 0, g->bad_unit); break;
		case K_YEAR: snprintf(w->fld[1], S_FLDSZ, "%02d", w->y % 100); break;
		case K_LF_ZERO: s_set(w, 2, "0"); break;
		}
		s_emit(w, bad);
	}
	return 0;
}

/* s_target - per district: BHXH near the district's ratio (some above it,
 * some below), BHTN 55-75% of it */
static int
s_target(const gen_t *g, s_writer_t *w)
{
	for (int d = 0; d < g->nunits; d++) {
		int bad = s_bad(w, s_k_target, S_N(s_k_target));
		u64 h = gen_hash(g, GT_TARGET, (u64)d, (u64)w->y);
		int bhxh = (int)llround(gen_coverage_ratio(g, d) * 1000 * (0.9 + 0.25 * gen_unit_interval(h)));
		int bhtn = bhxh * (55 + (int)(h % 21)) / 100;

		bhxh = bhxh / 5 * 5;
		bhtn = bhtn / 5 * 5;
		s_set(w, 0, g->unit[d]);
		snprintf(w->fld[1], S_FLDSZ, "%04d", w->y);
		s_pct(w, w->fld[2], bhxh, h >> 20);
		s_pct(w, w->fld[3], bhtn, h >> 30);
		switch (bad) {
		case K_ORG: s_set(w, 0, g->bad_unit); break;
		case K_YEAR: snprintf(w->fld[1], S_FLDSZ, "%02d", w->y % 100); break;
		case K_PCT_RANGE: s_set(w, 2, "120"); break;
		case K_TGT_RULE:
			s_pct(w, w->fld[2], bhtn, h >> 20);
			s_pct(w, w->fld[3], bhxh, h >> 30);
			break;
		}
		s_emit(w, bad);
	}
	return 0;
}

/* ---- months ------------------------------------------------------------------ */

unsigned
gen_parse_types(const char *list)
{
	unsigned bits = 0;
	const char *p = list;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		int found = 0;

		if (n == 3 && strncmp(p, "all", 3) == 0) {
			bits |= GEN_TYPE_ALL;
			found = 1;
		}
		for (int t = 0; t < S_NTYPES && !found; t++)
			if (strlen(s_types[t].name) == n && strncmp(p, s_types[t].name, n) == 0) {
				bits |= s_types[t].bit;
				found = 1;
			}
		if (!found)
			return 0;
		p += n;
		if (*p == ',')
			p++;
	}
	return bits;
}

static double
s_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
s_one(gen_t *g, const gen_out_opts_t *o, s_file_t *exp, int type, int m)
{
	static const s_names_t *const hdr[S_NTYPES] = { s_h_enterprise, s_h_agent, s_h_labor, s_h_target, s_h_unit,
		s_h_participant, s_h_tax };
	static const int nf[S_NTYPES] = { S_N(s_h_enterprise), S_N(s_h_agent), S_N(s_h_labor), S_N(s_h_target),
		S_N(s_h_unit), S_N(s_h_participant), S_N(s_h_tax) };
	static int (*const fn[S_NTYPES])(const gen_t *, s_writer_t *) = { s_enterprise, s_agent, s_labor, s_target,
		s_unit, s_participant, s_tax };
	s_writer_t *w;
	s_count_t c;
	char name[64], line[256];
	int y, mo, rc, n;
	double t0 = s_now(), dt;

	gen_period(g, m, &y, &mo);
	if (type == S_LABOR || type == S_TARGET)
		snprintf(name, sizeof(name), "%s_%04d.csv", s_types[type].name, y);
	else
		snprintf(name, sizeof(name), "%s_%04d-%02d.csv", s_types[type].name, y, mo);
	w = malloc(sizeof(*w));
	if (w == NULL) {
		fprintf(stderr, "bhxh-gen: out of memory\n");
		return -1;
	}
	if (s_writer_open(w, g, o->dir, name, type, m, hdr[type], nf[type]) != 0) {
		free(w);
		return -1;
	}
	rc = fn[type](g, w);
	if (rc != 0) {
		s_flush(&w->f);
		close(w->f.fd);
		free(w->f.buf);
		unlink(w->f.tmp);
		free(w);
		return -1;
	}
	rc = s_writer_close(w, &c);
	free(w);
	if (rc != 0)
		return -1;
	dt = s_now() - t0;
	n = snprintf(line, sizeof(line), "%s %s %s %llu %llu %llu\n", name, s_types[type].agency, s_types[type].name,
	    (unsigned long long)c.rows, (unsigned long long)c.bad, (unsigned long long)c.dup);
	s_put(exp, line, (size_t)n);
	if (o->verbose)
		fprintf(stderr, "%s/%s: %llu rows, %llu bad, %.2f s, %.0f rows/s\n", o->dir, name,
		    (unsigned long long)c.rows, (unsigned long long)c.bad, dt, dt > 0 ? (double)c.rows / dt : 0.0);
	return 0;
}

int
gen_write_months(gen_t *g, const gen_out_opts_t *o)
{
	s_file_t exp;
	char line[512];
	int n, rc = 0;

	if (s_open(&exp, o->dir, "expected.txt") != 0)
		return -1;
	n = snprintf(line, sizeof(line),
	    "# %s\n# employers %llu (+%llu a month), voluntary participants %llu, collection agents %llu (+%llu a month)\n"
	    "# file agency type rows rows_rejected rows_duplicate\n",
	    o->cmdline, (unsigned long long)g->nemp, (unsigned long long)g->births, (unsigned long long)g->nvol0,
	    (unsigned long long)g->nagents0, (unsigned long long)g->agents_born);
	s_put(&exp, line, (size_t)(n < (int)sizeof(line) ? n : (int)sizeof(line) - 1));
	for (int m = 0; m < g->months && rc == 0; m++) {
		int y, mo;

		gen_period(g, m, &y, &mo);
		for (int t = 0; t < S_NTYPES && rc == 0; t++) {
			if (!(o->types & s_types[t].bit))
				continue;
			if ((t == S_LABOR || t == S_TARGET) && m > 0 && mo != 1)
				continue;
			rc = s_one(g, o, &exp, t, m);
		}
	}
	if (rc != 0) {
		s_flush(&exp);
		close(exp.fd);
		free(exp.buf);
		unlink(exp.tmp);
		return -1;
	}
	return s_close(&exp);
}
