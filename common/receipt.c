/* receipt - write the receipt of a dropped file (see receipt.h). */
#include "receipt.h"
#include "workbook.h"
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

/* What each code means, in a few words (docs/REJECTION_CODES.md says it at
 * length); tests/unit/test_receipt.c checks every code of that document is here. */
static const struct { const char *code, *vi, *en; } s_meanings[] = {
	{ "E_TAX_CODE_FORMAT", "mã số thuế không gồm 10 chữ số (hoặc 10 chữ số, '-' và 3 chữ số chi nhánh)",
	  "the tax code is not 10 digits (or 10 digits, '-' and a 3-digit branch)" },
	{ "E_TAX_CODE_CHECK_DIGIT", "chữ số kiểm tra (thứ 10) của mã số thuế không đúng",
	  "the check digit (10th) of the tax code is wrong" },
	{ "E_TAX_CODE_BRANCH", "mã chi nhánh sau '-' không phải 001–999", "the branch after '-' is not 001-999" },
	{ "E_INSURANCE_NO_FORMAT", "mã số BHXH không gồm đúng 10 chữ số",
	  "the social insurance number is not exactly 10 digits" },
	{ "E_CITIZEN_ID_FORMAT", "số CCCD không gồm đúng 12 chữ số", "the citizen ID is not exactly 12 digits" },
	{ "E_CITIZEN_ID_PROVINCE", "3 chữ số đầu của số CCCD không phải mã tỉnh",
	  "the first 3 digits of the citizen ID are not a province code" },
	{ "E_UNIT_CODE_FORMAT", "mã đơn vị không gồm 3–12 chữ cái A–Z hoặc chữ số",
	  "the unit code is not 3-12 letters A-Z or digits" },
	{ "E_CODE_FORMAT", "mã không gồm 1–32 chữ không dấu, số, '_', '-' hoặc '.'",
	  "the code is not 1-32 of A-Z, a-z, 0-9, '_', '-', '.'" },
	{ "E_DATE_FORMAT", "ngày không viết dạng DD/MM/YYYY hoặc YYYY-MM-DD",
	  "the date is not written DD/MM/YYYY or YYYY-MM-DD" },
	{ "E_DATE_INVALID", "không có ngày này (hoặc năm ngoài 1900–2100)",
	  "no such day (or the year is outside 1900-2100)" },
	{ "E_PERIOD_FORMAT", "kỳ không phải tháng dạng MM/YYYY hoặc YYYY-MM",
	  "the period is not a month MM/YYYY or YYYY-MM" },
	{ "E_YEAR_FORMAT", "năm không gồm 4 chữ số từ 1900 đến 2100", "the year is not 4 digits from 1900 to 2100" },
	{ "E_MONEY_FORMAT", "số tiền không phải số đồng nguyên", "the amount is not whole VND" },
	{ "E_MONEY_NEGATIVE", "số tiền là số âm", "the amount is negative" },
	{ "E_INT_FORMAT", "giá trị không phải số nguyên", "the value is not a whole number" },
	{ "E_INT_RANGE", "số nằm ngoài khoảng cho phép", "the number is outside the allowed range" },
	{ "E_PCT_FORMAT", "tỷ lệ không đúng dạng số (tối đa 4 chữ số thập phân)",
	  "the percentage is not a number (at most 4 decimals)" },
	{ "E_PCT_RANGE", "tỷ lệ nằm ngoài khoảng cho phép", "the percentage is outside the allowed range" },
	{ "E_BOOL_FORMAT", "giá trị không phải có/không", "the value is not yes/no" },
	{ "E_ENUM_VALUE", "giá trị không thuộc danh sách được chấp nhận", "the value is not one of those accepted" },
	{ "E_INTERNAL", "lỗi nội bộ, không phải lỗi dữ liệu: hãy báo bộ phận vận hành",
	  "an internal error, not a data error: tell the operators" },
	{ "E_REQUIRED", "ô bắt buộc bị để trống", "a required cell is empty" },
	{ "E_STRING_TOO_LONG", "văn bản dài quá 500 byte", "the text is longer than 500 bytes" },
	{ "E_ORG_UNIT_UNKNOWN", "mã đơn vị hành chính không có trong danh mục", "the org unit code is not in the list" },
	{ "E_ORG_UNIT_NOT_LEAF", "mã là đơn vị cấp trên; cần mã cấp cơ sở",
	  "the code is a parent unit; a lowest-level unit is needed" },
	{ "E_OUT_OF_SCOPE", "đơn vị nằm ngoài địa bàn của cơ quan gửi", "the unit is outside the agency's area" },
	{ "E_RULE_VOLUNTARY_BHTN", "người tham gia tự nguyện không thể có BHTN",
	  "a voluntary participant cannot have BHTN" },
	{ "E_RULE_VOLUNTARY_UNIT", "người tham gia tự nguyện không có mã đơn vị",
	  "a voluntary participant has no unit code" },
	{ "E_RULE_COMPULSORY_UNIT", "người tham gia bắt buộc phải có mã đơn vị",
	  "a compulsory participant needs a unit code" },
	{ "E_RULE_AGENT_COMPULSORY", "chỉ người tham gia tự nguyện mới có mã đại lý thu",
	  "only voluntary participants have an agent code" },
	{ "E_RULE_BHTN_GT_INSURED", "số lao động có BHTN lớn hơn số lao động tham gia BHXH",
	  "more workers with BHTN than insured workers" },
	{ "E_RULE_ARREARS_MONTHS_NO_ARREARS", "có số tháng nợ nhưng số nợ bằng 0",
	  "months in arrears but nothing owed" },
	{ "E_RULE_BHTN_TARGET_GT_BHXH", "chỉ tiêu BHTN cao hơn chỉ tiêu BHXH", "the BHTN target exceeds the BHXH target" },
	{ "E_ROW_TOO_MANY_ERRORS", "dòng còn nhiều lỗi khác không được liệt kê",
	  "the row has more errors than are listed" },
	{ "E_DUPLICATE_KEY", "trùng khóa với một dòng trước trong tệp", "same key as an earlier row of the file" },
	{ "E_FILE_SYMLINK", "tệp gửi là liên kết tượng trưng", "the drop is a symbolic link" },
	{ "E_FILE_NOT_REGULAR", "tệp gửi không phải tệp thông thường", "the drop is not a plain file" },
	{ "E_FILE_HARDLINK", "tệp có nhiều liên kết cứng", "the file has more than one hard link" },
	{ "E_FILE_TOO_LARGE", "tệp lớn hơn giới hạn", "the file is larger than the limit" },
	{ "E_FILE_CHANGED", "tệp bị thay đổi trong khi được đọc", "the file changed while it was read" },
	{ "E_FILE_TYPE_UNKNOWN", "không xác định được loại dữ liệu từ tên tệp",
	  "the record type cannot be told from the name" },
	{ "E_FILE_TYPE_NOT_ALLOWED", "cơ quan không được gửi loại dữ liệu này",
	  "the agency may not send this record type" },
	{ "E_FILE_UNREADABLE", "không đọc được tệp", "the file cannot be read" },
	{ "E_FILE_EMPTY", "tệp rỗng: cần dòng tiêu đề", "the file is empty: a header row is needed" },
	{ "E_FILE_ENCODING", "tệp không lưu bằng bảng mã UTF-8: hãy lưu lại dạng CSV UTF-8",
	  "the file is not saved in UTF-8: save it again as CSV UTF-8" },
	{ "E_FILE_NO_VALID_ROWS", "không dòng nào hợp lệ: không áp dụng gì", "no row is valid: nothing is applied" },
	{ "E_HEADER_UNREADABLE", "dòng tiêu đề không đúng định dạng CSV", "the header row is not valid CSV" },
	{ "E_HEADER_ENCODING", "dòng tiêu đề có byte sai bảng mã", "the header row has bytes invalid in the encoding" },
	{ "E_HEADER_DUPLICATE_COLUMN", "hai cột cùng chỉ một trường", "two columns mean the same field" },
	{ "E_HEADER_MISSING_COLUMN", "thiếu cột bắt buộc", "required columns are missing" },
	{ "E_CSV_UNTERMINATED_QUOTE", "dấu ngoặc kép không được đóng", "a quote is never closed" },
	{ "E_CSV_BAD_QUOTE", "có ký tự sau dấu ngoặc kép đóng", "text follows a closing quote" },
	{ "E_CSV_FIELD_TOO_LONG", "một ô dài quá 1 MiB", "a cell is longer than 1 MiB" },
	{ "E_CSV_RECORD_TOO_LONG", "dòng dài quá 4 MiB", "the row is longer than 4 MiB" },
	{ "E_CSV_TOO_MANY_FIELDS", "dòng có quá 512 ô", "the row has more than 512 cells" },
	{ "E_CSV_NUL_BYTE", "dòng chứa byte NUL", "the row holds a NUL byte" },
	{ "E_CSV_FIELD_COUNT", "số ô của dòng khác số cột tiêu đề", "the row's cells differ from the header's columns" },
	{ "E_ENCODING", "ô có byte sai bảng mã", "a cell has bytes invalid in the encoding" },
	{ "E_FILE_SUPERSEDED", "đã có tệp mới hơn cho kỳ này", "a newer file for the period was applied first" },
	{ "E_QUARANTINED", "tệp bị cách ly, chưa áp dụng", "the file was quarantined, not applied" },
	{ "E_QUARANTINE_DROPPED", "tệp cách ly đã bị hủy; hãy gửi lại", "the quarantined file was dropped; send it again" },
};

