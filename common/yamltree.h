/* yamltree - one YAML document as a small tree with source marks, and checked
 * reading of configuration from it that reports every problem, not the first.
 *
 * Trust: the input is an operator-edited file that may be wrong or hostile.
 * The loader refuses a file over a byte limit before parsing it, stops early
 * at a nesting depth and at a node count (libyaml itself has no limit), and
 * refuses aliases (no "billion laughs"), duplicate keys, non-scalar keys,
 * NUL characters in scalars, non-UTF-8 input and more than one document.
 * Anchors and tags are ignored; a merge key `<<` is an ordinary key.
 *
 * Every message is "file:line:col: text" with 1-based line and column
 * (columns count characters, as libyaml does) and goes into a yt_diag_t,
 * so `--check-config` can print them all at once.
 *
 * Reading: yt_check_keys() reports unknown keys; the yt_get_*() getters
 * look up one key, check its type and range and report with the value's
 * mark. An absent key, or one whose value is a plain null (`key:`, `~`,
 * `null`), leaves the output untouched, so callers pre-fill defaults. A NULL
 * map is an absent section: getters return 0 and report nothing.
 * yt_read_fields() does the same from a table of fields with offsetof(). */
#ifndef BHXH_YAMLTREE_H
#define BHXH_YAMLTREE_H

#include <stddef.h>
#include <stdio.h>

#if defined(__GNUC__)
#define YT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define YT_PRINTF(f, a)
#endif

typedef enum { YT_SCALAR, YT_SEQ, YT_MAP } yt_kind_t;

typedef struct yt_node {
	yt_kind_t kind;
	int line, col;          /* 1-based mark of the node's start */
	char *scalar;           /* YT_SCALAR: value (UTF-8, NUL-terminated) */
	int plain;              /* YT_SCALAR: 1 if unquoted (so `~`, `null`, empty plain = null) */
	size_t n;               /* YT_SEQ: items; YT_MAP: pairs */
	struct yt_node **items; /* YT_SEQ items; YT_MAP: values */
	struct yt_node **keys;  /* YT_MAP: keys (scalar nodes) */
	const char *file;       /* file name for messages (owned by the doc) */
} yt_node_t;

typedef struct {
	size_t max_bytes;       /* larger input is refused before parsing */
	int max_depth;          /* nested sequences/mappings; the root map is depth 1 */
	size_t max_nodes;       /* scalars (keys included), sequences and mappings */
} yt_limits_t;
#define YT_DEFAULT_LIMITS { 4u * 1024u * 1024u, 32, 200000 }

/* Collected messages, one string each. Zero-initialise to use; a NULL
 * yt_diag_t * is accepted everywhere and drops the messages. */
typedef struct yt_diag {
	char **msgs;
	size_t n, cap;
} yt_diag_t;

/* "file:line:col: msg" from the node's mark; at may be NULL -> no mark. */
void yt_diag_add(yt_diag_t *d, const yt_node_t *at, const char *fmt, ...) YT_PRINTF(3, 4);
/* "file:line:col: msg"; line <= 0 -> "file: msg"; file NULL -> no file part. */
void yt_diag_addf(yt_diag_t *d, const char *file, int line, int col, const char *fmt, ...) YT_PRINTF(5, 6);
void yt_diag_print(const yt_diag_t *d, FILE *out);   /* one message per line */
void yt_diag_free(yt_diag_t *d);                     /* frees and zeroes */

/* Load exactly one document. lim NULL -> YT_DEFAULT_LIMITS. Returns the
 * root or NULL with the reasons added to d. An empty input (nothing, only
 * comments, or a lone null) is an error: "empty configuration". The root
 * may be any kind; config readers check it with yt_check_keys(). */
yt_node_t *yt_load_file(const char *path, const yt_limits_t *lim, yt_diag_t *d);
yt_node_t *yt_load_string(const char *name, const char *buf, size_t len, const yt_limits_t *lim, yt_diag_t *d);
/* Free a tree; only the root returned by a loader, never a subtree. NULL is fine. */
void yt_free(yt_node_t *root);

/* The value for key, or NULL if absent or map is not a map. O(pairs). */
const yt_node_t *yt_map_get(const yt_node_t *map, const char *key);
/* 1 for a plain scalar "", "~", "null", "Null", "NULL", and for NULL (no value). */
int yt_is_null(const yt_node_t *n);

/* Checked getters: return 0 if absent-and-optional (out untouched) or ok,
 * -1 after adding a diagnostic with the node's mark. A null value counts as
 * absent. Numbers and booleans may be quoted or plain. */
int yt_check_keys(const yt_node_t *map, const char *const *allowed /* NULL-terminated */, yt_diag_t *d);
int yt_get_str(const yt_node_t *map, const char *key, int required, const char **out, yt_diag_t *d); /* out points into the tree */
int yt_get_int(const yt_node_t *map, const char *key, int required, long long min, long long max, long long *out, yt_diag_t *d);
int yt_get_double(const yt_node_t *map, const char *key, int required, double min, double max, double *out, yt_diag_t *d);
int yt_get_bool(const yt_node_t *map, const char *key, int required, int *out, yt_diag_t *d); /* true/false/yes/no/on/off, any case */
int yt_get_seq(const yt_node_t *map, const char *key, int required, const yt_node_t **out, yt_diag_t *d);
int yt_get_map(const yt_node_t *map, const char *key, int required, const yt_node_t **out, yt_diag_t *d);

/* Checked conversion of one node (a sequence item, say); n NULL or null is
 * an error. what names it in the message ("batch_rows: expected ..."); may be NULL. */
int yt_scalar_int(const yt_node_t *n, long long min, long long max, long long *out, yt_diag_t *d, const char *what);
int yt_scalar_double(const yt_node_t *n, double min, double max, double *out, yt_diag_t *d, const char *what);
int yt_scalar_bool(const yt_node_t *n, int *out, yt_diag_t *d, const char *what);
int yt_scalar_str(const yt_node_t *n, const char **out, yt_diag_t *d, const char *what);

/* Table-driven reading: one row per key, ended by a row with key NULL. */
typedef enum {
	YT_T_STR,    /* const char * (points into the tree) */
	YT_T_INT,    /* int; range imin..imax, both 0 -> INT_MIN..INT_MAX */
	YT_T_LLONG,  /* long long; range imin..imax, both 0 -> any */
	YT_T_DOUBLE, /* double; range dmin..dmax, both 0 -> any finite */
	YT_T_BOOL,   /* int 0/1 */
	YT_T_SEQ,    /* const yt_node_t * */
	YT_T_MAP     /* const yt_node_t * */
} yt_type_t;

typedef struct {
	const char *key;
	yt_type_t type;
	int required;
	size_t offset;          /* offsetof(your_struct, member) */
	long long imin, imax;
	double dmin, dmax;
	const char *doc;        /* one line for documentation; not used here */
} yt_field_t;

/* Check map's keys against the table and read every field into base
 * (members keep their value when absent). Reports every problem; 0 or -1. */
int yt_read_fields(const yt_node_t *map, const yt_field_t *fields, void *base, yt_diag_t *d);

#endif
