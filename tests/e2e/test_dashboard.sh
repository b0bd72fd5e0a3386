#!/usr/bin/env bash
# test_dashboard.sh - the dashboard pages (docs/DOMAIN.md §8) of a province ->
# district -> commune tree, opened in headless Chromium: a page per unit, all
# reachable by links from index.html; both trend charts with the goal and the
# targets; figures with their units; which agencies' files are in; employers
# per subtree with their anchors, provisional ones apart; no page-wide
# horizontal scroll at 400 and 1400 px; no script, no fetch; a name holding
# <script> shown as text; only the pages a file can change rewritten;
# screenshots saved in the var dir.
CONFIG=${CONFIG:-$(cd "$(dirname "$0")" && pwd)/config/three-level.yaml}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dash_lib.sh"
F=$FIX/findings
export BHXH_TODAY=2017-04-20

if [ ! -x "$CHROMIUM" ]; then
	not_ok "$CHROMIUM is missing: install Debian's chromium (apt-get install -y chromium; it is in the Makefile's TEST_DEBS)"
	finish
fi

check "pipeline starts (three-level tree)" ctl up
check "labour force applied" ctl submit --agency sldtbxh --wait "$F/labor_force_2016-2017.csv"
check "district target applied" ctl submit --agency ubnd_058 --wait "$F/target_2017_058.csv"
check "enterprise registry applied" ctl submit --agency skhdt --wait "$F/enterprise.csv"
for p in 2016-12 2017-01 2017-02 2017-03; do
	check "participants $p applied" ctl submit --agency bhxh --wait "$F/participant_$p.csv"
done
check "tax employers applied" ctl submit --agency cucthue --wait "$F/tax_employer_2017-02.csv"
check "insured units applied" ctl submit --agency bhxh --wait "$F/insured_unit_2017-02.csv"
R=$VAR/reports
HTML=$R/index.html
check "the dashboard shows the employers to chase" wait_for 10 grep -q 'Gỗ Sông Cầu' "$HTML"
check "the pages are up to date (arrears of DV007 on its commune's page)" \
	wait_for 10 grep -q 'id="e-DV007"' "$R/unit/01840.html"

# one page per unit, every one reachable from index.html
for u in 058 01834 01837 060 01840; do
	check "unit $u has its page" test -s "$R/unit/$u.html"
done
reachable "$R" >"$VAR/reached.txt"
check_eq "every unit page is reachable by links from index.html" \
	"index.html unit/01834.html unit/01837.html unit/01840.html unit/058.html unit/060.html" \
	"$(tr '\n' ' ' <"$VAR/reached.txt" | sed 's/ $//')"
check_pages_clean "three-level tree" "$R"
check "a name holding <script> is escaped in the page" grep -q 'Công ty &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co' "$HTML"
check "no insurance number in any page" bash -c "! grep -rqE '0200000[0-9]{3}' '$R'"

chrome --dump-dom "file://$HTML" >"$VAR/dom.html"
check "chromium renders the page" grep -q '</html>' "$VAR/dom.html"
check "DOM: the <script> name is text, not an element" bash -c "! grep -qi '<script' '$VAR/dom.html' && grep -q '&lt;script&gt;alert(1)' '$VAR/dom.html'"
check "DOM: the province's BHXH coverage for 03/2017 (15,00%)" grep -q 'id="cov-bhxh">15,00%<' "$VAR/dom.html"
check "DOM: BHXH trend chart" grep -q 'class="trend-bhxh"' "$VAR/dom.html"
check "DOM: BHTN trend chart" grep -q 'class="trend-bhtn"' "$VAR/dom.html"
check_eq "DOM: the goal drawn on both charts" 2 "$(grep -o '<line class="goal"' "$VAR/dom.html" | wc -l)"
check "DOM: the goal labelled from the configuration" grep -q 'Mục tiêu năm 2020: 50%' "$VAR/dom.html"
check "DOM: each year's target drawn (2017: 16,25% on the goal path)" grep -q 'Chỉ tiêu BHXH năm 2017: 16,25%' "$VAR/dom.html"
for row in "058|Thành phố Bắc Kạn|16,36%" "060|Huyện Pác Nặm|10,00%"; do
	IFS='|' read -r code name fig <<<"$row"
	check "DOM: sub-unit $name linked with its coverage $fig" \
		grep -qE "<tr id=\"u-$code\"><td class=\"name\"><a href=\"unit/$code.html\">$name</a></td><td class=\"n\" data-l=\"Tỷ lệ BHXH\">$fig</td>" "$VAR/dom.html"
