"""``warning_cv_margin``: a CV that meets its cap but lies within a margin of it.

cap − margin ≤ CV ≤ cap.  A CV over its cap is a failure of the evaluation,
never a margin warning; an unknown CV is not evaluated.  Near cap − margin the
exact step decides from the CV's exact square (CV ≥ b ⟺ S²/X̄² ≥ b²).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ..exact import cv_reaches
from .base import Kernel
from .warning import CompiledWarning, Hit, compile, explain, record, watched

if TYPE_CHECKING:
    from ...monitor.model import CountyYear

__all__ = ["KERNEL", "run"]


def run(compiled: CompiledWarning, current: CountyYear, previous: CountyYear | None) -> list[Hit]:
    """The watched CVs of this year within the margin of their caps."""
    margin = compiled.rule.margin or Decimal(0)
    hits = []
    for (level, indicator), point in watched(compiled, current).items():
        if point.value is None or point.max is None or point.passed is not True:
            continue
        if cv_reaches(point.value, point.max - margin, point.squares):
            hits.append(
                Hit(level=level, indicator=indicator, value=point.value, threshold=point.max)
            )
    return hits


KERNEL = Kernel(
    kind="warning_cv_margin",
    stage=3,
    compile=compile,
    run=run,
    record=record,
    explain=explain,
    needs_previous=True,
)
