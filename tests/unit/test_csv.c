/* test_csv - unit tests for the streaming CSV reader (common/csv.c).
 *
 * Input is written to an unlinked temporary file (or a pipe) and the reader
 * is given its file descriptor, as the ingest worker does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "csv.h"

/* s_write_all - write len bytes to fd. */
static void
s_write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		assert_true(n > 0);
		data += n;
		len -= (size_t)n;
	}
}

/* s_fd_with - an unlinked temporary file holding data, positioned at 0. */
static int
s_fd_with(const char *data, size_t len)
{
	char path[] = "/tmp/test_csv_XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	s_write_all(fd, data, len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* s_open - a reader on a temporary file holding data; *fd_p to close. */
static csv_reader_t *
s_open(const char *data, size_t len, const csv_limits_t *lim, int *fd_p)
{
	csv_reader_t *r;

	*fd_p = s_fd_with(data, len);
	r = csv_new(*fd_p, lim);
	assert_non_null(r);
	return r;
}

/* s_close - destroy the reader and close its file. */
static void
s_close(csv_reader_t **r, int fd)
{
	csv_destroy(r);
	assert_null(*r);
	close(fd);
}

/* s_expect - the next row starts on line, has code err (or NULL) and, for a
 * good row, exactly the n fields given. */
static void
s_expect(csv_reader_t *r, unsigned long line, const char *err, size_t n, ...)
{
	csv_row_t row;
	va_list ap;

	assert_int_equal(csv_next(r, &row), 1);
	assert_int_equal(row.line, line);
	if (err == NULL)
		assert_null(row.err);
	else
		assert_string_equal(row.err, err);
	if (err != NULL)
		return;
	assert_int_equal(row.nfields, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		const char *want = va_arg(ap, const char *);

		assert_string_equal(row.fields[i], want);
		assert_int_equal(row.lens[i], strlen(want));
	}
	va_end(ap);
}

/* s_expect_eof - the input is finished, and stays finished. */
static void
s_expect_eof(csv_reader_t *r)
{
	csv_row_t row;

	assert_int_equal(csv_next(r, &row), 0);
	assert_int_equal(csv_next(r, &row), 0);
}

#define S_OPEN(lit, lim, fdp) s_open((lit), sizeof(lit) - 1, (lim), (fdp))

static void
test_simple(void **state)
{
	(void)state;
	const char in[] = "name,age\nAn,30\nBinh,41\n";
	int fd;
	csv_reader_t *r = S_OPEN(in, NULL, &fd);

	assert_int_equal(csv_delimiter(r), ',');
	assert_int_equal(csv_had_bom(r), 0);
	s_expect(r, 1, NULL, 2, "name", "age");
	s_expect(r, 2, NULL, 2, "An", "30");
	s_expect(r, 3, NULL, 2, "Binh", "41");
	s_expect_eof(r);
	assert_int_equal(csv_bytes_read(r), sizeof(in) - 1);
	s_close(&r, fd);
}

static void
test_quoted(void **state)
{
	(void)state;
	const char in[] =
	    "id,text,n\n"
	    "1,\"a,b\",x\n"
	    "2,\"he said \"\"hi\"\"\",y\n"
	    "3,\"multi\nline, with comma\nend\",z\n"
	    "4,plain,w\n"
	    "5,ab\"c,\"\"\n";
	int fd;
	csv_reader_t *r = S_OPEN(in, NULL, &fd);
	csv_row_t row;

	s_expect(r, 1, NULL, 3, "id", "text", "n");
	s_expect(r, 2, NULL, 3, "1", "a,b", "x");
	s_expect(r, 3, NULL, 3, "2", "he said \"hi\"", "y");
	assert_int_equal(csv_next(r, &row), 1);
	assert_null(row.err);
	assert_int_equal(row.line, 4);
	assert_int_equal(row.end_line, 6);
	assert_int_equal(row.nfields, 3);
	assert_string_equal(row.fields[1], "multi\nline, with comma\nend");
	s_expect(r, 7, NULL, 3, "4", "plain", "w");
	/* a quote inside an unquoted field is data; "" is an empty field */
	s_expect(r, 8, NULL, 3, "5", "ab\"c", "");
	s_expect_eof(r);
	s_close(&r, fd);
}

static void
test_bom_crlf(void **state)
{
	(void)state;
	const char in[] =
	    "\xEF\xBB\xBF" "a,b\r\n"
	    "1,2\r\n"
	    "\"x\r\ny\",3\r\n"
	    "\"p\rq\",\"4\"\r\n"
	    "s\rt,5\r\n";
	int fd;
	csv_reader_t *r = S_OPEN(in, NULL, &fd);

	assert_int_equal(csv_had_bom(r), 1);
	assert_int_equal(csv_delimiter(r), ',');
	s_expect(r, 1, NULL, 2, "a", "b");
	s_expect(r, 2, NULL, 2, "1", "2");
	s_expect(r, 3, NULL, 2, "x\r\ny", "3");
	s_expect(r, 5, NULL, 2, "p\rq", "4"); /* a lone CR is data, not a line */
	s_expect(r, 6, NULL, 2, "s\rt", "5");
	s_expect_eof(r);
	assert_int_equal(csv_bytes_read(r), sizeof(in) - 1);
	s_close(&r, fd);
}

static void
test_semicolon(void **state)
{
	(void)state;
	const char in[] =
	    "Mã số thuế;\"Tên, đơn vị\";Kỳ\n"
	    "0300588569;\"Công ty A, B\";2024-01\n"
	    "0100109106;x,y;2024-02\n";
	int fd;
	csv_reader_t *r = S_OPEN(in, NULL, &fd);

	assert_int_equal(csv_delimiter(r), ';');
	s_expect(r, 1, NULL, 3, "Mã số thuế", "Tên, đơn vị", "Kỳ");
	s_expect(r, 2, NULL, 3, "0300588569", "Công ty A, B", "2024-01");
	s_expect(r, 3, NULL, 3, "0100109106", "x,y", "2024-02");
	s_expect_eof(r);
	s_close(&r, fd);
}

static void
test_delimiter_detection(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		char want;
	} cases[] = {
		{ "a;b,c\n", ',' },           /* a tie goes to ',' */
		{ "a;b;c,d\n", ';' },
		{ "\"x;y;z\",b\n", ',' },      /* quoted ones do not count */
		{ "\"x,y,z\";b\n", ';' },
		{ "a,b\n1;2;3;4\n", ',' },     /* only the header counts */
		{ "\n\r\na;b\n", ';' },         /* leading blank lines skipped */
		{ "single\n", ',' },
		{ "", ',' },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd;
		csv_reader_t *r = s_open(cases[i].in, strlen(cases[i].in), NULL, &fd);

		assert_int_equal(csv_delimiter(r), cases[i].want);
		s_close(&r, fd);
	}
}

