"""One validator, every entry point: the same problems at the same origins.

A school table with seven different problems is given as a CSV with a title row
(so a school's row in the file is its index + 3, not + 2), as a workbook sheet,
as a DataFrame and as County objects, and through the command in Chinese and in
English.  Each entry point reports all seven, each at the row, column and school
worked out by hand below.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import balance_rules as br
from balance_rules.cli import main
from balance_rules.data.columns import ColumnTable
from balance_rules.data.validate import check_table, find_problems, table_warnings, validate
from balance_rules.frames import evaluate_frame

from .conftest import mini_standard

HEADER = [
    "学校标识码",
    "区县",
    "学校类型",
    "办学性质",
    "是否计校数",
    "所属学校标识码",
    "小学在校生数",
    "初中在校生数",
    "小学班级数",
]
CANONICAL = [
    "school_id",
    "county",
    "school_type",
    "ownership",
    "counted_as_school",
    "parent_school_id",
    "primary_students",
    "junior_students",
    "primary_classes",
]
ROWS: list[list[Any]] = [
    ["S1", "甲县", "小学", "公办", "是", None, 100, None, 3],  # row 3: sound
    ["S2", "甲县", "小学", "公办", "是", None, -5, None, 3],  # row 4: negative
    ["S3", "甲县", "小学", "公办", "是", None, 100, None, 2.5],  # row 5: fractional count
    ["S1", "甲县", "小学", "公办", "是", None, 100, None, 3],  # row 6: S1 again in 甲县
    ["S5", "甲县", "小雪", "公办", "是", None, 100, None, 3],  # row 7: unknown type
    ["S6", "甲县", "九年一贯制学校", "公办", "是", None, 100, None, 3],  # row 8: no junior count
    ["S7", "甲县", "小学", "pubic", "是", None, 100, None, 3],  # row 9: unknown ownership
    ["S8", "甲县", "小学", "公办", "否", "S8", 10, None, 1],  # row 10: its own parent
    ["S1", "乙县", "小学", "公办", "是", None, 100, None, 3],  # row 11: S1 in 乙县 is sound
]
# (row in the file, canonical column, school id, words the message must hold)
EXPECTED = [
    (4, "primary_students", "S2", "primary_students is negative (-5)"),
    (5, "primary_classes", "S3", "primary_classes is not a whole number (a count): 2.5"),
    (6, "school_id", "S1", "school id 'S1' repeats"),
    (7, "school_type", "S5", "unknown school_type '小雪'"),
    (8, "junior_students", "S6", "nine_year school S6 has no junior student count"),
    (9, "ownership", "S7", "unknown ownership 'pubic'"),
    (10, "parent_school_id", "S8", "sub-site 'S8' is its own parent"),
]
SUGGESTIONS = {7: "小学", 9: "public"}
HEADER_OF = dict(zip(CANONICAL, HEADER, strict=True))


def _write_csv(path: Path, rows: list[list[Any]] = ROWS) -> Path:
    lines = ["学校基本情况统计表" + "," * (len(HEADER) - 1), ",".join(HEADER)]
    lines += [",".join("" if v is None else str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _write_xlsx(path: Path) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "学校"
    sheet.append(["学校基本情况统计表"])
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    book.save(path)
    return path


def _refused(call: Any) -> list[br.Problem]:
    with pytest.raises(br.DataError) as caught:
        call()
    return list(caught.value.problems)


def _located(problems: list[br.Problem]) -> list[tuple[int | None, str | None]]:
    return [(p.row, p.column) for p in problems]


def _check_messages(problems: list[br.Problem]) -> None:
    for problem, (_, _, school_id, words) in zip(problems, EXPECTED, strict=True):
        assert words in problem.message, (problem.message, words)
        assert school_id in problem.message


def test_a_csv_with_a_title_row_gives_every_problem_at_its_row_in_the_file(
    tmp_path: Path,
) -> None:
    path = _write_csv(tmp_path / "schools.csv")
    problems = _refused(lambda: br.read_school_table(path))
    assert _located(problems) == [(row, HEADER_OF[c]) for row, c, _, _ in EXPECTED]
    assert {p.file for p in problems} == {str(path)}
    _check_messages(problems)
    assert "school id 'S1' repeats row 3" in problems[2].message  # the first one, by its row
    assert {p.row: p.suggestion for p in problems if p.suggestion} == SUGGESTIONS


def test_a_workbook_names_the_sheet_too(tmp_path: Path) -> None:
    path = _write_xlsx(tmp_path / "schools.xlsx")
    problems = _refused(lambda: br.read_school_table(path))
    assert _located(problems) == [(row, HEADER_OF[c]) for row, c, _, _ in EXPECTED]
    assert {(p.file, p.sheet) for p in problems} == {(str(path), "学校")}
    _check_messages(problems)


def _frame() -> Any:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(ROWS, columns=CANONICAL)
    frame.index = range(1, len(ROWS) + 1)  # label + 2: the rows of the file above
    return frame


def test_a_dataframe_gives_the_same_problems_at_its_index_rows() -> None:
    frame = _frame()
    problems = _refused(lambda: ColumnTable.from_frame(frame))
    assert _located(problems) == [(row, c) for row, c, _, _ in EXPECTED]
    _check_messages(problems)
    # evaluate_frame goes through the same validator
    again = _refused(lambda: evaluate_frame(frame, mini_standard()))
    assert [str(p) for p in again] == [str(p) for p in problems]


def _school(row: list[Any]) -> br.School:
    values = dict(zip(CANONICAL, row, strict=True))
    codes = {"小学": "primary", "九年一贯制学校": "nine_year", "公办": "public"}
    return br.School(
        school_id=values["school_id"],
        county=values["county"],
        school_type=codes.get(values["school_type"], values["school_type"]),
        ownership=codes.get(values["ownership"], values["ownership"]),
        counted_as_school=values["counted_as_school"] == "是",
        parent_school_id=values["parent_school_id"],
        primary_students=values["primary_students"],
        junior_students=values["junior_students"],
        primary_classes=Decimal(str(values["primary_classes"])),
    )


def test_county_objects_give_the_same_problems_naming_county_and_school() -> None:
    schools = [_school(row) for row in ROWS]
    counties = [
        br.County(name="甲县", schools=[s for s in schools if s.county == "甲县"]),
        br.County(name="乙县", schools=[s for s in schools if s.county == "乙县"]),
    ]
    problems = _refused(lambda: br.evaluate(mini_standard(), counties))
    assert [(p.row, p.column) for p in problems] == [(None, c) for _, c, _, _ in EXPECTED]
    assert all(p.message.startswith("county '甲县': ") for p in problems)
    _check_messages(problems)
    assert problems[0].message == "county '甲县': school 'S2': primary_students is negative (-5)"
    assert problems[0].text("zh") == "县 '甲县'：学校 'S2'：primary_students 是负数（-5）"


def test_the_library_and_the_file_word_each_problem_alike(tmp_path: Path) -> None:
    in_file = _refused(lambda: br.read_school_table(_write_csv(tmp_path / "s.csv")))
    objects = [_school(row) for row in ROWS]
    in_code = _refused(
        lambda: br.evaluate(mini_standard(), br.County(name="甲县", schools=objects[:8]))
    )
    for from_file, from_code in zip(in_file, in_code, strict=True):
        bare = re.sub(r"^county '[^']*': ", "", from_code.message)
        assert from_file.message.startswith(bare), (from_file.message, bare)


@pytest.mark.parametrize(
    ("lang", "row_word", "hint"),
    [("zh", "第 {} 行", "是否应为 '小学'"), ("en", "row {}", "did you mean '小学'")],
)
def test_the_command_lists_every_problem_and_exits_2(
    tmp_path: Path, lang: str, row_word: str, hint: str
) -> None:
    path = _write_csv(tmp_path / "schools.csv")
    out, err = io.StringIO(), io.StringIO()
    argv = ["check-data", str(path)] + (["--lang", "en"] if lang == "en" else [])
    assert main(argv, stdout=out, stderr=err) == 2
    text = err.getvalue()
    assert "Traceback" not in text
    for row, column, _, _ in EXPECTED:
        line = next(x for x in text.splitlines() if row_word.format(row) + "," in x)
        assert HEADER_OF[column] in line
    assert hint in text
    if lang == "zh":
        assert "是负数" in text and "不是整数" in text and "的所属学校是它自己" in text
        assert "学校表中有 7 个问题" in text
    else:
        assert "7 problem(s) in the school table" in text


def test_skip_bad_rows_lists_the_validators_rows_and_keeps_the_rest(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "schools.csv")
    table = br.read_school_table(path, skip_bad_rows=True)
    assert [s.row for s in table.skipped] == [4, 5, 6, 7, 8, 9, 10]
    assert [(s.school_id, s.county) for s in table.schools] == [("S1", "甲县"), ("S1", "乙县")]
    assert table.skipped[0].problems[0].column == "小学在校生数"


def test_a_parent_not_in_the_county_is_refused_from_every_entry_point(
    tmp_path: Path,
) -> None:
    rows: list[list[Any]] = [
        ["P", "甲县", "小学", "公办", "是", None, 100, None, 3],
        ["Q", "甲县", "小学", "公办", "否", "PX", 10, None, 1],
    ]
    problems = _refused(lambda: br.read_school_table(_write_csv(tmp_path / "s.csv", rows)))
    assert [(p.row, p.column, p.suggestion) for p in problems] == [(4, "所属学校标识码", "P")]
    assert "parent school 'PX' of Q is not in the table" in problems[0].message
    # the same data as School objects and as a DataFrame: the same refusal, not a
    # sub-site silently left out with its students
    county = br.County(name="甲县", schools=[_school(r) for r in rows])
    (problem,) = _refused(lambda: br.evaluate(mini_standard(), county))
    assert problem.column == "parent_school_id" and problem.suggestion == "P"
    assert "parent school 'PX' of Q is not in the table" in problem.message
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(rows, columns=CANONICAL)
    (problem,) = _refused(lambda: evaluate_frame(frame, mini_standard()))
    assert "parent school 'PX' of Q is not in the table" in problem.message
    table = ColumnTable.from_schools(county.schools, check=False)
    (found,) = validate(table)
    assert found.message == "county '甲县': parent school 'PX' of Q is not in the table"
    assert table_warnings(table) == []
    with pytest.raises(br.DataError):
        check_table(table)


def test_numbers_that_are_not_finite() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {"school_id": ["A", "B"], "primary_students": [100.0, np.inf], "site_area": [-np.inf, 1.0]}
    )
    problems = _refused(lambda: ColumnTable.from_frame(frame))
    assert [(p.row, p.column) for p in problems] == [(2, "site_area"), (3, "primary_students")]
    assert "site_area is not a finite number (-inf)" in problems[0].message
    with pytest.raises(br.DataError, match="primary_students is not a finite number"):
        br.School(school_id="A", primary_students=Decimal("NaN"))
    with pytest.raises(ValueError, match="junior_classes: not a number: 'x'"):
        br.School(school_id="A", junior_classes="x")
    with pytest.raises(br.DataError, match="x is not a finite number"):
        br.School(school_id="A", extra={"x": float("inf")})
    with pytest.raises(TypeError, match="primary_students: expected a number"):
        br.School(school_id="A", primary_students=[1])


def test_school_problems_are_the_validators() -> None:
    bad = br.School(school_id="A", school_type="primry", location="城镇x", primary_students=-1)
    problems = bad.problems()
    assert [p.column for p in problems] == ["school_type", "location", "primary_students"]
    assert problems[0].suggestion == "primary"
    assert br.School(school_id="A", primary_students=5).problems() == []


def test_a_loop_of_sub_sites_is_one_problem_per_loop() -> None:
    schools = [
        br.School(school_id="P", county="甲县", primary_students=100),
        br.School(school_id="A", county="甲县", counted_as_school=False, parent_school_id="B"),
        br.School(school_id="B", county="甲县", counted_as_school=False, parent_school_id="A"),
        br.School(school_id="C", county="甲县", counted_as_school=False, parent_school_id="P"),
    ]
    problems = validate(ColumnTable.from_schools(schools, check=False))
    assert [p.message for p in problems] == [
        "county '甲县': sub-sites name each other as parent: A → B → A"
    ]
    assert problems[0].text("zh") == "县 '甲县'：分校区互为所属学校：A → B → A"


def test_the_fast_csv_path_keeps_line_numbers_and_hands_bad_files_to_the_reader(
    tmp_path: Path,
) -> None:
    pytest.importorskip("pandas")
    from balance_rules.data.columns import fast_columns, read_columns

    good = tmp_path / "good.csv"
    good.write_text(
        "school_id,county,school_type,ownership,primary_students\n"
        "A,甲县,primary,,100\n"
        "B,甲县,primary,private,50\n",
        encoding="utf-8",
    )
    table = fast_columns(good)
    assert table is not None and table.rows is not None
    assert table.rows.tolist() == [2, 3] and table.file == str(good)
    # A blank ownership is the default, as a School's and the full reader's.
    assert table.text["ownership"].tolist() == ["public", "private"]
    assert [s.ownership for s in br.read_school_table(good).schools] == ["public", "private"]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "school_id,county,school_type,ownership,primary_students\n"
        "A,甲县,primary,,100\n"
        "B,甲县,primary,publik,-50\n",
        encoding="utf-8",
    )
    assert fast_columns(bad) is None
    problems = _refused(lambda: read_columns(bad))
    assert [(p.row, p.column) for p in problems] == [(3, "ownership"), (3, "primary_students")]
    assert problems[0].suggestion == "public"


def test_a_table_read_in_full_keeps_each_schools_row(tmp_path: Path) -> None:
    from balance_rules.data.columns import read_columns

    rows = [ROWS[0], ROWS[8]]
    path = _write_csv(
        tmp_path / "s.csv", [ROWS[0], ["合计", None, None, None, None, None, 200, None, 6], ROWS[8]]
    )
    read = br.read_school_table(path)
    assert read.rows == (3, 5)  # the totals row (row 4) skipped
    table = read_columns(path)
    assert table.rows is not None and table.rows.tolist() == [3, 5]
    assert table.file == str(path) and len(table) == len(rows)


def test_evaluate_with_skip_bad_rows_lists_the_validators_rows(tmp_path: Path) -> None:
    import json

    path = _write_csv(tmp_path / "schools.csv")
    out, err = io.StringIO(), io.StringIO()
    argv = ["evaluate", str(path), "--standard", "national/basic-2012", "--format", "json"]
    assert main([*argv, "--skip-bad-rows"], stdout=out, stderr=err) in (0, 1)
    skipped = json.loads(out.getvalue())["skipped_rows"]
    assert [(s["row"], s["school_id"]) for s in skipped] == [
        (4, "S2"),
        (5, "S3"),
        (6, "S1"),
        (7, "S5"),
        (8, "S6"),
        (9, "S7"),
        (10, "S8"),
    ]
    assert "primary_students is negative (-5)" in skipped[0]["problems"][0]
    # without the option: exit 2, every problem listed, no report
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, stdout=out, stderr=err) == 2
    assert out.getvalue() == "" and "学校表中有 7 个问题" in err.getvalue()


def test_a_totals_row_is_skipped_from_a_file_and_refused_from_a_frame_or_objects(
    tmp_path: Path,
) -> None:
    pd = pytest.importorskip("pandas")
    from balance_rules.data.columns import fast_columns

    path = tmp_path / "s.csv"
    path.write_text(
        "school_id,county,school_type,primary_students\nA,甲县,primary,100\n合计,甲县,,100\n",
        encoding="utf-8",
    )
    assert fast_columns(path) is None  # the full reader skips it, and says so
    read = br.read_school_table(path)
    assert [s.school_id for s in read.schools] == ["A"]
    assert [w.row for w in read.warnings if "totals row" in w.message] == [3]
    frame = pd.DataFrame(
        {
            "school_id": ["A", "合计", "B"],
            "county": ["甲县", "甲县", "全县"],
            "primary_students": [1, 2, 3],
        }
    )
    problems = _refused(lambda: ColumnTable.from_frame(frame))
    assert [(p.row, p.column) for p in problems] == [(3, "school_id"), (4, "county")]
    assert "a totals row (合计), not a school" in problems[0].message
    assert problems[1].text("zh") == "合计行（全县），不是学校：请删去"
    county = br.County(name="甲县", schools=[br.School(school_id="总计", primary_students=5)])
    with pytest.raises(br.DataError, match="a totals row"):
        br.evaluate(mini_standard(), county)


def test_the_catalogue_knows_the_validators_english() -> None:
    from balance_rules.messages import to_chinese

    schools = [_school(row) for row in ROWS[:8]]
    schools.append(br.School(school_id="合计", primary_students=1))
    schools.append(br.School(school_id="Q", counted_as_school=False, primary_students=1))
    table = ColumnTable.from_schools(schools, check=False)
    problems = [f.at(table) for f in find_problems(table)]
    assert len(problems) == 9  # the seven, the totals row, the sub-site without a parent
    for problem in problems:
        translated = to_chinese(problem.message)
        assert translated != problem.message, problem.message
        if "unknown" not in problem.message:  # the validator's own Chinese, word for word
            assert translated == problem.message_zh


def test_json_records_are_named_as_records(tmp_path: Path) -> None:
    import json

    path = tmp_path / "s.json"
    records = [
        {"school_id": "A", "school_type": "primary", "primary_students": 1},
        {"school_id": "A", "school_type": "primary", "primary_students": -1},
    ]
    path.write_text(json.dumps({"schools": records}), encoding="utf-8")
    problems = _refused(lambda: br.read_school_table(path))
    assert [p.message for p in problems] == [
        "record 2: school 'A': primary_students is negative (-1)",
        "record 2: school id 'A' repeats record 1",
    ]
    assert problems[1].text("zh") == "第 2 条记录：学校标识码 'A' 与第 1 条记录重复"


def test_a_column_table_given_to_evaluate_is_validated_too() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {"school_id": ["A", "B"], "county": ["甲县", "甲县"], "primary_students": [1, -2]}
    )
    table = ColumnTable.from_frame(frame, check=False)  # built without the check
    problems = _refused(lambda: br.evaluate(mini_standard(), table))
    assert [(p.row, p.column) for p in problems] == [(3, "primary_students")]
