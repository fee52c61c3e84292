"""The least additions for every failing school threshold of a nation, with NumPy.

The evaluation core has decided, exactly, which sections fail which threshold;
this module reads its arrays (``engine.inputs``) and computes, for all of them
at once, the whole number of steps the section's own column needs:
``q = (T × denominator / scale − numerator) / share / step``, rounded up (``share``
is a combined school's level share of a split column, 1 otherwise).  Where ``q``
is within a relative 1e-9 of a whole number (the float could fall on either
side), or the column is shared between the levels of a combined school with
sub-sites merged in, no amount is given and the planner's exact per-section path
decides (:func:`balance_rules.shortfall.thresholds.least_addition`).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from ..data.fields import COMBINED_TYPES, LEVEL_SUFFIXES, LEVELS, SCHOOL_TYPE_LEVELS
from ..engine.columnar import ColumnarResult
from ..engine.inputs import FAIL, NOT_EVALUATED, PASS, indicator_parts, indicator_values
from ..sections import section_shares
from ..standard.model import SchoolKOfN, SchoolThreshold, Standard
from .k_of_n import Option, SectionChoice
from .resources import RESOURCES
from .thresholds import indicator_addition

__all__ = [
    "OpenChoices",
    "OpenThresholds",
    "RefusedSections",
    "k_of_n_choices",
    "threshold_steps",
]

#: Per county code: rule id → (level, section index) → (column, addition) or None
#: (None: the planner's per-section path decides; the section did not pass).
OpenThresholds = list[dict[str, dict[tuple[str, int], tuple[str, Fraction | int] | None]]]

_PLANNED = (">=", ">")


def threshold_steps(
    core: ColumnarResult,
    standard: Standard,
    rules: Sequence[SchoolThreshold],
    skip: Collection[str] = (),
) -> OpenThresholds:
    """Every section that does not pass a deciding threshold, with its least addition.

    Rules in *skip* (those no addition meets, see :class:`RefusedSections`) are left out.
    """
    out: OpenThresholds = [{} for _ in core.county_names]
    split = frozenset(standard.split.items)
    types = core.table.text["school_type"]
    combined = _combined_rows(types)
    for rule in rules:
        if rule.id in skip:
            continue
        for level, part, _outcome, idx in _not_passed(core, rule):
            if len(idx) == 0:
                continue
            amounts = _amounts(core, standard, rule, level, idx, split, combined, types)
            codes = part.counties[idx]
            if len(codes) > 1 and not (codes[1:] >= codes[:-1]).all():
                for code, i, amount in zip(codes.tolist(), idx.tolist(), amounts, strict=True):
                    out[code].setdefault(rule.id, {})[(level, i)] = amount
                continue
            # sections in county order (the core's): each county's run added at once
            keys = list(zip(itertools.repeat(level), idx.tolist()))
            starts = [0, *(np.flatnonzero(codes[1:] != codes[:-1]) + 1).tolist(), len(keys)]
            for a, b in itertools.pairwise(starts):
                found = out[int(codes[a])].setdefault(rule.id, {})
                found.update(zip(keys[a:b], amounts[a:b], strict=True))
    return out


def _not_passed(
    core: ColumnarResult, rule: SchoolThreshold
) -> Iterator[tuple[str, Any, Any, np.ndarray]]:
    """Per level the rule has a result for: the level, its sections, the rule's
    outcome there, and the indices of the sections it did not pass."""
    for level in rule.levels:
        outcome = core.outcomes.get((rule.id, level))
        if outcome is not None:
            part = core.levels[level]
            yield level, part, outcome, np.flatnonzero(outcome.status != PASS)


class RefusedSections:
    """For deciding thresholds no addition meets at any section (``planner.refusal_of``):
    every section the core did not pass, for the whole nation at once, sorted by
    county, table row and level (the county's section order), as arrays.

    What :func:`threshold_steps` would give for them (each section with no
    addition) without a dictionary entry per section: a county's sections are
    read as slices (:meth:`of_county`), or as those entries (:meth:`open_of`)
    for the planner's model.
    """

    def __init__(
        self, core: ColumnarResult, standard: Standard, rules: Sequence[SchoolThreshold]
    ) -> None:
        self.levels = tuple(standard.levels)
        order = {level: n for n, level in enumerate(self.levels)}
        k = len(core.county_names)
        #: rule id → (table rows, level codes, section indices, statuses, county starts)
        self.by_rule: dict[
            str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
        ] = {}
        for rule in rules:
            parts = []
            for level, part, outcome, idx in _not_passed(core, rule):
                parts.append(
                    (part.counties[idx], part.rows[idx], np.full(len(idx), order[level]),
                     idx, outcome.status[idx])
                )  # fmt: skip
            if not parts:
                continue
            codes, rows, levels, idx, status = (np.concatenate(p) for p in zip(*parts, strict=True))
            sort = np.lexsort((levels, rows, codes))
            codes = codes[sort]
            starts = np.searchsorted(codes, np.arange(k + 1))
            self.by_rule[rule.id] = (rows[sort], levels[sort], idx[sort], status[sort], starts)

    def of_county(
        self, rule_id: str, code: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """County *code*'s sections of rule *rule_id*: (rows, level codes, statuses)
        in its section order, or None when it has none."""
        found = self.by_rule.get(rule_id)
        if found is None:
            return None
        rows, levels, _idx, status, starts = found
        a, b = int(starts[code]), int(starts[code + 1])
        if a == b:
            return None
        return rows[a:b], levels[a:b], status[a:b]

    def open_of(self, code: int) -> dict[str, dict[tuple[str, int], None]]:
        """County *code*'s sections as :func:`threshold_steps` entries (no addition)."""
        out: dict[str, dict[tuple[str, int], None]] = {}
        for rule_id, (_rows, levels, idx, _status, starts) in self.by_rule.items():
            a, b = int(starts[code]), int(starts[code + 1])
            if a < b:
                out[rule_id] = {
                    (self.levels[lv], i): None
                    for lv, i in zip(levels[a:b].tolist(), idx[a:b].tolist(), strict=True)
                }
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
    exact_factor: Fraction | None = None,
) -> list[tuple[str, Fraction | int] | None]:
    """The least addition per section of *idx* (None where the planner's model
    decides) to reach *factor* × the threshold (a k-of-n floor: ``>=`` floor × T;
    *exact_factor* is the floor as written).

    Where the float step count is within a relative 1e-9 of a whole number, the
    section is decided again exactly (:func:`balance_rules.engine.exact.least_steps`
    on the school's exact columns) when no sub-site is merged into it and the
    threshold does not depend on the school.
    """
    none: list[tuple[str, Fraction | int] | None] = [None] * len(idx)
    indicator = standard.indicators[rule.indicator]
    field = indicator.numerator[0]
    resource = RESOURCES.get(field)
    if rule.op not in _PLANNED or resource is None or len(indicator.numerator) != 1:
        return none
    part = core.levels[level]
    outcome = core.outcomes[(rule.id, level)]
    ok = outcome.status[idx] == FAIL
    numerator, denominator = indicator_parts(core, indicator.id, level)
    num = numerator[idx]
    share = np.ones(len(idx))
    if resource.per_level:
        column = f"{level}_{field}"
    else:
        column = field
        if field in split:  # a combined school's section sees its share of an addition
            num = num.copy()
            rows = part.rows[idx]
            for j in np.flatnonzero(combined[rows] & ok).tolist():
                found = _share(core, standard, int(rows[j]), level)
                if found is None:
                    ok[j] = False  # sub-sites merged in, or no share: the exact path
                    continue
                share[j] = found
                num[j] = core.table.numbers[field][rows[j]] * found
    den = np.ones(len(idx)) if denominator is None else denominator[idx]
    target = outcome.threshold[idx] * factor
    step = float(resource.step)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = (target * den / float(indicator.scale) - num) / share / step
        if factor != 1.0:  # the floor: ">=" whatever the rule's operator
            ok &= q > 0
        whole = np.round(q)
        ok &= np.isfinite(q) & (den > 0)
        near = ok & (np.abs(q - whole) <= 1e-9 * np.maximum(1.0, np.abs(q)))
        ok &= ~near
        steps = np.where(ok, np.maximum(np.ceil(q), 0), 0)
    result = none
    step_fraction = resource.step
    if step_fraction.denominator == 1:  # whole steps: int amounts (as _times gives)
        per = step_fraction.numerator
        for j, n in zip(np.flatnonzero(ok).tolist(), steps[ok].tolist(), strict=True):
            result[j] = (column, int(n) * per)
    else:
        for j, n in zip(np.flatnonzero(ok).tolist(), steps[ok].tolist(), strict=True):
            result[j] = (column, _times(int(n), step_fraction))
    if near.any() and rule.threshold.by is None:
        limit = rule.threshold.for_level(level, None)[0]
        if limit is not None:
            target_exact = Fraction(limit) * (exact_factor if exact_factor is not None else 1)
            op = rule.op if exact_factor is None else ">="
            for j in np.flatnonzero(near).tolist():
                amount = _exact_amount(
                    core, standard, indicator.id, level, int(part.rows[idx[j]]), target_exact, op
                )
                if amount is not None:
                    result[j] = (column, amount)
    return result


