#!/usr/bin/env bash
# test_fuzz_build.sh - the libFuzzer harnesses of the configuration and the
# writers (tests/fuzz/fuzz_{yaml,fields,writers}.c) build as `make fuzz` builds
# them, without a warning, and each runs its seed corpus (tests/fuzz/corpus)
# without a finding. Skipped where clang cannot build a libFuzzer binary.
. "$(dirname "$0")/lib.sh"
if ! printf 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }\n' |
	clang -fsanitize=fuzzer -x c -o "$VAR/probe" - >/dev/null 2>&1; then
	ok "skipped: clang with libFuzzer is not installed (make fuzz installs it)"
	finish
fi
for h in yaml fields writers; do
	out=$(make -s -C "$ROOT" BIN="$VAR/bin" "$VAR/bin/fuzz/fuzz_$h" 2>&1)
	check "fuzz_$h builds" test -x "$VAR/bin/fuzz/fuzz_$h"
	check_eq "...without a warning" "" "$(printf '%s\n' "$out" | grep -E 'warning|error' | head -5)"
	[ -x "$VAR/bin/fuzz/fuzz_$h" ] || continue
	mkdir -p "$VAR/tmp"
	check "fuzz_$h runs its seed corpus without a finding" bash -c "cd '$ROOT' && BHXH_FUZZ_CONFIG='$ROOT/config' \
		TMPDIR='$VAR/tmp' '$VAR/bin/fuzz/fuzz_$h' -runs=0 -artifact_prefix='$VAR/tmp/' tests/fuzz/corpus/$h >'$VAR/fuzz_$h.log' 2>&1"
done
finish
