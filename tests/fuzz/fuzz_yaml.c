/* fuzz_yaml - libFuzzer harness for the YAML loader (common/yamltree.c) and
 * the configuration built on it (common/config.c, cfg_findings.c,
 * cfg_alert.c).
 *
 * The first byte of an input says what the rest is:
 *   'm'   a main configuration file: written to a temporary directory that
 *         also holds the shipped schemas.yaml, findings.yaml and
 *         alerting.yaml, then loaded with config_load
 *   's'   a schemas file, loaded through the shipped main configuration
 *   'f'   a findings file (cfg_findings_load on its tree)
 *   'a'   an alerting file (cfg_alert_load on its tree)
 *   other just a YAML document
 * In every case the rest is also parsed with yt_load_string, under the
 * default limits and under small ones, and the tree is walked with every
 * checked getter. The shipped files are read at start from $BHXH_FUZZ_CONFIG
 * (default: config, relative to the current directory); the temporary
 * directory is made in $TMPDIR (default /dev/shm, else /tmp) and removed at
 * exit, but not after a crash (tools/fuzz.sh points TMPDIR into build/).
 *
 * Checked: a failed load or config_load says why (a message); a tree keeps
 * within its limits, has 1-based marks, scalar keys, no duplicate keys and
 * yt_map_get finds each key's own value; every getter either succeeds or adds
 * a message. Crashes, leaks and sanitizer reports are findings; so is a failed
 * check (abort). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg_alert.h"
#include "cfg_findings.h"
#include "config.h"
#include "yamltree.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char s_dir[256];          /* temporary directory with the shipped files */
static char s_main_path[300];    /* fuzzed main configuration */
static char s_smain_path[300];   /* shipped main naming fuzz-schemas.yaml */
static char s_schemas_path[300]; /* fuzzed schemas */

/* What s_walk reads with yt_read_fields. */
struct s_rec {
	const char *s;
	int i, b;
	long long ll;
	double x;
	const yt_node_t *seq, *map;
};

/* s_check - abort (a finding) unless cond holds. */
static void
s_check(int cond)
{
	if (!cond)
		abort();
}

/* s_slurp - a whole file, malloc'd and NUL-terminated; aborts on failure. */
static char *
s_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n = 0;

	if (f == NULL) {
		fprintf(stderr, "fuzz_yaml: cannot open %s (set BHXH_FUZZ_CONFIG)\n", path);
		abort();
	}
	s_check(fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0);
	buf = malloc((size_t)n + 1);
	s_check(buf != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* s_put_file - write len bytes to dir/name, replacing it; aborts on failure. */
static void
s_put_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	s_check(f != NULL);
	s_check(len == 0 || fwrite(buf, 1, len, f) == len);
	s_check(fclose(f) == 0);
}

/* s_copy_shipped - copy one shipped file into the temporary directory. */
static void
s_copy_shipped(const char *src_dir, const char *name)
{
	char src[512], dst[512];
	size_t len;
	char *buf;

	snprintf(src, sizeof(src), "%s/%s", src_dir, name);
	snprintf(dst, sizeof(dst), "%s/%s", s_dir, name);
	buf = s_slurp(src, &len);
	s_put_file(dst, buf, len);
	free(buf);
}

