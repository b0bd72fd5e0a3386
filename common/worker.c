/* worker - the skeleton every worker's main() calls into (see worker.h).
 *
 * Trusts nothing that arrives on its input socket: a message that does not
 * decode is counted, logged and dropped, never acknowledged or applied. */
#include "worker.h"
#include "bus.h"
#include "fsutil.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define BURST 64           /* messages taken per transaction */
#define RESEND_MS 3000     /* an unacknowledged message is resent after this */

static worker_t *s_self;

/* s_on_signal - SIGTERM/SIGINT ask the loop to finish its burst and stop. */
static void
s_on_signal(int sig)
{
	(void)sig;
	if (s_self != NULL)
		s_self->stop = 1;
}

/* worker_path - VAR/rel. */
char *
worker_path(const worker_t *w, char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/%s", w->var_dir, rel);
	return buf;
}

/* worker_error - log and remember the last error for the status file. */
void
worker_error(worker_t *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->last_error, sizeof(w->last_error), fmt, ap);
	va_end(ap);
	log_error("%s", w->last_error);
}

/* worker_write_status - VAR/run/NAME.status as one JSON object. */
void
worker_write_status(worker_t *w, const char *state)
{
	char path[4096];
	sb_t b;

	sb_init(&b);
	sb_addf(&b, "{\"name\":\"%s\",\"pid\":%d,\"state\":\"%s\",\"time\":%lld,"
	    "\"msgs_in\":%llu,\"msgs_out\":%llu,\"bad_msgs\":%llu,\"outbox\":%lld,\"last_error\":",
	    w->name, (int)getpid(), state, (long long)time(NULL),
	    (unsigned long long)w->msgs_in,
	    (unsigned long long)(w->outbox ? outbox_sent(w->outbox) : 0),
	    (unsigned long long)w->bad_msgs,
	    w->outbox ? outbox_pending(w->outbox) : 0LL);
	sb_json_str(&b, w->last_error[0] ? w->last_error : NULL);
	sb_add(&b, "}\n");
	snprintf(path, sizeof(path), "%s/run/%s.status", w->var_dir, w->name);
	fs_replace(path, b.data, b.len);
	sb_free(&b);
}

/* s_usage - the options every worker takes. */
static void
s_usage(const char *prog)
{
	fprintf(stderr,
	    "usage: %s [--config FILE] [--var-dir DIR] [--instance N] [--log-level L] [--check-config]\n"
	    "  --config FILE   configuration (default config/bhxh.yaml)\n"
	    "  --var-dir DIR   state, spool, sockets and reports (default ./var or $BHXH_VAR_DIR)\n"
	    "  --instance N    instance number when several run (validate)\n"
	    "  --check-config  check the configuration, print every problem, exit\n", prog);
}

/* s_ack - acknowledge ids to one sender. */
static void
s_ack(worker_t *w, const unsigned char *rid, size_t ridlen, uint64_t *ids, uint32_t n)
{
	msg_t ack = { .version = MSG_VERSION, .type = MSG_T_ACK };

	ack.u.ack.nids = n;
	ack.u.ack.ids = ids;
	if (bus_send_msg(w->in, rid, ridlen, &ack) != 0)
		log_warn("could not send acknowledgement (%s); the sender will resend", zmq_strerror(errno));
}

typedef struct {
	unsigned char rid[256];
	size_t ridlen;
	uint64_t ids[BURST];
	uint32_t n;
} s_peer_acks_t;

