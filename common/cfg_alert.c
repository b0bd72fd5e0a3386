/* cfg_alert - load the alert routing, receivers, grouping, inhibition and
 * schedules, and match alerts against matchers (see cfg_alert.h). */
#include "cfg_alert.h"
#include "xalloc.h"

#include <ctype.h>
#include <stddef.h>
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

/* alert_duration_parse - a duration with unit into milliseconds (cfgdesc's reading). */
int
alert_duration_parse(const char *s, long long *ms)
{
	return cd_duration_parse(s, ms);
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

/* s_name_ok - a receiver name that is safe as a folder name: [A-Za-z0-9_-]{1,64}. */
static int
s_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* s_address_ok - a plain e-mail address: something@something, no spaces or list characters. */
static int
s_address_ok(const char *a)
{
	return strchr(a, '@') != NULL && strpbrk(a, " \t\r\n<>,;\"") == NULL;
}

/* s_read_matchers - a map of label: value(s) into the matchers at off (count at noff). */
static int
s_read_matchers(const cd_key_t *k, const yt_node_t *map, void *base, cd_ctx_t *cx)
{
	alert_matcher_t **out = (alert_matcher_t **)(void *)((char *)base + k->off);
	int *nout = (int *)(void *)((char *)base + k->noff);
	size_t before = cx->d->n;

	s_load_matchers(map, out, nout, cx->d);
	return cx->d->n > before ? -1 : 0;
}

static void s_load_route(cfg_alert_t *self, cfg_route_t *r, const cfg_route_t *parent, const yt_node_t *n, int root,
    cd_ctx_t *cx);

/* s_read_route_receiver - a route's receiver by name. */
static int
s_read_route_receiver(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	cfg_route_t *r = base;
	const char *name = NULL;

	if (n == NULL)
		return 0;
	if (yt_scalar_str(n, &name, cx->d, "receiver") != 0)
		return -1;
	if ((r->receiver = cfg_alert_receiver(cx->user, name)) < 0) {
		yt_diag_add(cx->d, n, "receiver: no receiver named '%s'", name);
		return -1;
	}
	return 0;
}

/* s_check_group_by - labels only. */
static int
s_check_group_by(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	cfg_route_t *r = base;
	int rc = 0;

	for (int i = 0; i < r->ngroup_by; i++)
		if (!alert_label_known(r->group_by[i])) {
			yt_diag_add(cx->d, n, "group_by: unknown label '%s'", r->group_by[i]);
			rc = -1;
		}
	return rc;
}

/* s_read_routes - a route's child routes, inheriting from it. */
static int
s_read_routes(const cd_key_t *k, const yt_node_t *routes, void *base, cd_ctx_t *cx)
{
	cfg_route_t *r = base;
	size_t before = cx->d->n;

	if (routes == NULL)
		return 0;
	if (routes->kind != YT_SEQ) {
		yt_diag_add(cx->d, routes, "routes: expected a list of routes");
		return -1;
	}
	r->routes = xcalloc(routes->n + 1, sizeof(*r->routes));
	for (size_t i = 0; i < routes->n; i++)
		s_load_route(cx->user, &r->routes[r->nroutes++], r, routes->items[i], 0, cx);
	return cx->d->n > before ? -1 : 0;
}

static const cd_key_t s_route_keys[] = {
	{ .key = "match", .type = CD_CUSTOM, .off = offsetof(cfg_route_t, match), .noff = offsetof(cfg_route_t, nmatch),
	  .read = s_read_matchers, .type_doc = "map `label: value`", .def_doc = "every alert",
	  .doc = "which alerts take this route: `label: value`, `label: [v1, v2]`, `label: \"!=v\"`, `severity: \">=major\"`;"
	  " labels kind, subject, severity, org_unit (its subtree too), district, agency, state, period; not on the root" },
	{ .key = "receiver", .type = CD_CUSTOM, .read = s_read_route_receiver, .type_doc = "a receiver's name",
	  .def_doc = "the parent's (required at the root)", .doc = "who gets the notices of this route" },
	{ .key = "continue", .type = CD_BOOL, .off = offsetof(cfg_route_t, cont), .def = "false",
	  .doc = "after a match, go on to the later sibling routes as well" },
	{ .key = "group_by", .type = CD_STRS, .off = offsetof(cfg_route_t, group_by), .noff = offsetof(cfg_route_t, ngroup_by),
	  .check = s_check_group_by, .type_doc = "list of labels", .def_doc = "the parent's",
	  .doc = "labels kept apart in digests (docs/ALERTING.md)" },
	{ .key = "group_wait", .type = CD_DURATION, .off = offsetof(cfg_route_t, group_wait_ms), .def = "30s",
	  .def_doc = "`30s` at the root, else the parent's", .doc = "how long a new group waits for more alerts before its"
	  " first digest" },
	{ .key = "group_interval", .type = CD_DURATION, .off = offsetof(cfg_route_t, group_interval_ms), .def = "5m",
	  .def_doc = "`5m` at the root, else the parent's", .doc = "the least time between two digests of a group with news" },
	{ .key = "repeat_interval", .type = CD_DURATION, .off = offsetof(cfg_route_t, repeat_interval_ms), .def = "24h",
	  .def_doc = "`24h` at the root, else the parent's", .doc = "how often a group with nothing new is reminded" },
	{ .key = "routes", .type = CD_CUSTOM, .flags = CD_LIST, .sub = s_route_keys, .read = s_read_routes,
	  .type_doc = "list of routes", .def_doc = "none", .doc = "child routes with these same keys, tried in order;"
	  " the first that matches takes the alert unless it says `continue`" },
	{ .key = NULL }
};

/* s_load_route - one route node; inherits receiver and grouping from parent. */
static void
s_load_route(cfg_alert_t *self, cfg_route_t *r, const cfg_route_t *parent, const yt_node_t *n, int root,
    cd_ctx_t *cx)
{
	cd_ctx_t ic = cd_item_ctx(cx);

	r->id = self->nroutes_total++;
	if (parent != NULL) {
		r->receiver = parent->receiver;
		r->group_wait_ms = parent->group_wait_ms;
		r->group_interval_ms = parent->group_interval_ms;
		r->repeat_interval_ms = parent->repeat_interval_ms;
		for (int i = 0; i < parent->ngroup_by; i++) {
			r->group_by = xrealloc(r->group_by, (size_t)(i + 2) * sizeof(char *));
			r->group_by[i] = xstrdup(parent->group_by[i]);
			r->group_by[i + 1] = NULL;
			r->ngroup_by = i + 1;
		}
	}
	if (n == NULL)
		return;
	if (n->kind != YT_MAP) {
		yt_diag_add(cx->d, n, "a route must be a map");
		return;
	}
	if (root && yt_map_get(n, "match") != NULL)
		yt_diag_add(cx->d, yt_map_get(n, "match"), "match: the root route matches every alert");
	if (root && yt_map_get(n, "receiver") == NULL)
		yt_diag_add(cx->d, n, "missing required key 'receiver'");
	else if (root && yt_is_null(yt_map_get(n, "receiver")))
		yt_diag_add(cx->d, yt_map_get(n, "receiver"), "receiver: a value is required");
	ic.inherit = !root; /* a child route starts from its parent's values, not from the defaults */
	cd_read(s_route_keys, "", n, r, &ic);
}

/* s_read_route - the root route (defaults without an alerting file). */
static int
s_read_route(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	cfg_alert_t *self = base;
	size_t before = cx->d->n;

	s_load_route(self, &self->route, NULL, n, 1, cx);
	return cx->d->n > before ? -1 : 0;
}

/* s_check_emails - a receiver's addresses are plain addresses. */
static int
s_check_emails(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	cfg_receiver_t *r = base;
	int rc = 0;

	for (int i = 0; i < r->nemail; i++)
		if (!s_address_ok(r->email[i])) {
			yt_diag_add(cx->d, n, "email: '%s' is not a plain address", r->email[i]);
			rc = -1;
		}
	return rc;
}

/* s_check_receiver_name - a folder-safe name, defined once. */
static int
s_check_receiver_name(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	cfg_receiver_t *r = base;

	if (!s_name_ok(r->name)) {
		yt_diag_add(cx->d, n, "name: '%s': use letters, digits, '_' and '-' only (it names the folder of the"
		    " receiver's notice files)", r->name);
		return -1;
	}
	if (cfg_alert_receiver(cx->user, r->name) >= 0) {
		yt_diag_add(cx->d, n, "name: receiver '%s' is defined twice", r->name);
		return -1;
	}
	return 0;
}

#define S_ROLES "operator|social_security|labour_inspection|district_committee|trade_union|provincial_committee|" \
	"fatherland_front|agency"

static const cd_key_t s_webhook_keys[] = {
	{ .key = "url", .type = CD_STR, .flags = CD_REQUIRED, .off = offsetof(cfg_receiver_t, webhook_url),
	  .def_doc = "required with `webhook`", .doc = "where each notice is POSTed as JSON" },
	{ .key = "secret", .type = CD_STR, .off = offsetof(cfg_receiver_t, webhook_secret), .def_doc = "none (unsigned)",
	  .doc = "the HMAC-SHA256 key that signs each request (docs/ALERTING.md)" },
	{ .key = "timeout", .type = CD_DURATION, .off = offsetof(cfg_receiver_t, webhook_timeout_ms), .def = "10s",
	  .doc = "how long one request may take" },
	{ .key = NULL }
};

static const cd_key_t s_receiver_keys[] = {
	{ .key = "name", .type = CD_STR, .flags = CD_REQUIRED, .off = offsetof(cfg_receiver_t, name),
	  .check = s_check_receiver_name, .doc = "letters, digits, `_`, `-`: names the receiver in routes and the folder"
	  " of its notice files" },
	{ .key = "role", .type = CD_ENUM, .flags = CD_REQUIRED, .off = offsetof(cfg_receiver_t, role), .values = S_ROLES,
	  .doc = "what its notices say and ask of it, and which personal data they may carry (docs/DOMAIN.md)" },
	{ .key = "email", .type = CD_STRS, .off = offsetof(cfg_receiver_t, email), .noff = offsetof(cfg_receiver_t, nemail),
	  .check = s_check_emails, .type_doc = "address, or list of addresses", .def_doc = "none",
	  .doc = "where its digests are mailed; `{district}` and `{agency}` are replaced by the group's" },
	{ .key = "file", .type = CD_BOOL, .off = offsetof(cfg_receiver_t, file), .def = "true",
	  .doc = "also write each notice under `VAR/notices/NAME/`" },
	{ .key = "webhook", .type = CD_SECTION, .sub = s_webhook_keys, .doc = "an HTTP endpoint" },
	{ .key = "contact", .type = CD_STR, .off = offsetof(cfg_receiver_t, contact), .def_doc = "`notices.contact`",
	  .doc = "whom this receiver may contact about its notices" },
	{ .key = NULL }
};

/* s_keep_receiver - a receiver read has a name. */
static int
s_keep_receiver(void *item, const yt_node_t *n, cd_ctx_t *cx, void *owner)
{
	return ((cfg_receiver_t *)item)->name != NULL ? 0 : -1;
}

/* s_read_receivers - the receivers list. */
static int
s_read_receivers(const cd_key_t *k, const yt_node_t *seq, void *base, cd_ctx_t *cx)
{
	cfg_alert_t *self = base;
	const cd_items_t spec = { &self->receivers, &self->nreceivers, sizeof(cfg_receiver_t), "receiver",
		"name, role, ...", 0, self, s_keep_receiver };

	return cd_read_items(k, seq, cx, &spec);
}

static const cd_key_t s_inhibit_keys[] = {
	{ .key = "source", .type = CD_CUSTOM, .flags = CD_REQUIRED, .off = offsetof(cfg_inhibit_t, source),
	  .noff = offsetof(cfg_inhibit_t, nsource), .read = s_read_matchers, .type_doc = "map `label: value`",
	  .doc = "an open alert matching this ..." },
	{ .key = "target", .type = CD_CUSTOM, .flags = CD_REQUIRED, .off = offsetof(cfg_inhibit_t, target),
	  .noff = offsetof(cfg_inhibit_t, ntarget), .read = s_read_matchers, .type_doc = "map `label: value`",
	  .doc = "... holds back notices of alerts matching this ..." },
	{ .key = "equal", .type = CD_STRS, .off = offsetof(cfg_inhibit_t, equal), .noff = offsetof(cfg_inhibit_t, nequal),
	  .type_doc = "list of labels", .def_doc = "none", .doc = "... that have the same values of these labels" },
	{ .key = NULL }
};

/* s_keep_inhibit - an inhibit rule read: its equal labels are labels. */
static int
s_keep_inhibit(void *item, const yt_node_t *n, cd_ctx_t *cx, void *owner)
{
	cfg_inhibit_t *r = item;

	for (int j = 0; j < r->nequal; j++)
		if (!alert_label_known(r->equal[j]))
			yt_diag_add(cx->d, yt_map_get(n, "equal"), "equal: unknown label '%s'", r->equal[j]);
	return 0;
}

/* s_read_inhibit - inhibition rules. */
static int
s_read_inhibit(const cd_key_t *k, const yt_node_t *seq, void *base, cd_ctx_t *cx)
{
	cfg_alert_t *self = base;
	const cd_items_t spec = { &self->inhibit, &self->ninhibit, sizeof(cfg_inhibit_t), "inhibit rule",
		"source, target, equal", 0, self, s_keep_inhibit };

	return cd_read_items(k, seq, cx, &spec);
}

/* s_check_ca - smtp.ca_file: an absolute path that can be read. */
static int
s_check_ca(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	const char *ca = ((cfg_alert_t *)base)->smtp.ca_file;

	if (ca == NULL || ca[0] == '\0')
		return 0;
	if (ca[0] != '/') {
		yt_diag_add(cx->d, n, "ca_file: '%s' is not an absolute path", ca);
		return -1;
	}
	if (access(ca, R_OK) != 0) {
		yt_diag_add(cx->d, n, "ca_file: cannot read '%s': %s", ca, strerror(errno));
		return -1;
	}
	return 0;
}

/* s_check_from - smtp.from: a plain address. */
static int
s_check_from(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	const char *from = ((cfg_alert_t *)base)->smtp.from;

	if (from == NULL || s_address_ok(from))
		return 0;
	yt_diag_add(cx->d, n, "from: '%s' is not a plain address", from);
	return -1;
}

/* s_check_retry_max - retry.max is not shorter than retry.initial. */
static int
s_check_retry_max(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	cfg_alert_t *self = base;

	if (self->retry.max_ms >= self->retry.initial_ms)
		return 0;
	yt_diag_add(cx->d, n != NULL ? n : cx->map, "max: must not be shorter than initial");
	return -1;
}

/* s_check_dashboard - notices.dashboard_url: http(s), no spaces; trailing slashes dropped. */
static int
s_check_dashboard(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	char *url = ((cfg_alert_t *)base)->notices.dashboard_url;

	if (url == NULL || url[0] == '\0')
		return 0;
	if ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) || strpbrk(url, " \t\r\n<>\"") != NULL) {
		yt_diag_add(cx->d, n, "dashboard_url: '%s' is not an http:// or https:// address", url);
		return -1;
	}
	for (size_t i = strlen(url); i > 0 && url[i - 1] == '/'; i--) /* pages are BASE/unit/CODE.html */
		url[i - 1] = '\0';
	return 0;
}

