#!/usr/bin/env bash
# test_alert_deliver.sh - delivery that nothing can block, and an alert worker
# that refuses what it must not trust; against the real SMTP sink (aiosmtpd)
# and HTTP receiver:
#   a. one recipient answered 550 among ten: the nine are delivered before the
#      tenth is dead-lettered after exactly retry.permanent_attempts attempts;
#      the status counts the dead letter; the operator gets a file notice
#   e. forged events (../ in a subject or an org unit, control characters, a
#      bad period, an unknown kind) are counted and dropped; nothing is written
#      outside VAR/notices
#   c. a webhook that hangs: e-mails and notice files still arrive
#   d. a webhook answering 404 is dead-lettered after 3 attempts (the operator
#      hears of it by file and e-mail); 503 and 429 are retried until they pass
#   b. an SMTP server that accepts connections and never answers: files and
#      webhooks still arrive, EVENTS are acknowledged within a second while an
#      e-mail attempt hangs, and after retry.give_up_after the e-mail is a
#      dead letter
#   f. the same changes with the worker SIGKILLed twice (changes waiting while
#      it is down) give the same notices as a worker that ran throughout
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/alert_lib.sh"

APID=   # an alert worker this test runs by itself (part f)
trap 'stop_sinks; [ -n "$APID" ] && kill "$APID" 2>/dev/null; ctl down >/dev/null 2>&1' EXIT

alert_setup_config
A=$VAR/cfg/alerting.yaml
sed -i -e 's/^\(  initial:\) .*/\1 500ms/' -e 's/^\(  max:\) .*/\1 2s/' \
	-e 's/^\(  day:\) 1 .*/\1 28/' -e 's/^\(  hour:\) 7/\1 23/' -e 's/^\(  repeat_interval:\) .*/\1 30d/' "$A"
# ten inspectors by e-mail, one of whom does not exist; idle agents go to them
sed -i -e 's/^receivers:$/&\n  - name: inspectors\n    role: labour_inspection\n    email: [insp1@ld.vn, insp2@ld.vn, insp3@ld.vn, insp4@ld.vn, insp5@ld.vn, insp6@ld.vn, insp7@ld.vn, insp8@ld.vn, insp9@ld.vn, insp10@ld.vn]/' \
	-e 's/^  routes:$/&\n    - match: { kind: idle_agent }\n      receiver: inspectors\n      continue: true/' "$A"
