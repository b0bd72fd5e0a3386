/* fuzz_workbook - libFuzzer harness for the workbook reader (common/workbook.c).
 *
 * The reader takes a file descriptor, so each input becomes a file in a
 * memfd. Random bytes rarely make a zip archive libzip accepts, so most
 * modes build a valid archive around the input and let the fuzzer work on
 * the XML inside:
 *   byte 0 'Z'   the rest is the whole file (.xlsx, .ods or garbage; seeds
 *                are the fixtures of tests/fixtures/workbooks). An OLE2
 *                file (.xls) is skipped: the reader hands it to libfreexl
 *                in a child process, and freexl's own overflows (found
 *                here within seconds) are not this harness's findings
 *   byte 0 'O'   the rest is the content.xml of an .ods
 *   otherwise    the rest is "SHEET\0STRINGS\0STYLES" (each part optional):
 *                an .xlsx with that worksheet, shared strings and styles
 *                (parts stored, not deflated, so that building is cheap)
 * Byte 1 configures the run: bit 0 fills merged areas, bit 1 picks the
 * sheet by name ("S", with WB_SHEET_OR_FIRST), bit 2 sets small limits (so
 * that every limit path is reached with small inputs) and bit 3 keeps the
 * shared strings on disk from the first one (TMPDIR; tools/fuzz.sh sets it).
 *
 * Checked: wb_open fails with an error code or gives a reader; each row has
 * at most max_cells fields, NUL-terminated at their length, rows strictly
 * after one another within the sheet's 1048576 rows; a row without error
 * has cells within max_string and max_record, and wb_cell says a cell is
 * empty exactly when its text is; reading ends with 0, or -1 and an error
 * code, and stays ended. Crashes, leaks and sanitizer reports are findings;
 * so is a failed check (abort). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zip.h>

#include "workbook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char s_ct[] = "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>";
static const char s_wb[] =
    "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><workbookPr date1904=\"0\"/>"
    "<sheets><sheet name=\"H\" state=\"hidden\" sheetId=\"2\" r:id=\"rId9\"/>"
    "<sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
static const char s_rels[] =
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" "
    "Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings\" "
    "Target=\"/xl/sharedStrings.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" "
    "Target=\"styles.xml\"/></Relationships>";

/* s_check - abort (a finding) unless cond holds. */
static void
s_check(int cond)
{
	if (!cond)
		abort();
}

/* s_add - add a stored part holding len bytes of p (copied). */
static void
s_add(zip_t *z, const char *name, const void *p, size_t len)
{
	void *copy = len > 0 ? malloc(len) : NULL;
	zip_source_t *src;
	zip_int64_t idx;

	if (len > 0) {
		s_check(copy != NULL);
		memcpy(copy, p, len);
	}
	src = zip_source_buffer(z, len > 0 ? copy : "", len, len > 0); /* libzip frees only a non-empty buffer */
	s_check(src != NULL);
	idx = zip_file_add(z, name, src, 0);
	s_check(idx >= 0);
	zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
}

/* s_next_part - the bytes of data up to a NUL (or the end); moves on. */
static const char *
s_next_part(const uint8_t **data, size_t *size, size_t *len)
{
	const uint8_t *p = *data, *nul = memchr(p, '\0', *size);

	*len = nul != NULL ? (size_t)(nul - p) : *size;
	*data += *len + (nul != NULL);
	*size -= *len + (nul != NULL);
	return (const char *)p;
}

