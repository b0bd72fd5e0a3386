/* cfgdesc - one description of every configuration key: its type, default,
 * range, meaning, and whether a reload changes it in a running worker.
 *
 * Each configuration file has a table of cd_key_t (config.c for bhxh.yaml
 * and schemas.yaml, cfg_findings.c, cfg_alert.c, cfg_endpoints.c). The same
 * table
 *   - reads the YAML (cd_read): unknown keys, types, ranges and defaults,
 *     every problem reported at once with file:line:column;
 *   - fingerprints what was read (cd_sums_t), so that a reload can tell
 *     which keys changed and apply those marked CD_RELOAD (cd_changes,
 *     cd_swap) while reporting the others as needing a restart of the
 *     workers that read them (readby);
 *   - writes the key reference of docs/CONFIGURATION.md (cd_doc, through
 *     `bhxh-cfgdoc`).
 * Lists and trees (org_units, agencies, routes ...) are read by their own
 * function (CD_CUSTOM), which reads each item with cd_read and the item's
 * table (sub), so their keys are described here as well. */
#ifndef BHXH_CFGDESC_H
#define BHXH_CFGDESC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "yamltree.h"

typedef enum {
	CD_STR,      /* char * (owned), or char[bufsz] when bufsz > 0 */
	CD_INT,      /* int in min..max */
	CD_LLONG,    /* long long in min..max */
	CD_DOUBLE,   /* double in dmin..dmax */
	CD_BOOL,     /* int 0/1: true/false, yes/no, on/off */
	CD_DURATION, /* long long milliseconds in min..max: 500ms, 30s, 5m, 24h, 7d */
	CD_ENUM,     /* one of values "a|b|c": its index (int), or the word in char[bufsz] */
	CD_STRS,     /* a value or a list of values: char ** (NULL-terminated, owned), int count at noff */
	CD_SECTION,  /* a map whose keys are in sub, read into the same structure */
	CD_CUSTOM    /* read by read(); sub describes its items' keys (a list with CD_LIST) */
} cd_type_t;

#define CD_REQUIRED 1  /* must be given */
#define CD_RELOAD   2  /* a reload applies a change while the workers run */
#define CD_OWN      4  /* with CD_RELOAD: applied by the worker's own code, not swapped by cd_swap */
#define CD_LIST     8  /* CD_CUSTOM: a list of items described by sub (docs: key[].item) */
#define CD_LAYOUT  16  /* the workers' sockets are laid out by it (the endpoints are checked against
                        * it): while a reload finds it changed, every worker keeps its sockets as
                        * they are, until the pipeline restarts; not with CD_RELOAD */

/* Who reads a key (cd_key_t.readby): the workers that take its value when
 * they start, or the supervisor, which takes it when the pipeline starts
 * (`bhxhctl down`, then `up`). A changed key that waits for a restart is
 * listed (`bhxhctl status`) under each worker that reads it, and under none
 * when only the supervisor does. */
#define CD_BY_INGEST     1
#define CD_BY_VALIDATE   2  /* every instance */
#define CD_BY_AGGREGATE  4
#define CD_BY_ALERT      8
#define CD_BY_WORKERS    (CD_BY_INGEST | CD_BY_VALIDATE | CD_BY_AGGREGATE | CD_BY_ALERT)
#define CD_BY_SUPERVISOR 16

typedef struct cd_key cd_key_t;
typedef struct cd_ctx cd_ctx_t;

/* A custom reader: n is the key's value (NULL when absent). 0 or -1. */
typedef int (*cd_read_fn)(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx);
/* A further check after the value is read into base; n is the value's node
 * (NULL when absent and defaulted: cx->map is then the map it is absent
 * from, or NULL). Adds its own diagnostics; 0 or -1. */
typedef int (*cd_check_fn)(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx);

struct cd_key {
	const char *key;
	cd_type_t type;
	int flags;            /* CD_REQUIRED, CD_RELOAD, CD_OWN, CD_LIST, CD_LAYOUT */
	int readby;           /* CD_BY_*: who reads it; 0: as the section it is in (a key naming a file,
	                       * findings or alerting, says it for the file's keys); at the top of
	                       * bhxh.yaml, every worker (CD_BY_WORKERS) */
	size_t off;           /* offsetof() the member in the structure read into */
	size_t size;          /* CD_CUSTOM: bytes at off that cd_swap exchanges (0: not swappable) */
	size_t noff;          /* CD_STRS, and CD_CUSTOM arrays: offsetof() the int count; 0: none */
	const char *def;      /* the default as it would be written in YAML (CD_CUSTOM: a YAML
	                       * document its reader reads when the key is absent); NULL: none */
	long long min, max;   /* CD_INT, CD_LLONG, CD_DURATION; both 0: the type's range */
	double dmin, dmax;    /* CD_DOUBLE; both 0: any finite number */
	const char *values;   /* CD_ENUM: "off|try|required" */
	int bufsz;            /* CD_STR, CD_ENUM: a char[bufsz] member */
	const cd_key_t *sub;  /* CD_SECTION: its keys; CD_CUSTOM: an item's keys */
	cd_read_fn read;      /* CD_CUSTOM */
	cd_check_fn check;    /* optional further check */
	const char *env;      /* an environment variable that, when set, overrides the file */
	const char *type_doc; /* the type in words, where the type's name is not enough */
	const char *def_doc;  /* the default in words, where def cannot say it */
	const char *doc;      /* what the key means */
};

