/* worker - the skeleton every worker's main() calls into.
 *
 * It owns argument parsing (--config, --var-dir, --instance, --check-config,
 * --log-level), configuration, logging, signals, the ZeroMQ context and
 * sockets, the SQLite store, the status file and the poll loop. A worker
 * supplies a struct worker_ops with its callbacks.
 *
 * Receiving: every message read from the input ROUTER is handed to
 * on_message inside one store transaction per drained burst; the ids are
 * acknowledged to their senders only after that transaction commits.
 * Sending: on_message and on_tick put outgoing messages into the outbox
 * (outbox_put) inside their transaction; the skeleton pumps the outbox. */
#ifndef BHXH_WORKER_H
#define BHXH_WORKER_H

#include <stdint.h>

#include "config.h"
#include "msg.h"
#include "outbox.h"
#include "store.h"

typedef struct worker worker_t;

struct worker_ops {
	const char *name;          /* "ingest", ... */
	const char *const *migrations;
	int nmigrations;
	const char *input;         /* name of the endpoint this worker binds, or NULL */
	const char *output;        /* name of the worker it sends to, or NULL */
	int (*init)(worker_t *w);  /* after store and sockets; 0 or -1 */
	/* on_message - called inside a transaction; 0 to acknowledge, -1 to
	 * roll the burst back (nothing acknowledged: the sender resends). */
	int (*on_message)(worker_t *w, const msg_t *m);
	/* on_tick - called at least every tick_ms and after every burst; may do
	 * a bounded amount of work and open its own transactions. Returns 1 if it
	 * wants to be called again at once, else 0. */
	int (*on_tick)(worker_t *w);
	int (*poll_fd)(worker_t *w);      /* an extra fd to wake on (e.g. inotify), or -1 */
	void (*on_fd)(worker_t *w);
	void (*fini)(worker_t *w);
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
	void *out;                 /* DEALER or NULL */
	outbox_t *outbox;          /* NULL without output */
	void *state;               /* the worker's own */
	uint64_t msgs_in, msgs_out, bad_msgs;
	char last_error[256];
	volatile int stop;
};

/* worker_main - run a worker; returns the process exit status. */
int worker_main(int argc, char **argv, const struct worker_ops *ops);

/* worker_path - VAR/rel into buf; returns buf. */
char *worker_path(const worker_t *w, char *buf, size_t size, const char *rel);

/* worker_error - log an error and remember it for `bhxhctl status`. */
void worker_error(worker_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* worker_write_status - rewrite VAR/run/NAME.status now. */
void worker_write_status(worker_t *w, const char *state);

#endif
