#!/usr/bin/env bash
# test_cfgdoc.sh - docs/CONFIGURATION.md's key reference is what the code
# describes (bin/bhxh-cfgdoc writes it from the tables the loaders read
# with), every key of the shipped files is in it, and the check can fail.
. "$(dirname "$0")/lib.sh"
DOC=$ROOT/docs/CONFIGURATION.md

check "the key reference is current (make docs writes it)" "$BIN/bhxh-cfgdoc" --check "$DOC"
# every key the shipped files set is documented
missing=""
for k in $(sed -n 's/^\([a-z_]*\):.*/\1/p' "$ROOT/config/bhxh.yaml") \
	$(awk '/^[a-z_]+:/ { s = $1; sub(":", "", s) } /^  [a-z_]+:/ { k = $1; sub(":", "", k); print s "." k }' \
		"$ROOT/config/bhxh.yaml" | grep -v '^\(org_units\|agencies\|endpoints\|org_unit_moves\)\.'); do
	grep -q "^| \`$k" "$DOC" || missing="$missing $k"
done
for f in findings alerting; do
	for k in $(awk '/^[a-z_]+:/ { s = $1; sub(":", "", s); if ($2 != "" && $2 !~ /^#/) print s } /^  [a-z_]+:/ { k = $1; sub(":", "", k); print s "." k }' \
		"$ROOT/config/$f.yaml"); do
		grep -q "^| \`$k" "$DOC" || missing="$missing $f:$k"
	done
done
check_eq "every key of the shipped files is in the reference" "" "$missing"
# a stale reference is caught, and says what to do
cp "$DOC" "$VAR/CONFIGURATION.md"
sed -i 's/^| `ingest.batch_rows` | integer 1–100000 | `1000` |/| `ingest.batch_rows` | integer 1–100000 | `500` |/' \
	"$VAR/CONFIGURATION.md"
check "the edit was made" grep -q '`500`' "$VAR/CONFIGURATION.md"
out=$("$BIN/bhxh-cfgdoc" --check "$VAR/CONFIGURATION.md" 2>&1)
check_eq "a stale reference fails the check" 1 $?
check "...and says to run make docs" grep -q "run \`make docs\`" <<<"$out"
check "--write mends it" "$BIN/bhxh-cfgdoc" --write "$VAR/CONFIGURATION.md"
check_files_eq "...to the very text of the repository's" "$DOC" "$VAR/CONFIGURATION.md"
finish
