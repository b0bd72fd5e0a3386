/* bhxh-ingest - takes the files agencies drop into VAR/spool/incoming/AGENCY/,
 * passes them through a narrow gate, reads them as CSV and sends their rows
 * downstream in batches.
 *
 * Trusts nothing in a drop folder: links, devices, FIFOs, hard-linked and
 * oversized files are refused without being opened through a link, and
 * nothing is ever written there. A file moves incoming -> processing ->
 * archive (or rejected). Each batch is stored in the outbox in the same
 * transaction that records how far the file has been read, so a restart
 * resumes exactly where the last commit left off. The same bytes dropped
 * again by the same agency (same SHA-256) are a repeat: nothing is sent, and
 * the receipt says so. Each file is read in an encoding chosen from its
 * first bytes (text_choose), which its receipt names. A file dropped into
 * VAR/spool/check/AGENCY/ instead is a dry run: read and sent the same way,
 * marked in its FILE_END, answered with a receipt and never applied. */
#include "ingest.h"
#include "log.h"
#include "receipt.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const s_migrations[] = {
	OUTBOX_SCHEMA
	"CREATE TABLE files ("
	"  id INTEGER PRIMARY KEY,"
	"  sha256 TEXT NOT NULL,"
	"  agency TEXT NOT NULL,"
	"  name TEXT NOT NULL,"          /* as dropped */
	"  path TEXT NOT NULL,"          /* in processing/, then archive/ */
	"  rtype TEXT NOT NULL,"
	"  received_at INTEGER NOT NULL," /* unix microseconds */
	"  status TEXT NOT NULL,"         /* reading | sent */
	"  rows_done INTEGER NOT NULL DEFAULT 0,"
	"  nbatches INTEGER NOT NULL DEFAULT 0);"
	"CREATE UNIQUE INDEX files_sha ON files(sha256);"
	"CREATE INDEX files_status ON files(status);",
	/* 2: the same bytes may be taken again once the aggregate refused them
	 * (status refused); repeats are per agency; the size and modification
	 * time a file had when taken, to refuse one that changes while read. */
	"DROP INDEX files_sha;"
	"CREATE INDEX files_sha ON files(sha256, agency);"
	"ALTER TABLE files ADD COLUMN size INTEGER;"
	"ALTER TABLE files ADD COLUMN mtime_ns INTEGER;"
	"ALTER TABLE files ADD COLUMN outcome_code TEXT;",
	/* 3: the encoding each file is read in, decided once from its first
	 * bytes, so that a file resumed after a restart reads on in it */
	"ALTER TABLE files ADD COLUMN encoding TEXT;",
	/* 4: a dry run (dropped into check/): read and checked like any file,
	 * answered with a receipt, never applied and never a repeat's original */
	"ALTER TABLE files ADD COLUMN dry_run INTEGER NOT NULL DEFAULT 0;"
};

/* s_ingest_init - directories, inotify watches, and resume of an unfinished file. */
static int
s_init(worker_t *w)
{
	ingest_t *in = xcalloc(1, sizeof(*in));
	char path[4096];

	if (in == NULL)
		return -1;
	w->state = in;
	in->w = w;
	in->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	for (int i = 0; i < w->config->nagencies; i++) {
		static const char *const dirs[] = { "incoming", "check", "processing", "archive", "rejected", "outbox" };
		const char *id = w->config->agencies[i].id;

		for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
			snprintf(path, sizeof(path), "%s/spool/%s/%s", w->var_dir, dirs[d], id);
			if (fs_mkdirs(path) != 0) {
				worker_error(w, "cannot create %s: %s", path, strerror(errno));
				return -1;
			}
		}
		/* a rename in or a writer's close: no IN_CREATE, which would show a
		 * file copied in place before it is whole; links and FIFOs are found
		 * by the periodic rescan. check/ is the drop folder of dry runs. */
		for (int k = 0; k < 2 && in->inotify_fd >= 0; k++) {
			snprintf(path, sizeof(path), "%s/spool/%s/%s", w->var_dir, k == 0 ? "incoming" : "check", id);
			inotify_add_watch(in->inotify_fd, path, IN_MOVED_TO | IN_CLOSE_WRITE);
		}
	}
	snprintf(path, sizeof(path), "%s/spool/tmp", w->var_dir);
	fs_mkdirs(path);
	in->scan_due = 1;
	return ingest_resume(in);
}

