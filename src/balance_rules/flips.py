"""What flips when the standard changes: the same data evaluated under two standards.

:func:`flip_report` lists every finding, school section and county whose result
differs between an *old* and a *new* standard, rule by rule, with the observed
values and both thresholds, and counts how many flip each way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from .data.facts import fact_typo, refuse_fact_typos, standard_facts
from .data.model import County
from .engine.plan import evaluate
from .report import CountyResult, Finding, Report, Status, Verdict
from .standard.model import Standard

__all__ = [
    "CountyFlip",
    "FindingFlip",
    "FlipReport",
    "SchoolFlip",
    "compare_reports",
    "flip_report",
]

#: (county, school id or None for county findings, level, rule, indicator)
_Key = tuple[str, str | None, str | None, str, str | None]


@attrs.frozen
class FindingFlip:
    """One rule whose status differs; a side where the rule does not exist is None."""

    county: str
    school_id: str | None
    name: str | None
    level: str | None
    rule: str
    indicator: str | None
    old_status: Status | None
    new_status: Status | None
    old_value: Any
    new_value: Any
    old_threshold: Any
    new_threshold: Any
    old_layer: str | None
    new_layer: str | None
    #: The two findings themselves (None where the rule does not exist), for reasons.
    old_finding: Finding | None = attrs.field(default=None, repr=False)
    new_finding: Finding | None = attrs.field(default=None, repr=False)

    @property
    def to_fail(self) -> bool:
        return self.new_status == "fail" and self.old_status != "fail"

    @property
    def to_pass(self) -> bool:
        return self.old_status == "fail" and self.new_status in ("pass", None)


@attrs.frozen
class SchoolFlip:
    """A school section whose overall result differs (True pass, False fail, None unknown)."""

    county: str
    school_id: str
    name: str
    level: str
    old_passed: bool | None
    new_passed: bool | None


@attrs.frozen
class CountyFlip:
    """A county whose verdict differs."""

    county: str
    old_verdict: Verdict
    new_verdict: Verdict


@attrs.frozen
class FlipReport:
    """Every difference between the evaluations of the same data under two standards."""

    old: Report
    new: Report
    findings: tuple[FindingFlip, ...]
    schools: tuple[SchoolFlip, ...]
    counties: tuple[CountyFlip, ...]

    @property
    def empty(self) -> bool:
        return not (self.findings or self.schools or self.counties)

    def totals(self) -> dict[str, int]:
        """How many school sections and counties flip each way."""
        return {
            "schools_to_fail": sum(1 for s in self.schools if s.new_passed is False),
            "schools_to_pass": sum(1 for s in self.schools if s.new_passed is True),
            "schools_to_unknown": sum(1 for s in self.schools if s.new_passed is None),
            "counties_to_fail": sum(1 for c in self.counties if c.new_verdict == "fail"),
            "counties_to_pass": sum(1 for c in self.counties if c.new_verdict == "pass"),
            "counties_to_incomplete": sum(
                1 for c in self.counties if c.new_verdict == "incomplete"
            ),
            "findings_to_fail": sum(1 for f in self.findings if f.to_fail),
            "findings_to_pass": sum(1 for f in self.findings if f.to_pass),
        }


def _findings(county: CountyResult) -> dict[_Key, tuple[Finding, str | None]]:
    found: dict[_Key, tuple[Finding, str | None]] = {}
    for school in county.schools:
        for finding in school.findings:
            key: _Key = (
                county.county,
                school.school_id,
                school.level,
                finding.rule,
                finding.indicator,
            )
            found[key] = (finding, school.name)
    for finding in county.findings:
        found[(county.county, None, finding.level, finding.rule, finding.indicator)] = (
            finding,
            None,
        )
    return found


def _compare_county(
    old: CountyResult, new: CountyResult
) -> tuple[list[FindingFlip], list[SchoolFlip]]:
    before, after = _findings(old), _findings(new)
    flips = []
    for key in list(before) + [k for k in after if k not in before]:
        old_entry, new_entry = before.get(key), after.get(key)
        old_finding = old_entry[0] if old_entry else None
        new_finding = new_entry[0] if new_entry else None
        old_status = old_finding.status if old_finding else None
        new_status = new_finding.status if new_finding else None
        if old_status == new_status:
            continue
        if {old_status, new_status} <= {None, "pass"}:
            continue  # a rule that exists on one side only and passes: nothing flips
        county, school_id, level, rule, indicator = key
        flips.append(
            FindingFlip(
                county=county,
                school_id=school_id,
                name=(old_entry or new_entry)[1],  # type: ignore[index]
                level=level,
                rule=rule,
                indicator=indicator,
                old_status=old_status,
                new_status=new_status,
                old_value=old_finding.value if old_finding else None,
                new_value=new_finding.value if new_finding else None,
                old_threshold=old_finding.threshold if old_finding else None,
                new_threshold=new_finding.threshold if new_finding else None,
                old_layer=old_finding.layer if old_finding else None,
                new_layer=new_finding.layer if new_finding else None,
                old_finding=old_finding,
                new_finding=new_finding,
            )
        )
    old_sections = {(s.school_id, s.level): s for s in old.schools}
    schools = []
    for section in new.schools:
        previous = old_sections.get((section.school_id, section.level))
        if previous is not None and previous.passed != section.passed:
            schools.append(
                SchoolFlip(
                    old.county,
                    section.school_id,
                    section.name,
                    section.level,
                    previous.passed,
                    section.passed,
                )
            )
    return flips, schools


def compare_reports(old: Report, new: Report) -> FlipReport:
    """The flips between two reports of the same counties."""
    new_by_name = {c.county: c for c in new.counties}
    findings: list[FindingFlip] = []
    schools: list[SchoolFlip] = []
    counties: list[CountyFlip] = []
    for county in old.counties:
        other = new_by_name.get(county.county)
        if other is None:
            continue
        county_flips, school_flips = _compare_county(county, other)
        findings += county_flips
        schools += school_flips
        if county.verdict != other.verdict:
            counties.append(CountyFlip(county.county, county.verdict, other.verdict))
    return FlipReport(old, new, tuple(findings), tuple(schools), tuple(counties))


def flip_report(old: Standard, new: Standard, counties: County | Iterable[County]) -> FlipReport:
    """Evaluate *counties* under both standards and list what flips.

    A fact that only one of the two standards reads (a provincial layer's own
    fact) is no typo: it is given to that standard and left out for the other.
    A name that neither standard knows but is close to one is still refused.
    """
    counties = [counties] if isinstance(counties, County) else list(counties)
    known = standard_facts(old) | standard_facts(new)
    refuse_fact_typos({c.name: c.facts for c in counties}, known)
    return compare_reports(
        evaluate(old, _facts_for(old, counties)), evaluate(new, _facts_for(new, counties))
    )


def _facts_for(standard: Standard, counties: list[County]) -> list[County]:
    """*counties* without the facts that *standard* would take for a typo."""
    known = standard_facts(standard)
    result = []
    for county in counties:
        kept = {
            name: value
            for name, value in county.facts.items()
            if fact_typo(county.name, str(name), known) is None
        }
        same = len(kept) == len(county.facts)
        result.append(county if same else attrs.evolve(county, facts=kept))
    return result
