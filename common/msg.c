/* msg - encode and decode every message that crosses a ZeroMQ socket.
 *
 * Encoding uses msgpack-c's packer. Decoding does not use msgpack-c at all:
 * its unpacker allocates from declared counts before it has seen the bytes
 * (a 14-byte message can make it ask for 256 GiB), so a small bounds-checked
 * reader below parses the subset of msgpack we need. Nothing received is
 * trusted: every declared length is checked against the bytes left before
 * anything is allocated from it.
 *
 * Wire format (every message):
 *
 *   [version, type, id, body]
 *     version  uint   MSG_VERSION (the encoder always writes MSG_VERSION;
 *                     m->version is ignored on encode, set on decode)
 *     type     uint   msg_type_t
 *     id       uint64
 *     body     array, by type:
 *
 *   MSG_T_BATCH     [file_id str, file_no uint, seq uint, validated uint 0/1,
 *                  agency str, rtype str, fields [str...], rows [row...]]
 *     row         [line uint, values [str...], err_code str|nil,
 *                  err_field str|nil, err_vi str|nil, err_en str|nil
 *                  (, more [[code str, field str|nil, vi str, en str]...])]
 *                 a good row (err_code nil) has exactly one value per field
 *                 and no more; a rejected row may have any number of values
 *                 (usually 0) and at most MSG_ROW_MAX_MORE more errors; the
 *                 7th element is written only when there are more
 *   MSG_T_FILE_END  [file_id str, file_no uint, agency str, rtype str, name str,
 *                  received_at int, nbatches uint, rows_read uint,
 *                  unknown_columns [str...], abort_code str|nil, encoding str|nil
 *                  (, headings [field str, heading str, ...] (, dry_run uint 1))];
 *                  the 12th element (an even count) is written only when not
 *                  empty or when the 13th is, which is written only for a dry
 *                  run (an older reader refuses such an end rather than apply
 *                  it); the 10-element form without encoding is still read
 *   MSG_T_ACK       [ids [uint64...]]
 *   MSG_T_EVENTS    [seq uint, events [event...]]
 *     event       [kind, subject, org_unit, period, severity, state, name
 *                  (all str), value, threshold (float64; any int or float32
 *                  is accepted on decode; NaN and infinities are refused),
 *                  since, reason (str), amount, workers (float64)]; the
 *                  9-element form without the last four is still read
 *   MSG_T_FILE_DONE [file_id str, file_no uint, agency str, status str, code str|nil,
 *                  name str, stamp int, receipt_json str|nil, receipt_text str|nil
 *                  (, receipt_csv str|nil)]; the 10th element is written only
 *                  when there is a CSV; the 5-element form without the last
 *                  four is still read (name "", stamp 0, no receipt)
 *   MSG_T_CTL_REQ   [cmd str, args [str...]]
 *   MSG_T_CTL_REP   [code int, body str]
 *   MSG_T_SUMMARY   [period str, generated_at int, units table, employers table,
 *                  agencies table]
 *     table       [ncols uint, cells [str...]]: rows of ncols cells, row-major;
 *                 ncols must be the table's MSG_SUMMARY_*_COLS
 *
 * The reader accepts any msgpack integer encoding whose value fits the field
 * (so a non-negative int8 is a valid uint), strings in fixstr/str8/16/32 and
 * arrays in fixarray/array16/32. It rejects maps, bin, ext, strings that
 * contain a NUL byte, arrays with more than MSG_MAX_ITEMS elements, messages
 * larger than MSG_MAX_SIZE and any byte after the envelope. Strings are not
 * checked for valid UTF-8 here. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "msg.h"
#include "xalloc.h"

/* A sanity limit on every array (rows, values, fields, ids, events): a batch
 * is a few thousand rows; anything near this is a bug or an attack. */
#define MSG_MAX_ITEMS 1000000u

/* Least number of bytes one element of these arrays takes on the wire: it lets
 * a declared count be checked against the bytes left before allocating. */
#define MIN_ROW_BYTES 7u    /* fixarray + 6 one-byte elements */
#define MIN_EVENT_BYTES 10u /* fixarray + 9 one-byte elements */
#define MIN_ERR_BYTES 5u    /* fixarray + 4 one-byte elements */

/* ---------------------------------------------------------------- encode */

/* s_put_str - pack a required string; -1 if it is NULL or too long. */
static int s_put_str(msgpack_packer *pk, const char *s)
{
	size_t n;

	if (s == NULL)
		return -1;
	n = strlen(s);
	if (n > UINT32_MAX)
		return -1;
	if (msgpack_pack_str(pk, n) != 0 || msgpack_pack_str_body(pk, s, n) != 0)
		return -1;
	return 0;
}

/* s_put_opt - pack an optional string: NULL becomes nil. */
static int s_put_opt(msgpack_packer *pk, const char *s)
{
	if (s == NULL)
		return msgpack_pack_nil(pk) == 0 ? 0 : -1;
	return s_put_str(pk, s);
}

