/* metrics - status answers as Prometheus text and a health verdict (see metrics.h).
 *
 * Trusts the status answers no further than their JSON: a value that is not a
 * number is left out, a label value is escaped whatever it holds, and a
 * malformed answer gives only the worker's up and restarts. */
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DEPTH_MAX 16

/* What a field of the status becomes. A field with a label is an object
 * whose members are the label's values; one with age is a unix time shown as
 * the seconds since then (by the worker's clock: its "time"). */
typedef struct {
	const char *metric, *type, *help, *field, *label;
	int age;
} s_field_t;

static const s_field_t s_fields[] = {
	{ "bhxh_worker_messages_in_total", "counter", "Messages taken in on the worker's data socket since it started.",
	  "msgs_in", NULL, 0 },
	{ "bhxh_worker_messages_out_total", "counter", "Messages sent from the worker's outboxes since it started,"
	  " resends included.", "msgs_out", NULL, 0 },
	{ "bhxh_worker_bad_messages_total", "counter", "Messages dropped as malformed or misplaced since the worker"
	  " started.", "bad_msgs", NULL, 0 },
	{ "bhxh_worker_forbidden_messages_total", "counter", "Messages dropped because their sender may not send that"
	  " type (counted among the bad messages too).", "forbidden_msgs", NULL, 0 },
	{ "bhxh_worker_refused_connections_total", "counter", "tcp connections refused in the CURVE handshake (a key"
	  " not allowed on that socket) since the worker started.", "refused_connections", NULL, 0 },
	{ "bhxh_worker_outbox_messages", "gauge", "Messages in the worker's outboxes not yet acknowledged by the next"
	  " worker (its backlog).", "outbox", NULL, 0 },
	{ "bhxh_worker_starts_total", "counter", "Times the worker started on its database (counted there: restarts"
	  " by a supervisor, by systemd or by hand).", "starts", NULL, 0 },
	{ "bhxh_worker_last_error_age_seconds", "gauge", "Seconds since the worker's last error (none since it started:"
	  " no sample).", "last_error_at", NULL, 1 },
	{ "bhxh_ingest_files_taken_total", "counter", "Files ingest took from the drop folders since it started.",
	  "files_taken", NULL, 0 },
	{ "bhxh_ingest_files_refused_total", "counter", "Files ingest refused whole since it started.", "files_refused",
	  NULL, 0 },
	{ "bhxh_ingest_files_repeat_total", "counter", "Files ingest found to be repeats of files taken before, since"
	  " it started.", "files_repeat", NULL, 0 },
	{ "bhxh_ingest_rows_read_total", "counter", "Rows ingest read and sent on since it started.", "rows_read", NULL,
	  0 },
	{ "bhxh_validate_rows_checked_total", "counter", "Rows the validator checked (kept in its database).",
	  "rows_checked", NULL, 0 },
	{ "bhxh_validate_rows_rejected_total", "counter", "Rows the validator rejected (kept in its database).",
	  "rows_rejected", NULL, 0 },
	{ "bhxh_aggregate_files_total", "counter", "Files the aggregate decided, by outcome (applied, rejected,"
	  " superseded, dropped; kept in its database).", "files", "outcome", 0 },
	{ "bhxh_aggregate_files_quarantined", "gauge", "Files set aside now, waiting for an operator's decision.",
	  "quarantined", NULL, 0 },
	{ "bhxh_aggregate_files_waiting", "gauge", "Files whose end arrived and that are not yet decided.",
	  "files_waiting", NULL, 0 },
	{ "bhxh_aggregate_rows_applied_total", "counter", "Rows of applied files written into the aggregate's tables"
	  " (kept in its database).", "rows_applied", NULL, 0 },
	{ "bhxh_aggregate_rows_refused_on_recheck_total", "counter", "Rows the validator passed that the aggregate's"
	  " own check refused, since it started.", "rows_refused_on_recheck", NULL, 0 },
	{ "bhxh_aggregate_last_applied_age_seconds", "gauge", "Seconds since the last file of each agency was applied"
	  " (agencies with no applied file: no sample).", "last_applied", "agency", 1 },
	{ "bhxh_alert_deliveries_failing", "gauge", "Deliveries of notices that failed and are still being retried.",
	  "deliveries_failing", NULL, 0 },
	{ "bhxh_alert_failing_age_seconds", "gauge", "Seconds since the oldest delivery still failing first failed"
	  " (none failing: no sample).", "failing_since", NULL, 1 },
	{ "bhxh_alert_dead_letters_total", "counter", "Deliveries given up on (dead letters; kept in the alert"
	  " worker's database).", "dead_letters", NULL, 0 },
	{ "bhxh_alert_deliveries_sent_total", "counter", "Notices delivered, one per channel and recipient (kept in the"
	  " alert worker's database).", "deliveries_sent", NULL, 0 },
	{ "bhxh_alert_failed_attempts_total", "counter", "Delivery attempts that failed (kept in the alert worker's"
	  " database).", "failed_attempts", NULL, 0 },
	{ "bhxh_alert_bad_events_total", "counter", "Events from the aggregate the alert worker could not use.",
	  "bad_events", NULL, 0 },
};

