/* gen.h - the synthetic province of bhxh-gen: a model in which every
 * employer, establishment, person and collection agent is a pure function of
 * (seed, index, month), and the writers that stream it into agency files.
 *
 * Nothing is stored per entity: each value is computed from a counter-based
 * hash of the seed and the entity's indexes, so any file of any month can be
 * written in one pass with memory that does not grow with the rows.
 *
 *   gen_model.c  the model: employers, establishments, workers, voluntary
 *                participants, agents, and the codes that name them
 *   gen_files.c  the files: styles, headers, Vietnamese values, bad rows
 *   gen.c        the command line (and the two original subcommands) */
#ifndef BHXH_GEN_H
#define BHXH_GEN_H

#include <stddef.h>
#include <stdint.h>

#define GEN_MAX_UNITS 64
#define GEN_MAX_MONTHS 240
#define GEN_NEVER 1000000        /* a month that never comes */

typedef uint64_t u64;

/* hash tags: one independent stream per purpose */
enum {
	GT_EMP, GT_EMP2, GT_EST, GT_SIZE, GT_SLOT, GT_VSLOT, GT_VAGENT, GT_AGENT, GT_DUAL,
	GT_ARR, GT_PAY, GT_STYLE, GT_BAD, GT_ROW, GT_FEISTEL, GT_CCCD, GT_RATIO, GT_TARGET,
	GT_NAME, GT_TAXD9, GT_NTAGS
};

/* gen_mix - a 64-bit finaliser (splitmix64) */
static inline u64
gen_mix(u64 z)
{
	z ^= z >> 30;
	z *= 0xbf58476d1ce4e5b9ULL;
	z ^= z >> 27;
	z *= 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z;
}

/* gen_unit_interval - a hash as a double in [0, 1) */
static inline double
gen_unit_interval(u64 h)
{
	return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

typedef struct {
	u64 seed;
	u64 key[GT_NTAGS];        /* one key per tag, from the seed */
	int nunits;
	char unit[GEN_MAX_UNITS][16];
	unsigned wcum[GEN_MAX_UNITS]; /* cumulative district weights */
	unsigned wtot;
	char bad_unit[16];        /* an org unit code not among the units */
	int y0, mo0;              /* the first period */
	int months;
	u64 nemp;                 /* employers at the first month: indexes [0, nemp) */
	u64 births;               /* employers born each later month */
	u64 nvol0;                /* voluntary participants at the first month */
	u64 size_cap;             /* employees of the largest employer */
	u64 nagents0;             /* collection agents at the first month */
	u64 agents_born;          /* agents added each later month */
	double bad_share, vol_share;
} gen_t;

/* gen_hash - the hash of (seed, tag, a, b) */
static inline u64
gen_hash(const gen_t *g, int tag, u64 a, u64 b)
{
	return gen_mix(gen_mix(g->key[tag] ^ a) + b * 0x9e3779b97f4a7c15ULL);
}

/* gen_u - gen_hash as a double in [0, 1) */
static inline double
gen_u(const gen_t *g, int tag, u64 a, u64 b)
{
	return gen_unit_interval(gen_hash(g, tag, a, b));
}

/* ---- the model (gen_model.c) ------------------------------------------------ */

#define GEN_MAX_EST 4             /* establishments of one employer: parent + 3 branches */

/* An employer as of its birth; months are relative to the first period (0). */
typedef struct {
	u64 e;
	int district;             /* index into unit[] */
	int dormant;              /* registered, never has workers */
	int registered;           /* in the enterprise registry */
	int suspended;            /* registry status of a dormant employer */
	int form, sector, descr, name_style;
	int nest;                 /* establishments: the parent and its branches */
	int reg_branches;         /* branches listed in the registry */
	int birth, death;         /* alive in [birth, death); at death Tax reports it stopped */
	int enrol;                /* first month with an insured unit (GEN_NEVER: never) */
	double declared;          /* share of employees declared to Social Security */
	double trend;             /* monthly growth of the workforce */
	u64 est_size[GEN_MAX_EST];/* employees of each establishment at birth */
	u64 est_cap[GEN_MAX_EST]; /* bound on its employees in any month: its worker slots */
	int reg_y, reg_m, reg_d;  /* registered_on */
	char tax[11];             /* 10-digit tax code */
} gen_emp_t;

/* One establishment's insured unit in one month. */
typedef struct {
	u64 employees;            /* declared to Tax */
	u64 insured;              /* 0: no insured unit this month */
	u64 bhtn;
	long long wage;           /* average wage basis per insured person */
	long long wage_basis, due, paid, arrears;
	int arrears_months;
} gen_unit_t;

int gen_init(gen_t *g, u64 seed, const char *units, const char *period, int months, double bad_share,
    double vol_share, char *err, size_t errsz);
void gen_scale(gen_t *g, u64 employers, u64 participants);
u64 gen_emp_count(const gen_t *g, int m);
void gen_employer(const gen_t *g, u64 e, gen_emp_t *out);
int gen_alive(const gen_emp_t *x, int m);
u64 gen_employees(const gen_t *g, const gen_emp_t *x, int k, int m);
void gen_unit(const gen_t *g, const gen_emp_t *x, int k, int m, gen_unit_t *out);
u64 gen_insured(const gen_t *g, const gen_emp_t *x, int k, int m);
long long gen_wage(const gen_t *g, const gen_emp_t *x, int k);
void gen_unit_code(const gen_emp_t *x, int k, char out[16]);
void gen_emp_name(const gen_emp_t *x, int k, char *out, size_t outsz);
int gen_slot_gen(const gen_t *g, int tag, u64 slot, int m);
u64 gen_person_no(const gen_t *g, int voluntary, u64 slot, int generation);
int gen_citizen_id(const gen_t *g, u64 number, char out[13]);
u64 gen_vol_count(const gen_t *g, int m);
int gen_vol_district(const gen_t *g, u64 v);
long long gen_vol_agent(const gen_t *g, u64 v, int generation, int m);
u64 gen_agent_count(const gen_t *g, int m);
int gen_agent_district(const gen_t *g, u64 a);
int gen_agent_active(const gen_t *g, u64 a);
void gen_agent_code(const gen_t *g, u64 a, char *out, size_t outsz);
void gen_agent_name(const gen_t *g, u64 a, char *out, size_t outsz);
double gen_coverage_ratio(const gen_t *g, int district);
void gen_period(const gen_t *g, int m, int *y, int *mo);

/* ---- the files (gen_files.c) ------------------------------------------------ */

#define GEN_TYPE_ENTERPRISE   0x01
#define GEN_TYPE_TAX          0x02
#define GEN_TYPE_UNIT         0x04
#define GEN_TYPE_PARTICIPANT  0x08
#define GEN_TYPE_AGENT        0x10
#define GEN_TYPE_LABOR        0x20
#define GEN_TYPE_TARGET       0x40
#define GEN_TYPE_ALL          0x7f

typedef struct {
	const char *dir;
	unsigned types;           /* GEN_TYPE_* to write */
	int verbose;
	const char *cmdline;      /* recorded in expected.txt */
} gen_out_opts_t;

int gen_write_months(gen_t *g, const gen_out_opts_t *o);
unsigned gen_parse_types(const char *list);

#endif
