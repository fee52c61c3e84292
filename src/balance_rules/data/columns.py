"""Schools as columns: NumPy arrays for national-scale evaluation.

A :class:`ColumnTable` holds the canonical school table column by column (text
as object arrays, numbers as float64 with NaN for a blank).  It is built from
School objects, from a pandas DataFrame in the canonical columns, or read from a
file.  Numbers keep their exact decimal value recoverable: every input has at
most 15 significant digits, so ``Decimal(repr(x))`` is the number as written.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from ..collector import paused
from ..errors import DataError, Problem
from .fields import (
    NUMERIC_FIELDS,
    TEXT_FIELDS,
    VALUE_ALIASES,
)
from .model import FLOAT_FIELDS, School, float_row
from .validate import check_table, find_problems

if TYPE_CHECKING:
    from .readers import SchoolTable

__all__ = ["ColumnTable", "columns_of", "fast_columns", "read_columns"]

NUMBERS = FLOAT_FIELDS
_TEXT = operator.attrgetter(*TEXT_FIELDS)
_COUNTED = operator.attrgetter("counted_as_school")
_DEFAULTS = {"ownership": "public", "authority": "county"}
_CATEGORIES = frozenset({*VALUE_ALIASES, "county"})


@attrs.define(eq=False)
class ColumnTable:
    """The school table as columns.  ``schools`` keeps School objects when known.

    Each row's origin: ``file`` and ``sheet``, and ``rows``, the row number of
    each row in its source (the header is row 1; None for School objects, whose
    origin is their county and school id).  ``headers`` maps a canonical field
    to the column as the source writes it (学校标识码), for messages.
    """

    text: dict[str, np.ndarray]
    numbers: dict[str, np.ndarray]
    counted: np.ndarray
    extras: dict[str, np.ndarray] = attrs.field(factory=dict)
    schools: tuple[School, ...] | None = None
    file: str = ""
    sheet: str | None = None
    rows: np.ndarray | None = None
    headers: dict[str, str] = attrs.field(factory=dict)

    def __len__(self) -> int:
        return len(self.counted)

    @classmethod
    def from_schools(
        cls,
        schools: Sequence[School],
        counties: Sequence[str] | None = None,
        *,
        check: bool = True,
    ) -> ColumnTable:
        """Columns of School objects in one pass (the objects are kept for exact re-checks).

        *counties*, if given, is each school's county name (instead of its
        ``county`` attribute): the name of the County object it came in.  The
        table is checked by the validator (:func:`~.validate.check_table`:
        DataError naming county, school id and column) unless *check* is False.
        """
        n = len(schools)
        if counties is not None and len(counties) != n:
            raise ValueError("from_schools(counties=...): one county name per school")
        if n == 0:
            text = {name: np.empty(0, dtype=object) for name in TEXT_FIELDS}
        else:
            columns = zip(*map(_TEXT, schools), strict=True)
            text = {
                name: np.array(column, dtype=object)
                for name, column in zip(TEXT_FIELDS, columns, strict=True)
            }
        if counties is not None:
            text["county"] = np.array(counties, dtype=object)
        # Every number at once: each School keeps its numbers as packed floats
        # (made once per object), so this is one join and one transposed copy.
        packed = np.frombuffer(b"".join(map(float_row, schools)), dtype=np.float64)
        block = packed.reshape(n, len(NUMBERS)).T.copy()
        numbers = dict(zip(NUMBERS, block, strict=True))
        extras: dict[str, np.ndarray] = {}
        for i, school in enumerate(schools):
            for name, value in school.extra.items():
                column = extras.setdefault(name, np.full(n, np.nan))
                if value is not None:
                    column[i] = float(value)
        counted = np.fromiter(map(_COUNTED, schools), dtype=bool, count=n)
        table = cls(text, numbers, counted, extras, tuple(schools))
        if check:
            check_table(table)
        return table

    @classmethod
    def from_read(cls, table: SchoolTable) -> ColumnTable:
        """Columns of the schools a file reader read (already validated), with their origin."""
        columns = cls.from_schools(table.schools, check=False)
        columns.file, columns.sheet = table.file, table.sheet
        if len(table.rows) == len(table.schools):
            columns.rows = np.array(table.rows, dtype=np.int64)
        check_table(columns)
        return columns

    @classmethod
    def from_frame(
        cls, frame: Any, file: str = "<DataFrame>", *, check: bool = True
    ) -> ColumnTable:
        """Columns of a pandas DataFrame in the canonical column names.

        Values are checked like a file's (a bad cell raises DataError naming the
        row and column, every problem at once); unknown numeric columns become
        extra fields.  A row's origin is its index label + 2 (the row of a CSV
        read with one header row) when the index is of integers, else its
        position + 2.
        """
        n = len(frame)
        index = np.asarray(frame.index)
        rows = (
            index.astype(np.int64) + 2
            if index.dtype.kind in "iu"
            else np.arange(2, n + 2, dtype=np.int64)
        )
        problems: list[Problem] = []
        text: dict[str, np.ndarray] = {}
        for name in TEXT_FIELDS:
            if name in frame.columns and name in _CATEGORIES:
                # Clean each distinct value once: a nation has few distinct types.
                codes, uniques = _factorize(frame[name])
                text[name] = _category_cells(name, uniques)[codes]
            elif name in frame.columns:
                column = frame[name]
                stripped = (
                    column.str.strip()
                    if column.dtype.kind in "OTU" or str(column.dtype) == "str"
                    else column
                )
                values = stripped.to_numpy(dtype=object)
                values[frame[name].isna().to_numpy() | (values == "")] = None
                text[name] = values
            else:
                text[name] = _absent_text(name, n)
        numbers = {}
        for name in NUMBERS:
            if name in frame.columns:
                numbers[name] = _numeric(frame[name], name, problems, rows)
            else:
                numbers[name] = np.full(n, np.nan)
        extras = {
            str(name): _numeric(frame[name], str(name), problems, rows)
            for name in frame.columns
            if name not in TEXT_FIELDS
            and name not in NUMERIC_FIELDS
            and frame[name].dtype.kind in "iuf"
        }
        if "counted_as_school" in frame.columns:
            # Each distinct value read once (a nation has a handful); blank: counted.
            codes, uniques = _factorize(frame["counted_as_school"])
            counted = np.array([_flag(v) for v in uniques] + [True], dtype=bool)[codes]
        else:
            counted = np.ones(n, dtype=bool)
        table = cls(text, numbers, counted, extras, None, file, rows=rows)
        # Every problem at once: the cells that are no number (always: a cell
        # never becomes missing silently), then the validator's unless not asked.
        problems = [attrs.evolve(p, file=file) for p in problems]
        if check:
            problems += [f.at(table) for f in find_problems(table) if f.refuses]
        if problems:
            raise DataError(
                problems,
                f"{file}: {len(problems)} problem(s) in the school table",
                f"{file}：学校表中有 {len(problems)} 个问题",
            )
        return table

    def check(self, file: str | None = None) -> list[Problem]:
        """Raise DataError with every problem the validator finds; return its warnings."""
        if file is not None:
            self.file = file
        return check_table(self)

    def value(self, name: str, row: int) -> Decimal | None:
        """The exact number in one cell (canonical column or extra)."""
        column = self.numbers.get(name)
        if column is None:
            column = self.extras.get(name)
        if column is None:
            return None
        x = float(column[row])
        return None if x != x else Decimal(repr(x))  # NaN: missing

    def school(self, row: int) -> School:
        """The School object of one row (rebuilt exactly when not kept)."""
        if self.schools is not None:
            return self.schools[row]
        values: dict[str, Any] = {
            name: self.text[name][row]
            for name in TEXT_FIELDS
            if self.text[name][row] not in (None, "")
        }
        for name in NUMBERS:
            exact = self.value(name, row)
            if exact is not None:
                values[name] = exact
        extra = {name: self.value(name, row) for name in self.extras}
        return School(counted_as_school=bool(self.counted[row]), extra=extra, **values)


def _text(name: str, value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return _DEFAULTS.get(name)
    text = str(value).strip()
    if not text:
        return _DEFAULTS.get(name)
    aliases = VALUE_ALIASES.get(name)
    if aliases is None:
        return text
    return aliases.get(text, text.lower() if text.isascii() else text)


def _factorize(series: Any) -> tuple[np.ndarray, list[Any]]:
    """Codes into the distinct values of a pandas Series; missing values get the last code."""
    import pandas as pd

    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    codes[codes < 0] = len(uniques)
    return codes, list(uniques)


def _flag(value: Any) -> bool:
    text = str(value).strip().lower()
    return text not in ("0", "否", "no", "n", "false", "f", "0.0")


def _numeric(series: Any, name: str, problems: list[Problem], rows: np.ndarray) -> np.ndarray:
    if series.dtype.kind in "iuf":
        converted: np.ndarray = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return converted
    from ..data.cells import CellError, parse_number

    out = np.full(len(series), np.nan)
    for i, value in enumerate(series.to_numpy(dtype=object)):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        try:
            parsed = parse_number(str(value))
        except CellError as exc:
            problems.append(Problem(str(exc), row=int(rows[i]), column=name, message_zh=exc.zh))
            continue
        if parsed is not None:
            out[i] = float(parsed[0])
    return out


def read_columns(path: str | Path, **options: Any) -> ColumnTable:
    """A school table as columns.

    A plain CSV (one header row of canonical column names) is read straight
    into columns by pyarrow's parser when it is installed (``pip install
    'balance-rules[arrow]'``), else by pandas' (``[fast]``); any other file,
    or a CSV with anything the fast reader does not handle, goes through
    :func:`~balance_rules.data.readers.read_school_table`, which reports every
    bad cell by row and column.  The cyclic garbage collector is paused while
    the fast reader runs (:mod:`balance_rules.collector`).
    """
    path = Path(path)
    if path.suffix.lower() == ".csv" and not options:
        fast = _read_csv_fast(path)
        if fast is not None:
            return fast
    from .readers import read_school_table

    return ColumnTable.from_read(read_school_table(path, **options))


def fast_columns(path: str | Path) -> ColumnTable | None:
    """A plain canonical CSV read straight into columns, or None for anything else.

    None means the full reader must read the file (and report its warnings:
    totals rows skipped, columns ignored, ...); nothing is dropped silently here.
    """
    path = Path(path)
    if path.suffix.lower() != ".csv":
        return None
    return _read_csv_fast(path)


def _read_csv_fast(path: Path) -> ColumnTable | None:
    with paused():  # hundreds of thousands of cells made into objects, no cycles
        return _read_csv_columns(path)


def _read_csv_columns(path: Path) -> ColumnTable | None:
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        header = handle.readline().strip().split(",")
    known = set(TEXT_FIELDS) | set(NUMERIC_FIELDS)
    if "school_id" not in header or not set(header) <= known:
        return None  # Chinese or unknown headers: the full reader maps them
    table = _read_csv_arrow(path, header)
    if table is None:
        table = _read_csv_pandas(path, header)
    if table is None:
        return None
    if find_problems(table):
        # Refusals and warnings alike (a parent not in the table): the full
        # reader reports every one, with the file's own headers.
        return None
    return table


def _read_csv_pandas(path: Path, header: list[str]) -> ColumnTable | None:
    """The canonical CSV through pandas' own parser (without pyarrow), or None."""
    try:
        import pandas as pd
    except ImportError:
        return None
    try:
        frame = pd.read_csv(
            path,
            dtype={name: str for name in TEXT_FIELDS if name in header},
            keep_default_na=False,
            na_values=[""],
            encoding="utf-8-sig",
        )
    except (UnicodeDecodeError, ValueError):
        return None
    if frame.empty or any(frame[c].dtype.kind not in "iuf" for c in header if c in NUMBERS):
        return None  # text in a number column: the full reader says where
    try:
        return ColumnTable.from_frame(frame, str(path), check=False)
    except DataError:
        return None


