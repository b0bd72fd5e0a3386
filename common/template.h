/* template - an empty file an agency fills for one record type: the
 * accepted Vietnamese headings (the first alias of each field in the
 * schemas, else its name) in schema order, and one example row that passes
 * the row checks (rowcheck.h), as CSV (UTF-8 with a BOM, CRLF) or as a
 * minimal .xlsx (one sheet named after the record type, inline strings,
 * identifier, date and period columns formatted as text "@" so that Excel
 * keeps their leading zeros and never turns them into numbers or dates).
 *
 * Schema order, not required fields first: it is the order of the shipped
 * samples, of the receipts' lists and of the agency guide, and it keeps the
 * fields a rule ties together (scheme, unemployment, unit code) side by side.
 * The guide says which columns are required. */
#ifndef BHXH_TEMPLATE_H
#define BHXH_TEMPLATE_H

#include <stddef.h>

#include "config.h"
#include "fsutil.h"

/* tpl_heading - the heading a template gives field f: its first alias (the
 * schemas list the Vietnamese heading first), else its name. */
const char *tpl_heading(const cfg_field_t *f);

/* tpl_text_column - 1 when the column holds codes, dates or words, which a
 * workbook keeps as text (cell format "@"); 0 for numbers (money, int, pct,
 * year). */
int tpl_text_column(const cfg_field_t *f);

/* tpl_example - the example row of record type rt, for period year-month
 * (month 1..12), with org units inside agency ag's scope (ag may be NULL):
 * values[0..rt->nfields-1], malloc'd (tpl_free_values). Each field gets a
 * value derived from its type as a clerk would type it (03/2017,
 * 15.000.000, "Bắt buộc"); when the row checks refuse a value (a rule
 * between fields), that field's next candidate is tried (an optional field
 * ends up empty). 0 when the row passes rowcheck_row_all, -1 when no
 * candidate did (values still filled). */
int tpl_example(const config_t *c, const cfg_agency_t *ag, const cfg_rtype_t *rt, int year, int month,
    char **values);

void tpl_free_values(const cfg_rtype_t *rt, char **values);

/* tpl_csv - the CSV template into b: a UTF-8 BOM, the header, the example
 * row, CRLF line ends, comma-separated (cells quoted when needed). */
void tpl_csv(sb_t *b, const cfg_rtype_t *rt, char *const *values);

/* tpl_xlsx - write the .xlsx template to path (created or truncated); 0, or
 * -1 with why in err. */
int tpl_xlsx(const char *path, const cfg_rtype_t *rt, char *const *values, char *err, size_t errsz);

/* tpl_write - write the template of rt in format "csv" or "xlsx" to path,
 * never replacing a file: it is written beside path under a hidden name,
 * flushed, then renamed in only if path does not exist. 0, or -1 with why
 * in err (errno EEXIST when path exists). */
int tpl_write(const char *path, const char *format, const cfg_rtype_t *rt, char *const *values, char *err,
    size_t errsz);

#endif
