#!/usr/bin/env bash
# test_dashboard_goal.sh - the dashboard pages take the goal and the tree from
# the configuration: a province with its communes directly under it (no
# district level) and a goal of 60 % BHXH and 45 % BHTN by 2030. No page
# holds the shipped goal (2020, 50 %, 35 %) or the word "huyện"; the pages
# name the configured goal, the communes are linked from the province's page
# and link back to it, and each fits a 400 px screen. The notices and the
# monthly summary (written as a notice file: no SMTP URL) say the same.
CONFIG=${CONFIG:-$(cd "$(dirname "$0")" && pwd)/config/communes-2025.yaml}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dash_lib.sh"
F=$FIX/findings
export BHXH_TODAY=2017-04-20

if [ ! -x "$CHROMIUM" ]; then
	not_ok "$CHROMIUM is missing: install Debian's chromium (apt-get install -y chromium; it is in the Makefile's TEST_DEBS)"
	finish
fi

check "pipeline starts (communes under the province, goal 60/45 by 2030)" ctl up
check "labour force applied" ctl submit --agency sldtbxh --wait "$F/labor_force_2016-2017.csv"
check "enterprise registry applied" ctl submit --agency skhdt --wait "$F/enterprise.csv"
for p in 2016-12 2017-03; do
	check "participants $p applied" ctl submit --agency bhxh --wait "$F/participant_$p.csv"
done
check "tax employers applied" ctl submit --agency cucthue --wait "$F/tax_employer_2017-02.csv"
check "insured units applied" ctl submit --agency bhxh --wait "$F/insured_unit_2017-02.csv"
R=$VAR/reports
check "the pages are up to date (arrears of DV007 on its commune's page)" \
	wait_for 10 grep -q 'id="e-DV007"' "$R/unit/01840.html"

pages=("$R/index.html" "$R"/unit/*.html)
check_eq "a page for the province and each commune" 4 "${#pages[@]}"
check_eq "every commune page is reachable by links from index.html" \
	"index.html unit/01834.html unit/01837.html unit/01840.html" "$(reachable "$R" | tr '\n' ' ' | sed 's/ $//')"
check_pages_clean "communes under the province" "$R"
# as whole numbers: 12,50% is a figure, not the goal
for word in 2020 50% 35% huyện Huyện; do
	check_eq "no page holds '$word'" "" "$(grep -lE -- "(^|[^0-9,])$word([^0-9]|\$)" "${pages[@]}")"
done
check_eq "every page states the configured goal" "" \
	"$(grep -L 'đến năm 2030 khoảng 60% lực lượng lao động tham gia bảo hiểm xã hội (BHXH) và 45% tham gia' "${pages[@]}")"
check_eq "every page draws the goal on both charts" "" \
	"$(for p in "${pages[@]}"; do [ "$(grep -o '<line class="goal"' "$p" | wc -l)" = 2 ] || echo "$p"; done)"
check "the goal is labelled 'Mục tiêu năm 2030: 60%'" grep -q 'Mục tiêu năm 2030: 60%' "$R/index.html"
check "the province lists its communes by their configured names" \
	bash -c "grep -q '<a href=\"unit/01837.html\">Xã Sông Cầu</a>' '$R/index.html' && grep -q '<a href=\"unit/01840.html\">Xã Bộc Bố</a>' '$R/index.html'"
check "a commune links back to the province" grep -q '<nav class="bc" aria-label="Đơn vị cấp trên"><a href="../index.html">Tỉnh Thái Nguyên</a> › Xã Sông Cầu</nav>' "$R/unit/01837.html"
chrome --dump-dom "file://$R/index.html" >"$VAR/dom.html"
check "chromium renders the province's page" grep -q '</html>' "$VAR/dom.html"
for page in index.html unit/01840.html; do
	check_fits "$page fits a 400 px window" "$R/$page" 400
done
shoot "$R/index.html" 400 3000 "$VAR/dashboard-400.png"
check "a 400 px screenshot is saved ($VAR/dashboard-400.png)" test -s "$VAR/dashboard-400.png"
rm -rf "$PROFILE"

# the notices and the monthly summary, from the same configuration
check "the summary's figures reach the alert worker" wait_for 30 bash -c \
	"[ \"\$(sqlite3 '$VAR/db/alert.db' 'SELECT period FROM summary_data' 2>/dev/null)\" = 2017-03 ]"
ctl down >/dev/null
export TZ=UTC BHXH_NOW=$(date -d '2017-05-01 08:00:00' +%s)
check "pipeline restarts on the summary's day" ctl up
check "the monthly summary is written for the provincial committee" wait_for 30 bash -c \
	"grep -lq 'BÁO CÁO THÁNG 5/2017' '$VAR'/notices/province/*.txt 2>/dev/null"
check "...with the configured goal" grep -q 'Mục tiêu đến năm 2030: 60% lực lượng lao động tham gia BHXH, 45% tham gia BHTN' \
	"$(grep -l 'BÁO CÁO THÁNG 5/2017' "$VAR"/notices/province/*.txt | head -1)"
check "...and the communes by name" grep -q '^Xã Sông Cầu ' "$(grep -l 'BÁO CÁO THÁNG 5/2017' "$VAR"/notices/province/*.txt | head -1)"
notes=("$VAR"/notices/*/*.txt "$VAR"/notices/*/*.csv)
for word in 2020 50% 35% huyện Huyện; do
	check_eq "no notice or summary holds '$word'" "" "$(grep -lE -- "(^|[^0-9,])$word([^0-9]|\$)" "${notes[@]}")"
done
finish
