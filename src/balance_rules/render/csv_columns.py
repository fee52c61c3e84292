"""The findings CSV built as columns and written by pyarrow (``evaluate --format csv``).

The rows are those of the row-by-row writer in :mod:`balance_rules.render.csv`, in
the same order (county by county: its school rows by school id, level and rule,
then its county rows), with the same cells.  They are built per chunk of counties
as NumPy columns straight from the result's outcome arrays (status, value,
threshold and layer of every section rule); only what needs a sentence — a row
not evaluated (its missing columns), a k-of-n row at a section where some rule was
not evaluated — goes through its kernel's ``record``, as every row of the
row-by-row writer does.  County rows (CVs, composites, facts) are explained once
for the whole result, rule by rule, by their kernel's ``columns`` (or its
``record`` row by row for a kind without it: :func:`balance_rules.records.
county_columns`).  Text columns, and thresholds (few distinct values), are
dictionaries: each distinct value shown once, text neutralised against formulas
once; pyarrow then writes plain text columns (it is several times slower on
dictionary columns).

A chunk where no cell needs quotes is written unquoted, byte for byte the
row-by-row writer's; in a chunk where some cell does, pyarrow encloses every text
cell of that chunk in double quotes (``"pass"``) — the same cells once parsed.  The
header is written as before.  A value is written with the digits the row-by-row
writer gives it (shortest round trip, integral values without ``.0``); every
number column is handed to pyarrow as text: a value with pyarrow's own float text
where that is the row writer's, else (below 1e-4, from 1e10, ``-0.0``, a ``0.0``
as the JSON report writes it, a yes/no) the row writer's text.
"""

from __future__ import annotations

import codecs
import math
import os
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TextIO

import numpy as np

from ..engine.columnar import ColumnarResult
from ..engine.findings import number
from ..engine.kernels import KERNELS
from ..engine.kernels.base import NOT_EVALUATED
from ..records import county_columns

__all__ = ["arrow_available", "number_cells", "write_findings_arrow"]

#: About this many rows are built and written at a time (memory stays flat).
CHUNK_ROWS = 100_000
#: Rows pyarrow turns into text at a time (its default, 1024, is slower here).
WRITE_BATCH = 4096
#: Section kinds whose passing and failing rows are read straight from the outcome
#: arrays (value, threshold, status, layer; nothing missing); any other kind is
#: explained row by row by its kernel's ``record``.
_FROM_OUTCOMES = {"school_threshold", "school_k_of_n"}
#: Of those, kinds whose row can name missing inputs of other rules at the section.
_READS_OTHER_RULES = {"school_k_of_n"}
_STATUS = ("pass", "fail", "not_evaluated")
#: Characters that make a CSV cell need quotes.
_STRUCTURAL = (",", '"', "\n", "\r")
_STRUCTURAL_PATTERN = '[,"\\n\\r]'


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


