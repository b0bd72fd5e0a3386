#!/usr/bin/env bash
# test_losses.sh - small losses that are gone: a file name with control
# characters cannot forge a log line; a name too long for the spool still gets
# its receipt; a file that changes while it is read is rejected whole (its
# rows match neither its hash nor its archive) and may be sent again.
. "$(dirname "$0")/lib.sh"
CONFIG=$(cd "$(dirname "$0")" && pwd)/config/small-batches.yaml
mkdir -p "$VAR/in"
check "pipeline starts" ctl up
check "labour force applied" ctl submit --agency sldtbxh --wait "$FIX/labor_force_2017.csv"

# control characters in a name: the log escapes them
evil=$'participant_2017-03\n2026-01-01T00:00:00.000Z aggregate[1] error: forged\e[31m.csv'
cp "$FIX/participant_2017-03.csv" "$VAR/in/$evil"
check "a name with a newline and an escape code gets its receipt" ctl submit --agency bhxh --wait "$VAR/in/$evil"
check_eq "no log line was forged" "" "$(grep -h '^2026-01-01T00:00:00.000Z' "$VAR"/log/*.log)"
check_eq "no raw escape character reached a log" "" "$(grep -l $'\e' "$VAR"/log/*.log)"
check "the newline is written escaped" grep -q 'participant_2017-03\\x0a2026-01-01' "$VAR/log/ingest.log"

# a name longer than the spool's directory entries allow
long=participant_2017-04_
while [ "$(printf %s "${long}Báo cáo.csv" | wc -c)" -le 245 ]; do long="${long}Báo cáo "; done
long="${long}.csv"
check "the long name is $(printf %s "$long" | wc -c) bytes (at most 255)" test "$(printf %s "$long" | wc -c)" -gt 240
cp "$FIX/participant_2017-04.csv" "$VAR/in/$long"
ctl submit --agency bhxh --wait --format json "$VAR/in/$long" >"$VAR/r_long.json"
check_eq "a long name: applied" applied "$(json_field "$VAR/r_long.json" status)"
check "...its receipt names the whole file" grep -qF "\"file\": \"$long\"" "$VAR/r_long.json"
check_eq "...nothing is left in the drop folder" 0 "$(find "$VAR/spool/incoming" -mindepth 2 | wc -l)"
check "...the spool keeps it under a cut name (valid UTF-8)" bash -c "ls '$VAR'/spool/archive/bhxh | iconv -f UTF-8 -t UTF-8 >/dev/null"

# a file still written after its rename into the drop folder
"$BIN/bhxh-gen" participant --rows 100000 --period 2017-05 --seed 11 >"$VAR/in/participant_2017-05.csv"
cp "$VAR/in/participant_2017-05.csv" "$VAR/in/p5.tmp"
mv "$VAR/in/p5.tmp" "$VAR/spool/incoming/bhxh/participant_2017-05.csv"
taken() { grep -q '"file":"participant_2017-05.csv".*"done":0' "$VAR/run/ingest.progress" 2>/dev/null; }
check "a big file is being read" wait_for 30 taken
f=$(ls "$VAR"/spool/processing/bhxh/*participant_2017-05.csv)
echo '1999999999,058,2017-05,Bắt buộc,x,DV0001' >>"$f"
has_receipt() { ls "$VAR"/spool/outbox/bhxh/*-participant_2017-05.csv.json >/dev/null 2>&1; }
check "it changed while read: its receipt arrives" wait_for 60 has_receipt
r=$(ls -t "$VAR"/spool/outbox/bhxh/*-participant_2017-05.csv.json | head -1)
check_eq "...rejected" rejected "$(json_field "$r" status)"
check "...as changed while read" grep -q E_FILE_CHANGED "$r"
check_eq "...none of its rows applied" 0 "$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM participant WHERE period = '2017-05'")"
ctl submit --agency bhxh --wait --format json "$VAR/in/participant_2017-05.csv" >"$VAR/r_again.json"
check_eq "the same bytes sent again are taken (not a repeat) and applied" applied "$(json_field "$VAR/r_again.json" status)"
check_eq "...all of them" 100000 "$(json_field "$VAR/r_again.json" rows_applied)"
finish
