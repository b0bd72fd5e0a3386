/* cfg_findings - load the findings thresholds, severities and expected submissions (see cfg_findings.h). */
#include "cfg_findings.h"
#include "fieldcheck.h"
#include "xalloc.h"

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

/* s_severity - read key as a severity into out (untouched when absent). */
static void
s_severity(const yt_node_t *map, const char *key, char *out, yt_diag_t *d)
{
	const char *s = NULL;

	if (yt_get_str(map, key, 0, &s, d) != 0 || s == NULL)
		return;
	if (cfg_findings_rank(s) < 0) {
		yt_diag_add(d, yt_map_get(map, key), "%s: expected info, warning, major or critical, got '%s'", key, s);
		return;
	}
	snprintf(out, 12, "%s", s);
}

/* s_levels - a `levels` list of { at, severity }, strictly ascending. */
static void
s_levels(const yt_node_t *map, cfg_levels_t *l, yt_diag_t *d)
{
	static const char *const keys[] = { "at", "severity", NULL };
	const yt_node_t *seq = NULL;
	cfg_levels_t out = { 0 };

	if (yt_get_seq(map, "levels", 0, &seq, d) != 0 || seq == NULL)
		return;
	if (seq->n == 0 || seq->n > CFG_FINDINGS_MAX_LEVELS) {
		yt_diag_add(d, seq, "levels: expected 1 to %d levels", CFG_FINDINGS_MAX_LEVELS);
		return;
	}
	for (size_t i = 0; i < seq->n; i++) {
		const yt_node_t *it = seq->items[i];

		if (it->kind != YT_MAP) {
			yt_diag_add(d, it, "levels: expected { at: N, severity: S }");
			return;
		}
		yt_check_keys(it, keys, d);
		out.level[i].at = 0;
		snprintf(out.level[i].severity, sizeof(out.level[i].severity), "warning");
		if (yt_get_double(it, "at", 1, 0, 1e15, &out.level[i].at, d) != 0)
			return;
		s_severity(it, "severity", out.level[i].severity, d);
		if (i > 0 && out.level[i].at <= out.level[i - 1].at) {
			yt_diag_add(d, it, "levels: 'at' must increase from one level to the next");
			return;
		}
		out.n++;
	}
	*l = out;
}

/* s_set_levels - a default ladder from pairs. */
static void
s_set_levels(cfg_levels_t *l, int n, const double *at, const char *const *sev)
{
	l->n = n;
	for (int i = 0; i < n; i++) {
		l->level[i].at = at[i];
		snprintf(l->level[i].severity, sizeof(l->level[i].severity), "%s", sev[i]);
	}
}

/* s_defaults - the defaults stated in docs/DOMAIN.md §6. */
static void
s_defaults(cfg_findings_t *f)
{
	static const double ne_at[] = { 1, 10 }, ud_at[] = { 1, 10 }, ar_at[] = { 3, 6, 12 };
	static const char *const wc[] = { "warning", "critical" };
	static const char *const wmc[] = { "warning", "major", "critical" };

	s_set_levels(&f->not_enrolled, 2, ne_at, wc);
	s_set_levels(&f->under_declared, 2, ud_at, wc);
	s_set_levels(&f->arrears, 3, ar_at, wmc);
	f->under_declared_min_pct = 10;
	f->minimum_wage = 2580000; /* region IV, 2017 (Decree 153/2016/ND-CP) */
	snprintf(f->low_wage_severity, 12, "warning");
	snprintf(f->unregistered_severity, 12, "info");
	f->idle_months = 3;
	snprintf(f->idle_severity, 12, "info");
	snprintf(f->behind_severity, 12, "warning");
	snprintf(f->off_track_severity, 12, "major");
	snprintf(f->missing_severity, 12, "warning");
	f->lookback_months = 12;
	snprintf(f->feed_severity, 12, "warning");
}

/* s_wages - low_wage_basis.by_org_unit: { CODE: VND, ... } */
static void
s_wages(cfg_findings_t *f, const yt_node_t *map, yt_diag_t *d)
{
	const yt_node_t *m = NULL;

	if (yt_get_map(map, "by_org_unit", 0, &m, d) != 0 || m == NULL)
		return;
	f->wages = xcalloc(m->n ? m->n : 1, sizeof(*f->wages));
	for (size_t i = 0; f->wages != NULL && i < m->n; i++) {
		long long v = 0;

		if (yt_scalar_int(m->items[i], 1, 1000000000000LL, &v, d, m->keys[i]->scalar) != 0)
			continue;
		f->wages[f->nwages].org_unit = xstrdup(m->keys[i]->scalar);
		f->wages[f->nwages++].wage = v;
	}
}

