#!/usr/bin/env bash
# test_alert_ack.sh - acknowledgement: an operator acknowledges an alert and
# its repeats stop until its state changes. Two open alerts in the one digest
# of receiver bhxh repeat every 2 s; one is
# acknowledged with `bhxhctl ack`; the other goes on repeating while the
# acknowledged one is not told again; then the acknowledged one escalates,
# is told (ESCALATED) and, its acknowledgement cleared, repeats again. The
# operator is told once that no agency sent data (feed_stopped), never again.
# Notices are counted in the worker's database (what was decided) and in the
# notice files of receiver bhxh (what was delivered).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/alert_lib.sh"

alert_setup_config
sed -i -e 's/^\(  repeat_interval:\) .*/\1 2s/' -e 's/^\(  day:\) 1 .*/\1 28/' -e 's/^\(  hour:\) 7/\1 23/' \
	"$VAR/cfg/alerting.yaml"
export TZ=UTC
export BHXH_NOW=$(date -d '2017-04-15 10:00:00' +%s)   # well before the monthly summary (28th, 23:00)
unset BHXH_SMTP_URL BHXH_SMTP_USER BHXH_SMTP_PASSWORD
check "configuration with a 2 s repeat interval is valid" ctl check-config
check "pipeline starts" ctl up

A=0300588569   # not_enrolled, district 061: will be acknowledged
B=DV00123      # arrears, district 062: never acknowledged
inject <<T
not_enrolled	$A	061	2017-03	major	new	Công ty TNHH Ba Bể	12	10
arrears	$B	062	2017-03	major	new	Công ty Ngân Sơn	12	12
feed_stopped	2017-03	-	2017-03	warning	new	-	5	0
T

