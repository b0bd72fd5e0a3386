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
 * again (same SHA-256) are a repeat: nothing is sent, and the receipt says so. */
#include "ingest.h"
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
	"CREATE INDEX files_status ON files(status);"
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
		static const char *const dirs[] = { "incoming", "processing", "archive", "rejected", "outbox" };
		const char *id = w->config->agencies[i].id;

		for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
			snprintf(path, sizeof(path), "%s/spool/%s/%s", w->var_dir, dirs[d], id);
			if (fs_mkdirs(path) != 0) {
				worker_error(w, "cannot create %s: %s", path, strerror(errno));
				return -1;
			}
		}
		snprintf(path, sizeof(path), "%s/spool/incoming/%s", w->var_dir, id);
		/* a rename in or a writer's close: no IN_CREATE, which would show a
		 * file copied in place before it is whole; links and FIFOs are found
		 * by the periodic rescan */
		if (in->inotify_fd >= 0)
			inotify_add_watch(in->inotify_fd, path, IN_MOVED_TO | IN_CLOSE_WRITE);
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
	if (in->cur == NULL && in->scan_due) {
		in->scan_due = 0;
		in->last_scan = now;
		ingest_scan(in);
	}
	if (in->cur == NULL)
		return 0;
	if (outbox_pending(w->outbox) >= w->config->ingest.window)
		return 0; /* wait for acknowledgements */
	return ingest_step(in) > 0;
}

/* s_on_message - ingest has no input. */
static int
s_on_message(worker_t *w, const msg_t *m)
{
	(void)w;
	(void)m;
	return 0;
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
	.nmigrations = 1,
	.input = NULL,
	.outputs = { "validate" },
	.init = s_init,
	.on_message = s_on_message,
	.on_tick = s_on_tick,
	.poll_fd = s_poll_fd,
	.on_fd = s_on_fd,
	.fini = s_fini,
	.tick_ms = 200,
};

int
main(int argc, char **argv)
{
	return worker_main(argc, argv, &s_ops);
}
