"""``coefficients``: the student-weighted CV of each indicator per county and level, capped.

CV = S / X̄ with X̄ = Σ P_i·X_i / P and S² = Σ (P_i/P)·(X_i − X̄)² over the
sections in scope (computation.md §1).  A CV within a hair of its cap, or any
CV under a ``rounding`` rule, is decided by the exact step (S² ≤ c²·X̄²).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat
from typing import Any

import attrs
import numpy as np

from ...records import Coded, coded
from ...sections import column_name
from ...standard.model import Coefficients, Composite
from ..exact import Calc, clearly_within, cv_within_cap
from ..plan import Plan, layer_of
from .base import (
    ROW_KEYS,
    CountyFinding,
    Kernel,
    Level,
    Result,
    Run,
    base_record,
    finding_of,
    number,
)
from .school_threshold import missing_inputs

__all__ = ["KERNEL", "columns", "county_finding", "cv_missing"]

#: A float decision → its status word (indexed by the bool).
_PASS_FAIL = ("fail", "pass")


@attrs.frozen
class Compiled:
    rule: Coefficients
    decides: dict[str, bool]
    layers: dict[str, str]
    calcs: dict[str, Calc]


def compile(rule: Coefficients | Composite, plan: Plan) -> Compiled:
    decides = {level: plan.decides[rule.id] and level in rule.max for level in rule.levels}
    layers = {
        level: layer_of(plan.standard, "rules", rule.id, "max", level) for level in rule.levels
    }
    calcs = {name: plan.calcs[name] for name in rule.indicators}
    return Compiled(rule, decides, layers, calcs)  # type: ignore[arg-type]


def cv_missing(
    calc: Calc, table: Any, part: Level, value: np.ndarray, code: int
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(missing columns, schools lacking them) of one county's CV."""
    columns: dict[str, None] = {}
    schools: list[str] = []
    for i in np.flatnonzero((part.counties == code) & (np.isnan(value) | np.isnan(part.students))):
        schools.append(table.text["school_id"][part.rows[i]])
        lacking, detail = missing_inputs(calc, part, int(i))
        for name in lacking or ((detail,) if detail else ()):
            columns[name] = None
        if np.isnan(part.students[i]):
            columns[column_name("students", part.level)] = None
    return tuple(columns), tuple(schools)


def county_finding(
    rule: Coefficients | Composite,
    level: str,
    indicator: str,
    status: str,
    value: float,
    decides: bool,
    schools: int,
    missing: tuple[tuple[str, ...], tuple[str, ...]] = ((), ()),
    **extra: Any,
) -> CountyFinding:
    shown = None if np.isnan(value) else float(value)
    return CountyFinding(
        rule.id, rule.kind, level, indicator, status, shown, rule.max.get(level),
        decides, rule.veto, rule.group, schools, *missing, **extra,
    )  # fmt: skip


def run(compiled: Compiled, run: Run) -> None:
    rule = compiled.rule
    for level in rule.levels:
        part = run.levels.get(level)
        if part is None:
            continue
        cap = rule.max.get(level)
        decides = compiled.decides[level]
        sizes = np.bincount(part.counties, minlength=len(run.county_names)).tolist()
        for name in rule.indicators:
            cv, missing, groups, total, mean, std = run.moments(name, part)
            # Statuses for every county at once; only values near the cap (or
            # under a rounding rule) go to the exact step one county at a time.
            unknown = missing | np.isnan(cv)
            passed, close = clearly_within(cv, cap, rule.rounding)
            passed &= ~unknown
            close &= ~unknown
            # Python lists, read once per county (not NumPy scalars).
            values = cv.tolist()
            statuses = [_PASS_FAIL[ok] for ok in passed.tolist()]
            for code in np.flatnonzero(groups & (unknown | close)).tolist():
                if unknown[code]:
                    statuses[code] = "not_evaluated"
                else:
                    assert cap is not None
                    rows = part.rows[part.counties == code].tolist()
                    allowed = cv_within_cap(
                        run, compiled.calcs[name], rows, level, values[code], cap, rule.rounding
                    )
                    statuses[code] = "pass" if allowed else "fail"
            codes = np.flatnonzero(groups)
            lacking: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}
            for code in np.flatnonzero(groups & missing).tolist():
                indicator = run.indicator(name, part)
                lacking[code] = cv_missing(compiled.calcs[name], run.table, part, indicator, code)
            # The CV's working where known (students), and where students > 0 (mean, S).
            known = ~missing[codes]
            working = known & (total[codes] > 0)
            listed = codes.tolist()
            cells = zip(  # each finding's fields, in CountyFinding's order
                repeat(rule.id),
                repeat(rule.kind),
                repeat(level),
                repeat(name),
                [statuses[code] for code in listed],
                [None if value != value else value for value in cv[codes].tolist()],
                repeat(cap),
                repeat(decides),
                repeat(rule.veto),
                repeat(rule.group),
                [sizes[code] for code in listed],
                [lacking[code][0] if code in lacking else () for code in listed],
                [lacking[code][1] if code in lacking else () for code in listed],
                repeat(None),
                _where(total[codes], known),
                _where(mean[codes], working),
                _where(std[codes], working),
            )
            findings = run.findings
            for code, finding in zip(listed, map(CountyFinding._make, cells), strict=True):
                findings[code].append(finding)


