"""County facts, one at a time: the checks the facts reader and :class:`County` share.

A fact's name is recognised under its canonical name or a Chinese alias; a name
that is not a known fact but is close to one is refused as a typo with a
did-you-mean (any other name is kept: a standard may define facts of its own).
Its value is read as a facts-file cell is: yes/no (是/否, 有/无, true/false …)
for yes/no facts, a number (``1,234``, full-width digits, ``95%``) otherwise,
with the range checks of rates, scores and amounts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

import attrs

from ..errors import DataError, Problem, did_you_mean
from .cells import CellError, alias_table, normalise_header, parse_bool, parse_number
from .fields import FACT_ALIASES, FACTS, PERCENT_FACTS

__all__ = [
    "checked_facts",
    "county_facts",
    "fact_typo",
    "fact_value",
    "read_fact",
    "recognise_fact",
    "refuse_fact_typos",
    "standard_facts",
]

_FACT_HEADERS = alias_table({**{n: () for n in FACTS}, **FACT_ALIASES})


def recognise_fact(header: str) -> str | None:
    """The canonical name of a fact (or ``county``) written as *header*, or None."""
    return _FACT_HEADERS.get(normalise_header(header)[0].lower())


def read_fact(
    county: str,
    name: str,
    value: Any,
    *,
    where: Problem | None = None,
    rates: str | None = None,
    header_percent: bool = False,
    known: Collection[str] = (),
    typos: bool = True,
) -> tuple[str, Decimal | bool | None]:
    """One county fact as the facts reader reads it: (canonical name, value or None if blank).

    *rates* is the file's ``rates:`` declaration (``percent``, ``fraction`` or
    None: a bare rate between 0 and 1 is then ambiguous); *header_percent* says
    the column header carried a ``%``.  Raises :class:`DataError` with one
    problem, located at *where*, for a typo of a known fact (with its
    did-you-mean; see :func:`fact_typo`, skipped when *typos* is False) or a
    value that cannot be read.
    """
    where = where if where is not None else Problem("", column=str(name))
    canonical = name if name in FACTS else recognise_fact(name) or name
    typo = fact_typo(county, canonical, known, where) if typos else None
    if typo is not None:
        raise DataError([typo])
    try:
        return canonical, fact_value(canonical, value, rates, header_percent)
    except CellError as exc:
        raise DataError(
            [
                attrs.evolve(
                    where,
                    message=f"county {county!r}: {exc}",
                    message_zh=f"县 {county!r}：{exc.zh or exc}",
                )
            ]
        ) from None


def fact_typo(
    county: str, name: str, known: Collection[str] = (), where: Problem | None = None
) -> Problem | None:
    """The problem of a fact name that is close to a known fact but is none, or None.

    Known are the canonical facts and *known* (a standard's own facts and their
    spellings); any other name far from them all is kept, as a standard may
    define facts of its own.
    """
    if name in FACTS or name in known:
        return None
    suggestion = did_you_mean(name, [*FACTS, *known])
    if suggestion is None:
        return None
    return attrs.evolve(
        where if where is not None else Problem("", column=name),
        message=f"county {county!r}: unknown fact {name!r}",
        suggestion=suggestion,
    )


def fact_value(
    name: str, value: Any, rates: str | None, header_percent: bool
) -> Decimal | bool | None:
    """The value of fact *name* from a cell (None when blank); CellError when unreadable."""
    kind = FACTS.get(name)
    if isinstance(value, bool):
        if kind not in ("bool", None):
            raise CellError(
                f"{name} must be a number, got {value}", f"{name} 应为数值，实际为 {value}"
            )
        return value
    text = str(value).strip() if value is not None else ""
    if kind == "bool" or (
        kind is None and text.lower() in ("yes", "no", "是", "否", "true", "false")
    ):
        return parse_bool(text)
    parsed = parse_number(text)
    if parsed is None:
        return None
    number, percent_sign = parsed
    if name in PERCENT_FACTS:
        if percent_sign or header_percent:
            pass
        elif rates == "fraction":
            if not 0 <= number <= 1:
                raise CellError(
                    f"{name} = {text} is not a fraction, but the file declares `rates: fraction` "
                    "(fractions lie between 0 and 1: write 0.95, or declare `rates: percent`)",
                    f"{name} = {text} 不是小数比率，但文件声明了 `rates: fraction`"
                    "（比率应在 0 与 1 之间，如 0.95；或改为 `rates: percent`）",
                )
            number *= 100
        elif rates is None and 0 < number <= 1:
            raise CellError(
                f"{name} = {text} is ambiguous: write 95 or 95% for a percentage, "
                "or declare `rates: fraction` (or `rates: percent`) in the file",
                f"{name} = {text} 有歧义：百分比请写 95 或 95%，"
                "或在文件中声明 `rates: fraction`（或 `rates: percent`）",
            )
        if not 0 <= number <= 100:
            raise CellError(
                f"{name} = {text} is out of range: a rate lies between 0 % and 100 %",
                f"{name} = {text} 超出范围：比率应在 0% 与 100% 之间",
            )
    elif kind == "number" and number < 0:
        raise CellError(f"{name} = {text} is negative", f"{name} = {text} 是负数")
    elif name == "gov_effort_score" and number > 100:
        raise CellError(
            f"{name} = {text} is out of range: the score lies between 0 and 100",
            f"{name} = {text} 超出范围：得分应在 0 与 100 之间",
        )
    return number


def county_facts(
    county: str, facts: Mapping[str, Any], known: Collection[str] | None = None
) -> dict[str, Decimal | bool]:
    """A county's facts given in code, read as a facts file with ``rates: percent`` is.

    Every entry goes through :func:`read_fact` (names canonicalised, 是/否 and
    ``"95%"`` read, ranges checked); blank values are dropped.  With *known*
    (the names a standard knows besides the canonical facts) a typo of a known
    fact is refused with a did-you-mean; without, names are not judged (a
    County does not know the standard it will be evaluated against).  Raises
    :class:`DataError` listing every problem.
    """
    result: dict[str, Decimal | bool] = {}
    problems: list[Problem] = []
    for key, value in facts.items():
        if value is None:
            continue
        try:
            name, parsed = read_fact(
                county,
                str(key),
                value,
                rates="percent",
                known=known or (),
                typos=known is not None,
            )
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        if parsed is not None:
            result[name] = parsed
    if problems:
        raise DataError(problems, f"county {county!r}: {len(problems)} bad fact(s)")
    return result


def checked_facts(
    facts: Mapping[str, Mapping[str, Any]], known: Collection[str] = ()
) -> dict[str, dict[str, Decimal | bool]]:
    """Facts keyed by county name, each county's read by :func:`county_facts` (typos too).

    Raises DataError listing every problem of every county; TypeError when a
    county's facts are not a mapping.
    """
    result: dict[str, dict[str, Decimal | bool]] = {}
    problems: list[Problem] = []
    for county, given in facts.items():
        if not isinstance(given, Mapping):
            raise TypeError(
                f"facts[{county!r}]: expected a mapping of fact name to value,"
                f" not {type(given).__name__}"
            )
        try:
            result[str(county)] = county_facts(str(county), given, known)
        except DataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataError(problems, f"{len(problems)} bad county fact(s)")
    return result


def refuse_fact_typos(facts: Mapping[str, Mapping[str, Any]], known: Collection[str]) -> None:
    """Raise DataError for every fact name (by county) that :func:`fact_typo` refuses."""
    problems = [
        problem
        for county, given in facts.items()
        for name in given
        if (problem := fact_typo(str(county), str(name), known)) is not None
    ]
    if problems:
        raise DataError(problems, f"{len(problems)} unknown county fact(s)")


def standard_facts(standard: Any) -> frozenset[str]:
    """The facts a standard's rules read, under every spelling the standard gives them."""
    names: set[str] = set()
    for rule in standard.rules.values():
        fact = getattr(rule, "fact", None)
        if fact is None:
            continue
        field = standard.extra_fields.get(fact)
        names.update((str(fact), *(field.spellings if field is not None else ())))
    return frozenset(names)
