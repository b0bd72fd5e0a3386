/* config - load and check the pipeline's YAML configuration (see config.h).
 *
 * Trusts nothing in the files: every key is checked against the allowed list
 * of its section, every value against its type and range, and all problems
 * are collected before failing. */
#include "config.h"
#include "text.h"
#include "xalloc.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_ftype_names[] = {
	"string", "tax_code", "insurance_no", "citizen_id", "unit_code", "code",
	"org_unit", "org_unit_leaf", "date", "period", "year", "money", "int",
	"pct", "bool", "enum", NULL
};

/* Cross-field rules rowcheck.c implements, with the fields each one reads:
 * a record type that lists a rule must have those fields. */
static const struct {
	const char *name;
	const char *fields[3];
} s_known_rules[] = {
	{ "voluntary_no_bhtn", { "scheme", "unemployment", NULL } },
	{ "voluntary_no_unit", { "scheme", "unit_code", NULL } },
	{ "compulsory_needs_unit", { "scheme", "unit_code", NULL } },
	{ "agent_voluntary_only", { "scheme", "agent_code", NULL } },
	{ "bhtn_le_insured", { "bhtn_count", "insured_count", NULL } },
	{ "arrears_months_need_arrears", { "arrears_months", "arrears", NULL } },
	{ "bhtn_target_le_bhxh", { "bhtn_pct", "bhxh_pct", NULL } },
	{ NULL, { NULL } }
};

static const yt_limits_t s_limits = YT_DEFAULT_LIMITS;

