#!/usr/bin/env bash
# test_ioerr.sh - writes and fsyncs fail at chosen points in each worker in
# turn (the LD_PRELOAD shim of docs/FAULTS.md, on the worker's database and
# files), while files and finding changes go through: each failing step is
# rolled back and tried again, nothing is lost, nothing is applied twice, the
# figures, receipts and notices equal an undisturbed run, and no worker ends
# in a crash loop.
ALLOW_RESTARTS=1
. "$(dirname "$0")/lib.sh"
SHIM=$BIN/tests/libfaultfs.so
# the shim is preloaded ahead of AddressSanitizer's runtime in the sanitizer build
case "$BIN" in *asan*) export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 ;; esac
DATA=$VAR/data
mkdir -p "$DATA" "$VAR/cfg"
cp "$ROOT"/config/*.yaml "$VAR/cfg/"
sed -i 's/^\(  batch_rows:\) .*/\1 200/' "$VAR/cfg/bhxh.yaml"
sed -i -e 's/^\(  group_wait:\) .*/\1 0s/' -e 's/^\(  group_interval:\) .*/\1 0s/' \
	-e 's/^\(  initial:\) .*/\1 200ms/' -e 's/^\(  max:\) .*/\1 2s/' "$VAR/cfg/alerting.yaml"
CONFIG=$VAR/cfg/bhxh.yaml
"$BIN/bhxh-gen" participant --rows 30000 --period 2017-03 --seed 21 >"$DATA/participant_2017-03.csv"
"$BIN/bhxh-gen" participant --rows 30000 --period 2017-04 --seed 22 >"$DATA/participant_2017-04.csv"
cp "$FIX/labor_force_2017.csv" "$DATA/"
BASE=$VAR

# load - the three files, waiting for each receipt, and 20 finding changes
# straight to the alert worker; prints the receipts' counts
load() {
	local i
	ctl submit --agency sldtbxh --wait --format json "$DATA/labor_force_2017.csv" | grep '"rows_\|"status"'
	ctl submit --agency bhxh --wait --format json "$DATA/participant_2017-03.csv" | grep '"rows_\|"status"'
	ctl submit --agency bhxh --wait --format json "$DATA/participant_2017-04.csv" | grep '"rows_\|"status"'
	for i in $(seq 1 20); do
		# sent again until acknowledged, as the aggregate's outbox would (the same change is stored once)
		wait_for 60 "$BIN/tests/zforge" "ipc://$VAR/run/alert.sock" events --seq "$i" --kind arrears \
			--subject "DV$((1000 + i))" --org-unit 058 --period 2017-03 --severity major --state new \
			--name "Đơn vị $i" --wait-acks --ack-timeout-ms 2000 >/dev/null 2>&1 || not_ok "event $i acknowledged"
	done
}

# notices - the changes told in the notices written, sorted: receiver, kind,
# subject, state (new, escalated, resolved); a digest also lists what is still
# open ("firing"), which depends on how changes were grouped, so not those
notices() {
	python3 - "$VAR/notices" <<'PY' | sort
import json, os, sys
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith(".json"):
            n = json.load(open(os.path.join(root, f)))
            for a in n.get("alerts", []):
                if a["status"] != "firing":  # a change told, not the reminder of what is open
                    print(n["receiver"], a["kind"], a["subject"], a["status"])
PY
}
delivered() { [ "$(notices | wc -l)" -ge "$(wc -l <"$BASE/calm.notices")" ]; }

VAR=$BASE/calm
mkdir -p "$VAR"
ctl up >/dev/null
load >"$BASE/calm.receipts"
ctl report coverage --format csv >"$BASE/calm.coverage"
wait_for 30 bash -c "[ \$(find '$VAR/notices' -name '*.json' | wc -l) -ge 2 ]"
notices >"$BASE/calm.notices"
check "calm run: 20 changes notified to at least two receivers ($(wc -l <"$BASE/calm.notices") items)" \
	test "$(wc -l <"$BASE/calm.notices")" -ge 40
ctl down >/dev/null

for w in ingest validate aggregate alert; do
	t0=$SECONDS
	VAR=$BASE/$w
	mkdir -p "$VAR"
	: >"$VAR/faults"
	LD_PRELOAD=$SHIM BHXH_FAULTS_FILE=$VAR/faults ctl up >/dev/null || not_ok "$w: pipeline starts with the shim"
	cat >"$VAR/faults" <<RULES
prog=bhxh-$w op=sync errno=EIO path=/db/ every=3 count=8
prog=bhxh-$w op=pwrite errno=EIO path=/db/ after=20 every=25 count=6
prog=bhxh-$w op=anywrite,open,rename errno=ENOSPC path=$VAR/ after=5 every=4 count=6
RULES
	load >"$VAR.receipts"
	check "$w: writes failed in it ($(grep -c 'faultfs:' "$VAR/log/$w.log") injected)" \
		test "$(grep -c 'faultfs:' "$VAR/log/$w.log")" -ge 10
	check_files_eq "$w: every receipt equals the undisturbed run's" "$BASE/calm.receipts" "$VAR.receipts"
	ctl report coverage --format csv >"$VAR.coverage"
	check_files_eq "$w: figures equal the undisturbed run's" "$BASE/calm.coverage" "$VAR.coverage"
	check "$w: every notice item is delivered" wait_for 120 delivered
	notices >"$VAR.notices"
	check_files_eq "$w: the same notice items as the undisturbed run" "$BASE/calm.notices" "$VAR.notices"
	check_eq "$w: each file applied once" "3|60008" \
		"$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*), sum(rows_applied) FROM files WHERE outcome = 'applied'")"
	restarts=$(sed -n "s/.*{\"name\":\"$w\",[^}]*\"restarts\":\([0-9]*\).*/\1/p" "$VAR/run/supervisor.status")
	check "$w: no crash loop (${restarts:-?} restarts)" test "${restarts:-99}" -le 1
	for db in "$VAR"/db/*.db; do
		[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || not_ok "$w: $(basename "$db") intact"
	done
	ok "$w: every database passes integrity_check"
	echo "# $w: $(grep -c 'faultfs:' "$VAR/log/$w.log") failures injected, $((SECONDS - t0)) s"
	ctl down >/dev/null
done
VAR=$BASE
finish
