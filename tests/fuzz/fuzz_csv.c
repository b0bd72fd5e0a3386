/* fuzz_csv - libFuzzer harness for the CSV reader (common/csv.c).
 *
 * The reader takes a file descriptor, so each input is written to a memfd
 * (an anonymous in-memory file) and read back through csv_new/csv_next the
 * way the ingest worker reads an agency's file.
 *
 * The first 3 bytes of an input configure the run, the rest is the file:
 *   byte 0 == 'F'   put the file after a filler header and one long field,
 *                   so that it starts a few bytes (byte 2) before the end of
 *                   the reader's first 64 KiB buffer: records then straddle
 *                   the refill. Slow (64 KiB a run), hence one exact value.
 *   else bit 0      small limits from bytes 1 and 2 (reach the limit paths
 *                   with small inputs); otherwise CSV_LIMITS_DEFAULT
 *   else bit 1      read the file through a SOCK_SEQPACKET socket pair in
 *                   packets of 1 + byte 1 % 97 bytes instead: each read()
 *                   then returns one packet, so every look-ahead (BOM,
 *                   delimiter, CRLF) meets short reads at every offset
 * Seeds under tests/fuzz/corpus/csv/ start with "\0\0\0" (defaults).
 *
 * Checked for every row: at most max_fields fields; a row without error
 * holds fields within max_field and max_record, each NUL-terminated with no
 * NUL inside; line numbers never go backwards; a row never holds more field
 * bytes than the input bytes it consumed; reading ends (no more rows than
 * input bytes + 1) with csv_bytes_read equal to the file size. Crashes,
 * leaks and sanitizer reports are findings; so is a failed check (abort). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* s_check - abort (a finding) unless cond holds. */
static void
s_check(int cond)
{
	if (!cond)
		abort();
}

/* s_write_all - write len bytes to fd; 0 or -1. */
static int
s_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* s_write_filler - a header "h1,h2\n" and one record "x...x,y\n" sized so
 * that the next byte written lands back bytes before the buffer's end. */
static int
s_write_filler(int fd, size_t back, size_t *written)
{
	static const char head[] = "h1,h2\n";
	size_t total = CSV_BUF_SIZE - back, body = total - (sizeof(head) - 1) - 3;
	char *rec = malloc(body + 3);
	int rc;

	if (rec == NULL)
		return -1;
	memset(rec, 'x', body);
	memcpy(rec + body, ",y\n", 3);
	rc = s_write_all(fd, head, sizeof(head) - 1) == 0 && s_write_all(fd, rec, body + 3) == 0 ? 0 : -1;
	free(rec);
	*written = total;
	return rc;
}

/* s_packets - a socket pair holding data as packets of chunk bytes (at most
 * 128 packets); the read end is returned, *sent says how much went in. */
static int
s_packets(const uint8_t *data, size_t len, size_t chunk, size_t *sent)
{
	int sv[2];

	s_check(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) == 0);
	if (chunk < (len + 127) / 128)
		chunk = (len + 127) / 128;
	*sent = 0;
	while (*sent < len) {
		size_t n = len - *sent < chunk ? len - *sent : chunk;

		if (send(sv[1], data + *sent, n, 0) != (ssize_t)n)
			break; /* socket buffer full: the file is what went in */
		*sent += n;
	}
	close(sv[1]);
	/* reads block again; EOF comes after the last packet */
	s_check(fcntl(sv[0], F_SETFL, 0) == 0);
	return sv[0];
}

/* s_check_row - the invariants of one row. */
static void
s_check_row(const csv_row_t *row, const csv_limits_t *lim, unsigned long prev_end, unsigned long long consumed)
{
	size_t total = 0;

	s_check(row->nfields <= lim->max_fields);
	s_check(row->line > prev_end || prev_end == 0);
	s_check(row->end_line >= row->line);
	for (size_t i = 0; i < row->nfields; i++) {
		s_check(row->fields[i] != NULL);
		s_check(row->fields[i][row->lens[i]] == '\0');
		total += row->lens[i];
		if (row->err == NULL) {
			s_check(row->lens[i] <= lim->max_field);
			s_check(memchr(row->fields[i], '\0', row->lens[i]) == NULL);
		}
	}
	if (row->err == NULL) {
		s_check(row->nfields >= 1);
		s_check(total <= lim->max_record);
	}
	s_check(total <= consumed);
}

/* LLVMFuzzerTestOneInput - read the input as a CSV file, checking each row. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	csv_limits_t lim = CSV_LIMITS_DEFAULT;
	csv_reader_t *r = NULL;
	csv_row_t row;
	unsigned long long before, file_size = 0;
	unsigned long prev_end = 0;
	size_t rows = 0, filler = 0;
	int fd, rc;

	if (size < 3)
		return 0;
	if (data[0] != 'F' && (data[0] & 1)) {
		lim.max_field = 1 + data[1] % 64;
		lim.max_record = 1 + data[2] % 128;
		lim.max_fields = 1 + (data[1] >> 6) * 3;
	}
	if (data[0] != 'F' && (data[0] & 2) && size - 3 <= CSV_BUF_SIZE / 2) {
		/* packets never exceed the buffer's free room, so none is cut */
		fd = s_packets(data + 3, size - 3, 1 + data[1] % 97, &filler);
		file_size = filler;
	} else {
		fd = memfd_create("fuzz_csv", 0);
		s_check(fd >= 0);
		if (data[0] == 'F')
			s_check(s_write_filler(fd, 1 + data[2] % 32, &filler) == 0);
		s_check(s_write_all(fd, data + 3, size - 3) == 0);
		file_size = filler + size - 3;
		s_check(lseek(fd, 0, SEEK_SET) == 0);
	}

	r = csv_new(fd, &lim);
	s_check(r != NULL);
	s_check(csv_delimiter(r) == ',' || csv_delimiter(r) == ';');
	before = csv_bytes_read(r);
	while ((rc = csv_next(r, &row)) == 1) {
		unsigned long long now = csv_bytes_read(r);

		s_check(now > before && now <= file_size);
		s_check_row(&row, &lim, prev_end, now - before);
		prev_end = row.end_line;
		before = now;
		s_check(++rows <= file_size + 1);
	}
	s_check(rc == 0);
	s_check(csv_bytes_read(r) == file_size);
	csv_destroy(&r);
	s_check(r == NULL);
	close(fd);
	return 0;
}
