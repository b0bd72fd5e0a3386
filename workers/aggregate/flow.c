/* flow - the line of files through the aggregate: staging the parts that
 * arrive, the order files are taken in, and how each file ends.
 *
 * A file is named by (file_no, file_id): ingest's gapless number and the
 * file's hash. Its batches and its end are staged as they come, in any order
 * and any number of times. The head of the line is the staged end with the
 * lowest number that has not ended yet; it is taken when all its batches are
 * in, and ends in exactly one of these ways, each in one transaction with its
 * receipt, the outcome told to ingest, and the staging dropped:
 *   applied      - its rows are in the record tables;
 *   rejected     - refused whole: its agency may not send its type, or the
 *                  file changed while ingest read it (abort code);
 *   superseded   - a newer snapshot of the same agency, type and period was
 *                  applied first (a late or retried file), so it is not;
 *   quarantined  - it cannot be applied: its batches stopped coming for
 *                  aggregate.incomplete_timeout_s, they do not fit together,
 *                  or applying it fails in a way trying again cannot change
 *                  (an integer overflow, a constraint). Its staging is kept
 *                  for `bhxhctl quarantine retry`; the operator is told;
 *   checked      - a dry run (FILE_END.dry_run): it went every step a real
 *                  file goes, up to applying its rows in the transaction,
 *                  which is rolled back to before them once its receipt is
 *                  rendered; the receipt says what a real submission would
 *                  have become (would_be). Nothing else is kept, no figure
 *                  or report changes, the operator is never told, and its
 *                  staging is dropped as for any ended file.
 * So nothing blocks the line: a part of a file that already ended is
 * acknowledged and dropped, a file that cannot complete is quarantined after
 * its deadline, and a failure of the store itself (busy, full disk, I/O) is
 * retried with a growing pause while `bhxhctl status` says so. */
#include "aggregate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "colhint.h"
#include "log.h"
#include "outbox.h"
#include "receipt.h"
#include "workbook.h"
#include "xalloc.h"

#define WAIT_QUIET_S 5          /* a file short of batches this long is "waiting" in the status
                                 * (or half its deadline, if shorter) */
#define RETRY_MAX_MS 10000      /* the longest pause between attempts after a transient failure */
#define TIDY_EVERY_MS 60000
#define MAX_SEQ 100000000u      /* no file has this many batches */
#define MAX_FILE_NO 1000000000000000ULL /* ingest's numbers never come near this */
#define DONE_NAME_MAX 1024      /* bytes of a file's name sent back with its outcome */
#define DONE_RECEIPT_MAX (MSG_MAX_SIZE - 64u * 1024u - DONE_NAME_MAX) /* for the receipt in a FILE_DONE */

/* s_now_s - unix seconds. */
static int64_t
s_now_s(void)
{
	return (int64_t)time(NULL);
}

/* s_now_us - unix microseconds. */
static int64_t
s_now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* s_outcome - how the file (file_no, file_id) ended: "" if it has not. */
static int
s_outcome(worker_t *w, uint64_t file_no, const char *file_id, char *out, size_t size)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT outcome FROM files WHERE file_no = ? AND file_id = ?");
	int rc;

	out[0] = '\0';
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)file_no);
	sqlite3_bind_text(st, 2, file_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* agg_stage - store a batch or an end once; drop parts of ended files. */
int
agg_stage(worker_t *w, const msg_t *m)
{
	agg_t *a = w->state;
	int batch = m->type == MSG_T_BATCH;
	uint64_t file_no = batch ? m->u.batch.file_no : m->u.end.file_no;
	const char *file_id = batch ? m->u.batch.file_id : m->u.end.file_id;
	char outcome[32];
	sqlite3_stmt *st;
	char *buf;
	size_t len;
	msg_t copy;

	if (file_no == 0 || file_no > MAX_FILE_NO) {
		w->bad_msgs++;
		log_warn("dropped a %s numbered %llu: no file has that number", msg_type_name(m->type),
		    (unsigned long long)file_no);
		return 0;
	}
	if (s_outcome(w, file_no, file_id, outcome, sizeof(outcome)) != 0)
		return -1;
	if (outcome[0] != '\0' && strcmp(outcome, "quarantined") != 0) {
		a->late_resends++; /* a resend after a restart: the file has ended */
		return 0;
	}
	if (batch && m->u.batch.seq >= MAX_SEQ) {
		w->bad_msgs++;
		log_warn("dropped batch %u of file %llu: no file has that many batches", m->u.batch.seq,
		    (unsigned long long)file_no);
		return 0;
	}
	st = store_stmt(w->store, batch
	    ? "INSERT OR IGNORE INTO stage_batch(file_no, file_id, seq, at, body, rows) VALUES (?, ?, ?, ?, ?, ?)"
	    : "INSERT INTO stage_end(file_no, file_id, at, body) VALUES (?, ?, ?, ?) ON CONFLICT (file_no, file_id)"
	      " DO UPDATE SET conflict = 1 WHERE body != excluded.body");
	if (st == NULL)
		return -1;
	/* stored without the message id: each sender (and each validator that
	 * forwards a resend) numbers its own messages, so two copies of one part
	 * differ only by it, and only the content may decide a conflict */
	copy = *m;
	copy.id = 0;
	if (msg_encode(&copy, &buf, &len) != 0) {
		w->bad_msgs++;
		log_warn("dropped a %s of file %llu that cannot be stored", msg_type_name(m->type),
		    (unsigned long long)file_no);
		return 0;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)file_no);
	sqlite3_bind_text(st, 2, file_id, -1, SQLITE_STATIC);
	if (batch) {
		sqlite3_bind_int64(st, 3, m->u.batch.seq);
		sqlite3_bind_int64(st, 4, s_now_s());
		sqlite3_bind_blob(st, 5, buf, (int)len, free);
		sqlite3_bind_int64(st, 6, m->u.batch.nrows);
	} else {
		sqlite3_bind_int64(st, 3, s_now_s());
		sqlite3_bind_blob(st, 4, buf, (int)len, free);
	}
	if (store_step_done(w->store, st) != 0)
		return -1;
	if (batch && sqlite3_changes(store_db(w->store)) == 1)
		agg_early_batch(w, &m->u.batch); /* a participant file is checked and loaded as it arrives */
	return 0;
}

