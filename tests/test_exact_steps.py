"""engine.exact.least_steps: the least whole number of steps that meets a threshold.

Expectations are worked out by hand in the comments; the property test checks
the definition itself (k meets the threshold, k − 1 does not) by brute force.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from balance_rules.engine.exact import least_steps
from balance_rules.shortfall.thresholds import least_addition


def test_exactly_at_the_threshold() -> None:
    # 21 qualified teachers for 500 pupils at 4.2 per 100: 4.2 × 500 / 100 = 21 exactly.
    assert least_steps(Fraction(21), Fraction(1), Fraction(21), ">=") == 0
    # "> 4.2" needs strictly more: one teacher.
    assert least_steps(Fraction(21), Fraction(1), Fraction(21), ">") == 1


def test_one_step_below() -> None:
    # 20 teachers against 21: one more for >=, two for >.
    assert least_steps(Fraction(20), Fraction(1), Fraction(21), ">=") == 1
    assert least_steps(Fraction(20), Fraction(1), Fraction(21), ">") == 2


def test_decimal_inputs_are_not_rounded() -> None:
    # 0.1 + 0.2 is exactly 0.3: nothing to add (floats would say 0.30000000000000004).
    value = Fraction("0.1") + Fraction("0.2")
    assert least_steps(value, Fraction("0.1"), Fraction("0.3"), ">=") == 0
    assert least_steps(value, Fraction("0.1"), Fraction("0.3"), ">") == 1


def test_fractional_steps() -> None:
    # A combined school's section sees 3/10 of each m² added: 10 m² missing in the
    # section need 10 / 0.3 = 33.3… → 34 whole m² for >= and for >.
    assert least_steps(Fraction(0), Fraction(3, 10), Fraction(10), ">=") == 34
    assert least_steps(Fraction(0), Fraction(3, 10), Fraction(10), ">") == 34
    # 9 missing at 3/10 a step: exactly 30 steps for >=, 31 for >.
    assert least_steps(Fraction(1), Fraction(3, 10), Fraction(10), ">=") == 30
    assert least_steps(Fraction(1), Fraction(3, 10), Fraction(10), ">") == 31


def test_already_above_needs_nothing() -> None:
    assert least_steps(Fraction(30), Fraction(1), Fraction(21), ">=") == 0
    assert least_steps(Fraction(30), Fraction(1), Fraction(21), ">") == 0
    # just below one step above: > still needs nothing
    assert least_steps(Fraction("21.5"), Fraction(1), Fraction(21), ">") == 0


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="positive"):
        least_steps(Fraction(0), Fraction(0), Fraction(1), ">=")
    with pytest.raises(ValueError, match="'>=' or '>'"):
        least_steps(Fraction(0), Fraction(1), Fraction(1), "<=")


def test_least_addition_goes_through_least_steps() -> None:
    # Equipment value in 元, step 100 元, a threshold of 2000 元 per pupil for 123
    # pupils: 246,000 needed, 245,950 there → 50 missing → one step of 100 元.
    amount = least_addition(
        numerator=Fraction(245950),
        denominator=Fraction(123),
        scale=Fraction(1),
        threshold=Fraction(2000),
        op=">=",
        share=Fraction(1),
        step=Fraction(100),
    )
    assert amount == 100
    # Exactly there: nothing for >=, one step for >.
    there = dict(numerator=Fraction(246000), denominator=Fraction(123), scale=Fraction(1),
                 threshold=Fraction(2000), share=Fraction(1), step=Fraction(100))  # fmt: skip
    assert least_addition(op=">=", **there) == 0
    assert least_addition(op=">", **there) == 100


@given(
    value=st.fractions(min_value=-50, max_value=50, max_denominator=20),
    per_step=st.fractions(min_value=Fraction(1, 20), max_value=5, max_denominator=20),
    threshold=st.fractions(min_value=-50, max_value=50, max_denominator=20),
    op=st.sampled_from([">=", ">"]),
)
def test_least_by_brute_force(
    value: Fraction, per_step: Fraction, threshold: Fraction, op: str
) -> None:
    def meets(k: int) -> bool:
        x = value + k * per_step
        return x >= threshold if op == ">=" else x > threshold

    expected = next(k for k in range(0, 10_000) if meets(k))
    assert least_steps(value, per_step, threshold, op) == expected
