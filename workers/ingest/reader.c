/* reader - map a file's header to its record type's fields and turn its rows
 * into batches: each cell converted to UTF-8 NFC, each malformed row kept
 * as an error row with its line, so the receipt can name it. */
#include "ingest.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BATCH_MAX_BYTES (8u * 1024u * 1024u) /* well under MSG_MAX_SIZE */

static const char *const SQL_PROGRESS = "UPDATE files SET rows_done = ?, nbatches = ? WHERE id = ?";
static const char *const SQL_SENT = "UPDATE files SET rows_done = ?, nbatches = ?, status = 'sent' WHERE id = ?";

/* s_match_column - the field a folded header name means, or -1. */
static int
s_match_column(const cfg_rtype_t *rt, const char *folded)
{
	for (int i = 0; i < rt->nfields; i++)
		for (int j = 0; j < rt->fields[i].nfolded; j++)
			if (strcmp(rt->fields[i].folded[j], folded) == 0)
				return i;
	return -1;
}

/* s_header_fail - whole-file refusal messages. */
static int
s_header_fail(const char **code, const char *c, char *vi, char *en, size_t msz, const char *fvi,
    const char *fen, const char *arg)
{
	*code = c;
	snprintf(vi, msz, fvi, arg);
	snprintf(en, msz, fen, arg);
	return -1;
}

/* S_RESAVE_VI / S_RESAVE_EN - how a clerk saves a file as CSV UTF-8. */
#define S_RESAVE_VI "hãy mở tệp bằng Excel, chọn File → Save As (Tệp → Lưu như), " \
	"kiểu \"CSV UTF-8 (Comma delimited)\", rồi gửi lại"
#define S_RESAVE_EN "open it in Excel, choose File → Save As, type \"CSV UTF-8 (Comma delimited)\", " \
	"and send it again"

/* s_choose_encoding - decide the encoding of f from its first bytes and the
 * agency's declared one (text_choose) into f->encoding; 0, or -1 with a
 * whole-file code: E_FILE_ENCODING (f->likely names the encoding the file
 * most likely is in) or E_FILE_UNREADABLE. */
