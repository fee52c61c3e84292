"""The one validator over the school table: every problem, with its origin.

Every entry point builds one :class:`~balance_rules.data.columns.ColumnTable`
(the file readers, a DataFrame, the fast CSV path, County and School objects)
and checks it here, in one vectorised pass: each distinct text value is judged
once, each number column with a few NumPy reductions, and only the rows found
bad are visited one by one to word their messages.

What is checked (``docs/data.md``, "Validation"):

- unknown school_type, ownership, authority or location (with a did-you-mean);
- numbers that are not finite, negative, or a count that is not whole;
- a blank school id, a school id repeated within a county;
- a combined school counted as a school without each level's student count;
- sub-sites that are their own parent or name each other as parent (a loop);
- a parent school id that is not in the county, and a sub-site naming no parent
  (refused from every entry point alike: a sub-site cannot be merged into a
  school that is not there, and leaving it out would drop its students).

Each problem names its origin: file, sheet, the row number in the source file
(``ColumnTable.rows``) and the column as the file writes it
(``ColumnTable.headers``); for School objects, which have no file, the county
and the school id.  Parsing a cell (a number, a unit, a percent sign) stays
with the reader, which has the text.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from ..errors import DataError, Problem, did_you_mean
from .fields import (
    AUTHORITIES,
    COMBINED_TYPES,
    COUNT_FIELDS,
    LOCATIONS,
    OWNERSHIPS,
    SCHOOL_TYPE_LEVELS,
    SCHOOL_TYPES,
    VALUE_ALIASES,
)
from .headers import TOTAL_MARKERS, is_total_marker
from .parents import parent_cycles

if TYPE_CHECKING:
    from .columns import ColumnTable
    from .model import School

__all__ = [
    "Flagged",
    "check_table",
    "find_problems",
    "parent_cycles",
    "school_problems",
    "table_warnings",
    "validate",
]

#: The coded text columns and the values each allows (None: left blank).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "school_type": SCHOOL_TYPES,
    "ownership": OWNERSHIPS,
    "authority": AUTHORITIES,
    "location": LOCATIONS,
}
CATEGORY_ZH = {
    "school_type": "学校类型",
    "ownership": "办学性质",
    "authority": "隶属",
    "location": "城乡分类",
}
_BLANK_ALLOWED = frozenset({"location"})
#: Totals markers as a school id may hold them (the readers strip cells).
_MARKERS = frozenset({*TOTAL_MARKERS, *(m.upper() for m in TOTAL_MARKERS), "Total", "Sum"})


@attrs.frozen
class Flagged:
    """One problem the validator found, at row *index* of the table.

    ``column`` is the canonical field; ``refuses`` is False for a warning.
    ``named`` says whether the message is about one school (its origin then
    names the school id).  :meth:`at` places it at its origin in the table.
    """

    index: int
    column: str | None
    message: str
    message_zh: str
    refuses: bool = True
    suggestion: str | None = None
    named: bool = True

    def at(self, table: ColumnTable) -> Problem:
        """The Problem located at this row's origin (file, sheet, row, column, school)."""
        i = self.index
        column = None if self.column is None else table.headers.get(self.column, self.column)
        school_id = _text(table.text["school_id"][i])
        prefix = prefix_zh = ""
        if self.named and school_id:
            prefix, prefix_zh = f"school {school_id!r}: ", f"学校 {school_id!r}："
        if table.rows is not None:
            return Problem(
                prefix + self.message,
                file=table.file or None,
                row=int(table.rows[i]),
                column=column,
                suggestion=self.suggestion,
                message_zh=prefix_zh + self.message_zh,
                sheet=table.sheet,
            )
        county = _text(table.text["county"][i])
        if county:
            prefix, prefix_zh = f"county {county!r}: " + prefix, f"县 {county!r}：" + prefix_zh
        return Problem(
            prefix + self.message,
            file=table.file or None,
            column=column,
            suggestion=self.suggestion,
            message_zh=prefix_zh + self.message_zh,
            sheet=table.sheet,
        )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def find_problems(table: ColumnTable) -> list[Flagged]:
    """Every problem in *table*, refusing and warning, in row order."""
    found: list[Flagged] = []
    from_file = table.rows is not None
    _categories(table, from_file, found)
    _numbers(table, found)
    listed = table.text["school_id"].tolist()
    distinct = set(listed)  # the ids' hashes, made once (and kept by the strings)
    _ids(table, found, listed, distinct)
    _totals(table, found, distinct)
    _combined(table, found)
    _parents(table, found)
    found.sort(key=lambda f: f.index)  # stable: within a row, in the order checked
    return found


