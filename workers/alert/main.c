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
 * "Now" is the clock, or BHXH_NOW (unix seconds) plus the time since start. */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "fsutil.h"
#include "log.h"
#include "report.h"
#include "worker.h"
#include "xalloc.h"

#define MAX_ROUTES 32
#define MAX_PATH_DEPTH 16
#define ROUTE_MAX_S "500"   /* events routed in one transaction */
#define FLUSH_MAX 50        /* groups flushed in one go */
#define FILES_MAX 8         /* notice files written per tick */

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
	"CREATE INDEX delivery_pending ON delivery(channel, next_at) WHERE sent_at IS NULL AND dead_at IS NULL;"
};

static const char *const s_channels[] = { "email", "webhook", "file" }; /* DELIVER_*: the delivery.channel values */

typedef struct {
	int64_t clock_base;     /* add to now_ms() for unix milliseconds */
	int nsil;
	alert_matcher_t **sil;  /* active silences, loaded per tick */
	int *nsilm;
	int curl_ready;         /* curl_global_init done */
	deliver_t *deliver;     /* the delivery threads */
	long long busy[DELIVER_NCHAN]; /* the delivery each thread has (until recorded), 0 when idle */
	deliver_job_t *pending; /* finished attempts not yet recorded */
	long long failing;      /* deliveries failed and neither sent nor dead since */
	int64_t failing_since;  /* the earliest first failure among them (unix ms) */
	long long dead;         /* dead letters so far */
} s_state_t;

/* One alert's labels, with the storage they point into. */
typedef struct {
	alert_labels_t l;
	const char *path[MAX_PATH_DEPTH];
	char agency[64];
} s_lab_t;

/* s_now - unix milliseconds, shifted by BHXH_NOW when set. */
static int64_t
s_now(worker_t *w)
{
	s_state_t *s = w->state;

	return now_ms() + s->clock_base;
}

/* s_text - a column as text, "" for NULL. */
static const char *
s_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? (const char *)t : "";
}

/* s_stat_add - add n to a counter in the stat table; 0 or -1. */
static int
s_stat_add(worker_t *w, const char *key, long long n)
{
	sqlite3_stmt *st = store_stmt(w->store,
	    "INSERT INTO stat(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value");

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, n);
	return store_step_done(w->store, st);
}

/* s_stat - a counter of the stat table (0 if never counted). */
static long long
s_stat(worker_t *w, const char *key)
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

/* s_lab - an alert's labels, with its org unit's path and district from the configuration. */
static void
s_lab(const config_t *c, s_lab_t *x, const char *kind, const char *subject, const char *severity,
    const char *org_unit, const char *state, const char *period)
{
	int u = org_unit != NULL && org_unit[0] ? config_unit_index(c, org_unit) : -1, n = 0;
	const char *colon;

	memset(x, 0, sizeof(*x));
	for (int i = u; i >= 0 && n < MAX_PATH_DEPTH; i = c->units[i].parent)
		x->path[n++] = c->units[i].code;
	for (int i = 0; i < n / 2; i++) { /* root first */
		const char *t = x->path[i];

		x->path[i] = x->path[n - 1 - i];
		x->path[n - 1 - i] = t;
	}
	x->l.kind = kind;
	x->l.subject = subject;
	x->l.severity = severity;
	x->l.org_unit = org_unit != NULL ? org_unit : "";
	x->l.state = state;
	x->l.period = period;
	x->l.org_path = x->path;
	x->l.norg_path = n;
	x->l.district = n >= 2 ? x->path[1] : "";
	if (strcmp(kind, "missing_data") == 0 && (colon = strchr(subject, ':')) != NULL
	    && (size_t)(colon - subject) < sizeof(x->agency)) {
		memcpy(x->agency, subject, (size_t)(colon - subject));
		if (config_agency(c, x->agency) == NULL) /* only a configured agency ever scopes a notice */
			x->agency[0] = '\0';
	}
	x->l.agency = x->agency;
}

/* s_mark_dirty - a group's alerts changed: schedule its flush. */
static int
s_mark_dirty(worker_t *w, const char *receiver, const char *gkey, int64_t now)
{
	sqlite3_stmt *st = store_stmt(w->store,
	    "UPDATE grp SET next_at = CASE WHEN dirty = 1 THEN next_at"
	    "  WHEN last_flush IS NULL THEN min(next_at, first_at + wait_ms)"
	    "  ELSE max(?1, last_flush + interval_ms) END, dirty = 1"
	    " WHERE receiver = ?2 AND gkey = ?3");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, receiver, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, gkey, -1, SQLITE_TRANSIENT);
	return store_step_done(w->store, st);
}

/* s_touch_members - every group already holding the alert hears of its change. */
static int
s_touch_members(worker_t *w, const char *kind, const char *subject, int64_t now)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT receiver, gkey FROM member WHERE kind = ? AND subject = ?");
	sqlite3_stmt *up = store_stmt(w->store, "UPDATE member SET changed = 1 WHERE kind = ? AND subject = ?");
	int rc = 0;

	if (st == NULL || up == NULL)
		return -1;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, subject, -1, SQLITE_STATIC);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		rc = s_mark_dirty(w, s_text(st, 0), s_text(st, 1), now);
	sqlite3_reset(st);
	sqlite3_bind_text(up, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 2, subject, -1, SQLITE_STATIC);
	return rc == 0 ? store_step_done(w->store, up) : -1;
}

/* s_group_key - "label=value,..." of the route's group_by, plus the receiver's scope. */
static void
s_group_key(const cfg_route_t *r, const alert_labels_t *l, const char *scope_label, sb_t *b)
{
	int scoped = 0;

	sb_add(b, "");
	for (int i = 0; i < r->ngroup_by; i++) {
		sb_addf(b, "%s%s=%s", b->len ? "," : "", r->group_by[i], alert_label(l, r->group_by[i]));
		if (scope_label != NULL && strcmp(r->group_by[i], scope_label) == 0)
			scoped = 1;
	}
	if (scope_label != NULL && !scoped)
		sb_addf(b, "%s%s=%s", b->len ? "," : "", scope_label, alert_label(l, scope_label));
}

