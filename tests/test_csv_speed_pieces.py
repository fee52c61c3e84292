"""The findings CSV's cheaper output stage: coded county columns, pieces, value texts.

County rows are explained as coded columns (each distinct cell once, and an index
per row) and rows that are the same but for their county share an identity; a
chunk's values are made into text once per distinct value; combinations of
text codes are numbered through a table of the key space.  Expectations are
worked out by hand, or compared with the plain per-row paths (``record`` row by
row, :func:`_number_text`) and with the row-by-row writer, byte for byte.
"""

from __future__ import annotations

import math
from decimal import Decimal as D
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import balance_rules as br
from balance_rules.engine.columnar import ColumnarResult
from balance_rules.engine.kernels import KERNELS
from balance_rules.engine.kernels.base import record_columns
from balance_rules.records import ROW_KEYS, Coded, coded, county_columns, county_columns_coded
from balance_rules.render.csv import render_csv
from balance_rules.testing.strategies import counties

from .nation_support import county_items, evaluate_counties, unique_ids

pa = pytest.importorskip("pyarrow")
csv_columns = pytest.importorskip("balance_rules.render.csv_columns")

PLANS = {
    i: br.compile_standard(br.load_standard(i))
    for i in ("national/quality-2017", "national/basic-2012", "hebei/quality-2017")
}
SETTINGS = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _evaluate(plan_id: str, county_list: list[br.County]) -> ColumnarResult:
    return evaluate_counties(PLANS[plan_id], county_list)


@st.composite
def _nation(draw: st.DrawFn, plan_id: str) -> list[br.County]:
    standard = PLANS[plan_id].standard
    names = ("甲县", "乙县", "丙县", "丁县")
    return [
        unique_ids(n, draw(counties(name=name, standard=standard, sub_sites=True, max_schools=5)))
        for n, name in enumerate(names)
    ]


# -- coded columns -----------------------------------------------------------------


def test_coded_gives_each_value_one_cell() -> None:
    column = coded(["b", "a", "b", "b", None])
    assert list(column.cells) == ["b", "a", None]
    assert column.index.tolist() == [0, 1, 0, 0, 2]
    assert list(column) == ["b", "a", "b", "b", None]
    assert len(column) == 5 and column[1] == "a" and column[4] is None
    shown = coded([("x", "y"), (), ("x", "y")], ";".join)
    assert list(shown.cells) == ["x;y", ""]
    assert list(shown) == ["x;y", "", "x;y"]


def test_a_coded_column_reads_as_its_rows() -> None:
    column = Coded(["p", "q", "p"], np.array([2, 1, 1, 0]))  # a cell may be given twice
    assert list(column) == ["p", "q", "q", "p"]
    assert [column[i] for i in range(len(column))] == ["p", "q", "q", "p"]


def test_rows_of_one_identity_are_equal_and_shared_facts_share_one() -> None:
    """Four counties none of which gives any fact: each fact rule's rows are one identity."""
    school = br.School(school_id="S1", school_name="一小", county="甲县", primary_students=D(300))
    county_list = [
        br.County(name=name, schools=(attrs.evolve(school, school_id=f"S{n}", county=name),))
        for n, name in enumerate(("甲县", "乙县", "丙县", "丁县"))
    ]
    result = _evaluate("national/quality-2017", county_list)
    items, codes = county_items(result)
    found = county_columns_coded(result, items, codes)
    identity = found.identity.tolist()
    facts = [i for i, item in enumerate(items) if item.kind == "county_fact"]
    others = [i for i, item in enumerate(items) if item.kind != "county_fact"]
    rules = {items[i].rule for i in facts}
    # Every county lacks every fact: one identity per fact rule, shared by the 4
    # counties, but for certified_teachers, derived from each county's schools.
    derived = [i for i in facts if items[i].rule == "certified_teachers"]
    assert len(derived) == 4 and len({identity[i] for i in derived}) == 4
    assert len({identity[i] for i in facts}) == len(rules) - 1 + 4
    assert len(facts) == 4 * len(rules)
    # A CV or composite row is its own (its value is the county's).
    assert len({identity[i] for i in others}) == len(others)
    assert sorted(set(identity)) == list(range(len(found.first)))
    for n, row in enumerate(found.first.tolist()):  # each identity's first row
        assert identity[row] == n and row == identity.index(n)


@SETTINGS
@given(data=st.data(), plan_id=st.sampled_from(sorted(PLANS)))
def test_coded_county_columns_are_the_records_rows(data: st.DataObject, plan_id: str) -> None:
    result = _evaluate(plan_id, data.draw(_nation(plan_id)))
    items, codes = county_items(result)
    found = county_columns_coded(result, items, codes)
    plain = county_columns(result, items, codes)
    identity = found.identity
    for i, (item, code) in enumerate(zip(items, codes, strict=True)):
        kernel = KERNELS[item.kind]
        row = record_columns(kernel.record, result.compiled[item.rule], result, [item], [code])
        expected = {key: column[0] for key, column in row.items()}
        assert {key: found.columns[key][i] for key in ROW_KEYS} == expected
        assert {key: plain[key][i] for key in ROW_KEYS} == expected
        twin = int(found.first[identity[i]])  # the first row of its identity: the same
        assert {key: found.columns[key][twin] for key in ROW_KEYS} == expected


