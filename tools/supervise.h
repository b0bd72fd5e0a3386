/* supervise - the supervisor that runs the workers of one var dir: starts
 * them, restarts one that dies (throttled when it dies at start-up), and
 * stops them all on SIGTERM. `up` runs it in the background and returns once
 * every worker reports ready. */
#ifndef BHXH_SUPERVISE_H
#define BHXH_SUPERVISE_H

#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>

#include "config.h"

/* supervise_up - start a background supervisor and wait until its workers
 * are ready. only: "ingest,validate" runs just those workers here ("validate"
 * is every instance, "validate-2" one), NULL all; 2 if it names no worker. */
int supervise_up(const config_t *c, const char *cfgpath, const char *var, const char *bindir, const char *only);

/* supervise_run - run the supervisor in this process until SIGTERM/SIGINT,
 * with the workers only names (as supervise_up). */
int supervise_run(const config_t *c, const char *cfgpath, const char *var, const char *bindir, int daemonized,
    const char *only);

/* supervise_exec - exec worker name of c ("ingest", "validate-2", ...) in this
 * process, as the supervisor would start it (for a systemd unit per worker);
 * returns only on failure (2: no such worker). list: print every worker's
 * name, one a line, and return 0. */
int supervise_exec(const config_t *c, const char *cfgpath, const char *var, const char *bindir, const char *name,
    int list);

/* supervise_down - stop the supervisor and its workers; wait until gone. */
int supervise_down(const char *var);

/* supervise_status - print the status of every worker of the configuration,
 * asked at its control address, local or remote, all at once within 2 s
 * (json: the answers as one JSON object); 0 when this var dir's supervisor
 * runs and every worker answers ready or busy, else 1 (a remote worker that
 * does not answer is shown as unreachable). */
int supervise_status(const config_t *c, const char *var, int json);

/* supervise_ask - one control request to a worker at its control address
 * (endpoints.NAME.control_connect, else VAR/run/NAME.ctl; see bus_request). */
int supervise_ask(const config_t *c, const char *var, const char *worker, const char *cmd, char *const *args,
    int nargs, int timeout_ms, int64_t *code, char **body, char *err, size_t errsz);

/* One worker's answer to "status" (supervise_collect). */
#define SUPERVISE_MAX_WORKERS 72
typedef struct {
	char name[48];
	char ep[300];        /* where it was asked */
	char err[160];       /* why there is no answer */
	char *body;          /* its status JSON (malloc'd), NULL when it did not answer */
	long long restarts;  /* from VAR/run/supervisor.status, -1 when not listed there */
} supervise_answer_t;

/* supervise_collect - ask every worker of the configuration for its status at
 * its control address, all at once, within timeout_ms (as supervise_status);
 * out has room for SUPERVISE_MAX_WORKERS; returns how many, each body to free. */
int supervise_collect(const config_t *c, const char *var, int timeout_ms, supervise_answer_t *out);

/* supervise_reload - SIGHUP to every worker of var on this host; 0 or 1 if none runs. */
int supervise_reload(const char *var);

/* supervise_lock_holder - the pid holding the fcntl lock of path (a
 * worker's or the supervisor's lock file), 0 if none. */
pid_t supervise_lock_holder(const char *path);

#endif
