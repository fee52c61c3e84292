"""``composite``: the mean of a level's single-indicator CVs per county, capped.

Computed from the unrounded CVs (computation.md §1); undefined when any CV is.
A mean within a hair of its cap, or under a ``rounding`` rule, is decided by the
exact step.
"""

from __future__ import annotations

from itertools import repeat
from typing import Any

import numpy as np

from ...standard.model import Composite
from ..exact import clearly_within, composite_within_cap
from .base import CountyFinding, Kernel, Result, Run, finding_of
from .coefficients import _PASS_FAIL, Compiled, columns, compile, cv_missing, record

__all__ = ["KERNEL"]


def run(compiled: Compiled, run: Run) -> None:
    rule: Composite = compiled.rule  # type: ignore[assignment]
    for level in rule.levels:
        part = run.levels.get(level)
        if part is None:
            continue
        cap = rule.max.get(level)
        cvs = [run.moments(name, part)[:3] for name in rule.indicators]
        stacked = np.vstack([cv for cv, _, _ in cvs])
        missing = np.any(np.vstack([m for _, m, _ in cvs]), axis=0)
        groups = cvs[0][2]
        sizes = np.bincount(part.counties, minlength=len(run.county_names))
        mean = stacked.mean(axis=0)
        # Statuses for every county at once; only means near the cap (or under a
        # rounding rule) go to the exact step, one county at a time.
        unknown = missing | np.isnan(mean)
        passed, close = clearly_within(mean, cap, rule.rounding)
        passed &= ~unknown
        close &= ~unknown
        statuses = [_PASS_FAIL[ok] for ok in passed.tolist()]
        lacking: dict[int, tuple[str, ...]] = {}
        details: dict[int, str] = {}
        for code in np.flatnonzero(groups & unknown).tolist():
            statuses[code] = "not_evaluated"
            columns: dict[str, None] = {}
            for name, (_, lacks, _) in zip(rule.indicators, cvs, strict=True):
                if lacks[code]:
                    indicator = run.indicator(name, part)
                    found, _ = cv_missing(compiled.calcs[name], run.table, part, indicator, code)
                    columns.update(dict.fromkeys(found))
            lacking[code] = tuple(columns)
            undefined = [
                name
                for name, (cv, lacks, _) in zip(rule.indicators, cvs, strict=True)
                if np.isnan(cv[code]) and not lacks[code]
            ]
            if undefined:
                details[code] = ", ".join(undefined)
        for code in np.flatnonzero(groups & close).tolist():
            assert cap is not None
            rows = part.rows[part.counties == code].tolist()
            calcs = [compiled.calcs[name] for name in rule.indicators]
            allowed = composite_within_cap(
                run, calcs, rows, level, float(mean[code]), cap, rule.rounding
            )
            statuses[code] = "pass" if allowed else "fail"
        codes = np.flatnonzero(groups)
        listed = codes.tolist()
        shown = np.where(unknown, np.nan, mean)[codes].tolist()
        cells = zip(  # each finding's fields, in CountyFinding's order
            repeat(rule.id),
            repeat(rule.kind),
            repeat(level),
            repeat("composite"),
            [statuses[code] for code in listed],
            [None if value != value else value for value in shown],
            repeat(cap),
            repeat(compiled.decides[level]),
            repeat(rule.veto),
            repeat(rule.group),
            sizes[codes].tolist(),
            [lacking.get(code, ()) for code in listed],
            repeat(()),
            [details.get(code) for code in listed],
            repeat(None),
            repeat(None),
            repeat(None),
        )
        findings = run.findings
        for code, finding in zip(listed, map(CountyFinding._make, cells), strict=True):
            findings[code].append(finding)


def explain(compiled: Compiled, result: Result, item: Any, code: int) -> Any:
    finding: CountyFinding = item
    return finding_of(
        record(compiled, result, item, code),
        compiled.rule,
        threshold=finding.threshold,
        undefined=bool(finding.detail),
    )


KERNEL = Kernel(
    kind="composite",
    stage=2,
    compile=compile,
    run=run,
    record=record,
    explain=explain,
    levels=None,
    columns=columns,
)
