#!/usr/bin/python3
"""make_workbooks.py - agency workbooks for test_workbook.sh, each with the CSV
that holds the same data, written by real spreadsheet writers (Debian's
python3-openpyxl and python3-xlwt, hence /usr/bin/python3).

    make_workbooks.py DIR            DIR/wb/NAME.xlsx|.xls and DIR/csv/NAME.csv
    make_workbooks.py --big N FILE   a participant workbook of N rows (write-only mode)

The workbooks are laid out as clerks send them: a title block above the
header, merged title and header cells, tax codes, social insurance numbers
and citizen IDs stored as numbers (the leading zero gone), dates as date
cells, formulas (with the cached value a spreadsheet program keeps beside
them), an instructions sheet before the data sheet, Vietnamese text.
"""
import csv
import datetime
import os
import re
import sys
import zipfile

import openpyxl
import xlwt
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

W = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def tax_code(nine):
    """A valid tax code from 9 digits (its check digit appended), or None."""
    s = sum(w * int(c) for w, c in zip(W, nine))
    if s % 11 == 0:
        return None
    return nine + str(10 - s % 11)


def tax_codes(prefix, n):
    out, i = [], 0
    while len(out) < n:
        t = tax_code("%s%0*d" % (prefix, 9 - len(prefix), i))
        i += 1
        if t:
            out.append(t)
    return out


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow(r)


def add_cached_values(path, sheet_part, values):
    """openpyxl writes a formula without its result; a spreadsheet program
    keeps the result beside it (<v>). Put values[ref] there, as Excel would."""
    tmp = path + ".tmp"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == sheet_part:
                xml = data.decode("utf-8")

                def put(m):
                    ref = m.group(1)
                    return '<c r="%s"%s><f>%s</f><v>%s</v></c>' % (ref, m.group(2), m.group(3), values[ref])
                xml, n = re.subn(r'<c r="([A-Z]+[0-9]+)"([^>]*)><f>([^<]*)</f>(?:<v\s*/>|<v></v>)?</c>', put, xml)
                assert n == len(values), (n, len(values))
                data = xml.encode("utf-8")
            zout.writestr(item, data)
    os.replace(tmp, path)


