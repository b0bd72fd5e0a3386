/* gen_model - the synthetic province: employers, their establishments and
 * workers, voluntary participants and collection agents, each a pure
 * function of the seed, its index and the month (see gen.h).
 *
 * Months are counted from the first period (month 0). An employer index e
 * below nemp exists at month 0; employers born in month m >= 1 take the
 * indexes [nemp + births*(m-1), nemp + births*m), so the population of a
 * month never depends on how many months are written.
 *
 * Workers: each establishment owns est_cap worker slots, numbered densely in
 * index order (a running sum while streaming). Slot j holds a worker while
 * j < the establishment's insured count; the occupant changes every few
 * years (a generation counter from the slot's hash), which is how people
 * leave and join. A person's insurance number is a keyed permutation of
 * (slot, generation) over the 10^10 ten-digit numbers, so numbers are unique
 * without remembering any. */
#include "gen.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fieldcheck.h"

/* district weights by position: the first unit (a provincial city) is the largest */
static const unsigned s_weights[8] = { 4, 1, 2, 1, 2, 2, 2, 2 };

/* default district names, for agents' names */
static const struct { const char *code, *name; } s_district_names[] = {
	{ "058", "Thành phố Bắc Kạn" }, { "060", "huyện Pác Nặm" }, { "061", "huyện Ba Bể" },
	{ "062", "huyện Ngân Sơn" }, { "063", "huyện Bạch Thông" }, { "064", "huyện Chợ Đồn" },
	{ "065", "huyện Chợ Mới" }, { "066", "huyện Na Rì" },
};

/* tax authority codes that start tax codes: Bắc Kạn first, then others for
 * more than a million employers */
static const char s_tax_prefix[][3] = {
	"47", "01", "03", "02", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14",
	"15", "16", "17", "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29",
};

static const char *const s_forms[] = {
	"Công ty TNHH", "Công ty TNHH MTV", "Công ty Cổ phần", "Doanh nghiệp tư nhân", "Hợp tác xã",
};
static const char *const s_forms_short[] = { "Cty TNHH", "Cty TNHH MTV", "CTCP", "DNTN", "HTX" };
static const char *const s_unit_prefix[] = { "TA", "TB", "TC", "TD", "TE" };

static const char *const s_sectors[] = {
	"Xây dựng", "Thương mại", "Dịch vụ", "Vận tải", "Chế biến nông sản", "Khai khoáng",
	"Du lịch", "May mặc", "Chế biến gỗ", "Dược liệu", "Điện nước", "Lâm nghiệp", "Chăn nuôi",
	"Vật liệu xây dựng", "Cơ khí", "Thực phẩm",
};
#define S_NSECTORS (sizeof(s_sectors) / sizeof(s_sectors[0]))

static const char *const s_descr[] = {
	"Miền Núi", "Đông Bắc", "Sông Cầu", "Hồ Ba Bể", "Thịnh Vượng", "Phát Triển", "Tiến Bộ",
	"Đồng Tâm", "Toàn Cầu", "Rừng Xanh", "Bền Vững", "Hữu Nghị", "Thống Nhất", "Đoàn Kết",
	"Sáng Tạo", "Tương Lai",
};
#define S_NDESCR (sizeof(s_descr) / sizeof(s_descr[0]))

static const char *const s_agent_kinds[] = {
	"Bưu điện văn hóa xã số", "Đại lý thu UBND xã số", "Đại lý thu Hội Nông dân xã số",
	"Đại lý thu Hội Phụ nữ xã số", "Điểm thu Bưu điện số",
};

