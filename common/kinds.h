/* kinds - the one table of finding kinds (docs/DOMAIN.md §6) and of the
 * kinds only the operator is told of: for each, its label in Vietnamese and
 * English, the evidence it needs for its month P (record types, machine-
 * readable, and a sentence), what its value means and in which unit, and what
 * the plan (Decision 317/QĐ-UBND, section III) asks of whoever receives it,
 * per role where the duties differ. Also the severity words.
 *
 * Texts may hold placeholders that kind_expand fills from the configuration:
 * {goal_year}, {goal_bhxh_pct}, {goal_bhtn_pct}. Nothing a configuration
 * defines (the goal, unit names) is written into this table. */
#ifndef BHXH_KINDS_H
#define BHXH_KINDS_H

#include "cfg_alert.h"
#include "config.h"
#include "fsutil.h"

/* Whom a kind concerns. */
typedef enum {
	KIND_FINDING,   /* a finding of the aggregate: an employer, unit, agent or agency */
	KIND_OPERATOR   /* about the system itself: only the operator is told */
} kind_class_t;

/* Which data a kind is judged on: a record type of month P, or of P's year. */
typedef enum { KIND_EV_MONTH, KIND_EV_YEAR } kind_ev_when_t;

typedef struct {
	const char *rtype;     /* a record type of config/schemas.yaml */
	kind_ev_when_t when;
} kind_evidence_t;

#define KIND_MAX_EVIDENCE 3
#define KIND_MAX_ROLE_ACTIONS 6

/* What the plan asks of one role. */
typedef struct {
	alert_role_t role;
	const char *vi, *en;
} kind_action_t;

typedef struct {
	const char *name;          /* not_enrolled, ... */
	kind_class_t cls;
	int event;                 /* 1 if it arrives as an event (0: made by the alert worker itself) */
	const char *vi, *en;       /* label */
	int nevidence;
	kind_evidence_t evidence[KIND_MAX_EVIDENCE]; /* all needed; none for missing_data, feed_stopped */
	const char *evidence_vi, *evidence_en;
	const char *value_vi, *value_en; /* what the value means */
	const char *unit_vi, *unit_en;   /* its unit ("" when a plain number or code) */
	const char *action_vi, *action_en; /* what any receiver is asked to do */
	int nactions;
	kind_action_t actions[KIND_MAX_ROLE_ACTIONS]; /* what one role is asked, where it differs */
	int once;                  /* 1: told once, never in a reminder while it stays open */
} kind_t;

/* kind_find - the kind named name, or NULL. */
const kind_t *kind_find(const char *name);

/* kind_count / kind_at - every kind, in the table's order. */
int kind_count(void);
const kind_t *kind_at(int i);

/* kind_label - the label in Vietnamese (vi = 1) or English, placeholders
 * filled from c (NULL: left as they are); name itself if the kind is unknown.
 * Appended to out. */
void kind_label(const config_t *c, const char *name, int vi, sb_t *out);

/* kind_action - what a receiver of role is asked to do about kind, appended
 * to out (placeholders filled); nothing for an unknown kind. */
void kind_action(const config_t *c, const char *name, alert_role_t role, int vi, sb_t *out);

/* kind_needs - 1 if the kind needs record type rtype (of when) as evidence. */
int kind_needs(const kind_t *k, const char *rtype, kind_ev_when_t when);

/* kind_expand - tmpl onto out with {goal_year}, {goal_bhxh_pct} and
 * {goal_bhtn_pct} filled from c (left as they are when c is NULL). */
void kind_expand(const config_t *c, const char *tmpl, sb_t *out);

/* kind_severity_vi / kind_severity_en - "thông tin", "cảnh báo", "nghiêm
 * trọng", "rất nghiêm trọng" / info, warning, major, critical; the word
 * itself if unknown. */
const char *kind_severity_vi(const char *severity);
const char *kind_severity_en(const char *severity);

/* kind_rtype_name - what a record type holds, in Vietnamese ("danh sách
 * người tham gia") or English words; rtype itself if unknown.
 * kind_rtype_vi - the same in Vietnamese. */
const char *kind_rtype_name(const char *rtype, int vi);
const char *kind_rtype_vi(const char *rtype);

#endif
