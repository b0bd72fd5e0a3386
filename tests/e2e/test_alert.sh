#!/usr/bin/env bash
# test_alert.sh - the shipped routing (config/alerting.yaml) against real
# servers: e-mail through Debian's aiosmtpd with AUTH, webhooks to an HTTP
# receiver that checks the HMAC signature, and notice files. Finding events
# are sent to the alert worker through its real ROUTER socket (alert_inject).
# Checks: the number of messages, their recipients, decoded subjects and the
# employers each body names; district committees see only their district;
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
not_enrolled	0300588569	061	2017-03	critical	new	Công ty TNHH Ba Bể	12	10
not_enrolled	0100109106	061	2017-03	warning	new	Công ty CP Nà Phặc	3	1
not_enrolled	0101248141	058	2017-03	warning	new	HTX Sông Cầu\r\nBcc: x@y	2	1
arrears	DV00123	062	2017-03	critical	new	Công ty Ngân Sơn	12	12
missing_data	cucthue:tax_employer	-	2017-03	warning	new	-	5	0
T
# bhxh: not_enrolled, arrears; dolisa: the same; union: arrears; district 061 and 058; agency cucthue
check "8 e-mails arrive" wait_for 30 mail_count_is 8
check "2 webhooks arrive" wait_for 30 hook_count_is 2
check "every delivery is done" wait_for 30 all_delivered
mail_index
check_eq "exactly 8 e-mails" 8 "$(mail_count)"
check_eq "every e-mail was sent after AUTH as the configured user" 8 "$(grep -c '	alert	' "$VAR/mail.idx")"
check_eq "recipients" "cucthue@du-lieu.backan.gov.vn
ldld@backan.gov.vn
thanhtra@bhxh.backan.gov.vn
thanhtra@bhxh.backan.gov.vn
thanhtra@sldtbxh.backan.gov.vn
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
check "the late agency hears of its missing data" grep -q 'cucthue:tax_employer' "$(mail_to cucthue@du-lieu.backan.gov.vn).body"
check_eq "webhook signatures all valid" "" "$(ls "$VAR/hook" | grep bad-)"
check "webhook body lists the employers" grep -q '"name": "Công ty TNHH Ba Bể"' "$VAR"/hook/*.json
check "notice files: JSON and text for every receiver" bash -c "ls '$VAR'/var-notices 2>/dev/null; test -s \"\$(ls '$VAR'/notices/district-061/*.json | head -1)\" && test -s \"\$(ls '$VAR'/notices/district-061/*.txt | head -1)\""
check_eq "notice directories" "agency-cucthue bhxh district-058 district-061 dolisa union" "$(ls "$VAR/notices" | tr '\n' ' ' | sed 's/ $//')"

# severity rises: a new notice to everyone routed; the acknowledged alert stays quiet
inject <<'T'
not_enrolled	0100109106	061	2017-04	critical	escalated	Công ty CP Nà Phặc	11	10
T
check "escalation: 3 more e-mails (bhxh, dolisa, district 061)" wait_for 30 mail_count_is 11
mail_index
check "escalation notice says so" grep -q 'TĂNG MỨC (1)' "$(mail_to_all ubnd.061@backan.gov.vn | tail -1).body"

# a finding clears: resolved notices where it was told
inject <<'T'
arrears	DV00123	062	2017-04	critical	resolved	Công ty Ngân Sơn	0	12
T
check "resolution: 3 more e-mails (bhxh, dolisa, union)" wait_for 30 mail_count_is 14
mail_index
check "resolved notice to the union" grep -q 'ĐÃ KHẮC PHỤC (1)' "$(mail_to_all ldld@backan.gov.vn | tail -1).body"

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
check "the unsilenced, uninhibited alert arrives" wait_for 30 mail_count_is 15
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
check "summary counts open findings by kind, by name" grep -q 'Doanh nghiệp chưa tham gia BHXH: 3' "$ms.body"
check "...not the operator's" bash -c "! grep -q 'Không nhận được số liệu' '$ms.body'"
check "no code of a unit or a kind in the summary" bash -c "! grep -qE 'not_enrolled|(^| )06[0-9]( |$)' '$ms.body'"
check "the alert worker never opens the aggregate's database" bash -c "! grep -q 'aggregate.db' '$ROOT/workers/alert/'*.c"
check_eq "no injected finding told again after the restart" 15 "$(grep -cE 'not enrolled|Unit in arrears|Tax code not in|Cục Thuế' "$VAR/mail.idx")"
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
check "the e-mail to district 060 names the employer, critical, 12 employees" grep -q 'rất nghiêm trọng.*Công ty TNHH Pác Nặm Xanh, mã 0601234563.*số lao động 12' "$m060"
check "DOLISA inspection is told too" bash -c "grep -l 'Pác Nặm Xanh' $VAR/mail/*.body | xargs grep -l '' | while read -r f; do grep -q 'thanhtra@sldtbxh' \"\${f%.eml.body}.env\"  && echo y; done | grep -q y"
finish
