#!/usr/bin/env bash
# test_trust.sh - single faults that used to stop the pipeline for good, each
# now ends one file (with a receipt) and the files behind it go on:
#  - a number past any plausible value is refused by the schema's max;
#  - a sum that still overflows quarantines its file (quarantine list, retry,
#    drop; the operator is told; the same bytes can be sent again);
#  - parts of a file the aggregate already applied, sent again, are dropped;
#  - a file whose batches stop coming is quarantined after its deadline, and
#    the file behind it is applied; a quarantined file completed later can be
#    retried; a retried file older than a newer snapshot is superseded;
#  - forged messages (rows validate never saw, an agency sending what it may
#    not, acknowledgements on an input socket) are refused and counted.
ALLOW_RESTARTS=1 # ingest is killed once on purpose; restarts are counted below
. "$(dirname "$0")/lib.sh"
ZF=$BIN/tests/zforge
mkdir -p "$VAR/cfg" "$VAR/in"
cp "$ROOT"/config/*.yaml "$VAR/cfg/"
sed -i -e 's/^\(  group_wait:\) .*/\1 1s/' -e 's/^\(  group_interval:\) .*/\1 1s/' "$VAR/cfg/alerting.yaml"
# a schema that lets a sum overflow (labour force up to 9e18), to prove the
# overflow quarantines one file and nothing else
sed -i 's/{ name: labor_force, type: int, min: 1, max: 100000000,/{ name: labor_force, type: int, min: 1, max: 9000000000000000000,/' \
	"$VAR/cfg/schemas.yaml"
cat >>"$VAR/cfg/bhxh.yaml" <<'EOF'

aggregate:
  incomplete_timeout_s: 3
  order_wait_s: 2
EOF
CONFIG=$VAR/cfg/bhxh.yaml
AGG=ipc://$VAR/run/aggregate.sock

