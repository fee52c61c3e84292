"""Shared by the tests that put several generated counties into one table."""

from __future__ import annotations

from typing import Any

import attrs

import balance_rules as br
from balance_rules.data.columns import ColumnTable
from balance_rules.engine.columnar import ColumnarResult, evaluate_columns


def unique_ids(n: int, county: br.County) -> br.County:
    """*county* with its school ids (and sub-sites' parents) prefixed ``C{n}``, so
    that the ids are unique in a table of many counties, as a real one has them."""
    schools = tuple(
        attrs.evolve(
            s,
            school_id=f"C{n}{s.school_id}",
            parent_school_id=s.parent_school_id and f"C{n}{s.parent_school_id}",
        )
        for s in county.schools
    )
    return attrs.evolve(county, schools=schools)


def evaluate_counties(plan: br.Plan, county_list: list[br.County]) -> ColumnarResult:
    """The core's result for *county_list* put together in one table."""
    schools = [s for c in county_list for s in c.schools]
    names = [c.name for c in county_list for _ in c.schools]
    facts = {c.name: c.facts for c in county_list if c.facts}
    return evaluate_columns(plan, ColumnTable.from_schools(schools, names), facts)


def county_items(result: ColumnarResult) -> tuple[list[Any], list[int]]:
    """Every county finding of *result*, and the code of the county of each."""
    items: list[Any] = []
    codes: list[int] = []
    for code, found in enumerate(result.county_findings):
        items.extend(found)
        codes.extend([code] * len(found))
    return items, codes


def cell_text(value: Any) -> str:
    """A School field's value as a canonical CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
