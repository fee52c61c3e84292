"""Raw tables from files: rows of cell text with their spreadsheet row numbers.

Reads CSV (UTF-8, UTF-8 with BOM, GB18030/GBK), XLSX (through openpyxl), JSON and
YAML.  For CSV and XLSX the header is found by :mod:`.headers` (title rows, up to
five header rows with merged group cells, unit rows, column-number rows, notes
under the table).  A CSV with an unbalanced quote or a row with more or fewer
cells than the header is refused naming the row; a workbook's default sheet is
its first visible one, and formula cells without a stored value are reported.
It knows nothing about schools; the caller gives the alias table that says which
header names it recognises.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import attrs

from ..errors import DataError, Problem, did_you_mean
from ..yamlio import YamlLimits, YamlReadError, read_json, read_yaml
from .headers import HEADER_SEARCH_ROWS, HeaderColumn, detect_header

__all__ = ["MAX_CELL_CHARS", "RawTable", "read_raw_table", "sheet_names"]

#: The longest cell read (characters); a longer one is refused naming its row.
MAX_CELL_CHARS = 100_000

Recognise = Callable[[str], str | None]


@attrs.frozen
class RawTable:
    """Header names, and data rows as (row number, cells) in file order.

    ``unit`` says what a row number counts: ``"row"`` (spreadsheet or CSV row, the
    first row of the file is 1) or ``"record"`` (position in a JSON/YAML list).
    ``columns`` describes each column's header (path through the header rows,
    unit, ignored); ``sheet`` is the worksheet read; ``notes`` the rows under the
    table skipped as notes; ``formula_blanks`` cells holding a formula without a
    stored value (row, column index).
    """

    file: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    unit: str = "row"
    header_rows: tuple[int, ...] = (1,)
    columns: tuple[HeaderColumn, ...] = ()
    sheet: str | None = None
    notes: tuple[int, ...] = ()
    numbering_rows: tuple[int, ...] = ()
    formula_blanks: tuple[tuple[int, int], ...] = ()


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

    *recognise* maps a header text to a canonical field (or None); the header is
    the block of rows that recognises most columns, *key_field* among them.
    JSON/YAML files hold a list of records, or a mapping with the list under
    *records_key*.
    """
    file = str(path)
    if not path.is_file():
        raise DataError([Problem("no such file", file=file, message_zh="文件不存在")])
    suffix = path.suffix.lower()
    if suffix in (".json", ".yaml", ".yml"):
        return _records_table(load_structured(path, limits=TABLE_LIMITS), file, records_key)
    sheet_name: str | None = None
    formulas: list[tuple[int, int]] = []
    if suffix in (".csv", ".txt", ".tsv"):
        grid = _csv_grid(path, encoding, delimiter="\t" if suffix == ".tsv" else ",")
    elif suffix in (".xlsx", ".xlsm"):
        grid, sheet_name, formulas = _xlsx_grid(path, sheet)
    elif suffix == ".xls":
        raise DataError(
            [
                Problem(
                    "old .xls workbooks are not read; save the sheet as .xlsx or .csv",
                    file=file,
                    message_zh="不读取旧版 .xls 工作簿；请另存为 .xlsx 或 .csv",
                )
            ]
        )
    else:
        raise DataError(
            [
                Problem(
                    f"unknown file type {suffix!r}: use .xlsx, .csv, .json or .yaml",
                    file=file,
                    message_zh=f"未知的文件类型 {suffix!r}：请使用 .xlsx、.csv、.json 或 .yaml",
                )
            ]
        )
    table = _grid_table(grid, file, recognise, key_field, sheet_name)
    if suffix in (".csv", ".txt", ".tsv"):
        _check_widths(table)
    if formulas:
        table = attrs.evolve(table, formula_blanks=tuple(formulas))
    return table


# -- CSV and XLSX -------------------------------------------------------------------