static void
test_blank_lines(void **state)
{
	(void)state;
	const char in[] = "\n\na,b\n\n\r\n1,2\n\n\n3,4\n\n";
	int fd;
	csv_reader_t *r = S_OPEN(in, NULL, &fd);

	s_expect(r, 3, NULL, 2, "a", "b");
	s_expect(r, 6, NULL, 2, "1", "2");
	s_expect(r, 9, NULL, 2, "3", "4");
	s_expect_eof(r);
	s_close(&r, fd);
}

static void
test_empty_inputs(void **state)
{
	(void)state;
	static const char *const ins[] = { "", "\xEF\xBB\xBF", "\n\r\n\n", "\r" };

	for (size_t i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
		int fd;
		csv_reader_t *r = s_open(ins[i], strlen(ins[i]), NULL, &fd);

		assert_int_equal(csv_had_bom(r), i == 1);
		s_expect_eof(r);
		assert_int_equal(csv_bytes_read(r), strlen(ins[i]));
		s_close(&r, fd);
	}
}

static void
test_no_trailing_newline(void **state)
{
	(void)state;
	int fd;
	csv_reader_t *r = S_OPEN("a,b\n1,2", NULL, &fd);
	csv_row_t row;

	s_expect(r, 1, NULL, 2, "a", "b");
	assert_int_equal(csv_next(r, &row), 1);
	assert_null(row.err);
	assert_int_equal(row.line, 2);
	assert_int_equal(row.end_line, 2);
	assert_string_equal(row.fields[1], "2");
	s_expect_eof(r);
	s_close(&r, fd);

	r = S_OPEN("a,b\n1,", NULL, &fd);
	s_expect(r, 1, NULL, 2, "a", "b");
	s_expect(r, 2, NULL, 2, "1", "");
	s_expect_eof(r);
	s_close(&r, fd);

	r = S_OPEN("a,b\r\n1,\"q\"", NULL, &fd);
	s_expect(r, 1, NULL, 2, "a", "b");
	s_expect(r, 2, NULL, 2, "1", "q");
	s_expect_eof(r);
	s_close(&r, fd);

	r = S_OPEN("a,b\r\n1,2\r", NULL, &fd); /* a cut CRLF */
	s_expect(r, 1, NULL, 2, "a", "b");
	s_expect(r, 2, NULL, 2, "1", "2");
	s_expect_eof(r);
	s_close(&r, fd);
}

