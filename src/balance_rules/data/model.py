"""The data objects the engine evaluates: :class:`School` and :class:`County`.

Numbers are kept as exact :class:`~decimal.Decimal` values; ``None`` means the
value is missing (never zero).  Building a School checks its arguments: a
number that is no number raises TypeError or ValueError, one that is not
finite (NaN, infinity) DataError, each naming the field.  Its values (unknown codes, negative
numbers, fractional counts) are judged by the one validator every entry point
uses (:mod:`.validate`), when the school is evaluated or by
:meth:`School.problems`, with the same messages a file gets.
"""

from __future__ import annotations

import math
import operator
import struct
import sys
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from ..errors import DataError, Problem
from .facts import county_facts
from .fields import NUMERIC_FIELDS

__all__ = ["FLOAT_FIELDS", "County", "School", "float_row", "to_decimal"]

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


def _finite(value: Any, name: str | None = None) -> Decimal | None:
    number = to_decimal(value)
    if number is not None and not number.is_finite():
        what = f"{name} is" if name else "a number is"
        raise DataError(
            [
                Problem(
                    f"{what} not a finite number ({number})",
                    column=name,
                    message_zh=f"{name or '数值'} 不是有限数（{number}）",
                )
            ]
        )
    return number


def _number(value: Any) -> Decimal | None:
    """A School's number: converted exactly (:func:`to_decimal`), and finite.

    A wrong argument raises naming the field: a converter is not told its
    field, so on that path only the caller (attrs' ``__init__``, whose
    parameters are the fields) is asked which argument this was.
    """
    if value is None or (type(value) is Decimal and value.is_finite()):
        return value  # the common cases, without a further call
    try:
        return _finite(value)
    except DataError:
        name = _argument_name(value)
        if name is None:
            raise
        return _finite(value, name)
    except (TypeError, ValueError) as exc:
        name = _argument_name(value)
        if name is None:
            raise
        raise type(exc)(f"{name}: {exc}") from None


def _argument_name(value: Any) -> str | None:
    """The School field *value* was passed as (the generated ``__init__``'s local)."""
    try:
        caller = sys._getframe(2)  # _argument_name <- _number <- School.__init__
    except ValueError:
        return None
    for name, local in caller.f_locals.items():
        if local is value and name in _NUMERIC_ATTRS:
            return name
    return None


def _extras(value: Mapping[str, Any] | None) -> dict[str, Decimal | None]:
    return {str(k): _finite(v, str(k)) for k, v in (value or {}).items()}


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

    primary_students: Decimal | None = attrs.field(default=None, converter=_number)
    junior_students: Decimal | None = attrs.field(default=None, converter=_number)
    senior_students: Decimal | None = attrs.field(default=None, converter=_number)
    primary_classes: Decimal | None = attrs.field(default=None, converter=_number)
    junior_classes: Decimal | None = attrs.field(default=None, converter=_number)
    primary_max_class_size: Decimal | None = attrs.field(default=None, converter=_number)
    junior_max_class_size: Decimal | None = attrs.field(default=None, converter=_number)
    primary_teachers: Decimal | None = attrs.field(default=None, converter=_number)
    junior_teachers: Decimal | None = attrs.field(default=None, converter=_number)
    primary_teachers_above_degree: Decimal | None = attrs.field(default=None, converter=_number)
    junior_teachers_above_degree: Decimal | None = attrs.field(default=None, converter=_number)
    primary_teachers_mid_title: Decimal | None = attrs.field(default=None, converter=_number)
    junior_teachers_mid_title: Decimal | None = attrs.field(default=None, converter=_number)
    primary_backbone_teachers: Decimal | None = attrs.field(default=None, converter=_number)
    junior_backbone_teachers: Decimal | None = attrs.field(default=None, converter=_number)
    primary_pe_art_teachers: Decimal | None = attrs.field(default=None, converter=_number)
    junior_pe_art_teachers: Decimal | None = attrs.field(default=None, converter=_number)
    primary_certified_teachers: Decimal | None = attrs.field(default=None, converter=_number)
    junior_certified_teachers: Decimal | None = attrs.field(default=None, converter=_number)
    site_area: Decimal | None = attrs.field(default=None, converter=_number)
    building_area: Decimal | None = attrs.field(default=None, converter=_number)
    teaching_aux_area: Decimal | None = attrs.field(default=None, converter=_number)
    sports_area: Decimal | None = attrs.field(default=None, converter=_number)
    equipment_value: Decimal | None = attrs.field(default=None, converter=_number)
    computers: Decimal | None = attrs.field(default=None, converter=_number)
    books: Decimal | None = attrs.field(default=None, converter=_number)
    multimedia_rooms: Decimal | None = attrs.field(default=None, converter=_number)
    labs: Decimal | None = attrs.field(default=None, converter=_number)
    music_rooms: Decimal | None = attrs.field(default=None, converter=_number)
    art_rooms: Decimal | None = attrs.field(default=None, converter=_number)
    min_music_room_area: Decimal | None = attrs.field(default=None, converter=_number)
    min_art_room_area: Decimal | None = attrs.field(default=None, converter=_number)

    extra: Mapping[str, Decimal | None] = attrs.field(factory=dict, converter=_extras)

    def problems(self) -> list[Problem]:
        """Every problem the validator finds in this school's own values.

        The same checks, and the same messages, as every entry point's
        (:func:`~balance_rules.data.validate.check_table`); a repeated id or a
        parent that is not there needs the county, and is judged by ``evaluate``.
        """
        from .validate import school_problems

        return school_problems(self)

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
