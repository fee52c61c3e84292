"""Every case file shipped beside a standard expects what the oracle computes.

The case files are what `balance-rules test` runs against the engine, so their
expectations must not come from the engine: here each expected status (and
verdict) is checked against the independent oracle in tests/oracle.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import balance_rules as br
from balance_rules.standard.loader import bundled_dir
from balance_rules.yamlio import read_yaml

from .oracle import evaluate
from .oracle.cases import county_of, expected_status

CASE_FILES = sorted(Path(bundled_dir()).rglob("*.cases.yaml"))


def _standard_of(path: Path, document: dict[str, object]) -> br.Standard:
    name = document.get("standard")
    if name is None:
        return br.load_standard(path.with_name(path.name.split(".")[0] + ".yaml"))
    return br.load_standard(str(name))


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_case_file_expectations_are_the_oracles(path: Path) -> None:
    document = read_yaml(path)
    standard = _standard_of(path, document)
    wrong = []
    for case in document["cases"]:
        result = evaluate(standard, county_of(case))
        for expect in case.get("expect", []):
            statuses = expected_status(result, expect)
            if statuses != {expect["status"]}:
                wrong.append(f"{case['name']}: {expect} -> oracle {sorted(statuses)}")
        if "verdict" in case and case["verdict"] != result.verdict:
            wrong.append(f"{case['name']}: verdict {case['verdict']} -> oracle {result.verdict}")
    assert wrong == []


def test_there_are_case_files() -> None:
    assert len(CASE_FILES) >= 7
