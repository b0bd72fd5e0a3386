#!/usr/bin/env bash
# test_reload.sh - `bhxhctl reload` (SIGHUP) while the pipeline works:
#
# 1. A changed threshold (behind_target from warning to major) takes effect
#    without a restart: the findings are recomputed, the report shows the new
#    severity, the alert worker hears of the escalation.
# 2. A broken configuration is refused with its reason in the log; the
#    workers keep the one they have and go on: a file sent after is applied
#    under the thresholds in force.
# 3. What the description of the keys says, holds: a key marked `at once`
#    (ingest.max_file_bytes) is in effect for the next file without a
#    restart; a key marked `restart` (ingest.batch_rows) keeps its running
#    value, and the log and `bhxhctl status` say it waits for a restart.
. "$(dirname "$0")/lib.sh"
export BHXH_TODAY=2017-05-10
mkdir -p "$VAR/cfg"
sed -e "s|^schemas: .*|schemas: $ROOT/config/schemas.yaml|" \
	-e "s|^findings: .*|findings: $VAR/cfg/findings.yaml|" \
	-e "s|^alerting: .*|alerting: $ROOT/config/alerting.yaml|" "$ROOT/config/bhxh.yaml" >"$VAR/cfg/bhxh.yaml"
cp "$ROOT/config/findings.yaml" "$VAR/cfg/findings.yaml"
CONFIG=$VAR/cfg/bhxh.yaml

