"""Hypothesis properties of the policy logic and the arithmetic."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import balance_rules as br
from balance_rules.engine.cv import weighted_cv, weighted_cv_squared
from balance_rules.testing import check_at_least_as_strict, check_deterministic, check_equivalent

from .conftest import mini, school

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

students = st.integers(min_value=1, max_value=3000)
amounts = st.integers(min_value=0, max_value=200_000)


@st.composite
def weighted_values(draw: st.DrawFn) -> tuple[list[Fraction], list[Fraction]]:
    n = draw(st.integers(min_value=1, max_value=12))
    weights = [Fraction(draw(students)) for _ in range(n)]
    values = [Fraction(draw(amounts), int(w)) for w in weights]
    return weights, values


@SETTINGS
@given(weighted_values(), st.fractions(min_value=Fraction(1, 1000), max_value=1000), st.randoms())
def test_cv_is_invariant_to_units_and_order(
    data: tuple[list[Fraction], list[Fraction]], unit: Fraction, rnd: Any
) -> None:
    weights, values = data
    exact = weighted_cv_squared(weights, values)
    scaled = weighted_cv_squared(weights, [v * unit for v in values])
    order = list(range(len(weights)))
    rnd.shuffle(order)
    shuffled = weighted_cv_squared([weights[i] for i in order], [values[i] for i in order])
    assert exact == scaled == shuffled  # exactly equal, not approximately
    approx = weighted_cv(weights, values)
    if exact is None:
        assert approx is None
    else:
        assert approx is not None
        assert abs(approx**2 - float(exact)) <= 1e-9 * max(1.0, float(exact))


def _standard(threshold: Decimal, cap: Decimal) -> br.Standard:
    document = mini()
    document["rules"]["area_min"]["threshold"] = {"primary": threshold, "junior": threshold}
    document["rules"]["cv"]["max"] = {"primary": cap, "junior": cap}
    return br.standard_from_mapping(document)


schools_strategy = st.lists(
    st.tuples(students, st.integers(min_value=0, max_value=30_000), st.integers(0, 90_000)),
    min_size=1,
    max_size=8,
)
decimals = st.decimals(min_value=Decimal("0.1"), max_value=Decimal(20), places=2)
caps = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(2), places=3)


def _county(rows: list[tuple[int, int, int]]) -> br.County:
    return br.County(
        name="县",
        schools=[
            school(f"S{i:02d}", primary_students=p, teaching_aux_area=a, books=b)
            for i, (p, a, b) in enumerate(rows)
        ],
        facts={"retention_rate_junior": 99},
    )


@SETTINGS
@given(schools_strategy, decimals, decimals, caps, caps)
def test_tightening_never_turns_a_fail_into_a_pass(
    rows: list[tuple[int, int, int]], t1: Decimal, t2: Decimal, c1: Decimal, c2: Decimal
) -> None:
    loose = _standard(min(t1, t2), max(c1, c2))
    tight = _standard(max(t1, t2), min(c1, c2))
    check_at_least_as_strict(tight, loose, _county(rows))


@SETTINGS
@given(st.integers(1, 1000), st.integers(1, 3))
def test_a_value_exactly_at_its_threshold_meets_it(hundredths: int, multiple: int) -> None:
    """A threshold of k/100 per 100 students, met exactly by whole teachers and pupils."""
    pupils = multiple * 10000 // math.gcd(hundredths, 10000)
    teachers = hundredths * pupils // 10000
    assert Fraction(teachers * 100, pupils) == Fraction(hundredths, 100)
    document = mini()
    document["rules"] = {
        "above": {
            "kind": "school_threshold",
            "group": "main",
            "indicator": "above_100",
            "op": ">=",
            "threshold": Decimal(hundredths) / 100,
            "source": {"article": "x"},
        }
    }
    standard = br.standard_from_mapping(document)
    at = school("A", primary_students=pupils, primary_teachers_above_degree=teachers)
    short = school("B", primary_students=pupils + 1, primary_teachers_above_degree=teachers)
    result = br.evaluate(standard, br.County(name="县", schools=[at, short])).counties[0]
    status = {s.school_id: s.findings[0].status for s in result.schools}
    assert status == {"A": "pass", "B": "fail"}


@SETTINGS
@given(schools_strategy)
def test_same_input_gives_identical_json_whatever_the_school_order(
    rows: list[tuple[int, int, int]],
) -> None:
    check_deterministic(_standard(Decimal("4.5"), Decimal("0.5")), _county(rows))


_EMPTY_LAYER = (
    "format: 1\nid: test/empty\nextends: national/quality-2017\n"
    "title: {zh: 空}\nversion: '1'\nsource: {document: x}\n"
)


@settings(max_examples=25, deadline=None)
@given(schools_strategy)
def test_an_empty_layer_changes_no_result(rows: list[tuple[int, int, int]]) -> None:
    layered = br.standard_from_text(_EMPTY_LAYER, name="empty.yaml", base=Path("."))
    check_equivalent(layered, br.load_standard("national/quality-2017"), _county(rows))
