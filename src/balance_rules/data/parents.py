"""Loops of sub-site parents, in plain Python (no NumPy: ``sections`` imports it)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

__all__ = ["parent_cycles"]

_Key = TypeVar("_Key", bound=Hashable)


def parent_cycles(
    ids: Sequence[_Key], parents: Sequence[_Key | None], counted: Sequence[bool]
) -> list[list[_Key]]:
    """Every loop of sub-sites that name each other (or themselves) as parent.

    Only sub-sites (not counted as schools) follow their parent, so a loop can
    only run through sub-sites; each is returned once, in the order it is met.
    """
    row_of = {school_id: i for i, school_id in enumerate(ids)}
    state = [0] * len(ids)  # 0 unseen, 1 on the current path, 2 done
    cycles: list[list[_Key]] = []
    for start in range(len(ids)):
        if counted[start] or state[start]:
            continue
        path: list[int] = []
        current: int | None = start
        while current is not None and not counted[current] and state[current] == 0:
            state[current] = 1
            path.append(current)
            parent = parents[current]
            current = row_of.get(parent) if parent is not None else None
        if current is not None and state[current] == 1:
            cycles.append([ids[i] for i in path[path.index(current) :]])
        for i in path:
            state[i] = 2
    return cycles
