/* test_worker - the worker skeleton (common/worker.c) running a minimal
 * worker "ingest" (a stand-in) through worker_main in a forked child, in a temp var dir with
 * the shipped configuration. From the parent, over the real sockets:
 * a message is acknowledged only after its transaction committed; bad
 * messages are counted and survived; the control socket answers "status"
 * and the worker's own commands; a second worker of the name is refused;
 * SIGTERM stops it cleanly; the status file, the lock and the private
 * run/ and db/ directories; a failing on_message acknowledges nothing; an
 * output's outbox is pumped and its acknowledgements taken. Every wait polls
 * a condition with a deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "shipped.h"

#include "bus.h"
#include "fsutil.h"
#include "log.h"
#include "msg.h"
#include "outbox.h"
#include "store.h"
#include "worker.h"

/* --- the test worker "ingest": stores every FILE_DONE it gets into table got;
 * with an output it forwards each one through its outbox. A message whose
 * status is "fail" is stored and then refused with -1 (so the burst rolls back). */

static const char *const s_migrations[] = {
	OUTBOX_SCHEMA,
	"CREATE TABLE got (id INTEGER NOT NULL, file_id TEXT, agency TEXT, status TEXT);",
};
static int s_state_token;

static int
t_init(worker_t *w)
{
	w->state = &s_state_token;
	return 0;
}

static int
t_on_message(worker_t *w, const msg_t *m)
{
	sqlite3_stmt *st = store_stmt(w->store, "INSERT INTO got (id, file_id, agency, status) VALUES (?, ?, ?, ?)");
	int fail = m->type == MSG_T_FILE_DONE && strcmp(m->u.done.status, "fail") == 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)m->id);
	if (m->type == MSG_T_FILE_DONE) {
		sqlite3_bind_text(st, 2, m->u.done.file_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, m->u.done.agency, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, m->u.done.status, -1, SQLITE_STATIC);
	}
	if (store_step_done(w->store, st) != 0)
		return -1;
	if (fail)
		return -1;
	if (w->outbox != NULL && m->type == MSG_T_FILE_DONE) {
		msg_t out = { .version = MSG_VERSION, .type = MSG_T_FILE_DONE };

		out.u.done = m->u.done;
		out.u.done.status = "forwarded";
		if (outbox_put(w->outbox, &out) != 0)
			return -1;
	}
	return 0;
}

static int
t_on_control(worker_t *w, const char *cmd, char *const *args, int nargs, sb_t *out)
{
	if (strcmp(cmd, "echo") == 0) {
		sb_add(out, "echo:");
		for (int i = 0; i < nargs; i++) {
			sb_add(out, i ? "," : "");
			sb_add(out, args[i]);
		}
		return 0;
	}
	if (strcmp(cmd, "rows") == 0) {
		sb_addf(out, "%lld", store_int(w->store, "SELECT count(*) FROM got", -1));
		return 0;
	}
	if (strcmp(cmd, "boom") == 0) {
		sb_add(out, "it failed");
		return 2;
	}
	sb_addf(out, "unknown command %s", cmd);
	return 1;
}

static void
t_status(worker_t *w, sb_t *json)
{
	sb_addf(json, ",\"t_rows\":%lld", store_int(w->store, "SELECT count(*) FROM got", -1));
}

static void
t_fini(worker_t *w)
{
	w->state = NULL;
}

static const struct worker_ops s_ops_plain = {
	.name = "ingest",
	.migrations = s_migrations,
	.nmigrations = 2,
	.input = "ingest",
	.outputs = { NULL },
	.init = t_init,
	.on_message = t_on_message,
	.on_control = t_on_control,
	.status = t_status,
	.fini = t_fini,
	.tick_ms = 50,
};

/* with one output, "sink", and no commands of its own */
static const struct worker_ops s_ops_out = {
	.name = "ingest",
	.migrations = s_migrations,
	.nmigrations = 2,
	.input = "ingest",
	.outputs = { "sink", NULL },
	.init = t_init,
	.on_message = t_on_message,
	.status = t_status,
	.fini = t_fini,
	.tick_ms = 50,
};

