/* ingest - the ingest worker's modules: intake (the gate, hashing, the
 * header) and reading (rows into batches). */
#ifndef BHXH_INGEST_H
#define BHXH_INGEST_H

#include <stdint.h>
#include <sys/types.h>

#include "csv.h"
#include "fsutil.h"
#include "log.h"
#include "colhint.h"
#include "receipt.h"
#include "text.h"
#include "workbook.h"
#include "worker.h"

/* The file being read. */
typedef struct {
	int64_t row_id;           /* files.id */
	char sha[65];
	const cfg_agency_t *agency;
	const cfg_rtype_t *rtype;
	char *name;               /* as dropped */
	char *path;               /* in processing/ */
	int64_t received_at;
	int fd;
	off_t size;
	int64_t mtime_ns;         /* as taken: a change while reading refuses the file */
	csv_reader_t *csv;        /* a CSV file, or */
	wb_reader_t *wb;          /* a workbook (.xlsx, .ods, .xls) */
	const char *encoding;     /* read in (text_encoding_canonical); NULL until decided */
	const char *likely;       /* refused for its encoding: the one it is most likely in */
	text_conv_t *conv;
	size_t ncols;
	int *colmap;              /* column -> field index, -1 unknown */
	int nunknown;
	char **unknown;
	char **headings;          /* per field of rtype: the clerk's heading of its column (NFC), or NULL */
	int dry;                  /* dropped into check/: a dry run, checked through the pipeline, never applied */
	uint64_t rows_done;
	uint32_t nbatches;
	int64_t last_progress;
} ingest_file_t;

typedef struct {
	worker_t *w;
	int inotify_fd;
	int scan_due;
	int64_t last_scan;
	int64_t last_expire;      /* ms; retention is checked at most once an hour */
	ingest_file_t *cur;
	int refusals_failing;     /* a receipt could not be written: files wait */
	int resume_due;           /* the store failed mid-file: resume from the last commit */
	int64_t retry_at;         /* not before (ms) */
	int retry_ms;
	uint64_t files_taken, files_refused, files_repeat;
	uint64_t rows_read;       /* rows read and stored for sending since start */
} ingest_t;

/* INGEST_NAME_MAX - bytes of a dropped file's name kept in spool names
 * (STAMP-NAME must fit in a 255-byte directory entry). */
#define INGEST_NAME_MAX 200

/* INGEST_HEADER_SCAN - rows of a workbook looked at for the header (a title
 * block may come first) */
#define INGEST_HEADER_SCAN 20

/* ingest_resume - at start: finish moves, reopen the file being read. */
int ingest_resume(ingest_t *in);

/* ingest_scan - look at the drop folders and take files until one is being read. */
void ingest_scan(ingest_t *in);

/* ingest_step - read and send one batch of the current file; 1 if more remain. */
int ingest_step(ingest_t *in);

void ingest_close_current(ingest_t *in);

/* ingest_abort_current - end the current file after what was sent, rejected whole. */
void ingest_abort_current(ingest_t *in, const char *why);

/* ingest_abort_current_code - the same with the rejection's code (a WB_E_*
 * code for a workbook that breaks a limit or its format half-way). */
void ingest_abort_current_code(ingest_t *in, const char *code, const char *why);

/* ingest_next_row - the next data row of the current file (CSV or
 * workbook): 1, 0 at the end, -1 on a read error (errno), -2 when a
 * workbook cannot be read on (wb_error(f->wb) says why). */
int ingest_next_row(ingest_file_t *f, csv_row_t *row);

/* INGEST_DRY_MARK - after the stamp of a dry run's spool name
 * (STAMP.dry-NAME), so that one taken again after a crash stays a dry run */
#define INGEST_DRY_MARK ".dry-"

/* ingest_archive - move a sent file from processing/ to archive/ and record it. */
void ingest_archive(ingest_t *in, int64_t row_id, const char *agency, const char *path, const char *name,
    int64_t received_at, int dry);

/* ingest_refuse - receipt for a file refused whole (for a dry run: status
 * checked, would be rejected), then move it to rejected/. cols is the file
 * as far as it was opened (else NULL, for a file refused before): the
 * receipt gives the encoding it was read in and the one it is most likely
 * in (E_FILE_ENCODING), when they are known, and, when its header was read,
 * its unknown columns with the closest accepted headings and, for
 * E_HEADER_MISSING_COLUMN, the headings accepted for each missing field. 0,
 * or -1 if the receipt could not be written (the file stays). */
int ingest_refuse(ingest_t *in, const char *agency, const char *name, const char *path,
    const char *sha, const char *rtype, int64_t received_at, const char *code, const char *vi, const char *en,
    const ingest_file_t *cols, int dry);

/* ingest_open_header - decide the encoding of f (unless f->encoding is set
 * already: a file resumed), then read and map its header; 0, or -1 with a
 * whole-file code and messages in code/vi/en. */
int ingest_open_header(ingest_file_t *f, const char **code, char *vi, char *en, size_t msz);

/* ingest_expire - delete archive/ and rejected/ entries received more than
 * ingest.retention_days ago (0: keep forever). */
void ingest_expire(ingest_t *in);

int64_t ingest_now_us(void);

/* ingest_changed - 1 if the open file's size or mtime differs from when it was taken. */
int ingest_changed(const ingest_file_t *f);

#endif