static void
test_empty_fields(void **state)
{
	(void)state;
	int fd;
	csv_reader_t *r = S_OPEN("a,b,c\n,,\n\"\",,\"\"\n", NULL, &fd);

	s_expect(r, 1, NULL, 3, "a", "b", "c");
	s_expect(r, 2, NULL, 3, "", "", "");
	s_expect(r, 3, NULL, 3, "", "", "");
	s_expect_eof(r);
	s_close(&r, fd);
}

static void
test_unterminated_quote(void **state)
{
	(void)state;
	int fd;
	csv_reader_t *r = S_OPEN("a,b\n1,\"open\nmore,stuff\n2,3\n", NULL, &fd);
	csv_row_t row;

	s_expect(r, 1, NULL, 2, "a", "b");
	assert_int_equal(csv_next(r, &row), 1);
	assert_int_equal(row.line, 2);
	assert_string_equal(row.err, CSV_E_UNTERMINATED_QUOTE);
	assert_int_equal(row.nfields, 1); /* only the field completed before it */
	assert_string_equal(row.fields[0], "1");
	s_expect_eof(r);
	s_close(&r, fd);
}

/* s_append - append n copies of byte c to buf at *len. */
static void
s_append(char *buf, size_t *len, int c, size_t n)
{
	memset(buf + *len, c, n);
	*len += n;
}

/* s_append_str - append a string to buf at *len. */
static void
s_append_str(char *buf, size_t *len, const char *s)
{
	memcpy(buf + *len, s, strlen(s));
	*len += strlen(s);
}