status_field() { ctl status --json | tr ',' '\n' | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" | sed -n "$(worker_index "$1")p"; }
worker_index() { case $1 in ingest) echo 1 ;; validate) echo 2 ;; aggregate) echo 3 ;; alert) echo 4 ;; esac; }
agg_json() { ctl status --json | sed -n '/"name":"aggregate"/p'; }
agg_num() { agg_json | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
receipt_of() { ls -t "$VAR"/spool/outbox/"$1"/*-"$2".json 2>/dev/null | head -1; }
has_receipt() { test -n "$(receipt_of "$1" "$2")"; }
# agg_receipt NAME - the receipt the aggregate rendered (and sent to ingest) for
# a file, from its database, into a file whose path it prints: forged files were
# never sent by ingest, which writes no receipt for them
agg_receipt() {
	sqlite3 "$VAR/db/aggregate.db" "SELECT receipt FROM files WHERE name = '$1' ORDER BY applied_at DESC LIMIT 1" \
		>"$VAR/agg_receipt.$1.json" && echo "$VAR/agg_receipt.$1.json"
}
next_file_no() { echo $(($(sqlite3 "$VAR/db/ingest.db" "SELECT coalesce(max(id), 0) FROM files") + 1)); }
quarantined_ids() { ctl quarantine list --json | sed -n 's/.*"id": \([0-9]*\),.*/\1/p'; }

check "pipeline starts" ctl up
check "labour force applied" ctl submit --agency sldtbxh --wait "$FIX/labor_force_2017.csv"

# --- a number past any plausible value is refused by the schema
printf 'Mã số thuế,Kỳ,Số lao động,Trạng thái\n0100109106,2017-03,9223372036854775807,Đang hoạt động\n' \
	>"$VAR/in/tax_employer_2017-03.csv"
ctl submit --agency cucthue --wait --format json "$VAR/in/tax_employer_2017-03.csv" >"$VAR/r_int.json"
check_eq "a huge employee count: its only row is refused, so the file is rejected" rejected \
	"$(json_field "$VAR/r_int.json" status)"
check "...as a file with no valid row" grep -q '"code": "E_FILE_NO_VALID_ROWS"' "$VAR/r_int.json"
check_eq "a huge employee count: its row is rejected" 1 "$(json_field "$VAR/r_int.json" rows_rejected)"
check "a huge employee count: E_INT_RANGE names the field" grep -q '"field": "employees".*\|"code": "E_INT_RANGE"' "$VAR/r_int.json"
check "...with the range" grep -q 'E_INT_RANGE' "$VAR/r_int.json"

# --- a sum that overflows quarantines its file, and only that file
{ echo 'Mã huyện,Năm,Lực lượng lao động'; for u in 058 060 061 062 063 064 065 066; do echo "$u,2019,9000000000000000000"; done; } \
	>"$VAR/in/labor_force_2019.csv"
ctl submit --agency sldtbxh --wait --format json "$VAR/in/labor_force_2019.csv" >"$VAR/r_ovf.json"
check "overflow: submit exits 1 (rejected)" test $? -eq 1
check_eq "overflow: the receipt says rejected" rejected "$(json_field "$VAR/r_ovf.json" status)"
check "overflow: with the quarantine code" grep -q '"code": "E_QUARANTINED"' "$VAR/r_ovf.json"
check "overflow: and the reason" grep -q 'integer overflow' "$VAR/r_ovf.json"
check_eq "overflow: rows_read = rows_applied + rows_rejected" "8 0 8" \
	"$(json_field "$VAR/r_ovf.json" rows_read) $(json_field "$VAR/r_ovf.json" rows_applied) $(json_field "$VAR/r_ovf.json" rows_rejected)"
check_eq "overflow: one file quarantined in the status" 1 "$(agg_num quarantined)"
check "overflow: the status names the error" bash -c "'$CTL' --config '$CONFIG' --var-dir '$VAR' status | grep -q 'quarantined: .*integer overflow'"
check "overflow: quarantine list shows it" bash -c "'$CTL' --config '$CONFIG' --var-dir '$VAR' quarantine list | grep -q 'labor_force_2019.csv'"
check "overflow: the operator is told (a notice file)" wait_for 30 bash -c "grep -rlq quarantined_file '$VAR'/notices/operator*/ 2>/dev/null"
check "the next file is applied" ctl submit --agency bhxh --wait "$FIX/participant_2017-03.csv"
ctl report coverage --format csv >"$VAR/cov1.csv"
check_eq "figures exact after the quarantine" "06,2017-03,5200,6,4,2,4,0.12,0.08" \
	"$(grep '^06,2017-03,' "$VAR/cov1.csv" | cut -d, -f1-9)"
check_eq "...and no trace of the quarantined year" "" "$(grep ',2019-' "$VAR/cov1.csv")"
qid=$(quarantined_ids | head -1)
out=$(ctl quarantine retry "$qid" 2>&1)
check "retry of a file that still overflows fails" test $? -ne 0
check "...and says so" grep -q 'still cannot be applied' <<<"$out"
check_eq "...it stays quarantined" "$qid" "$(quarantined_ids | head -1)"
check "drop gives up on it" ctl quarantine drop "$qid"
check_eq "...nothing is quarantined any more" "" "$(quarantined_ids)"
check "...a second receipt tells the agency" wait_for 10 bash -c "grep -l E_QUARANTINE_DROPPED '$VAR'/spool/outbox/sldtbxh/*-labor_force_2019.csv.json"
check "the same bytes may be sent again (not a repeat)" bash -c \
	"'$CTL' --config '$CONFIG' --var-dir '$VAR' submit --agency sldtbxh --wait --format json '$VAR/in/labor_force_2019.csv' | grep -q E_QUARANTINED"
check_eq "...and are quarantined again" 1 "$(quarantined_ids | wc -l)"
ctl quarantine drop "$(quarantined_ids | head -1)" >/dev/null
out=$(ctl quarantine retry 999999 2>&1)
check "retry of an unknown id fails with a reason" grep -q 'no quarantined file' <<<"$out"

# --- parts of an applied file sent again are dropped, acknowledged
fid=$(sqlite3 "$VAR/db/aggregate.db" "SELECT file_no || ' ' || file_id FROM files WHERE name = 'participant_2017-03.csv' AND outcome = 'applied'")
set -- $fid
before=$(agg_num late_resends)
check "a resent batch and end of an applied file are acknowledged" "$ZF" "$AGG" batch --file-no "$1" --file-id "$2" \
	--seq 0 --agency bhxh --rtype participant --fields insurance_no,citizen_id,org_unit,period,scheme,unemployment,unit_code,agent_code \
	--row '0100000099||058|2017-03|compulsory|1|DV001|' --count 3 --wait-acks
check "...and so is its end" "$ZF" "$AGG" end --file-no "$1" --file-id "$2" --agency bhxh --rtype participant --name participant_2017-03.csv \
	--nbatches 1 --rows 1 --wait-acks
check "...and counted as late resends" test "$(agg_num late_resends)" -ge $((before + 4))
check_eq "...nothing of them is staged" 0 "$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM stage_batch WHERE file_no = $1")"
check_eq "...the file is still applied once" 1 "$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM files WHERE file_no = $1")"
ctl report coverage --format csv >"$VAR/cov2.csv"
check_files_eq "...figures unchanged" "$VAR/cov1.csv" "$VAR/cov2.csv"

