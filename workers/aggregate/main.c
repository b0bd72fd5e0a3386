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

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "report.h"
#include "xalloc.h"

#define RECEIPT_RETRY_MS 2000
#define REPORT_RETRY_MS 5000
#define REPORT_MAX_BYTES (MSG_MAX_SIZE - 64u * 1024u) /* the largest report one answer carries */

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

/* s_sorting - a file's rows are sorted in temporary tables (apply.c): on
 * disk, not in memory, so memory stays flat whatever a file's size, in
 * VAR/db/tmp (mode 0700: the rows are personal data; SQLite unlinks each
 * file as it opens it), with one helper thread for the sorter. */
static int
s_sorting(worker_t *w)
{
	char dir[4096], sql[4200];

	snprintf(dir, sizeof(dir), "%s/db/tmp", w->var_dir);
	if (strchr(dir, '\'') != NULL) {
		log_error("the var dir's path holds a quote ('), which the sorting space's path may not: %s", dir);
		return -1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_error("cannot create %s for sorting: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(sql, sizeof(sql), "PRAGMA temp_store = FILE; PRAGMA threads = 1; PRAGMA temp_store_directory = '%s';",
	    dir);
	if (store_exec(w->store, sql) != 0) {
		log_error("cannot set up sorting in %s: %s", dir, store_last_msg(w->store));
		return -1;
	}
	/* the pages a file's staging took are given back to the disk once the
	 * file has ended (s_compact); a database made before this needs one
	 * rewrite for that (as large as itself, free on the disk) */
	if (store_int(w->store, "PRAGMA auto_vacuum", -1) == 0) {
		long long mb = store_int(w->store, "PRAGMA page_count", 0) * store_int(w->store, "PRAGMA page_size", 0) >> 20;
		int64_t t0 = now_ms();

		if (store_exec(w->store, "PRAGMA auto_vacuum = INCREMENTAL; VACUUM;") != 0)
			log_warn("the database (%lld MB) could not be rewritten to give free space back to the disk: %s;"
			    " it keeps working as it is and tries again at the next start", mb, store_last_msg(w->store));
		else if (mb > 0)
			log_info("the database (%lld MB) was rewritten once, so that the space of ended files returns to the"
			    " disk: now %lld MB, in %lld ms", mb, store_int(w->store, "PRAGMA page_count", 0) *
			    store_int(w->store, "PRAGMA page_size", 0) >> 20, (long long)(now_ms() - t0));
	}
	return 0;
}

/* s_compact - once no file is staged, the free pages (the staging of the
 * files that ended) go back to the disk when they are many: the database
 * holds what it keeps, not the largest file it ever took. */
static void
s_compact(worker_t *w)
{
	long long pages = store_int(w->store, "PRAGMA page_count", 0), fl = store_int(w->store, "PRAGMA freelist_count", 0);

	if (fl < 2048 || fl * 8 < pages || store_int(w->store, "SELECT EXISTS (SELECT 1 FROM stage_batch)", 1) != 0)
		return;
	if (store_exec(w->store, "PRAGMA incremental_vacuum;") != 0)
		log_warn("could not give %lld free pages back to the disk: %s", fl, store_last_msg(w->store));
}

/* s_init - org units into the database, receipts an older version left
 * unsent, fresh reports. */
static int
s_init(worker_t *w)
{
	agg_t *a = xcalloc(1, sizeof(*a));

	w->state = a;
	a->started_s = (int64_t)time(NULL);
	if (s_sorting(w) != 0)
		return -1;
	agg_findings_check(w);
	if (agg_units_sync(w) != 0)
		return -1;
	a->receipts_due = 1;
	a->dirty = 1;
	return 0;
}

/* s_on_reload - a reload took new findings thresholds (findings.yaml) or a
 * new goal: every figure and finding is recomputed at the next tick and
 * their changes told. */
static void
s_on_reload(worker_t *w, config_t *nc)
{
	agg_t *a = w->state;

	agg_early_drop(w); /* a file being taken early was checked under the old configuration */
	if (worker_reloaded(w, "findings.") || worker_reloaded(w, "goal.")) {
		a->refind = 1;
		log_info("reload: figures and findings are recomputed under the new settings of %s", w->cfg_path);
	}
	if (worker_reloaded(w, "findings.missing_data.expected") || worker_reloaded(w, "findings.low_wage_basis.by_org_unit"))
		agg_findings_check(w); /* what cannot be checked is said again, as at start */
	if (nc->nunits != w->config->nunits)
		log_warn("reload: the org-unit tree changed; it takes effect when the aggregate restarts"
		    " (check it first: bhxhctl check-config --var-dir)");
}

/* s_refind - recompute every finding under the thresholds a reload brought;
 * 0, or -1 (tried again next tick). */
static int
s_refind(worker_t *w)
{
	agg_t *a = w->state;

	if (store_begin(w->store) != 0)
		return -1;
	if (agg_recompute(w, NULL, NULL, 0) != 0 || store_commit(w->store) != 0) {
		store_rollback(w->store);
		return -1;
	}
	a->refind = 0;
	a->dirty = 1;
	return 0;
}

/* s_state - what the worker says when it is not applying: retrying (a file,
 * old receipts or reports), waiting (the head of the line), degraded (files are
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
		worker_set_state(w, "retrying", "receipts cannot be queued for ingest (%s); trying every %d s", w->last_error,
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
	else if (a->unknown_units > 0)
		worker_set_state(w, "degraded", "history holds rows of %lld org unit code%s the tree does not have (%s):"
		    " they count in no unit; map them under org_unit_moves (bhxhctl check-config --var-dir)",
		    a->unknown_units, a->unknown_units > 1 ? "s" : "", a->unknown_codes);
	else
		worker_set_state(w, "ready", NULL);
}

/* s_on_tick - at most one file per tick; receipts left unsent by an older
 * version and reports, retried on a timer when they cannot be queued or
 * written (a full disk); staging tidied. */
static int
s_on_tick(worker_t *w)
{
	agg_t *a = w->state;
	int64_t now = now_ms();
	int rc;

	if (a->refind && s_refind(w) != 0)
		worker_error(w, "the findings could not be recomputed under the new thresholds (%s); trying again",
		    store_last_msg(w->store));
	rc = agg_apply_ready(w);

	if (a->receipts_due && now >= a->next_receipt_try && agg_write_pending_receipts(w) != 0)
		a->next_receipt_try = now + RECEIPT_RETRY_MS;
	if (rc > 0) {
		s_state(w, now);
		return 1;
	}
	if (a->dirty && now >= a->next_report_try) {
		if (agg_write_reports(w) == 0 && agg_send_summary(w) == 0) {
			a->dirty = 0;
			s_compact(w);
		} else
			a->next_report_try = now + REPORT_RETRY_MS;
	}
	s_state(w, now);
	agg_tidy(w);
	return 0;
}

/* s_status_files - from the files table: files decided by outcome (quarantined
 * is the field above), rows applied, and when each agency's last file was
 * applied (unix seconds), for the metrics. */
static void
s_status_files(worker_t *w, sb_t *b)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT outcome, count(*) FROM files WHERE outcome != 'quarantined'"
	    " GROUP BY outcome ORDER BY outcome");
	sqlite3_stmt *last = store_stmt(w->store, "SELECT agency, max(applied_at) FROM files WHERE outcome = 'applied'"
	    " AND agency IS NOT NULL GROUP BY agency ORDER BY agency");
	int n = 0;

	sb_add(b, ",\"files\":{");
	while (st != NULL && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT) {
		sb_add(b, n++ ? "," : "");
		sb_json_str(b, (const char *)sqlite3_column_text(st, 0));
		sb_addf(b, ":%lld", (long long)sqlite3_column_int64(st, 1));
	}
	if (st != NULL)
		sqlite3_reset(st);
	sb_addf(b, "},\"rows_applied\":%lld,\"last_applied\":{", store_int(w->store,
	    "SELECT coalesce(sum(rows_applied), 0) FROM files WHERE outcome = 'applied'", 0));
	n = 0;
	while (last != NULL && sqlite3_step(last) == SQLITE_ROW) {
		sb_add(b, n++ ? "," : "");
		sb_json_str(b, (const char *)sqlite3_column_text(last, 0));
		sb_addf(b, ":%lld", (long long)sqlite3_column_int64(last, 1));
	}
	if (last != NULL)
		sqlite3_reset(last);
	sb_add(b, "}");
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
	s_status_files(w, b);
}

