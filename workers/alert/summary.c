/* summary - the monthly summary: the coverage of the latest period from the
 * aggregate's database (read-only) and the open findings by kind and district. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "kinds.h"
#include "log.h"
#include "report.h"
#include "xalloc.h"

/* s_summary_findings - open alerts counted by kind and district, by name. */
static void
s_summary_findings(worker_t *w, sb_t *t)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT kind, org_unit, count(*) FROM alert WHERE state = 'firing'"
	    " GROUP BY kind, org_unit ORDER BY kind, org_unit");
	struct { char kind[32]; const char *district; long long n; } acc[256];
	int n = 0;

	if (st == NULL)
		return;
	while (sqlite3_step(st) == SQLITE_ROW) {
		alert_lab_t x;
		int i;

		alert_lab(w->config, &x, alert_text(st, 0), "", "", alert_text(st, 1), "firing", "");
		for (i = 0; i < n; i++)
			if (strcmp(acc[i].kind, alert_text(st, 0)) == 0 && strcmp(acc[i].district, x.l.district) == 0)
				break;
		if (i == n) {
			if (n == 256)
				continue;
			snprintf(acc[n].kind, sizeof(acc[n].kind), "%s", alert_text(st, 0));
			acc[n].district = x.l.district; /* points into the configuration */
			acc[n++].n = 0;
		}
		acc[i].n += sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	/* by kind (its label), then district (its configured name) */
	for (int i = 0; i < n; i++) {
		int u = acc[i].district[0] ? config_unit_index(w->config, acc[i].district) : -1;

		if (i == 0 || strcmp(acc[i].kind, acc[i - 1].kind) != 0) {
			sb_add(t, "  ");
			kind_label(w->config, acc[i].kind, 1, t);
			sb_add(t, " / ");
			kind_label(w->config, acc[i].kind, 0, t);
			sb_add(t, "\n");
		}
		sb_addf(t, "    %s: %lld\n", u >= 0 ? w->config->units[u].name : "không thuộc địa bàn nào / no area", acc[i].n);
	}
	if (n == 0)
		sb_add(t, "  (không có / none)\n");
}

/* s_summary_coverage - the coverage table of the latest period, read-only from the aggregate's database. */
static void
s_summary_coverage(worker_t *w, sb_t *t, sb_t *csv)
{
	char path[4200], period[16] = "";
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	snprintf(path, sizeof(path), "%s/db/aggregate.db", w->var_dir);
	if (access(path, R_OK) != 0 || sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto none;
	sqlite3_busy_timeout(db, 2000);
	if (sqlite3_prepare_v2(db, "SELECT max(period) FROM coverage", -1, &st, NULL) == SQLITE_OK
	    && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(period, sizeof(period), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (period[0] == '\0')
		goto none;
	sb_addf(t, "Kỳ / period %s:\n", period);
	if (report_coverage(db, period, NULL, REPORT_TABLE, t) != 0 || report_coverage(db, period, NULL, REPORT_CSV, csv) != 0)
		goto none;
	sqlite3_close(db);
	return;
none:
	sqlite3_close(db);
	sb_add(t, "  (chưa có dữ liệu / no data yet)\n");
}

/* summary_run - the monthly summary, once per month from its configured day and hour (local time). */
void
summary_run(worker_t *w, int64_t now)
{
	const cfg_alert_t *c = w->config->alert;
	time_t secs = (time_t)(now / 1000);
	struct tm tm;
	char month[16];
	sqlite3_stmt *st;
	sb_t text, json, csv;
	int rc = 0;

	if (c->summary.nreceivers == 0)
		return;
	localtime_r(&secs, &tm);
	if (tm.tm_mday < c->summary.day || (tm.tm_mday == c->summary.day && tm.tm_hour < c->summary.hour))
		return;
	strftime(month, sizeof(month), "%Y-%m", &tm);
	st = store_stmt(w->store, "SELECT count(*) FROM summary_sent WHERE month = ?");
	if (st == NULL)
		return;
	sqlite3_bind_text(st, 1, month, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 1;
	sqlite3_reset(st);
	if (rc != 0)
		return;
	sb_init(&text);
	sb_init(&json);
	sb_init(&csv);
	sb_add(&csv, "");
	sb_addf(&text, "Báo cáo tháng %s: độ bao phủ BHXH, BHTN và các phát hiện đang mở\n"
	    "Monthly summary %s: social and unemployment insurance coverage, open findings\n\n"
	    "Độ bao phủ / Coverage\n", month, month);
	s_summary_coverage(w, &text, &csv);
	sb_add(&text, "\nPhát hiện đang mở theo loại và địa bàn / Open findings by kind and area\n");
	s_summary_findings(w, &text);
	if (store_begin(w->store) != 0)
		goto out;
	st = store_stmt(w->store, "INSERT INTO summary_sent(month, at) VALUES (?, ?)");
	if (st == NULL)
		rc = -1;
	else {
		sqlite3_bind_text(st, 1, month, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now);
		rc = store_step_done(w->store, st);
	}
	for (int i = 0; i < c->summary.nreceivers && rc == 0; i++) {
		const cfg_receiver_t *rec = &c->receivers[c->summary.receivers[i]];
		char gkey[64];
		long long nid;
		sb_t subj;

		snprintf(gkey, sizeof(gkey), "summary=%s", month);
		nid = group_new_outmsg(w, rec->name, "", gkey, now);
		if (nid < 0) {
			rc = -1;
			break;
		}
		sb_init(&subj);
		sb_addf(&subj, "[BHXH] Báo cáo tháng %s: độ bao phủ và phát hiện / Monthly summary %s", month, month);
		json.len = 0;
		sb_addf(&json, "{\"notice\": %lld, \"receiver\": ", nid);
		sb_json_str(&json, rec->name);
		sb_addf(&json, ", \"role\": \"%s\", \"summary\": \"%s\", \"coverage_csv\": ", alert_role_name(rec->role), month);
		sb_json_str(&json, csv.data);
		sb_add(&json, ", \"text\": ");
		sb_json_str(&json, text.data);
		sb_add(&json, "}\n");
		rc = group_put_notice(w, rec, nid, "", &subj, &text, &json, NULL, now);
		sb_free(&subj);
	}
	if (rc == 0 && store_commit(w->store) == 0)
		log_info("monthly summary %s queued for %d receivers", month, c->summary.nreceivers);
	else {
		store_rollback(w->store);
		worker_error(w, "cannot queue the monthly summary %s", month);
	}
out:
	sb_free(&text);
	sb_free(&json);
	sb_free(&csv);
}
