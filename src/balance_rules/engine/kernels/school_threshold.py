"""``school_threshold``: each school section of some levels meets ``indicator op threshold``.

The threshold may depend on a school attribute (``by: location``) or on the
school's size band (``by: size``); each section gets its own threshold and the
layer that set it.  Values within a hair of the threshold go to the exact step.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs
import numpy as np

from ...report import Finding, Status
from ...sections import column_name
from ...standard.model import SchoolThreshold, size_band
from ..exact import Calc, Tie, near
from ..plan import _OPS, Plan
from .base import (
    FAIL,
    NOT_EVALUATED,
    PASS,
    STATUS,
    Kernel,
    Level,
    Outcome,
    Result,
    Run,
    base_record,
    common,
    finding_of,
    number,
)

__all__ = ["KERNEL", "missing_inputs"]


@attrs.frozen
class Compiled:
    rule: SchoolThreshold
    calc: Calc
    #: (level, case) -> (exact threshold, decimal as written, layer that set it)
    thresholds: Any
    decides: bool
    #: A threshold as a float -> the decimal as written (for explanations).
    decimals: dict[float, Decimal]
    #: The fields every finding of the rule shares.
    common: dict[str, Any]
    #: level -> (the threshold as a float, layer) when one threshold serves every section.
    uniform: dict[str, tuple[float, str]] = attrs.field(factory=dict)


def compile(rule: SchoolThreshold, plan: Plan) -> Compiled:
    check = next(c for c in plan.threshold_checks if c.rule.id == rule.id)
    decimals = {float(entry[1]): entry[1] for entry in check.thresholds.values()}
    shared = {
        **common(rule, check.decides),
        "indicator": rule.indicator,
        "op": rule.op,
    }
    uniform = {}
    if rule.threshold.by is None:
        for level in rule.levels:
            entry = check.thresholds.get((level, "default"))
            if entry is not None:
                uniform[level] = (float(entry[1]), entry[2])
    return Compiled(rule, check.calc, check.thresholds, check.decides, decimals, shared, uniform)


def levels(compiled: Compiled) -> Sequence[str]:
    return compiled.rule.levels


def run(compiled: Compiled, run: Run) -> None:
    rule = compiled.rule
    for level in rule.levels:
        part = run.levels.get(level)
        if part is None:
            continue
        value = run.indicator(rule.indicator, part)
        if level in compiled.uniform:
            _run_uniform(compiled, run, part, value)
            continue
        threshold = np.full(len(part.rows), np.nan)
        layers: list[str] = []
        layer = np.full(len(part.rows), -1, dtype=np.int8)
        if rule.threshold.by is None:
            entry = compiled.thresholds.get((level, "default"))
            if entry is not None:
                threshold[:] = float(entry[1])
                layers.append(entry[2])
                layer[:] = 0
        else:
            if rule.threshold.by == "size":
                cases = rule.threshold.cases.get(level, {})
                attributes = np.array(
                    [size_band(x, cases) for x in part.values["school_students"].tolist()],
                    dtype=object,
                )
            else:
                attributes = run.table.text[rule.threshold.by][part.rows]
            for attribute in set(attributes.tolist()):
                entry = compiled.thresholds.get((level, attribute)) if attribute else None
                if entry is None:
                    entry = compiled.thresholds.get((level, "default"))
                if entry is not None:
                    here = attributes == attribute
                    threshold[here] = float(entry[1])
                    if entry[2] not in layers:
                        layers.append(entry[2])
                    layer[here] = layers.index(entry[2])
        status = np.full(len(part.rows), NOT_EVALUATED, dtype=np.int8)
        known = ~np.isnan(value) & ~np.isnan(threshold)
        passed = _OPS[rule.op](value, threshold)
        status[known & passed] = PASS
        status[known & ~passed] = FAIL
        close = np.flatnonzero(known & near(value, threshold))
        if len(close):
            run.ties.append(
                Tie(compiled.calc, rule.op, level, part.rows, part.values, close, threshold, status)
            )
        run.outcomes[(rule.id, level)] = Outcome(status, value, threshold, layers, layer)


def _run_uniform(compiled: Compiled, run: Run, part: Level, value: np.ndarray) -> None:
    """One threshold for every section of the level: compared as a scalar."""
    rule = compiled.rule
    limit, layer = compiled.uniform[part.level]
    n = len(part.rows)
    status = np.where(_OPS[rule.op](value, limit), np.int8(PASS), np.int8(FAIL))
    status[np.isnan(value)] = NOT_EVALUATED
    # One threshold (and layer) for every section: a read-only view of one number
    # instead of a full array per rule and level (a nation's worth of memory).
    threshold = np.broadcast_to(np.float64(limit), (n,))
    close = np.flatnonzero(near(value, threshold[:1]))  # the one threshold, broadcast
    if len(close):
        run.ties.append(
            Tie(
                compiled.calc, rule.op, part.level, part.rows, part.values, close, threshold, status
            )
        )
    run.outcomes[(rule.id, part.level)] = Outcome(
        status, value, threshold, [layer], np.broadcast_to(np.int8(0), (n,))
    )


def missing_inputs(calc: Calc, part: Level, i: int) -> tuple[tuple[str, ...], str | None]:
    """Why one section has no value for an indicator: missing columns, or a zero divisor."""
    values = part.values
    missing = [column_name(f, part.level) for f in calc.numerator if np.isnan(values[f][i])]
    detail = None
    if calc.denominator:
        divisor = values[calc.denominator][i]
        if np.isnan(divisor):
            missing.append(column_name(calc.denominator, part.level))
        elif divisor == 0 and not missing:
            detail = f"{column_name(calc.denominator, part.level)} = 0"
    return tuple(missing), detail


_BASES: dict[tuple[int, str], dict[str, Any]] = {}


def _base(compiled: Compiled, level: str) -> dict[str, Any]:
    key = (id(compiled), level)
    found = _BASES.get(key)
    if found is None or found["rule"] != compiled.rule.id:
        if len(_BASES) > 4096:
            _BASES.clear()
        found = _BASES[key] = base_record(compiled.rule, level, compiled.decides)
    return found


def record(compiled: Compiled, result: Result, level: str | None, i: int) -> dict[str, Any]:
    assert level is not None
    rule = compiled.rule
    outcome = result.outcomes[(rule.id, level)]
    record = dict(_base(compiled, level))
    status = STATUS[outcome.status[i]]
    record["status"] = status
    code = outcome.layer[i]
    record["layer"] = outcome.layers[code] if code >= 0 else rule.origin.layer
    threshold = outcome.threshold[i]
    record["threshold"] = number(threshold)
    if status != "not_evaluated":
        record["value"] = number(outcome.value[i])
        return record
    part = result.levels[level]
    if threshold != threshold:  # no threshold for this school's attribute
        by = rule.threshold.by or ""
        record["missing"] = [by]
        if by == "size":
            shown: Any = size_band(
                part.values["school_students"][i], rule.threshold.cases.get(level, {})
            )
        else:
            attribute = result.table.text.get(by)
            shown = attribute[part.rows[i]] if attribute is not None else None
        record["detail"] = f"{by} = {shown if shown is not None else '—'}"
        return record
    missing, detail = missing_inputs(compiled.calc, part, i)
    record["missing"] = list(missing)
    if detail:
        record["detail"] = detail
    return record


def explain(compiled: Compiled, result: Result, level: str | None, i: int) -> Any:
    assert level is not None
    rule = compiled.rule
    outcome = result.outcomes[(rule.id, level)]
    status: Status = STATUS[outcome.status[i]]  # type: ignore[assignment]
    threshold = outcome.threshold[i]
    if status == "not_evaluated":
        found = record(compiled, result, level, i)
        return finding_of(
            found,
            rule,
            value=None,
            threshold=None if threshold != threshold else compiled.decimals[float(threshold)],
        )
    code = outcome.layer[i]
    return Finding(
        **compiled.common,
        status=status,
        level=level,
        value=float(outcome.value[i]),
        threshold=compiled.decimals[float(threshold)],
        layer=outcome.layers[code] if code >= 0 else rule.origin.layer,
    )


KERNEL = Kernel(
    kind="school_threshold",
    stage=0,
    compile=compile,
    run=run,
    record=record,
    explain=explain,
    levels=levels,
)