def validate(table: ColumnTable) -> list[Problem]:
    """Every refusing problem in *table*, each at its origin (empty: the table is sound)."""
    return [f.at(table) for f in find_problems(table) if f.refuses]


def table_warnings(table: ColumnTable) -> list[Problem]:
    """The problems that do not stop an evaluation (parents not in the county)."""
    return [f.at(table) for f in find_problems(table) if not f.refuses]


def check_table(table: ColumnTable) -> list[Problem]:
    """Raise DataError with every refusing problem; return the warnings."""
    found = find_problems(table)
    problems = [f.at(table) for f in found if f.refuses]
    if problems:
        where, where_zh = table.file or "the schools", table.file or "学校数据"
        raise DataError(
            problems,
            f"{where}: {len(problems)} problem(s) in the school table",
            f"{where_zh}：学校表中有 {len(problems)} 个问题",
        )
    return [f.at(table) for f in found if not f.refuses]


def school_problems(school: School) -> list[Problem]:
    """What the validator finds in one School on its own (no county, no other schools)."""
    from .columns import ColumnTable

    table = ColumnTable.from_schools([school], check=False)
    return [f.at(table) for f in find_problems(table) if f.refuses]


# -- the checks ---------------------------------------------------------------------


def _categories(table: ColumnTable, from_file: bool, found: list[Flagged]) -> None:
    for name, allowed in CATEGORIES.items():
        column = table.text[name]
        ok = set(allowed) | ({None, ""} if name in _BLANK_ALLOWED else set())
        bad = set(column.tolist()) - ok
        if not bad:
            continue
        spellings = [*allowed, *VALUE_ALIASES.get(name, {})]
        hint = hint_zh = ""
        if from_file:
            hint = (
                f" (a code table in the mapping, values: {{{name}: {{code: value}}}}, reads codes)"
            )
            hint_zh = f"（代码可在映射文件中用 values: {{{name}: {{代码: 值}}}} 对应）"
        for value in sorted(bad, key=_text):
            shown = _text(value)
            message = f"unknown {name} {shown!r}; expected one of {', '.join(allowed)}" + hint
            message_zh = (
                f"无法识别的{CATEGORY_ZH[name]} {shown!r}；应为 {'、'.join(allowed)} 之一" + hint_zh
            )
            suggestion = did_you_mean(shown, spellings) if shown else None
            for i in np.flatnonzero(column == value):
                found.append(Flagged(int(i), name, message, message_zh, suggestion=suggestion))


def _shown(table: ColumnTable, name: str, i: int, x: float) -> str:
    """The bad number as written: the School's exact value when kept, else the float's."""
    if table.schools is not None:
        exact = table.schools[i].value(name)
        if exact is not None:
            return str(exact)
    if np.isfinite(x) and x == int(x):
        return str(int(x))
    return repr(float(x))


def _number_blocks(table: ColumnTable) -> Iterable[tuple[list[str], np.ndarray]]:
    """The number columns as 2-D blocks: one stacked block for a small table (a
    county: one set of reductions), one block per column for a large one (no copy)."""
    columns = {**table.numbers, **table.extras}
    names = list(columns)
    if len(table) * len(names) <= 1_000_000:
        yield names, np.vstack([np.asarray(columns[n], dtype=np.float64) for n in names])
        return
    for name in names:
        yield [name], np.asarray(columns[name], dtype=np.float64).reshape(1, -1)


@functools.lru_cache(maxsize=64)
def _count_rows(names: tuple[str, ...]) -> np.ndarray:
    return np.array([n in COUNT_FIELDS for n in names], dtype=bool)


