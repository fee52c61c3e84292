"""The findings CSV built as columns and made into text by pyarrow (``--format csv``).

The rows are those of the row-by-row writer in :mod:`balance_rules.render.csv`, in
the same order (county by county: its school rows by school id, level and rule,
then its county rows), byte for byte.  They are built per chunk of counties as
NumPy columns straight from the result's outcome arrays (status, value, threshold
and layer of every section rule); only what needs a sentence — a row not
evaluated (its missing columns), a k-of-n row at a section where some rule was not
evaluated — goes through its kernel's ``record``, as every row of the row-by-row
writer does.  County rows (CVs, composites, facts) are explained a batch of
counties at a time, rule by rule, by their kernel's ``columns`` (or its ``record``
row by row for a kind without it: :func:`balance_rules.records.county_columns_coded`).

Every row is written as four pieces, each holding the commas (or the line break)
around it, so that a chunk's lines are its pieces' bytes one after another: who
(the county, school id and name; one text per school, empty ids for a county
row), ``level,rule,indicator``, the middle and the tail.  A school row's middle
is its value and its tail ``op,threshold,status``, the empty working and
``decides,…,detail``; a county row's middle is its value, ``op,threshold,status``
and the CV's working (one text per county row, made with its batch) and its tail
``decides,…,detail``.  Each group of text cells is a dictionary of the
combinations that occur, each written once as the csv module writes it
(neutralised against formulas, quoted only when it must be); pyarrow takes the
pieces of a chunk's rows on worker threads, without the GIL.  A value is written
with the digits the row-by-row writer gives it (shortest round trip, integral
values without ``.0``): pyarrow's own float text where that is the row writer's
(each distinct value of a chunk made into text once), else (below 1e-4, from
1e10, ``-0.0``, a ``0.0`` as the JSON report writes it, a yes/no) the row
writer's text.
"""

from __future__ import annotations

import codecs
import math
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TextIO

import numpy as np

from ..collector import paused
from ..engine.columnar import ColumnarResult
from ..engine.findings import number
from ..engine.kernels import KERNELS
from ..engine.kernels.base import NOT_EVALUATED
from ..records import WORKING_KEYS, Coded, county_columns_coded, flat_row

__all__ = ["arrow_available", "number_cells", "write_findings_arrow"]

#: About this many rows are built and written at a time (memory stays flat).
CHUNK_ROWS = 100_000
#: County rows (CVs, composites, facts) explained together, about.
COUNTY_BATCH = 20_000
#: Bytes handed to the file at a time.
_WRITE = 1 << 20
#: Section kinds whose passing and failing rows are read straight from the outcome
#: arrays (value, threshold, status, layer; nothing missing); any other kind is
#: explained row by row by its kernel's ``record``.
_FROM_OUTCOMES = {"school_threshold", "school_k_of_n"}
#: Of those, kinds whose row can name missing inputs of other rules at the section.
_READS_OTHER_RULES = {"school_k_of_n"}
_STATUS = ("pass", "fail", "not_evaluated")
#: Characters that make the csv module quote a cell (delimiter, quote, line end).
_STRUCTURAL = (",", '"', "\n")
#: The columns, as the pieces of a row are joined (see the module's docstring).
_COLUMNS = (
    "county", "school_id", "school_name", "level", "rule", "indicator", "value", "op",
    "threshold", "status", "students", "mean", "std", "decides", "document", "article",
    "layer", "missing", "detail",
)  # fmt: skip
_B = ("level", "rule", "indicator")
_C1 = ("op", "threshold", "status")
_C2 = ("decides", "document", "article", "layer", "missing", "detail")
_TEXT_COLUMNS = (*_B, *_C1, *_C2)


def arrow_available() -> bool:
    """Whether pyarrow can be imported (the fast CSV writer needs it)."""
    try:
        import pyarrow
        import pyarrow.csv  # noqa: F401
    except ImportError:
        return False
    return True


def _shortest(value: float) -> str:
    """A float as the row-by-row writer shows a number (integral values as integers)."""
    return str(int(value)) if value.is_integer() else repr(value)


def _plain(value: float) -> bool:
    """One float: is pyarrow's text the row-by-row writer's? (see :func:`_in_band`)."""
    size = abs(value)
    return 1e-4 <= size < 1e10 or (value == 0 and math.copysign(1.0, value) > 0)


def _in_band(values: np.ndarray) -> np.ndarray:
    """Where pyarrow's float text is the shortest round trip of the row-by-row writer."""
    size = np.abs(values)
    plain: np.ndarray = ((size >= 1e-4) & (size < 1e10)) | ((values == 0) & ~np.signbit(values))
    return plain


def _needs_quotes(value: str) -> bool:
    return any(c in value for c in _STRUCTURAL)


def _csv(value: str) -> str:
    """A text cell as the csv module writes it: quoted only when it must be."""
    return '"' + value.replace('"', '""') + '"' if _needs_quotes(value) else value


