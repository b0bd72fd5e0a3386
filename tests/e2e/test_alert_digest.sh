#!/usr/bin/env bash
# test_alert_digest.sh - one digest per receiver per group interval. Forty
# findings of three kinds in four districts arrive at once: each receiver (and
# each district committee) gets exactly one e-mail, whose text lists the
# most severe and largest cases (at most notices.max_entries per section)
# and whose CSV attachment (parsed with Python's csv module) lists them all.
# More changes arriving in two messages within the interval make one more
# digest per receiver concerned, no sooner than group_interval after its last;
# resolutions and escalations are sections of that digest. Every e-mail is
# parsed with Python's email package and its subject decoded. The goal and
# the units' names come from the configuration: here a goal for 2030 of 60 %
# and 45 %, and district 061 named "Xã Y"; no notice says otherwise.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/alert_lib.sh"

alert_setup_config
sed -i -e 's/^\(  group_interval:\) .*/\1 4s/' -e 's/^\(  max_entries:\) .*/\1 10/' \
	-e 's/^\(  day:\) 1 .*/\1 28/' -e 's/^\(  hour:\) 7/\1 23/' "$VAR/cfg/alerting.yaml"
sed -i -e 's/^\(  year:\) 2020/\1 2030/' -e 's/^\(  bhxh_pct:\) 50/\1 60/' -e 's/^\(  bhtn_pct:\) 35/\1 45/' \
	-e 's/{ code: "061", name: Huyện Ba Bể }/{ code: "061", name: Xã Y }/' "$VAR/cfg/bhxh.yaml"
check "the configuration names 061 Xã Y" grep -q 'name: Xã Y' "$VAR/cfg/bhxh.yaml"
start_smtp "$VAR/mail"
export TZ=UTC BHXH_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT"
export BHXH_NOW=$(date -d '2017-04-15 10:00:00' +%s)
check "pipeline starts" ctl up

# 10 employers not enrolled in each of 058, 060, 061; 6 units in arrears in
# 062 (major: Social Security and the union); 4 low wage bases in 063
{
	for d in 058 060 061; do
		for i in $(seq 10 19); do
			sev=warning
			[ "$i" = 17 ] && sev=critical
			printf 'not_enrolled\t01%s%05d\t%s\t2017-03\t%s\tnew\tCông ty %s số %s\t%d\t1\t2017-0%d\t-\t0\t%d\n' \
				"$d" "$i" "$d" "$sev" "$d" "$i" "$i" $((i % 3 + 1)) "$i"
		done
	done
	for i in 1 2 3 4 5 6; do
		printf 'arrears\tDV0620%d\t062\t2017-03\tmajor\tnew\tĐơn vị Ngân Sơn %d\t%d\t6\t2016-0%d\t-\t%d000000\t%d\n' "$i" "$i" $((5 + i)) "$i" "$i" $((3 * i))
	done
	for i in 1 2 3 4; do
		printf 'low_wage_basis\tDV0630%d\t063\t2017-03\twarning\tnew\tĐơn vị Bạch Thông %d\t2%d00000\t2580000\n' "$i" "$i" "$i"
	done
} >"$VAR/batch1.tsv"
check_eq "40 findings" 40 "$(wc -l <"$VAR/batch1.tsv")"
inject <"$VAR/batch1.tsv"
# bhxh (40), dolisa (34: not enrolled, low wage), union (6), districts 058, 060, 061, 063
check "7 e-mails arrive" wait_for 30 mail_count_is 7
check "every delivery is done" wait_for 30 all_delivered
mail_index
check_eq "exactly 7 e-mails: one per receiver and district" 7 "$(mail_count)"
check_eq "each recipient got exactly one" "" "$(cut -f2 "$VAR/mail.idx" | sort | uniq -d)"
check "each is text and the same as HTML, with the list as CSV" "$SINK_PY" - "$VAR/mail" <<'PY'
import email, glob, html, re, sys
from email import policy
for f in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    m = email.message_from_bytes(open(f, "rb").read(), policy=policy.default)
    types = [p.get_content_type() for p in m.walk()]
    assert types == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/csv"], (f, types)
    text = [p for p in m.walk() if p.get_content_type() == "text/plain"][0].get_content()
    page = [p for p in m.walk() if p.get_content_type() == "text/html"][0].get_content()
    assert "<script" not in page.lower(), f
    assert "<h3" in page and "<ol" in page and "viewport" in page, f
    # every entry of the text is an entry of the HTML, in the same order
    entries = [l.split(". ", 1)[1] for l in text.splitlines() if re.match(r"^  [0-9]+\. ", l)]
    items = [html.unescape(re.sub(r"<[^>]+>", "", i)) for i in re.findall(r"<li[^>]*><b>(.*?)</b>", page)]
    assert entries == items, (f, entries[:3], items[:3])
