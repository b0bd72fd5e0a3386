#!/usr/bin/env bash
# test_tcp.sh - the pipeline over tcp, then split in two as on two hosts.
#
# 1. Every worker's data and control sockets on tcp://127.0.0.1 ports the
#    test finds free (two validators, listed one per instance): the fixtures
#    of test_coverage.sh give the same coverage reports as over ipc, and no
#    ipc socket is made.
# 2. Two supervisors, each with its own var dir as two hosts would have:
#    A runs `--only ingest,validate` (two validators on a port base), B runs
#    `--only aggregate,alert`. Files dropped on A are applied on B with the
#    same reports; each database lives in the var dir of the process that owns
#    it; the receipts travel back to A (ingest's host) and none is written on
#    B; `submit --wait` on A prints the receipt; `report`, `silence` and `ack`
#    from a third, empty var dir ask B's workers (no database is read);
#    `status` on A asks B's workers over tcp, and says clearly, within its
#    bounded time, when they cannot be reached.
. "$(dirname "$0")/lib.sh"
BASE=$VAR

# conf NAME ENDPOINTS INSTANCES - the shipped configuration with absolute paths,
# INSTANCES validators and the endpoints section ENDPOINTS appended, with the
# CURVE keys of every worker and the operator (made in $BASE/keys; the two
# "hosts" of part 2 share that folder here, each would hold its own secrets)
conf() {
	local v=validate
	[ "$3" -gt 1 ] && v=$(seq -f 'validate-%g' 1 "$3" | tr '\n' ' ')
	sed -e "s|^schemas: .*|schemas: $ROOT/config/schemas.yaml|" \
		-e "s|^findings: .*|findings: $ROOT/config/findings.yaml|" \
		-e "s|^alerting: .*|alerting: $ROOT/config/alerting.yaml|" \
		-e "s|^\(  instances:\) *1 |\1 $3 |" "$ROOT/config/bhxh.yaml" >"$BASE/$1.yaml"
	printf '%s\n' "$2" >>"$BASE/$1.yaml"
	# shellcheck disable=SC2086
	curve_block "$BASE/keys" ingest $v aggregate alert operator >>"$BASE/$1.yaml"
}