/* s_code_ok - an org unit code the generator accepts */
static int
s_code_ok(const char *s, size_t n)
{
	if (n == 0 || n > 15)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

static int
s_has_unit(const gen_t *g, const char *code)
{
	for (int i = 0; i < g->nunits; i++)
		if (strcmp(g->unit[i], code) == 0)
			return 1;
	return 0;
}

int
gen_init(gen_t *g, u64 seed, const char *units, const char *period, int months, double bad_share,
    double vol_share, char *err, size_t errsz)
{
	static const char *const bad[] = { "099", "999", "0990", "ZZ9" };
	const char *p = units;
	int y, mo;
	char tail;

	memset(g, 0, sizeof(*g));
	g->seed = seed;
	for (int t = 0; t < GT_NTAGS; t++)
		g->key[t] = gen_mix(seed * 0x9e3779b97f4a7c15ULL + (u64)(t + 1) * 0xd1b54a32d192ed03ULL);
	while (*p != '\0') {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);

		if (!s_code_ok(p, n)) {
			snprintf(err, errsz, "--units: '%.*s' is not an org unit code (1-15 of A-Z a-z 0-9 _ - .)",
			    (int)(n > 20 ? 20 : n), p);
			return -1;
		}
		if (g->nunits == GEN_MAX_UNITS) {
			snprintf(err, errsz, "--units: at most %d units", GEN_MAX_UNITS);
			return -1;
		}
		memcpy(g->unit[g->nunits], p, n);
		g->unit[g->nunits][n] = '\0';
		if (s_has_unit(g, g->unit[g->nunits])) {
			snprintf(err, errsz, "--units: '%s' is listed twice", g->unit[g->nunits]);
			return -1;
		}
		g->wtot += s_weights[g->nunits % 8];
		g->wcum[g->nunits] = g->wtot;
		g->nunits++;
		p += n;
		if (*p == ',')
			p++;
	}
	if (g->nunits == 0) {
		snprintf(err, errsz, "--units: no unit");
		return -1;
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!s_has_unit(g, bad[i])) {
			snprintf(g->bad_unit, sizeof(g->bad_unit), "%s", bad[i]);
			break;
		}
	if (sscanf(period, "%4d-%2d%c", &y, &mo, &tail) != 2 || strlen(period) != 7 || y < 1990 || y > 2100 ||
	    mo < 1 || mo > 12) {
		snprintf(err, errsz, "--period: '%.20s' is not YYYY-MM (1990-2100)", period);
		return -1;
	}
	g->y0 = y;
	g->mo0 = mo;
	if (months < 1 || months > GEN_MAX_MONTHS) {
		snprintf(err, errsz, "--months: must be 1 to %d", GEN_MAX_MONTHS);
		return -1;
	}
	g->months = months;
	if (y * 12 + mo - 1 + months - 1 > 2100 * 12 + 11) {
		snprintf(err, errsz, "--months: the last month would be after 2100-12");
		return -1;
	}
	if (!(bad_share >= 0 && bad_share <= 1)) {
		snprintf(err, errsz, "--bad-share: must be 0 to 1");
		return -1;
	}
	if (!(vol_share >= 0 && vol_share <= 0.95)) {
		snprintf(err, errsz, "--voluntary-share: must be 0 to 0.95");
		return -1;
	}
	g->bad_share = bad_share;
	g->vol_share = vol_share;
	return 0;
}

/* s_geom - months until an event of monthly probability p, from u in [0, 1) */
static int
s_geom(double u, double p)
{
	double v = floor(log1p(-u) / log1p(-p));

	return v > GEN_NEVER ? GEN_NEVER : (int)v;
}

/* s_district - a district index by the weights */
static int
s_district(const gen_t *g, u64 h)
{
	unsigned r = (unsigned)(h % g->wtot);
	int i = 0;

	while (g->wcum[i] <= r)
		i++;
	return i;
}

void
gen_period(const gen_t *g, int m, int *y, int *mo)
{
	int k = g->y0 * 12 + g->mo0 - 1 + m;

	*y = k / 12;
	*mo = k % 12 + 1;
}

u64
gen_emp_count(const gen_t *g, int m)
{
	return g->nemp + g->births * (u64)(m > 0 ? m : 0);
}

/* s_tax_code - the 10-digit tax code of employer e: a tax authority prefix,
 * six digits from a permutation of e, a ninth digit chosen so that a check
 * digit exists, and the check digit */
