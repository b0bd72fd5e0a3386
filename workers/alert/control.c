/* control - the alert worker's control commands, so that `bhxhctl silence`
 * and `bhxhctl ack` change alert.db through this worker (on whatever host it
 * runs) and no other process opens its database:
 *
 *   silence-add AUTHOR COMMENT ENDS_MS MATCHER...  a silence until ENDS_MS
 *                                     (unix ms); answers its id
 *   silence-list                      every silence, active or expired
 *   silence-expire ID                 end an active silence now
 *   ack KIND SUBJECT AUTHOR COMMENT   acknowledge the open alert (kind, subject)
 *
 * Matchers and times are checked as bhxhctl checked them; each change is
 * one transaction. Times are the worker's clock (BHXH_NOW shifts it). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "log.h"

#include <errno.h>

#define S_TEXT_MAX 1000 /* bytes of an author or a comment */

/* s_bad_text - why a text argument (author, comment, kind, subject) is
 * refused, or NULL: it is printed as it is by silence-list, so no control
 * characters (a terminal escape, a carriage return that hides the line
 * before) and no more than S_TEXT_MAX bytes (the list must fit one answer). */
static const char *
s_bad_text(const char *s)
{
	if (strlen(s) > S_TEXT_MAX)
		return "is longer than 1000 bytes";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "holds a control character";
	return NULL;
}

/* s_silence_add - check the matchers and the end, then store the silence. */
static int
s_silence_add(worker_t *w, char *const *args, int nargs, sb_t *out)
{
	int64_t now = alert_now(w), ends;
	char *end = NULL, err[200];
	sqlite3_stmt *st;
	sb_t m;
	int rc;

	if (nargs < 4 || args[0][0] == '\0') {
		sb_add(out, "silence-add needs an author, a comment, an end (unix ms) and at least one matcher");
		return 1;
	}
	for (int i = 0; i < 2; i++)
		if (s_bad_text(args[i]) != NULL) {
			sb_addf(out, "silence-add: the %s %s", i == 0 ? "author" : "comment", s_bad_text(args[i]));
			return 1;
		}
	errno = 0;
	ends = strtoll(args[2], &end, 10);
	/* an end past the year 9999 (or out of range) is a typo, not "forever" */
	if (end == args[2] || *end != '\0' || errno == ERANGE || ends <= now || ends >= 253402300800000LL) {
		sb_addf(out, "silence-add: the end '%.40s' is not a future time (unix milliseconds)", args[2]);
		return 1;
	}
	sb_init(&m);
	sb_add(&m, "");
	for (int i = 3; i < nargs; i++) {
		alert_matcher_t am;

		if (s_bad_text(args[i]) != NULL || alert_matcher_parse(args[i], &am, err, sizeof(err)) != 0) {
			sb_addf(out, "--matcher %s", s_bad_text(args[i]) != NULL ? s_bad_text(args[i]) : err);
			sb_free(&m);
			return 1;
		}
		alert_matcher_clear(&am);
		sb_addf(&m, "%s%s", i > 3 ? "\n" : "", args[i]);
	}
	st = store_stmt(w->store, "INSERT INTO silence(matchers, author, comment, created_at, ends_at) VALUES (?, ?, ?, ?, ?)");
	if (st == NULL || store_begin(w->store) != 0) {
		sb_free(&m);
		sb_addf(out, "cannot store the silence: %s", sqlite3_errstr(store_last_rc(w->store)));
		return 2;
	}
	sqlite3_bind_text(st, 1, m.data, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, args[0], -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, args[1], -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, ends);
	rc = store_step_done(w->store, st);
	sb_free(&m);
	if (rc == 0) {
		long long id = (long long)sqlite3_last_insert_rowid(store_db(w->store));

		if (store_commit(w->store) == 0) {
			log_info("silence %lld added by %s", id, args[0]);
			sb_addf(out, "%lld\n", id);
			return 0;
		}
	}
	store_rollback(w->store);
	sb_addf(out, "cannot store the silence: %s", sqlite3_errstr(store_last_rc(w->store)));
	return 2;
}

/* s_silence_list - every silence as a table for people. */
static int
s_silence_list(worker_t *w, sb_t *out)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT id, CASE WHEN expired_at IS NOT NULL OR ends_at <= ?1 THEN"
	    " 'expired' ELSE 'active' END, datetime(ends_at / 1000, 'unixepoch', 'localtime'), author, comment,"
	    " replace(matchers, char(10), ' ') FROM silence ORDER BY id");
	int rc;

	if (st == NULL) {
		sb_addf(out, "cannot read the silences: %s", sqlite3_errstr(store_last_rc(w->store)));
		return 2;
	}
	sqlite3_bind_int64(st, 1, alert_now(w));
	sb_addf(out, "%-5s %-8s %-19s %-12s %-30s %s\n", "id", "state", "until", "author", "comment", "matchers");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		sb_addf(out, "%-5lld %-8s %-19s %-12s %-30s %s\n", (long long)sqlite3_column_int64(st, 0),
		    alert_text(st, 1), alert_text(st, 2), alert_text(st, 3), alert_text(st, 4), alert_text(st, 5));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		sb_addf(out, "cannot read the silences: %s", sqlite3_errstr(rc));
		return 2;
	}
	return 0;
}