/* agg_next_change - bump and return meta.change_seq (0 on a store failure). */
uint64_t
agg_next_change(worker_t *w)
{
	sqlite3_stmt *st = store_stmt(w->store, "UPDATE meta SET value = value + 1 WHERE key = 'change_seq'");
	sqlite3_stmt *q;
	uint64_t seq = 0;

	if (st == NULL || store_step_done(w->store, st) != 0)
		return 0;
	q = store_stmt(w->store, "SELECT value FROM meta WHERE key = 'change_seq'");
	if (q != NULL && sqlite3_step(q) == SQLITE_ROW)
		seq = (uint64_t)sqlite3_column_int64(q, 0);
	if (q != NULL)
		sqlite3_reset(q);
	return seq;
}

/* s_printable - a copy of s with control characters made spaces. */
static char *
s_printable(const char *s)
{
	char *c = xstrdup(s != NULL ? s : "");

	for (char *p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return c;
}

/* s_quarantine_event - tell the operator (through the alert worker's routing,
 * kind quarantined_file) that a file was quarantined, or that it no longer
 * is (state resolved). */
static int
s_quarantine_event(worker_t *w, const msg_file_end_t *end, const char *state)
{
	outbox_t *ob = worker_outbox(w, "alert");
	msg_t m = { .version = MSG_VERSION, .type = MSG_T_EVENTS };
	msg_event_t ev = { 0 };
	char subject[128], period[32], *name;
	time_t t = (time_t)(end->received_at / 1000000);
	struct tm tm;
	int rc;

	if (ob == NULL)
		return 0;
	gmtime_r(&t, &tm);
	snprintf(period, sizeof(period), "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
	snprintf(subject, sizeof(subject), "%.60s:%llu", end->agency, (unsigned long long)end->file_no);
	name = s_printable(end->name);
	ev = (msg_event_t){ .kind = "quarantined_file", .subject = subject, .org_unit = "", .period = period,
		.severity = "major", .state = (char *)state, .name = name, .value = (double)end->file_no };
	m.u.events.seq = agg_next_change(w);
	m.u.events.nevents = 1;
	m.u.events.events = &ev;
	rc = m.u.events.seq > 0 ? outbox_put(ob, &m) : -1;
	free(name);
	return rc;
}

/* s_status_word - the FILE_DONE status of an outcome: ingest knows applied,
 * rejected (also superseded and dropped), quarantined and checked. */
static const char *
s_status_word(const char *outcome)
{
	if (strcmp(outcome, "applied") == 0 || strcmp(outcome, "checked") == 0)
		return outcome;
	return strcmp(outcome, "quarantined") == 0 ? "quarantined" : "rejected";
}

/* s_send_done - put into the outbox to ingest how file (file_no, file_id)
 * ended, with its rendered receipt (json and text may be NULL: none). A
 * receipt too large for a message is cut to fit (receipt_fit), so that it
 * cannot fail to be sent for ever; the name is cut to a file name's length
 * (ingest names the receipt from its own record of the file). */
static int
s_send_done(outbox_t *ob, uint64_t file_no, const char *file_id, const char *agency,
    const char *name, int64_t stamp, const char *outcome, const char *code, const char *json, const char *text,
    const char *csv)
{
	msg_t m = { .version = MSG_VERSION, .type = MSG_T_FILE_DONE };
	char short_name[DONE_NAME_MAX + 1];
	sb_t j, t, c;
	int rc;

	snprintf(short_name, sizeof(short_name), "%.*s", (int)fs_name_prefix(name != NULL ? name : "", DONE_NAME_MAX),
	    name != NULL ? name : "");
	sb_init(&j);
	sb_init(&t);
	sb_init(&c);
	if (json != NULL) {
		size_t other = strlen(file_id) + strlen(agency) + (code != NULL ? strlen(code) : 0);

		sb_add(&j, json);
		sb_add(&t, text != NULL ? text : "");
		sb_add(&c, json != NULL && csv != NULL ? csv : "");
		/* (a forged end can make the other fields huge: then the receipt is all but dropped) */
		if (receipt_fit(&j, &t, &c, other < DONE_RECEIPT_MAX / 2 ? DONE_RECEIPT_MAX - other : 4096) != 0)
			log_warn("the receipt of file %llu (%s/%.80s) is too large for a message: sent with its list of"
			    " errors cut", (unsigned long long)file_no, agency, short_name);
	}
	m.u.done = (msg_file_done_t){ .file_id = (char *)file_id, .file_no = file_no, .agency = (char *)agency,
		.status = (char *)s_status_word(outcome), .code = (char *)code, .name = short_name, .stamp = stamp,
		.receipt_json = json != NULL ? j.data : NULL, .receipt_text = json != NULL ? t.data : NULL,
		.receipt_csv = json != NULL && c.len > 0 ? c.data : NULL };
	rc = outbox_put(ob, &m);
	sb_free(&j);
	sb_free(&t);
	sb_free(&c);
	return rc;
}

/* agg_record_outcome - files row, staging, last_file_no, and ingest told
 * with the receipt (in the same transaction: the receipt is as durable as
 * the outcome, kept in the outbox until ingest acknowledges it). */
int
agg_record_outcome(worker_t *w, const msg_file_end_t *end, const receipt_t *r, const char *outcome,
    const char *code, const char *reason)
{
	int have_receipt = r != NULL && config_agency(w->config, end->agency) != NULL;
	int quarantined = strcmp(outcome, "quarantined") == 0;

	agg_early_ended(w, end->file_no, end->file_id);
	sqlite3_stmt *st = store_stmt(w->store,
	    "INSERT OR REPLACE INTO files(file_no, file_id, agency, rtype, name, received_at, applied_at, rows_read,"
	    " rows_applied, rows_rejected, rows_duplicate, receipt, receipt_text, receipt_written, outcome, code,"
	    " reason, receipt_stamp, receipt_csv) VALUES (?,?,?,?,?,?, strftime('%s','now'),?,?,?,?,?,?,?,?,?,?,?,?)");
	outbox_t *ob = worker_outbox(w, "ingest");
	int64_t stamp = end->received_at;
	char before[32];
	sb_t b, t, c;
	int rc, have_csv = 0;

	if (st == NULL || s_outcome(w, end->file_no, end->file_id, before, sizeof(before)) != 0)
		return -1;
	if (strcmp(before, "quarantined") == 0)
		stamp = s_now_us(); /* a second receipt, named by when it was decided */
	sb_init(&b);
	sb_init(&t);
	sb_init(&c);
	if (have_receipt) {
		receipt_json(&b, r);
		receipt_text(&t, r);
		have_csv = receipt_csv(&c, r);
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)end->file_no);
	sqlite3_bind_text(st, 2, end->file_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, end->agency, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, end->rtype, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, end->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, end->received_at);
	sqlite3_bind_int64(st, 7, r != NULL ? (sqlite3_int64)r->rows_read : (sqlite3_int64)end->rows_read);
	sqlite3_bind_int64(st, 8, r != NULL ? (sqlite3_int64)r->rows_applied : 0);
	sqlite3_bind_int64(st, 9, r != NULL ? (sqlite3_int64)r->rows_rejected : (sqlite3_int64)end->rows_read);
	sqlite3_bind_int64(st, 10, r != NULL ? (sqlite3_int64)r->rows_duplicate : 0);
	if (have_receipt) {
		sqlite3_bind_text(st, 11, b.data, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 12, t.data, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int(st, 13, 1); /* it goes with the outcome, below */
	sqlite3_bind_text(st, 14, outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 16, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 17, stamp);
	if (have_csv)
		sqlite3_bind_text(st, 18, c.data, -1, SQLITE_STATIC);
	rc = store_step_done(w->store, st);
	if (rc == 0 && ob != NULL)
		rc = s_send_done(ob, end->file_no, end->file_id, end->agency, end->name, stamp, outcome, code,
		    have_receipt ? b.data : NULL, have_receipt ? t.data : NULL, have_csv ? c.data : NULL);
	sb_free(&b);
	sb_free(&t);
	sb_free(&c);
	if (rc != 0)
		return -1;
	for (int k = 0; k < 2 && !quarantined; k++) { /* a quarantined file keeps its staging for a retry */
		static const char *const drop[] = { "DELETE FROM stage_batch WHERE file_no = ? AND file_id = ?",
			"DELETE FROM stage_end WHERE file_no = ? AND file_id = ?" };

		if ((st = store_stmt(w->store, drop[k])) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)end->file_no);
		sqlite3_bind_text(st, 2, end->file_id, -1, SQLITE_STATIC);
		if (store_step_done(w->store, st) != 0)
			return -1;
	}
	st = store_stmt(w->store, "UPDATE meta SET value = max(value, ?) WHERE key = 'last_file_no'");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)end->file_no);
	if (store_step_done(w->store, st) != 0)
		return -1;
	return 0;
}

