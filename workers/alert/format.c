/* format - the words and bytes of a notice: subject, Vietnamese-then-English
 * text, JSON, the e-mail message with RFC 2047 headers, HMAC signatures, and
 * the scrubbing that keeps personal numbers and CR/LF out of what is sent.
 *
 * Trusts nothing in an alert's text fields: an employer name may hold CR,
 * LF or anything else; it only ever reaches a header RFC 2047-encoded after
 * control characters were made spaces, and the body travels base64-encoded. */
#include "alert.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "xalloc.h"

static const char s_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const struct {
	const char *kind, *vi, *en, *value_vi, *value_en;
} s_kinds[] = {
	{ "not_enrolled", "Doanh nghiệp chưa tham gia BHXH", "Employer not enrolled in social insurance",
	  "số lao động", "employees" },
	{ "under_declared", "Doanh nghiệp đóng BHXH không đủ số lao động", "Employer under-declares its workers",
	  "số lao động chưa tham gia", "workers not insured" },
	{ "arrears", "Đơn vị nợ đóng BHXH", "Unit in arrears", "số tháng nợ", "months in arrears" },
	{ "low_wage_basis", "Tiền lương đóng BHXH thấp hơn lương tối thiểu vùng", "Wage basis below the regional minimum",
	  "lương đóng bình quân", "wage basis per insured person" },
	{ "unregistered", "Mã số thuế không có trong đăng ký doanh nghiệp", "Tax code not in the business registry",
	  "", "" },
	{ "idle_agent", "Đại lý thu không phát triển người tham gia", "Collection agent with no participants",
	  "số tháng", "months" },
	{ "behind_target", "Tỷ lệ bao phủ thấp hơn chỉ tiêu", "Coverage behind target", "tỷ lệ bao phủ (%)", "coverage (%)" },
	{ "off_track", "Không đạt mục tiêu năm 2020 theo xu hướng", "Off track for the goal", "tỷ lệ dự báo (%)",
	  "projected coverage (%)" },
	{ "missing_data", "Chưa nộp dữ liệu đúng hạn", "Data not submitted on time", "số ngày trễ", "days late" },
	{ "feed_stopped", "Không nhận được số liệu của tháng nào sau tháng này dù đã quá hạn",
	  "No data received for any month after this one although the deadline has passed", "số tháng", "months" },
	{ "quarantined_file", "Tệp dữ liệu bị cách ly, chưa áp dụng (bhxhctl quarantine list)",
	  "File quarantined, not applied (bhxhctl quarantine list)", "số thứ tự tệp", "file number" },
	{ NULL, NULL, NULL, NULL, NULL }
};

/* s_kind - the table row of a kind, or NULL. */
static int
s_kind(const char *kind)
{
	for (int i = 0; kind != NULL && s_kinds[i].kind != NULL; i++)
		if (strcmp(s_kinds[i].kind, kind) == 0)
			return i;
	return -1;
}

/* format_kind_known - the kind is in the table. */
int
format_kind_known(const char *kind)
{
	return s_kind(kind) >= 0;
}

/* format_kind_vi - the kind in Vietnamese (the kind itself if unknown). */
const char *
format_kind_vi(const char *kind)
{
	int i = s_kind(kind);

	return i >= 0 ? s_kinds[i].vi : kind;
}

/* format_kind_en - the kind in English (the kind itself if unknown). */
const char *
format_kind_en(const char *kind)
{
	int i = s_kind(kind);

	return i >= 0 ? s_kinds[i].en : kind;
}

/* s_sev_vi - a severity in Vietnamese. */
static const char *
s_sev_vi(const char *sev)
{
	static const char *const vi[] = { "thông tin", "cảnh báo", "nghiêm trọng", "rất nghiêm trọng" };
	int r = alert_severity_rank(sev);

	return r >= 0 ? vi[r] : sev;
}

