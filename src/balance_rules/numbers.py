"""One rule for every number read from a file: finite, of sane magnitude and precision.

NaN and infinities have no place in a threshold, a fact or a cost, and numbers
with absurd magnitudes (``1e400``) or precisions (5,000 digits) only make exact
arithmetic slow or overflow the floating-point views.  Every reader of numbers
from YAML or JSON (standards, facts, mappings, costs) checks them with
:func:`check_finite_decimal` and reports the :class:`~balance_rules.errors.Problem`
it returns; table cells use the same bounds (``data.cells``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from .errors import Problem

__all__ = [
    "MAX_MAGNITUDE_DIGITS",
    "MAX_PLACES",
    "check_finite_decimal",
    "number_problems",
]

#: Largest number of digits before the decimal point (10**15 and above are refused).
MAX_MAGNITUDE_DIGITS = 15
#: Most digits after the decimal point (a rate of 0.123456789012 is fine, 13 places not).
MAX_PLACES = 12

Where = Problem | Callable[[str], Problem]


def _problem(where: Where | None, message: str) -> Problem:
    if where is None:
        return Problem(message)
    if isinstance(where, Problem):
        return Problem(
            message,
            file=where.file,
            line=where.line,
            row=where.row,
            column=where.column,
            path=where.path,
        )
    return where(message)


def check_finite_decimal(value: object, where: Where | None = None) -> Problem | None:
    """None when *value* is a usable number, else a Problem saying why not.

    *value* may be a Decimal, int, float or Fraction (bools and non-numbers are
    not checked: None is returned).  *where* locates the problem: a Problem whose
    file/line/row/column/path are copied, or a function making one from the
    message.  Refused: NaN, infinities, magnitudes of 10**15 or more, and more
    than 12 decimal places.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | Fraction):
        return None
    if isinstance(value, int):
        if value.bit_length() > 64 or abs(value) >= 10**MAX_MAGNITUDE_DIGITS:
            return _problem(where, "number out of range (at most 15 digits before the point)")
        return None
    if isinstance(value, Fraction):
        if abs(value.numerator) >= 10**MAX_MAGNITUDE_DIGITS * value.denominator:
            return _problem(where, "number out of range (at most 15 digits before the point)")
        return None
    if isinstance(value, float):
        try:
            value = Decimal(repr(value))
        except InvalidOperation:  # pragma: no cover - repr of a float is always valid
            return _problem(where, "not a number")
    if not value.is_finite():
        shown = "NaN" if value.is_nan() else "an infinity"
        return _problem(where, f"{shown} is not allowed here: write a finite number")
    if value and value.adjusted() >= MAX_MAGNITUDE_DIGITS:
        return _problem(where, "number out of range (at most 15 digits before the point)")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        return _problem(where, f"number has more than {MAX_PLACES} decimal places")
    return None


def number_problems(
    document: Any,
    locate: Callable[[tuple[Any, ...]], tuple[str, int | None]],
    path: tuple[Any, ...] = (),
) -> Iterator[Problem]:
    """Every unusable number anywhere in a YAML/JSON document, located by *locate*."""
    if not _any_bad(document):  # the common case, without building a path per value
        return
    stack: list[tuple[tuple[Any, ...], Any]] = [(path, document)]
    while stack:
        here, node = stack.pop()
        if isinstance(node, Mapping):
            stack.extend(reversed([((*here, key), value) for key, value in node.items()]))
        elif isinstance(node, list | tuple):
            stack.extend(reversed([((*here, i), value) for i, value in enumerate(node)]))
        else:
            file, line = locate(here)
            dotted = ".".join(str(p) for p in here) or None
            problem = check_finite_decimal(node, Problem("", file=file, line=line, path=dotted))
            if problem is not None:
                yield problem


def _any_bad(document: Any) -> bool:
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
        elif check_finite_decimal(node) is not None:
            return True
    return False
