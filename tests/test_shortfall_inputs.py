"""What the planner reads from the evaluation core (engine/inputs.py), hand-computed."""

from __future__ import annotations

import math
from fractions import Fraction

import balance_rules as br
from balance_rules.engine.inputs import (
    county_sites,
    evaluate_with_result,
    failing_rules,
    indicator_values,
)
from tests.shortfall_helpers import county, school, thresholds_standard


def _county() -> br.County:
    return county(
        # P and its sub-site P-2: 600 pupils, 2,400 m² once merged (4.0 m² a pupil)
        school("P", 500, teaching_aux_area=2000),
        school("P-2", 100, teaching_aux_area=400, counted_as_school=False, parent_school_id="P"),
        # a nine-year school: weighted pupils 300 × 1 and 200 × 1.1, so the primary
        # section has 300/520 = 15/26 of its 2,600 m² (1,500 m², 5.0 a pupil) and the
        # junior section 11/26 (1,100 m², 5.5 a pupil: below 5.8)
        school(
            "N",
            300,
            school_type="nine_year",
            junior_students=200,
            junior_teachers=20,
            junior_teachers_above_degree=20,
            teaching_aux_area=2600,
            equipment_value=1_250_000,
        ),
        # private: out of scope
        school("X", 100, teaching_aux_area=10, ownership="private"),
    )


def test_sites_are_the_cores_merged_in_scope_schools() -> None:
    _report, core = evaluate_with_result(thresholds_standard(), [_county()])
    sites = county_sites(core, 0)
    assert [s.school.school_id for s in sites] == ["P", "N"]
    p, n = sites
    assert p.school.primary_students == 600
    assert p.school.teaching_aux_area == 2400
    assert p.shares == {"primary": Fraction(1)}
    assert n.shares == {"primary": Fraction(15, 26), "junior": Fraction(11, 26)}
    assert [level for level, _ in n.sections] == ["primary", "junior"]


def test_indicator_values_are_per_section() -> None:
    _report, core = evaluate_with_result(thresholds_standard(), [_county()])
    sites = {s.school.school_id: s for s in county_sites(core, 0)}
    primary = indicator_values(core, "teaching_aux_area_per_student", "primary")
    junior = indicator_values(core, "teaching_aux_area_per_student", "junior")
    assert primary is not None and junior is not None
    p_index = dict(sites["P"].sections)["primary"]
    n_primary = dict(sites["N"].sections)["primary"]
    n_junior = dict(sites["N"].sections)["junior"]
    assert math.isclose(primary[p_index], 4.0)
    assert math.isclose(primary[n_primary], 5.0)
    assert math.isclose(junior[n_junior], 5.5)


def test_failing_rules_name_each_failing_section() -> None:
    _report, core = evaluate_with_result(thresholds_standard(), [_county()])
    assert sorted(failing_rules(core)[0]) == [
        ("area", "N", "junior"),
        ("area", "P", "primary"),
    ]


def test_the_plan_fills_exactly_those_gaps() -> None:
    plan = br.shortfall(thresholds_standard(), _county())
    (only,) = plan.counties
    added = {(a.school_id, a.field): a.add for a in only.additions}
    # P: 4.5 × 600 − 2,400 = 300 m².  N junior: 5.8 × 200 = 1,160 m² for its 11/26
    # share, so the school needs 1,160 × 26/11 = 2,741.8… → 2,742 m², i.e. 142 more.
    assert added == {("P", "teaching_aux_area"): 300, ("N", "teaching_aux_area"): 142}
    assert only.verdict_after == "pass"
