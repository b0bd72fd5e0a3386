/* summary - the monthly summary for the provincial committee and the
 * Fatherland Front, written from the figures the aggregate last sent
 * (MSG_T_SUMMARY, kept in summary_data): no process opens another's
 * database.
 *
 * It says, Vietnamese first: which month's figures these are and which
 * agencies' data are in; the goal (from the configuration); per unit, by
 * name, BHXH and BHTN coverage against the year's target and the change
 * from the month before; the units furthest behind their BHXH target; the
 * largest employers to chase; the open findings by kind. A plain-text body,
 * an HTML alternative and the full table as CSV (notice_extra_t). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "kinds.h"
#include "log.h"
#include "report.h"
#include "xalloc.h"

#define CELL_MAX 300      /* bytes of one cell of a summary message */
#define BEHIND_SHOWN 5    /* units furthest behind listed */
#define EMPLOYERS_SHOWN 10

#define U(r, c) (y->units.cells[(r) * MSG_SUMMARY_UNIT_COLS + (c)])
#define E(r, c) (y->employers.cells[(r) * MSG_SUMMARY_EMPLOYER_COLS + (c)])
#define A(r, c) (y->agencies.cells[(r) * MSG_SUMMARY_AGENCY_COLS + (c)])
enum { UC_CODE, UC_NAME, UC_PARENT, UC_LF, UC_BHXH, UC_BHTN, UC_XPCT, UC_TPCT, UC_XTGT, UC_TTGT, UC_XPREV,
	UC_TPREV };
enum { EC_KIND, EC_SUBJECT, EC_NAME, EC_ORG, EC_SEV, EC_VALUE, EC_WORKERS, EC_AMOUNT, EC_SINCE };


/* s_number_ok - "" or a finite number of sensible size. */
static int
s_number_ok(const char *v)
{
	char *end;
	double d;

	if (v[0] == '\0')
		return 1;
	d = strtod(v, &end);
	return *end == '\0' && isfinite(d) && fabs(d) < 1e15;
}

/* s_cell_bad - why cell (table k, column c) of a summary is refused, or NULL:
 * months must be months, figures numbers, text short and free of control
 * characters. */
static const char *
s_cell_bad(int k, uint32_t c, const char *v)
{
	if (strlen(v) > CELL_MAX)
		return "a cell too long";
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "a control character";
	if ((k == 1 && c == EC_SINCE) || (k == 2 && c == 2))
		return (v[0] == '\0' || check_period_ok(v)) ? NULL : "not a month";
	if ((k == 0 && c >= UC_LF) || (k == 1 && (c == EC_VALUE || c == EC_WORKERS || c == EC_AMOUNT)))
		return s_number_ok(v) ? NULL : "not a number";
	return NULL;
}

/* summary_store - see alert.h. */
int
summary_store(worker_t *w, const msg_t *m)
{
	const msg_summary_t *y = &m->u.summary;
	const msg_table_t *t[3] = { &y->units, &y->employers, &y->agencies };
	const char *p = y->period;
	sqlite3_stmt *st;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (!(p[0] == '\0' || check_period_ok(p)) ||
	    y->units.nrows > (uint32_t)w->config->nunits) {
		log_warn("dropped a summary (message %llu): bad period or too many units", (unsigned long long)m->id);
		return alert_stat_add(w, "bad_summaries", 1);
	}
	for (int k = 0; k < 3; k++)
		for (uint32_t i = 0; i < t[k]->nrows * t[k]->ncols; i++) {
			const char *why = s_cell_bad(k, i % t[k]->ncols, t[k]->cells[i]);

			if (why != NULL) {
				log_warn("dropped a summary (message %llu): table %d, row %u, column %u: %s",
				    (unsigned long long)m->id, k, i / t[k]->ncols + 1, i % t[k]->ncols + 1, why);
				return alert_stat_add(w, "bad_summaries", 1);
			}
		}
	if (msg_encode(m, &buf, &len) != 0)
		return alert_stat_add(w, "bad_summaries", 1);
	/* the latest to arrive wins: the aggregate's outbox delivers in order */
	st = store_stmt(w->store, "INSERT OR REPLACE INTO summary_data(id, period, generated_at, body)"
	    " VALUES (1, ?, ?, ?)");
	if (st == NULL) {
		free(buf);
		return -1;
	}
	sqlite3_bind_text(st, 1, p, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, y->generated_at);
	sqlite3_bind_blob(st, 3, buf, (int)len, SQLITE_TRANSIENT);
	rc = store_step_done(w->store, st);
	free(buf);
	return rc;
}

