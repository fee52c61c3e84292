"""Per-school thresholds: the least whole-step addition, exact (hand-computed)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

import balance_rules as br
from balance_rules.shortfall.thresholds import least_addition, round_up
from tests.shortfall_helpers import county, school, thresholds_standard


def _need(
    numerator: str,
    den: int,
    threshold: str,
    op: str = ">=",
    scale: int = 100,
    share: Fraction = Fraction(1),
    step: int = 1,
) -> Fraction:
    return least_addition(
        numerator=Fraction(Decimal(numerator)),
        denominator=Fraction(den),
        scale=Fraction(scale),
        threshold=Fraction(Decimal(threshold)),
        op=op,
        share=share,
        step=Fraction(step),
    )


def test_exactly_at_threshold_needs_nothing() -> None:
    # 21 / 500 × 100 = 4.2 exactly: meets ">= 4.2"
    assert _need("21", 500, "4.2") == 0


def test_one_step_below_needs_one_step() -> None:
    assert _need("20", 500, "4.2") == 1
    # equipment: 500 pupils at 2000 yuan need 1,000,000; 999,900 is one 100-yuan step short
    assert _need("999900", 500, "2000", scale=1, step=100) == 100
    assert _need("999901", 500, "2000", scale=1, step=100) == 100
    assert _need("1000000", 500, "2000", scale=1, step=100) == 0


def test_strictly_greater_needs_one_more_step_at_the_threshold() -> None:
    assert _need("21", 500, "4.2", op=">") == 1
    assert _need("20", 500, "4.2", op=">") == 2
    assert _need("22", 500, "4.2", op=">") == 0


def test_no_float_error_at_point_one_plus_point_two() -> None:
    # 0.3 m² per pupil for 10 pupils: 3 m² meets it exactly; floats would ask for 1 more
    assert _need("3", 10, "0.3", scale=1) == 0
    assert _need(str(Decimal("0.1") + Decimal("0.2")), 1, "0.3", scale=1) == 0


def test_round_up() -> None:
    assert round_up(Fraction(0), Fraction(1)) == 0
    assert round_up(Fraction(0), Fraction(1), strict=True) == 1
    assert round_up(Fraction(-5), Fraction(1), strict=True) == 0
    assert round_up(Fraction(201), Fraction(100)) == 300


def test_planner_hand_computed_single_school() -> None:
    standard = thresholds_standard()
    # 500 pupils, 18 above degree (3.6 < 4.2 → need 21: +3), area 2000 (4.0 < 4.5 → +250),
    # equipment 999,950 (< 1,000,000 → +100: one step of 100 yuan)
    s = school(
        "A", primary_teachers_above_degree=18, teaching_aux_area=2000, equipment_value=999950
    )
    plan = br.shortfall(standard, county(s))
    (c,) = plan.counties
    assert c.verdict_before == "fail" and c.verdict_after == "pass"
    got = {(a.field, a.reason): a.add for a in c.additions}
    assert got[("primary_teachers_above_degree", "threshold")] == 3
    assert got[("teaching_aux_area", "threshold")] == 250
    assert got[("equipment_value", "threshold")] == 100
    area = next(a for a in c.additions if a.field == "teaching_aux_area")
    assert (area.before, area.after, area.level, area.unit) == (
        Decimal(2000),
        Decimal(2250),
        None,
        "平方米",
    )
    upgrade = next(a for a in c.additions if a.field == "primary_teachers_above_degree")
    assert upgrade.level == "primary" and upgrade.mode == "upgrade"


def test_strict_operator_in_the_planner() -> None:
    standard = thresholds_standard(">")
    # exactly at every threshold: ">" fails each by a hair, one step each fixes it
    s = school(
        "A", primary_teachers_above_degree=21, teaching_aux_area=2250, equipment_value=1000000
    )
    (c,) = br.shortfall(standard, county(s)).counties
    got = {a.field: a.add for a in c.additions if a.reason == "threshold"}
    assert got == {
        "primary_teachers_above_degree": 1,
        "teaching_aux_area": 1,
        "equipment_value": 100,
    }
    assert c.verdict_after == "pass"


def test_combined_school_takes_the_largest_section_requirement() -> None:
    standard = thresholds_standard()
    # nine-year school, 300 primary + 200 junior pupils, 2000 m² split 300 : 220.
    # primary needs (2000 + x)·300/520 ≥ 1350 → x ≥ 340;
    # junior needs (2000 + x)·220/520 ≥ 1160 → x ≥ 741.8… → 742 (the larger)
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
    (c,) = br.shortfall(standard, county(s)).counties
    area = [a for a in c.additions if a.field == "teaching_aux_area"]
    assert [a.add for a in area] == [742]
    assert c.verdict_after == "pass"


def test_sub_site_is_merged_and_the_addition_belongs_to_the_parent() -> None:
    standard = thresholds_standard()
    # parent 400 pupils 1600 m², sub-site 100 pupils 400 m²: merged 500 pupils 2000 m²
    # → needs 2250: +250 on the parent (each alone would look different)
    parent = school("P", students=400, teaching_aux_area=1600)
    child = school(
        "P-2", students=100, teaching_aux_area=400, counted_as_school=False, parent_school_id="P"
    )
    (c,) = br.shortfall(standard, county(parent, child)).counties
    area = [a for a in c.additions if a.field == "teaching_aux_area"]
    assert [(a.school_id, a.add) for a in area] == [("P", Decimal(250))]
    assert c.verdict_after == "pass"


def test_passing_county_gets_an_empty_plan() -> None:
    plan = br.shortfall(thresholds_standard(), county(school("A"), school("B")))
    (c,) = plan.counties
    assert c.verdict_before == c.verdict_after == "pass"
    assert c.additions == () and c.totals == ()


def test_zero_denominator_is_not_plannable_with_the_reason() -> None:
    standard = thresholds_standard()
    # a school whose pupils are unknown: listed, never divided by
    s = school("Z", teaching_aux_area=100)
    s2 = br.School(
        school_id="M",
        county="测试县",
        school_type="primary",
        primary_students=None,
        teaching_aux_area=10,
        primary_teachers_above_degree=1,
        equipment_value=1,
    )
    (c,) = br.shortfall(standard, county(s, s2)).counties
    reasons = {(n.school_id, n.rule): n.reason for n in c.not_plannable}
    assert "missing" in reasons[("M", "area")]
    assert any(a.school_id == "Z" for a in c.additions)
    assert c.verdict_after == "incomplete"


def test_report_is_refused_without_the_counties() -> None:
    standard = thresholds_standard()
    report = br.evaluate(standard, county(school("A")))
    with pytest.raises(TypeError, match="counties"):
        br.shortfall(standard, report)
    plan = br.shortfall(standard, county(school("A")), report=report)
    assert plan.counties[0].verdict_before == "pass"


def test_zero_classes_is_not_plannable_never_a_division() -> None:
    standard = br.load_standard("national/quality-2017")
    s = br.School(
        school_id="Z", county="测试县", school_type="primary", primary_students=300,
        primary_classes=0, primary_teachers=30, music_rooms=0, art_rooms=0,
    )  # fmt: skip
    (c,) = br.shortfall(standard, br.County(name="测试县", schools=[s])).counties
    reasons = {(n.rule, n.school_id): n.reason for n in c.not_plannable}
    assert reasons[("music_rooms", "Z")] == "school_classes = 0"
    assert reasons[("art_rooms", "Z")] == "school_classes = 0"
    assert not any(a.field in ("music_rooms", "art_rooms") for a in c.additions)
