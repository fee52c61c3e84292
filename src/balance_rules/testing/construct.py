"""Build school data whose indicator values are exactly what a test asks for.

Pure functions (no hypothesis): :func:`school_inputs` returns the column values a
single-level school needs so that one indicator equals an exact target value, with
whole numbers in count columns.  Used by the case generator and the strategies.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..data.fields import COUNT_FIELDS, LEVEL_SUFFIXES, NUMERIC_FIELDS
from ..standard.model import Indicator

__all__ = ["column_for", "is_count", "school_inputs", "to_decimal_text"]

#: A typical number of students, used when an indicator does not fix it.
DEFAULT_STUDENTS = 600


def column_for(field: str, level: str) -> str:
    """The data column that holds a section field for a single-level school."""
    if field in LEVEL_SUFFIXES:
        return f"{level}_{field}"
    if field == "school_students":
        return f"{level}_students"
    if field == "school_classes":
        return f"{level}_classes"
    return field


def is_count(field: str, level: str) -> bool:
    """Whether the column must hold a whole number."""
    return column_for(field, level) in COUNT_FIELDS


def to_decimal_text(value: Fraction) -> Decimal:
    """A fraction with a finite decimal expansion as a Decimal (exactly)."""
    denominator = value.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        raise ValueError(f"{value} has no finite decimal expansion")
    places = max(twos, fives)
    return Decimal(value.numerator * 10**places // value.denominator) / Decimal(10**places)


def _put(inputs: dict[str, Any], field: str, level: str, value: Fraction) -> None:
    column = column_for(field, level)
    number = to_decimal_text(value)
    if column in NUMERIC_FIELDS:
        inputs[column] = number
    else:  # a column the standard declares under `fields:`
        inputs.setdefault("extra", {})[column] = number


def _multiplier(needed: Iterable[int], minimum: int) -> int:
    """The smallest multiple of every number in *needed* that is at least *minimum*."""
    base = 1
    for n in needed:
        base = base * n // math.gcd(base, n)
    return base * max(1, -(-minimum // base))


def school_inputs(
    indicator: Indicator,
    level: str,
    value: Fraction,
    *,
    denominator: int | None = None,
) -> dict[str, Any] | None:
    """Column values giving ``indicator == value`` exactly for a school of *level*.

    The denominator (students, classes, ...) is chosen so that count columns hold
    whole numbers; pass *denominator* to fix it.  Returns None when no exact
    construction exists (a count that would have to be fractional).
    """
    if value < 0:
        return None
    inputs: dict[str, Any] = {}
    per_unit = value / Fraction(indicator.scale)  # numerator per unit of denominator
    numerator_field = indicator.numerator[0]
    numerator_count = is_count(numerator_field, level)
    if indicator.denominator is None:
        if numerator_count and per_unit.denominator != 1:
            return None
        _put(inputs, numerator_field, level, per_unit)
    else:
        minimum = (
            DEFAULT_STUDENTS if indicator.denominator in ("students", "school_students") else 12
        )
        needed = [per_unit.denominator] if numerator_count else [1]
        if denominator is None:
            denominator = _multiplier(needed, minimum)
        elif numerator_count and (per_unit * denominator).denominator != 1:
            return None
        _put(inputs, indicator.denominator, level, Fraction(denominator))
        _put(inputs, numerator_field, level, per_unit * denominator)
    for other in indicator.numerator[1:]:
        _put(inputs, other, level, Fraction(0))
    inputs.setdefault(f"{level}_students", Decimal(DEFAULT_STUDENTS))
    return inputs
