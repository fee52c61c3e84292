"""The tables people read, laid out once for the HTML report and the workbook.

Nothing here computes a figure: it groups the findings of a
:class:`~balance_rules.report.CountyResult` into the annex layouts of
``domain/reports.md`` (表1 per-school table: one column per resource indicator, the
6-of-7 tally and the 85 % floor; 表2 coefficient table) and picks which items
to show (failing, not evaluated, excluded).  Display rounding lives in
:func:`fixed`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction

import attrs

from ..report import Coefficient, CountyResult, Finding, SchoolResult
from ..standard.model import Standard
from .explain import coefficient_label, level_label, verdict_label

__all__ = [
    "LevelTable",
    "SchoolColumn",
    "SchoolRow",
    "county_counts",
    "fixed",
    "level_tables",
    "missing_items",
    "sort_counties",
    "summary_row",
    "working",
    "worst_coefficient",
]

LEVELS = ("primary", "junior")


@attrs.frozen
class SchoolColumn:
    """One indicator column of the per-school table."""

    rule: str
    indicator: str | None
    #: A member of the k-of-n rule (a resource indicator), not a rule on its own.
    member: bool
    label: str
    unit: str
    op: str | None
    #: The most common threshold of the column (a size band may vary it per school).
    threshold: Decimal | int | bool | None


@attrs.frozen
class SchoolRow:
    school: SchoolResult
    cells: tuple[Finding | None, ...]
    k_of_n: Finding | None
    #: Other findings of the school that fail or are not evaluated.
    others: tuple[Finding, ...]


@attrs.frozen
class LevelTable:
    level: str
    columns: tuple[SchoolColumn, ...]
    rows: tuple[SchoolRow, ...]


def fixed(value: object, decimals: int = 3, against: object = None) -> str:
    """``value`` with ``decimals`` places (more if rounding would equal ``against``).

    A failing 0.5004 against a cap of 0.5 shows as 0.5004, never 0.500.  Exact
    integers (counts, a room of 96 m²) are shown without decimals.
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if (
        isinstance(value, int)
        or (isinstance(value, Fraction) and value.denominator == 1)
        or (isinstance(value, Decimal) and value == value.to_integral_value())
    ):
        return str(int(value))
    number = float(value)  # type: ignore[arg-type]
    shown = f"{number:.{decimals}f}"
    if against is not None and not isinstance(against, bool) and float(shown) == float(against):  # type: ignore[arg-type]
        exact = Fraction(value)  # type: ignore[call-overload]
        limit = Fraction(against)  # type: ignore[call-overload]
        places = decimals
        while places < 12 and exact != limit and round(exact, places) == limit:
            places += 1
        shown = f"{float(round(exact, places)):.{places}f}"
    if shown.startswith("-") and float(shown) == 0:
        shown = shown[1:]
    return shown


def _columns_for(rows: Sequence[SchoolResult], standard: Standard, lang: str) -> list[SchoolColumn]:
    """Every per-school threshold rule: k-of-n members first, then the others."""
    found: dict[str, list[Finding]] = {}
    for school in rows:
        for f in school.findings:
            if f.kind == "school_threshold":
                found.setdefault(f.rule, []).append(f)
    members = [rule for rule, fs in found.items() if not fs[0].decides]
    order = members + [rule for rule in found if rule not in members]
    columns = []
    for rule in order:
        findings = found[rule]
        first = findings[0]
        indicator = standard.indicators.get(first.indicator or "")
        rule_def = standard.rules.get(rule)
        if rule_def is not None and rule_def.label is not None and rule not in members:
            label = rule_def.label.text(lang)
        elif indicator is not None:
            label = indicator.label.text(lang)
        elif rule_def is not None and rule_def.label is not None:
            label = rule_def.label.text(lang)
        else:
            label = rule
        unit = indicator.unit.text(lang) if indicator is not None and indicator.unit else ""
        common = Counter(f.threshold for f in findings).most_common(1)[0][0]
        columns.append(
            SchoolColumn(rule, first.indicator, rule in members, label, unit, first.op, common)
        )
    return columns