def _numbers(table: ColumnTable, found: list[Flagged]) -> None:
    if len(table) == 0:
        return
    for names, block in _number_blocks(table):
        with np.errstate(invalid="ignore"):
            low = np.fmin.reduce(block, axis=1)  # NaN (missing) is ignored
            high = np.fmax.reduce(block, axis=1)
            suspect = (low < 0) | (high == np.inf)
            counts = _count_rows(tuple(names))
            if counts.any():
                whole = block[counts]
                suspect[counts] |= np.fmax.reduce(np.abs(whole - np.round(whole)), axis=1) > 0
        for j in np.flatnonzero(suspect):
            _number_rows(table, names[int(j)], block[int(j)], found)


def _number_rows(table: ColumnTable, name: str, column: np.ndarray, found: list[Flagged]) -> None:
    whole = name in COUNT_FIELDS
    with np.errstate(invalid="ignore"):
        infinite = np.isinf(column)
        negative = (column < 0) & ~infinite
        fractional = (
            (column != np.round(column)) & ~np.isnan(column) & ~infinite & ~negative
            if whole
            else np.zeros(len(column), dtype=bool)
        )
    for i in np.flatnonzero(infinite | negative | fractional).tolist():
        shown = _shown(table, name, i, float(column[i]))
        if infinite[i]:
            message = f"{name} is not a finite number ({shown})"
            message_zh = f"{name} 不是有限数（{shown}）"
        elif negative[i]:
            message, message_zh = f"{name} is negative ({shown})", f"{name} 是负数（{shown}）"
        else:
            message = f"{name} is not a whole number (a count): {shown}"
            message_zh = f"{name} 不是整数（这是计数）：{shown}"
        found.append(Flagged(i, name, message, message_zh))


def _member(column: np.ndarray, values: AbstractSet[Any]) -> np.ndarray:
    """Whether each cell of an object column is one of *values* (a hash look-up each)."""
    return np.fromiter(map(values.__contains__, column.tolist()), dtype=bool, count=len(column))


def _county_keys(table: ColumnTable, rows: Sequence[int] | np.ndarray) -> list[tuple[str, str]]:
    """(county, school id) of some rows, as text (a blank one "")."""
    index = np.asarray(rows, dtype=np.int64)
    counties = table.text["county"][index].tolist()
    ids = table.text["school_id"][index].tolist()
    return [(_text(c), _text(i)) for c, i in zip(counties, ids, strict=True)]


def _ids(table: ColumnTable, found: list[Flagged], listed: list[Any], distinct: set[Any]) -> None:
    ids = table.text["school_id"]
    for i in np.flatnonzero(~ids.astype(bool)).tolist():  # None or ""
        found.append(Flagged(i, "school_id", "school id is blank", "学校标识码为空", named=False))
    if len(distinct) == len(listed):
        return
    # Some id appears twice in the table: only those rows can repeat within a county.
    seen: set[Any] = set()
    twice: set[Any] = set()
    for v in listed:
        if v in seen:
            twice.add(v)
        seen.add(v)
    twice -= {None, ""}
    rows = [i for i, v in enumerate(listed) if v in twice]
    first: dict[tuple[str, str], int] = {}
    for i, key in zip(rows, _county_keys(table, rows), strict=True):
        if key not in first:
            first[key] = i
            continue
        school_id = key[1]
        message, message_zh = f"school id {school_id!r} repeats", f"学校标识码 {school_id!r} 重复"
        if table.rows is not None:
            earlier = int(table.rows[first[key]])
            message += f" row {earlier}"
            message_zh = f"学校标识码 {school_id!r} 与第 {earlier} 行重复"
        found.append(Flagged(i, "school_id", message, message_zh, named=False))


def _totals(table: ColumnTable, found: list[Flagged], distinct_ids: AbstractSet[Any]) -> None:
    """A totals row (合计, 总计, 全县 … as the school id or the county) is no school.

    The file readers skip such rows with a warning; here (a DataFrame, School
    objects) it would be evaluated as a school, so it is refused.
    """
    ids, counties = table.text["school_id"], table.text["county"]
    if distinct_ids.isdisjoint(_MARKERS):
        marked = np.zeros(len(ids), dtype=bool)
    else:
        marked = _member(ids, _MARKERS)
    distinct = set(counties.tolist()) - {None, ""}
    totals = {c for c in distinct if is_total_marker(str(c))}
    if totals:
        marked |= _member(counties, totals)
    for i in np.flatnonzero(marked).tolist():
        column = "school_id" if ids[i] in _MARKERS else "county"
        found.append(
            Flagged(
                i,
                column,
                f"a totals row ({table.text[column][i]}), not a school: leave it out",
                f"合计行（{table.text[column][i]}），不是学校：请删去",
                named=False,
            )
        )