/* s_route - put the alert into the groups of every receiver its routes reach. */
static int
s_route(worker_t *w, const s_lab_t *x, int64_t now)
{
	const cfg_alert_t *c = w->config->alert;
	const cfg_route_t *routes[MAX_ROUTES];
	int n = cfg_alert_route(c, &x->l, routes, MAX_ROUTES);

	for (int i = 0; i < n; i++) {
		const cfg_route_t *r = routes[i];
		const cfg_receiver_t *rec = &c->receivers[r->receiver];
		const char *scope_label = rec->role == ROLE_DISTRICT_COMMITTEE ? "district"
		    : rec->role == ROLE_AGENCY ? "agency" : NULL;
		const char *scope = scope_label != NULL ? alert_label(&x->l, scope_label) : "";
		sqlite3_stmt *g, *m;
		sb_t key;
		int rc;

		if (scope_label != NULL && scope[0] == '\0')
			continue; /* a district committee sees only its own district's alerts */
		sb_init(&key);
		s_group_key(r, &x->l, scope_label, &key);
		g = store_stmt(w->store,
		    "INSERT INTO grp(receiver, gkey, scope, wait_ms, interval_ms, repeat_ms, dirty, first_at, next_at)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?7 + ?4) ON CONFLICT(receiver, gkey) DO NOTHING");
		m = store_stmt(w->store,
		    "INSERT INTO member(receiver, gkey, kind, subject, changed) VALUES (?, ?, ?, ?, 1)"
		    " ON CONFLICT(receiver, gkey, kind, subject) DO UPDATE SET changed = 1");
		if (g == NULL || m == NULL) {
			sb_free(&key);
			return -1;
		}
		sqlite3_bind_text(g, 1, rec->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(g, 2, key.data, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(g, 3, scope, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(g, 4, r->group_wait_ms);
		sqlite3_bind_int64(g, 5, r->group_interval_ms);
		sqlite3_bind_int64(g, 6, r->repeat_interval_ms);
		sqlite3_bind_int64(g, 7, now);
		sqlite3_bind_text(m, 1, rec->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(m, 2, key.data, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(m, 3, x->l.kind, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(m, 4, x->l.subject, -1, SQLITE_TRANSIENT);
		rc = store_step_done(w->store, g) == 0 && store_step_done(w->store, m) == 0
		    && s_mark_dirty(w, rec->name, key.data, now) == 0 ? 0 : -1;
		sb_free(&key);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* s_apply_event - fold one stored event into the alert's state; route a change. */
static int
s_apply_event(worker_t *w, sqlite3_stmt *ev, int64_t now)
{
	const char *kind = s_text(ev, 1), *subject = s_text(ev, 2), *unit = s_text(ev, 3), *period = s_text(ev, 4);
	const char *sev = s_text(ev, 5), *state = s_text(ev, 6), *name = s_text(ev, 7);
	sqlite3_stmt *prev = store_stmt(w->store, "SELECT state, severity FROM alert WHERE kind = ? AND subject = ?");
	sqlite3_stmt *up;
	int had = 0, firing = 0, prev_rank = -1, changed;
	s_lab_t x;

	if (prev == NULL)
		return -1;
	sqlite3_bind_text(prev, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(prev, 2, subject, -1, SQLITE_STATIC);
	if (sqlite3_step(prev) == SQLITE_ROW) {
		had = 1;
		firing = strcmp(s_text(prev, 0), "firing") == 0;
		prev_rank = alert_severity_rank(s_text(prev, 1));
	}
	sqlite3_reset(prev);
	if (strcmp(state, "resolved") == 0) {
		if (!firing)
			return 0; /* nothing open to resolve */
		up = store_stmt(w->store, "UPDATE alert SET state = 'resolved', period = ?, changed_at = ?, acked = 0"
		    " WHERE kind = ? AND subject = ?");
		if (up == NULL)
			return -1;
		sqlite3_bind_text(up, 1, period, -1, SQLITE_STATIC);
		sqlite3_bind_int64(up, 2, now);
		sqlite3_bind_text(up, 3, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(up, 4, subject, -1, SQLITE_STATIC);
		return store_step_done(w->store, up) == 0 ? s_touch_members(w, kind, subject, now) : -1;
	}
	/* new or escalated: a change when it was not open, or its severity rose */
	changed = !had || !firing || alert_severity_rank(sev) > prev_rank;
	up = store_stmt(w->store,
	    "INSERT INTO alert(kind, subject, org_unit, name, severity, state, period, value, threshold, changed_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, 'firing', ?6, ?7, ?8, ?9) ON CONFLICT(kind, subject) DO UPDATE SET"
	    " org_unit = excluded.org_unit, name = excluded.name, severity = excluded.severity, state = 'firing',"
	    " period = excluded.period, value = excluded.value, threshold = excluded.threshold,"
	    " changed_at = CASE WHEN ?10 THEN excluded.changed_at ELSE changed_at END,"
	    " acked = CASE WHEN ?10 THEN 0 ELSE acked END");
	if (up == NULL)
		return -1;
	sqlite3_bind_text(up, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 2, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 3, unit, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 4, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 5, sev, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 6, period, -1, SQLITE_STATIC);
	sqlite3_bind_double(up, 7, sqlite3_column_double(ev, 8));
	sqlite3_bind_double(up, 8, sqlite3_column_double(ev, 9));
	sqlite3_bind_int64(up, 9, now);
	sqlite3_bind_int(up, 10, changed);
	if (store_step_done(w->store, up) != 0)
		return -1;
	if (!changed)
		return 0;
	if (s_touch_members(w, kind, subject, now) != 0)
		return -1;
	s_lab(w->config, &x, kind, subject, sev, unit, "firing", period);
	return s_route(w, &x, now);
}

/* s_seq_partial - 1 if the lowest change number still waiting to be routed
 * has events routed already (a change is routed in parts of ROUTE_MAX). */
static int
s_seq_partial(worker_t *w)
{
	return store_int(w->store, "SELECT EXISTS (SELECT 1 FROM notice WHERE routed_at IS NOT NULL AND seq ="
	    " (SELECT seq FROM notice WHERE routed_at IS NULL ORDER BY seq, id LIMIT 1))", 0) == 1;
}

/* s_route_seq - route the stored events of the lowest change number waiting,
 * at most ROUTE_MAX of them in one transaction. Returns 0 if none waits, 1 if
 * that change is now routed whole, 2 if more of it waits, -1 on error. */
static int
s_route_seq(worker_t *w, int64_t now)
{
	sqlite3_stmt *first = store_stmt(w->store, "SELECT seq FROM notice WHERE routed_at IS NULL ORDER BY seq, id LIMIT 1");
	sqlite3_stmt *st, *done, *more;
	long long seq;
	int left = 0;

	if (first == NULL)
		return -1;
	if (sqlite3_step(first) != SQLITE_ROW) {
		sqlite3_reset(first);
		return 0;
	}
	seq = sqlite3_column_int64(first, 0);
	sqlite3_reset(first);
	if (store_begin(w->store) != 0)
		return -1;
	st = store_stmt(w->store, "SELECT id, kind, subject, org_unit, period, severity, state, name, value, threshold"
	    " FROM notice WHERE routed_at IS NULL AND seq = ? ORDER BY id LIMIT " ROUTE_MAX_S);
	done = store_stmt(w->store, "UPDATE notice SET routed_at = ? WHERE id = ?");
	more = store_stmt(w->store, "SELECT EXISTS (SELECT 1 FROM notice WHERE routed_at IS NULL AND seq = ?)");
	if (st == NULL || done == NULL || more == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, seq);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (s_apply_event(w, st, now) != 0)
			goto fail;
		sqlite3_reset(done);
		sqlite3_bind_int64(done, 1, now);
		sqlite3_bind_int64(done, 2, sqlite3_column_int64(st, 0));
		if (store_step_done(w->store, done) != 0)
			goto fail;
	}
	sqlite3_reset(st);
	sqlite3_bind_int64(more, 1, seq);
	if (sqlite3_step(more) != SQLITE_ROW) {
		sqlite3_reset(more);
		goto fail;
	}
	left = sqlite3_column_int(more, 0);
	sqlite3_reset(more);
	if (store_commit(w->store) != 0)
		goto fail;
	return left ? 2 : 1;
fail:
	if (st != NULL)
		sqlite3_reset(st);
	store_rollback(w->store);
	worker_error(w, "cannot route the stored events of change %lld (%s)", seq, sqlite3_errstr(store_last_rc(w->store)));
	return -1;
}

/* s_apply_acks - acknowledgements bhxhctl queued: repeats stop until the state changes. */
static void
s_apply_acks(worker_t *w, int64_t now)
{
	sqlite3_stmt *st, *up, *done;
	int rc = 0;

	if (store_int(w->store, "SELECT count(*) FROM ack_request WHERE applied IS NULL", 0) == 0)
		return;
	if (store_begin(w->store) != 0)
		return;
	st = store_stmt(w->store, "SELECT id, kind, subject, author FROM ack_request WHERE applied IS NULL ORDER BY id");
	up = store_stmt(w->store, "UPDATE alert SET acked = 1, acked_by = ? WHERE kind = ? AND subject = ? AND state = 'firing'");
	done = store_stmt(w->store, "UPDATE ack_request SET applied = ? WHERE id = ?");
	if (st == NULL || up == NULL || done == NULL)
		rc = -1;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		sqlite3_bind_text(up, 1, s_text(st, 3), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(up, 2, s_text(st, 1), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(up, 3, s_text(st, 2), -1, SQLITE_TRANSIENT);
		rc = store_step_done(w->store, up);
		sqlite3_reset(up);
		sqlite3_bind_int64(done, 1, now);
		sqlite3_bind_int64(done, 2, sqlite3_column_int64(st, 0));
		if (rc == 0)
			rc = store_step_done(w->store, done);
		sqlite3_reset(done);
	}
	if (st != NULL)
		sqlite3_reset(st);
	if (rc == 0 && store_commit(w->store) == 0)
		return;
	store_rollback(w->store);
	worker_error(w, "cannot apply acknowledgements (%s); tried again next tick", sqlite3_errstr(store_last_rc(w->store)));
}

/* s_free_silences - drop the loaded silences. */
static void
s_free_silences(s_state_t *s)
{
	for (int i = 0; i < s->nsil; i++) {
		for (int k = 0; k < s->nsilm[i]; k++)
			alert_matcher_clear(&s->sil[i][k]);
		free(s->sil[i]);
	}
	free(s->sil);
	free(s->nsilm);
	s->sil = NULL;
	s->nsilm = NULL;
	s->nsil = 0;
}

/* s_load_silences - the silences active now (matchers one per line). */
static void
s_load_silences(worker_t *w, int64_t now)
{
	s_state_t *s = w->state;
	sqlite3_stmt *st = store_stmt(w->store,
	    "SELECT matchers FROM silence WHERE expired_at IS NULL AND ends_at > ? ORDER BY id");

	s_free_silences(s);
	if (st == NULL)
		return;
	sqlite3_bind_int64(st, 1, now);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *lines = xstrdup(s_text(st, 0)), *save = NULL, err[200];
		alert_matcher_t *m = NULL;
		int n = 0, bad = 0;

		for (char *tok = strtok_r(lines, "\n", &save); tok != NULL; tok = strtok_r(NULL, "\n", &save)) {
			m = xrealloc(m, (size_t)(n + 1) * sizeof(*m));
			if (alert_matcher_parse(tok, &m[n], err, sizeof(err)) != 0)
				bad = 1;
			else
				n++;
		}
		free(lines);
		if (bad || n == 0) { /* never let a broken silence mute everything */
			for (int k = 0; k < n; k++)
				alert_matcher_clear(&m[k]);
			free(m);
			continue;
		}
		s->sil = xrealloc(s->sil, (size_t)(s->nsil + 1) * sizeof(*s->sil));
		s->nsilm = xrealloc(s->nsilm, (size_t)(s->nsil + 1) * sizeof(int));
		s->sil[s->nsil] = m;
		s->nsilm[s->nsil++] = n;
	}
	sqlite3_reset(st);
}

/* s_silenced - an active silence matches. */
static int
s_silenced(worker_t *w, const alert_labels_t *l)
{
	s_state_t *s = w->state;

	for (int i = 0; i < s->nsil; i++)
		if (alert_matches(s->sil[i], s->nsilm[i], l))
			return 1;
	return 0;
}

/* s_inhibited - a firing source alert of some rule mutes this one. O(firing
 * alerts) per rule, O(alerts of the subject) when the rule compares subject. */
static int
s_inhibited(worker_t *w, const alert_labels_t *l)
{
	const cfg_alert_t *c = w->config->alert;

	for (int r = 0; r < c->ninhibit; r++) {
		const cfg_inhibit_t *ir = &c->inhibit[r];
		int by_subject = 0, hit = 0;
		sqlite3_stmt *st;

		if (!alert_matches(ir->target, ir->ntarget, l))
			continue;
		for (int k = 0; k < ir->nequal; k++)
			by_subject |= strcmp(ir->equal[k], "subject") == 0;
		st = store_stmt(w->store, "SELECT kind, subject, severity, org_unit, period FROM alert"
		    " WHERE state = 'firing' AND (?1 = 0 OR subject = ?2)");
		if (st == NULL)
			return 0;
		sqlite3_bind_int(st, 1, by_subject);
		sqlite3_bind_text(st, 2, l->subject, -1, SQLITE_TRANSIENT);
		while (!hit && sqlite3_step(st) == SQLITE_ROW) {
			s_lab_t x;

			if (strcmp(s_text(st, 0), l->kind) == 0 && strcmp(s_text(st, 1), l->subject) == 0)
				continue;
			s_lab(w->config, &x, s_text(st, 0), s_text(st, 1), s_text(st, 2), s_text(st, 3), "firing", s_text(st, 4));
			if (!alert_matches(ir->source, ir->nsource, &x.l))
				continue;
			hit = 1;
			for (int k = 0; k < ir->nequal && hit; k++)
				hit = strcmp(alert_label(&x.l, ir->equal[k]), alert_label(l, ir->equal[k])) == 0;
		}
		sqlite3_reset(st);
		if (hit)
			return 1;
	}
	return 0;
}

/* s_scope_name - a readable name for a receiver's scope (district or agency). */
static const char *
s_scope_name(const config_t *c, const cfg_receiver_t *rec, const char *scope)
{
	if (scope[0] == '\0')
		return "";
	if (rec->role == ROLE_DISTRICT_COMMITTEE) {
		int u = config_unit_index(c, scope);

		return u >= 0 ? c->units[u].name : scope;
	}
	if (rec->role == ROLE_AGENCY) {
		const cfg_agency_t *a = config_agency(c, scope);

		return a != NULL && a->name != NULL ? a->name : scope;
	}
	return scope;
}

/* s_put_delivery - one delivery of notice nid by channel (to rcpt for e-mail), due now. */
static int
s_put_delivery(worker_t *w, long long nid, const char *channel, const char *rcpt, int64_t now)
{
	sqlite3_stmt *d = store_stmt(w->store, "INSERT INTO delivery(out_id, channel, recipients, next_at) VALUES (?, ?, ?, ?)");

	if (d == NULL)
		return -1;
	sqlite3_bind_int64(d, 1, nid);
	sqlite3_bind_text(d, 2, channel, -1, SQLITE_STATIC);
	if (rcpt != NULL)
		sqlite3_bind_text(d, 3, rcpt, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(d, 3);
	sqlite3_bind_int64(d, 4, now);
	return store_step_done(w->store, d);
}

/* s_listed - 1 if the newline-separated list holds addr. */
static int
s_listed(const char *list, const char *addr)
{
	size_t n = strlen(addr);

	for (const char *p = list; p != NULL && *p; p = strchr(p, '\n') != NULL ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, addr, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return 1;
	return 0;
}

/* s_enqueue - the deliveries of notice nid on the channels (a set of
 * 1 << DELIVER_*) that the receiver has: a file, an e-mail to each
 * recipient, a webhook. */
static int
s_enqueue(worker_t *w, const cfg_receiver_t *rec, const char *scope, long long nid, unsigned channels, int64_t now)
{
	const cfg_alert_t *c = w->config->alert;
	const cfg_agency_t *ag = rec->role == ROLE_AGENCY ? config_agency(w->config, scope) : NULL;
	sb_t rcpt;
	int rc = 0;

	sb_init(&rcpt);
	sb_add(&rcpt, "");
	if (ag != NULL && ag->email != NULL && format_address_ok(ag->email)) {
		sb_add(&rcpt, ag->email); /* the agency's own address from the main configuration */
	} else {
		for (int i = 0; i < rec->nemail; i++) {
			char *a = format_expand(rec->email[i], rec->role == ROLE_DISTRICT_COMMITTEE ? scope : NULL,
			    rec->role == ROLE_AGENCY ? scope : NULL);

			if (a == NULL) {
				log_warn("receiver %s: address '%s' cannot be filled for '%s'", rec->name, rec->email[i], scope);
				continue;
			}
			if (!s_listed(rcpt.data, a)) /* an address twice gets one e-mail */
				sb_addf(&rcpt, "%s%s", rcpt.len ? "\n" : "", a);
			free(a);
		}
	}
	if ((channels & (1u << DELIVER_FILE)) != 0)
		rc = s_put_delivery(w, nid, "file", NULL, now);
	if ((channels & (1u << DELIVER_EMAIL)) != 0 && c->smtp.url[0] != '\0') {
		char *save = NULL;

		/* one delivery per recipient, each retried on its own */
		for (char *a = strtok_r(rcpt.data, "\n", &save); a != NULL && rc == 0; a = strtok_r(NULL, "\n", &save))
			rc = s_put_delivery(w, nid, "email", a, now);
	}
	if ((channels & (1u << DELIVER_WEBHOOK)) != 0 && rec->webhook_url != NULL && rc == 0)
		rc = s_put_delivery(w, nid, "webhook", NULL, now);
	sb_free(&rcpt);
	return rc;
}

/* s_rec_channels - the channels a receiver's notices go by. */
static unsigned
s_rec_channels(const cfg_receiver_t *rec)
{
	return (1u << DELIVER_EMAIL) | (1u << DELIVER_WEBHOOK) | (rec->file ? 1u << DELIVER_FILE : 0);
}

/* s_new_outmsg - a notice row; its id numbers the notice. -1 on error. */
static long long
s_new_outmsg(worker_t *w, const char *receiver, const char *scope, const char *gkey, int64_t now)
{
	sqlite3_stmt *st = store_stmt(w->store, "INSERT INTO outmsg(receiver, scope, gkey, created_at) VALUES (?, ?, ?, ?)");

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, receiver, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, scope, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, gkey, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now);
	if (store_step_done(w->store, st) != 0)
		return -1;
	return sqlite3_last_insert_rowid(store_db(w->store));
}

/* s_store_notice - the rendered subject, text and JSON of notice nid. */
static int
s_store_notice(worker_t *w, long long nid, const sb_t *subj, const sb_t *text, const sb_t *json)
{
	sqlite3_stmt *st = store_stmt(w->store, "UPDATE outmsg SET subject = ?, text = ?, json = ? WHERE id = ?");

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, subj->data, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, text->data, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, json->data, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, nid);
	return store_step_done(w->store, st);
}

/* s_put_notice - store the rendered notice nid and queue its deliveries. */
static int
s_put_notice(worker_t *w, const cfg_receiver_t *rec, long long nid, const char *scope, const sb_t *subj,
    const sb_t *text, const sb_t *json, int64_t now)
{
	if (s_store_notice(w, nid, subj, text, json) != 0)
		return -1;
	return s_enqueue(w, rec, scope, nid, s_rec_channels(rec), now);
}

typedef struct {
	char *status, *kind, *subject, *name, *org_unit, *period, *severity;
	double value, threshold;
	int firing;
} s_row_t;

/* s_rows_free - the loaded members. */
static void
s_rows_free(s_row_t *rows, int n)
{
	for (int i = 0; i < n; i++) {
		free(rows[i].status);
		free(rows[i].kind);
		free(rows[i].subject);
		free(rows[i].name);
		free(rows[i].org_unit);
		free(rows[i].period);
		free(rows[i].severity);
	}
	free(rows);
}

/* s_member_status - what a member of a group says in this flush: new,
 * escalated, firing (repeat), resolved, or NULL (muted, acknowledged, or a
 * resolution of something never told). */
static const char *
s_member_status(worker_t *w, sqlite3_stmt *st, const s_lab_t *x)
{
	const char *sev = s_text(st, 6), *notified = sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL : s_text(st, 3);
	int changed = sqlite3_column_int(st, 2), acked = sqlite3_column_int(st, 11);

	if (strcmp(x->l.state, "firing") == 0) {
		if (s_silenced(w, &x->l) || s_inhibited(w, &x->l))
			return NULL;
		if (changed && notified == NULL)
			return "new";
		if (changed && alert_severity_rank(sev) > alert_severity_rank(notified))
			return "escalated";
		return acked ? NULL : "firing";
	}
	return changed && notified != NULL && !s_silenced(w, &x->l) ? "resolved" : NULL;
}

/* s_load_members - a group's members with their alerts and what each says now. */
static int
s_load_members(worker_t *w, const char *receiver, const char *gkey, s_row_t **out, int *ninc, int *changes)
{
	sqlite3_stmt *st = store_stmt(w->store,
	    "SELECT m.kind, m.subject, m.changed, m.notified_sev, a.org_unit, a.name, a.severity, a.state,"
	    " a.period, a.value, a.threshold, a.acked FROM member m JOIN alert a ON a.kind = m.kind AND a.subject = m.subject"
	    " WHERE m.receiver = ? AND m.gkey = ? ORDER BY m.kind, m.subject");
	int n = 0, cap = 0;

	*out = NULL;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, receiver, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, gkey, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *status;
		s_lab_t x;

		s_lab(w->config, &x, s_text(st, 0), s_text(st, 1), s_text(st, 6), s_text(st, 4), s_text(st, 7), s_text(st, 8));
		status = s_member_status(w, st, &x);
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = xrealloc(*out, (size_t)cap * sizeof(**out));
		}
		(*out)[n++] = (s_row_t){ .status = status != NULL ? xstrdup(status) : NULL,
			.kind = xstrdup(x.l.kind), .subject = xstrdup(x.l.subject), .name = xstrdup(s_text(st, 5)),
			.org_unit = xstrdup(x.l.org_unit), .period = xstrdup(x.l.period), .severity = xstrdup(s_text(st, 6)),
			.value = sqlite3_column_double(st, 9), .threshold = sqlite3_column_double(st, 10),
			.firing = strcmp(x.l.state, "firing") == 0 };
		*ninc += status != NULL;
		*changes += status != NULL && strcmp(status, "firing") != 0;
	}
	sqlite3_reset(st);
	return n;
}

/* s_after_flush - members told are up to date, resolved ones leave, timers move. */
static int
s_after_flush(worker_t *w, const char *receiver, const char *gkey, const s_row_t *rows, int n, int sent,
    int64_t repeat_ms, int64_t now)
{
	sqlite3_stmt *told = store_stmt(w->store, "UPDATE member SET changed = 0, notified_sev = ?"
	    " WHERE receiver = ? AND gkey = ? AND kind = ? AND subject = ?");
	sqlite3_stmt *gone = store_stmt(w->store, "DELETE FROM member WHERE receiver = ? AND gkey = ? AND kind = ? AND subject = ?");
	sqlite3_stmt *g = store_stmt(w->store, "UPDATE grp SET dirty = 0, next_at = ?, last_flush = CASE WHEN ? THEN ?"
	    " ELSE last_flush END WHERE receiver = ? AND gkey = ?");
	sqlite3_stmt *empty = store_stmt(w->store, "DELETE FROM grp WHERE receiver = ? AND gkey = ?"
	    " AND NOT EXISTS (SELECT 1 FROM member WHERE receiver = grp.receiver AND gkey = grp.gkey)");

	if (told == NULL || gone == NULL || g == NULL || empty == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		sqlite3_stmt *st = rows[i].firing ? told : gone;
		int k = rows[i].firing ? 2 : 1;

		if (rows[i].firing && (!sent || rows[i].status == NULL))
			continue;
		sqlite3_reset(st);
		if (rows[i].firing)
			sqlite3_bind_text(st, 1, rows[i].severity, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, k, receiver, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, k + 1, gkey, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, k + 2, rows[i].kind, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, k + 3, rows[i].subject, -1, SQLITE_TRANSIENT);
		if (store_step_done(w->store, st) != 0)
			return -1;
	}
	sqlite3_bind_int64(g, 1, now + repeat_ms);
	sqlite3_bind_int(g, 2, sent);
	sqlite3_bind_int64(g, 3, now);
	sqlite3_bind_text(g, 4, receiver, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(g, 5, gkey, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(empty, 1, receiver, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(empty, 2, gkey, -1, SQLITE_TRANSIENT);
	return store_step_done(w->store, g) == 0 && store_step_done(w->store, empty) == 0 ? 0 : -1;
}

/* s_flush - one due group: decide what it says now, store the notice, move its
 * timers. A change (new, escalated, resolved) is told after group_wait /
 * group_interval; an unchanged group repeats its open, unacknowledged alerts
 * after repeat_interval. */
static int
s_flush(worker_t *w, const char *receiver, const char *gkey, const char *scope, int dirty, int64_t repeat_ms,
    int64_t now)
{
	const config_t *cfg = w->config;
	int ri = cfg_alert_receiver(cfg->alert, receiver), ninc = 0, changes = 0, k = 0, rc = -1, send;
	s_row_t *rows = NULL;
	alert_item_t *items = NULL;
	int n = s_load_members(w, receiver, gkey, &rows, &ninc, &changes);

	if (n < 0)
		return -1;
	send = ri >= 0 && ninc > 0 && (changes > 0 || !dirty);
	if (send) {
		const cfg_receiver_t *rec = &cfg->alert->receivers[ri];
		long long nid = s_new_outmsg(w, receiver, scope, gkey, now);
		sb_t subj, text, json;

		if (nid < 0)
			goto out;
		items = xcalloc((size_t)ninc, sizeof(*items));
		for (int i = 0; i < n; i++) {
			int u;

			if (rows[i].status == NULL)
				continue;
			u = config_unit_index(cfg, rows[i].org_unit);
			items[k++] = (alert_item_t){ rows[i].status, rows[i].kind, rows[i].subject, rows[i].name,
				rows[i].org_unit, u >= 0 ? cfg->units[u].name : "", rows[i].period, rows[i].severity,
				rows[i].value, rows[i].threshold };
		}
		sb_init(&subj);
		sb_init(&text);
		sb_init(&json);
		format_notice(receiver, rec->role, scope, s_scope_name(cfg, rec, scope), gkey, nid, items, k,
		    &subj, &text, &json);
		rc = s_put_notice(w, rec, nid, scope, &subj, &text, &json, now);
		sb_free(&subj);
		sb_free(&text);
		sb_free(&json);
		if (rc != 0)
			goto out;
		log_info("notice %lld for %s (%s): %d alerts", nid, receiver, gkey, k);
	}
	rc = s_after_flush(w, receiver, gkey, rows, n, send, repeat_ms, now);
out:
	free(items);
	s_rows_free(rows, n);
	return rc;
}

/* s_flush_groups - flush the groups that are due (at most FLUSH_MAX), each
 * in its own transaction; returns how many were due. */
static int
s_flush_groups(worker_t *w, int64_t now)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT receiver, gkey, scope, dirty, repeat_ms FROM grp"
	    " WHERE next_at <= ? ORDER BY next_at, receiver, gkey LIMIT ?");
	struct { char *receiver, *gkey, *scope; int dirty; int64_t repeat; } due[FLUSH_MAX];
	int n = 0;

	if (st == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, FLUSH_MAX);
	while (n < FLUSH_MAX && sqlite3_step(st) == SQLITE_ROW) {
		due[n].receiver = xstrdup(s_text(st, 0));
		due[n].gkey = xstrdup(s_text(st, 1));
		due[n].scope = xstrdup(s_text(st, 2));
		due[n].dirty = sqlite3_column_int(st, 3);
		due[n].repeat = sqlite3_column_int64(st, 4);
		n++;
	}
	sqlite3_reset(st);
	if (n > 0)
		s_load_silences(w, now);
	for (int i = 0; i < n; i++) {
		if (store_begin(w->store) != 0)
			worker_error(w, "cannot begin a transaction (%s)", sqlite3_errstr(store_last_rc(w->store)));
		else if (s_flush(w, due[i].receiver, due[i].gkey, due[i].scope, due[i].dirty, due[i].repeat, now) != 0
		    || store_commit(w->store) != 0) {
			store_rollback(w->store);
			worker_error(w, "cannot flush the notice group %s/%s (%s)", due[i].receiver, due[i].gkey,
			    sqlite3_errstr(store_last_rc(w->store)));
		}
		free(due[i].receiver);
		free(due[i].gkey);
		free(due[i].scope);
	}
	return n;
}

/* s_backoff - exponential from retry.initial, capped at retry.max, with jitter in [d/2, d]. */
static int64_t
s_backoff(const cfg_alert_t *c, int attempts)
{
	int64_t d = c->retry.initial_ms;

	for (int i = 1; i < attempts && d < c->retry.max_ms; i++)
		d *= 2;
	if (d > c->retry.max_ms)
		d = c->retry.max_ms;
	return d / 2 + (d > 1 ? (int64_t)(random() % (d / 2 + 1)) : 0);
}

/* s_due - the due deliveries of a channel that are not in flight, most
 * overdue first: delivery, notice, recipient, receiver, scope, subject, text, JSON. */
static sqlite3_stmt *
s_due(worker_t *w, int ch, int64_t now, int max)
{
	sqlite3_stmt *st = store_stmt(w->store,
	    "SELECT d.id, d.out_id, d.recipients, o.receiver, o.scope, o.subject, o.text, o.json"
	    " FROM delivery d JOIN outmsg o ON o.id = d.out_id WHERE d.channel = ?1 AND d.sent_at IS NULL"
	    " AND d.dead_at IS NULL AND d.inflight = 0 AND d.next_at <= ?2 ORDER BY d.next_at, d.id LIMIT ?3");

	if (st == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, s_channels[ch], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int(st, 3, max);
	return st;
}

/* s_job - a job for the delivery of the current row of s_due: the e-mail
 * rendered for its one recipient, or the webhook's JSON with the receiver's
 * URL and secret as configured now. When the configuration no longer allows
 * it (no SMTP URL, no webhook), the job comes back already refused. */
static deliver_job_t *
s_job(worker_t *w, sqlite3_stmt *st, int ch, int64_t now)
{
	const cfg_alert_t *c = w->config->alert;
	deliver_job_t *job = xcalloc(1, sizeof(*job));
	const char *receiver = s_text(st, 3);
	int ri = cfg_alert_receiver(c, receiver);

	job->did = sqlite3_column_int64(st, 0);
	job->nid = sqlite3_column_int64(st, 1);
	job->channel = ch;
	job->receiver = xstrdup(receiver);
	job->result = -1; /* not attempted yet */
	if (ch == DELIVER_EMAIL) {
		char *rcpt = xstrdup(s_text(st, 2));
		sb_t m;

		if (c->smtp.url[0] == '\0' || !format_address_ok(rcpt)) {
			job->result = SEND_PERMANENT;
			snprintf(job->err, sizeof(job->err), "no SMTP URL configured, or no valid recipient");
		}
		sb_init(&m);
		format_email(&m, c->smtp.from_name, c->smtp.from, &rcpt, 1, s_text(st, 5), s_text(st, 6), job->nid,
		    job->did, now / 1000);
		job->rcpt = rcpt;
		job->body = m.data;
	} else if (ch == DELIVER_WEBHOOK) {
		job->body = xstrdup(s_text(st, 7));
		if (ri < 0 || c->receivers[ri].webhook_url == NULL) {
			job->result = SEND_PERMANENT;
			snprintf(job->err, sizeof(job->err), "receiver %s has no webhook now", receiver);
		} else {
			job->url = xstrdup(c->receivers[ri].webhook_url);
			job->secret = c->receivers[ri].webhook_secret != NULL ? xstrdup(c->receivers[ri].webhook_secret) : NULL;
			job->timeout_ms = c->receivers[ri].webhook_timeout_ms;
		}
	}
	return job;
}

/* s_dead_letter - tell the operator receivers of dead delivery did: a notice
 * by file always, and by each other channel they have but the one that
 * failed. A dead letter of such a notice is only logged (no loop). */
static int
s_dead_letter(worker_t *w, long long did, int64_t now)
{
	const cfg_alert_t *c = w->config->alert;
	sqlite3_stmt *st = store_stmt(w->store, "SELECT d.out_id, d.channel, coalesce(d.recipients, ''), d.attempts,"
	    " coalesce(d.last_error, ''), o.receiver, o.scope, o.gkey, coalesce(o.subject, '') FROM delivery d"
	    " JOIN outmsg o ON o.id = d.out_id WHERE d.id = ?");
	alert_dead_t dl;
	char gkey[64];
	int told = 0, rc = 0, ri, failed;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, did);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return -1;
	}
	if (strncmp(s_text(st, 7), "dead-letter=", 12) == 0) {
		log_error("the notice %lld about a dead letter is itself a dead letter; see the log above",
		    sqlite3_column_int64(st, 0));
		sqlite3_reset(st);
		return 0;
	}
	ri = cfg_alert_receiver(c, s_text(st, 5));
	dl = (alert_dead_t){ sqlite3_column_int64(st, 0), did, xstrdup(s_text(st, 5)),
		ri >= 0 ? c->receivers[ri].role : ROLE_OPERATOR, xstrdup(s_text(st, 6)), xstrdup(s_text(st, 1)),
		xstrdup(s_text(st, 2)), sqlite3_column_int(st, 3), xstrdup(s_text(st, 4)), xstrdup(s_text(st, 8)) };
	sqlite3_reset(st);
	failed = strcmp(dl.channel, "email") == 0 ? DELIVER_EMAIL : strcmp(dl.channel, "webhook") == 0
	    ? DELIVER_WEBHOOK : DELIVER_FILE;
	snprintf(gkey, sizeof(gkey), "dead-letter=%lld", did);
	for (int i = 0; i < c->nreceivers && rc == 0; i++) {
		const cfg_receiver_t *op = &c->receivers[i];
		unsigned channels = ((1u << DELIVER_EMAIL) | (1u << DELIVER_WEBHOOK)) & ~(1u << failed);
		long long nid;
		sb_t subj, text, json;

		if (op->role != ROLE_OPERATOR)
			continue;
		if ((nid = s_new_outmsg(w, op->name, "", gkey, now)) < 0) {
			rc = -1;
			break;
		}
		sb_init(&subj);
		sb_init(&text);
		sb_init(&json);
		sb_add(&subj, "");
		format_dead_letter(op->name, nid, &dl, &subj, &text, &json);
		rc = s_store_notice(w, nid, &subj, &text, &json);
		if (rc == 0) /* a file always, whatever failed and whatever the receiver's file setting */
			rc = s_enqueue(w, op, "", nid, channels | (1u << DELIVER_FILE), now);
		sb_free(&subj);
		sb_free(&text);
		sb_free(&json);
		told++;
		if (rc == 0)
			log_info("notice %lld tells %s of the dead letter (notice %lld by %s to %s)", nid, op->name, dl.notice,
			    dl.channel, dl.receiver);
	}
	if (rc == 0 && told == 0)
		log_error("no receiver has the role operator: nobody is told of the dead letter (notice %lld by %s to %s)",
		    dl.notice, dl.channel, dl.receiver);
	free((char *)dl.receiver);
	free((char *)dl.scope);
	free((char *)dl.channel);
	free((char *)dl.recipient);
	free((char *)dl.error);
	free((char *)dl.subject);
	return rc;
}

/* s_record - one attempt's outcome, inside the caller's transaction: sent;
 * or failed and due again after the backoff; or, refused permanent_attempts
 * times or failing for give_up_after, a dead letter that the operator is
 * told of. A file attempt is counted here (a network attempt was counted
 * when it was marked in flight). */
static int
s_record(worker_t *w, const deliver_job_t *job, int64_t now)
{
	const cfg_alert_t *c = w->config->alert;
	sqlite3_stmt *st;
	int64_t next, since;
	int attempts, refusals, dead;

	if (job->result == SEND_ABORTED)
		return 0; /* cut short by a stop: left in flight, so the restart counts it as a possible duplicate */
	if (job->result == SEND_OK) {
		st = store_stmt(w->store, "UPDATE delivery SET sent_at = ?, inflight = 0, attempts = attempts + ?,"
		    " last_error = NULL, failing_since = NULL WHERE id = ?");
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int(st, 2, job->channel == DELIVER_FILE);
		sqlite3_bind_int64(st, 3, job->did);
		if (store_step_done(w->store, st) != 0 || s_stat_add(w, "sent", 1) != 0)
			return -1;
		log_info("notice %lld sent by %s to %s", job->nid, s_channels[job->channel], job->receiver);
		return 0;
	}
	st = store_stmt(w->store, "SELECT attempts, refusals, coalesce(failing_since, ?) FROM delivery WHERE id = ?");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, job->did);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return 0; /* gone */
	}
	attempts = sqlite3_column_int(st, 0) + (job->channel == DELIVER_FILE);
	refusals = sqlite3_column_int(st, 1) + (job->result == SEND_PERMANENT);
	since = sqlite3_column_int64(st, 2);
	sqlite3_reset(st);
	dead = job->result == SEND_PERMANENT ? refusals >= c->retry.permanent_attempts
	    : now - since >= c->retry.give_up_after_ms;
	next = now + s_backoff(c, attempts);
	st = store_stmt(w->store, "UPDATE delivery SET inflight = 0, attempts = ?1, refusals = ?2, next_at = ?3,"
	    " last_error = ?4, failing_since = ?5, failed_at = ?6, dead_at = CASE WHEN ?7 THEN ?6 END WHERE id = ?8");
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, attempts);
	sqlite3_bind_int(st, 2, refusals);
	sqlite3_bind_int64(st, 3, next);
	sqlite3_bind_text(st, 4, job->err, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, since);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_int(st, 7, dead);
	sqlite3_bind_int64(st, 8, job->did);
	if (store_step_done(w->store, st) != 0 || s_stat_add(w, "failed_attempts", 1) != 0)
		return -1;
	if (!dead) {
		log_warn("notice %lld by %s to %s %s (attempt %d, next in %lld ms): %s", job->nid, s_channels[job->channel],
		    job->receiver, job->result == SEND_PERMANENT ? "refused" : "failed", attempts, (long long)(next - now),
		    job->err);
		return 0;
	}
	if (job->result == SEND_PERMANENT)
		worker_error(w, "notice %lld by %s to %s is a dead letter after %d attempts (refused %d times): %s",
		    job->nid, s_channels[job->channel], job->receiver, attempts, refusals, job->err);
	else
		worker_error(w, "notice %lld by %s to %s is a dead letter after %d attempts (failing for too long): %s",
		    job->nid, s_channels[job->channel], job->receiver, attempts, job->err);
	return s_stat_add(w, "dead_letters", 1) == 0 ? s_dead_letter(w, job->did, now) : -1;
}

/* s_health - the worker's state from its deliveries: "degraded" while any
 * has failed and been neither sent nor given up on since, with how many,
 * since when, the latest error and the dead letters; else "ready". */
static void
s_health(worker_t *w)
{
	s_state_t *s = w->state;
	sqlite3_stmt *st = store_stmt(w->store, "SELECT count(*), min(failing_since) FROM delivery"
	    " WHERE sent_at IS NULL AND dead_at IS NULL AND failing_since IS NOT NULL");
	sqlite3_stmt *last = store_stmt(w->store, "SELECT channel, last_error FROM delivery WHERE sent_at IS NULL"
	    " AND dead_at IS NULL AND failing_since IS NOT NULL ORDER BY failed_at DESC, id DESC LIMIT 1");
	char since[32], dead[48] = "", channel[16] = "", error[160] = "";
	time_t t, today;
	struct tm tm, now_tm;

	if (st == NULL || last == NULL)
		return;
	if (sqlite3_step(st) == SQLITE_ROW) {
		s->failing = sqlite3_column_int64(st, 0);
		s->failing_since = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (sqlite3_step(last) == SQLITE_ROW) {
		snprintf(channel, sizeof(channel), "%s", format_channel_en(s_text(last, 0)));
		snprintf(error, sizeof(error), "%s", s_text(last, 1));
	}
	sqlite3_reset(last);
	s->dead = s_stat(w, "dead_letters");
	if (s->failing == 0) {
		worker_set_state(w, "ready", NULL);
		return;
	}
	t = (time_t)(s->failing_since / 1000);
	today = (time_t)(s_now(w) / 1000);
	localtime_r(&t, &tm);
	localtime_r(&today, &now_tm);
	strftime(since, sizeof(since), tm.tm_yday == now_tm.tm_yday && tm.tm_year == now_tm.tm_year ? "%H:%M"
	    : "%Y-%m-%d %H:%M", &tm);
	if (s->dead > 0)
		snprintf(dead, sizeof(dead), "; %lld dead letter%s", s->dead, s->dead == 1 ? "" : "s");
	worker_set_state(w, "degraded", "%lld deliver%s failing since %s (%s: %s)%s", s->failing,
	    s->failing == 1 ? "y" : "ies", since, channel, error, dead);
}

/* s_record_pending - record every finished attempt in one transaction; a
 * channel's thread gets its next job only after its last one is recorded.
 * If the transaction fails, the results are kept and tried again next tick. */
static void
s_record_pending(worker_t *w)
{
	s_state_t *s = w->state;
	int64_t now = s_now(w);
	int rc = 0;

	if (s->pending == NULL)
		return;
	if (store_begin(w->store) != 0)
		rc = -1;
	for (deliver_job_t *j = s->pending; j != NULL && rc == 0; j = j->next)
		rc = s_record(w, j, now);
	if (rc == 0 && store_commit(w->store) == 0) {
		while (s->pending != NULL) {
			deliver_job_t *next = s->pending->next;

			if (s->pending->channel < DELIVER_NCHAN && s->busy[s->pending->channel] == s->pending->did)
				s->busy[s->pending->channel] = 0;
			deliver_job_free(s->pending);
			s->pending = next;
		}
		s_health(w);
		return;
	}
	store_rollback(w->store);
	worker_error(w, "cannot record delivery results (%s); tried again next tick",
	    sqlite3_errstr(store_last_rc(w->store)));
}

/* s_keep - add finished jobs to the ones waiting to be recorded. */
static void
s_keep(s_state_t *s, deliver_job_t *list)
{
	deliver_job_t **tail = &s->pending;

	while (*tail != NULL)
		tail = &(*tail)->next;
	*tail = list;
}

/* s_dispatch - give an idle delivery thread the most overdue delivery of its
 * channel: marked in flight with its attempt counted (committed) before the
 * thread may start, so if this process dies during the attempt, the next one
 * counts a possible duplicate. Returns 1 if a delivery was handed over. */
static int
s_dispatch(worker_t *w, int ch, int64_t now)
{
	s_state_t *s = w->state;
	sqlite3_stmt *st = s_due(w, ch, now, 1), *up;
	deliver_job_t *job;

	if (st == NULL)
		return 0;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return 0;
	}
	job = s_job(w, st, ch, now);
	sqlite3_reset(st);
	up = store_stmt(w->store, "UPDATE delivery SET inflight = 1, attempts = attempts + 1 WHERE id = ?");
	if (up == NULL) {
		deliver_job_free(job);
		return 0;
	}
	sqlite3_bind_int64(up, 1, job->did);
	if (store_step_done(w->store, up) != 0) {
		worker_error(w, "cannot mark notice %lld in flight (%s)", job->nid, sqlite3_errstr(store_last_rc(w->store)));
		deliver_job_free(job);
		return 0;
	}
	s->busy[ch] = job->did;
	if (job->result >= 0) { /* refused before any attempt */
		s_keep(s, job);
		s_record_pending(w);
		return 1;
	}
	deliver_submit(s->deliver, job);
	return 1;
}

/* s_deliver_files - write up to FILES_MAX due notice files, in the main
 * thread (local and bounded); returns how many were due. */
static int
s_deliver_files(worker_t *w, int64_t now)
{
	s_state_t *s = w->state;
	sqlite3_stmt *st = s_due(w, DELIVER_FILE, now, FILES_MAX);
	deliver_job_t *jobs = NULL, **tail = &jobs;
	int n = 0;

	if (st == NULL)
		return 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		deliver_job_t *job = xcalloc(1, sizeof(*job));
		char dir[4200];

		job->did = sqlite3_column_int64(st, 0);
		job->nid = sqlite3_column_int64(st, 1);
		job->channel = DELIVER_FILE;
		job->receiver = xstrdup(s_text(st, 3));
		if (check_notice_dir(w->config, w->var_dir, s_text(st, 3), s_text(st, 4), dir, sizeof(dir), job->err,
		    sizeof(job->err)) != 0)
			job->result = SEND_PERMANENT;
		else
			job->result = send_files(dir, job->nid, s_text(st, 7), s_text(st, 6), job->err, sizeof(job->err)) == 0
			    ? SEND_OK : SEND_TRANSIENT;
		*tail = job;
		tail = &job->next;
		n++;
	}
	sqlite3_reset(st);
	if (jobs != NULL) {
		s_keep(s, jobs);
		s_record_pending(w);
	}
	return n;
}

/* s_deliver - hand each idle thread its next delivery, write due files;
 * returns 1 if more files may be due at once. */
static int
s_deliver(worker_t *w, int64_t now)
{
	s_state_t *s = w->state;

	s_record_pending(w);
	if (s->pending != NULL)
		return 0; /* the store fails: nothing new until the results are recorded */
	for (int ch = 0; ch < DELIVER_NCHAN; ch++)
		if (s->busy[ch] == 0)
			s_dispatch(w, ch, now);
	return s_deliver_files(w, now) == FILES_MAX;
}

/* s_on_fd - attempts finished on the delivery threads: record them. */
static void
s_on_fd(worker_t *w)
{
	s_state_t *s = w->state;

	s_keep(s, deliver_results(s->deliver));
	s_record_pending(w);
}

/* s_poll_fd - the delivery threads' eventfd. */
static int
s_poll_fd(worker_t *w)
{
	s_state_t *s = w->state;

	return s != NULL ? deliver_fd(s->deliver) : -1;
}

/* s_resume - deliveries in flight when the worker stopped: each may have
 * arrived, so each is counted and logged as a possible duplicate and due again. */
static int
s_resume(worker_t *w)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT d.out_id, d.channel, o.receiver FROM delivery d"
	    " JOIN outmsg o ON o.id = d.out_id WHERE d.inflight = 1 AND d.sent_at IS NULL ORDER BY d.id");
	long long n = 0;
	int rc = 0;

	if (st == NULL || store_begin(w->store) != 0)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (strcmp(s_text(st, 1), "file") == 0)
			continue; /* rewritten under the same name */
		log_warn("notice %lld (%s to %s) was being sent when the worker stopped: it may arrive twice",
		    sqlite3_column_int64(st, 0), s_text(st, 1), s_text(st, 2));
		n++;
	}
	sqlite3_reset(st);
	if (n > 0)
		rc = s_stat_add(w, "possible_duplicates", n);
	if (rc == 0)
		rc = store_exec(w->store, "UPDATE delivery SET inflight = 0 WHERE inflight = 1");
	if (rc == 0 && store_commit(w->store) == 0)
		return 0;
	store_rollback(w->store);
	return -1;
}

