"""An independent, plain reference evaluator: the oracle the core is tested against.

Written for clarity, not speed: one county, one school, one rule at a time,
exact Fractions throughout (a CV is decided as CV² against cap², a composite to
60 significant digits).  It reads a :class:`~balance_rules.Standard` and
:class:`~balance_rules.County` objects, and the field tables of
``balance_rules.data.fields`` (data definitions); it uses none of the package's
evaluation code (``balance_rules.engine``, ``sections``, ``records``).  Nothing
in the package imports it: it lives under tests/ only.

The arithmetic follows docs/domain computation.md: sub-sites merged into their
root parent first, then the scope, then one section per level with combined
schools' facilities split by weighted students; indicator = Σ numerator /
denominator × scale; CV = S / X̄ with student weights and population variance.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction
from typing import Any

import attrs

from balance_rules.data.fields import (
    ALL_LEVELS,
    LEVEL_SUFFIXES,
    LEVELS,
    MAXIMUM_FIELDS,
    MINIMUM_FIELDS,
    NUMERIC_FIELDS,
    SCHOOL_TYPE_LEVELS,
)
from balance_rules.data.model import County, School
from balance_rules.standard.model import (
    Coefficients,
    Composite,
    CountyFact,
    SchoolKOfN,
    SchoolThreshold,
    Standard,
)

__all__ = ["OracleCounty", "OracleFinding", "evaluate"]

OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}
LEVEL_ZH = {"primary": "小学", "junior": "初中"}


@attrs.frozen
class OracleFinding:
    """One rule's outcome for one section (school rules) or one county and level."""

    rule: str
    status: str
    level: str | None = None
    school_id: str | None = None
    indicator: str | None = None
    #: The exact value (a Fraction; a float only for a composite, a bool for facts).
    value: Any = None


@attrs.frozen
class OracleCounty:
    name: str
    verdict: str
    school_findings: tuple[OracleFinding, ...]
    county_findings: tuple[OracleFinding, ...]
    #: (school id, reason, level) of every school or section left out.
    excluded: tuple[tuple[str, str, str | None], ...]
    #: (school id, level) of every section evaluated.
    sections: tuple[tuple[str, str], ...]


def exact_sum(parts: Sequence[Any]) -> Fraction | None:
    """The exact sum, or None when any part is missing."""
    if any(p is None for p in parts):
        return None
    return sum((Fraction(p) for p in parts), Fraction(0))


# -- 1. sub-sites ---------------------------------------------------------------------


def _value(school: School, name: str) -> Decimal | None:
    return school.value(name)


def _root(school: School, by_id: Mapping[str, School]) -> School | None:
    """The counted school a sub-site belongs to (following parents), or None."""
    seen = {school.school_id}
    current = school
    while not current.counted_as_school:
        parent = by_id.get(current.parent_school_id or "")
        if parent is None or parent.school_id in seen:
            return None
        seen.add(parent.school_id)
        current = parent
    return current


def _merged_value(name: str, parent: dict[str, Any], child: School) -> Any:
    a, b = parent.get(name), _value(child, name)
    if name in MINIMUM_FIELDS or name in MAXIMUM_FIELDS:
        if a is None or b is None:
            return a if b is None else b
        return min(a, b) if name in MINIMUM_FIELDS else max(a, b)
    level = name.split("_", 1)[0]
    if level in ALL_LEVELS:
        if not _value(child, f"{level}_students"):
            return a  # the sub-site does not teach this level
        if not parent.get(f"{level}_students") and a is None:
            return b
    if a is None or b is None:
        return None
    return a + b


def merge_sub_sites(
    schools: Sequence[School],
) -> tuple[list[tuple[School, dict[str, Any], dict[str, Any], list[str]]], list[tuple[str, str]]]:
    """Counted schools with their merged values; (id, reason) of every sub-site."""
    by_id = {s.school_id: s for s in schools}
    merged: dict[str, tuple[School, dict[str, Any], dict[str, Any], list[str]]] = {}
    for school in schools:
        if school.counted_as_school:
            values = {n: _value(school, n) for n in NUMERIC_FIELDS if n != "counted_as_school"}
            merged[school.school_id] = (school, values, dict(school.extra), [])
    events = []
    for school in schools:
        if school.counted_as_school:
            continue
        root = _root(school, by_id)
        if root is None or root.school_id not in merged:
            events.append((school.school_id, "parent_missing"))
            continue
        _, values, extra, children = merged[root.school_id]
        new = {name: _merged_value(name, values, school) for name in values}
        values.update(new)
        for name in set(extra) | set(school.extra):
            a, b = extra.get(name), school.extra.get(name)
            extra[name] = None if a is None or b is None else a + b
        children.append(school.school_id)
        events.append((school.school_id, "merged_into_parent"))
    return list(merged.values()), events