PY
rows() { /usr/bin/python3 -c 'import csv, sys; print(len(list(csv.reader(open(sys.argv[1], newline="")))) - 1)' "$1"; }
mb=$(mail_to thanhtra@bhxh.backan.gov.vn)
md=$(mail_to thanhtra@sldtbxh.backan.gov.vn)
m061=$(mail_to ubnd.061@backan.gov.vn)
check_eq "BHXH's subject, decoded" "[BHXH] 40 mới: nhiều loại phát hiện / 40 new: findings of several kinds" "$(mail_subject "$mb")"
check_eq "district 061's subject, decoded" "[BHXH] 10 mới: Doanh nghiệp chưa tham gia BHXH (Xã Y) / 10 new: Employer not enrolled in social insurance" "$(mail_subject "$m061")"
check_eq "BHXH's CSV lists all 40" 40 "$(rows "$mb.csv")"
check_eq "DOLISA's CSV lists its 34" 34 "$(rows "$md.csv")"
check_eq "district 061's CSV lists its 10, none of another district" "10 0" \
	"$(rows "$m061.csv") $(grep -c 'Huyện Pác Nặm\|Thành phố Bắc Kạn' "$m061.csv")"
check_eq "BHXH's text lists 10 entries in each language" 20 "$(grep -cE '^  [0-9]+\. ' "$mb.body")"
check "and says where the other 30 are" grep -q '^  ... và 30 trường hợp khác: xem danh sách đầy đủ trong tệp phát-hiện-[0-9]*.csv kèm theo.$' "$mb.body"
check_eq "the three critical ones come first" "rất nghiêm trọng rất nghiêm trọng rất nghiêm trọng nghiêm trọng" \
	"$(grep -E '^  [1-4]\. ' "$mb.body" | head -4 | sed 's/.*(\(.*\))$/\1/' | tr '\n' ' ' | sed 's/ $//')"
check "then by size: the largest arrears before the smaller" bash -c "grep -n 'Ngân Sơn 6\|Ngân Sơn 5' '$mb.body' | head -2 | grep -q 'Ngân Sơn 6' "
check "the CSV carries money and workers as plain numbers" grep -q ',Đơn vị Ngân Sơn 6,DV06206,Huyện Ngân Sơn,2017-03,11,tháng,6,18,6000000,2016-06,' "$mb.csv"
check "the CSV header is bilingual" bash -c "head -1 '$mb.csv' | grep -q '^Tình trạng / Status,Phát hiện / Finding,'"
FIRST=$(sqlite3 "$VAR/db/alert.db" "SELECT max(id) FROM outmsg")