/* s_poll_fd - wake on inotify. */
static int
s_poll_fd(worker_t *w)
{
	return ((ingest_t *)w->state)->inotify_fd;
}

/* s_on_fd - drain inotify events; any event means "scan now". */
static void
s_on_fd(worker_t *w)
{
	ingest_t *in = w->state;
	char buf[8192];

	while (read(in->inotify_fd, buf, sizeof(buf)) > 0)
		;
	in->scan_due = 1;
}

/* s_on_tick - keep the current file moving, or take the next one. */
static int
s_on_tick(worker_t *w)
{
	ingest_t *in = w->state;
	int64_t now = now_ms();

	if (now - in->last_scan >= w->config->ingest.rescan_ms)
		in->scan_due = 1;
	if (in->last_expire == 0 || now - in->last_expire >= 3600 * 1000) {
		in->last_expire = now;
		ingest_expire(in);
	}
	if (in->resume_due) {
		if (now < in->retry_at) {
			worker_set_state(w, "retrying", "%s; next attempt in %lld s", w->last_error,
			    (long long)((in->retry_at - now + 999) / 1000));
			return 0;
		}
		in->resume_due = 0;
		ingest_resume(in);
	}
	if (in->cur == NULL && in->scan_due) {
		in->scan_due = 0;
		in->last_scan = now;
		ingest_scan(in);
	}
	if (in->cur == NULL) {
		if (in->refusals_failing)
			worker_set_state(w, "retrying", "receipts cannot be written (%s); files wait in their folders",
			    w->last_error);
		else
			worker_set_state(w, "ready", NULL);
		return 0;
	}
	worker_set_state(w, "busy", "reading %s/%.80s", in->cur->agency->id, in->cur->name);
	if (outbox_pending(w->outbox) >= w->config->ingest.window)
		return 0; /* wait for acknowledgements */
	return ingest_step(in) > 0;
}

/* s_write_receipt - the receipt the aggregate sent for file (id, sha256),
 * written into the agency's outbox named by this ingest's own record of the
 * file (its agency and name, never the message's); the message's stamp names
 * it when it is a plausible time (a second decision on a quarantined file
 * is named by when it was made). The same message twice writes the same
 * files. 0, or -1 when writing failed (retried: nothing is acknowledged). */
static int
s_write_receipt(worker_t *w, const msg_file_done_t *d)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT agency, name, received_at FROM files WHERE id = ? AND sha256 = ?");
	char path[4700];
	char *agency = NULL, *name = NULL;
	int64_t stamp = 0;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)d->file_no);
	sqlite3_bind_text(st, 2, d->file_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		agency = xstrdup((const char *)sqlite3_column_text(st, 0));
		name = xstrdup((const char *)sqlite3_column_text(st, 1));
		stamp = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		free(agency);
		free(name);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	if (d->stamp > 0 && d->stamp < 253402300800000000LL) /* before the year 10000 */
		stamp = d->stamp;
	rc = 0;
	if (config_agency(w->config, agency) == NULL) {
		log_warn("no receipt written for file %llu: agency '%.40s' is no longer configured",
		    (unsigned long long)d->file_no, agency);
	} else if (receipt_write_rendered(w->var_dir, agency, name, stamp, d->receipt_json,
	    d->receipt_text != NULL ? d->receipt_text : "", d->receipt_csv, path, sizeof(path)) != 0) {
		worker_error(w, "cannot write the receipt of %s/%s: %s; will try again", agency, name, strerror(errno));
		rc = -1;
	}
	free(agency);
	free(name);
	return rc;
}

