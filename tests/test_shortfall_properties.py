"""Properties: every plan passes re-evaluation, no step is wasted, passing → empty."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import balance_rules as br
from balance_rules.shortfall import load_costs
from balance_rules.shortfall.apply import apply_additions
from balance_rules.shortfall.resources import RESOURCES
from balance_rules.shortfall.waterfill import water_level
from balance_rules.testing.strategies import counties
from tests.shortfall_helpers import cv_standard, school, thresholds_standard

QUALITY = br.load_standard("national/quality-2017")
BASIC = br.load_standard("national/basic-2012")
THRESHOLDS = thresholds_standard()
BOOKS_CV = cv_standard("0.25")
COSTS = load_costs("examples/costs.yaml")

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _failing_after(standard: br.Standard, county: br.County, plan: object) -> list[str]:
    (county_plan,) = plan.counties  # type: ignore[attr-defined]
    after = br.evaluate(standard, apply_additions(county, county_plan.additions)).counties[0]
    assert after.verdict == county_plan.verdict_after
    refused = {n.rule for n in county_plan.not_plannable}
    bad = [
        f.rule
        for f in after.all_findings()
        if f.decides and f.status == "fail" and f.rule not in refused
    ]
    return bad


@FAST
@given(counties(standard=QUALITY, sub_sites=True, max_schools=8))
def test_quality_plan_always_passes_what_it_plans(county: br.County) -> None:
    plan = br.shortfall(QUALITY, county)
    assert _failing_after(QUALITY, county, plan) == []
    if plan.counties[0].verdict_before == "pass":
        assert plan.counties[0].additions == ()


@FAST
@given(counties(standard=QUALITY, sub_sites=True, max_schools=8))
def test_quality_costed_plan_passes_what_it_plans(county: br.County) -> None:
    plan = br.shortfall(QUALITY, county, COSTS)
    assert _failing_after(QUALITY, county, plan) == []
    (county_plan,) = plan.counties
    costs = [a.cost for a in county_plan.additions if a.cost is not None]
    assert county_plan.total_cost == (sum(costs, Decimal(0)) if county_plan.additions else None)


@FAST
@given(counties(standard=BASIC, sub_sites=True, max_schools=8))
def test_basic_2012_composite_plan_passes(county: br.County) -> None:
    plan = br.shortfall(BASIC, county)
    assert _failing_after(BASIC, county, plan) == []
    # with costs the composite is met by the costed method (or the common level)
    costed = br.shortfall(BASIC, county, COSTS)
    assert _failing_after(BASIC, county, costed) == []
    for change in costed.counties[0].coefficients:
        assert (
            change.method is None
            or "composite" in change.method
            or (change.method == "water-filling")
        )


_values = st.tuples(
    st.integers(min_value=20, max_value=900),  # pupils
    st.integers(min_value=0, max_value=60),  # above-degree teachers
    st.integers(min_value=0, max_value=6000),  # m²
    st.integers(min_value=0, max_value=2_000_000),  # yuan
)


@FAST
@given(st.lists(_values, min_size=1, max_size=5))
def test_thresholds_plan_passes_and_no_step_is_wasted(rows: list[tuple[int, ...]]) -> None:
    county = br.County(
        name="测试县",
        schools=[
            school(f"S{i}", p, primary_teachers_above_degree=t, teaching_aux_area=a,
                   equipment_value=e)
            for i, (p, t, a, e) in enumerate(rows)
        ],
    )  # fmt: skip
    plan = br.shortfall(THRESHOLDS, county)
    (county_plan,) = plan.counties
    assert county_plan.verdict_after == "pass"
    if county_plan.verdict_before == "pass":
        assert county_plan.additions == ()
    for item in county_plan.additions:
        if item.reason != "threshold":
            continue
        step = RESOURCES[item.field.removeprefix("primary_")].step
        less = attrs.evolve(item, add=item.add - Decimal(step.numerator) / step.denominator)
        others = [a for a in county_plan.additions if a is not item]
        result = br.evaluate(THRESHOLDS, apply_additions(county, [*others, less]))
        assert result.counties[0].verdict == "fail", item


@FAST
@given(
    st.lists(
        st.tuples(st.integers(min_value=10, max_value=500), st.integers(min_value=1, max_value=60)),
        min_size=2,
        max_size=6,
    )
)
def test_cv_plan_is_within_one_step_per_school_of_the_least(rows: list[tuple[int, int]]) -> None:
    county = br.County(
        name="测试县", schools=[school(f"S{i}", p, books=p * b) for i, (p, b) in enumerate(rows)]
    )
    (county_plan,) = br.shortfall(BOOKS_CV, county).counties
    assert county_plan.verdict_after == "pass"
    weights = [Fraction(p) for p, _b in rows]
    values = [Fraction(b) for _p, b in rows]
    t = water_level(weights, values, Fraction(1, 4))
    if t is None:
        assert county_plan.additions == ()
        return
    least = sum(
        (p * max(t - v, Fraction(0)) for p, v in zip(weights, values, strict=True)), Fraction(0)
    )
    total = sum((Fraction(a.add) for a in county_plan.additions), Fraction(0))
    assert least <= total <= least + len(rows)
