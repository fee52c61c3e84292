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
                ]
            )
        lines += _table([t["level"], t["indicator"], t["value"], t["cap"], t["result"]], rows)
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


def render_markdown(report: Report, lang: str = "zh") -> str:
    """The report as Markdown tables."""
    t = _T["en" if lang == "en" else "zh"]
    standard = report.standard
    lines = [
        f"# {escape(standard.title.text(lang))}",
        "",
        escape(f"{standard.id} · {standard.source.document} · {' → '.join(standard.layers)}"),
        "",
    ]
    for county in report.counties:
        lines += _county(county, standard, lang, t)
    return "\n".join(lines).rstrip("\n") + "\n"
