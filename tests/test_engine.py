"""Scope, sub-site merging, k-of-n, county facts, vetoes, missing data, verdicts."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import balance_rules as br
from balance_rules.sections import merge_sub_sites

from .conftest import mini_standard, school

# A school meeting every 2017 resource threshold comfortably (primary, 1000 students).
GOOD_PRIMARY: dict[str, Any] = {
    "primary_students": 1000,
    "primary_teachers_above_degree": 50,  # 5.0 per 100 (≥ 4.2)
    "primary_backbone_teachers": 15,  # 1.5 (≥ 1.0)
    "primary_pe_art_teachers": 12,  # 1.2 (≥ 0.9)
    "teaching_aux_area": 5000,  # 5.0 (≥ 4.5)
    "sports_area": 9000,  # 9.0 (≥ 7.5)
    "equipment_value": 2500000,  # 2500 (≥ 2000)
    "multimedia_rooms": 30,  # 3.0 (≥ 2.3)
}


def _findings(report: br.Report, school_id: str, rule: str) -> list[br.Finding]:
    return [
        f
        for s in report.counties[0].schools
        if s.school_id == school_id
        for f in s.findings
        if f.rule == rule
    ]


def test_every_school_is_evaluated_or_excluded_with_a_reason() -> None:
    schools = [
        school("P1", primary_students=100, teaching_aux_area=500, books=1),
        school("PRIV", ownership="private", primary_students=100, teaching_aux_area=500),
        school("TP", school_type="teaching_point", primary_students=20, parent_school_id="P1"),
        school(
            "SUB",
            counted_as_school=False,
            parent_school_id="P1",
            primary_students=50,
            teaching_aux_area=100,
            books=2,
        ),
        school("J0", school_type="nine_year", primary_students=80, junior_students=0),
    ]
    report = br.evaluate(mini_standard(), br.County(name="县", schools=schools))
    county = report.counties[0]
    evaluated = {(s.school_id, s.level) for s in county.schools}
    excluded = {(e.school_id, e.level): e.reason for e in county.excluded}
    assert evaluated == {("P1", "primary"), ("J0", "primary")}
    assert excluded == {
        ("PRIV", None): "private",
        ("TP", None): "teaching_point",
        ("SUB", None): "merged_into_parent",
        ("J0", "junior"): "no_students",
    }
    every_id = {s.school_id for s in schools}
    assert every_id == {i for i, _ in evaluated} | {i for i, _ in excluded}


def test_sub_site_is_merged_before_any_ratio() -> None:
    parent = school("P", primary_students=100, teaching_aux_area=300, books=1000)
    sub = school(
        "S",
        counted_as_school=False,
        parent_school_id="P",
        primary_students=50,
        teaching_aux_area=450,
        books=500,
    )
    report = br.evaluate(mini_standard(), br.County(name="县", schools=[parent, sub]))
    (section,) = report.counties[0].schools
    assert section.students == 150
    assert section.merged == ("S",)
    (area,) = [f for f in section.findings if f.rule == "area_min"]
    # (300 + 450) / (100 + 50) = 5, not the mean of 3 and 9.
    assert area.value == Fraction(5)
    assert area.status == "pass"


def test_sub_site_merge_keeps_the_largest_class() -> None:
    parent = school("P", primary_students=100, primary_max_class_size=44)
    sub = school(
        "S",
        counted_as_school=False,
        parent_school_id="P",
        primary_students=30,
        primary_max_class_size=30,
    )
    schools, excluded = merge_sub_sites([parent, sub])
    assert schools[0].primary_max_class_size == 44
    assert schools[0].primary_students == 130
    assert [(e.school_id, e.reason, e.detail) for e in excluded] == [
        ("S", "merged_into_parent", "P")
    ]


def test_missing_value_is_not_evaluated_and_names_the_column() -> None:
    schools = [
        school("A", primary_students=100, teaching_aux_area=500, books=100),
        school("B", primary_students=100, books=100),  # area blank: missing, not zero
    ]
    county = br.County(name="县", schools=schools, facts={"retention_rate_junior": 99})
    report = br.evaluate(mini_standard(), county)
    (finding,) = _findings(report, "B", "area_min")
    assert finding.status == "not_evaluated"
    assert finding.missing == ("teaching_aux_area",)
    assert finding.value is None
    cv = next(f for f in report.counties[0].findings if f.rule == "cv" and f.indicator == "area")
    assert cv.status == "not_evaluated"
    assert cv.missing_at == ("B",)
    assert report.counties[0].verdict == "incomplete"
    assert not report.passed


def test_missing_fact_makes_the_county_incomplete_not_passing() -> None:
    schools = [school("A", primary_students=100, teaching_aux_area=500, books=100)]
    report = br.evaluate(mini_standard(), br.County(name="县", schools=schools))
    fact = next(f for f in report.counties[0].findings if f.rule == "fact")
    assert fact.status == "not_evaluated"
    assert fact.missing == ("retention_rate_junior",)
    assert report.counties[0].verdict == "incomplete"


def test_a_failure_outranks_missing_data() -> None:
    schools = [school("A", primary_students=100, teaching_aux_area=100, books=100)]  # 1 < 4.5
    report = br.evaluate(mini_standard(), br.County(name="县", schools=schools))
    assert report.counties[0].verdict == "fail"


def _quality_school(school_id: str, **changes: Any) -> br.School:
    return school(school_id, **{**GOOD_PRIMARY, **changes})


def test_six_of_seven_with_the_unmet_one_at_85_percent_passes(quality: br.Standard) -> None:
    # Sports area 6.375 = 85 % of 7.5 exactly: unmet, but at the floor.
    report = br.evaluate(
        quality, br.County(name="县", schools=[_quality_school("A", sports_area=6375)])
    )
    (k,) = _findings(report, "A", "resource_school_6_of_7")
    assert (k.met, k.of, k.status) == (6, 7, "pass")
    assert k.lowest_rule == "sports_area_per_student"
    assert k.lowest_ratio == 0.85  # 6.375 / 7.5 (a display float; the floor test is exact)
    (sports,) = _findings(report, "A", "sports_area_per_student")
    assert sports.status == "fail"
    assert sports.decides is False  # counted inside the 6-of-7 rule, not on its own


def test_six_of_seven_below_the_floor_fails(quality: br.Standard) -> None:
    report = br.evaluate(
        quality, br.County(name="县", schools=[_quality_school("A", sports_area=6374)])
    )
    (k,) = _findings(report, "A", "resource_school_6_of_7")
    assert k.status == "fail"
    assert report.counties[0].schools[0].passed is False


def test_two_unmet_fail_even_when_both_are_near(quality: br.Standard) -> None:
    report = br.evaluate(
        quality,
        br.County(name="县", schools=[_quality_school("A", sports_area=7400, multimedia_rooms=22)]),
    )
    (k,) = _findings(report, "A", "resource_school_6_of_7")
    assert (k.met, k.status) == (5, "fail")


def test_k_of_n_with_unknown_member(quality: br.Standard) -> None:
    # One member unknown, the other six met: cannot tell.
    report = br.evaluate(
        quality, br.County(name="县", schools=[_quality_school("A", sports_area=None)])
    )
    (k,) = _findings(report, "A", "resource_school_6_of_7")
    assert k.status == "not_evaluated"
    assert k.missing == ("sports_area",)
    # One unknown and two unmet: fails whatever the unknown is.
    report = br.evaluate(
        quality,
        br.County(
            name="县",
            schools=[_quality_school("A", sports_area=None, multimedia_rooms=1, equipment_value=1)],
        ),
    )
    (k,) = _findings(report, "A", "resource_school_6_of_7")
    assert k.status == "fail"


def test_threshold_by_school_type(quality: br.Standard) -> None:
    nine = school(
        "N",
        school_type="nine_year",
        primary_students=1500,
        junior_students=900,  # 2400 ≤ 2500 for a nine-year school
    )
    plain = school("P", primary_students=2100)  # > 2000 for a primary school
    report = br.evaluate(quality, br.County(name="县", schools=[nine, plain]))
    sizes = {
        (s.school_id, s.level): f
        for s in report.counties[0].schools
        for f in s.findings
        if f.rule == "school_size"
    }
    assert sizes[("N", "primary")].status == "pass"
    assert sizes[("N", "primary")].threshold == Decimal(2500)
    assert sizes[("N", "primary")].value == 2400
    assert sizes[("P", "primary")].status == "fail"
    assert sizes[("P", "primary")].threshold == Decimal(2000)


def test_threshold_by_location_with_default() -> None:
    standard = mini_standard(
        rules={
            "area_min": {
                "kind": "school_threshold",
                "group": "main",
                "indicator": "area",
                "op": ">=",
                "threshold": {"by": "location", "primary": {"urban": 4, "default": 6}},
                "levels": ["primary"],
                "source": {"article": "x"},
            }
        }
    )
    schools = [
        school("U", location="urban", primary_students=100, teaching_aux_area=500),
        school("R", location="rural", primary_students=100, teaching_aux_area=500),
        school("X", primary_students=100, teaching_aux_area=500),  # no location: default
    ]
    report = br.evaluate(standard, br.County(name="县", schools=schools))
    status = {
        s.school_id: (s.findings[0].status, s.findings[0].threshold)
        for s in report.counties[0].schools
    }
    assert status == {
        "U": ("pass", Decimal(4)),
        "R": ("fail", Decimal(6)),
        "X": ("fail", Decimal(6)),
    }


def _facts(**changes: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "exam_admission": False,
        "illegal_school_choice": False,
        "key_schools_or_classes": False,
        "satisfaction_rate": 90,
    }
    facts.update(changes)
    return facts


def test_veto_fails_the_county_and_says_so(quality: br.Standard) -> None:
    county = br.County(
        name="县", schools=[_quality_school("A")], facts=_facts(key_schools_or_classes=True)
    )
    result = br.evaluate(quality, county).counties[0]
    veto = next(f for f in result.findings if f.rule == "key_schools_or_classes")
    assert veto.status == "fail"
    assert veto.veto
    assert result.verdict == "fail"
    assert result.vetoed


def test_social_recognition_below_85_is_a_veto(quality: br.Standard) -> None:
    county = br.County(
        name="县", schools=[_quality_school("A")], facts=_facts(satisfaction_rate=84.9)
    )
    result = br.evaluate(quality, county).counties[0]
    assert result.vetoed
    county = br.County(
        name="县", schools=[_quality_school("A")], facts=_facts(satisfaction_rate=85)
    )
    finding = next(
        f
        for f in br.evaluate(quality, county).counties[0].findings
        if f.rule == "social_recognition"
    )
    assert finding.status == "pass"


def test_certified_teacher_rate_is_derived_from_schools_when_not_given(
    quality: br.Standard,
) -> None:
    schools = [
        _quality_school("A", primary_teachers=60, primary_certified_teachers=60),
        _quality_school("B", primary_teachers=40, primary_certified_teachers=39),
    ]
    result = br.evaluate(quality, br.County(name="县", schools=schools)).counties[0]
    finding = next(f for f in result.findings if f.rule == "certified_teachers")
    assert finding.derived
    assert finding.value == Fraction(99)
    assert finding.status == "fail"
    # A supplied fact wins over the derivation.
    given = br.County(name="县", schools=schools, facts={"certified_teacher_rate": 100})
    finding = next(
        f
        for f in br.evaluate(quality, given).counties[0].findings
        if f.rule == "certified_teachers"
    )
    assert (finding.derived, finding.status) == (False, "pass")


def test_findings_carry_their_reason(quality: br.Standard) -> None:
    report = br.evaluate(quality, br.County(name="县", schools=[_quality_school("A")]))
    (finding,) = _findings(report, "A", "above_degree_teachers_per_100")
    assert finding.indicator == "above_degree_teachers_per_100"
    assert finding.value == Fraction(5)
    assert finding.op == ">="
    assert finding.threshold == Decimal("4.2")
    assert finding.status == "pass"
    assert finding.source.document == "教督〔2017〕6号"
    assert finding.source.article
    assert finding.layer == "national/quality-2017"


def test_informational_composite_does_not_decide(quality: br.Standard) -> None:
    report = br.evaluate(
        quality,
        br.County(
            name="县", schools=[_quality_school("A"), _quality_school("B", sports_area=12000)]
        ),
    )
    composite = [c for c in report.counties[0].coefficients if c.indicator == "composite"]
    assert composite and all(c.max is None and c.passed is None for c in composite)
    findings = [f for f in report.counties[0].findings if f.rule == "resource_composite"]
    assert findings and not any(f.decides for f in findings)


def test_zero_mean_cv_is_undefined_not_zero() -> None:
    schools = [
        school("A", primary_students=100, teaching_aux_area=500, books=0),
        school("B", primary_students=200, teaching_aux_area=900, books=0),
    ]
    report = br.evaluate(mini_standard(), br.County(name="县", schools=schools))
    books = next(c for c in report.counties[0].coefficients if c.indicator == "books")
    assert books.value is None
    assert books.passed is None
    finding = next(f for f in report.counties[0].findings if f.indicator == "books")
    assert finding.status == "not_evaluated"
    assert finding.undefined


def test_counties_are_evaluated_separately_and_sorted() -> None:
    a = br.County(
        name="乙县", schools=[school("A", primary_students=100, teaching_aux_area=900, books=5)]
    )
    b = br.County(
        name="甲县", schools=[school("B", primary_students=100, teaching_aux_area=100, books=5)]
    )
    report = br.evaluate(mini_standard(), [a, b])
    assert [c.county for c in report.counties] == sorted(["乙县", "甲县"])
    verdicts = {c.county: c.verdict for c in report.counties}
    assert verdicts["甲县"] == "fail"
    assert verdicts["乙县"] == "incomplete"  # no retention fact
