"""A county as the planner sees it: the core's sections, and the plan's additions.

Scope, sub-site merging and combined-school split shares are the evaluation
core's (read through :mod:`balance_rules.engine.inputs`); this module only keeps
every addition the plan makes per school column, so that values after additions
are exact.  Whatever the planner decides is confirmed by re-evaluating the county
through the core; a disagreement is reported as a bug, never printed as a plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import attrs

from ..data.fields import (
    ALL_LEVELS,
    LEVEL_SUFFIXES,
    LEVELS,
    NUMERIC_FIELDS,
    SCHOOL_TYPE_LEVELS,
)
from ..data.model import School
from ..standard.model import Indicator, Standard

if TYPE_CHECKING:
    from ..engine.inputs import SiteInput

__all__ = ["Section", "Site", "WorkCounty", "column_of"]


class _Lazy(dict[str, "Decimal | None"]):
    """A school's columns as Decimals, read from the School on first use."""

    def __init__(self, school: School, columns: frozenset[str]) -> None:
        super().__init__()
        self.school = school
        self.columns = columns

    def __contains__(self, key: object) -> bool:
        return key in self.columns

    def __missing__(self, key: str) -> Decimal | None:
        school = self.school
        value = getattr(school, key) if key in _ATTRS else school.value(key)
        self[key] = value
        return value


class _Floats(dict[str, "float | None"]):
    """A school's columns in floats, each converted on first use."""

    def __init__(self, decimals: _Lazy) -> None:
        super().__init__()
        self.decimals = decimals

    def __missing__(self, key: str) -> float | None:
        decimals = self.decimals
        # (not decimals.get: that would not read the School through __missing__)
        value = decimals[key] if key in decimals else None  # noqa: SIM401
        found = self[key] = None if value is None else float(value)
        return found


class _Raw(dict[str, "Fraction | None"]):
    """Merged column values: exact Fractions made on first use from the Decimals."""

    def __init__(self, decimals: _Lazy) -> None:
        super().__init__()
        self.decimals = decimals
        self._floats: dict[str, float | None] | None = None

    @property
    def floats(self) -> dict[str, float | None]:
        """The columns in floats (for screening only), each made when first read
        (``floats[name]``; None for a missing value or a column not read)."""
        if self._floats is None:
            self._floats = _Floats(self.decimals)
        return self._floats

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
    add: dict[str, Fraction | int] = attrs.Factory(dict)
    shares: dict[str, Fraction] | None = None
    shares_float: dict[str, float] | None = None
    #: Bumped by every addition (cached section values of older versions are stale).
    version: int = 0
    add_float: dict[str, float] = attrs.Factory(dict)
    #: The school's row in the core's table (its counted parent's row).
    row: int = -1

    def grow(self, column: str, amount: Fraction | int) -> None:
        current = self.add.get(column)
        total = self.add[column] = amount if current is None else current + amount
        self.add_float[column] = float(total)
        self.version += 1

    def column_float(self, name: str) -> float | None:
        """The column in floats (for screening only; decisions use :meth:`column`)."""
        value = self.raw.floats[name]
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
    #: The section's place in the core result's level (``result.levels[level]``).
    index: int = -1
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

    def __init__(
        self,
        standard: Standard,
        sites: Sequence[SiteInput],
        columns: Iterable[str],
        core_values: Mapping[str, Mapping[str, list[float]]] | None = None,
    ) -> None:
        self.standard = standard
        #: Per level and indicator, every section's value as the core computed it
        #: (floats, NaN missing): the screen of a school the plan has not changed.
        self.core_values = core_values
        columns = tuple(columns)
        shared = _SHARED.get(id(standard))
        if shared is None or shared[0] is not standard or shared[1] != columns:
            split_items = frozenset(standard.split.items)
            shared = (
                standard,
                columns,
                split_items,
                tuple(sorted(set(columns) | {f"{lv}_students" for lv in ALL_LEVELS})),
                frozenset(name for ind in standard.indicators.values() for name in ind.fields),
                {
                    level: [
                        _program(ind, level, split_items) for ind in standard.indicators.values()
                    ]
                    for level in standard.levels
                },
            )
            if len(_SHARED) >= 32:
                _SHARED.pop(next(iter(_SHARED)))
            _SHARED[id(standard)] = shared
        self.split_items = shared[2]
        self.columns = shared[3]
        self.sites: list[Site] = []
        self.sections: list[Section] = []
        self.by_id: dict[str, Site] = {}
        #: The section at (level, index in the core's level), and its place here.
        self.section_at: dict[tuple[str, int], Section] = {}
        self.position: dict[tuple[str, int], int] = {}
        self._cache: dict[tuple[int, str], tuple[int, tuple[Fraction | None, str | None]]] = {}
        #: Level-free fields the float screen reads (the others go the exact way).
        self.plain_fields = shared[4]
        self._programs = shared[5]
        columns_set = frozenset(self.columns)
        for given in sites:
            school = given.school
            raw = _Raw(_Lazy(school, columns_set))
            site = Site(school, raw, shares=given.shares, row=given.row)
            if given.shares is not None:
                site.shares_float = {k: float(v) for k, v in given.shares.items()}
            self.sites.append(site)
            self.by_id[school.school_id] = site
            for level, index in given.sections:
                section = Section(site, level, index=index)
                self.section_at[(level, index)] = section
                self.position[(level, index)] = len(self.sections)
                self.sections.append(section)

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
        if site.version == 0 and self.core_values is not None and section.index >= 0:
            i = section.index
            core: dict[str, float | None] = {
                ind_id: (None if value != value else value)
                for ind_id, values in self.core_values[section.level].items()
                for value in (values[i],)
            }
            section.cache = core
            section.cache_version = 0
            return core
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
                value = raw[name]
                if value is None:
                    return None
                total += value + added.get(name, 0.0)
            return total
        value = raw[column]
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
#: Per standard (by id, the object kept to check it): what every county's model
#: shares — (standard, columns, split items, columns read, plain fields, programs).
_SHARED: dict[int, tuple[Any, ...]] = {}
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
