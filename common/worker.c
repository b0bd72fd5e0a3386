/* worker - the skeleton every worker's main() calls into (see worker.h).
 *
 * Trusts nothing that arrives on its sockets: a message that does not decode,
 * or whose type does not belong on that socket, is counted, logged and
 * dropped (and freed), never applied. Over ipc the trust boundary is the
 * pipeline's user: VAR/run and VAR/db are 0700 and every file is created
 * under umask 027; over tcp (endpoints: in the configuration) every socket
 * uses CURVE, the ZAP handler lets in only the peers that may send to that
 * socket, and each message is checked against the name of its sender's key
 * (common/peers.h). */
#include "worker.h"
#include "backup.h"
#include "bus.h"
#include "fsutil.h"
#include "log.h"
#include "notify.h"
#include "peers.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define BURST 64           /* messages taken per transaction */
#define RESEND_MS 3000     /* an unacknowledged message is resent after this */
#define IN_RETRY_MS 500    /* a burst that could not be stored: its messages are taken again after this */

static worker_t *s_self;

/* s_on_signal - SIGTERM/SIGINT ask the loop to finish its burst and stop;
 * SIGHUP asks it to reread endpoints and keys. */
static void
s_on_signal(int sig)
{
	if (s_self == NULL)
		return;
	if (sig == SIGHUP)
		s_self->reload = 1;
	else
		s_self->stop = 1;
}

/* worker_path - VAR/rel. */
char *
worker_path(const worker_t *w, char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/%s", w->var_dir, rel);
	return buf;
}

/* worker_error - log and remember the last error for the status. The same
 * error again within 10 s is remembered but not logged again, so a fault
 * that lasts (a full disk) does not flood the log. */
void
worker_error(worker_t *w, const char *fmt, ...)
{
	char msg[sizeof(w->last_error)];
	int64_t now = (int64_t)time(NULL);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(msg, w->last_error) != 0 || now - w->last_error_at >= 10) {
		log_error("%s", msg);
		w->last_error_at = now;
	}
	memcpy(w->last_error, msg, sizeof(msg));
	w->status_due = 1;
}

/* worker_set_state - the state, why, and since when. */
void
worker_set_state(worker_t *w, const char *state, const char *fmt, ...)
{
	char why[sizeof(w->why)] = "";
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
	}
	if (strcmp(w->run_state, state) != 0) {
		int quiet = (strcmp(state, "ready") == 0 || strcmp(state, "busy") == 0) &&
		    (strcmp(w->run_state, "ready") == 0 || strcmp(w->run_state, "busy") == 0);

		if (!quiet)
			log_info("state %s%s%s (was %s)", state, why[0] ? ": " : "", why, w->run_state);
		snprintf(w->run_state, sizeof(w->run_state), "%s", state);
		w->since = (int64_t)time(NULL);
		w->status_due = 1;
	}
	if (strcmp(w->why, why) != 0) {
		snprintf(w->why, sizeof(w->why), "%s", why);
		w->status_due = 1;
	}
}

/* s_fault - the skeleton's own trouble, shown over the worker's state until
 * s_fault(w, NULL) after the next success. */
