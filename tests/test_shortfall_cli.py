"""`balance-rules shortfall` in-process (and once as a real command)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from balance_rules.cli import main
from balance_rules.cli.shortfall import write_schools_csv
from tests.shortfall_helpers import CV, HEAD, THRESHOLDS, school


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    standard = tmp_path / "both.yaml"
    standard.write_text(
        HEAD.format(id="both") + THRESHOLDS.format(op=">=") + CV.format(cap="0.2"),
        encoding="utf-8",
    )
    schools = [
        # A: 18 above-degree teachers for 500 (needs 21), 2000 m² (needs 2250)
        school("A", primary_teachers_above_degree=18, teaching_aux_area=2000),
        # B: books far below the others (books CV over 0.2)
        school("B", 100, books=1000),
        school("C", 100, books=3000),
        school("D", 100, books=3000),
    ]
    table = tmp_path / "schools.csv"
    with table.open("w", encoding="utf-8", newline="") as stream:
        write_schools_csv(schools, stream)
    return {"standard": standard, "schools": table, "dir": tmp_path}


def test_json_follows_the_contract(files: dict[str, Path]) -> None:
    code, out, err = _run("shortfall", str(files["schools"]), "--standard",
                          str(files["standard"]), "--format", "json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    (county,) = data["counties"]
    assert county["verdict_before"] == "fail" and county["verdict_after"] == "pass"
    for item in county["additions"]:
        assert {"school_id", "level", "field", "add", "unit", "rule"} <= set(item)
    got = {(a["school_id"], a["field"], a["level"]): a["add"] for a in county["additions"]}
    assert got[("A", "primary_teachers_above_degree", "primary")] == 3
    assert got[("A", "teaching_aux_area", None)] == 250
    assert ("B", "books", None) in got
    totals = {t["field"]: t["add"] for t in county["totals"]}
    assert totals["teaching_aux_area"] == 250
    assert county["total_cost"] is None


def test_write_applied_then_evaluate_passes(files: dict[str, Path]) -> None:
    applied = files["dir"] / "applied.csv"
    code, _out, err = _run("shortfall", str(files["schools"]), "--standard",
                           str(files["standard"]), "--write-applied", str(applied))  # fmt: skip
    assert code == 0, err
    code, out, err = _run("evaluate", str(applied), "--standard", str(files["standard"]))
    assert code == 0, out + err
    # and the original fails
    assert _run("evaluate", str(files["schools"]), "--standard", str(files["standard"]))[0] == 1


def test_text_csv_html_xlsx(files: dict[str, Path]) -> None:
    base = ("shortfall", str(files["schools"]), "--standard", str(files["standard"]))
    code, text, _ = _run(*base)
    assert code == 0
    assert "补短板测算" in text and "差异系数注水" not in text
    # the school with the largest share of the bill first: A (all of the area and teachers)
    assert text.index("  A ") < text.index("  B ")
    code, english, _ = _run(*base, "--lang", "en")
    assert "Shortfall plan" in english
    code, table, _ = _run(*base, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(table)))
    assert {(r["school_id"], r["field"]) for r in rows} >= {
        ("A", "teaching_aux_area"),
        ("A", "primary_teachers_above_degree"),
        ("B", "books"),
    }
    assert len(rows) == len({(r["school_id"], r["field"]) for r in rows})
    html_file = files["dir"] / "plan.html"
    assert _run(*base, "--output", str(html_file))[0] == 0
    page = html_file.read_text(encoding="utf-8")
    assert "<svg" in page and "http://" not in page.replace("http://www.w3.org", "")
    xlsx_file = files["dir"] / "plan.xlsx"
    assert _run(*base, "--output", str(xlsx_file))[0] == 0
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(xlsx_file)
    assert len(book.sheetnames) == 4


def test_costs_file_errors_exit_2_with_line(files: dict[str, Path]) -> None:
    bad = files["dir"] / "costs.yaml"
    bad.write_text(
        "format: 1\ncosts:\n  books: {value: -15, source: x}\n  teachres: {value: 1, source: y}\n"
        "  computers: {source: z}\n",
        encoding="utf-8",
    )
    code, _out, err = _run("shortfall", str(files["schools"]), "--standard",
                           str(files["standard"]), "--costs", str(bad))  # fmt: skip
    assert code == 2 and f"{bad}:3" in err and "成本不能为负数" in err  # Chinese by default
    code, _out, err = _run("shortfall", str(files["schools"]), "--standard",
                           str(files["standard"]), "--costs", str(bad), "--lang", "en")  # fmt: skip
    assert code == 2
    assert f"{bad}:3" in err and "negative" in err
    assert f"{bad}:4" in err and "teachres" in err and "'teachers'" in err  # did-you-mean
    assert f"{bad}:5" in err and "'value' is missing" in err
    assert "Traceback" not in err


def test_costs_missing_a_needed_resource_exit_2(files: dict[str, Path]) -> None:
    costs = files["dir"] / "costs.yaml"
    costs.write_text("format: 1\ncosts:\n  books: {value: 15, source: x}\n", encoding="utf-8")
    code, _out, err = _run("shortfall", str(files["schools"]), "--standard",
                           str(files["standard"]), "--costs", str(costs))  # fmt: skip
    assert code == 2 and "成本文件没有" in err and "的单价" in err  # "no cost for", in Chinese
    argv = ["--standard", str(files["standard"]), "--costs", str(costs), "--lang", "en"]
    code, _out, err = _run("shortfall", str(files["schools"]), *argv)
    assert code == 2 and "no cost for" in err


def test_costs_give_yuan_totals(files: dict[str, Path]) -> None:
    code, out, err = _run("shortfall", str(files["schools"]), "--standard",
                          str(files["standard"]), "--costs", "examples/costs.yaml",
                          "--format", "json")  # fmt: skip
    assert code == 0, err
    (county,) = json.loads(out)["counties"]
    area = next(a for a in county["additions"] if a["field"] == "teaching_aux_area")
    assert area["cost"] == 250 * 1300
    assert county["total_cost"] == sum(t["cost"] or 0 for t in county["totals"])


def test_standard_with_nothing_to_plan_exit_2(files: dict[str, Path]) -> None:
    empty = files["dir"] / "facts-only.yaml"
    empty.write_text(HEAD.format(id="none") + """
  retention:
    kind: county_fact
    group: resources
    fact: retention_rate_junior
    op: ">="
    threshold: 95
    source: {article: 五}
