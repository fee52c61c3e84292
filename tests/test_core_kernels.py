"""The kernel table: one kernel per kind the bundled standards use, and a new kind added."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

import balance_rules as br
from balance_rules.engine.kernels import KERNELS, register
from balance_rules.standard.model import Citation, Origin

from .conftest import mini_standard, school
from .kernel_example import KERNEL, SchoolShare


def test_every_rule_kind_of_the_bundled_standards_has_a_kernel() -> None:
    kinds = {
        rule.kind
        for name in br.bundled_ids()
        for rule in br.load_standard(name).rules.values()
        if not rule.kind.startswith("warning_")  # monitoring's, read by balance_rules.monitor
    }
    assert kinds <= set(KERNELS)
    assert {
        "school_threshold",
        "school_k_of_n",
        "coefficients",
        "composite",
        "county_fact",
    } <= kinds


def test_register_refuses_a_taken_kind_and_a_non_kernel() -> None:
    with pytest.raises(ValueError, match="already has a kernel"):
        register(attrs.evolve(KERNELS["coefficients"]))
    with pytest.raises(TypeError, match="Kernel"):
        register("coefficients")  # type: ignore[arg-type]


def test_a_new_kind_is_a_module_and_a_table_line() -> None:
    standard = mini_standard()
    rule = SchoolShare(
        id="area_share",
        group="main",
        source=Citation(document="测试", article="第二条"),
        origin=Origin(layer=standard.id, file=""),
        rule="area_min",
        level="primary",
        min_share=Decimal("0.75"),
    )
    rules = {**standard.rules, rule.id: rule}
    share_standard = attrs.evolve(standard, rules=rules)  # type: ignore[arg-type]
    register(KERNEL)
    try:
        passing = {"teaching_aux_area": 600, "primary_students": 100}  # 6 m² each: meets ≥ 4.5
        short = {"teaching_aux_area": 400, "primary_students": 100}  # 4 m²: fails
        three_of_four = br.County(
            name="县",
            schools=[school(i, **passing) for i in ("A", "B", "C")] + [school("D", **short)],
        )
        two_of_four = br.County(
            name="乡",
            schools=[school(i, **passing) for i in ("A", "B")]
            + [school(i, **short) for i in ("C", "D")],
        )
        report = br.evaluate(share_standard, [three_of_four, two_of_four])
        found = {
            c.county: next(f for f in c.findings if f.rule == "area_share") for c in report.counties
        }
        # 3 / 4 = 0.75 exactly meets "≥ 0.75"; 2 / 4 does not.
        assert (found["县"].status, found["县"].value, found["县"].detail) == (
            "pass", 0.75, "3 of 4 sections",
        )  # fmt: skip
        assert found["乡"].status == "fail"
    finally:
        KERNELS.pop("school_share", None)


def test_the_warning_kinds_are_in_the_one_table_and_need_the_previous_year() -> None:
    year_on_year = {kind for kind, kernel in KERNELS.items() if kernel.needs_previous}
    assert year_on_year == {"warning_cv_margin", "warning_cv_rise", "warning_k_of_n_lost"}
    for kind in year_on_year:
        assert KERNELS[kind].kind == kind


def test_the_one_year_evaluation_skips_a_kernel_that_needs_the_previous_year() -> None:
    standard = mini_standard()
    rule = SchoolShare(
        id="area_share",
        group="main",
        source=Citation(document="测试", article="第二条"),
        origin=Origin(layer=standard.id, file=""),
        rule="area_min",
        level="primary",
        min_share=Decimal("1"),  # would fail the county below if it were run
    )
    rules = {**standard.rules, rule.id: rule}
    share_standard = attrs.evolve(standard, rules=rules)  # type: ignore[arg-type]

    def never(*args: object) -> None:
        raise AssertionError("a year-on-year kernel was run on one year's data")

    register(attrs.evolve(KERNEL, run=never, needs_previous=True))
    try:
        short = {"teaching_aux_area": 400, "primary_students": 100}  # 4 m²: fails area_min
        fine = {"teaching_aux_area": 600, "primary_students": 100}
        county = br.County(name="县", schools=[school("A", **fine), school("B", **short)])
        report = br.evaluate(share_standard, county)
        assert not [f for f in report.counties[0].findings if f.rule == "area_share"]
        plain = br.evaluate(standard, county)
        assert report.counties[0].verdict == plain.counties[0].verdict
    finally:
        KERNELS.pop("school_share", None)