/* s_words - what a whole-file code says to the agency's clerk. */
static void
s_words(const char *code, const msg_file_end_t *end, const agg_result_t *res, const char *reason,
    char *vi, char *en, size_t size)
{
	if (strcmp(code, "E_FILE_CHANGED") == 0) {
		snprintf(vi, size, "tệp bị thay đổi trong khi hệ thống đang đọc; không dòng nào được áp dụng. "
		    "Hãy gửi lại tệp sau khi đã ghi xong hoàn toàn");
		snprintf(en, size, "the file changed while it was being read; nothing was applied. "
		    "Send it again once it is completely written");
	} else if (strncmp(code, WB_E_PREFIX, strlen(WB_E_PREFIX)) == 0) {
		const char *wvi, *wen;

		wb_error_text(code, &wvi, &wen);
		snprintf(vi, size, "%s; không dòng nào của tệp được áp dụng", wvi);
		snprintf(en, size, "%s; nothing of the file was applied", wen);
	} else if (strcmp(code, "E_FILE_TYPE_NOT_ALLOWED") == 0) {
		snprintf(vi, size, "cơ quan '%s' không được gửi dữ liệu loại '%s'", end->agency, end->rtype);
		snprintf(en, size, "agency '%s' may not submit '%s' records", end->agency, end->rtype);
	} else if (strcmp(code, "E_FILE_SUPERSEDED") == 0 && res->period[0] == '\0') {
		snprintf(vi, size, "đã có tệp mới hơn của cùng cơ quan, cùng loại dữ liệu được áp dụng trước (tệp số %lld); "
		    "tệp này không được áp dụng để không ghi đè số liệu mới hơn; nếu vẫn cần, hãy gửi lại", res->newer_file_no);
		snprintf(en, size, "a newer file of the same agency and type was applied first (file %lld); this one is not "
		    "applied, so that it cannot overwrite newer figures; send it again if it is still needed",
		    res->newer_file_no);
	} else if (strcmp(code, "E_FILE_SUPERSEDED") == 0) {
		snprintf(vi, size, "đã có tệp mới hơn của cùng cơ quan cho kỳ %s được áp dụng trước (tệp số %lld); "
		    "tệp này không được áp dụng để không ghi đè số liệu mới hơn", res->period, res->newer_file_no);
		snprintf(en, size, "a newer file of the same agency for period %s was applied first (file %lld); "
		    "this one is not applied, so that it cannot overwrite newer figures", res->period, res->newer_file_no);
	} else if (strcmp(code, "E_QUARANTINE_DROPPED") == 0) {
		snprintf(vi, size, "tệp đã được cách ly và bộ phận vận hành đã hủy, không áp dụng; hãy gửi lại tệp "
		    "(đã sửa nếu cần)");
		snprintf(en, size, "the file was quarantined and the operators dropped it without applying it; "
		    "send it again (corrected if need be)");
	} else {
		snprintf(vi, size, "tệp được cách ly, chưa áp dụng, do lỗi khi xử lý (%s). Bộ phận vận hành đã được "
		    "báo và sẽ xử lý; có thể gửi lại tệp nếu đã sửa", reason);
		snprintf(en, size, "the file was quarantined and not applied because processing failed (%s). The "
		    "operators have been told and will act; you may send a corrected file again", reason);
	}
}

/* s_end_file - end the file without applying it, in its own transaction:
 * a rejected receipt with one whole-file error, the outcome, and for a
 * quarantine (or its end) the operator's notice. 0, or -1 (retried later). */
