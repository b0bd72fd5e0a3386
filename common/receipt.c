/* receipt - write the receipt of a dropped file (see receipt.h). */
#include "receipt.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

/* s_clean - a copy of a name taken from the file system, fit to print: bytes
 * that are not UTF-8 become U+FFFD, and with for_text control characters
 * become '?' (JSON escapes them itself). malloc'd; NULL stays NULL. */
static char *
s_clean(const char *s, int for_text)
{
	size_t len, w = 0;
	char *out;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	if ((out = xmalloc(len * 3 + 1)) == NULL)
		return NULL;
	for (size_t r = 0; r < len;) {
		utf8proc_int32_t c;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + r, (utf8proc_ssize_t)(len - r), &c);

		if (n <= 0) {
			memcpy(out + w, "\xEF\xBF\xBD", 3);
			w += 3;
			r++;
			continue;
		}
		if (for_text && (c < 0x20 || c == 0x7f)) {
			out[w++] = '?';
		} else {
			memcpy(out + w, s + r, (size_t)n);
			w += (size_t)n;
		}
		r += (size_t)n;
	}
	out[w] = '\0';
	return out;
}

/* s_stamp - UTC time from microseconds, for names and texts. */
static void
s_stamp(char *buf, size_t size, int64_t us, int for_name)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	if (for_name)
		snprintf(buf, size, "%04d%02d%02dT%02d%02d%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)(us % 1000000));
	else
		snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* receipt_name_stamp - the time stamp that starts a receipt's file names. */
void
receipt_name_stamp(char *buf, size_t size, int64_t us)
{
	s_stamp(buf, size, us, 1);
}

/* receipt_json - the receipt as one JSON object. */
void
receipt_json(sb_t *b, const receipt_t *r)
{
	char when[32], *file = s_clean(r->file, 0), *earlier = s_clean(r->repeat_of, 0);
	char *enc = s_clean(r->encoding, 0), *likely = s_clean(r->encoding_likely, 0);

	s_stamp(when, sizeof(when), r->received_at, 0);
	sb_add(b, "{\n  \"file\": ");
	sb_json_str(b, file);
	sb_add(b, ",\n  \"agency\": ");
	sb_json_str(b, r->agency);
	sb_add(b, ",\n  \"type\": ");
	sb_json_str(b, r->type);
	sb_add(b, ",\n  \"sha256\": ");
	sb_json_str(b, r->sha256);
	sb_add(b, ",\n  \"status\": ");
	sb_json_str(b, r->status);
	sb_add(b, ",\n  \"received_at\": ");
	sb_json_str(b, when);
	if (earlier != NULL) {
		sb_add(b, ",\n  \"repeat_of\": ");
		sb_json_str(b, earlier);
	}
	if (enc != NULL) {
		sb_add(b, ",\n  \"encoding\": ");
		sb_json_str(b, enc);
	}
	if (likely != NULL) {
		sb_add(b, ",\n  \"encoding_likely\": ");
		sb_json_str(b, likely);
	}
	sb_addf(b, ",\n  \"rows_read\": %llu,\n  \"rows_applied\": %llu,\n  \"rows_rejected\": %llu,"
	    "\n  \"rows_duplicate\": %llu,\n  \"unknown_columns\": [",
	    (unsigned long long)r->rows_read, (unsigned long long)r->rows_applied,
	    (unsigned long long)r->rows_rejected, (unsigned long long)r->rows_duplicate);
	for (int i = 0; i < r->nunknown; i++) {
		sb_add(b, i ? ", " : "");
		sb_json_str(b, r->unknown_columns[i]);
	}
	sb_add(b, "],\n  \"errors\": [");
	for (uint64_t i = 0; i < r->nerrors; i++) {
		const receipt_error_t *e = &r->errors[i];

		sb_addf(b, "%s\n    {\"line\": %llu, \"field\": ", i ? "," : "", (unsigned long long)e->line);
		sb_json_str(b, e->field);
		sb_add(b, ", \"code\": ");
		sb_json_str(b, e->code);
		sb_add(b, ", \"message_vi\": ");
		sb_json_str(b, e->message_vi);
		sb_add(b, ", \"message_en\": ");
		sb_json_str(b, e->message_en);
		sb_add(b, "}");
	}
	sb_add(b, r->nerrors ? "\n  ]\n}\n" : "]\n}\n");
	free(file);
	free(earlier);
	free(enc);
	free(likely);
}

/* receipt_text - the readable twin, Vietnamese first. */
void
receipt_text(sb_t *b, const receipt_t *r)
{
	static const struct { const char *status, *vi; } names[] = {
		{ "applied", "đã áp dụng" }, { "rejected", "bị từ chối" }, { "repeat", "trùng lặp" }
	};
	const char *vi = r->status;
	char when[32], *file = s_clean(r->file, 1), *earlier = s_clean(r->repeat_of, 1);
	char *enc = s_clean(r->encoding, 1), *likely = s_clean(r->encoding_likely, 1);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].status, r->status) == 0)
			vi = names[i].vi;
	s_stamp(when, sizeof(when), r->received_at, 0);
	sb_addf(b, "Biên nhận tệp / File receipt\n"
	    "Tệp / File:            %s\n"
	    "Cơ quan / Agency:      %s\n"
	    "Loại / Type:           %s\n"
	    "Nhận lúc / Received:   %s\n"
	    "SHA-256:               %s\n"
	    "Kết quả / Status:      %s (%s)\n",
	    file ? file : "", r->agency, r->type ? r->type : "-", when, r->sha256 ? r->sha256 : "-", vi, r->status);
	if (earlier != NULL)
		sb_addf(b, "Trùng với / Repeats:   %s\n", earlier);
	if (enc != NULL)
		sb_addf(b, "Bảng mã / Encoding:    %s\n", enc);
	if (likely != NULL)
		sb_addf(b, "Bảng mã của tệp có lẽ là / Likely encoding: %s\n", likely);
	sb_addf(b, "Số dòng đọc / Rows read:          %llu\n"
	    "Số dòng áp dụng / Rows applied:   %llu\n"
	    "Số dòng từ chối / Rows rejected:  %llu (trùng khóa / duplicates: %llu)\n",
	    (unsigned long long)r->rows_read, (unsigned long long)r->rows_applied,
	    (unsigned long long)r->rows_rejected, (unsigned long long)r->rows_duplicate);
	if (r->nunknown > 0) {
		sb_add(b, "Cột không dùng / Unknown columns:  ");
		for (int i = 0; i < r->nunknown; i++) {
			char *col = s_clean(r->unknown_columns[i], 1); /* a clerk's terminal shows this text */

			sb_addf(b, "%s%s", i ? ", " : "", col != NULL ? col : "");
			free(col);
		}
		sb_add(b, "\n");
	}
	if (r->nerrors > 0)
		sb_add(b, "\nLỗi / Errors:\n");
	for (uint64_t i = 0; i < r->nerrors; i++) {
		const receipt_error_t *e = &r->errors[i];

		if (e->line > 0)
			sb_addf(b, "  dòng/line %llu", (unsigned long long)e->line);
		else
			sb_add(b, "  tệp/file");
		sb_addf(b, ", %s%s%s: %s\n      %s\n", e->field ? e->field : "", e->field ? " " : "",
		    e->code, e->message_vi ? e->message_vi : "", e->message_en ? e->message_en : "");
	}
	free(file);
	free(earlier);
	free(enc);
	free(likely);
}

