"""The plan objects: plain, immutable attrs classes every shortfall renderer reads.

Amounts are exact :class:`~decimal.Decimal` values in the unit of the canonical
input column that grows (persons, m², 台, 册, 间, 元 for equipment value, whose
step is 100 元 = 0.01 万元).  Renderers format them; they never compute one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, Literal

import attrs

from ..report import built_once

__all__ = [
    "Addition",
    "CountyPlan",
    "CvChange",
    "FloorOption",
    "Mode",
    "NotPlannable",
    "SchoolPlan",
    "SchoolTotal",
    "ShortfallPlan",
    "Total",
]

#: How an addition is made: hire people, designate/upgrade people already there
#: (the teacher total stays), build area, buy equipment, computers, books, rooms.
Mode = Literal["hire", "designate", "upgrade", "build", "buy"]


@attrs.frozen(kw_only=True)
class Addition:
    """One addition to one school's input column, serving one rule.

    ``level`` is the section level for per-level columns (teachers), ``None`` for
    whole-school facilities (split between a combined school's sections by the
    standard's weights).  ``before``/``after`` are the column's values (after the
    sub-sites are merged into the school) around this plan's total addition to it.
    """

    school_id: str
    name: str
    level: str | None
    field: str
    add: Decimal
    unit: str
    rule: str
    indicator: str | None
    mode: Mode
    before: Decimal | None
    after: Decimal | None
    cost: Decimal | None = None
    #: Why: "threshold", "floor" (k of n: stops at the floor), "cv" (water-filling),
    #: "composite", "hire" (the teacher total grows with a hire).
    reason: str = "threshold"


@attrs.frozen(kw_only=True)
class NotPlannable:
    """A failing or undecidable rule the planner cannot fix by adding resources."""

    rule: str
    reason: str
    school_id: str | None = None
    level: str | None = None
    indicator: str | None = None


@attrs.frozen(kw_only=True)
class FloorOption:
    """Without costs: one failing indicator of a k-of-n school may stop at the floor."""

    school_id: str
    level: str
    rule: str
    indicator: str
    field: str
    saves: Decimal
    unit: str


@attrs.frozen(kw_only=True)
class CvChange:
    """A difference coefficient before and after the plan."""

    rule: str
    level: str
    indicator: str
    cap: Decimal | None
    before: float | None
    after: float | None
    #: "water-filling" for a single CV; the composite method otherwise; None if untouched.
    method: str | None = None
    #: The common level every raised section ends at (indicator units), for display.
    water_level: float | None = None


@attrs.frozen(kw_only=True)
class Total:
    """The plan's total of one resource in one county."""

    field: str
    unit: str
    add: Decimal
    cost: Decimal | None = None


@attrs.frozen(kw_only=True)
class SchoolTotal:
    """One school's total addition to one column (all rules together)."""

    field: str
    level: str | None
    unit: str
    add: Decimal
    before: Decimal | None
    after: Decimal | None
    rules: tuple[str, ...]
    cost: Decimal | None = None


@attrs.frozen(kw_only=True)
class SchoolPlan:
    """Everything one school receives; ``share`` is its part of the county's bill
    (the mean, over the resources it receives, of its share of the county total;
    by cost when costs are given), which orders the schools largest first."""

    school_id: str
    name: str
    items: tuple[SchoolTotal, ...]
    share: float
    cost: Decimal | None = None


@attrs.frozen(kw_only=True, eq=False, repr=False)
class CountyPlan:
    """The plan for one county and the verdict it would get with the plan applied.

    ``additions``, ``totals``, ``coefficients``, ``not_plannable``,
    ``floor_options`` and ``schools`` may be given as functions that build them
    (as the evaluation Report's findings are): they are then built when first
    read, so a nation's plan does not make every school's summary until an
    output reads it.  Equality and ``repr`` read the built values.
    """

    county: str
    verdict_before: str
    verdict_after: str
    _additions: tuple[Addition, ...] | Callable[[], Iterable[Addition]]
    _totals: tuple[Total, ...] | Callable[[], Iterable[Total]]
    total_cost: Decimal | None
    _coefficients: tuple[CvChange, ...] | Callable[[], Iterable[CvChange]]
    _not_plannable: tuple[NotPlannable, ...] | Callable[[], Iterable[NotPlannable]] = ()
    _floor_options: tuple[FloorOption, ...] | Callable[[], Iterable[FloorOption]] = ()
    #: Per school, largest additions first.
    _schools: tuple[SchoolPlan, ...] | Callable[[], Iterable[SchoolPlan]] = ()
    notes: tuple[str, ...] = ()

    @property
    def additions(self) -> tuple[Addition, ...]:
        found: tuple[Addition, ...] = built_once(self, "_additions")
        return found

    @property
    def totals(self) -> tuple[Total, ...]:
        found: tuple[Total, ...] = built_once(self, "_totals")
        return found

    @property
    def coefficients(self) -> tuple[CvChange, ...]:
        found: tuple[CvChange, ...] = built_once(self, "_coefficients")
        return found

    @property
    def not_plannable(self) -> tuple[NotPlannable, ...]:
        found: tuple[NotPlannable, ...] = built_once(self, "_not_plannable")
        return found

    @property
    def floor_options(self) -> tuple[FloorOption, ...]:
        found: tuple[FloorOption, ...] = built_once(self, "_floor_options")
        return found

    @property
    def schools(self) -> tuple[SchoolPlan, ...]:
        """Per school, largest additions first."""
        found: tuple[SchoolPlan, ...] = built_once(self, "_schools")
        return found

    @property
    def empty(self) -> bool:
        return not self.additions

    def _key(self) -> tuple[Any, ...]:
        return (self.county, self.verdict_before, self.verdict_after, self.additions,
                self.totals, self.total_cost, self.coefficients, self.not_plannable,
                self.floor_options, self.schools, self.notes)  # fmt: skip

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CountyPlan):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        names = ("county", "verdict_before", "verdict_after", "additions", "totals",
                 "total_cost", "coefficients", "not_plannable", "floor_options", "schools",
                 "notes")  # fmt: skip
        parts = ", ".join(f"{n}={v!r}" for n, v in zip(names, self._key(), strict=True))
        return f"CountyPlan({parts})"


@attrs.frozen(kw_only=True)
class ShortfallPlan:
    """Plans for every county of a run, against one standard."""

    standard_id: str
    counties: tuple[CountyPlan, ...]
    costed: bool = False
    costs_source: str | None = None
