"""Export-shaped files the tests build themselves: multi-row headers, units, codes.

Every value read is checked against figures computed by hand from the rows below.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import balance_rules as br
from balance_rules.data.mapping import load_mapping

TITLE = ["2023年初中基本情况"]
GROUP = ["序号", "学校(机构)标识码", "学校名称", "区县名称", "办学性质", "城乡分类",
         "在校生数", "专任教师", None, None, None, "图书", "教学仪器设备资产值"]  # fmt: skip
SUB = [None, None, None, None, None, None, None, "合计", "研究生", "本科", "专科", None, None]
UNITS = [None, None, None, None, None, None, "人", "人", "人", "人", "人", "万册", "万元"]
NUMBERS = ["甲", "乙", "丙", "丁", "戊", "己", "1", "2", "3", "4", "5", "6", "7"]
ROWS: list[list[Any]] = [
    [None, None, "总计", None, None, None, 1500, 110, 6, 80, 24, 3.5, 300],
    [1, "3130000001", "第一中学", "130102 长安区", "公办", "112", 1000, 70, 4, 50, 16, 2.25, 200.5],
    [2, "3130000002", "育英中学", "130104 桥西区", "民办", "220", 500, 40, 2, 30, 8, 1.25, 99.5],
]  # fmt: skip
NOTES = [["注：本表由县教育局填报。"], ["填表人：王五"]]
MERGES = ["A1:M1", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:E3", "F2:F3", "G2:G3", "H2:K2",
          "L2:L3", "M2:M3"]  # fmt: skip
MAPPING = """\
level: junior
columns:
  专任教师/合计: teachers
derived:
  teachers_above_degree:      # junior: 本科 and above
    sum: [专任教师/研究生, 专任教师/本科]
