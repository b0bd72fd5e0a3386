/* test_alert - unit tests for the alert routing tree and matchers
 * (common/cfg_alert.c), for notice formatting: RFC 2047 subjects, header
 * sanitising, addresses, HMAC-SHA256, scrubbing of personal numbers
 * (workers/alert/format.c), the checks of events and notice folders
 * (workers/alert/check.c), what counts as a refusal (workers/alert/send.c)
 * and the notice about a dead letter; all compiled in here. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "shipped.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "../../workers/alert/format.c"
#include "../../workers/alert/check.c"
#include "../../workers/alert/send.c"

static const char s_yaml[] =
	"receivers:\n"
	"  - { name: bhxh, role: social_security, email: [a@bhxh.vn] }\n"
	"  - { name: dolisa, role: labour_inspection, email: b@x.vn }\n"
	"  - { name: union, role: trade_union }\n"
	"  - { name: district, role: district_committee, email: [\"ubnd.{district}@x.vn\"] }\n"
	"  - { name: ops, role: operator }\n"
	"route:\n"
	"  receiver: ops\n"
	"  group_by: [kind]\n"
	"  group_wait: 30s\n"
	"  routes:\n"
	"    - { match: { kind: [not_enrolled, arrears] }, receiver: bhxh, continue: true }\n"
	"    - { match: { kind: arrears, severity: \">=major\" }, receiver: union, continue: true }\n"
	"    - { match: { kind: not_enrolled, org_unit: \"061\" }, receiver: district, group_wait: 1s }\n"
	"    - { match: { kind: not_enrolled }, receiver: dolisa }\n";

/* s_load - the test configuration. */
static cfg_alert_t *
s_load(const char *text)
{
	yt_diag_t d = { 0 };
	yt_node_t *root = yt_load_string("test.yaml", text, strlen(text), NULL, &d);
	cfg_alert_t *c = root != NULL ? cfg_alert_load(root, &d) : NULL;

	yt_diag_print(&d, stderr);
	yt_diag_free(&d);
	yt_free(root);
	return c;
}

/* s_receivers - the receiver names an alert routes to, joined by spaces. */
static void
s_receivers(const cfg_alert_t *c, const char *kind, const char *sev, const char *unit, char *out, size_t size)
{
	static const char *const path061[] = { "06", "061" };
	static const char *const path058[] = { "06", "058" };
	alert_labels_t l = { .kind = kind, .subject = "X", .severity = sev, .org_unit = unit, .district = unit,
		.agency = "", .state = "firing", .period = "2017-03",
		.org_path = strcmp(unit, "061") == 0 ? path061 : path058, .norg_path = 2 };
	const cfg_route_t *r[8];
	int n = cfg_alert_route(c, &l, r, 8);

	out[0] = '\0';
	for (int i = 0; i < n; i++)
		snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? " " : "", c->receivers[r[i]->receiver].name);
}

static void
test_routing_tree(void **state)
{
	cfg_alert_t *c = s_load(s_yaml);
	char got[200];

	(void)state;
	assert_non_null(c);
	s_receivers(c, "not_enrolled", "warning", "061", got, sizeof(got));
	assert_string_equal(got, "bhxh district");          /* the district route does not continue */
	s_receivers(c, "not_enrolled", "warning", "058", got, sizeof(got));
	assert_string_equal(got, "bhxh dolisa");
	s_receivers(c, "arrears", "warning", "058", got, sizeof(got));
	assert_string_equal(got, "bhxh");
	s_receivers(c, "arrears", "major", "058", got, sizeof(got));
	assert_string_equal(got, "bhxh union");
	s_receivers(c, "idle_agent", "info", "058", got, sizeof(got));
	assert_string_equal(got, "ops");                    /* the default receiver */
	assert_int_equal(c->route.routes[2].group_wait_ms, 1000);
	assert_int_equal(c->route.routes[1].group_wait_ms, 30000); /* inherited */
	assert_int_equal(c->route.routes[1].ngroup_by, 1);
	cfg_alert_free(&c);
	assert_null(c);
}

