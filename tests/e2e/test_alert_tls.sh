#!/usr/bin/env bash
# test_alert_tls.sh - e-mail over TLS through libcurl against Debian's aiosmtpd:
# a self-signed certificate made with openssl is the test CA (smtp.ca_file);
# with `starttls: required` a server that offers no STARTTLS gets nothing
# (not even the password) and the delivery is retried until a server with
# STARTTLS takes it; with smtps:// (TLS from the first byte) a server whose
# certificate comes from another CA is refused and retried, the trusted one
# takes it. The sink records how each message and each AUTH came.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/alert_lib.sh"

alert_setup_config
TLS=$VAR/tls
mkdir -p "$TLS"
# mkcert NAME - a self-signed certificate for 127.0.0.1 and localhost: TLS/NAME.pem, TLS/NAME.key
mkcert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/O=BHXH test/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		-keyout "$TLS/$1.key" -out "$TLS/$1.pem" 2>>"$VAR/openssl.log"
}
check "a self-signed certificate (the trusted test CA)" mkcert trusted
check "another one, from a CA the worker does not trust" mkcert rogue
sed -i -e "s|^\(  starttls:\) .*|\1 required\n  ca_file: $TLS/trusted.pem|" \
	-e 's/^\(  day:\) 1 .*/\1 28/' -e 's/^\(  hour:\) 7/\1 23/' "$VAR/cfg/alerting.yaml"
check "configuration with starttls: required and ca_file is valid" ctl check-config

# ca_file must be an absolute path to a readable file
bad_config() {
	rm -rf "$VAR/cfg-bad"
	cp -r "$VAR/cfg" "$VAR/cfg-bad"
	sed -i "s|^\(  ca_file:\) .*|\1 $1|" "$VAR/cfg-bad/alerting.yaml"
	"$CTL" --config "$VAR/cfg-bad/bhxh.yaml" --var-dir "$VAR" check-config 2>&1
}
out=$(bad_config tls/trusted.pem)
check "a relative ca_file is refused" bash -c "! '$CTL' --config '$VAR/cfg-bad/bhxh.yaml' --var-dir '$VAR' check-config >/dev/null 2>&1"
check "and the error names the key and the path" grep -q "ca_file: 'tls/trusted.pem' is not an absolute path" <<<"$out"
out=$(bad_config "$TLS/missing.pem")
check "a missing ca_file is refused" bash -c "! '$CTL' --config '$VAR/cfg-bad/bhxh.yaml' --var-dir '$VAR' check-config >/dev/null 2>&1"
check "and the error says it cannot be read" grep -q "ca_file: cannot read '$TLS/missing.pem'" <<<"$out"

DB=$VAR/db/alert.db
stat_ge() { [ "$(sqlite3 "$DB" "SELECT coalesce((SELECT value FROM stat WHERE key = '$1'), 0)" 2>/dev/null)" -ge "$2" ]; }
stat_of() { sqlite3 "$DB" "SELECT coalesce((SELECT value FROM stat WHERE key = '$1'), 0)"; }
email_errors() { sqlite3 "$DB" "SELECT DISTINCT last_error FROM delivery WHERE channel = 'email' AND last_error IS NOT NULL"; }
# tls_of FIRST LAST - the TLS line of envelopes FIRST..LAST, one line per distinct value
tls_of() {
	local i
	for i in $(seq "$1" "$2"); do sed -n 's/^TLS: //p' "$(printf '%s/mail/%06d.env' "$VAR" "$i")"; done \
		| sed 's/^TLSv1\.[23] /TLS /' | sort -u
}
stop_smtp() { kill "$SMTP_PID"; wait "$SMTP_PID" 2>/dev/null; }

# 1. STARTTLS required, the server offers none: nothing is sent, the delivery is retried
start_smtp "$VAR/mail" --auth alert:s3cret-pw
port=$SMTP_PORT
export TZ=UTC BHXH_SMTP_URL="smtp://127.0.0.1:$port" BHXH_SMTP_USER=alert BHXH_SMTP_PASSWORD=s3cret-pw
export BHXH_NOW=$(date -d '2017-04-15 10:00:00' +%s)   # well before the monthly summary (28th, 23:00)
check "pipeline starts" ctl up
inject <<'T'
not_enrolled	0300588569	061	2017-03	critical	new	Công ty TNHH Ba Bể	12	10
T
check "with no STARTTLS offered the delivery fails and is retried" wait_for 30 stat_ge failed_attempts 3
check_eq "nothing was sent in clear" 0 "$(mail_count)"
check "not even AUTH was tried in clear" test ! -e "$VAR/mail/auth.log"
check "the error says STARTTLS was not available" grep -q 'STARTTLS not supported' <<<"$(email_errors)"
check "the error says what to do" grep -q "smtp.starttls: off (or BHXH_SMTP_STARTTLS=off)" <<<"$(email_errors)"
ctl status >"$VAR/status.txt" 2>&1
check "status: the alert worker is degraded, failing deliveries counted" \
	grep -qE '^alert: degraded since .*deliver(y|ies) failing' "$VAR/status.txt"
