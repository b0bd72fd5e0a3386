#!/usr/bin/env bash
# test_adv_curve.sh - hostile peers and operators against a CURVE pipeline on
# 127.0.0.1 (one validator), with real processes and sockets.
#
# 1. Connections that never show a key (plain TCP, no handshake) are closed
#    within the handshake interval (5 s), so they cannot hold the worker's
#    file descriptors: with 256 descriptors and 400 such connections the
#    aggregate answers again within 12 s.
. "$(dirname "$0")/lib.sh"
BASE=$VAR
KEYS=$BASE/keys
H=tcp://127.0.0.1
read -r P1 P2 P3 P4 P7 P8 P9 P10 <<<"$(python3 "$ROOT/tests/e2e/free_ports.py" 8)"
# write_conf AGG_BIND - the configuration, the aggregate's data socket at AGG_BIND
write_conf() {
	sed -e "s|^schemas: .*|schemas: $ROOT/config/schemas.yaml|" \
		-e "s|^findings: .*|findings: $ROOT/config/findings.yaml|" \
		-e "s|^alerting: .*|alerting: $ROOT/config/alerting.yaml|" "$ROOT/config/bhxh.yaml"
	printf '%s\n' "endpoints:
  ingest:    { bind: \"$H:$P1\", control: \"$H:$P2\" }
  validate:  { bind: \"$H:$P3\", control: \"$H:$P4\" }
  aggregate: { bind: \"$1\", control: \"$H:$P8\" }
  alert:     { bind: \"$H:$P9\", control: \"$H:$P10\" }"
	curve_block "$KEYS" ingest validate aggregate alert operator
}
CONFIG=$BASE/curve.yaml
write_conf "$H:$P7" >"$CONFIG"
VAR=$BASE/v
mkdir -p "$VAR"
status_field() {
	ctl status --json 2>/dev/null | grep "\"name\":\"$1\"" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" | head -1
}
aggregate_answers() { ctl status --json 2>/dev/null | grep -q '"name":"aggregate","pid"'; }

# ---- 1. descriptors held by connections without a key
check "pipeline starts with 256 descriptors per worker" bash -c "ulimit -n 256 && $(printf '%q ' "$CTL") --config $(printf '%q' "$CONFIG") --var-dir $(printf '%q' "$VAR") up >/dev/null"
python3 - "$P7" 400 25 >"$BASE/idle.out" 2>&1 <<'PY' &
import socket, sys, time
port, n, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
ss = []
for i in range(n):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))  # not waited for: the backlog fills when the worker stops accepting
    ss.append(s)
print("open", len(ss), flush=True)
time.sleep(hold)
PY
IDLE=$!
check "idle connections: opened" wait_for 10 grep -q "open 400" "$BASE/idle.out"
t0=$SECONDS
check "idle connections: the aggregate answers again within 12 s" wait_for 12 aggregate_answers
echo "# the aggregate answered $((SECONDS - t0)) s after the connections were opened (they are held 25 s)"
kill "$IDLE" 2>/dev/null
wait "$IDLE" 2>/dev/null

finish
