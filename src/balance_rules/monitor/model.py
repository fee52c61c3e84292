"""What annual monitoring produces: plain, immutable attrs objects.

A :class:`Monitoring` holds the evaluation of each year (a
:class:`~balance_rules.Report` per year, under that year's standard) and, per
county, what changed between years: coefficients over time, schools whose status
flipped, coefficients that moved toward or past their caps, schools that appeared
or disappeared, and early warnings.  Renderers read these objects and compute
nothing.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import attrs

from ..report import Report

__all__ = [
    "CVPoint",
    "CVSeries",
    "CountyTrend",
    "CountyYear",
    "EarlyWarningHit",
    "Flip",
    "Headline",
    "Monitoring",
    "Movement",
    "OverviewCell",
    "OverviewRow",
    "Presence",
    "SectionState",
    "YearNote",
]

Verdict = Literal["pass", "fail", "incomplete"]
Direction = Literal["down", "up", "flat"]


@attrs.frozen(kw_only=True)
class CVPoint:
    """One difference coefficient (or composite) of one county, level and year."""

    rule: str
    level: str
    indicator: str
    composite: bool
    value: float | None
    max: Decimal | None
    passed: bool | None
    #: The exact CV² (one for a CV, one per indicator for a composite), kept only
    #: where an early warning's decision is near its boundary (None elsewhere, and
    #: from a ready Report); see ``engine.exact.cv_reaches``.
    squares: tuple[Fraction, ...] | None = attrs.field(default=None, eq=False, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as a plain tuple (a nation's years travel between Dask workers).
        return (_cv_point, (self.rule, self.level, self.indicator, self.composite, self.value,
                            self.max, self.passed, self.squares))  # fmt: skip


@attrs.frozen(kw_only=True)
class SectionState:
    """One school section's result in one year, reduced to what monitoring compares."""

    school_id: str
    name: str
    school_type: str
    level: str
    passed: bool | None
    #: Indicators (or rule ids, for rules without one) of deciding findings that fail.
    failing: tuple[str, ...] = ()
    #: The k-of-n rule of the section, its status, and how many of how many were met.
    k_rule: str | None = None
    k_passed: bool | None = None
    met: int | None = None
    of: int | None = None
    #: Sub-sites merged into this school in that year's data.
    merged: tuple[str, ...] = ()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_section_state, (self.school_id, self.name, self.school_type, self.level,
                                 self.passed, self.failing, self.k_rule, self.k_passed,
                                 self.met, self.of, self.merged))  # fmt: skip


@attrs.frozen(kw_only=True)
class CountyYear:
    """One county in one year: verdict, coefficients and school sections."""

    county: str
    year: int
    standard: str
    verdict: Verdict
    coefficients: tuple[CVPoint, ...]
    sections: tuple[SectionState, ...]

    def __reduce__(self) -> tuple[Any, ...]:
        return (_county_year, (self.county, self.year, self.standard, self.verdict,
                               self.coefficients, self.sections))  # fmt: skip


def _cv_point(
    rule: str, level: str, indicator: str, composite: bool, value: float | None,
    max: Decimal | None, passed: bool | None, squares: tuple[Fraction, ...] | None,
) -> CVPoint:  # fmt: skip
    return CVPoint(rule=rule, level=level, indicator=indicator, composite=composite,
                   value=value, max=max, passed=passed, squares=squares)  # fmt: skip


def _section_state(
    school_id: str, name: str, school_type: str, level: str, passed: bool | None,
    failing: tuple[str, ...], k_rule: str | None, k_passed: bool | None, met: int | None,
    of: int | None, merged: tuple[str, ...],
) -> SectionState:  # fmt: skip
    return SectionState(school_id=school_id, name=name, school_type=school_type, level=level,
                        passed=passed, failing=failing, k_rule=k_rule, k_passed=k_passed,
                        met=met, of=of, merged=merged)  # fmt: skip


def _county_year(
    county: str, year: int, standard: str, verdict: Verdict,
    coefficients: tuple[CVPoint, ...], sections: tuple[SectionState, ...],
) -> CountyYear:  # fmt: skip
    return CountyYear(county=county, year=year, standard=standard, verdict=verdict,
                      coefficients=coefficients, sections=sections)  # fmt: skip


@attrs.frozen(kw_only=True)
class CVSeries:
    """One coefficient of one county over the years (None where not computed)."""

    rule: str
    level: str
    indicator: str
    composite: bool
    points: tuple[tuple[int, CVPoint | None], ...]
    #: Change from the second-last to the last year with a value.
    direction: Direction | None = None
    #: Per year, the change since the previous year with a value (None: no such year).
    changes: tuple[tuple[int, Direction | None], ...] = ()


