"""The columnar evaluation core: every county of a nation in one pass of NumPy.

It computes what :class:`~balance_rules.engine.plan.Plan` computes — scope,
sub-site merging, combined-school splitting, indicator values, per-school
thresholds, k-of-n rules, student-weighted CVs and composites, county facts and
verdicts — on arrays.  Decisions stay exact: floating point decides only values
clearly away from their threshold; anything within a relative 1e-9 of it is
decided again, exactly, by the object path's own code on the exact inputs.
Findings are materialised on demand (:meth:`ColumnarResult.county_report`), each
with its full reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import numpy as np

from ..data.columns import ColumnTable
from ..data.fields import (
    ALL_LEVELS,
    COMBINED_TYPES,
    LEVEL_SUFFIXES,
    MAXIMUM_FIELDS,
    MINIMUM_FIELDS,
    SCHOOL_TYPE_LEVELS,
)
from ..data.model import County
from ..report import Excluded, Report
from ..sections import (
    LEVEL_ZH,
    MERGED_INTO_PARENT,
    NO_STUDENTS,
    PARENT_MISSING,
    Section,
    column_name,
    merge_sub_sites,
    refuse_parent_cycles,
    section_values,
)
from ..sections import _shares as object_shares
from ..standard.model import Coefficients, Composite, CountyFact, SchoolKOfN, size_band
from .cv import MARGIN, cap_allows, composite_allows, weighted_cv_squared
from .plan import _OPS, Plan, _derive, layer_of

__all__ = ["ColumnarResult", "evaluate_columns"]

PASS, FAIL, NOT_EVALUATED = 0, 1, 2
_STATUS = ("pass", "fail", "not_evaluated")
_POWERS_OF_TEN = np.array([10**k for k in range(13)], dtype=object)
_COMBINED = np.array(sorted(COMBINED_TYPES), dtype=object)
_LEVEL_FIELD = {f"{lv}_{s}" for lv in ALL_LEVELS for s in LEVEL_SUFFIXES}


def _near(values: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Where a value is within MARGIN (relative) of its target (NaN: False)."""
    near: np.ndarray = np.abs(values - targets) <= MARGIN * np.maximum(1.0, np.abs(targets))
    return near


