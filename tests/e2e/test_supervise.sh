#!/usr/bin/env bash
# test_supervise.sh - the supervisor's life cycle: up returns with every worker
# ready, a second up is harmless, status lists the workers, down stops every
# process, and a supervisor whose var dir disappears stops its workers.
. "$(dirname "$0")/lib.sh"

pids() { for w in ingest validate aggregate alert; do worker_pid "$w"; done; }
all_gone() { for p in "$@"; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }

check "up returns once the workers are ready" ctl up
for w in ingest validate aggregate alert; do
	check "$w reports ready" grep -q '"state":"ready"' "$VAR/run/$w.status"
done
check "a second up says it is already running" bash -c "'$CTL' --config '$CONFIG' --var-dir '$VAR' up | grep -q 'already running'"
check_eq "status lists four live workers" 4 "$(ctl status | grep -c ' ready ')"
sup=$(cat "$VAR/run/supervisor.pid")
p=$(pids)
check "down stops" ctl down
check "down: the supervisor is gone" wait_for 10 all_gone "$sup"
check "down: every worker is gone" wait_for 10 all_gone $p
check "status says not running" bash -c "! '$CTL' --config '$CONFIG' --var-dir '$VAR' status >/dev/null"

# a var dir removed under a running pipeline
VAR2=$(mktemp -d /tmp/bhxh-e2e.XXXXXX)
check "second pipeline starts" "$CTL" --config "$CONFIG" --var-dir "$VAR2" up
sup=$(cat "$VAR2/run/supervisor.pid")
p=$(VAR=$VAR2 pids)
rm -rf "$VAR2"
check "its supervisor stops when the var dir is removed" wait_for 10 all_gone "$sup"
check "and so do its workers" wait_for 20 all_gone $p
finish