def enterprise(d):
    """enterprise_2017-03.xlsx: tax codes as numbers (half of them begin with 0),
    registration dates as date cells, a merged title and a merged header cell."""
    codes = tax_codes("03005", 4) + tax_codes("47711", 4)
    names = ["Công ty TNHH Thương mại Hoàng Long", "Hợp tác xã Nông nghiệp Đồng Tâm",
             "Công ty Cổ phần Xây dựng Bắc Kạn", "Doanh nghiệp tư nhân Đức Thịnh",
             "Công ty TNHH Chế biến gỗ Tân Phong", "Công ty TNHH Khoáng sản Ngân Sơn",
             "Hợp tác xã Dịch vụ Ba Bể", "Công ty Cổ phần Du lịch Hồ Ba Bể"]
    units = ["058", "060", "061", "062", "063", "064", "065", "066"]
    status = ["Đang hoạt động", "Tạm ngừng", "Đang hoạt động", "Giải thể"]
    rows = [(codes[i], names[i], units[i], datetime.date(2010 + i, 1 + i, 3 + 2 * i), status[i % 4])
            for i in range(len(codes))]
    header = ["Mã số thuế", "Tên doanh nghiệp", "Mã huyện", "Ngày đăng ký", "Trạng thái"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "enterprise"
    ws["A1"] = "DANH SÁCH DOANH NGHIỆP ĐĂNG KÝ THÀNH LẬP MỚI"
    ws["A1"].font = Font(bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.merge_cells("A1:F1")
    ws["A2"] = "Đơn vị báo cáo: Sở Kế hoạch và Đầu tư tỉnh Bắc Kạn — tháng 03/2017"
    ws.merge_cells("A2:F2")
    for j, h in enumerate(header):
        ws.cell(row=4, column=1 + j, value=h)
    ws.merge_cells("E4:F4")  # the status heading spans the status and a notes column
    for i, r in enumerate(rows):
        ws.cell(row=5 + i, column=1, value=int(r[0]))  # the leading 0 dropped, as a spreadsheet does
        ws.cell(row=5 + i, column=2, value=r[1])
        ws.cell(row=5 + i, column=3, value=r[2])
        c = ws.cell(row=5 + i, column=4, value=r[3])
        c.number_format = "dd/mm/yyyy"
        ws.cell(row=5 + i, column=5, value=r[4])
    wb.save(os.path.join(d, "wb", "enterprise_2017-03.xlsx"))
    write_csv(os.path.join(d, "csv", "enterprise_2017-03.csv"), header,
              [(r[0], r[1], r[2], r[3].strftime("%d/%m/%Y"), r[4]) for r in rows])
    return codes


def insured_unit(d, codes):
    """insured_unit_2017-03.xlsx: an instructions sheet first, then the sheet
    named for the record type; the period a date cell shown as mm/yyyy, tax
    codes as numbers, arrears and the BHTN count as formulas."""
    rows = []
    for i, t in enumerate(codes):
        insured = 5 + 7 * i
        due = insured * 800000
        paid = due - (i % 3) * 400000
        rows.append(("DV%04d" % (100 + i), t, ["058", "060", "061", "062"][i % 4], "Đơn vị số %d — Chợ Mới" % i,
                     insured, insured - i % 2, insured * 4500000, due, paid, due - paid, 1 if due > paid else 0))
    header = ["Mã đơn vị", "MST", "Mã huyện", "Kỳ", "Tên đơn vị", "Số lao động tham gia",
              "Số lao động tham gia BHTN", "Tổng quỹ lương đóng BHXH", "Số phải đóng", "Số đã đóng", "Số nợ",
              "Số tháng nợ"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Hướng dẫn"
    ws["A1"] = "Điền dữ liệu vào trang insured_unit; không đổi tên cột."
    ws["A3"] = "Mã đơn vị"
    ws["B3"] = "ví dụ"
    ws = wb.create_sheet("insured_unit")
    ws["A1"] = "BẢO HIỂM XÃ HỘI TỈNH BẮC KẠN"
    ws.merge_cells("A1:L1")
    ws["A2"] = "BÁO CÁO TÌNH HÌNH THU BHXH, BHTN THÁNG 03/2017"
    ws.merge_cells("A2:L2")
    for j, h in enumerate(header):
        ws.cell(row=4, column=1 + j, value=h)
    cached = {}
    for i, r in enumerate(rows):
        n = 5 + i
        ws.cell(row=n, column=1, value=r[0])
        ws.cell(row=n, column=2, value=int(r[1]))
        ws.cell(row=n, column=3, value=r[2])
        c = ws.cell(row=n, column=4, value=datetime.date(2017, 3, 1))
        c.number_format = "mm/yyyy"
        ws.cell(row=n, column=5, value=r[3])
        ws.cell(row=n, column=6, value=r[4])
        ws.cell(row=n, column=7, value="=F%d-%d" % (n, r[4] - r[5]))
        cached["G%d" % n] = r[5]
        ws.cell(row=n, column=8, value=r[6])
        ws.cell(row=n, column=9, value=r[7])
        ws.cell(row=n, column=10, value=r[8])
        ws.cell(row=n, column=11, value="=I%d-J%d" % (n, n))
        cached["K%d" % n] = r[9]
        ws.cell(row=n, column=12, value=r[10])
    path = os.path.join(d, "wb", "insured_unit_2017-03.xlsx")
    wb.save(path)
    add_cached_values(path, "xl/worksheets/sheet2.xml", cached)
    write_csv(os.path.join(d, "csv", "insured_unit_2017-03.csv"), header,
              [(r[0], r[1], r[2], "03/2017") + r[3:] for r in rows])


def participant_xls(d):
    """participant_2017-03.xls (Excel 97-2003, by xlwt): notes sheet first,
    merged title, social insurance numbers and citizen IDs as numbers."""
    header = ["Mã số BHXH", "Số CCCD", "Mã huyện", "Kỳ", "Loại hình", "Tham gia BHTN", "Mã đơn vị", "Mã đại lý"]
    rows = []
    for i in range(12):
        vol = i % 4 == 3
        rows.append(("06%08d" % (9100 + i), "0010900%05d" % i if i % 3 == 0 else "", ["058", "060", "061"][i % 3],
                     "03/2017", "Tự nguyện" if vol else "Bắt buộc", "" if vol else "x",
                     "" if vol else "DV%04d" % (100 + i % 8), ""))
    book = xlwt.Workbook(encoding="utf-8")
    notes = book.add_sheet("Ghi chú")
    notes.write(0, 0, "Danh sách người tham gia — số liệu ở trang participant")
    sh = book.add_sheet("participant")
    sh.write_merge(0, 0, 0, 7, "DANH SÁCH NGƯỜI THAM GIA BHXH, BHTN THÁNG 03/2017")
    sh.write(1, 0, "Huyện Chợ Đồn, Bạch Thông, Na Rì")
    for j, h in enumerate(header):
        sh.write(3, j, h)
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            if j in (0, 1) and v:
                v = int(v)  # stored as numbers: the leading 0 is gone
            if v != "":
                sh.write(4 + i, j, v)
    book.save(os.path.join(d, "wb", "participant_2017-03.xls"))
    write_csv(os.path.join(d, "csv", "participant_2017-03.csv"), header, rows)


def big(n, path):
    """A participant workbook of n rows, streamed by openpyxl (write-only)."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("participant")
    ws.append([WriteOnlyCell(ws, value="DANH SÁCH NGƯỜI THAM GIA BHXH THÁNG 06/2017")])
    ws.append([])
    ws.append(["Mã số BHXH", "Mã huyện", "Kỳ", "Loại hình", "Tham gia BHTN", "Mã đơn vị"])
    units = ["058", "060", "061", "062", "063", "064", "065", "066"]
    for i in range(n):
        vol = i % 5 == 0
        ws.append([600000000 + i, units[i % 8], "06/2017", "Tự nguyện" if vol else "Bắt buộc",
                   None if vol or i % 3 == 0 else "x", None if vol else "DV%04d" % (i % 5000)])
    wb.save(path + ".tmp")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    if sys.argv[1] == "--big":
        big(int(sys.argv[2]), sys.argv[3])
        sys.exit(0)
    d = sys.argv[1]
    os.makedirs(os.path.join(d, "wb"), exist_ok=True)
    os.makedirs(os.path.join(d, "csv"), exist_ok=True)
    codes = enterprise(d)
    insured_unit(d, codes)
    participant_xls(d)
