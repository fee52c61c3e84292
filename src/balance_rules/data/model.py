"""The data objects the engine evaluates: :class:`School` and :class:`County`.

Numbers are kept as exact :class:`~decimal.Decimal` values; ``None`` means the
value is missing (never zero).  Objects validate themselves on construction, so
a library user building them in code gets the same checks a file reader gives.
"""

from __future__ import annotations

import math
import operator
import struct
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from ..errors import DataError, Problem, did_you_mean
from .facts import county_facts
from .fields import (
    AUTHORITIES,
    COUNT_FIELDS,
    LOCATIONS,
    NUMERIC_FIELDS,
    OWNERSHIPS,
    SCHOOL_TYPES,
)

__all__ = ["FLOAT_FIELDS", "County", "School", "float_row", "number_problems", "to_decimal"]

Number = Decimal | int | float | str


def to_decimal(value: Any) -> Decimal | None:
    """Convert a number given in code to an exact Decimal (``None`` stays ``None``).

    Floats go through their shortest ``repr`` so ``4.2`` becomes ``Decimal('4.2')``.
    """
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError(f"expected a number, got {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return Decimal(text)
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    raise TypeError(f"expected a number, got {type(value).__name__}")


def _extras(value: Mapping[str, Any] | None) -> dict[str, Decimal | None]:
    return {str(k): to_decimal(v) for k, v in (value or {}).items()}


class _Memo:
    """A slot for figures derived from a frozen object's own fields.

    Not an attrs field: never compared, hashed, copied, pickled or passed to
    ``attrs.evolve`` (an evolved School has new values and derives them afresh).
    """

    __slots__ = ("_float_row",)
    _float_row: bytes


@attrs.frozen(kw_only=True)
class School(_Memo):
    """One row of the canonical school table (``domain/data.md``).

    Per-level figures use the level prefix (``primary_students``); facilities are
    whole-school figures, split between levels by the standard.  ``extra`` keeps
    numeric columns the core does not know, for standards that use them.
    """

    school_id: str
    school_name: str = ""
    county: str = ""
    school_type: str = "primary"
    ownership: str = "public"
    authority: str = "county"
    location: str | None = None
    parent_school_id: str | None = None
    counted_as_school: bool = True

    primary_students: Decimal | None = attrs.field(default=None, converter=to_decimal)
    junior_students: Decimal | None = attrs.field(default=None, converter=to_decimal)
    senior_students: Decimal | None = attrs.field(default=None, converter=to_decimal)
    primary_classes: Decimal | None = attrs.field(default=None, converter=to_decimal)
    junior_classes: Decimal | None = attrs.field(default=None, converter=to_decimal)
    primary_max_class_size: Decimal | None = attrs.field(default=None, converter=to_decimal)
    junior_max_class_size: Decimal | None = attrs.field(default=None, converter=to_decimal)
    primary_teachers: Decimal | None = attrs.field(default=None, converter=to_decimal)
    junior_teachers: Decimal | None = attrs.field(default=None, converter=to_decimal)
    primary_teachers_above_degree: Decimal | None = attrs.field(default=None, converter=to_decimal)
    junior_teachers_above_degree: Decimal | None = attrs.field(default=None, converter=to_decimal)
    primary_teachers_mid_title: Decimal | None = attrs.field(default=None, converter=to_decimal)
    junior_teachers_mid_title: Decimal | None = attrs.field(default=None, converter=to_decimal)
    primary_backbone_teachers: Decimal | None = attrs.field(default=None, converter=to_decimal)
    junior_backbone_teachers: Decimal | None = attrs.field(default=None, converter=to_decimal)
    primary_pe_art_teachers: Decimal | None = attrs.field(default=None, converter=to_decimal)
    junior_pe_art_teachers: Decimal | None = attrs.field(default=None, converter=to_decimal)
    primary_certified_teachers: Decimal | None = attrs.field(default=None, converter=to_decimal)
    junior_certified_teachers: Decimal | None = attrs.field(default=None, converter=to_decimal)
    site_area: Decimal | None = attrs.field(default=None, converter=to_decimal)
    building_area: Decimal | None = attrs.field(default=None, converter=to_decimal)
    teaching_aux_area: Decimal | None = attrs.field(default=None, converter=to_decimal)
    sports_area: Decimal | None = attrs.field(default=None, converter=to_decimal)
    equipment_value: Decimal | None = attrs.field(default=None, converter=to_decimal)
    computers: Decimal | None = attrs.field(default=None, converter=to_decimal)
    books: Decimal | None = attrs.field(default=None, converter=to_decimal)
    multimedia_rooms: Decimal | None = attrs.field(default=None, converter=to_decimal)
    labs: Decimal | None = attrs.field(default=None, converter=to_decimal)
    music_rooms: Decimal | None = attrs.field(default=None, converter=to_decimal)
    art_rooms: Decimal | None = attrs.field(default=None, converter=to_decimal)
    min_music_room_area: Decimal | None = attrs.field(default=None, converter=to_decimal)
    min_art_room_area: Decimal | None = attrs.field(default=None, converter=to_decimal)

    extra: Mapping[str, Decimal | None] = attrs.field(factory=dict, converter=_extras)

    def __attrs_post_init__(self) -> None:
        problems = list(self.problems())
        if problems:
            raise DataError(problems)

    def problems(self) -> Iterable[Problem]:
        """Yield every inconsistency in this school's own values."""
        where = f"school {self.school_id!r}"
        for name, allowed in (
            ("school_type", SCHOOL_TYPES),
            ("ownership", OWNERSHIPS),
            ("authority", AUTHORITIES),
        ):
            value = getattr(self, name)
            if value not in allowed:
                yield Problem(
                    f"{where}: unknown {name} {value!r}; expected one of {', '.join(allowed)}",
                    column=name,
                    suggestion=did_you_mean(str(value), allowed),
                )
        if self.location is not None and self.location not in LOCATIONS:
            yield Problem(
                f"{where}: unknown location {self.location!r}; expected urban, town or rural",
                column="location",
                suggestion=did_you_mean(self.location, LOCATIONS),
            )
        for name in NUMERIC_FIELDS:
            if name == "counted_as_school":
                continue
            value = getattr(self, name)
            yield from number_problems(where, name, value, name in COUNT_FIELDS)
        for name, value in self.extra.items():
            yield from number_problems(where, name, value, whole=False)

    def value(self, name: str) -> Decimal | None:
        """A numeric column by canonical name, looking in ``extra`` for unknown names."""
        if name in _NUMERIC_ATTRS:
            result: Decimal | None = getattr(self, name)
            return result
        return self.extra.get(name)


_NUMERIC_ATTRS = frozenset(NUMERIC_FIELDS) - {"counted_as_school"}

#: The numeric fields of a School, in the order of :func:`float_row`.
FLOAT_FIELDS: tuple[str, ...] = tuple(n for n in NUMERIC_FIELDS if n != "counted_as_school")
_GET_NUMBERS = operator.attrgetter(*FLOAT_FIELDS)
_PACK_ROW = struct.Struct(f"={len(FLOAT_FIELDS)}d").pack


def float_row(school: School) -> bytes:
    """The school's numbers (:data:`FLOAT_FIELDS`) as packed native float64, NaN when missing.

    Each is the float nearest to the exact Decimal.  Made on first use and kept
    on the object: a School is immutable, so every later evaluation of it reads
    the same bytes (``np.frombuffer``) instead of converting its Decimals again.
    """
    kept: bytes | None = getattr(school, "_float_row", None)
    if kept is not None:
        return kept
    nan = math.nan
    row = _PACK_ROW(*[nan if value is None else value for value in _GET_NUMBERS(school)])
    object.__setattr__(school, "_float_row", row)
    return row


def number_problems(where: str, name: str, value: Decimal | None, whole: bool) -> list[Problem]:
    """What is wrong with one number of a school (*whole*: it must be a whole number)."""
    if value is None:
        return []
    if not value.is_finite():
        return [Problem(f"{where}: {name} is not a finite number ({value})", column=name)]
    if value < 0:
        return [Problem(f"{where}: {name} is negative ({value})", column=name)]
    if whole and value != value.to_integral_value():
        return [Problem(f"{where}: {name} must be a whole number, got {value}", column=name)]
    return []


def _facts(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(value or {})  # read and checked in __attrs_post_init__ (it names the county)


def _schools(value: Iterable[School]) -> tuple[School, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class County:
    """A county: its schools and its county-level facts.

    ``facts`` maps canonical fact names (``domain/data.md``) to a Decimal or a
    bool; rates are percentages (95 means 95 %).  An absent fact is missing.
    Facts are read as a facts file declaring ``rates: percent`` is read: a
    Chinese name becomes its canonical one, ``"是"``/``"否"`` a bool, ``"95%"``
    95; a value the file reader would refuse raises DataError naming the county
    and the fact.  A name that is a typo of a fact is refused by ``evaluate``,
    which knows the standard's own facts too.
    """

    name: str
    schools: tuple[School, ...] = attrs.field(factory=tuple, converter=_schools)
    facts: Mapping[str, Decimal | bool] = attrs.field(factory=dict, converter=_facts)

    def __attrs_post_init__(self) -> None:
        # The facts reader's own checks (data/facts.py): fact names and their
        # Chinese aliases, typos refused with a did-you-mean, 是/否 and "95%" read.
        object.__setattr__(self, "facts", county_facts(self.name, self.facts))
