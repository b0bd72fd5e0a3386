#!/usr/bin/env bash
# test_tree.sh - a changed org-unit tree on a live var dir: districts 060 and
# 061 merged into a new district 067.
#
# 1. The fixtures of test_coverage.sh under the shipped tree; 060 and 061
#    have open findings.
# 2. On a copy of that var dir, `check-config --var-dir` with the new tree and
#    no move: the codes of history it lacks are named with their rows; exit 1.
#    Started anyway, the aggregate says so (degraded); the findings of 060 and
#    061 are held, those of the province (whose figure the new tree leaves
#    without 067's labour force) end quietly: no "resolved" notice to anyone.
# 3. With org_unit_moves {060: 067, 061: 067}: check-config passes and says
#    what moves; restarted, the aggregate is ready, 067's figures equal those
#    of a fresh pipeline on the new tree fed the same data with the new codes
#    (labour force summed, the person insured in both districts counted once),
#    and no notice at all was sent: the findings go on under 067.
. "$(dirname "$0")/lib.sh"
BASE=$VAR
export BHXH_TODAY=2017-05-10

# new_conf FILE MOVES - the shipped configuration with 060 and 061 merged into
# 067 (their committees' agencies now scoped to 067), and MOVES appended
new_conf() {
	sed -e "s|^schemas: .*|schemas: $ROOT/config/schemas.yaml|" \
		-e "s|^findings: .*|findings: $ROOT/config/findings.yaml|" \
		-e "s|^alerting: .*|alerting: $ROOT/config/alerting.yaml|" \
		-e '/{ code: "060", name: Huyện Pác Nặm }/d' \
		-e 's|{ code: "061", name: Huyện Ba Bể }|{ code: "067", name: Huyện Ba Bể - Pác Nặm }|' \
		-e 's|scope: "060"|scope: "067"|; s|scope: "061"|scope: "067"|' "$ROOT/config/bhxh.yaml" >"$1"
	printf '%s\n' "$2" >>"$1"
}
# resolved DIR - alerts resolved for a reason someone is told of; sent DIR - messages made for receivers
resolved() { sqlite3 -cmd ".timeout 10000" "$1/db/alert.db" "SELECT count(*) FROM alert WHERE state = 'resolved' AND reason <> 'tree_changed'"; }
sent() { sqlite3 -cmd ".timeout 10000" "$1/db/alert.db" "SELECT count(*) FROM outmsg"; }
quiet() { sqlite3 -cmd ".timeout 10000" "$1/db/alert.db" "SELECT count(*) FROM alert WHERE state = 'resolved' AND reason = 'tree_changed'"; }
events_settled() { # the aggregate's outbox to the alert worker is empty and every notice routed
	[ "$(sqlite3 -cmd ".timeout 10000" "$1/db/aggregate.db" "SELECT count(*) FROM outbox")" = 0 ] &&
		[ "$(sqlite3 -cmd ".timeout 10000" "$1/db/alert.db" "SELECT count(*) FROM notice WHERE routed_at IS NULL")" = 0 ]
}
all_flushed() { [ "$(sqlite3 -cmd ".timeout 10000" "$1/db/alert.db" "SELECT count(*) FROM grp WHERE dirty = 1")" = 0 ]; }
aggregate_state() { ctl status --json | grep '"name":"aggregate"' | sed -n 's/.*"state":"\([a-z]*\)".*/\1/p'; }

# ---- 1. the old tree
VAR=$BASE/live
mkdir -p "$VAR"
check "pipeline starts on the old tree" ctl up
for f in labor_force_2017 target_2017; do
	check "$f applied" ctl submit --agency sldtbxh --wait "$FIX/$f.csv"
done
for f in participant_2017-03 participant_2017-04; do
	check "$f applied" ctl submit --agency bhxh --wait "$FIX/$f.csv"
done
check "events reach the alert worker" wait_for 30 events_settled "$VAR"
check "their notices are sent" wait_for 60 all_flushed "$VAR"
ctl report findings --format csv >"$BASE/old.findings.csv"
check "060 and 061 have open findings" test "$(grep -cE '^[a-z_]+,(060|061):' "$BASE/old.findings.csv")" -ge 2
before=$(resolved "$VAR")
ctl down >/dev/null
sent_before=$(sent "$VAR")
cp -a "$VAR" "$BASE/copy"

# ---- 2. the new tree without a move, on the copy
VAR=$BASE/copy
new_conf "$BASE/nomove.yaml" ""
CONFIG=$BASE/nomove.yaml
check "the new tree alone is a valid configuration" ctl check-config
check "pipeline starts on the new tree" ctl up
ctl check-config --var-dir "$VAR" >"$BASE/check1.txt" 2>&1
check_eq "check-config --var-dir: codes of history the tree lacks (exit 1)" 1 $?
cat "$BASE/check1.txt"
check "...060 with its rows" grep -q '^unknown: 060: 2 rows (participants 1, insured units 0, enterprises 0, collection agents 0, labour force 1, targets 0)' "$BASE/check1.txt"
check "...061 with its rows" grep -q '^unknown: 061: 2 rows (participants 1,' "$BASE/check1.txt"
check "...and what to do" grep -q 'Map each to its new unit under org_unit_moves' "$BASE/check1.txt"
check_eq "the aggregate says so: degraded" degraded "$(aggregate_state)"
check "status names the codes" bash -c "'$CTL' --config '$CONFIG' --var-dir '$VAR' status | grep -q 'org unit codes the tree does not have (060, 061)'"
check "its log says so" grep -q 'history holds rows of 2 org unit codes the tree does not have (060, 061)' "$VAR/log/aggregate.log"
check "events settle" wait_for 30 events_settled "$VAR"
check_eq "no resolved notice for the units the tree lost" "$before" "$(resolved "$VAR")"
check "the province's findings ended quietly" test "$(quiet "$VAR")" -ge 1
check_eq "the findings of 060 and 061 are held, still open" 0 \
	"$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM finding_state WHERE org_unit IN ('060', '061') AND open = 0")"
