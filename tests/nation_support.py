"""Shared by the tests that put several generated counties into one table."""

from __future__ import annotations

import attrs

import balance_rules as br


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
