#!/usr/bin/env bash
# test_encoding.sh - the encoding is chosen per file: valid UTF-8 is read as
# UTF-8 whatever the agency declares, a legacy file in the encoding its agency
# declares, and a file in neither is refused with the encoding it most likely
# is in and how to save it as CSV UTF-8; bytes invalid past the sampled start
# reject their row alone. Then the order of the gate: an agency's permission
# for a type comes before repeat detection, and repeats are per agency.
. "$(dirname "$0")/lib.sh"

# the ingest test configuration (agencies declaring WINDOWS-1258 and TCVN3)
# plus one declaring VISCII; a second one where bhxh_cp1258 may send only targets
mkcfg() {
	sed -e "s|^schemas: .*|schemas: $ROOT/config/schemas.yaml|" \
		-e '/^  - { id: bhxh_tcvn3,/a\  - { id: bhxh_viscii, name: BHXH (VISCII), types: [collection_agent], encoding: VISCII }' \
		"$ROOT/tests/e2e/config/ingest.yaml"
}
CONFIG=$VAR/encoding.yaml
mkcfg >"$CONFIG"
mkcfg | sed 's/^\(  - { id: bhxh_cp1258, .*types: \)\[collection_agent\]/\1[target]/' >"$VAR/encoding2.yaml"
D=$VAR/in
mkdir -p "$D"
DB=$VAR/db/aggregate.db
q() { sqlite3 "$DB" "PRAGMA busy_timeout=2000; $1" | tail -n +2; }

# rows of collection agents with Vietnamese names; PRE is the code prefix
names() {
	printf 'Mã đại lý,Tên đại lý,Mã huyện,Trạng thái\n'
	printf '%s01,Nguyễn Văn Đức,058,Đang hoạt động\n' "$1"
	printf '%s02,Trần Thị Hương,061,Đang hoạt động\n' "$1"
	printf '%s03,Phạm Ngọc Ánh,064,Ngừng hoạt động\n' "$1"
	printf '%s04,Hoàng Thị Thu Huyền,066,Đang hoạt động\n' "$1"
	printf '%s05,Lý Văn Ước,062,Ngừng hoạt động\n' "$1"
}
WANT='Nguyễn Văn Đức|Trần Thị Hương|Phạm Ngọc Ánh|Hoàng Thị Thu Huyền|Lý Văn Ước'
names DL5 >"$D/collection_agent_utf8_a.csv"
printf '\xef\xbb\xbf' | cat - "$D/collection_agent_utf8_a.csv" >"$D/collection_agent_utf8_bom.csv"
names DL6 | iconv -f UTF-8 -t WINDOWS-1258 >"$D/collection_agent_cp1258.csv"
names DL7 | iconv -f UTF-8 -t TCVN5712-1 >"$D/collection_agent_tcvn3.csv"
names DL8 | iconv -f UTF-8 -t VISCII >"$D/collection_agent_viscii.csv"
# valid UTF-8 for well over the sampled 64 KiB, then one row in Windows-1258
{
	names DL9
	for i in $(seq 1000 2599); do printf 'DL9%d,Nguyễn Thị Ánh Tuyết,058,Đang hoạt động\n' "$i"; done
	printf 'DL9X1,Trần Thị Hương,061,Đang hoạt động\n' | iconv -f UTF-8 -t WINDOWS-1258
	printf 'DL9X2,Phạm Ngọc Ánh,064,Đang hoạt động\n'
} >"$D/collection_agent_late.csv"
# UTF-8 with one stray byte, from an agency that declares TCVN3
{ names DLA; printf 'DLA06,Nguy\xffn An,058,Đang hoạt động\n'; } >"$D/collection_agent_stray.csv"
for n in b c d; do cp "$D/collection_agent_utf8_a.csv" "$D/collection_agent_utf8_$n.csv"; done

# submit LABEL AGENCY FILE - the receipt of FILE into $VAR/r-LABEL.json, submit's exit code in RC
submit() {
	ctl submit --agency "$2" --wait --timeout 60 --format json "$D/$3" >"$VAR/r-$1.json" 2>"$VAR/r-$1.err"
	RC=$?
}
# text_twin LABEL - the readable receipt next to the JSON one
text_twin() { local j; j=$(latest_receipt "$1" "$2"); cat "${j%.json}.txt"; }
names_of() { q "SELECT group_concat(name, '|') FROM (SELECT name FROM collection_agent WHERE agent_code LIKE '$1%' ORDER BY agent_code)"; }

check "pipeline starts" ctl up

