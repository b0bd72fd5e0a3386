#!/usr/bin/env bash
# test_doc_commands.sh - every command shown in README.md and docs/*.md works
# as written. Each fenced shell block is marked by an HTML comment on the line
# before its fence, saying what it needs:
#
#   <!-- doc-test: pipeline[; CLAUSE]... -->  run with a pipeline up on the sample
#                                             data (as `make run` leaves it)
#   <!-- doc-test: var-dir[; CLAUSE]... -->   run with the pipeline down
#   <!-- doc-test: skip (REASON) -->          not run (systemd, two hosts, output,
#                                             a diagram ...); its make commands are
#                                             checked with make -n
#   CLAUSE: path P         the absolute path P is a fresh place under a temporary folder
#           copy P=SRC     the same, holding a copy of the repository's SRC (file or folder)
#           var P          P is the var dir
#           exit N: TEXT   a command containing TEXT exits N (default 0)
#           not TEXT (WHY) a command containing TEXT is not run (make -n instead)
#           cwd            run the block in a fresh folder of its own (commands that
#                          write files where they run, as a clerk's would), the
#                          configuration given by BHXH_CONFIG
#           file NAME=SRC  with cwd: the repository's SRC copied there as NAME
#
# The blocks run in document order (README.md, then docs/*.md) from the
# repository root in one var dir, BHXH_VAR_DIR (and VAR) pointing at it and
# bin/ on PATH (for the docs' bare `bhxhctl`); each command's exit status is
# checked. A shell block that shows bhxhctl or make and has no mark fails the
# test: a new block needs a decision. A NAME=VALUE given to make must be a
# variable the Makefile uses.
. "$(dirname "$0")/lib.sh"

DOC=$VAR/doc-test      # the extracted blocks
TMPROOT=$VAR/doc-tmp   # where `path` and `copy` put the docs' paths
mkdir -p "$DOC" "$TMPROOT"
cd "$ROOT" || exit 1
unset BHXH_CONFIG BHXH_SMTP_URL BHXH_SMTP_USER BHXH_SMTP_PASSWORD

# --- extract: one folder per marked block ----------------------------------
/usr/bin/python3 - "$ROOT" "$DOC" "$TMPROOT" <<'PY' >"$DOC/index" 2>"$DOC/problems"
import glob, os, re, shutil, sys

root, out, tmproot = sys.argv[1:4]
files = ["README.md"] + sorted(os.path.relpath(p, root) for p in glob.glob(os.path.join(root, "docs", "*.md")))
MARK = re.compile(r"^<!-- doc-test: (.*) -->\s*$")
FENCE = re.compile(r"^```(\S*)\s*$")
SHELLISH = re.compile(r"(^|[\s;&|(])(\$ )?(bin/)?(bhxhctl|make)(\s|$)", re.M)
n = 0

def problem(msg):
    print(msg, file=sys.stderr)

def split_commands(lines):
    """[(first line number offset, [lines])] - comments and blank lines dropped,
    backslash continuations joined, a here-document kept with its command."""
    cmds, i = [], 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith("#"):
            i += 1
            continue
        start, cmd = i, [line]
        while cmd[-1].rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            cmd.append(lines[i])
        m = re.search(r"<<-?\s*['\"]?(\w+)['\"]?", "\n".join(cmd))
        if m:
            while i + 1 < len(lines):
                i += 1
                cmd.append(lines[i])
                if lines[i].strip() == m.group(1):
                    break
        cmds.append((start, cmd))
        i += 1
    return cmds

