"""A county as the planner sees it: merged schools, level sections, exact values.

This mirrors the documented conventions (``domain/computation.md`` §2–3) with
public data only — sub-sites merged into their root parent, the standard's scope,
combined schools' split items shared by weighted students — and keeps every
addition the plan makes per school column, so values after additions are exact.
Whatever this model decides is confirmed by re-evaluating the county through the
evaluation core; a disagreement is reported as a bug, never printed as a plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

import attrs

from ..data.fields import (
    ALL_LEVELS,
    LEVEL_SUFFIXES,
    LEVELS,
    MAXIMUM_FIELDS,
    MINIMUM_FIELDS,
    NUMERIC_FIELDS,
    SCHOOL_TYPE_LEVELS,
)
from ..data.model import County, School
from ..standard.model import Exclusion, Indicator, Standard

__all__ = ["Section", "Site", "WorkCounty", "column_of"]


class _Raw(dict[str, "Fraction | None"]):
    """Merged column values: exact Fractions made on first use from the Decimals."""

    def __init__(self, decimals: dict[str, Decimal | None]) -> None:
        super().__init__()
        self.decimals = decimals
        self.floats: dict[str, float | None] = {
            k: None if v is None else float(v) for k, v in decimals.items()
        }

    def get(self, key: str, default: Fraction | None = None) -> Fraction | None:  # type: ignore[override]
        if key in self:
            return self[key]
        if key not in self.decimals:
            return default
        value = self.decimals[key]
        result = None if value is None else Fraction(value)
        self[key] = result
        return result


@attrs.define(eq=False)
class Site:
    """One school after its sub-sites are merged in; additions go to its columns."""

    school: School
    raw: _Raw
    add: dict[str, Fraction] = attrs.Factory(dict)
    shares: dict[str, Fraction] | None = None
    shares_float: dict[str, float] | None = None
    #: Bumped by every addition (cached section values of older versions are stale).
    version: int = 0
    add_float: dict[str, float] = attrs.Factory(dict)

    def grow(self, column: str, amount: Fraction) -> None:
        self.add[column] = self.add.get(column, Fraction(0)) + amount
        self.add_float[column] = float(self.add[column])
        self.version += 1

    def column_float(self, name: str) -> float | None:
        """The column in floats (for screening only; decisions use :meth:`column`)."""
        value = self.raw.floats.get(name)
        if value is None:
            return None
        return value + self.add_float.get(name, 0.0)

    def column(self, name: str) -> Fraction | None:
        value = self.raw.get(name)
        if value is None:
            return None
        added = self.add.get(name)
        return value if added is None else value + added


@attrs.define(eq=False)
class Section:
    """One level of one site."""

    site: Site
    level: str
    cache: dict[str, float | None] | None = None
    cache_version: int = -1

    @property
    def students(self) -> Fraction | None:
        return self.site.column(f"{self.level}_students")


def column_of(
    field: str, level: str, split_items: frozenset[str], site: Site
) -> tuple[str | None, Fraction | None]:
    """The school column a level-free field reads, and the section's share of it.

    (None, None) for fields no single column holds (school_students, ...).  The
    share is None when a split item cannot be split (a level's students missing).
    """
    if field in LEVEL_SUFFIXES:
        return f"{level}_{field}", Fraction(1)
    if field in ("school_students", "school_classes"):
        return None, None
    if field in split_items:
        return field, None if site.shares is None else site.shares[level]
    return field, Fraction(1)


class WorkCounty:
    """The sections of one county and exact section values under the additions."""

    def __init__(self, standard: Standard, county: County, columns: Iterable[str]) -> None:
        self.standard = standard
        self.county = county
        self.split_items = frozenset(standard.split.items)
        needed = set(columns) | {f"{lv}_students" for lv in ALL_LEVELS}
        self.columns = tuple(sorted(needed))
        self.sites: list[Site] = []
        self.sections: list[Section] = []
        self.by_id: dict[str, Site] = {}
        self._cache: dict[tuple[int, str], tuple[int, tuple[Fraction | None, str | None]]] = {}
        #: Level-free fields the float screen reads (the others go the exact way).
        self.plain_fields = frozenset(
            name for ind in standard.indicators.values() for name in ind.fields
        )
        self._programs = {
            level: [_program(ind, level, self.split_items) for ind in standard.indicators.values()]
            for level in standard.levels
        }
        for school, raw in _merged(county.schools, self.columns):
            if _excluded(school, raw, standard.exclusions):
                continue
            levels = [lv for lv in SCHOOL_TYPE_LEVELS[school.school_type] if lv in standard.levels]
            if not levels:
                continue
            site = Site(school, raw)
            site.shares = _shares(school, raw, standard)
            if site.shares is not None:
                site.shares_float = {k: float(v) for k, v in site.shares.items()}
            self.sites.append(site)
            self.by_id[school.school_id] = site
            for level in levels:
                if raw.get(f"{level}_students") == 0:
                    continue
                self.sections.append(Section(site, level))

    def value(self, section: Section, field: str) -> Fraction | None:
        """A level-free field of a section, with the additions so far."""
        site = section.site
        if field in ("school_students", "school_classes"):
            suffix = "students" if field == "school_students" else "classes"
            total = Fraction(0)
            for lv in SCHOOL_TYPE_LEVELS[site.school.school_type]:
                if lv not in LEVELS:
                    continue
                part = site.column(f"{lv}_{suffix}")
                if part is None:
                    return None
                total += part
            return total
        column, share = column_of(field, section.level, self.split_items, site)
        if column is None or share is None:
            return None
        whole = site.column(column)
        return None if whole is None else whole * share

    def quick(self, section: Section, indicator: Indicator) -> float | None:
        """The indicator in floats (None when missing or undefined): for screening."""
        return self.floats(section).get(indicator.id)

    def floats(self, section: Section) -> dict[str, float | None]:
        """Every indicator of a section in floats (for screening only; cached)."""
        site = section.site
        cached = section.cache
        if cached is not None and section.cache_version == site.version:
            return cached
        raw = site.raw.floats
        added = site.add_float
        shares = site.shares_float
        share = shares.get(section.level) if shares is not None else None
        result: dict[str, float | None] = {}
        for ind_id, numerator, denominator, scale in self._programs[section.level]:
            total: float | None = 0.0
            for column, kind in numerator:
                part = self._part(site, column, kind, raw, added, share)
                if part is None:
                    total = None
                    break
                total += part  # type: ignore[operator]
            if total is None:
                result[ind_id] = None
                continue
            if denominator is None:
                result[ind_id] = total * scale
                continue
            den = self._part(site, denominator[0], denominator[1], raw, added, share)
            result[ind_id] = total * scale / den if den else None
        section.cache = result
        section.cache_version = site.version
        return result

    @staticmethod
    def _part(
        site: Site,
        column: str,
        kind: int,
        raw: dict[str, float | None],
        added: dict[str, float],
        share: float | None,
    ) -> float | None:
        if kind == _SUM:
            total = 0.0
            for lv in SCHOOL_TYPE_LEVELS[site.school.school_type]:
                if lv not in LEVELS:
                    continue
                name = f"{lv}_{column}"
                value = raw.get(name)
                if value is None:
                    return None
                total += value + added.get(name, 0.0)
            return total
        value = raw.get(column)
        if value is None:
            return None
        value += added.get(column, 0.0)
        if kind == _SPLIT:
            return None if share is None else value * share
        return value

    def float_field(self, section: Section, field: str) -> float | None:
        """One level-free field of a section in floats (for screening)."""
        site = section.site
        shares = site.shares_float
        share = shares.get(section.level) if shares is not None else None
        column, kind = _spec(field, section.level, self.split_items)
        return self._part(site, column, kind, site.raw.floats, site.add_float, share)

    def indicator(
        self, section: Section, indicator: Indicator
    ) -> tuple[Fraction | None, str | None]:
        """(value, why not) of an indicator for a section (cached per site version)."""
        key = (id(section), indicator.id)
        cached = self._cache.get(key)
        version = section.site.version
        if cached is not None and cached[0] == version:
            return cached[1]
        result = self._indicator(section, indicator)
        self._cache[key] = (version, result)
        return result

    def _indicator(
        self, section: Section, indicator: Indicator
    ) -> tuple[Fraction | None, str | None]:
        total = Fraction(0)
        for name in indicator.numerator:
            part = self.value(section, name)
            if part is None:
                return None, f"missing {name}"
            total += part
        scale = Fraction(indicator.scale)
        if indicator.denominator is None:
            return total * scale, None
        den = self.value(section, indicator.denominator)
        if den is None:
            return None, f"missing {indicator.denominator}"
        if den == 0:
            return None, f"{indicator.denominator} = 0"
        return total * scale / den, None


_PLAIN, _SPLIT, _SUM = 0, 1, 2
_ATTRS = frozenset(n for n in NUMERIC_FIELDS if n != "counted_as_school")
_Spec = tuple[str, int]


def _spec(field: str, level: str, split_items: frozenset[str]) -> _Spec:
    """Where a level-free field is read from, for the float screen."""
    if field in LEVEL_SUFFIXES:
        return f"{level}_{field}", _PLAIN
    if field in ("school_students", "school_classes"):
        return ("students" if field == "school_students" else "classes"), _SUM
    return field, _SPLIT if field in split_items else _PLAIN


def _program(
    indicator: Indicator, level: str, split_items: frozenset[str]
) -> tuple[str, list[_Spec], _Spec | None, float]:
    return (
        indicator.id,
        [_spec(name, level, split_items) for name in indicator.numerator],
        None if indicator.denominator is None else _spec(indicator.denominator, level, split_items),
        float(indicator.scale),
    )


def _merged(schools: Sequence[School], columns: Sequence[str]) -> list[tuple[School, _Raw]]:
    """Counted schools with their sub-sites' values added (computation.md §2)."""
    by_id = {s.school_id: s for s in schools}
    values: dict[str, dict[str, Decimal | None]] = {}
    order: list[School] = []
    for school in schools:
        if school.counted_as_school:
            values[school.school_id] = {
                c: getattr(school, c) if c in _ATTRS else school.value(c) for c in columns
            }
            order.append(school)
    for child in schools:
        if child.counted_as_school:
            continue
        root = _root(child, by_id)
        if root is None or root not in values:
            continue
        before = values[root]
        values[root] = {name: _merge_value(name, before, child) for name in columns}
    return [(school, _Raw(values[school.school_id])) for school in order]


def _merge_value(name: str, merged: Mapping[str, Decimal | None], child: School) -> Decimal | None:
    a, b = merged[name], child.value(name)
    if name in MINIMUM_FIELDS or name in MAXIMUM_FIELDS:
        if a is None or b is None:
            return a if b is None else b
        return min(a, b) if name in MINIMUM_FIELDS else max(a, b)
    prefix = name.split("_", 1)[0]
    if prefix in ALL_LEVELS:
        if not child.value(f"{prefix}_students"):
            return a
        if not merged.get(f"{prefix}_students") and a is None:
            return b
    return None if a is None or b is None else a + b


def _root(school: School, by_id: Mapping[str, School]) -> str | None:
    seen = {school.school_id}
    current = school
    while not current.counted_as_school:
        parent_id = current.parent_school_id
        if parent_id is None or parent_id in seen or parent_id not in by_id:
            return None
        seen.add(parent_id)
        current = by_id[parent_id]
    return current.school_id


def _excluded(
    school: School, raw: Mapping[str, Fraction | None], exclusions: Sequence[Exclusion]
) -> bool:
    for exclusion in exclusions:
        if all(getattr(school, attr) in vals for attr, vals in exclusion.conditions.items()):
            if exclusion.students_below is not None:
                total = Fraction(0)
                known = True
                for lv in SCHOOL_TYPE_LEVELS[school.school_type]:
                    if lv == "senior":
                        continue
                    part = raw.get(f"{lv}_students")
                    if part is None:
                        known = False
                        break
                    total += part
                if not known or total >= Fraction(exclusion.students_below):
                    continue
            return True
    return False


def _shares(
    school: School, raw: Mapping[str, Fraction | None], standard: Standard
) -> dict[str, Fraction] | None:
    levels = SCHOOL_TYPE_LEVELS[school.school_type]
    if len(levels) == 1:
        return {levels[0]: Fraction(1)}
    weights = standard.split.weights.get(school.school_type, {})
    weighted: dict[str, Fraction] = {}
    for level in levels:
        students = raw.get(f"{level}_students")
        if students is None:
            return None
        weighted[level] = Fraction(weights.get(level, Decimal(1))) * students
    total = sum(weighted.values(), Fraction(0))
    if total == 0:
        return None
    return {level: w / total for level, w in weighted.items()}
