/* test_store - a worker's SQLite database (common/store.c): migrations
 * recorded in user_version and each applied whole, a newer schema refused,
 * the statement cache, the last failure's code and words, which failures are
 * transient (busy, full) and which are not (overflow, constraint), and
 * store_int's default. Real database files in a temp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "outbox.h"
#include "store.h"

typedef struct {
	char dir[64];
	char db[128];
} fx_t;

static int
setup(void **state)
{
	fx_t *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/bhxh-ut.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/t.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fx_t *f = *state;
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* s_has_table - the database has a table of that name. */
static int
s_has_table(store_t *s, const char *name)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'", name);
	return store_int(s, sql, -1) == 1;
}

static const char *const s_mig[] = {
	"CREATE TABLE a (k INTEGER PRIMARY KEY, v TEXT NOT NULL); INSERT INTO a VALUES (1, 'one');",
	"CREATE TABLE b (x INTEGER); INSERT INTO b VALUES (7);",
	"ALTER TABLE a ADD COLUMN w INTEGER DEFAULT 5; CREATE TABLE c (y);",
};

/* --- migrations */

/* test_open_creates_and_migrates - a new file gets every migration, in WAL mode. */
static void
test_open_creates_and_migrates(void **state)
{
	fx_t *f = *state;
	store_t *s = store_open(f->db, s_mig, 3);

	assert_non_null(s);
	assert_int_equal(access(f->db, F_OK), 0);
	assert_int_equal(store_int(s, "PRAGMA user_version", -1), 3);
	assert_true(s_has_table(s, "a"));
	assert_true(s_has_table(s, "b"));
	assert_true(s_has_table(s, "c"));
	assert_int_equal(store_int(s, "SELECT w FROM a WHERE k = 1", -1), 5);
	assert_int_equal(store_int(s, "SELECT journal_mode = 'wal' FROM pragma_journal_mode", -1), 1);
	assert_int_equal(store_int(s, "PRAGMA foreign_keys", -1), 1);
	assert_int_equal(store_last_rc(s), SQLITE_OK);
	store_close(&s);
	assert_null(s);
	store_close(&s); /* closing NULL is harmless */
}

/* test_reopen_applies_only_missing - an older database gets only the
 * migrations it lacks (re-running the first would fail: its table exists,
 * and its row would be doubled). */
static void
test_reopen_applies_only_missing(void **state)
{
	fx_t *f = *state;
	store_t *s = store_open(f->db, s_mig, 1);

	assert_non_null(s);
	assert_int_equal(store_int(s, "PRAGMA user_version", -1), 1);
	assert_false(s_has_table(s, "b"));
	assert_int_equal(store_exec(s, "INSERT INTO a VALUES (2, 'two')"), 0);
	store_close(&s);

	s = store_open(f->db, s_mig, 3);
	assert_non_null(s);
	assert_int_equal(store_int(s, "PRAGMA user_version", -1), 3);
	assert_int_equal(store_int(s, "SELECT count(*) FROM a", -1), 2); /* data kept, nothing re-run */
	assert_int_equal(store_int(s, "SELECT count(*) FROM b", -1), 1);
	assert_int_equal(store_int(s, "SELECT w FROM a WHERE k = 2", -1), 5);
	store_close(&s);

	s = store_open(f->db, s_mig, 3); /* up to date: nothing applied */
	assert_non_null(s);
	assert_int_equal(store_int(s, "SELECT count(*) FROM b", -1), 1);
	assert_int_equal(store_int(s, "PRAGMA user_version", -1), 3);
	store_close(&s);
}

/* test_newer_schema_refused - a database of a newer program is not opened, and not changed. */
static void
test_newer_schema_refused(void **state)
{
	fx_t *f = *state;
	store_t *s = store_open(f->db, s_mig, 3);

	assert_non_null(s);
	store_close(&s);
	assert_null(store_open(f->db, s_mig, 2));
	assert_null(store_open(f->db, s_mig, 0));
	s = store_open(f->db, s_mig, 3);
	assert_non_null(s);
	assert_int_equal(store_int(s, "PRAGMA user_version", -1), 3);
	assert_int_equal(store_int(s, "SELECT count(*) FROM a", -1), 1);
	store_close(&s);
}

