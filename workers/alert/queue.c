/* queue - the delivery queue: due deliveries handed to the delivery threads
 * (files written here), results recorded with retries and backoff, dead
 * letters told to the operator, the worker's health from its deliveries. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "log.h"
#include "xalloc.h"

#define FILES_MAX 8         /* notice files written per tick */

static const char *const s_channels[] = { "email", "webhook", "file" }; /* DELIVER_*: the delivery.channel values */

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

/* queue_enqueue - the deliveries of notice nid on the channels (a set of
 * 1 << DELIVER_*) that the receiver has: a file, an e-mail to each
 * recipient, a webhook. */
int
queue_enqueue(worker_t *w, const cfg_receiver_t *rec, const char *scope, long long nid, unsigned channels, int64_t now)
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

/* queue_channels - the channels a receiver's notices go by. */
unsigned
queue_channels(const cfg_receiver_t *rec)
{
	return (1u << DELIVER_EMAIL) | (1u << DELIVER_WEBHOOK) | (rec->file ? 1u << DELIVER_FILE : 0);
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
 * overdue first: delivery, notice, recipient, receiver, scope, subject, text, JSON, CSV, HTML. */
static sqlite3_stmt *
s_due(worker_t *w, int ch, int64_t now, int max)
{
	sqlite3_stmt *st = store_stmt(w->store,
	    "SELECT d.id, d.out_id, d.recipients, o.receiver, o.scope, o.subject, o.text, o.json, o.csv, o.html"
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
	const char *receiver = alert_text(st, 3);
	int ri = cfg_alert_receiver(c, receiver);

	job->did = sqlite3_column_int64(st, 0);
	job->nid = sqlite3_column_int64(st, 1);
	job->channel = ch;
	job->receiver = xstrdup(receiver);
	job->result = -1; /* not attempted yet */
	if (ch == DELIVER_EMAIL) {
		char *rcpt = xstrdup(alert_text(st, 2));
		sb_t m;

		if (c->smtp.url[0] == '\0' || !format_address_ok(rcpt)) {
			job->result = SEND_PERMANENT;
			snprintf(job->err, sizeof(job->err), "no SMTP URL configured, or no valid recipient");
		}
		sb_init(&m);
		sb_t name;

		sb_init(&name);
		sb_add(&name, "");
		format_csv_name(&name, job->nid);
		format_email(&m, c->smtp.from_name, c->smtp.from, &rcpt, 1, alert_text(st, 5), alert_text(st, 6),
		    alert_text(st, 9), alert_text(st, 8), name.data, job->nid, job->did, now / 1000);
		sb_free(&name);
		job->rcpt = rcpt;
		job->body = m.data;
	} else if (ch == DELIVER_WEBHOOK) {
		job->body = xstrdup(alert_text(st, 7));
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
	if (strncmp(alert_text(st, 7), "dead-letter=", 12) == 0) {
		log_error("the notice %lld about a dead letter is itself a dead letter; see the log above",
		    sqlite3_column_int64(st, 0));
		sqlite3_reset(st);
		return 0;
	}
	ri = cfg_alert_receiver(c, alert_text(st, 5));
	dl = (alert_dead_t){ sqlite3_column_int64(st, 0), did, xstrdup(alert_text(st, 5)),
		ri >= 0 ? c->receivers[ri].role : ROLE_OPERATOR, xstrdup(alert_text(st, 6)), xstrdup(alert_text(st, 1)),
		xstrdup(alert_text(st, 2)), sqlite3_column_int(st, 3), xstrdup(alert_text(st, 4)), xstrdup(alert_text(st, 8)) };
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
		if ((nid = group_new_outmsg(w, op->name, "", gkey, now)) < 0) {
			rc = -1;
			break;
		}
		sb_init(&subj);
		sb_init(&text);
		sb_init(&json);
		sb_add(&subj, "");
		format_dead_letter(op->name, nid, &dl, &subj, &text, &json);
		rc = group_store_notice(w, nid, &subj, &text, &json, NULL);
		if (rc == 0) /* a file always, whatever failed and whatever the receiver's file setting */
			rc = queue_enqueue(w, op, "", nid, channels | (1u << DELIVER_FILE), now);
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
		if (store_step_done(w->store, st) != 0 || alert_stat_add(w, "sent", 1) != 0)
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
	if (store_step_done(w->store, st) != 0 || alert_stat_add(w, "failed_attempts", 1) != 0)
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
	return alert_stat_add(w, "dead_letters", 1) == 0 ? s_dead_letter(w, job->did, now) : -1;
}

/* queue_health - the worker's state from its deliveries: "degraded" while any
 * has failed and been neither sent nor given up on since, with how many,
 * since when, the latest error and the dead letters; else "ready". */
void
queue_health(worker_t *w)
{
	alert_state_t *s = w->state;
	sqlite3_stmt *st = store_stmt(w->store, "SELECT count(*), min(failing_since) FROM delivery"
	    " WHERE sent_at IS NULL AND dead_at IS NULL AND failing_since IS NOT NULL");
	sqlite3_stmt *last = store_stmt(w->store, "SELECT channel, last_error FROM delivery WHERE sent_at IS NULL"
	    " AND dead_at IS NULL AND failing_since IS NOT NULL ORDER BY failed_at DESC, id DESC LIMIT 1");
	char since[32], dead[48] = "", channel[16] = "", error[400] = "";
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
		snprintf(channel, sizeof(channel), "%s", format_channel_en(alert_text(last, 0)));
		snprintf(error, sizeof(error), "%s", alert_text(last, 1));
	}
	sqlite3_reset(last);
	s->dead = alert_stat(w, "dead_letters");
	if (s->failing == 0) {
		worker_set_state(w, "ready", NULL);
		return;
	}
	t = (time_t)(s->failing_since / 1000);
	today = (time_t)(alert_now(w) / 1000);
	localtime_r(&t, &tm);
	localtime_r(&today, &now_tm);
	strftime(since, sizeof(since), tm.tm_yday == now_tm.tm_yday && tm.tm_year == now_tm.tm_year ? "%H:%M"
	    : "%Y-%m-%d %H:%M", &tm);
	if (s->dead > 0)
		snprintf(dead, sizeof(dead), "; %lld dead letter%s", s->dead, s->dead == 1 ? "" : "s");
	worker_set_state(w, "degraded", "%lld deliver%s failing since %s (%s: %s)%s", s->failing,
	    s->failing == 1 ? "y" : "ies", since, channel, error, dead);
}

/* queue_record_pending - record every finished attempt in one transaction; a
 * channel's thread gets its next job only after its last one is recorded.
 * If the transaction fails, the results are kept and tried again next tick. */
void
queue_record_pending(worker_t *w)
{
	alert_state_t *s = w->state;
	int64_t now = alert_now(w);
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
		queue_health(w);
		return;
	}
	store_rollback(w->store);
	worker_error(w, "cannot record delivery results (%s); tried again next tick",
	    sqlite3_errstr(store_last_rc(w->store)));
}

/* queue_keep - add finished jobs to the ones waiting to be recorded. */
void
queue_keep(alert_state_t *s, deliver_job_t *list)
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
	alert_state_t *s = w->state;
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
		queue_keep(s, job);
		queue_record_pending(w);
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
	alert_state_t *s = w->state;
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
		job->receiver = xstrdup(alert_text(st, 3));
		if (check_notice_dir(w->config, w->var_dir, alert_text(st, 3), alert_text(st, 4), dir, sizeof(dir), job->err,
		    sizeof(job->err)) != 0)
			job->result = SEND_PERMANENT;
		else
			job->result = send_files(dir, job->nid, alert_text(st, 7), alert_text(st, 6), alert_text(st, 8), job->err,
			    sizeof(job->err)) == 0
			    ? SEND_OK : SEND_TRANSIENT;
		*tail = job;
		tail = &job->next;
		n++;
	}
	sqlite3_reset(st);
	if (jobs != NULL) {
		queue_keep(s, jobs);
		queue_record_pending(w);
	}
	return n;
}