/* --- fixture */

typedef struct {
	char var[64];
	char cfg[PATH_MAX + 32];
	char data_ep[300], ctl_ep[300];
	pid_t pid;
	void *ctx;
	void *socks[8];
	int nsocks;
} fx_t;

static int
setup(void **state)
{
	fx_t *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->var, sizeof(f->var), "/tmp/bhxh-ut.XXXXXX");
	assert_non_null(mkdtemp(f->var));
	shipped_path(f->cfg, sizeof(f->cfg), "bhxh.yaml");
	assert_int_equal(bus_endpoint(f->data_ep, sizeof(f->data_ep), f->var, "ingest"), 0);
	assert_int_equal(bus_ctl_endpoint(f->ctl_ep, sizeof(f->ctl_ep), f->var, "ingest"), 0);
	*state = f;
	return 0;
}

/* s_reap - wait up to timeout_ms for pid to exit; its wait status, or -1. */
static int
s_reap(pid_t pid, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 || now_ms() >= deadline)
			return -1;
		zmq_poll(NULL, 0, 10);
	}
}

static int
teardown(void **state)
{
	fx_t *f = *state;
	char cmd[200];
	int status = 0;

	for (int i = 0; i < f->nsocks; i++)
		zmq_close(f->socks[i]);
	if (f->ctx != NULL)
		zmq_ctx_term(f->ctx);
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		status = s_reap(f->pid, 10000);
		if (status == -1) {
			kill(f->pid, SIGKILL);
			waitpid(f->pid, NULL, 0);
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->var);
	assert_int_equal(system(cmd), 0);
	free(f);
	/* every worker stops cleanly on SIGTERM (under the sanitizers: no
	 * report and no leak in it either) */
	assert_true(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return 0;
}

/* s_spawn - fork a worker with ops on f's var dir; its pid. Its log goes to VAR/NAME. */
static pid_t
s_spawn(fx_t *f, const struct worker_ops *ops, const char *log_name)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char logp[128];
		char *argv[] = { "ingest", "--config", f->cfg, "--var-dir", f->var, NULL };
		int fd, rc;

		snprintf(logp, sizeof(logp), "%s/%s", f->var, log_name);
		fd = open(logp, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		/* the test process has threads (ZeroMQ's): after fork() the child
		 * leaves by _exit, not running the parent's exit handlers (the leak
		 * checker's among them, which would judge the parent's memory) */
		rc = worker_main(5, argv, ops);
		fflush(NULL);
		_exit(rc);
	}
	return pid;
}

/* s_request - one control request; code, and the body (malloc'd) or NULL. */
static char *
s_request(fx_t *f, const char *cmd, char *const *args, int nargs, int64_t *code)
{
	char err[200], *body = NULL;

	if (bus_request(f->ctl_ep, cmd, args, nargs, 2000, code, &body, err, sizeof(err)) != 0)
		return NULL;
	return body;
}

/* s_status - the status answer (malloc'd), or NULL if none came. */
static char *
s_status(fx_t *f)
{
	int64_t code = -1;
	char *body = s_request(f, "status", NULL, 0, &code);

	if (body != NULL && code != 0) {
		free(body);
		return NULL;
	}
	return body;
}

/* s_json_num - the number after "key": in json, or LLONG_MIN. */
static long long
s_json_num(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = json != NULL ? strstr(json, pat) : NULL;
	return p != NULL ? strtoll(p + strlen(pat), NULL, 10) : LLONG_MIN;
}

/* s_status_num - the status field key now, or LLONG_MIN. */
static long long
s_status_num(fx_t *f, const char *key)
{
	char *st = s_status(f);
	long long v = s_json_num(st, key);

	free(st);
	return v;
}

