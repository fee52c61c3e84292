"""Early warnings near their boundary: decided by the shared exact step (hand-computed)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

import balance_rules as br
from balance_rules.engine.exact import cv_reaches, precise_cv, rise_exceeds

from .monitor_helpers import county, school, standard

# √0.08 = √2/5 = 0.28284271247461900976033774484193961571…
# √0.18 = 3√2/10 = 0.42426406871192851464050661726290942357…
# their difference √2/10 = 0.14142135623730950488016887242096980785…


def test_margin_near_the_boundary_is_decided_from_the_exact_square() -> None:
    # The CV is exactly 0.3 (CV² = 9/100) but its float came out a hair below.
    assert cv_reaches(0.29999999999999993, Decimal("0.3"), (Fraction(9, 100),))
    # Without the square, the shortest decimal form decides (and misses it).
    assert not cv_reaches(0.29999999999999993, Decimal("0.3"), None)
    # Irrational: √0.08 = 0.282842712474619009… lies between these two bounds.
    root = 0.08**0.5
    assert not cv_reaches(root, Decimal("0.28284271247461906"), (Fraction(2, 25),))
    assert cv_reaches(root, Decimal("0.282842712474619"), (Fraction(2, 25),))
    # Clearly apart: the float decides, the squares are not read.
    assert cv_reaches(0.5, Decimal("0.4"), None)
    assert not cv_reaches(0.3, Decimal("0.4"), None)


def test_a_composite_near_its_margin() -> None:
    # CVs 0.5 and 0.25: their mean is 0.375 exactly.
    squares = (Fraction(1, 4), Fraction(1, 16))
    assert precise_cv(squares) == Fraction(3, 8)
    assert cv_reaches(0.37499999999999994, Decimal("0.375"), squares)
    assert not cv_reaches(0.375, Decimal("0.37500000001"), squares)


def test_a_rise_near_its_figure() -> None:
    # 0.30 → 0.33 is a rise of exactly 0.03: not more than 0.03, though the floats say so.
    now, before = (Fraction(33, 100) ** 2,), (Fraction(3, 10) ** 2,)
    assert 0.33 - 0.3 > 0.03
    assert not rise_exceeds(0.33, 0.3, Decimal("0.03"), now, before)
    assert rise_exceeds(0.33, 0.3, Decimal("0.0299999999999"), now, before)
    # Two irrational CVs, √0.08 → √0.18: a rise of √2/10 = 0.14142135623730950488…,
    # decided to 50 digits.
    now, before = (Fraction(9, 50),), (Fraction(2, 25),)
    assert rise_exceeds(0.18**0.5, 0.08**0.5, Decimal("0.1414213562373095"), now, before)
    assert not rise_exceeds(0.18**0.5, 0.08**0.5, Decimal("0.14142135623730951"), now, before)
    assert isinstance(precise_cv(now), Decimal)


def _year(a: str, b: str) -> list[br.County]:
    # Two primary schools of 100 pupils: CV = |a − b| / (a + b) per pupil area.
    return [
        county(
            "C县",
            school("C县", "C1", "0", teaching_aux_area=a),
            school("C县", "C2", "0", teaching_aux_area=b),
        )
    ]


def test_a_cv_exactly_at_cap_minus_margin_warns() -> None:
    # Cap 0.5, margin 0.1: the warning fires from 0.4.  Areas 54/26 per 100 pupils give
    # CV 28/80 = 0.35; 70/30 give 40/100 = 0.4 exactly — computed in floating point as
    # 0.39999999999999997, which the shortest decimal form would put below 0.4.
    result = br.monitor({2021: _year("54", "26"), 2022: _year("70", "30")}, standard())
    trend = result.counties[0]
    point = dict(trend.years)[2022]
    assert point is not None
    assert point.coefficients[0].value == pytest.approx(0.4)
    assert point.coefficients[0].squares == (Fraction(4, 25),)
    assert [(w.year, w.rule) for w in trend.warnings] == [(2022, "near_cap")]
    # 0.35 → 0.4 is a rise of exactly 0.05, not more than the rule's 0.05: no 'rising';
    # the floats' difference (0.0499999…) lay within a hair of it, so last year's CV
    # got its exact square too: 0.35² = 49/400.
    before = dict(trend.years)[2021]
    assert before is not None and before.coefficients[0].squares == (Fraction(49, 400),)


def test_the_columnar_path_decides_the_same() -> None:
    pd = pytest.importorskip("pandas")
    from balance_rules.monitor.scale import monitor_frames

    def frame(a: str, b: str) -> object:
        return pd.DataFrame(
            {
                "county": ["C县", "C县"],
                "school_id": ["C1", "C2"],
                "school_name": ["C1", "C2"],
                "school_type": ["primary", "primary"],
                "primary_students": [100, 100],
                "teaching_aux_area": [float(a), float(b)],
                "books": [3000, 3000],
            }
        )

    result = monitor_frames([(2021, frame("54", "26")), (2022, frame("70", "30"))], standard())
    assert [(w.year, w.rule) for w in result.counties[0].warnings] == [(2022, "near_cap")]


def test_a_warning_kernel_records_what_it_explains() -> None:
    from balance_rules.engine.kernels import KERNELS
    from balance_rules.monitor.core import compile_warnings

    result = br.monitor({2021: _year("54", "26"), 2022: _year("70", "30")}, standard())
    current = dict(result.counties[0].years)[2022]
    assert current is not None
    (kernel, compiled), *_ = compile_warnings(standard())
    assert kernel is KERNELS["warning_cv_margin"] and kernel.needs_previous
    (hit,) = kernel.run(compiled, current, None)
    row = kernel.record(compiled, current, hit, 0)
    assert row["rule"] == "near_cap" and row["threshold"] == "0.5" and row["figure"] == "0.1"
    assert (row["county"], row["year"], row["level"]) == ("C县", 2022, "primary")
    assert kernel.explain(compiled, current, hit, 0).layer == "test/monitor"
