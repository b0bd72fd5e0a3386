/* test_outbox - the reliable-sending layer over real SQLite files and real
 * ZeroMQ sockets: window, acknowledgement, resend, and resend after a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "bus.h"
#include "fsutil.h"
#include "outbox.h"
#include "store.h"

static const char *const s_mig[] = { OUTBOX_SCHEMA };

typedef struct {
	char dir[64];
	void *ctx, *router, *dealer;
	store_t *store;
} fx_t;

static int
setup(void **state)
{
	fx_t *f = calloc(1, sizeof(*f));
	char ep[300], db[128];
	const char *eps[1];

	snprintf(f->dir, sizeof(f->dir), "/tmp/bhxh-ut.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(ep, sizeof(ep), "ipc://%s/r.sock", f->dir);
	snprintf(db, sizeof(db), "%s/o.db", f->dir);
	f->ctx = zmq_ctx_new();
	f->router = bus_router_bind(f->ctx, ep);
	eps[0] = ep;
	f->dealer = bus_dealer_connect(f->ctx, eps, 1);
	f->store = store_open(db, s_mig, 1);
	assert_non_null(f->router);
	assert_non_null(f->dealer);
	assert_non_null(f->store);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fx_t *f = *state;
	char cmd[128];

	zmq_close(f->router);
	zmq_close(f->dealer);
	zmq_ctx_term(f->ctx);
	store_close(&f->store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* s_put - store n ACK-typed messages (any type will do) in one transaction. */
static void
s_put(fx_t *f, outbox_t *o, int n, uint64_t *ids)
{
	assert_int_equal(store_begin(f->store), 0);
	for (int i = 0; i < n; i++) {
		uint64_t payload = 1000 + (uint64_t)i;
		msg_t m = { .type = MSG_T_ACK };

		m.u.ack.nids = 1;
		m.u.ack.ids = &payload;
		assert_int_equal(outbox_put(o, &m), 0);
		ids[i] = m.id;
	}
	assert_int_equal(store_commit(f->store), 0);
}

/* s_receive - everything the router gets within a deadline, up to max; ids in out. */
static int
s_receive(fx_t *f, outbox_t *o, int64_t *clock, int max, uint64_t *out)
{
	int n = 0;
	int64_t deadline = now_ms() + 3000;

	while (n < max && now_ms() < deadline) {
		unsigned char rid[256];
		size_t ridlen, len;
		char *buf, err[128];
		msg_t m;

		outbox_pump(o, *clock);
		zmq_poll(&(zmq_pollitem_t){ f->router, 0, ZMQ_POLLIN, 0 }, 1, 20);
		while (n < max && bus_recv_raw(f->router, 1, rid, &ridlen, &buf, &len) == 1) {
			assert_int_equal(msg_decode(buf, len, &m, err, sizeof(err)), 0);
			out[n++] = m.id;
			msg_free(&m);
			free(buf);
		}
	}
	return n;
}

/* test_window_ack_resend - at most window in flight; acked ones never come again; unacked ones do. */
static void
test_window_ack_resend(void **state)
{
	fx_t *f = *state;
	outbox_t *o = outbox_new(f->store, f->dealer, 2, 1000, "outbox");
	uint64_t ids[5], got[10];
	int64_t clock = 0;
	msg_ack_t ack;

	s_put(f, o, 5, ids);
	assert_int_equal(outbox_pending(o), 5);
	assert_int_equal(s_receive(f, o, &clock, 10, got), 2); /* the window holds the rest */
	assert_int_equal(got[0], ids[0]);
	assert_int_equal(got[1], ids[1]);
	ack = (msg_ack_t){ 1, &ids[0] };
	assert_int_equal(outbox_acked(o, &ack), 0);
	assert_int_equal(outbox_pending(o), 4);
	assert_int_equal(s_receive(f, o, &clock, 10, got), 1);
	assert_int_equal(got[0], ids[2]); /* one slot freed: the next one, not a resend */
	clock += 1000;                    /* ids[1] and ids[2] are now overdue */
	assert_int_equal(s_receive(f, o, &clock, 10, got), 2);
	assert_true((got[0] == ids[1] && got[1] == ids[2]) || (got[0] == ids[2] && got[1] == ids[1]));
	assert_int_equal(outbox_resent(o), 2);
	outbox_destroy(&o);
}

