/* dashboard - the dashboard pages of docs/DOMAIN.md §8: one page per unit of
 * the tree, VAR/reports/index.html for the root and
 * VAR/reports/unit/CODE.html for every other unit.
 *
 * Each page is one self-contained HTML document in Vietnamese: no script, no
 * fetch (a Content-Security-Policy forbids both), charts as inline SVG, every
 * name from data HTML-escaped, no personal number (runs of 9 or more digits
 * are cut from names). What a page says about goals, targets and units comes
 * from the configuration (goal, org-unit tree, expected submissions) and the
 * aggregate database, never from the code.
 *
 * dash_write renders only the pages whose content can have changed: the root
 * page always (it shows the time and which agencies' files are in), every
 * other page when the fingerprint of what it shows differs from the one
 * stored with it in the database table dash_page (docs/DOMAIN.md §8). */
#ifndef BHXH_DASHBOARD_H
#define BHXH_DASHBOARD_H

#include <sqlite3.h>
#include <time.h>

#include "config.h"
#include "fsutil.h"

/* Employers listed in one section of one page; the rest are counted. */
#define DASH_MAX_ROWS 1000

typedef struct {
	time_t generated; /* shown on each page as the time of generation; 0 = now */
	long today;       /* days since 1970-01-01, for submission deadlines; 0 = generated's date */
	int max_rows;     /* employers per section; 0 = DASH_MAX_ROWS */
} dash_opts_t;

typedef struct dash dash_t;

/* dash_open - read what every page shares (the current findings, sizes)
 * into temp tables of db; NULL on a database error. o may be NULL. */
dash_t *dash_open(sqlite3 *db, const config_t *c, const dash_opts_t *o);

/* dash_page - append the page of unit index u (0: the root, index.html). 0 or -1. */
int dash_page(dash_t *d, int u, sb_t *out);

void dash_close(dash_t **d);

typedef struct {
	int pages;     /* units in the tree */
	int written;   /* pages rendered and replaced */
	int unchanged; /* pages whose fingerprint was the same: left alone */
	int removed;   /* pages of units no longer in the tree */
} dash_stats_t;

/* dash_write - bring dir/index.html and dir/unit/CODE.html up to date:
 * each page that changed is written to a temp file and renamed over the old
 * one, the file system synced, then the pages' fingerprints are stored in
 * dash_page. Must not run inside a transaction. 0, or -1 with errno. */
int dash_write(sqlite3 *db, const config_t *c, const char *dir, const dash_opts_t *o, dash_stats_t *st);

#endif
