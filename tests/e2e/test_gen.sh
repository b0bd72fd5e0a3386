#!/usr/bin/env bash
# test_gen.sh - bhxh-gen month: a generated set of every record type over
# three months (a year boundary, so two labour-force and target files) goes
# through a real pipeline: every file applied without a rejected row, coverage
# for every district and month within 20-60%, insured counts equal to the
# participant rows, and each employer and agent finding present. Then the
# same set with 5% bad rows: each receipt rejects exactly the rows
# expected.txt counts. Same arguments give byte-identical files, another
# seed other files, and memory does not grow with the rows.
. "$(dirname "$0")/lib.sh"
GEN=$BIN/bhxh-gen
G=$VAR/gen
# three months: idle_agent needs 3 months of participant data (findings.yaml)
ARGS=(--period 2017-11 --months 3 --participants 1500 --seed 5)
DISTRICTS="058 060 061 062 063 064 065 066"
PERIODS="2017-11 2017-12 2018-01"

# files DIR - the data lines of DIR/expected.txt
files() { grep -v '^#' "$1/expected.txt"; }

# ---- the files -------------------------------------------------------------
check "month writes a 3-month set" "$GEN" month --out "$G/a" "${ARGS[@]}"
want="enterprise_2017-11.csv collection_agent_2017-11.csv labor_force_2017.csv target_2017.csv insured_unit_2017-11.csv participant_2017-11.csv tax_employer_2017-11.csv enterprise_2017-12.csv collection_agent_2017-12.csv insured_unit_2017-12.csv participant_2017-12.csv tax_employer_2017-12.csv enterprise_2018-01.csv collection_agent_2018-01.csv labor_force_2018.csv target_2018.csv insured_unit_2018-01.csv participant_2018-01.csv tax_employer_2018-01.csv"
check_eq "expected.txt lists every type each month, labour force and targets once a year" \
	"$want" "$(files "$G/a" | awk '{print $1}' | xargs)"
check_eq "every listed file is there, nothing else" \
	"$(echo "$want expected.txt" | tr ' ' '\n' | sort | xargs)" "$(ls "$G/a" | sort | xargs)"
check_eq "the first month has the participant rows asked for" 1500 \
	"$(files "$G/a" | awk '$1 == "participant_2017-11.csv" {print $4}')"
check "--help documents month and its options" bash -c \
	"'$GEN' --help | grep -q -- '--bad-share' && '$GEN' --help | grep -q -- '--voluntary-share' && '$GEN' --help | grep -q 'expected.txt'"