static void
test_field_too_long(void **state)
{
	(void)state;
	const size_t big = 2u * 1024u * 1024u;
	char *in = malloc(2 * big + 256);
	size_t len = 0;
	int fd;
	csv_reader_t *r;
	csv_row_t row;

	assert_non_null(in);
	s_append_str(in, &len, "id,text\n");
	/* line 2: a quoted 2 MB field with three newlines in it, ends on line 5 */
	s_append_str(in, &len, "1,\"");
	for (int i = 0; i < 4; i++) {
		s_append(in, &len, 'x', big / 4);
		if (i < 3)
			s_append_str(in, &len, i == 1 ? "\"\"\n" : "\n");
	}
	s_append_str(in, &len, "\",tail\n");
	s_append_str(in, &len, "2,ok\n");
	/* line 7: an unquoted 2 MB field */
	s_append_str(in, &len, "3,");
	s_append(in, &len, 'y', big);
	s_append_str(in, &len, "\r\n4,fine\r\n");

	r = s_open(in, len, NULL, &fd);
	s_expect(r, 1, NULL, 2, "id", "text");
	assert_int_equal(csv_next(r, &row), 1);
	assert_string_equal(row.err, CSV_E_FIELD_TOO_LONG);
	assert_int_equal(row.line, 2);
	assert_int_equal(row.end_line, 5);
	s_expect(r, 6, NULL, 2, "2", "ok");
	assert_int_equal(csv_next(r, &row), 1);
	assert_string_equal(row.err, CSV_E_FIELD_TOO_LONG);
	assert_int_equal(row.line, 7);
	assert_int_equal(row.end_line, 7);
	s_expect(r, 8, NULL, 2, "4", "fine");
	s_expect_eof(r);
	assert_int_equal(csv_bytes_read(r), len);
	s_close(&r, fd);
	free(in);
}

static void
test_record_too_long(void **state)
{
	(void)state;
	const csv_limits_t lim = { 8, 10, 16 };
	int fd;
	csv_reader_t *r = S_OPEN("a,b\n12345,678901\n1,2\n12345678,90\n", &lim, &fd);

	s_expect(r, 1, NULL, 2, "a", "b");
	s_expect(r, 2, CSV_E_RECORD_TOO_LONG, 0);
	s_expect(r, 3, NULL, 2, "1", "2");
	s_expect(r, 4, NULL, 2, "12345678", "90"); /* exactly at both limits */
	s_expect_eof(r);
	s_close(&r, fd);
}

static void
test_nul_byte(void **state)
{
	(void)state;
	const char in[] = "a,b\n1,x\0y\n2,z\n3,\"p\0\nq\"\n4,w\n\0\n5,v\n";
	int fd;
	csv_reader_t *r = S_OPEN(in, NULL, &fd);
	csv_row_t row;

	s_expect(r, 1, NULL, 2, "a", "b");
	s_expect(r, 2, CSV_E_NUL_BYTE, 0);
	s_expect(r, 3, NULL, 2, "2", "z");
	assert_int_equal(csv_next(r, &row), 1);
	assert_string_equal(row.err, CSV_E_NUL_BYTE);
	assert_int_equal(row.line, 4);
	assert_int_equal(row.end_line, 5);
	s_expect(r, 6, NULL, 2, "4", "w");
	s_expect(r, 7, CSV_E_NUL_BYTE, 0);
	s_expect(r, 8, NULL, 2, "5", "v");
	s_expect_eof(r);
	s_close(&r, fd);
}

static void
test_bad_quote(void **state)
{
	(void)state;
	const char in[] =
	    "a,b\n"
	    "\"ab\"c,d\n"
	    "1,2\n"
	    "\"ab\" ,d\n"
	    "\"ab\"c\"x,\"y\nz\"\n"
	    "3,4\r\n"
	    "\"ok\",\"\"\"q\"\"\"\r\n";
	int fd;
	csv_reader_t *r = S_OPEN(in, NULL, &fd);

	s_expect(r, 1, NULL, 2, "a", "b");
	s_expect(r, 2, CSV_E_BAD_QUOTE, 0);
	s_expect(r, 3, NULL, 2, "1", "2");
	s_expect(r, 4, CSV_E_BAD_QUOTE, 0);
	/* after the fault the rest of the field is plain; the next field's
	 * quotes still hide its newline */
	s_expect(r, 5, CSV_E_BAD_QUOTE, 0);
	s_expect(r, 7, NULL, 2, "3", "4");
	s_expect(r, 8, NULL, 2, "ok", "\"q\"");
	s_expect_eof(r);
	s_close(&r, fd);
}

