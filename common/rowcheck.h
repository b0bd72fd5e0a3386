/* rowcheck - check one row against its record type's schema: every field by
 * its type (fieldcheck.h), org units against the configured tree, the
 * agency's scope, and the record type's cross-field rules. Stateless, so any
 * number of validation processes give the same answer. */
#ifndef BHXH_ROWCHECK_H
#define BHXH_ROWCHECK_H

#include "config.h"
#include "fieldcheck.h"

/* At most this many errors of one row are listed (in a message, a receipt). */
#define ROWCHECK_MAX_ERRORS 16

typedef struct {
	const char *field;   /* the field's name, or NULL (a note on the row) */
	fc_error_t err;
} rowcheck_error_t;

/* Where rowcheck_row_all puts a row's errors: errs has room for max. */
typedef struct {
	rowcheck_error_t *errs;
	unsigned max;
	unsigned n;          /* kept in errs */
	unsigned total;      /* found */
} rowcheck_errors_t;

/* rowcheck_row_all - check every field of the row, then the scope and every
 * rule (a rule only on fields that passed their own checks), and keep every
 * error, in that order: fields in schema order, scope, rules. 0 when the row
 * is good (out[] holds the canonical forms, malloc'd, caller frees); -1 with
 * e->n errors kept (out then holds nothing). When a row has more than
 * e->max errors (and max >= 2), the last kept one is replaced by a note,
 * code E_ROW_TOO_MANY_ERRORS, saying how many more there are. */
int rowcheck_row_all(const config_t *c, const cfg_agency_t *ag, const cfg_rtype_t *rt, char *const *values,
    char **out, rowcheck_errors_t *e);

/* rowcheck_row - check values[0..rt->nfields-1] (raw cells) and write the
 * canonical forms into out[] (malloc'd, caller frees). Returns 0, or -1 with
 * *bad_field set to the field's name (or NULL for a rule on several) and err
 * filled with the first error; out then holds nothing. */
int rowcheck_row(const config_t *c, const cfg_agency_t *ag, const cfg_rtype_t *rt, char *const *values,
    char **out, const char **bad_field, fc_error_t *err);

#endif
