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
from typing import Any

import attrs
import numpy as np

from ..errors import DataError, Problem
from .fields import (
    COMBINED_TYPES,
    COUNT_FIELDS,
    NUMERIC_FIELDS,
    SCHOOL_TYPE_LEVELS,
    SCHOOL_TYPES,
    TEXT_FIELDS,
    VALUE_ALIASES,
)
from .model import FLOAT_FIELDS, School, float_row, number_problems

__all__ = ["ColumnTable", "columns_of", "fast_columns", "read_columns"]

NUMBERS = FLOAT_FIELDS
_TEXT = operator.attrgetter(*TEXT_FIELDS)
_COUNTED = operator.attrgetter("counted_as_school")
_COUNT_ROWS = np.array([name in COUNT_FIELDS for name in NUMBERS])
_DEFAULTS = {"ownership": "public", "authority": "county"}
_CATEGORIES = frozenset({*VALUE_ALIASES, "county"})


@attrs.define(eq=False)
class ColumnTable:
    """The school table as columns.  ``schools`` keeps School objects when known."""

    text: dict[str, np.ndarray]
    numbers: dict[str, np.ndarray]
    counted: np.ndarray
    extras: dict[str, np.ndarray] = attrs.field(factory=dict)
    schools: tuple[School, ...] | None = None
    file: str = ""

    def __len__(self) -> int:
        return len(self.counted)

    @classmethod
    def from_schools(
        cls, schools: Sequence[School], counties: Sequence[str] | None = None
    ) -> ColumnTable:
        """Columns of School objects in one pass (the objects are kept for exact re-checks).

        *counties*, if given, is each school's county name (instead of its
        ``county`` attribute): the name of the County object it came in.
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
        _refuse_bad_numbers(schools, block, extras)
        counted = np.fromiter(map(_COUNTED, schools), dtype=bool, count=n)
        return cls(text, numbers, counted, extras, tuple(schools))

    @classmethod
    def from_frame(cls, frame: Any, file: str = "<DataFrame>") -> ColumnTable:
        """Columns of a pandas DataFrame in the canonical column names.

        Values are checked like a file's (a bad cell raises DataError naming the
        row and column); unknown numeric columns become extra fields.
        """
        n = len(frame)
        problems: list[Problem] = []
        text: dict[str, np.ndarray] = {}
        for name in TEXT_FIELDS:
            if name in frame.columns and name in _CATEGORIES:
                # Clean each distinct value once: a nation has few distinct types.
                codes, uniques = _factorize(frame[name])
                cleaned = np.array([_text(name, v) for v in uniques] + [None], dtype=object)
                text[name] = cleaned[codes]
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
                text[name] = np.array(
                    [_DEFAULTS.get(name, "")] * n if name in _DEFAULTS else [None] * n, dtype=object
                )
        if "school_type" not in frame.columns:
            text["school_type"] = np.array(["primary"] * n, dtype=object)
        numbers = {}
        for name in NUMBERS:
            if name in frame.columns:
                numbers[name] = _numeric(frame[name], name, problems)
            else:
                numbers[name] = np.full(n, np.nan)
        extras = {
            str(name): _numeric(frame[name], str(name), problems)
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
        if problems:
            located = [attrs.evolve(p, file=file) for p in problems]
            raise DataError(located, f"{file}: {len(problems)} bad cell(s)")
        table = cls(text, numbers, counted, extras, None, file)
        table.check(file)
        return table

    def check(self, file: str) -> None:
        """Raise DataError for values the object model would refuse."""
        problems: list[Problem] = []
        for name, allowed in (("school_type", SCHOOL_TYPES),):
            bad = ~np.isin(self.text[name], np.array(allowed, dtype=object))
            for i in np.flatnonzero(bad)[:20]:
                problems.append(
                    Problem(
                        f"unknown {name} {self.text[name][i]!r}",
                        file=file,
                        row=int(i) + 2,
                        column=name,
                    )
                )
        ids = self.text["school_id"]
        if len(set(ids.tolist())) != len(ids):
            seen: set[Any] = set()
            for i, value in enumerate(ids):
                if value in seen:
                    problems.append(
                        Problem(
                            f"school id {value!r} repeats", file=file, row=i + 2, column="school_id"
                        )
                    )
                seen.add(value)
        for name, column in self.numbers.items():
            with np.errstate(invalid="ignore"):
                negative = column < 0
                fractional = (
                    ~np.isnan(column) & (column != np.floor(column))
                    if name in COUNT_FIELDS
                    else np.zeros(len(column), bool)
                )
            for i in np.flatnonzero(negative | fractional)[:20]:
                problems.append(
                    Problem(
                        f"{column[i]} is {'negative' if column[i] < 0 else 'not a whole number'}",
                        file=file,
                        row=int(i) + 2,
                        column=name,
                    )
                )
        for school_type in COMBINED_TYPES:
            rows = (self.text["school_type"] == school_type) & self.counted
            for level in SCHOOL_TYPE_LEVELS[school_type]:
                for i in np.flatnonzero(rows & np.isnan(self.numbers[f"{level}_students"]))[:20]:
                    problems.append(
                        Problem(
                            f"{school_type} school without {level} students",
                            file=file,
                            row=int(i) + 2,
                            column=f"{level}_students",
                        )
                    )
        if problems:
            raise DataError(problems, f"{file}: {len(problems)} problem(s) in the school table")

    def value(self, name: str, row: int) -> Decimal | None:
        """The exact number in one cell (canonical column or extra)."""
        column = self.numbers.get(name)
        if column is None:
            column = self.extras.get(name)
        if column is None:
            return None
        x = column[row]
        return None if np.isnan(x) else Decimal(repr(float(x)))

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


def _refuse_bad_numbers(
    schools: Sequence[School], block: np.ndarray, extras: dict[str, np.ndarray]
) -> None:
    """Refuse negative numbers and fractional counts, however they got in.

    School objects check themselves when built; this vectorised pass over the
    whole table catches a value changed afterwards (an ``extra`` mapping edited
    in place, an attribute forced with ``object.__setattr__``) with the School's
    own message, naming the school and the column.
    """
    with np.errstate(invalid="ignore"):
        bad = block < 0
        bad[_COUNT_ROWS] |= block[_COUNT_ROWS] != np.floor(block[_COUNT_ROWS])
        bad[_COUNT_ROWS] &= ~np.isnan(block[_COUNT_ROWS])
        bad_extras = {name: c < 0 for name, c in extras.items()}
    if not bad.any() and not any(b.any() for b in bad_extras.values()):
        return
    problems: list[Problem] = []
    for j, i in zip(*np.nonzero(bad), strict=True):
        school, name = schools[int(i)], NUMBERS[int(j)]
        where = f"school {school.school_id!r}"
        problems += number_problems(where, name, school.value(name), name in COUNT_FIELDS)
    for name, found in bad_extras.items():
        for i in np.flatnonzero(found):
            school = schools[int(i)]
            where = f"school {school.school_id!r}"
            problems += number_problems(where, name, school.extra.get(name), whole=False)
    if problems:
        raise DataError(problems[:100], f"{len(problems)} bad number(s) in the schools")


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


def _numeric(series: Any, name: str, problems: list[Problem]) -> np.ndarray:
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
            problems.append(Problem(str(exc), row=i + 2, column=name))
            continue
        if parsed is not None:
            out[i] = float(parsed[0])
    return out


def read_columns(path: str | Path, **options: Any) -> ColumnTable:
    """A school table as columns.

    A plain CSV (one header row of canonical column names) is read with pandas
    when it is installed (``pip install 'balance-rules[fast]'``); any other file,
    or a CSV with anything the fast reader does not handle, goes through
    :func:`~balance_rules.data.readers.read_school_table`, which reports every
    bad cell by row and column.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv" and not options:
        fast = _read_csv_fast(path)
        if fast is not None:
            return fast
    from .readers import read_school_table

    table = read_school_table(path, **options)
    columns = ColumnTable.from_schools(table.schools)
    columns.file = table.file
    return columns


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
    try:
        import pandas as pd
    except ImportError:
        return None
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        header = handle.readline().strip().split(",")
    known = set(TEXT_FIELDS) | set(NUMERIC_FIELDS)
    if "school_id" not in header or not set(header) <= known:
        return None  # Chinese or unknown headers: the full reader maps them
    frame = _read_csv_arrow(path, header)
    if frame is None:
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
    marker = frame["school_id"].astype(str).str.strip().isin(["合计", "总计", "小计"])
    if bool(marker.any()):
        return None
    try:
        table = ColumnTable.from_frame(frame, str(path))
    except DataError:
        return None  # let the full reader report every problem precisely
    ids = set(table.text["school_id"].tolist())
    parents = table.text["parent_school_id"]
    if any(parents[i] not in ids for i in np.flatnonzero(~table.counted)):
        return None
    if any(parent not in (None, "") and parent not in ids for parent in parents):
        return None
    table.file = str(path)
    return table


def _read_csv_arrow(path: Path, header: list[str]) -> Any:
    """The canonical CSV as a DataFrame through pyarrow's parser (the ``arrow``
    extra): text columns as text, every other column as float64, a blank cell
    missing.  About twice as fast as pandas' own parser on a nation; both parse
    a number to the nearest float.  None when pyarrow is not installed or the
    file does not parse that way (text in a number column, a bad row): the
    pandas parser, and after it the full reader, then say what is wrong.
    """
    try:
        import pyarrow as pa
        import pyarrow.csv as pcsv
    except ImportError:
        return None
    if len(set(header)) != len(header):
        return None  # a repeated header: the full reader names it
    types = {name: pa.string() if name in TEXT_FIELDS else pa.float64() for name in header}
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
    return table.to_pandas(self_destruct=True, split_blocks=True)


def columns_of(schools: Iterable[School] | ColumnTable) -> ColumnTable:
    """A ColumnTable for schools given either way."""
    if isinstance(schools, ColumnTable):
        return schools
    return ColumnTable.from_schools(list(schools))
