#!/usr/bin/env bash
# test_metrics.sh - metrics and health over HTTP. The pipeline runs with
# metrics.listen on a free port: GET /metrics answers Prometheus text (format
# 0.0.4) whose every sample has its family's HELP and TYPE and parses; a
# submitted file moves the counters (messages, rows read, checked and applied,
# files applied) and gives its agency's last-applied age; /healthz says ok;
# other methods get 405, other paths 404. `bhxhctl serve-metrics` serves the
# same in the foreground and stops on SIGTERM. A worker stopped with SIGSTOP
# (it does not answer) makes /healthz 503 naming it, with up 0, within the
# bounded time; parallel scrapes all answer and do not pile up threads. A
# killed worker's restart shows in restarts and starts.
. "$(dirname "$0")/lib.sh"
ALLOW_RESTARTS=1 # part 5 kills a worker on purpose

read -r PORT PORT2 <<<"$(python3 "$ROOT/tests/e2e/free_ports.py" 2)"
CONFIG=$VAR/bhxh.yaml
sed -e "s|^schemas: .*|schemas: $ROOT/config/schemas.yaml|" \
	-e "s|^findings: .*|findings: $ROOT/config/findings.yaml|" \
	-e "s|^alerting: .*|alerting: $ROOT/config/alerting.yaml|" "$ROOT/config/bhxh.yaml" >"$CONFIG"
printf 'metrics: { listen: "127.0.0.1:%s" }\n' "$PORT" >>"$CONFIG"
URL=http://127.0.0.1:$PORT
SPID= # serve-metrics, part 3
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; ctl down >/dev/null 2>&1' EXIT

