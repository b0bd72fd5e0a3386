/* ctl_backup - `bhxhctl backup DIR` and `bhxhctl restore DIR` (see ctl_backup.h).
 *
 * The copies are taken by the workers themselves (control command "backup",
 * common/backup.h), one after the other in the direction the files flow:
 * ingest, then the validators, then the aggregate, then the alert worker.
 * So every copy downstream is at least as new as the copies upstream of it:
 * a message is in its sender's copy (its outbox, sent again after a restore;
 * receivers take a message twice as once) or in its receiver's copy, never
 * lost between them. The aggregate's copy may know files that ingest's copy
 * does not (taken by ingest after its copy); the manifest records the
 * highest file number each copy knows, and restore makes the restored ingest
 * number new files above the aggregate's, so that no number names two files.
 *
 * Trusts the backup directory only after checking it: every file's size and
 * SHA-256 against the manifest, its schema version, PRAGMA integrity_check;
 * nothing in VAR/db is touched until every file has passed. */
#include "ctl_backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "fsutil.h"
#include "supervise.h"

#define MAX_WORKERS 72
#define PING_MS 15000
#define BACKUP_MS (3600 * 1000) /* one worker's copy; a national database may take minutes */

/* s_names - the workers of the configuration, in the order of the flow. */
static int
s_names(const config_t *c, char names[][48])
{
	int n = 0, nv = c->validate.instances;

	snprintf(names[n++], 48, "ingest");
	for (int i = 1; i <= nv && n < MAX_WORKERS - 2; i++) {
		if (nv > 1)
			snprintf(names[n++], 48, "validate-%d", i);
		else
			snprintf(names[n++], 48, "validate");
	}
	snprintf(names[n++], 48, "aggregate");
	snprintf(names[n++], 48, "alert");
	return n;
}

/* s_field - a value of a flat JSON object (strings unescaped) into out; 1 found, 0 not. */
static int
s_field(const char *json, const char *key, char *out, size_t size)
{
	char pat[64];
	const char *p;
	size_t i = 0;

	out[0] = '\0';
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(json, pat)) == NULL)
		return 0;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p == '"') {
		for (p++; *p && *p != '"' && i + 1 < size; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			out[i++] = *p;
		}
	} else {
		for (; *p && *p != ',' && *p != '}' && *p != ' ' && i + 1 < size; p++)
			out[i++] = *p;
	}
	out[i] = '\0';
	return 1;
}

/* s_stamp - now as YYYYmmddTHHMMSSZ. */
static void
s_stamp(char *buf, size_t size, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y%m%dT%H%M%SZ", &tm);
}