""", encoding="utf-8")  # fmt: skip
    code, _out, err = _run("shortfall", str(files["schools"]), "--standard", str(empty))
    assert code == 2 and "nothing to plan" in err


def test_real_command(files: dict[str, Path]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "balance_rules", "shortfall", str(files["schools"]),
         "--standard", str(files["standard"]), "--format", "json"],
        capture_output=True, text=True, encoding="utf-8", check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counties"][0]["verdict_after"] == "pass"


def test_equipment_in_wan_yuan_follows_the_table(tmp_path: Path) -> None:
    standard = tmp_path / "t.yaml"
    standard.write_text(HEAD.format(id="t") + THRESHOLDS.format(op=">="), encoding="utf-8")
    table = tmp_path / "schools.csv"
    # 500 pupils need 1,000,000 元 = 100 万元 of equipment; 99.99 万元 is one 100-元 step short
    table.write_text(
        "学校标识码,学校类型,县区,小学在校生数,小学高于规定学历专任教师数,教学及辅助用房面积,"
        "教学仪器设备资产值（万元）\n"
        "A,小学,测试县,500,21,2250,99.99\n",
        encoding="utf-8",
    )
    code, out, err = _run("shortfall", str(table), "--standard", str(standard), "--format", "json")
    assert code == 0, err
    (item,) = json.loads(out)["counties"][0]["additions"]
    assert item["field"] == "equipment_value"
    assert (item["add"], item["unit"]) == (0.01, "万元")
    assert (item["canonical_add"], item["canonical_unit"]) == (100, "元")
    assert (item["before"], item["after"]) == (99.99, 100)


def test_not_plannable_reasons_in_chinese() -> None:
    from balance_rules.render.shortfall import reason_text

    assert reason_text("needs a reduction (<= 45), not an addition") == (
        "需要减少（<= 45），不能靠增加资源达到"
    )
    assert reason_text("missing teaching_aux_area") == "缺少数据：教学及辅助用房面积"
    assert reason_text("pe_art_teachers_per_100: missing students").startswith(
        "pe_art_teachers_per_100："
    )
    assert reason_text("missing books", "en") == "missing books"


def test_national_example_round_trip(tmp_path: Path) -> None:
    """The bundled example county with one school's equipment cut to a third: the
    plan under national/quality-2017 passes, and so does `evaluate` on the applied table."""
    import attrs

    from balance_rules import read_school_table

    schools = list(read_school_table("examples/example-county.xlsx").schools)
    cut = schools[3]
    assert cut.equipment_value is not None
    schools[3] = attrs.evolve(cut, equipment_value=(cut.equipment_value / 3).quantize(1))
    table = tmp_path / "schools.csv"
    with table.open("w", encoding="utf-8", newline="") as stream:
        write_schools_csv(schools, stream)
    facts = "examples/example-county-facts.yaml"
    assert _run("evaluate", str(table), "--facts", facts)[0] == 1
    applied = tmp_path / "applied.csv"
    code, out, err = _run("shortfall", str(table), "--facts", facts, "--format", "json",
                          "--write-applied", str(applied))  # fmt: skip
    assert code == 0, err
    (county,) = json.loads(out)["counties"]
    assert (county["verdict_before"], county["verdict_after"]) == ("fail", "pass")
    assert {a["school_id"] for a in county["additions"]} == {cut.school_id}
    assert _run("evaluate", str(applied), "--facts", facts)[0] == 0
