"""Costs files: the documented example, the bundled example, every error located."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from balance_rules.errors import DataError
from balance_rules.shortfall.costs import costs_from_mapping, load_costs
from balance_rules.yamlio import read_yaml_text

ROOT = Path(__file__).resolve().parent.parent


def test_documented_example_is_valid() -> None:
    text = (ROOT / "docs" / "costs-format.md").read_text(encoding="utf-8")
    block = re.findall(r"```yaml\n(.*?)```", text, re.S)[0]
    costs = costs_from_mapping(read_yaml_text(block, "doc.yaml"), "doc.yaml")
    assert costs.per_unit("teaching_aux_area") == 1300
    # equipment is priced per 万元 and the column is in 元
    assert costs.per_unit("equipment_value") == 1
    # teacher kinds without their own entry fall back to `teachers`
    assert costs.per_unit("pe_art_teachers") == 100000
    assert costs.per_unit("books") is None


def test_bundled_example_states_its_sources() -> None:
    costs = load_costs(ROOT / "examples" / "costs.yaml")
    assert costs.entries["books"].value == Decimal(15)
    assert costs.entries["sports_area"].value == Decimal(240)
    assert all(entry.source for entry in costs.entries.values())
    # no public figure for computers or teachers: marked as assumptions
    assert costs.entries["computers"].assumption and costs.entries["teachers"].assumption
    assert costs.per_unit("computers") == Fraction(4000)


def test_zero_is_a_cost_negative_is_not(tmp_path: Path) -> None:
    ok = tmp_path / "ok.yaml"
    ok.write_text("format: 1\ncosts:\n  books: {value: 0, source: donated}\n", encoding="utf-8")
    assert load_costs(ok).per_unit("books") == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: 1\ncosts:\n  books: {value: -0.5, source: x}\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_costs(bad)
    (problem,) = caught.value.problems
    assert problem.line == 3 and "negative" in problem.message


def test_every_error_at_once(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: 2\ncost:\n  books: {value: 1, source: x}\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_costs(bad)
    messages = [str(p) for p in caught.value.problems]
    assert len(messages) >= 3  # format, unknown 'cost', missing 'costs'
    assert any("'cost'" in m and "'costs'" in m for m in messages)


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: [1\n", encoding="utf-8")
    with pytest.raises(DataError):
        load_costs(bad)
    with pytest.raises(DataError, match="not found"):
        load_costs(tmp_path / "none.yaml")


def test_a_file_that_is_no_costs_file_is_not_quoted_back(tmp_path: Path) -> None:
    """A CSV given as --costs: one message naming the file, none of its contents."""
    import io

    from balance_rules.cli import main

    table = Path(__file__).resolve().parent.parent / "examples" / "example-county.csv"
    err = io.StringIO()
    code = main(
        ["shortfall", str(table), "--costs", str(table), "--lang", "en"],
        stdout=io.StringIO(), stderr=err,
    )  # fmt: skip
    assert code == 2
    assert "not a costs file" in err.getvalue() and "example-county.csv" in err.getvalue()
    assert "学校标识码" not in err.getvalue()  # the CSV's header is not echoed


def test_write_applied_over_an_input_names_its_own_option(tmp_path: Path) -> None:
    import io
    import shutil

    from balance_rules.cli import main

    table = tmp_path / "schools.csv"
    shutil.copy(Path(__file__).resolve().parent.parent / "examples" / "example-county.csv", table)
    before = table.read_bytes()
    err = io.StringIO()
    code = main(
        ["shortfall", str(table), "--write-applied", str(table), "--lang", "en"],
        stdout=io.StringIO(), stderr=err,
    )  # fmt: skip
    assert code == 2 and "--write-applied names an input file" in err.getvalue()
    assert table.read_bytes() == before
