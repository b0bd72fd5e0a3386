/* test_curve - CURVE key files, the ZAP handler over real tcp sockets on
 * 127.0.0.1, and the table of who may send what (common/curve.c, peers.c,
 * bus.c's CURVE options). Every wait polls a condition with a deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "bus.h"
#include "curve.h"
#include "msg.h"
#include "outbox.h"
#include "peers.h"

static char s_dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(s_dir, sizeof(s_dir), "/tmp/bhxh-curve.XXXXXX");
	return mkdtemp(s_dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", s_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* s_key - a new key file NAME.key in s_dir, read back into cv. */
static void
s_key(const char *name, bus_curve_t *cv)
{
	char path[128], pub[41], why[300], z[41];

	snprintf(path, sizeof(path), "%s/%s.key", s_dir, name);
	assert_int_equal(curve_key_write(path, name, pub, why, sizeof(why)), 0);
	assert_int_equal(curve_key_read(path, cv->pub, cv->sec, why, sizeof(why)), 0);
	zmq_z85_encode(z, cv->pub, 32);
	assert_string_equal(z, pub);
}

/* key files: written 0600, never over an old one, refused when others may
 * read them, and a public key that does not match its secret is refused */
static void
test_key_files(void **state)
{
	char path[128], pub[41], why[300], text[512];
	unsigned char p[32], s[32];
	bus_curve_t cv;
	struct stat st;
	FILE *f;

	(void)state;
	s_key("ingest", &cv);
	snprintf(path, sizeof(path), "%s/ingest.key", s_dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(curve_key_write(path, "ingest", pub, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "never overwritten"));
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(curve_key_read(path, p, s, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "mode 640"));
	assert_non_null(strstr(why, "chmod 600"));
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(curve_key_read(path, p, s, why, sizeof(why)), -1);
	/* a public key line that belongs to another secret */
	snprintf(path, sizeof(path), "%s/odd.key", s_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "public-key = \"2>Q#n^&nZ(/UH+IFGTjHG>+7Sa?>T5jyvza.yrcu\"\n"
	    "secret-key = \"t3Az.B8.AMw&.#!Isx6a{.v2^hXfuSi.TRlnx{3P\"\n");
	fclose(f);
	chmod(path, 0600);
	assert_int_equal(curve_key_read(path, p, s, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "does not belong"));
	/* no secret at all */
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "public-key = \"2>Q#n^&nZ(/UH+IFGTjHG>+7Sa?>T5jyvza.yrcu\"\n");
	fclose(f);
	assert_int_equal(curve_key_read(path, p, s, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "no secret-key"));
	snprintf(path, sizeof(path), "%s/missing.key", s_dir);
	assert_int_equal(curve_key_read(path, p, s, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "bhxhctl keygen"));
	(void)text;
}

/* s_write_key - text into s_dir/NAME (mode 0600); its path into path. */
static void
s_write_key(const char *name, const char *text, char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/%s", s_dir, name);
	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
}

/* s_alarm - a key read that blocks is a failure, not a hung test. */
static void
s_alarm(int sig)
{
	(void)sig;
	fprintf(stderr, "curve_key_read blocked\n");
	_exit(1);
}

/* key files that are odd: a FIFO is refused at once (never waited on), a
 * symlink and a directory are refused, a file another user owns is refused
 * (that user could put in a key of their choice); CRLF line ends and extra
 * blanks around '=' are read, a commented secret after the public key is
 * not taken for the secret */
