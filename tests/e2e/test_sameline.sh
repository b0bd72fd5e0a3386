#!/usr/bin/env bash
# test_sameline.sh - inconsistent participant batches whose rows claim the
# same line and share a key (validate numbers lines one by one; a forged or
# broken sender need not): the first row loaded is kept, the other is a
# duplicate, and the file applies, whether it is taken as its batches arrive
# or from its staging after a reload.
. "$(dirname "$0")/lib.sh"
ZF=$BIN/tests/zforge
AGG=ipc://$VAR/run/aggregate.sock
F=insurance_no,citizen_id,org_unit,period,scheme,unemployment,unit_code,agent_code
next_file_no() { echo $(($(sqlite3 "$VAR/db/aggregate.db" "SELECT coalesce(max(file_no), 0) FROM files") + 1)); }
outcome() { sqlite3 "$VAR/db/aggregate.db" "SELECT outcome || ' ' || rows_applied || ' ' || rows_duplicate FROM files WHERE file_no = $1"; }
applied() { [ "$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM files WHERE file_no = $1")" = 1 ]; }
batch() { "$ZF" "$AGG" batch --file-no "$1" --file-id "$2" --seq "$3" --agency bhxh --rtype participant --fields "$F" \
	--row "$4" --wait-acks >/dev/null; }
end() { "$ZF" "$AGG" end --file-no "$1" --file-id "$2" --agency bhxh --rtype participant --name "$3" --nbatches 2 \
	--rows 2 --wait-acks >/dev/null; }

check "pipeline starts" ctl up
check "labour force applied" ctl submit --agency sldtbxh --wait "$FIX/labor_force_2017.csv"

# taken as its batches arrive (the second batch first)
n=$(next_file_no)
batch "$n" 0000same01 1 '0100001301||060|2017-11|voluntary|0||'
batch "$n" 0000same01 0 '0100001301||061|2017-11|voluntary|0||'
end "$n" 0000same01 participant_2017-11.csv
check "two rows of one key on one line: the file ends" wait_for 20 applied "$n"
check_eq "...applied, one row kept and one duplicate" "applied 1 1" "$(outcome "$n")"
check "...taken as its batches arrived" grep -q 'participant_2017-11.csv: applied 1 rows.*checked as its batches arrived' \
	"$VAR/log/aggregate.log"
check_eq "...one participant" 1 "$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM participant WHERE period = '2017-11'")"

# from its staging: a reload between its batches
n=$(next_file_no)
batch "$n" 0000same02 0 '0100001401||061|2017-12|voluntary|0||'
kill -HUP "$(worker_pid aggregate)"
batch "$n" 0000same02 1 '0100001401||060|2017-12|voluntary|0||'
end "$n" 0000same02 participant_2017-12.csv
check "the same from staging: the file ends" wait_for 20 applied "$n"
check_eq "...applied, one row kept and one duplicate" "applied 1 1" "$(outcome "$n")"
check_eq "...the row of the first batch kept" "061" \
	"$(sqlite3 "$VAR/db/aggregate.db" "SELECT org_unit FROM participant WHERE period = '2017-12'")"
check_eq "integrity_check ok" ok "$(sqlite3 "$VAR/db/aggregate.db" 'PRAGMA integrity_check')"
finish
