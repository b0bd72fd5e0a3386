/* bhxh-alert - turns finding events from the aggregate worker into notices
 * for the people who must act on them (docs/DOMAIN.md §6 and §7).
 *
 * The data path, each step its own transaction, all state in VAR/db/alert.db:
 *   1. an event is stored (idempotently) in `notice` in the transaction that
 *      acknowledges it, so nothing is lost while this worker is down;
 *   2. routing folds it into `alert` (one row per finding: kind + subject)
 *      and marks the groups (`grp`, `member`) of the receivers it routes to;
 *   3. a due group is flushed: one digest listing its alerts is rendered into
 *      `outmsg` and one `delivery` row per channel (file, e-mail, webhook), in
 *      the transaction that moves the group's timers, so a restart neither
 *      loses nor repeats it;
 *   4. deliveries (one per e-mail recipient) are attempted: the network ones
 *      on a delivery thread per channel (deliver.c) that does nothing but
 *      I/O, so neither message handling nor this poll loop ever waits for a
 *      server; files here. A delivery is marked in flight (committed) before
 *      its thread may start, so a crash mid-attempt resends it once and
 *      counts the possible duplicate; the result comes back through an
 *      eventfd and is recorded in a transaction. Each delivery is retried on
 *      its own with exponential backoff and jitter.
 * Silences and acknowledgements arrive through tables bhxhctl writes.
 * "Now" is the clock, or BHXH_NOW (unix seconds) plus the time since start.
 *
 * This file: the worker's callbacks and the schema; the steps are in
 * route.c (1-2), group.c (3), queue.c (4) and summary.c. */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "log.h"
#include "xalloc.h"

