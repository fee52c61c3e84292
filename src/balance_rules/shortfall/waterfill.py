"""The least total addition that brings a student-weighted CV under its cap.

Sections with students ``P_i`` and values ``v_i``.  Raising the sections below a
level ``t`` to ``t`` (and nothing else) is optimal (``docs/shortfall.md`` §3);
the answer is the smallest ``t`` with ``CV(max(v, t)) ≤ c``.  With the ``k``
lowest sections raised, ``c²m² − S²`` is, up to the positive factor ``P²``, the
quadratic

    f(t) = (1 + c²)(P_L t + R_H)² − P (P_L t² + Q_H)

(``P_L`` the raised students, ``R_H``/``Q_H`` the sums of ``P v`` and ``P v²``
over the others): it is solved per segment between consecutive sorted values,
its root computed to 50 digits and then moved up to the nearest rational where
the exact test ``f(t) ≥ 0`` holds.  Every decision is exact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Context, Decimal, localcontext
from fractions import Fraction

__all__ = ["composite_targets", "cv_within", "water_level"]


def cv_within(weights: Sequence[Fraction], values: Sequence[Fraction], cap: Fraction) -> bool:
    """Exactly: the student-weighted population CV is at most *cap* (mean > 0)."""
    total = sum(weights, Fraction(0))
    first = sum((p * v for p, v in zip(weights, values, strict=True)), Fraction(0))
    second = sum((p * v * v for p, v in zip(weights, values, strict=True)), Fraction(0))
    if first <= 0:
        return False
    # S² ≤ c² m²  ⟺  P·Σ P v² ≤ (1 + c²)(Σ P v)²
    return total * second <= (1 + cap * cap) * first * first


def _sqrt(value: Fraction) -> Fraction:
    with localcontext(Context(prec=60)):
        root = (Decimal(value.numerator) / Decimal(value.denominator)).sqrt()
    return Fraction(root)


def water_level(
    weights: Sequence[Fraction], values: Sequence[Fraction], cap: Fraction
) -> Fraction | None:
    """The least level ``t`` (a rational, at most a hair above the exact optimum)
    such that raising every value below ``t`` to ``t`` gives ``CV ≤ cap``.

    None when the CV is already within the cap.  Raises ValueError when the
    weighted mean is not positive (the CV is undefined).
    """
    pairs = sorted(zip(values, weights, strict=True))
    total = sum(weights, Fraction(0))
    r_all = sum((p * v for v, p in pairs), Fraction(0))
    q_all = sum((p * v * v for v, p in pairs), Fraction(0))
    if r_all <= 0 or total <= 0:
        raise ValueError("the weighted mean is not positive: the CV is undefined")
    k2 = 1 + cap * cap
    n = len(pairs)
    # Segments that floats show, beyond any rounding, to hold no answer are
    # skipped; the exact search starts at the first one that may (the same
    # answer: each skipped segment would have been passed over exactly too).
    start = _first_open_segment(pairs, cap)
    p_low = sum((p for _v, p in pairs[:start]), Fraction(0))
    r_low = sum((p * v for v, p in pairs[:start]), Fraction(0))
    q_low = sum((p * v * v for v, p in pairs[:start]), Fraction(0))
    for k in range(start, n):
        v, p = pairs[k]
        p_low += p
        r_low += p * v
        q_low += p * v * v
        r_high, q_high = r_all - r_low, q_all - q_low

        def f(
            t: Fraction, p_l: Fraction = p_low, r_h: Fraction = r_high, q_h: Fraction = q_high
        ) -> Fraction:
            return k2 * (p_l * t + r_h) ** 2 - total * (p_l * t * t + q_h)

        lo = v
        hi = pairs[k + 1][0] if k + 1 < n else None
        if f(lo) >= 0:
            return None if k == 0 else lo
        a = k2 * p_low * p_low - total * p_low
        b = 2 * k2 * p_low * r_high
        c = k2 * r_high * r_high - total * q_high
        candidates: list[Fraction] = []
        if a == 0:
            if b != 0:
                candidates.append(-c / b)
        else:
            disc = b * b - 4 * a * c
            if disc >= 0:
                root = _sqrt(disc)
                candidates += [(-b - root) / (2 * a), (-b + root) / (2 * a)]
        for t in sorted(candidates):
            if t <= lo or (hi is not None and t > hi):
                continue
            t = _exact_up(f, t)
            if hi is None or t <= hi:
                return t
    # Every section raised to the highest value: CV 0, always within a cap ≥ 0.
    return pairs[-1][0]  # pragma: no cover - reached only through rounding at the top


def _first_open_segment(pairs: Sequence[tuple[Fraction, Fraction]], cap: Fraction) -> int:
    """The first segment ``k`` (values sorted) where :func:`water_level` may stop.

    In segment ``k`` (the ``k + 1`` lowest raised, ``t`` between the ``k``-th and
    the next value) the exact search returns when ``f(lo) ≥ 0`` or a root of the
    quadratic ``f`` lies in ``(lo, hi]``.  A segment is passed over here only when
    the largest value of ``f`` on ``[lo, hi]`` (at an end, or at the vertex of a
    downward parabola) is below ``−1e-9 × M`` in floats, ``M`` bounding every term
    of ``f`` — far beyond the floats' rounding, so the exact search would pass it
    over too.
    """
    n = len(pairs)
    values = [float(v) for v, _p in pairs]
    weights = [float(p) for _v, p in pairs]
    total = math.fsum(weights)
    r_all = math.fsum(p * v for v, p in zip(values, weights, strict=True))
    q_all = math.fsum(p * v * v for v, p in zip(values, weights, strict=True))
    k2 = 1 + float(cap) ** 2
    top_value = max(abs(values[0]), abs(values[-1])) if n else 0.0
    bound = k2 * (r_all + total * top_value) ** 2 + total * (total * top_value**2 + q_all)
    margin = 1e-9 * bound
    p_low = r_low = q_low = 0.0
    for k in range(n - 1):
        v, p = values[k], weights[k]
        p_low += p
        r_low += p * v
        q_low += p * v * v
        r_high, q_high = r_all - r_low, q_all - q_low
        lo, hi = v, values[k + 1]

        def f(t: float, p_l: float = p_low, r_h: float = r_high, q_h: float = q_high) -> float:
            return k2 * (p_l * t + r_h) ** 2 - total * (p_l * t * t + q_h)

        largest = max(f(lo), f(hi))
        a = k2 * p_low * p_low - total * p_low
        if a < 0:
            vertex = -(2 * k2 * p_low * r_high) / (2 * a)
            if lo < vertex < hi:
                largest = max(largest, f(vertex))
        if not largest < -margin:  # (NaN: not clear either)
            return k
    return max(n - 1, 0)


def _exact_up(f: object, t: Fraction) -> Fraction:
    """Move *t* up by the least of a few growing nudges until ``f(t) ≥ 0`` exactly."""
    func = f  # typed loosely: a closure over the segment's sums
    nudge = max(abs(t), Fraction(1)) * Fraction(1, 10**45)
    candidate = t
    for _ in range(200):
        if func(candidate) >= 0:  # type: ignore[operator]
            return candidate
        candidate = t + nudge
        nudge *= 4
    return candidate  # pragma: no cover


def composite_targets(cvs: Sequence[float], cap: Fraction) -> list[Fraction]:
    """Per-component CV targets whose mean is below *cap*: the components above a
    common level ``L`` come down to ``L`` (largest first), the others stay.

    ``L`` solves ``Σ min(cv_j, L) = n·cap``; targets carry a relative margin of
    1e-9 so that float display never disagrees with the exact decision.
    """
    n = len(cvs)
    exact = [Fraction(c) for c in cvs]
    order = sorted(range(n), key=lambda j: -exact[j])
    budget = n * cap
    level = cap
    for k in range(1, n + 1):
        rest = sum((exact[j] for j in order[k:]), Fraction(0))
        level = (budget - rest) / k
        nxt = exact[order[k]] if k < n else Fraction(0)
        if level >= nxt:
            break
    level *= 1 - Fraction(1, 10**9)
    return [min(c, level) for c in exact]
