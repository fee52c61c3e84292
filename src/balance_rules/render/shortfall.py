"""Shortfall plans as text (Chinese by default), JSON (``spec/contract.md``) and CSV.

Renderers only format what the plan holds; every figure comes from
:mod:`balance_rules.shortfall`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TextIO

from .._version import __version__
from ..data.fields import SCHOOL_ALIASES
from ..shortfall.model import Addition, CountyPlan, ShortfallPlan
from ..standard.model import Standard
from .explain import level_label, verdict_label

__all__ = [
    "field_label",
    "render_shortfall_csv",
    "render_shortfall_json",
    "render_shortfall_text",
    "rule_name",
    "shortfall_dict",
]

SCHEMA_VERSION = 1

_UNIT_EN = {
    "人": "persons",
    "平方米": "m²",
    "元": "yuan",
    "台": "computers",
    "册": "volumes",
    "间": "rooms",
}
_MODE = {
    "zh": {
        "hire": "招聘",
        "designate": "认定/评聘",
        "upgrade": "学历提升",
        "build": "建设",
        "buy": "购置",
    },
    "en": {
        "hire": "hire",
        "designate": "designate",
        "upgrade": "upgrade",
        "build": "build",
        "buy": "buy",
    },
}
_REASON = {
    "zh": {
        "threshold": "达到标准",
        "floor": "达到85%底线",
        "cv": "差异系数注水",
        "composite": "综合差异系数",
        "hire": "随招聘增加",
    },
    "en": {
        "threshold": "to threshold",
        "floor": "to the floor",
        "cv": "CV water-filling",
        "composite": "composite CV",
        "hire": "grows with hires",
    },
}


def _num(value: Decimal | float | None) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def field_label(field: str, lang: str = "zh") -> str:
    """The column's Chinese header (统计报表), or its canonical name in English."""
    if lang == "en":
        return field
    names = SCHOOL_ALIASES.get(field)
    return names[0] if names else field


def unit_label(unit: str, lang: str = "zh") -> str:
    return _UNIT_EN.get(unit, unit) if lang == "en" else unit


def rule_name(rule_id: str, standard: Standard | None, lang: str = "zh") -> str:
    """A rule's label from the standard (its id when unknown)."""
    if rule_id == "hire":
        return "招聘" if lang != "en" else "hire"
    rule = standard.rules.get(rule_id) if standard is not None else None
    if rule is not None and rule.label is not None:
        return rule.label.text(lang)
    indicator = standard.indicators.get(getattr(rule, "indicator", "")) if standard else None
    if indicator is not None:
        return indicator.label.text(lang)
    return rule_id


def indicator_name(indicator: str | None, standard: Standard | None, lang: str = "zh") -> str:
    if indicator is None:
        return ""
    if indicator == "composite":
        return "综合差异系数" if lang != "en" else "composite"
    found = standard.indicators.get(indicator) if standard is not None else None
    return found.label.text(lang) if found is not None else indicator


_REASONS_ZH: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), text)
    for pattern, text in (
        (r"^no threshold for this school$", "该校没有适用的标准值"),
        (r"^missing (\S+)$", "缺少数据：{0}"),
        (r"^(\S+) = 0: no per-student value$", "{0} 为 0，无法计算生均（比例）值"),
        (r"^(\S+) = 0$", "{0} 为 0，无法计算"),
        (r"^needs a reduction \((.*)\), not an addition$", "需要减少（{0}），不能靠增加资源达到"),
        (r"^(\S+) is the smallest room's area: .*$", "{0} 为最小专用教室面积：需改扩建该教室，"
         "不是可增加的数量"),
        (r"^(\S+) is not a resource a plan can add to$", "{0} 不是可以增加的资源"),
        (r"^(\S+) cannot be split: .*$", "{0} 无法按学段分摊：缺少某学段在校生数"),
        (r"^county fact: not met by adding school resources$", "县级指标：不能靠增加学校资源达到"),
        (r"^county fact missing: (.*)$", "缺少县级指标：{0}"),
        (r"^the mean is zero: the CV is undefined$", "均值为 0，差异系数无定义"),
        (r"^a component's mean is zero$", "某分项指标均值为 0，差异系数无定义"),
        (r"^the cap (\S+) cannot be met in whole steps.*$", "按整单位补充无法使差异系数不超过 {0}"
         "（每一步都越过共同水平）"),
        (r"^not enough indicators can be raised$", "可提高的指标不足"),
    )
)  # fmt: skip


def reason_text(reason: str, lang: str = "zh") -> str:
    """A not-plannable reason in the reader's language (the JSON keeps the English)."""
    if lang == "en":
        return reason
    prefix = ""
    head, sep, rest = reason.partition(": ")
    if sep and re.fullmatch(r"[a-z0-9_]+", head) and not rest.startswith("no per-student"):
        prefix, reason = head + "：", rest
    for pattern, text in _REASONS_ZH:
        match = pattern.match(reason)
        if match:
            groups = [field_label(g) if re.fullmatch(r"[a-z_]+", g) else g for g in match.groups()]
            return prefix + text.format(*groups)
    return prefix + reason


