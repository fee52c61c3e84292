"""The HTML report (``--format html``): one self-contained page, charts inline.

Templates are jinja2 (the ``report`` extra), autoescaped: every value from the
data — school names, ids, county names, notes — is shown as text, never run.
The page makes no network request (a Content-Security-Policy forbids it) and
prints on A4 with a page break before each county.

Other reports extend the same base page::

    from balance_rules.render.html import environment

    env = environment()                      # jinja2 imported lazily
    page = env.get_template("my_report.html.j2").render(lang_tag="zh-CN", ...)

with ``my_report.html.j2`` in ``balance_rules/render/templates/`` starting with
``{% extends "base.html.j2" %}`` and filling ``title``, ``style`` and ``content``.
``environment(extra_dir)`` also searches ``extra_dir`` first.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from .._version import __version__
from ..errors import DataError, Problem
from ..report import Coefficient, CountyResult, Finding, Report
from .charts import bar_chart, cv_chart
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
from .tables import (
    LevelTable,
    county_counts,
    fixed,
    level_tables,
    missing_items,
    sort_counties,
    worst_coefficient,
)

if TYPE_CHECKING:
    import jinja2

__all__ = ["EXTRA_HINT", "TEMPLATES", "environment", "render_html"]

EXTRA_HINT = "pip install 'balance-rules[report]'"
#: The folder of the packaged templates.
TEMPLATES = Path(__file__).parent / "templates"


def environment(*extra_dirs: str | Path) -> jinja2.Environment:
    """A jinja2 environment over the packaged templates, autoescaping everything.

    Raises :class:`DataError` naming the ``report`` extra when jinja2 is missing.
    """
    try:
        import jinja2
    except ImportError:
        raise DataError(
            [Problem(f"--format html needs the jinja2 package: {EXTRA_HINT}")]
        ) from None
    folders: Sequence[str | Path] = (*extra_dirs, TEMPLATES)
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


_L = {
    "zh": {
        "title": "义务教育均衡发展评估报告",
        "overview": "各县区总览",
        "county": "县区",
        "verdict": "结论",
        "why": "结论依据",
        "schools": "学校",
        "sections": "学段数",
        "passed": "达标",
        "failed": "未达标",
        "not_evaluated": "未评估",
        "worst": "最接近上限的差异系数",
        "worst_chart": "各县区最接近上限的差异系数与上限",
        "coefficients": "校际差异系数（表2）",
        "level": "学段",
        "indicator": "指标",
        "n_schools": "学校数 n",
        "students": "学生数 N",
        "mean": "加权平均值 X̄",
        "std": "标准差 S",
        "cv": "差异系数 CV",
        "cap": "上限",
        "result": "结果",
        "reported": "仅报告",
        "composite_note": "综合差异系数为各项差异系数的平均值；标“仅报告”的综合值本标准不作判定，"
        "仅供参考。",
        "cv_chart": "差异系数与上限",
        "charts": "各校指标值与标准",
        "no_school_values": "该标准不对学校逐项设定标准，结果中没有学校的单项值，故不绘制学校图。",
        "school_table": "学校达标情况（表1）",
        "id": "学校标识码",
        "name": "学校名称",
        "pupils": "在校生",
        "tally": "达标项数",
        "lowest": "最低比值",
        "others": "其他未达标或未评估项",
        "school_result": "是否达标",
        "county_items": "政府保障与教育质量（县级指标）",
        "rule": "指标",
        "status": "状态",
        "reason": "说明",
        "source": "依据",
        "missing": "未评估项与缺失数据",
        "where": "学校 / 县级",
        "county_level": "县级",
        "missing_fields": "缺失数据",
        "excluded": "未纳入评估的学校",
        "why_excluded": "原因",
        "detail": "说明",
        "none": "无",
        "notes": "说明",
        "standard": "评估标准",
        "layers": "标准层级",
        "legend": "红色单元格（✗）为未达标；— 为缺失数据；“仅报告”的差异系数不作判定。"
        "表中数值按表格惯例四舍五入显示（差异系数 3 位小数），判定使用未经舍入的精确值。",
        "skipped": "因数据错误跳过的行",
        "counts": "学校 {schools} 所（{sections} 个学段）：达标 {sections_passed}，"
        "未达标 {sections_failed}，未评估 {sections_not_evaluated}；未纳入评估 {excluded}",
        "why_cv_fail": "{name}差异系数 {value} 超过上限 {cap}",
        "why_cv_ne": "{name}差异系数无法计算：{reason}",
        "why_fact_fail": "{name}：{reason}",
        "why_schools_fail": "{n} 个学校学段未达标（见学校达标情况表）",
        "why_ne": "{n} 项因数据缺失未评估（缺少：{fields}；见未评估项）",
        "why_pass": "各项差异系数均未超过上限，所有学校学段与县级指标均达标",
        "why_composites": "综合差异系数{parts}",
        "vetoed": "（触发一票否决）",
        "of": "{met}/{of}",
    },
    "en": {
        "title": "Compulsory-education balance report",
        "overview": "All counties",
        "county": "County",
        "verdict": "Verdict",
        "why": "Why",
        "schools": "Schools",
        "sections": "Sections",
        "passed": "Met",
        "failed": "Not met",
        "not_evaluated": "Not evaluated",
        "worst": "Coefficient nearest its cap",
        "worst_chart": "Each county's coefficient nearest its cap, against the cap",
        "coefficients": "Difference coefficients (table 2)",
        "level": "Level",
        "indicator": "Indicator",
        "n_schools": "Schools n",
        "students": "Students N",
        "mean": "Weighted mean X̄",
        "std": "S",
        "cv": "CV",
        "cap": "Cap",
        "result": "Result",
        "reported": "reported only",
        "composite_note": "The composite is the mean of the coefficients; one marked "
        "'reported only' is not tested by this standard (informative).",
        "cv_chart": "Coefficients against their caps",
        "charts": "Each school's value against the standard",
        "no_school_values": "This standard sets no per-school threshold, so the result holds "
        "no per-school values to chart.",
        "school_table": "Schools (table 1)",
        "id": "School id",
        "name": "School",
        "pupils": "Students",
        "tally": "Met",
        "lowest": "Lowest ratio",
        "others": "Other unmet or not evaluated",
        "school_result": "Meets",
        "county_items": "Government guarantee and quality (county indicators)",
        "rule": "Indicator",
        "status": "Status",
        "reason": "Reason",
        "source": "Source",
        "missing": "Not evaluated and the missing data",
        "where": "School / county",
        "county_level": "county",
        "missing_fields": "Missing data",
        "excluded": "Schools left out",
        "why_excluded": "Reason",
        "detail": "Detail",
        "none": "none",
        "notes": "Notes",
        "standard": "Standard",
        "layers": "Layers",
        "legend": "Red cells (✗) are not met; — is missing data; coefficients marked "
        "'reported only' are not tested. Values are rounded for display (CVs to 3 "
        "places); decisions use the exact values.",
        "skipped": "Rows skipped for bad data",
        "counts": "{schools} schools ({sections} sections): {sections_passed} met, "
        "{sections_failed} not met, {sections_not_evaluated} not evaluated; {excluded} left out",
        "why_cv_fail": "{name} CV {value} is above its cap {cap}",
        "why_cv_ne": "{name} CV cannot be computed: {reason}",
        "why_fact_fail": "{name}: {reason}",
        "why_schools_fail": "{n} school sections do not meet the standard (see the school table)",
        "why_ne": "{n} items not evaluated for missing data ({fields}; see below)",
        "why_pass": "every coefficient is within its cap; every school section and county "
        "indicator is met",
        "why_composites": "composite CV {parts}",
        "vetoed": " (vetoed)",
        "of": "{met}/{of}",
    },
}


def _float(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    return float(value)  # type: ignore[arg-type]


class _Builder:
    """Turns a Report into the plain dicts and strings the templates show."""

    def __init__(self, report: Report, lang: str) -> None:
        self.report = report
        self.standard = report.standard
        self.lang = "en" if lang == "en" else "zh"
        self.t = _L[self.lang]

    def coefficient_name(self, c: Coefficient) -> str:
        return f"{level_label(c.level, self.lang)} {coefficient_label(c, self.standard, self.lang)}"

    def counts(self, county: CountyResult) -> dict[str, int]:
        return county_counts(county)

    def why(self, county: CountyResult) -> list[str]:
        t, lang, items = self.t, self.lang, []
        for c in county.coefficients:
            if c.passed is False:
                items.append(
                    t["why_cv_fail"].format(
                        name=self.coefficient_name(c),
                        value=fixed(c.value, 3, c.max),
                        cap=fixed(c.max, 2),
                    )
                )
        for f in county.findings:
            if f.kind == "coefficients" and f.status == "not_evaluated" and f.decides:
                name = f"{level_label(f.level, lang)} {rule_label(f, self.standard, lang)}"
                items.append(
                    t["why_cv_ne"].format(name=name, reason=explain(f, self.standard, lang))
                )
            elif f.kind != "coefficients" and f.status == "fail" and f.decides:
                items.append(
                    t["why_fact_fail"].format(
                        name=rule_label(f, self.standard, lang),
                        reason=explain(f, self.standard, lang),
                    )
                )
        counts = self.counts(county)
        if counts["sections_failed"]:
            items.append(t["why_schools_fail"].format(n=counts["sections_failed"]))
        unevaluated = [
            f for _, f in missing_items(county) if f.decides and f.kind != "coefficients"
        ]
        if unevaluated:
            fields = dict.fromkeys(name for f in unevaluated for name in f.missing)
            shown = ("、" if lang == "zh" else ", ").join(fields) or "—"
            items.append(t["why_ne"].format(n=len(unevaluated), fields=shown))
        if county.verdict == "pass":
            items.append(t["why_pass"])
        composites = [c for c in county.coefficients if c.composite and c.value is not None]
        if composites:
            sep = "、" if lang == "zh" else ", "
            parts = sep.join(
                f"{level_label(c.level, lang)} {fixed(c.value, 3, c.max)}"
                + (f"（≤ {fixed(c.max, 2)}）" if c.max and lang == "zh" else "")
                + (f" (≤ {fixed(c.max, 2)})" if c.max and lang == "en" else "")
                for c in composites
            )
            items.append(t["why_composites"].format(parts=parts))
        return items

    def coefficients(self, county: CountyResult) -> list[dict[str, object]]:
        rows = []
        for c in county.coefficients:
            rows.append(
                {
                    "level": level_label(c.level, self.lang),
                    "name": coefficient_label(c, self.standard, self.lang),
                    "schools": c.schools,
                    "students": fixed(c.students, 0) if c.students is not None else "—",
                    "mean": fixed(c.mean, 3) if c.mean is not None else "—",
                    "std": fixed(c.std, 3) if c.std is not None else "—",
                    "value": fixed(c.value, 3, c.max),
                    "cap": fixed(c.max, 2) if c.max is not None else self.t["reported"],
                    "result": "—"
                    if c.passed is None
                    else status_label("pass" if c.passed else "fail", self.lang),
                    "fail": c.passed is False,
                    "composite": c.composite,
                }
            )
        return rows

    def cv_chart(self, county: CountyResult) -> str:
        items = [
            (self.coefficient_name(c), c.value, _float(c.max))
            for c in county.coefficients
            if not (c.composite and c.value is None)
        ]
        return cv_chart(items, f"{county.county} · {self.t['cv_chart']}") if items else ""

    def school_charts(self, county: CountyResult, tables: list[LevelTable]) -> list[str]:
        charts = []
        with_cv = {(c.level, c.indicator) for c in county.coefficients if not c.composite}
        for table in tables:
            for index, column in enumerate(table.columns):
                if with_cv and (table.level, column.indicator) not in with_cv:
                    continue
                cells = sorted(
                    ((row.school, row.cells[index]) for row in table.rows),
                    key=lambda pair: (
                        pair[1] is None or pair[1].value is None,
                        _float(pair[1].value) if pair[1] is not None else 0.0,
                    ),
                )
                values = [_float(f.value) if f is not None else None for _, f in cells]
                failing = [f is not None and f.status == "fail" for _, f in cells]
                labels = [s.name for s, _ in cells]
                unit = f"（{column.unit}）" if column.unit and self.lang == "zh" else ""
                unit = f" ({column.unit})" if column.unit and self.lang == "en" else unit
                title = f"{level_label(table.level, self.lang)} {column.label}{unit}"
                charts.append(
                    bar_chart(
                        values,
                        _float(column.threshold),
                        labels,
                        title,
                        op=column.op or ">=",
                        failing=failing,
                    )
                )
        return charts

    def school_tables(self, tables: list[LevelTable]) -> list[dict[str, object]]:
        """Per level: headers and the body as escaped HTML (built here: ~30,000 rows).

        Columns: id, name, students, the k-of-n members, the tally and lowest
        ratio, the other per-school rules, anything else unmet, the result.
        Closing ``</td>``/``</tr>`` tags are omitted (valid HTML) to keep national
        reports small.
        """
        out: list[dict[str, object]] = []
        lang = self.lang
        for table in tables:
            members = [i for i, c in enumerate(table.columns) if c.member]
            rest = [i for i, c in enumerate(table.columns) if not c.member]
            has_k = any(r.k_of_n is not None for r in table.rows)
            whole = [
                isinstance(c.threshold, int | Decimal)
                and not isinstance(c.threshold, bool)
                and c.threshold == int(c.threshold)
                for c in table.columns
            ]
            headers = []
            for index in members + rest:
                c = table.columns[index]
                op = {">=": "≥", "<=": "≤"}.get(c.op or "", c.op or "")
                threshold = fmt(c.threshold, lang=lang) if c.threshold is not None else ""
                headers.append(f"{c.label} {op} {threshold}".strip())
            if has_k:
                headers[len(members) : len(members)] = [self.t["tally"], self.t["lowest"]]
            parts: list[str] = []
            add = parts.append
            for row in table.rows:
                s = row.school
                students = fixed(s.students, 0) if s.students is not None else "—"
                add(f"<tr><td>{escape(s.school_id)}<td>{escape(s.name)}<td>{students}")
                cells = row.cells
                for index in members:
                    add(self._cell(cells[index], whole[index]))
                if has_k:
                    k = row.k_of_n
                    if k is None:
                        add("<td><td>")
                    else:
                        tally = "—" if k.met is None else f"{k.met}/{k.of}"
                        add(f'<td class="f">{tally}' if k.status == "fail" else f"<td>{tally}")
                        low = k.lowest_ratio
                        add("<td>" if low is None else f"<td>{fixed(low * 100, 1)}%")
                for index in rest:
                    add(self._cell(cells[index], whole[index]))
                others = "；".join(
                    f"{rule_label(f, self.standard, lang)}：{explain(f, self.standard, lang)}"
                    for f in row.others
                )
                add(f'<td class="t">{escape(others)}' if others else "<td>")
                passed = s.passed
                add(
                    "<td>✓\n"
                    if passed
                    else '<td class="q">—\n'
                    if passed is None
                    else '<td class="f">✗\n'
                )
            out.append(
                {
                    "level": level_label(table.level, lang),
                    "headers": headers,
                    "body": "".join(parts),
                }
            )
        return out

    def _cell(self, f: Finding | None, whole: bool = False) -> str:
        """One school value; ``whole``: the column's threshold is a whole number."""
        if f is None:
            return "<td>"
        if f.status == "not_evaluated":
            return '<td class="q">—'
        if isinstance(f.value, bool):
            text = fmt(f.value, lang=self.lang)
        elif whole and isinstance(f.value, float | int) and float(f.value).is_integer():
            text = str(int(f.value))  # a count or a whole area: 96, not 96.00
        else:
            text = fixed(f.value, 2, f.threshold)
        return f'<td class="f">{text}' if f.status == "fail" else f"<td>{text}"

    def county_items(self, county: CountyResult) -> list[dict[str, object]]:
        lang = self.lang
        return [
            {
                "level": level_label(f.level, lang),
                "name": rule_label(f, self.standard, lang),
                "status": status_label(f.status, lang),
                "css": {"fail": "f", "not_evaluated": "q"}.get(f.status, ""),
                "reason": explain(f, self.standard, lang),
                "source": str(f.source),
            }
            for f in county.findings
            if f.kind == "county_fact"
        ]

    def missing(self, county: CountyResult) -> list[dict[str, str]]:
        lang = self.lang
        rows = []
        for school, f in missing_items(county):
            where = (
                f"{school.school_id} {school.name} ({level_label(school.level, lang)})"
                if school is not None
                else self.t["county_level"]
                + (f" ({level_label(f.level, lang)})" if f.level else "")
            )
            rows.append(
                {
                    "where": where,
                    "name": rule_label(f, self.standard, lang),
                    "fields": ", ".join(f.missing) or "—",
                    "reason": explain(f, self.standard, lang),
                }
            )
        return rows

    def excluded(self, county: CountyResult) -> list[dict[str, str]]:
        return [
            {
                "id": e.school_id,
                "name": e.name,
                "level": level_label(e.level, self.lang),
                "reason": reason_label(e.reason, self.standard, self.lang),
                "detail": e.detail or "",
            }
            for e in county.excluded
        ]

    def county(self, index: int, county: CountyResult) -> dict[str, object]:
        tables = level_tables(county, self.standard, self.lang)
        verdict = verdict_label(county.verdict, self.lang)
        if county.vetoed:
            verdict += self.t["vetoed"]
        has_values = any(t.columns for t in tables)
        return {
            "anchor": f"c{index + 1}",
            "name": county.county,
            "verdict": county.verdict,
            "verdict_label": verdict,
            "counts": self.t["counts"].format(**self.counts(county)),
            "why": self.why(county),
            "coefficients": self.coefficients(county),
            "has_composite": any(c.composite and c.max is None for c in county.coefficients),
            "cv_chart": self.cv_chart(county),
            "charts": self.school_charts(county, tables),
            "no_school_values": bool(county.coefficients) and not has_values,
            "tables": self.school_tables(tables),
            "county_items": self.county_items(county),
            "missing": self.missing(county),
            "excluded": self.excluded(county),
            "notes": list(county.notes),
        }

    def overview(self, order: Sequence[int]) -> dict[str, object]:
        rows, items = [], []
        for index in order:
            county = self.report.counties[index]
            worst = worst_coefficient(county.coefficients)
            counts = self.counts(county)
            worst_text = "—"
            if worst is not None:
                cap = f" / {fixed(worst.max, 2)}" if worst.max is not None else ""
                value = fixed(worst.value, 3, worst.max)
                worst_text = f"{self.coefficient_name(worst)} {value}{cap}"
                items.append((county.county, worst.value, _float(worst.max)))
            else:
                items.append((county.county, None, None))
            rows.append(
                {
                    "anchor": f"c{index + 1}",
                    "name": county.county,
                    "verdict": county.verdict,
                    "verdict_label": verdict_label(county.verdict, self.lang),
                    "worst": worst_text,
                    "worst_fail": worst is not None and worst.passed is False,
                    **counts,
                }
            )
        return {"rows": rows, "chart": cv_chart(items, self.t["worst_chart"], row_height=16)}

    def page(self) -> dict[str, object]:
        report, standard, lang = self.report, self.standard, self.lang
        many = len(report.counties) > 1
        position = {id(c): i for i, c in enumerate(report.counties)}
        order = [position[id(c)] for c in sort_counties(report.counties)]
        return {
            "lang_tag": "en" if lang == "en" else "zh-CN",
            "version": __version__,
            "t": self.t,
            "title": self.t["title"]
            + ("" if many or not report.counties else f" · {report.counties[0].county}"),
            "standard": f"{standard.title.text(lang)} ({standard.id}, {standard.source.document})",
            "layers": " → ".join(standard.layers),
            "overview": self.overview(order) if many else None,
            "counties": [self.county(i, report.counties[i]) for i in order],
            "skipped": [str(p) for row in report.skipped for p in row.problems],
        }


def render_html(report: Report, lang: str = "zh") -> str:
    """The whole HTML report: overview (several counties), then each county."""
    env = environment()
    return env.get_template("report.html.j2").render(**_Builder(report, lang).page())