/* receipt_code_meaning - a code's meaning in a few words. */
int
receipt_code_meaning(const char *code, const char **vi, const char **en)
{
	for (size_t i = 0; code != NULL && i < sizeof(s_meanings) / sizeof(s_meanings[0]); i++)
		if (strcmp(s_meanings[i].code, code) == 0) {
			*vi = s_meanings[i].vi;
			*en = s_meanings[i].en;
			return 0;
		}
	if (code != NULL && strncmp(code, WB_E_PREFIX, strlen(WB_E_PREFIX)) == 0 && wb_error_text(code, vi, en) == 1)
		return 0; /* a workbook's refusal: the reader's own words */
	*vi = "xem danh mục mã lỗi";
	*en = "see the list of codes";
	return -1;
}

/* A code and the errors that carry it, for the summary. */
typedef struct {
	const char *code;
	uint64_t count;
	uint64_t lines[RECEIPT_SUMMARY_LINES];
	int nlines;
} s_tally_t;

/* s_tally - count the errors by code, in the order codes first appear, with
 * the first distinct lines of each; *n codes (malloc'd). */
static s_tally_t *
s_tally(const receipt_t *r, size_t *n)
{
	s_tally_t *t = NULL;
	size_t cap = 0;

	*n = 0;
	for (uint64_t i = 0; i < r->nerrors; i++) {
		const receipt_error_t *e = &r->errors[i];
		size_t k = 0;

		if (e->code == NULL)
			continue;
		while (k < *n && strcmp(t[k].code, e->code) != 0)
			k++;
		if (k == *n) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 16;
				t = xrealloc(t, cap * sizeof(*t));
			}
			t[k] = (s_tally_t){ .code = e->code };
			(*n)++;
		}
		t[k].count++;
		if (e->line > 0 && t[k].nlines < RECEIPT_SUMMARY_LINES &&
		    (t[k].nlines == 0 || t[k].lines[t[k].nlines - 1] != e->line))
			t[k].lines[t[k].nlines++] = e->line;
	}
	return t;
}

