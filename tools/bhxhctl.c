/* bhxhctl - the one tool operators and agencies use: start and stop the
 * pipeline, see its state, submit files and read receipts and reports.
 *
 *   bhxhctl [--config FILE] [--var-dir DIR] COMMAND ...
 *     up [--only W,...] | down | status [--json] | supervise [--only W,...] | serve-metrics [--listen A]
 *     quarantine list [--json] | retry ID | drop ID
 *     submit --agency ID [--wait] [--timeout SEC] [--format json|text] FILE...
 *     report coverage|findings [--period P] [--org-unit U] [--format csv|json|table]
 *     check-config
 *     silence add|list|expire ...   ack --kind K --subject S --author A
 *     backup DIR | restore DIR [--only W,...]
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
#include "xalloc.h"

#define PING_TIMEOUT_MS 15000    /* a worker that does not answer "status" in this time is not up */
#define REPORT_TIMEOUT_MS 600000 /* then a report of a big province may take a while */

static const char *s_config = NULL;
static char s_var[PATH_MAX];

/* s_usage - the commands. */
static int
s_usage(FILE *out)
{
	fprintf(out,
	    "usage: bhxhctl [--config FILE] [--var-dir DIR] COMMAND [ARGS]\n"
	    "\n"
	    "  up [--only W[,W...]]    start the workers in the background (supervised) and wait until ready;\n"
	    "                          --only: just these here (ingest, validate or validate-N, aggregate, alert)\n"
	    "  down                    stop them gracefully (and any worker of the var dir left running)\n"
	    "  status [--json]         each worker's state and why, since when, messages, restarts, last error,\n"
	    "                          asked at its control address (remote ones too, 2 s at most);\n"
	    "                          exit 1 unless every worker is ready or busy\n"
	    "  submit --agency ID [--wait] [--timeout SEC] [--format json|text] FILE...\n"
	    "                          drop files for an agency; with --wait print each receipt and exit 1\n"
	    "                          if a file was rejected whole\n"
	    "  report coverage|findings [--period YYYY-MM] [--org-unit CODE] [--format csv|json|table]\n"
	    "  check-config [--var-dir DIR]  check the configuration and print every problem; with --var-dir\n"
	    "                          also its org-unit tree against that pipeline's history (asks the aggregate)\n"
	    "  silence add --matcher LABEL=VALUE... --author A --comment C --until TIME|+DURATION\n"
	    "  silence list            silences (active and past)\n"
	    "  silence expire ID       end a silence now\n"
	    "  ack --kind K --subject S --author A [--comment C]\n"
	    "                          stop repeats of an open alert until its state changes\n"
	    "  quarantine list [--json] files set aside because they could not be applied\n"
	    "  quarantine retry ID     apply a quarantined file now (unless a newer snapshot replaced it)\n"
	    "  quarantine drop ID      give up on a quarantined file; its agency gets a receipt saying so\n"
	    "  backup DIR              every worker copies its database into DIR on its own host, online,\n"
	    "                          ingest first, alert last; DIR/manifest.json lists each file, its size,\n"
	    "                          SHA-256 and schema version; exit 1 naming any worker that failed\n"
	    "  restore DIR [--only W[,W...]]  with the pipeline down: check the backups of DIR, move the\n"
	    "                          databases aside to VAR/db/pre-restore-TIME/ and put the backups in place\n"
	    "  supervise [--only W[,W...]]  run the supervisor in the foreground (for systemd)\n"
	    "  serve-metrics [--listen HOST:PORT]  serve GET /metrics (Prometheus) and /healthz in the foreground\n"
	    "                          for every worker of the configuration (default: metrics.listen)\n"
	    "  reload                  every worker of the var dir on this host rereads the configuration: a key\n"
	    "                          marked `at once` (docs/CONFIGURATION.md) takes effect, any other waits for\n"
	    "                          a restart (see status); each reopens its log file (so does the supervisor)\n"
	    "  worker NAME | --list    run one worker in this process (for bhxh-worker@NAME.service), or list\n"
	    "                          the workers of the configuration (ingest, validate or validate-N, ...)\n"
	    "  keygen [--dir DIR] NAME...  a CURVE key pair per name (a worker as it runs, or operator) into\n"
	    "                          DIR/NAME.key (mode 0600; default DIR: VAR/keys); prints the public keys\n"
	    "                          as lines for endpoints.curve.public\n"
	    "\n"
	    "  --config FILE   default $BHXH_CONFIG, else config/bhxh.yaml here or beside the program,\n"
	    "                  else /etc/bhxh/bhxh.yaml\n"
	    "  --var-dir DIR   default $BHXH_VAR_DIR, else ./var\n");
	return out == stderr ? 2 : 0;
}

