#!/usr/bin/env bash
# test_backup.sh - `bhxhctl backup` while a long file is being applied, then
# `bhxhctl restore` into fresh var dirs: the reports equal a run without
# backup once the files after the backup are sent again; a restore of a
# backup whose aggregate is ahead of its ingest (a file taken between the two
# copies) numbers new files above the aggregate's, so the files sent again are
# applied, not taken for old ones; refusals: the pipeline up, a corrupt file,
# a wrong checksum, an existing destination, workers that do not answer.
CONFIG=$(cd "$(dirname "$0")" && pwd)/config/small-batches.yaml
. "$(dirname "$0")/lib.sh"
ROWS=${BACKUP_TEST_ROWS:-100000}
BASE=$VAR
"$BIN/bhxh-gen" participant --rows "$ROWS" --period 2017-05 --seed 11 >"$BASE/participant_2017-05.csv"
"$BIN/bhxh-gen" labor_force --year 2017 --value 50000 >"$BASE/labor_force_2017.csv"
LOAD=$BASE/participant_2017-05.csv

before() {
	ctl submit --agency sldtbxh --wait "$BASE/labor_force_2017.csv" >/dev/null &&
	ctl submit --agency sldtbxh --wait "$FIX/target_2017.csv" >/dev/null &&
	ctl submit --agency bhxh --wait "$FIX/participant_2017-03.csv" >/dev/null
}
after() {
	ctl submit --agency bhxh --wait "$FIX/participant_2017-04.csv" >/dev/null &&
	ctl submit --agency bhxh --wait "$FIX/participant_2017-03_fix.csv" >/dev/null
}
reports() { ctl report coverage --format csv >"$1.cov" && ctl report findings --format csv >"$1.find"; }
has_receipt() { test -n "$(latest_receipt "$1" "$2")"; }
# drained - every outbox empty, nothing waiting or being read
drained() {
	local s
	s=$(ctl status --json 2>/dev/null) || return 1
	! grep -q '"outbox":[1-9]' <<<"$s" && ! grep -q '"state":"waiting"' <<<"$s" &&
	    grep -q '"current":null' <<<"$s" && grep -q '"files_waiting":0' <<<"$s"
}
mid_file() {
	local staged
	staged=$(sqlite3 "$VAR/db/aggregate.db" "PRAGMA busy_timeout=2000; SELECT count(*) FROM stage_batch" 2>/dev/null | tail -1)
	[ "${staged:-0}" -gt 5 ]
}
use_var() { VAR=$1; mkdir -p "$VAR"; }

# the reference: every file, no backup
use_var "$BASE/ref"
ctl up >/dev/null && before && ctl submit --agency bhxh --wait "$LOAD" >/dev/null && after
check "reference run: every file applied" test $? -eq 0
reports "$BASE/ref"
ctl down >/dev/null

# the run with a backup taken while the long file is applied
use_var "$BASE/run"
check "pipeline starts" ctl up
check "files before the backup applied" before
ctl submit --agency bhxh "$LOAD" >/dev/null
check "the long file is being applied" wait_for 120 mid_file
t0=$(date +%s%N)
ctl backup "$BASE/bk1" >"$BASE/bk1.out" 2>&1
rc=$?
t1=$(date +%s%N)
check_eq "backup exits 0" 0 "$rc"
if has_receipt bhxh participant_2017-05.csv; then
	not_ok "the backup was taken while the long file was applied (it had ended)"
else
	ok "the backup was taken while the long file was applied"
