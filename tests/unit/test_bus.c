/* test_bus - the libzmq layer (common/bus.c) over real ipc sockets in a temp
 * directory: endpoint names and the socket path limit, a ROUTER and DEALERs
 * exchanging messages with routing ids, extra frames drained, an oversized
 * frame dropped by ZMQ_MAXMSGSIZE, and bus_request answered by a thread and
 * by another process, or timing out when nobody answers. Every wait polls a
 * condition with a deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "bus.h"
#include "log.h"
#include "msg.h"
#include "outbox.h"

typedef struct {
	char dir[64];
	void *ctx;
	void *socks[16]; /* open sockets, closed by teardown if a test fails half-way */
	int nsocks;
} fx_t;

/* s_track - remember sock (may be NULL) for teardown; returns it. */
static void *
s_track(fx_t *f, void *sock)
{
	if (sock != NULL && f->nsocks < 16)
		f->socks[f->nsocks++] = sock;
	return sock;
}

/* s_close - close a tracked socket now. */
static void
s_close(fx_t *f, void *sock)
{
	for (int i = 0; i < f->nsocks; i++)
		if (f->socks[i] == sock) {
			f->socks[i] = f->socks[--f->nsocks];
			break;
		}
	zmq_close(sock);
}

static int
setup(void **state)
{
	fx_t *f = calloc(1, sizeof(*f));
	char run[100];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/bhxh-ut.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(run, sizeof(run), "%s/run", f->dir);
	assert_int_equal(mkdir(run, 0700), 0);
	f->ctx = zmq_ctx_new();
	assert_non_null(f->ctx);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fx_t *f = *state;
	char cmd[200];

	while (f->nsocks > 0)
		s_close(f, f->socks[0]);
	assert_int_equal(zmq_ctx_term(f->ctx), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* s_recv - the next message on sock within timeout_ms: 1 and its parts, or 0. */
static int
s_recv(void *sock, int router, int timeout_ms, unsigned char *rid, size_t *ridlen, char **buf, size_t *len)
{
	int64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		int rc = bus_recv_raw(sock, router, rid, ridlen, buf, len);

		if (rc != 0)
			return rc;
		if (now_ms() >= deadline)
			return 0;
		zmq_poll(&(zmq_pollitem_t){ sock, 0, ZMQ_POLLIN, 0 }, 1, 20);
	}
}

/* s_send_when_connected - bus_send_msg, retried while the DEALER has no peer yet (EAGAIN). */
static int
s_send_when_connected(void *sock, const msg_t *m, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	while (bus_send_msg(sock, NULL, 0, m) != 0) {
		if (errno != EAGAIN || now_ms() >= deadline)
			return -1;
		zmq_poll(NULL, 0, 10);
	}
	return 0;
}

/* s_done - a FILE_DONE message (a simple type with strings and numbers). */
static msg_t
s_done(uint64_t id, const char *status)
{
	msg_t m = { .version = MSG_VERSION, .type = MSG_T_FILE_DONE, .id = id };

	m.u.done = (msg_file_done_t){ .file_id = "ab12", .file_no = 7, .agency = "bhxh", .status = (char *)status,
		.code = NULL };
	return m;
}

/* --- endpoints */

/* test_endpoint_names - data and control endpoints inside VAR/run. */
static void
test_endpoint_names(void **state)
{
	char buf[300];

	(void)state;
	assert_int_equal(bus_endpoint(buf, sizeof(buf), "/srv/bhxh/var", "aggregate"), 0);
	assert_string_equal(buf, "ipc:///srv/bhxh/var/run/aggregate.sock");
	assert_int_equal(bus_ctl_endpoint(buf, sizeof(buf), "/srv/bhxh/var", "validate-2"), 0);
	assert_string_equal(buf, "ipc:///srv/bhxh/var/run/validate-2.ctl");
	assert_int_equal(bus_endpoint(buf, sizeof(buf), "var", "ingest"), 0);
	assert_string_equal(buf, "ipc://var/run/ingest.sock");
	/* a buffer too small for the name */
	assert_int_equal(bus_endpoint(buf, 20, "/srv/bhxh/var", "aggregate"), -1);
	assert_int_equal(bus_ctl_endpoint(buf, 20, "/srv/bhxh/var", "aggregate"), -1);
}

/* test_endpoint_path_limit - a socket path of 107 bytes is accepted and can
 * be bound; 108 (no room for the NUL of sun_path) is refused, for the data
 * and the control endpoint alike. */
static void
test_endpoint_path_limit(void **state)
{
	fx_t *f = *state;
	char var[200], run[220], ep[300];
	size_t n;
	void *s;

	/* var of 96 bytes: "VAR/run/t.sock" is 107, "VAR/run/t.ctl" 106 */
	n = (size_t)snprintf(var, sizeof(var), "%s/", f->dir);
	memset(var + n, 'v', 96 - n);
	var[96] = '\0';
	assert_int_equal(mkdir(var, 0700), 0);
	snprintf(run, sizeof(run), "%s/run", var);
	assert_int_equal(mkdir(run, 0700), 0);
	assert_int_equal(bus_endpoint(ep, sizeof(ep), var, "t"), 0);
	assert_int_equal(strlen(ep) - 6, 107);
	s = s_track(f, bus_router_bind(f->ctx, ep));
	assert_non_null(s);
	s_close(f, s);
	assert_int_equal(bus_ctl_endpoint(ep, sizeof(ep), var, "t"), 0);
	/* "VAR/run/tt.sock" is 108: refused; "VAR/run/tt.ctl" 107: accepted and bound */
	assert_int_equal(bus_endpoint(ep, sizeof(ep), var, "tt"), -1);
	assert_int_equal(bus_ctl_endpoint(ep, sizeof(ep), var, "tt"), 0);
	assert_int_equal(strlen(ep) - 6, 107);
	s = s_track(f, bus_router_bind(f->ctx, ep));
	assert_non_null(s);
	s_close(f, s);
	assert_int_equal(bus_ctl_endpoint(ep, sizeof(ep), var, "ttt"), -1);
	/* a var dir far too long */
	memset(var + n, 'v', 150 - n);
	var[150] = '\0';
	assert_int_equal(bus_endpoint(ep, sizeof(ep), var, "t"), -1);
	assert_int_equal(bus_ctl_endpoint(ep, sizeof(ep), var, "t"), -1);
}

/* test_bind_replaces_stale_file - a leftover file at the socket path (a
 * killed process) does not stop the bind; a missing directory does. */
static void
test_bind_replaces_stale_file(void **state)
{
	fx_t *f = *state;
	char ep[300], path[300];
	FILE *fp;
	void *s;

	assert_int_equal(bus_endpoint(ep, sizeof(ep), f->dir, "stale"), 0);
	snprintf(path, sizeof(path), "%s/run/stale.sock", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	s = s_track(f, bus_router_bind(f->ctx, ep));
	assert_non_null(s);
	s_close(f, s);
	snprintf(path, sizeof(path), "%s/nodir", f->dir);
	assert_int_equal(bus_endpoint(ep, sizeof(ep), path, "x"), 0);
	assert_null(bus_router_bind(f->ctx, ep));
	{
		const char *bad[] = { "nonsense://x" };

		assert_null(bus_dealer_connect(f->ctx, bad, 1));
	}
}

/* --- messages */

/* test_router_dealer_exchange - a message and its answer, each to the right
 * peer: two DEALERs, one ROUTER that answers each by its routing id. */
static void
test_router_dealer_exchange(void **state)
{
	fx_t *f = *state;
	char ep[300], *buf = NULL, err[160];
	const char *eps[1] = { ep };
	unsigned char rid[2][256];
	size_t ridlen[2], len;
	void *router, *d[2];
	msg_t m, got;

	assert_int_equal(bus_endpoint(ep, sizeof(ep), f->dir, "r"), 0);
	router = s_track(f, bus_router_bind(f->ctx, ep));
	d[0] = s_track(f, bus_dealer_connect(f->ctx, eps, 1));
	d[1] = s_track(f, bus_dealer_connect(f->ctx, eps, 1));
	assert_non_null(router);
	assert_non_null(d[0]);
	assert_non_null(d[1]);
	assert_int_equal(bus_recv_raw(router, 1, rid[0], &ridlen[0], &buf, &len), 0); /* nothing yet */
	assert_null(buf);
	for (int i = 0; i < 2; i++) {
		m = s_done(100 + (uint64_t)i, i ? "rejected" : "applied");
		assert_int_equal(s_send_when_connected(d[i], &m, 5000), 0);
		assert_int_equal(s_recv(router, 1, 5000, rid[i], &ridlen[i], &buf, &len), 1);
		assert_true(ridlen[i] > 0);
		assert_int_equal(msg_decode(buf, len, &got, err, sizeof(err)), 0);
		free(buf);
		assert_int_equal(got.type, MSG_T_FILE_DONE);
		assert_int_equal(got.id, 100 + i);
		assert_string_equal(got.u.done.status, i ? "rejected" : "applied");
		assert_string_equal(got.u.done.agency, "bhxh");
		assert_int_equal(got.u.done.file_no, 7);
		assert_null(got.u.done.code);
		msg_free(&got);
	}
	assert_false(ridlen[0] == ridlen[1] && memcmp(rid[0], rid[1], ridlen[0]) == 0);
	/* answers in the other order, each by routing id */
	for (int i = 1; i >= 0; i--) {
		uint64_t id = 100 + (uint64_t)i;
		msg_t ack = { .version = MSG_VERSION, .type = MSG_T_ACK, .u.ack = { 1, &id } };

		assert_int_equal(bus_send_msg(router, rid[i], ridlen[i], &ack), 0);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(s_recv(d[i], 0, 5000, NULL, NULL, &buf, &len), 1);
		assert_int_equal(msg_decode(buf, len, &got, err, sizeof(err)), 0);
		free(buf);
		assert_int_equal(got.type, MSG_T_ACK);
		assert_int_equal(got.u.ack.nids, 1);
		assert_int_equal(got.u.ack.ids[0], 100 + i);
		msg_free(&got);
		assert_int_equal(bus_recv_raw(d[i], 0, NULL, NULL, &buf, &len), 0); /* only its own */
	}
	s_close(f, d[0]);
	s_close(f, d[1]);
	s_close(f, router);
}

/* test_no_peer_eagain - a DEALER with no live peer does not queue: -1, EAGAIN. */
static void
test_no_peer_eagain(void **state)
{
	fx_t *f = *state;
	char ep[300];
	const char *eps[1] = { ep };
	msg_t m = s_done(1, "applied");
	void *d;

	assert_int_equal(bus_endpoint(ep, sizeof(ep), f->dir, "nobody"), 0);
	d = s_track(f, bus_dealer_connect(f->ctx, eps, 1));
	assert_non_null(d);
	errno = 0;
	assert_int_equal(bus_send_msg(d, NULL, 0, &m), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(bus_send_raw(d, NULL, 0, "x", 1), -1);
	assert_int_equal(errno, EAGAIN);
	s_close(f, d);
}

/* test_dealer_fans_out - a DEALER connected to two ROUTERs reaches both. */
static void
test_dealer_fans_out(void **state)
{
	fx_t *f = *state;
	char ep[2][300];
	const char *eps[2] = { ep[0], ep[1] };
	void *r[2], *d;
	int got[2] = { 0, 0 };
	int64_t deadline = now_ms() + 5000;

	for (int i = 0; i < 2; i++) {
		assert_int_equal(bus_endpoint(ep[i], sizeof(ep[i]), f->dir, i ? "v-2" : "v-1"), 0);
		r[i] = s_track(f, bus_router_bind(f->ctx, ep[i]));
		assert_non_null(r[i]);
	}
	d = s_track(f, bus_dealer_connect(f->ctx, eps, 2));
	assert_non_null(d);
	while ((got[0] == 0 || got[1] == 0) && now_ms() < deadline) {
		unsigned char rid[256];
		size_t ridlen, len;
		char *buf;

		bus_send_raw(d, NULL, 0, "ping", 4);
		for (int i = 0; i < 2; i++)
			while (bus_recv_raw(r[i], 1, rid, &ridlen, &buf, &len) == 1) {
				assert_int_equal(len, 4);
				free(buf);
				got[i]++;
			}
		zmq_poll(NULL, 0, 10);
	}
	assert_true(got[0] > 0);
	assert_true(got[1] > 0);
	s_close(f, d);
	s_close(f, r[0]);
	s_close(f, r[1]);
}

/* test_extra_frames_drained - a message of three frames gives its first
 * payload frame; the others do not show up as the next message. */
static void
test_extra_frames_drained(void **state)
{
	fx_t *f = *state;
	char ep[300], *buf;
	const char *eps[1] = { ep };
	unsigned char rid[256];
	size_t ridlen, len;
	void *router, *d;
	int64_t deadline = now_ms() + 5000;

	assert_int_equal(bus_endpoint(ep, sizeof(ep), f->dir, "f"), 0);
	router = s_track(f, bus_router_bind(f->ctx, ep));
	d = s_track(f, bus_dealer_connect(f->ctx, eps, 1));
	assert_non_null(router);
	assert_non_null(d);
	while (zmq_send(d, "first", 5, ZMQ_DONTWAIT | ZMQ_SNDMORE) < 0) {
		assert_int_equal(errno, EAGAIN);
		assert_true(now_ms() < deadline);
		zmq_poll(NULL, 0, 10);
	}
	assert_int_equal(zmq_send(d, "second", 6, ZMQ_SNDMORE), 6);
	assert_int_equal(zmq_send(d, "third", 5, 0), 5);
	assert_int_equal(bus_send_raw(d, NULL, 0, "next", 4), 0);
	assert_int_equal(s_recv(router, 1, 5000, rid, &ridlen, &buf, &len), 1);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "first", 5);
	free(buf);
	assert_int_equal(s_recv(router, 1, 5000, rid, &ridlen, &buf, &len), 1);
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "next", 4);
	free(buf);
	s_close(f, d);
	s_close(f, router);
}

/* test_oversized_dropped - a frame over MSG_MAX_SIZE never reaches the
 * ROUTER (libzmq drops the connection); the sender reconnects and a small
 * message after it arrives. */
static void
test_oversized_dropped(void **state)
{
	fx_t *f = *state;
	char ep[300], *big;
	const char *eps[1] = { ep };
	size_t biglen = (size_t)MSG_MAX_SIZE + 1;
	void *router, *d;
	int64_t deadline;
	int pings = 0, huge = 0;

	assert_int_equal(bus_endpoint(ep, sizeof(ep), f->dir, "big"), 0);
	router = s_track(f, bus_router_bind(f->ctx, ep));
	d = s_track(f, bus_dealer_connect(f->ctx, eps, 1));
	assert_non_null(router);
	assert_non_null(d);
	big = malloc(biglen);
	assert_non_null(big);
	memset(big, 'B', biglen);
	deadline = now_ms() + 5000;
	while (bus_send_raw(d, NULL, 0, big, biglen) != 0) {
		assert_int_equal(errno, EAGAIN);
		assert_true(now_ms() < deadline);
		zmq_poll(NULL, 0, 10);
	}
	free(big);
	deadline = now_ms() + 10000;
	while (pings == 0 && now_ms() < deadline) {
		unsigned char rid[256];
		size_t ridlen, len;
		char *buf;

		bus_send_raw(d, NULL, 0, "ping", 4); /* EAGAIN while it reconnects */
		zmq_poll(&(zmq_pollitem_t){ router, 0, ZMQ_POLLIN, 0 }, 1, 20);
		while (bus_recv_raw(router, 1, rid, &ridlen, &buf, &len) == 1) {
			if (len > 4)
				huge++;
			else
				pings++;
			free(buf);
		}
	}
	assert_int_equal(huge, 0);
	assert_true(pings > 0);
	s_close(f, d);
	s_close(f, router);
}

/* --- bus_request */

typedef struct {
	void *ctx;
	char ep[300];
	int mode;        /* 0 answer CTL_REP, 1 answer an ACK, 2 answer garbage, 3 stay silent */
	int requests;    /* requests seen */
	int ok;          /* the last request was the expected command and arguments */
} server_t;

/* s_serve - answer up to n requests (or wait for them up to 5 s each). */
static int
s_serve(void *ctx, const char *ep, int mode, int n, int *ok)
{
	void *r = bus_router_bind(ctx, ep);
	int seen = 0;

	if (r == NULL)
		return -1;
	while (seen < n) {
		unsigned char rid[256];
		size_t ridlen, len;
		char *buf, err[160], body[200];
		msg_t q, rep = { .version = MSG_VERSION, .type = MSG_T_CTL_REP };
		uint64_t one = 1;

		if (s_recv(r, 1, 5000, rid, &ridlen, &buf, &len) != 1)
			break;
		seen++;
		if (msg_decode(buf, len, &q, err, sizeof(err)) != 0 || q.type != MSG_T_CTL_REQ) {
			free(buf);
			*ok = 0;
			continue;
		}
		free(buf);
		*ok = strcmp(q.u.req.cmd, "echo") == 0 && q.u.req.nargs == 2 && strcmp(q.u.req.args[0], "a b") == 0 &&
		    strcmp(q.u.req.args[1], "Bắc Kạn") == 0;
		snprintf(body, sizeof(body), "{\"cmd\":\"%s\",\"nargs\":%u}", q.u.req.cmd, q.u.req.nargs);
		rep.id = q.id;
		rep.u.rep.code = strcmp(q.u.req.cmd, "fail") == 0 ? 2 : 0;
		rep.u.rep.body = body;
		if (mode == 0) {
			bus_send_msg(r, rid, ridlen, &rep);
		} else if (mode == 1) {
			msg_t ack = { .version = MSG_VERSION, .type = MSG_T_ACK, .id = q.id, .u.ack = { 1, &one } };

			bus_send_msg(r, rid, ridlen, &ack);
		} else if (mode == 2) {
			bus_send_raw(r, rid, ridlen, "\xc1 garbage", 9);
		}
		msg_free(&q);
	}
	zmq_close(r);
	return seen;
}

static void *
s_server_thread(void *arg)
{
	server_t *s = arg;

	s->requests = s_serve(s->ctx, s->ep, s->mode, 1, &s->ok);
	return NULL;
}

/* test_request_thread - answered by a thread: code and body come back; a
 * failing command's code too. */
static void
test_request_thread(void **state)
{
	fx_t *f = *state;
	server_t s = { .ctx = f->ctx, .mode = 0 };
	char *const args[] = { "a b", "Bắc Kạn" };
	char err[200], *body = NULL;
	int64_t code = -1;
	pthread_t th;

	assert_int_equal(bus_ctl_endpoint(s.ep, sizeof(s.ep), f->dir, "t"), 0);
	assert_int_equal(pthread_create(&th, NULL, s_server_thread, &s), 0);
	assert_int_equal(bus_request(s.ep, "echo", args, 2, 5000, &code, &body, err, sizeof(err)), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(s.requests, 1);
	assert_true(s.ok);
	assert_int_equal(code, 0);
	assert_non_null(body);
	assert_string_equal(body, "{\"cmd\":\"echo\",\"nargs\":2}");
	free(body);
	/* the answer's code as the server gave it */
	body = NULL;
	assert_int_equal(pthread_create(&th, NULL, s_server_thread, &s), 0);
	assert_int_equal(bus_request(s.ep, "fail", NULL, 0, 5000, &code, &body, err, sizeof(err)), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(code, 2);
	assert_string_equal(body, "{\"cmd\":\"fail\",\"nargs\":0}");
	free(body);
}

/* test_request_process - answered by another process that starts after the
 * request was made (the request waits for the socket to appear). */
static void
test_request_process(void **state)
{
	fx_t *f = *state;
	char *const args[] = { "a b", "Bắc Kạn" };
	char ep[300], err[200], *body = NULL;
	int64_t code = -1;
	int status;
	pid_t pid;

	assert_int_equal(bus_ctl_endpoint(ep, sizeof(ep), f->dir, "p"), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		void *ctx = zmq_ctx_new();
		int ok = 0, n = s_serve(ctx, ep, 0, 1, &ok);

		zmq_ctx_term(ctx);
		_exit(n == 1 && ok ? 0 : 1);
	}
	assert_int_equal(bus_request(ep, "echo", args, 2, 10000, &code, &body, err, sizeof(err)), 0);
	assert_int_equal(code, 0);
	assert_string_equal(body, "{\"cmd\":\"echo\",\"nargs\":2}");
	free(body);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* test_request_timeout - nobody there, or a listener that never answers:
 * -1 with a reason, no body, after about the timeout and not much later. */
static void
test_request_timeout(void **state)
{
	fx_t *f = *state;
	server_t s = { .ctx = f->ctx, .mode = 3 };
	char ep[300], err[200], *body = (char *)"untouched";
	int64_t code = -1, t0, took;
	pthread_t th;

	assert_int_equal(bus_ctl_endpoint(ep, sizeof(ep), f->dir, "absent"), 0);
	t0 = now_ms();
	assert_int_equal(bus_request(ep, "status", NULL, 0, 300, &code, &body, err, sizeof(err)), -1);
	took = now_ms() - t0;
	assert_null(body);
	assert_true(err[0] != '\0');
	assert_true(took >= 290);
	assert_true(took < 2000);
	/* a silent listener: the request arrives, no answer comes */
	assert_int_equal(bus_ctl_endpoint(s.ep, sizeof(s.ep), f->dir, "silent"), 0);
	assert_int_equal(pthread_create(&th, NULL, s_server_thread, &s), 0);
	t0 = now_ms();
	assert_int_equal(bus_request(s.ep, "echo", NULL, 0, 1000, &code, &body, err, sizeof(err)), -1);
	took = now_ms() - t0;
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(s.requests, 1);
	assert_null(body);
	assert_true(took >= 990);
	assert_true(took < 3000);
}

/* test_request_bad_answer - an answer that is not a CTL_REP, or not a
 * message at all: -1, "bad answer", no body. */
static void
test_request_bad_answer(void **state)
{
	fx_t *f = *state;

	for (int mode = 1; mode <= 2; mode++) {
		server_t s = { .ctx = f->ctx, .mode = mode };
		char err[200], *body = NULL;
		int64_t code = -1;
		pthread_t th;

		assert_int_equal(bus_ctl_endpoint(s.ep, sizeof(s.ep), f->dir, "bad"), 0);
		assert_int_equal(pthread_create(&th, NULL, s_server_thread, &s), 0);
		assert_int_equal(bus_request(s.ep, "echo", NULL, 0, 5000, &code, &body, err, sizeof(err)), -1);
		assert_int_equal(pthread_join(th, NULL), 0);
		assert_int_equal(s.requests, 1);
		assert_null(body);
		assert_int_equal(code, -1);
		assert_memory_equal(err, "bad answer", 10);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint_names),
		cmocka_unit_test_setup_teardown(test_endpoint_path_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_replaces_stale_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_router_dealer_exchange, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_peer_eagain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dealer_fans_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extra_frames_drained, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_bad_answer, setup, teardown),
	};

	log_init("test_bus", -1); /* refusals are logged; these are on purpose */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
