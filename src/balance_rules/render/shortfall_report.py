"""Shortfall plans as a self-contained HTML page and an Excel workbook.

Built on the report renderers' helpers (:mod:`.html` templates and base page,
:mod:`.charts` SVG, :mod:`.workbook` cells): one row per school and resource,
and per CV the values before and after the plan as a chart.
"""

from __future__ import annotations

from decimal import Decimal
from typing import IO, Any

from .._version import __version__
from ..shortfall.model import CountyPlan, ShortfallPlan
from ..standard.model import Standard
from .charts import cv_chart
from .explain import level_label, verdict_label
from .shortfall import _T, field_label, indicator_name, reason_text, rule_name, unit_label
from .workbook import Column, Sheets, new_workbook, write_table

__all__ = ["render_shortfall_html", "write_shortfall_xlsx"]

_H = {
    "zh": {
        "resource": "资源", "add": "补充量", "unit": "单位", "cost": "费用（元）",
        "total_cost": "合计费用（元）", "id": "学校标识码", "name": "学校名称", "level": "学段",
        "value_before": "补充前", "value_after": "补充后", "rules": "所服务的规则",
        "indicator": "指标", "cv_before": "测算前", "cv_after": "测算后", "cap": "上限",
        "costs": "单价文件", "summary": "汇总", "sheet_schools": "各校补充",
        "sheet_cv": "差异系数", "after_label": "（后）", "before_label": "（前）",
        "chart": "差异系数：测算前与测算后", "county": "县区",
        "verdict_before": "测算前结论", "verdict_after": "补足后结论",
        "np_sheet": "无法补足项", "rule": "规则", "reason": "原因",
    },
    "en": {
        "resource": "Resource", "add": "Add", "unit": "Unit", "cost": "Cost (yuan)",
        "total_cost": "Total cost (yuan)", "id": "School id", "name": "School", "level": "Level",
        "value_before": "Before", "value_after": "After", "rules": "Rules served",
        "indicator": "Indicator", "cv_before": "Before", "cv_after": "After", "cap": "Cap",
        "costs": "Costs file", "summary": "Summary", "sheet_schools": "Additions",
        "sheet_cv": "CVs", "after_label": " (after)", "before_label": " (before)",
        "chart": "Difference coefficients before and after", "county": "County",
        "verdict_before": "Verdict now", "verdict_after": "Verdict with the plan",
        "np_sheet": "Not plannable", "rule": "Rule", "reason": "Reason",
    },
}  # fmt: skip


