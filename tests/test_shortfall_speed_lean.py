"""The fast paths of shortfall planning (issue #13) make the same plans as the model.

- ``shortfall.lean`` plans a county's school stages from the core's arrays; the
  planner's own model (``shortfall.county``) is the reference: with the lean path
  switched off, every plan must be identical (hypothesis, several standards);
- the nation-wide least additions (``shortfall.steps``) decide a step count that
  falls on a whole number exactly, and cover combined schools' split columns;
- the verification re-evaluates the core's columns with the additions set
  (``engine.inputs.evaluate_changed``): the same as evaluating School objects with
  the plan applied.

Expectations in the single-county tests are worked out by hand in the comments.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import balance_rules as br
from balance_rules.engine.inputs import evaluate_changed, evaluate_with_result
from balance_rules.shortfall import load_costs
from balance_rules.shortfall.apply import apply_additions
from balance_rules.shortfall.lean import lean_county
from balance_rules.testing.strategies import counties
from tests.shortfall_helpers import both_standard, county, school, thresholds_standard

#: The planner module (``br.shortfall`` is a function, so no dotted path reaches it).
PLANNER = importlib.import_module("balance_rules.shortfall.planner")
QUALITY = br.load_standard("national/quality-2017")
BASIC = br.load_standard("national/basic-2012")
COSTS = load_costs("examples/costs.yaml")
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Records, per county planned, whether the lean path took it."""
    seen: list[bool] = []

    def spy(*args: Any) -> Any:
        found = lean_county(*args)
        seen.append(found is not None)
        return found

    monkeypatch.setattr(PLANNER, "lean_county", spy)
    yield seen


