#!/usr/bin/env bash
# test_receipts.sh - receipts a clerk can act on: wrong Vietnamese headings
# name the missing fields with the headings that would be accepted and each
# unknown column with the closest accepted heading; a row with two bad cells
# lists both, under the clerk's own column headings; a file whose every row
# is rejected is `rejected` (submit --wait exits 1) and leaves the agency's
# snapshot in place; a large bad file gets a capped text receipt, a complete
# JSON and a CSV of its rejected rows that Python's csv module reads.
. "$(dirname "$0")/lib.sh"

D=$VAR/in
mkdir -p "$D"
DB=$VAR/db/aggregate.db
q() { sqlite3 "$DB" "$1"; }
# text_of JSON - the text twin of a JSON receipt; csv_of JSON - its CSV
text_of() { echo "${1%.json}.txt"; }
csv_of() { echo "${1%.json}.errors.csv"; }

check "pipeline starts" ctl up

# --- wrong headings ----------------------------------------------------------
printf '%s\n%s\n' 'Mã số thuế doanh nghiệp,Kỳ,Số người lao động,Tổng quỹ lương,Tình trạng hoạt động' \
	'0100109106,03/2017,12,"1.234.567",Đang hoạt động' >"$D/tax_employer_2017-03.csv"
ctl submit --agency cucthue --wait --timeout 60 --format json "$D/tax_employer_2017-03.csv" >"$VAR/r_head.json"
check_eq "wrong headings: submit --wait exits 1" 1 "$?"
r=$(latest_receipt cucthue tax_employer_2017-03.csv)
check_eq "wrong headings: rejected" rejected "$(json_field "$r" status)"
check "wrong headings: E_HEADER_MISSING_COLUMN" grep -q '"code": "E_HEADER_MISSING_COLUMN"' "$r"
check "...the message names each missing field with a Vietnamese heading" \
	grep -qF 'thiếu cột bắt buộc: tax_code (\"Mã số thuế\"), employees (\"Số lao động\"), status (\"Trạng thái\")' "$r"
check "...missing fields listed with the headings accepted (JSON)" \
	grep -qF '{"field": "tax_code", "accepted": ["Mã số thuế", "MST", "tax_code"]}' "$r"
check "...employees too" grep -qF '{"field": "employees", "accepted": ["Số lao động", "so ld", "employees"]}' "$r"
check "...the unknown columns are listed" \
	grep -qF '"unknown_columns": ["Mã số thuế doanh nghiệp", "Số người lao động", "Tình trạng hoạt động"]' "$r"
check "...each with the closest accepted heading" \
	grep -qF '{"column": "Mã số thuế doanh nghiệp", "closest": "Mã số thuế", "field": "tax_code"}' "$r"
check "...Số người lao động is closest to Số lao động" \
	grep -qF '{"column": "Số người lao động", "closest": "Số lao động", "field": "employees"}' "$r"
check "...Tình trạng hoạt động is closest to a status heading" \
	grep -qF '{"column": "Tình trạng hoạt động", "closest": "tinh trang", "field": "status"}' "$r"
t=$(text_of "$r")
check "text: the unknown column with its closest heading" \
	grep -qF '  "Mã số thuế doanh nghiệp": gần nhất / closest: "Mã số thuế" (tax_code)' "$t"
check "text: the missing field with the headings accepted" grep -qF '  tax_code: "Mã số thuế", "MST", "tax_code"' "$t"
check "text: the summary names the code and its meaning" grep -q '^  E_HEADER_MISSING_COLUMN  *1  thiếu cột bắt buộc$' "$t"
check "a refused header makes no CSV (no row was read)" test ! -e "$(csv_of "$r")"

# --- a row with two bad cells ------------------------------------------------
printf '%s\n%s\n%s\n' 'MST,Kỳ,Số lao động,Tổng quỹ lương,Trạng thái' \
	'0100109106,03/2017,12,"1.234.567",Đang hoạt động' \
	'0300588569,13/2017,5,"12,5",Đang hoạt động' >"$D/tax_employer_2017-03b.csv"
ctl submit --agency cucthue --wait --timeout 60 --format json "$D/tax_employer_2017-03b.csv" >"$VAR/r_two.json"
check_eq "two bad cells: submit --wait exits 0 (one row applied)" 0 "$?"
r=$(latest_receipt cucthue tax_employer_2017-03b.csv)
check_eq "two bad cells: applied 1, rejected 1" "applied 1 1" \
	"$(json_field "$r" status) $(json_field "$r" rows_applied) $(json_field "$r" rows_rejected)"
check "...the bad period, under the clerk's heading" \
	grep -q '"line": 3, "field": "period", "code": "E_PERIOD_FORMAT".*"column": "Kỳ"}' "$r"
check "...and the bad amount of the same row" \
	grep -q '"line": 3, "field": "wage_fund", "code": "E_MONEY_FORMAT".*"column": "Tổng quỹ lương"}' "$r"
t=$(text_of "$r")
check "text: cột \"Kỳ\" (period)" grep -qF '  dòng/line 3, cột "Kỳ" (period), E_PERIOD_FORMAT: ' "$t"
check "text: cột \"Tổng quỹ lương\" (wage_fund)" grep -qF '  dòng/line 3, cột "Tổng quỹ lương" (wage_fund), E_MONEY_FORMAT: ' "$t"
check "text: the summary comes before the errors" \
	bash -c '[ "$(grep -n "^Tóm tắt lỗi" "$1" | cut -d: -f1)" -lt "$(grep -n "^Lỗi / Errors" "$1" | cut -d: -f1)" ]' _ "$t"
check_eq "CSV: both errors of line 3" "3,Kỳ,period,E_PERIOD_FORMAT|3,Tổng quỹ lương,wage_fund,E_MONEY_FORMAT" \
	"$(python3 -c 'import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-16", newline=""), delimiter="\t"))
