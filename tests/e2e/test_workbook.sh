#!/usr/bin/env bash
# test_workbook.sh - workbooks end to end. Agency workbooks written by real
# spreadsheet writers (openpyxl's .xlsx, xlwt's .xls; make_workbooks.py): a
# title block above the header, merged title and header cells, tax codes,
# social insurance numbers and citizen IDs stored as numbers, date cells,
# formulas with cached values, an instructions sheet before the data sheet,
# Vietnamese text. Pipeline A gets the workbooks, pipeline B the CSVs holding
# the same data: the applied rows and the reports must be equal. Then a zip
# bomb, an XML bomb and a truncated archive get clear receipts while the
# ingest worker's peak RSS stays bounded, and a SIGKILL of the ingest worker
# in the middle of a 200,000-row workbook loses and doubles nothing.
. "$(dirname "$0")/lib.sh"

ALLOW_RESTARTS=1 # the ingest worker is killed on purpose
VARB=$(mktemp -d /tmp/bhxh-e2e.XXXXXX)
ctlb() { "$CTL" --config "$CONFIG" --var-dir "$VARB" "$@"; }
trap 'ctl down >/dev/null 2>&1; ctlb down >/dev/null 2>&1' INT TERM
D=$VAR/files
ROWS=${WORKBOOK_BIG_ROWS:-200000}
S=$ROOT/config/sample
PY=/usr/bin/python3 # Debian's, with python3-openpyxl and python3-xlwt

check "workbooks written by openpyxl and xlwt" $PY "$ROOT/tests/e2e/make_workbooks.py" "$D"
check "pipeline A starts" ctl up
check "pipeline B starts" ctlb up
for c in ctl ctlb; do
	$c submit --agency sldtbxh --wait "$S/labor_force_2017.csv" >/dev/null
	$c submit --agency sldtbxh --wait "$S/target_2017.csv" >/dev/null
done

# --- the same data as a workbook (A) and as a CSV (B) ------------------------
while IFS='|' read -r agency name rows; do
	wb=$(ls "$D"/wb/"$name".* | head -1)
	ctl submit --agency "$agency" --wait --format json "$wb" >"$VAR/r-$name.wb.json" 2>&1
	check_eq "$(basename "$wb"): applied" applied "$(json_field "$VAR/r-$name.wb.json" status)"
	ctlb submit --agency "$agency" --wait --format json "$D/csv/$name.csv" >"$VAR/r-$name.csv.json" 2>&1
	check_eq "$name.csv: applied" applied "$(json_field "$VAR/r-$name.csv.json" status)"
	for k in rows_read rows_applied rows_rejected; do
		check_eq "$(basename "$wb"): $k as the CSV's" "$(json_field "$VAR/r-$name.csv.json" $k)" \
			"$(json_field "$VAR/r-$name.wb.json" $k)"
	done
	check_eq "$(basename "$wb"): every row applied" "$rows" "$(json_field "$VAR/r-$name.wb.json" rows_applied)"
done <<EOF
skhdt|enterprise_2017-03|8
bhxh|insured_unit_2017-03|8
bhxh|participant_2017-03|12
EOF

# rows - a table of an aggregate database without the file ids, ordered
rows() {
	local cols
	cols=$(sqlite3 "$1" "SELECT group_concat(name, ',') FROM pragma_table_info('$2') WHERE name <> 'file_id'")
	sqlite3 "$1" "SELECT $cols FROM $2 ORDER BY $cols"
}
for t in enterprise insured_unit participant; do
	rows "$VAR/db/aggregate.db" $t >"$VAR/$t.wb"
	rows "$VARB/db/aggregate.db" $t >"$VAR/$t.csv"
	check "$t: the workbook's rows reached the aggregate" test -s "$VAR/$t.wb"
	check_files_eq "$t: the aggregate's rows are the same" "$VAR/$t.csv" "$VAR/$t.wb"
done
for r in coverage findings; do
	ctl report $r --format csv >"$VAR/$r.wb"
	ctlb report $r --format csv >"$VAR/$r.csv"
	check_files_eq "report $r: the same from workbooks as from CSVs" "$VAR/$r.csv" "$VAR/$r.wb"
done
q() { sqlite3 "$VAR/db/aggregate.db" "$1"; }
check_eq "a tax code stored as the number 300500003 reads 0300500003" "Công ty TNHH Thương mại Hoàng Long" \
	"$(q "SELECT name FROM enterprise WHERE tax_code = '0300500003'")"
check_eq "a date cell is the day it shows" "2010-01-03" "$(q "SELECT registered_on FROM enterprise WHERE tax_code = '0300500003'")"
check_eq "a date cell shown as mm/yyyy is the period; formulas give their cached values" "2017-03 11 400000" \
	"$(q "SELECT period || ' ' || bhtn_count || ' ' || arrears FROM insured_unit WHERE unit_code = 'DV0101'")"
# the citizen ID (001090000000, stored as a number) must be 12 digits to pass:
# the row is applied only if its zeros came back; the aggregate does not keep it
check_eq "an .xls social insurance number and citizen ID stored as numbers get their zeros back" "1 0" \
	"$(q "SELECT count(*) FROM participant WHERE insurance_no = '0600009100'") $(q "SELECT count(*) FROM pragma_table_info('person') WHERE name LIKE '%citizen%'")"
