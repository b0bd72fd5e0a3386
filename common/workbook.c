/* workbook - streaming .xlsx/.ods/.xls reader (see workbook.h).
 *
 * A zip part is read through s_part_t: libzip inflates into expat's own
 * buffer (XML_GetBuffer) 64 KiB at a time and every byte is counted against
 * the limits before expat sees it. The sheet's row-end handler suspends the
 * parser (XML_StopParser, resumable), so wb_next returns as soon as one row
 * is complete and resumes where it stopped.
 *
 * A row is built in column slots: a cell's text is appended to `rec` and
 * slot[col] remembers where, so cells may come in any order and merged
 * areas can be filled afterwards; the csv_row_t pointers are made when the
 * row ends. */
#include "workbook.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <expat.h>
#include <fcntl.h>
#include <freexl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zip.h>

/* S_SANITIZED - built with AddressSanitizer, whose shadow memory an
 * address-space limit would not leave room for */
#if defined(__SANITIZE_ADDRESS__)
#define S_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define S_SANITIZED 1
#endif
#endif
#ifndef S_SANITIZED
#define S_SANITIZED 0
#endif

#define S_CHUNK (64u * 1024u)         /* bytes inflated and parsed at a time */
#define S_RATIO_MIN (1024u * 1024u)   /* parts smaller than this are not held to max_ratio */
#define S_MAX_ROW 1048576u            /* rows of a sheet (Excel and LibreOffice) */
#define S_MAX_COL 16384u              /* columns of a sheet (XFD) */
#define S_MAX_SHEETS 1024u
#define S_MAX_NAME 256u               /* bytes of a sheet name, an id or a target kept */
#define S_MAX_XFS 65536u              /* cell formats kept */
#define S_MAX_NUMFMTS 1024u           /* custom number formats kept */
#define S_MAX_FMT_BYTES (256u * 1024u)
#define S_MERGE_BYTES (1024u * 1024u) /* text of merged areas kept for filling */
#define S_BLOCK (64u * 1024u)         /* shared strings on disk: cache block */
#define S_NBLOCKS 32u                 /* cache blocks per file (2 MiB each) */
#define S_WBUF (256u * 1024u)         /* shared strings on disk: write buffer */
#define S_NO_SLOT SIZE_MAX
/* S_MAX_PENDING - bytes expat may hold for one token (a tag, a comment); it
 * rescans them each time data comes, so this bounds time as well as memory */
#define S_MAX_PENDING (2u * 1024u * 1024u)

enum { F_XLSX, F_ODS, F_XLS };

/* which handlers a part is parsed with */
enum { P_WORKBOOK, P_RELS, P_STYLES, P_SST, P_MERGES, P_SHEET, P_ODS };

typedef struct {
	char *p;
	size_t len, cap;
} s_buf_t;

/* One zip part being parsed. */
typedef struct {
	zip_file_t *zf;
	XML_Parser xp;
	unsigned long long inflated;
	unsigned long long comp;
	long long seen;  /* byte index of the last event: expat holds what follows */
	int final_sent;  /* the last (empty) buffer was given to expat */
	int suspended;
	int done;
} s_part_t;

/* A block of a spill file in the cache. */
typedef struct {
	long long no; /* block number, -1 empty */
	size_t len;
	char *data;
} s_block_t;

/* One spill file: written through wbuf, read through blocks. */
typedef struct {
	int fd;
	unsigned long long size; /* bytes written, buffered ones included */
	s_buf_t wbuf;
	s_block_t blocks[S_NBLOCKS];
} s_spill_t;

/* The shared-strings table: string i is data[offs[i] .. offs[i+1]). In
 * memory until sst_mem, then in two spill files (data, and offsets as
 * 8-byte integers). */
typedef struct {
	s_buf_t data;
	uint64_t *offs;
	size_t n, ocap;      /* offsets held (strings + 1) */
	int on_disk;
	s_spill_t dfile, ofile;
	unsigned long long count; /* strings */
} s_sst_t;

typedef struct {
	unsigned r1, c1, r2, c2; /* 0-based, inclusive */
	char *val;               /* the top-left cell's text once its row is read */
} s_merge_t;

typedef struct {
	size_t off;          /* in rec, or S_NO_SLOT */
	size_t len;
	uint32_t xf;
	unsigned char type;  /* wb_type_t */
	unsigned char formula, merged;
} s_slot_t;

struct wb_reader {
	wb_limits_t lim;
	unsigned flags;
	int fmt;
	int fd;
	int own_fd;
	const char *err;          /* whole-file error */
	const char *perr;         /* error raised inside a handler */
	unsigned long long total; /* bytes inflated, all parts */
	zip_t *za;
	s_part_t part;
	int pkind;
	unsigned depth;
	char *want;               /* sheet name asked for, or NULL */
	char *sheet_name;
	int date1904;

	/* workbook.xml and its relationships */
	size_t nsheets;
	char **sheet_names, **sheet_rids;
	int chosen;
	int first_visible;
	char *sheet_target, *sst_target, *styles_target;

	/* styles.xml */
	int in_cellxfs;
	size_t nxfs;
	int *xf_fmt;
	unsigned char *xf_date;
	size_t nnumfmts;
	int *numfmt_id;
	size_t *numfmt_off;
	s_buf_t fmt_pool;

	/* sharedStrings.xml */
	s_sst_t sst;
	int in_si, in_rph;

	/* merged areas */
	s_merge_t *merges;
	size_t nmerges, merges_cap, merge_next, merge_bytes;
	size_t *active;
	size_t nactive;

	/* the text of the element being collected */
	s_buf_t text;
	int collecting;
	int text_over;

	/* the row being read */
	unsigned row_num;       /* 1-based; 0 before the first */
	unsigned last_row;
	s_slot_t *slots;
	size_t nslots, slots_cap;
	size_t ncols;           /* 1 + last column holding a value */
	s_buf_t rec;
	const char *row_err;
	int row_ready;
	int sheet_done;
	int in_sheetdata;
	unsigned repeat_left;   /* ods: more copies of the last row */

	/* the cell being read */
	unsigned cell_col;      /* 0-based */
	char cell_t[12];
	uint32_t cell_xf;
	int cell_f;
	int in_v, in_is;

	/* ods */
	int in_table;           /* the chosen table:table */
	int table_seen;
	unsigned next_row;      /* 1-based number of the next table-row */
	unsigned row_rep;
	unsigned col_cursor;
	int in_cell, in_p, in_annot;
	int npara;
	char ods_type[16];
	char ods_value[64];
	char ods_date[40];
	char ods_bool[8];
	unsigned cell_rep, span_c, span_r;

	/* xls: the child converting it, and its output */
	pid_t xls_pid;
	int xls_fd;
	char *xbuf;
	size_t xpos, xlen;

	/* the row handed out */
	char **fields;
	size_t *lens;
	size_t fields_cap;
	char empty[1];
	char path[64];
};

static const char *const s_builtin_fmt[50] = {
	[0] = "General", [1] = "0", [2] = "0.00", [3] = "#,##0", [4] = "#,##0.00",
	[9] = "0%", [10] = "0.00%", [11] = "0.00E+00", [12] = "# ?/?", [13] = "# ?\?/?\?",
	[14] = "mm-dd-yy", [15] = "d-mmm-yy", [16] = "d-mmm", [17] = "mmm-yy",
	[18] = "h:mm AM/PM", [19] = "h:mm:ss AM/PM", [20] = "h:mm", [21] = "h:mm:ss",
	[22] = "m/d/yy h:mm", [37] = "#,##0 ;(#,##0)", [38] = "#,##0 ;[Red](#,##0)",
	[39] = "#,##0.00;(#,##0.00)", [40] = "#,##0.00;[Red](#,##0.00)", [45] = "mm:ss",
	[46] = "[h]:mm:ss", [47] = "mmss.0", [48] = "##0.0E+0", [49] = "@",
};

/* ---- small helpers ---- */

/* s_buf_reserve - room for n more bytes and a NUL in b. */
static void
s_buf_reserve(s_buf_t *b, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
}