print("|".join(",".join(r[:4]) for r in rows[1:]))' "$(csv_of "$r")")"

# --- every row rejected: the snapshot in place stays -------------------------
ctl submit --agency bhxh --wait --timeout 60 --format json "$FIX/participant_2017-03.csv" >"$VAR/r_good.json"
check_eq "a participant snapshot of 2017-03 applies" applied "$(json_field "$VAR/r_good.json" status)"
before=$(q "SELECT count(*) || ' ' || group_concat(insurance_no) FROM (SELECT insurance_no FROM participant WHERE agency = 'bhxh' AND period = '2017-03' ORDER BY 1)")
{
	echo 'Mã số BHXH,Mã huyện,Kỳ,Loại hình,Tham gia BHTN,Mã đơn vị'
	echo '12345,058,2017-03,Bắt buộc,x,DV001'
	echo '0100000009,999,2017-03,Bắt buộc,x,DV001'
	echo '0100000010,058,2017-03,Tự nguyện,x,'
} >"$D/participant_2017-03.csv"
ctl submit --agency bhxh --wait --timeout 60 --format json "$D/participant_2017-03.csv" >"$VAR/r_none.json"
check_eq "all rows rejected: submit --wait exits 1" 1 "$?"
r=$VAR/r_none.json
check_eq "all rows rejected: status rejected" rejected "$(json_field "$r" status)"
check_eq "...read 3, applied 0, rejected 3" "3 0 3" \
	"$(json_field "$r" rows_read) $(json_field "$r" rows_applied) $(json_field "$r" rows_rejected)"
check "...E_FILE_NO_VALID_ROWS first, as a whole-file error" \
	grep -qF '{"line": 0, "field": null, "code": "E_FILE_NO_VALID_ROWS"' "$r"
check "...then each row's errors" grep -q '"line": 4, "field": "unemployment", "code": "E_RULE_VOLUNTARY_BHTN"' "$r"
check_eq "...the snapshot of 2017-03 in place is kept, not wiped" "$before" \
	"$(q "SELECT count(*) || ' ' || group_concat(insurance_no) FROM (SELECT insurance_no FROM participant WHERE agency = 'bhxh' AND period = '2017-03' ORDER BY 1)")"
check_eq "...the file is recorded as rejected" "rejected E_FILE_NO_VALID_ROWS" \
	"$(q "SELECT outcome || ' ' || code FROM files WHERE name = 'participant_2017-03.csv' ORDER BY file_no DESC LIMIT 1")"
ctl submit --agency bhxh --wait --timeout 60 --format text "$D/participant_2017-03.csv" >"$VAR/r_again.txt"
check_eq "the same bytes again: not a repeat, rejected again (text receipt, exit 1)" 1 "$?"
check "...the text says rejected" grep -q '^Kết quả / Status:      bị từ chối (rejected)$' "$VAR/r_again.txt"

# --- a large bad file --------------------------------------------------------
N=3000
python3 -c 'import sys
n = int(sys.argv[2])
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("Mã số BHXH,Mã huyện,Kỳ,Loại hình,Tham gia BHTN,Mã đơn vị\n")
    for i in range(n):
        f.write("%d,058,2017-04,Bắt buộc,x,DV001\n" % (1000 + i))' "$D/participant_2017-04.csv" "$N"
ctl submit --agency bhxh --wait --timeout 120 --format json "$D/participant_2017-04.csv" >"$VAR/r_big.json"
check_eq "large bad file: submit --wait exits 1" 1 "$?"
r=$(latest_receipt bhxh participant_2017-04.csv)
t=$(text_of "$r")
check_eq "large bad file: JSON lists every error (and the whole-file one)" $((N + 1)) "$(grep -c '{"line": ' "$r")"
check_eq "large bad file: the text lists 200 errors (the whole-file one, then 199 rows)" "200 199" \
	"$(grep -cE '^  (dòng/line |tệp/file)' "$t") $(grep -c '^  dòng/line ' "$t")"
check "...then says how many more and where" grep -qF "  … còn $((N + 1 - 200)) lỗi nữa: xem tệp JSON hoặc tệp CSV" "$t"
check "...in English too" grep -qF "      … $((N + 1 - 200)) more: see the JSON or the CSV" "$t"
check "...the text stays short" test "$(stat -c %s "$t")" -lt 100000
check "...the summary counts the code over the whole file" grep -q "^  E_INSURANCE_NO_FORMAT  *$N  mã số BHXH không gồm đúng 10 chữ số$" "$t"
check "...with its first lines" grep -qF 'dòng/lines 2, 3, 4, 5, 6, …' "$t"
c=$(csv_of "$r")
check "CSV: UTF-16LE with its BOM, tab-separated (Excel opens it into columns whatever its list separator)" \
	bash -c '[ "$(head -c 4 "$1" | od -An -tx1 | tr -d " ")" = fffe6400 ]' _ "$c"
check_eq "CSV: python's csv module reads a header and one row per rejected row" "$N 6 2 Mã số BHXH insurance_no E_INSURANCE_NO_FORMAT" \
	"$(python3 -c 'import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-16", newline=""), delimiter="\t"))
body = rows[1:]
assert all(len(r) == 6 for r in rows), "ragged"
print(len(body), len(rows[0]), body[0][0], body[0][1], body[0][2], body[0][3])' "$c")"
check "CSV: no cell starts with a formula character" python3 -c 'import csv, sys
for r in csv.reader(open(sys.argv[1], encoding="utf-16", newline=""), delimiter="\t"):
    assert not any(c[:1] in ("=", "+", "-", "@") for c in r), r' "$c"

finish
