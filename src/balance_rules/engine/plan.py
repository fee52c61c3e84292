"""Compile a :class:`Standard` once into a :class:`Plan`, then evaluate counties.

The plan resolves everything that does not depend on the data ahead of time:
which fields to read, each indicator's arithmetic, every threshold per level and
school attribute as an exact fraction with the layer that set it, which rules
decide the verdict.  Evaluating a section is then a few dictionary look-ups and
exact comparisons.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from ..data.model import County
from ..report import Coefficient, CountyResult, Finding, Report, SchoolResult, Status, Verdict
from ..sections import Section, build_sections, column_name
from ..standard.model import (
    Coefficients,
    Composite,
    CountyFact,
    Indicator,
    SchoolKOfN,
    SchoolThreshold,
    Standard,
    size_band,
)
from .cv import (
    Moments,
    cap_allows,
    composite_allows,
    weighted_cv,
    weighted_cv_squared,
    weighted_moments,
)

__all__ = ["Plan", "compile_standard", "evaluate"]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}

_IndicatorValue = tuple[Fraction | None, tuple[str, ...], str | None]


@attrs.frozen
class _IndicatorCalc:
    """sum(numerator) / denominator * scale over one section's values."""

    id: str
    numerator: tuple[str, ...]
    denominator: str | None
    scale: Fraction

    @classmethod
    def of(cls, indicator: Indicator) -> _IndicatorCalc:
        return cls(
            indicator.id, indicator.numerator, indicator.denominator, Fraction(indicator.scale)
        )

    def compute(self, section: Section) -> _IndicatorValue:
        """(value, missing columns, problem) for the section."""
        values = section.values
        missing: list[str] = []
        total = Fraction(0)
        for name in self.numerator:
            part = values.get(name)
            if part is None:
                missing.append(column_name(name, section.level))
            else:
                total += part
        denominator = values.get(self.denominator) if self.denominator else None
        if self.denominator and denominator is None:
            missing.append(column_name(self.denominator, section.level))
        if missing:
            return None, tuple(missing), None
        if self.denominator is None:
            return total * self.scale, (), None
        if not denominator:
            return None, (), f"{column_name(self.denominator, section.level)} = 0"
        return total * self.scale / denominator, (), None


@attrs.frozen
class _ThresholdCheck:
    rule: SchoolThreshold
    calc: _IndicatorCalc
    #: (level, case) -> (exact threshold, original decimal, layer that set it)
    thresholds: Mapping[tuple[str, str], tuple[Fraction, Decimal, str]]
    decides: bool


def _threshold_table(
    rule: SchoolThreshold, standard: Standard
) -> dict[tuple[str, str], tuple[Fraction, Decimal, str]]:
    table = {}
    for level, cases in rule.threshold.cases.items():
        for case, value in cases.items():
            origin = standard.origin("rules", rule.id, "threshold", level, case)
            layer = origin.layer if origin else standard.id
            table[(level, case)] = (Fraction(value), value, layer)
    return table


def layer_of(standard: Standard, *path: str) -> str:
    """The layer that set the value at *path* of the merged standard."""
    origin = standard.origin(*path)
    return origin.layer if origin else standard.id