def _model_only(standard: br.Standard, counties: Any, costs: Any = None) -> Any:
    """The plan with the lean path switched off (every county on the model)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PLANNER, "lean_county", lambda *args: None)
        return br.shortfall(standard, counties, costs)


def _same(standard: br.Standard, group: list[br.County], costs: Any = None) -> None:
    lean = br.shortfall(standard, group, costs)
    model = _model_only(standard, group, costs)
    assert lean == model
    for a, b in zip(lean.counties, model.counties, strict=True):
        assert a.schools == b.schools and a.floor_options == b.floor_options


def _renamed(group: list[br.County]) -> list[br.County]:
    """Counties with distinct names (and so distinct school ids per county)."""
    return [br.County(name=f"县{n}", schools=c.schools, facts=c.facts) for n, c in enumerate(group)]


@FAST
@given(st.lists(counties(standard=QUALITY, sub_sites=True, max_schools=10), max_size=3))
def test_quality_lean_plans_equal_the_model(group: list[br.County]) -> None:
    _same(QUALITY, _renamed(group))


@FAST
@given(st.lists(counties(standard=QUALITY, sub_sites=True, max_schools=10), max_size=2))
def test_quality_costed_lean_plans_equal_the_model(group: list[br.County]) -> None:
    _same(QUALITY, _renamed(group), COSTS)


@FAST
@given(counties(standard=BASIC, sub_sites=True, max_schools=10))
def test_basic_lean_plans_equal_the_model(one: br.County) -> None:
    _same(BASIC, [one])


@FAST
@given(counties(standard=both_standard(), sub_sites=True, max_schools=8))
def test_thresholds_and_cv_lean_plans_equal_the_model(one: br.County) -> None:
    _same(both_standard(), [one])


def test_lean_path_plans_a_simple_county_by_hand(counted: list[bool]) -> None:
    standard = thresholds_standard()
    # 500 pupils: above-degree 18 → needs 4.2 × 500 / 100 = 21 → +3 (an upgrade: the
    # teacher total stays); area 2000 → 4.5 × 500 = 2250 → +250; equipment 999,950 →
    # 1,000,000 → +50 → one step of 100 元.
    s = school(
        "A", primary_teachers_above_degree=18, teaching_aux_area=2000, equipment_value=999950
    )
    (plan,) = br.shortfall(standard, county(s)).counties
    assert counted == [True]
    got = {(a.field, a.reason): (a.add, a.before, a.after) for a in plan.additions}
    assert got == {
        ("primary_teachers_above_degree", "threshold"): (Decimal(3), Decimal(18), Decimal(21)),
        ("teaching_aux_area", "threshold"): (Decimal(250), Decimal(2000), Decimal(2250)),
        ("equipment_value", "threshold"): (Decimal(100), Decimal(999950), Decimal(1000050)),
    }
    assert plan.verdict_after == "pass"


def test_a_whole_step_count_is_decided_exactly(counted: list[bool]) -> None:
    # "> 4.2" with exactly 21 of 500 (q = 0, a whole number): floats cannot say
    # which side; exactly, one more teacher is needed.  Area 2250 = 4.5 × 500
    # exactly: one more m² for ">"; equipment 1,000,000 = 2000 × 500: one step.
    standard = thresholds_standard(">")
    s = school(
        "A", primary_teachers_above_degree=21, teaching_aux_area=2250, equipment_value=1000000
    )
    (plan,) = br.shortfall(standard, county(s)).counties
    assert counted == [True]
    assert {a.field: a.add for a in plan.additions if a.reason == "threshold"} == {
        "primary_teachers_above_degree": 1,
        "teaching_aux_area": 1,
        "equipment_value": 100,
    }


def test_a_combined_schools_split_column_on_the_lean_path(counted: list[bool]) -> None:
    # nine-year school, 300 primary + 200 junior pupils, shares 300 : 220 of 2000 m².
    # primary: (2000 + x)·300/520 ≥ 4.5 × 300 = 1350 → x ≥ 340;
    # junior:  (2000 + x)·220/520 ≥ 5.8 × 200 = 1160 → x ≥ 741.8… → 742 (the larger).
    s = br.School(
        school_id="N",
        county="测试县",
        school_type="nine_year",
        primary_students=300,
        junior_students=200,
        primary_teachers_above_degree=30,
        junior_teachers_above_degree=30,
        teaching_aux_area=2000,
        equipment_value=2000000,
    )
    (plan,) = br.shortfall(thresholds_standard(), county(s)).counties
    assert counted == [True]
    assert [a.add for a in plan.additions if a.field == "teaching_aux_area"] == [742]


def test_costs_on_the_lean_path(counted: list[bool]) -> None:
    # 18 → 21 above-degree teachers: +3 upgrades at 8,000 元 each (examples/costs.yaml)
    s = school("A", primary_teachers_above_degree=18)
    (plan,) = br.shortfall(thresholds_standard(), county(s), COSTS).counties
    assert counted == [True]
    (item,) = plan.additions
    assert (item.add, item.cost) == (Decimal(3), Decimal(24000))
    assert plan.total_cost == Decimal(24000)


def test_changed_columns_evaluate_like_changed_schools() -> None:
    # Two schools below the area threshold: +250 m² and +500 m² (hand-computed:
    # 4.5 × 500 = 2250 against 2000 and 1750).
    a = school("A", teaching_aux_area=2000)
    b = school("B", teaching_aux_area=1750)
    one = county(a, b)
    standard = thresholds_standard()
    _report, core = evaluate_with_result(standard, [one])
    rows = {core.table.text["school_id"][r]: r for r in range(len(core.table))}
    report, _after = evaluate_changed(
        core,
        [one.name],
        {
            rows["A"]: {"teaching_aux_area": Decimal(250)},
            rows["B"]: {"teaching_aux_area": Decimal(500)},
        },
    )
    (plan,) = br.shortfall(standard, one).counties
    applied = br.evaluate(standard, apply_additions(one, plan.additions))
    assert report.counties[0].verdict == applied.counties[0].verdict == "pass"
    assert [(f.rule, f.status) for s in report.counties[0].schools for f in s.findings] == [
        (f.rule, f.status) for s in applied.counties[0].schools for f in s.findings
    ]
    # the core's own table is not changed
    assert core.table.numbers["teaching_aux_area"][rows["A"]] == 2000


def _one_shot(standard: br.Standard, one: br.County) -> list[Any]:
    """The county planned in one go on the model: every round of water-filling
    in the model, no core re-evaluation between rounds (the order before #13)."""
    from balance_rules.engine.inputs import county_sites, indicator_values
    from balance_rules.shortfall.steps import k_of_n_choices, threshold_steps
    from balance_rules.standard.model import SchoolKOfN

    report, core = evaluate_with_result(standard, [one])
    values = {
        level: {
            name: found.tolist()
            for name in standard.indicators
            if (found := indicator_values(core, name, level)) is not None
        }
        for level in core.levels
    }
    deciding = [r for r in standard.rules.values() if core.plan.decides[r.id]]
    thresholds = threshold_steps(core, standard, PLANNER._deciding_thresholds(core.plan))
    choices = k_of_n_choices(core, standard, [r for r in deciding if isinstance(r, SchoolKOfN)])
    _planner, additions = PLANNER._plan(
        standard,
        county_sites(core, 0),
        report.counties[0],
        None,
        core,
        values,
        thresholds[0],
        choices[0],
    )
    return list(additions)


@FAST
@given(counties(standard=both_standard("0.2"), sub_sites=True, max_schools=10))
def test_water_filling_checked_by_the_core_between_rounds_plans_the_same(
    one: br.County,
) -> None:
    # A tight cap (0.2) makes most counties water-fill; the plan made with the
    # core's re-evaluation between rounds equals the one made in one go.
    standard = both_standard("0.2")
    (plan,) = br.shortfall(standard, one).counties
    if plan.verdict_before == "pass":
        return
    assert list(plan.additions) == _one_shot(standard, one)
