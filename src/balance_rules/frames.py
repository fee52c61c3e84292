"""A pandas entry point for researchers: DataFrames in, DataFrames out.

Needs pandas (``pip install 'balance-rules[fast]'``).  Evaluation is independent
per county, so the same call can be mapped over partitions grouped by county —
``dask_df.groupby("county").apply(...)``, or Spark's ``mapInPandas`` — and gives
the same rows as one call over everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .data.columns import ColumnTable
from .engine.columnar import evaluate_columns
from .engine.plan import compile_standard
from .render.csv import _county_rows
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
    schools = pd.DataFrame(list(result.school_rows()))
    if not schools.empty:
        schools = schools.sort_values(["county", "school_id", "level"], kind="stable")
    counties = pd.DataFrame(list(_county_rows(result)))
    summary = pd.DataFrame(list(result.summary()))
    return schools.reset_index(drop=True), counties, summary
