#!/usr/bin/env bash
# test_findings.sh - the findings of docs/DOMAIN.md §6 through the whole
# pipeline on a province -> district -> commune tree, against a file worked
# out by hand (tests/e2e/fixtures/findings/README.md explains each row): each
# kind at and just below its thresholds, a branch tax code, targets from an
# ancestor and from the goal path, a replaced snapshot, the events sent to
# the alert worker, and missing_data against an injected "today".
CONFIG=${CONFIG:-$(cd "$(dirname "$0")" && pwd)/config/three-level.yaml}
. "$(dirname "$0")/lib.sh"
F=$FIX/findings
export BHXH_TODAY=2017-04-20

check "pipeline starts (three-level tree)" ctl up
check "labour force 2016-2017 applied" ctl submit --agency sldtbxh --wait "$F/labor_force_2016-2017.csv"
check "district 058 target applied" ctl submit --agency ubnd_058 --wait "$F/target_2017_058.csv"
check "district 060 target applied" ctl submit --agency ubnd_060 --wait "$F/target_2017_060.csv"
check "enterprise registry applied" ctl submit --agency skhdt --wait "$F/enterprise.csv"
check "collection agents applied" ctl submit --agency bhxh --wait "$F/collection_agent.csv"
for p in 2016-12 2017-01 2017-02 2017-03; do
	check "participants $p applied" ctl submit --agency bhxh --wait "$F/participant_$p.csv"
done
check "tax employers applied" ctl submit --agency cucthue --wait "$F/tax_employer_2017-02.csv"
check "insured units applied" ctl submit --agency bhxh --wait "$F/insured_unit_2017-02.csv"

# roll-up: person 0200000116 is in DV002 (01837, district 058) and DV003
# (01840, district 060); the province counts that person once.
cov() { ctl report coverage --format csv --period "$1" --org-unit "$2" | tail -n +2 | grep "^$2,"; }
check_eq "province 2017-03: 18 distinct people, goal-path target 16.25/9.38" \
	"06,2017-03,120,18,18,0,2,15.00,1.67,16.25,9.38" "$(cov 2017-03 06)"
check_eq "district 058 2017-03: own target" "058,2017-03,110,18,18,0,2,16.36,1.82,16.36,5.00" "$(cov 2017-03 058)"
check_eq "commune 01837 2017-03: target from its district" "01837,2017-03,100,16,16,0,0,16.00,0.00,16.36,5.00" "$(cov 2017-03 01837)"
check_eq "district 060 2017-03: the shared person" "060,2017-03,10,1,1,0,0,10.00,0.00,10.00,10.00" "$(cov 2017-03 060)"
check_eq "province 2016-12: target is the first measured year's coverage" \
	"06,2016-12,120,6,6,0,1,5.00,0.83,5.00,0.83" "$(cov 2016-12 06)"
check_eq "province 2017-01: one voluntary participant, the year's target" "06,2017-01,120,1,0,1,0,0.83,0.00,16.25,9.38" "$(cov 2017-01 06)"

ctl report findings --format csv >"$VAR/f1.csv"
check_files_eq "findings.csv matches the hand-worked rows" "$F/findings_expected_1.csv" "$VAR/f1.csv"
check "VAR/reports/findings.csv is rewritten" wait_for 10 cmp -s "$VAR/f1.csv" "$VAR/reports/findings.csv"
check "findings.json carries the same rows" wait_for 10 grep -q '"kind": "not_enrolled", "subject": "0100109106", "org_unit": "01834", "period": "2017-02", "severity": "critical", "value": 10, "threshold": 10' "$VAR/reports/findings.json"
check_eq "filter by org unit keeps its subtree" 15 "$(ctl report findings --format csv --org-unit 060 | tail -n +2 | wc -l)"

# the events as the alert worker stored them (its notice table: one row per
# kind, subject, period, state and severity)
events() { sqlite3 -readonly "$VAR/db/alert.db" "SELECT count(*) FROM notice WHERE $1" 2>/dev/null; }
has_notice() { [ "$(events "kind = '$1' AND subject = '$2' AND state = '$3' AND severity = '$4'")" = 1 ]; }
check "event: DV007 arrears new (critical)" wait_for 10 has_notice arrears DV007 new critical
check "event: DV005 arrears new (warning)" wait_for 10 has_notice arrears DV005 new warning

check "corrected insured-unit snapshot applied" ctl submit --agency bhxh --wait "$F/insured_unit_2017-02_fix.csv"
ctl report findings --format csv >"$VAR/f2.csv"
check_files_eq "the corrected snapshot replaces the earlier one" "$F/findings_expected_2.csv" "$VAR/f2.csv"
check "event: DV007 arrears resolved" wait_for 10 has_notice arrears DV007 resolved critical
check "event: DV005 arrears escalated to major" wait_for 10 has_notice arrears DV005 escalated major
check_eq "one new event per finding identity (not per period)" 1 \
	"$(events "kind = 'idle_agent' AND subject = 'AG02' AND state = 'new'")"
check_eq "no event for a finding that goes on unchanged" 0 \
	"$(events "kind = 'arrears' AND subject = 'DV006' AND state <> 'new'")"
check "no insurance number in any report" bash -c "! grep -rqE '0200000[0-9]{3}' '$VAR/reports'"
check_eq "no insurance number in any event" 0 "$(events "subject LIKE '0200000%' OR name LIKE '%0200000%'")"

# a day later the March deadline (20 April) has passed: March is missing too
ctl down >/dev/null 2>&1
export BHXH_TODAY=2017-04-21
check "pipeline restarts a day later" ctl up
ctl report findings --format csv | grep '^missing_data,' >"$VAR/m3.csv"
check_eq "missing_data a day after the deadline" "missing_data,bhxh:insured_unit,,2016-12,warning,91,0,final
missing_data,bhxh:insured_unit,,2017-01,warning,60,0,final
missing_data,bhxh:insured_unit,,2017-03,warning,1,0,final
missing_data,cucthue:tax_employer,,2016-12,warning,91,0,final
missing_data,cucthue:tax_employer,,2017-01,warning,60,0,final
missing_data,cucthue:tax_employer,,2017-03,warning,1,0,final" "$(cat "$VAR/m3.csv")"
finish
