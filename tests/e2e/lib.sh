# lib.sh - helpers for end-to-end tests: a pipeline in its own var dir,
# checks that print "ok - ..." / "not ok - ...", and waits on conditions with
# deadlines (never fixed sleeps).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$ROOT/${BHXH_BIN:-bin}
CTL=$BIN/bhxhctl
CONFIG=${CONFIG:-$ROOT/config/bhxh.yaml}
FIX=$ROOT/tests/e2e/fixtures
VAR=$(mktemp -d /tmp/bhxh-e2e.XXXXXX)
FAILS=0

ctl() { "$CTL" --config "$CONFIG" --var-dir "$VAR" "$@"; }

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }

# check DESC CMD... - ok when the command succeeds
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# check_eq DESC EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "  expected: $2"
		echo "  actual:   $3"
	fi
}

# check_files_eq DESC EXPECTED_FILE ACTUAL_FILE
check_files_eq() {
	if diff -u "$2" "$3" >/dev/null; then ok "$1"; else not_ok "$1"; diff -u "$2" "$3" | head -40; fi
}

# wait_for SECONDS CMD... - poll CMD every 50 ms until it succeeds or time runs out
wait_for() {
	local limit=$1
	shift
	local deadline=$((SECONDS + limit))
	until "$@"; do
		if [ $SECONDS -ge $deadline ]; then return 1; fi
		poll_pause
	done
}

# poll_pause - the 50 ms between two looks at a condition (not a wait for anything)
poll_pause() { read -r -t 0.05 <> <(:) || true; }

# curve_block DIR NAME... - an endpoints.curve block (2-space indented) with
# keys_dir DIR and the public keys of NAME..., each made by `bhxhctl keygen`
# in DIR unless it is there already
curve_block() {
	local dir=$1 n
	shift
	printf '  curve:\n    keys_dir: %s\n    public:\n' "$dir"
	for n in "$@"; do
		[ -f "$dir/$n.key" ] || "$CTL" keygen --dir "$dir" "$n" >/dev/null 2>&1 || return 1
		printf '      %s: "%s"\n' "$n" "$(sed -n 's/^public-key = "\(.*\)"$/\1/p' "$dir/$n.key")"
	done
}

# json_field FILE KEY - a top-level scalar from one of our JSON files
json_field() { sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$1" | head -1; }

# latest_receipt AGENCY NAME - the newest JSON receipt for a file name
latest_receipt() { ls -t "$VAR"/spool/outbox/"$1"/*-"$2".json 2>/dev/null | head -1; }

# worker_pid NAME - from its status file
worker_pid() { sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$VAR/run/$1.status" 2>/dev/null; }

# check_logs_clean - no sanitizer report in any log, and no worker restarted
# unless the test killed it on purpose (ALLOW_RESTARTS=1)
check_logs_clean() {
	local bad
	bad=$(grep -rlE 'runtime error|AddressSanitizer|LeakSanitizer' "$VAR" --include='*.log' 2>/dev/null)
	check_eq "no sanitizer report in the logs" "" "$bad"
	if [ "${ALLOW_RESTARTS:-0}" != 1 ]; then
		bad=$(grep -rh 'restarting' "$VAR" --include='supervisor.log' 2>/dev/null)
		check_eq "no worker died and was restarted" "" "$bad"
	fi
}

finish() {
	ctl down >/dev/null 2>&1
	check_logs_clean
	if [ "$FAILS" -eq 0 ] && [ -z "${KEEP_VAR:-}" ]; then rm -rf "$VAR"; else echo "var dir kept: $VAR"; fi
	exit $((FAILS > 0))
}
trap 'ctl down >/dev/null 2>&1' INT TERM
