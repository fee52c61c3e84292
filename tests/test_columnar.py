"""The core's arrays agree with the Report built from them (and the records), at thresholds too.

(Agreement with an independent evaluator is tests/test_core_oracle.py.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import balance_rules as br
from balance_rules.data.columns import ColumnTable, read_columns
from balance_rules.engine.columnar import ColumnarResult, evaluate_columns
from balance_rules.testing.strategies import counties

from .conftest import EXAMPLE_FACTS, EXAMPLE_SCHOOLS, ROOT, run_cli

STANDARDS = {name: br.load_standard(name) for name in br.bundled_ids()}
_STATUS = ("pass", "fail", "not_evaluated")


def _columnar_statuses(result: ColumnarResult) -> dict[tuple[str, str, str], str]:
    out = {}
    for (rule, level), outcome in result.outcomes.items():
        part = result.levels[level]
        for i, row in enumerate(part.rows):
            out[(result.table.text["school_id"][row], level, rule)] = _STATUS[outcome.status[i]]
    return out


def _assert_agree(standard: br.Standard, county_list: list[br.County]) -> None:
    plan = br.compile_standard(standard)
    schools = [s for c in county_list for s in c.schools]
    table = ColumnTable.from_schools(schools)
    result = evaluate_columns(plan, table, {c.name: c.facts for c in county_list})
    report = plan.evaluate(county_list)
    expected = {
        (s.school_id, s.level, f.rule): f.status
        for c in report.counties
        for s in c.schools
        for f in s.findings
    }
    assert _columnar_statuses(result) == expected
    assert result.county_names == [c.county for c in report.counties]
    assert result.verdicts == [c.verdict for c in report.counties]
    for code, county in enumerate(report.counties):
        objects = {(f.rule, f.level, f.indicator): f for f in county.findings}
        columns = {(f.rule, f.level, f.indicator): f for f in result.county_findings[code]}
        assert set(objects) == set(columns)
        for key, finding in objects.items():
            other = columns[key]
            assert other.status == finding.status, key
            assert tuple(other.missing) == tuple(finding.missing), key
            if finding.kind == "coefficients":
                assert tuple(other.missing_at) == tuple(finding.missing_at), key
            if isinstance(finding.value, float):
                assert abs(finding.value - other.value) <= 1e-9 * max(1.0, abs(finding.value))
        assert sorted((e.school_id, e.reason, e.level) for e in result.excluded[code]) == sorted(
            (e.school_id, e.reason, e.level) for e in county.excluded
        )


def test_example_county_agrees_under_every_bundled_standard() -> None:
    county_list = br.read_counties(EXAMPLE_SCHOOLS, EXAMPLE_FACTS)
    for standard in STANDARDS.values():
        _assert_agree(standard, county_list)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counties(standard=STANDARDS["national/quality-2017"], max_schools=10))
def test_generated_counties_agree_near_thresholds(county: br.County) -> None:
    # counties(standard=...) puts some schools exactly at, or 1 % either side of, a threshold.
    _assert_agree(STANDARDS["national/quality-2017"], [county])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counties(standard=STANDARDS["national/quality-2017"], max_schools=10, sub_sites=True))
def test_generated_counties_with_sub_sites_agree(county: br.County) -> None:
    # Merged sections are decided exactly by the columnar core too (sums and minimums).
    _assert_agree(STANDARDS["national/quality-2017"], [county])


def _nation() -> Any:
    """The benchmark's generator of a synthetic nation (benchmarks/nation.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("nation", ROOT / "benchmarks" / "nation.py")
    assert spec is not None and spec.loader is not None
    nation = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(nation)
    return nation


def test_a_small_synthetic_nation_agrees(tmp_path: Path) -> None:
    # The benchmark's generator: combined schools, sub-sites, teaching points, private
    # and city-run schools, values exactly at thresholds; ~30 counties.
    path = tmp_path / "nation.csv"
    rows = _nation().generate(path, scale=0.01, seed=7)
    county_list = br.read_counties(br.read_school_table(path))
    assert sum(len(c.schools) for c in county_list) == rows
    for name in ("national/quality-2017", "national/basic-2012", "jiangsu/quality"):
        _assert_agree(STANDARDS[name], county_list)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counties(standard=STANDARDS["hebei/basic-2012"], max_schools=8))