static void
test_key_edges(void **state)
{
	char path[128], link[128], text[512], why[300], zp[41], zs[41];
	unsigned char p[32], s[32], pub[32];
	bus_curve_t cv;

	(void)state;
	s_key("alert", &cv);
	assert_int_equal(zmq_curve_keypair(zp, zs), 0);
	zmq_z85_decode(pub, zp);
	/* a FIFO: open must not wait for a writer */
	snprintf(path, sizeof(path), "%s/fifo.key", s_dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	signal(SIGALRM, s_alarm);
	alarm(5);
	assert_int_equal(curve_key_read(path, p, s, why, sizeof(why)), -1);
	alarm(0);
	assert_non_null(strstr(why, "not a regular file"));
	/* a symlink to a good key, and a directory */
	snprintf(link, sizeof(link), "%s/link.key", s_dir);
	snprintf(path, sizeof(path), "%s/alert.key", s_dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(curve_key_read(link, p, s, why, sizeof(why)), -1);
	snprintf(path, sizeof(path), "%s/dir.key", s_dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(curve_key_read(path, p, s, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not a regular file"));
	/* CRLF, blanks */
	snprintf(text, sizeof(text), "# key\r\npublic-key  =  \"%s\"  \r\nsecret-key\t=\t\"%s\"\r\n", zp, zs);
	s_write_key("crlf.key", text, path, sizeof(path));
	assert_int_equal(curve_key_read(path, p, s, why, sizeof(why)), 0);
	assert_memory_equal(p, pub, 32);
	/* a commented secret after the public key: the real secret is the one taken */
	snprintf(text, sizeof(text), "public-key = \"%s\"\n# secret-key = \"%s\"\nsecret-key = \"%s\"\n", zp,
	    "t3Az.B8.AMw&.#!Isx6a{.v2^hXfuSi.TRlnx{3P", zs);
	s_write_key("comment.key", text, path, sizeof(path));
	assert_int_equal(curve_key_read(path, p, s, why, sizeof(why)), 0);
	assert_memory_equal(p, pub, 32);
	/* only a commented secret: none */
	snprintf(text, sizeof(text), "public-key = \"%s\"\n#secret-key = \"%s\"\n", zp, zs);
	s_write_key("only-comment.key", text, path, sizeof(path));
	assert_int_equal(curve_key_read(path, p, s, why, sizeof(why)), -1);
	/* owned by another user (root only can make one) */
	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "%s/alert.key", s_dir);
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(curve_key_read(path, p, s, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "owned by"));
	}
}

/* s_port - a free tcp port on 127.0.0.1 (bound and released by the kernel's choice). */
static int
s_port(void *ctx)
{
	void *s = zmq_socket(ctx, ZMQ_ROUTER);
	char ep[64];
	size_t sz = sizeof(ep);
	int port;

	assert_int_equal(zmq_bind(s, "tcp://127.0.0.1:*"), 0);
	assert_int_equal(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &sz), 0);
	port = atoi(strrchr(ep, ':') + 1);
	zmq_close(s);
	return port;
}

/* s_recv_wait - wait up to ms for one message on a ROUTER; 1 with its
 * payload and peer, 0 if none came. */
static int
s_recv_wait(void *router, int ms, char *peer, size_t peersz, char **buf)
{
	int64_t deadline = now_ms() + ms;

	while (now_ms() < deadline) {
		zmq_pollitem_t it = { router, 0, ZMQ_POLLIN, 0 };
		unsigned char rid[256];
		size_t ridlen, len;

		if (zmq_poll(&it, 1, 50) > 0 && bus_recv_peer(router, 1, rid, &ridlen, buf, &len, peer, peersz) == 1)
			return 1;
	}
	return 0;
}

/* a listed key gets in and its messages carry its name; an unlisted key
 * is refused and counted, and nothing it sends arrives; a plain (NULL)
 * client gets nothing through either; tcp without keys is refused */
static void
test_zap(void **state)
{
	void *ctx = zmq_ctx_new(), *router, *good, *bad, *plain;
	bus_curve_t server, vk, other;
	zap_t *z;
	char ep[64], peer[64], *buf = NULL;
	const unsigned char *sk[1];
	const char *eps[1] = { ep };
	zap_entry_t allow[1];
	int64_t deadline;

	(void)state;
	s_key("aggregate", &server);
	s_key("validate-1", &vk);
	s_key("stranger", &other);
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", s_port(ctx));
	assert_null(bus_router_bind_curve(ctx, ep, NULL, NULL)); /* never in clear */
	z = zap_start(ctx);
	assert_non_null(z);
	allow[0] = (zap_entry_t){ "validate-1", vk.pub };
	zap_set(z, "data", allow, 1);
	router = bus_router_bind_curve(ctx, ep, &server, "data");
	assert_non_null(router);
	sk[0] = server.pub;
	assert_null(bus_dealer_connect_curve(ctx, eps, 1, NULL, sk)); /* a client needs its keys too */
	good = bus_dealer_connect_curve(ctx, eps, 1, &vk, sk);
	bad = bus_dealer_connect_curve(ctx, eps, 1, &other, sk);
	assert_non_null(good);
	assert_non_null(bad);
	plain = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(plain, ZMQ_LINGER, &(int){ 0 }, sizeof(int)); /* what it sends never leaves */
	assert_int_equal(zmq_connect(plain, ep), 0);
	/* the stranger's handshake is refused and counted */
	deadline = now_ms() + 10000;
	while (zap_refused(z) < 1 && now_ms() < deadline) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	assert_true(zap_refused(z) >= 1);
	zmq_send(bad, "forged", 6, ZMQ_DONTWAIT);
	zmq_send(plain, "plain", 5, ZMQ_DONTWAIT);
	deadline = now_ms() + 10000;
	while (zmq_send(good, "hello", 5, ZMQ_DONTWAIT) != 5 && now_ms() < deadline) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	assert_int_equal(s_recv_wait(router, 10000, peer, sizeof(peer), &buf), 1);
	assert_memory_equal(buf, "hello", 5);
	assert_string_equal(peer, "validate-1");
	free(buf);
	buf = NULL;
	/* only the listed peer's message came: nothing else is waiting */
	assert_int_equal(s_recv_wait(router, 300, peer, sizeof(peer), &buf), 0);
	/* a reload that drops the key: a new connection with it is refused */
	zap_set(z, "data", NULL, 0);
	zmq_close(good);
	good = bus_dealer_connect_curve(ctx, eps, 1, &vk, sk);
	deadline = now_ms() + 10000;
	while (zap_refused(z) < 2 && now_ms() < deadline) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	assert_true(zap_refused(z) >= 2);
	zmq_close(good);
	zmq_close(bad);
	zmq_close(plain);
	zmq_close(router);
	zap_stop(&z);
	zmq_ctx_term(ctx);
}

/* the table: who may send what to whom, and who may connect where */
static void
test_peers(void **state)
{
	char r[32];

	(void)state;
	assert_string_equal(peers_role("validate-12", r, sizeof(r)), "validate");
	assert_string_equal(peers_role("aggregate", r, sizeof(r)), "aggregate");
	assert_true(peers_may_send("aggregate", "validate-2", MSG_T_BATCH));
	assert_true(peers_may_send("aggregate", "validate", MSG_T_FILE_END));
	assert_false(peers_may_send("aggregate", "ingest", MSG_T_BATCH));
	assert_false(peers_may_send("aggregate", "operator", MSG_T_BATCH));
	assert_false(peers_may_send("alert", "aggregate", MSG_T_BATCH));
	assert_true(peers_may_send("alert", "aggregate", MSG_T_SUMMARY));
	assert_true(peers_may_send("ingest", "aggregate", MSG_T_FILE_DONE));
	assert_false(peers_may_send("ingest", "validate-1", MSG_T_FILE_DONE));
	assert_true(peers_may_send("validate-3", "ingest", MSG_T_BATCH));
	/* over ipc the socket decides */
	assert_true(peers_may_send("aggregate", NULL, MSG_T_BATCH));
	assert_false(peers_may_send("aggregate", NULL, MSG_T_ACK));
	assert_false(peers_may_send("aggregate", NULL, MSG_T_CTL_REQ));
	assert_false(peers_may_send("alert", NULL, MSG_T_FILE_DONE));
	assert_true(peers_may_connect("aggregate", 0, "validate-1"));
	assert_false(peers_may_connect("aggregate", 0, "ingest"));
	assert_false(peers_may_connect("aggregate", 0, "operator"));
	assert_true(peers_may_connect("aggregate", 1, "operator"));
	assert_false(peers_may_connect("aggregate", 1, "alert"));
	assert_true(peers_may_connect("validate-2", 0, "ingest"));
	assert_true(peers_may_connect("ingest", 0, "aggregate"));
	assert_false(peers_may_connect("alert", 0, "validate-1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zap, setup, teardown),
		cmocka_unit_test(test_peers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