def _where(values: np.ndarray, kept: np.ndarray) -> list[float | None]:
    """The values as Python floats where *kept*, else None."""
    return [v if k else None for v, k in zip(values.tolist(), kept.tolist(), strict=True)]


def levels(compiled: Compiled) -> Sequence[str]:
    return ()


def record(compiled: Compiled, result: Result, item: Any, code: int) -> dict[str, Any]:
    finding: CountyFinding = item
    record = base_record(compiled.rule, finding.level, finding.decides)
    record["indicator"] = finding.indicator
    record["value"] = finding.value
    record["op"] = "<=" if finding.threshold is not None else None
    record["threshold"] = number(finding.threshold)
    record["status"] = finding.status
    record["layer"] = compiled.layers[finding.level]
    record["missing"] = list(finding.missing)
    if finding.missing_at:
        record["missing_at"] = list(finding.missing_at)
    if finding.detail:
        record["detail"] = finding.detail
    return record


def columns(
    compiled: Compiled, result: Result, items: Sequence[Any], codes: Sequence[int]
) -> dict[str, Any]:
    """The flat rows of many of this rule's county findings (``record``'s, as columns).

    The findings are named tuples: transposed in one step, each column is then
    the tuple's field; the repeating ones (level, status, cap…) are given as
    their distinct cells and an index (:class:`~balance_rules.records.Coded`).
    With the CV's working (total students, mean, S) of each row.
    """
    rule = compiled.rule
    n = len(items)
    if n == 0:
        return {key: [] for key in (*ROW_KEYS, "students", "mean", "std")}
    fields = dict(zip(CountyFinding._fields, zip(*items, strict=True), strict=True))
    same = np.zeros(n, dtype=np.int64)
    level = coded(fields["level"])
    threshold = coded(fields["threshold"])  # the caps (Decimals, None): one type
    return {
        "level": level,
        "rule": Coded([rule.id], same),
        "kind": Coded([rule.kind], same),
        "indicator": coded(fields["indicator"]),
        "value": list(fields["value"]),
        "op": Coded([None if cap is None else "<=" for cap in threshold.cells], threshold.index),
        "threshold": Coded([number(cap) for cap in threshold.cells], threshold.index),
        "status": coded(fields["status"]),
        "decides": coded(fields["decides"]),
        "veto": Coded([rule.veto], same),
        "document": Coded([rule.source.document], same),
        "article": Coded([rule.source.article], same),
        "layer": Coded([compiled.layers[lv] for lv in level.cells], level.index),
        "missing": coded(fields["missing"], ";".join),
        "detail": coded(fields["detail"], lambda d: d or None),
        "students": list(fields["students"]),
        "mean": list(fields["mean"]),
        "std": list(fields["std"]),
    }


def explain(compiled: Compiled, result: Result, item: Any, code: int) -> Any:
    finding: CountyFinding = item
    return finding_of(
        record(compiled, result, item, code),
        compiled.rule,
        threshold=finding.threshold,
        undefined=finding.value is None and not finding.missing_at,
    )


KERNEL = Kernel(
    kind="coefficients",
    stage=2,
    compile=compile,
    run=run,
    record=record,
    explain=explain,
    levels=None,
    columns=columns,
)