# -- 2. scope and 3. sections ---------------------------------------------------------


def _excluded_by(school: School, values: Mapping[str, Any], standard: Standard) -> str | None:
    for exclusion in standard.exclusions:
        if not all(
            getattr(school, attribute) in allowed
            for attribute, allowed in exclusion.conditions.items()
        ):
            continue
        if exclusion.students_below is not None:
            parts = [
                values.get(f"{lv}_students")
                for lv in SCHOOL_TYPE_LEVELS[school.school_type]
                if lv != "senior"
            ]
            students = exact_sum(parts)
            if students is None or students >= exclusion.students_below:
                continue
        return exclusion.reason
    return None


def _shares(school: School, values: Mapping[str, Any], standard: Standard) -> dict[str, Fraction]:
    levels = SCHOOL_TYPE_LEVELS[school.school_type]
    if len(levels) == 1:
        return {levels[0]: Fraction(1)}
    weights = standard.split.weights.get(school.school_type, {})
    weighted = {}
    for level in levels:
        students = values.get(f"{level}_students")
        if students is None:
            return {}
        weighted[level] = Fraction(weights.get(level, Decimal(1))) * Fraction(students)
    total = sum(weighted.values())
    return {lv: w / total for lv, w in weighted.items()} if total else {}


def _field(
    name: str,
    level: str,
    school: School,
    values: Mapping[str, Any],
    extra: Mapping[str, Any],
    shares: Mapping[str, Fraction],
    standard: Standard,
) -> Fraction | None:
    """A section's value of one level-free field, exactly (None: missing)."""
    if name in LEVEL_SUFFIXES:
        found = values.get(f"{level}_{name}")
        return None if found is None else Fraction(found)
    if name in ("school_students", "school_classes"):
        suffix = name.split("_")[1]
        parts = [
            values.get(f"{lv}_{suffix}")
            for lv in SCHOOL_TYPE_LEVELS[school.school_type]
            if lv in LEVELS
        ]
        return exact_sum(parts)
    spellings = standard.extra_fields[name].spellings if name in standard.extra_fields else (name,)
    for spelling in spellings:  # the level's own figure first
        for key in (f"{level}_{spelling}", f"{LEVEL_ZH.get(level, level)}{spelling}"):
            if extra.get(key) is not None:
                return Fraction(extra[key])
    whole = None
    for spelling in spellings:
        whole = values.get(spelling) if spelling in values else extra.get(spelling)
        if whole is not None:
            break
    if whole is None:
        return None
    if name in standard.split.items:
        return Fraction(whole) * shares[level] if level in shares else None
    return Fraction(whole)


@attrs.frozen
class Section:
    school: School
    level: str
    students: Fraction | None
    get: Callable[[str], Fraction | None]


def sections(
    county: County, standard: Standard
) -> tuple[list[Section], list[tuple[str, str, str | None]]]:
    kept, events = merge_sub_sites(county.schools)
    excluded: list[tuple[str, str, str | None]] = [(i, r, None) for i, r in events]
    found: list[Section] = []
    for school, values, extra, _ in kept:
        reason = _excluded_by(school, values, standard)
        if reason is not None:
            excluded.append((school.school_id, reason, None))
            continue
        levels = [lv for lv in SCHOOL_TYPE_LEVELS[school.school_type] if lv in standard.levels]
        if not levels:
            excluded.append((school.school_id, "level_not_evaluated", None))
            continue
        shares = _shares(school, values, standard)
        for level in levels:
            students = values.get(f"{level}_students")
            if students == 0:
                excluded.append((school.school_id, "no_students", level))
                continue

            def get(name: str, school: School = school, values: Any = values, extra: Any = extra,
                    shares: Any = shares, level: str = level) -> Fraction | None:  # fmt: skip
                return _field(name, level, school, values, extra, shares, standard)

            found.append(
                Section(school, level, None if students is None else Fraction(students), get)
            )
    found.sort(key=lambda s: (s.school.school_id, standard.levels.index(s.level)))
    return found, excluded


# -- rules ----------------------------------------------------------------------------