static void
s_tax_code(const gen_t *g, u64 e, char out[11])
{
	u64 block = e / 1000000, n = (e % 1000000 * 370373 + 123457) % 1000000;
	int d9 = (int)(gen_hash(g, GT_TAXD9, e, 0) % 10);

	if (block >= sizeof(s_tax_prefix) / sizeof(s_tax_prefix[0]))
		block %= sizeof(s_tax_prefix) / sizeof(s_tax_prefix[0]); /* beyond 30 million employers */
	snprintf(out, 11, "%s%06llu%d0", s_tax_prefix[block], (unsigned long long)n, d9);
	if (fc_tax_check_digit(out) < 0) {
		out[8] = (char)('0' + (d9 + 1) % 10);
	}
	out[9] = (char)('0' + fc_tax_check_digit(out));
}

void
gen_employer(const gen_t *g, u64 e, gen_emp_t *x)
{
	u64 h0 = gen_hash(g, GT_EMP, e, 0), h1 = gen_hash(g, GT_EMP, e, 1);
	double u;
	u64 s;

	memset(x, 0, sizeof(*x));
	x->e = e;
	x->birth = e < g->nemp ? 0 : 1 + (int)((e - g->nemp) / g->births);
	x->district = s_district(g, h0);
	x->dormant = gen_u(g, GT_EMP, e, 2) < 0.12;
	x->registered = x->dormant || gen_u(g, GT_EMP, e, 3) >= 0.03;
	x->suspended = x->dormant && gen_u(g, GT_EMP, e, 4) < 0.3;
	u = gen_u(g, GT_EMP, e, 5);
	x->form = u < 0.45 ? 0 : u < 0.57 ? 1 : u < 0.77 ? 2 : u < 0.90 ? 3 : 4;
	x->sector = (int)((h1 >> 8) % S_NSECTORS);
	x->descr = (int)((h1 >> 24) % S_NDESCR);
	x->name_style = (int)((h1 >> 40) % 100);
	/* employees: P(size >= k) = 2 / (k + 1): a third have 1, four in five at
	 * most 10, one in fifty 100 or more, one in five hundred 1000 or more,
	 * up to size_cap (5000, less in a small province) */
	u = gen_unit_interval(gen_hash(g, GT_SIZE, e, 0));
	s = (u64)floor(2.0 / (1.0 - u)) - 1;
	if (s > g->size_cap)
		s = g->size_cap;
	x->nest = 1;
	if (!x->dormant && s >= 30 && gen_u(g, GT_EMP, e, 6) < 0.4) {
		x->nest = 2 + (int)(gen_hash(g, GT_EMP, e, 7) % (GEN_MAX_EST - 1));
		x->reg_branches = gen_u(g, GT_EMP, e, 8) < 0.5 ? x->nest - 1 : 0;
	}
	if (!x->dormant) {
		u64 b = s * 2 / 5 / (u64)(x->nest - 1 > 0 ? x->nest - 1 : 1);

		if (b < 1)
			b = 1;
		x->est_size[0] = x->nest > 1 ? s - b * (u64)(x->nest - 1) : s;
		for (int k = 1; k < x->nest; k++)
			x->est_size[k] = b;
		for (int k = 0; k < x->nest; k++)
			x->est_cap[k] = x->est_size[k] + x->est_size[k] / 2 + 2;
	}
	x->trend = -0.01 + 0.025 * gen_u(g, GT_EMP, e, 9);
	x->death = x->birth + 1 + s_geom(gen_u(g, GT_EMP, e, 10), 0.008);
	/* enrolment: 80% of employers (55% of new ones) from the start; of the
	 * others half never enrol, half at 8% a month */
	if (x->dormant)
		x->enrol = GEN_NEVER;
	else if (gen_u(g, GT_EMP, e, 11) < (x->birth == 0 ? 0.80 : 0.55))
		x->enrol = x->birth == 0 ? -GEN_NEVER : x->birth;
	else if (gen_u(g, GT_EMP, e, 17) < 0.5)
		x->enrol = GEN_NEVER;
	else
		x->enrol = x->birth + 1 + s_geom(gen_u(g, GT_EMP, e, 12), 0.08);
	x->declared = gen_u(g, GT_EMP, e, 13) < 0.12 ? 0.3 + 0.5 * gen_u(g, GT_EMP, e, 14) : 1.0;
	if (x->birth == 0) {
		int span = (g->y0 - 2000) * 12 + g->mo0 - 1, k;

		if (span < 12)
			span = 12;
		k = g->y0 * 12 + g->mo0 - 1 - 1 - (int)(gen_hash(g, GT_EMP, e, 15) % (u64)span);
		x->reg_y = k / 12;
		x->reg_m = k % 12 + 1;
	} else
		gen_period(g, x->birth, &x->reg_y, &x->reg_m);
	x->reg_d = 1 + (int)(gen_hash(g, GT_EMP, e, 16) % 28);
	s_tax_code(g, e, x->tax);
}

