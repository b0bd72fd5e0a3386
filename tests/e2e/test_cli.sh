#!/usr/bin/env bash
# test_cli.sh - bhxhctl never surprises its user. While a pipeline runs:
# --help (and -h) on every command prints that command's usage, exits 0 and
# does nothing else (the same supervisor and workers, status still
# answering, nothing created, stopped, started, expired or dropped); an
# unknown option or an argument too many exits 2 naming it with the usage
# line; acting on what does not exist (an alert that is not open, a silence,
# a quarantined file) exits non-zero saying so; `receipts` lists the
# receipts of the outbox folders newest first, for one agency, the last N.
. "$(dirname "$0")/lib.sh"

# every command of `bhxhctl --help`, as typed
COMMANDS=(up down status submit template receipts report check-config "silence add" "silence list" "silence expire"
	ack "quarantine list" "quarantine retry" "quarantine drop" backup restore supervise serve-metrics reload
	worker keygen help)

# run ARGS... - bhxhctl on the pipeline, at most 30 s; stdout, stderr and
# the exit status into $OUT, $ERR, $RC
run() {
	timeout 30 "$CTL" --config "$CONFIG" --var-dir "$VAR" "$@" >"$VAR/cli.out" 2>"$VAR/cli.err"
	RC=$?
	OUT=$(cat "$VAR/cli.out")
	ERR=$(cat "$VAR/cli.err")
}
pids() { cat "$VAR/run/supervisor.pid"; for w in ingest validate aggregate alert; do worker_pid "$w"; done; }
running() { [ "$(pids | tr '\n' ' ')" = "$PIDS" ] && ctl status >/dev/null 2>&1; }
receipt_rows() { sed 1d <<<"$OUT"; }
quiet() { "$@" >/dev/null; }

check "pipeline starts" ctl up
PIDS=$(pids | tr '\n' ' ')
check_eq "a supervisor and four workers run" 5 "$(wc -w <<<"$PIDS")"

# --- the list of commands
run --help
check_eq "--help exits 0" 0 "$RC"
for c in "${COMMANDS[@]}"; do
	check "--help lists '$c'" grep -q "^  $c\( \|$\)" <<<"$OUT"
done
check_eq "--help lists no command this test does not know" "${#COMMANDS[@]}" "$(grep -c '^  [a-z]' <<<"$OUT")"
run -h
check "-h lists the commands too" grep -q '^  receipts ' <<<"$OUT"

# --- --help on every command: usage on stdout, exit 0, nothing else
# (each line: the arguments; --help is put last, then first after the name)
H=$VAR/h
while IFS= read -r line; do
	[ -n "$line" ] || continue
	eval "args=($line)"
	name=${args[0]}
	case "$line" in "silence "* | "quarantine "*) name="${args[0]} ${args[1]}" ;; esac
	for flag in --help -h; do
		run "${args[@]}" "$flag"
		check_eq "$line $flag: exit 0" 0 "$RC"
		check "$line $flag: prints its usage" grep -q "^usage: bhxhctl $name" <<<"$OUT"
		check_eq "$line $flag: nothing on stderr" "" "$ERR"
	done
	n=$(wc -w <<<"$name")
	run "${args[@]:0:$n}" --help "${args[@]:$n}"
	check "$line: --help first prints the usage too" grep -q "^usage: bhxhctl $name" <<<"$OUT"
	check "$line: the pipeline still runs (same pids, status answers)" running
done <<EOF
up
up --only ingest
down
down extra
status --json
submit --agency bhxh --wait "$FIX/participant_2017-03.csv"
submit --agency bhxh --dry-run "$FIX/participant_2017-03.csv"
template participant --format xlsx --out "$H/participant_mau.xlsx"
receipts --last 3
report coverage --format csv
check-config --var-dir "$VAR"
silence add --matcher kind=arrears --author a --comment c --until +2h
silence list
silence expire 1
ack --kind arrears --subject S --author a
quarantine list --json
quarantine retry 1
quarantine drop 1
backup "$H/backup"
restore "$H/restore" --only ingest
supervise
supervise --only alert
serve-metrics --listen 127.0.0.1:1
reload
worker ingest
worker --list
keygen --dir "$H/keys" operator
help down
EOF
check_eq "--help created nothing (no backup, keys, dropped file or receipt)" "" \
	"$(ls -d "$H" 2>/dev/null; find "$VAR/spool/incoming" "$VAR/spool/check" "$VAR/spool/outbox" -type f)"
check_eq "--help moved no database aside" "" "$(ls -d "$VAR"/db/pre-restore-* 2>/dev/null)"
check_eq "...and started no supervisor in the foreground" 0 "$(pgrep -f -c -- "--var-dir $VAR supervise" || true)"
run silence --help
check "silence --help: the usage of add, list and expire" \
	bash -c '[ $(grep -c "^usage: bhxhctl silence \(add\|list\|expire\)" <<<"$1") -eq 3 ]' _ "$OUT"
