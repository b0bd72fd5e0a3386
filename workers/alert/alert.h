/* alert - the alert worker's parts: message formatting (format.c), checks of
 * what arrives (check.c), one delivery attempt over SMTP, HTTP or files
 * (send.c), the delivery threads (deliver.c), and the worker itself (main.c). */
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
} alert_item_t;

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

/* format_kind_known - 1 if kind is a finding kind this worker can tell of. */
int format_kind_known(const char *kind);

/* format_kind_vi / format_kind_en - what a finding kind means, for people. */
const char *format_kind_vi(const char *kind);
const char *format_kind_en(const char *kind);

/* format_notice - the subject line (UTF-8, one line) and the plain text
 * (Vietnamese first, English below) and JSON of a notice listing items. */
void format_notice(const char *receiver, alert_role_t role, const char *scope, const char *scope_name,
    const char *group, long long notice_id, const alert_item_t *items, int n,
    sb_t *subject, sb_t *text, sb_t *json);

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

/* format_email - a whole RFC 5322 message: headers (subject and display
 * name RFC 2047 encoded) and the text base64-encoded. date is unix seconds. */
void format_email(sb_t *out, const char *from_name, const char *from, char *const *to, int nto,
    const char *subject, const char *text, long long notice_id, long long delivery_id, long long date);

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

/* send_files - NAME.json and NAME.txt in dir, each written atomically. */
int send_files(const char *dir, long long notice_id, const char *json, const char *text, char *err, size_t errsz);

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

#endif