def number_cells(values: Sequence[Any]) -> tuple[np.ndarray, dict[int, str]]:
    """Record values as the row-by-row writer writes them: floats, else text.

    A value pyarrow writes with the row writer's digits is a float (NaN: empty);
    any other (an integral float such as ``0.0``, a value out of pyarrow's plain
    band, a yes/no, an integer beyond it) is its ``str``, by position.
    """
    floats = np.full(len(values), np.nan)
    text: dict[int, str] = {}
    for i, value in enumerate(values):
        if value is None:
            continue
        if type(value) is float:
            if _plain(value) and not value.is_integer():
                floats[i] = value
            else:
                text[i] = str(value)
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
    """A text column: a dictionary of distinct values (neutralised) and codes into it."""

    def __init__(self, neutralise: Callable[[Any], Any]) -> None:
        self.neutralise = neutralise
        self.codes: dict[Any, int] = {}
        self.values: list[str] = []
        self.quotes: list[bool] = []
        self._array: Any = None
        self._flags: np.ndarray | None = None

    def code(self, value: Any) -> int:
        """The code of a cell (-1: empty)."""
        if value is None or value == "":
            return -1
        found = self.codes.get(value)
        if found is None:
            shown = self.neutralise(value) if isinstance(value, str) else str(value)
            found = self.codes[value] = len(self.values)
            self.values.append(shown)
            self.quotes.append(_needs_quotes(shown))
        return found

    def codes_of(self, column: Sequence[Any]) -> np.ndarray:
        """The codes of many cells (each distinct cell looked up once)."""
        lookup = {value: self.code(value) for value in dict.fromkeys(column)}
        return np.fromiter(map(lookup.__getitem__, column), dtype=np.int32, count=len(column))

    def snapshot(self) -> tuple[Any, np.ndarray]:
        """The dictionary as it is now: an Arrow array and which values need quotes.

        Each with a last entry for code -1 (an empty cell): null, needing none.
        """
        import pyarrow as pa

        if self._array is None or len(self._array) != len(self.values) + 1:
            self._array = pa.array([*self.values, None], type=pa.string())
            self._flags = np.array([*self.quotes, False], dtype=bool)
        assert self._flags is not None
        return self._array, self._flags


