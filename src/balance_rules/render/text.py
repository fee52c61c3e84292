"""A terminal report: the verdict, what fails and by how much, what is missing.

Passing school findings are summarised; ``verbose`` lists every finding.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

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
from .tables import sort_counties, summary_row, working

__all__ = ["clean", "render_text"]

#: Control characters (terminal escape sequences, bidi overrides) never reach the
#: terminal from the data; newlines inside a value would fake report lines.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_KEEP_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(value: object) -> str:
    """A data value for the terminal: line breaks and tabs as spaces, other controls gone."""
    return _CONTROL.sub(lambda m: " " if m.group() in "\r\n\t" else "", str(value))


_MARK = {"pass": "✓", "fail": "✗", "not_evaluated": "?"}

_T = {
    "zh": {
        "standard": "评估标准",
        "layers": "标准层级",
        "county": "县区",
        "verdict": "结论",
        "vetoed": "（触发一票否决）",
        "coefficients": "差异系数",
        "schools": "学校",
        "sections": "个学段",
        "school_problems": "有指标未达标或数据不全的学校（· 为容许范围内的单项未达标）",
        "all_ok": "所有学校各项指标均达标",
        "county_findings": "县级指标",
        "excluded": "未纳入评估",
        "source": "依据",
        "set_by": "标准来源",
        "unconfirmed": "（数值待核实）",
        "cap": "上限",
        "reported": "仅报告",
        "students": "在校生",
        "summary": "汇总",
        "counties_pass": "个县区通过",
        "merged": "并入分校点",
        "others_met": "其余 {n} 项县级指标达标（--verbose 查看全部）",
        "skipped": "因数据错误跳过 {n} 行（--skip-bad-rows），未参与评估：",
    },
    "en": {
        "standard": "Standard",
        "layers": "Layers",
        "county": "County",
        "verdict": "Verdict",
        "vetoed": " (vetoed)",
        "coefficients": "Difference coefficients",
        "schools": "Schools",
        "sections": "sections",
        "school_problems": "Schools with an unmet rule or missing data (· = unmet but tolerated)",
        "all_ok": "Every school meets every rule",
        "county_findings": "County-level indicators",
        "excluded": "Left out",
        "source": "source",
        "set_by": "set by",
        "unconfirmed": " (figure unconfirmed)",
        "cap": "cap",
        "reported": "reported only",
        "students": "students",
        "summary": "Summary",
        "counties_pass": "counties pass",
        "merged": "merged sub-sites",
        "others_met": "{n} other county indicators met (--verbose lists them)",
        "skipped": "{n} row(s) skipped for bad data (--skip-bad-rows), not evaluated:",
    },
}


def render_text(
    report: Report, lang: str = "zh", verbose: bool = False, summary: bool = False
) -> str:
    """The report as plain text for a terminal (``summary``: one line per county)."""
    t = _T["en" if lang == "en" else "zh"]
    standard = report.standard
    if summary:
        return _summary(report, lang)
    lines = [
        clean(
            f"{t['standard']}: {standard.title.text(lang)} ({standard.id}, "
            f"{standard.source.document})"
        ),
    ]
    if len(standard.layers) > 1:
        lines.append(clean(f"{t['layers']}: {' → '.join(standard.layers)}"))
    for county in report.counties:
        lines.append("")
        lines += _county(county, standard, lang, verbose)
    if report.skipped:
        lines += ["", t["skipped"].format(n=len(report.skipped))]
        for row in report.skipped:
            lines += [f"  {clean(problem)}" for problem in row.problems]
    if len(report.counties) > 1:
        passed = sum(1 for c in report.counties if c.passed)
        lines += ["", f"{t['summary']}: {passed}/{len(report.counties)} {t['counties_pass']}"]
    # Every value was cleaned where it was written; this is the safety net.
    return _CONTROL_KEEP_LINES.sub("", "\n".join(lines)) + "\n"


def _summary(report: Report, lang: str) -> str:
    """One line per county (sorted: failing first): verdict, sections, the CV nearest its cap."""
    zh = lang != "en"
    lines = []
    for county in sort_counties(report.counties):
        row = summary_row(county, report.standard, lang)
        worst = "—"
        if row["worst"] is not None:
            cap = row["worst_max"]
            worst = f"{row['worst']} {fmt(row['worst_value'], cap)}"
            worst += f" (≤ {fmt(cap)})" if cap is not None else ""
        counts = (
            f"学段 {row['sections']}：达标 {row['sections_passed']}，未达标 "
            f"{row['sections_failed']}，未评估 {row['sections_not_evaluated']}"
            if zh
            else f"sections {row['sections']}: {row['sections_passed']} met, "
            f"{row['sections_failed']} not met, {row['sections_not_evaluated']} not evaluated"
        )
        label = "最接近上限" if zh else "nearest its cap"
        lines.append(
            f"{clean(county.county)}  {row['verdict_label']}  {counts}  {label}: {clean(worst)}"
        )
    return _CONTROL_KEEP_LINES.sub("", "\n".join(lines)) + "\n"


def _county(county: CountyResult, standard: Standard, lang: str, verbose: bool) -> list[str]:
    t = _T["en" if lang == "en" else "zh"]
    verdict = verdict_label(county.verdict, lang) + (t["vetoed"] if county.vetoed else "")
    sections = len(county.schools)
    schools = len({s.school_id for s in county.schools})
    lines = [
        f"{t['county']}: {clean(county.county)}    {t['verdict']}: {verdict}",
        f"  {t['schools']}: {schools} ({sections} {t['sections']})",
    ]
    if county.coefficients:
        lines.append(f"  {t['coefficients']}:")
        for c in county.coefficients:
            name = coefficient_label(c, standard, lang)
            value = fmt(c.value, c.max, lang) if c.value is not None else "—"
            if c.max is None:
                judged = f"({t['reported']})"
                mark = " "
            else:
                judged = f"{t['cap']} {fmt(c.max, lang=lang)}"
                mark = "✓" if c.passed else "✗" if c.passed is False else "?"
            lines.append(
                f"    {mark} {level_label(c.level, lang)} {name}: {value}  {judged}  ({working(c)})"
            )
    problem_schools = [
        s
        for s in county.schools
        if verbose or s.passed is not True or any(f.status == "fail" for f in s.findings)
    ]
    if problem_schools:
        lines.append(f"  {t['school_problems'] if not verbose else t['schools']}:")
        for school in problem_schools:
            students = fmt(school.students, lang=lang) if school.students is not None else "—"
            lines.append(
                f"    {clean(school.school_id)} {clean(school.name)} "
                f"[{level_label(school.level, lang)}, "
                f"{t['students']} {students}]"
            )
            shown = school.findings if verbose else _problem_findings(school.findings)
            lines += [_finding_line(f, standard, lang, indent=6) for f in shown]
    elif county.schools:
        lines.append(f"  {t['all_ok']}")
    if county.findings:
        facts = [f for f in county.findings if f.kind == "county_fact"]
        if facts:
            lines.append(f"  {t['county_findings']}:")
            shown = facts if verbose else [f for f in facts if f.status != "pass"]
            lines += [_finding_line(f, standard, lang, indent=4) for f in shown]
            hidden = len(facts) - len(shown)
            if hidden:
                lines.append(f"    ✓ {t['others_met'].format(n=hidden)}")
    if county.excluded:
        counts = Counter(reason_label(e.reason, standard, lang) for e in county.excluded)
        summary = ", ".join(f"{label} {n}" for label, n in sorted(counts.items()))
        lines.append(f"  {t['excluded']}: {summary}")
        if verbose:
            for e in county.excluded:
                level = f" [{level_label(e.level, lang)}]" if e.level else ""
                lines.append(
                    f"    {clean(e.school_id)} {clean(e.name)}{level}: "
                    f"{reason_label(e.reason, standard, lang)}"
                )
    for note in county.notes:
        lines.append(f"  * {clean(note)}")
    return lines


def _problem_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Failing or unevaluated findings; members of a k-of-n only when it fails."""
    findings = list(findings)
    return [f for f in findings if f.status != "pass" and (f.decides or f.status == "fail")]


def _finding_line(finding: Finding, standard: Standard, lang: str, indent: int) -> str:
    t = _T["en" if lang == "en" else "zh"]
    mark = _MARK[finding.status]
    if not finding.decides and finding.status == "fail":
        mark = "·"
    level = (
        f"[{level_label(finding.level, lang)}] "
        if finding.level and finding.kind == "county_fact"
        else ""
    )
    flag = t["unconfirmed"] if finding.confidence == "unconfirmed" else ""
    return (
        " " * indent
        + f"{mark} {level}{clean(rule_label(finding, standard, lang))}: "
        + clean(explain(finding, standard, lang))
        + f"{flag}  [{status_label(finding.status, lang)}; {t['source']} {finding.source}; "
        + f"{t['set_by']} {finding.layer}]"
    )
