/* colhint - what a receipt tells a clerk about the columns of a file: the
 * clerk's own heading of each field's column, the accepted heading closest
 * to each column that matched no field, and the headings that would be
 * accepted for each required field the file lacks (the name and the aliases
 * of config/schemas.yaml).
 *
 * Headings are compared folded (text_fold_key: no diacritics, lower case,
 * one space between words), so "Mã số thuế DN" and "ma so thue" are compared
 * as "ma so thue dn" and "ma so thue". The similarity of two folded names is
 * the larger of their word overlap (Dice: twice the shared words over all
 * words) and their edit similarity (1 - Levenshtein distance / longer
 * length); the closest heading is offered when it reaches COLHINT_MIN. */
#ifndef BHXH_COLHINT_H
#define BHXH_COLHINT_H

#include "config.h"
#include "receipt.h"

#define COLHINT_MIN 0.5 /* least similarity of a heading offered as the closest */

typedef struct {
	const char **column_of;      /* per field of the record type: the clerk's heading, or NULL */
	receipt_hint_t *hints;       /* one per unknown column */
	int nmissing;
	receipt_missing_t *missing;  /* required fields without a column (when asked) */
} colhint_t;

/* colhint_similarity - 0..1, how alike two folded names are (1: the same). */
double colhint_similarity(const char *a, const char *b);

/* colhint_closest - the accepted heading (a field's name or alias, as
 * written in the schema) closest to heading, among the fields for which
 * taken (NULL: none taken) is 0, or NULL when none reaches COLHINT_MIN;
 * *field its field's index (-1 when NULL). The pointer is the schema's. */
const char *colhint_closest(const cfg_rtype_t *rt, const char *heading, const char *taken, int *field);

/* colhint_build - fill h for a file of type rt: heading_of (per field, NULL
 * entries or NULL as a whole when not known; the strings are borrowed and
 * must outlive h), its unknown columns, and with want_missing the required
 * fields without a column. Free with colhint_free. */
void colhint_build(colhint_t *h, const cfg_rtype_t *rt, char *const *heading_of, int nunknown,
    char *const *unknown, int want_missing);

/* colhint_from_pairs - heading_of (malloc'd array of rt->nfields borrowed
 * pointers, or NULL when npairs is 0) from a FILE_END's field/heading pairs. */
char **colhint_from_pairs(const cfg_rtype_t *rt, uint32_t npairs, char *const *pairs);

/* colhint_free - release what colhint_build allocated. */
void colhint_free(colhint_t *h);

#endif
