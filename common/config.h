/* config - the pipeline's configuration, loaded from YAML and checked whole.
 *
 * config_load reads the main file and the schema file it names, checks every
 * key against the tables in config.c and reports every problem it finds with
 * file:line:column, not only the first. The result is read-only and shared by
 * all modules of a process. */
#ifndef BHXH_CONFIG_H
#define BHXH_CONFIG_H

#include "cfg_alert.h"
#include "cfgdesc.h"
#include "cfg_endpoints.h"
#include "cfg_findings.h"
#include "yamltree.h"

typedef struct {
	char *code;
	char *name;
	int parent;  /* index into units, -1 for the root */
	int depth;   /* 0 for the root */
	int nchildren;
} cfg_unit_t;

typedef struct {
	char *id;
	char *name;
	char *encoding;  /* NULL = UTF-8 */
	char *scope;     /* org-unit code or NULL */
	char *email;     /* may be NULL */
	int ntypes;
	char **types;
} cfg_agency_t;

typedef enum {
	FT_STRING, FT_TAX_CODE, FT_INSURANCE_NO, FT_CITIZEN_ID, FT_UNIT_CODE, FT_CODE,
	FT_ORG_UNIT, FT_ORG_UNIT_LEAF, FT_DATE, FT_PERIOD, FT_YEAR, FT_MONEY, FT_INT,
	FT_PCT, FT_BOOL, FT_ENUM
} cfg_ftype_t;

typedef struct {
	char *name;
	cfg_ftype_t type;
	int required;
	int personal;      /* never echoed anywhere */
	int naliases;
	char **aliases;    /* as written */
	char **folded;     /* aliases and the name, folded (text_fold_key), nfolded entries */
	int nfolded;
	int has_min, has_max;
	double min, max;
	int nvalues;       /* FT_ENUM */
	char **values;     /* canonical values */
	char ***value_aliases; /* NULL-terminated alias list per value */
} cfg_field_t;

typedef enum { APPLY_UPSERT, APPLY_SNAPSHOT } cfg_apply_t;

typedef struct {
	char *name;
	cfg_apply_t apply;
	int nprefixes;
	char **prefixes;
	int nfields;
	cfg_field_t *fields;
	int nkey;
	int *key;          /* field indexes */
	int nrules;
	char **rules;
} cfg_rtype_t;

typedef struct config {
	char *path;
	char *dir;         /* directory of path, for relative paths */
	int nunits;
	cfg_unit_t *units; /* pre-order: a parent comes before its children */
	int nagencies;
	cfg_agency_t *agencies;
	int nrtypes;
	cfg_rtype_t *rtypes;
	struct {
		long long max_file_bytes;
		int batch_rows;
		int window;
		int rescan_ms;
		int retention_days; /* archive/ and rejected/ kept this long; 0 = forever */
	} ingest;
	struct {
		int instances;
	} validate;
	struct {
		int incomplete_timeout_s; /* a file whose batches stop coming is quarantined after this */
		int order_wait_s;         /* how long a file waits for an earlier file number that never comes */
	} aggregate;
	struct {
		int year;
		double bhxh_pct;
		double bhtn_pct;
	} goal;
	char log_level[8];     /* error, warn, info, debug */
	char *schemas;         /* the paths as written */
	char *findings_path;
	char *alerting_path;
	struct {
		char *listen;     /* HOST:PORT of the metrics and health server, NULL: none */
	} metrics;
	cfg_findings_t *findings; /* never NULL after config_load */
	cfg_alert_t *alert;       /* never NULL after config_load */
	cfg_endpoints_t *endpoints; /* never NULL after config_load; all defaults when absent */
	int nmoves;
	struct cfg_move {
		char *from;        /* a code history may hold that the tree no longer has */
		char *to;          /* the unit of the tree its rows now belong to */
	} *moves;              /* org_unit_moves */
	cd_sums_t sums;        /* fingerprints of every key read, for reload */
} config_t;

/* The description of every key of bhxh.yaml and of the schemas file
 * (cfgdesc.h); the findings and alerting files have theirs. */
extern const cd_key_t config_keys[];
extern const cd_key_t config_schema_keys[];

/* config_load - load and check path and the files it names (schemas,
 * findings, alerting) with the tables config_keys, config_schema_keys,
 * cfg_findings_keys and cfg_alert_keys; NULL with every problem in d. */
config_t *config_load(const char *path, yt_diag_t *d);

void config_free(config_t **self_p);

/* Look-ups; NULL / -1 when absent. O(n) scans: the tables are small. */
int config_unit_index(const config_t *c, const char *code);
const cfg_agency_t *config_agency(const config_t *c, const char *id);
const cfg_rtype_t *config_rtype(const config_t *c, const char *name);
int config_field_index(const cfg_rtype_t *t, const char *name);

/* config_fields_are - the n names are the record type's fields, in its order. */
int config_fields_are(const cfg_rtype_t *t, char *const *names, uint32_t n);
int config_agency_allows(const cfg_agency_t *a, const char *rtype);

/* config_unit_within - 1 if unit index u is root or lies in root's subtree. */
int config_unit_within(const config_t *c, int u, int root);

/* config_rtype_for_file - the record type whose prefix starts the file name
 * (after leading spaces, dashes, underscores and dots; longest match,
 * followed by '_', '-', '.' or the end), or NULL. */
const cfg_rtype_t *config_rtype_for_file(const config_t *c, const char *filename);

const char *config_ftype_name(cfg_ftype_t t);

/* config_listen_ok - s is HOST:PORT for a listening socket (metrics.listen). */
int config_listen_ok(const char *s);

/* config_identifier_ok - a record-type or field name fit to be an SQL
 * identifier: [a-z_][a-z0-9_]*, at most CONFIG_IDENT_MAX characters. */
#define CONFIG_IDENT_MAX 63
int config_identifier_ok(const char *s);

#endif