/* s_load - the latest summary message; 0, or -1 when there is none. */
static int
s_load(worker_t *w, msg_t *m)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT body FROM summary_data WHERE id = 1");
	char err[128];
	int rc = -1;

	memset(m, 0, sizeof(*m));
	if (st == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		rc = msg_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), m, err, sizeof(err));
	sqlite3_reset(st);
	return rc == 0 && m->type == MSG_T_SUMMARY ? 0 : -1;
}


/* s_width - display columns of UTF-8 text (code points; NFC text). */
static int
s_width(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* s_cell - s padded to width columns (left or right aligned). */
static void
s_cell(sb_t *b, const char *s, int width, int right)
{
	int pad = width - s_width(s);

	if (right)
		for (int i = 0; i < pad; i++)
			sb_add(b, " ");
	sb_add(b, s);
	if (!right)
		for (int i = 0; i < pad; i++)
			sb_add(b, " ");
}

/* s_vn_num - an integer with Vietnamese grouping (1.234.567); "–" when empty or not a plausible figure. */
static void
s_vn_num(char *out, size_t size, const char *v)
{
	sb_t b;

	if (v[0] == '\0' || !isfinite(atof(v)) || fabs(atof(v)) >= 1e15) {
		snprintf(out, size, "–");
		return;
	}
	sb_init(&b);
	sb_add(&b, "");
	report_grouped(&b, llround(atof(v)));
	snprintf(out, size, "%s", b.data);
	sb_free(&b);
}

/* s_vn_pct - "16,36%" from "16.36"; "–" when undefined. */
static void
s_vn_pct(char *out, size_t size, const char *v)
{
	char *c;

	if (v[0] == '\0') {
		snprintf(out, size, "–");
		return;
	}
	snprintf(out, size, "%.2f%%", atof(v));
	if ((c = strchr(out, '.')) != NULL)
		*c = ',';
}

/* s_vn_delta - "+1,20" / "−0,35" points from now and before; "–" when either is undefined. */
static void
s_vn_delta(char *out, size_t size, const char *now, const char *before)
{
	char *c;
	double d;

	if (now[0] == '\0' || before[0] == '\0') {
		snprintf(out, size, "–");
		return;
	}
	d = atof(now) - atof(before);
	snprintf(out, size, "%s%.2f", d >= 0 ? "+" : "-", fabs(d));
	if ((c = strchr(out, '.')) != NULL)
		*c = ',';
}

/* s_month_vn - "4/2017" from "2017-04". */
static void
s_month_vn(char *out, size_t size, const char *p)
{
	if (strlen(p) == 7)
		snprintf(out, size, "%d/%.4s", atoi(p + 5), p);
	else
		snprintf(out, size, "%s", p);
}

/* s_unit_name - the configured name of a unit code, else the code. */
static const char *
s_unit_name(const config_t *c, const char *code)
{
	int u = code[0] ? config_unit_index(c, code) : -1;

	return u >= 0 ? c->units[u].name : code;
}

/* s_gap - how far a unit is behind its BHXH target (points), or -INFINITY. */
static double
s_gap(const msg_summary_t *y, uint32_t r)
{
	if (U(r, UC_XPCT)[0] == '\0' || U(r, UC_XTGT)[0] == '\0')
		return -INFINITY;
	return atof(U(r, UC_XTGT)) - atof(U(r, UC_XPCT));
}

typedef struct {
	sb_t text, html, csv;
} s_out_t;

/* s_head - title, the month, which data are in, the goal. */
static void
s_head(worker_t *w, const msg_summary_t *y, const char *month, s_out_t *o)
{
	const config_t *c = w->config;
	char vm[32], vp[32], gx[32], gt[32];

	s_month_vn(vm, sizeof(vm), month);
	s_month_vn(vp, sizeof(vp), y->period);
	snprintf(gx, sizeof(gx), "%g", c->goal.bhxh_pct);
	snprintf(gt, sizeof(gt), "%g", c->goal.bhtn_pct);
	sb_addf(&o->text, "BÁO CÁO THÁNG %s — TÌNH HÌNH THAM GIA BẢO HIỂM XÃ HỘI, BẢO HIỂM THẤT NGHIỆP\n%s\n\n",
	    vm, c->nunits > 0 ? c->units[0].name : "");
	sb_add(&o->html, "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>"
	    "<body style=\"font-family:Arial,sans-serif;color:#222;max-width:900px\">");
	sb_addf(&o->html, "<h2 style=\"font-size:20px\">Báo cáo tháng %s — tình hình tham gia BHXH, BHTN</h2><p>", vm);
	report_html_escape(&o->html, c->nunits > 0 ? c->units[0].name : "");
	sb_add(&o->html, "</p>");
	if (y->period[0] == '\0') {
		sb_add(&o->text, "Chưa có số liệu bao phủ.\n(No coverage figures yet.)\n");
		sb_add(&o->html, "<p>Chưa có số liệu bao phủ.</p>");
		return;
	}
	sb_addf(&o->text, "Số liệu đến tháng %s. Mục tiêu đến năm %d: %s%% lực lượng lao động tham gia BHXH, %s%% "
	    "tham gia BHTN.\n", vp, c->goal.year, gx, gt);
	sb_addf(&o->html, "<p>Số liệu đến tháng <b>%s</b>. Mục tiêu đến năm %d: <b>%s%%</b> lực lượng lao động tham gia"
	    " BHXH, <b>%s%%</b> tham gia BHTN.</p>", vp, c->goal.year, gx, gt);
	sb_add(&o->text, "Số liệu đã nhận (tháng mới nhất):\n");
	sb_add(&o->html, "<p>Số liệu đã nhận (tháng mới nhất):</p><ul>");
	for (uint32_t r = 0; r < y->agencies.nrows; r++) {
		const cfg_agency_t *ag = config_agency(c, A(r, 0));
		char am[32];

		s_month_vn(am, sizeof(am), A(r, 2));
		sb_addf(&o->text, "  - %s, %s: %s\n", ag != NULL ? ag->name : A(r, 0), kind_rtype_vi(A(r, 1)),
		    A(r, 2)[0] ? am : "chưa có");
		sb_add(&o->html, "<li>");
		report_html_escape(&o->html, ag != NULL ? ag->name : A(r, 0));
		sb_add(&o->html, ", ");
		report_html_escape(&o->html, kind_rtype_vi(A(r, 1)));
		sb_add(&o->html, ": ");
		if (A(r, 2)[0])
			report_html_escape(&o->html, am);
		else
			sb_add(&o->html, "<b>chưa có</b>");
		sb_add(&o->html, "</li>");
	}
	sb_add(&o->html, "</ul>");
	sb_add(&o->text, "\n");
}

/* s_units - the table of every unit (text, HTML, CSV). */
static void
s_units(const msg_summary_t *y, s_out_t *o)
{
	char *uname = NULL;
	static const char *const th[] = { "Đơn vị", "LLLĐ", "BHXH", "Tỷ lệ", "Chỉ tiêu", "± tháng trước",
		"BHTN", "Tỷ lệ", "Chỉ tiêu", "± tháng trước" };
	static const int wd[] = { 26, 9, 8, 8, 8, 13, 8, 8, 8, 13 };

	sb_add(&o->csv, "\xEF\xBB\xBFma_don_vi,don_vi,luc_luong_lao_dong,tham_gia_bhxh,ty_le_bhxh_pct,chi_tieu_bhxh_pct,"
	    "thay_doi_bhxh_diem,tham_gia_bhtn,ty_le_bhtn_pct,chi_tieu_bhtn_pct,thay_doi_bhtn_diem\r\n");
	sb_add(&o->text, "Độ bao phủ theo đơn vị (người; tỷ lệ = người tham gia / lực lượng lao động):\n");
	for (int i = 0; i < 10; i++) {
		s_cell(&o->text, th[i], wd[i], i > 0);
		sb_add(&o->text, i < 9 ? " " : "\n");
	}
	sb_add(&o->html, "<h3 style=\"font-size:16px\">Độ bao phủ theo đơn vị</h3><div style=\"overflow-x:auto\">"
	    "<table style=\"border-collapse:collapse;font-size:13px\"><tr>");
	for (int i = 0; i < 10; i++)
		sb_addf(&o->html, "<th style=\"border:1px solid #bbb;padding:3px 6px;background:#eef2f8\">%s%s</th>", th[i],
		    i == 2 || i == 6 ? " (người)" : i == 1 ? " (người)" : "");
	sb_add(&o->html, "</tr>");
	for (uint32_t r = 0; r < y->units.nrows; r++) {
		char lf[48], x[48], t[48], xp[32], tp[32], xt[32], tt[32], dx[32], dt[32];
		const char *v[10];

		s_vn_num(lf, sizeof(lf), U(r, UC_LF));
		s_vn_num(x, sizeof(x), U(r, UC_BHXH));
		s_vn_num(t, sizeof(t), U(r, UC_BHTN));
		s_vn_pct(xp, sizeof(xp), U(r, UC_XPCT));
		s_vn_pct(tp, sizeof(tp), U(r, UC_TPCT));
		s_vn_pct(xt, sizeof(xt), U(r, UC_XTGT));
		s_vn_pct(tt, sizeof(tt), U(r, UC_TTGT));
		s_vn_delta(dx, sizeof(dx), U(r, UC_XPCT), U(r, UC_XPREV));
		s_vn_delta(dt, sizeof(dt), U(r, UC_TPCT), U(r, UC_TPREV));
		free(uname);
		uname = format_scrub(U(r, UC_NAME), 0);
		v[0] = uname, v[1] = lf, v[2] = x, v[3] = xp, v[4] = xt, v[5] = dx, v[6] = t, v[7] = tp;
		v[8] = tt, v[9] = dt;
		for (int i = 0; i < 10; i++) {
			s_cell(&o->text, v[i], wd[i], i > 0);
			sb_add(&o->text, i < 9 ? " " : "\n");
		}
		sb_add(&o->html, "<tr>");
		for (int i = 0; i < 10; i++) {
			int behind = (i == 3 && U(r, UC_XTGT)[0] && atof(U(r, UC_XPCT)) < atof(U(r, UC_XTGT))) ||
			    (i == 7 && U(r, UC_TTGT)[0] && atof(U(r, UC_TPCT)) < atof(U(r, UC_TTGT)));

			sb_addf(&o->html, "<td style=\"border:1px solid #bbb;padding:3px 6px;text-align:%s%s\">",
			    i ? "right" : "left", behind ? ";color:#b0450c;font-weight:bold" : "");
			report_html_escape(&o->html, v[i]);
			sb_add(&o->html, "</td>");
		}
		sb_add(&o->html, "</tr>");
		for (int i = 0; i < 11; i++) {
			static const int col[] = { UC_CODE, UC_NAME, UC_LF, UC_BHXH, UC_XPCT, UC_XTGT, -1, UC_BHTN, UC_TPCT,
				UC_TTGT, -2 };
			char d[32] = "";

			if (col[i] < 0 && U(r, UC_XPCT + (col[i] == -2))[0] && U(r, UC_XPREV + (col[i] == -2))[0])
				snprintf(d, sizeof(d), "%.2f", atof(U(r, UC_XPCT + (col[i] == -2))) -
				    atof(U(r, UC_XPREV + (col[i] == -2))));
			if (i)
				sb_add(&o->csv, ",");
			if (col[i] == UC_CODE || col[i] == UC_NAME)
				format_csv_text(&o->csv, col[i] == UC_NAME ? uname : U(r, col[i]));
			else
				sb_csv_field(&o->csv, col[i] >= 0 ? U(r, col[i]) : d);
		}
		sb_add(&o->csv, "\r\n");
	}
	sb_add(&o->html, "</table></div>");
	free(uname);
	sb_add(&o->text, "(– : chưa có số liệu)\n\n");
}

/* s_behind - the units furthest behind their BHXH target. */
static void
s_behind(const msg_summary_t *y, s_out_t *o)
{
	uint32_t order[BEHIND_SHOWN];
	int n = 0;

	for (uint32_t r = 0; r < y->units.nrows; r++) {
		double g = s_gap(y, r);
		int k;

		if (!(g > 0))
			continue;
		for (k = n; k > 0 && s_gap(y, order[k - 1]) < g; k--)
			if (k < BEHIND_SHOWN)
				order[k] = order[k - 1];
		if (k < BEHIND_SHOWN) {
			order[k] = r;
			if (n < BEHIND_SHOWN)
				n++;
		}
	}
	sb_add(&o->text, "Đơn vị thấp nhất so với chỉ tiêu BHXH:\n");
	sb_add(&o->html, "<h3 style=\"font-size:16px\">Đơn vị thấp nhất so với chỉ tiêu BHXH</h3><ol>");
	for (int i = 0; i < n; i++) {
		char xp[32], xt[32];

		s_vn_pct(xp, sizeof(xp), U(order[i], UC_XPCT));
		s_vn_pct(xt, sizeof(xt), U(order[i], UC_XTGT));
		char *nm = format_scrub(U(order[i], UC_NAME), 0);

		sb_addf(&o->text, "  %d. %s: %s, chỉ tiêu %s (thiếu %.2f điểm)\n", i + 1, nm, xp, xt,
		    s_gap(y, order[i]));
		sb_add(&o->html, "<li>");
		report_html_escape(&o->html, nm);
		free(nm);
		sb_addf(&o->html, ": %s, chỉ tiêu %s</li>", xp, xt);
	}
	if (n == 0) {
		sb_add(&o->text, "  Mọi đơn vị đạt chỉ tiêu BHXH.\n");
		sb_add(&o->html, "<li>Mọi đơn vị đạt chỉ tiêu BHXH.</li>");
	}
	sb_add(&o->html, "</ol>");
	sb_add(&o->text, "\n");
}

/* s_employers - the largest employers to chase. */
static void
s_employers(worker_t *w, const msg_summary_t *y, s_out_t *o)
{
	uint32_t n = y->employers.nrows < EMPLOYERS_SHOWN ? y->employers.nrows : EMPLOYERS_SHOWN;

	sb_add(&o->text, "Doanh nghiệp, đơn vị cần đôn đốc (lớn nhất trước):\n");
	sb_add(&o->html, "<h3 style=\"font-size:16px\">Doanh nghiệp, đơn vị cần đôn đốc</h3><ol>");
	for (uint32_t r = 0; r < n; r++) {
		char *name = format_scrub(E(r, EC_NAME), 0);
		char wk[48], am[48], since[32];
		sb_t line;

		s_vn_num(wk, sizeof(wk), E(r, EC_WORKERS));
		s_vn_num(am, sizeof(am), E(r, EC_AMOUNT));
		s_month_vn(since, sizeof(since), E(r, EC_SINCE));
		sb_init(&line);
		char *subj = format_scrub(E(r, EC_SUBJECT), 1);

		sb_addf(&line, "%s (mã %s, %s): ", name[0] ? name : "(không rõ tên)", subj,
		    s_unit_name(w->config, E(r, EC_ORG)));
		free(subj);
		kind_label(w->config, E(r, EC_KIND), 1, &line);
		if (atof(E(r, EC_WORKERS)) > 0)
			sb_addf(&line, "; %s người lao động", wk);
		if (strcmp(E(r, EC_KIND), "arrears") == 0)
			sb_addf(&line, "; nợ %s tháng, %s đồng", E(r, EC_VALUE), am);
		if (strcmp(E(r, EC_KIND), "under_declared") == 0)
			sb_addf(&line, "; %s người chưa được đóng", E(r, EC_VALUE));
		sb_addf(&line, "; từ tháng %s", since);
		sb_addf(&o->text, "  %u. %s\n", r + 1, line.data);
		sb_add(&o->html, "<li>");
		report_html_escape(&o->html, line.data);
		sb_add(&o->html, "</li>");
		sb_free(&line);
		free(name);
	}
	if (n == 0) {
		sb_add(&o->text, "  Không có.\n");
		sb_add(&o->html, "<li>Không có.</li>");
	}
	sb_add(&o->html, "</ol>");
	sb_add(&o->text, "\n");
}

/* s_findings - open alerts counted by kind (its label) and district (its
 * configured name); the operator's kinds left out. */
static void
s_findings(worker_t *w, s_out_t *o)
{
	sqlite3_stmt *st = store_stmt(w->store, "SELECT kind, org_unit, count(*) FROM alert WHERE state = 'firing'"
	    " AND kind NOT IN ('feed_stopped', 'quarantined_file', 'dead_letter')"
	    " GROUP BY kind, org_unit ORDER BY kind, org_unit");
	struct s_acc { char kind[32]; const char *district; long long n; } *acc = NULL;
	int n = 0, cap = 0;

	sb_add(&o->text, "Phát hiện đang mở theo loại và địa bàn:\n");
	sb_add(&o->html, "<h3 style=\"font-size:16px\">Phát hiện đang mở theo loại và địa bàn</h3>");
	while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		alert_lab_t x;
		int i;

		const char *area;
		int u;

		alert_lab(w->config, &x, alert_text(st, 0), "", "", alert_text(st, 1), "firing", "");
		/* the district, else the unit itself (the province), both from the configuration */
		u = x.l.district[0] == '\0' && alert_text(st, 1)[0] ? config_unit_index(w->config, alert_text(st, 1)) : -1;
		area = u >= 0 ? w->config->units[u].code : x.l.district;
		for (i = 0; i < n; i++)
			if (strcmp(acc[i].kind, alert_text(st, 0)) == 0 && strcmp(acc[i].district, area) == 0)
				break;
		if (i == n) {
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				acc = xrealloc(acc, (size_t)cap * sizeof(*acc));
			}
			snprintf(acc[n].kind, sizeof(acc[n].kind), "%s", alert_text(st, 0));
			acc[n].district = area; /* points into the configuration */
			acc[n++].n = 0;
		}
		acc[i].n += sqlite3_column_int64(st, 2);
	}
	if (st != NULL)
		sqlite3_reset(st);
	for (int i = 0; i < n; i++) {
		const char *area = acc[i].district[0] ? s_unit_name(w->config, acc[i].district) : "không thuộc địa bàn nào";

		if (i == 0 || strcmp(acc[i].kind, acc[i - 1].kind) != 0) {
			sb_add(&o->text, "  ");
			kind_label(w->config, acc[i].kind, 1, &o->text);
			sb_add(&o->text, "\n");
			sb_add(&o->html, i ? "</ul><p>" : "<p>");
			{
				sb_t l;

				sb_init(&l);
				sb_add(&l, "");
				kind_label(w->config, acc[i].kind, 1, &l);
				report_html_escape(&o->html, l.data);
				sb_free(&l);
			}
			sb_add(&o->html, "</p><ul>");
		}
		sb_addf(&o->text, "    %s: %lld\n", area, acc[i].n);
		sb_add(&o->html, "<li>");
		report_html_escape(&o->html, area);
		sb_addf(&o->html, ": %lld</li>", acc[i].n);
	}
	if (n > 0)
		sb_add(&o->html, "</ul>");
	else {
		sb_add(&o->text, "  Không có.\n");
		sb_add(&o->html, "<p>Không có.</p>");
	}
	free(acc);
}

