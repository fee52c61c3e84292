"""What the year-on-year kernels share (monitoring's ``warning_*`` kinds).

A warning kernel ``needs_previous``: its ``run(compiled, current, previous)``
reads one county's results in two consecutive years — this year's
:class:`~balance_rules.monitor.model.CountyYear` and last year's (None in the
first year, or when the county had no data then) — and returns :class:`Hit`\\ s;
``explain(compiled, current, hit, index)`` makes one hit an
:class:`~balance_rules.monitor.model.EarlyWarningHit`, ``record`` the same as a
flat record.  Warning rules decide no verdict, so the core's one-year evaluation
skips these kernels (they live in ``Standard.warnings``, never in its rules).
Decisions near a boundary go through the shared exact step
(:func:`~balance_rules.engine.exact.cv_reaches`,
:func:`~balance_rules.engine.exact.rise_exceeds`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from ...standard.model import EarlyWarning, Standard

if TYPE_CHECKING:
    from ...monitor.model import CountyYear, CVPoint, EarlyWarningHit
    from ..plan import Plan

__all__ = ["CompiledWarning", "Hit", "compile", "explain", "record", "watched"]


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


def compile(rule: EarlyWarning, plan: Plan | Standard) -> CompiledWarning:
    """The rule and the layer that set its figure (from a compiled plan or a standard)."""
    standard = plan if isinstance(plan, Standard) else plan.standard
    figure = "margin" if rule.margin is not None else "rise" if rule.rise is not None else "kind"
    origin = standard.origin("rules", rule.id, figure)
    return CompiledWarning(rule=rule, layer=origin.layer if origin else standard.id)


def watched(compiled: CompiledWarning, year: CountyYear | None) -> dict[tuple[str, str], CVPoint]:
    """The coefficients of the watched rule at the rule's levels, by (level, indicator)."""
    if year is None:
        return {}
    rule = compiled.rule
    return {
        (c.level, c.indicator): c
        for c in year.coefficients
        if c.rule == rule.watches and c.level in rule.levels
    }


def explain(
    compiled: CompiledWarning, current: CountyYear, hit: Hit, index: int = 0
) -> EarlyWarningHit:
    """One hit as an :class:`~balance_rules.monitor.model.EarlyWarningHit`."""
    from ...monitor.model import EarlyWarningHit

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


def record(
    compiled: CompiledWarning, current: CountyYear, hit: Hit, index: int = 0
) -> dict[str, Any]:
    """One hit as a flat record (the keys of the monitoring JSON's warnings)."""
    found = explain(compiled, current, hit, index)
    return {
        "rule": found.rule,
        "kind": found.kind,
        "severity": found.severity,
        "county": found.county,
        "year": found.year,
        "level": found.level,
        "indicator": found.indicator,
        "school_id": found.school_id,
        "value": found.value,
        "previous": found.previous,
        "threshold": None if found.threshold is None else str(found.threshold),
        "figure": None if found.figure is None else str(found.figure),
        "source": found.source,
        "layer": found.layer,
        "confidence": found.confidence,
    }
