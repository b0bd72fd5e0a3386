/* rowcheck - check one row against its record type's schema: every field by
 * its type (fieldcheck.h), org units against the configured tree, the
 * agency's scope, and the record type's cross-field rules. Stateless, so any
 * number of validation processes give the same answer. */
#ifndef BHXH_ROWCHECK_H
#define BHXH_ROWCHECK_H

#include "config.h"
#include "fieldcheck.h"

/* rowcheck_row - check values[0..rt->nfields-1] (raw cells) and write the
 * canonical forms into out[] (malloc'd, caller frees). Returns 0, or -1 with
 * *bad_field set to the field's name (or NULL for a rule on several) and err
 * filled; out then holds nothing. */
int rowcheck_row(const config_t *c, const cfg_agency_t *ag, const cfg_rtype_t *rt, char *const *values,
    char **out, const char **bad_field, fc_error_t *err);

#endif
