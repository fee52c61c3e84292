"""Property: shuffled columns, blank rows, title and notes rows never change what is read."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import balance_rules as br

HEADER = ["学校(机构)标识码", "学校名称", "区县名称", "学校类型", "办学性质", "城乡分类",
          "小学在校生数", "初中在校生数", "教学仪器设备资产值（万元）", "图书（万册）"]  # fmt: skip

school_rows = st.lists(
    st.tuples(
        st.sampled_from(["小学", "初级中学", "九年一贯制学校"]),
        st.sampled_from(["公办", "民办"]),
        st.sampled_from(["111", "主城区", "镇中心区", "220", "村庄"]),
        st.integers(1, 3000),
        st.integers(1, 3000),
        st.decimals(0, 5000, places=2),
        st.decimals(0, 20, places=1),
        st.sampled_from(["130102 长安区", "130104 桥西区"]),
    ),
    min_size=1,
    max_size=6,
)


def _rows(data: list[tuple[Any, ...]]) -> list[list[str]]:
    rows = []
    for i, (kind, owner, place, p, j, money, books, county) in enumerate(data):
        primary = str(p) if kind != "初级中学" else ""
        junior = str(j) if kind != "小学" else ""
        rows.append(
            [
                f"21300{i:05d}",
                f"学校{i}",
                county,
                kind,
                owner,
                place,
                primary,
                junior,
                str(money),
                str(books),
            ]
        )
    return rows


def _write(path: Path, grid: list[list[str]]) -> None:
    text = "\n".join(",".join(row) for row in grid) + "\n"
    path.write_bytes(text.encode("gbk"))


def _write_xlsx(path: Path, grid: list[list[str]], merged_title: bool) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in grid:
        sheet.append([_cell(text) for text in row])
    if merged_title:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(grid[0]))
    book.save(path)


def _cell(text: str) -> Any:
    """Numbers as numbers (as a spreadsheet holds them); ids and codes stay text."""
    if text.isdigit() and len(text) < 6:
        return int(text)
    try:
        return float(text) if "." in text else text
    except ValueError:
        return text


def _read(path: Path) -> list[br.School]:
    return sorted(br.read_school_table(path).schools, key=lambda s: s.school_id)


def _essence(schools: list[br.School]) -> list[dict[str, Any]]:
    return [attrs.asdict(s) for s in schools]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=school_rows,
    order=st.permutations(range(len(HEADER))),
    titles=st.integers(0, 2),
    blanks=st.lists(st.integers(0, 10), max_size=3),
    notes=st.lists(
        st.sampled_from(["注：数据截至9月", "填表人：张三", "说明：单位负责人签字"]), max_size=2
    ),
    totals=st.sampled_from(["none", "top", "bottom"]),
)
def test_layout_never_changes_what_is_read(
    data: list[tuple[Any, ...]],
    order: list[int],
    titles: int,
    blanks: list[int],
    notes: list[str],
    totals: str,
) -> None:
    rows = _rows(data)
    with tempfile.TemporaryDirectory() as folder:
        plain = Path(folder) / "plain.csv"
        _write(plain, [HEADER, *rows])
        expected = _read(plain)
        width = len(HEADER)
        shuffled = [[row[i] for i in order] for row in [HEADER, *rows]]
        body = shuffled[1:]
        for position in blanks:
            body.insert(min(position, len(body)), [""] * width)
        total = [""] * width
        total[order.index(1)] = "合计"
        if totals == "top":
            body.insert(0, total)
        elif totals == "bottom":
            body.append(total)
        grid = [["2023年学校基本情况"] + [""] * (width - 1)] * titles
        grid += [shuffled[0], *body]
        grid += [[note] + [""] * (width - 1) for note in notes]
        messy = Path(folder) / "messy.csv"
        _write(messy, grid)
        got = _read(messy)
        workbook = Path(folder) / "messy.xlsx"
        _write_xlsx(workbook, grid, merged_title=titles > 0)
        from_workbook = _read(workbook)
    assert _essence(got) == _essence(expected)
    assert _essence(from_workbook) == _essence(expected)
    # and by hand for the first school: 万元 and 万册 applied, codes read
    first = expected[0]
    kind, owner, place, p, _j, money, books, county = data[0]
    assert first.equipment_value == money * 10000 and first.books == books * 10000
    assert first.ownership == ("private" if owner == "民办" else "public")
    assert first.location == {"111": "urban", "主城区": "urban", "镇中心区": "town"}.get(
        place, "rural"
    )
    assert first.county == county
    if kind != "初级中学":
        assert first.primary_students == Decimal(p)
