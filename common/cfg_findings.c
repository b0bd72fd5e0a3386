/* cfg_findings - load the findings thresholds, severities and expected submissions (see cfg_findings.h). */
#include "cfg_findings.h"
#include "fieldcheck.h"
#include "xalloc.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_severities[] = { "info", "warning", "major", "critical", NULL };

/* cfg_findings_rank - position of a severity in the ladder. */
int
cfg_findings_rank(const char *severity)
{
	for (int i = 0; severity != NULL && s_severities[i] != NULL; i++)
		if (strcmp(severity, s_severities[i]) == 0)
			return i;
	return -1;
}

/* cfg_levels_pick - the highest level whose threshold value reaches. */
int
cfg_levels_pick(const cfg_levels_t *l, double value)
{
	int pick = -1;

	for (int i = 0; i < l->n; i++)
		if (value >= l->level[i].at)
			pick = i;
	return pick;
}

#define S_SEVERITIES "info|warning|major|critical"

static const cd_key_t s_level_keys[] = {
	{ .key = "at", .type = CD_DOUBLE, .flags = CD_REQUIRED, .off = offsetof(cfg_level_t, at), .dmin = 0, .dmax = 1e15,
	  .doc = "the value from which this level applies; increasing from one level to the next" },
	{ .key = "severity", .type = CD_ENUM, .off = offsetof(cfg_level_t, severity), .bufsz = 12, .values = S_SEVERITIES,
	  .def = "warning", .doc = "the finding's severity from that value on" },
	{ .key = NULL }
};

/* s_read_levels - a `levels` list of { at, severity }, strictly ascending. */
static int
s_read_levels(const cd_key_t *k, const yt_node_t *seq, void *base, cd_ctx_t *cx)
{
	cfg_levels_t out = { 0 }, *l = (cfg_levels_t *)((char *)base + k->off);
	cd_ctx_t ic = cd_item_ctx(cx);
	yt_diag_t *d = cx->d;

	if (seq == NULL)
		return 0;
	if (seq->kind != YT_SEQ || seq->n == 0 || seq->n > CFG_FINDINGS_MAX_LEVELS) {
		yt_diag_add(d, seq, "levels: expected 1 to %d levels", CFG_FINDINGS_MAX_LEVELS);
		return -1;
	}
	for (size_t i = 0; i < seq->n; i++) {
		const yt_node_t *it = seq->items[i];

		if (it->kind != YT_MAP) {
			yt_diag_add(d, it, "levels: expected { at: N, severity: S }");
			return -1;
		}
		if (cd_read(s_level_keys, "", it, &out.level[i], &ic) != 0)
			return -1;
		if (i > 0 && out.level[i].at <= out.level[i - 1].at) {
			yt_diag_add(d, it, "levels: 'at' must increase from one level to the next");
			return -1;
		}
		out.n++;
	}
	*l = out;
	return 0;
}

/* s_read_wages - low_wage_basis.by_org_unit: { CODE: VND, ... } */
static int
s_read_wages(const cd_key_t *k, const yt_node_t *m, void *base, cd_ctx_t *cx)
{
	cfg_findings_t *f = base;
	int rc = 0;

	if (m == NULL)
		return 0;
	if (m->kind != YT_MAP) {
		yt_diag_add(cx->d, m, "by_org_unit: expected a map of CODE: VND");
		return -1;
	}
	f->wages = xcalloc(m->n ? m->n : 1, sizeof(*f->wages));
	for (size_t i = 0; i < m->n; i++) {
		long long v = 0;

		if (yt_scalar_int(m->items[i], 1, 1000000000000LL, &v, cx->d, m->keys[i]->scalar) != 0) {
			rc = -1;
			continue;
		}
		f->wages[f->nwages].org_unit = xstrdup(m->keys[i]->scalar);
		f->wages[f->nwages++].wage = v;
	}
	return rc;
}

static const cd_key_t s_expected_keys[] = {
	{ .key = "agency", .type = CD_STR, .flags = CD_REQUIRED, .off = offsetof(cfg_expected_t, agency),
	  .doc = "the agency's id" },
	{ .key = "type", .type = CD_STR, .flags = CD_REQUIRED, .off = offsetof(cfg_expected_t, type),
	  .doc = "the record type it sends monthly" },
	{ .key = "deadline_day", .type = CD_INT, .flags = CD_REQUIRED, .off = offsetof(cfg_expected_t, deadline_day),
	  .min = 1, .max = 28, .doc = "the data of month P are due by this day of month P+1" },
	{ .key = NULL }
};