def _decode(raw: bytes, file: str, encoding: str | None) -> str:
    if encoding:
        try:
            return raw.decode(encoding)
        except LookupError:
            raise DataError(
                [
                    Problem(
                        f"unknown encoding {encoding!r}",
                        file=file,
                        message_zh=f"未知的编码 {encoding!r}",
                    )
                ]
            ) from None
        except UnicodeDecodeError as exc:
            raise DataError(
                [
                    Problem(
                        f"not {encoding} text (byte {exc.start}); try another --encoding",
                        file=file,
                        message_zh=f"不是 {encoding} 编码的文本（第 {exc.start} 字节）；"
                        "请换一个 --encoding",
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
            [
                Problem(
                    "cannot tell the text encoding; pass --encoding",
                    file=file,
                    message_zh="无法判断文本编码；请用 --encoding 指定",
                )
            ]
        ) from None


def _csv_grid(path: Path, encoding: str | None, delimiter: str) -> list[tuple[int, list[str]]]:
    file = str(path)
    text = _decode(path.read_bytes(), file, encoding)
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL_CHARS * 4 + 16))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    grid: list[tuple[int, list[str]]] = []
    try:
        for record in reader:
            grid.append((len(grid) + 1, [cell.strip() for cell in record]))
    except csv.Error as exc:
        row = len(grid) + 1
        raise DataError(
            [
                Problem(
                    f"broken CSV at row {row} (line {reader.line_num}): {exc}; "
                    'a quote (") opened in this row is never closed',
                    file=file,
                    row=row,
                    message_zh=f"CSV 在第 {row} 行（第 {reader.line_num} 行文本）损坏：{exc}；"
                    '该行有未闭合的引号（"）',
                )
            ]
        ) from None
    for number, cells in grid:
        for index, cell in enumerate(cells):
            if len(cell) > MAX_CELL_CHARS:
                raise DataError(
                    [
                        Problem(
                            f"cell {index + 1} holds {len(cell):,} characters "
                            f"(at most {MAX_CELL_CHARS:,}); an unbalanced quote?",
                            file=file,
                            row=number,
                            message_zh=f"第 {index + 1} 个单元格有 {len(cell):,} 个字符"
                            f"（最多 {MAX_CELL_CHARS:,}）；是否有未闭合的引号？",
                        )
                    ]
                )
    return grid


def _check_widths(table: RawTable) -> None:
    """Every CSV data row has as many cells as the header (blank trailing cells aside)."""
    width = len(table.header)
    while width and not table.header[width - 1]:
        width -= 1  # blank header cells at the right are no columns
    problems = []
    for number, cells in table.rows:
        filled = len(cells)
        while filled and not cells[filled - 1]:
            filled -= 1
        if filled > width:
            problems.append(
                Problem(
                    f"this row has {filled} cells, the header {width}: a comma or quote "
                    "too many shifts the values",
                    file=table.file,
                    row=number,
                    message_zh=f"该行有 {filled} 个单元格，表头只有 {width} 个："
                    "多出的逗号或引号会使数值错位",
                )
            )
        elif len(cells) < width and len(cells) > 1 and any(cells):
            problems.append(
                Problem(
                    f"this row has {len(cells)} cells, the header {width}: a cell is missing "
                    "(or a quote swallowed a line break)",
                    file=table.file,
                    row=number,
                    message_zh=f"该行只有 {len(cells)} 个单元格，表头有 {width} 个："
                    "缺少单元格（或引号吞掉了换行）",
                )
            )
        elif any("\n" in cell for cell in cells):
            problems.append(
                Problem(
                    "a cell of this row spans several lines (an unbalanced quote?)",
                    file=table.file,
                    row=number,
                    message_zh="该行有跨多行的单元格（引号未闭合？）",
                )
            )
    if problems:
        raise DataError(
            problems,
            f"{table.file}: {len(problems)} row(s) do not fit the header",
            f"{table.file}: {len(problems)} 行与表头不符",
        )


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is str:
        return str(value).strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.DOTALL)
_REF = re.compile(rb'r="([A-Z]+)(\d+)"')


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters:
        number = number * 26 + (char - 64)
    return number - 1


def _sheet_xml(worksheet: Any) -> bytes:
    try:
        with worksheet._get_source() as source:  # read-only worksheets expose their part
            data: bytes = source.read()
            return data
    except Exception:  # pragma: no cover - a different openpyxl: no merges/formulas known
        return b""


def _merges_and_formulas(
    xml: bytes,
) -> tuple[list[tuple[int, int, int, int]], list[tuple[int, int]]]:
    merges = [
        (int(r1), _column_number(c1), int(r2), _column_number(c2))
        for c1, r1, c2, r2 in _MERGE.findall(xml)
    ]
    blanks: list[tuple[int, int]] = []
    if b"<f" in xml:
        for attributes, body in _CELL.findall(xml):
            if body and b"<f" in body and b"<v>" not in body.replace(b"<v/>", b""):
                ref = _REF.search(attributes)
                if ref:
                    blanks.append((int(ref.group(2)), _column_number(ref.group(1))))
    return merges, blanks


