#!/usr/bin/env bash
# test_install.sh - `make install DESTDIR=... PREFIX=/usr` lays out the tree:
# programs executable in /usr/bin, the configuration in /etc/bhxh (an edited one
# kept on a second install, the shipped one beside it as .dist), the units, the
# logrotate file, /var/lib/bhxh 0750, and no user created (DESTDIR: printed
# instead). The units pass `systemd-analyze verify` (copies whose programs point
# into the DESTDIR tree, since verify wants them executable at their paths) and
# `systemd-analyze security --offline=true` rates each service 2.5 or better;
# the logrotate file passes `logrotate -d`. Without systemd-analyze or logrotate
# those checks print "# skipped: ...".
. "$(dirname "$0")/lib.sh"

D=$VAR/root
BUILDDIR=build
[ "${BHXH_BIN:-bin}" = bin ] || BUILDDIR=build-${BHXH_BIN#bin-}
had_user=$(getent passwd bhxh >/dev/null && echo yes || echo no)

out=$(make --no-print-directory -C "$ROOT" install DESTDIR="$D" PREFIX=/usr BIN="${BHXH_BIN:-bin}" BUILD="$BUILDDIR" 2>&1)
check "make install DESTDIR PREFIX=/usr succeeds" test $? -eq 0
echo "$out" | sed 's/^/  # /' | tail -8
for b in bhxh-ingest bhxh-validate bhxh-aggregate bhxh-alert bhxhctl; do
	check "/usr/bin/$b is executable" test -x "$D/usr/bin/$b" -a -f "$D/usr/bin/$b"
done
for f in bhxh schemas findings alerting; do
	check "/etc/bhxh/$f.yaml is the shipped one, mode 0640" bash -c \
		"cmp -s '$ROOT/config/$f.yaml' '$D/etc/bhxh/$f.yaml' && [ \$(stat -c %a '$D/etc/bhxh/$f.yaml') = 640 ]"
done
check_eq "/etc/bhxh is 0750" 750 "$(stat -c %a "$D/etc/bhxh")"
check_eq "/var/lib/bhxh is 0750" 750 "$(stat -c %a "$D/var/lib/bhxh")"
check "sample data in /usr/share/bhxh/sample" test -s "$D/usr/share/bhxh/sample/participant_2017-03.csv"
check "OPERATIONS.md in /usr/share/doc/bhxh" test -s "$D/usr/share/doc/bhxh/OPERATIONS.md"
U=$D/usr/lib/systemd/system
for u in bhxh-pipeline.service bhxh-worker@.service bhxh.target; do
	check "unit $u installed" test -s "$U/$u"
done
check "units run /usr/bin/bhxhctl with /etc/bhxh/bhxh.yaml" bash -c \
	"grep -q '^ExecStart=/usr/bin/bhxhctl --config /etc/bhxh/bhxh.yaml --var-dir /var/lib/bhxh worker %i\$' '$U/bhxh-worker@.service' &&
	 grep -q '^ExecStart=/usr/bin/bhxhctl --config /etc/bhxh/bhxh.yaml --var-dir /var/lib/bhxh supervise\$' '$U/bhxh-pipeline.service'"
check_eq "no unit or logrotate file names /opt or /usr/local" "" "$(grep -l '/opt/\|/usr/local' "$U"/bhxh* "$D/etc/logrotate.d/bhxh")"
check "logrotate file installed, reloading with /usr/bin/bhxhctl" grep -q '/usr/bin/bhxhctl .*reload' "$D/etc/logrotate.d/bhxh"
check "with DESTDIR the user is not created, what would be done is printed" grep -q 'useradd --system' <<<"$out"
check_eq "...and no user bhxh appeared" "$had_user" "$(getent passwd bhxh >/dev/null && echo yes || echo no)"
check "the installed programs check the installed configuration" \
	"$D/usr/bin/bhxhctl" --config "$D/etc/bhxh/bhxh.yaml" --var-dir "$VAR/v" check-config
check_eq "bhxhctl worker --list names the workers" "ingest validate aggregate alert" \
	"$("$D/usr/bin/bhxhctl" --config "$D/etc/bhxh/bhxh.yaml" --var-dir "$VAR/v" worker --list | tr '\n' ' ' | sed 's/ $//')"
"$D/usr/bin/bhxhctl" --config "$D/etc/bhxh/bhxh.yaml" --var-dir "$VAR/v" worker validate-2 2>"$VAR/w.err"
check_eq "bhxhctl worker refuses a worker the configuration does not have (exit 2)" 2 "$?"

# a second install keeps the operator's configuration
echo "# edited by the operator" >>"$D/etc/bhxh/bhxh.yaml"
cp "$D/etc/bhxh/bhxh.yaml" "$VAR/edited.yaml"
out=$(make --no-print-directory -C "$ROOT" install DESTDIR="$D" PREFIX=/usr BIN="${BHXH_BIN:-bin}" BUILD="$BUILDDIR" 2>&1)
check "second make install succeeds" test $? -eq 0
check_files_eq "an edited bhxh.yaml is not overwritten" "$VAR/edited.yaml" "$D/etc/bhxh/bhxh.yaml"
check_files_eq "...the shipped one is beside it as bhxh.yaml.dist" "$ROOT/config/bhxh.yaml" "$D/etc/bhxh/bhxh.yaml.dist"
check "...and install says so" grep -q 'bhxh.yaml: kept' <<<"$out"
check_eq "unchanged files get no .dist" "bhxh.yaml.dist" "$(cd "$D/etc/bhxh" && ls *.dist)"

# systemd-analyze
if ! command -v systemd-analyze >/dev/null; then
	echo "# skipped: systemd-analyze not installed (apt-get install systemd): units not verified nor rated"
else
	# copies whose programs point into the DESTDIR tree (verify wants them executable)
	mkdir -p "$VAR/units"
	for u in "$U"/bhxh*; do sed "s|=/usr/bin/|=$D/usr/bin/|g" "$u" >"$VAR/units/$(basename "$u")"; done
	vout=$(cd "$VAR/units" && systemd-analyze verify "$VAR/units/bhxh-pipeline.service" \
		"$VAR/units/bhxh-worker@ingest.service" "$VAR/units/bhxh-worker@validate-2.service" "$VAR/units/bhxh.target" 2>&1)
	check "systemd-analyze verify accepts the units" test $? -eq 0 -a -z "$vout"
	[ -z "$vout" ] || echo "$vout" | sed 's/^/  # /'
	if ! systemd-analyze security --offline=true "$VAR/units/bhxh-pipeline.service" >/dev/null 2>&1; then
		echo "# skipped: systemd-analyze security --offline=true not supported here ($(systemd-analyze --version | head -1))"
	else
		for u in bhxh-pipeline.service bhxh-worker@ingest.service bhxh-worker@validate-2.service \
			bhxh-worker@aggregate.service bhxh-worker@alert.service; do
			score=$(systemd-analyze security --offline=true "$VAR/units/$u" 2>&1 |
				sed -n 's/^.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
			echo "# $u: exposure $score"
			check "systemd-analyze security rates $u 2.5 or better ($score)" \
				awk -v s="$score" 'BEGIN { exit !(s != "" && s + 0 <= 2.5) }'
		done
	fi
fi

# logrotate -d (the user bhxh may not exist here: rotate as root in the check)
if ! command -v logrotate >/dev/null; then
	echo "# skipped: logrotate not installed (apt-get install logrotate): deploy/logrotate.d/bhxh not checked"
else
	if getent passwd bhxh >/dev/null; then cp "$D/etc/logrotate.d/bhxh" "$VAR/lr.conf"
	else sed 's/ bhxh bhxh$/ root root/' "$D/etc/logrotate.d/bhxh" >"$VAR/lr.conf"; fi
	lout=$(logrotate -d -s "$VAR/lr.state" "$VAR/lr.conf" 2>&1)
	check "logrotate -d accepts the logrotate file" test $? -eq 0
	check_eq "...without an error" "" "$(grep -i '^error' <<<"$lout")"
fi
finish