def test_generated_counties_agree_under_a_provincial_layer(county: br.County) -> None:
    _assert_agree(STANDARDS["hebei/basic-2012"], [county])


def test_fast_csv_reader_matches_the_full_reader(tmp_path: Path) -> None:
    import csv

    path = tmp_path / "canonical.csv"
    schools = br.read_school_table(EXAMPLE_SCHOOLS).schools
    fields = ["county", "school_id", "school_name", "school_type", "ownership", "authority",
              "location", "parent_school_id", "counted_as_school", "primary_students",
              "junior_students", "senior_students", "primary_max_class_size",
              "teaching_aux_area", "equipment_value", "books"]  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(fields)
        for s in schools:
            row = [getattr(s, f) for f in fields]
            writer.writerow(
                ["" if v is None else int(v) if isinstance(v, bool) else v for v in row]
            )
    fast = read_columns(path)
    slow = ColumnTable.from_schools(br.read_school_table(path).schools)
    assert fast.schools is None or fast.file  # read by pandas when it is installed
    for name in ("school_id", "school_type", "ownership", "authority", "parent_school_id"):
        assert fast.text[name].tolist() == slow.text[name].tolist(), name
    for name in ("primary_students", "equipment_value", "teaching_aux_area"):
        a, b = fast.numbers[name], slow.numbers[name]
        assert ((a == b) | ((a != a) & (b != b))).all(), name
    assert fast.counted.tolist() == slow.counted.tolist()


def test_csv_output_through_the_command(tmp_path: Path) -> None:
    out = tmp_path / "summary.csv"
    result = run_cli(
        "evaluate",
        EXAMPLE_SCHOOLS,
        "--facts",
        EXAMPLE_FACTS,
        "--format",
        "csv",
        "--summary",
        "--output",
        out,
    )
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")  # a file for Excel on Chinese Windows
    lines = text[1:].splitlines()
    assert lines[0].startswith("county,verdict,vetoed,sections")
    assert lines[1].startswith("示例县,pass,False,31,31,0,0")
    result = run_cli("evaluate", EXAMPLE_SCHOOLS, "--facts", EXAMPLE_FACTS, "--format", "csv")
    rows = result.stdout.splitlines()
    assert rows[0].startswith(
        "county,school_id,school_name,level,rule,indicator,value,op,threshold,status"
    )
    sports = [r for r in rows if "2110000003" in r and ",sports_area_per_student," in r]
    assert len(sports) == 1 and ",fail," in sports[0] and ",7.5," in sports[0]


def test_pandas_entry_point_is_partitionable_by_county() -> None:
    import pandas as pd

    from balance_rules.frames import evaluate_frame

    columns = ["county", "school_id", "school_type", "primary_students", "junior_students",
               "primary_teachers_above_degree", "teaching_aux_area", "sports_area"]  # fmt: skip
    frame = pd.DataFrame(
        [
            ["甲县", "A1", "primary", 500, None, 21, 2250, 3750],
            ["甲县", "A2", "primary", 300, None, 10, 1200, 3000],
            ["乙县", "B1", "nine_year", 300, 200, 15, 3000, 5000],
            ["乙县", "B2", "junior", None, 400, None, 2400, 4000],
        ],
        columns=columns,
    )
    standard = STANDARDS["national/quality-2017"]
    schools, county_rows, summary = evaluate_frame(frame, standard)
    parts = [evaluate_frame(part, standard) for _, part in frame.groupby("county", sort=True)]
    # Rows come county by county, so partitions in county order put together are the whole.
    together = pd.concat([p[0] for p in parts])
    pd.testing.assert_frame_equal(schools, together.reset_index(drop=True))
    pd.testing.assert_frame_equal(summary, pd.concat([p[2] for p in parts]).reset_index(drop=True))
    pd.testing.assert_frame_equal(
        county_rows, pd.concat([p[1] for p in parts]).reset_index(drop=True)
    )
    row = schools[(schools.school_id == "A1") & (schools.rule == "above_degree_teachers_per_100")]
    assert row.status.tolist() == ["pass"] and row.value.tolist() == [4.2]
    missing = schools[
        (schools.school_id == "B2") & (schools.rule == "above_degree_teachers_per_100")
    ]
    assert missing.status.tolist() == ["not_evaluated"]
    assert missing.missing.tolist() == ["junior_teachers_above_degree"]
    assert set(missing.layer) == {"national/quality-2017"}
    assert set(summary.verdict) <= {"fail", "incomplete"}


