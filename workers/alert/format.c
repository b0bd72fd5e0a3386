/* format - the words and bytes of a notice: subject, Vietnamese-then-English
 * text, JSON, the e-mail message with RFC 2047 headers, HMAC signatures, and
 * the scrubbing that keeps personal numbers and CR/LF out of what is sent.
 *
 * Trusts nothing in an alert's text fields: an employer name may hold CR,
 * LF or anything else; it only ever reaches a header RFC 2047-encoded after
 * control characters were made spaces, and the body travels base64-encoded. */
#include "alert.h"

#include <math.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

#include "kinds.h"
#include "report.h"
#include "xalloc.h"

static const char s_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* format_kind_known - a kind that may arrive as an event (common/kinds.c). */
int
format_kind_known(const char *kind)
{
	const kind_t *k = kind_find(kind);

	return k != NULL && k->event;
}

/* s_role_vi - who a role is, in Vietnamese. */
static const char *
s_role_vi(alert_role_t r)
{
	static const char *const vi[] = { "Bộ phận vận hành", "BHXH tỉnh", "Thanh tra Sở LĐ-TB&XH", "UBND địa phương",
		"Liên đoàn Lao động tỉnh", "UBND tỉnh", "Ủy ban MTTQ Việt Nam tỉnh", "Cơ quan cung cấp dữ liệu" };

	return (int)r >= 0 && r <= ROLE_AGENCY ? vi[r] : "?";
}

/* format_header_text - controls to spaces. */
char *
format_header_text(const char *s)
{
	char *out = xstrdup(s != NULL ? s : "");

	for (char *p = out; p != NULL && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return out;
}

/* s_b64_chunk - base64 of len bytes onto out, no line breaks. */
static void
s_b64_chunk(sb_t *out, const unsigned char *p, size_t len)
{
	char q[4];

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < len) v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len) v |= p[i + 2];
		q[0] = s_b64[(v >> 18) & 63];
		q[1] = s_b64[(v >> 12) & 63];
		q[2] = i + 1 < len ? s_b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < len ? s_b64[v & 63] : '=';
		sb_addn(out, q, 4);
	}
}

/* format_base64 - base64 in 76-character lines (57 bytes each). */
void
format_base64(sb_t *out, const unsigned char *data, size_t len)
{
	for (size_t i = 0; i < len; i += 57) {
		s_b64_chunk(out, data + i, len - i < 57 ? len - i : 57);
		sb_add(out, "\r\n");
	}
}

/* format_rfc2047 - encoded-words of at most 45 bytes of text (60 of base64). */
void
format_rfc2047(sb_t *out, const char *s)
{
	char *clean = format_header_text(s);
	const unsigned char *p = (const unsigned char *)clean;
	size_t len = strlen(clean), i = 0;
	int first = 1;

	if (len == 0) {
		free(clean);
		return;
	}
	while (i < len) {
		size_t n = len - i < 45 ? len - i : 45;

		/* never end inside a character; a run of continuation bytes (not
		 * UTF-8) longer than a word is cut anywhere rather than searched past */
		while (n > 0 && i + n < len && (p[i + n] & 0xC0) == 0x80)
			n--;
		if (n == 0)
			n = 1;
		if (!first)
			sb_add(out, "\r\n ");
		sb_add(out, "=?UTF-8?B?");
		s_b64_chunk(out, p + i, n);
		sb_add(out, "?=");
		first = 0;
		i += n;
	}
	free(clean);
}

/* format_address_ok - a plain address, nothing that could break a header or an SMTP command. */
int
format_address_ok(const char *s)
{
	const char *at;

	if (s == NULL || s[0] == '\0' || strlen(s) > 254)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || strchr("<>,;:\"()[]\\", *p) != NULL)
			return 0;
	at = strchr(s, '@');
	return at != NULL && at != s && at[1] != '\0' && strchr(at + 1, '@') == NULL;
}

/* format_hmac_hex - HMAC-SHA256 in hex. */
int
format_hmac_hex(const char *key, const char *data, size_t len, char out[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)data, len, mac, &n) == NULL || n != 32)
		return -1;
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	return 0;
}

/* format_scrub - remove runs of 12 digits always, and of 10 unless allowed. */
char *
format_scrub(const char *s, int keep_insurance)
{
	sb_t b;
	const char *p = s != NULL ? s : "";

	sb_init(&b);
	sb_add(&b, "");
	while (*p) {
		size_t n = strspn(p, "0123456789");

		if (n == 0) {
			char c = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;

			sb_addn(&b, &c, 1);
			p++;
			continue;
		}
		if (n == 12 || (n == 10 && !keep_insurance))
			sb_add(&b, "[***]");
		else
			sb_addn(&b, p, n);
		p += n;
	}
	return b.data;
}

