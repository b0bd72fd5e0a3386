/* route - events into alerts: each stored event, in the order of the
 * aggregate's change numbers, is folded into its alert (kind + subject); a
 * change walks the routing tree into the groups of the receivers it reaches.
 * Also the alert's labels, acknowledgements, silences and inhibition. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "log.h"
#include "xalloc.h"

#define ROUTE_MAX_S "500"   /* events routed in one transaction */

/* alert_lab - an alert's labels, with its org unit's path and district from the configuration. */
void
alert_lab(const config_t *c, alert_lab_t *x, const char *kind, const char *subject, const char *severity,
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

/* s_group_key - the group of a receiver: one digest per receiver and scope
 * ("digest=" and the district or agency, or nothing), whatever the route's
 * group_by, so a receiver gets at most one notice per group interval. */
static void
s_group_key(const char *scope, sb_t *b)
{
	sb_addf(b, "digest=%s", scope);
}

/* route_alert - put the alert into the groups of every receiver its routes reach. */
int
route_alert(worker_t *w, const alert_lab_t *x, int64_t now)
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
		s_group_key(scope, &key);
		g = store_stmt(w->store,
		    "INSERT INTO grp(receiver, gkey, scope, wait_ms, interval_ms, repeat_ms, dirty, first_at, next_at)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?7 + ?4) ON CONFLICT(receiver, gkey) DO UPDATE SET"
		    " wait_ms = min(wait_ms, excluded.wait_ms), interval_ms = min(interval_ms, excluded.interval_ms),"
		    " repeat_ms = min(repeat_ms, excluded.repeat_ms)");
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
		    && group_mark_dirty(w, rec->name, key.data, now) == 0 ? 0 : -1;
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
	const char *kind = alert_text(ev, 1), *subject = alert_text(ev, 2), *unit = alert_text(ev, 3), *period = alert_text(ev, 4);
	const char *sev = alert_text(ev, 5), *state = alert_text(ev, 6), *name = alert_text(ev, 7);
	sqlite3_stmt *prev = store_stmt(w->store, "SELECT state, severity, reason FROM alert WHERE kind = ? AND subject = ?");
	sqlite3_stmt *up;
	int had = 0, firing = 0, prev_rank = -1, changed, quiet = 0;
	alert_lab_t x;

	if (prev == NULL)
		return -1;
	sqlite3_bind_text(prev, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(prev, 2, subject, -1, SQLITE_STATIC);
	if (sqlite3_step(prev) == SQLITE_ROW) {
		had = 1;
		firing = strcmp(alert_text(prev, 0), "firing") == 0;
		prev_rank = alert_severity_rank(alert_text(prev, 1));
		quiet = !firing && strcmp(alert_text(prev, 2), "tree_changed") == 0;
	}
	sqlite3_reset(prev);
	if (strcmp(state, "resolved") == 0) {
		if (!firing)
			return 0; /* nothing open to resolve */
		up = store_stmt(w->store, "UPDATE alert SET state = 'resolved', period = ?, changed_at = ?, acked = 0,"
		    " reason = ? WHERE kind = ? AND subject = ?");
		if (up == NULL)
			return -1;
		sqlite3_bind_text(up, 1, period, -1, SQLITE_STATIC);
		sqlite3_bind_int64(up, 2, now);
		sqlite3_bind_text(up, 3, alert_text(ev, 11), -1, SQLITE_STATIC);
		sqlite3_bind_text(up, 4, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(up, 5, subject, -1, SQLITE_STATIC);
		if (store_step_done(w->store, up) != 0)
			return -1;
		/* ended because its unit changed with the tree: nothing to tell anyone */
		return strcmp(alert_text(ev, 11), "tree_changed") == 0 ? 0 : group_touch_members(w, kind, subject, now);
	}
	/* new, escalated or updated: a change when it was not open, or its
	 * severity rose; otherwise (an update) the alert's figures are renewed
	 * silently, so that reminders tell what holds now */
	changed = !had || !firing || alert_severity_rank(sev) > prev_rank;
	if (quiet && alert_severity_rank(sev) <= prev_rank)
		changed = 0; /* back after a quiet end with the tree: it goes on, no news */
	if (!had && strcmp(state, "updated") == 0 && strcmp(alert_text(ev, 11), "tree_changed") == 0)
		changed = 0; /* a finding that goes on under a new name (its unit was merged): no news */
	up = store_stmt(w->store,
	    "INSERT INTO alert(kind, subject, org_unit, name, severity, state, period, value, threshold, changed_at,"
	    " since, reason, amount, workers) VALUES (?1, ?2, ?3, ?4, ?5, 'firing', ?6, ?7, ?8, ?9, ?11, '', ?12, ?13)"
	    " ON CONFLICT(kind, subject) DO UPDATE SET"
	    " org_unit = excluded.org_unit, name = excluded.name, severity = excluded.severity, state = 'firing',"
	    " period = excluded.period, value = excluded.value, threshold = excluded.threshold,"
	    " since = excluded.since, reason = '', amount = excluded.amount, workers = excluded.workers,"
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
	sqlite3_bind_text(up, 11, alert_text(ev, 10), -1, SQLITE_STATIC);
	sqlite3_bind_double(up, 12, sqlite3_column_double(ev, 12));
	sqlite3_bind_double(up, 13, sqlite3_column_double(ev, 13));
	if (store_step_done(w->store, up) != 0)
		return -1;
	if (!changed)
		return 0;
	if (group_touch_members(w, kind, subject, now) != 0)
		return -1;
	alert_lab(w->config, &x, kind, subject, sev, unit, "firing", period);
	return route_alert(w, &x, now);
}

/* route_seq_partial - 1 if the lowest change number still waiting to be routed
 * has events routed already (a change is routed in parts of ROUTE_MAX). */
int
route_seq_partial(worker_t *w)
{
	return store_int(w->store, "SELECT EXISTS (SELECT 1 FROM notice WHERE routed_at IS NOT NULL AND seq ="
	    " (SELECT seq FROM notice WHERE routed_at IS NULL ORDER BY seq, id LIMIT 1))", 0) == 1;
}

/* route_seq - route the stored events of the lowest change number waiting,
 * at most ROUTE_MAX of them in one transaction. Returns 0 if none waits, 1 if
 * that change is now routed whole, 2 if more of it waits, -1 on error. */
int
route_seq(worker_t *w, int64_t now)
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
	st = store_stmt(w->store, "SELECT id, kind, subject, org_unit, period, severity, state, name, value, threshold,"
	    " coalesce(since, ''), coalesce(reason, ''), coalesce(amount, 0), coalesce(workers, 0) FROM notice WHERE routed_at IS NULL AND seq = ? ORDER BY id LIMIT " ROUTE_MAX_S);
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

/* route_apply_acks - acknowledgements an older bhxhctl queued in
 * ack_request: repeats stop until the state changes. */
void
route_apply_acks(worker_t *w, int64_t now)
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
		sqlite3_bind_text(up, 1, alert_text(st, 3), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(up, 2, alert_text(st, 1), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(up, 3, alert_text(st, 2), -1, SQLITE_TRANSIENT);
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

/* route_free_silences - drop the loaded silences. */
void
route_free_silences(alert_state_t *s)
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

/* route_load_silences - the silences active now (matchers one per line). */
void
route_load_silences(worker_t *w, int64_t now)
{
	alert_state_t *s = w->state;
	sqlite3_stmt *st = store_stmt(w->store,
	    "SELECT matchers FROM silence WHERE expired_at IS NULL AND ends_at > ? ORDER BY id");

	route_free_silences(s);
	if (st == NULL)
		return;
	sqlite3_bind_int64(st, 1, now);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *lines = xstrdup(alert_text(st, 0)), *save = NULL, err[200];
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

/* route_silenced - an active silence matches. */
int
route_silenced(worker_t *w, const alert_labels_t *l)
{
	alert_state_t *s = w->state;

	for (int i = 0; i < s->nsil; i++)
		if (alert_matches(s->sil[i], s->nsilm[i], l))
			return 1;
	return 0;
}

/* route_inhibited - a firing source alert of some rule mutes this one. O(firing
 * alerts) per rule, O(alerts of the subject) when the rule compares subject. */
int
route_inhibited(worker_t *w, const alert_labels_t *l)
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
			alert_lab_t x;

			if (strcmp(alert_text(st, 0), l->kind) == 0 && strcmp(alert_text(st, 1), l->subject) == 0)
				continue;
			alert_lab(w->config, &x, alert_text(st, 0), alert_text(st, 1), alert_text(st, 2), alert_text(st, 3), "firing", alert_text(st, 4));
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
