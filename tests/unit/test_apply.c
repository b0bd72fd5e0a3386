/* test_apply - the aggregate's line of files (workers/aggregate/flow.c and
 * apply.c) driven directly, without sockets: a worker_t built by hand with
 * the shipped configuration, a store with the aggregate's migrations in a
 * temp directory, and the two outboxes (to alert and to ingest) over no
 * socket (outbox_put only stores). Messages are built with the codec's
 * types and staged with agg_stage; agg_apply_ready takes the head of the
 * line; agg_control retries and drops quarantined files.
 *
 * What a file can end as: applied (rows in, FILE_DONE with the receipt to
 * ingest), rejected (agency may not send the type; abort code), quarantined
 * (a batch beyond the end's count; incomplete past the deadline; an integer
 * overflow), superseded (an older snapshot retried after a newer one), or
 * dropped by the operator; parts of an ended file are dropped; every row is
 * checked again whatever the batch claims; a batch of another agency
 * quarantines its file; a locked database is retried after a pause. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "shipped.h"

#include "aggregate.h"
#include "config.h"
#include "log.h"
#include "msg.h"
#include "outbox.h"
#include "store.h"
#include "worker.h"

#define RECEIVED_AT 1490000000000000LL /* 2017-03-20, unix microseconds */

typedef struct {
	char dir[64];
	struct worker_ops ops;
	worker_t w;
	agg_t *a;
} fx_t;