def _read_csv_arrow(path: Path, header: list[str]) -> ColumnTable | None:
    """The canonical CSV as columns through pyarrow's parser (the ``arrow``
    extra): text columns as text, every other column as float64, a blank cell
    missing.  About twice as fast as pandas' own parser on a nation; both parse
    a number to the nearest float.  The columns go straight from Arrow to NumPy
    (no DataFrame, pandas is not imported), cleaned as :meth:`ColumnTable.from_frame`
    cleans a DataFrame's.  None when pyarrow is not installed or the file does
    not parse that way (text in a number column, a bad row): the pandas parser,
    and after it the full reader, then say what is wrong.
    """
    try:
        import pyarrow as pa
        import pyarrow.csv as pcsv
    except ImportError:
        return None
    if len(set(header)) != len(header):
        return None  # a repeated header: the full reader names it
    types = _arrow_types(header)
    try:
        table = pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(encoding="utf8"),
            convert_options=pcsv.ConvertOptions(
                column_types=types, null_values=[""], strings_can_be_null=True
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError, ValueError):
        return None
    if table.column_names and table.column_names[0].startswith("\ufeff"):
        return None  # a byte-order mark kept in the header: let pandas read it
    if table.num_rows == 0:
        return None
    return _from_arrow(table, str(path))


