/* alert - the alert worker's parts: message formatting (format.c), checks of
 * what arrives (check.c), one delivery attempt over SMTP, HTTP or files
 * (send.c), the delivery threads (deliver.c), and the worker itself: events
 * into alerts and routing (route.c), groups flushed into notices (group.c),
 * the delivery queue (queue.c), the monthly summary (summary.c) and the
 * worker's callbacks (main.c). */
#ifndef BHXH_ALERT_H
#define BHXH_ALERT_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <stddef.h>

#include "cfg_alert.h"
#include "config.h"
#include "fsutil.h"
#include "msg.h"

/* One alert as it appears in a notice. status: new, escalated, firing
 * (unchanged, repeated), resolved. */
typedef struct {
	const char *status, *kind, *subject, *name, *org_unit, *unit_name, *period, *severity;
	double value, threshold;
	const char *since;   /* YYYY-MM the finding holds since, or "" / NULL */
	const char *reason;  /* of a resolution: remedied, no_longer_found, or "" / NULL */
	double amount;       /* VND at stake, 0 when none */
	double workers;      /* workers concerned, 0 when not counted */
} alert_item_t;

/* Whom a notice is for and when: what format_notice needs besides its items. */
typedef struct {
	const config_t *cfg;        /* unit and agency names, the goal, alerting's notices keys; may be NULL */
	const cfg_receiver_t *rec;  /* the receiver (name, role, contact) */
	const char *scope;          /* "" or the district's code or the agency's id */
	const char *scope_name;     /* the district's or agency's configured name */
	const char *group;          /* the group key (JSON only) */
	long long nid;              /* the notice number */
	long long date;             /* unix seconds: the notice's date; action is asked for action_days later */
} notice_ctx_t;

/* format_header_text - s with every CR, LF, TAB and other control character
 * made a space (so data can never start a header line); malloc'd. */
char *format_header_text(const char *s);

/* format_rfc2047 - append s (UTF-8) as RFC 2047 "B" encoded-words of at most
 * 75 characters, never splitting a character, folded with CRLF SP. Control
 * characters are made spaces first. */
void format_rfc2047(sb_t *out, const char *s);

/* format_address_ok - 1 if s is a plain address local@domain with no space,
 * control character or any of <>,;:"()[]\ . */
int format_address_ok(const char *s);

/* format_base64 - append len bytes base64-encoded in lines of 76 + CRLF. */
void format_base64(sb_t *out, const unsigned char *data, size_t len);

/* format_hmac_hex - HMAC-SHA256 of data under key as 64 lower-case hex digits + NUL. */
int format_hmac_hex(const char *key, const char *data, size_t len, char out[65]);

/* format_scrub - a display string with personal numbers removed: runs of 12
 * digits (citizen IDs) always, runs of exactly 10 digits (insurance numbers)
 * unless keep_insurance; control characters made spaces. malloc'd. */
char *format_scrub(const char *s, int keep_insurance);

/* format_expand - an address template with {district} / {agency} replaced;
 * NULL if a placeholder has no value or the value is not [A-Za-z0-9._-]+. */
char *format_expand(const char *tmpl, const char *district, const char *agency);

/* format_kind_known - 1 if kind is a kind (common/kinds.h) that may arrive as an event. */
int format_kind_known(const char *kind);

/* format_notice - one digest for a receiver: the subject line (UTF-8, one
 * line); the text, Vietnamese first and English below, that lists the items
 * by section (new, escalated, remedied or no longer found, still open), each
 * sorted by severity then value, at most notices.max_entries per section;
 * the JSON with every item; and when csv is not NULL every item as CSV
 * (UTF-8 with a BOM, CRLF lines) for a spreadsheet. */
void format_notice(const notice_ctx_t *x, const alert_item_t *items, int n, sb_t *subject, sb_t *text, sb_t *json,
    sb_t *csv);

/* format_csv_name - the file name (UTF-8) of notice nid's CSV list. */
void format_csv_name(sb_t *out, long long nid);