static int
s_end_file(worker_t *w, const msg_file_end_t *end, const char *outcome, const char *code, const char *reason,
    const agg_result_t *res, int was_quarantined)
{
	agg_t *a = w->state;
	char vi[768], en[768];
	receipt_error_t e = { 0, NULL, code, vi, en, NULL };
	receipt_t r = { .file = end->name, .agency = end->agency, .type = end->rtype, .sha256 = end->file_id,
		.encoding = end->encoding, .status = end->dry_run ? "checked" : "rejected", .dry_run = end->dry_run,
		.would_be = end->dry_run ? s_status_word(outcome) : NULL, .received_at = end->received_at,
		.rows_read = end->rows_read,
		.rows_rejected = end->rows_read, .nunknown = (int)end->nunknown,
		.unknown_columns = end->unknown_columns, .nerrors = 1, .errors = &e };
	agg_result_t none = { 0 };
	int quarantine = strcmp(outcome, "quarantined") == 0 && !end->dry_run, rc;
	colhint_t h;
	char **heading_of = NULL;
	const cfg_rtype_t *rt = config_rtype(w->config, end->rtype);

	s_words(code, end, res != NULL ? res : &none, reason != NULL ? reason : "", vi, en, sizeof(vi));
	if (rt != NULL)
		heading_of = colhint_from_pairs(rt, end->nheadings, end->headings);
	colhint_build(&h, rt, heading_of, (int)end->nunknown, end->unknown_columns, 0);
	r.hints = h.hints;
	if (store_begin(w->store) != 0) {
		colhint_free(&h);
		free(heading_of);
		return -1;
	}
	/* a dry run that would be rejected or quarantined is only checked: no
	 * staging kept, nobody told */
	rc = agg_record_outcome(w, end, &r, end->dry_run ? "checked" : outcome, code, reason);
	colhint_free(&h);
	free(heading_of);
	if (rc != 0 ||
	    ((quarantine || was_quarantined) && s_quarantine_event(w, end, quarantine ? "new" : "resolved") != 0) ||
	    store_commit(w->store) != 0) {
		store_rollback(w->store);
		return -1;
	}
	if (end->dry_run) {
		log_info("file %llu (%s/%s) checked (dry run): would be %s, %s", (unsigned long long)end->file_no,
		    end->agency, end->name, outcome, code);
	} else if (quarantine) {
		a->quarantined++;
		worker_error(w, "file %llu (%s/%s) quarantined: %s", (unsigned long long)end->file_no, end->agency,
		    end->name, reason);
	} else {
		log_info("file %llu (%s/%s) %s: %s", (unsigned long long)end->file_no, end->agency, end->name, outcome,
		    code);
	}
	return 0;
}

/* s_load_end - the staged end of (file_no, file_id) into m; 1 found, 0 not, -1 error. */
static int
s_load_end(worker_t *w, sqlite3_stmt *st, int col, msg_t *m)
{
	char err[160];

	if (msg_decode(sqlite3_column_blob(st, col), (size_t)sqlite3_column_bytes(st, col), m, err, sizeof(err)) != 0 ||
	    m->type != MSG_T_FILE_END) {
		msg_free(m);
		worker_error(w, "a staged file end is unreadable: %s", err);
		return -1;
	}
	return 1;
}

typedef struct {
	long long have;     /* batches staged */
	long long max_seq;  /* highest batch number staged, -1 if none */
	long long rows;     /* rows in the staged batches */
	int64_t last_at;    /* when the last part arrived (unix seconds) */
} s_parts_t;

/* s_parts - what is staged of a file. */
static int
s_parts(worker_t *w, const msg_file_end_t *end, int64_t end_at, s_parts_t *p)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT count(*), coalesce(max(seq), -1), coalesce(max(at), 0),"
	    " coalesce(sum(rows), 0) FROM stage_batch WHERE file_no = ? AND file_id = ?");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)end->file_no);
	sqlite3_bind_text(st, 2, end->file_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return -1;
	}
	p->have = sqlite3_column_int64(st, 0);
	p->max_seq = sqlite3_column_int64(st, 1);
	p->last_at = sqlite3_column_int64(st, 2);
	p->rows = sqlite3_column_int64(st, 3);
	if (p->last_at < end_at)
		p->last_at = end_at;
	sqlite3_reset(st);
	return 0;
}

/* s_transient - a failure that may pass: pause, growing, and say so. */
static void
s_transient(worker_t *w, const msg_file_end_t *end, const char *why)
{
	agg_t *a = w->state;

	a->retry_ms = a->retry_ms == 0 ? 500 : (a->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : a->retry_ms * 2);
	a->retry_at = now_ms() + a->retry_ms;
	worker_set_state(w, "retrying", "file %llu (%s/%.80s): %s; next attempt in %d s",
	    (unsigned long long)end->file_no, end->agency, end->name, why, (a->retry_ms + 999) / 1000);
	worker_error(w, "file %llu (%s/%.80s): %s; will try again", (unsigned long long)end->file_no, end->agency,
	    end->name, why);
}

/* s_ended - after an outcome: the pause resets. */
static void
s_ended(worker_t *w)
{
	agg_t *a = w->state;

	a->retry_ms = 0;
	a->retry_at = 0;
	a->order_wait_since = 0;
}

/* s_newer_upsert - for a registry file (upsert) retried out of its turn: the
 * number of a newer applied file of the same agency and type, or 0. Its rows
 * may be newer than the retried file's for the same keys, so the retried file
 * must not overwrite them (as a snapshot must not, apply.c). */
static long long
s_newer_upsert(worker_t *w, const msg_file_end_t *end)
{
	const cfg_rtype_t *rt = config_rtype(w->config, end->rtype);
	sqlite3_stmt *st;
	long long newer = 0;

	if (rt == NULL || rt->apply != APPLY_UPSERT)
		return 0;
	st = store_stmt(w->store, "SELECT max(file_no) FROM files WHERE agency = ? AND rtype = ? AND outcome = 'applied'");
	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, end->agency, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, end->rtype, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > (sqlite3_int64)end->file_no)
		newer = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return newer;
}

