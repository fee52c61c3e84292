"""A Markdown report: tables a county can paste into its self-evaluation."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..report import CountyResult, Finding, Report
from ..standard.model import Standard
from .explain import (
    coefficient_label,
    explain,
    fmt,
    level_label,
    reason_label,
    rule_label,
    status_label,
    verdict_label,
)
from .tables import fixed, sort_counties, summary_row

__all__ = ["escape", "render_markdown"]

_T = {
    "zh": {
        "verdict": "结论",
        "coefficients": "差异系数",
        "level": "学段",
        "indicator": "指标",
        "value": "值",
        "cap": "上限",
        "result": "结果",
        "schools": "学校指标（未达标与未评估）",
        "school": "学校",
        "rule": "规则",
        "reason": "说明",
        "source": "依据",
        "layer": "标准层级",
        "county_findings": "县级指标",
        "excluded": "未纳入评估的学校",
        "why": "原因",
        "none": "无",
    },
    "en": {
        "verdict": "Verdict",
        "coefficients": "Difference coefficients",
        "level": "Level",
        "indicator": "Indicator",
        "value": "Value",
        "cap": "Cap",
        "result": "Result",
        "schools": "School findings (unmet or not evaluated)",
        "school": "School",
        "rule": "Rule",
        "reason": "Reason",
        "source": "Source",
        "layer": "Layer",
        "county_findings": "County-level indicators",
        "excluded": "Schools left out",
        "why": "Reason",
        "none": "none",
    },
}


#: Markup characters from the data, shown literally (CommonMark backslash escapes).
_MARKUP = re.compile(r"([\\`*_\[\]|~!#{}])")
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_SCHEME = re.compile(r"(?i)\b(javascript|vbscript|data|file)\s*:")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def escape(text: object) -> str:
    """Text from the data as literal Markdown: no HTML, links, images or emphasis.

    A ``<`` that could open a tag or an autolink (``<script>``, ``</x>``,
    ``<javascript:...>``) is backslash-escaped, as are brackets, pipes and the
    other markup characters (no ``[text](javascript:...)`` links, no broken
    tables, no emphasis); a ``javascript:``-like scheme loses its colon's
    meaning; newlines and control characters become spaces.  ``< 7.5`` stays as
    it is.
    """
    value = _CONTROL.sub(" ", str(text))
    value = _MARKUP.sub(r"\\\1", value)
    value = _TAG_OPEN.sub(r"\\<", value)
    return _SCHEME.sub(lambda m: m.group(1) + "\\:", value)


def _cell(text: object) -> str:
    return escape(text)


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _finding_row(finding: Finding, standard: Standard, lang: str) -> list[object]:
    return [
        rule_label(finding, standard, lang),
        status_label(finding.status, lang),
        explain(finding, standard, lang),
        str(finding.source),
        finding.layer,
    ]


def _county(county: CountyResult, standard: Standard, lang: str, t: dict[str, str]) -> list[str]:
    lines = [
        f"## {escape(county.county)}",
        "",
        f"**{t['verdict']}: {verdict_label(county.verdict, lang)}**",
        "",
    ]
    if county.coefficients:
        lines += [f"### {t['coefficients']}", ""]
        rows = []
        for c in county.coefficients:
            name = coefficient_label(c, standard, lang)
            result = "" if c.passed is None else status_label("pass" if c.passed else "fail", lang)
            rows.append(
                [
                    level_label(c.level, lang),
                    name,
                    fmt(c.value, c.max),
                    fmt(c.max) if c.max else "—",
                    result,
                    c.schools,
                    fixed(c.students, 0) if c.students is not None else "—",
                    fixed(c.mean, 3) if c.mean is not None else "—",
                    fixed(c.std, 3) if c.std is not None else "—",
                ]
            )
        header = [t["level"], t["indicator"], t["value"], t["cap"], t["result"]]
        header += ["n", "N", "X̄", "S"]
        lines += _table(header, rows)
        lines.append("")
    school_rows = [
        [f"{s.school_id} {s.name}", level_label(s.level, lang), *_finding_row(f, standard, lang)]
        for s in county.schools
        for f in s.findings
        if f.status != "pass"
    ]
    lines += [f"### {t['schools']}", ""]
    if school_rows:
        header = [
            t["school"],
            t["level"],
            t["rule"],
            t["result"],
            t["reason"],
            t["source"],
            t["layer"],
        ]
        lines += _table(header, school_rows)
    else:
        lines.append(t["none"])
    lines.append("")
    facts = [f for f in county.findings if f.kind == "county_fact"]
    if facts:
        lines += [f"### {t['county_findings']}", ""]
        header = [t["rule"], t["result"], t["reason"], t["source"], t["layer"]]
        lines += _table(header, [_finding_row(f, standard, lang) for f in facts])
        lines.append("")
    if county.excluded:
        lines += [f"### {t['excluded']}", ""]
        rows = [
            [
                f"{e.school_id} {e.name}",
                level_label(e.level, lang),
                reason_label(e.reason, standard, lang),
            ]
            for e in county.excluded
        ]
        lines += _table([t["school"], t["level"], t["why"]], rows)
        lines.append("")
    return lines


def _summary(report: Report, lang: str) -> list[str]:
    """One row per county (failing first): verdict, sections, the CV nearest its cap."""
    zh = lang != "en"
    header = (
        ["县区", "结论", "学段", "达标", "未达标", "未评估", "未纳入",
         "最接近上限的差异系数", "值", "上限"]
        if zh
        else ["County", "Verdict", "Sections", "Met", "Not met", "Not evaluated", "Left out",
              "CV nearest its cap", "Value", "Cap"]
    )  # fmt: skip
    rows = []
    for county in sort_counties(report.counties):
        row = summary_row(county, report.standard, lang)
        cap = row["worst_max"]
        rows.append(
            [
                county.county,
                row["verdict_label"],
                row["sections"],
                row["sections_passed"],
                row["sections_failed"],
                row["sections_not_evaluated"],
                row["excluded"],
                row["worst"] or "—",
                fmt(row["worst_value"], cap),
                fmt(cap) if cap is not None else "—",
            ]
        )
    return _table(header, rows)


def render_markdown(report: Report, lang: str = "zh", summary: bool = False) -> str:
    """The report as Markdown tables (``summary``: one row per county)."""
    t = _T["en" if lang == "en" else "zh"]
    standard = report.standard
    lines = [
        f"# {escape(standard.title.text(lang))}",
        "",
        escape(f"{standard.id} · {standard.source.document} · {' → '.join(standard.layers)}"),
        "",
    ]
    if summary:
        return "\n".join(lines + _summary(report, lang)) + "\n"
    for county in report.counties:
        lines += _county(county, standard, lang, t)
    return "\n".join(lines).rstrip("\n") + "\n"