int
ctl_backup(const config_t *c, const char *var, const char *target)
{
	char names[MAX_WORKERS][48], dir[PATH_MAX], given[PATH_MAX + 8], path[PATH_MAX + 32], when[32];
	int n = s_names(c, names), failed = 0;
	time_t start = time(NULL);
	struct stat st;
	sb_t ok, bad;

	if (target[0] == '\0')
		return fprintf(stderr, "bhxhctl: backup: the directory is empty\n"), 2;
	if (target[0] == '/')
		snprintf(given, sizeof(given), "%s", target);
	else if (getcwd(dir, sizeof(dir)) != NULL)
		snprintf(given, sizeof(given), "%s/%s", dir, target);
	else
		return fprintf(stderr, "bhxhctl: backup: %s\n", strerror(errno)), 1;
	if (fs_mkdirs(given) != 0 || realpath(given, dir) == NULL) {
		fprintf(stderr, "bhxhctl: backup: cannot create %s: %s\n", given, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	if (stat(path, &st) == 0) {
		fprintf(stderr, "bhxhctl: backup: %s already holds a backup (%s); choose a new directory\n", dir, path);
		return 1;
	}
	sb_init(&ok);
	sb_init(&bad);
	sb_add(&ok, "");
	sb_add(&bad, "");
	for (int i = 0; i < n; i++) {
		char err[200], *body = NULL, *args[1] = { dir };
		int64_t code = 0;
		int rc = supervise_ask(c, var, names[i], "status", NULL, 0, PING_MS, &code, &body, err, sizeof(err));

		free(body);
		body = NULL;
		if (rc == 0)
			rc = supervise_ask(c, var, names[i], "backup", args, 1, BACKUP_MS, &code, &body, err, sizeof(err));
		if (rc != 0 || code != 0) {
			const char *why = rc != 0 ? err : body;

			fprintf(stderr, "bhxhctl: backup: %s: %s%s\n", names[i], rc != 0 ? "does not answer: " : "", why);
			sb_addf(&bad, "%s    {\"worker\": ", failed ? ",\n" : "");
			sb_json_str(&bad, names[i]);
			sb_add(&bad, ", \"error\": ");
			sb_json_str(&bad, rc != 0 ? (snprintf(path, sizeof(path), "does not answer: %s", err), path) : body);
			sb_add(&bad, "}");
			failed++;
		} else {
			char size[32], sha[80], ms[32];

			s_field(body, "size", size, sizeof(size));
			s_field(body, "sha256", sha, sizeof(sha));
			s_field(body, "ms", ms, sizeof(ms));
			printf("%-12s %12s bytes  %6s ms  sha256 %s\n", names[i], size, ms, sha);
			sb_addf(&ok, "%s    %s", ok.len ? ",\n" : "", body);
		}
		free(body);
	}
	s_stamp(when, sizeof(when), start);
	{
		sb_t m;

		sb_init(&m);
		sb_addf(&m, "{\n  \"format\": 1,\n  \"time\": %lld,\n  \"time_utc\": \"%s\",\n  \"seconds\": %lld,\n"
		    "  \"dir\": ", (long long)start, when, (long long)(time(NULL) - start));
		sb_json_str(&m, dir);
		sb_add(&m, ",\n  \"var_dir\": ");
		sb_json_str(&m, var);
		sb_add(&m, ",\n  \"order\": \"ingest, validate, aggregate, alert: each copy is at least as new as those"
		    " upstream of it\",\n  \"workers\": [\n");
		sb_add(&m, ok.data);
		sb_add(&m, "\n  ],\n  \"failed\": [\n");
		sb_add(&m, bad.data);
		sb_add(&m, "\n  ]\n}\n");
		snprintf(path, sizeof(path), "%s/manifest.json", dir);
		if (fs_write_atomic(path, m.data, m.len) != 0) {
			fprintf(stderr, "bhxhctl: backup: cannot write %s: %s\n", path, strerror(errno));
			failed++;
		}
		sb_free(&m);
	}
	sb_free(&ok);
	sb_free(&bad);
	if (failed) {
		fprintf(stderr, "bhxhctl: backup in %s is INCOMPLETE: %d worker%s failed or did not answer (see above)\n",
		    dir, failed, failed > 1 ? "s" : "");
		return 1;
	}
	printf("backup of %d workers in %s (manifest %s/manifest.json), %lld s\n", n, dir, dir,
	    (long long)(time(NULL) - start));
	return 0;
}

/* s_running - say which processes hold locks of var (supervisor, workers); their number. */
static int
s_running(const char *var)
{
	char dir[PATH_MAX + 8];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/run", var);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char path[PATH_MAX + 300];
		pid_t pid;

		if (len < 6 || strcmp(de->d_name + len - 5, ".lock") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((pid = supervise_lock_holder(path)) > 0) {
			fprintf(stderr, "bhxhctl: restore: %.*s is running (pid %d)\n", (int)(len - 5), de->d_name, (int)pid);
			n++;
		}
	}
	closedir(d);
	return n;
}

typedef struct {
	char worker[48], sha[80], size[32], uv[32], max_no[32];
} s_entry_t;

/* s_check - one backup file against its manifest entry; 0, or -1 after saying why. */
static int
s_check(const char *path, const s_entry_t *e)
{
	char hex[65] = "";
	long long size = -1;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = -1;

	if (fd < 0) {
		fprintf(stderr, "bhxhctl: restore: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (backup_sha256_fd(fd, hex, &size) != 0) {
		fprintf(stderr, "bhxhctl: restore: cannot read %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (strcmp(hex, e->sha) != 0 || size != atoll(e->size)) {
		fprintf(stderr, "bhxhctl: restore: %s does not match the manifest: sha256 %s, %lld bytes (manifest: %s,"
		    " %s bytes)\n", path, hex, size, e->sha, e->size);
		return -1;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bhxhctl: restore: %s: cannot open as a database: %s\n", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
		fprintf(stderr, "bhxhctl: restore: %s fails integrity_check: %s\n", path,
		    sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW ||
	    sqlite3_column_int64(st, 0) != atoll(e->uv)) {
		fprintf(stderr, "bhxhctl: restore: %s: schema version %lld, the manifest says %s\n", path,
		    st ? (long long)sqlite3_column_int64(st, 0) : -1LL, e->uv);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

/* s_copy - src to dst through a temp file beside dst (0640, fsync, rename); 0 or -1. */
static int
s_copy(const char *src, const char *dst)
{
	char tmp[PATH_MAX + 200], buf[1 << 16];
	int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), out;
	ssize_t n = 0;

	snprintf(tmp, sizeof(tmp), "%.4000s.restore-tmp", dst);
	unlink(tmp);
	if (in < 0 || (out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) < 0) {
		if (in >= 0)
			close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t k = write(out, buf + off, (size_t)(n - off));

			if (k < 0) {
				n = -1;
				break;
			}
			off += k;
		}
		if (n < 0)
			break;
	}
	close(in);
	if (n < 0 || fchmod(out, 0640) != 0 || fsync(out) != 0) {
		close(out);
		unlink(tmp);
		return -1;
	}
	close(out);
	if (rename(tmp, dst) != 0) {
		unlink(tmp);
		return -1;
	}
	return fs_fsync_dir(dst);
}

/* s_floor - the restored ingest numbers new files above floor: a row that
 * holds the number (status refused: never a repeat, never resumed). */
static int
s_floor(const char *db_path, long long floor)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO files(id, sha256, agency, name, path, rtype, received_at, status,"
	    " outcome_code) SELECT ?1, '-', '-', 'numbers up to this one were given before a restore', '-', '-', 0,"
	    " 'refused', 'RESTORE' WHERE NOT EXISTS (SELECT 1 FROM files WHERE id >= ?1)", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, floor);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
out:
	if (rc != 0)
		fprintf(stderr, "bhxhctl: restore: %s: cannot set the next file number: %s\n", db_path,
		    db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

int
ctl_restore(const config_t *c, const char *var, const char *source, const char *only)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], aside[PATH_MAX + 64], stamp[32], *txt = NULL, *line, *save = NULL;
	s_entry_t e[MAX_WORKERS];
	int n = 0, in_workers = 0, failed_entries = 0, ningest = -1, nagg = -1, nsel = 0;
	int sel[MAX_WORKERS] = { 0 };
	size_t len = 0;
	FILE *f;

	(void)c;
	if (realpath(source, dir) == NULL) {
		fprintf(stderr, "bhxhctl: restore: %s: %s\n", source, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	if ((f = fopen(path, "r")) == NULL || getdelim(&txt, &len, '\0', f) < 0) {
		fprintf(stderr, "bhxhctl: restore: cannot read %s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		free(txt);
		return 1;
	}
	fclose(f);
	for (line = strtok_r(txt, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "\"workers\": [") != NULL)
			in_workers = 1;
		else if (strstr(line, "\"failed\": [") != NULL)
			in_workers = 0;
		else if (strstr(line, "{\"worker\":") != NULL && !in_workers)
			failed_entries++;
		else if (strstr(line, "{\"worker\":") != NULL && n < MAX_WORKERS) {
			s_field(line, "worker", e[n].worker, sizeof(e[n].worker));
			s_field(line, "sha256", e[n].sha, sizeof(e[n].sha));
			s_field(line, "size", e[n].size, sizeof(e[n].size));
			s_field(line, "user_version", e[n].uv, sizeof(e[n].uv));
			if (!s_field(line, "max_file_no", e[n].max_no, sizeof(e[n].max_no)))
				snprintf(e[n].max_no, sizeof(e[n].max_no), "-1");
			if (strspn(e[n].worker, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(e[n].worker) ||
			    e[n].worker[0] == '\0' || strlen(e[n].sha) != 64) {
				fprintf(stderr, "bhxhctl: restore: %s: a worker entry is malformed\n", path);
				free(txt);
				return 1;
			}
			n++;
		}
	}
	free(txt);
	if (n == 0) {
		fprintf(stderr, "bhxhctl: restore: %s lists no worker\n", path);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (only != NULL) {
			char list[1024], *tok, *s2 = NULL;

			snprintf(list, sizeof(list), "%s", only);
			for (tok = strtok_r(list, ",", &s2); tok != NULL; tok = strtok_r(NULL, ",", &s2))
				if (strcmp(tok, e[i].worker) == 0 || (strcmp(tok, "validate") == 0 &&
				    strncmp(e[i].worker, "validate", 8) == 0))
					sel[i] = 1;
		} else {
			sel[i] = 1;
		}
		nsel += sel[i];
		if (strcmp(e[i].worker, "ingest") == 0)
			ningest = i;
		if (strcmp(e[i].worker, "aggregate") == 0)
			nagg = i;
	}
	if (nsel == 0) {
		fprintf(stderr, "bhxhctl: restore: --only %s names no worker of %s\n", only, path);
		return 2;
	}
	if (failed_entries > 0 && only == NULL) {
		fprintf(stderr, "bhxhctl: restore: the backup in %s is incomplete (%d worker%s failed); restore the"
		    " others with --only, knowingly\n", dir, failed_entries, failed_entries > 1 ? "s" : "");
		return 1;
	}
	if (s_running(var) > 0) {
		fprintf(stderr, "bhxhctl: restore: the pipeline is running for var dir %s; stop it first"
		    " (bhxhctl down) - nothing was changed\n", var);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (!sel[i])
			continue;
		snprintf(path, sizeof(path), "%.4000s/%.48s.db", dir, e[i].worker);
		if (s_check(path, &e[i]) != 0) {
			fprintf(stderr, "bhxhctl: restore: refused - nothing was changed\n");
			return 1;
		}
		printf("%-12s %s: ok (sha256, size, schema version %s, integrity_check)\n", e[i].worker, path, e[i].uv);
	}
	s_stamp(stamp, sizeof(stamp), time(NULL));
	snprintf(aside, sizeof(aside), "%.4000s/db/pre-restore-%s", var, stamp);
	if (fs_mkdirs(aside) != 0) {
		fprintf(stderr, "bhxhctl: restore: cannot create %s: %s - nothing was changed\n", aside, strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		static const char *const sfx[] = { ".db", ".db-wal", ".db-shm" };

		if (!sel[i])
			continue;
		for (int k = 0; k < 3; k++) {
			char from[PATH_MAX + 256], to[PATH_MAX + 256];

			snprintf(from, sizeof(from), "%.4000s/db/%.48s%s", var, e[i].worker, sfx[k]);
			snprintf(to, sizeof(to), "%.4000s/%.48s%s", aside, e[i].worker, sfx[k]);
			if (fs_move(from, to) != 0 && errno != ENOENT) {
				fprintf(stderr, "bhxhctl: restore: cannot move %s aside: %s\n", from, strerror(errno));
				return 1;
			}
		}
		snprintf(path, sizeof(path), "%.4000s/%.48s.db", dir, e[i].worker);
		{
			char to[PATH_MAX + 256];

			snprintf(to, sizeof(to), "%.4000s/db/%.48s.db", var, e[i].worker);
			if (s_copy(path, to) != 0) {
				fprintf(stderr, "bhxhctl: restore: cannot copy %s to %s: %s (the databases before the restore"
				    " are in %s)\n", path, to, strerror(errno), aside);
				return 1;
			}
		}
	}
	/* the aggregate's copy may know file numbers that ingest's does not */
	if (ningest >= 0 && sel[ningest] && nagg >= 0 && atoll(e[nagg].max_no) > atoll(e[ningest].max_no)) {
		snprintf(path, sizeof(path), "%s/db/ingest.db", var);
		if (s_floor(path, atoll(e[nagg].max_no)) != 0)
			return 1;
		printf("ingest numbers new files from %lld on (the aggregate's copy knows files up to %s, ingest's up"
		    " to %s)\n", atoll(e[nagg].max_no) + 1, e[nagg].max_no, e[ningest].max_no);
	}
	printf("restored %d database%s from %s; the databases before the restore are in %s; now: bhxhctl up\n", nsel,
	    nsel > 1 ? "s" : "", dir, aside);
	return 0;
}