def number_cells(values: Sequence[Any]) -> tuple[np.ndarray, dict[int, str]]:
    """Record values as the row-by-row writer writes them: floats, else text.

    A value pyarrow writes with the row writer's digits is a float (NaN: empty);
    any other (an integral float such as ``0.0``, a value out of pyarrow's plain
    band, a yes/no, an integer beyond it) is its ``str``, by position.  Floats
    (most values: CVs, composites) are sorted out at once.
    """
    n = len(values)
    floats = np.full(n, np.nan)
    text: dict[int, str] = {}
    if not n:
        return floats, text
    types = list(map(type, values))
    is_float = np.array([t is float for t in types], dtype=bool)
    if is_float.any():
        at = np.flatnonzero(is_float)
        cells = np.empty(n, dtype=object)
        cells[:] = values  # (numbers or None: never unpacked)
        found = cells[at].astype(float)
        plain = _in_band(found) & (found != np.floor(found))  # NaN, inf: not in the band
        floats[at[plain]] = found[plain]
        for i in at[~plain].tolist():
            text[i] = str(values[i])
    for i in np.flatnonzero(~is_float).tolist():
        value = values[i]
        if value is None:
            continue
        shown = str(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            as_float = float(value)
            if _plain(as_float) and _shortest(as_float) == shown:
                floats[i] = as_float
                continue
        text[i] = shown
    return floats, text


class _Text:
    """A text column: a dictionary of distinct values and codes into it.

    Each value is kept as the csv module writes it: neutralised against formulas,
    quoted only when it must be.
    """

    def __init__(self, neutralise: Callable[[Any], Any]) -> None:
        self.neutralise = neutralise
        self.codes: dict[Any, int] = {}
        self.values: list[str] = []

    def code(self, value: Any) -> int:
        """The code of a cell (-1: empty)."""
        if value is None or value == "":
            return -1
        found = self.codes.get(value)
        if found is None:
            shown = _csv(self.neutralise(value)) if isinstance(value, str) else str(value)
            found = self.codes[value] = len(self.values)
            self.values.append(shown)
        return found

    def codes_of(self, column: Sequence[Any]) -> np.ndarray:
        """The codes of many cells (each distinct cell looked up once)."""
        lookup = {value: self.code(value) for value in dict.fromkeys(column)}
        return np.fromiter(map(lookup.__getitem__, column), dtype=np.int32, count=len(column))

    def shown(self, code: int) -> str:
        return "" if code < 0 else self.values[code]


def _factorize(key: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys (ascending) of non-negative *key* below *space*, and each one's place.

    A table of the key space where it is small (no sort), else a sort.
    """
    if space <= max(1 << 16, 4 * len(key)):
        present = np.zeros(space, dtype=bool)
        present[key] = True
        distinct = np.flatnonzero(present)
        table = np.zeros(space, dtype=np.int64)
        table[distinct] = np.arange(len(distinct))
        return distinct, table[key]
    distinct, inverse = np.unique(key, return_inverse=True)
    return distinct, inverse.reshape(-1)


class _Joint:
    """Adjacent text columns written as one piece: each combination that occurs, once."""

    def __init__(
        self, texts: Sequence[Any], start: str = "", end: str = "", sep: str = ","
    ) -> None:
        self.texts = tuple(texts)  # (each a _Text, or a _Joint)
        self.start = start
        self.end = end
        self.sep = sep
        self.codes: dict[tuple[int, ...], int] = {}
        self.values: list[str] = []
        self._array: Any = None

    def code(self, parts: tuple[int, ...]) -> int:
        """The piece of one combination of the columns' codes."""
        found = self.codes.get(parts)
        if found is None:
            pieces = (text.shown(c) for text, c in zip(self.texts, parts, strict=True))
            found = self.codes[parts] = len(self.values)
            self.values.append(self.start + self.sep.join(pieces) + self.end)
        return found

    def shown(self, code: int) -> str:
        return "" if code < 0 else self.values[code]

    def codes_of(self, *columns: np.ndarray) -> np.ndarray:
        """The pieces of many rows, from one array of codes per column."""
        if not len(columns[0]):
            return np.zeros(0, dtype=np.int32)
        sizes = [len(text.values) + 1 for text in self.texts]  # code -1 .. size - 1
        if math.prod(sizes) < 2**62:  # each combination as one number: a 1-d unique
            key = np.zeros(len(columns[0]), dtype=np.int64)
            for column, size in zip(columns, sizes, strict=True):
                key = key * size + (column.astype(np.int64) + 1)
            distinct, inverse = _factorize(key, math.prod(sizes))
            parts = []
            for size in reversed(sizes):
                parts.append(distinct % size - 1)
                distinct = distinct // size
            rows = np.stack(parts[::-1], axis=1).tolist()
        else:
            stacked = np.stack(columns, axis=1)
            unique, inverse = np.unique(stacked, axis=0, return_inverse=True)
            rows = unique.tolist()
        lookup = np.array([self.code(tuple(row)) for row in rows], dtype=np.int32)
        found: np.ndarray = lookup[inverse.reshape(-1)]
        return found

    def snapshot(self) -> Any:
        """The pieces as they are now, as an Arrow array (immutable)."""
        import pyarrow as pa

        if self._array is None or len(self._array) != len(self.values):
            self._array = pa.array(self.values, type=pa.string())
        return self._array


def _strings(values: Any, neutralise: Callable[[Any], Any]) -> tuple[Any, np.ndarray]:
    """Text cells (None: empty) neutralised, as an Arrow array; which need quotes."""
    import pyarrow as pa

    from .csv import FORMULA_START

    array = values if isinstance(values, pa.Array) else pa.array(values, type=pa.string())
    risky = _first_byte_in(array, FORMULA_START)
    if risky.any():
        shown = array.to_pylist()
        for i in np.flatnonzero(risky).tolist():
            shown[i] = neutralise(shown[i])
        array = pa.array(shown, type=pa.string())
    return array, _holds_byte_of(array, _STRUCTURAL)


def _bytes(array: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An Arrow string array's UTF-8 bytes, its offsets and which entries are not null."""
    import pyarrow as pa

    large = pa.types.is_large_string(array.type)
    n = len(array)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64 if large else np.int32)
    offsets = offsets[array.offset : array.offset + n + 1].astype(np.int64)
    data = array.buffers()[2]
    found = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    valid = (
        array.is_valid().to_numpy(zero_copy_only=False) if array.null_count else np.ones(n, bool)
    )
    return found, offsets, valid


def _first_byte_in(array: Any, characters: Sequence[str]) -> np.ndarray:
    """Which strings begin with one of the (ASCII) *characters*.

    In UTF-8 an ASCII byte is only ever that character, so the first bytes say it.
    """
    data, offsets, valid = _bytes(array)
    begin = offsets[:-1]
    filled = valid & (offsets[1:] > begin)
    first = np.zeros(len(begin), dtype=np.uint8)
    first[filled] = data[begin[filled]]
    found: np.ndarray = filled & np.isin(first, [ord(c) for c in characters])
    return found


def _holds_byte_of(array: Any, characters: Sequence[str]) -> np.ndarray:
    """Which strings hold one of the (ASCII) *characters* anywhere."""
    data, offsets, valid = _bytes(array)
    region = data[offsets[0] : offsets[-1]]
    hit = np.zeros(len(region), dtype=bool)
    for c in characters:
        hit |= region == ord(c)
    found = np.zeros(len(offsets) - 1, dtype=bool)
    at = np.flatnonzero(hit) + offsets[0]
    if len(at):
        found[np.searchsorted(offsets, at, side="right") - 1] = True
    found &= valid
    return found


def _column(values: np.ndarray, other: Callable[[Any], str]) -> Any:
    """A text column of the table as an Arrow array: None empty, *other* of a non-text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = values.tolist()
    try:
        array = pa.array(cells, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = pa.array([v if v is None or isinstance(v, str) else other(v) for v in cells])
    return pc.fill_null(array, "")


def _cells(values: Any, neutralise: Callable[[Any], Any]) -> Any:
    """Text cells as the csv module writes them (None: empty), as an Arrow array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array, quotes = _strings(values, neutralise)
    if quotes.any():
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(array, '"', '""'), '"', "")
        array = pc.if_else(pa.array(quotes), quoted, array)
    return pc.fill_null(array, "")


class _Prepared:
    """What every chunk shares: rules per level, section order, dictionaries, county rows."""

    def __init__(self, result: ColumnarResult, neutralise: Callable[[Any], Any]) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        self.result = result
        table = result.table
        text = table.text
        standard = result.plan.standard
        self.rules: dict[str, list[tuple[str, Any, Any]]] = {}
        for rule_id, level in result.outcomes:
            kernel = KERNELS[standard.rules[rule_id].kind]
            self.rules.setdefault(level, []).append((rule_id, kernel, result.compiled[rule_id]))
        order_of = {level: n for n, level in enumerate(standard.levels)}
        self.levels = sorted(result.levels, key=lambda lv: (order_of.get(lv, len(order_of)), lv))
        # Every section, in the row-by-row writer's order: county, school id, level.
        codes, ids, keys, index = [], [], [], []
        k = len(result.county_names)
        for key, level in enumerate(self.levels):
            part = result.levels[level]
            n = len(part.rows)
            codes.append(part.counties)
            ids.append(part.rows)
            keys.append(np.full(n, key))
            index.append(np.arange(n))
        all_codes = np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64)
        all_rows = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        school_ids = _column(text["school_id"], str)
        # School ids ranked as Python orders them (UTF-8 byte order is code point order).
        id_rank = pc.rank(
            school_ids.take(pa.array(all_rows)),
            sort_keys="ascending",
            tiebreaker="dense",
        ).to_numpy()
        level_key = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
        within = np.concatenate(index) if index else np.zeros(0, dtype=np.int64)
        order = np.lexsort((within, level_key, id_rank, all_codes))
        self.codes = all_codes[order]
        self.level_key = level_key[order]
        self.within = within[order]
        self.section_row = all_rows[order]  # (the table's row)
        self.rule_count = np.array([len(self.rules.get(lv, ())) for lv in self.levels])
        # Per county: how many school rows (to cut the nation into chunks).
        self.school_rows = np.bincount(
            self.codes, weights=self.rule_count[self.level_key], minlength=k
        )
        # Per level: sections where some rule was not evaluated.
        self.unknown: dict[str, np.ndarray] = {}
        for level in self.levels:
            part = result.levels[level]
            found = np.zeros(len(part.rows), dtype=bool)
            for rule_id, _, _ in self.rules.get(level, ()):
                found |= result.outcomes[(rule_id, level)].status == NOT_EVALUATED
            self.unknown[level] = found
        # Pieces: a school's county, id and name, per table row; then per county code
        # the county alone (a county row).  The county of a school: its sections'.
        row_county = np.full(len(table), len(result.county_names), dtype=np.int64)
        for part in result.levels.values():
            row_county[part.rows] = part.counties
        counties = _cells([*result.county_names, ""], neutralise)
        names = _column(text["school_name"], lambda v: "")
        schools = pc.binary_join_element_wise(
            counties.take(pa.array(row_county)),
            _cells(school_ids, neutralise),
            _cells(names, neutralise),
            "",
            ",",
        )
        alone = pc.binary_join_element_wise(counties[:-1], ",,,", "")
        self.schools = len(table)
        self.who = pa.concat_arrays([schools, alone])
        self.text = {name: _Text(neutralise) for name in _TEXT_COLUMNS if name != "threshold"}
        self.text["threshold"] = _Text(lambda shown: shown)  # a number: never neutralised
        for status in _STATUS:  # status codes of the outcome arrays are the dictionary codes
            self.text["status"].code(status)
        # Each piece holds the commas around it: a row is its pieces one after another.
        self.joints = (
            _Joint([self.text[n] for n in _B], end=","),
            _Joint([self.text[n] for n in _C1], ",", ","),  # a county row's: its working follows
            _Joint([self.text[n] for n in _C2], end="\n"),
            _Joint([self.text[n] for n in _C1], ",", ",,,,"),  # a school row's: no working
        )
        # A row's last piece: a school row's op…status (empty working) and decides…
        # detail; a county row's decides…detail alone (code -1 first).
        self.tail = _Joint([self.joints[3], self.joints[2]], sep="")
        self.section_rules: dict[tuple[str, str], _SectionRule] = {}
        # County rows: where each county's begin; explained a batch of counties at a
        # time, as chunks come to them (so text is made on other threads meanwhile).
        self.county_start = np.zeros(len(result.county_findings) + 1, dtype=np.int64)
        np.cumsum([len(f) for f in result.county_findings], out=self.county_start[1:])
        self._county_batch: _CountyRows | None = None
        #: County rows explained together, about (all at once with no worker thread
        #: waiting for the first chunk).
        self.county_batch = COUNTY_BATCH
        self._school_rows()

    def _school_rows(self) -> None:
        """Every school row's value and pieces, and where each section's rows are.

        The rows of each level are a block, rule by rule, each rule's rows in the
        level's order of sections; ``row_start`` is where each section's rows
        begin in writing order (school rows only), ``section_base`` where its
        first rule's row is in the blocks and ``section_stride`` the step to its
        next rule's.  Rows a kernel must explain
        (``explain_*``, in writing order) are made by its ``record`` per chunk.
        """
        result = self.result
        widths = self.rule_count.astype(np.int64)
        sizes = np.array([len(result.levels[lv].rows) for lv in self.levels], dtype=np.int64)
        offset = np.zeros(len(self.levels) + 1, dtype=np.int64)
        np.cumsum(sizes * widths, out=offset[1:])
        total = int(offset[-1])
        self.row_value = np.empty(total)
        self.row_tail = np.empty(total, dtype=np.int32)
        # A row's level…indicator piece is its rule's: per level and rule.
        most = int(widths.max()) if len(widths) else 0
        self.rule_b = np.zeros(len(self.levels) * most, dtype=np.int32)
        self.section_rules_at = self.level_key * most  # (where its level's rules are)
        width = widths[self.level_key]
        self.section_width = width
        # A level's block is rule by rule, each rule's rows section by section.
        self.section_base = offset[self.level_key] + self.within
        self.section_stride = sizes[self.level_key]
        self.row_start = np.zeros(len(width) + 1, dtype=np.int64)
        np.cumsum(width, out=self.row_start[1:])
        found: list[tuple[int, int, np.ndarray]] = []  # (level, rule, sections)
        for key, level in enumerate(self.levels):
            n, w = int(sizes[key]), int(widths[key])
            if not n or not w:
                continue
            block = slice(int(offset[key]), int(offset[key + 1]))
            values = self.row_value[block].reshape(w, n)
            tail = self.row_tail[block].reshape(w, n)
            unknown = self.unknown[level]
            for r, (rule_id, kernel, compiled) in enumerate(self.rules[level]):
                outcome = result.outcomes[(rule_id, level)]
                rows = self.section_rule(rule_id, kernel, compiled, level)
                values[r] = outcome.value
                self.rule_b[key * most + r] = rows.b
                tail[r] = rows.tails(outcome.status)
                if kernel.kind not in _FROM_OUTCOMES:
                    found.append((key, r, np.arange(n)))
                elif kernel.kind in _READS_OTHER_RULES:
                    unsure = (outcome.status == NOT_EVALUATED) | unknown
                    found.append((key, r, np.flatnonzero(unsure)))
                else:
                    found.append((key, r, np.flatnonzero(outcome.status == NOT_EVALUATED)))
        # Each explained row's place in writing order (school rows only).
        place: dict[int, np.ndarray] = {}  # per level: each section's place in writing order
        for key in range(len(self.levels)):
            mine = np.flatnonzero(self.level_key == key)
            at = np.empty(int(sizes[key]), dtype=np.int64)
            at[self.within[mine]] = mine
            place[key] = at
        rows_, keys_, rules_, sections_, counties_ = [], [], [], [], []
        for key, r, sections in found:
            rows_.append(self.row_start[place[key][sections]] + r)
            counties_.append(self.codes[place[key][sections]])
            keys_.append(np.full(len(sections), key))
            rules_.append(np.full(len(sections), r))
            sections_.append(sections)
        if rows_:
            explain = np.concatenate(rows_)
            by_row = np.argsort(explain, kind="stable")
            self.explain_row = explain[by_row]
            self.explain_level = np.concatenate(keys_)[by_row]
            self.explain_rule = np.concatenate(rules_)[by_row]
            self.explain_section = np.concatenate(sections_)[by_row]
            self.explain_county = np.concatenate(counties_)[by_row]
        else:
            self.explain_row = self.explain_level = np.zeros(0, dtype=np.int64)
            self.explain_rule = self.explain_section = np.zeros(0, dtype=np.int64)
            self.explain_county = np.zeros(0, dtype=np.int64)

    def county_rows(self, first: int, last: int) -> _CountyRows:
        """The county rows of a batch holding counties ``first`` to ``last - 1``."""
        batch = self._county_batch
        if batch is None or first < batch.first or last > batch.last:
            start = self.county_start
            end = int(np.searchsorted(start, start[first] + self.county_batch, side="right")) - 1
            end = min(max(end, last), len(start) - 1)
            batch = self._county_batch = _CountyRows(self, first, end)
        return batch

    def section_rule(self, rule_id: str, kernel: Any, compiled: Any, level: str) -> _SectionRule:
        """One section rule's pieces at a level (made when a section first needs them)."""
        found = self.section_rules.get((rule_id, level))
        if found is None:
            found = _SectionRule(self, rule_id, kernel, compiled, level)
            self.section_rules[(rule_id, level)] = found
        return found

    def pieces(self, cells: dict[str, Any]) -> tuple[int, int]:
        """The text pieces of a school row from its cells (as a record gives them).

        ``level,rule,indicator`` and ``op,…,detail`` (the value goes between).
        """
        code = {name: self.text[name].code(cells[name]) for name in _TEXT_COLUMNS}
        b, _, c2, c1 = self.joints
        tail = (c1.code(tuple(code[n] for n in _C1)), c2.code(tuple(code[n] for n in _C2)))
        return b.code(tuple(code[n] for n in _B)), self.tail.code(tail)