# --- A: the encoding of each file ----------------------------------------------
submit utf8_from_cp1258 bhxh_cp1258 collection_agent_utf8_a.csv
check_eq "UTF-8 file from a WINDOWS-1258 agency: applied" "0 applied 5/5/0" \
	"$RC $(json_field "$VAR/r-utf8_from_cp1258.json" status) $(json_field "$VAR/r-utf8_from_cp1258.json" rows_read)/$(json_field "$VAR/r-utf8_from_cp1258.json" rows_applied)/$(json_field "$VAR/r-utf8_from_cp1258.json" rows_rejected)"
check_eq "...its receipt says it was read as UTF-8" UTF-8 "$(json_field "$VAR/r-utf8_from_cp1258.json" encoding)"
check "...and so does the text twin" grep -q '^Bảng mã / Encoding:    UTF-8$' \
	<(text_twin bhxh_cp1258 collection_agent_utf8_a.csv)
check_eq "...the names are right" "$WANT" "$(names_of DL5)"

submit bom_from_tcvn3 bhxh_tcvn3 collection_agent_utf8_bom.csv
check_eq "UTF-8 file with a BOM from a TCVN3 agency: read as UTF-8" "applied UTF-8 5" \
	"$(json_field "$VAR/r-bom_from_tcvn3.json" status) $(json_field "$VAR/r-bom_from_tcvn3.json" encoding) $(json_field "$VAR/r-bom_from_tcvn3.json" rows_applied)"

submit cp1258_from_utf8 bhxh collection_agent_cp1258.csv
R=$VAR/r-cp1258_from_utf8.json
check_eq "WINDOWS-1258 file from a UTF-8 agency: refused (exit 1)" "1 rejected" "$RC $(json_field "$R" status)"
check "...with E_FILE_ENCODING" grep -q '"code": "E_FILE_ENCODING"' "$R"
check_eq "...naming the likely encoding" WINDOWS-1258 "$(json_field "$R" encoding_likely)"
check "...in Vietnamese, with how to re-save" grep -q '"message_vi": "[^"]*bảng mã WINDOWS-1258[^"]*File → Save As[^"]*\\"CSV UTF-8 (Comma delimited)\\"' "$R"
check "...and in English" grep -q '"message_en": "[^"]*most likely saved in WINDOWS-1258[^"]*File → Save As[^"]*\\"CSV UTF-8 (Comma delimited)\\"' "$R"
check "...the text twin names it too" grep -q '^Bảng mã của tệp có lẽ là / Likely encoding: WINDOWS-1258$' \
	<(text_twin bhxh collection_agent_cp1258.csv)
check "...it names no encoding it was read in" test -z "$(json_field "$R" encoding)"
check_eq "...nothing of it applied" 0 "$(q "SELECT count(*) FROM collection_agent WHERE agent_code LIKE 'DL6%'")"

