"""Exact CV squares for the early warnings whose decision is near its boundary.

The core hands monitoring each CV as a float.  A margin warning (cap − margin ≤
CV) or a rise warning (CV − last year's CV > rise) whose float lies within a hair
(:data:`~balance_rules.engine.exact.MARGIN`) of its boundary is decided by the
shared exact step (:func:`~balance_rules.engine.exact.cv_reaches`,
:func:`~balance_rules.engine.exact.rise_exceeds`) from the CV's exact square.
This module finds those few CVs and fills in their squares
(:attr:`CVPoint.squares <balance_rules.monitor.model.CVPoint.squares>`) from the
columnar result — the same exact sections the core's own exact step reads.  A
rise needs last year's result too; where it is not at hand (a ready Report, a
Dask partition of one year) the CVs' shortest decimal forms decide.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from fractions import Fraction

import attrs

from ..engine.columnar import ColumnarResult
from ..engine.exact import MARGIN, group_values, weighted_cv_squared
from ..sections import Section, site_section
from ..standard.model import Composite, Standard
from .model import CountyYear, CVPoint

__all__ = ["fill_squares"]


class _Sections:
    """A finished result's exact sections, built as the core's exact step builds them."""

    def __init__(self, result: ColumnarResult) -> None:
        self.result = result
        self.cache: dict[tuple[int, str], Section] = {}

    def exact_section(self, row: int, level: str) -> Section:
        key = (row, level)
        found = self.cache.get(key)
        if found is not None:
            return found
        result = self.result
        plan = result.plan
        schools = [result.table.school(r) for r in [row, *result.children.get(row, [])]]
        section = site_section(schools, level, plan.standard.split, plan.fields, plan.spellings)
        self.cache[key] = section
        return section


def _squares(
    sections: _Sections, codes: Mapping[str, int], county: str, point: CVPoint
) -> tuple[Fraction, ...] | None:
    result = sections.result
    code = codes.get(county)
    part = result.levels.get(point.level)
    if code is None or part is None:
        return None
    rows = part.rows[part.counties == code].tolist()
    rule = result.plan.standard.rules.get(point.rule)
    names = rule.indicators if isinstance(rule, Composite) else (point.indicator,)
    found = []
    for name in names:
        calc = result.plan.calcs.get(name)
        if calc is None:
            return None
        weights, values = group_values(sections, calc, rows, point.level)  # type: ignore[arg-type]
        square = weighted_cv_squared(weights, values)
        if square is not None:
            found.append(square)
        elif not isinstance(rule, Composite):
            return None
    return tuple(found) or None


def _near(a: float, b: float) -> bool:
    return abs(a - b) <= MARGIN * max(1.0, abs(b))


def _with(year: CountyYear, changed: Mapping[int, tuple[Fraction, ...]]) -> CountyYear:
    points = tuple(
        attrs.evolve(p, squares=changed[i]) if i in changed else p
        for i, p in enumerate(year.coefficients)
    )
    return attrs.evolve(year, coefficients=points)


def fill_squares(
    snapshots: MutableMapping[str, CountyYear],
    result: ColumnarResult,
    standard: Standard,
    previous: tuple[MutableMapping[str, CountyYear], ColumnarResult] | None = None,
) -> None:
    """Give the CVs whose warning decision is near its boundary their exact squares.

    *snapshots* are one year's county-years of *result* (replaced in place where
    a square is added); *previous* is last year's snapshots and result, for the
    rises (their squares are added there too).
    """
    rules = [r for r in standard.warnings.values() if r.kind != "warning_k_of_n_lost"]
    if not rules:
        return
    sections = _Sections(result)
    codes = {name: code for code, name in enumerate(result.county_names)}
    before_sections = _Sections(previous[1]) if previous is not None else None
    before_codes = (
        {name: code for code, name in enumerate(previous[1].county_names)}
        if previous is not None
        else {}
    )
    for county, year in list(snapshots.items()):
        changed: dict[int, tuple[Fraction, ...]] = {}
        changed_before: dict[int, tuple[Fraction, ...]] = {}
        last = previous[0].get(county) if previous is not None else None
        last_index = (
            {(p.rule, p.level, p.indicator): j for j, p in enumerate(last.coefficients)}
            if last is not None
            else {}
        )
        for rule in rules:
            for i, point in enumerate(year.coefficients):
                if point.rule != rule.watches or point.level not in rule.levels:
                    continue
                if point.value is None:
                    continue
                if (
                    rule.margin is not None
                    and i not in changed
                    and point.max is not None
                    and point.passed is True
                    and _near(point.value, float(point.max - rule.margin))
                ):
                    found = _squares(sections, codes, county, point)
                    if found is not None:
                        changed[i] = found
                if rule.rise is None or last is None or before_sections is None:
                    continue
                j = last_index.get((point.rule, point.level, point.indicator))
                if j is None:
                    continue
                old = last.coefficients[j]
                if old.value is None or not _near(point.value - old.value, float(rule.rise)):
                    continue
                now = changed.get(i) or _squares(sections, codes, county, point)
                then = _squares(before_sections, before_codes, county, old)
                if now is not None and then is not None:
                    changed[i] = now
                    changed_before[j] = then
        if changed:
            snapshots[county] = _with(year, changed)
        if changed_before and previous is not None and last is not None:
            previous[0][county] = _with(last, changed_before)
