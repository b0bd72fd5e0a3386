/* workbook - the streaming reader for spreadsheets dropped by agencies:
 * Office Open XML (.xlsx), OpenDocument (.ods) and the old binary Excel
 * format (.xls).
 *
 * An .xlsx or .ods is a zip archive of XML parts. The archive is read with
 * libzip and each part is fed to expat in chunks as it is inflated, so a
 * sheet is never held whole: one row at a time is kept, as csv.c does. The
 * shared-strings table of an .xlsx, which a sheet refers to by index, is
 * read first; past WB_SST_MEM_DEFAULT bytes it moves to an unlinked
 * temporary file read back through a small block cache, so memory stays
 * bounded whatever its size. An .xls goes through libfreexl, which loads the
 * file (bounded by the caller's file size limit) into memory.
 *
 * Rows come out as csv_row_t, the shape of the CSV reader's rows: one
 * NUL-terminated string per column from column A to the last column holding
 * a value; cells without a value are empty strings at their position. `line`
 * (and `end_line`) is the row's number in the sheet (1-based), so empty
 * rows, which are skipped, show as gaps. Values are text: a number as Excel
 * shows it in General format without float noise (300588569, 0.1, 1.5E-7),
 * a boolean TRUE or FALSE, a formula its cached result, a date cell of an
 * .ods or .xls (or an .xlsx cell of type d) as YYYY-MM-DD; an .xlsx date is
 * a number (a serial) whose cell format says it is a date: wb_cell tells,
 * and wb_serial_to_date converts.
 *
 * Merged cells: with WB_FILL_MERGED the value of a merged area's top-left
 * cell is given to every cell of the area (a title spread over a header's
 * columns then names each of them). An .xlsx lists its merged areas after
 * the rows, so this costs one more pass over the sheet (inflated and parsed
 * without keeping anything); an .ods marks them on the cell itself and an
 * .xls is read without them.
 *
 * Hostile files: every limit of wb_limits_t has its own error code, checked
 * against what is actually inflated and parsed, not only what the archive
 * declares. XML parts may not declare entities (no DTD tricks: the parse
 * stops at the first declaration) and external entities are never read.
 * Nothing in the input can make the reader crash or grow past its limits. */
#ifndef BHXH_WORKBOOK_H
#define BHXH_WORKBOOK_H

#include <stddef.h>

#include "csv.h"

#define WB_E_PREFIX "E_WB_" /* every code below starts so */

/* Whole-file errors, from wb_open (*err) or wb_error after wb_next gave -1. */
#define WB_E_NOT_WORKBOOK "E_WB_NOT_WORKBOOK" /* neither a zip nor an OLE2 (.xls) file */
#define WB_E_DAMAGED "E_WB_DAMAGED"           /* truncated or damaged archive */
#define WB_E_UNSUPPORTED "E_WB_UNSUPPORTED"   /* a zip but not .xlsx/.ods; encrypted; unreadable .xls */
#define WB_E_NO_SHEET "E_WB_NO_SHEET"         /* no sheet, or none of the name asked for */
#define WB_E_XML "E_WB_XML"                   /* a part is not well-formed XML */
#define WB_E_XML_ENTITY "E_WB_XML_ENTITY"     /* a part declares entities (DTD) */
#define WB_E_XML_DEPTH "E_WB_XML_DEPTH"       /* elements nested deeper than max_depth */
#define WB_E_XML_TOKEN "E_WB_XML_TOKEN"       /* one tag or comment over 2 MiB */
#define WB_E_TOTAL_SIZE "E_WB_TOTAL_SIZE"     /* more than max_total bytes inflated */
#define WB_E_ENTRY_SIZE "E_WB_ENTRY_SIZE"     /* a part over max_entry bytes */
#define WB_E_RATIO "E_WB_RATIO"               /* a part inflates more than max_ratio times */
#define WB_E_ENTRIES "E_WB_ENTRIES"           /* more than max_entries parts */
#define WB_E_STRINGS "E_WB_STRINGS"           /* a shared string over max_string, or a bad index */
#define WB_E_MERGES "E_WB_MERGES"             /* more than max_merges merged areas */
#define WB_E_BAD_REF "E_WB_BAD_REF"           /* a row/cell reference out of order or range */
#define WB_E_IO "E_WB_IO"                     /* a read or temporary-file error */

/* Row errors, in csv_row_t.err: the row is reported, reading goes on. */
#define WB_E_TOO_MANY_CELLS "E_WB_TOO_MANY_CELLS" /* a value beyond column max_cells */
#define WB_E_CELL_TOO_LONG "E_WB_CELL_TOO_LONG"   /* a cell over max_string bytes */
#define WB_E_ROW_TOO_LONG "E_WB_ROW_TOO_LONG"     /* the row over max_record bytes */

typedef struct {
	unsigned long long max_total; /* bytes inflated from the archive, all parts together */
	unsigned long long max_entry; /* bytes of one part, inflated */
	unsigned max_ratio;           /* inflated / compressed, for a part over 1 MiB */
	unsigned max_entries;         /* parts in the archive */
	unsigned max_depth;           /* XML element nesting */
	size_t max_cells;             /* columns with a value in one row */
	size_t max_string;            /* bytes of one cell or shared string */
	size_t max_record;            /* bytes of all cells of one row */
	size_t max_merges;            /* merged areas of the sheet */
	size_t sst_mem;               /* shared-strings bytes kept in memory before spilling to disk */
} wb_limits_t;

