/* bus - thin libzmq layer (see bus.h). */
#include "bus.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* s_ipc - "ipc://VAR/run/NAME.SUFFIX", checked against the socket path limit. */
static int
s_ipc(char *buf, size_t size, const char *var_dir, const char *name, const char *suffix)
{
	struct sockaddr_un sun;
	int n = snprintf(buf, size, "ipc://%s/run/%s.%s", var_dir, name, suffix);

	if (n < 0 || (size_t)n >= size || (size_t)n - 6 >= sizeof(sun.sun_path)) {
		log_error("socket path for %s under %s is too long (limit %zu bytes): use a shorter --var-dir",
		    name, var_dir, sizeof(sun.sun_path) - 1);
		return -1;
	}
	return 0;
}

/* bus_endpoint - the data endpoint of a worker inside the var dir. */
int
bus_endpoint(char *buf, size_t size, const char *var_dir, const char *name)
{
	return s_ipc(buf, size, var_dir, name, "sock");
}

/* bus_ctl_endpoint - the control endpoint of a worker inside the var dir. */
int
bus_ctl_endpoint(char *buf, size_t size, const char *var_dir, const char *name)
{
	return s_ipc(buf, size, var_dir, name, "ctl");
}

/* bus_worker_endpoint - configured, else the default ipc path. */
int
bus_worker_endpoint(char *buf, size_t size, const cfg_endpoints_t *e, const char *var_dir, const char *name,
    cfg_ep_kind_t kind)
{
	if (e != NULL && cfg_endpoint(e, name, kind, buf, size) == 1)
		return 0;
	return kind == EP_BIND || kind == EP_CONNECT ? bus_endpoint(buf, size, var_dir, name)
	    : bus_ctl_endpoint(buf, size, var_dir, name);
}

/* s_common_opts - options every socket gets. Heartbeats: a peer that
 * answers nothing for BUS_HEARTBEAT_TIMEOUT_MS (a host cut off the network,
 * whose TCP connection would otherwise look open for minutes) is
 * disconnected, so a DEALER stops handing it messages and the outbox's
 * resends go to the peers that are there. */
static int
s_common_opts(void *s)
{
	int64_t maxsize = MSG_MAX_SIZE;
	int linger = 0, hwm = 1000, ivl = BUS_HEARTBEAT_IVL_MS, timeout = BUS_HEARTBEAT_TIMEOUT_MS;
	int handshake = BUS_HANDSHAKE_MS;

	if (zmq_setsockopt(s, ZMQ_HEARTBEAT_IVL, &ivl, sizeof(ivl)) != 0 ||
	    zmq_setsockopt(s, ZMQ_HANDSHAKE_IVL, &handshake, sizeof(handshake)) != 0 ||
	    zmq_setsockopt(s, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof(timeout)) != 0 ||
	    zmq_setsockopt(s, ZMQ_HEARTBEAT_TTL, &timeout, sizeof(timeout)) != 0 ||
	    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxsize, sizeof(maxsize)) != 0 ||
	    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
	    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm)) != 0 ||
	    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof(hwm)) != 0)
		return -1;
	return 0;
}

/* s_tcp - the endpoint is tcp (CURVE applies). */
static int
s_tcp(const char *endpoint)
{
	return strncmp(endpoint, "tcp://", 6) == 0;
}

/* s_curve_client - CURVE client options for the next connect; 0 or -1. */
static int
s_curve_client(void *s, const bus_curve_t *cv, const unsigned char *server_key)
{
	if (cv == NULL || server_key == NULL) {
		errno = EACCES;
		return -1;
	}
	if (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_key, 32) != 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, cv->pub, 32) != 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, cv->sec, 32) != 0)
		return -1;
	return 0;
}

/* bus_router_bind - bind a receiving ROUTER. */
void *
bus_router_bind(void *ctx, const char *endpoint)
{
	return bus_router_bind_curve(ctx, endpoint, NULL, NULL);
}

/* bus_router_bind_curve - bind a receiving ROUTER, a CURVE server on tcp. */
void *
bus_router_bind_curve(void *ctx, const char *endpoint, const bus_curve_t *cv, const char *domain)
{
	void *s = zmq_socket(ctx, ZMQ_ROUTER);
	int server = 1, tries = 0;

	if (s == NULL || s_common_opts(s) != 0)
		goto fail;
	if (strncmp(endpoint, "ipc://", 6) == 0) {
		struct stat st;

		/* a stale socket from a killed process; never any other kind of file */
		if (lstat(endpoint + 6, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(endpoint + 6);
	}
	if (s_tcp(endpoint)) {
		if (cv == NULL || domain == NULL) {
			log_error("cannot bind %s: a tcp socket needs CURVE keys (endpoints.curve)", endpoint);
			zmq_close(s);
			return NULL;
		}
		if (zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) != 0 ||
		    zmq_setsockopt(s, ZMQ_CURVE_SERVER, &server, sizeof(server)) != 0 ||
		    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, cv->sec, 32) != 0)
			goto fail;
	}
	while (zmq_bind(s, endpoint) != 0) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		if (errno != EADDRINUSE || !s_tcp(endpoint) || ++tries > 40)
			goto fail;
		nanosleep(&ts, NULL);
	}
	return s;
