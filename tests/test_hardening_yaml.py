"""Bounded YAML/JSON reading and finite numbers, wherever numbers are read from a file."""

from __future__ import annotations

import io
import json
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest

from balance_rules.cli import main
from balance_rules.errors import Problem, StandardError
from balance_rules.numbers import check_finite_decimal
from balance_rules.standard.loader import standard_from_mapping
from balance_rules.yamlio import YamlLimits, YamlReadError, read_json, read_yaml, read_yaml_text

from .conftest import EXAMPLE_FACTS, EXAMPLE_SCHOOLS, EXAMPLES, MINI

#: The classic "billion laughs": 9 ** 9 (387 million) strings once expanded, 800 bytes.
BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


def _run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _refused_quickly(path: Path, *argv: str | Path) -> str:
    """A hostile file: reading it is refused in < 1 s and < 100 MB; the command exits 2."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(YamlReadError) as caught:
            read_yaml(path)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.problems[0].file == str(path)
    assert elapsed < 1.0
    assert peak < 100 * 2**20
    code, _, err = _run(*argv)
    assert code == 2, err
    assert str(path) in err
    return err


def test_alias_bomb_is_small() -> None:
    assert len(BOMB) < 900


@pytest.mark.parametrize("kind", ["standard", "facts", "mapping"])
def test_alias_bomb_refused_everywhere(tmp_path: Path, kind: str) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB, encoding="utf-8")
    commands: dict[str, list[str | Path]] = {
        "standard": ["validate", bomb],
        "facts": ["check-data", EXAMPLE_SCHOOLS, "--facts", bomb],
        "mapping": ["check-data", EXAMPLE_SCHOOLS, "--mapping", bomb],
    }
    err = _refused_quickly(bomb, *commands[kind])
    assert ("alias" in err or "别名" in err) and "bomb.yaml:" in err


def test_deep_nesting_refused(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("".join(f"{'  ' * i}k{i}:\n" for i in range(500)) + "  " * 500 + "x\n")
    err = _refused_quickly(deep, "validate", deep)
    assert "嵌套超过 100 层" in err  # "nested more than 100 levels deep"


def test_deep_nesting_through_aliases_refused() -> None:
    # Each line nests the previous anchor one level deeper: 150 levels from 150 lines.
    lines = ["a0: &a0 [x]", *(f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 150))]
    with pytest.raises(YamlReadError, match="nested more than 100 levels deep"):
        read_yaml_text("\n".join(lines), "chain.yaml")


def test_too_large_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# padding\n" * 100, encoding="utf-8")
    with pytest.raises(YamlReadError, match="larger than 500 bytes") as caught:
        read_yaml(big, limits=YamlLimits(max_bytes=500))
    assert caught.value.problems[0].file == str(big)


def test_limits_from_keyword_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # 70 values once expanded: the mapping, 2 keys, a (11), b (1 + 5 x 11); 47 characters.
    text = "a: &a [1,1,1,1,1,1,1,1,1,1]\nb: [*a,*a,*a,*a,*a]"
    assert len(text) == 47
    assert len(read_yaml_text(text, limits=YamlLimits(max_nodes=70))["b"]) == 5
    with pytest.raises(YamlReadError, match="more than 69 values"):
        read_yaml_text(text, limits=YamlLimits(max_nodes=69))
    monkeypatch.setenv("BALANCE_RULES_YAML_MAX_NODES", "69")
    with pytest.raises(YamlReadError, match="more than 69 values"):
        read_yaml_text(text)
    # Without aliases a document holds no more values than characters: never refused.
    plain = "xs: [" + ", ".join(["1"] * 50) + "]"
    assert len(read_yaml_text(plain, limits=YamlLimits(max_nodes=10))["xs"]) == 50
    monkeypatch.setenv("BALANCE_RULES_YAML_MAX_NODES", "1_000")
    assert YamlLimits().max_nodes == 1000
    monkeypatch.setenv("BALANCE_RULES_YAML_MAX_DEPTH", "2")
    with pytest.raises(YamlReadError, match="nested more than 2 levels"):
        read_yaml_text("a: {b: {c: 1}}")


def test_recursive_alias_refused() -> None:
    with pytest.raises(YamlReadError, match="contains it"):
        read_yaml_text("a: &a [1, *a]\n", "loop.yaml")


def test_ordinary_aliases_still_work() -> None:
    data = read_yaml_text("base: &b {x: 1.5}\nother:\n  <<: *b\n  y: 2\n")
    assert data["other"] == {"x": Decimal("1.5"), "y": 2}


@pytest.mark.parametrize("token", [".nan", ".NaN", ".inf", "-.inf", "+.Inf"])
def test_yaml_nan_and_infinity_refused(token: str) -> None:
    with pytest.raises(YamlReadError) as caught:
        read_yaml_text(f"a: 1\nb: {token}\n", "x.yaml")
    (problem,) = caught.value.problems
    assert problem.line == 2 and "finite" in problem.message


def test_yaml_5000_digit_numbers_refused() -> None:
    for number in ("9" * 5000, "1." + "1" * 5000):
        with pytest.raises(YamlReadError, match=r"500\d characters"):
            read_yaml_text(f"x: {number}\n", "n.yaml")


def _standard_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (EXAMPLES / "example-county-standard.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "std.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("threshold: 0.8", "threshold: .nan"),
        ("threshold: 0.8", "threshold: .inf"),
        ("max: {junior: 0.40}", "max: {junior: .nan}"),
        ("max: {junior: 0.40}", "max: {junior: -.inf}"),
        ("threshold: 0.8", "threshold: 1.0e+400"),
        ("threshold: 0.8", "threshold: " + "8" * 5000),
        ("threshold: 0.8", "threshold: 0.80000000000001"),
        ("threshold: {primary: 42, junior: 48}", "threshold: {primary: 42, junior: 1.0e+20}"),
    ],
)
@pytest.mark.parametrize("command", ["validate", "show", "evaluate", "diff"])
def test_bad_numbers_in_a_standard_refused_by_every_command(
    tmp_path: Path, old: str, new: str, command: str
) -> None:
    path = _standard_with(tmp_path, old, new)
    commands: dict[str, list[str | Path]] = {
        "validate": ["validate", path],
        "show": ["show", path],
        "evaluate": ["evaluate", EXAMPLE_SCHOOLS, "--facts", EXAMPLE_FACTS, "--standard", path],
        "diff": ["diff", "national/quality-2017", path],
    }
    code, _, err = _run(*commands[command])
    assert code == 2, err
    assert "Traceback" not in err
    line = 1 + next(
        i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines()) if new in text
    )
    assert f"{path}:{line}" in err


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), Decimal("NaN"), Decimal("1e30")])
def test_bad_numbers_in_a_mapping_refused(bad: object) -> None:
    document = {**MINI, "rules": {**MINI["rules"]}}
    rule_id = next(k for k, r in document["rules"].items() if "threshold" in r)
    document["rules"][rule_id] = {**document["rules"][rule_id], "threshold": bad}
    with pytest.raises(StandardError) as caught:
        standard_from_mapping(document, name="m.yaml")
    assert any(p.path == f"rules.{rule_id}.threshold" for p in caught.value.problems)


@pytest.mark.parametrize(
    "value", ["NaN", "Infinity", "-Infinity", "9" * 5000, "1e400", "1." + "5" * 100]
)
def test_bad_numbers_in_json_facts_refused(tmp_path: Path, value: str) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text('{"示例县": {"satisfaction_rate": ' + value + "}}", encoding="utf-8")
    code, _, err = _run("check-data", EXAMPLE_SCHOOLS, "--facts", facts)
    assert code == 2, err
    assert str(facts) in err and "Traceback" not in err


def test_deep_json_refused(tmp_path: Path) -> None:
    deep = tmp_path / "facts.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(YamlReadError) as caught:
        read_json(deep)
    assert caught.value.problems[0].file == str(deep)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (Decimal("0.65"), True),
        (Decimal("999999999999999"), True),
        (Decimal("1000000000000000"), False),
        (Decimal("0.000000000001"), True),
        (Decimal("0.0000000000001"), False),
        (Decimal("1.500000000000000000"), True),  # trailing zeros are no precision
        (Decimal("NaN"), False),
        (Decimal("-Infinity"), False),
        (float("nan"), False),
        (10**15, False),
        (-(10**14), True),
        (True, True),
        ("text", True),
    ],
)
def test_check_finite_decimal(value: object, ok: bool) -> None:
    where = Problem("", file="costs.yaml", line=7, path="unit_cost")
    problem = check_finite_decimal(value, where)
    assert (problem is None) == ok
    if problem is not None:
        assert (problem.file, problem.line, problem.path) == ("costs.yaml", 7, "unit_cost")
        assert problem.message


def test_school_tables_in_json_are_not_bound_by_the_document_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from balance_rules.data.readers import read_school_table

    monkeypatch.setenv("BALANCE_RULES_YAML_MAX_BYTES", "1000")
    schools = [
        {"county": "甲县", "school_id": f"S{i:03d}", "school_name": f"第{i}小学",
         "school_type": "primary", "primary_students": 100 + i}
        for i in range(40)
    ]  # fmt: skip
    table = tmp_path / "schools.json"
    table.write_text(json.dumps(schools, ensure_ascii=False), encoding="utf-8")
    assert table.stat().st_size > 1000
    assert len(read_school_table(table).schools) == 40
    facts = tmp_path / "facts.yaml"
    facts.write_text("甲县:\n" + "".join(f"  # {'x' * 60}\n" for _ in range(20)), encoding="utf-8")
    code, _, err = _run("check-data", table, "--facts", facts)
    assert code == 2 and "大于 1,000 字节" in err  # "larger than 1,000 bytes"


@pytest.mark.parametrize("text", ["1e40053147", "1e-40053147", "-1E+999999999"])
def test_huge_exponents_refused_without_overflow(text: str) -> None:
    from balance_rules.data.cells import CellError, parse_number

    with pytest.raises(CellError):
        parse_number(text)
    assert check_finite_decimal(Decimal(text)) is not None