/* s_try_apply - apply the complete file; its outcome; 1 if it ended. */
static int
s_try_apply(worker_t *w, const msg_file_end_t *end, int was_quarantined, agg_result_t *res)
{
	agg_t *a = w->state;
	long long newer;
	int rc;

	if (was_quarantined && (newer = s_newer_upsert(w, end)) > 0) {
		res->kind = AGG_SUPERSEDED;
		res->period[0] = '\0';
		res->newer_file_no = newer;
		if (s_end_file(w, end, "superseded", "E_FILE_SUPERSEDED", "a newer file is in place", res, 1) != 0) {
			res->kind = AGG_TRANSIENT;
			return 0;
		}
		return 1;
	}

	worker_set_state(w, "busy", "applying file %llu (%s/%.80s)", (unsigned long long)end->file_no,
	    end->agency, end->name);
	if (store_begin(w->store) != 0) {
		res->kind = AGG_TRANSIENT;
		snprintf(res->reason, sizeof(res->reason), "cannot begin a transaction: %s",
		    sqlite3_errstr(store_last_rc(w->store)));
		return 0;
	}
	store_clear_rc(w->store);
	rc = agg_apply_file(w, end, res);
	if (rc == 0 && was_quarantined && s_quarantine_event(w, end, "resolved") != 0) {
		res->kind = AGG_TRANSIENT;
		snprintf(res->reason, sizeof(res->reason), "cannot queue the operator's notice");
		rc = -1;
	}
	if (rc == 0 && store_commit(w->store) != 0) {
		int src = store_last_rc(w->store);

		res->kind = store_rc_transient(src) ? AGG_TRANSIENT : AGG_PERMANENT;
		snprintf(res->reason, sizeof(res->reason), "commit failed: %s", sqlite3_errstr(src));
		rc = -1;
	}
	if (rc == 0 && end->dry_run) {
		log_info("%s/%s: checked (dry run): would apply %llu rows, reject %llu (%llu duplicates); nothing applied",
		    end->agency, end->name, (unsigned long long)res->applied, (unsigned long long)res->rejected,
		    (unsigned long long)res->duplicates);
		return 1;
	}
	if (rc == 0 && res->none_applied) {
		a->rows_rechecked_rejected += res->rechecked;
		if (res->rechecked > 0)
			log_warn("file %llu: %llu rows that validate passed fail the aggregate's own check (forged or"
			    " inconsistent batches?)", (unsigned long long)end->file_no, (unsigned long long)res->rechecked);
		log_info("%s/%s: rejected: none of its %llu rows is valid (%llu duplicates%s); nothing applied",
		    end->agency, end->name, (unsigned long long)res->rejected, (unsigned long long)res->duplicates,
		    res->rechecked ? ", some refused on a second check" : "");
		return 1;
	}
	if (rc == 0) {
		a->applied++;
		a->rows_rechecked_rejected += res->rechecked;
		a->dirty = 1;
		log_info("%s/%s: applied %llu rows, rejected %llu (%llu duplicates%s) in %lld ms (%s%lld ms sorting and"
		    " writing)", end->agency, end->name, (unsigned long long)res->applied,
		    (unsigned long long)res->rejected, (unsigned long long)res->duplicates,
		    res->rechecked ? ", some refused on a second check" : "", (long long)res->apply_ms,
		    res->early ? "checked as its batches arrived; " : "", (long long)res->sort_ms);
		if (res->rechecked > 0)
			log_warn("file %llu: %llu rows that validate passed fail the aggregate's own check (forged or"
			    " inconsistent batches?)", (unsigned long long)end->file_no, (unsigned long long)res->rechecked);
		return 1;
	}
	store_rollback(w->store);
	if (res->kind == AGG_SUPERSEDED) {
		if (s_end_file(w, end, "superseded", "E_FILE_SUPERSEDED", "a newer snapshot is in place", res,
		    was_quarantined) != 0) {
			res->kind = AGG_TRANSIENT;
			return 0;
		}
		return 1;
	}
	if (res->kind == AGG_PERMANENT) {
		if (was_quarantined)
			return 0; /* still failing: it stays quarantined */
		if (s_end_file(w, end, "quarantined", "E_QUARANTINED", res->reason, res, 0) != 0) {
			res->kind = AGG_TRANSIENT;
			return 0;
		}
		return 1;
	}
	return 0;
}

/* s_file_no_ended - some file numbered no has ended here. */
static int
s_file_no_ended(worker_t *w, uint64_t no)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT 1 FROM files WHERE file_no = ? LIMIT 1");
	int found;

	if (st == NULL)
		return 1; /* cannot tell: do not wait */
	sqlite3_bind_int64(st, 1, (sqlite3_int64)no);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

