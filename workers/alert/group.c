/* group - the notice groups: marked when their alerts change, flushed when
 * due into one stored notice (outmsg) with its deliveries, in the
 * transaction that moves their timers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "kinds.h"
#include "log.h"
#include "xalloc.h"

typedef struct {
	char *status, *kind, *subject, *name, *org_unit, *period, *severity, *since, *reason;
	double value, threshold, amount, workers;
	int firing;
} s_row_t;


/* group_mark_dirty - a group's alerts changed: schedule its flush. */
int
group_mark_dirty(worker_t *w, const char *receiver, const char *gkey, int64_t now)
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

/* group_touch_members - every group already holding the alert hears of its change. */
int
group_touch_members(worker_t *w, const char *kind, const char *subject, int64_t now)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT receiver, gkey FROM member WHERE kind = ? AND subject = ?");
	sqlite3_stmt *up = store_stmt(w->store, "UPDATE member SET changed = 1 WHERE kind = ? AND subject = ?");
	int rc = 0;

	if (st == NULL || up == NULL)
		return -1;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, subject, -1, SQLITE_STATIC);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		rc = group_mark_dirty(w, alert_text(st, 0), alert_text(st, 1), now);
	sqlite3_reset(st);
	sqlite3_bind_text(up, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 2, subject, -1, SQLITE_STATIC);
	return rc == 0 ? store_step_done(w->store, up) : -1;
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

/* group_new_outmsg - a notice row; its id numbers the notice. -1 on error. */
long long
group_new_outmsg(worker_t *w, const char *receiver, const char *scope, const char *gkey, int64_t now)
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

/* group_store_notice - the rendered subject, text and JSON of notice nid. */
int
group_store_notice(worker_t *w, long long nid, const sb_t *subj, const sb_t *text, const sb_t *json, const sb_t *csv)
{
	sqlite3_stmt *st = store_stmt(w->store, "UPDATE outmsg SET subject = ?, text = ?, json = ?, csv = ? WHERE id = ?");

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, subj->data, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, text->data, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, json->data, -1, SQLITE_TRANSIENT);
	if (csv != NULL && csv->len > 0)
		sqlite3_bind_text(st, 4, csv->data, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, nid);
	return store_step_done(w->store, st);
}

/* group_store_html - the HTML alternative of notice nid, from its text. */
int
group_store_html(worker_t *w, long long nid, const char *text)
{
	sqlite3_stmt *st = store_stmt(w->store, "UPDATE outmsg SET html = ? WHERE id = ?");
	sb_t html;
	int rc;

	if (st == NULL)
		return -1;
	sb_init(&html);
	format_text_html(text, &html);
	sqlite3_bind_text(st, 1, html.data, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, nid);
	rc = store_step_done(w->store, st);
	sb_free(&html);
	return rc;
}

/* group_put_notice - store the rendered notice nid and queue its deliveries. */
int
group_put_notice(worker_t *w, const cfg_receiver_t *rec, long long nid, const char *scope, const sb_t *subj,
    const sb_t *text, const sb_t *json, const sb_t *csv, int64_t now)
{
	if (group_store_notice(w, nid, subj, text, json, csv) != 0)
		return -1;
	return queue_enqueue(w, rec, scope, nid, queue_channels(rec), now);
}

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
		free(rows[i].since);
		free(rows[i].reason);
	}
	free(rows);
}

/* s_member_status - what a member of a group says in this flush: new,
 * escalated, firing (repeat), resolved, or NULL (muted, acknowledged, a kind
 * told only once, or a resolution of something never told). */
static const char *
s_member_status(worker_t *w, sqlite3_stmt *st, const alert_lab_t *x)
{
	const char *sev = alert_text(st, 6), *notified = sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL : alert_text(st, 3);
	int changed = sqlite3_column_int(st, 2), acked = sqlite3_column_int(st, 11);

	if (strcmp(x->l.state, "firing") == 0) {
		if (route_silenced(w, &x->l) || route_inhibited(w, &x->l))
			return NULL;
		if (changed && notified == NULL)
			return "new";
		if (changed && alert_severity_rank(sev) > alert_severity_rank(notified))
			return "escalated";
		if (kind_find(x->l.kind) != NULL && kind_find(x->l.kind)->once)
			return NULL; /* told once (feed_stopped): no reminder */
		return acked ? NULL : "firing";
	}
	return changed && notified != NULL && !route_silenced(w, &x->l) ? "resolved" : NULL;
}

