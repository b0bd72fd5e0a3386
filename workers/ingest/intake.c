/* intake - the narrow gate between an agency's drop folder and the pipeline.
 *
 * A candidate is looked at with lstat only; anything but a plain file with
 * one link and an acceptable size is refused and moved (the link itself, not
 * its target) to rejected/. A plain file is moved to processing/ first, then
 * opened with O_NOFOLLOW and checked again by fstat against what lstat saw,
 * so a file swapped in between is refused too. */
#include "ingest.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_TAKEN_PER_SCAN 64

/* A repeat: the same bytes from the same agency, applied or still on their
 * way; a file the aggregate rejected or quarantined is no longer one, and a
 * dry run never was. */
static const char *const SQL_BY_SHA =
	"SELECT name FROM files WHERE sha256 = ? AND agency = ? AND status != 'refused' AND dry_run = 0"
	" ORDER BY id LIMIT 1";
static const char *const SQL_ADD =
	"INSERT INTO files(sha256, agency, name, path, rtype, received_at, status, size, mtime_ns, encoding, dry_run)"
	" VALUES (?,?,?,?,?,?, 'reading', ?, ?, ?, ?)";

/* ingest_now_us - wall clock in microseconds. */
int64_t
ingest_now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* s_spool - VAR/spool/STATE/AGENCY[/STAMP-NAME], or STAMP.dry-NAME for a
 * dry run; a long name is cut (at a character boundary) so that STAMP-NAME
 * fits in a directory entry. */
static void
s_spool(const ingest_t *in, char *buf, size_t size, const char *state, const char *agency,
    int64_t stamp, const char *name, int dry)
{
	if (name == NULL)
		snprintf(buf, size, "%s/spool/%s/%s", in->w->var_dir, state, agency);
	else
		snprintf(buf, size, "%s/spool/%s/%s/%lld%s%.*s", in->w->var_dir, state, agency, (long long)stamp,
		    dry ? INGEST_DRY_MARK : "-", (int)fs_name_prefix(name, INGEST_NAME_MAX), name);
}

/* ingest_refuse - a receipt for a file refused whole, then the file moves
 * to rejected/. The receipt comes first: if it cannot be written (a full
 * disk) the file stays where it is and is taken again at the next scan, so
 * no agency is left without an answer. 0, or -1 (left in place). */
int
ingest_refuse(ingest_t *in, const char *agency, const char *name, const char *path, const char *sha,
    const char *rtype, int64_t received_at, const char *code, const char *vi, const char *en,
    const ingest_file_t *cols, int dry)
{
	receipt_error_t e = { 0, NULL, code, vi, en, NULL };
	receipt_t r = { .file = name, .agency = agency, .type = rtype, .sha256 = sha,
		.status = dry ? "checked" : "rejected", .dry_run = dry, .would_be = dry ? "rejected" : NULL,
		.received_at = received_at, .encoding = cols != NULL ? cols->encoding : NULL,
		.encoding_likely = cols != NULL ? cols->likely : NULL, .nerrors = 1, .errors = &e };
	char dst[4600];
	colhint_t h = { 0 };
	int rc;

	if (cols != NULL && cols->rtype != NULL && cols->headings != NULL) {
		/* the header was read: its unknown columns, each with the closest heading, and what is missing */
		colhint_build(&h, cols->rtype, cols->headings, cols->nunknown, cols->unknown,
		    strcmp(code, "E_HEADER_MISSING_COLUMN") == 0);
		r.nunknown = cols->nunknown;
		r.unknown_columns = cols->unknown;
		r.hints = h.hints;
		r.nmissing = h.nmissing;
		r.missing = h.missing;
	}
	rc = receipt_write(in->w->var_dir, &r, NULL, 0);
	colhint_free(&h);
	if (rc != 0) {
		worker_error(in->w, "cannot write the receipt for %s/%s (%s): %s; the file waits", agency, name, code,
		    strerror(errno));
		in->refusals_failing = 1;
		return -1;
	}
	s_spool(in, dst, sizeof(dst), "rejected", agency, received_at, name, dry);
	if (path != NULL && fs_move(path, dst) != 0 && errno != ENOENT)
		worker_error(in->w, "cannot move %s/%s to rejected/: %s", agency, name, strerror(errno));
	log_info("%s/%s: %s (%s)", agency, name, dry ? "checked (dry run), would be rejected" : "rejected", code);
	in->files_refused++;
	return 0;
}