/* agg_apply_ready - the head of the line: wait, apply, reject or quarantine. */
int
agg_apply_ready(worker_t *w)
{
	agg_t *a = w->state;
	const config_t *c = w->config;
	sqlite3_stmt *st;
	const cfg_agency_t *ag;
	const cfg_rtype_t *rt;
	agg_result_t res = { 0 };
	s_parts_t p;
	int64_t end_at, now = s_now_s();
	msg_t m;
	int rc = 0, found, conflict;

	if (a->retry_at != 0 && now_ms() < a->retry_at)
		return 0;
	st = store_stmt(w->store, "SELECT e.at, e.body, e.conflict FROM stage_end e WHERE NOT EXISTS (SELECT 1 FROM files f"
	    " WHERE f.file_no = e.file_no AND f.file_id = e.file_id) ORDER BY e.file_no, e.file_id LIMIT 1");
	if (st == NULL)
		return -1;
	found = sqlite3_step(st);
	if (found != SQLITE_ROW) {
		sqlite3_reset(st);
		if (found != SQLITE_DONE)
			return -1;
		a->head_waits = 0;
		return 0;
	}
	end_at = sqlite3_column_int64(st, 0);
	conflict = sqlite3_column_int(st, 2);
	if (s_load_end(w, st, 1, &m) < 0) {
		sqlite3_reset(st);
		/* written by this worker after decoding: only a damaged database gets here */
		store_exec(w->store, "DELETE FROM stage_end WHERE rowid = (SELECT e.rowid FROM stage_end e WHERE NOT"
		    " EXISTS (SELECT 1 FROM files f WHERE f.file_no = e.file_no AND f.file_id = e.file_id)"
		    " ORDER BY e.file_no, e.file_id LIMIT 1)");
		return -1;
	}
	sqlite3_reset(st);
	ag = config_agency(c, m.u.end.agency);
	rt = config_rtype(c, m.u.end.rtype);
	if (ag == NULL || rt == NULL || !config_agency_allows(ag, rt->name)) {
		w->bad_msgs++;
		rc = s_end_file(w, &m.u.end, "rejected", "E_FILE_TYPE_NOT_ALLOWED", "not allowed", NULL, 0) == 0 ? 1 : -1;
		goto out;
	}
	if (conflict) {
		rc = s_end_file(w, &m.u.end, "quarantined", "E_QUARANTINED",
		    "two different ends arrived for this file (a forged message?)", NULL, 0) == 0 ? 1 : -1;
		goto out;
	}
	if (m.u.end.abort_code != NULL) {
		const char *vi, *en, *code = "E_QUARANTINED";

		if (strcmp(m.u.end.abort_code, "E_FILE_CHANGED") == 0 || wb_error_text(m.u.end.abort_code, &vi, &en))
			code = m.u.end.abort_code; /* a file that cannot be read on: the ingest's own code */
		rc = s_end_file(w, &m.u.end, "rejected", code, m.u.end.abort_code, NULL, 0) == 0 ? 1 : -1;
		goto out;
	}
	if (s_parts(w, &m.u.end, end_at, &p) != 0) {
		rc = -1;
		goto out;
	}
	if (p.max_seq >= (long long)m.u.end.nbatches) {
		char why[160];

		snprintf(why, sizeof(why), "batch %lld staged for a file of %u batches", p.max_seq + 1,
		    m.u.end.nbatches);
		rc = s_end_file(w, &m.u.end, "quarantined", "E_QUARANTINED", why, NULL, 0) == 0 ? 1 : -1;
		goto out;
	}
	if (p.have < (long long)m.u.end.nbatches) {
		/* the deadline runs from the end's arrival (batches cannot put it off)
		 * and only while this worker runs (resends come soon after it starts) */
		int64_t since = end_at > a->started_s ? end_at : a->started_s;

		if (now - since >= c->aggregate.incomplete_timeout_s) {
			char why[200];

			snprintf(why, sizeof(why), "only %lld of %u batches arrived in the %lld s after the file's end",
			    p.have, m.u.end.nbatches, (long long)(now - since));
			rc = s_end_file(w, &m.u.end, "quarantined", "E_QUARANTINED", why, NULL, 0) == 0 ? 1 : -1;
		} else if (now - p.last_at >= (WAIT_QUIET_S < c->aggregate.incomplete_timeout_s / 2 ? WAIT_QUIET_S
		    : c->aggregate.incomplete_timeout_s / 2)) {
			worker_set_state(w, "waiting", "file %llu (%s/%.80s): %lld of %u batches; quarantined %lld s after"
			    " its end arrived, or now with bhxhctl quarantine drop %llu", (unsigned long long)m.u.end.file_no,
			    m.u.end.agency, m.u.end.name, p.have, m.u.end.nbatches, (long long)c->aggregate.incomplete_timeout_s,
			    (unsigned long long)m.u.end.file_no);
		}
		goto out;
	}
	if (p.rows != (long long)m.u.end.rows_read) {
		char why[200];

		snprintf(why, sizeof(why), "its batches hold %lld rows, its end says %llu", p.rows,
		    (unsigned long long)m.u.end.rows_read);
		rc = s_end_file(w, &m.u.end, "quarantined", "E_QUARANTINED", why, NULL, 0) == 0 ? 1 : -1;
		goto out;
	}
	if (m.u.end.file_no > 1 && c->aggregate.order_wait_s > 0 && !s_file_no_ended(w, m.u.end.file_no - 1)) {
		/* the file numbered just before has not ended: on its way (several validators) */
		if (a->order_wait_since == 0)
			a->order_wait_since = now;
		if (now - a->order_wait_since < c->aggregate.order_wait_s) {
			if (now - a->order_wait_since >= WAIT_QUIET_S)
				worker_set_state(w, "waiting", "file %llu waits for file %llu (up to %d s)",
				    (unsigned long long)m.u.end.file_no, (unsigned long long)m.u.end.file_no - 1,
				    c->aggregate.order_wait_s);
			goto out;
		}
		log_warn("%s: file %llu never arrived; applying file %llu", m.u.end.name,
		    (unsigned long long)m.u.end.file_no - 1, (unsigned long long)m.u.end.file_no);
	}
	rc = s_try_apply(w, &m.u.end, 0, &res);
	if (rc == 0 && res.kind == AGG_TRANSIENT)
		s_transient(w, &m.u.end, res.reason);
out:
	if (rc == 1)
		s_ended(w);
	a->head_waits = strcmp(w->run_state, "waiting") == 0 && rc != 1;
	msg_free(&m);
	return rc;
}

/* s_find_quarantined - the quarantined file named by id ("N" or
 * "N:HASHPREFIX"); with waiting, also a staged file that has not ended (so
 * the operator can drop a file that holds up the line at once). 1 found, 0
 * an id that is not one (or names several files), -2 no such file (both
 * said in out), -1 a store error. */
static int
s_find_quarantined(worker_t *w, const char *id, msg_t *m, sb_t *out, int waiting)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT e.body FROM stage_end e LEFT JOIN files f ON e.file_no = f.file_no"
	    " AND e.file_id = f.file_id WHERE (f.outcome = 'quarantined' OR (?3 AND f.file_no IS NULL))"
	    " AND e.file_no = ?1 AND e.file_id LIKE ?2 || '%' ORDER BY e.file_id LIMIT 2");
	const char *colon = strchr(id, ':');
	char *end = NULL;
	long long no = strtoll(id, &end, 10);
	int n = 0, rc = 0;

	if (st == NULL)
		return -1;
	if (end == id || (*end != '\0' && *end != ':') || no <= 0) {
		sb_addf(out, "'%.40s' is not a quarantined file's id (see bhxhctl quarantine list)", id);
		return 0;
	}
	sqlite3_bind_int64(st, 1, no);
	sqlite3_bind_text(st, 2, colon != NULL ? colon + 1 : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, waiting);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (++n == 1)
			rc = s_load_end(w, st, 0, m);
		else {
			msg_free(m);
			rc = 0;
		}
	}
	sqlite3_reset(st);
	if (n == 0) {
		sb_addf(out, "no quarantined file %.40s (see bhxhctl quarantine list)", id);
		rc = -2;
	} else if (n > 1)
		sb_addf(out, "several files are numbered %lld: give N:HASHPREFIX", no);
	return rc;
}

