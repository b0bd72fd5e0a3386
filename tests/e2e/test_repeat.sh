#!/usr/bin/env bash
# test_repeat.sh - the same bytes twice: the second is a repeat that names the
# first and changes nothing; a file refused whole makes submit exit 1.
. "$(dirname "$0")/lib.sh"

check "pipeline starts" ctl up
check "labour force applied" ctl submit --agency sldtbxh --wait "$FIX/labor_force_2017.csv"
check "first submission applied" ctl submit --agency bhxh --wait "$FIX/participant_2017-03.csv"
ctl report coverage --format csv >"$VAR/before.csv"
cp "$FIX/participant_2017-03.csv" "$VAR/participant_2017-03-again.csv"
ctl submit --agency bhxh --wait --format json "$VAR/participant_2017-03-again.csv" >"$VAR/r2.json"
check "a repeat exits 0" test $? -eq 0
check_eq "second receipt is a repeat" repeat "$(json_field "$VAR/r2.json" status)"
check_eq "it names the earlier file" participant_2017-03.csv "$(json_field "$VAR/r2.json" repeat_of)"
check_eq "it applies nothing" 0 "$(json_field "$VAR/r2.json" rows_applied)"
ctl report coverage --format csv >"$VAR/after.csv"
check_files_eq "coverage unchanged by the repeat" "$VAR/before.csv" "$VAR/after.csv"
check_eq "the aggregate applied the file once" 1 \
	"$(sqlite3 "$VAR/db/aggregate.db" "SELECT count(*) FROM files WHERE rtype = 'participant'")"

ctl submit --agency cucthue --wait --format json "$FIX/participant_2017-03_fix.csv" >"$VAR/r3.json"
check "a file refused whole exits 1" test $? -eq 1
check_eq "refused: type not allowed for the agency" rejected "$(json_field "$VAR/r3.json" status)"
check "with its code" grep -q E_FILE_TYPE_NOT_ALLOWED "$VAR/r3.json"
check_eq "nothing is left in the drop folders" 0 "$(find "$VAR/spool/incoming" -mindepth 2 | wc -l)"
finish