static int
setup(void **state)
{
	fx_t *f = calloc(1, sizeof(*f));
	char cfg[PATH_MAX + 32], db[128];
	yt_diag_t diag = { 0 };

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/bhxh-ut.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	shipped_path(cfg, sizeof(cfg), "bhxh.yaml");
	f->w.config = config_load(cfg, &diag);
	if (f->w.config == NULL) {
		yt_diag_print(&diag, stderr);
		fail_msg("cannot load %s", cfg);
	}
	yt_diag_free(&diag);
	f->ops = (struct worker_ops){ .name = "aggregate", .migrations = aggregate_migrations,
		.nmigrations = aggregate_nmigrations, .input = "aggregate", .outputs = { "alert", "ingest" },
		.on_control = agg_control, .tick_ms = 200 };
	f->w.ops = &f->ops;
	f->w.var_dir = f->dir;
	f->w.lock_fd = -1;
	snprintf(f->w.name, sizeof(f->w.name), "aggregate");
	snprintf(f->w.run_state, sizeof(f->w.run_state), "ready");
	snprintf(db, sizeof(db), "%s/aggregate.db", f->dir);
	f->w.store = store_open(db, aggregate_migrations, aggregate_nmigrations);
	assert_non_null(f->w.store);
	f->w.outboxes[0] = outbox_new(f->w.store, NULL, 64, 3000, "outbox");
	f->w.outboxes[1] = outbox_new(f->w.store, NULL, 64, 3000, "outbox_ingest");
	assert_non_null(f->w.outboxes[0]);
	assert_non_null(f->w.outboxes[1]);
	f->w.nout = 2;
	f->w.outbox = f->w.outboxes[0];
	f->a = calloc(1, sizeof(agg_t));
	assert_non_null(f->a);
	f->w.state = f->a;
	assert_int_equal(agg_units_sync(&f->w), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fx_t *f = *state;
	char cmd[200];

	outbox_destroy(&f->w.outboxes[0]);
	outbox_destroy(&f->w.outboxes[1]);
	store_close(&f->w.store);
	config_free(&f->w.config);
	free(f->a);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* --- building messages (every string malloc'd, so msg_free frees them) */

/* s_strdup - a copy that must succeed. */
static char *
s_strdup(const char *s)
{
	char *c = strdup(s);

	assert_non_null(c);
	return c;
}

/* s_batch - batch seq of file (file_no, file_id) with the record type's
 * fields in order and one row per string of rows ("v1|v2|..."), lines from 2. */
static msg_t
s_batch(fx_t *f, uint64_t file_no, const char *file_id, uint32_t seq, const char *agency, const char *rtype,
    const char *const *rows, uint32_t nrows)
{
	const cfg_rtype_t *rt = config_rtype(f->w.config, rtype);
	msg_t m = { .version = MSG_VERSION, .type = MSG_T_BATCH, .id = 1000 + seq };
	msg_batch_t *b = &m.u.batch;

	assert_non_null(rt);
	b->file_id = s_strdup(file_id);
	b->file_no = file_no;
	b->seq = seq;
	b->validated = 1;
	b->agency = s_strdup(agency);
	b->rtype = s_strdup(rtype);
	b->nfields = (uint32_t)rt->nfields;
	b->fields = calloc((size_t)rt->nfields, sizeof(char *));
	assert_non_null(b->fields);
	for (int i = 0; i < rt->nfields; i++)
		b->fields[i] = s_strdup(rt->fields[i].name);
	b->nrows = nrows;
	b->rows = calloc(nrows ? nrows : 1, sizeof(msg_row_t));
	assert_non_null(b->rows);
	for (uint32_t r = 0; r < nrows; r++) {
		char *copy = s_strdup(rows[r]), *p = copy;

		b->rows[r].line = 2 + seq * 100 + r;
		b->rows[r].nvalues = (uint32_t)rt->nfields;
		b->rows[r].values = calloc((size_t)rt->nfields, sizeof(char *));
		assert_non_null(b->rows[r].values);
		for (int i = 0; i < rt->nfields; i++) {
			char *bar = strchr(p, '|');

			if (bar != NULL)
				*bar = '\0';
			b->rows[r].values[i] = s_strdup(p);
			p = bar != NULL ? bar + 1 : p + strlen(p);
		}
		free(copy);
	}
	return m;
}

/* s_end - the end of file (file_no, file_id). */
static msg_t
s_end(uint64_t file_no, const char *file_id, const char *agency, const char *rtype, const char *name,
    uint32_t nbatches, uint64_t rows_read, const char *abort_code)
{
	msg_t m = { .version = MSG_VERSION, .type = MSG_T_FILE_END, .id = 2000 + file_no };
	msg_file_end_t *e = &m.u.end;

	e->file_id = s_strdup(file_id);
	e->file_no = file_no;
	e->agency = s_strdup(agency);
	e->rtype = s_strdup(rtype);
	e->name = s_strdup(name);
	e->received_at = RECEIVED_AT + (int64_t)file_no;
	e->nbatches = nbatches;
	e->rows_read = rows_read;
	e->abort_code = abort_code != NULL ? s_strdup(abort_code) : NULL;
	return m;
}

/* s_stage - stage m in its own transaction (as one burst) and free it. */
static void
s_stage(fx_t *f, msg_t m)
{
	assert_int_equal(store_begin(f->w.store), 0);
	assert_int_equal(agg_stage(&f->w, &m), 0);
	assert_int_equal(store_commit(f->w.store), 0);
	msg_free(&m);
}

/* --- looking at the database */

static long long
s_int(fx_t *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* s_int - one number from the aggregate's database (LLONG_MIN if none). */
static long long
s_int(fx_t *f, const char *fmt, ...)
{
	char sql[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return store_int(f->w.store, sql, LLONG_MIN);
}

/* s_file_col - column col of the files row of file_no as text ("" if NULL or none). */
static void
s_file_col(fx_t *f, uint64_t file_no, const char *col, char *buf, size_t size)
{
	char sql[200];
	sqlite3_stmt *st;

	buf[0] = '\0';
	snprintf(sql, sizeof(sql), "SELECT %s FROM files WHERE file_no = %llu", col, (unsigned long long)file_no);
	assert_int_equal(sqlite3_prepare_v2(store_db(f->w.store), sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* s_assert_outcome - file_no ended as outcome, with code (NULL: none). */
static void
s_assert_outcome(fx_t *f, uint64_t file_no, const char *outcome, const char *code)
{
	char got[64];

	s_file_col(f, file_no, "outcome", got, sizeof(got));
	if (strcmp(got, outcome) != 0)
		fail_msg("file %llu: outcome '%s', want '%s'", (unsigned long long)file_no, got, outcome);
	s_file_col(f, file_no, "code", got, sizeof(got));
	assert_string_equal(got, code != NULL ? code : "");
}

/* s_file_done - the last FILE_DONE for file_no in the outbox to ingest; 1 if
 * found (status and code copied), and how many there are in *n. */
static int
s_file_done(fx_t *f, uint64_t file_no, char *status, char *code, size_t size, int *n)
{
	sqlite3_stmt *st;
	int found = 0;

	*n = 0;
	assert_int_equal(sqlite3_prepare_v2(store_db(f->w.store), "SELECT body FROM outbox_ingest ORDER BY id", -1,
	    &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char err[160];
		msg_t m;

		assert_int_equal(msg_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &m, err,
		    sizeof(err)), 0);
		assert_int_equal(m.type, MSG_T_FILE_DONE);
		if (m.u.done.file_no == file_no) {
			(*n)++;
			found = 1;
			snprintf(status, size, "%s", m.u.done.status);
			snprintf(code, size, "%s", m.u.done.code != NULL ? m.u.done.code : "");
		}
		msg_free(&m);
	}
	sqlite3_finalize(st);
	return found;
}

/* s_done_receipt - the receipt (JSON, or "-" for none) of the last
 * FILE_DONE for file_no, with its name and stamp; how many there are. */
static int
s_done_receipt(fx_t *f, uint64_t file_no, char *json, size_t size, char *name, int64_t *stamp)
{
	sqlite3_stmt *st;
	int n = 0;

	assert_int_equal(sqlite3_prepare_v2(store_db(f->w.store), "SELECT body FROM outbox_ingest ORDER BY id", -1,
	    &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char err[160];
		msg_t m;

		assert_int_equal(msg_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &m, err,
		    sizeof(err)), 0);
		if (m.u.done.file_no == file_no) {
			n++;
			snprintf(json, size, "%s", m.u.done.receipt_json != NULL ? m.u.done.receipt_json : "-");
			snprintf(name, size, "%s", m.u.done.name);
			*stamp = m.u.done.stamp;
			if (m.u.done.receipt_json != NULL)
				assert_non_null(m.u.done.receipt_text);
		}
		msg_free(&m);
	}
	sqlite3_finalize(st);
	return n;
}

/* s_assert_done - the last FILE_DONE told to ingest for file_no says status and code. */
static void
s_assert_done(fx_t *f, uint64_t file_no, const char *status, const char *code)
{
	char s[64], c[64];
	int n;

	if (!s_file_done(f, file_no, s, c, sizeof(s), &n))
		fail_msg("no FILE_DONE for file %llu", (unsigned long long)file_no);
	assert_string_equal(s, status);
	assert_string_equal(c, code != NULL ? code : "");
}

/* s_quarantine_events - how many quarantined_file events for file_no in state are in the alert outbox. */
static int
s_quarantine_events(fx_t *f, uint64_t file_no, const char *state)
{
	sqlite3_stmt *st;
	char subject[64];
	int n = 0;

	snprintf(subject, sizeof(subject), "bhxh:%llu", (unsigned long long)file_no);
	assert_int_equal(sqlite3_prepare_v2(store_db(f->w.store), "SELECT body FROM outbox ORDER BY id", -1, &st,
	    NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char err[160];
		msg_t m;

		assert_int_equal(msg_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &m, err,
		    sizeof(err)), 0);
		assert_int_equal(m.type, MSG_T_EVENTS);
		for (uint32_t i = 0; i < m.u.events.nevents; i++) {
			const msg_event_t *e = &m.u.events.events[i];

			if (strcmp(e->kind, "quarantined_file") == 0 && strcmp(e->subject, subject) == 0 &&
			    strcmp(e->state, state) == 0)
				n++;
		}
		msg_free(&m);
	}
	sqlite3_finalize(st);
	return n;
}

/* s_control - agg_control; its code, and its answer into buf. */
static int
s_control(fx_t *f, const char *cmd, const char *arg, char *buf, size_t size)
{
	char *args[1] = { (char *)arg };
	sb_t out;
	int rc;

	sb_init(&out);
	sb_add(&out, "");
	rc = agg_control(&f->w, cmd, args, arg != NULL ? 1 : 0, &out);
	snprintf(buf, size, "%s", out.data);
	sb_free(&out);
	return rc;
}

/* --- participant files of the Social Security agency */

static const char *const s_rows_a[] = {
	"0100000001||058|2017-03|compulsory|1|DV001|",
	"0100000002||061|2017-03|voluntary|0||",
};

/* s_participant_file - stage a whole participant file of nrows rows in one batch. */
static void
s_participant_file(fx_t *f, uint64_t file_no, const char *file_id, const char *name, const char *const *rows,
    uint32_t nrows)
{
	s_stage(f, s_batch(f, file_no, file_id, 0, "bhxh", "participant", rows, nrows));
	s_stage(f, s_end(file_no, file_id, "bhxh", "participant", name, 1, nrows, NULL));
}

/* s_wait_apply - call agg_apply_ready until a file ends (1) or the deadline passes. */
static int
s_wait_apply(fx_t *f, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		int rc = agg_apply_ready(&f->w);

		if (rc != 0 || now_ms() >= deadline)
			return rc;
		zmq_poll(NULL, 0, 20);
	}
}

/* s_quarantine_incomplete - file (file_no, file_id) of two batches with
 * only the first one staged, quarantined after the deadline (set to 1 s). */
static void
s_quarantine_incomplete(fx_t *f, uint64_t file_no, const char *file_id, const char *name, const char *row)
{
	const char *rows[1] = { row };

	f->w.config->aggregate.incomplete_timeout_s = 1;
	s_stage(f, s_end(file_no, file_id, "bhxh", "participant", name, 2, 2, NULL));
	s_stage(f, s_batch(f, file_no, file_id, 0, "bhxh", "participant", rows, 1));
	assert_int_equal(s_wait_apply(f, 10000), 1);
	s_assert_outcome(f, file_no, "quarantined", "E_QUARANTINED");
}

/* --- tests */

/* test_complete_file_applies - parts staged in any order; the file applies
 * once all are in: rows, files row, staging gone, FILE_DONE to ingest, the
 * coverage recomputed, the receipt sent with the outcome. */
static void
test_complete_file_applies(void **state)
{
	fx_t *f = *state;
	const char *r0[1] = { s_rows_a[0] }, *r1[1] = { s_rows_a[1] };
	char buf[4096], name[4096], path[200];
	int64_t stamp = 0;

	s_stage(f, s_end(1, "f0001", "bhxh", "participant", "participant_2017-03.csv", 2, 2, NULL));
	s_stage(f, s_batch(f, 1, "f0001", 1, "bhxh", "participant", r1, 1));
	assert_int_equal(agg_apply_ready(&f->w), 0); /* batch 0 missing: it waits */
	assert_int_equal(s_int(f, "SELECT count(*) FROM files"), 0);
	s_stage(f, s_batch(f, 1, "f0001", 0, "bhxh", "participant", r0, 1));
	assert_int_equal(agg_apply_ready(&f->w), 1);

	assert_int_equal(s_int(f, "SELECT count(*) FROM participant WHERE file_id = 'f0001' AND agency = 'bhxh'"), 2);
	assert_int_equal(s_int(f, "SELECT count(*) FROM participant WHERE insurance_no = '0100000002'"
	    " AND scheme = 'voluntary' AND org_unit = '061' AND period = '2017-03'"), 1);
	s_assert_outcome(f, 1, "applied", NULL);
	assert_int_equal(s_int(f, "SELECT rows_applied FROM files WHERE file_no = 1"), 2);
	assert_int_equal(s_int(f, "SELECT rows_rejected FROM files WHERE file_no = 1"), 0);
	assert_int_equal(s_int(f, "SELECT count(*) FROM stage_batch"), 0);
	assert_int_equal(s_int(f, "SELECT count(*) FROM stage_end"), 0);
	assert_int_equal(s_int(f, "SELECT value FROM meta WHERE key = 'last_file_no'"), 1);
	assert_int_equal(s_int(f, "SELECT bhxh_participants FROM coverage WHERE org_unit = '06' AND period = '2017-03'"), 2);
	s_assert_done(f, 1, "applied", NULL);
	assert_int_equal(outbox_pending(f->w.outboxes[1]), 1);
	assert_int_equal(f->a->applied, 1);
	assert_int_equal(f->a->dirty, 1);
	/* the receipt: rendered, stored, and sent to ingest with the outcome;
	 * nothing is written under the aggregate's spool */
	assert_int_equal(f->a->receipts_due, 0);
	assert_int_equal(s_int(f, "SELECT receipt_written FROM files WHERE file_no = 1"), 1);
	s_file_col(f, 1, "receipt", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"status\": \"applied\""));
	assert_non_null(strstr(buf, "participant_2017-03.csv"));
	assert_int_equal(s_done_receipt(f, 1, buf, sizeof(buf), name, &stamp), 1);
	assert_non_null(strstr(buf, "\"status\": \"applied\""));
	assert_string_equal(name, "participant_2017-03.csv");
	assert_true(stamp == RECEIVED_AT + 1);
	snprintf(path, sizeof(path), "%s/spool", f->dir);
	assert_int_equal(access(path, F_OK), -1);
	/* a receipt an older version left unwritten (an upgrade) is sent once */
	assert_int_equal(store_exec(f->w.store, "UPDATE files SET receipt_written = 0 WHERE file_no = 1"), 0);
	f->a->receipts_due = 1;
	assert_int_equal(agg_write_pending_receipts(&f->w), 0);
	assert_int_equal(f->a->receipts_due, 0);
	assert_int_equal(s_int(f, "SELECT receipt_written FROM files WHERE file_no = 1"), 1);
	assert_int_equal(s_done_receipt(f, 1, buf, sizeof(buf), name, &stamp), 2);
	assert_non_null(strstr(buf, "\"status\": \"applied\""));
	s_assert_done(f, 1, "applied", NULL);
	assert_int_equal(agg_write_pending_receipts(&f->w), 0);
	assert_int_equal(s_done_receipt(f, 1, buf, sizeof(buf), name, &stamp), 2);
	assert_int_equal(access(path, F_OK), -1);
	/* nothing else is ready */
	assert_int_equal(agg_apply_ready(&f->w), 0);
}

/* test_late_resends_dropped - a batch and an end of an applied file sent
 * again: acknowledged (0), counted, nothing staged, nothing applied twice. */
static void
test_late_resends_dropped(void **state)
{
	fx_t *f = *state;
	const char *other[1] = { "0100000099||058|2017-03|compulsory|1|DV001|" };

	s_participant_file(f, 1, "f0001", "participant_2017-03.csv", s_rows_a, 2);
	assert_int_equal(agg_apply_ready(&f->w), 1);
	assert_int_equal(f->a->late_resends, 0);
	s_stage(f, s_batch(f, 1, "f0001", 0, "bhxh", "participant", other, 1));
	s_stage(f, s_end(1, "f0001", "bhxh", "participant", "participant_2017-03.csv", 1, 1, NULL));
	assert_int_equal(f->a->late_resends, 2);
	assert_int_equal(s_int(f, "SELECT count(*) FROM stage_batch"), 0);
	assert_int_equal(s_int(f, "SELECT count(*) FROM stage_end"), 0);
	assert_int_equal(agg_apply_ready(&f->w), 0);
	assert_int_equal(s_int(f, "SELECT count(*) FROM files"), 1);
	assert_int_equal(s_int(f, "SELECT count(*) FROM participant"), 2);
	assert_int_equal(s_int(f, "SELECT count(*) FROM participant WHERE insurance_no = '0100000099'"), 0);
	assert_int_equal(outbox_pending(f->w.outboxes[1]), 1);
}

/* test_type_not_allowed_rejected - the Tax department may not send
 * participants: rejected whole with E_FILE_TYPE_NOT_ALLOWED; an agency that
 * is not configured gets no receipt (no folder of its own is written). */
static void
test_type_not_allowed_rejected(void **state)
{
	fx_t *f = *state;
	char buf[4096], name[4096];
	int64_t stamp = 0;

	s_stage(f, s_batch(f, 1, "f0001", 0, "cucthue", "participant", s_rows_a, 2));
	s_stage(f, s_end(1, "f0001", "cucthue", "participant", "participant_2017-03.csv", 1, 2, NULL));
	assert_int_equal(agg_apply_ready(&f->w), 1);
	s_assert_outcome(f, 1, "rejected", "E_FILE_TYPE_NOT_ALLOWED");
	assert_int_equal(s_int(f, "SELECT count(*) FROM participant"), 0);
	assert_int_equal(s_int(f, "SELECT count(*) FROM stage_batch"), 0);
	assert_int_equal(s_int(f, "SELECT count(*) FROM stage_end"), 0);
	s_assert_done(f, 1, "rejected", "E_FILE_TYPE_NOT_ALLOWED");
	assert_int_equal(f->w.bad_msgs, 1);
	s_file_col(f, 1, "receipt", buf, sizeof(buf));
	assert_non_null(strstr(buf, "E_FILE_TYPE_NOT_ALLOWED"));
	assert_non_null(strstr(buf, "\"status\": \"rejected\""));
	assert_int_equal(s_int(f, "SELECT receipt_written FROM files WHERE file_no = 1"), 1);
	assert_int_equal(s_done_receipt(f, 1, buf, sizeof(buf), name, &stamp), 1);
	assert_non_null(strstr(buf, "E_FILE_TYPE_NOT_ALLOWED"));
	/* an agency nobody configured */
	s_stage(f, s_end(2, "f0002", "nobody", "participant", "participant_2017-03.csv", 0, 0, NULL));
	assert_int_equal(agg_apply_ready(&f->w), 1);
	s_assert_outcome(f, 2, "rejected", "E_FILE_TYPE_NOT_ALLOWED");
	s_file_col(f, 2, "receipt", buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_int_equal(s_int(f, "SELECT receipt_written FROM files WHERE file_no = 2"), 1);
	assert_int_equal(s_done_receipt(f, 2, buf, sizeof(buf), name, &stamp), 1);
	assert_string_equal(buf, "-");
	assert_int_equal(f->w.bad_msgs, 2);
	assert_int_equal(agg_write_pending_receipts(&f->w), 0);
	snprintf(buf, sizeof(buf), "%s/spool", f->dir);
	assert_int_equal(access(buf, F_OK), -1);
}

/* test_abort_code_rejected - a file that changed while ingest read it: all
 * its batches are in, none of its rows is applied. */
static void
test_abort_code_rejected(void **state)
{
	fx_t *f = *state;
	char buf[4096];

	s_stage(f, s_batch(f, 1, "f0001", 0, "bhxh", "participant", s_rows_a, 2));
	s_stage(f, s_end(1, "f0001", "bhxh", "participant", "participant_2017-03.csv", 1, 2, "E_FILE_CHANGED"));
	assert_int_equal(agg_apply_ready(&f->w), 1);
	s_assert_outcome(f, 1, "rejected", "E_FILE_CHANGED");
	assert_int_equal(s_int(f, "SELECT count(*) FROM participant"), 0);
	assert_int_equal(s_int(f, "SELECT count(*) FROM stage_batch"), 0);
	s_assert_done(f, 1, "rejected", "E_FILE_CHANGED");
	s_file_col(f, 1, "receipt", buf, sizeof(buf));
	assert_non_null(strstr(buf, "E_FILE_CHANGED"));
	assert_int_equal(f->a->applied, 0);
}

/* test_batch_beyond_count_quarantined - a batch numbered past the end's
 * count: quarantined at once, staging kept, operator and ingest told; the
 * next file is applied; retry refuses it; drop ends it. */
static void
test_batch_beyond_count_quarantined(void **state)
{
	fx_t *f = *state;
	const char *r0[1] = { s_rows_a[0] }, *r1[1] = { s_rows_a[1] };
	const char *r2[1] = { "0100000003||058|2017-04|compulsory|1|DV001|" };
	char buf[4096];

	s_stage(f, s_end(1, "f0001", "bhxh", "participant", "participant_2017-03.csv", 1, 2, NULL));
	s_stage(f, s_batch(f, 1, "f0001", 0, "bhxh", "participant", r0, 1));
	s_stage(f, s_batch(f, 1, "f0001", 3, "bhxh", "participant", r1, 1));
	assert_int_equal(agg_apply_ready(&f->w), 1);
	s_assert_outcome(f, 1, "quarantined", "E_QUARANTINED");
	s_file_col(f, 1, "reason", buf, sizeof(buf));
	assert_string_equal(buf, "batch 4 staged for a file of 1 batches");
	assert_int_equal(s_int(f, "SELECT count(*) FROM stage_batch WHERE file_no = 1"), 2);
	assert_int_equal(s_int(f, "SELECT count(*) FROM stage_end WHERE file_no = 1"), 1);
	assert_int_equal(s_int(f, "SELECT count(*) FROM participant"), 0);
	s_assert_done(f, 1, "quarantined", "E_QUARANTINED");
	assert_int_equal(s_quarantine_events(f, 1, "new"), 1);
	assert_int_equal(f->a->quarantined, 1);
	assert_non_null(strstr(f->w.last_error, "quarantined"));
	/* the list shows it; the next file is not held up */
	assert_int_equal(s_control(f, "quarantine-list", "json", buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "\"id\": 1,"));
	assert_non_null(strstr(buf, "\"batches\": 2, \"batches_expected\": 1"));
	s_stage(f, s_batch(f, 2, "f0002", 0, "bhxh", "participant", r2, 1));
	s_stage(f, s_end(2, "f0002", "bhxh", "participant", "participant_2017-04.csv", 1, 1, NULL));
	assert_int_equal(agg_apply_ready(&f->w), 1);
	s_assert_outcome(f, 2, "applied", NULL);
	/* a retry cannot make it fit */
	assert_int_equal(s_control(f, "quarantine-retry", "1", buf, sizeof(buf)), 2);
	assert_non_null(strstr(buf, "cannot be retried"));
	s_assert_outcome(f, 1, "quarantined", "E_QUARANTINED");
}

/* test_incomplete_quarantined_then_retried - a file short of a batch waits,
 * is quarantined only once aggregate.incomplete_timeout_s has passed, does
 * not hold up the next file, cannot be retried while incomplete, and is
 * applied by quarantine-retry once its last batch came. */
static void
test_incomplete_quarantined_then_retried(void **state)
{
	fx_t *f = *state;
	const char *r0[1] = { "0100000501||060|2017-05|compulsory|1|DV009|" };
	const char *r1[1] = { "0100000502||061|2017-05|voluntary|0||" };
	const char *r2[1] = { "0100000401||058|2017-04|compulsory|1|DV001|" };
	time_t t0;
	char buf[4096];
	int rc;

	f->w.config->aggregate.incomplete_timeout_s = 1;
	t0 = time(NULL);
	s_stage(f, s_end(1, "f0001", "bhxh", "participant", "participant_2017-05.csv", 2, 2, NULL));
	s_stage(f, s_batch(f, 1, "f0001", 0, "bhxh", "participant", r0, 1));
	rc = agg_apply_ready(&f->w);
	if (time(NULL) == t0) /* the deadline cannot have passed yet */
		assert_int_equal(rc, 0);
	if (rc == 0) {
		assert_int_equal(s_int(f, "SELECT count(*) FROM files"), 0);
		rc = s_wait_apply(f, 10000);
	}
	assert_int_equal(rc, 1);
	assert_true(time(NULL) >= t0 + 1);
	s_assert_outcome(f, 1, "quarantined", "E_QUARANTINED");
	s_file_col(f, 1, "reason", buf, sizeof(buf));
	assert_memory_equal(buf, "only 1 of 2 batches arrived", 27);
	assert_int_equal(s_quarantine_events(f, 1, "new"), 1);
	assert_int_equal(s_int(f, "SELECT count(*) FROM participant"), 0);
	/* the next file goes on */
	s_stage(f, s_batch(f, 2, "f0002", 0, "bhxh", "participant", r2, 1));
	s_stage(f, s_end(2, "f0002", "bhxh", "participant", "participant_2017-04.csv", 1, 1, NULL));
	assert_int_equal(agg_apply_ready(&f->w), 1);
	s_assert_outcome(f, 2, "applied", NULL);
	/* not while a batch is missing */
	assert_int_equal(s_control(f, "quarantine-retry", "1", buf, sizeof(buf)), 2);
	assert_non_null(strstr(buf, "cannot be retried: 1 of 2"));
	/* the missing batch arrives late: it is staged (the file is only quarantined) */
	s_stage(f, s_batch(f, 1, "f0001", 1, "bhxh", "participant", r1, 1));
	assert_int_equal(s_int(f, "SELECT count(*) FROM stage_batch WHERE file_no = 1"), 2);
	assert_int_equal(f->a->late_resends, 0);
	assert_int_equal(s_control(f, "quarantine-retry", "1", buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "file 1 applied"));
	s_assert_outcome(f, 1, "applied", NULL);
	assert_int_equal(s_int(f, "SELECT count(*) FROM participant WHERE period = '2017-05'"), 2);
	assert_int_equal(s_int(f, "SELECT count(*) FROM stage_batch"), 0);
	assert_int_equal(s_int(f, "SELECT count(*) FROM stage_end"), 0);
	s_assert_done(f, 1, "applied", NULL);
	assert_int_equal(s_quarantine_events(f, 1, "resolved"), 1);
	assert_int_equal(s_control(f, "quarantine-list", NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "no file is quarantined\n");
}

/* test_older_snapshot_superseded - an older snapshot of the same agency, type
 * and period retried after a newer one was applied: superseded, and the
 * newer rows stay. */
static void
test_older_snapshot_superseded(void **state)
{
	fx_t *f = *state;
	const char *r1[1] = { "0100000602||061|2017-06|voluntary|0||" };
	static const char *const newer[] = {
		"0100000611||058|2017-06|compulsory|1|DV001|",
		"0100000612||058|2017-06|compulsory|0|DV001|",
		"0100000613||062|2017-06|voluntary|0||",
	};
	char buf[4096];

	s_quarantine_incomplete(f, 1, "f0001", "participant_2017-06.csv", "0100000601||060|2017-06|compulsory|1|DV009|");
	s_participant_file(f, 2, "f0002", "participant_2017-06_fix.csv", newer, 3);
	assert_int_equal(agg_apply_ready(&f->w), 1);
	s_assert_outcome(f, 2, "applied", NULL);
	s_stage(f, s_batch(f, 1, "f0001", 1, "bhxh", "participant", r1, 1));
	assert_int_equal(s_control(f, "quarantine-retry", "1", buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "file 1 dropped: a newer snapshot"));
	s_assert_outcome(f, 1, "superseded", "E_FILE_SUPERSEDED");
	assert_int_equal(s_int(f, "SELECT count(*) FROM participant WHERE period = '2017-06'"), 3);
	assert_int_equal(s_int(f, "SELECT count(*) FROM participant WHERE file_id = 'f0002'"), 3);
	assert_int_equal(s_int(f, "SELECT count(*) FROM participant WHERE file_id = 'f0001'"), 0);
	assert_int_equal(s_int(f, "SELECT file_no FROM snapshot_src WHERE agency = 'bhxh' AND rtype = 'participant'"
	    " AND period = '2017-06'"), 2);
	assert_int_equal(s_int(f, "SELECT count(*) FROM stage_batch"), 0);
	s_assert_done(f, 1, "rejected", "E_FILE_SUPERSEDED");
	assert_int_equal(s_quarantine_events(f, 1, "resolved"), 1);
	s_file_col(f, 1, "receipt", buf, sizeof(buf));
	assert_non_null(strstr(buf, "E_FILE_SUPERSEDED"));
	assert_non_null(strstr(buf, "2017-06"));
}

/* test_quarantine_drop - the operator drops a quarantined file: 'dropped',
 * staging gone, the agency and ingest told; parts of it arriving later are
 * dropped too; an id that names no quarantined file answers 2, one that
 * is no id 1 (a bad argument). */
static void
test_quarantine_drop(void **state)
{
	fx_t *f = *state;
	const char *r1[1] = { "0100000702||061|2017-07|voluntary|0||" };
	char buf[4096];

	s_quarantine_incomplete(f, 1, "f0001", "participant_2017-07.csv", "0100000701||060|2017-07|compulsory|1|DV009|");
	assert_int_equal(s_control(f, "quarantine-drop", "2", buf, sizeof(buf)), 2); /* none: bhxhctl exits 1 */
	assert_non_null(strstr(buf, "no quarantined file 2"));
	assert_int_equal(s_control(f, "quarantine-drop", "abc", buf, sizeof(buf)), 1);
	assert_int_equal(s_control(f, "quarantine-drop", "1:ffff", buf, sizeof(buf)), 2); /* another hash */
	assert_int_equal(s_control(f, "quarantine-drop", NULL, buf, sizeof(buf)), 1);
	assert_int_equal(s_control(f, "quarantine-burn", "1", buf, sizeof(buf)), 1);
	s_assert_outcome(f, 1, "quarantined", "E_QUARANTINED");
	assert_int_equal(s_control(f, "quarantine-drop", "1:f00", buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "file 1 dropped"));
	s_assert_outcome(f, 1, "dropped", "E_QUARANTINE_DROPPED");
	assert_int_equal(s_int(f, "SELECT count(*) FROM stage_batch"), 0);
	assert_int_equal(s_int(f, "SELECT count(*) FROM stage_end"), 0);
	assert_int_equal(s_int(f, "SELECT count(*) FROM participant"), 0);
	s_assert_done(f, 1, "rejected", "E_QUARANTINE_DROPPED");
	assert_int_equal(s_quarantine_events(f, 1, "resolved"), 1);
	s_file_col(f, 1, "receipt", buf, sizeof(buf));
	assert_non_null(strstr(buf, "E_QUARANTINE_DROPPED"));
	/* its missing batch, late: dropped */
	s_stage(f, s_batch(f, 1, "f0001", 1, "bhxh", "participant", r1, 1));
	assert_int_equal(f->a->late_resends, 1);
	assert_int_equal(s_int(f, "SELECT count(*) FROM stage_batch"), 0);
	assert_int_equal(s_control(f, "quarantine-retry", "1", buf, sizeof(buf)), 2); /* no longer quarantined */
}

/* test_overflow_quarantined - with labor_force allowed up to 9e18 (in
 * memory), a labour-force file whose sum over the province overflows is
 * quarantined with SQLite's words and nothing of it stays; the next file
 * applies; a retry fails the same way and leaves it quarantined. */
static void
test_overflow_quarantined(void **state)
{
	fx_t *f = *state;
	const cfg_rtype_t *rt = config_rtype(f->w.config, "labor_force");
	static const char *const big[] = { "058|2019|9000000000000000000", "060|2019|9000000000000000000" };
	char buf[4096];
	int fi;

	assert_non_null(rt);
	fi = config_field_index(rt, "labor_force");
	assert_true(fi >= 0);
	rt->fields[fi].has_max = 1;
	rt->fields[fi].max = 9e18;
	s_stage(f, s_batch(f, 1, "f0001", 0, "sldtbxh", "labor_force", big, 2));
	s_stage(f, s_end(1, "f0001", "sldtbxh", "labor_force", "labor_force_2019.csv", 1, 2, NULL));
	assert_int_equal(agg_apply_ready(&f->w), 1);
	s_assert_outcome(f, 1, "quarantined", "E_QUARANTINED");
	s_file_col(f, 1, "reason", buf, sizeof(buf));
	if (strstr(buf, "integer overflow") == NULL)
		fail_msg("reason '%s' does not say integer overflow", buf);
	assert_int_equal(s_int(f, "SELECT count(*) FROM labor_force"), 0);
	assert_int_equal(s_int(f, "SELECT count(*) FROM coverage WHERE period LIKE '2019-%%'"), 0);
	s_file_col(f, 1, "receipt", buf, sizeof(buf));
	assert_non_null(strstr(buf, "integer overflow"));
	s_assert_done(f, 1, "quarantined", "E_QUARANTINED");
	/* the next file applies */
	s_participant_file(f, 2, "f0002", "participant_2017-03.csv", s_rows_a, 2);
	assert_int_equal(agg_apply_ready(&f->w), 1);
	s_assert_outcome(f, 2, "applied", NULL);
	assert_int_equal(s_int(f, "SELECT count(*) FROM participant"), 2);
	/* a retry overflows again: it stays quarantined */
	assert_int_equal(s_control(f, "quarantine-retry", "1", buf, sizeof(buf)), 2);
	assert_non_null(strstr(buf, "still cannot be applied"));
	assert_non_null(strstr(buf, "integer overflow"));
	s_assert_outcome(f, 1, "quarantined", "E_QUARANTINED");
	assert_int_equal(s_int(f, "SELECT count(*) FROM labor_force"), 0);
	assert_int_equal(s_int(f, "SELECT count(*) FROM participant"), 2);
}

/* test_rows_checked_again - a batch marked validated is checked again: an
 * unknown org unit and an impossible period are rejected and counted as
 * refused on recheck; a row validate rejected keeps its reason; a second row
 * of the same key is a duplicate. */
static void
test_rows_checked_again(void **state)
{
	fx_t *f = *state;
	static const char *const rows[] = {
		"0100000001||058|2017-03|compulsory|1|DV001|",
		"0100000002||999|2017-03|compulsory|1|DV001|",
		"0100000003||058|2017-13|compulsory|1|DV001|",
		"0100000001||058|2017-03|compulsory|1|DV001|",
		"0100000005||058|2017-03|compulsory|1|DV001|",
	};
	msg_t b = s_batch(f, 1, "f0001", 0, "bhxh", "participant", rows, 5);
	char buf[8192];

	/* the last row came rejected by validate */
	b.u.batch.rows[4].err_code = s_strdup("E_REQUIRED");
	b.u.batch.rows[4].err_field = s_strdup("org_unit");
	b.u.batch.rows[4].err_vi = s_strdup("thiếu");
	b.u.batch.rows[4].err_en = s_strdup("missing");
	s_stage(f, b);
	s_stage(f, s_end(1, "f0001", "bhxh", "participant", "participant_2017-03.csv", 1, 5, NULL));
	assert_int_equal(agg_apply_ready(&f->w), 1);
	s_assert_outcome(f, 1, "applied", NULL);
	assert_int_equal(s_int(f, "SELECT count(*) FROM participant"), 1);
	assert_int_equal(s_int(f, "SELECT count(*) FROM participant WHERE insurance_no = '0100000001'"), 1);
	assert_int_equal(s_int(f, "SELECT rows_applied FROM files WHERE file_no = 1"), 1);
	assert_int_equal(s_int(f, "SELECT rows_rejected FROM files WHERE file_no = 1"), 4);
	assert_int_equal(s_int(f, "SELECT rows_duplicate FROM files WHERE file_no = 1"), 1);
	assert_int_equal(f->a->rows_rechecked_rejected, 2);
	s_file_col(f, 1, "receipt", buf, sizeof(buf));
	assert_non_null(strstr(buf, "{\"line\": 3, \"field\": \"org_unit\", \"code\": \"E_ORG_UNIT_UNKNOWN\""));
	assert_non_null(strstr(buf, "{\"line\": 4, \"field\": \"period\", \"code\": \"E_PERIOD_FORMAT\""));
	assert_non_null(strstr(buf, "{\"line\": 5, \"field\": \"insurance_no\", \"code\": \"E_DUPLICATE_KEY\""));
	assert_non_null(strstr(buf, "{\"line\": 6, \"field\": \"org_unit\", \"code\": \"E_REQUIRED\""));
}

/* test_foreign_batch_quarantined - a batch of another agency staged under a
 * file's name (a forged or mixed-up batch): the file is quarantined, none of
 * its rows applied. */
static void
test_foreign_batch_quarantined(void **state)
{
	fx_t *f = *state;
	const char *r0[1] = { s_rows_a[0] }, *r1[1] = { s_rows_a[1] };
	char buf[4096];

	s_stage(f, s_end(1, "f0001", "bhxh", "participant", "participant_2017-03.csv", 2, 2, NULL));
	s_stage(f, s_batch(f, 1, "f0001", 0, "bhxh", "participant", r0, 1));
	s_stage(f, s_batch(f, 1, "f0001", 1, "ubnd_058", "participant", r1, 1));
	assert_int_equal(agg_apply_ready(&f->w), 1);
	s_assert_outcome(f, 1, "quarantined", "E_QUARANTINED");
	s_file_col(f, 1, "reason", buf, sizeof(buf));
	assert_non_null(strstr(buf, "belongs to another agency"));
	assert_int_equal(s_int(f, "SELECT count(*) FROM participant"), 0);
	assert_int_equal(s_int(f, "SELECT count(*) FROM snapshot_src"), 0);
}

/* test_busy_store_retried - the database locked by another connection when
 * the file is taken: nothing ends, the worker says it is retrying and
 * pauses; once the lock is gone the file applies. */
static void
test_busy_store_retried(void **state)
{
	fx_t *f = *state;
	char db[128];
	sqlite3 *other = NULL;

	s_participant_file(f, 1, "f0001", "participant_2017-03.csv", s_rows_a, 2);
	sqlite3_busy_timeout(store_db(f->w.store), 50); /* not the 10 s a worker waits */
	snprintf(db, sizeof(db), "%s/aggregate.db", f->dir);
	assert_int_equal(sqlite3_open_v2(db, &other, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(agg_apply_ready(&f->w), 0);
	assert_string_equal(f->w.run_state, "retrying");
	assert_non_null(strstr(f->w.why, "next attempt"));
	assert_true(f->a->retry_at > now_ms());
	assert_int_equal(agg_apply_ready(&f->w), 0); /* paused: not even tried */
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(s_int(f, "SELECT count(*) FROM files"), 0);
	assert_int_equal(s_wait_apply(f, 10000), 1);
	s_assert_outcome(f, 1, "applied", NULL);
	assert_int_equal(s_int(f, "SELECT count(*) FROM participant"), 2);
	assert_string_not_equal(f->w.run_state, "retrying"); /* the worker's tick says ready next */
	assert_int_equal(f->a->retry_at, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_complete_file_applies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_resends_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_type_not_allowed_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_code_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_beyond_count_quarantined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incomplete_quarantined_then_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_older_snapshot_superseded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quarantine_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflow_quarantined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_checked_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_batch_quarantined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_store_retried, setup, teardown),
	};

	log_init("test_apply", -1); /* quarantines and refusals are logged; these are on purpose */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