int
gen_alive(const gen_emp_t *x, int m)
{
	return m >= x->birth && m < x->death;
}

/* s_est_id - one number per establishment */
static u64
s_est_id(const gen_emp_t *x, int k)
{
	return x->e * GEN_MAX_EST + (u64)k;
}

u64
gen_employees(const gen_t *g, const gen_emp_t *x, int k, int m)
{
	u64 base = x->est_size[k], hi = base + base / 2 + 1;
	double v;
	long long n;

	if (x->dormant || k >= x->nest)
		return 0;
	v = (double)base * (1.0 + x->trend * (m - x->birth)) *
	    (1.0 + 0.08 * (gen_u(g, GT_SIZE, s_est_id(x, k), (u64)m + 1) - 0.5));
	n = llround(v);
	if (n < 1)
		n = 1;
	if ((u64)n > hi)
		n = (long long)hi;
	return (u64)n;
}

u64
gen_insured(const gen_t *g, const gen_emp_t *x, int k, int m)
{
	u64 n, c;

	if (!gen_alive(x, m) || m < x->enrol || x->dormant)
		return 0;
	n = gen_employees(g, x, k, m);
	if (x->declared < 1.0) {
		c = (u64)floor((double)n * x->declared);
		return c < 1 ? 1 : c;
	}
	if (n >= 30) /* new hires not yet declared: a gap under 10% */
		return n - gen_hash(g, GT_EST, s_est_id(x, k), (u64)m) % 3;
	return n;
}

/* s_unit_start - the first month of the establishment's insured unit */
static int
s_unit_start(const gen_emp_t *x)
{
	int s = x->birth > x->enrol ? x->birth : x->enrol;

	return s > 0 ? s : 0;
}

/* s_arrears_months - months of unpaid contributions. A quarter of units
 * are chronic debtors: they fall behind for D months (1-2, 3-5, 6-11 or
 * 12-30), pay everything off, stay clear for 1-12 months, and again, at a
 * phase of their own; so at any month some debts are young, some old, some
 * just paid. A unit that started late has no debt older than itself. */
static int
s_arrears_months(const gen_t *g, const gen_emp_t *x, int k, int m)
{
	u64 id = s_est_id(x, k), h = gen_hash(g, GT_ARR, id, 0);
	double u2 = gen_u(g, GT_ARR, id, 2);
	int start = s_unit_start(x), d, period, pos;

	if (gen_u(g, GT_ARR, id, 1) >= 0.25 || m < start)
		return 0;
	d = u2 < 0.30 ? 1 + (int)(h % 2) : u2 < 0.55 ? 3 + (int)(h % 3) : u2 < 0.80 ? 6 + (int)(h % 6) :
	    12 + (int)(h % 19);
	period = d + 1 + (int)((h >> 16) % 12);
	pos = (int)(((u64)m + (h >> 32) % (u64)period) % (u64)period);
	if (pos >= d)
		return 0;
	return start > 0 && pos + 1 > m - start + 1 ? m - start + 1 : pos + 1;
}

