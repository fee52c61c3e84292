"""What changes between two standard documents, and in which direction.

Used by ``balance-rules diff`` and by locks (a child layer may tighten a locked
rule but not loosen it).  A change is:

* ``tightened`` / ``loosened`` — a threshold, cap, k, floor or veto moved so that
  fewer / more schools or counties can pass;
* ``added`` / ``removed`` — a rule or indicator exists on one side only;
* ``scope`` / ``split`` — which schools count, or how combined schools split;
* ``changed`` — anything else that can change a result (an operator, an
  indicator's arithmetic, a yes/no expectation);
* ``edited`` — wording only (labels, notes, citations).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

import attrs

from ..data.fields import AUTHORITIES, LOCATIONS, OWNERSHIPS, SCHOOL_TYPES
from .model import Standard

__all__ = ["Change", "diff_standards", "document_changes", "rule_changes"]

Direction = Literal[
    "tightened", "loosened", "added", "removed", "scope", "split", "changed", "edited"
]

_ATTRIBUTE_VALUES: dict[str, tuple[str, ...]] = {
    "location": LOCATIONS,
    "school_type": SCHOOL_TYPES,
    "ownership": OWNERSHIPS,
    "authority": AUTHORITIES,
}
_WORDING = frozenset({"label", "note", "source", "confidence", "unit", "title", "order"})
_UP = {">=": 1, ">": 1, "<=": -1, "<": -1}


@attrs.frozen
class Change:
    """One difference: the path of the value, its direction, old and new values."""

    path: tuple[str, ...]
    direction: Direction
    old: Any = None
    new: Any = None


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(value)


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def _direction(old: Decimal, new: Decimal, up: int) -> Direction | None:
    """``up`` is +1 when a larger value is stricter (≥ rules), −1 when smaller is."""
    if old == new:
        return None
    return "tightened" if (new - old) * up > 0 else "loosened"


def _threshold_cells(
    threshold: Any, levels: Sequence[str], values: Sequence[str]
) -> dict[tuple[str, str], Decimal | None]:
    """The effective threshold per (level, attribute value) — 'default' when unused."""
    cells: dict[tuple[str, str], Decimal | None] = {}
    for level in levels:
        if not isinstance(threshold, Mapping):
            for value in values:
                cells[(level, value)] = _number(threshold)
            continue
        level_value = threshold.get(level)
        for value in values:
            if isinstance(level_value, Mapping):
                chosen = level_value.get(value, level_value.get("default"))
            else:
                chosen = level_value
            cells[(level, value)] = _number(chosen)
    return cells


def _attribute_values(old: Any, new: Any) -> tuple[str, ...] | None:
    bys = {str(t["by"]) for t in (old, new) if isinstance(t, Mapping) and t.get("by")}
    if len(bys) > 1:
        return None  # chosen by different attributes: not comparable cell by cell
    if not bys:
        return ("default",)
    by = bys.pop()
    if by == "size":
        keys = {
            str(key)
            for t in (old, new)
            if isinstance(t, Mapping)
            for cases in t.values()
            if isinstance(cases, Mapping)
            for key in cases
        }
        return tuple(sorted(keys))
    return (*_ATTRIBUTE_VALUES[by], "default")


def _threshold_changes(
    path: tuple[str, ...], old: Any, new: Any, op: str, levels: Sequence[str]
) -> Iterator[Change]:
    if isinstance(old, bool) or isinstance(new, bool):
        if old != new:
            yield Change(path, "changed", old, new)
        return
    values = _attribute_values(old, new)
    if values is None:
        yield Change(path, "changed", old, new)
        return
    before = _threshold_cells(old, levels, values)
    after = _threshold_cells(new, levels, values)
    for (level, value), old_value in before.items():
        new_value = after[(level, value)]
        cell = (*path, level) if value == "default" else (*path, level, value)
        if old_value is None or new_value is None:
            if old_value != new_value:
                yield Change(cell, "changed", old_value, new_value)
            continue
        direction = _direction(old_value, new_value, _UP[op])
        if direction is not None:
            yield Change(cell, direction, old_value, new_value)


def _cap_changes(
    path: tuple[str, ...], old: Any, new: Any, levels: Sequence[str]
) -> Iterator[Change]:
    for level in levels:
        before = _number(old.get(level) if isinstance(old, Mapping) else old)
        after = _number(new.get(level) if isinstance(new, Mapping) else new)
        cell = (*path, level)
        if before == after:
            continue
        if before is None:
            yield Change(cell, "tightened", None, after)  # a cap where there was none
        elif after is None:
            yield Change(cell, "loosened", before, None)
        else:
            direction = _direction(before, after, -1)
            if direction is not None:
                yield Change(cell, direction, before, after)


def rule_changes(
    rule_id: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    levels: Sequence[str],
) -> list[Change]:
    """Every change to one rule, most specific first."""
    path = ("rules", rule_id)
    if old is None and new is None:
        return []
    if old is None:
        return [Change(path, "added", None, new)]
    if new is None:
        return [Change(path, "removed", old, None)]
    changes: list[Change] = []
    if old.get("kind") != new.get("kind"):
        return [Change((*path, "kind"), "changed", old.get("kind"), new.get("kind"))]
    rule_levels = new.get("levels", old.get("levels", levels))
    op_old, op_new = old.get("op"), new.get("op")
    if op_old != op_new:
        changes.append(Change((*path, "op"), "changed", op_old, op_new))
    elif new.get("kind") == "county_fact":
        before, after = old.get("threshold"), new.get("threshold")
        if before != after:
            if isinstance(before, bool) or isinstance(after, bool):
                changes.append(Change((*path, "threshold"), "changed", before, after))
            else:
                moved = _direction(_dec(before), _dec(after), _UP[str(op_new)])
                changes.append(Change((*path, "threshold"), moved or "changed", before, after))
    elif "threshold" in old or "threshold" in new:
        changes += _threshold_changes(
            (*path, "threshold"),
            old.get("threshold"),
            new.get("threshold"),
            str(op_new),
            rule_levels,
        )
    if "max" in old or "max" in new:
        changes += _cap_changes((*path, "max"), old.get("max"), new.get("max"), rule_levels)
    for key, up in (("min_met", 1), ("floor_ratio", 1)):
        before, after = _number(old.get(key)), _number(new.get(key))
        if before == after:
            continue
        step: Direction | None
        if before is None or after is None:
            step = "tightened" if before is None else "loosened"
        else:
            step = _direction(before, after, up)
        changes.append(Change((*path, key), step or "changed", before, after))
    if bool(old.get("veto")) != bool(new.get("veto")):
        changes.append(
            Change(
                (*path, "veto"),
                "tightened" if new.get("veto") else "loosened",
                old.get("veto", False),
                new.get("veto", False),
            )
        )
    handled = {"kind", "op", "threshold", "max", "min_met", "floor_ratio", "veto", "locked"}
    for key in sorted(set(old) | set(new)):
        if key in handled or old.get(key) == new.get(key):
            continue
        changes.append(Change((*path, key), _kind_of(key), old.get(key), new.get(key)))
    return changes


def _kind_of(key: str) -> Direction:
    """A change to wording is "edited"; anything else may change a result."""
    return "edited" if key in _WORDING else "changed"


def _entries(document: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    node: Any = document
    for key in path:
        node = node.get(key, {}) if isinstance(node, Mapping) else {}
    return node if isinstance(node, Mapping) else {}


def document_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every change from the resolved document *old* to *new*."""
    levels = list(dict.fromkeys([*old.get("levels", []), *new.get("levels", [])]))
    changes: list[Change] = []
    if old.get("levels") != new.get("levels"):
        changes.append(Change(("levels",), "changed", old.get("levels"), new.get("levels")))
    old_scope, new_scope = _entries(old, "scope", "exclude"), _entries(new, "scope", "exclude")
    for reason in sorted(set(old_scope) | set(new_scope)):
        before, after = old_scope.get(reason), new_scope.get(reason)
        if before != after:
            changes.append(Change(("scope", "exclude", reason), "scope", before, after))
    for key in ("weights", "items"):
        before, after = _entries(old, "split").get(key), _entries(new, "split").get(key)
        if before != after:
            changes.append(Change(("split", key), "split", before, after))
    old_ind, new_ind = _entries(old, "indicators"), _entries(new, "indicators")
    for ind in sorted(set(old_ind) | set(new_ind)):
        before, after = old_ind.get(ind), new_ind.get(ind)
        if before == after:
            continue
        if before is None or after is None:
            changes.append(
                Change(("indicators", ind), "added" if before is None else "removed", before, after)
            )
            continue
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                changes.append(
                    Change(("indicators", ind, key), _kind_of(key), before.get(key), after.get(key))
                )
    old_groups, new_groups = _entries(old, "groups"), _entries(new, "groups")
    for group in sorted(set(old_groups) | set(new_groups)):
        before, after = old_groups.get(group, {}), new_groups.get(group, {})
        if before.get("required", True) != after.get("required", True) and before and after:
            direction: Direction = "tightened" if after.get("required", True) else "loosened"
            changes.append(
                Change(
                    ("groups", group, "required"),
                    direction,
                    before.get("required", True),
                    after.get("required", True),
                )
            )
    old_rules, new_rules = _entries(old, "rules"), _entries(new, "rules")
    for rule_id in list(old_rules) + [r for r in new_rules if r not in old_rules]:
        changes += rule_changes(rule_id, old_rules.get(rule_id), new_rules.get(rule_id), levels)
    return changes


def diff_standards(old: Standard, new: Standard) -> list[Change]:
    """Every change from standard *old* to standard *new* (resolved, all layers merged).

    Each change's origins are ``old.origin(*change.path)`` and ``new.origin(*change.path)``.
    """
    return document_changes(old.document, new.document)