class Plan:
    """A standard compiled for evaluation.  Build with :func:`compile_standard`."""

    def __init__(self, standard: Standard) -> None:
        self.standard = standard
        rules = standard.rules
        members = {
            member: rule.id
            for rule in rules.values()
            if isinstance(rule, SchoolKOfN)
            for member in rule.rules
        }
        self.member_of: dict[str, str] = members

        def decides(rule_id: str) -> bool:
            rule = rules[rule_id]
            return rule.veto or (rule_id not in members and standard.groups[rule.group].required)

        self.decides = {rule_id: decides(rule_id) for rule_id in rules}
        #: The fields every finding of a rule shares, built once.
        self.common: dict[str, dict[str, Any]] = {
            rule.id: {
                "rule": rule.id,
                "kind": rule.kind,
                "group": rule.group,
                "source": rule.source,
                "veto": rule.veto,
                "decides": self.decides[rule.id],
                "confidence": rule.confidence,
            }
            for rule in rules.values()
        }
        self.calcs = {i.id: _IndicatorCalc.of(i) for i in standard.indicators.values()}
        self.threshold_checks = [
            _ThresholdCheck(
                r, self.calcs[r.indicator], _threshold_table(r, standard), self.decides[r.id]
            )
            for r in rules.values()
            if isinstance(r, SchoolThreshold)
        ]
        self.k_of_n = [r for r in rules.values() if isinstance(r, SchoolKOfN)]
        self.county_rules = [
            r for r in rules.values() if isinstance(r, Coefficients | Composite | CountyFact)
        ]
        fields: list[str] = ["students"]
        if any(c.rule.threshold.by == "size" for c in self.threshold_checks):
            fields.append("school_students")
        used_indicators: set[str] = {c.rule.indicator for c in self.threshold_checks}
        for rule in self.county_rules:
            if isinstance(rule, Coefficients | Composite):
                used_indicators.update(rule.indicators)
            elif rule.derive is not None:
                fields += [rule.derive.numerator, rule.derive.denominator]
        for ind in sorted(used_indicators):
            fields += list(standard.indicators[ind].fields)
        self.fields = tuple(dict.fromkeys(fields))
        #: Extra columns and facts: every name they may appear under in the data.
        self.spellings = {name: f.spellings for name, f in standard.extra_fields.items()}

    # -- sections -------------------------------------------------------------------

    def _school_findings(self, section: Section) -> tuple[Finding, ...]:
        cache: dict[str, _IndicatorValue] = {}
        by_rule: dict[str, Finding] = {}
        ratios: dict[str, Fraction | None] = {}
        findings: list[Finding] = []
        for check in self.threshold_checks:
            rule = check.rule
            if section.level not in rule.levels:
                continue
            calc = check.calc
            computed = cache.get(calc.id)
            if computed is None:
                computed = cache[calc.id] = calc.compute(section)
            finding, ratio = self._threshold_finding(check, section, computed)
            by_rule[rule.id] = finding
            ratios[rule.id] = ratio
            findings.append(finding)
        for k_rule in self.k_of_n:
            finding_k = self._k_of_n_finding(k_rule, section, by_rule, ratios)
            if finding_k is not None:
                findings.append(finding_k)
        return tuple(findings)

    def _threshold_finding(
        self, check: _ThresholdCheck, section: Section, computed: _IndicatorValue
    ) -> tuple[Finding, Fraction | None]:
        rule = check.rule
        by = rule.threshold.by
        if by == "size":
            students = section.values.get("school_students")
            attribute = size_band(students, rule.threshold.cases.get(section.level, {}))
        else:
            attribute = getattr(section.school, by) if by else None
        entry = check.thresholds.get((section.level, attribute)) if attribute else None
        if entry is None:
            entry = check.thresholds.get((section.level, "default"))
        common: dict[str, Any] = {
            **self.common[rule.id],
            "indicator": rule.indicator,
            "level": section.level,
            "op": rule.op,
        }
        if entry is None:
            return Finding(
                **common,
                status="not_evaluated",
                layer=rule.origin.layer,
                missing=(by or "",),
                detail=f"{by} = {attribute if attribute is not None else '—'}",
            ), None
        exact_threshold, threshold, layer = entry
        value, missing, problem = computed
        if value is None:
            return Finding(
                **common,
                status="not_evaluated",
                threshold=threshold,
                layer=layer,
                missing=missing,
                detail=problem,
            ), None
        passed = _OPS[rule.op](value, exact_threshold)
        return Finding(
            **common,
            status="pass" if passed else "fail",
            value=value,
            threshold=threshold,
            layer=layer,
        ), _achievement(value, exact_threshold, rule.op)

    def _k_of_n_finding(
        self,
        rule: SchoolKOfN,
        section: Section,
        by_rule: Mapping[str, Finding],
        ratios: Mapping[str, Fraction | None],
    ) -> Finding | None:
        members = [by_rule[m] for m in rule.rules if m in by_rule]
        if not members:
            return None
        met = sum(1 for f in members if f.status == "pass")
        unknown = [f for f in members if f.status == "not_evaluated"]
        unmet = [f for f in members if f.status == "fail"]
        floor = None if rule.floor_ratio is None else Fraction(rule.floor_ratio)
        lowest_rule: str | None = None
        lowest: Fraction | None = None
        for f in unmet:
            ratio = ratios[f.rule]
            if ratio is not None and (lowest is None or ratio < lowest):
                lowest, lowest_rule = ratio, f.rule
        below_floor = floor is not None and lowest is not None and lowest < floor
        status: Status
        if met + len(unknown) < rule.min_met or below_floor:
            status = "fail"
        elif unknown:
            status = "not_evaluated"
        else:
            status = "pass"
        missing = tuple(dict.fromkeys(m for f in unknown for m in f.missing))
        return Finding(
            **self.common[rule.id],
            level=section.level,
            status=status,
            value=met,
            op=">=",
            threshold=rule.min_met,
            layer=layer_of(self.standard, "rules", rule.id, "min_met"),
            missing=missing,
            met=met,
            of=len(members),
            lowest_ratio=lowest,
            lowest_rule=lowest_rule,
        )

    # -- county ---------------------------------------------------------------------

    def evaluate_county(self, county: County) -> CountyResult:
        """Evaluate one county: sections, school rules, CVs, facts, verdict."""
        standard = self.standard
        sections, excluded = build_sections(
            county.schools,
            levels=standard.levels,
            exclusions=standard.exclusions,
            split=standard.split,
            fields=self.fields,
            spellings=self.spellings,
        )
        sections.sort(key=lambda s: (s.school.school_id, standard.levels.index(s.level)))
        schools = tuple(
            SchoolResult(
                school_id=s.school.school_id,
                name=s.school.school_name,
                level=s.level,
                school_type=s.school.school_type,
                location=s.school.location,
                students=s.students,
                findings=self._school_findings(s),
                merged=s.merged,
            )
            for s in sections
        )
        by_level: dict[str, list[Section]] = {level: [] for level in standard.levels}
        for section in sections:
            by_level[section.level].append(section)
        cv_cache: dict[tuple[str, str], _CV] = {}
        findings: list[Finding] = []
        coefficients: list[Coefficient] = []
        notes = [
            f"no {level} school sections in scope: {level} coefficients not computed"
            for level, items in by_level.items()
            if not items
        ]
        for rule in self.county_rules:
            if isinstance(rule, CountyFact):
                findings.append(self._fact_finding(rule, county, sections))
                continue
            for level in rule.levels:
                level_sections = by_level.get(level, [])
                if not level_sections:
                    continue
                cvs = [
                    cv_cache.get((level, ind))
                    or cv_cache.setdefault((level, ind), self._cv(ind, level_sections))
                    for ind in rule.indicators
                ]
                if isinstance(rule, Coefficients):
                    for cv in cvs:
                        finding = self._cv_finding(rule, level, cv)
                        findings.append(finding)
                        coefficients.append(
                            _coefficient(
                                rule, level, cv.indicator, cv.value, finding, cv.schools, cv
                            )
                        )
                else:
                    finding = self._composite_finding(rule, level, cvs)
                    findings.append(finding)
                    mean = finding.value if isinstance(finding.value, float) else None
                    coefficients.append(
                        _coefficient(rule, level, "composite", mean, finding, len(level_sections))
                    )
        all_findings = [f for s in schools for f in s.findings] + findings
        verdict, vetoed = _verdict(all_findings)
        return CountyResult(
            county=county.name,
            verdict=verdict,
            vetoed=vetoed,
            schools=schools,
            coefficients=tuple(coefficients),
            findings=tuple(findings),
            excluded=tuple(sorted(excluded, key=lambda e: (e.school_id, e.level or ""))),
            notes=tuple(notes),
        )

    def _cv(self, indicator: str, sections: Sequence[Section]) -> _CV:
        calc = self.calcs[indicator]
        weights: list[Fraction] = []
        values: list[Fraction] = []
        missing: dict[str, None] = {}
        schools_missing: list[str] = []
        for section in sections:
            value, lacking, problem = calc.compute(section)
            students = section.students
            if value is None or students is None:
                schools_missing.append(section.school.school_id)
                for name in lacking or ((problem,) if problem else ()):
                    missing[name] = None
                if students is None:
                    missing[column_name("students", section.level)] = None
                continue
            weights.append(students)
            values.append(value)
        if schools_missing:
            return _CV(
                indicator, None, weights, values, len(sections), tuple(missing), schools_missing
            )
        return _CV(indicator, weighted_cv(weights, values), weights, values, len(sections))

    @staticmethod
    def moments(cv: _CV) -> Moments | None:
        """The working of a CV (None when data is missing)."""
        return None if cv.missing_schools else weighted_moments(cv.weights, cv.values)

    def _cv_finding(self, rule: Coefficients, level: str, cv: _CV) -> Finding:
        cap = rule.max.get(level)
        status: Status
        if cv.missing_schools or cv.value is None:
            status = "not_evaluated"
        elif cap is None:
            status = "pass"
        else:
            allowed = cap_allows(cv.value, cv.weights, cv.values, cap, rule.rounding)
            status = "pass" if allowed else "fail"
        return Finding(
            **{**self.common[rule.id], "decides": self.decides[rule.id] and cap is not None},
            indicator=cv.indicator,
            level=level,
            status=status,
            value=cv.value,
            op="<=" if cap is not None else None,
            threshold=cap,
            layer=layer_of(self.standard, "rules", rule.id, "max", level),
            missing=cv.missing,
            undefined=cv.value is None and not cv.missing_schools,
            missing_at=tuple(cv.missing_schools),
        )

    def _composite_finding(self, rule: Composite, level: str, cvs: Sequence[_CV]) -> Finding:
        cap = rule.max.get(level)
        missing = tuple(dict.fromkeys(m for cv in cvs for m in cv.missing))
        undefined = [cv.indicator for cv in cvs if cv.value is None and not cv.missing_schools]
        value: float | None = None
        status: Status
        if missing or undefined:
            status = "not_evaluated"
        else:
            value = sum(cv.value for cv in cvs if cv.value is not None) / len(cvs)
            if cap is None:
                status = "pass"
            else:
                squares = [weighted_cv_squared(cv.weights, cv.values) for cv in cvs]
                allowed = composite_allows(
                    value, [s for s in squares if s is not None], cap, rule.rounding
                )
                status = "pass" if allowed else "fail"
        return Finding(
            **{**self.common[rule.id], "decides": self.decides[rule.id] and cap is not None},
            indicator="composite",
            level=level,
            status=status,
            value=value,
            op="<=" if cap is not None else None,
            threshold=cap,
            layer=layer_of(self.standard, "rules", rule.id, "max", level),
            missing=missing,
            undefined=bool(undefined),
            detail=", ".join(undefined) if undefined else None,
        )

    def _fact_finding(
        self, rule: CountyFact, county: County, sections: Sequence[Section]
    ) -> Finding:
        value = self.fact_value(rule, county)
        if value is None and rule.derive is not None:
            derived, missing = _derive(rule, sections)
            return self.fact_result(rule, derived, missing, derived=derived is not None)
        return self.fact_result(rule, value, () if value is not None else (rule.fact,))

    def fact_value(self, rule: CountyFact, county: County) -> Decimal | bool | None:
        """The county's value of a fact, under any of its spellings (None if absent)."""
        for name in self.spellings.get(rule.fact, (rule.fact,)):
            value = county.facts.get(name)
            if value is not None:
                return value
        return None

    def fact_result(
        self,
        rule: CountyFact,
        value: Decimal | bool | Fraction | None,
        missing: tuple[str, ...],
        *,
        derived: bool = False,
    ) -> Finding:
        """The finding of a county-fact rule for a value (given or derived)."""
        detail = None
        status: Status
        if value is None:
            status = "not_evaluated"
            missing = missing or (rule.fact,)
        elif isinstance(rule.threshold, bool) != isinstance(value, bool):
            status = "not_evaluated"
            detail = f"fact {rule.fact} has the wrong kind of value ({value})"
        else:
            status = "pass" if _OPS[rule.op](value, rule.threshold) else "fail"
        return Finding(
            **self.common[rule.id],
            fact=rule.fact,
            status=status,
            value=value,
            op=rule.op,
            threshold=rule.threshold,
            layer=layer_of(self.standard, "rules", rule.id, "threshold"),
            missing=missing,
            detail=detail,
            derived=derived,
        )

    def evaluate(
        self,
        counties: Iterable[County],
        progress: Callable[[int, int], None] | None = None,
    ) -> Report:
        """Evaluate every county; the report lists them sorted by name.

        *progress*, if given, is called as ``progress(done, total)`` after each county.
        """
        counties = list(counties)
        results = []
        for done, county in enumerate(counties, 1):
            results.append(self.evaluate_county(county))
            if progress is not None:
                progress(done, len(counties))
        results.sort(key=lambda r: r.county)
        return Report(standard=self.standard, counties=tuple(results))