/* s_wage - the average wage basis per insured person of an establishment:
 * most well above the regional minimum, one in sixteen below it */
static long long
s_wage(const gen_t *g, const gen_emp_t *x, int k)
{
	u64 id = s_est_id(x, k);
	double u = gen_u(g, GT_EST, id, GEN_NEVER + 1), v = gen_u(g, GT_EST, id, GEN_NEVER + 2);

	if (u < 0.06)
		return (1800000 + (long long)(v * 700000)) / 1000 * 1000;
	return (3200000 + (long long)(v * v * 6000000)) / 10000 * 10000;
}

/* s_arrears_amount - the debt of a unit owing a months of contributions due */
static long long
s_arrears_amount(const gen_t *g, const gen_emp_t *x, int k, int m, int a, long long due)
{
	double f = 0.6 + 0.4 * gen_u(g, GT_PAY, s_est_id(x, k), (u64)m);
	long long v = llround((double)due * a * f) / 1000 * 1000;

	return v < 1000 ? 1000 : v;
}

void
gen_unit(const gen_t *g, const gen_emp_t *x, int k, int m, gen_unit_t *u)
{
	u64 id = s_est_id(x, k);
	double r, pu;

	memset(u, 0, sizeof(*u));
	if (x->dormant)
		return;
	u->employees = gen_employees(g, x, k, m);
	u->insured = gen_insured(g, x, k, m);
	u->wage = s_wage(g, x, k);
	if (u->insured == 0)
		return;
	r = gen_u(g, GT_EST, id, GEN_NEVER + 3) < 0.08 ? 0.0 : 0.85 + 0.15 * gen_u(g, GT_EST, id, GEN_NEVER + 4);
	u->bhtn = (u64)floor((double)u->insured * r + 0.5);
	if (u->bhtn > u->insured)
		u->bhtn = u->insured;
	u->wage_basis = (long long)u->insured * u->wage;
	u->due = (u->wage_basis * 32 + 50) / 100;
	u->arrears_months = s_arrears_months(g, x, k, m);
	if (u->arrears_months > 0) {
		u->arrears = s_arrears_amount(g, x, k, m, u->arrears_months, u->due);
		u->paid = gen_u(g, GT_PAY, id, (u64)m + GEN_NEVER) < 0.6 ? 0 : u->due / 2 / 1000 * 1000;
		return;
	}
	if (m > s_unit_start(x) && s_arrears_months(g, x, k, m - 1) > 0) {
		/* paid off this month: this month's due and the whole debt */
		u64 c1 = gen_insured(g, x, k, m - 1);
		long long due1 = ((long long)c1 * u->wage * 32 + 50) / 100;

		u->paid = u->due + s_arrears_amount(g, x, k, m - 1, s_arrears_months(g, x, k, m - 1), due1);
		return;
	}
	pu = gen_u(g, GT_PAY, id, (u64)m + 2 * GEN_NEVER);
	if (pu < 0.04) { /* paid late in the month: a debt younger than a month */
		u->arrears = u->due / 2 / 1000 * 1000;
		if (u->arrears < 1000)
			u->arrears = 1000;
		u->paid = u->due > u->arrears ? u->due - u->arrears : 0;
	} else if (pu < 0.06) /* paid ahead */
		u->paid = 2 * u->due;
	else
		u->paid = u->due;
}

long long
gen_wage(const gen_t *g, const gen_emp_t *x, int k)
{
	return s_wage(g, x, k);
}

void
gen_unit_code(const gen_emp_t *x, int k, char out[16])
{
	snprintf(out, 16, "%s%08llu", s_unit_prefix[x->form], (unsigned long long)(s_est_id(x, k) % 100000000ULL));
}