# more changes in two messages, within the interval: one more digest each
inject <<'T'
seq 2
not_enrolled	0106100010	061	2017-04	critical	escalated	Công ty 061 số 10	25	10	2017-01
not_enrolled	0106100011	061	2017-04	warning	resolved	Công ty 061 số 11	0	1	-	no_longer_found
T
inject <<'T'
seq 3
not_enrolled	0106100012	061	2017-04	warning	resolved	Công ty 061 số 12	0	1	-	remedied
not_enrolled	0106100099	061	2017-04	warning	new	Công ty 061 số 99	4	1	2017-04
T
check "3 more e-mails: BHXH, DOLISA, district 061" wait_for 30 mail_count_is 10
check "every delivery is done" wait_for 30 all_delivered
mail_index
check_eq "exactly 10 e-mails" 10 "$(mail_count)"
check_eq "two for each of BHXH, DOLISA and district 061, one for the others" "1 ldld@backan.gov.vn
2 thanhtra@bhxh.backan.gov.vn
2 thanhtra@sldtbxh.backan.gov.vn
1 ubnd.058@backan.gov.vn
1 ubnd.060@backan.gov.vn
2 ubnd.061@backan.gov.vn
1 ubnd.063@backan.gov.vn" "$(cut -f2 "$VAR/mail.idx" | sort | uniq -c | sed 's/^ *//')"
m2=$(mail_to_all ubnd.061@backan.gov.vn | tail -1)
check_eq "the second digest's subject counts the changes" "[BHXH] 1 mới, 1 tăng mức, 2 đã khắc phục hoặc không còn phát hiện: Doanh nghiệp chưa tham gia BHXH (Xã Y) / 1 new, 1 escalated, 2 remedied or no longer found: Employer not enrolled in social insurance" "$(mail_subject "$m2")"
check "escalated in its own section" grep -q '^TĂNG MỨC ĐỘ (1)$' "$m2.body"
check "resolved in their own section, each with its reason" bash -c "grep -q '^ĐÃ KHẮC PHỤC HOẶC KHÔNG CÒN PHÁT HIỆN (2)$' '$m2.body' && grep -q 'Kết quả: không còn phát hiện' '$m2.body' && grep -q 'Kết quả: đã khắc phục' '$m2.body'"
check "what is still open is counted, not listed again" bash -c "grep -q '^VẪN CÒN (nhắc lại) (7)$' '$m2.body' && ! grep -q 'số 13' '$m2.body'"
check_eq "its CSV lists all 11" 11 "$(rows "$m2.csv")"
gap=$(sqlite3 "$VAR/db/alert.db" "SELECT min(gap) FROM (SELECT created_at - lag(created_at) OVER (PARTITION BY receiver, scope ORDER BY id) AS gap
	FROM outmsg WHERE gkey LIKE 'digest=%') WHERE gap IS NOT NULL")
check "no receiver got two digests within the group interval (4 s; shortest gap ${gap} ms)" test "${gap:-0}" -ge 4000

# the goal from the configuration
inject <<'T'
seq 4
off_track	061:bhxh	061	2017-04	major	new	-	21.5	60
off_track	061:bhtn	061	2017-04	major	new	-	3	45
T
check "3 more e-mails: BHXH, DOLISA, district 061" wait_for 30 mail_count_is 13
check "every delivery is done" wait_for 30 all_delivered
mail_index
m3=$(mail_to_all ubnd.061@backan.gov.vn | tail -1)
check_eq "the goal year in the subject comes from the configuration" "[BHXH] 2 mới: Không đạt mục tiêu năm 2030 theo xu hướng (Xã Y) / 2 new: Off track for the 2030 goal" "$(mail_subject "$m3")"
check "the goal in the body" bash -c "grep -q 'Tỷ lệ bao phủ dự báo: 21,5% (mục tiêu năm 2030: 60%)' '$m3.body' && grep -q '(mục tiêu năm 2030: 45%)' '$m3.body'"
check "addressed to UBND and the configured name" grep -q '^Kính gửi: UBND Xã Y$' "$m3.body"
check "the area by its configured name" grep -q 'Địa bàn: Xã Y, bảo hiểm xã hội' "$m3.body"
check_eq "no 2020, 50 %, 35 % nor 'huyện' in what district 061 was sent" "" \
	"$(for f in $(mail_to_all ubnd.061@backan.gov.vn); do grep -liE '2020|50%|35%|huyện' "$f.body" "$f.csv"; done)"

