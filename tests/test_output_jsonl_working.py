"""JSON Lines CV records carry the CV's working (N, weighted mean, S), as the JSON report does."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

from balance_rules.cli import main

from .conftest import EXAMPLE_FACTS, EXAMPLE_SCHOOLS


def _run(*argv: str | Path) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    assert code in (0, 1), err.getvalue()
    return out.getvalue()


def _county_lines(text: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in text.splitlines()]
    return [line for line in lines if line["type"] == "county"]


def test_jsonl_coefficients_carry_students_mean_and_std(tmp_path: Path) -> None:
    # Two primary schools of 500 students: teaching and auxiliary area per student
    # 2250/500 = 4.5 and 2750/500 = 5.5.  By hand: N = 1000, weighted mean
    # (500*4.5 + 500*5.5)/1000 = 5.0, S = sqrt((500*0.25 + 500*0.25)/1000) = 0.5,
    # CV = 0.5/5.0 = 0.1.
    table = tmp_path / "two.csv"
    table.write_text(
        "county,school_id,school_type,primary_students,teaching_aux_area\n"
        "甲县,A,primary,500,2250\n甲县,B,primary,500,2750\n",
        encoding="utf-8",
    )
    (county,) = _county_lines(_run("evaluate", table, "--format", "jsonl"))
    found = {(c["level"], c["indicator"]): c for c in county["coefficients"]}
    area = found[("primary", "teaching_aux_area_per_student")]
    assert area["students"] == 1000
    assert math.isclose(area["mean"], 5.0, rel_tol=1e-12)
    assert math.isclose(area["std"], 0.5, rel_tol=1e-12)
    assert math.isclose(area["value"], 0.1, rel_tol=1e-12)
    # An indicator with no data: no working (the CV is not evaluated).
    missing = found[("primary", "equipment_value_per_student")]
    assert missing["value"] is None and missing["mean"] is None and missing["std"] is None


def test_jsonl_working_equals_the_json_reports() -> None:
    args = ("evaluate", EXAMPLE_SCHOOLS, "--facts", EXAMPLE_FACTS)
    report = json.loads(_run(*args, "--format", "json"))
    (county,) = _county_lines(_run(*args, "--format", "jsonl"))
    (whole,) = report["counties"]
    assert len(county["coefficients"]) == len(whole["coefficients"]) > 0
    worked = 0
    for ours, theirs in zip(county["coefficients"], whole["coefficients"], strict=True):
        assert set(ours) == set(theirs), (ours, theirs)
        for key in ("level", "indicator", "rule", "students", "mean", "std", "value", "max"):
            assert ours[key] == theirs[key], (key, ours, theirs)  # the same floats
        worked += ours["mean"] is not None
    assert worked > 0  # the example county has CVs with their working
