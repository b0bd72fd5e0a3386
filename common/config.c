/* config - load and check the pipeline's YAML configuration (see config.h).
 *
 * Trusts nothing in the files: every key is checked against the allowed list
 * of its section, every value against its type and range, and all problems
 * are collected before failing. */
#include "config.h"
#include "cfgdesc.h"
#include "text.h"
#include "xalloc.h"

#include <libgen.h>
#include <stddef.h>
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

/* The description of bhxh.yaml and schemas.yaml (cfgdesc.h). Readers of
 * lists and trees come first; the tables follow, then config_load. */

/* An org unit as written, before it joins the tree. */
typedef struct {
	char *code;
	char *name;
	const yt_node_t *children;
} s_unit_in_t;

static const cd_key_t s_unit_keys[] = {
	{ .key = "code", .type = CD_STR, .flags = CD_REQUIRED, .off = offsetof(s_unit_in_t, code),
	  .doc = "the unit's code: letters, digits, `_`, `-` and `.` (not first), at most 32; unique in the tree;"
	  " data rows carry the codes of leaves" },
	{ .key = "name", .type = CD_STR, .off = offsetof(s_unit_in_t, name), .def_doc = "the code",
	  .doc = "the name reports, notices and the dashboard show" },
	{ .key = "children", .type = CD_CUSTOM, .flags = CD_LIST, .off = offsetof(s_unit_in_t, children),
	  .sub = s_unit_keys, .read = cd_keep_node, .type_doc = "list of units", .def_doc = "none (a leaf)",
	  .doc = "the units below it, each with these same keys; 16 levels at most. Figures for a unit are"
	  " computed over its subtree" },
	{ .key = NULL }
};