/* A delivery given up on: what the operator is told. */
typedef struct {
	long long notice, delivery;  /* the notice that was not delivered, and its delivery */
	const char *receiver;        /* who it was for */
	alert_role_t role;
	const char *scope;           /* "" or the receiver's district or agency */
	const char *channel;         /* email, webhook, file */
	const char *recipient;       /* the e-mail address, or "" */
	int attempts;
	const char *error;           /* the last error */
	const char *subject;         /* the notice's subject */
} alert_dead_t;

/* format_dead_letter - notice nid to the operator receiver op about dl:
 * subject, text (Vietnamese first, English below) and JSON. */
void format_dead_letter(const char *op, long long nid, const alert_dead_t *dl, sb_t *subject, sb_t *text, sb_t *json);

/* format_channel_vi / format_channel_en - a channel ("email", ...) for people. */
const char *format_channel_vi(const char *channel);
const char *format_channel_en(const char *channel);

/* format_csv_text - a text cell of a CSV attachment: quoted as needed, and a
 * value a spreadsheet would run as a formula kept text (a leading '). */
void format_csv_text(sb_t *csv, const char *s);

/* format_text_html - a notice's text as a small HTML page (escaped; section
 * headings, numbered entries as a list, links), appended to out: the HTML
 * alternative of a digest e-mail. */
void format_text_html(const char *text, sb_t *out);

/* format_email - a whole RFC 5322 message: headers (subject and display
 * name RFC 2047 encoded) and the text base64-encoded. date is unix seconds.
 * With an HTML version (not NULL nor empty), the text and the HTML as a
 * multipart/alternative; with a CSV, a multipart/mixed message: the text (or
 * the alternative), then the CSV as a text/csv attachment named csv_name
 * (RFC 2231 and RFC 2047). */
void format_email(sb_t *out, const char *from_name, const char *from, char *const *to, int nto,
    const char *subject, const char *text, const char *html, const char *csv, const char *csv_name,
    long long notice_id, long long delivery_id, long long date);

/* The outcome of one attempt: sent; failed, worth trying again; refused by
 * the server (an SMTP 5xx reply, an HTTP 4xx but 408 and 429); or cut short
 * because the worker is stopping (nobody knows whether it arrived). */
enum { SEND_OK = 0, SEND_TRANSIENT = 1, SEND_PERMANENT = 2, SEND_ABORTED = 3 };

#define SEND_REPLY_MAX 200 /* bytes of a server's refusal kept for the error */

/* SMTP settings, a delivery thread's own copy. */
typedef struct {
	char *url, *user, *password, *from, *ca_file;
	int starttls;        /* 0 off, 1 try, 2 required */
	long long timeout_ms;
} send_smtp_conf_t;

/* What one attempt runs on: a thread's own easy handle, the multi handle that
 * drives it, and the flag that interrupts it. */
typedef struct {
	CURL *easy;
	CURLM *multi;
	atomic_int *stop;
	curl_socket_t sock;  /* the attempt's socket (for a stop to shut down) */
} send_ctx_t;

/* send_smtp - one e-mail to one recipient; send_webhook - one POST (2xx is
 * success). SEND_*, with a reason in err unless SEND_OK. */
int send_smtp(send_ctx_t *x, const send_smtp_conf_t *c, const char *rcpt, const char *message, char *err, size_t errsz);
int send_webhook(send_ctx_t *x, const char *url, const char *secret, long long timeout_ms, const char *body,
    long long notice_id, char *err, size_t errsz);

/* send_smtp_outcome / send_http_outcome - SEND_* for libcurl's result and the
 * server's last reply code (SMTP) or status (HTTP). */
int send_smtp_outcome(CURLcode rc, long code);

/* send_smtp_hint - what the operator can do about a failed SMTP attempt
 * ("; ..." to append to its error), or "" when there is nothing to add. */
const char *send_smtp_hint(int rc, long code, int starttls);
int send_http_outcome(CURLcode rc, long status);

/* Channels: the network ones each have a delivery thread; files are written
 * by the worker's main thread. */
enum { DELIVER_EMAIL = 0, DELIVER_WEBHOOK = 1, DELIVER_NCHAN = 2, DELIVER_FILE = 2 };

