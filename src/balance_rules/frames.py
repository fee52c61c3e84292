"""A pandas entry point for researchers: DataFrames in, DataFrames out.

Needs pandas (``pip install 'balance-rules[fast]'``).  Evaluation is independent
per county and rows come county by county, so the same call can be mapped over
whole counties — ``dask_df.groupby("county").apply(...)``, Spark's
``groupBy("county").applyInPandas(...)``, or ``mapInPandas`` over partitions
after ``repartition("county")`` with each partition's batches put together
first — and gives the same rows as one call over everything
(docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .data.columns import ColumnTable
from .engine.columnar import evaluate_columns
from .engine.plan import compile_standard
from .records import county_records, flat_finding
from .standard.model import Standard

__all__ = ["evaluate_frame"]


def evaluate_frame(
    frame: Any,
    standard: Standard,
    facts: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[Any, Any, Any]:
    """Evaluate a DataFrame in the canonical school columns.

    Returns three DataFrames: school findings (one row per section and school
    rule), county findings (CVs, composites, facts) and a per-county summary
    with the verdict.  Bad cells raise :class:`~balance_rules.DataError` naming
    the row and column.
    """
    import pandas as pd

    table = ColumnTable.from_frame(frame)
    result = evaluate_columns(compile_standard(standard), table, facts or {})
    school_rows, county_rows = [], []
    for county in county_records(result):
        for section in county.sections:
            for finding in section["findings"]:
                school_rows.append(
                    flat_finding(county.county, section["school_id"], section["name"], finding)
                )
        for finding in county.findings:
            row = flat_finding(county.county, None, None, finding)
            del row["school_id"], row["school_name"]
            county_rows.append(row)
    schools = pd.DataFrame(school_rows)
    counties = pd.DataFrame(county_rows)
    summary = pd.DataFrame(list(result.summary()))
    return schools, counties, summary
