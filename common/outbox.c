/* outbox - reliable sending through a SQLite outbox (see outbox.h). */
#include "outbox.h"
#include "bus.h"
#include "fsutil.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
	int64_t id;
	int64_t sent_ms;
} s_flight_t;

struct outbox {
	store_t *store;
	void *sock;
	int window;
	int resend_ms;
	int nflight;
	s_flight_t *flight;  /* in memory only: after a restart everything is due */
	int64_t last_id;     /* highest id sent since start */
	long long pending;
	int recount;         /* a put may have been rolled back: count the table again */
	char *sql_count;
	uint64_t sent, resent;
	/* statements over this outbox's table; store_stmt caches them by pointer */
	char *sql_insert, *sql_setbody, *sql_next, *sql_get, *sql_delete;
};

/* now_ms - monotonic clock in milliseconds. */
int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* s_sql - printf into a new string. */
static char *
s_sql(const char *fmt, const char *table)
{
	sb_t b;

	sb_init(&b);
	sb_addf(&b, fmt, table);
	return b.data;
}

/* outbox_new - an outbox over store's table, sending on sock. */
outbox_t *
outbox_new(store_t *store, void *sock, int window, int resend_ms, const char *table)
{
	outbox_t *self = xcalloc(1, sizeof(*self));
	char count[128];

	self->sql_insert = s_sql("INSERT INTO %s(body) VALUES (x'')", table);
	self->sql_setbody = s_sql("UPDATE %s SET body = ? WHERE id = ?", table);
	self->sql_next = s_sql("SELECT id, body FROM %s WHERE id > ? ORDER BY id LIMIT 1", table);
	self->sql_get = s_sql("SELECT body FROM %s WHERE id = ?", table);
	self->sql_delete = s_sql("DELETE FROM %s WHERE id = ?", table);
	snprintf(count, sizeof(count), "SELECT count(*) FROM %s", table);
	self->sql_count = xstrdup(count);
	self->store = store;
	self->sock = sock;
	self->window = window > 0 ? window : 1;
	self->resend_ms = resend_ms;
	self->flight = xcalloc((size_t)self->window, sizeof(s_flight_t));
	self->pending = store_int(store, count, 0);
	return self;
}

void
outbox_destroy(outbox_t **self_p)
{
	outbox_t *self = *self_p;
	char *sql[5];

	if (self == NULL)
		return;
	sql[0] = self->sql_insert;
	sql[1] = self->sql_setbody;
	sql[2] = self->sql_next;
	sql[3] = self->sql_get;
	sql[4] = self->sql_delete;
	for (int i = 0; i < 5; i++) {
		store_stmt_forget(self->store, sql[i]); /* cached by address: gone with the string */
		free(sql[i]);
	}
	free(self->sql_count); /* used through store_int, never cached */
	free(self->flight);
	free(self);
	*self_p = NULL;
}

/* outbox_set_socket - a new socket; in-flight messages are due now. */
void
outbox_set_socket(outbox_t *self, void *sock)
{
	self->sock = sock;
	for (int i = 0; i < self->nflight; i++)
		self->flight[i].sent_ms = INT64_MIN / 2;
}

/* outbox_put - store m with a fresh id inside the current transaction. */
int
outbox_put(outbox_t *self, msg_t *m)
{
	sqlite3_stmt *st = store_stmt(self->store, self->sql_insert);
	char *buf = NULL;
	size_t len;
	int rc = -1;

	if (st == NULL || store_step_done(self->store, st) != 0)
		return -1;
	m->id = (uint64_t)sqlite3_last_insert_rowid(store_db(self->store));
	if (msg_encode(m, &buf, &len) != 0) {
		log_error("outbox: cannot encode %s message", msg_type_name(m->type));
		return -1;
	}
	st = store_stmt(self->store, self->sql_setbody);
	if (st != NULL) {
		sqlite3_bind_blob(st, 1, buf, (int)len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)m->id);
		rc = store_step_done(self->store, st);
	}
	free(buf);
	if (rc == 0)
		self->pending++;
	self->recount = 1; /* the caller's transaction may still roll this back */
	return rc;
}

