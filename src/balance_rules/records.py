"""Report records of a columnar result, one county at a time.

The rows of ``--format csv`` and the lines of ``--format jsonl`` are built from
these records, so a whole nation is written county by county without holding
every finding in memory.  Each finding carries its structured reason — rule,
indicator, observed value, operator, threshold, status, the layer that set the
threshold, the source document and article, and for a finding not evaluated
the missing columns (or what else stopped it) — under the same keys as the JSON
report's findings.  Values are floating-point renderings of the exact decisions
the columnar core made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import attrs

from .engine.plan import layer_of
from .report import Finding
from .standard.model import SchoolKOfN, SchoolThreshold

if TYPE_CHECKING:  # the columnar core needs numpy; keep `import balance_rules` light
    from .engine.columnar import ColumnarResult

__all__ = ["CountyRecords", "Progress", "county_records", "finding_record", "flat_finding"]

#: ``progress(done, total)``, called as counties are produced.
Progress = Callable[[int, int], None]

_STATUS = ("pass", "fail", "not_evaluated")
_PASSED = {1: True, 0: False, -1: None}


@attrs.frozen
class CountyRecords:
    """One county: its verdict, school sections, county-level findings and exclusions.

    Read-only: findings of one rule share their unchanging parts (``source``, an
    empty ``missing``) to keep a national run fast; copy a record before editing it.
    """

    county: str
    verdict: str
    vetoed: bool
    #: One per school section, in school id then level order, each with its findings.
    sections: list[dict[str, Any]]
    #: County-level findings (CVs, composites, facts) in the standard's rule order.
    findings: list[dict[str, Any]]
    coefficients: list[dict[str, Any]]
    excluded: list[dict[str, Any]]


def _number(value: Any) -> int | float | bool | None:
    """A JSON number: integral values as int (as in the JSON report)."""
    if isinstance(value, float):  # numpy's float64 too
        if value != value:  # NaN
            return None
        return int(value) if value.is_integer() and abs(value) < 2**53 else float(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, Decimal | Fraction):
        return int(value) if value == int(value) else float(value)
    value = float(value)
    if value != value:  # NaN
        return None
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _base(rule: Any, level: str | None, decides: bool) -> dict[str, Any]:
    return {
        "rule": rule.id,
        "indicator": getattr(rule, "indicator", None) or getattr(rule, "fact", None),
        "value": None,
        "op": getattr(rule, "op", None),
        "threshold": None,
        "status": None,
        "kind": rule.kind,
        "group": rule.group,
        "level": level,
        "source": {"document": rule.source.document, "article": rule.source.article},
        "layer": None,
        "decides": decides,
        "veto": rule.veto,
        "confidence": rule.confidence,
        "missing": [],
    }


def finding_record(finding: Finding) -> dict[str, Any]:
    """A Finding (object path) as a record with the JSON report's keys, less the prose."""
    record: dict[str, Any] = {
        "rule": finding.rule,
        "indicator": finding.indicator if finding.indicator is not None else finding.fact,
        "value": _number(finding.value),
        "op": finding.op,
        "threshold": _number(finding.threshold),
        "status": finding.status,
        "kind": finding.kind,
        "group": finding.group,
        "level": finding.level,
        "source": {"document": finding.source.document, "article": finding.source.article},
        "layer": finding.layer,
        "decides": finding.decides,
        "veto": finding.veto,
        "confidence": finding.confidence,
        "missing": list(finding.missing),
    }
    if finding.missing_at:
        record["missing_at"] = list(finding.missing_at)
    if finding.kind == "school_k_of_n":
        record["met"] = finding.met
        record["of"] = finding.of
        record["lowest_ratio"] = _number(finding.lowest_ratio)
        record["lowest_rule"] = finding.lowest_rule
    if finding.detail:
        record["detail"] = finding.detail
    if finding.derived:
        record["derived"] = True
    return record


class _Rules:
    """Per (rule, level): the constant part of its findings and its outcome arrays."""

    def __init__(self, result: ColumnarResult) -> None:
        self.result = result
        standard = result.plan.standard
        self.by_level: dict[str, list[tuple[Any, Any, dict[str, Any]]]] = {}
        for (rule_id, level), outcome in result.outcomes.items():
            rule = standard.rules[rule_id]
            base = _base(rule, level, result.plan.decides[rule_id])
            if isinstance(rule, SchoolKOfN):
                base["op"] = ">="
            self.by_level.setdefault(level, []).append((rule, outcome, base))

    def school_finding(
        self, rule: Any, outcome: Any, base: dict[str, Any], level: str, i: int
    ) -> dict[str, Any]:
        record = dict(base)
        status = _STATUS[outcome.status[i]]
        record["status"] = status
        code = outcome.layer[i]
        record["layer"] = outcome.layers[code] if code >= 0 else rule.origin.layer
        threshold = outcome.threshold[i]
        record["threshold"] = _number(threshold)
        if isinstance(rule, SchoolKOfN):
            return self._k_of_n(record, rule, level, i)
        if status != "not_evaluated":
            record["value"] = _number(outcome.value[i])
            return record
        part = self.result.levels[level]
        if threshold != threshold:  # no threshold for this school's attribute
            by = rule.threshold.by or ""
            record["missing"] = [by]
            attribute = self.result.table.text.get(by)
            shown = attribute[part.rows[i]] if attribute is not None else None
            record["detail"] = f"{by} = {shown if shown is not None else '—'}"
            return record
        from .engine.columnar import missing_inputs

        missing, detail = missing_inputs(self.result.plan, rule.indicator, part, i)
        record["missing"] = list(missing)
        if detail:
            record["detail"] = detail
        return record

    def _k_of_n(
        self, record: dict[str, Any], rule: SchoolKOfN, level: str, i: int
    ) -> dict[str, Any]:
        outcomes = self.result.outcomes
        members = [m for m in rule.rules if (m, level) in outcomes]
        met = 0
        lowest: tuple[float, str] | None = None
        missing: dict[str, None] = {}
        for member in members:
            outcome = outcomes[(member, level)]
            status = outcome.status[i]
            if status == 0:
                met += 1
            elif status == 2:
                member_rule = self.result.plan.standard.rules[member]
                if isinstance(member_rule, SchoolThreshold):
                    from .engine.columnar import missing_inputs

                    part = self.result.levels[level]
                    found, _ = missing_inputs(self.result.plan, member_rule.indicator, part, i)
                    missing.update(dict.fromkeys(found))
            else:
                value, threshold = outcome.value[i], outcome.threshold[i]
                op = getattr(self.result.plan.standard.rules[member], "op", ">=")
                if op in (">=", ">"):
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


