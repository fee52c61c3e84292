"""Compile a :class:`Standard` once into a :class:`Plan`, then evaluate counties.

The plan resolves everything that does not depend on the data ahead of time:
which fields to read, each indicator's arithmetic, every threshold per level and
school attribute as an exact fraction with the layer that set it, which rules
decide the verdict.  The one evaluation core (``engine.columnar`` and the rule
kernels of ``engine.kernels``) runs it; :func:`evaluate` is the library's entry.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

import attrs

from ..data.model import County
from ..report import Finding, Report, Status
from ..sections import Section, column_name
from ..standard.model import (
    Coefficients,
    Composite,
    CountyFact,
    Indicator,
    SchoolKOfN,
    SchoolThreshold,
    Standard,
)

__all__ = ["Plan", "compile_standard", "evaluate"]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}

_IndicatorValue = tuple[Fraction | None, tuple[str, ...], str | None]


@attrs.frozen
class _IndicatorCalc:
    """sum(numerator) / denominator * scale over one section's values."""

    id: str
    numerator: tuple[str, ...]
    denominator: str | None
    scale: Fraction

    @classmethod
    def of(cls, indicator: Indicator) -> _IndicatorCalc:
        return cls(
            indicator.id, indicator.numerator, indicator.denominator, Fraction(indicator.scale)
        )

    def compute(self, section: Section) -> _IndicatorValue:
        """(value, missing columns, problem) for the section."""
        values = section.values
        missing: list[str] = []
        total = Fraction(0)
        for name in self.numerator:
            part = values.get(name)
            if part is None:
                missing.append(column_name(name, section.level))
            else:
                total += part
        denominator = values.get(self.denominator) if self.denominator else None
        if self.denominator and denominator is None:
            missing.append(column_name(self.denominator, section.level))
        if missing:
            return None, tuple(missing), None
        if self.denominator is None:
            return total * self.scale, (), None
        if not denominator:
            return None, (), f"{column_name(self.denominator, section.level)} = 0"
        return total * self.scale / denominator, (), None


@attrs.frozen
class _ThresholdCheck:
    rule: SchoolThreshold
    calc: _IndicatorCalc
    #: (level, case) -> (exact threshold, original decimal, layer that set it)
    thresholds: Mapping[tuple[str, str], tuple[Fraction, Decimal, str]]
    decides: bool


def _threshold_table(
    rule: SchoolThreshold, standard: Standard
) -> dict[tuple[str, str], tuple[Fraction, Decimal, str]]:
    table = {}
    for level, cases in rule.threshold.cases.items():
        for case, value in cases.items():
            origin = standard.origin("rules", rule.id, "threshold", level, case)
            layer = origin.layer if origin else standard.id
            table[(level, case)] = (Fraction(value), value, layer)
    return table


def layer_of(standard: Standard, *path: str) -> str:
    """The layer that set the value at *path* of the merged standard."""
    origin = standard.origin(*path)
    return origin.layer if origin else standard.id


class Plan:
    """A standard compiled for evaluation.  Build with :func:`compile_standard`."""

    def __init__(self, standard: Standard) -> None:
        self.standard = standard
        rules = standard.rules
        members = {
            member: rule.id
            for rule in rules.values()
            if isinstance(rule, SchoolKOfN)
            for member in rule.rules
        }
        self.member_of: dict[str, str] = members

        def decides(rule_id: str) -> bool:
            rule = rules[rule_id]
            return rule.veto or (rule_id not in members and standard.groups[rule.group].required)

        self.decides = {rule_id: decides(rule_id) for rule_id in rules}
        #: The fields every finding of a rule shares, built once.
        self.common: dict[str, dict[str, Any]] = {
            rule.id: {
                "rule": rule.id,
                "kind": rule.kind,
                "group": rule.group,
                "source": rule.source,
                "veto": rule.veto,
                "decides": self.decides[rule.id],
                "confidence": rule.confidence,
            }
            for rule in rules.values()
        }
        self.calcs = {i.id: _IndicatorCalc.of(i) for i in standard.indicators.values()}
        self.threshold_checks = [
            _ThresholdCheck(
                r, self.calcs[r.indicator], _threshold_table(r, standard), self.decides[r.id]
            )
            for r in rules.values()
            if isinstance(r, SchoolThreshold)
        ]
        self.k_of_n = [r for r in rules.values() if isinstance(r, SchoolKOfN)]
        self.county_rules = [
            r for r in rules.values() if isinstance(r, Coefficients | Composite | CountyFact)
        ]
        fields: list[str] = ["students"]
        if any(c.rule.threshold.by == "size" for c in self.threshold_checks):
            fields.append("school_students")
        used_indicators: set[str] = {c.rule.indicator for c in self.threshold_checks}
        for rule in self.county_rules:
            if isinstance(rule, Coefficients | Composite):
                used_indicators.update(rule.indicators)
            elif rule.derive is not None:
                fields += [rule.derive.numerator, rule.derive.denominator]
        for ind in sorted(used_indicators):
            fields += list(standard.indicators[ind].fields)
        self.fields = tuple(dict.fromkeys(fields))
        #: Extra columns and facts: every name they may appear under in the data.
        self.spellings = {name: f.spellings for name, f in standard.extra_fields.items()}

    # -- county facts ---------------------------------------------------------------

    def fact_value(self, rule: CountyFact, county: County) -> Decimal | bool | None:
        """The county's value of a fact, under any of its spellings (None if absent)."""
        for name in self.spellings.get(rule.fact, (rule.fact,)):
            value = county.facts.get(name)
            if value is not None:
                return value
        return None

    def fact_result(
        self,
        rule: CountyFact,
        value: Decimal | bool | Fraction | None,
        missing: tuple[str, ...],
        *,
        derived: bool = False,
    ) -> Finding:
        """The finding of a county-fact rule for a value (given or derived)."""
        detail = None
        status: Status
        if value is None:
            status = "not_evaluated"
            missing = missing or (rule.fact,)
        elif isinstance(rule.threshold, bool) != isinstance(value, bool):
            status = "not_evaluated"
            detail = f"fact {rule.fact} has the wrong kind of value ({value})"
        else:
            status = "pass" if _OPS[rule.op](value, rule.threshold) else "fail"
        return Finding(
            **self.common[rule.id],
            fact=rule.fact,
            status=status,
            value=value,
            op=rule.op,
            threshold=rule.threshold,
            layer=layer_of(self.standard, "rules", rule.id, "threshold"),
            missing=missing,
            detail=detail,
            derived=derived,
        )

    def evaluate(
        self,
        counties: Iterable[County],
        progress: Callable[[int, int], None] | None = None,
    ) -> Report:
        """Evaluate every county through the core; the report lists them sorted by name.

        *progress*, if given, is called as ``progress(done, total)`` as counties
        are reported.
        """
        from .core import evaluate_counties

        return evaluate_counties(self, _checked_counties(counties), progress)