static const char *const s_states[] = { "ready", "busy", "waiting", "retrying", "degraded", "stopped", NULL };

/* ---- a small JSON reader for our own status answers -------------------- */

static const char *
s_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* s_skip - p at a value: the character after it, or NULL if malformed. */
static const char *
s_skip(const char *p, int depth)
{
	const char *s;

	p = s_ws(p);
	if (depth > S_DEPTH_MAX)
		return NULL;
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++)
			if (*p == '\\' && *++p == '\0')
				return NULL;
		return *p == '"' ? p + 1 : NULL;
	}
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		int obj = *p == '{';

		p = s_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				if (*p != '"' || (p = s_skip(p, depth + 1)) == NULL)
					return NULL;
				p = s_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			if ((p = s_skip(p, depth + 1)) == NULL)
				return NULL;
			p = s_ws(p);
			if (*p == close)
				return p + 1;
			if (*p != ',')
				return NULL;
			p = s_ws(p + 1);
		}
	}
	for (s = p; *p != '\0' && strchr("+-0123456789.eEtrufalsn", *p) != NULL; p++)
		;
	return p > s ? p : NULL;
}

/* s_next - the next member of an object whose members start at *p (just
 * after '{' or after the previous member); 1 with key and value spans, 0 at
 * the end or on malformed text. */
static int
s_next(const char **p, const char **key, size_t *klen, const char **val, size_t *vlen)
{
	const char *q = s_ws(*p), *e;

	if (*q == ',')
		q = s_ws(q + 1);
	if (*q != '"' || (e = s_skip(q, 0)) == NULL)
		return 0;
	*key = q + 1;
	*klen = (size_t)(e - q - 2);
	q = s_ws(e);
	if (*q != ':')
		return 0;
	q = s_ws(q + 1);
	if ((e = s_skip(q, 0)) == NULL)
		return 0;
	*val = q;
	*vlen = (size_t)(e - q);
	*p = e;
	return 1;
}

/* s_open - p at an object: its members' start, or NULL. */
static const char *
s_open(const char *p, size_t len)
{
	p = s_ws(p);
	return len > 0 && *p == '{' ? p + 1 : NULL;
}

int
metrics_json_get(const char *json, const char *key, const char **val, size_t *len)
{
	const char *p = json != NULL ? s_open(json, 1) : NULL, *k;
	size_t kl, n = strlen(key);

	while (p != NULL && s_next(&p, &k, &kl, val, len))
		if (kl == n && memcmp(k, key, n) == 0)
			return 0;
	return -1;
}

