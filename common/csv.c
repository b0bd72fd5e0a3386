/* csv - streaming RFC 4180 reader (see csv.h).
 *
 * A small state machine is fed one byte at a time from a fixed buffer. The
 * record being read is laid out in `rec` as NUL-terminated fields end to end.
 * Once a fault is found (self->err set) bytes are no longer stored, but the
 * quote state is still followed, so the record ends exactly where RFC 4180
 * says it does and the next one starts clean. */
#include "csv.h"
#include "xalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_EOF (-1)   /* from s_getc/s_peekc: no more input */
#define S_IOERR (-2) /* from s_getc/s_peekc: read() failed */

#define S_REC_INITIAL 4096
#define S_FIELDS_INITIAL 16

enum { ST_FIELD_START, ST_UNQUOTED, ST_QUOTED, ST_QUOTE_END };

struct csv_reader {
	int fd;
	csv_limits_t lim;
	int failed;               /* errno of a read or allocation failure; sticky */
	int eof;                  /* read() has returned 0 */
	unsigned long long nread; /* bytes read from fd */
	int had_bom;
	char delim;
	unsigned long line;       /* line of the next unread byte */
	const char *err;          /* fault in the current record, or NULL */
	char *rec;                /* the current record: fields, each + NUL */
	size_t rec_len;
	size_t rec_cap;
	size_t data_len;          /* field bytes in rec, NULs not counted */
	size_t field_off;         /* where the field being read starts in rec */
	size_t nfields;
	size_t fields_cap;
	size_t *offs;
	size_t *lens;
	char **fields;
	size_t pos;               /* next unread byte in buf */
	size_t len;               /* bytes held in buf */
	unsigned char buf[CSV_BUF_SIZE];
};

/* s_fill_more - move the unread bytes to the front of buf and read more after
 * them. 1 if bytes were added, 0 at EOF or when buf is full, -1 on error. */
static int
s_fill_more(csv_reader_t *self)
{
	if (self->failed != 0)
		return -1;
	if (self->eof)
		return 0;
	if (self->pos > 0) {
		memmove(self->buf, self->buf + self->pos, self->len - self->pos);
		self->len -= self->pos;
		self->pos = 0;
	}
	if (self->len == CSV_BUF_SIZE)
		return 0;
	for (;;) {
		ssize_t n = read(self->fd, self->buf + self->len, CSV_BUF_SIZE - self->len);

		if (n > 0) {
			self->len += (size_t)n;
			self->nread += (unsigned long long)n;
			return 1;
		}
		if (n == 0) {
			self->eof = 1;
			return 0;
		}
		if (errno != EINTR) {
			self->failed = errno;
			return -1;
		}
	}
}

/* s_ensure - make at least n unread bytes available in buf (n <= buffer
 * size). 1 if they are, 0 if the input ends sooner, -1 on error. */
static int
s_ensure(csv_reader_t *self, size_t n)
{
	while (self->len - self->pos < n) {
		int rc = s_fill_more(self);

		if (rc <= 0)
			return rc;
	}
	return 1;
}

/* s_peekc - the next byte without consuming it, S_EOF or S_IOERR. */
static int
s_peekc(csv_reader_t *self)
{
	int rc = s_ensure(self, 1);

	if (rc <= 0)
		return rc < 0 ? S_IOERR : S_EOF;
	return self->buf[self->pos];
}

/* s_getc - consume and return the next byte, S_EOF or S_IOERR. */
static int
s_getc(csv_reader_t *self)
{
	int c = s_peekc(self);

	if (c >= 0)
		self->pos++;
	return c;
}

/* s_skip_bom - skip a UTF-8 byte order mark at the very start. */
static int
s_skip_bom(csv_reader_t *self)
{
	if (s_ensure(self, 3) < 0)
		return -1;
	if (self->len - self->pos >= 3 && memcmp(self->buf + self->pos, "\xEF\xBB\xBF", 3) == 0) {
		self->pos += 3;
		self->had_bom = 1;
	}
	return 0;
}

/* s_detect_delimiter - ';' if the header record (the first non-empty line)
 * has more semicolons than commas outside quotes, else ','. Looks ahead
 * without consuming, at most one buffer's worth. */
static int
s_detect_delimiter(csv_reader_t *self)
{
	size_t i = 0, commas = 0, semis = 0;
	int inq = 0, started = 0;

	for (;;) {
		unsigned char c;

		if (self->pos + i == self->len) {
			int rc = s_fill_more(self); /* may move pos; i stays relative */

			if (rc < 0)
				return -1;
			if (rc == 0)
				break;
			continue;
		}
		c = self->buf[self->pos + i++];
		if (!started && (c == '\r' || c == '\n'))
			continue;
		started = 1;
		if (c == '"')
			inq = !inq;
		else if (inq)
			continue;
		else if (c == '\n')
			break;
		else if (c == ',')
			commas++;
		else if (c == ';')
			semis++;
	}
	self->delim = semis > commas ? ';' : ',';
	return 0;
}