static const char *const s_migrations[] = {
	"CREATE TABLE notice (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL,"
	"  org_unit TEXT, period TEXT NOT NULL, severity TEXT NOT NULL, state TEXT NOT NULL, name TEXT,"
	"  value REAL, threshold REAL, created_at INTEGER NOT NULL, delivered_at INTEGER,"
	"  UNIQUE (kind, subject, period, state, severity));",
	"ALTER TABLE notice ADD COLUMN routed_at INTEGER;"
	"CREATE INDEX notice_unrouted ON notice(id) WHERE routed_at IS NULL;"
	"CREATE TABLE alert (kind TEXT NOT NULL, subject TEXT NOT NULL, org_unit TEXT, name TEXT,"
	"  severity TEXT NOT NULL, state TEXT NOT NULL, period TEXT, value REAL, threshold REAL,"
	"  changed_at INTEGER NOT NULL, acked INTEGER NOT NULL DEFAULT 0, acked_by TEXT,"
	"  PRIMARY KEY (kind, subject));"
	"CREATE TABLE grp (receiver TEXT NOT NULL, gkey TEXT NOT NULL, scope TEXT NOT NULL,"
	"  wait_ms INTEGER NOT NULL, interval_ms INTEGER NOT NULL, repeat_ms INTEGER NOT NULL,"
	"  dirty INTEGER NOT NULL, first_at INTEGER NOT NULL, last_flush INTEGER, next_at INTEGER NOT NULL,"
	"  PRIMARY KEY (receiver, gkey));"
	"CREATE TABLE member (receiver TEXT NOT NULL, gkey TEXT NOT NULL, kind TEXT NOT NULL,"
	"  subject TEXT NOT NULL, changed INTEGER NOT NULL, notified_sev TEXT,"
	"  PRIMARY KEY (receiver, gkey, kind, subject));"
	"CREATE INDEX member_alert ON member(kind, subject);"
	"CREATE TABLE outmsg (id INTEGER PRIMARY KEY AUTOINCREMENT, receiver TEXT NOT NULL, scope TEXT NOT NULL,"
	"  gkey TEXT NOT NULL, created_at INTEGER NOT NULL, subject TEXT, text TEXT, json TEXT);"
	"CREATE TABLE delivery (id INTEGER PRIMARY KEY AUTOINCREMENT, out_id INTEGER NOT NULL,"
	"  channel TEXT NOT NULL, recipients TEXT, attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL, inflight INTEGER NOT NULL DEFAULT 0, sent_at INTEGER, last_error TEXT);"
	"CREATE INDEX delivery_due ON delivery(next_at) WHERE sent_at IS NULL;"
	"CREATE TABLE summary_sent (month TEXT PRIMARY KEY, at INTEGER NOT NULL);"
	"CREATE TABLE stat (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	ALERT_CTL_SCHEMA,
	/* 3: events carry the aggregate's change number; the same finding changing
	 * again in a later change is a new event, a resend of one is not */
	"CREATE TABLE notice_seq (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL DEFAULT 0, kind TEXT NOT NULL,"
	"  subject TEXT NOT NULL, org_unit TEXT, period TEXT NOT NULL, severity TEXT NOT NULL, state TEXT NOT NULL,"
	"  name TEXT, value REAL, threshold REAL, created_at INTEGER NOT NULL, delivered_at INTEGER, routed_at INTEGER,"
	"  UNIQUE (seq, kind, subject, period, state, severity));"
	"INSERT INTO notice_seq(id, seq, kind, subject, org_unit, period, severity, state, name, value, threshold,"
	"  created_at, delivered_at, routed_at) SELECT id, 0, kind, subject, org_unit, period, severity, state, name,"
	"  value, threshold, created_at, delivered_at, routed_at FROM notice;"
	"DROP TABLE notice;"
	"ALTER TABLE notice_seq RENAME TO notice;"
	"CREATE INDEX notice_unrouted ON notice(seq, id) WHERE routed_at IS NULL;",
	/* 4: one e-mail delivery per recipient (existing ones split, in order);
	 * dead letters, failures and refusals counted per delivery */
	"ALTER TABLE delivery ADD COLUMN dead_at INTEGER;"
	"ALTER TABLE delivery ADD COLUMN failing_since INTEGER;"
	"ALTER TABLE delivery ADD COLUMN failed_at INTEGER;"
	"ALTER TABLE delivery ADD COLUMN refusals INTEGER NOT NULL DEFAULT 0;"
	"WITH RECURSIVE part(id, pos, one, rest) AS ("
	"  SELECT id, 0, NULL, substr(recipients, instr(recipients, char(10)) + 1) || char(10) FROM delivery"
	"   WHERE channel = 'email' AND instr(recipients, char(10)) > 0"
	"  UNION ALL"
	"  SELECT id, pos + 1, substr(rest, 1, instr(rest, char(10)) - 1), substr(rest, instr(rest, char(10)) + 1)"
	"   FROM part WHERE rest <> '')"
	" INSERT INTO delivery(out_id, channel, recipients, attempts, next_at, inflight, sent_at, last_error)"
	" SELECT d.out_id, d.channel, p.one, d.attempts, d.next_at, d.inflight, d.sent_at, d.last_error"
	" FROM part p JOIN delivery d ON d.id = p.id WHERE p.one IS NOT NULL AND p.one <> '' ORDER BY p.id, p.pos;"
	"UPDATE delivery SET recipients = substr(recipients, 1, instr(recipients, char(10)) - 1)"
	" WHERE channel = 'email' AND instr(recipients, char(10)) > 0;"
	"DROP INDEX delivery_due;"
	"CREATE INDEX delivery_pending ON delivery(channel, next_at) WHERE sent_at IS NULL AND dead_at IS NULL;",
	/* 5: one digest per receiver and scope (the groups of each merged, their
	 * timers the soonest); what events say for people (since when, why
	 * resolved, money, workers); the full list of a digest as CSV */
	"ALTER TABLE notice ADD COLUMN since TEXT;"
	"ALTER TABLE notice ADD COLUMN reason TEXT;"
	"ALTER TABLE notice ADD COLUMN amount REAL;"
	"ALTER TABLE notice ADD COLUMN workers REAL;"
	"ALTER TABLE alert ADD COLUMN since TEXT;"
	"ALTER TABLE alert ADD COLUMN reason TEXT;"
	"ALTER TABLE alert ADD COLUMN amount REAL;"
	"ALTER TABLE alert ADD COLUMN workers REAL;"
	"ALTER TABLE outmsg ADD COLUMN csv TEXT;"
	"INSERT INTO member(receiver, gkey, kind, subject, changed, notified_sev)"
	" SELECT m.receiver, 'digest=' || g.scope, m.kind, m.subject, m.changed, m.notified_sev FROM member m"
	" JOIN grp g ON g.receiver = m.receiver AND g.gkey = m.gkey WHERE m.gkey NOT LIKE 'digest=%' ORDER BY m.rowid"
	" ON CONFLICT(receiver, gkey, kind, subject) DO UPDATE SET changed = max(changed, excluded.changed),"
	" notified_sev = coalesce(notified_sev, excluded.notified_sev);"
	"DELETE FROM member WHERE gkey NOT LIKE 'digest=%';"
	"INSERT INTO grp(receiver, gkey, scope, wait_ms, interval_ms, repeat_ms, dirty, first_at, last_flush, next_at)"
	" SELECT receiver, 'digest=' || scope, scope, min(wait_ms), min(interval_ms), min(repeat_ms), max(dirty),"
	" min(first_at), max(last_flush), min(next_at) FROM grp WHERE gkey NOT LIKE 'digest=%' GROUP BY receiver, scope"
	" ON CONFLICT(receiver, gkey) DO NOTHING;"
	"DELETE FROM grp WHERE gkey NOT LIKE 'digest=%';",
	/* 6: the latest figures of the monthly summary, as the aggregate sent them */
	"CREATE TABLE summary_data (id INTEGER PRIMARY KEY CHECK (id = 1), period TEXT NOT NULL,"
	"  generated_at INTEGER NOT NULL, body BLOB NOT NULL);"
	"ALTER TABLE outmsg ADD COLUMN html TEXT;"
};