/* s_wait_num - wait until the status field key equals want; 1, or 0 at the deadline. */
static int
s_wait_num(fx_t *f, const char *key, long long want, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		char *st = s_status(f);
		long long v = s_json_num(st, key);

		free(st);
		if (v == want)
			return 1;
		if (now_ms() >= deadline)
			return 0;
		zmq_poll(NULL, 0, 20);
	}
}

/* s_wait_has - wait until the status answer contains text; 1, or 0 at the deadline. */
static int
s_wait_has(fx_t *f, const char *text, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		char *st = s_status(f);
		int has = st != NULL && strstr(st, text) != NULL;

		free(st);
		if (has)
			return 1;
		if (now_ms() >= deadline)
			return 0;
		zmq_poll(NULL, 0, 20);
	}
}

/* s_start - spawn a worker and wait until it answers "status"; then a
 * context and a DEALER connected to its input for the test. */
static void
s_start(fx_t *f, const struct worker_ops *ops)
{
	const char *eps[1] = { f->data_ep };

	f->pid = s_spawn(f, ops, "t.log");
	if (!s_wait_has(f, "\"name\":\"ingest\"", 15000)) {
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "head -40 %s/t.log >&2", f->var);
		if (system(cmd) != 0)
			fprintf(stderr, "(no log)\n");
		fail_msg("the worker did not answer status");
	}
	if (f->ctx == NULL)
		f->ctx = zmq_ctx_new();
	assert_non_null(f->ctx);
	f->socks[f->nsocks] = bus_dealer_connect(f->ctx, eps, 1);
	assert_non_null(f->socks[f->nsocks]);
	f->nsocks++;
}

/* s_send - send m on sock, retried while the connection comes up. */
static void
s_send(void *sock, const msg_t *m)
{
	int64_t deadline = now_ms() + 5000;

	while (bus_send_msg(sock, NULL, 0, m) != 0) {
		assert_int_equal(errno, EAGAIN);
		assert_true(now_ms() < deadline);
		zmq_poll(NULL, 0, 10);
	}
}

/* s_send_raw - send bytes on sock, retried while the connection comes up. */
static void
s_send_raw(void *sock, const void *buf, size_t len)
{
	int64_t deadline = now_ms() + 5000;

	while (bus_send_raw(sock, NULL, 0, buf, len) != 0) {
		assert_int_equal(errno, EAGAIN);
		assert_true(now_ms() < deadline);
		zmq_poll(NULL, 0, 10);
	}
}

/* s_done - a FILE_DONE with this id and status. */
static msg_t
s_done(uint64_t id, const char *file_id, const char *status)
{
	msg_t m = { .version = MSG_VERSION, .type = MSG_T_FILE_DONE, .id = id };

	m.u.done = (msg_file_done_t){ .file_id = (char *)file_id, .file_no = id, .agency = "bhxh",
		.status = (char *)status };
	return m;
}

/* s_recv_msg - the next message on sock within timeout_ms, decoded (ROUTER: rid
 * stored); 1, or 0 if none came. */
static int
s_recv_msg(void *sock, int router, int timeout_ms, unsigned char *rid, size_t *ridlen, msg_t *m)
{
	int64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		char *buf = NULL, err[160];
		size_t len;
		int rc = bus_recv_raw(sock, router, rid, ridlen, &buf, &len);

		if (rc == 1) {
			rc = msg_decode(buf, len, m, err, sizeof(err));
			free(buf);
			if (rc != 0)
				fail_msg("undecodable message from the worker: %s", err);
			return 1;
		}
		if (now_ms() >= deadline)
			return 0;
		zmq_poll(&(zmq_pollitem_t){ sock, 0, ZMQ_POLLIN, 0 }, 1, 20);
	}
}

