/* alert - the alert worker's parts: message formatting (format.c), delivery
 * over SMTP, HTTP and files (send.c), and the worker itself (main.c). */
#ifndef BHXH_ALERT_H
#define BHXH_ALERT_H

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

/* format_email - a whole RFC 5322 message: headers (subject and display
 * name RFC 2047 encoded) and the text base64-encoded. date is unix seconds. */
void format_email(sb_t *out, const char *from_name, const char *from, char *const *to, int nto,
    const char *subject, const char *text, long long notice_id, long long delivery_id, long long date);

/* send_smtp / send_webhook - one attempt; 0, or -1 with a reason in err. */
int send_smtp(const cfg_alert_t *c, char *const *to, int nto, const char *message, char *err, size_t errsz);
int send_webhook(const cfg_receiver_t *r, const char *body, long long notice_id, char *err, size_t errsz);

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
