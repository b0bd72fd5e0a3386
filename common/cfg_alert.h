/* cfg_alert - the alert routing, receivers, grouping, inhibition and schedules,
 * loaded from the file that the main configuration's 'alerting' key names
 * (docs/ALERTING.md), and the label matching the routing tree, inhibition
 * rules and silences share.
 *
 * An alert is a finding's identity (kind + subject) with labels: kind,
 * subject, severity, org_unit, district, agency, state and period. A matcher
 * is `label: value`, `label: [v1, v2]` (any of), `label: "!=v"`, or for
 * severity `">=major"`; an org_unit matcher also matches the unit's subtree. */
#ifndef BHXH_CFG_ALERT_H
#define BHXH_CFG_ALERT_H

#include "cfgdesc.h"
#include "yamltree.h"

/* The tables of silences and acknowledgements in VAR/db/alert.db, written
 * by the alert worker's control commands (bhxhctl asks it; older versions of
 * bhxhctl wrote them directly). Times are unix milliseconds. */
#define ALERT_CTL_SCHEMA \
	"CREATE TABLE IF NOT EXISTS silence (id INTEGER PRIMARY KEY AUTOINCREMENT," \
	"  matchers TEXT NOT NULL, author TEXT NOT NULL, comment TEXT NOT NULL," \
	"  created_at INTEGER NOT NULL, ends_at INTEGER NOT NULL, expired_at INTEGER);" \
	"CREATE TABLE IF NOT EXISTS ack_request (id INTEGER PRIMARY KEY AUTOINCREMENT," \
	"  kind TEXT NOT NULL, subject TEXT NOT NULL, author TEXT NOT NULL, comment TEXT NOT NULL," \
	"  created_at INTEGER NOT NULL, applied INTEGER);"

enum { ALERT_M_EQ, ALERT_M_NE, ALERT_M_GE };

typedef struct {
	char *label;
	int op;           /* ALERT_M_* */
	int nvalues;
	char **values;    /* any of (EQ) / none of (NE) / one value (GE) */
} alert_matcher_t;

/* The labels of one alert. org_path: codes from the root down to org_unit
 * (empty when the unit is unknown); district: the depth-1 unit or "". */
typedef struct {
	const char *kind, *subject, *severity, *org_unit, *district, *agency, *state, *period;
	const char *const *org_path;
	int norg_path;
} alert_labels_t;

typedef enum {
	ROLE_OPERATOR, ROLE_SOCIAL_SECURITY, ROLE_LABOUR_INSPECTION, ROLE_DISTRICT_COMMITTEE,
	ROLE_TRADE_UNION, ROLE_PROVINCIAL_COMMITTEE, ROLE_FATHERLAND_FRONT, ROLE_AGENCY
} alert_role_t;

typedef struct {
	char *name;
	alert_role_t role;
	int nemail;
	char **email;         /* may hold {district} / {agency} placeholders */
	int file;             /* write notice files (default yes) */
	char *webhook_url;    /* NULL: no webhook */
	char *webhook_secret; /* HMAC-SHA256 key; NULL: unsigned */
	long long webhook_timeout_ms;
	char *contact;        /* whom this receiver may contact about its notices; NULL: notices.contact */
} cfg_receiver_t;

typedef struct cfg_route {
	int nmatch;
	alert_matcher_t *match;
	int receiver;         /* index into receivers */
	int cont;             /* continue to later siblings after a match */
	int ngroup_by;
	char **group_by;
	long long group_wait_ms, group_interval_ms, repeat_interval_ms;
	int nroutes;
	struct cfg_route *routes;
	int id;               /* pre-order number, stable for one configuration */
} cfg_route_t;

typedef struct {
	int nsource, ntarget, nequal;
	alert_matcher_t *source, *target;
	char **equal;
} cfg_inhibit_t;

typedef struct cfg_alert {
	int loaded; /* 1 when a file was given, 0 for the built-in defaults */
	struct {
		char *url;        /* "" = no e-mail; env BHXH_SMTP_URL overrides */
		char *user;       /* env BHXH_SMTP_USER */
		char *password;   /* env BHXH_SMTP_PASSWORD */
		char *from;
		char *from_name;
		int starttls;     /* 0 off, 1 try, 2 required (smtp:// URLs) */
		char *ca_file;    /* PEM CA certificates that verify the server; NULL: the system's */
		long long timeout_ms;
	} smtp;
	struct {
		long long initial_ms, max_ms; /* backoff: first delay, cap */
		int permanent_attempts;       /* permanent failures before a dead letter */
		long long give_up_after_ms;   /* transient failures for this long: a dead letter */
	} retry;
	int nreceivers;
	cfg_receiver_t *receivers;
	cfg_route_t route;    /* the root: matches everything */
	int nroutes_total;
	int ninhibit;
	cfg_inhibit_t *inhibit;
	struct {
		int max_entries;     /* entries of one section a digest's text lists (the rest in its CSV) */
		int action_days;     /* the notice asks for action within this many days */
		char *contact;       /* whom receivers may contact ("" : nobody named) */
		char *dashboard_url; /* base of the dashboard's address ("": no links) */
	} notices;
	struct {
		int day, hour;    /* day of month 1..28 and hour 0..23, local time */
		int nreceivers;
		int *receivers;   /* indexes */
	} summary;
} cfg_alert_t;

/* Every key of the alerting file (cfgdesc.h). */
extern const cd_key_t cfg_alert_keys[];

/* cfg_alert_load - from root (NULL: defaults); NULL with problems in d.
 * cfg_alert_read - the same, fingerprints into cx (keys "alerting.…"). */
cfg_alert_t *cfg_alert_load(const yt_node_t *root, yt_diag_t *d);
cfg_alert_t *cfg_alert_read(const yt_node_t *root, cd_ctx_t *cx);

void cfg_alert_free(cfg_alert_t **self_p);

/* cfg_alert_receiver - index of the receiver named name, or -1. */
int cfg_alert_receiver(const cfg_alert_t *self, const char *name);

/* alert_role_name - "district_committee", ...; alert_role_parse - the reverse, or -1. */
const char *alert_role_name(alert_role_t r);
int alert_role_parse(const char *s);

/* alert_severity_rank - info 0, warning 1, major 2, critical 3; -1 if unknown. */
int alert_severity_rank(const char *s);

/* alert_label - the value of a label by name (NULL if the name is unknown). */
const char *alert_label(const alert_labels_t *l, const char *name);

/* alert_label_known - 1 if name is a label matchers may use. */
int alert_label_known(const char *name);

/* alert_matches - 1 if every matcher holds for l (an empty list matches). */
int alert_matches(const alert_matcher_t *m, int n, const alert_labels_t *l);

/* alert_matcher_parse - "label=value", "label!=value", "severity>=major"
 * (value may be "a|b" for any of) into m; 0, or -1 with a reason in err. */
int alert_matcher_parse(const char *s, alert_matcher_t *m, char *err, size_t errsz);

void alert_matcher_clear(alert_matcher_t *m);

/* cfg_alert_route - the routes (leaves of the walk) an alert goes to, at most
 * max of them; returns how many. The root's own receiver is used when no
 * child matches. */
int cfg_alert_route(const cfg_alert_t *self, const alert_labels_t *l, const cfg_route_t **out, int max);

/* alert_duration_parse - "500ms", "30s", "5m", "24h", "7d" or plain seconds
 * into milliseconds; 0 or -1. */
int alert_duration_parse(const char *s, long long *ms);

#endif
