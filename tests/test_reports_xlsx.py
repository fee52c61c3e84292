"""The workbook read back with openpyxl: sheets, headers, values, formats, text cells."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from balance_rules.cli import main
from balance_rules.render import xlsx
from balance_rules.render.workbook import Column, Sheets, new_workbook, sheet_name, write_table
from balance_rules.render.xlsx import write_xlsx

from .reports_support import FORMULA_NAMES, SCRIPT_NAME, hand_report, hostile_example

RED = "FFF8CBAD"


def _rows(sheet: Any) -> list[list[Any]]:
    return [[c.value for c in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize("streamed", [False, True])
def test_hand_computed_workbook(monkeypatch: pytest.MonkeyPatch, streamed: bool) -> None:
    # Both ways of writing: cells kept in memory, and streamed (constant memory).
    monkeypatch.setattr(xlsx, "CONSTANT_MEMORY_SECTIONS", -1 if streamed else 10**9)
    stream = io.BytesIO()
    write_xlsx(hand_report(), stream)
    book = openpyxl.load_workbook(io.BytesIO(stream.getvalue()))
    assert book.sheetnames == [
        "汇总",
        "表1 小学",
        "表2 差异系数",
        "保障与质量",
        "缺失数据",
        "未纳入评估",
    ]
    table2 = book["表2 差异系数"]
    assert _rows(table2) == [
        ["县区", "学段", "指标", "学校数 n", "学生数 N", "加权平均值 X̄", "标准差 S", "差异系数 CV",
         "上限", "结果"],
        ["测试县", "小学", "生均教学及辅助用房面积", 2, 200, 5, 1, 0.2, 0.5, "达标"],
        ["测试县", "小学", "生均图书", 2, 200, 20, 10, 0.5, 0.5, "达标"],
    ]  # fmt: skip
    # The table's decimals are a display format; the cell keeps the value.
    assert table2["H2"].number_format == "0.000" and table2["I2"].number_format == "0.00"
    assert table2.freeze_panes == "A2" and table2.auto_filter.ref == "A1:J3"
    table1 = book["表1 小学"]
    header = _rows(table1)[0]
    assert header[:5] == [
        "县区",
        "学校标识码",
        "学校名称",
        "在校生数",
        "生均教学及辅助用房面积 ≥ 4.5",
    ]
    rows = _rows(table1)[1:]
    assert [r[:5] for r in rows] == [
        ["测试县", "S1-0", SCRIPT_NAME, 100, 4],
        ["测试县", "S2-0", FORMULA_NAMES[0], 100, 6],
    ]
    assert rows[0][-1] == "未达标" and rows[1][-1] == "达标"
    # The failing value is red, the passing one not; a formula-like name is a string.
    assert table1["E2"].fill.fgColor.rgb == RED and table1["E3"].fill.fgColor.rgb != RED
    assert table1["C3"].data_type == "s"
    summary = _rows(book["汇总"])
    assert summary[2][:8] == ["测试县", "未通过", 2, 2, 1, 1, 0, 0]
    # The county fact (retention 96 ≥ 95) is on the guarantee and quality sheet.
    items = _rows(book["保障与质量"])
    assert items[1][:8] == ["测试县", "县级", None, "fact", "达标", 96, ">=", 95]


def test_cli_workbook_equals_the_json_report(tmp_path: Path) -> None:
    schools, facts = hostile_example(tmp_path)
    out = tmp_path / "r.xlsx"
    args = ["evaluate", str(schools), "--facts", str(facts)]
    stderr = io.StringIO()
    assert main([*args, "--output", str(out)], stdout=io.StringIO(), stderr=stderr) == 1
    assert stderr.getvalue() == ""
    assert out.read_bytes()[:2] == b"PK"  # a real workbook, chosen by the suffix
    text = io.StringIO()
    main([*args, "--format", "json"], stdout=text, stderr=io.StringIO())
    report = json.loads(text.getvalue())
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == [
        "汇总", "表1 小学", "表1 初中", "表2 差异系数", "保障与质量", "缺失数据", "未纳入评估",
    ]  # fmt: skip
    # 表2 holds every coefficient of the JSON report with its working.
    rows = _rows(book["表2 差异系数"])[1:]
    assert len(rows) == sum(len(county["coefficients"]) for county in report["counties"])
    for county in report["counties"]:
        mine = [r for r in rows if r[0] == county["county"]]
        for row, c in zip(mine, county["coefficients"], strict=True):
            # xlsxwriter stores 16 significant digits (Excel itself shows 15).
            assert (row[8], row[3], row[4]) == (c["max"], c["schools"], c["students"])
            for got, key in ((row[7], "value"), (row[5], "mean"), (row[6], "std")):
                if c[key] is None:  # a composite has no working
                    assert got is None
                else:
                    assert got == pytest.approx(c[key], rel=1e-15)
    # Every school section of the JSON report is a row of its level's 表1.
    sections = {
        (county["county"], s["school_id"], s["level"], s["name"])
        for county in report["counties"]
        for s in county["schools"]
    }
    listed = {
        (r[0], r[1], level, r[2])
        for sheet, level in (("表1 小学", "primary"), ("表1 初中", "junior"))
        for r in _rows(book[sheet])[1:]
    }
    assert listed == sections
    # Hostile names are strings, never formulas.
    names = {
        cell.value: cell.data_type
        for cell in book["表1 小学"]["C"][1:]
        if cell.value in (SCRIPT_NAME, *FORMULA_NAMES)
    }
    assert set(names) == {SCRIPT_NAME, *FORMULA_NAMES} and set(names.values()) == {"s"}
    # The blank sports area: the school's indicator and 6-of-7, the county's CV and
    # composite are not evaluated, each row naming the missing column.
    missing = _rows(book["缺失数据"])[1:]
    assert [(r[0], r[1], r[5]) for r in missing] == [
        (county, where, "sports_area")
        for county, school in (("示例县", "2110000006"), ("第二县", "9110000006"))
        for where in (school, school, "县级", "县级")
    ]
    # Summary: both counties, and one native chart of their worst CVs.
    summary = book["汇总"]
    assert isinstance(summary, Worksheet)
    assert {summary.cell(row=r, column=1).value for r in (3, 4)} == {"示例县", "第二县"}
    assert len(summary._charts) == 1  # type: ignore[attr-defined]


def test_table_helper_writes_text_as_text() -> None:
    stream = io.BytesIO()
    book = new_workbook(stream, constant_memory=True)
    sheet = Sheets(book).add("a/b:c*d?[e]")
    columns = [Column("名称"), Column("值", kind="number", decimals=3)]
    rows: list[list[object]] = [[name, -1.5] for name in FORMULA_NAMES]
    write_table(book, sheet, columns, rows, fail=[[False, True]] * len(rows))
    book.close()
    read = openpyxl.load_workbook(io.BytesIO(stream.getvalue()))
    assert read.sheetnames == ["a_b_c_d__e_"]
    sheet = read.active
    assert isinstance(sheet, Worksheet)
    cells = list(sheet.iter_rows(min_row=2))
    assert [(c[0].value, c[0].data_type) for c in cells] == [(n, "s") for n in FORMULA_NAMES]
    assert [(c[1].value, c[1].number_format) for c in cells] == [(-1.5, "0.000")] * 4


@pytest.mark.parametrize(
    ("name", "used", "expected"),
    [
        ("表1 小学", [], "表1 小学"),
        ("x" * 40, [], "x" * 31),
        ("Sheet", ["sheet"], "Sheet (2)"),
        ("y" * 31, ["y" * 31], "y" * 27 + " (2)"),
    ],
)
def test_sheet_names(name: str, used: list[str], expected: str) -> None:
    assert sheet_name(name, used) == expected
