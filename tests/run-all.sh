#!/usr/bin/env bash
# run-all.sh - run the unit tests (cmocka binaries), the end-to-end tests
# (tests/e2e/test_*.sh against the built binaries) and the multi-host tests
# (tests/multihost/test_*.sh: hosts in network namespaces, skipped where the
# machine does not allow them), then print one summary line "N passed, N failed".
#
#   tests/run-all.sh [unit|e2e|multihost] [NAME-FILTER]
# BHXH_BIN selects the binaries (bin, or bin-asan for `make asan`).
set -u
cd "$(dirname "$0")/.."
BIN=${BHXH_BIN:-bin}
what=${1:-all}
filter=${2:-}
passed=0
failed=0
failed_names=()
mkdir -p tests/out

if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in "$BIN"/tests/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *"$filter"*) ;; *) continue ;; esac
		out=$("$t" 2>&1)
		rc=$?
		p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		p=${p:-0}
		f=${f:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
		passed=$((passed + p))
		failed=$((failed + f))
		if [ "$f" -ne 0 ]; then
			failed_names+=("$(basename "$t")")
			printf '%s\n' "$out"
		fi
		printf '%-28s %4d passed, %d failed\n' "unit/$(basename "$t")" "$p" "$f"
	done
fi

# scripts: the e2e tests, and the multi-host ones after them
scripts=()
if [ "$what" = all ] || [ "$what" = e2e ]; then scripts+=(tests/e2e/test_*.sh); fi
if [ "$what" = all ] || [ "$what" = multihost ]; then scripts+=(tests/multihost/test_*.sh); fi
if [ ${#scripts[@]} -gt 0 ]; then
	for t in "${scripts[@]}"; do
		case "$t" in *"$filter"*) ;; *) continue ;; esac
		name=$(basename "$t" .sh)
		suite=$(basename "$(dirname "$t")")
		log=tests/out/$name.log
		BHXH_BIN="$BIN" bash "$t" >"$log" 2>&1
		rc=$?
		p=$(grep -c '^ok ' "$log")
		f=$(grep -c '^not ok ' "$log")
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
		passed=$((passed + p))
		failed=$((failed + f))
		if [ "$f" -ne 0 ]; then
			failed_names+=("$name")
			echo "---- $log (last 40 lines)"
			tail -40 "$log"
		fi
		grep '^# skipped' "$log"
		printf '%-28s %4d passed, %d failed\n' "$suite/$name" "$p" "$f"
	done
fi

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failed: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
