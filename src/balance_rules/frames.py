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

from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from .data.columns import ColumnTable
from .data.facts import checked_facts, standard_facts
from .engine.columnar import evaluate_columns
from .engine.plan import compile_standard
from .records import county_records, flat_finding
from .standard.model import Standard

__all__ = ["FrameResult", "evaluate_frame"]


@attrs.frozen
class FrameResult:
    """The three DataFrames of :func:`evaluate_frame`.

    ``schools``: one row per school section and school rule; ``counties``: one
    row per county finding (CVs, composites, facts); ``summary``: one row per
    county with its verdict.  It also unpacks as ``schools, counties, summary``
    (and indexes 0, 1, 2) like the tuple earlier versions returned.
    """

    schools: Any
    counties: Any
    summary: Any

    def __iter__(self) -> Iterator[Any]:
        return iter((self.schools, self.counties, self.summary))

    def __getitem__(self, index: int) -> Any:
        return (self.schools, self.counties, self.summary)[index]

    def __len__(self) -> int:
        return 3


def evaluate_frame(
    frame: Any,
    standard: Standard,
    facts: Mapping[str, Mapping[str, Any]] | None = None,
) -> FrameResult:
    """Evaluate a DataFrame in the canonical school columns.

    Returns a :class:`FrameResult` of three DataFrames: school findings (one row
    per section and school rule), county findings (CVs, composites, facts) and a
    per-county summary with the verdict.  Bad cells raise
    :class:`~balance_rules.DataError` naming the row and column; an argument of
    the wrong type raises TypeError naming it.
    """
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError(
            "evaluate_frame needs pandas: pip install 'balance-rules[fast]'"
        ) from None

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"evaluate_frame(frame, ...): expected a pandas DataFrame, not {type(frame).__name__}"
        )
    if not isinstance(standard, Standard):
        raise TypeError(
            "evaluate_frame(frame, standard): expected a Standard (br.load_standard(...)),"
            f" not {type(standard).__name__}"
        )
    if facts is not None and not isinstance(facts, Mapping):
        raise TypeError(
            "evaluate_frame(..., facts): expected a mapping of county name to facts,"
            f" not {type(facts).__name__}"
        )

    table = ColumnTable.from_frame(frame)
    checked = checked_facts(facts or {}, standard_facts(standard))  # as the facts reader does
    result = evaluate_columns(compile_standard(standard), table, checked)
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
    return FrameResult(schools, counties, summary)