/* receipt_json - the receipt as one JSON object. */
void
receipt_json(sb_t *b, const receipt_t *r)
{
	char when[32], *file = s_clean(r->file, 0), *earlier = s_clean(r->repeat_of, 0);
	char *enc = s_clean(r->encoding, 0), *likely = s_clean(r->encoding_likely, 0);
	s_tally_t *tally;
	size_t ntally;

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
	if (r->dry_run) {
		sb_add(b, ",\n  \"dry_run\": true,\n  \"would_be\": ");
		sb_json_str(b, r->would_be);
	}
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
	sb_add(b, "],\n  \"unknown_columns_closest\": [");
	for (int i = 0; i < r->nunknown; i++) {
		sb_add(b, i ? ",\n    {\"column\": " : "\n    {\"column\": ");
		sb_json_str(b, r->unknown_columns[i]);
		sb_add(b, ", \"closest\": ");
		sb_json_str(b, r->hints != NULL ? r->hints[i].closest : NULL);
		sb_add(b, ", \"field\": ");
		sb_json_str(b, r->hints != NULL ? r->hints[i].field : NULL);
		sb_add(b, "}");
	}
	sb_add(b, r->nunknown > 0 ? "\n  ],\n  \"missing_columns\": [" : "],\n  \"missing_columns\": [");
	for (int i = 0; i < r->nmissing; i++) {
		const receipt_missing_t *m = &r->missing[i];

		sb_add(b, i ? ",\n    {\"field\": " : "\n    {\"field\": ");
		sb_json_str(b, m->field);
		sb_add(b, ", \"accepted\": [");
		for (int k = 0; k < m->naliases; k++) {
			sb_json_str(b, m->aliases[k]);
			sb_add(b, ", ");
		}
		sb_json_str(b, m->field);
		sb_add(b, "]}");
	}
	sb_add(b, r->nmissing > 0 ? "\n  ],\n  \"summary\": [" : "],\n  \"summary\": [");
	tally = s_tally(r, &ntally);
	for (size_t i = 0; i < ntally; i++) {
		const char *mvi, *men;

		receipt_code_meaning(tally[i].code, &mvi, &men);
		sb_add(b, i ? ",\n    {\"code\": " : "\n    {\"code\": ");
		sb_json_str(b, tally[i].code);
		sb_addf(b, ", \"count\": %llu, \"meaning_vi\": ", (unsigned long long)tally[i].count);
		sb_json_str(b, mvi);
		sb_add(b, ", \"meaning_en\": ");
		sb_json_str(b, men);
		sb_add(b, ", \"first_lines\": [");
		for (int k = 0; k < tally[i].nlines; k++)
			sb_addf(b, "%s%llu", k ? ", " : "", (unsigned long long)tally[i].lines[k]);
		sb_add(b, "]}");
	}
	free(tally);
	sb_add(b, ntally > 0 ? "\n  ],\n  \"errors\": [" : "],\n  \"errors\": [");
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
		if (e->column != NULL) {
			sb_add(b, ", \"column\": ");
			sb_json_str(b, e->column);
		}
		sb_add(b, "}");
	}
	sb_add(b, r->nerrors ? "\n  ]\n}\n" : "]\n}\n");
	free(file);
	free(earlier);
	free(enc);
	free(likely);
}

