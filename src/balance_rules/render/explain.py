"""Human text for findings, in Chinese (default) or English.

Numbers are rounded for display only; when rounding would make a failing value
look equal to its threshold, more digits are shown.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..report import Coefficient, Finding
from ..standard.model import Standard

__all__ = [
    "coefficient_label",
    "explain",
    "fmt",
    "level_label",
    "number",
    "reason_label",
    "rule_label",
    "status_label",
    "verdict_label",
]

_STATUS = {
    "zh": {"pass": "达标", "fail": "未达标", "not_evaluated": "未评估"},
    "en": {"pass": "met", "fail": "not met", "not_evaluated": "not evaluated"},
}
_VERDICT = {
    "zh": {"pass": "通过", "fail": "未通过", "incomplete": "数据不全，无法认定"},
    "en": {"pass": "pass", "fail": "fail", "incomplete": "incomplete"},
}
_LEVEL = {
    "zh": {"primary": "小学", "junior": "初中"},
    "en": {"primary": "primary", "junior": "junior"},
}
_OPS_TEXT = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}
_NEGATED = {">=": "<", ">": "≤", "<=": ">", "<": "≥", "==": "≠"}

#: Labels for the exclusion reasons the engine gives itself.
_BUILTIN_REASONS = {
    "merged_into_parent": ("统计分校点，并入所属学校", "sub-site merged into its parent school"),
    "parent_missing": ("所属学校不存在", "parent school not found"),
    "no_students": ("该学段无在校生", "no students at this level"),
    "level_not_evaluated": ("学段不在评估范围", "no level evaluated by this standard"),
}


def number(value: Any) -> int | float | bool | None:
    """A JSON-friendly number: integral values as int, others as float."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, Fraction | Decimal):
        if value == int(value):
            return int(value)
        return float(value)
    if isinstance(value, float):
        return value
    raise TypeError(f"not a number: {value!r}")


def fmt(value: Any, against: Any = None, lang: str = "zh", digits: int = 4) -> str:
    """Round for display; never display a value equal to *against* unless it is."""
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if value is None:
        return "—"
    exact = Fraction(value)
    for places in range(digits, 13):
        shown = round(exact, places)
        if (
            against is None
            or isinstance(against, bool)
            or (shown == Fraction(against)) == (exact == Fraction(against))
        ):
            break
    text = f"{float(shown):.{places}f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def status_label(status: str, lang: str = "zh") -> str:
    return _STATUS[_lang(lang)][status]


def verdict_label(verdict: str, lang: str = "zh") -> str:
    return _VERDICT[_lang(lang)][verdict]


def level_label(level: str | None, lang: str = "zh") -> str:
    return "" if level is None else _LEVEL[_lang(lang)].get(level, level)


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def reason_label(reason: str, standard: Standard, lang: str = "zh") -> str:
    """The label of an exclusion reason code."""
    for exclusion in standard.exclusions:
        if exclusion.reason == reason and exclusion.label is not None:
            return exclusion.label.text(lang)
    builtin = _BUILTIN_REASONS.get(reason)
    if builtin:
        return builtin[0] if _lang(lang) == "zh" else builtin[1]
    return reason


def coefficient_label(coefficient: Coefficient, standard: Standard, lang: str = "zh") -> str:
    """The name of a coefficient: its indicator's label, or "composite"."""
    if coefficient.composite:
        return "综合差异系数" if _lang(lang) == "zh" else "Composite"
    indicator = standard.indicators.get(coefficient.indicator)
    return indicator.label.text(lang) if indicator is not None else coefficient.indicator


def rule_label(finding: Finding, standard: Standard, lang: str = "zh") -> str:
    """What the finding is about: the rule's label, or its indicator's."""
    rule = standard.rules.get(finding.rule)
    indicator = standard.indicators.get(finding.indicator or "")
    if finding.kind == "coefficients" and indicator is not None:
        name = indicator.label.text(lang)
        return f"{name} 差异系数" if _lang(lang) == "zh" else f"{name} CV"
    if rule is not None and rule.label is not None:
        return rule.label.text(lang)
    if indicator is not None:
        return indicator.label.text(lang)
    return finding.rule


