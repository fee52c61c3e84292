"""The JSON report is written county by county: same bytes as before, bounded memory."""

from __future__ import annotations

import importlib.util
import io
import itertools
import sys
from pathlib import Path
from typing import Any

import pytest

import balance_rules as br
from balance_rules.cli import main
from balance_rules.data.columns import read_columns
from balance_rules.data.readers import read_counties, read_school_table
from balance_rules.engine import plan as plan_module
from balance_rules.engine.columnar import evaluate_columns
from balance_rules.engine.plan import compile_standard
from balance_rules.render.json import render_json, write_json

from .conftest import EXAMPLE_FACTS, EXAMPLE_SCHOOLS, ROOT


def _nation_generator() -> Any:
    spec = importlib.util.spec_from_file_location("nation", ROOT / "benchmarks" / "nation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("nation", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def small_nation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("nation") / "nation.csv"
    _nation_generator().generate(path, scale=0.002, seed=7)  # 5 counties, ~400 schools
    return path


def _object_json(schools: Path, facts: Path | None, lang: str) -> str:
    standard = br.load_standard("national/quality-2017")
    counties = read_counties(read_school_table(schools), facts)
    return render_json(br.evaluate(standard, counties), lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_command_json_is_the_object_report_byte_for_byte(lang: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = ["evaluate", str(EXAMPLE_SCHOOLS), "--facts", str(EXAMPLE_FACTS)]
    code = main([*argv, "--format", "json", "--lang", lang], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    assert out.getvalue() == _object_json(EXAMPLE_SCHOOLS, EXAMPLE_FACTS, lang)


def test_many_counties_byte_for_byte(small_nation: Path, tmp_path: Path) -> None:
    target = tmp_path / "nation.json"
    code = main(
        ["evaluate", str(small_nation), "--output", str(target)],
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert code == 1  # no county facts: incomplete
    expected = _object_json(small_nation, None, "zh")
    assert expected.count('"county": ') >= 5
    assert target.read_text(encoding="utf-8") == expected


def test_write_json_of_a_report_is_render_json() -> None:
    standard = br.load_standard("national/quality-2017")
    report = br.evaluate(standard, read_counties(read_school_table(EXAMPLE_SCHOOLS), None))
    stream = io.StringIO()
    write_json(report, stream, "en")
    assert stream.getvalue() == render_json(report, "en")
    empty = br.evaluate(standard, [])
    stream = io.StringIO()
    write_json(empty, stream)
    assert stream.getvalue() == render_json(empty)


def test_each_county_is_written_before_the_next_is_built(
    small_nation: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = compile_standard(br.load_standard("national/quality-2017"))
    result = evaluate_columns(plan, read_columns(small_nation), {})
    stream = io.StringIO()
    seen: list[tuple[int, int]] = []  # (counties built so far, characters written then)
    real = plan_module.evaluate

    def spy(standard: Any, counties: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append((len(seen) + 1, len(stream.getvalue())))
        return real(standard, counties, *args, **kwargs)

    monkeypatch.setattr(plan_module, "evaluate", spy)
    write_json(result, stream)
    assert len(seen) == len(result.county_names) >= 5
    # When county k is built, counties 1..k-1 are already written out.
    written = [chars for _, chars in seen]
    assert written[0] == 0
    assert all(a < b for a, b in itertools.pairwise(written[1:]))
    assert written[-1] > len(stream.getvalue()) // 2
