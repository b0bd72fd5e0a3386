/* test_fsutil - durable file operations and the string buffer
 * (common/fsutil.c): fs_mkdirs, fs_write_atomic / fs_replace (content, mode,
 * no temp file left, the old content kept on every failure, a concurrent
 * reader never sees half a file), fs_move, fs_fsync_dir, fs_name_prefix on
 * UTF-8, sb_* growth and escaping, and fs_fnv1a. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"

typedef struct {
	char dir[64];
} fx_t;

static int
setup(void **state)
{
	fx_t *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/bhxh-ut.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fx_t *f = *state;
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx %s; rm -rf %s", f->dir, f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* s_read - the whole file into a malloc'd, NUL-terminated buffer; NULL if it cannot be read. */
static char *
s_read(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (fp == NULL)
		return NULL;
	for (;;) {
		size_t r;

		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		r = fread(buf + n, 1, cap - n, fp);
		n += r;
		if (r == 0)
			break;
	}
	fclose(fp);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

/* s_count_entries - entries of dir other than . and .. */
static int
s_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* s_is_dir - path exists and is a directory. */
static int
s_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* s_write_plain - create path with content, non-atomically (a fixture). */
static void
s_write_plain(const char *path, const char *s)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(s, 1, strlen(s), fp), strlen(s));
	assert_int_equal(fclose(fp), 0);
}

/* s_assert_content - path holds exactly s. */
static void
s_assert_content(const char *path, const char *s)
{
	size_t n = 0;
	char *got = s_read(path, &n);

	assert_non_null(got);
	assert_int_equal(n, strlen(s));
	assert_memory_equal(got, s, n);
	free(got);
}

/* --- fs_mkdirs */

