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
from ..engine.inputs import FAIL, NOT_EVALUATED, PASS, indicator_parts, indicator_values
from ..standard.model import SchoolKOfN, SchoolThreshold, Standard
from .k_of_n import Option, SectionChoice
from .resources import RESOURCES

__all__ = ["OpenChoices", "OpenThresholds", "k_of_n_choices", "threshold_steps"]

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
    types = core.table.text["school_type"]
    combined = _combined_rows(types)
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
    factor: float = 1.0,
) -> list[tuple[str, Fraction] | None]:
    """The least addition per section of *idx* (None where the exact path decides)
    to reach *factor* × the threshold (a k-of-n floor: ``>=`` floor × T)."""
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
            ok &= ~combined[part.rows[idx]]
    numerator, denominator = indicator_parts(core, indicator.id, level)
    num = numerator[idx]
    den = np.ones(len(idx)) if denominator is None else denominator[idx]
    target = outcome.threshold[idx] * factor
    step = float(resource.step)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = (target * den / float(indicator.scale) - num) / step
        if factor != 1.0:  # the floor: ">=" whatever the rule's operator
            ok &= q > 0
        whole = np.round(q)
        ok &= np.isfinite(q) & (den > 0)
        ok &= np.abs(q - whole) > 1e-9 * np.maximum(1.0, np.abs(q))
        steps = np.where(ok, np.maximum(np.ceil(q), 0), 0)
    result = none
    step_fraction = resource.step
    for j, n in zip(np.flatnonzero(ok).tolist(), steps[ok].tolist(), strict=True):
        result[j] = (column, _times(int(n), step_fraction))
    return result


_MULTIPLES: dict[tuple[int, int, int], Fraction] = {}


def _times(n: int, step: Fraction) -> Fraction:
    """``n × step``, the same Fraction object for the same amount (amounts repeat)."""
    key = (n, step.numerator, step.denominator)  # a Fraction's own hash is slow
    found = _MULTIPLES.get(key)
    if found is None:
        if len(_MULTIPLES) > 100_000:
            _MULTIPLES.clear()
        found = _MULTIPLES[key] = n * step
    return found


def _combined_rows(types: np.ndarray) -> np.ndarray:
    """Per table row: whether the school is a combined school."""
    return np.fromiter(map(COMBINED_TYPES.__contains__, types), bool, len(types))


#: Per county code: (k-of-n rule id, level, section index) → the section's choice,
#: or None (the planner's per-section path decides).  A section the core passed
#: is absent.
#: A member rule at one level: statuses, additions to threshold and floor, below the floor.
_Member = tuple[
    SchoolThreshold,
    np.ndarray,
    list[tuple[str, Fraction] | None],
    list[tuple[str, Fraction] | None] | None,
    np.ndarray,
]

OpenChoices = list[dict[tuple[str, str, int], SectionChoice | None]]


def k_of_n_choices(
    core: ColumnarResult, standard: Standard, rules: Sequence[SchoolKOfN]
) -> OpenChoices:
    """For every section failing a deciding k-of-n rule before any addition: which
    members fail, and what each needs to its threshold and to the floor."""
    out: OpenChoices = [{} for _ in core.county_names]
    split = frozenset(standard.split.items)
    types = core.table.text["school_type"]
    combined = _combined_rows(types)
    for rule in rules:
        members = [standard.rules[m] for m in rule.rules]
        floor = None if rule.floor_ratio is None else float(rule.floor_ratio)
        for level in standard.levels:
            outcome = core.outcomes.get((rule.id, level))
            if outcome is None:
                continue
            part = core.levels[level]
            idx = np.flatnonzero(outcome.status != PASS)
            if len(idx) == 0:
                continue
            applying = [m for m in members if isinstance(m, SchoolThreshold) and level in m.levels]
            columns: list[_Member] = []
            complete = len(applying) == len(
                [m for m in members if level in getattr(m, "levels", (level,))]
            )
            for member in applying:
                member_outcome = core.outcomes.get((member.id, level))
                values = indicator_values(core, member.indicator, level)
                if member_outcome is None or values is None:
                    complete = False
                    break
                status = member_outcome.status[idx]
                to_t = _amounts(core, standard, member, level, idx, split, combined, types)
                below = np.zeros(len(idx), dtype=np.int8)  # 1 below the floor, -1 unsure
                to_floor = None
                if floor is not None:
                    limit = member_outcome.threshold[idx] * floor
                    value = values[idx]
                    with np.errstate(invalid="ignore"):
                        near = np.abs(value - limit) <= 1e-9 * np.maximum(1.0, np.abs(limit))
                        below = np.where(
                            near | np.isnan(value), -1, (value < limit).astype(np.int8)
                        )
                    to_floor = _amounts(
                        core, standard, member, level, idx, split, combined, types, floor
                    )
                columns.append((member, status, to_t, to_floor, below))
            codes = part.counties[idx].tolist()
            for j, (code, i) in enumerate(zip(codes, idx.tolist(), strict=True)):
                out[code][(rule.id, level, i)] = _choice(rule, columns, j) if complete else None
    return out


def _choice(
    rule: SchoolKOfN,
    columns: Sequence[_Member],
    j: int,
) -> SectionChoice | None:
    met = 0
    options: list[Option] = []
    below_floor = False
    for member, status, to_t, to_floor, below in columns:
        code = int(status[j])
        if code == PASS:
            met += 1
            continue
        if code == NOT_EVALUATED or member.op not in _PLANNED or below[j] < 0:
            return None
        found = to_t[j]
        if found is None:
            return None
        column, amount = found
        floor_amount = Fraction(0)
        if below[j] == 1:
            below_floor = True
            got = None if to_floor is None else to_floor[j]
            if got is None:
                return None
            floor_amount = got[1]
        options.append(Option(member.id, column, amount, floor_amount))
    needed = max(0, rule.min_met - met)
    if (needed == 0 and not below_floor) or needed > len(options):
        return None
    return SectionChoice(tuple(options), needed)