_T = TypeVar("_T")


def per_standard(
    cache: dict[int, tuple[Standard, Any]], standard: Standard, make: Callable[[Standard], _T]
) -> _T:
    """``make(standard)``, made once per standard object and kept in *cache*.

    Keyed by the object (a standard is immutable); the 32 most recent are kept.
    """
    cached = cache.get(id(standard))
    if cached is not None and cached[0] is standard:
        found: _T = cached[1]
        return found
    made = make(standard)
    if len(cache) >= 32:
        cache.pop(next(iter(cache)))
    cache[id(standard)] = (standard, made)
    return made


_PLANS: dict[int, tuple[Standard, Any]] = {}


def compile_standard(standard: Standard) -> Plan:
    """The plan for *standard*, compiled once and cached per standard object."""
    return per_standard(_PLANS, standard, Plan)


def evaluate(
    standard: Standard,
    counties: County | Iterable[County] | Any,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Evaluate one county, a list of counties, or a school table against *standard*.

    Runs the one columnar core; the :class:`Report` is a view over its result
    (school findings are built when first read).  A table is a
    :class:`~balance_rules.SchoolTable` (grouped by its county column) or a
    ``ColumnTable``.  *progress*, if given, is called as ``progress(done, total)``
    as counties are reported.  Raises TypeError naming the argument when one has
    the wrong type.
    """
    plan = compile_standard(_checked_standard(standard))
    from ..data.columns import ColumnTable
    from ..data.readers import SchoolTable
    from .core import evaluate_counties, evaluate_table

    if isinstance(counties, ColumnTable):
        return evaluate_table(plan, counties, progress=progress)
    if isinstance(counties, SchoolTable):
        from ..data.readers import group_counties

        counties = group_counties(counties.schools)
    return evaluate_counties(plan, _checked_counties(counties), progress)


def _checked_standard(standard: object) -> Standard:
    if isinstance(standard, Standard):
        return standard
    if isinstance(standard, Plan):
        raise TypeError(
            "evaluate(standard, ...): got a compiled Plan; pass its Standard"
            " (plan.standard), or call plan.evaluate(counties)"
        )
    if isinstance(standard, str):
        raise TypeError(
            f"evaluate(standard, ...): got the string {standard!r}; load it first with"
            " br.load_standard(...)"
        )
    raise TypeError(f"evaluate(standard, ...): expected a Standard, not {type(standard).__name__}")


def _checked_counties(counties: object) -> list[County]:
    if isinstance(counties, County):
        return [counties]
    if isinstance(counties, str | bytes) or not isinstance(counties, Iterable):
        raise TypeError(
            "evaluate(standard, counties): expected a County, a list of counties or a"
            " school table,"
            f" not {type(counties).__name__}"
            + ("; read a file with br.read_counties(...)" if isinstance(counties, str) else "")
        )
    items = list(counties)
    for n, item in enumerate(items):
        if not isinstance(item, County):
            raise TypeError(
                f"evaluate(standard, counties): item {n} is a {type(item).__name__}, not a County"
            )
    names = [c.name for c in items]
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"evaluate(standard, counties): county {repeated[0]!r} is given twice")
    return items