def _record_cells(record: dict[str, Any]) -> dict[str, Any]:
    """A kernel's record as the text cells of its CSV row (its flat row, as text)."""
    row = flat_row(record)
    threshold = row["threshold"]
    row["threshold"] = None if threshold is None else str(threshold)
    row["decides"] = str(row["decides"])
    return row


class _SectionRule:
    """One section rule at one level: its constant pieces, and per section the rest.

    The ``level,rule,indicator`` piece is the rule's; the row's last piece takes
    a section's threshold and status (``op,threshold,status``) and its layer
    (``decides,…,detail``; the rows read from the outcome arrays miss nothing and
    have no detail).
    """

    def __init__(
        self, prepared: _Prepared, rule_id: str, kernel: Any, compiled: Any, level: str
    ) -> None:
        result = prepared.result
        outcome = result.outcomes[(rule_id, level)]
        cells = _record_cells(kernel.record(compiled, result, level, 0))
        text = prepared.text
        code = {name: text[name].code(cells[name]) for name in _TEXT_COLUMNS}
        b, _, c2, c1 = prepared.joints
        self.b = b.code(tuple(code[n] for n in _B))
        # Each distinct threshold (few; NaN: none) and each section's place among them.
        distinct_thresholds, self.threshold = _distinct_floats(outcome.threshold)
        thresholds = [
            -1 if v != v else text["threshold"].code(str(number(v))) for v in distinct_thresholds
        ]
        self.c1 = np.array(
            [[c1.code((code["op"], t, s)) for s in range(len(_STATUS))] for t in thresholds],
            dtype=np.int32,
        )
        rule = getattr(compiled, "rule", None)
        origin = rule.origin.layer if rule is not None else None
        layer = text["layer"]
        layers = np.array(
            [layer.code(origin), *(layer.code(x) for x in outcome.layers)], dtype=np.int32
        )
        places, self.layer = _factorize(outcome.layer.astype(np.int64) + 1, len(layers))
        fixed = tuple(code[n] for n in ("decides", "document", "article"))
        c2_codes = [c2.code((*fixed, x, -1, -1)) for x in layers[places].tolist()]
        self.layers = len(c2_codes)
        # The row's last piece, by threshold, status and layer (flat).
        tail = prepared.tail
        self.tail = np.array(
            [tail.code((int(c), x)) for row in self.c1 for c in row for x in c2_codes],
            dtype=np.int32,
        )

    def tails(self, status: np.ndarray) -> np.ndarray:
        """Each section's last piece, from its status (and threshold and layer)."""
        place = (self.threshold * len(_STATUS) + status) * self.layers + self.layer
        found: np.ndarray = self.tail[place]
        return found