def indicator_value(standard: Standard, name: str, section: Section) -> Fraction | None:
    indicator = standard.indicators[name]
    total = exact_sum([section.get(f) for f in indicator.numerator])
    if total is None:
        return None
    if indicator.denominator is None:
        return total * Fraction(indicator.scale)
    divisor = section.get(indicator.denominator)
    if not divisor:
        return None
    return total * Fraction(indicator.scale) / divisor


def _size_band(students: Fraction | None, cases: Mapping[str, Any]) -> str | None:
    if students is None:
        return None
    for limit in sorted(int(k[6:]) for k in cases if k.startswith("under_")):
        if students < limit:
            return f"under_{limit}"
    return "default"


def threshold_for(rule: SchoolThreshold, section: Section) -> Decimal | None:
    cases = rule.threshold.cases.get(section.level, {})
    by = rule.threshold.by
    if by is None:
        case = None
    elif by == "size":
        case = _size_band(section.get("school_students"), cases)
    else:
        case = getattr(section.school, by)
    if case is not None and case in cases:
        return cases[case]
    return cases.get("default")


def _threshold(standard: Standard, rule: SchoolThreshold, section: Section) -> OracleFinding:
    limit = threshold_for(rule, section)
    value = indicator_value(standard, rule.indicator, section)
    if limit is None or value is None:
        status = "not_evaluated"
    else:
        status = "pass" if OPS[rule.op](value, Fraction(limit)) else "fail"
    return OracleFinding(
        rule.id, status, section.level, section.school.school_id, rule.indicator, value
    )


def _k_of_n(
    standard: Standard, rule: SchoolKOfN, section: Section, done: Mapping[str, OracleFinding]
) -> OracleFinding | None:
    members = [done[m] for m in rule.rules if m in done]
    if not members:
        return None
    met = sum(f.status == "pass" for f in members)
    unknown = sum(f.status == "not_evaluated" for f in members)
    lowest = None
    for finding in members:
        if finding.status != "fail":
            continue
        member = standard.rules[finding.rule]
        assert isinstance(member, SchoolThreshold)
        limit = Fraction(threshold_for(member, section))  # type: ignore[arg-type]
        value = finding.value
        if member.op in (">=", ">"):
            ratio = value / limit if limit > 0 else None
        else:
            ratio = limit / value if value != 0 else None
        if ratio is not None and (lowest is None or ratio < lowest):
            lowest = ratio
    below = rule.floor_ratio is not None and lowest is not None and lowest < rule.floor_ratio
    if met + unknown < rule.min_met or below:
        status = "fail"
    elif unknown:
        status = "not_evaluated"
    else:
        status = "pass"
    return OracleFinding(rule.id, status, section.level, section.school.school_id, None, met)


def cv_squared(pairs: Sequence[tuple[Fraction, Fraction]]) -> Fraction | None:
    """CV² = S² / X̄² with weights P_i (students) over values X_i; None if X̄ = 0."""
    total = sum(p for p, _ in pairs)
    if total <= 0:
        return None
    mean = sum(p * x for p, x in pairs) / total
    if mean == 0:
        return None
    variance = sum(p * (x - mean) ** 2 for p, x in pairs) / total
    return Fraction(variance / (mean * mean))


def _boundary(cap: Decimal, rounding: Any) -> tuple[Fraction, bool]:
    """value rounded as the standard says ≤ cap ⟺ value < B (or = B when the tie passes)."""
    if rounding is None:
        return Fraction(cap), True
    unit = Fraction(1, 10**rounding.decimals)
    with localcontext() as context:
        context.prec = 60
        floored = Fraction(cap.quantize(Decimal(1).scaleb(-rounding.decimals), ROUND_FLOOR))
    tie_passes = rounding.mode == "half_even" and (floored / unit).numerator % 2 == 0
    return floored + unit / 2, tie_passes


def _sqrt(value: Fraction) -> Decimal:
    with localcontext() as context:
        context.prec = 60
        return (Decimal(value.numerator) / Decimal(value.denominator)).sqrt()


def _cv(
    standard: Standard, name: str, level_sections: Sequence[Section]
) -> tuple[str, Fraction | None]:
    """('missing' | 'ok', CV²)."""
    pairs = []
    for section in level_sections:
        value = indicator_value(standard, name, section)
        if value is None or section.students is None:
            return "missing", None
        pairs.append((section.students, value))
    return "ok", cv_squared(pairs)


