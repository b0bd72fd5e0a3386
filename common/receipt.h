/* receipt - the answer an agency gets for every file it drops (docs/DOMAIN.md
 * §8): JSON plus a readable text twin in VAR/spool/outbox/AGENCY/,
 * each written atomically, always by ingest: for files refused whole or
 * repeated it renders them itself; the aggregate renders the receipt of
 * every file that reached it and sends it back in its FILE_DONE. */
#ifndef BHXH_RECEIPT_H
#define BHXH_RECEIPT_H

#include <stdint.h>

#include "fsutil.h"

typedef struct {
	uint64_t line;      /* 0 for a whole-file problem */
	const char *field;  /* may be NULL */
	const char *code;
	const char *message_vi;
	const char *message_en;
} receipt_error_t;

typedef struct {
	const char *file;       /* name as dropped */
	const char *agency;
	const char *type;       /* record type, or NULL when unknown */
	const char *sha256;
	const char *status;     /* applied | rejected | repeat */
	const char *repeat_of;  /* earlier file name for a repeat */
	const char *encoding;   /* the encoding the file was read in, or NULL (not read) */
	const char *encoding_likely; /* of a file refused for its encoding: the one it is most likely in */
	int64_t received_at;    /* unix microseconds */
	uint64_t rows_read, rows_applied, rows_rejected, rows_duplicate;
	int nunknown;
	char *const *unknown_columns;
	uint64_t nerrors;
	const receipt_error_t *errors;
} receipt_t;

/* receipt_name_stamp - the UTC time stamp (YYYYmmddTHHMMSS.uuuuuuZ) that starts
 * the file names of a receipt for a file taken at us (unix microseconds);
 * names sort by it, which `bhxhctl submit --wait` relies on. */
void receipt_name_stamp(char *buf, size_t size, int64_t us);

/* receipt_write - write both files; the JSON's path into path_out if not NULL. 0 or -1. */
int receipt_write(const char *var_dir, const receipt_t *r, char *path_out, size_t path_size);

/* receipt_json / receipt_text - the two renderings, appended to b. */
void receipt_json(sb_t *b, const receipt_t *r);
void receipt_text(sb_t *b, const receipt_t *r);

/* receipt_write_rendered - write already rendered JSON and text for the file
 * (agency, name, received_at) atomically, text first; 0 or -1. */
int receipt_write_rendered(const char *var_dir, const char *agency, const char *file, int64_t received_at,
    const char *json, const char *text, char *path_out, size_t path_size);

/* receipt_fit - make the rendered JSON and text (json, text: whole,
 * malloc'd) take at most max bytes together, so that the receipt fits in a
 * message: the list of errors of each is cut at an error and ends with how
 * many were left out (JSON: "truncated": true, "errors_omitted": N). 1 if
 * it was cut, 0 if it already fitted. max must leave room for a few hundred
 * bytes of note in each. */
int receipt_fit(sb_t *json, sb_t *text, size_t max);

#endif
