/* bhxh-gen - writes synthetic but valid agency files for tests and
 * benchmarks, deterministically from a seed.
 *
 *   bhxh-gen participant --rows N [--period YYYY-MM] [--units 058,060,...] [--seed S]
 *   bhxh-gen labor_force --year YYYY [--units ...] [--value N]
 *   bhxh-gen month --out DIR --period YYYY-MM [--months N] [--employers N | --participants N] ...
 *   bhxh-gen --help
 *
 * participant and labor_force write one file to standard output, as they
 * always have. month writes every record type for consecutive months of a
 * consistent synthetic province (gen_model.c, gen_files.c); --help says what.
 *
 * Insurance numbers, tax codes and citizen IDs are made up; no person is
 * described and no person is named. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "gen.h"

#define S_DEFAULT_UNITS "058,060,061,062,063,064,065,066"

static const char s_help[] =
"bhxh-gen - synthetic agency files for tests and benchmarks, deterministic from a seed\n"
"\n"
"usage:\n"
"  bhxh-gen participant --rows N [--period YYYY-MM] [--units A,B,...] [--seed S]\n"
"  bhxh-gen labor_force --year YYYY [--units A,B,...] [--value N]\n"
"  bhxh-gen month --out DIR --period YYYY-MM [--months N] [--employers N | --participants N]\n"
"                 [--seed S] [--units A,B,...] [--bad-share F] [--voluntary-share F]\n"
"                 [--types LIST] [--verbose]\n"
"  bhxh-gen --help\n"
"\n"
"participant  one participant file on standard output: N rows of made-up numbers\n"
"             1000000000, 1000000001, ... (default 1000 rows, period 2017-03,\n"
"             seed 42), one in five voluntary, the others in unit DV0001.\n"
"labor_force  one labour-force file on standard output: every unit, year YYYY\n"
"             (default 2017), labour force N (default 10000).\n"
"\n"
"month        every record type for N consecutive months of one synthetic\n"
"             province, consistent with each other, into DIR (created if missing):\n"
"               enterprise_P.csv        registry (skhdt), every month\n"
"               collection_agent_P.csv  agents (bhxh), every month\n"
"               labor_force_YYYY.csv    labour force per unit (sldtbxh), once a year\n"
"               target_YYYY.csv         BHXH/BHTN targets per unit (sldtbxh), once a year\n"
"               insured_unit_P.csv      insured units, contributions, arrears (bhxh)\n"
"               participant_P.csv       insured people (bhxh)\n"
"               tax_employer_P.csv      employers and employees (cucthue)\n"
"               expected.txt            one line per file, in the order to submit them\n"
"                                       (insured units before Tax's employers, so that\n"
"                                       no employer looks unenrolled in between):\n"
"                                       file agency type rows rows_rejected rows_duplicate\n"
"             Files are written under a hidden name and renamed when complete.\n"
"\n"
"options of month:\n"
"  --out DIR             output directory (required)\n"
"  --period YYYY-MM      first month (required)\n"
"  --months N            consecutive months, 1-240 (default 1)\n"
"  --employers N         employers in the first month (default 200: a few hundred\n"
"                        to a few thousand participant rows, depending on the seed)\n"
"  --participants N      set the scale by participant rows of the first month\n"
"                        instead: employers are added until their workers reach\n"
"                        (1 - voluntary share) x N, voluntary participants make up\n"
"                        the rest, so the first month has exactly N rows (more only\n"
"                        with a voluntary share near 0)\n"
"  --seed S              seed (default 1); the same arguments give byte-identical\n"
"                        files, another seed other files\n"
"  --units A,B,...       leaf org units (default " S_DEFAULT_UNITS ",\n"
"                        the districts of Bắc Kạn); the first is the largest\n"
"  --bad-share F         share of rows made bad, 0-1 (default 0: every row valid)\n"
"  --voluntary-share F   share of voluntary participants, 0-0.95 (default 0.2)\n"
"  --types LIST          only these types, e.g. participant,insured_unit (default all);\n"
"                        the others are still modelled, so files stay consistent\n"
"  --verbose             print rows, bad rows, seconds and rows/s per file, and the\n"
"                        peak RSS, on stderr\n"
"\n"
"the province (every value a pure function of seed, index and month):\n"
"  employers     sizes heavy-tailed: P(size >= k) = 2/(k+1) (a third have 1\n"
"                employee, 4 in 5 at most 10, 1 in 50 at least 100), up to 5000\n"
"                and at most 1/20 of the province's workers; 12% registered but\n"
"                dormant (no workers), 3% not in the registry (unregistered);\n"
"                large ones have up to 3 branches (tax code NNNNNNNNNN-00k, an\n"
"                insured unit each). Tax codes are 47xxxxxxxx with a valid check\n"
"                digit. 20% have no insured unit (not_enrolled): half never\n"
"                enrol, half at 8% a month; 12% of the enrolled declare only\n"
"                30-80% of their employees (under_declared); 6% of units have a\n"
"                wage basis below the regional minimum (low_wage_basis).\n"
"  arrears       a quarter of units are chronic debtors: behind for 1-2, 3-5,\n"
"                6-11 or 12-30 months (each arrears severity), then paid off\n"
"                (paid = due + debt), clear for 1-12 months, and again, each at\n"
"                its own phase; others sometimes pay late in the month (a debt\n"
"                of 0 months) or ahead.\n"
"  months        employers are born (1% a month) and dissolve (0.8% a month: Tax\n"
"                reports them stopped, the registry dissolved); workforces drift;\n"
"                each worker slot changes occupant every 6-60 months.\n"
"  participants  the workers of each insured unit (insured_count rows, bhtn_count\n"
"                of them with BHTN); 1 in 30 units shares a worker with the unit\n"
"                before it (one person in two units); voluntary participants\n"
"                (no unit) with an agent code of an active agent of their district\n"
"                (1 in 10 pay at the office: no agent).\n"
"  agents        per district; the first busy, the second and 10% of the others\n"
"                idle (idle_agent after 3 months), 8% stopped; 2% more a month,\n"
"                each taking over a few voluntary participants (consistent hash).\n"
"  labour force  per unit and year, so that the year's first month's participants\n"
"                are 25-55% of it; targets per unit and year near that share.\n"
"  numbers       insurance numbers: 10 digits, a keyed permutation (unique, no\n"
"                person real); citizen IDs for 60%: 006 then 8 or 9 (a birth\n"
"                century not yet issued) then 8 digits. No names of people: names\n"
"                are legal form, trade and a descriptive word.\n"
"\n"
"forms (drawn per file): headers in Vietnamese, in ASCII capitals or other\n"
"aliases of config/schemas.yaml; ',' or ';'; a UTF-8 BOM; CRLF; a leading STT\n"
"column (listed as unknown in receipts); periods YYYY-MM, MM/YYYY, M/YYYY; dates\n"
"DD/MM/YYYY, YYYY-MM-DD, D/M/YYYY; money plain or grouped 1.234.567, \"1,234,567\",\n"
"1 234 567; enumeration values in Vietnamese with or without diacritics, or\n"
"short (BB, TN); BHTN as x, 1, có; percentages 35, 35,5, 35.5%.\n"
"\n"
"bad rows (--bad-share): each row is bad with probability F, in one way that\n"
"fits its type: a wrong tax-code check digit, month 13, negative money or\n"
"employees, an unknown org unit, the last good row repeated (duplicate key),\n"
"an unknown enumeration value, bhtn_count above insured_count, arrears months\n"
"without arrears, a malformed unit or agent code, a 9-digit insurance number,\n"
"a voluntary participant with BHTN or a compulsory one without unit, 30\n"
"February, a 2-digit year, labour force 0, a target of 120%, BHTN target above\n"
"BHXH. Each is rejected exactly once; expected.txt counts them per file.\n"
"\n"
"Memory does not grow with the rows (one row and a 1 MiB buffer at a time);\n"
"at most about 78 million worker slots (10-digit insurance numbers).\n";

static int
s_usage(void)
{
	fprintf(stderr, "usage: bhxh-gen participant --rows N [--period YYYY-MM] [--units A,B] [--seed S]\n"
	    "       bhxh-gen labor_force --year YYYY [--units A,B] [--value N]\n"
	    "       bhxh-gen month --out DIR --period YYYY-MM [--months N] [options]\n"
	    "       bhxh-gen --help\n");
	return 2;
}

/* s_next - a small deterministic generator (xorshift64*), for participant. */
static unsigned long long
s_next(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* s_simple - the participant and labor_force subcommands, unchanged */
static int
s_simple(int argc, char **argv)
{
	const char *period = "2017-03", *units_arg = S_DEFAULT_UNITS;
	unsigned long long rows = 1000, seed = 42, value = 10000, year = 2017;
	char units[64][16], buf[1024];
	int nunits = 0;

	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--rows") == 0)
			rows = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--period") == 0)
			period = argv[i + 1];
		else if (strcmp(argv[i], "--units") == 0)
			units_arg = argv[i + 1];
		else if (strcmp(argv[i], "--seed") == 0)
			seed = strtoull(argv[i + 1], NULL, 10) | 1;
		else if (strcmp(argv[i], "--value") == 0)
			value = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--year") == 0)
			year = strtoull(argv[i + 1], NULL, 10);
		else
			return s_usage();
	}
	snprintf(buf, sizeof(buf), "%s", units_arg);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t && nunits < 64; t = strtok_r(NULL, ",", &save))
		snprintf(units[nunits++], sizeof(units[0]), "%s", t);
	if (strcmp(argv[1], "participant") == 0) {
		printf("Mã số BHXH,Mã huyện,Kỳ,Loại hình,Tham gia BHTN,Mã đơn vị\n");
		for (unsigned long long i = 0; i < rows; i++) {
			unsigned long long r = s_next(&seed);
			int vol = (r >> 8) % 5 == 0;

			/* distinct numbers: the row index makes them unique */
			printf("%010llu,%s,%s,%s,%s,%s\n", 1000000000ULL + i, units[(r >> 16) % (unsigned)nunits], period,
			    vol ? "Tự nguyện" : "Bắt buộc", !vol && (r >> 24) % 3 ? "x" : "",
			    vol ? "" : "DV0001");
		}
		return 0;
	}
	printf("Mã huyện,Năm,Lực lượng lao động\n");
	for (int i = 0; i < nunits; i++)
		printf("%s,%llu,%llu\n", units[i], year, value);
	return 0;
}

