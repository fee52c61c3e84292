"""The official arithmetic against expectations computed by hand in the test.

computation.md §1 (weighted CV), §1 composite, §3 (splitting combined schools)
and §4 (exactness at the boundary).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest

import balance_rules as br
from balance_rules.engine.cv import cap_allows, composite_allows, weighted_cv, weighted_cv_squared
from balance_rules.standard.model import Rounding

from .conftest import mini, mini_standard, school

# computation.md's worked example: primary, teaching + auxiliary area.
WORKED = [  # (students, area m²)
    (120, 480),
    (860, 3870),
    (400, 2200),
    (60, 150),
]


def _hand_cv(rows: list[tuple[int, int]]) -> float:
    """The formula written out longhand, independently of the engine."""
    p_total = sum(p for p, _ in rows)
    mean = sum(a for _, a in rows) / p_total  # county total / county students
    variance = sum((p / p_total) * (a / p - mean) ** 2 for p, a in rows)
    return math.sqrt(variance) / mean


def test_worked_example_matches_the_document() -> None:
    weights = [Fraction(p) for p, _ in WORKED]
    values = [Fraction(a, p) for p, a in WORKED]
    cv = weighted_cv(weights, values)
    assert cv == pytest.approx(0.14288, abs=5e-6)
    assert cv == pytest.approx(_hand_cv(WORKED), rel=1e-12)
    # The mean is the county total over county students: 6700 / 1440.
    assert sum(w * v for w, v in zip(weights, values, strict=True)) / sum(weights) == Fraction(
        6700, 1440
    )


def test_worked_example_is_neither_unweighted_nor_sample() -> None:
    values = [a / p for p, a in WORKED]
    n = len(values)
    mean = sum(values) / n
    unweighted = math.sqrt(sum((v - mean) ** 2 for v in values) / n) / mean
    sample = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) / mean
    assert unweighted == pytest.approx(0.2624, abs=1e-4)
    assert sample == pytest.approx(0.3030, abs=1e-4)
    cv = weighted_cv([Fraction(p) for p, _ in WORKED], [Fraction(a, p) for p, a in WORKED])
    assert cv is not None
    assert abs(cv - unweighted) > 0.1
    assert abs(cv - sample) > 0.1


def test_worked_example_through_the_engine() -> None:
    standard = mini_standard()
    schools = [
        school(f"S{i}", primary_students=p, teaching_aux_area=a, books=p * 30)
        for i, (p, a) in enumerate(WORKED)
    ]
    report = br.evaluate(standard, br.County(name="测试县", schools=schools))
    (county,) = report.counties
    area = [c for c in county.coefficients if c.indicator == "area" and c.level == "primary"]
    assert len(area) == 1
    assert area[0].value == pytest.approx(0.14288, abs=5e-6)
    assert area[0].schools == 4
    assert area[0].passed is True
    # Every book ratio is 30: the CV is exactly zero.
    books = [c for c in county.coefficients if c.indicator == "books"]
    assert books[0].value == 0.0


def test_exact_cv_squared_of_a_simple_case() -> None:
    # Equal weights, values 1 and 3: mean 2, variance 1, CV = 1/2 exactly.
    squared = weighted_cv_squared([Fraction(5), Fraction(5)], [Fraction(1), Fraction(3)])
    assert squared == Fraction(1, 4)


def test_cv_is_undefined_when_the_mean_is_zero() -> None:
    assert weighted_cv([Fraction(3), Fraction(4)], [Fraction(0), Fraction(0)]) is None
    assert weighted_cv_squared([Fraction(3), Fraction(4)], [Fraction(0), Fraction(0)]) is None


def test_cap_exactly_at_the_boundary_passes() -> None:
    weights, values = [Fraction(5), Fraction(5)], [Fraction(1), Fraction(3)]  # CV = 0.5
    cv = weighted_cv(weights, values)
    assert cv is not None
    assert cap_allows(cv, weights, values, Decimal("0.5"))
    assert not cap_allows(cv, weights, values, Decimal("0.4999999999999"))
    # Even a float that lands a hair above 0.5 is decided exactly.
    assert cap_allows(0.5 + 1e-15, weights, values, Decimal("0.5"))


def test_cap_with_declared_rounding() -> None:
    # CV = 0.5 exactly; cap 0.49 with 2-decimal rounding: 0.5 rounds to 0.50 > 0.49.
    weights, values = [Fraction(5), Fraction(5)], [Fraction(1), Fraction(3)]
    assert not cap_allows(0.5, weights, values, Decimal("0.49"), Rounding(2))
    # Cap 0.5 with 1 decimal: CV 0.54 rounds to 0.5 and passes; 0.55 rounds up (half up).
    w2 = [Fraction(1), Fraction(1)]
    for cv_exact, expected_up, expected_even in (
        (Fraction(54, 100), True, True),
        (Fraction(55, 100), False, False),  # a tie: half up -> 0.6; half even -> 0.6 (6 is even)
        (Fraction(56, 100), False, False),
    ):
        # values 1 - c and 1 + c with equal weights give CV = c exactly.
        vals = [1 - cv_exact, 1 + cv_exact]
        got_up = cap_allows(float(cv_exact), w2, vals, Decimal("0.5"), Rounding(1, "half_up"))
        assert got_up is expected_up, cv_exact
        got_even = cap_allows(float(cv_exact), w2, vals, Decimal("0.5"), Rounding(1, "half_even"))
        assert got_even is expected_even, cv_exact
    # A tie that half-to-even rounds down: 0.45 -> 0.4 (even) passes cap 0.4; half up -> 0.5.
    vals = [1 - Fraction(45, 100), 1 + Fraction(45, 100)]
    assert cap_allows(0.45, w2, vals, Decimal("0.4"), Rounding(1, "half_even"))
    assert not cap_allows(0.45, w2, vals, Decimal("0.4"), Rounding(1, "half_up"))


def test_composite_is_the_mean_of_unrounded_cvs() -> None:
    # Two indicators with CVs 0.5 and 0.25 (rational): composite 0.375 exactly.
    squares = [Fraction(1, 4), Fraction(1, 16)]
    assert composite_allows(0.375, squares, Decimal("0.375"))
    assert not composite_allows(0.375, squares, Decimal("0.3749"))
    # An irrational composite: sqrt(1/2) ≈ 0.70711 and 0.5 -> ≈ 0.60355.
    irrational = [Fraction(1, 2), Fraction(1, 4)]
    mean = (math.sqrt(0.5) + 0.5) / 2
    assert composite_allows(mean, irrational, Decimal("0.6036"))
    assert not composite_allows(mean, irrational, Decimal("0.6035"))


def test_composite_through_the_engine(basic: br.Standard) -> None:
    """basic-2012 tests the composite of 8 CVs, each computed from its own schools."""
    schools = [
        school(
            "A",
            primary_students=100,
            teaching_aux_area=400,
            sports_area=800,
            equipment_value=100000,
            computers=10,
            books=3000,
            primary_teachers=6,
            primary_teachers_above_degree=5,
            primary_teachers_mid_title=3,
        ),
        school(
            "B",
            primary_students=300,
            teaching_aux_area=1800,
            sports_area=2400,
            equipment_value=450000,
            computers=45,
            books=6000,
            primary_teachers=18,
            primary_teachers_above_degree=18,
            primary_teachers_mid_title=6,
        ),
    ]
    report = br.evaluate(basic, br.County(name="县", schools=schools))
    (county,) = report.counties
    primary = {c.indicator: c for c in county.coefficients if c.level == "primary"}
    pairs = {
        "teaching_aux_area_per_student": [(100, 400), (300, 1800)],
        "sports_area_per_student": [(100, 800), (300, 2400)],
        "equipment_value_per_student": [(100, 100000), (300, 450000)],
        "computers_per_100": [(100, 10), (300, 45)],
        "books_per_student": [(100, 3000), (300, 6000)],
        "teachers_per_student": [(100, 6), (300, 18)],
        "above_degree_teachers_per_student": [(100, 5), (300, 18)],
        "mid_title_teachers_per_student": [(100, 3), (300, 6)],
    }
    expected = {name: _hand_cv(rows) for name, rows in pairs.items()}
    for name, value in expected.items():
        assert primary[name].value == pytest.approx(value, rel=1e-12), name
    composite = sum(expected.values()) / 8
    assert primary["composite"].value == pytest.approx(composite, rel=1e-12)
    assert primary["composite"].max == Decimal("0.65")
    assert primary["composite"].passed is (composite <= 0.65)
    # Single CVs are reported, not tested, in the 2012 method.
    assert primary["books_per_student"].max is None
    assert primary["books_per_student"].passed is None


# -- splitting combined schools (computation.md §3) ---------------------------------


def test_nine_year_school_split_by_weighted_students() -> None:
    standard = mini_standard()
    nine = school(
        "N",
        school_type="nine_year",
        primary_students=300,
        junior_students=200,
        teaching_aux_area=3000,
        books=12000,
    )
    report = br.evaluate(standard, br.County(name="县", schools=[nine]))
    sections = {s.level: s for s in report.counties[0].schools}
    assert set(sections) == {"primary", "junior"}
    # Weighted students 300 + 1.1 * 200 = 520.
    area = {lv: next(f for f in s.findings if f.rule == "area_min") for lv, s in sections.items()}
    primary_area = Fraction(3000) * 300 / 520
    junior_area = Fraction(3000) * Fraction(11, 10) * 200 / 520
    assert float(primary_area) == pytest.approx(1730.77, abs=0.005)
    assert float(junior_area) == pytest.approx(1269.23, abs=0.005)
    # Values in a report are display floats (decisions are exact; see tests/oracle).
    assert area["primary"].value == pytest.approx(float(primary_area / 300), rel=1e-15)
    assert area["junior"].value == pytest.approx(float(junior_area / 200), rel=1e-15)
    assert float(Fraction(12000) * 300 / 520) == pytest.approx(6923.08, abs=0.005)
    # The two sections share the school's facilities.
    shared = area["primary"].value * 300 + area["junior"].value * 200  # type: ignore[operator]
    assert shared == pytest.approx(3000, rel=1e-15)


def test_complete_secondary_keeps_junior_section_only() -> None:
    standard = mini_standard()
    complete = school(
        "C",
        school_type="complete_secondary",
        junior_students=600,
        senior_students=500,
        teaching_aux_area=6600,
        books=0,
    )
    report = br.evaluate(standard, br.County(name="县", schools=[complete]))
    (section,) = report.counties[0].schools
    assert section.level == "junior"
    finding = next(f for f in section.findings if f.rule == "area_min")
    # junior 1 : senior 1.2 -> junior share 600 / (600 + 600) = 1/2 -> 3300 m² / 600.
    assert finding.value == Fraction(3300, 600)


def test_students_and_teachers_are_not_split() -> None:
    standard = mini_standard(
        rules={
            "above": {
                "kind": "school_threshold",
                "group": "main",
                "indicator": "above_100",
                "op": ">=",
                "threshold": Decimal("4.2"),
                "source": {"article": "x"},
            }
        }
    )
    nine = school(
        "N",
        school_type="nine_year",
        primary_students=500,
        junior_students=100,
        primary_teachers_above_degree=21,
        junior_teachers_above_degree=5,
    )
    report = br.evaluate(standard, br.County(name="县", schools=[nine]))
    values = {s.level: s.findings[0].value for s in report.counties[0].schools}
    assert values == {"primary": 4.2, "junior": 5.0}  # 21 / 500 × 100 and 5 / 100 × 100


def test_boundary_value_is_exact() -> None:
    """9 PE/art teachers for 1000 students is exactly 0.9 per 100 and meets ≥ 0.9;
    21 above-degree teachers for 500 students is exactly 4.2 and meets ≥ 4.2."""
    assert 9 / 1000 * 100 < 0.9  # the float trap this guards against
    pe_art = {
        "label": {"zh": "体艺", "en": "PE/art"},
        "numerator": "pe_art_teachers",
        "denominator": "students",
        "scale": 100,
        "source": {"article": "x"},
    }
    standard = mini_standard(
        rules={
            "above": {
                "kind": "school_threshold",
                "group": "main",
                "indicator": "above_100",
                "op": ">=",
                "threshold": Decimal("4.2"),
                "source": {"article": "x"},
            }
        }
    )
    document = mini()
    document["indicators"]["pe_art"] = pe_art
    document["rules"] = {
        "pe": {
            "kind": "school_threshold",
            "group": "main",
            "indicator": "pe_art",
            "op": ">=",
            "threshold": Decimal("0.9"),
            "source": {"article": "x"},
        }
    }
    pe_standard = br.standard_from_mapping(document)
    at = school("A", primary_students=1000, primary_pe_art_teachers=9)
    below = school("B", primary_students=1001, primary_pe_art_teachers=9)
    report = br.evaluate(pe_standard, br.County(name="县", schools=[at, below]))
    status = {s.school_id: s.findings[0].status for s in report.counties[0].schools}
    assert status == {"A": "pass", "B": "fail"}
    at = school("A", primary_students=500, primary_teachers_above_degree=21)
    below = school("B", primary_students=501, primary_teachers_above_degree=21)
    report = br.evaluate(standard, br.County(name="县", schools=[at, below]))
    status = {s.school_id: s.findings[0].status for s in report.counties[0].schools}
    assert status == {"A": "pass", "B": "fail"}
