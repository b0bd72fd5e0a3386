/* test_msg - unit tests for the message codec (common/msg.c).
 *
 * Round trips of every message type, and rejection of every kind of bad
 * input the decoder must survive. Malformed messages are written byte by
 * byte with the small writer below rather than with msgpack-c, so that the
 * tests do not share code with the encoder under test. Leaks are caught by
 * running under AddressSanitizer. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "msg.h"

/* --------------------------------------------------------- byte writer */

struct wb {
	unsigned char *p;
	size_t n;
	size_t cap;
};

/* wb_put - append n raw bytes. */
static void wb_put(struct wb *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		size_t cap = b->cap == 0 ? 256 : b->cap;

		while (cap < b->n + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		assert_non_null(b->p);
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->n, d, n);
	b->n += n;
}

/* wb_byte - append one byte. */
static void wb_byte(struct wb *b, unsigned x)
{
	unsigned char c = (unsigned char)x;

	wb_put(b, &c, 1);
}

/* wb_be - append v as an n-byte big-endian number. */
static void wb_be(struct wb *b, uint64_t v, size_t n)
{
	while (n-- > 0)
		wb_byte(b, (unsigned)(v >> (8 * n)) & 0xff);
}

/* wb_arr - append an array header in its smallest form. */
static void wb_arr(struct wb *b, uint32_t n)
{
	if (n < 16) {
		wb_byte(b, 0x90 | n);
	} else if (n <= 0xffff) {
		wb_byte(b, 0xdc);
		wb_be(b, n, 2);
	} else {
		wb_byte(b, 0xdd);
		wb_be(b, n, 4);
	}
}

/* wb_uint - append an unsigned integer in its smallest form. */
static void wb_uint(struct wb *b, uint64_t v)
{
	if (v < 128) {
		wb_byte(b, (unsigned)v);
	} else if (v <= 0xff) {
		wb_byte(b, 0xcc);
		wb_be(b, v, 1);
	} else if (v <= 0xffff) {
		wb_byte(b, 0xcd);
		wb_be(b, v, 2);
	} else if (v <= 0xffffffffu) {
		wb_byte(b, 0xce);
		wb_be(b, v, 4);
	} else {
		wb_byte(b, 0xcf);
		wb_be(b, v, 8);
	}
}

/* wb_strn - append a string of n bytes in its smallest form. */
static void wb_strn(struct wb *b, const char *s, size_t n)
{
	if (n < 32) {
		wb_byte(b, 0xa0 | (unsigned)n);
	} else if (n <= 0xff) {
		wb_byte(b, 0xd9);
		wb_be(b, n, 1);
	} else if (n <= 0xffff) {
		wb_byte(b, 0xda);
		wb_be(b, n, 2);
	} else {
		wb_byte(b, 0xdb);
		wb_be(b, n, 4);
	}
	wb_put(b, s, n);
}

/* wb_str - append a NUL-terminated string. */
static void wb_str(struct wb *b, const char *s)
{
	wb_strn(b, s, strlen(s));
}

/* wb_head - append the envelope of a message and the header of its body. */
static void wb_head(struct wb *b, uint64_t type, uint64_t id, uint32_t arity)
{
	wb_arr(b, 4);
	wb_uint(b, MSG_VERSION);
	wb_uint(b, type);
	wb_uint(b, id);
	wb_arr(b, arity);
}

/* wb_free - release the writer's buffer. */
static void wb_free(struct wb *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------- helpers */

static const msg_t zero_msg;

/* assert_zeroed - m holds nothing (what a failed decode must leave). */
static void assert_zeroed(const msg_t *m)
{
	assert_memory_equal(m, &zero_msg, sizeof(*m));
}

/* expect_fail - decoding buf must fail with an error containing want. */
static void expect_fail_buf(const void *buf, size_t len, const char *want)
{
	msg_t m;
	char err[256];

	memset(&m, 0xa5, sizeof(m));
	assert_int_equal(msg_decode(buf, len, &m, err, sizeof(err)), -1);
	assert_zeroed(&m);
	assert_true(err[0] != '\0');
	if (want != NULL && strstr(err, want) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
	msg_free(&m);
}

/* expect_fail - the same for a writer's bytes, which it then frees. */
static void expect_fail(struct wb *b, const char *want)
{
	expect_fail_buf(b->p, b->n, want);
	wb_free(b);
}

/* expect_fail_pad - expect_fail after appending nils, so that a short
 * hand-made body passes the count-versus-bytes-left checks and the decoder
 * gets as far as the element under test. */
static void expect_fail_pad(struct wb *b, const char *want)
{
	int i;

	for (i = 0; i < 32; i++)
		wb_byte(b, 0xc0);
	expect_fail(b, want);
}

/* xstrdup - strdup that fails the test on out of memory. */
static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	return d;
}

/* xcalloc - calloc that fails the test on out of memory. */
static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n == 0 ? 1 : n, size);

	assert_non_null(p);
	return p;
}

/* strs - a malloc'd array of malloc'd copies of n strings. */
static char **strs(uint32_t n, const char *const *v)
{
	char **a = xcalloc(n, sizeof(char *));
	uint32_t i;

	for (i = 0; i < n; i++)
		a[i] = xstrdup(v[i]);
	return a;
}

/* opt_equal - two optional strings are equal (both NULL or same text). */
static void opt_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/* strs_equal - two string arrays are equal. */
static void strs_equal(uint32_t na, char **a, uint32_t nb, char **b)
{
	uint32_t i;

	assert_int_equal(na, nb);
	for (i = 0; i < na; i++)
		assert_string_equal(a[i], b[i]);
}

/* msg_equal - deep comparison of two messages of the same type. */
static void msg_equal(const msg_t *a, const msg_t *b)
{
	uint32_t i;

	assert_int_equal(a->type, b->type);
	assert_true(a->id == b->id);
	switch (a->type) {
	case MSG_T_BATCH: {
		const msg_batch_t *x = &a->u.batch, *y = &b->u.batch;

		assert_string_equal(x->file_id, y->file_id);
		assert_true(x->file_no == y->file_no);
		assert_int_equal(x->seq, y->seq);
		assert_int_equal(x->validated, y->validated);
		assert_string_equal(x->agency, y->agency);
		assert_string_equal(x->rtype, y->rtype);
		strs_equal(x->nfields, x->fields, y->nfields, y->fields);
		assert_int_equal(x->nrows, y->nrows);
		for (i = 0; i < x->nrows; i++) {
			const msg_row_t *r = &x->rows[i], *s = &y->rows[i];

			assert_int_equal(r->line, s->line);
			strs_equal(r->nvalues, r->values, s->nvalues, s->values);
			opt_equal(r->err_code, s->err_code);
			opt_equal(r->err_field, s->err_field);
			opt_equal(r->err_vi, s->err_vi);
			opt_equal(r->err_en, s->err_en);
			assert_int_equal(r->nmore, s->nmore);
			for (uint32_t k = 0; k < r->nmore; k++) {
				assert_string_equal(r->more[k].code, s->more[k].code);
				opt_equal(r->more[k].field, s->more[k].field);
				assert_string_equal(r->more[k].vi, s->more[k].vi);
				assert_string_equal(r->more[k].en, s->more[k].en);
			}
		}
		break;
	}
	case MSG_T_FILE_END: {
		const msg_file_end_t *x = &a->u.end, *y = &b->u.end;

		assert_string_equal(x->file_id, y->file_id);
		assert_true(x->file_no == y->file_no);
		assert_string_equal(x->agency, y->agency);
		assert_string_equal(x->rtype, y->rtype);
		assert_string_equal(x->name, y->name);
		assert_true(x->received_at == y->received_at);
		assert_int_equal(x->nbatches, y->nbatches);
		assert_true(x->rows_read == y->rows_read);
		strs_equal(x->nunknown, x->unknown_columns, y->nunknown, y->unknown_columns);
		opt_equal(x->abort_code, y->abort_code);
		opt_equal(x->encoding, y->encoding);
		strs_equal(x->nheadings, x->headings, y->nheadings, y->headings);
		assert_int_equal(x->dry_run, y->dry_run);
		break;
	}
	case MSG_T_ACK:
		assert_int_equal(a->u.ack.nids, b->u.ack.nids);
		for (i = 0; i < a->u.ack.nids; i++)
			assert_true(a->u.ack.ids[i] == b->u.ack.ids[i]);
		break;
	case MSG_T_FILE_DONE:
		assert_string_equal(a->u.done.file_id, b->u.done.file_id);
		assert_true(a->u.done.file_no == b->u.done.file_no);
		assert_string_equal(a->u.done.agency, b->u.done.agency);
		assert_string_equal(a->u.done.status, b->u.done.status);
		opt_equal(a->u.done.code, b->u.done.code);
		assert_string_equal(a->u.done.name ? a->u.done.name : "", b->u.done.name);
		assert_true(a->u.done.stamp == b->u.done.stamp);
		opt_equal(a->u.done.receipt_json, b->u.done.receipt_json);
		opt_equal(a->u.done.receipt_text, b->u.done.receipt_text);
		opt_equal(a->u.done.receipt_csv, b->u.done.receipt_csv);
		break;
	case MSG_T_CTL_REQ:
		assert_string_equal(a->u.req.cmd, b->u.req.cmd);
		strs_equal(a->u.req.nargs, a->u.req.args, b->u.req.nargs, b->u.req.args);
		break;
	case MSG_T_CTL_REP:
		assert_true(a->u.rep.code == b->u.rep.code);
		assert_string_equal(a->u.rep.body, b->u.rep.body);
		break;
	case MSG_T_SUMMARY: {
		const msg_table_t *ta[3] = { &a->u.summary.units, &a->u.summary.employers, &a->u.summary.agencies };
		const msg_table_t *tb[3] = { &b->u.summary.units, &b->u.summary.employers, &b->u.summary.agencies };

		assert_string_equal(a->u.summary.period, b->u.summary.period);
		assert_true(a->u.summary.generated_at == b->u.summary.generated_at);
		for (int k = 0; k < 3; k++) {
			assert_int_equal(ta[k]->ncols, tb[k]->ncols);
			assert_int_equal(ta[k]->nrows, tb[k]->nrows);
			for (uint32_t c = 0; c < ta[k]->nrows * ta[k]->ncols; c++)
				assert_string_equal(ta[k]->cells[c], tb[k]->cells[c]);
		}
		break;
	}
	case MSG_T_EVENTS:
		assert_true(a->u.events.seq == b->u.events.seq);
		assert_int_equal(a->u.events.nevents, b->u.events.nevents);
		for (i = 0; i < a->u.events.nevents; i++) {
			const msg_event_t *x = &a->u.events.events[i];
			const msg_event_t *y = &b->u.events.events[i];

			assert_string_equal(x->kind, y->kind);
			assert_string_equal(x->subject, y->subject);
			assert_string_equal(x->org_unit, y->org_unit);
			assert_string_equal(x->period, y->period);
			assert_string_equal(x->severity, y->severity);
			assert_string_equal(x->state, y->state);
			assert_string_equal(x->name, y->name);
			/* bitwise, so that NaN and -0.0 count too */
			assert_memory_equal(&x->value, &y->value, sizeof(double));
			assert_memory_equal(&x->threshold, &y->threshold, sizeof(double));
			assert_string_equal(x->since, y->since);
			assert_string_equal(x->reason, y->reason);
			assert_memory_equal(&x->amount, &y->amount, sizeof(double));
			assert_memory_equal(&x->workers, &y->workers, sizeof(double));
		}
		break;
	default:
		fail_msg("unexpected type %d", a->type);
	}
}