def _amount(value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


TableUnits = Mapping[str, tuple[str, Decimal]]


def _addition_dict(a: Addition, table_units: TableUnits) -> dict[str, Any]:
    item: dict[str, Any] = {
        "school_id": a.school_id,
        "name": a.name,
        "level": a.level,
        "field": a.field,
        "add": _num(a.add),
        "unit": a.unit,
        "rule": a.rule,
        "indicator": a.indicator,
        "reason": a.reason,
        "mode": a.mode,
        "before": _num(a.before),
        "after": _num(a.after),
        "cost": _num(a.cost),
    }
    converted = table_units.get(a.field)
    if converted is not None:
        # the input table states this column in another unit (万元): `add` follows it
        unit, factor = converted
        item.update(
            add=_num(a.add / factor),
            unit=unit,
            before=_num(a.before / factor) if a.before is not None else None,
            after=_num(a.after / factor) if a.after is not None else None,
            canonical_add=_num(a.add),
            canonical_unit=a.unit,
        )
    return item


def _county_dict(plan: CountyPlan, table_units: TableUnits | None = None) -> dict[str, Any]:
    units = table_units or {}
    return {
        "county": plan.county,
        "verdict_before": plan.verdict_before,
        "verdict_after": plan.verdict_after,
        "additions": [_addition_dict(a, units) for a in plan.additions],
        "totals": [
            {"field": t.field, "unit": t.unit, "add": _num(t.add), "cost": _num(t.cost)}
            for t in plan.totals
        ],
        "total_cost": _num(plan.total_cost),
        "coefficients": [
            {
                "rule": c.rule,
                "level": c.level,
                "indicator": c.indicator,
                "max": _num(c.cap),
                "before": c.before,
                "after": c.after,
                "method": c.method,
                "water_level": c.water_level,
            }
            for c in plan.coefficients
        ],
        "not_plannable": [
            {
                "rule": n.rule,
                "school_id": n.school_id,
                "level": n.level,
                "indicator": n.indicator,
                "reason": n.reason,
            }
            for n in plan.not_plannable
        ],
        "floor_options": [
            {
                "school_id": f.school_id,
                "level": f.level,
                "rule": f.rule,
                "indicator": f.indicator,
                "field": f.field,
                "saves": _num(f.saves),
                "unit": f.unit,
            }
            for f in plan.floor_options
        ],
    }


def shortfall_dict(
    plan: ShortfallPlan,
    standard: Standard | None = None,
    table_units: TableUnits | None = None,
) -> dict[str, Any]:
    """The plan as plain JSON-ready data (numbers as numbers).

    *table_units* maps a canonical column to the (unit, factor) the input table
    stated it in (equipment in 万元: ``("万元", 10000)``); additions to it then
    carry ``add`` in that unit, with ``canonical_add`` in the column's own unit.
    """
    head: dict[str, Any] = {"id": plan.standard_id}
    if standard is not None:
        head.update(title=standard.title.zh, layers=list(standard.layers), digest=standard.digest)
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": {"name": "balance-rules", "version": __version__},
        "standard": head,
        "costed": plan.costed,
        "costs_file": plan.costs_source,
        "counties": [_county_dict(c, table_units) for c in plan.counties],
    }


def render_shortfall_json(
    plan: ShortfallPlan,
    standard: Standard | None = None,
    table_units: TableUnits | None = None,
) -> str:
    data = shortfall_dict(plan, standard, table_units)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


_T = {
    "zh": {
        "title": "补短板测算",
        "county": "县区",
        "before": "测算前结论",
        "after": "按计划补足后结论",
        "nothing": "无需补充：该县已达标。",
        "none_possible": "没有可以通过增加资源解决的未达标项。",
        "totals": "合计",
        "cost": "费用",
        "yuan": "元",
        "schools": "各校需补充（按补充量从大到小）",
        "cv": "差异系数（测算前 → 测算后，上限）",
        "np": "无法通过增加资源解决",
        "floor": "可停在85%底线的指标（无单价时的节省）",
        "saves": "可少补",
        "method": "方法",
        "all_school": "全校",
    },
    "en": {
        "title": "Shortfall plan",
        "county": "County",
        "before": "Verdict now",
        "after": "Verdict with the plan",
        "nothing": "Nothing to add: the county passes.",
        "none_possible": "No failing item can be met by adding resources.",
        "totals": "Totals",
        "cost": "cost",
        "yuan": "yuan",
        "schools": "Additions per school (largest first)",
        "cv": "Difference coefficients (before → after, cap)",
        "np": "Not plannable by adding resources",
        "floor": "Indicators that may stop at the 85 % floor (savings, no costs given)",
        "saves": "saves",
        "method": "method",
        "all_school": "whole school",
    },
}


def _clean(text: str) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in text)


