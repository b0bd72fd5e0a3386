/* bhxh-aggregate - stages checked batches, applies each complete file in
 * one transaction (snapshots replace by agency, type and period; registries
 * upsert by key), recomputes the indicators and rewrites the reports.
 *
 * Trusts no sender: parts of a file are stored idempotently by (file,
 * batch number); parts of a file that already ended are acknowledged and
 * dropped; every row is checked again before it is applied; a file that
 * cannot be applied is quarantined, never left blocking the files behind it
 * (flow.c). */
#include "aggregate.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "xalloc.h"

#define RECEIPT_RETRY_MS 2000
#define REPORT_RETRY_MS 5000

/* s_on_message - stage what belongs to a file; anything else is counted. */
static int
s_on_message(worker_t *w, const msg_t *m)
{
	if (m->type == MSG_T_BATCH || m->type == MSG_T_FILE_END)
		return agg_stage(w, m);
	w->bad_msgs++;
	log_warn("dropped an unexpected %s message", msg_type_name(m->type));
	return 0;
}

/* s_init - org units into the database, unfinished receipts, fresh reports. */
static int
s_init(worker_t *w)
{
	agg_t *a = xcalloc(1, sizeof(*a));

	w->state = a;
	a->started_s = (int64_t)time(NULL);
	agg_findings_check(w);
	if (agg_units_sync(w) != 0)
		return -1;
	a->receipts_due = 1;
	a->dirty = 1;
	return 0;
}

/* s_state - what the worker says when it is not applying: retrying (a file,
 * receipts or reports), waiting (the head of the line), degraded (files are
 * quarantined: an operator must decide), or ready. */
static void
s_state(worker_t *w, int64_t now)
{
	agg_t *a = w->state;
	long long q;

	if (a->retry_at != 0 && now < a->retry_at)
		return; /* s_transient said why */
	if (a->head_waits)
		return; /* agg_apply_ready said why */
	if (a->receipts_due && a->next_receipt_try > now) {
		worker_set_state(w, "retrying", "receipts cannot be written (%s); trying every %d s", w->last_error,
		    RECEIPT_RETRY_MS / 1000);
		return;
	}
	if (a->dirty && a->next_report_try > now) {
		worker_set_state(w, "retrying", "reports cannot be written (%s); trying every %d s", w->last_error,
		    REPORT_RETRY_MS / 1000);
		return;
	}
	q = store_int(w->store, "SELECT count(*) FROM files WHERE outcome = 'quarantined'", 0);
	if (q > 0)
		worker_set_state(w, "degraded", "%lld file%s quarantined, waiting for an operator's decision"
		    " (bhxhctl quarantine list)", q, q > 1 ? "s" : "");
	else
		worker_set_state(w, "ready", NULL);
}

/* s_on_tick - at most one file per tick; receipts and reports, retried on a
 * timer when they cannot be written (a full disk); staging tidied. */
static int
s_on_tick(worker_t *w)
{
	agg_t *a = w->state;
	int64_t now = now_ms();
	int rc = agg_apply_ready(w);

	if (a->receipts_due && now >= a->next_receipt_try && agg_write_pending_receipts(w) != 0)
		a->next_receipt_try = now + RECEIPT_RETRY_MS;
	if (rc > 0) {
		s_state(w, now);
		return 1;
	}
	if (a->dirty && now >= a->next_report_try) {
		if (agg_write_reports(w) == 0 && agg_send_summary(w) == 0)
			a->dirty = 0;
		else
			a->next_report_try = now + REPORT_RETRY_MS;
	}
	s_state(w, now);
	agg_tidy(w);
	return 0;
}

/* s_status - what the operator needs to see of the line of files. */
static void
s_status(worker_t *w, sb_t *b)
{
	agg_t *a = w->state;

	sb_addf(b, ",\"files_applied\":%llu,\"quarantined\":%lld,\"files_waiting\":%lld,\"late_resends\":%llu,"
	    "\"rows_refused_on_recheck\":%llu", (unsigned long long)a->applied,
	    store_int(w->store, "SELECT count(*) FROM files WHERE outcome = 'quarantined'", 0),
	    store_int(w->store, "SELECT count(*) FROM stage_end e WHERE NOT EXISTS (SELECT 1 FROM files f"
	    " WHERE f.file_no = e.file_no AND f.file_id = e.file_id)", 0),
	    (unsigned long long)a->late_resends, (unsigned long long)a->rows_rechecked_rejected);
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
	.outputs = { "alert", "ingest" },
	.init = s_init,
	.on_message = s_on_message,
	.on_tick = s_on_tick,
	.on_control = agg_control,
	.status = s_status,
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
