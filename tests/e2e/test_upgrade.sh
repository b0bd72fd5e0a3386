#!/usr/bin/env bash
# test_upgrade.sh - the upgrade procedure of docs/OPERATIONS.md from the last
# release: v0.1 is built from the tag into a temp dir, its pipeline takes the
# fixture files of test_coverage.sh, it is stopped, and this build is started
# on the same var dir (its migrations run): the reports are those of v0.1, a
# new file is applied, receipts are written, a receipt the old aggregate had
# not written yet (receipt_written = 0) is sent on to ingest and written, and
# a file left in flight by v0.1 (old-format messages in its outboxes) ends
# with its receipt.
. "$(dirname "$0")/lib.sh"
TAG=${UPGRADE_FROM:-v0.1}

if ! git -C "$ROOT" rev-parse -q --verify "$TAG^{commit}" >/dev/null 2>&1; then
	echo "# skipped: no tag $TAG in this clone (a shallow clone?): git fetch --tags"
	ok "skipped: no tag $TAG"
	finish
fi
OLD=$VAR/old
mkdir -p "$OLD"
git -C "$ROOT" archive "$TAG" | tar -x -C "$OLD"
t0=$SECONDS
make -C "$OLD" -j"$(nproc)" build >"$VAR/old-build.log" 2>&1
check "$TAG builds from the tag ($((SECONDS - t0)) s)" test -x "$OLD/bin/bhxhctl"
octl() { "$OLD/bin/bhxhctl" --config "$OLD/config/bhxh.yaml" --var-dir "$VAR/v" "$@"; }
nctl() { "$CTL" --config "$CONFIG" --var-dir "$VAR/v" "$@"; }
has_receipt() { ls "$VAR"/v/spool/outbox/"$1"/*-"$2".json >/dev/null 2>&1; }
reports() { $1 report coverage --format csv >"$2.cov" && $1 report findings --format csv >"$2.find"; }
uv() { sqlite3 "${2:-$VAR/v}/db/$1.db" 'PRAGMA user_version'; }
versions() { local d=${1:-$VAR/v}; echo "$(uv ingest "$d") $(uv validate "$d") $(uv aggregate "$d") $(uv alert "$d")"; }
taken() { [ "$(sqlite3 "$VAR/v/db/ingest.db" 'PRAGMA busy_timeout=2000; SELECT count(*) FROM files' | tail -1)" -ge "$1" ]; }

# the reference: this build alone
ctl up >/dev/null
for f in labor_force_2017 target_2017; do ctl submit --agency sldtbxh --wait "$FIX/$f.csv" >/dev/null; done
for f in participant_2017-03 participant_2017-04 participant_2017-03_fix; do ctl submit --agency bhxh --wait "$FIX/$f.csv" >/dev/null; done
reports ctl "$VAR/ref"
ctl down >/dev/null
new_versions=$(versions "$VAR")

# v0.1
mkdir -p "$VAR/v"
check "$TAG: pipeline starts" octl up
octl submit --agency sldtbxh --wait "$FIX/labor_force_2017.csv" >/dev/null &&
    octl submit --agency sldtbxh --wait "$FIX/target_2017.csv" >/dev/null &&
    octl submit --agency bhxh --wait "$FIX/participant_2017-03.csv" >/dev/null &&
    octl submit --agency bhxh --wait "$FIX/participant_2017-04.csv" >/dev/null
check "$TAG: the fixture files applied" test $? -eq 0
reports octl "$VAR/old"
check_files_eq "$TAG: coverage as test_coverage.sh expects" "$FIX/coverage_expected_1.csv" "$VAR/old.cov"
octl down >/dev/null
old_versions=$(versions)
# a receipt the old aggregate had not written yet
rm -f "$VAR"/v/spool/outbox/bhxh/*-participant_2017-04.csv.*
sqlite3 "$VAR/v/db/aggregate.db" "UPDATE files SET receipt_written = 0 WHERE name = 'participant_2017-04.csv'"

# the participants as the old table holds them (this build keeps them in
# compact form, without citizen IDs, and shows them through a view)
prows() { sqlite3 "$VAR/v/db/aggregate.db" "SELECT agency, file_id, period, insurance_no, org_unit, scheme,
	coalesce(unemployment, 0), unit_code, agent_code FROM participant ORDER BY agency, period, insurance_no, unit_code"; }
prows >"$VAR/old.participants"
old_cid=$(sqlite3 "$VAR/v/db/aggregate.db" "SELECT count(citizen_id) FROM participant")

# this build on the same var dir
check "this build starts on $TAG's var dir" nctl up
prows >"$VAR/new.participants"
check "the old var dir held participants, citizen IDs among them ($(wc -l <"$VAR/old.participants") rows, $old_cid IDs)" \
	test "$(wc -l <"$VAR/old.participants")" -gt 5 -a "$old_cid" -gt 0
check_files_eq "every participant row is carried to the compact table, as it was" "$VAR/old.participants" "$VAR/new.participants"
check_eq "no citizen ID is kept" "0 0" "$(sqlite3 "$VAR/v/db/aggregate.db" "SELECT count(*) FROM sqlite_master
	WHERE name = 'participant' AND type = 'table'") $(sqlite3 "$VAR/v/db/aggregate.db" "SELECT count(*) FROM
	pragma_table_info('person') WHERE name LIKE '%citizen%'")"
check_eq "schema versions (ingest validate aggregate alert) are this build's after the migrations (from $old_versions)" \
    "$new_versions" "$(versions)"
reports nctl "$VAR/new"
check_files_eq "coverage equals $TAG's" "$VAR/old.cov" "$VAR/new.cov"
check_files_eq "findings equal $TAG's" "$VAR/old.find" "$VAR/new.find"
check "the receipt $TAG had not written is written by ingest" wait_for 30 has_receipt bhxh participant_2017-04.csv
check "a new file is applied, with its receipt" nctl submit --agency bhxh --wait "$FIX/participant_2017-03_fix.csv"
reports nctl "$VAR/new2"
check_files_eq "coverage equals the reference run" "$VAR/ref.cov" "$VAR/new2.cov"
check_files_eq "findings equal the reference run" "$VAR/ref.find" "$VAR/new2.find"
nctl down >/dev/null

# a file left in flight by v0.1: its messages wait in the old outboxes
mkdir -p "$VAR/v2"
octl2() { "$OLD/bin/bhxhctl" --config "$OLD/config/bhxh.yaml" --var-dir "$VAR/v2" "$@"; }
nctl2() { "$CTL" --config "$CONFIG" --var-dir "$VAR/v2" "$@"; }
octl2 up >/dev/null
octl2 submit --agency sldtbxh --wait "$FIX/labor_force_2017.csv" >/dev/null
octl2 submit --agency sldtbxh --wait "$FIX/target_2017.csv" >/dev/null
octl2 submit --agency bhxh "$FIX/participant_2017-03.csv" >/dev/null
octl2 submit --agency bhxh "$FIX/participant_2017-04.csv" >/dev/null
octl2 down >/dev/null
check "this build starts on a var dir $TAG left with files in flight" nctl2 up
wait_for 60 bash -c "ls '$VAR'/v2/spool/outbox/bhxh/*-participant_2017-03.csv.json && ls '$VAR'/v2/spool/outbox/bhxh/*-participant_2017-04.csv.json" >/dev/null 2>&1
check "... both receipts are written" test $? -eq 0
check "... a new file is applied" nctl2 submit --agency bhxh --wait "$FIX/participant_2017-03_fix.csv"
nctl2 report coverage --format csv >"$VAR/v2.cov"
check_files_eq "... coverage equals the reference run" "$VAR/ref.cov" "$VAR/v2.cov"
nctl2 down >/dev/null
finish