/* s_summary_findings - open alerts counted by kind and district, as a table. */
static void
s_summary_findings(worker_t *w, sb_t *t)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT kind, org_unit, count(*) FROM alert WHERE state = 'firing'"
	    " GROUP BY kind, org_unit ORDER BY kind, org_unit");
	struct { char kind[32]; const char *district; long long n; } acc[256];
	int n = 0;

	if (st == NULL)
		return;
	while (sqlite3_step(st) == SQLITE_ROW) {
		s_lab_t x;
		int i;

		s_lab(w->config, &x, s_text(st, 0), "", "", s_text(st, 1), "firing", "");
		for (i = 0; i < n; i++)
			if (strcmp(acc[i].kind, s_text(st, 0)) == 0 && strcmp(acc[i].district, x.l.district) == 0)
				break;
		if (i == n) {
			if (n == 256)
				continue;
			snprintf(acc[n].kind, sizeof(acc[n].kind), "%s", s_text(st, 0));
			acc[n].district = x.l.district; /* points into the configuration */
			acc[n++].n = 0;
		}
		acc[i].n += sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	sb_addf(t, "  %-16s %-8s %-28s %s\n", "kind", "district", "", "count");
	for (int i = 0; i < n; i++) {
		int u = acc[i].district[0] ? config_unit_index(w->config, acc[i].district) : -1;

		sb_addf(t, "  %-16s %-8s %-28s %lld\n", acc[i].kind, acc[i].district[0] ? acc[i].district : "-",
		    u >= 0 ? w->config->units[u].name : "", acc[i].n);
	}
	if (n == 0)
		sb_add(t, "  (không có / none)\n");
}