/* s_silence_expire - end the active silence id now; 2 if there is none. */
static int
s_silence_expire(worker_t *w, const char *id, sb_t *out)
{
	sqlite3_stmt *st = store_stmt(w->store, "UPDATE silence SET expired_at = ? WHERE id = ? AND expired_at IS NULL");
	char *end = NULL;
	long long n = strtoll(id, &end, 10);
	int changed;

	if (end == id || *end != '\0' || n <= 0) {
		sb_addf(out, "no active silence %.40s", id);
		return 2;
	}
	if (st == NULL || store_begin(w->store) != 0) {
		sb_addf(out, "cannot expire the silence: %s", sqlite3_errstr(store_last_rc(w->store)));
		return 2;
	}
	sqlite3_bind_int64(st, 1, alert_now(w));
	sqlite3_bind_int64(st, 2, n);
	if (store_step_done(w->store, st) != 0)
		goto fail;
	changed = sqlite3_changes(store_db(w->store));
	if (store_commit(w->store) != 0)
		goto fail;
	if (changed != 1) {
		sb_addf(out, "no active silence %lld", n);
		return 2;
	}
	log_info("silence %lld expired", n);
	sb_addf(out, "silence %lld expired\n", n);
	return 0;
fail:
	store_rollback(w->store);
	sb_addf(out, "cannot expire the silence: %s", sqlite3_errstr(store_last_rc(w->store)));
	return 2;
}

/* s_ack - acknowledge the open (firing) alert (kind, subject) as
 * route_apply_acks does: its repeats stop until its state changes; the
 * request is kept in ack_request, applied, in the same transaction. 2 if no
 * such alert is open (nothing is stored). */
static int
s_ack(worker_t *w, char *const *args, int nargs, sb_t *out)
{
	int64_t now = alert_now(w);
	sqlite3_stmt *up, *req;
	int changed;

	if (nargs != 4 || args[0][0] == '\0' || args[1][0] == '\0' || args[2][0] == '\0') {
		sb_add(out, "ack needs a kind, a subject, an author and a comment");
		return 1;
	}
	for (int i = 0; i < 4; i++)
		if (s_bad_text(args[i]) != NULL) {
			sb_addf(out, "ack: the %s %s", i == 0 ? "kind" : i == 1 ? "subject" : i == 2 ? "author" : "comment",
			    s_bad_text(args[i]));
			return 1;
		}
	up = store_stmt(w->store, "UPDATE alert SET acked = 1, acked_by = ? WHERE kind = ? AND subject = ? AND state = 'firing'");
	req = store_stmt(w->store, "INSERT INTO ack_request(kind, subject, author, comment, created_at, applied)"
	    " VALUES (?, ?, ?, ?, ?, ?)");
	if (up == NULL || req == NULL || store_begin(w->store) != 0) {
		sb_addf(out, "cannot store the acknowledgement: %s", sqlite3_errstr(store_last_rc(w->store)));
		return 2;
	}
	sqlite3_bind_text(up, 1, args[2], -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(up, 2, args[0], -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(up, 3, args[1], -1, SQLITE_TRANSIENT);
	if (store_step_done(w->store, up) != 0)
		goto fail;
	if ((changed = sqlite3_changes(store_db(w->store))) == 0) {
		store_rollback(w->store);
		sb_addf(out, "no open alert of kind '%.60s' about '%.120s': nothing acknowledged", args[0], args[1]);
		return 2;
	}
	for (int i = 0; i < 4; i++)
		sqlite3_bind_text(req, i + 1, args[i], -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(req, 5, now);
	sqlite3_bind_int64(req, 6, now);
	if (store_step_done(w->store, req) != 0 || store_commit(w->store) != 0)
		goto fail;
	{
		/* the subject of a person's alert is their insurance number: the log
		 * gets it masked, like every other personal number */
		char *subj = format_scrub(args[1], 0);

		log_info("alert %s %s acknowledged by %s", args[0], subj, args[2]);
		free(subj);
	}
	sb_addf(out, "acknowledged: %s %s\n", args[0], args[1]);
	return 0;
fail:
	store_rollback(w->store);
	sb_addf(out, "cannot store the acknowledgement: %s", sqlite3_errstr(store_last_rc(w->store)));
	return 2;
}

/* alert_control - silence-add, silence-list, silence-expire, ack. */
int
alert_control(worker_t *w, const char *cmd, char *const *args, int nargs, sb_t *out)
{
	if (strcmp(cmd, "silence-add") == 0)
		return s_silence_add(w, args, nargs, out);
	if (strcmp(cmd, "silence-list") == 0 && nargs == 0)
		return s_silence_list(w, out);
	if (strcmp(cmd, "silence-expire") == 0 && nargs == 1)
		return s_silence_expire(w, args[0], out);
	if (strcmp(cmd, "ack") == 0)
		return s_ack(w, args, nargs, out);
	sb_addf(out, "unknown command '%.40s' for the alert worker (silence-add AUTHOR COMMENT ENDS_MS MATCHER...,"
	    " silence-list, silence-expire ID, ack KIND SUBJECT AUTHOR COMMENT)", cmd);
	return 1;
}