start_smtp "$VAR/mail" --reject insp4@ld.vn
start_http "$VAR/hook" hook-key
sed -i "s|^    role: social_security.*|&\n    webhook: { url: \"http://127.0.0.1:$HTTP_PORT/hook\", secret: hook-key, timeout: 3s }|" "$A"
export TZ=UTC BHXH_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT"
export BHXH_NOW=$(date -d '2017-04-15 10:00:00' +%s)
unset BHXH_SMTP_USER BHXH_SMTP_PASSWORD
check "configuration is valid" ctl check-config
check "pipeline starts" ctl up
DB=$VAR/db/alert.db
q() { sqlite3 "$DB" "$1" 2>/dev/null; }
# st KEY - a field of the alert worker's status file
st() { sed -n "s/.*\"$1\":\(\"[^\"]*\"\|[^,}]*\).*/\1/p" "$VAR/run/alert.status" 2>/dev/null | tr -d '"'; }
st_is() { [ "$(st "$1")" = "$2" ]; }
why_has() { [ "$(st state)" = degraded ] && st why | grep -q "$1"; }
# nid RECEIVER KIND SUBJECT - the notice of that receiver naming that alert
nid() { q "SELECT max(id) FROM outmsg WHERE receiver = '$1' AND instr(json, '\"kind\": \"$2\", \"subject\": \"$3\"') > 0"; }
# sent_of NOTICE [CHANNEL] - how many of its deliveries (by e-mail unless said) were sent
sent_of() { q "SELECT count(*) FROM delivery WHERE out_id = $1 AND channel = '${2:-email}' AND sent_at IS NOT NULL"; }
sent_is() { [ "$(sent_of "$1" "$2")" = "$3" ]; }
rcpt_env() { grep -l "^RCPT TO: $1\$" "$VAR"/mail/*.env 2>/dev/null | wc -l; }
hook_reqs() { awk -v n="$1" '$3 == n { printf "%s%s", sep, $2; sep = " " }' "$VAR/hook/requests.log" 2>/dev/null; }
none_pending() { [ "$(q "SELECT count(*) FROM delivery WHERE sent_at IS NULL AND dead_at IS NULL")" = 0 ]; }

# ---- e. forged events: refused, counted, never a path
FORGED=bhxh-forged-$$
PARENT=$(dirname "$VAR")
inject <<T
missing_data	../../../../$FORGED:participant	-	2017-03	warning	new	-	5	0
not_enrolled	0300588569	../../$FORGED	2017-03	critical	new	Công ty X	12	10
not_enrolled	0300\r\n588569	061	2017-03	critical	new	Công ty X	12	10
arrears	DV00123	062	2017-13	critical	new	Công ty Y	12	12
rm_rf	DV00123	062	2017-03	critical	new	Công ty Y	12	12
missing_data	cucthue:tax_employer	-	2017-03	warning	new	-	5	0
T
check "the forged events are counted (bad_events 5)" wait_for 10 st_is bad_events 5
check_eq "only the valid event is stored" "missing_data cucthue:tax_employer" "$(q "SELECT kind || ' ' || subject FROM notice")"
agency_filed() { ls "$VAR"/notices/agency-cucthue/*.json >/dev/null 2>&1; }
check "the valid event is told to the late agency" wait_for 30 agency_filed
check "nothing written beside the var dir" test ! -e "$PARENT/$FORGED"
check_eq "no file or folder anywhere is named after the forged data" "" \
	"$(find "$PARENT" -maxdepth 1 -name "$FORGED*"; find "$VAR" -name "*$FORGED*" -o -name '*..*')"
outside() { local f; for f in $(find "$VAR/notices" -type f); do case "$(realpath "$f")" in "$(realpath "$VAR/notices")"/*) ;; *) echo "$f" ;; esac; done; }
check_eq "every notice file is inside VAR/notices" "" "$(outside)"
check "the worker logs why it dropped them" grep -q 'dropped an invalid event.*missing_data subject is not a configured AGENCY:TYPE' "$VAR/log/alert.log"
check "a bad period is named as such" grep -q 'dropped an invalid event.*period is not YYYY-MM' "$VAR/log/alert.log"

# ---- a. one recipient answered 550 among ten
inject <<'T'
idle_agent	AG0001	061	2017-03	warning	new	Đại lý thu Ba Bể	6	3
T
check "the failing recipient makes the worker degraded, with the server's answer" wait_for 30 why_has 'e-mail: 550'
check "the failing delivery is dead-lettered" wait_for 60 st_is dead_letters 1
check "then nothing is failing: ready again" wait_for 10 st_is state ready
check "status notes the dead letter" bash -c "'$CTL' --config '$CONFIG' --var-dir '$VAR' status | grep -q '^alert: 0 deliveries are failing, 1 dead letter so far'"
N=$(nid inspectors idle_agent AG0001)
check "a notice to the inspectors" test -n "$N"
check_eq "one delivery per recipient" 10 "$(q "SELECT count(*) FROM delivery WHERE out_id = $N AND channel = 'email'")"
check "the nine others were delivered" wait_for 10 sent_is "$N" email 9
good=0
for i in 1 2 3 5 6 7 8 9 10; do [ "$(rcpt_env "insp$i@ld.vn")" = 1 ] && good=$((good + 1)); done
check_eq "each of the nine got exactly one e-mail" 9 "$good"
last_good=$(grep -n '^insp\([0-9]\|10\)@ld.vn 250$' "$VAR/mail/rcpt.log" | grep -v '^[0-9]*:insp4@' | tail -1 | cut -d: -f1)
third_refusal=$(grep -n '^insp4@ld.vn 550$' "$VAR/mail/rcpt.log" | sed -n 3p | cut -d: -f1)
check "the nine were delivered before the third refusal" test -n "$third_refusal" -a -n "$last_good" -a "${last_good:-0}" -lt "${third_refusal:-0}"
check_eq "the dead letter is marked in the store after 3 attempts" "3 3" \
	"$(q "SELECT attempts || ' ' || refusals FROM delivery WHERE out_id = $N AND recipients = 'insp4@ld.vn' AND dead_at IS NOT NULL")"
OPF=$(grep -l '"recipient": "insp4@ld.vn"' "$VAR"/notices/operator/*.json 2>/dev/null | head -1)
check "the operator gets a file notice about it" test -n "$OPF"
check "it names the notice, receiver, channel, recipient and the last error" grep -q \
	"\"dead_letter\": {\"notice\": $N, \"delivery\": [0-9]*, \"receiver\": \"inspectors\", \"role\": \"labour_inspection\", \"scope\": \"\", \"channel\": \"email\", \"recipient\": \"insp4@ld.vn\", \"attempts\": 3, \"last_error\": \"550 5.1.1" "$OPF"
check "the text file: Vietnamese first, English below" bash -c "head -2 '${OPF%.json}.txt' | grep -q 'Thông báo số $N không gửi được' && grep -q 'Notice $N could not be delivered' '${OPF%.json}.txt'"
check_eq "not by e-mail, the channel that failed" 0 "$(rcpt_env vanhanh@bhxh.backan.gov.vn)"
# a later notice is delivered: the dead letter was not tried again meanwhile
inject <<'T'
idle_agent	AG0002	062	2017-03	warning	new	Đại lý thu Ngân Sơn	7	3
T
N2=
later_done() { N2=$(nid inspectors idle_agent AG0002); [ -n "$N2" ] && [ "$(sent_of "$N2")" -ge 9 ] && st_is dead_letters 2; }
check "the next notice to the inspectors: nine sent, one more dead letter" wait_for 60 later_done
check_eq "the failing recipient was tried exactly 3 times for each of the two notices" 6 \
	"$(grep -c '^insp4@ld.vn 550$' "$VAR/mail/rcpt.log")"
check "bhxhctl status shows the alert worker ready" bash -c "'$CTL' --config '$CONFIG' --var-dir '$VAR' status | grep -q '^alert .* ready '"

# ---- c. a webhook that hangs: e-mails and files do not wait for it
check "everything so far is delivered or dead" wait_for 30 none_pending
touch "$VAR/hook/hang"
mails=$(mail_count)
inject <<'T'
not_enrolled	0100109106	061	2017-03	warning	new	Công ty CP Nà Phặc	3	1
T
check "the webhook is held by the receiver" wait_for 30 test -e "$VAR/hook/holding"
check "meanwhile the e-mails to bhxh, dolisa and district 061 arrive" wait_for 30 mail_count_is $((mails + 3))
NB=$(nid bhxh not_enrolled 0100109106)
check "and the notice files" bash -c "ls '$VAR'/notices/bhxh/$(printf %06d "$NB").json '$VAR'/notices/district-061/*.json >/dev/null"
check_eq "all before the webhook's first attempt even timed out (3 s)" "1 1" \
	"$(q "SELECT inflight || ' ' || attempts FROM delivery WHERE out_id = $NB AND channel = 'webhook' AND last_error IS NULL")"
check_eq "while the webhook is still not delivered" "" "$(q "SELECT sent_at FROM delivery WHERE out_id = $NB AND channel = 'webhook'")"
check "its timeout makes the worker degraded (webhook)" wait_for 30 why_has 'webhook: '
rm -f "$VAR/hook/hang"
check "once the receiver answers, the webhook is delivered" wait_for 30 sent_is "$NB" webhook 1
check "and the worker is ready again" wait_for 10 st_is state ready

# ---- d. webhook 4xx: refused, a dead letter after 3 attempts; 5xx and 429: retried
check "nothing pending" wait_for 30 none_pending
printf '404\n404\n404\n404\n404\n' >"$VAR/hook/answers"
inject <<'T'
unregistered	0300588570	064	2017-04	info	new	Công ty Chợ Đồn	1	0
T
check "a webhook answered 404 is dead-lettered" wait_for 30 st_is dead_letters 3
: >"$VAR/hook/answers"
N4=$(nid bhxh unregistered 0300588570)
check_eq "after exactly 3 attempts" "404 404 404" "$(hook_reqs "$N4")"
op_told() { grep -l "\"notice\": $N4, \"delivery\": [0-9]*, \"receiver\": \"bhxh\", \"role\": \"social_security\", \"scope\": \"\", \"channel\": \"webhook\", \"recipient\": \"\", \"attempts\": 3, \"last_error\": \"HTTP status 404\"" "$VAR"/notices/operator/*.json >/dev/null 2>&1; }
check "the operator is told by file" wait_for 30 op_told
op_mailed() { [ "$(rcpt_env vanhanh@bhxh.backan.gov.vn)" -ge 1 ]; }
check "and by e-mail (not the channel that failed)" wait_for 30 op_mailed
mail_index
check "the operator's e-mail names the notice and says webhook" grep -q "Thông báo số $N4 không gửi được tới bhxh (webhook)" <<<"$(mail_subject "$(mail_to vanhanh@bhxh.backan.gov.vn)")"
printf '503\n503\n' >"$VAR/hook/answers"
inject <<'T'
unregistered	0300588571	064	2017-04	info	new	Công ty Na Rì	1	0
T
N5=
retried() { N5=$(nid bhxh unregistered 0300588571); [ -n "$N5" ] && [ "$(hook_reqs "$N5")" = "503 503 200" ]; }
check "503 is retried until it passes (503, 503, 200)" wait_for 30 retried
check "delivered, signed" wait_for 10 sent_is "$N5" webhook 1
printf '429\n429\n429\n429\n' >"$VAR/hook/answers"
inject <<'T'
unregistered	0300588572	064	2017-04	info	new	Công ty Pác Nặm	1	0
T
N6=
retried429() { N6=$(nid bhxh unregistered 0300588572); [ -n "$N6" ] && [ "$(hook_reqs "$N6")" = "429 429 429 429 200" ]; }
check "429 is not a refusal: 4 times, then delivered on the 5th" wait_for 60 retried429
check_eq "no dead letter from 503 or 429" 3 "$(st dead_letters)"
check_eq "webhook signatures all valid" "" "$(ls "$VAR/hook" | grep bad-)"
check "all delivered or dead" wait_for 30 none_pending
check "ready" wait_for 10 st_is state ready
ctl down >/dev/null

# ---- b. an SMTP server that never answers
start_smtp "$VAR/mute" --mute
export BHXH_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT"
sed -i 's/^\(  give_up_after:\) .*/\1 8s/' "$A"
export BHXH_NOW=$((BHXH_NOW + 60)) # time goes on across the restart (the digests' intervals run on the clock)
check "pipeline restarts against a server that never answers" ctl up
hooks=$(ls "$VAR"/hook/*.json | wc -l)
inject <<'T'
arrears	DV00456	063	2017-04	critical	new	Công ty Bạch Thông	6	3
T
NA=
files_done() { NA=$(nid bhxh arrears DV00456); [ -n "$NA" ] && ls "$VAR"/notices/bhxh/$(printf %06d "$NA").json "$VAR"/notices/union/*.json >/dev/null 2>&1; }
check "notice files are written" wait_for 10 files_done
check "the webhook arrives" wait_for 10 hook_count_is $((hooks + 1))
email_inflight() { [ "$(q "SELECT count(*) FROM delivery WHERE channel = 'email' AND inflight = 1 AND sent_at IS NULL")" -ge 1 ]; }
check "while the e-mails are pending, one attempt hanging" wait_for 10 email_inflight
check_eq "none of the e-mails went out" 0 "$(sent_of "$NA")"
slow=
for i in 1 2 3; do
	wait_for 10 email_inflight || not_ok "an e-mail attempt is in flight before injection $i"
	t=$(printf 'arrears\tDV0050%d\t06%d\t2017-04\twarning\tnew\tĐơn vị %d\t2\t3\n' "$i" "$i" "$i" | "$INJECT" --time "$VAR" | sed -n 's/^acked in \([0-9]*\) ms$/\1/p')
	echo "# injection $i acknowledged in ${t:-?} ms during a hanging e-mail attempt"
	[ -n "$t" ] && [ "$t" -lt 1000 ] || slow="$slow $i:${t:-none}"
done
check_eq "EVENTS acknowledged within a second each time" "" "$slow"
check "the hanging server makes the worker degraded (e-mail)" wait_for 30 why_has 'failing since .*(e-mail: '
check "status counts the failing deliveries" bash -c "[ \"\$(sed -n 's/.*\"deliveries_failing\":\([0-9]*\).*/\1/p' '$VAR/run/alert.status')\" -ge 1 ]"
check "status says since when" bash -c "grep -q '\"failing_since\":[0-9]' '$VAR/run/alert.status'"
gave_up() { grep -q 'is a dead letter after .* (failing for too long)' "$VAR/log/alert.log"; }
check "after give_up_after (8s) an e-mail becomes a dead letter" wait_for 60 gave_up
op_timeout() { grep -l '"channel": "email".*"last_error": "[^"]*[Tt]imed\? \?out' "$VAR"/notices/operator/*.json >/dev/null 2>&1; }
check "and the operator is told, with the timeout" wait_for 30 op_timeout
t0=$(date +%s%N)
ctl down >/dev/null
check "stopping during a hanging attempt takes less than 5 s" test $((($(date +%s%N) - t0) / 1000000)) -lt 5000

# ---- f. the notices do not depend on how many changes waited while the worker was down
unset BHXH_NOW BHXH_SMTP_URL
mkdir -p "$VAR/cfg-f"
cp "$ROOT"/config/*.yaml "$VAR/cfg-f/"
sed -i -e 's/^\(  group_wait:\) .*/\1 0s/' -e 's/^\(  group_interval:\) .*/\1 0s/' \
	-e 's/^\(  repeat_interval:\) .*/\1 30d/' -e 's/^\(  receivers:\) \[province, front\]/\1 []/' "$VAR/cfg-f/alerting.yaml"
FCFG=$VAR/cfg-f/bhxh.yaml
check "configuration with group_wait 0 is valid" "$CTL" --config "$FCFG" --var-dir "$VAR/f-ref" check-config
cat >"$VAR/changes.tsv" <<'T'
seq 101
not_enrolled	0300588569	061	2017-03	critical	new	Công ty TNHH Ba Bể	12	10
arrears	DV00123	062	2017-03	major	new	Công ty Ngân Sơn	8	6
seq 102
not_enrolled	0300588569	061	2017-03	critical	resolved	Công ty TNHH Ba Bể	0	10
under_declared	0100109106	063	2017-03	warning	new	Công ty CP Nà Phặc	2	1
seq 103
not_enrolled	0300588569	061	2017-03	critical	new	Công ty TNHH Ba Bể	12	10
arrears	DV00123	062	2017-03	critical	escalated	Công ty Ngân Sơn	12	6
seq 104
arrears	DV00123	062	2017-03	critical	resolved	Công ty Ngân Sơn	0	6
missing_data	cucthue:tax_employer	-	2017-03	warning	new	-	5	0
seq 105
under_declared	0100109106	063	2017-03	major	escalated	Công ty CP Nà Phặc	6	1
not_enrolled	0300588569	061	2017-03	critical	resolved	Công ty TNHH Ba Bể	0	10
seq 106
not_enrolled	0300588569	061	2017-04	critical	new	Công ty TNHH Ba Bể	13	10
missing_data	cucthue:tax_employer	-	2017-03	warning	resolved	-	0	0
seq 107
arrears	DV00123	062	2017-04	warning	new	Công ty Ngân Sơn	3	6
under_declared	0100109106	063	2017-04	major	resolved	Công ty CP Nà Phặc	0	1
seq 108
low_wage_basis	DV00999	063	2017-04	warning	new	Công ty Bạch Thông	3000000	3750000
arrears	DV00123	062	2017-04	major	escalated	Công ty Ngân Sơn	6	6
T
# changes FIRST LAST - those changes of changes.tsv
changes() { awk -v a="$1" -v b="$2" '/^seq / { on = $2 >= a && $2 <= b } on' "$VAR/changes.tsv"; }
# alone DIR - the alert worker by itself for var dir DIR (this test's own process), ready
alone() {
	mkdir -p "$1"
	"$BIN/bhxh-alert" --config "$FCFG" --var-dir "$1" 2>>"$1.log" &
	APID=$!
	wait_for 30 grep -qs "\"pid\":$APID," "$1/run/alert.status" || not_ok "the alert worker starts in $1"
}
# settled DIR - every change routed, every group flushed, every notice file written
settled() {
	[ "$(sqlite3 "$1/db/alert.db" "SELECT (SELECT count(*) FROM notice WHERE routed_at IS NULL)
		+ (SELECT count(*) FROM grp WHERE dirty = 1) + (SELECT count(*) FROM delivery WHERE sent_at IS NULL)" 2>/dev/null)" = 0 ]
}
# told DIR - (receiver folder, kind, subject, period, status) of every alert in its notice files
told() {
	"$SINK_PY" - "$1/notices" <<'PY'
import glob, json, os, sys
for f in sorted(glob.glob(sys.argv[1] + "/*/*.json")):
    for a in json.load(open(f)).get("alerts", []):
        print("\t".join([os.path.basename(os.path.dirname(f)), a["kind"], a["subject"], a["period"], a["status"]]))
PY
}
R=$VAR/f-ref
alone "$R"
for k in 101 102 103 104 105 106 107 108; do changes "$k" "$k" | "$INJECT" "$R" || not_ok "change $k acknowledged"; done
check "reference run: every change told" wait_for 60 settled "$R"
before=$(sqlite3 "$R/db/alert.db" "SELECT count(*) FROM notice")
changes 104 104 | "$INJECT" "$R"
check_eq "a change sent again is absorbed" "$before" "$(sqlite3 "$R/db/alert.db" "SELECT count(*) FROM notice")"
kill -TERM "$APID"
wait "$APID"
APID=
told "$R" | sort >"$VAR/told-ref"
K=$VAR/f-kill
alone "$K"
changes 101 102 | "$INJECT" "$K"
kill -KILL "$APID"
wait "$APID" 2>/dev/null
changes 103 105 | "$INJECT" "$K" & inj=$!     # waits for the worker: three changes pile up
alone "$K"
wait "$inj" || not_ok "changes 103-105 acknowledged after the restart"
changes 106 106 | "$INJECT" "$K"
kill -KILL "$APID"
wait "$APID" 2>/dev/null
changes 107 108 | "$INJECT" "$K" & inj=$!
alone "$K"
wait "$inj" || not_ok "changes 107-108 acknowledged after the restart"
check "killed run: every change told" wait_for 60 settled "$K"
kill -TERM "$APID"
wait "$APID"
APID=
told "$K" | sort >"$VAR/told-kill"
check "the reference run told something" test "$(wc -l <"$VAR/told-ref")" -ge 15
check_eq "a finding that comes back in a later change is told again (new twice)" 2 \
	"$(grep -c '^bhxh	not_enrolled	0300588569	2017-03	new$' "$VAR/told-ref")"
check_eq "and resolved twice" 2 "$(grep -c '^bhxh	not_enrolled	0300588569	2017-03	resolved$' "$VAR/told-ref")"
check_eq "nothing told in the reference run is missing after the kills" "" "$(comm -23 "$VAR/told-ref" "$VAR/told-kill")"
extra=$(comm -13 "$VAR/told-ref" "$VAR/told-kill")
check "at most one duplicate per kill (2)" test "$(printf '%s' "$extra" | grep -c .)" -le 2
dup_ok=1
while IFS= read -r line; do [ -z "$line" ] || grep -qxF "$line" "$VAR/told-ref" || dup_ok=0; done <<<"$extra"
check "and each extra one is a repeat of something told" test "$dup_ok" = 1
finish
