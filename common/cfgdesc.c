/* cfgdesc - read, fingerprint, compare and document configuration keys from
 * one table per file (see cfgdesc.h). */
#include "cfgdesc.h"
#include "fsutil.h"
#include "xalloc.h"

#include <ctype.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_MAX_KEYS 64   /* keys of one table */
#define S_DOC_DEPTH 8   /* tables nested in the docs */

/* s_member - the member of base at offset off. */
static void *
s_member(void *base, size_t off)
{
	return (char *)base + off;
}

/* cd_duration_parse - a duration with unit into milliseconds. */
int
cd_duration_parse(const char *s, long long *ms)
{
	char *end = NULL;
	double v, mul;

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
	if (!isfinite(v) || v < 0 || v * mul > 365.0 * 86400000)
		return -1;
	*ms = (long long)(v * mul + 0.5);
	return 0;
}

/* s_fmt_ms - a duration in the largest whole unit: 1ms, 30s, 5m, 24h, 7d. */
static const char *
s_fmt_ms(long long ms, char *buf, size_t size)
{
	static const struct { long long ms; const char *unit; } u[] = {
		{ 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" }, { 1, "ms" }
	};

	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (ms != 0 && ms % u[i].ms == 0) {
			snprintf(buf, size, "%lld%s", ms / u[i].ms, u[i].unit);
			return buf;
		}
	snprintf(buf, size, "0s");
	return buf;
}

/* s_enum_words - "a|b|c" as "a, b or c" (bt: each in backticks). */
static const char *
s_enum_words(const char *values, int bt, char *buf, size_t size)
{
	size_t o = 0, n = 0, i = 0;
	const char *p;

	for (p = values; *p; p++)
		n += *p == '|';
	buf[0] = '\0';
	for (p = values; *p && o + 1 < size; i++) {
		size_t len = strcspn(p, "|");
		const char *sep = i == 0 ? "" : i == n ? " or " : ", ";

		o += (size_t)snprintf(buf + o, size - o, "%s%s%.*s%s", sep, bt ? "`" : "", (int)len, p, bt ? "`" : "");
		if (o >= size)
			break;
		p += len;
		if (*p == '|')
			p++;
	}
	return buf;
}

/* s_enum_index - the position of word in "a|b|c", or -1. */
static int
s_enum_index(const char *values, const char *word)
{
	const char *p = values;
	size_t wl = strlen(word);

	for (int i = 0; *p; i++) {
		size_t len = strcspn(p, "|");

		if (len == wl && strncmp(p, word, len) == 0)
			return i;
		p += len;
		if (*p == '|')
			p++;
	}
	return -1;
}

/* s_int_range - the range of an integer key. */
static void
s_int_range(const cd_key_t *k, long long *lo, long long *hi)
{
	int ranged = k->min != 0 || k->max != 0;

	if (k->type == CD_INT) {
		*lo = ranged && k->min > INT_MIN ? k->min : INT_MIN;
		*hi = ranged && k->max < INT_MAX ? k->max : INT_MAX;
	} else if (k->type == CD_DURATION) {
		*lo = ranged ? k->min : 0;
		*hi = ranged ? k->max : 365LL * 86400000;
	} else {
		*lo = ranged ? k->min : LLONG_MIN;
		*hi = ranged ? k->max : LLONG_MAX;
	}
}

/* s_parse_text - a value written as text (a default, an environment
 * variable) into iv / dv; 0, or -1 with the reason in why. */
static int
s_parse_text(const cd_key_t *k, const char *s, long long *iv, double *dv, char *why, size_t whysz)
{
	char w[256], a[32], b[32];
	long long lo, hi;
	char *end;

	switch (k->type) {
	case CD_STR:
		if (k->bufsz > 0 && strlen(s) >= (size_t)k->bufsz) {
			snprintf(why, whysz, "longer than %d bytes", k->bufsz - 1);
			return -1;
		}
		return 0;
	case CD_INT:
	case CD_LLONG:
		s_int_range(k, &lo, &hi);
		*iv = strtoll(s, &end, 10);
		if (*s == '\0' || *end != '\0' || *iv < lo || *iv > hi) {
			snprintf(why, whysz, "expected an integer from %lld to %lld", lo, hi);
			return -1;
		}
		return 0;
	case CD_DOUBLE:
		*dv = strtod(s, &end);
		if (*s == '\0' || *end != '\0' || !isfinite(*dv) ||
		    ((k->dmin != 0 || k->dmax != 0) && (*dv < k->dmin || *dv > k->dmax))) {
			snprintf(why, whysz, "expected a number from %g to %g", k->dmin, k->dmax);
			return -1;
		}
		return 0;
	case CD_BOOL:
		if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on"))
			*iv = 1;
		else if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off"))
			*iv = 0;
		else {
			snprintf(why, whysz, "expected true or false");
			return -1;
		}
		return 0;
	case CD_DURATION:
		s_int_range(k, &lo, &hi);
		if (cd_duration_parse(s, iv) != 0) {
			snprintf(why, whysz, "expected a duration such as 500ms, 30s, 5m, 24h or 7d");
			return -1;
		}
		if (*iv < lo) {
			snprintf(why, whysz, "must be at least %s", s_fmt_ms(lo, a, sizeof(a)));
			return -1;
		}
		if (*iv > hi) {
			snprintf(why, whysz, "must be at most %s", s_fmt_ms(hi, b, sizeof(b)));
			return -1;
		}
		return 0;
	case CD_ENUM:
		if (k->values == NULL || (*iv = s_enum_index(k->values, s)) < 0) {
			snprintf(why, whysz, "expected %s, got '%.40s'", s_enum_words(k->values ? k->values : "", 0, w,
			    sizeof(w)), s);
			return -1;
		}
		if (k->bufsz > 0 && strlen(s) >= (size_t)k->bufsz) {
			snprintf(why, whysz, "longer than %d bytes", k->bufsz - 1);
			return -1;
		}
		return 0;
	default:
		snprintf(why, whysz, "a %s key cannot be given as text",
		    k->type == CD_STRS ? "list" : k->type == CD_SECTION ? "section" : "custom");
		return -1;
	}
}

/* s_store - put a parsed value into base (strings copied; an owned one replaced). */
static void
s_store(const cd_key_t *k, void *base, const char *s, long long iv, double dv)
{
	void *p = s_member(base, k->off);

	switch (k->type) {
	case CD_STR:
		if (k->bufsz > 0) {
			snprintf(p, (size_t)k->bufsz, "%s", s);
		} else {
			free(*(char **)p);
			*(char **)p = xstrdup(s);
		}
		break;
	case CD_INT:
	case CD_BOOL:
		*(int *)p = (int)iv;
		break;
	case CD_LLONG:
	case CD_DURATION:
		*(long long *)p = iv;
		break;
	case CD_DOUBLE:
		*(double *)p = dv;
		break;
	case CD_ENUM:
		if (k->bufsz > 0)
			snprintf(p, (size_t)k->bufsz, "%s", s);
		else
			*(int *)p = (int)iv;
		break;
	default:
		break;
	}
}

/* s_by_value - a custom key whose value is a plain member (no count, so
 * nothing allocated): its default is set before reading, and a value
 * refused keeps it. */
static int
s_by_value(const cd_key_t *k)
{
	return k->size != 0 && k->noff == 0;
}

/* s_custom_default - a custom key's default, read by its reader from the YAML in def. */
static int
s_custom_default(const cd_key_t *k, void *base, cd_ctx_t *cx)
{
	cd_ctx_t none = { NULL, NULL, NULL, CD_BASE_MAIN, NULL, 0, NULL, 0 };
	yt_node_t *def = yt_load_string(k->key, k->def, strlen(k->def), NULL, cx != NULL ? cx->d : NULL);
	int rc = def != NULL && k->read != NULL ? k->read(k, def, base, cx != NULL ? cx : &none) : -1;

	yt_free(def);
	return rc;
}

/* cd_defaults - the defaults of t into base. */
void
cd_defaults(const cd_key_t *t, void *base)
{
	char why[200];
	long long iv = 0;
	double dv = 0;

	for (; t->key != NULL; t++) {
		if (t->type == CD_SECTION && t->sub != NULL)
			cd_defaults(t->sub, base);
		else if (t->type == CD_CUSTOM && t->def != NULL && s_by_value(t))
			s_custom_default(t, base, NULL);
		else if (t->type != CD_CUSTOM && t->def != NULL && s_parse_text(t, t->def, &iv, &dv, why, sizeof(why)) == 0)
			s_store(t, base, t->def, iv, dv);
	}
}

/* cd_check_keys - unknown keys of map, against the names in t. */
int
cd_check_keys(const cd_key_t *t, const yt_node_t *map, yt_diag_t *d)
{
	const char *names[S_MAX_KEYS + 1];
	int n = 0;

	for (; t->key != NULL && n < S_MAX_KEYS; t++)
		names[n++] = t->key;
	names[n] = NULL;
	return yt_check_keys(map, names, d);
}

/* s_node_hash - a node's content (kinds, keys, scalars; not the marks). */
static uint64_t
s_node_hash(uint64_t h, const yt_node_t *n)
{
	unsigned char kind;

	if (n == NULL || yt_is_null(n))
		return fs_fnv1a(h, "\0", 1);
	kind = (unsigned char)(n->kind + 1);
	h = fs_fnv1a(h, &kind, 1);
	if (n->kind == YT_SCALAR)
		return fs_fnv1a(h, n->scalar, strlen(n->scalar) + 1);
	for (size_t i = 0; i < n->n; i++) {
		if (n->kind == YT_MAP)
			h = s_node_hash(h, n->keys[i]);
		h = s_node_hash(h, n->items[i]);
	}
	return fs_fnv1a(h, "\x7f", 1);
}

/* s_value_hash - the value of a plain key as read into base. */
static uint64_t
s_value_hash(const cd_key_t *k, void *base)
{
	void *p = s_member(base, k->off);
	uint64_t h = FS_FNV1A_INIT;
	const char *s;

	switch (k->type) {
	case CD_STR:
		s = k->bufsz > 0 ? (const char *)p : *(char **)p;
		return s == NULL ? fs_fnv1a(h, "\1", 1) : fs_fnv1a(h, s, strlen(s) + 1);
	case CD_ENUM:
		if (k->bufsz > 0)
			return fs_fnv1a(h, p, strlen(p) + 1);
		return fs_fnv1a(h, p, sizeof(int));
	case CD_INT:
	case CD_BOOL:
		return fs_fnv1a(h, p, sizeof(int));
	case CD_LLONG:
	case CD_DURATION:
		return fs_fnv1a(h, p, sizeof(long long));
	case CD_DOUBLE:
		return fs_fnv1a(h, p, sizeof(double));
	case CD_STRS: {
		char **v = *(char ***)p;
		int n = k->noff ? *(int *)s_member(base, k->noff) : 0;

		for (int i = 0; v != NULL && i < n; i++)
			h = fs_fnv1a(h, v[i], strlen(v[i]) + 1);
		return fs_fnv1a(h, &n, sizeof(n));
	}
	default:
		return h;
	}
}

/* s_readby - who reads key k (CD_BY_*): its own readers, else those of what
 * it is read within (cx->readby), else every worker. */
static int
s_readby(const cd_key_t *k, const cd_ctx_t *cx)
{
	return k->readby != 0 ? k->readby : cx->readby != 0 ? cx->readby : CD_BY_WORKERS;
}

/* s_sum - record a key's fingerprint. */
static void
s_sum(cd_ctx_t *cx, const cd_key_t *k, const char *prefix, uint64_t h)
{
	cd_sums_t *s = cx->sums;
	cd_sum_t *e;

	if (s == NULL)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		cd_sum_t *v = xrealloc(s->v, cap * sizeof(*v));

		if (v == NULL)
			return;
		s->v = v;
		s->cap = cap;
	}
	e = &s->v[s->n++];
	e->k = k;
	e->base = cx->base;
	e->readby = s_readby(k, cx);
	e->h = h;
	snprintf(e->path, sizeof(e->path), "%s%s", prefix, k->key);
}

