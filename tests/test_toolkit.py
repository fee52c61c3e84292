"""The public testing toolkit: strategies, policy checks, flip reports, case files.

The project's own policy properties are written with it.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import balance_rules as br
from balance_rules.flips import flip_report
from balance_rules.testing import (
    PolicyViolation,
    check_at_least_as_strict,
    check_deterministic,
    check_equivalent,
    check_flips_only,
    generate_cases,
    run_case_file,
)
from balance_rules.testing.cases import dump_cases
from balance_rules.testing.strategies import (
    counties,
    edited_standards,
    generation_schema,
    schools,
    standard_documents,
)

from .conftest import EXAMPLE_FACTS, EXAMPLE_SCHOOLS, mini, mini_standard, run_cli

NATIONAL = br.load_standard("national/quality-2017")
BASIC = br.load_standard("national/basic-2012")
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- strategies ---------------------------------------------------------------------


@FAST
@given(schools(standard=NATIONAL))
def test_generated_schools_are_valid_and_evaluate(school: br.School) -> None:
    assert school.problems() == [] or not list(school.problems())
    report = br.evaluate(NATIONAL, br.County(name="县", schools=[school]))
    (county,) = report.counties
    ids = {s.school_id for s in county.schools} | {e.school_id for e in county.excluded}
    assert ids == {school.school_id}


@FAST
@given(counties(standard=NATIONAL, max_schools=8))
def test_evaluation_is_deterministic_and_order_free(county: br.County) -> None:
    check_deterministic(NATIONAL, county)


@FAST
@given(counties(standard=NATIONAL, max_schools=8), st.data())
def test_tightening_edits_are_at_least_as_strict(county: br.County, data: st.DataObject) -> None:
    edited, edits = data.draw(edited_standards(NATIONAL, kinds=("tighten",)))
    assert all(e.kind == "tighten" for e in edits)
    check_at_least_as_strict(edited, NATIONAL, county)
    assert not [c for c in br.diff_standards(NATIONAL, edited) if c.direction == "loosened"]


@FAST
@given(counties(standard=BASIC, max_schools=8), st.data())
def test_loosening_edits_never_make_the_base_looser(county: br.County, data: st.DataObject) -> None:
    edited, _ = data.draw(edited_standards(BASIC, kinds=("loosen",)))
    check_at_least_as_strict(BASIC, edited, county)


@FAST
@given(counties(standard=NATIONAL, max_schools=6), st.data())
def test_added_rules_only_flip_themselves(county: br.County, data: st.DataObject) -> None:
    edited, edits = data.draw(edited_standards(NATIONAL, kinds=("add",), max_edits=2))
    check_flips_only(NATIONAL, edited, county, rules=[e.rule for e in edits])


def test_generation_schema_is_the_published_schema_rewritten() -> None:
    schema = generation_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    for name in br.bundled_ids():
        if not name.startswith("national/"):
            continue
        assert not list(
            validator.iter_errors(
                json.loads(json.dumps(br.load_standard(name).document, default=float))
            )
        )
    bad = json.loads(json.dumps(NATIONAL.document, default=float))
    bad["rules"]["class_size"]["threshhold"] = 1
    assert list(validator.iter_errors(bad))


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(standard_documents())
def test_any_schema_valid_document_loads_or_says_why(document: dict[str, Any]) -> None:
    try:
        standard = br.standard_from_mapping(document)
    except br.StandardError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
    else:
        assert standard.id == document["id"]


# -- checks -------------------------------------------------------------------------


def _example() -> list[br.County]:
    return br.read_counties(EXAMPLE_SCHOOLS, EXAMPLE_FACTS)


def test_check_at_least_as_strict_reports_a_counterexample() -> None:
    jiangsu = br.load_standard("jiangsu/quality")
    check_at_least_as_strict(jiangsu, NATIONAL, _example())
    with pytest.raises(PolicyViolation) as info:
        check_at_least_as_strict(NATIONAL, jiangsu, _example())
    message = str(info.value)
    assert "national/quality-2017 is looser than jiangsu/quality" in message
    assert "county 示例县: fail -> pass" in message
    assert "rule class_size" in message and "threshold 40 -> 45" in message
    assert info.value.flips is not None and info.value.flips.totals()["counties_to_pass"] == 1


def test_check_equivalent_and_flips_only() -> None:
    check_equivalent(NATIONAL, NATIONAL, _example())
    hebei = br.load_standard("hebei/quality-2017")
    with pytest.raises(PolicyViolation):
        check_equivalent(NATIONAL, br.load_standard("jiangsu/quality"), _example())
    # Hebei evaluates one more teaching point: rules of that school change from absent
    # to evaluated; equivalence fails only if one of them is not a pass.
    report = flip_report(NATIONAL, hebei, _example())
    assert all(f.school_id == "2160000002" for f in report.findings)
    with pytest.raises(PolicyViolation) as info:
        check_flips_only(NATIONAL, br.load_standard("jiangsu/quality"), _example(), ["class_size"])
    assert "retention_rate_junior" in str(info.value)


def test_flip_report_counts_match_an_independent_count() -> None:
    """national → jiangsu on the example: count class sizes between the two thresholds
    straight from the CSV (merging the sub-site by hand) and compare."""
    rows = list(csv.DictReader(EXAMPLE_SCHOOLS.open(encoding="utf-8")))
    in_scope = {
        r["学校标识码"]: r
        for r in rows
        if r["办别"] == "公办"
        and r["隶属"] == "县级"
        and r["学校类型"] not in ("小学教学点", "特殊教育学校")
        and r["是否计校数"] == "是"
    }
    for sub in (r for r in rows if r["是否计校数"] == "否"):
        parent = in_scope[sub["所属学校标识码"]]
        for column in ("小学最大班额",):
            parent[column] = str(max(int(parent[column]), int(sub[column])))
    expected = 0
    for r in in_scope.values():
        for column, old, new in (("小学最大班额", 45, 40), ("初中最大班额", 50, 45)):
            if r[column] and new < int(r[column]) <= old:
                expected += 1
    report = flip_report(NATIONAL, br.load_standard("jiangsu/quality"), _example())
    class_flips = [f for f in report.findings if f.rule == "class_size"]
    assert len(class_flips) == expected > 0
    assert all(f.old_status == "pass" and f.new_status == "fail" for f in class_flips)
    assert report.totals()["schools_to_fail"] == expected
    assert [(c.old_verdict, c.new_verdict) for c in report.counties] == [("pass", "fail")]


def test_diff_with_data_through_the_command() -> None:
    result = run_cli(
        "diff",
        "national/quality-2017",
        "jiangsu/quality",
        "--data",
        EXAMPLE_SCHOOLS,
        "--facts",
        EXAMPLE_FACTS,
        "--format",
        "json",
    )
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["flips"]["totals"]["counties_to_fail"] == 1
    assert {f["rule"] for f in data["flips"]["findings"]} >= {"class_size", "retention_rate_junior"}
    flip = next(f for f in data["flips"]["findings"] if f["rule"] == "retention_rate_junior")
    assert (flip["old_threshold"], flip["new_threshold"], flip["new_layer"]) == (
        95,
        99,
        "jiangsu/quality",
    )
    text = run_cli(
        "diff",
        "national/quality-2017",
        "jiangsu/quality",
        "--data",
        EXAMPLE_SCHOOLS,
        "--facts",
        EXAMPLE_FACTS,
        "--lang",
        "en",
    ).stdout
    assert "Results on the data: national/quality-2017 → jiangsu/quality" in text
    assert "示例县: pass → fail" in text


# -- case files ---------------------------------------------------------------------


def test_generated_cases_follow_the_operator() -> None:
    document = generate_cases(mini_standard())
    by_name = {c["name"]: c for c in document["cases"]}
    at = by_name["area_min primary at 4.5"]
    (school,) = at["schools"]
    # 4.5 m² per student, exactly, with whole students.
    assert Decimal(school["teaching_aux_area"]) / Decimal(school["primary_students"]) == Decimal(
        "4.5"
    )
    assert [e["status"] for e in at["expect"]] == ["pass"]
    assert by_name["area_min primary below 4.5"]["expect"][0]["status"] == "fail"
    assert by_name["fact at 95"]["expect"][0] == {
        "rule": "fact",
        "status": "pass",
        "reason": "95 ≥ 95",
    }
    assert by_name["fact below 95"]["expect"][0]["status"] == "fail"
    cv_at = by_name["cv primary area at 0.5"]
    a, b = cv_at["schools"]
    values = [Decimal(s["teaching_aux_area"]) / Decimal(s["primary_students"]) for s in (a, b)]
    mean = sum(values, Decimal(0)) / 2
    assert (values[1] - mean) / mean == Decimal("0.5")  # equal weights: CV = half the spread


def test_case_runner_reports_failures(tmp_path: Path) -> None:
    document = generate_cases(mini_standard())
    document["standard"] = "standard.yaml"
    wrong = document["cases"][0]
    wrong["expect"][0]["status"] = "fail"
    (tmp_path / "standard.yaml").write_text(dump_cases(mini()), encoding="utf-8")
    path = tmp_path / "standard.cases.yaml"
    path.write_text(dump_cases(document), encoding="utf-8")
    results = run_case_file(path)
    failed = [r for r in results if not r.passed]
    assert [r.name for r in failed] == [wrong["name"]]
    assert "expected fail, got pass" in failed[0].failures[0]
    result = run_cli("test", path)
    assert result.returncode == 1
    assert f"FAILED {path} :: {wrong['name']}" in result.stdout
    assert f"{len(results) - 1} passed, 1 failed" in result.stdout


def test_every_bundled_standard_passes_its_cases() -> None:
    result = run_cli("test", "standards")
    assert result.returncode == 0, result.stdout[-2000:]
    assert " 0 failed" in result.stdout
    for name in br.bundled_ids():
        assert f"{name}.cases.yaml" in result.stdout


def test_bundled_cases_cover_every_tested_rule() -> None:
    import yaml

    from balance_rules.testing.cases import case_files

    for name in br.bundled_ids():
        standard = br.load_standard(name)
        covered = {
            e["rule"]
            for path in case_files(name)
            for c in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
            for e in c["expect"]
        }
        untested = {
            r.id for r in standard.rules.values() if getattr(r, "max", None) == {}
        }  # CVs reported without a cap have no threshold to test
        assert set(standard.rules) - covered <= untested, name


def test_test_command_with_no_cases_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("test", tmp_path)
    assert result.returncode == 2 and "用例文件" in result.stderr  # "no case files"


def test_the_policy_change_example_runs() -> None:
    import subprocess
    import sys

    from .conftest import EXAMPLES

    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "policy_change.py")],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (
        "tightened rules.equipment_value_per_student.threshold.junior 2500 -> 3000" in result.stdout
    )
    assert "示例县: pass → fail" in result.stdout
    assert "property tests passed" in result.stdout