# receipt_in VAR AGENCY NAME - the newest JSON receipt for a file in a var dir
receipt_in() { ls -t "$1"/spool/outbox/"$2"/*-"$3".json 2>/dev/null | head -1; }
has_receipt() { [ -n "$(receipt_in "$@")" ]; }

# ---- 1. one supervisor, everything over tcp
read -r P1 P2 P3 P4 P5 P6 P7 P8 P9 P10 <<<"$(python3 "$ROOT/tests/e2e/free_ports.py" 10)"
H=tcp://127.0.0.1
conf tcp "endpoints:
  ingest:    { bind: \"$H:$P1\", control: \"$H:$P2\" }
  validate:
    - { bind: \"tcp://0.0.0.0:$P3\", connect: \"$H:$P3\", control: \"$H:$P4\" }
    - { bind: \"$H:$P5\", control: \"tcp://*:$P6\", control_connect: \"$H:$P6\" }
  aggregate: { bind: \"$H:$P7\", control: \"$H:$P8\" }
  alert:     { bind: \"$H:$P9\", control: \"$H:$P10\" }" 2
CONFIG=$BASE/tcp.yaml
VAR=$BASE/tcp
mkdir -p "$VAR"
check "tcp: the configuration is valid" ctl check-config
check "tcp: pipeline starts" ctl up
check "tcp: labour force applied" ctl submit --agency sldtbxh --wait "$FIX/labor_force_2017.csv"
check "tcp: targets applied" ctl submit --agency sldtbxh --wait "$FIX/target_2017.csv"
ctl submit --agency bhxh --wait --format json "$FIX/participant_2017-03.csv" >"$BASE/tcp.r1.json"
check "tcp: participants March applied (exit 0)" test $? -eq 0
check_eq "tcp: rows_applied as over ipc" 7 "$(json_field "$BASE/tcp.r1.json" rows_applied)"
check_eq "tcp: rows_rejected as over ipc" 3 "$(json_field "$BASE/tcp.r1.json" rows_rejected)"
check "tcp: participants April applied" ctl submit --agency bhxh --wait "$FIX/participant_2017-04.csv"
ctl report coverage --format csv >"$BASE/tcp.cov1.csv"
check_files_eq "tcp: coverage is the hand-worked figures" "$FIX/coverage_expected_1.csv" "$BASE/tcp.cov1.csv"
check "tcp: corrected March snapshot applied" ctl submit --agency bhxh --wait "$FIX/participant_2017-03_fix.csv"
ctl report coverage --format csv >"$BASE/tcp.cov2.csv"
check_files_eq "tcp: the corrected snapshot replaces March" "$FIX/coverage_expected_2.csv" "$BASE/tcp.cov2.csv"
check "tcp: reports/coverage.csv is written" wait_for 10 cmp -s "$BASE/tcp.cov2.csv" "$VAR/reports/coverage.csv"
check "tcp: status answers over tcp for every worker (exit 0)" ctl status
check_eq "tcp: five workers ready" 5 "$(ctl status | grep -cE '^(ingest|validate-[12]|aggregate|alert) .* ready ')"
check_eq "tcp: no ipc socket was made" "" "$(find "$VAR/run" -type s)"
check "tcp: both validators took batches" bash -c "grep -q '\"msgs_in\":[1-9]' '$VAR/run/validate-1.status' &&
	grep -q '\"msgs_in\":[1-9]' '$VAR/run/validate-2.status'"
ctl down >/dev/null
check_logs_clean

# ---- 2. two supervisors, two var dirs: A (ingest, validators) and B (aggregate, alert)
read -r Q1 Q2 Q3 Q4 Q5 Q6 Q7 Q8 <<<"$(python3 "$ROOT/tests/e2e/free_ports.py" 8 --run 2)"
conf split "endpoints:
  ingest:    { bind: \"$H:$Q1\", control: \"$H:$Q2\" }
  validate:  { bind: \"tcp://*:$Q3\", connect: \"$H:$Q3\", control: \"$H:$Q4\" }
  aggregate: { bind: \"tcp://0.0.0.0:$Q5\", connect: \"$H:$Q5\", control: \"$H:$Q6\" }
  alert:     { bind: \"$H:$Q7\", control: \"$H:$Q8\" }" 2
CONFIG=$BASE/split.yaml
A=$BASE/a
B=$BASE/b
mkdir -p "$A" "$B"
ctl_a() { "$CTL" --config "$CONFIG" --var-dir "$A" "$@"; }
ctl_b() { "$CTL" --config "$CONFIG" --var-dir "$B" "$@"; }
trap 'ctl_a down >/dev/null 2>&1; ctl_b down >/dev/null 2>&1' INT TERM EXIT

check "split: the configuration is valid" ctl_a check-config
check "split: --only refuses a name that is not a worker" bash -c "'$CTL' --config '$CONFIG' --var-dir '$A' up --only ingest,validate-3; [ \$? -eq 2 ]"
check "split: host A starts ingest and the validators" ctl_a up --only ingest,validate
check "split: host B starts the aggregate and the alert worker" ctl_b up --only aggregate,alert

# submit SOURCE_AGENCY FILE - drop on A, wait for its receipt, which comes back to A
submit() {
	ctl_a submit --agency "$1" "$2" >/dev/null &&
		wait_for 60 has_receipt "$A" "$1" "$(basename "$2")" &&
		grep -q '"status": "applied"' "$(receipt_in "$A" "$1" "$(basename "$2")")"
}
# a third host with nothing but the configuration: bhxhctl only asks
C=$BASE/c
mkdir -p "$C"
ctl_c() { "$CTL" --config "$CONFIG" --var-dir "$C" "$@"; }
check "split: labour force applied" submit sldtbxh "$FIX/labor_force_2017.csv"
check "split: targets applied" submit sldtbxh "$FIX/target_2017.csv"
ctl_a submit --agency bhxh --wait --format json "$FIX/participant_2017-03.csv" >"$BASE/split.r1.json"
check "split: submit --wait on A returns when March is applied (exit 0)" test $? -eq 0
check_eq "split: ...and prints its receipt" "applied 7 3" \
	"$(json_field "$BASE/split.r1.json" status) $(json_field "$BASE/split.r1.json" rows_applied) $(json_field "$BASE/split.r1.json" rows_rejected)"
check "split: participants April applied" submit bhxh "$FIX/participant_2017-04.csv"
ctl_c report coverage --format csv >"$BASE/split.cov1.csv"
check_files_eq "split: coverage (asked from an empty var dir) is the hand-worked figures" \
	"$FIX/coverage_expected_1.csv" "$BASE/split.cov1.csv"
check "split: corrected March snapshot applied" submit bhxh "$FIX/participant_2017-03_fix.csv"
ctl_c report coverage --format csv >"$BASE/split.cov2.csv"
ctl_b report coverage --format csv >"$BASE/split.cov2b.csv"
check_files_eq "split: the same report asked on B" "$BASE/split.cov2.csv" "$BASE/split.cov2b.csv"
ctl_c report findings --format csv >"$BASE/split.find.csv"
check "split: the findings report comes over tcp too" \
	grep -qx 'kind,subject,org_unit,period,severity,value,threshold,status' "$BASE/split.find.csv"
check_files_eq "split: the corrected snapshot replaces March" "$FIX/coverage_expected_2.csv" "$BASE/split.cov2.csv"
check_files_eq "split: the same report as the single pipeline" "$BASE/tcp.cov2.csv" "$BASE/split.cov2.csv"
check "split: B's reports/coverage.csv is written" wait_for 10 cmp -s "$BASE/split.cov2.csv" "$B/reports/coverage.csv"
R=$(receipt_in "$A" bhxh participant_2017-03.csv)
check_eq "split: the March receipt on A counts as over ipc" "7 3" "$(json_field "$R" rows_applied) $(json_field "$R" rows_rejected)"
check "split: its text twin is on A too" test -s "${R%.json}.txt"
check_eq "split: a receipt (JSON and text) for each of the 5 files on A" 10 \
	"$(find "$A/spool/outbox" -type f \( -name '*.json' -o -name '*.txt' \) | wc -l)"
check_eq "split: ...and a CSV beside each one with rejected rows, nothing else" \
	"$(grep -l '"rows_rejected": [1-9]' "$A"/spool/outbox/*/*.json | wc -l) $(find "$A/spool/outbox" -type f | wc -l)" \
	"$(find "$A/spool/outbox" -type f -name '*.errors.csv' | wc -l) $((10 + $(find "$A/spool/outbox" -type f -name '*.errors.csv' | wc -l)))"
