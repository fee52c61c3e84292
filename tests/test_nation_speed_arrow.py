"""The canonical CSV read straight from Arrow into columns (no DataFrame, no pandas).

The fast path used to make a DataFrame of pyarrow's table and clean it with
``ColumnTable.from_frame``; it now reads the Arrow buffers itself.  These tests
hold the new path to the old one cell for cell (blank cells, whitespace, codes
and aliases, several chunks, sliced arrays), and check by hand a few cells.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from balance_rules.data import columns
from balance_rules.data.columns import ColumnTable
from balance_rules.data.fields import TEXT_FIELDS

pa = pytest.importorskip("pyarrow")
pcsv = pytest.importorskip("pyarrow.csv")
pytest.importorskip("pandas")

HEADER = [
    "county",
    "school_id",
    "school_name",
    "school_type",
    "ownership",
    "location",
    "parent_school_id",
    "counted_as_school",
    "primary_students",
    "junior_students",
    "teaching_aux_area",
    "books",
]
_IDS = ["0210000001", " A1 ", "\u3000B2\u3000", "", " ", "合计", "X\t"]
_NAMES = ["第一小学", "", "  ", "村小, 东", " 中学 ", 'a "b"']
_TYPES = ["primary", "小学", "Primary", " nine_year ", "", "九年一贯制", "junior", "teaching point"]
_OWNERS = ["public", "民办", "", " Private ", "公办"]
_LOCATIONS = ["urban", "", "乡村", "镇区 ", "Rural"]
_COUNTED = ["1", "0", "", "0.0", "2"]
_NUMBERS = ["", "1", "2.5", "1e3", "-3", "0", "1000000.10", "0.1"]
_COUNTIES = ["甲县", "乙县", " 丙县 ", ""]
_CELLS = {
    "county": _COUNTIES,
    "school_id": _IDS,
    "school_name": _NAMES,
    "school_type": _TYPES,
    "ownership": _OWNERS,
    "location": _LOCATIONS,
    "parent_school_id": _IDS,
    "counted_as_school": _COUNTED,
}


def _arrow(text: str, block_size: int | None = None, *, coded: bool = True) -> object:
    """pyarrow's table of a CSV, read as the fast path reads it (*coded*: the coded
    text columns dictionary-encoded as parsed), or as it read it before (all text
    columns plain strings)."""
    types = (
        columns._arrow_types(HEADER)
        if coded
        else {n: pa.string() if n in TEXT_FIELDS else pa.float64() for n in HEADER}
    )
    options = pcsv.ReadOptions(encoding="utf8")
    if block_size is not None:
        options = pcsv.ReadOptions(encoding="utf8", block_size=block_size)
    return pcsv.read_csv(
        io.BytesIO(text.encode("utf-8")),
        read_options=options,
        convert_options=pcsv.ConvertOptions(
            column_types=types, null_values=[""], strings_can_be_null=True
        ),
    )


def _csv(rows: list[list[str]], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _assert_same(new: ColumnTable, old: ColumnTable) -> None:
    assert new.text.keys() == old.text.keys()
    for name in new.text:
        assert new.text[name].dtype == object, name
        got, want = new.text[name].tolist(), old.text[name].tolist()
        assert got == want, name
        assert [type(v) for v in got] == [type(v) for v in want], name
    assert new.numbers.keys() == old.numbers.keys()
    for name in new.numbers:
        assert new.numbers[name].dtype == np.float64, name
        assert np.array_equal(new.numbers[name], old.numbers[name], equal_nan=True), name
        assert new.numbers[name].flags.writeable, name
    assert new.counted.tolist() == old.counted.tolist()
    assert new.rows is not None and old.rows is not None
    assert new.rows.tolist() == old.rows.tolist()
    assert new.extras == old.extras == {}
    assert new.file == old.file and new.schools is None


def _old(table: object, file: str) -> ColumnTable:
    """The path before: a DataFrame of the Arrow table, cleaned by from_frame."""
    frame = table.to_pandas(self_destruct=False, split_blocks=True)  # type: ignore[attr-defined]
    return ColumnTable.from_frame(frame, file, check=False)


_ROW = st.tuples(
    *(st.sampled_from(_CELLS[name]) for name in HEADER[:8]),
    *(st.sampled_from(_NUMBERS) for _ in HEADER[8:]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_ROW, min_size=1, max_size=40), start=st.integers(0, 5))
def test_arrow_columns_are_the_dataframe_columns(rows: list[tuple[str, ...]], start: int) -> None:
    text = _csv([list(r) for r in rows])
    k = min(start, len(rows) - 1)
    # Small blocks: several chunks per column; a slice: arrays with an offset.
    for size in (None, 256):
        before = _arrow(text, size, coded=False)
        for table in (_arrow(text, size), before):
            _assert_same(columns._from_arrow(table, "f.csv"), _old(before, "f.csv"))
            part = table.slice(k)  # type: ignore[attr-defined]
            old = _old(before.slice(k), "f.csv")  # type: ignore[attr-defined]
            _assert_same(columns._from_arrow(part, "f.csv"), old)


def test_missing_columns_get_their_defaults_as_from_a_dataframe() -> None:
    header = ["school_id", "primary_students"]
    table = pcsv.read_csv(
        io.BytesIO(_csv([["A", "10"], ["B", ""]], header).encode()),
        convert_options=pcsv.ConvertOptions(
            column_types={"school_id": pa.string(), "primary_students": pa.float64()},
            null_values=[""],
            strings_can_be_null=True,
        ),
    )
    new = columns._from_arrow(table, "f.csv")
    _assert_same(new, _old(table, "f.csv"))
    # By hand: no type column reads primary, no ownership public, counted by default.
    assert new.text["school_type"].tolist() == ["primary", "primary"]
    assert new.text["ownership"].tolist() == ["public", "public"]
    assert new.text["authority"].tolist() == ["county", "county"]
    assert new.text["location"].tolist() == [None, None]
    assert new.counted.tolist() == [True, True]
    assert new.numbers["primary_students"][0] == 10.0
    assert np.isnan(new.numbers["primary_students"][1])
    assert np.isnan(new.numbers["junior_students"]).all()


def test_cells_read_by_hand(tmp_path: Path) -> None:
    rows = [
        ["甲县", " A1 ", "  ", "小学", "民办", "乡村", "", "1", "500", "", "2250.5", ""],
        ["甲县", "S1", "分校", "primary", "", "", "A1", "0", "120", "", "300.25", "7"],
        [" 乙县 ", "B1", " 中学 ", " nine_year ", "公办", "", "", "", "30", "20", "", "1e3"],
    ]
    path = tmp_path / "schools.csv"
    path.write_text(_csv(rows), encoding="utf-8")
    table = columns._read_csv_arrow(path, HEADER)
    assert table is not None
    assert table.text["school_id"].tolist() == ["A1", "S1", "B1"]
    assert table.text["school_name"].tolist() == [None, "分校", "中学"]
    assert table.text["school_type"].tolist() == ["primary", "primary", "nine_year"]
    assert table.text["ownership"].tolist() == ["private", "public", "public"]
    assert table.text["location"].tolist() == ["rural", None, None]
    assert table.text["county"].tolist() == ["甲县", "甲县", "乙县"]
    assert table.text["parent_school_id"].tolist() == [None, "A1", None]
    assert table.counted.tolist() == [True, False, True]
    assert table.numbers["teaching_aux_area"][:2].tolist() == [2250.5, 300.25]
    assert table.numbers["books"][1:].tolist() == [7.0, 1000.0]
    assert np.isnan(table.numbers["books"][0]) and np.isnan(table.numbers["junior_students"][0])
    assert table.rows is not None and table.rows.tolist() == [2, 3, 4]
    assert table.file == str(path)


def test_the_fast_path_does_not_import_pandas(tmp_path: Path) -> None:
    """pandas costs a quarter of a second to import, pyarrow.compute (every compute
    function wrapped) ~0.07 s: the Arrow path needs neither."""
    path = tmp_path / "schools.csv"
    rows = [["甲县", "A1", "一小", "primary", "", "", "", "1", "500", "", "2250.5", "9"]]
    path.write_text(_csv(rows), encoding="utf-8")
    code = (
        "import sys; from balance_rules.data.columns import read_columns;"
        f"t = read_columns({str(path)!r}); assert t.text['school_id'].tolist() == ['A1'];"
        "print('pandas' in sys.modules, 'pyarrow.compute' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False False"


def test_small_integers_of_the_exact_step_are_int64_and_large_ones_python_integers() -> None:
    from balance_rules.engine.exact import _exact_product, _small_ints

    small = _small_ints([9, 2, 10**12])
    assert small.dtype == np.int64 and small.tolist() == [9, 2, 10**12]
    large = _small_ints([9, 2**62])
    assert large.dtype == object and large.tolist() == [9, 2**62]
    # Products of int64 factors that would overflow are made in Python integers.
    product = _exact_product(_small_ints([3 * 10**12]), _small_ints([5 * 10**12]))
    assert product.tolist() == [15 * 10**24]