/* s_strdup - strdup that tolerates NULL. */
static char *
s_strdup(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

/* s_in_list - index of s in a NULL-terminated list, or -1. */
static int
s_in_list(const char *s, const char *const *list)
{
	for (int i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return i;
	return -1;
}

/* s_str_seq - copy a sequence of scalars into a malloc'd array. */
static int
s_str_seq(const yt_node_t *seq, char ***out, int *n, yt_diag_t *d, const char *what)
{
	*out = NULL;
	*n = 0;
	if (seq == NULL)
		return 0;
	if (seq->kind != YT_SEQ) {
		yt_diag_add(d, seq, "%s: expected a list", what);
		return -1;
	}
	*out = xcalloc(seq->n + 1, sizeof(char *));
	for (size_t i = 0; i < seq->n; i++) {
		if (seq->items[i]->kind != YT_SCALAR || yt_is_null(seq->items[i])) {
			yt_diag_add(d, seq->items[i], "%s: expected a text value", what);
			return -1;
		}
		(*out)[(*n)++] = xstrdup(seq->items[i]->scalar);
	}
	return 0;
}

/* s_load_unit - add one org unit and, recursively, its children. */
static void
s_load_unit(config_t *c, const yt_node_t *n, int parent, int depth, yt_diag_t *d)
{
	static const char *const keys[] = { "code", "name", "children", NULL };
	const char *code = NULL, *name = NULL;
	const yt_node_t *children = NULL;
	int self;

	if (depth > 16) {
		yt_diag_add(d, n, "org_units: tree deeper than 16 levels");
		return;
	}
	if (n->kind != YT_MAP) {
		yt_diag_add(d, n, "org_units: expected a map with code, name, children");
		return;
	}
	yt_check_keys(n, keys, d);
	yt_get_str(n, "code", 1, &code, d);
	yt_get_str(n, "name", 1, &name, d);
	yt_get_seq(n, "children", 0, &children, d);
	if (code == NULL)
		return;
	if (config_unit_index(c, code) >= 0) {
		yt_diag_add(d, yt_map_get(n, "code"), "org_units: code '%s' appears twice", code);
		return;
	}
	if (code[0] == '\0' || code[0] == '.' || strlen(code) > 32 ||
	    strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(code))
		yt_diag_add(d, yt_map_get(n, "code"), "org_units: code '%s': use letters, digits, '_', '-' and '.'"
		    " (not first), at most 32", code);
	c->units = xrealloc(c->units, sizeof(cfg_unit_t) * (size_t)(c->nunits + 1));
	self = c->nunits++;
	c->units[self] = (cfg_unit_t){ xstrdup(code), xstrdup(name ? name : code), parent, depth, 0 };
	if (parent >= 0)
		c->units[parent].nchildren++;
	for (size_t i = 0; children != NULL && i < children->n; i++)
		s_load_unit(c, children->items[i], self, depth + 1, d);
}

/* s_load_agencies - the agencies list. */
static void
s_load_agencies(config_t *c, const yt_node_t *seq, yt_diag_t *d)
{
	static const char *const keys[] = { "id", "name", "types", "scope", "encoding", "email", NULL };

	c->agencies = xcalloc(seq->n + 1, sizeof(cfg_agency_t));
	for (size_t i = 0; i < seq->n; i++) {
		const yt_node_t *n = seq->items[i], *types = NULL;
		const char *id = NULL, *name = NULL, *scope = NULL, *enc = NULL, *email = NULL;
		cfg_agency_t *a;

		if (yt_check_keys(n, keys, d) != 0 && n->kind != YT_MAP)
			continue;
		yt_get_str(n, "id", 1, &id, d);
		yt_get_str(n, "name", 0, &name, d);
		yt_get_seq(n, "types", 1, &types, d);
		yt_get_str(n, "scope", 0, &scope, d);
		yt_get_str(n, "encoding", 0, &enc, d);
		yt_get_str(n, "email", 0, &email, d);
		if (id == NULL)
			continue;
		if (config_agency(c, id) != NULL)
			yt_diag_add(d, yt_map_get(n, "id"), "agencies: id '%s' appears twice", id);
		for (const char *p = id; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-')) {
				yt_diag_add(d, yt_map_get(n, "id"), "agencies: id '%s': use a-z, 0-9, '_' and '-' only", id);
				break;
			}
		if (scope != NULL && config_unit_index(c, scope) < 0)
			yt_diag_add(d, yt_map_get(n, "scope"), "agencies: scope '%s' is not an org unit", scope);
		if (enc != NULL && !text_encoding_known(enc))
			yt_diag_add(d, yt_map_get(n, "encoding"),
			    "agencies: encoding '%s' unknown (expected UTF-8, WINDOWS-1258, TCVN3 or VISCII)", enc);
		a = &c->agencies[c->nagencies++];
		a->id = xstrdup(id);
		a->name = xstrdup(name ? name : id);
		a->scope = s_strdup(scope);
		a->encoding = s_strdup(enc);
		a->email = s_strdup(email);
		s_str_seq(types, &a->types, &a->ntypes, d, "agencies.types");
	}
}

/* s_fold_add - add a folded alias to a field's match list. */
static void
s_fold_add(cfg_field_t *f, const char *s)
{
	char *k = text_fold_key(s);

	if (k == NULL)
		return;
	f->folded = xrealloc(f->folded, sizeof(char *) * (size_t)(f->nfolded + 1));
	f->folded[f->nfolded++] = k;
}

/* s_load_field - one field of a record type. */
static void
s_load_field(cfg_field_t *f, const yt_node_t *n, yt_diag_t *d)
{
	static const char *const keys[] = { "name", "type", "required", "personal", "aliases",
		"values", "min", "max", NULL };
	const char *name = NULL, *type = NULL;
	const yt_node_t *aliases = NULL, *values = NULL;
	int required = 1, personal = 0;

	if (yt_check_keys(n, keys, d) != 0 && n->kind != YT_MAP)
		return;
	yt_get_str(n, "name", 1, &name, d);
	yt_get_str(n, "type", 1, &type, d);
	yt_get_bool(n, "required", 0, &required, d);
	yt_get_bool(n, "personal", 0, &personal, d);
	yt_get_seq(n, "aliases", 0, &aliases, d);
	yt_get_map(n, "values", 0, &values, d);
	f->name = xstrdup(name ? name : "?");
	f->required = required;
	f->personal = personal;
	if (name != NULL && !config_identifier_ok(name))
		yt_diag_add(d, yt_map_get(n, "name"), "field '%s': a name is [a-z_][a-z0-9_]* of at most %d characters",
		    name, CONFIG_IDENT_MAX);
	if (yt_map_get(n, "min") != NULL && yt_get_double(n, "min", 0, -9e18, 9e18, &f->min, d) == 0)
		f->has_min = 1;
	if (yt_map_get(n, "max") != NULL && yt_get_double(n, "max", 0, -9e18, 9e18, &f->max, d) == 0)
		f->has_max = 1;
	if (type != NULL) {
		int t = s_in_list(type, s_ftype_names);

		if (t < 0)
			yt_diag_add(d, yt_map_get(n, "type"), "field '%s': unknown type '%s'", f->name, type);
		else
			f->type = (cfg_ftype_t)t;
		if (t == FT_INT && !f->has_max)
			yt_diag_add(d, n, "field '%s': an int field needs a max (the largest plausible value), so that"
			    " no accepted number can overflow a sum", f->name);
		if (f->has_min && f->has_max && f->min > f->max)
			yt_diag_add(d, n, "field '%s': min is above max", f->name);
	}
	s_str_seq(aliases, &f->aliases, &f->naliases, d, "aliases");
	s_fold_add(f, f->name);
	for (int i = 0; i < f->naliases; i++)
		s_fold_add(f, f->aliases[i]);
	if (f->type == FT_ENUM && values == NULL)
		yt_diag_add(d, n, "field '%s': an enum needs 'values'", f->name);
	if (values != NULL) {
		f->values = xcalloc(values->n + 1, sizeof(char *));
		f->value_aliases = xcalloc(values->n + 1, sizeof(char **));
		for (size_t i = 0; i < values->n; i++) {
			int na = 0;

			f->values[f->nvalues] = xstrdup(values->keys[i]->scalar);
			if (!yt_is_null(values->items[i]))
				s_str_seq(values->items[i], &f->value_aliases[f->nvalues], &na, d, "values");
			if (f->value_aliases[f->nvalues] == NULL)
				f->value_aliases[f->nvalues] = xcalloc(1, sizeof(char *));
			f->nvalues++;
		}
	}
}

/* s_load_rtype - one record type. */
static void
s_load_rtype(config_t *c, cfg_rtype_t *t, const yt_node_t *n, yt_diag_t *d)
{
	static const char *const keys[] = { "name", "prefixes", "apply", "key", "fields", "rules", NULL };
	const char *name = NULL, *apply = NULL;
	const yt_node_t *prefixes = NULL, *key = NULL, *fields = NULL, *rules = NULL;
	char **keynames = NULL;
	int nkeynames = 0;

	if (yt_check_keys(n, keys, d) != 0 && n->kind != YT_MAP)
		return;
	yt_get_str(n, "name", 1, &name, d);
	yt_get_str(n, "apply", 1, &apply, d);
	yt_get_seq(n, "prefixes", 0, &prefixes, d);
	yt_get_seq(n, "key", 1, &key, d);
	yt_get_seq(n, "fields", 1, &fields, d);
	yt_get_seq(n, "rules", 0, &rules, d);
	t->name = xstrdup(name ? name : "?");
	if (name != NULL && !config_identifier_ok(name))
		yt_diag_add(d, yt_map_get(n, "name"), "record type '%s': a name is [a-z_][a-z0-9_]* of at most %d"
		    " characters (it names a table)", name, CONFIG_IDENT_MAX);
	if (apply != NULL) {
		if (strcmp(apply, "snapshot") == 0)
			t->apply = APPLY_SNAPSHOT;
		else if (strcmp(apply, "upsert") == 0)
			t->apply = APPLY_UPSERT;
		else
			yt_diag_add(d, yt_map_get(n, "apply"), "record type '%s': apply must be snapshot or upsert", t->name);
	}
	s_str_seq(prefixes, &t->prefixes, &t->nprefixes, d, "prefixes");
	if (t->nprefixes == 0) {
		free(t->prefixes); /* an empty list's array: the name is the prefix */
		t->prefixes = xcalloc(2, sizeof(char *));
		t->prefixes[0] = xstrdup(t->name);
		t->nprefixes = 1;
	}
	if (fields != NULL) {
		t->fields = xcalloc(fields->n + 1, sizeof(cfg_field_t));
		for (size_t i = 0; i < fields->n; i++) {
			s_load_field(&t->fields[t->nfields], fields->items[i], d);
			if (t->fields[t->nfields].name == NULL)
				continue; /* not a mapping: reported, nothing loaded */
			for (int j = 0; j < t->nfields; j++)
				if (strcmp(t->fields[j].name, t->fields[t->nfields].name) == 0)
					yt_diag_add(d, fields->items[i], "record type '%s': field '%s' appears twice",
					    t->name, t->fields[j].name);
			t->nfields++;
		}
	}
	s_str_seq(key, &keynames, &nkeynames, d, "key");
	t->key = xcalloc((size_t)nkeynames + 1, sizeof(int));
	for (int i = 0; i < nkeynames; i++) {
		int fi = config_field_index(t, keynames[i]);

		if (fi < 0)
			yt_diag_add(d, key->items[i], "record type '%s': key field '%s' is not a field", t->name, keynames[i]);
		else
			t->key[t->nkey++] = fi;
		free(keynames[i]);
	}
	free(keynames);
	s_str_seq(rules, &t->rules, &t->nrules, d, "rules");
	for (int i = 0; i < t->nrules; i++) {
		int r = 0;

		while (s_known_rules[r].name != NULL && strcmp(s_known_rules[r].name, t->rules[i]) != 0)
			r++;
		if (s_known_rules[r].name == NULL) {
			yt_diag_add(d, rules->items[i], "record type '%s': unknown rule '%s'", t->name, t->rules[i]);
			continue;
		}
		for (int k = 0; s_known_rules[r].fields[k] != NULL; k++)
			if (config_field_index(t, s_known_rules[r].fields[k]) < 0)
				yt_diag_add(d, rules->items[i], "record type '%s': rule '%s' needs a field '%s'",
				    t->name, t->rules[i], s_known_rules[r].fields[k]);
	}
	(void)c;
}

/* s_load_schemas - the record types file. */
static void
s_load_schemas(config_t *c, const char *path, yt_diag_t *d)
{
	static const char *const keys[] = { "record_types", NULL };
	const yt_node_t *seq = NULL;
	yt_node_t *root = yt_load_file(path, &s_limits, d);

	if (root == NULL)
		return;
	yt_check_keys(root, keys, d);
	yt_get_seq(root, "record_types", 1, &seq, d);
	if (seq != NULL) {
		c->rtypes = xcalloc(seq->n + 1, sizeof(cfg_rtype_t));
		for (size_t i = 0; i < seq->n; i++) {
			s_load_rtype(c, &c->rtypes[c->nrtypes], seq->items[i], d);
			if (c->rtypes[c->nrtypes].name == NULL)
				continue; /* not a mapping: reported, nothing loaded */
			for (int j = 0; j < c->nrtypes; j++)
				if (strcmp(c->rtypes[j].name, c->rtypes[c->nrtypes].name) == 0)
					yt_diag_add(d, seq->items[i], "record type '%s' appears twice", c->rtypes[j].name);
			c->nrtypes++;
		}
	}
	yt_free(root);
}

/* s_int - read an int key into an int with a range. */
static void
s_int(const yt_node_t *m, const char *key, long long lo, long long hi, int *out, yt_diag_t *d)
{
	long long v;

	if (m != NULL && yt_map_get(m, key) != NULL && yt_get_int(m, key, 0, lo, hi, &v, d) == 0)
		*out = (int)v;
}

/* s_sections - the small scalar sections: ingest, validate, goal. */
static void
s_sections(config_t *c, const yt_node_t *root, yt_diag_t *d)
{
	static const char *const ik[] = { "max_file_bytes", "batch_rows", "window", "rescan_ms", "retention_days",
		NULL };
	static const char *const vk[] = { "instances", NULL };
	static const char *const ak[] = { "incomplete_timeout_s", "order_wait_s", NULL };
	static const char *const gk[] = { "year", "bhxh_pct", "bhtn_pct", NULL };
	const yt_node_t *m = NULL;
	const char *lvl = NULL;

	c->ingest.max_file_bytes = 4LL << 30;
	c->ingest.batch_rows = 1000;
	c->ingest.window = 8;
	c->ingest.rescan_ms = 2000;
	c->ingest.retention_days = 90;
	c->validate.instances = 1;
	c->aggregate.incomplete_timeout_s = 600;
	c->aggregate.order_wait_s = 60;
	c->goal.year = 2020;
	c->goal.bhxh_pct = 50;
	c->goal.bhtn_pct = 35;
	if (yt_get_map(root, "ingest", 0, &m, d) == 0 && m != NULL) {
		yt_check_keys(m, ik, d);
		if (yt_map_get(m, "max_file_bytes") != NULL)
			yt_get_int(m, "max_file_bytes", 0, 1, 1LL << 50, &c->ingest.max_file_bytes, d);
		s_int(m, "batch_rows", 1, 100000, &c->ingest.batch_rows, d);
		s_int(m, "window", 1, 1024, &c->ingest.window, d);
		s_int(m, "rescan_ms", 100, 3600000, &c->ingest.rescan_ms, d);
		s_int(m, "retention_days", 0, 36500, &c->ingest.retention_days, d);
	}
	m = NULL;
	if (yt_get_map(root, "validate", 0, &m, d) == 0 && m != NULL) {
		yt_check_keys(m, vk, d);
		s_int(m, "instances", 1, 64, &c->validate.instances, d);
	}
	m = NULL;
	if (yt_get_map(root, "aggregate", 0, &m, d) == 0 && m != NULL) {
		yt_check_keys(m, ak, d);
		s_int(m, "incomplete_timeout_s", 1, 30 * 86400, &c->aggregate.incomplete_timeout_s, d);
		s_int(m, "order_wait_s", 0, 86400, &c->aggregate.order_wait_s, d);
	}
	m = NULL;
	if (yt_get_map(root, "goal", 0, &m, d) == 0 && m != NULL) {
		yt_check_keys(m, gk, d);
		s_int(m, "year", 1990, 2100, &c->goal.year, d);
		if (yt_map_get(m, "bhxh_pct") != NULL)
			yt_get_double(m, "bhxh_pct", 0, 0, 100, &c->goal.bhxh_pct, d);
		if (yt_map_get(m, "bhtn_pct") != NULL)
			yt_get_double(m, "bhtn_pct", 0, 0, 100, &c->goal.bhtn_pct, d);
	}
	yt_get_str(root, "log_level", 0, &lvl, d);
	if (lvl != NULL && strcmp(lvl, "error") && strcmp(lvl, "warn") && strcmp(lvl, "info") && strcmp(lvl, "debug"))
		yt_diag_add(d, yt_map_get(root, "log_level"), "log_level: expected error, warn, info or debug, got '%s'", lvl);
	c->log_level = xstrdup(lvl ? lvl : "info");
}

/* s_cross_check - references between sections. */
static void
s_cross_check(config_t *c, const yt_node_t *root, yt_diag_t *d)
{
	const yt_node_t *agencies = yt_map_get(root, "agencies");

	for (int i = 0; i < c->nagencies; i++)
		for (int j = 0; j < c->agencies[i].ntypes; j++)
			if (config_rtype(c, c->agencies[i].types[j]) == NULL)
				yt_diag_add(d, agencies && (size_t)i < agencies->n ? agencies->items[i] : root,
				    "agency '%s': record type '%s' is not defined in the schemas",
				    c->agencies[i].id, c->agencies[i].types[j]);
}

/* s_rel_path - a path from the configuration, relative to its directory. */
static char *
s_rel_path(const config_t *c, const char *p)
{
	char *out = NULL;

	if (p[0] == '/')
		return xstrdup(p);
	if (asprintf(&out, "%s/%s", c->dir, p) < 0)
		return NULL;
	return out;
}

/* s_sub_file - load the findings or alerting file named by key (defaults when absent). */
static void
s_sub_file(config_t *c, const yt_node_t *root, const char *key, yt_diag_t *d)
{
	const char *rel = NULL;
	yt_node_t *sub = NULL;
	char *path = NULL;

	if (yt_get_str(root, key, 0, &rel, d) == 0 && rel != NULL) {
		path = s_rel_path(c, rel);
		if (path != NULL && (sub = yt_load_file(path, &s_limits, d)) == NULL) {
			free(path);
			return;
		}
	}
	if (strcmp(key, "findings") == 0)
		c->findings = cfg_findings_load(sub, d);
	else
		c->alert = cfg_alert_load(sub, d);
	yt_free(sub);
	free(path);
}

/* s_load_moves - org_unit_moves: OLD: NEW pairs, OLD a code the tree no
 * longer has (history may hold it), NEW a unit of the tree. */
static void
s_load_moves(config_t *c, const yt_node_t *root, yt_diag_t *d)
{
	const yt_node_t *m = NULL;

	if (yt_get_map(root, "org_unit_moves", 0, &m, d) != 0 || m == NULL || yt_is_null(m))
		return;
	c->moves = xcalloc(m->n + 1, sizeof(*c->moves));
	for (size_t i = 0; i < m->n; i++) {
		const char *from = m->keys[i]->scalar, *to = NULL;
		const yt_node_t *v = m->items[i];

		if (v->kind != YT_SCALAR || yt_scalar_str(v, &to, d, "org_unit_moves") != 0 || to == NULL)
			continue;
		if (config_unit_index(c, from) >= 0) {
			yt_diag_add(d, m->keys[i], "org_unit_moves.%s: '%s' is still a unit of org_units; only codes the"
			    " tree no longer has can be moved", from, from);
			continue;
		}
		if (config_unit_index(c, to) < 0) {
			yt_diag_add(d, v, "org_unit_moves.%s: '%s' is not a unit of org_units", from, to);
			continue;
		}
		if (strlen(from) == 0 || strlen(from) > 64 || strpbrk(from, "\t\r\n'\"\\") != NULL) {
			yt_diag_add(d, m->keys[i], "org_unit_moves: '%.64s' is not an org unit code", from);
			continue;
		}
		c->moves[c->nmoves].from = xstrdup(from);
		c->moves[c->nmoves].to = xstrdup(to);
		c->nmoves++;
	}
}

/* config_listen_ok - HOST:PORT for a listening socket: HOST an IPv4 address
 * or a host name (letters, digits, '.', '-', '_'), PORT 1-65535; 1 or 0. */
int
config_listen_ok(const char *s)
{
	const char *colon = s != NULL ? strrchr(s, ':') : NULL;
	char *end;
	long port;

	if (colon == NULL || colon == s || (size_t)(colon - s) > 253 ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != (size_t)(colon - s))
		return 0;
	port = strtol(colon + 1, &end, 10);
	return colon[1] >= '0' && colon[1] <= '9' && *end == '\0' && port >= 1 && port <= 65535;
}

/* s_metrics - metrics.listen: where the metrics and health server listens. */
static void
s_metrics(config_t *c, const yt_node_t *root, yt_diag_t *d)
{
	static const char *const keys[] = { "listen", NULL };
	const yt_node_t *m = NULL;
	const char *listen = NULL;

	if (yt_get_map(root, "metrics", 0, &m, d) != 0 || m == NULL)
		return;
	yt_check_keys(m, keys, d);
	if (yt_get_str(m, "listen", 1, &listen, d) != 0 || listen == NULL)
		return;
	if (!config_listen_ok(listen))
		yt_diag_add(d, yt_map_get(m, "listen"), "metrics.listen: '%s': expected HOST:PORT (an IPv4 address or a"
		    " host name, a port 1-65535), e.g. 127.0.0.1:9464", listen);
	else
		c->metrics.listen = xstrdup(listen);
}

/* config_load - load path and the schema file it names; NULL with problems in d. */
config_t *
config_load(const char *path, yt_diag_t *d)
{
	static const char *const keys[] = { "org_units", "agencies", "schemas", "findings", "alerting",
		"ingest", "validate", "aggregate", "goal", "log_level", "endpoints", "org_unit_moves", "metrics", NULL };
	config_t *c = xcalloc(1, sizeof(*c));
	const yt_node_t *units = NULL, *agencies = NULL, *endpoints = NULL;
	const char *schemas = NULL;
	size_t before = d->n;
	yt_node_t *root;
	char *tmp;

	c->path = xstrdup(path);
	tmp = xstrdup(path);
	c->dir = xstrdup(dirname(tmp));
	free(tmp);
	root = yt_load_file(path, &s_limits, d);
	if (root == NULL)
		goto fail;
	yt_check_keys(root, keys, d);
	if (yt_get_map(root, "org_units", 1, &units, d) == 0 && units != NULL)
		s_load_unit(c, units, -1, 0, d);
	if (yt_get_seq(root, "agencies", 1, &agencies, d) == 0 && agencies != NULL)
		s_load_agencies(c, agencies, d);
	if (yt_get_str(root, "schemas", 1, &schemas, d) == 0 && schemas != NULL) {
		char *sp = s_rel_path(c, schemas);

		if (sp != NULL)
			s_load_schemas(c, sp, d);
		free(sp);
	}
	s_sections(c, root, d);
	s_metrics(c, root, d);
	yt_get_map(root, "endpoints", 0, &endpoints, d);
	c->endpoints = cfg_endpoints_load(endpoints, c->validate.instances, d);
	s_cross_check(c, root, d);
	s_load_moves(c, root, d);
	s_sub_file(c, root, "findings", d);
	s_sub_file(c, root, "alerting", d);
	yt_free(root);
	if (d->n > before)
		goto fail;
	return c;
fail:
	config_free(&c);
	return NULL;
}

/* s_free_strv - free a counted string array. */
static void
s_free_strv(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* config_free - free everything config_load made. */
void
config_free(config_t **self_p)
{
	config_t *c = *self_p;

	if (c == NULL)
		return;
	for (int i = 0; i < c->nunits; i++) {
		free(c->units[i].code);
		free(c->units[i].name);
	}
	free(c->units);
	for (int i = 0; i < c->nmoves; i++) {
		free(c->moves[i].from);
		free(c->moves[i].to);
	}
	free(c->moves);
	for (int i = 0; i < c->nagencies; i++) {
		cfg_agency_t *a = &c->agencies[i];

		free(a->id);
		free(a->name);
		free(a->scope);
		free(a->encoding);
		free(a->email);
		s_free_strv(a->types, a->ntypes);
	}
	free(c->agencies);
	for (int i = 0; i < c->nrtypes; i++) {
		cfg_rtype_t *t = &c->rtypes[i];

		for (int j = 0; j < t->nfields; j++) {
			cfg_field_t *f = &t->fields[j];

			free(f->name);
			s_free_strv(f->aliases, f->naliases);
			s_free_strv(f->folded, f->nfolded);
			for (int k = 0; k < f->nvalues; k++) {
				for (int m = 0; f->value_aliases && f->value_aliases[k] && f->value_aliases[k][m]; m++)
					free(f->value_aliases[k][m]);
				if (f->value_aliases)
					free(f->value_aliases[k]);
			}
			free(f->value_aliases);
			s_free_strv(f->values, f->nvalues);
		}
		free(t->fields);
		free(t->name);
		free(t->key);
		s_free_strv(t->prefixes, t->nprefixes);
		s_free_strv(t->rules, t->nrules);
	}
	free(c->rtypes);
	cfg_findings_free(&c->findings);
	cfg_alert_free(&c->alert);
	cfg_endpoints_free(&c->endpoints);
	free(c->log_level);
	free(c->metrics.listen);
	free(c->path);
	free(c->dir);
	free(c);
	*self_p = NULL;
}

int
config_unit_index(const config_t *c, const char *code)
{
	for (int i = 0; i < c->nunits; i++)
		if (strcmp(c->units[i].code, code) == 0)
			return i;
	return -1;
}

const cfg_agency_t *
config_agency(const config_t *c, const char *id)
{
	for (int i = 0; i < c->nagencies; i++)
		if (strcmp(c->agencies[i].id, id) == 0)
			return &c->agencies[i];
	return NULL;
}

const cfg_rtype_t *
config_rtype(const config_t *c, const char *name)
{
	for (int i = 0; i < c->nrtypes; i++)
		if (strcmp(c->rtypes[i].name, name) == 0)
			return &c->rtypes[i];
	return NULL;
}

int
config_field_index(const cfg_rtype_t *t, const char *name)
{
	for (int i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0)
			return i;
	return -1;
}

int
config_agency_allows(const cfg_agency_t *a, const char *rtype)
{
	for (int i = 0; i < a->ntypes; i++)
		if (strcmp(a->types[i], rtype) == 0)
			return 1;
	return 0;
}

/* config_unit_within - walk up from u; O(depth). */
int
config_unit_within(const config_t *c, int u, int root)
{
	for (; u >= 0; u = c->units[u].parent)
		if (u == root)
			return 1;
	return 0;
}

/* config_identifier_ok - [a-z_][a-z0-9_]*, at most CONFIG_IDENT_MAX characters:
 * a name that may become an SQL identifier. */
int
config_identifier_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONFIG_IDENT_MAX || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* config_rtype_for_file - longest configured prefix that starts the name,
 * after any leading spaces, dashes, underscores and dots (so "-participant_…"
 * or " participant_…" from a careless copy still says what it holds). */
const cfg_rtype_t *
config_rtype_for_file(const config_t *c, const char *filename)
{
	const cfg_rtype_t *best = NULL;
	size_t bestlen = 0;

	filename += strspn(filename, " -_.");

	for (int i = 0; i < c->nrtypes; i++) {
		for (int j = 0; j < c->rtypes[i].nprefixes; j++) {
			const char *p = c->rtypes[i].prefixes[j];
			size_t n = strlen(p);
			char next;

			if (strncasecmp(filename, p, n) != 0)
				continue;
			next = filename[n];
			if ((next == '\0' || next == '_' || next == '-' || next == '.') && n > bestlen) {
				best = &c->rtypes[i];
				bestlen = n;
			}
		}
	}
	return best;
}

const char *
config_ftype_name(cfg_ftype_t t)
{
	return s_ftype_names[t];
}