/* s_where - how the text twin names the place of an error: the line, and
 * the clerk's column heading with the field's canonical name beside it. */
static void
s_where(sb_t *b, const receipt_error_t *e)
{
	char *col = s_clean(e->column, 1);

	if (e->line > 0)
		sb_addf(b, "  dòng/line %llu", (unsigned long long)e->line);
	else
		sb_add(b, "  tệp/file");
	if (col != NULL && e->field != NULL && strcmp(col, e->field) != 0)
		sb_addf(b, ", cột \"%s\" (%s)", col, e->field);
	else if (col != NULL)
		sb_addf(b, ", cột \"%s\"", col);
	else if (e->field != NULL)
		sb_addf(b, ", %s", e->field);
	free(col);
}

/* s_text_summary - counts by code, with the meaning and the first lines. */
static void
s_text_summary(sb_t *b, const receipt_t *r)
{
	size_t ntally;
	s_tally_t *t = s_tally(r, &ntally);

	if (ntally > 0)
		sb_add(b, "\nTóm tắt lỗi / Error summary:\n");
	for (size_t i = 0; i < ntally; i++) {
		const char *vi, *en;

		receipt_code_meaning(t[i].code, &vi, &en);
		sb_addf(b, "  %-28s %6llu  %s\n  %-28s %6s  %s\n", t[i].code, (unsigned long long)t[i].count, vi, "", "",
		    en);
		if (t[i].nlines == 0)
			continue;
		sb_addf(b, "  %-28s %6s  dòng/lines ", "", "");
		for (int k = 0; k < t[i].nlines; k++)
			sb_addf(b, "%s%llu", k ? ", " : "", (unsigned long long)t[i].lines[k]);
		sb_add(b, (uint64_t)t[i].nlines < t[i].count ? ", …\n" : "\n");
	}
	free(t);
}

/* s_text_columns - unknown columns with the closest accepted heading, and
 * the missing required fields with the headings that would be accepted. */