@attrs.frozen
class _CV:
    indicator: str
    value: float | None
    weights: list[Fraction]
    values: list[Fraction]
    schools: int
    missing: tuple[str, ...] = ()
    missing_schools: list[str] = attrs.Factory(list)


def _coefficient(
    rule: Coefficients | Composite,
    level: str,
    indicator: str,
    value: float | None,
    finding: Finding,
    schools: int,
    cv: _CV | None = None,
) -> Coefficient:
    cap = rule.max.get(level)
    moments = Plan.moments(cv) if cv is not None else None
    return Coefficient(
        rule=rule.id,
        level=level,
        indicator=indicator,
        value=value,
        max=cap,
        passed=_status_passed(finding.status) if cap is not None else None,
        schools=schools,
        composite=isinstance(rule, Composite),
        students=moments.students if moments else None,
        mean=moments.mean if moments else None,
        std=moments.std if moments else None,
    )


def _status_passed(status: Status) -> bool | None:
    return None if status == "not_evaluated" else status == "pass"


def _achievement(value: Fraction, threshold: Fraction, op: str) -> Fraction | None:
    """How much of a threshold a value reaches (1 = exactly met)."""
    if op in (">=", ">"):
        return value / threshold if threshold > 0 else None
    if value == 0:
        return None
    return threshold / value


