"""CSV output for national runs: one row per school section and rule, or per county.

Reads a :class:`~balance_rules.engine.columnar.ColumnarResult` and writes county by
county, so a whole nation streams out without a finding object per row.

Safe to open in Excel: a text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return is prefixed with a single quote (OWASP "CSV injection"), so
it is shown as text and never run as a formula; numbers (``-1.5``) are written as
numbers.  The command writes a file with a UTF-8 byte-order mark (see
``--output-encoding``) so that Excel on Chinese Windows reads the headers.

Every finding (not ``summary``) is built as columns and made into text by pyarrow
when it is installed (``pip install 'balance-rules[arrow]'``; see
:mod:`balance_rules.render.csv_columns`); without it, row by row with the ``csv``
module.  The two files are the same, byte for byte.
"""

from __future__ import annotations

import csv
import io
import operator
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from ..engine.columnar import ColumnarResult
from ..records import Progress, county_records, flat_finding
from .explain import number

__all__ = [
    "FORMULA_START",
    "SCHOOL_COLUMNS",
    "SUMMARY_COLUMNS",
    "WORKING",
    "fast_csv_available",
    "neutralise",
    "render_csv",
    "write_csv",
]

SCHOOL_COLUMNS = (
    "county", "school_id", "school_name", "level", "rule", "indicator", "value", "op",
    "threshold", "status", "students", "mean", "std",
    "decides", "document", "article", "layer", "missing", "detail",
)  # fmt: skip
#: The working of a CV row (students N, weighted mean X̄, S); empty on other rows.
WORKING = ("students", "mean", "std")
_NO_WORKING = dict.fromkeys(WORKING)
SUMMARY_COLUMNS = (
    "county", "verdict", "vetoed", "sections", "sections_passed", "sections_failed",
    "sections_not_evaluated", "county_rules_failed", "excluded",
)  # fmt: skip


#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that could start a formula, prefixed with ``'``; anything else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return repr(number(value))
    return "" if value is None else neutralise(value)


#: Columns of a finding row that hold text (from the data or a standard file).
_TEXT = tuple(
    i for i, c in enumerate(SCHOOL_COLUMNS) if c not in ("value", "threshold", "decides", *WORKING)
)


def _safe_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    for i in _TEXT:
        cell = row[i]
        if isinstance(cell, str) and cell.startswith(FORMULA_START):
            return tuple(neutralise(c) if j in _TEXT else c for j, c in enumerate(row))
    return row


def _rows(columns: Iterable[str], rows: Iterable[Mapping[str, Any]]) -> Iterable[list[Any]]:
    columns = tuple(columns)
    yield list(columns)
    for row in rows:
        yield [_cell(row.get(c)) for c in columns]


def _finding_rows(result: ColumnarResult, progress: Progress | None) -> Iterable[Mapping[str, Any]]:
    report = result.county_report()  # a lazy view: coefficients come from the result
    for code, county in enumerate(county_records(result, progress)):
        for section in county.sections:
            for finding in section["findings"]:
                row = flat_finding(county.county, section["school_id"], section["name"], finding)
                row.update(_NO_WORKING)
                yield row
        working = {
            (c.level, c.indicator): (c.students, c.mean, c.std)
            for c in report.counties[code].coefficients
            if not c.composite
        }
        for finding in county.findings:
            row = flat_finding(county.county, None, None, finding)
            found = working.get((row["level"], row["indicator"]))
            if row["kind"] == "coefficients" and found is not None:
                row.update(zip(WORKING, (_float(v) for v in found), strict=True))
            else:
                row.update(_NO_WORKING)
            yield row


def _float(value: float | None) -> str | None:
    """A working figure as written elsewhere in the file (repr of the float)."""
    if value is None or value != value:
        return None
    return repr(int(value)) if float(value).is_integer() else repr(float(value))


def fast_csv_available() -> bool:
    """Whether every finding is written by pyarrow (else row by row, slower)."""
    from .csv_columns import arrow_available

    return arrow_available()


def write_csv(
    result: ColumnarResult,
    stream: TextIO,
    summary: bool = False,
    progress: Progress | None = None,
    *,
    rows: bool | None = None,
) -> None:
    """Write per county (``summary``), or per school section and rule, county by county.

    Each county's school rows (by school id, then level, then rule) are followed by
    its county-level rows (CVs, composites, facts), which have no school.  Every
    finding is written by pyarrow when it is installed, unless ``rows`` asks for
    the row-by-row writer (``rows=False`` requires pyarrow).
    """
    writer = csv.writer(stream, lineterminator="\n")
    if summary:
        writer.writerows(_rows(SUMMARY_COLUMNS, result.summary()))
        return
    if not rows and (rows is False or fast_csv_available()):
        from .csv_columns import write_findings_arrow

        write_findings_arrow(result, stream, neutralise, SCHOOL_COLUMNS, progress)
    else:
        # Finding rows hold only str, int, float (written with repr), bool and None
        # (written empty): the csv module writes them as they are.
        cells = operator.itemgetter(*SCHOOL_COLUMNS)
        writer.writerow(SCHOOL_COLUMNS)
        writer.writerows(map(_safe_row, map(cells, _finding_rows(result, progress))))


def render_csv(result: ColumnarResult, summary: bool = False, *, rows: bool | None = None) -> str:
    """The CSV text (see :func:`write_csv`)."""
    buffer = io.StringIO()
    write_csv(result, buffer, summary, rows=rows)
    return buffer.getvalue()