/* test_failing_migration_leaves_nothing - a migration that fails half-way
 * leaves none of its statements and no version bump; the ones before it stay. */
static void
test_failing_migration_leaves_nothing(void **state)
{
	fx_t *f = *state;
	static const char *const bad[] = {
		"CREATE TABLE a (k INTEGER PRIMARY KEY, v TEXT NOT NULL); INSERT INTO a VALUES (1, 'one');",
		"CREATE TABLE b (x INTEGER); INSERT INTO b VALUES (7);",
		"CREATE TABLE half (z); INSERT INTO half VALUES (1); UPDATE a SET v = 'changed';"
		" INSERT INTO a VALUES (1, 'duplicate key');",
	};
	static const char *const fixed[] = {
		"CREATE TABLE a (k INTEGER PRIMARY KEY, v TEXT NOT NULL); INSERT INTO a VALUES (1, 'one');",
		"CREATE TABLE b (x INTEGER); INSERT INTO b VALUES (7);",
		"CREATE TABLE half (z); INSERT INTO half VALUES (1); UPDATE a SET v = 'changed';",
	};
	store_t *s;

	assert_null(store_open(f->db, bad, 3));
	s = store_open(f->db, bad, 2); /* the first two were applied, each in its own transaction */
	assert_non_null(s);
	assert_int_equal(store_int(s, "PRAGMA user_version", -1), 2);
	assert_false(s_has_table(s, "half"));
	assert_int_equal(store_int(s, "SELECT count(*) FROM a WHERE v = 'one'", -1), 1);
	store_close(&s);
	assert_null(store_open(f->db, bad, 3)); /* fails the same way again */
	s = store_open(f->db, fixed, 3);       /* a corrected program goes on */
	assert_non_null(s);
	assert_int_equal(store_int(s, "PRAGMA user_version", -1), 3);
	assert_int_equal(store_int(s, "SELECT count(*) FROM half", -1), 1);
	assert_int_equal(store_int(s, "SELECT count(*) FROM a WHERE v = 'changed'", -1), 1);
	store_close(&s);
}

/* test_open_refused - no directory, or a file that is not a database. */
static void
test_open_refused(void **state)
{
	fx_t *f = *state;
	char path[200];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/nodir/t.db", f->dir);
	assert_null(store_open(path, s_mig, 1));
	snprintf(path, sizeof(path), "%s/text.db", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite database, only text\n", fp);
	fclose(fp);
	assert_null(store_open(path, s_mig, 1));
}

/* --- statements */

/* test_stmt_cache - one statement per SQL pointer, handed out reset and with
 * its bindings cleared; a statement that does not prepare is NULL with the reason. */
static void
test_stmt_cache(void **state)
{
	fx_t *f = *state;
	static const char q_bind[] = "SELECT ?1";
	static const char q_rows[] = "SELECT k FROM a ORDER BY k";
	char copy[sizeof(q_bind)];
	store_t *s = store_open(f->db, s_mig, 1);
	sqlite3_stmt *st, *st2;

	assert_non_null(s);
	assert_int_equal(store_exec(s, "INSERT INTO a VALUES (2, 'two'), (3, 'three')"), 0);
	st = store_stmt(s, q_bind);
	assert_non_null(st);
	sqlite3_bind_int(st, 1, 41);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 41);
	st2 = store_stmt(s, q_bind);
	assert_ptr_equal(st2, st); /* cached */
	assert_int_equal(sqlite3_step(st2), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(st2, 0), SQLITE_NULL); /* bindings cleared */
	/* the same text at another address is another statement */
	memcpy(copy, q_bind, sizeof(copy));
	assert_ptr_not_equal(store_stmt(s, copy), st);
	/* reset: a statement left mid-way starts again from its first row */
	st = store_stmt(s, q_rows);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2);
	st = store_stmt(s, q_rows);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	sqlite3_reset(st);
	/* a mistake in the SQL */
	store_clear_rc(s);
	assert_null(store_stmt(s, "SELECT x FROM no_such_table"));
	assert_int_equal(store_last_rc(s), SQLITE_ERROR);
	assert_non_null(strstr(store_last_msg(s), "no_such_table"));
	store_close(&s);
}

