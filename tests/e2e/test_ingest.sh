#!/usr/bin/env bash
# test_ingest.sh - the files agencies really send, one table row each: what
# the receipt must say (status, rows read/applied/rejected, codes). Then the
# gate (symlink, FIFO, hard link), legacy encodings and NFC in the database,
# odd file names, a repeat, workbooks (.xlsx with a title block, merged
# cells and date cells, .xls, .ods, a zip bomb, a cut archive), pickup of files
# dropped while the pipeline was down, retention of archive/ and rejected/,
# and an untouched drop folder.
CONFIG=$(cd "$(dirname "$0")" && pwd)/config/ingest.yaml
. "$(dirname "$0")/lib.sh"

IFX=$FIX/ingest
D=$VAR/in
mkdir -p "$D"
H='Mã đơn vị hành chính,Năm,Chỉ tiêu BHXH,Chỉ tiêu BHTN'
A='Mã đại lý,Tên đại lý,Mã huyện,Trạng thái'
DB=$VAR/db/aggregate.db
q() { sqlite3 "$DB" "$1"; }

# --- the files --------------------------------------------------------------
: >"$D/target_empty.csv"
printf '%s\n' "$H" >"$D/target_header_only.csv"
printf '%s\n061,2019,20,10\n' "$H" >"$D/unknown_2019.csv"
printf '%s\n062,2019,20,10\n' "$H" >"$D/target_not_allowed.csv"
printf '%s\n061,2018,20,10\n062,2018,"21,5,11\n' "$H" >"$D/target_unterminated.csv"
printf '%s\n063,2019,20,10\n06\xff4,2019,20,10\n065,2019,20,10\n' "$H" >"$D/target_bad_utf8.csv"
printf '%s\n066,2019,20,10\n058,20\00019,20,10\n' "$H" >"$D/target_nul.csv"
{
	printf '%s\nDL100,Đại lý thường,058,Đang hoạt động\nDL101,' "$A"
	head -c 1000000 /dev/zero | tr '\0' a
	printf ',058,Đang hoạt động\nDL102,'
	head -c 1048577 /dev/zero | tr '\0' b
	printf ',058,Đang hoạt động\n'
} >"$D/collection_agent_big_field.csv"
printf '\xef\xbb\xbf%s\r\n061,2020,24,14\r\n062,2020,25,15\r\n' "$H" >"$D/target_bom_crlf.csv"
cp "$D/target_bom_crlf.csv" "$D/target_bom_crlf_again.csv"
iconv -f UTF-8 -t WINDOWS-1258 "$IFX/collection_agent_names.utf8.csv" >"$D/collection_agent_cp1258.csv"
iconv -f UTF-8 -t TCVN5712-1 "$IFX/collection_agent_names.utf8.csv" >"$D/collection_agent_tcvn3.csv"
python3 -c 'import sys, unicodedata
t = open(sys.argv[1], encoding="utf-8").read().replace("DL20", "DL40")
open(sys.argv[2], "w", encoding="utf-8").write(unicodedata.normalize("NFD", t))' \
	"$IFX/collection_agent_names.utf8.csv" "$D/collection_agent_nfd.csv"
printf '%s\n065,2021,30,20\n' "$H" >"$D/target_2021 Bắc Kạn (bản 2).csv"
printf '%s\n066,2021,30,20\n' "$H" >"$D/-target_2021.csv"

