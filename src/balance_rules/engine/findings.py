"""Findings as records and objects: the one shape every kernel explains a row in.

Numpy-free, so that the records of a result can be imported with
``import balance_rules`` staying light.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..report import Finding

__all__ = ["base_record", "common", "finding_of", "finding_record", "number"]


def common(rule: Any, decides: bool) -> dict[str, Any]:
    """The fields every finding of *rule* shares."""
    return {
        "rule": rule.id,
        "kind": rule.kind,
        "group": rule.group,
        "source": rule.source,
        "veto": rule.veto,
        "decides": decides,
        "confidence": rule.confidence,
    }


def base_record(rule: Any, level: str | None, decides: bool) -> dict[str, Any]:
    """The constant part of a rule's records (the JSON report's finding keys)."""
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


def number(value: Any) -> int | float | bool | None:
    """A JSON number: integral values as int (as in the JSON report), NaN as None."""
    from fractions import Fraction

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


def finding_of(record: Mapping[str, Any], rule: Any, **extra: Any) -> Any:
    """A Finding from a record (the one explanation of a row, as an object)."""
    indicator = record["indicator"]
    fact = indicator if rule.kind == "county_fact" else None
    return Finding(
        rule=record["rule"],
        kind=record["kind"],
        group=record["group"],
        status=record["status"],
        indicator=None if fact is not None else indicator,
        fact=fact,
        level=record["level"],
        value=extra.pop("value", record["value"]),
        op=record["op"],
        threshold=extra.pop("threshold", record["threshold"]),
        source=rule.source,
        layer=record["layer"],
        veto=record["veto"],
        decides=record["decides"],
        confidence=record["confidence"],
        missing=tuple(record["missing"]),
        missing_at=tuple(record.get("missing_at", ())),
        detail=record.get("detail"),
        met=record.get("met"),
        of=record.get("of"),
        lowest_rule=record.get("lowest_rule"),
        derived=bool(record.get("derived", False)),
        **extra,
    )


def finding_record(finding: Any) -> dict[str, Any]:
    """A Finding as a record with the JSON report's keys, less the prose."""
    record: dict[str, Any] = {
        "rule": finding.rule,
        "indicator": finding.indicator if finding.indicator is not None else finding.fact,
        "value": number(finding.value),
        "op": finding.op,
        "threshold": number(finding.threshold),
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
        record["lowest_ratio"] = number(finding.lowest_ratio)
        record["lowest_rule"] = finding.lowest_rule
    if finding.detail:
        record["detail"] = finding.detail
    if finding.derived:
        record["derived"] = True
    return record