/* summary_render - the summary of month from the stored figures: text,
 * HTML and the CSV of every unit. */
static void
s_render(worker_t *w, const char *month, s_out_t *o)
{
	msg_t m;
	char vm[32];

	sb_init(&o->text);
	sb_init(&o->html);
	sb_init(&o->csv);
	sb_add(&o->csv, "");
	if (s_load(w, &m) != 0) {
		memset(&m, 0, sizeof(m));
		m.u.summary.period = "";
		s_head(w, &m.u.summary, month, o);
		memset(&m, 0, sizeof(m));
	} else {
		s_head(w, &m.u.summary, month, o);
		if (m.u.summary.period[0] != '\0') {
			s_units(&m.u.summary, o);
			s_behind(&m.u.summary, o);
			s_employers(w, &m.u.summary, o);
		}
		msg_free(&m);
	}
	s_findings(w, o);
	s_month_vn(vm, sizeof(vm), month);
	sb_addf(&o->text, "\nBảng đầy đủ: tệp đính kèm (CSV).\n\n---\nMonthly summary %s: social insurance (BHXH) and"
	    " unemployment insurance (BHTN) coverage per unit against the year's target and the goal, the units furthest"
	    " behind, the largest employers to chase and the open findings; the full table is attached as CSV.\n",
	    month);
	sb_add(&o->html, "<p>Bảng đầy đủ: tệp đính kèm (CSV).</p><hr><p style=\"color:#555\">Monthly summary: coverage"
	    " per unit against target and goal, the units furthest behind, the employers to chase, open findings;"
	    " the full table is attached as CSV.</p></body></html>");
}

