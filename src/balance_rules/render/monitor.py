"""Annual monitoring as text, JSON and CSV (``balance-rules monitor``).

Reads a :class:`~balance_rules.monitor.Monitoring` and formats it; every figure,
direction and ranking was computed by ``balance_rules.monitor``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from .._version import __version__
from ..monitor.model import (
    CountyTrend,
    CVSeries,
    EarlyWarningHit,
    Flip,
    Headline,
    Monitoring,
    Movement,
    Presence,
    YearNote,
)
from ..standard.model import Standard
from .explain import fmt, level_label, verdict_label
from .json import report_dict

__all__ = [
    "ARROWS",
    "COEFFICIENT_COLUMNS",
    "LABELS",
    "cap_text",
    "coefficient_rows",
    "cv_text",
    "flip_text",
    "headline_text",
    "indicator_label",
    "lang_of",
    "monitoring_dict",
    "movement_text",
    "note_text",
    "presence_text",
    "render_monitor_csv",
    "render_monitor_json",
    "render_monitor_text",
    "warning_text",
    "year_standards",
]

SCHEMA_VERSION = 1

LABELS = {
    "zh": {
        "title": "年度监测",
        "years": "年份",
        "standards": "评估标准",
        "overview": "总览（按紧迫程度排序）",
        "verdicts": "结论",
        "cvs": "差异系数",
        "cap": "上限",
        "flips": "状态变化的学校",
        "moves": "接近或超过上限的差异系数",
        "presence": "学校增减与标识码变化",
        "warnings": "预警（本项目约定的规则，非官方标准）",
        "notes": "注意",
        "none": "无",
        "worst": "相对上限最高",
        "composite": "综合差异系数",
        "informative": "（参考）",
        "pass_fail": "达标 → 未达标",
    },
    "en": {
        "title": "Annual monitoring",
        "years": "Years",
        "standards": "Standards",
        "overview": "Overview (most urgent first)",
        "verdicts": "Verdicts",
        "cvs": "Difference coefficients",
        "cap": "cap",
        "flips": "Schools whose status changed",
        "moves": "Coefficients moving toward or past their cap",
        "presence": "Schools opened, closed, merged or with a changed id",
        "warnings": "Early warnings (this project's convention, not an official standard)",
        "notes": "Notes",
        "none": "none",
        "worst": "highest against its cap",
        "composite": "composite CV",
        "informative": " (information)",
        "pass_fail": "pass → fail",
    },
}

_STATUS = {
    "zh": {True: "达标", False: "未达标", None: "未评估"},
    "en": {True: "pass", False: "fail", None: "not evaluated"},
}
ARROWS = {"up": "↑", "down": "↓", "flat": "→", None: ""}
_EVENTS = {
    "zh": {
        "opened": "新增",
        "closed": "撤销（不再出现）",
        "merged": "并入",
        "renamed": "标识码变更为",
        "id_reused": "标识码被另一所学校使用",
    },
    "en": {
        "opened": "opened",
        "closed": "closed (no longer listed)",
        "merged": "merged into",
        "renamed": "id changed to",
        "id_reused": "id reused by another school",
    },
}
_CHANGE = {
    "zh": {"past": "超过上限", "toward": "向上限靠近", "back": "回到上限以内"},
    "en": {
        "past": "now over its cap",
        "toward": "closer to its cap",
        "back": "back within its cap",
    },
}


def lang_of(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def year_standards(monitoring: Monitoring) -> list[Standard]:
    """The years' standards, latest first (for labels)."""
    return [report.standard for _, report in reversed(monitoring.reports)]


def indicator_label(
    indicator: str, composite: bool, standards: Sequence[Standard], lang: str
) -> str:
    """The indicator's label in the latest standard that has it."""
    lang = lang_of(lang)
    if composite:
        return LABELS[lang]["composite"]
    for standard in standards:
        found = standard.indicators.get(indicator)
        if found is not None:
            return found.label.text(lang)
    return indicator


def cv_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def cap_text(value: Decimal | None) -> str:
    return "—" if value is None else f"≤ {fmt(value)}"


