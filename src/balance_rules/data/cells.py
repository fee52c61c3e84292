"""Parsing one cell or header of a user's table: numbers, yes/no, headers, units.

Pure functions with no file access; readers call them and attach row and column
to any error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from ..numbers import significant_exponent

__all__ = [
    "CellError",
    "alias_table",
    "header_unit",
    "normalise_header",
    "parse_bool",
    "parse_number",
]

_FULL_WIDTH = str.maketrans(
    "０１２３４５６７８９．，－＋％（）",
    "0123456789.,-+%()",
)

#: Header unit suffixes and the factor that turns the unit into the canonical one.
UNIT_FACTORS: dict[str, Decimal] = {
    "万元": Decimal(10000),
    "千元": Decimal(1000),
    "元": Decimal(1),
    "平方米": Decimal(1),
    "㎡": Decimal(1),
    "m2": Decimal(1),
    "m²": Decimal(1),
    "个": Decimal(1),
    "间": Decimal(1),
    "台": Decimal(1),
    "册": Decimal(1),
    "人": Decimal(1),
    "名": Decimal(1),
    "%": Decimal(1),
    "万册": Decimal(10000),
    "万台": Decimal(10000),
    "万人": Decimal(10000),
    "万平方米": Decimal(10000),
    "万㎡": Decimal(10000),
    "亿元": Decimal(100000000),
    "所": Decimal(1),
    "套": Decimal(1),
    "件": Decimal(1),
    "张": Decimal(1),
    "块": Decimal(1),
    "平米": Decimal(1),
    "平方": Decimal(1),
}

#: Bounds that keep exact arithmetic cheap: no statistic has more digits than this.
MAX_DIGITS = 15
MAX_PLACES = 12

_UNIT_SUFFIX = re.compile(r"\s*[(\[]\s*([^()\[\]]*?)\s*[)\]]\s*$")
_BARE_UNIT = re.compile(r"^(.*?[^\s/])\s*/\s*([^/]+)$")

#: A number as people write it: digits, an optional fraction and exponent.  Commas
#: only separate thousands (``1,234``); ``18,50`` and ``1_850`` are refused.
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_SIMPLE = re.compile(r"^-?\d{1,12}(?:\.\d{1,6})?$")
_GROUPED_NUMBER = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")

_TRUE = {"1", "是", "yes", "y", "true", "t", "有", "√"}
_FALSE = {"0", "否", "no", "n", "false", "f", "无", "×"}


class CellError(ValueError):
    """A cell that cannot be read as the expected kind of value.

    ``zh`` is the same message in Chinese (the command's default language).
    """

    def __init__(self, message: str, zh: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh


def normalise_header(header: str) -> tuple[str, Decimal, bool]:
    """``'教学仪器设备值（万元）'`` -> ``('教学仪器设备值', Decimal(10000), False)``.

    Returns the header without surrounding spaces, full-width brackets and a unit
    suffix, the unit's factor, and whether the unit was a percent sign.
    """
    text = header.translate(_FULL_WIDTH).strip().replace("\n", "")
    factor = Decimal(1)
    percent = False
    match = _UNIT_SUFFIX.search(text)
    if match and (match.group(1) in UNIT_FACTORS or match.group(1) == ""):
        unit = match.group(1)
        factor = UNIT_FACTORS.get(unit, Decimal(1))
        percent = unit == "%"
        text = text[: match.start()].strip()
    elif text.endswith("%"):
        percent = True
        text = text[:-1].strip()
    return text, factor, percent


def alias_table(aliases: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Header (normalised, lower case) -> canonical name, for names and their aliases."""
    table: dict[str, str] = {}
    for canonical, names in aliases.items():
        table[canonical.lower()] = canonical
        for name in names:
            table[normalise_header(name)[0].lower()] = canonical
    return table


def header_unit(header: str) -> str | None:
    """The unit a header ends with in brackets (``'图书（万册）'`` -> ``'万册'``), known or not."""
    text = header.translate(_FULL_WIDTH).strip().replace("\n", "")
    match = _UNIT_SUFFIX.search(text)
    return match.group(1) if match and match.group(1) else None


def parse_number(text: str) -> tuple[Decimal, bool] | None:
    """A number from a cell: ``'1,234.5'``, full-width digits, ``'95%'``.

    Returns (value, had a percent sign), or None for a blank cell.  Raises
    :class:`CellError` for text that is not a number.
    """
    if _SIMPLE.match(text):  # the common case: plain digits, exact as written
        value = Decimal(text)
        if len(text) <= MAX_DIGITS:
            return value, False
    cleaned = text.translate(_FULL_WIDTH).strip()
    if cleaned in ("", "-", "—", "--"):
        return None
    percent = cleaned.endswith("%")
    if percent:
        cleaned = cleaned[:-1].strip()
    cleaned = cleaned.replace(" ", "").replace("\u00a0", "")
    shown = text.strip()
    if "," in cleaned:
        if not _GROUPED_NUMBER.match(cleaned):
            raise CellError(
                f"{shown!r} is not a number (a comma may only separate thousands: 1,850)",
                f"{shown!r} 不是数字（逗号只能作千位分隔，如 1,850）",
            )
        cleaned = cleaned.replace(",", "")
    if not _PLAIN_NUMBER.match(cleaned):
        raise CellError(f"{shown!r} is not a number", f"{shown!r} 不是数字")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(f"{shown!r} is not a number", f"{shown!r} 不是数字") from None
    if not value.is_finite():
        raise CellError(f"{shown!r} is not a finite number", f"{shown!r} 不是有限的数")
    # No normalize(): it overflows the decimal context on "1e40053147".
    if value and (value.adjusted() > MAX_DIGITS or significant_exponent(value) < -MAX_PLACES):
        raise CellError(
            f"{shown!r} is out of range for a school statistic",
            f"{shown!r} 超出学校统计数据的合理范围",
        )
    return value, percent


def parse_bool(text: str) -> bool | None:
    """yes/no from ``是/否``, ``yes/no``, ``true/false``, ``1/0``; None when blank."""
    cleaned = text.translate(_FULL_WIDTH).strip().lower()
    if cleaned == "":
        return None
    if cleaned in _TRUE:
        return True
    if cleaned in _FALSE:
        return False
    raise CellError(f"{text.strip()!r} is not yes/no (是/否)", f"{text.strip()!r} 不是“是/否”")
