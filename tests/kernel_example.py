"""The worked example of docs/rule-kinds.md: a new rule kind, ``school_share``.

"At least 90 % of a county's primary sections meet rule R" — the form of
provincial rules on the share of schools up to standard (达标学校比例).  It is a
county rule over another rule's section outcomes: stage 2.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

import attrs
import numpy as np

from balance_rules.engine.exact import share_at_least
from balance_rules.engine.findings import common, finding_record
from balance_rules.engine.kernels import Kernel
from balance_rules.engine.kernels.base import NOT_EVALUATED, PASS, Result, Run
from balance_rules.engine.plan import Plan, layer_of
from balance_rules.report import Finding
from balance_rules.standard.model import Citation, Origin


# 1. The rule as the standard model holds it (in the package: standard/model.py,
#    with its branch in standard/schema.json and its line in standard/build.py).
@attrs.frozen(kw_only=True)
class SchoolShare:
    id: str
    group: str
    source: Citation
    origin: Origin
    rule: str  # the school rule whose passing sections are counted
    level: str
    min_share: Decimal
    veto: bool = False
    confidence: str = "confirmed"
    label: Any = None
    note: str | None = None
    kind: Literal["school_share"] = "school_share"


# 2. compile: everything that does not depend on the data, once per standard.
@attrs.frozen
class Compiled:
    rule: SchoolShare
    common: dict[str, Any]
    layer: str


def compile(rule: SchoolShare, plan: Plan) -> Compiled:
    decides = plan.decides[rule.id]
    return Compiled(rule, common(rule, decides), layer_of(plan.standard, "rules", rule.id))


# 3. run: every county at once, from the arrays of the rule it counts.
def run(compiled: Compiled, run: Run) -> None:
    rule = compiled.rule
    k = len(run.county_names)
    outcome = run.outcomes.get((rule.rule, rule.level))
    part = run.levels.get(rule.level)
    if outcome is None or part is None:
        counts = np.zeros(k, dtype=np.int64)
        passed = unknown = counts
    else:
        counts = np.bincount(part.counties, minlength=k)
        passed = np.bincount(part.counties[outcome.status == PASS], minlength=k)
        unknown = np.bincount(part.counties[outcome.status == NOT_EVALUATED], minlength=k)
    for code in range(k):
        total, met = int(counts[code]), int(passed[code])
        if total == 0 or unknown[code]:
            status = "not_evaluated"
        else:  # the exact step decides: no float share is ever compared
            status = "pass" if share_at_least(met, total, rule.min_share) else "fail"
        run.findings[code].append(
            Finding(
                **compiled.common,
                status=status,  # type: ignore[arg-type]
                indicator=rule.rule,
                level=rule.level,
                value=met / total if total else None,
                op=">=",
                threshold=rule.min_share,
                layer=compiled.layer,
                missing=(rule.rule,) if unknown[code] else (),
                detail=f"{met} of {total} sections",
            )
        )


# 4. record and explain: one row's reason, for csv/jsonl and for the Report.
def record(compiled: Compiled, result: Result, item: Any, code: int) -> dict[str, Any]:
    return finding_record(item)


def explain(compiled: Compiled, result: Result, item: Any, code: int) -> Any:
    return item


KERNEL = Kernel(
    kind="school_share", stage=2, compile=compile, run=run, record=record, explain=explain
)
