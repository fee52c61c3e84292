"""`balance-rules monitor`: year files, a year column, bad input, every output format."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from balance_rules.cli import main

from .conftest import EXAMPLES, run_cli
from .monitor_helpers import standard_text, write_year_csv

Row = tuple[str, str, str, str, int, str, int]


def _rows(county: str, areas: list[str], prefix: str = "A") -> list[Row]:
    return [
        (county, f"{prefix}{i}", f"{county}{prefix}{i}", "小学", 100, str(100 * float(a)), 3000)
        for i, a in enumerate(areas, start=1)
    ]


# Same hand-set values as monitor_helpers.years(): A's CV crosses 0.5 in 2022, A1 flips in 2023.
YEARS = {
    2021: _rows("A县", ["5", "5", "5"]) + _rows("B县", ["4", "4", "10"], "B"),
    2022: _rows("A县", ["4", "4", "16"]),
    2023: _rows("A县", ["3", "4.5", "4.5"]) + _rows("B县", ["4", "4", "4"], "B"),
}


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {
        str(y): write_year_csv(tmp_path / f"schools-{y}.csv", rows) for y, rows in YEARS.items()
    }
    paths["standard"] = tmp_path / "standard.yaml"
    paths["standard"].write_text(standard_text(), encoding="utf-8")
    return paths


def _run(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _years(files: dict[str, Path]) -> list[Path]:
    return [files["2021"], files["2022"], files["2023"]]


def test_years_from_file_names(files: dict[str, Path]) -> None:
    code, out, err = _run("monitor", *_years(files), "--standard", files["standard"])
    assert code == 1  # A县 fails in 2023
    assert "1. A县  2021:通过 2022:未通过 2023:未通过" in out
    assert "2022→2023 A1 A县A1 小学: 达标 → 未达标（生均教学及辅助用房面积）" in out
    assert "B县 没有 2022 年的数据" in err  # reported, not dropped


def test_one_file_with_a_year_column_equals_year_files(
    files: dict[str, Path], tmp_path: Path
) -> None:
    lines = ["年份," + files["2021"].read_text(encoding="utf-8").splitlines()[0]]
    for year in (2023, 2021, 2022):  # any order
        body = files[str(year)].read_text(encoding="utf-8").splitlines()[1:]
        lines += [f"{year},{line}" for line in body]
    together = tmp_path / "all.csv"
    together.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one = _run("monitor", together, "--standard", files["standard"], "--format", "json")
    many = _run("monitor", *_years(files), "--standard", files["standard"], "--format", "json")
    assert one[0] == many[0] == 1
    a, b = json.loads(one[1]), json.loads(many[1])
    assert a["counties"] == b["counties"] and a["overview"] == b["overview"]


def test_year_option(files: dict[str, Path], tmp_path: Path) -> None:
    plain = [tmp_path / "a.csv", tmp_path / "b.csv"]
    plain[0].write_bytes(files["2021"].read_bytes())
    plain[1].write_bytes(files["2022"].read_bytes())
    code, out, _ = _run(
        "monitor", *plain, "--year", "2021", "--year", "2022", "--standard", files["standard"]
    )
    assert code == 1 and "2021:通过 2022:未通过" in out
    code, _, err = _run(
        "monitor", *plain, "--year", "2021", "--standard", files["standard"], "--lang", "en"
    )
    assert code == 2 and "1 --year value(s) for 2 data file(s)" in err
    code, _, err = _run("monitor", *plain, "--standard", files["standard"], "--lang", "en")
    assert code == 2 and "which year is this?" in err


def test_two_files_claiming_the_same_year(files: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "copy-2021.csv"
    copy.write_bytes(files["2021"].read_bytes())
    code, _, err = _run("monitor", files["2021"], copy, "--standard", files["standard"])
    assert code == 2 and "两个文件都是 2021 年" in err and "copy-2021.csv" in err
    code, _, err = _run(
        "monitor", files["2021"], copy, "--standard", files["standard"], "--lang", "en"
    )
    assert code == 2
    assert "two files claim the year 2021" in err and "copy-2021.csv" in err


def test_standard_per_year_and_a_missing_one(files: dict[str, Path], tmp_path: Path) -> None:
    loose = tmp_path / "loose.yaml"
    loose.write_text(standard_text(cap="0.8", id_="test/loose"), encoding="utf-8")
    code, out, err = _run(
        "monitor", *_years(files), "--standard", files["standard"],
        "--standard-for", f"2022={loose}", "--lang", "en",
    )  # fmt: skip
    assert "2022 test/loose" in out and "2022:pass" in out
    assert "caps and indicators may differ" in err
    assert code == 1
    code, out, err = _run(
        "monitor", *_years(files), "--standard", files["standard"],
        "--standard-for", "2022=national/quality-2099", "--lang", "en",
    )  # fmt: skip
    assert code == 1  # 2021 and 2023 still evaluated
    assert "the standard for 2022 cannot be loaded" in err and "quality-2099" in err
    assert "Annual monitoring: 2021, 2023" in out
    code, _, err = _run("monitor", *_years(files), "--standard-for", "2022:x")
    assert code == 2 and "write YEAR=STANDARD" in err
    code, _, err = _run("monitor", *_years(files), "--standard", "national/nothing")
    assert code == 2 and "national/nothing" in err


def test_school_id_reused_is_warned(files: dict[str, Path], tmp_path: Path) -> None:
    # In 2022 the id A3 belongs to a junior school with another name.
    path = write_year_csv(tmp_path / "schools-2022.csv", YEARS[2022][:2])
    text = path.read_text(encoding="utf-8").replace("图书册数\n", "图书册数,初中在校生数\n")
    text = text.replace(",3000\n", ",3000,\n")
    path.write_text(text + "A县,A3,乙中学,初级中学,,1600,3000,100\n", encoding="utf-8")
    code, out, err = _run("monitor", files["2021"], path, "--standard", files["standard"])
    assert code in (0, 1)
    assert "2022 A3 乙中学: 标识码被另一所学校使用" in out
    assert "学校标识码 A3 在 2021 与 2022 年名称和类型都不同" in err
    _, _, err = _run(
        "monitor", files["2021"], path, "--standard", files["standard"], "--lang", "en"
    )
    assert "school id A3 has another name and type in 2022 than in 2021" in err


def test_renamed_ids_from_a_csv(files: dict[str, Path], tmp_path: Path) -> None:
    rows = [(c, "A1NEW" if i == "A1" else i, n, t, p, a, b) for c, i, n, t, p, a, b in YEARS[2023]]
    later = write_year_csv(tmp_path / "later-2023.csv", rows)
    renamed = tmp_path / "renamed.csv"
    renamed.write_text("原学校标识码,新学校标识码\nA1,A1NEW\n", encoding="utf-8")
    _, out, _ = _run(
        "monitor", files["2022"], later, "--standard", files["standard"], "--renamed", renamed
    )
    assert "2022→2023 A1NEW" in out and "标识码变更为 A1NEW" in out


def test_formats(files: dict[str, Path], tmp_path: Path) -> None:
    base: list[str | Path] = ["monitor", *_years(files), "--standard", files["standard"]]
    csv_file = tmp_path / "out.csv"
    assert _run(*base, "--output", csv_file)[0] == 1
    text = csv_file.read_text(encoding="utf-8")
    assert text.startswith("\ufeffcounty,year,standard,verdict")
    assert (
        "A县,2022,test/monitor,fail,cv,primary,area,False,0.7071067811865476,0.5,False,up" in text
    )
    assert "B县,2022,,,,,,,,,," in text
    html_file = tmp_path / "out.html"
    assert _run(*base, "--output", html_file)[0] == 1
    html = html_file.read_text(encoding="utf-8")
    assert html.count("<svg") >= 2 and "hm-fail" in html and "src=" not in html
    xlsx_file = tmp_path / "out.xlsx"
    assert _run(*base, "--output", xlsx_file)[0] == 1
    import openpyxl

    book = openpyxl.load_workbook(xlsx_file)
    assert book.sheetnames == ["总览", "2021年", "2022年", "2023年", "变化与预警"]
    assert [c.value for c in book["总览"][2]][:5] == [1, "A县", "通过", "未通过", "未通过"]
    code, _, err = _run(*base, "--format", "xlsx")
    assert code == 2 and "--output" in err
    code, _, err = _run(*base, "--output", files["2021"])
    assert code == 2
    data = json.loads(_run(*base, "--format", "json")[1])
    assert data["years"] == [2021, 2022, 2023]
    assert [r["year"] for r in data["reports"]] == [2021, 2022, 2023]


def test_example_through_the_real_command() -> None:
    folder = EXAMPLES / "monitoring"
    result = run_cli(
        "monitor",
        *sorted(folder.glob("schools-20*.csv")),
        "--facts", folder / "facts.yaml",
        "--renamed", folder / "renamed.yaml",
        "--standard", "monitoring/quality-2017-warnings",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "2110000013 东坡村小学: 标识码变更为 2110000113" in result.stdout
    assert "[红色] 2023 学校本年不再达到7项中6项: 小学 2110000003" in result.stdout
    assert "示例二县 没有 2022 年的数据" in result.stderr