def _county_rules(
    standard: Standard, county: County, found: Sequence[Section]
) -> list[OracleFinding]:
    out: list[OracleFinding] = []
    for rule in standard.rules.values():
        if isinstance(rule, CountyFact):
            out.append(_fact(rule, county, found, standard))
            continue
        if not isinstance(rule, Coefficients | Composite):
            continue
        for level in rule.levels:
            here = [s for s in found if s.level == level]
            if not here:
                continue
            cap = rule.max.get(level)
            cvs = {name: _cv(standard, name, here) for name in rule.indicators}
            if isinstance(rule, Coefficients):
                for name, (state, square) in cvs.items():
                    if state == "missing" or square is None:
                        status = "not_evaluated"
                    elif cap is None:
                        status = "pass"
                    else:
                        bound, tie = _boundary(cap, rule.rounding)
                        status = (
                            "pass" if square < bound**2 or (square == bound**2 and tie) else "fail"
                        )
                    out.append(OracleFinding(rule.id, status, level, None, name, square))
                continue
            squares = [square for state, square in cvs.values()]
            if any(state == "missing" for state, _ in cvs.values()) or any(
                s is None for s in squares
            ):
                out.append(OracleFinding(rule.id, "not_evaluated", level, None, "composite"))
                continue
            with localcontext() as context:
                context.prec = 60
                mean = sum((_sqrt(s) for s in squares if s is not None), Decimal(0)) / len(squares)
                if cap is None:
                    status = "pass"
                else:
                    bound, tie = _boundary(cap, rule.rounding)
                    limit = Decimal(bound.numerator) / Decimal(bound.denominator)
                    status = "pass" if mean < limit or (mean == limit and tie) else "fail"
            out.append(OracleFinding(rule.id, status, level, None, "composite", float(mean)))
    return out


def _fact(
    rule: CountyFact, county: County, found: Sequence[Section], standard: Standard
) -> OracleFinding:
    spellings = (
        standard.extra_fields[rule.fact].spellings
        if rule.fact in standard.extra_fields
        else (rule.fact,)
    )
    value: Any = next((county.facts[n] for n in spellings if county.facts.get(n) is not None), None)
    if value is None and rule.derive is not None:
        tops = [s.get(rule.derive.numerator) for s in found]
        bottoms = [s.get(rule.derive.denominator) for s in found]
        top, bottom = exact_sum(tops), exact_sum(bottoms)
        if top is not None and bottom:
            value = top / bottom * Fraction(rule.derive.scale)
    if value is None or isinstance(value, bool) != isinstance(rule.threshold, bool):
        return OracleFinding(rule.id, "not_evaluated", None, None, rule.fact, value)
    status = "pass" if OPS[rule.op](value, rule.threshold) else "fail"
    return OracleFinding(rule.id, status, None, None, rule.fact, value)


def _decides(standard: Standard, rule_id: str) -> bool:
    members = {m for r in standard.rules.values() if isinstance(r, SchoolKOfN) for m in r.rules}
    rule = standard.rules[rule_id]
    return rule.veto or (rule_id not in members and standard.groups[rule.group].required)


def evaluate(standard: Standard, county: County) -> OracleCounty:
    """Evaluate one county, plainly."""
    found, excluded = sections(county, standard)
    school_findings: list[OracleFinding] = []
    for section in found:
        done: dict[str, OracleFinding] = {}
        for rule in standard.rules.values():
            if isinstance(rule, SchoolThreshold) and section.level in rule.levels:
                done[rule.id] = _threshold(standard, rule, section)
        school_findings.extend(done.values())
        for rule in standard.rules.values():
            if isinstance(rule, SchoolKOfN):
                k = _k_of_n(standard, rule, section, done)
                if k is not None:
                    school_findings.append(k)
    county_findings = _county_rules(standard, county, found)
    verdict = "pass"
    for finding in [*school_findings, *county_findings]:
        rule = standard.rules[finding.rule]
        decides = _decides(standard, finding.rule)
        if isinstance(rule, Coefficients | Composite):
            decides = decides and finding.level in rule.max
        if not decides:
            continue
        if finding.status == "fail":
            verdict = "fail"
        elif finding.status == "not_evaluated" and verdict == "pass":
            verdict = "incomplete"
    return OracleCounty(
        county.name,
        verdict,
        tuple(school_findings),
        tuple(county_findings),
        tuple(sorted(excluded, key=lambda e: (e[0], e[2] or ""))),
        tuple((s.school.school_id, s.level) for s in found),
    )


def cv_of(square: Fraction | None) -> float | None:
    """A CV for display from its exact square."""
    return None if square is None else math.sqrt(square)
