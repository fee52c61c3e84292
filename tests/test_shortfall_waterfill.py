"""CV water-filling: exact level, against an independent solver, verified by the core."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

import balance_rules as br
from balance_rules.shortfall.waterfill import composite_targets, cv_within, water_level
from tests.shortfall_helpers import county, cv_standard, school


def _cv(weights: list[float], values: list[float]) -> float:
    total = sum(weights)
    mean = sum(p * v for p, v in zip(weights, values, strict=True)) / total
    var = sum(p * (v - mean) ** 2 for p, v in zip(weights, values, strict=True)) / total
    return math.sqrt(var) / mean


def test_two_sections_hand_computed() -> None:
    # P = (1, 1), v = (1, 3): raising v1 to t gives CV = (3 − t)/(3 + t) ≤ 0.2 ⟺ t ≥ 2
    t = water_level([Fraction(1), Fraction(1)], [Fraction(1), Fraction(3)], Fraction(1, 5))
    assert t is not None
    assert Fraction(2) <= t < Fraction(2) + Fraction(1, 10**30)


def test_already_within_cap() -> None:
    assert water_level([Fraction(1)] * 2, [Fraction(1), Fraction(1)], Fraction(1, 10)) is None
    assert cv_within([Fraction(1)] * 2, [Fraction(1), Fraction(3)], Fraction(1, 2))


def test_zero_mean_is_refused() -> None:
    with pytest.raises(ValueError, match="undefined"):
        water_level([Fraction(1)] * 2, [Fraction(0)] * 2, Fraction(1, 2))


def test_exact_level_meets_the_cap_and_a_hair_less_does_not() -> None:
    rng = random.Random(7)
    for _ in range(40):
        n = rng.randint(2, 7)
        weights = [Fraction(rng.randint(20, 900)) for _ in range(n)]
        values = [Fraction(rng.randint(1, 4000), 100) for _ in range(n)]
        cap = Fraction(rng.randint(5, 40), 100)
        t = water_level(weights, values, cap)
        if t is None:
            assert cv_within(weights, values, cap)
            continue
        raised = [max(v, t) for v in values]
        assert cv_within(weights, raised, cap)
        lower = t - max(t, Fraction(1)) * Fraction(1, 10**12)
        assert not cv_within(weights, [max(v, lower) for v in values], cap)


def test_total_against_scipy_slsqp() -> None:
    """The least total Σ a_i (a_i ≥ 0) with CV(v + a/P) ≤ c, from a general solver."""
    import scipy.optimize as optimize  # in the test extra: this test must run in CI
    rng = random.Random(11)
    for _ in range(12):
        n = rng.randint(3, 6)
        weights = [float(rng.randint(50, 800)) for _ in range(n)]
        values = [rng.uniform(5, 40) for _ in range(n)]
        cap = rng.uniform(0.08, 0.25)
        if _cv(weights, values) <= cap:
            continue

        def cv_after(a: list[float], w: list[float] = weights, v: list[float] = values) -> float:
            return _cv(w, [vi + ai / pi for vi, ai, pi in zip(v, a, w, strict=True)])

        result = optimize.minimize(
            lambda a: float(sum(a)),
            x0=[max(values) * p for p in weights],
            method="SLSQP",
            bounds=[(0, None)] * n,
            constraints=[{"type": "ineq", "fun": lambda a, c=cap: c - cv_after(list(a))}],
            options={"maxiter": 500, "ftol": 1e-10},
        )
        assert result.success
        t = water_level(
            [Fraction(w) for w in weights], [Fraction(v) for v in values], Fraction(cap)
        )
        assert t is not None
        ours = sum(p * max(float(t) - v, 0.0) for p, v in zip(weights, values, strict=True))
        assert ours == pytest.approx(result.fun, rel=1e-6)


def test_planner_books_cv_hand_checked_and_verified() -> None:
    # books per pupil 10, 30, 30 for 100, 100, 100 pupils; cap 0.2.
    # raising the first to t: m = (t + 60)/3, CV² = 2(30 − t)²/(t + 60)² ≤ 0.04
    # ⟺ √2 (30 − t) ≤ 0.2 (t + 60) ⟺ t ≥ (30√2 − 12)/(√2 + 0.2) = 18.848…
    # → 100 pupils × 8.848… = 884.8… books → 885
    standard = cv_standard("0.2")
    c = county(
        school("A", 100, books=1000), school("B", 100, books=3000), school("C", 100, books=3000)
    )
    (plan,) = br.shortfall(standard, c).counties
    books = [(a.school_id, a.add, a.reason) for a in plan.additions]
    assert books == [("A", Decimal(885), "cv")]
    assert plan.verdict_after == "pass"
    (cv,) = [x for x in plan.coefficients if x.indicator == "books_per_student"]
    assert cv.before is not None and cv.after is not None and cv.after <= 0.2 < cv.before
    assert cv.method == "water-filling"
    # one book fewer fails the cap
    fewer = br.School(**{**_fields(c.schools[0]), "books": 1000 + 884})
    report = br.evaluate(standard, br.County(name="测试县", schools=(fewer, *c.schools[1:])))
    assert report.counties[0].verdict == "fail"


def _fields(s: br.School) -> dict[str, Any]:
    import attrs

    return attrs.asdict(s, recurse=False)


def test_grid_brute_force_on_a_tiny_county() -> None:
    """Same total as an exhaustive search over whole books, within one step per school."""
    standard = cv_standard("0.25")
    sizes = [40, 60, 50]
    books = [200, 900, 700]
    c = county(
        *(school(f"S{i}", p, books=b) for i, (p, b) in enumerate(zip(sizes, books, strict=True)))
    )
    (plan,) = br.shortfall(standard, c).counties
    ours = sum(a.add for a in plan.additions)
    best = None
    for a0 in range(0, 800):
        for a2 in range(0, 60):
            vals = [Fraction(books[0] + a0, 40), Fraction(900, 60), Fraction(700 + a2, 50)]
            if cv_within([Fraction(p) for p in sizes], vals, Fraction(1, 4)):
                if best is None or a0 + a2 < best:
                    best = a0 + a2
                break
    assert best is not None
    assert best <= ours <= best + len(sizes)


def test_composite_targets_mean_below_cap() -> None:
    targets = composite_targets([0.9, 0.8, 0.3, 0.2], Fraction(1, 2))
    assert sum(targets) / 4 < Fraction(1, 2)
    # components above the common level come down to it, the others stay
    level = targets[0]
    assert targets[1] == level and targets[2] == Fraction(0.3) and targets[3] == Fraction(0.2)
    # Σ min(cv, L) = 4 × 0.5 → 2L + 0.5 = 2 → L = 0.75
    assert abs(float(level) - 0.75) < 1e-6