static int
s_choose_encoding(ingest_file_t *f, const char **code, char *vi, char *en, size_t msz)
{
	const char *declared = text_encoding_canonical(f->agency->encoding);
	char *sample = xmalloc(TEXT_SAMPLE_BYTES);
	text_choice_t ch;
	size_t n = 0;
	int rc = -1;

	if (sample == NULL || declared == NULL)
		goto unreadable;
	while (n < TEXT_SAMPLE_BYTES) {
		ssize_t r = pread(f->fd, sample + n, TEXT_SAMPLE_BYTES - n, (off_t)n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto unreadable;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (text_choose(declared, sample, n, n == TEXT_SAMPLE_BYTES, &ch) != 0)
		goto unreadable;
	if (ch.encoding == NULL) {
		f->likely = ch.likely;
		*code = "E_FILE_ENCODING";
		if (strcmp(declared, "UTF-8") == 0) {
			snprintf(vi, msz, "tệp không phải UTF-8: có lẽ được lưu bằng bảng mã %s; " S_RESAVE_VI, ch.likely);
			snprintf(en, msz, "the file is not UTF-8: it was most likely saved in %s; " S_RESAVE_EN, ch.likely);
		} else {
			snprintf(vi, msz, "tệp không phải UTF-8, cũng không đọc được bằng bảng mã %s đã khai báo cho cơ quan: "
			    "có lẽ được lưu bằng bảng mã %s; " S_RESAVE_VI, declared, ch.likely);
			snprintf(en, msz, "the file is neither UTF-8 nor in %s, the agency's declared encoding: it was most "
			    "likely saved in %s; " S_RESAVE_EN, declared, ch.likely);
		}
		goto out;
	}
	f->encoding = ch.encoding;
	rc = 0;
	goto out;
unreadable:
	*code = "E_FILE_UNREADABLE";
	snprintf(vi, msz, "không đọc được tệp (%s)", strerror(errno));
	snprintf(en, msz, "cannot read the file (%s)", strerror(errno));
out:
	free(sample);
	return rc;
}

/* s_header_fold - the folded key of a header cell, or NULL. A workbook
 * cell filled from a merged area repeating the cell on its left (a title
 * spread over several columns) names no column of its own. */
static char *
s_header_fold(ingest_file_t *f, const csv_row_t *row, size_t i, char **utf8)
{
	char *folded;

	if (f->wb != NULL && i > 0 && wb_cell(f->wb, i).merged && strcmp(row->fields[i], row->fields[i - 1]) == 0)
		return xstrdup("");
	if (text_to_utf8_nfc(f->conv, row->fields[i], row->lens[i], utf8) != 0)
		return NULL;
	folded = text_fold_key(*utf8);
	return folded != NULL ? folded : xstrdup("");
}

/* s_map_header - map row as the header: f->ncols, f->colmap, f->unknown,
 * f->headings (the clerk's heading of each field's column). 0, or -1 with
 * the refusal in code/vi/en; *nmissing counts the required fields it lacks. */
static int
s_map_header(ingest_file_t *f, const csv_row_t *row, const char **code, char *vi, char *en, size_t msz,
    int *nmissing)
{
	const cfg_rtype_t *rt = f->rtype;
	char *seen = xcalloc((size_t)rt->nfields, 1), missing[1024] = "";
	int rc = -1;

	*nmissing = 0;
	f->ncols = row->nfields;
	f->colmap = xcalloc(row->nfields ? row->nfields : 1, sizeof(int));
	f->headings = xcalloc((size_t)rt->nfields + 1, sizeof(char *));
	for (size_t i = 0; i < row->nfields; i++) {
		char *utf8 = NULL, *folded = s_header_fold(f, row, i, &utf8);
		int fi;

		if (folded == NULL) {
			*code = "E_HEADER_ENCODING";
			snprintf(vi, msz, "dòng tiêu đề có byte không hợp lệ trong bảng mã %s (cột %zu); nếu tệp được lưu bằng "
			    "bảng mã khác, " S_RESAVE_VI, f->encoding ? f->encoding : "UTF-8", i + 1);
			snprintf(en, msz, "the header row has bytes invalid in %s (column %zu); if the file was saved in "
			    "another encoding, " S_RESAVE_EN, f->encoding ? f->encoding : "UTF-8", i + 1);
			free(utf8);
			goto out;
		}
		fi = folded[0] != '\0' ? s_match_column(rt, folded) : -1;
		if (fi >= 0 && seen[fi]) {
			*code = "E_HEADER_DUPLICATE_COLUMN";
			snprintf(vi, msz, "cột \"%.100s\" và cột \"%.100s\" cùng chỉ trường %s; chỉ giữ một cột",
			    f->headings[fi], utf8, rt->fields[fi].name);
			snprintf(en, msz, "columns \"%.100s\" and \"%.100s\" both mean field %s; keep one of them",
			    f->headings[fi], utf8, rt->fields[fi].name);
			free(folded);
			free(utf8);
			goto out;
		}
		f->colmap[i] = fi;
		if (fi >= 0) {
			seen[fi] = 1;
			f->headings[fi] = utf8;
		} else if (folded[0] == '\0' && f->wb != NULL) {
			free(utf8); /* an empty or repeated workbook cell: no column */
		} else {
			f->unknown = xrealloc(f->unknown, sizeof(char *) * (size_t)(f->nunknown + 1));
			f->unknown[f->nunknown++] = utf8 != NULL ? utf8 : xstrdup("");
		}
		free(folded);
	}
	for (int i = 0; i < rt->nfields; i++) {
		if (seen[i] || !rt->fields[i].required)
			continue;
		(*nmissing)++;
		if (rt->fields[i].naliases > 0)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s (\"%s\")",
			    missing[0] ? ", " : "", rt->fields[i].name, rt->fields[i].aliases[0]);
		else
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
			    missing[0] ? ", " : "", rt->fields[i].name);
	}
	if (missing[0]) {
		s_header_fail(code, "E_HEADER_MISSING_COLUMN", vi, en, msz,
		    "thiếu cột bắt buộc: %s; các tên cột được nhận và cột gần giống nhất ở dưới",
		    "required columns missing: %s; the headings accepted and the closest columns are below", missing);
		goto out;
	}
	rc = 0;
out:
	free(seen);
	return rc;
}

/* s_forget_header - undo s_map_header (a workbook row that was not the header). */
static void
s_forget_header(ingest_file_t *f)
{
	for (int i = 0; i < f->nunknown; i++)
		free(f->unknown[i]);
	free(f->unknown);
	f->unknown = NULL;
	f->nunknown = 0;
	free(f->colmap);
	f->colmap = NULL;
	f->ncols = 0;
	for (int i = 0; f->headings != NULL && i < f->rtype->nfields; i++)
		free(f->headings[i]);
	free(f->headings);
	f->headings = NULL;
}

/* s_workbook_header - open the workbook (the sheet named after the record
 * type, else the first) and find the header: the first of the first
 * INGEST_HEADER_SCAN rows holding every required column. Rows above it (a
 * title block) are skipped; if none qualifies, the refusal is the one of
 * the row that came closest. */
static int
s_workbook_header(ingest_file_t *f, const char **code, char *vi, char *en, size_t msz)
{
	char bvi[1200] = "", ben[1200] = "";
	const char *err = NULL, *bcode = NULL, *wvi, *wen;
	int best = -1;
	csv_row_t row;

	f->encoding = NULL; /* a workbook holds Unicode whatever the agency's CSV encoding: no encoding to name */
	f->conv = text_conv_new("UTF-8");
	f->wb = wb_open(f->fd, f->rtype->name, WB_FILL_MERGED | WB_SHEET_OR_FIRST, NULL, &err);
	if (f->wb == NULL || f->conv == NULL) {
		wb_error_text(err != NULL ? err : "", &wvi, &wen);
		*code = err != NULL ? err : "E_FILE_UNREADABLE";
		snprintf(vi, msz, "%s", wvi);
		snprintf(en, msz, "%s", wen);
		return -1;
	}
	for (int n = 0; n < INGEST_HEADER_SCAN; n++) {
		int rc = wb_next(f->wb, &row), nmissing;

		if (rc < 0) {
			wb_error_text(wb_error(f->wb), &wvi, &wen);
			*code = wb_error(f->wb);
			snprintf(vi, msz, "%s", wvi);
			snprintf(en, msz, "%s", wen);
			return -1;
		}
		if (rc == 0)
			break;
		if (row.err != NULL)
			continue;
		if (s_map_header(f, &row, code, vi, en, msz, &nmissing) == 0) {
			*code = NULL; /* the caller refuses on a code, not on the result */
			return 0;
		}
		if (strcmp(*code, "E_HEADER_MISSING_COLUMN") != 0 || best < 0 || nmissing < best) {
			bcode = *code;
			best = strcmp(*code, "E_HEADER_MISSING_COLUMN") == 0 ? nmissing : 1000;
			snprintf(bvi, sizeof(bvi), "%s (dòng %lu)", vi, row.line);
			snprintf(ben, sizeof(ben), "%s (row %lu)", en, row.line);
		}
		s_forget_header(f);
	}
	if (bcode == NULL)
		return s_header_fail(code, "E_FILE_EMPTY", vi, en, msz, "bảng tính rỗng: cần có dòng tiêu đề%s",
		    "the sheet is empty: a header row is required%s", "");
	*code = bcode;
	snprintf(vi, msz, "%s", bvi);
	snprintf(en, msz, "%s", ben);
	return -1;
}

/* s_is_workbook - the file starts like a zip or an OLE2 file. */
static int
s_is_workbook(int fd)
{
	unsigned char head[8];
	ssize_t n = pread(fd, head, sizeof(head), 0);

	return n > 0 && wb_is_workbook(head, (size_t)n);
}

/* ingest_open_header - open the reader (CSV, or a workbook told by its
 * first bytes), decide a CSV file's encoding (a file taken anew; a
 * workbook holds Unicode) and map the header row. */
int
ingest_open_header(ingest_file_t *f, const char **code, char *vi, char *en, size_t msz)
{
	csv_row_t row;
	int nmissing;

	if (s_is_workbook(f->fd))
		return s_workbook_header(f, code, vi, en, msz);
	if (f->encoding == NULL && s_choose_encoding(f, code, vi, en, msz) != 0)
		return -1;
	f->conv = text_conv_new(f->encoding);
	f->csv = csv_new(f->fd, NULL);
	if (f->conv == NULL || f->csv == NULL)
		return s_header_fail(code, "E_FILE_UNREADABLE", vi, en, msz, "không đọc được tệp%s",
		    "cannot read the file%s", "");
	if (csv_next(f->csv, &row) != 1)
		return s_header_fail(code, "E_FILE_EMPTY", vi, en, msz, "tệp rỗng: cần có dòng tiêu đề%s",
		    "the file is empty: a header row is required%s", "");
	if (row.err != NULL)
		return s_header_fail(code, "E_HEADER_UNREADABLE", vi, en, msz, "dòng tiêu đề không đọc được (%s)",
		    "the header row cannot be read (%s)", row.err);
	return s_map_header(f, &row, code, vi, en, msz, &nmissing);
}

/* ingest_next_row - see ingest.h. */
int
ingest_next_row(ingest_file_t *f, csv_row_t *row)
{
	int rc;

	if (f->csv != NULL)
		return csv_next(f->csv, row);
	rc = wb_next(f->wb, row);
	return rc < 0 ? -2 : rc;
}

/* ingest_close_current - release the current file. */
void
ingest_close_current(ingest_t *in)
{
	ingest_file_t *f = in->cur;

	if (f == NULL)
		return;
	csv_destroy(&f->csv);
	wb_destroy(&f->wb);
	text_conv_destroy(&f->conv);
	if (f->fd >= 0)
		close(f->fd);
	for (int i = 0; i < f->nunknown; i++)
		free(f->unknown[i]);
	free(f->unknown);
	for (int i = 0; f->headings != NULL && i < f->rtype->nfields; i++)
		free(f->headings[i]);
	free(f->headings);
	free(f->colmap);
	free(f->name);
	free(f->path);
	free(f);
	in->cur = NULL;
}

/* s_row_error - mark a row rejected with bilingual messages. */
static void
s_row_error(msg_row_t *r, const char *code, const char *field, const char *vi, const char *en)
{
	r->err_code = xstrdup(code);
	r->err_field = field ? xstrdup(field) : NULL;
	r->err_vi = xstrdup(vi);
	r->err_en = xstrdup(en);
}

/* s_csv_error - the clerk's words for a reader error code. */
static void
s_csv_error(msg_row_t *r, const char *code)
{
	static const struct { const char *code, *vi, *en; } t[] = {
		{ "E_CSV_UNTERMINATED_QUOTE", "dấu ngoặc kép mở nhưng không đóng đến hết tệp",
		  "a quote is opened and never closed before the end of the file" },
		{ "E_CSV_FIELD_TOO_LONG", "một ô dài quá 1 MiB", "a cell is longer than 1 MiB" },
		{ "E_CSV_RECORD_TOO_LONG", "dòng dài quá 4 MiB", "the row is longer than 4 MiB" },
		{ "E_CSV_TOO_MANY_FIELDS", "dòng có quá nhiều cột", "the row has too many columns" },
		{ "E_CSV_NUL_BYTE", "dòng chứa byte NUL (tệp nhị phân?)", "the row holds a NUL byte (a binary file?)" },
		{ "E_CSV_BAD_QUOTE", "có ký tự sau dấu ngoặc kép đóng; ô có dấu ngoặc kép phải được bao trọn",
		  "text follows a closing quote; a quoted cell must be quoted whole" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].code, code) == 0) {
			s_row_error(r, code, NULL, t[i].vi, t[i].en);
			return;
		}
	if (strncmp(code, WB_E_PREFIX, strlen(WB_E_PREFIX)) == 0) {
		const char *vi, *en;

		wb_error_text(code, &vi, &en);
		s_row_error(r, code, NULL, vi, en);
		return;
	}
	s_row_error(r, code, NULL, "dòng không đúng định dạng CSV", "the row is not valid CSV");
}

