"""Session 4 (C2): the plan's lazy parts and the lean path's shortcuts.

- ``CountyPlan.not_plannable``, ``floor_options`` and ``schools`` may be builders:
  built once when first read, equal to (and printed like) the plan built eagerly;
- a lean county keeps refusals and floor options as flat lists: turned into the
  same objects, in the same order;
- ``whole_around`` gives a column's value before and after a whole addition as the
  same Decimals (digits and exponent) as the exact Fraction path (``_exact``).

Expected values are written out by hand.
"""

from __future__ import annotations

import importlib
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from balance_rules.shortfall.lean import flat_refusals, floor_options, refusals, whole_around
from balance_rules.shortfall.model import (
    Addition,
    CountyPlan,
    FloorOption,
    NotPlannable,
    SchoolPlan,
    SchoolTotal,
)

PLANNER = importlib.import_module("balance_rules.shortfall.planner")

REFUSED = NotPlannable(rule="music_room_area", reason="no", school_id="S1", level="primary",
                       indicator="music_room_area")  # fmt: skip
OPTION = FloorOption(school_id="S1", level="junior", rule="resources", indicator="books",
                     field="books", saves=Decimal("1.5"), unit="册")  # fmt: skip
SCHOOL = SchoolPlan(
    school_id="S1",
    name="一小",
    items=(
        SchoolTotal(
            field="books",
            level=None,
            unit="册",
            add=Decimal(3),
            before=Decimal(10),
            after=Decimal(13),
            rules=("resources",),
        ),
    ),
    share=1.0,
)
ADDITION = Addition(school_id="S1", name="一小", level=None, field="books", add=Decimal(3),
                    unit="册", rule="resources", indicator="books", mode="buy",
                    before=Decimal(10), after=Decimal(13))  # fmt: skip


def _plan(**parts: object) -> CountyPlan:
    return CountyPlan(
        county="甲县",
        verdict_before="fail",
        verdict_after="pass",
        additions=(ADDITION,),
        totals=(),
        total_cost=None,
        coefficients=(),
        **parts,  # type: ignore[arg-type]
    )


def test_lazy_parts_are_built_once_and_equal_the_eager_plan() -> None:
    calls: list[str] = []

    def build(name: str, items: tuple[object, ...]) -> object:
        def builder() -> list[object]:
            calls.append(name)
            return list(items)

        return builder

    eager = _plan(not_plannable=(REFUSED,), floor_options=(OPTION,), schools=(SCHOOL,))
    lazy = _plan(
        not_plannable=build("refused", (REFUSED,)),
        floor_options=build("options", (OPTION,)),
        schools=build("schools", (SCHOOL,)),
    )
    assert calls == []  # nothing built before it is read
    assert lazy.schools == (SCHOOL,)
    assert calls == ["schools"]
    assert lazy == eager and hash(lazy) == hash(eager)
    assert repr(lazy) == repr(eager)
    assert lazy.not_plannable == (REFUSED,) and lazy.floor_options == (OPTION,)
    assert sorted(calls) == ["options", "refused", "schools"]  # each built once
    assert repr(eager).startswith("CountyPlan(county='甲县', verdict_before='fail', ")
    assert "not_plannable=(NotPlannable(rule='music_room_area'" in repr(eager)


def test_defaults_are_empty_tuples() -> None:
    plan = _plan()
    assert plan.not_plannable == () and plan.floor_options == () and plan.schools == ()
    assert not plan.empty


def test_flat_refusals_round_trip_in_order() -> None:
    refused = {
        ("class_size", "S2", "junior", "class_size"): "needs a reduction (<= 50), not an addition",
        ("music_room_area", "S1", "primary", "music_room_area"): "no",
        ("teacher_salary", None, None, None): "county fact missing: teacher_salary_ratio",
    }
    flat = flat_refusals(refused)
    assert flat == [
        "class_size", "S2", "junior", "class_size", "needs a reduction (<= 50), not an addition",
        "music_room_area", "S1", "primary", "music_room_area", "no",
        "teacher_salary", None, None, None, "county fact missing: teacher_salary_ratio",
    ]  # fmt: skip
    made = refusals(flat)
    assert made[1] == REFUSED
    assert made[0].school_id == "S2" and made[0].level == "junior"
    assert made[2] == NotPlannable(
        rule="teacher_salary", reason="county fact missing: teacher_salary_ratio"
    )


def test_flat_floor_options_become_decimals() -> None:
    flat = [
        "S1", "junior", "resources", "books", "books", Fraction(3, 2), "册",
        "S3", "primary", "resources", "sports_area_per_student", "sports_area", 7, "m²",
    ]  # fmt: skip
    made = floor_options(flat)
    assert made[0] == OPTION and str(made[0].saves) == "1.5"
    assert made[1].field == "sports_area" and made[1].saves == Decimal(7)
    assert str(made[1].saves) == "7"


def test_whole_around_by_hand() -> None:
    # 12.50 + 3 = 15.5: trailing zeros dropped, as Decimal(31) / Decimal(2) gives
    assert tuple(map(str, whole_around(Decimal("12.50"), 3))) == ("12.5", "15.5")
    # 400.00 is whole: written without decimals, like Decimal(400)
    assert tuple(map(str, whole_around(Decimal("400.00"), 25))) == ("400", "425")
    assert tuple(map(str, whole_around(Decimal("0.10"), None))) == ("0.1", "0.1")
    assert tuple(map(str, whole_around(Decimal("1E+2"), 1))) == ("100", "101")


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(min_value=0, max_value=10**12, places=4, allow_nan=False, allow_infinity=False),
    st.one_of(st.none(), st.integers(min_value=0, max_value=10**7)),
)
def test_whole_around_writes_what_the_fraction_path_writes(
    value: Decimal, added: int | None
) -> None:
    exact = Fraction(value)
    before, after = whole_around(value, added)
    assert str(before) == str(PLANNER._exact(exact))
    assert str(after) == str(PLANNER._exact(exact + (added or 0)))
