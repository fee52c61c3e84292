"""End-to-end: the real `balance-rules` command in a subprocess, on real files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .conftest import EXAMPLE_FACTS, EXAMPLE_SCHOOLS, run_cli


def test_evaluate_example_passes_in_chinese() -> None:
    result = run_cli("evaluate", EXAMPLE_SCHOOLS, "--facts", EXAMPLE_FACTS)
    assert result.returncode == 0, result.stderr
    assert "示例县" in result.stdout
    assert "结论: 通过" in result.stdout
    assert "差异系数" in result.stdout
    assert result.stderr == ""


def test_evaluate_in_english() -> None:
    result = run_cli("evaluate", EXAMPLE_SCHOOLS, "--facts", EXAMPLE_FACTS, "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert "Verdict: pass" in result.stdout
    assert "Difference coefficients" in result.stdout


def test_json_report_follows_the_contract_and_is_byte_identical(tmp_path: Path) -> None:
    out1, out2 = tmp_path / "a.json", tmp_path / "b.json"
    for out in (out1, out2):
        result = run_cli(
            "evaluate",
            EXAMPLE_SCHOOLS,
            "--facts",
            EXAMPLE_FACTS,
            "--format",
            "json",
            "--output",
            out,
        )
        assert result.returncode == 0, result.stderr
    assert out1.read_bytes() == out2.read_bytes()
    report = json.loads(out1.read_text(encoding="utf-8"))
    assert report["schema_version"] == 1
    assert report["generator"]["name"] == "balance-rules"
    assert report["standard"]["id"] == "national/quality-2017"
    assert report["standard"]["layers"] == ["national/quality-2017"]
    assert report["standard"]["digest"].startswith("sha256:")
    (county,) = report["counties"]
    assert county["county"] == "示例县"
    assert county["verdict"] == "pass" and county["passed"] is True
    coefficient = county["coefficients"][0]
    assert set(coefficient) >= {"level", "indicator", "value", "max", "passed", "schools"}
    assert any(c["indicator"] == "composite" for c in county["coefficients"])
    school = county["schools"][0]
    assert set(school) >= {"school_id", "name", "level", "passed", "findings"}
    finding = school["findings"][0]
    assert set(finding) >= {"rule", "indicator", "value", "op", "threshold", "status", "reason"}
    assert finding["source"]["document"] == "教督〔2017〕6号"
    assert isinstance(finding["value"], int | float)
    # A nine-year school appears once per level with the same id.
    levels = [s["level"] for s in county["schools"] if s["school_id"] == "2130000001"]
    assert levels == ["primary", "junior"]
    reasons = {e["reason"] for e in county["excluded"]}
    assert {"private", "teaching_point", "merged_into_parent", "special_education"} <= reasons
    # Every school row of the input is evaluated or excluded.
    ids = {s["school_id"] for s in county["schools"]} | {e["school_id"] for e in county["excluded"]}
    rows = EXAMPLE_SCHOOLS.read_text(encoding="utf-8").splitlines()[1:]
    assert ids == {row.split(",")[1] for row in rows}


def test_incomplete_without_facts_exits_1() -> None:
    result = run_cli("evaluate", EXAMPLE_SCHOOLS, "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["counties"][0]["verdict"] == "incomplete"
    missing = [f for f in report["counties"][0]["findings"] if f["status"] == "not_evaluated"]
    assert missing and all(f["missing"] for f in missing)


def test_failing_county_exits_1(tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text(
        EXAMPLE_FACTS.read_text(encoding="utf-8").replace(
            "exam_admission: 否", "exam_admission: 是"
        ),
        encoding="utf-8",
    )
    result = run_cli("evaluate", EXAMPLE_SCHOOLS, "--facts", facts)
    assert result.returncode == 1
    assert "一票否决" in result.stdout


def test_basic_2012_on_the_example() -> None:
    result = run_cli(
        "evaluate",
        EXAMPLE_SCHOOLS,
        "--facts",
        EXAMPLE_FACTS,
        "--standard",
        "national/basic-2012",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    county = json.loads(result.stdout)["counties"][0]
    composites = [c for c in county["coefficients"] if c["indicator"] == "composite"]
    assert {c["level"] for c in composites} == {"primary", "junior"}
    assert {c["max"] for c in composites} == {0.65, 0.55}


def test_bad_data_exits_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("学校标识码,学校类型,小学在校生数\nA,小学,abc\nB,小雪,10\n", encoding="utf-8")
    result = run_cli("evaluate", bad, "--lang", "en")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "row 2" in result.stderr and "row 3" in result.stderr
    assert str(bad) in result.stderr
    assert result.stdout == ""


def test_missing_file_and_unknown_standard_exit_2(tmp_path: Path) -> None:
    result = run_cli("evaluate", tmp_path / "nope.csv", "--lang", "en")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no such file" in result.stderr
    result = run_cli(
        "evaluate", EXAMPLE_SCHOOLS, "--standard", "national/quality-2018", "--lang", "en"
    )
    assert result.returncode == 2 and "did you mean 'national/quality-2017'" in result.stderr


def test_usage_error_exits_2() -> None:
    result = run_cli("evaluate")
    assert result.returncode == 2
    assert "usage" in result.stderr


def test_validate(tmp_path: Path) -> None:
    result = run_cli("validate", "national/quality-2017", "national/basic-2012")
    assert result.returncode == 0
    assert result.stdout.count(": ok") == 2
    from balance_rules.standard.loader import bundled_dir

    bad = tmp_path / "bad.yaml"
    shutil.copy(bundled_dir() / "national" / "basic-2012.yaml", bad)
    bad.write_text(
        bad.read_text(encoding="utf-8").replace("kind: composite", "kind: composit"),
        encoding="utf-8",
    )
    result = run_cli("validate", bad, "--lang", "en")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "did you mean 'composite'" in result.stderr
    assert f"{bad}:" in result.stderr


def test_show_and_list() -> None:
    result = run_cli("show", "national/quality-2017")
    assert result.returncode == 0
    assert "resource_school_6_of_7" in result.stdout
    assert "national/quality-2017, line" in result.stdout
    result = run_cli("list")
    assert result.returncode == 0
    assert "national/basic-2012" in result.stdout and "national/quality-2017" in result.stdout


def test_console_script_is_installed() -> None:
    exe = shutil.which("balance-rules")
    assert exe is not None


def test_markdown_report() -> None:
    result = run_cli(
        "evaluate",
        EXAMPLE_SCHOOLS,
        "--facts",
        EXAMPLE_FACTS,
        "--format",
        "markdown",
        "--lang",
        "en",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# ")
    assert "## 示例县" in result.stdout
    assert "| Level | Indicator | Value | Cap | Result |" in result.stdout
    # The tolerated unmet indicator of 城关第三小学 is listed with its reason.
    line = next(x for x in result.stdout.splitlines() if "城关第三小学" in x and "Sports" in x)
    assert "not met" in line and "< 7.5" in line