/* test_stmt_many - many distinct cached statements all work and are finalised at close. */
static void
test_stmt_many(void **state)
{
	fx_t *f = *state;
	static char sql[80][40];
	store_t *s = store_open(f->db, s_mig, 1);

	assert_non_null(s);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 80; i++) {
			sqlite3_stmt *st;

			snprintf(sql[i], sizeof(sql[i]), "SELECT %d + k FROM a", i);
			st = store_stmt(s, sql[i]);
			assert_non_null(st);
			assert_int_equal(sqlite3_step(st), SQLITE_ROW);
			assert_int_equal(sqlite3_column_int(st, 0), i + 1);
		}
	store_close(&s); /* one left unfinalised would keep the handle open: a leak under the sanitizers */
}

/* test_stmt_cache_outbox_made_again - an outbox caches statements over SQL
 * it allocates and frees with itself. Outboxes made and destroyed one after
 * another over one store, alternating two tables: each message lands whole
 * in its own table under the id it was given (a statement cached for a freed
 * string is never handed out for the next string at that address), and the
 * cache does not fill up. */
static void
test_stmt_cache_outbox_made_again(void **state)
{
	fx_t *f = *state;
	static const char *const mig[] = { OUTBOX_SCHEMA OUTBOX_TABLE("outbox_b") };
	store_t *s = store_open(f->db, mig, 1);

	assert_non_null(s);
	for (int i = 0; i < 60; i++) {
		const char *table = i % 2 ? "outbox_b" : "outbox";
		outbox_t *o = outbox_new(s, NULL, 8, 1000, table);
		uint64_t payload = 500 + (uint64_t)i;
		msg_t m = { .version = MSG_VERSION, .type = MSG_T_ACK, .u.ack = { 1, &payload } }, got;
		msg_ack_t ack;
		sqlite3_stmt *st;
		char sql[120], err[160];

		assert_non_null(o);
		assert_int_equal(store_begin(s), 0);
		assert_int_equal(outbox_put(o, &m), 0);
		assert_int_equal(store_commit(s), 0);
		assert_int_equal(outbox_pending(o), 1);
		snprintf(sql, sizeof(sql), "SELECT body FROM %s WHERE id = %llu", table, (unsigned long long)m.id);
		assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL), SQLITE_OK);
		if (sqlite3_step(st) != SQLITE_ROW)
			fail_msg("round %d: message %llu is not in %s", i, (unsigned long long)m.id, table);
		assert_int_equal(msg_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &got, err,
		    sizeof(err)), 0);
		sqlite3_finalize(st);
		assert_int_equal(got.type, MSG_T_ACK);
		assert_int_equal(got.id, m.id);
		assert_int_equal(got.u.ack.ids[0], payload);
		msg_free(&got);
		ack = (msg_ack_t){ 1, &m.id };
		assert_int_equal(outbox_acked(o, &ack), 0);
		assert_int_equal(outbox_pending(o), 0);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
		assert_int_equal(store_int(s, sql, -1), 0);
		outbox_destroy(&o);
	}
	store_close(&s);
}

/* --- transactions */

/* test_transactions - begin/commit keeps, begin/rollback undoes; rollback outside one is harmless. */
static void
test_transactions(void **state)
{
	fx_t *f = *state;
	store_t *s = store_open(f->db, s_mig, 1);

	assert_non_null(s);
	store_rollback(s);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_exec(s, "INSERT INTO a VALUES (2, 'two')"), 0);
	store_rollback(s);
	assert_int_equal(store_int(s, "SELECT count(*) FROM a", -1), 1);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_exec(s, "INSERT INTO a VALUES (3, 'three')"), 0);
	assert_int_equal(store_commit(s), 0);
	store_close(&s);
	s = store_open(f->db, s_mig, 1);
	assert_int_equal(store_int(s, "SELECT count(*) FROM a", -1), 2);
	store_close(&s);
}

/* --- failures: code, words, transient or not */

#define OVERFLOW_SQL "SELECT sum(x) FROM (SELECT 9223372036854775807 AS x UNION ALL SELECT 9223372036854775806)"

/* test_overflow_is_permanent - an integer overflow, through store_exec and
 * through a cached statement: SQLITE_ERROR, "integer overflow", not transient;
 * the code stays until cleared. */
