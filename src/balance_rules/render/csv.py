"""CSV output for national runs: one row per school section and rule, or per county.

Reads a :class:`~balance_rules.engine.columnar.ColumnarResult`, so a whole nation
is written without building a finding object per row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from ..engine.columnar import ColumnarResult
from .explain import number

__all__ = ["render_csv"]

SCHOOL_COLUMNS = (
    "county", "school_id", "school_name", "level", "rule", "indicator", "value", "op",
    "threshold", "status", "decides", "document", "article",
)  # fmt: skip
SUMMARY_COLUMNS = (
    "county", "verdict", "vetoed", "sections", "sections_passed", "sections_failed",
    "sections_not_evaluated", "county_rules_failed", "excluded",
)  # fmt: skip


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return repr(number(value))
    return "" if value is None else value


def _write(columns: Iterable[str], rows: Iterable[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = tuple(columns)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def _county_rows(result: ColumnarResult) -> Iterable[Mapping[str, Any]]:
    rules = result.plan.standard.rules
    for code, name in enumerate(result.county_names):
        for finding in result.county_findings[code]:
            rule = rules[finding.rule]
            value = finding.value
            yield {
                "county": name,
                "level": finding.level,
                "rule": finding.rule,
                "indicator": getattr(finding, "indicator", None) or getattr(finding, "fact", None),
                "value": float(value)
                if value is not None and not isinstance(value, bool)
                else value,
                "op": getattr(rule, "op", "<=" if finding.threshold is not None else None),
                "threshold": finding.threshold,
                "status": finding.status,
                "decides": finding.decides,
                "document": rule.source.document,
                "article": rule.source.article,
            }


def render_csv(result: ColumnarResult, summary: bool = False) -> str:
    """Per county (``summary``), or per school section and rule followed by county rules."""
    if summary:
        return _write(SUMMARY_COLUMNS, result.summary())
    rows = list(result.school_rows())
    rows.sort(key=lambda r: (r["county"], r["school_id"], r["level"]))
    return _write(SCHOOL_COLUMNS, [*rows, *_county_rows(result)])
