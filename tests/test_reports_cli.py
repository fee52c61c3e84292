"""Report outputs through the command: format from the suffix, bad output paths,
missing extras, Excel-ready CSV and --summary."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from balance_rules.cli import main
from balance_rules.render.csv import neutralise
from balance_rules.render.json import render_json_summary
from balance_rules.render.markdown import render_markdown
from balance_rules.render.text import render_text

from .conftest import EXAMPLE_FACTS, EXAMPLE_SCHOOLS, run_cli
from .reports_support import FORMULA_NAMES, SCRIPT_NAME, hand_report, hostile_example

EXAMPLE = ["evaluate", str(EXAMPLE_SCHOOLS), "--facts", str(EXAMPLE_FACTS)]


def _run(*args: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def _left_over(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(
    ("suffix", "start"),
    [(".html", b"<!DOCTYPE html>"), (".xlsx", b"PK\x03\x04"), (".md", b"# "), (".json", b"{")],
)
def test_format_follows_the_suffix(tmp_path: Path, suffix: str, start: bytes) -> None:
    out = tmp_path / f"r{suffix}"
    code, stdout, stderr = _run(*EXAMPLE, "--output", str(out))
    assert (code, stdout, stderr) == (0, "", "")
    assert out.read_bytes().startswith(start)
    assert _left_over(tmp_path) == [out.name]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "json", "--output", "{dir}/r.xlsx"], "--format is json"),
        (["--format", "xlsx"], "需要 --output"),  # "needs --output"
        (["--output", "{dir}/missing/r.html"], "无法写入此处"),  # "cannot write here"
        (["--output", "{dir}/missing/r.xlsx"], "无法写入此处"),
        (["--output", str(EXAMPLE_SCHOOLS)], "输入文件"),  # "an input file", in Chinese
    ],
)
def test_bad_output_is_one_message_and_no_file(
    tmp_path: Path, args: list[str], message: str
) -> None:
    before = EXAMPLE_SCHOOLS.read_bytes()
    code, stdout, stderr = _run(*EXAMPLE, *(a.format(dir=tmp_path) for a in args))
    assert code == 2 and stdout == ""
    assert message in stderr and "Traceback" not in stderr
    assert _left_over(tmp_path) == []
    assert EXAMPLE_SCHOOLS.read_bytes() == before


@pytest.mark.parametrize(
    ("module", "suffix", "extra"), [("xlsxwriter", ".xlsx", "xlsx"), ("jinja2", ".html", "report")]
)
def test_missing_extra_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, suffix: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    code, _, stderr = _run(*EXAMPLE, "--output", str(tmp_path / f"r{suffix}"))
    assert code == 2
    assert f"pip install 'balance-rules[{extra}]'" in stderr
    assert _left_over(tmp_path) == []


def test_csv_for_excel(tmp_path: Path) -> None:
    schools, facts = hostile_example(tmp_path)
    args = ["evaluate", str(schools), "--facts", str(facts)]
    out = tmp_path / "r.csv"
    assert _run(*args, "--output", str(out))[0] == 1
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfcounty,")  # UTF-8 byte-order mark for Excel
    plain = tmp_path / "plain.csv"
    _run(*args, "--output", str(plain), "--output-encoding", "utf-8")
    assert plain.read_bytes() == raw[3:]
    piped = _run(*args, "--format", "csv")[1]
    assert piped == raw[3:].decode("utf-8")  # no mark into a pipe
    rows = list(csv.DictReader(io.StringIO(piped)))
    names = {r["school_name"] for r in rows}
    assert SCRIPT_NAME in names  # not a formula character: unchanged
    assert {"'" + n for n in FORMULA_NAMES} <= names
    assert not names & set(FORMULA_NAMES)
    # Numbers stay numbers.
    assert all(not r["value"].startswith("'") for r in rows)
    # Each CV row carries its working, equal to the JSON report's; other rows none.
    report = json.loads(_run(*args, "--format", "json")[1])
    working = {
        (county["county"], c["level"], c["indicator"]): (c["students"], c["mean"], c["std"])
        for county in report["counties"]
        for c in county["coefficients"]
        if c["students"] is not None
    }
    cv_rows = [r for r in rows if r["rule"] == "resource_cv"]
    # 7 indicators x 2 levels x 2 counties; primary sports area lacks data in both.
    assert len(cv_rows) == 28 and len(working) == 26
    for r in cv_rows:
        key = (r["county"], r["level"], r["indicator"])
        if key in working:
            got = (int(r["students"]), float(r["mean"]), float(r["std"]))
            assert got == working[key]
        else:
            assert (r["indicator"], r["status"], r["students"]) == (
                "sports_area_per_student",
                "not_evaluated",
                "",
            )
    assert {r["students"] for r in rows if r["rule"] != "resource_cv"} == {""}
    assert (neutralise(-1.5), neutralise("-1.5"), neutralise("a=b")) == (-1.5, "'-1.5", "a=b")


def test_summaries_by_hand() -> None:
    report = hand_report(counties=2)
    # Worst coefficient: books 0.5 against its cap 0.5 (ratio 1) before area 0.2.
    line = "学段 2：达标 1，未达标 1，未评估 0  最接近上限: 小学 生均图书 0.5 (≤ 0.5)"
    assert render_text(report, summary=True).splitlines() == [
        f"测试县  未通过  {line}",
        f"第1县  未通过  {line}",
    ]
    table = render_markdown(report, summary=True).splitlines()
    assert table[-2:] == [
        "| 测试县 | 未通过 | 2 | 1 | 1 | 0 | 0 | 小学 生均图书 | 0.5 | 0.5 |",
        "| 第1县 | 未通过 | 2 | 1 | 1 | 0 | 0 | 小学 生均图书 | 0.5 | 0.5 |",
    ]
    data = json.loads(render_json_summary(report))
    first = data["counties"][0]
    assert {k: first[k] for k in ("county", "verdict", "sections", "sections_failed")} == {
        "county": "测试县",
        "verdict": "fail",
        "sections": 2,
        "sections_failed": 1,
    }
    assert [(c["value"], c["students"], c["mean"], c["std"]) for c in first["coefficients"]] == [
        (0.2, 200, 5, 1),
        (0.5, 200, 20, 10),
    ]


def test_working_beside_every_cv() -> None:
    report = hand_report()
    assert "(n=2, N=200, X̄=5.000, S=1.000)" in render_text(report)
    assert "| 0.2 | 0.5 | met | 2 | 200 | 5.000 | 1.000 |" in render_markdown(report, "en")


def test_summary_through_the_command() -> None:
    code, stdout, _ = _run(*EXAMPLE, "--summary", "--format", "json")
    assert code == 0
    (county,) = json.loads(stdout)["counties"]
    assert (county["county"], county["sections"], county["excluded"]) == ("示例县", 31, 6)
    code, stdout, _ = _run(*EXAMPLE, "--summary")
    assert stdout.startswith("示例县  通过  学段 31") and stdout.count("\n") == 1


def test_html_through_the_real_command(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = run_cli(*EXAMPLE, "--output", out, "--lang", "en")
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Verdict: pass" in page
    assert "default-src 'none'" in page  # the page may request nothing


@pytest.mark.parametrize("encoding", ["ascii", "latin-1", "no-such-codec"])
def test_output_encoding_must_write_every_character(tmp_path: Path, encoding: str) -> None:
    out = tmp_path / "r.csv"
    code, _, stderr = _run(*EXAMPLE, "--output", str(out), "--output-encoding", encoding)
    assert code == 2 and "every character" in stderr
    assert _left_over(tmp_path) == []


def test_output_encoding_gb18030(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    assert _run(*EXAMPLE, "--output", str(out), "--output-encoding", "GB18030")[0] == 0
    text = out.read_bytes().decode("gb18030")
    assert text.startswith("county,") and "示例县" in text


def test_report_libraries_are_not_imported_until_used() -> None:
    code = (
        "import sys, balance_rules, balance_rules.cli.evaluate; "
        "print(sorted(m for m in ('jinja2', 'xlsxwriter', 'playwright') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