def headline_text(headline: Headline, lang: str = "zh") -> str:
    """The published verdict sentence (reports.md, Wording)."""
    if lang_of(lang) == "en":
        what = "Composite CV" if headline.composite else "Highest CV"
        figures = ", ".join(
            f"{level_label(level, 'en')} {value:.3f}" for level, value, _, _ in headline.parts
        )
        caps = ", ".join(
            f"{level_label(level, 'en')} ≤ {fmt(cap)}" for level, _, cap, _ in headline.parts
        )
        verdict = "all meet" if headline.all_passed else "not all meet"
        required = "the national requirement" if headline.national else "the requirement"
        trend = {
            "down": ", and lower than the year before",
            "up": ", and higher than the year before",
            "flat": ", unchanged on the year before",
            None: "",
        }[headline.direction]
        return f"{what} {figures}: {verdict} {required} ({caps}){trend}."
    what = "综合差异系数" if headline.composite else "差异系数最高值"
    figures = "、".join(
        f"{level_label(level)} {value:.3f}" for level, value, _, _ in headline.parts
    )
    caps = "，".join(f"{level_label(level)} ≤ {fmt(cap)}" for level, _, cap, _ in headline.parts)
    required = "国家规定要求" if headline.national else "规定要求"
    if headline.all_passed:
        verdict = f"均达到{required}" if len(headline.parts) > 1 else f"达到{required}"
    else:
        verdict = f"未全部达到{required}"
    trend = {
        "down": "，且较上年呈下降趋势",
        "up": "，但较上年呈上升趋势",
        "flat": "，与上年持平",
        None: "",
    }[headline.direction]
    return f"{what}{figures}，{verdict}（{caps}）{trend}。"


def warning_text(hit: EarlyWarningHit, standards: Sequence[Standard], lang: str = "zh") -> str:
    """One warning as a line: severity, what, where, the figures, source and layer."""
    en = lang_of(lang) == "en"
    label = (hit.label_en or hit.label) if en else hit.label
    where = []
    if hit.level:
        where.append(level_label(hit.level, lang))
    if hit.indicator:
        where.append(indicator_label(hit.indicator, hit.indicator == "composite", standards, lang))
    if hit.school_id:
        where.append(hit.school_id)
    figures = []
    if hit.kind == "warning_k_of_n_lost":
        if hit.previous is not None and hit.value is not None:
            figures.append(
                f"met {int(hit.previous)} → {int(hit.value)}"
                if en
                else f"达标项数 {int(hit.previous)} → {int(hit.value)}"
            )
    else:
        if hit.previous is not None:
            figures.append(f"{cv_text(hit.previous)} → {cv_text(hit.value)}")
        else:
            figures.append(cv_text(hit.value))
        if hit.threshold is not None:
            figures.append(cap_text(hit.threshold))
    severity = {"red": "红色" if not en else "RED", "yellow": "黄色" if not en else "yellow"}
    convention = " [unconfirmed]" if hit.confidence == "unconfirmed" else ""
    return (
        f"[{severity[hit.severity]}] {hit.year} {label}: {' '.join(where)} {' '.join(figures)}"
        f" — {hit.source}, {hit.layer}{convention}"
    )


def note_text(note: YearNote, lang: str = "zh") -> str:
    return note.message_en if lang_of(lang) == "en" else note.message


def flip_text(flip: Flip, standards: Sequence[Standard], lang: str) -> str:
    status = _STATUS[lang_of(lang)]
    causes = "、".join(indicator_label(c, False, standards, lang) for c in flip.causes)
    because = (
        f"（{causes}）" if causes and lang_of(lang) == "zh" else f" ({causes})" if causes else ""
    )
    return (
        f"{flip.from_year}→{flip.to_year} {flip.school_id} {flip.name} "
        f"{level_label(flip.level, lang)}: {status[flip.before]} → {status[flip.after]}{because}"
    )


def movement_text(move: Movement, standards: Sequence[Standard], lang: str) -> str:
    name = indicator_label(move.indicator, move.composite, standards, lang)
    return (
        f"{move.from_year}→{move.to_year} {level_label(move.level, lang)} {name}: "
        f"{move.before:.3f} → {move.after:.3f} ({cap_text(move.max)}) "
        f"{_CHANGE[lang_of(lang)][move.change]}"
    )


def presence_text(event: Presence, lang: str) -> str:
    text = f"{event.year} {event.school_id} {event.name}: {_EVENTS[lang_of(lang)][event.event]}"
    if event.other:
        text += f" {event.other}"
    if event.detail:
        text += f" ({event.detail})"
    return text


def _series_line(series: CVSeries, standards: Sequence[Standard], lang: str) -> str:
    name = indicator_label(series.indicator, series.composite, standards, lang)
    if series.composite and all(p is None or p.max is None for _, p in series.points):
        name += LABELS[lang_of(lang)]["informative"]
    values = []
    for _, point in series.points:
        if point is None:
            values.append(f"{'—':>7}")
        else:
            mark = "*" if point.passed is False else " "
            values.append(f"{cv_text(point.value):>6}{mark}")
    caps = {p.max for _, p in series.points if p is not None}
    cap = (
        cap_text(caps.pop())
        if len(caps) == 1
        else "/".join(cap_text(c) for c in sorted(caps, key=str))
    )
    arrow = ARROWS[series.direction]
    return f"    {level_label(series.level, lang)} {name}: {''.join(values)}  {cap} {arrow}"