severities() { ctl report findings --format csv | awk -F, '$1 == "behind_target" { print $5 }' | sort -u | tr '\n' ' '; }
pid_of() { ctl status --json | grep "\"name\":\"$1\"" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p'; }
escalations() { sqlite3 -cmd ".timeout 10000" "$VAR/db/alert.db" "SELECT count(*) FROM notice WHERE kind = 'behind_target' AND state = 'escalated'"; }
at_least() { local v; v=$("${@:2}"); [ -n "$v" ] && [ "$v" -ge "$1" ]; }

check "pipeline starts" ctl up
check "labour force applied" ctl submit --agency sldtbxh --wait "$FIX/labor_force_2017.csv"
check "targets applied" ctl submit --agency sldtbxh --wait "$FIX/target_2017.csv"
check "participants March applied" ctl submit --agency bhxh --wait "$FIX/participant_2017-03.csv"
check_eq "behind_target findings are warnings" "warning " "$(severities)"
pid=$(pid_of aggregate)

# ---- 1. a changed threshold
sed -i '/^behind_target:/,/^$/s/severity: warning/severity: major/' "$VAR/cfg/findings.yaml"
sed -i 's/^    - { agency: bhxh, type: participant, deadline_day: 20 }$/&\n    - { agency: bhxh, type: labor_force, deadline_day: 20 }/' \
	"$VAR/cfg/findings.yaml"
check "the changed configuration is valid" ctl check-config
check "reload" ctl reload
check "the new severity takes effect without a restart" wait_for 30 bash -c \
	"'$CTL' --config '$CONFIG' --var-dir '$VAR' report findings --format csv | awk -F, '\$1 == \"behind_target\" { print \$5 }' | sort -u | grep -qx major"
check_eq "every behind_target finding is major now" "major " "$(severities)"
check_eq "the aggregate was not restarted" "$pid" "$(pid_of aggregate)"
check "the aggregate's log says so" grep -q "reload: findings.behind_target.severity changed; in effect now" "$VAR/log/aggregate.log"
check "...and that it recomputes" grep -q "reload: figures and findings are recomputed under the new settings of $CONFIG" "$VAR/log/aggregate.log"
check "...and that a new expected submission cannot be checked, as it would at start" grep -q \
	"findings: expected submission bhxh:labor_force is not a monthly type this agency sends; not checked" "$VAR/log/aggregate.log"
check "the alert worker hears of the escalations" wait_for 30 at_least 1 escalations

# ---- 2. a broken configuration is refused, work goes on
cp "$VAR/cfg/findings.yaml" "$VAR/cfg/findings.good"
sed -i 's/severity: major/severity: huge/' "$VAR/cfg/findings.yaml"
ctl check-config >/dev/null 2>&1
check_eq "check-config refuses the broken configuration" 2 $?
check "reload" ctl reload
check "every worker refuses it and says why" wait_for 30 bash -c \
	"[ \$(grep -l \"reload refused: .*severity\" '$VAR'/log/{ingest,validate,aggregate,alert}.log 2>/dev/null | wc -l) -eq 4 ]"
check "...and keeps the one it has" grep -q "the running configuration is kept" "$VAR/log/aggregate.log"
# the agency drops its file as agencies do (bhxhctl itself refuses the broken file)
cp "$FIX/participant_2017-04.csv" "$VAR/spool/incoming/bhxh/.participant_2017-04.csv"
mv "$VAR/spool/incoming/bhxh/.participant_2017-04.csv" "$VAR/spool/incoming/bhxh/participant_2017-04.csv"
check "a file dropped after gets its receipt" wait_for 60 bash -c "ls '$VAR'/spool/outbox/bhxh/*-participant_2017-04.csv.json >/dev/null 2>&1"
check_eq "it is applied" applied "$(json_field "$(latest_receipt bhxh participant_2017-04.csv)" status)"
cp "$VAR/cfg/findings.good" "$VAR/cfg/findings.yaml"
check_eq "under the thresholds in force" "major " "$(severities)"
check_eq "no worker was restarted" "$pid" "$(pid_of aggregate)"

# ---- 3. `at once` and `restart`, as the description says
ipid=$(pid_of ingest)
check "bhxhctl's help says a reload takes the keys marked 'at once', not only endpoints" bash -c \
	"'$CTL' --help 2>&1 | grep -A2 '^  reload ' | tr -s ' \n' ' ' | grep -q 'rereads the configuration: a key marked .at once.'"
check "the description marks max_file_bytes 'at once' and batch_rows 'restart'" bash -c \
	"grep -q '^| \`ingest.max_file_bytes\` | .* | at once |' '$ROOT/docs/CONFIGURATION.md' &&
	 grep -q '^| \`ingest.batch_rows\` | .* | restart |' '$ROOT/docs/CONFIGURATION.md'"
sed -i -e 's/^  max_file_bytes: .*/  max_file_bytes: 100/' -e 's/^  batch_rows: .*/  batch_rows: 7/' \
	-e 's/^  instances: .*/  instances: 2/' "$CONFIG"
grep -q '^  max_file_bytes: 100$' "$CONFIG" || sed -i 's/^ingest:$/ingest:\n  max_file_bytes: 100/' "$CONFIG"
grep -q '^  batch_rows: 7$' "$CONFIG" || sed -i 's/^ingest:$/ingest:\n  batch_rows: 7/' "$CONFIG"
check "reload" ctl reload
check "ingest takes max_file_bytes at once" wait_for 30 grep -q "reload: ingest.max_file_bytes changed; in effect now" \
	"$VAR/log/ingest.log"
check "...and keeps batch_rows until it restarts" grep -q \
	"reload: ingest.batch_rows changed; the running value is kept until the worker restarts" "$VAR/log/ingest.log"
check "a new validate.instances keeps the endpoints until the pipeline restarts" grep -q \
	"reload: validate.instances changed; the endpoints stay as they are until the pipeline restarts" "$VAR/log/ingest.log"
check "...and is not listed as a worker's to restart" bash -c \
	"! '$CTL' --config '$CONFIG' --var-dir '$VAR' status --json | grep -q 'validate.instances'"
check "status lists the key that waits for a restart" bash -c \
	"'$CTL' --config '$CONFIG' --var-dir '$VAR' status | grep -q 'ingest: changed by a reload, in effect when it restarts: ingest.batch_rows'"
check "...in its JSON as well" bash -c "'$CTL' --config '$CONFIG' --var-dir '$VAR' status --json | grep -q '\"restart_needed\":\"ingest.batch_rows\"'"
cp "$FIX/participant_2017-03_fix.csv" "$VAR/spool/incoming/bhxh/.participant_2017-05.csv"
mv "$VAR/spool/incoming/bhxh/.participant_2017-05.csv" "$VAR/spool/incoming/bhxh/participant_2017-05.csv"
check "the next file is refused under the new limit" wait_for 60 bash -c \
	"ls '$VAR'/spool/outbox/bhxh/*-participant_2017-05.csv.json >/dev/null 2>&1"
r=$(latest_receipt bhxh participant_2017-05.csv)
check_eq "...as too large" E_FILE_TOO_LARGE "$(grep -o 'E_FILE_TOO_LARGE' "$r" | head -1)"
check_eq "ingest was not restarted" "$ipid" "$(pid_of ingest)"
finish
