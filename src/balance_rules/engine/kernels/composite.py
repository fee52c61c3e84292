"""``composite``: the mean of a level's single-indicator CVs per county, capped.

Computed from the unrounded CVs (computation.md §1); undefined when any CV is.
A mean within a hair of its cap, or under a ``rounding`` rule, is decided by the
exact step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...standard.model import Composite
from ..exact import clearly_within, composite_within_cap
from .base import CountyFinding, Kernel, Result, Run, finding_of
from .coefficients import Compiled, columns, compile, county_finding, cv_missing, record

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
        for code in np.flatnonzero(groups):
            value = mean[code]
            lacking: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
            undefined: list[str] = []
            if missing[code] or np.isnan(value):
                status = "not_evaluated"
                value = np.nan
                columns: dict[str, None] = {}
                for name, (_, lacks, _) in zip(rule.indicators, cvs, strict=True):
                    if lacks[code]:
                        indicator = run.indicator(name, part)
                        found, _ = cv_missing(
                            compiled.calcs[name], run.table, part, indicator, int(code)
                        )
                        columns.update(dict.fromkeys(found))
                lacking = (tuple(columns), ())
                undefined = [
                    name
                    for name, (cv, lacks, _) in zip(rule.indicators, cvs, strict=True)
                    if np.isnan(cv[code]) and not lacks[code]
                ]
            elif cap is None:
                status = "pass"
            else:
                allowed = clearly_within(float(value), cap, rule.rounding)
                if allowed is None:
                    rows = part.rows[part.counties == code].tolist()
                    calcs = [compiled.calcs[name] for name in rule.indicators]
                    allowed = composite_within_cap(
                        run, calcs, rows, level, float(value), cap, rule.rounding
                    )
                status = "pass" if allowed else "fail"
            finding = county_finding(
                rule, level, "composite", status, value, compiled.decides[level],
                int(sizes[code]), lacking,
                detail=", ".join(undefined) if undefined else None,
            )  # fmt: skip
            run.findings[code].append(finding)


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
