/* backup - a consistent online copy of a worker's own database (see backup.h).
 *
 * Trusts the destination only as far as it is checked: an absolute path of an
 * existing directory, no "." or ".." component, the final file absent; the
 * temp file is created with O_EXCL (never through a link left there) and the
 * rename never replaces a file. */
#include "backup.h"
#include "log.h"
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define STEP_PAGES 64 /* pages copied per turn of the loop (256 KiB at 4 KiB pages) */

static struct {
	int running;
	sqlite3 *dst;
	sqlite3_backup *bk;
	unsigned char rid[256];
	size_t ridlen;
	uint64_t req_id;
	char tmp[4200], final[4200];
	int64_t started_ms;
	unsigned steps;
} s_bk;

int
backup_running(void)
{
	return s_bk.running;
}

/* backup_sha256_fd - SHA-256 (hex) and size of what fd holds from its start; 0 or -1. */
int
backup_sha256_fd(int fd, char hex[65], long long *size)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[65536], md[32];
	unsigned int mdlen = 0;
	long long total = 0;
	ssize_t n;
	int rc = -1;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 || lseek(fd, 0, SEEK_SET) < 0)
		goto out;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		total += n;
	}
	if (n < 0 || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		goto out;
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	*size = total;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* s_dir_ok - dir is absolute, has no "." or ".." component and is a directory. */
static int
s_dir_ok(const char *dir, sb_t *out)
{
	struct stat st;

	if (dir[0] != '/') {
		sb_addf(out, "backup: the destination must be an absolute directory, not '%.200s'", dir);
		return 0;
	}
	for (const char *p = dir; (p = strchr(p, '/')) != NULL; p++) {
		size_t n = strcspn(p + 1, "/");

		if ((n == 1 && p[1] == '.') || (n == 2 && p[1] == '.' && p[2] == '.')) {
			sb_addf(out, "backup: the destination '%.200s' has a . or .. component", dir);
			return 0;
		}
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		sb_addf(out, "backup: '%.200s' is not an existing directory on the host of %s", dir, "this worker");
		return 0;
	}
	return 1;
}

/* s_clear - close the copy's handles (and remove the temp file when asked). */
static void
s_clear(int remove_tmp)
{
	if (s_bk.bk != NULL)
		sqlite3_backup_finish(s_bk.bk);
	if (s_bk.dst != NULL)
		sqlite3_close(s_bk.dst);
	if (remove_tmp && s_bk.tmp[0] != '\0')
		unlink(s_bk.tmp);
	s_bk.bk = NULL;
	s_bk.dst = NULL;
	s_bk.running = 0;
}

int
backup_start(worker_t *w, const unsigned char *rid, size_t ridlen, uint64_t req_id, char *const *args, int nargs,
    sb_t *out)
{
	struct stat st;
	int fd;

	if (nargs != 1 || args[0][0] == '\0') {
		sb_add(out, "backup needs one argument: an absolute directory on this worker's host");
		return 1;
	}
	if (s_bk.running) {
		sb_addf(out, "backup: a backup of %s is already running (into %s)", w->name, s_bk.final);
		return 1;
	}
	if (!s_dir_ok(args[0], out))
		return 1;
	if (ridlen > sizeof(s_bk.rid) || snprintf(s_bk.final, sizeof(s_bk.final), "%s/%s.db", args[0], w->name) >=
	    (int)sizeof(s_bk.final) - 16) {
		sb_add(out, "backup: the destination path is too long");
		return 1;
	}
	if (lstat(s_bk.final, &st) == 0 || errno != ENOENT) {
		sb_addf(out, "backup: %s already exists; a backup never replaces a file (choose an empty directory)",
		    s_bk.final);
		return 1;
	}
	snprintf(s_bk.tmp, sizeof(s_bk.tmp), "%s/.%s.db.tmp", args[0], w->name);
	unlink(s_bk.tmp); /* left by a worker killed in the middle of a backup */
	fd = open(s_bk.tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0) {
		sb_addf(out, "backup: cannot create %s: %s", s_bk.tmp, strerror(errno));
		s_bk.tmp[0] = '\0';
		return 2;
	}
	fchmod(fd, 0640);
	close(fd);
	if (sqlite3_open_v2(s_bk.tmp, &s_bk.dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    (s_bk.bk = sqlite3_backup_init(s_bk.dst, "main", store_db(w->store), "main")) == NULL) {
		sb_addf(out, "backup: cannot start the copy into %s: %s", s_bk.tmp,
		    s_bk.dst ? sqlite3_errmsg(s_bk.dst) : "out of memory");
		s_clear(1);
		return 2;
	}
	memcpy(s_bk.rid, rid, ridlen);
	s_bk.ridlen = ridlen;
	s_bk.req_id = req_id;
	s_bk.started_ms = now_ms();
	s_bk.steps = 0;
	s_bk.running = 1;
	log_info("backup into %s started", s_bk.final);
	return -1;
}

/* s_answer - send the answer of the running copy to whoever asked. */
static void
s_answer(worker_t *w, int code, const char *body)
{
	msg_t rep = { .version = MSG_VERSION, .type = MSG_T_CTL_REP };

	rep.id = s_bk.req_id;
	rep.u.rep.code = code;
	rep.u.rep.body = (char *)body;
	if (w->ctl == NULL || bus_send_msg(w->ctl, s_bk.rid, s_bk.ridlen, &rep) != 0)
		log_warn("could not answer the backup request: %s", zmq_strerror(errno));
}

/* s_finish - the last step is done: self-contained file, fsync, hash, rename. */
static void
s_finish(worker_t *w)
{
	long long size = 0, uv;
	int pages = sqlite3_backup_pagecount(s_bk.bk);
	char hex[65] = "";
	int fd;
	sb_t b;

	sb_init(&b);
	sqlite3_backup_finish(s_bk.bk);
	s_bk.bk = NULL;
	uv = store_int(w->store, "PRAGMA user_version", -1);
	sb_add(&b, "{\"worker\":");
	sb_json_str(&b, w->name);
	if (w->ops->backup_note != NULL && w->state != NULL)
		w->ops->backup_note(w, &b); /* the worker's figures as the copy holds them: nothing ran since */
	if (sqlite3_exec(s_bk.dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK) {
		sb_free(&b);
		sb_init(&b);
		sb_addf(&b, "backup: cannot finish %s: %s", s_bk.tmp, sqlite3_errmsg(s_bk.dst));
		goto fail;
	}
	sqlite3_close(s_bk.dst);
	s_bk.dst = NULL;
	fd = open(s_bk.tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || backup_sha256_fd(fd, hex, &size) != 0 || fsync(fd) != 0) {
		sb_free(&b);
		sb_init(&b);
		sb_addf(&b, "backup: cannot write %s: %s", s_bk.tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	close(fd);
	if (renameat2(AT_FDCWD, s_bk.tmp, AT_FDCWD, s_bk.final, RENAME_NOREPLACE) != 0) {
		sb_free(&b);
		sb_init(&b);
		sb_addf(&b, "backup: cannot rename %s to %s: %s", s_bk.tmp, s_bk.final, strerror(errno));
		goto fail;
	}
	fs_fsync_dir(s_bk.final);
	sb_add(&b, ",\"file\":");
	sb_json_str(&b, s_bk.final);
	sb_addf(&b, ",\"size\":%lld,\"sha256\":\"%s\",\"user_version\":%lld,\"pages\":%d,\"steps\":%u,\"ms\":%lld,"
	    "\"time\":%lld}", size, hex, uv, pages, s_bk.steps, (long long)(now_ms() - s_bk.started_ms),
	    (long long)time(NULL));
	log_info("backup into %s done: %lld bytes in %u steps, %lld ms", s_bk.final, size, s_bk.steps,
	    (long long)(now_ms() - s_bk.started_ms));
	s_answer(w, 0, b.data);
	sb_free(&b);
	s_clear(0);
	return;
fail:
	worker_error(w, "%s", b.data);
	s_answer(w, 2, b.data);
	sb_free(&b);
	s_clear(1);
}

void
backup_step(worker_t *w)
{
	int rc;

	if (!s_bk.running || !sqlite3_get_autocommit(store_db(w->store)))
		return;
	rc = sqlite3_backup_step(s_bk.bk, STEP_PAGES);
	s_bk.steps++;
	if (rc == SQLITE_DONE) {
		s_finish(w);
	} else if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
		char msg[600];

		snprintf(msg, sizeof(msg), "backup into %.400s failed: %s", s_bk.final, sqlite3_errstr(rc));
		worker_error(w, "%s", msg);
		s_answer(w, 2, msg);
		s_clear(1);
	}
}

void
backup_abort(worker_t *w)
{
	if (!s_bk.running)
		return;
	s_answer(w, 2, "backup: the worker is stopping; the copy was dropped");
	log_warn("backup into %s dropped: the worker stops", s_bk.final);
	s_clear(1);
}