ctl down >/dev/null

# ---- 3. with the moves
MOVES='org_unit_moves:
  "060": "067"
  "061": "067"'
new_conf "$BASE/moved.yaml" "$MOVES"
CONFIG=$BASE/moved.yaml
check "the configuration with moves is valid" ctl check-config
new_conf "$BASE/badmove.yaml" 'org_unit_moves:
  "058": "067"
  "061": "099"'
check "a move of a code still in the tree, or to a unit not in it, is refused" bash -c \
	"'$CTL' --config '$BASE/badmove.yaml' check-config 2>&1 | grep -q \"org_unit_moves.058: '058' is still a unit\" &&
	 '$CTL' --config '$BASE/badmove.yaml' check-config 2>&1 | grep -q \"org_unit_moves.061: '099' is not a unit\""
VAR=$BASE/live
check "pipeline starts with the moves" ctl up
ctl check-config --var-dir "$VAR" >"$BASE/check2.txt" 2>&1
check_eq "check-config --var-dir passes (exit 0)" 0 $?
cat "$BASE/check2.txt"
check "...and says what moved" grep -q 'the new tree covers every code of history' "$BASE/check2.txt"
check "the aggregate is ready" wait_for 10 bash -c "[ \"\$('$CTL' --config '$CONFIG' --var-dir '$VAR' status --json | grep '\"name\":\"aggregate\"' | sed -n 's/.*\"state\":\"\\([a-z]*\\)\".*/\\1/p')\" = ready ]"
check "its log says rows moved" grep -q 'org_unit_moves: .* rows of history now belong to their new units' "$VAR/log/aggregate.log"
check "events settle" wait_for 30 events_settled "$VAR"
check_eq "no resolved notice after the moves" "$before" "$(resolved "$VAR")"
check "every group flushed" wait_for 60 all_flushed "$VAR"
check_eq "no notice at all: nothing new for anyone" "$sent_before" "$(sent "$VAR")"
check_eq "the alerts under the old names ended quietly" "0 8" \
	"$(sqlite3 "$VAR/db/alert.db" "SELECT count(*) FROM alert WHERE state = 'firing' AND (subject LIKE '060:%' OR subject LIKE '061:%')") $(quiet "$VAR")"
check_eq "the alert worker took every event" 0 "$(grep -c 'dropped an invalid event' "$VAR/log/alert.log")"
check "067's findings go on where 060's and 061's were" grep -qE '^behind_target,067:bhxh,067,2017-04,' \
	<(ctl report findings --format csv)
ctl report coverage --format csv >"$BASE/moved.cov.csv"
ctl report findings --format csv >"$BASE/moved.findings.csv"
check_eq "067 has one person in March who was in both districts" \
	"067,2017-03,1700,1,1,0,1,0.06,0.06,20.00,10.00" "$(grep '^067,2017-03,' "$BASE/moved.cov.csv")"
check_eq "nothing is left under the old codes" "" "$(grep -E '^(060|061),' "$BASE/moved.cov.csv")"
ctl down >/dev/null

# ---- the same data with the new codes, on a fresh pipeline
VAR=$BASE/fresh
mkdir -p "$VAR" "$BASE/newfix"
CONFIG=$BASE/nomove.yaml
awk -F, 'NR == 1 { print; next } $1 == "060" || $1 == "061" { s[$2] += $3; next } { print } END { for (y in s) print "067," y "," s[y] }' \
	"$FIX/labor_force_2017.csv" >"$BASE/newfix/labor_force_2017.csv"
cp "$FIX/target_2017.csv" "$BASE/newfix/"
for f in participant_2017-03 participant_2017-04; do
	sed -e 's/^\([^,]*\),06[01],/\1,067,/' "$FIX/$f.csv" >"$BASE/newfix/$f.csv"
done
check "fresh pipeline on the new tree" ctl up
for f in labor_force_2017 target_2017; do
	check "fresh: $f applied" ctl submit --agency sldtbxh --wait "$BASE/newfix/$f.csv"
done
for f in participant_2017-03 participant_2017-04; do
	check "fresh: $f applied" ctl submit --agency bhxh --wait "$BASE/newfix/$f.csv"
done
ctl report coverage --format csv >"$BASE/fresh.cov.csv"
ctl report findings --format csv >"$BASE/fresh.findings.csv"
check_files_eq "after the moves every figure equals the fresh run's" "$BASE/fresh.cov.csv" "$BASE/moved.cov.csv"
check_files_eq "and every finding" "$BASE/fresh.findings.csv" "$BASE/moved.findings.csv"
ctl down >/dev/null
VAR=$BASE/live
finish