/* s_read_strs - a value or a list of values into a NULL-terminated owned array. */
static int
s_read_strs(const cd_key_t *k, const yt_node_t *n, void *base, yt_diag_t *d)
{
	char ***pv = s_member(base, k->off);
	int *pn = k->noff ? s_member(base, k->noff) : NULL;
	const char *s;
	char **v;
	size_t m;

	if (n == NULL || yt_is_null(n))
		return 0;
	if (n->kind == YT_MAP) {
		yt_diag_add(d, n, "%s: expected a value or a list of values", k->key);
		return -1;
	}
	m = n->kind == YT_SCALAR ? 1 : n->n;
	v = xcalloc(m + 1, sizeof(char *));
	for (size_t i = 0; i < m; i++) {
		if (yt_scalar_str(n->kind == YT_SCALAR ? n : n->items[i], &s, d, k->key) != 0) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return -1;
		}
		v[i] = xstrdup(s);
	}
	for (int i = 0; *pv != NULL && pn != NULL && i < *pn; i++)
		free((*pv)[i]);
	free(*pv);
	*pv = v;
	if (pn != NULL)
		*pn = (int)m;
	return 0;
}

/* s_read_one - one key of t from map into base. */
static int
s_read_one(const cd_key_t *k, const char *prefix, const yt_node_t *map, void *base, cd_ctx_t *cx)
{
	int req = (k->flags & CD_REQUIRED) != 0, rc = 0;
	const yt_node_t *n = map != NULL && map->kind == YT_MAP ? yt_map_get(map, k->key) : NULL;
	yt_diag_t *d = cx->d;
	long long lo, hi, iv;
	double dv;
	const char *s = NULL;
	char why[300];
	void *p = s_member(base, k->off);

	switch (k->type) {
	case CD_STR:
		if ((rc = yt_get_str(map, k->key, req, &s, d)) == 0 && s != NULL) {
			if (s_parse_text(k, s, &iv, &dv, why, sizeof(why)) != 0) {
				yt_diag_add(d, n, "%s%s%s: %s", cx->label ? cx->label : "", cx->label ? ": " : "", k->key, why);
				rc = -1;
			} else {
				s_store(k, base, s, 0, 0);
			}
		}
		break;
	case CD_INT:
		s_int_range(k, &lo, &hi);
		iv = *(int *)p;
		if ((rc = yt_get_int(map, k->key, req, lo, hi, &iv, d)) == 0)
			*(int *)p = (int)iv;
		break;
	case CD_LLONG:
		s_int_range(k, &lo, &hi);
		rc = yt_get_int(map, k->key, req, lo, hi, (long long *)p, d);
		break;
	case CD_DOUBLE:
		rc = yt_get_double(map, k->key, req, k->dmin == 0 && k->dmax == 0 ? -DBL_MAX : k->dmin,
		    k->dmin == 0 && k->dmax == 0 ? DBL_MAX : k->dmax, (double *)p, d);
		break;
	case CD_BOOL:
		rc = yt_get_bool(map, k->key, req, (int *)p, d);
		break;
	case CD_DURATION:
	case CD_ENUM:
		if ((rc = yt_get_str(map, k->key, req, &s, d)) == 0 && s != NULL) {
			if (s_parse_text(k, s, &iv, &dv, why, sizeof(why)) != 0) {
				yt_diag_add(d, n, "%s%s%s: %s", cx->label ? cx->label : "", cx->label ? ": " : "", k->key, why);
				rc = -1;
			} else {
				s_store(k, base, s, iv, 0);
			}
		}
		break;
	case CD_STRS:
		if (req && n != NULL && yt_is_null(n)) {
			yt_diag_add(d, n, "%s: a value is required", k->key);
			rc = -1;
		} else if (req && n == NULL && map != NULL && map->kind == YT_MAP) {
			yt_diag_add(d, map, "missing required key '%s'", k->key);
			rc = -1;
		} else {
			rc = s_read_strs(k, n, base, d);
		}
		break;
	case CD_SECTION: {
		const yt_node_t *m = NULL;
		int outer = cx->readby;
		char pre[96];

		rc = yt_get_map(map, k->key, req, &m, d);
		snprintf(pre, sizeof(pre), "%s%s.", prefix, k->key);
		if (rc == 0) {
			if (m != NULL)
				rc = cd_check_keys(k->sub, m, d);
			cx->readby = s_readby(k, cx); /* its keys are read by whoever reads the section */
			for (const cd_key_t *s2 = k->sub; s2->key != NULL; s2++)
				if (s_read_one(s2, pre, m, base, cx) != 0)
					rc = -1;
			cx->readby = outer;
		}
		return rc; /* its keys have their own fingerprints */
	}
	case CD_CUSTOM:
		if (req && n != NULL && yt_is_null(n)) {
			yt_diag_add(d, n, "%s: a value is required", k->key);
			s_sum(cx, k, prefix, s_node_hash(FS_FNV1A_INIT, n));
			return -1;
		}
		if (n != NULL && yt_is_null(n))
			n = NULL;
		if (req && n == NULL && map != NULL && map->kind == YT_MAP) {
			yt_diag_add(d, map, "missing required key '%s'", k->key);
			rc = -1;
		} else if (n == NULL && k->def != NULL && !cx->inherit) {
			if (!s_by_value(k)) /* else set with the other defaults */
				rc = s_custom_default(k, base, cx);
		} else if (k->read != NULL) {
			rc = k->read(k, n, base, cx);
		}
		s_sum(cx, k, prefix, s_node_hash(FS_FNV1A_INIT, n));
		return rc;
	}
	if (k->env != NULL && (s = getenv(k->env)) != NULL && (k->type == CD_STR || s[0] != '\0')) {
		if (s_parse_text(k, s, &iv, &dv, why, sizeof(why)) != 0) {
			yt_diag_addf(d, k->env, 0, 0, "%s='%.20s': %s", k->env, s, why);
			rc = -1;
		} else {
			s_store(k, base, s, iv, dv);
		}
	}
	if (rc == 0 && k->check != NULL && !(cx->inherit && n == NULL)) { /* an inherited value was checked where written */
		const yt_node_t *outer = cx->map;

		cx->map = map; /* where a check of an absent key reports */
		rc = k->check(k, n, base, cx);
		cx->map = outer;
	}
	s_sum(cx, k, prefix, s_value_hash(k, base));
	return rc;
}