static void
test_config_errors(void **state)
{
	(void)state;
	assert_null(s_load("receivers: [{ name: a, role: king }]\nroute: { receiver: a }\n"));
	assert_null(s_load("receivers: [{ name: a, role: operator }]\nroute: { receiver: b }\n"));
	assert_null(s_load("receivers: [{ name: a, role: operator }]\nroute: { receiver: a, group_wait: soon }\n"));
	assert_null(s_load("receivers: [{ name: a, role: operator }]\nroute: { receiver: a, routes: [{ match: { colour: red } }] }\n"));
	assert_null(s_load("receivers: [{ name: a, role: operator, email: \"x@y\\r\\nBcc: z@w\" }]\nroute: { receiver: a }\n"));
}

/* retry.permanent_attempts and retry.give_up_after: defaults, values, refusals;
 * receiver names that could not be folder names are refused */
static void
test_retry_config(void **state)
{
	static const char base[] = "receivers: [{ name: a, role: operator }]\nroute: { receiver: a }\n";
	char text[512];
	cfg_alert_t *c;

	(void)state;
	c = s_load(base);
	assert_non_null(c);
	assert_int_equal(c->retry.permanent_attempts, 3);
	assert_true(c->retry.give_up_after_ms == 3 * 86400000LL);
	cfg_alert_free(&c);
	snprintf(text, sizeof(text), "%sretry: { initial: 1s, max: 2m, permanent_attempts: 5, give_up_after: 6h }\n", base);
	c = s_load(text);
	assert_non_null(c);
	assert_int_equal(c->retry.permanent_attempts, 5);
	assert_true(c->retry.give_up_after_ms == 6 * 3600000LL);
	assert_true(c->retry.initial_ms == 1000 && c->retry.max_ms == 120000);
	cfg_alert_free(&c);
	static const char *const bad[] = {
		"retry: { permanent_attempts: 0 }", "retry: { permanent_attempts: 101 }",
		"retry: { permanent_attempts: often }", "retry: { give_up_after: 0s }",
		"retry: { give_up_after: soon }", "retry: { initial: 1m, max: 10s }", "retry: { tries: 3 }", NULL
	};
	for (int i = 0; bad[i] != NULL; i++) {
		snprintf(text, sizeof(text), "%s%s\n", base, bad[i]);
		assert_null(s_load(text));
	}
	assert_null(s_load("receivers: [{ name: \"../x\", role: operator }]\nroute: { receiver: \"../x\" }\n"));
	assert_null(s_load("receivers: [{ name: \"a/b\", role: operator }]\nroute: { receiver: \"a/b\" }\n"));
	assert_null(s_load("receivers: [{ name: \".ops\", role: operator }]\nroute: { receiver: \".ops\" }\n"));
}

/* s_event - an event with the given fields (name "", values 0). */
static msg_event_t
s_event(const char *kind, const char *subject, const char *unit, const char *period, const char *sev,
    const char *state)
{
	return (msg_event_t){ (char *)kind, (char *)subject, (char *)unit, (char *)period, (char *)sev,
		(char *)state, (char *)"", 0, 0, (char *)"", (char *)"", 0, 0 };
}

