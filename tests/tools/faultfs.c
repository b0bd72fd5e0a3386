/* faultfs - an LD_PRELOAD shim that makes chosen file system calls fail with a
 * chosen errno, deterministically, for I/O-error and disk-full tests.
 *
 *   LD_PRELOAD=bin/tests/libfaultfs.so BHXH_FAULTS_FILE=/tmp/faults bin/bhxh-ingest ...
 *
 * The rules file holds one rule per line ('#' starts a comment):
 *
 *   prog=bhxh-aggregate op=fsync errno=EIO every=3
 *   prog=bhxh-ingest op=write,pwrite errno=ENOSPC path=/db/ after=100 count=20
 *
 * and is read again when it changes (its mtime, size or inode), checked at
 * most every BHXH_FAULTS_CHECK_MS milliseconds (default 100; 0 = every call),
 * so a test switches faults on and off while the processes run. Reading the
 * file again starts every rule's counters from zero. docs/FAULTS.md has the
 * full syntax, which calls are intercepted and how the counters combine.
 *
 * Constraints of a shim loaded into every process of a test: no malloc (the
 * rules, the file and the per-fd path cache are static), one mutex around the
 * rules and counters, a per-thread guard so a signal handler that interrupts
 * the shim in the same thread passes straight through, pthread_atfork so a
 * child never inherits a held lock, and nothing here ever aborts: a bad rule
 * is reported on stderr and skipped. Each injected failure is one line on
 * stderr: "faultfs: write on /var/db/ingest.db-wal -> ENOSPC (bhxh-ingest[123], rule 2)". */
#undef _FORTIFY_SOURCE
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define S_EXPORT __attribute__((visibility("default")))

enum {
	OP_WRITE = 1 << 0,
	OP_PWRITE = 1 << 1,
	OP_WRITEV = 1 << 2,
	OP_FSYNC = 1 << 3,
	OP_FDATASYNC = 1 << 4,
	OP_OPEN = 1 << 5,
	OP_RENAME = 1 << 6,
	OP_FTRUNCATE = 1 << 7,
};

static const struct {
	const char *name;
	unsigned ops;
} s_opnames[] = {
	{ "write", OP_WRITE }, { "pwrite", OP_PWRITE }, { "pwrite64", OP_PWRITE }, { "writev", OP_WRITEV },
	{ "fsync", OP_FSYNC }, { "fdatasync", OP_FDATASYNC }, { "open", OP_OPEN }, { "openat", OP_OPEN },
	{ "creat", OP_OPEN }, { "rename", OP_RENAME }, { "renameat", OP_RENAME }, { "renameat2", OP_RENAME },
	{ "ftruncate", OP_FTRUNCATE },
	{ "sync", OP_FSYNC | OP_FDATASYNC }, { "anywrite", OP_WRITE | OP_PWRITE | OP_WRITEV },
	{ "all", OP_WRITE | OP_PWRITE | OP_WRITEV | OP_FSYNC | OP_FDATASYNC | OP_OPEN | OP_RENAME | OP_FTRUNCATE },
};

#define E(x) { #x, x }
static const struct {
	const char *name;
	int value;
} s_errnos[] = {
	E(EIO), E(ENOSPC), E(EDQUOT), E(EROFS), E(EACCES), E(EPERM), E(ENOENT), E(EEXIST), E(EINTR), E(EAGAIN),
	E(EBADF), E(EFBIG), E(EMFILE), E(ENFILE), E(EXDEV), E(EBUSY), E(EINVAL), E(ENOMEM), E(ENOTDIR),
	E(EISDIR), E(ENAMETOOLONG), E(ELOOP), E(ETXTBSY), E(ENXIO), E(ESTALE), E(EPIPE),
};
#undef E

#define S_MAX_RULES 64
#define S_PATH_LEN 512
#define S_FILE_MAX 65536
#define S_CACHE_FDS 1024

