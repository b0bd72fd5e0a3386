#!/usr/bin/env bash
# test_coverage.sh - a hand-worked fixture through the whole pipeline: receipts
# with the right counts and codes, coverage.csv row by row, a snapshot that
# replaces an earlier one, report filters, and the report files on disk.
. "$(dirname "$0")/lib.sh"

check "pipeline starts" ctl up
check "labour force applied" ctl submit --agency sldtbxh --wait "$FIX/labor_force_2017.csv"
check "targets applied" ctl submit --agency sldtbxh --wait "$FIX/target_2017.csv"
ctl submit --agency bhxh --wait --format json "$FIX/participant_2017-03.csv" >"$VAR/r1.json"
check "participants March applied (exit 0)" test $? -eq 0
check_eq "receipt status" applied "$(json_field "$VAR/r1.json" status)"
check_eq "rows_read" 10 "$(json_field "$VAR/r1.json" rows_read)"
check_eq "rows_applied" 7 "$(json_field "$VAR/r1.json" rows_applied)"
check_eq "rows_rejected" 3 "$(json_field "$VAR/r1.json" rows_rejected)"
check_eq "rows_duplicate" 1 "$(json_field "$VAR/r1.json" rows_duplicate)"
check "line 7 is a duplicate of line 6" grep -q '"line": 7, "field": "insurance_no", "code": "E_DUPLICATE_KEY".*line 6' "$VAR/r1.json"
check "line 9 has a bad insurance number" grep -q '"line": 9, "field": "insurance_no", "code": "E_INSURANCE_NO_FORMAT"' "$VAR/r1.json"
check "line 10 breaks the voluntary/BHTN rule" grep -q '"line": 10, "field": "unemployment", "code": "E_RULE_VOLUNTARY_BHTN"' "$VAR/r1.json"
check "the receipt never echoes the bad insurance number" bash -c "! grep -q 12345 '$VAR/r1.json'"
check "a text twin is written" test -s "${VAR}/spool/outbox/bhxh/$(basename "$(latest_receipt bhxh participant_2017-03.csv)" .json).txt"
check "participants April applied" ctl submit --agency bhxh --wait "$FIX/participant_2017-04.csv"

ctl report coverage --format csv >"$VAR/cov1.csv"
check_files_eq "coverage.csv matches the hand-worked figures" "$FIX/coverage_expected_1.csv" "$VAR/cov1.csv"
# the reports are rewritten once no file is waiting, after the receipts
wait_for 10 cmp -s "$VAR/cov1.csv" "$VAR/reports/coverage.csv"
check_files_eq "VAR/reports/coverage.csv is the same" "$VAR/cov1.csv" "$VAR/reports/coverage.csv"
check "coverage.json is written" wait_for 10 grep -q '"org_unit": "058", "period": "2017-03", "labor_force": 1000' "$VAR/reports/coverage.json"

ctl report coverage --format csv --org-unit 058 --period 2017-03 >"$VAR/one.csv"
check_eq "filter by unit and period" "$(head -1 "$FIX/coverage_expected_1.csv")
058,2017-03,1000,3,2,1,2,0.30,0.20,30.00,15.00" "$(cat "$VAR/one.csv")"
check_eq "filter by parent unit keeps its subtree" 9 "$(ctl report coverage --format csv --org-unit 06 --period 2017-04 | tail -n +2 | wc -l)"

check "corrected March snapshot applied" ctl submit --agency bhxh --wait "$FIX/participant_2017-03_fix.csv"
ctl report coverage --format csv >"$VAR/cov2.csv"
check_files_eq "the corrected snapshot replaces March completely" "$FIX/coverage_expected_2.csv" "$VAR/cov2.csv"
check "table format prints a header" bash -c "'$CTL' --config '$CONFIG' --var-dir '$VAR' report coverage | head -1 | grep -q '^org_unit  *period'"
check "findings report has the columns of docs/DOMAIN.md §8" bash -c "'$CTL' --config '$CONFIG' --var-dir '$VAR' report findings --format csv | head -1 | grep -qx 'kind,subject,org_unit,period,severity,value,threshold,status'"
check "no citizen ID or insurance number in any log" bash -c "! grep -rqE '0100000[0-9]{3}' '$VAR/log'"
finish