/* s_list - the quarantined files as a JSON array, or a table for people. */
static int
s_list(worker_t *w, sb_t *out, int json)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT f.file_no, f.file_id, f.agency, f.rtype, f.name, f.received_at,"
	    " f.applied_at, f.code, f.reason, f.rows_read, (SELECT count(*) FROM stage_batch b WHERE b.file_no = f.file_no"
	    " AND b.file_id = f.file_id), (SELECT e.body FROM stage_end e WHERE e.file_no = f.file_no AND e.file_id = f.file_id)"
	    " FROM files f WHERE f.outcome = 'quarantined' ORDER BY f.file_no");
	int n = 0;

	if (st == NULL)
		return 2;
	if (json)
		sb_add(out, "[");
	while (sqlite3_step(st) == SQLITE_ROW) {
		msg_t m;
		char err[64];
		uint32_t nb = 0;

		if (msg_decode(sqlite3_column_blob(st, 11), (size_t)sqlite3_column_bytes(st, 11), &m, err, sizeof(err)) == 0
		    && m.type == MSG_T_FILE_END)
			nb = m.u.end.nbatches;
		msg_free(&m);
		if (!json) {
			char *name = s_printable((const char *)sqlite3_column_text(st, 4));

			if (n++ == 0)
				sb_addf(out, "%-6s %-10s %-14s %-8s %-40s %s\n", "id", "agency", "type", "batches", "file",
				    "reason");
			sb_addf(out, "%-6lld %-10.10s %-14.14s %3lld/%-4u %-40.40s %s\n", (long long)sqlite3_column_int64(st, 0),
			    (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
			    (long long)sqlite3_column_int64(st, 10), nb, name, (const char *)sqlite3_column_text(st, 8));
			free(name);
			continue;
		}
		sb_addf(out, "%s\n {\"id\": %lld, \"file_id\": ", n++ ? "," : "", (long long)sqlite3_column_int64(st, 0));
		sb_json_str(out, (const char *)sqlite3_column_text(st, 1));
		sb_add(out, ", \"agency\": ");
		sb_json_str(out, (const char *)sqlite3_column_text(st, 2));
		sb_add(out, ", \"type\": ");
		sb_json_str(out, (const char *)sqlite3_column_text(st, 3));
		sb_add(out, ", \"name\": ");
		sb_json_str(out, (const char *)sqlite3_column_text(st, 4));
		sb_addf(out, ", \"received_at\": %lld, \"quarantined_at\": %lld, \"code\": ",
		    (long long)(sqlite3_column_int64(st, 5) / 1000000), (long long)sqlite3_column_int64(st, 6));
		sb_json_str(out, (const char *)sqlite3_column_text(st, 7));
		sb_add(out, ", \"reason\": ");
		sb_json_str(out, (const char *)sqlite3_column_text(st, 8));
		sb_addf(out, ", \"rows\": %lld, \"batches\": %lld, \"batches_expected\": %u}",
		    (long long)sqlite3_column_int64(st, 9), (long long)sqlite3_column_int64(st, 10), nb);
	}
	sqlite3_reset(st);
	if (json)
		sb_add(out, n ? "\n]\n" : "]\n");
	else if (n == 0)
		sb_add(out, "no file is quarantined\n");
	return 0;
}

/* s_retry - apply a quarantined file now, if it is complete and not superseded. */
static int
s_retry(worker_t *w, const char *id, sb_t *out)
{
	agg_result_t res = { 0 };
	s_parts_t p;
	msg_t m = { 0 };
	int rc = s_find_quarantined(w, id, &m, out, 0);

	if (rc <= 0)
		return rc == 0 ? 1 : 2; /* no such file is no bad argument: bhxhctl exits 1 */
	if (s_parts(w, &m.u.end, 0, &p) != 0) {
		msg_free(&m);
		return 2;
	}
	if (p.have != (long long)m.u.end.nbatches || p.max_seq >= (long long)m.u.end.nbatches ||
	    p.rows != (long long)m.u.end.rows_read) {
		sb_addf(out, "file %llu cannot be retried: %lld of %u batches are staged; drop it and ask %s to send it again",
		    (unsigned long long)m.u.end.file_no, p.have, m.u.end.nbatches, m.u.end.agency);
		msg_free(&m);
		return 2;
	}
	rc = s_try_apply(w, &m.u.end, 1, &res);
	if (rc == 1 && res.kind == AGG_APPLIED) {
		sb_addf(out, "file %llu applied: %llu rows, %llu rejected; a new receipt goes to %s\n",
		    (unsigned long long)m.u.end.file_no, (unsigned long long)res.applied,
		    (unsigned long long)res.rejected, m.u.end.agency);
		rc = 0;
	} else if (rc == 1 && res.period[0] == '\0') {
		sb_addf(out, "file %llu dropped: a newer %s file of %s is in place (file %lld); a receipt saying so"
		    " goes to %s\n", (unsigned long long)m.u.end.file_no, m.u.end.rtype, m.u.end.agency, res.newer_file_no,
		    m.u.end.agency);
		rc = 0;
	} else if (rc == 1) {
		sb_addf(out, "file %llu dropped: a newer snapshot of %s for %s is in place (file %lld); a receipt saying so"
		    " goes to %s\n", (unsigned long long)m.u.end.file_no, m.u.end.rtype, res.period, res.newer_file_no,
		    m.u.end.agency);
		rc = 0;
	} else {
		sb_addf(out, "file %llu still cannot be applied (%s): %s\n", (unsigned long long)m.u.end.file_no,
		    res.kind == AGG_TRANSIENT ? "for now" : "it stays quarantined", res.reason);
		rc = 2;
	}
	worker_set_state(w, "ready", NULL); /* the tick says more if there is more */
	msg_free(&m);
	return rc;
}