fail:
	log_error("cannot bind %s: %s", endpoint, zmq_strerror(errno));
	if (s != NULL)
		zmq_close(s);
	return NULL;
}

/* bus_dealer_connect - connect a sending DEALER that only queues to live peers. */
void *
bus_dealer_connect(void *ctx, const char *const *endpoints, int n)
{
	return bus_dealer_connect_curve(ctx, endpoints, n, NULL, NULL);
}

/* bus_dealer_connect_curve - the same, CURVE on every tcp endpoint. */
void *
bus_dealer_connect_curve(void *ctx, const char *const *endpoints, int n, const bus_curve_t *cv,
    const unsigned char *const *server_keys)
{
	void *s = zmq_socket(ctx, ZMQ_DEALER);
	int immediate = 1, ivl = 100, ivlmax = 1000;

	if (s == NULL || s_common_opts(s) != 0 ||
	    zmq_setsockopt(s, ZMQ_IMMEDIATE, &immediate, sizeof(immediate)) != 0 ||
	    zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl)) != 0 ||
	    zmq_setsockopt(s, ZMQ_RECONNECT_IVL_MAX, &ivlmax, sizeof(ivlmax)) != 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		/* options are taken at connect time, so each validator gets its own server key */
		if (s_tcp(endpoints[i]) && s_curve_client(s, cv, server_keys != NULL ? server_keys[i] : NULL) != 0) {
			log_error("cannot connect %s: %s", endpoints[i], errno == EACCES
			    ? "a tcp socket needs CURVE keys (endpoints.curve)" : zmq_strerror(errno));
			goto fail;
		}
		if (zmq_connect(s, endpoints[i]) != 0) {
			log_error("cannot connect %s: %s", endpoints[i], zmq_strerror(errno));
			goto fail;
		}
	}
	return s;
fail:
	if (s != NULL)
		zmq_close(s);
	return NULL;
}

/* bus_send_raw - send one message, with a routing frame for a ROUTER. */
int
bus_send_raw(void *sock, const void *rid, size_t ridlen, const void *buf, size_t len)
{
	if (rid != NULL && zmq_send(sock, rid, ridlen, ZMQ_DONTWAIT | ZMQ_SNDMORE) < 0)
		return -1;
	if (zmq_send(sock, buf, len, ZMQ_DONTWAIT) < 0)
		return -1;
	return 0;
}

/* bus_send_msg - encode m and send it. */
int
bus_send_msg(void *sock, const void *rid, size_t ridlen, const msg_t *m)
{
	char *buf;
	size_t len;
	int rc;

	if (msg_encode(m, &buf, &len) != 0)
		return -1;
	rc = bus_send_raw(sock, rid, ridlen, buf, len);
	free(buf);
	return rc;
}

/* s_drain - discard the remaining frames of a message. */
static void
s_drain(void *sock)
{
	int more = 1;
	size_t sz = sizeof(more);
	zmq_msg_t f;

	while (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
		zmq_msg_init(&f);
		zmq_msg_recv(&f, sock, 0);
		zmq_msg_close(&f);
	}
}

/* bus_recv_raw - receive one message (routing id + one payload frame). */
int
bus_recv_raw(void *sock, int router, unsigned char *rid, size_t *ridlen, char **buf, size_t *len)
{
	return bus_recv_peer(sock, router, rid, ridlen, buf, len, NULL, 0);
}

/* bus_recv_peer - one message and the name its sender authenticated as. */
int
bus_recv_peer(void *sock, int router, unsigned char *rid, size_t *ridlen, char **buf, size_t *len, char *peer,
    size_t peersz)
{
	zmq_msg_t f;
	int more = 0;
	size_t sz = sizeof(more);

	*buf = NULL;
	if (peer != NULL && peersz > 0)
		peer[0] = '\0';
	if (router) {
		zmq_msg_init(&f);
		if (zmq_msg_recv(&f, sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&f);
			return errno == EAGAIN ? 0 : -1;
		}
		*ridlen = zmq_msg_size(&f) > 255 ? 255 : zmq_msg_size(&f);
		memcpy(rid, zmq_msg_data(&f), *ridlen);
		zmq_msg_close(&f);
		if (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) != 0 || !more)
			return 0; /* a bare routing frame: nothing to read */
	}
	zmq_msg_init(&f);
	if (zmq_msg_recv(&f, sock, router ? 0 : ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&f);
		return errno == EAGAIN ? 0 : -1;
	}
	*len = zmq_msg_size(&f);
	*buf = xmalloc(*len + 1);
	if (*buf != NULL)
		memcpy(*buf, zmq_msg_data(&f), *len);
	if (peer != NULL && peersz > 0) {
		const char *uid = zmq_msg_gets(&f, "User-Id");

		snprintf(peer, peersz, "%s", uid != NULL ? uid : "");
	}
	zmq_msg_close(&f);
	s_drain(sock); /* extra frames are not part of our protocol */
	return *buf != NULL ? 1 : -1;
}

