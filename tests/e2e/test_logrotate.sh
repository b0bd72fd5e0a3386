#!/usr/bin/env bash
# test_logrotate.sh - the logs of a running pipeline rotated with the shipped
# deploy/logrotate.d/bhxh (paths and user adapted to this var dir): after the
# files are moved, its postrotate (`bhxhctl reload`) makes the supervisor reopen
# supervisor.log and pass SIGHUP on, and every worker writes to a new NAME.log,
# none to the moved one, none restarted. Without logrotate the files are moved
# by hand ("# skipped: ..." says so).
. "$(dirname "$0")/lib.sh"

WORKERS="ingest validate aggregate alert"
check "up" ctl up
for w in $WORKERS supervisor; do
	check "$w.log exists" test -s "$VAR/log/$w.log"
done
if command -v logrotate >/dev/null; then
	sed -e "s|/var/lib/bhxh|$VAR|g" -e "s|/usr/local/bin/bhxhctl|$CTL|g" -e "s|/etc/bhxh/bhxh.yaml|$CONFIG|g" \
		-e "s/ bhxh bhxh\$/ $(id -un) $(id -gn)/" "$ROOT/deploy/logrotate.d/bhxh" >"$VAR/logrotate.conf"
	out=$(logrotate -f -s "$VAR/logrotate.state" "$VAR/logrotate.conf" 2>&1)
	check "logrotate -f with the shipped file" test $? -eq 0
	[ -z "$out" ] || echo "$out" | sed 's/^/  # /'
else
	echo "# skipped: logrotate not installed: files moved by hand, then bhxhctl reload"
	for w in $WORKERS supervisor; do mv "$VAR/log/$w.log" "$VAR/log/$w.log.1"; done
	ctl reload >/dev/null
fi
for w in $WORKERS supervisor; do
	check "$w.log moved to $w.log.1" test -s "$VAR/log/$w.log.1"
done
check "the supervisor reopened its log" wait_for 10 grep -qs 'SIGHUP: logs reopened, workers told to reload (4)' "$VAR/log/supervisor.log"
for w in $WORKERS; do
	check "$w writes to its new log" wait_for 10 grep -qs 'reloaded .*unchanged' "$VAR/log/$w.log"
	check_eq "...and not to the moved one" "" "$(grep 'reloaded' "$VAR/log/$w.log.1")"
done
check_eq "the moved supervisor log has no line after the rotation" "" "$(grep 'SIGHUP' "$VAR/log/supervisor.log.1")"
check "every worker still answers" wait_for 10 bash -c "'$CTL' --config '$CONFIG' --var-dir '$VAR' status >/dev/null"
# a second rotation: the .1 files are compressed (delaycompress), new ones again
if command -v logrotate >/dev/null; then
	logrotate -f -s "$VAR/logrotate.state" "$VAR/logrotate.conf"
	check "second rotation: ingest.log.2.gz" test -s "$VAR/log/ingest.log.2.gz"
	check "...and ingest writes to its new log" wait_for 10 grep -qs 'reloaded .*unchanged' "$VAR/log/ingest.log"
fi
finish
