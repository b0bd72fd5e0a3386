#!/usr/bin/env bash
# bench.sh - run every benchmark script tools/bench_*.sh; each prints its numbers.
set -u
cd "$(dirname "$0")/.."
for b in tools/bench_*.sh; do
	[ -e "$b" ] || continue
	echo "== $b"
	bash "$b" || echo "benchmark $b failed"
done