run quarantine -h
check_eq "quarantine -h: the usage of list, retry and drop" 3 "$(grep -c '^usage: bhxhctl quarantine' <<<"$OUT")"
run help silence expire
check "help silence expire: its usage" grep -q '^usage: bhxhctl silence expire ID' <<<"$OUT"
run down -- --help
check_eq "after --, --help is an argument: down refuses it (exit 2)" 2 "$RC"
check "...naming it" grep -q "unexpected argument '--help'" <<<"$ERR"
check "the pipeline still runs after every --help" running

# --- unknown options and arguments too many: exit 2, the argument named, the usage line
while IFS='|' read -r line want; do
	[ -n "$line" ] || continue
	eval "args=($line)"
	run "${args[@]}"
	check_eq "$line: exit 2" 2 "$RC"
	check "$line: says $want" grep -qF -- "$want" <<<"$ERR"
	check "$line: with the usage line" grep -q '^usage: bhxhctl ' <<<"$ERR"
	check_eq "$line: nothing on stdout" "" "$OUT"
done <<EOF
down extra|unexpected argument 'extra'
down --force|unknown option '--force'
up --bogus|unknown option '--bogus'
up now|unexpected argument 'now'
supervise -x|unknown option '-x'
status --json extra|unexpected argument 'extra'
status --verbose|unknown option '--verbose'
reload all|unexpected argument 'all'
submit --agency bhxh --bogus "$FIX/participant_2017-03.csv"|unknown option '--bogus'
submit --agency|option '--agency' needs a value
submit --agency bhxh|missing FILE
submit --agency bhxh --timeout soon "$FIX/participant_2017-03.csv"|--timeout 'soon'
submit --agency bhxh --wait=1 "$FIX/participant_2017-03.csv"|option '--wait' takes no value
template|missing TYPE
template participant extra|unexpected argument 'extra'
template participant --format pdf|--format 'pdf'
template participant --period 2017-13|--period '2017-13'
template participant --bogus|unknown option '--bogus'
submit --agency bhxh --dry-run=1 "$FIX/participant_2017-03.csv"|option '--dry-run' takes no value
receipts extra|unexpected argument 'extra'
receipts --last many|--last 'many'
receipts --last 0|--last '0'
receipts --since 1d|unknown option '--since'
report coverage findings|unexpected argument 'findings'
report coverage --bogus|unknown option '--bogus'
report coverage --format xml|--format 'xml'
report cover|'cover': expected coverage or findings
check-config extra|unexpected argument 'extra'
check-config --strict|unknown option '--strict'
silence list extra|unexpected argument 'extra'
silence expire 1 2|unexpected argument '2'
silence expire|missing ID
silence add --matcher kind=arrears --author a --comment c --until +2h extra|unexpected argument 'extra'
silence mute|unknown subcommand 'mute'
silence|missing subcommand
ack --kind arrears --subject S --author a extra|unexpected argument 'extra'
ack --kind arrears --subject S --author a --force|unknown option '--force'
quarantine list extra|unexpected argument 'extra'
quarantine retry 1 2|unexpected argument '2'
quarantine drop|missing ID
quarantine purge 1|unknown subcommand 'purge'
backup|missing DIR
backup "$H/a" "$H/b"|unexpected argument '$H/b'
restore "$H/a" extra|unexpected argument 'extra'
restore "$H/a" --only|option '--only' needs a value
serve-metrics --port 1|unknown option '--port'
worker ingest validate|unexpected argument 'validate'
worker --list ingest|unexpected argument 'ingest'
keygen --dir "$H/keys"|missing NAME
keygen --force operator|unknown option '--force'
help down extra|unexpected argument 'extra'
nosuch|unknown command 'nosuch'
--bogus status|unknown option '--bogus'
EOF
run
check_eq "no command: exit 2" 2 "$RC"
check "...saying so" grep -q 'missing command' <<<"$ERR"
check_eq "the refused commands created nothing" "" \
	"$(ls -d "$H" 2>/dev/null; find "$VAR/spool/incoming" "$VAR/spool/check" "$VAR/spool/outbox" -type f)"
check "the pipeline still runs after every refusal" running

