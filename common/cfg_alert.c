/* cfg_alert - load the alert routing, receivers, grouping, inhibition and
 * schedules, and match alerts against matchers (see cfg_alert.h). */
#include "cfg_alert.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const s_roles[] = {
	"operator", "social_security", "labour_inspection", "district_committee",
	"trade_union", "provincial_committee", "fatherland_front", "agency", NULL
};
static const char *const s_labels[] = {
	"kind", "subject", "severity", "org_unit", "district", "agency", "state", "period", NULL
};
static const char *const s_severities[] = { "info", "warning", "major", "critical", NULL };

/* s_dup - strdup that accepts NULL. */
static char *
s_dup(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

/* alert_role_name - the configuration name of a role. */
const char *
alert_role_name(alert_role_t r)
{
	return (int)r >= 0 && r <= ROLE_AGENCY ? s_roles[r] : "?";
}

/* alert_role_parse - role name to enum, or -1. */
int
alert_role_parse(const char *s)
{
	for (int i = 0; s_roles[i] != NULL; i++)
		if (strcmp(s, s_roles[i]) == 0)
			return i;
	return -1;
}

/* alert_severity_rank - ordering of severities; -1 if unknown. */
int
alert_severity_rank(const char *s)
{
	for (int i = 0; s != NULL && s_severities[i] != NULL; i++)
		if (strcmp(s, s_severities[i]) == 0)
			return i;
	return -1;
}

/* alert_label_known - 1 for a label name matchers may use. */
int
alert_label_known(const char *name)
{
	for (int i = 0; s_labels[i] != NULL; i++)
		if (strcmp(name, s_labels[i]) == 0)
			return 1;
	return 0;
}

/* alert_label - value of a named label; NULL for an unknown name. */
const char *
alert_label(const alert_labels_t *l, const char *name)
{
	const char *v = NULL;

	if (strcmp(name, "kind") == 0) v = l->kind;
	else if (strcmp(name, "subject") == 0) v = l->subject;
	else if (strcmp(name, "severity") == 0) v = l->severity;
	else if (strcmp(name, "org_unit") == 0) v = l->org_unit;
	else if (strcmp(name, "district") == 0) v = l->district;
	else if (strcmp(name, "agency") == 0) v = l->agency;
	else if (strcmp(name, "state") == 0) v = l->state;
	else if (strcmp(name, "period") == 0) v = l->period;
	else return NULL;
	return v != NULL ? v : "";
}

/* s_value_eq - one matcher value against the label; org_unit matches its subtree. */
static int
s_value_eq(const alert_matcher_t *m, const char *want, const alert_labels_t *l)
{
	const char *have = alert_label(l, m->label);

	if (have == NULL)
		return 0;
	if (strcmp(have, want) == 0)
		return 1;
	if (strcmp(m->label, "org_unit") == 0)
		for (int i = 0; i < l->norg_path; i++)
			if (strcmp(l->org_path[i], want) == 0)
				return 1;
	return 0;
}

/* s_matcher_holds - one matcher. */
static int
s_matcher_holds(const alert_matcher_t *m, const alert_labels_t *l)
{
	int any = 0;

	if (m->op == ALERT_M_GE) {
		int have = alert_severity_rank(alert_label(l, m->label));

		return have >= 0 && m->nvalues > 0 && have >= alert_severity_rank(m->values[0]);
	}
	for (int i = 0; i < m->nvalues && !any; i++)
		any = s_value_eq(m, m->values[i], l);
	return m->op == ALERT_M_EQ ? any : !any;
}

/* alert_matches - all matchers hold. */
int
alert_matches(const alert_matcher_t *m, int n, const alert_labels_t *l)
{
	for (int i = 0; i < n; i++)
		if (!s_matcher_holds(&m[i], l))
			return 0;
	return 1;
}

/* alert_matcher_clear - free what a matcher holds. */
void
alert_matcher_clear(alert_matcher_t *m)
{
	free(m->label);
	for (int i = 0; i < m->nvalues; i++)
		free(m->values[i]);
	free(m->values);
	memset(m, 0, sizeof(*m));
}

/* s_matcher_values - split "a|b|c" into m->values; 0 or -1 (empty part). */
static int
s_matcher_values(alert_matcher_t *m, const char *v)
{
	const char *p = v;

	for (;;) {
		const char *bar = strchr(p, '|');
		size_t n = bar != NULL ? (size_t)(bar - p) : strlen(p);
		char **nv;

		if (n == 0)
			return -1;
		nv = xrealloc(m->values, (size_t)(m->nvalues + 1) * sizeof(*nv));
		if (nv == NULL)
			return -1;
		m->values = nv;
		if ((m->values[m->nvalues] = xstrndup(p, n)) == NULL)
			return -1;
		m->nvalues++;
		if (bar == NULL)
			return 0;
		p = bar + 1;
	}
}

/* s_matcher_check - the label is known and a severity value is a severity. */
static int
s_matcher_check(const alert_matcher_t *m, char *err, size_t errsz)
{
	if (!alert_label_known(m->label)) {
		snprintf(err, errsz, "unknown label '%s' (use kind, subject, severity, org_unit, district, agency, state, period)",
		    m->label);
		return -1;
	}
	if (m->op == ALERT_M_GE && (strcmp(m->label, "severity") != 0 || m->nvalues != 1)) {
		snprintf(err, errsz, "'>=' compares one severity only");
		return -1;
	}
	if (strcmp(m->label, "severity") == 0)
		for (int i = 0; i < m->nvalues; i++)
			if (alert_severity_rank(m->values[i]) < 0) {
				snprintf(err, errsz, "unknown severity '%s' (info, warning, major, critical)", m->values[i]);
				return -1;
			}
	return 0;
}

/* alert_matcher_parse - "label=v", "label!=v", "severity>=v" into m. */
int
alert_matcher_parse(const char *s, alert_matcher_t *m, char *err, size_t errsz)
{
	const char *op = strpbrk(s, "!=>");
	size_t skip = 1;

	memset(m, 0, sizeof(*m));
	if (op == NULL || op == s) {
		snprintf(err, errsz, "'%s': expected label=value, label!=value or severity>=value", s);
		return -1;
	}
	if (op[0] == '!' && op[1] == '=') {
		m->op = ALERT_M_NE;
		skip = 2;
	} else if (op[0] == '>' && op[1] == '=') {
		m->op = ALERT_M_GE;
		skip = 2;
	} else if (op[0] == '=') {
		m->op = ALERT_M_EQ;
	} else {
		snprintf(err, errsz, "'%s': expected label=value, label!=value or severity>=value", s);
		return -1;
	}
	m->label = xstrndup(s, (size_t)(op - s));
	if (m->label == NULL || s_matcher_values(m, op + skip) != 0) {
		snprintf(err, errsz, "'%s': empty value", s);
		alert_matcher_clear(m);
		return -1;
	}
	if (s_matcher_check(m, err, errsz) != 0) {
		alert_matcher_clear(m);
		return -1;
	}
	return 0;
}

/* alert_duration_parse - a duration with unit into milliseconds. */
int
alert_duration_parse(const char *s, long long *ms)
{
	char *end = NULL;
	double v;
	double mul = 1000;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -1;
	v = strtod(s, &end);
	if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		mul = 1000;
	else if (strcmp(end, "m") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else if (strcmp(end, "d") == 0)
		mul = 86400000;
	else
		return -1;
	if (v < 0 || v * mul > 365.0 * 86400000)
		return -1;
	*ms = (long long)(v * mul + 0.5);
	return 0;
}

/* s_get_duration - an optional duration key. */
static void
s_get_duration(const yt_node_t *map, const char *key, long long *out, yt_diag_t *d)
{
	const char *s = NULL;

	if (yt_get_str(map, key, 0, &s, d) != 0 || s == NULL)
		return;
	if (alert_duration_parse(s, out) != 0)
		yt_diag_add(d, yt_map_get(map, key), "%s: expected a duration such as 500ms, 30s, 5m, 24h or 7d", key);
}

/* s_str_list - a scalar or a sequence of scalars into a string array; 0 or -1. */
static int
s_str_list(const yt_node_t *n, char ***out, int *nout, const char *what, yt_diag_t *d)
{
	const char *s;

	if (n == NULL || yt_is_null(n))
		return 0;
	if (n->kind == YT_SCALAR) {
		*out = xcalloc(1, sizeof(char *));
		(*out)[0] = xstrdup(n->scalar);
		*nout = 1;
		return 0;
	}
	if (n->kind != YT_SEQ) {
		yt_diag_add(d, n, "%s: expected a value or a list of values", what);
		return -1;
	}
	*out = xcalloc(n->n + 1, sizeof(char *));
	for (size_t i = 0; i < n->n; i++) {
		if (yt_scalar_str(n->items[i], &s, d, what) != 0)
			return -1;
		(*out)[(*nout)++] = xstrdup(s);
	}
	return 0;
}

/* s_load_matchers - a map of label: value(s) into matchers. */
static void
s_load_matchers(const yt_node_t *map, alert_matcher_t **out, int *nout, yt_diag_t *d)
{
	if (map == NULL || yt_is_null(map))
		return;
	if (map->kind != YT_MAP) {
		yt_diag_add(d, map, "expected a map of label: value");
		return;
	}
	*out = xcalloc(map->n + 1, sizeof(**out));
	for (size_t i = 0; i < map->n; i++) {
		alert_matcher_t *m = &(*out)[*nout];
		const yt_node_t *v = map->items[i];
		char err[200];

		m->label = xstrdup(map->keys[i]->scalar);
		if (v->kind == YT_SCALAR && strncmp(v->scalar, "!=", 2) == 0) {
			m->op = ALERT_M_NE;
			if (s_matcher_values(m, v->scalar + 2) != 0)
				yt_diag_add(d, v, "%s: empty value", m->label);
		} else if (v->kind == YT_SCALAR && strncmp(v->scalar, ">=", 2) == 0) {
			m->op = ALERT_M_GE;
			if (s_matcher_values(m, v->scalar + 2) != 0)
				yt_diag_add(d, v, "%s: empty value", m->label);
		} else {
			m->op = ALERT_M_EQ;
			s_str_list(v, &m->values, &m->nvalues, m->label, d);
		}
		(*nout)++;
		if (s_matcher_check(m, err, sizeof(err)) != 0)
			yt_diag_add(d, map->keys[i], "%s", err);
	}
}

/* s_load_route - one route node; inherits grouping from parent. */
static void
s_load_route(cfg_alert_t *self, cfg_route_t *r, const cfg_route_t *parent, const yt_node_t *n, int root,
    yt_diag_t *d)
{
	static const char *const keys[] = { "match", "receiver", "continue", "group_by", "group_wait",
		"group_interval", "repeat_interval", "routes", NULL };
	const yt_node_t *match = NULL, *routes = NULL;
	const char *recv = NULL;

	r->id = self->nroutes_total++;
	if (parent != NULL) {
		r->receiver = parent->receiver;
		r->group_wait_ms = parent->group_wait_ms;
		r->group_interval_ms = parent->group_interval_ms;
		r->repeat_interval_ms = parent->repeat_interval_ms;
		for (int i = 0; i < parent->ngroup_by; i++) {
			r->group_by = xrealloc(r->group_by, (size_t)(i + 1) * sizeof(char *));
			r->group_by[i] = xstrdup(parent->group_by[i]);
			r->ngroup_by = i + 1;
		}
	}
	if (n == NULL)
		return;
	if (n->kind != YT_MAP) {
		yt_diag_add(d, n, "a route must be a map");
		return;
	}
	yt_check_keys(n, keys, d);
	if (root && yt_map_get(n, "match") != NULL)
		yt_diag_add(d, yt_map_get(n, "match"), "match: the root route matches every alert");
	yt_get_map(n, "match", 0, &match, d);
	s_load_matchers(match, &r->match, &r->nmatch, d);
	if (yt_get_str(n, "receiver", root, &recv, d) == 0 && recv != NULL) {
		r->receiver = cfg_alert_receiver(self, recv);
		if (r->receiver < 0)
			yt_diag_add(d, yt_map_get(n, "receiver"), "receiver: no receiver named '%s'", recv);
	}
	yt_get_bool(n, "continue", 0, &r->cont, d);
	if (yt_map_get(n, "group_by") != NULL) {
		for (int i = 0; i < r->ngroup_by; i++)
			free(r->group_by[i]);
		free(r->group_by);
		r->group_by = NULL;
		r->ngroup_by = 0;
		s_str_list(yt_map_get(n, "group_by"), &r->group_by, &r->ngroup_by, "group_by", d);
		for (int i = 0; i < r->ngroup_by; i++)
			if (!alert_label_known(r->group_by[i]))
				yt_diag_add(d, yt_map_get(n, "group_by"), "group_by: unknown label '%s'", r->group_by[i]);
	}
	s_get_duration(n, "group_wait", &r->group_wait_ms, d);
	s_get_duration(n, "group_interval", &r->group_interval_ms, d);
	s_get_duration(n, "repeat_interval", &r->repeat_interval_ms, d);
	if (yt_get_seq(n, "routes", 0, &routes, d) == 0 && routes != NULL) {
		r->routes = xcalloc(routes->n + 1, sizeof(*r->routes));
		for (size_t i = 0; i < routes->n; i++)
			s_load_route(self, &r->routes[r->nroutes++], r, routes->items[i], 0, d);
	}
}

/* s_name_ok - a receiver name that is safe as a folder name: [A-Za-z0-9_-]{1,64}. */
static int
s_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* s_load_receivers - the receivers list. */
static void
s_load_receivers(cfg_alert_t *self, const yt_node_t *seq, yt_diag_t *d)
{
	static const char *const keys[] = { "name", "role", "email", "file", "webhook", "contact", NULL };
	static const char *const wkeys[] = { "url", "secret", "timeout", NULL };

	self->receivers = xcalloc(seq->n + 1, sizeof(*self->receivers));
	for (size_t i = 0; i < seq->n; i++) {
		const yt_node_t *n = seq->items[i], *wh = NULL;
		cfg_receiver_t *r = &self->receivers[self->nreceivers];
		const char *name = NULL, *role = NULL, *url = NULL, *secret = NULL, *contact = NULL;

		if (n->kind != YT_MAP) {
			yt_diag_add(d, n, "a receiver must be a map");
			continue;
		}
		yt_check_keys(n, keys, d);
		yt_get_str(n, "name", 1, &name, d);
		yt_get_str(n, "role", 1, &role, d);
		if (name == NULL || role == NULL)
			continue;
		if (!s_name_ok(name))
			yt_diag_add(d, yt_map_get(n, "name"), "name: '%s': use letters, digits, '_' and '-' only"
			    " (it names the folder of the receiver's notice files)", name);
		if (cfg_alert_receiver(self, name) >= 0)
			yt_diag_add(d, yt_map_get(n, "name"), "name: receiver '%s' is defined twice", name);
		if (alert_role_parse(role) < 0)
			yt_diag_add(d, yt_map_get(n, "role"), "role: unknown role '%s' (operator, social_security,"
			    " labour_inspection, district_committee, trade_union, provincial_committee,"
			    " fatherland_front, agency)", role);
		r->name = xstrdup(name);
		r->role = (alert_role_t)(alert_role_parse(role) < 0 ? 0 : alert_role_parse(role));
		r->file = 1;
		r->webhook_timeout_ms = 10000;
		s_str_list(yt_map_get(n, "email"), &r->email, &r->nemail, "email", d);
		for (int k = 0; k < r->nemail; k++)
			if (strchr(r->email[k], '@') == NULL || strpbrk(r->email[k], " \t\r\n<>,;\"") != NULL)
				yt_diag_add(d, yt_map_get(n, "email"), "email: '%s' is not a plain address", r->email[k]);
		yt_get_bool(n, "file", 0, &r->file, d);
		if (yt_get_str(n, "contact", 0, &contact, d) == 0 && contact != NULL)
			r->contact = xstrdup(contact);
		if (yt_get_map(n, "webhook", 0, &wh, d) == 0 && wh != NULL) {
			yt_check_keys(wh, wkeys, d);
			yt_get_str(wh, "url", 1, &url, d);
			yt_get_str(wh, "secret", 0, &secret, d);
			s_get_duration(wh, "timeout", &r->webhook_timeout_ms, d);
			r->webhook_url = s_dup(url);
			r->webhook_secret = s_dup(secret);
		}
		self->nreceivers++;
	}
}

/* s_load_inhibit - inhibition rules. */
static void
s_load_inhibit(cfg_alert_t *self, const yt_node_t *seq, yt_diag_t *d)
{
	static const char *const keys[] = { "source", "target", "equal", NULL };

	self->inhibit = xcalloc(seq->n + 1, sizeof(*self->inhibit));
	for (size_t i = 0; i < seq->n; i++) {
		const yt_node_t *n = seq->items[i], *src = NULL, *tgt = NULL;
		cfg_inhibit_t *r = &self->inhibit[self->ninhibit++];

		if (n->kind != YT_MAP) {
			yt_diag_add(d, n, "an inhibit rule must be a map");
			continue;
		}
		yt_check_keys(n, keys, d);
		yt_get_map(n, "source", 1, &src, d);
		yt_get_map(n, "target", 1, &tgt, d);
		s_load_matchers(src, &r->source, &r->nsource, d);
		s_load_matchers(tgt, &r->target, &r->ntarget, d);
		s_str_list(yt_map_get(n, "equal"), &r->equal, &r->nequal, "equal", d);
		for (int k = 0; k < r->nequal; k++)
			if (!alert_label_known(r->equal[k]))
				yt_diag_add(d, yt_map_get(n, "equal"), "equal: unknown label '%s'", r->equal[k]);
	}
}

/* s_load_smtp - the smtp section, then the environment overrides. */
static void
s_load_smtp(cfg_alert_t *self, const yt_node_t *n, yt_diag_t *d)
{
	static const char *const keys[] = { "url", "user", "password", "from", "from_name", "starttls", "timeout",
		"ca_file", NULL };
	const char *url = NULL, *user = NULL, *pw = NULL, *from = NULL, *fname = NULL, *tls = NULL, *ca = NULL;

	if (n != NULL) {
		yt_check_keys(n, keys, d);
		yt_get_str(n, "url", 0, &url, d);
		yt_get_str(n, "user", 0, &user, d);
		yt_get_str(n, "password", 0, &pw, d);
		yt_get_str(n, "from", 0, &from, d);
		yt_get_str(n, "from_name", 0, &fname, d);
		yt_get_str(n, "starttls", 0, &tls, d);
		yt_get_str(n, "ca_file", 0, &ca, d);
		s_get_duration(n, "timeout", &self->smtp.timeout_ms, d);
		if (tls != NULL) {
			if (strcmp(tls, "off") == 0) self->smtp.starttls = 0;
			else if (strcmp(tls, "try") == 0) self->smtp.starttls = 1;
			else if (strcmp(tls, "required") == 0) self->smtp.starttls = 2;
			else yt_diag_add(d, yt_map_get(n, "starttls"), "starttls: expected off, try or required");
		}
		if (ca != NULL && ca[0] != '\0' && ca[0] != '/')
			yt_diag_add(d, yt_map_get(n, "ca_file"), "ca_file: '%s' is not an absolute path", ca);
		else if (ca != NULL && ca[0] != '\0' && access(ca, R_OK) != 0)
			yt_diag_add(d, yt_map_get(n, "ca_file"), "ca_file: cannot read '%s': %s", ca, strerror(errno));
		if (from != NULL && (strchr(from, '@') == NULL || strpbrk(from, " \t\r\n<>,;\"") != NULL))
			yt_diag_add(d, yt_map_get(n, "from"), "from: '%s' is not a plain address", from);
	}
	if (getenv("BHXH_SMTP_URL") != NULL) url = getenv("BHXH_SMTP_URL");
	if ((tls = getenv("BHXH_SMTP_STARTTLS")) != NULL && tls[0] != '\0') {
		if (strcmp(tls, "off") == 0) self->smtp.starttls = 0;
		else if (strcmp(tls, "try") == 0) self->smtp.starttls = 1;
		else if (strcmp(tls, "required") == 0) self->smtp.starttls = 2;
		else yt_diag_addf(d, "BHXH_SMTP_STARTTLS", 0, 0, "BHXH_SMTP_STARTTLS='%.20s': expected off, try or required",
		    tls);
	}
	if (getenv("BHXH_SMTP_USER") != NULL) user = getenv("BHXH_SMTP_USER");
	if (getenv("BHXH_SMTP_PASSWORD") != NULL) pw = getenv("BHXH_SMTP_PASSWORD");
	self->smtp.url = xstrdup(url != NULL ? url : "");
	self->smtp.user = s_dup(user != NULL && user[0] ? user : NULL);
	self->smtp.password = s_dup(pw);
	self->smtp.from = xstrdup(from != NULL ? from : "canhbao@localhost");
	self->smtp.from_name = xstrdup(fname != NULL ? fname : "BHXH");
	self->smtp.ca_file = s_dup(ca != NULL && ca[0] ? ca : NULL);
}

/* s_load_retry - backoff, permanent failures allowed, and when to give up. */
static void
s_load_retry(cfg_alert_t *self, const yt_node_t *n, yt_diag_t *d)
{
	static const char *const keys[] = { "initial", "max", "permanent_attempts", "give_up_after", NULL };
	long long attempts = self->retry.permanent_attempts;

	yt_check_keys(n, keys, d);
	s_get_duration(n, "initial", &self->retry.initial_ms, d);
	s_get_duration(n, "max", &self->retry.max_ms, d);
	if (yt_get_int(n, "permanent_attempts", 0, 1, 100, &attempts, d) == 0)
		self->retry.permanent_attempts = (int)attempts;
	s_get_duration(n, "give_up_after", &self->retry.give_up_after_ms, d);
	if (yt_map_get(n, "initial") != NULL && self->retry.initial_ms < 1)
		yt_diag_add(d, yt_map_get(n, "initial"), "initial: must be at least 1ms");
	if (self->retry.max_ms < self->retry.initial_ms)
		yt_diag_add(d, yt_map_get(n, "max") != NULL ? yt_map_get(n, "max") : n,
		    "max: must not be shorter than initial");
	if (yt_map_get(n, "give_up_after") != NULL && self->retry.give_up_after_ms < 1000)
		yt_diag_add(d, yt_map_get(n, "give_up_after"), "give_up_after: must be at least 1s");
}

/* s_load_notices - what notices say besides their findings. */
static void
s_load_notices(cfg_alert_t *self, const yt_node_t *n, yt_diag_t *d)
{
	static const char *const keys[] = { "max_entries", "action_days", "contact", "dashboard_url", NULL };
	long long max = 20, days = 30;
	const char *contact = NULL, *url = NULL;

	if (n != NULL) {
		yt_check_keys(n, keys, d);
		yt_get_int(n, "max_entries", 0, 1, 1000, &max, d);
		yt_get_int(n, "action_days", 0, 1, 366, &days, d);
		yt_get_str(n, "contact", 0, &contact, d);
		yt_get_str(n, "dashboard_url", 0, &url, d);
		if (url != NULL && url[0] != '\0' && ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		    || strpbrk(url, " \t\r\n<>\"") != NULL))
			yt_diag_add(d, yt_map_get(n, "dashboard_url"), "dashboard_url: '%s' is not an http:// or https:// address", url);
	}
	self->notices.max_entries = (int)max;
	self->notices.action_days = (int)days;
	self->notices.contact = xstrdup(contact != NULL ? contact : "");
	self->notices.dashboard_url = xstrdup(url != NULL ? url : "");
	/* the base without its trailing slashes: pages are BASE/unit/CODE.html */
	for (size_t k = strlen(self->notices.dashboard_url); k > 0 && self->notices.dashboard_url[k - 1] == '/'; k--)
		self->notices.dashboard_url[k - 1] = '\0';
}

/* s_load_summary - the monthly summary schedule. */
static void
s_load_summary(cfg_alert_t *self, const yt_node_t *n, yt_diag_t *d)
{
	static const char *const keys[] = { "day", "hour", "receivers", NULL };
	long long day = 1, hour = 7;
	char **names = NULL;
	int nnames = 0;

	self->summary.day = 1;
	self->summary.hour = 7;
	if (n == NULL)
		return;
	yt_check_keys(n, keys, d);
	yt_get_int(n, "day", 0, 1, 28, &day, d);
	yt_get_int(n, "hour", 0, 0, 23, &hour, d);
	self->summary.day = (int)day;
	self->summary.hour = (int)hour;
	s_str_list(yt_map_get(n, "receivers"), &names, &nnames, "receivers", d);
	self->summary.receivers = xcalloc((size_t)nnames + 1, sizeof(int));
	for (int i = 0; i < nnames; i++) {
		int r = cfg_alert_receiver(self, names[i]);

		if (r < 0)
			yt_diag_add(d, yt_map_get(n, "receivers"), "receivers: no receiver named '%s'", names[i]);
		else
			self->summary.receivers[self->summary.nreceivers++] = r;
		free(names[i]);
	}
	free(names);
}

/* cfg_alert_load - defaults, then what root sets. */
cfg_alert_t *
cfg_alert_load(const yt_node_t *root, yt_diag_t *d)
{
	static const char *const keys[] = { "smtp", "retry", "receivers", "route", "inhibit", "summary", "notices",
		NULL };
	cfg_alert_t *self = xcalloc(1, sizeof(*self));
	const yt_node_t *smtp = NULL, *retry = NULL, *recv = NULL, *route = NULL, *inh = NULL, *sum = NULL;
	const yt_node_t *notices = NULL;
	size_t before = d != NULL ? d->n : 0;

	if (self == NULL)
		return NULL;
	self->smtp.timeout_ms = 10000;
	self->smtp.starttls = 2; /* required: nothing in clear unless the operator says so */
	self->retry.initial_ms = 5000;
	self->retry.max_ms = 600000;
	self->retry.permanent_attempts = 3;
	self->retry.give_up_after_ms = 3 * 86400000LL;
	self->route.group_wait_ms = 30000;
	self->route.group_interval_ms = 300000;
	self->route.repeat_interval_ms = 86400000LL;
	if (root != NULL) {
		self->loaded = 1;
		yt_check_keys(root, keys, d);
		yt_get_map(root, "smtp", 0, &smtp, d);
		yt_get_map(root, "retry", 0, &retry, d);
		yt_get_seq(root, "receivers", 1, &recv, d);
		yt_get_map(root, "route", 1, &route, d);
		yt_get_seq(root, "inhibit", 0, &inh, d);
		yt_get_map(root, "summary", 0, &sum, d);
		yt_get_map(root, "notices", 0, &notices, d);
	}
	s_load_smtp(self, smtp, d);
	if (retry != NULL)
		s_load_retry(self, retry, d);
	if (recv != NULL) {
		s_load_receivers(self, recv, d);
	} else {
		self->receivers = xcalloc(1, sizeof(*self->receivers));
		self->receivers[0] = (cfg_receiver_t){ .name = xstrdup("operator"), .role = ROLE_OPERATOR, .file = 1 };
		self->nreceivers = 1;
	}
	s_load_route(self, &self->route, NULL, route, 1, d);
	if (inh != NULL)
		s_load_inhibit(self, inh, d);
	s_load_summary(self, sum, d);
	s_load_notices(self, notices, d);
	if (d != NULL && d->n > before)
		cfg_alert_free(&self);
	return self;
}

/* cfg_alert_receiver - receiver index by name. */
int
cfg_alert_receiver(const cfg_alert_t *self, const char *name)
{
	for (int i = 0; i < self->nreceivers; i++)
		if (strcmp(self->receivers[i].name, name) == 0)
			return i;
	return -1;
}

/* s_walk - depth-first: matching children in order, stop after a match unless continue. */
static int
s_walk(const cfg_route_t *r, const alert_labels_t *l, const cfg_route_t **out, int n, int max)
{
	int matched = 0;

	for (int i = 0; i < r->nroutes; i++) {
		const cfg_route_t *c = &r->routes[i];

		if (!alert_matches(c->match, c->nmatch, l))
			continue;
		matched = 1;
		n = s_walk(c, l, out, n, max);
		if (!c->cont)
			break;
	}
	if (!matched && n < max) {
		for (int i = 0; i < n; i++) /* one group per route and alert, even through continue */
			if (out[i] == r)
				return n;
		out[n++] = r;
	}
	return n;
}

/* cfg_alert_route - routes an alert goes to. */
int
cfg_alert_route(const cfg_alert_t *self, const alert_labels_t *l, const cfg_route_t **out, int max)
{
	return s_walk(&self->route, l, out, 0, max);
}

/* s_free_matchers - an array of matchers. */
static void
s_free_matchers(alert_matcher_t *m, int n)
{
	for (int i = 0; i < n; i++)
		alert_matcher_clear(&m[i]);
	free(m);
}

/* s_free_strs - an array of strings. */
static void
s_free_strs(char **s, int n)
{
	for (int i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

/* s_free_route - a route's children and members (not r itself). */
static void
s_free_route(cfg_route_t *r)
{
	for (int i = 0; i < r->nroutes; i++)
		s_free_route(&r->routes[i]);
	free(r->routes);
	s_free_matchers(r->match, r->nmatch);
	s_free_strs(r->group_by, r->ngroup_by);
}

void
cfg_alert_free(cfg_alert_t **self_p)
{
	cfg_alert_t *self = *self_p;

	if (self == NULL)
		return;
	free(self->smtp.url);
	free(self->smtp.user);
	free(self->smtp.password);
	free(self->smtp.from);
	free(self->smtp.from_name);
	free(self->smtp.ca_file);
	for (int i = 0; i < self->nreceivers; i++) {
		cfg_receiver_t *r = &self->receivers[i];

		free(r->name);
		s_free_strs(r->email, r->nemail);
		free(r->webhook_url);
		free(r->webhook_secret);
		free(r->contact);
	}
	free(self->receivers);
	s_free_route(&self->route);
	for (int i = 0; i < self->ninhibit; i++) {
		s_free_matchers(self->inhibit[i].source, self->inhibit[i].nsource);
		s_free_matchers(self->inhibit[i].target, self->inhibit[i].ntarget);
		s_free_strs(self->inhibit[i].equal, self->inhibit[i].nequal);
	}
	free(self->inhibit);
	free(self->summary.receivers);
	free(self->notices.contact);
	free(self->notices.dashboard_url);
	free(self);
	*self_p = NULL;
}
