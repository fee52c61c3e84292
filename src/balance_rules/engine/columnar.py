"""The columnar evaluation core: every county of a nation in one pass of NumPy.

Sections are built on columns — scope, sub-site merging, combined-school
splitting — and every rule then runs through the kernel of its kind
(:data:`~balance_rules.engine.kernels.KERNELS`), for all sections or counties at
once.  Decisions stay exact: floating point decides only values clearly away
from their threshold; anything within a relative 1e-9 of it is decided again by
the one exact step (:mod:`balance_rules.engine.exact`).  Findings are built on
demand, each with its full reason, by the kernels' ``record``/``explain``.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

import attrs
import numpy as np

from ..collector import paused
from ..data.columns import ColumnTable
from ..data.fields import (
    ALL_LEVELS,
    COMBINED_TYPES,
    LEVEL_SUFFIXES,
    MAXIMUM_FIELDS,
    MINIMUM_FIELDS,
    SCHOOL_TYPE_LEVELS,
)
from ..report import Excluded, Report
from ..sections import (
    LEVEL_ZH,
    MERGED_INTO_PARENT,
    NO_STUDENTS,
    PARENT_MISSING,
    Section,
    site_section,
)
from .exact import Tie, decide_ties
from .kernels import KERNELS, Kernel
from .kernels.base import FAIL, NOT_EVALUATED, PASS, CountyFinding, Level, Outcome
from .kernels.school_threshold import missing_inputs as _missing_inputs
from .plan import Plan

__all__ = ["ColumnarResult", "evaluate_columns", "missing_inputs"]

_STATUS = ("pass", "fail", "not_evaluated")
_LEVEL_FIELD = {f"{lv}_{s}" for lv in ALL_LEVELS for s in LEVEL_SUFFIXES}
#: Older names, kept for code that imported them from here.
_Level = Level
_Outcome = Outcome
_CountyFinding = CountyFinding


def missing_inputs(
    plan: Plan, indicator: str, part: Level, i: int
) -> tuple[tuple[str, ...], str | None]:
    """Why one section has no value for *indicator*: missing columns, or a zero divisor."""
    return _missing_inputs(plan.calcs[indicator], part, i)


@attrs.define(eq=False)
class ColumnarResult:
    """Statuses for every section, CVs for every county and level, and verdicts."""

    plan: Plan
    table: ColumnTable
    county_names: list[str]
    verdicts: list[str]
    vetoed: list[bool]
    levels: dict[str, Level]
    outcomes: dict[tuple[str, str], Outcome]
    section_passed: dict[str, np.ndarray]  # per level: 1 pass, 0 fail, -1 unknown
    county_findings: list[list[Any]]
    excluded: list[list[Excluded]]
    facts: Mapping[str, Mapping[str, Any]]
    children: dict[int, list[int]]
    #: Rule id → the rule as its kernel compiled it (for explanations).
    compiled: dict[str, Any] = attrs.field(factory=dict)
    #: Per county: its failing deciding county rules, in order, each once (found
    #: with the verdicts; computed from ``county_findings`` when not given).
    rules_failed: list[list[str]] | None = None

    def summary(self) -> Iterator[dict[str, Any]]:
        """One row per county: verdict and counts of sections by result."""
        counts = np.zeros((len(self.county_names), 3), dtype=np.int64)
        for level, passed in self.section_passed.items():
            codes = self.levels[level].counties
            for column, value in ((0, 1), (1, 0), (2, -1)):
                counts[:, column] += np.bincount(
                    codes[passed == value], minlength=len(self.county_names)
                )
        rules_failed = self.rules_failed
        # Per county as Python ints, read from lists (not NumPy scalars).
        totals, by_result = counts.sum(axis=1).tolist(), counts.tolist()
        for code, name in enumerate(self.county_names):
            if rules_failed is not None:
                failing = rules_failed[code]
            else:
                failing = [
                    f.rule for f in self.county_findings[code] if f.decides and f.status == "fail"
                ]
            n_passed, n_failed, n_unknown = by_result[code]
            yield {
                "county": name,
                "verdict": self.verdicts[code],
                "vetoed": self.vetoed[code],
                "sections": totals[code],
                "sections_passed": n_passed,
                "sections_failed": n_failed,
                "sections_not_evaluated": n_unknown,
                "county_rules_failed": ";".join(dict.fromkeys(failing)),
                "excluded": len(self.excluded[code]),
            }

    def county_report(self, names: Sequence[str] | None = None) -> Report:
        """The Report of some counties (all by default): a lazy view of this result."""
        from .view import report_of

        return report_of(self, names)

    @property
    def passed(self) -> bool:
        return all(v == "pass" for v in self.verdicts)


def _level_of(field: str) -> str | None:
    prefix = field.split("_", 1)[0]
    return prefix if prefix in ALL_LEVELS else None


def _merge(
    table: ColumnTable,
    needed: Collection[str] | None = None,
) -> tuple[
    dict[str, np.ndarray],
    dict[str, np.ndarray],
    list[tuple[int, str, str | None]],
    dict[int, list[int]],
]:
    """Sub-sites merged into their root parent, as the object path merges them.

    Only the *needed* number columns (all by default) are copied and merged; the
    others are the table's own, unmerged, and must not be read.
    """
    names = [n for n in table.numbers if needed is None or n in needed]
    numbers = {name: column.copy() for name, column in table.numbers.items() if name in names}
    extras = {name: column.copy() for name, column in table.extras.items()}
    events: list[tuple[int, str, str | None]] = []
    children: dict[int, list[int]] = {}
    subs = np.flatnonzero(~table.counted)
    if len(subs) == 0:
        return {**table.numbers, **numbers}, extras, events, children
    ids = table.text["school_id"]
    parents = table.text["parent_school_id"]
    counties = table.text["county"].tolist()
    # Loops of sub-sites naming each other are refused by the validator, which
    # every entry point runs; here a loop (in a table built by hand and never
    # checked) only ends the walk below, its sub-sites reported as orphans.
    # Only rows named as a parent are ever looked up: index just those.
    wanted = {parents[s] for s in subs.tolist() if parents[s] is not None}
    listed = ids.tolist()
    named = np.fromiter(map(wanted.__contains__, listed), dtype=bool, count=len(listed))
    by_id = {(counties[i], listed[i]): i for i in np.flatnonzero(named).tolist()}
    for sub in subs:
        seen = {int(sub)}
        current = int(sub)
        root: int | None = None
        while True:
            parent_row = by_id.get((counties[current], parents[current]))
            if parent_row is None or parent_row in seen:
                break
            seen.add(parent_row)
            current = parent_row
            if table.counted[current]:
                root = current
                break
        if root is None:
            events.append((int(sub), PARENT_MISSING, f"parent {parents[sub]!r} not found"))
            continue
        children.setdefault(root, []).append(int(sub))
        events.append((int(sub), MERGED_INTO_PARENT, ids[root]))
    for found in children.values():  # in school id order, whatever the input order
        found.sort(key=lambda row: ids[row])
    # Children are added in rounds (each parent's first child, then its second...):
    # within a round every parent appears once, so whole columns can be merged at a
    # time while each parent still takes its children in order, as the object path does.
    rounds = max((len(c) for c in children.values()), default=0)
    for k in range(rounds):
        pairs = [(root, subs_[k]) for root, subs_ in children.items() if len(subs_) > k]
        roots = np.array([p[0] for p in pairs], dtype=np.int64)
        kids = np.array([p[1] for p in pairs], dtype=np.int64)
        before = {name: numbers[name][roots] for name in names}
        for name in names:
            numbers[name][roots] = _merged_column(name, before, table.numbers, kids)
        for name in extras:
            extras[name][roots] = extras[name][roots] + table.extras[name][kids]
    return {**table.numbers, **numbers}, extras, events, children


def _needed_columns(plan: Plan) -> frozenset[str]:
    """The number columns an evaluation under *plan* reads (merged for sub-sites)."""
    names = {f"{level}_{suffix}" for level in ALL_LEVELS for suffix in ("students", "classes")}
    for name in plan.fields:
        if name in LEVEL_SUFFIXES:
            names.update(f"{level}_{name}" for level in ALL_LEVELS)
        else:
            names.update(plan.spellings.get(name, (name,)))
    return frozenset(names)


def _merged_column(
    name: str,
    parent: Mapping[str, np.ndarray],
    table: Mapping[str, np.ndarray],
    kids: np.ndarray,
) -> np.ndarray:
    """One column of parents after adding one child each (see sections._sub_site_value)."""
    a, b = parent[name], table[name][kids]
    if name in MINIMUM_FIELDS:
        return np.fmin(a, b)  # type: ignore[no-any-return]
    if name in MAXIMUM_FIELDS:
        return np.fmax(a, b)  # type: ignore[no-any-return]
    total: np.ndarray = a + b  # NaN when either is missing
    level = _level_of(name)
    if level is not None and name in _LEVEL_FIELD:
        child_students = table[f"{level}_students"][kids]
        parent_students = parent[f"{level}_students"]
        no_parent = (np.isnan(parent_students) | (parent_students == 0)) & np.isnan(a)
        no_child = np.isnan(child_students) | (child_students == 0)
        total = np.where(no_child, a, np.where(no_parent, b, total))
    return total


_COMPILED: weakref.WeakKeyDictionary[
    Plan, tuple[dict[str, Any], list[tuple[int, int, Kernel, Any]], list[Kernel | None]]
] = weakref.WeakKeyDictionary()


def compiled_rules(plan: Plan) -> tuple[dict[str, Any], list[tuple[int, int, Kernel, Any]]]:
    """Every rule of *plan* compiled by its kernel, and (stage, order, kernel, rule) to run.

    Compiled once per plan (a Standard, hence its plan, is immutable) and kept
    while the plan lives; compiled again if the kernel table changed since.
    Kernels that need the previous year are left to monitoring.
    """
    rules = plan.standard.rules.values()
    kernels = [KERNELS.get(rule.kind) for rule in rules]
    cached = _COMPILED.get(plan)
    if cached is not None and all(a is b for a, b in zip(cached[2], kernels, strict=True)):
        return cached[0], cached[1]
    compiled: dict[str, Any] = {}
    staged: list[tuple[int, int, Kernel, Any]] = []
    for order, (rule, kernel) in enumerate(zip(rules, kernels, strict=True)):
        if kernel is None or kernel.needs_previous:  # year on year: monitoring runs it
            continue
        compiled[rule.id] = kernel.compile(rule, plan)
        staged.append((kernel.stage, order, kernel, compiled[rule.id]))
    staged.sort(key=lambda item: (item[0], item[1]))
    _COMPILED[plan] = (compiled, staged, kernels)
    return compiled, staged


class _Facts(NamedTuple):
    """A county's facts, as the county_fact kernel reads them."""

    name: str
    facts: Mapping[str, Any]


