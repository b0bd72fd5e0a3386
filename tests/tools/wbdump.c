/* wbdump - read a workbook with the workbook reader and print its rows.
 *
 *   wbdump [-s SHEET] [-f] [-m] [-d] [-q] FILE
 *
 * Each row is printed as "LINE<TAB>cell|cell|..." (a row error as
 * "LINE<TAB>!CODE"); -q prints only "rows N cells N" at the end. -s picks a
 * sheet by name (-f: else the first), -m fills merged areas, -d writes date
 * serials (numbers with a date format) as YYYY-MM-DD. A whole-file error is
 * printed as "error CODE" with exit status 1. Used by the tests and by
 * tools/bench_workbook.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workbook.h"

/* s_print_row - one row on stdout. */
static void
s_print_row(const wb_reader_t *r, const csv_row_t *row, int dates)
{
	printf("%lu\t", row->line);
	if (row->err != NULL) {
		printf("!%s\n", row->err);
		return;
	}
	for (size_t i = 0; i < row->nfields; i++) {
		wb_cell_t c = wb_cell(r, i);
		char d[11];

		if (i > 0)
			putchar('|');
		if (dates && c.is_date && wb_serial_to_date(strtod(row->fields[i], NULL), wb_date1904(r), d) == 0)
			fputs(d, stdout);
		else
			fputs(row->fields[i], stdout);
	}
	putchar('\n');
}

int
main(int argc, char **argv)
{
	const char *sheet = NULL, *err = NULL;
	unsigned flags = 0;
	int quiet = 0, dates = 0, opt, rc;
	unsigned long long rows = 0, cells = 0;
	wb_reader_t *r;
	csv_row_t row;

	while ((opt = getopt(argc, argv, "s:fmdq")) != -1) {
		switch (opt) {
		case 's': sheet = optarg; break;
		case 'f': flags |= WB_SHEET_OR_FIRST; break;
		case 'm': flags |= WB_FILL_MERGED; break;
		case 'd': dates = 1; break;
		case 'q': quiet = 1; break;
		default:
			fprintf(stderr, "usage: wbdump [-s SHEET] [-f] [-m] [-d] [-q] FILE\n");
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: wbdump [-s SHEET] [-f] [-m] [-d] [-q] FILE\n");
		return 2;
	}
	r = wb_open_path(argv[optind], sheet, flags, NULL, &err);
	if (r == NULL) {
		printf("error %s\n", err);
		return 1;
	}
	if (!quiet)
		printf("# %s sheet '%s'\n", wb_format(r), wb_sheet_name(r));
	while ((rc = wb_next(r, &row)) == 1) {
		rows++;
		cells += row.nfields;
		if (!quiet)
			s_print_row(r, &row, dates);
	}
	if (rc < 0)
		printf("error %s\n", wb_error(r));
	if (quiet)
		printf("rows %llu cells %llu strings_on_disk %d\n", rows, cells, wb_strings_on_disk(r));
	wb_destroy(&r);
	return rc < 0 ? 1 : 0;
}
