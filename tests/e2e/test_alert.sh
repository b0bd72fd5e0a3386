#!/usr/bin/env bash
# test_alert.sh - the shipped routing (config/alerting.yaml) against real
# servers: e-mail through Debian's aiosmtpd with AUTH, webhooks to an HTTP
# receiver that checks the HMAC signature, and notice files. Finding events
# are sent to the alert worker through its real ROUTER socket (alert_inject).
# Checks: one digest per receiver (and district), their recipients, decoded
# subjects, the employers each body names and how (for officials: names, tax
# codes, district names, what to do by when, whom to contact, a link to the
# dashboard; no internal names), the CSV attachment; district committees see
# only their district;
# CR/LF in an employer name adds no header; escalation, resolution, silences,
# inhibition, acknowledgement, no repeat after a restart, the monthly summary.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/alert_lib.sh"

alert_setup_config
sed -i -e 's/^\(  day:\) 1 .*/\1 28/' -e 's/^\(  hour:\) 7/\1 23/' -e 's/^\(  repeat_interval:\) .*/\1 30d/' "$VAR/cfg/alerting.yaml"
start_smtp "$VAR/mail" --auth alert:s3cret-pw
start_http "$VAR/hook" hook-key
sed -i "s|^    role: social_security.*|&\n    webhook: { url: \"http://127.0.0.1:$HTTP_PORT/hook\", secret: hook-key, timeout: 3s }|" "$VAR/cfg/alerting.yaml"
export TZ=UTC BHXH_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" BHXH_SMTP_USER=alert BHXH_SMTP_PASSWORD=s3cret-pw
export BHXH_NOW=$(date -d '2017-04-15 10:00:00' +%s)
check "configuration with the shipped routing is valid" ctl check-config
check "pipeline starts" ctl up

