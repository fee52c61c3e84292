"""From a county's schools to the level sections the engine evaluates.

Three steps, in the order of ``domain/computation.md`` §2–3:

1. sub-sites not counted as schools (``counted_as_school = 0``) are merged into
   their parent: students and resources added before any ratio is taken;
2. the standard's scope excludes schools (private, not county-run, special, ...),
   each with a reason;
3. every remaining school becomes one section per level it teaches, and combined
   schools' facilities are split by weighted students.

Every school ends up in a section or in the exclusions, never nowhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

import attrs

from .data.fields import (
    ALL_LEVELS,
    LEVEL_SUFFIXES,
    LEVELS,
    MAXIMUM_FIELDS,
    MINIMUM_FIELDS,
    NUMERIC_FIELDS,
    SCHOOL_TYPE_LEVELS,
)
from .data.model import School
from .data.parents import parent_cycles
from .errors import DataError, Problem
from .standard.model import Split

__all__ = [
    "Excluded",
    "Section",
    "column_name",
    "merge_sub_sites",
    "merged_site",
    "parent_cycles",
    "refuse_parent_cycles",
    "section_shares",
    "section_values",
    "site_section",
]

#: Reason codes the engine itself gives (standards add their own, e.g. ``private``).
MERGED_INTO_PARENT = "merged_into_parent"
PARENT_MISSING = "parent_missing"
NO_STUDENTS = "no_students"


@attrs.frozen
class Excluded:
    """A school (or one level section of it) left out, with the reason code."""

    school_id: str
    name: str
    reason: str
    level: str | None = None
    detail: str | None = None


@attrs.frozen
class Section:
    """One level of one school, with its level-free field values (exact)."""

    school: School
    level: str
    values: Mapping[str, Fraction | None]
    merged: tuple[str, ...] = ()

    @property
    def students(self) -> Fraction | None:
        return self.values.get("students")


def _add(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a + b


def _sub_site_value(name: str, parent: School, child: School) -> Decimal | None:
    a, b = parent.value(name), child.value(name)
    if name in MINIMUM_FIELDS or name in MAXIMUM_FIELDS:
        if a is None or b is None:
            return a if b is None else b
        return min(a, b) if name in MINIMUM_FIELDS else max(a, b)
    prefix = name.split("_", 1)[0]
    if prefix in ALL_LEVELS and name != "counted_as_school":
        # A sub-site only carries the levels it teaches students of.
        if not child.value(f"{prefix}_students"):
            return a
        if not parent.value(f"{prefix}_students") and a is None:
            return b
    return _add(a, b)


def refuse_parent_cycles(
    ids: Sequence[str],
    parents: Sequence[str | None],
    counted: Sequence[bool],
    file: str = "",
    shown: Callable[[str], str] = str,
) -> None:
    """Raise DataError naming the schools of every loop of sub-site parents."""
    cycles = [[shown(i) for i in cycle] for cycle in parent_cycles(ids, parents, counted)]
    if not cycles:
        return
    problems = [
        Problem(
            f"sub-site {cycle[0]!r} is its own parent"
            if len(cycle) == 1
            else "sub-sites name each other as parent: " + " → ".join([*cycle, cycle[0]]),
            file=file or None,
            column="parent_school_id",
        )
        for cycle in cycles
    ]
    raise DataError(problems, f"{len(cycles)} loop(s) of sub-site parents")


def merge_sub_sites(schools: Sequence[School]) -> tuple[list[School], list[Excluded]]:
    """Merge every sub-site into its root parent; report each merged or orphaned one.

    A sub-site that is its own parent, or a loop of sub-sites naming each other,
    raises :class:`~balance_rules.DataError` naming them (the validator refuses
    such a table before the core runs; looked for only when there are sub-sites).
    """
    if not all(s.counted_as_school for s in schools):
        refuse_parent_cycles(
            [s.school_id for s in schools],
            [s.parent_school_id for s in schools],
            [s.counted_as_school for s in schools],
        )
    by_id = {s.school_id: s for s in schools}
    merged: dict[str, School] = {s.school_id: s for s in schools if s.counted_as_school}
    excluded: list[Excluded] = []
    order = [s.school_id for s in schools if s.counted_as_school]
    for school in schools:
        if school.counted_as_school:
            continue
        root_id = _root_parent(school, by_id)
        if root_id is None or root_id not in merged:
            excluded.append(
                Excluded(
                    school.school_id,
                    school.school_name,
                    PARENT_MISSING,
                    detail=f"parent {school.parent_school_id!r} not found",
                )
            )
            continue
        parent = merged[root_id]
        changes = {name: _sub_site_value(name, parent, school) for name in _MERGED_FIELDS}
        extra = dict(parent.extra)
        for name in set(parent.extra) | set(school.extra):
            extra[name] = _add(parent.extra.get(name), school.extra.get(name))
        merged[root_id] = attrs.evolve(parent, **cast("dict[str, Any]", changes), extra=extra)
        excluded.append(
            Excluded(school.school_id, school.school_name, MERGED_INTO_PARENT, detail=root_id)
        )
    return [merged[i] for i in order], excluded


_MERGED_FIELDS = tuple(n for n in NUMERIC_FIELDS if n != "counted_as_school")


def _root_parent(school: School, by_id: Mapping[str, School]) -> str | None:
    seen = {school.school_id}
    current = school
    while not current.counted_as_school:
        parent_id = current.parent_school_id
        if parent_id is None or parent_id in seen or parent_id not in by_id:
            return None
        seen.add(parent_id)
        current = by_id[parent_id]
    return current.school_id


def section_shares(school: School, split: Split) -> dict[str, Fraction] | None:
    """Each level's share of the school's facilities, or None if it cannot be split."""
    levels = SCHOOL_TYPE_LEVELS[school.school_type]
    if len(levels) == 1:
        return {levels[0]: Fraction(1)}
    weights = split.weights.get(school.school_type, {})
    weighted: dict[str, Fraction] = {}
    for level in levels:
        students = school.value(f"{level}_students")
        if students is None:
            return None
        weighted[level] = Fraction(weights.get(level, Decimal(1))) * Fraction(students)
    total = sum(weighted.values(), Fraction(0))
    if total == 0:
        return None
    return {level: w / total for level, w in weighted.items()}


def _total(parts: Iterable[Decimal | None]) -> Fraction | None:
    """The exact sum, or None when any part is missing."""
    total = Fraction(0)
    for part in parts:
        if part is None:
            return None
        total += Fraction(part)
    return total


def column_name(field: str, level: str) -> str:
    """The data column a section field is read from (for messages)."""
    if field in LEVEL_SUFFIXES:
        return f"{level}_{field}"
    if field == "school_students":
        return "primary_students/junior_students"
    if field == "school_classes":
        return "primary_classes/junior_classes"
    return field


def _frac(value: Decimal | None) -> Fraction | None:
    return None if value is None else Fraction(value)


def _extra_value(
    school: School, level: str, spellings: Sequence[str]
) -> tuple[Decimal | None, bool]:
    """An extra column by any of its spellings: per level first, then whole-school.

    Returns (value, whether it is the level's own figure).
    """
    for name in spellings:
        for key in (f"{level}_{name}", f"{LEVEL_ZH.get(level, level)}{name}"):
            value = school.extra.get(key)
            if value is not None:
                return value, True
    for name in spellings:
        value = school.value(name)
        if value is not None:
            return value, False
    return None, False


#: Chinese level prefixes of per-level extra columns (小学食堂面积).
LEVEL_ZH = {"primary": "小学", "junior": "初中"}


def section_values(
    school: School,
    level: str,
    shares: Mapping[str, Fraction] | None,
    split: Split,
    fields: Iterable[str],
    spellings: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Fraction | None]:
    """The level-free field values of one section (only *fields* are computed).

    *spellings* gives, for extra columns, the names they may appear under.
    """
    values: dict[str, Fraction | None] = {}
    split_items = set(split.items)
    levels = [lv for lv in SCHOOL_TYPE_LEVELS[school.school_type] if lv in LEVELS]
    for name in fields:
        if name in LEVEL_SUFFIXES:
            values[name] = _frac(school.value(f"{level}_{name}"))
        elif name in ("school_students", "school_classes"):
            suffix = "students" if name == "school_students" else "classes"
            values[name] = _total(school.value(f"{lv}_{suffix}") for lv in levels)
        else:
            raw, own_level = _extra_value(school, level, (spellings or {}).get(name, (name,)))
            whole = _frac(raw)
            if own_level:
                values[name] = whole
            elif name in split_items and whole is not None:
                values[name] = None if shares is None else whole * shares[level]
            else:
                values[name] = whole
    return values


def merged_site(schools: Sequence[School]) -> School:
    """A school with its sub-sites (``schools[1:]``) merged into it (``schools[0]``)."""
    if len(schools) == 1:
        return schools[0]
    merged, _ = merge_sub_sites(schools)
    return merged[0]


def site_section(
    schools: Sequence[School],
    level: str,
    split: Split,
    fields: Iterable[str],
    spellings: Mapping[str, Sequence[str]] | None = None,
) -> Section:
    """The exact section of a school (``schools[0]``, its sub-sites after it) at *level*.

    The one builder of exact sections: the core's exact step and monitoring's
    exact CV squares both read sections made here.
    """
    school = merged_site(schools)
    values = section_values(
        school, level, section_shares(school, split), split, fields, spellings
    )
    return Section(school, level, values)
