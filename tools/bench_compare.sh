#!/usr/bin/env bash
# bench_compare.sh - the whole pipeline against what an analyst would do
# instead, on the same files, in one table (docs/PERFORMANCE.md).
#
# Generates one month with bhxh-gen (BENCH_ROWS participant rows, default
# 1 000 000, the labour force and the targets; BENCH_SCALE=national: 18 000 000
# participant rows plus the month's employers and insured units), then times
#   pipeline  bhxhctl submit of the files until coverage.csv holds the month
#   sqlite3   the sqlite3 shell: .import into a file database, the coverage
#             table in SQL
#   pandas    Debian's python3-pandas (/usr/bin/python3), in memory
#   duckdb    DuckDB through npm's @duckdb/node-api and the machine's node:
#             the CSVs into a file database, the same SQL (skipped, saying
#             why, when it cannot be installed)
# Each baseline's table is checked equal to the pipeline's coverage report
# (org_unit, period, labour force, participants, compulsory, voluntary, BHTN,
# both percentages) before its speed is compared.
#
#   BENCH_ROWS=N         participant rows (default 1000000)
#   BENCH_SCALE=national 18 000 000 rows, employers and units (checks free disk first)
#   BENCH_PERF=1         also profile the aggregate worker with perf (cpu-clock,
#                        -g) during the timed files (slows the pipeline a little);
#                        BENCH_PERF=dwarf unwinds with DWARF (callers through the
#                        SQLite library, which has no frame pointers; slower)
#   BENCH_TMPDIR=DIR     where the temporary directory goes (default /tmp)
#   BENCH_CACHE=DIR      where @duckdb/node-api is installed (default build/bench-cache)
#   BENCH_KEEP=1         keep the temporary directory
#   BENCH_VALIDATORS=N   run N validation processes (validate.instances; default
#                        as configured, 1)
set -u
cd "$(dirname "$0")/.."
BIN=${BHXH_BIN:-bin}
CONFIG=${CONFIG:-config/bhxh.yaml}
SCALE=${BENCH_SCALE:-province}
PERIOD=2017-03
PY=/usr/bin/python3
CACHE=${BENCH_CACHE:-build/bench-cache}
TMPBASE=${BENCH_TMPDIR:-/tmp}
case "$SCALE" in
national) ROWS=${BENCH_ROWS:-18000000}; TYPES=participant,labor_force,target,enterprise,insured_unit,tax_employer
	NEED_GB=${BENCH_NEED_GB:-15} ;;
province) ROWS=${BENCH_ROWS:-1000000}; TYPES=participant,labor_force,target
	NEED_GB=${BENCH_NEED_GB:-0} ;;
*) echo "bench_compare: BENCH_SCALE '$SCALE': expected province or national"; exit 2 ;;
esac
case "$ROWS" in '' | *[!0-9]*) echo "bench_compare: BENCH_ROWS '$ROWS' is not a number"; exit 2 ;; esac
mkdir -p "$CACHE" && CACHE=$(cd "$CACHE" && pwd)

now() { date +%s.%N; }
fmt() { awk -v x="$1" -v d="${2:-2}" 'BEGIN { printf "%.*f", d, x }'; }
# iso2epoch "2026-12-01T19:36:03.144Z" -> seconds with milliseconds
iso2epoch() { local s=${1%Z}; printf '%s.%s' "$(date -u -d "${s%.*}" +%s)" "${s##*.}"; }

# --- the machine ------------------------------------------------------------------
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
    "$(awk '/^MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) memory; load average at start $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$NEED_GB" -gt 0 ]; then
	avail=$(df -Pk "$TMPBASE" | awk 'NR == 2 { print int($4 / 1048576) }')
	if [ "${avail:-0}" -lt "$NEED_GB" ]; then
		echo "bench_compare: national scale needs about $NEED_GB GB free in $TMPBASE, only ${avail:-0} GB are:" \
		    "not run (BENCH_TMPDIR=DIR for another disk)"
		exit 1
	fi
	echo "disk: $avail GB free in $TMPBASE (about $NEED_GB GB needed)"
fi