fi
size=$(du -cb "$BASE"/bk1/*.db | tail -1 | cut -f1)
steps=$(sed -n 's/.*"worker":"aggregate".*"steps":\([0-9]*\).*/\1/p' "$BASE/bk1/manifest.json")
echo "# backup under load: $size bytes in $(((t1 - t0) / 1000000)) ms; the aggregate's copy in $steps steps"
check "the manifest lists the four workers" test "$(grep -c '^    {"worker":' "$BASE/bk1/manifest.json")" -eq 4
bad=""
for w in ingest validate aggregate alert; do
	sha=$(sed -n "s/.*\"worker\":\"$w\".*\"sha256\":\"\([0-9a-f]*\)\".*/\1/p" "$BASE/bk1/manifest.json")
	sz=$(sed -n "s/.*\"worker\":\"$w\".*\"size\":\([0-9]*\),.*/\1/p" "$BASE/bk1/manifest.json")
	[ "$sha" = "$(sha256sum "$BASE/bk1/$w.db" | cut -d' ' -f1)" ] || bad="$bad $w:sha"
	[ "$sz" = "$(stat -c %s "$BASE/bk1/$w.db")" ] || bad="$bad $w:size"
	[ "$(stat -c %a "$BASE/bk1/$w.db")" = 640 ] || bad="$bad $w:mode"
	[ "$(sqlite3 "$BASE/bk1/$w.db" 'PRAGMA integrity_check')" = ok ] || bad="$bad $w:integrity"
	grep -q "\"worker\":\"$w\".*\"user_version\":[1-9]" "$BASE/bk1/manifest.json" || bad="$bad $w:version"
done
check_eq "each file: SHA-256 and size as the manifest says, mode 0640, integrity ok, schema version" "" "$bad"
check_eq "no temp file left" "" "$(ls -A "$BASE/bk1" | grep -v -e '\.db$' -e '^manifest.json$')"
check "the aggregate's copy was taken in several steps" test "${steps:-0}" -gt 1
check "the long file's receipt arrives" wait_for 300 has_receipt bhxh participant_2017-05.csv
check "the files after the backup applied" after
reports "$BASE/run"
check_files_eq "coverage equals the reference run" "$BASE/ref.cov" "$BASE/run.cov"
check_files_eq "findings equal the reference run" "$BASE/ref.find" "$BASE/run.find"
check "drained" wait_for 60 drained
check "a quiet backup at the end" ctl backup "$BASE/bk2"

# refusals
out=$(ctl restore "$BASE/bk2" 2>&1)
check_eq "restore refused while the pipeline runs (exit 1)" 1 "$?"
check "... saying so" grep -q "the pipeline is running" <<<"$out"
check "... and nothing moved aside" test -z "$(ls -d "$VAR"/db/pre-restore-* 2>/dev/null)"
out=$(ctl backup "$BASE/bk2" 2>&1)
check "a second backup into the same directory is refused" test $? -ne 0
mkdir -p "$BASE/bk3" && : >"$BASE/bk3/aggregate.db"
out=$(ctl backup "$BASE/bk3" 2>&1)
check_eq "backup over an existing file: exit 1" 1 "$?"
check "... naming the worker and the file" grep -q "aggregate: backup: $BASE/bk3/aggregate.db already exists" <<<"$out"
check "... and the manifest lists it as failed" grep -q '"worker": "aggregate", "error"' "$BASE/bk3/manifest.json"
check_eq "... the existing file untouched" 0 "$(stat -c %s "$BASE/bk3/aggregate.db")"
reports "$BASE/run-end"
ctl down >/dev/null

use_var "$BASE/down"
out=$(ctl backup "$BASE/bk4" 2>&1)
check_eq "backup with the pipeline down: exit 1" 1 "$?"
check "... naming each worker that does not answer" bash -c "grep -q 'ingest: does not answer' <<<'$out' && grep -q 'alert: does not answer' <<<'$out'"

cp -r "$BASE/bk2" "$BASE/bad-sha"
# the first hex digit of validate's checksum changed: 0 -> 1, anything else -> 0
sed -i -e 's/\("worker":"validate".*"sha256":"\)0/\1X/' -e 's/\("worker":"validate".*"sha256":"\)[1-9a-f]/\10/' \
	-e 's/\("worker":"validate".*"sha256":"\)X/\11/' "$BASE/bad-sha/manifest.json"
check "... the manifest's checksum of validate.db is now wrong" test "$(sed -n 's/.*"worker":"validate"[^}]*"sha256":"\([0-9a-f]*\)".*/\1/p' "$BASE/bad-sha/manifest.json")" != \
	"$(sha256sum "$BASE/bad-sha/validate.db" | cut -d' ' -f1)"
out=$(ctl restore "$BASE/bad-sha" 2>&1)
check_eq "restore with a wrong checksum: exit 1" 1 "$?"
check "... saying which file does not match" grep -q "validate.db does not match the manifest" <<<"$out"
check "... and nothing changed" test -z "$(ls -A "$VAR/db" 2>/dev/null)"

cp -r "$BASE/bk2" "$BASE/corrupt"
# garbage over a page in use (the root of the biggest table), not over a page
# that may be free: integrity_check must see it whatever the layout
psize=$(sqlite3 "$BASE/corrupt/aggregate.db" "PRAGMA page_size")
root=$(sqlite3 "$BASE/corrupt/aggregate.db" "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'person'")
check "the page to spoil is known" test -n "$root" -a -n "$psize"
head -c "$psize" /dev/zero | tr '\0' '\377' |
	dd of="$BASE/corrupt/aggregate.db" bs="$psize" seek=$((root - 1)) count=1 conv=notrunc 2>/dev/null
newsha=$(sha256sum "$BASE/corrupt/aggregate.db" | cut -d' ' -f1)
sed -i "s/\(\"worker\":\"aggregate\".*\"sha256\":\"\)[0-9a-f]*/\1$newsha/" "$BASE/corrupt/manifest.json"
out=$(ctl restore "$BASE/corrupt" 2>&1)
check_eq "restore of a corrupt file (its checksum updated): exit 1" 1 "$?"
check "... caught by integrity_check" grep -q "aggregate.db fails integrity_check" <<<"$out"
check "... and nothing changed" test -z "$(ls -A "$VAR/db" 2>/dev/null)"

# the end-of-run backup into a fresh var dir: the reports of the backup's time
use_var "$BASE/fresh2"
check "restore of the quiet backup into a fresh var dir" ctl restore "$BASE/bk2"
check "up after the restore" ctl up
reports "$BASE/fresh2"
check_files_eq "coverage equals the reports at backup time" "$BASE/run-end.cov" "$BASE/fresh2.cov"
check_files_eq "findings equal the reports at backup time" "$BASE/run-end.find" "$BASE/fresh2.find"
ctl submit --agency bhxh --wait --format json "$FIX/participant_2017-04.csv" >"$BASE/fresh2.rep.json"
check_eq "a file sent again after the restore is a repeat" repeat "$(json_field "$BASE/fresh2.rep.json" status)"
ctl down >/dev/null

# the backup under load into a fresh var dir; the long file and those after
# the backup are sent again
use_var "$BASE/fresh1"
check "restore of the backup under load into a fresh var dir" ctl restore "$BASE/bk1"
check "up after the restore" ctl up
check "the restored pipeline settles" wait_for 120 drained
check "the files after the backup sent again" bash -c "ctl() { '$CTL' --config '$CONFIG' --var-dir '$VAR' \"\$@\"; };
    ctl submit --agency bhxh --wait '$LOAD' >/dev/null; ctl submit --agency bhxh --wait '$FIX/participant_2017-04.csv' >/dev/null &&
    ctl submit --agency bhxh --wait '$FIX/participant_2017-03_fix.csv' >/dev/null"
reports "$BASE/fresh1"
check_files_eq "coverage equals the reference run" "$BASE/ref.cov" "$BASE/fresh1.cov"
check_files_eq "findings equal the reference run" "$BASE/ref.find" "$BASE/fresh1.find"
ctl down >/dev/null

# the widest window: ingest's copy from before the long file, the others'
# from the end (as if the long file and the files after it had come between
# ingest's copy and the aggregate's)
use_var "$BASE/run0"
ctl up >/dev/null && before && ctl backup "$BASE/bk0" >/dev/null
check "a backup after the first files" test $? -eq 0
ctl down >/dev/null
mkdir -p "$BASE/window"
cp "$BASE/bk0/ingest.db" "$BASE"/bk2/{validate,aggregate,alert}.db "$BASE/window/"
{ sed -n '1,/"workers": \[/p' "$BASE/bk2/manifest.json"
  grep '^    {"worker":"ingest"' "$BASE/bk0/manifest.json"
  grep -e '^    {"worker":"validate"' -e '^    {"worker":"aggregate"' -e '^    {"worker":"alert"' "$BASE/bk2/manifest.json"
  sed -n '/^  \],/,$p' "$BASE/bk2/manifest.json"; } >"$BASE/window/manifest.json"
use_var "$BASE/fresh0"
out=$(ctl restore "$BASE/window" 2>&1)
check_eq "restore of the window backup" 0 "$?"
check "... ingest numbers new files above the aggregate's" grep -q "ingest numbers new files from 7 on" <<<"$out"
check "up after the restore" ctl up
st=0
for f in "$LOAD" "$FIX/participant_2017-04.csv" "$FIX/participant_2017-03_fix.csv"; do
	ctl submit --agency bhxh --wait --timeout 120 --format json "$f" >"$BASE/fresh0.r.json" || st=1
	[ "$(json_field "$BASE/fresh0.r.json" status)" = applied ] || st=1
done
check "the files after ingest's copy sent again: each applied (no number names two files)" test $st -eq 0
reports "$BASE/fresh0"
check_files_eq "coverage equals the reference run" "$BASE/ref.cov" "$BASE/fresh0.cov"
check_files_eq "findings equal the reference run" "$BASE/ref.find" "$BASE/fresh0.find"
ctl down >/dev/null

VAR=$BASE
finish