/* s_sha256 - hash the whole file from the start; 0 or -1. */
static int
s_sha256(int fd, char hex[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[65536], md[32];
	unsigned int mdlen = 0;
	ssize_t n;
	int rc = -1;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	if (lseek(fd, 0, SEEK_SET) < 0)
		goto out;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	if (n < 0 || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		goto out;
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	rc = lseek(fd, 0, SEEK_SET) < 0 ? -1 : 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* s_earlier - name of an earlier file of the agency with this hash into
 * buf; 1 if found, 0 if not, -1 on a store failure. */
static int
s_earlier(ingest_t *in, const char *agency, const char *sha, char *buf, size_t size)
{
	sqlite3_stmt *st = store_stmt(in->w->store, SQL_BY_SHA);
	int found = 0, rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, agency, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
		found = 1;
	} else if (rc != SQLITE_DONE) {
		found = -1;
	}
	sqlite3_reset(st);
	return found;
}

/* s_repeat - the receipt for a repeat, then the file goes to archive/ (it
 * stays if the receipt cannot be written, and is taken again later). */
static void
s_repeat(ingest_t *in, const cfg_agency_t *ag, const cfg_rtype_t *rt, const char *name, const char *path,
    const char *sha, const char *earlier, int64_t received_at, int dry)
{
	receipt_t r = { .file = name, .agency = ag->id, .type = rt->name, .sha256 = sha,
		.status = dry ? "checked" : "repeat", .dry_run = dry, .would_be = dry ? "repeat" : NULL,
		.repeat_of = earlier, .received_at = received_at };
	char dst[4600];

	if (receipt_write(in->w->var_dir, &r, NULL, 0) != 0) {
		worker_error(in->w, "cannot write the receipt for %s/%s (repeat): %s; the file waits", ag->id, name,
		    strerror(errno));
		in->refusals_failing = 1;
		return;
	}
	s_spool(in, dst, sizeof(dst), "archive", ag->id, received_at, name, dry);
	if (fs_move(path, dst) != 0 && errno != ENOENT)
		worker_error(in->w, "cannot move %s/%s to archive/: %s", ag->id, name, strerror(errno));
	log_info("%s/%s: %srepeat of %s", ag->id, name, dry ? "checked (dry run), would be a " : "", earlier);
	in->files_repeat++;
}

/* s_gate - lstat checks; 0 if the candidate may be taken, else a refusal code. */
static const char *
s_gate(ingest_t *in, const struct stat *st, char *vi, char *en, size_t msz)
{
	if (S_ISLNK(st->st_mode)) {
		snprintf(vi, msz, "tệp là liên kết tượng trưng (symlink); hãy gửi tệp thật");
		snprintf(en, msz, "the file is a symbolic link; drop the file itself");
		return "E_FILE_SYMLINK";
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(vi, msz, "không phải tệp thông thường (thư mục, FIFO hoặc thiết bị)");
		snprintf(en, msz, "not a regular file (a directory, FIFO or device)");
		return "E_FILE_NOT_REGULAR";
	}
	if (st->st_nlink > 1) {
		snprintf(vi, msz, "tệp có %lu liên kết cứng; hãy gửi một bản sao độc lập", (unsigned long)st->st_nlink);
		snprintf(en, msz, "the file has %lu hard links; drop an independent copy", (unsigned long)st->st_nlink);
		return "E_FILE_HARDLINK";
	}
	if (st->st_size > in->w->config->ingest.max_file_bytes) {
		snprintf(vi, msz, "tệp %lld byte, vượt giới hạn %lld byte", (long long)st->st_size,
		    in->w->config->ingest.max_file_bytes);
		snprintf(en, msz, "the file is %lld bytes, over the limit of %lld bytes", (long long)st->st_size,
		    in->w->config->ingest.max_file_bytes);
		return "E_FILE_TOO_LARGE";
	}
	return NULL;
}

/* s_type - the record type of a file named name into *rt (NULL when the
 * name tells none); NULL if the agency may send it, else a refusal code
 * (E_FILE_TYPE_UNKNOWN, E_FILE_TYPE_NOT_ALLOWED) with its messages. */
static const char *
s_type(ingest_t *in, const cfg_agency_t *ag, const char *name, const cfg_rtype_t **rt, char *vi, char *en,
    size_t msz)
{
	*rt = config_rtype_for_file(in->w->config, name);
	if (*rt == NULL) {
		snprintf(vi, msz, "không xác định được loại dữ liệu từ tên tệp '%s'; tên tệp phải bắt đầu bằng "
		    "loại dữ liệu, ví dụ participant_2017-03.csv", name);
		snprintf(en, msz, "cannot tell the record type from the file name '%s'; the name must start "
		    "with the type, e.g. participant_2017-03.csv", name);
		return "E_FILE_TYPE_UNKNOWN";
	}
	if (!config_agency_allows(ag, (*rt)->name)) {
		snprintf(vi, msz, "cơ quan '%s' không được gửi dữ liệu loại '%s'", ag->id, (*rt)->name);
		snprintf(en, msz, "agency '%s' may not submit '%s' records", ag->id, (*rt)->name);
		return "E_FILE_TYPE_NOT_ALLOWED";
	}
	return NULL;
}

/* s_take - take one file already in processing/ at path; 1 if it became the
 * current file. In this order: the file is hashed (every receipt from here
 * on names its hash), its type is told from its name and checked against
 * what the agency may send, a repeat of the agency's own earlier file is
 * answered as such, and then its encoding is decided and its header read. A
 * file the agency may not send is refused as that, never called a repeat. */
static int
s_take(ingest_t *in, const cfg_agency_t *ag, const char *name, const char *path, int64_t received_at,
    const struct stat *seen, int dry)
{
	char sha[65] = "", earlier[1024], vi[1024], en[1024];
	const char *code = NULL;
	const cfg_rtype_t *rt;
	struct stat st;
	ingest_file_t *f;
	sqlite3_stmt *q;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink > 1 ||
	    (seen != NULL && (st.st_ino != seen->st_ino || st.st_dev != seen->st_dev))) {
		if (fd >= 0)
			close(fd);
		ingest_refuse(in, ag->id, name, path, NULL, NULL, received_at, "E_FILE_CHANGED",
		    "tệp đã bị thay đổi hoặc không mở được trong khi nhận; hãy gửi lại",
		    "the file changed or could not be opened while it was taken; drop it again", NULL, dry);
		return 0;
	}
	if (s_sha256(fd, sha) != 0) {
		close(fd);
		worker_error(in->w, "%s/%s: read error while hashing: %s", ag->id, name, strerror(errno));
		return 0; /* left in processing/: retried at the next start */
	}
	if ((code = s_type(in, ag, name, &rt, vi, en, sizeof(vi))) != NULL) {
		close(fd);
		ingest_refuse(in, ag->id, name, path, sha, rt != NULL ? rt->name : NULL, received_at, code, vi, en,
		    NULL, dry);
		return 0;
	}
	switch (s_earlier(in, ag->id, sha, earlier, sizeof(earlier))) {
	case 1:
		close(fd);
		s_repeat(in, ag, rt, name, path, sha, earlier, received_at, dry);
		return 0;
	case -1:
		close(fd);
		worker_error(in->w, "%s/%s: cannot look up earlier files; the file waits", ag->id, name);
		return 0; /* left in processing/: taken again at the next scan */
	}
	f = xcalloc(1, sizeof(*f));
	f->fd = fd;
	f->size = st.st_size;
	f->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	f->agency = ag;
	f->name = xstrdup(name);
	f->path = xstrdup(path);
	f->received_at = received_at;
	memcpy(f->sha, sha, sizeof(sha));
	f->rtype = rt;
	f->dry = dry;
	if (ingest_open_header(f, &code, vi, en, sizeof(vi)) != 0) {
		ingest_refuse(in, ag->id, name, path, sha, rt->name, received_at, code, vi, en, f, dry);
		in->cur = f;
		ingest_close_current(in);
		return 0;
	}
	q = store_stmt(in->w->store, SQL_ADD);
	if (q == NULL)
		goto dbfail;
	sqlite3_bind_text(q, 1, sha, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, ag->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, f->rtype->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, received_at);
	sqlite3_bind_int64(q, 7, (sqlite3_int64)st.st_size);
	sqlite3_bind_int64(q, 8, (sqlite3_int64)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
	sqlite3_bind_text(q, 9, f->encoding, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 10, dry);
	if (store_step_done(in->w->store, q) != 0)
		goto dbfail;
	f->row_id = sqlite3_last_insert_rowid(store_db(in->w->store));
	in->cur = f;
	in->files_taken++;
	log_info("%s/%s: taken as %s in %s (%lld bytes, sha256 %.12s)%s", ag->id, name, f->rtype->name,
	    f->encoding != NULL ? f->encoding : "a workbook",
	    (long long)f->size, sha, dry ? ", a dry run" : "");
	return 1;
dbfail:
	worker_error(in->w, "%s/%s: cannot record the file", ag->id, name);
	in->cur = f;
	ingest_close_current(in);
	return 0;
}

/* s_candidate - one entry of a drop folder (check/ for a dry run); 1 if it
 * became the current file. */
static int
s_candidate(ingest_t *in, const cfg_agency_t *ag, const char *name, int dry)
{
	char src[4400], dst[4600], vi[512], en[512];
	int64_t received_at = ingest_now_us();
	const char *code;
	struct stat st;

	s_spool(in, src, sizeof(src), dry ? "check" : "incoming", ag->id, 0, NULL, 0);
	snprintf(src + strlen(src), sizeof(src) - strlen(src), "/%s", name);
	if (lstat(src, &st) != 0)
		return 0; /* gone meanwhile */
	code = s_gate(in, &st, vi, en, sizeof(vi));
	if (code != NULL) {
		ingest_refuse(in, ag->id, name, src, NULL, NULL, received_at, code, vi, en, NULL, dry);
		return 0;
	}
	s_spool(in, dst, sizeof(dst), "processing", ag->id, received_at, name, dry);
	if (fs_move(src, dst) != 0) {
		worker_error(in->w, "cannot move %s/%s to processing/: %s", ag->id, name, strerror(errno));
		return 0;
	}
	return s_take(in, ag, name, dst, received_at, &st, dry);
}

typedef struct {
	const cfg_agency_t *ag;
	char *name;
	struct timespec mtime;
	int dry;
} s_cand_t;

/* s_cand_cmp - oldest first, then by name. */
static int
s_cand_cmp(const void *a, const void *b)
{
	const s_cand_t *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void s_adopt_orphans(ingest_t *in);

/* ingest_scan - files left in processing/ first, then every drop folder
 * (incoming/ and the dry runs' check/), candidates oldest first. */
void
ingest_scan(ingest_t *in)
{
	s_cand_t *c = NULL;
	size_t n = 0, cap = 0;

	in->refusals_failing = 0;
	s_adopt_orphans(in);
	if (in->cur != NULL)
		return;

	for (int i = 0; i < 2 * in->w->config->nagencies; i++) {
		const cfg_agency_t *ag = &in->w->config->agencies[i / 2];
		int dry = i % 2;
		char dir[4200];
		struct dirent *de;
		DIR *d;

		s_spool(in, dir, sizeof(dir), dry ? "check" : "incoming", ag->id, 0, NULL, 0);
		if ((d = opendir(dir)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			struct stat st;

			if (de->d_name[0] == '.') /* "." "..", and files still being written (drop protocol) */
				continue;
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				c = xrealloc(c, cap * sizeof(*c));
			}
			c[n++] = (s_cand_t){ ag, xstrdup(de->d_name), st.st_mtim, dry };
		}
		closedir(d);
	}
	if (n > 0)
		qsort(c, n, sizeof(*c), s_cand_cmp);
	for (size_t i = 0, taken = 0; i < n && in->cur == NULL && taken < MAX_TAKEN_PER_SCAN; i++, taken++)
		s_candidate(in, c[i].ag, c[i].name, c[i].dry);
	if (n > 0 && in->cur == NULL && !in->refusals_failing)
		in->scan_due = 1; /* more may remain (not while receipts fail: the rescan timer retries) */
	for (size_t i = 0; i < n; i++)
		free(c[i].name);
	free(c);
}

/* s_resume_file - reopen a file that was being read and skip what was sent. */
static int
s_resume_file(ingest_t *in, sqlite3_stmt *st)
{
	const cfg_agency_t *ag = config_agency(in->w->config, (const char *)sqlite3_column_text(st, 2));
	const char *path = (const char *)sqlite3_column_text(st, 4);
	const char *code = NULL;
	char vi[512], en[512];
	ingest_file_t *f;
	csv_row_t row;

	if (ag == NULL || config_rtype(in->w->config, (const char *)sqlite3_column_text(st, 5)) == NULL) {
		sqlite3_stmt *up = store_stmt(in->w->store, "UPDATE files SET status = 'refused' WHERE id = ?");

		worker_error(in->w, "unfinished file %s: its agency or type is no longer configured; left unread", path);
		if (up != NULL) {
			sqlite3_bind_int64(up, 1, sqlite3_column_int64(st, 0));
			store_step_done(in->w->store, up);
		}
		return 0;
	}
	f = xcalloc(1, sizeof(*f));
	f->row_id = sqlite3_column_int64(st, 0);
	snprintf(f->sha, sizeof(f->sha), "%s", (const char *)sqlite3_column_text(st, 1));
	f->agency = ag;
	f->name = xstrdup((const char *)sqlite3_column_text(st, 3));
	f->path = xstrdup(path);
	f->rtype = config_rtype(in->w->config, (const char *)sqlite3_column_text(st, 5));
	f->received_at = sqlite3_column_int64(st, 6);
	f->rows_done = (uint64_t)sqlite3_column_int64(st, 7);
	f->nbatches = (uint32_t)sqlite3_column_int64(st, 8);
	f->size = (off_t)sqlite3_column_int64(st, 10);
	f->mtime_ns = sqlite3_column_int64(st, 11);
	f->dry = sqlite3_column_int(st, 13);
	/* read on in the encoding it was begun in; a file begun by a version that
	 * did not record it was read in the agency's declared one */
	f->encoding = text_encoding_canonical(sqlite3_column_type(st, 12) == SQLITE_TEXT ?
	    (const char *)sqlite3_column_text(st, 12) : ag->encoding);
	if (f->encoding == NULL)
		f->encoding = text_encoding_canonical(ag->encoding);
	f->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	in->cur = f;
	if (f->fd < 0 || ingest_changed(f) || ingest_open_header(f, &code, vi, en, sizeof(vi)) != 0) {
		char why[160];

		snprintf(why, sizeof(why), "cannot be read on after a restart (%s)",
		    f->fd < 0 ? strerror(errno) : code != NULL ? code : "it changed");
		ingest_abort_current(in, why);
		return -1;
	}
	for (uint64_t i = 0; i < f->rows_done; i++)
		if (ingest_next_row(f, &row) != 1) {
			ingest_abort_current(in, "is shorter than before a restart");
			return -1;
		}
	log_info("%s/%s: resuming after %llu rows", ag->id, f->name, (unsigned long long)f->rows_done);
	return 0;
}

/* s_adopt_orphans - files in processing/ that no row describes (the worker
 * stopped between the move and the insert, or its refusal's receipt could
 * not be written) are taken again. */
static void
s_adopt_orphans(ingest_t *in)
{
	for (int i = 0; i < in->w->config->nagencies && in->cur == NULL; i++) {
		const cfg_agency_t *ag = &in->w->config->agencies[i];
		char dir[4200], path[4600];
		struct dirent *de;
		DIR *d;

		s_spool(in, dir, sizeof(dir), "processing", ag->id, 0, NULL, 0);
		if ((d = opendir(dir)) == NULL)
			continue;
		while (in->cur == NULL && (de = readdir(d)) != NULL) {
			sqlite3_stmt *st;
			const char *dash = strchr(de->d_name, '-');
			char *after;
			int known, dry;

			if (de->d_name[0] == '.' || dash == NULL)
				continue;
			strtoll(de->d_name, &after, 10);
			dry = strncmp(after, INGEST_DRY_MARK, strlen(INGEST_DRY_MARK)) == 0; /* STAMP.dry-NAME */
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			st = store_stmt(in->w->store, "SELECT 1 FROM files WHERE path = ?");
			sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
			known = sqlite3_step(st) == SQLITE_ROW;
			sqlite3_reset(st);
			if (!known)
				s_take(in, ag, dash + 1, path, strtoll(de->d_name, NULL, 10), NULL, dry);
		}
		closedir(d);
	}
}

/* ingest_resume - finish archive moves of sent files, resume a reading one. */
int
ingest_resume(ingest_t *in)
{
	sqlite3_stmt *st = store_stmt(in->w->store,
	    "SELECT id, sha256, agency, name, path, rtype, received_at, rows_done, nbatches, status, "
	    "coalesce(size, -1), coalesce(mtime_ns, -1), encoding, dry_run "
	    "FROM files WHERE status = 'reading' OR path LIKE '%/spool/processing/%' ORDER BY id");

	if (st == NULL)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (strcmp((const char *)sqlite3_column_text(st, 9), "reading") != 0) {
			ingest_archive(in, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 2),
			    (const char *)sqlite3_column_text(st, 4), (const char *)sqlite3_column_text(st, 3),
			    sqlite3_column_int64(st, 6), sqlite3_column_int(st, 13));
			continue;
		}
		if (in->cur == NULL)
			s_resume_file(in, st);
	}
	sqlite3_reset(st);
	if (in->cur == NULL)
		s_adopt_orphans(in);
	return 0;
}

/* ingest_archive - move a sent file from processing/ to archive/ and record it. */
void
ingest_archive(ingest_t *in, int64_t row_id, const char *agency, const char *path, const char *name,
    int64_t received_at, int dry)
{
	char dst[4600];
	sqlite3_stmt *st;

	s_spool(in, dst, sizeof(dst), "archive", agency, received_at, name, dry);
	if (fs_move(path, dst) != 0 && errno != ENOENT) {
		worker_error(in->w, "cannot archive %s: %s", path, strerror(errno));
		return;
	}
	st = store_stmt(in->w->store, "UPDATE files SET path = ? WHERE id = ?");
	if (st == NULL)
		return;
	sqlite3_bind_text(st, 1, dst, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, row_id);
	store_step_done(in->w->store, st);
}

/* s_received_s - when an archived or rejected entry was received: the stamp
 * its name starts with (STAMP-NAME or STAMP.dry-NAME, unix microseconds), or
 * its mtime when the name has none; the later of the two, so nothing goes
 * early. */
static time_t
s_received_s(const char *name, const struct stat *st)
{
	char *end;
	long long us = strtoll(name, &end, 10);
	time_t t = st->st_mtime;

	if (end != name && (*end == '-' || strncmp(end, INGEST_DRY_MARK, strlen(INGEST_DRY_MARK)) == 0) && us > 0 &&
	    (time_t)(us / 1000000) > t)
		t = (time_t)(us / 1000000);
	return t;
}

/* ingest_expire - delete archive/ and rejected/ entries older than the
 * retention. Directories (refused drops) are left to the operator. */
void
ingest_expire(ingest_t *in)
{
	static const char *const states[] = { "archive", "rejected" };
	int days = in->w->config->ingest.retention_days, n = 0;
	time_t cutoff = time(NULL) - (time_t)days * 86400;

	if (days <= 0)
		return;
	for (int i = 0; i < in->w->config->nagencies; i++) {
		for (size_t s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
			char dir[4200];
			struct dirent *de;
			DIR *d;

			s_spool(in, dir, sizeof(dir), states[s], in->w->config->agencies[i].id, 0, NULL, 0);
			if ((d = opendir(dir)) == NULL)
				continue;
			while ((de = readdir(d)) != NULL) {
				struct stat st;

				if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
					continue;
				if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(st.st_mode))
					continue;
				if (s_received_s(de->d_name, &st) >= cutoff)
					continue;
				if (unlinkat(dirfd(d), de->d_name, 0) == 0)
					n++;
				else
					worker_error(in->w, "retention: cannot delete %s/%s: %s", dir, de->d_name, strerror(errno));
			}
			closedir(d);
		}
	}
	if (n > 0)
		log_info("retention: %d archived or rejected files older than %d days deleted", n, days);
}