/* s_buf_add - append n bytes to b (kept NUL-terminated). */
static void
s_buf_add(s_buf_t *b, const char *s, size_t n)
{
	s_buf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* s_buf_free - release b's memory. */
static void
s_buf_free(s_buf_t *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* s_local - an element or attribute name without its prefix. */
static const char *
s_local(const char *name)
{
	const char *c = strrchr(name, ':');

	return c != NULL ? c + 1 : name;
}

/* s_attr - the value of attribute `local` (any prefix), or NULL. */
static const char *
s_attr(const char **atts, const char *local)
{
	for (size_t i = 0; atts[i] != NULL; i += 2)
		if (strcmp(s_local(atts[i]), local) == 0)
			return atts[i + 1];
	return NULL;
}

/* s_uint - a decimal attribute value in 0..max, else def. */
static unsigned long
s_uint(const char *s, unsigned long max, unsigned long def)
{
	char *end;
	unsigned long v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return def;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return def;
	return v;
}

/* s_copy_name - a copy of s cut to S_MAX_NAME bytes. */
static char *
s_copy_name(const char *s)
{
	return xstrndup(s, strnlen(s, S_MAX_NAME));
}

/* s_name_eq - names equal ignoring ASCII case and surrounding spaces. */
static int
s_name_eq(const char *a, const char *b)
{
	size_t la, lb;

	while (*a == ' ')
		a++;
	while (*b == ' ')
		b++;
	la = strlen(a);
	lb = strlen(b);
	while (la > 0 && a[la - 1] == ' ')
		la--;
	while (lb > 0 && b[lb - 1] == ' ')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* s_fail - stop the parse with a whole-file error (the first one stays). */
static void
s_fail(wb_reader_t *self, const char *code)
{
	if (self->perr == NULL)
		self->perr = code;
	if (self->part.xp != NULL)
		XML_StopParser(self->part.xp, XML_FALSE);
}

/* s_row_fail - mark the current row with an error (the first one stays). */
static void
s_row_fail(wb_reader_t *self, const char *code)
{
	if (self->row_err == NULL)
		self->row_err = code;
}

/* ---- numbers and dates ---- */

/* s_format_number - x as General shows it, without float noise: integers
 * in full up to 1e17, else 15 significant digits. */
static void
s_format_number(double x, char *out, size_t sz)
{
	if (!isfinite(x)) {
		snprintf(out, sz, "%s", isnan(x) ? "NaN" : x > 0 ? "Inf" : "-Inf");
		return;
	}
	if (x == 0) {
		snprintf(out, sz, "0");
		return;
	}
	if (x == floor(x) && fabs(x) < 1e17)
		snprintf(out, sz, "%.0f", x);
	else
		snprintf(out, sz, "%.15g", x);
}

/* s_plain_integer - s (n bytes) is an integer of at most 15 digits with
 * no sign but '-', no leading zero and no exponent: already as General
 * shows it. */
static int
s_plain_integer(const char *s, size_t n)
{
	size_t i = s[0] == '-' ? 1 : 0;

	if (n - i == 0 || n - i > 15 || (s[i] == '0' && n - i > 1) || (i == 1 && n == 2 && s[1] == '0'))
		return 0;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* s_number_text - the text of a stored number (s, n bytes) into out; 0, or
 * -1 if s is not a number (then out is untouched). */
static int
s_number_text(const char *s, size_t n, char *out, size_t sz)
{
	char tmp[64], *end;
	double x;

	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n >= sizeof(tmp) || n >= sz)
		return -1;
	if (s_plain_integer(s, n)) { /* the common case, as written */
		memcpy(out, s, n);
		out[n] = '\0';
		return 0;
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (!(isdigit((unsigned char)tmp[0]) || tmp[0] == '-' || tmp[0] == '+' || tmp[0] == '.'))
		return -1;
	errno = 0;
	x = strtod(tmp, &end);
	if (*end != '\0' || end == tmp)
		return -1;
	s_format_number(x, out, sz);
	return 0;
}

/* s_days_to_date - civil date of a day count from 1970-01-01 (Howard
 * Hinnant's algorithm). */
static void
s_days_to_date(long long z, int *y, unsigned *m, unsigned *d)
{
	long long era, yy;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (long long)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

/* wb_serial_to_date - see workbook.h. */
int
wb_serial_to_date(double serial, int date1904, char out[11])
{
	long long days, epoch;
	int y;
	unsigned m, d;

	if (!isfinite(serial) || serial < 0 || serial >= 2958466.0)
		return -1;
	days = (long long)floor(serial);
	if (date1904) {
		epoch = -24107; /* 1904-01-01 */
	} else {
		if (days < 1 || days == 60)
			return -1; /* 1900-01-00, and the 1900-02-29 that never was */
		epoch = days < 60 ? -25568 : -25569; /* 1899-12-31, or 1899-12-30 after the phantom day */
	}
	char tmp[48];

	s_days_to_date(epoch + days, &y, &m, &d);
	if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	snprintf(tmp, sizeof(tmp), "%04d-%02u-%02u", y, m, d);
	memcpy(out, tmp, 11);
	return 0;
}

/* wb_format_is_date - see workbook.h. */
int
wb_format_is_date(int numfmt, const char *code)
{
	if (numfmt >= 14 && numfmt <= 22)
		return numfmt <= 17 || numfmt == 22;
	if (numfmt >= 0 && numfmt < 164)
		return 0; /* other built-ins: numbers, times, text */
	if (code == NULL)
		return 0;
	for (const char *p = code; *p != '\0'; p++) {
		if (*p == '"') {
			p = strchr(p + 1, '"');
			if (p == NULL)
				return 0;
		} else if (*p == '\\' || *p == '_' || *p == '*') {
			if (p[1] == '\0')
				return 0;
			p++;
		} else if (*p == '[') {
			p = strchr(p + 1, ']');
			if (p == NULL)
				return 0;
		} else if (*p == 'd' || *p == 'D' || *p == 'y' || *p == 'Y') {
			return 1;
		}
	}
	return 0;
}

/* ---- shared strings ---- */

/* s_spill_open - an unlinked temporary file under $TMPDIR (or /tmp). */
static int
s_spill_open(s_spill_t *f)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/bhxh-wb-XXXXXX", dir);
	f->fd = mkstemp(path);
	if (f->fd < 0)
		return -1;
	unlink(path);
	for (size_t i = 0; i < S_NBLOCKS; i++)
		f->blocks[i].no = -1;
	return 0;
}

/* s_spill_flush - write the buffered bytes out. */
static int
s_spill_flush(s_spill_t *f)
{
	size_t done = 0;

	while (done < f->wbuf.len) {
		ssize_t n = write(f->fd, f->wbuf.p + done, f->wbuf.len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	f->wbuf.len = 0;
	return 0;
}

/* s_spill_add - append n bytes. */
static int
s_spill_add(s_spill_t *f, const void *p, size_t n)
{
	if (f->wbuf.len + n > S_WBUF && s_spill_flush(f) != 0)
		return -1;
	if (n > S_WBUF) {
		f->wbuf.len = 0;
		s_buf_add(&f->wbuf, p, n);
		if (s_spill_flush(f) != 0)
			return -1;
	} else {
		s_buf_add(&f->wbuf, p, n);
	}
	f->size += n;
	return 0;
}

/* s_spill_get - n bytes at off into dst, through the block cache. */
static int
s_spill_get(s_spill_t *f, unsigned long long off, char *dst, size_t n)
{
	while (n > 0) {
		long long no = (long long)(off / S_BLOCK);
		s_block_t *b = &f->blocks[(size_t)no % S_NBLOCKS];
		size_t in = (size_t)(off % S_BLOCK), take;

		if (b->no != no) {
			ssize_t got;

			if (b->data == NULL)
				b->data = xmalloc(S_BLOCK);
			b->no = -1;
			got = pread(f->fd, b->data, S_BLOCK, (off_t)no * S_BLOCK);
			if (got <= 0)
				return -1;
			b->no = no;
			b->len = (size_t)got;
		}
		if (in >= b->len)
			return -1;
		take = b->len - in < n ? b->len - in : n;
		memcpy(dst, b->data + in, take);
		dst += take;
		off += take;
		n -= take;
	}
	return 0;
}

/* s_spill_close - close the file and free the cache. */
static void
s_spill_close(s_spill_t *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	s_buf_free(&f->wbuf);
	for (size_t i = 0; i < S_NBLOCKS; i++) {
		free(f->blocks[i].data);
		f->blocks[i].data = NULL;
	}
}

/* s_sst_to_disk - move the table held in memory to two spill files. */
static int
s_sst_to_disk(s_sst_t *t)
{
	if (s_spill_open(&t->dfile) != 0 || s_spill_open(&t->ofile) != 0)
		return -1;
	if (s_spill_add(&t->dfile, t->data.p, t->data.len) != 0)
		return -1;
	for (size_t i = 0; i < t->n; i++)
		if (s_spill_add(&t->ofile, &t->offs[i], sizeof(uint64_t)) != 0)
			return -1;
	s_buf_free(&t->data);
	free(t->offs);
	t->offs = NULL;
	t->n = t->ocap = 0;
	t->on_disk = 1;
	return 0;
}

/* s_sst_add - append one string (and, first, the offset it starts at). */
static int
s_sst_add(wb_reader_t *self, const char *s, size_t n)
{
	s_sst_t *t = &self->sst;
	uint64_t end;

	if (!t->on_disk) {
		if (t->n + 2 > t->ocap) {
			t->ocap = t->ocap ? t->ocap * 2 : 1024;
			t->offs = xrealloc(t->offs, t->ocap * sizeof(uint64_t));
		}
		if (t->n == 0)
			t->offs[t->n++] = 0;
		s_buf_add(&t->data, s, n);
		t->offs[t->n++] = t->data.len;
		t->count++;
		if (t->data.len + t->ocap * sizeof(uint64_t) > self->lim.sst_mem)
			return s_sst_to_disk(t);
		return 0;
	}
	if (t->count == 0 && t->ofile.size == 0) {
		uint64_t z = 0;

		if (s_spill_add(&t->ofile, &z, sizeof(z)) != 0)
			return -1;
	}
	if (s_spill_add(&t->dfile, s, n) != 0)
		return -1;
	t->count++;
	end = t->dfile.size;
	return s_spill_add(&t->ofile, &end, sizeof(end));
}

/* s_sst_finish - flush the files once the table is read. */
static int
s_sst_finish(s_sst_t *t)
{
	if (!t->on_disk)
		return 0;
	return s_spill_flush(&t->dfile) == 0 && s_spill_flush(&t->ofile) == 0 ? 0 : -1;
}

/* s_sst_get - append string i to out. -1 for an index out of range or a
 * read error. */
static int
s_sst_get(s_sst_t *t, unsigned long long i, s_buf_t *out)
{
	uint64_t o[2];
	size_t n;

	if (i >= t->count)
		return -1;
	if (!t->on_disk) {
		s_buf_add(out, t->data.p + t->offs[i], (size_t)(t->offs[i + 1] - t->offs[i]));
		return 0;
	}
	if (s_spill_get(&t->ofile, i * sizeof(uint64_t), (char *)o, sizeof(o)) != 0)
		return -1;
	if (o[1] < o[0] || o[1] > t->dfile.size || o[1] - o[0] > SIZE_MAX / 2)
		return -1;
	n = (size_t)(o[1] - o[0]);
	s_buf_reserve(out, n);
	if (s_spill_get(&t->dfile, o[0], out->p + out->len, n) != 0)
		return -1;
	out->len += n;
	out->p[out->len] = '\0';
	return 0;
}

/* ---- parts ---- */

/* s_common_handlers - what every part gets: no entity declarations. */
static void XMLCALL
s_entity_decl(void *ud, const XML_Char *name, int is_param, const XML_Char *value, int vlen,
    const XML_Char *base, const XML_Char *sys, const XML_Char *pub, const XML_Char *notation)
{
	s_fail(ud, WB_E_XML_ENTITY);
}

/* s_enter - an element starts: 0, or -1 when parsing must stop. */
static int
s_enter(wb_reader_t *self)
{
	self->part.seen = XML_GetCurrentByteIndex(self->part.xp);
	if (self->perr != NULL)
		return -1;
	if (++self->depth > self->lim.max_depth) {
		s_fail(self, WB_E_XML_DEPTH);
		return -1;
	}
	return 0;
}

/* s_leave - an element ends: 0, or -1 when parsing has been stopped. */
static int
s_leave(wb_reader_t *self)
{
	self->part.seen = XML_GetCurrentByteIndex(self->part.xp);
	if (self->depth > 0)
		self->depth--;
	return self->perr != NULL ? -1 : 0;
}

/* s_chars - collect text while collecting is on, up to max_string. */
static void XMLCALL
s_chars(void *ud, const XML_Char *s, int len)
{
	wb_reader_t *self = ud;

	self->part.seen = XML_GetCurrentByteIndex(self->part.xp);
	if (!self->collecting || self->perr != NULL || len <= 0)
		return;
	if (self->text.len + (size_t)len > self->lim.max_string) {
		self->text_over = 1;
		return;
	}
	s_buf_add(&self->text, s, (size_t)len);
}

/* s_text_start - start collecting text afresh. */
static void
s_text_start(wb_reader_t *self)
{
	self->text.len = 0;
	if (self->text.p != NULL)
		self->text.p[0] = '\0';
	self->text_over = 0;
	self->collecting = 1;
}

static void XMLCALL s_start(void *ud, const XML_Char *name, const XML_Char **atts);
static void XMLCALL s_end(void *ud, const XML_Char *name);
static void XMLCALL s_merge_element(void *ud, const XML_Char *name, const XML_Char **atts);
static void XMLCALL s_merge_end(void *ud, const XML_Char *name);

/* s_part_close - end parsing the current part. */
static void
s_part_close(wb_reader_t *self)
{
	if (self->part.xp != NULL)
		XML_ParserFree(self->part.xp);
	if (self->part.zf != NULL)
		zip_fclose(self->part.zf);
	memset(&self->part, 0, sizeof(self->part));
	self->depth = 0;
	self->collecting = 0;
}

/* s_part_open - start parsing part `name` with the handlers of kind. 1 if
 * opened, 0 if the archive has no such part, -1 on an error (self->err). */
static int
s_part_open(wb_reader_t *self, const char *name, int kind)
{
	zip_stat_t st;
	zip_int64_t idx;

	s_part_close(self);
	idx = zip_name_locate(self->za, name, 0);
	if (idx < 0)
		return 0;
	if (zip_stat_index(self->za, (zip_uint64_t)idx, 0, &st) != 0) {
		self->err = WB_E_DAMAGED;
		return -1;
	}
	if ((st.valid & ZIP_STAT_SIZE) && st.size > self->lim.max_entry) {
		self->err = WB_E_ENTRY_SIZE;
		return -1;
	}
	self->part.comp = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
	if ((st.valid & ZIP_STAT_SIZE) && st.size > S_RATIO_MIN &&
	    st.size / (self->part.comp ? self->part.comp : 1) > self->lim.max_ratio) {
		self->err = WB_E_RATIO;
		return -1;
	}
	self->part.zf = zip_fopen_index(self->za, (zip_uint64_t)idx, 0);
	if (self->part.zf == NULL) {
		int ze = zip_error_code_zip(zip_get_error(self->za));

		self->err = ze == ZIP_ER_NOPASSWD || ze == ZIP_ER_ENCRNOTSUPP || ze == ZIP_ER_COMPNOTSUPP ?
		    WB_E_UNSUPPORTED : WB_E_DAMAGED;
		return -1;
	}
	self->part.xp = XML_ParserCreate(NULL);
	if (self->part.xp == NULL) {
		self->err = WB_E_IO;
		return -1;
	}
	XML_SetUserData(self->part.xp, self);
	XML_SetParamEntityParsing(self->part.xp, XML_PARAM_ENTITY_PARSING_NEVER);
	XML_SetEntityDeclHandler(self->part.xp, s_entity_decl);
	if (kind == P_MERGES) /* a quick pass: no dispatch */
		XML_SetElementHandler(self->part.xp, s_merge_element, s_merge_end);
	else
		XML_SetElementHandler(self->part.xp, s_start, s_end);
	XML_SetCharacterDataHandler(self->part.xp, s_chars);
	self->pkind = kind;
	self->depth = 0;
	self->collecting = 0;
	return 1;
}

/* s_xml_error - the code for expat's error on the current part. */
static const char *
s_xml_error(wb_reader_t *self)
{
	if (self->perr != NULL)
		return self->perr;
	switch (XML_GetErrorCode(self->part.xp)) {
	case XML_ERROR_NO_MEMORY:
		return WB_E_IO;
#ifdef XML_ERROR_AMPLIFICATION_LIMIT_BREACH
	case XML_ERROR_AMPLIFICATION_LIMIT_BREACH:
#endif
	case XML_ERROR_RECURSIVE_ENTITY_REF:
	case XML_ERROR_EXTERNAL_ENTITY_HANDLING:
		return WB_E_XML_ENTITY;
	default:
		return WB_E_XML;
	}
}

/* s_part_step - parse one more chunk (or resume a suspended parse). 1 if
 * there is more, 0 when the part is finished, -1 on an error (self->err). */
static int
s_part_step(wb_reader_t *self)
{
	s_part_t *p = &self->part;
	enum XML_Status st;

	if (p->done)
		return 0;
	if (p->suspended) {
		p->suspended = 0;
		st = XML_ResumeParser(p->xp);
	} else {
		void *buf = XML_GetBuffer(p->xp, S_CHUNK);
		zip_int64_t n;

		if (buf == NULL) {
			self->err = WB_E_IO;
			return -1;
		}
		n = zip_fread(p->zf, buf, S_CHUNK);
		if (n < 0) {
			int ze = zip_error_code_zip(zip_file_get_error(p->zf));

			self->err = ze == ZIP_ER_READ || ze == ZIP_ER_MEMORY ? WB_E_IO : WB_E_DAMAGED;
			return -1;
		}
		p->inflated += (unsigned long long)n;
		self->total += (unsigned long long)n;
		if (self->total > self->lim.max_total) {
			self->err = WB_E_TOTAL_SIZE;
			return -1;
		}
		if (p->inflated > self->lim.max_entry) {
			self->err = WB_E_ENTRY_SIZE;
			return -1;
		}
		if (p->inflated > S_RATIO_MIN && p->inflated / (p->comp ? p->comp : 1) > self->lim.max_ratio) {
			self->err = WB_E_RATIO;
			return -1;
		}
		p->final_sent = n == 0;
		st = XML_ParseBuffer(p->xp, (int)n, n == 0);
	}
	if (st == XML_STATUS_ERROR) {
		self->err = s_xml_error(self);
		return -1;
	}
	if (self->perr != NULL) { /* stopped in a callback expat had to make anyway */
		self->err = self->perr;
		return -1;
	}
	if (st == XML_STATUS_SUSPENDED) {
		p->suspended = 1;
		return 1;
	}
	/* a token is buffered whole by expat until it ends: a tag with a huge
	 * attribute or a huge comment would grow its buffer without bound */
	if (p->inflated > (unsigned long long)(p->seen > 0 ? p->seen : 0) + S_MAX_PENDING) {
		self->err = WB_E_XML_TOKEN;
		return -1;
	}
	if (p->final_sent) {
		p->done = 1;
		return 0;
	}
	return 1;
}

/* s_parse_part - parse a whole part. 1 done, 0 absent, -1 error. */
static int
s_parse_part(wb_reader_t *self, const char *name, int kind)
{
	int rc = s_part_open(self, name, kind);

	if (rc <= 0)
		return rc;
	while ((rc = s_part_step(self)) > 0)
		;
	if (rc == 0)
		s_part_close(self);
	return rc == 0 ? 1 : -1;
}

/* ---- the row ---- */

/* s_row_reset - forget the current row. */
static void
s_row_reset(wb_reader_t *self)
{
	self->rec.len = 0;
	self->nslots = 0;
	self->ncols = 0;
	self->row_err = NULL;
}

/* s_slot - the slot of column col (0-based), grown to it; NULL (and a row
 * error) past max_cells. */
static s_slot_t *
s_slot(wb_reader_t *self, unsigned col)
{
	if (col >= self->lim.max_cells) {
		s_row_fail(self, WB_E_TOO_MANY_CELLS);
		return NULL;
	}
	if (col >= self->slots_cap) {
		size_t cap = self->slots_cap ? self->slots_cap : 16;

		while (cap <= col)
			cap *= 2;
		self->slots = xrealloc(self->slots, cap * sizeof(*self->slots));
		self->slots_cap = cap;
	}
	while (self->nslots <= col) {
		s_slot_t *s = &self->slots[self->nslots++];

		memset(s, 0, sizeof(*s));
		s->off = S_NO_SLOT;
	}
	return &self->slots[col];
}

/* s_set_cell - give column col the value s (n bytes) of type type; an
 * empty value leaves the cell empty. */
static void
s_set_cell(wb_reader_t *self, unsigned col, const char *s, size_t n, wb_type_t type, uint32_t xf, int formula)
{
	s_slot_t *slot;

	if (n == 0)
		return;
	if (n > self->lim.max_string) {
		s_row_fail(self, WB_E_CELL_TOO_LONG);
		return;
	}
	if (self->rec.len + n + 1 > self->lim.max_record) {
		s_row_fail(self, WB_E_ROW_TOO_LONG);
		return;
	}
	slot = s_slot(self, col);
	if (slot == NULL)
		return;
	slot->off = self->rec.len;
	slot->len = n;
	slot->type = (unsigned char)type;
	slot->xf = xf;
	slot->formula = (unsigned char)formula;
	slot->merged = 0;
	s_buf_add(&self->rec, s, n);
	s_buf_add(&self->rec, "", 1); /* the NUL is the next byte */
	if (col + 1 > self->ncols)
		self->ncols = col + 1;
}

/* s_merge_cmp - order merged areas by first row. */
static int
s_merge_cmp(const void *a, const void *b)
{
	const s_merge_t *x = a, *y = b;

	return x->r1 < y->r1 ? -1 : x->r1 > y->r1;
}

/* s_add_merge - remember a merged area (0-based, inclusive). */
static void
s_add_merge(wb_reader_t *self, unsigned r1, unsigned c1, unsigned r2, unsigned c2)
{
	if (r2 < r1 || c2 < c1 || (r1 == r2 && c1 == c2))
		return;
	if (self->nmerges == self->lim.max_merges) {
		s_fail(self, WB_E_MERGES);
		return;
	}
	if (self->nmerges == self->merges_cap) {
		self->merges_cap = self->merges_cap ? self->merges_cap * 2 : 16;
		self->merges = xrealloc(self->merges, self->merges_cap * sizeof(*self->merges));
		self->active = xrealloc(self->active, self->merges_cap * sizeof(*self->active));
	}
	self->merges[self->nmerges++] = (s_merge_t){ r1, c1, r2, c2, NULL };
}

/* s_fill_merges - give this row's cells inside merged areas the value of
 * the area's top-left cell. Areas are taken in order of first row; those
 * the row is past are dropped. */
static void
s_fill_merges(wb_reader_t *self)
{
	unsigned r = self->row_num - 1;
	size_t k = 0;

	while (self->merge_next < self->nmerges && self->merges[self->merge_next].r1 <= r) {
		if (self->merges[self->merge_next].r2 >= r)
			self->active[self->nactive++] = self->merge_next;
		self->merge_next++;
	}
	for (size_t i = 0; i < self->nactive; i++) {
		s_merge_t *m = &self->merges[self->active[i]];
		const s_slot_t *top;

		if (m->r2 < r)
			continue;
		self->active[k++] = self->active[i];
		if (m->r1 == r && m->val == NULL && m->c1 < self->nslots &&
		    (top = &self->slots[m->c1])->off != S_NO_SLOT) {
			if (self->merge_bytes + top->len > S_MERGE_BYTES)
				continue;
			m->val = xstrndup(self->rec.p + top->off, top->len);
			self->merge_bytes += top->len + 1;
		}
		if (m->val == NULL)
			continue;
		for (unsigned c = m->c1; c <= m->c2 && c < self->lim.max_cells; c++) {
			s_slot_t *s;

			if (c < self->nslots && self->slots[c].off != S_NO_SLOT)
				continue;
			s_set_cell(self, c, m->val, strlen(m->val), WB_STRING, 0, 0);
			if (c < self->nslots && (s = &self->slots[c])->off != S_NO_SLOT)
				s->merged = 1;
		}
	}
	self->nactive = k;
}

/* s_row_end - a row is complete: hand it out if it holds a value. */
static void
s_row_end(wb_reader_t *self)
{
	if (self->nmerges > 0 && self->ncols > 0)
		s_fill_merges(self);
	if (self->ncols == 0 && self->row_err == NULL)
		return;
	self->row_ready = 1;
	XML_StopParser(self->part.xp, XML_TRUE);
}

/* s_make_row - the csv_row_t of the current row. */
static void
s_make_row(wb_reader_t *self, csv_row_t *row)
{
	if (self->ncols > self->fields_cap) {
		self->fields_cap = self->ncols;
		self->fields = xrealloc(self->fields, self->fields_cap * sizeof(char *));
		self->lens = xrealloc(self->lens, self->fields_cap * sizeof(size_t));
	}
	for (size_t i = 0; i < self->ncols; i++) {
		const s_slot_t *s = &self->slots[i];

		if (s->off == S_NO_SLOT) {
			self->fields[i] = self->empty;
			self->lens[i] = 0;
		} else {
			self->fields[i] = self->rec.p + s->off;
			self->lens[i] = s->len;
		}
	}
	row->nfields = self->ncols;
	row->fields = self->fields;
	row->lens = self->lens;
	row->line = row->end_line = self->row_num;
	row->err = self->row_err;
}

/* ---- xlsx: workbook, relationships, styles, shared strings ---- */

/* s_workbook_start - <sheet name r:id state>, <workbookPr date1904>. */
static void
s_workbook_start(wb_reader_t *self, const char *el, const char **atts)
{
	if (strcmp(el, "workbookPr") == 0) {
		const char *v = s_attr(atts, "date1904");

		self->date1904 = v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
	} else if (strcmp(el, "sheet") == 0) {
		const char *name = s_attr(atts, "name"), *rid = s_attr(atts, "id"), *state = s_attr(atts, "state");

		if (name == NULL || rid == NULL || self->nsheets == S_MAX_SHEETS)
			return;
		if (self->nsheets == 0) {
			self->sheet_names = xcalloc(S_MAX_SHEETS, sizeof(char *));
			self->sheet_rids = xcalloc(S_MAX_SHEETS, sizeof(char *));
		}
		self->sheet_names[self->nsheets] = s_copy_name(name);
		self->sheet_rids[self->nsheets] = s_copy_name(rid);
		if (self->first_visible < 0 && (state == NULL || strcmp(state, "visible") == 0))
			self->first_visible = (int)self->nsheets;
		if (self->chosen < 0 && self->want != NULL && s_name_eq(name, self->want))
			self->chosen = (int)self->nsheets;
		self->nsheets++;
	}
}

/* s_target - the part a relationship target names, from xl/. */
static char *
s_target(const char *t)
{
	s_buf_t b = { 0 };

	if (t[0] == '/') {
		s_buf_add(&b, t + 1, strnlen(t + 1, S_MAX_NAME));
	} else {
		s_buf_add(&b, "xl/", 3);
		s_buf_add(&b, t, strnlen(t, S_MAX_NAME));
	}
	return b.p;
}

/* s_ends_with - s ends with suffix. */
static int
s_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* s_rels_start - <Relationship Id Type Target>. */
static void
s_rels_start(wb_reader_t *self, const char *el, const char **atts)
{
	const char *id = s_attr(atts, "Id"), *type = s_attr(atts, "Type"), *target = s_attr(atts, "Target");

	if (strcmp(el, "Relationship") != 0 || id == NULL || type == NULL || target == NULL)
		return;
	if (self->chosen >= 0 && self->sheet_target == NULL && strcmp(id, self->sheet_rids[self->chosen]) == 0)
		self->sheet_target = s_target(target);
	else if (self->sst_target == NULL && s_ends_with(type, "/sharedStrings"))
		self->sst_target = s_target(target);
	else if (self->styles_target == NULL && s_ends_with(type, "/styles"))
		self->styles_target = s_target(target);
}

/* s_styles_start - <numFmt numFmtId formatCode>, <cellXfs><xf numFmtId>. */
static void
s_styles_start(wb_reader_t *self, const char *el, const char **atts)
{
	if (strcmp(el, "cellXfs") == 0) {
		self->in_cellxfs = 1;
	} else if (strcmp(el, "xf") == 0 && self->in_cellxfs && self->nxfs < S_MAX_XFS) {
		if (self->xf_fmt == NULL) {
			self->xf_fmt = xcalloc(S_MAX_XFS, sizeof(int));
			self->xf_date = xcalloc(S_MAX_XFS, 1);
		}
		self->xf_fmt[self->nxfs++] = (int)s_uint(s_attr(atts, "numFmtId"), 100000, 0);
	} else if (strcmp(el, "numFmt") == 0 && self->nnumfmts < S_MAX_NUMFMTS) {
		const char *code = s_attr(atts, "formatCode");
		size_t n;

		if (code == NULL || (n = strlen(code)) + 1 + self->fmt_pool.len > S_MAX_FMT_BYTES)
			return;
		if (self->numfmt_id == NULL) {
			self->numfmt_id = xcalloc(S_MAX_NUMFMTS, sizeof(int));
			self->numfmt_off = xcalloc(S_MAX_NUMFMTS, sizeof(size_t));
		}
		self->numfmt_id[self->nnumfmts] = (int)s_uint(s_attr(atts, "numFmtId"), 100000, 0);
		self->numfmt_off[self->nnumfmts++] = self->fmt_pool.len;
		s_buf_add(&self->fmt_pool, code, n + 1);
	}
}

/* s_fmt_code - the code of number format id. */
static const char *
s_fmt_code(const wb_reader_t *self, int id)
{
	for (size_t i = self->nnumfmts; i-- > 0;)
		if (self->numfmt_id[i] == id)
			return self->fmt_pool.p + self->numfmt_off[i];
	if (id >= 0 && id < 50 && s_builtin_fmt[id] != NULL)
		return s_builtin_fmt[id];
	return NULL;
}

/* s_styles_done - which cell formats are dates. */
static void
s_styles_done(wb_reader_t *self)
{
	for (size_t i = 0; i < self->nxfs; i++)
		self->xf_date[i] = (unsigned char)wb_format_is_date(self->xf_fmt[i], s_fmt_code(self, self->xf_fmt[i]));
}

/* s_sst_start - <si>, its <t> (also inside <r>), not <rPh> (phonetic). */
static void
s_sst_start(wb_reader_t *self, const char *el)
{
	if (strcmp(el, "si") == 0) {
		self->in_si = 1;
		self->in_rph = 0;
		s_text_start(self);
		self->collecting = 0;
	} else if (strcmp(el, "rPh") == 0) {
		self->in_rph = 1;
	} else if (strcmp(el, "t") == 0 && self->in_si && !self->in_rph) {
		self->collecting = 1;
	}
}

/* s_sst_end - </t> stops collecting, </si> stores the string. */
static void
s_sst_end(wb_reader_t *self, const char *el)
{
	if (strcmp(el, "t") == 0) {
		self->collecting = 0;
	} else if (strcmp(el, "rPh") == 0) {
		self->in_rph = 0;
	} else if (strcmp(el, "si") == 0 && self->in_si) {
		self->in_si = 0;
		self->collecting = 0;
		if (self->text_over)
			s_fail(self, WB_E_STRINGS);
		else if (s_sst_add(self, self->text.p ? self->text.p : "", self->text.len) != 0)
			s_fail(self, WB_E_IO);
	}
}

/* ---- xlsx: the sheet ---- */

/* s_parse_ref - "C7" into 0-based column and 1-based row; -1 if malformed
 * or out of range. A missing row part leaves *row alone. */
static int
s_parse_ref(const char *s, unsigned *col, unsigned *row)
{
	unsigned long c = 0, r = 0;
	const char *p = s;

	while (*p >= 'A' && *p <= 'Z') {
		c = c * 26 + (unsigned)(*p - 'A' + 1);
		if (c > S_MAX_COL)
			return -1;
		p++;
	}
	if (c == 0)
		return -1;
	if (*p != '\0') {
		while (*p >= '0' && *p <= '9') {
			r = r * 10 + (unsigned)(*p - '0');
			if (r > S_MAX_ROW)
				return -1;
			p++;
		}
		if (*p != '\0' || r == 0)
			return -1;
		*row = (unsigned)r;
	}
	*col = (unsigned)(c - 1);
	return 0;
}

/* s_sheet_row_start - <row r="7">: rows must go forward. */
static void
s_sheet_row_start(wb_reader_t *self, const char **atts)
{
	const char *ra = s_attr(atts, "r");
	unsigned long r = s_uint(ra, S_MAX_ROW, 0);

	if (ra == NULL)
		r = (unsigned long)self->last_row + 1;
	if (r <= self->last_row || r > S_MAX_ROW) {
		s_fail(self, WB_E_BAD_REF);
		return;
	}
	s_row_reset(self);
	self->row_num = self->last_row = (unsigned)r;
	self->cell_col = UINT32_MAX; /* the next cell without r is column A */
}

/* s_sheet_cell_start - <c r="C7" t="s" s="3">. */
static void
s_sheet_cell_start(wb_reader_t *self, const char **atts)
{
	const char *r = s_attr(atts, "r"), *t = s_attr(atts, "t");
	unsigned col = self->cell_col + 1, row = self->row_num;

	if (r != NULL && (s_parse_ref(r, &col, &row) != 0 || row != self->row_num)) {
		s_fail(self, WB_E_BAD_REF);
		return;
	}
	self->cell_col = col;
	if (t == NULL)
		t = "n";
	self->cell_t[0] = '\0';
	if (strlen(t) < sizeof(self->cell_t))
		memcpy(self->cell_t, t, strlen(t) + 1);
	self->cell_xf = (uint32_t)s_uint(s_attr(atts, "s"), UINT32_MAX, 0);
	self->cell_f = 0;
	self->in_is = 0;
	s_text_start(self);
	self->collecting = 0;
}

/* s_sheet_cell_end - </c>: the cell's value by its type. */
static void
s_sheet_cell_end(wb_reader_t *self)
{
	const char *t = self->cell_t, *v = self->text.p ? self->text.p : "";
	size_t n = self->text.len;
	char num[64];

	self->collecting = 0;
	if (self->cell_col >= S_MAX_COL)
		return;
	if (self->text_over) {
		s_row_fail(self, WB_E_CELL_TOO_LONG);
		return;
	}
	if (n == 0)
		return;
	if (strcmp(t, "s") == 0) {
		unsigned long long i;
		char *end;
		size_t at = self->text.len;

		errno = 0;
		i = strtoull(v, &end, 10);
		if (errno != 0 || *end != '\0' || !isdigit((unsigned char)v[0])) {
			s_fail(self, WB_E_STRINGS);
			return;
		}
		/* the string is appended after the index text and set from there */
		if (s_sst_get(&self->sst, i, &self->text) != 0) {
			s_fail(self, self->sst.on_disk && i < self->sst.count ? WB_E_IO : WB_E_STRINGS);
			return;
		}
		s_set_cell(self, self->cell_col, self->text.p + at, self->text.len - at, WB_STRING, self->cell_xf,
		    self->cell_f);
	} else if (strcmp(t, "b") == 0) {
		const char *b = strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ? "TRUE" : "FALSE";

		s_set_cell(self, self->cell_col, b, strlen(b), WB_BOOL, self->cell_xf, self->cell_f);
	} else if (strcmp(t, "e") == 0) {
		s_set_cell(self, self->cell_col, v, n, WB_ERROR, self->cell_xf, self->cell_f);
	} else if (strcmp(t, "d") == 0) {
		if (n > 10 && strcmp(v + 10, "T00:00:00") == 0)
			n = 10;
		s_set_cell(self, self->cell_col, v, n, WB_DATE, self->cell_xf, self->cell_f);
	} else if (strcmp(t, "n") == 0 && s_number_text(v, n, num, sizeof(num)) == 0) {
		s_set_cell(self, self->cell_col, num, strlen(num), WB_NUMBER, self->cell_xf, self->cell_f);
	} else { /* str, inlineStr, or a number that is not one */
		s_set_cell(self, self->cell_col, v, n, WB_STRING, self->cell_xf, self->cell_f);
	}
}

/* s_sheet_start - elements of a worksheet. */
static void
s_sheet_start(wb_reader_t *self, const char *el, const char **atts)
{
	if (strcmp(el, "sheetData") == 0) {
		self->in_sheetdata = 1;
	} else if (!self->in_sheetdata) {
		return;
	} else if (strcmp(el, "row") == 0) {
		s_sheet_row_start(self, atts);
	} else if (strcmp(el, "c") == 0) {
		s_sheet_cell_start(self, atts);
	} else if (strcmp(el, "v") == 0) {
		if (!self->in_is) {
			s_text_start(self);
			self->in_v = 1;
		}
	} else if (strcmp(el, "is") == 0) {
		s_text_start(self);
		self->collecting = 0;
		self->in_is = 1;
		self->in_rph = 0;
	} else if (strcmp(el, "t") == 0 && self->in_is && !self->in_rph) {
		self->collecting = 1;
	} else if (strcmp(el, "rPh") == 0) {
		self->in_rph = 1;
	} else if (strcmp(el, "f") == 0) {
		self->cell_f = 1;
	}
}

/* s_sheet_end - ends of worksheet elements. */
static void
s_sheet_end(wb_reader_t *self, const char *el)
{
	if (strcmp(el, "sheetData") == 0) {
		self->in_sheetdata = 0;
		self->sheet_done = 1;
		XML_StopParser(self->part.xp, XML_TRUE); /* what follows the rows is not needed */
	} else if (!self->in_sheetdata) {
		return;
	} else if (strcmp(el, "v") == 0) {
		self->in_v = 0;
		self->collecting = 0;
	} else if (strcmp(el, "t") == 0) {
		if (self->in_is)
			self->collecting = 0;
	} else if (strcmp(el, "rPh") == 0) {
		self->in_rph = 0;
	} else if (strcmp(el, "is") == 0) {
		self->in_is = 0;
		self->collecting = 0;
	} else if (strcmp(el, "c") == 0) {
		s_sheet_cell_end(self);
	} else if (strcmp(el, "row") == 0) {
		s_row_end(self);
	}
}

/* s_merges_start - <mergeCell ref="A1:C2"> (first pass over the sheet). */
static void
s_merges_start(wb_reader_t *self, const char *el, const char **atts)
{
	const char *ref = s_attr(atts, "ref");
	char a[32], *colon;
	unsigned c1, r1 = 0, c2, r2 = 0;

	if (strcmp(el, "mergeCell") != 0 || ref == NULL || strlen(ref) >= sizeof(a))
		return;
	snprintf(a, sizeof(a), "%s", ref);
	colon = strchr(a, ':');
	if (colon == NULL)
		return;
	*colon = '\0';
	if (s_parse_ref(a, &c1, &r1) != 0 || s_parse_ref(colon + 1, &c2, &r2) != 0 || r1 == 0 || r2 == 0)
		return;
	s_add_merge(self, r1 - 1, c1, r2 - 1, c2);
}

/* ---- ods: content.xml ---- */

/* s_ods_table_start - <table:table table:name>: choose it or skip it. */
static void
s_ods_table_start(wb_reader_t *self, const char **atts)
{
	const char *name = s_attr(atts, "name");

	if (self->table_seen || self->in_table)
		return;
	if (self->want != NULL && (name == NULL || !s_name_eq(name, self->want)))
		return;
	self->in_table = 1;
	self->table_seen = 1;
	self->next_row = 1;
	self->sheet_name = xstrdup(name != NULL ? name : "");
	XML_StopParser(self->part.xp, XML_TRUE); /* wb_open returns here */
}

/* s_ods_cell_start - <table:table-cell> or <table:covered-table-cell>. */
static void
s_ods_cell_start(wb_reader_t *self, const char *el, const char **atts)
{
	const char *v;

	self->cell_rep = (unsigned)s_uint(s_attr(atts, "number-columns-repeated"), S_MAX_COL, 1);
	if (self->cell_rep == 0)
		self->cell_rep = 1;
	if (strcmp(el, "covered-table-cell") == 0) {
		self->col_cursor += self->cell_rep;
		if (self->col_cursor > S_MAX_COL)
			self->col_cursor = S_MAX_COL;
		return;
	}
	self->in_cell = 1;
	self->npara = 0;
	self->cell_f = s_attr(atts, "formula") != NULL;
	self->span_c = (unsigned)s_uint(s_attr(atts, "number-columns-spanned"), S_MAX_COL, 1);
	self->span_r = (unsigned)s_uint(s_attr(atts, "number-rows-spanned"), S_MAX_ROW, 1);
	snprintf(self->ods_type, sizeof(self->ods_type), "%s", (v = s_attr(atts, "value-type")) ? v : "");
	snprintf(self->ods_value, sizeof(self->ods_value), "%s", (v = s_attr(atts, "value")) ? v : "");
	snprintf(self->ods_date, sizeof(self->ods_date), "%s", (v = s_attr(atts, "date-value")) ? v : "");
	snprintf(self->ods_bool, sizeof(self->ods_bool), "%s", (v = s_attr(atts, "boolean-value")) ? v : "");
	s_text_start(self);
	self->collecting = 0;
}

/* s_ods_cell_end - </table:table-cell>: its value, repeated as asked. */
static void
s_ods_cell_end(wb_reader_t *self)
{
	const char *t = self->ods_type, *v = self->text.p ? self->text.p : "";
	size_t n = self->text.len;
	wb_type_t type = WB_STRING;
	char num[64];
	unsigned col = self->col_cursor;

	self->in_cell = 0;
	self->collecting = 0;
	self->col_cursor += self->cell_rep;
	if (self->col_cursor > S_MAX_COL)
		self->col_cursor = S_MAX_COL;
	if (strcmp(t, "float") == 0 || strcmp(t, "percentage") == 0 || strcmp(t, "currency") == 0) {
		if (s_number_text(self->ods_value, strlen(self->ods_value), num, sizeof(num)) == 0) {
			v = num;
			n = strlen(num);
			type = WB_NUMBER;
		}
	} else if (strcmp(t, "date") == 0 && self->ods_date[0] != '\0') {
		char *d = self->ods_date, *tt;

		if (strlen(d) > 10 && strcmp(d + 10, "T00:00:00") == 0)
			d[10] = '\0';
		if ((tt = strchr(d, 'T')) != NULL)
			*tt = ' ';
		v = d;
		n = strlen(d);
		type = WB_DATE;
	} else if (strcmp(t, "boolean") == 0 && self->ods_bool[0] != '\0') {
		v = strcmp(self->ods_bool, "true") == 0 ? "TRUE" : "FALSE";
		n = strlen(v);
		type = WB_BOOL;
	} else if (self->text_over) {
		s_row_fail(self, WB_E_CELL_TOO_LONG);
		return;
	}
	if (n == 0)
		return;
	if (self->span_c > 1 || self->span_r > 1)
		s_add_merge(self, self->row_num - 1, col, self->row_num - 1 + self->span_r - 1, col + self->span_c - 1);
	for (unsigned k = 0; k < self->cell_rep && self->row_err == NULL && self->perr == NULL; k++)
		s_set_cell(self, col + k, v, n, type, 0, self->cell_f);
}

/* s_ods_start - elements of content.xml. */
static void
s_ods_start(wb_reader_t *self, const char *el, const char **atts)
{
	if (strcmp(el, "table") == 0) {
		s_ods_table_start(self, atts);
	} else if (!self->in_table) {
		return;
	} else if (strcmp(el, "table-row") == 0) {
		self->row_rep = (unsigned)s_uint(s_attr(atts, "number-rows-repeated"), S_MAX_ROW, 1);
		if (self->row_rep == 0)
			self->row_rep = 1;
		s_row_reset(self);
		self->row_num = self->next_row;
		self->col_cursor = 0;
	} else if (strcmp(el, "table-cell") == 0 || strcmp(el, "covered-table-cell") == 0) {
		s_ods_cell_start(self, el, atts);
	} else if (!self->in_cell) {
		return;
	} else if (strcmp(el, "annotation") == 0) {
		self->in_annot++;
		self->collecting = 0;
	} else if (self->in_annot) {
		return;
	} else if (strcmp(el, "p") == 0) {
		self->in_p = 1;
		self->collecting = 1;
		if (self->npara++ > 0)
			s_chars(self, "\n", 1);
	} else if (strcmp(el, "s") == 0 && self->in_p) {
		unsigned long c = s_uint(s_attr(atts, "c"), 1024, 1);

		for (unsigned long i = 0; i < c; i++)
			s_chars(self, " ", 1);
	} else if (strcmp(el, "tab") == 0 && self->in_p) {
		s_chars(self, "\t", 1);
	} else if (strcmp(el, "line-break") == 0 && self->in_p) {
		s_chars(self, "\n", 1);
	}
}

/* s_ods_end - ends of content.xml elements. */
static void
s_ods_end(wb_reader_t *self, const char *el)
{
	if (!self->in_table)
		return;
	if (strcmp(el, "table") == 0) {
		self->in_table = 0;
		self->sheet_done = 1;
		XML_StopParser(self->part.xp, XML_TRUE);
	} else if (strcmp(el, "table-row") == 0) {
		unsigned long next = (unsigned long)self->row_num + self->row_rep;

		self->next_row = next > S_MAX_ROW + 1 ? S_MAX_ROW + 1 : (unsigned)next;
		if (self->ncols == 0 && self->row_err == NULL)
			return;
		if (self->row_num > S_MAX_ROW) {
			s_fail(self, WB_E_BAD_REF);
			return;
		}
		/* copies of a row with values, no further than the last row */
		self->repeat_left = self->next_row - 1 - self->row_num;
		s_row_end(self);
	} else if (strcmp(el, "table-cell") == 0) {
		if (self->in_cell)
			s_ods_cell_end(self);
	} else if (strcmp(el, "annotation") == 0) {
		if (self->in_annot > 0)
			self->in_annot--;
	} else if (strcmp(el, "p") == 0 && !self->in_annot) {
		self->in_p = 0;
		self->collecting = 0;
	}
}

/* ---- dispatch ---- */

/* s_start - expat's start handler: depth, then the part's own. */
static void XMLCALL
s_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	wb_reader_t *self = ud;
	const char *el = s_local(name);

	if (s_enter(self) != 0)
		return;
	switch (self->pkind) {
	case P_WORKBOOK: s_workbook_start(self, el, atts); break;
	case P_RELS: s_rels_start(self, el, atts); break;
	case P_STYLES: s_styles_start(self, el, atts); break;
	case P_SST: s_sst_start(self, el); break;
	case P_MERGES: s_merges_start(self, el, atts); break;
	case P_SHEET: s_sheet_start(self, el, atts); break;
	case P_ODS: s_ods_start(self, el, atts); break;
	}
}

/* s_merge_element - the start handler of the merged-areas pass. */
static void XMLCALL
s_merge_element(void *ud, const XML_Char *name, const XML_Char **atts)
{
	wb_reader_t *self = ud;

	if (s_enter(self) == 0)
		s_merges_start(self, s_local(name), atts);
}

/* s_merge_end - the end handler of the merged-areas pass. */
static void XMLCALL
s_merge_end(void *ud, const XML_Char *name)
{
	s_leave(ud);
}

/* s_end - expat's end handler. */
static void XMLCALL
s_end(void *ud, const XML_Char *name)
{
	wb_reader_t *self = ud;
	const char *el = s_local(name);

	if (s_leave(self) != 0)
		return;
	switch (self->pkind) {
	case P_STYLES:
		if (strcmp(el, "cellXfs") == 0)
			self->in_cellxfs = 0;
		break;
	case P_SST: s_sst_end(self, el); break;
	case P_SHEET: s_sheet_end(self, el); break;
	case P_ODS: s_ods_end(self, el); break;
	default: break;
	}
}

/* ---- opening ---- */

/* s_open_xlsx - read workbook, relationships, styles and shared strings,
 * find the merged areas if asked, and open the chosen sheet. */
static int
s_open_xlsx(wb_reader_t *self)
{
	int rc;

	self->chosen = -1;
	if (s_parse_part(self, "xl/workbook.xml", P_WORKBOOK) < 0)
		return -1;
	if (self->chosen < 0 && (self->want == NULL || (self->flags & WB_SHEET_OR_FIRST)) && self->nsheets > 0)
		self->chosen = self->first_visible >= 0 ? self->first_visible : 0; /* all hidden: the first */
	if (self->chosen < 0) {
		self->err = WB_E_NO_SHEET;
		return -1;
	}
	self->sheet_name = xstrdup(self->sheet_names[self->chosen]);
	if (s_parse_part(self, "xl/_rels/workbook.xml.rels", P_RELS) < 0)
		return -1;
	if (self->sheet_target == NULL) {
		self->err = WB_E_NO_SHEET;
		return -1;
	}
	if (s_parse_part(self, self->styles_target ? self->styles_target : "xl/styles.xml", P_STYLES) < 0)
		return -1;
	s_styles_done(self);
	if (s_parse_part(self, self->sst_target ? self->sst_target : "xl/sharedStrings.xml", P_SST) < 0)
		return -1;
	if (s_sst_finish(&self->sst) != 0) {
		self->err = WB_E_IO;
		return -1;
	}
	if (self->flags & WB_FILL_MERGED) {
		if ((rc = s_parse_part(self, self->sheet_target, P_MERGES)) < 0)
			return -1;
		if (self->nmerges > 1)
			qsort(self->merges, self->nmerges, sizeof(*self->merges), s_merge_cmp);
	}
	rc = s_part_open(self, self->sheet_target, P_SHEET);
	if (rc == 0)
		self->err = WB_E_NO_SHEET;
	return rc > 0 ? 0 : -1;
}

/* s_open_ods - parse content.xml up to the chosen table:table. */
static int
s_open_ods(wb_reader_t *self)
{
	for (;;) {
		int rc = s_part_open(self, "content.xml", P_ODS);

		if (rc <= 0) {
			if (rc == 0)
				self->err = WB_E_UNSUPPORTED;
			return -1;
		}
		while (!self->in_table && (rc = s_part_step(self)) > 0)
			;
		if (rc < 0)
			return -1;
		if (self->in_table)
			return 0;
		if (self->want == NULL || !(self->flags & WB_SHEET_OR_FIRST)) {
			self->err = WB_E_NO_SHEET;
			return -1;
		}
		free(self->want);
		self->want = NULL; /* again, for the first table */
	}
}

/* s_open_zip - open the archive on a dup of fd and tell .xlsx from .ods. */
static int
s_open_zip(wb_reader_t *self)
{
	zip_error_t ze;
	zip_source_t *src;
	FILE *fp;
	int d = dup(self->fd), code;

	zip_error_init(&ze);
	if (d < 0 || (fp = fdopen(d, "rb")) == NULL) {
		if (d >= 0)
			close(d);
		self->err = WB_E_IO;
		return -1;
	}
	src = zip_source_filep_create(fp, 0, -1, &ze);
	if (src == NULL) {
		fclose(fp);
		zip_error_fini(&ze);
		self->err = WB_E_IO;
		return -1;
	}
	self->za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (self->za == NULL) {
		code = zip_error_code_zip(&ze);
		zip_source_free(src);
		zip_error_fini(&ze);
		self->err = code == ZIP_ER_MEMORY ? WB_E_IO : WB_E_DAMAGED;
		return -1;
	}
	zip_error_fini(&ze);
	if ((unsigned long long)zip_get_num_entries(self->za, 0) > self->lim.max_entries) {
		self->err = WB_E_ENTRIES;
		return -1;
	}
	if (zip_name_locate(self->za, "xl/workbook.xml", 0) >= 0) {
		self->fmt = F_XLSX;
		return s_open_xlsx(self);
	}
	if (zip_name_locate(self->za, "content.xml", 0) >= 0) {
		self->fmt = F_ODS;
		return s_open_ods(self);
	}
	self->err = WB_E_UNSUPPORTED;
	return -1;
}

/* ---- xls: libfreexl in a child process ----
 *
 * libfreexl parses the binary format in C with little checking (fuzzing
 * finds stack overflows in it within seconds), so it never runs in the
 * reader's process: a forked child opens the file, converts the chosen
 * sheet and writes it to a pipe, and the parent reads that as untrusted
 * input too. The child has a CPU limit (and an address-space limit outside
 * sanitizer builds) and is killed and reaped by wb_destroy. Its messages,
 * in host byte order:
 *   u32 status (S_XLS_*), u32 n, n bytes of the sheet's name
 *   per row holding a value: u32 row (1-based), u32 cells, then per cell
 *     u32 column (0-based), u8 wb_type_t, u32 n, n bytes
 *   u32 0 at the end of the sheet */

enum { S_XLS_OK, S_XLS_UNSUPPORTED, S_XLS_NO_SHEET };

#define S_XLS_CPU_SECONDS 60
#define S_XLS_AS_BYTES (1024ull << 20)
#define S_XLS_MAX_CELL (16u << 20) /* a cell longer than this means the child is confused */

typedef struct {
	int fd;
	size_t len;
	char buf[S_CHUNK];
} s_xls_out_t;

/* s_xls_flush - write out what is buffered; -1 once the parent is gone. */
static int
s_xls_flush(s_xls_out_t *o)
{
	size_t done = 0;

	while (done < o->len) {
		ssize_t w = write(o->fd, o->buf + done, o->len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	o->len = 0;
	return 0;
}

/* s_xls_put - buffer n bytes for the parent. */
static int
s_xls_put(s_xls_out_t *o, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		size_t take = sizeof(o->buf) - o->len < n ? sizeof(o->buf) - o->len : n;

		memcpy(o->buf + o->len, c, take);
		o->len += take;
		c += take;
		n -= take;
		if (o->len == sizeof(o->buf) && s_xls_flush(o) != 0)
			return -1;
	}
	return 0;
}

/* s_xls_u32 - one u32 to the parent. */
static int
s_xls_u32(s_xls_out_t *o, uint32_t v)
{
	return s_xls_put(o, &v, sizeof(v));
}

/* s_xls_cell_text - the text and type of one freexl cell into num or as
 * text_value; NULL for an empty cell. */
static const char *
s_xls_cell_text(const FreeXL_CellValue *v, char *num, size_t sz, uint8_t *type)
{
	*type = WB_STRING;
	switch (v->type) {
	case FREEXL_CELL_INT:
		snprintf(num, sz, "%d", v->value.int_value);
		*type = WB_NUMBER;
		return num;
	case FREEXL_CELL_DOUBLE:
		s_format_number(v->value.double_value, num, sz);
		*type = WB_NUMBER;
		return num;
	case FREEXL_CELL_TEXT:
	case FREEXL_CELL_SST_TEXT:
		return v->value.text_value;
	case FREEXL_CELL_DATE:
	case FREEXL_CELL_DATETIME:
	case FREEXL_CELL_TIME:
		*type = WB_DATE;
		return v->value.text_value;
	default:
		return NULL;
	}
}

/* s_xls_sheet - in the child: the sheet to read, or -1. */
static int
s_xls_sheet(const void *xls, const char *want, unsigned flags)
{
	unsigned count = 0;

	if (freexl_get_info(xls, FREEXL_BIFF_SHEET_COUNT, &count) != FREEXL_OK || count == 0)
		return -1;
	for (unsigned i = 0; i < count && i < S_MAX_SHEETS; i++) {
		const char *name = NULL;

		if (freexl_get_worksheet_name(xls, (unsigned short)i, &name) != FREEXL_OK || name == NULL)
			continue;
		if (want == NULL || s_name_eq(name, want))
			return (int)i;
	}
	return want != NULL && (flags & WB_SHEET_OR_FIRST) ? 0 : -1;
}

/* s_xls_rows - in the child: every row holding a value of the active sheet. */
static int
s_xls_rows(const void *xls, s_xls_out_t *o)
{
	unsigned rows = 0;
	unsigned short cols = 0;
	uint32_t *cellcols = NULL;
	int rc = -1;

	if (freexl_worksheet_dimensions(xls, &rows, &cols) != FREEXL_OK)
		return -1;
	if (rows > S_MAX_ROW)
		rows = S_MAX_ROW;
	cellcols = xcalloc((size_t)cols + 1, sizeof(*cellcols));
	for (unsigned r = 0; r < rows; r++) {
		uint32_t n = 0;

		for (unsigned short c = 0; c < cols; c++) {
			FreeXL_CellValue v;
			char num[64];
			uint8_t type;
			const char *t;

			if (freexl_get_cell_value(xls, r, c, &v) == FREEXL_OK &&
			    (t = s_xls_cell_text(&v, num, sizeof(num), &type)) != NULL && *t != '\0')
				cellcols[n++] = c;
		}
		if (n == 0)
			continue;
		if (s_xls_u32(o, r + 1) != 0 || s_xls_u32(o, n) != 0)
			goto out;
		for (uint32_t k = 0; k < n; k++) {
			FreeXL_CellValue v;
			char num[64];
			uint8_t type = WB_STRING;
			const char *t = "";

			if (freexl_get_cell_value(xls, r, (unsigned short)cellcols[k], &v) == FREEXL_OK)
				t = s_xls_cell_text(&v, num, sizeof(num), &type);
			if (t == NULL)
				t = "";
			if (s_xls_u32(o, cellcols[k]) != 0 || s_xls_put(o, &type, 1) != 0 ||
			    s_xls_u32(o, (uint32_t)strlen(t)) != 0 || s_xls_put(o, t, strlen(t)) != 0)
				goto out;
		}
	}
	rc = s_xls_u32(o, 0);
out:
	free(cellcols);
	return rc;
}

/* s_xls_child - the child's whole life: convert the file, exit. */
static void
s_xls_child(const char *path, const char *want, unsigned flags, int out_fd)
{
	static s_xls_out_t o;
	const void *xls = NULL;
	unsigned info = 0;
	uint32_t status = S_XLS_OK;
	const char *name = "";
	struct rlimit cpu = { S_XLS_CPU_SECONDS, S_XLS_CPU_SECONDS };
	int sheet = -1;

	setrlimit(RLIMIT_CPU, &cpu);
#if !S_SANITIZED
	{
		/* on top of what the process (threads, mappings) already spans */
		unsigned long long pages = 0;
		FILE *f = fopen("/proc/self/statm", "r");
		struct rlimit as;

		if (f != NULL) {
			if (fscanf(f, "%llu", &pages) != 1)
				pages = 0;
			fclose(f);
		}
		as.rlim_cur = as.rlim_max = pages * (unsigned long long)sysconf(_SC_PAGESIZE) + S_XLS_AS_BYTES;
		setrlimit(RLIMIT_AS, &as);
	}
#endif
	o.fd = out_fd;
	if (freexl_open(path, &xls) != FREEXL_OK ||
	    (freexl_get_info(xls, FREEXL_BIFF_PASSWORD, &info) == FREEXL_OK && info == FREEXL_BIFF_OBFUSCATED))
		status = S_XLS_UNSUPPORTED;
	else if ((sheet = s_xls_sheet(xls, want, flags)) < 0 ||
	    freexl_select_active_worksheet(xls, (unsigned short)sheet) != FREEXL_OK ||
	    freexl_get_worksheet_name(xls, (unsigned short)sheet, &name) != FREEXL_OK)
		status = S_XLS_NO_SHEET;
	if (name == NULL)
		name = "";
	if (s_xls_u32(&o, status) == 0 && s_xls_u32(&o, (uint32_t)strnlen(name, S_MAX_NAME)) == 0 &&
	    s_xls_put(&o, name, strnlen(name, S_MAX_NAME)) == 0 && status == S_XLS_OK)
		s_xls_rows(xls, &o);
	s_xls_flush(&o);
	_exit(0); /* no atexit handlers of the parent's */
}

/* s_xls_read - n bytes from the child; -1 (self->err set) if it ended or
 * broke off. */
static int
s_xls_read(wb_reader_t *self, void *dst, size_t n)
{
	char *d = dst;

	while (n > 0) {
		ssize_t got;

		if (self->xpos < self->xlen) {
			size_t take = self->xlen - self->xpos < n ? self->xlen - self->xpos : n;

			memcpy(d, self->xbuf + self->xpos, take);
			self->xpos += take;
			d += take;
			n -= take;
			continue;
		}
		got = read(self->xls_fd, self->xbuf, S_CHUNK);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			self->err = WB_E_DAMAGED; /* the child died on the file */
			return -1;
		}
		self->xpos = 0;
		self->xlen = (size_t)got;
	}
	return 0;
}

/* s_xls_read_u32 - one u32 from the child. */
static int
s_xls_read_u32(wb_reader_t *self, uint32_t *v)
{
	return s_xls_read(self, v, sizeof(*v));
}

/* s_open_xls - start the child on the file (by /proc/self/fd) and read
 * its answer: the sheet's name, or why not. */
static int
s_open_xls(wb_reader_t *self)
{
	int p[2];
	uint32_t status, n;
	char name[S_MAX_NAME + 1];

	self->fmt = F_XLS;
	self->xls_fd = -1;
	snprintf(self->path, sizeof(self->path), "/proc/self/fd/%d", self->fd);
	if (pipe2(p, O_CLOEXEC) != 0) {
		self->err = WB_E_IO;
		return -1;
	}
	fflush(NULL);
	self->xls_pid = fork();
	if (self->xls_pid < 0) {
		close(p[0]);
		close(p[1]);
		self->err = WB_E_IO;
		return -1;
	}
	if (self->xls_pid == 0) {
		close(p[0]);
		s_xls_child(self->path, self->want, self->flags, p[1]);
	}
	close(p[1]);
	self->xls_fd = p[0];
	self->xbuf = xmalloc(S_CHUNK);
	if (s_xls_read_u32(self, &status) != 0 || s_xls_read_u32(self, &n) != 0 || n > S_MAX_NAME ||
	    s_xls_read(self, name, n) != 0) {
		self->err = WB_E_UNSUPPORTED;
		return -1;
	}
	name[n] = '\0';
	if (status != S_XLS_OK) {
		self->err = status == S_XLS_NO_SHEET ? WB_E_NO_SHEET : WB_E_UNSUPPORTED;
		return -1;
	}
	self->sheet_name = xstrdup(name);
	return 0;
}

/* s_limits_ok - every limit set. */
static int
s_limits_ok(const wb_limits_t *l)
{
	return l->max_total > 0 && l->max_entry > 0 && l->max_ratio > 0 && l->max_entries > 0 &&
	    l->max_depth > 0 && l->max_cells > 0 && l->max_string > 0 && l->max_record > 0;
}

/* wb_is_workbook - see workbook.h. */
int
wb_is_workbook(const unsigned char *head, size_t len)
{
	static const unsigned char ole2[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };

	if (len >= 4 && head[0] == 'P' && head[1] == 'K' && (head[2] == 3 || head[2] == 5) && head[3] == head[2] + 1)
		return 1;
	return len >= 8 && memcmp(head, ole2, 8) == 0;
}

/* wb_open - see workbook.h. */
wb_reader_t *
wb_open(int fd, const char *sheet, unsigned flags, const wb_limits_t *lim, const char **err)
{
	static const wb_limits_t def = WB_LIMITS_DEFAULT;
	unsigned char head[8];
	wb_reader_t *self;
	ssize_t n;
	int rc;

	*err = NULL;
	if (lim != NULL && !s_limits_ok(lim)) {
		*err = WB_E_IO;
		return NULL;
	}
	n = pread(fd, head, sizeof(head), 0);
	if (n < 0) {
		*err = WB_E_IO;
		return NULL;
	}
	if (!wb_is_workbook(head, (size_t)n)) {
		*err = n >= 2 && head[0] == 'P' && head[1] == 'K' ? WB_E_DAMAGED : WB_E_NOT_WORKBOOK;
		return NULL;
	}
	self = xcalloc(1, sizeof(*self));
	self->lim = lim != NULL ? *lim : def;
	self->flags = flags;
	self->fd = fd;
	self->chosen = self->first_visible = -1;
	self->sst.dfile.fd = self->sst.ofile.fd = -1;
	self->xls_fd = -1;
	self->want = sheet != NULL ? xstrdup(sheet) : NULL;
	rc = head[0] == 'P' ? s_open_zip(self) : s_open_xls(self);
	if (rc != 0) {
		*err = self->err != NULL ? self->err : WB_E_IO;
		wb_destroy(&self);
		return NULL;
	}
	return self;
}

/* wb_open_path - see workbook.h. */
wb_reader_t *
wb_open_path(const char *path, const char *sheet, unsigned flags, const wb_limits_t *lim, const char **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	wb_reader_t *self;

	if (fd < 0) {
		*err = WB_E_IO;
		return NULL;
	}
	self = wb_open(fd, sheet, flags, lim, err);
	if (self == NULL)
		close(fd);
	else
		self->own_fd = 1;
	return self;
}

/* wb_destroy - see workbook.h. */
void
wb_destroy(wb_reader_t **self_p)
{
	wb_reader_t *self = *self_p;

	if (self == NULL)
		return;
	s_part_close(self);
	if (self->za != NULL)
		zip_discard(self->za);
	if (self->xls_fd >= 0)
		close(self->xls_fd);
	if (self->xls_pid > 0) {
		kill(self->xls_pid, SIGKILL);
		while (waitpid(self->xls_pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(self->xbuf);
	if (self->own_fd)
		close(self->fd);
	for (size_t i = 0; i < self->nsheets; i++) {
		free(self->sheet_names[i]);
		free(self->sheet_rids[i]);
	}
	free(self->sheet_names);
	free(self->sheet_rids);
	free(self->sheet_target);
	free(self->sst_target);
	free(self->styles_target);
	free(self->want);
	free(self->sheet_name);
	free(self->xf_fmt);
	free(self->xf_date);
	free(self->numfmt_id);
	free(self->numfmt_off);
	s_buf_free(&self->fmt_pool);
	s_buf_free(&self->sst.data);
	free(self->sst.offs);
	s_spill_close(&self->sst.dfile);
	s_spill_close(&self->sst.ofile);
	for (size_t i = 0; i < self->nmerges; i++)
		free(self->merges[i].val);
	free(self->merges);
	free(self->active);
	s_buf_free(&self->text);
	s_buf_free(&self->rec);
	free(self->slots);
	free(self->fields);
	free(self->lens);
	free(self);
	*self_p = NULL;
}

/* s_xls_skip - drop n bytes of the child's output. */
static int
s_xls_skip(wb_reader_t *self, size_t n)
{
	char tmp[512];

	while (n > 0) {
		size_t take = n < sizeof(tmp) ? n : sizeof(tmp);

		if (s_xls_read(self, tmp, take) != 0)
			return -1;
		n -= take;
	}
	return 0;
}

/* s_xls_next - the next .xls row from the child, checked like any input. */
static int
s_xls_next(wb_reader_t *self, csv_row_t *row)
{
	uint32_t line, n;

	if (self->sheet_done)
		return 0;
	if (s_xls_read_u32(self, &line) != 0)
		return -1;
	if (line == 0) {
		self->sheet_done = 1;
		return 0;
	}
	if (line <= self->last_row || line > S_MAX_ROW || s_xls_read_u32(self, &n) != 0 || n > S_MAX_COL) {
		self->err = self->err != NULL ? self->err : WB_E_DAMAGED;
		return -1;
	}
	s_row_reset(self);
	self->row_num = self->last_row = line;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t col, len;
		uint8_t type;

		if (s_xls_read_u32(self, &col) != 0 || s_xls_read(self, &type, 1) != 0 ||
		    s_xls_read_u32(self, &len) != 0)
			return -1;
		if (col >= S_MAX_COL || type > WB_DATE || type == WB_EMPTY || len > S_XLS_MAX_CELL) {
			self->err = WB_E_DAMAGED;
			return -1;
		}
		if (len > self->lim.max_string) {
			s_row_fail(self, WB_E_CELL_TOO_LONG);
			if (s_xls_skip(self, len) != 0)
				return -1;
			continue;
		}
		self->text.len = 0;
		s_buf_reserve(&self->text, len);
		if (s_xls_read(self, self->text.p, len) != 0)
			return -1;
		self->text.p[len] = '\0';
		s_set_cell(self, col, self->text.p, len, (wb_type_t)type, 0, 0);
	}
	s_make_row(self, row);
	return 1;
}

/* wb_next - see workbook.h. */
int
wb_next(wb_reader_t *self, csv_row_t *row)
{
	if (self->err != NULL)
		return -1;
	if (self->fmt == F_XLS)
		return s_xls_next(self, row);
	if (self->repeat_left > 0) { /* ods: the same row again, one line down */
		self->repeat_left--;
		self->row_num++;
		s_make_row(self, row);
		return 1;
	}
	self->row_ready = 0;
	while (!self->row_ready && !self->sheet_done) {
		int rc = s_part_step(self);

		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
	}
	if (!self->row_ready)
		return 0;
	self->row_ready = 0;
	s_make_row(self, row);
	return 1;
}

/* wb_cell - see workbook.h. */
wb_cell_t
wb_cell(const wb_reader_t *self, size_t col)
{
	wb_cell_t c = { WB_EMPTY, -1, "", 0, 0, 0 };
	const s_slot_t *s;

	if (col >= self->ncols || (s = &self->slots[col])->off == S_NO_SLOT)
		return c;
	c.type = (wb_type_t)s->type;
	c.formula = s->formula;
	c.merged = s->merged;
	if (self->fmt == F_XLSX && !s->merged) {
		c.numfmt = s->xf < self->nxfs ? self->xf_fmt[s->xf] : 0;
		c.format = s_fmt_code(self, c.numfmt);
		if (c.format == NULL)
			c.format = "";
		c.is_date = c.type == WB_NUMBER && s->xf < self->nxfs && self->xf_date[s->xf];
	}
	return c;
}

/* s_format_has_day - the format code shows a day (a d outside quotes,
 * escapes and brackets); built-in date formats all do but 17 (mmm-yy). */
static int
s_format_has_day(int numfmt, const char *code)
{
	if (numfmt >= 14 && numfmt <= 22)
		return numfmt != 17;
	for (const char *p = code; p != NULL && *p != '\0'; p++) {
		if (*p == '"' || *p == '[')
			p = strchr(p + 1, *p == '"' ? '"' : ']');
		else if ((*p == '\\' || *p == '_' || *p == '*') && p[1] != '\0')
			p++;
		else if (*p == 'd' || *p == 'D')
			return 1;
		if (p == NULL)
			return 0;
	}
	return 0;
}

/* wb_date_text - see workbook.h. */
int
wb_date_text(const wb_reader_t *self, size_t col, const char *value, char out[11])
{
	wb_cell_t c = wb_cell(self, col);
	char *end;
	double x;

	if (!c.is_date)
		return -1;
	x = strtod(value, &end);
	if (end == value || *end != '\0' || wb_serial_to_date(x, self->date1904, out) != 0)
		return -1;
	if (!s_format_has_day(c.numfmt, c.format))
		out[7] = '\0';
	return 0;
}

/* wb_error - see workbook.h. */
const char *
wb_error(const wb_reader_t *self)
{
	return self->err;
}

/* wb_format - see workbook.h. */
const char *
wb_format(const wb_reader_t *self)
{
	return self->fmt == F_XLSX ? "xlsx" : self->fmt == F_ODS ? "ods" : "xls";
}

/* wb_sheet_name - see workbook.h. */
const char *
wb_sheet_name(const wb_reader_t *self)
{
	return self->sheet_name != NULL ? self->sheet_name : "";
}

/* wb_date1904 - see workbook.h. */
int
wb_date1904(const wb_reader_t *self)
{
	return self->date1904;
}

/* wb_strings_on_disk - see workbook.h. */
int
wb_strings_on_disk(const wb_reader_t *self)
{
	return self->sst.on_disk;
}

/* wb_merge_count - see workbook.h. */
size_t
wb_merge_count(const wb_reader_t *self)
{
	return self->nmerges;
}

/* wb_merge - see workbook.h. */
int
wb_merge(const wb_reader_t *self, size_t i, unsigned *row1, unsigned *col1, unsigned *row2, unsigned *col2)
{
	if (i >= self->nmerges)
		return -1;
	*row1 = self->merges[i].r1;
	*col1 = self->merges[i].c1;
	*row2 = self->merges[i].r2;
	*col2 = self->merges[i].c2;
	return 0;
}

/* wb_error_text - see workbook.h. */
int
wb_error_text(const char *code, const char **vi, const char **en)
{
	static const struct { const char *code, *vi, *en; } t[] = {
		{ WB_E_NOT_WORKBOOK, "tệp không phải bảng tính Excel (.xlsx, .xls) hay OpenDocument (.ods)",
		  "the file is not an Excel (.xlsx, .xls) or OpenDocument (.ods) workbook" },
		{ WB_E_DAMAGED, "tệp bảng tính bị cắt cụt hoặc hỏng; hãy lưu và gửi lại",
		  "the workbook is truncated or damaged; save it again and resend it" },
		{ WB_E_UNSUPPORTED,
		  "định dạng bảng tính không được hỗ trợ (có mật khẩu, hoặc không phải bảng tính)",
		  "the workbook format is not supported (password-protected, or not a spreadsheet)" },
		{ WB_E_NO_SHEET, "không tìm thấy trang tính cần đọc trong bảng tính",
		  "the workbook has no sheet to read" },
		{ WB_E_XML, "nội dung bảng tính không phải XML hợp lệ", "the workbook's content is not valid XML" },
		{ WB_E_XML_ENTITY, "bảng tính khai báo thực thể XML (DTD), không được phép",
		  "the workbook declares XML entities (a DTD), which is not allowed" },
		{ WB_E_XML_DEPTH, "nội dung bảng tính lồng nhau quá sâu", "the workbook's XML is nested too deeply" },
		{ WB_E_XML_TOKEN, "bảng tính có một thẻ XML hoặc chú thích dài bất thường",
		  "the workbook holds an abnormally long XML tag or comment" },
		{ WB_E_TOTAL_SIZE, "bảng tính giải nén ra quá lớn", "the workbook is too large once decompressed" },
		{ WB_E_ENTRY_SIZE, "một phần của bảng tính giải nén ra quá lớn",
		  "a part of the workbook is too large once decompressed" },
		{ WB_E_RATIO, "tỷ lệ nén của bảng tính bất thường (nghi là bom nén)",
		  "the workbook's compression ratio is abnormal (a suspected zip bomb)" },
		{ WB_E_ENTRIES, "bảng tính có quá nhiều phần bên trong", "the workbook holds too many parts" },
		{ WB_E_STRINGS,
		  "bảng chuỗi dùng chung của bảng tính không hợp lệ (chuỗi quá dài hoặc chỉ số sai)",
		  "the workbook's shared strings are invalid (a string too long or a bad index)" },
		{ WB_E_MERGES, "trang tính có quá nhiều vùng ô gộp", "the sheet has too many merged areas" },
		{ WB_E_BAD_REF, "trang tính có tham chiếu dòng hoặc ô sai thứ tự hay ngoài phạm vi",
		  "the sheet has row or cell references out of order or out of range" },
		{ WB_E_IO, "lỗi đọc bảng tính hoặc tệp tạm", "an error reading the workbook or a temporary file" },
		{ WB_E_TOO_MANY_CELLS, "dòng có quá nhiều cột", "the row has too many columns" },
		{ WB_E_CELL_TOO_LONG, "một ô dài quá giới hạn", "a cell is longer than the limit" },
		{ WB_E_ROW_TOO_LONG, "dòng dài quá giới hạn", "the row is longer than the limit" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].code, code) == 0) {
			*vi = t[i].vi;
			*en = t[i].en;
			return 1;
		}
	*vi = "không đọc được bảng tính";
	*en = "the workbook cannot be read";
	return 0;
}
