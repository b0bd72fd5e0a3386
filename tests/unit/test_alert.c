/* test_alert - unit tests for the alert routing tree and matchers
 * (common/cfg_alert.c) and for notice formatting: RFC 2047 subjects, header
 * sanitising, addresses, HMAC-SHA256, scrubbing of personal numbers
 * (workers/alert/format.c, compiled in here). */
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
		"critical", 12, 10 };
	char *to[] = { "a@b.vn" };
	sb_t subj, text, json, mail;

	(void)state;
	sb_init(&subj);
	sb_init(&text);
	sb_init(&json);
	sb_init(&mail);
	format_notice("district", ROLE_DISTRICT_COMMITTEE, "061", "Huyện Ba Bể", "kind=not_enrolled", 7, &it, 1,
	    &subj, &text, &json);
	assert_null(strpbrk(subj.data, "\r\n"));
	assert_true(strstr(text.data, "Hệ thống giám sát BHXH") == text.data); /* Vietnamese first */
	assert_non_null(strstr(text.data, "Social insurance monitoring"));
	format_email(&mail, "BHXH", "from@x.vn", to, 1, subj.data, text.data, 7, 9, 0);
	assert_null(strstr(mail.data, "\nBcc"));
	assert_non_null(strstr(mail.data, "Message-ID: <notice-7.9@bhxh-alert>"));
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
		INFINITY };
	sb_t subj, text, json;

	(void)state;
	sb_init(&subj);
	sb_init(&text);
	sb_init(&json);
	format_notice("bhxh", ROLE_SOCIAL_SECURITY, "061", "Huyện Ba Bể", "kind=arrears", 8, &it, 1, &subj, &text, &json);
	assert_non_null(strstr(json.data, "\"value\": null, \"threshold\": null}"));
	sb_free(&subj);
	sb_free(&text);
	sb_free(&json);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routing_tree),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_shipped_config),
		cmocka_unit_test(test_matchers),
		cmocka_unit_test(test_rfc2047),
		cmocka_unit_test(test_header_sanitise),
		cmocka_unit_test(test_rfc2047_continuation_run),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_hmac),
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_email_body),
		cmocka_unit_test(test_notice_json_unprintable_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
