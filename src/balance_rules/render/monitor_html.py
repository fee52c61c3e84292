"""Annual monitoring as one self-contained HTML page (``monitor --format html``).

An overview sorted by urgency with a heat-map of counties × years (each cell the
year's verdict, coloured, and its worst CV as a share of the cap), then per
county the verdict sentence, a trend chart per level (inline SVG, no network),
the coefficient table and the changes.  Needs jinja2 (the ``report`` extra).
"""

from __future__ import annotations

from typing import Any

from .._version import __version__
from ..monitor.model import CountyTrend, Monitoring
from .charts import line_chart
from .explain import level_label, verdict_label
from .html import environment
from .monitor import (
    ARROWS,
    LABELS,
    cap_text,
    cv_text,
    flip_text,
    headline_text,
    indicator_label,
    lang_of,
    movement_text,
    note_text,
    presence_text,
    warning_text,
    year_standards,
)

__all__ = ["render_monitor_html"]

_EXTRA = {
    "zh": {
        "county": "县区",
        "red": "红色预警",
        "yellow": "黄色预警",
        "level": "学段",
        "indicator": "指标",
        "trend": "较上年",
        "heat_note": "每格：当年结论（颜色）与相对上限最高的差异系数占上限的百分比；"
        "超过100%即超过上限。",
    },
    "en": {
        "county": "County",
        "red": "red warnings",
        "yellow": "yellow warnings",
        "level": "Level",
        "indicator": "Indicator",
        "trend": "since last year",
        "heat_note": "Each cell: the year's verdict (colour) and its CV highest against its "
        "cap, as a share of the cap; over 100 % is over the cap.",
    },
}


def _county(index: int, trend: CountyTrend, monitoring: Monitoring, lang: str) -> dict[str, Any]:
    standards = year_standards(monitoring)
    L = LABELS[lang_of(lang)]
    labels = [str(y) for y in monitoring.years]
    charts = []
    levels = dict.fromkeys(s.level for s in trend.coefficients)
    for level in levels:
        series: dict[str, list[float | None]] = {}
        caps: dict[str, float] = {}
        for s in trend.coefficients:
            if s.level != level:
                continue
            name = indicator_label(s.indicator, s.composite, standards, lang)
            series[name] = [p.value if p is not None else None for _, p in s.points]
            known = [p.max for _, p in s.points if p is not None and p.max is not None]
            if known:
                caps[name] = float(known[-1])
        title = f"{trend.county} {level_label(level, lang)} {L['cvs']}"
        charts.append(line_chart(series, labels, title, cap=caps or None))
    rows = []
    for s in trend.coefficients:
        caps_seen = {p.max for _, p in s.points if p is not None}
        rows.append(
            {
                "level": level_label(s.level, lang),
                "name": indicator_label(s.indicator, s.composite, standards, lang),
                "points": [
                    {
                        "text": cv_text(p.value) if p else "—",
                        "fail": p is not None and p.passed is False,
                    }
                    for _, p in s.points
                ],
                "cap": " / ".join(
                    cap_text(c) for c in sorted(caps_seen, key=lambda c: (c is None, c))
                ),
                "arrow": ARROWS[s.direction],
            }
        )
    warnings = [
        {"text": warning_text(w, standards, lang), "cls": f"sev-{w.severity}"}
        for w in trend.warnings
    ]
    return {
        "index": index,
        "county": trend.county,
        "verdicts": [
            {
                "year": y,
                "verdict": d.verdict if d else None,
                "label": verdict_label(d.verdict, lang) if d else "—",
            }
            for y, d in trend.years
        ],
        "headline": headline_text(trend.headline, lang) if trend.headline else None,
        "charts": charts,
        "series": rows,
        "lists": [
            {
                "title": L["flips"],
                "entries": [
                    {"text": flip_text(f, standards, lang), "cls": ""} for f in trend.flips
                ],
            },
            {
                "title": L["moves"],
                "entries": [
                    {"text": movement_text(m, standards, lang), "cls": ""} for m in trend.movements
                ],
            },
            {
                "title": L["presence"],
                "entries": [{"text": presence_text(p, lang), "cls": ""} for p in trend.presence],
            },
            {"title": L["warnings"], "entries": warnings},
        ],
    }


def render_monitor_html(monitoring: Monitoring, lang: str = "zh") -> str:
    """The monitoring report as one HTML page."""
    key = lang_of(lang)
    labels = {**LABELS[key], **_EXTRA[key]}
    standards = year_standards(monitoring)
    order = {t.county: i for i, t in enumerate(monitoring.counties)}
    overview = []
    for row in monitoring.overview:
        worst = ""
        if row.worst_indicator is not None and row.worst_level is not None:
            name = indicator_label(
                row.worst_indicator, row.worst_indicator == "composite", standards, lang
            )
            figures = f"{cv_text(row.worst_value)} {cap_text(row.worst_max)}"
            worst = f"{level_label(row.worst_level, lang)} {name} {figures}"
        overview.append(
            {
                "urgency": row.urgency,
                "county": row.county,
                "index": order[row.county],
                "cells": [
                    {
                        "verdict": c.verdict,
                        "text": "—" if c.worst_ratio is None else f"{c.worst_ratio:.0%}",
                        "title": f"{c.year} {verdict_label(c.verdict, lang) if c.verdict else '—'}"
                        + (f", {c.warnings} ⚠" if c.warnings else ""),
                    }
                    for c in row.cells
                ],
                "worst": worst,
                "red": row.red,
                "yellow": row.yellow,
            }
        )
    template = environment().get_template("monitor.html.j2")
    return template.render(
        lang_tag="en" if key == "en" else "zh-CN",
        version=__version__,
        title=labels["title"]
        + " "
        + "–".join(str(y) for y in (monitoring.years[0], monitoring.years[-1])),
        L=labels,
        years=list(monitoring.years),
        standards=[f"{y} {s}" for y, s in monitoring.standards],
        overview=overview,
        notes=[note_text(n, lang) for n in monitoring.notes],
        counties=[_county(i, t, monitoring, lang) for i, t in enumerate(monitoring.counties)],
    )
