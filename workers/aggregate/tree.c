/* tree - a changed org-unit tree against the history in the database.
 *
 * The tree is configuration; history keeps the codes its rows came with.
 * When a code leaves the tree (districts merged, say), `org_unit_moves`
 * says which unit of the new tree its rows now belong to. At start, before
 * the units are rewritten and everything is counted again, the rows of each
 * moved code are given their new unit: records (participants, employers,
 * insured units, collection agents) keep every row; the labour force of the
 * codes merged into one unit is summed per year (unless the new unit already
 * has its own); a target moves only when one code alone becomes the new
 * unit (merged units take their target from an ancestor or the goal path
 * until one is sent for them); open findings follow their unit, and two
 * findings of merged units become one. Findings that end only because their
 * unit moved are closed without a "resolved" event: nothing was remedied.
 * Codes that history holds and the tree has lost without a move are
 * reported (log, status `degraded`, `bhxhctl check-config --var-dir`) and
 * their findings kept as they were, neither resolved nor changed. */
#include "aggregate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

/* The tables whose rows carry an org unit, and the codes history holds. */
#define S_HISTORY_CODES \
	"SELECT c.code AS code, 'participant' AS t FROM person p JOIN code c ON c.id = p.org" \
	" UNION ALL SELECT org_unit, 'insured_unit' FROM insured_unit" \
	" UNION ALL SELECT org_unit, 'enterprise' FROM enterprise" \
	" UNION ALL SELECT org_unit, 'collection_agent' FROM collection_agent" \
	" UNION ALL SELECT org_unit, 'labor_force' FROM labor_force" \
	" UNION ALL SELECT org_unit, 'target' FROM target"

/* agg_tree_moves - inside the caller's transaction, before the units are
 * rewritten: apply the configuration's org_unit_moves to history, and fill
 * temp.tree_moved with the new units that received something (their
 * findings that end now end silently). The number of rows moved, or -1. */