/* s_load_members - a group's members with their alerts and what each says now. */
static int
s_load_members(worker_t *w, const char *receiver, const char *gkey, const char *scope, s_row_t **out, int *ninc,
    int *changes)
{
	int ri = cfg_alert_receiver(w->config->alert, receiver);
	/* a district committee's group holds only alerts now in its district: an
	 * alert whose org unit moved elsewhere leaves it (and is dropped below) */
	int by_district = ri >= 0 && w->config->alert->receivers[ri].role == ROLE_DISTRICT_COMMITTEE && scope[0] != '\0';
	sqlite3_stmt *gone = by_district ? store_stmt(w->store, "DELETE FROM member WHERE receiver = ? AND gkey = ?"
	    " AND kind = ? AND subject = ?") : NULL;
	sqlite3_stmt *st = store_stmt(w->store,
	    "SELECT m.kind, m.subject, m.changed, m.notified_sev, a.org_unit, a.name, a.severity, a.state,"
	    " a.period, a.value, a.threshold, a.acked, coalesce(a.since, ''), coalesce(a.reason, ''),"
	    " coalesce(a.amount, 0), coalesce(a.workers, 0) FROM member m JOIN alert a ON a.kind = m.kind AND a.subject = m.subject"
	    " WHERE m.receiver = ? AND m.gkey = ? ORDER BY m.kind, m.subject");
	int n = 0, cap = 0, nleft = 0, capleft = 0;
	char *(*left)[2] = NULL;

	*out = NULL;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, receiver, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, gkey, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *status;
		alert_lab_t x;

		alert_lab(w->config, &x, alert_text(st, 0), alert_text(st, 1), alert_text(st, 6), alert_text(st, 4), alert_text(st, 7), alert_text(st, 8));
		if (by_district && strcmp(x.l.district, scope) != 0) {
			if (nleft == capleft) {
				capleft = capleft ? 2 * capleft : 8;
				left = xrealloc(left, (size_t)capleft * sizeof(*left));
			}
			left[nleft][0] = xstrdup(alert_text(st, 0));
			left[nleft++][1] = xstrdup(alert_text(st, 1));
			continue;
		}
		status = s_member_status(w, st, &x);
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = xrealloc(*out, (size_t)cap * sizeof(**out));
		}
		(*out)[n++] = (s_row_t){ .status = status != NULL ? xstrdup(status) : NULL,
			.kind = xstrdup(x.l.kind), .subject = xstrdup(x.l.subject), .name = xstrdup(alert_text(st, 5)),
			.org_unit = xstrdup(x.l.org_unit), .period = xstrdup(x.l.period), .severity = xstrdup(alert_text(st, 6)),
			.value = sqlite3_column_double(st, 9), .threshold = sqlite3_column_double(st, 10),
			.since = xstrdup(alert_text(st, 12)), .reason = xstrdup(alert_text(st, 13)),
			.amount = sqlite3_column_double(st, 14), .workers = sqlite3_column_double(st, 15),
			.firing = strcmp(x.l.state, "firing") == 0 };
		*ninc += status != NULL;
		*changes += status != NULL && strcmp(status, "firing") != 0;
	}
	sqlite3_reset(st);
	for (int i = 0; i < nleft; i++) {
		if (gone != NULL) {
			sqlite3_bind_text(gone, 1, receiver, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(gone, 2, gkey, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(gone, 3, left[i][0], -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(gone, 4, left[i][1], -1, SQLITE_TRANSIENT);
			if (sqlite3_step(gone) != SQLITE_DONE)
				log_warn("cannot drop an alert that left district %s from its group", scope);
			sqlite3_reset(gone);
		}
		free(left[i][0]);
		free(left[i][1]);
	}
	free(left);
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
	int n = s_load_members(w, receiver, gkey, scope, &rows, &ninc, &changes);

	if (n < 0)
		return -1;
	send = ri >= 0 && ninc > 0 && (changes > 0 || !dirty);
	if (send) {
		const cfg_receiver_t *rec = &cfg->alert->receivers[ri];
		long long nid = group_new_outmsg(w, receiver, scope, gkey, now);
		sb_t subj, text, json, csv;
		notice_ctx_t ctx = { cfg, rec, scope, s_scope_name(cfg, rec, scope), gkey, nid, now / 1000 };

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
				rows[i].value, rows[i].threshold, rows[i].since, rows[i].reason, rows[i].amount, rows[i].workers };
		}
		sb_init(&subj);
		sb_init(&text);
		sb_init(&json);
		sb_init(&csv);
		sb_add(&csv, "");
		format_notice(&ctx, items, k, &subj, &text, &json, &csv);
		rc = group_put_notice(w, rec, nid, scope, &subj, &text, &json, &csv, now);
		if (rc == 0)
			rc = group_store_html(w, nid, text.data);
		sb_free(&csv);
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

/* group_flush_due - flush the groups that are due (at most FLUSH_MAX), each
 * in its own transaction; returns how many were due. */
int
group_flush_due(worker_t *w, int64_t now)
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
		due[n].receiver = xstrdup(alert_text(st, 0));
		due[n].gkey = xstrdup(alert_text(st, 1));
		due[n].scope = xstrdup(alert_text(st, 2));
		due[n].dirty = sqlite3_column_int(st, 3);
		due[n].repeat = sqlite3_column_int64(st, 4);
		n++;
	}
	sqlite3_reset(st);
	if (n > 0)
		route_load_silences(w, now);
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