def sheet_names(path: Path) -> tuple[list[str], list[str]]:
    """All sheet names of a workbook, and the visible ones."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        names = list(workbook.sheetnames)
        visible = [ws.title for ws in workbook.worksheets if ws.sheet_state == "visible"]
        return names, visible
    finally:
        workbook.close()


def _xlsx_grid(
    path: Path, sheet: str | None
) -> tuple[list[tuple[int, list[str]]], str, list[tuple[int, int]]]:
    file = str(path)
    try:
        import openpyxl  # imported only when a workbook is read: keeps the core import light
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise DataError(
            [Problem("reading .xlsx needs openpyxl: pip install openpyxl", file=file)]
        ) from None
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise DataError(
            [
                Problem(
                    f"not a readable .xlsx workbook ({exc})",
                    file=file,
                    message_zh=f"不是可读的 .xlsx 工作簿（{exc}）",
                )
            ]
        ) from None
    try:
        if sheet is None:
            visible = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
            if not visible:
                raise DataError(
                    [
                        Problem(
                            "the workbook has no visible sheet",
                            file=file,
                            message_zh="工作簿没有可见的工作表",
                        )
                    ]
                )
            worksheet = visible[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise DataError(
                [
                    Problem(
                        f"no sheet named {sheet!r}; sheets: {', '.join(workbook.sheetnames)}",
                        file=file,
                        suggestion=did_you_mean(sheet, workbook.sheetnames),
                        message_zh=f"没有名为 {sheet!r} 的工作表；现有："
                        + "、".join(workbook.sheetnames),
                    )
                ]
            )
        xml = _sheet_xml(worksheet)
        try:
            grid = _fast_grid(xml, workbook, worksheet)
        except (ValueError, IndexError, UnicodeDecodeError, OverflowError):
            grid = None
        if grid is None:  # anything unexpected: openpyxl's own (slower) reader
            grid = []
            try:
                for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
                    grid.append((number, [_xlsx_text(v) for v in row]))
            except Exception as exc:  # a damaged sheet: openpyxl raises many kinds
                raise DataError(
                    [
                        Problem(
                            f"sheet {worksheet.title!r} cannot be read ({type(exc).__name__})",
                            file=file,
                            message_zh=f"无法读取工作表 {worksheet.title!r}"
                            f"（{type(exc).__name__}）",
                        )
                    ]
                ) from None
        merges, formulas = _merges_and_formulas(xml)
        _fill_merges(grid, merges)
        blanks = [
            (r, c)
            for r, c in formulas
            if r - 1 < len(grid) and (c >= len(grid[r - 1][1]) or not grid[r - 1][1][c])
        ]
        return grid, worksheet.title, blanks
    except zipfile.BadZipFile as exc:  # pragma: no cover - caught at load
        raise DataError([Problem(f"not a readable .xlsx workbook ({exc})", file=file)]) from None
    finally:
        workbook.close()


_ROW = re.compile(rb"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.DOTALL)
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_CELL_ATTRS = re.compile(rb'\b([rts])="([^"]*)"')
_VALUE = re.compile(rb"<v>(.*?)</v>", re.DOTALL)
_INLINE = re.compile(rb"<t\b[^>]*>(.*?)</t>", re.DOTALL)
_INTEGER = re.compile(rb"^-?\d+$")


def _fast_grid(xml: bytes, workbook: Any, worksheet: Any) -> list[tuple[int, list[str]]] | None:
    """The cells of a sheet straight from its XML (several times faster than openpyxl).

    Gives the same text as :func:`_xlsx_text` over openpyxl's values: shared and
    inline strings, numbers (integers as written, others through float as
    openpyxl does), booleans, error codes, date-formatted numbers as ISO dates.
    Returns None when the sheet has anything it does not know, and the caller
    falls back to openpyxl.
    """
    import html

    try:
        strings = worksheet._shared_strings
        date_styles = set(workbook._date_formats)
        time_styles = set(getattr(workbook, "_timedelta_formats", ()))
        epoch = workbook.epoch
    except AttributeError:  # pragma: no cover - another openpyxl
        return None
    if not xml or b"<sheetData" not in xml:
        return None
    from openpyxl.utils.datetime import from_excel

    grid: list[tuple[int, list[str]]] = []
    for row_attrs, body in _ROW.findall(xml):
        match = _ROW_NUMBER.search(row_attrs)
        number = int(match.group(1)) if match else len(grid) + 1
        while len(grid) < number - 1:
            grid.append((len(grid) + 1, []))
        cells: list[str] = []
        for attributes, content in _CELL.findall(body or b""):
            found = dict(_CELL_ATTRS.findall(attributes))
            ref = found.get(b"r")
            column = _column_number(ref.rstrip(b"0123456789")) if ref else len(cells)
            if column < len(cells):
                return None
            kind = found.get(b"t", b"n")
            text = ""
            if kind == b"inlineStr":
                text = html.unescape(b"".join(_INLINE.findall(content)).decode("utf-8"))
            else:
                value = _VALUE.search(content) if content else None
                if value is not None:
                    raw = value.group(1)
                    if kind == b"s":
                        index = int(raw)
                        if not 0 <= index < len(strings):
                            return None
                        text = str(strings[index])
                    elif kind == b"n":
                        style = int(found.get(b"s", b"0"))
                        if style in date_styles or style in time_styles:
                            text = _xlsx_text(from_excel(float(raw), epoch))
                        elif _INTEGER.match(raw):
                            text = str(int(raw))
                        else:
                            text = _xlsx_text(float(raw))
                    elif kind == b"b":
                        text = "是" if raw.strip() == b"1" else "否"
                    elif kind in (b"str", b"e"):
                        text = html.unescape(raw.decode("utf-8"))
                    else:
                        return None
            text = text.strip()
            if text:
                cells.extend([""] * (column - len(cells)))
                cells.append(text)
        grid.append((number, cells))
    return grid


def _fill_merges(
    grid: list[tuple[int, list[str]]], merges: Sequence[tuple[int, int, int, int]]
) -> None:
    """Write a merged range's value into every cell of the range."""
    for row1, col1, row2, col2 in merges:
        if row1 - 1 >= len(grid):
            continue
        top = grid[row1 - 1][1]
        value = top[col1] if col1 < len(top) else ""
        if not value:
            continue
        for r in range(row1, min(row2, len(grid)) + 1):
            cells = grid[r - 1][1]
            if len(cells) <= col2:
                cells.extend([""] * (col2 + 1 - len(cells)))
            for c in range(col1, col2 + 1):
                if not cells[c]:
                    cells[c] = value