/* s_keep_expected - an expected submission read names its agency and type. */
static int
s_keep_expected(void *item, const yt_node_t *n, cd_ctx_t *cx, void *owner)
{
	cfg_expected_t *e = item;

	return e->agency != NULL && e->type != NULL && e->deadline_day > 0 ? 0 : -1;
}

/* s_read_expected - missing_data.expected: [{ agency, type, deadline_day }] */
static int
s_read_expected(const cd_key_t *k, const yt_node_t *seq, void *base, cd_ctx_t *cx)
{
	cfg_findings_t *f = base;
	const cd_items_t spec = { &f->expected, &f->nexpected, sizeof(cfg_expected_t), "expected submission",
		"agency, type, deadline_day", 0, f, s_keep_expected };

	return cd_read_items(k, seq, cx, &spec);
}

/* s_check_today - `today`: a real date YYYY-MM-DD, or empty for the local date. */
static int
s_check_today(const cd_key_t *k, const yt_node_t *n, void *base, cd_ctx_t *cx)
{
	cfg_findings_t *f = base;

	if (f->today[0] == '\0' || fc_iso_date_ok(f->today))
		return 0;
	yt_diag_add(cx->d, n, "today: '%.40s' is not a date YYYY-MM-DD", f->today);
	f->today[0] = '\0';
	return -1;
}

#define S_LEVELS(member, d, what) \
	{ .key = "levels", .type = CD_CUSTOM, .flags = CD_RELOAD | CD_LIST, .off = offsetof(cfg_findings_t, member), \
	  .size = sizeof(cfg_levels_t), .sub = s_level_keys, .read = s_read_levels, .def = d, .doc = what }
#define S_SEVERITY(member, d, what) \
	{ .key = "severity", .type = CD_ENUM, .flags = CD_RELOAD, .off = offsetof(cfg_findings_t, member), .bufsz = 12, \
	  .values = S_SEVERITIES, .def = d, .doc = what }

static const cd_key_t s_not_enrolled_keys[] = {
	S_LEVELS(not_enrolled, "[{at: 1, severity: warning}, {at: 10, severity: critical}]", "severity by the employer's workers (Tax's count)"),
	{ .key = NULL }
};
static const cd_key_t s_under_declared_keys[] = {
	S_LEVELS(under_declared, "[{at: 1, severity: warning}, {at: 10, severity: critical}]", "severity by the gap: workers Tax lists minus those insured"),
	{ .key = "min_gap_pct", .type = CD_DOUBLE, .flags = CD_RELOAD, .off = offsetof(cfg_findings_t, under_declared_min_pct),
	  .def = "10", .dmin = 0, .dmax = 100, .doc = "the gap must also be at least this share of the employer's workers" },
	{ .key = NULL }
};
static const cd_key_t s_arrears_keys[] = {
	S_LEVELS(arrears, "[{at: 3, severity: warning}, {at: 6, severity: major}, {at: 12, severity: critical}]", "severity by months of arrears"),
	{ .key = NULL }
};
static const cd_key_t s_low_wage_keys[] = {
	{ .key = "minimum_wage", .type = CD_LLONG, .flags = CD_RELOAD, .off = offsetof(cfg_findings_t, minimum_wage),
	  .def = "2580000", .min = 1, .max = 1000000000000LL, .doc = "VND a month (region IV, 2017) where no"
	  " `by_org_unit` entry applies; a declared wage basis below it is a finding" },
	{ .key = "by_org_unit", .type = CD_CUSTOM, .flags = CD_RELOAD, .off = offsetof(cfg_findings_t, wages),
	  .size = sizeof(cfg_wage_t *), .noff = offsetof(cfg_findings_t, nwages), .read = s_read_wages,
	  .type_doc = "map `CODE: VND`", .def_doc = "none", .doc = "the minimum wage of a unit and its subtree (the nearest"
	  " ancestor's entry applies)" },
	S_SEVERITY(low_wage_severity, "warning", "of a wage basis below the minimum"),
	{ .key = NULL }
};
static const cd_key_t s_unregistered_keys[] = {
	S_SEVERITY(unregistered_severity, "info", "of an insured employer the enterprise registry does not list"),
	{ .key = NULL }
};
static const cd_key_t s_idle_keys[] = {
	{ .key = "months", .type = CD_INT, .flags = CD_RELOAD, .off = offsetof(cfg_findings_t, idle_months), .def = "3",
	  .min = 1, .max = 120, .doc = "months without a new voluntary participant before a collection agent is idle" },
	S_SEVERITY(idle_severity, "info", "of an idle collection agent"),
	{ .key = NULL }
};
static const cd_key_t s_behind_keys[] = {
	S_SEVERITY(behind_severity, "warning", "of a unit whose coverage is below this year's target"),
	{ .key = NULL }
};
static const cd_key_t s_off_track_keys[] = {
	S_SEVERITY(off_track_severity, "major", "of a unit whose trend does not reach the goal by its year"),
	{ .key = NULL }
};
static const cd_key_t s_missing_keys[] = {
	S_SEVERITY(missing_severity, "warning", "of a monthly submission not received by its deadline"),
	{ .key = "lookback_months", .type = CD_INT, .flags = CD_RELOAD, .off = offsetof(cfg_findings_t, lookback_months),
	  .def = "12", .min = 1, .max = 600, .doc = "months before the last month judged (the last month with anyone's"
	  " data whose deadline is over) that are still reported" },
	{ .key = "expected", .type = CD_CUSTOM, .flags = CD_RELOAD | CD_LIST, .off = offsetof(cfg_findings_t, expected),
	  .size = sizeof(cfg_expected_t *), .noff = offsetof(cfg_findings_t, nexpected), .sub = s_expected_keys,
	  .read = s_read_expected, .def_doc = "none (no missing_data findings)",
	  .doc = "the monthly submissions expected" },
	{ .key = NULL }
};
static const cd_key_t s_feed_keys[] = {
	S_SEVERITY(feed_severity, "warning", "of the one finding that says no data came after the last month with some"),
	{ .key = NULL }
};

