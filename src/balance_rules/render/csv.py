"""CSV output for national runs: one row per school section and rule, or per county.

Reads a :class:`~balance_rules.engine.columnar.ColumnarResult` and writes county by
county, so a whole nation streams out without a finding object per row.
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

__all__ = ["SCHOOL_COLUMNS", "SUMMARY_COLUMNS", "render_csv", "write_csv"]

SCHOOL_COLUMNS = (
    "county", "school_id", "school_name", "level", "rule", "indicator", "value", "op",
    "threshold", "status", "decides", "document", "article", "layer", "missing", "detail",
)  # fmt: skip
SUMMARY_COLUMNS = (
    "county", "verdict", "vetoed", "sections", "sections_passed", "sections_failed",
    "sections_not_evaluated", "county_rules_failed", "excluded",
)  # fmt: skip


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return repr(number(value))
    return "" if value is None else value


def _rows(columns: Iterable[str], rows: Iterable[Mapping[str, Any]]) -> Iterable[list[Any]]:
    columns = tuple(columns)
    yield list(columns)
    for row in rows:
        yield [_cell(row.get(c)) for c in columns]


def _finding_rows(result: ColumnarResult, progress: Progress | None) -> Iterable[Mapping[str, Any]]:
    for county in county_records(result, progress):
        for section in county.sections:
            for finding in section["findings"]:
                yield flat_finding(county.county, section["school_id"], section["name"], finding)
        for finding in county.findings:
            yield flat_finding(county.county, None, None, finding)


def write_csv(
    result: ColumnarResult,
    stream: TextIO,
    summary: bool = False,
    progress: Progress | None = None,
) -> None:
    """Write per county (``summary``), or per school section and rule, county by county.

    Each county's school rows (by school id, then level, then rule) are followed by
    its county-level rows (CVs, composites, facts), which have no school.
    """
    writer = csv.writer(stream, lineterminator="\n")
    if summary:
        writer.writerows(_rows(SUMMARY_COLUMNS, result.summary()))
    else:
        # Finding rows hold only str, int, float (written with repr), bool and None
        # (written empty): the csv module writes them as they are.
        cells = operator.itemgetter(*SCHOOL_COLUMNS)
        writer.writerow(SCHOOL_COLUMNS)
        writer.writerows(map(cells, _finding_rows(result, progress)))


def render_csv(result: ColumnarResult, summary: bool = False) -> str:
    """The CSV text (see :func:`write_csv`)."""
    buffer = io.StringIO()
    write_csv(result, buffer, summary)
    return buffer.getvalue()
