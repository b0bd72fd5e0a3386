/* bhxh-gen - writes synthetic but valid agency files for tests and
 * benchmarks, deterministically from a seed.
 *
 *   bhxh-gen participant --rows N [--period YYYY-MM] [--units 058,060,...] [--seed S]
 *   bhxh-gen labor_force --year YYYY [--units ...] [--value N]
 *
 * Insurance numbers are made up (10 digits); no real person is described. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s_next - a small deterministic generator (xorshift64*). */
static unsigned long long
s_next(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static int
s_usage(void)
{
	fprintf(stderr, "usage: bhxh-gen participant --rows N [--period YYYY-MM] [--units A,B] [--seed S]\n"
	    "       bhxh-gen labor_force --year YYYY [--units A,B] [--value N]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	const char *period = "2017-03", *units_arg = "058,060,061,062,063,064,065,066";
	unsigned long long rows = 1000, seed = 42, value = 10000, year = 2017;
	char units[64][16], buf[1024];
	int nunits = 0;

	if (argc < 2)
		return s_usage();
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
	if (strcmp(argv[1], "labor_force") == 0) {
		printf("Mã huyện,Năm,Lực lượng lao động\n");
		for (int i = 0; i < nunits; i++)
			printf("%s,%llu,%llu\n", units[i], year, value);
		return 0;
	}
	return s_usage();
}