/* s_take_burst - read up to BURST messages into one transaction, then ack. */
static int
s_take_burst(worker_t *w)
{
	static s_peer_acks_t peers[BURST]; /* one new sender per message at most */
	int npeers = 0, taken = 0;

	if (store_begin(w->store) != 0)
		return -1;
	while (taken < BURST) {
		unsigned char rid[256];
		size_t ridlen = 0, len = 0;
		char *buf = NULL, err[160];
		msg_t m;
		int p, rc = bus_recv_raw(w->in, 1, rid, &ridlen, &buf, &len);

		if (rc <= 0)
			break;
		taken++;
		if (msg_decode(buf, len, &m, err, sizeof(err)) != 0 || m.type == MSG_T_ACK) {
			w->bad_msgs++;
			log_warn("dropped a malformed message (%zu bytes): %s", len, err);
			free(buf);
			continue;
		}
		free(buf);
		w->msgs_in++;
		if (w->ops->on_message(w, &m) != 0) {
			msg_free(&m);
			store_rollback(w->store);
			return -1; /* nothing acknowledged: the senders resend */
		}
		for (p = 0; p < npeers; p++)
			if (peers[p].ridlen == ridlen && memcmp(peers[p].rid, rid, ridlen) == 0)
				break;
		if (p == npeers) {
			memcpy(peers[p].rid, rid, ridlen);
			peers[p].ridlen = ridlen;
			peers[p].n = 0;
			npeers++;
		}
		peers[p].ids[peers[p].n++] = m.id;
		msg_free(&m);
	}
	if (store_commit(w->store) != 0) {
		store_rollback(w->store);
		return -1;
	}
	for (int p = 0; p < npeers; p++)
		s_ack(w, peers[p].rid, peers[p].ridlen, peers[p].ids, peers[p].n);
	return taken;
}

/* s_take_acks - acknowledgements arriving on the output DEALER. */
static void
s_take_acks(worker_t *w)
{
	for (;;) {
		char *buf = NULL, err[160];
		size_t len = 0;
		msg_t m;
		int rc = bus_recv_raw(w->out, 0, NULL, NULL, &buf, &len);

		if (rc <= 0)
			return;
		if (msg_decode(buf, len, &m, err, sizeof(err)) == 0 && m.type != MSG_T_ACK)
			snprintf(err, sizeof(err), "a %s message where an acknowledgement was expected",
			    msg_type_name(m.type));
		else if (m.type == MSG_T_ACK && outbox_acked(w->outbox, &m.u.ack) != 0)
			worker_error(w, "could not record acknowledgements");
		if (m.type != MSG_T_ACK) {
			w->bad_msgs++;
			log_warn("dropped a malformed acknowledgement: %s", err);
		}
		msg_free(&m);
		free(buf);
	}
}

/* s_open_sockets - bind the input, connect the output (all instances of it). */
static int
s_open_sockets(worker_t *w)
{
	char ep[300];

	w->ctx = zmq_ctx_new();
	if (w->ops->input != NULL) {
		if (bus_endpoint(ep, sizeof(ep), w->var_dir, w->name) != 0)
			return -1;
		if ((w->in = bus_router_bind(w->ctx, ep)) == NULL)
			return -1;
	}
	if (w->ops->output != NULL) {
		int n = strcmp(w->ops->output, "validate") == 0 ? w->config->validate.instances : 1;
		char eps[64][300];
		const char *ptrs[64];

		for (int i = 0; i < n; i++) {
			char nm[64];

			if (n > 1)
				snprintf(nm, sizeof(nm), "%s-%d", w->ops->output, i + 1);
			else
				snprintf(nm, sizeof(nm), "%s", w->ops->output);
			if (bus_endpoint(eps[i], sizeof(eps[i]), w->var_dir, nm) != 0)
				return -1;
			ptrs[i] = eps[i];
		}
		if ((w->out = bus_dealer_connect(w->ctx, ptrs, n)) == NULL)
			return -1;
		w->outbox = outbox_new(w->store, w->out, 64, RESEND_MS);
		if (w->outbox == NULL)
			return -1;
	}
	return 0;
}