/* s_id_width - the fixed number of digits of an identifier type whose codes
 * may begin with 0 (tax code, social insurance number, citizen ID), else 0:
 * a unit code is 3 to 12 characters, so zeros a spreadsheet dropped from it
 * cannot be told. */
static size_t
s_id_width(cfg_ftype_t type)
{
	switch (type) {
	case FT_TAX_CODE: return 10;
	case FT_INSURANCE_NO: return 10;
	case FT_CITIZEN_ID: return 12;
	default: return 0;
	}
}

/* s_restore_zeros - a workbook cell holding a number (not a date) in a column
 * of an identifier type of fixed width: the digits with the leading zeros
 * the spreadsheet dropped put back (300588569 -> 0300588569) into out, and
 * 1; 0 when the cell is left as it is (text, a date, not whole digits, or
 * already as long). */
static int
s_restore_zeros(const ingest_file_t *f, size_t col, cfg_ftype_t type, const char *cell, size_t len,
    char *out, size_t outsz)
{
	size_t width = s_id_width(type);
	wb_cell_t c;

	if (width == 0 || len == 0 || len >= width || width >= outsz)
		return 0;
	c = wb_cell(f->wb, col);
	if (c.type != WB_NUMBER || c.is_date)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (cell[i] < '0' || cell[i] > '9')
			return 0;
	memset(out, '0', width - len);
	memcpy(out + width - len, cell, len);
	out[width] = '\0';
	return 1;
}