/* One attempt for a delivery thread, with copies of all it needs. */
typedef struct deliver_job {
	struct deliver_job *next;
	long long did, nid;       /* delivery and notice */
	int channel;              /* DELIVER_* */
	char *receiver;           /* for the worker's log, not used by the thread */
	char *rcpt;               /* e-mail: the one recipient */
	char *body;               /* e-mail: the whole message; webhook: the JSON */
	char *url, *secret;       /* webhook; secret may be NULL */
	long long timeout_ms;     /* webhook */
	int result;               /* SEND_*, set by the thread */
	char err[512];
} deliver_job_t;

typedef struct deliver deliver_t;

/* deliver_start - the delivery threads, after curl_global_init; NULL on failure. */
deliver_t *deliver_start(const cfg_alert_t *c);

/* deliver_fd - an fd readable while finished jobs wait (for the poll loop). */
int deliver_fd(const deliver_t *d);

/* deliver_submit - hand job to its channel's thread (which owns it until it
 * comes back from deliver_results). */
void deliver_submit(deliver_t *d, deliver_job_t *job);

/* deliver_results - the finished jobs, a list through next, oldest first; the
 * caller frees them with deliver_job_free. */
deliver_job_t *deliver_results(deliver_t *d);

/* deliver_stop - interrupt attempts in progress (they finish SEND_ABORTED)
 * and join the threads; deliver_results still hands back what finished. */
void deliver_stop(deliver_t *d);

/* deliver_free - after deliver_stop: everything, and *dp set to NULL. */
void deliver_free(deliver_t **dp);

void deliver_job_free(deliver_job_t *job);

/* send_files - NAME.json and NAME.txt in dir, and NAME.csv when csv is not
 * NULL nor empty, each written atomically. */
int send_files(const char *dir, long long notice_id, const char *json, const char *text, const char *csv,
    char *err, size_t errsz);

/* check_period_ok - 1 for YYYY-MM with a month 01..12. */
int check_period_ok(const char *s);

/* check_event - 0 if an event may be stored: a known kind, severity and
 * state, a period YYYY-MM, an org unit empty or configured, a subject of 1 to
 * 128 bytes without control characters (for missing_data a configured
 * AGENCY:TYPE), a name of at most 4096 bytes. Else -1 with the reason in why
 * (never any of the event's data). */
int check_event(const config_t *c, const msg_event_t *e, char *why, size_t size);

/* check_folder_name - 1 if s is safe as one path component: [A-Za-z0-9._-],
 * 1 to 64 bytes, not starting with a dot. */
int check_folder_name(const char *s);

/* check_notice_dir - VAR/notices/RECEIVER[-SCOPE] into buf if the receiver is
 * configured and the scope is "" or a configured org-unit code or agency id,
 * both safe folder names; else -1 with the reason in err. */
int check_notice_dir(const config_t *c, const char *var_dir, const char *receiver, const char *scope,
    char *buf, size_t size, char *err, size_t errsz);

/* ---- The worker (main.c, route.c, group.c, queue.c, summary.c) ---- */

#include <sqlite3.h>
#include <stdint.h>

#include "store.h"
#include "worker.h"

#define MAX_ROUTES 32
#define MAX_PATH_DEPTH 16
#define FLUSH_MAX 50        /* groups flushed in one go */

/* The worker's state (w->state). */
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
} alert_state_t;

/* One alert's labels, with the storage they point into. */
typedef struct {
	alert_labels_t l;
	const char *path[MAX_PATH_DEPTH];
	char agency[64];
} alert_lab_t;

/* main.c: the clock, columns, counters. */

/* alert_now - unix milliseconds, shifted by BHXH_NOW when set. */
int64_t alert_now(worker_t *w);

/* alert_text - a column as text, "" for NULL. */
const char *alert_text(sqlite3_stmt *st, int i);

/* alert_stat_add - add n to a counter of the stat table; alert_stat - a counter (0 if never counted). */
int alert_stat_add(worker_t *w, const char *key, long long n);
long long alert_stat(worker_t *w, const char *key);

/* route.c: events into alerts, labels, acknowledgements, silences, inhibition. */

/* alert_lab - an alert's labels, with its org unit's path and district from the configuration. */
void alert_lab(const config_t *c, alert_lab_t *x, const char *kind, const char *subject, const char *severity,
    const char *org_unit, const char *state, const char *period);