/* s_read_summary_receivers - the receivers of the monthly summary, by name. */
static int
s_read_summary_receivers(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	cfg_alert_t *self = base;
	char **names = NULL;
	int nnames = 0, rc;

	rc = s_str_list(n, &names, &nnames, "receivers", cx->d);
	self->summary.receivers = xcalloc((size_t)nnames + 1, sizeof(int));
	for (int i = 0; i < nnames; i++) {
		int r = cfg_alert_receiver(self, names[i]);

		if (r < 0) {
			yt_diag_add(cx->d, n, "receivers: no receiver named '%s'", names[i]);
			rc = -1;
		} else {
			self->summary.receivers[self->summary.nreceivers++] = r;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static const cd_key_t s_smtp_keys[] = {
	{ .key = "url", .type = CD_STR, .off = offsetof(cfg_alert_t, smtp.url), .def = "", .env = "BHXH_SMTP_URL",
	  .type_doc = "`smtp://HOST:PORT` or `smtps://…`", .def_doc = "`\"\"` (no e-mail)", .doc = "the mail server" },
	{ .key = "user", .type = CD_STR, .off = offsetof(cfg_alert_t, smtp.user), .env = "BHXH_SMTP_USER",
	  .def_doc = "none", .doc = "the login, if the server asks for one" },
	{ .key = "password", .type = CD_STR, .off = offsetof(cfg_alert_t, smtp.password), .env = "BHXH_SMTP_PASSWORD",
	  .def_doc = "none", .doc = "its password; better given in the environment than in the file" },
	{ .key = "from", .type = CD_STR, .off = offsetof(cfg_alert_t, smtp.from), .def = "canhbao@localhost",
	  .check = s_check_from, .doc = "the sender's address" },
	{ .key = "from_name", .type = CD_STR, .off = offsetof(cfg_alert_t, smtp.from_name), .def = "BHXH",
	  .doc = "the sender's name" },
	{ .key = "starttls", .type = CD_ENUM, .off = offsetof(cfg_alert_t, smtp.starttls), .values = "off|try|required",
	  .def = "required", .env = "BHXH_SMTP_STARTTLS", .doc = "for `smtp://`: whether the connection must be"
	  " encrypted; `off` or `try` only for a relay on this host (docs/ALERTING.md)" },
	{ .key = "timeout", .type = CD_DURATION, .off = offsetof(cfg_alert_t, smtp.timeout_ms), .def = "10s",
	  .doc = "how long one delivery may take" },
	{ .key = "ca_file", .type = CD_STR, .off = offsetof(cfg_alert_t, smtp.ca_file), .check = s_check_ca,
	  .type_doc = "absolute path", .def_doc = "the system's certificates", .doc = "PEM CA certificates that verify the"
	  " server" },
	{ .key = NULL }
};

static const cd_key_t s_retry_keys[] = {
	{ .key = "initial", .type = CD_DURATION, .flags = CD_RELOAD, .off = offsetof(cfg_alert_t, retry.initial_ms),
	  .def = "5s", .min = 1, .max = 365LL * 86400000, .doc = "the first wait after a failed delivery; it doubles" },
	{ .key = "max", .type = CD_DURATION, .flags = CD_RELOAD, .off = offsetof(cfg_alert_t, retry.max_ms), .def = "10m",
	  .check = s_check_retry_max, .doc = "the longest wait between two tries" },
	{ .key = "permanent_attempts", .type = CD_INT, .flags = CD_RELOAD,
	  .off = offsetof(cfg_alert_t, retry.permanent_attempts), .def = "3", .min = 1, .max = 100,
	  .doc = "refusals (a rejected recipient, say) before a notice becomes a dead letter" },
	{ .key = "give_up_after", .type = CD_DURATION, .flags = CD_RELOAD,
	  .off = offsetof(cfg_alert_t, retry.give_up_after_ms), .def = "3d", .min = 1000, .max = 365LL * 86400000,
	  .doc = "transient failures for this long make a dead letter" },
	{ .key = NULL }
};

static const cd_key_t s_summary_keys[] = {
	{ .key = "day", .type = CD_INT, .flags = CD_RELOAD, .off = offsetof(cfg_alert_t, summary.day), .def = "1",
	  .min = 1, .max = 28, .doc = "the day of the month the summary is sent" },
	{ .key = "hour", .type = CD_INT, .flags = CD_RELOAD, .off = offsetof(cfg_alert_t, summary.hour), .def = "7",
	  .min = 0, .max = 23, .doc = "the hour (local time) from which it is sent" },
	{ .key = "receivers", .type = CD_CUSTOM, .read = s_read_summary_receivers, .type_doc = "list of receiver names",
	  .def_doc = "none (no summary)", .doc = "who gets the monthly summary" },
	{ .key = NULL }
};

static const cd_key_t s_notices_keys[] = {
	{ .key = "max_entries", .type = CD_INT, .flags = CD_RELOAD, .off = offsetof(cfg_alert_t, notices.max_entries),
	  .def = "20", .min = 1, .max = 1000, .doc = "entries of one section a digest's text lists (all are in its CSV)" },
	{ .key = "action_days", .type = CD_INT, .flags = CD_RELOAD, .off = offsetof(cfg_alert_t, notices.action_days),
	  .def = "30", .min = 1, .max = 366, .doc = "a notice asks for action within this many days" },
	{ .key = "contact", .type = CD_STR, .flags = CD_RELOAD, .off = offsetof(cfg_alert_t, notices.contact), .def = "",
	  .def_doc = "`\"\"` (nobody named)", .doc = "whom receivers may contact about a notice" },
	{ .key = "dashboard_url", .type = CD_STR, .flags = CD_RELOAD, .off = offsetof(cfg_alert_t, notices.dashboard_url),
	  .def = "", .check = s_check_dashboard, .type_doc = "`http://…` or `https://…`", .def_doc = "`\"\"` (no links)",
	  .doc = "the dashboard's address; notices link to BASE/unit/CODE.html" },
	{ .key = NULL }
};

const cd_key_t cfg_alert_keys[] = {
	{ .key = "smtp", .type = CD_SECTION, .sub = s_smtp_keys, .doc = "sending e-mail" },
	{ .key = "retry", .type = CD_SECTION, .sub = s_retry_keys, .doc = "failed deliveries" },
	{ .key = "receivers", .type = CD_CUSTOM, .flags = CD_REQUIRED | CD_LIST, .sub = s_receiver_keys,
	  .read = s_read_receivers, .def = "[{name: operator, role: operator}]",
	  .doc = "who gets notices" },
	{ .key = "route", .type = CD_CUSTOM, .flags = CD_REQUIRED, .sub = s_route_keys, .read = s_read_route,
	  .type_doc = "a route", .def = "{receiver: operator}",
	  .doc = "the routing tree: which receiver gets which alert" },
	{ .key = "inhibit", .type = CD_CUSTOM, .flags = CD_LIST, .sub = s_inhibit_keys, .read = s_read_inhibit,
	  .def_doc = "none", .doc = "rules that hold back notices while a related alert is open" },
	{ .key = "summary", .type = CD_SECTION, .sub = s_summary_keys, .doc = "the monthly summary" },
	{ .key = "notices", .type = CD_SECTION, .sub = s_notices_keys, .doc = "what notices say besides their findings" },
	{ .key = NULL }
};

/* cfg_alert_read - defaults, then what root sets. */
cfg_alert_t *
cfg_alert_read(const yt_node_t *root, cd_ctx_t *cx)
{
	cfg_alert_t *self = xcalloc(1, sizeof(*self));
	cd_ctx_t mine = *cx;
	size_t before = cx->d != NULL ? cx->d->n : 0;

	if (self == NULL)
		return NULL;
	self->loaded = root != NULL;
	mine.user = self;
	cd_read(cfg_alert_keys, "alerting.", root, self, &mine);
	if (self->smtp.user != NULL && self->smtp.user[0] == '\0') {
		free(self->smtp.user);
		self->smtp.user = NULL;
	}
	if (self->smtp.ca_file != NULL && self->smtp.ca_file[0] == '\0') {
		free(self->smtp.ca_file);
		self->smtp.ca_file = NULL;
	}
	if (cx->d != NULL && cx->d->n > before)
		cfg_alert_free(&self);
	return self;
}

/* cfg_alert_load - cfg_alert_read without fingerprints. */
cfg_alert_t *
cfg_alert_load(const yt_node_t *root, yt_diag_t *d)
{
	yt_diag_t none = { 0 };
	cd_ctx_t cx = { d != NULL ? d : &none, NULL, NULL, CD_BASE_ALERT, NULL, 0, NULL, 0 };
	cfg_alert_t *a = cfg_alert_read(root, &cx);

	yt_diag_free(&none);
	return a;
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
