"""The core (br.evaluate, and so every output format) agrees with the plain oracle.

tests/oracle is an independent evaluator in exact Fractions, one school at a
time; these property tests compare every section's status for every rule, every
CV and composite, every county fact, the exclusions and the verdict, over
generated counties with values at and next to every threshold, sub-sites,
combined schools and missing cells, for every bundled standard (national and
provincial).
"""

from __future__ import annotations

import math
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import balance_rules as br
from balance_rules.data.fields import COMBINED_TYPES
from balance_rules.testing.strategies import counties

from . import oracle

STANDARDS = {name: br.load_standard(name) for name in br.bundled_ids()}


def _blank_some(draw: st.DrawFn, county: br.County) -> br.County:
    """Blank a few numeric cells (missing data is never zero).

    A combined school keeps its junior student count: without it the school is
    refused by the validator, by the library as by the command
    (tests/test_validate_entrypoints.py), so there is nothing to agree on.
    """
    schools = list(county.schools)
    fields = ("teaching_aux_area", "books", "primary_teachers_above_degree", "junior_students")
    for index in range(len(schools)):
        if draw(st.integers(min_value=0, max_value=5)) == 0:
            field = draw(st.sampled_from(fields))
            if field == "junior_students" and schools[index].school_type in COMBINED_TYPES:
                continue
            changes: dict[str, Any] = {field: None}
            schools[index] = attrs.evolve(schools[index], **changes)
    return attrs.evolve(county, schools=tuple(schools))


@st.composite
def cases(draw: st.DrawFn) -> tuple[br.Standard, br.County]:
    standard = STANDARDS[draw(st.sampled_from(sorted(STANDARDS)))]
    county = draw(counties(standard=standard, sub_sites=True, max_schools=10))
    if draw(st.booleans()):
        county = _blank_some(draw, county)
    return standard, county


def assert_agrees(standard: br.Standard, county: br.County) -> None:
    expected = oracle.evaluate(standard, county)
    (got,) = br.evaluate(standard, county).counties
    assert [(s.school_id, s.level) for s in got.schools] == list(expected.sections)
    statuses = {(s.school_id, s.level, f.rule): f.status for s in got.schools for f in s.findings}
    assert statuses == {(f.school_id, f.level, f.rule): f.status for f in expected.school_findings}
    values: dict[tuple[Any, ...], Any] = {
        (s.school_id, s.level, f.rule): f.value for s in got.schools for f in s.findings
    }
    for finding in expected.school_findings:
        value = values[(finding.school_id, finding.level, finding.rule)]
        if finding.status == "not_evaluated":
            continue  # the value shown then is whatever could be computed, if anything
        if finding.value is None:
            assert value is None
        else:
            assert math.isclose(float(value), float(finding.value), rel_tol=1e-12, abs_tol=1e-12)
    county_statuses = {(f.rule, f.level, f.indicator or f.fact): f.status for f in got.findings}
    assert county_statuses == {
        (f.rule, f.level, f.indicator): f.status for f in expected.county_findings
    }
    shown: dict[tuple[Any, ...], Any] = {
        (f.rule, f.level, f.indicator or f.fact): f.value for f in got.findings
    }
    for finding in expected.county_findings:
        value = shown[(finding.rule, finding.level, finding.indicator)]
        rule = standard.rules[finding.rule]
        if rule.kind == "coefficients" and finding.value is not None:
            assert value is not None
            assert math.isclose(value, math.sqrt(finding.value), rel_tol=1e-9, abs_tol=1e-12)
        elif rule.kind == "composite" and finding.value is not None:
            assert math.isclose(value, finding.value, rel_tol=1e-9, abs_tol=1e-12)
    assert sorted((e.school_id, e.reason, e.level) for e in got.excluded) == sorted(
        expected.excluded, key=lambda e: (e[0], e[1], e[2] or "")
    )
    assert got.verdict == expected.verdict


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_core_agrees_with_the_oracle(case: tuple[br.Standard, br.County]) -> None:
    assert_agrees(*case)


def test_a_school_exactly_at_every_kind_of_threshold() -> None:
    # Hand-checked: 21 / 500 × 100 = 4.2 exactly meets "≥ 4.2"; 6.375 / 7.5 = 85 %.
    standard = STANDARDS["national/quality-2017"]
    county = br.County(
        name="县",
        schools=[
            br.School(
                school_id="A", school_type="primary", primary_students=500,
                primary_teachers_above_degree=21, primary_backbone_teachers=5,
                primary_pe_art_teachers=5, teaching_aux_area=2250, sports_area=3187.5,
                equipment_value=1000000, multimedia_rooms=12,
            ),
            br.School(
                school_id="B", school_type="nine_year", primary_students=300,
                junior_students=200, primary_teachers_above_degree=13,
                junior_teachers_above_degree=11, teaching_aux_area=3000, books=12000,
            ),
            br.School(school_id="B-1", counted_as_school=False, parent_school_id="B",
                      primary_students=20, teaching_aux_area=100),
        ],
    )  # fmt: skip
    assert_agrees(standard, county)
    (got,) = br.evaluate(standard, county).counties
    a = {f.rule: f for s in got.schools if s.school_id == "A" for f in s.findings}
    assert a["above_degree_teachers_per_100"].status == "pass"
    assert a["resource_school_6_of_7"].lowest_ratio == 0.85