def test_csv_format_reports_bad_cells_like_every_other_format(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "county,school_id,school_type,primary_students\n甲县,A,primary,12.5\n甲县,B,primary,abc\n",
        encoding="utf-8",
    )
    result = run_cli("evaluate", bad, "--format", "csv", "--summary")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for row in (2, 3):
        assert f"row {row}" in result.stderr or f"第 {row} 行" in result.stderr


def _close(a: object, b: object) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int):
        return abs(a - b) <= 1e-9 * max(1.0, abs(b))
    return a == b


def _assert_records_match_the_report(standard: br.Standard, county_list: list[br.County]) -> None:
    # The records behind --format csv and jsonl say what the object path's report says.
    from balance_rules.records import county_records, finding_record

    plan = br.compile_standard(standard)
    table = ColumnTable.from_schools([s for c in county_list for s in c.schools])
    result = evaluate_columns(plan, table, {c.name: c.facts for c in county_list})
    report = plan.evaluate(county_list)
    records = list(county_records(result))
    assert [r.county for r in records] == [c.county for c in report.counties]
    keys = ("rule", "indicator", "op", "threshold", "status", "kind", "level", "layer",
            "source", "decides", "missing", "detail", "met", "of")  # fmt: skip
    for ours, county in zip(records, report.counties, strict=True):
        assert ours.verdict == county.verdict
        assert [(s["school_id"], s["level"], s["passed"]) for s in ours.sections] == [
            (s.school_id, s.level, s.passed) for s in county.schools
        ]
        for section, school in zip(ours.sections, county.schools, strict=True):
            assert section["merged"] == list(school.merged)
            expected = [finding_record(f) | _k_of_n(f) for f in school.findings]
            assert [r["rule"] for r in section["findings"]] == [e["rule"] for e in expected]
            for got, want in zip(section["findings"], expected, strict=True):
                for key in keys:
                    assert _close(got.get(key), want.get(key)), (school.school_id, key, got, want)
                assert _close(got["value"], want["value"]), (got, want)
        expected_county = [finding_record(f) for f in county.findings]
        assert len(ours.findings) == len(expected_county)
        for got, want in zip(ours.findings, expected_county, strict=True):
            for key in (*keys, "missing_at"):
                assert _close(got.get(key), want.get(key)), (county.county, key, got, want)


def _k_of_n(finding: object) -> dict[str, object]:
    met = getattr(finding, "met", None)
    return {} if met is None else {"met": met, "of": finding.of}  # type: ignore[attr-defined]


def test_records_match_the_object_report_for_the_example_and_a_small_nation(
    tmp_path: Path,
) -> None:
    county_list = br.read_counties(EXAMPLE_SCHOOLS, EXAMPLE_FACTS)
    for standard in STANDARDS.values():
        _assert_records_match_the_report(standard, county_list)
    path = tmp_path / "nation.csv"
    _nation().generate(path, scale=0.004, seed=11)
    nation = br.read_counties(br.read_school_table(path))
    _assert_records_match_the_report(STANDARDS["national/quality-2017"], nation)


_BLANKABLE = ("primary_students", "junior_students", "primary_teachers_above_degree",
              "junior_backbone_teachers", "sports_area", "equipment_value", "teaching_aux_area",
              "music_rooms", "min_music_room_area", "primary_classes")  # fmt: skip


@st.composite
def _counties_with_gaps(draw: st.DrawFn) -> br.County:
    """Generated counties with some cells left empty, so findings are not evaluated."""
    county = draw(counties(standard=STANDARDS["national/quality-2017"], max_schools=8,
                           sub_sites=True))  # fmt: skip
    schools = []
    for school in county.schools:
        blank = draw(st.lists(st.sampled_from(_BLANKABLE), max_size=2, unique=True))
        if school.school_type in ("nine_year", "twelve_year", "complete_secondary"):
            blank = [b for b in blank if not b.endswith("_students")]
        blanks: dict[str, Any] = dict.fromkeys(blank)
        schools.append(attrs.evolve(school, **blanks))
    return attrs.evolve(county, schools=tuple(schools))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_counties_with_gaps())
def test_records_match_the_object_report_on_generated_counties(county: br.County) -> None:
    _assert_records_match_the_report(STANDARDS["national/quality-2017"], [county])
    _assert_agree(STANDARDS["national/quality-2017"], [county])
