"""Checks the schema cannot express, on a merged, schema-valid standard document.

Each problem names the file and line of the offending value (through the merged
provenance) and suggests the closest known name where one fits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from ..data.fields import FACILITY_FIELDS, FACTS, LOCATIONS, SCHOOL_TYPES, SECTION_FIELDS
from ..errors import Problem, did_you_mean
from .schema import format_path

__all__ = ["semantic_problems"]

Locate = Callable[[tuple[Any, ...]], tuple[str, int | None]]

_ATTRIBUTE_VALUES: dict[str, tuple[str, ...]] = {
    "location": LOCATIONS,
    "school_type": SCHOOL_TYPES,
    "ownership": ("public", "private"),
    "authority": ("county", "city", "province", "central", "other"),
}


def semantic_problems(document: dict[str, Any], locate: Locate) -> Iterator[Problem]:
    """Yield every cross-reference or consistency problem in *document*."""

    def problem(path: tuple[Any, ...], message: str, suggestion: str | None = None) -> Problem:
        file, line = locate(path)
        return Problem(message, file=file, line=line, path=format_path(path), suggestion=suggestion)

    levels = tuple(document["levels"])
    fields = set(SECTION_FIELDS) | set(document.get("fields", {}))
    indicators = document["indicators"]
    groups = document["groups"]
    rules = document["rules"]

    for index, item in enumerate(document["split"]["items"]):
        if item not in set(FACILITY_FIELDS) | set(document.get("fields", {})):
            yield problem(
                ("split", "items", index),
                f"unknown split item {item!r}: not a facility column or a declared field",
                did_you_mean(item, [*FACILITY_FIELDS, *document.get("fields", {})]),
            )

    for ind_id, indicator in indicators.items():
        numerator = indicator["numerator"]
        names = [numerator] if isinstance(numerator, str) else list(numerator)
        for name in names:
            if name not in fields:
                yield problem(
                    ("indicators", ind_id, "numerator"),
                    f"unknown field {name!r} (declare extra columns under `fields:`)",
                    did_you_mean(name, fields),
                )
        denominator = indicator.get("denominator")
        if denominator is not None and denominator not in fields:
            yield problem(
                ("indicators", ind_id, "denominator"),
                f"unknown field {denominator!r} (declare extra columns under `fields:`)",
                did_you_mean(denominator, fields),
            )

    if not rules:
        yield problem(("rules",), "a standard needs at least one rule")

    for rule_id, rule in rules.items():
        path = ("rules", rule_id)
        if rule["group"] not in groups:
            yield problem(
                (*path, "group"),
                f"rule {rule_id!r} is in unknown group {rule['group']!r}",
                did_you_mean(rule["group"], groups),
            )
        rule_levels = rule.get("levels", levels)
        for index, level in enumerate(rule.get("levels", [])):
            if level not in levels:
                yield problem(
                    (*path, "levels", index),
                    f"level {level!r} is not one of the standard's levels ({', '.join(levels)})",
                )
        kind = rule["kind"]
        if kind == "school_threshold":
            yield from _check_indicator(
                problem, (*path, "indicator"), rule["indicator"], indicators
            )
            yield from _check_threshold(problem, path, rule, rule_levels)
        elif kind == "school_k_of_n":
            members = rule["rules"]
            for index, member in enumerate(members):
                target = rules.get(member)
                if target is None:
                    yield problem(
                        (*path, "rules", index),
                        f"unknown rule {member!r}",
                        did_you_mean(member, rules),
                    )
                elif target["kind"] != "school_threshold":
                    yield problem(
                        (*path, "rules", index),
                        f"rule {member!r} is a {target['kind']} rule; "
                        "k of n counts school_threshold rules only",
                    )
            if rule["min_met"] > len(members):
                yield problem(
                    (*path, "min_met"),
                    f"min_met is {rule['min_met']} but only {len(members)} rules are listed",
                )
        elif kind in ("coefficients", "composite"):
            for index, ind in enumerate(rule["indicators"]):
                yield from _check_indicator(problem, (*path, "indicators", index), ind, indicators)
            cap = rule.get("max")
            if isinstance(cap, dict):
                for level in rule_levels:
                    if level not in cap:
                        yield problem(
                            (*path, "max"), f"no cap for level {level!r} (give max.{level})"
                        )
            if cap is None and rule.get("rounding") is not None:
                yield problem((*path, "rounding"), "rounding without a max has no effect")
        elif kind == "county_fact":
            yield from _check_fact(problem, path, rule, document.get("fields", {}), fields)
        elif kind in _WARNING_WATCHES:
            watched = rules.get(rule["watches"])
            wanted = _WARNING_WATCHES[kind]
            if watched is None:
                yield problem(
                    (*path, "watches"),
                    f"unknown rule {rule['watches']!r}",
                    did_you_mean(rule["watches"], rules),
                )
            elif watched["kind"] not in wanted:
                yield problem(
                    (*path, "watches"),
                    f"rule {rule['watches']!r} is a {watched['kind']} rule; "
                    f"{kind} watches {' or '.join(wanted)} rules",
                )


#: Early-warning kinds (annual monitoring) and the kinds of rule each may watch.
_WARNING_WATCHES = {
    "warning_cv_margin": ("coefficients", "composite"),
    "warning_cv_rise": ("coefficients", "composite"),
    "warning_k_of_n_lost": ("school_k_of_n",),
}


def _check_indicator(
    problem: Callable[..., Problem], path: tuple[Any, ...], name: str, indicators: dict[str, Any]
) -> Iterator[Problem]:
    if name not in indicators:
        yield problem(path, f"unknown indicator {name!r}", did_you_mean(name, indicators))


def _check_threshold(
    problem: Callable[..., Problem],
    path: tuple[Any, ...],
    rule: dict[str, Any],
    levels: tuple[str, ...] | list[str],
) -> Iterator[Problem]:
    threshold = rule["threshold"]
    tpath = (*path, "threshold")
    if not isinstance(threshold, dict):
        return
    by = threshold.get("by")
    for level in levels:
        if level not in threshold:
            yield problem(tpath, f"no threshold for level {level!r} (give threshold.{level})")
    for level, value in threshold.items():
        if level == "by" or not isinstance(value, dict):
            continue
        if by is None:
            yield problem(
                (*tpath, level),
                "a threshold that varies by school attribute needs `by:` "
                "(location, school_type, ownership, authority or size)",
            )
            continue
        if by == "size":
            for case in value:
                if case != "default" and not re.fullmatch(r"under_[1-9][0-9]*", case):
                    yield problem(
                        (*tpath, level, case),
                        f"{case!r} is not a size band: write under_N (fewer than N students) "
                        "or 'default'",
                    )
            if "default" not in value:
                yield problem((*tpath, level), "a threshold by size needs a 'default' case")
            continue
        allowed = _ATTRIBUTE_VALUES[by]
        for case in value:
            if case != "default" and case not in allowed:
                yield problem(
                    (*tpath, level, case),
                    f"{case!r} is not a {by} value ({', '.join(allowed)}) nor 'default'",
                    did_you_mean(case, [*allowed, "default"]),
                )
        if "default" not in value and not set(allowed) <= set(value):
            missing = ", ".join(a for a in allowed if a not in value)
            yield problem(
                (*tpath, level),
                f"no threshold for {by} {missing}: add those cases or a 'default'",
            )


def _check_fact(
    problem: Callable[..., Problem],
    path: tuple[Any, ...],
    rule: dict[str, Any],
    declared: dict[str, Any],
    fields: set[str],
) -> Iterator[Problem]:
    fact = rule["fact"]
    kind = FACTS.get(fact)
    if kind is None and fact not in declared:
        yield problem(
            (*path, "fact"),
            f"unknown county fact {fact!r} (declare new facts under `fields:`)",
            did_you_mean(fact, [*FACTS, *declared]),
        )
    threshold = rule["threshold"]
    if isinstance(threshold, bool) != (rule["op"] == "=="):
        yield problem(
            (*path, "op"),
            "a yes/no fact is checked with op '==' and threshold true or false; "
            "a number with >=, >, <= or <",
        )
    elif kind == "bool" and not isinstance(threshold, bool):
        yield problem((*path, "threshold"), f"fact {fact!r} is yes/no: use true or false")
    elif kind not in (None, "bool") and isinstance(threshold, bool):
        yield problem((*path, "threshold"), f"fact {fact!r} is a number: compare it with one")
    derive = rule.get("derive")
    if derive:
        for key in ("numerator", "denominator"):
            if derive[key] not in fields:
                yield problem(
                    (*path, "derive", key),
                    f"unknown field {derive[key]!r}",
                    did_you_mean(derive[key], fields),
                )
