"""The school stages of a county's plan read straight from the core's arrays.

The planner's per-county model (:mod:`balance_rules.shortfall.county`) keeps a
School, exact column values and float caches for every site of a county: what
the water-filling stage and the exact per-section paths need.  Most failing
counties need neither: every failing threshold of theirs already has its least
addition from the nation-wide NumPy pass (:mod:`balance_rules.shortfall.steps`),
or fails a rule no addition meets (refused with a reason that does not depend on
the section), and every failing k-of-n section has its choice from that pass.
For such a county this module makes the same plan — the same additions in the
same order, the same refusals, floor options and teacher hires — from the core's
result alone, touching only the schools that receive something.

Anything else (a section the NumPy pass left to the planner's model, a k-of-n
section whose member columns the plan changed, thresholds by school size) makes
:func:`lean_county` return None, and the county goes through the planner's own
model.  With costs, k of n takes the cheapest valid choice
(:func:`balance_rules.shortfall.k_of_n.cheapest`) as the model does.  The CV
stage runs afterwards on the core's re-evaluation, exactly as for the other
counties (``planner._plan_counties``).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..collector import paused
from ..data.fields import LEVEL_SUFFIXES, LEVELS, SCHOOL_TYPE_LEVELS
from ..data.model import School
from ..engine.columnar import ColumnarResult
from ..engine.inputs import FAIL
from ..sections import merged_site, section_shares
from ..standard.model import SchoolKOfN, SchoolThreshold, Standard
from .costs import Costs
from .k_of_n import SectionChoice, cheapest
from .model import Addition, FloorOption, NotPlannable
from .resources import RESOURCES
from .steps import OpenChoices, OpenThresholds, RefusedSections
from .thresholds import indicator_addition

__all__ = [
    "Group",
    "LazyAdditions",
    "LeanContext",
    "LeanCounty",
    "block_refusals",
    "flat_refusals",
    "floor_options",
    "lean_county",
    "refusals",
    "whole_around",
]

#: An exact number: a whole one as an int (fast), otherwise a Fraction.
Exact = Fraction | int
#: (row, column, amount, rule, indicator, reason, level)
Entry = tuple[int, str, Exact, str, str | None, str, str | None]


class LeanContext:
    """What every county's lean plan reads: the core's result and the nation-wide
    least additions and choices, and the standard's deciding rules (from the
    planner, so that both paths plan for the same rules)."""

    def __init__(
        self,
        standard: Standard,
        core: ColumnarResult,
        sections: Sequence[dict[int, list[tuple[str, int]]]],
        open_thresholds: OpenThresholds,
        open_choices: OpenChoices,
        rules: Any,
        costs: Costs | None = None,
        refused: RefusedSections | None = None,
    ) -> None:
        from .planner import refusal_of

        #: The sections of the thresholds no addition meets (None: read from
        #: *open_thresholds* like the others).
        self.refused = refused
        self.level_names = tuple(standard.levels)
        self.standard = standard
        self.costs = costs
        self.core = core
        self.sections = sections
        self.open_thresholds = open_thresholds
        self.open_choices = open_choices
        self.thresholds: list[SchoolThreshold] = rules.thresholds
        self.k_of_n: list[SchoolKOfN] = rules.k_of_n
        self.coefficients = rules.coefficients
        self.composites = rules.composites
        self.facts = rules.facts
        self.level_order = {level: n for n, level in enumerate(standard.levels)}
        self.refusals = {rule.id: refusal_of(standard, rule) for rule in self.thresholds}
        self.statuses = {key: outcome.status for key, outcome in core.outcomes.items()}
        #: Per level: the table row of each section (as a list of ints).
        self.level_rows = {level: part.rows.tolist() for level, part in core.levels.items()}
        #: Per rule: the indicator it reads (None for a rule without one).
        self.indicator_of = {
            rule_id: getattr(rule, "indicator", None) for rule_id, rule in standard.rules.items()
        }
        self.limits: dict[tuple[str, str, object], str | None] = {}
        #: (rule, level): the reduction a threshold by level alone needs, as refused.
        self.reductions: dict[tuple[str, str], str] = {}
        self._status_lists: dict[tuple[str, str], list[int]] = {}
        self._school_ids: list[str] | None = None
        self.member_columns: dict[tuple[str, str], frozenset[str]] = {}
        self.split_items = frozenset(standard.split.items)
        from .planner import _NOT_HIRED

        #: Per k-of-n rule: its threshold members and, per level, whether they apply.
        self.k_of_n_members: dict[str, tuple[list[SchoolThreshold], dict[str, bool]]] = {}
        for rule in self.k_of_n:
            members = [
                m for m in (standard.rules[r] for r in rule.rules)
                if isinstance(m, SchoolThreshold)
            ]  # fmt: skip
            applies = {lv: any(lv in m.levels for m in members) for lv in standard.levels}
            self.k_of_n_members[rule.id] = (members, applies)
        #: (member rule, column): (indicator, unit) of a floor option.
        self.floor_kinds: dict[tuple[str, str], tuple[str, str]] = {}
        #: Per column: the level whose teacher total a hire into it grows (None: no hire).
        self.hire_levels: dict[str, str | None] = {}
        #: Per level: the teacher columns grown without hiring (upgrades, designations).
        self.upgraded = {
            level: frozenset(f"{level}_{suffix}" for suffix in _NOT_HIRED)
            for level in standard.levels
        }
        self.any_upgraded = frozenset().union(*self.upgraded.values())
        #: Per column: (resource field, unit, mode) of its additions.
        self.kinds: dict[str, tuple[str, str, str]] = {}

    def status_list(self, rule: str, level: str) -> list[int]:
        """The core's statuses of a rule's sections of *level*, as a list (made once)."""
        found = self._status_lists.get((rule, level))
        if found is None:
            found = self._status_lists[(rule, level)] = self.statuses[(rule, level)].tolist()
        return found

    def school_ids(self) -> list[str]:
        """The school id of each table row, as a list (made once)."""
        if self._school_ids is None:
            self._school_ids = self.core.table.text["school_id"].tolist()
        return self._school_ids


class LeanCounty:
    """One county's plan from the school stages, made on the core's arrays."""

    def __init__(self, ctx: LeanContext, code: int, county: str) -> None:
        self.ctx = ctx
        self.code = code
        self.county = county
        self.entries: list[Entry] = []
        self.added: dict[int, dict[str, Exact]] = {}
        #: (rule, school_id, level, indicator): the reason (made into NotPlannable
        #: objects when the plan's ``not_plannable`` is first read).
        self.not_plannable: dict[tuple[str, str | None, str | None, str | None], str] = {}
        #: The floor options, flat: school_id, level, rule, indicator, field, saves
        #: (exact), unit for each (made into FloorOption objects when first read).
        self.floor_options: list[Any] = []
        #: Refused sections of the thresholds no addition meets, per rule, before
        #: ``not_plannable``'s: (rule, indicator, school ids, levels, reasons).
        self.refusal_blocks: list[tuple[str, str, list[str], list[str], list[str]]] = []
        self.methods: dict[tuple[str, str], tuple[str, float | None]] = {}
        self.facts = ctx.facts
        self.coefficients = ctx.coefficients
        self.composites = ctx.composites
        self._schools: dict[int, School] = {}
        self._raw: dict[tuple[int, str], Exact | None] = {}

    # -- what the planner's model would read ------------------------------------------

    def school(self, row: int) -> School:
        """The school of a table row with its sub-sites merged in (the core's merge)."""
        found = self._schools.get(row)
        if found is None:
            core = self.ctx.core
            kids = core.children.get(row)
            table = core.table
            found = (
                merged_site([table.school(r) for r in [row, *kids]]) if kids else table.school(row)
            )
            self._schools[row] = found
        return found

    def raw(self, row: int, column: str) -> Exact | None:
        key = (row, column)
        if key in self._raw:
            return self._raw[key]
        value = self.school(row).value(column)
        found: Exact | None = None
        if value is not None:
            top, bottom = value.as_integer_ratio()
            found = top if bottom == 1 else Fraction(top, bottom)
        self._raw[key] = found
        return found

    def column(self, row: int, column: str) -> Exact | None:
        value = self.raw(row, column)
        if value is None:
            return None
        added = self.added.get(row, {}).get(column)
        return value if added is None else value + added

    def refuse(
        self,
        rule: str,
        reason: str,
        school_id: str | None = None,
        level: str | None = None,
        indicator: str | None = None,
    ) -> None:
        key = (rule, school_id, level, indicator)
        if key not in self.not_plannable:
            self.not_plannable[key] = reason

    def _add(self, entry: Entry) -> None:
        row, column, amount = entry[0], entry[1], entry[2]
        if amount <= 0:
            return
        if isinstance(amount, Fraction) and amount.denominator == 1:
            amount = amount.numerator
            entry = (row, column, amount, entry[3], entry[4], entry[5], entry[6])
        columns = self.added.setdefault(row, {})
        current = columns.get(column)
        columns[column] = amount if current is None else current + amount
        self.entries.append(entry)

    def changes(self) -> dict[int, dict[str, Exact]]:
        """Per table row, each column's total addition (exact, every one positive:
        :meth:`_add` takes positive amounts only)."""
        return {row: columns for row, columns in self.added.items() if columns}

    # -- the stages ---------------------------------------------------------------------

    def _limit(self, rule: SchoolThreshold, level: str, row: int) -> str | None:
        """The section's threshold as the planner's message shows it (None: unknown)."""
        by = rule.threshold.by
        if by == "size":
            return None
        attribute = getattr(self.school(row), by) if by else None
        key = (rule.id, level, attribute)
        cache = self.ctx.limits
        if key not in cache:
            value, _case = rule.threshold.for_level(level, attribute)
            cache[key] = None if value is None else str(Fraction(value))
        return cache[key]

    def _value(self, row: int, level: str, field: str) -> Fraction | None:
        """A level-free field of the (unchanged) section, exactly (the model's
        ``WorkCounty.value``)."""
        if field in ("school_students", "school_classes"):
            suffix = "students" if field == "school_students" else "classes"
            total = Fraction(0)
            for lv in SCHOOL_TYPE_LEVELS[self.school(row).school_type]:
                if lv not in LEVELS:
                    continue
                part = self.raw(row, f"{lv}_{suffix}")
                if part is None:
                    return None
                total += part
            return total
        column, share = self._column_of(row, level, field)
        if column is None or share is None:
            return None
        whole = self.raw(row, column)
        return None if whole is None else whole * share

    def _column_of(self, row: int, level: str, field: str) -> tuple[str | None, Fraction | None]:
        if field in LEVEL_SUFFIXES:
            return f"{level}_{field}", Fraction(1)
        if field in ("school_students", "school_classes"):
            return None, None
        if field in self.ctx.split_items:
            shares = section_shares(self.school(row), self.ctx.standard.split)
            return field, None if shares is None else shares[level]
        return field, Fraction(1)

    def _exact_need(
        self, rule: SchoolThreshold, level: str, row: int
    ) -> tuple[str, Fraction] | None:
        """The least addition meeting *rule* at an unchanged section, exactly (the
        model's ``growth`` and ``least_addition``); None when the model must say why
        not."""
        indicator = self.ctx.standard.indicators[rule.indicator]
        resource = RESOURCES[indicator.numerator[0]]
        column, share = self._column_of(row, level, indicator.numerator[0])
        if column is None or not share:
            return None
        numerator = Fraction(0)
        for name in indicator.numerator:
            part = self._value(row, level, name)
            if part is None:
                return None
            numerator += part
        den = None
        if indicator.denominator is not None:
            den = self._value(row, level, indicator.denominator)
            if not den:
                return None
        by = rule.threshold.by
        if by == "size":
            return None
        limit, _case = rule.threshold.for_level(
            level, getattr(self.school(row), by) if by else None
        )
        if limit is None:
            return None
        amount = indicator_addition(
            indicator, resource, numerator=numerator, denominator=den,
            threshold=Fraction(limit), op=rule.op, share=share,
        )  # fmt: skip
        return column, amount

    def thresholds(self) -> bool:
        from .planner import _field_of

        ctx = self.ctx
        open_here = ctx.open_thresholds[self.code]
        ids = ctx.school_ids()
        rows = ctx.level_rows
        order = ctx.level_order
        refused = self.not_plannable
        best: dict[tuple[int, str], Entry] = {}
        for rule in ctx.thresholds:
            refusal = ctx.refusals[rule.id]
            if refusal is not None and ctx.refused is not None:
                if not self._refuse_all(rule, refusal, ctx.refused):
                    return False
                continue
            found = open_here.get(rule.id)
            if not found:
                continue
            for (level, index), amount in sorted(
                found.items(), key=lambda item: (rows[item[0][0]][item[0][1]], order[item[0][0]])
            ):  # the county's section order (row, then level)
                row = rows[level][index]
                if amount is None:
                    if ctx.status_list(rule.id, level)[index] != FAIL:
                        return False
                    if refusal is None:  # near a whole step: the exact least addition
                        amount = self._exact_need(rule, level, row)
                        if amount is None:
                            return False
                if amount is not None:  # the largest addition to a column is kept
                    column, value = amount
                    key = (row, column)
                    if key not in best or value > best[key][2]:
                        lv = level if _field_of(column)[1] else None
                        best[key] = (row, column, value, rule.id, rule.indicator, "threshold", lv)
                    continue
                assert refusal is not None  # (no amount: the rule is refused)
                reason = refusal
                if reason == "":
                    known_reason = ctx.reductions.get((rule.id, level))  # a threshold by level
                    if known_reason is not None:
                        reason = known_reason
                    else:
                        limit = self._limit(rule, level, row)
                        if limit is None:
                            return False
                        reason = f"needs a reduction ({rule.op} {limit}), not an addition"
                        if not rule.threshold.by:
                            ctx.reductions[(rule.id, level)] = reason
                key_refused = (rule.id, str(ids[row]), level, rule.indicator)
                if key_refused not in refused:
                    refused[key_refused] = reason
        for entry in best.values():
            self._add(entry)
        return True

    def _refuse_all(self, rule: SchoolThreshold, refusal: str, refused: RefusedSections) -> bool:
        """Every open section of a threshold no addition meets, refused (kept as a
        block, made into NotPlannable items when read); False when the model
        must decide (a section not evaluated, a threshold by school size)."""
        ctx = self.ctx
        got = refused.of_county(rule.id, self.code)
        if got is None:
            return True
        rows, level_codes, status = got
        if (status != FAIL).any():
            return False
        names = ctx.level_names
        levels = [names[c] for c in level_codes.tolist()]
        row_list = rows.tolist()
        if refusal != "":
            reasons = [refusal] * len(levels)
        elif rule.threshold.by:  # the threshold depends on the school
            reasons = []
            for row, level in zip(row_list, levels, strict=True):
                limit = self._limit(rule, level, row)
                if limit is None:
                    return False
                reasons.append(f"needs a reduction ({rule.op} {limit}), not an addition")
        else:
            by_level: dict[str, str] = {}
            for level, row in zip(levels, row_list, strict=True):
                if level in by_level:
                    continue
                reason = ctx.reductions.get((rule.id, level))
                if reason is None:
                    limit = self._limit(rule, level, row)
                    if limit is None:
                        return False
                    reason = ctx.reductions[(rule.id, level)] = (
                        f"needs a reduction ({rule.op} {limit}), not an addition"
                    )
                by_level[level] = reason
            reasons = [by_level[level] for level in levels]
        ids = ctx.school_ids()
        self.refusal_blocks.append(
            (rule.id, rule.indicator, [ids[row] for row in row_list], levels, reasons)
        )
        return True

    def refused_rules(self) -> set[str]:
        """The ids of the rules refused so far."""
        return {block[0] for block in self.refusal_blocks} | {k[0] for k in self.not_plannable}

    def k_of_n(self) -> bool:
        from .planner import _all_to_threshold, _field_of, _read_columns, price

        ctx = self.ctx
        known = ctx.open_choices[self.code]
        sections = ctx.sections[self.code]
        rows_of = ctx.level_rows
        order = ctx.level_order
        floor_kinds = ctx.floor_kinds
        floor_options = self.floor_options
        indicator_of = ctx.indicator_of
        for rule in ctx.k_of_n:
            members, applies = ctx.k_of_n_members[rule.id]
            # A section of a school the plan changed in a column its members read
            # needs the model (the core's decision no longer holds).
            for row, added in self.added.items():
                for level, _index in sections[row]:
                    if not applies.get(level, False):
                        continue
                    key_columns = (rule.id, level)
                    columns = ctx.member_columns.get(key_columns)
                    if columns is None:
                        columns = ctx.member_columns[key_columns] = _read_columns(
                            ctx.standard, members, level
                        )
                    if not columns.isdisjoint(added):
                        return False
            # The failing sections, in the county's section order (row, then level).
            found = []
            for (rule_id, level, index), choice in known.items():
                if rule_id != rule.id or not applies.get(level, False):
                    continue
                if choice is None:
                    return False
                found.append((rows_of[level][index], order[level], level, choice))
            found.sort(key=lambda item: (item[0], item[1]))
            by_site: dict[int, list[tuple[str, SectionChoice]]] = {}
            for row, _order, level, choice in found:
                by_site.setdefault(row, []).append((level, choice))
            school_ids = ctx.school_ids()
            costs = ctx.costs
            for row, items in by_site.items():
                choices = [c for _level, c in items]
                if costs is not None:  # the cheapest valid choice
                    amounts, _taken = cheapest(choices, functools.partial(price, costs))
                    items = []  # no floor options with costs
                else:
                    amounts = _all_to_threshold(choices)
                sid = str(school_ids[row])
                for level, choice in items:  # the floor options (no costs)
                    if len(choice.options) - 1 < choice.needed:
                        continue
                    for option in choice.options:
                        saves = option.to_threshold - option.to_floor
                        if saves <= 0:
                            continue
                        kind_key = (option.rule, option.column)
                        kind = floor_kinds.get(kind_key)
                        if kind is None:
                            member = ctx.standard.rules[option.rule]
                            kind = floor_kinds[kind_key] = (
                                getattr(member, "indicator", option.rule),
                                RESOURCES[_field_of(option.column)[0]].unit_zh,
                            )
                        floor_options.extend(
                            (sid, level, rule.id, kind[0], option.column, saves, kind[1])
                        )
                # Without costs every amount is some option's amount to its
                # threshold (a reason "threshold"); with costs, those that are not
                # stop at the floor.
                targets: dict[tuple[str, str], list[Fraction | int]] | None = None
                if costs is not None:
                    targets = {}
                    for c in choices:
                        for o in c.options:
                            if o.to_threshold > 0:
                                targets.setdefault((o.rule, o.column), []).append(o.to_threshold)
                for (column, member_id), amount in sorted(amounts.items()):
                    indicator = indicator_of[member_id]
                    full = targets is None or amount in targets.get((member_id, column), ())
                    self._add(
                        (
                            row,
                            column,
                            amount,
                            rule.id,
                            indicator,
                            "threshold" if full else "floor",
                            _field_of(column)[1],
                        )
                    )
        return True

    def hires(self) -> None:
        from .planner import _NOT_HIRED, _field_of

        by_site: dict[int, dict[str, Exact]] = {}  # rows with hires: level → persons
        hire_levels = self.ctx.hire_levels
        for row, column, amount, _rule, _indicator, reason, _level in self.entries:
            if reason != "hire":
                if column in hire_levels:
                    lv = hire_levels[column]
                else:
                    field, lv = _field_of(column)
                    if lv is not None and not (
                        field == "teachers" or RESOURCES[field].mode == "hire"
                    ):
                        lv = None
                    hire_levels[column] = lv
                if lv is not None:
                    levels = by_site.get(row)
                    if levels is None:
                        levels = by_site[row] = {}
                    current = levels.get(lv)
                    levels[lv] = amount if current is None else current + amount
        upgraded = self.ctx.upgraded
        any_upgraded = self.ctx.any_upgraded
        levels_of = self.ctx.standard.levels
        # the schools hiring or upgrading anyone, in table order (no other school
        # gets anything here)
        candidates = set(by_site)
        candidates.update(
            row for row, added in self.added.items() if not any_upgraded.isdisjoint(added)
        )
        no_hires: dict[str, Exact] = {}
        for row in sorted(candidates):
            hires = by_site.get(row, no_hires)
            added = self.added.get(row, {})
            touched = any_upgraded.intersection(added)
            if not hires and not touched:
                continue  # nothing hired or upgraded at any level
            for level in levels_of:
                if level not in hires and not any(
                    added[column] for column in upgraded[level].intersection(touched)
                ):
                    continue  # nothing hired or upgraded at the level
                total_col = f"{level}_teachers"
                raw_total = self.raw(row, total_col)
                if raw_total is None:
                    continue
                need = raw_total + hires.get(level, 0)
                for suffix in _NOT_HIRED:
                    col = f"{level}_{suffix}"
                    if not added.get(col):
                        continue
                    now = self.column(row, col)
                    if now is not None:
                        need = max(need, now)
                grow = need - (self.column(row, total_col) or 0)
                if grow > 0:
                    self._add((row, total_col, grow, "hire", None, "hire", level))
                    certified = f"{level}_certified_teachers"
                    if self.raw(row, certified) is not None:
                        self._add((row, certified, grow, "hire", None, "hire", level))

    def additions(self) -> list[Addition]:
        """The county's Addition objects (built at once; the plan builds them lazily
        through :meth:`plan_parts`)."""
        return list(self.plan_parts()[0]())

    def plan_parts(
        self, group: Group | None = None
    ) -> tuple[LazyAdditions, dict[str, tuple[Decimal, str, Decimal | None]]]:
        """The plan's additions as a builder (made into Addition objects when first
        called; *group*: the builders of a run's other counties, made at the same
        time) and, per resource field, the plan's total (add, unit, cost): the sums
        of the additions' ``add`` and ``cost`` in their order, as the planner's
        ``_totals`` makes them from Addition objects, without building one."""
        from .planner import _exact, _field_of, price

        costs = self.ctx.costs
        merged: dict[tuple[int, str, str, str], list[Any]] = {}
        for entry in self.entries:
            key = (entry[0], entry[1], entry[3], entry[5])
            found = merged.get(key)
            if found is None:
                merged[key] = [entry, entry[2]]
            else:
                found[1] = found[1] + entry[2]
        kinds = self.ctx.kinds  # column: (resource field, unit, mode)
        #: Per field: [whole amounts' sum, the other amounts' Decimal sum, unit, cost]
        sums: dict[str, list[Any]] = {}
        items: list[Any] = []  # flat, per addition: see LazyAdditions
        extend = items.extend
        added = self.added
        raw = self._raw
        schools: dict[int, School] = {}
        for (row, column, rule, reason), (entry, amount) in merged.items():
            kind = kinds.get(column)
            if kind is None:
                field = _field_of(column)[0]
                resource = RESOURCES[field]
                kind = kinds[column] = (field, resource.unit_zh, resource.mode)
            total = sums.get(kind[0])
            if total is None:
                total = sums[kind[0]] = [0, None, kind[1], None]
            if amount.__class__ is int:
                total[0] += amount
            else:
                part = _decimal(amount)
                total[1] = part if total[1] is None else total[1] + part
            cost = None
            if costs is not None and reason != "hire":
                cost = _exact(price(costs, column, amount))
                total[3] = (total[3] or _ZERO) + cost  # as the planner's _totals
            extend(
                (row, column, rule, reason, entry[6], entry[4], amount, cost,
                 added[row][column], raw.get((row, column), _UNREAD))
            )  # fmt: skip
            if row not in schools:
                schools[row] = self.school(row)
        # Whole amounts summed as ints give the Decimal the Decimal sums give (an
        # exact sum has the smallest exponent of its terms, 0 for whole ones).
        totals = {
            field: (
                Decimal(whole) if other is None else Decimal(whole) + other,
                unit,
                cost,
            )
            for field, (whole, other, unit, cost) in sums.items()
        }
        made = LazyAdditions(items, schools, kinds, group)
        if group is not None:
            group.append(weakref.ref(made))
        return made, totals


#: The builders of one run's lean counties (made at once), by weak reference.
Group = list["weakref.ref[LazyAdditions]"]
#: A column value not read while planning (read from the school when needed).
_UNREAD = object()
_ZERO = Decimal(0)


class LazyAdditions:
    """A lean county's Addition objects, made when first called (then kept).

    Holds only the county's plan data (per addition: row, column, rule, reason,
    level, indicator, amount, cost, the column's total addition and its exact
    value if read; the schools), so a plan that holds it pickles as before.
    The builders of one run share a *group*: the first one called makes every
    group member's objects at once with the collector paused (an output reads
    them all; made one county at a time with the collector running, the
    collector's passes over a nation's objects would cost more than the objects).
    Pickling keeps a builder's own data, not its group.  The group holds weak
    references (no cycle: a plan dropped unread is freed at once).
    """

    __slots__ = ("__weakref__", "_group", "_items", "_kinds", "_made", "_schools")

    def __init__(
        self,
        items: list[Any],
        schools: dict[int, School],
        kinds: dict[str, tuple[str, str, str]],
        group: Group | None = None,
    ) -> None:
        self._group = group
        self._items = items
        self._schools = schools
        self._kinds = kinds
        self._made: tuple[Addition, ...] | None = None

    def __getstate__(self) -> tuple[Any, ...]:
        items = [None if item is _UNREAD else item for item in self._items]
        unread = [n for n, item in enumerate(self._items) if item is _UNREAD]
        return (items, unread, self._schools, self._kinds, self._made)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        items, unread, self._schools, self._kinds, self._made = state
        for n in unread:
            items[n] = _UNREAD
        self._items = items
        self._group = None

    def __call__(self) -> tuple[Addition, ...]:
        made = self._made
        if made is None:
            with paused():  # many small acyclic objects (see balance_rules.collector)
                made = self._made = tuple(self._build())
                for ref in self._group or ():
                    member = ref()
                    if member is not None and member._made is None:
                        member._made = tuple(member._build())
                        member._group = None
                self._group = None
        return made

    def _build(self) -> list[Addition]:
        it = iter(self._items)
        schools = self._schools
        kinds = self._kinds
        around: dict[tuple[int, str], tuple[Decimal | None, Decimal | None]] = {}
        result: list[Addition] = []
        append = result.append
        for row, column, rule, reason, level, indicator, amount, cost, added, raw in zip(
            it, it, it, it, it, it, it, it, it, it, strict=True
        ):
            school = schools[row]
            values = around.get((row, column))
            if values is None:
                values = around[(row, column)] = _around(school, column, added, raw)
            kind = kinds[column]
            append(
                Addition(
                    school_id=school.school_id,
                    name=school.school_name,
                    level=level,
                    field=column,
                    add=_decimal(amount),
                    unit=kind[1],
                    rule=rule,
                    indicator=indicator,
                    mode=kind[2] if reason != "hire" else "hire",  # type: ignore[arg-type]
                    before=values[0],
                    after=values[1],
                    cost=cost,
                    reason=reason,
                )
            )
        return result


def _around(
    school: School, column: str, added: Exact | None, raw: Any
) -> tuple[Decimal | None, Decimal | None]:
    """A column's value before and after the plan's additions (*added*: their
    total; *raw*: the exact value read while planning, or ``_UNREAD``), as the
    planner's ``_exact`` gives them (whole numbers without exponent, others
    without trailing zeros); straight from the Decimal when the addition is whole."""
    if raw is _UNREAD:
        value = school.value(column)
        if value is None:
            return None, None
        if (added is None or added.__class__ is int) and value.adjusted() < 18:
            return whole_around(value, added)
        top, bottom = value.as_integer_ratio()
        raw = top if bottom == 1 else Fraction(top, bottom)
    if raw is None:
        return None, None
    after = raw if added is None else raw + added
    return _decimal(raw), _decimal(after)


def whole_around(value: Decimal, added: int | None) -> tuple[Decimal, Decimal]:
    """*value* and *value* + *added* (a whole number, or None for nothing) as the
    planner's ``_exact`` writes the exact numbers: whole numbers without exponent,
    others without trailing zeros.  For values of fewer than 18 integer digits."""
    top, bottom = value.as_integer_ratio()
    if bottom == 1:
        return Decimal(top), Decimal(top if added is None else top + added)
    plain = value.normalize()
    return plain, plain if added is None else (value + added).normalize()


def _decimal(value: Exact) -> Decimal:
    """An exact amount as a Decimal (the planner's ``_exact``; ints directly)."""
    if value.__class__ is int:
        return Decimal(value)
    from .planner import _exact

    return _exact(value)


def flat_refusals(
    not_plannable: dict[tuple[str, str | None, str | None, str | None], str],
) -> list[str | None]:
    """A lean county's not-plannable items (:attr:`LeanCounty.not_plannable`) as
    one flat list (rule, school_id, level, indicator, reason for each): what a
    plan keeps until they are read (one list instead of a tuple per item)."""
    flat: list[str | None] = []
    extend = flat.extend
    append = flat.append
    for key, reason in not_plannable.items():
        extend(key)
        append(reason)
    return flat


def block_refusals(
    blocks: Sequence[tuple[str, str, list[str], list[str], list[str]]], flat: Sequence[Any]
) -> list[NotPlannable]:
    """A lean county's not-plannable items: its refusal blocks
    (:attr:`LeanCounty.refusal_blocks`), then :func:`flat_refusals`' items, in
    that order, each (rule, school, level, indicator) once (the first reason)."""
    found: dict[tuple[str, str | None, str | None, str | None], str] = {}
    for rule, indicator, sids, levels, reasons in blocks:
        for sid, level, reason in zip(sids, levels, reasons, strict=True):
            key = (rule, str(sid), level, indicator)
            if key not in found:
                found[key] = reason
    it = iter(flat)
    for rule, school, level, indicator, reason in zip(it, it, it, it, it, strict=True):
        if (rule, school, level, indicator) not in found:
            found[(rule, school, level, indicator)] = reason
    return [
        NotPlannable(rule=rule, reason=reason, school_id=school, level=level, indicator=indicator)
        for (rule, school, level, indicator), reason in found.items()
    ]


def refusals(flat: Sequence[Any]) -> list[NotPlannable]:
    """The NotPlannable items of :func:`flat_refusals`, in the order refused."""
    it = iter(flat)
    return [
        NotPlannable(rule=rule, reason=reason, school_id=school, level=level, indicator=indicator)
        for rule, school, level, indicator, reason in zip(it, it, it, it, it, strict=True)
    ]


def floor_options(flat: Sequence[Any]) -> list[FloorOption]:
    """The FloorOption items of a lean county's flat :attr:`LeanCounty.floor_options`."""
    it = iter(flat)
    return [
        FloorOption(
            school_id=school,
            level=level,
            rule=rule,
            indicator=indicator,
            field=field,
            saves=_decimal(saves),
            unit=unit,
        )
        for school, level, rule, indicator, field, saves, unit in zip(
            it, it, it, it, it, it, it, strict=True
        )
    ]


def lean_county(ctx: LeanContext, code: int, county: str) -> LeanCounty | None:
    """The school stages of one county's plan from the core's arrays, or None when
    the county needs the planner's own model (see the module's docstring)."""
    lean = LeanCounty(ctx, code, county)
    if not lean.thresholds() or not lean.k_of_n():
        return None
    lean.hires()
    return lean