# --- a file whose batches stop coming: quarantined after its deadline, the
# file behind it (same number: the forged one comes first in the line) goes on
F=insurance_no,citizen_id,org_unit,period,scheme,unemployment,unit_code,agent_code
n=$(next_file_no)
"$ZF" "$AGG" end --file-no "$n" --file-id 0000forged --agency bhxh --rtype participant --name participant_2017-05.csv \
	--nbatches 2 --rows 2 --wait-acks >/dev/null
"$ZF" "$AGG" batch --file-no "$n" --file-id 0000forged --seq 0 --agency bhxh --rtype participant --fields "$F" \
	--row '0100000501||060|2017-05|compulsory|1|DV009|' --wait-acks >/dev/null
check "a file short of a batch: the aggregate says it waits" wait_for 10 bash -c "'$CTL' --config '$CONFIG' --var-dir '$VAR' status | grep -q 'aggregate: waiting'"
check "the next file is applied behind it" ctl submit --agency bhxh --wait "$FIX/participant_2017-04.csv"
check_eq "the short file is quarantined" "$n" "$(quarantined_ids)"
check "...its receipt says why" grep -q 'only 1 of 2 batches' "$(agg_receipt participant_2017-05.csv)"
check "...ingest, which never sent it, writes no receipt for it" bash -c \
	"! ls '$VAR'/spool/outbox/bhxh/*-participant_2017-05.csv.json 2>/dev/null"
out=$(ctl quarantine retry "$n" 2>&1)
check "retry while a batch is missing is refused" grep -q 'cannot be retried: 1 of 2' <<<"$out"
"$ZF" "$AGG" batch --file-no "$n" --file-id 0000forged --seq 1 --agency bhxh --rtype participant --fields "$F" \
	--row '0100000502||061|2017-05|voluntary|0||' --wait-acks >/dev/null
check "the missing batch arrives late: retry applies the file" ctl quarantine retry "$n"
check "...with a second receipt, named by the retry" wait_for 10 bash -c "[ \"\$(sqlite3 '$VAR/db/aggregate.db' \"SELECT receipt_stamp > received_at AND receipt LIKE '%\\\"status\\\": \\\"applied\\\"%' FROM files WHERE name = 'participant_2017-05.csv'\")\" = 1 ]"
check_eq "...its two rows are in" 2 "$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM participant WHERE period = '2017-05'")"

# --- a retried file older than the snapshot in place is superseded
n=$(next_file_no)
"$ZF" "$AGG" end --file-no "$n" --file-id 0000older --agency bhxh --rtype participant --name participant_2017-04-old.csv \
	--nbatches 2 --rows 2 --wait-acks >/dev/null
