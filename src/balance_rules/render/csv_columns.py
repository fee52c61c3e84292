"""The findings CSV built as columns and written by pyarrow (``evaluate --format csv``).

The rows are those of the row-by-row writer in :mod:`balance_rules.render.csv`, in
the same order (county by county: its school rows by school id, level and rule,
then its county rows), with the same cells once parsed.  They are built per chunk
of counties as NumPy columns straight from the result's outcome arrays (status,
value, threshold and layer of every section rule); only what needs a sentence —
a row not evaluated (its missing columns), a k-of-n row at a section where some
rule was not evaluated, a county row — goes through its kernel's ``record``, as
every row of the row-by-row writer does.  Text columns, and thresholds (few
distinct values), are dictionaries: each distinct value shown once, text
neutralised against formulas once; values stay numbers.

When no cell needs quotes the file is byte for byte the row-by-row writer's
(pyarrow writes unquoted); otherwise pyarrow encloses every text cell of that
chunk in double quotes (``"pass"``) — the same cells once parsed; the header is
written as before.  A value is written with the digits the row-by-row writer
gives it (shortest round trip, integral values without ``.0``); where pyarrow's
own float text would differ (below 1e-4, from 1e10, ``-0.0``, a ``0.0`` as the
JSON report writes it, a yes/no), that column of that chunk is written as text.
"""

from __future__ import annotations

import codecs
import math
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import numpy as np

from ..engine.columnar import ColumnarResult
from ..engine.findings import number
from ..engine.kernels import KERNELS
from ..engine.kernels.base import NOT_EVALUATED
from ..report import Finding

__all__ = ["arrow_available", "write_findings_arrow"]

#: About this many rows are built and written at a time (memory stays flat).  (Writing
#: a chunk on a second thread while the next is built was slower on 2 busy cores.)
CHUNK_ROWS = 100_000
#: Section kinds whose passing and failing rows are read straight from the outcome
#: arrays (value, threshold, status, layer; nothing missing); any other kind is
#: explained row by row by its kernel's ``record``.
_FROM_OUTCOMES = {"school_threshold", "school_k_of_n"}
#: Of those, kinds whose row can name missing inputs of other rules at the section.
_READS_OTHER_RULES = {"school_k_of_n"}
_STATUS = ("pass", "fail", "not_evaluated")


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


#: Characters that make a CSV cell need quotes.
_STRUCTURAL = (",", '"', "\n", "\r")


def _needs_quotes(values: Sequence[str]) -> bool:
    """Whether any of these cells needs quotes (pyarrow then quotes every text cell)."""
    joined = "\x00".join(values)
    return any(c in joined for c in _STRUCTURAL)


def _shown(value: Any) -> str | None:
    """A record's cell as the row-by-row writer writes it (None: empty)."""
    return None if value is None else str(value)


def _threshold_codes(text: _Text, thresholds: np.ndarray) -> np.ndarray:
    """Codes of section thresholds (the record's ``number(threshold)``; NaN: empty)."""
    missing = np.isnan(thresholds)
    distinct, inverse = np.unique(np.where(missing, 0.0, thresholds), return_inverse=True)
    lookup = np.array([text.code(str(number(float(v)))) for v in distinct.tolist()], np.int32)
    codes: np.ndarray = lookup[inverse.reshape(-1)] if len(distinct) else lookup[:0]
    codes[missing] = -1
    return codes


class _Text:
    """A text column: a dictionary of distinct values (neutralised) and codes into it."""

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
            shown = self.neutralise(value) if isinstance(value, str) else str(value)
            found = self.codes[value] = len(self.values)
            self.values.append(shown)
        return found


