"""Hypothesis strategies for schools, counties, county facts and standards.

Needs hypothesis (``pip install 'balance-rules[testing]'``; ``standard_documents``
also needs hypothesis-jsonschema).  Every strategy builds valid library objects:

- :func:`schools` — schools of any type with realistic, skewed values; with a
  ``standard``, some schools sit exactly at, just above or just below one of its
  thresholds;
- :func:`counties` — counties of such schools, with :func:`county_facts`;
- :func:`threshold_perturbations` and :func:`edited_standards` — a bundled or
  loaded standard with small random edits (tighten, loosen, add, remove), each
  edit described;
- :func:`standard_documents` — raw documents generated from the published JSON
  Schema, for fuzzing the loader.

Example::

    from hypothesis import given
    from balance_rules import load_standard
    from balance_rules.testing import check_at_least_as_strict
    from balance_rules.testing.strategies import counties

    NATIONAL = load_standard("national/quality-2017")
    MINE = load_standard("my-county.yaml")

    @given(counties(standard=NATIONAL))
    def test_my_county_is_at_least_as_strict(county):
        check_at_least_as_strict(MINE, NATIONAL, county)
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import attrs

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - hypothesis is an optional extra
    raise ImportError(
        "balance_rules.testing.strategies needs hypothesis: pip install 'balance-rules[testing]'"
    ) from exc

from ..data.fields import FACTS, PERCENT_FACTS, SCHOOL_TYPE_LEVELS
from ..data.model import County, School
from ..standard.loader import standard_from_mapping
from ..standard.model import CountyFact, SchoolThreshold, Standard
from ..standard.schema import standard_schema
from .construct import school_inputs, to_decimal_text

__all__ = [
    "Edit",
    "counties",
    "county_facts",
    "edited_standards",
    "generation_schema",
    "schools",
    "standard_documents",
    "threshold_perturbations",
]

COMPULSORY_TYPES = ("primary", "junior", "nine_year", "twelve_year", "complete_secondary")
ALL_TYPES = (*COMPULSORY_TYPES, "teaching_point", "special", "vocational")


def _decimal(value: float, places: int = 2) -> Decimal:
    return Decimal(repr(round(value, places)))


@st.composite
def _students(draw: st.DrawFn, school_type: str) -> int:
    # Skewed: many small rural schools, a few very large urban ones.
    if school_type == "teaching_point":
        return draw(st.integers(min_value=1, max_value=120))
    band = draw(st.sampled_from((60, 300, 1000, 2600)))
    return draw(st.integers(min_value=1, max_value=band))


@st.composite
def _level_values(draw: st.DrawFn, level: str, students: int) -> dict[str, Any]:
    ratio = draw(st.floats(min_value=11, max_value=24))
    teachers = max(1, round(students / ratio))
    size = 45 if level == "primary" else 50
    classes = max(1, -(-students // size))

    def share(low: float, high: float) -> int:
        return min(teachers, round(teachers * draw(st.floats(min_value=low, max_value=high))))

    return {
        f"{level}_students": students,
        f"{level}_classes": classes,
        f"{level}_max_class_size": min(students, draw(st.integers(min_value=20, max_value=60))),
        f"{level}_teachers": teachers,
        f"{level}_teachers_above_degree": share(0.4, 1.0),
        f"{level}_teachers_mid_title": share(0.2, 0.8),
        f"{level}_backbone_teachers": share(0.0, 0.3),
        f"{level}_pe_art_teachers": share(0.05, 0.25),
        f"{level}_certified_teachers": share(0.9, 1.0),
    }


@st.composite
def _facilities(draw: st.DrawFn, students: int) -> dict[str, Any]:
    def per(low: float, high: float) -> float:
        return students * draw(st.floats(min_value=low, max_value=high))

    return {
        "site_area": _decimal(per(8, 40)),
        "building_area": _decimal(per(3, 12)),
        "teaching_aux_area": _decimal(per(2, 9)),
        "sports_area": _decimal(per(3, 16)),
        "equipment_value": _decimal(per(500, 5000)),
        "computers": round(per(0.03, 0.3)),
        "books": round(per(10, 60)),
        "multimedia_rooms": round(per(0.01, 0.05)),
        "labs": draw(st.integers(min_value=0, max_value=8)),
        "music_rooms": draw(st.integers(min_value=0, max_value=4)),
        "art_rooms": draw(st.integers(min_value=0, max_value=4)),
        "min_music_room_area": draw(st.integers(min_value=60, max_value=120)),
        "min_art_room_area": draw(st.integers(min_value=60, max_value=120)),
    }


@st.composite
def _near_threshold(
    draw: st.DrawFn, standard: Standard, school_id: str, county: str
) -> School | None:
    """A single-level school whose value for one rule is at or next to its threshold."""
    rules = [r for r in standard.rules.values() if isinstance(r, SchoolThreshold)]
    if not rules:
        return None
    rule = draw(st.sampled_from(rules))
    level = draw(st.sampled_from(rule.levels))
    threshold, _ = rule.threshold.for_level(level, None)
    if threshold is None:
        return None
    indicator = standard.indicators[rule.indicator]
    offset = draw(st.sampled_from((Fraction(0), Fraction(1, 100), Fraction(-1, 100))))
    target = Fraction(threshold) * (1 + offset)
    inputs = school_inputs(indicator, level, target)
    if inputs is None:
        return None
    students = int(inputs.get(f"{level}_students", 600))
    values = {**draw(_level_values(level, students)), **draw(_facilities(students)), **inputs}
    return School(
        school_id=school_id, school_name=school_id, county=county, school_type=level, **values
    )


@st.composite
def schools(
    draw: st.DrawFn,
    *,
    school_id: str | None = None,
    county: str = "测试县",
    school_types: Sequence[str] = COMPULSORY_TYPES,
    standard: Standard | None = None,
    location: bool = True,
) -> School:
    """A school of one of *school_types*, with realistic values.

    With *standard*, about one school in three has one indicator exactly at, or
    1 % either side of, one of the standard's school thresholds.
    """
    school_id = school_id or draw(st.from_regex(r"S[0-9]{6}", fullmatch=True))
    if standard is not None and draw(st.integers(min_value=0, max_value=2)) == 0:
        near = draw(_near_threshold(standard, school_id, county))
        if near is not None:
            return near
    school_type = draw(st.sampled_from(tuple(school_types)))
    values: dict[str, Any] = {}
    total = 0
    for level in SCHOOL_TYPE_LEVELS[school_type]:
        students = draw(_students(school_type))
        total += students
        if level == "senior":
            values["senior_students"] = students
        else:
            values.update(draw(_level_values(level, students)))
    values.update(draw(_facilities(total)))
    if location:
        values["location"] = draw(st.sampled_from(("urban", "town", "rural")))
    return School(
        school_id=school_id,
        school_name=f"学校{school_id}",
        county=county,
        school_type=school_type,
        **values,
    )


@st.composite
def county_facts(draw: st.DrawFn, standard: Standard | None = None) -> dict[str, Decimal | bool]:
    """County facts; with *standard*, its facts at, near or away from their thresholds."""
    facts: dict[str, Decimal | bool] = {}
    if standard is None:
        for name, kind in FACTS.items():
            if kind == "bool":
                facts[name] = draw(st.booleans())
            elif name in PERCENT_FACTS:
                facts[name] = draw(st.decimals(min_value=0, max_value=100, places=1))
            else:
                facts[name] = draw(st.decimals(min_value=0, max_value=10000, places=2))
        return facts
    for rule in standard.rules.values():
        if not isinstance(rule, CountyFact):
            continue
        if isinstance(rule.threshold, bool):
            # Mostly as required, so that other rules decide the verdict.
            facts[rule.fact] = draw(st.sampled_from((rule.threshold,) * 4 + (not rule.threshold,)))
        else:
            factor = draw(
                st.sampled_from((Decimal(1), Decimal("1.01"), Decimal("0.99"), Decimal("1.2")))
            )
            value = max(Decimal(0), (rule.threshold * factor).quantize(Decimal("0.0001")))
            if rule.fact in PERCENT_FACTS or rule.fact == "gov_effort_score":
                value = min(value, Decimal(100))  # a rate or score above 100 is refused
            facts[rule.fact] = value
    return facts


@st.composite
def counties(
    draw: st.DrawFn,
    *,
    name: str = "测试县",
    standard: Standard | None = None,
    min_schools: int = 1,
    max_schools: int = 12,
    school_types: Sequence[str] = COMPULSORY_TYPES,
    sub_sites: bool = False,
) -> County:
    """A county of distinct schools and its facts.

    With *sub_sites*, some schools after the first are sub-sites (分校区, not
    counted as schools) of an earlier school or of another sub-site, some of them
    teaching none of a level their parent teaches, so that merging is exercised.
    """
    count = draw(st.integers(min_value=min_schools, max_value=max_schools))
    ids = [f"S{index:04d}" for index in range(count)]
    members = [
        draw(schools(school_id=i, county=name, standard=standard, school_types=school_types))
        for i in ids
    ]
    if sub_sites:
        for index in range(1, count):
            if draw(st.integers(min_value=0, max_value=2)) != 0:
                continue
            parent = members[draw(st.integers(min_value=0, max_value=index - 1))]
            site = attrs.evolve(
                members[index], counted_as_school=False, parent_school_id=parent.school_id
            )
            if draw(st.booleans()):  # a site that teaches only some of the levels
                site = attrs.evolve(site, primary_students=None, primary_classes=None)
            members[index] = site
    return County(name=name, schools=tuple(members), facts=draw(county_facts(standard)))


# -- standards ----------------------------------------------------------------------


@attrs.frozen
class Edit:
    """One change made to a standard: what, where, from and to."""

    kind: Literal["tighten", "loosen", "add", "remove"]
    rule: str
    path: tuple[str, ...]
    old: Any = None
    new: Any = None


_Cell = tuple[str, tuple[str, ...], Decimal, int]


def _numeric_cells(document: dict[str, Any]) -> list[_Cell]:
    """(rule, path, value, +1 when a larger value is stricter) for every numeric limit."""
    cells: list[_Cell] = []
    for rule_id, rule in document["rules"].items():
        kind = rule["kind"]
        if kind in ("school_threshold", "county_fact"):
            up = 1 if rule["op"] in (">=", ">") else -1
            threshold = rule["threshold"]
            if isinstance(threshold, bool):
                continue
            if isinstance(threshold, dict):
                for level, value in threshold.items():
                    if level == "by":
                        continue
                    if isinstance(value, dict):
                        for case, number in value.items():
                            cells.append((rule_id, ("threshold", level, case), Decimal(number), up))
                    else:
                        cells.append((rule_id, ("threshold", level), Decimal(value), up))
            else:
                cells.append((rule_id, ("threshold",), Decimal(threshold), up))
        elif kind in ("coefficients", "composite") and isinstance(rule.get("max"), dict):
            for level, value in rule["max"].items():
                cells.append((rule_id, ("max", level), Decimal(value), -1))
    return cells


def _set(rule: dict[str, Any], path: tuple[str, ...], value: Decimal) -> None:
    node = rule
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@st.composite
def threshold_perturbations(
    draw: st.DrawFn,
    standard: Standard,
    direction: Literal["tighten", "loosen", "either"] = "either",
    max_change: Decimal = Decimal("0.3"),
) -> Edit:
    """A change of one numeric threshold or cap by up to *max_change* (a share)."""
    cells = _numeric_cells(copy.deepcopy(dict(standard.document)))
    rule_id, path, value, up = draw(st.sampled_from(cells))
    kind: Literal["tighten", "loosen"] = (
        draw(st.sampled_from(("tighten", "loosen"))) if direction == "either" else direction
    )
    share = draw(st.decimals(min_value=Decimal("0.01"), max_value=max_change, places=2))
    sign = up if kind == "tighten" else -up
    new = (value * (1 + sign * share)).quantize(Decimal("0.0001"))
    if new <= 0:
        new = value
    return Edit(kind, rule_id, ("rules", rule_id, *path), value, new)


@st.composite
def edited_standards(
    draw: st.DrawFn,
    base: Standard,
    kinds: Sequence[Literal["tighten", "loosen", "add", "remove"]] = (
        "tighten",
        "loosen",
        "add",
        "remove",
    ),
    max_edits: int = 3,
) -> tuple[Standard, tuple[Edit, ...]]:
    """*base* with 1..max_edits random edits of the given kinds, and the edits made.

    The edits are made to the resolved document (no layer, so locks do not apply):
    this is for asking "what if", not for writing a provincial file.
    """
    document = copy.deepcopy(dict(base.document))
    document["id"] = f"{base.id}.edited"
    edits: list[Edit] = []
    members = {
        member
        for rule in document["rules"].values()
        if rule["kind"] == "school_k_of_n"
        for member in rule["rules"]
    }
    for _ in range(draw(st.integers(min_value=1, max_value=max_edits))):
        kind = draw(st.sampled_from(tuple(kinds)))
        if kind in ("tighten", "loosen"):
            edit = draw(threshold_perturbations(standard_from_mapping(document), kind))
            _set(document["rules"][edit.rule], edit.path[2:], edit.new)
        elif kind == "remove":
            removable = sorted(
                r
                for r, rule in document["rules"].items()
                if r not in members and rule["kind"] != "school_k_of_n"
            )
            if not removable:
                continue
            rule_id = draw(st.sampled_from(removable))
            edit = Edit("remove", rule_id, ("rules", rule_id), document["rules"].pop(rule_id), None)
        else:
            numeric = sorted(f for f, k in FACTS.items() if k != "bool")
            fact = draw(st.sampled_from(numeric))
            rule_id = f"added_{len(edits)}_{fact}"
            group = next(iter(g for g, v in document["groups"].items() if v.get("required", True)))
            rule = {
                "kind": "county_fact",
                "group": group,
                "fact": fact,
                "op": ">=",
                "threshold": to_decimal_text(
                    Fraction(draw(st.integers(min_value=1, max_value=100)))
                ),
                "source": {"document": "generated", "article": "generated"},
            }
            document["rules"][rule_id] = rule
            edit = Edit("add", rule_id, ("rules", rule_id), None, rule)
        edits.append(edit)
    return standard_from_mapping(document, name=f"<{document['id']}>"), tuple(edits)


def generation_schema() -> dict[str, Any]:
    """The published schema with each rule kind written out as one ``oneOf`` branch.

    Equivalent to :func:`~balance_rules.standard.schema.standard_schema` (whose
    rules select their kind with ``if``/``then``), in a form hypothesis-jsonschema
    generates from several times faster.
    """
    schema = copy.deepcopy(standard_schema())
    definitions = schema["definitions"]
    rule = definitions["rule"]
    branches = []
    for clause in rule["allOf"]:
        kind = clause["if"]["properties"]["kind"]["const"]
        branch = copy.deepcopy(definitions[clause["then"]["$ref"].rsplit("/", 1)[-1]])
        branch["properties"].update(copy.deepcopy(rule["properties"]))
        branch["properties"]["kind"] = {"const": kind}
        branch["required"] = sorted({*branch["required"], *rule["required"]})
        branches.append(branch)
    definitions["rule"] = {"oneOf": branches}
    return schema


def standard_documents() -> st.SearchStrategy[Any]:
    """Documents valid against the published JSON Schema (not necessarily sound).

    Needs hypothesis-jsonschema, and is slow (seconds per example): use few
    examples.  Loading any such document either succeeds or raises
    :class:`~balance_rules.StandardError` listing its problems.
    """
    try:
        from hypothesis_jsonschema import from_schema
    except ImportError as exc:  # pragma: no cover - optional
        raise ImportError(
            "standard_documents needs hypothesis-jsonschema: pip install 'balance-rules[testing]'"
        ) from exc
    from hypothesis.internal.conjecture import utils

    if not hasattr(utils.many, "more"):  # pragma: no cover - depends on installed versions
        raise ImportError(
            "this hypothesis is too new for hypothesis-jsonschema 0.23 "
            "(install 'balance-rules[testing]', which pins a compatible hypothesis)"
        )
    return from_schema(generation_schema())