/* Which structure a fingerprint's key is read into (for cd_swap). */
enum { CD_BASE_MAIN, CD_BASE_FINDINGS, CD_BASE_ALERT, CD_NBASES };

typedef struct {
	const cd_key_t *k;
	int base;             /* CD_BASE_* */
	char path[96];        /* "ingest.batch_rows", "findings.arrears" */
	int readby;           /* CD_BY_*: who reads the key (never 0) */
	uint64_t h;           /* fingerprint of the value read (or the default) */
} cd_sum_t;

typedef struct cd_sums {
	cd_sum_t *v;
	size_t n, cap;
} cd_sums_t;

struct cd_ctx {
	yt_diag_t *d;
	void *user;           /* the loader's own state, for custom readers and checks */
	cd_sums_t *sums;      /* fingerprints go here; NULL: none (items of lists) */
	int base;             /* CD_BASE_* of the structure being read */
	const char *label;    /* what is being read, for messages ("field 'tax_code'"); NULL: none */
	int inherit;          /* 1: no defaults, the structure holds what it inherits (a child route) */
	const yt_node_t *map; /* during a check: the map the key is read from (where to report when the key is absent) */
	int readby;           /* CD_BY_* of the keys that do not say (their section's or file's); 0: every worker */
};

/* cd_read - set the defaults of t in base, then read map (NULL: absent,
 * only defaults) against t: unknown keys, types, ranges, required keys,
 * environment overrides, checks; prefix ("" or "ingest.") names the keys in
 * fingerprints. Reports every problem; 0 or -1. */
int cd_read(const cd_key_t *t, const char *prefix, const yt_node_t *map, void *base, cd_ctx_t *cx);

/* cd_keep_node - a custom reader that keeps the value's node at off (a
 * const yt_node_t *), for a loader that reads it itself. */
int cd_keep_node(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx);

/* cd_item_ctx - cx for reading one item of a list (no fingerprints: the
 * list's own fingerprint covers its items). */
cd_ctx_t cd_item_ctx(const cd_ctx_t *cx);

/* How cd_read_items reads a list into an array of items. */
typedef struct {
	void *arrp;          /* the address of the owner's pointer to the array (set before reading) */
	int *n;              /* the owner's count of items kept (counts up while reading) */
	size_t size;         /* bytes of one item */
	const char *what;    /* an item in messages: "agency", "field" */
	const char *keys;    /* what an item holds, for the message on one that is not a mapping */
	int labelled;        /* messages about an item start "WHAT 'NAME'" (its name key) */
	void *owner;         /* the structure holding the list, for keep */
	/* keep - after reading an item: 0 keeps it, -1 drops it (freed with k->sub). NULL: keep all */
	int (*keep)(void *item, const yt_node_t *n, cd_ctx_t *cx, void *owner);
} cd_items_t;

/* cd_read_items - read the list seq (NULL: absent, nothing done) item by item
 * with the table k->sub into a zeroed array of seq->n + 1 items; 0, or -1 when
 * anything was reported. */
int cd_read_items(const cd_key_t *k, const yt_node_t *seq, cd_ctx_t *cx, const cd_items_t *spec);

/* cd_defaults - only the defaults of t (and of its sections) into base. */
void cd_defaults(const cd_key_t *t, void *base);

/* cd_check_keys - report every key of map that t does not describe; 0 or -1. */
int cd_check_keys(const cd_key_t *t, const yt_node_t *map, yt_diag_t *d);

/* cd_free - free what cd_read allocated for the plain keys of t (strings,
 * lists of strings, in sections too); custom keys are freed by their owner. */
void cd_free(const cd_key_t *t, void *base);

/* cd_find - the key description of a dotted path under t ("ingest.window"), or NULL. */
const cd_key_t *cd_find(const cd_key_t *t, const char *path);

/* Fingerprints: cd_sums_free; cd_changes calls fn for each key whose value
 * differs between a and b (both read from the same tables), in b's order. */
void cd_sums_free(cd_sums_t *s);
typedef void (*cd_change_fn)(const cd_sum_t *was, const cd_sum_t *now, void *arg);
int cd_changes(const cd_sums_t *a, const cd_sums_t *b, cd_change_fn fn, void *arg);

/* cd_swap - exchange the value of key k between two structures read from
 * the same table (a reload keeps the new value, the old goes with the other
 * to be freed); 0, or -1 when k cannot be swapped (CD_OWN, sections, a
 * custom key without a size). */
int cd_swap(const cd_key_t *k, void *a, void *b);

/* cd_duration_parse - "500ms", "30s", "5m", "24h", "7d" or plain seconds,
 * at most a year, into milliseconds; 0 or -1. */
int cd_duration_parse(const char *s, long long *ms);

/* cd_doc - the Markdown table rows (key, type, default, reload, meaning) of
 * t and its sections and items, keys written prefix + key. */
void cd_doc(FILE *out, const cd_key_t *t, const char *prefix);
void cd_doc_header(FILE *out);

/* cd_check_table - every default of t parses and lies in its range; the
 * first problem in why. 0 or -1. For the unit tests and bhxh-cfgdoc. */
int cd_check_table(const cd_key_t *t, char *why, size_t whysz);

#endif
