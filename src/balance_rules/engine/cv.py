"""Student-weighted difference coefficients (computation.md §1) and exact caps.

    P  = Σ P_i,  X̄ = Σ P_i·X_i / P,  S² = Σ (P_i/P)·(X_i − X̄)²,  CV = S / X̄

Values are computed in floating point for display.  A decision against a cap is
made in floating point only when the value is clearly away from the boundary;
otherwise it is made exactly, from the exact section values: CV ≤ c ⟺ S² ≤ c²·X̄².
Composites (means of CVs, which are square roots) are decided exactly when every
CV is rational, and otherwise to 80 significant digits: a mean of square roots
that are not all rational is irrational, so it can never equal a decimal cap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_FLOOR, Context, Decimal, localcontext
from fractions import Fraction
from typing import NamedTuple

from ..standard.model import Rounding

__all__ = [
    "Moments",
    "cap_allows",
    "composite_allows",
    "weighted_cv",
    "weighted_cv_squared",
    "weighted_moments",
]

#: Float results closer than this to a boundary are re-decided exactly.
MARGIN = 1e-9


class Moments(NamedTuple):
    """The working of one CV: total students P, weighted mean X̄, S and CV (floats)."""

    students: float
    mean: float | None
    std: float | None
    cv: float | None


def weighted_moments(weights: Sequence[Fraction], values: Sequence[Fraction]) -> Moments:
    """P, X̄, S and CV in floating point (display only); CV None when the mean is 0."""
    w = [float(p) for p in weights]
    x = [float(v) for v in values]
    total = math.fsum(w)
    if total <= 0:
        return Moments(total, None, None, None)
    mean = math.fsum(p * v for p, v in zip(w, x, strict=True)) / total
    variance = math.fsum(p * (v - mean) ** 2 for p, v in zip(w, x, strict=True)) / total
    std = math.sqrt(variance)
    return Moments(total, mean, std, None if mean == 0 else std / abs(mean))


def weighted_cv(weights: Sequence[Fraction], values: Sequence[Fraction]) -> float | None:
    """The student-weighted population CV in floating point; None when the mean is 0."""
    w = [float(p) for p in weights]
    x = [float(v) for v in values]
    total = math.fsum(w)
    if total <= 0:
        return None
    mean = math.fsum(p * v for p, v in zip(w, x, strict=True)) / total
    if mean == 0:
        return None
    variance = math.fsum(p * (v - mean) ** 2 for p, v in zip(w, x, strict=True)) / total
    return math.sqrt(variance) / abs(mean)


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
    """Whether the mean of CVs (given exactly as CV²) is within the cap."""
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
