/* yamltree - load one YAML document into a tree with marks, and read
 * configuration from it with checks that collect every problem.
 *
 * The loader consumes libyaml events (yaml_parser_parse, not
 * yaml_parser_load) so it can stop at the first alias, at the depth limit
 * or the node limit before libyaml builds anything large. Problems that do
 * not stop parsing are all collected: non-scalar keys make the load fail at
 * the end; a duplicate key is reported and dropped (the first stays), so
 * that a configuration reader goes on and reports every other problem too
 * (it fails because the diagnostics are not empty).
 *
 * Memory: the root node is the first member of a struct yt_doc that also
 * owns the file name and a list of every other node, so yt_free() is one
 * flat loop however deep the tree is. */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "yamltree.h"
#include "xalloc.h"

#define S_QUOTE_MAX 40 /* bytes of user text echoed in a message */

struct yt_doc {
	yt_node_t root;     /* must stay first: yt_free() casts the root back */
	char *file;
	yt_node_t **nodes;  /* every node but the root, in creation order */
	size_t nnodes, cap;
	int has_root;
};

struct s_frame {
	yt_node_t *node;    /* open sequence or mapping */
	yt_node_t *key;     /* mapping: key waiting for its value */
	size_t cap;         /* allocated items (and keys) */
};

struct s_build {
	struct yt_doc *doc;
	yt_limits_t lim;
	yt_diag_t *d;
	const char *buf;
	size_t len;
	struct s_frame *stack;
	size_t depth, cap;
	size_t count;       /* nodes made, root included */
	int ndocs;
	int errors;         /* problems that did not stop parsing */
};

/* s_vformat - malloc'd prefix + vprintf text, or NULL */
static char *
s_vformat(const char *prefix, const char *fmt, va_list ap)
{
	va_list cp;
	size_t plen = strlen(prefix);
	char *s;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return NULL;
	s = xmalloc(plen + (size_t)n + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, prefix, plen);
	vsnprintf(s + plen, (size_t)n + 1, fmt, ap);
	return s;
}

/* s_diag_vadd - append one message with an optional file and mark prefix */
static void
s_diag_vadd(yt_diag_t *d, const char *file, int line, int col, const char *fmt, va_list ap)
{
	char prefix[4096 + 64]; /* a longer file name is cut, safely */
	char **grown;
	char *msg;
	size_t ncap;

	if (d == NULL)
		return;
	if (file != NULL && line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d:%d: ", file, line, col);
	else if (file != NULL)
		snprintf(prefix, sizeof(prefix), "%s: ", file);
	else if (line > 0)
		snprintf(prefix, sizeof(prefix), "%d:%d: ", line, col);
	else
		prefix[0] = '\0';
	msg = s_vformat(prefix, fmt, ap);
	if (msg == NULL)
		return;
	if (d->n == d->cap) {
		ncap = d->cap == 0 ? 8 : d->cap * 2;
		grown = xrealloc(d->msgs, ncap * sizeof(*grown));
		if (grown == NULL) {
			free(msg);
			return;
		}
		d->msgs = grown;
		d->cap = ncap;
	}
	d->msgs[d->n++] = msg;
}

/* yt_diag_add - add a message at a node's mark (no mark if at is NULL) */
void
yt_diag_add(yt_diag_t *d, const yt_node_t *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (at == NULL)
		s_diag_vadd(d, NULL, 0, 0, fmt, ap);
	else
		s_diag_vadd(d, at->file, at->line, at->col, fmt, ap);
	va_end(ap);
}

/* yt_diag_addf - add a message at an explicit file and mark */
void
yt_diag_addf(yt_diag_t *d, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s_diag_vadd(d, file, line, col, fmt, ap);
	va_end(ap);
}

/* yt_diag_print - write every message, one per line */
void
yt_diag_print(const yt_diag_t *d, FILE *out)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		fprintf(out, "%s\n", d->msgs[i]);
}

/* yt_diag_free - free the messages and leave d empty and reusable */
void
yt_diag_free(yt_diag_t *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	d->msgs = NULL;
	d->n = 0;
	d->cap = 0;
}

