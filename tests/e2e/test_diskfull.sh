#!/usr/bin/env bash
# test_diskfull.sh - the disk fills up in the middle of a multi-batch file
# (the var dir on a small tmpfs): the status says why the pipeline waits,
# nothing crashes in a loop, every database passes integrity_check, and when
# space returns the work resumes by itself: every receipt is written (also
# of a file refused while the disk was full) and the figures equal those of
# a run on a roomy disk.
ALLOW_RESTARTS=0
CONFIG=$(cd "$(dirname "$0")" && pwd)/config/small-batches.yaml
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=48m tmpfs "$VAR" 2>/dev/null; then
	not_ok "a small tmpfs can be mounted for the var dir (needs root)"
	finish
fi
trap 'ctl down >/dev/null 2>&1; umount "$VAR" 2>/dev/null' EXIT
DATA=$(mktemp -d /tmp/bhxh-e2e-data.XXXXXX)
"$BIN/bhxh-gen" participant --rows 60000 --period 2017-05 --seed 5 >"$DATA/participant_2017-05.csv"
printf 'x,y\n1,2\n' >"$DATA/xyz_unknown.csv"

# the figures on a roomy disk
REF=$(mktemp -d /tmp/bhxh-e2e.XXXXXX)
VAR=$REF ctl up >/dev/null
VAR=$REF ctl submit --agency sldtbxh --wait "$FIX/labor_force_2017.csv" >/dev/null
VAR=$REF ctl submit --agency bhxh --wait "$DATA/participant_2017-05.csv" >/dev/null
VAR=$REF ctl report coverage --format csv >"$DATA/expected.csv"
VAR=$REF ctl down >/dev/null
rm -rf "$REF"

check "pipeline starts on a 48 MB tmpfs" ctl up
check "labour force applied" ctl submit --agency sldtbxh --wait "$FIX/labor_force_2017.csv"
check "a 60 000-row file is dropped" ctl submit --agency bhxh "$DATA/participant_2017-05.csv"
cp "$DATA/xyz_unknown.csv" "$VAR/spool/incoming/bhxh/.x.tmp"
free_kb=$(df -k --output=avail "$VAR" | tail -1)
fallocate -l $(((free_kb - 1536) * 1024)) "$VAR/filler" 2>/dev/null || dd if=/dev/zero of="$VAR/filler" bs=1k count=$((free_kb - 1536)) 2>/dev/null
check "the disk is then filled to its last 1.5 MB" test "$(df -k --output=avail "$VAR" | tail -1)" -lt 2048
check "a file of no known type is dropped while the disk is full" mv "$VAR/spool/incoming/bhxh/.x.tmp" "$VAR/spool/incoming/bhxh/xyz_unknown.csv"
says_full() { ctl status 2>/dev/null | grep -qi 'full'; }
check "status says the disk is full" wait_for 60 says_full
check "status exits 1 while the pipeline cannot go on" bash -c "! '$CTL' --config '$CONFIG' --var-dir '$VAR' status >/dev/null"
ctl status >"$DATA/status_full.txt" 2>&1; cat "$DATA/status_full.txt"
check "no receipt of the big file yet" test -z "$(ls "$VAR"/spool/outbox/bhxh/*-participant_2017-05.csv.json 2>/dev/null)"
rm -f "$VAR/filler"
has() { ls "$VAR"/spool/outbox/"$1"/*-"$2".json >/dev/null 2>&1; }
check "space returns: the big file's receipt arrives by itself" wait_for 180 has bhxh participant_2017-05.csv
check "...and the refused file's receipt too" wait_for 30 has bhxh xyz_unknown.csv
r=$(ls -t "$VAR"/spool/outbox/bhxh/*-participant_2017-05.csv.json | head -1)
check_eq "all 60 000 rows applied" 60000 "$(json_field "$r" rows_applied)"
ctl report coverage --format csv >"$DATA/actual.csv"
check_files_eq "figures equal the roomy run" "$DATA/expected.csv" "$DATA/actual.csv"
for db in "$VAR"/db/*.db; do
	check_eq "$(basename "$db"): integrity_check ok" ok "$(sqlite3 "$db" 'PRAGMA integrity_check')"
done
ready() { ctl status >/dev/null 2>&1; }
check "every worker is ready again" wait_for 30 ready
check_eq "the aggregate holds the file once" 60000 "$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM participant WHERE period = '2017-05'")"
ctl down >/dev/null
check_logs_clean
if [ "$FAILS" -ne 0 ]; then
	cp -a "$VAR" "$DATA/var" && echo "var dir copied to $DATA/var"
else
	rm -rf "$DATA"
fi
umount "$VAR" && rmdir "$VAR"
exit $((FAILS > 0))
