/* aggregate - the aggregation worker's modules: staging of incoming batches,
 * applying a complete file in one transaction, indicators and reports. */
#ifndef BHXH_AGGREGATE_H
#define BHXH_AGGREGATE_H

#include "receipt.h"
#include "worker.h"

/* How an attempt to apply a file ended. */
typedef enum {
	AGG_APPLIED = 0,
	AGG_TRANSIENT,   /* the store failed in a way that may pass (busy, full, I/O): try again */
	AGG_PERMANENT,   /* it will fail the same way every time: quarantine */
	AGG_SUPERSEDED   /* a newer snapshot of the same agency, type and period is in place */
} agg_kind_t;

typedef struct {
	agg_kind_t kind;
	char reason[256];       /* for people and logs (English; no personal data) */
	char period[16];        /* AGG_SUPERSEDED: the period */
	long long newer_file_no; /* AGG_SUPERSEDED: the file in place */
	uint32_t line;          /* the row being applied when it failed */
	uint64_t applied, rejected, duplicates, rechecked;
	int none_applied;       /* AGG_APPLIED: rows, none valid: recorded as rejected (E_FILE_NO_VALID_ROWS) */
	int64_t apply_ms;       /* the rows into the tables (from the first batch, or from the end if taken early) */
	int64_t sort_ms;        /* of which participants sorted and written */
	int early;              /* its batches were checked and loaded as they arrived */
} agg_result_t;

struct agg_early;

/* The aggregate worker's own state. */
typedef struct {
	int dirty;              /* an applied file whose reports are not yet rewritten */
	int receipts_due;       /* receipts an older version stored but did not write out: to send */
	int64_t next_receipt_try, next_report_try;
	int64_t retry_at;       /* after a transient failure: not before */
	int retry_ms;
	int64_t order_wait_since; /* the head file waits for an earlier file number */
	int64_t last_purge;
	int64_t started_s;      /* unix seconds this process started: deadlines run while it runs */
	int head_waits;         /* the head of the line is waiting (the state says why) */
	uint64_t late_resends, bad_msgs_files, rows_rechecked_rejected, quarantined, applied;
	int refind;             /* new thresholds (a reload): recompute the findings */
	struct agg_early *early; /* the participant file being taken as its batches arrive (apply.c) */
	long long unknown_units; /* codes history holds that the tree lacks (no move given) */
	char unknown_codes[200];
} agg_t;

/* The record tables and everything derived, in the aggregate's database. */
extern const char *const aggregate_migrations[];
extern const int aggregate_nmigrations;

/* agg_units_sync - write the configured org-unit tree into unit/unit_tree. */
int agg_units_sync(worker_t *w);

/* agg_tree_moves - apply org_unit_moves to history inside the caller's
 * transaction, before the units are rewritten (tree.c); rows moved or -1. */
long long agg_tree_moves(worker_t *w);

/* agg_tree_before / agg_tree_after - around the rewrite of unit_tree: the
 * units whose subtree changed join temp.tree_moved (tree.c). */
int agg_tree_before(worker_t *w);
int agg_tree_after(worker_t *w);

/* agg_tree_unknown - codes history holds that the unit table lacks: how
 * many (-1 on error), the first of them into codes. */
long long agg_tree_unknown(worker_t *w, char *codes, size_t size);

/* agg_tree_check - control command tree-check (a tree's codes, "--", OLD=NEW moves). */
int agg_tree_check(worker_t *w, char *const *args, int nargs, sb_t *out);

/* agg_stage - store a batch or file end idempotently, inside the burst's
 * transaction; a part of a file that already ended (applied, rejected) is
 * acknowledged and dropped. 0, or -1 on a store failure. */
int agg_stage(worker_t *w, const msg_t *m);

/* agg_early_batch - a participant batch just staged, inside the burst's
 * transaction: checked and loaded at once when its file is being taken
 * early (apply.c); never fails: the file is applied from staging instead. */
void agg_early_batch(worker_t *w, const msg_batch_t *b);

/* agg_early_drop - after a reload: the file taken early is applied from staging. */
void agg_early_drop(worker_t *w);

/* agg_early_free - forget the file taken early (the worker stops). */
void agg_early_free(worker_t *w);

/* agg_early_ended - the file ended (any outcome): forget it if taken early. */
void agg_early_ended(worker_t *w, uint64_t file_no, const char *file_id);

/* agg_apply_ready - take the next staged file in file order: apply it,
 * reject it, or quarantine it; 1 if a file ended, 0 if none was ready or it
 * must wait, -1 on a store failure (retried later). */
int agg_apply_ready(worker_t *w);

