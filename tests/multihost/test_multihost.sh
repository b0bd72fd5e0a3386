#!/usr/bin/env bash
# test_multihost.sh - the pipeline spread over four hosts, each a Linux network
# namespace of this machine joined by veth pairs to a bridge in a fifth one:
#
#   ingest host    10.77.0.1   ingest                     its own var dir and supervisor
#   validator 1    10.77.0.2   validate-1                 "
#   validator 2    10.77.0.3   validate-2                 "
#   analysis host  10.77.0.4   aggregate, alert           "
#
# Every data and control socket is tcp on those addresses (one configuration
# for every host, as docs/OPERATIONS.md "Two hosts" describes); each host runs
# `bhxhctl up --only ...` inside its namespace.
#
# 1. The fixtures of test_coverage.sh, dropped on the ingest host, are applied
#    with the hand-worked coverage reports; status on the ingest host reaches
#    every worker over the namespaces' network.
# 2. A long generated file: in its middle validator 1's link to the bridge goes
#    down (its host cut off the network), later comes back. The file is applied
#    with the same receipt counts, the same coverage report and the same rows in
#    the aggregate as on an undisturbed single-host ipc pipeline: nothing lost,
#    nothing counted twice.
#
# Needs root and `ip` (iproute2) with network namespaces and veth; otherwise it
# prints "# skipped: ..." and "0 passed, 0 failed" and exits 0. Everything it
# creates (namespaces, veths, bridge, supervisors) is removed at the end, also on
# failure. Only the namespaces it creates are touched: the root namespace's
# interfaces and routes are left alone.
#
#   MULTIHOST_ROWS        rows of the long file (default 400000)
#   MULTIHOST_BATCH_ROWS  ingest.batch_rows (default 100: the long file is 4000 messages)
#   MULTIHOST_CUT=0       no cut: only the figures (time, bytes over each link)
#   KEEP_VAR=1       keep the var dirs
. "$(dirname "$0")/../e2e/lib.sh"
BASE=$VAR
PASSES=0
ok() { echo "ok - $*"; PASSES=$((PASSES + 1)); }

ROWS=${MULTIHOST_ROWS:-400000}
BATCH_ROWS=${MULTIHOST_BATCH_ROWS:-100}
CUT=${MULTIHOST_CUT:-1}
SUF=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NS_BR=bhxh-$SUF-br    # the bridge: the network between the hosts
NS_I=bhxh-$SUF-ing    # ingest
NS_V1=bhxh-$SUF-v1    # validate-1
NS_V2=bhxh-$SUF-v2    # validate-2
NS_A=bhxh-$SUF-agg    # aggregate and alert
NET=10.77.0
IP_I=$NET.1
IP_V1=$NET.2
IP_V2=$NET.3
IP_A=$NET.4
V_I=$BASE/ingest
V_V1=$BASE/val1
V_V2=$BASE/val2
V_A=$BASE/agg
CONFIG=$BASE/multihost.yaml
MADE_NS=()

skip() {
	echo "# skipped: $*"
	cleanup
	rm -rf "$BASE"
	echo "0 passed, 0 failed"
	exit 0
}

# ---- hosts

# hctl NS VARDIR ARGS... - bhxhctl on one host
hctl() {
	local ns=$1 dir=$2
	shift 2
	ip netns exec "$ns" "$CTL" --config "$CONFIG" --var-dir "$dir" "$@"
}
ctl_i() { hctl "$NS_I" "$V_I" "$@"; }
ctl_a() { hctl "$NS_A" "$V_A" "$@"; }
quiet() { "$@" >/dev/null 2>&1; }