# workbooks, written by openpyxl and xlwt (Debian's, hence /usr/bin/python3)
/usr/bin/python3 - "$D" <<'PY'
import datetime, sys
import openpyxl, xlwt
d = sys.argv[1]
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Chỉ tiêu"
ws["A1"] = "CHỈ TIÊU PHÁT TRIỂN NGƯỜI THAM GIA BHXH NĂM 2025"
ws.merge_cells("A1:D1")
ws.append([])
ws.append(["Mã đơn vị hành chính", "Năm", "Chỉ tiêu BHXH", "Chỉ tiêu BHTN"])
ws.append(["061", 2025, 20, 10])
ws.append(["062", 2025, 25.5, 15])
ws.append([])
ws.append(["063", 2025, "hai mươi", 10])
wb.save(d + "/target_2025 báo cáo.xlsx")
wb = openpyxl.Workbook()
ws = wb.active
ws.append(["Mã số BHXH", "Số CCCD", "Mã huyện", "Kỳ", "Loại hình", "Tham gia BHTN", "Mã đơn vị", "Mã đại lý"])
ws.append(["0600000901", None, "058", datetime.date(2017, 5, 1), "Bắt buộc", "x", "TA0023", None])
ws["D2"].number_format = "mm/yyyy"
wb.save(d + "/participant_2017-05.xlsx")
book = xlwt.Workbook(encoding="utf-8")
sh = book.add_sheet("target")
for j, h in enumerate(["Mã đơn vị hành chính", "Năm", "Chỉ tiêu BHXH", "Chỉ tiêu BHTN"]):
    sh.write(0, j, h)
for j, v in enumerate(["064", 2026, 30, 20]):
    sh.write(1, j, v)
book.save(d + "/target_2026.xls")
# an OpenDocument sheet as LibreOffice writes one: a spanned title, numbers as office:value
import zipfile
cell = lambda v: ('<table:table-cell office:value-type="float" office:value="%s"><text:p>%s</text:p></table:table-cell>' % (v, v)
                  if isinstance(v, (int, float)) else
                  '<table:table-cell office:value-type="string"><text:p>%s</text:p></table:table-cell>' % v)
row = lambda vs: "<table:table-row>" + "".join(cell(v) for v in vs) + "</table:table-row>"
content = ('<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
           '<table:table table:name="Sheet1"><table:table-row><table:table-cell table:number-columns-spanned="4" '
           'office:value-type="string"><text:p>CHỈ TIÊU 2027</text:p></table:table-cell>'
           '<table:covered-table-cell table:number-columns-repeated="3"/></table:table-row>'
           + row(["Mã đơn vị hành chính", "Năm", "Chỉ tiêu BHXH", "Chỉ tiêu BHTN"]) + row(["065", 2027, 31.5, 21])
           + '<table:table-row table:number-rows-repeated="1048573"><table:table-cell table:number-columns-repeated="1024"/>'
           '</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>')
