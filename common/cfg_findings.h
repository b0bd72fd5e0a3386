/* cfg_findings - the findings thresholds, severities and expected submissions,
 * loaded from the file that the main configuration's 'findings' key names.
 *
 * Every limit of docs/DOMAIN.md §6 is here; the built-in defaults are the
 * ones that section states, so a configuration without a findings file
 * behaves as it says (except missing_data, which needs a list of expected
 * submissions and has none by default). Severities are one of info, warning,
 * major, critical. */
#ifndef BHXH_CFG_FINDINGS_H
#define BHXH_CFG_FINDINGS_H

#include "cfgdesc.h"
#include "yamltree.h"

#define CFG_FINDINGS_MAX_LEVELS 8

/* A severity ladder: the highest level whose `at` the measured value reaches. */
typedef struct {
	double at;
	char severity[12];
} cfg_level_t;

typedef struct {
	int n;
	cfg_level_t level[CFG_FINDINGS_MAX_LEVELS]; /* ascending by at */
} cfg_levels_t;

typedef struct {
	char *agency;
	char *type;
	int deadline_day; /* the data of month P is due by this day of month P+1 */
} cfg_expected_t;

typedef struct {
	char *org_unit;   /* any level; the nearest ancestor's value applies */
	long long wage;
} cfg_wage_t;

typedef struct cfg_findings {
	int loaded; /* 1 when a file was given, 0 for the built-in defaults */
	cfg_levels_t not_enrolled;     /* on employees */
	cfg_levels_t under_declared;   /* on the gap */
	double under_declared_min_pct; /* the gap must also be >= this % of employees */
	cfg_levels_t arrears;          /* on arrears months */
	long long minimum_wage;        /* VND per month, where no by_org_unit entry applies */
	int nwages;
	cfg_wage_t *wages;
	char low_wage_severity[12];
	char unregistered_severity[12];
	int idle_months;
	char idle_severity[12];
	char behind_severity[12];
	char off_track_severity[12];
	char missing_severity[12];
	int lookback_months;           /* missing_data looks at most this many months back */
	char feed_severity[12];        /* feed_stopped */
	char today[11];                /* YYYY-MM-DD deadlines are read on; "" = the local date */
	int nexpected;
	cfg_expected_t *expected;
} cfg_findings_t;

/* Every key of the findings file (cfgdesc.h); all of them reloadable. */
extern const cd_key_t cfg_findings_keys[];

/* cfg_findings_load - from root (NULL: defaults); problems into d (a value
 * refused keeps its default).
 * cfg_findings_read - the same, fingerprints into cx (keys "findings.…"). */
cfg_findings_t *cfg_findings_load(const yt_node_t *root, yt_diag_t *d);
cfg_findings_t *cfg_findings_read(const yt_node_t *root, cd_ctx_t *cx);

void cfg_findings_free(cfg_findings_t **self_p);

/* cfg_findings_rank - 0 info, 1 warning, 2 major, 3 critical; -1 unknown. */
int cfg_findings_rank(const char *severity);

/* cfg_levels_pick - index of the highest level value reaches, or -1. */
int cfg_levels_pick(const cfg_levels_t *l, double value);

#endif