def explain(finding: Finding, standard: Standard, lang: str = "zh") -> str:
    """One sentence saying why the finding has its status."""
    zh = _lang(lang) == "zh"
    if finding.status == "not_evaluated":
        if finding.missing:
            fields = "、".join(finding.missing) if zh else ", ".join(finding.missing)
            text = f"缺少数据：{fields}" if zh else f"missing data: {fields}"
            if finding.missing_at:
                shown = ", ".join(finding.missing_at[:5])
                more = len(finding.missing_at) - 5
                if more > 0:
                    shown += f" 等 {len(finding.missing_at)} 所" if zh else f" and {more} more"
                text += f"（涉及学校：{shown}）" if zh else f" (at {shown})"
            if finding.detail:
                text += f"（{finding.detail}）" if zh else f" ({finding.detail})"
            return text
        if finding.undefined:
            text = "平均值为 0，差异系数无定义" if zh else "mean is 0: the CV is undefined"
            return (
                text + (f"（{finding.detail}）" if zh else f" ({finding.detail})")
                if finding.detail
                else text
            )
        return f"无法计算：{finding.detail}" if zh else f"cannot compute: {finding.detail}"
    if finding.kind == "school_k_of_n":
        return _explain_k_of_n(finding, standard, zh)
    op = finding.op or ""
    shown_op = _OPS_TEXT.get(op, op) if finding.status == "pass" else _NEGATED.get(op, op)
    if finding.op is None:
        value = fmt(finding.value, lang=lang)
        return (
            f"差异系数 {value}（仅报告，不作判定）" if zh else f"CV {value} (reported, not tested)"
        )
    value = fmt(finding.value, finding.threshold, lang)
    threshold = fmt(finding.threshold, lang=lang)
    if isinstance(finding.threshold, bool):
        text = f"{value}（要求：{threshold}）" if zh else f"{value} (required: {threshold})"
    else:
        text = f"{value} {shown_op} {threshold}"
    if (
        finding.status == "fail"
        and isinstance(finding.threshold, Decimal | int)
        and not isinstance(finding.value, bool)
    ):
        gap = abs(Fraction(finding.threshold) - Fraction(finding.value))  # type: ignore[arg-type]
        text += f"，相差 {fmt(gap, lang=lang)}" if zh else f", off by {fmt(gap, lang=lang)}"
    if finding.veto and finding.status == "fail":
        text += "（一票否决）" if zh else " (veto)"
    if finding.derived:
        text += "（由学校数据汇总）" if zh else " (derived from the schools)"
    if finding.detail:
        text += f"（{finding.detail}）" if zh else f" ({finding.detail})"
    return text


def _explain_k_of_n(finding: Finding, standard: Standard, zh: bool) -> str:
    text = (
        f"{finding.of} 项中 {finding.met} 项达标（要求至少 {finding.threshold} 项）"
        if zh
        else f"{finding.met} of {finding.of} met (at least {finding.threshold} required)"
    )
    if finding.lowest_rule is not None and finding.lowest_ratio is not None:
        rule = standard.rules.get(finding.lowest_rule)
        name = finding.lowest_rule
        indicator = standard.indicators.get(getattr(rule, "indicator", ""))
        if indicator is not None:
            name = indicator.label.text("zh" if zh else "en")
        percent = fmt(finding.lowest_ratio * 100, lang="zh", digits=1)
        k_rule = standard.rules.get(finding.rule)
        floor = getattr(k_rule, "floor_ratio", None)
        floor_text = "" if floor is None else fmt(Fraction(floor) * 100, digits=1)
        if zh:
            text += f"；最低的未达标项“{name}”达到标准的 {percent}%"
            text += f"（要求不低于 {floor_text}%）" if floor_text else ""
        else:
            text += f"; weakest unmet: {name} at {percent} % of its threshold"
            text += f" (floor {floor_text} %)" if floor_text else ""
    return text
