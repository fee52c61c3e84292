"""Shortfall planning (补短板测算): the least additions that make a county pass.

``shortfall(standard, county | counties | report, costs=None) -> ShortfallPlan``;
see ``docs/shortfall.md`` for the arithmetic.  Importing this package is light
(no numpy); the planner itself is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import (
    Addition,
    CountyPlan,
    CvChange,
    FloorOption,
    NotPlannable,
    ShortfallPlan,
    Total,
)

if TYPE_CHECKING:
    from .costs import Costs

__all__ = [
    "Addition",
    "Costs",
    "CountyPlan",
    "CvChange",
    "FloorOption",
    "NotPlannable",
    "ShortfallPlan",
    "Total",
    "load_costs",
    "shortfall",
]


def shortfall(
    standard: Any, counties: Any, costs: Any = None, *, report: Any = None
) -> ShortfallPlan:
    """The least additions, school by school, that make each county pass.

    *counties* is a :class:`~balance_rules.County` or an iterable of them;
    *report*, an evaluation of those counties already made (``br.evaluate``),
    saves evaluating them again.  *costs* is a :class:`Costs` (see
    :func:`load_costs`) or a path to a costs file.
    """
    from .planner import plan_shortfall

    return plan_shortfall(standard, counties, costs, report)


def load_costs(path: Any) -> Costs:
    """Read and validate a costs file (YAML); every error with file:line."""
    from .costs import load_costs as _load

    return _load(path)


def __getattr__(name: str) -> Any:
    if name == "Costs":
        from .costs import Costs

        return Costs
    raise AttributeError(name)