/* alert_now - unix milliseconds, shifted by BHXH_NOW when set. */
int64_t
alert_now(worker_t *w)
{
	alert_state_t *s = w->state;

	return now_ms() + s->clock_base;
}

/* alert_text - a column as text, "" for NULL. */
const char *
alert_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? (const char *)t : "";
}

/* alert_stat_add - add n to a counter in the stat table; 0 or -1. */
int
alert_stat_add(worker_t *w, const char *key, long long n)
{
	sqlite3_stmt *st = store_stmt(w->store,
	    "INSERT INTO stat(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value");

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, n);
	return store_step_done(w->store, st);
}

/* alert_stat - a counter of the stat table (0 if never counted). */
long long
alert_stat(worker_t *w, const char *key)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT value FROM stat WHERE key = ?");
	long long v = 0;

	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

/* s_on_fd - attempts finished on the delivery threads: record them. */
static void
s_on_fd(worker_t *w)
{
	alert_state_t *s = w->state;

	queue_keep(s, deliver_results(s->deliver));
	queue_record_pending(w);
}

/* s_poll_fd - the delivery threads' eventfd. */
static int
s_poll_fd(worker_t *w)
{
	alert_state_t *s = w->state;

	return s != NULL ? deliver_fd(s->deliver) : -1;
}

/* s_on_message - store each event of a batch once (acknowledged after commit). */
static int
s_on_message(worker_t *w, const msg_t *m)
{
	if (m->type == MSG_T_SUMMARY)
		return summary_store(w, m);
	if (m->type != MSG_T_EVENTS) {
		log_warn("ignored an unexpected %s message", msg_type_name(m->type));
		return 0;
	}
	if (m->u.events.seq > INT64_MAX) {
		log_warn("dropped %u events of message %llu: change number out of range", m->u.events.nevents,
		    (unsigned long long)m->id);
		return alert_stat_add(w, "bad_events", m->u.events.nevents);
	}
	for (uint32_t i = 0; i < m->u.events.nevents; i++) {
		const msg_event_t *e = &m->u.events.events[i];
		sqlite3_stmt *st = store_stmt(w->store,
		    "INSERT OR IGNORE INTO notice(kind, subject, org_unit, period, severity, state, name, value,"
		    " threshold, seq, since, reason, amount, workers, created_at)"
		    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?, strftime('%s','now'))");

		char why[128];

		if (st == NULL)
			return -1;
		if (check_event(w->config, e, why, sizeof(why)) != 0) {
			log_warn("dropped an invalid event (message %llu, event %u): %s", (unsigned long long)m->id, i, why);
			if (alert_stat_add(w, "bad_events", 1) != 0)
				return -1;
			continue;
		}
		sqlite3_bind_text(st, 1, e->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, e->subject, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, e->org_unit, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, e->period, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, e->severity, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, e->state, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, e->name, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 8, e->value);
		sqlite3_bind_double(st, 9, e->threshold);
		sqlite3_bind_int64(st, 10, (sqlite3_int64)m->u.events.seq);
		sqlite3_bind_text(st, 11, e->since != NULL ? e->since : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 12, e->reason != NULL ? e->reason : "", -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 13, e->amount);
		sqlite3_bind_double(st, 14, e->workers);
		if (store_step_done(w->store, st) != 0)
			return -1;
	}
	return 0;
}