with zipfile.ZipFile(d + "/target_2027.ods", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
    z.writestr("content.xml", content)
PY
cp "$ROOT/tests/fixtures/workbooks/zipbomb.xlsx" "$D/target_bomb.xlsx"
cp "$ROOT/tests/fixtures/workbooks/truncated.xlsx" "$D/target_cut.xlsx"
cp "$ROOT/tests/fixtures/workbooks/other.zip" "$D/target_other.xlsx"

check "pipeline starts" ctl up
cd "$D" || exit 1

# --- the table: label | agency | file | status | read/applied/rejected | codes
while IFS='|' read -r label agency file status counts codes; do
	[ -n "$label" ] || continue
	out="$VAR/r-$label.json"
	ctl submit --agency "$agency" --wait --timeout 60 --format json "$file" >"$out" 2>"$VAR/r-$label.err"
	rc=$?
	if [ "$status" = rejected ]; then want_rc=1; else want_rc=0; fi
	check_eq "$label: submit exits $want_rc" "$want_rc" "$rc"
	check_eq "$label: status" "$status" "$(json_field "$out" status)"
	check_eq "$label: rows read/applied/rejected" "$counts" \
		"$(json_field "$out" rows_read)/$(json_field "$out" rows_applied)/$(json_field "$out" rows_rejected)"
	for c in $codes; do
		check "$label: code $c" grep -q "\"code\": \"$c\"" "$out"
	done
done <<EOF
empty file|sldtbxh|$D/target_empty.csv|rejected|0/0/0|E_FILE_EMPTY
header only|sldtbxh|$D/target_header_only.csv|applied|0/0/0|
unknown type|sldtbxh|$D/unknown_2019.csv|rejected|0/0/0|E_FILE_TYPE_UNKNOWN
type not allowed|cucthue|$D/target_not_allowed.csv|rejected|0/0/0|E_FILE_TYPE_NOT_ALLOWED
out of scope|ubnd_058|$IFX/target_scope.csv|applied|2/1/1|E_OUT_OF_SCOPE
unterminated quote|sldtbxh|$D/target_unterminated.csv|applied|2/1/1|E_CSV_UNTERMINATED_QUOTE
invalid UTF-8|sldtbxh|$D/target_bad_utf8.csv|applied|3/2/1|E_ENCODING
NUL byte|sldtbxh|$D/target_nul.csv|applied|2/1/1|E_CSV_NUL_BYTE
1 MB field|bhxh|$D/collection_agent_big_field.csv|applied|3/1/2|E_STRING_TOO_LONG E_CSV_FIELD_TOO_LONG
semicolon|sldtbxh|$IFX/target_semicolon.csv|applied|2/2/0|
BOM and CRLF|sldtbxh|$D/target_bom_crlf.csv|applied|2/2/0|
quoted newline and comma|bhxh|$IFX/collection_agent_quoted.csv|applied|2/1/1|E_ORG_UNIT_UNKNOWN
Windows-1258|bhxh_cp1258|$D/collection_agent_cp1258.csv|applied|3/3/0|
TCVN3|bhxh_tcvn3|$D/collection_agent_tcvn3.csv|applied|3/3/0|
NFD headers|bhxh|$D/collection_agent_nfd.csv|applied|3/3/0|
spaces and Vietnamese in the name|sldtbxh|$D/target_2021 Bắc Kạn (bản 2).csv|applied|1/1/0|
leading dash|sldtbxh|./-target_2021.csv|applied|1/1/0|
repeat|sldtbxh|$D/target_bom_crlf_again.csv|repeat|0/0/0|
xlsx with a title block|sldtbxh|$D/target_2025 báo cáo.xlsx|applied|3/2/1|E_PCT_FORMAT
xlsx with a month cell|bhxh|$D/participant_2017-05.xlsx|applied|1/1/0|
xls|sldtbxh|$D/target_2026.xls|applied|1/1/0|
ods|sldtbxh|$D/target_2027.ods|applied|1/1/0|
zip bomb|sldtbxh|$D/target_bomb.xlsx|rejected|0/0/0|E_WB_RATIO
cut xlsx|sldtbxh|$D/target_cut.xlsx|rejected|0/0/0|E_WB_DAMAGED
zip that is no workbook|sldtbxh|$D/target_other.xlsx|rejected|0/0/0|E_WB_UNSUPPORTED
EOF
# (the leading-dash row runs from $D so that its name starts with the dash)

# --- what the receipts and the database say in detail -----------------------
check "unterminated quote: named at line 3" grep -q '"line": 3, "field": null, "code": "E_CSV_UNTERMINATED_QUOTE"' "$VAR/r-unterminated quote.json"
check "invalid UTF-8: line 3, field org_unit" grep -q '"line": 3, "field": "org_unit", "code": "E_ENCODING"' "$VAR/r-invalid UTF-8.json"
check "quoted newline: the next row is line 4" grep -q '"line": 4, "field": "org_unit", "code": "E_ORG_UNIT_UNKNOWN"' "$VAR/r-quoted newline and comma.json"
check "quoted newline: the unknown column is listed" grep -q '"unknown_columns": \["Ghi chú"\]' "$VAR/r-quoted newline and comma.json"
check_eq "quoted newline: quotes, comma and newline kept" "$(printf 'Đại lý "Sông Cầu", tổ 1\nphường Sông Cầu')" \
	"$(q "SELECT name FROM collection_agent WHERE agent_code = 'DL301'")"
check_eq "semicolon: decimal commas read" "22.5 12.0|23.5 13.25" \
	"$(q "SELECT group_concat(bhxh_pct || ' ' || bhtn_pct, '|') FROM (SELECT * FROM target WHERE year = 2018 AND org_unit IN ('063','064') ORDER BY org_unit)")"
check_eq "BOM and CRLF: values clean" "061 24.0|062 25.0" \
	"$(q "SELECT group_concat(org_unit || ' ' || bhxh_pct, '|') FROM (SELECT * FROM target WHERE year = 2020 ORDER BY org_unit)")"
check_eq "out of scope: only 058 applied" "058" "$(q "SELECT group_concat(org_unit) FROM target WHERE year = 2018 AND org_unit IN ('058','060')")"
check "xlsx: the bad cell named by its sheet row (7)" grep -q '"line": 7, "field": "bhxh_pct", "code": "E_PCT_FORMAT"' "$VAR/r-xlsx with a title block.json"
check_eq "xlsx: numbers read as written" "061 20.0 10.0|062 25.5 15.0" \
	"$(q "SELECT group_concat(org_unit || ' ' || bhxh_pct || ' ' || bhtn_pct, '|') FROM (SELECT * FROM target WHERE year = 2025 ORDER BY org_unit)")"
check_eq "xlsx: a date cell shown as mm/yyyy is the period 2017-05" "2017-05 058" \
	"$(q "SELECT period || ' ' || org_unit FROM participant WHERE insurance_no = '0600000901'")"
check_eq "xls: applied" "064 30.0" "$(q "SELECT org_unit || ' ' || bhxh_pct FROM target WHERE year = 2026")"
check_eq "ods: applied" "065 31.5 21.0" "$(q "SELECT org_unit || ' ' || bhxh_pct || ' ' || bhtn_pct FROM target WHERE year = 2027")"
check "repeat: names the earlier file" grep -q '"repeat_of": "target_bom_crlf.csv"' "$VAR/r-repeat.json"
check "leading dash: name kept in the receipt" grep -q '"file": "-target_2021.csv"' "$VAR/r-leading dash.json"
check "leading dash: its type read past the dash" grep -q '"type": "target"' "$VAR/r-leading dash.json"
check "spaces and Vietnamese: name kept in the receipt" grep -q '"file": "target_2021 Bắc Kạn (bản 2).csv"' "$VAR/r-spaces and Vietnamese in the name.json"
want=$(python3 -c 'import unicodedata, sys
for l in open(sys.argv[1], encoding="utf-8").read().splitlines()[1:]:
    print(unicodedata.normalize("NFC", l.split(",")[1]).encode().hex())' "$IFX/collection_agent_names.utf8.csv")
for pre in DL20 DL40; do
	check_eq "names from $pre* stored as NFC UTF-8" "$want" \
		"$(q "SELECT lower(hex(name)) FROM collection_agent WHERE agent_code LIKE '$pre%' ORDER BY agent_code")"
done
check_eq "Windows-1258 name reads as Vietnamese" "Nguyễn Văn Đức" "$(q "SELECT name FROM collection_agent WHERE agent_code = 'DL201'")"
check "rows_read = applied + rejected in every receipt" bash -c '
	for f in "$1"/spool/outbox/*/*.json; do
		r=$(sed -n "s/^  \"rows_read\": \([0-9]*\),/\1/p" "$f")
		a=$(sed -n "s/^  \"rows_applied\": \([0-9]*\),/\1/p" "$f")
		j=$(sed -n "s/^  \"rows_rejected\": \([0-9]*\),/\1/p" "$f")
		[ "$r" -eq $((a + j)) ] || { echo "$f: $r != $a + $j"; exit 1; }
	done' _ "$VAR"

# --- the gate: placed straight into the drop folder (a file refused before it
# is read has no hash in its receipt, so `submit --wait` cannot match it) ----
IN=$VAR/spool/incoming/sldtbxh
mkfifo "$VAR/a-fifo"
printf '%s\n058,2022,1,1\n' "$H" >"$VAR/secret.csv"
chmod 000 "$VAR/secret.csv"
ln -s "$VAR/a-fifo" "$IN/target_link_fifo.csv"
ln -s "$VAR/secret.csv" "$IN/target_link_secret.csv"
mkfifo "$IN/target_fifo.csv"
printf '%s\n058,2023,1,1\n' "$H" >"$VAR/target_hard.csv"
ln "$VAR/target_hard.csv" "$IN/target_hard.csv"
truncate -s 9M "$VAR/target_too_large.csv"
mv "$VAR/target_too_large.csv" "$IN/"
have_receipt() { [ -n "$(latest_receipt "$1" "$2")" ]; }
for pair in "target_link_fifo.csv E_FILE_SYMLINK" "target_link_secret.csv E_FILE_SYMLINK" \
	"target_fifo.csv E_FILE_NOT_REGULAR" "target_hard.csv E_FILE_HARDLINK" \
	"target_too_large.csv E_FILE_TOO_LARGE"; do
	set -- $pair
	if wait_for 20 have_receipt sldtbxh "$1"; then
		r=$(latest_receipt sldtbxh "$1")
		check_eq "$1: refused" rejected "$(json_field "$r" status)"
		check "$1: code $2" grep -q "\"code\": \"$2\"" "$r"
	else
		not_ok "$1: a receipt arrives"
	fi
done
check "the symlinks were moved, not followed" test -L "$(ls -d "$VAR"/spool/rejected/sldtbxh/*-target_link_fifo.csv)"
check "the FIFO behind a symlink is still a FIFO" test -p "$VAR/a-fifo"
check "the hard-linked original is untouched" grep -q 2023 "$VAR/target_hard.csv"
check_eq "nothing from the refused files was applied" 0 "$(q "SELECT count(*) FROM target WHERE year IN (2022, 2023)")"
ctl submit --agency sldtbxh --wait --timeout 30 "$FIX/target_2017.csv" >/dev/null
check "the worker is still taking files after the gate cases (nothing hangs)" test $? -eq 0

# the same bytes under the same name again, dropped by hand
cp "$D/target_bom_crlf.csv" "$VAR/target_bom_crlf.csv"
mv "$VAR/target_bom_crlf.csv" "$IN/"
two_receipts() { [ "$(ls "$VAR"/spool/outbox/sldtbxh/*-target_bom_crlf.csv.json 2>/dev/null | wc -l)" -eq 2 ]; }
check "same name, same bytes: a second receipt arrives" wait_for 20 two_receipts
check_eq "and it is a repeat" repeat "$(json_field "$(latest_receipt sldtbxh target_bom_crlf.csv)" status)"
check_eq "the repeat changed nothing" 1 "$(q "SELECT count(*) FROM files WHERE name LIKE 'target_bom_crlf%'")"

# --- files dropped while the pipeline is down are taken at start ------------
check "pipeline stops" ctl down
printf '%s\n058,2024,33,22\n' "$H" >"$VAR/target_2024.csv"
mv "$VAR/target_2024.csv" "$IN/"
# retention: an old archived file and an old rejected one go, recent ones stay
old_a=$VAR/spool/archive/sldtbxh/old-target.csv
old_r=$VAR/spool/rejected/bhxh/17000-old-refused.csv
young=$VAR/spool/archive/sldtbxh/$(($(date +%s) * 1000000))-target_old_mtime.csv
echo x >"$old_a"; echo x >"$old_r"; echo x >"$young"
touch -d '5 days ago' "$old_a" "$old_r" "$young"
narch=$(find "$VAR/spool/archive" -type f | wc -l)
check "pipeline starts again" ctl up
check "a file dropped while down gets its receipt" wait_for 20 have_receipt sldtbxh target_2024.csv
check_eq "and is applied" 33.0 "$(q "SELECT bhxh_pct FROM target WHERE org_unit = '058' AND year = 2024")"
gone() { [ ! -e "$old_a" ] && [ ! -e "$old_r" ]; }
check "retention deletes archive/ and rejected/ files older than retention_days" wait_for 10 gone
check "a file received now keeps its place whatever its mtime" test -e "$young"
check "recent archived files are kept" test "$(find "$VAR/spool/archive" -type f | wc -l)" -ge $((narch - 1))

check_eq "nothing is left in (or written to) the drop folders" "" "$(find "$VAR/spool/incoming" -mindepth 2)"
finish
