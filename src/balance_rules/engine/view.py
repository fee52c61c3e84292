"""The :class:`~balance_rules.report.Report` of a columnar result: a view, built lazily.

Verdicts, exclusions and coefficients come straight from the result; each
county's school sections and findings are built by the kernels' ``explain`` the
first time they are read.  The values are the same floating-point renderings of
the exact decisions that the records (csv, jsonl, frames) show, so every output
format prints the same digits.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterator, Sequence

import numpy as np

from ..records import sections_by_county
from ..report import Coefficient, CountyResult, Finding, Report, SchoolResult
from .columnar import ColumnarResult
from .kernels import KERNELS
from .kernels.base import CountyFinding

__all__ = ["county_result", "report_of"]


def _school_findings(result: ColumnarResult, level: str, i: int) -> Iterator[Finding]:
    standard = result.plan.standard
    for rule_id, rule_level in result.outcomes:
        if rule_level != level:
            continue
        kernel = KERNELS[standard.rules[rule_id].kind]
        yield kernel.explain(result.compiled[rule_id], result, level, i)


Entries = Sequence[tuple[str, int, str, int]]


def _sections(
    result: ColumnarResult, entries: Entries | Callable[[], Entries]
) -> Callable[[], Iterator[SchoolResult]]:
    def build() -> Iterator[SchoolResult]:
        text = result.table.text
        ids = text["school_id"]
        for school_id, _, level, i in entries() if callable(entries) else entries:
            part = result.levels[level]
            row = int(part.rows[i])
            students = float(part.students[i])
            yield SchoolResult(
                school_id=school_id,
                name=text["school_name"][row] or "",
                level=level,
                school_type=text["school_type"][row],
                location=text["location"][row],
                students=None if np.isnan(students) else students,
                findings=functools.partial(_school_findings, result, level, i),
                merged=tuple(ids[c] for c in result.children.get(row, ())),
            )

    return build


def _coefficient(finding: CountyFinding) -> Coefficient:
    cap = finding.threshold
    return Coefficient(
        rule=finding.rule,
        level=finding.level,
        indicator=finding.indicator,
        value=finding.value,
        max=cap,
        passed=None
        if cap is None or finding.status == "not_evaluated"
        else finding.status == "pass",
        schools=finding.schools,
        composite=finding.kind == "composite",
        students=finding.students,
        mean=finding.mean,
        std=finding.std,
    )


def _county_findings(result: ColumnarResult, code: int) -> Iterator[Finding]:
    for item in result.county_findings[code]:
        kernel = KERNELS[item.kind]
        yield kernel.explain(result.compiled[item.rule], result, item, code)


def county_result(
    result: ColumnarResult,
    code: int,
    sections: Entries | Callable[[], Entries],
    levels: Collection[str] | None = None,
) -> CountyResult:
    """One county of *result* (its county code, and its sections in report order).

    *sections* may be a function giving them, called when the schools are first
    read; *levels* are then the levels the county has sections of.
    """
    if levels is None:
        entries = sections() if callable(sections) else sections
        levels = {level for _, _, level, _ in entries}
    notes = tuple(
        f"no {level} school sections in scope: {level} coefficients not computed"
        for level in result.plan.standard.levels
        if level not in levels
    )
    items = result.county_findings[code]
    return CountyResult(
        county=result.county_names[code],
        verdict=result.verdicts[code],  # type: ignore[arg-type]
        vetoed=result.vetoed[code],
        schools=_sections(result, sections),
        coefficients=tuple(_coefficient(f) for f in items if isinstance(f, CountyFinding)),
        findings=lambda: _county_findings(result, code),
        excluded=tuple(result.excluded[code]),
        notes=notes,
    )


def _entries(by_county: Callable[[], list[list[tuple[str, int, str, int]]]], code: int) -> Entries:
    return by_county()[code]


def report_of(
    result: ColumnarResult,
    names: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """The Report of some counties of *result* (all by default), in county name order."""
    wanted = None if names is None else set(names)
    by_county = functools.cache(lambda: sections_by_county(result))  # when first read
    counties: list[CountyResult] = []
    codes = [
        code for code, name in enumerate(result.county_names) if wanted is None or name in wanted
    ]
    k = len(result.county_names)
    counts = {
        level: np.bincount(part.counties, minlength=k).tolist()
        for level, part in result.levels.items()
    }
    for done, code in enumerate(codes, 1):
        present = {level for level, count in counts.items() if count[code]}
        entries = functools.partial(_entries, by_county, code)
        counties.append(county_result(result, code, entries, present))
        if progress is not None:
            progress(done, len(codes))
    return Report(standard=result.plan.standard, counties=tuple(counties))
