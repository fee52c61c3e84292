"""br.monitor on hand-set counties: trends, flips, moves, presence, warnings, overview.

Expected coefficients are computed by hand in tests/monitor_helpers.py.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import balance_rules as br
from balance_rules.engine.kernels import KERNELS
from balance_rules.monitor import CountyTrend
from balance_rules.render.monitor import headline_text, monitoring_dict, render_monitor_text

from .monitor_helpers import A_CV, B_CV_2021, county, school, standard, standard_text, years


@pytest.fixture(scope="module")
def monitoring() -> br.Monitoring:
    return br.monitor(years(), standard())


def _trend(m: br.Monitoring, name: str) -> CountyTrend:
    return next(t for t in m.counties if t.county == name)


def test_every_cv_per_year_with_its_cap(monitoring: br.Monitoring) -> None:
    a = _trend(monitoring, "A县")
    (series,) = a.coefficients
    assert [y for y, _ in series.points] == [2021, 2022, 2023]
    for year, point in series.points:
        assert point is not None
        assert point.value == pytest.approx(A_CV[year], abs=1e-12)
        assert point.max == Decimal("0.5")
    assert [p.passed for _, p in series.points if p] == [True, False, True]
    assert [d for _, d in series.changes] == [None, "up", "down"]
    assert a.verdict(2021) == "pass" and a.verdict(2022) == "fail"


def test_cv_crossing_its_cap_in_year_two_and_back(monitoring: br.Monitoring) -> None:
    moves = _trend(monitoring, "A县").movements
    assert [(m.from_year, m.to_year, m.change) for m in moves] == [
        (2021, 2022, "past"),
        (2022, 2023, "back"),
    ]


def test_school_flipping_in_year_three_with_its_cause(monitoring: br.Monitoring) -> None:
    (flip,) = _trend(monitoring, "A县").flips
    assert (flip.school_id, flip.from_year, flip.to_year) == ("A1", 2022, 2023)
    assert (flip.before, flip.after, flip.causes) == (True, False, ("area",))


def test_warning_rules_fire_as_hand_computed(monitoring: br.Monitoring) -> None:
    a, b = _trend(monitoring, "A县"), _trend(monitoring, "B县")
    # A: CV 0 → 0.707 in 2022 is a rise of more than 0.05; A1 lost 2 of 2 in 2023.
    assert [(w.rule, w.year, w.school_id) for w in a.warnings] == [
        ("rising", 2022, None),
        ("lost", 2023, "A1"),
    ]
    lost = a.warnings[1]
    assert (lost.severity, lost.previous, lost.value) == ("red", 2.0, 1.0)
    # B: 0.4714 meets the 0.5 cap but is within 0.1 of it (0.4 ≤ CV ≤ 0.5).
    (near,) = b.warnings
    assert (near.rule, near.year, near.figure, near.threshold) == (
        "near_cap",
        2021,
        Decimal("0.1"),
        Decimal("0.5"),
    )
    assert near.value == pytest.approx(B_CV_2021)
    # Every hit carries its source, layer and confidence like any rule.
    assert near.source == "测试约定 预警一"
    assert near.layer == "test/monitor"
    assert near.confidence == "unconfirmed"


def test_a_cv_over_its_cap_is_a_failure_not_a_margin_warning(monitoring: br.Monitoring) -> None:
    a = _trend(monitoring, "A县")
    assert not [w for w in a.warnings if w.rule == "near_cap"]


def test_margin_boundary_is_exact() -> None:
    # CV exactly cap - margin: areas 4, 6 per pupil (equal pupils): mean 5, S = 1, CV = 0.2.
    # With cap 0.3 and margin 0.1 the CV is exactly at cap - margin: it warns (≥).
    text = standard_text(cap="0.3")
    m = br.monitor(
        {2021: [county("C县", school("C县", "C1", "4"), school("C县", "C2", "6"))]},
        br.standard_from_text(text),
    )
    (trend,) = m.counties
    assert trend.coefficients[0].points[0][1].value == pytest.approx(0.2)  # type: ignore[union-attr]
    assert [w.rule for w in trend.warnings] == ["near_cap"]


def test_county_missing_from_a_year_is_noted_not_dropped(monitoring: br.Monitoring) -> None:
    b = _trend(monitoring, "B县")
    assert dict(b.years)[2022] is None
    assert [n.code for n in monitoring.notes] == ["county_missing"]
    assert monitoring.notes[0].county == "B县" and monitoring.notes[0].year == 2022


def test_overview_sorted_by_urgency(monitoring: br.Monitoring) -> None:
    first, second = monitoring.overview
    assert (first.county, first.latest, first.red, first.urgency) == ("A县", "fail", 1, 1)
    assert (second.county, second.latest, second.urgency) == ("B县", "pass", 2)
    assert [c.verdict for c in first.cells] == ["pass", "fail", "fail"]
    assert first.cells[1].worst_ratio == pytest.approx(A_CV[2022] / 0.5)
    assert not monitoring.passed


def test_headline_wording() -> None:
    m = br.monitor(years(), standard())
    headline = _trend(m, "A县").headline
    assert headline is not None
    assert headline_text(headline) == (
        "差异系数最高值小学 0.177，达到规定要求（小学 ≤ 0.5），且较上年呈下降趋势。"
    )
    assert "lower than the year before" in headline_text(headline, "en")


def test_presence_opened_closed_renamed_merged_and_reused() -> None:
    s = standard()
    y1 = [
        county(
            "C县",
            school("C县", "C1", "5"),
            school("C县", "C2", "5", school_name="甲小学"),
            school("C县", "C3", "5"),
            school("C县", "D1", "5"),
            school("C县", "D2", "5"),
        )
    ]
    y2 = [
        county(
            "C县",
            school("C县", "C1N", "5"),  # C1's new id
            br.School(  # C2 reused by another school: name and type changed
                school_id="C2",
                school_name="乙中学",
                county="C县",
                school_type="junior",
                junior_students=100,
                teaching_aux_area=600,
                books=3000,
            ),
            school("C县", "C4", "5"),  # opened; C3 closed
            school("C县", "D1", "5"),  # D2 merged into D1
        )
    ]
    m = br.monitor({2021: y1, 2022: y2}, s, renamed={"C1": "C1N", "D2": "D1"})
    (trend,) = m.counties
    events = {(p.school_id, p.event, p.other) for p in trend.presence}
    assert events == {
        ("C1", "renamed", "C1N"),
        ("C2", "id_reused", None),
        ("C3", "closed", None),
        ("C4", "opened", None),
        ("D2", "merged", "D1"),
    }
    assert [n.code for n in m.notes] == ["id_reused"]
    assert "C2" in m.notes[0].message
    assert not trend.flips  # a reused id is not compared with the old school


def test_renamed_school_keeps_its_history_for_flips() -> None:
    m = br.monitor(
        {
            2021: [county("C县", school("C县", "OLD", "5"), school("C县", "X", "5"))],
            2022: [county("C县", school("C县", "NEW", "3"), school("C县", "X", "5"))],
        },
        standard(),
        renamed={"OLD": "NEW"},
    )
    (flip,) = m.counties[0].flips
    assert (flip.school_id, flip.before, flip.after) == ("NEW", True, False)
    assert [w.school_id for w in m.counties[0].warnings if w.rule == "lost"] == ["NEW"]


def test_mismatched_standards_between_years() -> None:
    loose = standard(cap="0.8", id_="test/loose")
    m = br.monitor(years(), {2021: standard(), 2022: loose, 2023: standard()})
    a = _trend(m, "A县")
    assert [p.max for _, p in a.coefficients[0].points if p] == [
        Decimal("0.5"),
        Decimal("0.8"),
        Decimal("0.5"),
    ]
    # Under the looser cap 0.707 passes: no move past the cap in 2022.
    assert a.verdict(2022) == "pass"
    assert [m.change for m in a.movements] == ["toward"]
    assert [n.code for n in m.notes if n.code == "standard_changed"] == [
        "standard_changed",
        "standard_changed",
    ]
    assert dict(m.standards) == {2021: "test/monitor", 2022: "test/loose", 2023: "test/monitor"}


def test_year_without_a_standard_is_noted_and_left_out() -> None:
    m = br.monitor(years(), {2021: standard(), 2023: standard()})
    assert m.years == (2021, 2023)
    assert [n.year for n in m.notes if n.code == "no_standard"] == [2022]
    with pytest.raises(br.DataError):
        br.monitor(years(), {2030: standard()})


def test_standard_issued_after_the_data_year_is_noted() -> None:
    m = br.monitor({2019: years()[2021]}, standard())
    assert [n.code for n in m.notes] == ["standard_after_year"]


def test_ready_reports_can_be_compared() -> None:
    s = standard()
    reports = {year: br.evaluate(s, counties) for year, counties in years().items()}
    from_reports = br.monitor(reports)
    direct = br.monitor(years(), s)
    assert monitoring_dict(from_reports, reports=False) == monitoring_dict(direct, reports=False)
    assert from_reports.report(2022) is reports[2022]


def test_every_warning_kind_has_a_kernel_and_a_schema_branch() -> None:
    from balance_rules.standard.schema import standard_schema

    kinds = standard_schema()["definitions"]["rule"]["properties"]["kind"]["enum"]
    warning_kinds = {k for k in kinds if k.startswith("warning_")}
    assert warning_kinds == {"warning_cv_margin", "warning_cv_rise", "warning_k_of_n_lost"}
    # One table: the warning kinds are in the core's KERNELS, as year-on-year kernels.
    assert {k for k, kernel in KERNELS.items() if kernel.needs_previous} == warning_kinds


def test_warning_kinds_are_not_evaluated_by_the_core() -> None:
    assert all(not kernel.needs_previous for kind, kernel in KERNELS.items()
               if not kind.startswith("warning_"))  # fmt: skip
    assert "warning_" not in " ".join(standard().rules)
    assert standard().warnings  # kept apart, in Standard.warnings


def test_show_lists_warning_rules() -> None:
    from balance_rules.render.show import render_show

    text = render_show(standard())
    assert "near_cap (warning_cv_margin, yellow) [unconfirmed]" in text
    assert "watches cv 0.1" in text


def test_warning_rule_watching_the_wrong_kind_is_refused() -> None:
    text = standard_text().replace("watches: both", "watches: cv")
    with pytest.raises(br.StandardError, match="watches school_k_of_n rules"):
        br.standard_from_text(text)
    text = standard_text().replace("watches: cv\n    margin", "watches: cvv\n    margin")
    with pytest.raises(br.StandardError, match="did you mean"):
        br.standard_from_text(text)


def test_warnings_decide_no_verdict() -> None:
    plain = br.standard_from_text(
        standard_text()
        .split("  near_cap:")[0]
        .replace("  watch: {label: {zh: 监测, en: watch}, required: false}\n", "")
    )
    for counties in years().values():
        a = br.evaluate(plain, counties)
        b = br.evaluate(standard(), counties)
        assert [c.verdict for c in a.counties] == [c.verdict for c in b.counties]


def test_bundled_example_layer_marks_every_figure_as_convention() -> None:
    layer = br.load_standard("monitoring/quality-2017-warnings")
    assert layer.warnings
    for rule in layer.warnings.values():
        assert rule.confidence == "unconfirmed"
        assert "balance-rules" in rule.source.document
        assert rule.origin.layer == "monitoring/quality-2017-warnings"
    assert set(layer.rules) == set(br.load_standard("national/quality-2017").rules)


def test_text_report_lists_every_section(monitoring: br.Monitoring) -> None:
    text = render_monitor_text(monitoring)
    assert "2022→2023 A1 A县A1 小学: 达标 → 未达标（生均教学及辅助用房面积）" in text
    assert "B县 没有 2022 年的数据" in text
    assert "[红色] 2023 不再全部达标" in text
    english = render_monitor_text(monitoring, "en")
    assert "pass → fail (area per student)" in english


def test_html_and_xlsx_keep_names_as_text(tmp_path: Path) -> None:
    from balance_rules.render.monitor_html import render_monitor_html
    from balance_rules.render.monitor_xlsx import write_monitor_xlsx

    name = "<script>alert(1)</script>"
    evil = {
        2021: [county(name, school(name, "=1+1", "5"), school(name, "X", "6"))],
        2022: [county(name, school(name, "=1+1", "3"), school(name, "X", "6"))],
    }
    m = br.monitor(evil, standard())
    html = render_monitor_html(m, "en")
    assert "<script>" not in html and "&lt;script&gt;" in html
    path = tmp_path / "m.xlsx"
    with path.open("wb") as stream:
        write_monitor_xlsx(m, stream)
    import openpyxl

    sheet = openpyxl.load_workbook(path)["变化与预警"]
    texts = [c.value for row in sheet.iter_rows() for c in row if c.value]
    assert any(str(t).startswith("2021→2022 =1+1") for t in texts)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
