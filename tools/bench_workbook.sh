#!/usr/bin/env bash
# bench_workbook.sh - speed and memory of the workbook reader (common/workbook.c)
# on a large participant workbook: prints rows/s and the peak RSS (from
# /usr/bin/time -v) of bin/tests/wbdump reading it, for two layouts of the
# same rows:
#   openpyxl   written by openpyxl in write_only mode (strings inline)
#   shared     strings in a shared-strings table, as Excel writes them
#              (3 unique strings per row: the table goes to disk)
# Each is read with merged areas filled (-m: one more pass over the sheet, as
# the ingest worker reads), and the openpyxl one also without (plain).
# Then the openpyxl workbook goes through a running pipeline (bhxhctl submit
# --wait): seconds from drop to receipt, rows/s, and the ingest worker's
# peak RSS (VmHWM) reading it.
# The target is a peak RSS under 128 MB whatever the row count.
#
#   tools/bench_workbook.sh [ROWS]      (default 1000000)
# The workbooks are kept in $BENCH_DIR (default /tmp/bhxh-bench-wb) and made
# again only when missing. Needs /usr/bin/python3 with python3-openpyxl.
set -u
cd "$(dirname "$0")/.."
BIN=${BHXH_BIN:-bin}
ROWS=${1:-1000000}
DIR=${BENCH_DIR:-/tmp/bhxh-bench-wb}
LIMIT_MB=128
mkdir -p "$DIR"
[ -x "$BIN/tests/wbdump" ] || { echo "build first: make all" >&2; exit 1; }