static void
s_text_columns(sb_t *b, const receipt_t *r)
{
	if (r->nunknown > 0)
		sb_add(b, "\nCột không dùng / Unknown columns:\n");
	for (int i = 0; i < r->nunknown; i++) {
		char *col = s_clean(r->unknown_columns[i], 1); /* a clerk's terminal shows this text */
		const receipt_hint_t *h = r->hints != NULL ? &r->hints[i] : NULL;

		if (h != NULL && h->closest != NULL)
			sb_addf(b, "  \"%s\": gần nhất / closest: \"%s\" (%s)\n", col != NULL ? col : "", h->closest,
			    h->field != NULL ? h->field : "");
		else if (h != NULL)
			sb_addf(b, "  \"%s\": không giống cột nào / like no accepted heading\n", col != NULL ? col : "");
		else
			sb_addf(b, "  \"%s\"\n", col != NULL ? col : "");
		free(col);
	}
	if (r->nmissing > 0)
		sb_add(b, "\nThiếu cột bắt buộc / Missing required columns (tên cột được nhận / accepted headings):\n");
	for (int i = 0; i < r->nmissing; i++) {
		const receipt_missing_t *m = &r->missing[i];

		sb_addf(b, "  %s: ", m->field);
		for (int k = 0; k < m->naliases; k++)
			sb_addf(b, "\"%s\", ", m->aliases[k]);
		sb_addf(b, "\"%s\"\n", m->field);
	}
}

/* receipt_text - the readable twin, Vietnamese first: the file and its
 * counts, the summary by code, the columns, then the first errors. */
void
receipt_text(sb_t *b, const receipt_t *r)
{
	static const struct { const char *status, *vi; } names[] = {
		{ "applied", "đã áp dụng" }, { "rejected", "bị từ chối" }, { "repeat", "trùng lặp" },
		{ "checked", "đã kiểm tra, chưa áp dụng" }, { "quarantined", "bị cách ly" }
	};
	const char *vi = r->status, *would_vi = r->would_be != NULL ? r->would_be : "-";
	char when[32], *file = s_clean(r->file, 1), *earlier = s_clean(r->repeat_of, 1);
	char *enc = s_clean(r->encoding, 1), *likely = s_clean(r->encoding_likely, 1);
	uint64_t shown = r->nerrors < RECEIPT_TEXT_MAX_ERRORS ? r->nerrors : RECEIPT_TEXT_MAX_ERRORS;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(names[i].status, r->status) == 0)
			vi = names[i].vi;
		if (r->would_be != NULL && strcmp(names[i].status, r->would_be) == 0)
			would_vi = names[i].vi;
	}
	s_stamp(when, sizeof(when), r->received_at, 0);
	sb_addf(b, "Biên nhận tệp / File receipt\n"
	    "Tệp / File:            %s\n"
	    "Cơ quan / Agency:      %s\n"
	    "Loại / Type:           %s\n"
	    "Nhận lúc / Received:   %s\n"
	    "SHA-256:               %s\n"
	    "Kết quả / Status:      %s (%s)\n",
	    file ? file : "", r->agency, r->type ? r->type : "-", when, r->sha256 ? r->sha256 : "-", vi, r->status);
	if (r->dry_run)
		sb_addf(b, "Nếu gửi thật / If sent for real: %s (%s)\n"
		    "Kiểm tra thử: không có gì được áp dụng, số liệu không đổi, tệp không được tính là đã gửi.\n"
		    "Dry run: nothing was applied, no figure changed, the file does not count as sent.\n",
		    would_vi, r->would_be != NULL ? r->would_be : "-");
	if (earlier != NULL)
		sb_addf(b, "Trùng với / Repeats:   %s\n", earlier);
	if (enc != NULL)
		sb_addf(b, "Bảng mã / Encoding:    %s\n", enc);
	if (likely != NULL)
		sb_addf(b, "Bảng mã của tệp có lẽ là / Likely encoding: %s\n", likely);
	sb_addf(b, "Số dòng đọc / Rows read:          %llu\n"
	    "%s%llu\n"
	    "Số dòng từ chối / Rows rejected:  %llu (trùng khóa / duplicates: %llu)\n",
	    (unsigned long long)r->rows_read,
	    r->dry_run ? "Số dòng sẽ áp dụng / Rows that would apply: " : "Số dòng áp dụng / Rows applied:   ",
	    (unsigned long long)r->rows_applied,
	    (unsigned long long)r->rows_rejected, (unsigned long long)r->rows_duplicate);
	s_text_summary(b, r);
	s_text_columns(b, r);
	if (r->nerrors > 0)
		sb_add(b, "\nLỗi / Errors:\n");
	for (uint64_t i = 0; i < shown; i++) {
		const receipt_error_t *e = &r->errors[i];

		s_where(b, e);
		sb_addf(b, ", %s: %s\n      %s\n", e->code, e->message_vi ? e->message_vi : "",
		    e->message_en ? e->message_en : "");
	}
	if (shown < r->nerrors)
		sb_addf(b, "  … còn %llu lỗi nữa: xem tệp JSON hoặc tệp CSV (.errors.csv) cùng thư mục\n"
		    "      … %llu more: see the JSON or the CSV (.errors.csv) beside this receipt\n",
		    (unsigned long long)(r->nerrors - shown), (unsigned long long)(r->nerrors - shown));
	free(file);
	free(earlier);
	free(enc);
	free(likely);
}

