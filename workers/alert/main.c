/* bhxh-alert - turns finding events from the aggregate worker into notices.
 *
 * An event is stored (idempotently, by kind, subject, period, state and
 * severity) in the same transaction that acknowledges it; delivery then
 * works from the table, so nothing is lost while this worker is down.
 * Delivered here: one JSON file per notice in VAR/notices/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "log.h"
#include "worker.h"

static const char *const s_migrations[] = {
	"CREATE TABLE notice (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL,"
	"  org_unit TEXT, period TEXT NOT NULL, severity TEXT NOT NULL, state TEXT NOT NULL, name TEXT,"
	"  value REAL, threshold REAL, created_at INTEGER NOT NULL, delivered_at INTEGER,"
	"  UNIQUE (kind, subject, period, state, severity));"
};

/* s_on_message - store each event of a batch once. */
static int
s_on_message(worker_t *w, const msg_t *m)
{
	if (m->type != MSG_T_EVENTS) {
		log_warn("ignored an unexpected %s message", msg_type_name(m->type));
		return 0;
	}
	for (uint32_t i = 0; i < m->u.events.nevents; i++) {
		const msg_event_t *e = &m->u.events.events[i];
		sqlite3_stmt *st = store_stmt(w->store,
		    "INSERT OR IGNORE INTO notice(kind, subject, org_unit, period, severity, state, name, value,"
		    " threshold, created_at) VALUES (?,?,?,?,?,?,?,?,?, strftime('%s','now'))");

		if (st == NULL)
			return -1;
		sqlite3_bind_text(st, 1, e->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, e->subject, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, e->org_unit, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, e->period, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, e->severity, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, e->state, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, e->name, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 8, e->value);
		sqlite3_bind_double(st, 9, e->threshold);
		if (store_step_done(w->store, st) != 0)
			return -1;
	}
	return 0;
}

/* s_deliver - write one notice file; mark it delivered after the write. */
static int
s_deliver(worker_t *w, sqlite3_stmt *st)
{
	char path[4200];
	sb_t b;
	int rc;

	sb_init(&b);
	sb_add(&b, "{\"kind\": ");
	sb_json_str(&b, (const char *)sqlite3_column_text(st, 1));
	sb_add(&b, ", \"subject\": ");
	sb_json_str(&b, (const char *)sqlite3_column_text(st, 2));
	sb_add(&b, ", \"org_unit\": ");
	sb_json_str(&b, (const char *)sqlite3_column_text(st, 3));
	sb_add(&b, ", \"period\": ");
	sb_json_str(&b, (const char *)sqlite3_column_text(st, 4));
	sb_add(&b, ", \"severity\": ");
	sb_json_str(&b, (const char *)sqlite3_column_text(st, 5));
	sb_add(&b, ", \"state\": ");
	sb_json_str(&b, (const char *)sqlite3_column_text(st, 6));
	sb_add(&b, ", \"name\": ");
	sb_json_str(&b, (const char *)sqlite3_column_text(st, 7));
	sb_addf(&b, ", \"value\": %g, \"threshold\": %g}\n", sqlite3_column_double(st, 8), sqlite3_column_double(st, 9));
	snprintf(path, sizeof(path), "%s/notices/%06lld.json", w->var_dir, (long long)sqlite3_column_int64(st, 0));
	rc = fs_write_atomic(path, b.data, b.len);
	sb_free(&b);
	return rc;
}

/* s_on_tick - deliver what is stored and not yet delivered. */
static int
s_on_tick(worker_t *w)
{
	sqlite3_stmt *st = store_stmt(w->store,
	    "SELECT id, kind, subject, org_unit, period, severity, state, name, value, threshold"
	    " FROM notice WHERE delivered_at IS NULL ORDER BY id LIMIT 100");
	int n = 0;
	char dir[4200];

	snprintf(dir, sizeof(dir), "%s/notices", w->var_dir);
	fs_mkdirs(dir);
	while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		sqlite3_stmt *up;

		if (s_deliver(w, st) != 0) {
			worker_error(w, "cannot write a notice file in %s", dir);
			break;
		}
		up = store_stmt(w->store, "UPDATE notice SET delivered_at = strftime('%s','now') WHERE id = ?");
		sqlite3_bind_int64(up, 1, sqlite3_column_int64(st, 0));
		store_step_done(w->store, up);
		n++;
	}
	if (st != NULL)
		sqlite3_reset(st);
	return n == 100;
}

static const struct worker_ops s_ops = {
	.name = "alert",
	.migrations = s_migrations,
	.nmigrations = 1,
	.input = "alert",
	.on_message = s_on_message,
	.on_tick = s_on_tick,
	.tick_ms = 500,
};

int
main(int argc, char **argv)
{
	return worker_main(argc, argv, &s_ops);
}