/* s_quote - user text made safe for a message: controls become '?', long text is cut */
static const char *
s_quote(const char *s, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, max = S_QUOTE_MAX;

	if (max > size - 4)
		max = size - 4;
	while (p[i] != '\0' && o < max) {
		if (p[i] < 0x20 || p[i] == 0x7f) {
			buf[o++] = '?';
			i++;
		} else if (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
			buf[o++] = '?'; /* C1 control, U+0080..U+009F */
			i += 2;
		} else {
			buf[o++] = (char)p[i++];
		}
	}
	if (p[i] != '\0') {
		while (o > 0 && (p[i] & 0xc0) == 0x80) {
			o--; /* do not cut a UTF-8 sequence in half */
			i--;
		}
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* s_got - describe a node for "got ..." in a message */
static const char *
s_got(const yt_node_t *n, char *buf, size_t size)
{
	char q[S_QUOTE_MAX + 8];

	if (n == NULL)
		return "nothing";
	if (n->kind == YT_SEQ)
		return "a sequence";
	if (n->kind == YT_MAP)
		return "a mapping";
	if (yt_is_null(n))
		return "null";
	snprintf(buf, size, "'%s'", s_quote(n->scalar, q, sizeof(q)));
	return buf;
}

/* s_mark - libyaml's 0-based mark component as a 1-based int */
static int
s_mark(size_t v)
{
	return v >= (size_t)INT_MAX ? INT_MAX : (int)v + 1;
}

/* s_add_at - add a message at a libyaml mark of the file being loaded */
static void YT_PRINTF(3, 4)
s_add_at(struct s_build *b, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s_diag_vadd(b->d, b->doc->file, s_mark(m->line), s_mark(m->column), fmt, ap);
	va_end(ap);
}

/* s_new_node - a zeroed node counted against max_nodes; NULL after a message */
static yt_node_t *
s_new_node(struct s_build *b, yt_kind_t kind, const yaml_mark_t *m)
{
	struct yt_doc *doc = b->doc;
	yt_node_t **grown;
	yt_node_t *n;
	size_t ncap;

	if (b->count >= b->lim.max_nodes) {
		s_add_at(b, m, "too many nodes (limit %zu)", b->lim.max_nodes);
		return NULL;
	}
	if (!doc->has_root) {
		n = &doc->root;
		doc->has_root = 1;
	} else {
		if (doc->nnodes == doc->cap) {
			ncap = doc->cap == 0 ? 64 : doc->cap * 2;
			grown = xrealloc(doc->nodes, ncap * sizeof(*grown));
			if (grown == NULL)
				goto oom;
			doc->nodes = grown;
			doc->cap = ncap;
		}
		n = xcalloc(1, sizeof(*n));
		if (n == NULL)
			goto oom;
		doc->nodes[doc->nnodes++] = n;
	}
	b->count++;
	n->kind = kind;
	n->line = s_mark(m->line);
	n->col = s_mark(m->column);
	n->file = doc->file;
	return n;
oom:
	s_add_at(b, m, "out of memory");
	return NULL;
}

/* s_append - add one item (and key, for a mapping) to an open collection */
static int
s_append(struct s_frame *f, yt_node_t *key, yt_node_t *value)
{
	yt_node_t *c = f->node;
	yt_node_t **grown;
	size_t ncap;

	if (c->n == f->cap) {
		ncap = f->cap == 0 ? 4 : f->cap * 2;
		grown = xrealloc(c->items, ncap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		c->items = grown;
		if (c->kind == YT_MAP) {
			grown = xrealloc(c->keys, ncap * sizeof(*grown));
			if (grown == NULL)
				return -1;
			c->keys = grown;
		}
		f->cap = ncap;
	}
	if (c->kind == YT_MAP)
		c->keys[c->n] = key;
	c->items[c->n++] = value;
	return 0;
}

/* s_attach - put a new node where the open collection expects it */
static int
s_attach(struct s_build *b, yt_node_t *n, const yaml_mark_t *m)
{
	struct s_frame *f;

	if (b->depth == 0)
		return 0; /* the root; it lives in the doc */
	f = &b->stack[b->depth - 1];
	if (f->node->kind == YT_MAP && f->key == NULL) {
		if (n->kind != YT_SCALAR) {
			s_add_at(b, m, "mapping keys must be scalars");
			b->errors++;
		}
		f->key = n;
		return 0;
	}
	if (s_append(f, f->key, n) != 0) {
		s_add_at(b, m, "out of memory");
		return -1;
	}
	f->key = NULL;
	return 0;
}

/* s_push - open a collection, refusing nesting deeper than max_depth */
static int
s_push(struct s_build *b, yt_kind_t kind, const yaml_mark_t *m)
{
	struct s_frame *grown;
	yt_node_t *n;
	size_t ncap;
	int max = b->lim.max_depth < 0 ? 0 : b->lim.max_depth;

	if (b->depth >= (size_t)max) {
		s_add_at(b, m, "nesting deeper than %d levels", max);
		return -1;
	}
	if (b->depth == b->cap) {
		ncap = b->cap == 0 ? 8 : b->cap * 2;
		grown = xrealloc(b->stack, ncap * sizeof(*grown));
		if (grown == NULL) {
			s_add_at(b, m, "out of memory");
			return -1;
		}
		b->stack = grown;
		b->cap = ncap;
	}
	n = s_new_node(b, kind, m);
	if (n == NULL || s_attach(b, n, m) != 0)
		return -1;
	b->stack[b->depth].node = n;
	b->stack[b->depth].key = NULL;
	b->stack[b->depth].cap = 0;
	b->depth++;
	return 0;
}

struct s_keyref {
	const char *s;
	size_t i;
};

/* s_keyref_cmp - order keys by text, then by position in the mapping */
static int
s_keyref_cmp(const void *a, const void *b)
{
	const struct s_keyref *x = a, *y = b;
	int c = strcmp(x->s, y->s);

	if (c != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* s_check_dups - report every repeated key at its mark, in document order,
 * and drop it from the map (the first stays). O(n log n) */
static int
s_check_dups(struct s_build *b, yt_node_t *map)
{
	struct s_keyref *refs = NULL;
	size_t *first = NULL;
	size_t i, nref = 0, run = 0;
	const yt_node_t *k, *f;
	char q[S_QUOTE_MAX + 8];
	int rc = -1;

	if (map->n < 2)
		return 0;
	refs = xmalloc(map->n * sizeof(*refs));
	first = xmalloc(map->n * sizeof(*first));
	if (refs == NULL || first == NULL) {
		yt_diag_add(b->d, map, "out of memory");
		goto out;
	}
	for (i = 0; i < map->n; i++) {
		first[i] = i;
		if (map->keys[i]->kind == YT_SCALAR) {
			refs[nref].s = map->keys[i]->scalar;
			refs[nref++].i = i;
		}
	}
	qsort(refs, nref, sizeof(*refs), s_keyref_cmp);
	for (i = 1; i < nref; i++) {
		if (strcmp(refs[i].s, refs[i - 1].s) != 0)
			run = i;
		else
			first[refs[i].i] = refs[run].i;
	}
	for (i = 0; i < map->n; i++) {
		if (first[i] == i)
			continue;
		k = map->keys[i];
		f = map->keys[first[i]];
		yt_diag_add(b->d, k, "duplicate key '%s' (first at %d:%d)",
		    s_quote(k->scalar, q, sizeof(q)), f->line, f->col);
	}
	for (i = 0, run = 0; i < map->n; i++) /* the dropped nodes stay in the doc's list */
		if (first[i] == i) {
			map->keys[run] = map->keys[i];
			map->items[run] = map->items[i];
			run++;
		}
	map->n = run;
	rc = 0;
out:
	free(refs);
	free(first);
	return rc;
}

/* s_scalar - make a scalar node from an event */
static int
s_scalar(struct s_build *b, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	size_t len = ev->data.scalar.length;
	yt_node_t *n;

	if (memchr(ev->data.scalar.value, '\0', len) != NULL) {
		s_add_at(b, m, "scalars may not contain NUL characters");
		return -1;
	}
	n = s_new_node(b, YT_SCALAR, m);
	if (n == NULL)
		return -1;
	n->scalar = xmalloc(len + 1);
	if (n->scalar == NULL) {
		s_add_at(b, m, "out of memory");
		return -1;
	}
	memcpy(n->scalar, ev->data.scalar.value, len);
	n->scalar[len] = '\0';
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	return s_attach(b, n, m);
}

/* s_event - apply one parser event to the tree; -1 stops the load */
static int
s_event(struct s_build *b, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	yt_node_t *c;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (b->ndocs++ > 0) {
			s_add_at(b, m, "only one document is allowed");
			return -1;
		}
		return 0;
	case YAML_STREAM_END_EVENT:
		if (b->ndocs == 0 || !b->doc->has_root || yt_is_null(&b->doc->root)) {
			yt_diag_addf(b->d, b->doc->file, 0, 0, "empty configuration");
			return -1;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		s_add_at(b, m, "aliases are not allowed");
		return -1;
	case YAML_SCALAR_EVENT:
		return s_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return s_push(b, YT_SEQ, m);
	case YAML_MAPPING_START_EVENT:
		return s_push(b, YT_MAP, m);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth == 0) {
			s_add_at(b, m, "unbalanced end of collection");
			return -1;
		}
		c = b->stack[--b->depth].node;
		return c->kind == YT_MAP ? s_check_dups(b, c) : 0;
	default:
		return 0; /* stream start, document end, no event */
	}
}

/* s_offset_mark - 1-based line and column (in characters) of a byte offset */
static void
s_offset_mark(const char *buf, size_t len, size_t off, int *line, int *col)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t i;

	*line = 1;
	*col = 1;
	if (off > len)
		off = len;
	for (i = 0; i < off && *line < INT_MAX && *col < INT_MAX; i++) {
		if (p[i] == '\n' || (p[i] == '\r' && (i + 1 >= len || p[i + 1] != '\n'))) {
			(*line)++;
			*col = 1;
		} else if ((p[i] & 0xc0) != 0x80 && p[i] != '\r') {
			(*col)++;
		}
	}
}

/* s_parse_error - report libyaml's error with its problem text and mark */
static void
s_parse_error(struct s_build *b, const yaml_parser_t *p)
{
	const char *file = b->doc->file;
	const char *problem = p->problem != NULL ? p->problem : "parse error";
	int line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		yt_diag_addf(b->d, file, 0, 0, "out of memory while parsing");
		break;
	case YAML_READER_ERROR:
		s_offset_mark(b->buf, b->len, p->problem_offset, &line, &col);
		if (p->problem_value != -1)
			yt_diag_addf(b->d, file, line, col, "%s (0x%02X)", problem, (unsigned)p->problem_value);
		else
			yt_diag_addf(b->d, file, line, col, "%s", problem);
		break;
	default:
		line = s_mark(p->problem_mark.line);
		col = s_mark(p->problem_mark.column);
		if (p->context != NULL)
			yt_diag_addf(b->d, file, line, col, "%s (%s at %d:%d)", problem, p->context,
			    s_mark(p->context_mark.line), s_mark(p->context_mark.column));
		else
			yt_diag_addf(b->d, file, line, col, "%s", problem);
		break;
	}
}

/* s_run - feed every parser event to the builder; 0 when the stream ended well */
static int
s_run(struct s_build *b, yaml_parser_t *parser)
{
	yaml_event_t ev;
	int done = 0, rc;

	while (!done) {
		if (!yaml_parser_parse(parser, &ev)) {
			s_parse_error(b, parser);
			return -1;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = s_event(b, &ev);
		yaml_event_delete(&ev);
		if (rc != 0)
			return -1;
	}
	return b->errors == 0 ? 0 : -1;
}

/* yt_load_string - parse one YAML document from memory into a tree */
yt_node_t *
yt_load_string(const char *name, const char *buf, size_t len, const yt_limits_t *lim, yt_diag_t *d)
{
	static const yt_limits_t def = YT_DEFAULT_LIMITS;
	struct s_build b;
	yaml_parser_t parser;
	int have_parser = 0, rc = -1;

	memset(&b, 0, sizeof(b));
	b.lim = lim != NULL ? *lim : def;
	b.d = d;
	b.buf = buf != NULL ? buf : "";
	b.len = buf != NULL ? len : 0;
	if (b.len >= 3 && memcmp(b.buf, "\xef\xbb\xbf", 3) == 0) {
		/* drop a UTF-8 BOM here: with the encoding forced to UTF-8,
		 * libyaml would count it as a column and miss a "---" after it */
		b.buf += 3;
		b.len -= 3;
	}
	if (name == NULL)
		name = "<string>";
	if (len > b.lim.max_bytes) {
		yt_diag_addf(d, name, 0, 0, "file too large: %zu bytes, limit %zu", len, b.lim.max_bytes);
		goto out;
	}
	b.doc = xcalloc(1, sizeof(*b.doc));
	if (b.doc == NULL || (b.doc->file = xstrdup(name)) == NULL) {
		yt_diag_addf(d, name, 0, 0, "out of memory");
		goto out;
	}
	if (!yaml_parser_initialize(&parser)) {
		yt_diag_addf(d, name, 0, 0, "out of memory");
		goto out;
	}
	have_parser = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)b.buf, b.len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	rc = s_run(&b, &parser);
out:
	if (have_parser)
		yaml_parser_delete(&parser);
	free(b.stack);
	if (rc != 0) {
		if (b.doc != NULL)
			yt_free(&b.doc->root);
		return NULL;
	}
	return &b.doc->root;
}

/* s_read_fd - read a regular file of at most max bytes; malloc'd, NULL after a message */
static char *
s_read_fd(int fd, const char *path, size_t max, size_t *lenp, yt_diag_t *d)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap;
	ssize_t r;

	if (fstat(fd, &st) != 0) {
		yt_diag_addf(d, path, 0, 0, "cannot stat: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		yt_diag_addf(d, path, 0, 0, "not a regular file");
		goto fail;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > (unsigned long long)max) {
		yt_diag_addf(d, path, 0, 0, "file too large: %lld bytes, limit %zu",
		    (long long)st.st_size, max);
		goto fail;
	}
	cap = (size_t)st.st_size + 1; /* one more byte to notice a file that grew */
	buf = xmalloc(cap);
	if (buf == NULL) {
		yt_diag_addf(d, path, 0, 0, "out of memory");
		goto fail;
	}
	while (len < cap) {
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			yt_diag_addf(d, path, 0, 0, "cannot read: %s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len == cap) {
		yt_diag_addf(d, path, 0, 0, "file changed while being read");
		goto fail;
	}
	*lenp = len;
	return buf;
fail:
	free(buf);
	return NULL;
}

/* yt_load_file - load a YAML file, refusing non-regular and oversized files before parsing */
yt_node_t *
yt_load_file(const char *path, const yt_limits_t *lim, yt_diag_t *d)
{
	static const yt_limits_t def = YT_DEFAULT_LIMITS;
	yt_node_t *root = NULL;
	size_t len = 0;
	char *buf;
	int fd;

	if (lim == NULL)
		lim = &def;
	/* O_NONBLOCK: a FIFO must not block us before fstat() refuses it */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		yt_diag_addf(d, path, 0, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	buf = s_read_fd(fd, path, lim->max_bytes, &len, d);
	close(fd);
	if (buf != NULL)
		root = yt_load_string(path, buf, len, lim, d);
	free(buf);
	return root;
}

/* s_free_parts - free what a node owns, not the node */
static void
s_free_parts(yt_node_t *n)
{
	free(n->scalar);
	free(n->items);
	free(n->keys);
}

/* yt_free - free a whole tree from its root; flat, whatever the depth */
void
yt_free(yt_node_t *root)
{
	struct yt_doc *doc;
	size_t i;

	if (root == NULL)
		return;
	doc = (struct yt_doc *)(void *)root;
	for (i = 0; i < doc->nnodes; i++) {
		s_free_parts(doc->nodes[i]);
		free(doc->nodes[i]);
	}
	s_free_parts(&doc->root);
	free(doc->nodes);
	free(doc->file);
	free(doc);
}

/* yt_map_get - value for key in a mapping, NULL if absent or not a mapping */
const yt_node_t *
yt_map_get(const yt_node_t *map, const char *key)
{
	const yt_node_t *k;
	size_t i;

	if (map == NULL || map->kind != YT_MAP || key == NULL)
		return NULL;
	for (i = 0; i < map->n; i++) {
		k = map->keys[i];
		if (k->kind == YT_SCALAR && strcmp(k->scalar, key) == 0)
			return map->items[i];
	}
	return NULL;
}

/* yt_is_null - 1 for a plain null scalar or no node at all */
int
yt_is_null(const yt_node_t *n)
{
	const char *s;

	if (n == NULL)
		return 1;
	if (n->kind != YT_SCALAR || !n->plain || n->scalar == NULL)
		return 0;
	s = n->scalar;
	return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* s_isdigit - ASCII digit, whatever the locale */
static int
s_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* s_parse_ll - a whole decimal integer with optional sign */
static int
s_parse_ll(const char *s, long long *out)
{
	const char *p = s;
	char *end;
	long long v;

	if (*p == '+' || *p == '-')
		p++;
	if (!s_isdigit(*p))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* s_parse_double - a whole finite decimal number, '.' as the point in any locale */
static int
s_parse_double(const char *s, double *out)
{
	const char *p = s;
	locale_t c, old;
	char *end;
	double v;
	int digits = 0;

	if (*p == '+' || *p == '-')
		p++;
	for (; s_isdigit(*p); p++)
		digits++;
	if (*p == '.')
		for (p++; s_isdigit(*p); p++)
			digits++;
	if (digits == 0)
		return -1;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!s_isdigit(*p))
			return -1;
		while (s_isdigit(*p))
			p++;
	}
	if (*p != '\0')
		return -1;
	c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (c == (locale_t)0)
		return -1;
	old = uselocale(c);
	v = strtod(s, &end);
	uselocale(old);
	freelocale(c);
	if (*end != '\0' || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* S_WHAT - "what: " prefix parts for messages about one value */
#define S_WHAT(w) ((w) != NULL ? (w) : ""), ((w) != NULL ? ": " : "")

/* yt_scalar_str - the text of a non-null scalar */
int
yt_scalar_str(const yt_node_t *n, const char **out, yt_diag_t *d, const char *what)
{
	char g[S_QUOTE_MAX + 16];

	if (n == NULL || n->kind != YT_SCALAR || yt_is_null(n)) {
		yt_diag_add(d, n, "%s%sexpected a string, got %s", S_WHAT(what), s_got(n, g, sizeof(g)));
		return -1;
	}
	*out = n->scalar;
	return 0;
}

/* yt_scalar_int - a decimal integer within min..max */
int
yt_scalar_int(const yt_node_t *n, long long min, long long max, long long *out, yt_diag_t *d,
    const char *what)
{
	char g[S_QUOTE_MAX + 16];
	long long v;

	if (n != NULL && n->kind == YT_SCALAR && !yt_is_null(n) &&
	    s_parse_ll(n->scalar, &v) == 0 && v >= min && v <= max) {
		*out = v;
		return 0;
	}
	if (min == LLONG_MIN && max == LLONG_MAX)
		yt_diag_add(d, n, "%s%sexpected an integer, got %s", S_WHAT(what), s_got(n, g, sizeof(g)));
	else
		yt_diag_add(d, n, "%s%sexpected an integer from %lld to %lld, got %s",
		    S_WHAT(what), min, max, s_got(n, g, sizeof(g)));
	return -1;
}

/* yt_scalar_double - a finite decimal number within min..max */
int
yt_scalar_double(const yt_node_t *n, double min, double max, double *out, yt_diag_t *d, const char *what)
{
	char g[S_QUOTE_MAX + 16];
	double v;

	if (n != NULL && n->kind == YT_SCALAR && !yt_is_null(n) &&
	    s_parse_double(n->scalar, &v) == 0 && v >= min && v <= max) {
		*out = v;
		return 0;
	}
	if (min <= -DBL_MAX && max >= DBL_MAX)
		yt_diag_add(d, n, "%s%sexpected a number, got %s", S_WHAT(what), s_got(n, g, sizeof(g)));
	else
		yt_diag_add(d, n, "%s%sexpected a number from %g to %g, got %s",
		    S_WHAT(what), min, max, s_got(n, g, sizeof(g)));
	return -1;
}

/* yt_scalar_bool - true/yes/on or false/no/off, any case */
int
yt_scalar_bool(const yt_node_t *n, int *out, yt_diag_t *d, const char *what)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	char g[S_QUOTE_MAX + 16];
	size_t i;

	if (n != NULL && n->kind == YT_SCALAR) {
		for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (strcasecmp(n->scalar, yes[i]) == 0) {
				*out = 1;
				return 0;
			}
			if (strcasecmp(n->scalar, no[i]) == 0) {
				*out = 0;
				return 0;
			}
		}
	}
	yt_diag_add(d, n, "%s%sexpected true or false (or yes/no, on/off), got %s",
	    S_WHAT(what), s_got(n, g, sizeof(g)));
	return -1;
}

/* s_lookup - a getter's value for key: 1 found, 0 absent and optional, -1 reported */
static int
s_lookup(const yt_node_t *map, const char *key, int required, const yt_node_t **v, yt_diag_t *d)
{
	char q[S_QUOTE_MAX + 8], g[S_QUOTE_MAX + 16];

	if (map == NULL)
		return 0; /* absent section: already fine or already reported */
	if (map->kind != YT_MAP) {
		yt_diag_add(d, map, "expected a mapping with key '%s', got %s",
		    s_quote(key, q, sizeof(q)), s_got(map, g, sizeof(g)));
		return -1;
	}
	*v = yt_map_get(map, key);
	if (*v == NULL) {
		if (!required)
			return 0;
		yt_diag_add(d, map, "missing required key '%s'", s_quote(key, q, sizeof(q)));
		return -1;
	}
	if (yt_is_null(*v)) {
		if (!required)
			return 0;
		yt_diag_add(d, *v, "%s: a value is required", s_quote(key, q, sizeof(q)));
		return -1;
	}
	return 1;
}

/* yt_get_str - checked string for key */
int
yt_get_str(const yt_node_t *map, const char *key, int required, const char **out, yt_diag_t *d)
{
	const yt_node_t *v = NULL;
	int rc = s_lookup(map, key, required, &v, d);

	return rc <= 0 ? rc : yt_scalar_str(v, out, d, key);
}

/* yt_get_int - checked integer in min..max for key */
int
yt_get_int(const yt_node_t *map, const char *key, int required, long long min, long long max,
    long long *out, yt_diag_t *d)
{
	const yt_node_t *v = NULL;
	int rc = s_lookup(map, key, required, &v, d);

	return rc <= 0 ? rc : yt_scalar_int(v, min, max, out, d, key);
}

/* yt_get_double - checked number in min..max for key */
int
yt_get_double(const yt_node_t *map, const char *key, int required, double min, double max,
    double *out, yt_diag_t *d)
{
	const yt_node_t *v = NULL;
	int rc = s_lookup(map, key, required, &v, d);

	return rc <= 0 ? rc : yt_scalar_double(v, min, max, out, d, key);
}

/* yt_get_bool - checked boolean for key */
int
yt_get_bool(const yt_node_t *map, const char *key, int required, int *out, yt_diag_t *d)
{
	const yt_node_t *v = NULL;
	int rc = s_lookup(map, key, required, &v, d);

	return rc <= 0 ? rc : yt_scalar_bool(v, out, d, key);
}

/* s_get_kind - checked sequence or mapping for key */
static int
s_get_kind(const yt_node_t *map, const char *key, int required, yt_kind_t kind,
    const yt_node_t **out, yt_diag_t *d)
{
	const yt_node_t *v = NULL;
	char q[S_QUOTE_MAX + 8], g[S_QUOTE_MAX + 16];
	int rc = s_lookup(map, key, required, &v, d);

	if (rc <= 0)
		return rc;
	if (v->kind != kind) {
		yt_diag_add(d, v, "%s: expected %s, got %s", s_quote(key, q, sizeof(q)),
		    kind == YT_SEQ ? "a sequence" : "a mapping", s_got(v, g, sizeof(g)));
		return -1;
	}
	*out = v;
	return 0;
}

/* yt_get_seq - checked sequence for key */
int
yt_get_seq(const yt_node_t *map, const char *key, int required, const yt_node_t **out, yt_diag_t *d)
{
	return s_get_kind(map, key, required, YT_SEQ, out, d);
}

/* yt_get_map - checked mapping for key */
int
yt_get_map(const yt_node_t *map, const char *key, int required, const yt_node_t **out, yt_diag_t *d)
{
	return s_get_kind(map, key, required, YT_MAP, out, d);
}

/* s_name - the i-th allowed key name from a list or a field table, NULL at the end */
static const char *
s_name(const char *const *allowed, const yt_field_t *fields, size_t i)
{
	return allowed != NULL ? allowed[i] : fields[i].key;
}

/* s_key_list - "a, b, c" of the allowed keys, malloc'd; NULL when out of memory */
static char *
s_key_list(const char *const *allowed, const yt_field_t *fields)
{
	const char *k;
	size_t i, len = 1, o = 0, kl;
	char *s;

	for (i = 0; (k = s_name(allowed, fields, i)) != NULL; i++)
		len += strlen(k) + 2;
	s = xmalloc(len);
	if (s == NULL)
		return NULL;
	for (i = 0; (k = s_name(allowed, fields, i)) != NULL; i++) {
		if (i > 0) {
			memcpy(s + o, ", ", 2);
			o += 2;
		}
		kl = strlen(k);
		memcpy(s + o, k, kl);
		o += kl;
	}
	s[o] = '\0';
	return s;
}

/* s_check_keys - report every key of map not in the list or table */
static int
s_check_keys(const yt_node_t *map, const char *const *allowed, const yt_field_t *fields, yt_diag_t *d)
{
	char q[S_QUOTE_MAX + 8], g[S_QUOTE_MAX + 16];
	const yt_node_t *k;
	const char *name;
	char *list = NULL;
	size_t i, j;
	int rc = 0;

	if (map == NULL)
		return 0;
	if (map->kind != YT_MAP) {
		yt_diag_add(d, map, "expected a mapping, got %s", s_got(map, g, sizeof(g)));
		return -1;
	}
	for (i = 0; i < map->n; i++) {
		k = map->keys[i];
		if (k->kind != YT_SCALAR)
			continue; /* refused by the loader */
		for (j = 0; (name = s_name(allowed, fields, j)) != NULL; j++)
			if (strcmp(name, k->scalar) == 0)
				break;
		if (name != NULL)
			continue;
		if (list == NULL)
			list = s_key_list(allowed, fields);
		if (list != NULL && list[0] == '\0')
			yt_diag_add(d, k, "unknown key '%s' (no keys are allowed here)",
			    s_quote(k->scalar, q, sizeof(q)));
		else
			yt_diag_add(d, k, "unknown key '%s' (expected one of: %s)",
			    s_quote(k->scalar, q, sizeof(q)), list != NULL ? list : "?");
		rc = -1;
	}
	free(list);
	return rc;
}

/* yt_check_keys - report every key of map that is not in allowed */
int
yt_check_keys(const yt_node_t *map, const char *const *allowed, yt_diag_t *d)
{
	static const char *const none[] = { NULL };

	return s_check_keys(map, allowed != NULL ? allowed : none, NULL, d);
}

/* s_read_field - read one table row into base + offset */
static int
s_read_field(const yt_node_t *map, const yt_field_t *f, void *base, yt_diag_t *d)
{
	char *p = (char *)base + f->offset;
	int ranged = f->imin != 0 || f->imax != 0;
	long long v, lo, hi;
	double dlo, dhi;
	int rc;

	switch (f->type) {
	case YT_T_STR:
		return yt_get_str(map, f->key, f->required, (const char **)(void *)p, d);
	case YT_T_INT:
		lo = ranged && f->imin > INT_MIN ? f->imin : INT_MIN;
		hi = ranged && f->imax < INT_MAX ? f->imax : INT_MAX;
		v = *(int *)(void *)p;
		rc = yt_get_int(map, f->key, f->required, lo, hi, &v, d);
		if (rc == 0)
			*(int *)(void *)p = (int)v;
		return rc;
	case YT_T_LLONG:
		lo = ranged ? f->imin : LLONG_MIN;
		hi = ranged ? f->imax : LLONG_MAX;
		return yt_get_int(map, f->key, f->required, lo, hi, (long long *)(void *)p, d);
	case YT_T_DOUBLE:
		dlo = f->dmin == 0 && f->dmax == 0 ? -DBL_MAX : f->dmin;
		dhi = f->dmin == 0 && f->dmax == 0 ? DBL_MAX : f->dmax;
		return yt_get_double(map, f->key, f->required, dlo, dhi, (double *)(void *)p, d);
	case YT_T_BOOL:
		return yt_get_bool(map, f->key, f->required, (int *)(void *)p, d);
	case YT_T_SEQ:
		return yt_get_seq(map, f->key, f->required, (const yt_node_t **)(void *)p, d);
	case YT_T_MAP:
		return yt_get_map(map, f->key, f->required, (const yt_node_t **)(void *)p, d);
	}
	yt_diag_add(d, map, "%s: unknown field type %d in the reading table", f->key, (int)f->type);
	return -1;
}

/* yt_read_fields - check keys against the table and read every field, reporting all problems */
int
yt_read_fields(const yt_node_t *map, const yt_field_t *fields, void *base, yt_diag_t *d)
{
	const yt_field_t *f;
	int rc;

	if (map == NULL)
		return 0;
	rc = s_check_keys(map, NULL, fields, d);
	if (map->kind != YT_MAP)
		return -1;
	for (f = fields; f->key != NULL; f++)
		if (s_read_field(map, f, base, d) != 0)
			rc = -1;
	return rc;
}
