#!/usr/bin/env bash
# test_template.sh - templates and dry runs, for agencies.
#
# For every record type, `bhxhctl template TYPE` (CSV and .xlsx) writes a
# file with the accepted Vietnamese headings and one example row; submitted
# as it is, each is applied with 1 row and no error. An existing file is
# never replaced; an unknown type lists the types.
#
# `submit --dry-run` of a file with errors gives the receipt the real
# submission gives later (same counts, same errors, same summary), with
# status checked: the coverage and findings reports, the aggregate's record
# tables and its messages to the alert worker are unchanged by it, and the
# later real submission of the same bytes is not called a repeat. A dry run
# of a file refused whole (a missing column) or with no valid row says it
# would be rejected (exit 1); of a workbook, that it would be applied; of
# bytes already applied, that it would be a repeat.
. "$(dirname "$0")/lib.sh"

TYPES="enterprise tax_employer insured_unit participant labor_force target collection_agent"
T=$VAR/templates
mkdir -p "$T"

# agency_of TYPE - an agency of the shipped configuration that may send it
agency_of() {
	case $1 in
	enterprise) echo skhdt ;;
	tax_employer) echo cucthue ;;
	insured_unit | participant | collection_agent) echo bhxh ;;
	labor_force | target) echo sldtbxh ;;
	esac
}
# in_templates ARGS... - bhxhctl in the templates folder (the default name goes there)
in_templates() { (cd "$T" && "$CTL" --config "$CONFIG" --var-dir "$VAR" "$@"); }
# receipt_tail FILE - a JSON receipt from its counts on (what a dry run and a real submission share)
receipt_tail() { sed -n '/^  "rows_read"/,$p' "$1"; }
# agg SQL - a value of the aggregate's database
agg() { sqlite3 "$VAR/db/aggregate.db" "$1"; }
# state - what a dry run must not change: both reports, every record table's
# rows, the aggregate's change number and its messages to the alert worker
state() {
	ctl report coverage --format csv
	ctl report findings --format csv
	md5sum "$VAR"/reports/coverage.csv "$VAR"/reports/findings.csv | sed "s|$VAR/||"
	for t in $TYPES coverage finding finding_state snapshot_src; do
		echo "$t $(agg "SELECT count(*) FROM $t")"
	done
	agg "SELECT value FROM meta WHERE key = 'change_seq'"
	agg "SELECT name, seq FROM sqlite_sequence WHERE name != 'outbox_ingest' ORDER BY name"
}

check "pipeline starts" ctl up

# --- the templates
for t in $TYPES; do
	for fmt in csv xlsx; do
		in_templates template "$t" --format "$fmt" >"$T/out" 2>&1
		check_eq "template $t --format $fmt: exit 0" 0 $?
		check "template $t $fmt: ${t}_mau.$fmt written here" test -s "$T/${t}_mau.$fmt"
	done
	check "template $t csv: starts with a UTF-8 BOM" \
		bash -c '[ "$(head -c 3 "$1" | od -An -tx1 | tr -d " ")" = efbbbf ]' _ "$T/${t}_mau.csv"
	check "template $t xlsx: openpyxl opens it, one header and one example row" /usr/bin/python3 -c '
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1])[sys.argv[2]]
assert ws.max_row == 2, ws.max_row
' "$T/${t}_mau.xlsx" "$t"
done
check "the participant template has the Vietnamese headings" \
	grep -q "^.*Mã số BHXH,CCCD,Mã huyện,Kỳ,Loại hình,Tham gia BHTN,Mã đơn vị,Mã đại lý" "$T/participant_mau.csv"

cp "$T/target_mau.csv" "$T/keep"
in_templates template target >"$T/out" 2>"$T/err"
check_eq "an existing template is not replaced: exit 1" 1 $?
check "...saying so" grep -q "exists already" "$T/err"
check_files_eq "...the file is unchanged" "$T/keep" "$T/target_mau.csv"
in_templates template nosuchtype >"$T/out" 2>"$T/err"
check_eq "an unknown type: exit 2" 2 $?
check "...listing the types" grep -q "enterprise tax_employer insured_unit participant labor_force target collection_agent" \
	"$T/err"