W=$(mktemp -d "$TMPBASE/bhxh-cmp.XXXXXX") || exit 1
VAR=$W/var
if [ -n "${BENCH_VALIDATORS:-}" ]; then
	# the configuration with N validation processes; its other files by absolute path
	cdir=$(cd "$(dirname "$CONFIG")" && pwd)
	sed -e "s/^\(  instances:\) *[0-9]*/\1 $BENCH_VALIDATORS/" \
	    -e "s#^\(schemas\|findings\|alerting\): *\([^/][^ ]*\)#\1: $cdir/\2#" "$CONFIG" >"$W/bhxh.yaml"
	CONFIG=$W/bhxh.yaml
	echo "validation processes: $BENCH_VALIDATORS"
fi
DATA=$W/data
ctl() { "$BIN/bhxhctl" --config "$CONFIG" --var-dir "$VAR" "$@"; }
POLLER= PERFPID=
cleanup() {
	[ -n "$POLLER" ] && kill "$POLLER" 2>/dev/null
	[ -n "$PERFPID" ] && kill -INT "$PERFPID" 2>/dev/null
	[ -e "$VAR/run/supervisor.pid" ] && ctl down >/dev/null 2>&1
	if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the files --------------------------------------------------------------------
t=$(now)
"$BIN/bhxh-gen" month --out "$DATA" --period "$PERIOD" --participants "$ROWS" --types "$TYPES" >/dev/null ||
	{ echo "bench_compare: bhxh-gen failed"; exit 1; }
P=$DATA/participant_$PERIOD.csv
L=$DATA/labor_force_${PERIOD%-*}.csv
T=$DATA/target_${PERIOD%-*}.csv
ROOT=$(sed -n 's/^[[:space:]]*code:[[:space:]]*"\{0,1\}\([^"[:space:]]*\)"\{0,1\}.*/\1/p' "$CONFIG" | head -1)
echo "files: bhxh-gen month --participants $ROWS --types $TYPES in $(fmt "$(echo "$(now) - $t" | bc)" 1) s;" \
    "$(grep -c . "$DATA/expected.txt" | awk '{ print $1 - 3 }') files, $(du -sm "$DATA" | cut -f1) MB;" \
    "participant CSV $(du -m "$P" | cut -f1) MB"

# csv_form FILE -> "DELIM OFFSET": the separator, and 1 when a leading STT column is there
csv_form() {
	local h
	h=$(head -1 "$1" | sed 's/^\xEF\xBB\xBF//; s/\r$//')
	case "$h" in *";"*) printf '; ' ;; *) printf ', ' ;; esac
	case "$h" in STT[,\;]*) echo 1 ;; *) echo 0 ;; esac
}
read -r PD PO <<<"$(csv_form "$P")"
read -r LD LO <<<"$(csv_form "$L")"

# --- the pipeline -----------------------------------------------------------------
ctl up >/dev/null || { echo "bench_compare: the pipeline did not start"; exit 1; }
# the workers' pids from the supervisor's status file (a busy worker may not
# answer `status` in time)
declare -A PID
for _ in $(seq 100); do
	grep -q '"name":"alert","pid":[1-9]' "$VAR/run/supervisor.status" 2>/dev/null && break
	sleep 0.1
done
WORKERS=
while read -r name pid; do PID[$name]=$pid; WORKERS="$WORKERS $name"; done < <(tr '{' '\n' <"$VAR/run/supervisor.status" |
	sed -n 's/.*"name":"\([^"]*\)","pid":\([0-9]*\).*/\1 \2/p')
[ -n "$WORKERS" ] || WORKERS="ingest validate aggregate alert"
if [ "$SCALE" = national ]; then
	t=$(now)
	ctl submit --agency skhdt --wait --timeout 7200 "$DATA"/enterprise_*.csv >/dev/null &&
	ctl submit --agency bhxh --wait --timeout 7200 "$DATA"/insured_unit_*.csv >/dev/null &&
	ctl submit --agency cucthue --wait --timeout 7200 "$DATA"/tax_employer_*.csv >/dev/null ||
		echo "bench_compare: the employers' and units' files were not all applied"
	echo "before the timed files: employers, insured units and Tax's employers" \
	    "($(awk '$3 ~ /^(enterprise|insured_unit|tax_employer)$/ { s += $4 } END { print s }' "$DATA/expected.txt") rows)" \
	    "applied in $(fmt "$(echo "$(now) - $t" | bc)" 1) s (not in the table)"
fi