/* s_db_int - one value from the worker's database through a connection of our own. */
static long long
s_db_int(fx_t *f, const char *sql)
{
	char path[128];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = LLONG_MIN;

	snprintf(path, sizeof(path), "%s/db/ingest.db", f->var);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_busy_timeout(db, 5000);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

/* s_mode - the permission bits of VAR/rel. */
static int
s_mode(fx_t *f, const char *rel)
{
	char path[200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", f->var, rel);
	if (stat(path, &st) != 0)
		return -1;
	return (int)(st.st_mode & 07777);
}

/* --- tests */

/* test_ack_after_store - every message is acknowledged once, and each
 * acknowledged id is already in the table when its ACK arrives; more than a
 * burst (64) at once. */
static void
test_ack_after_store(void **state)
{
	fx_t *f = *state;
	enum { N = 150 };
	static int acked[N + 1];
	int nacked = 0;
	int64_t deadline;
	void *d;

	s_start(f, &s_ops_plain);
	d = f->socks[0];
	memset(acked, 0, sizeof(acked));
	for (uint64_t id = 1; id <= N; id++) {
		char fid[32];
		msg_t m;

		snprintf(fid, sizeof(fid), "file-%llu", (unsigned long long)id);
		m = s_done(id, fid, "applied");
		s_send(d, &m);
	}
	deadline = now_ms() + 15000;
	while (nacked < N && now_ms() < deadline) {
		msg_t ack;
		long long stored;

		if (!s_recv_msg(d, 0, 1000, NULL, NULL, &ack))
			continue;
		assert_int_equal(ack.type, MSG_T_ACK);
		assert_true(ack.u.ack.nids >= 1);
		assert_true(ack.u.ack.nids <= 64);
		/* the acknowledged ids are stored by now: their transaction committed */
		for (uint32_t i = 0; i < ack.u.ack.nids; i++) {
			uint64_t id = ack.u.ack.ids[i];
			char sql[120];

			assert_true(id >= 1 && id <= N);
			assert_int_equal(acked[id], 0); /* once */
			acked[id] = 1;
			nacked++;
			snprintf(sql, sizeof(sql), "SELECT count(*) FROM got WHERE id = %llu AND file_id = 'file-%llu'",
			    (unsigned long long)id, (unsigned long long)id);
			stored = s_db_int(f, sql);
			assert_int_equal(stored, 1);
		}
		msg_free(&ack);
	}
	assert_int_equal(nacked, N);
	assert_true(s_wait_num(f, "msgs_in", N, 5000));
	assert_int_equal(s_db_int(f, "SELECT count(*) FROM got"), N);
}

/* test_bad_messages_counted - bytes that are no message, an ACK and a
 * control request on the data socket, and garbage on the control socket are
 * counted in bad_msgs; nothing of them is stored; the worker goes on. */
static void
test_bad_messages_counted(void **state)
{
	fx_t *f = *state;
	uint64_t one = 1;
	msg_t ack = { .version = MSG_VERSION, .type = MSG_T_ACK, .id = 9, .u.ack = { 1, &one } };
	msg_t req = { .version = MSG_VERSION, .type = MSG_T_CTL_REQ, .id = 10, .u.req = { "status", 0, NULL } };
	msg_t good = s_done(11, "good", "applied"), got;
	const char *ceps[1] = { f->ctl_ep };
	void *d, *c;

	s_start(f, &s_ops_plain);
	d = f->socks[0];
	assert_int_equal(s_status_num(f, "bad_msgs"), 0);
	s_send_raw(d, "\x93\x01\x02 not msgpack", 14);
	s_send(d, &ack);
	s_send(d, &req);
	assert_true(s_wait_num(f, "bad_msgs", 3, 5000));
	c = bus_dealer_connect(f->ctx, ceps, 1);
	assert_non_null(c);
	f->socks[f->nsocks++] = c;
	s_send_raw(c, "garbage on the control socket", 29);
	s_send(c, &good); /* a message, but not a request */
	assert_true(s_wait_num(f, "bad_msgs", 5, 5000));
	/* alive and working: a good message is acknowledged and stored */
	s_send(d, &good);
	assert_true(s_recv_msg(d, 0, 5000, NULL, NULL, &got));
	assert_int_equal(got.type, MSG_T_ACK);
	assert_int_equal(got.u.ack.nids, 1);
	assert_int_equal(got.u.ack.ids[0], 11);
	msg_free(&got);
	assert_int_equal(s_db_int(f, "SELECT count(*) FROM got"), 1);
	assert_true(s_wait_num(f, "msgs_in", 1, 5000));
	assert_true(s_wait_num(f, "bad_msgs", 5, 1000));
	assert_int_equal(waitpid(f->pid, NULL, WNOHANG), 0); /* still running */
}

/* test_status_answer - "status" is JSON with the name, the worker's pid, its
 * state, the counters and the worker's own fields; the same goes to
 * VAR/run/ingest.status; run/ and db/ are private even if they existed before. */
static void
test_status_answer(void **state)
{
	fx_t *f = *state;
	char path[200], pidtext[32], *st, *file;
	msg_t m = s_done(3, "x", "applied"), got;
	int64_t deadline;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/run", f->var);
	assert_int_equal(mkdir(path, 0755), 0); /* too open: the worker tightens it */
	s_start(f, &s_ops_plain);
	st = s_status(f);
	assert_non_null(st);
	assert_int_equal(st[0], '{');
	assert_int_equal(st[strlen(st) - 1], '}');
	assert_non_null(strstr(st, "\"name\":\"ingest\""));
	assert_int_equal(s_json_num(st, "pid"), f->pid);
	assert_non_null(strstr(st, "\"state\":\"ready\""));
	assert_int_equal(s_json_num(st, "msgs_in"), 0);
	assert_int_equal(s_json_num(st, "bad_msgs"), 0);
	assert_int_equal(s_json_num(st, "outbox"), 0);
	assert_non_null(strstr(st, "\"last_error\":null"));
	assert_int_equal(s_json_num(st, "t_rows"), 0); /* the worker's own field */
	free(st);
	assert_int_equal(s_mode(f, "run"), 0700);
	assert_int_equal(s_mode(f, "db"), 0700);
	assert_int_equal(s_mode(f, "db/ingest.db"), 0640); /* umask 027 */
	/* the lock file names the holder */
	snprintf(path, sizeof(path), "%s/run/ingest.lock", f->var);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(pidtext, sizeof(pidtext), fp));
	fclose(fp);
	assert_int_equal(atoi(pidtext), f->pid);
	/* the status file: written at start, rewritten after a message */
	s_send(f->socks[0], &m);
	assert_true(s_recv_msg(f->socks[0], 0, 5000, NULL, NULL, &got));
	msg_free(&got);
	snprintf(path, sizeof(path), "%s/run/ingest.status", f->var);
	deadline = now_ms() + 5000;
	for (file = NULL;; free(file)) {
		size_t n = 0;

		fp = fopen(path, "r");
		file = NULL;
		if (fp != NULL) {
			file = calloc(1, 4096);
			assert_non_null(file);
			n = fread(file, 1, 4095, fp);
			fclose(fp);
		}
		if (n > 0 && s_json_num(file, "msgs_in") == 1)
			break;
		assert_true(now_ms() < deadline);
		zmq_poll(NULL, 0, 20);
	}
	assert_non_null(strstr(file, "\"name\":\"ingest\""));
	assert_int_equal(s_json_num(file, "pid"), f->pid);
	assert_int_equal(s_json_num(file, "t_rows"), 1);
	free(file);
	assert_int_equal(s_mode(f, "run/ingest.status"), 0640);
}

/* test_own_command - the worker's commands through on_control, with their
 * arguments and codes; "status" stays the skeleton's. */
static void
test_own_command(void **state)
{
	fx_t *f = *state;
	char *const args[] = { "a", "Bắc Kạn", "" };
	int64_t code = -1;
	char *body;

	s_start(f, &s_ops_plain);
	body = s_request(f, "echo", args, 3, &code);
	assert_non_null(body);
	assert_int_equal(code, 0);
	assert_string_equal(body, "echo:a,Bắc Kạn,");
	free(body);
	body = s_request(f, "echo", NULL, 0, &code);
	assert_string_equal(body, "echo:");
	free(body);
	body = s_request(f, "boom", NULL, 0, &code);
	assert_int_equal(code, 2);
	assert_string_equal(body, "it failed");
	free(body);
	body = s_request(f, "nonsense", NULL, 0, &code);
	assert_int_equal(code, 1);
	assert_string_equal(body, "unknown command nonsense");
	free(body);
	body = s_request(f, "rows", NULL, 0, &code); /* it may use its store */
	assert_int_equal(code, 0);
	assert_string_equal(body, "0");
	free(body);
}

/* test_no_commands - a worker without on_control answers its commands "unknown", code 1. */
static void
test_no_commands(void **state)
{
	fx_t *f = *state;
	int64_t code = -1;
	char *body;

	s_start(f, &s_ops_out);
	body = s_request(f, "echo", NULL, 0, &code);
	assert_non_null(body);
	assert_int_equal(code, 1);
	assert_non_null(strstr(body, "unknown command"));
	free(body);
}

/* test_second_worker_locked - a second "ingest" on the same var dir exits with
 * WORKER_EXIT_LOCKED and takes nothing from the first, which keeps working. */
static void
test_second_worker_locked(void **state)
{
	fx_t *f = *state;
	msg_t m = s_done(5, "y", "applied"), got;
	int status;
	pid_t second;
	char *st;

	s_start(f, &s_ops_plain);
	second = s_spawn(f, &s_ops_plain, "t2.log");
	status = s_reap(second, 15000);
	if (status == -1) {
		kill(second, SIGKILL);
		waitpid(second, NULL, 0);
		fail_msg("the second worker did not exit");
	}
	if (!WIFEXITED(status)) { /* say why: the signal, and what the worker logged */
		char logp[128], line[512];
		FILE *lf;

		snprintf(logp, sizeof(logp), "%s/t2.log", f->var);
		fprintf(stderr, "the second worker ended by signal %d; its log:\n",
		    WIFSIGNALED(status) ? WTERMSIG(status) : -1);
		if ((lf = fopen(logp, "r")) != NULL) {
			while (fgets(line, sizeof(line), lf) != NULL)
				fputs(line, stderr);
			fclose(lf);
		}
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), WORKER_EXIT_LOCKED);
	st = s_status(f);
	assert_int_equal(s_json_num(st, "pid"), f->pid); /* the control socket is still the first's */
	free(st);
	s_send(f->socks[0], &m);
	assert_true(s_recv_msg(f->socks[0], 0, 5000, NULL, NULL, &got));
	assert_int_equal(got.type, MSG_T_ACK);
	assert_int_equal(got.u.ack.ids[0], 5);
	msg_free(&got);
	assert_int_equal(s_db_int(f, "SELECT count(*) FROM got WHERE id = 5"), 1);
}