check "split: ingest learnt each file's outcome from B" wait_for 10 bash -c \
	"[ \$(sqlite3 '$A/db/ingest.db' \"SELECT count(*) FROM files WHERE status = 'applied'\") -eq 5 ]"

# each database in the var dir of the process that owns it
check_eq "split: A holds ingest's and the validators' databases" "ingest.db validate-1.db validate-2.db" \
	"$(cd "$A/db" && ls -- *.db | tr '\n' ' ' | sed 's/ $//')"
check_eq "split: B holds the aggregate's and the alert worker's" "aggregate.db alert.db" \
	"$(cd "$B/db" && ls -- *.db | tr '\n' ' ' | sed 's/ $//')"
check_eq "split: the files were archived on A" 5 "$(find "$A/spool/archive" -type f | wc -l)"
check_eq "split: nothing was spooled on B, no receipt written there" "" "$(find "$B/spool" -type f 2>/dev/null)"
check_eq "split: the third var dir holds no database" "" "$(find "$C" -name '*.db*')"

# silences and acknowledgements in B's alert worker, asked from C over tcp
sid=$(ctl_c silence add --matcher kind=low_wage_basis --author "Trần An" --comment "kiểm tra lại" --until +2h)
check "split: silence add over tcp prints an id" test -n "$sid"
check "split: the silence is stored on B" test "$(sqlite3 "$B/db/alert.db" "SELECT count(*) FROM silence WHERE id = '$sid'")" = 1
check "split: silence list shows it active" bash -c "'$CTL' --config '$CONFIG' --var-dir '$C' silence list | grep -q '^$sid *active.*kind=low_wage_basis'"
check "split: a bad matcher is refused (exit 2)" bash -c "'$CTL' --config '$CONFIG' --var-dir '$C' silence add --matcher colour=red --author a --comment c --until +1h 2>/dev/null; [ \$? -eq 2 ]"
check "split: silence expire" ctl_c silence expire "$sid"
check "split: silence list shows it expired" bash -c "'$CTL' --config '$CONFIG' --var-dir '$C' silence list | grep -q '^$sid *expired'"
check "split: expiring it again says so (exit 1)" bash -c "'$CTL' --config '$CONFIG' --var-dir '$C' silence expire '$sid' 2>'$BASE/exp.err'; [ \$? -eq 1 ] && grep -q 'no active silence $sid' '$BASE/exp.err'"
firing() { [ -n "$(sqlite3 "$B/db/alert.db" "SELECT kind FROM alert WHERE state = 'firing' LIMIT 1")" ]; }
check "split: B's alert worker has an open alert" wait_for 30 firing
read -r KIND SUBJ <<<"$(sqlite3 -separator ' ' "$B/db/alert.db" "SELECT kind, subject FROM alert WHERE state = 'firing' ORDER BY kind, subject LIMIT 1")"
check "split: ack over tcp ($KIND $SUBJ)" ctl_c ack --kind "$KIND" --subject "$SUBJ" --author "Lê Bình"
check_eq "split: ...acknowledged on B at once" "1 Lê Bình" \
	"$(sqlite3 -separator ' ' "$B/db/alert.db" "SELECT acked, acked_by FROM alert WHERE kind = '$KIND' AND subject = '$SUBJ'")"