/* s_backup_note - for the backup's manifest: the highest file number this
 * database knows, ended or staged (a restored ingest numbers new files
 * above it, so that no number names two files; docs/OPERATIONS.md). */
static void
s_backup_note(worker_t *w, sb_t *b)
{
	sb_addf(b, ",\"last_file_no\":%lld,\"max_file_no\":%lld",
	    store_int(w->store, "SELECT value FROM meta WHERE key = 'last_file_no'", 0),
	    store_int(w->store, "SELECT max((SELECT coalesce(max(value), 0) FROM meta WHERE key = 'last_file_no'),"
	    " (SELECT coalesce(max(file_no), 0) FROM files), (SELECT coalesce(max(file_no), 0) FROM stage_end),"
	    " (SELECT coalesce(max(file_no), 0) FROM stage_batch))", 0));
}

/* s_report - the coverage or findings report from this worker's database,
 * for `bhxhctl report` (which opens no database): args are what (coverage
 * or findings), the period or "", the org unit or "" (it and its subtree)
 * and the format (csv, json, table). */
static int
s_report(worker_t *w, char *const *args, int nargs, sb_t *out)
{
	int coverage = nargs == 4 && strcmp(args[0], "coverage") == 0;
	int format = nargs == 4 ? report_format_parse(args[3]) : -1;
	const char *period, *unit;
	sb_t b;
	int rc;

	if (nargs != 4 || (!coverage && strcmp(args[0], "findings") != 0) || format < 0) {
		sb_add(out, "report needs: coverage|findings, a period or \"\", an org unit or \"\","
		    " and a format (csv, json, table)");
		return 1;
	}
	period = args[1][0] != '\0' ? args[1] : NULL;
	unit = args[2][0] != '\0' ? args[2] : NULL;
	sb_init(&b);
	sb_add(&b, "");
	rc = coverage ? report_coverage(store_db(w->store), period, unit, (report_format_t)format, &b)
	    : report_findings(store_db(w->store), period, unit, (report_format_t)format, &b);
	if (rc != 0) {
		sb_addf(out, "cannot read the %s report: %s", args[0], sqlite3_errmsg(store_db(w->store)));
		rc = 2;
	} else if (b.len > REPORT_MAX_BYTES) {
		sb_addf(out, "the %s report takes %zu bytes, more than one answer may carry (%u): narrow it with"
		    " --period or --org-unit, or read VAR/reports/ on the aggregate's host", args[0], b.len,
		    REPORT_MAX_BYTES);
		rc = 2;
	} else {
		sb_addn(out, b.data, b.len);
	}
	sb_free(&b);
	return rc;
}

/* s_control - the aggregate's control commands: report, and the
 * quarantine commands (agg_control). */
static int
s_control(worker_t *w, const char *cmd, char *const *args, int nargs, sb_t *out)
{
	if (strcmp(cmd, "report") == 0)
		return s_report(w, args, nargs, out);
	return agg_control(w, cmd, args, nargs, out);
}

static void
s_fini(worker_t *w)
{
	agg_early_free(w);
	free(w->state);
	w->state = NULL;
}

static const struct worker_ops s_ops = {
	.name = "aggregate",
	.input = "aggregate",
	.outputs = { "alert", "ingest" },
	.init = s_init,
	.on_reload = s_on_reload,
	.on_message = s_on_message,
	.on_tick = s_on_tick,
	.on_control = s_control,
	.status = s_status,
	.backup_note = s_backup_note,
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