/* s_fill_row - convert one CSV row into r; returns bytes used. */
static size_t
s_fill_row(ingest_file_t *f, const csv_row_t *row, msg_row_t *r)
{
	const cfg_rtype_t *rt = f->rtype;
	size_t bytes = 64;

	r->line = (uint32_t)row->line;
	if (row->err != NULL) {
		s_csv_error(r, row->err);
		return bytes;
	}
	if (row->nfields != f->ncols && !(f->wb != NULL && row->nfields < f->ncols)) {
		char vi[160], en[160];

		snprintf(vi, sizeof(vi), "dòng có %zu cột, dòng tiêu đề có %zu", row->nfields, f->ncols);
		snprintf(en, sizeof(en), "the row has %zu columns, the header has %zu", row->nfields, f->ncols);
		s_row_error(r, "E_CSV_FIELD_COUNT", NULL, vi, en);
		return bytes;
	}
	r->nvalues = (uint32_t)rt->nfields;
	r->values = xcalloc((size_t)rt->nfields, sizeof(char *));
	for (size_t i = 0; i < row->nfields && i < f->ncols; i++) {
		int fi = f->colmap[i];
		const char *cell = row->fields[i];
		size_t len = row->lens[i];
		char date[11], digits[16], *v = NULL;

		if (fi < 0)
			continue;
		if (f->wb != NULL && wb_date_text(f->wb, i, cell, date) == 0) { /* a date serial: the day it means */
			cell = date;
			len = strlen(date);
		} else if (f->wb != NULL && s_restore_zeros(f, i, rt->fields[fi].type, cell, len, digits, sizeof(digits))) {
			cell = digits;
			len = strlen(digits);
		}
		if (text_to_utf8_nfc(f->conv, cell, len, &v) != 0) {
			const char *enc = f->encoding != NULL ? f->encoding : "UTF-8";
			char vi[300], en[300];

			snprintf(vi, sizeof(vi), "ô có byte không hợp lệ trong bảng mã %s, bảng mã đọc tệp này (chọn theo "
			    "%u KiB đầu của tệp); hãy lưu tệp dạng CSV UTF-8", enc, TEXT_SAMPLE_BYTES / 1024);
			snprintf(en, sizeof(en), "the cell has bytes invalid in %s, the encoding this file is read in (chosen "
			    "from its first %u KiB); save the file as CSV UTF-8", enc, TEXT_SAMPLE_BYTES / 1024);
			if (r->err_code == NULL) {
				s_row_error(r, "E_ENCODING", rt->fields[fi].name, vi, en);
			} else if (r->nmore < MSG_ROW_MAX_MORE) { /* every bad cell of the row, up to the limit */
				if (r->more == NULL)
					r->more = xcalloc(MSG_ROW_MAX_MORE, sizeof(msg_err_t));
				r->more[r->nmore++] = (msg_err_t){ .code = xstrdup("E_ENCODING"),
					.field = xstrdup(rt->fields[fi].name), .vi = xstrdup(vi), .en = xstrdup(en) };
			}
			continue;
		}
		r->values[fi] = v;
		bytes += row->lens[i] + 8;
	}
	for (int i = 0; i < rt->nfields; i++)
		if (r->values[i] == NULL)
			r->values[i] = xstrdup("");
	if (r->err_code != NULL) { /* an invalid cell: send no values at all */
		for (uint32_t i = 0; i < r->nvalues; i++)
			free(r->values[i]);
		free(r->values);
		r->values = NULL;
		r->nvalues = 0;
	}
	return bytes;
}