void
gen_emp_name(const gen_emp_t *x, int k, char *out, size_t outsz)
{
	const char *form = x->name_style >= 80 && x->name_style < 90 ? s_forms_short[x->form] : s_forms[x->form];
	const char *sector = s_sectors[x->sector], *descr = s_descr[x->descr];
	size_t n;

	if (x->name_style >= 90 && x->name_style < 96) /* two sectors: a comma in the name */
		n = (size_t)snprintf(out, outsz, "%s %s, %s %s", form, sector, s_sectors[(x->sector + 1) % S_NSECTORS],
		    descr);
	else if (x->name_style >= 96) /* a quoted trade name */
		n = (size_t)snprintf(out, outsz, "%s %s \"%s\"", form, sector, descr);
	else
		n = (size_t)snprintf(out, outsz, "%s %s %s", form, sector, descr);
	if (k > 0 && n < outsz)
		snprintf(out + n, outsz - n, " - Chi nhánh %d", k);
}

int
gen_slot_gen(const gen_t *g, int tag, u64 slot, int m)
{
	u64 h = gen_hash(g, tag, slot, 0);
	int len = 6 + (int)(h % 55), phase = (int)((h >> 8) % (u64)len);

	return (m + phase) / len;
}

/* gen_person_no - the 10-digit number of a person: a 6-round Feistel
 * permutation (keyed by the seed) of 2 * (slot * 64 + generation) + voluntary
 * over [0, 10^10), so distinct people get distinct numbers. 0 when the slot
 * is beyond the number space (about 78 million slots). */
u64
gen_person_no(const gen_t *g, int voluntary, u64 slot, int generation)
{
	u64 id = (slot * 64 + (u64)generation) * 2 + (u64)(voluntary != 0), l, r;

	if (slot >= 78000000ULL)
		return 0;
	l = id / 100000;
	r = id % 100000;
	for (u64 round = 0; round < 6; round++) {
		u64 t = (l + gen_hash(g, GT_FEISTEL, r, round) % 100000) % 100000;

		l = r;
		r = t;
	}
	return l * 100000 + r;
}

/* gen_citizen_id - a made-up citizen ID for 60% of people: province code 006,
 * then a century-and-sex digit of 8 or 9 (births in the 2300s, so no one
 * living has it), then 8 digits. 0 when the person has none. */
int
gen_citizen_id(const gen_t *g, u64 number, char out[13])
{
	u64 h = gen_hash(g, GT_CCCD, number, 0);

	if (gen_unit_interval(h) < 0.4)
		return 0;
	snprintf(out, 13, "006%d%08llu", 8 + (int)((h >> 4) & 1), (unsigned long long)((h >> 8) % 100000000ULL));
	return 1;
}

u64
gen_vol_count(const gen_t *g, int m)
{
	return g->nvol0 + g->nvol0 * (u64)m / 100;
}

int
gen_vol_district(const gen_t *g, u64 v)
{
	return s_district(g, gen_hash(g, GT_VSLOT, v, 1));
}

u64
gen_agent_count(const gen_t *g, int m)
{
	return g->nagents0 + g->agents_born * (u64)(m > 0 ? m : 0);
}

int
gen_agent_district(const gen_t *g, u64 a)
{
	return (int)(a % (u64)g->nunits);
}

/* agents: the first of each district is active and busy, the next one
 * active and idle; of the others 8% stopped and 10% idle. Voluntary
 * participants choose among the busy agents of their district by a
 * consistent hash, so an agent added later takes over a few of them. */
int
gen_agent_active(const gen_t *g, u64 a)
{
	if (a <= (u64)g->nunits)
		return 1;
	return gen_u(g, GT_AGENT, a, 0) >= 0.08;
}

static int
s_agent_busy(const gen_t *g, u64 a)
{
	if (a < (u64)g->nunits)
		return 1;
	if (a == (u64)g->nunits)
		return 0;
	return gen_agent_active(g, a) && gen_u(g, GT_AGENT, a, 1) >= 0.10;
}

/* s_jump - jump consistent hash: a bucket in [0, n) that moves for only
 * 1/(n+1) of keys when n grows by one */
