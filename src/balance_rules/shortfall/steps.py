"""The least additions for every failing school threshold of a nation, with NumPy.

The evaluation core has decided, exactly, which sections fail which threshold;
this module reads its arrays (``engine.inputs``) and computes, for all of them
at once, the whole number of steps the section's own column needs:
``q = (T × denominator / scale − numerator) / step``, rounded up.  Where ``q``
is within a relative 1e-9 of a whole number (the float could fall on either
side) or the column is shared between a combined school's levels, no amount is
given and the planner's exact per-section path decides
(:func:`balance_rules.shortfall.thresholds.least_addition`).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from ..data.fields import COMBINED_TYPES
from ..engine.columnar import ColumnarResult
from ..engine.inputs import FAIL, PASS, indicator_parts
from ..standard.model import SchoolThreshold, Standard
from .resources import RESOURCES

__all__ = ["OpenThresholds", "threshold_steps"]

#: Per county code: rule id → (level, section index) → (column, addition) or None
#: (None: the planner's per-section path decides; the section did not pass).
OpenThresholds = list[dict[str, dict[tuple[str, int], tuple[str, Fraction] | None]]]

_PLANNED = (">=", ">")


def threshold_steps(
    core: ColumnarResult, standard: Standard, rules: Sequence[SchoolThreshold]
) -> OpenThresholds:
    """Every section that does not pass a deciding threshold, with its least addition."""
    out: OpenThresholds = [{} for _ in core.county_names]
    split = frozenset(standard.split.items)
    combined = np.array(sorted(COMBINED_TYPES), dtype=object)
    types = core.table.text["school_type"]
    for rule in rules:
        for level in rule.levels:
            outcome = core.outcomes.get((rule.id, level))
            if outcome is None:
                continue
            part = core.levels[level]
            idx = np.flatnonzero(outcome.status != PASS)
            if len(idx) == 0:
                continue
            amounts = _amounts(core, standard, rule, level, idx, split, combined, types)
            codes = part.counties[idx].tolist()
            for code, i, amount in zip(codes, idx.tolist(), amounts, strict=True):
                out[code].setdefault(rule.id, {})[(level, i)] = amount
    return out


def _amounts(
    core: ColumnarResult,
    standard: Standard,
    rule: SchoolThreshold,
    level: str,
    idx: np.ndarray,
    split: frozenset[str],
    combined: np.ndarray,
    types: np.ndarray,
) -> list[tuple[str, Fraction] | None]:
    """The least addition per section of *idx* (None where the exact path decides)."""
    none: list[tuple[str, Fraction] | None] = [None] * len(idx)
    indicator = standard.indicators[rule.indicator]
    field = indicator.numerator[0]
    resource = RESOURCES.get(field)
    if rule.op not in _PLANNED or resource is None or len(indicator.numerator) != 1:
        return none
    part = core.levels[level]
    outcome = core.outcomes[(rule.id, level)]
    ok = outcome.status[idx] == FAIL
    if resource.per_level:
        column = f"{level}_{field}"
    else:
        column = field
        if field in split:  # a combined school's share of the column: exact path
            ok &= ~np.isin(types[part.rows[idx]], combined)
    numerator, denominator = indicator_parts(core, indicator.id, level)
    num = numerator[idx]
    den = np.ones(len(idx)) if denominator is None else denominator[idx]
    target = outcome.threshold[idx]
    step = float(resource.step)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = (target * den / float(indicator.scale) - num) / step
        whole = np.round(q)
        ok &= np.isfinite(q) & (den > 0)
        ok &= np.abs(q - whole) > 1e-9 * np.maximum(1.0, np.abs(q))
        steps = np.where(ok, np.maximum(np.ceil(q), 0), 0)
    result = none
    for j in np.flatnonzero(ok).tolist():
        result[j] = (column, int(steps[j]) * resource.step)
    return result