@attrs.frozen(kw_only=True)
class Flip:
    """A school section whose status changed between two consecutive years."""

    school_id: str
    name: str
    level: str
    from_year: int
    to_year: int
    before: bool | None
    after: bool | None
    #: For pass → fail: indicators failing now that did not before; fail → pass: fixed ones.
    causes: tuple[str, ...]


@attrs.frozen(kw_only=True)
class Movement:
    """A coefficient that moved toward its cap or past it between two years."""

    rule: str
    level: str
    indicator: str
    composite: bool
    from_year: int
    to_year: int
    before: float
    after: float
    max: Decimal
    #: ``toward``: still within the cap but closer; ``past``: now over it;
    #: ``back``: back within the cap after being over it.
    change: Literal["toward", "past", "back"]


@attrs.frozen(kw_only=True)
class Presence:
    """A school's history event: opened, closed, merged, a changed id, a reused id."""

    school_id: str
    name: str
    year: int
    event: Literal["opened", "closed", "merged", "renamed", "id_reused"]
    #: The other id (the new id of a renamed school, the school a closed one merged into).
    other: str | None = None
    detail: str | None = None


@attrs.frozen(kw_only=True)
class EarlyWarningHit:
    """An early-warning rule that fired for one county (and school section) in one year."""

    rule: str
    kind: str
    severity: Literal["yellow", "red"]
    county: str
    year: int
    level: str | None
    indicator: str | None
    school_id: str | None
    value: float | None
    previous: float | None
    threshold: Decimal | None
    #: The warning's own figure (the margin or the rise).
    figure: Decimal | None
    label: str
    label_en: str | None
    source: str
    layer: str
    confidence: str


@attrs.frozen(kw_only=True)
class YearNote:
    """Something the reader must know about a year or a county: a gap, a reuse, a change."""

    code: str
    message: str
    message_en: str
    year: int | None = None
    county: str | None = None


@attrs.frozen(kw_only=True)
class Headline:
    """The figures of a published verdict sentence for one county's latest year.

    综合差异系数小学 0.335、初中 0.328，均达到国家规定要求（小学 ≤ 0.65，初中 ≤ 0.55），
    且较上年呈下降趋势: per level the deciding figure (the composite where the
    standard caps it, else the highest single CV) with its cap, whether all meet
    their caps, and the direction since the year before (None if mixed or unknown).
    """

    year: int
    composite: bool
    #: (level, value, cap, passed) per level.
    parts: tuple[tuple[str, float, Decimal, bool | None], ...]
    all_passed: bool
    direction: Direction | None
    national: bool


@attrs.frozen(kw_only=True)
class CountyTrend:
    """One county over the monitored years, and what changed."""

    county: str
    years: tuple[tuple[int, CountyYear | None], ...]
    coefficients: tuple[CVSeries, ...]
    flips: tuple[Flip, ...]
    movements: tuple[Movement, ...]
    presence: tuple[Presence, ...]
    warnings: tuple[EarlyWarningHit, ...]
    headline: Headline | None = None
    notes: tuple[YearNote, ...] = ()

    def verdict(self, year: int) -> Verdict | None:
        """The county's verdict in *year*, None without data."""
        data = dict(self.years).get(year)
        return None if data is None else data.verdict


@attrs.frozen(kw_only=True)
class OverviewCell:
    """One county in one year of the overview's heat-map."""

    year: int
    verdict: Verdict | None
    #: The highest ratio CV ÷ cap that year (above 1: over the cap), for display.
    worst_ratio: float | None
    warnings: int


@attrs.frozen(kw_only=True)
class OverviewRow:
    """One county's line of a province's overview (sorted by urgency)."""

    county: str
    verdicts: tuple[tuple[int, Verdict | None], ...]
    #: The verdict of the latest year with data for the county.
    latest: Verdict | None
    #: The latest year's coefficient nearest its cap (or furthest over it).
    worst_rule: str | None
    worst_level: str | None
    worst_indicator: str | None
    worst_value: float | None
    worst_max: Decimal | None
    red: int
    yellow: int
    flips_to_fail: int
    cells: tuple[OverviewCell, ...] = ()
    #: 1 for the most urgent county: latest verdict (fail, incomplete, pass), then red
    #: warnings, then the worst coefficient's ratio to its cap, then yellow warnings.
    urgency: int


@attrs.frozen(kw_only=True)
class Monitoring:
    """Several years evaluated, each under its own standard, and compared."""

    years: tuple[int, ...]
    reports: tuple[tuple[int, Report], ...]
    standards: tuple[tuple[int, str], ...]
    counties: tuple[CountyTrend, ...]
    overview: tuple[OverviewRow, ...]
    notes: tuple[YearNote, ...] = ()

    def report(self, year: int) -> Report:
        """The evaluation of *year*."""
        return dict(self.reports)[year]

    @property
    def passed(self) -> bool:
        """True when every county passes in the latest year it has data for."""
        return all(row.latest == "pass" for row in self.overview)
