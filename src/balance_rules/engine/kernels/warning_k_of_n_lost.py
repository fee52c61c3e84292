"""``warning_k_of_n_lost``: a school section that met its k-of-n rule last year and not now.

Sections are matched by school id (last year's ids already mapped to this
year's by the monitor) and level; an unknown status (not evaluated) is no loss.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Kernel
from .warning import CompiledWarning, Hit, compile, explain, record

if TYPE_CHECKING:
    from ...monitor.model import CountyYear

__all__ = ["KERNEL", "run"]


def run(compiled: CompiledWarning, current: CountyYear, previous: CountyYear | None) -> list[Hit]:
    """This year's sections failing the watched k-of-n rule that met it last year."""
    if previous is None:
        return []
    rule = compiled.rule
    before = {
        (s.school_id, s.level): s
        for s in previous.sections
        if s.k_rule == rule.watches and s.k_passed is True
    }
    hits = []
    for section in current.sections:
        if section.k_rule != rule.watches or section.k_passed is not False:
            continue
        if section.level not in rule.levels or (section.school_id, section.level) not in before:
            continue
        old = before[(section.school_id, section.level)]
        hits.append(
            Hit(
                level=section.level,
                school_id=section.school_id,
                value=None if section.met is None else float(section.met),
                previous=None if old.met is None else float(old.met),
            )
        )
    return hits


KERNEL = Kernel(
    kind="warning_k_of_n_lost",
    stage=3,
    compile=compile,
    run=run,
    record=record,
    explain=explain,
    needs_previous=True,
)