def _derive(
    rule: CountyFact, sections: Sequence[Section]
) -> tuple[Fraction | None, tuple[str, ...]]:
    derive = rule.derive
    assert derive is not None
    numerator = Fraction(0)
    denominator = Fraction(0)
    missing: dict[str, None] = {}
    for section in sections:
        n = section.values.get(derive.numerator)
        d = section.values.get(derive.denominator)
        if n is None:
            missing[column_name(derive.numerator, section.level)] = None
        if d is None:
            missing[column_name(derive.denominator, section.level)] = None
        if n is not None and d is not None:
            numerator += n
            denominator += d
    if missing:
        return None, (rule.fact, *missing)
    if denominator == 0:
        return None, (rule.fact,)
    return numerator / denominator * Fraction(derive.scale), ()


def _verdict(findings: Iterable[Finding]) -> tuple[Verdict, bool]:
    verdict: Verdict = "pass"
    vetoed = False
    for finding in findings:
        if not finding.decides:
            continue
        if finding.status == "fail":
            verdict = "fail"
            vetoed = vetoed or finding.veto
        elif finding.status == "not_evaluated" and verdict == "pass":
            verdict = "incomplete"
    return verdict, vetoed


_PLANS: dict[int, tuple[Standard, Plan]] = {}


def compile_standard(standard: Standard) -> Plan:
    """The plan for *standard*, compiled once and cached per standard object."""
    cached = _PLANS.get(id(standard))
    if cached is not None and cached[0] is standard:
        return cached[1]
    plan = Plan(standard)
    if len(_PLANS) >= 32:
        _PLANS.pop(next(iter(_PLANS)))
    _PLANS[id(standard)] = (standard, plan)
    return plan