def _text(value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _cvs(county: CountyPlan) -> list[Any]:
    return [c for c in county.coefficients if c.cap is not None or c.method]


def _county_view(county: CountyPlan, standard: Standard, lang: str, costed: bool) -> dict[str, Any]:
    h = _H[lang]
    cvs = []
    chart_items: list[tuple[str, float | None, float | None]] = []
    for c in _cvs(county):
        name = f"{level_label(c.level, lang)} {indicator_name(c.indicator, standard, lang)}"
        cap = float(c.cap) if c.cap is not None else None
        cvs.append(
            {
                "level": level_label(c.level, lang),
                "indicator": indicator_name(c.indicator, standard, lang),
                "before": f"{c.before:.4f}" if c.before is not None else "—",
                "after": f"{c.after:.4f}" if c.after is not None else "—",
                "cap": _text(c.cap),
                "method": c.method or "",
                "fail_before": cap is not None and c.before is not None and c.before > cap,
                "fail_after": cap is not None and c.after is not None and c.after > cap,
            }
        )
        chart_items.append((name + h["before_label"], c.before, cap))
        chart_items.append((name + h["after_label"], c.after, cap))
    charts = [cv_chart(chart_items, title=h["chart"])] if chart_items else []
    return {
        "county": county.county,
        "verdict_before": county.verdict_before,
        "verdict_after": county.verdict_after,
        "verdict_before_label": verdict_label(county.verdict_before, lang),
        "verdict_after_label": verdict_label(county.verdict_after, lang),
        "totals": [
            {
                "label": field_label(t.field, lang),
                "add": _text(t.add),
                "unit": unit_label(t.unit, lang),
                "cost": _text(t.cost),
            }
            for t in county.totals
        ],
        "total_cost": _text(county.total_cost),
        "schools": [
            {
                "school_id": s.school_id,
                "name": s.name,
                "level": level_label(item.level, lang) if item.level else "",
                "label": field_label(item.field, lang),
                "add": _text(item.add),
                "unit": unit_label(item.unit, lang),
                "before": _text(item.before),
                "after": _text(item.after),
                "cost": _text(item.cost),
                "rules": "、".join(rule_name(r, standard, lang) for r in item.rules),
            }
            for s in county.schools
            for item in s.items
        ],
        "cvs": cvs,
        "charts": charts,
        "floor_options": [
            f"{f.school_id} {level_label(f.level, lang)} "
            f"{indicator_name(f.indicator, standard, lang)}: {_text(f.saves)} "
            f"{unit_label(f.unit, lang)} {field_label(f.field, lang)}"
            for f in county.floor_options
        ],
        "not_plannable": [
            " ".join(
                x
                for x in (
                    rule_name(n.rule, standard, lang),
                    n.school_id or "",
                    level_label(n.level, lang) if n.level else "",
                    "—",
                    reason_text(n.reason, lang),
                )
                if x
            )
            for n in county.not_plannable
        ],
        "costed": costed,
    }


def render_shortfall_html(plan: ShortfallPlan, standard: Standard, lang: str = "zh") -> str:
    """One self-contained page (no script, no network request)."""
    from .html import environment

    lang = "en" if lang == "en" else "zh"
    t = {**_T[lang], **_H[lang]}
    env = environment()
    return env.get_template("shortfall.html.j2").render(
        lang_tag="en" if lang == "en" else "zh-CN",
        t=t,
        version=__version__,
        standard_id=plan.standard_id,
        costs_file=plan.costs_source,
        costed=plan.costed,
        counties=[_county_view(c, standard, lang, plan.costed) for c in plan.counties],
    )


def write_shortfall_xlsx(
    plan: ShortfallPlan, standard: Standard, stream: IO[bytes], lang: str = "zh"
) -> None:
    """Summary, one row per school and resource, CVs before/after with a chart."""
    lang = "en" if lang == "en" else "zh"
    h = _H[lang]
    book = new_workbook(stream)
    sheets = Sheets(book)
    summary = sheets.add(h["summary"])
    columns = [
        Column(h["county"], width=14),
        Column(h["verdict_before"]),
        Column(h["verdict_after"]),
        Column(h["resource"], width=30),
        Column(h["add"], kind="number", decimals=0),
        Column(h["unit"]),
        Column(h["cost"], kind="number", decimals=0),
    ]
    rows: list[list[object]] = []
    for c in plan.counties:
        head = [
            c.county,
            verdict_label(c.verdict_before, lang),
            verdict_label(c.verdict_after, lang),
        ]
        if not c.totals:
            rows.append([*head, None, None, None, c.total_cost])
        for t in c.totals:
            rows.append(
                [*head, field_label(t.field, lang), t.add, unit_label(t.unit, lang), t.cost]
            )
    write_table(book, summary, columns, rows)

    schools = sheets.add(h["sheet_schools"])
    columns = [
        Column(h["county"], width=14),
        Column(h["id"], width=16),
        Column(h["name"], width=24),
        Column(h["level"]),
        Column(h["resource"], width=30),
        Column(h["add"], kind="number", decimals=0),
        Column(h["unit"]),
        Column(h["value_before"], kind="number", decimals=0),
        Column(h["value_after"], kind="number", decimals=0),
        Column(h["cost"], kind="number", decimals=0),
        Column(h["rules"], width=30),
    ]
    rows = [
        [
            c.county, s.school_id, s.name,
            level_label(item.level, lang) if item.level else "",
            field_label(item.field, lang), item.add, unit_label(item.unit, lang),
            item.before, item.after, item.cost,
            "、".join(rule_name(r, standard, lang) for r in item.rules),
        ]
        for c in plan.counties
        for s in c.schools
        for item in s.items
    ]  # fmt: skip
    write_table(book, schools, columns, rows)

    cv_sheet = sheets.add(h["sheet_cv"])
    columns = [
        Column(h["county"], width=14),
        Column(h["level"]),
        Column(h["indicator"], width=34),
        Column(h["cv_before"], kind="number", decimals=4),
        Column(h["cv_after"], kind="number", decimals=4),
        Column(h["cap"], kind="number", decimals=2),
    ]
    rows = []
    fails = []
    for c in plan.counties:
        for cv in _cvs(c):
            cap = float(cv.cap) if cv.cap is not None else None
            rows.append(
                [c.county, level_label(cv.level, lang),
                 indicator_name(cv.indicator, standard, lang), cv.before, cv.after, cap]
            )  # fmt: skip
            fails.append(
                [False, False, False,
                 cap is not None and cv.before is not None and cv.before > cap,
                 cap is not None and cv.after is not None and cv.after > cap, False]
            )  # fmt: skip
    last = write_table(book, cv_sheet, columns, rows, fail=fails)
    if rows:
        chart = book.add_chart({"type": "bar"})
        name = sheets.names[-1]
        for col, label in ((3, h["cv_before"]), (4, h["cv_after"]), (5, h["cap"])):
            chart.add_series(
                {
                    "name": label,
                    "categories": [name, 1, 2, last, 2],
                    "values": [name, 1, col, last, col],
                }
            )
        chart.set_title({"name": h["chart"]})
        chart.set_size({"width": 720, "height": max(300, 22 * len(rows) + 120)})
        cv_sheet.insert_chart(1, 7, chart)
    np_sheet = sheets.add(h["np_sheet"])
    columns = [
        Column(h["county"], width=14),
        Column(h["rule"], width=30),
        Column(h["id"], width=16),
        Column(h["level"]),
        Column(h["reason"], width=50),
    ]
    rows = [
        [c.county, rule_name(n.rule, standard, lang), n.school_id or "",
         level_label(n.level, lang) if n.level else "", reason_text(n.reason, lang)]
        for c in plan.counties
        for n in c.not_plannable
    ]  # fmt: skip
    write_table(book, np_sheet, columns, rows)
    book.close()