# the workers' status files, every 0.1 s: when validate checked the rows, and
# when the last checked batch reached the aggregate (the status file is
# rewritten within 100 ms of a message, but not while a file is applied)
"$PY" - "$VAR/run" "$W/poll.tsv" <<'EOF' &
import json, sys, time
run, out = sys.argv[1], sys.argv[2]
with open(out, "w", buffering=1) as f:
    while True:
        vals = []
        for names, key in ((("validate", "validate-1", "validate-2"), "rows_checked"), (("aggregate",), "msgs_in")):
            total = -1
            for name in names:  # with several validators: the sum of their counts
                try:
                    with open(f"{run}/{name}.status") as s:
                        total = max(total, 0) + json.load(s).get(key, 0)
                except (OSError, ValueError):
                    pass
            vals.append(total)
        f.write(f"{time.time():.3f}\t{vals[0]}\t{vals[1]}\n")
        time.sleep(0.1)
EOF
POLLER=$!
if [ -n "${BENCH_PERF:-}" ]; then
	cg=-g
	[ "$BENCH_PERF" = dwarf ] && cg="--call-graph dwarf,16384 -F 199"
	# shellcheck disable=SC2086
	perf record -e cpu-clock -F 499 $cg -p "${PID[aggregate]}" -o "$W/perf.data" >"$W/perf.log" 2>&1 &
	PERFPID=$!
fi
sleep 0.3
t0=$(now)
ok=1
ctl submit --agency sldtbxh --wait "$L" "$T" >/dev/null || ok=0
ctl submit --agency bhxh --wait --timeout 7200 "$P" >/dev/null || ok=0
t_receipt=$(now)
until grep -q "^$ROOT,$PERIOD," "$VAR/reports/coverage.csv" 2>/dev/null; do
	sleep 0.05
	if [ "$(echo "$(now) - $t_receipt > 600" | bc)" = 1 ]; then ok=0; break; fi
done
t1=$(now)
sleep 0.3
kill "$POLLER" 2>/dev/null; wait "$POLLER" 2>/dev/null; POLLER=
if [ -n "$PERFPID" ]; then kill -INT "$PERFPID" 2>/dev/null; wait "$PERFPID" 2>/dev/null; PERFPID=; fi
[ "$ok" = 1 ] || echo "bench_compare: the pipeline did not apply the files or write the report (see $VAR/log)"
PIPE_S=$(echo "$t1 - $t0" | bc)
cut -d, -f1-9 "$VAR/reports/coverage.csv" | grep ",$PERIOD," | LC_ALL=C sort >"$W/pipeline.csv"

declare -A HWM CPU
PIPE_RSS=0
TICK=$(getconf CLK_TCK)
for w in $WORKERS; do
	HWM[$w]=$(awk '/^VmHWM/ { print $2 }' "/proc/${PID[$w]:-0}/status" 2>/dev/null)
	# CPU seconds (user + system) since the worker started, its own threads included
	CPU[$w]=$(sed 's/.*) //' "/proc/${PID[$w]:-0}/stat" 2>/dev/null | awk -v t="$TICK" '{ printf "%.2f", ($12 + $13) / t }')
	PIPE_RSS=$((PIPE_RSS + ${HWM[$w]:-0}))
done