/* s_status - a notice status heading in Vietnamese (vi=1) or English. */
static const char *
s_status(const char *status, int vi)
{
	if (strcmp(status, "new") == 0) return vi ? "MỚI" : "NEW";
	if (strcmp(status, "escalated") == 0) return vi ? "TĂNG MỨC" : "ESCALATED";
	if (strcmp(status, "resolved") == 0) return vi ? "ĐÃ KHẮC PHỤC" : "RESOLVED";
	return vi ? "VẪN CÒN" : "STILL OPEN";
}

/* s_role_vi - who a role is, in Vietnamese. */
static const char *
s_role_vi(alert_role_t r)
{
	static const char *const vi[] = { "Bộ phận vận hành", "BHXH tỉnh", "Thanh tra Sở LĐ-TB&XH", "UBND huyện",
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

/* s_item_line - one alert as a line of text in one language. */
static void
s_item_line(sb_t *t, const alert_item_t *it, int keep_ins, int vi)
{
	int k = s_kind(it->kind);
	char *name = format_scrub(it->name, keep_ins);
	char v[64], th[64];

	report_number(v, sizeof(v), it->value);
	report_number(th, sizeof(th), it->threshold);
	sb_addf(t, "  - [%s] %s: ", vi ? s_sev_vi(it->severity) : it->severity,
	    vi ? format_kind_vi(it->kind) : format_kind_en(it->kind));
	if (name[0] != '\0')
		sb_addf(t, "%s, ", name);
	sb_addf(t, "%s %s", vi ? "mã" : "code", it->subject);
	if (it->org_unit != NULL && it->org_unit[0] != '\0')
		sb_addf(t, ", %s (%s)", it->unit_name != NULL && it->unit_name[0] ? it->unit_name : it->org_unit,
		    it->org_unit);
	sb_addf(t, ", %s %s", vi ? "kỳ" : "period", it->period);
	if (k >= 0 && s_kinds[k].value_vi[0] != '\0')
		sb_addf(t, ": %s %s (%s %s)", vi ? s_kinds[k].value_vi : s_kinds[k].value_en, v,
		    vi ? "ngưỡng" : "threshold", th);
	sb_add(t, "\n");
	free(name);
}

/* s_section - the text in one language: headings by status, then the items. */
static void
s_section(sb_t *t, const char *receiver, alert_role_t role, const char *scope_name, const char *group,
    long long nid, const alert_item_t *items, int n, int vi)
{
	static const char *const order[] = { "new", "escalated", "resolved", "firing" };
	int keep_ins = role == ROLE_SOCIAL_SECURITY;

	if (vi)
		sb_addf(t, "Hệ thống giám sát BHXH - thông báo số %lld gửi %s (%s)", nid, s_role_vi(role), receiver);
	else
		sb_addf(t, "Social insurance monitoring - notice %lld to %s (%s)", nid, alert_role_name(role), receiver);
	if (scope_name != NULL && scope_name[0] != '\0')
		sb_addf(t, " - %s", scope_name);
	sb_addf(t, "\n%s: %s\n", vi ? "Nhóm" : "Group", group);
	for (int o = 0; o < 4; o++) {
		int cnt = 0;

		for (int i = 0; i < n; i++)
			cnt += strcmp(items[i].status, order[o]) == 0;
		if (cnt == 0)
			continue;
		sb_addf(t, "\n%s (%d):\n", s_status(order[o], vi), cnt);
		for (int i = 0; i < n; i++)
			if (strcmp(items[i].status, order[o]) == 0)
				s_item_line(t, &items[i], keep_ins, vi);
	}
}

/* s_subject - one line: counts by status, the kind, and the name when alone. */
static void
s_subject(sb_t *s, const char *scope_name, const alert_item_t *items, int n, int keep_ins)
{
	static const char *const order[] = { "new", "escalated", "resolved", "firing" };
	static const char *const vi[] = { "mới", "tăng mức", "đã khắc phục", "vẫn còn" };
	static const char *const en[] = { "new", "escalated", "resolved", "still open" };
	const char *kind = n > 0 ? items[0].kind : "";
	int cnt[4] = { 0 }, lang, sep;

	for (int i = 0; i < n; i++) {
		if (kind != NULL && strcmp(items[i].kind, kind) != 0)
			kind = NULL;
		for (int o = 0; o < 4; o++)
			cnt[o] += strcmp(items[i].status, order[o]) == 0;
	}
	sb_add(s, "[BHXH] ");
	for (lang = 0; lang < 2; lang++) {
		if (lang == 1)
			sb_add(s, " / ");
		sep = 0;
		for (int o = 0; o < 4; o++)
			if (cnt[o] > 0) {
				sb_addf(s, "%s%d %s", sep ? ", " : "", cnt[o], lang == 0 ? vi[o] : en[o]);
				sep = 1;
			}
		sb_addf(s, ": %s", kind != NULL ? (lang == 0 ? format_kind_vi(kind) : format_kind_en(kind))
		    : (lang == 0 ? "nhiều loại" : "several kinds"));
		if (lang == 0 && n == 1) {
			char *name = format_scrub(items[0].name, keep_ins);

			sb_addf(s, " - %s%s%s", name, name[0] ? " " : "", items[0].subject);
			free(name);
		}
		if (lang == 0 && scope_name != NULL && scope_name[0] != '\0')
			sb_addf(s, " (%s)", scope_name);
	}
}

/* format_notice - subject, text and JSON of one notice. */
void
format_notice(const char *receiver, alert_role_t role, const char *scope, const char *scope_name,
    const char *group, long long nid, const alert_item_t *items, int n, sb_t *subject, sb_t *text, sb_t *json)
{
	int keep_ins = role == ROLE_SOCIAL_SECURITY;
	char *clean;
	sb_t s;

	sb_init(&s);
	s_subject(&s, scope_name, items, n, keep_ins);
	clean = format_header_text(s.data);
	sb_add(subject, clean);
	free(clean);
	sb_free(&s);
	s_section(text, receiver, role, scope_name, group, nid, items, n, 1);
	sb_add(text, "\n------------------------------------------------------------\n\n");
	s_section(text, receiver, role, scope_name, group, nid, items, n, 0);
	sb_addf(json, "{\"notice\": %lld, \"receiver\": ", nid);
	sb_json_str(json, receiver);
	sb_addf(json, ", \"role\": \"%s\", \"scope\": ", alert_role_name(role));
	sb_json_str(json, scope);
	sb_add(json, ", \"group\": ");
	sb_json_str(json, group);
	sb_add(json, ", \"subject\": ");
	sb_json_str(json, subject->data);
	sb_add(json, ", \"alerts\": [");
	for (int i = 0; i < n; i++) {
		char *name = format_scrub(items[i].name, keep_ins);
		char v[64], th[64];

		report_number(v, sizeof(v), items[i].value);
		report_number(th, sizeof(th), items[i].threshold);
		sb_add(json, i ? ",\n  {\"status\": " : "\n  {\"status\": ");
		sb_json_str(json, items[i].status);
		sb_add(json, ", \"kind\": ");
		sb_json_str(json, items[i].kind);
		sb_add(json, ", \"subject\": ");
		sb_json_str(json, items[i].subject);
		sb_add(json, ", \"name\": ");
		sb_json_str(json, name);
		sb_add(json, ", \"org_unit\": ");
		sb_json_str(json, items[i].org_unit);
		sb_add(json, ", \"period\": ");
		sb_json_str(json, items[i].period);
		sb_add(json, ", \"severity\": ");
		sb_json_str(json, items[i].severity);
		/* report_number leaves a number it cannot print empty: null */
		sb_addf(json, ", \"value\": %s, \"threshold\": %s}", v[0] ? v : "null", th[0] ? th : "null");
		free(name);
	}
	sb_add(json, "],\n \"text\": ");
	sb_json_str(json, text->data);
	sb_add(json, "}\n");
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

/* format_email - headers, a blank line, the base64 body. */
void
format_email(sb_t *out, const char *from_name, const char *from, char *const *to, int nto,
    const char *subject, const char *text, long long nid, long long did, long long date)
{
	time_t t = (time_t)date;
	struct tm tm;
	char d[64];

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
	    "X-BHXH-Notice: %lld\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
	    nid, did, nid);
	format_base64(out, (const unsigned char *)text, strlen(text));
}
