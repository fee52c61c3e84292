"""The columnar core's bulk steps (sub-site index, exclusions, county codes), checked by hand."""

from __future__ import annotations

import gc
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import balance_rules as br
from balance_rules.data import columns
from balance_rules.data.columns import ColumnTable
from balance_rules.engine import columnar
from balance_rules.engine.columnar import evaluate_columns
from balance_rules.engine.exact import exact_quotient

from .conftest import MINI, mini, mini_standard, school


def _reasons(result: object, county: str) -> list[tuple[str, str, str | None, str | None]]:
    code = result.county_names.index(county)  # type: ignore[attr-defined]
    return [
        (e.school_id, e.reason, e.level, e.detail)
        for e in result.excluded[code]  # type: ignore[attr-defined]
    ]


def test_a_loop_in_an_unchecked_table_ends_the_walk_and_leaves_orphans() -> None:
    """The validator refuses loops; a table built without it must still not hang."""
    schools = [
        school("P", primary_students=100, teaching_aux_area=500),
        school("S1", counted_as_school=False, parent_school_id="S2", primary_students=5),
        school("S2", counted_as_school=False, parent_school_id="S1", primary_students=5),
    ]
    table = ColumnTable.from_schools(schools, check=False)
    result = evaluate_columns(br.compile_standard(mini_standard()), table)
    assert _reasons(result, "测试县") == [
        ("S1", "parent_missing", None, "parent 'S2' not found"),
        ("S2", "parent_missing", None, "parent 'S1' not found"),
    ]
    assert result.children == {}


def test_exclusions_and_merges_by_hand_across_counties() -> None:
    a = [
        school("A3", county="甲县", primary_students=50, teaching_aux_area=300),
        school("A1", county="甲县", ownership="private", primary_students=10),
        school("A2", county="甲县", primary_students=0, teaching_aux_area=10),
        school(
            "A4", county="甲县", counted_as_school=False, parent_school_id="A3", primary_students=5
        ),
    ]
    b = [
        school("B2", county="乙县", school_type="teaching_point", primary_students=8),
        school("B1", county="乙县", primary_students=40, teaching_aux_area=200),
        school(
            "B9", county="乙县", counted_as_school=False, parent_school_id="A3", primary_students=2
        ),
    ]
    table = ColumnTable.from_schools([*a, *b], check=False)
    result = evaluate_columns(br.compile_standard(mini_standard()), table)
    assert result.county_names == ["乙县", "甲县"]
    # Each county's exclusions sorted by school id: private and teaching points out
    # of scope, a school of no students, a sub-site merged into its parent, and one
    # naming a parent of another county (a parent is looked up in its own county).
    assert _reasons(result, "甲县") == [
        ("A1", "private", None, None),
        ("A2", "no_students", "primary", None),
        ("A4", "merged_into_parent", None, "A3"),
    ]
    assert _reasons(result, "乙县") == [
        ("B2", "teaching_point", None, None),
        ("B9", "parent_missing", None, "parent 'A3' not found"),
    ]
    assert result.children == {0: [3]}
    primary = result.levels["primary"]
    ids = [table.text["school_id"][row] for row in primary.rows]
    assert ids == ["B1", "A3"]  # county order (乙县 < 甲县 as sorted), then school id
    assert primary.students.tolist() == [40.0, 55.0]  # A3 with its sub-site's 5


@given(
    numerator=st.integers(0, 2**52),
    denominator=st.integers(-(2**40), 2**40).filter(bool),
    scale=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(10**6), places=4),
)
def test_a_derived_quotient_is_the_fraction_of_its_sums(
    numerator: int, denominator: int, scale: Decimal
) -> None:
    got = exact_quotient(float(numerator), float(denominator), scale)
    want = Fraction(numerator, denominator) * Fraction(scale)
    assert (got.numerator, got.denominator) == (want.numerator, want.denominator)
    assert exact_quotient(215.0, 5.0, Decimal("100")) == Fraction(4300)  # by hand: 43 per 100


