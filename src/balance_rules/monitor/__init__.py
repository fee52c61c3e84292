"""Annual monitoring (年度监测): several years evaluated and compared.

``br.monitor({2022: counties_2022, 2023: counties_2023}, standard)`` evaluates each
year under its standard and returns a :class:`Monitoring`: the per-year reports,
per county the coefficients over time, schools whose status flipped, coefficients
that moved toward or past their caps, schools that opened, closed, merged or
changed id, early warnings (``warning_*`` rules of the standard) and a
province's overview sorted by urgency.  Files: :func:`read_years`.
"""

from __future__ import annotations

from .core import DEFAULT_STANDARD, compare_years, monitor
from .model import (
    CountyTrend,
    CountyYear,
    CVPoint,
    CVSeries,
    EarlyWarningHit,
    Flip,
    Headline,
    Monitoring,
    Movement,
    OverviewRow,
    Presence,
    SectionState,
    YearNote,
)

__all__ = [
    "DEFAULT_STANDARD",
    "CVPoint",
    "CVSeries",
    "CountyTrend",
    "CountyYear",
    "EarlyWarningHit",
    "Flip",
    "Headline",
    "Monitoring",
    "Movement",
    "OverviewRow",
    "Presence",
    "SectionState",
    "YearNote",
    "compare_years",
    "monitor",
]