/* s_utf8 - code point c as UTF-8 into out at *i (room permitting). */
static void
s_utf8(char *out, size_t size, size_t *i, unsigned long c)
{
	char b[4];
	size_t n;

	if (c < 0x80) {
		b[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (char)(0xc0 | (c >> 6));
		b[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (char)(0xe0 | (c >> 12));
		b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (c >> 18));
		b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	if (*i + n < size) {
		memcpy(out + *i, b, n);
		*i += n;
	}
}

int
metrics_json_string(const char *val, size_t len, char *out, size_t size)
{
	size_t i = 0;
	const char *end = val + len;

	if (size == 0)
		return -1;
	out[0] = '\0';
	if (len < 2 || val[0] != '"' || end[-1] != '"')
		return -1;
	for (const char *p = val + 1; p < end - 1; p++) {
		unsigned long c = (unsigned char)*p;

		if (c == '\\' && p + 1 < end - 1) {
			p++;
			switch (*p) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u':
				if (p + 4 < end - 1 && strspn(p + 1, "0123456789abcdefABCDEF") >= 4) {
					char hex[5] = { p[1], p[2], p[3], p[4], 0 };

					c = strtoul(hex, NULL, 16);
					p += 4;
					if (c >= 0xd800 && c <= 0xdfff)
						c = 0xfffd; /* we never write surrogates */
					s_utf8(out, size, &i, c);
					continue;
				}
				c = '?';
				break;
			default: c = (unsigned char)*p; break;
			}
		}
		if (i + 1 < size)
			out[i++] = (char)c;
	}
	out[i] = '\0';
	return 0;
}

int
metrics_json_number(const char *val, size_t len, double *v)
{
	char buf[64], *end;

	if (len == 0 || len >= sizeof(buf) || strchr("-0123456789", val[0]) == NULL)
		return -1;
	memcpy(buf, val, len);
	buf[len] = '\0';
	*v = strtod(buf, &end);
	return *end == '\0' && isfinite(*v) ? 0 : -1;
}

/* ---- the text format ----------------------------------------------------- */

void
metrics_label_value(sb_t *out, const char *s)
{
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '\\')
			sb_add(out, "\\\\");
		else if (*p == '"')
			sb_add(out, "\\\"");
		else if (*p == '\n')
			sb_add(out, "\\n");
		else
			sb_addn(out, p, 1);
	}
}

/* s_help - a HELP text: \ as \\, line feed as \n. */
static void
s_help(sb_t *out, const char *s)
{
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '\\')
			sb_add(out, "\\\\");
		else if (*p == '\n')
			sb_add(out, "\\n");
		else
			sb_addn(out, p, 1);
	}
}

/* s_value - a sample value: integers as integers, else %.17g. */
static void
s_value(sb_t *out, double v)
{
	if (v == 0)
		v = 0; /* not -0 */
	if (v == floor(v) && fabs(v) < 1e15)
		sb_addf(out, "%.0f", v);
	else
		sb_addf(out, "%.17g", v);
}

/* s_sample - NAME{worker="W"[,LABEL="V"]} VALUE */
static void
s_sample(sb_t *out, const char *metric, const char *worker, const char *label, const char *lv, double v)
{
	sb_addf(out, "%s{worker=\"", metric);
	metrics_label_value(out, worker);
	sb_add(out, "\"");
	if (label != NULL) {
		sb_addf(out, ",%s=\"", label);
		metrics_label_value(out, lv);
		sb_add(out, "\"");
	}
	sb_add(out, "} ");
	s_value(out, v);
	sb_add(out, "\n");
}

/* s_family - HELP and TYPE, then the samples gathered in body (nothing at
 * all when there are none). */
static void
s_family(sb_t *out, const char *metric, const char *type, const char *help, const sb_t *body)
{
	if (body->len == 0)
		return;
	sb_addf(out, "# HELP %s ", metric);
	s_help(out, help);
	sb_addf(out, "\n# TYPE %s %s\n", metric, type);
	sb_addn(out, body->data, body->len);
}

/* s_num - a top-level number of a status answer; 0 or -1. */
static int
s_num(const char *json, const char *key, double *v)
{
	const char *val;
	size_t len;

	return metrics_json_get(json, key, &val, &len) == 0 ? metrics_json_number(val, len, v) : -1;
}

/* s_field - the samples of one field for one worker into b. */
static void
s_field(sb_t *b, const s_field_t *f, const metrics_worker_t *w)
{
	const char *val, *p, *k, *mv;
	size_t len, kl, ml;
	double v, now = 0;

	if (w->body == NULL || metrics_json_get(w->body, f->field, &val, &len) != 0)
		return;
	if (f->age && s_num(w->body, "time", &now) != 0)
		return;
	if (f->label == NULL) {
		if (metrics_json_number(val, len, &v) != 0 || (f->age && v <= 0))
			return;
		s_sample(b, f->metric, w->name, NULL, NULL, f->age ? (now - v > 0 ? now - v : 0) : v);
		return;
	}
	for (p = s_open(val, len); p != NULL && s_next(&p, &k, &kl, &mv, &ml);) {
		char lv[256];

		if (metrics_json_number(mv, ml, &v) != 0 || (f->age && v <= 0))
			continue;
		if (kl >= sizeof(lv) || metrics_json_string(k - 1, kl + 2, lv, sizeof(lv)) != 0)
			continue;
		s_sample(b, f->metric, w->name, f->label, lv, f->age ? (now - v > 0 ? now - v : 0) : v);
	}
}