check "status: with the hint" grep -q 'BHXH_SMTP_STARTTLS=off' "$VAR/status.txt"

stop_smtp
start_smtp "$VAR/mail" --port "$port" --auth alert:s3cret-pw --tls "$TLS/trusted.pem:$TLS/trusted.key" --starttls
check "with STARTTLS offered every e-mail is delivered" wait_for 60 all_delivered
n1=$(sqlite3 "$DB" "SELECT count(*) FROM delivery WHERE channel = 'email'")
check_eq "3 e-mails (bhxh, dolisa, district 061)" 3 "$n1"
check_eq "all arrived, once" 3 "$(mail_count)"
check_eq "every one came over STARTTLS" "TLS starttls" "$(tls_of 1 "$n1")"
check "AUTH came only inside TLS" bash -c "[ -s '$VAR/mail/auth.log' ] && ! grep -v 'ok TLS: TLSv1\.[23] starttls' '$VAR/mail/auth.log'"
check "the deliveries were retried before they went through" test "$(sqlite3 "$DB" "SELECT max(attempts) FROM delivery WHERE channel = 'email'")" -ge 2
mail_index
check_eq "sent as the configured user" 3 "$(grep -c '	alert	' "$VAR/mail.idx")"
check_eq "the district's decoded subject" "[BHXH] 1 mới: Doanh nghiệp chưa tham gia BHXH - Công ty TNHH Ba Bể 0300588569 (Huyện Ba Bể) / 1 new: Employer not enrolled in social insurance" \
	"$(mail_subject "$(mail_to ubnd.061@backan.gov.vn)")"
check "the body names the employer" grep -q 'Công ty TNHH Ba Bể' "$(mail_to ubnd.061@backan.gov.vn).body"
ctl down >/dev/null
stop_smtp

# 2. smtps:// (TLS from the first byte): a certificate from another CA is refused
failed=$(stat_of failed_attempts)
start_smtp "$VAR/mail" --auth alert:s3cret-pw --tls "$TLS/rogue.pem:$TLS/rogue.key" --implicit-tls
port=$SMTP_PORT
export BHXH_SMTP_URL="smtps://127.0.0.1:$port"
check "pipeline restarts with an smtps:// URL" ctl up
inject <<'T'
arrears	DV00123	062	2017-03	critical	new	Công ty Ngân Sơn	12	12
T
check "a server certificate from an untrusted CA fails and is retried" wait_for 30 stat_ge failed_attempts $((failed + 3))
check_eq "nothing arrived at the untrusted server" "$n1" "$(mail_count)"
check "no AUTH reached the untrusted server" bash -c "! grep -q implicit '$VAR/mail/auth.log'"
check "the error is about the certificate" grep -q 'SSL certificate problem' <<<"$(email_errors)"
check "the error says what to do about it" grep -q 'smtp.ca_file' <<<"$(email_errors)"

stop_smtp
start_smtp "$VAR/mail" --port "$port" --auth alert:s3cret-pw --tls "$TLS/trusted.pem:$TLS/trusted.key" --implicit-tls
check "with the trusted certificate every e-mail is delivered" wait_for 60 all_delivered
n2=$(sqlite3 "$DB" "SELECT count(*) FROM delivery WHERE channel = 'email'")
check_eq "3 more e-mails (bhxh, dolisa, union)" $((n1 + 3)) "$n2"
check_eq "all arrived, once" "$n2" "$(mail_count)"
check_eq "every one came over TLS from the first byte" "TLS implicit" "$(tls_of $((n1 + 1)) "$n2")"
check "AUTH came only inside TLS" bash -c "! grep -v 'ok TLS: TLSv1\.[23] \(starttls\|implicit\)' '$VAR/mail/auth.log'"
mail_index
check "the union hears of the arrears" grep -q 'DV00123' "$(mail_to ldld@backan.gov.vn).body"
check_eq "no message was sent twice" "" "$(cut -f4 "$VAR/mail.idx" | sort | uniq -d)"

# 3. a relay on this host without TLS: the operator says so with BHXH_SMTP_STARTTLS=off
ctl down >/dev/null
stop_smtp
check "BHXH_SMTP_STARTTLS with a bad value is refused" bash -c \
	"BHXH_SMTP_STARTTLS=maybe '$CTL' --config '$CONFIG' --var-dir '$VAR' check-config 2>&1 | grep -q \"BHXH_SMTP_STARTTLS='maybe': expected off, try or required\""
start_smtp "$VAR/mail"
n3=$(mail_count)
export BHXH_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" BHXH_SMTP_STARTTLS=off
unset BHXH_SMTP_USER BHXH_SMTP_PASSWORD
check "pipeline restarts with BHXH_SMTP_STARTTLS=off" ctl up
inject <<'T'
not_enrolled	0300588570	061	2017-03	critical	new	Công ty TNHH Chợ Đồn	7	7
T
check "with starttls off the local relay gets the e-mails" wait_for 60 all_delivered
check "more e-mails arrived" test "$(mail_count)" -gt "$n3"
check_eq "in clear, as the operator chose" "no" "$(tls_of $((n3 + 1)) "$(mail_count)")"
finish
