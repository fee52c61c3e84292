"""Raw tables from files: rows of cell text with their spreadsheet row numbers.

Reads CSV (UTF-8, UTF-8 with BOM, GB18030/GBK), XLSX (through openpyxl), JSON and
YAML.  For CSV and XLSX it finds the header: title rows above it are skipped, and
a two-row header (``在校生数`` spanning ``小学 | 初中``) is combined into one name per
column.  It knows nothing about schools; the caller gives the alias table that
says which header names it recognises.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import attrs

from ..errors import DataError, Problem, did_you_mean
from ..yamlio import YamlReadError, read_json, read_yaml

__all__ = ["RawTable", "read_raw_table"]

#: How many rows from the top are searched for the header.
HEADER_SEARCH_ROWS = 12

Recognise = Callable[[str], str | None]


@attrs.frozen
class RawTable:
    """Header names, and data rows as (row number, cells) in file order.

    ``unit`` says what a row number counts: ``"row"`` (spreadsheet or CSV row, the
    first row of the file is 1) or ``"record"`` (position in a JSON/YAML list).
    """

    file: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    unit: str = "row"
    header_rows: tuple[int, ...] = (1,)


def read_raw_table(
    path: Path,
    *,
    recognise: Recognise,
    key_field: str,
    records_key: str,
    encoding: str | None = None,
    sheet: str | None = None,
) -> RawTable:
    """Read *path* into a :class:`RawTable`.

    *recognise* maps a header text to a canonical field (or None); the header row
    is the first one in which it finds *key_field*.  JSON/YAML files hold a list of
    records, or a mapping with the list under *records_key*.
    """
    file = str(path)
    if not path.is_file():
        raise DataError([Problem("no such file", file=file)])
    suffix = path.suffix.lower()
    if suffix in (".json", ".yaml", ".yml"):
        return _records_table(load_structured(path), file, records_key)
    if suffix in (".csv", ".txt", ".tsv"):
        grid = _csv_grid(path, encoding, delimiter="\t" if suffix == ".tsv" else ",")
    elif suffix in (".xlsx", ".xlsm"):
        grid = _xlsx_grid(path, sheet)
    elif suffix == ".xls":
        raise DataError(
            [Problem("old .xls workbooks are not read; save the sheet as .xlsx or .csv", file=file)]
        )
    else:
        raise DataError(
            [Problem(f"unknown file type {suffix!r}: use .xlsx, .csv, .json or .yaml", file=file)]
        )
    return _grid_table(grid, file, recognise, key_field)


# -- CSV and XLSX -------------------------------------------------------------------


def _decode(raw: bytes, file: str, encoding: str | None) -> str:
    if encoding:
        try:
            return raw.decode(encoding)
        except LookupError:
            raise DataError([Problem(f"unknown encoding {encoding!r}", file=file)]) from None
        except UnicodeDecodeError as exc:
            raise DataError(
                [
                    Problem(
                        f"not {encoding} text (byte {exc.start}); try another --encoding", file=file
                    )
                ]
            ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Chinese Windows saves CSV as GBK; GB18030 is its superset.
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise DataError(
            [Problem("cannot tell the text encoding; pass --encoding", file=file)]
        ) from None


def _csv_grid(path: Path, encoding: str | None, delimiter: str) -> list[tuple[int, list[str]]]:
    text = _decode(path.read_bytes(), str(path), encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    grid = []
    for record in reader:
        grid.append((reader.line_num, [cell.strip() for cell in record]))
    # csv's line_num is the line a record ends on; rows here are records, 1-based.
    return [(index, cells) for index, (_, cells) in enumerate(grid, start=1)]


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _xlsx_grid(path: Path, sheet: str | None) -> list[tuple[int, list[str]]]:
    try:
        import openpyxl  # imported only when a workbook is read: keeps the core import light
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise DataError(
            [Problem("reading .xlsx needs openpyxl: pip install openpyxl", file=str(path))]
        ) from None
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise DataError(
            [Problem(f"not a readable .xlsx workbook ({exc})", file=str(path))]
        ) from None
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise DataError(
                [
                    Problem(
                        f"no sheet named {sheet!r}; sheets: {', '.join(workbook.sheetnames)}",
                        file=str(path),
                        suggestion=did_you_mean(sheet, workbook.sheetnames),
                    )
                ]
            )
        grid = []
        for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
            grid.append((number, [_xlsx_text(v) for v in row]))
        return grid
    finally:
        workbook.close()


def _combine(parent: Sequence[str], child: Sequence[str], recognise: Recognise) -> list[str]:
    """One name per column from a two-row header; the parent spans merged cells."""
    width = max(len(parent), len(child))
    names = []
    carried = ""
    for index in range(width):
        top = parent[index] if index < len(parent) else ""
        bottom = child[index] if index < len(child) else ""
        if top:
            carried = top
        elif bottom:
            top = carried  # a merged parent cell is blank after its first column
        if not bottom:
            names.append(top)
            continue
        if not top:
            names.append(bottom)
            continue
        for candidate in (bottom + top, top + bottom, bottom):
            if recognise(candidate) is not None:
                names.append(candidate)
                break
        else:
            names.append(top + bottom)
    return names


def _score(names: Sequence[str], recognise: Recognise, key_field: str) -> int:
    fields = [recognise(name) for name in names if name]
    if key_field not in fields:
        return -1
    return sum(1 for f in fields if f is not None)


def _grid_table(
    grid: list[tuple[int, list[str]]], file: str, recognise: Recognise, key_field: str
) -> RawTable:
    rows = [(n, cells) for n, cells in grid if any(cells)]
    if not rows:
        raise DataError([Problem("the file has no rows", file=file)])
    # The header is the first row naming the key column (title rows above it are
    # skipped); when the row below it completes the names (a two-row header whose
    # top cells span several columns), the two rows are combined.
    best: tuple[int, list[str], int] | None = None  # position, names, rows used
    for position in range(min(HEADER_SEARCH_ROWS, len(rows))):
        single = rows[position][1]
        score = _score(single, recognise, key_field)
        if score < 0:
            continue
        best = (position, list(single), 1)
        if position + 1 < len(rows):
            combined = _combine(single, rows[position + 1][1], recognise)
            if _score(combined, recognise, key_field) > score:
                best = (position, combined, 2)
        break
    if best is None:
        first = rows[0][0]
        raise DataError(
            [
                Problem(
                    f"no header row with a {key_field} column in the first "
                    f"{HEADER_SEARCH_ROWS} rows",
                    file=file,
                    row=first,
                )
            ]
        )
    position, names, used = best
    header_rows = tuple(n for n, _ in rows[position : position + used])
    data = tuple((n, tuple(cells)) for n, cells in rows[position + used :])
    return RawTable(file, tuple(names), data, "row", header_rows)


# -- JSON and YAML ------------------------------------------------------------------


def load_structured(path: Path) -> Any:
    """A JSON or YAML document (floats kept as exact decimals)."""
    try:
        return read_json(path) if path.suffix.lower() == ".json" else read_yaml(path)
    except YamlReadError as exc:
        raise DataError(exc.problems) from None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _records_table(records: Any, file: str, key: str) -> RawTable:
    if isinstance(records, Mapping) and key in records:
        records = records[key]
    if not isinstance(records, list) or not all(isinstance(r, Mapping) for r in records):
        raise DataError(
            [Problem(f"expected a list of records (or a mapping with {key!r})", file=file)]
        )
    header: dict[str, None] = {}
    for record in records:
        for name in record:
            header[str(name)] = None
    names = tuple(header)
    rows = tuple(
        (number, tuple(_cell_text(record.get(name)) for name in names))
        for number, record in enumerate(records, start=1)
    )
    return RawTable(file, names, rows, "record", ())
