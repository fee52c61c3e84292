"""Exit codes mean one thing each: 0 pass, 1 fail, 2 bad input, 3 a bug, 130 Ctrl-C."""

from __future__ import annotations

import argparse
import importlib.util
import io
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from balance_rules import cli
from balance_rules.cli import main
from balance_rules.cli.common import Streams

from .conftest import EXAMPLE_FACTS, EXAMPLE_SCHOOLS, ROOT


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _raising(error: BaseException) -> cli.Command:
    def run(args: argparse.Namespace, streams: Streams) -> int:
        streams.stdout.write("partial output\n")
        raise error

    return run


def test_pass_is_0() -> None:
    assert _run("evaluate", str(EXAMPLE_SCHOOLS), "--facts", str(EXAMPLE_FACTS))[0] == 0


def test_incomplete_is_1() -> None:
    # Without the county facts, the county-level rules cannot be evaluated.
    assert _run("evaluate", str(EXAMPLE_SCHOOLS))[0] == 1


def test_bad_input_is_2_with_the_file_named() -> None:
    code, _, err = _run("evaluate", "no-such-table.csv")
    assert code == 2 and "no-such-table.csv" in err
    assert "Traceback" not in err


def test_usage_error_is_2() -> None:
    with pytest.raises(SystemExit) as caught:
        main(["evaluate"], stdout=io.StringIO(), stderr=io.StringIO())
    assert caught.value.code == 2


def test_a_bug_is_3_with_one_paragraph_and_no_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cli.COMMANDS, "show", _raising(ZeroDivisionError("division by zero")))
    code, _, err = _run("show", "national/quality-2017")
    assert code == 3
    assert "Traceback" not in err
    assert "internal error" in err and "balance-rules show" in err
    assert "ZeroDivisionError: division by zero" in err
    assert "bug" in err and "--debug" in err
    # One paragraph: a head line and one line of advice.
    assert err.count("\n") == 2


def test_debug_adds_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cli.COMMANDS, "show", _raising(KeyError("boom")))
    code, _, err = _run("--debug", "show", "national/quality-2017")
    assert code == 3
    assert err.startswith("Traceback (most recent call last):")
    assert "KeyError: 'boom'" in err and "internal error" in err


def test_recursion_error_is_a_bug_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cli.COMMANDS, "list", _raising(RecursionError("too deep")))
    assert _run("list")[0] == 3


def test_ctrl_c_is_130_and_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cli.COMMANDS, "list", _raising(KeyboardInterrupt()))
    code, _, err = _run("list")
    assert code == 130 and err == ""


def test_broken_pipe_stays_141(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cli.COMMANDS, "list", _raising(BrokenPipeError()))
    code, _, err = _run("list")
    assert code == 141 and err == ""


def test_messages_strip_terminal_escapes() -> None:
    code, _, err = _run("evaluate", "no\x1b[2Jsuch\x07.csv")
    assert code == 2
    assert "\x1b" not in err and "\x07" not in err
    assert "no[2Jsuch.csv" in err


def test_real_ctrl_c_while_writing_exits_130_and_keeps_the_earlier_file(tmp_path: Path) -> None:
    """One real process: SIGINT while the JSON report is being written."""
    table = tmp_path / "nation.csv"
    spec = importlib.util.spec_from_file_location("nation", ROOT / "benchmarks" / "nation.py")
    assert spec is not None and spec.loader is not None
    nation = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(nation)
    nation.generate(table, scale=0.005, seed=3)  # 14 counties: seconds of writing
    out = tmp_path / "report.json"
    out.write_text("earlier\n", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "balance_rules", "evaluate", str(table), "--output", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    deadline = time.monotonic() + 120
    while not any(p.name.endswith(".partial") for p in tmp_path.iterdir()):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert stderr == "" and stdout == ""
    assert out.read_text(encoding="utf-8") == "earlier\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nation.csv", "report.json"]