/* s_drop - end a quarantined (or waiting) file without applying it; the agency is told. */
static int
s_drop(worker_t *w, const char *id, sb_t *out)
{
	msg_t m = { 0 };
	int rc = s_find_quarantined(w, id, &m, out, 1), was;
	char outcome[32];

	if (rc <= 0)
		return rc == 0 ? 1 : 2; /* no such file is no bad argument: bhxhctl exits 1 */
	if (s_outcome(w, m.u.end.file_no, m.u.end.file_id, outcome, sizeof(outcome)) != 0) {
		msg_free(&m);
		return 2;
	}
	was = strcmp(outcome, "quarantined") == 0;
	if (s_end_file(w, &m.u.end, "dropped", "E_QUARANTINE_DROPPED", "dropped by the operator", NULL, was) != 0) {
		sb_addf(out, "cannot drop file %llu now: %s\n", (unsigned long long)m.u.end.file_no,
		    sqlite3_errstr(store_last_rc(w->store)));
		rc = 2;
	} else {
		sb_addf(out, "file %llu dropped; a receipt saying so goes to %s\n", (unsigned long long)m.u.end.file_no,
		    m.u.end.agency);
		rc = 0;
	}
	msg_free(&m);
	return rc;
}

/* agg_control - quarantine list | retry ID | drop ID. */
int
agg_control(worker_t *w, const char *cmd, char *const *args, int nargs, sb_t *out)
{
	if (strcmp(cmd, "quarantine-list") == 0 && (nargs == 0 || (nargs == 1 && strcmp(args[0], "json") == 0)))
		return s_list(w, out, nargs == 1);
	if (strcmp(cmd, "quarantine-retry") == 0 && nargs == 1)
		return s_retry(w, args[0], out);
	if (strcmp(cmd, "quarantine-drop") == 0 && nargs == 1)
		return s_drop(w, args[0], out);
	if (strcmp(cmd, "tree-check") == 0)
		return agg_tree_check(w, args, nargs, out);
	sb_addf(out, "unknown command '%.40s' for the aggregate (report WHAT PERIOD UNIT FORMAT, quarantine-list,"
	    " quarantine-retry ID, quarantine-drop ID, tree-check CODE... -- OLD=NEW...)", cmd);
	return 1;
}

/* agg_tidy - staging no file end will ever claim: batches with no end that
 * stopped arriving long ago (an ingest database reset, or forged parts).
 * (Parts of an ended file are dropped on arrival and with their file.) */
void
agg_tidy(worker_t *w)
{
	agg_t *a = w->state;
	int64_t now = now_ms();
	sqlite3_stmt *st;
	int changed;

	if (a->last_purge != 0 && now - a->last_purge < TIDY_EVERY_MS)
		return;
	a->last_purge = now;
	if (store_begin(w->store) != 0)
		return;
	st = store_stmt(w->store, "DELETE FROM stage_batch WHERE (file_no, file_id) IN (SELECT b.file_no, b.file_id"
	    " FROM stage_batch b WHERE NOT EXISTS (SELECT 1 FROM stage_end e WHERE e.file_no = b.file_no AND"
	    " e.file_id = b.file_id) GROUP BY b.file_no, b.file_id HAVING max(b.at) < ? LIMIT 100)");
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, s_now_s() - 2LL * w->config->aggregate.incomplete_timeout_s);
	if (store_step_done(w->store, st) != 0)
		goto fail;
	changed = sqlite3_changes(store_db(w->store));
	if (store_commit(w->store) != 0)
		goto fail;
	if (changed > 0)
		log_warn("dropped %d staged batches of files whose end never came", changed);
	return;
fail:
	store_rollback(w->store);
}

/* agg_write_pending_receipts - receipts that an older version of this
 * worker stored with their outcome but had not yet written out (rows with
 * receipt_written = 0, left by an upgrade): each is sent to ingest once as a
 * FILE_DONE with its receipt, and marked, in one transaction per batch of
 * files. Only a configured agency's receipt is ever sent. */
int
agg_write_pending_receipts(worker_t *w)
{
	agg_t *a = w->state;
	outbox_t *ob = worker_outbox(w, "ingest");
	sqlite3_stmt *st;
	int rc = 0, n = 0;

	if (store_begin(w->store) != 0)
		return -1;
	st = store_stmt(w->store, "SELECT file_no, file_id, agency, name, coalesce(receipt_stamp, received_at),"
	    " receipt, receipt_text, outcome, code, receipt_csv FROM files WHERE receipt_written = 0 ORDER BY file_no"
	    " LIMIT 64");
	if (st == NULL) {
		store_rollback(w->store);
		return -1;
	}
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *agency = (const char *)sqlite3_column_text(st, 2);
		sqlite3_stmt *up;

		n++;
		if (ob == NULL || agency == NULL || config_agency(w->config, agency) == NULL ||
		    sqlite3_column_text(st, 5) == NULL) {
			/* nobody to send it to: nothing to do but remember that */
		} else if (s_send_done(ob, (uint64_t)sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
		    agency, (const char *)sqlite3_column_text(st, 3), sqlite3_column_int64(st, 4),
		    (const char *)sqlite3_column_text(st, 7), (const char *)sqlite3_column_text(st, 8),
		    (const char *)sqlite3_column_text(st, 5), (const char *)sqlite3_column_text(st, 6),
		    (const char *)sqlite3_column_text(st, 9)) != 0) {
			worker_error(w, "cannot queue the receipt of %s/%s: %s; will try again", agency,
			    (const char *)sqlite3_column_text(st, 3), sqlite3_errstr(store_last_rc(w->store)));
			rc = -1;
			break;
		}
		up = store_stmt(w->store, "UPDATE files SET receipt_written = 1 WHERE file_no = ? AND file_id = ?");
		if (up == NULL) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(up, 1, sqlite3_column_int64(st, 0));
		sqlite3_bind_text(up, 2, (const char *)sqlite3_column_text(st, 1), -1, SQLITE_TRANSIENT);
		if (store_step_done(w->store, up) != 0)
			rc = -1;
	}
	sqlite3_reset(st);
	if (rc != 0 || store_commit(w->store) != 0) {
		store_rollback(w->store);
		return -1;
	}
	if (n < 64)
		a->receipts_due = 0;
	return 0;
}
