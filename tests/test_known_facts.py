"""A standard's own facts are no typos, in every command that reads facts.

jiangsu/quality reads ``backbone_rotation_rate``, which is close to the canonical
``rotation_rate``: a facts reader that does not know the standard would refuse it
as a typo with a did-you-mean.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from balance_rules.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _facts(tmp_path: Path) -> Path:
    text = (EXAMPLES / "example-county-facts.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "    rotation_rate: 12.4\n", "    rotation_rate: 12.4\n    backbone_rotation_rate: 16\n"
    )
    assert "backbone_rotation_rate: 16" in text
    path = tmp_path / "facts.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    code = main(list(argv), stdout=io.StringIO(), stderr=err)
    return code, err.getvalue()


@pytest.mark.parametrize(
    "command",
    [
        ["evaluate"],
        ["check-data", "--standard", "jiangsu/quality"],
        ["shortfall"],
    ],
)
def test_the_standards_own_fact_is_read(tmp_path: Path, command: list[str]) -> None:
    facts = _facts(tmp_path)
    args = [command[0], str(EXAMPLES / "example-county.csv"), "--facts", str(facts)]
    args += command[1:]
    if command[0] in ("evaluate", "shortfall"):
        args += ["--standard", "jiangsu/quality"]
    code, err = _run(*args, "--lang", "en")
    assert code in (0, 1), err
    assert "backbone_rotation_rate" not in err


def test_diff_with_data_reads_the_standards_own_fact(tmp_path: Path) -> None:
    facts = _facts(tmp_path)
    code, err = _run(
        "diff", "national/quality-2017", "jiangsu/quality",
        "--data", str(EXAMPLES / "example-county.csv"), "--facts", str(facts),
    )  # fmt: skip
    assert code == 1, err  # the two standards differ
    assert "backbone_rotation_rate" not in err


def test_monitor_reads_the_standards_own_fact(tmp_path: Path) -> None:
    facts = _facts(tmp_path)
    data = tmp_path / "schools-2024.csv"
    shutil.copy(EXAMPLES / "example-county.csv", data)
    code, err = _run(
        "monitor", str(data), "--standard", "jiangsu/quality", "--facts", str(facts),
        "--lang", "en",
    )  # fmt: skip
    assert code in (0, 1), err
    assert "backbone_rotation_rate" not in err


def test_a_real_typo_is_still_refused(tmp_path: Path) -> None:
    facts = _facts(tmp_path)
    facts.write_text(
        facts.read_text(encoding="utf-8").replace("rotation_rate: 12.4", "rotaton_rate: 12.4"),
        encoding="utf-8",
    )
    code, err = _run(
        "check-data", str(EXAMPLES / "example-county.csv"), "--facts", str(facts),
        "--standard", "jiangsu/quality", "--lang", "en",
    )  # fmt: skip
    assert code == 2
    assert "rotation_rate" in err