def _county_lines(trend: CountyTrend, monitoring: Monitoring, lang: str) -> list[str]:
    L = LABELS[lang_of(lang)]
    standards = year_standards(monitoring)
    lines = [trend.county]
    verdicts = " · ".join(
        f"{year} {verdict_label(d.verdict, lang) if d else '—'}" for year, d in trend.years
    )
    lines.append(f"  {L['verdicts']}: {verdicts}")
    if trend.headline is not None:
        lines.append(f"  {headline_text(trend.headline, lang)}")
    lines.append(f"  {L['cvs']} ({' '.join(str(y) for y in monitoring.years)}; * > {L['cap']}):")
    lines += [_series_line(s, standards, lang) for s in trend.coefficients]
    for key, items in (
        ("flips", [flip_text(f, standards, lang) for f in trend.flips]),
        (
            "moves",
            [movement_text(m, standards, lang) for m in trend.movements if m.change != "toward"]
            + [movement_text(m, standards, lang) for m in trend.movements if m.change == "toward"],
        ),
        ("presence", [presence_text(p, lang) for p in trend.presence]),
        ("warnings", [warning_text(w, standards, lang) for w in trend.warnings]),
    ):
        lines.append(f"  {L[key]}: {L['none'] if not items else ''}".rstrip())
        lines += [f"    {item}" for item in items]
    return lines


def render_monitor_text(monitoring: Monitoring, lang: str = "zh") -> str:
    """The monitoring report for a terminal."""
    L = LABELS[lang_of(lang)]
    lines = [
        f"{L['title']}: {', '.join(str(y) for y in monitoring.years)}",
        f"{L['standards']}: " + ", ".join(f"{y} {s}" for y, s in monitoring.standards),
        "",
        L["overview"] + ":",
    ]
    standards = year_standards(monitoring)
    for row in monitoring.overview:
        verdicts = " ".join(f"{y}:{verdict_label(v, lang) if v else '—'}" for y, v in row.verdicts)
        worst = ""
        if row.worst_indicator is not None and row.worst_level is not None:
            name = indicator_label(
                row.worst_indicator, row.worst_indicator == "composite", standards, lang
            )
            over = (
                row.worst_value is not None
                and row.worst_max is not None
                and row.worst_value > row.worst_max
            )
            cap = cap_text(row.worst_max)
            if over:  # "0.667 ≤ 0.5" would read as a claim: say it is over
                cap = ("上限 " if lang_of(lang) == "zh" else "over the cap ") + cap
            worst = (
                f"; {L['worst']}: {level_label(row.worst_level, lang)} {name} "
                f"{cv_text(row.worst_value)}{' ✗' if over else ''} ({cap})"
            )
        flags = ""
        if row.red or row.yellow:
            flags = (
                f"; 红色预警 {row.red}，黄色预警 {row.yellow}"
                if lang_of(lang) == "zh"
                else f"; red warnings {row.red}, yellow {row.yellow}"
            )
        lines.append(f"  {row.urgency}. {row.county}  {verdicts}{worst}{flags}")
    for trend in monitoring.counties:
        lines.append("")
        lines += _county_lines(trend, monitoring, lang)
    if monitoring.notes:
        lines += ["", L["notes"] + ":"]
        lines += [f"  - {note_text(n, lang)}" for n in monitoring.notes]
    return "\n".join(lines) + "\n"


# -- JSON ------------------------------------------------------------------------------


