/* cfg_findings - the findings thresholds, severities and expected submissions,
 * loaded from the file that the main configuration's 'findings' key names. */
#ifndef BHXH_CFG_FINDINGS_H
#define BHXH_CFG_FINDINGS_H

#include "yamltree.h"

typedef struct cfg_findings {
	int loaded; /* 1 when a file was given, 0 for the built-in defaults */
} cfg_findings_t;

/* cfg_findings_load - from root (NULL: defaults); NULL with problems in d. */
cfg_findings_t *cfg_findings_load(const yt_node_t *root, yt_diag_t *d);

void cfg_findings_free(cfg_findings_t **self_p);

#endif
