/* csv - the one streaming reader for RFC 4180 files dropped by agencies.
 *
 * Reads a file descriptor through a fixed 64 KiB buffer and hands out one
 * record at a time; memory stays flat whatever the file size, since at most
 * one record (bounded by csv_limits_t) is ever held.
 *
 * The reader works on bytes and does not look at the encoding: the caller
 * converts each field (see text.h). The delimiter (',' or ';') is detected
 * from the header record, a UTF-8 BOM at the very start is skipped, lines end
 * with LF or CRLF, and empty lines between records are skipped (but counted).
 *
 * A malformed record is still returned (csv_next gives 1) with `err` set to a
 * stable code, so the caller can report its line; the reader then carries on
 * at the next record boundary. Nothing in the input can make it crash or grow
 * beyond its limits. */
#ifndef BHXH_CSV_H
#define BHXH_CSV_H

#include <stddef.h>

#define CSV_BUF_SIZE (64u * 1024u) /* bytes read from the fd at a time */

/* Error codes in csv_row_t.err; compare by value or with strcmp. */
#define CSV_E_UNTERMINATED_QUOTE "E_CSV_UNTERMINATED_QUOTE" /* quote open at EOF */
#define CSV_E_FIELD_TOO_LONG "E_CSV_FIELD_TOO_LONG"   /* field over max_field */
#define CSV_E_RECORD_TOO_LONG "E_CSV_RECORD_TOO_LONG" /* record over max_record */
#define CSV_E_TOO_MANY_FIELDS "E_CSV_TOO_MANY_FIELDS" /* more than max_fields */
#define CSV_E_NUL_BYTE "E_CSV_NUL_BYTE"               /* a NUL byte in the record */
#define CSV_E_BAD_QUOTE "E_CSV_BAD_QUOTE" /* text after a closing quote: "ab"c */

typedef struct {
	size_t max_field;  /* bytes in one field, after unquoting */
	size_t max_record; /* bytes in all fields of one record together */
	size_t max_fields; /* fields in one record */
} csv_limits_t;

#define CSV_LIMITS_DEFAULT { 1024u * 1024u, 4u * 1024u * 1024u, 512u }

/* One record. fields[i] (lens[i] bytes, NUL-terminated) points into storage
 * owned by the reader, valid until the next csv_next or csv_destroy.
 * When err is set, fields hold only what was complete before the fault was
 * found (possibly nothing): report the row, do not use it. */
typedef struct {
	size_t nfields;
	char **fields;
	size_t *lens;
	unsigned long line;     /* 1-based line the record starts on; header = 1 */
	unsigned long end_line; /* line the record ends on (> line if it holds newlines) */
	const char *err;        /* NULL, or one of the CSV_E_* codes */
} csv_row_t;

typedef struct csv_reader csv_reader_t;

/* csv_new - a reader on fd (not owned: the caller closes it). Reads the
 * start of the input to skip a BOM and detect the delimiter. lim NULL means
 * CSV_LIMITS_DEFAULT; a zero limit is refused. NULL on a read error, a bad
 * limit or no memory. */
csv_reader_t *csv_new(int fd, const csv_limits_t *lim);

/* csv_destroy - free the reader and set *self_p to NULL. */
void csv_destroy(csv_reader_t **self_p);

/* csv_next - read the next record into *row. 1 when a row is produced
 * (check row->err), 0 at end of input, -1 on a read error (errno set). */
int csv_next(csv_reader_t *self, csv_row_t *row);

/* csv_delimiter - ',' or ';', as detected from the header record. */
char csv_delimiter(const csv_reader_t *self);

/* csv_had_bom - 1 if the input started with a UTF-8 BOM, else 0. */
int csv_had_bom(const csv_reader_t *self);

/* csv_bytes_read - bytes of input consumed so far (BOM included), for
 * progress; equals the file size once csv_next has returned 0. */
unsigned long long csv_bytes_read(const csv_reader_t *self);

#endif