def _strings(values: Sequence[Any], neutralise: Callable[[Any], Any]) -> tuple[Any, np.ndarray]:
    """Text cells (None: empty) neutralised, as an Arrow array; which need quotes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .csv import FORMULA_START

    array = pa.array(values, type=pa.string())
    starts = "^[" + "".join("\\" + c if c in "-\\]^" else c for c in FORMULA_START) + "]"
    risky = pc.fill_null(pc.match_substring_regex(array, starts), False).to_numpy(False)
    if risky.any():
        shown = array.to_pylist()
        for i in np.flatnonzero(risky).tolist():
            shown[i] = neutralise(shown[i])
        array = pa.array(shown, type=pa.string())
    quotes = pc.fill_null(pc.match_substring_regex(array, _STRUCTURAL_PATTERN), False)
    return array, quotes.to_numpy(zero_copy_only=False)


class _Prepared:
    """What every chunk shares: rules per level, section order, dictionaries, county rows."""

    def __init__(self, result: ColumnarResult, neutralise: Callable[[Any], Any]) -> None:
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
        self.by_county: dict[str, np.ndarray] = {}
        self.position: dict[str, np.ndarray] = {}
        self.bounds: dict[str, np.ndarray] = {}
        k = len(result.county_names)
        for key, level in enumerate(self.levels):
            part = result.levels[level]
            n = len(part.rows)
            codes.append(part.counties)
            ids.append(part.rows)
            keys.append(np.full(n, key))
            index.append(np.arange(n))
            by_county = np.argsort(part.counties, kind="stable")
            self.by_county[level] = by_county
            position = np.empty(n, dtype=np.int64)
            position[by_county] = np.arange(n)
            self.position[level] = position
            self.bounds[level] = np.searchsorted(part.counties[by_county], np.arange(k + 1))
        all_codes = np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64)
        all_rows = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        school_ids = [str(v) if v is not None else "" for v in text["school_id"].tolist()]
        _, id_rank = np.unique(np.array(school_ids, dtype=str)[all_rows], return_inverse=True)
        level_key = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
        within = np.concatenate(index) if index else np.zeros(0, dtype=np.int64)
        order = np.lexsort((within, level_key, id_rank.reshape(-1), all_codes))
        self.codes = all_codes[order]
        self.level_key = level_key[order]
        self.within = within[order]
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
        # The table's ids and names by row (the last row: empty), the counties by code.
        names = [v if isinstance(v, str) and v else None for v in text["school_name"].tolist()]
        self.ids, self.id_quotes = _strings([*school_ids, None], neutralise)
        self.names, self.name_quotes = _strings([*names, None], neutralise)
        self.counties, self.county_quotes = _strings([*result.county_names, None], neutralise)
        self.text = {
            name: _Text(neutralise)
            for name in (
                "level", "rule", "indicator", "op", "status", "decides",
                "document", "article", "layer", "missing", "detail",
            )
        }  # fmt: skip
        self.text["threshold"] = _Text(lambda shown: shown)  # a number: never neutralised
        for status in _STATUS:  # status codes of the outcome arrays are the dictionary codes
            self.text["status"].code(status)
        self.constants: dict[tuple[str, str], dict[str, int]] = {}
        # Per section rule: the codes of every section's threshold and layer.
        self.thresholds: dict[tuple[str, str], np.ndarray] = {}
        self.layers: dict[tuple[str, str], np.ndarray] = {}
        for level, rules in self.rules.items():
            for rule_id, _, compiled in rules:
                outcome = result.outcomes[(rule_id, level)]
                self.thresholds[(rule_id, level)] = _threshold_codes(
                    self.text["threshold"], outcome.threshold
                )
                rule = getattr(compiled, "rule", None)
                origin = rule.origin.layer if rule is not None else None
                layer = self.text["layer"]
                layers = np.array(
                    [layer.code(origin), *(layer.code(x) for x in outcome.layers)], dtype=np.int32
                )
                self.layers[(rule_id, level)] = layers[outcome.layer.astype(np.int64) + 1]
        self.county_rows = _CountyRows(self)

    def constant(self, rule_id: str, kernel: Any, compiled: Any, level: str) -> dict[str, int]:
        """The cells one rule's rows share at a level, from its kernel's own record."""
        key = (rule_id, level)
        found = self.constants.get(key)
        if found is None:
            record = kernel.record(compiled, self.result, level, 0)
            text = self.text
            found = self.constants[key] = {
                "level": text["level"].code(level),
                "rule": text["rule"].code(record["rule"]),
                "indicator": text["indicator"].code(record["indicator"]),
                "op": text["op"].code(record["op"]),
                "decides": text["decides"].code(str(record["decides"])),
                "document": text["document"].code(record["source"]["document"]),
                "article": text["article"].code(record["source"]["article"]),
            }
        return found


def _threshold_codes(text: _Text, thresholds: np.ndarray) -> np.ndarray:
    """Codes of section thresholds (the record's ``number(threshold)``; NaN: empty)."""
    missing = np.isnan(thresholds)
    known = thresholds[~missing]
    if len(known) and known.min() == known.max():  # one threshold for all (the usual case)
        same = np.full(len(thresholds), text.code(str(number(float(known[0])))), np.int32)
        same[missing] = -1
        return same
    distinct, inverse = np.unique(np.where(missing, 0.0, thresholds), return_inverse=True)
    lookup = np.array([text.code(str(number(float(v)))) for v in distinct.tolist()], np.int32)
    codes: np.ndarray = lookup[inverse.reshape(-1)] if len(distinct) else lookup[:0]
    codes[missing] = -1
    return codes


_TEXT_COLUMNS = (
    "level", "rule", "indicator", "op", "status", "decides", "document", "article",
    "layer", "missing", "detail", "threshold",
)  # fmt: skip
#: Thresholds take few values: each is written once as the row-by-row writer shows
#: it (``str`` of the record's value) and the column is a dictionary like the text.
_WORKING = ("students", "mean", "std")


class _CountyRows:
    """Every county row of the result (CVs, composites, facts), explained once.

    County by county, each county's in the standard's rule order: every rule's
    findings through its kernel's ``columns`` (:func:`~balance_rules.records.
    county_columns`), each distinct text coded once.  County *code*'s rows are
    ``start[code]`` to ``start[code + 1] - 1``.
    """

    def __init__(self, prepared: _Prepared) -> None:
        result = prepared.result
        items: list[Any] = []
        owners: list[int] = []
        for code, found in enumerate(result.county_findings):
            items.extend(found)
            owners.extend([code] * len(found))
        self.start = np.zeros(len(result.county_findings) + 1, dtype=np.int64)
        np.cumsum([len(f) for f in result.county_findings], out=self.start[1:])
        self.county = np.array(owners, dtype=np.int64)
        rows = county_columns(result, items, owners)
        text = prepared.text
        shown: dict[str, list[Any]] = {
            "decides": [str(v) for v in rows["decides"]],
            "threshold": [None if v is None else str(v) for v in rows["threshold"]],
        }
        self.text = {
            name: text[name].codes_of(shown.get(name, rows[name])) for name in _TEXT_COLUMNS
        }
        self.value, value_text = number_cells(rows["value"])
        self.text_at = np.array(sorted(value_text), dtype=np.int64)
        self.text_cells = [value_text[i] for i in self.text_at.tolist()]
        # The CV's working, where a kernel gives it: a text per county row, and a
        # null last (the cell of every other row).
        self.working = {}
        for name in _WORKING:
            figures = np.full(len(items) + 1, np.nan)
            column = rows.get(name)
            if column is not None:
                present = np.flatnonzero(column != None)  # noqa: E711 (elementwise)
                figures[present] = column[present].astype(float)
            self.working[name] = _number_text(figures)


class _Chunk:
    """The rows of some counties, as columns, in building order."""

    def __init__(self, prepared: _Prepared, size: int) -> None:
        self.prepared = prepared
        self.county = np.full(size, -1, dtype=np.int32)
        self.school = np.full(size, -1, dtype=np.int64)  # table row: id and name
        self.text = {name: np.full(size, -1, dtype=np.int32) for name in _TEXT_COLUMNS}
        self.value = np.full(size, np.nan)
        self.value_text: dict[int, str] = {}
        self.county_row = np.full(size, -1, dtype=np.int64)  # of the county rows (-1: none)

    def put_record(self, position: int, record: dict[str, Any]) -> None:
        """One row from a kernel's record (the row-by-row writer's cells)."""
        text = self.prepared.text
        source = record["source"]
        cells = {
            "level": record["level"],
            "rule": record["rule"],
            "indicator": record["indicator"],
            "op": record["op"],
            "status": record["status"],
            "decides": str(record["decides"]),
            "document": source["document"],
            "article": source["article"],
            "layer": record["layer"],
            "missing": ";".join(record["missing"]),
            "detail": record.get("detail"),
            "threshold": None if record["threshold"] is None else str(record["threshold"]),
        }
        for name, cell in cells.items():
            self.text[name][position] = text[name].code(cell)
        floats, shown = number_cells([record["value"]])
        self.value[position] = floats[0]
        if shown:
            self.value_text[position] = shown[0]
        else:
            self.value_text.pop(position, None)


def _school_block(chunk: _Chunk, start: int, level: str, sections: np.ndarray) -> None:
    """The rows of some sections of a level (section by section, rule by rule)."""
    prepared = chunk.prepared
    result = prepared.result
    part = result.levels[level]
    rules = prepared.rules.get(level, [])
    n, width = len(sections), len(rules)
    if n == 0 or width == 0:
        return
    stop = start + n * width
    chunk.county[start:stop] = np.repeat(part.counties[sections], width)
    chunk.school[start:stop] = np.repeat(part.rows[sections], width)
    unknown = prepared.unknown[level][sections]
    for r, (rule_id, kernel, compiled) in enumerate(rules):
        at = slice(start + r, stop, width)
        outcome = result.outcomes[(rule_id, level)]
        status = outcome.status[sections]
        for name, code in prepared.constant(rule_id, kernel, compiled, level).items():
            chunk.text[name][at] = code
        chunk.text["status"][at] = status
        chunk.text["layer"][at] = prepared.layers[(rule_id, level)][sections]
        chunk.text["threshold"][at] = prepared.thresholds[(rule_id, level)][sections]
        chunk.value[at] = outcome.value[sections]
        kind = kernel.kind
        if kind not in _FROM_OUTCOMES:
            explain = np.arange(n)
        elif kind in _READS_OTHER_RULES:
            explain = np.flatnonzero((status == NOT_EVALUATED) | unknown)
        else:
            explain = np.flatnonzero(status == NOT_EVALUATED)
        for j in explain.tolist():
            record = kernel.record(compiled, result, level, int(sections[j]))
            chunk.put_record(start + j * width + r, record)


def _build(prepared: _Prepared, first: int, last: int) -> tuple[_Chunk, np.ndarray]:
    """Counties ``first`` to ``last - 1``: their columns and the order to write them in."""
    lo, hi = np.searchsorted(prepared.codes, [first, last])
    level_key = prepared.level_key[lo:hi]
    within = prepared.within[lo:hi]
    widths = prepared.rule_count[level_key]
    school_total = int(prepared.school_rows[first:last].sum())
    county = prepared.county_rows
    a, b = int(county.start[first]), int(county.start[last])
    chunk = _Chunk(prepared, school_total + b - a)
    # School rows, level by level (a block per level), then where each row goes.
    base = np.zeros(len(prepared.levels), dtype=np.int64)
    start = 0
    for key, level in enumerate(prepared.levels):
        lo_, hi_ = prepared.bounds[level][first], prepared.bounds[level][last]
        sections = prepared.by_county[level][lo_:hi_]
        base[key] = start - lo_ * prepared.rule_count[key]
        _school_block(chunk, start, level, sections)
        start += len(sections) * int(prepared.rule_count[key])
    position = np.zeros(len(within), dtype=np.int64)
    for key, level in enumerate(prepared.levels):
        mine = level_key == key
        position[mine] = prepared.position[level][within[mine]]
    starts = base[level_key] + position * widths
    offsets = np.cumsum(widths) - widths
    school_order = np.repeat(starts - offsets, widths) + np.arange(int(widths.sum()))
    school_codes = np.repeat(prepared.codes[lo:hi], widths)
    # County rows, county by county, in the standard's rule order.
    at = school_total + np.arange(b - a)
    county_codes = county.county[a:b]
    chunk.county[at] = county_codes
    for name in _TEXT_COLUMNS:
        chunk.text[name][at] = county.text[name][a:b]
    chunk.value[at] = county.value[a:b]
    i, j = np.searchsorted(county.text_at, [a, b])
    for n, shown in zip(county.text_at[i:j].tolist(), county.text_cells[i:j], strict=True):
        chunk.value_text[school_total + n - a] = shown
    chunk.county_row[at] = np.arange(a, b)
    everything = np.concatenate([school_order, at])
    keys = np.concatenate([school_codes * 2, county_codes * 2 + 1])
    return chunk, everything[np.argsort(keys, kind="stable")]


def _take(values: Any, codes: np.ndarray) -> Any:
    """Cells of a dictionary (its last entry null) by code (-1: that null)."""
    import pyarrow as pa

    indices = np.where(codes < 0, len(values) - 1, codes).astype(np.int32, copy=False)
    return values.take(pa.array(indices))


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
    if not replace:
        return shown
    mask = np.zeros(len(values), dtype=bool)
    positions = sorted(replace)
    mask[positions] = True
    return pc.replace_with_mask(
        shown, pa.array(mask), pa.array([replace[p] for p in positions], pa.string())
    )


class _Job:
    """One chunk, to be put in writing order and turned into text on another thread.

    Made on the calling thread, which owns the dictionaries: it keeps their Arrow
    arrays (immutable) and quote flags as they are now; the rest is NumPy and
    pyarrow work, most of it without the GIL.
    """

    def __init__(self, prepared: _Prepared, chunk: _Chunk, order: np.ndarray) -> None:
        self.prepared = prepared
        self.chunk = chunk
        self.order = order
        self.dictionaries = {name: prepared.text[name].snapshot() for name in _TEXT_COLUMNS}

    def table(self, names: Sequence[str]) -> tuple[Any, bool]:
        """The chunk as an Arrow table of text columns in the CSV's column order, and
        whether some cell needs quotes."""
        import pyarrow as pa

        prepared, chunk, order = self.prepared, self.chunk, self.order
        columns: dict[str, Any] = {}
        quoted = False
        for name, (values, flags) in self.dictionaries.items():
            codes = chunk.text[name][order]
            quoted = quoted or bool(flags[codes].any())
            columns[name] = _take(values, codes)
        school = chunk.school[order]
        county = chunk.county[order]
        quoted = quoted or bool(
            prepared.id_quotes[school].any()
            or prepared.name_quotes[school].any()
            or prepared.county_quotes[county].any()
        )
        columns["county"] = _take(prepared.counties, county)  # every row has its county
        columns["school_id"] = _take(prepared.ids, school)
        columns["school_name"] = _take(prepared.names, school)
        moved: dict[int, str] = {}
        if chunk.value_text:
            where = np.empty(len(order), dtype=np.int64)
            where[order] = np.arange(len(order))
            moved = {int(where[p]): cell for p, cell in chunk.value_text.items()}
        columns["value"] = _number_text(chunk.value[order], moved)
        county_row = chunk.county_row[order]
        for name, figures in prepared.county_rows.working.items():
            columns[name] = _take(figures, county_row)
        table = pa.Table.from_arrays([columns[name] for name in names], names=list(names))
        return table, quoted


def _threads() -> int:
    """Threads turning chunks into text (pyarrow works without the GIL): one per core."""
    return max(1, min(2, os.cpu_count() or 1))


def write_findings_arrow(
    result: ColumnarResult,
    stream: TextIO,
    neutralise: Callable[[Any], Any],
    columns: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write the header and every finding row, a chunk of counties at a time.

    Chunks are built (Python and NumPy) on this thread while those before are
    turned into CSV text by pyarrow on worker threads; the text is written here,
    in order.  At most a few chunks are in flight (memory stays flat).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    prepared = _Prepared(result, neutralise)
    stream.write(",".join(columns) + "\n")  # as before: unquoted (and the BOM, if any)
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
    # Unquoted as the csv module writes them when no cell needs quotes; else pyarrow
    # quotes every text cell of the chunk (the same cells once parsed).
    plain = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=WRITE_BATCH)
    quoted = pacsv.WriteOptions(include_header=False, batch_size=WRITE_BATCH)
    names = list(columns)

    def text(job: _Job) -> Any:
        table, quotes = job.table(names)
        sink = pa.BufferOutputStream()
        pacsv.write_csv(table, sink, quoted if quotes else plain)
        return sink.getvalue()

    def write(done: Future[Any]) -> None:
        buffer = done.result()
        if raw is not None:
            raw.write(memoryview(buffer))
        else:
            stream.write(buffer.to_pybytes().decode("utf-8"))

    total = len(result.county_names)
    rows = prepared.school_rows + np.diff(prepared.county_rows.start)
    threads = _threads()
    pending: deque[Future[Any]] = deque()
    with ThreadPoolExecutor(threads, thread_name_prefix="balance-rules-csv") as pool:
        try:
            first = 0
            while first < total:
                last = first + 1
                size = rows[first]
                while last < total and size + rows[last] <= CHUNK_ROWS:
                    size += rows[last]
                    last += 1
                if progress is not None:
                    progress(first, total)
                chunk, order = _build(prepared, first, last)
                pending.append(pool.submit(text, _Job(prepared, chunk, order)))
                while len(pending) > threads:
                    write(pending.popleft())
                first = last
            while pending:
                write(pending.popleft())
        finally:
            for future in pending:
                future.cancel()
    if raw is not None:
        raw.flush()
    if progress is not None:
        progress(total, total)