def evaluate(
    standard: Standard,
    counties: County | Iterable[County] | Any,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Evaluate one county, a list of counties, or a school table against *standard*.

    Runs the one columnar core; the :class:`Report` is a view over its result
    (school findings are built when first read).  A table is a
    :class:`~balance_rules.SchoolTable` (grouped by its county column) or a
    ``ColumnTable``.  *progress*, if given, is called as ``progress(done, total)``
    as counties are reported.  Raises TypeError naming the argument when one has
    the wrong type.
    """
    plan = compile_standard(_checked_standard(standard))
    from ..data.columns import ColumnTable
    from ..data.readers import SchoolTable
    from .core import evaluate_counties, evaluate_table

    if isinstance(counties, ColumnTable):
        return evaluate_table(plan, counties, progress=progress)
    if isinstance(counties, SchoolTable):
        from ..data.readers import group_counties

        counties = group_counties(counties.schools)
    return evaluate_counties(plan, _checked_counties(counties), progress)


def _checked_standard(standard: object) -> Standard:
    if isinstance(standard, Standard):
        return standard
    if isinstance(standard, Plan):
        raise TypeError(
            "evaluate(standard, ...): got a compiled Plan; pass its Standard"
            " (plan.standard), or call plan.evaluate(counties)"
        )
    if isinstance(standard, str):
        raise TypeError(
            f"evaluate(standard, ...): got the string {standard!r}; load it first with"
            " br.load_standard(...)"
        )
    raise TypeError(f"evaluate(standard, ...): expected a Standard, not {type(standard).__name__}")


def _checked_counties(counties: object) -> list[County]:
    if isinstance(counties, County):
        return [counties]
    if isinstance(counties, str | bytes) or not isinstance(counties, Iterable):
        raise TypeError(
            "evaluate(standard, counties): expected a County, a list of counties or a"
            " school table,"
            f" not {type(counties).__name__}"
            + ("; read a file with br.read_counties(...)" if isinstance(counties, str) else "")
        )
    items = list(counties)
    for n, item in enumerate(items):
        if not isinstance(item, County):
            raise TypeError(
                f"evaluate(standard, counties): item {n} is a {type(item).__name__}, not a County"
            )
    names = [c.name for c in items]
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"evaluate(standard, counties): county {repeated[0]!r} is given twice")
    return items