ctl template participant --format pdf >/dev/null 2>"$T/err"
check_eq "an unknown format: exit 2" 2 $?
check_eq "no temporary file is left in the templates folder" "" "$(ls -A "$T" | grep '^\.')"

for t in $TYPES; do
	for fmt in csv xlsx; do
		ctl submit --agency "$(agency_of "$t")" --wait --format json "$T/${t}_mau.$fmt" >"$T/$t.$fmt.json"
		check_eq "template $t.$fmt submitted as it is: exit 0" 0 $?
		check_eq "template $t.$fmt: applied" applied "$(json_field "$T/$t.$fmt.json" status)"
		check_eq "template $t.$fmt: 1 row applied" 1 "$(json_field "$T/$t.$fmt.json" rows_applied)"
		check_eq "template $t.$fmt: no row rejected" 0 "$(json_field "$T/$t.$fmt.json" rows_rejected)"
		check "template $t.$fmt: no error, no unknown column" \
			grep -q '"unknown_columns": \[\],' "$T/$t.$fmt.json"
		check "template $t.$fmt: ...and an empty list of errors" grep -q '"errors": \[\]' "$T/$t.$fmt.json"
	done
done

# --- dry runs
check "labour force applied" ctl submit --agency sldtbxh --wait "$FIX/labor_force_2017.csv"
check "participants of March applied" ctl submit --agency bhxh --wait "$FIX/participant_2017-03.csv"
# a March snapshot with a good row, a bad insurance number and period, an
# unknown unit, a voluntary participant with BHTN, and a duplicate
D=$VAR/dry
mkdir -p "$D"
printf 'Mã số BHXH,Mã huyện,Kỳ,Loại hình,Tham gia BHTN,Mã đơn vị\r\n0100000001,058,03/2017,Bắt buộc,x,DV001\r\n01000,058,2017-13,Bắt buộc,,DV005\r\n0100000003,999,03/2017,Tự nguyện,x,\r\n0100000001,058,03/2017,Bắt buộc,x,DV001\r\n' \
	>"$D/participant_2017-03_sua.csv"
state >"$D/before"
ctl submit --agency bhxh --dry-run --format json "$D/participant_2017-03_sua.csv" >"$D/dry.json"
check_eq "dry run of a file with errors: exit 0 (it would be applied)" 0 $?
check_eq "...status checked" checked "$(json_field "$D/dry.json" status)"
check "...marked a dry run" grep -q '^  "dry_run": true,$' "$D/dry.json"
check_eq "...would be applied" applied "$(json_field "$D/dry.json" would_be)"
check_eq "...1 row would apply" 1 "$(json_field "$D/dry.json" rows_applied)"
check_eq "...3 rows rejected" 3 "$(json_field "$D/dry.json" rows_rejected)"
for code in E_INSURANCE_NO_FORMAT E_PERIOD_FORMAT E_ORG_UNIT_UNKNOWN E_RULE_VOLUNTARY_BHTN E_DUPLICATE_KEY; do
	check "...with $code" grep -q "\"code\": \"$code\"" "$D/dry.json"
done
check "...each error with the clerk's heading" grep -q '"column": "Kỳ"' "$D/dry.json"
ctl submit --agency bhxh --dry-run "$D/participant_2017-03_sua.csv" >"$D/dry.txt"
check "the text receipt says checked, not applied" grep -q "đã kiểm tra, chưa áp dụng (checked)" "$D/dry.txt"
check "...and what a real submission would get" grep -q "Nếu gửi thật / If sent for real: đã áp dụng (applied)" \
	"$D/dry.txt"
