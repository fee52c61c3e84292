"""``county_fact``: a county fact compared with a number, or a yes/no that must match.

When the county does not give the fact and the rule says how to ``derive`` it
(Σ numerator / Σ denominator × scale over the sections in scope), it is derived
from the schools, exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import attrs
import numpy as np

from ...records import Coded
from ...standard.model import CountyFact
from ..exact import derived_quotient, exact_quotient
from ..plan import Plan
from .base import ROW_KEYS, Kernel, Result, Run, finding_record, flat_row

__all__ = ["KERNEL"]


@attrs.frozen
class Compiled:
    rule: CountyFact
    plan: Plan
    #: The finding of a county that does not give the fact (findings are
    #: immutable: one serves every such county and every evaluation).
    absent: Any
    spellings: tuple[str, ...]


def compile(rule: CountyFact, plan: Plan) -> Compiled:
    absent = plan.fact_result(rule, None, (rule.fact,))
    return Compiled(rule, plan, absent, tuple(plan.spellings.get(rule.fact, (rule.fact,))))


def _derived(
    rule: CountyFact, run: Run
) -> Callable[[int], tuple[Fraction | None, tuple[str, ...]]]:
    """Per county: Σ numerator / Σ denominator × scale over its sections, exactly."""
    derive = rule.derive
    assert derive is not None
    k = len(run.county_names)
    sums = {field: np.zeros(k) for field in (derive.numerator, derive.denominator)}
    missing = {field: np.zeros(k, dtype=bool) for field in sums}
    whole = True
    for part in run.levels.values():
        for field in sums:
            column = part.values[field]
            bad = np.isnan(column)
            missing[field] |= np.bincount(part.counties[bad], minlength=k) > 0
            good = ~bad
            sums[field] += np.bincount(part.counties[good], weights=column[good], minlength=k)
            whole &= bool(np.all(column[good] == np.floor(column[good])))
    # Read per county from lists (not NumPy scalars).
    totals = {field: sums[field].tolist() for field in sums}
    lacks = {field: missing[field].tolist() for field in missing}

    def value(code: int) -> tuple[Fraction | None, tuple[str, ...]]:
        lacking = tuple(f for f in lacks if lacks[f][code])
        if lacking:
            return None, (rule.fact, *lacking)
        numerator, denominator = totals[derive.numerator][code], totals[derive.denominator][code]
        if denominator == 0:
            return None, (rule.fact,)
        if whole:  # sums of whole numbers below 2**53 are exact in floating point
            return exact_quotient(numerator, denominator, derive.scale), ()
        sections = [
            run.exact_section(int(r), level)
            for level, part in run.levels.items()
            for r in part.rows[part.counties == code]
        ]
        found = derived_quotient(sections, derive.numerator, derive.denominator, derive.scale)
        return found, () if found is not None else (rule.fact,)

    return value


def run(compiled: Compiled, run: Run) -> None:
    rule, plan = compiled.rule, compiled.plan
    derived = _derived(rule, run) if rule.derive is not None else None
    absent = compiled.absent
    spellings = compiled.spellings
    if derived is None and not any(county.facts for county in run.fact_counties):
        for findings in run.findings:  # no county gives any fact (a nation without facts)
            findings.append(absent)
        return
    for code, (county, findings) in enumerate(zip(run.fact_counties, run.findings, strict=True)):
        facts = county.facts
        value = None
        if facts:  # the county's value, under any of the fact's spellings
            for name in spellings:
                value = facts.get(name)
                if value is not None:
                    break
        if value is not None:
            findings.append(plan.fact_result(rule, value, ()))
        elif derived is None:
            findings.append(absent)
        else:
            exact, missing = derived(code)
            findings.append(plan.fact_result(rule, exact, missing, derived=exact is not None))


def record(compiled: Compiled, result: Result, item: Any, code: int) -> dict[str, Any]:
    return finding_record(item)


def columns(
    compiled: Compiled, result: Result, items: Sequence[Any], codes: Sequence[int]
) -> dict[str, Any]:
    """The flat rows of many of this rule's findings: each distinct finding once.

    Counties that do not give the fact share one finding (``compiled.absent``):
    every column is the distinct findings' cells and, per row, its finding's
    place (:class:`~balance_rules.records.Coded`).
    """
    keys = list(map(id, items))
    by_key = dict(zip(keys, items, strict=True))  # each distinct finding, in order
    place = {key: n for n, key in enumerate(by_key)}
    index = np.fromiter(map(place.__getitem__, keys), dtype=np.int64, count=len(keys))
    distinct = [flat_row(finding_record(item)) for item in by_key.values()]
    return {key: Coded([row[key] for row in distinct], index) for key in ROW_KEYS}


def explain(compiled: Compiled, result: Result, item: Any, code: int) -> Any:
    return item  # already a full Finding: a fact's value is exact as given


KERNEL = Kernel(
    kind="county_fact",
    stage=2,
    compile=compile,
    run=run,
    record=record,
    explain=explain,
    levels=None,
    columns=columns,
)