long long
agg_tree_moves(worker_t *w)
{
	const config_t *c = w->config;
	static const char *const records[] = { "insured_unit", "enterprise", "collection_agent" };
	long long moved = 0;
	char sql[512];

	if (store_exec(w->store, "CREATE TEMP TABLE IF NOT EXISTS tree_moved (code TEXT PRIMARY KEY);"
	    "DELETE FROM temp.tree_moved;"
	    "CREATE TEMP TABLE IF NOT EXISTS tree_ended (kind TEXT, subject TEXT, org_unit TEXT, period TEXT,"
	    " severity TEXT, value REAL, threshold REAL, name TEXT, since TEXT);"
	    "DELETE FROM temp.tree_ended;"
	    "DROP TABLE IF EXISTS temp.moves;"
	    "CREATE TEMP TABLE moves (old TEXT PRIMARY KEY, new TEXT NOT NULL);") != 0)
		return -1;
	if (c->nmoves == 0)
		return 0;
	for (int i = 0; i < c->nmoves; i++) {
		sqlite3_stmt *st = store_stmt(w->store, "INSERT OR IGNORE INTO temp.moves(old, new) VALUES (?, ?)");

		if (st == NULL)
			return -1;
		sqlite3_bind_text(st, 1, c->moves[i].from, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, c->moves[i].to, -1, SQLITE_STATIC);
		if (store_step_done(w->store, st) != 0)
			return -1;
	}
	if (store_exec(w->store, "INSERT OR IGNORE INTO temp.tree_moved SELECT m.new FROM temp.moves m"
	    " WHERE m.old IN (SELECT code FROM (" S_HISTORY_CODES ") UNION SELECT org_unit FROM finding_state);") != 0)
		return -1;
	/* participants: their org unit is a number of the code table */
	if (store_exec(w->store, "INSERT OR IGNORE INTO code(code) SELECT new FROM temp.moves;"
	    "UPDATE person SET org = (SELECT n.id FROM temp.moves m JOIN code o ON o.code = m.old"
	    "  JOIN code n ON n.code = m.new WHERE o.id = person.org)"
	    " WHERE org IN (SELECT o.id FROM temp.moves m JOIN code o ON o.code = m.old);") != 0)
		return -1;
	moved += sqlite3_changes(store_db(w->store));
	for (size_t t = 0; t < sizeof(records) / sizeof(records[0]); t++) {
		snprintf(sql, sizeof(sql), "UPDATE %s SET org_unit = (SELECT new FROM temp.moves WHERE old = %s.org_unit)"
		    " WHERE org_unit IN (SELECT old FROM temp.moves);", records[t], records[t]);
		if (store_exec(w->store, sql) != 0)
			return -1;
		moved += sqlite3_changes(store_db(w->store));
	}
	/* labour force: the codes merged into a unit add up, per year */
	if (store_exec(w->store, "INSERT INTO labor_force(file_id, org_unit, year, labor_force)"
	    " SELECT max(l.file_id), m.new, l.year, sum(l.labor_force) FROM labor_force l JOIN temp.moves m"
	    " ON m.old = l.org_unit WHERE true GROUP BY m.new, l.year ON CONFLICT(org_unit, year) DO NOTHING;") != 0)
		return -1;
	moved += sqlite3_changes(store_db(w->store));
	/* a target follows a code that alone becomes the new unit */
	if (store_exec(w->store, "INSERT INTO target(file_id, org_unit, year, bhxh_pct, bhtn_pct)"
	    " SELECT t.file_id, m.new, t.year, t.bhxh_pct, t.bhtn_pct FROM target t JOIN temp.moves m ON m.old = t.org_unit"
	    " WHERE (SELECT count(*) FROM temp.moves m2 WHERE m2.new = m.new) = 1"
	    " ON CONFLICT(org_unit, year) DO NOTHING;") != 0)
		return -1;
	moved += sqlite3_changes(store_db(w->store));
	/* a unit's own findings (behind_target, off_track: subject UNIT:scheme) take
	 * the new unit's name; the alert worker hears their old names end quietly */
	if (store_exec(w->store, "INSERT INTO temp.tree_ended SELECT kind, subject,"
	    " (SELECT new FROM temp.moves WHERE old = finding_state.org_unit), last_period, severity,"
	    " value, threshold, name, since FROM finding_state WHERE open = 1 AND org_unit IN (SELECT old FROM temp.moves)"
	    " AND kind IN ('behind_target', 'off_track') AND subject LIKE org_unit || ':%';") != 0)
		return -1;
	if (store_exec(w->store,
	    "DELETE FROM labor_force WHERE org_unit IN (SELECT old FROM temp.moves);"
	    "DELETE FROM target WHERE org_unit IN (SELECT old FROM temp.moves);"
	    "DELETE FROM finding WHERE org_unit IN (SELECT old FROM temp.moves);"
	    /* open findings follow their unit; of two that become one, one stays */
	    "UPDATE OR IGNORE finding_state SET"
	    "  subject = CASE WHEN kind IN ('behind_target', 'off_track') AND subject LIKE org_unit || ':%'"
	    "   THEN (SELECT new FROM temp.moves WHERE old = finding_state.org_unit) || substr(subject, length(org_unit) + 1)"
	    "   ELSE subject END,"
	    "  org_unit = (SELECT new FROM temp.moves WHERE old = finding_state.org_unit)"
	    " WHERE org_unit IN (SELECT old FROM temp.moves);"
	    "DELETE FROM finding_state WHERE org_unit IN (SELECT old FROM temp.moves);") != 0)
		return -1;
	if (moved > 0)
		log_info("org_unit_moves: %lld rows of history now belong to their new units", moved);
	return moved;
}

/* agg_tree_before - inside the caller's transaction, before unit_tree is
 * rewritten: remember it, to tell afterwards which units changed. */
int
agg_tree_before(worker_t *w)
{
	return store_exec(w->store, "DROP TABLE IF EXISTS temp.old_tree;"
	    "CREATE TEMP TABLE old_tree AS SELECT ancestor, descendant FROM unit_tree;");
}

/* agg_tree_after - after unit_tree is rewritten: every unit whose subtree
 * is not what it was (a child merged, moved or gone) joins temp.tree_moved,
 * so that a finding of it that ends now ends quietly. Nothing on a first
 * start (no tree before). */
int
agg_tree_after(worker_t *w)
{
	if (store_int(w->store, "SELECT count(*) FROM temp.old_tree", 0) == 0)
		return store_exec(w->store, "DROP TABLE IF EXISTS temp.old_tree;");
	if (store_exec(w->store, "INSERT OR IGNORE INTO temp.tree_moved SELECT ancestor FROM"
	    " (SELECT ancestor, descendant FROM temp.old_tree EXCEPT SELECT ancestor, descendant FROM unit_tree)"
	    " UNION SELECT ancestor FROM"
	    " (SELECT ancestor, descendant FROM unit_tree EXCEPT SELECT ancestor, descendant FROM temp.old_tree);"
	    "DROP TABLE temp.old_tree;") != 0)
		return -1;
	return 0;
}

/* agg_tree_unknown - after the units are written: the codes history holds
 * that the tree does not have (up to size bytes of them, comma-separated,
 * into codes); how many, or -1. */
