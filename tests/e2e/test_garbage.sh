#!/usr/bin/env bash
# test_garbage.sh - garbage thrown at every receiving socket (random bytes,
# an empty frame, a 14-byte message declaring a 4-billion-element array, an
# unknown type, trailing bytes, an oversized frame) is counted and dropped;
# no worker dies, and the pipeline still computes exact figures afterwards.
. "$(dirname "$0")/lib.sh"
G=$VAR/garbage
mkdir -p "$G"
python3 - "$G" <<'PY'
import random, sys
d = sys.argv[1]
random.seed(20170320)
open(d + "/random", "wb").write(bytes(random.randrange(256) for _ in range(4096)))
open(d + "/empty", "wb").write(b"")
# [1, batch, id 1, array32 of 2^32-1 ...]: must fail before allocating
open(d + "/huge_array", "wb").write(bytes([0x94, 1, 1, 1, 0xdd, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0]))
open(d + "/unknown_type", "wb").write(bytes([0x94, 1, 0x63, 1, 0x90]))
open(d + "/trailing", "wb").write(bytes([0x94, 1, 3, 1, 0x91, 0x90, 0xc0]))
open(d + "/huge_string", "wb").write(bytes([0x94, 1, 1, 1, 0x97, 0xdb, 0xff, 0xff, 0xff, 0xff]) + b"x" * 16)
open(d + "/oversized", "wb").write(b"\x00" * (65 * 1024 * 1024))
PY
COUNTED="$G/random $G/empty $G/huge_array $G/unknown_type $G/trailing $G/huge_string"

check "pipeline starts" ctl up
for w in validate aggregate alert; do
	pid=$(worker_pid "$w")
	check "$w: garbage sent to its socket" "$BIN/tests/zsend" "ipc://$VAR/run/$w.sock" $COUNTED "$G/oversized"
	check "$w: counts 6 malformed messages" wait_for 20 grep -q '"bad_msgs":6' "$VAR/run/$w.status"
	check_eq "$w: still the same process" "$pid" "$(worker_pid "$w")"
	check "$w: still alive" kill -0 "$pid"
done
check "labour force applied afterwards" ctl submit --agency sldtbxh --wait "$FIX/labor_force_2017.csv"
check "targets applied afterwards" ctl submit --agency sldtbxh --wait "$FIX/target_2017.csv"
check "participants applied afterwards" ctl submit --agency bhxh --wait "$FIX/participant_2017-03.csv"
check "participants applied afterwards (April)" ctl submit --agency bhxh --wait "$FIX/participant_2017-04.csv"
ctl report coverage --format csv >"$VAR/cov.csv"
check_files_eq "figures exact after the garbage" "$FIX/coverage_expected_1.csv" "$VAR/cov.csv"
finish
