/* store - a worker's SQLite database: WAL, schema migrations, cached statements.
 *
 * Each worker owns one database file under the var dir. Open it after any
 * fork. Migrations are an ordered list of SQL scripts; PRAGMA user_version
 * records how many have been applied, and each is applied in its own
 * transaction together with the version bump. */
#ifndef BHXH_STORE_H
#define BHXH_STORE_H

#include <sqlite3.h>
#include <stdint.h>

typedef struct store store_t;

/* store_open - open (create) path, apply the missing migrations; NULL on error. */
store_t *store_open(const char *path, const char *const *migrations, int nmigrations);

/* store_close - finalise cached statements, close, NULL the pointer. */
void store_close(store_t **self_p);

sqlite3 *store_db(store_t *self);

/* store_exec - run SQL without results; 0 or -1 (logged). */
int store_exec(store_t *self, const char *sql);

/* store_stmt - a prepared statement for sql, cached by the sql pointer (pass
 * string literals), reset and with bindings cleared; NULL on error (logged). */
sqlite3_stmt *store_stmt(store_t *self, const char *sql);

/* store_stmt_forget - finalise and drop the statement cached for sql; a
 * caller that passed a string it allocates calls this before freeing it,
 * so that the address, reused, never finds the old statement. */
void store_stmt_forget(store_t *self, const char *sql);

/* store_begin / store_commit / store_rollback - IMMEDIATE transactions. */
int store_begin(store_t *self);
int store_commit(store_t *self);
void store_rollback(store_t *self);

/* store_step_done - step a statement that returns no rows; 0 or -1 (logged). */
int store_step_done(store_t *self, sqlite3_stmt *st);

/* store_last_rc - the SQLite (extended) result code of the last failure
 * through this store's helpers, SQLITE_OK if none since store_clear_rc. */
int store_last_rc(store_t *self);
void store_clear_rc(store_t *self);
/* store_last_msg - SQLite's words for that failure ("integer overflow"). */
const char *store_last_msg(store_t *self);

/* store_rc_transient - a failure that may pass if tried again later: the
 * database busy or locked, the disk full, an I/O error, out of memory.
 * Anything else (a constraint, an integer overflow, a malformed database)
 * fails the same way every time. */
int store_rc_transient(int rc);

/* store_int - run a one-value query (no parameters); the value, or dflt. */
long long store_int(store_t *self, const char *sql, long long dflt);

/* store_rollbacks - how many transactions store_rollback ended (or found
 * ended by SQLite itself): state kept beside the database by a caller is
 * stale once this changes. */
uint64_t store_rollbacks(const store_t *self);

#endif
