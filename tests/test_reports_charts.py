"""The inline SVG charts: well-formed, escaped, the right bars red, text as text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from balance_rules.render.charts import FAIL, PASS, bar_chart, cv_chart, line_chart, nice_ticks
from balance_rules.render.tables import fixed

NS = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on malformed markup


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{NS}text")]


def test_small_bar_chart_marks_failing_bars_and_escapes() -> None:
    svg = bar_chart([4.0, 5.0, None], 4.5, ["<b>甲</b>", "乙", "丙"], "t<&>", op=">=")
    root = _parse(svg)
    rects = list(root.iter(f"{NS}rect"))
    assert [r.get("fill") for r in rects] == [FAIL, PASS, "#b0b0b0"]
    assert [r.find(f"{NS}title").text for r in rects] == ["<b>甲</b>: 4", "乙: 5", "丙: —"]  # type: ignore[union-attr]
    assert "t<&>" in _texts(root) and "<b>甲</b>" in _texts(root) and "≥ 4.5" in _texts(root)
    assert "<b>" not in svg  # escaped in the markup


def test_large_bar_chart_is_one_path_per_colour() -> None:
    values: list[float | None] = [float(i % 10) for i in range(300)]
    svg = bar_chart(values, 4.5, [str(i) for i in range(300)], "大")
    root = _parse(svg)
    paths = {p.get("stroke"): p.get("d") or "" for p in root.iter(f"{NS}path")}
    # 0..4 of every ten fail (< 4.5): 150 red bars, 150 blue, each one move.
    assert paths[FAIL].count("V") == 150 and paths[PASS].count("V") == 150
    assert len(svg) < 6000


def test_explicit_failing_overrides_the_comparison() -> None:
    root = _parse(bar_chart([5.0, 5.0], 4.5, ["a", "b"], "t", failing=[True, False]))
    assert [r.get("fill") for r in root.iter(f"{NS}rect")] == [FAIL, PASS]


def test_cv_chart_marks_a_cv_over_its_cap() -> None:
    root = _parse(cv_chart([("图书", 0.31, 0.5), ("计算机", 0.62, 0.5), ("综合", None, None)], "C"))
    assert [r.get("fill") for r in root.iter(f"{NS}rect")] == [PASS, FAIL]
    assert {"图书", "计算机", "综合", "0.31", "0.62", "—"} <= set(_texts(root))


def test_line_chart_points_over_cap_are_red() -> None:
    svg = line_chart({"小学": [0.4, None, 0.6]}, ["2021", "2022", "2023"], "L", cap=0.5)
    root = _parse(svg)
    assert [c.get("fill") for c in root.iter(f"{NS}circle")] == ["#4a7ab5", FAIL]
    assert {"2021", "2022", "2023", "≤ 0.5", "小学"} <= set(_texts(root))


@given(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.floats(min_value=1e-3, max_value=1e6, allow_nan=False),
)
def test_nice_ticks_cover_the_range(low: float, span: float) -> None:
    high = low + span
    ticks = nice_ticks(low, high)
    tolerance = 1e-9 * max(1.0, abs(low), abs(high))
    assert ticks[0] <= low + tolerance and ticks[-1] >= high - tolerance
    assert 2 <= len(ticks) <= 12


@pytest.mark.parametrize(
    ("value", "decimals", "against", "shown"),
    [
        (Fraction(1, 2), 3, Decimal("0.5"), "0.500"),  # equal: shown equal
        (Fraction(5001, 10000), 3, Decimal("0.5"), "0.5001"),  # not equal: never "0.500"
        (Fraction(4499, 1000), 2, Decimal("4.5"), "4.499"),
        (0.123456, 3, None, "0.123"),
        (Fraction(96), 2, None, "96"),
        (Decimal("2000"), 2, None, "2000"),
        (-0.0001, 2, None, "0.00"),
        (None, 3, None, "—"),
    ],
)
def test_fixed_never_shows_a_value_equal_to_its_threshold_unless_it_is(
    value: object, decimals: int, against: object, shown: str
) -> None:
    assert fixed(value, decimals, against) == shown