def _arrow_types(header: Sequence[str]) -> dict[str, Any]:
    """The Arrow type of each column of a canonical CSV: a number float64, text a
    string, a coded column (a few distinct values) dictionary-encoded as parsed."""
    import pyarrow as pa

    coded = pa.dictionary(pa.int32(), pa.string())
    return {
        name: (coded if name in _CATEGORIES else pa.string())
        if name in TEXT_FIELDS
        else pa.float64()
        for name in header
    }


def _from_arrow(table: Any, file: str) -> ColumnTable:
    """Columns of a canonical Arrow table (text as string, numbers as float64).

    The same columns :meth:`ColumnTable.from_frame` makes of the DataFrame of
    that table: text stripped (Arrow's Unicode whitespace, as pandas' Arrow
    strings strip), blank text missing or its default, codes and aliases read
    once per distinct value, a missing number NaN.  Read from the Arrow buffers
    (pyarrow's own NumPy conversion imports pandas, a quarter of a second);
    each Arrow column is let go once converted.
    """
    import pyarrow as pa

    call = _arrow_call()
    n = table.num_rows
    arrow = dict(zip(table.column_names, table.columns, strict=True))
    del table
    text: dict[str, np.ndarray] = {}
    for name in TEXT_FIELDS:
        column = arrow.pop(name, None)
        if column is None:
            text[name] = _absent_text(name, n)
        elif name in _CATEGORIES:
            # Clean each distinct value once: a nation has few distinct types.
            if not pa.types.is_dictionary(column.type):
                column = column.combine_chunks().dictionary_encode()
            parts = []
            for chunk in getattr(column, "chunks", [column]):
                uniques = chunk.dictionary.to_pylist()
                parts.append(_category_cells(name, uniques)[_codes(chunk.indices, len(uniques))])
            text[name] = np.concatenate(parts) if parts else np.empty(0, dtype=object)
        else:
            stripped = call("utf8_trim_whitespace", [column])
            cells = stripped.to_pylist()
            values = np.fromiter(cells, dtype=object, count=len(cells))
            values[_empty(call("binary_length", [stripped]))] = None  # a blank cell
            text[name] = values
        del column
    numbers: dict[str, np.ndarray] = {}
    for name in NUMBERS:
        column = arrow.pop(name, None)
        numbers[name] = np.full(n, np.nan) if column is None else _float_column(column)
        del column
    counted = np.ones(n, dtype=bool)
    column = arrow.pop("counted_as_school", None)
    if column is not None:
        # As from_frame reads each distinct value: only a zero can be "no" (0.0
        # is, -0.0 is not), and every zero reads as the first zero met.
        flags = _float_column(column)
        zero = np.flatnonzero(flags == 0)
        if len(zero):
            counted[zero] = _flag(float(flags[zero[0]]))
    rows = np.arange(2, n + 2, dtype=np.int64)
    return ColumnTable(text, numbers, counted, {}, None, file, rows=rows)


