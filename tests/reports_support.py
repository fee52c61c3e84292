"""Shared inputs of the report tests: a hand-computed county and hostile names."""

from __future__ import annotations

import csv
from pathlib import Path

import balance_rules as br

from .conftest import EXAMPLE_FACTS, EXAMPLE_SCHOOLS, mini_standard

SCRIPT_NAME = "<script>alert(1)</script>"
FORMULA_NAMES = ('=HYPERLINK("http://example.invalid","x")', "+86 10 1234", "-1", "@SUM(A1)")


def _school(school_id: str, name: str, county: str, area: int, books: int) -> br.School:
    return br.School(
        school_id=school_id,
        school_name=name,
        school_type="primary",
        county=county,
        primary_students=100,
        teaching_aux_area=area,
        books=books,
    )


def hand_report(counties: int = 1) -> br.Report:
    """The MINI standard over counties of two primary schools of 100 pupils each.

    Area per student 4 and 6: weighted mean 5, S = sqrt((100·1 + 100·1)/200) = 1,
    CV 0.2 (cap 0.5). Books per student 10 and 30: mean 20, S 10, CV 0.5 — exactly
    the cap, so it passes. School S1 (area 4 < 4.5) fails, so the county fails.
    """
    standard = mini_standard()
    result = []
    for n in range(counties):
        name = "测试县" if n == 0 else f"第{n}县"
        result.append(
            br.County(
                name=name,
                schools=[
                    _school(f"S1-{n}", SCRIPT_NAME, name, 400, 1000),
                    _school(f"S2-{n}", FORMULA_NAMES[0], name, 600, 3000),
                ],
                facts={"retention_rate_junior": 96},
            )
        )
    return br.evaluate(standard, result)


def hostile_example(folder: Path) -> tuple[Path, Path]:
    """The example county with hostile school names and one school's sports area blank
    (a not-evaluated item), plus a copy of it as a second county ``第二县``."""
    with EXAMPLE_SCHOOLS.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    name = header.index("学校名称")
    sports = header.index("体育运动场馆面积（平方米）")
    body[0][name] = SCRIPT_NAME
    for row, hostile in zip(body[1:], FORMULA_NAMES, strict=False):
        row[name] = hostile
    body[5][sports] = ""
    county = header.index("县区")
    ident = header.index("学校标识码")
    parent = header.index("所属学校标识码")
    second = []
    for row in body:
        copy = list(row)
        copy[county] = "第二县"
        copy[ident] = "9" + copy[ident][1:]
        if copy[parent]:
            copy[parent] = "9" + copy[parent][1:]
        second.append(copy)
    schools = folder / "schools.csv"
    with schools.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *body, *second])
    facts = folder / "facts.yaml"
    text = EXAMPLE_FACTS.read_text(encoding="utf-8")
    block = text[text.index("  示例县:") :]
    facts.write_text(text + "\n" + block.replace("示例县:", "第二县:", 1), encoding="utf-8")
    return schools, facts