# -- numbering combinations, distinct thresholds ------------------------------------


@pytest.mark.parametrize("space", [6, 10**9])  # a table of the key space; a sort
def test_factorize_hand_computed(space: int) -> None:
    distinct, place = csv_columns._factorize(np.array([5, 3, 5, 0], dtype=np.int64), space)
    assert distinct.tolist() == [0, 3, 5]
    assert place.tolist() == [2, 1, 2, 0]


def test_distinct_floats_hand_computed() -> None:
    values, place = csv_columns._distinct_floats(np.array([2.0, math.nan, 1.0, 2.0]))
    assert values[:2] == [2.0, 1.0] and math.isnan(values[2])  # NaN: the last place
    assert place.tolist() == [0, 2, 1, 0]
    values, place = csv_columns._distinct_floats(np.array([4.2, 4.2, 4.2]))
    assert values == [4.2] and place.tolist() == [0, 0, 0]


# -- value texts -------------------------------------------------------------------

_NUMBERS = st.one_of(
    st.floats(allow_infinity=False),  # NaN too: an empty cell
    st.sampled_from([0.0, -0.0, 1.0, 45.0, 1e-05, 0.0001, 1e10, 9999999999.5, 2.5e10, 0.1]),
)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(_NUMBERS, max_size=30), data=st.data())
def test_value_pieces_give_the_value_texts(values: list[float], data: st.DataObject) -> None:
    array = np.array(values, dtype=float)
    given = data.draw(st.sets(st.integers(0, max(0, len(values) - 1)))) if values else set()
    text = {i: f"t{i}" for i in given}
    strings, place = csv_columns._number_pieces(array, text)
    expected = csv_columns._number_text(array, text).to_pylist()
    assert strings.take(pa.array(place)).to_pylist() == expected


def test_value_pieces_hand_computed() -> None:
    values = np.array([0.5, 3.0, 0.5, math.nan, -0.0, 1e-05, 3.0])
    strings, place = csv_columns._number_pieces(values, {3: "True"})
    cells = strings.take(pa.array(place)).to_pylist()
    # -0.0 is out of pyarrow's band: the row writer's number() of it, 0.
    assert cells == ["0.5", "3", "0.5", "True", "0", "1e-05", "3"]
    texts = strings.to_pylist()
    assert texts.count("0.5") == texts.count("3") == 1  # each distinct value made once
    assert texts[-4:] == ["", "True", "0", "1e-05"]  # the empty text, then by position


# -- the whole file ----------------------------------------------------------------


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), plan_id=st.sampled_from(sorted(PLANS)))
def test_any_chunking_gives_the_row_writers_file(data: st.DataObject, plan_id: str) -> None:
    """Chunks cut anywhere, county rows batched anyhow: the row-by-row writer's bytes."""
    county_list = data.draw(_nation(plan_id))
    result = _evaluate(plan_id, county_list)
    expected = render_csv(result, rows=True)
    chunk = data.draw(st.integers(1, 200))
    batch = data.draw(st.integers(1, 200))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csv_columns, "CHUNK_ROWS", chunk)
        patch.setattr(csv_columns, "COUNTY_BATCH", batch)
        patch.setattr(csv_columns, "_threads", lambda: 1)  # (batches: with a worker thread)
        assert render_csv(result, rows=False) == expected
        patch.setattr(csv_columns, "_threads", lambda: 0)  # (one batch: on this thread)
        assert render_csv(result, rows=False) == expected


def test_explained_rows_after_other_counties_county_rows() -> None:
    """A row not evaluated in the second county of a chunk lands after the first's CVs."""
    school = br.School(
        school_id="S1",
        school_name="一小",
        county="乙县",
        school_type="primary",
        primary_students=D(400),
        primary_teachers_above_degree=D(20),
    )
    first = br.County(name="乙县", schools=(school, attrs.evolve(school, school_id="S2")))
    lacking = attrs.evolve(school, school_id="S4", primary_teachers_above_degree=None)
    second = br.County(  # 甲 (U+7532) comes after 乙 (U+4E59)
        name="甲县",
        schools=(
            attrs.evolve(school, school_id="S3", county="甲县"),
            attrs.evolve(lacking, county="甲县"),
        ),
    )
    result = _evaluate("national/quality-2017", [first, second])
    assert result.county_names == ["乙县", "甲县"]
    fast = render_csv(result, rows=False)
    assert fast == render_csv(result, rows=True)
    lines = fast.splitlines()
    missing = [n for n, line in enumerate(lines) if line.startswith("甲县,S4,一小,primary,above")]
    county_rows = [n for n, line in enumerate(lines) if line.startswith("乙县,,,")]
    assert len(missing) == 1 and county_rows and missing[0] > max(county_rows)
    cells = lines[missing[0]].split(",")
    assert cells[6:10] == ["", ">=", "4.2", "not_evaluated"]  # no value; the threshold
    assert cells[-2:] == ["primary_teachers_above_degree", ""]  # the missing column


