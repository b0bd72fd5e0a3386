#!/usr/bin/env bash
# test_curve.sh - CURVE on every tcp socket: the same reports and receipts as
# over ipc; keys that are not listed, or listed but not allowed on a socket,
# get nothing in; a message type its sender may not send is dropped and
# counted; a secret key others may read stops a worker at start-up; a
# rotated key takes effect on reload.
#
# 1. The fixtures of test_coverage.sh through the ipc pipeline (reference).
# 2. The same files through every worker on tcp://127.0.0.1 with CURVE (two
#    validators): coverage, findings and every JSON receipt (but the time of
#    arrival) are the same.
# 3. Forgers with real keys, each sending a well-formed batch or end:
#    a stranger's key, the ingest key straight to the aggregate, the
#    aggregate's key to the alert worker (a batch), and an operator key that
#    is not listed asking for status. Counters move; the figures do not.
# 4. Start-up with a secret key readable by the group is refused.
# 5. Rotation: a new operator key and a new key for validate-1, taken on
#    `bhxhctl reload` with no restart; the old operator key is refused after.
. "$(dirname "$0")/lib.sh"
BASE=$VAR
KEYS=$BASE/keys
H=tcp://127.0.0.1

# status_field WORKER FIELD - a number from the worker's status answer
status_field() {
	ctl status --json 2>/dev/null | grep "\"name\":\"$1\"" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" | head -1
}
# at_least N CMD... - CMD prints a number >= N
at_least() { local v; v=$("${@:2}"); [ -n "$v" ] && [ "$v" -ge "$1" ]; }
# receipts DIR - every JSON receipt of DIR's outboxes without its time of arrival, one stream
receipts() {
	(cd "$1/spool/outbox" && for a in */; do
		for j in "$a"*.json; do
			printf '== %s %s\n' "${a%/}" "$(basename "$j" | sed 's/^[0-9TZ.:-]*-//')"
			grep -v '"received_at"' "$j"
		done
	done) | awk '/^== /{k=$0; next} {print k "\t" $0}' | sort -s -k1,1
}
FILES=("sldtbxh labor_force_2017.csv" "sldtbxh target_2017.csv" "bhxh participant_2017-03.csv"
	"bhxh participant_2017-04.csv" "bhxh participant_2017-03_fix.csv")
run_files() {
	local f
	for f in "${FILES[@]}"; do
		set -- $f
		ctl submit --agency "$1" --wait "$FIX/$2" >/dev/null || return 1
	done
}

# ---- 1. over ipc
VAR=$BASE/ipc
mkdir -p "$VAR"
check "ipc: pipeline starts" ctl up
check "ipc: the five files are applied" run_files
ctl report coverage --format csv >"$BASE/ipc.cov.csv"
ctl report findings --format csv >"$BASE/ipc.find.csv"
receipts "$VAR" >"$BASE/ipc.receipts"
ctl down >/dev/null

