"""Helpers for writing Excel workbooks with xlsxwriter (the ``xlsx`` extra).

Shared by the evaluation, shortfall and monitoring workbooks.  Text is always
written with ``write_string``, so a school named ``=HYPERLINK(...)``, ``+86…``,
``-1`` or ``@x`` stays text and never becomes a formula; numbers are written as
numbers with a display format showing the table's decimals while the cell keeps
the full value.

Use::

    from balance_rules.render.workbook import Column, Sheets, new_workbook, write_table

    book = new_workbook(stream, constant_memory=True)   # xlsxwriter imported lazily
    sheets = Sheets(book)
    sheet = sheets.add("表2 差异系数")                    # unique, ≤ 31 chars, no []:*?/\\
    columns = [Column("县区", width=14), Column("差异系数", kind="number", decimals=3)]
    write_table(book, sheet, columns, [["示例县", 0.5153]], fail=[[False, True]])
    book.close()

``write_table`` writes a bold, wrapped header row, freezes it, adds an
autofilter and sets column widths; ``fail`` marks cells red (light red fill, dark
red text), ``first_row`` lets a title sit above the table.  With
``constant_memory`` every sheet must be written top to bottom (write_table does).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import IO, Any, Literal

import attrs

from ..errors import DataError, Problem

__all__ = [
    "EXTRA_HINT",
    "Column",
    "Formats",
    "Sheets",
    "new_workbook",
    "sheet_name",
    "write_cell",
    "write_table",
]

EXTRA_HINT = "pip install 'balance-rules[xlsx]'"

Kind = Literal["text", "number", "int", "percent", "bool"]

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


@attrs.frozen
class Column:
    """A table column: header text, kind of cell, decimals shown, width in characters."""

    header: str
    kind: Kind = "text"
    decimals: int = 2
    width: float | None = None


def new_workbook(stream: IO[bytes] | str, *, constant_memory: bool = False) -> Any:
    """An ``xlsxwriter.Workbook`` writing to ``stream`` (a binary file or a path).

    Raises :class:`DataError` naming the extra when xlsxwriter is not installed.
    Strings are never turned into numbers, formulas or URLs.
    """
    try:
        import xlsxwriter
    except ImportError:
        raise DataError(
            [Problem(f"--format xlsx needs the xlsxwriter package: {EXTRA_HINT}")]
        ) from None
    return xlsxwriter.Workbook(
        stream,
        {
            "constant_memory": constant_memory,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "nan_inf_to_errors": True,
        },
    )


class Formats:
    """Cell formats of one workbook, created once and cached."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self._cache: dict[tuple[object, ...], Any] = {}
        self.header = book.add_format(
            {"bold": True, "text_wrap": True, "valign": "vcenter", "bg_color": "#DDE6F0",
             "border": 1, "border_color": "#A0A0A0"}
        )  # fmt: skip
        self.title = book.add_format({"bold": True, "font_size": 13})
        self.note = book.add_format({"italic": True, "font_color": "#555555"})

    def cell(self, kind: Kind, decimals: int = 2, fail: bool = False) -> Any:
        """The format of a body cell of ``kind`` (failing cells light red, dark red text)."""
        key = (kind, decimals if kind in ("number", "percent") else 0, fail)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        spec: dict[str, object] = {}
        if kind == "number":
            spec["num_format"] = "0" if decimals <= 0 else "0." + "0" * decimals
        elif kind == "percent":
            spec["num_format"] = "0%" if decimals <= 0 else "0." + "0" * decimals + "%"
        elif kind == "int":
            spec["num_format"] = "0"
        elif kind == "text":
            spec["num_format"] = "@"
        if fail:
            spec.update({"bg_color": "#F8CBAD", "font_color": "#9C0006", "bold": True})
        cached = self._cache[key] = self.book.add_format(spec)
        return cached


def formats(book: Any) -> Formats:
    """The (cached) :class:`Formats` of ``book``."""
    existing = getattr(book, "_balance_rules_formats", None)
    if existing is None:
        existing = Formats(book)
        book._balance_rules_formats = existing
    return existing


def sheet_name(name: str, used: Iterable[str] = ()) -> str:
    """A valid, unique Excel sheet name (≤ 31 characters, none of ``[]:*?/\\``)."""
    base = _BAD_SHEET_CHARS.sub("_", name).strip("'") or "Sheet"
    base = base[:31]
    taken = {u.lower() for u in used}
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = base[: 31 - len(suffix)] + suffix
    return candidate


class Sheets:
    """Adds worksheets with valid unique names."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.names: list[str] = []

    def add(self, name: str) -> Any:
        chosen = sheet_name(name, self.names)
        self.names.append(chosen)
        return self.book.add_worksheet(chosen)


def write_cell(sheet: Any, row: int, col: int, value: object, fmt: Any) -> None:
    """One cell: text as a string (never a formula), numbers as numbers, None blank."""
    if value is None:
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, fmt)
    elif isinstance(value, Fraction | Decimal):
        sheet.write_number(row, col, float(value), fmt)
    else:
        sheet.write_string(row, col, str(value), fmt)


def write_table(
    book: Any,
    sheet: Any,
    columns: Sequence[Column],
    rows: Iterable[Sequence[object]],
    *,
    fail: Iterable[Sequence[bool]] | None = None,
    first_row: int = 0,
    title: str | None = None,
    freeze: bool = True,
    autofilter: bool = True,
) -> int:
    """Write a header and ``rows``; return the index of the last row written.

    ``title`` goes on ``first_row`` and the header below it.  ``fail`` gives, per
    row, which cells are marked red.  Widths come from ``Column.width`` or are
    estimated from the header (CJK characters count double).
    """
    fm = formats(book)
    row = first_row
    for index, column in enumerate(columns):
        width = column.width if column.width is not None else min(40, max(8, _width(column.header)))
        sheet.set_column(index, index, width)
    if title is not None:
        sheet.write_string(row, 0, title, fm.title)
        row += 1
    header_row = row
    for index, column in enumerate(columns):
        sheet.write_string(row, index, column.header, fm.header)
    sheet.set_row(row, 32)
    fails = iter(fail) if fail is not None else None
    plain = [fm.cell(c.kind, c.decimals) for c in columns]
    red = [fm.cell(c.kind, c.decimals, fail=True) for c in columns]
    width = len(columns)
    last = row
    for values in rows:
        row += 1
        marks = next(fails, None) if fails is not None else None
        for index, value in enumerate(values[:width]):
            bad = marks is not None and index < len(marks) and marks[index]
            if value is None and not bad:
                continue  # an empty cell: nothing to write
            write_cell(sheet, row, index, value, red[index] if bad else plain[index])
        last = row
    if freeze:
        sheet.freeze_panes(header_row + 1, 0)
    if autofilter and columns:
        sheet.autofilter(header_row, 0, max(last, header_row), len(columns) - 1)
    return last


def _width(text: str) -> float:
    return sum(2.0 if ord(ch) > 0x2E80 else 1.1 for ch in text) + 2
