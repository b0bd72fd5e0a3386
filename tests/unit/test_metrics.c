/* test_metrics - the Prometheus text and the health verdict from status
 * answers (common/metrics.c): HELP and TYPE once per family before its
 * samples, label values escaped (backslash, double quote, line feed), ages
 * from the worker's own clock, per-agency and per-outcome labels, a worker
 * that does not answer (up 0, only its restarts), a malformed answer, and
 * /healthz lines naming each worker that is not ready or busy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static const char s_agg[] =
	"{\"name\":\"aggregate\",\"pid\":12,\"state\":\"degraded\",\"since\":1000,\"why\":\"1 file quarantined\\n"
	"(see \\\"quarantine list\\\")\",\"time\":1100,\"msgs_in\":7,\"msgs_out\":3,\"bad_msgs\":0,"
	"\"forbidden_msgs\":0,\"refused_connections\":2,\"outbox\":1,\"last_error_at\":1090,\"last_error\":"
	"\"x\",\"starts\":3,\"files_applied\":2,\"quarantined\":1,\"files_waiting\":0,\"files\":{\"applied\":5,"
	"\"rejected\":1},\"rows_applied\":40,\"last_applied\":{\"bhxh\":1040,\"t\\\"a\\\\x\\u00e1\":1099}}";

static const char s_ingest[] =
	"{\"name\":\"ingest\",\"state\":\"busy\",\"since\":1000,\"why\":\"reading\",\"time\":1000,\"msgs_in\":0,"
	"\"outbox\":4,\"last_error_at\":0,\"last_error\":null,\"files_taken\":1,\"current\":{\"agency\":\"bhxh\","
	"\"file\":\"a.csv\",\"rows\":9},\"rows_read\":9}";

/* s_count - occurrences of needle in hay */
static int
s_count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* every sample line's metric has a HELP and a TYPE line before it, once */
static void
s_check_format(const char *text)
{
	char *copy = strdup(text), *save = NULL, *line;
	char families[64][80];
	int nf = 0;

	assert_non_null(copy);
	for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char name[80];
		int known = 0;

		if (strncmp(line, "# HELP ", 7) == 0) {
			assert_int_equal(sscanf(line + 7, "%79s", name), 1);
			for (int i = 0; i < nf; i++)
				assert_string_not_equal(families[i], name);
			assert_true(nf < 64);
			snprintf(families[nf++], sizeof(families[0]), "%s", name);
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_true(nf > 0);
			assert_int_equal(strncmp(line + 7, families[nf - 1], strlen(families[nf - 1])), 0);
			continue;
		}
		assert_true(line[0] != '#');
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(line, "{ "), line);
		for (int i = 0; i < nf; i++)
			known |= strcmp(families[i], name) == 0;
		assert_true(known);
		assert_string_equal(families[nf - 1], name); /* the samples of a family stand together */
	}
	free(copy);
}

static void
test_render(void **state)
{
	metrics_worker_t ws[] = {
		{ "ingest", s_ingest, NULL, "ipc:///v/run/ingest.ctl", 2 },
		{ "aggregate", s_agg, NULL, "ipc:///v/run/aggregate.ctl", -1 },
		{ "alert", NULL, "no answer", "tcp://10.0.0.2:5582", 0 },
	};
	sb_t b;

	(void)state;
	sb_init(&b);
	metrics_render(ws, 3, 0.25, &b);
	s_check_format(b.data);
	assert_non_null(strstr(b.data, "# TYPE bhxh_worker_up gauge\nbhxh_worker_up{worker=\"ingest\"} 1\n"
	    "bhxh_worker_up{worker=\"aggregate\"} 1\nbhxh_worker_up{worker=\"alert\"} 0\n"));
	assert_non_null(strstr(b.data, "bhxh_worker_state{worker=\"aggregate\",state=\"degraded\"} 1\n"));
	assert_non_null(strstr(b.data, "bhxh_worker_state{worker=\"ingest\",state=\"busy\"} 1\n"));
	assert_int_equal(s_count(b.data, "bhxh_worker_state{worker=\"alert\""), 0);
	assert_non_null(strstr(b.data, "bhxh_worker_state_seconds{worker=\"aggregate\"} 100\n"));
	assert_non_null(strstr(b.data, "# TYPE bhxh_worker_restarts_total counter\n"
	    "bhxh_worker_restarts_total{worker=\"ingest\"} 2\nbhxh_worker_restarts_total{worker=\"alert\"} 0\n"));
	assert_non_null(strstr(b.data, "bhxh_worker_refused_connections_total{worker=\"aggregate\"} 2\n"));
	assert_non_null(strstr(b.data, "bhxh_worker_outbox_messages{worker=\"ingest\"} 4\n"));
	assert_non_null(strstr(b.data, "bhxh_worker_starts_total{worker=\"aggregate\"} 3\n"));
	assert_non_null(strstr(b.data, "bhxh_worker_last_error_age_seconds{worker=\"aggregate\"} 10\n"));
	assert_int_equal(s_count(b.data, "bhxh_worker_last_error_age_seconds{worker=\"ingest\"}"), 0);
	assert_non_null(strstr(b.data, "bhxh_ingest_rows_read_total{worker=\"ingest\"} 9\n"));
	assert_non_null(strstr(b.data, "bhxh_aggregate_files_total{worker=\"aggregate\",outcome=\"applied\"} 5\n"
	    "bhxh_aggregate_files_total{worker=\"aggregate\",outcome=\"rejected\"} 1\n"));
	assert_non_null(strstr(b.data, "bhxh_aggregate_files_quarantined{worker=\"aggregate\"} 1\n"));
	assert_non_null(strstr(b.data, "bhxh_aggregate_rows_applied_total{worker=\"aggregate\"} 40\n"));
	assert_non_null(strstr(b.data, "bhxh_aggregate_last_applied_age_seconds{worker=\"aggregate\",agency=\"bhxh\"} 60\n"));
	/* t"a\x + á: quote and backslash escaped, UTF-8 kept */
	assert_non_null(strstr(b.data, "bhxh_aggregate_last_applied_age_seconds{worker=\"aggregate\","
	    "agency=\"t\\\"a\\\\x\xc3\xa1\"} 1\n"));
	assert_non_null(strstr(b.data, "# TYPE bhxh_worker_messages_in_total counter\n"));
	assert_non_null(strstr(b.data, "bhxh_metrics_collect_seconds 0.250\n"));
	/* families without samples are left out */
	assert_int_equal(s_count(b.data, "bhxh_alert_"), 0);
	sb_free(&b);
}

