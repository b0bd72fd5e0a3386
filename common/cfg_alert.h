/* cfg_alert - the alert routing, receivers, grouping, inhibition and schedules,
 * loaded from the file that the main configuration's 'alerting' key names. */
#ifndef BHXH_CFG_ALERT_H
#define BHXH_CFG_ALERT_H

#include "yamltree.h"

typedef struct cfg_alert {
	int loaded; /* 1 when a file was given, 0 for the built-in defaults */
} cfg_alert_t;

/* cfg_alert_load - from root (NULL: defaults); NULL with problems in d. */
cfg_alert_t *cfg_alert_load(const yt_node_t *root, yt_diag_t *d);

void cfg_alert_free(cfg_alert_t **self_p);

#endif