/* s_loop - poll, take bursts, take acks, tick, pump; until a signal. */
static void
s_loop(worker_t *w)
{
	int64_t last_status = 0;
	uint64_t last_in = 0, last_out = 0;
	long long last_pending = 0;
	int again = 1;

	while (!w->stop) {
		zmq_pollitem_t items[3];
		int n = 0, in_i = -1, out_i = -1, fd_i = -1, fd = w->ops->poll_fd ? w->ops->poll_fd(w) : -1;
		int64_t now;

		if (w->in != NULL) {
			items[n] = (zmq_pollitem_t){ w->in, 0, ZMQ_POLLIN, 0 };
			in_i = n++;
		}
		if (w->out != NULL) {
			items[n] = (zmq_pollitem_t){ w->out, 0, ZMQ_POLLIN, 0 };
			out_i = n++;
		}
		if (fd >= 0) {
			items[n] = (zmq_pollitem_t){ NULL, fd, ZMQ_POLLIN, 0 };
			fd_i = n++;
		}
		if (zmq_poll(items, n, again ? 0 : w->ops->tick_ms) < 0 && errno != EINTR)
			break;
		if (out_i >= 0 && (items[out_i].revents & ZMQ_POLLIN))
			s_take_acks(w);
		if (in_i >= 0 && (items[in_i].revents & ZMQ_POLLIN))
			while (!w->stop && s_take_burst(w) == BURST)
				;
		if (fd_i >= 0 && (items[fd_i].revents & ZMQ_POLLIN) && w->ops->on_fd)
			w->ops->on_fd(w);
		again = w->ops->on_tick ? w->ops->on_tick(w) : 0;
		now = now_ms();
		if (w->outbox != NULL && outbox_pump(w->outbox, now) < 0)
			worker_error(w, "outbox: store error");
		/* every second, and within 100 ms of a change in the counters */
		if (now - last_status >= 1000 || (now - last_status >= 100 && (w->msgs_in != last_in ||
		    (w->outbox != NULL && (outbox_sent(w->outbox) != last_out ||
		    outbox_pending(w->outbox) != last_pending))))) {
			worker_write_status(w, "ready");
			last_status = now;
			last_in = w->msgs_in;
			last_out = w->outbox != NULL ? outbox_sent(w->outbox) : 0;
			last_pending = w->outbox != NULL ? outbox_pending(w->outbox) : 0;
		}
	}
}

/* worker_main - parse options, load config, open store and sockets, loop. */
int
worker_main(int argc, char **argv, const struct worker_ops *ops)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "var-dir", required_argument, NULL, 'v' },
		{ "instance", required_argument, NULL, 'i' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cfg_path = "config/bhxh.yaml", *var_dir = getenv("BHXH_VAR_DIR"), *lvl = NULL;
	worker_t w = { .ops = ops };
	yt_diag_t diag = { 0 };
	int check = 0, opt, rc = 1;
	char path[4096];

	while ((opt = getopt_long(argc, argv, "c:v:i:l:kh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': cfg_path = optarg; break;
		case 'v': var_dir = optarg; break;
		case 'i': w.instance = atoi(optarg); break;
		case 'l': lvl = optarg; break;
		case 'k': check = 1; break;
		default: s_usage(argv[0]); return opt == 'h' ? 0 : 2;
		}
	}
	w.var_dir = var_dir != NULL ? var_dir : "./var";
	if (w.instance > 0)
		snprintf(w.name, sizeof(w.name), "%s-%d", ops->name, w.instance);
	else
		snprintf(w.name, sizeof(w.name), "%s", ops->name);
	log_init(w.name, LOG_INFO);
	w.config = config_load(cfg_path, &diag);
	if (w.config == NULL) {
		yt_diag_print(&diag, stderr);
		yt_diag_free(&diag);
		return 2;
	}
	yt_diag_free(&diag);
	if (check) {
		printf("%s: configuration OK\n", cfg_path);
		config_free(&w.config);
		return 0;
	}
	log_init(w.name, log_level_parse(lvl ? lvl : w.config->log_level) < 0 ? LOG_INFO
	    : log_level_parse(lvl ? lvl : w.config->log_level));
	s_self = &w;
	signal(SIGTERM, s_on_signal);
	signal(SIGINT, s_on_signal);
	signal(SIGPIPE, SIG_IGN);
	worker_path(&w, path, sizeof(path), "run");
	fs_mkdirs(path);
	worker_path(&w, path, sizeof(path), "db");
	fs_mkdirs(path);
	snprintf(path, sizeof(path), "%s/db/%s.db", w.var_dir, w.name);
	w.store = store_open(path, ops->migrations, ops->nmigrations);
	if (w.store == NULL)
		goto out;
	if (s_open_sockets(&w) != 0)
		goto out;
	if (ops->init != NULL && ops->init(&w) != 0)
		goto out;
	worker_write_status(&w, "ready");
	log_info("ready (var dir %s)", w.var_dir);
	s_loop(&w);
	worker_write_status(&w, "stopped");
	log_info("stopped");
	rc = 0;
out:
	if (ops->fini != NULL)
		ops->fini(&w);
	outbox_destroy(&w.outbox);
	if (w.in != NULL)
		zmq_close(w.in);
	if (w.out != NULL)
		zmq_close(w.out);
	if (w.ctx != NULL)
		zmq_ctx_term(w.ctx);
	store_close(&w.store);
	config_free(&w.config);
	return rc;
}