long long
agg_tree_unknown(worker_t *w, char *codes, size_t size)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT DISTINCT h.code FROM (" S_HISTORY_CODES ") h"
	    " WHERE h.code IS NOT NULL AND h.code <> '' AND NOT EXISTS (SELECT 1 FROM unit u WHERE u.code = h.code)"
	    " ORDER BY h.code");
	long long n = 0;
	size_t len = 0;

	if (size > 0)
		codes[0] = '\0';
	if (st == NULL)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *code = (const char *)sqlite3_column_text(st, 0);
		int k = snprintf(codes + len, size - len, "%s%.40s", n > 0 ? ", " : "", code);

		if (k > 0 && len + (size_t)k < size)
			len += (size_t)k;
		n++;
	}
	sqlite3_reset(st);
	return n;
}

/* agg_tree_check - the control command tree-check: args are the codes of a
 * tree, then "--", then OLD=NEW moves; the answer says, for every code
 * history holds that this tree lacks, how many rows of which kind, and
 * whether a move takes them. 0 when every such code is moved, 2 if not. */
int
agg_tree_check(worker_t *w, char *const *args, int nargs, sb_t *out)
{
	sqlite3_stmt *st;
	int i, unknown = 0, moved = 0;

	if (store_exec(w->store, "DROP TABLE IF EXISTS temp.check_tree; DROP TABLE IF EXISTS temp.check_moves;"
	    "CREATE TEMP TABLE check_tree (code TEXT PRIMARY KEY);"
	    "CREATE TEMP TABLE check_moves (old TEXT PRIMARY KEY, new TEXT);") != 0)
		goto fail;
	for (i = 0; i < nargs && strcmp(args[i], "--") != 0; i++) {
		st = store_stmt(w->store, "INSERT OR IGNORE INTO temp.check_tree VALUES (?)");
		if (st == NULL)
			goto fail;
		sqlite3_bind_text(st, 1, args[i], -1, SQLITE_STATIC);
		if (store_step_done(w->store, st) != 0)
			goto fail;
	}
	for (i++; i < nargs; i++) {
		const char *eq = strchr(args[i], '=');

		if (eq == NULL)
			continue;
		st = store_stmt(w->store, "INSERT OR IGNORE INTO temp.check_moves VALUES (substr(?1, 1, ?2), substr(?1, ?2 + 2))");
		if (st == NULL)
			goto fail;
		sqlite3_bind_text(st, 1, args[i], -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, (int)(eq - args[i]));
		if (store_step_done(w->store, st) != 0)
			goto fail;
	}
	st = store_stmt(w->store, "SELECT h.code, m.new, count(*),"
	    " sum(h.t = 'participant'), sum(h.t = 'insured_unit'), sum(h.t = 'enterprise'),"
	    " sum(h.t = 'collection_agent'), sum(h.t = 'labor_force'), sum(h.t = 'target')"
	    " FROM (" S_HISTORY_CODES ") h LEFT JOIN temp.check_moves m ON m.old = h.code"
	    " WHERE h.code IS NOT NULL AND h.code <> '' AND h.code NOT IN (SELECT code FROM temp.check_tree)"
	    " GROUP BY h.code ORDER BY h.code");
	if (st == NULL)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *code = (const char *)sqlite3_column_text(st, 0), *to = (const char *)sqlite3_column_text(st, 1);

		if (to != NULL) {
			moved++;
			sb_addf(out, "moved:   %s -> %s: %lld rows", code, to, (long long)sqlite3_column_int64(st, 2));
		} else {
			unknown++;
			sb_addf(out, "unknown: %s: %lld rows", code, (long long)sqlite3_column_int64(st, 2));
		}
		sb_addf(out, " (participants %lld, insured units %lld, enterprises %lld, collection agents %lld,"
		    " labour force %lld, targets %lld)\n", (long long)sqlite3_column_int64(st, 3),
		    (long long)sqlite3_column_int64(st, 4), (long long)sqlite3_column_int64(st, 5),
		    (long long)sqlite3_column_int64(st, 6), (long long)sqlite3_column_int64(st, 7),
		    (long long)sqlite3_column_int64(st, 8));
	}
	sqlite3_reset(st);
	store_exec(w->store, "DROP TABLE IF EXISTS temp.check_tree; DROP TABLE IF EXISTS temp.check_moves;");
	if (unknown > 0)
		sb_addf(out, "%d code%s of history %s not in the new tree and not moved: their rows would count in no"
		    " unit. Map each to its new unit under org_unit_moves (OLD: NEW), or keep it in org_units.\n",
		    unknown, unknown == 1 ? "" : "s", unknown == 1 ? "is" : "are");
	else
		sb_addf(out, "the new tree covers every code of history (%d moved)\n", moved);
	return unknown > 0 ? 2 : 0;
fail:
	sb_addf(out, "cannot check the tree: %s", store_last_msg(w->store));
	return 2;
}