static void
test_overflow_is_permanent(void **state)
{
	fx_t *f = *state;
	static const char q[] = OVERFLOW_SQL;
	store_t *s = store_open(f->db, s_mig, 1);
	sqlite3_stmt *st;

	assert_non_null(s);
	assert_int_equal(store_last_rc(s), SQLITE_OK);
	assert_int_equal(store_exec(s, OVERFLOW_SQL), -1);
	assert_int_equal(store_last_rc(s), SQLITE_ERROR);
	assert_non_null(strstr(store_last_msg(s), "integer overflow"));
	assert_false(store_rc_transient(store_last_rc(s)));
	/* a later success does not hide it */
	assert_int_equal(store_exec(s, "SELECT 1"), 0);
	assert_int_equal(store_last_rc(s), SQLITE_ERROR);
	store_clear_rc(s);
	assert_int_equal(store_last_rc(s), SQLITE_OK);
	assert_string_equal(store_last_msg(s), sqlite3_errstr(SQLITE_OK));
	st = store_stmt(s, q);
	assert_non_null(st);
	assert_int_equal(store_step_done(s, st), -1);
	assert_int_equal(store_last_rc(s), SQLITE_ERROR);
	assert_non_null(strstr(store_last_msg(s), "integer overflow"));
	/* near the limit but not over it is fine */
	assert_int_equal(store_int(s, "SELECT sum(x) FROM (SELECT 9223372036854775806 AS x UNION ALL SELECT 1)", -1),
	    INT64_MAX);
	store_close(&s);
}

/* test_constraint_is_permanent - a duplicate key and a NOT NULL: the extended code, not transient. */
static void
test_constraint_is_permanent(void **state)
{
	fx_t *f = *state;
	static const char ins[] = "INSERT INTO a (k, v) VALUES (?, ?)";
	store_t *s = store_open(f->db, s_mig, 1);
	sqlite3_stmt *st;

	assert_non_null(s);
	st = store_stmt(s, ins);
	sqlite3_bind_int(st, 1, 1);
	sqlite3_bind_text(st, 2, "again", -1, SQLITE_STATIC);
	assert_int_equal(store_step_done(s, st), -1);
	assert_int_equal(store_last_rc(s), SQLITE_CONSTRAINT_PRIMARYKEY);
	assert_non_null(strstr(store_last_msg(s), "UNIQUE constraint failed"));
	assert_false(store_rc_transient(store_last_rc(s)));
	store_clear_rc(s);
	st = store_stmt(s, ins);
	sqlite3_bind_int(st, 1, 9); /* v left NULL */
	assert_int_equal(store_step_done(s, st), -1);
	assert_int_equal(store_last_rc(s), SQLITE_CONSTRAINT_NOTNULL);
	assert_false(store_rc_transient(store_last_rc(s)));
	/* the statement was reset: it works with good values */
	st = store_stmt(s, ins);
	sqlite3_bind_int(st, 1, 9);
	sqlite3_bind_text(st, 2, "nine", -1, SQLITE_STATIC);
	assert_int_equal(store_step_done(s, st), 0);
	assert_int_equal(store_int(s, "SELECT count(*) FROM a", -1), 2);
	store_close(&s);
}

/* test_busy_is_transient - another connection holds the write lock: BUSY,
 * transient; once it lets go the same call succeeds. */