"$ZF" "$AGG" batch --file-no "$n" --file-id 0000older --seq 0 --agency bhxh --rtype participant --fields "$F" \
	--row '0100000601||060|2017-04|compulsory|1|DV009|' --wait-acks >/dev/null
check "a target file is applied behind it" ctl submit --agency sldtbxh --wait "$FIX/target_2017.csv"
check "the older file is quarantined (incomplete)" bash -c "'$CTL' --config '$CONFIG' --var-dir '$VAR' quarantine list | grep -q 'participant_2017-04-old'"
cp "$FIX/participant_2017-04.csv" "$VAR/in/participant_2017-04-new.csv"
echo '0100000777,066,2017-04,Tự nguyện,,' >>"$VAR/in/participant_2017-04-new.csv"
check "a newer April file is applied" ctl submit --agency bhxh --wait "$VAR/in/participant_2017-04-new.csv"
ctl report coverage --format csv --period 2017-04 >"$VAR/apr_before.csv"
"$ZF" "$AGG" batch --file-no "$n" --file-id 0000older --seq 1 --agency bhxh --rtype participant --fields "$F" \
	--row '0100000602||061|2017-04|voluntary|0||' --wait-acks >/dev/null
out=$(ctl quarantine retry "$n" 2>&1)
check "retry of the older file drops it as superseded" grep -q 'dropped: a newer snapshot' <<<"$out"
check "...its receipt says superseded" grep -q E_FILE_SUPERSEDED "$(agg_receipt participant_2017-04-old.csv)"
ctl report coverage --format csv --period 2017-04 >"$VAR/apr_after.csv"
check_files_eq "...and April's figures are the newer file's" "$VAR/apr_before.csv" "$VAR/apr_after.csv"

# --- forged messages
ctl report coverage --format csv >"$VAR/cov_before_forge.csv"
n=$(next_file_no)
"$ZF" "$AGG" batch --file-no "$n" --file-id 0000forge1 --seq 0 --validated 1 --agency bhxh --rtype participant \
	--fields "$F" --row '0100000801||XYZ|2017-03|compulsory|1|DV001|' --row '0100000802||058|2099-13|compulsory|1|DV001|' \
	--wait-acks >/dev/null
"$ZF" "$AGG" end --file-no "$n" --file-id 0000forge1 --agency bhxh --rtype participant --name participant_forged.csv \
	--nbatches 1 --rows 2 --wait-acks >/dev/null
check "a batch marked checked with impossible rows gets a receipt (rejected: no row is valid)" wait_for 10 bash -c \
	"[ \"\$(sqlite3 '$VAR/db/aggregate.db' \"SELECT outcome || ' ' || code FROM files WHERE file_id = '0000forge1'\")\" = 'rejected E_FILE_NO_VALID_ROWS' ]"
r=$(agg_receipt participant_forged.csv)
check_eq "...applying nothing" 0 "$(json_field "$r" rows_applied)"
check "...the unknown org unit refused" grep -q E_ORG_UNIT "$r"
check "...the impossible period refused" grep -q E_PERIOD_FORMAT "$r"
check "...counted in the status" test "$(agg_num rows_refused_on_recheck)" -ge 2
n=$(next_file_no)
"$ZF" "ipc://$VAR/run/validate.sock" batch --file-no "$n" --file-id 0000forge2 --seq 0 --validated 0 --agency ubnd_058 \
	--rtype participant --fields "$F" --row '0100000901||058|2017-03|Bắt buộc|x|DV001|' --wait-acks >/dev/null
"$ZF" "ipc://$VAR/run/validate.sock" end --file-no "$n" --file-id 0000forge2 --agency ubnd_058 --rtype participant \
	--name participant_ubnd.csv --nbatches 1 --rows 1 --wait-acks >/dev/null
check "a district committee sending participants: refused whole" wait_for 10 bash -c \
	"[ \"\$(sqlite3 '$VAR/db/aggregate.db' \"SELECT outcome || ' ' || code FROM files WHERE file_id = '0000forge2'\")\" = 'rejected E_FILE_TYPE_NOT_ALLOWED' ]"
