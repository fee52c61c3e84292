"""National-run output: JSON Lines, streamed CSV, the progress display, broken pipes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from balance_rules.render.progress import ProgressBar, interactive

from .conftest import EXAMPLE_FACTS, EXAMPLE_SCHOOLS, ROOT, run_cli


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_jsonl_says_what_the_json_report_says(tmp_path: Path) -> None:
    args = ("evaluate", EXAMPLE_SCHOOLS, "--facts", EXAMPLE_FACTS)
    streamed = run_cli(*args, "--format", "jsonl")
    whole = run_cli(*args, "--format", "json")
    assert streamed.returncode == whole.returncode == 0, streamed.stderr
    lines = _lines(streamed.stdout)
    report = json.loads(whole.stdout)
    assert [line["type"] for line in lines[:1] + lines[-2:]] == ["run", "county", "summary"]
    assert lines[0]["standard"] == report["standard"]
    assert lines[0]["schema_version"] == report["schema_version"]
    county = report["counties"][0]
    schools = [line for line in lines if line["type"] == "school"]
    assert len(schools) == len(county["schools"]) == lines[-2]["sections"]
    for ours, theirs in zip(schools, county["schools"], strict=True):
        assert ours["county"] == county["county"]
        for key in ("school_id", "name", "level", "passed", "school_type", "location", "merged"):
            assert ours[key] == theirs[key], key
        assert len(ours["findings"]) == len(theirs["findings"])
        for got, want in zip(ours["findings"], theirs["findings"], strict=True):
            assert "reason" not in got  # the prose stays in --format json
            for key in ("rule", "indicator", "op", "threshold", "status", "layer", "source",
                        "decides", "missing", "kind", "group", "level"):  # fmt: skip
                assert got[key] == want[key], (key, got, want)
            if want["value"] is None:
                assert got["value"] is None
            else:
                assert got["value"] == pytest.approx(want["value"], rel=1e-12)
    county_line = lines[-2]
    assert county_line["verdict"] == county["verdict"]
    assert county_line["excluded"] == county["excluded"]
    assert [(c["level"], c["indicator"], c["passed"]) for c in county_line["coefficients"]] == [
        (c["level"], c["indicator"], c["passed"]) for c in county["coefficients"]
    ]
    assert lines[-1] == {
        "type": "summary", "counties": 1, "pass": 1, "fail": 0, "incomplete": 0, "passed": True,
    }  # fmt: skip
    again = run_cli(*args, "--format", "jsonl")
    assert again.stdout == streamed.stdout  # byte-identical


def test_jsonl_and_csv_to_a_file_list_skipped_rows_and_leave_no_partial_file(
    tmp_path: Path,
) -> None:
    table = tmp_path / "schools.csv"
    table.write_text(
        "county,school_id,school_type,primary_students,teaching_aux_area\n"
        "甲县,A,primary,500,2250\n甲县,B,primary,abc,1000\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = run_cli("evaluate", table, "--format", "jsonl", "--skip-bad-rows", "--output", out)
    assert result.returncode == 1, result.stderr  # incomplete: no facts
    lines = _lines(out.read_text(encoding="utf-8"))
    skipped = [line for line in lines if line["type"] == "skipped_row"]
    assert [(s["row"], s["school_id"]) for s in skipped] == [(3, "B")]
    assert [line["school_id"] for line in lines if line["type"] == "school"] == ["A"]
    assert not list(tmp_path.glob("*.partial"))
    bad = run_cli(
        "evaluate", table, "--format", "jsonl", "--output", tmp_path / "x.jsonl", "--lang", "en"
    )
    assert bad.returncode == 2 and "row 3" in bad.stderr
    assert not (tmp_path / "x.jsonl").exists() and not list(tmp_path.glob("*.partial"))


def test_csv_rows_come_county_by_county_with_layer_and_missing_columns(tmp_path: Path) -> None:
    table = tmp_path / "two.csv"
    table.write_text(
        "county,school_id,school_type,primary_students,primary_teachers_above_degree\n"
        "乙县,B1,primary,400,\n甲县,A1,primary,500,21\n",
        encoding="utf-8",
    )
    result = run_cli("evaluate", table, "--format", "csv")
    rows = [line.split(",") for line in result.stdout.splitlines()]
    header = rows[0]
    assert header[-3:] == ["layer", "missing", "detail"]
    counties = [row[0] for row in rows[1:]]
    assert counties == sorted(counties)  # 乙县 after 甲县, each county's rows together
    col = {name: i for i, name in enumerate(header)}
    a1 = [r for r in rows if r[col["school_id"]] == "A1" and r[col["rule"]].startswith("above")]
    b1 = [r for r in rows if r[col["school_id"]] == "B1" and r[col["rule"]].startswith("above")]
    assert a1[0][col["status"]] == "pass" and a1[0][col["layer"]] == "national/quality-2017"
    assert b1[0][col["status"]] == "not_evaluated"
    assert b1[0][col["missing"]] == "primary_teachers_above_degree"
    county_rows = [r for r in rows[1:] if r[col["school_id"]] == ""]
    assert county_rows and {r[0] for r in county_rows} == {"甲县", "乙县"}
    # The library's render_csv gives the command's bytes.
    import balance_rules as br
    from balance_rules.data.columns import read_columns
    from balance_rules.engine.columnar import evaluate_columns
    from balance_rules.render.csv import render_csv

    plan = br.compile_standard(br.load_standard("national/quality-2017"))
    assert render_csv(evaluate_columns(plan, read_columns(table))) == result.stdout


def test_a_reader_that_stops_early_ends_the_command_quietly() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "balance_rules", "evaluate", str(EXAMPLE_SCHOOLS),
         "--format", "jsonl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=dict(os.environ, PYTHONIOENCODING="utf-8"),
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.read(10)
    process.stdout.close()
    error = process.stderr.read().decode("utf-8")
    assert process.wait(timeout=60) in (0, 1, 141)
    assert first == b'{"type":"r'
    assert "Traceback" not in error and "Broken pipe" not in error


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_only_on_a_terminal_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert interactive(_Terminal())
    assert not interactive(io.StringIO())  # a pipe or a file
    monkeypatch.setenv("CI", "true")
    assert not interactive(_Terminal())
    monkeypatch.delenv("CI")
    monkeypatch.setenv("TERM", "dumb")
    assert not interactive(_Terminal())


def test_progress_line_counts_counties_and_clears_itself() -> None:
    screen = _Terminal()
    with ProgressBar(screen, lang="en", enabled=True, delay=0, interval=0.01) as bar:
        bar.stage("write")
        bar.update(712, 2850)
        line = bar.line()
        assert line.startswith("writing ") and "712/2850 counties" in line
        assert "█" in line and "░" in line
        for _ in range(200):
            if bar.drawn:
                break
            time.sleep(0.01)
        assert bar.drawn
    assert screen.getvalue().endswith("\r\x1b[2K")  # the line is cleared at the end
    zh = ProgressBar(_Terminal(), enabled=True)
    zh.stage("read", "nation.csv")
    assert zh.line().startswith("读取 nation.csv")


def test_no_progress_is_drawn_when_stderr_is_not_a_terminal() -> None:
    result = run_cli(
        "evaluate", EXAMPLE_SCHOOLS, "--facts", EXAMPLE_FACTS, "--format", "jsonl", "--progress"
    )
    # Forced on, but the run is shorter than the delay: nothing drawn.
    assert result.returncode == 0 and result.stderr == ""
    quiet = run_cli("evaluate", EXAMPLE_SCHOOLS, "--facts", EXAMPLE_FACTS)
    assert quiet.stderr == ""


def test_the_command_draws_progress_only_where_it_helps(monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from balance_rules.cli.common import Streams
    from balance_rules.cli.evaluate import show_progress

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")

    def shown(
        fmt: str, output: str | None, stdout: io.StringIO, forced: bool | None = None
    ) -> bool:
        args = argparse.Namespace(format=fmt, output=output, progress=forced)
        return show_progress(args, Streams(stdout, _Terminal()))

    assert shown("jsonl", "out.jsonl", io.StringIO())  # to a file, watched on a terminal
    assert shown("text", None, _Terminal())  # the report comes after the run
    assert not shown("jsonl", None, io.StringIO())  # piped: | gzip, | jq
    assert not shown("text", None, io.StringIO())
    assert not shown("csv", None, _Terminal())  # rows would interleave with the line
    assert not shown("csv", "out.csv", io.StringIO(), forced=False)
    assert shown("csv", None, io.StringIO(), forced=True)
    monkeypatch.setenv("CI", "1")
    assert not shown("jsonl", "out.jsonl", io.StringIO())


def test_importing_the_library_stays_light() -> None:
    # numpy and pandas load only when the columnar core or a DataFrame is used.
    code = "import sys, balance_rules; print(sorted({'numpy', 'pandas'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
