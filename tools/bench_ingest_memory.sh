#!/usr/bin/env bash
# bench_ingest_memory.sh - memory of the ingest worker stays flat whatever the
# file size: a small and a large participant file, each through a whole
# pipeline in its own var dir; prints the ingest worker's peak RSS (VmHWM,
# polled from /proc while the file is read) and its rows/s, then the ratio of
# the two peaks, which must stay within 2x.
#
#   tools/bench_ingest_memory.sh [SMALL_MB [LARGE_MB]]   (default 10 and 1024)
set -u
cd "$(dirname "$0")/.."
BIN=${BHXH_BIN:-bin}
CONFIG=${CONFIG:-config/bhxh.yaml}
SMALL_MB=${1:-10}
LARGE_MB=${2:-1024}
ROW_BYTES=43 # about one generated participant row

# run_one MB - prints "rows peak_kb seconds"
run_one() {
	local mb=$1 var rows need avail pid hwm=0 t0 t1 sha status
	var=$(mktemp -d /tmp/bhxh-bench-ingest.XXXXXX)
	rows=$((mb * 1024 * 1024 / ROW_BYTES))
	# the file, the aggregate's staged copy and the outboxes: about 4x the file
	need=$((mb * 4 + 200))
	avail=$(df -Pm "$var" | awk 'NR == 2 { print $4 }')
	if [ "$avail" -lt "$need" ]; then
		echo "not enough disk space in $var: need $need MB, have $avail MB" >&2
		rm -rf "$var"
		return 1
	fi
	"$BIN"/bhxh-gen participant --rows "$rows" --period 2017-03 >"$var/participant_bench.csv"
	sha=$(sha256sum "$var/participant_bench.csv" | cut -d' ' -f1)
	"$BIN"/bhxhctl --config "$CONFIG" --var-dir "$var" up >/dev/null || { rm -rf "$var"; return 1; }
	pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$var/run/ingest.status")
	t0=$(date +%s.%N)
	mv "$var/participant_bench.csv" "$var/spool/incoming/bhxh/" # the drop protocol: rename in
	status=""
	until grep -q "\"sha256\":\"$sha\".*\"done\":1" "$var/run/ingest.progress" 2>/dev/null; do
		v=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null)
		if [ -z "$v" ]; then status="ingest worker $pid went away"; break; fi
		[ "$v" -gt "$hwm" ] && hwm=$v
		read -r -t 0.2 <> <(:) || true # 200 ms between two samples
	done
	t1=$(date +%s.%N)
	v=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null)
	[ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v
	"$BIN"/bhxhctl --config "$CONFIG" --var-dir "$var" down >/dev/null
	rm -rf "$var"
	[ -z "$status" ] || { echo "$status" >&2; return 1; }
	echo "$rows $hwm $(echo "$t1 - $t0" | bc -l)"
}

printf '%-8s %12s %14s %10s %12s\n' size rows peak_rss_kb seconds rows/s
small=$(run_one "$SMALL_MB") || exit 1
set -- $small
printf '%-8s %12d %14d %10.1f %12.0f\n' "${SMALL_MB}MB" "$1" "$2" "$3" "$(echo "$1 / $3" | bc -l)"
small_kb=$2
large=$(run_one "$LARGE_MB") || exit 1
set -- $large
printf '%-8s %12d %14d %10.1f %12.0f\n' "${LARGE_MB}MB" "$1" "$2" "$3" "$(echo "$1 / $3" | bc -l)"
ratio=$(echo "$2 / $small_kb" | bc -l)
printf 'peak RSS ratio large/small: %.2f (must be <= 2)\n' "$ratio"
[ "$(echo "$ratio <= 2" | bc -l)" = 1 ]