def _absent_text(name: str, n: int) -> np.ndarray:
    """A text column the table does not have: every cell its default, as a School's."""
    if name == "school_type":
        return np.array(["primary"] * n, dtype=object)
    return np.array([_DEFAULTS.get(name)] * n, dtype=object)


def _category_cells(name: str, uniques: Sequence[Any]) -> np.ndarray:
    """A coded column's distinct values cleaned (codes and aliases read once each),
    and after them the cell of a blank: the default, as a School's."""
    cleaned = [_text(name, value) for value in uniques] + [_DEFAULTS.get(name)]
    return np.array(cleaned, dtype=object)


def _arrow_call() -> Any:
    """pyarrow's ``call_function`` (a compute function by name), taken from its
    extension module: ``import pyarrow.compute`` wraps every function it has
    (~0.07 s) and the fast path needs one."""
    try:
        from pyarrow._compute import call_function
    except ImportError:  # pragma: no cover - another pyarrow layout
        from pyarrow.compute import call_function
    return call_function


def _valid(chunk: Any) -> np.ndarray | None:
    """Which cells of one Arrow array are not null (None: all are)."""
    if chunk.null_count == 0:
        return None
    bitmap = np.frombuffer(chunk.buffers()[0], dtype=np.uint8)
    bits = np.unpackbits(bitmap, count=chunk.offset + len(chunk), bitorder="little")
    return bits[chunk.offset :].astype(bool)


