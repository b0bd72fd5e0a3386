#!/usr/bin/env bash
# test_notify.sh - the systemd notification protocol (common/notify.h) against a
# stand-in socket (tests/e2e/notify_listen.py): a worker started with
# NOTIFY_SOCKET (a path) and WATCHDOG_USEC sends READY=1, STATUS= with its state,
# WATCHDOG=1 from its loop at half the interval, STOPPING=1 on SIGTERM, and no
# ping while its loop is stopped; the supervisor (`bhxhctl supervise`, abstract
# socket '@...') sends READY=1 only once every worker answers, keeps the
# variables from its workers, pings, and says STOPPING=1.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
LISTENERS=()
cleanup() { for p in "${LISTENERS[@]}"; do kill "$p" 2>/dev/null; done; }
trap 'cleanup; ctl down >/dev/null 2>&1' EXIT

# listen SOCKET OUT - start a listener; wait until it listens
listen() {
	"$PY" "$ROOT/tests/e2e/notify_listen.py" "$1" "$2" &
	LISTENERS+=($!)
	wait_for 10 grep -q listening "$2" 2>/dev/null
}
has() { grep -q " $2" "$1" 2>/dev/null; }                       # has OUT TEXT - a datagram starting with TEXT
count() { grep -c " $2" "$1"; }
# gaps OUT - the ms between consecutive WATCHDOG=1, one a line
gaps() { awk '/ WATCHDOG=1/ { if (t) print $1 - t; t = $1 }' "$1"; }

# ---- one worker, socket by path, watchdog 1 s
N=$VAR/n1.out
listen "$VAR/notify.sock" "$N" || not_ok "listener starts"
mkdir -p "$VAR/spool/incoming/bhxh"
NOTIFY_SOCKET=$VAR/notify.sock WATCHDOG_USEC=1000000 "$BIN/bhxh-ingest" --config "$CONFIG" --var-dir "$VAR" \
	2>>"$VAR/ingest.err" &
W=$!
check "worker: READY=1" wait_for 10 has "$N" READY=1
check "worker: STATUS= its state before READY=1" bash -c "grep -m1 -B100 ' READY=1' '$N' | grep -q ' STATUS=ready'"
check "worker: several WATCHDOG=1 (5 within 5 s)" wait_for 5 bash -c "[ \$(grep -c ' WATCHDOG=1' '$N') -ge 5 ]"
max=$(gaps "$N" | sort -n | tail -1)
min=$(gaps "$N" | sort -n | head -1)
check "worker: a ping at least every 1000 ms (longest gap $max ms)" test "${max:-9999}" -le 1000
check "worker: ...at about half the interval, not more often (shortest gap $min ms)" test "${min:-0}" -ge 400
check_eq "worker: every datagram from the worker's own pid" "$W" "$(awk '$2 != 0 && !/listening/ { print $2 }' "$N" | sort -u)"
# a hung loop is caught: while the process does not run its loop, no ping
kill -STOP "$W"
n=$(count "$N" WATCHDOG=1)
# (a ping must not come in two whole intervals)
if wait_for 2 bash -c "[ \$(grep -c ' WATCHDOG=1' '$N') -gt $n ]"; then
	not_ok "worker: no WATCHDOG=1 while its loop does not run"
else
	ok "worker: no WATCHDOG=1 while its loop does not run"
fi
kill -CONT "$W"
check "worker: pings again when the loop runs again" wait_for 3 bash -c "[ \$(grep -c ' WATCHDOG=1' '$N') -gt $n ]"
# a state change: a file to read makes it busy, reported as STATUS=busy: ...
# (more batches than ingest.window, and no validator to acknowledge them: it stays busy)
cp "$ROOT/config/sample/participant_2017-03.csv" "$VAR/spool/incoming/bhxh/.p.part"
mv "$VAR/spool/incoming/bhxh/.p.part" "$VAR/spool/incoming/bhxh/participant_2017-03.csv"
check "worker: STATUS= follows its state (busy, with why)" wait_for 10 grep -q ' STATUS=busy: reading bhxh/participant_2017-03.csv$' "$N"
kill -TERM "$W"
check "worker: STOPPING=1 on SIGTERM" wait_for 20 has "$N" STOPPING=1
wait "$W"
check_eq "worker: exits 0" 0 "$?"
check_eq "worker: its log has no NOTIFY error" "" "$(grep -i notify "$VAR/ingest.err")"

# ---- no NOTIFY_SOCKET: nothing sent, the worker runs as before
"$BIN/bhxh-validate" --config "$CONFIG" --var-dir "$VAR" 2>>"$VAR/validate.err" &
W=$!
check "without NOTIFY_SOCKET a worker starts as before" wait_for 10 grep -qs '"state":"ready"' "$VAR/run/validate.status"
kill -TERM "$W"
wait "$W"
check_eq "...and stops with 0" 0 "$?"

# ---- the supervisor, abstract socket, watchdog 2 s
S=$VAR/sup.out
SOCK=@bhxh-test-notify-$$
listen "$SOCK" "$S" || not_ok "listener starts (abstract)"
NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=2000000 "$CTL" --config "$CONFIG" --var-dir "$VAR" supervise 2>>"$VAR/sup.err" &
SUP=$!
check "supervisor: READY=1" wait_for 30 has "$S" READY=1
check "supervisor: ...when every worker answers" bash -c "'$CTL' --config '$CONFIG' --var-dir '$VAR' status >/dev/null"
check "supervisor: STATUS= says so" grep -q ' READY=1|STATUS=4 workers answer' "$S"
check "supervisor: pings (3 within 4 s)" wait_for 4 bash -c "[ \$(grep -c ' WATCHDOG=1' '$S') -ge 3 ]"
max=$(gaps "$S" | sort -n | tail -1)
check "supervisor: a ping at least every 2000 ms (longest gap $max ms)" test "${max:-9999}" -le 2000
check_eq "supervisor: every datagram from the supervisor, none from a worker" "$SUP" \
	"$(awk '$2 != 0 && !/listening/ { print $2 }' "$S" | sort -u)"
wp=$(worker_pid aggregate)
check "supervisor: its workers do not inherit NOTIFY_SOCKET" bash -c "! tr '\\0' '\\n' </proc/$wp/environ | grep -q '^NOTIFY_SOCKET='"
kill -KILL "$wp"
check "supervisor: STATUS= when a worker is restarted" wait_for 10 grep -q ' STATUS=4 of 4 workers running; 1 restart, the last of aggregate (exit status -9)$' "$S"
kill -TERM "$SUP"
check "supervisor: STOPPING=1 on SIGTERM" wait_for 20 has "$S" STOPPING=1
wait "$SUP"
check_eq "supervisor: exits 0" 0 "$?"
ALLOW_RESTARTS=1
finish
