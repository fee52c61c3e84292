"""Student-weighted difference coefficients (computation.md §1) and exact caps.

    P  = Σ P_i,  X̄ = Σ P_i·X_i / P,  S² = Σ (P_i/P)·(X_i − X̄)²,  CV = S / X̄

Values are computed here in floating point for display.  Decisions against a
cap near the boundary are made exactly by :mod:`balance_rules.engine.exact`
(CV ≤ c ⟺ S² ≤ c²·X̄²), re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from .exact import MARGIN, cap_allows, composite_allows, weighted_cv_squared

__all__ = [
    "MARGIN",
    "cap_allows",
    "composite_allows",
    "weighted_cv",
    "weighted_cv_squared",
]


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