done
check "DOM: headcounts carry their unit" grep -qE 'data-l="Người tham gia BHXH">18 người<' "$VAR/dom.html"
check "DOM: no column of mixed measures (Số đo)" bash -c "! grep -q 'Số đo' '$VAR/dom.html'"
check "DOM: arrears in months, wage basis in VND" bash -c "grep -q 'Nợ đóng BHXH 12 tháng' '$VAR/dom.html' && grep -q '2.579.999 VND/người/tháng' '$VAR/dom.html'"
check "DOM: the time of generation" grep -qE 'id="generated">[0-9]{2}:[0-9]{2} ngày [0-9]{2}/[0-9]{2}/[0-9]{4}<' "$VAR/dom.html"
check "DOM: which files are in for 03/2017 (participants in, tax data not yet due)" \
	bash -c "grep -q 'id=\"nop-so-lieu\"' '$VAR/dom.html' && grep -q 'chưa nhận (hạn 20/04/2017)' '$VAR/dom.html' && grep -q 'đã nhận</span> ngày' '$VAR/dom.html'"
check "DOM: ranked list puts a critical employer first" grep -qE '<td class="n rank">1</td><td class="sev-critical"' "$VAR/dom.html"

# each unit's own employers, anchored for the notices' links
check "commune 01837 lists Gỗ Sông Cầu with anchor e-0300588569" grep -q 'id="e-0300588569"' "$R/unit/01837.html"
check "district 058 lists it too" grep -q 'id="e-0300588569"' "$R/unit/058.html"
check "district 060 does not" bash -c "! grep -q '0300588569' '$R/unit/060.html'"
check "a commune page links up: breadcrumb to its district and the province" \
	grep -q '<nav class="bc" aria-label="Đơn vị cấp trên"><a href="../index.html">Tỉnh Bắc Kạn</a> › <a href="058.html">Thành phố Bắc Kạn</a> › ' "$R/unit/01837.html"

# provisional findings: marked and apart. The status is set the way the
# findings module will set it; a target file then brings a rewrite. Only the
# pages that file and that status can change are written again.
touch -d '2000-01-01' "$R/unit/01834.html"
m0=$(stat -c %Y "$R/unit/01834.html")
sqlite3 "$VAR/db/aggregate.db" "UPDATE finding SET status = 'provisional' WHERE subject = '0300588569'"
check "district 060 target applied" ctl submit --agency ubnd_060 --wait "$F/target_2017_060.csv"
check "the provisional finding shows on its commune's page" wait_for 10 grep -q 'id="tam-tinh"' "$R/unit/01837.html"
prov=$(sed -n '/id="tam-tinh"/,$p' "$R/unit/01837.html")
check "it sits in its own section, marked 'tạm tính — chưa đủ số liệu'" \
	bash -c "grep -q 'id=\"e-0300588569\"' <<<'$prov' && grep -q 'tạm tính — chưa đủ số liệu' <<<'$prov'"
check "and not among the final ones" bash -c "! sed -n '/id=\"doanh-nghiep\"/,/id=\"tam-tinh\"/p' '$R/unit/01837.html' | grep -q '0300588569'"
check "the page of 060 (new target) is rewritten" grep -q 'Chỉ tiêu BHXH năm 2017: 10,00%' "$R/unit/060.html"
check_eq "the page of 01834 (nothing changed there) is left alone" "$m0" "$(stat -c %Y "$R/unit/01834.html")"
check "the aggregate says how many pages it wrote" grep -qE 'dashboard: [0-9]+ of 6 pages written' "$VAR/log/aggregate.log"

# phone and desktop: no page-wide horizontal scroll; screenshots to look at
for page in index.html unit/058.html unit/01837.html unit/01840.html; do
	for w in 400 1400; do
		check_fits "$page fits a $w px window" "$R/$page" "$w"
	done
done
SHOT=${DASHBOARD_SCREENSHOT:-$VAR/dashboard.png}
chrome --window-size=1400,2400 --screenshot="$SHOT" "file://$HTML" >/dev/null
check "a 1400 px screenshot is saved ($SHOT)" test -s "$SHOT"
shoot "$HTML" 400 3600 "$VAR/dashboard-400.png"
check "a 400 px screenshot is saved ($VAR/dashboard-400.png)" test -s "$VAR/dashboard-400.png"
shoot "$R/unit/01840.html" 400 3000 "$VAR/unit-01840-400.png"
check "a 400 px screenshot of a commune page is saved" test -s "$VAR/unit-01840-400.png"
if [ -n "${DASHBOARD_KEEP:-}" ]; then
	mkdir -p "$DASHBOARD_KEEP" && cp -r "$R" "$VAR"/*.png "$DASHBOARD_KEEP/"
fi
rm -rf "$PROFILE"
finish