def test_findings_grouped_by_rule_hand_computed() -> None:
    from balance_rules.records import _by_rule

    # Every county the same rules in the same order: each rule's places per county.
    found = _by_rule(["a", "b", "b", "a", "b", "b"], [0, 0, 0, 1, 1, 1])
    assert [(r, at.tolist(), every) for r, at, every in found] == [
        ("a", [0, 3], slice(0, None, 3)),
        ("b", [1, 2, 4, 5], None),
    ]
    # Counties with different rules: grouped in order of first appearance.
    found = _by_rule(["a", "b", "a", "c"], [0, 0, 1, 2])
    assert [(r, at.tolist(), every) for r, at, every in found] == [
        ("a", [0, 2], None),
        ("b", [1], None),
        ("c", [3], None),
    ]


# -- worker threads ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("cores", "load", "threads"),
    [
        (2, 0.1, 1),  # quiet: a worker, this thread on the other core
        (2, 1.3, 1),  # 0.7 of a core idle
        (2, 1.6, 0),  # less than half a core idle: all on the calling thread
        (2, 3.0, 0),
        (8, 0.0, 2),  # at most two
        (8, 7.0, 1),
        (1, 0.0, 0),  # one core: nothing to share it with
    ],
)
def test_worker_threads_follow_the_idle_cores(
    monkeypatch: pytest.MonkeyPatch, cores: int, load: float, threads: int
) -> None:
    monkeypatch.setattr(csv_columns.os, "cpu_count", lambda: cores)
    monkeypatch.setattr(csv_columns.os, "getloadavg", lambda: (load, load, load))
    assert csv_columns._threads() == threads


def test_worker_threads_without_a_load_average(monkeypatch: pytest.MonkeyPatch) -> None:
    def unknown() -> tuple[float, float, float]:
        raise OSError("no load average here")

    monkeypatch.setattr(csv_columns.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(csv_columns.os, "getloadavg", unknown)
    assert csv_columns._threads() == 2  # as if idle


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_on_the_calling_thread_and_on_workers_the_same_file(data: st.DataObject) -> None:
    result = _evaluate("national/quality-2017", data.draw(_nation("national/quality-2017")))
    expected = render_csv(result, rows=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csv_columns, "CHUNK_ROWS", 40)
        for threads in (0, 1, 2):
            patch.setattr(csv_columns, "_threads", lambda threads=threads: threads)
            assert render_csv(result, rows=False) == expected, threads


@pytest.mark.parametrize("threads", [0, 1], ids=["calling thread", "worker thread"])
def test_a_failing_chunk_is_raised_not_lost(monkeypatch: pytest.MonkeyPatch, threads: int) -> None:
    school = br.School(school_id="S1", school_name="一小", county="甲县", primary_students=D(100))
    county_list = [
        br.County(name=name, schools=(attrs.evolve(school, school_id=f"S{n}", county=name),))
        for n, name in enumerate(("甲县", "乙县", "丙县"))
    ]
    result = _evaluate("national/quality-2017", county_list)
    monkeypatch.setattr(csv_columns, "CHUNK_ROWS", 1)  # a chunk a county: more than one
    monkeypatch.setattr(csv_columns, "_threads", lambda: threads)

    def broken(self: Any) -> Any:
        raise RuntimeError("chunk failed")

    monkeypatch.setattr(csv_columns._Job, "text", broken)
    with pytest.raises(RuntimeError, match="chunk failed"):
        render_csv(result, rows=False)


# -- text cells that start a formula or need quotes -----------------------------------


def test_first_bytes_and_structural_bytes_hand_computed() -> None:
    values = ["=1", "县=", None, "", "-x", "a,b", 'q"', "行\n", "甲乙", "@"]
    array = pa.array(values, type=pa.string())
    starts = csv_columns._first_byte_in(array, ("=", "-", "@"))
    assert starts.tolist() == [True, False, False, False, True, False, False, False, False, True]
    holds = csv_columns._holds_byte_of(array, (",", '"', "\n"))
    assert holds.tolist() == [False, False, False, False, False, True, True, True, False, False]
    # A slice of an array (its offsets do not begin at 0).
    part = array.slice(4, 4)  # "-x", "a,b", 'q"', "行\n"
    assert csv_columns._first_byte_in(part, ("-",)).tolist() == [True, False, False, False]
    assert csv_columns._holds_byte_of(part, (",",)).tolist() == [False, True, False, False]
    empty = pa.array([], type=pa.string())
    assert csv_columns._holds_byte_of(empty, (",",)).tolist() == []
    assert csv_columns._first_byte_in(empty, (",",)).tolist() == []
