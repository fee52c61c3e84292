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
    "significant_exponent",
]

#: Largest number of digits before the decimal point (10**15 and above are refused).
MAX_MAGNITUDE_DIGITS = 15
#: Most digits after the decimal point (a rate of 0.123456789012 is fine, 13 places not).
MAX_PLACES = 12

Where = Problem | Callable[[str], Problem]


_ZH = {
    "range": "数值超出范围（小数点前最多 15 位）",
    "places": f"小数位超过 {MAX_PLACES} 位",
    "nan": "此处不允许非数（NaN）：请写有限的数",
    "inf": "此处不允许无穷大：请写有限的数",
}


def _problem(where: Where | None, message: str, zh: str | None = None) -> Problem:
    if where is None:
        return Problem(message, message_zh=zh)
    if isinstance(where, Problem):
        return Problem(
            message,
            file=where.file,
            line=where.line,
            row=where.row,
            column=where.column,
            path=where.path,
            message_zh=zh,
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
            return _problem(
                where, "number out of range (at most 15 digits before the point)", _ZH["range"]
            )
        return None
    if isinstance(value, Fraction):
        if abs(value.numerator) >= 10**MAX_MAGNITUDE_DIGITS * value.denominator:
            return _problem(
                where, "number out of range (at most 15 digits before the point)", _ZH["range"]
            )
        return None
    if isinstance(value, float):
        try:
            value = Decimal(repr(value))
        except InvalidOperation:  # pragma: no cover - repr of a float is always valid
            return _problem(where, "not a number")
    if not value.is_finite():
        shown = "NaN" if value.is_nan() else "an infinity"
        zh = _ZH["nan" if value.is_nan() else "inf"]
        return _problem(where, f"{shown} is not allowed here: write a finite number", zh)
    if value and value.adjusted() >= MAX_MAGNITUDE_DIGITS:
        return _problem(
            where, "number out of range (at most 15 digits before the point)", _ZH["range"]
        )
    if value and significant_exponent(value) < -MAX_PLACES:
        return _problem(where, f"number has more than {MAX_PLACES} decimal places", _ZH["places"])
    return None


def significant_exponent(value: Decimal) -> int:
    """The exponent of *value*'s last non-zero digit (``1.50`` -> -1), computed
    without a decimal context: ``normalize()`` overflows on ``1e40053147``."""
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    zeros = len(digits) - len(bytes(digits).rstrip(b"\x00"))
    return exponent + zeros


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