/* s_cleanup - remove the temporary directory at exit. */
static void
s_cleanup(void)
{
	static const char *const names[] = { "bhxh.yaml", "schemas.yaml", "findings.yaml", "alerting.yaml",
		"fuzz-main.yaml", "shipped-main.yaml", "fuzz-schemas.yaml", NULL };
	char path[512];

	for (int i = 0; names[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", s_dir, names[i]);
		unlink(path);
	}
	rmdir(s_dir);
}

/* LLVMFuzzerInitialize - a temporary directory with the shipped files and a
 * main configuration that names the fuzzed schemas file. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *src = getenv("BHXH_FUZZ_CONFIG");
	const char *tmp = getenv("TMPDIR");
	char path[512], *main_text, *at, *smain;
	size_t len;

	if (src == NULL)
		src = "config";
	if (tmp == NULL || *tmp == '\0')
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(s_dir, sizeof(s_dir), "%s/fuzz_yaml.XXXXXX", tmp);
	s_check(mkdtemp(s_dir) != NULL);
	atexit(s_cleanup);
	s_copy_shipped(src, "bhxh.yaml");
	s_copy_shipped(src, "schemas.yaml");
	s_copy_shipped(src, "findings.yaml");
	s_copy_shipped(src, "alerting.yaml");
	snprintf(s_main_path, sizeof(s_main_path), "%s/fuzz-main.yaml", s_dir);
	snprintf(s_smain_path, sizeof(s_smain_path), "%s/shipped-main.yaml", s_dir);
	snprintf(s_schemas_path, sizeof(s_schemas_path), "%s/fuzz-schemas.yaml", s_dir);

	snprintf(path, sizeof(path), "%s/bhxh.yaml", src);
	main_text = s_slurp(path, &len);
	at = strstr(main_text, "schemas: schemas.yaml");
	s_check(at != NULL);
	*at = '\0';
	s_check(asprintf(&smain, "%sschemas: fuzz-schemas.yaml%s", main_text,
	    at + strlen("schemas: schemas.yaml")) > 0);
	s_put_file(s_smain_path, smain, strlen(smain));
	free(smain);
	free(main_text);
	return 0;
}

/* s_check_node - structural invariants of a (sub)tree; returns its node count. */
static size_t
s_check_node(const yt_node_t *n, int depth, const yt_limits_t *lim)
{
	size_t count = 1;

	s_check(n->line >= 1 && n->col >= 1);
	s_check(n->file != NULL);
	if (n->kind == YT_SCALAR) {
		s_check(n->scalar != NULL);
		return count;
	}
	s_check(depth <= lim->max_depth);
	s_check(n->n == 0 || n->items != NULL);
	for (size_t i = 0; i < n->n; i++) {
		s_check(n->items[i] != NULL);
		if (n->kind == YT_MAP) {
			const yt_node_t *k = n->keys[i];

			s_check(k != NULL && k->kind == YT_SCALAR && k->scalar != NULL);
			for (size_t j = 0; j < i; j++)
				s_check(strcmp(n->keys[j]->scalar, k->scalar) != 0);
			s_check(yt_map_get(n, k->scalar) == n->items[i]);
			count++;
		}
		count += s_check_node(n->items[i], depth + 1, lim);
	}
	return count;
}

/* s_getter_ok - a getter's result: 0, or -1 with a new message. */
static void
s_getter_ok(int rc, const yt_diag_t *d, size_t before)
{
	s_check(rc == 0 || (rc == -1 && d->n > before));
}

/* s_walk - every checked getter on every key and item of the tree. */
static void
s_walk(const yt_node_t *n, yt_diag_t *d)
{
	static const char *const allowed[] = { "code", "name", "children", NULL };
	struct s_rec rec;
	static const yt_field_t fields[] = {
		{ "name", YT_T_STR, 0, offsetof(struct s_rec, s), 0, 0, 0, 0, NULL },
		{ "batch_rows", YT_T_INT, 0, offsetof(struct s_rec, i), 1, 100000, 0, 0, NULL },
		{ "year", YT_T_INT, 0, offsetof(struct s_rec, i), 0, 0, 0, 0, NULL },
		{ "max_file_bytes", YT_T_LLONG, 0, offsetof(struct s_rec, ll), 1, 1LL << 50, 0, 0, NULL },
		{ "bhxh_pct", YT_T_DOUBLE, 0, offsetof(struct s_rec, x), 0, 0, 0, 100, NULL },
		{ "min", YT_T_DOUBLE, 0, offsetof(struct s_rec, x), 0, 0, 0, 0, NULL },
		{ "required", YT_T_BOOL, 0, offsetof(struct s_rec, b), 0, 0, 0, 0, NULL },
		{ "children", YT_T_SEQ, 0, offsetof(struct s_rec, seq), 0, 0, 0, 0, NULL },
		{ "ingest", YT_T_MAP, 0, offsetof(struct s_rec, map), 0, 0, 0, 0, NULL },
		{ NULL, YT_T_STR, 0, 0, 0, 0, 0, 0, NULL }
	};
	size_t before;

	if (n->kind == YT_SCALAR) {
		long long ll;
		double x;
		int b;
		const char *s;

		before = d->n;
		s_getter_ok(yt_scalar_int(n, -1000, 1000, &ll, d, "item"), d, before);
		before = d->n;
		s_getter_ok(yt_scalar_double(n, 0, 0, &x, d, NULL), d, before);
		before = d->n;
		s_getter_ok(yt_scalar_bool(n, &b, d, "item"), d, before);
		before = d->n;
		s_getter_ok(yt_scalar_str(n, &s, d, "item"), d, before);
		return;
	}
	if (n->kind == YT_MAP) {
		yt_check_keys(n, allowed, d);
		memset(&rec, 0, sizeof(rec));
		before = d->n;
		s_getter_ok(yt_read_fields(n, fields, &rec, d), d, before);
		for (size_t i = 0; i < n->n; i++) {
			const char *k = n->keys[i]->scalar;
			const yt_node_t *sub;
			const char *s;
			long long ll;
			double x;
			int b;

			before = d->n;
			s_getter_ok(yt_get_str(n, k, 1, &s, d), d, before);
			before = d->n;
			s_getter_ok(yt_get_int(n, k, 1, 0, 100, &ll, d), d, before);
			before = d->n;
			s_getter_ok(yt_get_double(n, k, 0, -1e9, 1e9, &x, d), d, before);
			before = d->n;
			s_getter_ok(yt_get_bool(n, k, 1, &b, d), d, before);
			before = d->n;
			s_getter_ok(yt_get_seq(n, k, 0, &sub, d), d, before);
			before = d->n;
			s_getter_ok(yt_get_map(n, k, 0, &sub, d), d, before);
		}
	}
	for (size_t i = 0; i < n->n; i++)
		s_walk(n->items[i], d);
}

/* s_load_tree - parse buf under lim, check and walk the tree; the tree is
 * returned for the caller to use and free. */
static yt_node_t *
s_load_tree(const char *buf, size_t len, const yt_limits_t *lim)
{
	yt_diag_t d = { 0 };
	yt_node_t *root = yt_load_string("fuzz.yaml", buf, len, lim, &d);

	if (root == NULL) {
		s_check(d.n > 0);
		for (size_t i = 0; i < d.n; i++)
			s_check(d.msgs[i] != NULL);
	} else {
		for (size_t i = 0; i < d.n; i++) /* a duplicate key is reported and dropped; the tree is still usable */
			s_check(d.msgs[i] != NULL && strstr(d.msgs[i], "duplicate key") != NULL);
		s_check(s_check_node(root, 1, lim) <= lim->max_nodes);
		s_walk(root, &d);
	}
	yt_diag_free(&d);
	s_check(d.n == 0 && d.msgs == NULL);
	return root;
}

/* s_config - config_load of path: a configuration, or NULL with messages. */
static void
s_config(const char *path)
{
	yt_diag_t d = { 0 };
	config_t *c = config_load(path, &d);

	if (c == NULL) {
		s_check(d.n > 0);
	} else {
		s_check(d.n == 0);
		s_check(c->findings != NULL && c->alert != NULL);
		config_free(&c);
		s_check(c == NULL);
	}
	yt_diag_free(&d);
}

/* LLVMFuzzerTestOneInput - see the comment at the top. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const yt_limits_t def = YT_DEFAULT_LIMITS;
	static const yt_limits_t small = { 4096, 4, 64 };
	const char *buf = (const char *)data + 1;
	yt_diag_t d = { 0 };
	yt_node_t *root;

	if (size < 1)
		return 0;
	size--;
	yt_free(s_load_tree(buf, size, &small));
	root = s_load_tree(buf, size, &def);
	switch (data[0]) {
	case 'm':
		s_put_file(s_main_path, buf, size);
		s_config(s_main_path);
		break;
	case 's':
		s_put_file(s_schemas_path, buf, size);
		s_config(s_smain_path);
		break;
	case 'f': {
		cfg_findings_t *f = cfg_findings_load(root, &d);

		s_check(f != NULL || d.n > 0);
		cfg_findings_free(&f);
		break;
	}
	case 'a': {
		cfg_alert_t *a = cfg_alert_load(root, &d);

		s_check(a != NULL || d.n > 0);
		cfg_alert_free(&a);
		break;
	}
	default:
		break;
	}
	yt_diag_free(&d);
	yt_free(root);
	return 0;
}
