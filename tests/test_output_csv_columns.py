"""The findings CSV written as columns by pyarrow gives the row-by-row writer's rows.

The row-by-row writer explains every row through its kernel's ``record`` (the one
explanation of a row); the columnar writer reads most rows straight from the
outcome arrays.  Both must give the same header, the same rows in the same order
and the same cells, byte for byte (a cell quoted only where the csv module quotes).
"""

from __future__ import annotations

import csv
import io
import random
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import balance_rules as br
from balance_rules.cli import main
from balance_rules.data.columns import ColumnTable
from balance_rules.engine.columnar import ColumnarResult, evaluate_columns
from balance_rules.render import csv_columns
from balance_rules.render.csv import SCHOOL_COLUMNS, render_csv
from balance_rules.testing.strategies import counties

from .nation_support import unique_ids

pa = pytest.importorskip("pyarrow")

NATIONAL = br.load_standard("national/quality-2017")
PLANS = {
    "national/quality-2017": br.compile_standard(NATIONAL),
    "hebei/quality-2017": br.compile_standard(br.load_standard("hebei/quality-2017")),
}


def _evaluate(plan_id: str, county_list: list[br.County]) -> ColumnarResult:
    schools = [s for c in county_list for s in c.schools]
    names = [c.name for c in county_list for _ in c.schools]
    facts = {c.name: c.facts for c in county_list if c.facts}
    return evaluate_columns(PLANS[plan_id], ColumnTable.from_schools(schools, names), facts)


def _parsed(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _both(result: ColumnarResult) -> tuple[str, str]:
    return render_csv(result, rows=False), render_csv(result, rows=True)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), plan_id=st.sampled_from(sorted(PLANS)))
def test_generated_counties_give_the_row_writers_rows(data: st.DataObject, plan_id: str) -> None:
    county_list = [
        unique_ids(
            n, data.draw(counties(name=name, standard=NATIONAL, sub_sites=True, max_schools=6))
        )
        for n, name in enumerate(("甲县", "乙县", "丙县"))
    ]
    columns, rows = _both(_evaluate(plan_id, county_list))
    assert columns.splitlines()[0] == ",".join(SCHOOL_COLUMNS)
    assert _parsed(columns) == _parsed(rows)
    assert columns == rows


def _school(school_id: str, name: str, **values: Any) -> br.School:
    base: dict[str, Any] = {
        "school_id": school_id,
        "school_name": name,
        "school_type": "primary",
        "location": "town",
        "primary_students": 500,
        "primary_teachers_above_degree": 25,
        "primary_backbone_teachers": 6,
        "primary_pe_art_teachers": 5,
        "teaching_aux_area": D(2500),
        "sports_area": D(4000),
        "equipment_value": D(1_100_000),
        "multimedia_rooms": 12,
    }
    base.update(values)
    return br.School(**base)


def _odd_county() -> list[br.County]:
    schools = [
        # A name that would start a formula; one with a comma and a quote; one empty.
        _school("S1", "=HYPERLINK(1)"),
        _school("S2", 'Lin, "North"'),
        _school("S3", "", primary_teachers_above_degree=None),  # not evaluated
        # Values outside pyarrow's plain float text: tiny and huge per-student figures.
        _school("S4", "-minus", equipment_value=D("0.005"), sports_area=D("9e12")),
    ]
    same = [_school("T1", "@a"), _school("T2", "+b")]  # identical: every CV is 0.0
    facts = {"planning_sound": True, "rotation_rate": D("0.97")}  # a yes/no and a number
    return [
        br.County(name="甲县", schools=schools, facts=facts),
        br.County(name="=乙县", schools=same),
    ]