/* bus_request - one request and its answer over a fresh DEALER. */
int
bus_request(const char *endpoint, const char *cmd, char *const *args, int nargs, int timeout_ms,
    int64_t *code, char **body, char *err, size_t errsz)
{
	return bus_request_curve(endpoint, NULL, NULL, cmd, args, nargs, timeout_ms, code, body, err, errsz);
}

/* bus_request_curve - the same, with CURVE on tcp. */
int
bus_request_curve(const char *endpoint, const bus_curve_t *cv, const unsigned char *server_key,
    const char *cmd, char *const *args, int nargs, int timeout_ms, int64_t *code, char **body, char *err,
    size_t errsz)
{
	msg_t q = { .version = MSG_VERSION, .type = MSG_T_CTL_REQ, .id = 1 };
	void *ctx = zmq_ctx_new(), *s = NULL, *mon = NULL;
	int rc = -1, linger = 0, sent;
	int64_t deadline;
	struct timespec ts;

	*body = NULL;
	snprintf(err, errsz, "no answer");
	if (ctx == NULL)
		return -1;
	s = zmq_socket(ctx, ZMQ_DEALER);
	if (s != NULL && s_tcp(endpoint) && (cv == NULL || server_key == NULL)) {
		snprintf(err, errsz, "a tcp control address needs CURVE keys (endpoints.curve and the operator key)");
		goto out;
	}
	if (s == NULL || zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
	    s_common_opts(s) != 0 || (s_tcp(endpoint) && s_curve_client(s, cv, server_key) != 0)) {
		snprintf(err, errsz, "cannot connect: %s", zmq_strerror(errno));
		goto out;
	}
	/* a refused CURVE handshake is told at once, not as a time-out */
	if (s_tcp(endpoint) && zmq_socket_monitor(s, "inproc://bus-request-monitor", ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
	    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) == 0 &&
	    (mon = zmq_socket(ctx, ZMQ_PAIR)) != NULL) {
		zmq_setsockopt(mon, ZMQ_LINGER, &linger, sizeof(linger));
		if (zmq_connect(mon, "inproc://bus-request-monitor") != 0) {
			zmq_close(mon);
			mon = NULL;
		}
	}
	if (zmq_connect(s, endpoint) != 0) {
		snprintf(err, errsz, "cannot connect: %s", zmq_strerror(errno));
		goto out;
	}
	q.u.req.cmd = (char *)cmd;
	q.u.req.nargs = (uint32_t)nargs;
	q.u.req.args = (char **)args;
	sent = bus_send_msg(s, NULL, 0, &q) == 0;
	if (!sent && errno != EAGAIN) {
		snprintf(err, errsz, "cannot send: %s", zmq_strerror(errno));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + timeout_ms;
	for (;;) {
		zmq_pollitem_t it[2] = { { s, 0, ZMQ_POLLIN, 0 }, { mon, 0, ZMQ_POLLIN, 0 } };
		int64_t now;
		char *buf = NULL, derr[160];
		size_t len = 0;
		msg_t m;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (now >= deadline)
			break;
		if (zmq_poll(it, mon != NULL ? 2 : 1, !sent ? 20 : (long)(deadline - now)) > 0 &&
		    (it[1].revents & ZMQ_POLLIN)) {
			unsigned char ev[6];
			uint16_t event;
			uint32_t value;

			if (zmq_recv(mon, ev, sizeof(ev), 0) == 6) {
				memcpy(&event, ev, 2);
				memcpy(&value, ev + 2, 4);
				if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
					snprintf(err, errsz, "refused (%u): this host's operator key is not allowed there"
					    " (endpoints.curve.public.operator, BHXH_OPERATOR_KEY)", (unsigned)value);
				else
					snprintf(err, errsz, "secure handshake failed: the worker's public key in"
					    " endpoints.curve.public may not be the one it uses");
				break;
			}
		}
		if (!sent) { /* the ipc connection was not up yet */
			sent = bus_send_msg(s, NULL, 0, &q) == 0;
			continue;
		}
		if (!(it[0].revents & ZMQ_POLLIN))
			continue;
		if (bus_recv_raw(s, 0, NULL, NULL, &buf, &len) != 1)
			continue;
		if (msg_decode(buf, len, &m, derr, sizeof(derr)) == 0 && m.type == MSG_T_CTL_REP) {
			*code = m.u.rep.code;
			*body = m.u.rep.body;
			m.u.rep.body = NULL;
			rc = 0;
		} else {
			snprintf(err, errsz, "bad answer: %s", derr);
		}
		msg_free(&m);
		free(buf);
		break;
	}
out:
	if (s != NULL)
		zmq_close(s);
	if (mon != NULL)
		zmq_close(mon);
	zmq_ctx_term(ctx);
	return rc;
}
