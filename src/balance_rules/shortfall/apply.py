"""Apply a plan's additions to a county's school table (additions to merged
schools go to the counted parent's own row)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs

from ..data.model import County, School
from .model import Addition

__all__ = ["apply_additions", "apply_to_schools"]


def apply_to_schools(schools: Iterable[School], additions: Iterable[Addition]) -> list[School]:
    """The schools with every addition added to its column (order kept)."""
    per_school: dict[str, dict[str, Decimal]] = {}
    for item in additions:
        columns = per_school.setdefault(item.school_id, {})
        columns[item.field] = columns.get(item.field, Decimal(0)) + item.add
    result = []
    for school in schools:
        found = per_school.get(school.school_id)
        if not found or not school.counted_as_school:
            result.append(school)
            continue
        changes: dict[str, Any] = {}
        extra = None
        for name, amount in found.items():
            if hasattr(school, name):
                current = getattr(school, name)
                changes[name] = amount if current is None else current + amount
            else:
                extra = dict(extra if extra is not None else school.extra)
                current_x = extra.get(name)
                extra[name] = amount if current_x is None else current_x + amount
        if extra is not None:
            changes["extra"] = extra
        result.append(attrs.evolve(school, **changes))
    return result


def apply_additions(county: County, additions: Iterable[Addition]) -> County:
    """A copy of *county* with every addition applied."""
    return attrs.evolve(county, schools=apply_to_schools(county.schools, additions))