static u64
s_jump(u64 key, u64 n)
{
	long long b = -1, j = 0;

	while (j < (long long)n) {
		b = j;
		key = key * 2862933555777941757ULL + 1;
		j = (long long)((double)(b + 1) * ((double)(1LL << 31) / (double)((key >> 33) + 1)));
	}
	return (u64)b;
}

long long
gen_vol_agent(const gen_t *g, u64 v, int generation, int m)
{
	int d = gen_vol_district(g, v);
	u64 n = (gen_agent_count(g, m) - (u64)d + (u64)g->nunits - 1) / (u64)g->nunits, id = v * 64 + (u64)generation;

	if (gen_u(g, GT_VAGENT, id, 99) < 0.10) /* pays at the Social Security office */
		return -1;
	for (u64 t = 0; t < 8; t++) {
		u64 a = (u64)d + (u64)g->nunits * s_jump(gen_hash(g, GT_VAGENT, id, t), n);

		if (s_agent_busy(g, a))
			return (long long)a;
	}
	return d;
}

void
gen_agent_code(const gen_t *g, u64 a, char *out, size_t outsz)
{
	snprintf(out, outsz, "DL%s-%03llu", g->unit[gen_agent_district(g, a)],
	    (unsigned long long)(a / (u64)g->nunits + 1));
}

void
gen_agent_name(const gen_t *g, u64 a, char *out, size_t outsz)
{
	const char *code = g->unit[gen_agent_district(g, a)], *dname = NULL;
	const char *kind = s_agent_kinds[gen_hash(g, GT_AGENT, a, 2) % 5];
	size_t n;

	for (size_t i = 0; i < sizeof(s_district_names) / sizeof(s_district_names[0]); i++)
		if (strcmp(s_district_names[i].code, code) == 0)
			dname = s_district_names[i].name;
	n = (size_t)snprintf(out, outsz, "%s %llu", kind, (unsigned long long)(a / (u64)g->nunits + 1));
	if (dname != NULL && n < outsz)
		snprintf(out + n, outsz - n, " - %s", dname);
}

double
gen_coverage_ratio(const gen_t *g, int district)
{
	return 0.25 + 0.30 * gen_u(g, GT_RATIO, (u64)district, 0);
}

void
gen_scale(gen_t *g, u64 employers, u64 participants)
{
	u64 c0 = 0, e = 0;
	gen_emp_t x;

	g->births = 1;
	/* no employer above 1/20 of the workers expected (about 15 per employer
	 * with --employers), and none above 5000 */
	g->size_cap = (u64)((participants > 0 ? (1.0 - g->vol_share) * (double)participants : 15.0 * (double)employers) / 20);
	if (g->size_cap < 10)
		g->size_cap = 10;
	if (g->size_cap > 5000)
		g->size_cap = 5000;
	if (participants > 0) {
		double want = (1.0 - g->vol_share) * (double)participants;

		g->nemp = (u64)-1; /* every index is an employer of month 0 while counting */
		while ((double)c0 < want) {
			gen_employer(g, e++, &x);
			for (int k = 0; k < x.nest; k++)
				c0 += gen_insured(g, &x, k, 0);
		}
		g->nemp = e > 0 ? e : 1;
		g->nvol0 = participants > c0 ? participants - c0 : 0;
	} else {
		g->nemp = employers;
		for (e = 0; e < employers; e++) {
			gen_employer(g, e, &x);
			for (int k = 0; k < x.nest; k++)
				c0 += gen_insured(g, &x, k, 0);
		}
		g->nvol0 = (u64)llround((double)c0 * g->vol_share / (1.0 - g->vol_share));
	}
	g->births = g->nemp / 100 > 0 ? g->nemp / 100 : 1;
	g->nagents0 = g->nvol0 / 100;
	if (g->nagents0 < 2 * (u64)g->nunits + 1)
		g->nagents0 = 2 * (u64)g->nunits + 1;
	g->agents_born = g->nagents0 / 50 > 0 ? g->nagents0 / 50 : 1;
}