def _distinct_floats(values: np.ndarray) -> tuple[list[float], np.ndarray]:
    """The distinct values (few; NaN last, if any) and each value's place among them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(values) and values.min() == values.max():  # one for all (the usual case; no NaN)
        return [float(values[0])], np.zeros(len(values), dtype=np.int64)
    encoded = pc.dictionary_encode(pa.array(values, from_pandas=True))  # (NaN: null)
    distinct = encoded.dictionary.to_pylist()
    index = pc.fill_null(encoded.indices, len(distinct)).to_numpy(zero_copy_only=False)
    return [*distinct, math.nan], index.astype(np.int64)


class _CountyRows:
    """The county rows (CVs, composites, facts) of counties ``first`` to ``last - 1``.

    County by county, each county's in the standard's rule order: every rule's
    findings through its kernel's ``columns`` (:func:`~balance_rules.records.
    county_columns_coded`), each distinct cell made into text once.  County *code*'s rows are
    ``start[code - first]`` to ``start[code - first + 1] - 1``.
    """

    def __init__(self, prepared: _Prepared, first: int, last: int) -> None:
        result = prepared.result
        self.first, self.last = first, last
        items: list[Any] = []
        owners: list[int] = []
        for code in range(first, last):
            found = result.county_findings[code]
            items.extend(found)
            owners.extend([code] * len(found))
        self.start = prepared.county_start[first : last + 1] - prepared.county_start[first]
        self.county = np.array(owners, dtype=np.int64)
        coded = county_columns_coded(result, items, owners)
        # Rows of one identity are the same but for their county: each identity's
        # pieces are made once (from its first row), then taken per row.
        self.identity = coded.identity
        once = coded.first
        rows = {key: Coded(c.cells, c.index[once]) for key, c in coded.columns.items()}
        text = prepared.text
        shown: dict[str, Callable[[Any], Any]] = {
            "decides": str,
            "threshold": lambda v: None if v is None else str(v),
        }
        codes = {}
        for name in _TEXT_COLUMNS:  # each distinct cell coded once, then per identity
            column = rows[name]
            show = shown.get(name)
            cells = column.cells if show is None else list(map(show, column.cells))
            codes[name] = text[name].codes_of(cells)[column.index]
        b, c1, c2, _ = prepared.joints
        self.b = b.codes_of(*(codes[n] for n in _B))[self.identity]
        status = c1.codes_of(*(codes[n] for n in _C1))
        detail = c2.codes_of(*(codes[n] for n in _C2))
        tail = prepared.tail
        distinct, inverse = _factorize(detail, len(c2.values))
        lookup = np.array([tail.code((-1, c)) for c in distinct.tolist()], dtype=np.int32)
        self.tail = lookup[inverse][self.identity]
        # The middle of each identity, one text: value, op…status, the CV's working (x3).
        value = rows["value"]
        floats, value_text = number_cells(value.cells)
        has_text = np.zeros(len(value.cells), dtype=bool)
        has_text[list(value_text)] = True
        text_at = np.flatnonzero(has_text[value.index]).tolist()
        moved = dict(zip(text_at, (value_text[c] for c in value.index[text_at]), strict=True))
        middle = [_number_text(floats[value.index], moved), c1.snapshot().take(status)]
        for name in WORKING_KEYS:  # where a kernel gives it
            figures = np.full(len(once), np.nan)
            working = rows.get(name)
            if working is not None:
                given: np.ndarray = np.empty(len(working.cells), dtype=object)
                given[:] = working.cells  # (numbers or None)
                present = np.flatnonzero(given != None)  # noqa: E711 (elementwise)
                numbers = np.full(len(given), np.nan)
                numbers[present] = given[present].astype(float)
                figures = numbers[working.index]
            middle.append(_comma(_number_text(figures)))
        self.middle = _joined(middle)


class _Chunk:
    """The rows of counties ``first`` to ``last - 1``, in writing order.

    Each county's school rows, then its county rows.  Made on the calling thread
    as a plan (which rows; the rows a kernel explains, made by its ``record``
    here); its columns are filled by :meth:`columns` on a worker thread.
    """

    def __init__(self, prepared: _Prepared, first: int, last: int) -> None:
        self.prepared = prepared
        self.first, self.last = first, last
        lo, hi = np.searchsorted(prepared.codes, [first, last])
        self.lo, self.hi = int(lo), int(hi)
        self.r0, self.r1 = int(prepared.row_start[lo]), int(prepared.row_start[hi])
        county = self.county = prepared.county_rows(first, last)
        self.a = int(county.start[first - county.first])
        self.z = int(county.start[last - county.first])
        self.size = self.r1 - self.r0 + self.z - self.a
        schools = prepared.school_rows[first:last].astype(np.int64)
        counts = np.diff(county.start[first - county.first : last - county.first + 1])
        self.before = np.cumsum(counts) - counts  # county rows of the counties before
        self.through = np.cumsum(schools)  # school rows of the counties so far
        self.middle = county.middle  # the middle texts of the county rows' batch
        # Rows explained by their kernel's record: where, and their pieces and value.
        self.put_at: list[int] = []
        self.put_b: list[int] = []
        self.put_tail: list[int] = []
        self.put_value: list[float] = []
        self.value_text: dict[int, str] = {}
        i, j = np.searchsorted(prepared.explain_row, [self.r0, self.r1])
        if i < j:
            result = prepared.result
            rows = prepared.explain_row[i:j]
            sections = prepared.explain_section[i:j].tolist()
            at = rows - self.r0 + self.before[prepared.explain_county[i:j] - first]
            levels = prepared.explain_level[i:j].tolist()
            rules = prepared.explain_rule[i:j].tolist()
            for n, (key, r) in enumerate(zip(levels, rules, strict=True)):
                level = prepared.levels[key]
                _, kernel, compiled = prepared.rules[level][r]
                self.put_record(int(at[n]), kernel.record(compiled, result, level, sections[n]))

    def put_record(self, position: int, record: dict[str, Any]) -> None:
        """One row from a kernel's record (the row-by-row writer's cells)."""
        b, tail = self.prepared.pieces(_record_cells(record))
        floats, shown = number_cells([record["value"]])
        self.put_at.append(position)
        self.put_b.append(b)
        self.put_tail.append(tail)
        self.put_value.append(float(floats[0]))
        if shown:
            self.value_text[position] = shown[0]

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per row: who (a piece of ``prepared.who``), ``b``, tail, value, county row.

        The county row is the row's place in :attr:`middle` (-1: a school row).
        """
        prepared, first = self.prepared, self.first
        n = self.size
        lo, hi = self.lo, self.hi
        width = prepared.section_width[lo:hi]
        rows = np.arange(self.r0, self.r1)
        rule = rows - np.repeat(prepared.row_start[lo:hi], width)
        blocks = np.repeat(prepared.section_base[lo:hi], width)
        blocks += rule * np.repeat(prepared.section_stride[lo:hi], width)
        who = np.empty(n, dtype=np.int64)
        b = np.empty(n, dtype=np.int32)
        tail = np.empty(n, dtype=np.int32)
        value = np.full(n, np.nan)
        county_row = np.full(n, -1, dtype=np.int64)
        at: Any = slice(None)
        if self.z > self.a:  # each county's school rows, then its county rows
            county = self.county
            at = rows - self.r0 + self.before[np.repeat(prepared.codes[lo:hi], width) - first]
            codes = county.county[self.a : self.z]
            there = np.arange(self.z - self.a) + self.through[codes - first]
            who[there] = prepared.schools + codes
            b[there] = county.b[self.a : self.z]
            tail[there] = county.tail[self.a : self.z]
            county_row[there] = county.identity[self.a : self.z]
        who[at] = np.repeat(prepared.section_row[lo:hi], width)
        b[at] = prepared.rule_b[np.repeat(prepared.section_rules_at[lo:hi], width) + rule]
        tail[at] = prepared.row_tail[blocks]
        value[at] = prepared.row_value[blocks]
        if self.put_at:
            b[self.put_at] = self.put_b
            tail[self.put_at] = self.put_tail
            value[self.put_at] = self.put_value
        return who, b, tail, value, county_row


def _joined(columns: Sequence[Any]) -> Any:
    """Text columns joined row by row, without a separator."""
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(*columns, "")


def _comma(cells: Any) -> Any:
    """Text cells each followed by a comma (the piece of a row it begins)."""
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(cells, ",", "")


def _number_text(values: np.ndarray, text: dict[int, str] | None = None) -> Any:
    """Floats as text (NaN: empty): pyarrow's digits where they are the row writer's.

    Elsewhere (below 1e-4, from 1e10, ``-0.0``) the row writer's text of the
    number; *text* holds cells given as text already, by position.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    odd = ~_in_band(values) & ~np.isnan(values)
    shown = pc.cast(pa.array(values, from_pandas=True), pa.string())
    replace: dict[int, str] = {}
    if odd.any():  # shown as the row-by-row writer shows them (integral: no ".0")
        for position in np.flatnonzero(odd).tolist():
            replace[position] = str(number(float(values[position])))
    if text:
        replace.update(text)
    if replace:
        mask = np.zeros(len(values), dtype=bool)
        positions = sorted(replace)
        mask[positions] = True
        shown = pc.replace_with_mask(
            shown, pa.array(mask), pa.array([replace[p] for p in positions], pa.string())
        )
    return pc.fill_null(shown, "")


def _number_pieces(values: np.ndarray, text: dict[int, str] | None = None) -> tuple[Any, Any]:
    """:func:`_number_text` as distinct texts and, per value, the place of its text.

    Values pyarrow writes as the row writer does are dictionary-encoded and each
    distinct one made into text once (a chunk's values repeat: counts, sizes,
    ratios of small numbers); the others, and the cells of *text*, follow, after
    the empty text of a NaN.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    band = _in_band(values)
    # (Values out of the band encoded as NaN: their entry, if any, is never taken.)
    encoded = pc.dictionary_encode(pa.array(np.where(band, values, np.nan)))
    distinct = pc.cast(encoded.dictionary, pa.string())
    empty = len(distinct)
    index = np.where(band, encoded.indices.to_numpy(), empty).astype(np.int32, copy=False)
    replace: dict[int, str] = {}
    odd = ~band & ~np.isnan(values)
    if odd.any():  # shown as the row-by-row writer shows them (integral: no ".0")
        for position in np.flatnonzero(odd).tolist():
            replace[position] = str(number(float(values[position])))
    if text:
        replace.update(text)
    positions = sorted(replace)
    index[positions] = empty + 1 + np.arange(len(positions), dtype=np.int32)
    extra = pa.array(["", *(replace[p] for p in positions)], type=pa.string())
    return pa.concat_arrays([distinct, extra]), index


class _Job:
    """One chunk, to be made into text on another thread.

    Made on the calling thread, which owns the dictionaries: it keeps their Arrow
    arrays as they are now (immutable); the rest is NumPy and pyarrow work, most of
    it without the GIL.
    """

    def __init__(self, prepared: _Prepared, chunk: _Chunk) -> None:
        self.prepared = prepared
        self.chunk = chunk
        self.b = prepared.joints[0].snapshot()
        self.tail = prepared.tail.snapshot()

    def text(self) -> Any:
        """The chunk's lines, as one buffer of UTF-8 text."""
        import pyarrow as pa

        prepared, chunk = self.prepared, self.chunk
        n = chunk.size
        if n == 0:
            return pa.py_buffer(b"")
        who, b, tail, value, county_row = chunk.columns()
        # A row is four pieces: who (county, id, name), level…indicator, the middle
        # (a school row's value; a county row's value, op…status and the CV's
        # working) and the tail (the rest: see _Prepared.tail).
        counties = np.flatnonzero(county_row >= 0)
        # A section's rows follow each other: its county, id and name taken once.
        new = np.empty(n, dtype=bool)
        new[0] = True
        np.not_equal(who[1:], who[:-1], out=new[1:])
        values, value_at = _number_pieces(value, chunk.value_text)
        per_row = [
            prepared.who.take(pa.array(who[new])),
            chunk.middle.take(pa.array(county_row[counties])) if len(counties) else None,
            values,
        ]
        at = np.cumsum([0, *(0 if a is None else len(a) for a in per_row), len(self.b)])
        source = pa.concat_arrays([a for a in (*per_row, self.b, self.tail) if a is not None])
        pieces = np.empty((n, 4), dtype=np.int32)
        np.cumsum(new, dtype=np.int32, out=pieces[:, 0])
        pieces[:, 0] -= 1
        pieces[:, 1] = b + at[3]
        pieces[:, 2] = value_at + at[2]
        pieces[counties, 2] = np.arange(at[1], at[2], dtype=np.int32)
        pieces[:, 3] = tail + at[4]
        # The pieces hold their commas and line breaks: taken in order, their bytes
        # are the lines.
        cells = source.take(pa.array(pieces.reshape(-1)))
        offsets = np.frombuffer(cells.buffers()[1], dtype=np.int32)
        begin, end = int(offsets[cells.offset]), int(offsets[cells.offset + 4 * n])
        return cells.buffers()[2][begin:end]


def _threads() -> int:
    """Worker threads making chunks into text (pyarrow works without the GIL).

    One per idle core (cores less the load average, rounded), leaving a core to
    this thread, at most two; none (every chunk made and written on the calling
    thread) when less than about half a core is idle.  Threads that wait for a
    core while holding or wanting the GIL cost more than they bring: on the
    2-core machine, at load averages 1.5-3.5, two worker threads took 1.1-1.4x
    the calling thread's time and one about the same (alternated in one process).
    """
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # (not on every system)
        busy = 0.0
    return max(0, min(2, cores - 1, round(cores - busy)))


def write_findings_arrow(
    result: ColumnarResult,
    stream: TextIO,
    neutralise: Callable[[Any], Any],
    columns: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write the header and every finding row, a chunk of counties at a time.

    Chunks are planned (the rows a kernel explains, county rows) on this thread
    while those before are made into text on worker threads and written, in order,
    by one more; at most a few chunks are in flight (memory stays flat).  When the
    machine's cores are busy already, each chunk is made and written here instead
    (:func:`_threads`).  *columns* must be the findings CSV's columns
    (:data:`balance_rules.render.csv.SCHOOL_COLUMNS`).
    """
    if tuple(columns) != _COLUMNS:
        raise ValueError(f"write_findings_arrow(columns): expected {_COLUMNS}")
    # Many small objects are made and dropped (no cycles): the collector, walking
    # the whole result again and again, would cost a tenth of the time.
    with paused():
        _write(result, stream, neutralise, columns, progress)


def _pipeline(
    prepared: _Prepared,
    chunks: Iterator[tuple[int, int]],
    write: Callable[[Future[Any]], None],
    threads: int,
) -> None:
    """Each chunk's text made on *threads* worker threads and written, in order, by one more.

    (The file's system time off this thread); a few chunks at most wait.
    """
    pending: deque[Future[Any]] = deque()
    with (
        ThreadPoolExecutor(threads, thread_name_prefix="balance-rules-csv") as pool,
        ThreadPoolExecutor(1, thread_name_prefix="balance-rules-csv-write") as writer,
    ):
        try:
            for first, last in chunks:
                text = pool.submit(_Job(prepared, _Chunk(prepared, first, last)).text)
                pending.append(writer.submit(write, text))
                while len(pending) > threads + 1:
                    pending.popleft().result()
            while pending:
                pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _write(
    result: ColumnarResult,
    stream: TextIO,
    neutralise: Callable[[Any], Any],
    columns: Sequence[str],
    progress: Callable[[int, int], None] | None,
) -> None:
    prepared = _Prepared(result, neutralise)
    stream.write(",".join(columns) + "\n")  # (and the BOM, if any)
    raw = getattr(stream, "buffer", None)
    encoding = getattr(stream, "encoding", None) or ""
    try:
        utf8 = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    except LookupError:
        utf8 = False
    if raw is not None and utf8:
        stream.flush()
    else:
        raw = None

    def write(done: Future[Any] | Any) -> None:
        buffer = done.result() if isinstance(done, Future) else done
        if raw is not None:
            view = memoryview(buffer)
            for at in range(0, len(view), _WRITE):  # (one 18 MB write costs 4x the system time)
                raw.write(view[at : at + _WRITE])
        else:
            stream.write(buffer.to_pybytes().decode("utf-8"))

    total = len(result.county_names)
    rows = prepared.school_rows + np.diff(prepared.county_start)

    def chunks() -> Iterator[tuple[int, int]]:
        """Counties ``first`` to ``last - 1``, about CHUNK_ROWS rows at a time."""
        first = 0
        while first < total:
            last = first + 1
            size = rows[first]
            while last < total and size + rows[last] <= CHUNK_ROWS:
                size += rows[last]
                last += 1
            if progress is not None:
                progress(first, total)
            yield first, last
            first = last

    threads = _threads() if rows.sum() > CHUNK_ROWS else 0  # (one chunk: nothing to share)
    if threads == 0:  # the cores are busy: every chunk made and written here
        prepared.county_batch = max(COUNTY_BATCH, int(prepared.county_start[-1]))
        for first, last in chunks():
            write(_Job(prepared, _Chunk(prepared, first, last)).text())
    else:
        _pipeline(prepared, chunks(), write, threads)
    if raw is not None:
        raw.flush()
    if progress is not None:
        progress(total, total)
