#!/usr/bin/env bash
# test_chaos.sh - random SIGKILLs of every worker and of the supervisor while
# a multi-month, multi-type load goes through the pipeline (two validators,
# small batches, so every file spans many messages). The reports, findings,
# receipts and the multiset of notices (receiver, kind, subject, period,
# state) must equal those of an undisturbed run of the same files; the test
# prints kills, files, rows and records lost.
#
#   CHAOS_SEED (default 1), CHAOS_MONTHS (6), CHAOS_PARTICIPANTS (per month, 50000),
#   CHAOS_MIN_KILLS (30)
ALLOW_RESTARTS=1
. "$(dirname "$0")/lib.sh"
SEED=${CHAOS_SEED:-1}
MONTHS=${CHAOS_MONTHS:-6}
PEOPLE=${CHAOS_PARTICIPANTS:-50000}
MIN_KILLS=${CHAOS_MIN_KILLS:-30}
export BHXH_TODAY=2017-08-20  # deadlines are judged on one fixed day in both runs
DATA=$VAR/data
mkdir -p "$DATA" "$VAR/cfg"
cp "$ROOT"/config/*.yaml "$VAR/cfg/"
sed -i -e 's/^\(  batch_rows:\) .*/\1 250/' -e 's/^\(  instances:\) .*/\1 2/' "$VAR/cfg/bhxh.yaml"
sed -i -e 's/^\(  group_wait:\) .*/\1 0s/' -e 's/^\(  group_interval:\) .*/\1 0s/' "$VAR/cfg/alerting.yaml"
CONFIG=$VAR/cfg/bhxh.yaml

check "the generator writes $MONTHS months of every record type" "$BIN/bhxh-gen" month --out "$DATA" --period 2017-01 \
	--months "$MONTHS" --participants "$PEOPLE" --seed "$SEED"
# in the order the agencies send them (the generator's expected.txt)
FILES=()
declare -A AGENCY
while read -r f a _; do
	case $f in '#'* | '') continue ;; esac
	FILES+=("$DATA/$f")
	AGENCY[$f]=$a
done <"$DATA/expected.txt"
ROWS=0
for f in "${FILES[@]}"; do ROWS=$((ROWS + $(wc -l <"$f") - 1)); done
check "at least 30 files" test "${#FILES[@]}" -ge 30
check "at least 300 000 rows ($ROWS)" test "$ROWS" -ge 300000

agency_of() { echo "${AGENCY[$(basename "$1")]}"; }