static void
test_too_many_fields(void **state)
{
	(void)state;
	const csv_limits_t lim = { 64, 1024, 3 };
	int fd;
	csv_reader_t *r = S_OPEN("a,b,c\n1,2,3,4\n5,6,7\n8,9,10,\n", &lim, &fd);

	s_expect(r, 1, NULL, 3, "a", "b", "c");
	s_expect(r, 2, CSV_E_TOO_MANY_FIELDS, 0);
	s_expect(r, 3, NULL, 3, "5", "6", "7");
	s_expect(r, 4, CSV_E_TOO_MANY_FIELDS, 0); /* a trailing delimiter is a field */
	s_expect_eof(r);
	s_close(&r, fd);
}

static void
test_many_fields_grow(void **state)
{
	(void)state;
	char in[4096];
	size_t len = 0;
	int fd;
	csv_reader_t *r;
	csv_row_t row;

	for (int i = 0; i < 300; i++)
		len += (size_t)snprintf(in + len, sizeof(in) - len, "%s%d", i ? "," : "", i);
	in[len++] = '\n';
	r = s_open(in, len, NULL, &fd);
	assert_int_equal(csv_next(r, &row), 1);
	assert_null(row.err);
	assert_int_equal(row.nfields, 300);
	assert_string_equal(row.fields[0], "0");
	assert_string_equal(row.fields[299], "299");
	s_expect_eof(r);
	s_close(&r, fd);
}

static void
test_buffer_straddle(void **state)
{
	(void)state;
	const size_t big = 200u * 1024u;
	char *in = malloc(3 * big + 256);
	char *want1 = malloc(big + 1), *want2 = malloc(big + 1);
	size_t len = 0, n1 = 0, n2 = 0, lines = 0;
	int fd;
	csv_reader_t *r;
	csv_row_t row;

	assert_non_null(in);
	assert_non_null(want1);
	assert_non_null(want2);
	/* a quoted field with quotes, commas, CRLFs sprinkled at odd offsets */
	while (n1 < big) {
		char c = "abcdefghij"[n1 % 10];

		if (n1 % 997 == 0)
			c = '"';
		else if (n1 % 1009 == 0)
			c = ',';
		else if (n1 % 4099 == 0)
			c = '\n';
		want1[n1++] = c;
		if (c == '\n')
			lines++;
	}
	want1[n1] = '\0';
	for (; n2 < big; n2++)
		want2[n2] = (char)('A' + n2 % 26);
	want2[n2] = '\0';

	s_append_str(in, &len, "h1,h2,h3\n1,\"");
	for (size_t i = 0; i < n1; i++) {
		in[len++] = want1[i];
		if (want1[i] == '"')
			in[len++] = '"';
	}
	s_append_str(in, &len, "\",");
	memcpy(in + len, want2, n2);
	len += n2;
	s_append_str(in, &len, ",end\n2,x,y\n");

	r = s_open(in, len, NULL, &fd);
	s_expect(r, 1, NULL, 3, "h1", "h2", "h3");
	assert_int_equal(csv_next(r, &row), 1);
	assert_null(row.err);
	assert_int_equal(row.line, 2);
	assert_int_equal(row.end_line, 2 + lines);
	assert_int_equal(row.nfields, 4);
	assert_string_equal(row.fields[0], "1");
	assert_int_equal(row.lens[1], n1);
	assert_memory_equal(row.fields[1], want1, n1 + 1);
	assert_int_equal(row.lens[2], n2);
	assert_memory_equal(row.fields[2], want2, n2 + 1);
	assert_string_equal(row.fields[3], "end");
	s_expect(r, 3 + lines, NULL, 3, "2", "x", "y");
	s_expect_eof(r);
	s_close(&r, fd);
	free(in);
	free(want1);
	free(want2);
}