/* s_fail - record the first fault of the current record; later bytes of the
 * record are then dropped. */
static void
s_fail(csv_reader_t *self, const char *code)
{
	if (self->err == NULL)
		self->err = code;
}

/* s_reserve - room for n more bytes in rec. Growth is geometric and never
 * beyond what the limits allow, so a record costs at most
 * max_record + max_fields + 1 bytes. */
static int
s_reserve(csv_reader_t *self, size_t n)
{
	size_t bound = self->lim.max_record + self->lim.max_fields + 1;
	size_t cap = self->rec_cap;
	char *p;

	if (self->rec_len + n <= cap)
		return 0;
	while (cap < self->rec_len + n) {
		if (cap >= bound) { /* cannot happen within the limits; be safe */
			s_fail(self, CSV_E_RECORD_TOO_LONG);
			return -1;
		}
		cap = cap < bound / 2 ? cap * 2 : bound;
	}
	p = xrealloc(self->rec, cap);
	if (p == NULL) {
		self->failed = ENOMEM;
		s_fail(self, CSV_E_RECORD_TOO_LONG);
		return -1;
	}
	self->rec = p;
	self->rec_cap = cap;
	return 0;
}

/* s_reserve_field - room for one more entry in offs, lens and fields. */
static int
s_reserve_field(csv_reader_t *self)
{
	size_t cap = self->fields_cap * 2;
	size_t *offs, *lens;
	char **fields;

	if (self->nfields < self->fields_cap)
		return 0;
	if (cap > self->lim.max_fields)
		cap = self->lim.max_fields;
	offs = xrealloc(self->offs, cap * sizeof(*offs));
	if (offs != NULL)
		self->offs = offs;
	lens = xrealloc(self->lens, cap * sizeof(*lens));
	if (lens != NULL)
		self->lens = lens;
	fields = xrealloc(self->fields, cap * sizeof(*fields));
	if (fields != NULL)
		self->fields = fields;
	if (offs == NULL || lens == NULL || fields == NULL) {
		self->failed = ENOMEM;
		s_fail(self, CSV_E_TOO_MANY_FIELDS);
		return -1;
	}
	self->fields_cap = cap;
	return 0;
}

/* s_put - append one byte to the field being read, unless the record is
 * already at fault or the byte would break a limit. */
static void
s_put(csv_reader_t *self, int c)
{
	if (self->err != NULL)
		return;
	if (self->rec_len - self->field_off >= self->lim.max_field) {
		s_fail(self, CSV_E_FIELD_TOO_LONG);
		return;
	}
	if (self->data_len >= self->lim.max_record) {
		s_fail(self, CSV_E_RECORD_TOO_LONG);
		return;
	}
	if (s_reserve(self, 2) != 0) /* the byte and the field's NUL */
		return;
	self->rec[self->rec_len++] = (char)c;
	self->data_len++;
}

/* s_end_field - close the field being read. */
static void
s_end_field(csv_reader_t *self)
{
	if (self->err != NULL)
		return;
	if (self->nfields == self->lim.max_fields) {
		s_fail(self, CSV_E_TOO_MANY_FIELDS);
		return;
	}
	if (s_reserve(self, 1) != 0 || s_reserve_field(self) != 0)
		return;
	self->offs[self->nfields] = self->field_off;
	self->lens[self->nfields] = self->rec_len - self->field_off;
	self->nfields++;
	self->rec[self->rec_len++] = '\0';
	self->field_off = self->rec_len;
}

/* s_line_end - c ('\n' or '\r') was just read outside quotes: 2 if it ends
 * the line (a CR's LF is consumed too), 1 if it is a CR that ends the input,
 * 0 if it is a lone CR (data), -1 on a read error. */
static int
s_line_end(csv_reader_t *self, int c)
{
	int next;

	if (c == '\n')
		return 2;
	next = s_peekc(self);
	if (next == S_IOERR)
		return -1;
	if (next == S_EOF)
		return 1;
	if (next != '\n')
		return 0;
	self->pos++;
	return 2;
}

/* s_skip_blank_lines - consume empty lines. 1 if a record follows, 0 at the
 * end of input, -1 on a read error. */
static int
s_skip_blank_lines(csv_reader_t *self)
{
	for (;;) {
		int c = s_peekc(self), rc;

		if (c == S_IOERR)
			return -1;
		if (c == S_EOF)
			return 0;
		if (c == '\n') {
			self->pos++;
			self->line++;
			continue;
		}
		if (c != '\r')
			return 1;
		rc = s_ensure(self, 2);
		if (rc < 0)
			return -1;
		if (rc == 0) { /* a CR alone at the very end */
			self->pos++;
			continue;
		}
		if (self->buf[self->pos + 1] != '\n')
			return 1; /* a lone CR starts the record, as data */
		self->pos += 2;
		self->line++;
	}
}

/* s_parse_record - read one record up to and including its line end.
 * Sets *end_line; -1 on a read error. */