static void
test_busy_is_transient(void **state)
{
	fx_t *f = *state;
	store_t *s = store_open(f->db, s_mig, 1);
	sqlite3 *other = NULL;

	assert_non_null(s);
	sqlite3_busy_timeout(store_db(s), 50); /* not the 10 s a worker waits */
	assert_int_equal(sqlite3_open_v2(f->db, &other, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE; INSERT INTO a VALUES (5, 'five')", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(store_begin(s), -1);
	assert_int_equal(store_last_rc(s) & 0xff, SQLITE_BUSY);
	assert_true(store_rc_transient(store_last_rc(s)));
	assert_non_null(strstr(store_last_msg(s), "locked"));
	store_clear_rc(s);
	assert_int_equal(store_exec(s, "INSERT INTO a VALUES (6, 'six')"), -1); /* an implicit transaction too */
	assert_true(store_rc_transient(store_last_rc(s)));
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_exec(s, "INSERT INTO a VALUES (6, 'six')"), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_int(s, "SELECT count(*) FROM a", -1), 3);
	store_close(&s);
}

/* test_full_is_transient - the database may not grow (max_page_count): FULL,
 * transient; with room again the same insert succeeds. */
static void
test_full_is_transient(void **state)
{
	fx_t *f = *state;
	static const char ins[] = "INSERT INTO a (k, v) VALUES (100, hex(randomblob(200000)))";
	store_t *s = store_open(f->db, s_mig, 1);
	long long pages;
	char sql[80];

	assert_non_null(s);
	assert_int_equal(store_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)"), 0);
	pages = store_int(s, "PRAGMA page_count", -1);
	assert_true(pages > 0);
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", pages);
	assert_int_equal(store_exec(s, sql), 0);
	assert_int_equal(store_int(s, "PRAGMA max_page_count", -1), pages);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_step_done(s, store_stmt(s, ins)), -1);
	store_rollback(s);
	assert_int_equal(store_last_rc(s) & 0xff, SQLITE_FULL);
	assert_true(store_rc_transient(store_last_rc(s)));
	assert_non_null(strstr(store_last_msg(s), "full"));
	assert_int_equal(store_int(s, "SELECT count(*) FROM a", -1), 1);
	assert_int_equal(store_exec(s, "PRAGMA max_page_count = 1000000"), 0);
	store_clear_rc(s);
	assert_int_equal(store_step_done(s, store_stmt(s, ins)), 0);
	assert_int_equal(store_int(s, "SELECT count(*) FROM a", -1), 2);
	assert_int_equal(store_last_rc(s), SQLITE_OK);
	store_close(&s);
}

/* test_rc_transient_table - the split between codes that may pass and codes that do not. */
static void
test_rc_transient_table(void **state)
{
	static const int transient[] = {
		SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_LOCKED, SQLITE_LOCKED_SHAREDCACHE, SQLITE_FULL,
		SQLITE_IOERR, SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC, SQLITE_NOMEM, SQLITE_CANTOPEN,
		SQLITE_PROTOCOL, SQLITE_READONLY,
	};
	static const int permanent[] = {
		SQLITE_OK, SQLITE_ERROR, SQLITE_CONSTRAINT, SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_NOTNULL,
		SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_MISMATCH, SQLITE_TOOBIG, SQLITE_RANGE, SQLITE_SCHEMA,
		SQLITE_INTERRUPT, SQLITE_AUTH,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
		if (!store_rc_transient(transient[i]))
			fail_msg("%s (%d) should be transient", sqlite3_errstr(transient[i]), transient[i]);
	for (size_t i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
		if (store_rc_transient(permanent[i]))
			fail_msg("%s (%d) should not be transient", sqlite3_errstr(permanent[i]), permanent[i]);
}

/* test_store_int - the value, or the default when there is none or the query fails. */
static void
test_store_int(void **state)
{
	fx_t *f = *state;
	store_t *s = store_open(f->db, s_mig, 1);

	assert_non_null(s);
	assert_int_equal(store_int(s, "SELECT k FROM a", -1), 1);
	assert_int_equal(store_int(s, "SELECT 0", -1), 0);
	assert_int_equal(store_int(s, "SELECT -5", 0), -5);
	assert_int_equal(store_int(s, "SELECT '42'", -1), 42);
	assert_int_equal(store_int(s, "SELECT k FROM a WHERE k = 99", -7), -7); /* no row */
	assert_int_equal(store_int(s, "SELECT NULL", -7), -7);
	assert_int_equal(store_int(s, "SELECT max(k) FROM a WHERE k > 5", 33), 33); /* NULL aggregate */
	assert_int_equal(store_int(s, "SELEKT 1", -9), -9);                         /* syntax */
	assert_int_equal(store_int(s, "SELECT x FROM no_such_table", -9), -9);
	assert_int_equal(store_int(s, OVERFLOW_SQL, -9), -9);                       /* fails while stepping */
	assert_int_equal(store_int(s, "SELECT 9223372036854775807", 0), INT64_MAX);
	store_close(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates_and_migrates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_applies_only_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_migration_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stmt_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stmt_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stmt_cache_outbox_made_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflow_is_permanent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_constraint_is_permanent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_is_transient, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_is_transient, setup, teardown),
		cmocka_unit_test(test_rc_transient_table),
		cmocka_unit_test_setup_teardown(test_store_int, setup, teardown),
	};

	log_init("test_store", -1); /* the store logs every failure; these are on purpose */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