/* s_on_message - how a file ended at the aggregate: a file it rejected or
 * quarantined is no longer a repeat, so its agency can send it again; the
 * receipt that comes with the outcome is written into the agency's outbox. */
static int
s_on_message(worker_t *w, const msg_t *m)
{
	const msg_file_done_t *d = &m->u.done;
	sqlite3_stmt *st;

	if (m->type != MSG_T_FILE_DONE) {
		w->bad_msgs++;
		log_warn("dropped an unexpected %s message", msg_type_name(m->type));
		return 0;
	}
	if (strcmp(d->status, "applied") != 0 && strcmp(d->status, "rejected") != 0 &&
	    strcmp(d->status, "quarantined") != 0 && strcmp(d->status, "checked") != 0) {
		w->bad_msgs++;
		log_warn("dropped a file outcome with status '%.20s'", d->status);
		return 0;
	}
	/* only a file this ingest finished sending can have an outcome: a file
	 * still being read keeps its place (an outcome for it is forged) */
	st = store_stmt(w->store, "UPDATE files SET status = ?, outcome_code = ? WHERE id = ? AND sha256 = ?"
	    " AND agency = ? AND status != 'reading'");
	if (st == NULL)
		return -1;
	/* a dry run ends checked (it never counts as a repeat's original either way) */
	sqlite3_bind_text(st, 1, strcmp(d->status, "applied") == 0 ? "applied" : strcmp(d->status, "checked") == 0 ?
	    "checked" : "refused", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d->code, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)d->file_no);
	sqlite3_bind_text(st, 4, d->file_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, d->agency, -1, SQLITE_STATIC);
	if (store_step_done(w->store, st) != 0)
		return -1;
	if (sqlite3_changes(store_db(w->store)) == 0) {
		w->bad_msgs++;
		log_warn("an outcome for file %llu that this ingest did not send", (unsigned long long)d->file_no);
		return 0;
	}
	if (d->receipt_json != NULL)
		return s_write_receipt(w, d);
	return 0;
}

/* s_status - the file being read and what was taken. */
static void
s_status(worker_t *w, sb_t *b)
{
	ingest_t *in = w->state;

	sb_addf(b, ",\"files_taken\":%llu,\"files_refused\":%llu,\"files_repeat\":%llu,\"rows_read\":%llu,"
	    "\"current\":", (unsigned long long)in->files_taken, (unsigned long long)in->files_refused,
	    (unsigned long long)in->files_repeat, (unsigned long long)in->rows_read);
	if (in->cur == NULL) {
		sb_add(b, "null");
		return;
	}
	sb_add(b, "{\"agency\":");
	sb_json_str(b, in->cur->agency->id);
	sb_add(b, ",\"file\":");
	sb_json_str(b, in->cur->name);
	sb_addf(b, ",\"rows\":%llu}", (unsigned long long)in->cur->rows_done);
}

/* s_backup_note - for the backup's manifest: the highest file number given. */
static void
s_backup_note(worker_t *w, sb_t *b)
{
	sb_addf(b, ",\"max_file_no\":%lld", store_int(w->store, "SELECT coalesce(max(id), 0) FROM files", 0));
}

/* s_fini - close the current file. */
static void
s_fini(worker_t *w)
{
	ingest_t *in = w->state;

	if (in == NULL)
		return;
	ingest_close_current(in);
	if (in->inotify_fd >= 0)
		close(in->inotify_fd);
	free(in);
	w->state = NULL;
}

static const struct worker_ops s_ops = {
	.name = "ingest",
	.migrations = s_migrations,
	.nmigrations = 4,
	.input = "ingest",
	.outputs = { "validate" },
	.init = s_init,
	.on_message = s_on_message,
	.on_tick = s_on_tick,
	.poll_fd = s_poll_fd,
	.on_fd = s_on_fd,
	.status = s_status,
	.backup_note = s_backup_note,
	.fini = s_fini,
	.tick_ms = 200,
};

int
main(int argc, char **argv)
{
	return worker_main(argc, argv, &s_ops);
}