def _exact_amount(
    core: ColumnarResult,
    standard: Standard,
    indicator_id: str,
    level: str,
    row: int,
    target: Fraction,
    op: str,
) -> Fraction | None:
    """The least addition to the column an indicator's (single) numerator grows so
    that the section of *row* at *level* meets ``op target``, from the school's
    exact columns; None when sub-sites are merged into it or a value is missing."""
    if core.children.get(row):
        return None
    indicator = standard.indicators[indicator_id]
    school = core.table.school(row)
    field = indicator.numerator[0]
    resource = RESOURCES[field]
    shares = section_shares(school, standard.split)
    split = frozenset(standard.split.items)

    def value(name: str) -> tuple[Fraction | None, Fraction | None]:
        """(the section's exact value of *name*, its share of the column)."""
        if name in LEVEL_SUFFIXES:
            found = school.value(f"{level}_{name}")
            return (None if found is None else Fraction(found)), Fraction(1)
        if name in ("school_students", "school_classes"):
            suffix = "students" if name == "school_students" else "classes"
            total = Fraction(0)
            for lv in SCHOOL_TYPE_LEVELS[school.school_type]:
                if lv not in LEVELS:
                    continue
                part = school.value(f"{lv}_{suffix}")
                if part is None:
                    return None, None
                total += Fraction(part)
            return total, None
        share = (None if shares is None else shares.get(level)) if name in split else Fraction(1)
        found = school.value(name)
        if found is None or share is None:
            return None, share
        return Fraction(found) * share, share

    numerator, share = value(field)
    if numerator is None or not share:
        return None
    den: Fraction | None = None
    if indicator.denominator is not None:
        den = value(indicator.denominator)[0]
        if not den:
            return None
    return indicator_addition(
        indicator, resource, numerator=numerator, denominator=den, threshold=target, op=op,
        share=share,
    )  # fmt: skip


