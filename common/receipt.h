/* receipt - the answer an agency gets for every file it drops (docs/DOMAIN.md
 * §8): JSON plus a readable text twin in VAR/spool/outbox/AGENCY/,
 * each written atomically, always by ingest: for files refused whole or
 * repeated it renders them itself; the aggregate renders the receipt of
 * every file that reached it and sends it back in its FILE_DONE. */
#ifndef BHXH_RECEIPT_H
#define BHXH_RECEIPT_H

#include <stdint.h>

#include "fsutil.h"

#define RECEIPT_TEXT_MAX_ERRORS 200 /* errors listed in the text twin; all are in the JSON and the CSV */
#define RECEIPT_SUMMARY_LINES 5     /* line numbers the summary gives for each code */

typedef struct {
	uint64_t line;      /* 0 for a whole-file problem */
	const char *field;  /* may be NULL */
	const char *code;
	const char *message_vi;
	const char *message_en;
	const char *column; /* the clerk's heading of field's column, or NULL */
} receipt_error_t;

/* The accepted heading closest to a column that matched no field. */
typedef struct {
	const char *closest; /* as written in the schema, or NULL: nothing is close */
	const char *field;   /* its field, NULL with closest */
} receipt_hint_t;

/* A required field the file has no column for, and the headings accepted for it. */
typedef struct {
	const char *field;
	int naliases;
	char *const *aliases; /* besides the field's name */
} receipt_missing_t;

typedef struct {
	const char *file;       /* name as dropped */
	const char *agency;
	const char *type;       /* record type, or NULL when unknown */
	const char *sha256;
	const char *status;     /* applied | rejected | repeat, or checked for a dry run */
	int dry_run;            /* a dry run: nothing applied; would_be says what a real submission gets */
	const char *would_be;   /* of a dry run: applied | rejected | repeat | quarantined */
	const char *repeat_of;  /* earlier file name for a repeat */
	const char *encoding;   /* the encoding the file was read in, or NULL (not read) */
	const char *encoding_likely; /* of a file refused for its encoding: the one it is most likely in */
	int64_t received_at;    /* unix microseconds */
	uint64_t rows_read, rows_applied, rows_rejected, rows_duplicate;
	int nunknown;
	char *const *unknown_columns;
	const receipt_hint_t *hints; /* one per unknown column, or NULL */
	int nmissing;
	const receipt_missing_t *missing;
	uint64_t nerrors;
	const receipt_error_t *errors;
} receipt_t;

/* receipt_code_meaning - what a code means in a few words (Vietnamese and
 * English, as in docs/REJECTION_CODES.md), for the summary; 0, or -1 (with
 * *vi and *en set to a general phrase) for a code not known here. */
int receipt_code_meaning(const char *code, const char **vi, const char **en);

/* receipt_name_stamp - the UTC time stamp (YYYYmmddTHHMMSS.uuuuuuZ) that starts
 * the file names of a receipt for a file taken at us (unix microseconds);
 * names sort by it, which `bhxhctl submit --wait` relies on. */
void receipt_name_stamp(char *buf, size_t size, int64_t us);

/* receipt_write - write the files (JSON, text, and the CSV when a row was
 * rejected); the JSON's path into path_out if not NULL. 0 or -1. */
int receipt_write(const char *var_dir, const receipt_t *r, char *path_out, size_t path_size);

/* receipt_json / receipt_text - the two renderings, appended to b. The JSON
 * lists every error; the text starts with a summary by code and lists the
 * first RECEIPT_TEXT_MAX_ERRORS errors, then says how many more there are
 * and where they are. */
void receipt_json(sb_t *b, const receipt_t *r);
void receipt_text(sb_t *b, const receipt_t *r);

/* receipt_csv - the errors of rejected rows (line > 0) as CSV for a
 * spreadsheet: tab-separated, every text cell quoted, UTF-8 with a BOM
 * (receipt_write_rendered writes it as UTF-16LE with its BOM, which Excel
 * opens into columns whatever the list separator of its locale), CRLF, a
 * header row, one record per error
 * (line, column heading, field, code, Vietnamese and English message); a
 * cell that starts with = + - @ (or a tab or CR) is prefixed with ' so that
 * no spreadsheet reads it as a formula. Appends nothing and returns 0 when
 * there is no such error, else 1. */
int receipt_csv(sb_t *b, const receipt_t *r);

/* receipt_write_rendered - write already rendered JSON, text and CSV (csv
 * may be NULL: none) for the file (agency, name, received_at) atomically,
 * JSON last; 0 or -1. The CSV is STAMP-NAME.errors.csv beside the others. */
int receipt_write_rendered(const char *var_dir, const char *agency, const char *file, int64_t received_at,
    const char *json, const char *text, const char *csv, char *path_out, size_t path_size);

/* receipt_fit - make the rendered JSON, text and CSV (json, text: whole,
 * malloc'd; csv may be NULL or empty) take at most max bytes together, so
 * that the receipt fits in a message: the list of errors of each is cut at
 * an error and ends with how many were left out (JSON: "truncated": true,
 * "errors_omitted": N; CSV: a last record saying so). 1 if it was cut, 0 if
 * it already fitted. max must leave room for a few hundred bytes of note in
 * each. */
int receipt_fit(sb_t *json, sb_t *text, sb_t *csv, size_t max);

#endif
