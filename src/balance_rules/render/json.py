"""The JSON report of ``spec/contract.md`` (``schema_version`` 1).

Key order is fixed and numbers are plain JSON numbers, so the same input gives
byte-identical output.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

import attrs

from .._version import __version__
from ..records import finding_record
from ..report import Coefficient, CountyResult, Finding, Report, SchoolResult
from ..standard.model import Standard
from .explain import explain, number

if TYPE_CHECKING:  # the columnar core needs numpy; keep `import balance_rules` light
    from ..engine.columnar import ColumnarResult

__all__ = ["render_json", "render_json_summary", "report_dict", "standard_dict", "write_json"]

SCHEMA_VERSION = 1


def _finding(finding: Finding, report: Report, lang: str) -> dict[str, Any]:
    record = finding_record(finding)
    head = ("rule", "indicator", "value", "op", "threshold", "status")
    return {
        **{key: record.pop(key) for key in head},
        "reason": explain(finding, report.standard, lang),
        **record,
    }


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
        # The working (null for composites): total students N, weighted mean, S.
        "students": coefficient.students,
        "mean": coefficient.mean,
        "std": coefficient.std,
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


def standard_dict(standard: Standard, lang: str = "zh") -> dict[str, Any]:
    """Which standard a report used: id, title, version, layers, digest."""
    return {
        "id": standard.id,
        "title": standard.title.text(lang),
        "version": standard.version,
        "layers": list(standard.layers),
        "digest": standard.digest,
    }


def report_dict(report: Report, lang: str = "zh") -> dict[str, Any]:
    """The report as plain JSON-ready data."""
    standard = report.standard
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": {"name": "balance-rules", "version": __version__},
        "standard": standard_dict(standard, lang),
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


_PLACEHOLDER = "\x00counties\x00"


def _county_reports(result: ColumnarResult) -> Iterator[Report]:
    """One single-county report at a time, in name order, each built as
    ``evaluate(standard, [county])`` builds it (so the bytes are the same)."""
    from ..data.model import County
    from ..engine.plan import evaluate

    rows: dict[str, list[int]] = {}
    for row, name in enumerate(result.table.text["county"].tolist()):
        rows.setdefault(name or "", []).append(row)
    for name in result.county_names:
        schools = tuple(result.table.school(r) for r in rows.get(name, ()))
        county = County(name=name, schools=schools, facts=result.facts.get(name, {}))
        yield evaluate(result.plan.standard, [county])


def write_json(
    report: Report | ColumnarResult,
    stream: TextIO,
    lang: str = "zh",
    *,
    skipped: Iterable[Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write the JSON report to *stream* county by county: the same bytes as
    :func:`render_json`, without holding the whole document in memory.

    Given a :class:`~balance_rules.engine.columnar.ColumnarResult`, each county's
    findings are built just before they are written and dropped after, so a
    national run needs little more memory than ``--format csv``.
    """
    if isinstance(report, Report):
        standard = report.standard
        total = len(report.counties)
        reports: Iterable[Report] = (attrs.evolve(report, counties=(c,)) for c in report.counties)
        rows = report.skipped if skipped is None else skipped
    else:
        standard = report.plan.standard
        total = len(report.county_names)
        reports = _county_reports(report)
        rows = skipped or ()
    skeleton = report_dict(Report(standard=standard, counties=(), skipped=tuple(rows)), lang)
    skeleton["counties"] = [_PLACEHOLDER]
    text = json.dumps(skeleton, ensure_ascii=False, indent=2) + "\n"
    marker = "    " + json.dumps(_PLACEHOLDER)
    head, tail = text.split(marker, 1)
    written = 0
    for one in reports:
        for county in one.counties:
            body = json.dumps(_county(county, one, lang), ensure_ascii=False, indent=2)
            stream.write(head if written == 0 else ",\n")
            stream.write("    " + body.replace("\n", "\n    "))
            written += 1
        if progress is not None:
            progress(written, total)
    if written == 0:
        skeleton["counties"] = []
        stream.write(json.dumps(skeleton, ensure_ascii=False, indent=2) + "\n")
        return
    stream.write(tail)


def render_json_summary(report: Report, lang: str = "zh") -> str:
    """``--summary``: one entry per county (verdict, section counts, coefficients)."""
    from .tables import county_counts

    data = report_dict(Report(standard=report.standard, counties=()), lang)
    data["counties"] = [
        {
            "county": county.county,
            "verdict": county.verdict,
            "passed": county.passed,
            "vetoed": county.vetoed,
            **county_counts(county),
            "coefficients": [_coefficient(c) for c in county.coefficients],
        }
        for county in report.counties
    ]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