# the instructions sheet comes first and has no such header: read, it would refuse the file
check_eq "the sheet named insured_unit was read, not the first one" 8 \
	"$(q "SELECT count(*) FROM insured_unit WHERE period = '2017-03' AND unit_code LIKE 'DV01%'")"

# --- hostile archives: clear receipts, bounded memory ------------------------
ipid=$(worker_pid ingest)
hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
before=$(hwm "$ipid")
while IFS='|' read -r fixture code; do
	cp "$ROOT/tests/fixtures/workbooks/$fixture" "$D/target_$fixture"
	ctl submit --agency sldtbxh --wait --format json "$D/target_$fixture" >"$VAR/r-$fixture.json" 2>&1
	check_eq "$fixture: rejected" rejected "$(json_field "$VAR/r-$fixture.json" status)"
	check "$fixture: the receipt says $code" grep -q "\"code\": \"$code\"" "$VAR/r-$fixture.json"
	check "$fixture: the receipt's text explains it" grep -q "$code" "$(ls -t "$VAR"/spool/outbox/sldtbxh/*-target_"$fixture".txt | head -1)"
done <<EOF
zipbomb.xlsx|E_WB_RATIO
xmlbomb.xlsx|E_WB_XML_ENTITY
truncated.xlsx|E_WB_DAMAGED
EOF
after=$(hwm "$ipid")
echo "# ingest VmHWM: ${before} kB before the hostile archives, ${after} kB after (pid $ipid)"
check_eq "the ingest worker was not restarted by them" "$ipid" "$(worker_pid ingest)"
check "the ingest worker's peak RSS stays under 64 MB" test "${after:-999999}" -lt 65536

# --- SIGKILL of ingest in the middle of a large workbook ---------------------
check "a $ROWS-row participant workbook written (openpyxl, write-only)" \
	$PY "$ROOT/tests/e2e/make_workbooks.py" --big "$ROWS" "$D/participant_2017-06.xlsx"
ctlb submit --agency bhxh --wait --timeout 300 --format json "$D/participant_2017-06.xlsx" >"$VAR/r-big.clean.json" 2>&1 &
clean=$!
ctl submit --agency bhxh --format json "$D/participant_2017-06.xlsx" >/dev/null 2>&1
progress_rows() { sed -n 's/.*"file":"participant_2017-06.xlsx".*"rows":\([0-9]*\).*"done":0.*/\1/p' "$VAR/run/ingest.progress" 2>/dev/null; }
mid() { local r; r=$(progress_rows); [ -n "$r" ] && [ "$r" -ge 5000 ]; }
ipid=$(worker_pid ingest)
if wait_for 120 mid; then
	at=$(progress_rows)
	kill -KILL "$ipid"
	ok "ingest (pid $ipid) killed with $at of $ROWS rows read"
	check "rows were left to read" test "$at" -lt "$ROWS"
else
	not_ok "ingest showed rows read of the large workbook"
fi
newpid() { local p; p=$(worker_pid ingest); [ -n "$p" ] && [ "$p" != "$ipid" ] && kill -0 "$p" 2>/dev/null; }
check "ingest restarted" wait_for 60 newpid
receipt() { latest_receipt bhxh participant_2017-06.xlsx; }
applied() { local r; r=$(receipt); [ -n "$r" ] && grep -q '"status": "applied"' "$r"; }
check "the workbook's receipt: applied" wait_for 300 applied
r=$(receipt)
check_eq "receipt: every row read" "$ROWS" "$(json_field "$r" rows_read)"
check_eq "receipt: every row applied" "$ROWS" "$(json_field "$r" rows_applied)"
wait "$clean"
check_eq "clean run: every row applied" "$ROWS" "$(json_field "$VAR/r-big.clean.json" rows_applied)"
sum() { sqlite3 "$1/db/aggregate.db" "SELECT count(*), count(DISTINCT insurance_no), sum(unemployment), min(insurance_no), max(insurance_no), sum(scheme = 'voluntary') FROM participant WHERE period = '2017-06'"; }
check_eq "the aggregate's rows: as a clean run's" "$(sum "$VARB")" "$(sum "$VAR")"
check_eq "the aggregate holds every row once" "$ROWS" "$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM participant WHERE period = '2017-06'")"
ctl report coverage --period 2017-06 --format csv >"$VAR/cov6.a"
ctlb report coverage --period 2017-06 --format csv >"$VAR/cov6.b"
check_files_eq "coverage of 2017-06: as a clean run's" "$VAR/cov6.b" "$VAR/cov6.a"

ctlb down >/dev/null 2>&1
bad=$(grep -rlE 'runtime error|AddressSanitizer|LeakSanitizer' "$VARB" --include='*.log' 2>/dev/null)
check_eq "no sanitizer report in pipeline B's logs" "" "$bad"
[ "$FAILS" -eq 0 ] && [ -z "${KEEP_VAR:-}" ] && rm -rf "$VARB"
finish
