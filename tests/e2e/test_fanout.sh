#!/usr/bin/env bash
# test_fanout.sh - validation scales out: the same files through a pipeline
# with two validation processes (validate.instances: 2) and through one with a
# single process give identical receipts and coverage reports; both
# validators took batches; two snapshots of one period submitted back to back
# apply in ingest's order, so the later one wins even when the validators
# hand their batches on out of order.
CONFIG=$(cd "$(dirname "$0")" && pwd)/config/fanout.yaml
FANOUT_CONFIG=$CONFIG
. "$(dirname "$0")/lib.sh"
BASE=$VAR
ROWS=${FANOUT_TEST_ROWS:-3000}

# The same configuration with one validation process (schemas made absolute,
# since the copy lives in the var dir).
sed -e 's/^\(  instances:\) *2 .*/\1 1/' -e "s|^schemas: .*|schemas: $ROOT/config/schemas.yaml|" \
	"$CONFIG" >"$BASE/one.yaml"
check "the single-validator configuration is valid" \
	"$BIN/bhxh-validate" --config "$BASE/one.yaml" --check-config
check "the fan-out configuration is valid" "$BIN/bhxh-validate" --config "$CONFIG" --check-config

# A multi-batch file with rejected rows spread through it: a bad insurance
# number every 97th line, a voluntary participant with BHTN every 89th, a
# repeated key every 83rd.
"$BIN/bhxh-gen" participant --rows "$ROWS" --period 2017-05 --seed 11 |
	awk 'NR > 1 && NR % 97 == 0 { print "12345,058,2017-05,Bắt buộc,x,DV0001" }
	     NR > 1 && NR % 89 == 0 { printf "0999999%03d,060,2017-05,Tự nguyện,x,\n", NR % 1000 }
	     { print }
	     NR > 1 && NR % 83 == 0 { print }' >"$BASE/participant_2017-05.csv"
BIG_ROWS=$(($(wc -l <"$BASE/participant_2017-05.csv") - 1))
FILES="participant_2017-05.csv participant_2017-03.csv participant_2017-04.csv participant_2017-03_fix.csv"

has_receipts() {
	local f
	for f in $FILES; do
		[ -n "$(latest_receipt bhxh "$f")" ] || return 1
	done
}

# msgs_in NAME - messages taken by a worker, from its status file
msgs_in() { sed -n 's/.*"msgs_in":\([0-9]*\).*/\1/p' "$VAR/run/$1.status" 2>/dev/null; }
took_batches() { [ "$(msgs_in "$1")" -gt 0 ] 2>/dev/null; }

# run_once NAME CONFIG - a fresh pipeline; all files; reports into BASE/NAME.*
run_once() {
	local name=$1 f
	CONFIG=$2
	VAR=$BASE/$name
	mkdir -p "$VAR"
	check "$name: pipeline starts" ctl up
	check "$name: labour force applied" ctl submit --agency sldtbxh --wait "$FIX/labor_force_2017.csv"
	check "$name: targets applied" ctl submit --agency sldtbxh --wait "$FIX/target_2017.csv"
	# no --wait: the four files are dropped one after another, in this order,
	# and travel through the validators together
	check "$name: participant files dropped" ctl submit --agency bhxh "$BASE/participant_2017-05.csv" \
		"$FIX/participant_2017-03.csv" "$FIX/participant_2017-04.csv" "$FIX/participant_2017-03_fix.csv"
	check "$name: every file has its receipt" wait_for 120 has_receipts
	ctl report coverage --format csv >"$BASE/$name.coverage.csv"
	: >"$BASE/$name.receipts"
	for f in $FILES; do
		echo "== $f" >>"$BASE/$name.receipts"
		grep -v '"received_at"' "$(latest_receipt bhxh "$f")" >>"$BASE/$name.receipts"
	done
	sqlite3 "$VAR/db/aggregate.db" "SELECT name FROM files WHERE rtype = 'participant' ORDER BY file_no" \
		>"$BASE/$name.order"
}