# stages of the participant file: ingest's log (taken .. sent), validate's
# counter (first .. last row checked), the aggregate's log (applied; its
# apply time), then the report
base=$(grep -F "/$(basename "$P"): taken" "$VAR/log/ingest.log" | tail -1)
sent=$(grep -F "/$(basename "$P"): $ROWS rows sent" "$VAR/log/ingest.log" | tail -1)
applied=$(grep -F "bhxh/$(basename "$P"): applied" "$VAR/log/aggregate.log" | tail -1)
ing0=$(iso2epoch "${base%% *}") ing1=$(iso2epoch "${sent%% *}") agg1=$(iso2epoch "${applied%% *}")
apply_ms=$(echo "$applied" | sed -n 's/.* in \([0-9]*\) ms (.*/\1/p')
sort_ms=$(echo "$applied" | sed -n 's/.* \([0-9]*\) ms sorting and writing.*/\1/p')
case "$applied" in *"checked as its batches arrived"*) early="the rows checked and loaded as their batches arrived" ;;
*) early="the rows checked and loaded from staging after the file's end" ;; esac
read -r val0 val1 < <(awk -v n="$ROWS" -v a="$agg1" '{ t[NR] = $1; v[NR] = $2; m[NR] = $3 }
	END { for (i = 1; i <= NR; i++) if (t[i] < a) last = m[i]
	      for (i = 1; i <= NR; i++) { if (v[i] > v[NR] - n && !s) s = t[i]; if (m[i] >= last && !e) e = t[i] }
	      print s, e }' "$W/poll.tsv")

# once the aggregate has given its staging's pages back (within 120 s, after
# the timed part), stop the pipeline (its databases are checkpointed), then
# their sizes
free_pages() { sqlite3 -cmd '.timeout 5000' "$VAR/db/aggregate.db" 'PRAGMA freelist_count' 2>/dev/null | tail -1; }
for _ in $(seq 1200); do
	fp=$(free_pages) pc=$(sqlite3 -cmd '.timeout 5000' "$VAR/db/aggregate.db" 'PRAGMA page_count' 2>/dev/null | tail -1)
	[ -n "$fp" ] && [ -n "$pc" ] && { [ "$fp" -lt 2048 ] || [ $((fp * 8)) -lt "$pc" ]; } && break
	sleep 0.1
done
ctl down >/dev/null 2>&1
AGG_FREE_MB=$(( $(free_pages || echo 0) * 4096 / 1048576 ))
declare -A DBB
PIPE_DB=0
for w in $WORKERS; do
	DBB[$w]=$(stat -c %s "$VAR/db/$w.db" 2>/dev/null || echo 0)
	PIPE_DB=$((PIPE_DB + DBB[$w]))
done
SPOOL_MB=$(du -sm "$VAR/spool" | cut -f1)

# --- the baselines ----------------------------------------------------------------
# each writes ORG_UNIT,PERIOD,LABOUR_FORCE,PARTICIPANTS,COMPULSORY,VOLUNTARY,BHTN,BHXH_PCT,BHTN_PCT
# per district and the province (ROOT); percentages rounded half up to 2 decimals
# like the report
pcols() { # the participant columns, with STT first when the file has it
	[ "$PO" = 1 ] && printf 'stt, '
	echo "ins, cid, org, period, scheme, bhtn, unit, agent"
}
lcols() { [ "$LO" = 1 ] && printf 'stt, '; echo "org, year, lf"; }
# the coverage query; $1 integer division operator
coverage_sql() {
	local div=$1
	cat <<EOF
WITH p AS (
  SELECT ins, org,
    CASE WHEN instr(period, '/') > 0
      THEN substr(period, instr(period, '/') + 1) || '-' || substr('0' || substr(period, 1, instr(period, '/') - 1), -2)
      ELSE period END AS period,
    CAST(scheme IN ('Bắt buộc', 'Bat buoc', 'BB') AS INTEGER) AS comp,
    CAST(bhtn IN ('x', 'X', '1', 'có', 'Có') AS INTEGER) AS b
  FROM participant),
person AS (
  SELECT org AS unit, period, ins, max(comp) AS comp, max(b) AS b FROM p GROUP BY org, period, ins
  UNION ALL
  SELECT '$ROOT', period, ins, max(comp), max(b) FROM p GROUP BY period, ins),
counts AS (SELECT unit, period, count(*) AS n, sum(comp) AS c, sum(b) AS b FROM person GROUP BY unit, period),
lfy AS (
  SELECT org, CAST(year AS INTEGER) AS year, CAST(lf AS BIGINT) AS lf FROM labor_force
  UNION ALL
  SELECT '$ROOT', CAST(year AS INTEGER), sum(CAST(lf AS BIGINT)) FROM labor_force GROUP BY year),
r AS (
  SELECT c.unit, c.period, l.lf, c.n, c.c, c.b,
    (2 * c.n * 10000 + l.lf) $div (2 * l.lf) AS hx, (2 * c.b * 10000 + l.lf) $div (2 * l.lf) AS hb
  FROM counts c LEFT JOIN lfy l ON l.org = c.unit AND l.year = CAST(substr(c.period, 1, 4) AS INTEGER))
SELECT unit, period, lf, n, c, n - c, b,
  printf('%d.%02d', hx $div 100, hx % 100), printf('%d.%02d', hb $div 100, hb % 100)
FROM r ORDER BY unit, period
EOF
}

# timed NAME CMD... - run CMD under /usr/bin/time: wall seconds and max RSS into $W/NAME.time
timed() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$W/$name.time" "$@" >"$W/$name.out" 2>&1
}