/* s_progress - VAR/run/ingest.progress for `bhxhctl submit --wait`. */
static void
s_progress(ingest_t *in, int done)
{
	ingest_file_t *f = in->cur;
	int64_t now = now_ms();
	char path[4200];
	sb_t b;

	if (!done && now - f->last_progress < 500)
		return;
	f->last_progress = now;
	sb_init(&b);
	sb_add(&b, "{\"agency\":");
	sb_json_str(&b, f->agency->id);
	sb_add(&b, ",\"file\":");
	sb_json_str(&b, f->name);
	sb_addf(&b, ",\"sha256\":\"%s\",\"rows\":%llu,\"bytes\":%llu,\"size\":%lld,\"done\":%d}\n", f->sha,
	    (unsigned long long)f->rows_done, f->csv ? csv_bytes_read(f->csv) : 0ULL, (long long)f->size, done);
	snprintf(path, sizeof(path), "%s/run/ingest.progress", in->w->var_dir);
	fs_replace(path, b.data, b.len); /* progress: no need to survive a power cut */
	sb_free(&b);
}

/* ingest_changed - the file is no longer what was taken: another size or
 * modification time than when it was hashed (a writer still at work after
 * its rename). Its rows would match neither the hash nor the archive. */
int
ingest_changed(const ingest_file_t *f)
{
	struct stat st;

	if (f->fd < 0 || fstat(f->fd, &st) != 0)
		return 1;
	if (f->size >= 0 && st.st_size != f->size)
		return 1;
	return f->mtime_ns >= 0 && (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec != f->mtime_ns;
}

/* s_put_end - the FILE_END message of the current file; with abort_code the
 * aggregate rejects the file whole (nothing of it is applied). */
static int
s_put_end(ingest_t *in, const char *abort_code)
{
	ingest_file_t *f = in->cur;
	msg_t m = { .version = MSG_VERSION, .type = MSG_T_FILE_END };
	char **pairs = xcalloc((size_t)f->rtype->nfields * 2 + 1, sizeof(char *));
	uint32_t npairs = 0;
	int rc;

	for (int i = 0; f->headings != NULL && i < f->rtype->nfields; i++)
		if (f->headings[i] != NULL) {
			pairs[npairs++] = f->rtype->fields[i].name;
			pairs[npairs++] = f->headings[i];
		}
	m.u.end = (msg_file_end_t){ .file_id = f->sha, .file_no = (uint64_t)f->row_id, .agency = f->agency->id, .rtype = f->rtype->name,
		.name = f->name, .received_at = f->received_at, .nbatches = f->nbatches,
		.rows_read = f->rows_done, .nunknown = (uint32_t)f->nunknown, .unknown_columns = f->unknown,
		.abort_code = (char *)abort_code, .encoding = (char *)f->encoding, .nheadings = npairs,
		.headings = pairs, .dry_run = (uint8_t)(f->dry != 0) };
	rc = outbox_put(in->w->outbox, &m);
	free(pairs);
	return rc;
}

/* ingest_abort_current - the current file cannot be read on (it changed,
 * shrank or vanished while the worker was down): end it after the batches
 * already sent with an abort code, so the aggregate rejects it whole and the
 * agency gets a receipt, and archive it. */
void
ingest_abort_current(ingest_t *in, const char *why)
{
	ingest_abort_current_code(in, "E_FILE_CHANGED", why);
}

/* ingest_abort_current_code - see ingest.h. */
void
ingest_abort_current_code(ingest_t *in, const char *code, const char *why)
{
	ingest_file_t *f = in->cur;
	sqlite3_stmt *st;

	if (store_begin(in->w->store) != 0)
		goto fail;
	if (s_put_end(in, code) != 0 ||
	    (st = store_stmt(in->w->store, SQL_SENT)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)f->rows_done);
	sqlite3_bind_int64(st, 2, f->nbatches);
	sqlite3_bind_int64(st, 3, f->row_id);
	if (store_step_done(in->w->store, st) != 0 || store_commit(in->w->store) != 0)
		goto fail;
	log_warn("%s/%s: %s; it is rejected whole", f->agency->id, f->name, why);
	ingest_archive(in, f->row_id, f->agency->id, f->path, f->name, f->received_at, f->dry);
	ingest_close_current(in);
	return;
fail:
	store_rollback(in->w->store);
	worker_error(in->w, "%s/%s: cannot record its end (%s); will try again", f->agency->id, f->name,
	    sqlite3_errstr(store_last_rc(in->w->store)));
	ingest_close_current(in);
	in->resume_due = 1;
	in->retry_ms = in->retry_ms == 0 ? 500 : (in->retry_ms >= 5000 ? 10000 : in->retry_ms * 2);
	in->retry_at = now_ms() + in->retry_ms;
}

/* ingest_step - read one batch (bounded by rows and bytes), store it with the
 * new read position in one transaction; at the end add FILE_END. */
int
ingest_step(ingest_t *in)
{
	ingest_file_t *f = in->cur;
	const cfg_rtype_t *rt = f->rtype;
	int max_rows = in->w->config->ingest.batch_rows, eof = 0, rc = -1, changed = 0;
	msg_t m = { .version = MSG_VERSION, .type = MSG_T_BATCH };
	msg_batch_t *b = &m.u.batch;
	size_t bytes = 0;
	sqlite3_stmt *st;

	b->rows = xcalloc((size_t)max_rows, sizeof(msg_row_t));
	while ((int)b->nrows < max_rows && bytes < BATCH_MAX_BYTES) {
		csv_row_t row;
		int r = ingest_next_row(f, &row);

		if (r == -2) { /* a workbook broken or over a limit half-way: rejected whole */
			char why[160];

			snprintf(why, sizeof(why), "the workbook cannot be read on (%s)", wb_error(f->wb));
			ingest_abort_current_code(in, wb_error(f->wb), why);
			in->scan_due = 1;
			rc = 0;
			goto out;
		}
		if (r < 0) {
			worker_error(in->w, "%s/%s: read error: %s", f->agency->id, f->name, strerror(errno));
			goto out;
		}
		if (r == 0) {
			eof = 1;
			break;
		}
		bytes += s_fill_row(f, &row, &b->rows[b->nrows++]);
	}
	if (eof && (changed = ingest_changed(f)) != 0)
		log_warn("%s/%s: the file changed while it was read; it is rejected whole", f->agency->id, f->name);
	if (store_begin(in->w->store) != 0)
		goto out;
	if (b->nrows > 0) {
		b->file_id = f->sha;
		b->file_no = (uint64_t)f->row_id;
		b->seq = f->nbatches;
		b->agency = f->agency->id;
		b->rtype = rt->name;
		b->nfields = (uint32_t)rt->nfields;
		b->fields = xcalloc((size_t)rt->nfields, sizeof(char *));
		for (int i = 0; i < rt->nfields; i++)
			b->fields[i] = rt->fields[i].name;
		rc = outbox_put(in->w->outbox, &m);
		free(b->fields);
		b->fields = NULL;
		if (rc != 0)
			goto rollback;
	}
	f->rows_done += b->nrows;
	f->nbatches += b->nrows > 0;
	if (eof && s_put_end(in, changed ? "E_FILE_CHANGED" : NULL) != 0)
		goto rollback;
	st = store_stmt(in->w->store, eof ? SQL_SENT : SQL_PROGRESS);
	if (st == NULL)
		goto rollback;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)f->rows_done);
	sqlite3_bind_int64(st, 2, f->nbatches);
	sqlite3_bind_int64(st, 3, f->row_id);
	if (store_step_done(in->w->store, st) != 0 || store_commit(in->w->store) != 0)
		goto rollback;
	in->rows_read += b->nrows;
	s_progress(in, eof);
	in->retry_ms = 0;
	if (eof) {
		log_info("%s/%s: %llu rows sent in %u batches", f->agency->id, f->name,
		    (unsigned long long)f->rows_done, f->nbatches);
		ingest_archive(in, f->row_id, f->agency->id, f->path, f->name, f->received_at, f->dry);
		ingest_close_current(in);
		in->scan_due = 1;
	}
	rc = eof ? 0 : 1;
	goto out;
rollback:
	store_rollback(in->w->store);
	worker_error(in->w, "%s/%s: cannot store a batch (%s); resuming from the last commit",
	    f->agency->id, f->name, sqlite3_errstr(store_last_rc(in->w->store)));
	ingest_close_current(in);
	in->resume_due = 1;
	in->retry_ms = in->retry_ms == 0 ? 500 : (in->retry_ms >= 5000 ? 10000 : in->retry_ms * 2);
	in->retry_at = now_ms() + in->retry_ms;
	rc = -1;
out:
	b->file_id = b->agency = b->rtype = NULL;
	msg_free(&m);
	return rc;
}