/* cd_read - defaults, then every key of map against t. */
int
cd_read(const cd_key_t *t, const char *prefix, const yt_node_t *map, void *base, cd_ctx_t *cx)
{
	int rc = 0;

	if (!cx->inherit)
		cd_defaults(t, base);
	if (map != NULL && cd_check_keys(t, map, cx->d) != 0)
		rc = -1;
	if (map != NULL && map->kind != YT_MAP)
		return -1;
	for (; t->key != NULL; t++)
		if (s_read_one(t, prefix != NULL ? prefix : "", map, base, cx) != 0)
			rc = -1;
	return rc;
}

/* cd_free - strings and lists of strings that cd_read allocated. */
void
cd_free(const cd_key_t *t, void *base)
{
	for (; t->key != NULL; t++) {
		void *p = s_member(base, t->off);

		if (t->type == CD_SECTION && t->sub != NULL) {
			cd_free(t->sub, base);
		} else if (t->type == CD_STR && t->bufsz == 0) {
			free(*(char **)p);
			*(char **)p = NULL;
		} else if (t->type == CD_STRS) {
			char **v = *(char ***)p;

			for (int i = 0; v != NULL && v[i] != NULL; i++)
				free(v[i]);
			free(v);
			*(char ***)p = NULL;
			if (t->noff)
				*(int *)s_member(base, t->noff) = 0;
		}
	}
}