/* s_csv_cell - one text cell, quoted, with ' before a leading = + - @ tab
 * or CR so that a spreadsheet shows it as text, never runs it. */
static void
s_csv_cell(sb_t *b, const char *s)
{
	char *clean = s_clean(s != NULL ? s : "", 0);

	sb_add(b, "\t\"");
	if (clean[0] != '\0' && strchr("=+-@\t\r", clean[0]) != NULL)
		sb_add(b, "'");
	for (const char *p = clean; *p; p++) {
		if (*p == '"')
			sb_add(b, "\"");
		sb_addn(b, p, 1);
	}
	sb_add(b, "\"");
	free(clean);
}

/* receipt_csv - the rejected rows' errors as a spreadsheet. */
int
receipt_csv(sb_t *b, const receipt_t *r)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < r->nerrors; i++)
		n += r->errors[i].line > 0;
	if (n == 0)
		return 0;
	sb_add(b, "\xEF\xBB\xBF" "dòng / line\t\"cột / column\"\t\"trường / field\"\t\"mã lỗi / code\"\t"
	    "\"thông báo / message (vi)\"\t\"message (en)\"\r\n");
	for (uint64_t i = 0; i < r->nerrors; i++) {
		const receipt_error_t *e = &r->errors[i];

		if (e->line == 0)
			continue;
		sb_addf(b, "%llu", (unsigned long long)e->line);
		s_csv_cell(b, e->column);
		s_csv_cell(b, e->field);
		s_csv_cell(b, e->code);
		s_csv_cell(b, e->message_vi);
		s_csv_cell(b, e->message_en);
		sb_add(b, "\r\n");
	}
	return 1;
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

/* s_utf16le - the CSV as a spreadsheet opens it whatever its locale's list
 * separator: UTF-16LE with its byte order mark (a UTF-8 BOM in u8 dropped).
 * u8 is valid UTF-8 (every cell went through s_clean). Returns the bytes
 * (malloc'd) and their count in *n. */
static char *
s_utf16le(const char *u8, size_t *n)
{
	const unsigned char *p = (const unsigned char *)u8;
	size_t len = strlen(u8), o = 2;
	unsigned char *out = xmalloc(2 * len + 4);

	if (out == NULL)
		return NULL;
	out[0] = 0xFF;
	out[1] = 0xFE;
	if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		p += 3;
	while (*p) {
		uint32_t c;
		int k;

		if (*p < 0x80) {
			c = *p;
			k = 0;
		} else if ((*p & 0xE0) == 0xC0) {
			c = *p & 0x1F;
			k = 1;
		} else if ((*p & 0xF0) == 0xE0) {
			c = *p & 0x0F;
			k = 2;
		} else {
			c = *p & 0x07;
			k = 3;
		}
		p++;
		for (; k > 0 && (*p & 0xC0) == 0x80; k--, p++)
			c = (c << 6) | (*p & 0x3F);
		if (c >= 0x10000) { /* a surrogate pair */
			c -= 0x10000;
			out[o++] = (unsigned char)((0xD800 | (c >> 10)) & 0xFF);
			out[o++] = (unsigned char)((0xD800 | (c >> 10)) >> 8);
			c = 0xDC00 | (c & 0x3FF);
		}
		out[o++] = (unsigned char)(c & 0xFF);
		out[o++] = (unsigned char)(c >> 8);
	}
	*n = o;
	return (char *)out;
}

