/* cfg_alert - load the alert routing, receivers, grouping, inhibition and schedules (see cfg_alert.h). */
#include "cfg_alert.h"

#include <stdlib.h>

/* cfg_alert_load - defaults, then what root sets. */
cfg_alert_t *
cfg_alert_load(const yt_node_t *root, yt_diag_t *d)
{
	static const char *const keys[] = { NULL };
	cfg_alert_t *self = calloc(1, sizeof(*self));

	if (self == NULL)
		return NULL;
	if (root != NULL) {
		self->loaded = 1;
		yt_check_keys(root, keys, d);
	}
	return self;
}

void
cfg_alert_free(cfg_alert_t **self_p)
{
	free(*self_p);
	*self_p = NULL;
}