check "...its receipt says so" grep -q E_FILE_TYPE_NOT_ALLOWED "$(agg_receipt participant_ubnd.csv)"
check_eq "forged files get no receipt file: ingest never sent them" "" \
	"$(ls "$VAR"/spool/outbox/*/*-participant_forged.csv.* "$VAR"/spool/outbox/*/*-participant_ubnd.csv.* 2>/dev/null)"
ctl report coverage --format csv >"$VAR/cov_after_forge.csv"
check_files_eq "forged rows changed no figure" "$VAR/cov_before_forge.csv" "$VAR/cov_after_forge.csv"
check_eq "no receipt was written outside configured agencies' folders" "" \
	"$(find "$VAR/spool/outbox" -mindepth 1 -maxdepth 1 ! -name skhdt ! -name cucthue ! -name bhxh ! -name sldtbxh ! -name 'ubnd_06?' ! -name ubnd_058)"
n=$(next_file_no)
"$ZF" "$AGG" end --file-no "$n" --file-id 0000forge3 --agency ../../../tmp --rtype participant --name x.csv \
	--nbatches 0 --rows 0 --wait-acks >/dev/null
check "an end from an unknown agency ends its file without a receipt" wait_for 10 bash -c \
	"[ \"\$(sqlite3 '$VAR/db/aggregate.db' \"SELECT outcome FROM files WHERE file_id = '0000forge3'\")\" = rejected ]"
check_eq "...and writes nothing outside the var dir" "" "$(ls -d "$VAR"/../tmp 2>/dev/null; ls "$VAR/spool/outbox/../../tmp" 2>/dev/null)"
agg=$(worker_pid aggregate)
bad0=$(agg_num bad_msgs)
rss0=$(awk '/VmRSS/ {print $2}' /proc/"$agg"/status)
"$ZF" "$AGG" ack --ids 1,2,3,4,5,6,7,8,9,10 --count 10000 --hold-ms 60000 &
zfp=$!
check "10 000 acknowledgements on the aggregate's input are counted as bad" wait_for 30 bash -c \
	"[ \$('$CTL' --config '$CONFIG' --var-dir '$VAR' status --json | sed -n '/\"name\":\"aggregate\"/s/.*\"bad_msgs\":\([0-9]*\).*/\1/p') -ge $((bad0 + 10000)) ]"
kill "$zfp" 2>/dev/null
wait "$zfp" 2>/dev/null
rss1=$(awk '/VmRSS/ {print $2}' /proc/"$agg"/status)
case "$BIN" in
*asan*) ok "RSS not compared under AddressSanitizer (LeakSanitizer checks at exit)" ;;
*) check "...and the aggregate's memory stays flat ($rss0 kB -> $rss1 kB)" test "$rss1" -lt $((rss0 + 8192)) ;;
esac
check_eq "...by the same process" "$agg" "$(worker_pid aggregate)"
check "the pipeline still applies files" ctl submit --agency bhxh --wait "$FIX/participant_2017-03_fix.csv"

# --- a forged outcome for a file still being read changes nothing, even if
# ingest is killed next: the file resumes where it was and is applied whole
"$BIN/bhxh-gen" participant --rows 20000 --period 2017-06 --seed 31 >"$VAR/in/participant_2017-06.csv"
vpid=$(worker_pid validate)
kill -STOP "$vpid"
ctl submit --agency bhxh "$VAR/in/participant_2017-06.csv" >/dev/null
reading() { grep -q '"file":"participant_2017-06.csv".*"rows":[1-9][0-9]*000,.*"done":0' "$VAR/run/ingest.progress" 2>/dev/null; }
check "a 20 000-row file is half read (validate paused)" wait_for 30 reading
id=$(sqlite3 "$VAR/db/ingest.db" "SELECT id || ' ' || sha256 FROM files WHERE name = 'participant_2017-06.csv'")
set -- $id
check "a forged outcome 'applied' for it is acknowledged" "$ZF" "ipc://$VAR/run/ingest.sock" done --file-no "$1" \
	--file-id "$2" --agency bhxh --status applied --wait-acks
