"""The canonical CSV read through pyarrow's parser gives the same columns as pandas'."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from balance_rules.data import columns
from balance_rules.errors import DataError

CSV = (
    "county,school_id,school_name,school_type,parent_school_id,counted_as_school,"
    "primary_students,junior_students,primary_teachers_above_degree,teaching_aux_area,"
    "equipment_value,books\n"
    "甲县,0210000001,第一小学,primary,,1,500,,21,2250.5,1000000.10,12000\n"
    "甲县,0210000002,分校,primary,0210000001,0,120,,5,300.25,,\n"
    "甲县,0310000003,九年一贯制,nine_year,,1,300,200,13,3000,2500000,9000\n"
    "乙县,0210000004,\"村小, 东\",primary,,1,30,,1e1,4.5e1,7.25,\n"
)


def _read(path: Path, monkeypatch: pytest.MonkeyPatch, arrow: bool) -> columns.ColumnTable:
    if not arrow:
        monkeypatch.setattr(columns, "_read_csv_arrow", lambda *_: None)
    table = columns._read_csv_fast(path)  # the fast path itself, not the full reader
    monkeypatch.undo()
    assert table is not None
    return table


def test_arrow_and_pandas_read_the_same_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "schools.csv"
    path.write_bytes(b"\xef\xbb\xbf" + CSV.encode("utf-8"))  # with a byte-order mark
    header = CSV.splitlines()[0].split(",")
    assert columns._read_csv_arrow(path, header) is not None  # pyarrow is in the test extra
    fast = _read(path, monkeypatch, arrow=True)
    plain = _read(path, monkeypatch, arrow=False)
    assert fast.text.keys() == plain.text.keys() and fast.numbers.keys() == plain.numbers.keys()
    for name in fast.text:
        assert fast.text[name].tolist() == plain.text[name].tolist(), name
    for name in fast.numbers:
        assert np.array_equal(fast.numbers[name], plain.numbers[name], equal_nan=True), name
    assert fast.counted.tolist() == plain.counted.tolist() == [True, False, True, True]
    assert fast.text["school_id"].tolist()[0] == "0210000001"  # ids stay text
    assert fast.text["school_name"].tolist()[3] == "村小, 东"
    assert fast.numbers["equipment_value"][0] == 1000000.10
    assert np.isnan(fast.numbers["books"][1])  # blank is missing, never zero


def test_text_in_a_number_column_is_left_to_the_full_reader(tmp_path: Path) -> None:
    path = tmp_path / "schools.csv"
    path.write_text(CSV.replace(",500,", ",五百,"), encoding="utf-8")
    header = CSV.splitlines()[0].split(",")
    assert columns._read_csv_arrow(path, header) is None
    with pytest.raises(DataError, match="五百"):  # the full reader names the cell
        columns.read_columns(path)