/* s_count - a whole number option */
static int
s_count(const char *opt, const char *v, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || *out > max) {
		fprintf(stderr, "bhxh-gen: %s: '%s' is not a whole number up to %llu\n", opt, v, max);
		return -1;
	}
	return 0;
}

/* s_share - a number in [0, 1] */
static int
s_share(const char *opt, const char *v, double *out)
{
	char *end;

	*out = strtod(v, &end);
	if (end == v || *end != '\0' || !(*out >= 0 && *out <= 1)) {
		fprintf(stderr, "bhxh-gen: %s: '%s' is not a number from 0 to 1\n", opt, v);
		return -1;
	}
	return 0;
}

static int
s_month(int argc, char **argv)
{
	const char *out = NULL, *period = NULL, *units = S_DEFAULT_UNITS, *types = "all";
	unsigned long long months = 1, employers = 200, participants = 0, seed = 1;
	double bad = 0, vol = 0.2;
	int verbose = 0, have_emp = 0;
	char err[256], cmd[1024];
	gen_out_opts_t o;
	gen_t *g;
	int rc;

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int r = 0;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(s_help, stdout);
			return 0;
		}
		if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
			verbose = 1;
			continue;
		}
		if (v == NULL) {
			fprintf(stderr, "bhxh-gen: %s needs a value (bhxh-gen --help)\n", a);
			return 2;
		}
		i++;
		if (strcmp(a, "--out") == 0)
			out = v;
		else if (strcmp(a, "--period") == 0)
			period = v;
		else if (strcmp(a, "--units") == 0)
			units = v;
		else if (strcmp(a, "--types") == 0)
			types = v;
		else if (strcmp(a, "--months") == 0)
			r = s_count(a, v, GEN_MAX_MONTHS, &months);
		else if (strcmp(a, "--employers") == 0) {
			r = s_count(a, v, 30000000ULL, &employers);
			have_emp = 1;
		} else if (strcmp(a, "--participants") == 0)
			r = s_count(a, v, 100000000ULL, &participants);
		else if (strcmp(a, "--seed") == 0)
			r = s_count(a, v, ~0ULL, &seed);
		else if (strcmp(a, "--bad-share") == 0)
			r = s_share(a, v, &bad);
		else if (strcmp(a, "--voluntary-share") == 0)
			r = s_share(a, v, &vol);
		else {
			fprintf(stderr, "bhxh-gen: unknown option %s (bhxh-gen --help)\n", a);
			return 2;
		}
		if (r != 0)
			return 2;
	}
	if (out == NULL || period == NULL) {
		fprintf(stderr, "bhxh-gen: month needs --out DIR and --period YYYY-MM (bhxh-gen --help)\n");
		return 2;
	}
	if (have_emp && participants > 0) {
		fprintf(stderr, "bhxh-gen: give --employers or --participants, not both\n");
		return 2;
	}
	o.types = gen_parse_types(types);
	if (o.types == 0) {
		fprintf(stderr, "bhxh-gen: --types: '%s' is not a list of record types (or all)\n", types);
		return 2;
	}
	g = malloc(sizeof(*g));
	if (g == NULL) {
		fprintf(stderr, "bhxh-gen: out of memory\n");
		return 1;
	}
	if (gen_init(g, seed, units, period, (int)months, bad, vol, err, sizeof(err)) != 0) {
		fprintf(stderr, "bhxh-gen: %s\n", err);
		free(g);
		return 2;
	}
	if (fs_mkdirs(out) != 0) {
		fprintf(stderr, "bhxh-gen: cannot create %s: %s\n", out, strerror(errno));
		free(g);
		return 1;
	}
	gen_scale(g, employers, participants);
	/* the arguments that decide the files (not where they go) */
	snprintf(cmd, sizeof(cmd), "bhxh-gen month --period %s --months %llu --%s %llu --seed %llu --units %s"
	    " --bad-share %g --voluntary-share %g --types %s", period, months,
	    participants > 0 ? "participants" : "employers", participants > 0 ? participants : employers, seed,
	    units, bad, vol, types);
	o.dir = out;
	o.verbose = verbose;
	o.cmdline = cmd;
	rc = gen_write_months(g, &o);
	free(g);
	if (verbose) {
		struct rusage ru;

		if (getrusage(RUSAGE_SELF, &ru) == 0)
			fprintf(stderr, "bhxh-gen: peak RSS %ld KB\n", ru.ru_maxrss);
	}
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		return s_usage();
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(s_help, stdout);
		return 0;
	}
	if (strcmp(argv[1], "participant") == 0 || strcmp(argv[1], "labor_force") == 0)
		return s_simple(argc, argv);
	if (strcmp(argv[1], "month") == 0)
		return s_month(argc, argv);
	return s_usage();
}
