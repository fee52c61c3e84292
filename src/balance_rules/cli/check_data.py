"""``balance-rules check-data``: what was read, every problem, and what is missing.

Prints how every column was understood (canonical field, unit, the header path
in the file), every warning, and, with ``--standard``, which rules would be
``not_evaluated`` for which schools or counties and which column or fact would
fix each, grouped (500 schools missing one column make one line).  Exit 0 only
when the file reads cleanly and (with ``--standard``) the evaluation can be
complete; 1 when it would be incomplete; 2 for bad input.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TextIO

import attrs

from ..data.fields import FACT_ALIASES, FACTS, LEVEL_SUFFIXES, NUMERIC_FIELDS, SCHOOL_ALIASES
from ..data.model import County
from ..data.readers import ColumnInfo, SchoolTable, read_counties
from ..errors import Problem
from ..standard.model import Standard
from .common import EXIT_FAIL, EXIT_OK, Streams, data_options, read_table

__all__ = ["Gap", "add_parser", "completeness", "run"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cd = commands.add_parser(
        "check-data",
        help="check a school table (and facts): what was read, every problem, what is missing",
    )
    cd.add_argument("schools", metavar="SCHOOLS")
    data_options(cd)
    cd.add_argument(
        "--standard",
        metavar="ID|PATH",
        help="also report which rules of this standard could not be evaluated, and why",
    )
    cd.add_argument("--lang", choices=("zh", "en"), default="zh", help="messages: zh or en")
    cd.add_argument(
        "--limit",
        type=int,
        default=0,
        metavar="N",
        help="list at most N lines of each kind (default 0: all); the rest are counted",
    )


@attrs.frozen
class Gap:
    """Rules not evaluated for the same reason: one line of the completeness report."""

    rule: str
    missing: tuple[str, ...]
    level: str | None
    schools: tuple[str, ...]
    counties: tuple[str, ...]
    county_level: bool


def completeness(standard: Standard, counties: Sequence[County]) -> list[Gap]:
    """Every group of ``not_evaluated`` findings of an evaluation, by rule and cause."""
    from ..engine.plan import evaluate

    report = evaluate(standard, list(counties))
    Key = tuple[str, tuple[str, ...], str | None, bool]
    groups: dict[Key, tuple[list[str], list[str]]] = {}
    for county in report.counties:
        for school in county.schools:
            for finding in school.findings:
                if finding.status != "not_evaluated":
                    continue
                missing = tuple(_column_of(m, school.level) for m in finding.missing)
                key: Key = (finding.rule, missing, school.level, False)
                schools, names = groups.setdefault(key, ([], []))
                schools.append(school.school_id)
                if county.county not in names:
                    names.append(county.county)
        for finding in county.findings:
            if finding.status != "not_evaluated":
                continue
            missing = tuple(_column_of(m, finding.level) for m in finding.missing) or tuple(
                f for f in (finding.fact,) if f
            )
            county_key: Key = (finding.rule, missing, finding.level, True)
            schools, names = groups.setdefault(county_key, ([], []))
            schools.extend(s for s in finding.missing_at if s not in schools)
            names.append(county.county)
    return [
        Gap(rule, missing, level, tuple(schools), tuple(names), county_level)
        for (rule, missing, level, county_level), (schools, names) in groups.items()
    ]


_SCHOOL_COLUMNS = frozenset({*NUMERIC_FIELDS, *LEVEL_SUFFIXES})


def _column_of(field: str, level: str | None) -> str:
    if field in LEVEL_SUFFIXES and level in ("primary", "junior"):
        return f"{level}_{field}"
    return field


def _header_of(field: str) -> str:
    aliases = SCHOOL_ALIASES.get(field) or FACT_ALIASES.get(field)
    return aliases[0] if aliases else field


def _gap_line(gap: Gap, lang: str) -> str:
    zh = lang == "zh"
    fix = ", ".join(f"{m} ({_header_of(m)})" if _header_of(m) != m else m for m in gap.missing)
    counties = _names(gap.counties, 3, zh)
    facts_only = all(m in FACTS or m not in _SCHOOL_COLUMNS for m in gap.missing)
    if gap.county_level and not gap.schools and facts_only:
        if zh:
            return (
                f"规则 {gap.rule}：{len(gap.counties)} 个县无法评估（{counties}）——"
                f"缺少 {fix or '数据'}；请在县级指标文件（--facts）中补上"
            )
        return (
            f"rule {gap.rule}: not evaluated for {len(gap.counties)} "
            f"count{'y' if len(gap.counties) == 1 else 'ies'} ({counties}) — missing "
            f"{fix or 'data'}; add it to the facts file (--facts)"
        )
    level = f" [{gap.level}]" if gap.level else ""
    n_schools, n_counties = len(gap.schools), len(gap.counties)
    if zh:
        who = (
            f"{n_schools} 所学校（{_names(gap.schools, 3, zh)}；{n_counties} 个县）"
            if gap.schools
            else f"{n_counties} 个县（{counties}）"
        )
        return (
            f"规则 {gap.rule}{level}：{who}无法评估——缺少列 {fix or '数据'}；"
            "请补上该列或在映射文件中映射"
        )
    who = (
        f"{n_schools} school{'' if n_schools == 1 else 's'} ({_names(gap.schools, 3, zh)}; "
        f"{n_counties} count{'y' if n_counties == 1 else 'ies'})"
        if gap.schools
        else f"{n_counties} count{'y' if n_counties == 1 else 'ies'} ({counties})"
    )
    return (
        f"rule {gap.rule}{level}: not evaluated for {who} — missing column {fix or 'data'}; "
        "add the column or map yours in a mapping file"
    )


def _names(names: Sequence[str], shown: int, zh: bool) -> str:
    text = ("、" if zh else ", ").join(names[:shown])
    if len(names) > shown:
        text += f" 等 {len(names)} 个" if zh else f", … {len(names) - shown} more"
    return text


def _column_line(info: ColumnInfo, lang: str) -> str:
    zh = lang == "zh"
    sheet = f"[{info.sheet}] " if info.sheet else ""
    if info.field is None:
        target = "（忽略）" if zh else "(ignored)"
    else:
        target = info.field
        if info.note == "extra":
            target += "（额外字段）" if zh else " (extra field)"
        elif info.note == "summed":
            target = ("（参与求和）" if zh else "(summed into a derived field)") + f" {info.field}"
        elif info.note == "derived":
            target += "（求和得到）" if zh else " (derived)"
        elif info.note == "constant":
            target += "（常量）" if zh else " (constant)"
        elif info.note == "ignored":
            target = "（忽略的文本列）" if zh else "(ignored text column)"
    unit = ""
    if info.unit:
        unit = f"，单位 {info.unit}" if zh else f", unit {info.unit}"
        if info.factor != 1:
            unit += f" ×{info.factor}"
    elif info.factor != 1:
        unit = f" ×{info.factor}"
    return f"  {sheet}{info.source or '—'} → {target}{unit}"


def _write_limited(stream: TextIO, lines: Sequence[str], limit: int, lang: str, what: str) -> None:
    shown = lines if limit <= 0 else lines[:limit]
    for line in shown:
        stream.write(line + "\n")
    rest = len(lines) - len(shown)
    if rest:
        stream.write(
            f"  …… 另有 {rest} 条{what}未列出（--limit 0 列出全部）\n"
            if lang == "zh"
            else f"  ... and {rest} more {what} (--limit 0 lists all)\n"
        )


def _warnings(table: SchoolTable, lang: str) -> list[str]:
    prefix = "警告" if lang == "zh" else "warning"
    note = "提示" if lang == "zh" else "note"
    return [f"{prefix}: {w.render(lang)}" for w in table.warnings] + [
        f"{note}: {n.render(lang)}" for n in table.notes
    ]


def run(args: argparse.Namespace, streams: Streams) -> int:
    lang = getattr(args, "lang", "zh")
    limit = getattr(args, "limit", 0) or 0
    table = read_table(args)
    standard: Standard | None = None
    known: frozenset[str] = frozenset()
    if getattr(args, "standard", None):
        from ..data.facts import standard_facts
        from ..standard.loader import load_standard

        standard = load_standard(args.standard)
        known = standard_facts(standard)
    counties = read_counties(table, args.facts, encoding=args.encoding, known=known)
    zh = lang == "zh"
    out = streams.stdout
    if table.columns:
        out.write("读取的列：\n" if zh else "columns read:\n")
        _write_limited(
            out,
            [_column_line(c, lang) for c in table.columns],
            limit,
            lang,
            "列" if zh else "columns",
        )
    _write_limited(
        streams.stderr, _warnings(table, lang), limit, lang, "警告" if zh else "warnings"
    )
    sections = sum(len(c.schools) for c in counties)
    with_facts = sum(1 for c in counties if c.facts)
    if zh:
        out.write(
            f"{table.file}: 读取正常 — {len(counties)} 个县 {sections} 所学校"
            + (f"，{with_facts} 个县有县级指标" if args.facts else "")
            + "\n"
        )
    else:
        out.write(
            f"{table.file}: ok — {sections} schools in {len(counties)} "
            f"count{'y' if len(counties) == 1 else 'ies'}"
            + (f", facts for {with_facts}" if args.facts else "")
            + "\n"
        )
    if standard is None:
        return EXIT_OK
    gaps = completeness(standard, counties)
    if not gaps:
        out.write(
            f"完整：{standard.id} 的每条规则都可以评估\n"
            if zh
            else f"complete: every rule of {standard.id} can be evaluated\n"
        )
        return EXIT_OK
    out.write(
        f"不完整：{standard.id} 有 {len(gaps)} 组规则无法评估：\n"
        if zh
        else f"incomplete: {len(gaps)} group(s) of rules of {standard.id} cannot be evaluated:\n"
    )
    lines = [
        "  " + _gap_line(g, lang)
        for g in sorted(gaps, key=lambda g: (not g.county_level, g.rule, g.level or ""))
    ]
    _write_limited(out, lines, limit, lang, "组" if zh else "groups")
    return EXIT_FAIL


def describe(problems: Sequence[Problem], lang: str) -> list[str]:
    """Problems as lines in *lang* (for callers that print them)."""
    return [p.render(lang) for p in problems]
