# alert_lib.sh - helpers for the alert tests (test_alert*.sh): a copy of the
# shipped configuration with short timers, the SMTP and HTTP sinks on ports
# the OS chooses, the event injector, and readers for what the sinks stored.
SINK_PY=/usr/bin/python3   # Debian's python3, which has aiosmtpd
SINK_PIDS=()

# alert_setup_config - VAR/cfg/*.yaml from config/, timers shortened and STARTTLS off for
# the plain-text sinks; sets CONFIG
alert_setup_config() {
	mkdir -p "$VAR/cfg"
	cp "$ROOT"/config/*.yaml "$VAR/cfg/"
	sed -i -e 's/^\(  group_wait:\) .*/\1 1s/' -e 's/^\(  group_interval:\) .*/\1 1s/' \
		-e 's/^\(  initial:\) .*/\1 200ms/' -e 's/^\(  max:\) .*/\1 1s/' -e 's/^\(  timeout:\) 10s/\1 3s/' \
		-e 's/^\(  starttls:\) .*/\1 off/' \
		-e 's|^\(  dashboard_url:\) ""|\1 "https://giamsat.example.vn/bhxh/"|' \
		"$VAR/cfg/alerting.yaml"
	# (the sinks speak plain SMTP unless a test gives them a certificate; test_alert_tls sets required again)
	CONFIG=$VAR/cfg/bhxh.yaml
	INJECT=$VAR/alert_inject
	local build=build flags=""
	case "$BIN" in *asan*) build=build-asan; flags="-fsanitize=address,undefined" ;; esac
	cc -g -std=c11 -D_GNU_SOURCE -Wall -Wextra $flags -I"$ROOT/common" -o "$INJECT" "$ROOT/tests/e2e/alert_inject.c" \
		"$ROOT/$build/libcommon.a" $(pkg-config --libs libzmq msgpack yaml-0.1 sqlite3 libutf8proc libcrypto libcurl) -lm \
		|| not_ok "alert_inject builds"
}

# start_smtp DIR [sink options] - the SMTP sink; sets SMTP_PORT
start_smtp() {
	local dir=$1
	shift
	rm -f "$dir.port"
	mkdir -p "$dir"
	"$SINK_PY" "$ROOT/tests/e2e/smtp_sink.py" "$dir" "$dir.port" "$@" 2>>"$VAR/smtp_sink.log" &
	SMTP_PID=$!
	SINK_PIDS+=("$SMTP_PID")
	wait_for 20 test -s "$dir.port" || not_ok "SMTP sink starts"
	SMTP_PORT=$(cat "$dir.port")
}

# start_http DIR SECRET - the webhook sink; sets HTTP_PORT
start_http() {
	rm -f "$1.port"
	"$SINK_PY" "$ROOT/tests/e2e/http_sink.py" "$1" "$1.port" "$2" 2>>"$VAR/http_sink.log" &
	SINK_PIDS+=("$!")
	wait_for 20 test -s "$1.port" || not_ok "HTTP sink starts"
	HTTP_PORT=$(cat "$1.port")
}

stop_sinks() {
	local p
	for p in "${SINK_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	SINK_PIDS=()
}
trap 'stop_sinks; ctl down >/dev/null 2>&1' EXIT

# inject - events (TSV on stdin) into the running alert worker
inject() { "$INJECT" "$VAR" || not_ok "events acknowledged by the alert worker"; }

mail_count() { ls "$VAR"/mail/*.eml 2>/dev/null | wc -l; }
mail_count_is() { [ "$(mail_count)" -ge "$1" ]; }
hook_count_is() { [ "$(ls "$VAR"/hook/*.json 2>/dev/null | wc -l)" -ge "$1" ]; }
# all_delivered - every stored event routed, every changed group flushed, every delivery sent
all_delivered() {
	[ "$(sqlite3 "$VAR/db/alert.db" "SELECT (SELECT count(*) FROM notice WHERE routed_at IS NULL)
		+ (SELECT count(*) FROM grp WHERE dirty = 1) + (SELECT count(*) FROM delivery WHERE sent_at IS NULL)" 2>/dev/null)" = 0 ]
}

# mail_index - VAR/mail.idx: file, recipients, auth user, Message-ID, decoded subject,
# decoded attachment file name (or "-"); FILE.body, the decoded text of each
# message, and FILE.csv, its CSV attachment (checked: UTF-8 with a BOM, every
# row as many cells as the header)
mail_index() {
	"$SINK_PY" - "$VAR/mail" >"$VAR/mail.idx" <<'PY'
import csv, email, glob, io, sys
from email import policy
from email.header import decode_header, make_header
for f in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    raw = open(f, "rb").read()
    m = email.message_from_bytes(raw, policy=policy.compat32)
    env = open(f[:-4] + ".env").read().splitlines()
    rcpt = ",".join(l[9:] for l in env if l.startswith("RCPT TO: "))
    auth = [l[6:] for l in env if l.startswith("AUTH: ")][0]
    subj = str(make_header(decode_header(m["Subject"])))
    text, name = None, "-"
    for part in m.walk():
        if part.is_multipart():
            continue
        if part.get_content_type() == "text/plain" and text is None:
            text = part.get_payload(decode=True).decode("utf-8")
        elif part.get_content_type() == "text/csv":
            name = part.get_filename()
            data = part.get_payload(decode=True)
            assert data.startswith(b"\xef\xbb\xbf"), f + ": CSV without a BOM"
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
            assert rows and all(len(r) == len(rows[0]) for r in rows), f + ": ragged CSV"
            open(f + ".csv", "w", newline="").write(data.decode("utf-8-sig"))
    open(f + ".body", "w").write(text)
    print("\t".join([f, rcpt, auth, m["Message-ID"], subj, name]))
PY
}

# mail_to ADDR - the first (mail_to_all: every) message file sent to ADDR
mail_to_all() { awk -F'\t' -v a="$1" '$2 == a { print $1 }' "$VAR/mail.idx"; }
mail_to() { mail_to_all "$1" | head -1; }
# mail_subject FILE - its decoded subject
mail_subject() { awk -F'\t' -v f="$1" '$1 == f { print $5 }' "$VAR/mail.idx"; }
