/* bhxhctl - the one tool operators and agencies use: start and stop the
 * pipeline, see its state, submit files and read receipts and reports.
 *
 *   bhxhctl [--config FILE] [--var-dir DIR] COMMAND ...
 *
 * The commands are the table s_cmds (bhxhctl --help lists them); each
 * accepts --help (-h) anywhere and then only prints its usage, and refuses
 * (exit 2, saying which) an unknown option or an argument too many.
 *
 * Trusts the files it is given only to be read: it copies them into the drop
 * folder under a hidden name and renames them in, so the ingest worker never
 * sees half a file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ctl_backup.h"
#include "curve.h"
#include "fsutil.h"
#include "metrics_http.h"
#include "receipt.h"
#include "report.h"
#include "supervise.h"
#include "template.h"
#include "xalloc.h"

#define PING_TIMEOUT_MS 15000    /* a worker that does not answer "status" in this time is not up */
#define REPORT_TIMEOUT_MS 600000 /* then a report of a big province may take a while */

static const char *s_config = NULL;
static char s_var[PATH_MAX];

/* s_set_var - s_var: dir as an absolute path (created first with make,
 * else only named: a command that only reads, or is refused, leaves no var
 * dir behind); 0 or -1 after saying why. */
static int
s_set_var(const char *dir, int make)
{
	char cwd[PATH_MAX], abs[2 * PATH_MAX + 2];

	if (make && fs_mkdirs(dir) != 0) {
		fprintf(stderr, "bhxhctl: var dir %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (realpath(dir, s_var) != NULL)
		return 0;
	if (errno == ENOENT && !make && (dir[0] == '/' || getcwd(cwd, sizeof(cwd)) != NULL)) {
		snprintf(abs, sizeof(abs), "%s%s%s", dir[0] == '/' ? "" : cwd, dir[0] == '/' ? "" : "/", dir);
		if (strlen(abs) < sizeof(s_var)) {
			memcpy(s_var, abs, strlen(abs) + 1);
			return 0;
		}
		errno = ENAMETOOLONG;
	}
	fprintf(stderr, "bhxhctl: var dir %s: %s\n", dir, strerror(errno));
	return -1;
}

/* A command: its name ("down", or "silence add" for one of a family that
 * shares its first word), what follows the name in its usage line, what it
 * does (lines), and its handler, which gets the arguments after the name
 * with argv[0] the name's last word. --help anywhere before a "--" prints
 * the usage and runs nothing (main), and every handler refuses an unknown
 * option or an argument too many (s_getopt, s_bad). */
typedef struct {
	const char *name;
	const char *args;
	const char *help;
	int (*run)(int argc, char **argv);
} s_cmd_t;

static const s_cmd_t s_cmds[];
static const size_t s_ncmds;
static const s_cmd_t *s_cur; /* the command that runs */

#define S_GLOBAL "[--config FILE] [--var-dir DIR]"

/* s_cmd_line - "bhxhctl NAME ARGS" of cmd into out. */
static void
s_cmd_line(FILE *out, const s_cmd_t *cmd)
{
	fprintf(out, "bhxhctl %s%s%s", cmd->name, cmd->args[0] ? " " : "", cmd->args);
}

/* s_cmd_usage - the usage of one command and what it does. */
static void
s_cmd_usage(FILE *out, const s_cmd_t *cmd)
{
	const char *p = cmd->help;

	fputs("usage: ", out);
	s_cmd_line(out, cmd);
	fputc('\n', out);
	while (*p) {
		size_t n = strcspn(p, "\n");

		fprintf(out, "  %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

/* s_family - how many commands have word as their first word (0: none). */
static int
s_family(const char *word)
{
	size_t len = strlen(word);
	int n = 0;

	for (size_t i = 0; i < s_ncmds; i++)
		if (strncmp(s_cmds[i].name, word, len) == 0 && (s_cmds[i].name[len] == '\0' || s_cmds[i].name[len] == ' '))
			n++;
	return n;
}

/* s_family_usage - the usage of every command whose first word is word. */
static void
s_family_usage(FILE *out, const char *word, int full)
{
	size_t len = strlen(word);

	for (size_t i = 0; i < s_ncmds; i++)
		if (strncmp(s_cmds[i].name, word, len) == 0 && s_cmds[i].name[len] == ' ') {
			if (full)
				s_cmd_usage(out, &s_cmds[i]);
			else {
				fputs("usage: ", out);
				s_cmd_line(out, &s_cmds[i]);
				fputc('\n', out);
			}
		}
}

/* s_usage - every command; 0 on stdout (asked for), 2 on stderr (after a mistake). */
static int
s_usage(FILE *out)
{
	fprintf(out, "usage: bhxhctl " S_GLOBAL " COMMAND [ARGS]\n");
	if (out == stderr) {
		fprintf(out, "bhxhctl --help lists the commands; bhxhctl COMMAND --help says what one does\n");
		return 2;
	}
	fputs("\n", out);
	for (size_t i = 0; i < s_ncmds; i++) {
		const char *p = s_cmds[i].help;
		int w = (int)(strlen(s_cmds[i].name) + (s_cmds[i].args[0] ? 1 + strlen(s_cmds[i].args) : 0));
		int first = 1;

		fprintf(out, "  %s%s%s", s_cmds[i].name, s_cmds[i].args[0] ? " " : "", s_cmds[i].args);
		if (w > 22)
			fputc('\n', out);
		while (*p) {
			size_t n = strcspn(p, "\n");

			fprintf(out, "%*s%.*s\n", first && w <= 22 ? 26 - 2 - w : 26, "", (int)n, p);
			first = 0;
			p += n + (p[n] == '\n');
		}
		if (first)
			fputc('\n', out);
	}
	fprintf(out, "\n"
	    "  --config FILE   default $BHXH_CONFIG, else config/bhxh.yaml here or beside the program,\n"
	    "                  else /etc/bhxh/bhxh.yaml\n"
	    "  --var-dir DIR   default $BHXH_VAR_DIR, else ./var\n"
	    "  -h, --help      this list; after a command, that command's usage (and nothing is done)\n");
	return 0;
}

/* s_bad - what is wrong with the arguments of the command that runs, and its
 * usage line, on stderr; the exit status 2. */
static int __attribute__((format(printf, 1, 2)))
s_bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bhxhctl: %s: ", s_cur->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nusage: ", stderr);
	s_cmd_line(stderr, s_cur);
	fprintf(stderr, "\n(bhxhctl %s --help says more)\n", s_cur->name);
	return 2;
}

/* s_getopt - getopt_long over the arguments of the command that runs (argv[0]
 * its last word; call first with optind 0), saying itself what is wrong: the
 * option, -1 after the last one (the operands from optind on), or '?' after
 * naming an unknown option or one without its value (exit status 2). */
static int
s_getopt(int argc, char **argv, const char *shorts, const struct option *longs)
{
	char spec[64];
	const char *bad;
	int opt;

	snprintf(spec, sizeof(spec), ":%s", shorts);
	opterr = 0;
	opt = getopt_long(argc, argv, spec, longs, NULL);
	if (opt != '?' && opt != ':')
		return opt;
	bad = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	if (opt == ':')
		s_bad("option '%s' needs a value", bad);
	else if (strncmp(bad, "--", 2) == 0 && optopt != 0 && strchr(bad, '=') != NULL)
		s_bad("option '%.*s' takes no value", (int)(strchr(bad, '=') - bad), bad);
	else if (strncmp(bad, "--", 2) == 0)
		s_bad("unknown option '%s'", bad);
	else
		s_bad("unknown option '-%c'", optopt ? optopt : '?');
	return '?';
}

/* s_operands - the operands of the command that runs after its options:
 * between min and max of them (max -1: any number), else 2 after saying so. */
static int
s_operands(int argc, char **argv, int min, int max, const char *what)
{
	int n = argc - optind;

	if (n < min)
		return s_bad("missing %s", what);
	if (max >= 0 && n > max)
		return s_bad("unexpected argument '%s'", argv[optind + max]);
	return 0;
}

static const struct option s_no_opts[] = { { NULL, 0, NULL, 0 } };

/* s_plain - a command without options: its operands (min to max), else 2. */
static int
s_plain(int argc, char **argv, int min, int max, const char *what)
{
	optind = 0;
	if (s_getopt(argc, argv, "", s_no_opts) != -1)
		return 2;
	return s_operands(argc, argv, min, max, what);
}

/* s_cmd_keygen - new key pairs; the public keys printed for the configuration. */
static int
s_cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = { { "dir", required_argument, NULL, 'd' }, { NULL, 0, NULL, 0 } };
	char dir[PATH_MAX + 8];
	int i, rc = 0, opt;

	snprintf(dir, sizeof(dir), "%s/keys", s_var);
	optind = 0;
	while ((opt = s_getopt(argc, argv, "", opts)) != -1) {
		if (opt != 'd')
			return 2;
		snprintf(dir, sizeof(dir), "%s", optarg);
	}
	if ((rc = s_operands(argc, argv, 1, -1, "NAME")) != 0)
		return rc;
	i = optind;
	if (fs_mkdirs(dir) != 0) {
		fprintf(stderr, "bhxhctl: keys dir %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (; i < argc; i++) {
		const char *name = argv[i];
		char path[PATH_MAX + 80], pub[41], why[PATH_MAX + 300];

		if (strlen(name) == 0 || strlen(name) > 31 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
		    strlen(name)) {
			fprintf(stderr, "bhxhctl: keygen: '%s': a name is a worker's name as it runs (ingest, validate-2,"
			    " aggregate, alert) or operator\n", name);
			rc = 2;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s.key", dir, name);
		if (curve_key_write(path, name, pub, why, sizeof(why)) != 0) {
			fprintf(stderr, "bhxhctl: keygen: %s\n", why);
			rc = 1;
			continue;
		}
		printf("      %s: \"%s\"\n", name, pub);
		fprintf(stderr, "bhxhctl: wrote %s (secret, mode 0600); the line above goes under endpoints.curve.public\n",
		    path);
	}
	return rc;
}

/* s_make_var - create the var dir named (commands that run workers); 0 or 2. */
static int
s_make_var(void)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", s_var);
	return s_set_var(dir, 1) == 0 ? 0 : 2;
}

/* s_exe_dir - directory of this program. */
static void
s_exe_dir(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	char *slash;

	if (n <= 0) {
		snprintf(buf, size, ".");
		return;
	}
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
}

/* s_find_config - the configuration path, made absolute. */
static int
s_find_config(char *out, size_t size)
{
	char cand[PATH_MAX + 32], dir[PATH_MAX];
	const char *c = s_config ? s_config : getenv("BHXH_CONFIG");

	if (c == NULL) {
		c = "config/bhxh.yaml";
		if (access(c, R_OK) != 0) {
			s_exe_dir(dir, sizeof(dir));
			snprintf(cand, sizeof(cand), "%s/../config/bhxh.yaml", dir);
			c = cand;
			if (access(c, R_OK) != 0) /* installed: make install */
				c = "/etc/bhxh/bhxh.yaml";
		}
	}
	if (realpath(c, out) == NULL) {
		fprintf(stderr, "bhxhctl: configuration %s: %s\n", c, strerror(errno));
		return -1;
	}
	(void)size;
	return 0;
}

/* s_load - load and check the configuration, printing every problem. */
static config_t *
s_load(char *path, size_t size)
{
	yt_diag_t d = { 0 };
	config_t *c;

	if (s_find_config(path, size) != 0)
		return NULL;
	c = config_load(path, &d);
	if (c == NULL)
		yt_diag_print(&d, stderr);
	yt_diag_free(&d);
	return c;
}

/* s_sha256_copy - copy src to fd while hashing; 0 or -1. */
static int
s_sha256_copy(int src, int dst, char hex[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[1 << 16], md[32];
	unsigned int mdlen = 0;
	ssize_t n;
	int rc = -1;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = read(src, buf, sizeof(buf))) > 0) {
		ssize_t off = 0;

		EVP_DigestUpdate(ctx, buf, (size_t)n);
		while (off < n) {
			ssize_t w = write(dst, buf + off, (size_t)(n - off));

			if (w < 0)
				goto out;
			off += w;
		}
	}
	if (n < 0 || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		goto out;
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* s_stamp_now - the current time as receipts are named by it (receipt_name_stamp). */
static void
s_stamp_now(char *buf, size_t size)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	receipt_name_stamp(buf, size, (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/* s_drop - the drop protocol: write a hidden temp file in the drop folder
 * (incoming/, or check/ for a dry run), fsync, rename to the final name
 * without replacing anything. */
static int
s_drop(const char *agency, const char *file, int dry, char *name_out, size_t nsize, char sha[65], char *stamp,
    size_t ssize)
{
	char dir[PATH_MAX + 300], tmp[PATH_MAX + 400], dst[PATH_MAX + 600];
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	int src = open(file, O_RDONLY | O_CLOEXEC), fd = -1, rc = -1;

	if (src < 0) {
		fprintf(stderr, "bhxhctl: %s: %s\n", file, strerror(errno));
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/spool/%s/%s", s_var, dry ? "check" : "incoming", agency);
	if (fs_mkdirs(dir) != 0) {
		fprintf(stderr, "bhxhctl: %s: %s\n", dir, strerror(errno));
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s/.%d.%ld.tmp", dir, (int)getpid(), (long)time(NULL));
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0 || s_sha256_copy(src, fd, sha) != 0 || fsync(fd) != 0) {
		fprintf(stderr, "bhxhctl: cannot copy %s into %s: %s\n", file, dir, strerror(errno));
		unlink(tmp);
		goto out;
	}
	snprintf(dst, sizeof(dst), "%s/%s", dir, base);
	s_stamp_now(stamp, ssize);
	for (int tries = 0; renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE) != 0; tries++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		if (errno != EEXIST || tries > 600) {
			fprintf(stderr, "bhxhctl: cannot place %s: %s\n", dst, strerror(errno));
			unlink(tmp);
			goto out;
		}
		nanosleep(&ts, NULL); /* an earlier file of that name is still being taken */
		s_stamp_now(stamp, ssize);
	}
	fs_fsync_dir(dst);
	snprintf(name_out, nsize, "%s", base);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	close(src);
	return rc;
}

/* s_slurp - a whole small file, malloc'd, or NULL. */
static char *
s_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (f == NULL)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* s_find_receipt - the receipt of the file dropped at stamp: the earliest JSON
 * receipt in the agency's outbox named at or after stamp (ingest names a
 * receipt by the time it took the file) for this file name and hash (a file
 * refused before it was read has no hash), a dry run's when dry, else a real
 * one's. Its path into out. */
static int
s_find_receipt(const char *agency, const char *name, const char *sha, const char *stamp, int dry, char *out,
    size_t size)
{
	char dir[PATH_MAX + 300], want_sha[100], best[64] = "";
	size_t slen = strlen(stamp);
	sb_t want_name;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/spool/outbox/%s", s_var, agency);
	snprintf(want_sha, sizeof(want_sha), "\"sha256\": \"%s\"", sha);
	sb_init(&want_name);
	sb_add(&want_name, "\"file\": ");
	sb_json_str(&want_name, name);
	if ((d = opendir(dir)) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		char path[PATH_MAX + 600], *txt;
		size_t n = strlen(de->d_name);

		if (n < slen + 6 || strcmp(de->d_name + n - 5, ".json") != 0 || de->d_name[slen] != '-' ||
		    strncmp(de->d_name, stamp, slen) < 0 || (best[0] && strncmp(de->d_name, best, slen) >= 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		txt = s_slurp(path);
		if (txt != NULL && strstr(txt, want_name.data) &&
		    (strstr(txt, want_sha) || strstr(txt, "\"sha256\": null")) &&
		    (strstr(txt, "\n  \"dry_run\": true,") != NULL) == (dry != 0)) {
			snprintf(out, size, "%s", path);
			snprintf(best, sizeof(best), "%.*s", (int)slen, de->d_name);
		}
		free(txt);
	}
	closedir(d);
out:
	sb_free(&want_name);
	return best[0] != '\0';
}

/* s_show_progress - one line about the file being read, on a terminal. */
static void
s_show_progress(const char *sha, time_t start)
{
	char path[PATH_MAX + 32], *p, *txt;
	unsigned long long rows = 0;
	double secs = difftime(time(NULL), start);

	if (!isatty(STDERR_FILENO))
		return;
	snprintf(path, sizeof(path), "%s/run/ingest.progress", s_var);
	txt = s_slurp(path);
	if (txt != NULL && strstr(txt, sha) && (p = strstr(txt, "\"rows\":")) != NULL) {
		unsigned long long bytes = 0, size = 0;
		char *q;

		rows = strtoull(p + 7, NULL, 10);
		if ((q = strstr(txt, "\"bytes\":")) != NULL)
			bytes = strtoull(q + 8, NULL, 10);
		if ((q = strstr(txt, "\"size\":")) != NULL)
			size = strtoull(q + 7, NULL, 10);
		if (strstr(txt, "\"done\":1") != NULL)
			fprintf(stderr, "\r  %llu rows read (100%%), waiting for the receipt    ", rows);
		else
			fprintf(stderr, "\r  %llu rows read (%.0f%%), %.0f rows/s   ", rows,
			    size > 0 ? 100.0 * (double)bytes / (double)size : 0.0, secs > 0 ? rows / secs : 0.0);
	}
	free(txt);
}

/* s_count_arg - a whole number between min and max from s; 0 or -1. */
static int
s_count_arg(const char *s, int min, int max, int *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* s_cmd_submit - drop files; with --wait print each receipt. */
static int
s_cmd_submit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agency", required_argument, NULL, 'a' }, { "wait", no_argument, NULL, 'w' },
		{ "format", required_argument, NULL, 'f' }, { "timeout", required_argument, NULL, 't' },
		{ "dry-run", no_argument, NULL, 'n' }, { NULL, 0, NULL, 0 }
	};
	const char *agency = NULL, *format = "text";
	int wait = 0, opt, rc = 0, timeout = 600, dry = 0;
	char cfgpath[PATH_MAX];
	config_t *c;

	optind = 0;
	while ((opt = s_getopt(argc, argv, "a:wf:t:", opts)) != -1) {
		switch (opt) {
		case 'a': agency = optarg; break;
		case 'w': wait = 1; break;
		case 'n': dry = wait = 1; break; /* a dry run is for its receipt */
		case 'f': format = optarg; break;
		case 't':
			if (s_count_arg(optarg, 1, 86400 * 7, &timeout) != 0)
				return s_bad("--timeout '%s': expected seconds, 1 to 604800", optarg);
			break;
		default: return 2;
		}
	}
	if (agency == NULL)
		return s_bad("missing --agency ID");
	if (strcmp(format, "json") != 0 && strcmp(format, "text") != 0)
		return s_bad("--format '%s': expected json or text", format);
	if ((opt = s_operands(argc, argv, 1, -1, "FILE")) != 0)
		return opt;
	if ((c = s_load(cfgpath, sizeof(cfgpath))) == NULL)
		return 2;
	if (config_agency(c, agency) == NULL) {
		fprintf(stderr, "bhxhctl: unknown agency '%s' (see agencies in %s)\n", agency, cfgpath);
		config_free(&c);
		return 2;
	}
	config_free(&c);
	for (int i = optind; i < argc; i++) {
		char name[PATH_MAX], sha[65], path[PATH_MAX + 900], stamp[64];
		time_t start = time(NULL);
		char *txt;

		if (s_drop(agency, argv[i], dry, name, sizeof(name), sha, stamp, sizeof(stamp)) != 0) {
			rc = 1;
			continue;
		}
		if (!wait) {
			printf("%s: submitted as %s/%s (sha256 %s)\n", argv[i], agency, name, sha);
			continue;
		}
		for (;;) {
			struct timespec ts = { 0, 50 * 1000 * 1000 };

			if (s_find_receipt(agency, name, sha, stamp, dry, path, sizeof(path)))
				break;
			if (difftime(time(NULL), start) > timeout) {
				fprintf(stderr, "bhxhctl: %s: no receipt after %d s; is the pipeline up (bhxhctl status)?\n",
				    argv[i], timeout);
				return 3;
			}
			s_show_progress(sha, start);
			nanosleep(&ts, NULL);
		}
		if (isatty(STDERR_FILENO))
			fprintf(stderr, "\r%60s\r", "");
		if (strcmp(format, "text") == 0)
			snprintf(path + strlen(path) - 5, 6, ".txt");
		txt = s_slurp(path);
		fputs(txt ? txt : "", stdout);
		/* a dry run exits as the real submission would: 1 if it would be rejected */
		if (txt != NULL && (strstr(txt, strcmp(format, "json") == 0 ? "\"status\": \"rejected\"" : "(rejected)") ||
		    strstr(txt, "\"would_be\": \"rejected\"")))
			rc = 1;
		free(txt);
	}
	return rc;
}

/* s_ask - one command to a worker at its control address (local or on
 * another host), with the configuration's endpoints; 0 with the answer's
 * code and body (malloc'd), or -1 after saying that the worker does not
 * answer. */
static int
s_ask(const char *worker, const char *cmd, char *const *args, int nargs, int timeout_ms, int64_t *code, char **body)
{
	char cfgpath[PATH_MAX], err[200];
	config_t *c;
	int rc;

	*body = NULL;
	if ((c = s_load(cfgpath, sizeof(cfgpath))) == NULL)
		return -1;
	rc = supervise_ask(c, s_var, worker, cmd, args, nargs, timeout_ms, code, body, err, sizeof(err));
	config_free(&c);
	if (rc != 0) {
		fprintf(stderr, "bhxhctl: the %s worker does not answer (%s); is the pipeline up (bhxhctl status)?\n",
		    worker, err);
		free(*body);
		*body = NULL;
		return -1;
	}
	return 0;
}

/* s_answer - print a worker's answer (to stderr unless it is a success,
 * ending with a newline) and free it; the exit status: 0 done, 2 bad
 * arguments, 1 failed. */
static int
s_answer(int64_t code, char *body)
{
	FILE *out = code == 0 ? stdout : stderr;

	if (code != 0 && strncmp(body, "bhxhctl", 7) != 0)
		fputs("bhxhctl: ", out);
	fputs(body, out);
	if (body[0] != '\0' && body[strlen(body) - 1] != '\n')
		fputc('\n', out);
	free(body);
	return code == 0 ? 0 : code == 1 ? 2 : 1;
}

/* s_cmd_report - print a report, as the aggregate worker answers it from
 * its database (bhxhctl opens none: the aggregate may run on another host). */
static int
s_cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "period", required_argument, NULL, 'p' }, { "org-unit", required_argument, NULL, 'u' },
		{ "format", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 }
	};
	const char *period = "", *unit = "", *what, *format = "table";
	char *args[4], *body;
	int64_t code = 0;
	int opt;

	optind = 0;
	while ((opt = s_getopt(argc, argv, "p:u:f:", opts)) != -1) {
		switch (opt) {
		case 'p': period = optarg; break;
		case 'u': unit = optarg; break;
		case 'f': format = optarg; break;
		default: return 2;
		}
	}
	if ((opt = s_operands(argc, argv, 1, 1, "coverage or findings")) != 0)
		return opt;
	what = argv[optind];
	if (strcmp(what, "coverage") != 0 && strcmp(what, "findings") != 0)
		return s_bad("'%s': expected coverage or findings", what);
	if (report_format_parse(format) < 0)
		return s_bad("--format '%s': expected csv, json or table", format);
	args[0] = (char *)what;
	args[1] = (char *)period;
	args[2] = (char *)unit;
	args[3] = (char *)format;
	/* first a quick "status", so that an aggregate that is not up is said
	 * at once, and only then the long wait for the report itself */
	if (s_ask("aggregate", "status", NULL, 0, PING_TIMEOUT_MS, &code, &body) != 0)
		return 1;
	free(body);
	if (s_ask("aggregate", "report", args, 4, REPORT_TIMEOUT_MS, &code, &body) != 0)
		return 1;
	if (code == 0) {
		fputs(body, stdout);
		free(body);
		return 0;
	}
	return s_answer(code, body);
}

/* s_quarantine - one quarantine command to the aggregate worker (which
 * answers 2, exit 1, for an id that names no quarantined file). */
static int
s_quarantine(const char *cmd, char **args, int nargs)
{
	int64_t code = 0;
	char *body = NULL;

	if (s_ask("aggregate", cmd, args, nargs, 60000, &code, &body) != 0)
		return 1;
	return s_answer(code, body);
}

/* s_cmd_quarantine_list - the quarantined files, a table or JSON. */
static int
s_cmd_quarantine_list(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
	char *args[1] = { "json" };
	int json = 0, opt;

	optind = 0;
	while ((opt = s_getopt(argc, argv, "", opts)) != -1) {
		if (opt != 'j')
			return 2;
		json = 1;
	}
	if ((opt = s_operands(argc, argv, 0, 0, "")) != 0)
		return opt;
	return s_quarantine("quarantine-list", args, json);
}

/* s_cmd_quarantine_retry / _drop - apply or give up one quarantined file. */
static int
s_cmd_quarantine_retry(int argc, char **argv)
{
	int rc = s_plain(argc, argv, 1, 1, "ID");

	return rc != 0 ? rc : s_quarantine("quarantine-retry", argv + optind, 1);
}

static int
s_cmd_quarantine_drop(int argc, char **argv)
{
	int rc = s_plain(argc, argv, 1, 1, "ID");

	return rc != 0 ? rc : s_quarantine("quarantine-drop", argv + optind, 1);
}

/* s_cmd_check - check the configuration; with --var-dir after the command,
 * also its org-unit tree against the history the aggregate holds (asked on
 * its control socket: it may run elsewhere). */
static int
s_cmd_check(int argc, char **argv)
{
	char path[PATH_MAX], *body = NULL;
	config_t *c;
	char **args;
	int64_t code = 0;
	static const struct option opts[] = { { "var-dir", required_argument, NULL, 'v' }, { NULL, 0, NULL, 0 } };
	const char *var = NULL;
	int n = 0, rc, opt;

	optind = 0;
	while ((opt = s_getopt(argc, argv, "", opts)) != -1) {
		if (opt != 'v')
			return 2;
		var = optarg;
	}
	if ((rc = s_operands(argc, argv, 0, 0, "")) != 0)
		return rc;
	if (var != NULL && s_set_var(var, 0) != 0)
		return 2;
	if ((c = s_load(path, sizeof(path))) == NULL)
		return 2;
	printf("%s: OK (%d org units, %d agencies, %d record types)\n", path, c->nunits, c->nagencies, c->nrtypes);
	if (var == NULL) {
		config_free(&c);
		return 0;
	}
	args = xcalloc((size_t)(c->nunits + c->nmoves + 1), sizeof(char *));
	for (int i = 0; i < c->nunits; i++)
		args[n++] = xstrdup(c->units[i].code);
	args[n++] = xstrdup("--");
	for (int i = 0; i < c->nmoves; i++) {
		sb_t b;

		sb_init(&b);
		sb_addf(&b, "%s=%s", c->moves[i].from, c->moves[i].to);
		args[n++] = b.data;
	}
	config_free(&c);
	rc = s_ask("aggregate", "tree-check", args, n, 120000, &code, &body);
	for (int i = 0; i < n; i++)
		free(args[i]);
	free(args);
	if (rc != 0) {
		fprintf(stderr, "bhxhctl: the tree could not be checked against the data of %s: start the aggregate"
		    " (with the configuration it runs on now) and check again\n", s_var);
		return 1;
	}
	fputs(body, code == 0 ? stdout : stderr);
	free(body);
	return code == 0 ? 0 : 1;
}

/* s_now_ms - unix milliseconds (BHXH_NOW, unix seconds, overrides, as in the alert worker). */
static long long
s_now_ms(void)
{
	const char *fake = getenv("BHXH_NOW");

	return (fake != NULL && fake[0] != '\0' ? atoll(fake) : (long long)time(NULL)) * 1000;
}

/* s_parse_until - "+2h" / "2h" (from now) or "YYYY-MM-DD HH:MM[:SS]" / "YYYY-MM-DDTHH:MM" local time; ms or -1. */
static long long
s_parse_until(const char *s)
{
	struct tm tm = { 0 };
	long long ms;
	const char *end;

	if (alert_duration_parse(s[0] == '+' ? s + 1 : s, &ms) == 0)
		return s_now_ms() + ms;
	if ((end = strptime(s, "%Y-%m-%dT%H:%M", &tm)) == NULL && (end = strptime(s, "%Y-%m-%d %H:%M", &tm)) == NULL)
		return -1;
	if (*end == ':' && (end = strptime(end, ":%S", &tm)) == NULL)
		return -1;
	if (*end != '\0')
		return -1;
	tm.tm_isdst = -1;
	return (long long)mktime(&tm) * 1000;
}

/* s_cmd_silence_add - check the matchers and the time, then ask the alert
 * worker to store the silence (it checks them again). */
static int
s_cmd_silence_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "matcher", required_argument, NULL, 'm' }, { "author", required_argument, NULL, 'a' },
		{ "comment", required_argument, NULL, 'c' }, { "until", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	const char *author = NULL, *comment = NULL, *until = NULL;
	char **args = calloc((size_t)argc + 4, sizeof(char *)), *body, ends_s[32];
	long long ends;
	int64_t code = 0;
	int opt, n = 3;

	if (args == NULL)
		return 1;
	optind = 0;
	while ((opt = s_getopt(argc, argv, "m:a:c:u:", opts)) != -1) {
		alert_matcher_t am;
		char err[200];

		switch (opt) {
		case 'm':
			if (alert_matcher_parse(optarg, &am, err, sizeof(err)) != 0) {
				fprintf(stderr, "bhxhctl: --matcher %s\n", err);
				free(args);
				return 2;
			}
			alert_matcher_clear(&am);
			args[n++] = optarg;
			break;
		case 'a': author = optarg; break;
		case 'c': comment = optarg; break;
		case 'u': until = optarg; break;
		default: free(args); return 2;
		}
	}
	if (optind < argc) {
		free(args);
		return s_bad("unexpected argument '%s'", argv[optind]);
	}
	if (n == 3 || author == NULL || comment == NULL || until == NULL) {
		free(args);
		return s_bad("needs --matcher, --author, --comment and --until");
	}
	if ((ends = s_parse_until(until)) < 0 || ends <= s_now_ms()) {
		fprintf(stderr, "bhxhctl: --until %s: expected a future time (YYYY-MM-DD HH:MM) or a duration (+2h, 7d)\n", until);
		free(args);
		return 2;
	}
	snprintf(ends_s, sizeof(ends_s), "%lld", ends);
	args[0] = (char *)author;
	args[1] = (char *)comment;
	args[2] = ends_s;
	opt = s_ask("alert", "silence-add", args, n, 60000, &code, &body);
	free(args);
	return opt != 0 ? 1 : s_answer(code, body);
}

/* s_cmd_silence_list - every silence, through the alert worker. */
static int
s_cmd_silence_list(int argc, char **argv)
{
	int64_t code = 0;
	char *body;
	int rc = s_plain(argc, argv, 0, 0, "");

	if (rc != 0)
		return rc;
	if (s_ask("alert", "silence-list", NULL, 0, 60000, &code, &body) != 0)
		return 1;
	return s_answer(code, body);
}

/* s_cmd_silence_expire - end an active silence now; exit 1 if there is no such one. */
static int
s_cmd_silence_expire(int argc, char **argv)
{
	int64_t code = 0;
	char *body;
	int rc = s_plain(argc, argv, 1, 1, "ID");

	if (rc != 0)
		return rc;
	if (s_ask("alert", "silence-expire", argv + optind, 1, 60000, &code, &body) != 0)
		return 1;
	return s_answer(code, body);
}

/* s_cmd_ack - acknowledge an open alert, through the alert worker; exits 1
 * when no alert of that kind and subject is open. */
static int
s_cmd_ack(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' }, { "subject", required_argument, NULL, 's' },
		{ "author", required_argument, NULL, 'a' }, { "comment", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	const char *kind = NULL, *subject = NULL, *author = NULL, *comment = "";
	char *args[4], *body;
	int64_t code = 0;
	int opt;

	optind = 0;
	while ((opt = s_getopt(argc, argv, "k:s:a:c:", opts)) != -1) {
		switch (opt) {
		case 'k': kind = optarg; break;
		case 's': subject = optarg; break;
		case 'a': author = optarg; break;
		case 'c': comment = optarg; break;
		default: return 2;
		}
	}
	if ((opt = s_operands(argc, argv, 0, 0, "")) != 0)
		return opt;
	if (kind == NULL || subject == NULL || author == NULL)
		return s_bad("needs --kind, --subject and --author");
	args[0] = (char *)kind;
	args[1] = (char *)subject;
	args[2] = (char *)author;
	args[3] = (char *)comment;
	if (s_ask("alert", "ack", args, 4, 60000, &code, &body) != 0)
		return 1;
	return s_answer(code, body);
}

/* s_cmd_serve_metrics - the metrics and health server in the foreground. */
static int
s_cmd_serve_metrics(int argc, char **argv)
{
	char cfgpath[PATH_MAX];
	const char *listen = NULL;
	static const struct option opts[] = { { "listen", required_argument, NULL, 'l' }, { NULL, 0, NULL, 0 } };
	config_t *c;
	int rc, opt;

	optind = 0;
	while ((opt = s_getopt(argc, argv, "", opts)) != -1) {
		if (opt != 'l')
			return 2;
		listen = optarg;
	}
	if ((rc = s_operands(argc, argv, 0, 0, "")) != 0 || (rc = s_make_var()) != 0)
		return rc;
	if ((c = s_load(cfgpath, sizeof(cfgpath))) == NULL)
		return 2;
	if (listen == NULL)
		listen = c->metrics.listen;
	if (listen == NULL) {
		fprintf(stderr, "bhxhctl: serve-metrics: no address: set metrics.listen in %s or give --listen HOST:PORT\n",
		    cfgpath);
		config_free(&c);
		return 2;
	}
	rc = metrics_http_serve(c, s_var, listen);
	config_free(&c);
	return rc;
}

/* s_cmd_status - each worker's state, asked at its control address. */
static int
s_cmd_status(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
	char cfgpath[PATH_MAX];
	config_t *c;
	int json = 0, opt, rc;

	optind = 0;
	while ((opt = s_getopt(argc, argv, "", opts)) != -1) {
		if (opt != 'j')
			return 2;
		json = 1;
	}
	if ((rc = s_operands(argc, argv, 0, 0, "")) != 0)
		return rc;
	if ((c = s_load(cfgpath, sizeof(cfgpath))) == NULL)
		return 2;
	rc = supervise_status(c, s_var, json);
	config_free(&c);
	return rc;
}

/* s_cmd_down - stop the supervisor and every worker of the var dir. */
static int
s_cmd_down(int argc, char **argv)
{
	int rc = s_plain(argc, argv, 0, 0, "");

	return rc != 0 ? rc : supervise_down(s_var);
}

/* s_cmd_reload - SIGHUP to the workers of the var dir on this host. */
static int
s_cmd_reload(int argc, char **argv)
{
	int rc = s_plain(argc, argv, 0, 0, "");

	return rc != 0 ? rc : supervise_reload(s_var);
}

/* s_only - the --only option of up, supervise and restore; 0 or 2. */
static int
s_only(int argc, char **argv, int noperands, const char **only)
{
	static const struct option opts[] = { { "only", required_argument, NULL, 'o' }, { NULL, 0, NULL, 0 } };
	int opt;

	*only = NULL;
	optind = 0;
	while ((opt = s_getopt(argc, argv, "", opts)) != -1) {
		if (opt != 'o')
			return 2;
		if (optarg[0] == '\0')
			return s_bad("--only: name at least one worker");
		*only = optarg;
	}
	return s_operands(argc, argv, noperands, noperands, "DIR");
}

/* s_cmd_up / s_cmd_supervise - the supervisor in the background (returning
 * once the workers are ready) or in the foreground. */
static int
s_run_supervisor(int argc, char **argv, int background)
{
	char cfgpath[PATH_MAX], bindir[PATH_MAX];
	const char *only;
	config_t *c;
	int rc = s_only(argc, argv, 0, &only);

	if (rc != 0 || (rc = s_make_var()) != 0)
		return rc;
	if ((c = s_load(cfgpath, sizeof(cfgpath))) == NULL)
		return 2;
	s_exe_dir(bindir, sizeof(bindir));
	rc = background ? supervise_up(c, cfgpath, s_var, bindir, only) : supervise_run(c, cfgpath, s_var, bindir, 0, only);
	config_free(&c);
	return rc;
}

static int
s_cmd_up(int argc, char **argv)
{
	return s_run_supervisor(argc, argv, 1);
}

static int
s_cmd_supervise(int argc, char **argv)
{
	return s_run_supervisor(argc, argv, 0);
}

/* s_cmd_worker - one worker in this process, or the list of them. */
static int
s_cmd_worker(int argc, char **argv)
{
	static const struct option opts[] = { { "list", no_argument, NULL, 'l' }, { NULL, 0, NULL, 0 } };
	char cfgpath[PATH_MAX], bindir[PATH_MAX];
	config_t *c;
	int list = 0, opt, rc;

	optind = 0;
	while ((opt = s_getopt(argc, argv, "", opts)) != -1) {
		if (opt != 'l')
			return 2;
		list = 1;
	}
	if ((rc = s_operands(argc, argv, list ? 0 : 1, list ? 0 : 1, "NAME (or --list)")) != 0 ||
	    (!list && (rc = s_make_var()) != 0))
		return rc;
	if ((c = s_load(cfgpath, sizeof(cfgpath))) == NULL)
		return 2;
	s_exe_dir(bindir, sizeof(bindir));
	rc = supervise_exec(c, cfgpath, s_var, bindir, list ? "--list" : argv[optind], list);
	config_free(&c);
	return rc;
}

/* s_cmd_backup / s_cmd_restore - see ctl_backup.h. */
static int
s_cmd_backup(int argc, char **argv)
{
	char cfgpath[PATH_MAX];
	config_t *c;
	int rc = s_plain(argc, argv, 1, 1, "DIR");

	if (rc != 0)
		return rc;
	if ((c = s_load(cfgpath, sizeof(cfgpath))) == NULL)
		return 2;
	rc = ctl_backup(c, s_var, argv[optind]);
	config_free(&c);
	return rc;
}

static int
s_cmd_restore(int argc, char **argv)
{
	char cfgpath[PATH_MAX];
	const char *only;
	config_t *c;
	int rc = s_only(argc, argv, 1, &only);

	if (rc != 0)
		return rc;
	if ((c = s_load(cfgpath, sizeof(cfgpath))) == NULL)
		return 2;
	rc = ctl_restore(c, s_var, argv[optind], only);
	config_free(&c);
	return rc;
}

/* One receipt found in an outbox folder (s_cmd_receipts). */
typedef struct {
	char *name;          /* STAMP-FILE.json */
	const char *agency;  /* the configuration's id */
} s_receipt_t;

/* s_receipt_cmp - newest first: receipts are named by the time their file was taken. */
static int
s_receipt_cmp(const void *a, const void *b)
{
	const s_receipt_t *x = a, *y = b;
	int c = strcmp(y->name, x->name);

	return c != 0 ? c : strcmp(x->agency, y->agency);
}

#define S_STAMP_LEN 23 /* YYYYmmddTHHMMSS.uuuuuuZ, receipt_name_stamp */

/* s_is_receipt - name is a JSON receipt's: STAMP-FILE.json. */
static int
s_is_receipt(const char *name)
{
	size_t n = strlen(name);

	return n > S_STAMP_LEN + 6 && name[S_STAMP_LEN] == '-' && name[8] == 'T' && name[S_STAMP_LEN - 1] == 'Z' &&
	    strspn(name, "0123456789") == 8 && strcmp(name + n - 5, ".json") == 0;
}

/* s_receipt_status - the status a JSON receipt holds (applied, rejected,
 * repeat), or "?" if it cannot be read. */
static void
s_receipt_status(const char *path, char *out, size_t size)
{
	static const char key[] = "\n  \"status\": \"";
	char buf[16384], *p;
	FILE *f = fopen(path, "r");
	size_t n = 0, len;

	snprintf(out, size, "?");
	if (f == NULL)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f); /* the status comes before the errors, in the first lines */
	fclose(f);
	buf[n] = '\0';
	if ((p = strstr(buf, key)) == NULL)
		return;
	p += sizeof(key) - 1;
	len = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
	if (len > 0 && p[len] == '"')
		snprintf(out, size, "%.*s", (int)len, p);
}

/* s_cmd_receipts - the newest receipts in the agencies' outbox folders on
 * this host (VAR/spool/outbox/AGENCY/), newest first; reads only those
 * folders and the receipts it shows, no worker's database. */
static int
s_cmd_receipts(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agency", required_argument, NULL, 'a' }, { "last", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	const char *agency = NULL;
	char cfgpath[PATH_MAX];
	s_receipt_t *r = NULL;
	size_t nr = 0, cap = 0;
	int last = 10, opt, rc;
	config_t *c;

	optind = 0;
	while ((opt = s_getopt(argc, argv, "a:n:", opts)) != -1) {
		switch (opt) {
		case 'a': agency = optarg; break;
		case 'n':
			if (s_count_arg(optarg, 1, 1000000, &last) != 0)
				return s_bad("--last '%s': expected a number of receipts, 1 or more", optarg);
			break;
		default: return 2;
		}
	}
	if ((rc = s_operands(argc, argv, 0, 0, "")) != 0)
		return rc;
	if ((c = s_load(cfgpath, sizeof(cfgpath))) == NULL)
		return 2;
	if (agency != NULL && config_agency(c, agency) == NULL) {
		fprintf(stderr, "bhxhctl: receipts: unknown agency '%s' (see agencies in %s)\n", agency, cfgpath);
		config_free(&c);
		return 2;
	}
	for (int i = 0; i < c->nagencies; i++) {
		char dir[PATH_MAX + 300];
		struct dirent *de;
		DIR *d;

		if (agency != NULL && strcmp(agency, c->agencies[i].id) != 0)
			continue;
		snprintf(dir, sizeof(dir), "%s/spool/outbox/%s", s_var, c->agencies[i].id);
		if ((d = opendir(dir)) == NULL) {
			if (errno != ENOENT) /* none yet: the agency has sent nothing */
				fprintf(stderr, "bhxhctl: receipts: %s: %s\n", dir, strerror(errno));
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (!s_is_receipt(de->d_name))
				continue;
			if (nr == cap) {
				cap = cap ? cap * 2 : 64;
				r = xrealloc(r, cap * sizeof(*r));
			}
			r[nr].name = xstrdup(de->d_name);
			r[nr++].agency = c->agencies[i].id;
		}
		closedir(d);
	}
	if (nr > 0)
		qsort(r, nr, sizeof(*r), s_receipt_cmp);
	if (nr == 0)
		printf("no receipt in %s/spool/outbox%s%s\n", s_var, agency != NULL ? "/" : "", agency != NULL ? agency : "");
	else
		printf("%-20s  %-10s  %-8s  %-40s  %s\n", "time (UTC)", "agency", "status", "file", "receipt");
	for (size_t i = 0; i < nr && i < (size_t)last; i++) {
		const char *n = r[i].name;
		char json[PATH_MAX + 600], text[PATH_MAX + 600], status[32];
		size_t len = strlen(n);

		snprintf(json, sizeof(json), "%s/spool/outbox/%s/%s", s_var, r[i].agency, n);
		snprintf(text, sizeof(text), "%.*s.txt", (int)strlen(json) - 5, json);
		s_receipt_status(json, status, sizeof(status));
		printf("%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ  %-10s  %-8s  %-40.*s  %s\n", n, n + 4, n + 6, n + 9, n + 11,
		    n + 13, r[i].agency, status, (int)(len - S_STAMP_LEN - 6), n + S_STAMP_LEN + 1,
		    access(text, R_OK) == 0 ? text : json);
	}
	for (size_t i = 0; i < nr; i++)
		free(r[i].name);
	free(r);
	config_free(&c);
	return 0;
}

/* s_rtype_named - the record type named name (its name or a file-name
 * prefix, such as labour_force), or NULL. */
static const cfg_rtype_t *
s_rtype_named(const config_t *c, const char *name)
{
	const cfg_rtype_t *rt = config_rtype(c, name);

	for (int i = 0; rt == NULL && i < c->nrtypes; i++)
		for (int k = 0; k < c->rtypes[i].nprefixes; k++)
			if (strcmp(c->rtypes[i].prefixes[k], name) == 0)
				rt = &c->rtypes[i];
	return rt;
}

/* s_cmd_template - an empty file of a record type with the accepted
 * Vietnamese headings and one example row that passes the checks. */
static int
s_cmd_template(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' }, { "out", required_argument, NULL, 'o' },
		{ "agency", required_argument, NULL, 'a' }, { "period", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	const char *format = "csv", *out = NULL, *agency = NULL, *period = NULL;
	char cfgpath[PATH_MAX], path[PATH_MAX + 16], err[PATH_MAX + 200];
	const cfg_agency_t *ag = NULL;
	const cfg_rtype_t *rt;
	char **values;
	int opt, rc, year, month;
	config_t *c;

	optind = 0;
	while ((opt = s_getopt(argc, argv, "f:o:a:p:", opts)) != -1) {
		switch (opt) {
		case 'f': format = optarg; break;
		case 'o': out = optarg; break;
		case 'a': agency = optarg; break;
		case 'p': period = optarg; break;
		default: return 2;
		}
	}
	if (strcmp(format, "csv") != 0 && strcmp(format, "xlsx") != 0)
		return s_bad("--format '%s': expected csv or xlsx", format);
	if (out != NULL && out[0] == '\0')
		return s_bad("--out: expected a file name");
	if (period != NULL) {
		char tail;

		if (sscanf(period, "%4d-%2d%c", &year, &month, &tail) != 2 || strlen(period) != 7 || year < 1900 ||
		    year > 2100 || month < 1 || month > 12)
			return s_bad("--period '%s': expected YYYY-MM", period);
	} else { /* the month agencies usually report: the one before this */
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		year = tm.tm_year + 1900;
		month = tm.tm_mon; /* 0 in January: December of the year before */
		if (month == 0) {
			month = 12;
			year--;
		}
	}
	if ((rc = s_operands(argc, argv, 1, 1, "TYPE")) != 0)
		return rc;
	if ((c = s_load(cfgpath, sizeof(cfgpath))) == NULL)
		return 2;
	if ((rt = s_rtype_named(c, argv[optind])) == NULL) {
		fprintf(stderr, "bhxhctl: template: unknown record type '%s'; the types are:", argv[optind]);
		for (int i = 0; i < c->nrtypes; i++)
			fprintf(stderr, " %s", c->rtypes[i].name);
		fprintf(stderr, " (see %s)\n", c->schemas);
		config_free(&c);
		return 2;
	}
	if (agency != NULL && (ag = config_agency(c, agency)) == NULL) {
		fprintf(stderr, "bhxhctl: template: unknown agency '%s' (see agencies in %s)\n", agency, cfgpath);
		config_free(&c);
		return 2;
	}
	if (ag != NULL && !config_agency_allows(ag, rt->name))
		fprintf(stderr, "bhxhctl: template: note: agency '%s' may not send %s files\n", ag->id, rt->name);
	snprintf(path, sizeof(path), "%s", out != NULL ? out : "");
	if (out == NULL)
		snprintf(path, sizeof(path), "%s_mau.%s", rt->name, format);
	values = xcalloc((size_t)rt->nfields + 1, sizeof(char *));
	if (tpl_example(c, ag, rt, year, month, values) != 0)
		fprintf(stderr, "bhxhctl: template: warning: no example row for %s passes the checks of %s;"
		    " the example row is only a guide\n", rt->name, c->schemas);
	rc = 0;
	if (tpl_write(path, format, rt, values, err, sizeof(err)) != 0) {
		fprintf(stderr, "bhxhctl: template: %s\n", err);
		rc = 1;
	} else {
		printf("%s: template for %s files (%d columns, headings in Vietnamese, one example row to replace)\n",
		    path, rt->name, rt->nfields);
	}
	tpl_free_values(rt, values);
	free(values);
	config_free(&c);
	return rc;
}

static int s_cmd_help(int argc, char **argv);

static const s_cmd_t s_cmds[] = {
	{ "up", "[--only W[,W...]]", "start the workers in the background (supervised) and wait until ready;\n"
	    "--only: just these here (ingest, validate or validate-N, aggregate, alert)", s_cmd_up },
	{ "down", "", "stop them gracefully (and any worker of the var dir left running)", s_cmd_down },
	{ "status", "[--json]", "each worker's state and why, since when, messages, restarts, last error,\n"
	    "asked at its control address (remote ones too, 2 s at most);\n"
	    "exit 1 unless every worker is ready or busy", s_cmd_status },
	{ "submit", "--agency ID [--wait] [--dry-run] [--timeout SEC] [--format json|text] FILE...",
	    "drop files for an agency; with --wait print each receipt and exit 1\n"
	    "if a file was rejected (refused whole, or no row of it valid; 3 if no\n"
	    "receipt came within --timeout, default 600 s); --dry-run: check each file\n"
	    "through the pipeline and print the receipt a real submission would get\n"
	    "(status checked), applying nothing and counting nothing (implies --wait)", s_cmd_submit },
	{ "template", "TYPE [--format csv|xlsx] [--out FILE] [--agency ID] [--period YYYY-MM]",
	    "write an empty file of a record type for an agency to fill: the accepted\n"
	    "Vietnamese headings and one example row that passes the checks (default\n"
	    "TYPE_mau.csv or .xlsx here; an existing file is never replaced: exit 1;\n"
	    "--agency: org units of its area; --period: the example's month, default\n"
	    "last month; an unknown TYPE lists the types, exit 2)", s_cmd_template },
	{ "receipts", "[--agency ID] [--last N]", "the newest receipts (default the last 10) in the agencies' outbox folders\n"
	    "on this host, newest first: when the file was taken, agency, status, file and\n"
	    "the receipt to read (its JSON twin beside it)", s_cmd_receipts },
	{ "report", "coverage|findings [--period YYYY-MM] [--org-unit CODE] [--format csv|json|table]",
	    "coverage by org unit and period, or the findings, as the aggregate worker\n"
	    "answers it from its database (wherever it runs)", s_cmd_report },
	{ "check-config", "[--var-dir DIR]", "check the configuration and print every problem; with --var-dir\n"
	    "also its org-unit tree against that pipeline's history (asks the aggregate)", s_cmd_check },
	{ "silence add", "--matcher LABEL=VALUE... --author A --comment C --until TIME|+DURATION",
	    "silence the alerts that match every matcher until TIME (YYYY-MM-DD HH:MM)\n"
	    "or for DURATION (2h, 7d); prints its id", s_cmd_silence_add },
	{ "silence list", "", "silences (active and past)", s_cmd_silence_list },
	{ "silence expire", "ID", "end an active silence now; exit 1 if there is no such one", s_cmd_silence_expire },
	{ "ack", "--kind K --subject S --author A [--comment C]",
	    "stop repeats of an open alert until its state changes;\n"
	    "exit 1 if no such alert is open", s_cmd_ack },
	{ "quarantine list", "[--json]", "files set aside because they could not be applied", s_cmd_quarantine_list },
	{ "quarantine retry", "ID", "apply a quarantined file now (unless a newer snapshot replaced it)",
	    s_cmd_quarantine_retry },
	{ "quarantine drop", "ID", "give up on a quarantined file; its agency gets a receipt saying so",
	    s_cmd_quarantine_drop },
	{ "backup", "DIR", "every worker copies its database into DIR on its own host, online,\n"
	    "ingest first, alert last; DIR/manifest.json lists each file, its size,\n"
	    "SHA-256 and schema version; exit 1 naming any worker that failed", s_cmd_backup },
	{ "restore", "DIR [--only W[,W...]]", "with the pipeline down: check the backups of DIR, move the\n"
	    "databases aside to VAR/db/pre-restore-TIME/ and put the backups in place", s_cmd_restore },
	{ "supervise", "[--only W[,W...]]", "run the supervisor in the foreground (for systemd)", s_cmd_supervise },
	{ "serve-metrics", "[--listen HOST:PORT]", "serve GET /metrics (Prometheus) and /healthz in the foreground\n"
	    "for every worker of the configuration (default: metrics.listen)", s_cmd_serve_metrics },
	{ "reload", "", "every worker of the var dir on this host rereads the configuration: a key\n"
	    "marked `at once` (docs/CONFIGURATION.md) takes effect, any other waits for\n"
	    "a restart (see status); each reopens its log file (so does the supervisor)", s_cmd_reload },
	{ "worker", "NAME | --list", "run one worker in this process (for bhxh-worker@NAME.service), or list\n"
	    "the workers of the configuration (ingest, validate or validate-N, ...)", s_cmd_worker },
	{ "keygen", "[--dir DIR] NAME...", "a CURVE key pair per name (a worker as it runs, or operator) into\n"
	    "DIR/NAME.key (mode 0600; default DIR: VAR/keys); prints the public keys\n"
	    "as lines for endpoints.curve.public", s_cmd_keygen },
	{ "help", "[COMMAND]", "the commands, or what one does", s_cmd_help },
};
static const size_t s_ncmds = sizeof(s_cmds) / sizeof(s_cmds[0]);

/* s_find - the command named by argv (one word, or two for a family);
 * *words: how many of argv it took. NULL after saying what is wrong (2),
 * or, for a family's first word alone, with *words 0. */
static const s_cmd_t *
s_find(int argc, char **argv, int *words)
{
	*words = 0;
	for (size_t i = 0; i < s_ncmds; i++) {
		const char *name = s_cmds[i].name, *sp = strchr(name, ' ');

		if (sp == NULL && strcmp(name, argv[0]) == 0) {
			*words = 1;
			return &s_cmds[i];
		}
		if (sp != NULL && argc > 1 && strncmp(name, argv[0], (size_t)(sp - name)) == 0 &&
		    argv[0][sp - name] == '\0' && strcmp(sp + 1, argv[1]) == 0) {
			*words = 2;
			return &s_cmds[i];
		}
	}
	return NULL;
}

/* s_wants_help - --help or -h among the arguments (before a "--"). */
static int
s_wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

/* s_unknown - a command that is not in the table: say so, exit 2. */
static int
s_unknown(int argc, char **argv)
{
	if (s_family(argv[0]) > 0) {
		if (argc < 2)
			fprintf(stderr, "bhxhctl: %s: missing subcommand\n", argv[0]);
		else
			fprintf(stderr, "bhxhctl: %s: unknown subcommand '%s'\n", argv[0], argv[1]);
		s_family_usage(stderr, argv[0], 0);
		return 2;
	}
	fprintf(stderr, "bhxhctl: unknown command '%s'\n", argv[0]);
	return s_usage(stderr);
}

/* s_cmd_help - `bhxhctl help [COMMAND...]`. */
static int
s_cmd_help(int argc, char **argv)
{
	const s_cmd_t *cmd;
	int words;

	if (argc < 2)
		return s_usage(stdout);
	if ((cmd = s_find(argc - 1, argv + 1, &words)) != NULL && words == argc - 1) {
		s_cmd_usage(stdout, cmd);
		return 0;
	}
	if (cmd == NULL && argc == 2 && s_family(argv[1]) > 0) {
		s_family_usage(stdout, argv[1], 1);
		return 0;
	}
	if (cmd != NULL)
		return s_bad("unexpected argument '%s'", argv[1 + words]);
	return s_unknown(argc - 1, argv + 1);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "var-dir", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *var = getenv("BHXH_VAR_DIR");
	const s_cmd_t *cmd;
	int opt, words;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:c:v:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': s_config = optarg; break;
		case 'v': var = optarg; break;
		case 'h': return s_usage(stdout);
		case ':':
			fprintf(stderr, "bhxhctl: option '%s' needs a value\n", argv[optind - 1]);
			return s_usage(stderr);
		default:
			if (strncmp(argv[optind - 1], "--", 2) == 0)
				fprintf(stderr, "bhxhctl: unknown option '%s'\n", argv[optind - 1]);
			else
				fprintf(stderr, "bhxhctl: unknown option '-%c'\n", optopt ? optopt : '?');
			return s_usage(stderr);
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "bhxhctl: missing command\n");
		return s_usage(stderr);
	}
	argc -= optind;
	argv += optind;
	cmd = s_find(argc, argv, &words);
	/* --help only prints: `bhxhctl down --help` must not stop anything */
	if (s_wants_help(argc - 1, argv + 1)) {
		if (cmd != NULL)
			s_cmd_usage(stdout, cmd);
		else if (s_family(argv[0]) > 0)
			s_family_usage(stdout, argv[0], 1);
		else
			return s_unknown(argc, argv);
		return 0;
	}
	if (cmd == NULL)
		return s_unknown(argc, argv);
	if (s_set_var(var != NULL ? var : "./var", 0) != 0)
		return 2;
	s_cur = cmd;
	return cmd->run(argc - (words - 1), argv + (words - 1));
}