def test_the_summary_names_the_failing_county_rules_found_with_the_verdicts() -> None:
    schools = [
        school("A", county="甲县", primary_students=100, teaching_aux_area=100, books=100),
        school("B", county="甲县", primary_students=100, teaching_aux_area=2000, books=9000),
        school("C", county="乙县", primary_students=100, teaching_aux_area=500, books=2000),
    ]
    table = ColumnTable.from_schools(schools)
    facts = {"甲县": {"retention_rate_junior": Decimal(90)}, "乙县": {}}
    result = evaluate_columns(br.compile_standard(mini_standard()), table, facts)
    rows = {row["county"]: row for row in result.summary()}
    # 甲县: area 1 and 20 per student, mean 10.5, S 9.5: CV 0.905 > 0.5 fails, and so
    # does the fact (90 < 95); 乙县: one school, CV 0, and no fact given.
    assert rows["甲县"]["county_rules_failed"] == "cv;fact"
    assert rows["甲县"]["verdict"] == "fail"
    assert rows["乙县"]["county_rules_failed"] == ""
    assert rows["乙县"]["verdict"] == "incomplete"
    # Without the list made with the verdicts, the summary finds the same from the findings.
    result.rules_failed = None
    assert {row["county"]: row for row in result.summary()} == rows


def test_composites_by_hand_at_the_cap_undefined_missing_and_over() -> None:
    rules = {
        **MINI["rules"],
        "comp": {
            "kind": "composite",
            "group": "main",
            "indicators": ["area", "books"],
            "max": {"primary": Decimal("0.5"), "junior": Decimal("0.45")},
            "source": {"article": "第一条"},
        },
    }
    standard = br.standard_from_mapping(mini(rules=rules))

    def two(county: str, low: dict[str, int], high: dict[str, int]) -> list[br.School]:
        return [
            school(f"{county}1", county=county, primary_students=100, **low),
            school(f"{county}2", county=county, primary_students=100, **high),
        ]

    schools = [
        # area and books 1 and 3 per student: each CV 1 / 2 = 0.5, composite 0.5 = cap.
        *two(
            "甲", {"teaching_aux_area": 100, "books": 100}, {"teaching_aux_area": 300, "books": 300}
        ),
        # no books at all: the books CV is undefined (mean 0), so is the composite.
        *two("乙", {"teaching_aux_area": 100, "books": 0}, {"teaching_aux_area": 300, "books": 0}),
        # a school without a books figure: the composite lacks that column.
        *two("丙", {"teaching_aux_area": 100}, {"teaching_aux_area": 300, "books": 300}),
        # 1 and 9 per student: mean 5, S 4, each CV 0.8: composite 0.8 > 0.5.
        *two(
            "丁", {"teaching_aux_area": 100, "books": 100}, {"teaching_aux_area": 900, "books": 900}
        ),
    ]
    result = evaluate_columns(br.compile_standard(standard), ColumnTable.from_schools(schools))
    found = {
        name: next(f for f in result.county_findings[code] if f.rule == "comp")
        for code, name in enumerate(result.county_names)
    }
    assert (found["甲"].status, found["甲"].value, found["甲"].detail) == ("pass", 0.5, None)
    assert (found["乙"].status, found["乙"].value, found["乙"].detail) == (
        "not_evaluated",
        None,
        "books",
    )
    assert found["乙"].missing == ()
    assert found["丙"].status == "not_evaluated" and found["丙"].value is None
    assert found["丙"].missing == ("books",) and found["丙"].detail is None
    assert found["丁"].status == "fail" and abs(found["丁"].value - 0.8) < 1e-12
    assert all(f.schools == 2 and f.threshold == Decimal("0.5") for f in found.values())


def test_the_core_and_the_fast_reader_run_with_the_collector_paused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[bool] = []
    levels = columnar._Evaluator.build_levels

    def build_levels(self: Any) -> Any:
        seen.append(gc.isenabled())
        return levels(self)

    monkeypatch.setattr(columnar._Evaluator, "build_levels", build_levels)
    table = ColumnTable.from_schools([school("A", primary_students=10, teaching_aux_area=50)])
    assert gc.isenabled()
    evaluate_columns(br.compile_standard(mini_standard()), table)
    assert seen == [False] and gc.isenabled()
    # The fast CSV path: the validator runs inside the pause too.
    checks: list[bool] = []
    find = columns.find_problems  # type: ignore[attr-defined]

    def find_problems(table: ColumnTable) -> Any:
        checks.append(gc.isenabled())
        return find(table)

    monkeypatch.setattr(columns, "find_problems", find_problems)
    path = tmp_path / "schools.csv"
    path.write_text("county,school_id,primary_students\n甲县,A1,500\n", encoding="utf-8")
    assert columns.read_columns(path).text["school_id"].tolist() == ["A1"]
    assert checks == [False] and gc.isenabled()