/* agg_apply_file - apply a complete staged file inside the caller's
 * transaction; 0, or -1 with res saying whether to retry, quarantine, or
 * drop it as superseded (the caller rolls back). */
int agg_apply_file(worker_t *w, const msg_file_end_t *end, agg_result_t *res);

/* agg_record_outcome - inside the caller's transaction: the files row with
 * the rendered receipt r and the outcome (applied, rejected, superseded,
 * quarantined, dropped), the staging dropped (kept when quarantined),
 * last_file_no advanced, and the outcome told to ingest with the receipt
 * (FILE_DONE; ingest writes it into the agency's outbox on its host). */
int agg_record_outcome(worker_t *w, const msg_file_end_t *end, const receipt_t *r, const char *outcome,
    const char *code, const char *reason);

/* agg_next_change - a new change number for the events of this transaction. */
uint64_t agg_next_change(worker_t *w);

/* agg_control - the aggregate's control commands (quarantine list|retry|drop). */
int agg_control(worker_t *w, const char *cmd, char *const *args, int nargs, sb_t *out);

/* agg_tidy - drop staging that can never complete (parts of no file end,
 * older than twice the incomplete timeout); bounded work. */
void agg_tidy(worker_t *w);

/* agg_write_pending_receipts - receipts an older version stored but did
 * not write out (receipt_written = 0), each sent once to ingest in a
 * FILE_DONE and marked; 0, or -1 on a store failure (retried later). */
int agg_write_pending_receipts(worker_t *w);

/* agg_recompute - bring coverage and findings up to date after a file of
 * record type rtype whose rows fell in the given snapshot periods (inside the
 * caller's transaction); rtype NULL recomputes everything. Only what such a
 * file can change is recomputed (docs/INDICATORS.md, "Performance"). */
int agg_recompute(worker_t *w, const char *rtype, char *const *periods, int nperiods);

/* agg_findings - recompute the findings of docs/DOMAIN.md §6 for the
 * periods marked in temp.dirty (full: everything) and put the state changes
 * into the outbox (inside the caller's transaction). */
int agg_findings(worker_t *w, int full);

/* The distinct periods of a table with an index that starts with period,
 * as a subquery: one index seek per period instead of a scan of all rows. */
#define AGG_PERIODS(t) "(WITH RECURSIVE d(p) AS (SELECT MIN(period) FROM " t \
	" UNION ALL SELECT (SELECT MIN(period) FROM " t " WHERE period > d.p) FROM d WHERE d.p IS NOT NULL)" \
	" SELECT p AS period FROM d WHERE p IS NOT NULL)"

/* Participants are kept in the table person (apply.c, migration 8): the
 * period as the integer YYYYMM, codes as numbers of the table code. These
 * turn one form into the other in SQL (NULL stays NULL). */
#define AGG_PINT(x) "(CAST(substr(" x ", 1, 4) AS INTEGER) * 100 + CAST(substr(" x ", 6, 2) AS INTEGER))"
#define AGG_PTEXT(x) "(CASE WHEN (" x ") IS NULL THEN NULL ELSE printf('%04d-%02d', (" x ") / 100, (" x ") % 100) END)"

/* The distinct periods of person, as YYYY-MM, one index seek each. */
#define AGG_PERSON_PERIODS "(SELECT " AGG_PTEXT("d.p") " AS period FROM (WITH RECURSIVE d(p) AS" \
	" (SELECT MIN(period) FROM person UNION ALL SELECT (SELECT MIN(period) FROM person WHERE period > d.p)" \
	" FROM d WHERE d.p IS NOT NULL) SELECT p FROM d WHERE p IS NOT NULL) d)"

/* Bits of person.flags. */
#define AGG_F_COMPULSORY 1
#define AGG_F_VOLUNTARY 2
#define AGG_F_BHTN 4

/* agg_findings_check - log configuration the findings cannot use. */
void agg_findings_check(worker_t *w);

/* agg_today - today as days since 1970-01-01: BHXH_TODAY=YYYY-MM-DD, else
 * the findings configuration's `today`, else the local date. */
long agg_today(const config_t *c);

/* agg_stakes - the workers and the money (VND) a finding is about: employees
 * declared to Tax, insured people and arrears owed, from its month's data. */
void agg_stakes(worker_t *w, const char *kind, const char *subject, const char *period, double value,
    double *workers, double *amount);

/* agg_send_summary - the figures of the monthly summary to the alert worker
 * (MSG_T_SUMMARY, through the outbox in its own transaction); 0 or -1. */
int agg_send_summary(worker_t *w);

/* agg_write_reports - rewrite VAR/reports/ from the database; 0 or -1. */
int agg_write_reports(worker_t *w);

#endif