inject <<'T'
not_enrolled	0300588569	061	2017-03	critical	new	Công ty TNHH Ba Bể	12	10	2017-01	-	0	12
not_enrolled	0100109106	061	2017-03	warning	new	Công ty CP Nà Phặc	3	1
not_enrolled	0101248141	058	2017-03	warning	new	HTX Sông Cầu\r\nBcc: x@y	2	1
arrears	DV00123	062	2017-03	critical	new	Công ty Ngân Sơn	12	12	2016-03	-	1234567	40
missing_data	cucthue:tax_employer	-	2017-03	warning	new	-	5	0
T
# one digest each: bhxh (not_enrolled and arrears), dolisa (the same), union (arrears), district 061 and 058, agency cucthue
check "6 e-mails arrive" wait_for 30 mail_count_is 6
check "1 webhook arrives" wait_for 30 hook_count_is 1
check "every delivery is done" wait_for 30 all_delivered
mail_index
check_eq "exactly 6 e-mails: one per receiver" 6 "$(mail_count)"
check_eq "every e-mail was sent after AUTH as the configured user" 6 "$(grep -c '	alert	' "$VAR/mail.idx")"
check_eq "recipients" "cucthue@du-lieu.backan.gov.vn
ldld@backan.gov.vn
thanhtra@bhxh.backan.gov.vn
thanhtra@sldtbxh.backan.gov.vn
ubnd.058@backan.gov.vn
ubnd.061@backan.gov.vn" "$(cut -f2 "$VAR/mail.idx" | sort)"
m061=$(mail_to ubnd.061@backan.gov.vn)
m058=$(mail_to ubnd.058@backan.gov.vn)
check "district 061 digest names both of its employers" grep -q 'Công ty TNHH Ba Bể' "$m061.body"
check "district 061 digest names Nà Phặc" grep -q 'Công ty CP Nà Phặc' "$m061.body"
check "district 061 does not see district 058's employer" bash -c "! grep -q 'Sông Cầu' '$m061.body'"
check "district 061 does not see arrears in 062" bash -c "! grep -q 'Ngân Sơn' '$m061.body'"
check_eq "district 061 decoded subject" "[BHXH] 2 mới: Doanh nghiệp chưa tham gia BHXH (Huyện Ba Bể) / 2 new: Employer not enrolled in social insurance" "$(mail_subject "$m061")"
check "Vietnamese first, English below" bash -c "head -1 '$m061.body' | grep -q '^Hệ thống giám sát BHXH' && grep -q '^Social insurance monitoring' '$m061.body'"
check_eq "CR/LF in a name: the subject is one line with the text" "[BHXH] 1 mới: Doanh nghiệp chưa tham gia BHXH - HTX Sông Cầu  Bcc: x@y 0101248141 (Thành phố Bắc Kạn) / 1 new: Employer not enrolled in social insurance" "$(mail_subject "$m058")"
check_eq "CR/LF in a name: no Bcc header in any message" "" "$(grep -il '^bcc:' "$VAR"/mail/*.eml)"
check_eq "CR/LF in a name: only the one recipient" "RCPT TO: ubnd.058@backan.gov.vn" "$(grep RCPT "${m058%.eml}.env")"
mb=$(grep -l 'Đơn vị nợ' $(mail_to_all thanhtra@bhxh.backan.gov.vn | sed 's/$/.body/') | head -1)
check "BHXH hears of arrears" test -n "$mb"
check "the union hears of arrears from major" grep -q 'DV00123' "$(mail_to ldld@backan.gov.vn).body"
check "the late agency hears of its missing data" grep -q 'Cơ quan: Cục Thuế tỉnh; dữ liệu còn thiếu: danh sách doanh nghiệp khai thuế (số lao động) của tháng 3/2017' "$(mail_to cucthue@du-lieu.backan.gov.vn).body"
# written for officials (docs/ALERTING.md "Notices")
check "addressed to the district committee by its configured name" grep -q '^Kính gửi: UBND Huyện Ba Bể$' "$m061.body"
check "the employer by name, tax code and district name" grep -q 'Doanh nghiệp: Công ty TNHH Ba Bể, mã số thuế 0300588569; địa bàn: Huyện Ba Bể' "$m061.body"
check "how many workers" grep -q 'Số người lao động: 12$' "$m061.body"
check "since when" grep -q 'Từ tháng 1/2017 đến tháng 3/2017' "$m061.body"
check "what the district committee should do, by when" grep -q 'Đề nghị: Chỉ đạo, giám sát .*, trước ngày 15/05/2017$' "$m061.body"
check "whom to contact" grep -q '^Liên hệ: Bộ phận vận hành Hệ thống giám sát BHXH, vanhanh@bhxh.backan.gov.vn$' "$m061.body"
check "a link to the employer on the dashboard" grep -q 'Xem chi tiết: https://giamsat.example.vn/bhxh/unit/061.html#e-0300588569$' "$m061.body"
check "the English below says the same" grep -q 'Action requested: Direct and supervise .*, by 15 May 2017$' "$m061.body"
check_eq "no receiver name, role, group key or org-unit code in any text" "" \
	"$(grep -lE '\((district|bhxh|dolisa|union|agency)\)|district_committee|social_security|Nhóm:|Group:|kind=|digest=|mã 0[0-9]{2}\b' "$VAR"/mail/*.body)"
