#!/usr/bin/env bash
# fuzz.sh - run libFuzzer harnesses for a while each and say what they found.
#
#   tools/fuzz.sh [bin/fuzz/fuzz_NAME ...]      (default: every bin/fuzz/fuzz_*)
#
# `make fuzz` builds the harnesses (tests/fuzz/fuzz_*.c) and calls this.
# Each harness runs for FUZZ_SECONDS (default 60) on a working corpus in
# build/fuzz/corpus/NAME, seeded from tests/fuzz/corpus/NAME (read only: new
# inputs go to the working corpus). Prints per harness the number of runs
# executed and whether it found a crash (a crash, leak, timeout, out-of-memory
# or sanitizer report; the input is saved under build/fuzz/artifacts/NAME/),
# and exits 1 if any did. The full libFuzzer output is in build/fuzz/NAME.log.
# docs/FUZZING.md explains how to reproduce and minimise a finding.
set -u
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
out=build/fuzz
export BHXH_FUZZ_CONFIG=${BHXH_FUZZ_CONFIG:-$PWD/config}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

# max_len - the largest input worth trying per harness
max_len() {
	case "$1" in
	csv) echo 8192 ;;      # the 64 KiB buffer edge is reached by the harness's filler mode
	yaml) echo 16384 ;;    # the shipped files are 2-6 KiB
	msg) echo 16384 ;;
	fields) echo 2048 ;;   # one cell, or one row
	text) echo 2048 ;;     # one cell or header name
	workbook) echo 16384 ;; # the fixture workbooks are 1-6 KiB
	*) echo 4096 ;;
	esac
}

if [ $# -eq 0 ]; then
	set -- bin/fuzz/fuzz_*
fi
mkdir -p "$out"
found=0
for bin in "$@"; do
	if [ ! -x "$bin" ]; then
		echo "fuzz.sh: $bin: not built (make fuzz)" >&2
		found=1
		continue
	fi
	name=${bin##*/fuzz_}
	corpus=$out/corpus/$name
	artifacts=$out/artifacts/$name
	log=$out/$name.log
	mkdir -p "$corpus" "$artifacts"
	rm -rf "$out/tmp/$name" && mkdir -p "$out/tmp/$name"
	seeds=()
	[ -d "tests/fuzz/corpus/$name" ] && seeds=("tests/fuzz/corpus/$name")
	before=$(find "$artifacts" -type f | wc -l)
	TMPDIR=$PWD/$out/tmp/$name "$bin" -max_total_time="$seconds" -max_len="$(max_len "$name")" -timeout=10 -rss_limit_mb=2048 \
	  -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "${seeds[@]}" \
	  </dev/null >"$log" 2>&1
	rc=$?
	after=$(find "$artifacts" -type f | wc -l)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
		found=1
		printf '%-8s %10s runs in %ss  %-9s  CRASH (exit %d): see %s and %s\n' "$name" "${runs:-?}" \
		  "$seconds" "${cov:-}" "$rc" "$log" "$artifacts/"
		grep -m1 -E '^==[0-9]+==ERROR|runtime error|^SUMMARY' "$log" | sed 's/^/         /'
	else
		printf '%-8s %10s runs in %ss  %-9s  no crash\n' "$name" "${runs:-?}" "$seconds" "${cov:-}"
	fi
done
exit "$found"