/* cd_find - walk a dotted path through sections. */
const cd_key_t *
cd_find(const cd_key_t *t, const char *path)
{
	size_t len = strcspn(path, ".");

	for (; t != NULL && t->key != NULL; t++) {
		if (strlen(t->key) != len || strncmp(t->key, path, len) != 0)
			continue;
		if (path[len] == '\0')
			return t;
		return t->type == CD_SECTION ? cd_find(t->sub, path + len + 1) : NULL;
	}
	return NULL;
}

void
cd_sums_free(cd_sums_t *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* cd_changes - keys whose fingerprints differ (a key present on one side only counts). */
int
cd_changes(const cd_sums_t *a, const cd_sums_t *b, cd_change_fn fn, void *arg)
{
	int n = 0;

	for (size_t i = 0; i < b->n; i++) {
		const cd_sum_t *was = NULL;

		for (size_t j = 0; j < a->n && was == NULL; j++)
			if (a->v[j].base == b->v[i].base && strcmp(a->v[j].path, b->v[i].path) == 0)
				was = &a->v[j];
		if (was != NULL && was->h == b->v[i].h)
			continue;
		n++;
		if (fn != NULL)
			fn(was, &b->v[i], arg);
	}
	return n;
}

/* s_swap_bytes - exchange n bytes. */
static void
s_swap_bytes(void *a, void *b, size_t n)
{
	unsigned char t[256];

	while (n > 0) {
		size_t m = n < sizeof(t) ? n : sizeof(t);

		memcpy(t, a, m);
		memcpy(a, b, m);
		memcpy(b, t, m);
		a = (char *)a + m;
		b = (char *)b + m;
		n -= m;
	}
}

/* cd_swap - exchange one key's value between two structures. */
int
cd_swap(const cd_key_t *k, void *a, void *b)
{
	size_t n;

	if (k->flags & CD_OWN)
		return -1;
	switch (k->type) {
	case CD_STR:
	case CD_ENUM:
		n = k->bufsz > 0 ? (size_t)k->bufsz : k->type == CD_STR ? sizeof(char *) : sizeof(int);
		break;
	case CD_INT:
	case CD_BOOL:
		n = sizeof(int);
		break;
	case CD_LLONG:
	case CD_DURATION:
		n = sizeof(long long);
		break;
	case CD_DOUBLE:
		n = sizeof(double);
		break;
	case CD_STRS:
		n = sizeof(char **);
		break;
	case CD_CUSTOM:
		if (k->size == 0)
			return -1;
		n = k->size;
		break;
	default:
		return -1;
	}
	s_swap_bytes(s_member(a, k->off), s_member(b, k->off), n);
	if ((k->type == CD_STRS || k->type == CD_CUSTOM) && k->noff)
		s_swap_bytes(s_member(a, k->noff), s_member(b, k->noff), sizeof(int));
	return 0;
}

/* s_md - text for a Markdown table cell: '|' escaped, newlines as spaces. */
static void
s_md(FILE *out, const char *s)
{
	for (; s != NULL && *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else if (*s == '\n')
			fputc(' ', out);
		else
			fputc(*s, out);
	}
}

/* s_type_doc - the type column. */
static void
s_type_doc(FILE *out, const cd_key_t *k)
{
	char a[32], b[32], w[400];
	long long lo, hi;

	if (k->type_doc != NULL) {
		s_md(out, k->type_doc);
		return;
	}
	switch (k->type) {
	case CD_STR:
		fputs("text", out);
		break;
	case CD_INT:
	case CD_LLONG:
		if (k->min == 0 && k->max == 0) {
			fputs("integer", out);
			break;
		}
		s_int_range(k, &lo, &hi);
		fprintf(out, "integer %lld–%lld", lo, hi);
		break;
	case CD_DOUBLE:
		if (k->dmin == 0 && k->dmax == 0)
			fputs("number", out);
		else
			fprintf(out, "number %g–%g", k->dmin, k->dmax);
		break;
	case CD_BOOL:
		fputs("`true` or `false`", out);
		break;
	case CD_DURATION:
		s_int_range(k, &lo, &hi);
		fprintf(out, "duration %s–%s", s_fmt_ms(lo, a, sizeof(a)), s_fmt_ms(hi, b, sizeof(b)));
		break;
	case CD_ENUM:
		s_md(out, s_enum_words(k->values, 1, w, sizeof(w)));
		break;
	case CD_STRS:
		fputs("text, or a list of texts", out);
		break;
	case CD_SECTION:
		fputs("map", out);
		break;
	case CD_CUSTOM:
		fputs(k->flags & CD_LIST ? "list" : "map", out);
		break;
	}
}

/* s_doc - rows of t; stack holds the tables above (a route's routes are
 * routes); reload: the parent is taken at once, and so its keys are. */
static void
s_doc(FILE *out, const cd_key_t *t, const char *prefix, const cd_key_t **stack, int depth, int reload)
{
	const cd_key_t *first = t;
	char pre[160];

	if (depth >= S_DOC_DEPTH)
		return;
	stack[depth] = t;
	for (; t->key != NULL; t++) {
		const cd_key_t *same = NULL;

		if (t->type == CD_SECTION) {
			snprintf(pre, sizeof(pre), "%s%s.", prefix, t->key);
			s_doc(out, t->sub, pre, stack, depth + 1, reload || (t->flags & CD_RELOAD));
			continue;
		}
		for (const cd_key_t *o = first; t->sub != NULL && o < t && same == NULL; o++)
			if (o->sub == t->sub && o->type == CD_CUSTOM)
				same = o;
		fprintf(out, "| `%s%s` | ", prefix, t->key);
		s_type_doc(out, t);
		fputs(" | ", out);
		if (t->def_doc != NULL)
			s_md(out, t->def_doc);
		else if ((t->flags & CD_REQUIRED) && t->def != NULL)
			fprintf(out, "required in the file; without the file, `%s`", t->def);
		else if (t->flags & CD_REQUIRED)
			fputs("required", out);
		else if (t->def != NULL)
			fprintf(out, "`%s`", t->def[0] != '\0' ? t->def : "\"\"");
		else
			fputs("none", out);
		fprintf(out, " | %s | ", reload || (t->flags & CD_RELOAD) ? "at once" : "restart");
		s_md(out, t->doc);
		if (t->env != NULL)
			fprintf(out, "; `%s` in the environment overrides it", t->env);
		if (same != NULL)
			fprintf(out, "; its keys are those of `%s%s`", prefix, same->key);
		fputs(" |\n", out);
		if (t->type == CD_CUSTOM && t->sub != NULL && same == NULL) {
			int seen = 0;

			for (int i = 0; i <= depth; i++)
				seen |= stack[i] == t->sub;
			snprintf(pre, sizeof(pre), "%s%s%s", prefix, t->key, t->flags & CD_LIST ? "[]." : ".");
			if (!seen)
				s_doc(out, t->sub, pre, stack, depth + 1, reload || (t->flags & CD_RELOAD));
		}
	}
}

void
cd_doc_header(FILE *out)
{
	fputs("| key | type | default | on reload | meaning |\n|---|---|---|---|---|\n", out);
}

void
cd_doc(FILE *out, const cd_key_t *t, const char *prefix)
{
	const cd_key_t *stack[S_DOC_DEPTH];

	s_doc(out, t, prefix != NULL ? prefix : "", stack, 0, 0);
}

/* s_check - cd_check_table over t and what it contains. */
static int
s_check(const cd_key_t *t, const cd_key_t **stack, int depth, char *why, size_t whysz)
{
	char w[200];
	long long iv;
	double dv;
	int n = 0;

	if (depth >= S_DOC_DEPTH)
		return 0;
	for (int i = 0; i < depth; i++)
		if (stack[i] == t)
			return 0;
	stack[depth] = t;
	for (; t->key != NULL; t++, n++) {
		if (n >= S_MAX_KEYS) {
			snprintf(why, whysz, "%s: more than %d keys in one table", t->key, S_MAX_KEYS);
			return -1;
		}
		if (t->doc == NULL || t->doc[0] == '\0') {
			snprintf(why, whysz, "%s: no meaning written", t->key);
			return -1;
		}
		if (t->def != NULL && t->type == CD_CUSTOM) {
			yt_diag_t dd = { 0 };
			yt_node_t *root = yt_load_string(t->key, t->def, strlen(t->def), NULL, &dd);

			if (root == NULL)
				snprintf(why, whysz, "%s: default '%s' is not YAML: %s", t->key, t->def, dd.n ? dd.msgs[0] : "?");
			yt_free(root);
			yt_diag_free(&dd);
			if (root == NULL)
				return -1;
		} else if (t->def != NULL && s_parse_text(t, t->def, &iv, &dv, w, sizeof(w)) != 0) {
			snprintf(why, whysz, "%s: default '%s': %s", t->key, t->def, w);
			return -1;
		}
		if (t->env != NULL && t->type != CD_STR && t->type != CD_ENUM) {
			snprintf(why, whysz, "%s: only text keys may be overridden by the environment", t->key);
			return -1;
		}
		if (t->type == CD_ENUM && t->values == NULL) {
			snprintf(why, whysz, "%s: an enum without values", t->key);
			return -1;
		}
		if ((t->type == CD_SECTION && t->sub == NULL) || (t->type == CD_CUSTOM && t->read == NULL)) {
			snprintf(why, whysz, "%s: a %s without %s", t->key, t->type == CD_SECTION ? "section" : "custom key",
			    t->type == CD_SECTION ? "keys" : "a reader");
			return -1;
		}
		if ((t->flags & CD_OWN) && !(t->flags & CD_RELOAD)) {
			snprintf(why, whysz, "%s: CD_OWN without CD_RELOAD", t->key);
			return -1;
		}
		if ((t->flags & CD_LAYOUT) && (t->flags & CD_RELOAD)) {
			snprintf(why, whysz, "%s: CD_LAYOUT with CD_RELOAD (the sockets stay as they are until a restart)",
			    t->key);
			return -1;
		}
		if (t->readby & ~(CD_BY_WORKERS | CD_BY_SUPERVISOR)) {
			snprintf(why, whysz, "%s: read by %#x, not a set of CD_BY_*", t->key, (unsigned)t->readby);
			return -1;
		}
		if ((t->flags & CD_RELOAD) && !(t->flags & CD_OWN) && t->type == CD_CUSTOM && t->size == 0) {
			snprintf(why, whysz, "%s: reloadable, but neither swappable (size) nor applied by its worker (CD_OWN)",
			    t->key);
			return -1;
		}
		if (t->sub != NULL && s_check(t->sub, stack, depth + 1, why, whysz) != 0)
			return -1;
	}
	return 0;
}

int
cd_check_table(const cd_key_t *t, char *why, size_t whysz)
{
	const cd_key_t *stack[S_DOC_DEPTH];

	return s_check(t, stack, 0, why, whysz);
}

/* cd_keep_node - a custom reader that keeps the value's node (or NULL) at
 * off, for a loader that reads it itself. */
int
cd_keep_node(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	(void)cx;
	*(const yt_node_t **)s_member(base, k->off) = n;
	return 0;
}

/* cd_item_ctx - the context for reading an item of a list: no fingerprints. */
cd_ctx_t
cd_item_ctx(const cd_ctx_t *cx)
{
	return (cd_ctx_t){ cx->d, cx->user, NULL, cx->base, NULL, 0, NULL, cx->readby };
}

/* cd_read_items - a list of items, each read with k->sub, then kept or dropped. */
int
cd_read_items(const cd_key_t *k, const yt_node_t *seq, cd_ctx_t *cx, const cd_items_t *spec)
{
	cd_ctx_t ic = cd_item_ctx(cx);
	size_t before = cx->d != NULL ? cx->d->n : 0;
	char label[120], *arr;

	if (seq == NULL)
		return 0;
	if (seq->kind != YT_SEQ) {
		yt_diag_add(cx->d, seq, "%s: expected a list", k->key);
		return -1;
	}
	arr = xcalloc(seq->n + 1, spec->size);
	memcpy(spec->arrp, &arr, sizeof(arr));
	for (size_t i = 0; i < seq->n; i++) {
		const yt_node_t *n = seq->items[i], *name = yt_map_get(n, "name");
		void *item = arr + (size_t)*spec->n * spec->size;

		if (n->kind != YT_MAP) {
			yt_diag_add(cx->d, n, "expected a mapping (%s %s: %s)", strchr("aeiou", spec->what[0]) ? "an" : "a",
			    spec->what, spec->keys);
			continue;
		}
		ic.label = NULL;
		if (spec->labelled) {
			snprintf(label, sizeof(label), "%s '%.80s'", spec->what, name != NULL && name->kind == YT_SCALAR ?
			    name->scalar : "?");
			ic.label = label;
		}
		cd_read(k->sub, "", n, item, &ic);
		if (spec->keep != NULL && spec->keep(item, n, cx, spec->owner) != 0) {
			cd_free(k->sub, item);
			memset(item, 0, spec->size);
			continue;
		}
		(*spec->n)++;
	}
	return cx->d != NULL && cx->d->n > before ? -1 : 0;
}
