"""Chinese by default: the messages of costs files, YAML, monitoring and outputs.

Each English message below is the exact text the code raises; the catalogue
must give Chinese for it with the quoted names carried over, and the command
must print that Chinese without ``--lang`` (English with ``--lang en``).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from balance_rules.cli import main
from balance_rules.messages import to_chinese

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CJK = re.compile(r"[\u4e00-\u9fff]")

MESSAGES = {
    "costs file not found": "找不到成本文件",
    "c.yaml: cannot read costs file": "c.yaml：无法读取成本文件",
    "c.yaml: invalid costs file": "c.yaml：成本文件无效",
    "a cost cannot be negative (got -3)": "成本不能为负数（实际为 -3）",
    "'format' is missing": "缺少必填项 'format'",
    "unknown key 'teacher_yeer'; expected one of teachers, books": (
        "未知的键 'teacher_yeer'；应为以下之一：teachers, books"
    ),
    "not valid YAML: found a tab": "不是有效的 YAML：found a tab",
    "which year is this? Put the year in the file name (schools-2023.csv), add a year "
    "column (年份), or give --year": (
        "无法确定年份：请把年份写进文件名（schools-2023.csv）、加一列年份（年份），或用 --year 指定"
    ),
    "two files claim the year 2023: a.csv and b.csv; give each year once": (
        "两个文件都是 2023 年：a.csv 和 b.csv；每个年份只能给一次"
    ),
    "facts for county 'A' (2023), which has no schools in any year": (
        "县 'A'（2023 年）有县级指标，但任何年份都没有该县的学校"
    ),
    "no standard for year(s) 2023, 2024": "以下年份没有标准：2023, 2024",
    "this format needs --output FILE (it is not text)": "此格式需要 --output 文件（它不是文本）",
    "--output names a folder, not a file": "--output 指向文件夹而不是文件",
    "--format xlsx needs --output FILE.xlsx (it is not text)": (
        "--format xlsx 需要 --output FILE.xlsx（它不是文本）"
    ),
}


@pytest.mark.parametrize("english", sorted(MESSAGES))
def test_the_catalogue_gives_the_chinese(english: str) -> None:
    assert to_chinese(english) == MESSAGES[english]


def _run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, err.getvalue()


def test_a_missing_costs_file_is_named_in_chinese_by_default(tmp_path: Path) -> None:
    argv = [
        "shortfall",
        str(EXAMPLES / "example-county.csv"),
        "--facts",
        str(EXAMPLES / "example-county-facts.yaml"),
        "--costs",
        str(tmp_path / "no-costs.yaml"),
    ]
    code, err = _run(argv)
    assert code == 2
    assert "no-costs.yaml" in err and "找不到成本文件" in err
    assert "not found" not in err
    code, err = _run([*argv, "--lang", "en"])
    assert code == 2 and "costs file not found" in err and not CJK.search(err.split(":", 1)[1])


def test_a_bad_costs_file_is_explained_in_chinese(tmp_path: Path) -> None:
    costs = tmp_path / "costs.yaml"
    costs.write_text("costs:\n  computer: -3\n", encoding="utf-8")
    code, err = _run(
        [
            "shortfall",
            str(EXAMPLES / "example-county.csv"),
            "--facts",
            str(EXAMPLES / "example-county-facts.yaml"),
            "--costs",
            str(costs),
        ]
    )
    assert code == 2
    assert "成本文件无效" in err and "缺少必填项 'format'" in err
    assert "'computer'" in err and "应为以下之一" in err
    assert "invalid costs file" not in err and "expected one of" not in err


def test_monitor_without_a_year_says_so_in_chinese(tmp_path: Path) -> None:
    code, err = _run(["monitor", str(EXAMPLES / "example-county.csv")])
    assert code == 2
    assert "无法确定年份" in err and "--year" in err
    assert "which year" not in err


def test_a_missing_mapping_file_is_said_to_be_missing(tmp_path: Path) -> None:
    argv = ["evaluate", str(EXAMPLES / "example-county.csv")]
    code, err = _run([*argv, "--mapping", str(tmp_path / "no-mapping.yaml")])
    assert code == 2 and "no-mapping.yaml" in err and "文件不存在" in err
    code, err = _run([*argv, "--mapping", str(tmp_path / "no-mapping.yaml"), "--lang", "en"])
    assert code == 2 and "no such file" in err