"""


def _d(*values: int) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


def _openpyxl(path: Path, rows: list[list[Any]], merges: list[str], hidden_first: bool) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if hidden_first:
        sheet.title = "旧数据"
        sheet.append(["学校标识码", "学校类型", "初中在校生数"])
        sheet.append(["X", "初中", 1])
        sheet.sheet_state = "hidden"
        sheet = book.create_sheet("初中")
    else:
        sheet.title = "初中"
    for row in rows:
        sheet.append(row)
    for ref in merges:
        sheet.merge_cells(ref)
    book.save(path)


def _xlsxwriter(path: Path, rows: list[list[Any]]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("初中")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    # Merged cells as Excel writes them: the value in the first cell only.
    sheet.merge_range(0, 0, 0, 12, TITLE[0])
    sheet.merge_range(1, 7, 1, 10, "专任教师")
    for column in (0, 1, 2, 3, 4, 5, 6, 11, 12):
        sheet.merge_range(1, column, 2, column, GROUP[column])
    book.close()


def _csv(path: Path, rows: list[list[Any]]) -> None:
    text = "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows)
    path.write_bytes((text + "\n").encode("gbk"))


def _grid() -> list[list[Any]]:
    return [TITLE, GROUP, SUB, UNITS, NUMBERS, *ROWS, *NOTES]


def _check(table: br.SchoolTable) -> None:
    one, two = table.schools
    assert one.school_id == "3130000001" and two.school_id == "3130000002"  # ids kept as text
    assert (one.school_type, two.school_type) == ("junior", "junior")  # the sheet's level
    assert (one.county, two.county) == ("130102 长安区", "130104 桥西区")
    assert (one.ownership, two.ownership) == ("public", "private")
    assert (one.location, two.location) == ("urban", "rural")  # 112 城乡结合区, 220 村庄
    assert (one.junior_students, two.junior_students) == _d(1000, 500)
    assert (one.junior_teachers, two.junior_teachers) == _d(70, 40)
    assert (one.junior_teachers_above_degree, two.junior_teachers_above_degree) == _d(54, 32)
    assert (one.books, two.books) == _d(22500, 12500)  # 万册
    assert (one.equipment_value, two.equipment_value) == _d(2005000, 995000)  # 万元
    assert one.primary_students is None and one.junior_classes is None  # never zero
    assert any(w.row == 6 and "totals" in w.message for w in table.warnings)


@pytest.mark.parametrize("writer", ["openpyxl", "xlsxwriter", "csv"])
def test_a_four_row_header_is_read_the_same_from_every_writer(tmp_path: Path, writer: str) -> None:
    mapping_file = tmp_path / "m.yaml"
    mapping_file.write_text(MAPPING, encoding="utf-8")
    if writer == "openpyxl":
        path = tmp_path / "s.xlsx"
        _openpyxl(path, _grid(), MERGES, hidden_first=False)
    elif writer == "xlsxwriter":
        path = tmp_path / "s.xlsx"
        _xlsxwriter(path, _grid())
    else:
        path = tmp_path / "s.csv"
        _csv(path, _grid())  # no merges: the group cell is written once
    table = br.read_school_table(path, mapping=load_mapping(mapping_file))
    _check(table)
    understood = {c.source: (c.field, c.unit) for c in table.columns}
    assert understood["专任教师/合计"] == ("junior_teachers", "人")
    assert understood["图书"] == ("books", "万册")
    assert understood["序号"] == (None, None)


def test_the_default_sheet_is_the_first_visible_one(tmp_path: Path) -> None:
    mapping_file = tmp_path / "m.yaml"
    mapping_file.write_text(MAPPING, encoding="utf-8")
    path = tmp_path / "s.xlsx"
    _openpyxl(path, _grid(), MERGES, hidden_first=True)
    _check(br.read_school_table(path, mapping=load_mapping(mapping_file)))


def test_check_data_prints_the_header_it_understood(tmp_path: Path) -> None:
    import io

    from balance_rules.cli import main

    mapping_file = tmp_path / "m.yaml"
    mapping_file.write_text(MAPPING, encoding="utf-8")
    path = tmp_path / "s.xlsx"
    _openpyxl(path, _grid(), MERGES, hidden_first=False)
    out, err = io.StringIO(), io.StringIO()
    code = main(["check-data", str(path), "--mapping", str(mapping_file), "--lang", "en"], out, err)
    assert code == 0, err.getvalue()
    text = out.getvalue()
    assert "[初中] 专任教师/合计 → junior_teachers, unit 人" in text
    assert "[初中] 图书 → books, unit 万册 ×10000" in text
    assert "[初中] 专任教师/研究生 + 专任教师/本科 → junior_teachers_above_degree (derived)" in text
    assert "2 schools in 2 counties" in text


def test_formula_cells_without_a_stored_value_are_reported(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["学校标识码", "学校类型", "小学在校生数", "图书册数"])
    sheet.append(["A", "小学", 100, "=C2*30"])  # openpyxl stores no computed value
    sheet.append(["B", "小学", 200, 6000])
    path = tmp_path / "f.xlsx"
    book.save(path)
    with pytest.raises(br.DataError) as info:
        br.read_school_table(path)
    (problem,) = info.value.problems
    assert (problem.row, problem.column, problem.sheet) == (2, "图书册数", "Sheet")
    assert "formula" in problem.message and "公式" in problem.render("zh")


def test_an_unknown_unit_is_never_guessed(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text("学校标识码,学校类型,小学在校生数,占地面积（亩）\nA,小学,100,30\n", "utf-8")
    with pytest.raises(br.DataError) as info:
        br.read_school_table(path)
    (problem,) = info.value.problems
    assert problem.column == "占地面积（亩）" and "unknown unit '亩'" in problem.message
    assert "site_area" in problem.message and "unit:" in problem.message


def test_location_codes_names_and_school_type_names(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text(
        "学校标识码,学校类型,城乡分类,小学在校生数,初中在校生数\n"
        "A,小学,主城区,1,\nB,普通初中,121,,1\nC,小学,镇乡结合区,1,\nD,小学,210乡中心区,1,\n"
        "E,小学,村庄,1,\nF,小学教学点,220,1,\n",
        "utf-8",
    )
    schools = br.read_school_table(path).schools
    assert [s.location for s in schools] == ["urban", "town", "town", "rural", "rural", "rural"]
    assert [s.school_type for s in schools] == [
        "primary",
        "junior",
        *["primary"] * 3,
        "teaching_point",
    ]


def test_the_fast_sheet_reader_gives_openpyxls_text(tmp_path: Path) -> None:
    import datetime

    import openpyxl
    import xlsxwriter

    from balance_rules.data import tables

    path = tmp_path / "kinds.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})  # inline strings
    sheet = book.add_worksheet("s")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["学校标识码", "a&b <c>", 1850, 802.56, 1.0, True, 0.1 + 0.2])
    sheet.write_datetime(1, 0, datetime.datetime(2023, 9, 1), dates)
    sheet.write_formula(1, 1, "=1/0", None, "#DIV/0!")
    sheet.write(3, 4, "  padded  ")
    book.close()
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    worksheet = workbook.worksheets[0]
    fast = tables._fast_grid(tables._sheet_xml(worksheet), workbook, worksheet)
    slow = [
        (n, [tables._xlsx_text(v) for v in row])
        for n, row in enumerate(worksheet.iter_rows(values_only=True), start=1)
    ]
    workbook.close()
    assert fast is not None and len(fast) == len(slow)
    for (n, cells), (m, expected) in zip(fast, slow, strict=True):
        assert n == m and cells + [""] * (len(expected) - len(cells)) == expected
    assert fast[0][1] == ["学校标识码", "a&b <c>", "1850", "802.56", "1", "是", "0.3"]
    assert fast[1][1][:2] == ["2023-09-01T00:00:00", "#DIV/0!"]


def test_a_damaged_sheet_is_a_clear_error(tmp_path: Path) -> None:
    import io
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["学校标识码", "学校类型", "小学在校生数"])
    sheet.append(["A", "小学", 100])
    good = io.BytesIO()
    book.save(good)
    source = zipfile.ZipFile(good)
    damaged = tmp_path / "d.xlsx"
    with zipfile.ZipFile(damaged, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name.startswith("xl/worksheets/sheet"):
                data = data.replace(b"<v>100</v>", b"<v>1x0</v>")  # not a number
            target.writestr(name, data)
    with pytest.raises(br.DataError) as info:
        br.read_school_table(damaged)
    assert str(damaged) in str(info.value)


def test_numbering_and_unit_rows_are_told_from_data() -> None:
    from balance_rules.data.headers import is_numbering_row, is_unit_row

    assert is_numbering_row(["甲", "乙", "丙", "1", "2", "3"])
    assert is_numbering_row(["1", "2", "3", "4"])
    assert not is_numbering_row(["2", "3", "4"])  # could be a school's figures
    assert not is_numbering_row(["A1", "1", "2"])
    assert is_unit_row(["", "", "人", "平方米", "万元"])
    assert not is_unit_row(["A", "人", "平方米"])


def test_a_three_level_csv_header_carries_each_group_over_its_columns() -> None:
    from balance_rules.data.headers import detect_header

    known = {"学校标识码": "school_id", "专任教师/合计": "teachers"}
    grid = [
        (1, ["学校标识码", "专任教师", "", "", "", "教学用计算机", "图书"]),
        (2, ["", "合计", "按学历", "", "", "", ""]),
        (3, ["", "", "研究生", "本科", "专科", "", ""]),
        (4, ["A", "10", "1", "5", "4", "30", "100"]),
    ]
    layout = detect_header(grid, known.get, "school_id")
    assert layout is not None
    assert [c.source for c in layout.columns] == [
        "学校标识码",
        "专任教师/合计",
        "专任教师/按学历/研究生",
        "专任教师/按学历/本科",
        "专任教师/按学历/专科",
        "教学用计算机",
        "图书",
    ]
    assert layout.header_rows == (1, 2, 3) and layout.data == ((4, tuple(grid[3][1])),)