/* s_token_ok - a placeholder value safe inside an address. */
static int
s_token_ok(const char *v)
{
	if (v == NULL || v[0] == '\0')
		return 0;
	for (const char *p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
		    || *p == '.' || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

/* format_expand - fill {district} and {agency}. */
char *
format_expand(const char *tmpl, const char *district, const char *agency)
{
	sb_t b;
	const char *p = tmpl;

	sb_init(&b);
	sb_add(&b, "");
	while (*p) {
		if (strncmp(p, "{district}", 10) == 0 || strncmp(p, "{agency}", 8) == 0) {
			int dist = p[1] == 'd';
			const char *v = dist ? district : agency;

			if (!s_token_ok(v)) {
				sb_free(&b);
				return NULL;
			}
			sb_add(&b, v);
			p += dist ? 10 : 8;
		} else {
			sb_addn(&b, p, 1);
			p++;
		}
	}
	if (!format_address_ok(b.data)) {
		sb_free(&b);
		return NULL;
	}
	return b.data;
}

/* ---- Notices of findings: one digest per receiver (docs/ALERTING.md) ---- */

static const char *const s_order[] = { "new", "escalated", "resolved", "firing" };

/* s_str - s, or "" for NULL. */
static const char *
s_str(const char *s)
{
	return s != NULL ? s : "";
}

/* s_ended - how the resolved items ended: 1 all remedied, 2 all no longer
 * found, 3 both (0 none). */
static int
s_ended(const alert_item_t *const *items, int n)
{
	int how = 0;

	for (int i = 0; i < n; i++)
		if (strcmp(items[i]->status, "resolved") == 0)
			how |= strcmp(s_str(items[i]->reason), "no_longer_found") == 0 ? 2 : 1;
	return how;
}

/* s_heading - a section's heading; the resolved section says how its items
 * ended (never "remedied" for what is only no longer found). */
static const char *
s_heading(int o, int vi, int ended)
{
	static const char *const vis[] = { "PHÁT HIỆN MỚI", "TĂNG MỨC ĐỘ", "ĐÃ KHẮC PHỤC HOẶC KHÔNG CÒN PHÁT HIỆN",
		"VẪN CÒN (nhắc lại)" };
	static const char *const ens[] = { "NEW FINDINGS", "ESCALATED", "REMEDIED OR NO LONGER FOUND",
		"STILL OPEN (reminder)" };

	if (o == 2 && ended == 1)
		return vi ? "ĐÃ KHẮC PHỤC" : "REMEDIED";
	if (o == 2 && ended == 2)
		return vi ? "KHÔNG CÒN PHÁT HIỆN" : "NO LONGER FOUND";
	return vi ? vis[o] : ens[o];
}

/* s_ended_word - the summary's word for the resolved items. */
static const char *
s_ended_word(int vi, int ended)
{
	if (ended == 1)
		return vi ? "đã khắc phục" : "remedied";
	if (ended == 2)
		return vi ? "không còn phát hiện" : "no longer found";
	return vi ? "đã khắc phục hoặc không còn phát hiện" : "remedied or no longer found";
}

/* s_status_rank - the section of a status (firing for anything else). */
static int
s_status_rank(const char *status)
{
	for (int o = 0; o < 3; o++)
		if (status != NULL && strcmp(status, s_order[o]) == 0)
			return o;
	return 3;
}

/* s_grouped - a whole number with '.' between thousands (Vietnamese style);
 * rounded as printf rounds, "?" when not a plausible figure. */
static void
s_grouped(sb_t *out, double v)
{
	if (!(v == v) || v > 1e15 || v < -1e15) {
		sb_add(out, "?");
		return;
	}
	if (v < 0)
		sb_add(out, "-");
	report_grouped(out, llrint(v < 0 ? -v : v));
}

/* s_number - a number for people: whole numbers grouped by thousands, else
 * at most two decimals after a comma (vi) or a point (en). */
static void
s_number(sb_t *out, double v, int vi)
{
	char b[64], *p;

	if (!(v == v) || v > 1e15 || v < -1e15 || v == (double)(long long)v) { /* the cast only in range */
		if (vi)
			s_grouped(out, v);
		else {
			report_number(b, sizeof(b), v);
			sb_add(out, b[0] ? b : "?");
		}
		return;
	}
	report_number(b, sizeof(b), v);
	if (vi && (p = strchr(b, '.')) != NULL)
		*p = ',';
	sb_add(out, b[0] ? b : "?");
}

/* s_money - an amount of VND: "1.234.567 đ" / "1,234,567 VND". */
static void
s_money(sb_t *out, double v, int vi)
{
	if (vi) {
		s_grouped(out, v);
		sb_add(out, " đ");
		return;
	}
	{
		sb_t g;

		sb_init(&g);
		sb_add(&g, "");
		s_grouped(&g, v);
		for (char *p = g.data; *p; p++)
			if (*p == '.')
				*p = ',';
		sb_addf(out, "%s VND", g.data);
		sb_free(&g);
	}
}

/* s_month - "tháng 3/2017" / "March 2017" from YYYY-MM (as it is if not one). */
static void
s_month(sb_t *out, const char *ym, int vi)
{
	static const char *const en[] = { "January", "February", "March", "April", "May", "June", "July", "August",
		"September", "October", "November", "December" };
	int y, m;

	if (ym == NULL || sscanf(ym, "%4d-%2d", &y, &m) != 2 || m < 1 || m > 12) {
		sb_add(out, s_str(ym));
		return;
	}
	if (vi)
		sb_addf(out, "tháng %d/%d", m, y);
	else
		sb_addf(out, "%s %d", en[m - 1], y);
}

/* s_date - a day: "15/05/2017" / "15 May 2017" (local time). */
static void
s_date(sb_t *out, long long secs, int vi)
{
	time_t t = (time_t)secs;
	struct tm tm;
	char b[64];

	localtime_r(&t, &tm);
	strftime(b, sizeof(b), vi ? "%d/%m/%Y" : "%e %B %Y", &tm);
	sb_add(out, b[0] == ' ' ? b + 1 : b);
}

/* s_unit_place - a unit's name with those of its ancestors below the root:
 * "Xã Y, Huyện Z"; the code if not configured. */
static void
s_unit_place(sb_t *out, const config_t *c, const char *code)
{
	int u = c != NULL && code != NULL && code[0] ? config_unit_index(c, code) : -1, first = 1;

	if (u < 0) {
		sb_add(out, s_str(code));
		return;
	}
	for (int i = u; i >= 0 && (i == u || c->units[i].depth > 0); i = c->units[i].parent) {
		sb_addf(out, "%s%s", first ? "" : ", ", c->units[i].name);
		first = 0;
	}
}

/* s_root_name - the root unit's name ("Tỉnh Bắc Kạn"), or "". */
static const char *
s_root_name(const config_t *c)
{
	return c != NULL && c->nunits > 0 ? c->units[0].name : "";
}

/* s_receiver_title - whom the notice is for, for people: "UBND " and the
 * district's configured name, the agency's name, or the body of the role. */
static void
s_receiver_title(sb_t *out, const notice_ctx_t *x, int vi)
{
	const config_t *c = x->cfg;
	alert_role_t role = x->rec != NULL ? x->rec->role : ROLE_OPERATOR;
	const char *root = s_root_name(c);

	switch (role) {
	case ROLE_DISTRICT_COMMITTEE:
		if (vi)
			sb_addf(out, "UBND %s", s_str(x->scope_name));
		else
			sb_addf(out, "People's Committee of %s", s_str(x->scope_name));
		return;
	case ROLE_AGENCY:
		sb_add(out, s_str(x->scope_name));
		return;
	case ROLE_SOCIAL_SECURITY:
		sb_addf(out, vi ? "Bảo hiểm xã hội %s" : "Social Security of %s", root);
		return;
	case ROLE_LABOUR_INSPECTION:
		sb_addf(out, vi ? "Thanh tra Sở Lao động - Thương binh và Xã hội %s"
		    : "Inspectorate of the Department of Labour, Invalids and Social Affairs of %s", root);
		return;
	case ROLE_TRADE_UNION:
		sb_addf(out, vi ? "Liên đoàn Lao động %s" : "Trade-union federation of %s", root);
		return;
	case ROLE_PROVINCIAL_COMMITTEE:
		sb_addf(out, vi ? "UBND %s" : "People's Committee of %s", root);
		return;
	case ROLE_FATHERLAND_FRONT:
		sb_addf(out, vi ? "Ủy ban Mặt trận Tổ quốc Việt Nam %s" : "Viet Nam Fatherland Front Committee of %s", root);
		return;
	default:
		sb_add(out, vi ? "Bộ phận vận hành hệ thống giám sát" : "Monitoring system operations team");
	}
}

/* s_is_employer - kinds whose subject is a tax code. */
static int
s_is_employer(const char *kind)
{
	return strcmp(kind, "not_enrolled") == 0 || strcmp(kind, "under_declared") == 0
	    || strcmp(kind, "unregistered") == 0;
}

/* s_is_unit_scheme - kinds whose subject is UNIT:scheme. */
static int
s_is_unit_scheme(const char *kind)
{
	return strcmp(kind, "behind_target") == 0 || strcmp(kind, "off_track") == 0;
}

/* s_who - what the entry is about: employer, unit, agent, area or agency. */
static void
s_who(sb_t *t, const notice_ctx_t *x, const alert_item_t *it, int vi)
{
	int keep_ins = x->rec != NULL && x->rec->role == ROLE_SOCIAL_SECURITY;
	/* the subject is a tax, unit, agent or area code, which all may see (docs/DOMAIN.md §7) */
	char *name = format_scrub(it->name, keep_ins), *subject = format_scrub(it->subject, 1);
	const char *colon = strchr(subject, ':');

	if (s_is_employer(it->kind))
		sb_addf(t, "%s: %s%s%s %s", vi ? "Doanh nghiệp" : "Employer", name, name[0] ? ", " : "",
		    vi ? "mã số thuế" : "tax code", subject);
	else if (strcmp(it->kind, "arrears") == 0 || strcmp(it->kind, "low_wage_basis") == 0)
		sb_addf(t, "%s: %s%s%s %s", vi ? "Đơn vị" : "Unit", name, name[0] ? ", " : "",
		    vi ? "mã đơn vị" : "unit code", subject);
	else if (strcmp(it->kind, "idle_agent") == 0)
		sb_addf(t, "%s: %s%s%s %s", vi ? "Đại lý thu" : "Collection agent", name, name[0] ? ", " : "",
		    vi ? "mã đại lý" : "agent code", subject);
	else if (s_is_unit_scheme(it->kind) && colon != NULL) {
		char unit[64];

		snprintf(unit, sizeof(unit), "%.*s", (int)(colon - subject), subject);
		sb_addf(t, "%s: ", vi ? "Địa bàn" : "Area");
		s_unit_place(t, x->cfg, unit);
		sb_addf(t, ", %s", strcmp(colon + 1, "bhtn") == 0 ? (vi ? "bảo hiểm thất nghiệp" : "unemployment insurance")
		    : (vi ? "bảo hiểm xã hội" : "social insurance"));
	} else if (strcmp(it->kind, "missing_data") == 0) {
		char agency[64];
		const cfg_agency_t *a;

		snprintf(agency, sizeof(agency), "%.*s", colon != NULL ? (int)(colon - subject) : 0, subject);
		a = x->cfg != NULL && agency[0] ? config_agency(x->cfg, agency) : NULL;
		if (a != NULL)
			sb_addf(t, "%s: %s; %s: %s", vi ? "Cơ quan" : "Agency", a->name != NULL ? a->name : agency,
			    vi ? "dữ liệu còn thiếu" : "missing data", kind_rtype_name(colon + 1, vi));
		else
			sb_addf(t, "%s: %s", vi ? "Dữ liệu còn thiếu" : "Missing data",
			    kind_rtype_name(colon != NULL ? colon + 1 : subject, vi));
		sb_add(t, vi ? " của " : " of ");
		s_month(t, it->period, vi);
		if (name[0] != '\0' && (a == NULL || a->name == NULL || strcmp(name, a->name) != 0))
			sb_addf(t, " (%s)", name);
	} else
		sb_addf(t, "%s%s%s", name, name[0] ? " - " : "", subject);
	if (it->org_unit != NULL && it->org_unit[0] != '\0' && !s_is_unit_scheme(it->kind)) {
		sb_addf(t, "; %s: ", vi ? "địa bàn" : "area");
		s_unit_place(t, x->cfg, it->org_unit);
	}
	free(name);
	free(subject);
}

/* s_cap - s with its first letter made a capital (ASCII letters only). */
static void
s_cap(sb_t *t, const char *s)
{
	if (s[0] >= 'a' && s[0] <= 'z') {
		char c = (char)(s[0] - 'a' + 'A');

		sb_addn(t, &c, 1);
		s++;
	}
	sb_add(t, s);
}

/* s_value - the entry's value in its unit, and its reference (threshold). */
static void
s_value(sb_t *t, const notice_ctx_t *x, const alert_item_t *it, const kind_t *k, int vi)
{
	int pct = strcmp(k->unit_en, "%") == 0, money = strcmp(k->unit_en, "VND") == 0;

	if (k->value_vi[0] == '\0')
		return;
	sb_add(t, "     ");
	s_cap(t, vi ? k->value_vi : k->value_en);
	sb_add(t, ": ");
	if (money)
		s_money(t, it->value, vi);
	else {
		s_number(t, it->value, vi);
		if (strcmp(k->unit_en, "workers") != 0) /* "Số người lao động: 12", not "... 12 người lao động" */
			sb_addf(t, "%s%s", pct ? "" : " ", vi ? k->unit_vi : k->unit_en);
	}
	if (strcmp(it->kind, "low_wage_basis") == 0) {
		sb_addf(t, " (%s ", vi ? "lương tối thiểu vùng" : "regional minimum wage");
		s_money(t, it->threshold, vi);
		sb_add(t, ")");
	} else if (strcmp(it->kind, "behind_target") == 0 || strcmp(it->kind, "off_track") == 0) {
		if (strcmp(it->kind, "off_track") == 0 && x->cfg != NULL)
			sb_addf(t, " (%s %d: ", vi ? "mục tiêu năm" : "goal for", x->cfg->goal.year);
		else
			sb_addf(t, " (%s ", vi ? "chỉ tiêu" : "target");
		s_number(t, it->threshold, vi);
		sb_add(t, "%)");
	}
	sb_add(t, "\n");
}

/* s_link - the dashboard page of the entry: the unit's page, at the
 * employer's anchor for an employer; the province's page without a unit. */
static void
s_link(sb_t *t, const notice_ctx_t *x, const alert_item_t *it)
{
	const char *base = x->cfg != NULL && x->cfg->alert != NULL ? x->cfg->alert->notices.dashboard_url : "";
	const char *unit = it->org_unit != NULL ? it->org_unit : "";
	char code[64] = "";

	if (base == NULL || base[0] == '\0')
		return;
	if (s_is_unit_scheme(it->kind) && strchr(s_str(it->subject), ':') != NULL)
		snprintf(code, sizeof(code), "%.*s", (int)(strchr(it->subject, ':') - it->subject), it->subject);
	else
		snprintf(code, sizeof(code), "%s", unit);
	if (code[0] == '\0' || config_unit_index(x->cfg, code) < 0 || !s_token_ok(code)) {
		sb_addf(t, "%s/index.html", base);
		return;
	}
	sb_addf(t, "%s/unit/%s.html", base, code);
	if (s_is_employer(it->kind) && strspn(s_str(it->subject), "0123456789-") == strlen(s_str(it->subject)))
		sb_addf(t, "#e-%s", it->subject);
}

/* s_due_secs - the day action is asked for by. */
static long long
s_due_secs(const notice_ctx_t *x)
{
	int days = x->cfg != NULL && x->cfg->alert != NULL ? x->cfg->alert->notices.action_days : 30;

	return x->date + (long long)days * 86400;
}

/* s_entry - one entry of a section, in one language. */
static void
s_entry(sb_t *t, const notice_ctx_t *x, const alert_item_t *it, int num, int vi)
{
	const kind_t *k = kind_find(it->kind);
	alert_role_t role = x->rec != NULL ? x->rec->role : ROLE_OPERATOR;
	sb_t link;

	sb_addf(t, "  %d. ", num);
	kind_label(x->cfg, it->kind, vi, t);
	sb_addf(t, " (%s)\n     ", vi ? kind_severity_vi(it->severity) : kind_severity_en(it->severity));
	s_who(t, x, it, vi);
	sb_add(t, "\n");
	if (strcmp(it->status, "resolved") == 0) {
		const char *r = s_str(it->reason);

		sb_addf(t, "     %s: %s (", vi ? "Kết quả" : "Outcome", strcmp(r, "no_longer_found") == 0
		    ? (vi ? "không còn phát hiện" : "no longer found") : (vi ? "đã khắc phục" : "remedied"));
		s_month(t, it->period, vi);
		sb_add(t, ")\n");
		return;
	}
	if (k != NULL)
		s_value(t, x, it, k, vi);
	if (it->workers > 0 && (k == NULL || strcmp(k->unit_en, "workers") != 0)) {
		sb_addf(t, "     %s: ", vi ? "Số người lao động liên quan" : "Workers concerned");
		s_number(t, it->workers, vi);
		sb_add(t, "\n");
	}
	if (it->amount > 0) {
		sb_addf(t, "     %s: ", strcmp(it->kind, "arrears") == 0 ? (vi ? "Số tiền nợ" : "Amount owed")
		    : (vi ? "Số tiền" : "Amount"));
		s_money(t, it->amount, vi);
		sb_add(t, "\n");
	}
	if (it->since != NULL && it->since[0] != '\0') {
		int range = it->period != NULL && strcmp(it->since, it->period) != 0;

		sb_addf(t, "     %s ", vi ? "Từ" : range ? "From" : "Since");
		s_month(t, it->since, vi);
		if (range) {
			sb_addf(t, " %s ", vi ? "đến" : "to");
			s_month(t, it->period, vi);
		}
	} else {
		sb_addf(t, "     %s: ", vi ? "Kỳ" : "Month");
		s_month(t, it->period, vi);
	}
	sb_addf(t, "\n     %s: ", vi ? "Đề nghị" : "Action requested");
	kind_action(x->cfg, it->kind, role, vi, t);
	sb_addf(t, ", %s ", vi ? "trước ngày" : "by");
	s_date(t, s_due_secs(x), vi);
	sb_add(t, "\n");
	sb_init(&link);
	sb_add(&link, "");
	s_link(&link, x, it);
	if (link.len > 0)
		sb_addf(t, "     %s: %s\n", vi ? "Xem chi tiết" : "Details", link.data);
	sb_free(&link);
}

/* s_contact - whom the receiver may contact, "" if nobody is configured. */
static const char *
s_contact(const notice_ctx_t *x)
{
	if (x->rec != NULL && x->rec->contact != NULL && x->rec->contact[0])
		return x->rec->contact;
	return x->cfg != NULL && x->cfg->alert != NULL && x->cfg->alert->notices.contact != NULL
	    ? x->cfg->alert->notices.contact : "";
}

/* s_csv_name - the attachment's file name. */
static void
s_csv_name(sb_t *out, long long nid)
{
	sb_addf(out, "phát-hiện-%lld.csv", nid);
}

/* s_body - the text in one language: who it is for, a summary, then the
 * sections (each sorted, at most max_entries listed). */
static void
s_body(sb_t *t, const notice_ctx_t *x, const alert_item_t *const *sorted, int n, int vi)
{
	int max = x->cfg != NULL && x->cfg->alert != NULL ? x->cfg->alert->notices.max_entries : 20;
	int cnt[4] = { 0 }, sep = 0, cut = 0;
	const char *contact = s_contact(x);
	sb_t name;

	for (int i = 0; i < n; i++)
		cnt[s_status_rank(sorted[i]->status)]++;
	sb_addf(t, vi ? "Hệ thống giám sát BHXH - thông báo số %lld ngày " : "Social insurance monitoring - notice %lld of ",
	    x->nid);
	s_date(t, x->date, vi);
	sb_addf(t, "\n%s: ", vi ? "Kính gửi" : "To");
	s_receiver_title(t, x, vi);
	sb_addf(t, "\n\n%s: ", vi ? "Tóm tắt" : "Summary");
	for (int o = 0; o < 4; o++) {
		static const char *const sv[] = { "phát hiện mới", "tăng mức độ", "đã khắc phục hoặc không còn phát hiện", "vẫn còn" };
		static const char *const se[] = { "new findings", "escalated", "remedied or no longer found", "still open" };

		if (cnt[o] == 0)
			continue;
		sb_addf(t, "%s%d %s", sep ? ", " : "", cnt[o], o == 2 ? s_ended_word(vi, s_ended(sorted, n)) : vi ? sv[o] : se[o]);
		sep = 1;
	}
	sb_add(t, ".\n");
	if (cnt[0] + cnt[1] + cnt[3] > 0) {
		sb_add(t, vi ? "Đề nghị xem xét, xử lý các trường hợp dưới đây trước ngày "
		    : "Please look into the cases below and act by ");
		s_date(t, s_due_secs(x), vi);
		sb_add(t, ".\n");
	}
	if (contact[0] != '\0')
		sb_addf(t, "%s: %s\n", vi ? "Liên hệ" : "Contact", contact);
	sb_init(&name);
	sb_add(&name, "");
	s_csv_name(&name, x->nid);
	for (int o = 0; o < 4; o++) {
		int shown = 0;

		if (cnt[o] == 0)
			continue;
		sb_addf(t, "\n%s (%d)\n", s_heading(o, vi, s_ended(sorted, n)), cnt[o]);
		if (o == 3 && cnt[0] + cnt[1] + cnt[2] > 0) {
			/* a digest of changes only counts what is still open (told
			 * before); a reminder lists it when repeat_interval is due */
			sb_addf(t, vi ? "  Các trường hợp đã thông báo trước đây và chưa được khắc phục; danh sách trong tệp %s kèm theo.\n"
			    : "  Cases told before and not yet remedied; they are listed in the attached file %s.\n", name.data);
			cut = 1;
			continue;
		}
		for (int i = 0; i < n; i++) {
			if (s_status_rank(sorted[i]->status) != o)
				continue;
			if (shown == max) {
				shown++;
				break;
			}
			s_entry(t, x, sorted[i], ++shown, vi);
		}
		if (cnt[o] > max) {
			sb_addf(t, vi ? "  ... và %d trường hợp khác: xem danh sách đầy đủ trong tệp %s kèm theo.\n"
			    : "  ... and %d more: the full list is in the attached file %s.\n", cnt[o] - max, name.data);
			cut = 1;
		}
	}
	if (!cut && n > 0)
		sb_addf(t, vi ? "\nDanh sách đầy đủ cũng có trong tệp %s kèm theo (mở bằng Excel).\n"
		    : "\nThe full list is also in the attached file %s (opens in Excel).\n", name.data);
	sb_free(&name);
}

/* s_subject - one line: counts by status, the kind when there is one, the
 * name when alone, the receiver's area. */
static void
s_subject(const notice_ctx_t *x, sb_t *s, const alert_item_t *items, int n)
{
	static const char *const vi[] = { "mới", "tăng mức", "đã khắc phục", "vẫn còn" };
	static const char *const en[] = { "new", "escalated", "resolved", "still open" };
	int keep_ins = x->rec != NULL && x->rec->role == ROLE_SOCIAL_SECURITY;
	const char *kind = NULL;
	const alert_item_t *one = NULL;
	int cnt[4] = { 0 }, lang, sep, only_repeats, first = 1, ended = 0;

	for (int i = 0; i < n; i++)
		cnt[s_status_rank(items[i].status)]++;
	only_repeats = cnt[0] + cnt[1] + cnt[2] == 0;
	for (int i = 0; i < n; i++)
		if (strcmp(items[i].status, "resolved") == 0)
			ended |= strcmp(s_str(items[i].reason), "no_longer_found") == 0 ? 2 : 1;
	/* the subject names what changed (a reminder: what is still open) */
	for (int i = 0; i < n; i++) {
		if (!only_repeats && s_status_rank(items[i].status) == 3)
			continue;
		if (first)
			kind = items[i].kind;
		else if (kind != NULL && strcmp(items[i].kind, kind) != 0)
			kind = NULL;
		one = first ? &items[i] : NULL;
		first = 0;
	}
	if (!only_repeats)
		cnt[3] = 0;
	sb_add(s, "[BHXH] ");
	for (lang = 0; lang < 2; lang++) {
		if (lang == 1)
			sb_add(s, " / ");
		sep = 0;
		for (int o = 0; o < 4; o++)
			if (cnt[o] > 0) {
				sb_addf(s, "%s%d %s", sep ? ", " : "", cnt[o], o == 2 ? s_ended_word(lang == 0, ended) :
				    lang == 0 ? vi[o] : en[o]);
				sep = 1;
			}
		sb_add(s, ": ");
		if (kind != NULL)
			kind_label(x->cfg, kind, lang == 0, s);
		else
			sb_add(s, lang == 0 ? "nhiều loại phát hiện" : "findings of several kinds");
		if (lang == 0 && one != NULL) {
			const alert_item_t *it = one;
			char *name = format_scrub(it->name, keep_ins), *subj = format_scrub(it->subject, 1);

			if (!s_is_unit_scheme(it->kind) && strcmp(it->kind, "missing_data") != 0)
				sb_addf(s, " - %s%s%s", name, name[0] ? " " : "", subj);
			free(name);
			free(subj);
		}
		if (lang == 0 && x->scope_name != NULL && x->scope_name[0] != '\0')
			sb_addf(s, " (%s)", x->scope_name);
	}
}

/* s_cmp - severity (highest first), then value (largest first), then kind and subject. */
static int
s_cmp(const void *a, const void *b)
{
	const alert_item_t *x = *(const alert_item_t *const *)a, *y = *(const alert_item_t *const *)b;
	int rx = alert_severity_rank(x->severity), ry = alert_severity_rank(y->severity), c;

	if (rx != ry)
		return ry - rx;
	if (x->value != y->value && x->value == x->value && y->value == y->value)
		return y->value > x->value ? 1 : -1;
	if ((c = strcmp(s_str(x->kind), s_str(y->kind))) != 0)
		return c;
	return strcmp(s_str(x->subject), s_str(y->subject));
}

/* s_csv_text - a cell of text from the data: one a spreadsheet would take for
 * a formula (starting with = + - @, a tab or a CR) is kept text by a leading
 * apostrophe. */
static void
s_csv_text(sb_t *csv, const char *s)
{
	if (s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL) {
		sb_t b;

		sb_init(&b);
		sb_addf(&b, "'%s", s);
		sb_csv_field(csv, b.data);
		sb_free(&b);
		return;
	}
	sb_csv_field(csv, s);
}

/* format_csv_text - see alert.h. */
void
format_csv_text(sb_t *csv, const char *s)
{
	s_csv_text(csv, s != NULL ? s : "");
}

/* s_csv_row - one entry as a CSV row (the numbers plain, for a spreadsheet). */
static void
s_csv_row(sb_t *csv, const notice_ctx_t *x, const alert_item_t *it)
{
	static const char *const st[] = { "mới", "tăng mức độ", "", "vẫn còn" };
	int keep_ins = x->rec != NULL && x->rec->role == ROLE_SOCIAL_SECURITY, o = s_status_rank(it->status);
	alert_role_t role = x->rec != NULL ? x->rec->role : ROLE_OPERATOR;
	const kind_t *k = kind_find(it->kind);
	char *name = format_scrub(it->name, keep_ins), *subj = format_scrub(it->subject, 1), num[64];
	sb_t f;

	sb_init(&f);
	sb_add(&f, "");
	if (o == 2)
		sb_add(&f, strcmp(s_str(it->reason), "no_longer_found") == 0 ? "không còn phát hiện" : "đã khắc phục");
	else
		sb_add(&f, st[o]);
	sb_csv_field(csv, f.data);
	f.len = 0;
	f.data[0] = '\0';
	kind_label(x->cfg, it->kind, 1, &f);
	sb_add(csv, ",");
	sb_csv_field(csv, f.data);
	sb_add(csv, ",");
	sb_csv_field(csv, kind_severity_vi(it->severity));
	sb_add(csv, ",");
	if (s_is_unit_scheme(it->kind) || strcmp(it->kind, "missing_data") == 0) {
		/* an area and its scheme, an agency and its data: by their names */
		const char *colon = strchr(subj, ':');
		char code[64];

		snprintf(code, sizeof(code), "%.*s", colon != NULL ? (int)(colon - subj) : 0, subj);
		f.len = 0;
		f.data[0] = '\0';
		if (s_is_unit_scheme(it->kind))
			s_unit_place(&f, x->cfg, code);
		else {
			const cfg_agency_t *a = x->cfg != NULL && code[0] ? config_agency(x->cfg, code) : NULL;

			sb_add(&f, a != NULL && a->name != NULL ? a->name : code);
		}
		s_csv_text(csv, f.data);
		sb_add(csv, ",");
		s_csv_text(csv, s_is_unit_scheme(it->kind) ? (colon != NULL && strcmp(colon + 1, "bhtn") == 0 ? "BHTN" : "BHXH")
		    : kind_rtype_name(colon != NULL ? colon + 1 : subj, 1));
	} else {
		s_csv_text(csv, name);
		sb_add(csv, ",");
		s_csv_text(csv, subj);
	}
	f.len = 0;
	f.data[0] = '\0';
	s_unit_place(&f, x->cfg, it->org_unit);
	sb_add(csv, ",");
	sb_csv_field(csv, f.data);
	sb_add(csv, ",");
	sb_csv_field(csv, s_str(it->period));
	report_number(num, sizeof(num), it->value);
	sb_addf(csv, ",%s,", num);
	sb_csv_field(csv, k != NULL ? k->unit_vi : "");
	report_number(num, sizeof(num), it->threshold);
	sb_addf(csv, ",%s,", num);
	if (it->workers > 0) {
		report_number(num, sizeof(num), it->workers);
		sb_add(csv, num);
	}
	sb_add(csv, ",");
	if (it->amount > 0) {
		report_number(num, sizeof(num), it->amount);
		sb_add(csv, num);
	}
	sb_add(csv, ",");
	sb_csv_field(csv, s_str(it->since));
	f.len = 0;
	f.data[0] = '\0';
	if (o != 2)
		kind_action(x->cfg, it->kind, role, 1, &f);
	sb_add(csv, ",");
	sb_csv_field(csv, f.data);
	f.len = 0;
	f.data[0] = '\0';
	if (o != 2)
		s_date(&f, s_due_secs(x), 1);
	sb_add(csv, ",");
	sb_csv_field(csv, f.data);
	f.len = 0;
	f.data[0] = '\0';
	s_link(&f, x, it);
	sb_add(csv, ",");
	sb_csv_field(csv, f.data);
	sb_add(csv, "\r\n");
	sb_free(&f);
	free(name);
	free(subj);
}

/* format_notice - subject, text, JSON and CSV of one digest. */
void
format_notice(const notice_ctx_t *x, const alert_item_t *items, int n, sb_t *subject, sb_t *text, sb_t *json,
    sb_t *csv)
{
	int keep_ins = x->rec != NULL && x->rec->role == ROLE_SOCIAL_SECURITY;
	const alert_item_t **sorted = xcalloc((size_t)n + 1, sizeof(*sorted));
	char *clean;
	sb_t s;

	for (int i = 0; i < n; i++)
		sorted[i] = &items[i];
	qsort(sorted, (size_t)n, sizeof(*sorted), s_cmp);
	sb_init(&s);
	s_subject(x, &s, items, n);
	clean = format_header_text(s.data);
	sb_add(subject, clean);
	free(clean);
	sb_free(&s);
	s_body(text, x, sorted, n, 1);
	sb_add(text, "\n------------------------------------------------------------\n\n");
	s_body(text, x, sorted, n, 0);
	if (csv != NULL) {
		sb_add(csv, "\xEF\xBB\xBF" /* BOM: spreadsheets then read UTF-8 */
		    "Tình trạng / Status,Phát hiện / Finding,Mức độ / Severity,Tên / Name,Mã / Code,Địa bàn / Area,"
		    "Kỳ / Month,Giá trị / Value,Đơn vị tính / Unit,Ngưỡng / Threshold,Số người lao động / Workers,"
		    "Số tiền (đồng) / Amount (VND),Từ tháng / Since,Đề nghị / Action,Hạn / Due,Liên kết / Link\r\n");
		for (int o = 0; o < 4; o++)
			for (int i = 0; i < n; i++)
				if (s_status_rank(sorted[i]->status) == o)
					s_csv_row(csv, x, sorted[i]);
	}
	sb_addf(json, "{\"notice\": %lld, \"receiver\": ", x->nid);
	sb_json_str(json, x->rec != NULL ? x->rec->name : "");
	sb_addf(json, ", \"role\": \"%s\", \"scope\": ", alert_role_name(x->rec != NULL ? x->rec->role : ROLE_OPERATOR));
	sb_json_str(json, s_str(x->scope));
	sb_add(json, ", \"group\": ");
	sb_json_str(json, s_str(x->group));
	sb_add(json, ", \"subject\": ");
	sb_json_str(json, subject->data);
	sb_add(json, ", \"alerts\": [");
	for (int i = 0; i < n; i++) {
		const alert_item_t *it = sorted[i];
		char *name = format_scrub(it->name, keep_ins);
		char v[64], th[64], am[64], wk[64];

		report_number(v, sizeof(v), it->value);
		report_number(th, sizeof(th), it->threshold);
		report_number(am, sizeof(am), it->amount);
		report_number(wk, sizeof(wk), it->workers);
		sb_add(json, i ? ",\n  {\"status\": " : "\n  {\"status\": ");
		sb_json_str(json, it->status);
		sb_add(json, ", \"kind\": ");
		sb_json_str(json, it->kind);
		sb_add(json, ", \"subject\": ");
		{
			/* as in the text: a run of 12 digits (a citizen ID's shape) never leaves */
			char *subj = format_scrub(it->subject, 1);

			sb_json_str(json, subj);
			free(subj);
		}
		sb_add(json, ", \"name\": ");
		sb_json_str(json, name);
		sb_add(json, ", \"org_unit\": ");
		sb_json_str(json, s_str(it->org_unit));
		sb_add(json, ", \"period\": ");
		sb_json_str(json, s_str(it->period));
		sb_add(json, ", \"severity\": ");
		sb_json_str(json, s_str(it->severity));
		/* report_number leaves a number it cannot print empty: null */
		sb_addf(json, ", \"value\": %s, \"threshold\": %s", v[0] ? v : "null", th[0] ? th : "null");
		sb_add(json, ", \"since\": ");
		sb_json_str(json, s_str(it->since));
		sb_add(json, ", \"reason\": ");
		sb_json_str(json, s_str(it->reason));
		sb_addf(json, ", \"amount\": %s, \"workers\": %s}", am[0] ? am : "null", wk[0] ? wk : "null");
		free(name);
	}
	sb_add(json, "],\n \"text\": ");
	sb_json_str(json, text->data);
	sb_add(json, "}\n");
	free(sorted);
}

/* format_csv_name - the file name of notice nid's CSV list (UTF-8). */
void
format_csv_name(sb_t *out, long long nid)
{
	s_csv_name(out, nid);
}

/* format_channel_vi - a channel in Vietnamese. */
const char *
format_channel_vi(const char *channel)
{
	return strcmp(channel, "email") == 0 ? "thư điện tử" : strcmp(channel, "file") == 0 ? "tệp" : channel;
}

/* format_channel_en - a channel in English. */
const char *
format_channel_en(const char *channel)
{
	return strcmp(channel, "email") == 0 ? "e-mail" : channel;
}

/* s_dead_section - the dead letter told in one language. */
static void
s_dead_section(sb_t *t, const char *op, long long nid, const alert_dead_t *dl, const char *error,
    const char *subject, int vi)
{
	if (vi) {
		sb_addf(t, "Hệ thống giám sát BHXH - thông báo số %lld gửi %s (%s)\n", nid, s_role_vi(ROLE_OPERATOR), op);
		sb_addf(t, "Thông báo số %lld không gửi được và đã ngừng gửi lại (thư chết).\n\n", dl->notice);
		sb_addf(t, "  Người nhận: %s (%s)%s%s\n", dl->receiver, s_role_vi(dl->role), dl->scope[0] ? " - " : "",
		    dl->scope);
		sb_addf(t, "  Kênh gửi: %s\n", format_channel_vi(dl->channel));
		if (dl->recipient[0] != '\0')
			sb_addf(t, "  Địa chỉ: %s\n", dl->recipient);
		sb_addf(t, "  Số lần thử: %d\n  Lỗi cuối cùng: %s\n  Tiêu đề thông báo: %s\n", dl->attempts, error, subject);
		sb_add(t, "\nĐề nghị kiểm tra địa chỉ hoặc máy chủ nhận; thông báo được giữ trong VAR/db/alert.db"
		    " (bảng outmsg) để gửi lại bằng cách khác nếu cần.\n");
		return;
	}
	sb_addf(t, "Social insurance monitoring - notice %lld to %s (%s)\n", nid, alert_role_name(ROLE_OPERATOR), op);
	sb_addf(t, "Notice %lld could not be delivered and is no longer retried (a dead letter).\n\n", dl->notice);
	sb_addf(t, "  Receiver: %s (%s)%s%s\n", dl->receiver, alert_role_name(dl->role), dl->scope[0] ? " - " : "",
	    dl->scope);
	sb_addf(t, "  Channel: %s\n", format_channel_en(dl->channel));
	if (dl->recipient[0] != '\0')
		sb_addf(t, "  Recipient: %s\n", dl->recipient);
	sb_addf(t, "  Attempts: %d\n  Last error: %s\n  Notice subject: %s\n", dl->attempts, error, subject);
	sb_add(t, "\nPlease check the address or the receiving server; the notice is kept in VAR/db/alert.db"
	    " (table outmsg) to be sent another way if needed.\n");
}

/* format_dead_letter - subject, text and JSON of a notice about a dead letter. */
void
format_dead_letter(const char *op, long long nid, const alert_dead_t *dl, sb_t *subject, sb_t *text, sb_t *json)
{
	char *error = format_header_text(dl->error), *subj = format_header_text(dl->subject);
	char *recipient = format_header_text(dl->recipient), *line;
	sb_t s;

	sb_init(&s);
	sb_addf(&s, "[BHXH] Thông báo số %lld không gửi được tới %s (%s%s%s) / Notice %lld could not be delivered to %s (%s)",
	    dl->notice, dl->receiver, format_channel_vi(dl->channel), recipient[0] ? " " : "", recipient, dl->notice,
	    dl->receiver, format_channel_en(dl->channel));
	line = format_header_text(s.data);
	sb_add(subject, line);
	free(line);
	sb_free(&s);
	s_dead_section(text, op, nid, dl, error, subj, 1);
	sb_add(text, "\n------------------------------------------------------------\n\n");
	s_dead_section(text, op, nid, dl, error, subj, 0);
	sb_addf(json, "{\"notice\": %lld, \"receiver\": ", nid);
	sb_json_str(json, op);
	sb_add(json, ", \"role\": \"operator\", \"subject\": ");
	sb_json_str(json, subject->data);
	sb_addf(json, ",\n \"dead_letter\": {\"notice\": %lld, \"delivery\": %lld, \"receiver\": ", dl->notice,
	    dl->delivery);
	sb_json_str(json, dl->receiver);
	sb_add(json, ", \"role\": ");
	sb_json_str(json, alert_role_name(dl->role));
	sb_add(json, ", \"scope\": ");
	sb_json_str(json, dl->scope);
	sb_add(json, ", \"channel\": ");
	sb_json_str(json, dl->channel);
	sb_add(json, ", \"recipient\": ");
	sb_json_str(json, dl->recipient);
	sb_addf(json, ", \"attempts\": %d, \"last_error\": ", dl->attempts);
	sb_json_str(json, dl->error);
	sb_add(json, ", \"subject\": ");
	sb_json_str(json, dl->subject);
	sb_add(json, "},\n \"text\": ");
	sb_json_str(json, text->data);
	sb_add(json, "}\n");
	free(error);
	free(subj);
	free(recipient);
}

/* s_rfc2231 - a parameter value as RFC 2231 UTF-8 percent-encoding. */
static void
s_rfc2231(sb_t *out, const char *s)
{
	sb_add(out, "UTF-8''");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._", *p))
			sb_addn(out, (const char *)p, 1);
		else
			sb_addf(out, "%%%02X", *p);
}

/* format_email - headers, a blank line, the base64 body; with a CSV, a
 * multipart/mixed message whose second part is the CSV attachment. */
void
format_email(sb_t *out, const char *from_name, const char *from, char *const *to, int nto,
    const char *subject, const char *text, const char *html, const char *csv, const char *csv_name, long long nid,
    long long did, long long date)
{
	time_t t = (time_t)date;
	struct tm tm;
	char d[64], boundary[96], alt[112];
	int has_csv = csv != NULL && csv[0] != '\0', has_html = html != NULL && html[0] != '\0';

	gmtime_r(&t, &tm);
	strftime(d, sizeof(d), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	sb_addf(out, "Date: %s\r\nFrom: ", d);
	format_rfc2047(out, from_name);
	sb_addf(out, " <%s>\r\nTo: ", from);
	for (int i = 0; i < nto; i++)
		sb_addf(out, "%s%s", i ? ",\r\n " : "", to[i]);
	sb_add(out, "\r\nSubject: ");
	format_rfc2047(out, subject);
	sb_addf(out, "\r\nMessage-ID: <notice-%lld.%lld@bhxh-alert>\r\n"
	    "X-BHXH-Notice: %lld\r\nMIME-Version: 1.0\r\n", nid, did, nid);
	if (!has_csv && !has_html) {
		sb_add(out, "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
		format_base64(out, (const unsigned char *)text, strlen(text));
		return;
	}
	/* "=_" never occurs in base64, so a boundary cannot occur in a part */
	snprintf(boundary, sizeof(boundary), "=_bhxh_notice_%lld_%lld", nid, did);
	snprintf(alt, sizeof(alt), "=_bhxh_alt_%lld_%lld", nid, did);
	if (has_csv)
		sb_addf(out, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
		    "This is a MIME message: a text and a CSV list.\r\n\r\n--%s\r\n", boundary, boundary);
	if (has_html) {
		/* the text and the same content as HTML: the client shows one */
		sb_addf(out, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", alt);
		if (!has_csv)
			sb_add(out, "This is a MIME message: a text and the same as HTML.\r\n\r\n");
		sb_addf(out, "--%s\r\n", alt);
	}
	sb_add(out, "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	format_base64(out, (const unsigned char *)text, strlen(text));
	if (has_html) {
		sb_addf(out, "\r\n--%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n", alt);
		format_base64(out, (const unsigned char *)html, strlen(html));
		sb_addf(out, "\r\n--%s--\r\n", alt);
	}
	if (!has_csv)
		return;
	sb_addf(out, "\r\n--%s\r\nContent-Type: text/csv; charset=UTF-8; name=\"", boundary);
	format_rfc2047(out, csv_name != NULL && csv_name[0] ? csv_name : "list.csv");
	sb_add(out, "\"\r\nContent-Disposition: attachment;\r\n filename*=");
	s_rfc2231(out, csv_name != NULL && csv_name[0] ? csv_name : "list.csv");
	sb_add(out, "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	format_base64(out, (const unsigned char *)csv, strlen(csv));
	sb_addf(out, "\r\n--%s--\r\n", boundary);
}

/* s_upper_line - 1 when the line's letters are all capitals (a section
 * heading such as "PHÁT HIỆN MỚI (3)"); text in parentheses is not looked at. */
static int
s_upper_line(const char *s, size_t len)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s, *end = p + len;
	int letters = 0, depth = 0;

	while (p < end) {
		utf8proc_int32_t c;
		utf8proc_ssize_t n = utf8proc_iterate(p, end - p, &c);

		if (n <= 0)
			return 0;
		p += n;
		if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		else if (depth == 0 && utf8proc_category(c) == UTF8PROC_CATEGORY_LL)
			return 0;
		else if (depth == 0 && utf8proc_category(c) == UTF8PROC_CATEGORY_LU)
			letters++;
	}
	return letters >= 3;
}

/* s_html_line - a line escaped, its http(s) links made links. */
static void
s_html_line(sb_t *out, const char *s, size_t len)
{
	while (len > 0) {
		const char *h = NULL;

		for (size_t i = 0; i + 8 <= len && h == NULL; i++)
			if (strncmp(s + i, "https://", 8) == 0 || strncmp(s + i, "http://", 7) == 0)
				h = s + i;
		if (h == NULL) {
			char *t = xstrndup(s, len);

			report_html_escape(out, t);
			free(t);
			return;
		}
		{
			char *pre = xstrndup(s, (size_t)(h - s)), *url;
			size_t u = 0;

			report_html_escape(out, pre);
			free(pre);
			while ((size_t)(h - s) + u < len && h[u] != ' ' && h[u] != '\t')
				u++;
			url = xstrndup(h, u);
			sb_add(out, "<a href=\"");
			report_html_escape(out, url);
			sb_add(out, "\">");
			report_html_escape(out, url);
			sb_add(out, "</a>");
			free(url);
			len -= (size_t)(h - s) + u;
			s = h + u;
		}
	}
}

/* format_text_html - see alert.h. */
void
format_text_html(const char *text, sb_t *out)
{
	const char *p = text != NULL ? text : "";
	int in_list = 0, in_item = 0, in_p = 0, first = 1;

	sb_add(out, "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>"
	    "<body style=\"font-family:Arial,sans-serif;color:#222;max-width:760px;line-height:1.4\">\n");
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		size_t ind = 0;
		int num = 0;

		while (ind < len && p[ind] == ' ')
			ind++;
		/* "  12. ..." opens a list entry */
		if (ind > 0 && ind < len && p[ind] >= '0' && p[ind] <= '9') {
			size_t d = ind;

			while (d < len && p[d] >= '0' && p[d] <= '9')
				d++;
			num = d + 1 < len && p[d] == '.' && p[d + 1] == ' ';
		}
		if (in_item && (len == 0 || ind < 5 || num)) {
			sb_add(out, "</li>\n");
			in_item = 0;
		}
		if (in_list && !num && !(in_item && ind >= 5)) {
			sb_add(out, "</ol>\n");
			in_list = 0;
		}
		if (in_p && (len == 0 || ind == 0 || num)) {
			sb_add(out, "</p>\n");
			in_p = 0;
		}
		if (len == 0) {
			/* a paragraph break */
		} else if (len >= 20 && strspn(p, "-") >= 20) {
			sb_add(out, "<hr>\n");
		} else if (first) {
			sb_add(out, "<p style=\"color:#555\">");
			s_html_line(out, p, len);
			sb_add(out, "</p>\n");
		} else if (ind == 0 && s_upper_line(p, len)) {
			sb_add(out, "<h3 style=\"font-size:16px;margin:18px 0 6px\">");
			s_html_line(out, p, len);
			sb_add(out, "</h3>\n");
		} else if (num) {
			if (!in_list) {
				sb_add(out, "<ol style=\"padding-left:22px\">\n");
				in_list = 1;
			}
			sb_add(out, "<li style=\"margin-bottom:8px\"><b>");
			s_html_line(out, strchr(p + ind, ' ') + 1, len - (size_t)(strchr(p + ind, ' ') + 1 - p));
			sb_add(out, "</b>");
			in_item = 1;
		} else if (in_item) {
			sb_add(out, "<br>");
			s_html_line(out, p + ind, len - ind);
		} else {
			sb_add(out, in_p ? "<br>" : "<p>");
			s_html_line(out, p + ind, len - ind);
			in_p = 1;
		}
		first = 0;
		p += len + (nl != NULL);
	}
	if (in_item)
		sb_add(out, "</li>\n");
	if (in_list)
		sb_add(out, "</ol>\n");
	if (in_p)
		sb_add(out, "</p>\n");
	sb_add(out, "</body></html>\n");
}
