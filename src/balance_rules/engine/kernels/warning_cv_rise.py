"""``warning_cv_rise``: a CV that rose by more than a given amount on the year before.

Near the boundary the exact step decides from both CVs' exact squares: exactly
when both are rational, otherwise to 50 significant digits (the difference of
two irrational CVs).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ..exact import rise_exceeds
from .base import Kernel
from .warning import CompiledWarning, Hit, compile, explain, record, watched

if TYPE_CHECKING:
    from ...monitor.model import CountyYear

__all__ = ["KERNEL", "run"]


def run(compiled: CompiledWarning, current: CountyYear, previous: CountyYear | None) -> list[Hit]:
    """The watched CVs up by more than the rule's ``rise`` since last year."""
    rise = compiled.rule.rise or Decimal(0)
    before = watched(compiled, previous)
    hits = []
    for key, point in watched(compiled, current).items():
        old = before.get(key)
        if point.value is None or old is None or old.value is None:
            continue
        if rise_exceeds(point.value, old.value, rise, point.squares, old.squares):
            hits.append(
                Hit(
                    level=key[0],
                    indicator=key[1],
                    value=point.value,
                    previous=old.value,
                    threshold=point.max,
                )
            )
    return hits


KERNEL = Kernel(
    kind="warning_cv_rise",
    stage=3,
    compile=compile,
    run=run,
    record=record,
    explain=explain,
    needs_previous=True,
)