/* s_load_unit - add one org unit and, recursively, its children. */
static void
s_load_unit(config_t *c, const yt_node_t *n, int parent, int depth, cd_ctx_t *cx)
{
	cd_ctx_t ic = cd_item_ctx(cx);
	yt_diag_t *d = cx->d;
	s_unit_in_t in = { 0 };
	int self;

	if (depth > 16) {
		yt_diag_add(d, n, "org_units: tree deeper than 16 levels");
		return;
	}
	if (n->kind != YT_MAP) {
		yt_diag_add(d, n, "org_units: expected a map with code, name, children");
		return;
	}
	cd_read(s_unit_keys, "", n, &in, &ic);
	if (in.code == NULL)
		goto done;
	if (config_unit_index(c, in.code) >= 0) {
		yt_diag_add(d, yt_map_get(n, "code"), "org_units: code '%s' appears twice", in.code);
		goto done;
	}
	if (in.code[0] == '\0' || in.code[0] == '.' || strlen(in.code) > 32 ||
	    strspn(in.code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(in.code))
		yt_diag_add(d, yt_map_get(n, "code"), "org_units: code '%s': use letters, digits, '_', '-' and '.'"
		    " (not first), at most 32", in.code);
	c->units = xrealloc(c->units, sizeof(cfg_unit_t) * (size_t)(c->nunits + 1));
	self = c->nunits++;
	c->units[self] = (cfg_unit_t){ xstrdup(in.code), xstrdup(in.name ? in.name : in.code), parent, depth, 0 };
	if (parent >= 0)
		c->units[parent].nchildren++;
	for (size_t i = 0; in.children != NULL && in.children->kind == YT_SEQ && i < in.children->n; i++)
		s_load_unit(c, in.children->items[i], self, depth + 1, cx);
	if (in.children != NULL && in.children->kind != YT_SEQ)
		yt_diag_add(d, in.children, "children: expected a list of units");
done:
	cd_free(s_unit_keys, &in);
}

/* s_read_units - org_units: the root unit. */
static int
s_read_units(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	size_t before = cx->d->n;

	if (n == NULL)
		return 0;
	s_load_unit(base, n, -1, 0, cx);
	return cx->d->n > before ? -1 : 0;
}

/* s_check_encoding - an agency's encoding is one text.c converts. */
static int
s_check_encoding(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	const char *enc = *(char **)((char *)base + k->off);

	if (enc == NULL || text_encoding_known(enc))
		return 0;
	yt_diag_add(cx->d, n, "agencies: encoding '%s' unknown (expected UTF-8, WINDOWS-1258, TCVN3 or VISCII)", enc);
	return -1;
}

/* s_check_scope - an agency's scope is a unit of the tree. */
static int
s_check_scope(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	const char *scope = *(char **)((char *)base + k->off);

	if (scope == NULL || config_unit_index(cx->user, scope) >= 0)
		return 0;
	yt_diag_add(cx->d, n, "agencies: scope '%s' is not an org unit", scope);
	return -1;
}

static const cd_key_t s_agency_keys[] = {
	{ .key = "id", .type = CD_STR, .flags = CD_REQUIRED, .off = offsetof(cfg_agency_t, id),
	  .doc = "a-z, 0-9, `_`, `-`: names the agency's drop folder `VAR/spool/incoming/ID/` and its receipts" },
	{ .key = "name", .type = CD_STR, .off = offsetof(cfg_agency_t, name), .def_doc = "the id",
	  .doc = "the agency's name in receipts and notices" },
	{ .key = "types", .type = CD_STRS, .flags = CD_REQUIRED, .off = offsetof(cfg_agency_t, types),
	  .noff = offsetof(cfg_agency_t, ntypes), .type_doc = "list of record types",
	  .doc = "the record types (schemas.yaml) it may submit; a file of another type is refused" },
	{ .key = "scope", .type = CD_STR, .off = offsetof(cfg_agency_t, scope), .check = s_check_scope,
	  .type_doc = "org-unit code", .def_doc = "the whole tree",
	  .doc = "rows for units outside this unit's subtree are rejected" },
	{ .key = "encoding", .type = CD_STR, .off = offsetof(cfg_agency_t, encoding), .check = s_check_encoding,
	  .type_doc = "`UTF-8`, `WINDOWS-1258`, `TCVN3` or `VISCII`", .def_doc = "`UTF-8`",
	  .doc = "the encoding its files are read in when they are not UTF-8: a file whose first 64 KiB are valid"
	  " UTF-8 is read as UTF-8 whatever this says, and one in another legacy encoding is refused naming it"
	  " (docs/INGEST.md)" },
	{ .key = "email", .type = CD_STR, .off = offsetof(cfg_agency_t, email), .doc = "a contact address" },
	{ .key = NULL }
};

/* s_keep_agency - an agency read: it has an id, unique and of folder-safe
 * characters; its name defaults to its id. */
static int
s_keep_agency(void *item, const yt_node_t *n, cd_ctx_t *cx, void *owner)
{
	cfg_agency_t *a = item;

	if (a->id == NULL)
		return -1;
	if (config_agency(owner, a->id) != NULL)
		yt_diag_add(cx->d, yt_map_get(n, "id"), "agencies: id '%s' appears twice", a->id);
	if (strspn(a->id, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(a->id))
		yt_diag_add(cx->d, yt_map_get(n, "id"), "agencies: id '%s': use a-z, 0-9, '_' and '-' only", a->id);
	if (a->name == NULL)
		a->name = xstrdup(a->id);
	return 0;
}

/* s_read_agencies - the agencies list. */
static int
s_read_agencies(const cd_key_t *k, const yt_node_t *seq, void *base, cd_ctx_t *cx)
{
	config_t *c = base;
	const cd_items_t spec = { &c->agencies, &c->nagencies, sizeof(cfg_agency_t), "agency", "id, name, types", 0,
		c, s_keep_agency };

	return cd_read_items(k, seq, cx, &spec);
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

/* s_check_ident - a record type's or field's name may name a table or column. */
static int
s_check_ident(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	const char *name = *(char **)((char *)base + k->off);

	if (name == NULL || config_identifier_ok(name))
		return 0;
	yt_diag_add(cx->d, n, "%s: a name is [a-z_][a-z0-9_]* of at most %d characters (it names a table or"
	    " a column)", cx->label != NULL ? cx->label : name, CONFIG_IDENT_MAX);
	return -1;
}

/* s_check_min, s_check_max - note that a bound was given. */
static int
s_check_min(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	((cfg_field_t *)base)->has_min = n != NULL && !yt_is_null(n);
	return 0;
}

static int
s_check_max(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	((cfg_field_t *)base)->has_max = n != NULL && !yt_is_null(n);
	return 0;
}

/* s_read_values - an enum's values: canonical value -> list of aliases. */
static int
s_read_values(const cd_key_t *k, const yt_node_t *values, void *base, cd_ctx_t *cx)
{
	cfg_field_t *f = base;
	int rc = 0;

	if (values == NULL)
		return 0;
	if (values->kind != YT_MAP) {
		yt_diag_add(cx->d, values, "values: expected a map of value: [aliases]");
		return -1;
	}
	f->values = xcalloc(values->n + 1, sizeof(char *));
	f->value_aliases = xcalloc(values->n + 1, sizeof(char **));
	for (size_t i = 0; i < values->n; i++) {
		int na = 0;

		f->values[f->nvalues] = xstrdup(values->keys[i]->scalar);
		if (!yt_is_null(values->items[i]) && s_str_seq(values->items[i], &f->value_aliases[f->nvalues], &na,
		    cx->d, "values") != 0)
			rc = -1;
		if (f->value_aliases[f->nvalues] == NULL)
			f->value_aliases[f->nvalues] = xcalloc(1, sizeof(char *));
		f->nvalues++;
	}
	return rc;
}

#define S_FTYPES "string|tax_code|insurance_no|citizen_id|unit_code|code|org_unit|org_unit_leaf|date|period|" \
	"year|money|int|pct|bool|enum"

static const cd_key_t s_field_keys[] = {
	{ .key = "name", .type = CD_STR, .flags = CD_REQUIRED, .off = offsetof(cfg_field_t, name),
	  .check = s_check_ident, .doc = "`[a-z_][a-z0-9_]*`, at most 63 characters: the canonical name" },
	{ .key = "type", .type = CD_ENUM, .flags = CD_REQUIRED, .off = offsetof(cfg_field_t, type),
	  .values = S_FTYPES, .type_doc = "a field type (below)", .doc = "how a value is checked (docs/VALIDATION.md)" },
	{ .key = "required", .type = CD_BOOL, .off = offsetof(cfg_field_t, required), .def = "true",
	  .doc = "an empty value is an error" },
	{ .key = "personal", .type = CD_BOOL, .off = offsetof(cfg_field_t, personal), .def = "false",
	  .doc = "never echoed in receipts, logs or notices" },
	{ .key = "aliases", .type = CD_STRS, .off = offsetof(cfg_field_t, aliases), .noff = offsetof(cfg_field_t, naliases),
	  .type_doc = "list of headings", .doc = "column headings accepted for it, matched ignoring case, spacing and"
	  " Vietnamese diacritics" },
	{ .key = "values", .type = CD_CUSTOM, .read = s_read_values, .type_doc = "map `value: [aliases]`",
	  .doc = "for `enum`: each canonical value with the spellings accepted for it" },
	{ .key = "min", .type = CD_DOUBLE, .off = offsetof(cfg_field_t, min), .dmin = -9e18, .dmax = 9e18,
	  .check = s_check_min, .doc = "the smallest value accepted" },
	{ .key = "max", .type = CD_DOUBLE, .off = offsetof(cfg_field_t, max), .dmin = -9e18, .dmax = 9e18,
	  .check = s_check_max, .doc = "the largest value accepted; required for `int` (the largest plausible value,"
	  " so that no accepted number can overflow a sum)" },
	{ .key = NULL }
};

/* s_keep_field - a field read: its checks across keys, its folded headings,
 * and a name unique in its record type. */
static int
s_keep_field(void *item, const yt_node_t *n, cd_ctx_t *cx, void *owner)
{
	cfg_rtype_t *t = owner;
	cfg_field_t *f = item;
	yt_diag_t *d = cx->d;

	if (f->name == NULL)
		f->name = xstrdup("?");
	if (f->type == FT_INT && !f->has_max && yt_map_get(n, "type") != NULL)
		yt_diag_add(d, n, "field '%s': an int field needs a max (the largest plausible value), so that"
		    " no accepted number can overflow a sum", f->name);
	if (f->has_min && f->has_max && f->min > f->max)
		yt_diag_add(d, n, "field '%s': min is above max", f->name);
	if (f->type == FT_ENUM && f->values == NULL)
		yt_diag_add(d, n, "field '%s': an enum needs 'values'", f->name);
	s_fold_add(f, f->name);
	for (int j = 0; j < f->naliases; j++)
		s_fold_add(f, f->aliases[j]);
	for (int j = 0; j < t->nfields; j++)
		if (strcmp(t->fields[j].name, f->name) == 0)
			yt_diag_add(d, n, "record type '%s': field '%s' appears twice", t->name ? t->name : "?", f->name);
	return 0;
}

/* s_read_fields - a record type's fields. */
static int
s_read_fields(const cd_key_t *k, const yt_node_t *fields, void *base, cd_ctx_t *cx)
{
	cfg_rtype_t *t = base;
	const cd_items_t spec = { &t->fields, &t->nfields, sizeof(cfg_field_t), "field", "name, type, ...", 1, t,
		s_keep_field };

	return cd_read_items(k, fields, cx, &spec);
}

/* s_read_key - a record type's key: field names into field indexes. */
static int
s_read_key(const cd_key_t *k, const yt_node_t *key, void *base, cd_ctx_t *cx)
{
	cfg_rtype_t *t = base;
	char **names = NULL;
	int n = 0, rc;

	rc = s_str_seq(key, &names, &n, cx->d, "key");
	t->key = xcalloc((size_t)n + 1, sizeof(int));
	for (int i = 0; i < n; i++) {
		int fi = config_field_index(t, names[i]);

		if (fi < 0) {
			yt_diag_add(cx->d, key->items[i], "record type '%s': key field '%s' is not a field",
			    t->name ? t->name : "?", names[i]);
			rc = -1;
		} else {
			t->key[t->nkey++] = fi;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* s_check_rules - every rule is known and its fields are there. */
static int
s_check_rules(const cd_key_t *k, const yt_node_t *rules, void *base, cd_ctx_t *cx)
{
	cfg_rtype_t *t = base;
	int rc = 0;

	for (int i = 0; i < t->nrules; i++) {
		const yt_node_t *at = rules != NULL && rules->kind == YT_SEQ && (size_t)i < rules->n ? rules->items[i] : rules;
		int r = 0;

		while (s_known_rules[r].name != NULL && strcmp(s_known_rules[r].name, t->rules[i]) != 0)
			r++;
		if (s_known_rules[r].name == NULL) {
			yt_diag_add(cx->d, at, "record type '%s': unknown rule '%s'", t->name ? t->name : "?", t->rules[i]);
			rc = -1;
			continue;
		}
		for (int f = 0; s_known_rules[r].fields[f] != NULL; f++)
			if (config_field_index(t, s_known_rules[r].fields[f]) < 0) {
				yt_diag_add(cx->d, at, "record type '%s': rule '%s' needs a field '%s'", t->name ? t->name : "?",
				    t->rules[i], s_known_rules[r].fields[f]);
				rc = -1;
			}
	}
	return rc;
}

static const cd_key_t s_rtype_keys[] = {
	{ .key = "name", .type = CD_STR, .flags = CD_REQUIRED, .off = offsetof(cfg_rtype_t, name),
	  .check = s_check_ident, .doc = "`[a-z_][a-z0-9_]*`, at most 63 characters: names the record type and its table" },
	{ .key = "prefixes", .type = CD_STRS, .off = offsetof(cfg_rtype_t, prefixes),
	  .noff = offsetof(cfg_rtype_t, nprefixes), .type_doc = "list of texts", .def_doc = "the name",
	  .doc = "file-name prefixes that say a file holds this type (`participant_2017-05.csv`)" },
	{ .key = "apply", .type = CD_ENUM, .flags = CD_REQUIRED, .off = offsetof(cfg_rtype_t, apply),
	  .values = "upsert|snapshot", .doc = "`snapshot`: a file replaces what the same agency sent for each period it"
	  " contains; `upsert`: rows replace rows with the same key" },
	{ .key = "fields", .type = CD_CUSTOM, .flags = CD_REQUIRED | CD_LIST, .sub = s_field_keys, .read = s_read_fields,
	  .doc = "the columns" },
	{ .key = "key", .type = CD_CUSTOM, .flags = CD_REQUIRED, .read = s_read_key, .type_doc = "list of field names",
	  .doc = "the fields that identify a row" },
	{ .key = "rules", .type = CD_STRS, .off = offsetof(cfg_rtype_t, rules), .noff = offsetof(cfg_rtype_t, nrules),
	  .check = s_check_rules, .type_doc = "list of rule names (below)", .doc = "cross-field rules checked on each row" },
	{ .key = NULL }
};

/* s_keep_rtype - a record type read: its prefixes (its name when none) and
 * a name unique in the schemas. */
static int
s_keep_rtype(void *item, const yt_node_t *n, cd_ctx_t *cx, void *owner)
{
	config_t *c = owner;
	cfg_rtype_t *t = item;

	if (t->name == NULL)
		t->name = xstrdup("?");
	if (t->nprefixes == 0) {
		free(t->prefixes); /* none given: the name is the prefix */
		t->prefixes = xcalloc(2, sizeof(char *));
		t->prefixes[0] = xstrdup(t->name);
		t->nprefixes = 1;
	}
	for (int j = 0; j < c->nrtypes; j++)
		if (strcmp(c->rtypes[j].name, t->name) == 0)
			yt_diag_add(cx->d, n, "record type '%s' appears twice", t->name);
	return 0;
}

/* s_read_rtypes - record_types of the schemas file. */
static int
s_read_rtypes(const cd_key_t *k, const yt_node_t *seq, void *base, cd_ctx_t *cx)
{
	config_t *c = base;
	const cd_items_t spec = { &c->rtypes, &c->nrtypes, sizeof(cfg_rtype_t), "record type",
		"name, apply, key, fields, ...", 1, c, s_keep_rtype };

	return cd_read_items(k, seq, cx, &spec);
}

const cd_key_t config_schema_keys[] = {
	{ .key = "record_types", .type = CD_CUSTOM, .flags = CD_REQUIRED | CD_LIST, .sub = s_rtype_keys,
	  .read = s_read_rtypes, .doc = "the record types agencies send" },
	{ .key = NULL }
};

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

/* s_sub_file - the file a key names, loaded (NULL: none given or not loaded; *failed then says which). */
static yt_node_t *
s_sub_file(const cd_key_t *k, void *base, cd_ctx_t *cx, int *failed)
{
	config_t *c = base;
	const char *rel = *(char **)((char *)base + k->off);
	yt_node_t *root = NULL;
	char *path;

	*failed = 0;
	if (rel == NULL)
		return NULL;
	if ((path = s_rel_path(c, rel)) == NULL || (root = yt_load_file(path, &s_limits, cx->d)) == NULL)
		*failed = 1;
	free(path);
	return root;
}

/* s_load_schemas - the schemas file, read with config_schema_keys. */
static int
s_load_schemas(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	int failed, rc;
	yt_node_t *root = s_sub_file(k, base, cx, &failed);

	if (root == NULL)
		return -1;
	rc = cd_read(config_schema_keys, "schemas.", root, base, cx);
	yt_free(root);
	return rc;
}

/* s_load_sub - the findings or the alerting file, as k names (the built-in
 * defaults without one), read with its own table. */
static int
s_load_sub(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	config_t *c = base;
	int failed, findings = strcmp(k->key, "findings") == 0;
	yt_node_t *root = s_sub_file(k, base, cx, &failed);
	cd_ctx_t sub = { cx->d, c, cx->sums, findings ? CD_BASE_FINDINGS : CD_BASE_ALERT, NULL, 0, NULL,
		k->readby != 0 ? k->readby : cx->readby }; /* the file's keys are read by whoever reads k */
	int ok;

	if (failed)
		return -1;
	if (findings)
		ok = (c->findings = cfg_findings_read(root, &sub)) != NULL;
	else
		ok = (c->alert = cfg_alert_read(root, &sub)) != NULL;
	yt_free(root);
	return ok ? 0 : -1;
}

/* s_read_endpoints - the endpoints section (cfg_endpoints.c), after validate.instances. */
static int
s_read_endpoints(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	config_t *c = base;
	size_t before = cx->d->n;

	c->endpoints = cfg_endpoints_load(n, c->validate.instances, cx->d);
	return cx->d->n > before ? -1 : 0;
}

/* s_read_moves - org_unit_moves: OLD: NEW pairs, OLD a code the tree no
 * longer has (history may hold it), NEW a unit of the tree. */
static int
s_read_moves(const cd_key_t *k, const yt_node_t *m, void *base, cd_ctx_t *cx)
{
	config_t *c = base;
	yt_diag_t *d = cx->d;
	size_t before = d->n;

	if (m == NULL)
		return 0;
	if (m->kind != YT_MAP) {
		yt_diag_add(d, m, "org_unit_moves: expected a map of OLD: NEW codes");
		return -1;
	}
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
	return d->n > before ? -1 : 0;
}

/* s_check_listen - metrics.listen is HOST:PORT. */
static int
s_check_listen(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	const char *listen = ((config_t *)base)->metrics.listen;

	if (listen == NULL || config_listen_ok(listen))
		return 0;
	yt_diag_add(cx->d, n, "metrics.listen: '%s': expected HOST:PORT (an IPv4 address or a host name, a port"
	    " 1-65535), e.g. 127.0.0.1:9464", listen);
	return -1;
}

static const cd_key_t s_ingest_keys[] = {
	{ .key = "max_file_bytes", .type = CD_LLONG, .flags = CD_RELOAD, .off = offsetof(config_t, ingest.max_file_bytes),
	  .def = "4294967296", .min = 1, .max = 1LL << 50, .def_doc = "4 GiB (`4294967296`)",
	  .doc = "larger files are refused whole (`E_FILE_TOO_LARGE`)" },
	{ .key = "batch_rows", .type = CD_INT, .off = offsetof(config_t, ingest.batch_rows), .def = "1000",
	  .min = 1, .max = 100000, .doc = "rows per message downstream" },
	{ .key = "window", .type = CD_INT, .flags = CD_RELOAD, .off = offsetof(config_t, ingest.window), .def = "8",
	  .min = 1, .max = 1024, .doc = "batches stored and not yet acknowledged before ingest waits" },
	{ .key = "rescan_ms", .type = CD_INT, .flags = CD_RELOAD, .off = offsetof(config_t, ingest.rescan_ms),
	  .def = "2000", .min = 100, .max = 3600000, .doc = "periodic rescan of the drop folders, besides inotify" },
	{ .key = "retention_days", .type = CD_INT, .flags = CD_RELOAD, .off = offsetof(config_t, ingest.retention_days),
	  .def = "90", .min = 0, .max = 36500, .doc = "files in `spool/archive/` and `spool/rejected/` received longer"
	  " ago are deleted (checked at start and hourly); 0 keeps them forever; see docs/INGEST.md" },
	{ .key = NULL }
};

static const cd_key_t s_validate_keys[] = {
	{ .key = "instances", .type = CD_INT, .flags = CD_LAYOUT, .readby = CD_BY_SUPERVISOR,
	  .off = offsetof(config_t, validate.instances), .def = "1", .min = 1, .max = 64,
	  .doc = "validation processes run side by side; the supervisor reads it when the pipeline starts"
	  " (`bhxhctl down`, then `up`), and until then a reload keeps every worker's endpoints as they are" },
	{ .key = NULL }
};

static const cd_key_t s_aggregate_keys[] = {
	{ .key = "incomplete_timeout_s", .type = CD_INT, .flags = CD_RELOAD,
	  .off = offsetof(config_t, aggregate.incomplete_timeout_s), .def = "600", .min = 1, .max = 30 * 86400,
	  .doc = "a file whose end has arrived but whose batches stopped coming for this many seconds is quarantined"
	  " (docs/ARCHITECTURE.md, \"Nothing blocks the line\")" },
	{ .key = "order_wait_s", .type = CD_INT, .flags = CD_RELOAD, .off = offsetof(config_t, aggregate.order_wait_s),
	  .def = "60", .min = 0, .max = 86400, .doc = "how many seconds a complete file waits for an earlier file number"
	  " that has not arrived (several validators can reorder batches) before it is applied anyway" },
	{ .key = NULL }
};

static const cd_key_t s_goal_keys[] = {
	{ .key = "year", .type = CD_INT, .flags = CD_RELOAD, .off = offsetof(config_t, goal.year), .def = "2020",
	  .min = 1990, .max = 2100, .doc = "the year of the plan's goal; targets between the last target row and it"
	  " are interpolated" },
	{ .key = "bhxh_pct", .type = CD_DOUBLE, .flags = CD_RELOAD, .off = offsetof(config_t, goal.bhxh_pct),
	  .def = "50", .dmin = 0, .dmax = 100, .doc = "the share of the labour force in social insurance by that year" },
	{ .key = "bhtn_pct", .type = CD_DOUBLE, .flags = CD_RELOAD, .off = offsetof(config_t, goal.bhtn_pct),
	  .def = "35", .dmin = 0, .dmax = 100, .doc = "the share in unemployment insurance by that year" },
	{ .key = NULL }
};

static const cd_key_t s_metrics_keys[] = {
	{ .key = "listen", .type = CD_STR, .off = offsetof(config_t, metrics.listen), .check = s_check_listen,
	  .type_doc = "`HOST:PORT`", .def_doc = "none (no server)", .doc = "where the supervisor serves `GET /metrics`"
	  " (Prometheus text) and `GET /healthz`; also `bhxhctl serve-metrics`' default. HOST an IPv4 address or a"
	  " host name, PORT 1-65535 (see \"metrics\" below); the supervisor reads it when the pipeline starts" },
	{ .key = NULL }
};

const cd_key_t config_keys[] = {
	{ .key = "org_units", .type = CD_CUSTOM, .flags = CD_REQUIRED, .sub = s_unit_keys, .read = s_read_units,
	  .type_doc = "a unit", .doc = "the tree of units, from its root. Another tree (communes directly under a province,"
	  " a whole country) needs only this section changed; see \"Tree changes\" in docs/OPERATIONS.md" },
	{ .key = "agencies", .type = CD_CUSTOM, .flags = CD_REQUIRED | CD_LIST, .sub = s_agency_keys,
	  .read = s_read_agencies, .doc = "who sends files, and which" },
	{ .key = "schemas", .type = CD_STR, .flags = CD_REQUIRED, .off = offsetof(config_t, schemas),
	  .check = s_load_schemas, .type_doc = "path", .doc = "the record types file (below), relative to this file" },
	{ .key = "findings", .type = CD_STR, .flags = CD_RELOAD | CD_OWN, .off = offsetof(config_t, findings_path),
	  .readby = CD_BY_AGGREGATE, .check = s_load_sub, .type_doc = "path", .def_doc = "built-in defaults",
	  .doc = "thresholds and severities of findings (below), relative to this file; on reload each of its keys"
	  " is taken as its own row below says" },
	{ .key = "alerting", .type = CD_STR, .flags = CD_RELOAD | CD_OWN, .off = offsetof(config_t, alerting_path),
	  .readby = CD_BY_ALERT, .check = s_load_sub, .type_doc = "path", .def_doc = "built-in defaults",
	  .doc = "receivers and routing of notices (below), relative to this file; on reload each of its keys is"
	  " taken as its own row below says" },
	{ .key = "ingest", .type = CD_SECTION, .readby = CD_BY_INGEST, .sub = s_ingest_keys, .doc = "reading files" },
	{ .key = "validate", .type = CD_SECTION, .readby = CD_BY_VALIDATE, .sub = s_validate_keys,
	  .doc = "checking rows" },
	{ .key = "aggregate", .type = CD_SECTION, .readby = CD_BY_AGGREGATE, .sub = s_aggregate_keys,
	  .doc = "applying files" },
	{ .key = "goal", .type = CD_SECTION, .sub = s_goal_keys, .doc = "the goal path where no target row applies" },
	{ .key = "log_level", .type = CD_ENUM, .flags = CD_RELOAD, .off = offsetof(config_t, log_level),
	  .bufsz = sizeof(((config_t *)0)->log_level), .values = "error|warn|info|debug", .def = "info",
	  .doc = "the most verbose messages logged (a worker started with `-l LEVEL` keeps that level)" },
	{ .key = "endpoints", .type = CD_CUSTOM, .flags = CD_RELOAD | CD_OWN, .sub = cfg_endpoints_keys,
	  .read = s_read_endpoints, .def_doc = "the ipc paths of the var dir", .doc = "where each worker's sockets are,"
	  " to spread the workers over several hosts; every worker reopens its sockets on reload (see \"endpoints\")" },
	{ .key = "org_unit_moves", .type = CD_CUSTOM, .read = s_read_moves, .type_doc = "map `OLD: NEW`",
	  .def_doc = "none", .doc = "codes history holds that `org_units` no longer has, each with the unit of the tree"
	  " its rows now belong to (districts merged, say); OLD must not be in the tree and NEW must be; applied when"
	  " the aggregate starts (\"Tree changes\" in docs/OPERATIONS.md)" },
	{ .key = "metrics", .type = CD_SECTION, .readby = CD_BY_SUPERVISOR, .sub = s_metrics_keys,
	  .doc = "the metrics and health server" },
	{ .key = NULL }
};

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

/* config_load - load path and the files it names; NULL with problems in d. */
config_t *
config_load(const char *path, yt_diag_t *d)
{
	config_t *c = xcalloc(1, sizeof(*c));
	cd_ctx_t cx = { d, c, &c->sums, CD_BASE_MAIN, NULL, 0, NULL, 0 };
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
	cd_read(config_keys, "", root, c, &cx);
	if (c->findings == NULL && d->n == before)
		c->findings = cfg_findings_load(NULL, d);
	if (c->alert == NULL && d->n == before)
		c->alert = cfg_alert_load(NULL, d);
	if (c->endpoints == NULL)
		c->endpoints = cfg_endpoints_load(NULL, c->validate.instances, d);
	s_cross_check(c, root, d);
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
	cd_free(config_keys, c);
	cd_sums_free(&c->sums);
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

/* config_fields_are - see config.h. */
int
config_fields_are(const cfg_rtype_t *t, char *const *names, uint32_t n)
{
	if (n != (uint32_t)t->nfields)
		return 0;
	for (int i = 0; i < t->nfields; i++)
		if (strcmp(names[i], t->fields[i].name) != 0)
			return 0;
	return 1;
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