# drained - every file has its receipt and every event is told and delivered
drained() {
	local f n=0
	for f in "${FILES[@]}"; do
		ls "$VAR/spool/outbox/$(agency_of "$f")/"*"-$(basename "$f").json" >/dev/null 2>&1 || return 1
	done
	n=$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM outbox" 2>/dev/null) || return 1
	[ "$n" = 0 ] || return 1
	# routed, grouped (no digest still waiting for its interval) and sent
	n=$(sqlite3 "$VAR/db/alert.db" "SELECT (SELECT count(*) FROM notice WHERE routed_at IS NULL) +
		(SELECT count(*) FROM grp WHERE dirty = 1) +
		(SELECT count(*) FROM delivery WHERE sent_at IS NULL)" 2>/dev/null) || return 1
	[ "$n" = 0 ]
}

# collect OUT - reports, receipts and the notices of the current var dir
collect() {
	local out=$1 f
	mkdir -p "$out"
	ctl report coverage --format csv >"$out/coverage.csv"
	ctl report findings --format csv >"$out/findings.csv"
	for f in "${FILES[@]}"; do
		sed -n 's/^  "\(status\|rows_[a-z]*\)": "\{0,1\}\([a-z0-9]*\)"\{0,1\},$/\1=\2/p' \
			"$(ls -t "$VAR/spool/outbox/$(agency_of "$f")/"*"-$(basename "$f").json" | head -1)" | tr '\n' ' '
		echo " $(basename "$f")"
	done >"$out/receipts"
	python3 - "$VAR/notices" >"$out/notices" <<'PY'
import json, os, sys
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        if not f.endswith(".json"):
            continue
        n = json.load(open(os.path.join(root, f)))
        for a in n.get("alerts", []):
            if a["status"] != "firing":  # changes told, not reminders of what is still open
                print("\t".join([n["receiver"], n.get("scope", ""), a["kind"], a["subject"], a["period"], a["status"]]))
PY
	sort -o "$out/notices" "$out/notices"
	sqlite3 "$VAR/db/aggregate.db" "SELECT rtype, count(*), sum(rows_applied) FROM files WHERE outcome = 'applied' GROUP BY rtype" >"$out/counts"
}

submit_all() {
	local f
	for f in "${FILES[@]}"; do
		ctl submit --agency "$(agency_of "$f")" "$f" >/dev/null || not_ok "submit $(basename "$f")"
	done
}

# --- the undisturbed run
BASE=$VAR
VAR=$BASE/calm
mkdir -p "$VAR"
check "calm run: pipeline starts" ctl up
t0=$SECONDS
submit_all
check "calm run: every file ends and every notice is delivered" wait_for 900 drained
calm_s=$((SECONDS - t0))
collect "$BASE/calm.out"
ctl down >/dev/null
check "calm run: no file quarantined" test -z "$(grep -l quarantined "$BASE/calm.out/receipts")"
check "calm run: notices were sent ($(wc -l <"$BASE/calm.out/notices") items)" test -s "$BASE/calm.out/notices"

# --- the run under fire
VAR=$BASE/chaos
mkdir -p "$VAR"
check "chaos run: pipeline starts" ctl up
RANDOM=$SEED
kills=0
declare -A killed
submit_all
t0=$SECONDS
victims=(ingest validate-1 validate-2 aggregate alert ingest validate-1 validate-2 aggregate alert supervisor)
# pauses sized so that about three times the kills needed fit in the undisturbed run's time
pause=$((calm_s * 1000 / (3 * MIN_KILLS) / 50))
[ "$pause" -lt 2 ] && pause=2
[ "$pause" -gt 40 ] && pause=40
while ! drained; do
	if [ $((SECONDS - t0)) -gt 1200 ]; then not_ok "chaos run: drained within 20 minutes"; break; fi
	# (a supervisor gone for any other reason is started again, as systemd would)
	kill -0 "$(sed -n 1p "$VAR/run/supervisor.pid" 2>/dev/null)" 2>/dev/null || ctl up >/dev/null
	v=${victims[$((RANDOM % ${#victims[@]}))]}
	if [ "$v" = supervisor ]; then
		pid=$(sed -n 1p "$VAR/run/supervisor.pid" 2>/dev/null)
	else
		pid=$(worker_pid "$v")
	fi
	if [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; then
		kills=$((kills + 1))
		killed[$v]=$((${killed[$v]:-0} + 1))
		if [ "$v" = supervisor ]; then
			# its workers die with it; a new supervisor stops any left and takes over
			ctl up >/dev/null || not_ok "chaos run: up after the supervisor was killed"
		fi
	fi
	# a random pause around the mean, through the same 50 ms poll as every wait
	for _ in $(seq 1 $((pause / 2 + RANDOM % (pause + 1)))); do poll_pause; done
done
chaos_s=$((SECONDS - t0))
check "chaos run: every file ends and every notice is delivered" wait_for 900 drained
collect "$BASE/chaos.out"
ctl down >/dev/null
check "chaos run: at least $MIN_KILLS SIGKILLs during the run ($kills)" test "$kills" -ge "$MIN_KILLS"

check_files_eq "coverage equals the undisturbed run" "$BASE/calm.out/coverage.csv" "$BASE/chaos.out/coverage.csv"
check_files_eq "findings equal the undisturbed run" "$BASE/calm.out/findings.csv" "$BASE/chaos.out/findings.csv"
check_files_eq "every receipt equals the undisturbed run's" "$BASE/calm.out/receipts" "$BASE/chaos.out/receipts"
check_files_eq "each file applied once, every row once" "$BASE/calm.out/counts" "$BASE/chaos.out/counts"
missing=$(comm -23 "$BASE/calm.out/notices" "$BASE/chaos.out/notices" | wc -l)
extra=$(comm -13 "$BASE/calm.out/notices" "$BASE/chaos.out/notices" | wc -l)
check_eq "no notice item of the undisturbed run is missing" 0 "$missing"
check "at most one duplicate notice item per kill of the alert worker ($extra extra, ${killed[alert]:-0} kills)" \
	test "$extra" -le "${killed[alert]:-0}"
lost=$(( $(awk -F'|' '{s += $3} END {print s + 0}' "$BASE/calm.out/counts") - $(awk -F'|' '{s += $3} END {print s + 0}' "$BASE/chaos.out/counts") ))
check_eq "records lost" 0 "$lost"
list=""
for v in "${!killed[@]}"; do list="$list $v=${killed[$v]}"; done
echo "# chaos seed $SEED: $kills kills ($list ), ${#FILES[@]} files, $ROWS rows, $lost records lost," \
	"$extra duplicate notice items; calm run ${calm_s} s, chaos run ${chaos_s} s"
VAR=$BASE
finish