/* test_restart_resends_pending - a new outbox over the same table sends what was never acknowledged. */
static void
test_restart_resends_pending(void **state)
{
	fx_t *f = *state;
	outbox_t *o = outbox_new(f->store, f->dealer, 8, 60000, "outbox");
	uint64_t ids[3], got[10];
	int64_t clock = 0;
	msg_ack_t ack;

	s_put(f, o, 3, ids);
	assert_int_equal(s_receive(f, o, &clock, 10, got), 3);
	ack = (msg_ack_t){ 1, &ids[1] };
	assert_int_equal(outbox_acked(o, &ack), 0);
	outbox_destroy(&o); /* the process "dies" */
	o = outbox_new(f->store, f->dealer, 8, 60000, "outbox");
	assert_int_equal(outbox_pending(o), 2);
	assert_int_equal(s_receive(f, o, &clock, 10, got), 2);
	assert_int_equal(got[0], ids[0]);
	assert_int_equal(got[1], ids[2]);
	outbox_destroy(&o);
}

/* test_rollback_leaves_nothing - a message put in a rolled-back transaction is never sent. */
static void
test_rollback_leaves_nothing(void **state)
{
	fx_t *f = *state;
	outbox_t *o = outbox_new(f->store, f->dealer, 8, 1000, "outbox");
	uint64_t payload = 1, got[4];
	msg_t m = { .type = MSG_T_ACK, .u.ack = { 1, &payload } };
	int64_t clock = 0;

	assert_int_equal(store_begin(f->store), 0);
	assert_int_equal(outbox_put(o, &m), 0);
	store_rollback(f->store);
	assert_int_equal(store_int(f->store, "SELECT count(*) FROM outbox", -1), 0);
	outbox_destroy(&o);
	o = outbox_new(f->store, f->dealer, 8, 1000, "outbox");
	assert_int_equal(outbox_pending(o), 0);
	assert_int_equal(s_receive(f, o, &clock, 4, got), 0);
	outbox_destroy(&o);
}

/* test_store_migrations - versions apply once, in order; a newer database is refused. */
static void
test_store_migrations(void **state)
{
	fx_t *f = *state;
	static const char *const two[] = { "CREATE TABLE a (x);", "CREATE TABLE b (y); INSERT INTO b VALUES (7);" };
	char db[128];
	store_t *s;

	snprintf(db, sizeof(db), "%s/m.db", f->dir);
	s = store_open(db, two, 1);
	assert_non_null(s);
	assert_int_equal(store_int(s, "PRAGMA user_version", -1), 1);
	store_close(&s);
	s = store_open(db, two, 2);
	assert_int_equal(store_int(s, "SELECT y FROM b", -1), 7);
	assert_int_equal(store_int(s, "PRAGMA user_version", -1), 2);
	assert_int_equal(store_int(s, "SELECT journal_mode = 'wal' FROM pragma_journal_mode", -1), 1);
	store_close(&s);
	s = store_open(db, two, 2); /* again: nothing re-applied */
	assert_int_equal(store_int(s, "SELECT count(*) FROM b", -1), 1);
	store_close(&s);
	assert_null(store_open(db, two, 1)); /* the database is newer than the program */
}

/* test_sb_escaping - JSON and CSV escaping of hostile text. */
static void
test_sb_escaping(void **state)
{
	sb_t b;

	(void)state;
	sb_init(&b);
	sb_json_str(&b, "a\"b\\c\nd\re\x01 Đức");
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\nd\\re\\u0001 Đức\"");
	sb_free(&b);
	sb_csv_field(&b, "Công ty \"An\", Bắc Kạn\nline");
	assert_string_equal(b.data, "\"Công ty \"\"An\"\", Bắc Kạn\nline\"");
	sb_free(&b);
	sb_csv_field(&b, "plain");
	assert_string_equal(b.data, "plain");
	sb_free(&b);
}

/* test_write_atomic - the file is replaced whole and no temp file is left. */
static void
test_write_atomic(void **state)
{
	fx_t *f = *state;
	char path[128], buf[200], cmd[260];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/sub/dir/r.csv", f->dir);
	snprintf(buf, sizeof(buf), "%s/sub/dir", f->dir);
	assert_int_equal(fs_mkdirs(buf), 0);
	assert_int_equal(fs_write_atomic(path, "old\n", 4), 0);
	assert_int_equal(fs_write_atomic(path, "new content\n", 12), 0);
	fp = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	assert_int_equal(n, 12);
	assert_memory_equal(buf, "new content\n", 12);
	snprintf(cmd, sizeof(cmd), "test $(ls %s/sub/dir | wc -l) -eq 1", f->dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_window_ack_resend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_resends_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_migrations, setup, teardown),
		cmocka_unit_test(test_sb_escaping),
		cmocka_unit_test_setup_teardown(test_write_atomic, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