#define WB_SST_MEM_DEFAULT (16u * 1024u * 1024u)
#define WB_LIMITS_DEFAULT { 2ull << 30, 1ull << 30, 200u, 10000u, 64u, 512u, 1024u * 1024u, \
	4u * 1024u * 1024u, 4096u, WB_SST_MEM_DEFAULT }

/* wb_open flags */
#define WB_FILL_MERGED 1u  /* give a merged area's value to all of its cells */
#define WB_SHEET_OR_FIRST 2u /* the named sheet if there is one, else the first */

typedef enum {
	WB_EMPTY = 0, /* no value */
	WB_STRING,
	WB_NUMBER,    /* see wb_cell_t.is_date */
	WB_BOOL,      /* TRUE or FALSE */
	WB_ERROR,     /* a formula error such as #N/A, as text */
	WB_DATE       /* already YYYY-MM-DD (or YYYY-MM-DD HH:MM:SS, or HH:MM:SS) */
} wb_type_t;

/* What is known of one cell besides its text. */
typedef struct {
	wb_type_t type;
	int numfmt;         /* .xlsx number format id (0 General, 14 d/m/yyyy, 164+ custom); -1 unknown */
	const char *format; /* its format code ("General", "dd/mm/yyyy", ...); valid like the row */
	int is_date;        /* a number with a date format: the value is a date serial */
	int formula;        /* the value is a formula's cached result */
	int merged;         /* the value was filled from a merged area's top-left cell */
} wb_cell_t;

typedef struct wb_reader wb_reader_t;

/* wb_open - a reader on fd (not owned: the caller closes it; it must be a
 * seekable regular file or memfd), positioned before the first row of the
 * chosen sheet: the one named `sheet` (ASCII case and surrounding spaces
 * ignored), or the first sheet when sheet is NULL. The format is told by
 * content, not by name. lim NULL means WB_LIMITS_DEFAULT. NULL on failure,
 * with *err one of the WB_E_* codes. */
wb_reader_t *wb_open(int fd, const char *sheet, unsigned flags, const wb_limits_t *lim, const char **err);

/* wb_open_path - wb_open on the file at path (opened and closed by the reader). */
wb_reader_t *wb_open_path(const char *path, const char *sheet, unsigned flags, const wb_limits_t *lim,
    const char **err);

/* wb_destroy - free the reader (and its temporary file) and set *self_p to NULL. */
void wb_destroy(wb_reader_t **self_p);

/* wb_next - the next row holding a value into *row (valid until the next
 * wb_next or wb_destroy). 1 when a row is produced (check row->err), 0 at
 * the end of the sheet, -1 on a whole-file error (wb_error says which). */
int wb_next(wb_reader_t *self, csv_row_t *row);

/* wb_cell - what is known of cell col (0-based) of the last row; an empty
 * cell (WB_EMPTY) for a column past its end. */
wb_cell_t wb_cell(const wb_reader_t *self, size_t col);

/* wb_error - the whole-file error that ended reading, or NULL. */
const char *wb_error(const wb_reader_t *self);

/* wb_format - "xlsx", "ods" or "xls". */
const char *wb_format(const wb_reader_t *self);

/* wb_sheet_name - the name of the sheet being read (UTF-8). */
const char *wb_sheet_name(const wb_reader_t *self);

/* wb_date1904 - 1 if the workbook counts dates from 1904 (old Mac Excel). */
int wb_date1904(const wb_reader_t *self);

/* wb_strings_on_disk - 1 if the shared strings went to a temporary file. */
int wb_strings_on_disk(const wb_reader_t *self);

/* wb_merge_count / wb_merge - the merged areas known (xlsx with
 * WB_FILL_MERGED, ods as met); 0-based inclusive rows and columns. */
size_t wb_merge_count(const wb_reader_t *self);
int wb_merge(const wb_reader_t *self, size_t i, unsigned *row1, unsigned *col1, unsigned *row2, unsigned *col2);

/* wb_serial_to_date - the date of an Excel serial as YYYY-MM-DD into out
 * (11 bytes). The fraction (time of day) is dropped. In the 1900 system
 * serial 1 is 1900-01-01 and serial 60 is Excel's 1900-02-29, a day that
 * never was (refused); in the 1904 system serial 0 is 1904-01-01. 0, or -1
 * for a serial outside 1900-01-01 .. 9999-12-31 or not a number. */
int wb_serial_to_date(double serial, int date1904, char out[11]);

/* wb_date_text - the date of cell col of the last row, if it is a date
 * serial (wb_cell's is_date), into out: YYYY-MM-DD, or YYYY-MM when its
 * format shows no day (a month such as mm/yyyy). 0, or -1 if the cell is
 * not a date serial or not a day in 1900..9999. */
int wb_date_text(const wb_reader_t *self, size_t col, const char *value, char out[11]);

/* wb_format_is_date - 1 if a number format (id and code) shows a date:
 * built-in ids 14-22, or a code with d or y outside quotes, escapes and
 * brackets. */
int wb_format_is_date(int numfmt, const char *code);

/* wb_error_text - the Vietnamese and English sentences for a WB_E_* code:
 * 1, or 0 and a generic pair for an unknown code. */
int wb_error_text(const char *code, const char **vi, const char **en);

/* wb_is_workbook - 1 if the first bytes (at least 8) are those of a zip or
 * an OLE2 compound file. */
int wb_is_workbook(const unsigned char *head, size_t len);

#endif
