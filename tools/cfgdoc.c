/* bhxh-cfgdoc - the key reference of docs/CONFIGURATION.md, written from the
 * one description of the configuration in the code (common/cfgdesc.h).
 *
 *   bhxh-cfgdoc                 print the reference (Markdown)
 *   bhxh-cfgdoc --write FILE    replace the generated part of FILE
 *   bhxh-cfgdoc --check FILE    exit 1 if FILE's generated part is not what
 *                               the code describes (make test runs this)
 *
 * The generated part lies between the lines S_BEGIN and S_END. Every table
 * is checked first (defaults parse and lie in range, every key has a meaning). */
#include "cfg_alert.h"
#include "cfg_endpoints.h"
#include "cfg_findings.h"
#include "cfgdesc.h"
#include "config.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_BEGIN "<!-- BEGIN KEYS: written by `make docs` (bin/bhxh-cfgdoc) from the tables of keys in common/config.c, cfg_findings.c, cfg_alert.c and cfg_endpoints.c; edit those, not this -->"
#define S_END "<!-- END KEYS -->"

static const struct {
	const char *title, *intro, *prefix;
	const cd_key_t *keys;
} s_files[] = {
	{ "bhxh.yaml", "The main file (`--config`, default `config/bhxh.yaml`).", "", config_keys },
	{ "schemas.yaml", "The record types, in the file `schemas` names.", "", config_schema_keys },
	{ "findings.yaml", "Thresholds and severities, in the file `findings` names; what each kind measures is in"
	  " docs/INDICATORS.md. A reload takes all of them: the aggregate recomputes every finding.", "",
	  cfg_findings_keys },
	{ "alerting.yaml", "Receivers, routing and notices, in the file `alerting` names (docs/ALERTING.md).", "",
	  cfg_alert_keys },
};

/* s_write_ref - the whole reference. */
static int
s_write_ref(FILE *out)
{
	char why[300];

	for (size_t i = 0; i < sizeof(s_files) / sizeof(s_files[0]); i++)
		if (cd_check_table(s_files[i].keys, why, sizeof(why)) != 0) {
			fprintf(stderr, "bhxh-cfgdoc: %s: %s\n", s_files[i].title, why);
			return -1;
		}
	fprintf(out, "%s\n\n", S_BEGIN);
	fputs("Every key, as the programs read it. *On reload*: `at once` — `bhxhctl reload` (SIGHUP) puts a new\n"
	    "value into effect in the running workers; `restart` — the running value is kept, the change is logged\n"
	    "and shown by `bhxhctl status` until the worker restarts. A key under a `[]` is a key of each item of\n"
	    "a list.\n", out);
	for (size_t i = 0; i < sizeof(s_files) / sizeof(s_files[0]); i++) {
		fprintf(out, "\n### %s\n\n%s\n\n", s_files[i].title, s_files[i].intro);
		cd_doc_header(out);
		cd_doc(out, s_files[i].keys, s_files[i].prefix);
	}
	fprintf(out, "\n%s\n", S_END);
	return ferror(out) ? -1 : 0;
}

/* s_slurp - a whole file, NUL-terminated; NULL if unreadable. */
static char *
s_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (f == NULL)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			cap = (cap + 4096) * 2;
			buf = xrealloc(buf, cap);
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

int
main(int argc, char **argv)
{
	char *doc, *ref = NULL, *b, *e;
	size_t reflen = 0;
	FILE *mem;
	int rc = 0;

	if (argc == 1)
		return s_write_ref(stdout) == 0 ? 0 : 1;
	if (argc != 3 || (strcmp(argv[1], "--write") != 0 && strcmp(argv[1], "--check") != 0)) {
		fprintf(stderr, "usage: bhxh-cfgdoc [--write FILE | --check FILE]\n");
		return 2;
	}
	if ((doc = s_slurp(argv[2])) == NULL) {
		perror(argv[2]);
		return 1;
	}
	b = strstr(doc, S_BEGIN);
	e = b != NULL ? strstr(b, S_END) : NULL;
	if (b == NULL || e == NULL) {
		fprintf(stderr, "bhxh-cfgdoc: %s has no generated part (the lines %s and %s)\n", argv[2], S_BEGIN, S_END);
		free(doc);
		return 1;
	}
	e += strlen(S_END);
	if (*e == '\n')
		e++;
	mem = open_memstream(&ref, &reflen);
	if (mem == NULL || s_write_ref(mem) != 0 || fclose(mem) != 0) {
		free(doc);
		free(ref);
		return 1;
	}
	if (strcmp(argv[1], "--check") == 0) {
		if ((size_t)(e - b) != reflen || memcmp(b, ref, reflen) != 0) {
			fprintf(stderr, "bhxh-cfgdoc: the key reference in %s is not what the code describes: run `make docs`\n",
			    argv[2]);
			rc = 1;
		}
	} else {
		char tmp[4200];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
		f = fopen(tmp, "wb");
		if (f == NULL || fwrite(doc, 1, (size_t)(b - doc), f) != (size_t)(b - doc) ||
		    fwrite(ref, 1, reflen, f) != reflen || fputs(e, f) == EOF || fclose(f) != 0 || rename(tmp, argv[2]) != 0) {
			perror(tmp);
			rc = 1;
		}
	}
	free(doc);
	free(ref);
	return rc;
}
