#!/usr/bin/env bash
# test_early.sh - a participant file's batches are checked and loaded by the
# aggregate as they arrive ("early"), and at the file's end only the sort and
# the write remain; whenever that state is not whole and current the file is
# applied from its staging instead. Either way the outcome is the same:
#
# 1. reference: a multi-batch file with rejected rows spread through it
#    (bad numbers, a rule, repeated keys near and far) is taken early; its
#    receipt lists the errors in line order, each duplicate naming the first
#    line of its key, exactly as worked out from the file itself;
# 2. SIGHUP of the aggregate while the file's batches arrive: applied from
#    staging, same receipt, coverage and findings;
# 3. SIGKILL of the aggregate mid-file (the supervisor restarts it): applied
#    from staging, nothing lost or counted twice, same receipt and reports;
# 4. two validators, batches arriving out of order: still taken early, same
#    receipt (errors in line order) and reports;
# 5. a dry run of the file lists the same errors and leaves not a row of it
#    in any table (the table of codes included), no figure changed;
# 6. two snapshots of one period back to back, the second's batches staged
#    while the first is still being taken early (and before it is whole):
#    the first is taken early, the second applied from staging, the later
#    snapshot wins.
#
# Mid-file moments are made certain, not waited for by luck: a validator (or
# the aggregate) is stopped with SIGSTOP so that the file cannot end while the
# disturbance happens, and continued after.
ALLOW_RESTARTS=1 # one run kills the aggregate on purpose; each run checks its own restarts
. "$(dirname "$0")/lib.sh"
BASE=$VAR
ROWS=${EARLY_TEST_ROWS:-30000}
NAME=participant_2017-05.csv
NAME2=participant_2017-05_fix.csv

# Configurations: small batches (a file of ROWS rows is ~ROWS/20 messages),
# one validator and two.
sed -e 's/^\(  batch_rows:\) *[0-9]*/\1 20/' -e "s|^schemas: .*|schemas: $ROOT/config/schemas.yaml|" \
	"$ROOT/tests/e2e/config/small-batches.yaml" >"$BASE/one.yaml"
sed -e 's/^\(  instances:\) *1\b/\1 2/' "$BASE/one.yaml" >"$BASE/two.yaml"
check "the one-validator configuration is valid, with batches of 20 rows" bash -c \
	"'$BIN/bhxh-validate' --config '$BASE/one.yaml' --check-config >/dev/null &&
	 grep -q '^  batch_rows: 20 ' '$BASE/one.yaml' && grep -q '^  instances: 1 ' '$BASE/one.yaml'"
check "the two-validator configuration is valid" bash -c \
	"'$BIN/bhxh-validate' --config '$BASE/two.yaml' --check-config >/dev/null && grep -q '^  instances: 2 ' '$BASE/two.yaml'"

# The big file: rejected rows spread through it - a bad insurance number
# every 97th line, a voluntary participant with BHTN every 89th (its number
# comes back valid 450 lines later: not a duplicate, its first row was
# rejected), the same row twice every 83rd, and every 1009th a row repeated
# from 613 lines before (another batch).
"$BIN/bhxh-gen" participant --rows "$ROWS" --period 2017-05 --seed 11 |
	awk 'NR > 1 { L[NR % 1000] = $0 }
	     NR > 1 && NR % 97 == 0 { print "12345,058,2017-05,Bắt buộc,x,DV0001" }
	     NR > 1 && NR % 89 == 0 { printf "0999999%03d,060,2017-05,Tự nguyện,x,\n", NR % 1000 }
	     { print }
	     NR > 1 && NR % 83 == 0 { print }
	     NR > 1000 && NR % 1009 == 0 { print L[(NR - 613) % 1000] }
	     NR > 500 && (NR - 450) % 89 == 0 { printf "0999999%03d,060,2017-05,Tự nguyện,,\n", (NR - 450) % 1000 }' \
	>"$BASE/$NAME"
# The second snapshot of May: another province's worth, a few bad rows.
"$BIN/bhxh-gen" participant --rows 3000 --period 2017-05 --seed 5 |
	awk '{ print } NR > 1 && NR % 101 == 0 { print; print "123,061,2017-05,Bắt buộc,,DV0001" }' >"$BASE/$NAME2"