/* route_alert - put the alert into the groups of every receiver its routes reach. */
int route_alert(worker_t *w, const alert_lab_t *x, int64_t now);

/* route_seq_partial - 1 if the lowest change number waiting is routed in part. */
int route_seq_partial(worker_t *w);

/* route_seq - route the events of the lowest change number waiting: 0 none
 * waits, 1 that change is routed whole, 2 more of it waits, -1 error. */
int route_seq(worker_t *w, int64_t now);

/* route_apply_acks - acknowledgements queued in ack_request by an older
 * bhxhctl (today `ack` applies its own at once, control.c). */
void route_apply_acks(worker_t *w, int64_t now);

/* route_load_silences / route_free_silences - the silences active now into s. */
void route_load_silences(worker_t *w, int64_t now);
void route_free_silences(alert_state_t *s);

/* route_silenced / route_inhibited - 1 if an active silence / a firing source alert mutes l. */
int route_silenced(worker_t *w, const alert_labels_t *l);
int route_inhibited(worker_t *w, const alert_labels_t *l);

/* control.c: the worker's control commands. */

/* alert_control - silence-add, silence-list, silence-expire and ack, in alert.db. */
int alert_control(worker_t *w, const char *cmd, char *const *args, int nargs, sb_t *out);

/* group.c: groups, flushing them into notices, storing notices. */

/* group_mark_dirty - a group's alerts changed: schedule its flush. */
int group_mark_dirty(worker_t *w, const char *receiver, const char *gkey, int64_t now);

/* group_touch_members - every group already holding the alert hears of its change. */
int group_touch_members(worker_t *w, const char *kind, const char *subject, int64_t now);

/* group_new_outmsg - a notice row; its id numbers the notice. -1 on error. */
long long group_new_outmsg(worker_t *w, const char *receiver, const char *scope, const char *gkey, int64_t now);

/* group_store_notice - the rendered subject, text, JSON and CSV (may be NULL) of notice nid. */
int group_store_notice(worker_t *w, long long nid, const sb_t *subj, const sb_t *text, const sb_t *json,
    const sb_t *csv);

/* group_store_html - the HTML alternative of notice nid, made from its text. */
int group_store_html(worker_t *w, long long nid, const char *text);

/* group_put_notice - store the rendered notice nid and queue its deliveries. */
int group_put_notice(worker_t *w, const cfg_receiver_t *rec, long long nid, const char *scope, const sb_t *subj,
    const sb_t *text, const sb_t *json, const sb_t *csv, int64_t now);

/* group_flush_due - flush the due groups (at most FLUSH_MAX); how many were due. */
int group_flush_due(worker_t *w, int64_t now);

/* queue.c: the delivery queue. */

/* queue_enqueue - the deliveries of notice nid on channels (1 << DELIVER_*) the receiver has. */
int queue_enqueue(worker_t *w, const cfg_receiver_t *rec, const char *scope, long long nid, unsigned channels,
    int64_t now);

/* queue_channels - the channels a receiver's notices go by. */
unsigned queue_channels(const cfg_receiver_t *rec);

/* queue_keep - add finished jobs to the ones waiting to be recorded. */
void queue_keep(alert_state_t *s, deliver_job_t *list);

/* queue_record_pending - record every finished attempt in one transaction. */
void queue_record_pending(worker_t *w);

/* queue_health - the worker's state (ready / degraded) from its deliveries. */
void queue_health(worker_t *w);

/* queue_deliver - hand idle threads their next delivery, write due files; 1 if more files may be due. */
int queue_deliver(worker_t *w, int64_t now);

/* queue_resume - deliveries in flight when the worker stopped: possible duplicates, due again. */
int queue_resume(worker_t *w);

/* summary.c: the monthly summary, once per month from its configured day and hour. */
void summary_run(worker_t *w, int64_t now);
/* summary_store - keep a MSG_T_SUMMARY from the aggregate (the latest one
 * wins; a malformed one is counted and dropped); 0, or -1 on a store failure. */
int summary_store(worker_t *w, const msg_t *m);

#endif
