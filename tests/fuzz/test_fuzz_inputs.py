"""Fuzzing: corrupted standards, tables (csv, xlsx), facts and mappings, through the
command and the library.  See harness.py for the properties checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from balance_rules import evaluate
from balance_rules.data.readers import load_mapping, read_counties, read_facts, read_school_table
from balance_rules.errors import BalanceRulesError
from balance_rules.standard.loader import load_standard

from .harness import EXAMPLES, NASTY, ROOT, corrupted_text, fuzz_settings, run_and_check, workspace

_STANDARD = (EXAMPLES / "example-county-standard.yaml").read_text(encoding="utf-8")
_FACTS = (EXAMPLES / "example-county-facts.yaml").read_text(encoding="utf-8")
_TABLE = (EXAMPLES / "example-county.csv").read_text(encoding="utf-8")
_MAPPING = (
    "columns:\n  学校名称: school_name\n  县区: county\n"
    "  食堂面积（平方米）: {field: extra.canteen_area, unit: 平方米}\n"
)


def _library(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a library reader: it returns, or raises one of the project's errors."""
    try:
        return call(*args, **kwargs)
    except BalanceRulesError:
        return None


@given(text=corrupted_text(_STANDARD), command=st.sampled_from(["validate", "show", "evaluate"]))
@fuzz_settings(6)
def test_corrupted_standard(text: str, command: str) -> None:
    with workspace() as folder:
        standard = folder / "example-county-standard.yaml"
        standard.write_text(text, encoding="utf-8")
        table, facts = folder / "example-county.csv", folder / "example-county-facts.yaml"
        argv = {
            "validate": ["validate", str(standard)],
            "show": ["show", str(standard)],
            "evaluate": [
                "evaluate",
                str(table),
                "--facts",
                str(facts),
                "--standard",
                str(standard),
                "--root",
                str(folder),
            ],
        }[command]
        run_and_check(argv, [standard, table, facts])
        loaded = _library(load_standard, standard)
        if loaded is not None:
            counties = _library(read_counties, read_school_table(table), facts)
            evaluate(loaded, counties)


@given(
    text=corrupted_text(_TABLE),
    fmt=st.sampled_from(["text", "json", "markdown", "csv", "jsonl"]),
)
@fuzz_settings(6)
def test_corrupted_csv_table(text: str, fmt: str) -> None:
    with workspace() as folder:
        table = folder / "example-county.csv"
        table.write_text(text, encoding="utf-8")
        facts = folder / "example-county-facts.yaml"
        output = folder / f"out.{fmt}"
        run_and_check(["check-data", str(table)], [table])
        run_and_check(
            [
                "evaluate",
                str(table),
                "--facts",
                str(facts),
                "--format",
                fmt,
                "--output",
                str(output),
            ],
            [table, facts],
            output,
        )
        schools = _library(read_school_table, table)
        if schools is not None:
            counties = _library(read_counties, schools, None)
            if counties is not None:
                evaluate(load_standard("national/quality-2017"), counties)


@given(text=corrupted_text(_FACTS))
@fuzz_settings(6)
def test_corrupted_facts(text: str) -> None:
    with workspace() as folder:
        facts = folder / "example-county-facts.yaml"
        facts.write_text(text, encoding="utf-8")
        table = folder / "example-county.csv"
        run_and_check(["check-data", str(table), "--facts", str(facts)], [table, facts])
        run_and_check(["evaluate", str(table), "--facts", str(facts)], [table, facts])
        _library(read_facts, facts)


_FACTS_JSON = (
    '{\n "rates": "percent",\n "counties": {\n  "示例县": {\n   "satisfaction_rate": 92.3,\n'
    '   "planning_sound": "是",\n   "teacher_salary_ratio": 1.03,\n'
    '   "rotation_rate": 12.4\n  }\n }\n}\n'
)


@given(text=corrupted_text(_FACTS_JSON))
@fuzz_settings(5)
def test_corrupted_json_facts(text: str) -> None:
    with workspace() as folder:
        facts = folder / "facts.json"
        facts.write_text(text, encoding="utf-8")
        table = folder / "example-county.csv"
        run_and_check(["check-data", str(table), "--facts", str(facts)], [table, facts])
        _library(read_facts, facts)


_CASES = (ROOT / "standards" / "national" / "quality-2017.manual.cases.yaml").read_text(
    encoding="utf-8"
)


@given(text=corrupted_text(_CASES))
@fuzz_settings(5)
def test_corrupted_case_file(text: str) -> None:
    with workspace() as folder:
        cases = folder / "mine.cases.yaml"
        cases.write_text(text, encoding="utf-8")
        run_and_check(["test", str(cases)], [cases])


@given(text=corrupted_text(_MAPPING))
@fuzz_settings(5)
def test_corrupted_mapping(text: str) -> None:
    with workspace() as folder:
        mapping = folder / "mapping.yaml"
        mapping.write_text(text, encoding="utf-8")
        table = folder / "example-county.csv"
        run_and_check(["check-data", str(table), "--mapping", str(mapping)], [table, mapping])
        _library(load_mapping, mapping)


@given(
    edits=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=40),
            st.integers(min_value=1, max_value=45),
            st.one_of(
                st.sampled_from(NASTY),
                st.integers(min_value=-(10**20), max_value=10**20),
                st.floats(allow_nan=True, allow_infinity=True),
                st.booleans(),
                st.none(),
            ),
        ),
        min_size=1,
        max_size=4,
    ),
    hide_first=st.booleans(),
)
@fuzz_settings(5)
def test_corrupted_xlsx(edits: list[tuple[int, int, Any]], hide_first: bool) -> None:
    from openpyxl import load_workbook
    from openpyxl.cell.cell import MergedCell

    with workspace() as folder:
        path = folder / "example-county.xlsx"
        workbook = load_workbook(path)
        sheet = workbook.worksheets[0]
        for row, column, value in edits:
            if isinstance(sheet.cell(row=row, column=column), MergedCell):
                continue
            if isinstance(value, str):
                value = "".join(c for c in value if c >= " " or c in "\t\n\r")  # xlsx rule
            sheet.cell(row=row, column=column, value=value)
        if hide_first:
            copy = workbook.copy_worksheet(sheet)
            copy.title = "visible"
            sheet.sheet_state = "hidden"
            workbook.active = 1
        workbook.save(path)
        run_and_check(["check-data", str(path)], [path])
        run_and_check(["evaluate", str(path), "--format", "json"], [path])
        _library(read_school_table, path)


def test_output_named_like_an_input_never_overwrites(tmp_path: Path) -> None:
    with workspace() as folder:
        table = folder / "example-county.csv"
        for output in (table, folder / "sub" / ".." / "example-county.csv"):
            (folder / "sub").mkdir(exist_ok=True)
            code = run_and_check(["evaluate", str(table), "--output", str(output)], [table])
            assert code == 2