typedef struct {
	unsigned ops;
	int err;
	int any_fd;        /* also sockets, pipes, anonymous inodes */
	char path[256];    /* substring to find in the path; "" = any */
	uint64_t after, every, count;
	int has_count;
	double prob;       /* < 0: not given */
	uint64_t rng;      /* xorshift64* state, from seed */
	uint64_t seen, fired;
	int line;
} s_rule_t;

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int s_busy __attribute__((tls_model("initial-exec")));

static char s_file[PATH_MAX];     /* BHXH_FAULTS_FILE; "" = off */
static long long s_check_ns = 100000000LL;
static long long s_last_check;
static int s_checked;
static struct { dev_t dev; ino_t ino; off_t size; struct timespec mtime; int present; } s_id;
static s_rule_t s_rules[S_MAX_RULES];
static int s_nrules;
static unsigned s_opmask;          /* ops some rule wants */
static int s_want_fdpath;          /* some fd rule needs the fd's path */
static char s_text[S_FILE_MAX + 1];

/* the per-fd path cache: filled by readlink on first need, cleared by close,
 * dup2, dup3, fclose, closedir and by every fd the open wrappers return */
static struct { char path[S_PATH_LEN]; unsigned char known; } s_cache[S_CACHE_FDS];

/* the real functions */
static ssize_t (*r_write)(int, const void *, size_t);
static ssize_t (*r_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*r_pwrite64)(int, const void *, size_t, off64_t);
static ssize_t (*r_writev)(int, const struct iovec *, int);
static int (*r_fsync)(int);
static int (*r_fdatasync)(int);
static int (*r_open)(const char *, int, ...);
static int (*r_open64)(const char *, int, ...);
static int (*r_openat)(int, const char *, int, ...);
static int (*r_openat64)(int, const char *, int, ...);
static int (*r_creat)(const char *, mode_t);
static int (*r_creat64)(const char *, mode_t);
static int (*r_rename)(const char *, const char *);
static int (*r_renameat)(int, const char *, int, const char *);
static int (*r_renameat2)(int, const char *, int, const char *, unsigned);
static int (*r_ftruncate)(int, off_t);
static int (*r_ftruncate64)(int, off64_t);
static int (*r_close)(int);
static int (*r_dup)(int);
static int (*r_dup2)(int, int);
static int (*r_dup3)(int, int, int);
static int (*r_fclose)(FILE *);
static int (*r_closedir)(DIR *);

/* s_real - the next definition of name (libc's), looked up once. */
static void *
s_real(void **slot, const char *name)
{
	void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (p == NULL) {
		p = dlsym(RTLD_NEXT, name);
		__atomic_store_n(slot, p, __ATOMIC_RELEASE);
	}
	return p;
}

#define REAL(name) ((__typeof__(r_##name))s_real((void **)&r_##name, #name))

/* ------------------------------------------------------------ small helpers */

/* s_say - write a message to stderr with the raw system call (never through
 * the wrappers, never malloc). */
