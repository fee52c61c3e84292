"""Build a county's shortfall plan (docs/shortfall.md §4 gives the order).

1. every deciding school threshold (``>=``/``>``) met by the least whole-step
   addition, combined schools taking the largest per-section requirement;
2. k-of-n rules: the cheapest valid subset with costs, else every failing member
   to its threshold (and the floor options listed);
3. teacher totals grow with every hire (and when upgrades would exceed the staff);
4. every failing CV water-filled, then composites (components above a common
   level lowered to it), repeated until every CV holds;
5. the county re-evaluated through the evaluation core with the plan applied.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

from ..collector import paused
from ..data.fields import ALL_LEVELS, LEVEL_SUFFIXES, LEVEL_TEACHER_SUFFIXES
from ..data.model import County
from ..engine.columnar import ColumnarResult
from ..engine.inputs import (
    FAIL,
    PASS,
    SiteInput,
    county_sections,
    county_sites,
    evaluate_changed_core,
    evaluate_core,
    failing_rule_ids,
    failing_rules,
    indicator_values,
    status_of,
)
from ..engine.kernels.base import CountyFinding
from ..engine.plan import Plan, per_standard
from ..errors import DataError, Problem, StandardError
from ..report import CountyResult, Report
from ..standard.model import (
    Coefficients,
    Composite,
    CountyFact,
    SchoolKOfN,
    SchoolThreshold,
    Standard,
    size_band,
)
from .costs import Costs, load_costs
from .county import Section, Site, WorkCounty, column_of
from .k_of_n import Option, SectionChoice, cheapest
from .lean import (
    Group,
    LazyAdditions,
    LeanContext,
    LeanCounty,
    block_refusals,
    flat_refusals,
    floor_options,
    lean_county,
    refusals,
)
from .model import (
    Addition,
    CountyPlan,
    CvChange,
    FloorOption,
    NotPlannable,
    SchoolPlan,
    SchoolTotal,
    ShortfallPlan,
    Total,
)
from .resources import RESOURCES, Resource
from .steps import RefusedSections, k_of_n_choices, threshold_steps
from .thresholds import indicator_addition, round_up
from .waterfill import composite_targets, cv_within, water_level

__all__ = ["ShortfallBug", "plan_shortfall"]

_PLANNED_OPS = (">=", ">")
#: How a composite cap is met (labelled in every output).
COMPOSITE_METHOD = "composite: components above a common level water-filled down to it"
COMPOSITE_COSTED_METHOD = (
    "composite (costs): the component whose CV falls most per 元 lowered first, "
    "0.02 at a time, each by water-filling"
)
_MAX_CV_ROUNDS = 12
#: Relative raises of the water level tried when the rounded plan misses the cap.
_BUMPS = tuple(
    Fraction(b) for b in ("0", "1e-9", "1e-6", "1e-4", "1e-3", "1e-2", "0.03", "0.1", "0.3")
)


class ShortfallBug(RuntimeError):
    """A plan failed its own verification by the evaluation core (a bug)."""


def _exact(value: Fraction | int) -> Decimal:
    """A Fraction that is a whole number of steps, as a Decimal (exact)."""
    if value.denominator == 1:
        return Decimal(value.numerator)
    return Decimal(value.numerator) / Decimal(value.denominator)


class _Entry:
    __slots__ = ("amount", "column", "indicator", "level", "reason", "rule", "site")

    def __init__(
        self,
        site: Site,
        column: str,
        amount: Fraction | int,
        rule: str,
        indicator: str | None,
        reason: str,
        level: str | None,
    ) -> None:
        self.site = site
        self.column = column
        self.amount = amount
        self.rule = rule
        self.indicator = indicator
        self.reason = reason
        self.level = level


class DecidingRules:
    """The rules a plan must meet, by kind (a rule decides when it vetoes, or is in
    a required group and is not a member of a k-of-n rule)."""

    def __init__(self, standard: Standard) -> None:
        rules = standard.rules
        members = {m for r in rules.values() if isinstance(r, SchoolKOfN) for m in r.rules}

        def decides(rule_id: str) -> bool:
            rule = rules[rule_id]
            return rule.veto or (rule_id not in members and standard.groups[rule.group].required)

        self.thresholds = [
            r for r in rules.values() if isinstance(r, SchoolThreshold) and decides(r.id)
        ]
        self.k_of_n = [r for r in rules.values() if isinstance(r, SchoolKOfN) and decides(r.id)]
        self.coefficients = [
            r for r in rules.values() if isinstance(r, Coefficients) and decides(r.id) and r.max
        ]
        self.composites = [
            r for r in rules.values() if isinstance(r, Composite) and decides(r.id) and r.max
        ]
        self.facts = [r for r in rules.values() if isinstance(r, CountyFact) and decides(r.id)]


_DECIDING: dict[int, tuple[Standard, Any]] = {}


def deciding_rules(standard: Standard) -> DecidingRules:
    """The :class:`DecidingRules` of *standard* (made once per standard object)."""
    return per_standard(_DECIDING, standard, DecidingRules)


def price(costs: Costs | None, column: str, amount: Fraction | int) -> Fraction:
    """What *amount* added to *column* costs in 元 (the amount itself without costs)."""
    if costs is None:
        return Fraction(amount)
    field, _level = _field_of(column)
    per = costs.per_unit(field)
    if per is None:
        raise DataError(
            [
                Problem(
                    f"no cost for {field}, which this plan needs",
                    file=costs.file,
                    suggestion=None,
                )
            ],
            summary="the costs file misses a resource the plan adds",
        )
    return per * amount


def refusal_of(standard: Standard, rule: SchoolThreshold) -> str | None:
    """Why no addition meets *rule* at any failing section, when that does not
    depend on the section: "" for an operator that needs a reduction (the
    message names the section's threshold), the reason for a numerator that is
    no resource; None when additions may meet it."""
    if rule.op not in _PLANNED_OPS:
        return ""
    field = standard.indicators[rule.indicator].numerator[0]
    if RESOURCES.get(field) is not None:
        return None
    if field.startswith("min_"):
        return (
            f"{field} is the smallest room's area: enlarge or rebuild that room "
            "(not a count a plan adds to)"
        )
    return f"{field} is not a resource a plan can add to"


def _field_of(column: str) -> tuple[str, str | None]:
    """(level-free resource field, level or None) of a school column."""
    found = _FIELDS.get(column)
    if found is None:
        found = _FIELDS[column] = _split_column(column)
    return found


_FIELDS: dict[str, tuple[str, str | None]] = {}


def _split_column(column: str) -> tuple[str, str | None]:
    for level in ("primary", "junior"):
        prefix = f"{level}_"
        if column.startswith(prefix) and column[len(prefix) :] in LEVEL_TEACHER_SUFFIXES:
            return column[len(prefix) :], level
    return column, None


class _CountyPlanner:
    def __init__(
        self,
        standard: Standard,
        sites: Sequence[SiteInput],
        costs: Costs | None,
        core: ColumnarResult | None = None,
        core_values: Mapping[str, Mapping[str, list[float]]] | None = None,
        open_thresholds: Mapping[str, Mapping[tuple[str, int], tuple[str, Fraction | int] | None]]
        | None = None,
        open_choices: Mapping[tuple[str, str, int], SectionChoice | None] | None = None,
    ) -> None:
        self.standard = standard
        #: The county's name (set by the caller).
        self.county = ""
        #: The deciding thresholds the core did not pass, per rule (see shortfall.steps).
        self.open = open_thresholds
        #: The deciding k-of-n sections the core did not pass, with their choices.
        self.open_choices = open_choices
        #: The core's evaluation of the county before the plan (statuses per section).
        self.core = core
        self.costs = costs
        deciding = deciding_rules(standard)
        self.thresholds = deciding.thresholds
        self.k_of_n = deciding.k_of_n
        self.coefficients = deciding.coefficients
        self.composites = deciding.composites
        self.facts = deciding.facts
        self.work = WorkCounty(standard, sites, _columns(standard), core_values)
        self.entries: list[_Entry] = []
        self.not_plannable: dict[tuple[str, str | None, str | None, str | None], NotPlannable] = {}
        self.floor_options: list[FloorOption] = []
        self._thresholds: dict[tuple[str, str, object], Fraction | None] = {}
        self._float_thresholds: dict[tuple[str, str], float | None] = {}
        self.methods: dict[tuple[str, str], tuple[str, float | None]] = {}
        #: Bumped by every addition: a CV computed at the same version still holds.
        self.version = 0
        self._cvs: dict[tuple[str, str], tuple[int, float | None]] = {}
        self._member_columns: dict[tuple[str, str], frozenset[str]] = {}
        #: Rounds of water-filling made so far (at most _MAX_CV_ROUNDS in all).
        self.cv_rounds = 0

    # -- helpers --------------------------------------------------------------------

    def refuse(
        self,
        rule: str,
        reason: str,
        school_id: str | None = None,
        level: str | None = None,
        indicator: str | None = None,
    ) -> None:
        key = (rule, school_id, level, indicator)
        self.not_plannable.setdefault(
            key,
            NotPlannable(
                rule=rule, reason=reason, school_id=school_id, level=level, indicator=indicator
            ),
        )

    def add(self, entry: _Entry) -> None:
        if entry.amount <= 0:
            return
        entry.site.grow(entry.column, entry.amount)
        self.entries.append(entry)
        self.version += 1

    def threshold_of(self, rule: SchoolThreshold, section: Section) -> Fraction | None:
        by = rule.threshold.by
        if by == "size":
            students = self.work.value(section, "school_students")
            attribute = size_band(students, rule.threshold.cases.get(section.level, {}))
        else:
            attribute = getattr(section.site.school, by) if by else None
        key = (rule.id, section.level, attribute)
        if key in self._thresholds:
            return self._thresholds[key]
        value, _case = rule.threshold.for_level(section.level, attribute)
        result = self._thresholds[key] = None if value is None else Fraction(value)
        return result

    def growth(
        self, indicator_id: str, section: Section
    ) -> tuple[str, Fraction, Resource, Fraction | None, Fraction] | str:
        """(column, share, resource, denominator, numerator) of an indicator, or why not."""
        ind = self.standard.indicators[indicator_id]
        field = ind.numerator[0]
        resource = RESOURCES.get(field)
        if resource is None:
            if field.startswith("min_"):
                return (
                    f"{field} is the smallest room's area: enlarge or rebuild that room "
                    "(not a count a plan adds to)"
                )
            return f"{field} is not a resource a plan can add to"
        column, share = column_of(field, section.level, self.work.split_items, section.site)
        if column is None:
            return f"{field} is not a resource a plan can add to"
        if share is None or share == 0:
            return f"{field} cannot be split: a level's students are missing"
        numerator = Fraction(0)
        for name in ind.numerator:
            part = self.work.value(section, name)
            if part is None:
                return f"missing {name}"
            numerator += part
        den: Fraction | None = None
        if ind.denominator is not None:
            den = self.work.value(section, ind.denominator)
            if den is None:
                return f"missing {ind.denominator}"
            if den == 0:
                return f"{ind.denominator} = 0: no per-student value"
        return column, share, resource, den, numerator

    def need(
        self, indicator_id: str, section: Section, target: Fraction, op: str
    ) -> tuple[str, Fraction] | str:
        quick = self._need_float(indicator_id, section, target, op)
        if quick is not None:
            return quick
        got = self.growth(indicator_id, section)
        if isinstance(got, str):
            return got
        column, share, resource, den, numerator = got
        amount = indicator_addition(
            self.standard.indicators[indicator_id], resource, numerator=numerator,
            denominator=den, threshold=target, op=op, share=share,
        )  # fmt: skip
        return column, amount

    def _need_float(
        self, indicator_id: str, section: Section, target: Fraction, op: str
    ) -> tuple[str, Fraction] | None:
        """The least addition from floats when no rounding can change it, else None.

        The step count ``q`` is computed in floats; when it is not within a relative
        1e-9 of a whole number (the inputs are decimals, floats err by ~1e-16), its
        ceiling is the exact answer.  Near a whole number the exact path decides.
        """
        ind = self.standard.indicators[indicator_id]
        field = ind.numerator[0]
        resource = RESOURCES.get(field)
        if resource is None or field not in self.work.plain_fields:
            return None
        site = section.site
        if resource.per_level:
            column, share = f"{section.level}_{field}", 1.0
        else:
            column = field
            if field in self.work.split_items:
                if site.shares_float is None:
                    return None
                share = site.shares_float[section.level]
            else:
                share = 1.0
        if share <= 0:
            return None
        numerator = 0.0
        for name in ind.numerator:
            if name not in self.work.plain_fields:
                return None
            part = self.work.float_field(section, name)
            if part is None:
                return None
            numerator += part
        den = 1.0
        if ind.denominator is not None:
            got = self.work.float_field(section, ind.denominator)
            if not got:
                return None
            den = got
        step = float(resource.step)
        q = (float(target) * den / float(ind.scale) - numerator) / share / step
        nearest = round(q)
        if abs(q - nearest) <= 1e-9 * max(1.0, abs(q)):
            return None
        if q < 0:
            return column, Fraction(0)
        steps = math.ceil(q)  # q is not whole: ">" and ">=" agree
        return column, steps * resource.step

    def unit_cost(self, column: str, amount: Fraction | int) -> Fraction:
        return price(self.costs, column, amount)

    # -- stage 1: thresholds ----------------------------------------------------------

    def plan_thresholds(self) -> None:
        best: dict[tuple[int, str], _Entry] = {}

        def keep(
            section: Section, rule: SchoolThreshold, column: str, amount: Fraction | int
        ) -> None:
            key = (id(section.site), column)
            if key not in best or amount > best[key].amount:
                level = section.level if _field_of(column)[1] else None
                best[key] = _Entry(
                    section.site, column, amount, rule.id, rule.indicator, "threshold", level
                )

        for rule in self.thresholds:
            # The core's open sections (those it did not pass), with the additions
            # computed for the whole nation at once where floats decide them.
            found = None if self.open is None else self.open.get(rule.id)
            if self.open is not None and not found:
                continue
            if found is None:
                sections = [s for s in self.work.sections if s.level in rule.levels]
            else:  # only the open sections, in the county's section order
                at = self.work.section_at
                sections = [
                    at[key]
                    for key in sorted(found, key=self.work.position.__getitem__)
                    if key[0] in rule.levels
                ]
            refusal = self._refusal(rule)
            for section in sections:
                if found is not None:
                    quick_amount = found[(section.level, section.index)]
                    if quick_amount is not None:
                        keep(section, rule, *quick_amount)
                        continue
                    if refusal is not None and self._core_fails(rule.id, section):
                        # the core decided exactly that the untouched section fails
                        # and the reason does not depend on the section
                        reason = refusal
                        if reason == "":
                            limit = self.threshold_of(rule, section)
                            if limit is not None:
                                reason = f"needs a reduction ({rule.op} {limit}), not an addition"
                        if reason:
                            self.refuse(
                                rule.id,
                                reason,
                                section.site.school.school_id,
                                section.level,
                                rule.indicator,
                            )
                            continue
                elif self._core_passes(rule.id, section):
                    continue
                threshold = self.threshold_of(rule, section)
                sid = section.site.school.school_id
                if threshold is None:
                    self.refuse(rule.id, "no threshold for this school", sid, section.level)
                    continue
                indicator = self.standard.indicators[rule.indicator]
                quick = self.work.quick(section, indicator)
                if _clearly_meets(quick, rule.op, threshold):
                    continue
                if not _clearly_fails(quick, rule.op, threshold):
                    value, why = self.work.indicator(section, indicator)
                    if value is None:
                        self.refuse(
                            rule.id, why or "missing data", sid, section.level, rule.indicator
                        )
                        continue
                    if _meets(value, rule.op, threshold):
                        continue
                if rule.op not in _PLANNED_OPS:
                    self.refuse(
                        rule.id,
                        f"needs a reduction ({rule.op} {threshold}), not an addition",
                        sid,
                        section.level,
                        rule.indicator,
                    )
                    continue
                got = self.need(rule.indicator, section, threshold, rule.op)
                if isinstance(got, str):
                    self.refuse(rule.id, got, sid, section.level, rule.indicator)
                    continue
                keep(section, rule, *got)
        for entry in best.values():
            self.add(entry)

    # -- stage 2: k of n ----------------------------------------------------------------

    def plan_k_of_n(self) -> None:
        for rule in self.k_of_n:
            member_rules = [self.standard.rules[m] for m in rule.rules]
            members = [m for m in member_rules if isinstance(m, SchoolThreshold)]
            floor = Fraction(rule.floor_ratio) if rule.floor_ratio is not None else None
            by_site: dict[int, list[tuple[Section, SectionChoice]]] = {}
            known = self.open_choices
            for section in self.work.sections:
                if (
                    known is not None
                    and not section.site.add
                    and section.index >= 0
                    and (rule.id, section.level, section.index) not in known
                ):
                    continue  # the core passed it, and the plan added nothing there
                choice = self._section_choice(rule, members, section, floor)
                if choice is not None:
                    by_site.setdefault(id(section.site), []).append((section, choice))
            for items in by_site.values():
                site = items[0][0].site
                choices = [c for _s, c in items]
                if self.costs is not None:
                    amounts, _taken = cheapest(choices, self.unit_cost)
                else:
                    amounts = _all_to_threshold(choices)
                    self._floor_options(rule, items)
                targets: dict[tuple[str, str], list[Fraction | int]] = {}
                for c in choices:
                    for o in c.options:
                        if o.to_threshold > 0:
                            targets.setdefault((o.rule, o.column), []).append(o.to_threshold)
                for (column, member), amount in sorted(amounts.items()):
                    member_rule = self.standard.rules[member]
                    indicator = getattr(member_rule, "indicator", None)
                    level = _field_of(column)[1]
                    full = amount in targets.get((member, column), ())
                    self.add(
                        _Entry(
                            site,
                            column,
                            amount,
                            rule.id,
                            indicator,
                            "threshold" if full else "floor",
                            level,
                        )
                    )

    def _section_choice(
        self,
        rule: SchoolKOfN,
        members: Sequence[SchoolThreshold],
        section: Section,
        floor: Fraction | None,
    ) -> SectionChoice | None:
        sid = section.site.school.school_id
        applying = [m for m in members if section.level in m.levels]
        if not applying:
            return None
        if (
            self.open_choices is not None
            and section.index >= 0
            and not self._touched(rule, members, section)
        ):
            key = (rule.id, section.level, section.index)
            if key not in self.open_choices:
                return None  # the core passed it, and nothing changed since
            known = self.open_choices[key]
            if known is not None:
                return known
        if self._core_passes(rule.id, section) or self._clearly_passes(
            rule, applying, section, floor
        ):
            return None
        met = 0
        failing: list[tuple[SchoolThreshold, Fraction, Fraction]] = []
        floor_f = None if floor is None else float(floor)
        for member in applying:
            threshold = self.threshold_of(member, section)
            indicator = self.standard.indicators[member.indicator]
            quick = self.work.quick(section, indicator)
            limit = self._float_threshold(member, section)
            if threshold is not None and quick is not None and limit is not None:
                margin = 1e-9 * max(abs(limit), 1.0)
                if member.op in _PLANNED_OPS:
                    if quick > limit + margin:
                        met += 1
                        continue
                    bound = None if floor_f is None else floor_f * limit
                    if quick < limit - margin and (
                        bound is None or abs(quick - bound) > 1e-9 * max(abs(bound), 1.0)
                    ):
                        # decided in floats: fails, and is clearly above or below the floor
                        failing.append((member, threshold, Fraction(quick)))
                        continue
                elif _clearly_meets(quick, member.op, threshold):
                    met += 1
                    continue
            value, why = self.work.indicator(section, indicator)
            if threshold is None or value is None:
                self.refuse(
                    rule.id,
                    f"{member.id}: {why or 'no threshold'}",
                    sid,
                    section.level,
                    member.indicator,
                )
                return None
            if _meets(value, member.op, threshold):
                met += 1
            else:
                failing.append((member, threshold, value))
        needed = max(0, rule.min_met - met)
        below_floor = floor is not None and any(
            t > 0 and v / t < floor for _m, t, v in failing if _m.op in _PLANNED_OPS
        )
        if needed == 0 and not below_floor:
            return None
        options: list[Option] = []
        for member, threshold, value in failing:
            if member.op not in _PLANNED_OPS:
                self.refuse(
                    rule.id, f"{member.id} needs a reduction", sid, section.level, member.indicator
                )
                return None
            to_t = self.need(member.indicator, section, threshold, member.op)
            if isinstance(to_t, str):
                self.refuse(rule.id, f"{member.id}: {to_t}", sid, section.level, member.indicator)
                return None
            column, amount = to_t
            to_floor = Fraction(0)
            if floor is not None and threshold > 0 and value / threshold < floor:
                got = self.need(member.indicator, section, floor * threshold, ">=")
                to_floor = got[1] if not isinstance(got, str) else amount
            options.append(Option(member.id, column, amount, to_floor))
        if needed > len(options):
            self.refuse(rule.id, "not enough indicators can be raised", sid, section.level)
            return None
        return SectionChoice(tuple(options), needed)

    def _touched(
        self, rule: SchoolKOfN, members: Sequence[SchoolThreshold], section: Section
    ) -> bool:
        """Whether the plan has added to a column the section's members read (the
        core's decision and the choice made from its arrays no longer hold)."""
        added = section.site.add
        if not added:
            return False
        key = (rule.id, section.level)
        columns = self._member_columns.get(key)
        if columns is None:
            columns = self._member_columns[key] = _read_columns(
                self.standard, members, section.level
            )
        return any(column in columns for column in added)

    def _refusal(self, rule: SchoolThreshold) -> str | None:
        return refusal_of(self.standard, rule)

    def changes(self) -> dict[int, dict[str, Decimal]]:
        """Per table row, each column's total addition under the plan so far."""
        return {
            site.row: {column: _exact(amount) for column, amount in site.add.items() if amount}
            for site in self.work.sites
            if site.add
        }

    def _core_fails(self, rule_id: str, section: Section) -> bool:
        """Whether the core decided (exactly) that the section fails the rule, and
        the plan has not changed the school since."""
        if self.core is None or section.site.version or section.index < 0:
            return False
        return status_of(self.core, rule_id, section.level, section.index) == FAIL

    def _core_passes(self, rule_id: str, section: Section) -> bool:
        """Whether the core decided (exactly) that the section passes the rule, and
        the plan has not changed the school since."""
        if self.core is None or section.site.version or section.index < 0:
            return False
        return status_of(self.core, rule_id, section.level, section.index) == PASS

    def _clearly_passes(
        self,
        rule: SchoolKOfN,
        members: Sequence[SchoolThreshold],
        section: Section,
        floor: Fraction | None,
    ) -> bool:
        """Float screen: enough members clearly met and the others clearly above the
        floor (a margin no rounding can cross); the exact path decides the rest."""
        values = self.work.floats(section)
        met = 0
        floor_f = float(floor) if floor is not None else None
        for member in members:
            limit = self._float_threshold(member, section)
            value = values.get(member.indicator)
            if limit is None or value is None or member.op not in _PLANNED_OPS:
                return False
            margin = 1e-9 * max(abs(limit), 1.0)
            if value > limit + margin:
                met += 1
            elif floor_f is not None and not value > floor_f * limit + margin:
                return False
        return met >= rule.min_met

    def _float_threshold(self, rule: SchoolThreshold, section: Section) -> float | None:
        """The threshold as a float (cached per rule and level when it has no ``by``)."""
        if rule.threshold.by is None:
            key = (rule.id, section.level)
            cached = self._float_thresholds.get(key, _MISSING)
            if cached is not _MISSING:
                return cached  # type: ignore[return-value]
        exact = self.threshold_of(rule, section)
        result = None if exact is None else float(exact)
        if rule.threshold.by is None:
            self._float_thresholds[(rule.id, section.level)] = result
        return result

    def _floor_options(
        self, rule: SchoolKOfN, items: Sequence[tuple[Section, SectionChoice]]
    ) -> None:
        for section, choice in items:
            if len(choice.options) - 1 < choice.needed:
                continue
            for option in choice.options:
                saves = option.to_threshold - option.to_floor
                if saves <= 0:
                    continue
                field, _lv = _field_of(option.column)
                member = self.standard.rules[option.rule]
                self.floor_options.append(
                    FloorOption(
                        school_id=section.site.school.school_id,
                        level=section.level,
                        rule=rule.id,
                        indicator=getattr(member, "indicator", option.rule),
                        field=option.column,
                        saves=_exact(saves),
                        unit=RESOURCES[field].unit_zh,
                    )
                )

    # -- stage 3: teacher totals -------------------------------------------------------

    def plan_hires(self) -> None:
        """The level's teacher total grows with every hire, and with upgrades or
        designations beyond the teachers already there."""
        # Per site and level: the teachers its additions hire (directly or as
        # PE/art teachers); sites without additions keep their totals.
        by_site: dict[int, dict[str | None, Fraction]] = {}
        for entry in self.entries:
            if entry.reason != "hire":
                levels = by_site.setdefault(id(entry.site), {})
                field, lv = _field_of(entry.column)
                if lv is not None and (field == "teachers" or RESOURCES[field].mode == "hire"):
                    levels[lv] = levels.get(lv, Fraction(0)) + entry.amount
        for site in self.work.sites:
            hires = by_site.get(id(site))
            if hires is None:
                continue
            for level in self.standard.levels:
                if level not in hires and not any(
                    site.add.get(f"{level}_{suffix}") for suffix in _NOT_HIRED
                ):
                    continue  # nothing hired or upgraded: the total already holds
                total_col = f"{level}_teachers"
                raw_total = site.raw.get(total_col)
                if raw_total is None:
                    continue
                need = raw_total + hires.get(level, Fraction(0))
                for suffix in _NOT_HIRED:
                    col = f"{level}_{suffix}"
                    if not site.add.get(col):
                        continue
                    now = site.column(col)
                    if now is not None:
                        need = max(need, now)
                grow = need - (site.column(total_col) or Fraction(0))
                if grow > 0:
                    self.add(_Entry(site, total_col, grow, "hire", None, "hire", level))
                    # New hires hold a teacher's certificate (the certified rate holds).
                    certified = f"{level}_certified_teachers"
                    if site.raw.get(certified) is not None:
                        self.add(_Entry(site, certified, grow, "hire", None, "hire", level))

    # -- stage 4: coefficients -------------------------------------------------------

    def seed_cvs(self, result: _State) -> None:
        """Take the core's CVs of *result* — the county evaluated with the plan so
        far — as the water-filling stage's float screen of this state, where the
        screen's decision (``CV < cap × (1 − 1e-9)``) cannot differ between the
        two float computations (no composite reads them as values)."""
        if self.composites:
            return
        limits: dict[tuple[str, str], list[float]] = {}
        for rule in self.coefficients:
            for level, cap in rule.max.items():
                if cap is None:
                    continue
                for indicator in rule.indicators:
                    limits.setdefault((level, indicator), []).append(float(cap) * (1 - 1e-9))
        for c in result.coefficients:
            found = limits.get((c.level, c.indicator))
            if not found or c.value is None or c.kind == "composite":
                continue
            if not math.isfinite(c.value):
                continue
            value = c.value
            if all(abs(value - limit) > 1e-12 * max(limit, 1e-300) for limit in found):
                self._cvs[(c.indicator, c.level)] = (self.version, value)

    def _quick_cv(self, indicator_id: str, level: str) -> float | None:
        """The CV in floats, or None when a value is missing (then the exact path explains)."""
        cached = self._cvs.get((indicator_id, level))
        if cached is not None and cached[0] == self.version:
            return cached[1]
        found = self._compute_cv(indicator_id, level)
        self._cvs[(indicator_id, level)] = (self.version, found)
        return found

    def _compute_cv(self, indicator_id: str, level: str) -> float | None:
        ind = self.standard.indicators[indicator_id]
        weights: list[float] = []
        values: list[float] = []
        for section in self.work.sections:
            if section.level != level:
                continue
            value = self.work.quick(section, ind)
            students = section.site.column_float(f"{level}_students")
            if value is None or not students:
                return None
            weights.append(students)
            values.append(value)
        if not weights:
            return None
        total = sum(weights)
        mean = sum(a * b for a, b in zip(weights, values, strict=True)) / total
        if mean <= 0:
            return None
        var = sum(a * (b - mean) ** 2 for a, b in zip(weights, values, strict=True)) / total
        return float(var**0.5 / mean)

    def _cv_inputs(
        self, indicator_id: str, level: str, rule_id: str
    ) -> tuple[list[Section], list[Fraction], list[Fraction]] | None:
        sections = [s for s in self.work.sections if s.level == level]
        ind = self.standard.indicators[indicator_id]
        weights: list[Fraction] = []
        values: list[Fraction] = []
        for section in sections:
            value, why = self.work.indicator(section, ind)
            students = section.students
            if value is None or students is None:
                self.refuse(
                    rule_id,
                    why or "missing students",
                    section.site.school.school_id,
                    level,
                    indicator_id,
                )
                return None
            weights.append(students)
            values.append(value)
        if not sections:
            return None
        return sections, weights, values

    def fill(
        self,
        rule_id: str,
        indicator_id: str,
        level: str,
        cap: Fraction,
        reason: str,
        quiet: bool = False,
    ) -> bool:
        """Water-fill one CV down to *cap*; True if something was added."""
        quick = self._quick_cv(indicator_id, level)
        if quick is not None and quick < float(cap) * (1 - 1e-9):
            return False
        got = self._cv_inputs(indicator_id, level, rule_id)
        if got is None:
            return False
        sections, weights, values = got
        if sum((w * v for w, v in zip(weights, values, strict=True)), Fraction(0)) <= 0:
            self.refuse(rule_id, "the mean is zero: the CV is undefined", None, level, indicator_id)
            return False
        rough = _float_cv(weights, values)
        if rough < float(cap) * (1 - 1e-9):
            return False
        # clearly above the cap in floats: the exact test would say so too
        if rough <= float(cap) * (1 + 1e-9) and cv_within(weights, values, cap):
            return False
        level_t = water_level(weights, values, cap)
        if level_t is None:
            return False
        ind = self.standard.indicators[indicator_id]
        scale = Fraction(ind.scale)
        base = level_t
        for bump in _BUMPS:
            level_t = base + max(abs(base), Fraction(1)) * bump
            planned: list[_Entry] = []
            new_values = list(values)
            ok = True
            for i, section in enumerate(sections):
                if values[i] >= level_t:
                    continue
                growth = self.growth(indicator_id, section)
                if isinstance(growth, str):
                    self.refuse(rule_id, growth, section.site.school.school_id, level, indicator_id)
                    ok = False
                    break
                column, share, resource, den, _num = growth
                numerator_gap = (level_t - values[i]) * (den if den is not None else 1) / scale
                amount = round_up(numerator_gap / share, resource.step)
                new_values[i] = values[i] + amount * share * scale / (den if den is not None else 1)
                lv = level if _field_of(column)[1] else None
                planned.append(
                    _Entry(section.site, column, amount, rule_id, indicator_id, reason, lv)
                )
            if not ok:
                return False
            if cv_within(weights, new_values, cap):
                for entry in planned:
                    self.add(entry)
                previous = self.methods.get((level, indicator_id), ("", None))[0]
                label = "water-filling" if reason == "cv" else COMPOSITE_METHOD
                if reason == "composite" and previous == COMPOSITE_COSTED_METHOD:
                    label = previous
                self.methods[(level, indicator_id)] = (label, float(level_t))
                return bool(planned)
        # Whole steps overshoot so much (tiny schools, a cap near 0) that no level works.
        if quiet:
            return False
        self.refuse(
            rule_id,
            f"the cap {float(cap):.4g} cannot be met in whole steps by raising the lowest "
            "sections (each step overshoots the common level)",
            None,
            level,
            indicator_id,
        )
        return False

    def plan_coefficients(self, rounds: int = _MAX_CV_ROUNDS) -> bool:
        """Water-fill every failing CV, then composites, round after round (at most
        *rounds*) until a round adds nothing; True if one did (the CVs hold)."""
        for _round in range(rounds):
            if self.cv_rounds >= _MAX_CV_ROUNDS:
                return False
            self.cv_rounds += 1
            changed = False
            for rule in self.coefficients:
                for level in rule.levels:
                    cap = rule.max.get(level)
                    if cap is None:
                        continue
                    for indicator in rule.indicators:
                        changed |= self.fill(rule.id, indicator, level, Fraction(cap), "cv")
            for comp in self.composites:
                for level in comp.levels:
                    cap = comp.max.get(level)
                    if cap is not None:
                        changed |= self._composite(comp, level, Fraction(cap))
            self.plan_hires()
            if not changed:
                return True
        return False

    def _composite(self, rule: Composite, level: str, cap: Fraction) -> bool:
        cvs: list[float] = []
        for indicator in rule.indicators:
            quick = self._quick_cv(indicator, level)
            if quick is not None:
                cvs.append(quick)
                continue
            got = self._cv_inputs(indicator, level, rule.id)
            if got is None:
                return False
            _sections, weights, values = got
            if sum((w * v for w, v in zip(weights, values, strict=True)), Fraction(0)) <= 0:
                self.refuse(rule.id, "a component's mean is zero", None, level, indicator)
                return False
            cvs.append(_float_cv(weights, values))
        if sum(cvs) / len(cvs) < float(cap) * (1 - 1e-9):
            return False
        if self.costs is not None:
            return self._composite_costed(rule, level, cap, cvs)
        targets = composite_targets(cvs, cap)
        changed = False
        for indicator, cv, target in zip(rule.indicators, cvs, targets, strict=True):
            if Fraction(cv) > target:
                changed |= self.fill(rule.id, indicator, level, target, "composite")
        return changed

    def _composite_costed(
        self, rule: Composite, level: str, cap: Fraction, cvs: list[float]
    ) -> bool:
        """With costs: lower, step by step, the component whose CV falls most per 元."""
        budget = float(cap) * len(cvs) * (1 - 1e-9)
        changed = False
        blocked: set[int] = set()
        for _step in range(200):
            excess = sum(cvs) - budget
            if excess <= 0:
                break
            delta = min(excess, 0.02)
            best: tuple[float, int] | None = None
            for j, indicator in enumerate(rule.indicators):
                if cvs[j] <= delta or j in blocked:
                    continue
                price = self._price_to(indicator, level, cvs[j] - delta)
                if price is not None and (best is None or price < best[0]):
                    best = (price, j)
            if best is None:
                break
            j = best[1]
            target = Fraction(cvs[j] - delta) * (1 - Fraction(1, 10**9))
            self.methods[(level, rule.indicators[j])] = (COMPOSITE_COSTED_METHOD, None)
            if self.fill(rule.id, rule.indicators[j], level, target, "composite", quiet=True):
                changed = True
            else:
                blocked.add(j)
            cvs[j] = self._quick_cv(rule.indicators[j], level) or 0.0
        if sum(cvs) > budget:  # the greedy got stuck: the common-level method finishes
            targets = composite_targets(cvs, cap)
            for indicator, cv, goal in zip(rule.indicators, cvs, targets, strict=True):
                if Fraction(cv) > goal:
                    changed |= self.fill(rule.id, indicator, level, goal, "composite")
        return changed

    def _price_to(self, indicator_id: str, level: str, target: float) -> float | None:
        """元 (unrounded, floats) to water-fill one CV down to *target*: for ranking."""
        ind = self.standard.indicators[indicator_id]
        rows = []
        for section in self.work.sections:
            if section.level != level:
                continue
            value = self.work.quick(section, ind)
            students = section.site.column_float(f"{level}_students")
            growth = self.growth(indicator_id, section)
            if value is None or not students or isinstance(growth, str):
                return None
            column, share, _resource, den, _num = growth
            per = float(self.unit_cost(column, Fraction(1)))
            rows.append(
                (students, value, float(den) if den is not None else 1.0, float(share), per)
            )
        weights = [r[0] for r in rows]
        values = [r[1] for r in rows]
        low, high = min(values), max(values)

        def cv_at(t: float) -> float:
            return _float_cv_floats(weights, [max(v, t) for v in values])

        if cv_at(low) <= target:
            return 0.0
        for _ in range(60):
            mid = (low + high) / 2
            if cv_at(mid) <= target:
                high = mid
            else:
                low = mid
        scale = float(ind.scale)
        return sum(
            per * max(high - v, 0.0) * den / scale / share for _p, v, den, share, per in rows
        )

    # -- result -------------------------------------------------------------------------

    def additions(self) -> list[Addition]:
        merged: dict[tuple[int, str, str, str], tuple[_Entry, Fraction | int]] = {}
        for entry in self.entries:
            key = (id(entry.site), entry.column, entry.rule, entry.reason)
            found = merged.get(key)
            merged[key] = (
                (entry, entry.amount) if found is None else (found[0], found[1] + entry.amount)
            )
        columns: dict[tuple[int, str], tuple[Decimal | None, Decimal | None]] = {}
        result = []
        for (site_id, column, _rule, reason), (entry, amount) in merged.items():
            site = entry.site
            field = _field_of(column)[0]
            resource = RESOURCES[field]
            values = columns.get((site_id, column))
            if values is None:
                before = site.raw.get(column)
                after = site.column(column)
                values = columns[(site_id, column)] = (
                    None if before is None else _exact(before),
                    None if after is None else _exact(after),
                )
            cost = None
            if self.costs is not None and reason != "hire":
                cost = _exact(self.unit_cost(column, amount))
            mode = resource.mode if reason != "hire" else "hire"
            result.append(
                Addition(
                    school_id=site.school.school_id,
                    name=site.school.school_name,
                    level=entry.level,
                    field=column,
                    add=_exact(amount),
                    unit=resource.unit_zh,
                    rule=entry.rule,
                    indicator=entry.indicator,
                    mode=mode,  # type: ignore[arg-type]
                    before=values[0],
                    after=values[1],
                    cost=cost,
                    reason=reason,
                )
            )
        return result


_MISSING = object()
#: Teacher columns a plan grows without hiring (upgrades, designations).
_NOT_HIRED = tuple(
    suffix
    for suffix in LEVEL_TEACHER_SUFFIXES
    if suffix != "teachers" and RESOURCES[suffix].mode != "hire"
)


def _read_columns(
    standard: Standard, members: Sequence[SchoolThreshold], level: str
) -> frozenset[str]:
    """Every school column the members' indicators read for a section of *level*
    (whole-school sums read every level's column)."""
    columns: set[str] = set()
    for member in members:
        for name in standard.indicators[member.indicator].fields:
            if name in LEVEL_SUFFIXES:
                columns.add(f"{level}_{name}")
            elif name in ("school_students", "school_classes"):
                suffix = "students" if name == "school_students" else "classes"
                columns.update(f"{lv}_{suffix}" for lv in ALL_LEVELS)
            else:
                columns.add(name)
    return frozenset(columns)


_COLUMNS: dict[int, tuple[Standard, frozenset[str]]] = {}


def _columns(standard: Standard) -> frozenset[str]:
    """The school columns a plan under *standard* reads (cached per standard)."""
    cached = _COLUMNS.get(id(standard))
    if cached is not None and cached[0] is standard:
        return cached[1]
    columns: set[str] = set()
    for ind in standard.indicators.values():
        for name in ind.fields:
            for level in standard.levels:
                if name in LEVEL_SUFFIXES:
                    columns.add(f"{level}_{name}")
                elif name not in ("school_students", "school_classes"):
                    columns.add(name)
    for level in standard.levels:
        columns |= {f"{level}_teachers", f"{level}_certified_teachers", f"{level}_classes"}
    result = frozenset(columns)
    if len(_COLUMNS) >= 32:
        _COLUMNS.pop(next(iter(_COLUMNS)))
    _COLUMNS[id(standard)] = (standard, result)
    return result


def _clearly_fails(value: float | None, op: str, threshold: Fraction) -> bool:
    """Whether a float value misses a ``>=``/``>`` threshold by more than rounding can."""
    if value is None or op not in _PLANNED_OPS:
        return False
    limit = float(threshold)
    return value < limit - 1e-9 * max(abs(limit), 1.0)


def _clear_of(value: float, limit: Fraction) -> bool:
    """Whether a float value is on one side of *limit* beyond any rounding."""
    bound = float(limit)
    return abs(value - bound) > 1e-9 * max(abs(bound), 1.0)


def _clearly_meets(value: float | None, op: str, threshold: Fraction) -> bool:
    """Whether a float value meets the threshold with a margin no rounding can cross."""
    if value is None:
        return False
    limit = float(threshold)
    margin = 1e-9 * max(abs(limit), 1.0)
    if op in (">=", ">"):
        return value > limit + margin
    if op in ("<=", "<"):
        return value < limit - margin
    return False


def _float_cv_floats(weights: Sequence[float], values: Sequence[float]) -> float:
    total = sum(weights)
    mean = sum(a * b for a, b in zip(weights, values, strict=True)) / total
    if mean <= 0:
        return float("inf")
    var = sum(a * (b - mean) ** 2 for a, b in zip(weights, values, strict=True)) / total
    return float(var**0.5 / mean)


def _float_cv(weights: Sequence[Fraction], values: Sequence[Fraction]) -> float:
    """The CV in floats: only to skip exact work far from the cap."""
    w = [float(x) for x in weights]
    v = [float(x) for x in values]
    total = sum(w)
    mean = sum(a * b for a, b in zip(w, v, strict=True)) / total
    if mean <= 0:
        return float("inf")
    var = sum(a * (b - mean) ** 2 for a, b in zip(w, v, strict=True)) / total
    return float(var**0.5 / mean)


def _meets(value: Fraction, op: str, threshold: Fraction) -> bool:
    if op == ">=":
        return value >= threshold
    if op == ">":
        return value > threshold
    if op == "<=":
        return value <= threshold
    if op == "<":
        return value < threshold
    return value == threshold


def _all_to_threshold(
    choices: Sequence[SectionChoice],
) -> dict[tuple[str, str], Fraction | int]:
    per_column: dict[str, tuple[Fraction | int, str]] = {}
    for choice in choices:
        for option in choice.options:
            current = per_column.get(option.column)
            if current is None or option.to_threshold > current[0]:
                per_column[option.column] = (option.to_threshold, option.rule)
    return {(col, rule): amount for col, (amount, rule) in per_column.items()}


def _totals(additions: Sequence[Addition]) -> tuple[tuple[Total, ...], Decimal | None]:
    fields: dict[str, str] = {}  # column: its resource field
    parts = []
    for item in additions:
        field = fields.get(item.field)
        if field is None:
            field = fields[item.field] = _field_of(item.field)[0]
        parts.append((field, item.unit, item.add, item.cost))
    return _sum_totals(parts)


def _sum_totals(
    parts: Iterable[tuple[str, str, Decimal, Decimal | None]],
) -> tuple[tuple[Total, ...], Decimal | None]:
    """The plan's totals per resource from (field, unit, add, cost) of each addition,
    in the additions' order."""
    sums: dict[str, tuple[Decimal, str, Decimal | None]] = {}
    for field, item_unit, item_add, item_cost in parts:
        found = sums.get(field)
        if found is None:
            add, unit, cost = _ZERO, item_unit, None
        else:
            add, unit, cost = found
        if item_cost is not None:
            cost = (cost or _ZERO) + item_cost
        sums[field] = (add + item_add, unit, cost)
    return _total_objects(sums)


def _total_objects(
    sums: Mapping[str, tuple[Decimal, str, Decimal | None]],
) -> tuple[tuple[Total, ...], Decimal | None]:
    """The plan's Total per resource field (sorted) from its (add, unit, cost),
    and the plan's total cost (None when nothing is costed)."""
    flat, total_cost = _totals_flat(sums)
    return tuple(_totals_built(flat)), total_cost


def _totals_flat(
    sums: Mapping[str, tuple[Decimal, str, Decimal | None]],
) -> tuple[list[Any], Decimal | None]:
    """Per resource field (sorted), flat: field, unit, add, cost; and the plan's
    total cost (the sum of the costs in that order; None when nothing is costed)."""
    flat: list[Any] = []
    costs = []
    for field, (add, unit, cost) in sorted(sums.items()):
        flat.extend((field, unit, add, cost))
        if cost is not None:
            costs.append(cost)
    return flat, (sum(costs, Decimal(0)) if costs else None)


def _totals_built(flat: Sequence[Any]) -> list[Total]:
    """The Total objects of :func:`_totals_flat`."""
    it = iter(flat)
    return [
        Total(field=field, unit=unit, add=add, cost=cost)
        for field, unit, add, cost in zip(it, it, it, it, strict=True)
    ]


_ZERO = Decimal(0)


def _lazy_schools(additions: LazyAdditions, totals: Sequence[Any]) -> tuple[SchoolPlan, ...]:
    """A lean county's per-school summary, from its additions (built if not yet)
    and its totals (:func:`_totals_flat`)."""
    return _schools_by(additions(), dict(zip(totals[::4], totals[2::4], strict=True)))


def _schools(additions: Sequence[Addition], totals: Sequence[Total]) -> tuple[SchoolPlan, ...]:
    return _schools_by(additions, {t.field: t.add for t in totals})


def _schools_by(
    additions: Sequence[Addition], county_total: Mapping[str, Decimal]
) -> tuple[SchoolPlan, ...]:
    """Per school, what it receives (largest first); *county_total*: the county's
    total per resource field."""
    grouped: dict[str, dict[str, list[Addition]]] = {}
    names: dict[str, str] = {}
    for item in additions:
        school_id = item.school_id
        by_field = grouped.get(school_id)
        if by_field is None:
            by_field = grouped[school_id] = {}
        group = by_field.get(item.field)
        if group is None:
            by_field[item.field] = [item]
        else:
            group.append(item)
        names[school_id] = item.name
    totals_of: dict[str, Decimal] = {}  # column: the county's total of its resource
    plans = []
    for school_id, by_field in grouped.items():
        items = []
        shares = []
        school_cost: Decimal | None = None
        for column, group in by_field.items():
            first = group[0]
            if len(group) == 1:  # what the sums below give for one item
                add = _ZERO + first.add
                rules: tuple[str, ...] = (first.rule,)
                cost = None if first.cost is None else _ZERO + first.cost
            else:
                add = sum((g.add for g in group), Decimal(0))
                rules = tuple(dict.fromkeys(g.rule for g in group))
                costs = [g.cost for g in group if g.cost is not None]
                cost = sum(costs, Decimal(0)) if costs else None
            if cost is not None:
                school_cost = (school_cost or Decimal(0)) + cost
            if first.reason != "hire":
                total = totals_of.get(column)
                if total is None:
                    total = totals_of[column] = county_total[_field_of(column)[0]]
                shares.append(float(add / total) if total else 0.0)
            items.append(
                SchoolTotal(
                    field=column,
                    level=first.level,
                    unit=first.unit,
                    add=add,
                    before=first.before,
                    after=first.after,
                    rules=rules,
                    cost=cost,
                )
            )
        share = sum(shares) / len(shares) if shares else 0.0
        plans.append(
            SchoolPlan(
                school_id=school_id,
                name=names[school_id],
                items=tuple(items),
                share=share,
                cost=school_cost,
            )
        )
    plans.sort(key=lambda p: (-(p.cost or 0), -p.share, p.school_id))
    return tuple(plans)


def _resolve_costs(costs: Any) -> Costs | None:
    if costs is None or isinstance(costs, Costs):
        return costs
    if isinstance(costs, str | Path):
        return load_costs(costs)
    raise TypeError(f"costs must be a Costs, a path or None, not {type(costs).__name__}")


def _deciding_thresholds(plan: Plan) -> list[SchoolThreshold]:
    return [
        r
        for r in plan.standard.rules.values()
        if isinstance(r, SchoolThreshold) and plan.decides[r.id]
    ]


def check_plannable(standard: Standard) -> None:
    """A standard with nothing a plan could add to is refused (exit 2 on the CLI)."""
    for rule in standard.rules.values():
        if isinstance(rule, SchoolThreshold) and rule.op in _PLANNED_OPS:
            return
        if isinstance(rule, Coefficients | Composite) and rule.max:
            return
    raise StandardError(
        [
            Problem(
                f"standard {standard.id!r} has no thresholds or caps a plan could meet "
                "by adding resources"
            )
        ],
        summary="nothing to plan for",
    )


class _State(NamedTuple):
    """What the planner reads of a county's evaluation by the core (its name,
    verdict and CVs), without making a Report: ``coefficients`` are the core's
    county findings of CVs and composites, which the Report's Coefficients are
    made from (``value``; ``threshold`` is the cap; ``kind`` "composite")."""

    county: str
    verdict: str
    coefficients: list[CountyFinding]


def _state(core: ColumnarResult, code: int) -> _State:
    """The :class:`_State` of county *code* of *core* (as ``engine.view`` reads it)."""
    return _State(
        core.county_names[code],
        core.verdicts[code],
        [f for f in core.county_findings[code] if isinstance(f, CountyFinding)],
    )


def _cv_flat(before: _State, after: _State) -> list[Any]:
    """Per CV of *before*, flat: rule, level, indicator, cap, value before, value
    in *after* (None when *after* has no such CV), whether it is a composite."""
    after_values = {(f.rule, f.level, f.indicator): f.value for f in after.coefficients}
    flat: list[Any] = []
    extend = flat.extend
    for f in before.coefficients:
        extend(
            (f.rule, f.level, f.indicator, f.threshold, f.value,
             after_values.get((f.rule, f.level, f.indicator)), f.kind == "composite")
        )  # fmt: skip
    return flat


def _cv_changes_of(
    before: list[CountyFinding],
    after: list[CountyFinding],
    methods: Mapping[tuple[str, str], tuple[str, float | None]],
) -> list[CvChange]:
    """The plan's CvChanges from the county's CVs before and after the plan (the
    core's county findings, kept until read) and the planner's methods."""
    return _cv_changes(_cv_flat(_State("", "", before), _State("", "", after)), methods)


def _cv_changes(
    flat: Sequence[Any], methods: Mapping[tuple[str, str], tuple[str, float | None]]
) -> list[CvChange]:
    """The plan's CvChanges from :func:`_cv_flat` and the planner's methods."""
    changes = []
    it = iter(flat)
    for rule, level, indicator, cap, before, after, composite in zip(
        it, it, it, it, it, it, it, strict=True
    ):
        method = methods.get((level, indicator))
        if method is None and composite:
            touched = [
                m
                for k, m in methods.items()
                if k[0] == level and m[0] in (COMPOSITE_METHOD, COMPOSITE_COSTED_METHOD)
            ]
            by_costs = any(m[0] == COMPOSITE_COSTED_METHOD for m in touched)
            label = COMPOSITE_COSTED_METHOD if by_costs else COMPOSITE_METHOD
            method = (label, None) if touched else None
        changes.append(
            CvChange(
                rule=rule,
                level=level,
                indicator=indicator,
                cap=cap,
                before=before,
                after=after,
                method=method[0] if method else None,
                water_level=method[1] if method else None,
            )
        )
    return changes


_NO_METHODS: dict[tuple[str, str], tuple[str, float | None]] = {}


def _unchanged(before: _State) -> CountyPlan:
    return CountyPlan(
        county=before.county,
        verdict_before=before.verdict,
        verdict_after=before.verdict,
        additions=(),
        totals=(),
        total_cost=None,
        coefficients=functools.partial(
            _cv_changes_of, before.coefficients, before.coefficients, _NO_METHODS
        ),
    )


def _plan(
    standard: Standard,
    sites: Sequence[SiteInput],
    before: CountyResult,
    costs: Costs | None,
    core: ColumnarResult | None = None,
    core_values: Mapping[str, Mapping[str, list[float]]] | None = None,
    open_thresholds: Mapping[str, Mapping[tuple[str, int], tuple[str, Fraction | int] | None]]
    | None = None,
    open_choices: Mapping[tuple[str, str, int], SectionChoice | None] | None = None,
) -> tuple[_CountyPlanner, list[Addition]]:
    """Plan one failing county (not yet verified)."""
    planner = _plan_schools(
        standard, sites, costs, core, core_values, open_thresholds, open_choices
    )
    planner.plan_coefficients()
    _refuse_facts(planner, before.findings)
    return planner, planner.additions()


def _plan_schools(
    standard: Standard,
    sites: Sequence[SiteInput],
    costs: Costs | None,
    core: ColumnarResult | None = None,
    core_values: Mapping[str, Mapping[str, list[float]]] | None = None,
    open_thresholds: Mapping[str, Mapping[tuple[str, int], tuple[str, Fraction | int] | None]]
    | None = None,
    open_choices: Mapping[tuple[str, str, int], SectionChoice | None] | None = None,
) -> _CountyPlanner:
    """The school stages of one county's plan: thresholds, k of n, teacher totals."""
    planner = _CountyPlanner(
        standard, sites, costs, core, core_values, open_thresholds, open_choices
    )
    planner.plan_thresholds()
    planner.plan_k_of_n()
    planner.plan_hires()
    return planner


def _refuse_facts(planner: _Planned, findings: Iterable[Any]) -> None:
    """County facts that fail or are missing: listed, never planned.

    *findings* are the county's findings before the plan (a fact's is the full
    Finding in the core's result as in the report).
    """
    if not planner.facts:
        return
    by_rule: dict[str, Any] = {}
    for item in findings:
        by_rule.setdefault(item.rule, item)
    for rule in planner.facts:
        finding = by_rule.get(rule.id)
        if finding is not None and finding.status != "pass":
            planner.refuse(
                rule.id,
                "county fact: not met by adding school resources"
                if finding.status == "fail"
                else f"county fact missing: {', '.join(finding.missing) or rule.fact}",
            )


def _cvs_clear(planner: _Planned, result: _State) -> bool:
    """Whether the core's evaluation *result* of the county under the plan so far
    shows every deciding CV clearly within its cap, so that the water-filling
    stage (whose float screen would find the same) adds and refuses nothing.

    The margin (a relative 2e-9 against the stage's 1e-9) covers the two float
    computations of the same CV; anything closer, missing or undefined goes to
    the stage itself.  Composites always go to the stage.
    """
    if planner.composites:
        return False
    values = {(c.rule, c.level, c.indicator): c.value for c in result.coefficients}
    for rule in planner.coefficients:
        for level in rule.levels:
            cap = rule.max.get(level)
            if cap is None:
                continue
            limit = float(cap) * (1 - 2e-9)
            for indicator in rule.indicators:
                value = values.get((rule.id, level, indicator))
                if value is None or not value < limit:  # NaN: not clear
                    return False
    return True


def _finish(
    planner: _Planned,
    before: _State,
    after: _State,
    costed: bool,
    failing: _Failing,
    group: Group | None = None,
) -> CountyPlan:
    """The verified plan of one county (*failing*: the core's failing deciding rules
    after the plan, see :func:`_verify`).

    A lean county's additions (and so its per-school summary) are built when the
    plan's ``additions`` are first read (with those of every county of *group*);
    its totals (and total cost) are summed at once from the same amounts and
    costs, and made into Total objects when first read.  The CvChanges are made
    when first read, from the values kept flat.
    """
    _verify(after, planner, failing)
    made: tuple[Addition, ...] | LazyAdditions
    totals: tuple[Total, ...] | functools.partial[list[Total]]
    if isinstance(planner, LeanCounty):
        made, sums = planner.plan_parts(group)
        flat, total_cost = _totals_flat(sums)
        totals = functools.partial(_totals_built, flat)
        schools = functools.partial(_lazy_schools, made, flat)
    else:
        made = tuple(planner.additions())
        totals, total_cost = _totals(made)
        schools = functools.partial(_schools, made, totals)
    return CountyPlan(
        county=before.county,
        verdict_before=before.verdict,
        verdict_after=after.verdict,
        additions=made,
        totals=totals,
        total_cost=total_cost if costed else None,
        coefficients=functools.partial(
            _cv_changes_of,
            before.coefficients,
            after.coefficients,
            planner.methods or _NO_METHODS,
        ),
        schools=schools,
        **_refusals_and_options(planner),
    )


def _refusals_and_options(planner: _Planned) -> dict[str, Any]:
    """A plan's ``not_plannable`` and ``floor_options``: a lean county's as
    builders over flat lists (made when first read), the model's as tuples."""
    if isinstance(planner, LeanCounty):
        flat = flat_refusals(planner.not_plannable)
        return {
            "not_plannable": functools.partial(block_refusals, planner.refusal_blocks, flat)
            if planner.refusal_blocks
            else functools.partial(refusals, flat),
            "floor_options": functools.partial(floor_options, planner.floor_options),
        }
    return {
        "not_plannable": tuple(planner.not_plannable.values()),
        "floor_options": tuple(planner.floor_options),
    }


def _verify(after: _State, planner: _Planned, failing: _Failing) -> None:
    """Every deciding rule that fails after the plan must be one the planner listed
    as not plannable; anything else is a bug.

    *failing* is read from the core's statuses of the re-evaluation (every school
    section and every county rule of the county; no finding needs building); the
    failing sections are named only when one is a bug.
    """
    if after.verdict == "pass":  # nothing deciding fails
        return
    refused_rules = (
        planner.refused_rules()
        if isinstance(planner, LeanCounty)
        else {key[0] for key in planner.not_plannable}
    )
    if failing.rules <= refused_rules:
        return
    bad = [
        " ".join(part for part in (school_id, level, rule) if part)
        for rule, school_id, level in failing.details()
        if rule not in refused_rules
    ]
    if bad:
        raise ShortfallBug(
            f"county {after.county!r}: the plan does not pass re-evaluation: " + "; ".join(bad)
        )


Failing = tuple[str, str | None, str | None]


class _Failing(NamedTuple):
    """The deciding rules county *code* of a core *result* fails; each failing
    section (rule, school id, level) named on demand (:func:`failing_rules`)."""

    result: ColumnarResult
    code: int
    rules: set[str]

    def details(self) -> list[Failing]:
        return failing_rules(self.result)[self.code]


def _failing(result: ColumnarResult) -> list[_Failing]:
    """Per county code of *result*: its :class:`_Failing`."""
    return [_Failing(result, code, rules) for code, rules in enumerate(failing_rule_ids(result))]


#: A county's plan from the school stages: on the planner's model or the core's arrays.
_Planned = _CountyPlanner | LeanCounty


def _evaluate_plans(
    core: ColumnarResult, planners: Sequence[_Planned]
) -> dict[str, tuple[_State, _Failing]]:
    """Each planned county evaluated by the core with its additions applied (one
    evaluation for all): its result and its failing deciding rules."""
    if not planners:
        return {}
    changes: dict[int, Mapping[str, Decimal | Fraction | int]] = {}
    names = []
    for planner in planners:
        changes.update(planner.changes())
        names.append(planner.county)
    after_core = evaluate_changed_core(core, names, changes)
    failing = _failing(after_core)
    wanted = set(names)
    return {
        name: (_state(after_core, code), failing[code])
        for code, name in enumerate(after_core.county_names)
        if name in wanted
    }


def plan_shortfall(
    standard: Standard,
    counties: County | Iterable[County],
    costs: Any = None,
    report: Report | None = None,
) -> ShortfallPlan:
    """The plan for every county (sorted by name, like the report)."""
    if isinstance(counties, Report):
        raise TypeError(
            "shortfall needs the counties (the school table), not only a Report: "
            "pass shortfall(standard, counties, report=report)"
        )
    if not isinstance(standard, Standard):
        raise TypeError(f"standard must be a Standard, not {type(standard).__name__}")
    check_plannable(standard)
    resolved = _resolve_costs(costs)
    county_list = [counties] if isinstance(counties, County) else list(counties)
    for item in county_list:
        if not isinstance(item, County):
            raise TypeError(f"counties must hold County objects, not {type(item).__name__}")
    with paused():
        return _plan_counties(standard, county_list, resolved)


def _plan_counties(
    standard: Standard, county_list: Sequence[County], resolved: Costs | None
) -> ShortfallPlan:
    """The plan of every county of *county_list* (checked by :func:`plan_shortfall`)."""
    # The core evaluates once; its result gives the verdicts and CVs before (read
    # as the Report would show them, no Report made) and the sections the planner
    # reads (scope, merged sub-sites, split shares, statuses). A *report* given is
    # of the same core, so the core's own is used.
    core = evaluate_core(standard, county_list)
    code_of = {name: code for code, name in enumerate(core.county_names)}
    sections = county_sections(core)
    deciding_thresholds = _deciding_thresholds(core.plan)
    # thresholds no addition meets: their open sections kept as arrays, not entries
    refused = RefusedSections(
        core,
        standard,
        [r for r in deciding_thresholds if refusal_of(standard, r) is not None],
    )
    open_thresholds = threshold_steps(
        core, standard, deciding_thresholds, skip=frozenset(refused.by_rule)
    )
    open_choices = k_of_n_choices(
        core,
        standard,
        [
            r
            for r in standard.rules.values()
            if isinstance(r, SchoolKOfN) and core.plan.decides[r.id]
        ],
    )
    core_values: dict[str, dict[str, list[float]]] = {}

    def model_values() -> dict[str, dict[str, list[float]]]:
        """Per level and indicator, the core's section values (made when the
        planner's model first needs them)."""
        if not core_values:
            for level in core.levels:
                core_values[level] = {}
                for indicator in standard.indicators:
                    found = indicator_values(core, indicator, level)
                    if found is not None:
                        core_values[level][indicator] = found.tolist()
        return core_values

    plans: list[CountyPlan] = []
    failing_found: list[_Failing] = []

    def failing_before() -> list[_Failing]:
        if not failing_found:
            failing_found.extend(_failing(core))
        return failing_found

    def full_model(name: str, code: int) -> _CountyPlanner:
        """The school stages of one county on the planner's own model."""
        planner = _plan_schools(
            standard,
            county_sites(core, code, sections),
            resolved,
            core,
            model_values(),
            {**open_thresholds[code], **refused.open_of(code)},
            open_choices[code],
        )
        planner.county = name
        return planner

    # Most counties' school stages are read from the core's arrays alone
    # (shortfall.lean: the same plan, or None when the model is needed).
    lean = LeanContext(
        standard,
        core,
        sections,
        open_thresholds,
        open_choices,
        deciding_rules(standard),
        resolved,
        refused,
    )
    staged: list[tuple[_Planned, _State, int]] = []
    for county in county_list:
        code = code_of[county.name]
        before = _state(core, code)
        if before.verdict == "pass":
            plans.append(_unchanged(before))
            continue
        made = lean_county(lean, code, county.name)
        staged.append((made or full_model(county.name, code), before, code))
    # The school stages' additions applied to the core's columns and every county
    # with additions evaluated again, at once: that evaluation verifies the plan
    # of a county whose CVs it shows clearly within their caps (the water-filling
    # stage would add nothing); the others go through that stage and are
    # evaluated once more.
    first = _evaluate_plans(core, [p for p, _b, _c in staged if p.entries])
    done: list[tuple[_Planned, _State, _State, _Failing]] = []
    again: list[tuple[_CountyPlanner, _State]] = []
    for planned, before, code in staged:
        name = before.county
        after, failing = first.get(name) or (before, failing_before()[code])
        if _cvs_clear(planned, after):
            done.append((planned, before, after, failing))
            continue
        # the CV stage needs the planner's model: a lean county's school stages
        # are made again on it (the same additions)
        planner = planned if isinstance(planned, _CountyPlanner) else full_model(name, code)
        planner.seed_cvs(after)
        version = planner.version
        planner.plan_coefficients(rounds=1)
        if planner.version == version:
            done.append((planner, before, after, failing))
        else:
            again.append((planner, before))
    # After one round of water-filling, the core tells which counties' CVs now
    # hold clearly (the model's next round would add nothing: the same plan);
    # the others go on round after round in the model and are evaluated again.
    while again:
        found = _evaluate_plans(core, [p for p, _b in again])
        still: list[tuple[_CountyPlanner, _State]] = []
        for planner, before in again:
            after, failing = found[before.county]
            version = planner.version
            if not _cvs_clear(planner, after):
                planner.plan_coefficients()
            if planner.version == version:
                done.append((planner, before, after, failing))
            else:
                still.append((planner, before))
        again = still
    group: Group = []  # every lean county's additions, made at once
    for planned, before, after, failing in done:
        _refuse_facts(planned, core.county_findings[code_of[before.county]])
        plans.append(_finish(planned, before, after, resolved is not None, failing, group))
    plans.sort(key=lambda p: p.county)
    return ShortfallPlan(
        standard_id=standard.id,
        counties=tuple(plans),
        costed=resolved is not None,
        costs_source=resolved.file if resolved is not None else None,
    )
