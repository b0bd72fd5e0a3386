/* aggregate - the aggregation worker's modules: staging of incoming batches,
 * applying a complete file in one transaction, indicators and reports. */
#ifndef BHXH_AGGREGATE_H
#define BHXH_AGGREGATE_H

#include "worker.h"

/* The record tables and everything derived, in the aggregate's database. */
extern const char *const aggregate_migrations[];
extern const int aggregate_nmigrations;

/* agg_units_sync - write the configured org-unit tree into unit/unit_tree. */
int agg_units_sync(worker_t *w);

/* agg_apply_ready - apply the next complete staged file, if any, in file
 * order; 1 if one was applied, 0 if none was ready, -1 on error. */
int agg_apply_ready(worker_t *w);

/* agg_write_pending_receipts - receipts committed but not yet written out. */
void agg_write_pending_receipts(worker_t *w);

/* agg_recompute - bring coverage and findings up to date after a file of
 * record type rtype whose rows fell in the given snapshot periods (inside the
 * caller's transaction); rtype NULL recomputes everything. Only what such a
 * file can change is recomputed (docs/INDICATORS.md, "Performance"). */
int agg_recompute(worker_t *w, const char *rtype, char *const *periods, int nperiods);

/* agg_findings - recompute the findings of DOMAIN.md section 6 for the
 * periods marked in temp.dirty (full: everything) and put the state changes
 * into the outbox (inside the caller's transaction). */
int agg_findings(worker_t *w, int full);

/* The distinct periods of a table with an index that starts with period,
 * as a subquery: one index seek per period instead of a scan of all rows. */
#define AGG_PERIODS(t) "(WITH RECURSIVE d(p) AS (SELECT MIN(period) FROM " t \
	" UNION ALL SELECT (SELECT MIN(period) FROM " t " WHERE period > d.p) FROM d WHERE d.p IS NOT NULL)" \
	" SELECT p AS period FROM d WHERE p IS NOT NULL)"

/* agg_findings_check - log configuration the findings cannot use. */
void agg_findings_check(worker_t *w);

/* agg_today - today as days since 1970-01-01; BHXH_TODAY=YYYY-MM-DD overrides. */
long agg_today(void);

/* agg_write_reports - rewrite VAR/reports/ from the database. */
void agg_write_reports(worker_t *w);

#endif
