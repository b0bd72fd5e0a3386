/* report - the coverage and findings reports of docs/DOMAIN.md §8, read
 * from the aggregate database, as CSV (exactly the columns listed there), JSON
 * or an aligned table. Used by the aggregate worker (files in VAR/reports/)
 * and by `bhxhctl report`. The dashboard pages are in dashboard.h. */
#ifndef BHXH_REPORT_H
#define BHXH_REPORT_H

#include <sqlite3.h>

#include "fsutil.h"

typedef enum { REPORT_CSV, REPORT_JSON, REPORT_TABLE } report_format_t;

#define COVERAGE_COLUMNS "org_unit,period,labor_force,bhxh_participants,compulsory,voluntary," \
	"bhtn_participants,bhxh_coverage_pct,bhtn_coverage_pct,target_bhxh_pct,target_bhtn_pct"
#define FINDINGS_COLUMNS "kind,subject,org_unit,period,severity,value,threshold,status"

/* report_coverage / report_findings - append the report to out. period and
 * org_unit filter when not NULL (org_unit: that unit and its subtree).
 * 0, or -1 on a database error. */
int report_coverage(sqlite3 *db, const char *period, const char *org_unit, report_format_t f, sb_t *out);
int report_findings(sqlite3 *db, const char *period, const char *org_unit, report_format_t f, sb_t *out);

/* report_grouped - a whole number with '.' between thousands, Vietnamese
 * style ("1.234.567", "-12.000"), appended to out. */
void report_grouped(sb_t *out, long long v);

/* report_html_escape - add s with & < > " ' escaped (NULL adds nothing). */
void report_html_escape(sb_t *b, const char *s);

/* report_format_parse - "csv", "json", "table"; -1 when unknown. */
int report_format_parse(const char *s);

/* report_number - a number as the reports print it: no grouping, at most 2
 * decimals, trailing zeros dropped ("12", "12.5", "12.34"); "" (an empty
 * cell, null in JSON) for NaN, infinities and magnitudes above 1e15. */
void report_number(char *buf, size_t size, double v);

#endif