class _Evaluator:
    def __init__(
        self,
        plan: Plan,
        table: ColumnTable,
        facts: Mapping[str, Mapping[str, Any]],
        counties: Sequence[str] = (),
    ) -> None:
        self.plan = plan
        self.standard = plan.standard
        self.table = table
        self.facts = facts
        needed = _needed_columns(plan)
        self.numbers, self.extras, events, self.children = _merge(table, needed)
        self.exact_sections: dict[tuple[int, str], Section] = {}
        self._type_rows: dict[str, np.ndarray] | None = None
        self._compulsory: dict[str, np.ndarray] = {}
        self.split_items = frozenset(self.standard.split.items)
        self.levels: dict[str, Level] = {}
        self.outcomes: dict[tuple[str, str], Outcome] = {}
        self.ties: list[Tie] = []
        self.indicators: dict[tuple[str, str], np.ndarray] = {}
        self.cvs: dict[
            tuple[str, str],
            tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        ] = {}
        kept = table.counted.copy()
        names = table.text["county"].tolist()
        distinct = set(names)
        county_names = sorted({(n or "") for n in distinct} | set(counties))
        self.county_names = county_names
        code_of = {name: i for i, name in enumerate(county_names)}
        code_of_cell = {n: code_of[n or ""] for n in distinct}  # each distinct cell once
        self.codes = np.fromiter(map(code_of_cell.__getitem__, names), np.int64, len(names))
        self.excluded: list[list[Excluded]] = [[] for _ in county_names]
        self._exclude_events(events)
        self.combined = self._of_types(COMBINED_TYPES)
        self.merged = np.zeros(len(table), dtype=bool)
        self.merged[list(self.children)] = True
        self.in_scope = kept & self._scope(kept)
        # Facts as given: checked where they came in (the facts reader, County, check_facts).
        self.fact_counties = [_Facts(n, facts.get(n) or {}) for n in county_names]
        self.findings: list[list[Any]] = [[] for _ in county_names]
        ids = table.text["school_id"].astype(str)
        self.rank = np.empty(len(table), dtype=np.int64)
        self.rank[np.lexsort((ids, self.codes))] = np.arange(len(table))

    def _exclude_events(self, events: Sequence[tuple[int, str, str | None]]) -> None:
        """Exclude the sub-sites merged or orphaned: (row, reason, detail) each, in order."""
        text, excluded = self.table.text, self.excluded
        rows = np.array([event[0] for event in events], dtype=np.int64)
        ids, names = text["school_id"][rows].tolist(), text["school_name"][rows].tolist()
        codes = self.codes[rows].tolist()
        for (_, reason, detail), code, school_id, name in zip(
            events, codes, ids, names, strict=True
        ):
            excluded[code].append(Excluded(school_id, name or "", reason, None, detail))

    def _exclude_rows(self, rows: np.ndarray, reason: str, level: str | None) -> None:
        """Exclude many rows for one reason, in row order."""
        text, excluded = self.table.text, self.excluded
        ids, names = text["school_id"][rows].tolist(), text["school_name"][rows].tolist()
        for code, school_id, name in zip(self.codes[rows].tolist(), ids, names, strict=True):
            excluded[code].append(Excluded(school_id, name or "", reason, level, None))

    def type_rows(self) -> dict[str, np.ndarray]:
        """Per school type present in the table: where its rows are (computed once)."""
        if self._type_rows is None:
            types = self.table.text["school_type"]
            found = {t: types == t for t in set(types.tolist()) if t in SCHOOL_TYPE_LEVELS}
            self._type_rows = found
        return self._type_rows

    def _of_types(self, school_types: Collection[str]) -> np.ndarray:
        """Where a row's school type is one of *school_types* (from the rows per type)."""
        found = np.zeros(len(self.table), dtype=bool)
        of_type = self.type_rows()
        for school_type in school_types:
            if school_type in of_type:
                found |= of_type[school_type]
            elif school_type not in SCHOOL_TYPE_LEVELS:  # not indexed there: looked for
                found |= self.table.text["school_type"] == school_type
        return found

    def compulsory(self, suffix: str) -> np.ndarray:
        """Per row: the compulsory-stage total of students or classes (computed once)."""
        cached = self._compulsory.get(suffix)
        if cached is not None:
            return cached
        total = np.zeros(len(self.table))
        for school_type, rows in self.type_rows().items():
            sub = np.zeros(int(rows.sum()))
            for level in SCHOOL_TYPE_LEVELS[school_type]:
                if level != "senior":
                    sub = sub + self.numbers[f"{level}_{suffix}"][rows]
            total[rows] = sub
        self._compulsory[suffix] = total
        return total

    def _scope(self, kept: np.ndarray) -> np.ndarray:
        remaining = kept.copy()
        students = None
        for exclusion in self.standard.exclusions:
            match = remaining.copy()
            for attribute, values in exclusion.conditions.items():
                match &= np.isin(self.table.text[attribute], np.array(values, dtype=object))
            if exclusion.students_below is not None:
                if students is None:
                    students = self.compulsory("students")
                match &= students < float(exclusion.students_below)
                match &= ~np.isnan(students)
            self._exclude_rows(np.flatnonzero(match), exclusion.reason, None)
            remaining &= ~match
        in_scope: np.ndarray = remaining
        return in_scope

    # -- sections ---------------------------------------------------------------------

    def build_levels(self) -> dict[str, Level]:
        result = {}
        for level in self.standard.levels:
            has_level = self._of_types([t for t, lv in SCHOOL_TYPE_LEVELS.items() if level in lv])
            rows = np.flatnonzero(self.in_scope & has_level)
            students = self.numbers[f"{level}_students"][rows]
            empty = students == 0
            self._exclude_rows(rows[empty], NO_STUDENTS, level)
            rows = rows[~empty]
            # Sections in one canonical order (county, school id) whatever the input
            # order: sums in floating point, hence the digits shown, never depend on it.
            rows = rows[np.argsort(self.rank[rows], kind="stable")]
            part = Level(level, rows, self.codes[rows], self.numbers[f"{level}_students"][rows])
            self._fill(part)
            result[level] = part
        return result

    def _shares(self, part: Level) -> np.ndarray:
        share = np.ones(len(part.rows))
        weights = self.standard.split.weights
        for school_type, of_type in self.type_rows().items():
            levels = SCHOOL_TYPE_LEVELS[school_type]
            if len(levels) == 1:
                continue
            rows = of_type[part.rows]
            if not rows.any():
                continue
            source = part.rows[rows]
            total = np.zeros(len(source))
            own = None
            for level in levels:
                w = float(weights.get(school_type, {}).get(level, Decimal(1)))
                weighted = w * self.numbers[f"{level}_students"][source]
                total = total + weighted
                if level == part.level:
                    own = weighted
            share[rows] = np.where(total > 0, own / total, np.nan)  # type: ignore[operator]
        return share

    def _fill(self, part: Level) -> None:
        split_items = set(self.standard.split.items)
        share = None
        for name in self.plan.fields:
            if name in LEVEL_SUFFIXES:
                part.values[name] = self.numbers[f"{part.level}_{name}"][part.rows]
            elif name in ("school_students", "school_classes"):
                suffix = "students" if name == "school_students" else "classes"
                part.values[name] = self.compulsory(suffix)[part.rows]
            else:
                whole, per_level = self._extra(name, part)
                if name in split_items:
                    if share is None:
                        share = self._shares(part)
                    whole = np.where(per_level, whole, whole * share)
                part.values[name] = whole

    def _extra(self, name: str, part: Level) -> tuple[np.ndarray, np.ndarray]:
        """A column for the sections, and where it is the level's own figure."""
        n = len(part.rows)
        spellings = self.plan.spellings.get(name, (name,))
        if not self.extras and len(spellings) == 1 and spellings[0] in self.numbers:
            # The common case: a canonical column, no extra columns to look in.
            return self.numbers[spellings[0]][part.rows], np.zeros(n, dtype=bool)
        value = np.full(n, np.nan)
        own = np.zeros(n, dtype=bool)
        level_zh = LEVEL_ZH.get(part.level, part.level)
        for spelling in spellings:
            for key in (f"{part.level}_{spelling}", f"{level_zh}{spelling}"):
                column = self.extras.get(key)
                if column is not None:
                    found = np.isnan(value) & ~np.isnan(column[part.rows])
                    value[found] = column[part.rows][found]
                    own |= found
        for spelling in spellings:
            column = self.numbers.get(spelling)
            if column is None:
                column = self.extras.get(spelling)
            if column is not None:
                found = np.isnan(value) & ~np.isnan(column[part.rows])
                value[found] = column[part.rows][found]
        return value, own

    def exact_section(self, row: int, level: str) -> Section:
        """The section as the object path builds it, from the exact inputs."""
        key = (row, level)
        cached = self.exact_sections.get(key)
        if cached is not None:
            return cached
        rows = [row, *self.children.get(row, [])]
        section = site_section(
            [self.table.school(r) for r in rows],
            level,
            self.standard.split,
            self.plan.fields,
            self.plan.spellings,
        )
        self.exact_sections[key] = section
        return section

    # -- rules ------------------------------------------------------------------------

    def indicator(self, name: str, part: Level) -> np.ndarray:
        """An indicator's values for the sections of a level (floating point, cached)."""
        key = (name, part.level)
        cached = self.indicators.get(key)
        if cached is None:
            calc = self.plan.calcs[name]
            total = np.zeros(len(part.rows))
            for field in calc.numerator:
                total = total + part.values[field]
            if calc.denominator is None:
                cached = total * float(calc.scale)
            else:
                den = part.values[calc.denominator]
                cached = np.where(den == 0, np.nan, total * float(calc.scale) / den)
            self.indicators[key] = cached
        return cached

    def moments(
        self, name: str, part: Level
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per county: CV, missing data?, has sections?, students P, mean X̄ and S (cached)."""
        key = (name, part.level)
        cached = self.cvs.get(key)
        if cached is not None:
            return cached
        k = len(self.county_names)
        value = self.indicator(name, part)
        weight = part.students
        bad = np.isnan(value) | np.isnan(weight)
        codes = part.counties
        groups = np.bincount(codes, minlength=k) > 0
        if bad.any():
            missing = np.bincount(codes[bad], minlength=k) > 0
            good = ~bad
            w, x, c = weight[good], value[good], codes[good]
        else:  # every section has its value: the arrays as they are (no copies)
            missing = np.zeros(k, dtype=bool)
            w, x, c = weight, value, codes
        total = np.bincount(c, weights=w, minlength=k)
        weighted = np.bincount(c, weights=w * x, minlength=k)
        mean = weighted / total
        variance = np.bincount(c, weights=w * (x - mean[c]) ** 2, minlength=k) / total
        std = np.sqrt(variance)
        cv = std / np.abs(mean)
        cv[(total <= 0) | (weighted == 0) | missing] = np.nan
        self.cvs[key] = (cv, missing, groups, total, mean, std)
        return self.cvs[key]

    def run_rules(self) -> dict[str, Any]:
        """Every rule through the kernel of its kind, stage by stage; the compiled rules."""
        compiled, staged = compiled_rules(self.plan)
        decided = False
        for stage, _, kernel, rule in staged:
            if stage > 0 and not decided:
                decide_ties(self, self.ties, PASS, FAIL)
                decided = True
            kernel.run(rule, self)
        if not decided:
            decide_ties(self, self.ties, PASS, FAIL)
        return compiled


def evaluate_columns(
    plan: Plan,
    table: ColumnTable,
    facts: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    counties: Sequence[str] = (),
) -> ColumnarResult:
    """Evaluate every county of *table* (facts keyed by county name).

    *counties* names counties to evaluate even when they have no school rows.
    The cyclic garbage collector is paused meanwhile (:mod:`balance_rules.collector`:
    a nation's findings are tens of thousands of objects without cycles).
    """
    with paused():
        return _evaluate_columns(plan, table, facts or {}, counties)


def _evaluate_columns(
    plan: Plan,
    table: ColumnTable,
    facts: Mapping[str, Mapping[str, Any]],
    counties: Sequence[str],
) -> ColumnarResult:
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # NaN is "missing"
        evaluator = _Evaluator(plan, table, facts, counties)
        levels = evaluator.levels = evaluator.build_levels()
        compiled = evaluator.run_rules()
    outcomes = evaluator.outcomes
    county_findings = evaluator.findings
    k = len(evaluator.county_names)
    fail = np.zeros(k, dtype=bool)
    unknown = np.zeros(k, dtype=bool)
    vetoed = np.zeros(k, dtype=bool)
    section_passed: dict[str, np.ndarray] = {}
    for level, part in levels.items():
        passed = np.ones(len(part.rows), dtype=np.int8)
        for (rule_id, rule_level), outcome in outcomes.items():
            if rule_level != level or not plan.decides[rule_id]:
                continue
            failed = outcome.status == FAIL
            passed[(outcome.status == NOT_EVALUATED) & (passed == 1)] = -1
            passed[failed] = 0
            fail |= np.bincount(part.counties[failed], minlength=k) > 0
            if plan.standard.rules[rule_id].veto:
                vetoed |= np.bincount(part.counties[failed], minlength=k) > 0
        unknown |= np.bincount(part.counties[passed == -1], minlength=k) > 0
        section_passed[level] = passed
    fails, unknowns, vetoes = fail.tolist(), unknown.tolist(), vetoed.tolist()
    rules_failed: list[list[str]] = []
    for code, items in enumerate(county_findings):
        failing: list[str] = []
        for finding in items:
            if finding.decides:
                status = finding.status
                if status == "fail":
                    fails[code] = True
                    if finding.veto:
                        vetoes[code] = True
                    failing.append(finding.rule)
                elif status == "not_evaluated":
                    unknowns[code] = True
        rules_failed.append(failing)
    verdicts = [
        "fail" if f else "incomplete" if u else "pass" for f, u in zip(fails, unknowns, strict=True)
    ]
    for items in evaluator.excluded:
        items.sort(key=lambda e: (e.school_id, e.level or ""))
    return ColumnarResult(
        plan=plan,
        table=table,
        county_names=evaluator.county_names,
        verdicts=verdicts,
        vetoed=vetoes,
        levels=dict(levels),
        outcomes=outcomes,
        section_passed=section_passed,
        county_findings=county_findings,
        excluded=evaluator.excluded,
        facts=facts,
        children=evaluator.children,
        compiled=compiled,
        rules_failed=rules_failed,
    )