/* s_put_strs - pack an array of n required strings. */
static int s_put_strs(msgpack_packer *pk, uint32_t n, char *const *v)
{
	uint32_t i;

	if (n > MSG_MAX_ITEMS || (n > 0 && v == NULL))
		return -1;
	if (msgpack_pack_array(pk, n) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (s_put_str(pk, v[i]) == -1)
			return -1;
	return 0;
}

/* s_put_row - pack one batch row; nfields is the batch's field count. */
static int s_put_row(msgpack_packer *pk, const msg_row_t *row, uint32_t nfields)
{
	if (row->err_code == NULL && row->nvalues != nfields)
		return -1;
	if (row->nmore > MSG_ROW_MAX_MORE || (row->nmore > 0 && (row->err_code == NULL || row->more == NULL)))
		return -1;
	if (msgpack_pack_array(pk, row->nmore > 0 ? 7 : 6) != 0 ||
	    msgpack_pack_uint32(pk, row->line) != 0 ||
	    s_put_strs(pk, row->nvalues, row->values) == -1 ||
	    s_put_opt(pk, row->err_code) == -1 ||
	    s_put_opt(pk, row->err_field) == -1 ||
	    s_put_opt(pk, row->err_vi) == -1 ||
	    s_put_opt(pk, row->err_en) == -1)
		return -1;
	if (row->nmore == 0)
		return 0;
	if (msgpack_pack_array(pk, row->nmore) != 0)
		return -1;
	for (uint32_t i = 0; i < row->nmore; i++) {
		const msg_err_t *e = &row->more[i];

		if (msgpack_pack_array(pk, 4) != 0 || s_put_str(pk, e->code) == -1 || s_put_opt(pk, e->field) == -1 ||
		    s_put_str(pk, e->vi) == -1 || s_put_str(pk, e->en) == -1)
			return -1;
	}
	return 0;
}

/* s_put_batch - pack a MSG_T_BATCH body. */
static int s_put_batch(msgpack_packer *pk, const msg_batch_t *b)
{
	uint32_t i;

	if (b->validated > 1 || b->nrows > MSG_MAX_ITEMS ||
	    (b->nrows > 0 && b->rows == NULL))
		return -1;
	if (msgpack_pack_array(pk, 8) != 0 ||
	    s_put_str(pk, b->file_id) == -1 ||
	    msgpack_pack_uint64(pk, b->file_no) != 0 ||
	    msgpack_pack_uint32(pk, b->seq) != 0 ||
	    msgpack_pack_uint8(pk, b->validated) != 0 ||
	    s_put_str(pk, b->agency) == -1 ||
	    s_put_str(pk, b->rtype) == -1 ||
	    s_put_strs(pk, b->nfields, b->fields) == -1 ||
	    msgpack_pack_array(pk, b->nrows) != 0)
		return -1;
	for (i = 0; i < b->nrows; i++)
		if (s_put_row(pk, &b->rows[i], b->nfields) == -1)
			return -1;
	return 0;
}

/* s_put_file_end - pack a MSG_T_FILE_END body. */
static int s_put_file_end(msgpack_packer *pk, const msg_file_end_t *e)
{
	if (e->nheadings % 2 != 0 || e->dry_run > 1)
		return -1;
	if (msgpack_pack_array(pk, e->dry_run ? 13 : e->nheadings > 0 ? 12 : 11) != 0 ||
	    s_put_str(pk, e->file_id) == -1 ||
	    msgpack_pack_uint64(pk, e->file_no) != 0 ||
	    s_put_str(pk, e->agency) == -1 ||
	    s_put_str(pk, e->rtype) == -1 ||
	    s_put_str(pk, e->name) == -1 ||
	    msgpack_pack_int64(pk, e->received_at) != 0 ||
	    msgpack_pack_uint32(pk, e->nbatches) != 0 ||
	    msgpack_pack_uint64(pk, e->rows_read) != 0 ||
	    s_put_strs(pk, e->nunknown, e->unknown_columns) == -1 ||
	    s_put_opt(pk, e->abort_code) == -1 ||
	    s_put_opt(pk, e->encoding) == -1)
		return -1;
	if ((e->nheadings > 0 || e->dry_run) && s_put_strs(pk, e->nheadings, e->headings) == -1)
		return -1;
	if (e->dry_run && msgpack_pack_uint8(pk, 1) != 0)
		return -1;
	return 0;
}

/* s_put_ack - pack a MSG_T_ACK body. */
static int s_put_ack(msgpack_packer *pk, const msg_ack_t *a)
{
	uint32_t i;

	if (a->nids > MSG_MAX_ITEMS || (a->nids > 0 && a->ids == NULL))
		return -1;
	if (msgpack_pack_array(pk, 1) != 0 || msgpack_pack_array(pk, a->nids) != 0)
		return -1;
	for (i = 0; i < a->nids; i++)
		if (msgpack_pack_uint64(pk, a->ids[i]) != 0)
			return -1;
	return 0;
}

/* s_put_event - pack one finding state change. */
static int s_put_event(msgpack_packer *pk, const msg_event_t *ev)
{
	if (msgpack_pack_array(pk, 13) != 0 ||
	    s_put_str(pk, ev->kind) == -1 ||
	    s_put_str(pk, ev->subject) == -1 ||
	    s_put_str(pk, ev->org_unit) == -1 ||
	    s_put_str(pk, ev->period) == -1 ||
	    s_put_str(pk, ev->severity) == -1 ||
	    s_put_str(pk, ev->state) == -1 ||
	    s_put_str(pk, ev->name) == -1 ||
	    msgpack_pack_double(pk, ev->value) != 0 ||
	    msgpack_pack_double(pk, ev->threshold) != 0 ||
	    s_put_str(pk, ev->since ? ev->since : "") == -1 ||
	    s_put_str(pk, ev->reason ? ev->reason : "") == -1 ||
	    msgpack_pack_double(pk, ev->amount) != 0 ||
	    msgpack_pack_double(pk, ev->workers) != 0)
		return -1;
	return 0;
}

/* s_put_events - pack a MSG_T_EVENTS body. */
static int s_put_events(msgpack_packer *pk, const msg_events_t *e)
{
	uint32_t i;

	if (e->nevents > MSG_MAX_ITEMS || (e->nevents > 0 && e->events == NULL))
		return -1;
	if (msgpack_pack_array(pk, 2) != 0 || msgpack_pack_uint64(pk, e->seq) != 0 ||
	    msgpack_pack_array(pk, e->nevents) != 0)
		return -1;
	for (i = 0; i < e->nevents; i++)
		if (s_put_event(pk, &e->events[i]) == -1)
			return -1;
	return 0;
}

/* s_put_done - pack a MSG_T_FILE_DONE body. */
static int s_put_done(msgpack_packer *pk, const msg_file_done_t *d)
{
	if (msgpack_pack_array(pk, d->receipt_csv != NULL ? 10 : 9) != 0 ||
	    s_put_str(pk, d->file_id) == -1 ||
	    msgpack_pack_uint64(pk, d->file_no) != 0 ||
	    s_put_str(pk, d->agency) == -1 ||
	    s_put_str(pk, d->status) == -1 ||
	    s_put_opt(pk, d->code) == -1 ||
	    s_put_str(pk, d->name ? d->name : "") == -1 ||
	    msgpack_pack_int64(pk, d->stamp) != 0 ||
	    s_put_opt(pk, d->receipt_json) == -1 ||
	    s_put_opt(pk, d->receipt_text) == -1 ||
	    (d->receipt_csv != NULL && s_put_str(pk, d->receipt_csv) == -1))
		return -1;
	return 0;
}

/* s_put_req - pack a MSG_T_CTL_REQ body. */
static int s_put_req(msgpack_packer *pk, const msg_ctl_req_t *q)
{
	if (msgpack_pack_array(pk, 2) != 0 ||
	    s_put_str(pk, q->cmd) == -1 ||
	    s_put_strs(pk, q->nargs, q->args) == -1)
		return -1;
	return 0;
}

/* s_put_rep - pack a MSG_T_CTL_REP body. */
static int s_put_rep(msgpack_packer *pk, const msg_ctl_rep_t *r)
{
	if (msgpack_pack_array(pk, 2) != 0 ||
	    msgpack_pack_int64(pk, r->code) != 0 ||
	    s_put_str(pk, r->body) == -1)
		return -1;
	return 0;
}

/* s_put_table - pack a table of text cells. */
static int s_put_table(msgpack_packer *pk, const msg_table_t *t, uint32_t ncols)
{
	if (t->ncols != ncols || (uint64_t)t->nrows * ncols > MSG_MAX_ITEMS ||
	    msgpack_pack_array(pk, 2) != 0 || msgpack_pack_uint32(pk, ncols) != 0)
		return -1;
	return s_put_strs(pk, t->nrows * ncols, t->cells);
}

/* s_put_summary - pack a MSG_T_SUMMARY body. */
static int s_put_summary(msgpack_packer *pk, const msg_summary_t *y)
{
	if (msgpack_pack_array(pk, 5) != 0 ||
	    s_put_str(pk, y->period) == -1 ||
	    msgpack_pack_int64(pk, y->generated_at) != 0 ||
	    s_put_table(pk, &y->units, MSG_SUMMARY_UNIT_COLS) == -1 ||
	    s_put_table(pk, &y->employers, MSG_SUMMARY_EMPLOYER_COLS) == -1 ||
	    s_put_table(pk, &y->agencies, MSG_SUMMARY_AGENCY_COLS) == -1)
		return -1;
	return 0;
}

/* msg_encode - serialise m into a malloc'd buffer; 0 or -1 (bad message). */
int msg_encode(const msg_t *m, char **buf, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int body;
	int rc = -1;

	if (buf != NULL)
		*buf = NULL;
	if (len != NULL)
		*len = 0;
	if (m == NULL || buf == NULL || len == NULL)
		return -1;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (msgpack_pack_array(&pk, 4) != 0 ||
	    msgpack_pack_uint16(&pk, MSG_VERSION) != 0 ||
	    msgpack_pack_uint32(&pk, (uint32_t)m->type) != 0 ||
	    msgpack_pack_uint64(&pk, m->id) != 0)
		goto out;

	switch (m->type) {
	case MSG_T_BATCH:
		body = s_put_batch(&pk, &m->u.batch);
		break;
	case MSG_T_FILE_END:
		body = s_put_file_end(&pk, &m->u.end);
		break;
	case MSG_T_ACK:
		body = s_put_ack(&pk, &m->u.ack);
		break;
	case MSG_T_EVENTS:
		body = s_put_events(&pk, &m->u.events);
		break;
	case MSG_T_FILE_DONE:
		body = s_put_done(&pk, &m->u.done);
		break;
	case MSG_T_CTL_REQ:
		body = s_put_req(&pk, &m->u.req);
		break;
	case MSG_T_CTL_REP:
		body = s_put_rep(&pk, &m->u.rep);
		break;
	case MSG_T_SUMMARY:
		body = s_put_summary(&pk, &m->u.summary);
		break;
	default:
		body = -1;
		break;
	}
	if (body == -1 || sb.size > MSG_MAX_SIZE)
		goto out;

	*len = sb.size;
	*buf = msgpack_sbuffer_release(&sb);
	rc = 0;
out:
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

/* ---------------------------------------------------------------- decode */

/* The reader: a cursor over the received bytes, plus where we are in the
 * message so that an error can name the field ("batch.rows[3].line"). */
struct rd {
	const unsigned char *p;
	const unsigned char *end;
	char *err;
	size_t errsz;
	const char *top; /* "msg", "batch", "batch.rows", "events", ... */
	long i;          /* index of the current row/event, or -1 */
};

/* What one msgpack object header turned out to be. */
enum vkind { V_NIL, V_BOOL, V_UINT, V_INT, V_FLOAT, V_STR, V_ARRAY, V_OTHER };

struct val {
	enum vkind kind;
	uint64_t u;             /* V_UINT, V_BOOL */
	int64_t i;              /* V_INT: always negative */
	double d;               /* V_FLOAT */
	const unsigned char *s; /* V_STR: the bytes, not NUL-terminated */
	uint32_t n;             /* V_STR length, V_ARRAY element count */
};

/* s_fail - write "<where>: <reason>" into the error buffer; returns -1. */
static int s_fail(struct rd *r, const char *what, long j, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int s_fail(struct rd *r, const char *what, long j, const char *fmt, ...)
{
	char ia[24] = "";
	char ja[24] = "";
	int n;
	va_list ap;

	if (r->err == NULL || r->errsz == 0)
		return -1;
	if (r->i >= 0)
		snprintf(ia, sizeof(ia), "[%ld]", r->i);
	if (j >= 0)
		snprintf(ja, sizeof(ja), "[%ld]", j);
	n = snprintf(r->err, r->errsz, "%s%s%s%s%s: ", r->top, ia,
	    what != NULL ? "." : "", what != NULL ? what : "", ja);
	if (n < 0 || (size_t)n >= r->errsz)
		return -1;
	va_start(ap, fmt);
	vsnprintf(r->err + n, r->errsz - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* s_left - bytes not yet read. */
static size_t s_left(const struct rd *r)
{
	return (size_t)(r->end - r->p);
}

/* s_take - consume n big-endian bytes as an unsigned number; -1 if truncated. */
static int s_take(struct rd *r, size_t n, uint64_t *out, const char *what, long j)
{
	uint64_t v = 0;
	size_t k;

	if (s_left(r) < n)
		return s_fail(r, what, j, "truncated");
	for (k = 0; k < n; k++)
		v = (v << 8) | r->p[k];
	r->p += n;
	*out = v;
	return 0;
}

/* s_signed - turn an n-bit two's complement number into a struct val;
 * a non-negative one becomes V_UINT. */
static void s_signed(struct val *v, uint64_t raw, unsigned bits)
{
	if ((raw >> (bits - 1)) == 0) {
		v->kind = V_UINT;
		v->u = raw;
		return;
	}
	v->kind = V_INT;
	if (bits == 64)
		memcpy(&v->i, &raw, sizeof(v->i)); /* int64_t is two's complement */
	else
		v->i = (int64_t)raw - ((int64_t)1 << bits);
}

/* s_next - read one object header. Strings are consumed whole (v->s points at
 * the bytes); arrays only up to their count, which has already been checked
 * against the bytes left (each element takes at least one). */
static int s_next(struct rd *r, struct val *v, const char *what, long j)
{
	unsigned char b;
	uint64_t x = 0;
	uint32_t f32;
	float f;

	memset(v, 0, sizeof(*v));
	if (s_left(r) < 1)
		return s_fail(r, what, j, "truncated");
	b = *r->p++;

	if (b <= 0x7f) {
		v->kind = V_UINT;
		v->u = b;
		return 0;
	}
	if (b >= 0xe0) {
		v->kind = V_INT;
		v->i = (int64_t)b - 256;
		return 0;
	}
	if (b >= 0xa0 && b <= 0xbf) {
		x = b & 0x1f;
		goto str;
	}
	if (b >= 0x90 && b <= 0x9f) {
		x = b & 0x0f;
		goto array;
	}

	switch (b) {
	case 0xc0:
		v->kind = V_NIL;
		return 0;
	case 0xc2:
	case 0xc3:
		v->kind = V_BOOL;
		v->u = b == 0xc3;
		return 0;
	case 0xca:
		if (s_take(r, 4, &x, what, j) == -1)
			return -1;
		f32 = (uint32_t)x;
		memcpy(&f, &f32, sizeof(f));
		v->kind = V_FLOAT;
		v->d = (double)f;
		return 0;
	case 0xcb:
		if (s_take(r, 8, &x, what, j) == -1)
			return -1;
		memcpy(&v->d, &x, sizeof(v->d));
		v->kind = V_FLOAT;
		return 0;
	case 0xcc:
	case 0xcd:
	case 0xce:
	case 0xcf:
		if (s_take(r, (size_t)1 << (b - 0xcc), &v->u, what, j) == -1)
			return -1;
		v->kind = V_UINT;
		return 0;
	case 0xd0:
	case 0xd1:
	case 0xd2:
	case 0xd3:
		if (s_take(r, (size_t)1 << (b - 0xd0), &x, what, j) == -1)
			return -1;
		s_signed(v, x, 8u << (b - 0xd0));
		return 0;
	case 0xd9:
	case 0xda:
	case 0xdb:
		if (s_take(r, (size_t)1 << (b - 0xd9), &x, what, j) == -1)
			return -1;
		goto str;
	case 0xdc:
	case 0xdd:
		if (s_take(r, b == 0xdc ? 2 : 4, &x, what, j) == -1)
			return -1;
		goto array;
	default:
		v->kind = V_OTHER; /* map, bin, ext, 0xc1: never valid here */
		return 0;
	}

str:
	if (x > s_left(r))
		return s_fail(r, what, j, "string of %llu bytes, %zu left",
		    (unsigned long long)x, s_left(r));
	v->kind = V_STR;
	v->n = (uint32_t)x;
	v->s = r->p;
	r->p += x;
	return 0;
array:
	if (x > s_left(r))
		return s_fail(r, what, j, "array of %llu elements, %zu bytes left",
		    (unsigned long long)x, s_left(r));
	v->kind = V_ARRAY;
	v->n = (uint32_t)x;
	return 0;
}

/* s_get_uint - read a non-negative integer no larger than max. */
static int s_get_uint(struct rd *r, uint64_t max, uint64_t *out, const char *what, long j)
{
	struct val v;

	if (s_next(r, &v, what, j) == -1)
		return -1;
	if (v.kind != V_UINT)
		return s_fail(r, what, j, "expected uint");
	if (v.u > max)
		return s_fail(r, what, j, "%llu out of range", (unsigned long long)v.u);
	*out = v.u;
	return 0;
}

/* s_get_int - read a signed 64-bit integer. */
static int s_get_int(struct rd *r, int64_t *out, const char *what, long j)
{
	struct val v;

	if (s_next(r, &v, what, j) == -1)
		return -1;
	if (v.kind == V_INT) {
		*out = v.i;
		return 0;
	}
	if (v.kind != V_UINT)
		return s_fail(r, what, j, "expected int");
	if (v.u > INT64_MAX)
		return s_fail(r, what, j, "%llu out of range", (unsigned long long)v.u);
	*out = (int64_t)v.u;
	return 0;
}

/* s_get_num - read a float or an integer as a double. */
static int s_get_num(struct rd *r, double *out, const char *what, long j)
{
	struct val v;

	if (s_next(r, &v, what, j) == -1)
		return -1;
	if (v.kind == V_FLOAT)
		*out = v.d;
	else if (v.kind == V_UINT)
		*out = (double)v.u;
	else if (v.kind == V_INT)
		*out = (double)v.i;
	else
		return s_fail(r, what, j, "expected number");
	if (!isfinite(*out))
		return s_fail(r, what, j, "not a finite number");
	return 0;
}

/* s_get_str - read a string into a malloc'd NUL-terminated copy; with
 * nullable, nil gives NULL. A string holding a NUL byte is rejected. */
static int s_get_str(struct rd *r, int nullable, char **out, const char *what, long j)
{
	struct val v;
	char *s;

	if (s_next(r, &v, what, j) == -1)
		return -1;
	if (nullable && v.kind == V_NIL) {
		*out = NULL;
		return 0;
	}
	if (v.kind != V_STR)
		return s_fail(r, what, j, nullable ? "expected str or nil" : "expected str");
	if (v.n > 0 && memchr(v.s, '\0', v.n) != NULL)
		return s_fail(r, what, j, "string contains a NUL byte");
	if ((s = xmalloc((size_t)v.n + 1)) == NULL)
		return s_fail(r, what, j, "out of memory");
	if (v.n > 0)
		memcpy(s, v.s, v.n);
	s[v.n] = '\0';
	*out = s;
	return 0;
}

/* s_get_array - read an array header with at most MSG_MAX_ITEMS elements,
 * each taking at least minsz bytes of what is left. */
static int s_get_array(struct rd *r, size_t minsz, uint32_t *n, const char *what, long j)
{
	struct val v;

	if (s_next(r, &v, what, j) == -1)
		return -1;
	if (v.kind != V_ARRAY)
		return s_fail(r, what, j, "expected array");
	if (v.n > MSG_MAX_ITEMS)
		return s_fail(r, what, j, "%u elements, limit %u", v.n, MSG_MAX_ITEMS);
	if ((size_t)v.n > s_left(r) / minsz)
		return s_fail(r, what, j, "array of %u elements, %zu bytes left",
		    v.n, s_left(r));
	*n = v.n;
	return 0;
}

/* s_get_tuple - read an array header that must have exactly arity elements. */
static int s_get_tuple(struct rd *r, uint32_t arity, const char *what, long j)
{
	uint32_t n = 0;

	if (s_get_array(r, 1, &n, what, j) == -1)
		return -1;
	if (n != arity)
		return s_fail(r, what, j, "expected array of %u, got %u", arity, n);
	return 0;
}

/* s_calloc - zeroed array of n elements; *p stays NULL when n is 0. */
static int s_calloc(struct rd *r, uint32_t n, size_t size, void **p, const char *what)
{
	*p = NULL;
	if (n == 0)
		return 0;
	if ((*p = xcalloc(n, size)) == NULL)
		return s_fail(r, what, -1, "out of memory");
	return 0;
}

/* s_get_strs - read an array of strings. *n and *out are set as soon as the
 * array exists, so a failure half-way leaves something msg_free can free. */
static int s_get_strs(struct rd *r, uint32_t *n, char ***out, const char *what)
{
	uint32_t cnt;
	uint32_t k;
	void *p;

	if (s_get_array(r, 1, &cnt, what, -1) == -1 ||
	    s_calloc(r, cnt, sizeof(char *), &p, what) == -1)
		return -1;
	*out = p;
	*n = cnt;
	for (k = 0; k < cnt; k++)
		if (s_get_str(r, 0, &(*out)[k], what, (long)k) == -1)
			return -1;
	return 0;
}

/* s_get_row - read one batch row; nfields is the batch's field count. */
static int s_get_row(struct rd *r, msg_row_t *row, uint32_t nfields)
{
	uint64_t v = 0;
	uint32_t n = 0, k;
	void *p;

	if (s_get_array(r, 1, &n, NULL, -1) == -1)
		return -1;
	if (n != 6 && n != 7)
		return s_fail(r, NULL, -1, "expected array of 6 or 7, got %u", n);
	if (s_get_uint(r, UINT32_MAX, &v, "line", -1) == -1)
		return -1;
	row->line = (uint32_t)v;
	if (s_get_strs(r, &row->nvalues, &row->values, "values") == -1 ||
	    s_get_str(r, 1, &row->err_code, "err_code", -1) == -1 ||
	    s_get_str(r, 1, &row->err_field, "err_field", -1) == -1 ||
	    s_get_str(r, 1, &row->err_vi, "err_vi", -1) == -1 ||
	    s_get_str(r, 1, &row->err_en, "err_en", -1) == -1)
		return -1;
	if (row->err_code == NULL && row->nvalues != nfields)
		return s_fail(r, "values", -1, "good row has %u values for %u fields",
		    row->nvalues, nfields);
	if (n == 6)
		return 0;
	if (row->err_code == NULL)
		return s_fail(r, "more", -1, "a good row has no errors");
	if (s_get_array(r, MIN_ERR_BYTES, &n, "more", -1) == -1)
		return -1;
	if (n == 0 || n > MSG_ROW_MAX_MORE)
		return s_fail(r, "more", -1, "%u more errors (1 to %u)", n, MSG_ROW_MAX_MORE);
	if (s_calloc(r, n, sizeof(msg_err_t), &p, "more") == -1)
		return -1;
	row->more = p;
	row->nmore = n;
	for (k = 0; k < n; k++) {
		msg_err_t *e = &row->more[k];

		if (s_get_tuple(r, 4, "more", (long)k) == -1 ||
		    s_get_str(r, 0, &e->code, "more.code", (long)k) == -1 ||
		    s_get_str(r, 1, &e->field, "more.field", (long)k) == -1 ||
		    s_get_str(r, 0, &e->vi, "more.vi", (long)k) == -1 ||
		    s_get_str(r, 0, &e->en, "more.en", (long)k) == -1)
			return -1;
	}
	return 0;
}

/* s_get_batch - read a MSG_T_BATCH body. */
static int s_get_batch(struct rd *r, msg_batch_t *b)
{
	uint64_t v = 0;
	uint32_t n;
	uint32_t k;
	void *p;

	r->top = "batch";
	if (s_get_tuple(r, 8, NULL, -1) == -1 ||
	    s_get_str(r, 0, &b->file_id, "file_id", -1) == -1 ||
	    s_get_uint(r, UINT64_MAX, &b->file_no, "file_no", -1) == -1 ||
	    s_get_uint(r, UINT32_MAX, &v, "seq", -1) == -1)
		return -1;
	b->seq = (uint32_t)v;
	if (s_get_uint(r, 1, &v, "validated", -1) == -1)
		return -1;
	b->validated = (uint8_t)v;
	if (s_get_str(r, 0, &b->agency, "agency", -1) == -1 ||
	    s_get_str(r, 0, &b->rtype, "rtype", -1) == -1 ||
	    s_get_strs(r, &b->nfields, &b->fields, "fields") == -1 ||
	    s_get_array(r, MIN_ROW_BYTES, &n, "rows", -1) == -1 ||
	    s_calloc(r, n, sizeof(msg_row_t), &p, "rows") == -1)
		return -1;
	b->rows = p;
	b->nrows = n;

	r->top = "batch.rows";
	for (k = 0; k < n; k++) {
		r->i = (long)k;
		if (s_get_row(r, &b->rows[k], b->nfields) == -1)
			return -1;
	}
	r->i = -1;
	return 0;
}

/* s_get_file_end - read a MSG_T_FILE_END body. */
static int s_get_file_end(struct rd *r, msg_file_end_t *e)
{
	uint64_t v = 0;
	uint32_t n = 0;

	r->top = "file_end";
	if (s_get_array(r, 1, &n, NULL, -1) == -1)
		return -1;
	if (n < 10 || n > 13)
		return s_fail(r, NULL, -1, "expected array of 10 to 13, got %u", n);
	if (s_get_str(r, 0, &e->file_id, "file_id", -1) == -1 ||
	    s_get_uint(r, UINT64_MAX, &e->file_no, "file_no", -1) == -1 ||
	    s_get_str(r, 0, &e->agency, "agency", -1) == -1 ||
	    s_get_str(r, 0, &e->rtype, "rtype", -1) == -1 ||
	    s_get_str(r, 0, &e->name, "name", -1) == -1 ||
	    s_get_int(r, &e->received_at, "received_at", -1) == -1 ||
	    s_get_uint(r, UINT32_MAX, &v, "nbatches", -1) == -1)
		return -1;
	e->nbatches = (uint32_t)v;
	if (s_get_uint(r, UINT64_MAX, &e->rows_read, "rows_read", -1) == -1 ||
	    s_get_strs(r, &e->nunknown, &e->unknown_columns, "unknown_columns") == -1 ||
	    s_get_str(r, 1, &e->abort_code, "abort_code", -1) == -1 ||
	    (n >= 11 && s_get_str(r, 1, &e->encoding, "encoding", -1) == -1))
		return -1;
	if (n <= 11)
		return 0;
	if (s_get_strs(r, &e->nheadings, &e->headings, "headings") == -1)
		return -1;
	if (e->nheadings % 2 != 0)
		return s_fail(r, "headings", -1, "%u strings are not pairs", e->nheadings);
	if (n >= 13) {
		if (s_get_uint(r, 1, &v, "dry_run", -1) == -1)
			return -1;
		e->dry_run = (uint8_t)v;
	}
	return 0;
}

/* s_get_ack - read a MSG_T_ACK body. */
static int s_get_ack(struct rd *r, msg_ack_t *a)
{
	uint32_t n;
	uint32_t k;
	void *p;

	r->top = "ack";
	if (s_get_tuple(r, 1, NULL, -1) == -1 ||
	    s_get_array(r, 1, &n, "ids", -1) == -1 ||
	    s_calloc(r, n, sizeof(uint64_t), &p, "ids") == -1)
		return -1;
	a->ids = p;
	a->nids = n;
	for (k = 0; k < n; k++)
		if (s_get_uint(r, UINT64_MAX, &a->ids[k], "ids", (long)k) == -1)
			return -1;
	return 0;
}

/* s_get_event - read one finding state change. */
static int s_get_event(struct rd *r, msg_event_t *ev)
{
	uint32_t n = 0;

	if (s_get_array(r, 1, &n, NULL, -1) == -1)
		return -1;
	if (n != 9 && n != 13)
		return s_fail(r, NULL, -1, "expected array of 9 or 13, got %u", n);
	if (s_get_str(r, 0, &ev->kind, "kind", -1) == -1 ||
	    s_get_str(r, 0, &ev->subject, "subject", -1) == -1 ||
	    s_get_str(r, 0, &ev->org_unit, "org_unit", -1) == -1 ||
	    s_get_str(r, 0, &ev->period, "period", -1) == -1 ||
	    s_get_str(r, 0, &ev->severity, "severity", -1) == -1 ||
	    s_get_str(r, 0, &ev->state, "state", -1) == -1 ||
	    s_get_str(r, 0, &ev->name, "name", -1) == -1 ||
	    s_get_num(r, &ev->value, "value", -1) == -1 ||
	    s_get_num(r, &ev->threshold, "threshold", -1) == -1)
		return -1;
	if (n == 9) {
		ev->since = xstrdup("");
		ev->reason = xstrdup("");
		return 0;
	}
	if (s_get_str(r, 0, &ev->since, "since", -1) == -1 ||
	    s_get_str(r, 0, &ev->reason, "reason", -1) == -1 ||
	    s_get_num(r, &ev->amount, "amount", -1) == -1 ||
	    s_get_num(r, &ev->workers, "workers", -1) == -1)
		return -1;
	return 0;
}

/* s_get_events - read a MSG_T_EVENTS body. */
static int s_get_events(struct rd *r, msg_events_t *e)
{
	uint32_t n;
	uint32_t k;
	void *p;

	r->top = "events";
	if (s_get_tuple(r, 2, NULL, -1) == -1 ||
	    s_get_uint(r, UINT64_MAX, &e->seq, "seq", -1) == -1 ||
	    s_get_array(r, MIN_EVENT_BYTES, &n, "events", -1) == -1 ||
	    s_calloc(r, n, sizeof(msg_event_t), &p, "events") == -1)
		return -1;
	e->events = p;
	e->nevents = n;
	for (k = 0; k < n; k++) {
		r->i = (long)k;
		if (s_get_event(r, &e->events[k]) == -1)
			return -1;
	}
	r->i = -1;
	return 0;
}

/* s_get_done - read a MSG_T_FILE_DONE body. */
static int s_get_done(struct rd *r, msg_file_done_t *d)
{
	uint32_t n = 0;

	r->top = "file_done";
	if (s_get_array(r, 1, &n, NULL, -1) == -1)
		return -1;
	if (n != 5 && n != 9 && n != 10)
		return s_fail(r, NULL, -1, "expected array of 5, 9 or 10, got %u", n);
	if (s_get_str(r, 0, &d->file_id, "file_id", -1) == -1 ||
	    s_get_uint(r, UINT64_MAX, &d->file_no, "file_no", -1) == -1 ||
	    s_get_str(r, 0, &d->agency, "agency", -1) == -1 ||
	    s_get_str(r, 0, &d->status, "status", -1) == -1 ||
	    s_get_str(r, 1, &d->code, "code", -1) == -1)
		return -1;
	if (n == 5) {
		d->name = xstrdup("");
		return 0;
	}
	if (s_get_str(r, 0, &d->name, "name", -1) == -1 ||
	    s_get_int(r, &d->stamp, "stamp", -1) == -1 ||
	    s_get_str(r, 1, &d->receipt_json, "receipt_json", -1) == -1 ||
	    s_get_str(r, 1, &d->receipt_text, "receipt_text", -1) == -1)
		return -1;
	if (n == 10 && s_get_str(r, 1, &d->receipt_csv, "receipt_csv", -1) == -1)
		return -1;
	return 0;
}

/* s_get_req - read a MSG_T_CTL_REQ body. */
static int s_get_req(struct rd *r, msg_ctl_req_t *q)
{
	r->top = "ctl_req";
	if (s_get_tuple(r, 2, NULL, -1) == -1 ||
	    s_get_str(r, 0, &q->cmd, "cmd", -1) == -1 ||
	    s_get_strs(r, &q->nargs, &q->args, "args") == -1)
		return -1;
	return 0;
}

/* s_get_rep - read a MSG_T_CTL_REP body. */
static int s_get_rep(struct rd *r, msg_ctl_rep_t *p)
{
	r->top = "ctl_rep";
	if (s_get_tuple(r, 2, NULL, -1) == -1 ||
	    s_get_int(r, &p->code, "code", -1) == -1 ||
	    s_get_str(r, 0, &p->body, "body", -1) == -1)
		return -1;
	return 0;
}

static void s_free_strs(uint32_t n, char **v);

/* s_get_table - read a table whose rows must have ncols cells; on failure
 * the table holds nothing. */
static int s_get_table(struct rd *r, msg_table_t *t, uint32_t ncols, const char *what)
{
	uint64_t n = 0;
	uint32_t cells = 0;

	if (s_get_tuple(r, 2, what, -1) == -1 ||
	    s_get_uint(r, UINT32_MAX, &n, what, -1) == -1)
		return -1;
	if (n != ncols)
		return s_fail(r, what, -1, "expected %u columns, got %llu", ncols, (unsigned long long)n);
	t->ncols = ncols;
	if (s_get_strs(r, &cells, &t->cells, what) == -1 ||
	    (cells % ncols != 0 && s_fail(r, what, -1, "%u cells are not rows of %u", cells, ncols) == -1)) {
		s_free_strs(cells, t->cells);
		t->cells = NULL;
		return -1;
	}
	t->nrows = cells / ncols;
	return 0;
}

/* s_get_summary - read a MSG_T_SUMMARY body. */
static int s_get_summary(struct rd *r, msg_summary_t *y)
{
	r->top = "summary";
	if (s_get_tuple(r, 5, NULL, -1) == -1 ||
	    s_get_str(r, 0, &y->period, "period", -1) == -1 ||
	    s_get_int(r, &y->generated_at, "generated_at", -1) == -1 ||
	    s_get_table(r, &y->units, MSG_SUMMARY_UNIT_COLS, "units") == -1 ||
	    s_get_table(r, &y->employers, MSG_SUMMARY_EMPLOYER_COLS, "employers") == -1 ||
	    s_get_table(r, &y->agencies, MSG_SUMMARY_AGENCY_COLS, "agencies") == -1)
		return -1;
	return 0;
}

/* msg_decode - parse buf into m (caller frees with msg_free); 0, or -1 with
 * a one-line reason in err. On failure m is zeroed and holds nothing. */
int msg_decode(const char *buf, size_t len, msg_t *m, char *err, size_t errsz)
{
	struct rd r;
	uint64_t v = 0;
	int body;
	int rc = -1;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	r.p = (const unsigned char *)buf;
	r.end = r.p + (buf != NULL ? len : 0);
	r.err = err;
	r.errsz = errsz;
	r.top = "msg";
	r.i = -1;
	if (m == NULL)
		return s_fail(&r, NULL, -1, "no message to decode into");
	memset(m, 0, sizeof(*m));
	if (buf == NULL || len == 0) {
		s_fail(&r, NULL, -1, "empty");
		goto out;
	}
	if (len > MSG_MAX_SIZE) {
		s_fail(&r, NULL, -1, "%zu bytes, limit %u", len, MSG_MAX_SIZE);
		goto out;
	}

	if (s_get_tuple(&r, 4, NULL, -1) == -1 ||
	    s_get_uint(&r, UINT64_MAX, &v, "version", -1) == -1)
		goto out;
	if (v != MSG_VERSION) {
		s_fail(&r, "version", -1, "unsupported version %llu", (unsigned long long)v);
		goto out;
	}
	m->version = MSG_VERSION;
	if (s_get_uint(&r, UINT64_MAX, &v, "type", -1) == -1)
		goto out;
	if (v < MSG_T_BATCH || v > MSG_T_SUMMARY) {
		s_fail(&r, "type", -1, "unknown type %llu", (unsigned long long)v);
		goto out;
	}
	m->type = (msg_type_t)v;
	if (s_get_uint(&r, UINT64_MAX, &m->id, "id", -1) == -1)
		goto out;

	switch (m->type) {
	case MSG_T_BATCH:
		body = s_get_batch(&r, &m->u.batch);
		break;
	case MSG_T_FILE_END:
		body = s_get_file_end(&r, &m->u.end);
		break;
	case MSG_T_ACK:
		body = s_get_ack(&r, &m->u.ack);
		break;
	case MSG_T_EVENTS:
		body = s_get_events(&r, &m->u.events);
		break;
	case MSG_T_FILE_DONE:
		body = s_get_done(&r, &m->u.done);
		break;
	case MSG_T_CTL_REQ:
		body = s_get_req(&r, &m->u.req);
		break;
	case MSG_T_CTL_REP:
		body = s_get_rep(&r, &m->u.rep);
		break;
	case MSG_T_SUMMARY:
		body = s_get_summary(&r, &m->u.summary);
		break;
	default:
		body = -1;
		break;
	}
	if (body == -1)
		goto out;

	r.top = "msg";
	r.i = -1;
	if (s_left(&r) != 0) {
		s_fail(&r, NULL, -1, "%zu trailing bytes", s_left(&r));
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		msg_free(m);
	return rc;
}

/* ------------------------------------------------------------------ free */

/* s_free_strs - free an array of n strings and the array. */
static void s_free_strs(uint32_t n, char **v)
{
	uint32_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* s_free_batch - free a batch body. */
static void s_free_batch(msg_batch_t *b)
{
	uint32_t i;
	msg_row_t *row;

	free(b->file_id);
	free(b->agency);
	free(b->rtype);
	s_free_strs(b->nfields, b->fields);
	for (i = 0; b->rows != NULL && i < b->nrows; i++) {
		row = &b->rows[i];
		s_free_strs(row->nvalues, row->values);
		free(row->err_code);
		free(row->err_field);
		free(row->err_vi);
		free(row->err_en);
		for (uint32_t k = 0; row->more != NULL && k < row->nmore; k++) {
			free(row->more[k].code);
			free(row->more[k].field);
			free(row->more[k].vi);
			free(row->more[k].en);
		}
		free(row->more);
	}
	free(b->rows);
}

/* s_free_file_end - free a file_end body. */
static void s_free_file_end(msg_file_end_t *e)
{
	free(e->file_id);
	free(e->agency);
	free(e->rtype);
	free(e->name);
	s_free_strs(e->nunknown, e->unknown_columns);
	free(e->abort_code);
	free(e->encoding);
	s_free_strs(e->nheadings, e->headings);
}

/* s_free_events - free an events body. */
static void s_free_events(msg_events_t *e)
{
	uint32_t i;
	msg_event_t *ev;

	for (i = 0; e->events != NULL && i < e->nevents; i++) {
		ev = &e->events[i];
		free(ev->kind);
		free(ev->subject);
		free(ev->org_unit);
		free(ev->period);
		free(ev->severity);
		free(ev->state);
		free(ev->name);
		free(ev->since);
		free(ev->reason);
	}
	free(e->events);
}

/* msg_free - free everything in m and zero it; safe on a zeroed msg_t. */
void msg_free(msg_t *m)
{
	if (m == NULL)
		return;
	switch (m->type) {
	case MSG_T_BATCH:
		s_free_batch(&m->u.batch);
		break;
	case MSG_T_FILE_END:
		s_free_file_end(&m->u.end);
		break;
	case MSG_T_ACK:
		free(m->u.ack.ids);
		break;
	case MSG_T_EVENTS:
		s_free_events(&m->u.events);
		break;
	case MSG_T_FILE_DONE:
		free(m->u.done.file_id);
		free(m->u.done.agency);
		free(m->u.done.status);
		free(m->u.done.code);
		free(m->u.done.name);
		free(m->u.done.receipt_json);
		free(m->u.done.receipt_text);
		free(m->u.done.receipt_csv);
		break;
	case MSG_T_CTL_REQ:
		free(m->u.req.cmd);
		s_free_strs(m->u.req.nargs, m->u.req.args);
		break;
	case MSG_T_CTL_REP:
		free(m->u.rep.body);
		break;
	case MSG_T_SUMMARY:
		free(m->u.summary.period);
		s_free_strs(m->u.summary.units.nrows * m->u.summary.units.ncols, m->u.summary.units.cells);
		s_free_strs(m->u.summary.employers.nrows * m->u.summary.employers.ncols, m->u.summary.employers.cells);
		s_free_strs(m->u.summary.agencies.nrows * m->u.summary.agencies.ncols, m->u.summary.agencies.cells);
		break;
	default:
		break;
	}
	memset(m, 0, sizeof(*m));
}

/* msg_type_name - "batch", "file_end", ... for logs. */
const char *msg_type_name(int type)
{
	switch (type) {
	case MSG_T_BATCH:
		return "batch";
	case MSG_T_FILE_END:
		return "file_end";
	case MSG_T_ACK:
		return "ack";
	case MSG_T_EVENTS:
		return "events";
	case MSG_T_FILE_DONE:
		return "file_done";
	case MSG_T_CTL_REQ:
		return "ctl_req";
	case MSG_T_CTL_REP:
		return "ctl_rep";
	case MSG_T_SUMMARY:
		return "summary";
	default:
		return "unknown";
	}
}