/* s_summary_coverage - the coverage table of the latest period, read-only from the aggregate's database. */
static void
s_summary_coverage(worker_t *w, sb_t *t, sb_t *csv)
{
	char path[4200], period[16] = "";
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	snprintf(path, sizeof(path), "%s/db/aggregate.db", w->var_dir);
	if (access(path, R_OK) != 0 || sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto none;
	sqlite3_busy_timeout(db, 2000);
	if (sqlite3_prepare_v2(db, "SELECT max(period) FROM coverage", -1, &st, NULL) == SQLITE_OK
	    && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(period, sizeof(period), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (period[0] == '\0')
		goto none;
	sb_addf(t, "Kỳ / period %s:\n", period);
	if (report_coverage(db, period, NULL, REPORT_TABLE, t) != 0 || report_coverage(db, period, NULL, REPORT_CSV, csv) != 0)
		goto none;
	sqlite3_close(db);
	return;
none:
	sqlite3_close(db);
	sb_add(t, "  (chưa có dữ liệu / no data yet)\n");
}

/* s_summary - the monthly summary, once per month from its configured day and hour (local time). */
static void
s_summary(worker_t *w, int64_t now)
{
	const cfg_alert_t *c = w->config->alert;
	time_t secs = (time_t)(now / 1000);
	struct tm tm;
	char month[16];
	sqlite3_stmt *st;
	sb_t text, json, csv;
	int rc = 0;

	if (c->summary.nreceivers == 0)
		return;
	localtime_r(&secs, &tm);
	if (tm.tm_mday < c->summary.day || (tm.tm_mday == c->summary.day && tm.tm_hour < c->summary.hour))
		return;
	strftime(month, sizeof(month), "%Y-%m", &tm);
	st = store_stmt(w->store, "SELECT count(*) FROM summary_sent WHERE month = ?");
	if (st == NULL)
		return;
	sqlite3_bind_text(st, 1, month, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 1;
	sqlite3_reset(st);
	if (rc != 0)
		return;
	sb_init(&text);
	sb_init(&json);
	sb_init(&csv);
	sb_add(&csv, "");
	sb_addf(&text, "Báo cáo tháng %s: độ bao phủ BHXH, BHTN và các phát hiện đang mở\n"
	    "Monthly summary %s: social and unemployment insurance coverage, open findings\n\n"
	    "Độ bao phủ / Coverage\n", month, month);
	s_summary_coverage(w, &text, &csv);
	sb_add(&text, "\nPhát hiện đang mở theo loại và huyện / Open findings by kind and district\n");
	s_summary_findings(w, &text);
	if (store_begin(w->store) != 0)
		goto out;
	st = store_stmt(w->store, "INSERT INTO summary_sent(month, at) VALUES (?, ?)");
	if (st == NULL)
		rc = -1;
	else {
		sqlite3_bind_text(st, 1, month, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now);
		rc = store_step_done(w->store, st);
	}
	for (int i = 0; i < c->summary.nreceivers && rc == 0; i++) {
		const cfg_receiver_t *rec = &c->receivers[c->summary.receivers[i]];
		char gkey[64];
		long long nid;
		sb_t subj;

		snprintf(gkey, sizeof(gkey), "summary=%s", month);
		nid = s_new_outmsg(w, rec->name, "", gkey, now);
		if (nid < 0) {
			rc = -1;
			break;
		}
		sb_init(&subj);
		sb_addf(&subj, "[BHXH] Báo cáo tháng %s: độ bao phủ và phát hiện / Monthly summary %s", month, month);
		json.len = 0;
		sb_addf(&json, "{\"notice\": %lld, \"receiver\": ", nid);
		sb_json_str(&json, rec->name);
		sb_addf(&json, ", \"role\": \"%s\", \"summary\": \"%s\", \"coverage_csv\": ", alert_role_name(rec->role), month);
		sb_json_str(&json, csv.data);
		sb_add(&json, ", \"text\": ");
		sb_json_str(&json, text.data);
		sb_add(&json, "}\n");
		rc = s_put_notice(w, rec, nid, "", &subj, &text, &json, now);
		sb_free(&subj);
	}
	if (rc == 0 && store_commit(w->store) == 0)
		log_info("monthly summary %s queued for %d receivers", month, c->summary.nreceivers);
	else {
		store_rollback(w->store);
		worker_error(w, "cannot queue the monthly summary %s", month);
	}
out:
	sb_free(&text);
	sb_free(&json);
	sb_free(&csv);
}

/* s_on_message - store each event of a batch once (acknowledged after commit). */
static int
s_on_message(worker_t *w, const msg_t *m)
{
	if (m->type != MSG_T_EVENTS) {
		log_warn("ignored an unexpected %s message", msg_type_name(m->type));
		return 0;
	}
	if (m->u.events.seq > INT64_MAX) {
		log_warn("dropped %u events of message %llu: change number out of range", m->u.events.nevents,
		    (unsigned long long)m->id);
		return s_stat_add(w, "bad_events", m->u.events.nevents);
	}
	for (uint32_t i = 0; i < m->u.events.nevents; i++) {
		const msg_event_t *e = &m->u.events.events[i];
		sqlite3_stmt *st = store_stmt(w->store,
		    "INSERT OR IGNORE INTO notice(kind, subject, org_unit, period, severity, state, name, value,"
		    " threshold, seq, created_at) VALUES (?,?,?,?,?,?,?,?,?,?, strftime('%s','now'))");

		char why[128];

		if (st == NULL)
			return -1;
		if (check_event(w->config, e, why, sizeof(why)) != 0) {
			log_warn("dropped an invalid event (message %llu, event %u): %s", (unsigned long long)m->id, i, why);
			if (s_stat_add(w, "bad_events", 1) != 0)
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
	int64_t now = s_now(w);
	int again = 0, routed = 0;

	s_apply_acks(w, now);
	if (!s_seq_partial(w) && s_flush_groups(w, now) == FLUSH_MAX)
		again = 1; /* more groups due: flush them all before the next change */
	else {
		routed = s_route_seq(w, now);
		if (routed == 1 && s_flush_groups(w, s_now(w)) == FLUSH_MAX)
			again = 1;
	}
	s_summary(w, now);
	again |= s_deliver(w, s_now(w));
	return again || routed > 0;
}

/* s_init - the clock, libcurl, deliveries cut short last time, the delivery threads. */
static int
s_init(worker_t *w)
{
	s_state_t *s = xcalloc(1, sizeof(*s));
	const char *fake = getenv("BHXH_NOW");
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (fake != NULL && fake[0] != '\0')
		s->clock_base = atoll(fake) * 1000 - now_ms();
	else
		s->clock_base = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - now_ms();
	w->state = s;
	srandom((unsigned)(ts.tv_nsec ^ getpid()));
	if (s_resume(w) != 0) {
		log_error("cannot resume the deliveries in flight (%s)", sqlite3_errstr(store_last_rc(w->store)));
		return -1;
	}
	s_health(w);
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
	s_state_t *s = w->state;

	if (s == NULL)
		return;
	if (s->deliver != NULL) {
		deliver_stop(s->deliver);
		s_keep(s, deliver_results(s->deliver));
		s_record_pending(w);
		deliver_free(&s->deliver);
	}
	while (s->pending != NULL) {
		deliver_job_t *next = s->pending->next;

		deliver_job_free(s->pending);
		s->pending = next;
	}
	s_free_silences(s);
	if (s->curl_ready)
		curl_global_cleanup();
	free(s);
	w->state = NULL;
}

/* s_status - the alert worker's own fields of the status JSON. */
static void
s_status(worker_t *w, sb_t *json)
{
	s_state_t *s = w->state;

	sb_addf(json, ",\"deliveries_failing\":%lld,\"dead_letters\":%lld,\"failing_since\":", s->failing, s->dead);
	if (s->failing > 0)
		sb_addf(json, "%lld", (long long)(s->failing_since / 1000));
	else
		sb_add(json, "null");
	sb_addf(json, ",\"bad_events\":%lld", s_stat(w, "bad_events"));
}

static const struct worker_ops s_ops = {
	.name = "alert",
	.migrations = s_migrations,
	.nmigrations = 4,
	.input = "alert",
	.init = s_init,
	.on_message = s_on_message,
	.on_tick = s_on_tick,
	.poll_fd = s_poll_fd,
	.on_fd = s_on_fd,
	.status = s_status,
	.fini = s_fini,
	.tick_ms = 200,
};

int
main(int argc, char **argv)
{
	return worker_main(argc, argv, &s_ops);
}