static void
test_label_escaping(void **state)
{
	sb_t b;

	(void)state;
	sb_init(&b);
	sb_add(&b, "");
	metrics_label_value(&b, "a\\b\"c\nd\te");
	assert_string_equal(b.data, "a\\\\b\\\"c\\nd\te");
	sb_free(&b);
	/* a worker name that needs escaping, as a label value */
	{
		metrics_worker_t w = { "we\"ird\n", NULL, NULL, "x", -1 };

		sb_init(&b);
		metrics_render(&w, 1, 0, &b);
		assert_non_null(strstr(b.data, "bhxh_worker_up{worker=\"we\\\"ird\\n\"} 0\n"));
		sb_free(&b);
	}
}

static void
test_malformed_answer(void **state)
{
	metrics_worker_t ws[] = {
		{ "ingest", "{\"state\":\"ready\",\"msgs_in\":\"many\",\"outbox\":[1,2],\"time\":5,", NULL, "x", 1 },
		{ "validate", "not json", NULL, "x", -1 },
		{ "alert", "{\"state\":\"ready\",\"msgs_in\":1e400,\"outbox\":-0,\"time\":5}", NULL, "x", -1 },
	};
	const char *v;
	size_t len;
	double d;
	char s[8];
	sb_t b;

	(void)state;
	sb_init(&b);
	metrics_render(ws, 3, 0, &b);
	s_check_format(b.data);
	assert_int_equal(s_count(b.data, "bhxh_worker_messages_in_total"), 0);
	assert_non_null(strstr(b.data, "bhxh_worker_outbox_messages{worker=\"alert\"} 0\n"));
	sb_free(&b);
	assert_int_equal(metrics_json_get("{\"a\":{\"b\":1},\"b\":2}", "b", &v, &len), 0);
	assert_int_equal(metrics_json_number(v, len, &d), 0);
	assert_true(d == 2);
	assert_int_equal(metrics_json_get("{\"a\":1", "b", &v, &len), -1);
	assert_int_equal(metrics_json_get("[\"b\",1]", "b", &v, &len), -1);
	assert_int_equal(metrics_json_get("{\"a\":\"x\\\"y\",\"c\":\"\\u00e1bcdefghij\"}", "c", &v, &len), 0);
	assert_int_equal(metrics_json_string(v, len, s, sizeof(s)), 0);
	assert_string_equal(s, "\xc3\xa1" "bcdef"); /* cut to the room there is */
}

static void
test_health(void **state)
{
	metrics_worker_t ws[] = {
		{ "ingest", s_ingest, NULL, "ipc:///v/run/ingest.ctl", 0 },
		{ "aggregate", s_agg, NULL, "ipc:///v/run/aggregate.ctl", 0 },
		{ "alert", NULL, "no answer", "tcp://10.0.0.2:5582", 0 },
	};
	sb_t b;

	(void)state;
	sb_init(&b);
	assert_int_equal(metrics_health(ws, 3, &b), 0);
	assert_string_equal(b.data, "aggregate: degraded: 1 file quarantined (see \"quarantine list\")\n"
	    "alert: not answering at tcp://10.0.0.2:5582 (no answer)\n");
	sb_free(&b);
	sb_init(&b);
	assert_int_equal(metrics_health(ws, 1, &b), 1);
	assert_string_equal(b.data, "ok\n");
	sb_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_malformed_answer),
		cmocka_unit_test(test_health),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