def _county_finding(result: ColumnarResult, finding: Any) -> dict[str, Any]:
    if isinstance(finding, Finding):
        return finding_record(finding)
    standard = result.plan.standard
    rule = standard.rules[finding.rule]
    record = _base(rule, finding.level, finding.decides)
    record["indicator"] = finding.indicator
    record["value"] = finding.value
    record["op"] = "<=" if finding.threshold is not None else None
    record["threshold"] = _number(finding.threshold)
    record["status"] = finding.status
    record["layer"] = layer_of(standard, "rules", rule.id, "max", finding.level)
    record["missing"] = list(finding.missing)
    if finding.missing_at:
        record["missing_at"] = list(finding.missing_at)
    if finding.detail:
        record["detail"] = finding.detail
    return record


def _coefficient(finding: Any) -> dict[str, Any]:
    return {
        "level": finding.level,
        "indicator": finding.indicator,
        "value": finding.value,
        "max": _number(finding.threshold),
        "passed": (
            None
            if finding.status == "not_evaluated" or finding.threshold is None
            else finding.status == "pass"
        ),
        "schools": finding.schools,
        "rule": finding.rule,
    }


def _sections_by_county(result: ColumnarResult) -> list[list[tuple[str, int, str, int]]]:
    """Per county code: (school id, level order, level, index in level)."""
    k = len(result.county_names)
    by_county: list[list[tuple[str, int, str, int]]] = [[] for _ in range(k)]
    ids = result.table.text["school_id"]
    order_of = {level: n for n, level in enumerate(result.plan.standard.levels)}
    for level, part in result.levels.items():
        position = order_of.get(level, len(order_of))
        for i, (code, row) in enumerate(
            zip(part.counties.tolist(), part.rows.tolist(), strict=True)
        ):
            by_county[code].append((ids[row], position, level, i))
    for sections in by_county:
        sections.sort()
    return by_county


def county_records(
    result: ColumnarResult, progress: Progress | None = None
) -> Iterator[CountyRecords]:
    """Every county's records, in county name order."""
    rules = _Rules(result)
    text = result.table.text
    by_county = _sections_by_county(result)
    total = len(result.county_names)
    for code, name in enumerate(result.county_names):
        if progress is not None:
            progress(code, total)
        sections = []
        for school_id, _, level, i in by_county[code]:
            part = result.levels[level]
            row = int(part.rows[i])
            findings = [
                rules.school_finding(rule, outcome, base, level, i)
                for rule, outcome, base in rules.by_level.get(level, ())
            ]
            sections.append(
                {
                    "school_id": school_id,
                    "name": text["school_name"][row] or "",
                    "level": level,
                    "passed": _PASSED[int(result.section_passed[level][i])],
                    "school_type": text["school_type"][row],
                    "location": text["location"][row],
                    "students": _number(part.students[i]),
                    "merged": [text["school_id"][c] for c in result.children.get(row, ())],
                    "findings": findings,
                }
            )
        county_findings = result.county_findings[code]
        yield CountyRecords(
            county=name,
            verdict=result.verdicts[code],
            vetoed=result.vetoed[code],
            sections=sections,
            findings=[_county_finding(result, f) for f in county_findings],
            coefficients=[_coefficient(f) for f in county_findings if not isinstance(f, Finding)],
            excluded=[
                {
                    "school_id": e.school_id,
                    "reason": e.reason,
                    "name": e.name,
                    "level": e.level,
                    "detail": e.detail,
                }
                for e in result.excluded[code]
            ],
        )
    if progress is not None:
        progress(total, total)


def flat_finding(
    county: str, school_id: str | None, school_name: str | None, finding: dict[str, Any]
) -> dict[str, Any]:
    """A finding as one flat row (a CSV or DataFrame row): source split, missing joined."""
    source = finding["source"]
    return {
        "county": county,
        "school_id": school_id,
        "school_name": school_name,
        "level": finding["level"],
        "rule": finding["rule"],
        "kind": finding["kind"],
        "indicator": finding["indicator"],
        "value": finding["value"],
        "op": finding["op"],
        "threshold": finding["threshold"],
        "status": finding["status"],
        "decides": finding["decides"],
        "veto": finding["veto"],
        "document": source["document"],
        "article": source["article"],
        "layer": finding["layer"],
        "missing": ";".join(finding["missing"]),
        "detail": finding.get("detail"),
    }
