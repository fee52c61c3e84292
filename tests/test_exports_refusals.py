"""Never silently: what could be misread is read correctly or refused, naming the fix."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest

import balance_rules as br
from balance_rules.cli import main
from balance_rules.data.mapping import load_mapping


def _run(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _csv(tmp_path: Path, text: str, name: str = "s.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path, **options: object) -> list[br.Problem]:
    with pytest.raises(br.DataError) as info:
        br.read_school_table(path, **options)  # type: ignore[arg-type]
    return list(info.value.problems)


# -- the five cases of exports.md ------------------------------------------------------


def test_no_school_type_column_is_never_read_as_all_primary(tmp_path: Path) -> None:
    path = _csv(tmp_path, "学校标识码,县区,小学在校生数,初中在校生数\nA,甲县,100,\nB,甲县,,300\n")
    code, _, err = _run("check-data", path, "--lang", "en")
    assert code == 2 and "no school-type column" in err and "学校类型" in err
    assert "level: junior" in err  # the mapping line that would fix a one-level file
    code, _, err = _run("check-data", path)
    assert code == 2 and "没有学校类型列" in err
    mapping = _csv(tmp_path, "level: junior\n", "m.yaml")
    one_level = _csv(tmp_path, "学校标识码,县区,在校生数\nB,甲县,300\n", "j.csv")
    (school,) = br.read_school_table(one_level, mapping=load_mapping(mapping)).schools
    assert (school.school_type, school.junior_students) == ("junior", Decimal(300))


def test_only_primary_columns_read_as_primary_with_a_warning(tmp_path: Path) -> None:
    path = _csv(tmp_path, "学校标识码,县区,小学在校生数\nA,甲县,100\n")
    table = br.read_school_table(path)
    assert table.schools[0].school_type == "primary"
    assert any("no school-type column" in w.message for w in table.warnings)


def test_no_county_column_names_the_county_and_says_so(tmp_path: Path) -> None:
    path = _csv(tmp_path, "学校标识码,学校类型,小学在校生数\nA,小学,100\nB,小学,50\n", "某县.csv")
    table = br.read_school_table(path)
    assert {s.county for s in table.schools} == {"某县"}  # never ""
    (warning,) = [w for w in table.warnings if "no county column" in w.message]
    assert "county: 某县" in warning.message and "2 schools" in warning.message
    mapping = _csv(tmp_path, "county: 丙县\n", "m.yaml")
    table = br.read_school_table(path, mapping=load_mapping(mapping))
    assert {s.county for s in table.schools} == {"丙县"} and not table.warnings


def test_ownership_under_an_unknown_header_is_refused(tmp_path: Path) -> None:
    known = _csv(tmp_path, "学校标识码,学校类型,办学性质,小学在校生数\nA,小学,民办,1\n")
    assert br.read_school_table(known).schools[0].ownership == "private"
    unknown = _csv(tmp_path, "学校标识码,学校类型,学校性质,小学在校生数\nA,小学,民办,1\n", "u.csv")
    (problem,) = _problems(unknown)
    assert problem.column == "学校性质"
    assert "columns: {'学校性质': ownership}" in problem.message


def test_a_one_field_per_row_form_is_refused(tmp_path: Path) -> None:
    form = _csv(
        tmp_path,
        "指标,数值\n学校标识码,2130000001\n学校名称,一小\n学校类型,小学\n小学在校生数,500\n"
        "图书册数,20000\n占地面积,8000\n",
    )
    code, out, err = _run("check-data", form, "--lang", "en")
    assert code == 2 and out == ""
    assert "one field per row" in err and "rows 3, 4, 5" in err and "Transpose" in err


def test_an_ambiguous_student_count_is_never_ignored(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "学校标识码,学校类型,学生数,小学在校生数,初中在校生数\nA,小学,100,,\nN,九年一贯制学校,500,300,200\n",
    )
    problems = _problems(path)
    (problem,) = problems
    assert (problem.row, problem.column) == (3, "学生数")
    assert "level: primary" in problem.message
    single = _csv(tmp_path, "学校标识码,学校类型,学生数\nA,小学,100\nB,初中,80\n", "one.csv")
    a, b = br.read_school_table(single).schools
    assert (a.primary_students, b.junior_students) == _d(100, 80)


def _d(*values: int) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


# -- numbers and CSV structure (hardening) ----------------------------------------------


@pytest.mark.parametrize("text", ["1850%", "18,50", "1_850", "1,85,0", "1.850,5"])
def test_malformed_numbers_in_counts_are_refused_with_row_and_column(
    tmp_path: Path, text: str
) -> None:
    path = _csv(tmp_path, f'学校标识码,学校类型,小学在校生数\nA,小学,100\nB,小学,"{text}"\n')
    (problem,) = _problems(path)
    assert (problem.row, problem.column) == (3, "小学在校生数")


def test_grouped_thousands_are_still_read(tmp_path: Path) -> None:
    path = _csv(
        tmp_path, '学校标识码,学校类型,小学在校生数,图书册数\nA,小学,"1,850","12,345,678"\n'
    )
    (school,) = br.read_school_table(path).schools
    assert (school.primary_students, school.books) == _d(1850, 12345678)


def test_an_unbalanced_quote_never_swallows_the_rest(tmp_path: Path) -> None:
    rows = "".join(f"S{i},小学,{i}\n" for i in range(30))
    path = _csv(tmp_path, '学校标识码,学校类型,小学在校生数\nA,"小学,10\n' + rows)
    code, out, err = _run("check-data", path, "--lang", "en")
    assert code == 2 and "ok" not in out
    assert "row 2" in err and "quote" in err


@pytest.mark.parametrize(
    ("line", "cells"), [("B,小学,10,99\n", "4 cells"), ("B,小学\n", "2 cells")]
)
def test_rows_with_more_or_fewer_cells_than_the_header(
    tmp_path: Path, line: str, cells: str
) -> None:
    path = _csv(tmp_path, "学校标识码,学校类型,小学在校生数\nA,小学,10\n" + line + "C,小学,5\n")
    (problem,) = _problems(path)
    assert problem.row == 3 and cells in problem.message


def test_very_long_cells(tmp_path: Path) -> None:
    long_name = "校" * 50_000
    ok = _csv(tmp_path, f"学校标识码,学校名称,学校类型,小学在校生数\nA,{long_name},小学,1\n")
    assert br.read_school_table(ok).schools[0].school_name == long_name
    huge = _csv(
        tmp_path,
        "学校标识码,学校名称,学校类型,小学在校生数\nA," + "x" * 200_001 + ",小学,1\n",
        "h.csv",
    )
    code, _, err = _run("check-data", huge, "--lang", "en")
    assert code == 2 and "200,001 characters" in err and "row 2" in err


def test_rates_are_checked_against_their_kind_and_range(tmp_path: Path) -> None:
    def problems(text: str) -> list[br.Problem]:
        path = _csv(tmp_path, text, "facts.yaml")
        with pytest.raises(br.DataError) as info:
            br.read_facts(path)
        return list(info.value.problems)

    (p,) = problems("甲县: {retention_rate_junior: 978}\n")
    assert "between 0 % and 100 %" in p.message and p.line == 1
    (p,) = problems("甲县: {retention_rate_junior: -5}\n")
    assert "out of range" in p.message
    (p,) = problems("rates: fraction\n甲县: {retention_rate_junior: 97.8}\n")
    assert "rates: fraction" in p.message and p.line == 2
    facts = br.read_facts(
        _csv(tmp_path, "rates: fraction\n甲县: {rotation_rate: 0.15}\n", "f.yaml")
    )
    assert facts == {"甲县": {"rotation_rate": Decimal("15.00")}}


def test_the_id_category_is_a_cross_check_not_a_substitute(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "学校(机构)标识码,学校类型,县区,小学在校生数,初中在校生数\n"
        "3130000001,小学,甲县,100,\n2130000002,小学,甲县,80,\n3130000003,初级中学,甲县,,90\n",
    )
    table = br.read_school_table(path)
    assert [s.school_type for s in table.schools] == ["primary", "primary", "junior"]
    (note,) = table.notes
    assert (note.row, note.column) == (2, "学校类型") and "ids starting 31" in note.message
    assert not [w for w in table.warnings if "ids starting" in w.message]
    code, _, err = _run("check-data", path, "--lang", "en")
    assert code == 0 and "note:" in err and "1 school(s) typed primary" in err


def test_a_unit_left_unsaid_is_questioned(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "学校标识码,学校类型,县区,小学在校生数,教学仪器设备资产值,图书册数\n"
        "A,小学,甲,100,52.5,30000\nB,小学,甲,100,80,30000\nC,小学,甲,100,120,30000\n",
    )
    table = br.read_school_table(path)
    assert table.schools[0].equipment_value == Decimal("52.5")  # read as written, in yuan
    (note,) = table.notes
    assert note.column == "教学仪器设备资产值" and "median of 80" in note.message
    assert "unit: 万元" in note.message


def test_a_quote_closed_rows_later_is_refused_on_every_path(tmp_path: Path) -> None:
    lines = ["county,school_id,school_type,primary_students"]
    lines += [f"甲县,S{i},primary,{100 + i}" for i in range(10)]
    lines[3] = '甲县,"S2,primary,102'  # opened here ...
    lines[6] = '甲县,S5",primary,105'  # ... and closed three rows later
    path = _csv(tmp_path, "\n".join(lines) + "\n")
    for fmt in ("json", "jsonl", "csv"):
        code, out, err = _run("evaluate", path, "--format", fmt, "--lang", "en")
        assert code == 2 and out == "", fmt
        assert "row 4" in err and "spans several lines" in err
