/* store - a worker's SQLite database (see store.h). */
#include "store.h"
#include "log.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STORE_MAX_STMTS 256

struct store {
	sqlite3 *db;
	char *path;
	int last_rc;
	char last_msg[200];
	int nstmts;
	uint64_t rollbacks;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} stmts[STORE_MAX_STMTS];
};

/* s_migrate - apply migrations[user_version..n-1], each atomically. */
static int
s_migrate(store_t *self, const char *const *migrations, int n)
{
	long long have = store_int(self, "PRAGMA user_version", -1);

	if (have < 0)
		return -1;
	if (have > n) {
		log_error("%s: schema version %lld is newer than this program (%d)", self->path, have, n);
		return -1;
	}
	for (int i = (int)have; i < n; i++) {
		char bump[64];

		snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", i + 1);
		if (store_begin(self) != 0)
			return -1;
		if (store_exec(self, migrations[i]) != 0 || store_exec(self, bump) != 0) {
			store_rollback(self);
			return -1;
		}
		if (store_commit(self) != 0)
			return -1;
	}
	return 0;
}

/* store_open - open the database in WAL mode and bring its schema up to date. */
store_t *
store_open(const char *path, const char *const *migrations, int nmigrations)
{
	store_t *self = xcalloc(1, sizeof(*self));

	if (self == NULL)
		return NULL;
	self->path = xstrdup(path);
	if (self->path == NULL || sqlite3_open_v2(path, &self->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_error("%s: cannot open database: %s", path,
		    self->db ? sqlite3_errmsg(self->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(self->db, 10000);
	if (store_exec(self, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
	    "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;") != 0)
		goto fail;
	if (s_migrate(self, migrations, nmigrations) != 0)
		goto fail;
	return self;
fail:
	store_close(&self);
	return NULL;
}

/* store_close - finalise every cached statement and close the handle. */
void
store_close(store_t **self_p)
{
	store_t *self = *self_p;

	if (self == NULL)
		return;
	for (int i = 0; i < self->nstmts; i++)
		sqlite3_finalize(self->stmts[i].st);
	if (self->db != NULL)
		sqlite3_close(self->db);
	free(self->path);
	free(self);
	*self_p = NULL;
}

sqlite3 *
store_db(store_t *self)
{
	return self->db;
}

/* store_exec - run one or more statements that return nothing needed. */
int
store_exec(store_t *self, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(self->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		self->last_rc = sqlite3_extended_errcode(self->db);
		snprintf(self->last_msg, sizeof(self->last_msg), "%s", err ? err : sqlite3_errstr(self->last_rc));
		log_error("%s: %s (in: %.80s)", self->path, err ? err : "error", sql);
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* store_stmt - cached prepared statement, reset and cleared. O(number cached). */
sqlite3_stmt *
store_stmt(store_t *self, const char *sql)
{
	sqlite3_stmt *st;

	for (int i = 0; i < self->nstmts; i++) {
		if (self->stmts[i].sql == sql) {
			st = self->stmts[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	if (sqlite3_prepare_v3(self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		self->last_rc = sqlite3_extended_errcode(self->db);
		snprintf(self->last_msg, sizeof(self->last_msg), "%s", sqlite3_errmsg(self->db));
		log_error("%s: prepare failed: %s (in: %.80s)", self->path, sqlite3_errmsg(self->db), sql);
		return NULL;
	}
	if (self->nstmts == STORE_MAX_STMTS) {
		/* The caller gets no statement (and a transient failure): raise
		 * STORE_MAX_STMTS if this is ever logged. */
		log_error("%s: statement cache full", self->path);
		sqlite3_finalize(st);
		self->last_rc = SQLITE_NOMEM; /* a limit of this program: may pass after a restart */
		snprintf(self->last_msg, sizeof(self->last_msg), "statement cache full");
		return NULL;
	}
	self->stmts[self->nstmts].sql = sql;
	self->stmts[self->nstmts].st = st;
	self->nstmts++;
	return st;
}

/* store_stmt_forget - drop sql's cached statement, if any. */
void
store_stmt_forget(store_t *self, const char *sql)
{
	for (int i = 0; i < self->nstmts; i++) {
		if (self->stmts[i].sql == sql) {
			sqlite3_finalize(self->stmts[i].st);
			self->stmts[i] = self->stmts[--self->nstmts];
			return;
		}
	}
}

int
store_begin(store_t *self)
{
	return store_exec(self, "BEGIN IMMEDIATE");
}

int
store_commit(store_t *self)
{
	return store_exec(self, "COMMIT");
}

void
store_rollback(store_t *self)
{
	self->rollbacks++;
	if (!sqlite3_get_autocommit(self->db))
		sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
}

/* store_step_done - step to completion a statement with no result rows. */
int
store_step_done(store_t *self, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		self->last_rc = sqlite3_extended_errcode(self->db);
		snprintf(self->last_msg, sizeof(self->last_msg), "%s", sqlite3_errmsg(self->db));
		log_error("%s: %s", self->path, sqlite3_errmsg(self->db));
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

int
store_last_rc(store_t *self)
{
	return self->last_rc;
}

void
store_clear_rc(store_t *self)
{
	self->last_rc = SQLITE_OK;
	self->last_msg[0] = '\0';
}

const char *
store_last_msg(store_t *self)
{
	return self->last_msg[0] ? self->last_msg : sqlite3_errstr(self->last_rc);
}

/* store_rc_transient - busy, locked, full, I/O, out of memory, cannot open. */
int
store_rc_transient(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY: case SQLITE_LOCKED: case SQLITE_FULL: case SQLITE_IOERR:
	case SQLITE_NOMEM: case SQLITE_CANTOPEN: case SQLITE_PROTOCOL: case SQLITE_READONLY:
		return 1;
	default:
		return 0;
	}
}

/* store_int - first column of the first row of sql, or dflt. */
long long
store_int(store_t *self, const char *sql, long long dflt)
{
	sqlite3_stmt *st;
	long long v = dflt;

	if (sqlite3_prepare_v2(self->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("%s: %s", self->path, sqlite3_errmsg(self->db));
		return dflt;
	}
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* store_rollbacks - how many times store_rollback was called. */
uint64_t
store_rollbacks(const store_t *self)
{
	return self->rollbacks;
}
