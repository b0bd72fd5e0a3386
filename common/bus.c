/* bus - thin libzmq layer (see bus.h). */
#include "bus.h"
#include "log.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>
#include <zmq.h>

/* bus_endpoint - build the ipc endpoint of a worker inside the var dir. */
int
bus_endpoint(char *buf, size_t size, const char *var_dir, const char *name)
{
	struct sockaddr_un sun;
	int n = snprintf(buf, size, "ipc://%s/run/%s.sock", var_dir, name);

	if (n < 0 || (size_t)n >= size || (size_t)n - 6 >= sizeof(sun.sun_path)) {
		log_error("socket path for %s under %s is too long (limit %zu bytes): use a shorter --var-dir",
		    name, var_dir, sizeof(sun.sun_path) - 1);
		return -1;
	}
	return 0;
}

/* s_common_opts - options every socket gets. */
static int
s_common_opts(void *s)
{
	int64_t maxsize = MSG_MAX_SIZE;
	int linger = 0, hwm = 1000;

	if (zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxsize, sizeof(maxsize)) != 0 ||
	    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
	    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm)) != 0 ||
	    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof(hwm)) != 0)
		return -1;
	return 0;
}

/* bus_router_bind - bind a receiving ROUTER. */
void *
bus_router_bind(void *ctx, const char *endpoint)
{
	void *s = zmq_socket(ctx, ZMQ_ROUTER);

	if (s == NULL || s_common_opts(s) != 0)
		goto fail;
	if (strncmp(endpoint, "ipc://", 6) == 0)
		unlink(endpoint + 6); /* a stale file from a killed process */
	if (zmq_bind(s, endpoint) != 0)
		goto fail;
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
	void *s = zmq_socket(ctx, ZMQ_DEALER);
	int immediate = 1, ivl = 100, ivlmax = 1000;

	if (s == NULL || s_common_opts(s) != 0 ||
	    zmq_setsockopt(s, ZMQ_IMMEDIATE, &immediate, sizeof(immediate)) != 0 ||
	    zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl)) != 0 ||
	    zmq_setsockopt(s, ZMQ_RECONNECT_IVL_MAX, &ivlmax, sizeof(ivlmax)) != 0)
		goto fail;
	for (int i = 0; i < n; i++) {
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
	zmq_msg_t f;
	int more = 0;
	size_t sz = sizeof(more);

	*buf = NULL;
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
	*buf = malloc(*len + 1);
	if (*buf != NULL)
		memcpy(*buf, zmq_msg_data(&f), *len);
	zmq_msg_close(&f);
	s_drain(sock); /* extra frames are not part of our protocol */
	return *buf != NULL ? 1 : -1;
}