# scrape [URL] - GET /metrics into $VAR/m.txt
scrape() { curl -sS --max-time 10 -o "$VAR/m.txt" "${1:-$URL}/metrics"; }
# metric SERIES - its value in the last scrape ("" if absent)
metric() { awk -v k="$1" '$1 == k { print $2 }' "$VAR/m.txt"; }
# metric_is SERIES VALUE - scrape again until SERIES has VALUE
metric_is() { scrape && [ "$(metric "$1")" = "$2" ]; }
# code PATH [CURL-ARGS] - the HTTP status of a request
code() { local p=$1; shift; curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$@" "$URL$p"; }
health_is() { [ "$(curl -sS --max-time 10 -o "$VAR/h.txt" -w '%{http_code}' "$URL/healthz")" = "$1" ]; }

# format.py FILE - the exposition format 0.0.4: prints problems, exits 1 if any
cat >"$VAR/format.py" <<'PY'
import re, sys
name = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
sample = re.compile(r'^(%s)(\{%s(?:,%s)*\})? (\S+)$' % (name, label, label))
help_re = re.compile(r'^# HELP (%s) (.*)$' % name)
type_re = re.compile(r'^# TYPE (%s) (counter|gauge|untyped|summary|histogram)$' % name)
helps, types, done, series, bad = {}, {}, set(), set(), []
current = None
text = open(sys.argv[1], encoding='utf-8').read()
if not text.endswith('\n'):
    bad.append('no final line feed')
for n, line in enumerate(text.splitlines(), 1):
    m = help_re.match(line)
    if m:
        if m.group(1) in helps:
            bad.append('%d: second HELP for %s' % (n, m.group(1)))
        helps[m.group(1)] = m.group(2)
        if current and current != m.group(1):
            done.add(current)
        current = m.group(1)
        continue
    m = type_re.match(line)
    if m:
        if m.group(1) in types or m.group(1) != current:
            bad.append('%d: TYPE out of place for %s' % (n, m.group(1)))
        types[m.group(1)] = m.group(2)
        continue
    m = sample.match(line)
    if not m:
        bad.append('%d: not a sample: %r' % (n, line))
        continue
    fam = m.group(1)
    if fam not in helps or fam not in types:
        bad.append('%d: %s has no HELP or TYPE' % (n, fam))
    if fam != current or fam in done:
        bad.append('%d: %s is not with its family' % (n, fam))
    if types.get(fam) == 'counter' and not fam.endswith('_total'):
        bad.append('%d: counter %s does not end in _total' % (n, fam))
    try:
        float(m.group(3))
    except ValueError:
        bad.append('%d: value %r' % (n, m.group(3)))
    key = fam + (m.group(2) or '')
    if key in series:
        bad.append('%d: %s twice' % (n, key))
    series.add(key)
for b in bad:
    print(b)
sys.exit(1 if bad or not series else 0)
PY

# ---- 1. the supervisor serves the metrics
check "up with metrics.listen" ctl up
check "the supervisor answers GET /metrics once up returns" scrape
check "the text follows the exposition format (HELP and TYPE, labels, values)" /usr/bin/python3 "$VAR/format.py" "$VAR/m.txt"
check "its content type says format 0.0.4" bash -c "curl -sS -D - -o /dev/null '$URL/metrics' | grep -qi '^content-type: text/plain; version=0.0.4'"
for w in ingest validate aggregate alert; do
	check_eq "$w is up and ready" "1 1" "$(metric "bhxh_worker_up{worker=\"$w\"}") $(metric "bhxh_worker_state{worker=\"$w\",state=\"ready\"}")"
done
check "restarts come from the supervisor's state file" wait_for 10 metric_is 'bhxh_worker_restarts_total{worker="aggregate"}' 0
check_eq "the aggregate started once" 1 "$(metric 'bhxh_worker_starts_total{worker="aggregate"}')"
check_eq "no file applied yet: no last-applied age" "" "$(metric 'bhxh_aggregate_last_applied_age_seconds{worker="aggregate",agency="bhxh"}')"
check "healthz: 200 ok" health_is 200
check_eq "...saying ok" ok "$(cat "$VAR/h.txt")"
in0=$(metric 'bhxh_worker_messages_in_total{worker="validate"}')

# ---- 2. a file moves the counters
check "a file is submitted and applied" ctl submit --agency bhxh --wait "$FIX/participant_2017-04.csv"
check "files applied: 1" wait_for 10 metric_is 'bhxh_aggregate_files_total{worker="aggregate",outcome="applied"}' 1
check_eq "rows read by ingest: 2" 2 "$(metric 'bhxh_ingest_rows_read_total{worker="ingest"}')"
check_eq "files taken by ingest: 1" 1 "$(metric 'bhxh_ingest_files_taken_total{worker="ingest"}')"
check_eq "rows checked by validate: 2" 2 "$(metric 'bhxh_validate_rows_checked_total{worker="validate"}')"
check_eq "rows applied: 2" 2 "$(metric 'bhxh_aggregate_rows_applied_total{worker="aggregate"}')"
check "validate took messages in" test "$(metric 'bhxh_worker_messages_in_total{worker="validate"}')" -gt "${in0:-0}"
check "ingest sent messages" test "$(metric 'bhxh_worker_messages_out_total{worker="ingest"}')" -gt 0
age=$(metric 'bhxh_aggregate_last_applied_age_seconds{worker="aggregate",agency="bhxh"}')
check "the agency's last applied file has an age (0-60 s: $age)" test -n "$age" -a "${age:-99}" -ge 0 -a "${age:-99}" -le 60
check_eq "only agencies with an applied file have one" 1 "$(grep -c '^bhxh_aggregate_last_applied_age_seconds{' "$VAR/m.txt")"
check_eq "the outbox backlog is drained" 0 "$(metric 'bhxh_worker_outbox_messages{worker="ingest"}')"
check "still the exposition format" /usr/bin/python3 "$VAR/format.py" "$VAR/m.txt"

# ---- 3. only GET, only two paths; serve-metrics in the foreground
check_eq "POST /metrics: 405" 405 "$(code /metrics -X POST -d x=1)"
check_eq "PUT /healthz: 405" 405 "$(code /healthz -X PUT -d x)"
check "405 says Allow: GET" bash -c "curl -sS -D - -o /dev/null -X DELETE '$URL/metrics' | grep -qi '^allow: GET'"
check_eq "GET /other: 404" 404 "$(code /other)"
"$CTL" --config "$CONFIG" --var-dir "$VAR" serve-metrics --listen "127.0.0.1:$PORT2" >"$VAR/serve.out" 2>&1 &
SPID=$!
check "serve-metrics answers on its own port" wait_for 10 scrape "http://127.0.0.1:$PORT2"
check_eq "...with the same workers up" 4 "$(grep -c '^bhxh_worker_up{.*} 1$' "$VAR/m.txt")"
check "...in the exposition format" /usr/bin/python3 "$VAR/format.py" "$VAR/m.txt"
kill -TERM "$SPID"
serve_gone() { ! kill -0 "$SPID" 2>/dev/null; }
check "serve-metrics stops on SIGTERM" wait_for 10 serve_gone
wait "$SPID"
check_eq "...with status 0" 0 "$?"
SPID=
"$CTL" --config "$CONFIG" --var-dir "$VAR" serve-metrics >"$VAR/busy.out" 2>&1
check_eq "serve-metrics on the supervisor's port exits 1" 1 "$?"
check "...saying the port cannot be had" grep -q "cannot listen on 127.0.0.1:$PORT" "$VAR/busy.out"

# ---- 4. a worker that does not answer
VPID=$(worker_pid validate)
SUP=$(cat "$VAR/run/supervisor.pid")
kill -STOP "$VPID"
for i in $(seq 1 12); do
	curl -sS --max-time 10 -o "$VAR/par-$i.txt" -w '%{http_code} %{time_total}\n' "$URL/metrics" >>"$VAR/par.txt" &
done
threads=0
# wait_scrapes - all twelve ended; meanwhile the most threads the supervisor had
wait_scrapes() {
	local n
	n=$(ls /proc/"$SUP"/task 2>/dev/null | wc -l)
	[ "$n" -gt "$threads" ] && threads=$n
	[ "$(wc -l <"$VAR/par.txt")" -ge 12 ]
}
check "twelve parallel scrapes while a worker does not answer all end" wait_for 15 wait_scrapes
check_eq "...each with 200" 12 "$(grep -c '^200 ' "$VAR/par.txt")"
slowest=$(sort -k2 -n "$VAR/par.txt" | tail -1 | cut -d' ' -f2)
check "...each within 3 s (slowest ${slowest}s)" python3 -c "import sys; sys.exit(0 if float('$slowest') < 3 else 1)"
check "the supervisor's threads stay bounded meanwhile (at most $threads seen)" test "$threads" -le 40
cp "$VAR/par-1.txt" "$VAR/m.txt"
check_eq "the stopped worker's up is 0, the others 1" "0 1" "$(metric 'bhxh_worker_up{worker="validate"}') $(metric 'bhxh_worker_up{worker="ingest"}')"
check "healthz is 503" wait_for 10 health_is 503
check "...naming the stopped worker and why" grep -q "^validate: not answering at ipc://$VAR/run/validate.ctl" "$VAR/h.txt"
check_eq "...and only it" 1 "$(wc -l <"$VAR/h.txt")"
kill -CONT "$VPID"
check "the validator answers again: healthz 200" wait_for 10 health_is 200

# ---- 5. a restart shows
kill -KILL "$(worker_pid aggregate)"
check "a killed aggregate's restart is counted" wait_for 20 metric_is 'bhxh_worker_restarts_total{worker="aggregate"}' 1
check "...and it counts its own second start" wait_for 20 metric_is 'bhxh_worker_starts_total{worker="aggregate"}' 2
check "files applied survive the restart (from its database)" wait_for 10 metric_is 'bhxh_aggregate_files_total{worker="aggregate",outcome="applied"}' 1
check "healthz 200 again" wait_for 20 health_is 200
finish
