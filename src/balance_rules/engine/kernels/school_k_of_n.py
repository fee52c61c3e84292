"""``school_k_of_n``: at least ``min_met`` of some threshold rules pass for a section.

With ``floor_ratio``, every unmet member must still reach that share of its
threshold (the weakest one is named).  Runs after the threshold rules, over
their outcomes; a weakest ratio within a hair of the floor goes to the exact step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from ...standard.model import SchoolKOfN, SchoolThreshold
from ..exact import Calc, lowest_below_floor, near
from ..plan import Plan, layer_of
from .base import FAIL, NOT_EVALUATED, PASS, Kernel, Outcome, Result, Run, base_record, finding_of
from .school_threshold import missing_inputs

__all__ = ["KERNEL"]


@attrs.frozen
class Compiled:
    rule: SchoolKOfN
    decides: bool
    layer: str
    #: member rule id -> (indicator arithmetic, operator) for threshold members
    members: dict[str, tuple[Calc, str]]
    #: every member rule id -> its operator
    ops: dict[str, str]


def compile(rule: SchoolKOfN, plan: Plan) -> Compiled:
    members: dict[str, tuple[Calc, str]] = {}
    ops: dict[str, str] = {}
    for member in rule.rules:
        member_rule = plan.standard.rules[member]
        ops[member] = getattr(member_rule, "op", ">=")
        if isinstance(member_rule, SchoolThreshold):
            members[member] = (plan.calcs[member_rule.indicator], member_rule.op)
    layer = layer_of(plan.standard, "rules", rule.id, "min_met")
    return Compiled(rule, plan.decides[rule.id], layer, members, ops)


def levels(compiled: Compiled) -> Sequence[str]:
    return ()  # wherever its members have outcomes


def _ratio(outcome: Outcome, op: str) -> np.ndarray:
    """How much of its threshold each section reaches (1 = exactly met), in floating point."""
    if op in (">=", ">"):
        found: np.ndarray = np.where(
            outcome.threshold > 0, outcome.value / outcome.threshold, np.nan
        )
    else:
        found = np.where(outcome.value != 0, outcome.threshold / outcome.value, np.nan)
    return found


def run(compiled: Compiled, run: Run) -> None:
    rule = compiled.rule
    for level, part in run.levels.items():
        members = [m for m in rule.rules if (m, level) in run.outcomes]
        if not members:
            continue
        n = len(part.rows)
        met = np.zeros(n, dtype=np.int64)
        unknown = np.zeros(n, dtype=np.int64)
        lowest = np.full(n, np.inf)
        for member in members:
            outcome = run.outcomes[(member, level)]
            met += outcome.status == PASS
            unknown += outcome.status == NOT_EVALUATED
            ratio = _ratio(outcome, compiled.ops[member])
            failing = (outcome.status == FAIL) & ~np.isnan(ratio)
            lowest = np.where(failing, np.minimum(lowest, ratio), lowest)
        status = np.full(n, PASS, dtype=np.int8)
        status[unknown > 0] = NOT_EVALUATED
        too_few = met + unknown < rule.min_met
        below = np.zeros(n, dtype=bool)
        if rule.floor_ratio is not None:
            floor = float(rule.floor_ratio)
            finite = np.isfinite(lowest)
            below = finite & (lowest < floor)
            for i in np.flatnonzero(finite & near(lowest, np.full(1, floor))):  # broadcast
                failing_members = [
                    (*compiled.members[m], float(run.outcomes[(m, level)].threshold[i]))
                    for m in members
                    if m in compiled.members and run.outcomes[(m, level)].status[i] == FAIL
                ]
                below[i] = lowest_below_floor(
                    run, failing_members, int(part.rows[i]), level, rule.floor_ratio
                )
        status[too_few | below] = FAIL
        run.outcomes[(rule.id, level)] = Outcome(
            status,
            met.astype(np.float64),
            np.full(n, float(rule.min_met)),
            [compiled.layer],
            np.zeros(n, dtype=np.int8),
        )


def record(compiled: Compiled, result: Result, level: str | None, i: int) -> dict[str, Any]:
    assert level is not None
    rule = compiled.rule
    outcome = result.outcomes[(rule.id, level)]
    record = base_record(rule, level, compiled.decides)
    record["op"] = ">="
    record["status"] = ("pass", "fail", "not_evaluated")[outcome.status[i]]
    record["layer"] = compiled.layer
    record["threshold"] = rule.min_met
    members = [m for m in rule.rules if (m, level) in result.outcomes]
    met = 0
    lowest: tuple[float, str] | None = None
    missing: dict[str, None] = {}
    for member in members:
        member_outcome = result.outcomes[(member, level)]
        status = member_outcome.status[i]
        if status == PASS:
            met += 1
        elif status == NOT_EVALUATED:
            if member in compiled.members:
                part = result.levels[level]
                found, _ = missing_inputs(compiled.members[member][0], part, i)
                missing.update(dict.fromkeys(found))
        else:
            value, threshold = member_outcome.value[i], member_outcome.threshold[i]
            if compiled.ops[member] in (">=", ">"):
                ratio = value / threshold if threshold > 0 else None
            else:
                ratio = threshold / value if value != 0 else None
            if ratio is not None and (lowest is None or ratio < lowest[0]):
                lowest = (float(ratio), member)
    record["value"] = met
    record["missing"] = list(missing)
    record["met"] = met
    record["of"] = len(members)
    record["lowest_ratio"] = None if lowest is None else lowest[0]
    record["lowest_rule"] = None if lowest is None else lowest[1]
    return record


def explain(compiled: Compiled, result: Result, level: str | None, i: int) -> Any:
    found = record(compiled, result, level, i)
    return finding_of(found, compiled.rule, lowest_ratio=found["lowest_ratio"])


KERNEL = Kernel(
    kind="school_k_of_n",
    stage=1,
    compile=compile,
    run=run,
    record=record,
    explain=explain,
    levels=levels,
)