/* s_safe_name - file name with '/' and control characters
 * replaced, cut at a character boundary to at most 180 bytes. */
static void
s_safe_name(char *out, size_t size, const char *name)
{
	size_t i = 0, keep = fs_name_prefix(name, size - 1 < 180 ? size - 1 : 180);

	for (; i < keep; name++)
		out[i++] = (*name == '/' || (unsigned char)*name < 0x20 || *name == 0x7f) ? '_' : *name;
	out[i] = '\0';
}

/* s_agency_ok - an agency id fit to name a folder: [a-z0-9_-]+ (as the
 * configuration requires), never "." or "..". */
static int
s_agency_ok(const char *a)
{
	size_t n = a != NULL ? strlen(a) : 0;

	return n > 0 && n <= 64 && strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* receipt_write_rendered - text then JSON, each atomically, named by time and file name,
 * so that a reader waiting for the JSON finds the text too. */
int
receipt_write_rendered(const char *var_dir, const char *agency, const char *file, int64_t received_at,
    const char *json, const char *text, char *path_out, size_t path_size)
{
	char dir[4096], base[256], stamp[64], path[4700];

	if (path_out != NULL && path_size > 0)
		path_out[0] = '\0';
	if (!s_agency_ok(agency)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/spool/outbox/%s", var_dir, agency);
	s_stamp(stamp, sizeof(stamp), received_at, 1);
	s_safe_name(base, sizeof(base), file);
	snprintf(path, sizeof(path), "%s/%s-%s.json", dir, stamp, base);
	if (path_out != NULL)
		snprintf(path_out, path_size, "%s", path);
	if (fs_mkdirs(dir) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s-%s.txt", dir, stamp, base);
	if (fs_write_atomic(path, text, strlen(text)) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s-%s.json", dir, stamp, base);
	return fs_write_atomic(path, json, strlen(json));
}

/* receipt_write - render and write both files. */
int
receipt_write(const char *var_dir, const receipt_t *r, char *path_out, size_t path_size)
{
	sb_t j, t;
	int rc;

	sb_init(&j);
	sb_init(&t);
	receipt_json(&j, r);
	receipt_text(&t, r);
	rc = receipt_write_rendered(var_dir, r->agency, r->file, r->received_at, j.data, t.data, path_out, path_size);
	sb_free(&j);
	sb_free(&t);
	return rc;
}

#define FIT_JSON_MARK "\n    {\"line\": "

/* s_count - occurrences of mark in s from p on. */
static uint64_t
s_count(const char *p, const char *mark)
{
	uint64_t n = 0;

	while ((p = strstr(p, mark)) != NULL) {
		n++;
		p += strlen(mark);
	}
	return n;
}

/* s_fit_json - cut the errors array of a rendered JSON receipt so that it
 * takes at most max bytes, and say how many errors were left out. Errors
 * are the last member and each starts on a line of its own, which no string
 * inside can hold (JSON escapes newlines). */
static void
s_fit_json(sb_t *b, size_t max)
{
	char tail[160];
	size_t cut = 0;
	uint64_t omitted;
	sb_t n;

	for (const char *p = strstr(b->data, FIT_JSON_MARK); p != NULL; p = strstr(p + 1, FIT_JSON_MARK)) {
		if ((size_t)(p - b->data) + sizeof(tail) > max)
			break;
		cut = (size_t)(p - b->data);
	}
	sb_init(&n);
	if (cut == 0) {
		/* not even the head fits (or no error is listed): only the note */
		sb_addf(&n, "{\n  \"truncated\": true,\n  \"errors_omitted\": %llu,\n  \"note\": \"the receipt was too"
		    " large to send\"\n}\n", (unsigned long long)s_count(b->data, FIT_JSON_MARK));
	} else {
		omitted = s_count(b->data + cut, FIT_JSON_MARK);
		if (b->data[cut - 1] == ',')
			cut--;
		sb_addn(&n, b->data, cut);
		snprintf(tail, sizeof(tail), "\n  ],\n  \"truncated\": true,\n  \"errors_omitted\": %llu\n}\n",
		    (unsigned long long)omitted);
		sb_add(&n, tail);
	}
	sb_free(b);
	*b = n;
}

/* s_fit_text - cut a rendered text receipt at a line so that it takes at
 * most max bytes, with a last line saying how many errors were left out. */
static void
s_fit_text(sb_t *b, size_t max)
{
	static const char *const marks[] = { "\n  dòng/line ", "\n  tệp/file" };
	char tail[400];
	size_t cut = 0;
	uint64_t omitted = 0;
	sb_t n;

	for (const char *p = strchr(b->data, '\n'); p != NULL; p = strchr(p + 1, '\n')) {
		if ((size_t)(p - b->data) + sizeof(tail) > max)
			break;
		cut = (size_t)(p - b->data);
	}
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		omitted += s_count(b->data + cut, marks[i]);
	snprintf(tail, sizeof(tail), "\n  ... %llu lỗi nữa không được liệt kê: biên nhận quá lớn để gửi\n"
	    "      %llu more errors not listed: the receipt was too large to send\n",
	    (unsigned long long)omitted, (unsigned long long)omitted);
	sb_init(&n);
	sb_addn(&n, b->data, cut);
	sb_add(&n, tail);
	sb_free(b);
	*b = n;
}

/* receipt_fit - make a rendered receipt fit in max bytes (JSON and text
 * together), cutting the list of errors of each; 1 if it was cut, else 0. */
int
receipt_fit(sb_t *json, sb_t *text, size_t max)
{
	if (json->len + text->len <= max)
		return 0;
	if (json->len > max / 2)
		s_fit_json(json, max / 2);
	if (text->len > max / 2)
		s_fit_text(text, max / 2);
	return 1;
}
