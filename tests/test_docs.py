"""The documentation's examples are valid standards."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import balance_rules as br

from .conftest import ROOT

DOC = ROOT / "docs" / "standard-format.md"


def _blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("index", range(2))
def test_documented_yaml_examples_load(index: int, tmp_path: Path) -> None:
    block = _blocks()[index]
    standard = br.standard_from_text(block, name=f"doc-{index}.yaml", base=tmp_path)
    assert standard.rules
    assert standard.id.startswith("example/")
