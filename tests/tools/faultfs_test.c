/* faultfs_test - the self-test of the fault-injection shim
 * (tests/tools/faultfs.c, bin/tests/libfaultfs.so), built as
 * bin/tests/test_faultfs and run with the unit tests.
 *
 * Each test writes a rules file and runs this same program again as a child
 * with LD_PRELOAD=libfaultfs.so (found beside the executable) under a chosen
 * program name (argv[0], which is what prog= matches). The child runs one
 * scenario -- a sequence of calls -- and prints one word per call: "ok" or
 * the errno name; the parent compares that line and the shim's log lines on
 * stderr. Proved: rules fire for every intercepted call (write, pwrite,
 * pwrite64, writev, fsync, fdatasync, open/openat/creat with O_CREAT,
 * rename/renameat/renameat2, ftruncate) and for SQLite's own writes and
 * syncs; after, count, every and a seeded probability; path filters on an
 * fd's path and on open/rename arguments, also relative ones; prog= with a
 * name and a prefix; fds that are not files left alone unless fd=any; the
 * rules file read again when it changes or disappears; bad rules skipped
 * with a message; exact counts under four threads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char s_self[PATH_MAX]; /* this executable */
static char s_lib[PATH_MAX];  /* libfaultfs.so beside it */
static char s_dir[PATH_MAX];  /* a temporary directory for every test */
static char s_rules[PATH_MAX + 16];

/* ------------------------------------------------------------ the child */

static char s_line[8192];

/* s_res - record the result of one call: rc < 0 is a failure with errno. */
static void
s_res(long rc)
{
	const char *w = "ok";
	char num[32];

	if (rc < 0) {
		switch (errno) {
		case EIO: w = "EIO"; break;
		case ENOSPC: w = "ENOSPC"; break;
		case EDQUOT: w = "EDQUOT"; break;
		case EROFS: w = "EROFS"; break;
		case EACCES: w = "EACCES"; break;
		case EXDEV: w = "EXDEV"; break;
		default: snprintf(num, sizeof(num), "E%d", errno); w = num;
		}
	}
	if (s_line[0] != '\0')
		strcat(s_line, " ");
	strcat(s_line, w);
}

/* s_open_w - open (create) dir/name for writing. */
static int
s_open_w(const char *name)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", s_dir, name);
	return open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
}

/* s_make - create dir/name (empty) past the shim, with the raw system call. */
static void
s_make(const char *name)
{
	char p[PATH_MAX + 64];
	long fd;

	snprintf(p, sizeof(p), "%s/%s", s_dir, name);
	fd = syscall(SYS_openat, AT_FDCWD, p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror(p);
		exit(3);
	}
	close((int)fd);
}

/* s_open_old - open the existing dir/name for writing (no O_CREAT). */
static int
s_open_old(const char *name)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", s_dir, name);
	return open(p, O_WRONLY);
}

/* s_put_rules_inplace - overwrite the rules file in place: same inode, and
 * the same size when text is as long as before; only the mtime tells. */
static void
s_put_rules_inplace(const char *text)
{
	FILE *f = fopen(s_rules, "r+");

	if (f == NULL) {
		perror(s_rules);
		exit(3);
	}
	fputs(text, f);
	fclose(f);
}

/* s_put_rules - replace the rules file with text (through a rename, as a test would). */
static void
s_put_rules(const char *text)
{
	char tmp[PATH_MAX + 32];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", s_rules);
	f = fopen(tmp, "w");
	if (f == NULL) {
		perror(tmp);
		exit(3);
	}
	fputs(text, f);
	fclose(f);
	if (rename(tmp, s_rules) != 0) {
		perror(s_rules);
		exit(3);
	}
}

/* s_pause_ms - sleep ms milliseconds. */
static void
s_pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

struct s_thr {
	int fd, fails;
};

static void *
s_thread(void *arg)
{
	struct s_thr *t = arg;

	for (int i = 0; i < 1000; i++)
		if (write(t->fd, "x", 1) < 0)
			t->fails++;
	return NULL;
}