def test_odd_cells_give_the_row_writers_rows_quoted() -> None:
    result = _evaluate("national/quality-2017", _odd_county())
    columns, rows = _both(result)
    assert columns == rows  # byte for byte: a cell is quoted only when it must be
    assert columns.splitlines()[0] == ",".join(SCHOOL_COLUMNS)  # the header as before
    ours, theirs = _parsed(columns), _parsed(rows)
    assert ours == theirs
    col = {name: i for i, name in enumerate(SCHOOL_COLUMNS)}
    # By hand: neutralised text, numbers as numbers, the row writer's digits.
    names = {r[col["school_name"]] for r in ours[1:]}
    assert {"'=HYPERLINK(1)", "'-minus", "'@a", "'+b", 'Lin, "North"', ""} <= names
    assert {r[col["county"]] for r in ours[1:]} == {"甲县", "'=乙县"}
    tiny = [r for r in ours if r[col["rule"]] == "equipment_value_per_student" and "S4" in r]
    assert tiny and tiny[0][col["value"]] == "1e-05"  # 0.005 / 500: as repr writes it
    huge = [r for r in ours if r[col["rule"]] == "sports_area_per_student" and "S4" in r]
    assert huge[0][col["value"]] == "18000000000"  # 9e12 / 500, integral: no ".0"
    zero = [r for r in ours if r[col["county"]] == "'=乙县" and r[col["rule"]] == "resource_cv"]
    assert zero and all(r[col["value"]] == "0.0" for r in zero)  # as the JSON report shows
    missing = [r for r in ours if "S3" in r and r[col["status"]] == "not_evaluated"]
    assert missing[0][col["missing"]] == "primary_teachers_above_degree"
    assert missing[0][col["value"]] == ""
    # Quoted only where the csv module quotes (a comma, a quote or a line break).
    line = next(x for x in columns.splitlines() if "S1" in x and "above_degree" in x)
    assert line.startswith("甲县,S1,'=HYPERLINK(1),primary,")
    assert ",5,>=,4.2,pass," in line  # 25 per 500 students = 5 per 100: no ".0"
    assert ',"Lin, ""North""",' in columns


def test_a_section_kind_read_row_by_row_gives_the_same_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A kind the columnar writer does not read from outcome arrays (a new kernel)
    # has every row explained by its kernel's record.
    monkeypatch.setattr(csv_columns, "_FROM_OUTCOMES", set())
    columns, rows = _both(_evaluate("national/quality-2017", _odd_county()))
    assert _parsed(columns) == _parsed(rows)


def test_small_chunks_keep_the_order(monkeypatch: pytest.MonkeyPatch) -> None:
    county_list = [
        br.County(name=f"县{n}", schools=[_school(f"{n}-{k}", f"学校{k}") for k in range(3)])
        for n in range(5)
    ]
    result = _evaluate("national/quality-2017", county_list)
    whole, rows = _both(result)
    monkeypatch.setattr(csv_columns, "CHUNK_ROWS", 1)  # a chunk per county
    assert render_csv(result, rows=False) == whole == rows


def test_pyarrow_writes_plain_floats_as_the_row_writer() -> None:
    # The band where pyarrow's float text is used as it is: every value there must
    # print as the row writer prints it (repr; integral values without ".0").
    rng = random.Random(7)
    values = [0.0, 1e-4, 9999999999.0, 4.2, 96.0, 0.013413799599917184]
    for exponent in range(-4, 10):
        for _ in range(300):
            value = rng.uniform(1, 10) * 10.0**exponent
            values += [value, -value, float(round(value)), round(value, 2)]
    plain = [v for v in values if csv_columns._plain(v)]
    assert len(plain) > 10_000
    shown = pa.array(plain).cast(pa.string()).to_pylist()
    assert shown == [csv_columns._shortest(v) for v in plain]
    assert not csv_columns._plain(-0.0) and not csv_columns._plain(1e10)


def _run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_the_command_writes_a_bom_and_says_when_pyarrow_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = tmp_path / "schools.csv"
    table.write_text(
        "county,school_id,school_name,school_type,primary_students,teaching_aux_area\n"
        '甲县,A,"=A,1",primary,500,2250\n甲县,B,B,primary,500,2750\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    code, _, err = _run("evaluate", table, "--format", "csv", "--output", out, "--lang", "en")
    assert code == 1 and "pyarrow" not in err, err  # incomplete (no facts)
    fast = out.read_bytes()
    assert fast.startswith(b"\xef\xbb\xbfcounty,school_id,")
    monkeypatch.setattr(csv_columns, "arrow_available", lambda: False)
    code, _, err = _run("evaluate", table, "--format", "csv", "--output", out, "--lang", "en")
    assert code == 1 and err.count("\n") == 1 and "balance-rules[arrow]" in err
    slow = out.read_bytes()
    assert slow.startswith(b"\xef\xbb\xbfcounty,school_id,")
    assert _parsed(fast.decode("utf-8-sig")) == _parsed(slow.decode("utf-8-sig"))
    # To a pipe: the same rows, plain UTF-8.
    code, piped, _ = _run("evaluate", table, "--format", "csv")
    assert _parsed(piped) == _parsed(slow.decode("utf-8-sig"))