def _share(core: ColumnarResult, standard: Standard, row: int, level: str) -> float | None:
    """A combined school's *level* share of its split columns (the core's exact
    shares, :func:`balance_rules.sections.section_shares`), as a float; None when
    sub-sites are merged into it or the shares are undefined."""
    if core.children.get(row):
        return None
    shares = section_shares(core.table.school(row), standard.split)
    found = None if shares is None else shares.get(level)
    return None if not found else float(found)


_MULTIPLES: dict[tuple[int, int, int], Fraction] = {}


def _times(n: int, step: Fraction) -> Fraction | int:
    """``n × step``: an int for a whole-number step (exact, and the planner's sums
    and comparisons of ints are fast), else the same Fraction for the same amount."""
    if step.denominator == 1:
        return n * step.numerator
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
    list[int],
    list[tuple[str, Fraction | int] | None],
    list[tuple[str, Fraction | int] | None] | None,
    list[int],
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
                        core,
                        standard,
                        member,
                        level,
                        idx,
                        split,
                        combined,
                        types,
                        floor,
                        Fraction(rule.floor_ratio),  # type: ignore[arg-type]
                    )
                columns.append((member, status.tolist(), to_t, to_floor, below.tolist()))
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
        code = status[j]
        if code == PASS:
            met += 1
            continue
        if code == NOT_EVALUATED or member.op not in _PLANNED or below[j] < 0:
            return None
        found = to_t[j]
        if found is None:
            return None
        column, amount = found
        floor_amount: Fraction | int = 0
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
