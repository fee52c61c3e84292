"""``balance-rules show``: the effective standard, and where each value came from."""

from __future__ import annotations

from typing import Any

from ..standard.model import (
    Coefficients,
    Composite,
    CountyFact,
    Origin,
    Rule,
    SchoolKOfN,
    SchoolThreshold,
    Standard,
)
from .explain import fmt, level_label

__all__ = ["render_show"]

_OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}


def _where(origin: Origin | None) -> str:
    if origin is None:
        return ""
    line = f", line {origin.line}" if origin.line else ""
    return f"{origin.layer}{line}"


def _recorded(standard: Standard, path: tuple[str, ...]) -> tuple[str, ...]:
    """The longest prefix of *path* whose origin is recorded (the value's own node)."""
    while len(path) > 1 and path not in standard.provenance:
        path = path[:-1]
    return path


def _leaf(standard: Standard, path: tuple[str, ...], lang: str) -> str:
    """`— layer, line N` plus what the value overrode, if anything."""
    text = f"— {_where(standard.origin(*path))}"
    overridden = standard.overridden.get(path)
    if overridden is not None:
        origin, value = overridden
        text += f", overrides {origin.layer} {_value(value, lang)}"
    return text


def _value(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v, lang)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v, lang) for v in value) + "]"
    if isinstance(value, bool | str) or value is None:
        return str(value).lower() if isinstance(value, bool) else str(value)
    return fmt(value, lang=lang, digits=6)


def _rule_lines(rule: Rule, standard: Standard, lang: str) -> list[str]:
    label = rule.label.text(lang) if rule.label else ""
    flags = " [veto]" if rule.veto else ""
    flags += " [unconfirmed]" if rule.confidence == "unconfirmed" else ""
    lines = [f"    {rule.id} ({rule.kind}){flags}: {label}".rstrip(": ")]
    base = ("rules", rule.id)
    if isinstance(rule, SchoolThreshold):
        indicator = standard.indicators[rule.indicator].label.text(lang)
        by = f" by {rule.threshold.by}" if rule.threshold.by else ""
        lines.append(f"      {indicator} {_OPS[rule.op]}{by}")
        for level, cases in rule.threshold.cases.items():
            for case, value in cases.items():
                path = _recorded(standard, (*base, "threshold", level, case))
                name = level_label(level, lang) + ("" if case == "default" else f" {case}")
                shown = fmt(value, lang=lang, digits=6)
                lines.append(f"        {name} {shown} {_leaf(standard, path, lang)}")
    elif isinstance(rule, SchoolKOfN):
        floor = "" if rule.floor_ratio is None else f", floor {fmt(rule.floor_ratio, digits=6)}"
        lines.append(
            f"      ≥ {rule.min_met} of {len(rule.rules)}{floor} "
            f"{_leaf(standard, (*base, 'min_met'), lang)}"
        )
        lines.append(f"      rules: {', '.join(rule.rules)}")
    elif isinstance(rule, Coefficients | Composite):
        lines.append(f"      indicators: {', '.join(rule.indicators)}")
        if not rule.max:
            lines.append("      max: none (reported, not tested)")
        for level, cap in rule.max.items():
            path = _recorded(standard, (*base, "max", level))
            shown = f"{level_label(level, lang)} ≤ {fmt(cap, digits=6)}"
            lines.append(f"        {shown} {_leaf(standard, path, lang)}")
        if rule.rounding:
            lines.append(f"      rounding: {rule.rounding.decimals} decimals, {rule.rounding.mode}")
    elif isinstance(rule, CountyFact):
        threshold = _value(rule.threshold, lang)
        lines.append(
            f"      {rule.fact} {_OPS[rule.op]} {threshold} "
            f"{_leaf(standard, (*base, 'threshold'), lang)}"
        )
        if rule.derive:
            lines.append(
                f"      when missing: Σ{rule.derive.numerator} / Σ{rule.derive.denominator}"
                f" × {fmt(rule.derive.scale)}"
            )
    lines.append(f"      source: {rule.source}")
    if rule.note:
        lines.append(f"      note: {rule.note}")
    return lines


def render_show(standard: Standard, lang: str = "zh") -> str:
    """The merged standard as text, with the layer, file and line of each value."""
    lines = [
        f"{standard.id} — {standard.title.text(lang)}",
        f"  document: {standard.source.document}  version: {standard.version}",
        f"  layers: {' → '.join(standard.layers)}",
        f"  digest: {standard.digest}",
        f"  levels: {', '.join(standard.levels)}",
        "",
        "Scope (excluded):",
    ]
    for exclusion in standard.exclusions:
        label = exclusion.label.text(lang) if exclusion.label else exclusion.reason
        base = ("scope", "exclude", exclusion.reason)
        lines.append(f"  {exclusion.reason}: {label}")
        for key, values in exclusion.conditions.items():
            path = _recorded(standard, (*base, "when", key))
            lines.append(f"      {key} in {list(values)} {_leaf(standard, path, lang)}")
        if exclusion.students_below is not None:
            path = _recorded(standard, (*base, "when", "students_below"))
            below = fmt(exclusion.students_below)
            lines.append(f"      fewer than {below} students {_leaf(standard, path, lang)}")
    lines += ["", "Split of combined schools:"]
    for school_type, weights in standard.split.weights.items():
        text = " : ".join(f"{level} {fmt(w)}" for level, w in weights.items())
        lines.append(
            f"  {school_type}: {text} {_leaf(standard, ('split', 'weights', school_type), lang)}"
        )
    lines.append(
        f"  items: {', '.join(standard.split.items)} {_leaf(standard, ('split', 'items'), lang)}"
    )
    lines += ["", "Indicators:"]
    for indicator in standard.indicators.values():
        formula = " + ".join(indicator.numerator)
        if indicator.denominator:
            formula += f" / {indicator.denominator}"
        if indicator.scale != 1:
            formula += f" × {fmt(indicator.scale)}"
        lines.append(
            f"  {indicator.id}: {indicator.label.text(lang)} = {formula} "
            f"{_leaf(standard, ('indicators', indicator.id), lang)}"
        )
    lines += ["", "Rules:"]
    for group in sorted(standard.groups.values(), key=lambda g: g.order):
        required = "" if group.required else " (not part of the verdict)"
        lines.append(f"  [{group.id}] {group.label.text(lang)}{required}")
        for rule in standard.rules.values():
            if rule.group == group.id:
                lines += _rule_lines(rule, standard, lang)
    if standard.warnings:
        lines += ["", "Early warnings (annual monitoring; not part of the verdict):"]
        for warning in standard.warnings.values():
            label = warning.label.text(lang) if warning.label else ""
            flag = " [unconfirmed]" if warning.confidence == "unconfirmed" else ""
            figure = warning.margin if warning.margin is not None else warning.rise
            shown = "" if figure is None else f" {fmt(figure, digits=6)}"
            lines.append(f"    {warning.id} ({warning.kind}, {warning.severity}){flag}: {label}")
            lines.append(
                f"      watches {warning.watches}{shown} "
                f"{_leaf(standard, ('rules', warning.id), lang)}"
            )
    return "\n".join(lines) + "\n"