# make_workbooks - participant_v2_ROWS.xlsx (openpyxl) and participant_v2_ROWS_sst.xlsx
make_workbooks() {
	/usr/bin/python3 - "$DIR" "$ROWS" <<'EOF'
import datetime, os, sys, zipfile
from xml.sax.saxutils import escape
import openpyxl
from openpyxl.cell import WriteOnlyCell

out, rows = sys.argv[1], int(sys.argv[2])
header = ["Mã số BHXH", "Số CCCD", "Mã huyện", "Kỳ", "Loại hình", "Tham gia BHTN", "Mã đơn vị",
          "Mã đại lý", "Họ và tên", "Ngày sinh", "Mã số thuế", "Lương"]
names = ["Nguyễn Văn Ánh", "Trần Thị Bích", "Lê Hoàng Nam", "Phạm Minh Đức", "Võ Thị Hồng"]

def row(i):
    # valid rows: a citizen ID with Bắc Kạn's province code 006; a voluntary
    # participant (one in five) has neither a unit nor BHTN
    vol = i % 5 == 0
    return ["06%08d" % i, "006%09d" % i, "058", "03/2017", "Tự nguyện" if vol else "Bắt buộc",
            "" if vol or i % 3 == 0 else "x", "" if vol else "TA%04d" % (i % 9000), "", "%s %d" % (names[i % 5], i),
            datetime.date(1960 + i % 40, 1 + i % 12, 1 + i % 28), 300000000 + i, 4500000 + (i % 1000) * 1000]

path = os.path.join(out, "participant_v2_%d.xlsx" % rows)
if not os.path.exists(path):
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("participant")
    title = WriteOnlyCell(ws, value="DANH SÁCH NGƯỜI THAM GIA BHXH")
    ws.append([title])
    ws.append([])
    ws.append(header)
    for i in range(rows):
        r = row(i)
        c = WriteOnlyCell(ws, value=r[9])
        c.number_format = "dd/mm/yyyy"
        r[9] = c
        ws.append(r)
    wb.save(path + ".tmp")
    os.rename(path + ".tmp", path)

# the same rows with shared strings: the sheet is streamed into the zip
path = os.path.join(out, "participant_v2_%d_sst.xlsx" % rows)
if not os.path.exists(path):
    NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    strings, index = [], {}
    def sid(s):
        if s not in index:
            index[s] = len(strings)
            strings.append(s)
        return index[s]
    def cols():
        for j in range(len(header)):
            yield "ABCDEFGHIJKL"[j]
    with zipfile.ZipFile(path + ".tmp", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("xl/workbook.xml", '<workbook %s xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                   '<sheets><sheet name="participant" sheetId="1" r:id="rId1"/></sheets></workbook>' % NS)
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                   '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                   '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
                   '</Relationships>')
        z.writestr("xl/styles.xml", '<styleSheet %s><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
                   '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>' % NS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(('<worksheet %s><sheetData><row r="1"><c r="A1" t="s"><v>%d</v></c></row><row r="3">' % (NS, sid("DANH SÁCH NGƯỜI THAM GIA BHXH"))).encode())
            f.write("".join('<c r="%s3" t="s"><v>%d</v></c>' % (c, sid(h)) for c, h in zip(cols(), header)).encode())
            f.write(b"</row>")
            buf = []
            for i in range(rows):
                r, n = row(i), i + 4
                cells = []
                for c, v in zip(cols(), r):
                    if v == "":
                        continue
                    if isinstance(v, datetime.date):
                        cells.append('<c r="%s%d" s="1"><v>%d</v></c>' % (c, n, (v - datetime.date(1899, 12, 30)).days))
                    elif isinstance(v, int):
                        cells.append('<c r="%s%d"><v>%d</v></c>' % (c, n, v))
                    else:
                        cells.append('<c r="%s%d" t="s"><v>%d</v></c>' % (c, n, sid(v)))
                buf.append('<row r="%d">%s</row>' % (n, "".join(cells)))
                if len(buf) == 10000:
                    f.write("".join(buf).encode())
                    buf = []
            f.write(("".join(buf) + '</sheetData><mergeCells count="1"><mergeCell ref="A1:L1"/></mergeCells></worksheet>').encode())
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(('<sst %s count="%d" uniqueCount="%d">' % (NS, len(strings), len(strings))).encode())
            for k in range(0, len(strings), 10000):
                f.write("".join("<si><t>%s</t></si>" % escape(s) for s in strings[k:k + 10000]).encode())
            f.write(b"</sst>")
    os.rename(path + ".tmp", path)
EOF
}

# measure NAME FILE [FLAGS] - one line: rows, seconds, rows/s, peak RSS
measure() {
	local name=$1 file=$2 flags=${3--m} out rows secs rss rate disk
	out=$( { /usr/bin/time -v "$BIN/tests/wbdump" -q $flags "$file"; } 2>&1 )
	rows=$(printf '%s\n' "$out" | sed -n 's/^rows \([0-9]*\) .*/\1/p')
	disk=$(printf '%s\n' "$out" | sed -n 's/.*strings_on_disk \([01]\).*/\1/p')
	secs=$(printf '%s\n' "$out" | sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): \(.*\)/\1/p' |
		awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	rss=$(printf '%s\n' "$out" | sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\)/\1/p')
	if [ -z "$rows" ] || [ -z "$rss" ]; then
		echo "$name: reading failed:"; printf '%s\n' "$out" | head -5
		return 1
	fi
	rate=$(awk -v r="$rows" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0) ? r / s : 0 }')
	printf '%-10s %8d rows in %6.2f s  %8d rows/s  peak RSS %6.1f MB  strings on disk %s  (%s MB file)\n' \
		"$name" "$rows" "$secs" "$rate" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "${disk:-?}" \
		"$(du -m "$file" | cut -f1)"
	[ "$rss" -lt $((LIMIT_MB * 1024)) ] || { echo "$name: peak RSS over $LIMIT_MB MB"; return 1; }
}

# pipeline FILE - the workbook through a pipeline of its own: drop to receipt, ingest's VmHWM
pipeline() {
	local var ctl t0 t1 pid hwm r rows applied
	var=$(mktemp -d /tmp/bhxh-bench-wbp.XXXXXX)
	ctl() { "$BIN/bhxhctl" --config config/bhxh.yaml --var-dir "$var" "$@"; }
	cp "$1" "$var/participant_2017-03.xlsx"
	if ! ctl up >/dev/null 2>&1; then
		echo "pipeline: did not start"; rm -rf "$var"; return 1
	fi
	pid=$(ctl status --json | grep '"name":"ingest"' | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
	t0=$(date +%s.%N)
	ctl submit --agency bhxh --wait --timeout 3600 "$var/participant_2017-03.xlsx" >/dev/null 2>&1
	t1=$(date +%s.%N)
	hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	r=$(ls -t "$var"/spool/outbox/bhxh/*-participant_2017-03.xlsx.json 2>/dev/null | head -1)
	rows=$(sed -n 's/^  "rows_read": \([0-9]*\),*$/\1/p' "$r" 2>/dev/null)
	applied=$(sed -n 's/^  "rows_applied": \([0-9]*\),*$/\1/p' "$r" 2>/dev/null)
	ctl down >/dev/null 2>&1
	rm -rf "$var"
	if [ -z "$rows" ] || [ -z "$hwm" ]; then
		echo "pipeline: no receipt or no ingest worker"; return 1
	fi
	printf '%-10s %8d rows in %6.2f s  %8.0f rows/s  ingest peak RSS %6.1f MB  (drop to receipt; %d applied)\n' \
		pipeline "$rows" "$(echo "$t1 - $t0" | bc)" "$(echo "$rows / ($t1 - $t0)" | bc -l)" \
		"$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')" "$applied"
	[ "$hwm" -lt $((LIMIT_MB * 1024)) ] || { echo "pipeline: ingest's peak RSS over $LIMIT_MB MB"; return 1; }
}

make_workbooks || exit 1
rc=0
measure openpyxl "$DIR/participant_v2_${ROWS}.xlsx" || rc=1
measure plain "$DIR/participant_v2_${ROWS}.xlsx" "" || rc=1
measure shared "$DIR/participant_v2_${ROWS}_sst.xlsx" || rc=1
pipeline "$DIR/participant_v2_${ROWS}.xlsx" || rc=1
exit $rc