/* s_cmd_keygen - new key pairs; the public keys printed for the configuration. */
static int
s_cmd_keygen(int argc, char **argv)
{
	char dir[PATH_MAX + 8];
	int i = 1, rc = 0;

	snprintf(dir, sizeof(dir), "%s/keys", s_var);
	if (i < argc && strcmp(argv[i], "--help") == 0)
		return s_usage(stdout);
	if (i + 1 < argc && strcmp(argv[i], "--dir") == 0) {
		snprintf(dir, sizeof(dir), "%s", argv[i + 1]);
		i += 2;
	}
	if (i >= argc)
		return s_usage(stderr);
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

/* s_drop - the drop protocol: write a hidden temp file in the drop folder,
 * fsync, rename to the final name without replacing anything. */
static int
s_drop(const char *agency, const char *file, char *name_out, size_t nsize, char sha[65], char *stamp, size_t ssize)
{
	char dir[PATH_MAX + 300], tmp[PATH_MAX + 400], dst[PATH_MAX + 600];
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	int src = open(file, O_RDONLY | O_CLOEXEC), fd = -1, rc = -1;

	if (src < 0) {
		fprintf(stderr, "bhxhctl: %s: %s\n", file, strerror(errno));
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/spool/incoming/%s", s_var, agency);
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
 * refused before it was read has no hash). Its path into out. */
static int
s_find_receipt(const char *agency, const char *name, const char *sha, const char *stamp, char *out, size_t size)
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
		    (strstr(txt, want_sha) || strstr(txt, "\"sha256\": null"))) {
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

/* s_cmd_submit - drop files; with --wait print each receipt. */
static int
s_cmd_submit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agency", required_argument, NULL, 'a' }, { "wait", no_argument, NULL, 'w' },
		{ "format", required_argument, NULL, 'f' }, { "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	const char *agency = NULL, *format = "text";
	int wait = 0, opt, rc = 0, timeout = 600;
	char cfgpath[PATH_MAX];
	config_t *c;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "a:wf:t:", opts, NULL)) != -1) {
		switch (opt) {
		case 'a': agency = optarg; break;
		case 'w': wait = 1; break;
		case 'f': format = optarg; break;
		case 't': timeout = atoi(optarg); break;
		default: return s_usage(stderr);
		}
	}
	if (agency == NULL || optind >= argc || (strcmp(format, "json") && strcmp(format, "text")))
		return s_usage(stderr);
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

		if (s_drop(agency, argv[i], name, sizeof(name), sha, stamp, sizeof(stamp)) != 0) {
			rc = 1;
			continue;
		}
		if (!wait) {
			printf("%s: submitted as %s/%s (sha256 %s)\n", argv[i], agency, name, sha);
			continue;
		}
		for (;;) {
			struct timespec ts = { 0, 50 * 1000 * 1000 };

			if (s_find_receipt(agency, name, sha, stamp, path, sizeof(path)))
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
		if (txt != NULL && strstr(txt, strcmp(format, "json") == 0 ? "\"status\": \"rejected\"" : "(rejected)"))
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

	if (argc < 2)
		return s_usage(stderr);
	what = argv[1];
	optind = 2;
	while ((opt = getopt_long(argc, argv, "p:u:f:", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': period = optarg; break;
		case 'u': unit = optarg; break;
		case 'f': format = optarg; break;
		default: return s_usage(stderr);
		}
	}
	if (report_format_parse(format) < 0 || (strcmp(what, "coverage") && strcmp(what, "findings")))
		return s_usage(stderr);
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

/* s_cmd_quarantine - list, retry or drop quarantined files, through the
 * aggregate worker's control socket. */
static int
s_cmd_quarantine(int argc, char **argv)
{
	int64_t code = 0;
	char *body = NULL, *args[1];
	int json = argc == 3 && strcmp(argv[1], "list") == 0 && strcmp(argv[2], "--json") == 0;
	const char *cmd;

	if (argc == 2 && strcmp(argv[1], "list") == 0)
		cmd = "quarantine-list";
	else if (json)
		cmd = "quarantine-list";
	else if (argc == 3 && strcmp(argv[1], "retry") == 0)
		cmd = "quarantine-retry";
	else if (argc == 3 && strcmp(argv[1], "drop") == 0)
		cmd = "quarantine-drop";
	else
		return s_usage(stderr);
	args[0] = json ? "json" : argv[2];
	if (s_ask("aggregate", cmd, args, strcmp(cmd, "quarantine-list") == 0 && !json ? 0 : 1, 60000, &code, &body) != 0)
		return 1;
	return s_answer(code, body);
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
	int n = 0, rc;

	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		return s_usage(stdout);
	if (argc == 3 && strcmp(argv[1], "--var-dir") == 0) {
		if (fs_mkdirs(argv[2]) != 0 || realpath(argv[2], s_var) == NULL) {
			fprintf(stderr, "bhxhctl: var dir %s: %s\n", argv[2], strerror(errno));
			return 2;
		}
	} else if (argc != 1) {
		return s_usage(stderr);
	}
	if ((c = s_load(path, sizeof(path))) == NULL)
		return 2;
	printf("%s: OK (%d org units, %d agencies, %d record types)\n", path, c->nunits, c->nagencies, c->nrtypes);
	if (argc == 1) {
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

/* s_silence_add - check the matchers and the time, then ask the alert
 * worker to store the silence (it checks them again). */
static int
s_silence_add(int argc, char **argv)
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
	optind = 2;
	while ((opt = getopt_long(argc, argv, "m:a:c:u:", opts, NULL)) != -1) {
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
		default: free(args); return s_usage(stderr);
		}
	}
	if (n == 3 || author == NULL || comment == NULL || until == NULL) {
		fprintf(stderr, "bhxhctl: silence add needs --matcher, --author, --comment and --until\n");
		free(args);
		return 2;
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

/* s_cmd_silence - add, list or expire silences, through the alert worker. */
static int
s_cmd_silence(int argc, char **argv)
{
	int64_t code = 0;
	char *body;

	if (argc < 2)
		return s_usage(stderr);
	if (strcmp(argv[1], "add") == 0)
		return s_silence_add(argc, argv);
	if (strcmp(argv[1], "list") == 0 && argc == 2) {
		if (s_ask("alert", "silence-list", NULL, 0, 60000, &code, &body) != 0)
			return 1;
	} else if (strcmp(argv[1], "expire") == 0 && argc == 3) {
		if (s_ask("alert", "silence-expire", argv + 2, 1, 60000, &code, &body) != 0)
			return 1;
	} else {
		return s_usage(stderr);
	}
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

	optind = 1;
	while ((opt = getopt_long(argc, argv, "k:s:a:c:", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': kind = optarg; break;
		case 's': subject = optarg; break;
		case 'a': author = optarg; break;
		case 'c': comment = optarg; break;
		default: return s_usage(stderr);
		}
	}
	if (kind == NULL || subject == NULL || author == NULL) {
		fprintf(stderr, "bhxhctl: ack needs --kind, --subject and --author\n");
		return 2;
	}
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
	config_t *c;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			listen = argv[++i];
		else if (strncmp(argv[i], "--listen=", 9) == 0)
			listen = argv[i] + 9;
		else
			return s_usage(stderr);
	}
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

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "var-dir", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *var = getenv("BHXH_VAR_DIR"), *cmd;
	char cfgpath[PATH_MAX], bindir[PATH_MAX];
	int opt;

	while ((opt = getopt_long(argc, argv, "+c:v:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': s_config = optarg; break;
		case 'v': var = optarg; break;
		case 'h': return s_usage(stdout);
		default: return s_usage(stderr);
		}
	}
	if (optind >= argc)
		return s_usage(stderr);
	if (var == NULL)
		var = "./var";
	if (fs_mkdirs(var) != 0 || realpath(var, s_var) == NULL) {
		fprintf(stderr, "bhxhctl: var dir %s: %s\n", var, strerror(errno));
		return 2;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	for (int i = 1; i < argc; i++) /* `bhxhctl down --help` must not stop anything */
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return s_usage(stdout);
	if (strcmp(cmd, "submit") == 0)
		return s_cmd_submit(argc, argv);
	if (strcmp(cmd, "report") == 0)
		return s_cmd_report(argc, argv);
	if (strcmp(cmd, "check-config") == 0)
		return s_cmd_check(argc, argv);
	if (strcmp(cmd, "silence") == 0)
		return s_cmd_silence(argc, argv);
	if (strcmp(cmd, "ack") == 0)
		return s_cmd_ack(argc, argv);
	if (strcmp(cmd, "quarantine") == 0)
		return s_cmd_quarantine(argc, argv);
	s_exe_dir(bindir, sizeof(bindir));
	if (strcmp(cmd, "status") == 0) {
		config_t *c = s_load(cfgpath, sizeof(cfgpath));
		int rc;

		if (c == NULL)
			return 2;
		if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json") != 0)) {
			config_free(&c);
			return s_usage(stderr);
		}
		rc = supervise_status(c, s_var, argc == 2);
		config_free(&c);
		return rc;
	}
	if (strcmp(cmd, "serve-metrics") == 0)
		return s_cmd_serve_metrics(argc, argv);
	if (strcmp(cmd, "down") == 0)
		return supervise_down(s_var);
	if (strcmp(cmd, "backup") == 0 || strcmp(cmd, "restore") == 0) {
		config_t *c = s_load(cfgpath, sizeof(cfgpath));
		int rc;

		if (c == NULL)
			return 2;
		rc = strcmp(cmd, "backup") == 0 ? ctl_backup(c, s_var, argc, argv) : ctl_restore(c, s_var, argc, argv);
		config_free(&c);
		return rc;
	}
	if (strcmp(cmd, "reload") == 0)
		return argc == 1 ? supervise_reload(s_var) : s_usage(stderr);
	if (strcmp(cmd, "keygen") == 0)
		return s_cmd_keygen(argc, argv);
	if (strcmp(cmd, "worker") == 0) {
		config_t *c;
		int rc;

		if (argc != 2)
			return s_usage(stderr);
		if ((c = s_load(cfgpath, sizeof(cfgpath))) == NULL)
			return 2;
		rc = supervise_exec(c, cfgpath, s_var, bindir, argv[1], strcmp(argv[1], "--list") == 0);
		config_free(&c);
		return rc;
	}
	if (strcmp(cmd, "up") == 0 || strcmp(cmd, "supervise") == 0) {
		const char *only = NULL;
		config_t *c;
		int rc;

		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
				only = argv[++i];
			else if (strncmp(argv[i], "--only=", 7) == 0)
				only = argv[i] + 7;
			else
				return s_usage(stderr);
		}
		if ((c = s_load(cfgpath, sizeof(cfgpath))) == NULL)
			return 2;
		rc = strcmp(cmd, "up") == 0 ? supervise_up(c, cfgpath, s_var, bindir, only)
		    : supervise_run(c, cfgpath, s_var, bindir, 0, only);
		config_free(&c);
		return rc;
	}
	fprintf(stderr, "bhxhctl: unknown command '%s'\n", cmd);
	return s_usage(stderr);
}