/* test_sigterm_stops - SIGTERM: exit status 0, the status file says stopped. */
static void
test_sigterm_stops(void **state)
{
	fx_t *f = *state;
	char path[200], buf[4096] = "";
	int status;
	FILE *fp;

	s_start(f, &s_ops_plain);
	assert_int_equal(kill(f->pid, SIGTERM), 0);
	status = s_reap(f->pid, 10000);
	assert_true(status != -1);
	f->pid = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	snprintf(path, sizeof(path), "%s/run/ingest.status", f->var);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_true(fread(buf, 1, sizeof(buf) - 1, fp) > 0);
	fclose(fp);
	assert_non_null(strstr(buf, "\"state\":\"stopped\""));
	/* and a new worker can take the var dir again */
	s_start(f, &s_ops_plain);
	assert_int_equal(s_status_num(f, "pid"), f->pid);
}

/* test_failed_message_not_acked - on_message returning -1: its insert is
 * rolled back, no ACK is sent, the status says why; the next message is
 * taken normally and the fault clears. */
static void
test_failed_message_not_acked(void **state)
{
	fx_t *f = *state;
	msg_t bad = s_done(7, "z", "fail"), good = s_done(8, "z", "applied"), got;
	void *d;

	s_start(f, &s_ops_plain);
	d = f->socks[0];
	s_send(d, &bad);
	assert_true(s_wait_has(f, "\"state\":\"retrying\"", 5000));
	assert_true(s_wait_has(f, "cannot store incoming messages", 1000));
	/* the fault is shown only after the rollback, and an ACK goes out only
	 * after a commit: none is on its way */
	assert_false(s_recv_msg(d, 0, 300, NULL, NULL, &got));
	assert_int_equal(s_db_int(f, "SELECT count(*) FROM got"), 0);
	s_send(d, &good);
	assert_true(s_recv_msg(d, 0, 5000, NULL, NULL, &got));
	assert_int_equal(got.type, MSG_T_ACK);
	assert_int_equal(got.u.ack.nids, 1);
	assert_int_equal(got.u.ack.ids[0], 8);
	msg_free(&got);
	assert_int_equal(s_db_int(f, "SELECT count(*) FROM got"), 1);
	assert_int_equal(s_db_int(f, "SELECT count(*) FROM got WHERE id = 7"), 0);
	assert_true(s_wait_has(f, "\"state\":\"ready\"", 5000));
}