def _grid_table(
    grid: list[tuple[int, list[str]]],
    file: str,
    recognise: Recognise,
    key_field: str,
    sheet: str | None = None,
) -> RawTable:
    rows = [(n, cells) for n, cells in grid if any(cells)]
    if not rows:
        raise DataError(
            [Problem("the file has no rows", file=file, sheet=sheet, message_zh="文件没有任何行")]
        )
    layout = detect_header(rows, recognise, key_field)
    if layout is None:
        first = rows[0][0]
        raise DataError(
            [
                Problem(
                    f"no header row with a {key_field} column in the first "
                    f"{HEADER_SEARCH_ROWS} rows",
                    file=file,
                    row=first,
                    sheet=sheet,
                    message_zh=f"前 {HEADER_SEARCH_ROWS} 行中没有含 {key_field} 列的表头行",
                )
            ]
        )
    names = tuple(c.name for c in layout.columns)
    return RawTable(
        file,
        names,
        layout.data,
        "row",
        layout.header_rows,
        layout.columns,
        sheet,
        layout.notes,
        layout.numbering_rows,
    )


# -- JSON and YAML ------------------------------------------------------------------


#: A school table in JSON or YAML may be as large as a nation's (the other
#: documents keep yamlio's default size limit).
TABLE_LIMITS = YamlLimits(max_bytes=2 * 1024**3)


def load_structured(path: Path, *, limits: YamlLimits | None = None) -> Any:
    """A JSON or YAML document (floats kept as exact decimals), within *limits*."""
    try:
        if path.suffix.lower() == ".json":
            return read_json(path, limits=limits)
        return read_yaml(path, limits=limits)
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