class _Numbers:
    """A number column of one chunk: floats (NaN empty) and cells written as text."""

    def __init__(self, size: int) -> None:
        self.values = np.full(size, np.nan)
        self.text: dict[int, str] = {}

    def put(self, position: int, value: Any) -> None:
        """A cell as the row-by-row writer writes it (``str`` of the value, None empty)."""
        if value is None:
            self.values[position] = np.nan
            self.text.pop(position, None)
            return
        shown = str(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            number_ = float(value)
            if _plain(number_) and _shortest(number_) == shown:
                self.values[position] = number_
                self.text.pop(position, None)
                return
        self.values[position] = np.nan
        self.text[position] = shown


class _Prepared:
    """What every chunk shares: rules per level, section order, dictionaries."""

    def __init__(self, result: ColumnarResult, neutralise: Callable[[Any], Any]) -> None:
        import pyarrow as pa

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
        school_ids = np.array(
            [str(v) if v is not None else "" for v in text["school_id"].tolist()], dtype=str
        )
        _, id_rank = np.unique(school_ids[all_rows], return_inverse=True)
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
        # Dictionaries: the table's ids and names by row, the rest as they come.
        names = text["school_name"].tolist()
        self.ids = pa.array([neutralise(v) if isinstance(v, str) else str(v) for v in school_ids])
        self.names = pa.array(
            [neutralise(v) if isinstance(v, str) else "" for v in names], type=pa.string()
        )
        self.no_name = np.array([not v for v in names], dtype=bool)
        self.counties = pa.array([neutralise(n) for n in result.county_names], type=pa.string())
        self.quoted = (
            _needs_quotes(self.ids.to_pylist())
            or _needs_quotes(self.names.to_pylist())
            or _needs_quotes(self.counties.to_pylist())
        )
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


_TEXT_COLUMNS = (
    "level", "rule", "indicator", "op", "status", "decides", "document", "article",
    "layer", "missing", "detail", "threshold",
)  # fmt: skip
#: Thresholds take few values: each is written once as the row-by-row writer shows
#: it (``str`` of the record's value) and the column is a dictionary like the text.
_NUMBER_COLUMNS = ("value", "students", "mean", "std")


class _Chunk:
    """The rows of some counties, as columns, in building order."""

    def __init__(self, prepared: _Prepared, size: int) -> None:
        self.prepared = prepared
        self.county = np.full(size, -1, dtype=np.int32)
        self.school = np.full(size, -1, dtype=np.int64)  # table row: id and name
        self.text = {name: np.full(size, -1, dtype=np.int32) for name in _TEXT_COLUMNS}
        self.numbers = {name: _Numbers(size) for name in _NUMBER_COLUMNS}

    def encode(self, record: dict[str, Any]) -> tuple[int, ...]:
        """The text cells of a kernel's record, as codes (in ``_TEXT_COLUMNS`` order)."""
        text = self.prepared.text
        source = record["source"]
        return (
            text["level"].code(record["level"]),
            text["rule"].code(record["rule"]),
            text["indicator"].code(record["indicator"]),
            text["op"].code(record["op"]),
            text["status"].code(record["status"]),
            text["decides"].code(str(record["decides"])),
            text["document"].code(source["document"]),
            text["article"].code(source["article"]),
            text["layer"].code(record["layer"]),
            text["missing"].code(";".join(record["missing"])),
            text["detail"].code(record.get("detail")),
            text["threshold"].code(_shown(record["threshold"])),
        )

    def put_record(self, position: int, record: dict[str, Any]) -> None:
        """One row from a kernel's record (the row-by-row writer's cells)."""
        for name, code in zip(_TEXT_COLUMNS, self.encode(record), strict=True):
            self.text[name][position] = code
        self.numbers["value"].put(position, record["value"])


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
    layer_text = prepared.text["layer"]
    for r, (rule_id, kernel, compiled) in enumerate(rules):
        at = slice(start + r, stop, width)
        outcome = result.outcomes[(rule_id, level)]
        status = outcome.status[sections]
        for name, code in prepared.constant(rule_id, kernel, compiled, level).items():
            chunk.text[name][at] = code
        chunk.text["status"][at] = status
        rule = getattr(compiled, "rule", None)
        origin = rule.origin.layer if rule is not None else None
        layers = np.array(
            [layer_text.code(origin), *(layer_text.code(x) for x in outcome.layers)],
            dtype=np.int32,
        )
        chunk.text["layer"][at] = layers[outcome.layer[sections].astype(np.int64) + 1]
        chunk.numbers["value"].values[at] = outcome.value[sections]
        chunk.text["threshold"][at] = _threshold_codes(
            prepared.text["threshold"], outcome.threshold[sections]
        )
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
    result = prepared.result
    lo, hi = np.searchsorted(prepared.codes, [first, last])
    level_key = prepared.level_key[lo:hi]
    within = prepared.within[lo:hi]
    widths = prepared.rule_count[level_key]
    school_total = int(prepared.school_rows[first:last].sum())
    items: list[Any] = []
    item_codes: list[int] = []
    for code in range(first, last):
        found = result.county_findings[code]
        items.extend(found)
        item_codes.extend([code] * len(found))
    chunk = _Chunk(prepared, school_total + len(items))
    # School rows, level by level (a block per level), then where each row goes.
    base = np.zeros(len(prepared.levels), dtype=np.int64)
    start = 0
    for key, level in enumerate(prepared.levels):
        a, b = prepared.bounds[level][first], prepared.bounds[level][last]
        sections = prepared.by_county[level][a:b]
        base[key] = start - a * prepared.rule_count[key]
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
    # County rows, county by county, in the standard's rule order.  A finding object
    # shared by counties (a fact none of them gave) is explained and encoded once.
    count = len(items)
    at = school_total + np.arange(count)
    county_codes = np.array(item_codes, dtype=np.int64)
    refs = np.empty(count, dtype=np.int64)
    seen: dict[int, int] = {}
    encoded: list[tuple[int, ...]] = []
    shown: list[Any] = []
    working: dict[str, list[float]] = {"students": [], "mean": [], "std": []}
    worked: list[int] = []
    for n, (code, item) in enumerate(zip(item_codes, items, strict=True)):
        ref = seen.get(id(item))
        if ref is None:
            record = KERNELS[item.kind].record(result.compiled[item.rule], result, item, code)
            ref = seen[id(item)] = len(encoded)
            encoded.append(chunk.encode(record))
            shown.append(record["value"])
        refs[n] = ref
        if item.kind == "coefficients" and not isinstance(item, Finding):
            worked.append(n)
            for name, values in working.items():
                figure = getattr(item, name)
                values.append(np.nan if figure is None else float(figure))
    chunk.county[at] = county_codes
    if count:
        codes = np.array(encoded, dtype=np.int32)
        for k, name in enumerate(_TEXT_COLUMNS):
            chunk.text[name][at] = codes[refs, k]
        distinct = _Numbers(len(shown))
        for d, cell in enumerate(shown):
            distinct.put(d, cell)
        column = chunk.numbers["value"]
        column.values[at] = distinct.values[refs]
        for d, text in distinct.text.items():
            for position in at[refs == d].tolist():
                column.text[position] = text
        for name, values in working.items():  # the CV's working (its shown digits: below)
            chunk.numbers[name].values[at[worked]] = values
    everything = np.concatenate([school_order, at])
    keys = np.concatenate([school_codes * 2, county_codes * 2 + 1])
    return chunk, everything[np.argsort(keys, kind="stable")]


def _arrays(
    prepared: _Prepared,
    chunk: _Chunk,
    order: np.ndarray,
    names: Sequence[str],
    text: dict[str, Any],
) -> list[Any]:
    """The chunk's columns as Arrow arrays, in the CSV's column order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def dictionary(codes: np.ndarray, values: Any) -> Any:
        # Plain text arrays: pyarrow's writer is several times slower on dictionaries.
        taken = codes[order]
        return values.take(pa.array(taken, mask=taken < 0))

    def numbers(column: _Numbers) -> Any:
        values = column.values
        odd = ~_in_band(values) & ~np.isnan(values)
        if odd.any():  # shown as the row-by-row writer shows them (integral: no ".0")
            for position in np.flatnonzero(odd).tolist():
                column.text[position] = str(number(float(values[position])))
        if not column.text:
            return pa.array(values[order], from_pandas=True)
        shown = pc.cast(pa.array(values, from_pandas=True), pa.string())
        mask = np.zeros(len(values), dtype=bool)
        positions = sorted(column.text)
        mask[positions] = True
        replaced = pc.replace_with_mask(
            shown, pa.array(mask), pa.array([column.text[p] for p in positions], pa.string())
        )
        return replaced.take(pa.array(order))

    school = chunk.school[order]
    no_school = school < 0
    rows = np.where(no_school, 0, school)
    ids = prepared.ids.take(pa.array(rows, mask=no_school))
    school_names = prepared.names.take(pa.array(rows, mask=no_school | prepared.no_name[rows]))
    columns = {
        "county": dictionary(chunk.county, prepared.counties),
        "school_id": ids,
        "school_name": school_names,
        **{name: dictionary(chunk.text[name], text[name]) for name in _TEXT_COLUMNS},
        **{name: numbers(chunk.numbers[name]) for name in _NUMBER_COLUMNS},
    }
    return [columns[name] for name in names]


def write_findings_arrow(
    result: ColumnarResult,
    stream: TextIO,
    neutralise: Callable[[Any], Any],
    columns: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write the header and every finding row, a chunk of counties at a time."""
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
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    quoted = pacsv.WriteOptions(include_header=False)
    total = len(result.county_names)

    def write(table: Any, plain: bool) -> None:
        options_ = options if plain else quoted
        if raw is not None:
            pacsv.write_csv(table, raw, options_)
        else:
            sink = pa.BufferOutputStream()
            pacsv.write_csv(table, sink, options_)
            stream.write(sink.getvalue().to_pybytes().decode("utf-8"))

    first = 0
    rows = prepared.school_rows
    while first < total:
        last = first + 1
        size = rows[first]
        while last < total and size + rows[last] <= CHUNK_ROWS:
            size += rows[last]
            last += 1
        if progress is not None:
            progress(first, total)
        chunk, order = _build(prepared, first, last)
        values = {name: list(t.values) for name, t in prepared.text.items()}
        plain = not prepared.quoted and not any(map(_needs_quotes, values.values()))
        text = {name: pa.array(v, type=pa.string()) for name, v in values.items()}
        arrays = _arrays(prepared, chunk, order, columns, text)
        write(pa.Table.from_arrays(arrays, names=list(columns)), plain)
        first = last
    if raw is not None:
        raw.flush()
    if progress is not None:
        progress(total, total)
