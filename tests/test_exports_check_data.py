"""check-data: completeness against a standard, grouped; every problem listed; languages."""

from __future__ import annotations

import io
from pathlib import Path

import balance_rules as br
from balance_rules.cli import main
from balance_rules.messages import to_chinese

from .conftest import EXAMPLE_FACTS, EXAMPLE_SCHOOLS


def _run(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_complete_data_exits_0() -> None:
    code, out, err = _run(
        "check-data", EXAMPLE_SCHOOLS, "--facts", EXAMPLE_FACTS, "--standard",
        "national/quality-2017", "--lang", "en",
    )  # fmt: skip
    assert code == 0, err
    assert "complete: every rule of national/quality-2017 can be evaluated" in out


def _many_schools(tmp_path: Path, count: int) -> Path:
    lines = ["县区,学校标识码,学校类型,小学在校生数,小学专任教师数"]
    lines += [f"甲县,P{i:04d},小学,{300 + i},{20 + i % 7}" for i in range(count)]
    path = tmp_path / "many.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_500_schools_missing_one_column_make_one_line(tmp_path: Path) -> None:
    path = _many_schools(tmp_path, 500)
    code, out, _ = _run("check-data", path, "--standard", "national/quality-2017", "--lang", "en")
    assert code == 1  # the evaluation would be incomplete
    equipment = [line for line in out.splitlines() if "rule equipment_value_per_student" in line]
    assert len(equipment) == 1
    assert (
        "[primary]: not evaluated for 500 schools (P0000, P0001, P0002, … 497 more; 1 county)"
        " — missing column equipment_value (教学仪器设备资产值)" in equipment[0]
    )
    facts = [line for line in out.splitlines() if "retention_rate_junior" in line]
    assert len(facts) == 1 and "add it to the facts file" in facts[0]
    code, out_zh, _ = _run("check-data", path, "--standard", "national/quality-2017")
    assert code == 1 and "500 所学校" in out_zh and "无法评估" in out_zh


def test_limit_counts_what_it_leaves_out(tmp_path: Path) -> None:
    path = _many_schools(tmp_path, 3)
    code, out, _ = _run(
        "check-data", path, "--standard", "national/quality-2017", "--limit", "2", "--lang", "en"
    )
    assert code == 1
    (more,) = [line for line in out.splitlines() if "more groups" in line]
    groups = int(out.split("incomplete: ")[1].split(" ")[0])
    assert more.strip() == f"... and {groups - 2} more groups (--limit 0 lists all)"


def test_every_problem_is_listed_by_default(tmp_path: Path) -> None:
    lines = ["学校标识码,学校类型,小学在校生数"] + [f"S{i},小学,x{i}" for i in range(80)]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = _run("check-data", path, "--lang", "en")
    assert code == 2
    assert err.count("is not a number") == 80 and "more" not in err
    code, _, err = _run("check-data", path, "--limit", "10", "--lang", "en")
    assert code == 2 and err.count("is not a number") == 10
    assert "... and 70 more (--limit 0 lists them all)" in err
    code, _, err = _run("check-data", path)
    assert err.count("不是数字") == 80 and "第 81 行" in err


def test_standard_validation_in_chinese_and_english(tmp_path: Path) -> None:
    from balance_rules.standard.loader import bundled_dir

    bad = tmp_path / "bad.yaml"
    text = (bundled_dir() / "national" / "basic-2012.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("kind: composite", "kind: composit"), encoding="utf-8")
    code, _, err = _run("validate", bad)
    assert code == 2 and "无效" in err and "是否应为 'composite'" in err
    assert "is not one of" not in err and "不是以下之一" in err
    code, _, err = _run("validate", bad, "--lang", "en")
    assert code == 2 and "did you mean 'composite'" in err


def test_the_catalogue_translates_and_keeps_what_it_does_not_know() -> None:
    assert to_chinese("'abc' is not a number") == "'abc' 不是数字"
    assert (
        to_chinese("county '甲县': unknown fact 'retention'")
        == "县 '甲县'：未知的县级指标 'retention'"
    )
    assert to_chinese("school 'S1': 'x' is negative") == "学校 'S1'：'x' 是负数"
    assert to_chinese("something new") == "something new"


def test_problems_render_in_both_languages() -> None:
    problem = br.Problem(
        "'abc' is not a number", file="s.xlsx", row=4, column="图书", suggestion="图书册数",
        sheet="小学",
    )  # fmt: skip
    assert problem.render("en") == (
        "s.xlsx, sheet '小学', row 4, column '图书': 'abc' is not a number "
        "(did you mean '图书册数'?)"
    )
    assert problem.render("zh") == (
        "s.xlsx, 工作表「小学」, 第 4 行, 列「图书」: 'abc' 不是数字（是否应为 '图书册数'？）"
    )
    assert str(problem) == problem.render("en")
