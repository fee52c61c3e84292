"""Every input that once broke a guarantee, kept as a file and run again.

A case is ``cases/KIND--WHAT--CODE.EXT``: KIND says where it goes (standard,
table, facts, mapping, or cases: a NAME.cases.yaml file), CODE is the exit
status expected.  Each runs through every command that reads that kind of
file, with the harness's checks (no traceback, a message naming the file, no
input changed).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .harness import CASES, run_and_check, workspace

CASE_FILES = sorted(p for p in CASES.iterdir() if p.is_file() and "--" in p.name)


def _commands(kind: str, case: Path, folder: Path) -> list[tuple[list[str], list[Path]]]:
    table = folder / "example-county.csv"
    facts = folder / "example-county-facts.yaml"
    if kind == "standard":
        return [
            (["validate", "--root", str(folder), str(case)], [case]),
            (["show", str(case)], [case]),
            (["diff", "national/quality-2017", str(case)], [case]),
            (
                ["evaluate", str(table), "--facts", str(facts), "--standard", str(case)],
                [case, table, facts],
            ),
        ]
    if kind == "table":
        return [
            (["check-data", str(case)], [case]),
            (["evaluate", str(case), "--format", "json"], [case]),
            (["evaluate", str(case), "--format", "csv"], [case]),
        ]
    if kind == "facts":
        return [
            (["check-data", str(table), "--facts", str(case)], [table, case]),
            (["evaluate", str(table), "--facts", str(case), "--format", "jsonl"], [table, case]),
        ]
    if kind == "cases":
        return [(["test", str(case)], [case])]
    if kind == "mapping":
        return [(["check-data", str(table), "--mapping", str(case)], [table, case])]
    raise AssertionError(f"unknown kind of case: {kind}")


def test_there_are_regression_cases() -> None:
    assert len(CASE_FILES) >= 10


@pytest.mark.parametrize("source", CASE_FILES, ids=[p.name for p in CASE_FILES])
def test_regression_case(source: Path) -> None:
    kind, _, code = source.name.split(".")[0].split("--")
    with workspace() as folder:
        case = folder / source.name
        shutil.copy(source, case)
        for argv, inputs in _commands(kind, case, folder):
            assert run_and_check(argv, inputs) == int(code), argv
