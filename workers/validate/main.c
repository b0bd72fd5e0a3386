/* bhxh-validate - checks every row of every batch against its record type's
 * schema (rowcheck.h) and passes the batch on with canonical values, or with
 * the row marked rejected and the reason a clerk understands.
 *
 * Trusts the batch's claims no further than the configuration: the agency's
 * right to send the type and its scope are checked again here (ingest
 * checked them too), and the aggregate checks every row once more.
 *
 * Holds no state that ties a record to this process: a batch is forwarded
 * through the outbox in the same transaction that takes it, so any number of
 * instances (--instance N) can run side by side with identical results. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rowcheck.h"
#include "worker.h"
#include "xalloc.h"

static const char *const s_migrations[] = {
	OUTBOX_SCHEMA
	"CREATE TABLE stats (rtype TEXT PRIMARY KEY, rows INTEGER NOT NULL, rejected INTEGER NOT NULL);"
};

/* Bytes of a batch's further errors (msg_row_t.more): with the first error
 * of every row, as before, the batch stays well within MSG_MAX_SIZE. */
#define MORE_BUDGET (MSG_MAX_SIZE / 4)

/* s_err_bytes - what one error takes in a message, about. */
static size_t
s_err_bytes(const rowcheck_error_t *e)
{
	return 16 + strlen(e->err.code) + (e->field ? strlen(e->field) : 0) + strlen(e->err.vi) + strlen(e->err.en);
}

/* s_more - the row's further errors (errs[1..n-1]) into r->more, within
 * *budget; past it they are replaced by one note saying how many there
 * are (nothing at all once even the note does not fit). */
static void
s_more(msg_row_t *r, const rowcheck_error_t *errs, unsigned n, size_t *budget)
{
	size_t need = 0;
	unsigned k;

	for (k = 1; k < n; k++)
		need += s_err_bytes(&errs[k]);
	if (n < 2 || *budget < 512)
		return;
	r->more = xcalloc(n - 1 < MSG_ROW_MAX_MORE ? n - 1 : MSG_ROW_MAX_MORE, sizeof(msg_err_t));
	if (need > *budget) {
		char vi[200], en[200];

		snprintf(vi, sizeof(vi), "dòng còn %u lỗi khác không được liệt kê (lô dữ liệu có quá nhiều lỗi)", n - 1);
		snprintf(en, sizeof(en), "the row has %u more errors not listed (too many errors in the batch)", n - 1);
		r->more[0] = (msg_err_t){ .code = xstrdup("E_ROW_TOO_MANY_ERRORS"), .vi = xstrdup(vi), .en = xstrdup(en) };
		r->nmore = 1;
		*budget -= 512;
		return;
	}
	for (k = 1; k < n && r->nmore < MSG_ROW_MAX_MORE; k++)
		r->more[r->nmore++] = (msg_err_t){ .code = xstrdup(errs[k].err.code), .field = xstrdup(errs[k].field),
			.vi = xstrdup(errs[k].err.vi), .en = xstrdup(errs[k].err.en) };
	*budget -= need;
}

/* s_check_row - validate one good row in place: every error it has (at
 * most ROWCHECK_MAX_ERRORS, the first in err_*, the others in more). */
static void
s_check_row(worker_t *w, const cfg_agency_t *ag, const cfg_rtype_t *rt, msg_row_t *r, size_t *budget)
{
	char **out = xcalloc((size_t)rt->nfields, sizeof(char *));
	rowcheck_error_t errs[ROWCHECK_MAX_ERRORS];
	rowcheck_errors_t e = { .errs = errs, .max = ROWCHECK_MAX_ERRORS };

	if (r->nvalues != (uint32_t)rt->nfields) {
		r->err_code = xstrdup("E_INTERNAL");
		r->err_vi = xstrdup("lỗi nội bộ: số trường không khớp");
		r->err_en = xstrdup("internal error: field count mismatch");
	} else if (rowcheck_row_all(w->config, ag, rt, r->values, out, &e) != 0) {
		r->err_code = xstrdup(errs[0].err.code);
		r->err_field = xstrdup(errs[0].field);
		r->err_vi = xstrdup(errs[0].err.vi);
		r->err_en = xstrdup(errs[0].err.en);
		s_more(r, errs, e.n, budget);
		for (uint32_t i = 0; i < r->nvalues; i++)
			free(r->values[i]);
		free(r->values);
		r->values = NULL;
		r->nvalues = 0;
	} else {
		for (uint32_t i = 0; i < r->nvalues; i++) {
			free(r->values[i]);
			r->values[i] = out[i];
		}
	}
	free(out);
}

