"""Early-warning kernels: one per ``warning_*`` rule kind, in a kind → kernel table.

The shape follows the core's rule kernels (``compile`` once per standard, ``run``
over the data, ``explain`` one hit as a result object), with one difference: a
warning kernel's input is a county's result in two consecutive years — this
year's :class:`~balance_rules.monitor.model.CountyYear` and last year's (None in
the first year, or when the county has no data then).  Adding a kind is a schema
branch, a kernel here and one line in :data:`KERNELS`.

Decisions are exact: a CV (a float) is compared through its shortest decimal
form with the cap, margin and rise as written in the standard (Decimals).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import attrs

from ..standard.model import EarlyWarning, Standard
from .model import CountyYear, CVPoint, EarlyWarningHit

__all__ = [
    "KERNELS",
    "CompiledWarning",
    "Hit",
    "WarningKernel",
    "compile_warnings",
    "run_warnings",
]


@attrs.frozen(kw_only=True)
class CompiledWarning:
    """A warning rule ready to run: the rule, and the layer that set its figure."""

    rule: EarlyWarning
    layer: str


@attrs.frozen(kw_only=True)
class Hit:
    """What a kernel found: one coefficient or one school section."""

    level: str | None
    indicator: str | None = None
    school_id: str | None = None
    value: float | None = None
    previous: float | None = None
    threshold: Decimal | None = None


@attrs.frozen
class WarningKernel:
    """The three functions of a warning kind."""

    compile: Callable[[EarlyWarning, Standard], CompiledWarning]
    run: Callable[[CompiledWarning, CountyYear, CountyYear | None], list[Hit]]
    explain: Callable[[CompiledWarning, Hit, CountyYear], EarlyWarningHit]


def _exact(value: float) -> Decimal:
    return Decimal(repr(value))


def _compile(rule: EarlyWarning, standard: Standard) -> CompiledWarning:
    figure = "margin" if rule.margin is not None else "rise" if rule.rise is not None else "kind"
    origin = standard.origin("rules", rule.id, figure)
    return CompiledWarning(rule=rule, layer=origin.layer if origin else standard.id)


def _watched(compiled: CompiledWarning, year: CountyYear | None) -> dict[tuple[str, str], CVPoint]:
    if year is None:
        return {}
    rule = compiled.rule
    return {
        (c.level, c.indicator): c
        for c in year.coefficients
        if c.rule == rule.watches and c.level in rule.levels
    }


def _run_margin(
    compiled: CompiledWarning, current: CountyYear, previous: CountyYear | None
) -> list[Hit]:
    margin = compiled.rule.margin or Decimal(0)
    hits = []
    for (level, indicator), point in _watched(compiled, current).items():
        if point.value is None or point.max is None or point.passed is not True:
            continue  # over the cap is a failure, not a warning; unknown is not_evaluated
        if _exact(point.value) >= point.max - margin:
            hits.append(
                Hit(level=level, indicator=indicator, value=point.value, threshold=point.max)
            )
    return hits


def _run_rise(
    compiled: CompiledWarning, current: CountyYear, previous: CountyYear | None
) -> list[Hit]:
    rise = compiled.rule.rise or Decimal(0)
    before = _watched(compiled, previous)
    hits = []
    for key, point in _watched(compiled, current).items():
        old = before.get(key)
        if point.value is None or old is None or old.value is None:
            continue
        if _exact(point.value) - _exact(old.value) > rise:
            hits.append(
                Hit(
                    level=key[0],
                    indicator=key[1],
                    value=point.value,
                    previous=old.value,
                    threshold=point.max,
                )
            )
    return hits


def _run_k_of_n_lost(
    compiled: CompiledWarning, current: CountyYear, previous: CountyYear | None
) -> list[Hit]:
    if previous is None:
        return []
    rule = compiled.rule
    before = {
        (s.school_id, s.level): s
        for s in previous.sections
        if s.k_rule == rule.watches and s.k_passed is True
    }
    hits = []
    for section in current.sections:
        if section.k_rule != rule.watches or section.k_passed is not False:
            continue
        if section.level not in rule.levels or (section.school_id, section.level) not in before:
            continue
        old = before[(section.school_id, section.level)]
        hits.append(
            Hit(
                level=section.level,
                school_id=section.school_id,
                value=None if section.met is None else float(section.met),
                previous=None if old.met is None else float(old.met),
            )
        )
    return hits


def _explain(compiled: CompiledWarning, hit: Hit, current: CountyYear) -> EarlyWarningHit:
    rule = compiled.rule
    return EarlyWarningHit(
        rule=rule.id,
        kind=rule.kind,
        severity=rule.severity,
        county=current.county,
        year=current.year,
        level=hit.level,
        indicator=hit.indicator,
        school_id=hit.school_id,
        value=hit.value,
        previous=hit.previous,
        threshold=hit.threshold,
        figure=rule.margin if rule.margin is not None else rule.rise,
        label=rule.label.zh if rule.label else rule.id,
        label_en=rule.label.en if rule.label else None,
        source=str(rule.source),
        layer=compiled.layer,
        confidence=rule.confidence,
    )


#: Warning rule kind → its kernel.
KERNELS: dict[str, WarningKernel] = {
    "warning_cv_margin": WarningKernel(_compile, _run_margin, _explain),
    "warning_cv_rise": WarningKernel(_compile, _run_rise, _explain),
    "warning_k_of_n_lost": WarningKernel(_compile, _run_k_of_n_lost, _explain),
}


def compile_warnings(standard: Standard) -> list[tuple[WarningKernel, CompiledWarning]]:
    """Every warning rule of *standard*, compiled, in rule order."""
    compiled = []
    for rule in standard.warnings.values():
        kernel = KERNELS[rule.kind]
        compiled.append((kernel, kernel.compile(rule, standard)))
    return compiled


def run_warnings(
    compiled: list[tuple[WarningKernel, CompiledWarning]],
    current: CountyYear,
    previous: CountyYear | None,
) -> list[EarlyWarningHit]:
    """Every warning of one county in one year (``previous``: the year before)."""
    hits: list[EarlyWarningHit] = []
    for kernel, rule in compiled:
        hits += [kernel.explain(rule, hit, current) for hit in kernel.run(rule, current, previous)]
    return hits
