#!/usr/bin/env bash
# test_alert_durable.sh - delivery survives outages: the SMTP server down for a
# while, then up: every notice arrives, once; the alert worker SIGKILLed while
# an e-mail is in the middle of DATA and restarted: nothing lost, the
# duplicate counted, at most one per notice that was in flight.
ALLOW_RESTARTS=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/alert_lib.sh"

alert_setup_config
start_smtp "$VAR/mail"
port=$SMTP_PORT
kill "$SMTP_PID"
wait "$SMTP_PID" 2>/dev/null
export TZ=UTC BHXH_SMTP_URL="smtp://127.0.0.1:$port"
check "pipeline starts with the SMTP server down" ctl up

inject <<'T'
not_enrolled	0300588569	061	2017-03	critical	new	Công ty TNHH Ba Bể	12	10
arrears	DV00123	062	2017-03	critical	new	Công ty Ngân Sơn	12	12
T
failed_attempts() { [ "$(sqlite3 "$VAR/db/alert.db" "SELECT coalesce((SELECT value FROM stat WHERE key='failed_attempts'), 0)")" -ge "$1" ]; }
check "delivery is retried while the server is down" wait_for 30 failed_attempts 3
check_eq "nothing arrived while it was down" 0 "$(mail_count)"
has_files() { ls "$VAR"/notices/union/*.json >/dev/null 2>&1; }
check "notice files are written meanwhile" wait_for 30 has_files
start_smtp "$VAR/mail" --port "$port"
check "after the server is back every e-mail is delivered" wait_for 60 all_delivered
expected=$(sqlite3 "$VAR/db/alert.db" "SELECT count(*) FROM delivery WHERE channel = 'email'")
mail_index
check_eq "every notice arrived: one e-mail per notice and receiver" "$expected" "$(mail_count)"
check_eq "each arrived once" "" "$(cut -f4 "$VAR/mail.idx" | sort | uniq -d)"
check "there were e-mails to send (bhxh, dolisa, union, district)" test "$expected" -ge 5

# kill the worker while the sink holds DATA; the restarted worker resends
touch "$VAR/mail/hold"
rm -f "$VAR/mail/holding"
pid=$(worker_pid alert)
inject <<'T'
under_declared	0100109106	063	2017-04	critical	new	Công ty Bạch Thông	15	10
T
check "an e-mail is in the middle of DATA" wait_for 30 test -e "$VAR/mail/holding"
kill -KILL "$pid"
restarted() { local p; p=$(worker_pid alert); [ -n "$p" ] && [ "$p" != "$pid" ] && kill -0 "$p" 2>/dev/null; }
check "the supervisor restarts the alert worker" wait_for 60 restarted
rm -f "$VAR/mail/hold"
check "after the restart every e-mail is delivered" wait_for 60 all_delivered
expected=$(sqlite3 "$VAR/db/alert.db" "SELECT count(*) FROM delivery WHERE channel = 'email'")
mail_index
dups=$(cut -f4 "$VAR/mail.idx" | sed 's/\.[0-9]*@.*//' | sort | uniq -d | wc -l)
uniq_n=$(cut -f4 "$VAR/mail.idx" | sort -u | wc -l)
check_eq "nothing lost: every e-mail delivery arrived" "$expected" "$uniq_n"
check "at most one duplicate (the notice in flight)" test "$dups" -le 1
check_eq "the possible duplicate is counted" 1 "$(sqlite3 "$VAR/db/alert.db" "SELECT value FROM stat WHERE key = 'possible_duplicates'")"
check "the new finding reached the district" grep -q 'Bạch Thông' $(mail_to_all ubnd.063@backan.gov.vn | sed 's/$/.body/')
finish
