/* check - what the alert worker refuses to trust: events that arrive from
 * the aggregate are checked before anything is stored, and no name that came
 * in a message ever becomes part of a path (a notice folder is named only by
 * a configured receiver and a configured org-unit code or agency id). */
#include "alert.h"

#include <stdio.h>
#include <string.h>

#define SUBJECT_MAX 128 /* bytes: a tax code, unit, agent or AGENCY:TYPE is far shorter */
#define NAME_MAX_BYTES 4096

/* s_controls - 1 if s holds a C0 control character, DEL, or a C1 control (U+0080..U+009F). */
static int
s_controls(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return 1;
	return 0;
}

/* check_period_ok - see alert.h. */
int
check_period_ok(const char *s)
{
	for (int i = 0; i < 7; i++)
		if (i == 4 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return 0;
	return s[7] == '\0' && ((s[5] == '0' && s[6] >= '1') || (s[5] == '1' && s[6] <= '2'));
}

/* s_missing_subject_ok - AGENCY:TYPE with both configured, or a configured TYPE alone. */
static int
s_missing_subject_ok(const config_t *c, const char *subject)
{
	const char *colon = strchr(subject, ':');
	char agency[SUBJECT_MAX + 1];

	if (colon == NULL)
		return config_rtype(c, subject) != NULL;
	if ((size_t)(colon - subject) >= sizeof(agency))
		return 0;
	memcpy(agency, subject, (size_t)(colon - subject));
	agency[colon - subject] = '\0';
	return config_agency(c, agency) != NULL && config_rtype(c, colon + 1) != NULL;
}

/* check_event - every field of an event against what may be stored. */
int
check_event(const config_t *c, const msg_event_t *e, char *why, size_t size)
{
	const char *bad = NULL;

	if (!format_kind_known(e->kind))
		bad = "unknown kind";
	else if (alert_severity_rank(e->severity) < 0)
		bad = "unknown severity";
	else if (strcmp(e->state, "new") != 0 && strcmp(e->state, "escalated") != 0 && strcmp(e->state, "resolved") != 0 &&
	    strcmp(e->state, "updated") != 0)
		bad = "state is not new, escalated, updated or resolved";
	else if (!check_period_ok(e->period))
		bad = "period is not YYYY-MM";
	else if (e->org_unit[0] != '\0' && config_unit_index(c, e->org_unit) < 0)
		bad = "org_unit is not a configured org unit";
	else if (e->subject[0] == '\0')
		bad = "empty subject";
	else if (strlen(e->subject) > SUBJECT_MAX)
		bad = "subject longer than 128 bytes";
	else if (s_controls(e->subject))
		bad = "control character in the subject";
	else if (strcmp(e->kind, "missing_data") == 0 && !s_missing_subject_ok(c, e->subject))
		bad = "missing_data subject is not a configured AGENCY:TYPE";
	else if (strlen(e->name) > NAME_MAX_BYTES)
		bad = "name longer than 4096 bytes";
	else if (e->since != NULL && e->since[0] != '\0' && !check_period_ok(e->since))
		bad = "since is not YYYY-MM";
	else if (e->reason != NULL && e->reason[0] != '\0' && strcmp(e->reason, "remedied") != 0
	    && strcmp(e->reason, "no_longer_found") != 0 && strcmp(e->reason, "tree_changed") != 0)
		bad = "reason is not remedied, no_longer_found or tree_changed";
	else if (!(e->amount >= 0 && e->amount < 1e15) || !(e->workers >= 0 && e->workers < 1e9))
		bad = "amount or workers out of range";
	if (bad == NULL)
		return 0;
	snprintf(why, size, "%s", bad);
	return -1;
}

/* check_folder_name - [A-Za-z0-9._-], not empty, not starting with a dot, at most 64 bytes. */
int
check_folder_name(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 64 && s[0] != '.'
	    && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* check_notice_dir - VAR/notices/RECEIVER[-SCOPE] into buf, only when the
 * receiver is configured and the scope is "" or a configured org-unit code
 * or agency id, each safe as a folder name; else -1 with the reason in err. */
int
check_notice_dir(const config_t *c, const char *var_dir, const char *receiver, const char *scope,
    char *buf, size_t size, char *err, size_t errsz)
{
	if (cfg_alert_receiver(c->alert, receiver) < 0 || !check_folder_name(receiver)) {
		snprintf(err, errsz, "refused: the receiver is not configured");
		return -1;
	}
	if (scope[0] != '\0' && ((config_unit_index(c, scope) < 0 && config_agency(c, scope) == NULL)
	    || !check_folder_name(scope))) {
		snprintf(err, errsz, "refused: the scope is not a configured org unit or agency");
		return -1;
	}
	if ((size_t)snprintf(buf, size, "%s/notices/%s%s%s", var_dir, receiver, scope[0] ? "-" : "", scope) >= size) {
		snprintf(err, errsz, "refused: the var dir's path is too long");
		return -1;
	}
	return 0;
}