static void
s_say(const char *s, size_t n)
{
	while (n > 0) {
		long w = syscall(SYS_write, 2, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* s_cat - append s to buf (size) at *len, truncating. */
static void
s_cat(char *buf, size_t size, size_t *len, const char *s)
{
	while (*s != '\0' && *len + 1 < size)
		buf[(*len)++] = *s++;
	buf[*len] = '\0';
}

/* s_utoa - decimal digits of v into buf (at least 24 bytes). */
static const char *
s_utoa(char *buf, unsigned long long v)
{
	char *p = buf + 23;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return p;
}

/* s_errno_name - "ENOSPC", or the number. */
static const char *
s_errno_name(int e, char *buf)
{
	for (size_t i = 0; i < sizeof(s_errnos) / sizeof(s_errnos[0]); i++)
		if (s_errnos[i].value == e)
			return s_errnos[i].name;
	return s_utoa(buf, (unsigned long long)e);
}

/* s_now - a monotonic clock in nanoseconds (coarse: a vDSO read). */
static long long
s_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* s_prog - the program's short name (program_invocation_short_name). */
static const char *
s_prog(void)
{
	return program_invocation_short_name != NULL ? program_invocation_short_name : "";
}

/* ------------------------------------------------------------ rules file */

/* s_bad - report a rule the shim skips. */
static void
s_bad(int line, const char *what, const char *tok, size_t toklen)
{
	char buf[512], num[24];
	size_t n = 0;

	s_cat(buf, sizeof(buf), &n, "faultfs: ");
	s_cat(buf, sizeof(buf), &n, s_file);
	s_cat(buf, sizeof(buf), &n, ":");
	s_cat(buf, sizeof(buf), &n, s_utoa(num, (unsigned long long)line));
	s_cat(buf, sizeof(buf), &n, ": ");
	s_cat(buf, sizeof(buf), &n, what);
	if (tok != NULL) {
		s_cat(buf, sizeof(buf), &n, " '");
		while (toklen-- > 0 && n + 3 < sizeof(buf))
			buf[n++] = *tok++;
		buf[n] = '\0';
		s_cat(buf, sizeof(buf), &n, "'");
	}
	s_cat(buf, sizeof(buf), &n, "; rule skipped\n");
	s_say(buf, n);
}

/* s_eq - the token [s, s+n) equals word. */
static int
s_eq(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

/* s_parse_u64 - a decimal number; 0 or -1. */
static int
s_parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* s_parse_prob - "0.25", "1", "0", ".5", or "25%"; 0 or -1. */
static int
s_parse_prob(const char *s, size_t n, double *out)
{
	double v = 0, scale = 1;
	int dot = 0, digits = 0;
	size_t i;

	for (i = 0; i < n && s[i] != '%'; i++) {
		if (s[i] == '.' && !dot) {
			dot = 1;
		} else if (s[i] >= '0' && s[i] <= '9') {
			digits++;
			if (dot)
				v += (s[i] - '0') * (scale /= 10);
			else
				v = v * 10 + (s[i] - '0');
		} else {
			return -1;
		}
	}
	if (digits == 0 || (i < n && i + 1 != n))
		return -1;
	if (i < n)
		v /= 100;
	if (v < 0 || v > 1)
		return -1;
	*out = v;
	return 0;
}

/* s_prog_match - pattern is the name, or a prefix followed by '*'. */
static int
s_prog_match(const char *pat, size_t n)
{
	const char *prog = s_prog();

	if (n > 0 && pat[n - 1] == '*')
		return strncmp(prog, pat, n - 1) == 0;
	return s_eq(pat, n, prog);
}

/* s_parse_line - one rule from [s, s+n) into r; 1 a rule for this program,
 * 0 nothing (blank, comment, another program), -1 bad (reported). */
__attribute__((noinline)) static int
s_parse_line(const char *s, size_t n, int line, s_rule_t *r)
{
	int mine = 1, any = 0, has_errno = 0;
	uint64_t seed = 1;

	memset(r, 0, sizeof(*r));
	r->prob = -1;
	r->line = line;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '#') {
			n = i;
			break;
		}
	for (size_t i = 0; i < n;) {
		size_t start, eq, end;
		const char *k, *v;
		size_t kn, vn;

		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		if (i >= n)
			break;
		start = i;
		while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			i++;
		end = i;
		any = 1;
		for (eq = start; eq < end && s[eq] != '='; eq++)
			;
		if (eq == end) {
			s_bad(line, "not key=value:", s + start, end - start);
			return -1;
		}
		k = s + start;
		kn = eq - start;
		v = s + eq + 1;
		vn = end - eq - 1;
		if (s_eq(k, kn, "prog")) {
			if (!s_prog_match(v, vn))
				mine = 0;
		} else if (s_eq(k, kn, "op")) {
			for (size_t a = 0; a < vn;) {
				size_t b = a;
				unsigned found = 0;

				while (b < vn && v[b] != ',')
					b++;
				for (size_t o = 0; o < sizeof(s_opnames) / sizeof(s_opnames[0]); o++)
					if (s_eq(v + a, b - a, s_opnames[o].name))
						found = s_opnames[o].ops;
				if (found == 0) {
					s_bad(line, "unknown op", v + a, b - a);
					return -1;
				}
				r->ops |= found;
				a = b + 1;
			}
		} else if (s_eq(k, kn, "errno")) {
			uint64_t num;

			has_errno = 1;
			r->err = 0;
			for (size_t e = 0; e < sizeof(s_errnos) / sizeof(s_errnos[0]); e++)
				if (s_eq(v, vn, s_errnos[e].name))
					r->err = s_errnos[e].value;
			if (r->err == 0 && s_parse_u64(v, vn, &num) == 0 && num > 0 && num < 4096)
				r->err = (int)num;
			if (r->err == 0) {
				s_bad(line, "unknown errno", v, vn);
				return -1;
			}
		} else if (s_eq(k, kn, "path")) {
			if (vn == 0 || vn >= sizeof(r->path)) {
				s_bad(line, "path empty or too long", v, vn);
				return -1;
			}
			for (size_t c = 0; c < vn && c + 1 < sizeof(r->path); c++)
				r->path[c] = v[c];
		} else if (s_eq(k, kn, "fd")) {
			if (s_eq(v, vn, "any"))
				r->any_fd = 1;
			else if (s_eq(v, vn, "file"))
				r->any_fd = 0;
			else {
				s_bad(line, "fd is file or any, not", v, vn);
				return -1;
			}
		} else if (s_eq(k, kn, "after") || s_eq(k, kn, "every") || s_eq(k, kn, "count") || s_eq(k, kn, "seed")) {
			uint64_t num;

			if (s_parse_u64(v, vn, &num) != 0) {
				s_bad(line, "not a number:", k, kn + 1 + vn);
				return -1;
			}
			if (k[0] == 'a')
				r->after = num;
			else if (k[0] == 'e')
				r->every = num;
			else if (k[0] == 'c') {
				r->count = num;
				r->has_count = 1;
			} else
				seed = num;
		} else if (s_eq(k, kn, "prob") || s_eq(k, kn, "probability")) {
			if (s_parse_prob(v, vn, &r->prob) != 0) {
				s_bad(line, "probability is 0..1 or N%, not", v, vn);
				return -1;
			}
		} else {
			s_bad(line, "unknown key", k, kn);
			return -1;
		}
	}
	if (!any)
		return 0;
	if (r->ops == 0 || !has_errno) {
		s_bad(line, "a rule needs op= and errno=", NULL, 0);
		return -1;
	}
	/* xorshift64* must not start at 0; mix the seed so small seeds differ */
	r->rng = (seed ^ 0x9E3779B97F4A7C15ull) * 0xBF58476D1CE4E5B9ull;
	if (r->rng == 0)
		r->rng = 1;
	return mine;
}

/* s_load - read the rules file (the lock is held); no file, no rules. */
static void
s_load(void)
{
	long fd = syscall(SYS_openat, AT_FDCWD, s_file, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	int line = 0;

	s_nrules = 0;
	s_opmask = 0;
	s_want_fdpath = 0;
	if (fd < 0)
		return;
	while (len < S_FILE_MAX) {
		long got = syscall(SYS_read, (int)fd, s_text + len, S_FILE_MAX - len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	syscall(SYS_close, (int)fd);
	s_text[len] = '\0';
	for (size_t i = 0; i < len;) {
		size_t j = i;
		s_rule_t r;

		while (j < len && s_text[j] != '\n')
			j++;
		line++;
		if (s_parse_line(s_text + i, j - i, line, &r) == 1) {
			if (s_nrules < S_MAX_RULES) {
				s_rules[s_nrules++] = r;
				s_opmask |= r.ops;
				if (r.ops & ~(unsigned)(OP_OPEN | OP_RENAME))
					s_want_fdpath = 1;
			} else {
				s_bad(line, "more than 64 rules", NULL, 0);
			}
		}
		i = j + 1;
	}
}

/* s_refresh - read the rules again if the file changed (the lock is held);
 * at most every s_check_ns. */
static void
s_refresh(void)
{
	long long now;
	struct stat st;
	int present;

	if (s_file[0] == '\0')
		return;
	now = s_now();
	if (s_checked && s_check_ns > 0 && now - s_last_check < s_check_ns)
		return;
	s_checked = 1;
	s_last_check = now;
	present = stat(s_file, &st) == 0;
	if (!present) {
		if (s_id.present) {
			s_id.present = 0;
			s_nrules = 0;
			s_opmask = 0;
		}
		return;
	}
	if (s_id.present && s_id.dev == st.st_dev && s_id.ino == st.st_ino && s_id.size == st.st_size &&
	    s_id.mtime.tv_sec == st.st_mtim.tv_sec && s_id.mtime.tv_nsec == st.st_mtim.tv_nsec)
		return;
	s_id.present = 1;
	s_id.dev = st.st_dev;
	s_id.ino = st.st_ino;
	s_id.size = st.st_size;
	s_id.mtime = st.st_mtim;
	s_load();
}

static void s_atfork_prepare(void) { pthread_mutex_lock(&s_lock); }
static void s_atfork_release(void) { pthread_mutex_unlock(&s_lock); }

/* s_init - read the environment once, look up the real functions. */
__attribute__((constructor)) static void
s_init(void)
{
	const char *f = getenv("BHXH_FAULTS_FILE"), *ms = getenv("BHXH_FAULTS_CHECK_MS");

	if (f != NULL && f[0] != '\0' && strlen(f) < sizeof(s_file)) {
		if (f[0] != '/' && getcwd(s_file, sizeof(s_file) - strlen(f) - 2) != NULL) {
			size_t n = strlen(s_file);

			s_file[n] = '/';
			memcpy(s_file + n + 1, f, strlen(f) + 1);
		} else {
			memcpy(s_file, f, strlen(f) + 1);
		}
	}
	if (ms != NULL && *ms != '\0') {
		uint64_t v;

		if (s_parse_u64(ms, strlen(ms), &v) == 0 && v < 3600000)
			s_check_ns = (long long)v * 1000000LL;
	}
	pthread_atfork(s_atfork_prepare, s_atfork_release, s_atfork_release);
	(void)REAL(write), (void)REAL(pwrite), (void)REAL(pwrite64), (void)REAL(writev);
	(void)REAL(fsync), (void)REAL(fdatasync), (void)REAL(open), (void)REAL(open64);
	(void)REAL(openat), (void)REAL(openat64), (void)REAL(creat), (void)REAL(creat64);
	(void)REAL(rename), (void)REAL(renameat), (void)REAL(renameat2), (void)REAL(ftruncate);
	(void)REAL(ftruncate64), (void)REAL(close), (void)REAL(dup), (void)REAL(dup2), (void)REAL(dup3);
	(void)REAL(fclose), (void)REAL(closedir);
	pthread_mutex_lock(&s_lock);
	s_refresh();
	pthread_mutex_unlock(&s_lock);
}

/* ------------------------------------------------------------ matching */

/* s_fd_path - the path of fd (readlink of /proc/self/fd/N, cached for fds
 * below S_CACHE_FDS); "" when unknown. The lock is held; buf is used for fds
 * beyond the cache. */
static const char *
s_fd_path(int fd, char *buf, size_t size)
{
	char link[64], num[24];
	size_t n = 0;
	ssize_t got;
	char *out = buf;

	if (fd < 0)
		return "";
	if (fd < S_CACHE_FDS) {
		if (s_cache[fd].known)
			return s_cache[fd].path;
		out = s_cache[fd].path;
		size = sizeof(s_cache[fd].path);
	}
	s_cat(link, sizeof(link), &n, "/proc/self/fd/");
	s_cat(link, sizeof(link), &n, s_utoa(num, (unsigned long long)fd));
	got = readlink(link, out, size - 1);
	out[got > 0 ? got : 0] = '\0';
	if (fd < S_CACHE_FDS)
		s_cache[fd].known = 1;
	return out;
}

/* s_forget - the fd is closed or replaced: drop its cached path. */
static void
s_forget(int fd)
{
	if (fd >= 0 && fd < S_CACHE_FDS && s_file[0] != '\0' && !s_busy) {
		s_busy = 1;
		pthread_mutex_lock(&s_lock);
		s_cache[fd].known = 0;
		pthread_mutex_unlock(&s_lock);
		s_busy = 0;
	}
}

/* s_abs_path - a path argument made absolute (relative to dirfd or the
 * working directory) into buf; NULL path gives "". */
static const char *
s_abs_path(int dirfd, const char *path, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	if (path == NULL)
		return buf;
	if (path[0] != '/') {
		if (dirfd == AT_FDCWD) {
			if (getcwd(buf, size) == NULL)
				buf[0] = '\0';
		} else {
			char tmp[S_PATH_LEN];
			const char *d = s_fd_path(dirfd, tmp, sizeof(tmp));

			s_cat(buf, size, &n, d);
		}
		n = strlen(buf);
		if (n > 0 && buf[n - 1] != '/')
			s_cat(buf, size, &n, "/");
	}
	s_cat(buf, size, &n, path);
	return buf;
}

/* s_next_unit - the rule's next pseudo-random number in [0, 1). */
static double
s_next_unit(s_rule_t *r)
{
	uint64_t x = r->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->rng = x;
	return (double)((x * 0x2545F4914F6CDD1Dull) >> 11) * (1.0 / 9007199254740992.0);
}

/* s_log - one line for an injected failure. */
static void
s_log(const char *opname, const char *path, const char *path2, int err, int rule_line)
{
	char buf[1600], num[24];
	size_t n = 0;

	s_cat(buf, sizeof(buf), &n, "faultfs: ");
	s_cat(buf, sizeof(buf), &n, opname);
	s_cat(buf, sizeof(buf), &n, " on ");
	s_cat(buf, sizeof(buf), &n, path[0] != '\0' ? path : "?");
	if (path2 != NULL) {
		s_cat(buf, sizeof(buf), &n, " (to ");
		s_cat(buf, sizeof(buf), &n, path2);
		s_cat(buf, sizeof(buf), &n, ")");
	}
	s_cat(buf, sizeof(buf), &n, " -> ");
	s_cat(buf, sizeof(buf), &n, s_errno_name(err, num));
	s_cat(buf, sizeof(buf), &n, " (");
	s_cat(buf, sizeof(buf), &n, s_prog());
	s_cat(buf, sizeof(buf), &n, "[");
	s_cat(buf, sizeof(buf), &n, s_utoa(num, (unsigned long long)getpid()));
	s_cat(buf, sizeof(buf), &n, "], rule line ");
	s_cat(buf, sizeof(buf), &n, s_utoa(num, (unsigned long long)rule_line));
	s_cat(buf, sizeof(buf), &n, ")\n");
	s_say(buf, n);
}

/* s_fault - decide whether this call fails: 0 (go on with the real call) or
 * the errno to fail with. fd >= 0 for fd calls; otherwise dirfd/path (and
 * dirfd2/path2 for rename) name the files. */
static int
s_fault(unsigned op, const char *opname, int fd, int dirfd, const char *path, int dirfd2, const char *path2)
{
	char pbuf[S_PATH_LEN], p2buf[S_PATH_LEN];
	const char *p = NULL, *p2 = NULL;
	int err = 0, line = 0;

	if (s_file[0] == '\0' || s_busy)
		return 0;
	s_busy = 1;
	pthread_mutex_lock(&s_lock);
	s_refresh();
	if ((s_opmask & op) == 0)
		goto out;
	/* every rule counts the calls it matches; the first that fires decides,
	 * and a later one that would fire too keeps its count for later */
	for (int i = 0; i < s_nrules; i++) {
		s_rule_t *r = &s_rules[i];
		uint64_t k;

		if ((r->ops & op) == 0)
			continue;
		if (fd >= 0) {
			if (p == NULL)
				p = s_fd_path(fd, pbuf, sizeof(pbuf));
			if (!r->any_fd && p[0] != '/')
				continue;
			if (r->path[0] != '\0' && strstr(p, r->path) == NULL)
				continue;
		} else if (r->path[0] != '\0') {
			if (p == NULL)
				p = s_abs_path(dirfd, path, pbuf, sizeof(pbuf));
			if (path2 != NULL && p2 == NULL)
				p2 = s_abs_path(dirfd2, path2, p2buf, sizeof(p2buf));
			if (strstr(p, r->path) == NULL && (p2 == NULL || strstr(p2, r->path) == NULL))
				continue;
		}
		k = ++r->seen;
		if (err != 0 || k <= r->after)
			continue;
		k -= r->after;
		if (r->every > 1 && k % r->every != 0)
			continue;
		if (r->prob >= 0 && !(s_next_unit(r) < r->prob))
			continue;
		if (r->has_count && r->fired >= r->count)
			continue;
		r->fired++;
		err = r->err;
		line = r->line;
	}
	if (err != 0) {
		if (fd >= 0) {
			if (p == NULL)
				p = s_fd_path(fd, pbuf, sizeof(pbuf));
		} else {
			if (p == NULL)
				p = s_abs_path(dirfd, path, pbuf, sizeof(pbuf));
			if (path2 != NULL && p2 == NULL)
				p2 = s_abs_path(dirfd2, path2, p2buf, sizeof(p2buf));
		}
		s_log(opname, p, p2, err, line);
	}
out:
	pthread_mutex_unlock(&s_lock);
	s_busy = 0;
	return err;
}

/* s_fail - set errno, return -1 (as the failing call would). */
static int
s_fail(int err)
{
	errno = err;
	return -1;
}

/* ------------------------------------------------------------ the wrappers */

S_EXPORT ssize_t
write(int fd, const void *buf, size_t n)
{
	int e = s_fault(OP_WRITE, "write", fd, 0, NULL, 0, NULL);

	return e ? s_fail(e) : REAL(write)(fd, buf, n);
}

S_EXPORT ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	int e = s_fault(OP_PWRITE, "pwrite", fd, 0, NULL, 0, NULL);

	return e ? s_fail(e) : REAL(pwrite)(fd, buf, n, off);
}

S_EXPORT ssize_t
pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	int e = s_fault(OP_PWRITE, "pwrite64", fd, 0, NULL, 0, NULL);

	return e ? s_fail(e) : REAL(pwrite64)(fd, buf, n, off);
}

S_EXPORT ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	int e = s_fault(OP_WRITEV, "writev", fd, 0, NULL, 0, NULL);

	return e ? s_fail(e) : REAL(writev)(fd, iov, cnt);
}

S_EXPORT int
fsync(int fd)
{
	int e = s_fault(OP_FSYNC, "fsync", fd, 0, NULL, 0, NULL);

	return e ? s_fail(e) : REAL(fsync)(fd);
}

S_EXPORT int
fdatasync(int fd)
{
	int e = s_fault(OP_FDATASYNC, "fdatasync", fd, 0, NULL, 0, NULL);

	return e ? s_fail(e) : REAL(fdatasync)(fd);
}

S_EXPORT int
ftruncate(int fd, off_t len)
{
	int e = s_fault(OP_FTRUNCATE, "ftruncate", fd, 0, NULL, 0, NULL);

	return e ? s_fail(e) : REAL(ftruncate)(fd, len);
}

S_EXPORT int
ftruncate64(int fd, off64_t len)
{
	int e = s_fault(OP_FTRUNCATE, "ftruncate64", fd, 0, NULL, 0, NULL);

	return e ? s_fail(e) : REAL(ftruncate64)(fd, len);
}

/* the mode argument is there only with O_CREAT or O_TMPFILE */
#define S_MODE(flags, mode) do { \
	if (((flags) & O_CREAT) || ((flags) & O_TMPFILE) == O_TMPFILE) { \
		va_list ap; \
		va_start(ap, flags); \
		mode = va_arg(ap, unsigned); \
		va_end(ap); \
	} \
} while (0)

/* s_opened - an fd an open wrapper returns has no cached path. */
static int
s_opened(int fd)
{
	int saved = errno;

	if (fd >= 0)
		s_forget(fd);
	errno = saved;
	return fd;
}

S_EXPORT int
open(const char *path, int flags, ...)
{
	unsigned mode = 0;
	int e;

	S_MODE(flags, mode);
	e = (flags & O_CREAT) ? s_fault(OP_OPEN, "open", -1, AT_FDCWD, path, 0, NULL) : 0;
	return e ? s_fail(e) : s_opened(REAL(open)(path, flags, mode));
}

S_EXPORT int
open64(const char *path, int flags, ...)
{
	unsigned mode = 0;
	int e;

	S_MODE(flags, mode);
	e = (flags & O_CREAT) ? s_fault(OP_OPEN, "open64", -1, AT_FDCWD, path, 0, NULL) : 0;
	return e ? s_fail(e) : s_opened(REAL(open64)(path, flags, mode));
}

S_EXPORT int
openat(int dirfd, const char *path, int flags, ...)
{
	unsigned mode = 0;
	int e;

	S_MODE(flags, mode);
	e = (flags & O_CREAT) ? s_fault(OP_OPEN, "openat", -1, dirfd, path, 0, NULL) : 0;
	return e ? s_fail(e) : s_opened(REAL(openat)(dirfd, path, flags, mode));
}

S_EXPORT int
openat64(int dirfd, const char *path, int flags, ...)
{
	unsigned mode = 0;
	int e;

	S_MODE(flags, mode);
	e = (flags & O_CREAT) ? s_fault(OP_OPEN, "openat64", -1, dirfd, path, 0, NULL) : 0;
	return e ? s_fail(e) : s_opened(REAL(openat64)(dirfd, path, flags, mode));
}

S_EXPORT int
creat(const char *path, mode_t mode)
{
	int e = s_fault(OP_OPEN, "creat", -1, AT_FDCWD, path, 0, NULL);

	return e ? s_fail(e) : s_opened(REAL(creat)(path, mode));
}

S_EXPORT int
creat64(const char *path, mode_t mode)
{
	int e = s_fault(OP_OPEN, "creat64", -1, AT_FDCWD, path, 0, NULL);

	return e ? s_fail(e) : s_opened(REAL(creat64)(path, mode));
}

S_EXPORT int
rename(const char *from, const char *to)
{
	int e = s_fault(OP_RENAME, "rename", -1, AT_FDCWD, from, AT_FDCWD, to);

	return e ? s_fail(e) : REAL(rename)(from, to);
}

S_EXPORT int
renameat(int fromfd, const char *from, int tofd, const char *to)
{
	int e = s_fault(OP_RENAME, "renameat", -1, fromfd, from, tofd, to);

	return e ? s_fail(e) : REAL(renameat)(fromfd, from, tofd, to);
}

S_EXPORT int
renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned flags)
{
	int e = s_fault(OP_RENAME, "renameat2", -1, fromfd, from, tofd, to);

	return e ? s_fail(e) : REAL(renameat2)(fromfd, from, tofd, to, flags);
}

/* closing and duplicating: only the path cache cares */

S_EXPORT int
close(int fd)
{
	s_forget(fd);
	return REAL(close)(fd);
}

S_EXPORT int
dup(int fd)
{
	return s_opened(REAL(dup)(fd));
}

S_EXPORT int
dup2(int fd, int fd2)
{
	int rc = REAL(dup2)(fd, fd2);

	if (rc >= 0)
		s_opened(fd2);
	return rc;
}

S_EXPORT int
dup3(int fd, int fd2, int flags)
{
	int rc = REAL(dup3)(fd, fd2, flags);

	if (rc >= 0)
		s_opened(fd2);
	return rc;
}

S_EXPORT int
fclose(FILE *f)
{
	if (f != NULL)
		s_forget(fileno(f));
	return REAL(fclose)(f);
}

S_EXPORT int
closedir(DIR *d)
{
	s_forget(dirfd(d));
	return REAL(closedir)(d);
}
