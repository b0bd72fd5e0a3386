/* shipped.h - for unit tests: the path of a file of this source tree's
 * config/ (the shipped configuration). The test binary lives in BIN/tests/,
 * two levels below the root; when it is not found there, the path is taken
 * relative to the working directory (tests/run-all.sh runs from the root). */
#ifndef BHXH_TEST_SHIPPED_H
#define BHXH_TEST_SHIPPED_H

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* shipped_path - config/NAME of this tree into buf. */
static void
shipped_path(char *buf, size_t size, const char *name)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		for (int up = 0; up < 3; up++) {
			char *slash = strrchr(exe, '/');

			if (slash != NULL)
				*slash = '\0';
		}
		snprintf(buf, size, "%s/config/%s", exe, name);
		if (access(buf, R_OK) == 0)
			return;
	}
	snprintf(buf, size, "config/%s", name);
}

#endif
