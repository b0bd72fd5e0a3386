#!/usr/bin/env bash
# test_adv_curve.sh - hostile peers and operators against a CURVE pipeline on
# 127.0.0.1 (one validator), with real processes and sockets.
#
# 1. Connections that never show a key (plain TCP, no handshake) are closed
#    within the handshake interval (5 s), so they cannot hold the worker's
#    file descriptors: with 256 descriptors and 400 such connections the
#    aggregate answers again within 12 s.
# 2. A reload to a port another process holds: the aggregate goes back to
#    its old sockets and files still flow.
# 3. 180 connections at once with a key nobody listed: refused and counted,
#    the worker answers meanwhile, at most 10 log lines, memory flat.
# 4. Operator commands with odd arguments: report with quotes and
#    wildcards, silences whose author, comment or matchers hold control
#    characters (silence-list prints them raw) or are too long, an end out
#    of range.
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

# ---- 2. a reload to a port another process holds: back to the old sockets
read -r PX <<<"$(python3 "$ROOT/tests/e2e/free_ports.py" 1)"
python3 - "$PX" >"$BASE/holder.out" 2>&1 <<'PY' &
import signal, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(5)
print("holding", flush=True)
signal.pause()  # until the test kills it
PY
HOLDER=$!
check "port holder: listening" wait_for 10 grep -q holding "$BASE/holder.out"
pid_agg=$(status_field aggregate pid)
cp "$CONFIG" "$BASE/good.yaml"
write_conf "$H:$PX" >"$CONFIG"
kill -HUP "$pid_agg"
check "reload to a port in use: the aggregate says it went back to the old sockets" wait_for 15 grep -q \
	"the new endpoints or keys cannot be used (see the log); back to the old" "$VAR/log/aggregate.log"
cp "$BASE/good.yaml" "$CONFIG"
check "reload to a port in use: the aggregate answers" wait_for 10 aggregate_answers
check_eq "reload to a port in use: the same process" "$pid_agg" "$(status_field aggregate pid)"
ctl submit --agency bhxh --wait --timeout 30 --format json "$FIX/participant_2017-03.csv" >"$BASE/after-reload.json"
check_eq "reload to a port in use: a file sent after is applied (old data socket)" applied \
	"$(json_field "$BASE/after-reload.json" status)"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null

# ---- 3. many connections at once with keys nobody listed
pub() { sed -n 's/^public-key = "\(.*\)"$/\1/p' "$1"; }
mkdir -p "$BASE/stranger"
"$CTL" keygen --dir "$BASE/stranger" validate >/dev/null 2>&1
AGG_PUB=$(pub "$KEYS/aggregate.key")
pid_agg=$(status_field aggregate pid)
rss() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$pid_agg/status"; }
rss0=$(rss)
refused0=$(status_field aggregate refused_connections)
lines0=$(grep -c "refused a connection" "$VAR/log/aggregate.log")
for round in 1 2 3; do
	for i in $(seq 1 60); do
		"$BIN/tests/zforge" "$H:$P7" end --file-no 999 --file-id forged --name f.csv --curve-key "$BASE/stranger/validate.key" \
			--server-key "$AGG_PUB" --hold-ms 2000 --linger-ms 0 >/dev/null 2>&1 &
	done
	check "bad keys, round $round: the aggregate answers meanwhile" wait_for 5 aggregate_answers
	wait
done
refused=$(status_field aggregate refused_connections)
check "bad keys: at least 180 connections refused and counted" test "$((refused - refused0))" -ge 180
lines=$(grep -c "refused a connection" "$VAR/log/aggregate.log")
check "bad keys: at most 10 log lines a minute for them" test "$((lines - lines0))" -le 10
rss1=$(rss)
echo "# aggregate RSS ${rss0} kB before, ${rss1} kB after; $((refused - refused0)) refused"
check "bad keys: the aggregate's memory grows by less than 20 MB" test "$((rss1 - rss0))" -lt 20000
check_eq "bad keys: nothing forged was stored" 0 "$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM stage_end WHERE file_no = 999")"

# ---- 4. operator commands with odd arguments over tcp
OP=(--curve-key "$KEYS/operator.key" --linger-ms 0)
ALERT_PUB=$(pub "$KEYS/alert.key")
zctl() { "$BIN/tests/zforge" "$1" ctl --server-key "$2" "${OP[@]}" "${@:3}" 2>&1; }
out=$(zctl "$H:$P8" "$AGG_PUB" --cmd report --arg coverage --arg "x' OR 1=1 --" --arg "%" --arg csv)
check_eq "report with quotes and wildcards: a header, no rows" 1 "$(printf '%s\n' "$out" | grep -c .)"
out=$(zctl "$H:$P8" "$AGG_PUB" --cmd report --arg coverage --arg "" --arg "" --arg json --arg extra)
check "report with five arguments: refused with its usage" grep -q "report needs" <<<"$out"
out=$(zctl "$H:$P10" "$ALERT_PUB" --cmd silence-add --arg $'a\e[31m' --arg c --arg 9000000000000 --arg kind=x)
check "silence-add: an author with a terminal escape is refused" grep -q "author holds a control character" <<<"$out"
out=$(zctl "$H:$P10" "$ALERT_PUB" --cmd silence-add --arg a --arg $'c\rforged' --arg 9000000000000 --arg kind=x)
check "silence-add: a comment with a carriage return is refused" grep -q "comment holds a control character" <<<"$out"
out=$(zctl "$H:$P10" "$ALERT_PUB" --cmd silence-add --arg a --arg "$(printf '%01001d' 0)" --arg 9000000000000 --arg kind=x)
check "silence-add: a comment of 1001 bytes is refused" grep -q "comment is longer than 1000 bytes" <<<"$out"
out=$(zctl "$H:$P10" "$ALERT_PUB" --cmd silence-add --arg a --arg c --arg 99999999999999999999 --arg kind=x)
check "silence-add: an end out of range is refused, not taken as forever" grep -q "is not a future time" <<<"$out"
out=$(zctl "$H:$P10" "$ALERT_PUB" --cmd silence-add --arg a --arg c --arg 9000000000000 --arg $'kind=x\ry')
check "silence-add: a matcher with a carriage return is refused" grep -q "matcher holds a control character" <<<"$out"
check_eq "silence-add: none of them was stored" 0 "$(sqlite3 "$VAR/db/alert.db" "SELECT count(*) FROM silence")"
out=$(zctl "$H:$P10" "$ALERT_PUB" --cmd silence-add --arg "Lê Bình" --arg "bảo trì" --arg 9000000000000 --arg kind=x)
check_eq "silence-add: a plain one is stored" 1 "$out"

finish