# ---- 2. over tcp with CURVE
read -r P1 P2 P3 P4 P5 P6 P7 P8 P9 P10 <<<"$(python3 "$ROOT/tests/e2e/free_ports.py" 10)"
write_conf() {
	sed -e "s|^schemas: .*|schemas: $ROOT/config/schemas.yaml|" \
		-e "s|^findings: .*|findings: $ROOT/config/findings.yaml|" \
		-e "s|^alerting: .*|alerting: $ROOT/config/alerting.yaml|" \
		-e "s|^\(  instances:\) *1 |\1 2 |" "$ROOT/config/bhxh.yaml"
	printf '%s\n' "endpoints:
  ingest:    { bind: \"$H:$P1\", control: \"$H:$P2\" }
  validate:
    - { bind: \"$H:$P3\", control: \"$H:$P4\" }
    - { bind: \"$H:$P5\", control: \"$H:$P6\" }
  aggregate: { bind: \"$H:$P7\", control: \"$H:$P8\" }
  alert:     { bind: \"$H:$P9\", control: \"$H:$P10\" }"
}
CONFIG=$BASE/curve.yaml
{ write_conf; curve_block "$KEYS" ingest validate-1 validate-2 aggregate alert operator; } >"$CONFIG"
VAR=$BASE/curve
mkdir -p "$VAR"
check "curve: the configuration is valid" ctl check-config
check_eq "curve: keygen made secret files readable by their owner only" "600 600 600 600 600 600" \
	"$(stat -c %a "$KEYS"/{ingest,validate-1,validate-2,aggregate,alert,operator}.key | tr '\n' ' ' | sed 's/ $//')"
check "curve: pipeline starts" ctl up
check "curve: the five files are applied" run_files
ctl report coverage --format csv >"$BASE/curve.cov.csv"
ctl report findings --format csv >"$BASE/curve.find.csv"
check_files_eq "curve: the same coverage as over ipc" "$BASE/ipc.cov.csv" "$BASE/curve.cov.csv"
check_files_eq "curve: the same findings as over ipc" "$BASE/ipc.find.csv" "$BASE/curve.find.csv"
check "curve: the same findings: not empty" test -s "$BASE/curve.find.csv"
receipts "$VAR" >"$BASE/curve.receipts"
check_files_eq "curve: the same receipts as over ipc" "$BASE/ipc.receipts" "$BASE/curve.receipts"
check_eq "curve: five receipts" 5 "$(grep -c '"status"' "$BASE/curve.receipts")"
check_eq "curve: no ipc socket was made" "" "$(find "$VAR/run" -type s)"
check_eq "curve: nothing refused so far" "0 0" "$(status_field aggregate refused_connections) $(status_field aggregate forbidden_msgs)"

pub() { sed -n 's/^public-key = "\(.*\)"$/\1/p' "$1"; }
AGG_PUB=$(pub "$KEYS/aggregate.key")
ALERT_PUB=$(pub "$KEYS/alert.key")
FORGE=$BIN/tests/zforge
batch_args=(batch --file-no 999 --file-id forged999 --seq 1 --agency bhxh --rtype participant --validated 1
	--fields period,citizen_id,insurance_no,full_name,birth_date,gender,employer_tax_code,scheme,org_unit,monthly_wage
	--row '2017-03|001234567890|0100000999|Giả Mạo|1990-01-01|M|0100000001|compulsory|HN-BD|9000000')
end_args=(end --file-no 999 --file-id forged999 --agency bhxh --rtype participant --name forged.csv --nbatches 1 --rows 1)

# ---- 3a. a key nobody listed
mkdir -p "$BASE/stranger"
"$CTL" keygen --dir "$BASE/stranger" validate-1 >/dev/null 2>&1
"$FORGE" "$H:$P7" "${batch_args[@]}" --curve-key "$BASE/stranger/validate-1.key" --server-key "$AGG_PUB" \
	--wait-acks --ack-timeout-ms 2000 --linger-ms 0 2>/dev/null
check_eq "stranger: its batch is not acknowledged" 1 $?
check "stranger: the aggregate refused and counted the connection" wait_for 10 at_least 1 status_field aggregate refused_connections
check "stranger: the log says the key is not listed" grep -q "refused a connection from 127.0.0.1: key .* is not listed" "$VAR/log/aggregate.log"

# ---- 3b. the ingest key straight to the aggregate (only validators may connect there)
before=$(status_field aggregate refused_connections)
"$FORGE" "$H:$P7" "${batch_args[@]}" --curve-key "$KEYS/ingest.key" --server-key "$AGG_PUB" \
	--wait-acks --ack-timeout-ms 2000 --linger-ms 0 2>/dev/null
check_eq "ingest key to the aggregate: the batch is not acknowledged" 1 $?
"$FORGE" "$H:$P7" "${end_args[@]}" --curve-key "$KEYS/ingest.key" --server-key "$AGG_PUB" \
	--wait-acks --ack-timeout-ms 2000 --linger-ms 0 2>/dev/null
check "ingest key to the aggregate: dropped and counted" wait_for 10 at_least $((before + 2)) status_field aggregate refused_connections
check "ingest key to the aggregate: the log names the key's owner" \
	grep -q "the key of ingest, which may not connect to the data socket" "$VAR/log/aggregate.log"

# ---- 3c. an allowed peer sending what it may not: the aggregate's key, a batch to the alert worker
before=$(status_field alert forbidden_msgs)
"$FORGE" "$H:$P9" "${batch_args[@]}" --curve-key "$KEYS/aggregate.key" --server-key "$ALERT_PUB" \
	--hold-ms 0 --linger-ms 5000 2>/dev/null
check "aggregate key, batch to alert: dropped and counted as forbidden" \
	wait_for 10 at_least $((${before:-0} + 1)) status_field alert forbidden_msgs
check "aggregate key, batch to alert: the log says so" \
	grep -q "dropped a batch message from aggregate: alert takes no batch messages" "$VAR/log/alert.log"

ctl status >"$BASE/refusals.status" 2>&1
check "status: the refusals are told" grep -qE "^aggregate: [3-9] connections refused \(keys not allowed there\)" "$BASE/refusals.status"
check "status: and the forbidden message" grep -qE "^alert: 0 connections refused .*, 1 messages dropped from peers" "$BASE/refusals.status"

# ---- 3d. an operator key that is not listed
"$CTL" keygen --dir "$BASE/stranger" operator >/dev/null 2>&1
BHXH_OPERATOR_KEY=$BASE/stranger/operator.key ctl status >"$BASE/stranger.status" 2>&1
check_eq "unlisted operator: status gets no answer (exit 1)" 1 $?
check_eq "unlisted operator: no worker answers" 5 "$(grep -cE '^(ingest|validate-[12]|aggregate|alert): (not answering|unreachable)' "$BASE/stranger.status")"
check "unlisted operator: status says why" grep -q "refused (400): this host's operator key is not allowed" "$BASE/stranger.status"
check "unlisted operator: the control socket refused it" wait_for 10 grep -q \
	"key .* is not listed" "$VAR/log/ingest.log"

# nothing of the forgeries changed anything
ctl report coverage --format csv >"$BASE/curve.cov.after.csv"
check_files_eq "forgeries changed no figure" "$BASE/ipc.cov.csv" "$BASE/curve.cov.after.csv"
check_eq "forgeries made no receipt" 5 "$(find "$VAR/spool/outbox" -name '*.json' | wc -l)"
check_eq "no forged row is stored" 0 "$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM files WHERE file_no = 999")"

# ---- 4. a secret key that others may read
chmod 640 "$KEYS/alert.key"
"$BIN/bhxh-alert" --config "$CONFIG" --var-dir "$BASE/other" >"$BASE/perm.log" 2>&1
check_eq "key mode 640: the worker does not start" 1 $?
check "key mode 640: and says how to fix it" grep -q "alert.key: a secret key that its group or others may use (mode 640); refused: run \`chmod 600" "$BASE/perm.log"
chmod 600 "$KEYS/alert.key"

# ---- 5. rotation on reload, no restart
pid_v1=$(status_field validate-1 pid)
pid_agg=$(status_field aggregate pid)
OLD_V1=$(pub "$KEYS/validate-1.key")
mkdir -p "$BASE/new"
"$CTL" keygen --dir "$BASE/new" operator validate-1 >/dev/null 2>&1
NEW_V1=$(pub "$BASE/new/validate-1.key")
NEW_OP=$(pub "$BASE/new/operator.key")
OLD_OP=$(pub "$KEYS/operator.key")
mv "$KEYS/operator.key" "$BASE/old-operator.key"
cp -p "$BASE/new/operator.key" "$KEYS/operator.key"
mv "$KEYS/validate-1.key" "$BASE/old-validate-1.key"
cp -p "$BASE/new/validate-1.key" "$KEYS/validate-1.key"
# rot_conf V1 OP - the configuration with validate-1's and the operator's keys as given (YAML)
rot_conf() {
	local n
	{
		write_conf
		printf '  curve:\n    keys_dir: %s\n    public:\n' "$KEYS"
		for n in ingest validate-2 aggregate alert; do printf '      %s: "%s"\n' "$n" "$(pub "$KEYS/$n.key")"; done
		printf '      validate-1: %s\n      operator: %s\n' "$1" "$2"
	} >"$CONFIG"
}
# step 1: both keys listed (new first), then reload everywhere
rot_conf "[\"$NEW_V1\", \"$OLD_V1\"]" "[\"$NEW_OP\", \"$OLD_OP\"]"
check "rotation: the configuration with both keys is valid" ctl check-config
check "rotation: reload" ctl reload
check "rotation: every worker says it reloaded" wait_for 10 bash -c \
	"[ \$(grep -l 'reloaded .*: new endpoints and keys in use' '$VAR'/log/*.log | wc -l) -eq 5 ]"
# step 2: only the new keys
rot_conf "\"$NEW_V1\"" "\"$NEW_OP\""
check "rotation: reload with the old keys gone" ctl reload
check "rotation: the workers took the new lists" wait_for 10 bash -c \
	"[ \$(grep -h 'reloaded .*: new endpoints and keys in use' '$VAR'/log/*.log | wc -l) -ge 10 ]"
check "rotation: status answers with the new operator key" wait_for 10 ctl status
BHXH_OPERATOR_KEY=$BASE/old-operator.key ctl status >/dev/null 2>&1
check_eq "rotation: the old operator key is refused" 1 $?
refused=$(status_field aggregate refused_connections)
sed '$d' "$FIX/participant_2017-04.csv" >"$BASE/participant_2017-04_b.csv"
ctl submit --agency bhxh --wait --format json "$BASE/participant_2017-04_b.csv" >"$BASE/rot.json"
check_eq "rotation: a file sent after is applied" applied "$(json_field "$BASE/rot.json" status)"
check_eq "rotation: validate-1 was not restarted" "$pid_v1" "$(status_field validate-1 pid)"
check_eq "rotation: nor the aggregate" "$pid_agg" "$(status_field aggregate pid)"
check_eq "rotation: the aggregate refused nobody meanwhile" "$refused" "$(status_field aggregate refused_connections)"
check "rotation: validate-1 still takes batches with its new key" wait_for 10 at_least 1 status_field validate-1 msgs_in
"$FORGE" "$H:$P7" "${end_args[@]}" --curve-key "$BASE/old-validate-1.key" --server-key "$AGG_PUB" \
	--wait-acks --ack-timeout-ms 2000 --linger-ms 0 2>/dev/null
check_eq "rotation: validate-1's old key is refused" 1 $?
# a broken configuration is refused on reload and the workers go on
cp "$CONFIG" "$BASE/good.yaml"
printf '  bogus: 1\n' >>"$CONFIG"
ctl reload >/dev/null
check "reload of a broken configuration: refused, with the reason" wait_for 10 grep -q \
	"reload refused: .*unknown key 'bogus'" "$VAR/log/aggregate.log"
cp "$BASE/good.yaml" "$CONFIG"
sed '$d' "$BASE/participant_2017-04_b.csv" >"$BASE/participant_2017-04_c.csv"
ctl submit --agency bhxh --wait --format json "$BASE/participant_2017-04_c.csv" >"$BASE/broken.json"
check_eq "reload of a broken configuration: work goes on" applied "$(json_field "$BASE/broken.json" status)"

ctl down >/dev/null
check "no insurance number in any log" bash -c "! grep -rqE '0100000[0-9]{3}' '$BASE'/*/log"
check "no secret key in any log" bash -c "! grep -rqF \"\$(sed -n 's/^secret-key = \"\\(.*\\)\"\$/\\1/p' '$KEYS/aggregate.key')\" '$BASE'/*/log"
finish