def render_shortfall_text(
    plan: ShortfallPlan, standard: Standard | None = None, lang: str = "zh"
) -> str:
    t = _T["en" if lang == "en" else "zh"]
    out = io.StringIO()
    out.write(f"{t['title']} — {plan.standard_id}\n")
    for county in plan.counties:
        out.write(f"\n== {t['county']}: {_clean(county.county)} ==\n")
        out.write(
            f"{t['before']}: {verdict_label(county.verdict_before, lang)}    "
            f"{t['after']}: {verdict_label(county.verdict_after, lang)}\n"
        )
        if county.verdict_before == "pass":
            out.write(t["nothing"] + "\n")
            continue
        if not county.additions:
            out.write(t["none_possible"] + "\n")
        if county.totals:
            out.write(f"\n{t['totals']}:\n")
            for total in county.totals:
                line = (
                    f"  {field_label(total.field, lang)}: {_amount(total.add)} "
                    f"{unit_label(total.unit, lang)}"
                )
                if total.field == "equipment_value":
                    line += (
                        f" ({_amount(total.add / 10000)} {'万元' if lang != 'en' else '10k yuan'})"
                    )
                if total.cost is not None:
                    line += f"  ({t['cost']} {_amount(total.cost)} {t['yuan']})"
                out.write(line + "\n")
            if county.total_cost is not None:
                out.write(f"  {t['cost']}: {_amount(county.total_cost)} {t['yuan']}\n")
        if county.schools:
            out.write(f"\n{t['schools']}:\n")
            for school in county.schools:
                head = f"  {_clean(school.school_id)} {_clean(school.name)}"
                if school.cost is not None:
                    head += f"  ({_amount(school.cost)} {t['yuan']})"
                out.write(head + "\n")
                for item in school.items:
                    where = level_label(item.level, lang) if item.level else t["all_school"]
                    rules = "、".join(rule_name(r, standard, lang) for r in item.rules)
                    out.write(
                        f"    + {_amount(item.add)} {unit_label(item.unit, lang)} "
                        f"{field_label(item.field, lang)} [{where}] "
                        f"({_amount(item.before)} → {_amount(item.after)}; {rules})\n"
                    )
        changed = [
            c
            for c in county.coefficients
            if c.method
            or (
                c.cap is not None
                and c.before is not None
                and c.after is not None
                and c.before != c.after
            )
        ]
        if changed:
            out.write(f"\n{t['cv']}:\n")
            for c in changed:
                cap = _amount(c.cap) if c.cap is not None else "—"
                before = f"{c.before:.4f}" if c.before is not None else "—"
                after = f"{c.after:.4f}" if c.after is not None else "—"
                line = (
                    f"  {level_label(c.level, lang)} "
                    f"{indicator_name(c.indicator, standard, lang)}: {before} → {after} (≤ {cap})"
                )
                if c.method:
                    line += f"  [{t['method']}: {c.method}]"
                out.write(line + "\n")
        if county.floor_options:
            out.write(f"\n{t['floor']}:\n")
            for f in county.floor_options:
                out.write(
                    f"  {_clean(f.school_id)} {level_label(f.level, lang)} "
                    f"{indicator_name(f.indicator, standard, lang)}: {t['saves']} "
                    f"{_amount(f.saves)} {unit_label(f.unit, lang)} "
                    f"{field_label(f.field, lang)}\n"
                )
        if county.not_plannable:
            out.write(f"\n{t['np']}:\n")
            for n in county.not_plannable:
                who = " ".join(
                    x
                    for x in (
                        n.school_id and _clean(n.school_id),
                        level_label(n.level, lang) if n.level else None,
                    )
                    if x
                )
                name = rule_name(n.rule, standard, lang)
                why = reason_text(n.reason, lang)
                out.write(f"  {name}{' ' + who if who else ''}: {why}\n")
    return out.getvalue()


_CSV_COLUMNS = (
    "county",
    "school_id",
    "school_name",
    "level",
    "field",
    "unit",
    "add",
    "before",
    "after",
    "cost",
    "rules",
)


def _safe(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def write_shortfall_csv(plan: ShortfallPlan, stream: TextIO, *, bom: bool = False) -> None:
    """One row per school and resource (its total over every rule)."""
    if bom:
        stream.write("\ufeff")
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    for county in plan.counties:
        for school in county.schools:
            for item in school.items:
                writer.writerow(
                    [
                        _safe(county.county),
                        _safe(school.school_id),
                        _safe(school.name),
                        item.level or "",
                        item.field,
                        item.unit,
                        _amount(item.add).replace(",", ""),
                        _amount(item.before).replace(",", "") if item.before is not None else "",
                        _amount(item.after).replace(",", "") if item.after is not None else "",
                        _amount(item.cost).replace(",", "") if item.cost is not None else "",
                        " ".join(item.rules),
                    ]
                )


def render_shortfall_csv(plan: ShortfallPlan, *, bom: bool = False) -> str:
    out = io.StringIO()
    write_shortfall_csv(plan, out, bom=bom)
    return out.getvalue()