/* s_build - write an archive of the input's parts into fd. */
static void
s_build(int fd, int ods, const uint8_t *data, size_t size)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *z;
	zip_stat_t st;
	char *buf;

	zip_error_init(&ze);
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	s_check(src != NULL);
	z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	s_check(z != NULL);
	zip_source_keep(src);
	if (ods) {
		s_add(z, "mimetype", "application/vnd.oasis.opendocument.spreadsheet", 46);
		s_add(z, "content.xml", data, size);
	} else {
		size_t n;
		const char *sheet = s_next_part(&data, &size, &n);

		s_add(z, "[Content_Types].xml", s_ct, sizeof(s_ct) - 1);
		s_add(z, "xl/workbook.xml", s_wb, sizeof(s_wb) - 1);
		s_add(z, "xl/_rels/workbook.xml.rels", s_rels, sizeof(s_rels) - 1);
		s_add(z, "xl/worksheets/sheet1.xml", sheet, n);
		if (size > 0) {
			const char *sst = s_next_part(&data, &size, &n);

			s_add(z, "xl/sharedStrings.xml", sst, n);
		}
		if (size > 0)
			s_add(z, "xl/styles.xml", data, size);
	}
	s_check(zip_close(z) == 0);
	s_check(zip_source_stat(src, &st) == 0 && zip_source_open(src) == 0);
	buf = malloc(st.size + 1);
	s_check(buf != NULL);
	s_check(zip_source_read(src, buf, st.size) == (zip_int64_t)st.size);
	zip_source_close(src);
	zip_source_free(src);
	s_check(write(fd, buf, st.size) == (ssize_t)st.size);
	free(buf);
	zip_error_fini(&ze);
}

/* s_check_row - the invariants of one row. */
static void
s_check_row(const wb_reader_t *r, const csv_row_t *row, const wb_limits_t *lim, unsigned long prev)
{
	size_t total = 0;

	s_check(row->nfields <= lim->max_cells);
	s_check(row->line > prev && row->line <= 1048576 && row->end_line == row->line);
	for (size_t i = 0; i < row->nfields; i++) {
		wb_cell_t c = wb_cell(r, i);

		s_check(row->fields[i] != NULL && row->fields[i][row->lens[i]] == '\0');
		total += row->lens[i];
		if (row->err == NULL) {
			s_check(row->lens[i] <= lim->max_string);
			s_check((c.type == WB_EMPTY) == (row->lens[i] == 0));
			s_check(c.format != NULL);
		}
	}
	if (row->err == NULL) {
		s_check(row->nfields >= 1 && row->lens[row->nfields - 1] > 0);
		s_check(total <= lim->max_record);
	}
	s_check(wb_cell(r, row->nfields).type == WB_EMPTY);
}

/* LLVMFuzzerTestOneInput - read the input as a workbook, checking each row. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wb_limits_t lim = WB_LIMITS_DEFAULT;
	const char *err = NULL;
	unsigned flags = 0;
	unsigned long prev = 0, rows = 0;
	wb_reader_t *r;
	csv_row_t row;
	int fd, rc;

	if (size < 2)
		return 0;
	if (data[0] == 'Z' && size >= 10 && wb_is_workbook(data + 2, size - 2) && data[2] != 'P')
		return 0; /* .xls: libfreexl, in a child */
	lim.max_total = 64u << 20;
	lim.max_entry = 32u << 20;
	if (data[1] & 1)
		flags |= WB_FILL_MERGED;
	if (data[1] & 2)
		flags |= WB_SHEET_OR_FIRST;
	if (data[1] & 4) {
		lim.max_total = 1u << 20;
		lim.max_entry = 512u << 10;
		lim.max_ratio = 20;
		lim.max_entries = 8;
		lim.max_depth = 8;
		lim.max_cells = 6;
		lim.max_string = 16;
		lim.max_record = 48;
		lim.max_merges = 3;
	}
	if (data[1] & 8)
		lim.sst_mem = 1;
	fd = memfd_create("fuzz_workbook", 0);
	s_check(fd >= 0);
	if (data[0] == 'Z')
		s_check(write(fd, data + 2, size - 2) == (ssize_t)(size - 2) || size == 2);
	else
		s_build(fd, data[0] == 'O', data + 2, size - 2);

	r = wb_open(fd, (data[1] & 2) ? "S" : NULL, flags, &lim, &err);
	if (r == NULL) {
		s_check(err != NULL);
		close(fd);
		return 0;
	}
	s_check(err == NULL);
	while ((rc = wb_next(r, &row)) == 1) {
		s_check_row(r, &row, &lim, prev);
		prev = row.line;
		s_check(++rows <= 1048576);
	}
	s_check(rc == 0 ? wb_error(r) == NULL : rc == -1 && wb_error(r) != NULL);
	s_check(wb_next(r, &row) == rc);
	wb_destroy(&r);
	s_check(r == NULL);
	close(fd);
	return 0;
}
