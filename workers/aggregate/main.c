/* bhxh-aggregate - stages validated batches, applies each complete file in
 * one transaction (snapshots replace by agency, type and period; registries
 * upsert by key), recomputes the indicators and rewrites the reports.
 *
 * Trusts its input only as far as the codec checked it: batches are stored
 * idempotently by (file, batch number), so a resend changes nothing, and a
 * file is applied once, when all of its batches and its end have arrived. */
#include "aggregate.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

typedef struct {
	int dirty; /* an applied file whose reports are not yet rewritten */
} agg_t;

/* s_stage - store a batch or end idempotently. */
static int
s_stage(worker_t *w, const msg_t *m)
{
	const char *sql = m->type == MSG_T_BATCH
	    ? "INSERT OR IGNORE INTO staged_batch(file_id, seq, body) VALUES (?, ?, ?)"
	    : "INSERT OR IGNORE INTO staged_end(file_id, file_no, body) VALUES (?, ?, ?)";
	sqlite3_stmt *st = store_stmt(w->store, sql);
	char *buf;
	size_t len;
	int rc;

	if (st == NULL || msg_encode(m, &buf, &len) != 0)
		return -1;
	if (m->type == MSG_T_BATCH) {
		sqlite3_bind_text(st, 1, m->u.batch.file_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, m->u.batch.seq);
	} else {
		sqlite3_bind_text(st, 1, m->u.end.file_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)m->u.end.file_no);
	}
	sqlite3_bind_blob(st, 3, buf, (int)len, free);
	rc = store_step_done(w->store, st);
	return rc;
}

/* s_on_message - stage what belongs to a file; anything else is logged. */
static int
s_on_message(worker_t *w, const msg_t *m)
{
	if ((m->type == MSG_T_BATCH && m->u.batch.validated) || m->type == MSG_T_FILE_END)
		return s_stage(w, m);
	log_warn("ignored an unexpected %s message", msg_type_name(m->type));
	return 0;
}

/* s_init - org units into the database, unfinished receipts, fresh reports. */
static int
s_init(worker_t *w)
{
	agg_t *a = xcalloc(1, sizeof(*a));

	w->state = a;
	if (a == NULL)
		return -1;
	agg_findings_check(w);
	if (agg_units_sync(w) != 0)
		return -1;
	agg_write_pending_receipts(w);
	agg_write_reports(w);
	return 0;
}

/* s_on_tick - apply at most one ready file per tick; reports when idle. */
static int
s_on_tick(worker_t *w)
{
	agg_t *a = w->state;
	int rc = agg_apply_ready(w);

	if (rc > 0) {
		a->dirty = 1;
		agg_write_pending_receipts(w);
		return 1;
	}
	if (a->dirty) {
		agg_write_reports(w);
		a->dirty = 0;
	}
	return 0;
}

static void
s_fini(worker_t *w)
{
	free(w->state);
	w->state = NULL;
}

static const struct worker_ops s_ops = {
	.name = "aggregate",
	.input = "aggregate",
	.outputs = { "alert" },
	.init = s_init,
	.on_message = s_on_message,
	.on_tick = s_on_tick,
	.fini = s_fini,
	.tick_ms = 200,
};

int
main(int argc, char **argv)
{
	struct worker_ops ops = s_ops;

	ops.migrations = aggregate_migrations;
	ops.nmigrations = aggregate_nmigrations;
	return worker_main(argc, argv, &ops);
}
