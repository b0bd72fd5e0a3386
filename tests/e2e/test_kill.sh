#!/usr/bin/env bash
# test_kill.sh - SIGKILL each worker in turn in the middle of a multi-batch
# file; the supervisor restarts it; the final receipt and coverage report
# must be identical to an undisturbed run (nothing lost, nothing counted twice).
ALLOW_RESTARTS=1
CONFIG=$(cd "$(dirname "$0")" && pwd)/config/small-batches.yaml
. "$(dirname "$0")/lib.sh"
ROWS=${KILL_TEST_ROWS:-100000}
"$BIN/bhxh-gen" participant --rows "$ROWS" --period 2017-05 --seed 7 >"$VAR/participant_2017-05.csv"
"$BIN/bhxh-gen" labor_force --year 2017 --value 50000 >"$VAR/labor_force_2017.csv"
BASE=$VAR

# run_once WORKER - a fresh pipeline; kill WORKER mid-file unless it is "none"
run_once() {
	local victim=$1 out=$BASE/$1
	VAR=$out
	mkdir -p "$VAR"
	ctl up >/dev/null || { not_ok "$victim: pipeline starts"; return; }
	ctl submit --agency sldtbxh --wait "$BASE/labor_force_2017.csv" >/dev/null
	ctl submit --agency bhxh "$BASE/participant_2017-05.csv" >/dev/null
	if [ "$victim" != none ]; then
		local pid
		pid=$(worker_pid "$victim")
		if wait_for 60 mid_file "$victim"; then
			if [ -z "$(latest_receipt bhxh participant_2017-05.csv)" ]; then
				ok "$victim: killed in the middle of the file"
			else
				not_ok "$victim: killed in the middle of the file (it had finished)"
			fi
			kill -KILL "$pid"
			check "$victim: restarted by the supervisor" wait_for 30 restarted "$victim" "$pid"
		else
			not_ok "$victim: the file never reached the middle"
		fi
	fi
	check "$victim: the receipt arrives" wait_for 120 has_receipt
	ctl report coverage --format csv >"$out.coverage.csv"
	sed -n 's/^  "\(rows_[a-z]*\)": \([0-9]*\),$/\1=\2/p' "$(latest_receipt bhxh participant_2017-05.csv)" >"$out.receipt"
	sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM files; SELECT count(*) FROM participant;" >"$out.counts"
	ctl down >/dev/null
	VAR=$BASE
}

has_receipt() { test -n "$(latest_receipt bhxh participant_2017-05.csv)"; }

# mid_file WORKER - the file is partly through the pipeline, in a way that involves WORKER
mid_file() {
	local staged
	staged=$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM stage_batch" 2>/dev/null || echo 0)
	case "$1" in
	ingest) grep -q '"done":0' "$VAR/run/ingest.progress" 2>/dev/null && [ "${staged:-0}" -gt 0 ] ;;
	*) [ "${staged:-0}" -gt 5 ] ;;
	esac
}

# restarted WORKER OLDPID - a new live process reports ready
restarted() {
	local p
	p=$(worker_pid "$1")
	[ -n "$p" ] && [ "$p" != "$2" ] && kill -0 "$p" 2>/dev/null && grep -q '"state":"ready"' "$VAR/run/$1.status"
}

run_once none
check_eq "undisturbed run applies every row" "rows_read=$ROWS
rows_applied=$ROWS
rows_rejected=0
rows_duplicate=0" "$(cat "$BASE/none.receipt")"
for w in ingest validate aggregate alert; do
	run_once "$w"
	check_files_eq "$w killed: coverage identical to the undisturbed run" "$BASE/none.coverage.csv" "$BASE/$w.coverage.csv"
	check_files_eq "$w killed: receipt counts identical" "$BASE/none.receipt" "$BASE/$w.receipt"
	check_files_eq "$w killed: each file applied once, no row twice" "$BASE/none.counts" "$BASE/$w.counts"
done
finish
