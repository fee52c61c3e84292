"""6 of 7 with the rest ≥ 85 %: the cheapest subset against brute force."""

from __future__ import annotations

import itertools
import math
import random
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import pytest

import balance_rules as br
from balance_rules.shortfall import load_costs

# (rule, column, threshold for primary, scale, step) of national/quality-2017's 6 of 7
MEMBERS = [
    ("above_degree_teachers_per_100", "primary_teachers_above_degree", "4.2", 100, 1),
    ("backbone_teachers_per_100", "primary_backbone_teachers", "1.0", 100, 1),
    ("pe_art_teachers_per_100", "primary_pe_art_teachers", "0.9", 100, 1),
    ("teaching_aux_area_per_student", "teaching_aux_area", "4.5", 1, 1),
    ("sports_area_per_student", "sports_area", "7.5", 1, 1),
    ("equipment_value_per_student", "equipment_value", "2000", 1, 100),
    ("multimedia_rooms_per_100", "multimedia_rooms", "2.3", 100, 1),
]
COST_KEY = {
    "primary_teachers_above_degree": "teachers_above_degree",
    "primary_backbone_teachers": "backbone_teachers",
    "primary_pe_art_teachers": "teachers",
}


@pytest.fixture(scope="module")
def standard() -> br.Standard:
    return br.load_standard("national/quality-2017")


def _school(rng: random.Random) -> br.School:
    pupils = rng.randint(60, 900)
    values: dict[str, Any] = {}
    for _rule, column, threshold, scale, _step in MEMBERS:
        factor = rng.choice([1.0, 1.1, 0.95, 0.9, 0.8, 0.7])
        amount = float(threshold) * pupils / scale * factor
        values[column] = math.floor(amount) if column != "equipment_value" else round(amount, 1)
    return br.School(
        school_id="K", county="测试县", school_type="primary", primary_students=pupils,
        primary_teachers=pupils // 8, primary_classes=max(1, pupils // 45),
        primary_max_class_size=40, music_rooms=5, art_rooms=5,
        min_music_room_area=100, min_art_room_area=100, **values,
    )  # fmt: skip


def _need(current: Decimal, target: Fraction, pupils: int, scale: int, step: int) -> Fraction:
    gap = target * pupils / scale - Fraction(current)
    return Fraction(max(0, math.ceil(gap / step)) * step)


def _brute_force(standard: br.Standard, school: br.School, costs: object) -> Fraction:
    """Try all 128 subsets; check each with the evaluation core; keep the cheapest."""
    pupils = int(school.primary_students or 0)
    best: Fraction | None = None
    for size in range(len(MEMBERS) + 1):
        for chosen in itertools.combinations(range(len(MEMBERS)), size):
            changes: dict[str, Decimal] = {}
            cost = Fraction(0)
            for i, (_rule, column, threshold, scale, step) in enumerate(MEMBERS):
                t = Fraction(Decimal(threshold))
                target = t if i in chosen else t * Fraction(85, 100)
                current = getattr(school, column)
                amount = _need(current, target, pupils, scale, step)
                if amount:
                    changes[column] = current + Decimal(amount.numerator) / amount.denominator
                    key = COST_KEY.get(column, column)
                    cost += amount * costs.per_unit(key)  # type: ignore[attr-defined]
            hires = changes.get("primary_pe_art_teachers", school.primary_pe_art_teachers)
            extra = Decimal(hires or 0) - Decimal(school.primary_pe_art_teachers or 0)
            if extra:
                changes["primary_teachers"] = Decimal(school.primary_teachers or 0) + extra
                changes["primary_certified_teachers"] = (
                    Decimal(school.primary_certified_teachers or 0) + extra
                )
            candidate = attrs.evolve(school, **dict[str, Any](changes))
            result = br.evaluate(standard, br.County(name="测试县", schools=[candidate]))
            (section,) = result.counties[0].schools
            k_of_n = next(f for f in section.findings if f.rule == "resource_school_6_of_7")
            if k_of_n.status == "pass" and (best is None or cost < best):
                best = cost
    assert best is not None
    return best


def test_cheapest_subset_matches_brute_force(standard: br.Standard) -> None:
    costs = load_costs("examples/costs.yaml")
    rng = random.Random(2026)
    checked = 0
    while checked < 4:
        school = _school(rng)
        before = br.evaluate(standard, br.County(name="测试县", schools=[school]))
        k_of_n = next(
            f for f in before.counties[0].schools[0].findings
            if f.rule == "resource_school_6_of_7"
        )  # fmt: skip
        if k_of_n.status == "pass":
            continue
        plan = br.shortfall(standard, br.County(name="测试县", schools=[school]), costs)
        (county,) = plan.counties
        ours = sum(
            (
                Fraction(a.cost)
                for a in county.additions
                if a.rule == "resource_school_6_of_7" and a.cost is not None
            ),
            Fraction(0),
        )
        assert ours == _brute_force(standard, school, costs)
        applied = attrs.evolve(school, **dict[str, Any](_applied(school, county.additions)))
        after = br.evaluate(standard, br.County(name="测试县", schools=[applied]))
        finding = next(
            f for f in after.counties[0].schools[0].findings if f.rule == "resource_school_6_of_7"
        )
        assert finding.status == "pass"
        checked += 1


def _applied(school: br.School, additions: object) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for a in additions:  # type: ignore[attr-defined]
        current = out.get(a.field, getattr(school, a.field))
        out[a.field] = current + a.add
    return out


def test_without_costs_all_to_threshold_and_floor_options(standard: br.Standard) -> None:
    # 500 pupils; backbone 4 (0.8 per 100 = 80 % of 1.0: under the floor), sports 3600 m²
    # (7.2 of 7.5 = 96 %): 5 of 7 met.  Without costs both go to threshold:
    # backbone +1 (5 = 1.0), sports +150 m² (3750 = 7.5).  Either alone could stop at the
    # floor instead: backbone to 0.85 → 4.25 → 5 (saves 0), sports already above 85 % (saves 150).
    school = br.School(
        school_id="F", county="测试县", school_type="primary", primary_students=500,
        primary_teachers=60, primary_teachers_above_degree=30, primary_backbone_teachers=4,
        primary_pe_art_teachers=5, teaching_aux_area=2500, sports_area=3600,
        equipment_value=1000000, multimedia_rooms=12, primary_classes=12,
        primary_max_class_size=42, music_rooms=1, art_rooms=1, min_music_room_area=100,
        min_art_room_area=100,
    )  # fmt: skip
    (county,) = br.shortfall(standard, br.County(name="测试县", schools=[school])).counties
    got = {a.field: a.add for a in county.additions if a.rule == "resource_school_6_of_7"}
    assert got == {"primary_backbone_teachers": 1, "sports_area": 150}
    options = {(o.field, o.saves) for o in county.floor_options}
    assert options == {("sports_area", Decimal(150))}
    # with costs the cheaper choice is taken: backbone (5,000 元) to threshold, sports stays
    costs = load_costs("examples/costs.yaml")
    (costed,) = br.shortfall(standard, br.County(name="测试县", schools=[school]), costs).counties
    got = {a.field: a.add for a in costed.additions if a.rule == "resource_school_6_of_7"}
    assert got == {"primary_backbone_teachers": 1}
