"""Mapping files: the shipped samples evaluate; bad mappings are one clear message each."""

from __future__ import annotations

import io
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import balance_rules as br
from balance_rules.cli import main
from balance_rules.data.mapping import load_mapping

SAMPLES = Path(__file__).resolve().parent.parent / "examples" / "mappings"
SHAPES = ["statistics-primary.xlsx", "per-level-sheets.xlsx", "per-table-sheets.xlsx",
          "platform-export.csv"]  # fmt: skip


def _d(*values: int) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


def _run(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _read(name: str) -> dict[str, br.School]:
    path = SAMPLES / name
    mapping = load_mapping(path.with_suffix(".yaml"))
    return {s.school_id: s for s in br.read_school_table(path, mapping=mapping).schools}


@pytest.mark.parametrize("name", SHAPES)
def test_each_sample_evaluates_with_its_mapping(name: str) -> None:
    path = SAMPLES / name
    code, out, err = _run("evaluate", path, "--mapping", path.with_suffix(".yaml"), "--lang", "en")
    assert code == 1, err  # no county facts: incomplete, never a crash or a bad-input exit
    assert "Traceback" not in err and out


def test_the_samples_are_what_the_generator_writes(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    csv = "platform-export.csv"
    assert (tmp_path / csv).read_bytes() == (SAMPLES / csv).read_bytes()


def test_statistics_sheet_values() -> None:
    schools = _read("statistics-primary.xlsx")
    assert sorted(schools) == ["2130000001", "2130000002", "2130000003"]  # totals row skipped
    one, two, three = schools["2130000001"], schools["2130000002"], schools["2130000003"]
    assert one.school_type == "primary" and one.county == "130102 长安区"
    assert (one.primary_students, one.primary_classes, one.primary_teachers) == _d(1200, 27, 70)
    assert one.primary_teachers_above_degree == 2 + 50 + 16
    assert one.primary_pe_art_teachers == 6 + 3 + 3
    assert one.sports_area == 1200 + 10500
    assert two.sports_area == 6000  # 体育馆 blank, 运动场地 6000: the filled parts
    assert three.primary_teachers_above_degree == 13 + 4  # 研究生 blank
    assert one.books == 26000 and one.equipment_value == Decimal("5202500")
    assert (one.computers, one.multimedia_rooms) == _d(130, 30)
    assert (one.location, two.location, three.location) == ("urban", "town", "rural")
    assert (three.ownership, one.ownership) == ("private", "public")


def test_per_level_sheets_join_a_nine_year_school() -> None:
    schools = _read("per-level-sheets.xlsx")
    nine = schools["3130000012"]
    assert nine.school_type == "nine_year"
    assert (nine.primary_students, nine.junior_students) == _d(600, 450)
    assert (nine.primary_teachers, nine.junior_teachers) == _d(34, 36)
    assert (nine.primary_backbone_teachers, nine.junior_backbone_teachers) == _d(6, 8)
    assert schools["3130000013"].junior_teachers_above_degree == 70
    assert schools["2130000011"].school_type == "primary"


def test_per_table_sheets_codes_and_sums() -> None:
    schools = _read("per-table-sheets.xlsx")
    primary, junior = schools["2130000021"], schools["3130000022"]
    assert (primary.school_type, junior.school_type) == ("primary", "junior")  # 211, 311
    assert primary.primary_teachers_above_degree == 0 + 1 + 18 + 8  # 专科 and above
    assert junior.junior_teachers_above_degree == 1 + 4 + 40  # 本科 and above
    assert primary.teaching_aux_area == 1500 + 200 + 400 + 120 + 90
    assert (primary.sports_area, junior.sports_area) == _d(5200, 900 + 8800)
    assert (primary.location, junior.location) == ("rural", "town")
    assert primary.county == junior.county == "河西县"  # a constant of the mapping


def test_platform_csv_and_facts_by_district_name(tmp_path: Path) -> None:
    schools = _read("platform-export.csv")
    assert schools["2130000031"].books == 19000 and schools["3130000032"].books == 22000
    assert schools["3130000032"].junior_backbone_teachers == 12
    assert schools["2130000033"].ownership == "private"
    facts = tmp_path / "facts.yaml"
    facts.write_text("桥西区: {retention_rate_junior: 98}\n130105: {exam_admission: no}\n", "utf-8")
    counties = br.read_counties(
        SAMPLES / "platform-export.csv",
        facts,
        mapping=load_mapping(SAMPLES / "platform-export.yaml"),
    )
    by_name = {c.name: c for c in counties}
    assert by_name["130104 桥西区"].facts == {"retention_rate_junior": Decimal(98)}
    assert by_name["130105 新华区"].facts == {"exam_admission": False}


# -- bad mappings: one clear message with file, sheet, row, column; exit 2 -------------


def _workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    first = True
    for title, rows in sheets.items():
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = title
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


BASIC: list[list[Any]] = [
    ["学校标识码", "学校类型", "小学在校生数", "县区"],
    ["A", "小学", 100, "甲县"],
]


def test_mapping_file_errors_have_lines_and_suggestions(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "colums:\n  x: school_id\n"  # line 1: unknown key
        "derived:\n  teachers_above_degre: {sum: [a]}\n"  # line 4: unknown field
        "values:\n  location: {'111': city}\n"  # line 6: bad value
        "constants:\n  ownership: 公办\n",  # line 8: not canonical
        encoding="utf-8",
    )
    with pytest.raises(br.DataError) as info:
        load_mapping(mapping)
    problems = info.value.problems
    assert [(p.line, p.suggestion) for p in problems][:1] == [(1, "columns")]
    mapping.write_text(
        "derived:\n  teachers_above_degre: {sum: [a]}\n"
        "values:\n  location: {'111': city}\n"
        "constants:\n  ownership: 公办\n",
        encoding="utf-8",
    )
    with pytest.raises(br.DataError) as info:
        load_mapping(mapping)
    found = {(p.line, p.suggestion) for p in info.value.problems}
    assert (2, "teachers_above_degree") in found
    assert (4, None) in found or any(p.line == 4 for p in info.value.problems)
    assert any(p.line == 6 for p in info.value.problems)
    code, _, err = _run("check-data", tmp_path / "x.csv", "--mapping", mapping)
    assert code == 2 and f"{mapping}:2" in err and "是否应为 'teachers_above_degree'" in err


def test_a_header_the_mapping_names_is_not_in_the_file(tmp_path: Path) -> None:
    data = _workbook(tmp_path / "d.xlsx", {"学校": BASIC})
    mapping = tmp_path / "m.yaml"
    mapping.write_text("derived:\n  books: {sum: [图书册数, 图书（万册）]}\n", "utf-8")
    code, _, err = _run("check-data", data, "--mapping", mapping, "--lang", "en")
    assert code == 2
    assert "sheet '学校'" in err and "column '图书册数'" in err and f"{mapping}:2" in err


def test_a_sum_over_a_text_column(tmp_path: Path) -> None:
    data = _workbook(tmp_path / "d.xlsx", {"学校": [[*BASIC[0], "备注"], [*BASIC[1], "新建"]]})
    mapping = tmp_path / "m.yaml"
    mapping.write_text("derived:\n  books: {sum: [备注]}\n", "utf-8")
    code, _, err = _run("check-data", data, "--mapping", mapping, "--lang", "en")
    assert code == 2
    assert "sheet '学校', row 2, column '备注'" in err and "'新建' is not a number" in err
    assert f"{mapping}:2" in err


def test_a_code_with_no_entry_in_the_value_table(tmp_path: Path) -> None:
    data = _workbook(
        tmp_path / "d.xlsx",
        {"学校": [["学校标识码", "学校类型", "小学在校生数"], ["A", "211", 10], ["B", "219", 5]]},
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text("values:\n  school_type: {'211': primary}\n", "utf-8")
    code, _, err = _run("check-data", data, "--mapping", mapping, "--lang", "en")
    assert code == 2
    assert "sheet '学校', row 3, column '学校类型'" in err
    assert "code '219' has no entry in the value table" in err and f"{mapping}:2" in err


def test_two_sheets_whose_ids_do_not_join(tmp_path: Path) -> None:
    teachers: list[list[Any]] = [["学校标识码", "专任教师数"], ["Z9", 30], ["A", 20]]
    data = _workbook(tmp_path / "d.xlsx", {"学校": BASIC, "教师": teachers})
    mapping = tmp_path / "m.yaml"
    mapping.write_text("sheets:\n  - sheet: 学校\n  - sheet: 教师\n", "utf-8")
    code, _, err = _run("check-data", data, "--mapping", mapping, "--lang", "en")
    assert code == 2
    assert "sheet '教师', row 2, column '学校标识码'" in err and "'Z9'" in err
    teachers = [["学校标识码", "专任教师数"], ["Z9", 30], ["Z8", 20]]
    data = _workbook(tmp_path / "e.xlsx", {"学校": BASIC, "教师": teachers})
    code, _, err = _run("check-data", data, "--mapping", mapping)
    assert code == 2 and "工作表「教师」" in err and "对不上" in err


def test_a_joined_sheet_adds_its_columns(tmp_path: Path) -> None:
    teachers: list[list[Any]] = [["学校标识码", "专任教师数"], ["A", 7]]
    data = _workbook(tmp_path / "d.xlsx", {"学校": BASIC, "教师": teachers})
    mapping = tmp_path / "m.yaml"
    mapping.write_text("sheets:\n  - sheet: 学校\n  - sheet: 教师\n", "utf-8")
    (school,) = br.read_school_table(data, mapping=load_mapping(mapping)).schools
    assert (school.primary_students, school.primary_teachers) == _d(100, 7)


def test_mapping_copied_elsewhere_is_relative_to_the_data(tmp_path: Path) -> None:
    shutil.copy(SAMPLES / "per-level-sheets.xlsx", tmp_path / "book.xlsx")
    mapping = load_mapping(SAMPLES / "per-level-sheets.yaml")
    assert len(br.read_school_table(tmp_path / "book.xlsx", mapping=mapping).schools) == 3


def test_the_documented_mappings_validate(tmp_path: Path) -> None:
    import re

    doc = SAMPLES.parent.parent / "docs" / "mapping-format.md"
    blocks = re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 3
    for index, block in enumerate(blocks):
        path = tmp_path / f"doc-{index}.yaml"
        path.write_text(block, encoding="utf-8")
        load_mapping(path)  # raises on any problem


def test_a_mapped_column_header_that_is_not_in_the_file(tmp_path: Path) -> None:
    data = _workbook(tmp_path / "d.xlsx", {"学校": [[*BASIC[0], "图书（册）"], [*BASIC[1], 30]]})
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns:\n  学校代码: school_id\n  图书(万册): books\n", "utf-8")
    code, _, err = _run("check-data", data, "--mapping", mapping, "--lang", "en")
    assert code == 2
    assert f"{mapping}:2" in err and "'学校代码', which is not in the file" in err
    assert f"{mapping}:3" in err and "did you mean '图书（册）'" in err
    sheets = tmp_path / "s.yaml"
    sheets.write_text(
        "sheets:\n  - sheet: 学校\n    columns:\n      学校代码: school_id\n", "utf-8"
    )
    code, _, err = _run("check-data", data, "--mapping", sheets, "--lang", "en")
    assert code == 2 and f"{sheets}:4" in err and "sheet '学校'" in err


def test_several_files_joined_on_the_school_id(tmp_path: Path) -> None:
    (tmp_path / "schools.csv").write_text(
        "学校(机构)标识码,学校类型,县区,小学在校生数\n0210000001,小学,甲县,400\n", "utf-8"
    )
    (tmp_path / "rooms.csv").write_bytes(
        "学校(机构)标识码,体育馆,运动场地\n0210000001,300,4100\n".encode("gbk")
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "sheets:\n  - {}\n  - file: rooms.csv\n    derived:\n"
        "      sports_area: {sum: [体育馆, 运动场地]}\n",
        "utf-8",
    )
    (school,) = br.read_school_table(
        tmp_path / "schools.csv", mapping=load_mapping(mapping)
    ).schools
    assert school.school_id == "0210000001"  # the leading zero kept: an id is text
    assert (school.primary_students, school.sports_area) == _d(400, 4400)


def test_an_output_never_overwrites_a_joined_file(tmp_path: Path) -> None:
    (tmp_path / "schools.csv").write_text(
        "学校标识码,学校类型,县区,小学在校生数\nA,小学,甲县,400\n", "utf-8"
    )
    rooms = tmp_path / "rooms.csv"
    rooms.write_text("学校标识码,体育运动场馆面积\nA,4400\n", "utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("sheets:\n  - {}\n  - file: rooms.csv\n", "utf-8")
    before = rooms.read_bytes()
    code, _, err = _run(
        "evaluate", tmp_path / "schools.csv", "--mapping", mapping, "--output", rooms,
        "--format", "json",
    )  # fmt: skip
    assert code == 2 and "rooms.csv" in err
    assert rooms.read_bytes() == before


def test_a_joined_file_is_found_beside_the_mapping(tmp_path: Path) -> None:
    """`file:` is relative to the mapping file (the one resolver), not the data file."""
    data, maps = tmp_path / "data", tmp_path / "mappings"
    data.mkdir()
    maps.mkdir()
    (data / "schools.csv").write_text(
        "学校标识码,学校类型,县区,小学在校生数\nA,小学,甲县,400\n", "utf-8"
    )
    (maps / "rooms.csv").write_text("学校标识码,体育运动场馆面积\nA,4400\n", "utf-8")
    mapping = maps / "m.yaml"
    mapping.write_text("sheets:\n  - {}\n  - file: rooms.csv\n", "utf-8")
    (school,) = br.read_school_table(data / "schools.csv", mapping=load_mapping(mapping)).schools
    assert school.sports_area == 4400
