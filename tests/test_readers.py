"""Reading school tables and county facts from real files the tests write."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

import balance_rules as br
from balance_rules.data.cells import normalise_header, parse_number

from .conftest import EXAMPLE_FACTS, EXAMPLE_SCHOOLS

HEADER = (
    "学校标识码,学校名称,学校类型,办别,小学在校生数,初中在校生数,"
    "教学仪器设备资产值（万元）,图书册数\n"
)


def _csv(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "s.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _problems(path: Path) -> list[br.Problem]:
    with pytest.raises(br.DataError) as info:
        br.read_school_table(path)
    return list(info.value.problems)


def test_chinese_headers_units_and_values(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        HEADER
        + 'S1,一小,小学,公办,"1,200",,36.5,30000\n'
        + "S2,九年制,九年一贯制学校,民办,300,200,１２,5000\n",
    )
    schools = br.read_school_table(path).schools
    assert [s.school_type for s in schools] == ["primary", "nine_year"]
    assert schools[0].primary_students == Decimal(1200)
    assert schools[0].equipment_value == Decimal(365000)  # 万元 -> yuan
    assert schools[0].junior_students is None  # blank is missing, not zero
    assert schools[1].ownership == "private"
    assert schools[1].equipment_value == Decimal(120000)  # full-width digits


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    path = _csv(tmp_path, HEADER + "S1,一小,小学,公办,100,,1,100\n", encoding)
    (school,) = br.read_school_table(path).schools
    assert school.school_name == "一小"


def test_every_bad_cell_is_reported_with_row_and_column(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        HEADER
        + "S1,一小,小学,公办,-5,,1,100\n"  # row 2: negative
        + "S2,二小,小学,公办,12.5,,1,100\n"  # row 3: fractional count
        + "S3,三小,小学,公办,100,,abc,100\n"  # row 4: text in a number column
        + "S1,重复,小学,公办,100,,1,100\n"  # row 5: duplicate id
        + "S5,五小,小雪,公办,100,,1,100\n"  # row 6: unknown type
        + "S6,六小,九年一贯制学校,公办,100,,1,100\n",  # row 7: combined without junior count
    )
    problems = _problems(path)
    located = {(p.row, p.column) for p in problems}
    assert (2, "小学在校生数") in located
    assert (3, "小学在校生数") in located
    assert (4, "教学仪器设备资产值（万元）") in located
    assert (5, "学校标识码") in located
    assert (6, "学校类型") in located
    assert (7, "初中在校生数") in located
    unknown = next(p for p in problems if p.row == 6)
    assert unknown.file == str(path)
    text = "\n".join(str(p) for p in problems)
    assert "row 4" in text and "'abc' is not a number" in text


def test_parent_must_exist(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "学校标识码,学校类型,是否计校数,所属学校标识码,小学在校生数\n"
        "A,小学,是,,100\n"
        "B,小学,否,Z,10\n",
    )
    (problem,) = _problems(path)
    assert (problem.row, problem.column) == (3, "所属学校标识码")


def test_totals_row_is_skipped_with_a_warning(tmp_path: Path) -> None:
    path = _csv(tmp_path, HEADER + "S1,一小,小学,公办,100,,1,100\n合计,,,,100,,1,100\n")
    table = br.read_school_table(path)
    assert len(table.schools) == 1
    assert any("totals row" in w.message and w.row == 3 for w in table.warnings)


def test_unknown_columns_are_kept_or_flagged(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "学校标识码,小学在校生数,图书册输,食堂面积,备注\nS1,100,5000,300,新建\n",
    )
    table = br.read_school_table(path)
    (school,) = table.schools
    assert school.extra["食堂面积"] == Decimal(300)
    assert any(w.suggestion == "books" for w in table.warnings)
    assert any(w.column == "备注" for w in table.warnings)


def test_json_and_yaml_tables(tmp_path: Path) -> None:
    records = [{"school_id": "A", "school_type": "primary", "primary_students": 100, "books": 4000}]
    json_path = tmp_path / "s.json"
    json_path.write_text(json.dumps({"schools": records}), encoding="utf-8")
    yaml_path = tmp_path / "s.yaml"
    yaml_path.write_text(
        "- {school_id: A, 学校类型: 小学, 小学在校生数: 100, books: 4000, sports_area: 4000.5}\n",
        encoding="utf-8",
    )
    assert br.read_school_table(json_path).schools[0].books == Decimal(4000)
    (school,) = br.read_school_table(yaml_path).schools
    assert school.sports_area == Decimal("4000.5")
    fractional_books = tmp_path / "b.yaml"
    fractional_books.write_text(
        "- {school_id: A, primary_students: 10, books: 4000.5}\n", encoding="utf-8"
    )
    (problem,) = _problems(fractional_books)
    assert problem.column == "books" and "record 1" in problem.message
    assert school.school_type == "primary"


def test_unprefixed_teacher_columns_go_to_the_school_level(tmp_path: Path) -> None:
    path = _csv(tmp_path, "学校标识码,学校类型,初中在校生数,专任教师数\nJ,初中,500,40\n")
    (school,) = br.read_school_table(path).schools
    assert school.junior_teachers == Decimal(40)


def test_header_normalisation() -> None:
    assert normalise_header(" 教学仪器设备值（万元） ") == ("教学仪器设备值", Decimal(10000), False)
    assert normalise_header("体育运动场馆面积(㎡)")[0] == "体育运动场馆面积"
    assert normalise_header("初中三年巩固率(%)") == ("初中三年巩固率", Decimal(1), True)
    assert parse_number("1,234.5") == (Decimal("1234.5"), False)
    assert parse_number("95%") == (Decimal(95), True)
    assert parse_number("  ") is None


def test_example_county_reads(tmp_path: Path) -> None:
    counties = br.read_counties(EXAMPLE_SCHOOLS, EXAMPLE_FACTS)
    (county,) = counties
    assert county.name == "示例县"
    assert len(county.schools) == 33
    assert county.facts["exam_admission"] is False
    assert county.facts["retention_rate_junior"] == Decimal("97.8")


def test_facts_rates_and_ambiguity(tmp_path: Path) -> None:
    fraction = tmp_path / "f.yaml"
    fraction.write_text(
        "rates: fraction\ncounties:\n  甲县: {retention_rate_junior: 0.96}\n", encoding="utf-8"
    )
    assert br.read_facts(fraction)["甲县"]["retention_rate_junior"] == Decimal("96.00")
    ambiguous = tmp_path / "g.yaml"
    ambiguous.write_text("甲县:\n  retention_rate_junior: 0.96\n", encoding="utf-8")
    with pytest.raises(br.DataError) as info:
        br.read_facts(ambiguous)
    assert "ambiguous" in str(info.value)
    csv_path = tmp_path / "f.csv"
    csv_path.write_text(
        "县区,初中三年巩固率(%),exam_admission,retension_rate_junior\n甲县,96,否,1\n",
        encoding="utf-8",
    )
    with pytest.raises(br.DataError) as info:
        br.read_facts(csv_path)
    assert info.value.problems[0].suggestion == "retention_rate_junior"
    csv_path.write_text("县区,初中三年巩固率(%),exam_admission\n甲县,0.96,否\n", encoding="utf-8")
    facts = br.read_facts(csv_path)["甲县"]
    assert facts == {"retention_rate_junior": Decimal("0.96"), "exam_admission": False}


def test_facts_for_an_unknown_county(tmp_path: Path) -> None:
    facts = tmp_path / "f.yaml"
    facts.write_text("示例线: {exam_admission: 否}\n", encoding="utf-8")
    with pytest.raises(br.DataError) as info:
        br.read_counties(EXAMPLE_SCHOOLS, facts)
    assert info.value.problems[0].suggestion == "示例县"
