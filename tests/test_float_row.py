"""The float view of a School's numbers: the nearest float of each exact Decimal."""

from __future__ import annotations

import math
import struct
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from balance_rules.data.model import FLOAT_FIELDS, School, float_row


def _unpack(row: bytes) -> tuple[float, ...]:
    return struct.unpack(f"={len(FLOAT_FIELDS)}d", row)


decimals = st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False)


@given(st.lists(decimals, min_size=2, max_size=2))
def test_each_number_is_the_nearest_float_and_missing_is_nan(values: list[Decimal]) -> None:
    for _ in range(2):
        school = School(
            school_id="s", school_name="n", site_area=values[0], building_area=values[1]
        )
        floats = dict(zip(FLOAT_FIELDS, _unpack(float_row(school)), strict=True))
        assert floats["site_area"] == float(values[0])
        assert floats["building_area"] == float(values[1])
        assert math.isnan(floats["computers"])  # missing stays NaN, never 0


def test_equal_decimals_written_differently_give_the_same_float() -> None:
    a = School(school_id="a", school_name="a", site_area=Decimal("12.50"))
    b = School(school_id="b", school_name="b", site_area=Decimal("12.5"))
    index = FLOAT_FIELDS.index("site_area")
    assert _unpack(float_row(a))[index] == _unpack(float_row(b))[index] == 12.5


def test_the_view_is_made_once_per_school() -> None:
    school = School(school_id="a", school_name="a", books=Decimal("3"))
    assert float_row(school) is float_row(school)


def test_a_wrong_number_names_its_field() -> None:
    with pytest.raises(ValueError, match="site_area"):
        School(school_id="a", site_area="many")
    with pytest.raises(TypeError, match="books"):
        School(school_id="a", books=[3])