/* roundtrip - encode m, decode it, compare, and check that encoding the
 * decoded message gives the same bytes. */
static void roundtrip(const msg_t *m)
{
	char *buf = NULL, *buf2 = NULL;
	size_t len = 0, len2 = 0;
	msg_t d;
	char err[256];

	assert_int_equal(msg_encode(m, &buf, &len), 0);
	assert_non_null(buf);
	assert_true(len > 0);
	if (msg_decode(buf, len, &d, err, sizeof(err)) != 0)
		fail_msg("decode: %s", err);
	assert_int_equal(d.version, MSG_VERSION);
	msg_equal(m, &d);
	assert_int_equal(msg_encode(&d, &buf2, &len2), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, buf2, len);
	msg_free(&d);
	assert_zeroed(&d);
	free(buf);
	free(buf2);
}

/* encode - encode m, failing the test if it does not encode. */
static void encode(const msg_t *m, char **buf, size_t *len)
{
	assert_int_equal(msg_encode(m, buf, len), 0);
}

/* ---------------------------------------------------- sample messages */

static const char *const vn_fields[] = {
	"ma_so_bhxh", "ho_ten", "ngay_sinh", "dia_chi", "ghi_chu"
};

/* make_batch - a realistic batch: good rows, a rejected row without values
 * and one with values. The strings are malloc'd, so msg_free frees them. */