# an employer whose district changes: its old district committee is not told
n060() { grep -l 'RCPT TO: ubnd.060@' "$VAR"/mail/*.env 2>/dev/null | wc -l; }
n062() { grep -l 'RCPT TO: ubnd.062@' "$VAR"/mail/*.env 2>/dev/null | wc -l; }
b060=$(n060)
b062=$(n062)
inject <<'T'
seq 5
not_enrolled	0106000001	060	2017-04	warning	new	Công ty Dời Địa Bàn	3	1	2017-04
T
check "the employer's first district is told" wait_for 30 bash -c "[ \$(grep -l 'RCPT TO: ubnd.060@' '$VAR'/mail/*.env | wc -l) -gt $b060 ]"
check "every delivery is done" wait_for 30 all_delivered
b060=$(n060)
inject <<'T'
seq 6
not_enrolled	0106000001	062	2017-05	critical	escalated	Công ty Dời Địa Bàn	15	10	2017-04
T
check "the new district is told" wait_for 30 bash -c "[ \$(grep -l 'RCPT TO: ubnd.062@' '$VAR'/mail/*.env | wc -l) -gt $b062 ]"
check "every delivery is done" wait_for 30 all_delivered
check_eq "the old district gets nothing more" "$b060" "$(n060)"
mail_index
check_eq "no message was sent twice" "" "$(cut -f4 "$VAR/mail.idx" | sort | uniq -d)"

# the monthly summary's figures as a forged message: a month that is not one
# is refused whole; hostile names are cleaned in every part of the summary
ZF=$BIN/tests/zforge
ASOCK=ipc://$VAR/run/alert.sock
bad0=$(sqlite3 "$VAR/db/alert.db" "SELECT coalesce((SELECT value FROM stat WHERE key = 'bad_summaries'), 0)")
printf 'bhxh\tparticipant\t<script>alert(1)</script>\n' >"$VAR/ag_bad.tsv"
: >"$VAR/empty.tsv"
check "a summary whose month is markup is acknowledged" "$ZF" "$ASOCK" summary --period 2017-03 --units "$VAR/empty.tsv" \
	--employers "$VAR/empty.tsv" --agencies "$VAR/ag_bad.tsv" --wait-acks
check_eq "...and refused, counted" $((bad0 + 1)) \
	"$(sqlite3 "$VAR/db/alert.db" "SELECT value FROM stat WHERE key = 'bad_summaries'")"
printf '06\tTỉnh Bắc Kạn\t\t1000\t3\t2\t0.30\t0.20\t30.00\t15.00\t0.10\t0.10\n' >"$VAR/units.tsv"
printf '061\t=HYPERLINK("http://x/"&A1;"Xã") CCCD 001234567890\t06\t900\t1\t1\t0.11\t0.11\t20.00\t10.00\t\t\n' >>"$VAR/units.tsv"
printf 'not_enrolled\t0300588569\tCông ty <b>Ba</b> BHXH 0912345678\t061\tcritical\t12\t12\t0\t2017-01\n' >"$VAR/emp.tsv"
printf 'bhxh\tparticipant\t2017-03\n' >"$VAR/ag.tsv"
check "a summary with hostile names is taken" "$ZF" "$ASOCK" summary --period 2017-03 --units "$VAR/units.tsv" \
	--employers "$VAR/emp.tsv" --agencies "$VAR/ag.tsv" --wait-acks
ctl down >/dev/null
export BHXH_NOW=$(date -d '2017-04-28 23:30:00' +%s)
check "pipeline restarts on the summary's day" ctl up
check "the summary is sent" wait_for 30 bash -c "grep -q 'RCPT TO: mttq@' '$VAR'/mail/*.env"
check "every delivery is done" wait_for 30 all_delivered
ms=$(grep -l 'RCPT TO: mttq@' "$VAR"/mail/*.env | head -1)
check "no markup, personal number or live formula in any part of it" "$SINK_PY" - "${ms%.env}.eml" <<'PY'
import csv, email, io, re, sys
from email import policy
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=policy.default)
parts = {p.get_content_type(): p for p in m.walk()}
text, page = parts["text/plain"].get_content(), parts["text/html"].get_content()
data = parts["text/csv"].get_payload(decode=True).decode("utf-8-sig")
for what, s in (("text", text), ("html", page), ("csv", data)):
    assert not re.search(r"(?<![0-9])[0-9]{12}(?![0-9])", s), what + ": a 12-digit number"
    assert "0912345678" not in s, what + ": an insurance number"
assert "<b>Ba</b>" not in page and "<script" not in page.lower(), "html: markup from the data"
assert "&lt;b&gt;Ba&lt;/b&gt;" in page, "html: the name, escaped"
rows = list(csv.reader(io.StringIO(data, newline="")))
names = [r[1] for r in rows[1:]]
assert all(not n.startswith(("=", "+", "-", "@")) for n in names), names
assert any(n.startswith("'=HYPERLINK") for n in names), names
PY
finish