check_eq "...and ignored: the file is still being read" reading \
	"$(sqlite3 "$VAR/db/ingest.db" "SELECT status FROM files WHERE id = $1")"
ipid=$(worker_pid ingest)
kill -KILL "$ipid"
kill -CONT "$vpid"
check "ingest killed: the file's receipt arrives" wait_for 60 has_receipt bhxh participant_2017-06.csv
check_eq "...all 20 000 rows applied" 20000 "$(json_field "$(receipt_of bhxh participant_2017-06.csv)" rows_applied)"

# --- a quarantined file is an operator's decision: status says so and exits 1
n=$(next_file_no)
"$ZF" "$AGG" end --file-no "$n" --file-id 0000short --agency bhxh --rtype participant --name participant_short.csv \
	--nbatches 1 --rows 5 --wait-acks >/dev/null
"$ZF" "$AGG" batch --file-no "$n" --file-id 0000short --seq 0 --agency bhxh --rtype participant --fields "$F" \
	--row '0100000951||060|2017-03|compulsory|1|DV009|' --wait-acks >/dev/null
check "batches holding fewer rows than the end says: quarantined" wait_for 10 bash -c \
	"'$CTL' --config '$CONFIG' --var-dir '$VAR' quarantine list | grep -q 'batches hold 1 rows, its end says 5'"
check "...the aggregate is degraded while a file waits for a decision" wait_for 5 bash -c \
	"'$CTL' --config '$CONFIG' --var-dir '$VAR' status | grep -q 'aggregate: degraded since .*1 file quarantined'"
check "...status exits 1" bash -c "! '$CTL' --config '$CONFIG' --var-dir '$VAR' status >/dev/null"
check "...and so does status --json" bash -c "! '$CTL' --config '$CONFIG' --var-dir '$VAR' status --json >/dev/null"
ctl quarantine drop "$n" >/dev/null
check "...ready again once decided" wait_for 5 ctl status

# --- two different ends for one file: quarantined, never applied as the first says
n=$(next_file_no)
"$ZF" "$AGG" end --file-no "$n" --file-id 0000twice --agency bhxh --rtype participant --name participant_twice.csv \
	--nbatches 3 --rows 3 --wait-acks >/dev/null
"$ZF" "$AGG" end --file-no "$n" --file-id 0000twice --agency bhxh --rtype participant --name participant_twice.csv \
	--nbatches 1 --rows 1 --wait-acks >/dev/null
"$ZF" "$AGG" batch --file-no "$n" --file-id 0000twice --seq 0 --agency bhxh --rtype participant --fields "$F" \
	--row '0100000961||060|2017-03|compulsory|1|DV009|' --wait-acks >/dev/null
check "two different ends for one file: quarantined" wait_for 10 bash -c \
	"'$CTL' --config '$CONFIG' --var-dir '$VAR' quarantine list | grep -q 'two different ends'"
check_eq "...nothing of it applied" 0 "$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM participant WHERE insurance_no = '0100000961'")"
ctl quarantine drop "$n" >/dev/null

# --- one end forwarded twice (two validators, each numbering its own
# messages): the copies differ only by message id, so the file applies
n=$(next_file_no)
"$ZF" "$AGG" end --file-no "$n" --file-id 0000same --agency bhxh --rtype participant --name participant_same.csv \
	--nbatches 1 --rows 1 --count 2 --id 7000 --wait-acks >/dev/null
"$ZF" "$AGG" batch --file-no "$n" --file-id 0000same --seq 0 --agency bhxh --rtype participant --fields "$F" \
	--row '0100000962||060|2017-03|compulsory|1|DV009|' --count 2 --id 7100 --wait-acks >/dev/null