static void
test_crlf_at_buffer_edge(void **state)
{
	(void)state;
	/* put a CRLF, a "" and a blank CRLF line across the 64 KiB boundary */
	static const char *const heads[] = { "a,b\r\nx,", "a,b\r\nx,\"", "a,b\r\nx," };
	static const char *const tails[] = { "\r\n", "\"\"\"\r\n", "\r\n\r\n" };
	char *in = malloc(CSV_BUF_SIZE + 64);

	assert_non_null(in);
	for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
		for (size_t at = CSV_BUF_SIZE - 6; at <= CSV_BUF_SIZE + 2; at++) {
			size_t len = 0, flen = at - strlen(heads[t]) + (t == 1 ? 1 : 0);
			int fd;
			csv_reader_t *r;
			csv_row_t row;

			s_append_str(in, &len, heads[t]);
			s_append(in, &len, 'f', at - len);
			s_append_str(in, &len, tails[t]);
			s_append_str(in, &len, "y,z\r\n");
			r = s_open(in, len, NULL, &fd);
			s_expect(r, 1, NULL, 2, "a", "b");
			assert_int_equal(csv_next(r, &row), 1);
			assert_null(row.err);
			assert_int_equal(row.nfields, 2);
			assert_int_equal(row.lens[1], flen);
			assert_int_equal(row.fields[1][row.lens[1] - 1], t == 1 ? '"' : 'f');
			s_expect(r, t == 2 ? 4 : 3, NULL, 2, "y", "z");
			s_expect_eof(r);
			s_close(&r, fd);
		}
	}
	free(in);
}

static void
test_pipe(void **state)
{
	(void)state;
	/* a writer that trickles the input in small pieces: short reads */
	static const char in[] = "\xEF\xBB\xBF" "k;v\r\n\"a;\r\nb\";2\r\n\r\nc;\"\"\"3\"\"\"\r\n";
	int p[2];
	pid_t pid;
	int status;
	csv_reader_t *r;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		for (size_t i = 0; i < sizeof(in) - 1; i++) {
			if (write(p[1], in + i, 1) != 1)
				_exit(1);
			usleep(200);
		}
		_exit(0);
	}
	close(p[1]);
	r = csv_new(p[0], NULL);
	assert_non_null(r);
	assert_int_equal(csv_had_bom(r), 1);
	assert_int_equal(csv_delimiter(r), ';');
	s_expect(r, 1, NULL, 2, "k", "v");
	s_expect(r, 2, NULL, 2, "a;\r\nb", "2");
	s_expect(r, 5, NULL, 2, "c", "\"3\"");
	s_expect_eof(r);
	assert_int_equal(csv_bytes_read(r), sizeof(in) - 1);
	csv_destroy(&r);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
test_bad_input(void **state)
{
	(void)state;
	const csv_limits_t zero = { 0, 10, 10 };
	int fd = open("/", O_RDONLY | O_DIRECTORY);
	csv_reader_t *r;

	assert_true(fd >= 0);
	errno = 0;
	r = csv_new(fd, NULL); /* read() on a directory fails */
	assert_null(r);
	assert_int_equal(errno, EISDIR);
	close(fd);

	fd = s_fd_with("a\n", 2);
	errno = 0;
	assert_null(csv_new(fd, &zero));
	assert_int_equal(errno, EINVAL);
	close(fd);

	csv_destroy(&r); /* NULL is fine */
	csv_destroy(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_bom_crlf),
		cmocka_unit_test(test_semicolon),
		cmocka_unit_test(test_delimiter_detection),
		cmocka_unit_test(test_blank_lines),
		cmocka_unit_test(test_empty_inputs),
		cmocka_unit_test(test_no_trailing_newline),
		cmocka_unit_test(test_empty_fields),
		cmocka_unit_test(test_unterminated_quote),
		cmocka_unit_test(test_field_too_long),
		cmocka_unit_test(test_record_too_long),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_bad_quote),
		cmocka_unit_test(test_too_many_fields),
		cmocka_unit_test(test_many_fields_grow),
		cmocka_unit_test(test_buffer_straddle),
		cmocka_unit_test(test_crlf_at_buffer_edge),
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