static void make_batch(msg_t *m)
{
	static const char *const good1[] = {
		"7901234567", "Nguyễn Văn An", "1985-03-14",
		"Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh", ""
	};
	static const char *const good2[] = {
		"0123456789", "Trần Thị Bích Ngọc", "1990-12-01",
		"Xã Đông Hưng, Huyện Đông Hưng, Tỉnh Thái Bình", "Đã đóng đủ"
	};
	static const char *const bad[] = { "12AB", "Lê Ḿinh", "31/02/1990" };
	msg_batch_t *b;
	msg_row_t *r;

	memset(m, 0, sizeof(*m));
	m->type = MSG_T_BATCH;
	m->id = 0x0123456789abcdefULL;
	b = &m->u.batch;
	b->file_id = xstrdup("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
	b->file_no = 70000;
	b->seq = 4000000000u;
	b->validated = 1;
	b->agency = xstrdup("BHXH_HCM");
	b->rtype = xstrdup("participant");
	b->nfields = 5;
	b->fields = strs(5, vn_fields);
	b->nrows = 4;
	b->rows = r = xcalloc(4, sizeof(msg_row_t));
	r[0].line = 2;
	r[0].nvalues = 5;
	r[0].values = strs(5, good1);
	r[1].line = 3;
	r[1].err_code = xstrdup("E_SHAPE");
	r[1].err_vi = xstrdup("Dòng có 7 cột, tệp có 5 cột");
	r[1].err_en = xstrdup("row has 7 columns, the file has 5");
	r[2].line = 70000; /* a row can start far down after multi-line cells */
	r[2].nvalues = 3;
	r[2].values = strs(3, bad);
	r[2].err_code = xstrdup("E_TAXCODE");
	r[2].err_field = xstrdup("ma_so_bhxh");
	r[2].err_vi = xstrdup("Mã số BHXH không hợp lệ");
	r[2].err_en = xstrdup("invalid social insurance number");
	r[2].nmore = 2; /* the row's other errors */
	r[2].more = xcalloc(2, sizeof(msg_err_t));
	r[2].more[0] = (msg_err_t){ xstrdup("E_DATE_INVALID"), xstrdup("ngay_sinh"), xstrdup("không có ngày 31/02"),
		xstrdup("no such day") };
	r[2].more[1] = (msg_err_t){ xstrdup("E_RULE_X"), NULL, xstrdup("quy tắc"), xstrdup("a rule") };
	r[3].line = UINT32_MAX;
	r[3].nvalues = 5;
	r[3].values = strs(5, good2);
}

/* make_file_end - a realistic file_end message. */
static void make_file_end(msg_t *m)
{
	static const char *const unknown[] = { "Ghi chú thêm", "", "cột_lạ" };
	static const char *const headings[] = { "tax_code", "Mã số thuế DN", "period", "Kỳ" };

	memset(m, 0, sizeof(*m));
	m->type = MSG_T_FILE_END;
	m->id = 42;
	m->u.end.file_id = xstrdup("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	m->u.end.file_no = 4294967297ULL; /* needs the uint64 form */
	m->u.end.agency = xstrdup("BHXH_HN");
	m->u.end.rtype = xstrdup("contribution");
	m->u.end.name = xstrdup("Danh sách đóng BHXH tháng 05-2024.csv");
	m->u.end.received_at = 1717200000;
	m->u.end.nbatches = 1234;
	m->u.end.rows_read = 5000000000ULL;
	m->u.end.nunknown = 3;
	m->u.end.unknown_columns = strs(3, unknown);
	m->u.end.abort_code = xstrdup("E_FILE_CHANGED");
	m->u.end.encoding = xstrdup("WINDOWS-1258");
	m->u.end.nheadings = 4;
	m->u.end.headings = strs(4, headings);
}

/* make_ack - an ack covering the integer encodings' boundaries. */
static void make_ack(msg_t *m)
{
	static const uint64_t ids[] = {
		0, 1, 127, 128, 255, 256, 65535, 65536, UINT32_MAX,
		(uint64_t)UINT32_MAX + 1, UINT64_MAX
	};
	uint32_t n = sizeof(ids) / sizeof(ids[0]);

	memset(m, 0, sizeof(*m));
	m->type = MSG_T_ACK;
	m->id = UINT64_MAX;
	m->u.ack.nids = n;
	m->u.ack.ids = xcalloc(n, sizeof(uint64_t));
	memcpy(m->u.ack.ids, ids, sizeof(ids));
}

/* make_event - fill one event with malloc'd copies. */
static void make_event(msg_event_t *ev, const char *kind, const char *subject,
    const char *org, const char *sev, const char *state, const char *name,
    double value, double threshold)
{
	ev->kind = xstrdup(kind);
	ev->subject = xstrdup(subject);
	ev->org_unit = xstrdup(org);
	ev->period = xstrdup("2024-05");
	ev->severity = xstrdup(sev);
	ev->state = xstrdup(state);
	ev->name = xstrdup(name);
	ev->value = value;
	ev->threshold = threshold;
	ev->since = xstrdup(strcmp(state, "resolved") == 0 ? "2023-11" : "");
	ev->reason = xstrdup(strcmp(state, "resolved") == 0 ? "remedied" : "");
	ev->amount = value * 2;
	ev->workers = 17;
}

/* make_events - a realistic events message. */
static void make_events(msg_t *m)
{
	msg_event_t *ev;

	memset(m, 0, sizeof(*m));
	m->type = MSG_T_EVENTS;
	m->id = 7;
	m->u.events.seq = 0x100000003ULL;
	m->u.events.nevents = 4;
	m->u.events.events = ev = xcalloc(4, sizeof(msg_event_t));
	make_event(&ev[0], "arrears", "0312345678", "HCM-Q1", "major", "new",
	    "Công ty TNHH Thương mại Sài Gòn", 152300000.5, 100000000);
	make_event(&ev[1], "not_enrolled", "8012345678", "", "warning", "escalated",
	    "", 3, 0);
	make_event(&ev[2], "coverage_drop", "ORG:BHYT", "HN", "critical", "resolved",
	    "Quận Hoàn Kiếm", -0.0, -3.25);
	make_event(&ev[3], "late_file", "BHXH_HN:participant", "", "info", "new",
	    "", 0.25, 1e300);
}

/* ---------------------------------------------------------------- tests */

/* test_free_zeroed - msg_free on a zeroed or NULL msg is harmless, twice. */
static void test_free_zeroed(void **state)
{
	msg_t m;

	memset(&m, 0, sizeof(m));
	msg_free(&m);
	msg_free(&m);
	assert_zeroed(&m);
	msg_free(NULL);
}

/* test_type_names - every type has its log name, anything else "unknown". */
static void test_type_names(void **state)
{
	assert_string_equal(msg_type_name(MSG_T_BATCH), "batch");
	assert_string_equal(msg_type_name(MSG_T_FILE_END), "file_end");
	assert_string_equal(msg_type_name(MSG_T_ACK), "ack");
	assert_string_equal(msg_type_name(MSG_T_EVENTS), "events");
	assert_string_equal(msg_type_name(MSG_T_FILE_DONE), "file_done");
	assert_string_equal(msg_type_name(MSG_T_CTL_REQ), "ctl_req");
	assert_string_equal(msg_type_name(MSG_T_CTL_REP), "ctl_rep");
	assert_string_equal(msg_type_name(0), "unknown");
	assert_string_equal(msg_type_name(9), "unknown");
	assert_string_equal(msg_type_name(-1), "unknown");
}

/* test_batch_roundtrip - Vietnamese text, empty cells, nil error fields. */
static void test_batch_roundtrip(void **state)
{
	msg_t m;
	char *buf;
	size_t len;
	msg_t d;
	char err[128];

	make_batch(&m);
	roundtrip(&m);

	/* a good row's error fields decode to NULL, a rejected row's to text */
	encode(&m, &buf, &len);
	assert_int_equal(msg_decode(buf, len, &d, err, sizeof(err)), 0);
	assert_null(d.u.batch.rows[0].err_code);
	assert_null(d.u.batch.rows[0].err_field);
	assert_null(d.u.batch.rows[1].err_field);
	assert_int_equal(d.u.batch.rows[1].nvalues, 0);
	assert_null(d.u.batch.rows[1].values);
	assert_string_equal(d.u.batch.rows[0].values[4], "");
	assert_string_equal(d.u.batch.rows[2].err_vi, "Mã số BHXH không hợp lệ");
	assert_int_equal(d.u.batch.rows[2].nmore, 2);
	assert_string_equal(d.u.batch.rows[2].more[0].field, "ngay_sinh");
	assert_null(d.u.batch.rows[2].more[1].field);
	assert_int_equal(d.u.batch.rows[1].nmore, 0);
	msg_free(&d);
	free(buf);
	msg_free(&m);
	assert_zeroed(&m);
}

/* test_batch_empty - no fields and no rows, empty strings everywhere. */
static void test_batch_empty(void **state)
{
	msg_t m;

	memset(&m, 0, sizeof(m));
	m.type = MSG_T_BATCH;
	m.u.batch.file_id = xstrdup("");
	m.u.batch.agency = xstrdup("");
	m.u.batch.rtype = xstrdup("");
	roundtrip(&m);
	msg_free(&m);
}

/* test_batch_many_rows - thousands of rows, strings in every size class. */
static void test_batch_many_rows(void **state)
{
	enum { NROWS = 20000 };
	msg_t m;
	msg_batch_t *b;
	char *big;
	uint32_t i, k;

	memset(&m, 0, sizeof(m));
	m.type = MSG_T_BATCH;
	m.id = 99;
	b = &m.u.batch;
	b->file_id = xstrdup("abc");
	b->agency = xstrdup("BHXH_DN");
	b->rtype = xstrdup("participant");
	b->nfields = 5;
	b->fields = strs(5, vn_fields);
	b->nrows = NROWS;
	b->rows = xcalloc(NROWS, sizeof(msg_row_t));
	for (i = 0; i < NROWS; i++) {
		char cell[64];

		b->rows[i].line = i + 2;
		b->rows[i].nvalues = 5;
		b->rows[i].values = xcalloc(5, sizeof(char *));
		for (k = 0; k < 5; k++) {
			snprintf(cell, sizeof(cell), "Hàng %u cột %u — Đắk Lắk", i, k);
			b->rows[i].values[k] = xstrdup(cell);
		}
	}
	/* str8, str16 and str32 cells */
	big = xcalloc(70001, 1);
	memset(big, 'x', 70000);
	free(b->rows[0].values[0]);
	b->rows[0].values[0] = big;
	big = xcalloc(301, 1);
	memset(big, 'y', 300);
	free(b->rows[1].values[1]);
	b->rows[1].values[1] = big;
	big = xcalloc(201, 1);
	memset(big, 'z', 200);
	free(b->rows[2].values[2]);
	b->rows[2].values[2] = big;
	roundtrip(&m);
	msg_free(&m);
}

/* s_free_strs_of - free a list of strings and empty it. */
static void s_free_strs_of(uint32_t *n, char ***strs)
{
	for (uint32_t i = 0; i < *n; i++)
		free((*strs)[i]);
	free(*strs);
	*strs = NULL;
	*n = 0;
}

/* test_file_end_roundtrip - realistic values, then edge values. */
static void test_file_end_roundtrip(void **state)
{
	msg_t m;

	make_file_end(&m);
	roundtrip(&m);
	m.u.end.file_no = 1;
	m.u.end.received_at = -1;
	roundtrip(&m);
	m.u.end.file_no = UINT64_MAX;
	m.u.end.received_at = INT64_MIN;
	m.u.end.rows_read = UINT64_MAX;
	m.u.end.nbatches = 0;
	roundtrip(&m);
	m.u.end.file_no = 0;
	m.u.end.received_at = INT64_MAX;
	free(m.u.end.name);
	m.u.end.name = xstrdup("");
	free(m.u.end.unknown_columns[0]);
	free(m.u.end.unknown_columns[1]);
	free(m.u.end.unknown_columns[2]);
	free(m.u.end.unknown_columns);
	m.u.end.unknown_columns = NULL;
	m.u.end.nunknown = 0;
	roundtrip(&m);
	/* a dry run: the 13th element, with or without headings */
	m.u.end.dry_run = 1;
	roundtrip(&m);
	s_free_strs_of(&m.u.end.nheadings, &m.u.end.headings);
	roundtrip(&m);
	m.u.end.dry_run = 2; /* no such flag */
	{
		char *buf = NULL;
		size_t len = 0;

		assert_int_equal(msg_encode(&m, &buf, &len), -1);
		free(buf);
	}
	m.u.end.dry_run = 0;
	msg_free(&m);
}

/* test_file_end_layout - a hand-built file_end decodes field by field, with
 * file_no second in the body, in whichever integer form it arrives. */
static void test_file_end_layout(void **state)
{
	static const uint64_t nos[] = { 0, 1, 127, 128, 65536, 4294967296ULL, UINT64_MAX };
	struct wb b = { 0 };
	msg_t m;
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(nos) / sizeof(nos[0]); i++) {
		wb_head(&b, MSG_T_FILE_END, 9, 10);
		wb_str(&b, "abc");          /* file_id */
		wb_uint(&b, nos[i]);        /* file_no */
		wb_str(&b, "BHXH_HN");      /* agency */
		wb_str(&b, "participant");  /* rtype */
		wb_str(&b, "t5.csv");       /* name */
		wb_uint(&b, 1717200000);    /* received_at */
		wb_uint(&b, 3);             /* nbatches */
		wb_uint(&b, 250);           /* rows_read */
		wb_arr(&b, 1);              /* unknown_columns */
		wb_str(&b, "x");
		wb_byte(&b, 0xc0);          /* abort_code: nil */
		if (msg_decode((const char *)b.p, b.n, &m, err, sizeof(err)) != 0)
			fail_msg("decode: %s", err);
		assert_int_equal(m.type, MSG_T_FILE_END);
		assert_string_equal(m.u.end.file_id, "abc");
		assert_true(m.u.end.file_no == nos[i]);
		assert_string_equal(m.u.end.agency, "BHXH_HN");
		assert_string_equal(m.u.end.rtype, "participant");
		assert_string_equal(m.u.end.name, "t5.csv");
		assert_true(m.u.end.received_at == 1717200000);
		assert_int_equal(m.u.end.nbatches, 3);
		assert_true(m.u.end.rows_read == 250);
		assert_int_equal(m.u.end.nunknown, 1);
		assert_string_equal(m.u.end.unknown_columns[0], "x");
		assert_null(m.u.end.encoding); /* the 10-element form of an older sender */
		msg_free(&m);
		wb_free(&b);
	}

	/* the 11-element form names the encoding the file was read in */
	wb_head(&b, MSG_T_FILE_END, 9, 11);
	wb_str(&b, "abc");
	wb_uint(&b, 1);
	wb_str(&b, "a");
	wb_str(&b, "r");
	wb_str(&b, "n");
	wb_uint(&b, 0);
	wb_uint(&b, 0);
	wb_uint(&b, 0);
	wb_arr(&b, 0);
	wb_byte(&b, 0xc0);
	wb_str(&b, "TCVN3");
	if (msg_decode((const char *)b.p, b.n, &m, err, sizeof(err)) != 0)
		fail_msg("decode: %s", err);
	assert_string_equal(m.u.end.encoding, "TCVN3");
	msg_free(&m);
	wb_free(&b);
	/* a 12th element that is not a list of headings is refused */
	wb_head(&b, MSG_T_FILE_END, 9, 12);
	wb_str(&b, "abc");
	wb_uint(&b, 1);
	wb_str(&b, "a");
	wb_str(&b, "r");
	wb_str(&b, "n");
	wb_uint(&b, 0);
	wb_uint(&b, 0);
	wb_uint(&b, 0);
	wb_arr(&b, 0);
	wb_byte(&b, 0xc0);
	wb_str(&b, "TCVN3");
	wb_str(&b, "x");
	assert_int_equal(msg_decode((const char *)b.p, b.n, &m, err, sizeof(err)), -1);
	wb_free(&b);

	/* a non-negative signed form is a uint too */
	wb_head(&b, MSG_T_FILE_END, 9, 10);
	wb_str(&b, "abc");
	wb_byte(&b, 0xd3);
	wb_be(&b, INT64_MAX, 8);        /* int64 max */
	wb_str(&b, "a");
	wb_str(&b, "r");
	wb_str(&b, "n");
	wb_uint(&b, 0);
	wb_uint(&b, 0);
	wb_uint(&b, 0);
	wb_arr(&b, 0);
	wb_str(&b, "E_FILE_CHANGED");
	if (msg_decode((const char *)b.p, b.n, &m, err, sizeof(err)) != 0)
		fail_msg("decode: %s", err);
	assert_true(m.u.end.file_no == (uint64_t)INT64_MAX);
	assert_string_equal(m.u.end.abort_code, "E_FILE_CHANGED");
	msg_free(&m);
	wb_free(&b);
}

/* test_ack_roundtrip - boundary ids, then an empty ack. */
static void test_ack_roundtrip(void **state)
{
	msg_t m;

	make_ack(&m);
	roundtrip(&m);
	msg_free(&m);

	m.type = MSG_T_ACK;
	m.id = 1;
	roundtrip(&m);
}

/* test_events_roundtrip - text, empty strings, NaN, -0.0, huge values. */
static void test_events_roundtrip(void **state)
{
	msg_t m;

	make_events(&m);
	roundtrip(&m);
	msg_free(&m);

	m.type = MSG_T_EVENTS;
	roundtrip(&m);
}

/* test_events_int_numbers - value/threshold may arrive as ints or float32. */
static void test_events_int_numbers(void **state)
{
	struct wb b = { 0 };
	msg_t m;
	char err[128];
	int k;

	wb_head(&b, MSG_T_EVENTS, 5, 2);
	wb_uint(&b, 1); /* seq */
	wb_arr(&b, 3);
	for (k = 0; k < 3; k++) {
		wb_arr(&b, 9);
		wb_str(&b, "arrears");
		wb_str(&b, "0312345678");
		wb_str(&b, "");
		wb_str(&b, "2024-05");
		wb_str(&b, "major");
		wb_str(&b, "new");
		wb_str(&b, "");
		if (k == 0) {
			wb_uint(&b, 7);                     /* fixint */
			wb_byte(&b, 0xd1);                  /* int16 -300 */
			wb_be(&b, (uint16_t)-300, 2);
		} else if (k == 1) {
			wb_byte(&b, 0xca);                  /* float32 1.5 */
			wb_be(&b, 0x3fc00000u, 4);
			wb_byte(&b, 0xd3);                  /* int64 min */
			wb_be(&b, 0x8000000000000000ULL, 8);
		} else {
			wb_uint(&b, UINT64_MAX);
			wb_byte(&b, 0xff);                  /* negative fixint -1 */
		}
	}
	if (msg_decode((const char *)b.p, b.n, &m, err, sizeof(err)) != 0)
		fail_msg("decode: %s", err);
	assert_true(m.u.events.events[0].value == 7.0);
	assert_true(m.u.events.events[0].threshold == -300.0);
	assert_true(m.u.events.events[1].value == 1.5);
	assert_true(m.u.events.events[1].threshold == (double)INT64_MIN);
	assert_true(m.u.events.events[2].value == (double)UINT64_MAX);
	assert_true(m.u.events.events[2].threshold == -1.0);
	msg_free(&m);
	wb_free(&b);
}

/* test_control_and_done_roundtrip - the file outcome and control messages. */
static void test_control_and_done_roundtrip(void **state)
{
	static const char *const args[] = { "17", "--reason", "tệp lỗi" };
	msg_t m;

	memset(&m, 0, sizeof(m));
	m.type = MSG_T_FILE_DONE;
	m.id = 3;
	m.u.done.file_id = xstrdup("e3b0c442");
	m.u.done.file_no = 12;
	m.u.done.agency = xstrdup("bhxh");
	m.u.done.status = xstrdup("quarantined");
	m.u.done.code = xstrdup("E_QUARANTINE_APPLY");
	roundtrip(&m);
	free(m.u.done.code);
	m.u.done.code = NULL;
	roundtrip(&m);
	msg_free(&m);

	m.type = MSG_T_CTL_REQ;
	m.u.req.cmd = xstrdup("quarantine-retry");
	m.u.req.nargs = 3;
	m.u.req.args = strs(3, args);
	roundtrip(&m);
	msg_free(&m);
	m.type = MSG_T_CTL_REQ;
	m.u.req.cmd = xstrdup("status");
	roundtrip(&m);
	msg_free(&m);

	m.type = MSG_T_CTL_REP;
	m.u.rep.code = -2;
	m.u.rep.body = xstrdup("{\"state\": \"ready\"}");
	roundtrip(&m);
	msg_free(&m);
}

/* test_done_receipt - a file outcome carrying its receipt (name, stamp,
 * JSON and text) round-trips; the older 5-element form is still read, with
 * an empty name, stamp 0 and no receipt; other arities are refused. */
static void test_done_receipt(void **state)
{
	struct wb b = { 0 };
	msg_t m, got;
	char err[128];

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = MSG_T_FILE_DONE;
	m.id = 9;
	m.u.done.file_id = xstrdup("e3b0c442");
	m.u.done.file_no = 42;
	m.u.done.agency = xstrdup("bhxh");
	m.u.done.status = xstrdup("applied");
	m.u.done.name = xstrdup("participant_2017-03 (bản 2).csv");
	m.u.done.stamp = 1490000000123456LL;
	m.u.done.receipt_json = xstrdup("{\"status\": \"applied\", \"errors\": []}\n");
	m.u.done.receipt_text = xstrdup("Biên nhận / Receipt\n");
	roundtrip(&m);
	/* with the CSV of rejected rows */
	m.u.done.receipt_csv = xstrdup("\xEF\xBB\xBF" "dòng / line,cột\r\n2,\"Kỳ\"\r\n");
	roundtrip(&m);
	free(m.u.done.receipt_csv);
	m.u.done.receipt_csv = NULL;
	/* a rejected file's outcome without a receipt (an unknown agency) */
	free(m.u.done.receipt_json);
	free(m.u.done.receipt_text);
	m.u.done.receipt_json = NULL;
	m.u.done.receipt_text = NULL;
	m.u.done.code = xstrdup("E_FILE_TYPE_NOT_ALLOWED");
	m.u.done.stamp = -1;
	roundtrip(&m);
	msg_free(&m);

	/* the form of an older aggregate */
	wb_head(&b, MSG_T_FILE_DONE, 4, 5);
	wb_str(&b, "abcd");
	wb_uint(&b, 7);
	wb_str(&b, "thue");
	wb_str(&b, "rejected");
	wb_str(&b, "E_FILE_CHANGED");
	if (msg_decode((const char *)b.p, b.n, &got, err, sizeof(err)) != 0)
		fail_msg("decode: %s", err);
	assert_int_equal(got.type, MSG_T_FILE_DONE);
	assert_string_equal(got.u.done.file_id, "abcd");
	assert_true(got.u.done.file_no == 7);
	assert_string_equal(got.u.done.agency, "thue");
	assert_string_equal(got.u.done.status, "rejected");
	assert_string_equal(got.u.done.code, "E_FILE_CHANGED");
	assert_string_equal(got.u.done.name, "");
	assert_true(got.u.done.stamp == 0);
	assert_null(got.u.done.receipt_json);
	assert_null(got.u.done.receipt_text);
	msg_free(&got);
	wb_free(&b);

	/* neither form */
	wb_head(&b, MSG_T_FILE_DONE, 4, 7);
	expect_fail_pad(&b, "file_done: expected array of 5, 9 or 10, got 7");

	/* a receipt that is not a string */
	wb_head(&b, MSG_T_FILE_DONE, 4, 9);
	wb_str(&b, "abcd");
	wb_uint(&b, 7);
	wb_str(&b, "thue");
	wb_str(&b, "applied");
	wb_byte(&b, 0xc0);
	wb_str(&b, "f.csv");
	wb_uint(&b, 1);
	wb_uint(&b, 3);
	expect_fail_pad(&b, "file_done.receipt_json: expected str or nil");
}

/* test_reject_nonfinite - NaN and infinities are not numbers a finding can
 * have: refused in either float form. */
static void test_reject_nonfinite(void **state)
{
	static const uint64_t f64[] = { 0x7ff8000000000000ULL, 0x7ff0000000000000ULL, 0xfff0000000000000ULL };
	static const uint32_t f32[] = { 0x7fc00000u, 0x7f800000u, 0xff800000u };
	struct wb b = { 0 };
	int k, i;

	for (k = 0; k < 6; k++) {
		wb_head(&b, MSG_T_EVENTS, 1, 2);
		wb_uint(&b, 1);
		wb_arr(&b, 1);
		wb_arr(&b, 9);
		for (i = 0; i < 7; i++)
			wb_str(&b, "s");
		wb_uint(&b, 1);
		if (k < 3) {
			wb_byte(&b, 0xcb);
			wb_be(&b, f64[k], 8);
		} else {
			wb_byte(&b, 0xca);
			wb_be(&b, f32[k - 3], 4);
		}
		expect_fail(&b, "events[0].threshold: not a finite number");
	}
}

/* test_uint_in_any_encoding - a non-negative value is a uint whatever its
 * encoding (int8..int64, oversized uint forms); a negative one is not. */
static void test_uint_in_any_encoding(void **state)
{
	struct wb b = { 0 };
	msg_t m;
	char err[128];

	wb_head(&b, MSG_T_ACK, 1, 1);
	wb_arr(&b, 4);
	wb_byte(&b, 0xd0);
	wb_byte(&b, 5);                 /* int8 5 */
	wb_byte(&b, 0xd3);
	wb_be(&b, INT64_MAX, 8);        /* int64 max */
	wb_byte(&b, 0xcf);
	wb_be(&b, 3, 8);                /* uint64 3 */
	wb_byte(&b, 0xcd);
	wb_be(&b, 0, 2);                /* uint16 0 */
	if (msg_decode((const char *)b.p, b.n, &m, err, sizeof(err)) != 0)
		fail_msg("decode: %s", err);
	assert_int_equal(m.u.ack.nids, 4);
	assert_true(m.u.ack.ids[0] == 5);
	assert_true(m.u.ack.ids[1] == (uint64_t)INT64_MAX);
	assert_true(m.u.ack.ids[2] == 3);
	assert_true(m.u.ack.ids[3] == 0);
	msg_free(&m);
	wb_free(&b);

	wb_head(&b, MSG_T_ACK, 1, 1);
	wb_arr(&b, 2);
	wb_uint(&b, 1);
	wb_byte(&b, 0xd0);
	wb_byte(&b, 0xfb);              /* int8 -5 */
	expect_fail(&b, "ack.ids[1]: expected uint");
}

/* test_reject_trailing - one byte after a valid message is an error. */
static void test_reject_trailing(void **state)
{
	msg_t m;
	char *buf, *buf2;
	size_t len;

	make_ack(&m);
	encode(&m, &buf, &len);
	msg_free(&m);
	buf2 = realloc(buf, len + 1);
	assert_non_null(buf2);
	buf2[len] = (char)0xc0;
	expect_fail_buf(buf2, len + 1, "msg: 1 trailing bytes");
	free(buf2);
}

/* check_prefixes - every proper prefix of m's encoding fails to decode. */
static void check_prefixes(msg_t *m)
{
	char *buf;
	size_t len, n;
	char *copy;

	encode(m, &buf, &len);
	msg_free(m);
	for (n = 0; n < len; n++) {
		/* a copy of exactly n bytes, so ASan sees any read past it */
		copy = malloc(n == 0 ? 1 : n);
		assert_non_null(copy);
		memcpy(copy, buf, n);
		expect_fail_buf(copy, n, NULL);
		free(copy);
	}
	free(buf);
}

/* test_reject_truncated - every prefix of every message type fails cleanly. */
static void test_reject_truncated(void **state)
{
	msg_t m;

	make_batch(&m);
	check_prefixes(&m);
	make_file_end(&m);
	check_prefixes(&m);
	make_ack(&m);
	check_prefixes(&m);
	make_events(&m);
	check_prefixes(&m);
	expect_fail_buf("\x94", 1, "msg: array of 4 elements, 0 bytes left");
	expect_fail_buf("\x94\xcf\x00\x00\x00", 5, "msg.version: truncated");
}

/* test_reject_version - any version but MSG_VERSION is refused. */
static void test_reject_version(void **state)
{
	static const uint64_t bad[] = { 0, 1, 3, 255, UINT64_MAX };
	struct wb b = { 0 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wb_arr(&b, 4);
		wb_uint(&b, bad[i]);
		wb_uint(&b, MSG_T_ACK);
		wb_uint(&b, 1);
		wb_arr(&b, 1);
		wb_arr(&b, 0);
		expect_fail(&b, "msg.version: unsupported version");
	}
	wb_arr(&b, 4);
	wb_str(&b, "1");
	expect_fail_pad(&b, "msg.version: expected uint");
}

/* test_reject_type - unknown message types are errors, never ignored. */
static void test_reject_type(void **state)
{
	static const uint64_t bad[] = { 0, 9, 255, 0x100000001ULL };
	struct wb b = { 0 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wb_head(&b, bad[i], 1, 1);
		wb_arr(&b, 0);
		expect_fail(&b, "msg.type: unknown type");
	}
}

/* test_reject_huge_array - tiny messages declaring 2^32-1 elements fail at
 * once. Under ASan an attempt to allocate from the count would abort. */
static void test_reject_huge_array(void **state)
{
	/* [1, ack, 7, [<array32 of 2^32-1>]] : 14 bytes */
	static const char ack[] =
	    "\x94\x02\x03\x07\x91\xdd\xff\xff\xff\xff\x01\x02\x03\x04";
	/* the envelope itself */
	static const char env[] = "\xdd\xff\xff\xff\xff\x01\x03\x07";
	struct wb b = { 0 };
	clock_t t0 = clock();

	expect_fail_buf(ack, sizeof(ack) - 1, "ack.ids: array of 4294967295 elements, 4 bytes left");
	expect_fail_buf(env, sizeof(env) - 1, "msg: array of 4294967295 elements");

	/* rows need 7 bytes each: 10 declared rows in 20 bytes is a lie */
	wb_head(&b, MSG_T_BATCH, 1, 8);
	wb_str(&b, "f");
	wb_uint(&b, 1); /* file_no */
	wb_uint(&b, 0);
	wb_uint(&b, 0);
	wb_str(&b, "a");
	wb_str(&b, "r");
	wb_arr(&b, 0);
	wb_arr(&b, 10);
	wb_put(&b, "\x96\x01\x90\xc0\xc0\xc0\xc0\x96\x01\x90\xc0\xc0\xc0\xc0\x96\x01\x90\xc0\xc0\xc0", 20);
	expect_fail(&b, "batch.rows: array of 10 elements, 20 bytes left");

	/* events: array16 of 65535 */
	wb_head(&b, MSG_T_EVENTS, 1, 2);
	wb_uint(&b, 1); /* seq */
	wb_byte(&b, 0xdc);
	wb_be(&b, 0xffff, 2);
	wb_put(&b, "\x99\xa0", 2);
	expect_fail(&b, "events.events: array of 65535 elements");

	/* a row's values */
	wb_head(&b, MSG_T_BATCH, 1, 8);
	wb_str(&b, "f");
	wb_uint(&b, 1); /* file_no */
	wb_uint(&b, 0);
	wb_uint(&b, 0);
	wb_str(&b, "a");
	wb_str(&b, "r");
	wb_arr(&b, 0);
	wb_arr(&b, 1);
	wb_arr(&b, 6);
	wb_uint(&b, 2);
	wb_byte(&b, 0xdd);
	wb_be(&b, 0xffffffffu, 4);
	wb_put(&b, "\xc0\xc0\xc0\xc0", 4);
	expect_fail(&b, "batch.rows[0].values: array of 4294967295 elements");

	assert_true(clock() - t0 < CLOCKS_PER_SEC);
}

/* test_reject_too_many - the element cap holds even when the bytes are there;
 * exactly the cap is accepted. */
static void test_reject_too_many(void **state)
{
	struct wb b = { 0 };
	msg_t m;
	char err[128];
	uint32_t i;

	wb_head(&b, MSG_T_ACK, 1, 1);
	wb_arr(&b, 1000001);
	for (i = 0; i < 1000001; i++)
		wb_byte(&b, 0x01);
	expect_fail(&b, "ack.ids: 1000001 elements, limit 1000000");

	wb_head(&b, MSG_T_ACK, 1, 1);
	wb_arr(&b, 1000000);
	for (i = 0; i < 1000000; i++)
		wb_byte(&b, 0x01);
	if (msg_decode((const char *)b.p, b.n, &m, err, sizeof(err)) != 0)
		fail_msg("decode: %s", err);
	assert_int_equal(m.u.ack.nids, 1000000);
	msg_free(&m);
	wb_free(&b);
}

/* test_reject_too_large - more than MSG_MAX_SIZE bytes is refused unread. */
static void test_reject_too_large(void **state)
{
	size_t len = (size_t)MSG_MAX_SIZE + 1;
	char *buf = calloc(len, 1);

	assert_non_null(buf);
	expect_fail_buf(buf, len, "limit");
	free(buf);
}

/* test_reject_string_beyond - a string longer than the bytes left. */
static void test_reject_string_beyond(void **state)
{
	struct wb b = { 0 };

	/* 10 bytes after the body header: just enough for a body of 10 */
	wb_head(&b, MSG_T_FILE_END, 1, 10);
	wb_byte(&b, 0xdb);
	wb_be(&b, 0xffffffffu, 4);
	wb_put(&b, "abcde", 5);
	expect_fail(&b, "file_end.file_id: string of 4294967295 bytes, 5 left");

	wb_head(&b, MSG_T_FILE_END, 1, 10);
	wb_byte(&b, 0xbf);
	wb_put(&b, "0123456789", 10);
	expect_fail(&b, "file_end.file_id: string of 31 bytes, 10 left");

	/* a str16 header cut after its first length byte */
	wb_head(&b, MSG_T_FILE_END, 1, 10);
	wb_str(&b, "ss"); /* file_id */
	wb_uint(&b, 7);   /* file_no */
	wb_str(&b, "s");  /* agency */
	wb_str(&b, "s");  /* rtype */
	wb_byte(&b, 0xda);
	wb_byte(&b, 0x01);
	expect_fail(&b, "file_end.name: truncated");
}

/* wb_batch_to_rows - a valid batch up to the rows array header. */
static void wb_batch_to_rows(struct wb *b, uint32_t nfields, uint32_t nrows)
{
	uint32_t i;

	wb_head(b, MSG_T_BATCH, 1, 8);
	wb_str(b, "f");
	wb_uint(b, 1); /* file_no */
	wb_uint(b, 3);
	wb_uint(b, 0);
	wb_str(b, "BHXH_HCM");
	wb_str(b, "participant");
	wb_arr(b, nfields);
	for (i = 0; i < nfields; i++)
		wb_str(b, "c");
	wb_arr(b, nrows);
}

/* wb_good_row - a good row of n values. */
static void wb_good_row(struct wb *b, uint32_t line, uint32_t n)
{
	uint32_t i;

	wb_arr(b, 6);
	wb_uint(b, line);
	wb_arr(b, n);
	for (i = 0; i < n; i++)
		wb_str(b, "giá trị");
	wb_byte(b, 0xc0);
	wb_byte(b, 0xc0);
	wb_byte(b, 0xc0);
	wb_byte(b, 0xc0);
}

/* test_reject_wrong_types - wrong shapes, named by where they are. */
static void test_reject_wrong_types(void **state)
{
	struct wb b = { 0 };
	int k;

	wb_uint(&b, 1);
	expect_fail_pad(&b, "msg: expected array");

	wb_arr(&b, 3);
	wb_uint(&b, 1);
	wb_uint(&b, 3);
	wb_uint(&b, 1);
	expect_fail_pad(&b, "msg: expected array of 4, got 3");

	wb_arr(&b, 4);
	wb_uint(&b, MSG_VERSION);
	wb_uint(&b, 3);
	wb_byte(&b, 0xff);
	expect_fail_pad(&b, "msg.id: expected uint");

	wb_arr(&b, 4);
	wb_uint(&b, MSG_VERSION);
	wb_uint(&b, 3);
	wb_uint(&b, 1);
	wb_byte(&b, 0x81); /* fixmap */
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	expect_fail_pad(&b, "ack: expected array");

	wb_head(&b, MSG_T_FILE_END, 1, 9);
	expect_fail_pad(&b, "file_end: expected array of 10 to 13, got 9");

	wb_head(&b, MSG_T_FILE_END, 1, 14);
	expect_fail_pad(&b, "file_end: expected array of 10 to 13, got 14");

	wb_head(&b, MSG_T_BATCH, 1, 8);
	wb_byte(&b, 0xc0);
	expect_fail_pad(&b, "batch.file_id: expected str");

	wb_head(&b, MSG_T_BATCH, 1, 8);
	wb_str(&b, "f");
	wb_uint(&b, 1); /* file_no */
	wb_str(&b, "3");
	expect_fail_pad(&b, "batch.seq: expected uint");

	wb_head(&b, MSG_T_BATCH, 1, 8);
	wb_str(&b, "f");
	wb_uint(&b, 1); /* file_no */
	wb_uint(&b, 0x100000000ULL);
	expect_fail_pad(&b, "batch.seq: 4294967296 out of range");

	wb_head(&b, MSG_T_BATCH, 1, 8);
	wb_str(&b, "f");
	wb_uint(&b, 1); /* file_no */
	wb_uint(&b, 0);
	wb_uint(&b, 2);
	expect_fail_pad(&b, "batch.validated: 2 out of range");

	wb_head(&b, MSG_T_BATCH, 1, 8);
	wb_str(&b, "f");
	wb_uint(&b, 1); /* file_no */
	wb_uint(&b, 0);
	wb_byte(&b, 0xc3); /* true is not a uint */
	expect_fail_pad(&b, "batch.validated: expected uint");

	wb_head(&b, MSG_T_BATCH, 1, 8);
	wb_str(&b, "f");
	wb_uint(&b, 1); /* file_no */
	wb_uint(&b, 0);
	wb_uint(&b, 0);
	wb_str(&b, "a");
	wb_str(&b, "r");
	wb_arr(&b, 2);
	wb_str(&b, "x");
	wb_byte(&b, 0xc4); /* bin8 */
	wb_byte(&b, 1);
	wb_byte(&b, 'y');
	expect_fail_pad(&b, "batch.fields[1]: expected str");

	/* rows[0] is fine, rows[1].line is a string */
	wb_batch_to_rows(&b, 2, 2);
	wb_good_row(&b, 2, 2);
	wb_arr(&b, 6);
	wb_str(&b, "3");
	expect_fail_pad(&b, "batch.rows[1].line: expected uint");

	wb_batch_to_rows(&b, 2, 1);
	wb_arr(&b, 5);
	expect_fail_pad(&b, "batch.rows[0]: expected array of 6 or 7, got 5");

	/* more errors on a good row */
	wb_batch_to_rows(&b, 2, 1);
	wb_arr(&b, 7);
	wb_uint(&b, 2);
	wb_arr(&b, 2);
	wb_str(&b, "a");
	wb_str(&b, "b");
	for (int z = 0; z < 4; z++)
		wb_byte(&b, 0xc0);
	wb_arr(&b, 0);
	expect_fail_pad(&b, "batch.rows[0].more: a good row has no errors");

	/* a rejected row with more errors than allowed, or none */
	for (uint32_t nmore = 0; nmore <= MSG_ROW_MAX_MORE + 1; nmore += MSG_ROW_MAX_MORE + 1) {
		wb_batch_to_rows(&b, 2, 1);
		wb_arr(&b, 7);
		wb_uint(&b, 2);
		wb_arr(&b, 0);
		wb_str(&b, "E_X");
		for (int z = 0; z < 3; z++)
			wb_byte(&b, 0xc0);
		wb_arr(&b, nmore);
		for (uint32_t z = 0; z < nmore; z++) {
			wb_arr(&b, 4);
			wb_str(&b, "E_Y");
			wb_byte(&b, 0xc0);
			wb_str(&b, "v");
			wb_str(&b, "e");
		}
		expect_fail_pad(&b, nmore == 0 ? "batch.rows[0].more: 0 more errors (1 to 15)"
		    : "batch.rows[0].more: 16 more errors (1 to 15)");
	}

	/* headings that are not pairs */
	wb_head(&b, MSG_T_FILE_END, 1, 12);
	wb_str(&b, "f");
	wb_uint(&b, 1);
	wb_str(&b, "a");
	wb_str(&b, "t");
	wb_str(&b, "n");
	wb_uint(&b, 0);
	wb_uint(&b, 0);
	wb_uint(&b, 0);
	wb_arr(&b, 0);
	wb_byte(&b, 0xc0);
	wb_byte(&b, 0xc0);
	wb_arr(&b, 1);
	wb_str(&b, "tax_code");
	expect_fail_pad(&b, "file_end.headings: 1 strings are not pairs");

	wb_batch_to_rows(&b, 2, 1);
	wb_arr(&b, 6);
	wb_uint(&b, 2);
	wb_arr(&b, 2);
	wb_str(&b, "a");
	wb_uint(&b, 5);
	expect_fail_pad(&b, "batch.rows[0].values[1]: expected str");

	wb_batch_to_rows(&b, 2, 1);
	wb_arr(&b, 6);
	wb_uint(&b, 2);
	wb_arr(&b, 0);
	wb_uint(&b, 1);
	expect_fail_pad(&b, "batch.rows[0].err_code: expected str or nil");

	/* a good row must have one value per field */
	wb_batch_to_rows(&b, 2, 1);
	wb_good_row(&b, 2, 1);
	expect_fail_pad(&b, "batch.rows[0].values: good row has 1 values for 2 fields");

	/* file_no must be a non-negative integer */
	wb_head(&b, MSG_T_FILE_END, 1, 10);
	wb_str(&b, "s");
	wb_str(&b, "12");
	expect_fail_pad(&b, "file_end.file_no: expected uint");

	wb_head(&b, MSG_T_FILE_END, 1, 10);
	wb_str(&b, "s");
	wb_byte(&b, 0xff); /* negative fixint -1 */
	expect_fail_pad(&b, "file_end.file_no: expected uint");

	wb_head(&b, MSG_T_FILE_END, 1, 10);
	wb_str(&b, "s");
	wb_byte(&b, 0xc0); /* nil */
	expect_fail_pad(&b, "file_end.file_no: expected uint");

	/* the old 8-element layout padded out to 9: agency lands on file_no */
	wb_head(&b, MSG_T_FILE_END, 1, 10);
	wb_str(&b, "f");
	wb_str(&b, "BHXH_HN");
	wb_str(&b, "participant");
	wb_str(&b, "t.csv");
	wb_uint(&b, 1717200000);
	wb_uint(&b, 1);
	wb_uint(&b, 10);
	wb_arr(&b, 0);
	wb_byte(&b, 0xc0);
	wb_byte(&b, 0xc0);
	expect_fail(&b, "file_end.file_no: expected uint");

	wb_head(&b, MSG_T_FILE_END, 1, 10);
	wb_str(&b, "s");
	wb_uint(&b, 1);
	for (k = 0; k < 3; k++)
		wb_str(&b, "s");
	wb_str(&b, "1717200000");
	expect_fail_pad(&b, "file_end.received_at: expected int");

	wb_head(&b, MSG_T_FILE_END, 1, 10);
	wb_str(&b, "s");
	wb_uint(&b, 1);
	for (k = 0; k < 3; k++)
		wb_str(&b, "s");
	wb_uint(&b, (uint64_t)INT64_MAX + 1);
	expect_fail_pad(&b, "file_end.received_at: 9223372036854775808 out of range");

	wb_head(&b, MSG_T_FILE_END, 1, 10);
	wb_str(&b, "s");
	wb_uint(&b, 1);
	for (k = 0; k < 3; k++)
		wb_str(&b, "s");
	wb_uint(&b, 0);
	wb_uint(&b, 0x100000000ULL);
	expect_fail_pad(&b, "file_end.nbatches: 4294967296 out of range");

	wb_head(&b, MSG_T_FILE_END, 1, 10);
	wb_str(&b, "s");
	wb_uint(&b, 1);
	for (k = 0; k < 3; k++)
		wb_str(&b, "s");
	wb_uint(&b, 0);
	wb_uint(&b, 0);
	wb_uint(&b, 0);
	wb_arr(&b, 1);
	wb_uint(&b, 5);
	expect_fail_pad(&b, "file_end.unknown_columns[0]: expected str");

	wb_head(&b, MSG_T_EVENTS, 1, 2);
	wb_uint(&b, 1); /* seq */
	wb_arr(&b, 2);
	wb_arr(&b, 9);
	for (k = 0; k < 7; k++)
		wb_str(&b, "s");
	wb_uint(&b, 1);
	wb_uint(&b, 2);
	wb_arr(&b, 9);
	for (k = 0; k < 7; k++)
		wb_str(&b, "s");
	wb_str(&b, "1.5");
	wb_uint(&b, 2);
	expect_fail_pad(&b, "events[1].value: expected number");

	wb_head(&b, MSG_T_EVENTS, 1, 2);
	wb_uint(&b, 1); /* seq */
	wb_arr(&b, 1);
	wb_arr(&b, 9);
	for (k = 0; k < 6; k++)
		wb_str(&b, "s");
	wb_byte(&b, 0xc0);
	expect_fail_pad(&b, "events[0].name: expected str");

	wb_head(&b, MSG_T_ACK, 1, 1);
	wb_arr(&b, 1);
	wb_byte(&b, 0xc1); /* never used */
	expect_fail_pad(&b, "ack.ids[0]: expected uint");

	wb_head(&b, MSG_T_ACK, 1, 1);
	wb_arr(&b, 1);
	wb_byte(&b, 0xd4); /* fixext 1 */
	wb_byte(&b, 1);
	wb_byte(&b, 1);
	expect_fail_pad(&b, "ack.ids[0]: expected uint");
}

/* test_reject_embedded_nul - a string holding a NUL byte would be silently
 * cut short in C, so it is refused. */
static void test_reject_embedded_nul(void **state)
{
	struct wb b = { 0 };

	wb_head(&b, MSG_T_FILE_END, 1, 10);
	wb_str(&b, "s");  /* file_id */
	wb_uint(&b, 1);   /* file_no */
	wb_str(&b, "s");  /* agency */
	wb_str(&b, "s");  /* rtype */
	wb_strn(&b, "bao_cao.csv\0.exe", 16);
	expect_fail(&b, "file_end.name: string contains a NUL byte");

	wb_batch_to_rows(&b, 1, 1);
	wb_arr(&b, 6);
	wb_uint(&b, 2);
	wb_arr(&b, 1);
	wb_strn(&b, "\0", 1);
	expect_fail_pad(&b, "batch.rows[0].values[0]: string contains a NUL byte");
}

/* test_failure_frees_everything - a bad last row after many good ones: all
 * of it is freed (ASan's leak check) and m is zeroed. */
static void test_failure_frees_everything(void **state)
{
	struct wb b = { 0 };
	uint32_t i;

	wb_batch_to_rows(&b, 3, 50);
	for (i = 0; i < 49; i++)
		wb_good_row(&b, i + 2, 3);
	wb_arr(&b, 6);
	wb_uint(&b, 51);
	wb_arr(&b, 1);
	wb_str(&b, "Nguyễn");
	wb_str(&b, "E_X");
	wb_str(&b, "ho_ten");
	wb_str(&b, "Lỗi");
	wb_uint(&b, 9);
	expect_fail(&b, "batch.rows[49].err_en: expected str or nil");

	/* and when the failure is the trailing byte after a complete message */
	wb_batch_to_rows(&b, 3, 2);
	wb_good_row(&b, 2, 3);
	wb_good_row(&b, 3, 3);
	wb_byte(&b, 0);
	expect_fail(&b, "msg: 1 trailing bytes");
}

/* test_decode_args - NULL and empty inputs, missing or tiny error buffers. */
static void test_decode_args(void **state)
{
	msg_t m;
	char err[8];
	char *buf;
	size_t len;

	memset(&m, 0, sizeof(m));
	assert_int_equal(msg_decode(NULL, 0, &m, err, sizeof(err)), -1);
	assert_zeroed(&m);
	assert_int_equal(msg_decode("", 0, &m, NULL, 0), -1);
	assert_int_equal(msg_decode("\x94", 1, NULL, err, sizeof(err)), -1);

	/* a reason longer than the buffer is cut, NUL-terminated */
	assert_int_equal(msg_decode("\x01", 1, &m, err, sizeof(err)), -1);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(msg_decode("\x01", 1, &m, err, 1), -1);
	assert_string_equal(err, "");

	/* a good message decodes without an error buffer */
	make_ack(&m);
	encode(&m, &buf, &len);
	msg_free(&m);
	assert_int_equal(msg_decode(buf, len, &m, NULL, 0), 0);
	msg_free(&m);
	free(buf);
}

/* expect_encode_fail - m must not encode; *buf stays NULL. m is freed. */
static void expect_encode_fail(msg_t *m)
{
	char *buf = (char *)1;
	size_t len = 1;

	assert_int_equal(msg_encode(m, &buf, &len), -1);
	assert_null(buf);
	assert_int_equal(len, 0);
	msg_free(m);
}

/* test_encode_rejects - NULL required strings, bad counts, unknown types. */
static void test_encode_rejects(void **state)
{
	msg_t m;
	char *buf;
	size_t len;
	char *big;

	make_batch(&m);
	free(m.u.batch.file_id);
	m.u.batch.file_id = NULL;
	expect_encode_fail(&m);

	make_batch(&m);
	free(m.u.batch.rows[3].values[2]);
	m.u.batch.rows[3].values[2] = NULL;
	expect_encode_fail(&m);

	make_batch(&m);
	free(m.u.batch.fields[4]);
	m.u.batch.fields[4] = NULL;
	expect_encode_fail(&m);

	make_batch(&m);
	m.u.batch.validated = 2;
	expect_encode_fail(&m);

	/* a good row must have one value per field (as decode demands) */
	make_batch(&m);
	m.u.batch.rows[0].nvalues = 4;
	free(m.u.batch.rows[0].values[4]);
	expect_encode_fail(&m);

	/* a count with no array behind it */
	memset(&m, 0, sizeof(m));
	m.type = MSG_T_ACK;
	m.u.ack.nids = 3;
	expect_encode_fail(&m);

	make_file_end(&m);
	free(m.u.end.name);
	m.u.end.name = NULL;
	expect_encode_fail(&m);

	make_events(&m);
	free(m.u.events.events[3].kind);
	m.u.events.events[3].kind = NULL;
	expect_encode_fail(&m);

	memset(&m, 0, sizeof(m));
	expect_encode_fail(&m); /* type 0 */
	m.type = (msg_type_t)9;
	expect_encode_fail(&m);

	/* larger than every receiver accepts */
	make_file_end(&m);
	big = malloc((size_t)MSG_MAX_SIZE + 1);
	assert_non_null(big);
	memset(big, 'a', MSG_MAX_SIZE);
	big[MSG_MAX_SIZE] = '\0';
	free(m.u.end.name);
	m.u.end.name = big;
	expect_encode_fail(&m);

	make_ack(&m);
	assert_int_equal(msg_encode(NULL, &buf, &len), -1);
	assert_int_equal(msg_encode(&m, NULL, &len), -1);
	assert_int_equal(msg_encode(&m, &buf, NULL), -1);
	msg_free(&m);
}

/* test_summary - the summary's tables round-trip; a table of the wrong width,
 * or cells that are not whole rows, are refused whole */
static void test_summary(void **state)
{
	char *unit[2 * MSG_SUMMARY_UNIT_COLS] = { "06", "Tỉnh Bắc Kạn", "", "5200", "6", "4", "0.12", "0.08",
		"20.00", "10.00", "", "", "058", "Thành phố Bắc Kạn", "06", "1000", "3", "2", "0.30", "0.20",
		"30.00", "15.00", "0.10", "0.10" };
	char *emp[MSG_SUMMARY_EMPLOYER_COLS] = { "not_enrolled", "0601234563", "Công ty \"A\"", "060", "critical",
		"12", "12", "0", "2017-03" };
	char *ag[2 * MSG_SUMMARY_AGENCY_COLS] = { "bhxh", "participant", "2017-04", "cucthue", "tax_employer", "" };
	msg_t m = { .version = MSG_VERSION, .type = MSG_T_SUMMARY, .id = 9 }, d;
	char *buf = NULL, err[256];
	size_t len = 0;

	(void)state;
	m.u.summary = (msg_summary_t){ "2017-04", 1491004800000LL, { MSG_SUMMARY_UNIT_COLS, 2, unit },
		{ MSG_SUMMARY_EMPLOYER_COLS, 1, emp }, { MSG_SUMMARY_AGENCY_COLS, 2, ag } };
	roundtrip(&m);
	m.u.summary.employers.nrows = 0;
	roundtrip(&m);
	assert_string_equal(msg_type_name(MSG_T_SUMMARY), "summary");
	/* the wrong width is not encoded */
	m.u.summary.agencies.ncols = 2;
	assert_int_equal(msg_encode(&m, &buf, &len), -1);
	m.u.summary.agencies.ncols = MSG_SUMMARY_AGENCY_COLS;
	/* nor decoded: 5 cells in the agencies table */
	assert_int_equal(msg_encode(&m, &buf, &len), 0);
	{
		const char tail[] = { (char)0x92, 0x03, (char)0x96, (char)0xa4, 'b', 'h', 'x', 'h' };
		/* find the agencies table: its header bytes are 0x92 0x03 0x96 */
		char *p = memmem(buf, len, tail, 3);

		assert_non_null(p);
		p[2] = (char)0x95; /* claim 5 cells: the message ends one string early */
		assert_int_equal(msg_decode(buf, len, &d, err, sizeof(err)), -1);
		assert_zeroed(&d);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_zeroed),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_batch_roundtrip),
		cmocka_unit_test(test_batch_empty),
		cmocka_unit_test(test_batch_many_rows),
		cmocka_unit_test(test_file_end_roundtrip),
		cmocka_unit_test(test_file_end_layout),
		cmocka_unit_test(test_ack_roundtrip),
		cmocka_unit_test(test_events_roundtrip),
		cmocka_unit_test(test_events_int_numbers),
		cmocka_unit_test(test_control_and_done_roundtrip),
		cmocka_unit_test(test_done_receipt),
		cmocka_unit_test(test_reject_nonfinite),
		cmocka_unit_test(test_uint_in_any_encoding),
		cmocka_unit_test(test_reject_trailing),
		cmocka_unit_test(test_reject_truncated),
		cmocka_unit_test(test_reject_version),
		cmocka_unit_test(test_reject_type),
		cmocka_unit_test(test_reject_huge_array),
		cmocka_unit_test(test_reject_too_many),
		cmocka_unit_test(test_reject_too_large),
		cmocka_unit_test(test_reject_string_beyond),
		cmocka_unit_test(test_reject_wrong_types),
		cmocka_unit_test(test_reject_embedded_nul),
		cmocka_unit_test(test_failure_frees_everything),
		cmocka_unit_test(test_decode_args),
		cmocka_unit_test(test_encode_rejects),
		cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