/* test_mkdirs_nested - every missing parent is created, mode 0750 (under umask 0). */
static void
test_mkdirs_nested(void **state)
{
	fx_t *f = *state;
	char path[256];
	struct stat st;
	mode_t old = umask(0);

	snprintf(path, sizeof(path), "%s/a/b/c/d", f->dir);
	assert_int_equal(fs_mkdirs(path), 0);
	umask(old);
	assert_true(s_is_dir(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	snprintf(path, sizeof(path), "%s/a/b", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	/* a trailing slash is the same directory */
	snprintf(path, sizeof(path), "%s/e/f/", f->dir);
	assert_int_equal(fs_mkdirs(path), 0);
	snprintf(path, sizeof(path), "%s/e/f", f->dir);
	assert_true(s_is_dir(path));
}

/* test_mkdirs_existing - an existing directory is success and keeps its mode and contents. */
static void
test_mkdirs_existing(void **state)
{
	fx_t *f = *state;
	char path[256], file[300];
	struct stat st;

	snprintf(path, sizeof(path), "%s/x/y", f->dir);
	assert_int_equal(fs_mkdirs(path), 0);
	assert_int_equal(chmod(path, 0700), 0);
	snprintf(file, sizeof(file), "%s/keep", path);
	s_write_plain(file, "kept");
	assert_int_equal(fs_mkdirs(path), 0);
	assert_int_equal(fs_mkdirs(f->dir), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	s_assert_content(file, "kept");
}

/* test_mkdirs_refused - too long, empty, and a parent that is a file. */
static void
test_mkdirs_refused(void **state)
{
	fx_t *f = *state;
	char *path = malloc(5000), file[300];
	size_t n;

	assert_non_null(path);
	n = (size_t)snprintf(path, 5000, "%s/", f->dir);
	memset(path + n, 'a', 4999 - n); /* 4999 bytes: longer than any path */
	path[4999] = '\0';
	assert_int_equal(fs_mkdirs(path), -1);
	assert_int_equal(s_count_entries(f->dir), 0); /* not even a part of it */
	free(path);
	assert_int_equal(fs_mkdirs(""), -1);
	/* a short path with one name longer than a file system allows */
	n = (size_t)snprintf(file, sizeof(file), "%s/ok/", f->dir);
	memset(file + n, 'n', sizeof(file) - 1 - n);
	file[sizeof(file) - 1] = '\0';
	assert_true(strlen(file) - n > 200);
	assert_int_equal(fs_mkdirs(file), -1);
	snprintf(file, sizeof(file), "%s/plain", f->dir);
	s_write_plain(file, "x");
	snprintf(file, sizeof(file), "%s/plain/sub", f->dir);
	assert_int_equal(fs_mkdirs(file), -1);
}

/* test_mkdirs_file_in_the_way - like mkdir -p, a path that names an existing
 * file is an error, not a directory (a caller would go on to fail later,
 * with a less clear reason). */
static void
test_mkdirs_file_in_the_way(void **state)
{
	fx_t *f = *state;
	char file[256];

	snprintf(file, sizeof(file), "%s/run", f->dir);
	s_write_plain(file, "not a directory");
	errno = 0;
	assert_int_equal(fs_mkdirs(file), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_false(s_is_dir(file));
	s_assert_content(file, "not a directory");
	/* a symbolic link to a directory is a directory */
	snprintf(file, sizeof(file), "%s/real", f->dir);
	assert_int_equal(mkdir(file, 0700), 0);
	snprintf(file, sizeof(file), "%s/link", f->dir);
	assert_int_equal(symlink("real", file), 0);
	assert_int_equal(fs_mkdirs(file), 0);
}

/* --- fs_write_atomic / fs_replace */

/* test_write_content_and_mode - exact bytes (NUL included), 0640 under umask 027, no temp file. */
static void
test_write_content_and_mode(void **state)
{
	fx_t *f = *state;
	static const char bin[] = "a\0b\nc\xff";
	char path[256], *got;
	struct stat st;
	size_t n;
	mode_t old = umask(027);

	snprintf(path, sizeof(path), "%s/r.csv", f->dir);
	assert_int_equal(fs_write_atomic(path, bin, sizeof(bin) - 1), 0);
	got = s_read(path, &n);
	assert_int_equal(n, sizeof(bin) - 1);
	assert_memory_equal(got, bin, n);
	free(got);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	/* replaced: new content, still 0640, even over a file of another mode */
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(fs_write_atomic(path, "new\n", 4), 0);
	s_assert_content(path, "new\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	/* fs_replace: the same without fsync */
	snprintf(path, sizeof(path), "%s/w.status", f->dir);
	assert_int_equal(fs_replace(path, "one", 3), 0);
	assert_int_equal(fs_replace(path, "two two", 7), 0);
	s_assert_content(path, "two two");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	/* empty content is an empty file */
	assert_int_equal(fs_write_atomic(path, "", 0), 0);
	s_assert_content(path, "");
	umask(old);
	assert_int_equal(s_count_entries(f->dir), 2); /* r.csv and w.status: no temp file */
}

/* test_write_missing_dir - a file in a directory that does not exist: -1, nothing created. */
static void
test_write_missing_dir(void **state)
{
	fx_t *f = *state;
	char path[256];

	snprintf(path, sizeof(path), "%s/nodir/r.csv", f->dir);
	assert_int_equal(fs_write_atomic(path, "x", 1), -1);
	assert_int_equal(fs_replace(path, "x", 1), -1);
	assert_int_equal(s_count_entries(f->dir), 0);
}

/* test_write_unwritable_dir_keeps_old - the file itself is writable but its
 * directory cannot hold a temp file beside it: the write fails and the old
 * content stays (a writer that truncated the file in place would succeed and
 * expose half-written content). Run by an unprivileged child: as root it
 * drops to nobody; otherwise the directory is made read-only. */
static void
test_write_unwritable_dir_keeps_old(void **state)
{
	fx_t *f = *state;
	char sub[128], path[256];
	pid_t pid;
	int status;

	snprintf(sub, sizeof(sub), "%s/ro", f->dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(path, sizeof(path), "%s/coverage.csv", sub);
	s_write_plain(path, "old content\n");
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(chmod(f->dir, 0755), 0);
	if (geteuid() != 0)
		assert_int_equal(chmod(sub, 0555), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int a, b;

		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(10);
		if (access(path, W_OK) != 0)
			_exit(11); /* the test needs the file itself to be writable */
		a = fs_write_atomic(path, "NEW CONTENT THAT MUST NOT APPEAR\n", 33);
		b = fs_replace(path, "NEW CONTENT THAT MUST NOT APPEAR\n", 33);
		_exit(a == -1 && b == -1 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	s_assert_content(path, "old content\n");
	assert_int_equal(s_count_entries(sub), 1);
}

/* test_write_fails_midway_keeps_old - a write that fails half-way (the file
 * size limit, like a full disk) returns -1, leaves the old content and no
 * temp file. */
static void
test_write_fails_midway_keeps_old(void **state)
{
	fx_t *f = *state;
	char path[256];
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "%s/findings.csv", f->dir);
	assert_int_equal(fs_write_atomic(path, "old\n", 4), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 4096, 4096 };
		size_t len = 256 * 1024;
		char *big = malloc(len);
		int a, b;

		if (big == NULL)
			_exit(10);
		memset(big, 'N', len);
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(11);
		a = fs_write_atomic(path, big, len);
		b = fs_replace(path, big, len);
		free(big);
		_exit(a == -1 && b == -1 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	s_assert_content(path, "old\n");
	assert_int_equal(s_count_entries(f->dir), 1);
}

/* test_reader_never_sees_half - a child reads the file over and over while
 * the parent replaces it thousands of times with contents of two different
 * sizes: every read is one whole version. */
static void
test_reader_never_sees_half(void **state)
{
	fx_t *f = *state;
	enum { SZ_A = 100000, SZ_B = 37000, ROUNDS = 2000 };
	char path[256], go;
	char *a = malloc(SZ_A), *b = malloc(SZ_B);
	int started[2], done[2], status;
	pid_t pid;

	assert_non_null(a);
	assert_non_null(b);
	memset(a, 'A', SZ_A);
	memset(b, 'B', SZ_B);
	snprintf(path, sizeof(path), "%s/coverage.json", f->dir);
	assert_int_equal(fs_replace(path, a, SZ_A), 0);
	assert_int_equal(pipe(started), 0);
	assert_int_equal(pipe(done), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		long reads = 0, bad = 0;

		close(started[0]);
		close(done[1]);
		if (write(started[1], "g", 1) != 1)
			_exit(12);
		for (;;) {
			struct pollfd p = { done[0], POLLIN, 0 };
			size_t n = 0;
			char *got = s_read(path, &n);
			int ok = got != NULL &&
			    ((n == SZ_A && got[0] == 'A' && got[n - 1] == 'A' && memchr(got, 'B', n) == NULL) ||
			    (n == SZ_B && got[0] == 'B' && got[n - 1] == 'B' && memchr(got, 'A', n) == NULL));

			free(got);
			reads++;
			if (!ok)
				bad++;
			if (poll(&p, 1, 0) > 0)
				break; /* the writer is done */
		}
		_exit(bad > 0 ? 1 : reads < 10 ? 2 : 0);
	}
	close(started[1]);
	close(done[0]);
	assert_int_equal(read(started[0], &go, 1), 1);
	for (int i = 0; i < ROUNDS; i++) {
		int even = i % 2 == 0;

		if (i % 50 == 0)
			assert_int_equal(fs_write_atomic(path, even ? b : a, even ? SZ_B : SZ_A), 0);
		else
			assert_int_equal(fs_replace(path, even ? b : a, even ? SZ_B : SZ_A), 0);
	}
	close(done[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(started[0]);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(s_count_entries(f->dir), 1);
	free(a);
	free(b);
}

/* --- fs_move, fs_fsync_dir */

/* test_move - to another directory, over an existing file; a missing source fails. */
static void
test_move(void **state)
{
	fx_t *f = *state;
	char src[256], dst[256], dir[256];

	snprintf(dir, sizeof(dir), "%s/archive/bhxh", f->dir);
	assert_int_equal(fs_mkdirs(dir), 0);
	snprintf(src, sizeof(src), "%s/incoming.csv", f->dir);
	snprintf(dst, sizeof(dst), "%s/archive/bhxh/done.csv", f->dir);
	s_write_plain(src, "rows\n");
	assert_int_equal(fs_move(src, dst), 0);
	assert_int_equal(access(src, F_OK), -1);
	s_assert_content(dst, "rows\n");
	/* over an existing file: replaced */
	s_write_plain(src, "second\n");
	assert_int_equal(fs_move(src, dst), 0);
	s_assert_content(dst, "second\n");
	assert_int_equal(s_count_entries(dir), 1);
	/* nothing to move */
	assert_int_equal(fs_move(src, dst), -1);
	s_assert_content(dst, "second\n");
	/* into a directory that does not exist */
	s_write_plain(src, "third\n");
	snprintf(dst, sizeof(dst), "%s/nodir/x.csv", f->dir);
	assert_int_equal(fs_move(src, dst), -1);
	s_assert_content(src, "third\n");
}

/* test_fsync_dir - the directory of an existing path syncs; a missing one fails. */
static void
test_fsync_dir(void **state)
{
	fx_t *f = *state;
	char path[256];

	snprintf(path, sizeof(path), "%s/any-name", f->dir);
	assert_int_equal(fs_fsync_dir(path), 0);
	snprintf(path, sizeof(path), "%s/nodir/any-name", f->dir);
	assert_int_equal(fs_fsync_dir(path), -1);
}

/* --- fs_name_prefix */

/* s_valid_utf8_prefix - name[0..n) ends on a character boundary of name. */
static int
s_boundary(const char *name, size_t n)
{
	return n == 0 || name[n] == '\0' || ((unsigned char)name[n] & 0xC0) != 0x80;
}

/* test_name_prefix_ascii - a short name whole, a long one cut at max. */
static void
test_name_prefix_ascii(void **state)
{
	(void)state;
	assert_int_equal(fs_name_prefix("participant.csv", 100), 15);
	assert_int_equal(fs_name_prefix("participant.csv", 15), 15); /* exact fit */
	assert_int_equal(fs_name_prefix("participant.csv", 14), 14);
	assert_int_equal(fs_name_prefix("participant.csv", 1), 1);
	assert_int_equal(fs_name_prefix("participant.csv", 0), 0);
	assert_int_equal(fs_name_prefix("", 0), 0);
	assert_int_equal(fs_name_prefix("", 10), 0);
}

/* test_name_prefix_utf8 - never a partial character, and whole characters
 * kept when they fit exactly. "Đức" is C4 90 | E1 BB A9 | 63; the emoji is 4 bytes. */
static void
test_name_prefix_utf8(void **state)
{
	static const char duc[] = "\xC4\x90\xE1\xBB\xA9" "c";
	static const char emoji[] = "a\xF0\x9F\x98\x80" "b";
	static const struct { const char *name; size_t max, want; } cases[] = {
		{ duc, 0, 0 }, { duc, 1, 0 }, { duc, 2, 2 }, { duc, 3, 2 }, { duc, 4, 2 }, { duc, 5, 5 },
		{ duc, 6, 6 }, { duc, 7, 6 },
		{ emoji, 1, 1 }, { emoji, 2, 1 }, { emoji, 3, 1 }, { emoji, 4, 1 }, { emoji, 5, 5 },
		{ emoji, 6, 6 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t got = fs_name_prefix(cases[i].name, cases[i].max);

		if (got != cases[i].want)
			fail_msg("case %zu: max %zu gave %zu, want %zu", i, cases[i].max, got, cases[i].want);
	}
	/* every cut of a long Vietnamese name is on a boundary and as long as allowed */
	{
		const char *name = "bảo_hiểm_xã_hội_tỉnh_Bắc_Kạn_tháng_03_năm_2017_Đợt_bổ_sung.csv";
		size_t len = strlen(name);

		for (size_t max = 0; max <= len + 2; max++) {
			size_t got = fs_name_prefix(name, max);

			assert_true(got <= max);
			assert_true(s_boundary(name, got));
			assert_true(max - got < 4 || got == len); /* a character is at most 4 bytes */
			if (max >= len)
				assert_int_equal(got, len);
		}
	}
}

/* --- sb_* */

/* test_sb_growth - many appends keep every byte; the buffer is always NUL-terminated. */
static void
test_sb_growth(void **state)
{
	sb_t b;

	(void)state;
	sb_init(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	sb_add(&b, "");
	assert_non_null(b.data); /* an empty string, not NULL */
	assert_string_equal(b.data, "");
	for (int i = 0; i < 10000; i++)
		sb_addn(&b, (i % 2) ? "xy" : "z", (i % 2) ? 2 : 1);
	assert_int_equal(b.len, 15000);
	assert_true(b.cap > b.len);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(strlen(b.data), 15000);
	assert_memory_equal(b.data, "zxyzxy", 6);
	assert_memory_equal(b.data + 14997, "zxy", 3);
	/* sb_addn takes exactly n bytes, even from a longer string */
	sb_free(&b);
	assert_null(b.data);
	sb_addn(&b, "abcdef", 3);
	assert_string_equal(b.data, "abc");
	sb_addn(&b, "big block", 0);
	assert_string_equal(b.data, "abc");
	sb_free(&b);
}

/* test_sb_addf_long - formatted strings past the small stack buffer arrive whole. */
static void
test_sb_addf_long(void **state)
{
	size_t n = 100000;
	char *big = malloc(n + 1);
	sb_t b;

	(void)state;
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	big[n] = '\0';
	sb_init(&b);
	sb_addf(&b, "[%d]", 7);
	sb_addf(&b, "<%s|%d>", big, 42);
	assert_int_equal(b.len, 3 + 1 + n + 4);
	assert_memory_equal(b.data, "[7]<", 4);
	assert_memory_equal(b.data + 4, big, n);
	assert_string_equal(b.data + 4 + n, "|42>");
	sb_free(&b);
	/* exactly at the stack buffer's size, and one byte either side */
	for (size_t k = 510; k <= 513; k++) {
		big[k] = '\0';
		sb_addf(&b, "%s", big);
		assert_int_equal(b.len, k);
		assert_memory_equal(b.data, big, k);
		sb_free(&b);
		big[k] = (char)('a' + k % 26);
	}
	free(big);
}

/* test_sb_json_str - quotes, backslashes, every control character, UTF-8 untouched, NULL. */
static void
test_sb_json_str(void **state)
{
	sb_t b;
	char in[40], want[8];

	(void)state;
	sb_init(&b);
	sb_json_str(&b, NULL);
	assert_string_equal(b.data, "null");
	sb_free(&b);
	sb_json_str(&b, "");
	assert_string_equal(b.data, "\"\"");
	sb_free(&b);
	sb_json_str(&b, "say \"hi\" \\ C:\\dir\\");
	assert_string_equal(b.data, "\"say \\\"hi\\\" \\\\ C:\\\\dir\\\\\"");
	sb_free(&b);
	sb_json_str(&b, "a\nb\rc\td");
	assert_string_equal(b.data, "\"a\\nb\\rc\\td\"");
	sb_free(&b);
	sb_json_str(&b, "Công ty Đức \x7f");
	assert_string_equal(b.data, "\"Công ty Đức \\u007f\"");
	sb_free(&b);
	/* JSON is UTF-8: a byte that is not part of a valid character becomes U+FFFD,
	 * valid 2-, 3- and 4-byte characters pass whole */
	sb_json_str(&b, "a\xff b\xc3 c\xed\xa0\x80 d\xf0\x9f\x98\x80 \xe2\x82\xac \xc3\xa9");
	assert_string_equal(b.data, "\"a\\ufffd b\\ufffd c\\ufffd\\ufffd\\ufffd d\xf0\x9f\x98\x80 \xe2\x82\xac \xc3\xa9\"");
	sb_free(&b);
	/* every other control character as \u00XX, lower-case hex */
	for (int c = 1; c < 0x20; c++) {
		if (c == '\n' || c == '\r' || c == '\t')
			continue;
		snprintf(in, sizeof(in), "x%cy", c);
		sb_json_str(&b, in);
		snprintf(want, sizeof(want), "\\u%04x", c);
		assert_int_equal(b.len, 1 + 1 + 6 + 1 + 1);
		assert_memory_equal(b.data + 2, want, 6);
		assert_memory_equal(b.data + 8, "y\"", 2);
		sb_free(&b);
	}
	/* appended after what is there */
	sb_add(&b, "{\"k\":");
	sb_json_str(&b, "v");
	sb_add(&b, "}");
	assert_string_equal(b.data, "{\"k\":\"v\"}");
	sb_free(&b);
}

/* test_sb_csv_field - quoted only when needed; quotes doubled; NULL adds nothing. */
static void
test_sb_csv_field(void **state)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "plain", "plain" },
		{ "", "" },
		{ "Bắc Kạn", "Bắc Kạn" },
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "\"", "\"\"\"\"" },
		{ "line1\nline2", "\"line1\nline2\"" },
		{ "cr\r", "\"cr\r\"" },
		{ "semi;colon and 'single'", "semi;colon and 'single'" },
		{ "tab\there", "tab\there" },
	};
	sb_t b;

	(void)state;
	sb_init(&b);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sb_add(&b, "");
		sb_csv_field(&b, cases[i].in);
		assert_string_equal(b.data, cases[i].want);
		sb_free(&b);
	}
	sb_add(&b, "x,");
	sb_csv_field(&b, NULL);
	sb_add(&b, ",");
	sb_csv_field(&b, "a\"b");
	assert_string_equal(b.data, "x,,\"a\"\"b\"");
	sb_free(&b);
}

/* test_fnv1a - the published 64-bit FNV-1a values; a hash continued over
 * two pieces is the hash of the whole. */
static void
test_fnv1a(void **state)
{
	(void)state;
	assert_true(fs_fnv1a(FS_FNV1A_INIT, "", 0) == 0xcbf29ce484222325ULL);
	assert_true(fs_fnv1a(FS_FNV1A_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL);
	assert_true(fs_fnv1a(FS_FNV1A_INIT, "foobar", 6) == 0x85944171f73967e8ULL);
	assert_true(fs_fnv1a(fs_fnv1a(FS_FNV1A_INIT, "foo", 3), "bar", 3) == 0x85944171f73967e8ULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mkdirs_nested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdirs_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdirs_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdirs_file_in_the_way, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_content_and_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_unwritable_dir_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_fails_midway_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_never_sees_half, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_dir, setup, teardown),
		cmocka_unit_test(test_name_prefix_ascii),
		cmocka_unit_test(test_name_prefix_utf8),
		cmocka_unit_test(test_sb_growth),
		cmocka_unit_test(test_sb_addf_long),
		cmocka_unit_test(test_sb_json_str),
		cmocka_unit_test(test_sb_csv_field),
		cmocka_unit_test(test_fnv1a),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