# --- acting on what does not exist: non-zero, saying so
run ack --kind arrears --subject NOPE --author "Lê Bình"
check_eq "ack of an alert that is not open: exit 1" 1 "$RC"
check "...says no such alert is open" grep -q "no open alert of kind 'arrears' about 'NOPE'" <<<"$ERR"
run silence expire 999999
check_eq "silence expire of no such silence: exit 1" 1 "$RC"
check "...says so" grep -q 'no active silence 999999' <<<"$ERR"
sid=$(ctl silence add --matcher kind=arrears --author "Trần An" --comment "thử" --until +2h)
check "a silence is added" test -n "$sid"
check "...and expired" ctl silence expire "$sid"
run silence expire "$sid"
check_eq "expiring it again: exit 1" 1 "$RC"
check "...says it is no active silence" grep -q "no active silence $sid" <<<"$ERR"
run quarantine retry 999999
check_eq "quarantine retry of no such file: exit 1" 1 "$RC"
check "...says so" grep -q 'no quarantined file 999999' <<<"$ERR"
run quarantine drop 999999
check_eq "quarantine drop of no such file: exit 1" 1 "$RC"
check "...says so" grep -q 'no quarantined file 999999' <<<"$ERR"
run quarantine drop nothing
check_eq "quarantine drop of what is no id: exit 2" 2 "$RC"
check "...says so" grep -q "'nothing' is not a quarantined file's id" <<<"$ERR"

# --- receipts
run receipts
check_eq "receipts before any file: exit 0" 0 "$RC"
check "...says there is none" grep -q 'no receipt in ' <<<"$OUT"
: >"$VAR/target_empty.csv"
cp "$FIX/labor_force_2017.csv" "$VAR/labor_force_2017_again.csv"
check "a labor force file is applied" quiet ctl submit --agency sldtbxh --wait "$FIX/labor_force_2017.csv"
check "an empty file is rejected" bash -c "! '$CTL' --config '$CONFIG' --var-dir '$VAR' submit --agency sldtbxh --wait '$VAR/target_empty.csv' >/dev/null"
check "the same labor force file again is a repeat" quiet ctl submit --agency sldtbxh --wait "$VAR/labor_force_2017_again.csv"
check "a participant file is applied" quiet ctl submit --agency bhxh --wait "$FIX/participant_2017-03.csv"
run receipts
check_eq "receipts: exit 0" 0 "$RC"
check_eq "...a header and one line per receipt" 4 "$(receipt_rows | wc -l)"
check "...the header names the columns" grep -q '^time (UTC) *agency *status *file *receipt$' <<<"$(head -1 <<<"$OUT")"
first=$(receipt_rows | head -1)
check "...newest first: the participant file, applied" grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +bhxh +applied +participant_2017-03.csv ' <<<"$first"
path=${first##* }
check "...with the path of its receipt" test -f "$path"
check "...its readable text, status and all" grep -q '^Kết quả / Status: .*(applied)' "$path"
check_eq "...which is in the agency's outbox" "$VAR/spool/outbox/bhxh" "$(dirname "$path")"
check_eq "...the times go back" "$(receipt_rows | cut -c1-20)" "$(receipt_rows | cut -c1-20 | sort -r)"
check "...the repeat is listed as such" grep -qE ' sldtbxh +repeat +labor_force_2017_again.csv ' <<<"$OUT"
check "...the empty file as rejected" grep -qE ' sldtbxh +rejected +target_empty.csv ' <<<"$OUT"
run receipts --agency sldtbxh
check_eq "receipts --agency sldtbxh: its three" 3 "$(receipt_rows | wc -l)"
check_eq "...and only its" "" "$(receipt_rows | grep -v ' sldtbxh ')"
run receipts --agency sldtbxh --last 1
check_eq "--last 1: one receipt" 1 "$(receipt_rows | wc -l)"
check "...the newest of the agency" grep -q ' labor_force_2017_again.csv ' <<<"$OUT"
run receipts --last 2
check_eq "--last 2 of all agencies: two" 2 "$(receipt_rows | wc -l)"
check "...the participant file first" grep -q ' participant_2017-03.csv ' <<<"$(receipt_rows | head -1)"
run receipts --agency ubnd_058
check_eq "an agency that sent nothing: exit 0" 0 "$RC"
check "...says it has no receipt" grep -q 'no receipt in .*/spool/outbox/ubnd_058' <<<"$OUT"
run receipts --agency nope
check_eq "an agency that does not exist: exit 2" 2 "$RC"
check "...says so" grep -q "unknown agency 'nope'" <<<"$ERR"
# no database: the outbox folders alone are enough
V2=$VAR/outbox-only
mkdir -p "$V2/spool" && cp -a "$VAR/spool/outbox" "$V2/spool/"
run receipts
check_eq "receipts reads only the outbox folders (no db/ beside them)" \
	"$(receipt_rows | sed "s|$VAR|$V2|")" \
	"$("$CTL" --config "$CONFIG" --var-dir "$V2" receipts | sed 1d)"
check_eq "...and creates none" "spool" "$(ls "$V2")"
check "the pipeline still runs" running
finish