# cleanup - stop every supervisor, then remove the namespaces (and with them
# their veths and the bridge); runs on any exit
cleanup() {
	local ns pid
	[ -d "$V_I" ] && hctl "$NS_I" "$V_I" down >/dev/null 2>&1
	[ -d "$V_V1" ] && hctl "$NS_V1" "$V_V1" down >/dev/null 2>&1
	[ -d "$V_V2" ] && hctl "$NS_V2" "$V_V2" down >/dev/null 2>&1
	[ -d "$V_A" ] && hctl "$NS_A" "$V_A" down >/dev/null 2>&1
	[ -d "$BASE/ref" ] && "$CTL" --config "$BASE/ref.yaml" --var-dir "$BASE/ref" down >/dev/null 2>&1
	for ns in "${MADE_NS[@]}"; do
		# anything of ours still running in it (down failed): by pid
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	MADE_NS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# make_ns NAME - a namespace with its loopback up
make_ns() {
	ip netns add "$1" 2>"$BASE/ip.err" || return 1
	MADE_NS+=("$1")
	ip -n "$1" link set lo up
}

# plug NS PORT IP - a veth from NS (eth0, address IP/24) to the bridge (port PORT)
plug() {
	ip -n "$NS_BR" link add "$2" type veth peer name eth0 netns "$1" &&
		ip -n "$NS_BR" link set "$2" master br0 &&
		ip -n "$NS_BR" link set "$2" up &&
		ip -n "$1" addr add "$3/24" dev eth0 &&
		ip -n "$1" link set eth0 up
}

[ "$(id -u)" = 0 ] || skip "not root: network namespaces need CAP_SYS_ADMIN"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) not installed"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 not installed"
make_ns "$NS_BR" || skip "ip netns add failed: $(head -1 "$BASE/ip.err")"
ip -n "$NS_BR" link add br0 type bridge 2>"$BASE/ip.err" || skip "no bridge in a namespace: $(head -1 "$BASE/ip.err")"
ip -n "$NS_BR" link set br0 up
for ns in "$NS_I" "$NS_V1" "$NS_V2" "$NS_A"; do
	make_ns "$ns" || skip "ip netns add failed: $(head -1 "$BASE/ip.err")"
done
plug "$NS_I" ingest "$IP_I" 2>"$BASE/ip.err" &&
	plug "$NS_V1" val1 "$IP_V1" 2>>"$BASE/ip.err" &&
	plug "$NS_V2" val2 "$IP_V2" 2>>"$BASE/ip.err" &&
	plug "$NS_A" agg "$IP_A" 2>>"$BASE/ip.err" ||
	skip "no veth pairs between namespaces: $(head -1 "$BASE/ip.err")"
ok "four hosts in namespaces $NS_I, $NS_V1, $NS_V2, $NS_A on a bridge in $NS_BR"

# ---- configuration

# base_config - the shipped configuration with absolute paths, two validators
# and small batches (a long file spans thousands of messages)
base_config() {
	sed -e "s|^schemas: .*|schemas: $ROOT/config/schemas.yaml|" \
		-e "s|^findings: .*|findings: $ROOT/config/findings.yaml|" \
		-e "s|^alerting: .*|alerting: $ROOT/config/alerting.yaml|" \
		-e "s|^\(  instances:\) *1 |\1 2 |" \
		-e "s|^\(  batch_rows:\) *1000 |\1 $BATCH_ROWS |" "$ROOT/config/bhxh.yaml"
}

# write_config FILE - the one configuration every host reads: the base, the
# hosts' addresses and every peer's CURVE public key (the secret keys are made
# in one folder here, as the hosts share this machine's file system; on real
# hosts each keeps only its own)
write_config() {
	{
		base_config
		cat <<EOF
endpoints:
  ingest:    { bind: "tcp://$IP_I:5570", control: "tcp://$IP_I:5580" }
  validate:
    - { bind: "tcp://$IP_V1:5560", control: "tcp://$IP_V1:5590" }
    - { bind: "tcp://$IP_V2:5560", control: "tcp://$IP_V2:5590" }
  aggregate: { bind: "tcp://$IP_A:5571", control: "tcp://$IP_A:5581" }
  alert:     { bind: "tcp://127.0.0.1:5572", control: "tcp://$IP_A:5582" }
EOF
		curve_block "$BASE/keys" ingest validate-1 validate-2 aggregate alert operator
	} >"$1"
}