"$BIN/bhxh-gen" labor_force --year 2017 --value 50000 >"$BASE/labor_force_2017.csv"

# expect FILE OUT - what the aggregate must make of FILE, worked out here from
# its lines: OUT.errors ("LINE CODE" in line order), OUT.dups ("LINE FIRST"),
# OUT.rows (the valid rows as the participant view shows them, sorted), and
# on stdout "rows_read applied rejected duplicates".
expect() {
	awk -F, -v errs="$2.errors" -v dups="$2.dups" -v rows="$2.rows.tmp" '
	NR == 1 { next }
	{ n++ }
	length($1) != 10 || $1 !~ /^[0-9]+$/ { print NR, "E_INSURANCE_NO_FORMAT" >errs; r++; next }
	$4 == "Tự nguyện" && $5 == "x" { print NR, "E_RULE_VOLUNTARY_BHTN" >errs; r++; next }
	{
		k = $1 FS $3 FS $6
		if (k in first) { print NR, "E_DUPLICATE_KEY" >errs; print NR, first[k] >dups; r++; d++; next }
		first[k] = NR
		print $1 "|" $2 "|" ($4 == "Bắt buộc" ? "compulsory" : "voluntary") "|" ($5 == "x" ? 1 : 0) "|" $6 >rows
	}
	END { print n, n - r, r, d }' "$1"
	touch "$2.dups" "$2.errors"
	LC_ALL=C sort "$2.rows.tmp" >"$2.rows"
	rm -f "$2.rows.tmp"
}
read -r X_READ X_APPLIED X_REJECTED X_DUPS < <(expect "$BASE/$NAME" "$BASE/x1")
read -r X2_READ X2_APPLIED X2_REJECTED X2_DUPS < <(expect "$BASE/$NAME2" "$BASE/x2")
check "the big file has rejected rows all through it and duplicates far apart" bash -c \
	"[ $X_REJECTED -gt $((ROWS / 50)) ] && [ $X_DUPS -gt $((ROWS / 100)) ] && [ \$(head -1 '$BASE/x1.errors' | cut -d' ' -f1) -lt 200 ] &&
	 [ \$(tail -1 '$BASE/x1.errors' | cut -d' ' -f1) -gt $((X_READ - 200)) ] &&
	 awk '\$1 - \$2 > 500 { far++ } END { exit !(far > $((ROWS / 5000))) }' '$BASE/x1.dups'"

