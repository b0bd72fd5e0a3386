/* worker - the skeleton every worker's main() calls into.
 *
 * It owns argument parsing (--config, --var-dir, --instance, --check-config,
 * --log-level), configuration, logging, signals, the lock that makes it the
 * only worker of its name in the var dir, the ZeroMQ context and sockets,
 * the SQLite store, the control socket, the status file and the poll loop.
 * A worker supplies a struct worker_ops with its callbacks.
 *
 * Receiving: every message read from the input ROUTER is handed to
 * on_message inside one store transaction per drained burst; the ids are
 * acknowledged to their senders only after that transaction commits.
 * Sending: on_message and on_tick put outgoing messages into an outbox
 * (outbox_put) inside their transaction; the skeleton pumps every outbox.
 *
 * Sockets: addresses come from the configuration's `endpoints:` section,
 * by default ipc://VAR/run/NAME.sock (data) and VAR/run/NAME.ctl (control).
 *
 * Control: each worker binds a ROUTER at its control address that answers
 * CTL_REQ messages ("status", "backup DIR" (common/backup.h), and the
 * worker's own commands through on_control) with one CTL_REP; `bhxhctl`
 * talks to workers only this way.
 *
 * Peers: on tcp every socket uses CURVE with the keys of `endpoints.curve`;
 * a server socket accepts only the peers that may send to it (common/peers.h)
 * and every message is checked against its sender's name. SIGHUP rereads
 * the configuration: new endpoints and keys reopen the sockets (nothing is
 * lost: unacknowledged messages are resent), a configuration with problems
 * is refused and the old one kept.
 *
 * State: a worker says what it is doing with worker_set_state ("ready",
 * "busy", "waiting", "retrying", "degraded"), since when and why; the state
 * goes into the status answer and the status file at once. */
#ifndef BHXH_WORKER_H
#define BHXH_WORKER_H

#include <signal.h>
#include <stdint.h>

#include "bus.h"
#include "config.h"
#include "curve.h"
#include "fsutil.h"
#include "msg.h"
#include "outbox.h"
#include "store.h"

#define WORKER_MAX_OUT 4
#define WORKER_EXIT_LOCKED 3 /* another worker of this name runs for the var dir */

typedef struct worker worker_t;

struct worker_ops {
	const char *name;          /* "ingest", ... */
	const char *const *migrations;
	int nmigrations;
	const char *input;         /* name of the endpoint this worker binds, or NULL */
	const char *outputs[WORKER_MAX_OUT]; /* workers it sends to, NULL-terminated; the
	                            * first uses table `outbox`, others `outbox_NAME` */
	int (*init)(worker_t *w);  /* after store and sockets; 0 or -1 */
	/* on_message - called inside a transaction; 0 to acknowledge, -1 to
	 * roll the burst back (nothing acknowledged: the sender resends). Return
	 * -1 only for a failure that a later attempt can overcome (the store);
	 * a message that can never be taken is counted, logged and acknowledged. */
	int (*on_message)(worker_t *w, const msg_t *m);
	/* on_tick - called at least every tick_ms and after every burst; may do
	 * a bounded amount of work and open its own transactions. Returns 1 if it
	 * wants to be called again at once, else 0. */
	int (*on_tick)(worker_t *w);
	int (*poll_fd)(worker_t *w);      /* an extra fd to wake on (e.g. inotify), or -1 */
	void (*on_fd)(worker_t *w);
	/* on_control - a command of this worker's own; writes the answer into
	 * out and returns 0 (done), 1 (unknown command or bad arguments) or 2
	 * (failed). NULL: only the skeleton's commands. */
	int (*on_control)(worker_t *w, const char *cmd, char *const *args, int nargs, sb_t *out);
	/* status - add worker-specific fields (",\"key\":value...") to the status JSON. */
	void (*status)(worker_t *w, sb_t *json);
	/* backup_note - add fields (",\"key\":value...") to the answer of
	 * "backup", as the copy just taken holds them (common/backup.h). */
	void (*backup_note)(worker_t *w, sb_t *json);
	void (*fini)(worker_t *w);
	/* on_reload - SIGHUP brought a configuration that loaded without a
	 * problem; the keys its description marks reloadable are already in
	 * w->config (worker_reloaded tells which changed). Act on them here
	 * (recompute, say); nc is freed after. NULL: nothing more to do. */
	void (*on_reload)(worker_t *w, config_t *nc);
	int tick_ms;
};

struct worker {
	const struct worker_ops *ops;
	config_t *config;
	const char *var_dir;
	int instance;              /* 0 when single */
	char name[64];             /* "validate-1", ... */
	store_t *store;
	void *ctx;
	void *in;                  /* ROUTER or NULL */
	void *ctl;                 /* control ROUTER */
	void *out;                 /* the first output's DEALER, or NULL */
	outbox_t *outbox;          /* the first output's outbox, or NULL */
	int nout;
	void *outs[WORKER_MAX_OUT];
	outbox_t *outboxes[WORKER_MAX_OUT];
	void *state;               /* the worker's own */
	uint64_t msgs_in, msgs_out, bad_msgs;
	uint64_t forbidden_msgs;   /* of bad_msgs: from a peer that may not send that type */
	uint64_t starts;           /* times a worker of this name started on this database */
	zap_t *zap;                /* the CURVE access check, when a socket binds tcp */
	bus_curve_t curve;         /* own key pair, when any socket is tcp */
	int have_curve;
	const char *cfg_path;
	volatile sig_atomic_t reload; /* SIGHUP: reread the configuration */
	const cd_sums_t *reload_applied; /* during on_reload: the keys taken */
	char restart_needed[512];  /* keys changed by a reload that wait for a restart ("a, b") */
	int log_level_fixed;       /* -l LEVEL given: log_level in the file does not apply */
	char last_error[512];
	int64_t last_error_at;     /* unix seconds */
	char run_state[16];        /* ready, busy, waiting, retrying, degraded */
	char why[512];
	char fault[256];           /* the skeleton's own trouble (storing messages): shown
	                            * as "retrying" over the worker's state while set */
	int64_t fault_since;
	int64_t since;             /* unix seconds the state began */
	int status_due;
	volatile sig_atomic_t stop;
	int lock_fd;
};

/* worker_main - run a worker; returns the process exit status. */
int worker_main(int argc, char **argv, const struct worker_ops *ops);

/* worker_path - VAR/rel into buf; returns buf. */
char *worker_path(const worker_t *w, char *buf, size_t size, const char *rel);

/* worker_error - log an error and remember it for `bhxhctl status`. */
void worker_error(worker_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* worker_set_state - what the worker is doing now and why (why may be NULL
 * for "ready"); the since-time moves only when the state itself changes. */
void worker_set_state(worker_t *w, const char *state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* worker_reloaded - during on_reload: 1 if a key whose path starts with
 * prefix ("findings.", "goal.") changed and is now in w->config. */
int worker_reloaded(const worker_t *w, const char *prefix);

/* worker_outbox - the outbox that sends to the named worker, or NULL. */
outbox_t *worker_outbox(worker_t *w, const char *dest);

/* worker_write_status - rewrite VAR/run/NAME.status now. */
void worker_write_status(worker_t *w);

/* worker_status_json - the status as one JSON object (what "status" answers). */
void worker_status_json(worker_t *w, sb_t *b);

#endif
