/* test_log - one record, one line (common/log.c): log_escape on control
 * characters (C0, DEL, C1 in UTF-8, ESC sequences), the Unicode line
 * separators, bytes that are not UTF-8 and backslashes, Vietnamese kept as
 * it is, truncation never cutting an escape or a character; log_msg writing
 * exactly one line whatever the value; log_reopen onto a moved file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static void
expect_escaped(const char *in, const char *want)
{
	char out[256];
	size_t n = log_escape(out, sizeof(out), in);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void
test_escape_c0(void **state)
{
	(void)state;
	expect_escaped("plain text", "plain text");
	expect_escaped("a\nb", "a\\x0ab");
	expect_escaped("a\r\nforged 2017-01-01T00:00:00Z ingest[1] info: x", "a\\x0d\\x0aforged 2017-01-01T00:00:00Z ingest[1] info: x");
	expect_escaped("tab\there", "tab\\x09here");
	expect_escaped("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
	expect_escaped("del\x7f", "del\\x7f");
	expect_escaped("back\\slash", "back\\\\slash");
}

static void
test_escape_unicode(void **state)
{
	(void)state;
	/* Vietnamese stays readable */
	expect_escaped("Bắc Kạn — Chợ Đồn", "Bắc Kạn — Chợ Đồn");
	/* C1 controls in UTF-8: NEL (U+0085) and CSI (U+009B) */
	expect_escaped("a\xc2\x85" "b", "a\\xc2\\x85b");
	expect_escaped("\xc2\x9b" "2J", "\\xc2\\x9b2J");
	/* line and paragraph separators */
	expect_escaped("x\xe2\x80\xa8y\xe2\x80\xa9z", "x\\xe2\\x80\\xa8y\\xe2\\x80\\xa9z");
	/* not UTF-8: a lone continuation, a Latin-1 byte, a cut sequence, an overlong NUL */
	expect_escaped("\x80", "\\x80");
	expect_escaped("caf\xe9!", "caf\\xe9!");
	expect_escaped("\xe1\xba", "\\xe1\\xba");
	expect_escaped("\xc0\x80", "\\xc0\\x80");
}

static void
test_escape_truncates_whole(void **state)
{
	char out[8];

	(void)state;
	/* room for 7 bytes: "ab" then an escape of 4 that fits, then one that does not */
	assert_int_equal(log_escape(out, sizeof(out), "ab\n\ncd"), 6);
	assert_string_equal(out, "ab\\x0a");
	/* a 3-byte character that does not fit is left out whole */
	assert_int_equal(log_escape(out, 6, "abcạ"), 3);
	assert_string_equal(out, "abc");
	assert_int_equal(log_escape(out, 1, "abc"), 0);
	assert_string_equal(out, "");
}

/* s_capture - run log_info with value and return what reached stderr (malloc'd). */
static char *
s_capture(const char *value)
{
	char path[] = "/tmp/test_log.XXXXXX", *buf = calloc(1, 8192);
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0 && buf != NULL);
	unlink(path);
	dup2(fd, STDERR_FILENO);
	log_info("file %s taken", value);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, buf, 8191, 0);
	close(fd);
	assert_true(n > 0);
	return buf;
}

static void
test_msg_one_line(void **state)
{
	char *line, big[3000];

	(void)state;
	log_init("test", LOG_INFO);
	line = s_capture("evil\nname\r\x1b[2K.csv");
	assert_non_null(strstr(line, " test["));
	assert_non_null(strstr(line, "info: file evil\\x0aname\\x0d\\x1b[2K.csv taken\n"));
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
	free(line);
	/* a value longer than a record: cut, still one line */
	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	line = s_capture(big);
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
	assert_true(strlen(line) <= 2048);
	free(line);
}

static void
test_reopen(void **state)
{
	char dir[] = "/tmp/test_log_dir.XXXXXX", path[128], moved[128], buf[512];
	int saved = dup(STDERR_FILENO), savedout = dup(STDOUT_FILENO), fd;
	ssize_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/w.log", dir);
	snprintf(moved, sizeof(moved), "%s/w.log.1", dir);
	assert_int_equal(log_reopen(NULL), 0); /* $BHXH_LOG_FILE unset: nothing */
	assert_int_equal(log_reopen(path), 0);
	log_info("before");
	assert_int_equal(rename(path, moved), 0);
	setenv("BHXH_LOG_FILE", path, 1);
	assert_int_equal(log_reopen(NULL), 0);
	log_info("after");
	unsetenv("BHXH_LOG_FILE");
	dup2(saved, STDERR_FILENO);
	dup2(savedout, STDOUT_FILENO);
	close(saved);
	close(savedout);
	fd = open(moved, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	assert_non_null(strstr(buf, "before"));
	assert_null(strstr(buf, "after"));
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	assert_non_null(strstr(buf, "after"));
	assert_null(strstr(buf, "before"));
	unlink(path);
	unlink(moved);
	rmdir(dir);
}

/* s_log_debug_lines - a thread that logs while the level changes (the ZAP
 * thread of curve.c logs while a reload sets log_level). */
static void *
s_log_debug_lines(void *arg)
{
	for (int i = 0; i < 20000; i++)
		log_debug("debug line %d", i);
	return arg;
}

/* A reload sets the level while other threads log: the level is read and
 * written atomically (run under -fsanitize=thread to see a race). Nothing is
 * printed: the levels set never include debug. */
static void
test_set_level_while_threads_log(void **state)
{
	pthread_t t;

	(void)state;
	log_init("test", LOG_WARN);
	assert_int_equal(pthread_create(&t, NULL, s_log_debug_lines, NULL), 0);
	for (int i = 0; i < 20000; i++)
		log_set_level(i % 2 ? LOG_WARN : LOG_ERROR);
	assert_int_equal(pthread_join(t, NULL), 0);
	log_set_level(LOG_INFO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_c0),
		cmocka_unit_test(test_escape_unicode),
		cmocka_unit_test(test_escape_truncates_whole),
		cmocka_unit_test(test_msg_one_line),
		cmocka_unit_test(test_reopen),
		cmocka_unit_test(test_set_level_while_threads_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