"$GEN" month --out "$G/b" "${ARGS[@]}"
same=0
for f in "$G"/a/*; do cmp -s "$f" "$G/b/$(basename "$f")" && same=$((same + 1)); done
check_eq "the same arguments give byte-identical files" "$(ls "$G/a" | wc -l)" "$same"
"$GEN" month --out "$G/c" --period 2017-11 --months 3 --participants 1500 --seed 6
same=0
for f in "$G"/a/*; do cmp -s "$f" "$G/c/$(basename "$f")" && same=$((same + 1)); done
check_eq "another seed gives different files (none identical)" 0 "$same"

# peak_rss ARGS... - the generator's own peak RSS in KB (--verbose prints it)
peak_rss() { "$GEN" month --verbose "$@" 2>&1 >/dev/null | sed -n 's/^bhxh-gen: peak RSS \([0-9]*\) KB$/\1/p'; }
small=$(peak_rss --out "$G/m1" --period 2017-03 --participants 10000 --types participant)
large=$(peak_rss --out "$G/m2" --period 2017-03 --participants 1000000 --types participant)
check "memory does not grow with rows (peak RSS ${small:-?} KB at 10 000 rows, ${large:-?} KB at 1 000 000)" \
	test -n "$small" -a -n "$large" -a "$((${large:-0} - ${small:-0}))" -lt 1024
check_eq "the large set has its million rows" 1000001 "$(wc -l <"$G/m2/participant_2017-03.csv")"
rm -rf "$G/m1" "$G/m2"

# ---- through the pipeline ----------------------------------------------------
# submit_all DIR - submit every file of DIR in expected.txt order; one line
# per file: name status rows_read rows_rejected rows_duplicate
submit_all() {
	local f agency type rows rej dup r
	while read -r f agency type rows rej dup; do
		r=$VAR/receipt-$f.json
		ctl submit --agency "$agency" --wait --format json "$1/$f" >"$r" 2>&1
		echo "$f $(json_field "$r" status) $(json_field "$r" rows_read) $(json_field "$r" rows_rejected)" \
			"$(json_field "$r" rows_duplicate)"
	done < <(files "$1")
}

check "pipeline starts" ctl up
submit_all "$G/a" >"$VAR/got.txt"
while read -r f agency type rows rej dup; do
	check_eq "$f ($agency): applied, $rows rows read, none rejected" "$f applied $rows 0 0" \
		"$(grep "^$f " "$VAR/got.txt")"
done < <(files "$G/a")

ctl report coverage --format csv >"$VAR/coverage.csv"
missing=""
for d in $DISTRICTS; do
	for p in $PERIODS; do
		grep -q "^$d,$p,[1-9]" "$VAR/coverage.csv" || missing="$missing $d/$p"
	done
done
check_eq "coverage has a row with a labour force for every district and month" "" "$missing"
check_eq "BHXH coverage of every district and month is within 20-60%" "" \
	"$(awk -F, 'NR > 1 && $1 != "06" && ($8 < 20 || $8 > 60) {print $1 "/" $2 "=" $8}' "$VAR/coverage.csv" | xargs)"

ctl report findings --format csv >"$VAR/findings.csv"
for k in not_enrolled under_declared unregistered idle_agent low_wage_basis; do
	check "findings.csv has $k" grep -q "^$k," "$VAR/findings.csv"
done
for s in warning major critical; do
	check "findings.csv has arrears at severity $s" grep -q "^arrears,[^,]*,[^,]*,[^,]*,$s," "$VAR/findings.csv"
done

sql() { sqlite3 -cmd ".timeout 10000" "$VAR/db/aggregate.db" "$1"; }
check_eq "every insured unit's insured_count equals its participant rows" 0 \
	"$(sql "SELECT count(*) FROM insured_unit i WHERE insured_count <> (SELECT count(*) FROM participant p
	  WHERE p.unit_code = i.unit_code AND p.period = i.period)")"
check_eq "every insured unit's bhtn_count equals its participants with BHTN" 0 \
	"$(sql "SELECT count(*) FROM insured_unit i WHERE bhtn_count <> (SELECT count(*) FROM participant p
	  WHERE p.unit_code = i.unit_code AND p.period = i.period AND p.unemployment = 1)")"
check_eq "every compulsory participant's unit is an insured unit of the month, in the same district" 0 \
	"$(sql "SELECT count(*) FROM participant p WHERE scheme = 'compulsory' AND NOT EXISTS (SELECT 1
	  FROM insured_unit i WHERE i.unit_code = p.unit_code AND i.period = p.period AND i.org_unit = p.org_unit)")"
check_eq "every insured unit's tax code is declared to Tax that month" 0 \
	"$(sql "SELECT count(*) FROM insured_unit i WHERE NOT EXISTS (SELECT 1 FROM tax_employer t
	  WHERE t.tax_code = i.tax_code AND t.period = i.period)")"
check_eq "every agent code of a voluntary participant is an active agent" 0 \
	"$(sql "SELECT count(*) FROM participant p WHERE agent_code <> '' AND NOT EXISTS (SELECT 1
	  FROM collection_agent a WHERE a.agent_code = p.agent_code AND a.status = 'active')")"
check "some people are in two units each month" test \
	"$(sql "SELECT count(DISTINCT period) FROM (SELECT period FROM participant GROUP BY period, insurance_no
	  HAVING count(*) > 1)")" -eq 3
check_eq "about a fifth of participants are voluntary (15-25%) each month" "1|1|1" \
	"$(sql "SELECT sum(scheme = 'voluntary') * 100.0 / count(*) BETWEEN 15 AND 25 FROM participant
	  GROUP BY period ORDER BY period" | xargs | tr ' ' '|')"
check "people join and leave between months" test \
	"$(sql "SELECT count(*) FROM (SELECT insurance_no FROM participant WHERE period = '2017-12'
	  EXCEPT SELECT insurance_no FROM participant WHERE period = '2017-11')")" -gt 0 -a \
	"$(sql "SELECT count(*) FROM (SELECT insurance_no FROM participant WHERE period = '2017-11'
	  EXCEPT SELECT insurance_no FROM participant WHERE period = '2017-12')")" -gt 0
check "enterprises are born and dissolved" test \
	"$(sql "SELECT count(*) FROM enterprise WHERE status = 'dissolved'")" -gt 0 -a \
	"$(sql "SELECT count(*) FROM enterprise WHERE registered_on >= '2017-12-01'")" -gt 0
check "some tax codes are branches" test "$(sql "SELECT count(*) FROM tax_employer WHERE tax_code LIKE '%-%'")" -gt 0
ctl down >/dev/null 2>&1
check_logs_clean
GOOD_VAR=$VAR

# ---- bad rows: a fresh pipeline, receipts against expected.txt ----------------
VAR=$(mktemp -d /tmp/bhxh-e2e.XXXXXX)
check "month writes the set with 5% bad rows" "$GEN" month --out "$G/bad" "${ARGS[@]}" --bad-share 0.05
check "a second pipeline starts" ctl up
submit_all "$G/bad" >"$VAR/got.txt"
total=0
while read -r f agency type rows rej dup; do
	check_eq "$f: $rej of $rows rows rejected ($dup duplicates), as expected.txt says" "$f applied $rows $rej $dup" \
		"$(grep "^$f " "$VAR/got.txt")"
	total=$((total + rej))
done < <(files "$G/bad")
rows=$(files "$G/bad" | awk '{n += $4} END {print n}')
check "about 5% of rows are bad ($total of $rows)" test "$((total * 1000 / rows))" -ge 35 -a "$((total * 1000 / rows))" -le 65
codes=$(cat "$VAR"/receipt-*.json | grep -o '"code": "E_[A-Z_]*"' | sort -u | wc -l)
check "the bad rows are bad in many ways ($codes distinct codes)" test "$codes" -ge 10
if [ "$FAILS" -eq 0 ]; then rm -rf "$GOOD_VAR"; else echo "first var dir kept: $GOOD_VAR"; fi
finish