/* s_expected - missing_data.expected: [{ agency, type, deadline_day }] */
static void
s_expected(cfg_findings_t *f, const yt_node_t *map, yt_diag_t *d)
{
	static const char *const keys[] = { "agency", "type", "deadline_day", NULL };
	const yt_node_t *seq = NULL;

	if (yt_get_seq(map, "expected", 0, &seq, d) != 0 || seq == NULL)
		return;
	f->expected = xcalloc(seq->n ? seq->n : 1, sizeof(*f->expected));
	for (size_t i = 0; f->expected != NULL && i < seq->n; i++) {
		const yt_node_t *it = seq->items[i];
		const char *agency = NULL, *type = NULL;
		long long day = 0;

		if (it->kind != YT_MAP) {
			yt_diag_add(d, it, "expected: expected { agency, type, deadline_day }");
			continue;
		}
		yt_check_keys(it, keys, d);
		if (yt_get_str(it, "agency", 1, &agency, d) != 0 || yt_get_str(it, "type", 1, &type, d) != 0 ||
		    yt_get_int(it, "deadline_day", 1, 1, 28, &day, d) != 0)
			continue;
		f->expected[f->nexpected].agency = xstrdup(agency);
		f->expected[f->nexpected].type = xstrdup(type);
		f->expected[f->nexpected++].deadline_day = (int)day;
	}
}

/* s_section - a kind's map (NULL when absent), its keys checked. */
static const yt_node_t *
s_section(const yt_node_t *root, const char *kind, const char *const *keys, yt_diag_t *d)
{
	const yt_node_t *m = NULL;

	if (yt_get_map(root, kind, 0, &m, d) != 0 || m == NULL)
		return NULL;
	yt_check_keys(m, keys, d);
	return m;
}

/* s_today - `today`: a real date YYYY-MM-DD, or empty for the local date. */
static void
s_today(cfg_findings_t *self, const yt_node_t *root, yt_diag_t *d)
{
	const yt_node_t *n = yt_map_get(root, "today");
	const char *v = NULL;

	if (n == NULL || yt_get_str(root, "today", 0, &v, d) != 0 || v == NULL || *v == '\0')
		return;
	if (!fc_iso_date_ok(v)) {
		yt_diag_add(d, n, "today: '%.40s' is not a date YYYY-MM-DD", v);
		return;
	}
	memcpy(self->today, v, 11);
}

/* cfg_findings_load - defaults, then what root sets. */
cfg_findings_t *
cfg_findings_load(const yt_node_t *root, yt_diag_t *d)
{
	static const char *const keys[] = { "not_enrolled", "under_declared", "arrears", "low_wage_basis",
		"unregistered", "idle_agent", "behind_target", "off_track", "missing_data", "feed_stopped", "today",
		NULL };
	static const char *const k_levels[] = { "levels", NULL };
	static const char *const k_ud[] = { "levels", "min_gap_pct", NULL };
	static const char *const k_wage[] = { "minimum_wage", "by_org_unit", "severity", NULL };
	static const char *const k_sev[] = { "severity", NULL };
	static const char *const k_idle[] = { "months", "severity", NULL };
	static const char *const k_missing[] = { "severity", "lookback_months", "expected", NULL };
	cfg_findings_t *self = xcalloc(1, sizeof(*self));
	const yt_node_t *m;
	long long v;

	if (self == NULL)
		return NULL;
	s_defaults(self);
	if (root == NULL)
		return self;
	self->loaded = 1;
	yt_check_keys(root, keys, d);
	if ((m = s_section(root, "not_enrolled", k_levels, d)) != NULL)
		s_levels(m, &self->not_enrolled, d);
	if ((m = s_section(root, "under_declared", k_ud, d)) != NULL) {
		s_levels(m, &self->under_declared, d);
		yt_get_double(m, "min_gap_pct", 0, 0, 100, &self->under_declared_min_pct, d);
	}
	if ((m = s_section(root, "arrears", k_levels, d)) != NULL)
		s_levels(m, &self->arrears, d);
	if ((m = s_section(root, "low_wage_basis", k_wage, d)) != NULL) {
		yt_get_int(m, "minimum_wage", 0, 1, 1000000000000LL, &self->minimum_wage, d);
		s_wages(self, m, d);
		s_severity(m, "severity", self->low_wage_severity, d);
	}
	if ((m = s_section(root, "unregistered", k_sev, d)) != NULL)
		s_severity(m, "severity", self->unregistered_severity, d);
	if ((m = s_section(root, "idle_agent", k_idle, d)) != NULL) {
		v = self->idle_months;
		if (yt_get_int(m, "months", 0, 1, 120, &v, d) == 0)
			self->idle_months = (int)v;
		s_severity(m, "severity", self->idle_severity, d);
	}
	if ((m = s_section(root, "behind_target", k_sev, d)) != NULL)
		s_severity(m, "severity", self->behind_severity, d);
	if ((m = s_section(root, "off_track", k_sev, d)) != NULL)
		s_severity(m, "severity", self->off_track_severity, d);
	if ((m = s_section(root, "missing_data", k_missing, d)) != NULL) {
		s_severity(m, "severity", self->missing_severity, d);
		v = self->lookback_months;
		if (yt_get_int(m, "lookback_months", 0, 1, 600, &v, d) == 0)
			self->lookback_months = (int)v;
		s_expected(self, m, d);
	}
	if ((m = s_section(root, "feed_stopped", k_sev, d)) != NULL)
		s_severity(m, "severity", self->feed_severity, d);
	s_today(self, root, d);
	return self;
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
