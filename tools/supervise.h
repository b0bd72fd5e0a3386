/* supervise - the supervisor that runs the workers of one var dir: starts
 * them, restarts one that dies (throttled when it dies at start-up), and
 * stops them all on SIGTERM. `up` runs it in the background and returns once
 * every worker reports ready. */
#ifndef BHXH_SUPERVISE_H
#define BHXH_SUPERVISE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* supervise_up - start a background supervisor and wait until all workers are ready. */
int supervise_up(const config_t *c, const char *cfgpath, const char *var, const char *bindir);

/* supervise_run - run the supervisor in this process until SIGTERM/SIGINT;
 * ready_fd >= 0 is closed once it has started every worker. */
int supervise_run(const config_t *c, const char *cfgpath, const char *var, const char *bindir, int daemonized);

/* supervise_down - stop the supervisor and its workers; wait until gone. */
int supervise_down(const char *var);

/* supervise_status - print each worker's status, asked on its control
 * socket (json: the answers as one JSON object); 0 when the supervisor runs
 * and every worker answers ready or busy, else 1. */
int supervise_status(const config_t *c, const char *var, int json);

/* supervise_ask - one control request to a worker of var (see bus_request). */
int supervise_ask(const char *var, const char *worker, const char *cmd, char *const *args, int nargs, int timeout_ms,
    int64_t *code, char **body, char *err, size_t errsz);

#endif