/* summary_run - the monthly summary, once per month from its configured day and hour (local time). */
void
summary_run(worker_t *w, int64_t now)
{
	const cfg_alert_t *c = w->config->alert;
	time_t secs = (time_t)(now / 1000);
	struct tm tm;
	char month[16], vm[32];
	sqlite3_stmt *st;
	s_out_t o;
	sb_t json;
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
	s_render(w, month, &o);
	s_month_vn(vm, sizeof(vm), month);
	sb_init(&json);
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
		sb_addf(&subj, "[BHXH] Báo cáo tháng %s: độ bao phủ BHXH, BHTN và việc cần làm / Monthly summary %s", vm,
		    month);
		json.len = 0;
		sb_addf(&json, "{\"notice\": %lld, \"receiver\": ", nid);
		sb_json_str(&json, rec->name);
		sb_addf(&json, ", \"role\": \"%s\", \"summary\": \"%s\", \"coverage_csv\": ", alert_role_name(rec->role), month);
		sb_json_str(&json, o.csv.data);
		sb_add(&json, ", \"html\": ");
		sb_json_str(&json, o.html.data);
		sb_add(&json, ", \"text\": ");
		sb_json_str(&json, o.text.data);
		sb_add(&json, "}\n");
		rc = group_put_notice(w, rec, nid, "", &subj, &o.text, &json, &o.csv, now);
		if (rc == 0) {
			sqlite3_stmt *up = store_stmt(w->store, "UPDATE outmsg SET html = ? WHERE id = ?");

			if (up == NULL)
				rc = -1;
			else {
				sqlite3_bind_text(up, 1, o.html.data, -1, SQLITE_STATIC);
				sqlite3_bind_int64(up, 2, nid);
				rc = store_step_done(w->store, up);
			}
		}
		sb_free(&subj);
	}
	if (rc == 0 && store_commit(w->store) == 0)
		log_info("monthly summary %s queued for %d receivers", month, c->summary.nreceivers);
	else {
		store_rollback(w->store);
		worker_error(w, "cannot queue the monthly summary %s", month);
	}
out:
	sb_free(&o.text);
	sb_free(&o.html);
	sb_free(&o.csv);
	sb_free(&json);
}