DB=$VAR/db/alert.db
# item SUBJECT STATUS - how a notice's JSON lists that alert with that status
item() {
	local kind=arrears
	[ "$1" = "$A" ] && kind=not_enrolled
	printf '{"status": "%s", "kind": "%s", "subject": "%s"' "$2" "$kind" "$1"
}
# told SUBJECT STATUS [AFTER] - notices to bhxh after notice id AFTER (default 0)
# whose alert list holds SUBJECT with STATUS
told() {
	sqlite3 "$DB" "SELECT count(*) FROM outmsg WHERE receiver = 'bhxh' AND id > ${3:-0}
		AND instr(json, '$(item "$1" "$2")') > 0" 2>/dev/null
}
told_ge() { [ "$(told "$1" "$2" "${4:-0}")" -ge "$3" ]; }
# filed SUBJECT STATUS [AFTER] - the same, in the notice files written for bhxh
filed() {
	local f n=0 id
	for f in "$VAR"/notices/bhxh/*.json; do
		[ -e "$f" ] || continue
		id=$(basename "$f" .json)
		[ $((10#$id)) -gt "${3:-0}" ] || continue
		grep -qF "$(item "$1" "$2")" "$f" && n=$((n + 1))
	done
	echo "$n"
}
filed_ge() { [ "$(filed "$1" "$2" "${4:-0}")" -ge "$3" ]; }

check "A is told as new" wait_for 30 filed_ge "$A" new 1
check "B is told as new" wait_for 30 filed_ge "$B" new 1
check "A is repeated (still open) twice" wait_for 30 filed_ge "$A" firing 2
check "B is repeated (still open) twice" wait_for 30 filed_ge "$B" firing 2
check "they are in the same digests (one per receiver)" test \
	"$(sqlite3 "$DB" "SELECT count(*) FROM outmsg WHERE json LIKE '%\"subject\": \"$A\"%' AND json LIKE '%\"subject\": \"$B\"%'")" -ge 2

check "ack" ctl ack --kind not_enrolled --subject "$A" --author "Lê Bình" --comment "đã giao thanh tra"
# the moment the worker applied it, and the last notice stored by then (one
# read, so a notice decided before the acknowledgement is never counted after it)
acked_at() {
	local r
	r=$(sqlite3 -separator ' ' "$DB" "SELECT a.acked, (SELECT coalesce(max(id), 0) FROM outmsg)
		FROM alert a WHERE a.kind = 'not_enrolled' AND a.subject = '$A'")
	[ "${r%% *}" = 1 ] && BASE=${r#* }
}
BASE=
check "the worker applies the acknowledgement" wait_for 30 acked_at
check "the acknowledgement names its author" test "$(sqlite3 "$DB" "SELECT acked_by FROM alert WHERE subject = '$A'")" = "Lê Bình"
BASE=${BASE:-0}
check "B, not acknowledged, repeats twice more" wait_for 30 told_ge "$B" firing 2 "$BASE"
check "those repeats of B are delivered" wait_for 30 filed_ge "$B" firing 2 "$BASE"
check_eq "A, acknowledged, is not repeated in that time (decided)" 0 "$(told "$A" firing "$BASE")"
check_eq "the operator was told once that data stopped coming, never reminded" "1 0" \
	"$(sqlite3 "$DB" "SELECT count(*) FROM outmsg WHERE receiver = 'operator' AND instr(json, '\"kind\": \"feed_stopped\"') > 0;
		SELECT count(*) FROM outmsg WHERE receiver = 'operator' AND instr(json, '\"status\": \"firing\", \"kind\": \"feed_stopped\"') > 0" | tr '\n' ' ' | sed 's/ $//')"
check_eq "A, acknowledged, is not repeated in that time (delivered)" 0 "$(filed "$A" firing "$BASE")"
check_eq "no notice at all names A after the acknowledgement" 0 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM outmsg WHERE id > $BASE AND json LIKE '%\"subject\": \"$A\"%'")"
check "the other receivers of A (dolisa, district 061) stay quiet too" test \
	"$(sqlite3 "$DB" "SELECT count(*) FROM outmsg WHERE receiver IN ('dolisa', 'district') AND id > $BASE")" = 0

# the state changes: severity rises, so A is told again and its repeats resume
ESC=$(sqlite3 "$DB" "SELECT coalesce(max(id), 0) FROM outmsg")
inject <<T
not_enrolled	$A	061	2017-04	critical	escalated	Công ty TNHH Ba Bể	15	10
T
check "the escalation of A is told" wait_for 30 filed_ge "$A" escalated 1 "$ESC"
check "the escalation clears the acknowledgement" test "$(sqlite3 "$DB" "SELECT acked FROM alert WHERE subject = '$A'")" = 0
district_told() { grep -lF "$(item "$A" escalated)" "$VAR"/notices/district-061/*.json >/dev/null 2>&1; }
check "the district committee hears of the escalation too" wait_for 30 district_told
check "A repeats again after the escalation" wait_for 30 filed_ge "$A" firing 1 "$ESC"
check "B is still repeated" wait_for 30 filed_ge "$B" firing 1 "$ESC"
check_eq "the escalated A repeats at its new severity" critical \
	"$(sqlite3 "$DB" "SELECT severity FROM alert WHERE subject = '$A'")"

# an acknowledgement of an alert that does not exist is refused and changes nothing
check "ack of an unknown alert exits non-zero" bash -c "! '$CTL' --config '$CONFIG' --var-dir '$VAR' ack --kind arrears --subject NOPE --author 'Lê Bình' 2>'$VAR/ack.err'"
check "and says that no such alert is open" grep -q "no open alert of kind 'arrears' about 'NOPE'" "$VAR/ack.err"
check_eq "nothing is queued for it" 0 "$(sqlite3 "$DB" "SELECT count(*) FROM ack_request WHERE subject = 'NOPE' OR applied IS NULL")"
check_eq "only A was ever acknowledged" 0 "$(sqlite3 "$DB" "SELECT count(*) FROM alert WHERE acked = 1")"
# the acknowledgement is logged, but not the insurance number it names
check "the acknowledgement is logged" grep -q "alert not_enrolled .* acknowledged by Lê Bình" "$VAR/log/alert.log"
check "no insurance number in the alert log" bash -c "! grep -q '$A' '$VAR/log/alert.log'"
# text that silence-list would print raw: control characters and overlong text are refused
check "ack with a terminal escape in the author is refused" bash -c "! '$CTL' --config '$CONFIG' --var-dir '$VAR' ack --kind arrears --subject '$B' --author \$'x\\e[2J' 2>'$VAR/ack2.err'"
check "and says why" grep -q "the author holds a control character" "$VAR/ack2.err"
check_eq "B was not acknowledged" 0 "$(sqlite3 "$DB" "SELECT acked FROM alert WHERE subject = '$B'")"
finish
