"""One county's year reduced to what monitoring compares (:class:`CountyYear`)."""

from __future__ import annotations

from ..report import CountyResult, Report, SchoolResult
from .model import CountyYear, CVPoint, SectionState

__all__ = ["county_year", "report_years"]


def _section(school: SchoolResult) -> SectionState:
    failing: dict[str, None] = {}
    k_rule = None
    k_passed: bool | None = None
    met = of = None
    for finding in school.findings:
        if finding.kind == "school_k_of_n" and k_rule is None:
            k_rule = finding.rule
            k_passed = None if finding.status == "not_evaluated" else finding.status == "pass"
            met, of = finding.met, finding.of
        if finding.status != "fail":
            continue
        if finding.kind == "school_threshold":
            failing[finding.indicator or finding.rule] = None
        elif finding.decides and finding.kind != "school_k_of_n":
            failing[finding.rule] = None
    return SectionState(
        school_id=school.school_id,
        name=school.name,
        school_type=school.school_type,
        level=school.level,
        passed=school.passed,
        failing=tuple(failing),
        k_rule=k_rule,
        k_passed=k_passed,
        met=met,
        of=of,
        merged=school.merged,
    )


def county_year(result: CountyResult, year: int, standard: str) -> CountyYear:
    """The :class:`CountyYear` of one county's evaluation."""
    return CountyYear(
        county=result.county,
        year=year,
        standard=standard,
        verdict=result.verdict,
        coefficients=tuple(
            CVPoint(
                rule=c.rule,
                level=c.level,
                indicator=c.indicator,
                composite=c.composite,
                value=c.value,
                max=c.max,
                passed=c.passed,
            )
            for c in result.coefficients
        ),
        sections=tuple(_section(s) for s in result.schools),
    )


def report_years(report: Report, year: int) -> dict[str, CountyYear]:
    """Every county of one year's report, by county name."""
    return {c.county: county_year(c, year, report.standard.id) for c in report.counties}