run_once one "$BASE/one.yaml"
check "one: the single validator took the batches" wait_for 10 took_batches validate
sqlite3 "$VAR/db/validate.db" "SELECT rtype, rows, rejected FROM stats ORDER BY rtype" >"$BASE/one.stats"
ctl down >/dev/null

run_once two "$FANOUT_CONFIG"
check "two: validate-1 took batches" wait_for 10 took_batches validate-1
check "two: validate-2 took batches" wait_for 10 took_batches validate-2
check_eq "two: no single validator runs" "" "$(ls "$VAR/run/validate.status" 2>/dev/null)"
sqlite3 "$VAR/db/validate-1.db" "SELECT rtype, rows, rejected FROM stats" >"$BASE/two.stats1"
sqlite3 "$VAR/db/validate-2.db" "SELECT rtype, rows, rejected FROM stats" >"$BASE/two.stats2"
sort "$BASE/two.stats1" "$BASE/two.stats2" |
	awk -F'|' '{ r[$1] += $2; j[$1] += $3 } END { for (k in r) print k "|" r[k] "|" j[k] }' |
	sort >"$BASE/two.stats"
check_files_eq "two: the validators together checked the rows one checked alone" \
	"$BASE/one.stats" "$BASE/two.stats"
check "two: the multi-batch file's rows were split between them" \
	bash -c "grep -q '^participant|' '$BASE/two.stats1' && grep -q '^participant|' '$BASE/two.stats2'"

check_files_eq "coverage reports are identical with one and two validators" \
	"$BASE/one.coverage.csv" "$BASE/two.coverage.csv"
check_files_eq "receipts are identical with one and two validators" "$BASE/one.receipts" "$BASE/two.receipts"
# the March snapshots were applied in the order they were dropped, in both
# runs (the order between files of different periods does not matter)
before() { [ "$(grep -nx "$1" "$3" | cut -d: -f1)" -lt "$(grep -nx "$2" "$3" | cut -d: -f1)" ] 2>/dev/null; }
check "one: the first March snapshot was applied before the correction" \
	before participant_2017-03.csv participant_2017-03_fix.csv "$BASE/one.order"
check "two: the first March snapshot was applied before the correction" \
	before participant_2017-03.csv participant_2017-03_fix.csv "$BASE/two.order"

# what the receipts say, checked on the two-validator run
R=$(latest_receipt bhxh participant_2017-05.csv)
check_eq "two: every row of the big file is accounted for" "$BIG_ROWS" "$(json_field "$R" rows_read)"
check "two: rejected rows from all over the file" \
	bash -c "grep -c '\"code\": \"E_INSURANCE_NO_FORMAT\", \"message_vi' '$R' | grep -qx $(((ROWS + 1) / 97))"
check "two: the voluntary/BHTN rule is applied" grep -q E_RULE_VOLUNTARY_BHTN "$R"
check "two: repeated keys are duplicates" grep -q E_DUPLICATE_KEY "$R"
check_eq "two: rows_read = rows_applied + rows_rejected" "$(json_field "$R" rows_read)" \
	"$(($(json_field "$R" rows_applied) + $(json_field "$R" rows_rejected)))"

# the later March snapshot replaced the earlier one: March and April are
# exactly the hand-worked figures after the correction
grep -v ',2017-05,' "$BASE/two.coverage.csv" >"$BASE/two.no-may.csv"
check_files_eq "two: the later snapshot of March wins" "$FIX/coverage_expected_2.csv" "$BASE/two.no-may.csv"
check "two: May is reported too" grep -q '^058,2017-05,' "$BASE/two.coverage.csv"
check "no insurance number in any log" bash -c "! grep -rqE '0100000[0-9]{3}|1000000[0-9]{3}' '$BASE/one/log' '$BASE/two/log'"
ctl down >/dev/null
VAR=$BASE
finish
