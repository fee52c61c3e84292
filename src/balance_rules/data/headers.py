"""Finding the real header of an exported table: up to five header rows.

Exports of the annual statistics put a title row above the table, a group row
whose merged cells span several columns (``专任教师`` over ``合计 | 研究生 | 本科``),
a unit row (``人``, ``平方米``, ``万元``) and sometimes a row of column numbers
(``甲 乙 1 2 3``) between the header and the data; a ``序号`` column, totals rows
and notes under the table (``注：…``, ``填表人：``).  :func:`detect_header` finds,
for every column, the *path* through the header rows (``专任教师/本科``), the unit
that applies to it, and which rows are data.  Pure functions over a grid of cell
text; CSV and XLSX go through the same code (a workbook's merged cells are filled
in by the caller, a CSV's blank group cells are carried across here).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

import attrs

from .cells import UNIT_FACTORS, header_unit, normalise_header

__all__ = [
    "HEADER_SEARCH_ROWS",
    "MAX_HEADER_ROWS",
    "NOTE_MARKERS",
    "TOTAL_MARKERS",
    "HeaderColumn",
    "HeaderLayout",
    "detect_header",
    "is_numbering_row",
    "is_total_marker",
    "name_candidates",
]

#: How many rows from the top are searched for the header.
HEADER_SEARCH_ROWS = 12
#: The deepest header (title rows not counted) that is recognised.
MAX_HEADER_ROWS = 5

#: Cell text that marks a totals row, wherever it stands.
TOTAL_MARKERS = frozenset(
    {
        "合计",
        "总计",
        "小计",
        "全县",
        "全区",
        "全市",
        "全县合计",
        "全区合计",
        "全市合计",
        "total",
        "sum",
    }
)
#: A row under the table starting with one of these is a note, as is every row after it.
NOTE_MARKERS = (
    "注：",
    "注:",
    "注 ",
    "说明：",
    "说明:",
    "填表人",
    "审核人",
    "制表",
    "单位负责人",
    "统计负责人",
    "填报日期",
    "填表日期",
    "联系电话",
    "备注：",
    "备注:",
    "数据来源",
)
#: Headers of columns that only number the rows.
ROW_NUMBER_HEADERS = frozenset({"序号", "行号", "编号", "栏次", "行次", "no", "no.", "#"})

_STEMS = "甲乙丙丁戊己庚辛壬癸"
_GENERIC = frozenset({"合计", "小计", "计", "总计", "总数", "数量", "小计数", "合计数"})
_NUMBER_CELL = re.compile(r"^\d{1,3}$")

Recognise = Callable[[str], str | None]


@attrs.frozen
class HeaderColumn:
    """One column as the header describes it.

    ``path`` lists the header cells above the column, top-down (group rows first,
    unit and column-number rows left out); ``name`` is the text the column was
    recognised by (a path joined with ``/`` when nothing recognised it); ``unit``
    comes from a unit row or a bracketed suffix; ``ignored`` marks row-number
    (``序号``) and blank columns.
    """

    index: int
    path: tuple[str, ...]
    name: str
    unit: str | None = None
    ignored: bool = False

    @property
    def source(self) -> str:
        """The header path as the file writes it: ``专任教师/本科``."""
        return "/".join(self.path)


@attrs.frozen
class HeaderLayout:
    """The header of a grid and what lies under it."""

    columns: tuple[HeaderColumn, ...]
    header_rows: tuple[int, ...]
    data: tuple[tuple[int, tuple[str, ...]], ...]
    notes: tuple[int, ...] = ()
    numbering_rows: tuple[int, ...] = ()
    unit_rows: tuple[int, ...] = ()


def is_total_marker(text: str) -> bool:
    """``合计``, ``总计``, ``全县`` … (spaces and case ignored)."""
    marker = text.strip().lower().replace(" ", "").replace("\u3000", "")
    return marker in TOTAL_MARKERS


def _is_unit_cell(text: str) -> bool:
    cleaned = text.strip().strip("()（）[]").strip()
    if cleaned.startswith("单位：") or cleaned.startswith("单位:"):
        cleaned = cleaned[3:].strip()
    return cleaned in UNIT_FACTORS


def _unit_of_cell(text: str) -> str:
    cleaned = text.strip().strip("()（）[]").strip()
    if cleaned.startswith("单位：") or cleaned.startswith("单位:"):
        cleaned = cleaned[3:].strip()
    return cleaned


def is_unit_row(cells: Sequence[str]) -> bool:
    """Every filled cell is a unit (``人``, ``平方米``, ``万元`` …), at least two of them."""
    filled = [c for c in cells if c.strip()]
    return len(filled) >= 2 and all(_is_unit_cell(c) for c in filled)


def is_numbering_row(cells: Sequence[str]) -> bool:
    """A row of column numbers: ``甲 乙 1 2 3 …`` (numbers rising by one)."""
    filled = [c.strip() for c in cells if c.strip()]
    if len(filled) < 2:
        return False
    numbers = []
    stems = 0
    for cell in filled:
        if cell in _STEMS or cell in ("栏次", "行次"):
            stems += 1
            continue
        if not _NUMBER_CELL.match(cell):
            return False
        numbers.append(int(cell))
    if not numbers:
        return len(filled) >= 2
    if not stems and (numbers[0] != 1 or len(numbers) < 3):
        return False  # a data row of small numbers is not a numbering row
    return all(b == a + 1 for a, b in itertools.pairwise(numbers))


def _is_note(cells: Sequence[str]) -> bool:
    first = next((c.strip() for c in cells if c.strip()), "")
    return first.startswith(NOTE_MARKERS)


def name_candidates(path: Sequence[str]) -> list[str]:
    """Texts a column with this header path may be known by, most specific first."""
    parts = [p for p in path if p]
    if not parts:
        return []
    if len(parts) == 1:
        return [parts[0]]
    last, parent = parts[-1], parts[-2]
    out = ["/".join(parts), parent + last, last + parent, "".join(parts)]
    if normalise_header(last)[0] in _GENERIC:
        out.insert(1, parent)
    out.append(last)
    if len(parts) > 2:
        out.append(parts[-3] + last)
    return list(dict.fromkeys(out))


def _recognised(path: Sequence[str], recognise: Recognise) -> str | None:
    for candidate in name_candidates(path):
        if recognise(candidate) is not None:
            return candidate
    return None


def _fill_groups(block: Sequence[Sequence[str]], width: int) -> list[list[str]]:
    """Carry a group cell across the blank cells to its right that have cells under them.

    A CSV (or a workbook without merge information) writes a merged group cell
    once; the columns under it are those whose cell below is filled, up to the
    next filled group cell.  A blank with nothing under it is a column whose own
    header stands higher up (merged vertically), and is left blank.
    """
    rows = [[(r[i] if i < len(r) else "").strip() for i in range(width)] for r in block]
    for depth in range(len(rows) - 1):
        row = rows[depth]
        below = [any(r[i] for r in rows[depth + 1 :]) for i in range(width)]
        carried = ""
        above = rows[depth - 1] if depth else None
        for index in range(width):
            if row[index]:
                carried = row[index] if below[index] else ""
                continue
            if carried and below[index]:
                # Stay inside the parent's span: the row above must not change here.
                if above is not None and above[index] != above[index - 1]:
                    carried = ""
                    continue
                row[index] = carried
            else:
                carried = ""
    return rows


def _paths(rows: Sequence[Sequence[str]], width: int) -> list[tuple[str, ...]]:
    paths = []
    for index in range(width):
        parts: list[str] = []
        for row in rows:
            cell = row[index].replace("\n", "").strip()
            if cell and (not parts or parts[-1] != cell):
                parts.append(cell)
        paths.append(tuple(parts))
    return paths


@attrs.frozen
class _Candidate:
    start: int
    depth: int
    score: int
    columns: tuple[HeaderColumn, ...]
    used: tuple[int, ...]  # positions (in the row list) of the header block
    units: tuple[int, ...]
    numbering: tuple[int, ...]

    @property
    def named_depth(self) -> int:
        return self.depth - len(self.units) - len(self.numbering)


def _candidate(
    rows: Sequence[tuple[int, list[str]]],
    start: int,
    depth: int,
    width: int,
    recognise: Recognise,
    key_field: str,
) -> _Candidate | None:
    block_positions = list(range(start, start + depth))
    named: list[Sequence[str]] = []
    unit_cells: list[str] = [""] * width
    units: list[int] = []
    numbering: list[int] = []
    for position in block_positions:
        cells = rows[position][1]
        if position != start and is_unit_row(cells):
            units.append(position)
            for index, cell in enumerate(cells[:width]):
                if cell.strip():
                    unit_cells[index] = _unit_of_cell(cell)
            continue
        if position != start and is_numbering_row(cells):
            numbering.append(position)
            continue
        named.append(cells)
    if not named:
        return None
    filled = _fill_groups(named, width)
    paths = _paths(filled, width)
    columns = []
    fields: set[str] = set()
    found_key = False
    for index, path in enumerate(paths):
        if not path:
            columns.append(HeaderColumn(index, (), "", None, ignored=True))
            continue
        last = normalise_header(path[-1])[0].lower()
        if last in ROW_NUMBER_HEADERS and len(path) == 1:
            columns.append(HeaderColumn(index, path, path[-1], None, ignored=True))
            continue
        name = _recognised(path, recognise)
        unit = unit_cells[index] or (header_unit(name or path[-1]) if path else None)
        if name is not None:
            field = recognise(name) or name
            fields.add(field)  # two columns of one field count once: a header not yet split
            if field == key_field:
                found_key = True
        columns.append(HeaderColumn(index, path, name or "/".join(path), unit or None))
    if not found_key:
        return None
    return _Candidate(
        start,
        depth,
        len(fields),
        tuple(columns),
        tuple(block_positions),
        tuple(units),
        tuple(numbering),
    )


def detect_header(
    grid: Sequence[tuple[int, Sequence[str]]],
    recognise: Recognise,
    key_field: str,
) -> HeaderLayout | None:
    """The header of *grid* (rows of cell text with their row numbers), or None.

    Every block of one to five rows starting in the first
    :data:`HEADER_SEARCH_ROWS` non-blank rows is tried; the block that recognises
    the most columns (one of them *key_field*) wins, the shallower one on a tie,
    so title rows above the table are left out.
    """
    rows = [(n, list(cells)) for n, cells in grid if any(c.strip() for c in cells)]
    if not rows:
        return None
    width = max(len(cells) for _, cells in rows[: HEADER_SEARCH_ROWS + MAX_HEADER_ROWS])
    best: _Candidate | None = None
    for start in range(min(HEADER_SEARCH_ROWS, len(rows))):
        cells = rows[start][1]
        if len({c.strip() for c in cells if c.strip()}) < 2 and width > 2:
            continue  # a title row: one text (merged across the table, or in one cell)
        for depth in range(1, MAX_HEADER_ROWS + 3):  # unit and number rows do not count
            if start + depth > len(rows):
                break
            candidate = _candidate(rows, start, depth, width, recognise, key_field)
            if candidate is None:
                continue
            named_depth = depth - len(candidate.units) - len(candidate.numbering)
            if named_depth > MAX_HEADER_ROWS:
                break
            if best is None or (candidate.score, -named_depth) > (best.score, -best.named_depth):
                best = candidate
        if best is not None and start >= best.start + MAX_HEADER_ROWS + 2:
            break
    if best is None:
        return None
    # Unit rows, column-number rows and rows of sub-headers (text only, no school id)
    # right under the chosen header belong to it.
    while best.start + best.depth < len(rows) and best.named_depth <= MAX_HEADER_ROWS:
        following = rows[best.start + best.depth][1]
        if not (
            is_unit_row(following)
            or is_numbering_row(following)
            or _is_sub_header(following, best.columns, recognise, key_field)
        ):
            break
        if is_numbering_row(following) and _has_key(following, best.columns, recognise, key_field):
            break
        longer = _candidate(rows, best.start, best.depth + 1, width, recognise, key_field)
        if longer is None or longer.score < best.score:
            break
        best = longer
    after = best.start + best.depth
    data: list[tuple[int, tuple[str, ...]]] = []
    notes: list[int] = []
    numbering = [rows[p][0] for p in best.numbering]
    units = [rows[p][0] for p in best.units]
    in_notes = False
    for position in range(after, len(rows)):
        number, cells = rows[position]
        if in_notes or _is_note(cells):
            in_notes = True
            notes.append(number)
            continue
        if (
            not data
            and is_numbering_row(cells)
            and not _has_key(cells, best.columns, recognise, key_field)
        ):
            numbering.append(number)
            continue
        data.append((number, tuple(cells)))
    return HeaderLayout(
        best.columns,
        tuple(rows[p][0] for p in best.used if p not in best.units and p not in best.numbering),
        tuple(data),
        tuple(notes),
        tuple(numbering),
        tuple(units),
    )


def _is_sub_header(
    cells: Sequence[str], columns: Sequence[HeaderColumn], recognise: Recognise, key_field: str
) -> bool:
    """Text under group headers, no school id, no number: one more header row."""
    filled = [c.strip() for c in cells if c.strip()]
    if not filled or any(is_total_marker(c) or _is_note([c]) for c in filled):
        return False
    for column in columns:
        key = column.name and recognise(column.name) == key_field
        if key and column.index < len(cells) and cells[column.index].strip():
            return False
    return not any(ch.isdigit() for cell in filled for ch in cell)


def _has_key(
    cells: Sequence[str], columns: Sequence[HeaderColumn], recognise: Recognise, key_field: str
) -> bool:
    for column in columns:
        if column.name and recognise(column.name) == key_field and column.index < len(cells):
            # An id of four or more characters is a school, not a column number.
            return len(cells[column.index].strip()) > 3
    return False
