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

/* agg_recompute - rebuild the coverage table (inside the caller's transaction). */
int agg_recompute(worker_t *w);

/* agg_write_reports - rewrite VAR/reports/ from the database. */
void agg_write_reports(worker_t *w);

#endif
