#!/usr/bin/env bash
# test_dryrun_kill.sh - SIGKILL ingest, validate or the aggregate in the
# middle of a dry run of a multi-batch file: the supervisor restarts it, the
# dry run still ends with one receipt, status checked, saying the file would
# be applied whole; not a row of it is in the tables, the coverage report is
# unchanged, and the real submission of the same bytes afterwards is applied
# (not a repeat) with the counts the dry run gave.
ALLOW_RESTARTS=1
CONFIG=$(cd "$(dirname "$0")" && pwd)/config/small-batches.yaml
. "$(dirname "$0")/lib.sh"
ROWS=${DRYRUN_KILL_ROWS:-20000}
NAME=participant_2017-05.csv
"$BIN/bhxh-gen" participant --rows "$ROWS" --period 2017-05 --seed 11 >"$VAR/$NAME"
"$BIN/bhxh-gen" labor_force --year 2017 --value 50000 >"$VAR/labor_force_2017.csv"
BASE=$VAR

has_receipt() { test -n "$(latest_receipt bhxh "$NAME")"; }
# mid_file WORKER - the dry run is partly through the pipeline, in a way that involves WORKER
mid_file() {
	local staged
	staged=$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM stage_batch" 2>/dev/null || echo 0)
	case "$1" in
	ingest) grep -q '"done":0' "$VAR/run/ingest.progress" 2>/dev/null && [ "${staged:-0}" -gt 0 ] ;;
	*) [ "${staged:-0}" -gt 5 ] ;;
	esac
}
restarted() {
	local p
	p=$(worker_pid "$1")
	[ -n "$p" ] && [ "$p" != "$2" ] && kill -0 "$p" 2>/dev/null && grep -q '"state":"ready"' "$VAR/run/$1.status"
}

for victim in ingest validate aggregate; do
	VAR=$BASE/$victim
	mkdir -p "$VAR"
	ctl up >/dev/null || { not_ok "$victim: pipeline starts"; continue; }
	ctl submit --agency sldtbxh --wait "$BASE/labor_force_2017.csv" >/dev/null
	ctl report coverage --format csv >"$VAR/before.csv"
	# a dry run dropped by hand, following the drop protocol
	mkdir -p "$VAR/spool/check/bhxh"
	cp "$BASE/$NAME" "$VAR/spool/check/bhxh/.$NAME"
	mv "$VAR/spool/check/bhxh/.$NAME" "$VAR/spool/check/bhxh/$NAME"
	pid=$(worker_pid "$victim")
	if wait_for 60 mid_file "$victim" && ! has_receipt; then
		kill -KILL "$pid"
		ok "$victim: killed in the middle of the dry run"
		check "$victim: restarted by the supervisor" wait_for 30 restarted "$victim" "$pid"
	else
		not_ok "$victim: killed in the middle of the dry run (it never got there, or had finished)"
	fi
	check "$victim: the dry run's receipt arrives" wait_for 120 has_receipt
	R=$(latest_receipt bhxh "$NAME")
	check_eq "$victim: status checked, would be applied, every row" "checked applied $ROWS 0" \
		"$(json_field "$R" status) $(json_field "$R" would_be) $(json_field "$R" rows_applied) $(json_field "$R" rows_rejected)"
	check_eq "$victim: one receipt for the dry run" 1 "$(ls "$VAR"/spool/outbox/bhxh/*-"$NAME".json | wc -l)"
	check_eq "$victim: not a row of it in the tables" 0 "$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM participant")"
	check_eq "$victim: it ended checked, once" "checked|1" \
		"$(sqlite3 "$VAR/db/aggregate.db" "SELECT outcome, count(*) FROM files WHERE rtype = 'participant' GROUP BY outcome")"
	ctl report coverage --format csv >"$VAR/after.csv"
	check_files_eq "$victim: coverage unchanged by the dry run" "$VAR/before.csv" "$VAR/after.csv"
	ctl submit --agency bhxh --wait --format json "$BASE/$NAME" >"$VAR/real.json"
	check_eq "$victim: the real submission afterwards is applied, every row" "applied $ROWS" \
		"$(json_field "$VAR/real.json" status) $(json_field "$VAR/real.json" rows_applied)"
	ctl down >/dev/null
done
VAR=$BASE
finish
