"""Property: the validator reports exactly the bad cells put in, each at its origin.

A generated sound table gets bad cells injected at drawn rows (a negative or
fractional count, a negative area, an infinite value, text in a number column,
unknown codes, a repeated school id); the validator must report those cells and
no others — as a DataFrame (rows: index + 2) and as School objects (the row
index of the table, the county and the school id in the message).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import balance_rules as br
from balance_rules.data.columns import ColumnTable
from balance_rules.data.validate import find_problems

pd = pytest.importorskip("pandas")

#: kind -> (column, bad value).  None: the value depends on the row.
KINDS: dict[str, tuple[str, Any]] = {
    "negative_count": ("primary_students", -3),
    "fractional": ("primary_classes", 7.5),
    "negative_area": ("site_area", -0.25),
    "infinite": ("equipment_value", float("inf")),
    "text": ("books", "12x"),
    "unknown_type": ("school_type", "primry"),
    "unknown_ownership": ("ownership", "pubic"),
    "unknown_location": ("location", "citi"),
    "repeat": ("school_id", None),
}
OBJECT_KINDS = [k for k in KINDS if k not in ("infinite", "text")]  # School refuses those itself


@st.composite
def tables(draw: st.DrawFn, kinds: list[str]) -> tuple[list[dict[str, Any]], set[tuple[int, str]]]:
    n = draw(st.integers(min_value=2, max_value=12))
    rows = []
    for i in range(n):
        rows.append(
            {
                "school_id": f"S{i}",
                "county": draw(st.sampled_from(["甲县", "乙县"])),
                "school_type": "primary",
                "ownership": "public",
                "location": draw(st.sampled_from(["urban", "town", "rural", None])),
                "primary_students": draw(st.integers(min_value=0, max_value=3000)),
                "primary_classes": draw(st.integers(min_value=0, max_value=60)),
                "site_area": draw(st.integers(min_value=0, max_value=10**6)) / 100,
                "equipment_value": draw(st.integers(min_value=0, max_value=10**7)),
                "books": draw(st.one_of(st.none(), st.integers(min_value=0, max_value=10**5))),
            }
        )
    injected: set[tuple[int, str]] = set()
    for row, kind in draw(
        st.lists(st.tuples(st.integers(min_value=1, max_value=n - 1), st.sampled_from(kinds)))
    ):
        column, value = KINDS[kind]
        if kind == "repeat":
            rows[row]["school_id"], rows[row]["county"] = rows[0]["school_id"], rows[0]["county"]
        else:
            rows[row][column] = value
        injected.add((row, column))
    return rows, injected


SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@given(data=tables(list(KINDS)))
@SETTINGS
def test_a_frame_reports_exactly_the_injected_cells(
    data: tuple[list[dict[str, Any]], set[tuple[int, str]]],
) -> None:
    rows, injected = data
    frame = pd.DataFrame(rows)
    if any(isinstance(r["books"], str) for r in rows):
        frame["books"] = frame["books"].astype(object)
    try:
        ColumnTable.from_frame(frame, "t.csv")
        problems: list[br.Problem] = []
    except br.DataError as exc:
        problems = list(exc.problems)
    located = [(p.row, p.column) for p in problems]
    assert len(located) == len(set(located))  # each cell once
    assert set(located) == {(row + 2, column) for row, column in injected}
    assert all(p.file == "t.csv" for p in problems)


@given(data=tables(OBJECT_KINDS))
@SETTINGS
def test_school_objects_report_exactly_the_injected_cells(
    data: tuple[list[dict[str, Any]], set[tuple[int, str]]],
) -> None:
    rows, injected = data
    schools = [br.School(**{k: v for k, v in row.items() if v is not None}) for row in rows]
    table = ColumnTable.from_schools(schools, check=False)
    found = find_problems(table)
    assert sorted((f.index, f.column) for f in found) == sorted(injected)
    for flagged in found:
        problem = flagged.at(table)
        row = rows[flagged.index]
        assert problem.message.startswith(f"county {row['county']!r}: ")
        assert repr(row["school_id"]) in problem.message and problem.row is None
    if injected:
        with pytest.raises(br.DataError) as caught:
            ColumnTable.from_schools(schools)
        assert len(caught.value.problems) == len(injected)
    else:
        ColumnTable.from_schools(schools)


@given(data=tables(list(KINDS)))
@settings(
    max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
def test_a_file_with_a_title_row_reports_exactly_the_injected_cells_at_their_rows(
    tmp_path_factory: pytest.TempPathFactory,
    data: tuple[list[dict[str, Any]], set[tuple[int, str]]],
) -> None:
    rows, injected = data
    columns = list(rows[0])
    lines = [
        "学校基本情况表",
        ",".join(columns),
    ]  # the header is row 2: a school's row is index + 3
    lines += [",".join("" if r[c] is None else str(r[c]) for c in columns) for r in rows]
    path = tmp_path_factory.mktemp("v") / "schools.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        br.read_school_table(path)
        problems: list[br.Problem] = []
    except br.DataError as exc:
        problems = list(exc.problems)
    located = [(p.row, p.column) for p in problems]
    assert len(located) == len(set(located))
    assert set(located) == {(row + 3, column) for row, column in injected}
