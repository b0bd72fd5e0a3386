#!/usr/bin/env bash
# bench.sh - run every benchmark script tools/bench_*.sh; each prints its numbers.
# BENCH=NAME[,NAME...] runs only tools/bench_NAME.sh (make bench BENCH=compare).
set -u
cd "$(dirname "$0")/.."
if [ -n "${BENCH:-}" ]; then
	list=
	for n in ${BENCH//,/ }; do
		[ -e "tools/bench_$n.sh" ] || { echo "bench.sh: no benchmark tools/bench_$n.sh"; exit 2; }
		list="$list tools/bench_$n.sh"
	done
else
	list=$(ls tools/bench_*.sh)
fi
for b in $list; do
	echo "== $b"
	bash "$b" || echo "benchmark $b failed"
done