/* s_on_tick - acknowledgements; the groups due, then one change routed and
 * the groups due after it (never while a change is routed only in part, so
 * the notices do not depend on how many changes waited); the summary;
 * deliveries handed to the idle threads, notice files written. */
static int
s_on_tick(worker_t *w)
{
	int64_t now = alert_now(w);
	int again = 0, routed = 0;

	route_apply_acks(w, now);
	if (!route_seq_partial(w) && group_flush_due(w, now) == FLUSH_MAX)
		again = 1; /* more groups due: flush them all before the next change */
	else {
		routed = route_seq(w, now);
		if (routed == 1 && group_flush_due(w, alert_now(w)) == FLUSH_MAX)
			again = 1;
	}
	summary_run(w, now);
	again |= queue_deliver(w, alert_now(w));
	return again || routed > 0;
}

/* s_init - the clock, libcurl, deliveries cut short last time, the delivery threads. */
static int
s_init(worker_t *w)
{
	alert_state_t *s = xcalloc(1, sizeof(*s));
	const char *fake = getenv("BHXH_NOW");
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (fake != NULL && fake[0] != '\0')
		s->clock_base = atoll(fake) * 1000 - now_ms();
	else
		s->clock_base = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - now_ms();
	w->state = s;
	srandom((unsigned)(ts.tv_nsec ^ getpid()));
	if (queue_resume(w) != 0) {
		log_error("cannot resume the deliveries in flight (%s)", sqlite3_errstr(store_last_rc(w->store)));
		return -1;
	}
	queue_health(w);
	/* before any thread: libcurl's global state is set up once, here */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return -1;
	s->curl_ready = 1;
	s->deliver = deliver_start(w->config->alert);
	return s->deliver != NULL ? 0 : -1;
}

/* s_fini - stop the delivery threads (attempts in progress are cut short),
 * record what they finished, free the state. */
static void
s_fini(worker_t *w)
{
	alert_state_t *s = w->state;

	if (s == NULL)
		return;
	if (s->deliver != NULL) {
		deliver_stop(s->deliver);
		queue_keep(s, deliver_results(s->deliver));
		queue_record_pending(w);
		deliver_free(&s->deliver);
	}
	while (s->pending != NULL) {
		deliver_job_t *next = s->pending->next;

		deliver_job_free(s->pending);
		s->pending = next;
	}
	route_free_silences(s);
	if (s->curl_ready)
		curl_global_cleanup();
	free(s);
	w->state = NULL;
}

/* s_status - the alert worker's own fields of the status JSON. */
static void
s_status(worker_t *w, sb_t *json)
{
	alert_state_t *s = w->state;

	sb_addf(json, ",\"deliveries_failing\":%lld,\"dead_letters\":%lld,\"failing_since\":", s->failing, s->dead);
	if (s->failing > 0)
		sb_addf(json, "%lld", (long long)(s->failing_since / 1000));
	else
		sb_add(json, "null");
	sb_addf(json, ",\"bad_events\":%lld,\"deliveries_sent\":%lld,\"failed_attempts\":%lld",
	    alert_stat(w, "bad_events"), alert_stat(w, "sent"), alert_stat(w, "failed_attempts"));
}

static const struct worker_ops s_ops = {
	.name = "alert",
	.migrations = s_migrations,
	.nmigrations = 6,
	.input = "alert",
	.init = s_init,
	.on_message = s_on_message,
	.on_tick = s_on_tick,
	.poll_fd = s_poll_fd,
	.on_fd = s_on_fd,
	.on_control = alert_control,
	.status = s_status,
	.fini = s_fini,
	.tick_ms = 200,
};

int
main(int argc, char **argv)
{
	return worker_main(argc, argv, &s_ops);
}
