"""The data users really have: workbooks, odd headers, encodings, bad rows.

Every file here is written by the test itself.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

import balance_rules as br

from .conftest import EXAMPLE_FACTS, EXAMPLES, run_cli


def _d(*values: int) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


def _xlsx(path: Path, rows: list[list[Any]], sheet: str = "Sheet1", merges: list[str] = ()) -> Path:  # type: ignore[assignment]
    workbook = Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet
    for row in rows:
        worksheet.append(row)
    for cells in merges:
        worksheet.merge_cells(cells)
    workbook.save(path)
    return path


def test_plain_workbook(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "s.xlsx",
        [
            [
                "学校标识码",
                "学校名称",
                "学校类型",
                "小学在校生数",
                "教学仪器设备值（万元）",
                "图书册数",
            ],
            ["A", "一小", "小学", 1200, 36.5, 30000],
            ["B", "二小", "小学", 300.0, None, 9000],
        ],
    )
    a, b = br.read_school_table(path).schools
    assert a.primary_students == 1200
    assert a.equipment_value == Decimal(365000)
    assert b.primary_students == 300
    assert b.equipment_value is None  # an empty cell is missing


def test_title_row_two_row_header_and_totals(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "s.xlsx",
        [
            ["某县义务教育学校基本情况"],
            ["学校标识码", "学校类型", "在校生数", None, "专任教师数", None, "图书册数"],
            [None, None, "小学", "初中", "小学", "初中", None],
            ["N", "九年一贯制学校", 300, 200, 18, 16, 12000],
            ["P", "小学", 500, None, 30, None, 15000],
            ["合计", None, 800, 200, 48, 16, 27000],
        ],
        merges=["A1:G1", "A2:A3", "B2:B3", "C2:D2", "E2:F2", "G2:G3"],
    )
    table = br.read_school_table(path)
    n, p = table.schools
    assert (n.primary_students, n.junior_students, n.junior_teachers) == _d(300, 200, 16)
    assert (p.primary_teachers, p.books) == _d(30, 15000)
    assert any("totals row" in w.message and w.row == 6 for w in table.warnings)


def test_the_example_workbook_matches_the_csv() -> None:
    from_xlsx = br.read_school_table(EXAMPLES / "example-county.xlsx").schools
    from_csv = br.read_school_table(EXAMPLES / "example-county.csv").schools
    assert from_xlsx == from_csv


def test_sheet_choice(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.title = "说明"
    first.append(["本表为示例"])
    data = workbook.create_sheet("学校")
    data.append(["学校标识码", "小学在校生数"])
    data.append(["A", 10])
    workbook.save(path)
    assert br.read_school_table(path, sheet="学校").schools[0].primary_students == 10
    with pytest.raises(br.DataError) as info:
        br.read_school_table(path, sheet="学效")
    assert info.value.problems[0].suggestion == "学校"
    with pytest.raises(br.DataError) as info:
        br.read_school_table(path)  # the first sheet has no header
    assert "no header row" in info.value.problems[0].message


def test_gbk_csv_with_explicit_encoding(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes("学校标识码,学校名称,小学在校生数\nA,城关小学,100\n".encode("gbk"))
    (school,) = br.read_school_table(path, encoding="gbk").schools
    assert school.school_name == "城关小学"
    with pytest.raises(br.DataError) as info:
        br.read_school_table(path, encoding="utf-8")
    assert "encoding" in str(info.value)


def test_mapping_file(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "columns:\n"
        "  学校代码（10位）: school_id\n"
        "  学生人数: primary_students\n"
        "  仪器设备总值（千元）: {field: equipment_value, unit: 千元}\n"
        "  食堂面积: extra.canteen_area\n",
        encoding="utf-8",
    )
    data = tmp_path / "s.csv"
    data.write_text(
        "学校代码（10位）,学生人数,仪器设备总值（千元）,食堂面积\nA,100,250,80\n", encoding="utf-8"
    )
    (school,) = br.read_school_table(data, mapping=br.load_mapping(mapping)).schools
    assert school.school_id == "A"
    assert school.primary_students == 100
    assert school.equipment_value == Decimal(250000)
    assert school.extra == {"canteen_area": Decimal(80)}
    mapping.write_text("columns:\n  学生人数: primary_studnets\n", encoding="utf-8")
    with pytest.raises(br.DataError) as info:
        br.load_mapping(mapping)
    assert info.value.problems[0].suggestion == "primary_students"
    assert info.value.problems[0].line == 2


def test_skip_bad_rows_lists_them(tmp_path: Path) -> None:
    data = tmp_path / "s.csv"
    data.write_text(
        "县区,学校标识码,小学在校生数,教学及辅助用房面积\n"
        "甲县,A,100,500\n"
        "甲县,B,abc,500\n"
        "甲县,C,-1,500\n",
        encoding="utf-8",
    )
    with pytest.raises(br.DataError) as info:
        br.read_school_table(data)
    assert {p.row for p in info.value.problems} == {3, 4}
    table = br.read_school_table(data, skip_bad_rows=True)
    assert [s.school_id for s in table.schools] == ["A"]
    assert [(r.row, r.school_id, r.county) for r in table.skipped] == [
        (3, "B", "甲县"),
        (4, "C", "甲县"),
    ]
    result = run_cli("evaluate", data, "--skip-bad-rows", "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert [r["row"] for r in report["skipped_rows"]] == [3, 4]
    assert "'abc' is not a number" in report["skipped_rows"][0]["problems"][0]
    result = run_cli("evaluate", data, "--skip-bad-rows")
    assert "跳过 2 行" in result.stdout


def test_check_data_command(tmp_path: Path) -> None:
    good = run_cli(
        "check-data", EXAMPLES / "example-county.xlsx", "--facts", EXAMPLE_FACTS, "--lang", "en"
    )
    assert good.returncode == 0, good.stderr
    assert "33 schools in 1 county" in good.stdout
    assert "totals row" in good.stderr  # warnings on stderr
    chinese = run_cli("check-data", EXAMPLES / "example-county.xlsx", "--facts", EXAMPLE_FACTS)
    assert "1 个县 33 所学校" in chinese.stdout and "合计行" in chinese.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "学校标识码,学校类型,是否计校数,所属学校标识码,小学在校生数,初中在校生数\n"
        "A,小学,是,,10.5,\n"
        "A,小学,是,,10,\n"
        "B,九年一贯制学校,是,,10,\n"
        "C,小学,否,Z,10,\n"
        "D,小雪,是,,10,\n",
        encoding="utf-8",
    )
    result = run_cli("check-data", bad, "--lang", "en")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for expected in ("row 2", "row 3", "row 4", "row 5", "row 6", "did you mean '小学'"):
        assert expected in result.stderr, expected
    chinese = run_cli("check-data", bad)
    for expected in ("第 2 行", "第 6 行", "是否应为 '小学'", "不是整数"):
        assert expected in chinese.stderr, expected


def test_facts_from_csv_and_xlsx(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "facts.xlsx",
        [
            ["县区", "初中三年巩固率(%)", "残疾儿童少年入学率", "exam_admission", "公众满意度"],
            ["甲县", 0.5, "96%", "否", 92],
            ["乙县", 98, 97, "是", 88.5],
        ],
    )
    facts = br.read_facts(path)
    assert facts["甲县"] == {
        "retention_rate_junior": Decimal("0.5"),  # the header's % says it is a percentage
        "disabled_enrolment_rate": Decimal(96),
        "exam_admission": False,
        "satisfaction_rate": Decimal(92),
    }
    assert facts["乙县"]["exam_admission"] is True
    assert facts["乙县"]["satisfaction_rate"] == Decimal("88.5")


def test_facts_file_for_a_county_without_schools(tmp_path: Path) -> None:
    facts = tmp_path / "facts.csv"
    facts.write_text("县区,exam_admission\n示例线,否\n", encoding="utf-8")
    result = run_cli("evaluate", EXAMPLES / "example-county.csv", "--facts", facts, "--lang", "en")
    assert result.returncode == 2
    assert "did you mean '示例县'" in result.stderr


def test_xlsx_through_the_command() -> None:
    result = run_cli(
        "evaluate", EXAMPLES / "example-county.xlsx", "--facts", EXAMPLE_FACTS, "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counties"][0]["verdict"] == "pass"


def test_broken_workbook_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    result = run_cli("evaluate", broken, "--lang", "en")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "not a readable .xlsx" in result.stderr


# -- random bad cells ---------------------------------------------------------------

NUMERIC_COLUMNS = ["小学在校生数", "专任教师数", "图书册数", "教学及辅助用房面积"]
COUNT_COLUMNS = {"小学在校生数", "专任教师数", "图书册数"}
bad_cells = st.one_of(
    st.from_regex(r"[a-zA-Z一-龥]{1,6}", fullmatch=True).filter(
        lambda s: s.lower() not in {"nan", "inf", "infinity", "e", "snan"}
    ),
    st.integers(min_value=-10_000, max_value=-1).map(str),
    st.decimals(min_value=Decimal("-1000"), max_value=Decimal("-0.01"), places=2).map(str),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.integers(min_value=1, max_value=6),
    target_row=st.integers(min_value=0, max_value=5),
    column=st.sampled_from(NUMERIC_COLUMNS),
    bad=bad_cells,
    as_xlsx=st.booleans(),
)
def test_a_random_bad_cell_is_reported_at_its_row_and_column(
    tmp_path: Path, rows: int, target_row: int, column: str, bad: str, as_xlsx: bool
) -> None:
    target_row %= rows
    header = ["学校标识码", "学校类型", *NUMERIC_COLUMNS]
    body: list[list[Any]] = [[f"S{i}", "小学", 100 + i, 6, 3000, 450.5] for i in range(rows)]
    body[target_row][header.index(column)] = bad
    if as_xlsx:
        path = _xlsx(tmp_path / "bad.xlsx", [header, *body])
    else:
        path = tmp_path / "bad.csv"
        path.write_text(
            "\n".join(",".join(str(c) for c in row) for row in [header, *body]) + "\n",
            encoding="utf-8",
        )
    with pytest.raises(br.DataError) as info:
        br.read_school_table(path)
    (problem,) = info.value.problems
    assert problem.row == target_row + 2  # the header is row 1
    assert problem.column == column
    assert problem.file == str(path)


def test_a_bad_cell_never_gives_a_traceback_through_the_command(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "学校标识码,小学在校生数,图书册数\nA,１０,\nB,1e999999,3\nC,∞,2\n", encoding="utf-8"
    )
    result = run_cli("evaluate", path, "--lang", "en")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "row 3" in result.stderr and "row 4" in result.stderr


def test_sheet_mapping_and_encoding_through_the_command(tmp_path: Path) -> None:
    workbook = tmp_path / "book.xlsx"
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "说明"
    notes.append(["本表为示例"])
    data = book.create_sheet("学校")
    data.append(["县区", "学校代码（10位）", "学校类型", "学生人数", "教学及辅助用房面积"])
    data.append(["甲县", "A", "小学", 100, 450])
    book.save(workbook)
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "columns:\n  学校代码（10位）: school_id\n  学生人数: primary_students\n", encoding="utf-8"
    )
    result = run_cli(
        "evaluate", workbook, "--sheet", "学校", "--mapping", mapping, "--format", "json"
    )
    assert result.returncode == 1, result.stderr  # no county facts: incomplete
    (school,) = json.loads(result.stdout)["counties"][0]["schools"]
    area = next(f for f in school["findings"] if f["rule"] == "teaching_aux_area_per_student")
    assert (area["value"], area["status"]) == (4.5, "pass")
    wrong_sheet = run_cli(
        "evaluate", workbook, "--sheet", "学效", "--mapping", mapping, "--lang", "en"
    )
    assert wrong_sheet.returncode == 2 and "did you mean '学校'" in wrong_sheet.stderr
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("学校标识码,学校名称,小学在校生数\nA,城关小学,100\n".encode("gbk"))
    checked = run_cli("check-data", gbk, "--encoding", "gbk")
    assert checked.returncode == 0 and "1 个县 1 所学校" in checked.stdout
    wrong = run_cli("check-data", gbk, "--encoding", "utf-8", "--lang", "en")
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr


def test_a_dataframe_with_a_bad_cell_names_row_and_column() -> None:
    import pandas as pd

    from balance_rules.frames import evaluate_frame

    frame = pd.DataFrame({"school_id": ["A", "B"], "primary_students": ["100", "abc"]})
    with pytest.raises(br.DataError) as info:
        evaluate_frame(frame, br.load_standard("national/quality-2017"))
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (3, "primary_students")
