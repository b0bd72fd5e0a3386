/* cfg_findings - load the findings thresholds, severities and expected submissions (see cfg_findings.h). */
#include "cfg_findings.h"

#include <stdlib.h>

/* cfg_findings_load - defaults, then what root sets. */
cfg_findings_t *
cfg_findings_load(const yt_node_t *root, yt_diag_t *d)
{
	static const char *const keys[] = { NULL };
	cfg_findings_t *self = calloc(1, sizeof(*self));

	if (self == NULL)
		return NULL;
	if (root != NULL) {
		self->loaded = 1;
		yt_check_keys(root, keys, d);
	}
	return self;
}

void
cfg_findings_free(cfg_findings_t **self_p)
{
	free(*self_p);
	*self_p = NULL;
}