/* s_send_row - send the body in column col of st; 0, 1 if no peer, -1 error. */
static int
s_send_row(outbox_t *self, sqlite3_stmt *st, int col)
{
	const void *body = sqlite3_column_blob(st, col);
	int len = sqlite3_column_bytes(st, col);

	if (bus_send_raw(self->sock, NULL, 0, body, (size_t)len) != 0)
		return errno == EAGAIN ? 1 : -1;
	self->sent++;
	return 0;
}

/* s_resend_due - resend in-flight messages whose acknowledgement is overdue. */
static int
s_resend_due(outbox_t *self, int64_t now)
{
	int sent = 0;

	for (int i = 0; i < self->nflight; i++) {
		sqlite3_stmt *st;
		int rc;

		if (now - self->flight[i].sent_ms < self->resend_ms)
			continue;
		st = store_stmt(self->store, self->sql_get);
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, self->flight[i].id);
		if (sqlite3_step(st) != SQLITE_ROW) { /* acknowledged meanwhile */
			sqlite3_reset(st);
			self->flight[i--] = self->flight[--self->nflight];
			continue;
		}
		rc = s_send_row(self, st, 0);
		sqlite3_reset(st);
		if (rc != 0)
			return rc < 0 ? -1 : sent;
		self->flight[i].sent_ms = now;
		self->resent++;
		sent++;
	}
	return sent;
}

/* outbox_pump - resend overdue messages, then send new ones up to the window. */
int
outbox_pump(outbox_t *self, int64_t now)
{
	int sent;

	if (self->recount) { /* outside any transaction: what is committed */
		long long n = store_int(self->store, self->sql_count, -1);

		if (n < 0)
			return -1;
		self->pending = n;
		self->recount = 0;
	}
	sent = s_resend_due(self, now);

	if (sent < 0)
		return -1;
	while (self->nflight < self->window) {
		sqlite3_stmt *st = store_stmt(self->store, self->sql_next);
		int64_t id;
		int rc;

		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, self->last_id);
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_reset(st);
			break;
		}
		id = sqlite3_column_int64(st, 0);
		rc = s_send_row(self, st, 1);
		sqlite3_reset(st);
		if (rc != 0)
			return rc < 0 ? -1 : sent;
		self->flight[self->nflight++] = (s_flight_t){ id, now };
		self->last_id = id;
		sent++;
	}
	return sent;
}

/* outbox_acked - delete acknowledged messages in one transaction. */
int
outbox_acked(outbox_t *self, const msg_ack_t *ack)
{
	long long deleted = 0;

	if (store_begin(self->store) != 0)
		return -1;
	for (uint32_t i = 0; i < ack->nids; i++) {
		sqlite3_stmt *st = store_stmt(self->store, self->sql_delete);

		if (st == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)ack->ids[i]);
		if (store_step_done(self->store, st) != 0)
			goto fail;
		deleted += sqlite3_changes(store_db(self->store));
	}
	if (store_commit(self->store) != 0)
		goto fail;
	/* only now, with the deletions durable, does memory follow */
	self->pending -= deleted;
	for (uint32_t i = 0; i < ack->nids; i++)
		for (int j = 0; j < self->nflight; j++)
			if (self->flight[j].id == (int64_t)ack->ids[i]) {
				self->flight[j] = self->flight[--self->nflight];
				break;
			}
	return 0;
fail:
	store_rollback(self->store);
	return -1;
}

long long
outbox_pending(outbox_t *self)
{
	return self->pending;
}

uint64_t
outbox_sent(outbox_t *self)
{
	return self->sent;
}

uint64_t
outbox_resent(outbox_t *self)
{
	return self->resent;
}