static int
s_parse_record(csv_reader_t *self, unsigned long *end_line)
{
	int st = ST_FIELD_START;

	for (;;) {
		int c = s_getc(self), end;

		if (c == S_IOERR)
			return -1;
		if (c == S_EOF) {
			if (st == ST_QUOTED) /* the root cause, whatever else was found */
				self->err = CSV_E_UNTERMINATED_QUOTE;
			*end_line = self->line;
			break;
		}
		if (c == '\0')
			s_fail(self, CSV_E_NUL_BYTE);
		if (st == ST_QUOTED) {
			if (c == '"') {
				st = ST_QUOTE_END;
			} else {
				if (c == '\n')
					self->line++;
				s_put(self, c);
			}
			continue;
		}
		if (c == '\n' || c == '\r') {
			end = s_line_end(self, c);
			if (end < 0)
				return -1;
			if (end > 0) {
				*end_line = self->line;
				if (end == 2)
					self->line++;
				break;
			}
		}
		if (c == (unsigned char)self->delim) {
			s_end_field(self);
			st = ST_FIELD_START;
		} else if (st == ST_FIELD_START && c == '"') {
			st = ST_QUOTED;
		} else if (st == ST_QUOTE_END && c == '"') {
			s_put(self, c);
			st = ST_QUOTED;
		} else {
			if (st == ST_QUOTE_END)
				s_fail(self, CSV_E_BAD_QUOTE);
			s_put(self, c);
			st = ST_UNQUOTED;
		}
	}
	s_end_field(self);
	return 0;
}

/* csv_new - a reader on fd; skips a BOM and detects the delimiter. */
csv_reader_t *
csv_new(int fd, const csv_limits_t *lim)
{
	static const csv_limits_t defaults = CSV_LIMITS_DEFAULT;
	csv_reader_t *self;
	int err;

	if (lim == NULL)
		lim = &defaults;
	if (lim->max_field == 0 || lim->max_record == 0 || lim->max_fields == 0
	    || lim->max_record > SIZE_MAX / 4 || lim->max_fields > SIZE_MAX / 4 / sizeof(size_t)) {
		errno = EINVAL;
		return NULL;
	}
	self = xcalloc(1, sizeof(*self));
	if (self == NULL)
		return NULL;
	self->fd = fd;
	self->lim = *lim;
	self->line = 1;
	self->delim = ',';
	self->rec_cap = S_REC_INITIAL;
	self->fields_cap = lim->max_fields < S_FIELDS_INITIAL ? lim->max_fields : S_FIELDS_INITIAL;
	self->rec = xmalloc(self->rec_cap);
	self->offs = xmalloc(self->fields_cap * sizeof(*self->offs));
	self->lens = xmalloc(self->fields_cap * sizeof(*self->lens));
	self->fields = xmalloc(self->fields_cap * sizeof(*self->fields));
	if (self->rec == NULL || self->offs == NULL || self->lens == NULL || self->fields == NULL) {
		err = ENOMEM;
		goto fail;
	}
	if (s_skip_bom(self) != 0 || s_detect_delimiter(self) != 0) {
		err = self->failed;
		goto fail;
	}
	return self;
fail:
	csv_destroy(&self);
	errno = err;
	return NULL;
}

/* csv_destroy - free the reader and set *self_p to NULL. */
void
csv_destroy(csv_reader_t **self_p)
{
	csv_reader_t *self;

	if (self_p == NULL || *self_p == NULL)
		return;
	self = *self_p;
	free(self->rec);
	free(self->offs);
	free(self->lens);
	free(self->fields);
	free(self);
	*self_p = NULL;
}

/* csv_next - read the next record into *row: 1, 0 at end, -1 on error. */
int
csv_next(csv_reader_t *self, csv_row_t *row)
{
	unsigned long end_line = 0;
	int rc;

	memset(row, 0, sizeof(*row));
	if (self->failed != 0) {
		errno = self->failed;
		return -1;
	}
	rc = s_skip_blank_lines(self);
	if (rc <= 0) {
		if (rc < 0)
			errno = self->failed;
		return rc;
	}
	self->err = NULL;
	self->rec_len = 0;
	self->data_len = 0;
	self->field_off = 0;
	self->nfields = 0;
	row->line = self->line;
	if (s_parse_record(self, &end_line) != 0 || self->failed != 0) {
		errno = self->failed;
		return -1;
	}
	for (size_t i = 0; i < self->nfields; i++)
		self->fields[i] = self->rec + self->offs[i];
	row->nfields = self->nfields;
	row->fields = self->fields;
	row->lens = self->lens;
	row->end_line = end_line;
	row->err = self->err;
	return 1;
}

/* csv_delimiter - the detected delimiter. */
char
csv_delimiter(const csv_reader_t *self)
{
	return self->delim;
}

/* csv_had_bom - whether the input started with a UTF-8 BOM. */
int
csv_had_bom(const csv_reader_t *self)
{
	return self->had_bom;
}

/* csv_bytes_read - input bytes consumed so far. */
unsigned long long
csv_bytes_read(const csv_reader_t *self)
{
	return self->nread - (self->len - self->pos);
}