/* s_child - run scenario argv[1] (with argument argv[2]) and print its line. */
static int
s_child(int argc, char **argv)
{
	const char *sc = argv[1];
	int n = argc > 2 ? atoi(argv[2]) : 0, fd;
	char p[PATH_MAX + 64], q[PATH_MAX + 64];

	snprintf(s_dir, sizeof(s_dir), "%s", getenv("FAULTFS_TEST_DIR"));
	snprintf(s_rules, sizeof(s_rules), "%s", getenv("BHXH_FAULTS_FILE"));
	if (strcmp(sc, "write") == 0) {
		fd = s_open_w("w.dat");
		for (int i = 0; i < n; i++)
			s_res(write(fd, "x", 1));
		close(fd);
	} else if (strcmp(sc, "fsync") == 0) {
		fd = s_open_w("w.dat");
		for (int i = 0; i < n; i++)
			s_res(fsync(fd));
		close(fd);
	} else if (strcmp(sc, "every_call") == 0) {
		/* one of each intercepted call, in this order */
		struct iovec iov = { "x", 1 };
		int dfd = open(s_dir, O_RDONLY | O_DIRECTORY);

		s_make("f");
		snprintf(p, sizeof(p), "%s/g", s_dir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/h", s_dir);
		unlink(p);
		fd = s_open_old("f");
		s_res(write(fd, "x", 1));
		s_res(pwrite(fd, "x", 1, 0));
		s_res(pwrite64(fd, "x", 1, 0));
		s_res(writev(fd, &iov, 1));
		s_res(fsync(fd));
		s_res(fdatasync(fd));
		s_res(ftruncate(fd, 0));
		close(fd);
		snprintf(p, sizeof(p), "%s/g", s_dir);
		s_res(fd = open(p, O_WRONLY | O_CREAT, 0600));
		if (fd >= 0)
			close(fd);
		s_res(fd = openat(dfd, "h", O_WRONLY | O_CREAT, 0600));
		if (fd >= 0)
			close(fd);
		s_res(fd = creat(p, 0600));
		if (fd >= 0)
			close(fd);
		s_res(fd = open(s_rules, O_RDONLY)); /* no O_CREAT: never fails */
		if (fd >= 0)
			close(fd);
		snprintf(q, sizeof(q), "%s/f", s_dir);
		s_res(rename(q, p));
		s_res(renameat(dfd, "f", dfd, "g"));
		s_res(renameat2(dfd, "f", dfd, "g", 0));
		close(dfd);
	} else if (strcmp(sc, "paths") == 0) {
		/* fds in db/ and spool/, then opens by absolute and relative path */
		int a, b;

		static const char *const gone[] = { "db/new", "spool/new", "db/moved", "spool/d" };

		snprintf(p, sizeof(p), "%s/db", s_dir);
		mkdir(p, 0700);
		snprintf(p, sizeof(p), "%s/spool", s_dir);
		mkdir(p, 0700);
		for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
			snprintf(p, sizeof(p), "%s/%s", s_dir, gone[i]);
			unlink(p);
		}
		s_make("db/a");
		s_make("spool/b");
		s_make("spool/c");
		a = s_open_old("db/a");
		b = s_open_old("spool/b");
		for (int i = 0; i < 2; i++) {
			s_res(write(a, "x", 1));
			s_res(write(b, "x", 1));
		}
		/* an fd number used again after close is looked up again */
		close(a);
		close(b);
		b = s_open_old("spool/c");
		s_res(write(b, "x", 1));
		close(b);
		if (chdir(s_dir) != 0)
			return 3;
		s_res(fd = open("db/new", O_WRONLY | O_CREAT, 0600));
		if (fd >= 0)
			close(fd);
		s_res(fd = open("spool/new", O_WRONLY | O_CREAT, 0600));
		if (fd >= 0)
			close(fd);
		s_res(rename("spool/new", "db/moved"));
		s_res(rename("spool/c", "spool/d"));
	} else if (strcmp(sc, "pipe") == 0) {
		int pfd[2];

		if (pipe(pfd) != 0)
			return 3;
		s_res(write(pfd[1], "x", 1));
		fd = s_open_w("w.dat");
		s_res(write(fd, "x", 1));
		close(fd);
	} else if (strcmp(sc, "reload") == 0) {
		/* the rules change under the running process; n ms between checks */
		fd = s_open_w("r.dat");
		s_res(write(fd, "x", 1));
		s_put_rules("op=write errno=ENOSPC path=/r.dat\n");
		s_pause_ms(n);
		s_res(write(fd, "x", 1));
		s_put_rules_inplace("op=write errno=EDQUOT path=/r.dat\n");
		s_pause_ms(n);
		s_res(write(fd, "x", 1));
		s_put_rules("# all off\n");
		s_pause_ms(n);
		s_res(write(fd, "x", 1));
		s_put_rules("op=write errno=ENOSPC path=/r.dat count=1\n");
		s_pause_ms(n);
		s_res(write(fd, "x", 1));
		s_res(write(fd, "x", 1));
		unlink(s_rules);
		s_pause_ms(n);
		s_res(write(fd, "x", 1));
		close(fd);
	} else if (strcmp(sc, "sqlite") == 0) {
		/* SQLite's own calls: a commit fails, then the next one works */
		sqlite3 *db;

		snprintf(p, sizeof(p), "%s/t.db", s_dir);
		if (sqlite3_open(p, &db) != SQLITE_OK)
			return 3;
		sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, NULL);
		s_res(sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS t(x)", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1);
		s_put_rules(argv[2]);
		s_pause_ms(150);
		for (int i = 0; i < 3; i++) {
			int rc = sqlite3_exec(db, "INSERT INTO t VALUES (randomblob(5000))", NULL, NULL, NULL);

			errno = rc == SQLITE_FULL ? ENOSPC : EIO;
			s_res(rc == SQLITE_OK ? 0 : -1);
		}
		sqlite3_close(db);
	} else if (strcmp(sc, "threads") == 0) {
		pthread_t th[4];
		struct s_thr t[4];
		int total = 0;

		fd = s_open_w("w.dat");
		for (int i = 0; i < 4; i++) {
			t[i].fd = fd;
			t[i].fails = 0;
			pthread_create(&th[i], NULL, s_thread, &t[i]);
		}
		for (int i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			total += t[i].fails;
		}
		close(fd);
		snprintf(s_line, sizeof(s_line), "%d", total);
	} else {
		return 2;
	}
	printf("%s\n", s_line);
	return 0;
}