state >"$D/after"
check_files_eq "the dry runs changed no report, table, change or message to the alert worker" "$D/before" "$D/after"
check_eq "the dry runs' files ended checked" 2 "$(agg "SELECT count(*) FROM files WHERE outcome = 'checked'")"
check_eq "nothing left in the dry-run drop folder" 0 "$(find "$VAR/spool/check" -mindepth 2 | wc -l)"

ctl submit --agency bhxh --wait --format json "$D/participant_2017-03_sua.csv" >"$D/real.json"
check_eq "the real submission afterwards: exit 0" 0 $?
check_eq "...applied, not a repeat" applied "$(json_field "$D/real.json" status)"
check "...naming no earlier file" bash -c '! grep -q repeat_of "$1"' _ "$D/real.json"
check_files_eq "...with the counts, summary and errors the dry run gave" \
	<(receipt_tail "$D/dry.json") <(receipt_tail "$D/real.json")
state >"$D/real-after"
check "...and it did change the figures" bash -c '! diff -q "$1" "$2" >/dev/null' _ "$D/after" "$D/real-after"

ctl submit --agency bhxh --dry-run --format json "$D/participant_2017-03_sua.csv" >"$D/again.json"
check_eq "a dry run of bytes already applied: would be a repeat" repeat "$(json_field "$D/again.json" would_be)"
check_eq "...naming the applied file" participant_2017-03_sua.csv "$(json_field "$D/again.json" repeat_of)"

printf 'Mã số BHXH,Kỳ,Loại hình\r\n0100000001,03/2017,Bắt buộc\r\n' >"$D/participant_2017-03_thieu.csv"
ctl submit --agency bhxh --dry-run --format json "$D/participant_2017-03_thieu.csv" >"$D/header.json"
check_eq "a dry run of a file missing a column: exit 1" 1 $?
check_eq "...status checked" checked "$(json_field "$D/header.json" status)"
check_eq "...would be rejected" rejected "$(json_field "$D/header.json" would_be)"
check "...with E_HEADER_MISSING_COLUMN" grep -q E_HEADER_MISSING_COLUMN "$D/header.json"

printf 'Mã số BHXH,Mã huyện,Kỳ,Loại hình,Tham gia BHTN,Mã đơn vị\r\n123,058,03/2017,Bắt buộc,x,DV001\r\n' \
	>"$D/participant_2017-03_hong.csv"
ctl submit --agency bhxh --dry-run --format json "$D/participant_2017-03_hong.csv" >"$D/none.json"
check_eq "a dry run of a file with no valid row: exit 1" 1 $?
check_eq "...would be rejected" rejected "$(json_field "$D/none.json" would_be)"
check "...with E_FILE_NO_VALID_ROWS" grep -q E_FILE_NO_VALID_ROWS "$D/none.json"

ctl template insured_unit --format xlsx --period 2017-02 --out "$D/insured_unit_thu.xlsx" >/dev/null
check "template --period --out: written where asked" test -s "$D/insured_unit_thu.xlsx"
sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM insured_unit" >"$D/iu-before"
ctl submit --agency bhxh --dry-run --format json "$D/insured_unit_thu.xlsx" >"$D/wb.json"
check_eq "a dry run of a workbook: would be applied, 1 row" "checked applied 1" \
	"$(json_field "$D/wb.json" status) $(json_field "$D/wb.json" would_be) $(json_field "$D/wb.json" rows_applied)"
check_eq "...and its rows are not in the table" "$(cat "$D/iu-before")" "$(agg "SELECT count(*) FROM insured_unit")"
ctl submit --agency bhxh --wait --format json "$D/insured_unit_thu.xlsx" >"$D/wb-real.json"
check_eq "the same workbook for real afterwards: applied, not a repeat" applied "$(json_field "$D/wb-real.json" status)"
ctl receipts --agency bhxh --last 20 >"$D/list"
check "receipts lists the dry runs as checked" grep -q "  checked  " "$D/list"
finish