check "split: ack of an unknown subject exits non-zero" bash -c "! '$CTL' --config '$CONFIG' --var-dir '$C' ack --kind arrears --subject NOPE --author x 2>'$BASE/ack.err'"
check "split: ...saying no such alert is open" grep -q "no open alert of kind 'arrears' about 'NOPE'" "$BASE/ack.err"
check_eq "split: still no database in the third var dir" "" "$(find "$C" -name '*.db*')"

# status from either side asks every worker over tcp
check "split: status on A: every worker answers (exit 0)" ctl_a status
check_eq "split: status on A shows B's workers as remote" 2 "$(ctl_a status | grep -cE '^(aggregate|alert) .* ready .* remote ')"
check "split: status on B: every worker answers (exit 0)" ctl_b status
ctl_b down >/dev/null
start=$SECONDS
ctl_a status >"$BASE/status.txt" 2>&1
rc=$?
took=$((SECONDS - start))
cat "$BASE/status.txt"
check_eq "split: status on A exits 1 once B is down" 1 "$rc"
check "split: ...within its bounded time (${took} s)" test "$took" -le 5
check "split: ...naming the aggregate unreachable at its address" \
	grep -q "^aggregate: unreachable at $H:$Q6 " "$BASE/status.txt"
check "split: ...and the alert worker" grep -q "^alert: unreachable at $H:$Q8 " "$BASE/status.txt"
check_eq "split: ...while A's own workers are ready" 3 "$(grep -cE '^(ingest|validate-[12]) .* ready ' "$BASE/status.txt")"
start=$SECONDS
ctl_c report coverage --format csv >/dev/null 2>"$BASE/report.err"
rc=$?
check_eq "split: report exits 1 when the aggregate is down" 1 "$rc"
check "split: ...saying it does not answer, within the ping's time ($((SECONDS - start)) s)" bash -c \
	"grep -q 'the aggregate worker does not answer' '$BASE/report.err' && [ $((SECONDS - start)) -le 20 ]"
check "split: status --json marks them unreachable" bash -c \
	"'$CTL' --config '$CONFIG' --var-dir '$A' status --json | grep -c '\"state\": \"unreachable\"' | grep -qx 2"
ctl_a down >/dev/null
trap - EXIT
check "no insurance number in any log" bash -c "! grep -rqE '0100000[0-9]{3}' '$BASE'/*/log"
VAR=$A check_logs_clean
VAR=$B
finish
