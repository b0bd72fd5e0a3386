#!/usr/bin/env bash
# test_sortfull.sh - the aggregate's sorting space (VAR/db/tmp, here a small
# tmpfs) fills up while a large participant file is taken: the aggregate
# waits and retries at a measured pace (not thousands of times a second,
# each one logged), applies nothing by halves, and when space returns the
# file is applied once with the receipt its data calls for.
ALLOW_RESTARTS=0
. "$(dirname "$0")/lib.sh"
mkdir -p "$VAR/db/tmp"
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=1m,mode=0700 tmpfs "$VAR/db/tmp" 2>/dev/null; then
	not_ok "a small tmpfs can be mounted for the sorting space (needs root)"
	finish
fi
trap 'ctl down >/dev/null 2>&1; umount "$VAR/db/tmp" 2>/dev/null' EXIT
DATA=$VAR/data
"$BIN/bhxh-gen" month --out "$DATA" --period 2017-03 --participants 150000 --types participant --bad-share 0.02 \
	--seed 3 >/dev/null
read -r _ _ _ ROWS REJECTED DUPS < <(grep '^participant_2017-03.csv ' "$DATA/expected.txt")

check "pipeline starts with a 1 MB sorting space" ctl up
check "a 150 000-row participant file is dropped" ctl submit --agency bhxh "$DATA/participant_2017-03.csv"
full_lines() { grep -c 'disk is full' "$VAR/log/aggregate.log" 2>/dev/null; }
says_full() { [ "$(full_lines)" -ge "$1" ]; }
check "the aggregate finds its sorting space full" wait_for 60 says_full 1
# it keeps trying: by the time it has said so five times, a worker that
# tried again at once would have logged it thousands of times
check "...and tries again" wait_for 60 says_full 5
n=$(full_lines)
check "...at a measured pace ($n lines of log about it)" test "$n" -lt 500
check "no receipt of the file yet" test -z "$(ls "$VAR"/spool/outbox/bhxh/*-participant_2017-03.csv.json 2>/dev/null)"
check_eq "nothing of it applied" 0 "$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM participant")"
check "space returns" mount -o remount,size=256m "$VAR/db/tmp"
has() { ls "$VAR"/spool/outbox/bhxh/*-participant_2017-03.csv.json >/dev/null 2>&1; }
check "...the file's receipt arrives by itself" wait_for 180 has
r=$(ls -t "$VAR"/spool/outbox/bhxh/*-participant_2017-03.csv.json | head -1)
check_eq "receipt counts as the data calls for" "$ROWS $((ROWS - REJECTED)) $REJECTED $DUPS" \
	"$(json_field "$r" rows_read) $(json_field "$r" rows_applied) $(json_field "$r" rows_rejected) $(json_field "$r" rows_duplicate)"
check_eq "the aggregate holds the file once" $((ROWS - REJECTED)) \
	"$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM participant")"
check_eq "integrity_check ok" ok "$(sqlite3 "$VAR/db/aggregate.db" 'PRAGMA integrity_check')"
ctl down >/dev/null
umount "$VAR/db/tmp"
finish
