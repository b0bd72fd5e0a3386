#!/usr/bin/env bash
# test_incremental.sh - the aggregate recomputes after each file only what
# that file can change; the result must equal a full recompute. Files that
# touch different periods and years arrive out of order (an earlier first
# measured year that moves the goal path of later years, registries after the
# snapshots they judge, replaced snapshots, a newer insured-unit period that
# renames unregistered employers of older periods). At checkpoints the
# reports are captured, the aggregate is killed (the supervisor restarts it
# and its start-up recomputes everything) and the reports, the finding state
# and the events sent must come out unchanged. Finally a fresh pipeline that
# receives only the final snapshots and registries gives the same reports.
ALLOW_RESTARTS=1
CONFIG=${CONFIG:-$(cd "$(dirname "$0")" && pwd)/config/three-level.yaml}
. "$(dirname "$0")/lib.sh"
F=$FIX/findings
export BHXH_TODAY=2017-04-20
D=$VAR/data
mkdir -p "$D"

# derived files: a newer insured-unit period whose units carry new names, and
# corrections of two participant snapshots (rows dropped)
sed -e 's/2017-02/2017-03/' -e 's/,Công ty /,Cty mới /' "$F/insured_unit_2017-02.csv" >"$D/insured_unit_2017-03.csv"
head -n -3 "$F/participant_2017-03.csv" >"$D/participant_2017-03.csv"
head -n -2 "$F/participant_2016-12.csv" >"$D/participant_2016-12.csv"

# snapshot - both reports as CSV, the finding state and the events logged
snapshot() {
	ctl report coverage --format csv >"$1.coverage.csv"
	ctl report findings --format csv >"$1.findings.csv"
	sqlite3 -readonly "$VAR/db/aggregate.db" "SELECT * FROM finding_state ORDER BY kind, subject;
		SELECT * FROM finding ORDER BY kind, subject, period" >"$1.state"
	grep -c 'state change' "$VAR/log/aggregate.log" >"$1.events"
}

# restarted OLDPID - a new aggregate process reports ready
restarted() {
	local p
	p=$(worker_pid aggregate)
	[ -n "$p" ] && [ "$p" != "$1" ] && kill -0 "$p" 2>/dev/null && grep -q '"state":"ready"' "$VAR/run/aggregate.status"
}

# checkpoint NAME - incremental results equal the full recompute at start-up
checkpoint() {
	local pid
	snapshot "$VAR/$1.inc"
	pid=$(worker_pid aggregate)
	kill -KILL "$pid"
	check "$1: aggregate restarted (full recompute)" wait_for 30 restarted "$pid"
	snapshot "$VAR/$1.full"
	check_files_eq "$1: coverage equals a full recompute" "$VAR/$1.full.coverage.csv" "$VAR/$1.inc.coverage.csv"
	check_files_eq "$1: findings equal a full recompute" "$VAR/$1.full.findings.csv" "$VAR/$1.inc.findings.csv"
	check_files_eq "$1: finding table and state unchanged by a full recompute" "$VAR/$1.full.state" "$VAR/$1.inc.state"
	check_files_eq "$1: a full recompute sends no event" "$VAR/$1.full.events" "$VAR/$1.inc.events"
	check "$1: coverage has rows" test "$(wc -l <"$VAR/$1.inc.coverage.csv")" -gt 1
}

sub() { check "$(basename "$2") applied" ctl submit --agency "$1" --wait "$2" >/dev/null; }

check "pipeline starts (three-level tree)" ctl up
sub bhxh "$F/participant_2017-03.csv"
sub sldtbxh "$F/labor_force_2016-2017.csv"
cov06() { ctl report coverage --format csv --period 2017-03 --org-unit 06 | grep '^06,2017-03,'; }
before=$(cov06)
sub bhxh "$F/participant_2016-12.csv"
after=$(cov06)
check "an earlier first measured year moves the 2017 goal-path target" test "${before##*,}" != "${after##*,}"
checkpoint "first-year"

sub cucthue "$F/tax_employer_2017-02.csv"
sub bhxh "$F/insured_unit_2017-02.csv"
sub bhxh "$D/insured_unit_2017-03.csv"
check_eq "an unregistered code of 2017-02 takes its name from the 2017-03 insured unit" "Cty mới TNHH May Bộc Bố" \
	"$(sqlite3 -readonly "$VAR/db/aggregate.db" "SELECT name FROM finding WHERE kind = 'unregistered'
		AND subject = '4600004003' AND period = '2017-02'")"
sub bhxh "$F/collection_agent.csv"
sub bhxh "$F/participant_2017-01.csv"
sub bhxh "$F/participant_2017-02.csv"
checkpoint "employers"

sub skhdt "$F/enterprise.csv"
sub ubnd_058 "$F/target_2017_058.csv"
sub ubnd_060 "$F/target_2017_060.csv"
sub bhxh "$F/insured_unit_2017-02_fix.csv"
sub bhxh "$D/participant_2017-03.csv"
sub bhxh "$D/participant_2016-12.csv"
checkpoint "final"

# a fresh pipeline with only the final state of each snapshot and the registries
ctl down >/dev/null 2>&1
FIRST=$VAR
VAR=$FIRST/fresh
mkdir -p "$VAR"
check "fresh pipeline starts" ctl up
for f in "$F/labor_force_2016-2017.csv" "$F/target_2017_058.csv" "$F/target_2017_060.csv" "$F/enterprise.csv" \
    "$F/collection_agent.csv" "$F/tax_employer_2017-02.csv" "$F/insured_unit_2017-02_fix.csv" \
    "$D/insured_unit_2017-03.csv" "$D/participant_2016-12.csv" "$F/participant_2017-01.csv" \
    "$F/participant_2017-02.csv" "$D/participant_2017-03.csv"; do
	case $(basename "$f") in
	labor_force*) a=sldtbxh ;; target*058*) a=ubnd_058 ;; target*060*) a=ubnd_060 ;;
	enterprise*) a=skhdt ;; tax_employer*) a=cucthue ;; *) a=bhxh ;;
	esac
	ctl submit --agency "$a" --wait "$f" >/dev/null || not_ok "fresh: $(basename "$f") applied"
done
snapshot "$VAR/fresh"
check_files_eq "fresh pipeline: same coverage" "$FIRST/final.inc.coverage.csv" "$VAR/fresh.coverage.csv"
check_files_eq "fresh pipeline: same findings" "$FIRST/final.inc.findings.csv" "$VAR/fresh.findings.csv"
ctl down >/dev/null 2>&1
VAR=$FIRST
finish