/* events from the aggregate are checked field by field before they are stored */
static void
test_event_check(void **state)
{
	char path[PATH_MAX + 32], why[128], big[300];
	yt_diag_t d = { 0 };
	config_t *c;
	msg_event_t e;

	(void)state;
	shipped_path(path, sizeof(path), "bhxh.yaml");
	c = config_load(path, &d);
	yt_diag_print(&d, stderr);
	yt_diag_free(&d);
	assert_non_null(c);
	e = s_event("not_enrolled", "0300588569", "061", "2017-03", "critical", "new");
	assert_int_equal(check_event(c, &e, why, sizeof(why)), 0);
	e = s_event("missing_data", "cucthue:tax_employer", "", "2017-03", "warning", "new");
	assert_int_equal(check_event(c, &e, why, sizeof(why)), 0);
	e = s_event("missing_data", "labor_force", "", "2017-12", "warning", "resolved");
	assert_int_equal(check_event(c, &e, why, sizeof(why)), 0);
	e = s_event("feed_stopped", "2017-03", "", "2017-03", "warning", "new"); /* for the operator */
	assert_int_equal(check_event(c, &e, why, sizeof(why)), 0);
	e = s_event("dead_letter", "X", "", "2017-03", "warning", "new"); /* made here, never an event */
	assert_int_equal(check_event(c, &e, why, sizeof(why)), -1);
	e = s_event("not_enrolled", "0300588569", "061", "2017-04", "warning", "updated"); /* figures renewed */
	assert_int_equal(check_event(c, &e, why, sizeof(why)), 0);
	e.amount = 1e20; /* no debt is that large */
	assert_int_equal(check_event(c, &e, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "amount"));
	e.amount = -1;
	assert_int_equal(check_event(c, &e, why, sizeof(why)), -1);
	e.amount = 0;
	e.workers = 2e9;
	assert_int_equal(check_event(c, &e, why, sizeof(why)), -1);
	static const char *const bad[][6] = {
		{ "missing_data", "../../../../x:participant", "", "2017-03", "warning", "new" },
		{ "missing_data", "cucthue:../../x", "", "2017-03", "warning", "new" },
		{ "missing_data", "nobody:participant", "", "2017-03", "warning", "new" },
		{ "not_enrolled", "0300588569", "../../x", "2017-03", "critical", "new" },
		{ "not_enrolled", "0300588569", "999", "2017-03", "critical", "new" },
		{ "not_enrolled", "0300\r\n588569", "061", "2017-03", "critical", "new" },
		{ "not_enrolled", "0300\x7f", "061", "2017-03", "critical", "new" },
		{ "not_enrolled", "0300\xc2\x85", "061", "2017-03", "critical", "new" },
		{ "not_enrolled", "", "061", "2017-03", "critical", "new" },
		{ "not_enrolled", "0300588569", "061", "2017-13", "critical", "new" },
		{ "not_enrolled", "0300588569", "061", "2017-3", "critical", "new" },
		{ "not_enrolled", "0300588569", "061", "2017-03-01", "critical", "new" },
		{ "not_enrolled", "0300588569", "061", "../../x", "critical", "new" },
		{ "rm_rf", "0300588569", "061", "2017-03", "critical", "new" },
		{ "not_enrolled", "0300588569", "061", "2017-03", "fatal", "new" },
		{ "not_enrolled", "0300588569", "061", "2017-03", "critical", "firing" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = s_event(bad[i][0], bad[i][1], bad[i][2], bad[i][3], bad[i][4], bad[i][5]);
		why[0] = '\0';
		assert_int_equal(check_event(c, &e, why, sizeof(why)), -1);
		assert_true(why[0] != '\0');
		assert_null(strstr(why, "../")); /* the reason never repeats the data */
	}
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	e = s_event("not_enrolled", big, "061", "2017-03", "critical", "new");
	assert_int_equal(check_event(c, &e, why, sizeof(why)), -1);
	big[128] = '\0';
	assert_int_equal(check_event(c, &e, why, sizeof(why)), 0);

	/* notice folders: a configured receiver, and a configured unit or agency as the scope */
	assert_int_equal(check_notice_dir(c, "/v", "district", "061", path, sizeof(path), why, sizeof(why)), 0);
	assert_string_equal(path, "/v/notices/district-061");
	assert_int_equal(check_notice_dir(c, "/v", "agency", "cucthue", path, sizeof(path), why, sizeof(why)), 0);
	assert_string_equal(path, "/v/notices/agency-cucthue");
	assert_int_equal(check_notice_dir(c, "/v", "bhxh", "", path, sizeof(path), why, sizeof(why)), 0);
	assert_string_equal(path, "/v/notices/bhxh");
	assert_int_equal(check_notice_dir(c, "/v", "agency", "../../../../x", path, sizeof(path), why, sizeof(why)), -1);
	assert_int_equal(check_notice_dir(c, "/v", "agency", "nobody", path, sizeof(path), why, sizeof(why)), -1);
	assert_int_equal(check_notice_dir(c, "/v", "../x", "", path, sizeof(path), why, sizeof(why)), -1);
	assert_int_equal(check_notice_dir(c, "/v", "nobody", "", path, sizeof(path), why, sizeof(why)), -1);
	assert_int_equal(check_folder_name(".."), 0);
	assert_int_equal(check_folder_name("a/b"), 0);
	assert_int_equal(check_folder_name("ubnd_058"), 1);
	config_free(&c);
}

/* an SMTP 5xx and an HTTP 4xx but 408 and 429 are refusals; the rest is worth trying again */
static void
test_outcomes(void **state)
{
	(void)state;
	assert_int_equal(send_smtp_outcome(CURLE_OK, 250), SEND_OK);
	assert_int_equal(send_smtp_outcome(CURLE_SEND_ERROR, 550), SEND_PERMANENT);
	assert_int_equal(send_smtp_outcome(CURLE_LOGIN_DENIED, 535), SEND_PERMANENT);
	assert_int_equal(send_smtp_outcome(CURLE_SEND_ERROR, 451), SEND_TRANSIENT);
	assert_int_equal(send_smtp_outcome(CURLE_COULDNT_CONNECT, 0), SEND_TRANSIENT);
	assert_int_equal(send_smtp_outcome(CURLE_OPERATION_TIMEDOUT, 0), SEND_TRANSIENT);
	assert_int_equal(send_smtp_outcome(CURLE_USE_SSL_FAILED, 250), SEND_TRANSIENT);
	assert_int_equal(send_smtp_outcome(CURLE_ABORTED_BY_CALLBACK, 0), SEND_ABORTED);
	assert_int_equal(send_http_outcome(CURLE_OK, 200), SEND_OK);
	assert_int_equal(send_http_outcome(CURLE_OK, 204), SEND_OK);
	assert_int_equal(send_http_outcome(CURLE_OK, 400), SEND_PERMANENT);
	assert_int_equal(send_http_outcome(CURLE_OK, 401), SEND_PERMANENT);
	assert_int_equal(send_http_outcome(CURLE_OK, 404), SEND_PERMANENT);
	assert_int_equal(send_http_outcome(CURLE_OK, 408), SEND_TRANSIENT);
	assert_int_equal(send_http_outcome(CURLE_OK, 429), SEND_TRANSIENT);
	assert_int_equal(send_http_outcome(CURLE_OK, 500), SEND_TRANSIENT);
	assert_int_equal(send_http_outcome(CURLE_OK, 503), SEND_TRANSIENT);
	assert_int_equal(send_http_outcome(CURLE_OK, 302), SEND_TRANSIENT);
	assert_int_equal(send_http_outcome(CURLE_OPERATION_TIMEDOUT, 0), SEND_TRANSIENT);
}

/* the operator's notice about a dead letter: Vietnamese first, every fact named, one-line subject */
static void
test_dead_letter(void **state)
{
	alert_dead_t dl = { 12, 34, "bhxh", ROLE_SOCIAL_SECURITY, "", "email", "x@bhxh.vn", 3,
		"550 5.1.1 <x@bhxh.vn>: no such user\r\nBcc: y", "[BHXH] 1 mới: Đơn vị nợ" };
	sb_t subj, text, json;
	const char *en;

	(void)state;
	sb_init(&subj);
	sb_init(&text);
	sb_init(&json);
	sb_add(&subj, "");
	format_dead_letter("operator", 56, &dl, &subj, &text, &json);
	assert_null(strpbrk(subj.data, "\r\n"));
	assert_non_null(strstr(subj.data, "Thông báo số 12 không gửi được"));
	en = strstr(text.data, "Notice 12 could not be delivered");
	assert_non_null(en);
	assert_true(strstr(text.data, "Thông báo số 12 không gửi được") < en); /* Vietnamese first */
	assert_non_null(strstr(text.data, "Địa chỉ: x@bhxh.vn"));
	assert_non_null(strstr(text.data, "Kênh gửi: thư điện tử"));
	assert_non_null(strstr(text.data, "Số lần thử: 3"));
	assert_non_null(strstr(text.data, "Lỗi cuối cùng: 550 5.1.1"));
	assert_null(strstr(text.data, "\nBcc")); /* the error's CR/LF made spaces */
	assert_non_null(strstr(json.data, "\"dead_letter\": {\"notice\": 12, \"delivery\": 34, \"receiver\": \"bhxh\""));
	assert_non_null(strstr(json.data, "\"channel\": \"email\", \"recipient\": \"x@bhxh.vn\", \"attempts\": 3"));
	sb_free(&subj);
	sb_free(&text);
	sb_free(&json);
}

/* the notices keys: defaults, values, refusals; a receiver's own contact */
static void
test_notices_config(void **state)
{
	static const char base[] = "receivers: [{ name: a, role: operator, contact: \"Chị Lan, 0209 3870 123\" }]\n"
	    "route: { receiver: a }\n";
	char text[512];
	cfg_alert_t *c;

	(void)state;
	c = s_load(base);
	assert_non_null(c);
	assert_int_equal(c->notices.max_entries, 20);
	assert_int_equal(c->notices.action_days, 30);
	assert_string_equal(c->notices.contact, "");
	assert_string_equal(c->notices.dashboard_url, "");
	assert_string_equal(c->receivers[0].contact, "Chị Lan, 0209 3870 123");
	cfg_alert_free(&c);
	snprintf(text, sizeof(text), "%snotices: { max_entries: 5, action_days: 14, contact: \"Phòng Thu\","
	    " dashboard_url: \"https://x.vn/bc//\" }\n", base);
	c = s_load(text);
	assert_non_null(c);
	assert_int_equal(c->notices.max_entries, 5);
	assert_int_equal(c->notices.action_days, 14);
	assert_string_equal(c->notices.contact, "Phòng Thu");
	assert_string_equal(c->notices.dashboard_url, "https://x.vn/bc"); /* pages are BASE/unit/CODE.html */
	cfg_alert_free(&c);
	static const char *const bad[] = { "notices: { max_entries: 0 }", "notices: { action_days: 400 }",
		"notices: { dashboard_url: \"ftp://x\" }", "notices: { dashboard_url: \"https://x/<script>\" }",
		"notices: { colour: red }", NULL };
	for (int i = 0; bad[i] != NULL; i++) {
		snprintf(text, sizeof(text), "%s%s\n", base, bad[i]);
		c = s_load(text);
		assert_null(c);
	}
}

static void
test_shipped_config(void **state)
{
	yt_diag_t d = { 0 };
	char path[PATH_MAX + 32];
	yt_node_t *root;
	cfg_alert_t *c;

	(void)state;
	shipped_path(path, sizeof(path), "alerting.yaml");
	root = yt_load_file(path, NULL, &d);
	assert_non_null(root);
	c = cfg_alert_load(root, &d);
	yt_diag_print(&d, stderr);
	assert_non_null(c);
	for (alert_role_t r = ROLE_OPERATOR; r <= ROLE_AGENCY; r++) { /* every role has an address */
		int found = 0;

		for (int i = 0; i < c->nreceivers; i++)
			found |= c->receivers[i].role == r && c->receivers[i].nemail > 0;
		assert_true(found);
	}
	assert_int_equal(c->summary.nreceivers, 2);
	assert_int_equal(c->smtp.starttls, 2); /* shipped: never in clear */
	assert_int_equal(c->retry.permanent_attempts, 3);
	assert_true(c->retry.give_up_after_ms == 3 * 86400000LL);
	assert_true(cfg_alert_receiver(c, "operator") >= 0);
	cfg_alert_free(&c);
	c = cfg_alert_load(NULL, &d); /* built-in defaults: the same */
	assert_non_null(c);
	assert_int_equal(c->smtp.starttls, 2);
	cfg_alert_free(&c);
	yt_free(root);
	yt_diag_free(&d);
}

static void
test_matchers(void **state)
{
	alert_matcher_t m;
	char err[200];
	alert_labels_t l = { .kind = "arrears", .subject = "DV1", .severity = "major", .org_unit = "061",
		.district = "061", .agency = "", .state = "firing", .period = "2017-03" };

	(void)state;
	assert_int_equal(alert_matcher_parse("kind=arrears|not_enrolled", &m, err, sizeof(err)), 0);
	assert_true(alert_matches(&m, 1, &l));
	alert_matcher_clear(&m);
	assert_int_equal(alert_matcher_parse("severity>=critical", &m, err, sizeof(err)), 0);
	assert_false(alert_matches(&m, 1, &l));
	alert_matcher_clear(&m);
	assert_int_equal(alert_matcher_parse("subject!=DV1", &m, err, sizeof(err)), 0);
	assert_false(alert_matches(&m, 1, &l));
	alert_matcher_clear(&m);
	assert_int_equal(alert_matcher_parse("colour=red", &m, err, sizeof(err)), -1);
	assert_int_equal(alert_matcher_parse("severity=loud", &m, err, sizeof(err)), -1);
	assert_int_equal(alert_matcher_parse("kind>=arrears", &m, err, sizeof(err)), -1);
	assert_int_equal(alert_matcher_parse("kind=", &m, err, sizeof(err)), -1);
	assert_int_equal(alert_matcher_parse("=x", &m, err, sizeof(err)), -1);
}

/* s_b64_decode - decode base64 (test helper). */
static int
s_b64_decode(const char *in, size_t len, unsigned char *out)
{
	return EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
}

static void
test_rfc2047(void **state)
{
	const char *subj = "[BHXH] 3 mới: Doanh nghiệp chưa tham gia BHXH - Công ty TNHH Ba Bể ở Huyện Bạch Thông";
	sb_t b;
	char joined[1024] = "";
	const char *p;

	(void)state;
	sb_init(&b);
	format_rfc2047(&b, subj);
	/* each encoded-word at most 75 characters, lines folded with CRLF SP */
	for (p = b.data; p != NULL && *p; ) {
		const char *end = strstr(p, "?=");
		unsigned char dec[128];
		int n;

		assert_non_null(end);
		assert_true(strncmp(p, "=?UTF-8?B?", 10) == 0);
		assert_true(end + 2 - p <= 75);
		n = s_b64_decode(p + 10, (size_t)(end - p - 10), dec);
		while (n > 0 && dec[n - 1] == '\0' && (end - p - 10) % 4 == 0 && end[-1] == '=')
			n--;
		assert_true(text_is_nfc_utf8((const char *)dec, (size_t)n)); /* never splits a character */
		strncat(joined, (const char *)dec, (size_t)n);
		p = end + 2;
		if (*p != '\0') {
			assert_memory_equal(p, "\r\n ", 3);
			p += 3;
		}
	}
	assert_string_equal(joined, subj);
	sb_free(&b);
}

static void
test_header_sanitise(void **state)
{
	char *s = format_header_text("HTX Sông Cầu\r\nBcc: x@y\tz");
	sb_t b;

	(void)state;
	assert_string_equal(s, "HTX Sông Cầu  Bcc: x@y z");
	free(s);
	sb_init(&b);
	format_rfc2047(&b, "a\r\nBcc: x@y");
	assert_null(strchr(b.data, '\n'));
	assert_null(strstr(b.data, "\r\nBcc"));
	sb_free(&b);
	assert_true(format_address_ok("ubnd.061@backan.gov.vn"));
	assert_false(format_address_ok("a@b\r\nBcc: c@d"));
	assert_false(format_address_ok("a b@c"));
	assert_false(format_address_ok("<a@b>"));
	assert_false(format_address_ok("ab"));
	assert_false(format_address_ok("@b"));
}

/* a run of continuation bytes longer than one encoded-word (not UTF-8, so
 * no character boundary to cut at) once sent the cut below the word's start
 * and read far past the string (found by fuzz_writers) */
static void
test_rfc2047_continuation_run(void **state)
{
	char s[200];
	sb_t b;

	(void)state;
	memcpy(s, "0123456789 ", 11);
	memset(s + 11, 0xA1, 100);
	memcpy(s + 111, " tail", 6);
	sb_init(&b);
	format_rfc2047(&b, s);
	assert_non_null(b.data);
	assert_non_null(strstr(b.data, "=?UTF-8?B?"));
	for (const char *p = b.data; (p = strstr(p, "=?UTF-8?B?")) != NULL; p += 10)
		assert_true(strstr(p, "?=") - p + 2 <= 75);
	sb_free(&b);
}

static void
test_expand(void **state)
{
	char *a = format_expand("ubnd.{district}@x.vn", "061", NULL);

	(void)state;
	assert_string_equal(a, "ubnd.061@x.vn");
	free(a);
	assert_null(format_expand("ubnd.{district}@x.vn", "", NULL));
	assert_null(format_expand("{agency}@x.vn", NULL, "a\r\nb"));
	assert_null(format_expand("{agency}@x.vn", NULL, "a@b"));
}

static void
test_hmac(void **state)
{
	char hex[65];

	(void)state;
	/* RFC 4231 test case 2 */
	assert_int_equal(format_hmac_hex("Jefe", "what do ya want for nothing?", 28, hex), 0);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void
test_scrub(void **state)
{
	char *s = format_scrub("Cty 079123456789 mã 0123456789 MST 0300588569-001 x", 0);

	(void)state;
	assert_string_equal(s, "Cty [***] mã [***] MST [***]-001 x");
	free(s);
	s = format_scrub("079123456789 0123456789 12345", 1);
	assert_string_equal(s, "[***] 0123456789 12345"); /* Social Security may see insurance numbers */
	free(s);
}

static void
test_email_body(void **state)
{
	alert_item_t it = { "new", "not_enrolled", "0300588569", "X\r\nBcc: y@z", "061", "Huyện Ba Bể", "2017-03",
		"critical", 12, 10, "", "", 0, 0 };
	cfg_receiver_t rec = { .name = "district", .role = ROLE_DISTRICT_COMMITTEE };
	notice_ctx_t x = { NULL, &rec, "061", "Huyện Ba Bể", "digest=061", 7, 1492250400 };
	char *to[] = { "a@b.vn" };
	sb_t subj, text, json, mail;

	(void)state;
	sb_init(&subj);
	sb_init(&text);
	sb_init(&json);
	sb_init(&mail);
	format_notice(&x, &it, 1, &subj, &text, &json, NULL);
	assert_null(strpbrk(subj.data, "\r\n"));
	assert_true(strstr(text.data, "Hệ thống giám sát BHXH") == text.data); /* Vietnamese first */
	assert_non_null(strstr(text.data, "Social insurance monitoring"));
	format_email(&mail, "BHXH", "from@x.vn", to, 1, subj.data, text.data, NULL, NULL, NULL, 7, 9, 0);
	assert_null(strstr(mail.data, "\nBcc"));
	assert_non_null(strstr(mail.data, "Message-ID: <notice-7.9@bhxh-alert>"));
	assert_non_null(strstr(mail.data, "Content-Type: text/plain; charset=UTF-8\r\n"));
	assert_null(strstr(mail.data, "multipart"));
	sb_free(&subj);
	sb_free(&text);
	sb_free(&json);
	sb_free(&mail);
}

/* a value the reports cannot print (above 1e15, or not finite) is null in
 * the notice's JSON, not a missing value (found by fuzz_writers) */
static void
test_notice_json_unprintable_value(void **state)
{
	alert_item_t it = { "new", "arrears", "TA0012A", "Đơn vị A", "061", "Huyện Ba Bể", "2017-03", "major", 1e16,
		INFINITY, "", "", 0, 0 };
	cfg_receiver_t rec = { .name = "bhxh", .role = ROLE_SOCIAL_SECURITY };
	notice_ctx_t x = { NULL, &rec, "", "", "digest=", 8, 1492250400 };
	sb_t subj, text, json;

	(void)state;
	sb_init(&subj);
	sb_init(&text);
	sb_init(&json);
	format_notice(&x, &it, 1, &subj, &text, &json, NULL);
	assert_non_null(strstr(json.data, "\"value\": null, \"threshold\": null,"));
	sb_free(&subj);
	sb_free(&text);
	sb_free(&json);
}

/* a digest: sections, sorted by severity then value, at most max_entries
 * listed per section, every item in the CSV, which goes as an attachment */
static void
test_digest(void **state)
{
	cfg_receiver_t rec = { .name = "bhxh", .role = ROLE_SOCIAL_SECURITY };
	cfg_alert_t ac = { 0 };
	config_t cfg = { 0 };
	notice_ctx_t x = { &cfg, &rec, "", "", "digest=", 42, 1492250400 };
	alert_item_t items[30];
	char subjects[30][24], *to[] = { "a@b.vn" };
	const char *p;
	sb_t subj, text, json, csv, mail;
	int lines = 0;

	(void)state;
	ac.notices.max_entries = 5;
	ac.notices.action_days = 30;
	ac.notices.contact = "";
	ac.notices.dashboard_url = "";
	cfg.alert = &ac;
	for (int i = 0; i < 30; i++) {
		snprintf(subjects[i], sizeof(subjects[i]), "03005885%02d", i);
		items[i] = (alert_item_t){ i < 25 ? "new" : i < 28 ? "firing" : "resolved", i % 2 ? "arrears" : "not_enrolled",
			subjects[i], "Công ty", "", "", "2017-03", i == 7 ? "critical" : "warning", (double)i, 1,
			"2017-01", i == 29 ? "no_longer_found" : "", 0, 0 };
	}
	sb_init(&subj);
	sb_init(&text);
	sb_init(&json);
	sb_init(&csv);
	sb_init(&mail);
	sb_add(&csv, "");
	format_notice(&x, items, 30, &subj, &text, &json, &csv);
	assert_non_null(strstr(subj.data, "25 mới, 2 đã khắc phục hoặc không còn phát hiện: nhiều loại phát hiện")); /* the changes */
	assert_non_null(strstr(text.data, "PHÁT HIỆN MỚI (25)"));
	assert_non_null(strstr(text.data, "... và 20 trường hợp khác"));
	assert_non_null(strstr(text.data, "VẪN CÒN (nhắc lại) (3)\n  Các trường hợp đã thông báo trước đây"));
	assert_null(strstr(text.data, "0300588526")); /* still open: counted, listed in the CSV only */
	assert_non_null(strstr(csv.data, "0300588526"));
	assert_non_null(strstr(text.data, "không còn phát hiện"));
	/* the critical one first, then the largest values */
	p = strstr(text.data, "  1. ");
	assert_non_null(p);
	assert_true(strstr(p, "0300588507") < strstr(p, "0300588524"));
	assert_true(strstr(p, "0300588524") < strstr(p, "0300588523"));
	assert_null(strstr(text.data, "0300588500")); /* the smallest new one is only in the CSV */
	assert_true(strncmp(csv.data, "\xEF\xBB\xBF", 3) == 0);
	for (p = csv.data; (p = strstr(p, "\r\n")) != NULL; p += 2)
		lines++;
	assert_int_equal(lines, 31); /* header and every item */
	assert_non_null(strstr(csv.data, "0300588500"));
	format_email(&mail, "BHXH", "from@x.vn", to, 1, subj.data, text.data, NULL, csv.data, "phát-hiện-42.csv", 42, 1, 0);
	assert_non_null(strstr(mail.data, "Content-Type: multipart/mixed; boundary=\"=_bhxh_notice_42_1\""));
	assert_non_null(strstr(mail.data, "Content-Type: text/csv; charset=UTF-8"));
	assert_non_null(strstr(mail.data, "filename*=UTF-8''ph%C3%A1t-hi%E1%BB%87n-42.csv"));
	assert_non_null(strstr(mail.data, "\r\n--=_bhxh_notice_42_1--\r\n"));
	/* a name a spreadsheet would run as a formula stays text */
	items[0].name = "=HYPERLINK(\"http://x\")";
	csv.len = subj.len = text.len = json.len = 0;
	format_notice(&x, items, 1, &subj, &text, &json, &csv);
	assert_non_null(strstr(csv.data, ",\"'=HYPERLINK(\"\"http://x\"\")\","));
	/* a reminder (nothing changed): the still-open ones are listed */
	subj.len = text.len = json.len = 0;
	format_notice(&x, items + 25, 3, &subj, &text, &json, NULL);
	assert_non_null(strstr(subj.data, "3 vẫn còn"));
	assert_non_null(strstr(text.data, "0300588526"));
	sb_free(&subj);
	sb_free(&text);
	sb_free(&json);
	sb_free(&csv);
	sb_free(&mail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routing_tree),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_retry_config),
		cmocka_unit_test(test_shipped_config),
		cmocka_unit_test(test_notices_config),
		cmocka_unit_test(test_event_check),
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_dead_letter),
		cmocka_unit_test(test_matchers),
		cmocka_unit_test(test_rfc2047),
		cmocka_unit_test(test_header_sanitise),
		cmocka_unit_test(test_rfc2047_continuation_run),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_hmac),
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_email_body),
		cmocka_unit_test(test_notice_json_unprintable_value),
		cmocka_unit_test(test_digest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
