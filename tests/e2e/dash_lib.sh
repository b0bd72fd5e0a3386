# dash_lib.sh - helpers for the dashboard tests: headless Chromium (Debian's
# chromium, flags for a machine without network), the pages reachable by
# links from index.html, and the width of a rendered page measured in a
# test-only copy of it.
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
PROFILE=$(mktemp -d)

# chrome ARGS... - headless Chromium with its own profile, nothing fetched
chrome() {
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
		--user-data-dir="$PROFILE" "$@" 2>>"$VAR/chromium.log"
}

# reachable DIR - every page reached by following href links from DIR/index.html,
# as paths relative to DIR, one per line (sorted)
reachable() {
	local dir=$1 seen queue page base link target
	seen=$'\n'index.html$'\n'
	queue=(index.html)
	while [ ${#queue[@]} -gt 0 ]; do
		page=${queue[0]}
		queue=("${queue[@]:1}")
		base=$(dirname "$page")
		for link in $(grep -o 'href="[^"#]*' "$dir/$page" | sed 's/^href="//' | sort -u); do
			target=$(realpath -m --relative-to="$dir" "$dir/$base/$link")
			case "$seen" in *$'\n'"$target"$'\n'*) continue ;; esac
			seen+="$target"$'\n'
			[ -f "$dir/$target" ] && queue+=("$target")
		done
	done
	printf '%s' "$seen" | sed '/^$/d' | sort
}

# page_width PAGE WIDTH - the page's scroll width and its viewport's width at
# that width, "SCROLL VIEWPORT", measured in a test-only copy of the page
# (beside it, so that its relative links still work) without the CSP and with
# a small script that posts both numbers; the shipped page has no script.
# Headless Chromium never makes its window narrower than 500 px, so the copy
# is shown in a frame exactly WIDTH px wide (its media queries see WIDTH) in a
# page that writes the numbers into its DOM, read with --dump-dom.
page_width() {
	local page=$1 width=$2 dir copy frame
	dir=$(dirname "$page")
	copy=$dir/.measure-$(basename "$page")
	frame=$dir/.frame-$(basename "$page")
	sed -e '/Content-Security-Policy/d' \
		-e 's|</body>|<script>parent.postMessage(document.documentElement.scrollWidth + " " + window.innerWidth, "*")</script></body>|' \
		"$page" >"$copy"
	printf '<!DOCTYPE html><html><body style="margin:0"><iframe src="%s" style="width:%dpx;height:900px;border:0"></iframe><script>window.addEventListener("message", function (e) { document.body.setAttribute("data-measure", e.data) })</script></body></html>\n' \
		"$(basename "$copy")" "$width" >"$frame"
	chrome --window-size="$width",900 --dump-dom "file://$frame" | grep -o 'data-measure="[0-9]* [0-9]*"' |
		sed 's/data-measure="\(.*\)"/\1/'
	rm -f "$copy" "$frame"
}

# shoot PAGE WIDTH HEIGHT PNG - a screenshot of the page as a WIDTH px wide
# screen shows it (in a frame, as page_width does; the page itself unchanged)
shoot() {
	local page=$1 width=$2 height=$3 png=$4 frame
	frame=$(dirname "$page")/.shot-$(basename "$page")
	printf '<!DOCTYPE html><html><body style="margin:0;background:#888"><iframe src="%s" style="width:%dpx;height:%dpx;border:0;background:#fff"></iframe></body></html>\n' \
		"$(basename "$page")" "$width" "$height" >"$frame"
	chrome --window-size="$(( width < 500 ? 500 : width ))","$height" --screenshot="$png" "file://$frame" >/dev/null
	rm -f "$frame"
}

# check_fits DESC PAGE WIDTH - no page-wide horizontal scroll at that width
check_fits() {
	local m sw iw
	m=$(page_width "$2" "$3")
	sw=${m% *}
	iw=${m#* }
	if [ -n "$m" ] && [ "$sw" -le "$iw" ] && [ "$iw" -le "$3" ]; then
		ok "$1 (scroll width $sw, window $iw)"
	else
		not_ok "$1 (measured: '$m')"
	fi
}

# check_pages_clean DESC DIR - no script, no fetch, only links to our own pages
check_pages_clean() {
	local bad
	bad=$(grep -liE '<script|src=|url\(|@import|<link' "$2/index.html" "$2"/unit/*.html)
	check_eq "$1: no page has a script or fetches anything" "" "$bad"
	bad=$(grep -ohE 'href="[^"]*"' "$2/index.html" "$2"/unit/*.html | sort -u |
		grep -vE '^href="((\.\./)?(unit/)?[A-Za-z0-9_][A-Za-z0-9_.-]*\.html)?(#[A-Za-z0-9_.-]+)?"$')
	check_eq "$1: every link goes to a page of the dashboard" "" "$bad"
	bad=$(grep -L 'name="viewport"' "$2/index.html" "$2"/unit/*.html)
	check_eq "$1: every page has a viewport meta tag" "" "$bad"
	bad=$(grep -L "default-src 'none'" "$2/index.html" "$2"/unit/*.html)
	check_eq "$1: every page keeps its Content-Security-Policy" "" "$bad"
}
