#!/usr/bin/env bash
# test_dashboard.sh - VAR/reports/index.html opened in headless Chromium
# (Debian's chromium, flags for a machine without network): every district
# and its coverage figure are in the rendered DOM, the page fetches nothing,
# a name holding <script> is shown as text, and a screenshot is saved.
CONFIG=${CONFIG:-$(cd "$(dirname "$0")" && pwd)/config/three-level.yaml}
. "$(dirname "$0")/lib.sh"
F=$FIX/findings
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export BHXH_TODAY=2017-04-20

if [ ! -x "$CHROMIUM" ]; then
	not_ok "$CHROMIUM is missing: install Debian's chromium (apt-get install -y chromium; it is in the Makefile's DEBS)"
	finish
fi

check "pipeline starts" ctl up
check "labour force applied" ctl submit --agency sldtbxh --wait "$F/labor_force_2016-2017.csv"
check "district target applied" ctl submit --agency ubnd_058 --wait "$F/target_2017_058.csv"
check "enterprise registry applied" ctl submit --agency skhdt --wait "$F/enterprise.csv"
check "participants 2016-12 applied" ctl submit --agency bhxh --wait "$F/participant_2016-12.csv"
check "participants 2017-03 applied" ctl submit --agency bhxh --wait "$F/participant_2017-03.csv"
check "tax employers applied" ctl submit --agency cucthue --wait "$F/tax_employer_2017-02.csv"
HTML=$VAR/reports/index.html
check "the dashboard shows the employers to chase" wait_for 10 grep -q 'Gỗ Sông Cầu' "$HTML"

check "a name holding <script> is escaped in the page" grep -q 'Công ty &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co' "$HTML"
check "the page holds no script at all" bash -c "! grep -qi '<script' '$HTML'"
check "the page fetches nothing (no src= or href= to anything)" bash -c "! grep -qiE '(src|href)=|url\\(|@import' '$HTML'"

PROFILE=$(mktemp -d)
chrome() {
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$PROFILE" "$@" 2>>"$VAR/chromium.log"
}
chrome --dump-dom "file://$HTML" >"$VAR/dom.html"
check "chromium renders the page" grep -q '</html>' "$VAR/dom.html"
for row in "Tỉnh Bắc Kạn|15,00" "Thành phố Bắc Kạn|16,36" "Huyện Pác Nặm|10,00"; do
	name=${row%|*}
	fig=${row#*|}
	check "DOM: $name with its coverage $fig%" grep -qE "<td>$name</td><td class=\"n\">[0-9]+</td><td class=\"n\">[0-9]+</td><td class=\"n\">$fig</td>" "$VAR/dom.html"
	check "DOM: $name in the bar chart with $fig%" grep -qF ">$fig%</text>" "$VAR/dom.html"
done
check "DOM: targets shown (16,36 for the city, 16,25 for the province)" grep -qE '<td class="n">16,25</td>' "$VAR/dom.html"
check "DOM: the <script> name is text, not an element" bash -c "! grep -qi '<script' '$VAR/dom.html' && grep -q '&lt;script&gt;alert(1)' '$VAR/dom.html'"
check "DOM: ranked list puts the critical employer first" grep -qE '<td class="n">1</td><td class="sev-critical">' "$VAR/dom.html"
SHOT=${DASHBOARD_SCREENSHOT:-$VAR/dashboard.png}
chrome --window-size=1100,1800 --screenshot="$SHOT" "file://$HTML" >/dev/null
check "a screenshot is saved ($SHOT)" test -s "$SHOT"
rm -rf "$PROFILE"
finish