check "the same end and batch twice with different message ids: the file applies" wait_for 10 bash -c \
	"[ \"\$(sqlite3 '$VAR/db/aggregate.db' \"SELECT outcome FROM files WHERE file_id = '0000same'\")\" = applied ]"
check_eq "...its row once" 1 "$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM participant WHERE insurance_no = '0100000962'")"

# --- a forged end ahead of a genuine file: forged batches cannot put its
# deadline off, and the operator can drop it at once
n=$(next_file_no)
"$ZF" "$AGG" end --file-no "$n" --file-id 0000ahead --agency bhxh --rtype participant --name participant_ahead.csv \
	--nbatches 10 --rows 10 --wait-acks >/dev/null
(for k in 0 1 2 3 4 5 6 7; do
	"$ZF" "$AGG" batch --file-no "$n" --file-id 0000ahead --seq "$k" --agency bhxh --rtype participant --fields "$F" \
		--row "01000009$((70 + k))||060|2017-03|compulsory|1|DV009|" --wait-acks >/dev/null
	for _ in $(seq 1 16); do poll_pause; done
done) &
topup=$!
check "a file short of batches is quarantined while forged batches keep coming" wait_for 6 bash -c \
	"'$CTL' --config '$CONFIG' --var-dir '$VAR' quarantine list | grep -q participant_ahead"
kill "$topup" 2>/dev/null
wait "$topup" 2>/dev/null
ctl quarantine drop "$n" >/dev/null
n=$(next_file_no)
"$ZF" "$AGG" end --file-no "$n" --file-id 0000ahead2 --agency bhxh --rtype participant --name participant_ahead2.csv \
	--nbatches 3 --rows 3 --wait-acks >/dev/null
cp "$FIX/participant_2017-04.csv" "$VAR/in/participant_2017-04-behind.csv"
echo '0100000778,066,2017-04,Tự nguyện,,' >>"$VAR/in/participant_2017-04-behind.csv"
ctl submit --agency bhxh "$VAR/in/participant_2017-04-behind.csv" >/dev/null
check "a genuine file behind a forged end waits (status says so)" wait_for 10 bash -c \
	"'$CTL' --config '$CONFIG' --var-dir '$VAR' status | grep -q 'aggregate: waiting.*quarantine drop $n'"
check "...status --json exits 1 meanwhile" bash -c "! '$CTL' --config '$CONFIG' --var-dir '$VAR' status --json >/dev/null"
check "the operator drops the forged file at once" ctl quarantine drop "$n:0000ahead2"
check "...and the genuine file is applied" wait_for 10 has_receipt bhxh participant_2017-04-behind.csv
check_eq "...applied" applied "$(json_field "$(receipt_of bhxh participant_2017-04-behind.csv)" status)"

# --- a file number no file can have is refused, and delays nothing
bad0=$(agg_num bad_msgs)
"$ZF" "$AGG" end --file-no 9223372036854775807 --file-id 0000max --agency sldtbxh --rtype target --name t.csv \
	--nbatches 0 --rows 0 --wait-acks >/dev/null
check "an end numbered 2^63-1 is dropped and counted" test "$(agg_num bad_msgs)" -gt "$bad0"
check_eq "...nothing of it is recorded" 0 "$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM files WHERE file_id = '0000max'")"
cp "$FIX/target_2017.csv" "$VAR/in/target_2017-again.csv"
echo '058,2018,40,20' >>"$VAR/in/target_2017-again.csv"
check "...the next genuine file applies" ctl submit --agency sldtbxh --wait "$VAR/in/target_2017-again.csv"
check_eq "...without waiting for a missing number" "" "$(grep 'never arrived' "$VAR/log/aggregate.log")"
check_eq "no worker restarted but the ingest killed on purpose" "ingest=1 validate=0 aggregate=0 alert=0" \
	"$(for w in ingest validate aggregate alert; do printf '%s=%s ' $w \
	"$(sed -n "s/.*{\"name\":\"$w\",[^}]*\"restarts\":\([0-9]*\).*/\1/p" "$VAR/run/supervisor.status")"; done | sed 's/ $//')"
finish