def _decimal_ints(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each number as an integer and a count of decimal places: x = n / 10**k.

    Exact for inputs written with at most 15 significant digits (every reader
    keeps to that); ``ok`` is False where no such form was found.
    """
    whole = np.zeros(len(x), dtype=np.int64)
    places = np.zeros(len(x), dtype=np.int64)
    ok = ~np.isfinite(x)  # never decided this way: marked not ok below
    with np.errstate(invalid="ignore", over="ignore"):
        for k in range(13):
            if ok.all():
                break
            scaled = x * 10.0**k
            rounded = np.round(scaled)
            good = (
                ~ok
                & (np.abs(scaled - rounded) <= 1e-12 * np.maximum(1.0, np.abs(scaled)))
                & (np.abs(rounded) < 2.0**53)
            )
            whole[good] = rounded[good].astype(np.int64)
            places[good] = k
            ok |= good
    return whole, places, ok & np.isfinite(x)


@attrs.define
class _Level:
    """The sections of one level: rows of the table, county codes, students."""

    level: str
    rows: np.ndarray
    counties: np.ndarray
    students: np.ndarray
    values: dict[str, np.ndarray] = attrs.field(factory=dict)


@attrs.define
class _Tie:
    """Sections of one rule and level within a hair of the threshold, to decide exactly."""

    calc: Any
    op: str
    part: _Level
    near: np.ndarray
    threshold: np.ndarray
    status: np.ndarray


@attrs.define
class _Outcome:
    """One school rule at one level: status, value and threshold per section."""

    status: np.ndarray
    value: np.ndarray
    threshold: np.ndarray
    #: The layers that set the thresholds, and per section an index into them (-1: none).
    layers: list[str]
    layer: np.ndarray


@attrs.define(eq=False)
class ColumnarResult:
    """Statuses for every section, CVs for every county and level, and verdicts."""

    plan: Plan
    table: ColumnTable
    county_names: list[str]
    verdicts: list[str]
    vetoed: list[bool]
    levels: dict[str, _Level]
    outcomes: dict[tuple[str, str], _Outcome]
    section_passed: dict[str, np.ndarray]  # per level: 1 pass, 0 fail, -1 unknown
    county_findings: list[list[Any]]
    excluded: list[list[Excluded]]
    facts: Mapping[str, Mapping[str, Any]]
    children: dict[int, list[int]]

    def summary(self) -> Iterator[dict[str, Any]]:
        """One row per county: verdict and counts of sections by result."""
        counts = np.zeros((len(self.county_names), 3), dtype=np.int64)
        for level, passed in self.section_passed.items():
            codes = self.levels[level].counties
            for column, value in ((0, 1), (1, 0), (2, -1)):
                counts[:, column] += np.bincount(
                    codes[passed == value], minlength=len(self.county_names)
                )
        for code, name in enumerate(self.county_names):
            failing = [
                f.rule for f in self.county_findings[code] if f.decides and f.status == "fail"
            ]
            yield {
                "county": name,
                "verdict": self.verdicts[code],
                "vetoed": self.vetoed[code],
                "sections": int(counts[code].sum()),
                "sections_passed": int(counts[code, 0]),
                "sections_failed": int(counts[code, 1]),
                "sections_not_evaluated": int(counts[code, 2]),
                "county_rules_failed": ";".join(dict.fromkeys(failing)),
                "excluded": len(self.excluded[code]),
            }

    def county_report(self, names: Sequence[str] | None = None) -> Report:
        """Full findings for some counties (all by default), through the object path."""
        wanted = set(self.county_names if names is None else names)
        rows_by_county: dict[str, list[int]] = {}
        county_text = self.table.text["county"]
        for row in range(len(self.table)):
            name = county_text[row] or ""
            if name in wanted:
                rows_by_county.setdefault(name, []).append(row)
        counties = [
            County(
                name=name,
                schools=tuple(self.table.school(r) for r in rows),
                facts=self.facts.get(name, {}),
            )
            for name, rows in rows_by_county.items()
        ]
        return self.plan.evaluate(counties)

    @property
    def passed(self) -> bool:
        return all(v == "pass" for v in self.verdicts)


def _level_of(field: str) -> str | None:
    prefix = field.split("_", 1)[0]
    return prefix if prefix in ALL_LEVELS else None


def _merge(
    table: ColumnTable,
) -> tuple[
    dict[str, np.ndarray],
    dict[str, np.ndarray],
    list[tuple[int, str, str | None]],
    dict[int, list[int]],
]:
    """Sub-sites merged into their root parent, as the object path merges them."""
    numbers = {name: column.copy() for name, column in table.numbers.items()}
    extras = {name: column.copy() for name, column in table.extras.items()}
    events: list[tuple[int, str, str | None]] = []
    children: dict[int, list[int]] = {}
    subs = np.flatnonzero(~table.counted)
    if len(subs) == 0:
        return numbers, extras, events, children
    ids = table.text["school_id"]
    parents = table.text["parent_school_id"]
    refuse_parent_cycles(ids.tolist(), parents.tolist(), table.counted.tolist(), table.file)
    by_id = {value: i for i, value in enumerate(ids.tolist())}
    names = list(numbers)
    for sub in subs:
        seen = {int(sub)}
        current = int(sub)
        root: int | None = None
        while True:
            parent_row = by_id.get(parents[current])
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
    return numbers, extras, events, children


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


class _Evaluator:
    def __init__(
        self, plan: Plan, table: ColumnTable, facts: Mapping[str, Mapping[str, Any]]
    ) -> None:
        self.plan = plan
        self.standard = plan.standard
        self.table = table
        self.facts = facts
        self.numbers, self.extras, events, self.children = _merge(table)
        self.exact_sections: dict[tuple[int, str], Section] = {}
        kept = table.counted.copy()
        names = table.text["county"]
        county_names = sorted({(n or "") for n in names.tolist()})
        self.county_names = county_names
        code_of = {name: i for i, name in enumerate(county_names)}
        self.codes = np.array([code_of[n or ""] for n in names.tolist()], dtype=np.int64)
        self.excluded: list[list[Excluded]] = [[] for _ in county_names]
        for row, reason, detail in events:
            self._exclude(row, reason, None, detail)
        self.combined = np.isin(table.text["school_type"], _COMBINED)
        self.merged = np.zeros(len(table), dtype=bool)
        self.merged[list(self.children)] = True
        self.in_scope = kept & self._scope(kept)
        self.fact_counties = [County(name=n, facts=facts.get(n, {})) for n in county_names]

    def _exclude(self, row: int, reason: str, level: str | None, detail: str | None = None) -> None:
        text = self.table.text
        self.excluded[self.codes[row]].append(
            Excluded(text["school_id"][row], text["school_name"][row] or "", reason, level, detail)
        )

    def _compulsory_students(self) -> np.ndarray:
        types = self.table.text["school_type"]
        total = np.zeros(len(self.table))
        for school_type, levels in SCHOOL_TYPE_LEVELS.items():
            rows = types == school_type
            if not rows.any():
                continue
            sub = np.zeros(int(rows.sum()))
            for level in levels:
                if level != "senior":
                    sub = sub + self.numbers[f"{level}_students"][rows]
            total[rows] = sub
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
                    students = self._compulsory_students()
                match &= students < float(exclusion.students_below)
                match &= ~np.isnan(students)
            for row in np.flatnonzero(match):
                self._exclude(int(row), exclusion.reason, None)
            remaining &= ~match
        in_scope: np.ndarray = remaining
        return in_scope

    # -- sections ---------------------------------------------------------------------

    def levels(self) -> dict[str, _Level]:
        types = self.table.text["school_type"]
        result = {}
        for level in self.standard.levels:
            has_level = np.isin(
                types,
                np.array([t for t, lv in SCHOOL_TYPE_LEVELS.items() if level in lv], dtype=object),
            )
            rows = np.flatnonzero(self.in_scope & has_level)
            students = self.numbers[f"{level}_students"][rows]
            empty = students == 0
            for row in rows[empty]:
                self._exclude(int(row), NO_STUDENTS, level)
            rows = rows[~empty]
            part = _Level(level, rows, self.codes[rows], self.numbers[f"{level}_students"][rows])
            self._fill(part)
            result[level] = part
        return result

    def _shares(self, part: _Level) -> np.ndarray:
        types = self.table.text["school_type"][part.rows]
        share = np.ones(len(part.rows))
        weights = self.standard.split.weights
        for school_type, levels in SCHOOL_TYPE_LEVELS.items():
            if len(levels) == 1:
                continue
            rows = types == school_type
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

    def _fill(self, part: _Level) -> None:
        split_items = set(self.standard.split.items)
        share = None
        types = self.table.text["school_type"][part.rows]
        for name in self.plan.fields:
            if name in LEVEL_SUFFIXES:
                part.values[name] = self.numbers[f"{part.level}_{name}"][part.rows]
            elif name in ("school_students", "school_classes"):
                suffix = "students" if name == "school_students" else "classes"
                total = np.zeros(len(part.rows))
                for school_type, levels in SCHOOL_TYPE_LEVELS.items():
                    rows = types == school_type
                    if rows.any():
                        sub = np.zeros(int(rows.sum()))
                        for lv in levels:
                            if lv != "senior":
                                sub = sub + self.numbers[f"{lv}_{suffix}"][part.rows[rows]]
                        total[rows] = sub
                part.values[name] = total
            else:
                whole, per_level = self._extra(name, part)
                if name in split_items:
                    if share is None:
                        share = self._shares(part)
                    whole = np.where(per_level, whole, whole * share)
                part.values[name] = whole

    def _extra(self, name: str, part: _Level) -> tuple[np.ndarray, np.ndarray]:
        """A column for the sections, and where it is the level's own figure."""
        n = len(part.rows)
        spellings = self.plan.spellings.get(name, (name,))
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
        merged, _ = merge_sub_sites([self.table.school(r) for r in rows])
        school = merged[0]
        shares = object_shares(school, self.standard.split)
        values = section_values(
            school, level, shares, self.standard.split, self.plan.fields, self.plan.spellings
        )
        section = Section(school, level, values)
        self.exact_sections[key] = section
        return section

    # -- school rules -----------------------------------------------------------------

    def indicator(
        self, name: str, part: _Level, cache: dict[tuple[str, str], np.ndarray]
    ) -> np.ndarray:
        key = (name, part.level)
        if key not in cache:
            calc = self.plan.calcs[name]
            total = np.zeros(len(part.rows))
            for field in calc.numerator:
                total = total + part.values[field]
            if calc.denominator is None:
                value = total * float(calc.scale)
            else:
                den = part.values[calc.denominator]
                value = np.where(den == 0, np.nan, total * float(calc.scale) / den)
            cache[key] = value
        return cache[key]

    def threshold_rules(self, levels: Mapping[str, _Level]) -> dict[tuple[str, str], _Outcome]:
        outcomes: dict[tuple[str, str], _Outcome] = {}
        cache: dict[tuple[str, str], np.ndarray] = {}
        ties: list[_Tie] = []
        for check in self.plan.threshold_checks:
            rule = check.rule
            for level in rule.levels:
                part = levels.get(level)
                if part is None:
                    continue
                value = self.indicator(rule.indicator, part, cache)
                threshold = np.full(len(part.rows), np.nan)
                layers: list[str] = []
                layer = np.full(len(part.rows), -1, dtype=np.int8)
                if rule.threshold.by is None:
                    entry = check.thresholds.get((level, "default"))
                    if entry is not None:
                        threshold[:] = float(entry[1])
                        layers.append(entry[2])
                        layer[:] = 0
                else:
                    if rule.threshold.by == "size":
                        cases = rule.threshold.cases.get(level, {})
                        attributes = np.array(
                            [size_band(x, cases) for x in part.values["school_students"].tolist()],
                            dtype=object,
                        )
                    else:
                        attributes = self.table.text[rule.threshold.by][part.rows]
                    for attribute in set(attributes.tolist()):
                        entry = check.thresholds.get((level, attribute)) if attribute else None
                        if entry is None:
                            entry = check.thresholds.get((level, "default"))
                        if entry is not None:
                            here = attributes == attribute
                            threshold[here] = float(entry[1])
                            if entry[2] not in layers:
                                layers.append(entry[2])
                            layer[here] = layers.index(entry[2])
                status = np.full(len(part.rows), NOT_EVALUATED, dtype=np.int8)
                known = ~np.isnan(value) & ~np.isnan(threshold)
                passed = _OPS[rule.op](value, threshold)
                status[known & passed] = PASS
                status[known & ~passed] = FAIL
                near = np.flatnonzero(known & _near(value, threshold))
                if len(near):
                    ties.append(_Tie(check.calc, rule.op, part, near, threshold, status))
                outcomes[(rule.id, level)] = _Outcome(status, value, threshold, layers, layer)
        if ties:
            self._decide_exactly(ties)
        return outcomes

    def _decide_exactly(self, pending: Sequence[_Tie]) -> None:
        """Decide, exactly, every section whose value is within a hair of its threshold.

        A plain section (facilities not split, not merged or merged by taking a
        minimum or maximum) is decided with integer arithmetic on its inputs as
        written, all rules at once; any other through the object path.
        """
        split = set(self.standard.split.items)
        numerators, denominators, fast_parts, scales, limit_parts = [], [], [], [], []
        for tie in pending:
            calc, rows = tie.calc, tie.part.rows[tie.near]
            fields = [calc.numerator[0]] + ([calc.denominator] if calc.denominator else [])
            fast = np.ones(len(rows), dtype=bool)
            if len(calc.numerator) != 1:
                fast[:] = False
            elif any(f in split for f in fields):
                fast &= ~self.combined[rows]
            # Merging sub-sites picks one of the inputs for a minimum or maximum field
            # (a room size, the largest class), so those stay exact; sums may not.
            if not all(f in MINIMUM_FIELDS or f in MAXIMUM_FIELDS for f in fields):
                fast &= ~self.merged[rows]
            numerators.append(tie.part.values[fields[0]][tie.near])
            denominators.append(
                tie.part.values[calc.denominator][tie.near]
                if calc.denominator
                else np.ones(len(rows))
            )
            fast_parts.append(fast)
            scales.append(Fraction(calc.scale))
            limit_parts.append(tie.threshold[tie.near])
        sizes = [len(t.near) for t in pending]
        numerator, n_places, n_ok = _decimal_ints(np.concatenate(numerators))
        denominator, d_places, d_ok = _decimal_ints(np.concatenate(denominators))
        fast = np.concatenate(fast_parts) & n_ok & d_ok
        limits = np.concatenate(limit_parts)
        # Thresholds and scales as exact fractions p / q.
        distinct, which = np.unique(limits, return_inverse=True)
        exact_limits = {float(v): Fraction(Decimal(repr(float(v)))) for v in distinct}
        p_of = [exact_limits[float(v)].numerator for v in distinct]
        q_of = [exact_limits[float(v)].denominator for v in distinct]
        scale_num = [f.numerator for f in scales]
        scale_den = [f.denominator for f in scales]
        # value = (n / 10^kn) * scale / (d / 10^kd) against p / q: every denominator is
        # positive, so compare n * scale_num * q * 10^kd with p * scale_den * d * 10^kn,
        # in Python integers (object arrays) so nothing can overflow.
        p = np.array(p_of, dtype=object)[which]
        q = np.array(q_of, dtype=object)[which]
        sn = np.repeat(np.array(scale_num, dtype=object), sizes)
        sd = np.repeat(np.array(scale_den, dtype=object), sizes)
        left = numerator.astype(object) * sn * q * _POWERS_OF_TEN[d_places]
        right = p * sd * denominator.astype(object) * _POWERS_OF_TEN[n_places]
        start = 0
        for tie, size in zip(pending, sizes, strict=True):
            own = slice(start, start + size)
            start += size
            compare = _OPS[tie.op]
            here = fast[own]
            decided = np.asarray(compare(left[own][here], right[own][here]), dtype=bool)
            tie.status[tie.near[here]] = np.where(decided, PASS, FAIL)
            rows = tie.part.rows[tie.near]
            for j in np.flatnonzero(~here):
                exact = self.exact_value(tie.calc, int(rows[j]), tie.part.level)
                if exact is not None:
                    limit = exact_limits[float(limits[own][j])]
                    tie.status[tie.near[j]] = PASS if compare(exact, limit) else FAIL

    def exact_value(self, calc: Any, row: int, level: str) -> Fraction | None:
        value, _, _ = calc.compute(self.exact_section(row, level))
        return value  # type: ignore[no-any-return]

    def k_of_n(
        self, levels: Mapping[str, _Level], outcomes: dict[tuple[str, str], _Outcome]
    ) -> None:
        for rule in self.plan.k_of_n:
            for level, part in levels.items():
                members = [m for m in rule.rules if (m, level) in outcomes]
                if not members:
                    continue
                n = len(part.rows)
                met = np.zeros(n, dtype=np.int64)
                unknown = np.zeros(n, dtype=np.int64)
                lowest = np.full(n, np.inf)
                for member in members:
                    outcome = outcomes[(member, level)]
                    met += outcome.status == PASS
                    unknown += outcome.status == NOT_EVALUATED
                    op = self.standard.rules[member].op  # type: ignore[union-attr]
                    if op in (">=", ">"):
                        ratio = np.where(
                            outcome.threshold > 0, outcome.value / outcome.threshold, np.nan
                        )
                    else:
                        ratio = np.where(
                            outcome.value != 0, outcome.threshold / outcome.value, np.nan
                        )
                    failing = (outcome.status == FAIL) & ~np.isnan(ratio)
                    lowest = np.where(failing, np.minimum(lowest, ratio), lowest)
                status = np.full(n, PASS, dtype=np.int8)
                status[unknown > 0] = NOT_EVALUATED
                too_few = met + unknown < rule.min_met
                below = np.zeros(n, dtype=bool)
                if rule.floor_ratio is not None:
                    floor = float(rule.floor_ratio)
                    finite = np.isfinite(lowest)
                    below = finite & (lowest < floor)
                    for i in np.flatnonzero(finite & _near(lowest, np.full(n, floor))):
                        below[i] = self._exact_below(rule, members, level, part, int(i), outcomes)
                status[too_few | below] = FAIL
                value = met.astype(np.float64)
                outcomes[(rule.id, level)] = _Outcome(
                    status,
                    value,
                    np.full(n, float(rule.min_met)),
                    [layer_of(self.standard, "rules", rule.id, "min_met")],
                    np.zeros(n, dtype=np.int8),
                )

    def _exact_below(
        self,
        rule: SchoolKOfN,
        members: Sequence[str],
        level: str,
        part: _Level,
        i: int,
        outcomes: Mapping[tuple[str, str], _Outcome],
    ) -> bool:
        row = int(part.rows[i])
        floor = Fraction(rule.floor_ratio)  # type: ignore[arg-type]
        lowest: Fraction | None = None
        for member in members:
            if outcomes[(member, level)].status[i] != FAIL:
                continue
            check = next(c for c in self.plan.threshold_checks if c.rule.id == member)
            value = self.exact_value(check.calc, row, level)
            threshold = Fraction(Decimal(repr(float(outcomes[(member, level)].threshold[i]))))
            if value is None:
                continue
            if check.rule.op in (">=", ">"):
                ratio = value / threshold if threshold > 0 else None
            else:
                ratio = threshold / value if value != 0 else None
            if ratio is not None and (lowest is None or ratio < lowest):
                lowest = ratio
        return lowest is not None and lowest < floor

    # -- county rules -----------------------------------------------------------------

    def county_rules(
        self, levels: Mapping[str, _Level], outcomes: Mapping[tuple[str, str], _Outcome]
    ) -> list[list[Any]]:
        findings: list[list[Any]] = [[] for _ in self.county_names]
        cv_cache: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        cache: dict[tuple[str, str], np.ndarray] = {}
        for rule in self.plan.county_rules:
            if isinstance(rule, CountyFact):
                self._facts(rule, levels, findings)
                continue
            for level in rule.levels:
                part = levels.get(level)
                if part is None:
                    continue
                cvs = [self._cvs(ind, part, cv_cache, cache) for ind in rule.indicators]
                if isinstance(rule, Coefficients):
                    for ind, (cv, missing, groups) in zip(rule.indicators, cvs, strict=True):
                        self._cv_findings(rule, level, ind, part, cv, missing, groups, findings)
                else:
                    self._composite_findings(rule, level, part, cvs, findings)
        return findings

    def _cvs(
        self,
        name: str,
        part: _Level,
        cv_cache: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]],
        cache: dict[tuple[str, str], np.ndarray],
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(CV per county, counties with missing data, counties with sections)."""
        key = (name, part.level)
        if key in cv_cache:
            return cv_cache[key]
        k = len(self.county_names)
        value = self.indicator(name, part, cache)
        weight = part.students
        bad = np.isnan(value) | np.isnan(weight)
        codes = part.counties
        missing = np.bincount(codes[bad], minlength=k) > 0
        groups = np.bincount(codes, minlength=k) > 0
        good = ~bad
        w, x, c = weight[good], value[good], codes[good]
        total = np.bincount(c, weights=w, minlength=k)
        weighted = np.bincount(c, weights=w * x, minlength=k)
        mean = weighted / total
        variance = np.bincount(c, weights=w * (x - mean[c]) ** 2, minlength=k) / total
        cv = np.sqrt(variance) / np.abs(mean)
        cv[(total <= 0) | (weighted == 0) | missing] = np.nan
        cv_cache[key] = (cv, missing, groups)
        return cv_cache[key]

    def _exact_group(
        self, name: str, part: _Level, code: int
    ) -> tuple[list[Fraction], list[Fraction]]:
        calc = self.plan.calcs[name]
        weights, values = [], []
        for row in part.rows[part.counties == code]:
            section = self.exact_section(int(row), part.level)
            value, _, _ = calc.compute(section)
            if value is not None and section.students is not None:
                weights.append(section.students)
                values.append(value)
        return weights, values

    def _cv_findings(
        self,
        rule: Coefficients,
        level: str,
        name: str,
        part: _Level,
        cv: np.ndarray,
        missing: np.ndarray,
        groups: np.ndarray,
        findings: list[list[Any]],
    ) -> None:
        cap = rule.max.get(level)
        decides = self.plan.decides[rule.id] and cap is not None
        sizes = np.bincount(part.counties, minlength=len(self.county_names))
        for code in np.flatnonzero(groups):
            value = cv[code]
            lacking: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
            if missing[code] or np.isnan(value):
                status = "not_evaluated"
                if missing[code]:
                    indicator = self.indicator(name, part, {})
                    lacking = _cv_missing(self.plan, self.table, name, part, indicator, int(code))
            elif cap is None:
                status = "pass"
            elif rule.rounding is None and abs(value - float(cap)) > 2 * MARGIN:
                status = "pass" if value <= float(cap) else "fail"
            else:
                weights, values = self._exact_group(name, part, int(code))
                allowed = cap_allows(float(value), weights, values, cap, rule.rounding)
                status = "pass" if allowed else "fail"
            findings[code].append(
                _CountyFinding.of(
                    rule, level, name, status, value, decides, int(sizes[code]), lacking
                )
            )

    def _composite_findings(
        self,
        rule: Composite,
        level: str,
        part: _Level,
        cvs: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
        findings: list[list[Any]],
    ) -> None:
        cap = rule.max.get(level)
        decides = self.plan.decides[rule.id] and cap is not None
        stacked = np.vstack([cv for cv, _, _ in cvs])
        missing = np.any(np.vstack([m for _, m, _ in cvs]), axis=0)
        groups = cvs[0][2]
        sizes = np.bincount(part.counties, minlength=len(self.county_names))
        mean = stacked.mean(axis=0)
        for code in np.flatnonzero(groups):
            value = mean[code]
            lacking: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
            undefined: list[str] = []
            if missing[code] or np.isnan(value):
                status = "not_evaluated"
                value = np.nan
                columns: dict[str, None] = {}
                for name, (_, lacks, _) in zip(rule.indicators, cvs, strict=True):
                    if lacks[code]:
                        indicator = self.indicator(name, part, {})
                        found, _ = _cv_missing(
                            self.plan, self.table, name, part, indicator, int(code)
                        )
                        columns.update(dict.fromkeys(found))
                lacking = (tuple(columns), ())
                undefined = [
                    name
                    for name, (cv, lacks, _) in zip(rule.indicators, cvs, strict=True)
                    if np.isnan(cv[code]) and not lacks[code]
                ]
            elif cap is None:
                status = "pass"
            elif abs(value - float(cap)) > 2 * MARGIN and rule.rounding is None:
                status = "pass" if value <= float(cap) else "fail"
            else:
                squares = []
                for name in rule.indicators:
                    weights, values = self._exact_group(name, part, int(code))
                    square = weighted_cv_squared(weights, values)
                    if square is not None:
                        squares.append(square)
                allowed = composite_allows(float(value), squares, cap, rule.rounding)
                status = "pass" if allowed else "fail"
            finding = _CountyFinding.of(
                rule, level, "composite", status, value, decides, int(sizes[code]), lacking
            )
            if undefined:
                finding = attrs.evolve(finding, detail=", ".join(undefined))
            findings[code].append(finding)

    def _facts(
        self, rule: CountyFact, levels: Mapping[str, _Level], findings: list[list[Any]]
    ) -> None:
        derived = self._derived(rule, levels) if rule.derive is not None else None
        absent = None  # findings are immutable: one "fact missing" finding serves all
        for code, county in enumerate(self.fact_counties):
            value = self.plan.fact_value(rule, county)
            if value is None and derived is None:
                if absent is None:
                    absent = self.plan.fact_result(rule, None, (rule.fact,))
                findings[code].append(absent)
                continue
            if value is not None:
                findings[code].append(self.plan.fact_result(rule, value, ()))
                continue
            assert derived is not None
            exact, missing = derived(code)
            findings[code].append(
                self.plan.fact_result(rule, exact, missing, derived=exact is not None)
            )

    def _derived(self, rule: CountyFact, levels: Mapping[str, _Level]) -> Any:
        """Per county: sum(numerator) / sum(denominator) * scale over its sections, exactly."""
        derive = rule.derive
        assert derive is not None
        k = len(self.county_names)
        sums = {field: np.zeros(k) for field in (derive.numerator, derive.denominator)}
        missing = {field: np.zeros(k, dtype=bool) for field in sums}
        whole = True
        for part in levels.values():
            for field in sums:
                column = part.values[field]
                bad = np.isnan(column)
                missing[field] |= np.bincount(part.counties[bad], minlength=k) > 0
                good = ~bad
                sums[field] += np.bincount(part.counties[good], weights=column[good], minlength=k)
                whole &= bool(np.all(column[good] == np.floor(column[good])))
        scale = Fraction(derive.scale)

        def value(code: int) -> tuple[Fraction | None, tuple[str, ...]]:
            lacking = tuple(f for f in sums if missing[f][code])
            if lacking:
                return None, (rule.fact, *lacking)
            numerator, denominator = sums[derive.numerator][code], sums[derive.denominator][code]
            if denominator == 0:
                return None, (rule.fact,)
            if whole:  # sums of whole numbers below 2**53 are exact in floating point
                return Fraction(int(numerator), int(denominator)) * scale, ()
            sections = [
                self.exact_section(int(r), level)
                for level, part in levels.items()
                for r in part.rows[part.counties == code]
            ]
            return _derive(rule, sections)

        return value


@attrs.frozen
class _CountyFinding:
    """A CV or composite decision (a light stand-in for a full Finding)."""

    rule: str
    kind: str
    level: str
    indicator: str
    status: str
    value: float | None
    threshold: Decimal | None
    decides: bool
    veto: bool
    group: str
    schools: int
    #: For a CV not evaluated: the missing columns and the schools lacking them.
    missing: tuple[str, ...] = ()
    missing_at: tuple[str, ...] = ()
    #: For a composite: the indicators whose CV is undefined (mean zero).
    detail: str | None = None

    @classmethod
    def of(
        cls,
        rule: Coefficients | Composite,
        level: str,
        indicator: str,
        status: str,
        value: float,
        decides: bool,
        schools: int,
        missing: tuple[tuple[str, ...], tuple[str, ...]] = ((), ()),
    ) -> _CountyFinding:
        shown = None if np.isnan(value) else float(value)
        return cls(
            rule.id, rule.kind, level, indicator, status, shown, rule.max.get(level),
            decides, rule.veto, rule.group, schools, *missing,
        )  # fmt: skip


def missing_inputs(
    plan: Plan, indicator: str, part: _Level, i: int
) -> tuple[tuple[str, ...], str | None]:
    """Why one section has no value for *indicator*: missing columns, or a zero divisor."""
    calc = plan.calcs[indicator]
    values = part.values
    missing = [column_name(f, part.level) for f in calc.numerator if np.isnan(values[f][i])]
    detail = None
    if calc.denominator:
        divisor = values[calc.denominator][i]
        if np.isnan(divisor):
            missing.append(column_name(calc.denominator, part.level))
        elif divisor == 0 and not missing:
            detail = f"{column_name(calc.denominator, part.level)} = 0"
    return tuple(missing), detail


def _cv_missing(
    plan: Plan, table: ColumnTable, indicator: str, part: _Level, value: np.ndarray, code: int
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(missing columns, schools lacking them) of one county's CV, as the object path says."""
    columns: dict[str, None] = {}
    schools: list[str] = []
    for i in np.flatnonzero((part.counties == code) & (np.isnan(value) | np.isnan(part.students))):
        schools.append(table.text["school_id"][part.rows[i]])
        lacking, detail = missing_inputs(plan, indicator, part, int(i))
        for name in lacking or ((detail,) if detail else ()):
            columns[name] = None
        if np.isnan(part.students[i]):
            columns[column_name("students", part.level)] = None
    return tuple(columns), tuple(schools)