const cd_key_t cfg_findings_keys[] = {
	{ .key = "not_enrolled", .type = CD_SECTION, .sub = s_not_enrolled_keys, .doc = "an employer Tax lists that"
	  " Social Security does not insure" },
	{ .key = "under_declared", .type = CD_SECTION, .sub = s_under_declared_keys, .doc = "fewer insured than workers" },
	{ .key = "arrears", .type = CD_SECTION, .sub = s_arrears_keys, .doc = "contributions owed" },
	{ .key = "low_wage_basis", .type = CD_SECTION, .sub = s_low_wage_keys, .doc = "contributions on less than the"
	  " minimum wage" },
	{ .key = "unregistered", .type = CD_SECTION, .sub = s_unregistered_keys, .doc = "insured, not registered" },
	{ .key = "idle_agent", .type = CD_SECTION, .sub = s_idle_keys, .doc = "collection agents" },
	{ .key = "behind_target", .type = CD_SECTION, .sub = s_behind_keys, .doc = "coverage against target" },
	{ .key = "off_track", .type = CD_SECTION, .sub = s_off_track_keys, .doc = "the trend against the goal" },
	{ .key = "missing_data", .type = CD_SECTION, .sub = s_missing_keys, .doc = "submissions due" },
	{ .key = "feed_stopped", .type = CD_SECTION, .sub = s_feed_keys, .doc = "no data at all" },
	{ .key = "today", .type = CD_STR, .flags = CD_RELOAD, .off = offsetof(cfg_findings_t, today), .bufsz = 11,
	  .def = "", .check = s_check_today, .type_doc = "`YYYY-MM-DD` or `\"\"`", .def_doc = "the host's local date",
	  .doc = "the date deadlines are read on (replaying history); `BHXH_TODAY` in the aggregate's environment"
	  " overrides it" },
	{ .key = NULL }
};

/* cfg_findings_read - defaults, then what root sets. */
cfg_findings_t *
cfg_findings_read(const yt_node_t *root, cd_ctx_t *cx)
{
	cfg_findings_t *self = xcalloc(1, sizeof(*self));

	if (self == NULL)
		return NULL;
	self->loaded = root != NULL;
	cd_read(cfg_findings_keys, "findings.", root, self, cx);
	return self; /* a value refused keeps its default; the caller sees the problems in cx->d */
}

/* cfg_findings_load - cfg_findings_read without fingerprints. */
cfg_findings_t *
cfg_findings_load(const yt_node_t *root, yt_diag_t *d)
{
	yt_diag_t none = { 0 };
	cd_ctx_t cx = { d != NULL ? d : &none, NULL, NULL, CD_BASE_FINDINGS, NULL, 0, NULL, 0 };
	cfg_findings_t *f = cfg_findings_read(root, &cx);

	yt_diag_free(&none);
	return f;
}

/* cfg_findings_free - free and NULL. */
void
cfg_findings_free(cfg_findings_t **self_p)
{
	cfg_findings_t *self = *self_p;

	if (self == NULL)
		return;
	for (int i = 0; i < self->nwages; i++)
		free(self->wages[i].org_unit);
	free(self->wages);
	for (int i = 0; i < self->nexpected; i++) {
		free(self->expected[i].agency);
		free(self->expected[i].type);
	}
	free(self->expected);
	free(self);
	*self_p = NULL;
}