declare -A B_S B_RSS B_DISK B_EQ B_NOTE
# check NAME - compare NAME.csv with the pipeline's report
check() {
	local name=$1 d
	if [ ! -s "$W/$name.csv" ]; then
		B_EQ[$name]="no result ($(tail -3 "$W/$name.out" | tr '\n' ' '))"
		return
	fi
	LC_ALL=C sort "$W/$name.csv" -o "$W/$name.csv"
	if cmp -s "$W/$name.csv" "$W/pipeline.csv"; then
		B_EQ[$name]="counts equal"
	else
		d=$(diff "$W/pipeline.csv" "$W/$name.csv" | grep '^[<>]' | head -2 | tr '\n' ' ')
		B_EQ[$name]="DIFFERENT, first: $d(ratio not comparable)"
	fi
}
record() { # NAME DISK_BYTES
	read -r B_S[$1] B_RSS[$1] <"$W/$1.time"
	B_DISK[$1]=$2
	check "$1"
}

# (a) sqlite3
{
	echo ".bail on"
	echo "CREATE TABLE participant ($(pcols));"
	echo "CREATE TABLE labor_force ($(lcols));"
	echo ".mode csv"
	echo ".separator \"$PD\""
	echo ".import --skip 1 '$P' participant"
	echo ".separator \"$LD\""
	echo ".import --skip 1 '$L' labor_force"
	echo ".separator ,"
	echo ".output '$W/sqlite3.csv'"
	coverage_sql /
	echo ";"
} >"$W/coverage.sqlite.sql"
if command -v sqlite3 >/dev/null; then
	timed sqlite3 sqlite3 "$W/sqlite3.db" ".read '$W/coverage.sqlite.sql'"
	# carriage returns of CRLF files are part of the last column (agent), not read here
	record sqlite3 "$(stat -c %s "$W/sqlite3.db")"
	read -r UNITS COMP_PCT < <(sqlite3 -separator ' ' "$W/sqlite3.db" \
		"SELECT count(DISTINCT nullif(unit, '')), round(100.0 * sum(scheme IN ('Bắt buộc', 'Bat buoc', 'BB')) / count(*), 1) FROM participant")
	rm -f "$W/sqlite3.db"
else
	B_NOTE[sqlite3]="skipped (no sqlite3 shell)"
fi

# (b) pandas
cat >"$W/coverage_pandas.py" <<'EOF'
import sys
import pandas as pd

p, l, out, pd_delim, po, l_delim, lo, root = sys.argv[1:9]
po, lo = int(po), int(lo)
df = pd.read_csv(p, sep=pd_delim, header=0, usecols=[po + 0, po + 2, po + 3, po + 4, po + 5], dtype=str,
                 keep_default_na=False, encoding="utf-8-sig")
df.columns = ["ins", "org", "period", "scheme", "bhtn"]
slash = df["period"].str.contains("/", regex=False)
if slash.any():
    mm_yyyy = df.loc[slash, "period"].str.split("/", expand=True)
    df.loc[slash, "period"] = mm_yyyy[1] + "-" + mm_yyyy[0].str.zfill(2)