def evaluate_columns(
    plan: Plan, table: ColumnTable, facts: Mapping[str, Mapping[str, Any]] | None = None
) -> ColumnarResult:
    """Evaluate every county of *table* (facts keyed by county name)."""
    facts = facts or {}
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # NaN is "missing"
        evaluator = _Evaluator(plan, table, facts)
        levels = evaluator.levels()
        outcomes = evaluator.threshold_rules(levels)
        evaluator.k_of_n(levels, outcomes)
        county_findings = evaluator.county_rules(levels, outcomes)
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
    for code, items in enumerate(county_findings):
        for finding in items:
            if not finding.decides:
                continue
            if finding.status == "fail":
                fail[code] = True
                vetoed[code] |= finding.veto
            elif finding.status == "not_evaluated":
                unknown[code] = True
    verdicts = [
        "fail" if f else "incomplete" if u else "pass" for f, u in zip(fail, unknown, strict=True)
    ]
    for items in evaluator.excluded:
        items.sort(key=lambda e: (e.school_id, e.level or ""))
    return ColumnarResult(
        plan=plan,
        table=table,
        county_names=evaluator.county_names,
        verdicts=verdicts,
        vetoed=[bool(v) for v in vetoed],
        levels=dict(levels),
        outcomes=outcomes,
        section_passed=section_passed,
        county_findings=county_findings,
        excluded=evaluator.excluded,
        facts=facts,
        children=evaluator.children,
    )
