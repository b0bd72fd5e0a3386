#!/usr/bin/env bash
# test_evidence.sh - evidence before accusation, through the real pipeline and
# a real SMTP server: Tax's file of a month alone accuses nobody; once Social
# Security's file of that month is in, exactly the employers with employees and
# no insured unit are told; a corrected Tax file that clears one says "no
# longer found", never "remedied"; a later month that shows an employer
# insured says "remedied". With the deadline over and Social Security's month
# missing, the late agency is told what is missing and the month's employer
# findings stay provisional. Data of 2017 read in 2026: one feed_stopped
# notice to the operator, no lateness for the years between.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/alert_lib.sh"

alert_setup_config
# a second tax office that may send tax_employer too
sed -i 's/^  - { id: cucthue, .*/&\n  - { id: chicucthue, name: Chi cục Thuế khu vực Bắc Kạn, types: [tax_employer] }/' "$VAR/cfg/bhxh.yaml"
start_smtp "$VAR/mail"
export TZ=UTC BHXH_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT"
AGG_DB=$VAR/db/aggregate.db

# settled - every event the aggregate made is acknowledged by the alert
# worker, which has routed, grouped and sent all of it
settled() {
	[ "$(sqlite3 "$AGG_DB" "SELECT count(*) FROM outbox" 2>/dev/null)" = 0 ] && all_delivered
}
# bodies - the decoded subject and text of every mail so far, one file per mail (.txt)
bodies() {
	"$SINK_PY" - "$VAR/mail" <<'PY'
import email, glob, sys
from email import policy
for f in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    m = email.message_from_bytes(open(f, "rb").read(), policy=policy.default)
    parts = [p for p in m.walk() if p.get_content_type() == "text/plain"]
    open(f + ".txt", "w").write("Subject: " + str(m["subject"]) + "\n" + "\n".join(p.get_content() for p in parts))
PY
}
# told NAME - some mail names NAME
told() { bodies; grep -lq -- "$1" "$VAR"/mail/*.txt 2>/dev/null; }
# outcomes TEXT - the distinct "Kết quả" (outcome) lines told of the entries naming TEXT
outcomes() { cat "$VAR"/mail/*.txt 2>/dev/null | grep -A1 -- "$1" | grep -o 'Kết quả: .*' | sort -u; }
status_of() { sqlite3 "$AGG_DB" "SELECT group_concat(status) FROM finding WHERE kind = '$1' AND subject = '$2' AND period = '$3'"; }
submit_q() { ctl submit "$@" >/dev/null; }

mkdir -p "$VAR/in"
cat >"$VAR/in/enterprise.csv" <<'C'
tax_code,name,org_unit,status
0601234563,Công ty TNHH An Pác Nặm,060,active
0100109106,Công ty CP Bình Ba Bể,061,active
0101248141,HTX Cường Sông Cầu,058,active
0300588569,Công ty TNHH Dũng Nà Phặc,061,active
0609999998,Công ty TNHH Em Ngân Sơn,062,active
0623456785,Công ty CP Hùng Bạch Thông,063,active
C
cat >"$VAR/in/tax_employer_2017-04.csv" <<'C'
tax_code,period,employees,status
0601234563,2017-04,12,operating
0100109106,2017-04,5,operating
0101248141,2017-04,8,operating
0300588569,2017-04,6,operating
0623456785,2017-04,20,operating
C
cat >"$VAR/in/insured_unit_2017-04.csv" <<'C'
unit_code,tax_code,org_unit,period,name,insured_count,due,paid,arrears,arrears_months
DV101,0100109106,061,2017-04,Công ty CP Bình Ba Bể,5,1000,1000,0,0
DV102,0101248141,058,2017-04,HTX Cường Sông Cầu,8,1000,1000,0,0
DV104,0623456785,063,2017-04,Công ty CP Hùng Bạch Thông,8,1000,1000,0,0
C
# the correction: An had no employees in April (a keying error)
cat >"$VAR/in/tax_employer_2017-04-fix.csv" <<'C'
tax_code,period,employees,status
0601234563,2017-04,0,operating
0100109106,2017-04,5,operating
0101248141,2017-04,8,operating
0300588569,2017-04,6,operating
0623456785,2017-04,20,operating
C
cat >"$VAR/in/tax_employer_2017-05.csv" <<'C'
tax_code,period,employees,status
0100109106,2017-05,5,operating
0101248141,2017-05,8,operating
0300588569,2017-05,6,operating
0609999998,2017-05,4,operating
C
cat >"$VAR/in/insured_unit_2017-05.csv" <<'C'
unit_code,tax_code,org_unit,period,name,insured_count,due,paid,arrears,arrears_months
DV101,0100109106,061,2017-05,Công ty CP Bình Ba Bể,5,1000,1000,0,0
DV102,0101248141,058,2017-05,HTX Cường Sông Cầu,8,1000,1000,0,0
DV103,0300588569,061,2017-05,Công ty TNHH Dũng Nà Phặc,6,1000,1000,0,0
DV104,0623456785,063,2017-05,Công ty CP Hùng Bạch Thông,8,1000,1000,0,0
C
cat >"$VAR/in/tax_employer_2017-05-office.csv" <<'C'
tax_code,period,employees,status
0300588569,2017-05,6,operating
C
sed 's/2017-04/2017-05/' "$FIX/participant_2017-04.csv" >"$VAR/in/participant_2017-05.csv"
for t in tax_employer insured_unit participant; do
	sed 's/2017-05/2017-06/' "$VAR/in/${t}_2017-05.csv" >"$VAR/in/${t}_2017-06.csv"
done

# --- April, read on 10 May: no deadline is over yet
export BHXH_TODAY=2017-05-10
check "pipeline starts" ctl up
check "labour force applied" submit_q --agency sldtbxh --wait "$FIX/labor_force_2017.csv"
check "participants of April applied" submit_q --agency bhxh --wait "$FIX/participant_2017-04.csv"
check "the registry applied" submit_q --agency skhdt --wait "$VAR/in/enterprise.csv"
check "Tax's April applied first" submit_q --agency cucthue --wait "$VAR/in/tax_employer_2017-04.csv"
check "everything sent so far is delivered" wait_for 30 settled
check_eq "An (12 employees, nothing at Social Security yet) is provisional" provisional \
	"$(status_of not_enrolled 0601234563 2017-04)"
check_eq "...so are the three others" "provisional provisional provisional" \
	"$(for t in 0100109106 0101248141 0300588569; do status_of not_enrolled $t 2017-04; done | tr '\n' ' ' | sed 's/ $//')"
check "...and nobody is told about any of them" bash -c "! grep -rlq 'Pác Nặm\|Ba Bể\|Sông Cầu\|Nà Phặc' '$VAR'/mail/*.eml 2>/dev/null"
ctl report findings --format csv >"$VAR/f1.csv"
check "the findings report marks them provisional" grep -q '^not_enrolled,0601234563,060,2017-04,.*,provisional$' "$VAR/f1.csv"

check "Social Security's April applied" submit_q --agency bhxh --wait "$VAR/in/insured_unit_2017-04.csv"
check "An is told" wait_for 30 told 'An Pác Nặm'
check "Dũng is told" wait_for 30 told 'Dũng Nà Phặc'
check "Hùng (20 employees, 8 insured) is told" wait_for 30 told 'Hùng Bạch Thông'
check "everything is delivered" wait_for 30 settled
check "the two enrolled employers are not named in any mail" bash -c "bodies() { :; }; ! grep -lq 'Bình Ba Bể\|Cường Sông Cầu' '$VAR'/mail/*.txt"
check_eq "An's April finding is final" final "$(status_of not_enrolled 0601234563 2017-04)"
check_eq "the enrolled employers have no finding" "" \
	"$(sqlite3 "$AGG_DB" "SELECT subject FROM finding WHERE subject IN ('0100109106', '0101248141')")"

check "the corrected Tax file of April applied" submit_q --agency cucthue --wait "$VAR/in/tax_employer_2017-04-fix.csv"
check "everything is delivered" wait_for 30 settled
bodies
check "An's finding is reported as no longer found" bash -c "grep -il 'không còn phát hiện' '$VAR'/mail/*.txt | xargs grep -l 'An Pác Nặm' | grep -q ."
check "nothing is called remedied" bash -c "! grep -q 'đã khắc phục\|ĐÃ KHẮC PHỤC\|REMEDIED\|[0-9] remedied\|: remedied' '$VAR'/mail/*.txt"
check_eq "Dũng is still not enrolled" 1 "$(sqlite3 "$AGG_DB" "SELECT open FROM finding_state WHERE kind = 'not_enrolled' AND subject = '0300588569'")"

# --- May, read on 25 June: May's deadline (20 June) is over; Social Security's May is late
ctl down >/dev/null
export BHXH_TODAY=2017-06-25
check "pipeline restarts on 25 June" ctl up
check "Tax's May applied" submit_q --agency cucthue --wait "$VAR/in/tax_employer_2017-05.csv"
check "a second tax office's May applied (Dũng again)" submit_q --agency chicucthue --wait \
	"$VAR/in/tax_employer_2017-05-office.csv"
check "the late agency is told" wait_for 30 bash -c "bodies() { :; }; ls '$VAR'/mail/*.env | xargs grep -l 'bhxh@du-lieu.backan.gov.vn' | grep -q ."
check "everything is delivered" wait_for 30 settled
bodies
late=$(for e in $(grep -l 'bhxh@du-lieu.backan.gov.vn' "$VAR"/mail/*.env); do cat "${e%.env}.eml.txt" 2>/dev/null || cat "${e%.env}.txt" 2>/dev/null; done)
check "...its notice names the missing insured units of May" grep -q 'dữ liệu còn thiếu: danh sách đơn vị tham gia BHXH của tháng 5/2017' <<<"$late"
check "...and the month" grep -q '2017-05\|5/2017' <<<"$late"
check_eq "Em (new in May, Social Security's May missing) is provisional" provisional "$(status_of not_enrolled 0609999998 2017-05)"
check "...and not named in any mail" bash -c "! grep -lq 'Em Ngân Sơn' '$VAR'/mail/*.txt"

check "Social Security's May applied" submit_q --agency bhxh --wait "$VAR/in/insured_unit_2017-05.csv"
check "Em is told now" wait_for 30 told 'Em Ngân Sơn'
check "everything is delivered" wait_for 30 settled
bodies
check_eq "Dũng, insured in May, is reported remedied" "Kết quả: đã khắc phục (tháng 5/2017)" \
	"$(outcomes 'Công ty TNHH Dũng Nà Phặc')"
check_eq "Hùng, gone from Tax's list in May, is no longer found, not remedied" \
	"Kết quả: không còn phát hiện (tháng 5/2017)" "$(outcomes 'Công ty CP Hùng Bạch Thông')"
check_eq "two tax offices listing Dũng are not added up (no under-declaration)" "" \
	"$(sqlite3 "$AGG_DB" "SELECT period FROM finding WHERE kind = 'under_declared' AND subject = '0300588569'")"
check_eq "May's participants still missing" 1 \
	"$(sqlite3 "$AGG_DB" "SELECT open FROM finding_state WHERE kind = 'missing_data' AND subject = 'bhxh:participant'")"

# em_entries - how many mails list Em as an entry
em_entries() { grep -l 'Doanh nghiệp: Công ty TNHH Em Ngân Sơn' "$VAR"/mail/*.txt 2>/dev/null | wc -l; }
em_told=$(em_entries)
check "Em was listed in the mails of May" test "$em_told" -ge 1

# --- June, read on 25 July: every June file comes, May's participants never did
ctl down >/dev/null
export BHXH_TODAY=2017-07-25
check "pipeline restarts on 25 July" ctl up
check "Tax's June applied" submit_q --agency cucthue --wait "$VAR/in/tax_employer_2017-06.csv"
check "Social Security's June applied" submit_q --agency bhxh --wait "$VAR/in/insured_unit_2017-06.csv"
check "participants of June applied" submit_q --agency bhxh --wait "$VAR/in/participant_2017-06.csv"
check "everything is delivered" wait_for 30 settled
bodies
check_eq "Em, still not enrolled in June, is the same alert with June's figures and its first month" \
	"firing 2017-06 2017-05" \
	"$(sqlite3 "$VAR/db/alert.db" "SELECT state, period, since FROM alert WHERE kind = 'not_enrolled' AND subject = '0609999998'" | tr '|' ' ')"
check_eq "...and nobody is told of Em again" "$em_told" "$(em_entries)"
check_eq "a hole in May keeps the missing participants open" "1 2017-05" \
	"$(sqlite3 "$AGG_DB" "SELECT open, last_period FROM finding_state WHERE kind = 'missing_data' AND subject = 'bhxh:participant'" | tr '|' ' ')"
bodies
check_eq "...and nobody is told they came" "" "$(outcomes 'dữ liệu còn thiếu: danh sách người tham gia')"
check "participants of May applied at last" submit_q --agency bhxh --wait "$VAR/in/participant_2017-05.csv"
check "everything is delivered" wait_for 30 settled
check_eq "no missing data is open" "" \
	"$(sqlite3 "$AGG_DB" "SELECT subject FROM finding_state WHERE kind = 'missing_data' AND open = 1")"
bodies
check_eq "the late agency hears its data came (remedied)" "Kết quả: đã khắc phục (tháng 5/2017)" \
	"$(outcomes 'dữ liệu còn thiếu: danh sách người tham gia')"

# --- the same data read in December 2026: the feed has stopped
ctl down >/dev/null
export BHXH_TODAY=2026-12-01
check "pipeline restarts in 2026" ctl up
check "one feed_stopped finding" wait_for 30 bash -c \
	"[ \"\$(sqlite3 '$AGG_DB' \"SELECT count(*) FROM finding WHERE kind = 'feed_stopped'\")\" = 1 ]"
check_eq "...from July 2017" 2017-07 "$(sqlite3 "$AGG_DB" "SELECT period FROM finding WHERE kind = 'feed_stopped'")"
check_eq "no lateness for the months without anyone's data" 0 \
	"$(sqlite3 "$AGG_DB" "SELECT count(*) FROM finding WHERE kind = 'missing_data' AND period > '2017-06'")"
check "the operator is told" wait_for 30 bash -c "ls '$VAR'/mail/*.env | xargs grep -l 'vanhanh@bhxh.backan.gov.vn' | grep -q ."
check "everything is delivered" wait_for 30 settled
check_eq "only the operator hears of it" "" \
	"$(sqlite3 "$VAR/db/alert.db" "SELECT receiver FROM grp WHERE gkey LIKE '%feed_stopped%' AND receiver <> 'operator'" 2>/dev/null)"

# --- the clock from the configuration
ctl down >/dev/null
unset BHXH_TODAY
echo 'today: "2017-05-10"' >>"$VAR/cfg/findings.yaml"
check "check-config accepts today" ctl check-config
check "pipeline restarts with today in findings.yaml" ctl up
check "the feed is not stopped on 10 May 2017" wait_for 30 bash -c \
	"[ \"\$(sqlite3 '$AGG_DB' \"SELECT count(*) FROM finding WHERE kind = 'feed_stopped'\")\" = 0 ]"
ctl down >/dev/null
sed -i 's/^today: .*/today: "2017-02-30"/' "$VAR/cfg/findings.yaml"
out=$(ctl check-config 2>&1)
check "an impossible date is refused" test $? -ne 0
check "...naming the key and the value" grep -q "today: '2017-02-30' is not a date" <<<"$out"
finish