df["comp"] = df["scheme"].isin(["Bắt buộc", "Bat buoc", "BB"]).astype("int8")
df["b"] = df["bhtn"].str.strip().isin(["x", "X", "1", "có", "Có"]).astype("int8")
# one row per person and unit, flags OR-ed; the province the same over all rows
per_unit = df.groupby(["org", "period", "ins"], sort=False)[["comp", "b"]].max()
per_root = df.groupby(["period", "ins"], sort=False)[["comp", "b"]].max()
cu = per_unit.groupby(level=[0, 1]).agg(n=("comp", "size"), c=("comp", "sum"), b=("b", "sum")).reset_index()
cr = per_root.groupby(level=0).agg(n=("comp", "size"), c=("comp", "sum"), b=("b", "sum")).reset_index()
cr.insert(0, "org", root)
counts = pd.concat([cu, cr], ignore_index=True)
lf = pd.read_csv(l, sep=l_delim, header=0, usecols=[lo + 0, lo + 1, lo + 2], dtype=str, encoding="utf-8-sig")
lf.columns = ["org", "year", "lf"]
lf["year"] = lf["year"].astype(int)
lf["lf"] = lf["lf"].astype("int64")
lf = pd.concat([lf, lf.groupby("year", as_index=False)["lf"].sum().assign(org=root)], ignore_index=True)
counts["year"] = counts["period"].str[:4].astype(int)
m = counts.merge(lf, on=["org", "year"], how="left")
n, c, b, d = m["n"].astype("int64"), m["c"].astype("int64"), m["b"].astype("int64"), m["lf"]
pct = lambda k: (((2 * k * 10000 + d) // (2 * d)) // 100).astype(str) + "." + \
    (((2 * k * 10000 + d) // (2 * d)) % 100).astype(str).str.zfill(2)
res = pd.DataFrame({"org": m["org"], "period": m["period"], "lf": d, "n": n, "c": c, "v": n - c, "b": b,
                    "px": pct(n), "pb": pct(b)})
res.sort_values(["org", "period"]).to_csv(out, header=False, index=False)
EOF
if "$PY" -c 'import pandas' 2>/dev/null; then
	timed pandas "$PY" "$W/coverage_pandas.py" "$P" "$L" "$W/pandas.csv" "$PD" "$PO" "$LD" "$LO" "$ROOT"
	record pandas ""
else
	B_NOTE[pandas]="skipped (no pandas for $PY: apt-get install python3-pandas)"
fi

# (c) DuckDB
duck_why=
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	duck_why="no node or npm"
elif [ ! -e "$CACHE/npm/node_modules/@duckdb/node-api/package.json" ]; then
	mkdir -p "$CACHE/npm"
	if ! timeout 300 npm install --prefix "$CACHE/npm" --no-audit --no-fund --loglevel=error @duckdb/node-api \
	    >"$W/npm.log" 2>&1; then
		duck_why="npm install @duckdb/node-api failed: $(grep -m1 -i 'err' "$W/npm.log" | cut -c1-100)"
	fi
fi
if [ -z "$duck_why" ]; then
	names() { "$@" | sed "s/\([a-z][a-z]*\)/'\1'/g"; }
	cat >"$W/coverage_duckdb.js" <<EOF
const { DuckDBInstance } = require('$CACHE/npm/node_modules/@duckdb/node-api');
(async () => {
  const db = await DuckDBInstance.create('$W/duckdb.db');
  const c = await db.connect();
  await c.run(\`CREATE TABLE participant AS SELECT * FROM read_csv('$P', delim = '$PD', header = true,
    all_varchar = true, names = [$(names pcols)])\`);
  await c.run(\`CREATE TABLE labor_force AS SELECT * FROM read_csv('$L', delim = '$LD', header = true,
    all_varchar = true, names = [$(names lcols)])\`);
  await c.run(\`COPY ($(coverage_sql //)) TO '$W/duckdb.csv' (HEADER false)\`);
  c.closeSync();
  db.closeSync();
})().catch((e) => { console.error(e.message); process.exit(1); });
EOF
	timed duckdb node "$W/coverage_duckdb.js"
	record duckdb "$(cat "$W"/duckdb.db* 2>/dev/null | wc -c)"
	B_NOTE[duckdb]="$(node -e "console.log('DuckDB ' + require('$CACHE/npm/node_modules/@duckdb/node-api/package.json').version)" 2>/dev/null)"
	rm -f "$W"/duckdb.db*
else
	B_NOTE[duckdb]="skipped ($duck_why)"
fi

# --- the table --------------------------------------------------------------------
echo
echo "rows: $ROWS participant rows of $PERIOD (${UNITS:-?} insured units, ${COMP_PCT:-?}% of rows compulsory," \
    "$(($(wc -l <"$W/pipeline.csv") - 1)) districts + the province $ROOT), labour force and targets of $(($(wc -l <"$L") - 1)) districts"
printf '%-9s %9s %11s %12s %12s %9s  %s\n' contender "wall s" "rows/s" "peak RSS MB" "disk B/row" "ratio" "check"
row() { # NAME SECONDS RSS_KB DISK_BYTES RATIO CHECK
	local rps=- rss=- disk=-
	[ -n "$2" ] && rps=$(fmt "$(echo "$ROWS / $2" | bc -l)" 0)
	[ -n "$3" ] && rss=$(fmt "$(echo "$3 / 1024" | bc -l)" 0)
	[ -n "$4" ] && disk=$(fmt "$(echo "$4 / $ROWS" | bc -l)" 0)
	printf '%-9s %9s %11s %12s %12s %9s  %s\n' "$1" "${2:+$(fmt "$2" 2)}" "$rps" "$rss" "$disk" "$5" "$6"
}
row pipeline "$PIPE_S" "$PIPE_RSS" "$PIPE_DB" 1.00 "report written (sum of the workers' VmHWM, db/*.db)"
for b in sqlite3 pandas duckdb; do
	if [ -z "${B_S[$b]:-}" ]; then
		echo "$b: ${B_NOTE[$b]}"
		continue
	fi
	ratio="n/c"
	[ "${B_EQ[$b]}" = "counts equal" ] && ratio=$(fmt "$(echo "${B_S[$b]} / $PIPE_S" | bc -l) " 2)
	row "$b" "${B_S[$b]}" "${B_RSS[$b]}" "${B_DISK[$b]}" "$ratio" "${B_EQ[$b]}${B_NOTE[$b]:+; ${B_NOTE[$b]}}"
done
echo "ratio = pipeline rows/s / contender rows/s (above 1: the pipeline is faster); n/c: not the same counts"
echo
stage() { # NAME SECONDS WHAT
	if [ -z "$2" ] || [ "$(echo "$2 <= 0" | bc)" = 1 ]; then
		printf '  %-10s %8s s %11s rows/s  %s\n' "$1" "?" "?" "$3"
	else
		printf '  %-10s %8s s %11s rows/s  %s\n' "$1" "$(fmt "$2" 2)" "$(fmt "$(echo "$ROWS / $2" | bc -l)" 0)" "$3"
	fi
}
echo "pipeline stages of the participant file (they overlap: ingest, validate and the aggregate's staging run together):"
stage ingest "$(echo "$ing1 - $ing0" | bc)" "ingest.log: taken .. all rows sent"
stage validate "$( [ -n "$val1" ] && echo "$val1 - $val0" | bc)" "first row checked (validate.status) .. last batch at the aggregate (aggregate.status), +-0.1 s"
stage aggregate "$(echo "$agg1 - ${val1:-$ing1}" | bc)" "last batch at the aggregate .. aggregate.log applied (apply, recompute, commit)"
stage "  apply" "$(echo "${apply_ms:-0} / 1000" | bc -l)" "aggregate.log 'in N ms': the rows into the tables ($early)"
stage "    sort" "$(echo "${sort_ms:-0} / 1000" | bc -l)" "aggregate.log 'N ms sorting and writing': sorted by key, duplicates out, written in order"
stage report "$(echo "$t1 - $agg1" | bc)" "applied .. coverage.csv holds $PERIOD"
stage total "$(echo "$t1 - $ing0" | bc)" "taken .. report (the table's wall time also has submit's copy and the labour-force files)"
echo "pipeline workers (VmHWM and CPU seconds from /proc/PID/status and stat, all the run's files; database after the pipeline stopped):"
for w in $WORKERS; do
	printf '  %-10s pid %-8s peak RSS %7s MB  CPU %6s s   db/%s.db %9s bytes (%s B/row)\n' "$w" "${PID[$w]:-?}" \
	    "$(fmt "$(echo "${HWM[$w]:-0} / 1024" | bc -l)" 1)" "${CPU[$w]:-?}" "$w" "${DBB[$w]}" \
	    "$(fmt "$(echo "${DBB[$w]} / $ROWS" | bc -l)" 1)"
done
echo "  spool (the files kept by ingest): $SPOOL_MB MB; free pages left in aggregate.db at the stop: $AGG_FREE_MB MB"
if [ -n "${BENCH_PERF:-}" ] && [ -s "$W/perf.data" ]; then
	echo
	echo "perf (cpu-clock, aggregate worker, during the files; top symbols by self time):"
	perf report -i "$W/perf.data" --stdio --no-children --sort dso,symbol 2>/dev/null |
		grep -E '^ +[0-9.]+%' | head -25
	perf report -i "$W/perf.data" --stdio --children --sort symbol -g none 2>/dev/null |
		grep -E '^ +[0-9.]+%' | head -40 >"$W/perf.children"
	echo "perf (the same, with callees: the aggregate's own functions):"
	grep -E ' (s_|agg_|store_|dash_|report_|main|worker_)' "$W/perf.children" | head -20
fi
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg) (above about 2 on $(nproc) cores: other work shared the machine)"
