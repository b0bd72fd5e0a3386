#!/usr/bin/env bash
# run-sample.sh - `make run`: start the pipeline on the embedded default
# configuration, submit the sample files of config/sample/ as each agency
# would, and show the coverage table and where receipts and reports are.
set -eu
cd "$(dirname "$0")/.."
VAR=${BHXH_VAR_DIR:-$PWD/var}
CTL="bin/bhxhctl --var-dir $VAR"
S=config/sample

$CTL up
submit() {
	local agency=$1 file=$2 status
	status=$($CTL submit --agency "$agency" --wait --format json "$file" | sed -n 's/^  "status": "\(.*\)",$/\1/p')
	printf '  %-10s %-32s %s\n' "$agency" "$(basename "$file")" "$status"
}
echo
echo "Submitting the sample data (agency, file, receipt status):"
submit sldtbxh $S/labor_force_2017.csv
submit sldtbxh $S/target_2017.csv
submit skhdt $S/enterprise_2017-03.csv
submit cucthue $S/tax_employer_2017-03.csv
submit bhxh $S/collection_agent_2017.csv
submit bhxh $S/insured_unit_2017-03.csv
submit bhxh $S/participant_2017-03.csv
echo
echo "Coverage, March 2017 (bhxhctl report coverage):"
$CTL report coverage --period 2017-03
echo
echo "Receipts:   $VAR/spool/outbox/<agency>/  (JSON and text)"
echo "Reports:    $VAR/reports/coverage.csv, findings.csv (and .json)"
[ -f "$VAR/reports/index.html" ] && echo "Dashboard:  $VAR/reports/index.html"
echo "Status:     bin/bhxhctl --var-dir $VAR status"
echo "Stop:       bin/bhxhctl --var-dir $VAR down"
