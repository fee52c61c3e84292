"""The one exact step: every decision near a boundary, made again without rounding.

Rule kernels decide in floating point and mark the values within :data:`MARGIN`
(relative) of their threshold; this module decides those again from the exact
decimal inputs — integers where the inputs allow it, otherwise Fractions — so
that a school at exactly 4.2 per 100 meets "≥ 4.2" (computation.md §4).  No
kernel has exact arithmetic of its own: thresholds, CV caps (CV ≤ c ⟺
S² ≤ c²·X̄²), composites, k-of-n floors and derived county facts all come here.

Pure-Python functions at the top serve the plain per-section arithmetic too;
those working on arrays import NumPy when called (``import balance_rules`` stays
light).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import ROUND_FLOOR, Context, Decimal, localcontext
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from ..standard.model import Rounding

if TYPE_CHECKING:
    import numpy as np

    from ..sections import Section

__all__ = [
    "MARGIN",
    "Tie",
    "cap_allows",
    "composite_allows",
    "cv_reaches",
    "decide_ties",
    "exact_fraction",
    "least_steps",
    "near",
    "precise_cv",
    "ratio",
    "rise_exceeds",
    "share_at_least",
    "weighted_cv_squared",
]

#: Float results closer than this (relative) to a boundary are re-decided exactly.
MARGIN = 1e-9

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
}


def exact_fraction(x: float) -> Fraction:
    """The decimal a float was read from (every input has at most 15 digits)."""
    return Fraction(Decimal(repr(float(x))))


def ratio(value: Fraction, threshold: Fraction, op: str) -> Fraction | None:
    """How much of a threshold a value reaches (1 = exactly met), exactly."""
    if op in (">=", ">"):
        return value / threshold if threshold > 0 else None
    if value == 0:
        return None
    return threshold / value


# -- CVs and composites (exact) -------------------------------------------------------


def weighted_cv_squared(weights: Sequence[Fraction], values: Sequence[Fraction]) -> Fraction | None:
    """CV² exactly, as a fraction; None when the mean is 0."""
    total = sum(weights, Fraction(0))
    if total <= 0:
        return None
    weighted_sum = sum((p * v for p, v in zip(weights, values, strict=True)), Fraction(0))
    if weighted_sum == 0:
        return None
    mean = weighted_sum / total
    variance = (
        sum((p * (v - mean) ** 2 for p, v in zip(weights, values, strict=True)), Fraction(0))
        / total
    )
    return variance / (mean * mean)


def _boundary(cap: Decimal, rounding: Rounding | None) -> tuple[Fraction, bool]:
    """The exact boundary B and whether a value equal to B passes, for "value ≤ cap".

    With rounding to d decimals, rounded(v) ≤ cap ⟺ v < m + u/2 (u = 10^-d,
    m = cap floored to a multiple of u), and v = m + u/2 passes only when rounding
    half to even and m/u is even.
    """
    if rounding is None:
        return Fraction(cap), True
    unit = Fraction(1, 10**rounding.decimals)
    with localcontext(Context(prec=60)):
        floored = cap.quantize(Decimal(1).scaleb(-rounding.decimals), rounding=ROUND_FLOOR)
    m = Fraction(floored)
    tie_passes = rounding.mode == "half_even" and (m / unit).numerator % 2 == 0
    return m + unit / 2, tie_passes


def cap_allows(
    cv: float,
    weights: Sequence[Fraction],
    values: Sequence[Fraction],
    cap: Decimal,
    rounding: Rounding | None = None,
) -> bool:
    """Whether CV ≤ cap (after the standard's rounding, if any), decided exactly."""
    boundary, tie_passes = _boundary(cap, rounding)
    b = float(boundary)
    if cv < b - MARGIN:
        return True
    if cv > b + MARGIN:
        return False
    squared = weighted_cv_squared(weights, values)
    if squared is None:  # pragma: no cover - callers pass defined CVs only
        return False
    target = boundary * boundary
    return squared < target or (squared == target and tie_passes)


def _exact_sqrt(value: Fraction) -> Fraction | None:
    num, den = value.numerator, value.denominator
    rn, rd = math.isqrt(num), math.isqrt(den)
    if rn * rn == num and rd * rd == den:
        return Fraction(rn, rd)
    return None


def composite_allows(
    mean: float,
    squares: Sequence[Fraction],
    cap: Decimal,
    rounding: Rounding | None = None,
) -> bool:
    """Whether the mean of CVs (given exactly as CV²) is within the cap.

    Exact when every CV is rational, otherwise to 80 significant digits: a mean
    of square roots that are not all rational is irrational, so it can never
    equal a decimal cap.
    """
    boundary, tie_passes = _boundary(cap, rounding)
    b = float(boundary)
    if mean < b - MARGIN:
        return True
    if mean > b + MARGIN:
        return False
    roots = [_exact_sqrt(s) for s in squares]
    if all(r is not None for r in roots):
        exact_mean = sum((r for r in roots if r is not None), Fraction(0)) / len(roots)
        return exact_mean < boundary or (exact_mean == boundary and tie_passes)
    with localcontext(Context(prec=80)):
        total = sum((Decimal(s.numerator) / Decimal(s.denominator)).sqrt() for s in squares)
        precise = total / len(squares)
        limit = Decimal(boundary.numerator) / Decimal(boundary.denominator)
        return precise < limit


#: Significant digits of a year-on-year decision between irrational CVs.
PRECISE_DIGITS = 50
#: Below this a 50-digit difference counts as zero (a tie is not "more than").
_TIE = Decimal("1e-45")


def precise_cv(squares: Sequence[Fraction]) -> Fraction | Decimal:
    """A CV from its exact square (or a composite: the mean of the CVs of several squares).

    Exact (a Fraction) when every CV is rational; otherwise a Decimal to
    :data:`PRECISE_DIGITS` significant digits — the value is then irrational.
    """
    roots = [_exact_sqrt(s) for s in squares]
    if all(r is not None for r in roots):
        return sum((r for r in roots if r is not None), Fraction(0)) / len(roots)
    with localcontext(Context(prec=PRECISE_DIGITS)):
        total = sum(
            ((Decimal(s.numerator) / Decimal(s.denominator)).sqrt() for s in squares), Decimal(0)
        )
        return total / len(squares)


def _sign(*terms: Fraction | Decimal) -> int:
    """The sign of terms[0] − terms[1] − …, exactly when all are Fractions, else to 50 digits."""
    if all(isinstance(t, Fraction) for t in terms):
        exact = Fraction(terms[0]) - sum((Fraction(t) for t in terms[1:]), Fraction(0))
        return (exact > 0) - (exact < 0)
    with localcontext(Context(prec=PRECISE_DIGITS)):
        as_decimal = [
            Decimal(t.numerator) / Decimal(t.denominator) if isinstance(t, Fraction) else t
            for t in terms
        ]
        difference = as_decimal[0] - sum(as_decimal[1:], Decimal(0))
        if abs(difference) < _TIE:
            return 0
        return 1 if difference > 0 else -1


def _apart(a: float, b: float) -> bool:
    return abs(a - b) > MARGIN * max(1.0, abs(b))


def cv_reaches(value: float, bound: Decimal, squares: Sequence[Fraction] | None) -> bool:
    """Whether a CV (or composite) is at least *bound*, e.g. cap − margin.

    Floating point decides where the value is clearly apart from the bound; near
    it, the exact CV²: CV ≥ b ⟺ S²/X̄² ≥ b² (b ≥ 0), in Fractions.  A composite
    (several CV²) is decided exactly when every CV is rational, else to
    :data:`PRECISE_DIGITS` digits.  Without the exact squares (a ready Report
    carries none) the CV's shortest decimal form is compared.
    """
    if _apart(value, float(bound)):
        return value >= float(bound)
    if bound <= 0:
        return True
    if squares is None or not squares:
        return Decimal(repr(value)) >= bound
    if len(squares) == 1:
        return squares[0] >= Fraction(bound) ** 2
    return _sign(precise_cv(squares), Fraction(bound)) >= 0


def rise_exceeds(
    now: float,
    before: float,
    rise: Decimal,
    now_squares: Sequence[Fraction] | None,
    before_squares: Sequence[Fraction] | None,
) -> bool:
    """Whether a CV rose by more than *rise*: now − before > rise.

    Floating point decides where the difference is clearly apart from the rise;
    near it, the two CVs from their exact squares: exactly when both are rational,
    otherwise to :data:`PRECISE_DIGITS` significant digits (a difference of two
    irrational CVs; within 1e-45 of the rise counts as equal, so not more).
    Without the exact squares, the CVs' shortest decimal forms are compared.
    """
    if _apart(now - before, float(rise)):
        return now - before > float(rise)
    if not now_squares or not before_squares:
        return Decimal(repr(now)) - Decimal(repr(before)) > rise
    return _sign(precise_cv(now_squares), precise_cv(before_squares), Fraction(rise)) > 0


def clearly_within(
    values: np.ndarray, cap: Decimal | None, rounding: Rounding | None
) -> tuple[np.ndarray, np.ndarray]:
    """Float CVs (or composites) of many counties against their cap, at once.

    Returns ``(within, close)``: where a value is at or under the cap by float,
    and where it is too close to the cap (within ``2 * MARGIN``, or any value
    under a rounding rule) for the float to decide, so that the exact step
    (:func:`cv_within_cap`, :func:`composite_within_cap`) decides it.  NaN is
    neither; with no cap every value is within.
    """
    import numpy as np

    known = ~np.isnan(values)
    if cap is None:
        return known, np.zeros(len(values), dtype=bool)
    within: np.ndarray = known & (values <= float(cap))
    if rounding is not None:
        return within, known
    close: np.ndarray = known & (np.abs(values - float(cap)) <= 2 * MARGIN)
    return within, close


# -- arrays ---------------------------------------------------------------------------


def near(values: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Where a value is within MARGIN (relative) of its target (NaN: False)."""
    import numpy as np

    found: np.ndarray = np.abs(values - targets) <= MARGIN * np.maximum(1.0, np.abs(targets))
    return found


def decimal_ints(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each number as an integer and a count of decimal places: x = n / 10**k.

    Exact for inputs written with at most 15 significant digits (every reader
    keeps to that); ``ok`` is False where no such form was found.
    """
    import numpy as np

    whole = np.zeros(len(x), dtype=np.int64)
    places = np.zeros(len(x), dtype=np.int64)
    ok = ~np.isfinite(x)  # never decided this way: marked not ok below
    with np.errstate(invalid="ignore", over="ignore"):
        for k in range(13):
            if ok.all():
                break
            scaled = x * 10.0**k
            rounded = np.round(scaled)
            good = (
                ~ok
                & (np.abs(scaled - rounded) <= 1e-12 * np.maximum(1.0, np.abs(scaled)))
                & (np.abs(rounded) < 2.0**53)
            )
            whole[good] = rounded[good].astype(np.int64)
            places[good] = k
            ok |= good
    return whole, places, ok & np.isfinite(x)


class Sections(Protocol):
    """What the exact step needs of the evaluation: exact sections and their shape."""

    @property
    def split_items(self) -> frozenset[str]: ...

    @property
    def combined(self) -> np.ndarray: ...

    @property
    def merged(self) -> np.ndarray: ...

    def exact_section(self, row: int, level: str) -> Section: ...


class Calc(Protocol):
    """An indicator's arithmetic: sum(numerator) / denominator × scale."""

    @property
    def numerator(self) -> tuple[str, ...]: ...

    @property
    def denominator(self) -> str | None: ...

    @property
    def scale(self) -> Fraction: ...

    def compute(self, section: Section) -> tuple[Fraction | None, tuple[str, ...], str | None]: ...


@attrs.define
class Tie:
    """Sections of one rule and level within a hair of the threshold, to decide exactly.

    ``rows`` are table rows of the sections ``near`` (indices into the level's
    arrays); ``status`` is the rule's status array, updated in place.
    """

    calc: Calc
    op: str
    level: str
    rows: np.ndarray
    values: dict[str, np.ndarray]
    near: np.ndarray
    threshold: np.ndarray
    status: np.ndarray


_POWERS_OF_TEN: Any = None


def exact_value(sections: Sections, calc: Calc, row: int, level: str) -> Fraction | None:
    """An indicator's value for one section, exactly."""
    value, _, _ = calc.compute(sections.exact_section(row, level))
    return value


def _exact_product(*factors: np.ndarray) -> np.ndarray:
    """The elementwise product of integer arrays: in int64 when it surely fits, else exactly
    in Python integers (object arrays)."""
    import numpy as np

    try:
        size = np.ones(len(factors[0]))
        for factor in factors:
            size = size * np.abs(factor.astype(np.float64))
        if len(size) == 0 or float(size.max()) < 2.0**62:  # far from 2**63 - 1
            product = np.ones(len(factors[0]), dtype=np.int64)
            for factor in factors:
                product = product * factor.astype(np.int64)
            return product
    except OverflowError:  # a factor beyond floating point: surely too large
        pass
    exact: np.ndarray = factors[0].astype(object)
    for factor in factors[1:]:
        exact = exact * factor.astype(object)
    return exact


def _small_ints(values: Sequence[int]) -> np.ndarray:
    """Python integers as an int64 array when each is well within int64, else as objects."""
    import numpy as np

    if all(-(2**62) < v < 2**62 for v in values):
        return np.array(values, dtype=np.int64)
    return np.array(values, dtype=object)


def _distinct_limits(parts: Sequence[np.ndarray]) -> tuple[np.ndarray, list[float]]:
    """The distinct thresholds of some arrays, and each cell's place among them."""
    import numpy as np

    place: dict[float, int] = {}
    which = []
    for part in parts:
        if len(part) and bool((part == part[0]).all()):  # one threshold (the usual case)
            k = place.setdefault(float(part[0]), len(place))
            which.append(np.full(len(part), k, dtype=np.int64))
        else:
            values, inverse = np.unique(part, return_inverse=True)
            codes = [place.setdefault(v, len(place)) for v in values.tolist()]
            which.append(np.array(codes, dtype=np.int64)[inverse.reshape(-1)])
    return np.concatenate(which) if which else np.zeros(0, dtype=np.int64), list(place)


def decide_ties(sections: Sections, pending: Sequence[Tie], pass_: int, fail: int) -> None:
    """Decide, exactly, every section whose value is within a hair of its threshold.

    A plain section (facilities not split, not merged or merged by taking a
    minimum or maximum) is decided with integer arithmetic on its inputs as
    written, all rules at once; any other from its exact section values.
    """
    import numpy as np

    from ..data.fields import MAXIMUM_FIELDS, MINIMUM_FIELDS

    global _POWERS_OF_TEN
    if _POWERS_OF_TEN is None:
        _POWERS_OF_TEN = _small_ints([10**k for k in range(13)])
    if not pending:
        return
    split = sections.split_items
    numerators, denominators, fast_parts, scales, limit_parts = [], [], [], [], []
    for tie in pending:
        calc, rows = tie.calc, tie.rows[tie.near]
        fields = [calc.numerator[0]] + ([calc.denominator] if calc.denominator else [])
        fast = np.ones(len(rows), dtype=bool)
        if len(calc.numerator) != 1:
            fast[:] = False
        elif any(f in split for f in fields):
            fast &= ~sections.combined[rows]
        # Merging sub-sites picks one of the inputs for a minimum or maximum field
        # (a room size, the largest class), so those stay exact; sums may not.
        if not all(f in MINIMUM_FIELDS or f in MAXIMUM_FIELDS for f in fields):
            fast &= ~sections.merged[rows]
        numerators.append(tie.values[fields[0]][tie.near])
        denominators.append(
            tie.values[calc.denominator][tie.near] if calc.denominator else np.ones(len(rows))
        )
        fast_parts.append(fast)
        scales.append(Fraction(calc.scale))
        limit_parts.append(tie.threshold[tie.near])
    sizes = [len(t.near) for t in pending]
    numerator, n_places, n_ok = decimal_ints(np.concatenate(numerators))
    denominator, d_places, d_ok = decimal_ints(np.concatenate(denominators))
    fast = np.concatenate(fast_parts) & n_ok & d_ok
    limits = np.concatenate(limit_parts)
    # Thresholds and scales as exact fractions p / q (each distinct threshold once;
    # a rule's are mostly one number for all its sections).
    which, distinct = _distinct_limits(limit_parts)
    exact_limits = {v: exact_fraction(v) for v in distinct}
    p_of = [exact_limits[v].numerator for v in distinct]
    q_of = [exact_limits[v].denominator for v in distinct]
    # value = (n / 10^kn) * scale / (d / 10^kd) against p / q: every denominator is
    # positive, so compare n * scale_num * q * 10^kd with p * scale_den * d * 10^kn,
    # in Python integers (object arrays) so nothing can overflow.
    # (Small integers as int64, so that the products are made in int64 when
    # they surely fit; any larger one as a Python integer.)
    p = _small_ints(p_of)[which]
    q = _small_ints(q_of)[which]
    sn = np.repeat(_small_ints([f.numerator for f in scales]), sizes)
    sd = np.repeat(_small_ints([f.denominator for f in scales]), sizes)
    left = _exact_product(numerator, sn, q, _POWERS_OF_TEN[d_places])
    right = _exact_product(p, sd, denominator, _POWERS_OF_TEN[n_places])
    # Every comparison at once, one operator at a time; then each rule's statuses.
    op_names = sorted({tie.op for tie in pending})
    ops = np.repeat(np.array([op_names.index(tie.op) for tie in pending], dtype=np.int64), sizes)
    decided = np.zeros(len(ops), dtype=bool)
    for code, op in enumerate(op_names):
        where = ops == code
        decided[where] = np.asarray(_OPS[op](left[where], right[where]), dtype=bool)
    statuses = np.where(decided, pass_, fail)
    start = 0
    for tie, size in zip(pending, sizes, strict=True):
        own = slice(start, start + size)
        start += size
        here = fast[own]
        tie.status[tie.near[here]] = statuses[own][here]
        if here.all():
            continue
        compare = _OPS[tie.op]
        rows = tie.rows[tie.near]
        for j in np.flatnonzero(~here):
            exact = exact_value(sections, tie.calc, int(rows[j]), tie.level)
            if exact is not None:
                limit = exact_limits[float(limits[own][j])]
                tie.status[tie.near[j]] = pass_ if compare(exact, limit) else fail


def group_values(
    sections: Sections, calc: Calc, rows: Sequence[int], level: str
) -> tuple[list[Fraction], list[Fraction]]:
    """Students and exact indicator values of some sections (the inputs of one CV)."""
    weights, values = [], []
    for row in rows:
        section = sections.exact_section(int(row), level)
        value, _, _ = calc.compute(section)
        if value is not None and section.students is not None:
            weights.append(section.students)
            values.append(value)
    return weights, values


def cv_within_cap(
    sections: Sections,
    calc: Calc,
    rows: Sequence[int],
    level: str,
    value: float,
    cap: Decimal,
    rounding: Rounding | None,
) -> bool:
    """Whether a county's CV meets its cap, decided exactly from its sections."""
    weights, values = group_values(sections, calc, rows, level)
    return cap_allows(value, weights, values, cap, rounding)


def composite_within_cap(
    sections: Sections,
    calcs: Sequence[Calc],
    rows: Sequence[int],
    level: str,
    value: float,
    cap: Decimal,
    rounding: Rounding | None,
) -> bool:
    """Whether a county's composite (mean of CVs) meets its cap, decided exactly."""
    squares = []
    for calc in calcs:
        weights, values = group_values(sections, calc, rows, level)
        square = weighted_cv_squared(weights, values)
        if square is not None:
            squares.append(square)
    return composite_allows(value, squares, cap, rounding)


def lowest_below_floor(
    sections: Sections,
    members: Sequence[tuple[Calc, str, float]],
    row: int,
    level: str,
    floor: Decimal,
) -> bool:
    """Whether the weakest unmet member ratio of a k-of-n rule is below its floor, exactly.

    *members* are the failing member rules as (indicator arithmetic, operator,
    threshold as read).
    """
    lowest: Fraction | None = None
    for calc, op, threshold in members:
        value = exact_value(sections, calc, row, level)
        if value is None:
            continue
        found = ratio(value, exact_fraction(threshold), op)
        if found is not None and (lowest is None or found < lowest):
            lowest = found
    return lowest is not None and lowest < Fraction(floor)


def share_at_least(count: int, total: int, minimum: Decimal) -> bool:
    """count / total ≥ minimum, exactly (total > 0)."""
    bound = Fraction(minimum)
    return count * bound.denominator >= bound.numerator * total


def exact_quotient(numerator: float, denominator: float, scale: Decimal) -> Fraction:
    """numerator / denominator × scale for whole-number float sums (exact below 2**53)."""
    top, bottom = scale.as_integer_ratio()  # one Fraction made (and reduced), not three
    return Fraction(int(numerator) * top, int(denominator) * bottom)


def derived_quotient(
    sections: Sequence[Section], numerator: str, denominator: str, scale: Decimal
) -> Fraction | None:
    """Σ numerator / Σ denominator × scale over exact sections (None: divisor 0)."""
    top = sum((s.values.get(numerator) or Fraction(0) for s in sections), Fraction(0))
    bottom = sum((s.values.get(denominator) or Fraction(0) for s in sections), Fraction(0))
    if bottom == 0:
        return None
    return top / bottom * Fraction(scale)


def least_steps(
    value: Fraction,
    per_step: Fraction,
    threshold: Fraction,
    op: str,
) -> int:
    """The least whole number ``k ≥ 0`` of steps with ``value + k·per_step  op  threshold``.

    *op* is ``>=`` or ``>``; *per_step* (what one step adds to the value) must be
    positive.  Exact: ``k = ⌈(threshold − value) / per_step⌉`` for ``>=`` and
    ``⌊(threshold − value) / per_step⌋ + 1`` for ``>``, never below 0 — so a value
    exactly at ``≥ T`` needs no step and one exactly at ``> T`` needs one.
    """
    if per_step <= 0:
        raise ValueError("least_steps: per_step must be positive")
    gap = (threshold - value) / per_step
    if op == ">=":
        return max(0, math.ceil(gap))
    if op == ">":
        return max(0, math.floor(gap) + 1)
    raise ValueError(f"least_steps: op must be '>=' or '>', not {op!r}")