def _combined(table: ColumnTable, found: list[Flagged]) -> None:
    types = table.text["school_type"]
    present = set(types.tolist()) & COMBINED_TYPES
    for school_type in sorted(present):
        rows = (types == school_type) & table.counted
        for level in SCHOOL_TYPE_LEVELS[school_type]:
            name = f"{level}_students"
            for i in np.flatnonzero(rows & np.isnan(table.numbers[name])).tolist():
                school_id = _text(table.text["school_id"][i])
                found.append(
                    Flagged(
                        i,
                        name,
                        f"{school_type} school {school_id} has no {level} student count "
                        "(combined schools report each level)",
                        f"{school_type} 学校 {school_id} 没有 {level} 学段的在校生数"
                        "（一贯制学校须分学段填报）",
                        named=False,
                    )
                )


def _parents(table: ColumnTable, found: list[Flagged]) -> None:
    parents = table.text["parent_school_id"]
    subs = np.flatnonzero(~table.counted)
    has_parent = parents.astype(bool)  # None and "" are no parent
    if len(subs) == 0 and not has_parent.any():
        return
    referring = np.flatnonzero(has_parent)
    referring_parents = parents[referring].tolist()
    named = set(referring_parents)
    ids = table.text["school_id"]
    # Only rows whose id is named as a parent are ever looked up.
    known = set(_county_keys(table, np.flatnonzero(_member(ids, named))))
    # Loops run through sub-sites only (a counted school's parent is never followed).
    keys = _county_keys(table, subs)
    sub_parents = [
        None if parent in (None, "") else (key[0], _text(parent))
        for parent, key in zip(parents[subs].tolist(), keys, strict=True)
    ]
    row_of = dict(zip(keys, subs.tolist(), strict=True))
    for cycle in parent_cycles(keys, sub_parents, [False] * len(keys)):
        first = row_of[cycle[0]]
        names = [key[1] for key in cycle]
        if len(names) == 1:
            message = f"sub-site {names[0]!r} is its own parent"
            message_zh = f"分校区 {names[0]!r} 的所属学校是它自己"
        else:
            loop = " → ".join([*names, names[0]])
            message = "sub-sites name each other as parent: " + loop
            message_zh = "分校区互为所属学校：" + loop
        found.append(Flagged(first, "parent_school_id", message, message_zh, named=False))
    counted = table.counted
    no_parent = ~counted & ~has_parent
    for i in np.flatnonzero(no_parent).tolist():
        school_id = _text(ids[i])
        found.append(
            Flagged(
                i,
                "parent_school_id",
                f"{school_id} is not counted as a school (是否计校数 = 否) "
                "but names no parent school",
                f"{school_id} 不计校数（是否计校数 = 否），但没有填写所属学校",
                named=False,
            )
        )
    if not named:
        return
    counties = table.text["county"]
    missing = [
        i
        for i, county, parent in zip(
            referring.tolist(), counties[referring].tolist(), referring_parents, strict=True
        )
        if (_text(county), _text(parent)) not in known
    ]
    if not missing:
        return
    by_county: dict[str, list[str]] = {}
    for county, school_id in _county_keys(table, range(len(table))):
        if school_id:
            by_county.setdefault(county, []).append(school_id)
    for i in missing:
        county, parent = _text(counties[i]), _text(parents[i])
        found.append(
            Flagged(
                i,
                "parent_school_id",
                f"parent school {parent!r} of {_text(ids[i])} is not in the table",
                f"{_text(ids[i])} 的上级学校 {parent!r} 不在表中",
                suggestion=did_you_mean(parent, by_county.get(county, [])),
                named=False,
            )
        )
