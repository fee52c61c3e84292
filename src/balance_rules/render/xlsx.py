"""The Excel workbook (``--format xlsx``): the official annex tables, one per sheet.

Sheets: 汇总 (one row per county, sorted: failing first, then by the coefficient
nearest its cap), 表1 per level (每所学校: the resource indicators, the 6-of-7
tally and the lowest ratio against the 85 % floor, failing cells red), 表2 差异系数
(N, weighted mean, S, CV, cap, result per indicator and level), 保障与质量 (county
indicators, and school items that fail or are not evaluated), 缺失数据, 未纳入评估.
Numbers keep their full value; the display format shows the table's decimals
(CV 3, cap 2, means and S 3, school values 2).  Text is always a string, never a
formula.  Native Excel charts plot the CVs against their caps.

Written with xlsxwriter (the ``xlsx`` extra); national runs (more than
:data:`CONSTANT_MEMORY_SECTIONS` sections) in constant-memory mode, each sheet
written top to bottom without keeping its rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from ..errors import DataError, Problem
from ..report import Coefficient, Finding, Report, SchoolResult
from .explain import (
    coefficient_label,
    explain,
    level_label,
    reason_label,
    rule_label,
    status_label,
    verdict_label,
)
from .html import EXTRA_HINT as REPORT_HINT
from .tables import (
    SchoolColumn,
    county_counts,
    level_tables,
    missing_items,
    sort_counties,
    worst_coefficient,
)
from .workbook import EXTRA_HINT, Column, Sheets, new_workbook, write_table

__all__ = ["CONSTANT_MEMORY_SECTIONS", "require_format", "write_xlsx"]

#: Above this many school sections (a national run) rows are streamed to disk
#: (xlsxwriter's constant-memory mode, inline strings); below it the shared-string
#: table is used, which is about 25 % faster and keeps cells in memory (~70 MB for
#: 32,000 sections).
CONSTANT_MEMORY_SECTIONS = 50_000

_L = {
    "zh": {
        "summary": "汇总",
        "table1": "表1 {level}",
        "table2": "表2 差异系数",
        "items": "保障与质量",
        "missing": "缺失数据",
        "excluded": "未纳入评估",
        "county": "县区",
        "verdict": "结论",
        "schools": "学校数",
        "sections": "学段数",
        "passed": "达标学段",
        "failed": "未达标学段",
        "ne": "未评估学段",
        "n_excluded": "未纳入评估",
        "worst": "最接近上限的差异系数",
        "worst_value": "其值",
        "worst_cap": "其上限",
        "level": "学段",
        "id": "学校标识码",
        "name": "学校名称",
        "students": "在校生数",
        "tally": "达标项数（共 {of} 项）",
        "lowest": "未达标项最低比值（≥ 85%）",
        "others": "其他未达标或未评估项",
        "result": "是否达标",
        "indicator": "指标",
        "n_schools": "学校数 n",
        "n_students": "学生数 N",
        "mean": "加权平均值 X̄",
        "std": "标准差 S",
        "cv": "差异系数 CV",
        "cap": "上限",
        "outcome": "结果",
        "reported": "仅报告",
        "rule": "指标",
        "status": "状态",
        "value": "值",
        "op": "比较",
        "threshold": "标准",
        "reason": "说明",
        "source": "依据",
        "school": "学校",
        "fields": "缺失数据",
        "why": "原因",
        "detail": "说明",
        "title": "{title}（{id}）· 判定使用未经舍入的精确值，单元格保留完整数值",
        "chart": "差异系数与上限",
        "chart_worst": "各县区最接近上限的差异系数与上限",
        "county_level": "县级",
    },
    "en": {
        "summary": "Summary",
        "table1": "Table 1 {level}",
        "table2": "Table 2 CVs",
        "items": "Guarantee and quality",
        "missing": "Missing data",
        "excluded": "Left out",
        "county": "County",
        "verdict": "Verdict",
        "schools": "Schools",
        "sections": "Sections",
        "passed": "Sections met",
        "failed": "Sections not met",
        "ne": "Sections not evaluated",
        "n_excluded": "Left out",
        "worst": "CV nearest its cap",
        "worst_value": "Its value",
        "worst_cap": "Its cap",
        "level": "Level",
        "id": "School id",
        "name": "School",
        "students": "Students",
        "tally": "Met (of {of})",
        "lowest": "Lowest unmet ratio (≥ 85%)",
        "others": "Other unmet or not evaluated",
        "result": "Meets",
        "indicator": "Indicator",
        "n_schools": "Schools n",
        "n_students": "Students N",
        "mean": "Weighted mean X̄",
        "std": "S",
        "cv": "CV",
        "cap": "Cap",
        "outcome": "Result",
        "reported": "reported only",
        "rule": "Indicator",
        "status": "Status",
        "value": "Value",
        "op": "Op",
        "threshold": "Threshold",
        "reason": "Reason",
        "source": "Source",
        "school": "School",
        "fields": "Missing data",
        "why": "Reason",
        "detail": "Detail",
        "title": "{title} ({id}) · decisions use exact values; cells keep the full value",
        "chart": "Coefficients against their caps",
        "chart_worst": "Each county's CV nearest its cap, against the cap",
        "county_level": "county",
    },
}


def require_format(fmt: str, output: str | None) -> None:
    """Fail early (exit 2, nothing written) when ``fmt`` cannot be written."""
    if fmt == "xlsx":
        try:
            import xlsxwriter  # noqa: F401
        except ImportError:
            raise DataError(
                [Problem(f"--format xlsx needs the xlsxwriter package: {EXTRA_HINT}")]
            ) from None
        if not output:
            raise DataError([Problem("--format xlsx needs --output FILE.xlsx (it is not text)")])
    elif fmt == "html":
        try:
            import jinja2  # noqa: F401
        except ImportError:
            raise DataError(
                [Problem(f"--format html needs the jinja2 package: {REPORT_HINT}")]
            ) from None


def _yes_no(value: object, lang: str) -> object:
    if not isinstance(value, bool):
        return value
    if lang == "zh":
        return "是" if value else "否"
    return "yes" if value else "no"


def _heading(sc: SchoolColumn, lang: str) -> Column:
    """The header of a per-school column: label, unit, and the (most common) threshold."""
    op = {">=": "≥", "<=": "≤"}.get(sc.op or "", sc.op or "")
    if sc.threshold is None:
        limit = ""
    elif isinstance(sc.threshold, bool):
        limit = f" {op} {_yes_no(sc.threshold, lang)}"
    else:
        limit = f" {op} {float(sc.threshold):g}"
    unit = f"（{sc.unit}）" if sc.unit else ""
    return Column(f"{sc.label}{unit}{limit}", "number", 2, width=13)


def _school_cells(
    findings: Sequence[Finding | None],
    at: Sequence[int | None],
    cells: list[object],
    mark: list[bool],
    lang: str,
) -> None:
    for i in at:
        f = findings[i] if i is not None else None
        cells.append(None if f is None else _yes_no(f.value, lang))
        mark.append(f is not None and f.status == "fail")


def _key(c: Coefficient) -> tuple[str, str]:
    return (c.level, c.indicator)


def write_xlsx(report: Report, stream: IO[bytes], lang: str = "zh") -> None:
    """Write the workbook to a binary stream."""
    lang = "en" if lang == "en" else "zh"
    t = _L[lang]
    standard = report.standard
    counties = sort_counties(report.counties)
    sections = sum(len(county.schools) for county in counties)
    book = new_workbook(stream, constant_memory=sections > CONSTANT_MEMORY_SECTIONS)
    sheets = Sheets(book)

    # 汇总: one row per county.
    keys: list[tuple[str, str]] = []
    names: dict[tuple[str, str], str] = {}
    for county in counties:
        for c in county.coefficients:
            if _key(c) not in names:
                keys.append(_key(c))
                names[_key(c)] = (
                    f"{level_label(c.level, lang)} {coefficient_label(c, standard, lang)}"
                )
    summary = sheets.add(t["summary"])
    columns = [
        Column(t["county"], width=14),
        Column(t["verdict"], width=12),
        Column(t["schools"], "int", width=8),
        Column(t["sections"], "int", width=8),
        Column(t["passed"], "int", width=9),
        Column(t["failed"], "int", width=9),
        Column(t["ne"], "int", width=9),
        Column(t["n_excluded"], "int", width=9),
        Column(t["worst"], width=28),
        Column(t["worst_value"], "number", 3, width=9),
        Column(t["worst_cap"], "number", 2, width=9),
        *(Column(names[k], "number", 3, width=12) for k in keys),
    ]
    rows, fails = [], []
    for county in counties:
        by_key = {_key(c): c for c in county.coefficients}
        worst = worst_coefficient(county.coefficients)
        row: list[object] = [
            county.county,
            verdict_label(county.verdict, lang),
            *county_counts(county).values(),
            names[_key(worst)] if worst is not None else None,
            worst.value if worst is not None else None,
            worst.max if worst is not None else None,
            *(by_key[k].value if k in by_key else None for k in keys),
        ]
        fail = [False] * 11 + [k in by_key and by_key[k].passed is False for k in keys]
        fail[1] = county.verdict != "pass"
        fail[9] = worst is not None and worst.passed is False
        rows.append(row)
        fails.append(fail)
    title = t["title"].format(title=standard.title.text(lang), id=standard.id)
    last = write_table(book, summary, columns, rows, fail=fails, title=title, first_row=0)
    if len(counties) > 1:
        # Each county's worst CV against its cap (one county: the chart is on 表2).
        chart = book.add_chart({"type": "bar"})
        first, end = 2, last
        chart.add_series(
            {
                "name": t["worst_value"],
                "categories": [summary.name, first, 0, end, 0],
                "values": [summary.name, first, 9, end, 9],
                "fill": {"color": "#4A7AB5"},
            }
        )
        chart.add_series(
            {
                "name": t["worst_cap"],
                "categories": [summary.name, first, 0, end, 0],
                "values": [summary.name, first, 10, end, 10],
                "fill": {"color": "#333333"},
            }
        )
        chart.set_title({"name": t["chart_worst"]})
        chart.set_y_axis({"reverse": True})
        chart.set_size({"width": 720, "height": min(4000, 120 + 18 * len(counties))})
        summary.insert_chart(end + 3, 0, chart)

    # 表1: one sheet per level.
    levels: dict[str, dict[str, SchoolColumn]] = {}
    per_county = [(county, level_tables(county, standard, lang)) for county in counties]
    for _, tables in per_county:
        for table in tables:
            merged = levels.setdefault(table.level, {})
            for column in table.columns:
                merged.setdefault(column.rule, column)
    for level, merged in levels.items():
        members = [c for c in merged.values() if c.member]
        rest = [c for c in merged.values() if not c.member]
        rows_of_level = [
            (county, table)
            for county, tables in per_county
            for table in tables
            if table.level == level
        ]
        of = max(
            (r.k_of_n.of or 0 for _, tb in rows_of_level for r in tb.rows if r.k_of_n),
            default=0,
        )
        has_others = any(r.others for _, tb in rows_of_level for r in tb.rows)
        sheet = sheets.add(t["table1"].format(level=level_label(level, lang)))
        header = [
            Column(t["county"], width=12),
            Column(t["id"], width=13),
            Column(t["name"], width=22),
            Column(t["students"], "int", width=8),
        ]

        header += [_heading(sc, lang) for sc in members]
        if of:
            header += [Column(t["tally"].format(of=of), "int", width=9)]
            header += [Column(t["lowest"], "percent", 1, width=11)]
        header += [_heading(sc, lang) for sc in rest]
        if has_others:
            header.append(Column(t["others"], width=40))
        header.append(Column(t["result"], width=9))
        body, marks = [], []
        for county, table in rows_of_level:
            index = {c.rule: i for i, c in enumerate(table.columns)}
            member_at = [index.get(sc.rule) for sc in members]
            rest_at = [index.get(sc.rule) for sc in rest]
            for r in table.rows:
                s = r.school
                cells: list[object] = [county.county, s.school_id, s.name, s.students]
                mark = [False] * 4
                _school_cells(r.cells, member_at, cells, mark, lang)
                if of:
                    k = r.k_of_n
                    cells += [k.met if k else None, k.lowest_ratio if k else None]
                    mark += [k is not None and k.status == "fail", False]
                _school_cells(r.cells, rest_at, cells, mark, lang)
                if has_others:
                    cells.append(
                        "；".join(
                            f"{rule_label(f, standard, lang)}：{explain(f, standard, lang)}"
                            for f in r.others
                        )
                        or None
                    )
                    mark.append(False)
                passed = s.passed
                status = "not_evaluated" if passed is None else "pass" if passed else "fail"
                cells.append(status_label(status, lang))
                mark.append(passed is False)
                body.append(cells)
                marks.append(mark)
        write_table(book, sheet, header, body, fail=marks)

    # 表2: coefficients with their working.
    sheet = sheets.add(t["table2"])
    header = [
        Column(t["county"], width=12),
        Column(t["level"], width=6),
        Column(t["indicator"], width=30),
        Column(t["n_schools"], "int", width=8),
        Column(t["n_students"], "int", width=9),
        Column(t["mean"], "number", 3, width=11),
        Column(t["std"], "number", 3, width=10),
        Column(t["cv"], "number", 3, width=10),
        Column(t["cap"], "number", 2, width=8),
        Column(t["outcome"], width=9),
    ]
    body, marks = [], []
    for county in counties:
        for c in county.coefficients:
            result = (
                t["reported"]
                if c.max is None
                else "—"
                if c.passed is None
                else status_label("pass" if c.passed else "fail", lang)
            )
            body.append(
                [
                    county.county,
                    level_label(c.level, lang),
                    coefficient_label(c, standard, lang),
                    c.schools,
                    c.students,
                    c.mean,
                    c.std,
                    c.value,
                    c.max,
                    result,
                ]
            )
            bad = c.passed is False
            marks.append([False] * 7 + [bad, False, bad])
    last = write_table(book, sheet, header, body, fail=marks)
    if len(counties) == 1 and body:
        chart = book.add_chart({"type": "bar"})
        for col, name, colour in ((7, t["cv"], "#4A7AB5"), (8, t["cap"], "#333333")):
            chart.add_series(
                {
                    "name": name,
                    "categories": [sheet.name, 1, 1, last, 2],
                    "values": [sheet.name, 1, col, last, col],
                    "fill": {"color": colour},
                }
            )
        chart.set_title({"name": f"{counties[0].county} · {t['chart']}"})
        chart.set_y_axis({"reverse": True})
        chart.set_size({"width": 720, "height": 140 + 26 * len(body)})
        sheet.insert_chart(1, 11, chart)

    # 保障与质量: county indicators (per-school items are columns of 表1).
    sheet = sheets.add(t["items"])
    header = [
        Column(t["county"], width=12),
        Column(t["school"], width=26),
        Column(t["level"], width=6),
        Column(t["rule"], width=30),
        Column(t["status"], width=9),
        Column(t["value"], "number", 2, width=10),
        Column(t["op"], width=5),
        Column(t["threshold"], "number", 2, width=9),
        Column(t["reason"], width=50),
        Column(t["source"], width=28),
    ]
    body, marks = [], []
    for county in counties:
        items: list[tuple[SchoolResult | None, Finding]] = [
            (None, f) for f in county.findings if f.kind == "county_fact"
        ]
        for school, f in items:
            body.append(
                [
                    county.county,
                    t["county_level"] if school is None else f"{school.school_id} {school.name}",
                    level_label(f.level, lang) or None,
                    rule_label(f, standard, lang),
                    status_label(f.status, lang),
                    _yes_no(f.value, lang),
                    f.op,
                    _yes_no(f.threshold, lang),
                    explain(f, standard, lang),
                    str(f.source),
                ]
            )
            marks.append([False] * 4 + [f.status == "fail", f.status == "fail"] + [False] * 4)
    write_table(book, sheet, header, body, fail=marks)

    # 缺失数据.
    sheet = sheets.add(t["missing"])
    header = [
        Column(t["county"], width=12),
        Column(t["id"], width=13),
        Column(t["name"], width=22),
        Column(t["level"], width=6),
        Column(t["rule"], width=30),
        Column(t["fields"], width=30),
        Column(t["reason"], width=50),
    ]
    missing_rows: list[Sequence[object]] = []
    for county in counties:
        for school, f in missing_items(county):
            missing_rows.append(
                [
                    county.county,
                    school.school_id if school else t["county_level"],
                    school.name if school else None,
                    level_label(f.level, lang) or None,
                    rule_label(f, standard, lang),
                    ", ".join(f.missing) or None,
                    explain(f, standard, lang),
                ]
            )
    write_table(book, sheet, header, missing_rows)

    # 未纳入评估.
    sheet = sheets.add(t["excluded"])
    header = [
        Column(t["county"], width=12),
        Column(t["id"], width=13),
        Column(t["name"], width=22),
        Column(t["level"], width=6),
        Column(t["why"], width=28),
        Column(t["detail"], width=20),
    ]
    excluded_rows: list[Sequence[object]] = [
        [
            county.county,
            e.school_id,
            e.name,
            level_label(e.level, lang) or None,
            reason_label(e.reason, standard, lang),
            e.detail,
        ]
        for county in counties
        for e in county.excluded
    ]
    write_table(book, sheet, header, excluded_rows)
    book.close()