for e in cp1258:WINDOWS-1258 tcvn3:TCVN3 viscii:VISCII; do
	f=${e%%:*} enc=${e#*:}
	submit "legacy_$f" "bhxh_$f" "collection_agent_$f.csv"
	R=$VAR/r-legacy_$f.json
	check_eq "$enc file from an agency declaring $enc: applied, read as $enc" "0 applied 5/5/0 $enc" \
		"$RC $(json_field "$R" status) $(json_field "$R" rows_read)/$(json_field "$R" rows_applied)/$(json_field "$R" rows_rejected) $(json_field "$R" encoding)"
done
check_eq "WINDOWS-1258 names stored right" "$WANT" "$(names_of DL6)"
check_eq "TCVN3 names stored right" "$WANT" "$(names_of DL7)"
check_eq "VISCII names stored right" "$WANT" "$(names_of DL8)"

submit tcvn3_from_cp1258 bhxh_cp1258 collection_agent_tcvn3.csv
R=$VAR/r-tcvn3_from_cp1258.json
check_eq "TCVN3 file from a WINDOWS-1258 agency: refused naming TCVN3" "1 rejected TCVN3" \
	"$RC $(json_field "$R" status) $(json_field "$R" encoding_likely)"
check "...it says the declared encoding does not read it" grep -q '"message_en": "the file is neither UTF-8 nor in WINDOWS-1258' "$R"

submit late bhxh collection_agent_late.csv
R=$VAR/r-late.json
check_eq "bytes invalid in UTF-8 past the first 64 KiB: the file applies, that row is rejected" "0 applied 1607/1606/1 UTF-8" \
	"$RC $(json_field "$R" status) $(json_field "$R" rows_read)/$(json_field "$R" rows_applied)/$(json_field "$R" rows_rejected) $(json_field "$R" encoding)"
check "...the row is named with E_ENCODING" grep -q '"line": 1607, "field": "name", "code": "E_ENCODING"' "$R"
check "...its message names the encoding the file is read in" grep -q '"message_en": "the cell has bytes invalid in UTF-8, the encoding this file is read in (chosen from its first 64 KiB)' "$R"
check_eq "...the rows after it applied" "Phạm Ngọc Ánh" "$(q "SELECT name FROM collection_agent WHERE agent_code = 'DL9X2'")"

submit stray bhxh_tcvn3 collection_agent_stray.csv
R=$VAR/r-stray.json
check_eq "UTF-8 with a stray bad byte from a TCVN3 agency: read as UTF-8, that row rejected" "0 applied 6/5/1 UTF-8" \
	"$RC $(json_field "$R" status) $(json_field "$R" rows_read)/$(json_field "$R" rows_applied)/$(json_field "$R" rows_rejected) $(json_field "$R" encoding)"
check "...with E_ENCODING on its line" grep -q '"line": 7, "field": "name", "code": "E_ENCODING"' "$R"
check_eq "...the other names are right" "$WANT" "$(names_of DLA)"

check_eq "ingest records the encoding each file is read in" "UTF-8|WINDOWS-1258|TCVN3|VISCII" \
	"$(sqlite3 "$VAR/db/ingest.db" "PRAGMA busy_timeout=2000; SELECT group_concat(encoding, '|') FROM (SELECT encoding FROM files WHERE name IN ('collection_agent_utf8_a.csv', 'collection_agent_cp1258.csv', 'collection_agent_tcvn3.csv', 'collection_agent_viscii.csv') ORDER BY id)" | tail -n +2)"

# --- B: permission before repeats; repeats per agency ------------------------------
submit other_agency bhxh collection_agent_utf8_b.csv
R=$VAR/r-other_agency.json
check_eq "the same bytes from another allowed agency: applied" "0 applied 5" \
	"$RC $(json_field "$R" status) $(json_field "$R" rows_applied)"
check "...not called a repeat of the first agency's file" test -z "$(json_field "$R" repeat_of)"

submit real_repeat bhxh collection_agent_utf8_c.csv
R=$VAR/r-real_repeat.json
check_eq "the same bytes again from the same agency: a repeat of its own file" "0 repeat collection_agent_utf8_b.csv" \
	"$RC $(json_field "$R" status) $(json_field "$R" repeat_of)"

submit not_allowed cucthue collection_agent_utf8_d.csv
R=$VAR/r-not_allowed.json
check_eq "the same bytes from an agency that may not send the type: not allowed" "1 rejected" \
	"$RC $(json_field "$R" status)"
check "...with E_FILE_TYPE_NOT_ALLOWED" grep -q '"code": "E_FILE_TYPE_NOT_ALLOWED"' "$R"
check "...not a repeat" test -z "$(json_field "$R" repeat_of)"

# the agency that sent the bytes first may no longer send the type: sending
# them again is refused as not allowed, not answered as a repeat
ctl down >/dev/null 2>&1
CONFIG=$VAR/encoding2.yaml
check "pipeline restarts with bhxh_cp1258 allowed targets only" ctl up
cp "$D/collection_agent_utf8_a.csv" "$D/collection_agent_utf8_e.csv"
submit no_longer_allowed bhxh_cp1258 collection_agent_utf8_e.csv
R=$VAR/r-no_longer_allowed.json
check_eq "its own earlier bytes, type no longer allowed: refused, not a repeat" "1 rejected" "$RC $(json_field "$R" status)"
check "...with E_FILE_TYPE_NOT_ALLOWED" grep -q '"code": "E_FILE_TYPE_NOT_ALLOWED"' "$R"
check "...no repeat_of" test -z "$(json_field "$R" repeat_of)"

check_eq "no receipt of bhxh_cp1258 names bhxh's files" "" \
	"$(grep -l 'collection_agent_utf8_[bc]' "$VAR"/spool/outbox/bhxh_cp1258/* 2>/dev/null)"
check_eq "no receipt of bhxh or cucthue names bhxh_cp1258's file" "" \
	"$(grep -l 'collection_agent_utf8_a' "$VAR"/spool/outbox/bhxh/* "$VAR"/spool/outbox/cucthue/* 2>/dev/null)"
check_eq "nothing is left in the drop folders" 0 "$(find "$VAR/spool/incoming" -mindepth 2 | wc -l)"
finish
