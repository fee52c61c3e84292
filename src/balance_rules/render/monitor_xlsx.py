"""Annual monitoring as an Excel workbook (``monitor --format xlsx``).

Sheets: the overview (counties × years, sorted by urgency), then one sheet per
year with every county's coefficients and caps (cells over the cap marked red),
then the changes (flips, schools opened/closed/merged, warnings).  Text cells are
strings, never formulas (``render.workbook``).  Needs xlsxwriter (the ``xlsx`` extra).
"""

from __future__ import annotations

from typing import IO

from ..monitor.model import Monitoring
from .explain import level_label, verdict_label
from .monitor import (
    LABELS,
    flip_text,
    indicator_label,
    lang_of,
    movement_text,
    note_text,
    presence_text,
    warning_text,
    year_standards,
)
from .workbook import Column, Sheets, new_workbook, write_table

__all__ = ["write_monitor_xlsx"]

_H = {
    "zh": {
        "overview": "总览",
        "year": "{year}年",
        "changes": "变化与预警",
        "urgency": "紧迫程度",
        "county": "县区",
        "worst": "相对上限最高的差异系数",
        "value": "差异系数",
        "cap": "上限",
        "red": "红色预警",
        "yellow": "黄色预警",
        "level": "学段",
        "indicator": "指标",
        "verdict": "结论",
        "passed": "达标",
        "kind": "类别",
        "text": "内容",
        "notes": "注意",
    },
    "en": {
        "overview": "Overview",
        "year": "{year}",
        "changes": "Changes and warnings",
        "urgency": "Urgency",
        "county": "County",
        "worst": "CV highest against its cap",
        "value": "CV",
        "cap": "Cap",
        "red": "Red warnings",
        "yellow": "Yellow warnings",
        "level": "Level",
        "indicator": "Indicator",
        "verdict": "Verdict",
        "passed": "Meets cap",
        "kind": "Kind",
        "text": "Text",
        "notes": "Notes",
    },
}


def write_monitor_xlsx(monitoring: Monitoring, stream: IO[bytes], lang: str = "zh") -> None:
    """Write the workbook to a binary stream."""
    key = lang_of(lang)
    H, L = _H[key], LABELS[key]
    standards = year_standards(monitoring)
    book = new_workbook(stream)
    sheets = Sheets(book)
    sheet = sheets.add(H["overview"])
    columns = [
        Column(H["urgency"], kind="int"),
        Column(H["county"], width=16),
        *(Column(str(y)) for y in monitoring.years),
        Column(H["worst"], width=36),
        Column(H["value"], kind="number", decimals=3),
        Column(H["cap"], kind="number", decimals=2),
        Column(H["red"], kind="int"),
        Column(H["yellow"], kind="int"),
    ]
    rows, fails = [], []
    for row in monitoring.overview:
        worst = ""
        if row.worst_indicator is not None and row.worst_level is not None:
            name = indicator_label(
                row.worst_indicator, row.worst_indicator == "composite", standards, lang
            )
            worst = f"{level_label(row.worst_level, lang)} {name}"
        verdicts = [verdict_label(v, lang) if v else "—" for _, v in row.verdicts]
        rows.append(
            [
                row.urgency,
                row.county,
                *verdicts,
                worst,
                row.worst_value,
                row.worst_max,
                row.red,
                row.yellow,
            ]
        )
        fails.append(
            [
                False,
                False,
                *(v == "fail" for _, v in row.verdicts),
                False,
                False,
                False,
                False,
                False,
            ]
        )
    write_table(book, sheet, columns, rows, fail=fails)
    for year in monitoring.years:
        sheet = sheets.add(H["year"].format(year=year))
        columns = [
            Column(H["county"], width=16),
            Column(H["verdict"]),
            Column(H["level"]),
            Column(H["indicator"], width=36),
            Column(H["value"], kind="number", decimals=3),
            Column(H["cap"], kind="number", decimals=2),
            Column(H["passed"]),
        ]
        rows, fails = [], []
        for trend in monitoring.counties:
            data = dict(trend.years).get(year)
            if data is None:
                rows.append([trend.county, "—", None, None, None, None, None])
                fails.append([False] * 7)
                continue
            for point in data.coefficients:
                status = (
                    {True: "✓", False: "✗", None: "—"}[point.passed]
                    if point.max is not None
                    else ""
                )
                rows.append(
                    [
                        trend.county,
                        verdict_label(data.verdict, lang),
                        level_label(point.level, lang),
                        indicator_label(point.indicator, point.composite, standards, lang),
                        point.value,
                        point.max,
                        status,
                    ]
                )
                fails.append(
                    [
                        False,
                        data.verdict == "fail",
                        False,
                        False,
                        point.passed is False,
                        False,
                        point.passed is False,
                    ]
                )
        write_table(book, sheet, columns, rows, fail=fails)
    sheet = sheets.add(H["changes"])
    rows = []
    for trend in monitoring.counties:
        rows += [[trend.county, L["flips"], flip_text(f, standards, lang)] for f in trend.flips]
        rows += [
            [trend.county, L["moves"], movement_text(m, standards, lang)] for m in trend.movements
        ]
        rows += [[trend.county, L["presence"], presence_text(p, lang)] for p in trend.presence]
        rows += [
            [trend.county, L["warnings"], warning_text(w, standards, lang)] for w in trend.warnings
        ]
    rows += [[n.county or "", H["notes"], note_text(n, lang)] for n in monitoring.notes]
    write_table(
        book,
        sheet,
        [Column(H["county"], width=16), Column(H["kind"], width=24), Column(H["text"], width=90)],
        rows,
    )
    book.close()