def _num(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def monitoring_dict(
    monitoring: Monitoring, lang: str = "zh", reports: bool = True
) -> dict[str, Any]:
    """The monitoring as plain JSON-ready data (with each year's full report)."""
    counties = []
    for trend in monitoring.counties:
        counties.append(
            {
                "county": trend.county,
                "years": [
                    {
                        "year": y,
                        "verdict": d.verdict if d else None,
                        "standard": d.standard if d else None,
                    }
                    for y, d in trend.years
                ],
                "headline": None
                if trend.headline is None
                else {
                    "year": trend.headline.year,
                    "composite": trend.headline.composite,
                    "levels": [
                        {"level": lv, "value": v, "max": float(c), "passed": p}
                        for lv, v, c, p in trend.headline.parts
                    ],
                    "passed": trend.headline.all_passed,
                    "direction": trend.headline.direction,
                    "text": headline_text(trend.headline, lang),
                },
                "coefficients": [
                    {
                        "rule": s.rule,
                        "level": s.level,
                        "indicator": s.indicator,
                        "composite": s.composite,
                        "direction": s.direction,
                        "points": [
                            {
                                "year": y,
                                "value": p.value if p else None,
                                "max": _num(p.max) if p else None,
                                "passed": p.passed if p else None,
                            }
                            for y, p in s.points
                        ],
                    }
                    for s in trend.coefficients
                ],
                "flips": [
                    {
                        "school_id": f.school_id,
                        "name": f.name,
                        "level": f.level,
                        "from_year": f.from_year,
                        "to_year": f.to_year,
                        "before": f.before,
                        "after": f.after,
                        "causes": list(f.causes),
                    }
                    for f in trend.flips
                ],
                "movements": [
                    {
                        "rule": m.rule,
                        "level": m.level,
                        "indicator": m.indicator,
                        "from_year": m.from_year,
                        "to_year": m.to_year,
                        "before": m.before,
                        "after": m.after,
                        "max": float(m.max),
                        "change": m.change,
                    }
                    for m in trend.movements
                ],
                "presence": [
                    {
                        "school_id": p.school_id,
                        "name": p.name,
                        "year": p.year,
                        "event": p.event,
                        "other": p.other,
                        "detail": p.detail,
                    }
                    for p in trend.presence
                ],
                "warnings": [
                    {
                        "rule": w.rule,
                        "kind": w.kind,
                        "severity": w.severity,
                        "year": w.year,
                        "level": w.level,
                        "indicator": w.indicator,
                        "school_id": w.school_id,
                        "value": w.value,
                        "previous": w.previous,
                        "threshold": _num(w.threshold),
                        "figure": _num(w.figure),
                        "label": (w.label_en or w.label) if lang == "en" else w.label,
                        "source": w.source,
                        "layer": w.layer,
                        "confidence": w.confidence,
                    }
                    for w in trend.warnings
                ],
            }
        )
    result: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "generator": {"name": "balance-rules", "version": __version__},
        "years": list(monitoring.years),
        "standards": [{"year": y, "standard": s} for y, s in monitoring.standards],
        "overview": [
            {
                "urgency": r.urgency,
                "county": r.county,
                "verdicts": [{"year": y, "verdict": v} for y, v in r.verdicts],
                "latest": r.latest,
                "worst": None
                if r.worst_indicator is None
                else {
                    "rule": r.worst_rule,
                    "level": r.worst_level,
                    "indicator": r.worst_indicator,
                    "value": r.worst_value,
                    "max": _num(r.worst_max),
                },
                "red": r.red,
                "yellow": r.yellow,
                "flips_to_fail": r.flips_to_fail,
            }
            for r in monitoring.overview
        ],
        "counties": counties,
        "notes": [
            {"code": n.code, "year": n.year, "county": n.county, "message": note_text(n, lang)}
            for n in monitoring.notes
        ],
    }
    if reports:
        result["reports"] = [
            {"year": year, "report": report_dict(report, lang)}
            for year, report in monitoring.reports
        ]
    return result


def render_monitor_json(monitoring: Monitoring, lang: str = "zh") -> str:
    return json.dumps(monitoring_dict(monitoring, lang), ensure_ascii=False, indent=2) + "\n"


# -- CSV -------------------------------------------------------------------------------

COEFFICIENT_COLUMNS = (
    "county",
    "year",
    "standard",
    "verdict",
    "rule",
    "level",
    "indicator",
    "composite",
    "value",
    "max",
    "passed",
    "direction_since_previous_year",
)


def coefficient_rows(monitoring: Monitoring) -> Iterator[list[object]]:
    """One row per county, year and coefficient (and one per county-year without data)."""
    for trend in monitoring.counties:
        for year, data in trend.years:
            if data is None:
                yield [
                    trend.county,
                    year,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                ]
                continue
            for series in trend.coefficients:
                points = dict(series.points)
                point = points.get(year)
                if point is None:
                    continue
                direction = dict(series.changes).get(year)
                yield [
                    trend.county,
                    year,
                    data.standard,
                    data.verdict,
                    series.rule,
                    series.level,
                    series.indicator,
                    series.composite,
                    point.value,
                    _num(point.max),
                    point.passed,
                    direction,
                ]


def _neutral(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def render_monitor_csv(monitoring: Monitoring, bom: bool = False) -> str:
    """Every coefficient per county and year with its cap (UTF-8; BOM for files)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COEFFICIENT_COLUMNS)
    for row in coefficient_rows(monitoring):
        writer.writerow(["" if v is None else _neutral(v) for v in row])
    return ("\ufeff" if bom else "") + out.getvalue()
