"""The one evaluation core behind ``br.evaluate``: counties → table → kernels → Report.

County and School objects become one :class:`~balance_rules.data.columns.ColumnTable`
in a single pass; the columnar core evaluates every county at once and the
Report is a lazy view over its result (:mod:`balance_rules.engine.view`).  The
csv, jsonl and frames outputs read the same result, so every format shows the
same findings and digits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..collector import paused
from ..data.columns import ColumnTable
from ..data.facts import checked_facts, refuse_fact_typos, standard_facts
from ..data.model import County
from ..data.validate import check_table
from ..report import Report
from .columnar import ColumnarResult, evaluate_columns
from .plan import Plan
from .view import report_of

__all__ = ["evaluate_counties", "evaluate_table"]


def table_of(counties: Sequence[County]) -> tuple[ColumnTable, dict[str, Mapping[str, Any]]]:
    """One table of every county's schools (the county column is the County's name).

    The table is checked by the one validator (:mod:`balance_rules.data.validate`):
    a DataError names every problem with its county, school id and column.
    """
    schools = [school for county in counties for school in county.schools]
    names = [county.name for county in counties for _ in county.schools]
    table = ColumnTable.from_schools(schools, counties=names)
    return table, {county.name: county.facts for county in counties}


def evaluate_counties(
    plan: Plan,
    counties: Sequence[County],
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Evaluate County objects through the core; the Report lists them by name."""
    with paused():  # a nation's School objects stay alive meanwhile
        table, facts = table_of(counties)
        # Counties read their facts' values when built; names are judged here, where
        # the standard's own facts are known (the facts reader's did-you-mean).
        refuse_fact_typos(facts, standard_facts(plan.standard))
        result = evaluate_columns(plan, table, facts, counties=[c.name for c in counties])
        return report_of(result, progress=progress)


def evaluate_table(
    plan: Plan,
    table: ColumnTable,
    facts: Mapping[str, Mapping[str, Any]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Evaluate a ColumnTable (counties from its county column) through the core.

    *facts* (keyed by county name) are checked as the facts reader checks them;
    the table by the one validator (a table however built: DataError naming
    every problem at its origin).
    """
    with paused():
        check_table(table)
        checked = checked_facts(facts or {}, standard_facts(plan.standard))
        result: ColumnarResult = evaluate_columns(plan, table, checked)
        return report_of(result, progress=progress)