# ---- helpers
q() { sqlite3 -cmd ".timeout 10000" "$VAR/db/aggregate.db" "$1" 2>/dev/null; }
at_least() { local v; v=$("${@:2}"); [ -n "$v" ] && [ "$v" -ge "$1" ] 2>/dev/null; }
staged() { q "SELECT count(*) FROM stage_batch"; }
# staged_gap - some batch is staged while one before it (lower seq) is not
staged_gap() { [ "$(q "SELECT count(*) < max(seq) + 1 FROM stage_batch")" = 1 ]; }
pid_of() { ctl status --json | grep "{\"name\":\"$1\"," | sed -n 's/^ *{"name":"[^"]*","pid":\([0-9]*\),.*/\1/p'; }
msgs_in() { sed -n 's/.*"msgs_in":\([0-9]*\).*/\1/p' "$VAR/run/$1.status" 2>/dev/null; }
took_batches() { [ "$(msgs_in "$1")" -gt 10 ] 2>/dev/null; }
# applied_line NAME - the aggregate's log line for the file applied
applied_line() { grep -F "bhxh/$1: applied " "$VAR/log/aggregate.log" | tail -1; }
taken_early() { applied_line "$1" | grep -q "ms (checked as its batches arrived; [0-9]* ms sorting and writing)$"; }
from_staging() { applied_line "$1" | grep -q " ms ([0-9]* ms sorting and writing)$"; }
restarts() { grep -c 'restarting' "$VAR/log/supervisor.log" 2>/dev/null; }
# real_receipt NAME - the receipt of the real (not dry) submission of NAME (one a run)
real_receipt() {
	local f
	for f in "$VAR"/spool/outbox/bhxh/*-"$1".json; do
		[ -f "$f" ] && ! grep -q '^  "dry_run": true,' "$f" && { echo "$f"; return; }
	done
}
has_real_receipt() { [ -n "$(real_receipt "$1")" ]; }
# receipt_errors JSON - "LINE CODE" for each error; receipt_dups JSON - "LINE FIRST"
receipt_errors() { sed -n 's/^    {"line": \([0-9]*\), .*"code": "\([A-Z_]*\)".*/\1 \2/p' "$1"; }
receipt_dups() {
	sed -n 's/^    {"line": \([0-9]*\), .*"code": "E_DUPLICATE_KEY", .*"message_en": "same key as line \([0-9]*\);.*/\1 \2/p' "$1"
}
in_line_order() { cut -d' ' -f1 "$1" | sort -n -c 2>/dev/null; }

# Processes stopped with SIGSTOP are continued whatever happens.
STOPPED=
stop_proc() { kill -STOP "$1" && STOPPED="$STOPPED $1"; }
cont_proc() { kill -CONT "$1"; STOPPED=${STOPPED/ $1/}; }
trap 'for p in $STOPPED; do kill -CONT "$p" 2>/dev/null; done' EXIT

# start NAME CONFIG - a fresh pipeline in BASE/NAME with the labour force and targets
start() {
	VAR=$BASE/$1
	CONFIG=$2
	mkdir -p "$VAR"
	check "$1: pipeline starts" ctl up
	check "$1: labour force and targets applied" bash -c \
		"'$CTL' --config '$CONFIG' --var-dir '$VAR' submit --agency sldtbxh --wait '$BASE/labor_force_2017.csv' >/dev/null &&
		 '$CTL' --config '$CONFIG' --var-dir '$VAR' submit --agency sldtbxh --wait '$FIX/target_2017.csv' >/dev/null"
}

# collect NAME - the big file's receipt (without its time of arrival, which is
# the run's own), the reports and the counts into BASE/NAME.*
collect() {
	local r
	r=$(real_receipt "$NAME")
	grep -v '^  "received_at": ' "$r" >"$BASE/$1.json"
	grep -v '^Nhận lúc / Received: ' "${r%.json}.txt" >"$BASE/$1.txt"
	cp "${r%.json}.errors.csv" "$BASE/$1.errors.csv"
	ctl report coverage --format csv >"$BASE/$1.coverage.csv"
	ctl report findings --format csv >"$BASE/$1.findings.csv"
	q "SELECT count(*) FROM participant" >"$BASE/$1.participants"
	q "SELECT outcome, count(*) FROM files GROUP BY outcome ORDER BY outcome" >"$BASE/$1.files"
}

# same_as_reference NAME - receipt, reports and counts equal the reference's
same_as_reference() {
	check_files_eq "$1: the receipt (JSON) equals the reference's" "$BASE/ref.json" "$BASE/$1.json"
	check_files_eq "$1: the receipt (text) equals the reference's" "$BASE/ref.txt" "$BASE/$1.txt"
	check "$1: the CSV of rejected rows equals the reference's" cmp -s "$BASE/ref.errors.csv" "$BASE/$1.errors.csv"
	check_files_eq "$1: the coverage report equals the reference's" "$BASE/ref.coverage.csv" "$BASE/$1.coverage.csv"
	check_files_eq "$1: the findings report equals the reference's" "$BASE/ref.findings.csv" "$BASE/$1.findings.csv"
	check_files_eq "$1: as many participants as in the reference" "$BASE/ref.participants" "$BASE/$1.participants"
	check_files_eq "$1: each file ended once, as in the reference" "$BASE/ref.files" "$BASE/$1.files"
}

# ---- 1. the reference: taken early
start ref "$BASE/one.yaml"
check "ref: the big file is applied" ctl submit --agency bhxh --wait "$BASE/$NAME" >/dev/null
check "ref: it was checked as its batches arrived (taken early)" taken_early "$NAME"
collect ref
R=$(real_receipt "$NAME")
check_eq "ref: receipt counts as worked out from the file" \
	"$X_READ $X_APPLIED $X_REJECTED $X_DUPS" \
	"$(json_field "$R" rows_read) $(json_field "$R" rows_applied) $(json_field "$R" rows_rejected) $(json_field "$R" rows_duplicate)"
receipt_errors "$R" >"$BASE/ref.errors"
receipt_dups "$R" >"$BASE/ref.dups"
check "ref: the receipt's errors are in line order" in_line_order "$BASE/ref.errors"
check_files_eq "ref: every rejected line has its error, and no other" "$BASE/x1.errors" "$BASE/ref.errors"
check_files_eq "ref: each duplicate names the first line of its key" "$BASE/x1.dups" "$BASE/ref.dups"
q "SELECT insurance_no || '|' || org_unit || '|' || scheme || '|' || unemployment || '|' || unit_code FROM participant
   WHERE period = '2017-05'" | LC_ALL=C sort >"$BASE/ref.rows"
check_files_eq "ref: the participants are exactly the file's first valid row of each key" "$BASE/x1.rows" "$BASE/ref.rows"
check_eq "ref: participants = rows applied" "$X_APPLIED" "$(cat "$BASE/ref.participants")"
check "ref: findings about coverage are reported" grep -q '^behind_target,' "$BASE/ref.findings.csv"
check_eq "ref: no worker restarted" 0 "$(restarts)"
ctl down >/dev/null

# ---- 2. SIGHUP while the batches arrive: applied from staging
start hup "$BASE/one.yaml"
apid=$(pid_of aggregate)
vpid=$(pid_of validate)
ctl submit --agency bhxh "$BASE/$NAME" >/dev/null
if wait_for 60 at_least 3 staged; then
	stop_proc "$vpid" # no batch gets through now: the file cannot end
	kill -HUP "$apid"
	check "hup: the aggregate reloads" wait_for 30 grep -q 'reloaded .*: 0 keys changed' "$VAR/log/aggregate.log"
	check_eq "hup: ...in the middle of the file" "" "$(q "SELECT name FROM files WHERE name = '$NAME'")"
	cont_proc "$vpid"
else
	not_ok "hup: the file's batches never reached the aggregate"
fi
check "hup: the file is applied" wait_for 120 has_real_receipt "$NAME"
check "hup: applied from its staging, not taken early" from_staging "$NAME"
check_eq "hup: the aggregate was not restarted" "$apid" "$(pid_of aggregate)"
collect hup
same_as_reference hup
check_eq "hup: no worker restarted" 0 "$(restarts)"
ctl down >/dev/null

# ---- 3. SIGKILL of the aggregate mid-file: applied from staging after the restart
restarted() {
	local p
	p=$(worker_pid aggregate)
	[ -n "$p" ] && [ "$p" != "$1" ] && kill -0 "$p" 2>/dev/null && grep -q '"state":"ready"' "$VAR/run/aggregate.status"
}
start kill "$BASE/one.yaml"
apid=$(pid_of aggregate)
vpid=$(pid_of validate)
ctl submit --agency bhxh "$BASE/$NAME" >/dev/null
if wait_for 60 at_least 3 staged; then
	stop_proc "$vpid"
	kill -KILL "$apid"
	check "kill: the supervisor restarts the aggregate" wait_for 30 restarted "$apid"
	check_eq "kill: ...in the middle of the file" "" "$(q "SELECT name FROM files WHERE name = '$NAME'")"
	check "kill: ...with part of the file staged" at_least 3 staged
	cont_proc "$vpid"
else
	not_ok "kill: the file's batches never reached the aggregate"
fi
check "kill: the file is applied" wait_for 120 has_real_receipt "$NAME"
check "kill: applied from its staging, not taken early" from_staging "$NAME"
R=$(real_receipt "$NAME")
check_eq "kill: rows applied + rejected = rows read" "$X_READ" \
	"$(($(json_field "$R" rows_applied) + $(json_field "$R" rows_rejected)))"
collect kill
same_as_reference kill
check_eq "kill: the aggregate was restarted once, no other worker" 1 "$(restarts)"
check "kill: ...and it was the aggregate" grep -q 'aggregate exited .*restarting' "$VAR/log/supervisor.log"
ctl down >/dev/null

# ---- 4. two validators: batches out of order, still taken early
start fanout "$BASE/two.yaml"
v1=$(pid_of validate-1)
ctl submit --agency bhxh "$BASE/$NAME" >/dev/null
if wait_for 60 at_least 3 staged; then
	# validate-1 holds the batches dealt to it; validate-2 hands on later ones
	stop_proc "$v1"
	check "fanout: a later batch is staged before an earlier one" wait_for 30 staged_gap
	cont_proc "$v1"
else
	not_ok "fanout: the file's batches never reached the aggregate"
fi
check "fanout: the file is applied" wait_for 120 has_real_receipt "$NAME"
check "fanout: taken early all the same" taken_early "$NAME"
check "fanout: validate-1 took batches" took_batches validate-1
check "fanout: validate-2 took batches" took_batches validate-2
collect fanout
receipt_errors "$(real_receipt "$NAME")" >"$BASE/fanout.errors"
check "fanout: the receipt's errors are in line order" in_line_order "$BASE/fanout.errors"
same_as_reference fanout
check_eq "fanout: no worker restarted" 0 "$(restarts)"
ctl down >/dev/null

# ---- 5. a dry run, then 6. two snapshots back to back
start dry "$BASE/two.yaml"
check "dry: March applied" ctl submit --agency bhxh --wait "$FIX/participant_2017-03.csv" >/dev/null
before_count=$(q "SELECT count(*) FROM participant")
march=$(q "SELECT insurance_no || '|' || org_unit || '|' || scheme || '|' || unemployment || '|' || unit_code
           FROM participant ORDER BY 1")
ctl report coverage --format csv >"$BASE/dry.before.csv"
ctl report findings --format csv >"$BASE/dry.before-findings.csv"
q "SELECT id, code FROM code ORDER BY id" >"$BASE/dry.before-codes"
apid=$(pid_of aggregate)
ctl submit --dry-run --agency bhxh --format json "$BASE/$NAME" >"$BASE/dry.json"
check_eq "dry: status checked, would be applied, the reference's counts" \
	"checked applied $X_READ $X_APPLIED $X_REJECTED $X_DUPS" \
	"$(json_field "$BASE/dry.json" status) $(json_field "$BASE/dry.json" would_be) $(json_field "$BASE/dry.json" rows_read) $(json_field "$BASE/dry.json" rows_applied) $(json_field "$BASE/dry.json" rows_rejected) $(json_field "$BASE/dry.json" rows_duplicate)"
receipt_errors "$BASE/dry.json" >"$BASE/dry.errors"
check_files_eq "dry: it lists the reference's errors, in line order" "$BASE/ref.errors" "$BASE/dry.errors"
sed -n '/^  "errors": \[/,$p' "$BASE/ref.json" >"$BASE/ref.errors-json"
sed -n '/^  "errors": \[/,$p' "$BASE/dry.json" >"$BASE/dry.errors-json"
check_files_eq "dry: ...word for word" "$BASE/ref.errors-json" "$BASE/dry.errors-json"
check "dry: the aggregate says it applied nothing" grep -q "bhxh/$NAME: checked (dry run): would apply $X_APPLIED rows, reject $X_REJECTED ($X_DUPS duplicates); nothing applied" \
	"$VAR/log/aggregate.log"
check_eq "dry: the participants are unchanged" "$before_count" "$(q "SELECT count(*) FROM participant")"
check_eq "dry: ...none of May" 0 "$(q "SELECT count(*) FROM participant WHERE period = '2017-05'")"
# the numbers given to codes (units, districts) are part of the database as
# well: a dry run leaves not a row of it in any table (docs/INGEST.md)
q "SELECT id, code FROM code ORDER BY id" >"$BASE/dry.after-codes"
check_files_eq "dry: no code of it is left in the table of codes" "$BASE/dry.before-codes" "$BASE/dry.after-codes"
ctl report coverage --format csv >"$BASE/dry.after.csv"
ctl report findings --format csv >"$BASE/dry.after-findings.csv"
check_files_eq "dry: the coverage report is unchanged" "$BASE/dry.before.csv" "$BASE/dry.after.csv"
check_files_eq "dry: the findings report is unchanged" "$BASE/dry.before-findings.csv" "$BASE/dry.after-findings.csv"
check_eq "dry: the aggregate was not restarted meanwhile" "$apid" "$(pid_of aggregate)"

# 6. The big file, then the second snapshot of May right behind it. The
# aggregate is held (SIGSTOP) once it has begun taking the big file, so that
# ingest and the validators take both files; then validate-1 is held with
# part of the big file, and the aggregate let go: validate-2 hands on batches
# of the second file while the big one cannot be whole yet.
v1=$(pid_of validate-1)
ctl submit --agency bhxh "$BASE/$NAME" >/dev/null
if wait_for 60 at_least 3 staged; then
	f1=$(q "SELECT min(file_no) FROM stage_batch")
	stop_proc "$apid"
	ctl submit --agency bhxh "$BASE/$NAME2" >/dev/null
	check "b2b: ingest sends the second file right behind the first" wait_for 60 bash -c \
		"grep -q 'bhxh/$NAME2: [0-9]* rows sent' '$VAR/log/ingest.log' && grep -q '\"outbox\":0,' '$VAR/run/ingest.status'"
	stop_proc "$v1"
	cont_proc "$apid"
	check "b2b: a batch of the second file is staged while the first is still being taken" wait_for 60 bash -c \
		"[ \"\$(sqlite3 -cmd '.timeout 10000' '$VAR/db/aggregate.db' 'SELECT count(*) FROM stage_batch WHERE file_no > $f1')\" -gt 0 ]"
	check_eq "b2b: ...the first not ended yet" "" "$(q "SELECT outcome FROM files WHERE file_no = $f1")"
	cont_proc "$v1"
else
	not_ok "b2b: the big file's batches never reached the aggregate"
fi
check "b2b: both files are applied" wait_for 120 bash -c \
	"[ \"\$(sqlite3 -cmd '.timeout 10000' '$VAR/db/aggregate.db' \"SELECT count(*) FROM files WHERE name IN ('$NAME', '$NAME2') AND outcome = 'applied'\")\" = 2 ]"
check "b2b: ...and have their receipts" wait_for 60 bash -c \
	"[ \$(grep -L '\"dry_run\": true' '$VAR'/spool/outbox/bhxh/*-$NAME.json | wc -l) -eq 1 ] && ls '$VAR'/spool/outbox/bhxh/*-$NAME2.json >/dev/null 2>&1"
check "b2b: the first was taken early" taken_early "$NAME"
check "b2b: the second, staged while the first was being taken, was applied from staging" from_staging "$NAME2"
check_eq "b2b: in the order they were sent" "$NAME $NAME2" \
	"$(q "SELECT name FROM files WHERE name IN ('$NAME', '$NAME2') AND outcome = 'applied' ORDER BY file_no" | tr '\n' ' ' | sed 's/ $//')"
R=$(real_receipt "$NAME")
grep -v '^  "received_at": ' "$R" >"$BASE/b2b.json"
check_files_eq "b2b: the first file's receipt equals the reference's" "$BASE/ref.json" "$BASE/b2b.json"
R2=$(real_receipt "$NAME2")
check_eq "b2b: the second's receipt counts as worked out from it" "$X2_READ $X2_APPLIED $X2_REJECTED $X2_DUPS" \
	"$(json_field "$R2" rows_read) $(json_field "$R2" rows_applied) $(json_field "$R2" rows_rejected) $(json_field "$R2" rows_duplicate)"
receipt_errors "$R2" >"$BASE/b2b.errors2"
check_files_eq "b2b: the second's errors, in line order" "$BASE/x2.errors" "$BASE/b2b.errors2"
q "SELECT insurance_no || '|' || org_unit || '|' || scheme || '|' || unemployment || '|' || unit_code FROM participant
   WHERE period = '2017-05'" | LC_ALL=C sort >"$BASE/b2b.rows"
check_files_eq "b2b: the later snapshot wins: May is exactly the second file's rows" "$BASE/x2.rows" "$BASE/b2b.rows"
check_eq "b2b: March is untouched" "$march" \
	"$(q "SELECT insurance_no || '|' || org_unit || '|' || scheme || '|' || unemployment || '|' || unit_code
	      FROM participant WHERE period <> '2017-05' ORDER BY 1")"
check_eq "b2b: the province's May coverage counts the second file's people" \
	"$(cut -d'|' -f1 "$BASE/x2.rows" | sort -u | wc -l)" \
	"$(ctl report coverage --format csv | grep '^06,2017-05,' | cut -d, -f4)"
check_eq "dry, b2b: no worker restarted" 0 "$(restarts)"
ctl down >/dev/null

VAR=$BASE
finish
