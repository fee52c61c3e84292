"""The least whole-step addition that makes one value meet one threshold (exact).

An indicator is ``value = numerator / denominator × scale``.  A section sees
``share × x`` of an addition ``x`` to the school's column (``share`` = 1 for
per-level columns and for facilities that are not split).  To meet
``value ≥ T`` the section's numerator must reach ``T × denominator / scale``;
``x`` is the gap divided by the share, rounded **up** to the resource's step.
For ``>`` the result is the smallest step multiple strictly beyond the gap.
Everything is :class:`~fractions.Fraction`: 0.1 + 0.2 never costs a teacher.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING

from ..engine.exact import least_steps

if TYPE_CHECKING:
    from ..standard.model import Indicator
    from .resources import Resource

__all__ = ["indicator_addition", "least_addition", "round_up"]


def round_up(amount: Fraction, step: Fraction, strict: bool = False) -> Fraction:
    """The least multiple of *step* that is ≥ *amount* (> with *strict*), never negative."""
    if amount < 0 or (amount == 0 and not strict):
        return Fraction(0)
    steps = amount / step
    whole = math.floor(steps) + 1 if strict else math.ceil(steps)
    return whole * step


def least_addition(
    *,
    numerator: Fraction,
    denominator: Fraction | None,
    scale: Fraction,
    threshold: Fraction,
    op: str,
    share: Fraction,
    step: Fraction,
) -> Fraction:
    """The least addition (multiple of *step*) to the school column so that the
    section's ``(numerator + share·x) / denominator × scale  op  threshold``.

    *denominator* None means the indicator has none (value = numerator × scale).
    *op* is ``>=`` or ``>``.  *share* and *denominator* must be positive.
    """
    if share <= 0 or scale <= 0 or (denominator is not None and denominator <= 0):
        raise ValueError("share, scale and denominator must be positive")
    if op not in (">=", ">"):
        raise ValueError(f"op must be '>=' or '>', not {op!r}")
    # In numerator units: the section's numerator grows by share × step a step.
    needed = threshold * (denominator if denominator is not None else 1) / scale
    return least_steps(numerator, share * step, needed, op) * step


def indicator_addition(
    indicator: Indicator,
    resource: Resource,
    *,
    numerator: Fraction,
    denominator: Fraction | None,
    threshold: Fraction,
    op: str,
    share: Fraction,
) -> Fraction:
    """:func:`least_addition` for one section's *indicator*, growing the column
    of *resource* (its scale and the resource's step)."""
    return least_addition(
        numerator=numerator,
        denominator=denominator,
        scale=Fraction(indicator.scale),
        threshold=threshold,
        op=op,
        share=share,
        step=resource.step,
    )