def _values(chunk: Any, dtype: Any) -> np.ndarray:
    """The value buffer of one primitive Arrow array (a null's slot is arbitrary)."""
    dtype = np.dtype(dtype)
    if len(chunk) == 0:
        return np.empty(0, dtype=dtype)
    buffer = chunk.buffers()[1]
    offset = chunk.offset * dtype.itemsize
    return np.frombuffer(buffer, dtype=dtype, count=len(chunk), offset=offset)


def _codes(indices: Any, missing: int) -> np.ndarray:
    """Dictionary indices as int64, a null as *missing*."""
    codes = _values(indices, np.int32).astype(np.int64)
    valid = _valid(indices)
    if valid is not None:
        codes[~valid] = missing
    return codes


def _empty(lengths: Any) -> np.ndarray:
    """Where an Arrow column of string lengths holds 0 (a null is not empty)."""
    parts = []
    for chunk in lengths.chunks:
        empty = _values(chunk, np.int32) == 0
        valid = _valid(chunk)
        parts.append(empty if valid is None else empty & valid)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def _float_column(column: Any) -> np.ndarray:
    """A float64 Arrow column as one new NumPy array, a missing cell NaN."""
    parts = []
    for chunk in column.chunks:
        values = _values(chunk, np.float64)
        valid = _valid(chunk)
        parts.append(values if valid is None else np.where(valid, values, np.nan))
    if not parts:
        return np.empty(0, dtype=np.float64)
    return np.concatenate(parts)


def columns_of(schools: Iterable[School] | ColumnTable) -> ColumnTable:
    """A ColumnTable for schools given either way."""
    if isinstance(schools, ColumnTable):
        return schools
    return ColumnTable.from_schools(list(schools))