for f in files:
    text = open(os.path.join(root, f), encoding="utf-8").read().split("\n")
    i = 0
    while i < len(text):
        m = MARK.match(text[i])
        fm = FENCE.match(text[i])
        if not m and not fm:
            i += 1
            continue
        mark = m.group(1) if m else None
        if m:
            i += 1
            fm = FENCE.match(text[i]) if i < len(text) else None
            if not fm:
                problem("%s:%d: a doc-test mark not followed by a fenced block" % (f, i))
                continue
        lang, start = fm.group(1), i + 1
        j = start
        while j < len(text) and not re.match(r"^```\s*$", text[j]):
            j += 1
        body = text[start:j]
        i = j + 1
        where = "%s:%d" % (f, start)
        if mark is None:
            if lang in ("", "sh", "bash", "shell", "console") and SHELLISH.search("\n".join(body)):
                problem("%s: a shell block with bhxhctl or make has no doc-test mark" % where)
            continue
        n += 1
        d = os.path.join(out, "%03d" % n)
        os.makedirs(d)
        clauses = [c.strip() for c in mark.split(";")]
        mode = clauses[0]
        subst, expect, skip_text, makes, files = [], [], [], [], []
        cwd = None
        if mode.startswith("skip"):
            if not re.match(r"^skip \(.+\)$", mode):
                problem("%s: skip needs a reason: skip (WHY)" % where)
            mode = "skip"
        elif mode not in ("pipeline", "var-dir"):
            problem("%s: unknown doc-test mode '%s'" % (where, mode))
            continue
        for c in clauses[1:]:
            if c.startswith("path /"):
                p = c[5:]
                subst.append((p, tmproot + p))
                os.makedirs(os.path.dirname(tmproot + p), exist_ok=True)
            elif c.startswith("copy /") and "=" in c:
                p, src = c[5:].split("=", 1)
                subst.append((p, tmproot + p))
                dst = tmproot + p
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                if os.path.isdir(os.path.join(root, src)):
                    shutil.copytree(os.path.join(root, src), dst, dirs_exist_ok=True)
                else:
                    shutil.copyfile(os.path.join(root, src), dst)
            elif c.startswith("var /"):
                subst.append((c[4:], "$VAR"))
            elif re.match(r"^exit \d+: .+", c):
                code, t = c[5:].split(": ", 1)
                expect.append((t, int(code)))
            elif re.match(r"^not .+ \(.+\)$", c):
                skip_text.append(c[4:c.rindex(" (")])
            elif c == "cwd" or (c.startswith("file ") and "=" in c):
                cwd = os.path.join(tmproot, "cwd-%03d" % n)
                os.makedirs(cwd, exist_ok=True)
                if c.startswith("file "):
                    name, src = c[5:].split("=", 1)
                    if "/" in name or not os.path.isfile(os.path.join(root, src)):
                        problem("%s: file %s=%s: a plain name and a file of the repository" % (where, name, src))
                    else:
                        shutil.copyfile(os.path.join(root, src), os.path.join(cwd, name))
            else:
                problem("%s: unknown doc-test clause '%s'" % (where, c))
        subst.sort(key=lambda s: -len(s[0]))
        run, cmdlist = [], []
        for off, cmd in split_commands(body):
            joined = "\n".join(cmd)
            first = cmd[0].strip()
            label = "%s:%d: %s" % (f, start + 1 + off, re.sub(r"\s+#.*", "", first)[:100])
            if mode == "skip" or any(t in joined for t in skip_text):
                for part in re.split(r"&&|;", joined.split("#")[0]):
                    part = part.strip()
                    if re.match(r"^make(\s|$)", part):
                        makes.append("%s [%s]\tdry\t%s" % (label, part, part))
                continue
            if subst:  # one pass: a replaced path is not replaced again
                table = dict(subst)
                joined = re.sub("|".join(re.escape(p) for p, _ in subst), lambda m: table[m.group(0)], joined)
            code = 0
            for t, c in expect:
                if t in joined:
                    code = c
            cmdlist.append("%d\t%s" % (code, label))
            run.append(joined + '\nprintf "%s\\n" "$?" >>"$DOC_RC"\n')
            if re.match(r"^make\s.*\b[A-Z_]+=", first):
                makes.append("%s\tvars\t%s" % (label, first.split("#")[0].rstrip()))
        with open(os.path.join(d, "run.sh"), "w") as w:
            if cwd is not None:
                w.write('cd "%s" || exit 1\nexport BHXH_CONFIG="%s"\n' % (cwd, os.path.join(root, "config", "bhxh.yaml")))
            w.write("".join(run))
        with open(os.path.join(d, "cmds"), "w") as w:
            w.write("".join(l + "\n" for l in cmdlist))
        with open(os.path.join(d, "makes"), "w") as w:
            w.write("".join(l + "\n" for l in makes))
        print("%03d %s %s" % (n, mode, where))
PY
check "the docs' blocks extracted" test -s "$DOC/index"
check_eq "every shell block of README.md and docs/*.md is marked, every mark well-formed" "" "$(cat "$DOC/problems")"
nrun=$(grep -c -v ' skip ' "$DOC/index")
nskip=$(grep -c ' skip ' "$DOC/index")
echo "# doc-test: $nrun blocks run, $nskip exempt"
check "at least 12 blocks are run" test "$nrun" -ge 12

# --- the state a block needs -------------------------------------------------
SAMPLE_DONE=0
pipeline_up() {
	if [ "$SAMPLE_DONE" = 0 ] && ! ls "$VAR"/spool/outbox/bhxh/*-participant_2017-03.csv.json >/dev/null 2>&1; then
		ctl down >/dev/null 2>&1
		BHXH_VAR_DIR=$VAR tools/run-sample.sh >"$DOC/sample.log" 2>&1 || return 1
	fi
	SAMPLE_DONE=1
	ctl status >/dev/null 2>&1 || ctl up >/dev/null 2>&1
}

# make_vars_known "make ARGS" - every NAME=VALUE of ARGS is a variable the Makefile uses
make_vars_known() {
	local w
	for w in $1; do
		case "$w" in
		[A-Z]*=*) grep -q "\$(${w%%=*})" Makefile || { echo "  the Makefile has no variable ${w%%=*}"; return 1; } ;;
		esac
	done
}

# --- run the blocks ----------------------------------------------------------
while read -r id mode where; do
	d=$DOC/$id
	case "$mode" in
	pipeline) check "$where: a pipeline up on the sample data" pipeline_up ;;
	var-dir) ctl down >/dev/null 2>&1 ;;
	esac
	if [ -s "$d/run.sh" ]; then
		: >"$d/rc"
		(
			export BHXH_VAR_DIR=$VAR VAR=$VAR DOC_RC=$d/rc PATH=$BIN:$PATH
			bash "$d/run.sh" >"$d/out" 2>&1 </dev/null
		)
		k=0
		while IFS=$'\t' read -r want label; do
			k=$((k + 1))
			got=$(sed -n "${k}p" "$d/rc")
			if [ "$got" = "$want" ]; then
				ok "$label (exit $want)"
			else
				not_ok "$label (exit ${got:-none}, expected $want)"
				tail -15 "$d/out" | sed 's/^/  | /'
			fi
		done <"$d/cmds"
	fi
	# make commands: their NAME=VALUE variables, and those not run with make -n
	while IFS=$'\t' read -r label how cmd; do
		[ -n "$cmd" ] || continue
		if [ "$how" = vars ]; then
			check "$label: the Makefile uses its variables" make_vars_known "$cmd"
		elif make_vars_known "$cmd" && make -n ${cmd#make} >"$d/make-n.out" 2>&1; then
			ok "$label (not run; make -n knows it)"
		else
			not_ok "$label (not run; make -n fails)"
			tail -5 "$d/make-n.out" | sed 's/^/  | /'
		fi
	done <"$d/makes"
	[ "$mode" = pipeline ] || ctl down >/dev/null 2>&1
done <"$DOC/index"

finish