static void
s_fault(worker_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_fault(worker_t *w, const char *fmt, ...)
{
	char why[sizeof(w->fault)] = "";
	va_list ap;

	if (fmt == NULL) {
		if (w->fault[0] != '\0') {
			log_info("%s: resolved", w->fault);
			w->fault[0] = '\0';
			w->status_due = 1;
		}
		return;
	}
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (w->fault[0] == '\0')
		w->fault_since = (int64_t)time(NULL);
	if (strcmp(why, w->fault) != 0) {
		memcpy(w->fault, why, sizeof(why));
		w->status_due = 1;
	}
}

/* worker_outbox - the outbox of the named output. */
outbox_t *
worker_outbox(worker_t *w, const char *dest)
{
	for (int i = 0; i < w->nout; i++)
		if (strcmp(w->ops->outputs[i], dest) == 0)
			return w->outboxes[i];
	return NULL;
}

/* worker_status_json - one JSON object: identity, state, counters, errors. */
void
worker_status_json(worker_t *w, sb_t *b)
{
	long long pending = 0;
	uint64_t sent = 0;

	for (int i = 0; i < w->nout; i++) {
		pending += outbox_pending(w->outboxes[i]);
		sent += outbox_sent(w->outboxes[i]);
	}
	sb_add(b, "{\"name\":");
	sb_json_str(b, w->name);
	sb_addf(b, ",\"pid\":%d,\"state\":", (int)getpid());
	sb_json_str(b, w->fault[0] ? "retrying" : w->run_state);
	sb_addf(b, ",\"since\":%lld,\"why\":", (long long)(w->fault[0] ? w->fault_since : w->since));
	sb_json_str(b, w->fault[0] ? w->fault : w->why[0] ? w->why : NULL);
	sb_addf(b, ",\"time\":%lld,\"msgs_in\":%llu,\"msgs_out\":%llu,\"bad_msgs\":%llu,\"forbidden_msgs\":%llu,"
	    "\"refused_connections\":%llu,\"outbox\":%lld,\"last_error_at\":%lld,\"last_error\":", (long long)time(NULL),
	    (unsigned long long)w->msgs_in, (unsigned long long)sent, (unsigned long long)w->bad_msgs,
	    (unsigned long long)w->forbidden_msgs, (unsigned long long)zap_refused(w->zap), pending,
	    (long long)w->last_error_at);
	sb_json_str(b, w->last_error[0] ? w->last_error : NULL);
	sb_addf(b, ",\"starts\":%llu,\"restart_needed\":", (unsigned long long)w->starts);
	sb_json_str(b, w->restart_needed[0] ? w->restart_needed : NULL);
	if (w->ops->status != NULL && w->state != NULL)
		w->ops->status(w, b);
	sb_add(b, "}");
}

/* s_notify_status - STATUS=state: why to systemd (notify.h) when either changed. */
static void
s_notify_status(worker_t *w)
{
	static char sent[sizeof(w->why) + 32];
	char now[sizeof(sent)];
	const char *why = w->fault[0] ? w->fault : w->why;

	snprintf(now, sizeof(now), "%s%s%s", w->fault[0] ? "retrying" : w->run_state, why[0] ? ": " : "", why);
	if (strcmp(now, sent) != 0 && notify_status("%s", now) == 0)
		memcpy(sent, now, sizeof(sent));
}

/* worker_write_status - VAR/run/NAME.status, for when the worker cannot answer. */
void
worker_write_status(worker_t *w)
{
	char path[4096];
	sb_t b;

	sb_init(&b);
	worker_status_json(w, &b);
	sb_add(&b, "\n");
	snprintf(path, sizeof(path), "%s/run/%s.status", w->var_dir, w->name);
	fs_replace(path, b.data, b.len);
	sb_free(&b);
	w->status_due = 0;
	s_notify_status(w);
}

/* s_bad - count a message dropped as malformed or misplaced; log the first
 * ten a minute and then how many more, so a flood cannot flood the log. */
static void
s_bad(worker_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_bad(worker_t *w, const char *fmt, ...)
{
	static int64_t window;
	static unsigned logged, quiet;
	int64_t now = now_ms();
	char msg[300];
	va_list ap;

	w->bad_msgs++;
	w->status_due = 1;
	if (now - window >= 60000) {
		if (quiet > 0)
			log_warn("%u more bad messages dropped without a log line in the last minute", quiet);
		window = now;
		logged = quiet = 0;
	}
	if (logged >= 10) {
		quiet++;
		return;
	}
	logged++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("%s", msg);
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

/* s_take_burst - read up to BURST messages into one transaction, then ack.
 * Returns the number taken, or -1 if the transaction failed (nothing was
 * acknowledged: the senders resend). */
static int
s_take_burst(worker_t *w)
{
	static s_peer_acks_t peers[BURST]; /* one new sender per message at most */
	int npeers = 0, taken = 0;

	if (store_begin(w->store) != 0)
		goto fail;
	while (taken < BURST) {
		unsigned char rid[256];
		size_t ridlen = 0, len = 0;
		char *buf = NULL, err[160], peer[64];
		msg_t m;
		int p, rc = bus_recv_peer(w->in, 1, rid, &ridlen, &buf, &len, peer, sizeof(peer));

		if (rc <= 0)
			break;
		taken++;
		if (msg_decode(buf, len, &m, err, sizeof(err)) != 0) {
			s_bad(w, "dropped a malformed message (%zu bytes): %s", len, err);
			free(buf);
			continue;
		}
		free(buf);
		if (!peers_may_send(w->name, peer[0] ? peer : NULL, m.type)) {
			const char *want = peers_allowed_sender(w->name, m.type);

			w->forbidden_msgs++;
			if (want == NULL)
				s_bad(w, "dropped a %s message from %s: %s takes no %s messages", msg_type_name(m.type),
				    peer[0] ? peer : "the local socket", w->name, msg_type_name(m.type));
			else
				s_bad(w, "dropped a %s message from %s: only %s may send %s messages to %s",
				    msg_type_name(m.type), peer, want, msg_type_name(m.type), w->name);
			msg_free(&m);
			continue;
		}
		w->msgs_in++;
		if (w->ops->on_message(w, &m) != 0) {
			msg_free(&m);
			goto fail;
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
	if (store_commit(w->store) != 0)
		goto fail;
	for (int p = 0; p < npeers; p++)
		s_ack(w, peers[p].rid, peers[p].ridlen, peers[p].ids, peers[p].n);
	if (taken > 0)
		s_fault(w, NULL);
	return taken;
fail:
	store_rollback(w->store);
	worker_error(w, "cannot store incoming messages (%s); not acknowledged, the senders resend",
	    store_last_msg(w->store));
	s_fault(w, "cannot store incoming messages: %s", store_last_msg(w->store));
	return -1;
}

/* s_take_acks - acknowledgements arriving on output i's DEALER. */
static void
s_take_acks(worker_t *w, int i)
{
	for (;;) {
		char *buf = NULL, err[160];
		size_t len = 0;
		msg_t m;
		int rc = bus_recv_raw(w->outs[i], 0, NULL, NULL, &buf, &len);

		if (rc <= 0)
			return;
		if (msg_decode(buf, len, &m, err, sizeof(err)) == 0 && m.type != MSG_T_ACK)
			snprintf(err, sizeof(err), "a %s message where an acknowledgement was expected",
			    msg_type_name(m.type));
		else if (m.type == MSG_T_ACK && outbox_acked(w->outboxes[i], &m.u.ack) != 0)
			worker_error(w, "could not record acknowledgements");
		if (m.type != MSG_T_ACK)
			s_bad(w, "dropped a malformed acknowledgement: %s", err);
		msg_free(&m);
		free(buf);
	}
}

/* s_control - answer the requests waiting on the control socket. */
static void
s_control(worker_t *w)
{
	for (int k = 0; k < 16; k++) {
		unsigned char rid[256];
		size_t ridlen = 0, len = 0;
		char *buf = NULL, err[160];
		msg_t m, rep = { .version = MSG_VERSION, .type = MSG_T_CTL_REP };
		sb_t out;
		int rc = bus_recv_raw(w->ctl, 1, rid, &ridlen, &buf, &len);

		if (rc <= 0)
			return;
		if (msg_decode(buf, len, &m, err, sizeof(err)) != 0 || m.type != MSG_T_CTL_REQ) {
			s_bad(w, "dropped a bad control message: %s", m.type != MSG_T_CTL_REQ && err[0] == '\0'
			    ? "not a request" : err);
			msg_free(&m);
			free(buf);
			continue;
		}
		free(buf);
		sb_init(&out);
		sb_add(&out, "");
		if (strcmp(m.u.req.cmd, "status") == 0) {
			worker_status_json(w, &out);
			rep.u.rep.code = 0;
		} else if (strcmp(m.u.req.cmd, "backup") == 0) {
			int code = backup_start(w, rid, ridlen, m.id, m.u.req.args, (int)m.u.req.nargs, &out);

			if (code < 0) { /* answered when the copy is done */
				sb_free(&out);
				msg_free(&m);
				continue;
			}
			rep.u.rep.code = code;
		} else if (w->ops->on_control != NULL) {
			rep.u.rep.code = w->ops->on_control(w, m.u.req.cmd, m.u.req.args, (int)m.u.req.nargs, &out);
		} else {
			sb_addf(&out, "unknown command for %s", w->name);
			rep.u.rep.code = 1;
		}
		rep.u.rep.body = out.data;
		rep.id = m.id;
		if (bus_send_msg(w->ctl, rid, ridlen, &rep) != 0)
			log_warn("could not answer a control request: %s", zmq_strerror(errno));
		sb_free(&out);
		msg_free(&m);
	}
}

/* s_take_lock - VAR/run/NAME.lock, held (fcntl) for the process's life, so
 * that two workers of one name never share a var dir; the holder's pid is
 * what F_GETLK tells `bhxhctl down`. */
static int
s_take_lock(worker_t *w)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[4200], pid[32];
	int fd;

	snprintf(path, sizeof(path), "%s/run/%s.lock", w->var_dir, w->name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fcntl(fd, F_SETLK, &fl) != 0) {
		struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

		fcntl(fd, F_GETLK, &q);
		log_error("another %s (pid %d) already runs for var dir %s; stopping", w->name,
		    q.l_type != F_UNLCK ? (int)q.l_pid : 0, w->var_dir);
		close(fd);
		return -1;
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, strlen(pid), 0) < 0)
		log_warn("cannot write %s: %s", path, strerror(errno));
	w->lock_fd = fd;
	return 0;
}

/* s_out_name - the name of output o's instance i (0-based) into buf; the
 * number of instances is returned in *n. */
static void
s_out_name(const worker_t *w, int o, int i, char *buf, size_t size, int *n)
{
	const char *dest = w->ops->outputs[o];

	*n = strcmp(dest, "validate") == 0 ? w->config->validate.instances : 1;
	if (*n > 64)
		*n = 64;
	if (*n > 1)
		snprintf(buf, size, "%s-%d", dest, i + 1);
	else
		snprintf(buf, size, "%s", dest);
}

/* s_needs_curve - some socket of this worker is tcp under e. */
static int
s_needs_curve(const worker_t *w, const cfg_endpoints_t *e)
{
	if (cfg_endpoint_is_tcp(e, w->name, EP_CONTROL) || (w->ops->input != NULL &&
	    cfg_endpoint_is_tcp(e, w->name, EP_BIND)))
		return 1;
	for (int o = 0; o < WORKER_MAX_OUT && w->ops->outputs[o] != NULL; o++) {
		int n = 1;

		for (int i = 0; i < n; i++) {
			char nm[64];

			s_out_name(w, o, i, nm, sizeof(nm), &n);
			if (cfg_endpoint_is_tcp(e, nm, EP_CONNECT))
				return 1;
		}
	}
	return 0;
}

/* s_load_key - this worker's key pair from KEYS/NAME.key, which must be
 * listed under its name in endpoints.curve.public; 0 or -1 (logged). */
static int
s_load_key(const worker_t *w, const cfg_endpoints_t *e, bus_curve_t *cv)
{
	const cfg_peer_keys_t *mine = cfg_peer_keys(e, w->name);
	char path[4200], why[600], z[41];

	if (e->keys_dir != NULL)
		snprintf(path, sizeof(path), "%s/%s.key", e->keys_dir, w->name);
	else
		snprintf(path, sizeof(path), "%s/keys/%s.key", w->var_dir, w->name);
	if (curve_key_read(path, cv->pub, cv->sec, why, sizeof(why)) != 0) {
		log_error("CURVE key: %s", why);
		return -1;
	}
	for (int k = 0; mine != NULL && k < mine->nkeys; k++)
		if (memcmp(mine->keys[k], cv->pub, 32) == 0)
			return 0;
	zmq_z85_encode(z, cv->pub, 32);
	log_error("CURVE key: the public key of %s (%s) is not listed under endpoints.curve.public.%s", path, z,
	    w->name);
	return -1;
}

/* s_allow - the ZAP allow-lists from e: on the data socket the peers that
 * may send to this worker, on the control socket the operators. */
static void
s_allow(worker_t *w, const cfg_endpoints_t *e)
{
	int total = 0, nd = 0, nc = 0;
	zap_entry_t *data, *ctl, *all;

	for (int i = 0; i < e->npeers; i++)
		total += e->peers[i].nkeys;
	data = xcalloc((size_t)total + 1, sizeof(*data));
	ctl = xcalloc((size_t)total + 1, sizeof(*ctl));
	all = xcalloc((size_t)total + 1, sizeof(*all));
	total = 0;
	for (int i = 0; i < e->npeers; i++)
		for (int k = 0; k < e->peers[i].nkeys; k++) {
			zap_entry_t en = { e->peers[i].name, e->peers[i].keys[k] };

			all[total++] = en;
			if (peers_may_connect(w->name, 0, en.name))
				data[nd++] = en;
			if (peers_may_connect(w->name, 1, en.name))
				ctl[nc++] = en;
		}
	zap_set(w->zap, "data", data, nd);
	zap_set(w->zap, "control", ctl, nc);
	zap_set_known(w->zap, all, total);
	free(data);
	free(ctl);
	free(all);
}

/* s_close_sockets - close the data, control and output sockets (the
 * outboxes stay: what they hold is resent on the new sockets). */
static void
s_close_sockets(worker_t *w)
{
	for (int o = 0; o < w->nout; o++)
		if (w->outs[o] != NULL) {
			zmq_close(w->outs[o]);
			w->outs[o] = NULL;
		}
	if (w->in != NULL)
		zmq_close(w->in);
	if (w->ctl != NULL)
		zmq_close(w->ctl);
	w->in = w->ctl = NULL;
}

/* s_open_sockets - bind the input and control sockets, connect the outputs
 * (CURVE on tcp, with the ZAP handler started before the first bind). */
static int
s_open_sockets(worker_t *w)
{
	const cfg_endpoints_t *e = w->config->endpoints;
	const bus_curve_t *cv = NULL;
	char ep[300];

	if (w->ctx == NULL && (w->ctx = zmq_ctx_new()) == NULL)
		return -1;
	w->have_curve = 0;
	if (e != NULL && s_needs_curve(w, e)) {
		if (s_load_key(w, e, &w->curve) != 0)
			return -1;
		w->have_curve = 1;
		cv = &w->curve;
		if (w->zap == NULL && (w->zap = zap_start(w->ctx)) == NULL)
			return -1;
		s_allow(w, e);
	}
	if (bus_worker_endpoint(ep, sizeof(ep), e, w->var_dir, w->name, EP_CONTROL) != 0 ||
	    (w->ctl = bus_router_bind_curve(w->ctx, ep, cv, "control")) == NULL)
		return -1;
	if (w->ops->input != NULL) {
		if (bus_worker_endpoint(ep, sizeof(ep), e, w->var_dir, w->name, EP_BIND) != 0)
			return -1;
		if ((w->in = bus_router_bind_curve(w->ctx, ep, cv, "data")) == NULL)
			return -1;
	}
	for (int o = 0; o < WORKER_MAX_OUT && w->ops->outputs[o] != NULL; o++) {
		const char *dest = w->ops->outputs[o];
		char eps[64][300], table[80];
		const char *ptrs[64];
		const unsigned char *keys[64];
		int n = 1;

		for (int i = 0; i < n; i++) {
			char nm[64];
			const cfg_peer_keys_t *pk;

			s_out_name(w, o, i, nm, sizeof(nm), &n);
			if (bus_worker_endpoint(eps[i], sizeof(eps[i]), e, w->var_dir, nm, EP_CONNECT) != 0)
				return -1;
			ptrs[i] = eps[i];
			pk = cfg_peer_keys(e, nm);
			keys[i] = pk != NULL ? pk->keys[0] : NULL;
		}
		if ((w->outs[o] = bus_dealer_connect_curve(w->ctx, ptrs, n, cv, keys)) == NULL)
			return -1;
		if (w->outboxes[o] != NULL) { /* reopened for a reload */
			outbox_set_socket(w->outboxes[o], w->outs[o]);
			continue;
		}
		if (o == 0)
			snprintf(table, sizeof(table), "outbox");
		else
			snprintf(table, sizeof(table), "outbox_%s", dest);
		w->outboxes[o] = outbox_new(w->store, w->outs[o], 64, RESEND_MS, table);
		if (w->outboxes[o] == NULL)
			return -1;
		w->nout = o + 1;
	}
	w->out = w->nout > 0 ? w->outs[0] : NULL;
	w->outbox = w->nout > 0 ? w->outboxes[0] : NULL;
	return 0;
}

/* The keys a reload found changed: applied now, or waiting for a restart. */
typedef struct {
	worker_t *w;
	config_t *nc;
	cd_sums_t applied;   /* copies of the new fingerprints of the keys applied */
	sb_t restart;        /* "key, key" that need a restart */
	char layout[96];     /* a changed key the sockets are laid out by (CD_LAYOUT), or "" */
} s_reload_t;

/* s_reload_base - the structure a fingerprint's key was read into. */
static void *
s_reload_base(config_t *c, int base)
{
	return base == CD_BASE_FINDINGS ? (void *)c->findings : base == CD_BASE_ALERT ? (void *)c->alert : (void *)c;
}

/* s_concerns - 1 if the worker called name ("validate-2" is a validator) is
 * among readby, the readers the description gives a key (CD_BY_*); a worker
 * of another name reads only what every worker reads. A key only the
 * supervisor reads concerns no worker: it is read when the pipeline starts
 * (bhxhctl down, then up). */
static int
s_concerns(const char *name, int readby)
{
	static const struct { const char *name; int by; } workers[] = {
		{ "ingest", CD_BY_INGEST }, { "validate", CD_BY_VALIDATE }, { "aggregate", CD_BY_AGGREGATE },
		{ "alert", CD_BY_ALERT },
	};
	int me = CD_BY_WORKERS;

	for (size_t i = 0; i < sizeof(workers) / sizeof(workers[0]); i++)
		if (strncmp(name, workers[i].name, strlen(workers[i].name)) == 0)
			me = workers[i].by;
	return (readby & me) == me;
}

/* s_reload_change - one key whose value differs: a key the description marks
 * reloadable is taken into the running configuration (by cd_swap, or by the
 * worker's own code for CD_OWN keys); any other is logged and kept. */
static void
s_reload_change(const cd_sum_t *was, const cd_sum_t *now, void *arg)
{
	s_reload_t *r = arg;
	cd_sum_t *e;

	if ((now->k->flags & CD_LAYOUT) && r->layout[0] == '\0')
		snprintf(r->layout, sizeof(r->layout), "%s", now->path);
	if (!(now->k->flags & CD_RELOAD)) {
		if (!s_concerns(r->w->name, now->readby))
			return;
		log_warn("reload: %s changed; the running value is kept until the worker restarts", now->path);
		sb_addf(&r->restart, "%s%s", r->restart.len > 0 ? ", " : "", now->path);
		return;
	}
	if (!(now->k->flags & CD_OWN) && cd_swap(now->k, s_reload_base(r->w->config, now->base),
	    s_reload_base(r->nc, now->base)) != 0) {
		log_warn("reload: %s changed and cannot be taken while running; restart the worker", now->path);
		sb_addf(&r->restart, "%s%s", r->restart.len > 0 ? ", " : "", now->path);
		return;
	}
	if (r->applied.n == r->applied.cap) {
		size_t cap = r->applied.cap ? r->applied.cap * 2 : 16;

		if ((e = xrealloc(r->applied.v, cap * sizeof(*e))) == NULL)
			return;
		r->applied.v = e;
		r->applied.cap = cap;
	}
	r->applied.v[r->applied.n++] = *now;
	log_info("reload: %s changed; in effect now", now->path);
	(void)was;
}

/* worker_reloaded - a key under prefix ("findings.", "goal.") changed and was
 * taken by the reload in progress (for on_reload). */
int
worker_reloaded(const worker_t *w, const char *prefix)
{
	size_t n = strlen(prefix);

	for (size_t i = 0; w->reload_applied != NULL && i < w->reload_applied->n; i++)
		if (strncmp(w->reload_applied->v[i].path, prefix, n) == 0)
			return 1;
	return 0;
}

/* s_reload_fingerprints - the running configuration's fingerprints now hold
 * the new value of every key taken (so the next reload compares with what runs). */
static void
s_reload_fingerprints(config_t *c, const cd_sums_t *applied)
{
	for (size_t i = 0; i < applied->n; i++)
		for (size_t j = 0; j < c->sums.n; j++)
			if (c->sums.v[j].base == applied->v[i].base && strcmp(c->sums.v[j].path, applied->v[i].path) == 0)
				c->sums.v[j].h = applied->v[i].h;
}

/* s_reload - SIGHUP: reread the configuration. A configuration with
 * problems is refused (each logged) and the running one kept. Otherwise
 * each key that changed is taken or kept as its description says
 * (docs/CONFIGURATION.md, "on reload"); new endpoints or keys reopen the
 * sockets, and if they cannot be opened the worker goes back to the old ones. */
static void
s_reload(worker_t *w)
{
	yt_diag_t diag = { 0 };
	config_t *nc = config_load(w->cfg_path, &diag);
	s_reload_t r = { 0 };
	cfg_endpoints_t *old;
	bus_curve_t key;
	int n;

	w->reload = 0;
	log_reopen(NULL); /* a rotated log file (logrotate, then SIGHUP) */
	if (nc == NULL) {
		for (size_t i = 0; i < diag.n; i++)
			log_error("reload refused: %s", diag.msgs[i]);
		worker_error(w, "reload of %s refused (%zu problems, see the log); the running configuration is kept",
		    w->cfg_path, diag.n);
		yt_diag_free(&diag);
		return;
	}
	yt_diag_free(&diag);
	r.w = w;
	r.nc = nc;
	n = cd_changes(&w->config->sums, &nc->sums, s_reload_change, &r);
	s_reload_fingerprints(w->config, &r.applied);
	w->reload_applied = &r.applied;
	if (worker_reloaded(w, "log_level") && !w->log_level_fixed)
		log_set_level(log_level_parse(w->config->log_level));
	if (w->ops->on_reload != NULL)
		w->ops->on_reload(w, nc);
	w->reload_applied = NULL;
	snprintf(w->restart_needed, sizeof(w->restart_needed), "%s", r.restart.len > 0 ? r.restart.data : "");
	log_info("reloaded %s: %d key%s changed, %zu in effect now", w->cfg_path, n, n == 1 ? "" : "s", r.applied.n);
	cd_sums_free(&r.applied);
	sb_free(&r.restart);
	old = w->config->endpoints;
	if (r.layout[0] != '\0') {
		/* the supervisor starts the workers by it (validate.instances): until
		 * the pipeline restarts, the sockets stay as they are, laid out for
		 * what runs */
		log_warn("reload: %s changed; the endpoints stay as they are until the pipeline"
		    " restarts (bhxhctl down, then up)", r.layout);
		config_free(&nc);
		return;
	}
	if (cfg_endpoints_same(old, nc->endpoints) && !(w->have_curve && s_load_key(w, nc->endpoints, &key) == 0 &&
	    memcmp(key.pub, w->curve.pub, 32) != 0)) {
		log_info("reloaded %s: endpoints and keys unchanged", w->cfg_path);
		config_free(&nc);
		return;
	}
	w->config->endpoints = nc->endpoints;
	nc->endpoints = old;
	s_close_sockets(w);
	if (s_open_sockets(w) != 0) {
		worker_error(w, "reload of %s: the new endpoints or keys cannot be used (see the log); back to the old",
		    w->cfg_path);
		s_close_sockets(w);
		nc->endpoints = w->config->endpoints;
		w->config->endpoints = old;
		if (s_open_sockets(w) != 0) {
			log_error("cannot reopen the old sockets either; stopping so that the supervisor restarts");
			w->stop = 1;
		}
	} else {
		log_info("reloaded %s: new endpoints and keys in use", w->cfg_path);
		if (w->zap != NULL && !w->have_curve)
			zap_set(w->zap, "data", NULL, 0);
	}
	config_free(&nc);
}

/* s_loop - poll, take bursts, take acks, answer control, tick, pump; until a signal. */
static void
s_loop(worker_t *w)
{
	int64_t last_status = 0, in_pause_until = 0;
	uint64_t last_in = 0, last_out = 0;
	long long last_pending = 0;
	int again = 1, tick = w->ops->tick_ms;

	/* systemd's watchdog (notify.h): WATCHDOG=1 from this loop only, so a hung loop is caught */
	if (notify_watchdog_ms() > 0 && notify_watchdog_ms() / 4 < tick)
		tick = (int)(notify_watchdog_ms() / 4) + 1;
	while (!w->stop) {
		zmq_pollitem_t items[WORKER_MAX_OUT + 3];

		int n = 0, in_i = -1, ctl_i, out_i[WORKER_MAX_OUT], fd_i = -1;
		int fd = w->ops->poll_fd ? w->ops->poll_fd(w) : -1;
		int64_t now;
		uint64_t sent = 0;
		long long pending = 0;

		items[n] = (zmq_pollitem_t){ w->ctl, 0, ZMQ_POLLIN, 0 };
		ctl_i = n++;
		/* after a burst that could not be stored (a full disk, say), the
		 * messages waiting stay queued for a while: polled at once, they
		 * would be tried again thousands of times a second */
		if (w->in != NULL && now_ms() >= in_pause_until) {
			items[n] = (zmq_pollitem_t){ w->in, 0, ZMQ_POLLIN, 0 };
			in_i = n++;
		}
		for (int o = 0; o < w->nout; o++) {
			items[n] = (zmq_pollitem_t){ w->outs[o], 0, ZMQ_POLLIN, 0 };
			out_i[o] = n++;
		}
		if (fd >= 0) {
			items[n] = (zmq_pollitem_t){ NULL, fd, ZMQ_POLLIN, 0 };
			fd_i = n++;
		}
		if (zmq_poll(items, n, again ? 0 : tick) < 0 && errno != EINTR)
			break;
		if (w->reload) { /* the sockets polled above may be replaced */
			s_reload(w);
			again = 1;
			continue;
		}
		if (items[ctl_i].revents & ZMQ_POLLIN)
			s_control(w);
		for (int o = 0; o < w->nout; o++)
			if (items[out_i[o]].revents & ZMQ_POLLIN)
				s_take_acks(w, o);
		if (in_i >= 0 && (items[in_i].revents & ZMQ_POLLIN)) {
			int taken = 0;

			while (!w->stop && (taken = s_take_burst(w)) == BURST)
				;
			if (taken < 0)
				in_pause_until = now_ms() + IN_RETRY_MS;
		}
		if (fd_i >= 0 && (items[fd_i].revents & ZMQ_POLLIN) && w->ops->on_fd)
			w->ops->on_fd(w);
		again = w->ops->on_tick ? w->ops->on_tick(w) : 0;
		if (backup_running()) { /* a few pages per turn, between transactions */
			backup_step(w);
			again = 1;
		}
		now = now_ms();
		notify_watchdog(now);
		for (int o = 0; o < w->nout; o++) {
			if (outbox_pump(w->outboxes[o], now) < 0) {
				worker_error(w, "outbox to %s: %s", w->ops->outputs[o], store_last_msg(w->store));
				s_fault(w, "cannot send from the outbox to %s: %s", w->ops->outputs[o],
				    store_last_msg(w->store));
			}
			sent += outbox_sent(w->outboxes[o]);
			pending += outbox_pending(w->outboxes[o]);
		}
		/* every second, and within 100 ms of a change */
		if (now - last_status >= 1000 || (now - last_status >= 100 && (w->status_due ||
		    w->msgs_in != last_in || sent != last_out || pending != last_pending))) {
			worker_write_status(w);
			last_status = now;
			last_in = w->msgs_in;
			last_out = sent;
			last_pending = pending;
		}
	}
}

/* s_count_start - one more start in the database's worker_starts (outside
 * the worker's migrations), so that restarts show in the status under any
 * supervisor, systemd included; a failure is logged and counts nothing. */
static void
s_count_start(worker_t *w)
{
	if (store_begin(w->store) != 0 || store_exec(w->store, "CREATE TABLE IF NOT EXISTS worker_starts"
	    " (n INTEGER NOT NULL, last_at INTEGER);"
	    "INSERT INTO worker_starts (n, last_at) SELECT 0, NULL WHERE NOT EXISTS (SELECT 1 FROM worker_starts);"
	    "UPDATE worker_starts SET n = n + 1, last_at = strftime('%s', 'now');") != 0 ||
	    store_commit(w->store) != 0) {
		store_rollback(w->store);
		log_warn("cannot count this start in the database");
	}
	store_clear_rc(w->store);
	w->starts = (uint64_t)store_int(w->store, "SELECT n FROM worker_starts", 0);
}

/* s_prepare_dirs - VAR/run and VAR/db, private to the pipeline's user. */
static int
s_prepare_dirs(worker_t *w)
{
	static const char *const dirs[] = { "run", "db" };
	char path[4096];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		worker_path(w, path, sizeof(path), dirs[i]);
		if (fs_mkdirs(path) != 0 || chmod(path, 0700) != 0) {
			log_error("cannot prepare %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* worker_main - parse options, load config, lock, open store and sockets, loop. */
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
	worker_t w = { .ops = ops, .lock_fd = -1, .run_state = "ready" };
	yt_diag_t diag = { 0 };
	int check = 0, opt, rc = 1;
	char path[4096];

	/* no memory statistics: they take a global mutex on every allocation
	 * SQLite makes, and nothing reads them */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);

	umask(027);
	notify_init(1); /* NOTIFY_SOCKET and the watchdog, when run by systemd */
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
	w.cfg_path = cfg_path;
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
	w.log_level_fixed = lvl != NULL;
	log_init(w.name, log_level_parse(lvl ? lvl : w.config->log_level) < 0 ? LOG_INFO
	    : log_level_parse(lvl ? lvl : w.config->log_level));
	s_self = &w;
	signal(SIGTERM, s_on_signal);
	signal(SIGINT, s_on_signal);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, s_on_signal);
	w.since = (int64_t)time(NULL);
	if (s_prepare_dirs(&w) != 0)
		goto out;
	if (s_take_lock(&w) != 0) {
		rc = WORKER_EXIT_LOCKED;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/db/%s.db", w.var_dir, w.name);
	w.store = store_open(path, ops->migrations, ops->nmigrations);
	if (w.store == NULL)
		goto out;
	s_count_start(&w);
	if (s_open_sockets(&w) != 0)
		goto out;
	if (ops->init != NULL && ops->init(&w) != 0)
		goto out;
	worker_write_status(&w);
	log_info("ready (var dir %s)", w.var_dir);
	notify_send("READY=1");
	s_loop(&w);
	notify_send("STOPPING=1\nSTATUS=stopping");
	backup_abort(&w);
	worker_set_state(&w, "stopped", NULL);
	worker_write_status(&w);
	log_info("stopped");
	rc = 0;
out:
	if (ops->fini != NULL)
		ops->fini(&w);
	for (int o = 0; o < w.nout; o++)
		outbox_destroy(&w.outboxes[o]);
	s_close_sockets(&w);
	zap_stop(&w.zap);
	memset(&w.curve, 0, sizeof(w.curve));
	if (w.ctx != NULL)
		zmq_ctx_term(w.ctx);
	store_close(&w.store);
	config_free(&w.config);
	if (w.lock_fd >= 0)
		close(w.lock_fd);
	return rc;
}
