#!/usr/bin/env bash
# test_supervise.sh - the supervisor's life cycle: up returns with every worker
# ready, a second up is harmless, status lists the workers, down stops every
# process, and a supervisor whose var dir disappears stops its workers. One
# set of workers per var dir: a killed supervisor's workers die with it, a
# second supervisor or worker of the same name refuses to start, and down and
# up stop workers left without a supervisor.
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

# one set of workers per var dir: a killed supervisor takes its workers along
check "up again" ctl up
sup=$(cat "$VAR/run/supervisor.pid")
p=$(pids)
kill -KILL "$sup"
check "SIGKILL of the supervisor: every worker follows it" wait_for 20 all_gone $p
check "...and up starts a fresh set" ctl up
check_eq "...four live workers" 4 "$(ctl status | grep -c ' ready ')"
check "a second supervisor refuses the same var dir" bash -c "'$CTL' --config '$CONFIG' --var-dir '$VAR' supervise 2>&1 | grep -q 'already runs'"
"$BIN/bhxh-validate" --config "$CONFIG" --var-dir "$VAR" 2>"$VAR/second.err"
check_eq "a second worker of the same name refuses to start (exit 3)" 3 "$?"
check "...saying which process runs" grep -q "another validate (pid $(worker_pid validate)) already runs" "$VAR/second.err"
# a worker left without a supervisor (one started by hand, say): down stops it too
ctl down >/dev/null
"$BIN/bhxh-aggregate" --config "$CONFIG" --var-dir "$VAR" 2>>"$VAR/stray.log" &
stray=$!
check "a stray worker runs" wait_for 10 grep -q '"state":"ready"' "$VAR/run/aggregate.status"
out=$(ctl down)
check "down stops a worker left without a supervisor" wait_for 20 all_gone "$stray"
check "...and says so" grep -q 'stopped 1 worker left without a supervisor' <<<"$out"
"$BIN/bhxh-aggregate" --config "$CONFIG" --var-dir "$VAR" 2>>"$VAR/stray.log" &
stray=$!
check "another stray worker runs" wait_for 10 grep -q "\"pid\":$stray" "$VAR/run/aggregate.status"
check "up stops it before starting its own" ctl up
check "...the stray is gone" wait_for 20 all_gone "$stray"
check_eq "...and four workers answer" 4 "$(ctl status | grep -c ' ready ')"
check "status exits 0 when every worker is ready" ctl status
check "status --json answers for every worker" bash -c "[ \$('$CTL' --config '$CONFIG' --var-dir '$VAR' status --json | grep -c '\"state\":\"ready\"') -eq 4 ]"
check "down --help prints the usage and stops nothing" bash -c "'$CTL' --config '$CONFIG' --var-dir '$VAR' down --help | grep -q usage"
check_eq "...four workers still answer" 4 "$(ctl status | grep -c ' ready ')"
check_eq "run/ and db/ are private to the pipeline's user" "700 700" "$(stat -c %a "$VAR/run") $(stat -c %a "$VAR/db")"
check_eq "databases are not world-readable" "" "$(find "$VAR/db" -name '*.db' -perm /o=rwx)"
check_eq "...nor group-writable" "" "$(find "$VAR/db" -name '*.db' -perm /g=w)"
ctl down >/dev/null

# a var dir removed under a running pipeline
VAR2=$(mktemp -d /tmp/bhxh-e2e.XXXXXX)
check "second pipeline starts" "$CTL" --config "$CONFIG" --var-dir "$VAR2" up
sup=$(cat "$VAR2/run/supervisor.pid")
p=$(VAR=$VAR2 pids)
rm -rf "$VAR2"
check "its supervisor stops when the var dir is removed" wait_for 10 all_gone "$sup"
check "and so do its workers" wait_for 20 all_gone $p
finish
