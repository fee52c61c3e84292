"""k of n with a floor: which failing indicators to bring to threshold.

A section passes when at least ``k`` indicators meet their thresholds and every
other one reaches ``floor × T``.  Given, per failing indicator, what it costs to
bring it to ``T`` and to the floor, the cheapest valid choice is found by trying
every subset of the failing ones (at most 2ⁿ, n = 7 → 128).  A combined school's
sections share split facilities, so their choices are tried jointly: a column's
addition is the largest any section needs.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import NamedTuple

__all__ = ["Option", "SectionChoice", "cheapest"]


class Option(NamedTuple):
    """One failing indicator of one section: the column it grows and the amounts.

    (A named tuple: a nation's k-of-n sections make a hundred thousand of them.)
    """

    rule: str
    column: str
    #: Exact amounts: ints for whole-number steps, Fractions otherwise.
    to_threshold: Fraction | int
    to_floor: Fraction | int


class SectionChoice(NamedTuple):
    """The failing options of one section and how many must reach the threshold."""

    options: tuple[Option, ...]
    needed: int


Amounts = dict[tuple[str, str], Fraction | int]  # (column, rule) -> amount


def _subsets(choice: SectionChoice) -> list[tuple[Option, ...]]:
    n = len(choice.options)
    return [
        combo
        for size in range(choice.needed, n + 1)
        for combo in itertools.combinations(choice.options, size)
    ]


def _amounts(picks: Sequence[tuple[SectionChoice, tuple[Option, ...]]]) -> Amounts:
    """Per (column, rule) the largest amount any section needs (its reason kept)."""
    per_column: dict[str, tuple[Fraction | int, str, bool]] = {}
    for choice, chosen in picks:
        names = {o.rule for o in chosen}
        for option in choice.options:
            full = option.rule in names
            amount = option.to_threshold if full else option.to_floor
            current = per_column.get(option.column)
            if current is None or amount > current[0]:
                per_column[option.column] = (amount, option.rule, full)
    return {(col, rule): amount for col, (amount, rule, _full) in per_column.items()}


def cheapest(
    choices: Sequence[SectionChoice],
    cost: Callable[[str, Fraction | int], Fraction],
    limit: int = 1 << 14,
) -> tuple[Amounts, frozenset[str]]:
    """The cheapest joint choice: (column, rule) amounts and the rules taken to T.

    *cost(column, amount)* prices an addition.  Ties go to the smaller total
    amount, then to the first subset in a fixed order (deterministic).  When the
    joint search would exceed *limit* combinations, sections are chosen one by
    one (still valid; the larger per-column amount is taken).
    """
    per_section = [_subsets(c) for c in choices]
    total = 1
    for subsets in per_section:
        total *= max(len(subsets), 1)
    if total > limit:
        picks: list[tuple[SectionChoice, tuple[Option, ...]]] = []
        for choice, subsets in zip(choices, per_section, strict=True):

            def price(subset: tuple[Option, ...], c: SectionChoice = choice) -> Fraction:
                return _price(_amounts([(c, subset)]), cost)

            picks.append((choice, min(subsets, key=price)))
        amounts = _amounts(picks)
        return amounts, frozenset(o.rule for _c, s in picks for o in s)
    best_amounts: Amounts | None = None
    best_key: tuple[Fraction, Fraction | int] | None = None
    best_rules: frozenset[str] = frozenset()
    for combo in itertools.product(*per_section):
        picks = list(zip(choices, combo, strict=True))
        amounts = _amounts(picks)
        key = (_price(amounts, cost), sum(amounts.values(), Fraction(0)))
        if best_key is None or key < best_key:
            best_key, best_amounts = key, amounts
            best_rules = frozenset(o.rule for s in combo for o in s)
    return best_amounts or {}, best_rules


def _price(
    amounts: Mapping[tuple[str, str], Fraction | int],
    cost: Callable[[str, Fraction | int], Fraction],
) -> Fraction:
    return sum((cost(col, a) for (col, _rule), a in amounts.items()), Fraction(0))