/* s_count - per-type statistics (for operators). */
static int
s_count(worker_t *w, const char *rtype, uint32_t rows, uint32_t rejected)
{
	sqlite3_stmt *st = store_stmt(w->store,
	    "INSERT INTO stats(rtype, rows, rejected) VALUES (?1, ?2, ?3) "
	    "ON CONFLICT(rtype) DO UPDATE SET rows = rows + ?2, rejected = rejected + ?3");

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, rtype, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, rows);
	sqlite3_bind_int64(st, 3, rejected);
	return store_step_done(w->store, st);
}

/* s_reject_all - every row of the batch rejected with one reason; the
 * batch still goes on, so the file completes and its receipt says why. */
static uint32_t
s_reject_all(msg_batch_t *b, const char *code, const char *vi, const char *en)
{
	for (uint32_t i = 0; i < b->nrows; i++) {
		msg_row_t *r = &b->rows[i];

		if (r->err_code != NULL)
			continue;
		for (uint32_t k = 0; k < r->nvalues; k++)
			free(r->values[k]);
		free(r->values);
		r->values = NULL;
		r->nvalues = 0;
		r->err_code = xstrdup(code);
		r->err_vi = xstrdup(vi);
		r->err_en = xstrdup(en);
	}
	return b->nrows;
}

/* s_on_message - check a batch and forward it; forward a FILE_END as is.
 * Nothing acknowledged is dropped: a batch this worker cannot check (its
 * agency may not send the type, or the configurations differ) goes on with
 * every row rejected and the reason. */
static int
s_on_message(worker_t *w, const msg_t *in)
{
	msg_t m = *in; /* shallow: the rows are changed in place, then freed by the caller */
	const cfg_rtype_t *rt;
	const cfg_agency_t *ag;
	uint32_t rejected = 0;
	size_t budget = MORE_BUDGET;

	if (m.type == MSG_T_FILE_END)
		return outbox_put(w->outbox, &m);
	if (m.type != MSG_T_BATCH || m.u.batch.validated) {
		w->bad_msgs++;
		log_warn("dropped an unexpected %s message", msg_type_name(m.type));
		return 0;
	}
	rt = config_rtype(w->config, m.u.batch.rtype);
	ag = config_agency(w->config, m.u.batch.agency);
	if (rt == NULL || ag == NULL || !config_fields_are(rt, m.u.batch.fields, m.u.batch.nfields)) {
		log_warn("a batch of unknown type, agency or fields (%.40s/%.40s): rejected whole; configurations differ?",
		    m.u.batch.agency, m.u.batch.rtype);
		rejected = s_reject_all(&m.u.batch, "E_INTERNAL",
		    "lỗi nội bộ: cấu hình của các bộ phận xử lý không khớp nhau; hãy báo bộ phận vận hành",
		    "internal error: the workers' configurations differ; tell the operators");
	} else if (!config_agency_allows(ag, rt->name)) {
		char vi[200], en[200];

		snprintf(vi, sizeof(vi), "cơ quan '%.40s' không được gửi dữ liệu loại '%.40s'", ag->id, rt->name);
		snprintf(en, sizeof(en), "agency '%.40s' may not submit '%.40s' records", ag->id, rt->name);
		rejected = s_reject_all(&m.u.batch, "E_FILE_TYPE_NOT_ALLOWED", vi, en);
	} else {
		for (uint32_t i = 0; i < m.u.batch.nrows; i++) {
			msg_row_t *r = &m.u.batch.rows[i];

			if (r->err_code == NULL)
				s_check_row(w, ag, rt, r, &budget);
			rejected += r->err_code != NULL;
		}
	}
	m.u.batch.validated = 1;
	if (s_count(w, m.u.batch.rtype, m.u.batch.nrows, rejected) != 0)
		return -1;
	return outbox_put(w->outbox, &m);
}

/* s_init - a state of its own (the status needs one; the counts are in stats). */
static int
s_init(worker_t *w)
{
	static int none;

	w->state = &none;
	return 0;
}

/* s_status - rows checked and rejected, all types, since the database was made. */
static void
s_status(worker_t *w, sb_t *b)
{
	sb_addf(b, ",\"rows_checked\":%lld,\"rows_rejected\":%lld",
	    store_int(w->store, "SELECT coalesce(sum(rows), 0) FROM stats", 0),
	    store_int(w->store, "SELECT coalesce(sum(rejected), 0) FROM stats", 0));
}

static const struct worker_ops s_ops = {
	.name = "validate",
	.migrations = s_migrations,
	.nmigrations = 1,
	.input = "validate",
	.outputs = { "aggregate" },
	.init = s_init,
	.on_message = s_on_message,
	.status = s_status,
	.tick_ms = 500,
};

int
main(int argc, char **argv)
{
	return worker_main(argc, argv, &s_ops);
}
