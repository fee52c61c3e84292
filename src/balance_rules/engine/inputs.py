"""Read-only access to what the evaluation core evaluated: its sections and their inputs.

Modules that read a :class:`~balance_rules.engine.columnar.ColumnarResult`
(shortfall planning) need more than findings: which schools are in scope, the
school each section belongs to with its sub-sites merged in, a combined
school's split shares, and per section the numerator and denominator of an
indicator.  This module hands them out from the core's own result and the
core's own functions (``sections.merge_sub_sites`` and the split shares used by
the exact step), so that nothing outside the core decides scope, merging or
splitting a second time.  It never changes the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import numpy as np

from ..data.columns import ColumnTable
from ..data.model import FLOAT_FIELDS, County, School
from ..report import Report
from ..sections import merged_site, section_shares
from ..standard.model import Standard
from .columnar import ColumnarResult, evaluate_columns
from .core import table_of
from .kernels.base import FAIL, NOT_EVALUATED, PASS
from .plan import compile_standard
from .view import report_of

__all__ = [
    "FAIL",
    "NOT_EVALUATED",
    "PASS",
    "SiteInput",
    "county_sections",
    "county_sites",
    "evaluate_changed",
    "evaluate_changed_core",
    "evaluate_core",
    "evaluate_with_result",
    "failing_rule_ids",
    "failing_rules",
    "indicator_parts",
    "indicator_values",
    "status_of",
]


def evaluate_with_result(
    standard: Standard, counties: Sequence[County]
) -> tuple[Report, ColumnarResult]:
    """``br.evaluate(standard, counties)`` and the core result its Report views."""
    result = evaluate_core(standard, counties)
    return report_of(result), result


def evaluate_core(standard: Standard, counties: Sequence[County]) -> ColumnarResult:
    """The core result ``br.evaluate(standard, counties)`` views (no Report made)."""
    names = [county.name for county in counties]
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"evaluate(standard, counties): county {repeated[0]!r} is given twice")
    plan = compile_standard(standard)
    table, facts = table_of(counties)
    return evaluate_columns(plan, table, facts, counties=names)


#: The numeric attributes of a School (``School.value`` reads the others from ``extra``).
_SCHOOL_NUMBERS = frozenset(FLOAT_FIELDS)
#: An exact amount added to a cell: a Decimal, or an int or Fraction (made exact).
Amount = Decimal | int | Fraction


def _as_decimal(amount: Amount) -> Decimal:
    """An amount as the exact Decimal (a Fraction's as ``Decimal(n) / Decimal(d)``)."""
    if isinstance(amount, Decimal):
        return amount
    if isinstance(amount, int):
        return Decimal(amount)
    return Decimal(amount.numerator) / Decimal(amount.denominator)


def _float_of_sum(before: Decimal | None, amount: Amount) -> float:
    """The float nearest to *before* + *amount* (exact sums, correctly rounded)."""
    if amount.__class__ is int:
        if before is None:
            return float(amount)
        top, bottom = before.as_integer_ratio()
        if bottom == 1:
            return float(top + amount)  # int → float rounds correctly
        return float(before + amount)
    exact = _as_decimal(amount)  # a Fraction as the School would hold it
    return float(exact if before is None else before + exact)


@attrs.define(eq=False)
class _ChangedTable(ColumnTable):
    """Some counties' rows of a core table, with some cells changed (exact values).

    ``schools`` holds the original School objects; :meth:`school` gives, for a
    changed row, the School with its changed values (made when first asked, for
    the core's exact re-checks), so no School is rebuilt for rows the core never
    re-checks exactly.  ``changed`` holds, per changed row, the amounts added to
    its columns.
    """

    changed: dict[int, Mapping[str, Amount]] = attrs.field(factory=dict)
    made: dict[int, School] = attrs.field(factory=dict)

    def school(self, row: int) -> School:
        added = self.changed.get(row)
        if added is None:
            return ColumnTable.school(self, row)
        found = self.made.get(row)
        if found is None:
            original = ColumnTable.school(self, row)
            values = {}
            for name, amount in added.items():
                before = original.value(name)
                exact = _as_decimal(amount)
                values[name] = exact if before is None else before + exact
            own: dict[str, Any] = {k: v for k, v in values.items() if hasattr(original, k)}
            extra = {k: v for k, v in values.items() if not hasattr(original, k)}
            if extra:
                own["extra"] = {**original.extra, **extra}
            found = self.made[row] = attrs.evolve(original, **own)
        return found


def evaluate_changed(
    result: ColumnarResult,
    names: Sequence[str],
    additions: Mapping[int, Mapping[str, Amount]],
) -> tuple[Report, ColumnarResult]:
    """:func:`evaluate_changed_core` and the Report of its result."""
    after = evaluate_changed_core(result, names, additions)
    return report_of(after), after


def evaluate_changed_core(
    result: ColumnarResult,
    names: Sequence[str],
    additions: Mapping[int, Mapping[str, Amount]],
) -> ColumnarResult:
    """Evaluate the counties *names* of *result* again, with *additions* added.

    *additions* maps a row of ``result.table`` to {column: amount to add} (exact:
    Decimal, int or Fraction); a missing cell becomes the amount.  The table's
    number arrays of those counties are copied and the changed cells set to the
    float nearest to the exact new value (what the School with that value would
    give), so the core evaluates exactly what it would evaluate from the changed
    School objects.
    *result* is not changed.
    """
    table = result.table
    column = table.text["county"]
    chosen = set(names)
    every = chosen.issuperset(result.county_names)
    if every:  # the core never writes to a table: unchanged columns are shared
        rows = np.arange(len(column))
        numbers = dict(table.numbers)
        extras = dict(table.extras)
        text = table.text
    else:
        rows = np.flatnonzero(np.fromiter(map(chosen.__contains__, column), bool, len(column)))
        numbers = {name: values[rows] for name, values in table.numbers.items()}
        extras = {name: values[rows] for name, values in table.extras.items()}
        text = {name: values[rows] for name, values in table.text.items()}
    position = None if every else {int(r): i for i, r in enumerate(rows.tolist())}
    changed: dict[int, Mapping[str, Amount]] = {}
    #: Per changed column: the new rows and the floats of their exact new values.
    cells: dict[str, tuple[list[int], list[float]]] = {}
    schools_of = table.schools
    for row, columns in additions.items():
        new_row = row if position is None else position[row]
        school = None if schools_of is None else schools_of[row]
        for name, amount in columns.items():
            if school is None:
                before = table.value(name, row)
            elif name in _SCHOOL_NUMBERS:  # School.value, without the call
                before = getattr(school, name)
            else:
                before = school.extra.get(name)
            found = cells.get(name)
            if found is None:
                found = cells[name] = ([], [])
            found[0].append(new_row)
            found[1].append(_float_of_sum(before, amount))
        changed[new_row] = columns
    for name, (at, floats) in cells.items():  # each changed column copied once
        into = numbers if name in numbers else extras
        original = into.get(name)
        column_copy = np.full(len(rows), np.nan) if original is None else original.copy()
        column_copy[np.array(at, dtype=np.intp)] = np.array(floats, dtype=float)
        into[name] = column_copy
    schools = table.schools
    if schools is not None and not every:
        schools = tuple(schools[r] for r in rows.tolist())
    subset = _ChangedTable(
        text,
        numbers,
        table.counted if every else table.counted[rows],
        extras,
        schools,
        table.file,
        changed=changed,
    )
    facts = {name: result.facts[name] for name in names if name in result.facts}
    return evaluate_columns(result.plan, subset, facts, counties=list(names))


@attrs.frozen
class SiteInput:
    """One in-scope school as the core evaluated it: sub-sites merged, shares, sections."""

    row: int
    #: The school with its sub-sites merged in (the core's exact section source).
    school: School
    #: Each level's share of split facilities (None when they cannot be split).
    shares: dict[str, Fraction] | None
    #: (level, index of the section in ``result.levels[level]``), in level order.
    sections: tuple[tuple[str, int], ...]


def county_sections(result: ColumnarResult) -> list[dict[int, list[tuple[str, int]]]]:
    """Per county code: table row of each school with sections → its (level, index)s."""
    out: list[dict[int, list[tuple[str, int]]]] = [{} for _ in result.county_names]
    for level in result.plan.standard.levels:
        part = result.levels.get(level)
        if part is None:
            continue
        for i, (code, row) in enumerate(
            zip(part.counties.tolist(), part.rows.tolist(), strict=True)
        ):
            out[code].setdefault(row, []).append((level, i))
    return out


def county_sites(
    result: ColumnarResult,
    code: int,
    sections: Sequence[dict[int, list[tuple[str, int]]]] | None = None,
) -> list[SiteInput]:
    """The schools of one county (by county code) that have sections, in table order.

    *sections* is :func:`county_sections` of *result*, when reading many counties.
    """
    found = (sections if sections is not None else county_sections(result))[code]
    sites = []
    split = result.plan.standard.split
    for row in sorted(found):
        school = merged_site([result.table.school(r) for r in [row, *result.children.get(row, ())]])
        sites.append(SiteInput(row, school, section_shares(school, split), tuple(found[row])))
    return sites


def status_of(result: ColumnarResult, rule: str, level: str, index: int) -> int | None:
    """The core's status code of one section rule (PASS, FAIL, NOT_EVALUATED) or None."""
    outcome = result.outcomes.get((rule, level))
    if outcome is None:
        return None
    return int(outcome.status[index])


def indicator_parts(
    result: ColumnarResult, indicator: str, level: str
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per section of *level*: the indicator's numerator and denominator (floats, NaN missing).

    The denominator is None for an indicator without one.
    """
    calc = result.plan.calcs[indicator]
    part = result.levels[level]
    numerator = np.zeros(len(part.rows))
    for field in calc.numerator:
        numerator = numerator + part.values[field]
    denominator = None if calc.denominator is None else part.values[calc.denominator]
    return numerator, denominator


def indicator_values(result: ColumnarResult, indicator: str, level: str) -> np.ndarray | None:
    """Per section of *level*: the indicator's value in floating point (NaN: missing
    or a zero denominator), or None when the core did not read its columns."""
    calc = result.plan.calcs[indicator]
    values = result.levels[level].values
    fields = [*calc.numerator, *([calc.denominator] if calc.denominator else [])]
    if any(field not in values for field in fields):
        return None
    numerator, denominator = indicator_parts(result, indicator, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = numerator * float(calc.scale)
        if denominator is None:
            return scaled
        found: np.ndarray = np.where(denominator == 0, np.nan, scaled / denominator)
    return found


def failing_rules(result: ColumnarResult) -> list[list[tuple[str, str | None, str | None]]]:
    """Per county code: every deciding rule that fails, as (rule, school id, level).

    County rules (CVs, composites, facts) have no school id.
    """
    out: list[list[tuple[str, str | None, str | None]]] = [[] for _ in result.county_names]
    ids = result.table.text["school_id"]
    decides = result.plan.decides
    for (rule, level), outcome in result.outcomes.items():
        if not decides.get(rule, False):
            continue
        part = result.levels[level]
        failing = np.flatnonzero(outcome.status == FAIL)
        if not len(failing):
            continue
        for code, row in zip(
            part.counties[failing].tolist(), part.rows[failing].tolist(), strict=True
        ):
            out[code].append((rule, ids[row], level))
    for code, items in enumerate(result.county_findings):
        for finding in items:
            if finding.decides and finding.status == "fail":
                out[code].append((finding.rule, None, getattr(finding, "level", None)))
    return out


def failing_rule_ids(result: ColumnarResult) -> list[set[str]]:
    """Per county code: the ids of the deciding rules that fail (the rules of
    :func:`failing_rules`, without naming each failing section)."""
    out: list[set[str]] = [set() for _ in result.county_names]
    k = len(result.county_names)
    decides = result.plan.decides
    for (rule, level), outcome in result.outcomes.items():
        if not decides.get(rule, False):
            continue
        failing = outcome.status == FAIL
        if not failing.any():
            continue
        codes = result.levels[level].counties[failing]
        for code in np.flatnonzero(np.bincount(codes, minlength=k)).tolist():
            out[code].add(rule)
    for code, items in enumerate(result.county_findings):
        for finding in items:
            if finding.decides and finding.status == "fail":
                out[code].add(finding.rule)
    return out