void
metrics_render(const metrics_worker_t *ws, int n, double collect_s, sb_t *out)
{
	sb_t b;

	sb_init(&b);
	sb_add(&b, "");
	for (int i = 0; i < n; i++)
		s_sample(&b, "bhxh_worker_up", ws[i].name, NULL, NULL, ws[i].body != NULL);
	s_family(out, "bhxh_worker_up", "gauge", "1 when the worker answered \"status\" on its control socket within"
	    " 2 s, else 0.", &b);
	b.len = 0;
	for (int i = 0; i < n; i++) {
		char state[32] = "";
		const char *val;
		size_t len;
		int known = 0;

		if (ws[i].body == NULL || metrics_json_get(ws[i].body, "state", &val, &len) != 0 ||
		    metrics_json_string(val, len, state, sizeof(state)) != 0)
			continue;
		for (int s = 0; s_states[s] != NULL; s++) {
			s_sample(&b, "bhxh_worker_state", ws[i].name, "state", s_states[s], strcmp(state, s_states[s]) == 0);
			known |= strcmp(state, s_states[s]) == 0;
		}
		if (!known)
			s_sample(&b, "bhxh_worker_state", ws[i].name, "state", state, 1);
	}
	s_family(out, "bhxh_worker_state", "gauge", "1 for the state the worker is in (ready, busy, waiting, retrying,"
	    " degraded, stopped), 0 for the others.", &b);
	b.len = 0;
	for (int i = 0; i < n; i++) {
		double since, now;

		if (ws[i].body != NULL && s_num(ws[i].body, "since", &since) == 0 && s_num(ws[i].body, "time", &now) == 0)
			s_sample(&b, "bhxh_worker_state_seconds", ws[i].name, NULL, NULL, now - since > 0 ? now - since : 0);
	}
	s_family(out, "bhxh_worker_state_seconds", "gauge", "Seconds the worker has been in its current state.", &b);
	b.len = 0;
	for (int i = 0; i < n; i++)
		if (ws[i].restarts >= 0)
			s_sample(&b, "bhxh_worker_restarts_total", ws[i].name, NULL, NULL, (double)ws[i].restarts);
	s_family(out, "bhxh_worker_restarts_total", "counter", "Restarts of the worker by this var dir's supervisor"
	    " (workers it does not run: no sample).", &b);
	for (size_t f = 0; f < sizeof(s_fields) / sizeof(s_fields[0]); f++) {
		b.len = 0;
		for (int i = 0; i < n; i++)
			s_field(&b, &s_fields[f], &ws[i]);
		s_family(out, s_fields[f].metric, s_fields[f].type, s_fields[f].help, &b);
	}
	sb_add(out, "# HELP bhxh_metrics_collect_seconds Seconds it took to ask every worker for its status.\n"
	    "# TYPE bhxh_metrics_collect_seconds gauge\nbhxh_metrics_collect_seconds ");
	sb_addf(out, "%.3f\n", collect_s);
	sb_free(&b);
}

int
metrics_health(const metrics_worker_t *ws, int n, sb_t *out)
{
	int bad = 0;

	sb_add(out, "");
	for (int i = 0; i < n; i++) {
		char state[32] = "", why[512] = "";
		const char *val;
		size_t len;

		if (ws[i].body == NULL) {
			sb_addf(out, "%s: not answering at %s (%s)\n", ws[i].name, ws[i].endpoint ? ws[i].endpoint : "?",
			    ws[i].error ? ws[i].error : "no answer");
			bad++;
			continue;
		}
		if (metrics_json_get(ws[i].body, "state", &val, &len) != 0 ||
		    metrics_json_string(val, len, state, sizeof(state)) != 0) {
			sb_addf(out, "%s: its answer has no state\n", ws[i].name);
			bad++;
			continue;
		}
		if (strcmp(state, "ready") == 0 || strcmp(state, "busy") == 0)
			continue;
		if (metrics_json_get(ws[i].body, "why", &val, &len) == 0)
			metrics_json_string(val, len, why, sizeof(why));
		for (char *p = why; *p != '\0'; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		sb_addf(out, "%s: %s%s%s\n", ws[i].name, state, why[0] ? ": " : "", why);
		bad++;
	}
	if (bad == 0)
		sb_add(out, "ok\n");
	return bad == 0;
}