/* queue_deliver - hand each idle thread its next delivery, write due files;
 * returns 1 if more files may be due at once. */
int
queue_deliver(worker_t *w, int64_t now)
{
	alert_state_t *s = w->state;

	queue_record_pending(w);
	if (s->pending != NULL)
		return 0; /* the store fails: nothing new until the results are recorded */
	for (int ch = 0; ch < DELIVER_NCHAN; ch++)
		if (s->busy[ch] == 0)
			s_dispatch(w, ch, now);
	return s_deliver_files(w, now) == FILES_MAX;
}

/* queue_resume - deliveries in flight when the worker stopped: each may have
 * arrived, so each is counted and logged as a possible duplicate and due again. */
int
queue_resume(worker_t *w)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT d.out_id, d.channel, o.receiver FROM delivery d"
	    " JOIN outmsg o ON o.id = d.out_id WHERE d.inflight = 1 AND d.sent_at IS NULL ORDER BY d.id");
	long long n = 0;
	int rc = 0;

	if (st == NULL || store_begin(w->store) != 0)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (strcmp(alert_text(st, 1), "file") == 0)
			continue; /* rewritten under the same name */
		log_warn("notice %lld (%s to %s) was being sent when the worker stopped: it may arrive twice",
		    sqlite3_column_int64(st, 0), alert_text(st, 1), alert_text(st, 2));
		n++;
	}
	sqlite3_reset(st);
	if (n > 0)
		rc = alert_stat_add(w, "possible_duplicates", n);
	if (rc == 0)
		rc = store_exec(w->store, "UPDATE delivery SET inflight = 0 WHERE inflight = 1");
	if (rc == 0 && store_commit(w->store) == 0)
		return 0;
	store_rollback(w->store);
	return -1;
}