/* test_output_outbox - with an output, what on_message puts into the outbox
 * reaches the receiver (bound after the worker started), is counted pending
 * until acknowledged, then deleted; a bad acknowledgement is counted. */
static void
test_output_outbox(void **state)
{
	fx_t *f = *state;
	char sink_ep[300];
	msg_t m = s_done(21, "fwd", "applied"), got, ack;
	unsigned char rid[256];
	size_t ridlen = 0;
	uint64_t id;
	void *sink;

	s_start(f, &s_ops_out);
	s_send(f->socks[0], &m);
	assert_true(s_recv_msg(f->socks[0], 0, 5000, NULL, NULL, &got)); /* taken */
	assert_int_equal(got.type, MSG_T_ACK);
	msg_free(&got);
	assert_true(s_wait_num(f, "outbox", 1, 5000)); /* nobody to send to yet */
	assert_int_equal(s_db_int(f, "SELECT count(*) FROM outbox"), 1);
	assert_int_equal(bus_endpoint(sink_ep, sizeof(sink_ep), f->var, "sink"), 0);
	sink = bus_router_bind(f->ctx, sink_ep);
	assert_non_null(sink);
	f->socks[f->nsocks++] = sink;
	assert_true(s_recv_msg(sink, 1, 10000, rid, &ridlen, &got));
	assert_int_equal(got.type, MSG_T_FILE_DONE);
	assert_string_equal(got.u.done.status, "forwarded");
	assert_string_equal(got.u.done.file_id, "fwd");
	id = got.id;
	msg_free(&got);
	assert_true(s_wait_num(f, "msgs_out", 1, 5000));
	assert_int_equal(s_status_num(f, "outbox"), 1); /* sent, not yet acknowledged */
	/* a bad acknowledgement first, then a real one */
	assert_int_equal(bus_send_raw(sink, rid, ridlen, "junk", 4), 0);
	assert_true(s_wait_num(f, "bad_msgs", 1, 5000));
	ack = (msg_t){ .version = MSG_VERSION, .type = MSG_T_ACK, .u.ack = { 1, &id } };
	assert_int_equal(bus_send_msg(sink, rid, ridlen, &ack), 0);
	assert_true(s_wait_num(f, "outbox", 0, 5000));
	assert_int_equal(s_db_int(f, "SELECT count(*) FROM outbox"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ack_after_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_messages_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_worker_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigterm_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_message_not_acked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_outbox, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