/* ------------------------------------------------------------ the parent */

typedef struct {
	char out[8192];
	char err[16384];
	int status;
} s_run_t;

/* s_read_all - read fd to EOF into buf (size). */
static void
s_read_all(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t got;

	while (n + 1 < size && (got = read(fd, buf + n, size - 1 - n)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n += (size_t)got;
	}
	buf[n] = '\0';
}

/* s_run - run scenario (with arg) as a child named prog under the shim;
 * check_ms "" keeps the default check interval. */
static void
s_run(s_run_t *r, const char *prog, const char *check_ms, const char *scenario, const char *arg)
{
	int out[2], err[2];
	pid_t pid;

	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *asan = getenv("ASAN_OPTIONS");
		char asan_opts[1024];
		char *av[] = { (char *)prog, (char *)scenario, (char *)arg, NULL };

		snprintf(asan_opts, sizeof(asan_opts), "%s%sverify_asan_link_order=0", asan ? asan : "",
		    asan && *asan ? ":" : "");
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		setenv("LD_PRELOAD", s_lib, 1);
		setenv("BHXH_FAULTS_FILE", s_rules, 1);
		setenv("FAULTFS_TEST_DIR", s_dir, 1);
		setenv("FAULTFS_TEST_CHILD", "1", 1);
		setenv("ASAN_OPTIONS", asan_opts, 1);
		if (check_ms[0] != '\0')
			setenv("BHXH_FAULTS_CHECK_MS", check_ms, 1);
		else
			unsetenv("BHXH_FAULTS_CHECK_MS");
		execv(s_self, av);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	s_read_all(out[0], r->out, sizeof(r->out));
	s_read_all(err[0], r->err, sizeof(r->err));
	close(out[0]);
	close(err[0]);
	assert_int_equal(waitpid(pid, &r->status, 0), pid);
	if (!WIFEXITED(r->status) || WEXITSTATUS(r->status) != 0)
		fprintf(stderr, "child %s %s: status %d\nstdout: %s\nstderr: %s\n", prog, scenario, r->status, r->out,
		    r->err);
	assert_true(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0);
	r->out[strcspn(r->out, "\n")] = '\0';
}

/* s_rules_text - write the rules file directly. */
static void
s_rules_text(const char *text)
{
	FILE *f = fopen(s_rules, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* s_expect - run and compare the line of results. */
static void
s_expect(const char *prog, const char *scenario, const char *arg, const char *rules, const char *want)
{
	s_run_t r;

	s_rules_text(rules);
	s_run(&r, prog, "0", scenario, arg);
	if (strcmp(r.out, want) != 0)
		fprintf(stderr, "rules: %sgot:  %s\nwant: %s\nstderr: %s\n", rules, r.out, want, r.err);
	assert_string_equal(r.out, want);
}

/* s_count_lines - lines of s containing needle. */
static int
s_count_lines(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void
test_no_rules_no_faults(void **state)
{
	(void)state;
	unlink(s_rules);
	{
		s_run_t r;

		s_run(&r, "bhxh-ingest", "0", "write", "3");
		assert_string_equal(r.out, "ok ok ok");
		assert_null(strstr(r.err, "faultfs"));
	}
	s_expect("bhxh-ingest", "write", "3", "# nothing but a comment\n\n", "ok ok ok");
}

static void
test_rule_fires_and_logs(void **state)
{
	char want[PATH_MAX + 64];
	s_run_t r;

	(void)state;
	s_rules_text("op=write errno=ENOSPC\n");
	s_run(&r, "bhxh-ingest", "0", "write", "2");
	assert_string_equal(r.out, "ENOSPC ENOSPC");
	snprintf(want, sizeof(want), "faultfs: write on %s/w.dat -> ENOSPC (bhxh-ingest[", s_dir);
	assert_int_equal(s_count_lines(r.err, want), 2);
	assert_int_equal(s_count_lines(r.err, "\n"), 2);
}

static void
test_after_count_every(void **state)
{
	(void)state;
	s_expect("t", "write", "8", "op=write errno=EIO after=2 count=3\n", "ok ok EIO EIO EIO ok ok ok");
	s_expect("t", "fsync", "7", "op=fsync errno=EIO every=3\n", "ok ok EIO ok ok EIO ok");
	s_expect("t", "write", "9", "op=write errno=EDQUOT after=1 every=2 count=3   # with a comment\n",
	    "ok ok EDQUOT ok EDQUOT ok EDQUOT ok ok");
	s_expect("t", "write", "3", "op=write errno=EIO count=0\n", "ok ok ok");
	/* the first rule that fires wins; the others still count the call */
	s_expect("t", "write", "4", "op=write errno=EIO every=2\nop=write errno=ENOSPC every=3\n",
	    "ok EIO ENOSPC EIO");
}

static void
test_probability_is_seeded(void **state)
{
	s_run_t a, b, c;
	int fails = 0;

	(void)state;
	s_rules_text("op=write errno=EIO prob=0.5 seed=7\n");
	s_run(&a, "t", "0", "write", "40");
	s_run(&b, "t", "0", "write", "40");
	assert_string_equal(a.out, b.out);
	fails = s_count_lines(a.out, "EIO");
	assert_true(fails > 5 && fails < 35);
	s_rules_text("op=write errno=EIO prob=50% seed=8\n");
	s_run(&c, "t", "0", "write", "40");
	assert_string_not_equal(a.out, c.out);
	s_expect("t", "write", "3", "op=write errno=EIO prob=0\n", "ok ok ok");
	s_expect("t", "write", "3", "op=write errno=EIO prob=1\n", "EIO EIO EIO");
}

static void
test_every_call_is_intercepted(void **state)
{
	(void)state;
	/* write pwrite pwrite64 writev fsync fdatasync ftruncate open openat creat open(RDONLY) rename renameat renameat2 */
	s_expect("t", "every_call", "", "op=all errno=EROFS\n",
	    "EROFS EROFS EROFS EROFS EROFS EROFS EROFS EROFS EROFS EROFS ok EROFS EROFS EROFS");
	s_expect("t", "every_call", "", "op=pwrite64 errno=EIO\n",
	    "ok EIO EIO ok ok ok ok ok ok ok ok ok E2 E2");
	s_expect("t", "every_call", "", "op=fdatasync,ftruncate errno=EIO\n",
	    "ok ok ok ok ok EIO EIO ok ok ok ok ok E2 E2");
	s_expect("t", "every_call", "", "op=sync errno=EIO\n", "ok ok ok ok EIO EIO ok ok ok ok ok ok E2 E2");
	s_expect("t", "every_call", "", "op=openat errno=EACCES\n",
	    "ok ok ok ok ok ok ok EACCES EACCES EACCES ok ok E2 E2");
	s_expect("t", "every_call", "", "op=renameat2 errno=EXDEV\n",
	    "ok ok ok ok ok ok ok ok ok ok ok EXDEV EXDEV EXDEV");
	s_expect("t", "every_call", "", "op=anywrite errno=ENOSPC\n",
	    "ENOSPC ENOSPC ENOSPC ENOSPC ok ok ok ok ok ok ok ok E2 E2");
}

static void
test_path_filter(void **state)
{
	(void)state;
	/* writes to db/a, spool/b, db/a, spool/b; spool/c (reused fd); open db/new, spool/new;
	 * rename spool/new -> db/moved; rename spool/c -> spool/d */
	s_expect("t", "paths", "", "op=write errno=ENOSPC path=/db/\n", "ENOSPC ok ENOSPC ok ok ok ok ok ok");
	s_expect("t", "paths", "", "op=write errno=ENOSPC path=/spool/\n", "ok ENOSPC ok ENOSPC ENOSPC ok ok ok ok");
	s_expect("t", "paths", "", "op=open,rename errno=EIO path=/db/\n", "ok ok ok ok ok EIO ok EIO ok");
	s_expect("t", "paths", "", "op=write errno=ENOSPC path=/spool/c\n", "ok ok ok ok ENOSPC ok ok ok ok");
}

static void
test_prog_filter(void **state)
{
	(void)state;
	s_rules_text("prog=bhxh-ingest op=write errno=EIO\n");
	s_expect("bhxh-ingest", "write", "2", "prog=bhxh-ingest op=write errno=EIO\n", "EIO EIO");
	s_expect("bhxh-aggregate", "write", "2", "prog=bhxh-ingest op=write errno=EIO\n", "ok ok");
	s_expect("bhxh-aggregate", "write", "2", "prog=bhxh-* op=write errno=EIO\n", "EIO EIO");
	s_expect("bhxhctl", "write", "2", "prog=bhxh-* op=write errno=EIO\n", "ok ok");
	s_expect("bhxh-aggregate", "write", "3",
	    "prog=bhxh-ingest op=write errno=EIO\nprog=bhxh-aggregate op=write errno=ENOSPC after=1\n", "ok ENOSPC ENOSPC");
}

static void
test_only_files_unless_fd_any(void **state)
{
	(void)state;
	s_expect("t", "pipe", "", "op=write errno=EIO\n", "ok EIO");
	s_expect("t", "pipe", "", "op=write errno=EIO fd=any\n", "EIO EIO");
}

static void
test_rules_read_again(void **state)
{
	s_run_t r;

	(void)state;
	unlink(s_rules);
	/* checked on every call (20 ms between changes: an mtime moves by clock ticks) */
	s_run(&r, "t", "0", "reload", "20");
	assert_string_equal(r.out, "ok ENOSPC EDQUOT ok ENOSPC ok ok");
	/* the default: at most every 100 ms, so 250 ms after a change it holds */
	unlink(s_rules);
	s_run(&r, "t", "", "reload", "250");
	assert_string_equal(r.out, "ok ENOSPC EDQUOT ok ENOSPC ok ok");
}

static void
test_bad_rules_are_skipped(void **state)
{
	s_run_t r;

	(void)state;
	s_rules_text("op=write errno=EWHAT\nop=frobnicate errno=EIO\nop=write\nnonsense\nop=write errno=EIO every=x\n"
	    "op=write errno=ENOSPC count=1\n");
	s_run(&r, "t", "0", "write", "2");
	assert_string_equal(r.out, "ENOSPC ok");
	assert_int_equal(s_count_lines(r.err, "rule skipped"), 5);
	assert_non_null(strstr(r.err, ":1: unknown errno 'EWHAT'"));
}

static void
test_sqlite_calls(void **state)
{
	s_run_t r;

	(void)state;
	unlink(s_rules);
	/* SQLite writes its WAL with pwrite64 and syncs with fdatasync (fsync on some builds) */
	s_run(&r, "t", "", "sqlite", "op=pwrite errno=ENOSPC path=/t.db count=1\n");
	assert_string_equal(r.out, "ok ENOSPC ok ok");
	assert_non_null(strstr(r.err, "t.db-wal -> ENOSPC"));
	unlink(s_rules);
	s_run(&r, "t", "", "sqlite", "op=sync errno=EIO path=/t.db count=1\n");
	assert_string_equal(r.out, "ok EIO ok ok");
}

static void
test_threads_exact_counts(void **state)
{
	(void)state;
	s_expect("t", "threads", "", "op=write errno=EIO every=10\n", "400");
	s_expect("t", "threads", "", "op=write errno=EIO after=1000 count=123\n", "123");
}

/* s_setup - the directory, the rules file's name, the shim's path. */
static int
s_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	ssize_t n = readlink("/proc/self/exe", s_self, sizeof(s_self) - 1);
	char *slash;

	(void)state;
	if (n <= 0)
		return -1;
	s_self[n] = '\0';
	snprintf(s_lib, sizeof(s_lib), "%s", s_self);
	slash = strrchr(s_lib, '/');
	snprintf(slash + 1, sizeof(s_lib) - (size_t)(slash + 1 - s_lib), "libfaultfs.so");
	if (access(s_lib, R_OK) != 0) {
		fprintf(stderr, "test_faultfs: %s missing (make)\n", s_lib);
		return -1;
	}
	snprintf(s_dir, sizeof(s_dir), "%s/faultfs.XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
	if (mkdtemp(s_dir) == NULL)
		return -1;
	snprintf(s_rules, sizeof(s_rules), "%s/rules", s_dir);
	return 0;
}

/* s_teardown - remove the directory. */
static int
s_teardown(void **state)
{
	char cmd[PATH_MAX + 32];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s_dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_rules_no_faults),
		cmocka_unit_test(test_rule_fires_and_logs),
		cmocka_unit_test(test_after_count_every),
		cmocka_unit_test(test_probability_is_seeded),
		cmocka_unit_test(test_every_call_is_intercepted),
		cmocka_unit_test(test_path_filter),
		cmocka_unit_test(test_prog_filter),
		cmocka_unit_test(test_only_files_unless_fd_any),
		cmocka_unit_test(test_rules_read_again),
		cmocka_unit_test(test_bad_rules_are_skipped),
		cmocka_unit_test(test_sqlite_calls),
		cmocka_unit_test(test_threads_exact_counts),
	};

	if (getenv("FAULTFS_TEST_CHILD") != NULL && argc >= 2)
		return s_child(argc, argv);
	return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