/* receipt_write_rendered - text, CSV, then JSON, each atomically, named by
 * time and file name, so that a reader waiting for the JSON finds the others too. */
int
receipt_write_rendered(const char *var_dir, const char *agency, const char *file, int64_t received_at,
    const char *json, const char *text, const char *csv, char *path_out, size_t path_size)
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
	snprintf(path, sizeof(path), "%s/%s-%s.errors.csv", dir, stamp, base);
	if (csv != NULL && csv[0] != '\0') {
		size_t n;
		char *u16 = s_utf16le(csv, &n);
		int rc = u16 != NULL ? fs_write_atomic(path, u16, n) : -1;

		free(u16);
		if (rc != 0)
			return -1;
	}
	snprintf(path, sizeof(path), "%s/%s-%s.json", dir, stamp, base);
	return fs_write_atomic(path, json, strlen(json));
}

/* receipt_write - render and write both files. */
int
receipt_write(const char *var_dir, const receipt_t *r, char *path_out, size_t path_size)
{
	sb_t j, t, c;
	int rc;

	sb_init(&j);
	sb_init(&t);
	sb_init(&c);
	receipt_json(&j, r);
	receipt_text(&t, r);
	receipt_csv(&c, r);
	rc = receipt_write_rendered(var_dir, r->agency, r->file, r->received_at, j.data, t.data, c.data, path_out,
	    path_size);
	sb_free(&j);
	sb_free(&t);
	sb_free(&c);
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

/* s_fit_csv - cut a rendered CSV at a record so that it takes at most max
 * bytes, with a last record saying how many were left out. Records end with
 * CRLF; a cell's own line breaks are bare (the text is the clerk's). */
static void
s_fit_csv(sb_t *b, size_t max)
{
	char tail[400];
	size_t cut = 0;
	uint64_t omitted = 0;
	sb_t n;

	for (const char *p = strstr(b->data, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
		if ((size_t)(p - b->data) + 2 + sizeof(tail) > max)
			break;
		cut = (size_t)(p - b->data) + 2;
	}
	for (const char *p = b->data + cut; (p = strstr(p, "\r\n")) != NULL; p += 2)
		omitted++;
	snprintf(tail, sizeof(tail), "\t\"\"\t\"\"\t\"\"\t\"… %llu lỗi nữa không được liệt kê: biên nhận quá lớn để gửi\"\t"
	    "\"%llu more errors not listed: the receipt was too large to send\"\r\n",
	    (unsigned long long)omitted, (unsigned long long)omitted);
	sb_init(&n);
	sb_addn(&n, b->data, cut);
	sb_add(&n, tail);
	sb_free(b);
	*b = n;
}

/* receipt_fit - make a rendered receipt fit in max bytes (JSON, text and
 * CSV together), cutting the list of errors of each: the text (already
 * short: RECEIPT_TEXT_MAX_ERRORS) to a quarter at most, the rest shared by
 * the JSON and the CSV; 1 if it was cut, else 0. */
int
receipt_fit(sb_t *json, sb_t *text, sb_t *csv, size_t max)
{
	size_t clen = csv != NULL ? csv->len : 0, left;

	if (json->len + text->len + clen <= max)
		return 0;
	if (text->len > max / 4)
		s_fit_text(text, max / 4);
	left = max - text->len;
	if (json->len + clen <= left)
		return 1;
	if (clen == 0) {
		if (json->len > left)
			s_fit_json(json, left);
		return 1;
	}
	if (json->len > left / 2 && clen > left / 2) {
		s_fit_json(json, left / 2);
		s_fit_csv(csv, left / 2);
	} else if (json->len > left / 2) {
		s_fit_json(json, left - clen);
	} else {
		s_fit_csv(csv, left - json->len);
	}
	return 1;
}