mbx=$(mail_to thanhtra@bhxh.backan.gov.vn)
check "arrears: months, the money owed in VND, since when" bash -c "grep -q 'Số tháng nợ đóng: 12 tháng' '$mbx.body' && grep -q 'Số tiền nợ: 1.234.567 đ' '$mbx.body' && grep -q 'Từ tháng 3/2016' '$mbx.body' && grep -q 'Amount owed: 1,234,567 VND' '$mbx.body'"
check "Social Security is asked to recover the arrears" grep -q 'Đề nghị: Thu hồi số tiền nợ đóng BHXH' "$mbx.body"
check "the union is asked to act on the workers' behalf" grep -q "Đề nghị: Thay mặt người lao động khởi kiện" "$(mail_to ldld@backan.gov.vn).body"
check "the inspectorate is asked to inspect" grep -q 'Đề nghị: Thanh tra, kiểm tra doanh nghiệp về hành vi trốn đóng BHXH' "$(mail_to thanhtra@sldtbxh.backan.gov.vn).body"
check "severity first: the critical entries lead the digest" bash -c "grep -m1 '^  1\. ' '$mbx.body' | grep -q 'rất nghiêm trọng'"
check_eq "every digest has its CSV attachment, named in Vietnamese" 6 "$(cut -f6 "$VAR/mail.idx" | grep -cE '^phát-hiện-[0-9]+\.csv$')"
check_eq "the CSV of BHXH lists its four findings" 5 "$(/usr/bin/python3 -c 'import csv,sys; print(len(list(csv.reader(open(sys.argv[1], newline="")))))' "$mbx.csv")"
check_eq "webhook signatures all valid" "" "$(ls "$VAR/hook" | grep bad-)"
check "webhook body lists the employers" grep -q '"name": "Công ty TNHH Ba Bể"' "$VAR"/hook/*.json
check "notice files: JSON and text for every receiver" bash -c "ls '$VAR'/var-notices 2>/dev/null; test -s \"\$(ls '$VAR'/notices/district-061/*.json | head -1)\" && test -s \"\$(ls '$VAR'/notices/district-061/*.txt | head -1)\""
check_eq "notice directories" "agency-cucthue bhxh district-058 district-061 dolisa union" "$(ls "$VAR/notices" | tr '\n' ' ' | sed 's/ $//')"

# severity rises: a new notice to everyone routed; the acknowledged alert stays quiet
inject <<'T'
not_enrolled	0100109106	061	2017-04	critical	escalated	Công ty CP Nà Phặc	11	10
T
check "escalation: 3 more e-mails (bhxh, dolisa, district 061)" wait_for 30 mail_count_is 9
mail_index
check "escalation notice says so" grep -q 'TĂNG MỨC ĐỘ (1)' "$(mail_to_all ubnd.061@backan.gov.vn | tail -1).body"
check "what was told before is counted, not listed again" grep -q 'VẪN CÒN (nhắc lại) (1)' "$(mail_to_all ubnd.061@backan.gov.vn | tail -1).body"

# a finding clears: resolved notices where it was told
inject <<'T'
arrears	DV00123	062	2017-04	critical	resolved	Công ty Ngân Sơn	0	12	-	remedied
T
check "resolution: 3 more e-mails (bhxh, dolisa, union)" wait_for 30 mail_count_is 12
mail_index
check "resolved notice to the union" grep -q 'ĐÃ KHẮC PHỤC (1)' "$(mail_to_all ldld@backan.gov.vn | tail -1).body"
check "a remedied finding says so" grep -q 'Kết quả: đã khắc phục (tháng 4/2017)' "$(mail_to_all ldld@backan.gov.vn | tail -1).body"

# silences: a silenced kind sends nothing; the next unsilenced event goes through
sid=$(ctl silence add --matcher kind=low_wage_basis --author "Trần An" --comment "kiểm tra lại" --until +2h)
check "silence add prints an id" test -n "$sid"
silence_is() { ctl silence list | grep -q "^$1 *$2"; }
check "silence list shows it active" silence_is "$sid" "active.*kind=low_wage_basis"
check "a bad matcher is refused" bash -c "! '$CTL' --config '$CONFIG' --var-dir '$VAR' silence add --matcher colour=red --author a --comment c --until +1h 2>/dev/null"
inject <<'T'
low_wage_basis	DV00999	063	2017-04	warning	new	Công ty Bạch Thông	3000000	3750000
under_declared	0300588569	061	2017-04	warning	new	Công ty TNHH Ba Bể	2	1
unregistered	0300588570	064	2017-04	info	new	Công ty Chợ Đồn	1	0
T
check "the unsilenced, uninhibited alert arrives" wait_for 30 mail_count_is 13
mail_index
check_eq "silenced and inhibited alerts send nothing" "" "$(grep -l 'Bạch Thông\|under-declares' "$VAR"/mail/*.body)"
check "silence expire" ctl silence expire "$sid"
check "silence list shows it expired" silence_is "$sid" expired

# acknowledgement: stored and applied by the worker
check "ack" ctl ack --kind not_enrolled --subject 0300588569 --author "Lê Bình" --comment "đã giao thanh tra"
check "the worker applies the acknowledgement" wait_for 30 bash -c "[ \"\$(sqlite3 '$VAR/db/alert.db' \"SELECT acked FROM alert WHERE kind='not_enrolled' AND subject='0300588569'\")\" = 1 ]"

# restart within repeat_interval: nothing is told again; the monthly summary comes on schedule
# submit_quiet ARGS... - ctl submit, its receipt not shown
submit_quiet() { ctl submit "$@" >/dev/null; }
check "labour force applied" submit_quiet --agency sldtbxh --wait --format json "$FIX/labor_force_2017.csv"
check "participants applied" submit_quiet --agency bhxh --wait --format json "$FIX/participant_2017-03.csv"
ls "$VAR"/mail/*.eml >"$VAR/told.lst"
check "the summary's figures reach the alert worker as a message" wait_for 30 bash -c \
	"[ \"\$(sqlite3 '$VAR/db/alert.db' 'SELECT period FROM summary_data')\" = 2017-03 ]"
ctl down >/dev/null
export BHXH_NOW=$(date -d '2017-04-28 23:30:00' +%s)
check "pipeline restarts" ctl up
summary_sent() { grep -q 'mttq@' "$VAR"/mail/*.env && grep -q 'RCPT TO: ubnd@' "$VAR"/mail/*.env; }
check "the monthly summary goes to the province and the Front" wait_for 30 summary_sent
check "every delivery is done after the restart" wait_for 30 all_delivered
mail_index
check_eq "exactly one summary to each" 2 "$(grep -c 'Monthly summary 2017-04' "$VAR/mail.idx")"
ms=$(mail_to mttq@backan.gov.vn)
check_eq "summary subject" "[BHXH] Báo cáo tháng 4/2017: độ bao phủ BHXH, BHTN và việc cần làm / Monthly summary 2017-04" "$(mail_subject "$ms")"
check "summary holds the coverage table, by unit name" grep -q '^Thành phố Bắc Kạn *1.000 *3 *0,30%' "$ms.body"
check "...and the goal from the configuration" grep -q 'Mục tiêu đến năm 2020: 50% lực lượng lao động tham gia BHXH, 35%' "$ms.body"
check "...says which data are in" grep -q 'Cục Thuế tỉnh, .*: chưa có' "$ms.body"
check "the summary is text and HTML of the same, with the table as CSV" "$SINK_PY" - "$ms" <<'PY'
import email, sys
from email import policy
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=policy.default)
types = [p.get_content_type() for p in m.walk()]
assert types == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/csv"], types
html = [p for p in m.walk() if p.get_content_type() == "text/html"][0].get_content()
assert "Thành phố Bắc Kạn" in html and "<table" in html and "viewport" in html, "html"
PY
check_eq "...one CSV row per unit of the tree, and a header" 10 "$(wc -l <"$ms.csv")"
check "...units by code and name" grep -q '^058,Thành phố Bắc Kạn,1000,3,0.30,' "$ms.csv"
check "summary counts open findings by kind and district, by name" bash -c "grep -A3 '^  Doanh nghiệp chưa tham gia BHXH' '$ms.body' | grep -q '^    Huyện Ba Bể: 2$'"
check "...not the operator's" bash -c "! grep -q 'Không nhận được số liệu' '$ms.body'"
check "no code of a unit or a kind in the summary" bash -c "! grep -qE 'not_enrolled|(^| )06[0-9]( |$)' '$ms.body'"
check "the alert worker never opens the aggregate's database" bash -c "! grep -q 'aggregate.db' '$ROOT/workers/alert/'*.c"
check_eq "no injected finding listed again after the restart (new mails: summaries and the aggregate's own findings)" "" \
	"$(for f in $(cut -f1 "$VAR/mail.idx" | grep -vFf "$VAR/told.lst"); do grep -lE '0300588569|0100109106|0101248141|DV00123|0300588570' "$f.body"; done)"
check_eq "no repeat (still open) notice after the restart" "" "$(grep -E '/ [0-9]+ still open:' "$VAR/mail.idx")"
check_eq "no message was sent twice" "" "$(cut -f4 "$VAR/mail.idx" | sort | uniq -d)"
check_eq "no citizen id or insurance number in any message" "" "$(grep -lE '(^|[^0-9])[0-9]{12}([^0-9]|$)' "$VAR"/mail/*.body)"

# end to end through the real aggregate: an employer with 12 employees at the
# Tax Department and no insured unit at Social Security is not enrolled (critical)
printf 'tax_code,name,org_unit,status\n0601234563,Công ty TNHH Pác Nặm Xanh,060,active\n' >"$VAR/enterprise-2017.csv"
printf 'tax_code,period,employees,status\n0601234563,2017-03,12,operating\n' >"$VAR/tax_employer_2017-03.csv"
check "enterprise registry applied" submit_quiet --agency skhdt --wait --format json "$VAR/enterprise-2017.csv"
check "tax employers applied" submit_quiet --agency cucthue --wait --format json "$VAR/tax_employer_2017-03.csv"
check_eq "with Tax's March alone, the finding is provisional" provisional \
	"$(sqlite3 "$VAR/db/aggregate.db" "SELECT status FROM finding WHERE kind = 'not_enrolled' AND subject = '0601234563'")"
check_eq "...and nobody is told" "" "$(grep -rl 'Pác Nặm Xanh' "$VAR/notices" 2>/dev/null)"
printf 'unit_code,tax_code,org_unit,period,name,insured_count,due,paid,arrears,arrears_months\nDV777,0609999998,061,2017-03,Công ty Ba Bể,3,1000,1000,0,0\n' \
	>"$VAR/insured_unit_2017-03.csv"
check "Social Security's insured units of March applied" submit_quiet --agency bhxh --wait --format json "$VAR/insured_unit_2017-03.csv"
check "the district committee of 060 is told by e-mail" wait_for 60 bash -c "grep -rl 'Pác Nặm Xanh' '$VAR/notices/district-060' 2>/dev/null | grep -q ."
check "every delivery is done" wait_for 30 all_delivered
mail_index
m060=$(grep -l 'Pác Nặm Xanh' $(mail_to_all ubnd.060@backan.gov.vn | sed 's/$/.body/') | head -1)
check "the e-mail to district 060 names the employer, critical, 12 employees" bash -c "grep -q 'Doanh nghiệp chưa tham gia BHXH (rất nghiêm trọng)' '$m060' && grep -q 'Doanh nghiệp: Công ty TNHH Pác Nặm Xanh, mã số thuế 0601234563; địa bàn: Huyện Pác Nặm' '$m060' && grep -q 'Số người lao động: 12' '$m060'"
check "addressed to the committee of Pác Nặm by its configured name" grep -q '^Kính gửi: UBND Huyện Pác Nặm$' "$m060"
check "DOLISA inspection is told too" bash -c "grep -l 'Pác Nặm Xanh' $VAR/mail/*.body | xargs grep -l '' | while read -r f; do grep -q 'thanhtra@sldtbxh' \"\${f%.eml.body}.env\"  && echo y; done | grep -q y"
finish