# ---- receipts

# receipt_var - the var dir holding the receipts: the ingest host's, where
# the aggregate's outcomes come back (docs/OPERATIONS.md, "Two hosts")
receipt_var() { echo "$V_I"; }

# receipt_of AGENCY NAME - the newest JSON receipt of a file
receipt_of() { ls -t "$(receipt_var)"/spool/outbox/"$1"/*-"$2".json 2>/dev/null | head -1; }
has_receipt() { [ -n "$(receipt_of "$@")" ]; }

# submit AGENCY FILE - drop on the ingest host, wait for the receipt, applied
submit() {
	ctl_i submit --agency "$1" "$2" >/dev/null &&
		wait_for 60 has_receipt "$1" "$(basename "$2")" &&
		grep -q '"status": "applied"' "$(receipt_of "$1" "$(basename "$2")")"
}

# receipt_counts FILE - the rows_* lines of a receipt
receipt_counts() { sed -n 's/^  "\(rows_[a-z]*\)": \([0-9]*\),$/\1=\2/p' "$1"; }

# db_counts VARDIR - files ended and participant rows per period, in the aggregate's database
db_counts() {
	sqlite3 "$1/db/aggregate.db" "SELECT count(*) FROM files;
		SELECT period, count(*) FROM participant GROUP BY period ORDER BY period;"
}

# ---- the long file, and its undisturbed run on one host over ipc

LONG=$BASE/participant_2017-05.csv
"$BIN/bhxh-gen" participant --rows "$ROWS" --period 2017-05 --seed 11 >"$LONG"
FIXTURES=("sldtbxh $FIX/labor_force_2017.csv" "sldtbxh $FIX/target_2017.csv"
	"bhxh $FIX/participant_2017-03.csv" "bhxh $FIX/participant_2017-04.csv"
	"bhxh $FIX/participant_2017-03_fix.csv")

base_config >"$BASE/ref.yaml"
mkdir -p "$BASE/ref"
ref() { "$CTL" --config "$BASE/ref.yaml" --var-dir "$BASE/ref" "$@"; }
ref_ok=1
ref up >/dev/null || ref_ok=0
for f in "${FIXTURES[@]}"; do
	read -r agency file <<<"$f"
	ref submit --agency "$agency" --wait "$file" >/dev/null || ref_ok=0
done
start=$SECONDS
ref submit --agency bhxh --wait --timeout 120 --format json "$LONG" >"$BASE/ref.long.json" || ref_ok=0
ref_took=$((SECONDS - start))
receipt_counts "$BASE/ref.long.json" >"$BASE/ref.receipt"
ref report coverage --format csv >"$BASE/ref.coverage.csv"
db_counts "$BASE/ref" >"$BASE/ref.counts"
ref down >/dev/null
check_eq "reference: the long file applied whole on one host over ipc (${ref_took} s)" "1 rows_read=$ROWS
rows_applied=$ROWS
rows_rejected=0
rows_duplicate=0" "$ref_ok $(cat "$BASE/ref.receipt")"

# ---- 1. the hosts start; the fixtures are applied

write_config "$CONFIG"
mkdir -p "$V_I" "$V_V1" "$V_V2" "$V_A"
check "the configuration is valid" ctl_i check-config
check "analysis host starts the aggregate and the alert worker" ctl_a up --only aggregate,alert
check "validator 1 host starts validate-1" hctl "$NS_V1" "$V_V1" up --only validate-1
check "validator 2 host starts validate-2" hctl "$NS_V2" "$V_V2" up --only validate-2
check "ingest host starts ingest" ctl_i up --only ingest

check "labour force applied" submit sldtbxh "$FIX/labor_force_2017.csv"
check "targets applied" submit sldtbxh "$FIX/target_2017.csv"
check "participants March applied" submit bhxh "$FIX/participant_2017-03.csv"
check_eq "the March receipt counts as over ipc" "7 3" \
	"$(json_field "$(receipt_of bhxh participant_2017-03.csv)" rows_applied) $(json_field "$(receipt_of bhxh participant_2017-03.csv)" rows_rejected)"
check "participants April applied" submit bhxh "$FIX/participant_2017-04.csv"
ctl_a report coverage --format csv >"$BASE/cov1.csv"
check_files_eq "coverage is the hand-worked figures" "$FIX/coverage_expected_1.csv" "$BASE/cov1.csv"
check "corrected March snapshot applied" submit bhxh "$FIX/participant_2017-03_fix.csv"
ctl_a report coverage --format csv >"$BASE/cov2.csv"
check_files_eq "the corrected snapshot replaces March" "$FIX/coverage_expected_2.csv" "$BASE/cov2.csv"
check "the ingest host learnt each file's outcome" wait_for 10 bash -c \
	"[ \$(sqlite3 '$V_I/db/ingest.db' \"SELECT count(*) FROM files WHERE status = 'applied'\") -eq 5 ]"
check "status on the ingest host reaches every worker (exit 0)" quiet ctl_i status
check_eq "...four of them remote" 4 "$(ctl_i status | grep -cE '^(validate-[12]|aggregate|alert) .* ready .* remote ')"
check_eq "no ipc socket on any host" "" "$(find "$V_I" "$V_V1" "$V_V2" "$V_A" -type s)"
check_eq "each host holds the databases of its workers" "ingest.db|validate-1.db|validate-2.db|aggregate.db alert.db" \
	"$(for d in "$V_I" "$V_V1" "$V_V2" "$V_A"; do (cd "$d/db" && ls -- *.db | tr '\n' ' ' | sed 's/ $//'); echo '|'; done | tr -d '\n' | sed 's/|$//')"

# ---- 2. validator 1 cut off in the middle of the long file

# msgs_in VARDIR NAME - messages a worker has taken in, from its status file
msgs_in() { sed -n 's/.*"msgs_in":\([0-9]*\).*/\1/p' "$1/run/$2.status" 2>/dev/null; }
# staged - batches staged by the aggregate, not yet applied
staged() { sqlite3 "$V_A/db/aggregate.db" "SELECT count(*) FROM stage_batch" 2>/dev/null || echo 0; }
mid_file() { [ "$(staged)" -gt 40 ] && [ "$(msgs_in "$V_V1" validate-1)" -gt "$V1_BEFORE" ]; }
grown() { [ "$(msgs_in "$V_V2" validate-2)" -ge $(($1 + 30)) ]; }
# applied_rows PERIOD - participant rows of PERIOD the aggregate has applied
applied_rows() { sqlite3 "$V_A/db/aggregate.db" "SELECT count(*) FROM participant WHERE period = '$1'"; }
# v1_cut_off - status on the ingest host says validate-1 cannot be reached
v1_cut_off() { ctl_i status 2>&1 | grep -q "^validate-1: unreachable at tcp://$IP_V1:5590 "; }

# sent PORT - bytes the host on that bridge port has sent (the port received)
sent() { ip netns exec "$NS_BR" cat "/sys/class/net/$1/statistics/rx_bytes"; }
# traffic - bytes sent by each host so far
traffic() { echo "$(sent ingest) $(sent val1) $(sent val2) $(sent agg)"; }

V1_BEFORE=$(msgs_in "$V_V1" validate-1)
read -r b_i b_v1 b_v2 b_a <<<"$(traffic)"
start=$SECONDS
ctl_i submit --agency bhxh "$LONG" >/dev/null
if [ "$CUT" = 0 ]; then
	echo "# no cut (MULTIHOST_CUT=0)"
elif wait_for 60 mid_file; then
	if has_receipt bhxh "$(basename "$LONG")"; then
		not_ok "validator 1 cut off in the middle of the file (it had finished)"
	else
		ok "validator 1 cut off in the middle of the file ($(staged) batches staged)"
	fi
	check "validator 1's link to the bridge goes down" ip -n "$NS_BR" link set val1 down
	cut_at=$SECONDS
	v2=$(msgs_in "$V_V2" validate-2)
	check "status on the ingest host says validate-1 is unreachable" wait_for 20 v1_cut_off
	check "the file goes on through validator 2 meanwhile" wait_for 60 grown "$v2"
	check_eq "none of the file is applied while validator 1 is cut off" 0 "$(applied_rows 2017-05)"
	check "validator 1's link comes back" ip -n "$NS_BR" link set val1 up
	echo "# validator 1 cut off for $((SECONDS - cut_at)) s, $(($(msgs_in "$V_V2" validate-2) - v2)) batches through validator 2 meanwhile"
else
	not_ok "the long file never reached the middle"
fi
check "the long file's receipt arrives after validator 1 is back" wait_for 180 has_receipt bhxh "$(basename "$LONG")"
echo "# long file: $((SECONDS - start)) s across the hosts, ${ref_took} s on one host"
read -r e_i e_v1 e_v2 e_a <<<"$(traffic)"
echo "# long file ($(stat -c %s "$LONG") bytes of CSV, batches of $BATCH_ROWS rows), bytes sent meanwhile by" \
	"ingest $((e_i - b_i)), validator 1 $((e_v1 - b_v1)), validator 2 $((e_v2 - b_v2)), analysis host $((e_a - b_a))"
R=$(receipt_of bhxh "$(basename "$LONG")")
check_eq "the long file applied" applied "$(json_field "$R" status)"
receipt_counts "$R" >"$BASE/mh.receipt"
check_files_eq "receipt counts equal the undisturbed run's" "$BASE/ref.receipt" "$BASE/mh.receipt"
ctl_a report coverage --format csv >"$BASE/mh.coverage.csv"
check_files_eq "coverage equals the undisturbed run's" "$BASE/ref.coverage.csv" "$BASE/mh.coverage.csv"
db_counts "$V_A" >"$BASE/mh.counts"
check_files_eq "each file applied once, no row twice" "$BASE/ref.counts" "$BASE/mh.counts"
check "both validators took batches of the long file" bash -c \
	"[ \$(sed -n 's/.*\"msgs_in\":\([0-9]*\).*/\1/p' '$V_V1/run/validate-1.status') -gt $V1_BEFORE ] &&
	 [ \$(sed -n 's/.*\"msgs_in\":\([0-9]*\).*/\1/p' '$V_V2/run/validate-2.status') -gt 0 ]"
check "status on the ingest host: every worker answers again" wait_for 20 quiet ctl_i status
# drained - every worker answers, with nothing left in its outbox
drained() {
	local j
	j=$(ctl_i status --json 2>/dev/null) &&
		[ "$(printf '%s\n' "$j" | grep -oE '"outbox": *[0-9]+' | wc -l)" -eq 5 ] &&
		! printf '%s\n' "$j" | grep -qE '"outbox": *[1-9]'
}
check "every worker's outbox drains, on every host" wait_for 30 drained

# ---- the end
cleanup
check "no insurance number in any log" bash -c "! grep -rqE '0100000[0-9]{3}' '$BASE'/*/log"
for host in ingest val1 val2 agg; do
	check_eq "$host: no sanitizer report in the logs" "" \
		"$(grep -rlE 'runtime error|AddressSanitizer|LeakSanitizer' "$BASE/$host" --include='*.log')"
	check_eq "$host: no worker died and was restarted" "" \
		"$(grep -rh 'restarting' "$BASE/$host" --include='supervisor.log')"
done
trap - EXIT
echo "$PASSES passed, $FAILS failed"
if [ "$FAILS" -eq 0 ] && [ -z "${KEEP_VAR:-}" ]; then rm -rf "$BASE"; else echo "var dirs kept: $BASE"; fi
exit $((FAILS > 0))
