"""Flip reports as text and JSON: who passes or fails differently under a new standard."""

from __future__ import annotations

import json
from typing import Any

from ..flips import FindingFlip, FlipReport
from .explain import explain, fmt, level_label, number, status_label, verdict_label

__all__ = ["render_flips_json", "render_flips_text"]


def _status(status: str | None, lang: str) -> str:
    if status is None:
        return "（无此规则）" if lang == "zh" else "(no such rule)"
    return status_label(status, lang)


def _finding_line(flip: FindingFlip, report: FlipReport, lang: str) -> str:
    where = (
        f"{flip.school_id} {flip.name or ''} [{level_label(flip.level, lang)}]"
        if flip.school_id
        else (f"[{level_label(flip.level, lang)}] " if flip.level else "")
        + ("县级" if lang == "zh" else "county")
    )
    indicator = f" ({flip.indicator})" if flip.indicator and flip.indicator != flip.rule else ""
    value = fmt(flip.new_value if flip.new_value is not None else flip.old_value, lang=lang)
    thresholds = f"{fmt(flip.old_threshold, lang=lang)} → {fmt(flip.new_threshold, lang=lang)}"
    label = "阈值" if lang == "zh" else "threshold"
    shown = "值" if lang == "zh" else "value"
    line = (
        f"  {where.strip()}: {flip.rule}{indicator}: "
        f"{_status(flip.old_status, lang)} → {_status(flip.new_status, lang)}  "
        f"({shown} {value}; {label} {thresholds})"
    )
    if flip.new_finding is not None:
        line += f"\n      {explain(flip.new_finding, report.new.standard, lang)}"
    return line


def render_flips_text(report: FlipReport, lang: str = "zh") -> str:
    """Counties, schools and rules that flip, with totals."""
    zh = lang != "en"
    old_id, new_id = report.old.standard.id, report.new.standard.id
    lines = [f"{'数据评估结果变化' if zh else 'Results on the data'}: {old_id} → {new_id}"]
    if report.empty:
        lines.append("  无变化" if zh else "  nothing flips")
        return "\n".join(lines) + "\n"
    totals = report.totals()
    template = (
        "  县区：{counties_to_fail} 个转为未通过，{counties_to_pass} 个转为通过，"
        "{counties_to_incomplete} 个转为数据不全；"
        "学段：{schools_to_fail} 个转为未达标，{schools_to_pass} 个转为达标"
        if zh
        else "  counties: {counties_to_fail} to fail, {counties_to_pass} to pass, "
        "{counties_to_incomplete} to incomplete; "
        "school sections: {schools_to_fail} to fail, {schools_to_pass} to pass"
    )
    lines.append(template.format(**totals))
    if report.counties:
        lines += ["", "县区" if zh else "Counties"]
        for county in report.counties:
            lines.append(
                f"  {county.county}: {verdict_label(county.old_verdict, lang)} → "
                f"{verdict_label(county.new_verdict, lang)}"
            )
    if report.schools:
        lines += ["", "学校（学段）" if zh else "School sections"]
        for school in report.schools:
            old = (
                "—"
                if school.old_passed is None
                else status_label("pass" if school.old_passed else "fail", lang)
            )
            new = (
                "—"
                if school.new_passed is None
                else status_label("pass" if school.new_passed else "fail", lang)
            )
            lines.append(
                f"  {school.county} {school.school_id} {school.name} "
                f"[{level_label(school.level, lang)}]: {old} → {new}"
            )
    if report.findings:
        lines += ["", "规则" if zh else "Rules"]
        lines += [_finding_line(f, report, lang) for f in report.findings]
    return "\n".join(lines) + "\n"


def _value(value: Any) -> Any:
    return value if isinstance(value, str) else number(value)


def render_flips_json(report: FlipReport) -> str:
    """The flip report as JSON."""
    data = {
        "old": {"id": report.old.standard.id, "digest": report.old.standard.digest},
        "new": {"id": report.new.standard.id, "digest": report.new.standard.digest},
        "totals": report.totals(),
        "counties": [
            {"county": c.county, "old": c.old_verdict, "new": c.new_verdict}
            for c in report.counties
        ],
        "schools": [
            {
                "county": s.county,
                "school_id": s.school_id,
                "name": s.name,
                "level": s.level,
                "old_passed": s.old_passed,
                "new_passed": s.new_passed,
            }
            for s in report.schools
        ],
        "findings": [
            {
                "county": f.county,
                "school_id": f.school_id,
                "level": f.level,
                "rule": f.rule,
                "indicator": f.indicator,
                "old_status": f.old_status,
                "new_status": f.new_status,
                "old_value": _value(f.old_value),
                "new_value": _value(f.new_value),
                "old_threshold": _value(f.old_threshold),
                "new_threshold": _value(f.new_threshold),
                "old_layer": f.old_layer,
                "new_layer": f.new_layer,
            }
            for f in report.findings
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