def level_tables(county: CountyResult, standard: Standard, lang: str = "zh") -> list[LevelTable]:
    """The per-school table of each level that has school sections."""
    tables = []
    levels = [lv for lv in LEVELS if any(s.level == lv for s in county.schools)]
    levels += sorted({s.level for s in county.schools} - set(LEVELS))
    for level in levels:
        schools = [s for s in county.schools if s.level == level]
        columns = _columns_for(schools, standard, lang)
        rules = {c.rule for c in columns}
        rows = []
        for school in schools:
            by_rule = {f.rule: f for f in school.findings if f.rule in rules}
            k_of_n = next((f for f in school.findings if f.kind == "school_k_of_n"), None)
            others = tuple(
                f
                for f in school.findings
                if f.rule not in rules and f is not k_of_n and f.status != "pass"
            )
            cells = tuple(by_rule.get(c.rule) for c in columns)
            rows.append(SchoolRow(school, cells, k_of_n, others))
        tables.append(LevelTable(level, tuple(columns), tuple(rows)))
    return tables


def missing_items(county: CountyResult) -> list[tuple[SchoolResult | None, Finding]]:
    """Every not-evaluated finding (schools first, then the county's), with its school."""
    items: list[tuple[SchoolResult | None, Finding]] = [
        (s, f) for s in county.schools for f in s.findings if f.status == "not_evaluated"
    ]
    items += [(None, f) for f in county.findings if f.status == "not_evaluated"]
    return items


def worst_coefficient(coefficients: Iterable[Coefficient]) -> Coefficient | None:
    """The coefficient nearest to (or furthest over) its cap; else the largest."""
    coefficients = list(coefficients)
    capped = [c for c in coefficients if c.value is not None and c.max]
    if capped:
        return max(capped, key=lambda c: (c.value or 0.0) / float(c.max or 1))
    valued = [c for c in coefficients if c.value is not None]
    return max(valued, key=lambda c: c.value or 0.0) if valued else None


def county_counts(county: CountyResult) -> dict[str, int]:
    """Schools, sections by result, and schools left out: the summary's counts."""
    return {
        "schools": len({s.school_id for s in county.schools}),
        "sections": len(county.schools),
        "sections_passed": sum(1 for s in county.schools if s.passed is True),
        "sections_failed": sum(1 for s in county.schools if s.passed is False),
        "sections_not_evaluated": sum(1 for s in county.schools if s.passed is None),
        "excluded": len(county.excluded),
    }


def sort_counties(counties: Iterable[CountyResult]) -> list[CountyResult]:
    """Failing first, then incomplete, then passing; within each, the coefficient
    nearest (or furthest over) its cap first; then by name."""

    def key(county: CountyResult) -> tuple[int, float, str]:
        worst = worst_coefficient(county.coefficients)
        ratio = 0.0
        if worst is not None and worst.value is not None:
            ratio = worst.value / float(worst.max) if worst.max else worst.value
        return ({"fail": 0, "incomplete": 1}.get(county.verdict, 2), -ratio, county.county)

    return sorted(counties, key=key)


def working(c: Coefficient) -> str:
    """A CV's working beside it: schools n, students N, weighted mean X̄ and S."""
    if c.students is None or c.mean is None or c.std is None:
        return f"n={c.schools}"
    return f"n={c.schools}, N={fixed(c.students, 0)}, X̄={fixed(c.mean, 3)}, S={fixed(c.std, 3)}"


def summary_row(county: CountyResult, standard: Standard, lang: str) -> dict[str, object]:
    """One county in one row: verdict, counts, the worst CV against its cap, composites."""
    worst = worst_coefficient(county.coefficients)
    composites = {
        c.level: c.value for c in county.coefficients if c.composite and c.value is not None
    }
    return {
        "county": county.county,
        "verdict": county.verdict,
        "verdict_label": verdict_label(county.verdict, lang),
        "vetoed": county.vetoed,
        **county_counts(county),
        "worst": None
        if worst is None
        else f"{level_label(worst.level, lang)} {coefficient_label(worst, standard, lang)}",
        "worst_value": None if worst is None else worst.value,
        "worst_max": None if worst is None or worst.max is None else float(worst.max),
        "composites": composites,
    }
