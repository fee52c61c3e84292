"""The overview line says when the worst CV is over its cap (never "0.667 ≤ 0.5")."""

from __future__ import annotations

import io
from pathlib import Path

from balance_rules.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "monitoring"


def _overview(lang: str) -> list[str]:
    out = io.StringIO()
    files = [str(EXAMPLES / f"schools-{year}.csv") for year in (2021, 2022, 2023)]
    code = main(
        ["monitor", *files, "--facts", str(EXAMPLES / "facts.yaml"),
         "--renamed", str(EXAMPLES / "renamed.yaml"),
         "--standard", "monitoring/quality-2017-warnings", "--lang", lang],
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    assert code == 1  # 示例县 fails in its latest year (2023)
    return [line for line in out.getvalue().splitlines() if line.startswith("  1. ")]


def test_an_over_cap_cv_is_marked_over_in_both_languages() -> None:
    (zh,) = _overview("zh")
    assert "0.667 ✗ (上限 ≤ 0.5)" in zh and "红色预警 2，黄色预警 3" in zh
    (en,) = _overview("en")
    assert "0.667 ✗ (over the cap ≤ 0.5)" in en and "red warnings 2, yellow 3" in en


def test_no_usable_standard_says_why() -> None:
    err = io.StringIO()
    code = main(
        ["monitor", str(EXAMPLES / "schools-2021.csv"), "--standard-for", "2021=nope/x",
         "--lang", "en"],
        stdout=io.StringIO(), stderr=err,
    )  # fmt: skip
    assert code == 2
    assert "no year has a standard" in err.getvalue()
    assert "unknown standard 'nope/x'" in err.getvalue()  # the reason, not only the outcome
