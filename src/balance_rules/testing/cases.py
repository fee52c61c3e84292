"""Test cases shipped beside a standard, and the runner behind ``balance-rules test``.

A case file ``<standard>.cases.yaml`` lists small cases: the data (schools and
county facts) and the expected status of named rules, with the expected reason::

    standard: national/quality-2017        # optional: defaults to the file beside
    cases:
      - name: above_degree_teachers_per_100 primary at 4.2
        schools:
          - {school_id: T, school_type: primary, primary_students: 500,
             primary_teachers_above_degree: 21}
        facts: {}
        expect:
          - {rule: above_degree_teachers_per_100, school: T, level: primary,
             status: pass, reason: "4.2 ≥ 4.2"}

:func:`generate_cases` writes such cases for every rule of a standard — exactly at,
just above and just below each threshold — from the rule definitions alone; the
expected statuses follow from the operator (a value at a "≥" threshold passes),
not from running the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import yaml

from ..data.fields import LOCATIONS, PERCENT_FACTS, SCHOOL_TYPES
from ..data.model import County, School
from ..engine.plan import evaluate
from ..errors import BalanceRulesError, DataError, Problem, StandardError
from ..render.explain import explain, fmt
from ..report import Finding
from ..standard.loader import bundled_dir, load_standard
from ..standard.model import (
    Coefficients,
    Composite,
    CountyFact,
    Indicator,
    SchoolKOfN,
    SchoolThreshold,
    Standard,
)
from ..yamlio import YamlReadError, read_yaml
from .construct import column_for, school_inputs

__all__ = [
    "CaseResult",
    "case_files",
    "dump_cases",
    "generate_cases",
    "run_case_file",
]

_OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}
_NEGATED = {">=": "<", ">": "≤", "<=": ">", "<": "≥"}
_PASSES = {
    # op: (at, above, below)
    ">=": ("pass", "pass", "fail"),
    ">": ("fail", "pass", "fail"),
    "<=": ("pass", "fail", "pass"),
    "<": ("fail", "fail", "pass"),
}
_ATTRIBUTE_VALUES = {"location": LOCATIONS, "school_type": SCHOOL_TYPES}
COUNTY = "测试县"


# -- generating ---------------------------------------------------------------------


def _reason(value: Fraction, op: str, threshold: Decimal, status: str) -> str:
    shown = _OPS[op] if status == "pass" else _NEGATED[op]
    return f"{fmt(value, threshold)} {shown} {fmt(threshold)}"


def _school(
    school_id: str, level: str, inputs: Mapping[str, Any], **attributes: Any
) -> dict[str, Any]:
    record: dict[str, Any] = {"school_id": school_id, "school_type": level, "county": COUNTY}
    record.update(attributes)
    record.update(inputs)
    return record


def _attribute_cases(rule: SchoolThreshold, level: str) -> list[tuple[str | None, Decimal]]:
    """(attribute value to give the school, threshold) for each case of the level."""
    cases = rule.threshold.cases.get(level, {})
    by = rule.threshold.by
    if by is None:
        return [(None, cases["default"])] if "default" in cases else []
    if by not in _ATTRIBUTE_VALUES:
        return []
    result: list[tuple[str | None, Decimal]] = []
    for case, threshold in cases.items():
        if case == "default":
            others = [v for v in _ATTRIBUTE_VALUES[by] if v not in cases]
            if by == "school_type":
                others = [v for v in others if v == level]
            if others:
                result.append((others[0], threshold))
        elif by == "location" or case == level:
            result.append((case, threshold))
    return result


def _numerator_column(indicator: Indicator, level: str) -> str:
    return column_for(indicator.numerator[0], level)


def _shift(inputs: Mapping[str, Any], column: str, delta: int) -> dict[str, Any] | None:
    """A copy of *inputs* with *column* moved by *delta* units (None if it would go below 0)."""
    result: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in inputs.items()}
    holder: dict[str, Any] = result if column in result else result.get("extra", {})
    value = holder[column] + delta
    if value < 0:
        return None
    holder[column] = value
    return result


def _value_of(indicator: Indicator, level: str, inputs: Mapping[str, Any]) -> Fraction:
    def get(field: str) -> Fraction:
        column = column_for(field, level)
        raw = inputs.get(column, inputs.get("extra", {}).get(column, 0))
        return Fraction(raw)

    total = sum((get(f) for f in indicator.numerator), Fraction(0))
    if indicator.denominator is not None:
        total /= get(indicator.denominator)
    return total * Fraction(indicator.scale)


def _threshold_cases(standard: Standard, rule: SchoolThreshold) -> list[dict[str, Any]]:
    indicator = standard.indicators[rule.indicator]
    cases = []
    for level in rule.levels:
        for attribute, threshold in _attribute_cases(rule, level):
            at = school_inputs(indicator, level, Fraction(threshold))
            if at is None:
                continue
            column = _numerator_column(indicator, level)
            variants = {"at": at, "above": _shift(at, column, 1), "below": _shift(at, column, -1)}
            extra = {}
            if attribute is not None and rule.threshold.by == "location":
                extra["location"] = attribute
            for position, status in zip(("at", "above", "below"), _PASSES[rule.op], strict=True):
                inputs = variants[position]
                if inputs is None:
                    continue
                value = _value_of(indicator, level, inputs)
                where = f" ({attribute})" if attribute else ""
                cases.append(
                    {
                        "name": f"{rule.id} {level}{where} {position} {fmt(threshold)}",
                        "schools": [_school("T", level, inputs, **extra)],
                        "expect": [
                            {
                                "rule": rule.id,
                                "school": "T",
                                "level": level,
                                "status": status,
                                "reason": _reason(value, rule.op, threshold, status),
                            }
                        ],
                    }
                )
    return cases


def _k_of_n_cases(standard: Standard, rule: SchoolKOfN) -> list[dict[str, Any]]:
    cases = []
    members = [standard.rules[m] for m in rule.rules]
    if not all(isinstance(m, SchoolThreshold) for m in members):
        return []
    floor = Fraction(rule.floor_ratio) if rule.floor_ratio is not None else None
    for level in standard.levels:
        applicable = [m for m in members if isinstance(m, SchoolThreshold) and level in m.levels]
        if len(applicable) < 2 or any(
            standard.indicators[m.indicator].denominator not in (None, "students")
            for m in applicable
        ):
            continue
        thresholds = {m.id: m.threshold.for_level(level, None)[0] for m in applicable}
        if any(t is None for t in thresholds.values()):
            continue
        plan = _k_of_n_inputs(standard, applicable, level, thresholds, floor)
        if plan is None:
            continue
        comfortable, weak = plan
        n = len(applicable)
        for name, inputs, status in weak(n, rule.min_met):
            cases.append(
                {
                    "name": f"{rule.id} {level} {name}",
                    "schools": [_school("T", level, {**comfortable, **inputs})],
                    "expect": [{"rule": rule.id, "school": "T", "level": level, "status": status}],
                }
            )
    return cases


def _k_of_n_inputs(
    standard: Standard,
    members: Sequence[SchoolThreshold],
    level: str,
    thresholds: Mapping[str, Decimal | None],
    floor: Fraction | None,
) -> Any:
    """Inputs meeting every member comfortably, and a generator of weakened variants."""

    def target(member: SchoolThreshold, ratio: Fraction) -> Fraction:
        threshold = Fraction(thresholds[member.id])  # type: ignore[arg-type]
        return threshold * ratio if member.op in (">=", ">") else threshold / ratio

    students = None
    for candidate in (600, 1000, 2000, 10000, 100000):
        ok = True
        for member in members:
            indicator = standard.indicators[member.indicator]
            denominator = candidate if indicator.denominator else None
            for ratio in (Fraction(2), floor or Fraction(1, 2), Fraction(99, 100)):
                if (
                    school_inputs(indicator, level, target(member, ratio), denominator=denominator)
                    is None
                ):
                    ok = False
        if ok:
            students = candidate
            break
    if students is None:
        return None

    def inputs_for(member: SchoolThreshold, ratio: Fraction) -> dict[str, Any]:
        indicator = standard.indicators[member.indicator]
        denominator = students if indicator.denominator else None
        built = school_inputs(indicator, level, target(member, ratio), denominator=denominator)
        assert built is not None
        return built

    comfortable: dict[str, Any] = {}
    for member in members:
        comfortable = _merge(comfortable, inputs_for(member, Fraction(2)))

    def weak(n: int, min_met: int) -> Iterable[tuple[str, dict[str, Any], str]]:
        first, second = members[0], members[1]
        yield "all met", {}, "pass"
        if floor is not None:
            at_floor = inputs_for(first, floor)
            yield (
                f"one unmet at the floor ({fmt(floor)})",
                at_floor,
                "pass" if n - 1 >= min_met else "fail",
            )
            column = _numerator_column(standard.indicators[first.indicator], level)
            step = -1 if first.op in (">=", ">") else 1
            below = _shift(at_floor, column, step)
            if below is not None:
                yield "one unmet below the floor", below, "fail"
        near = inputs_for(first, Fraction(99, 100))
        yield "one unmet at 99 %", near, "pass" if n - 1 >= min_met else "fail"
        both = _merge(near, inputs_for(second, Fraction(99, 100)))
        yield "two unmet at 99 %", both, "pass" if n - 2 >= min_met else "fail"

    return comfortable, weak


def _merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(a)
    for key, value in b.items():
        if key == "extra":
            merged["extra"] = {**merged.get("extra", {}), **value}
        else:
            merged[key] = value
    return merged


def _cv_cases(standard: Standard, rule: Coefficients | Composite) -> list[dict[str, Any]]:
    cases = []
    if rule.rounding is not None:
        return []
    groups = (
        [[i] for i in rule.indicators]
        if isinstance(rule, Coefficients)
        else [list(rule.indicators)]
    )
    for level in rule.levels:
        cap = rule.max.get(level)
        if cap is None:
            continue
        for indicators in groups:
            label = indicators[0] if isinstance(rule, Coefficients) else "composite"
            step = Fraction(1, 100)
            for position, c, status in (
                ("at", Fraction(cap), "pass"),
                ("above", Fraction(cap) + step, "fail"),
                ("below", Fraction(cap) - step, "pass"),
            ):
                schools = _spread_schools(standard, indicators, level, c)
                if schools is None:
                    continue
                cases.append(
                    {
                        "name": f"{rule.id} {level} {label} {position} {fmt(cap)}",
                        "schools": schools,
                        "expect": [
                            {
                                "rule": rule.id,
                                "level": level,
                                "indicator": label,
                                "status": status,
                                "reason": _reason(c, "<=", cap, status),
                            }
                        ],
                    }
                )
    return cases


def _spread_schools(
    standard: Standard, indicators: Sequence[str], level: str, c: Fraction
) -> list[dict[str, Any]] | None:
    """Two equal schools with values v(1 − c) and v(1 + c): their weighted CV is c."""
    low: dict[str, Any] = {}
    high: dict[str, Any] = {}
    for name in indicators:
        indicator = standard.indicators[name]
        denominator = 1000 if indicator.denominator else None
        for base in (Fraction(1), Fraction(10), Fraction(100), Fraction(1000)):
            a = school_inputs(indicator, level, base * (1 - c), denominator=denominator)
            b = school_inputs(indicator, level, base * (1 + c), denominator=denominator)
            if a is not None and b is not None:
                low, high = _merge(low, a), _merge(high, b)
                break
        else:
            return None
    return [_school("A", level, low), _school("B", level, high)]


def _fact_cases(rule: CountyFact) -> list[dict[str, Any]]:
    if isinstance(rule.threshold, bool):
        return [
            {
                "name": f"{rule.id} {value}",
                "facts": {rule.fact: value},
                "expect": [
                    {"rule": rule.id, "status": "pass" if value == rule.threshold else "fail"}
                ],
            }
            for value in (rule.threshold, not rule.threshold)
        ]
    threshold = rule.threshold
    step = (
        Decimal(1)
        if threshold == threshold.to_integral_value() and threshold >= 10
        else Decimal("0.01")
    )
    cases = []
    for position, value, status in zip(
        ("at", "above", "below"),
        (threshold, threshold + step, threshold - step),
        _PASSES[rule.op],
        strict=True,
    ):
        if value < 0 or (rule.fact in PERCENT_FACTS and value > 100):
            continue  # no such rate: the facts reader (and County) refuse it
        cases.append(
            {
                "name": f"{rule.id} {position} {fmt(threshold)}",
                "facts": {rule.fact: value},
                "expect": [
                    {
                        "rule": rule.id,
                        "status": status,
                        "reason": _reason(Fraction(value), rule.op, threshold, status),
                    }
                ],
            }
        )
    return cases


def generate_cases(standard: Standard) -> dict[str, Any]:
    """Cases at, just above and just below every threshold of *standard*."""
    cases: list[dict[str, Any]] = []
    for rule in standard.rules.values():
        if isinstance(rule, SchoolThreshold):
            cases += _threshold_cases(standard, rule)
        elif isinstance(rule, SchoolKOfN):
            cases += _k_of_n_cases(standard, rule)
        elif isinstance(rule, Coefficients | Composite):
            cases += _cv_cases(standard, rule)
        else:
            cases += _fact_cases(rule)
    return {"standard": standard.id, "cases": cases}


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
    if value == value.to_integral_value():
        return dumper.represent_int(int(value))
    return dumper.represent_scalar("tag:yaml.org,2002:float", format(value.normalize(), "f"))


_Dumper.add_representer(Decimal, _represent_decimal)


def dump_cases(document: Mapping[str, Any], header: str = "") -> str:
    """YAML text for a case document (exact decimals, one flow mapping per record)."""
    text = yaml.dump(dict(document), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    return header + text


# -- running ------------------------------------------------------------------------


@attrs.frozen
class CaseResult:
    """The outcome of one case: passed, or the reasons it did not."""

    file: str
    name: str
    failures: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failures


def case_files(target: str | Path) -> list[Path]:
    """The case files for a bundled id, a standard file, a case file or a folder.

    Beside ``x.yaml`` the case files are ``x.cases.yaml`` (generated) and any
    ``x.NAME.cases.yaml`` (hand-written).
    """
    path = Path(target)
    if path.is_dir():
        return sorted(path.rglob("*.cases.yaml"))
    if path.name.endswith(".cases.yaml") and path.is_file():
        return [path]
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return sorted(path.parent.glob(f"{path.stem}.*cases.yaml"))
    bundled = bundled_dir() / f"{target}.yaml"
    return sorted(bundled.parent.glob(f"{bundled.stem}.*cases.yaml")) if bundled.is_file() else []


def _standard_for(path: Path, document: Mapping[str, Any]) -> Standard:
    name = document.get("standard")
    if name is None:
        return load_standard(path.with_name(path.name.split(".")[0] + ".yaml"))
    relative = path.parent / str(name)
    return load_standard(relative if relative.is_file() else str(name))


def _matches(
    finding: Finding, school: str | None, level: str | None, expect: Mapping[str, Any]
) -> bool:
    if finding.rule != expect["rule"]:
        return False
    if "level" in expect and level != expect["level"]:
        return False
    return "indicator" not in expect or finding.indicator == expect["indicator"]


def _run_case(standard: Standard, case: Mapping[str, Any], file: str) -> CaseResult:
    name = str(case.get("name", "?"))
    try:
        schools = [
            School(**{"county": COUNTY, **dict(record)}) for record in case.get("schools", [])
        ]
        county = County(name=COUNTY, schools=schools, facts=dict(case.get("facts", {}) or {}))
    except (DataError, TypeError) as exc:
        return CaseResult(file, name, (f"bad case data: {exc}",))
    result = evaluate(standard, county).counties[0]
    failures = []
    for expect in case.get("expect", []):
        school_id = expect.get("school")
        candidates: list[tuple[Finding, str | None]]
        if school_id is not None:
            candidates = [
                (f, s.level) for s in result.schools if s.school_id == school_id for f in s.findings
            ]
        else:
            candidates = [(f, f.level) for f in result.findings]
        found = [f for f, level in candidates if _matches(f, school_id, level, expect)]
        what = ", ".join(f"{k}={v}" for k, v in expect.items() if k not in ("status", "reason"))
        if not found:
            failures.append(f"no finding for {what}")
            continue
        for finding in found:
            if finding.status != expect["status"]:
                failures.append(
                    f"{what}: expected {expect['status']}, got {finding.status} "
                    f"({explain(finding, standard, 'en')})"
                )
            elif "reason" in expect:
                reasons = (explain(finding, standard, "zh"), explain(finding, standard, "en"))
                if not any(str(expect["reason"]) in r for r in reasons):
                    failures.append(
                        f"{what}: expected reason {expect['reason']!r}, got {reasons[1]!r}"
                    )
    if "verdict" in case and result.verdict != case["verdict"]:
        failures.append(f"verdict: expected {case['verdict']}, got {result.verdict}")
    return CaseResult(file, name, tuple(failures))


def _shape_problems(cases: list[Any], file: str) -> list[Problem]:
    """Cases that are not ``{name, schools: [...], facts: {...}, expect: [...]}``."""
    lines = getattr(cases, "item_lines", [])
    problems = []
    for index, case in enumerate(cases):
        line = lines[index] if index < len(lines) else None
        where = f"cases[{index}]"
        if not isinstance(case, Mapping):
            problems.append(
                Problem("a case is a mapping (name, schools, expect)", file, line, path=where)
            )
            continue
        for key, kind in (("schools", "a list of schools"), ("expect", "a list of expectations")):
            items = case.get(key, [])
            if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
                problems.append(Problem(f"{key} must be {kind} (mappings)", file, line, path=where))
        facts = case.get("facts")
        if facts is not None and not isinstance(facts, Mapping):
            problems.append(
                Problem("facts must be a mapping of fact: value", file, line, path=where)
            )
        for expect in case.get("expect", []) if isinstance(case.get("expect", []), list) else []:
            if isinstance(expect, Mapping) and not {"rule", "status"} <= set(expect):
                problems.append(
                    Problem("each expectation needs rule: and status:", file, line, path=where)
                )
    return problems


def run_case_file(path: str | Path) -> list[CaseResult]:
    """Run every case of one file; raises StandardError/DataError for unreadable files."""
    path = Path(path)
    try:
        document = read_yaml(path)
    except YamlReadError as exc:
        raise DataError(exc.problems) from None
    if not isinstance(document, Mapping) or not isinstance(document.get("cases"), list):
        raise DataError([Problem("a case file has `cases: [...]`", file=str(path))])
    problems = _shape_problems(document["cases"], str(path))
    if problems:
        raise DataError(problems, f"{path}: {len(problems)} problem(s) in the case file")
    try:
        standard = _standard_for(path, document)
    except StandardError:
        raise
    except BalanceRulesError as exc:
        raise DataError([Problem(str(exc), file=str(path))]) from None
    return [_run_case(standard, case, str(path)) for case in document["cases"]]
