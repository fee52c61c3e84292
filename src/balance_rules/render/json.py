"""The JSON report of ``spec/contract.md`` (``schema_version`` 1).

Key order is fixed and numbers are plain JSON numbers, so the same input gives
byte-identical output.
"""

from __future__ import annotations

import json
from typing import Any

from .. import __version__
from ..report import Coefficient, CountyResult, Finding, Report, SchoolResult
from .explain import explain, number

__all__ = ["render_json", "report_dict"]

SCHEMA_VERSION = 1


def _finding(finding: Finding, report: Report, lang: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "rule": finding.rule,
        "indicator": finding.indicator if finding.indicator is not None else finding.fact,
        "value": number(finding.value),
        "op": finding.op,
        "threshold": number(finding.threshold),
        "status": finding.status,
        "reason": explain(finding, report.standard, lang),
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
        data["missing_at"] = list(finding.missing_at)
    if finding.kind == "school_k_of_n":
        data["met"] = finding.met
        data["of"] = finding.of
        data["lowest_ratio"] = number(finding.lowest_ratio)
        data["lowest_rule"] = finding.lowest_rule
    return data


def _school(school: SchoolResult, report: Report, lang: str) -> dict[str, Any]:
    return {
        "school_id": school.school_id,
        "name": school.name,
        "level": school.level,
        "passed": school.passed,
        "school_type": school.school_type,
        "location": school.location,
        "students": number(school.students),
        "merged": list(school.merged),
        "findings": [_finding(f, report, lang) for f in school.findings],
    }


def _coefficient(coefficient: Coefficient) -> dict[str, Any]:
    return {
        "level": coefficient.level,
        "indicator": coefficient.indicator,
        "value": coefficient.value,
        "max": number(coefficient.max),
        "passed": coefficient.passed,
        "schools": coefficient.schools,
        "rule": coefficient.rule,
    }


def _county(county: CountyResult, report: Report, lang: str) -> dict[str, Any]:
    return {
        "county": county.county,
        "verdict": county.verdict,
        "passed": county.passed,
        "vetoed": county.vetoed,
        "coefficients": [_coefficient(c) for c in county.coefficients],
        "schools": [_school(s, report, lang) for s in county.schools],
        "findings": [_finding(f, report, lang) for f in county.findings],
        "excluded": [
            {
                "school_id": e.school_id,
                "reason": e.reason,
                "name": e.name,
                "level": e.level,
                "detail": e.detail,
            }
            for e in county.excluded
        ],
        "notes": list(county.notes),
    }


def report_dict(report: Report, lang: str = "zh") -> dict[str, Any]:
    """The report as plain JSON-ready data."""
    standard = report.standard
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": {"name": "balance-rules", "version": __version__},
        "standard": {
            "id": standard.id,
            "title": standard.title.text(lang),
            "version": standard.version,
            "layers": list(standard.layers),
            "digest": standard.digest,
        },
        "counties": [_county(c, report, lang) for c in report.counties],
        "skipped_rows": [
            {
                "file": row.file,
                "row": row.row,
                "school_id": row.school_id,
                "county": row.county,
                "problems": [str(p) for p in row.problems],
            }
            for row in report.skipped
        ],
    }


def render_json(report: Report, lang: str = "zh") -> str:
    """The JSON report as text (UTF-8, Chinese kept readable)."""
    return json.dumps(report_dict(report, lang), ensure_ascii=False, indent=2) + "\n"
