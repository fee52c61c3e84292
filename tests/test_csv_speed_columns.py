"""The findings CSV's fast path: kernel columns, number cells, chunks and threads.

County rows (CVs, composites, facts) are explained many at a time by their
kernel's optional ``columns``; a kind without it is explained by ``record`` row
by row.  Both must give the same rows.  The whole file written through the
command must parse to the row-by-row writer's cells, for every bundled standard,
whatever the chunk size and the number of threads.
"""

from __future__ import annotations

import csv
import io
import math
from decimal import Decimal
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import balance_rules as br
from balance_rules.cli import main
from balance_rules.engine.columnar import ColumnarResult
from balance_rules.engine.kernels import KERNELS
from balance_rules.engine.kernels.base import record_columns
from balance_rules.records import ROW_KEYS, county_columns
from balance_rules.render import csv as csv_render
from balance_rules.render.csv import SCHOOL_COLUMNS, neutralise, render_csv
from balance_rules.standard.loader import bundled_ids
from balance_rules.testing.strategies import counties

from .nation_support import cell_text, county_items, evaluate_counties, unique_ids

pa = pytest.importorskip("pyarrow")
csv_columns = pytest.importorskip("balance_rules.render.csv_columns")

STANDARD_IDS = [i for i in bundled_ids() if not i.startswith("monitoring/")]
STANDARDS = {i: br.load_standard(i) for i in STANDARD_IDS}
PLANS = {i: br.compile_standard(s) for i, s in STANDARDS.items()}
FIELDS = [a.name for a in attrs.fields(br.School) if a.name != "extra"]
SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _evaluate(standard_id: str, county_list: list[br.County]) -> ColumnarResult:
    return evaluate_counties(PLANS[standard_id], county_list)


@st.composite
def _facts(draw: st.DrawFn, facts: dict[str, Any]) -> dict[str, Any]:
    """The county's facts, each kept, dropped, or given under a misspelt name."""
    out: dict[str, Any] = {}
    for name, value in facts.items():
        fate = draw(st.sampled_from(("kept", "kept", "dropped", "typo")))
        if fate == "kept":
            out[name] = value
        elif fate == "typo":
            out[name + "_x"] = value  # a name no rule reads: the fact is missing
    return out


@st.composite
def _nation(draw: st.DrawFn, standard_id: str) -> list[br.County]:
    standard = STANDARDS[standard_id]
    found = []
    for n, name in enumerate(("甲县", "乙县", "丙县")):
        county = draw(counties(name=name, standard=standard, sub_sites=True, max_schools=6))
        county = attrs.evolve(county, facts=draw(_facts(dict(county.facts))))
        found.append(unique_ids(n, county))
    return found


def _parsed(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# -- kernel columns against record, row for row -----------------------------------


def test_the_bundled_standards_exercise_every_county_kind_with_columns() -> None:
    kinds = {rule.kind for s in STANDARDS.values() for rule in s.rules.values()}
    assert {"coefficients", "composite", "county_fact"} <= kinds
    for kind in ("coefficients", "composite", "county_fact"):
        assert KERNELS[kind].columns is not None
    assert "composite" in {r.kind for r in STANDARDS["national/basic-2012"].rules.values()}


@SETTINGS
@given(data=st.data(), standard_id=st.sampled_from(STANDARD_IDS))
def test_kernel_columns_equal_the_records_row_for_row(
    data: st.DataObject, standard_id: str
) -> None:
    result = _evaluate(standard_id, data.draw(_nation(standard_id)))
    items, codes = county_items(result)
    by_rule: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        by_rule.setdefault(item.rule, []).append(i)
    report = result.county_report()
    for rule_id, positions in by_rule.items():
        kernel = KERNELS[items[positions[0]].kind]
        mine = [items[i] for i in positions]
        where = [codes[i] for i in positions]
        compiled = result.compiled[rule_id]
        expected = record_columns(kernel.record, compiled, result, mine, where)
        assert kernel.columns is not None
        found = kernel.columns(compiled, result, mine, where)
        for key in ROW_KEYS:
            assert list(found[key]) == expected[key], (rule_id, key)
        if kernel.kind == "coefficients":  # the working: as the report's coefficients
            for n, (item, code) in enumerate(zip(mine, where, strict=True)):
                (coefficient,) = [
                    c
                    for c in report.counties[code].coefficients
                    if c.rule == rule_id and c.level == item.level and c.indicator == item.indicator
                ]
                for key in ("students", "mean", "std"):
                    assert found[key][n] == getattr(coefficient, key), (rule_id, key)


@SETTINGS
@given(data=st.data(), standard_id=st.sampled_from(STANDARD_IDS))
def test_county_columns_of_mixed_rules_keep_each_rows_place(
    data: st.DataObject, standard_id: str
) -> None:
    result = _evaluate(standard_id, data.draw(_nation(standard_id)))
    items, codes = county_items(result)
    columns = county_columns(result, items, codes)
    for i, (item, code) in enumerate(zip(items, codes, strict=True)):
        kernel = KERNELS[item.kind]
        row = record_columns(kernel.record, result.compiled[item.rule], result, [item], [code])
        assert {key: columns[key][i] for key in ROW_KEYS} == {k: v[0] for k, v in row.items()}


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_kind_without_columns_is_explained_by_record(data: st.DataObject) -> None:
    county_list = data.draw(_nation("national/basic-2012"))
    result = _evaluate("national/basic-2012", county_list)
    with_hooks = render_csv(result, rows=False)
    patch = pytest.MonkeyPatch()
    try:
        for kind in ("coefficients", "composite", "county_fact"):
            patch.setitem(KERNELS, kind, attrs.evolve(KERNELS[kind], columns=None))
        items, codes = county_items(result)
        assert "students" not in county_columns(result, items, codes)
        without = render_csv(result, rows=False)
    finally:
        patch.undo()
    assert without.splitlines()[0] == with_hooks.splitlines()[0]
    # No kernel gives the working now: those three cells are empty, the rest is equal.
    at = [SCHOOL_COLUMNS.index(c) for c in ("students", "mean", "std")]
    rows_with, rows_without = _parsed(with_hooks), _parsed(without)
    assert len(rows_with) == len(rows_without)
    for a, b in zip(rows_with[1:], rows_without[1:], strict=True):
        assert [c for i, c in enumerate(a) if i not in at] == [
            c for i, c in enumerate(b) if i not in at
        ]
        assert all(b[i] == "" for i in at)


# -- number cells ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "number", "text"),
    [
        (0.5, 0.5, None),
        (0.0, None, "0.0"),  # an integral float: as the JSON report writes it
        (-0.0, None, "-0.0"),
        (2.0, None, "2.0"),
        (5, 5.0, None),  # an int: pyarrow writes 5.0 as "5"
        (0, 0.0, None),
        (True, None, "True"),
        (False, None, "False"),
        (1e-05, None, "1e-05"),  # below pyarrow's plain band
        (0.0001, 0.0001, None),
        (12345678901, None, "12345678901"),  # from 1e10: pyarrow would write 1.2345678901e+10
        (2.5e10, None, "25000000000.0"),
        (None, None, None),
    ],
)
def test_number_cells_hand_computed(value: Any, number: float | None, text: str | None) -> None:
    floats, shown = csv_columns.number_cells([value])
    if number is None:
        assert math.isnan(floats[0])
    else:
        assert floats[0] == number
    assert shown.get(0) == text


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(min_value=-(10**12), max_value=10**12),
            st.floats(allow_nan=False, allow_infinity=False),
        ),
        max_size=20,
    )
)
def test_number_cells_are_written_as_the_row_writer_writes_them(values: list[Any]) -> None:
    """pyarrow's text of the floats, or the given text, is the row writer's cell."""
    floats, shown = csv_columns.number_cells(values)
    written = csv_columns._number_text(floats, shown).to_pylist()
    for value, cell in zip(values, written, strict=True):
        assert (cell or "") == str(csv_render._cell(value))  # as the csv module writes it


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(
                alphabet=st.sampled_from(["=", "+", "-", "@", "\t", "\r", "a", "县", ",", '"'])
            ),
        ),
        max_size=12,
    )
)
def test_ids_and_names_are_neutralised_as_every_other_cell(values: list[str | None]) -> None:
    array, quotes = csv_columns._strings(values, neutralise)
    assert array.to_pylist() == [None if v is None else neutralise(v) for v in values]
    assert quotes.tolist() == [
        v is not None and any(c in neutralise(v) for c in ',"\n') for v in values
    ]
    # Written as the csv module writes them (quoted only when it must).
    cells = csv_columns._cells(values, neutralise).to_pylist()
    for value, cell in zip(values, cells, strict=True):
        line = io.StringIO()
        csv.writer(line, lineterminator="").writerow(["", neutralise(value) or ""])
        assert "," + cell == line.getvalue()


# -- the whole file, through the command ------------------------------------------


def _write_inputs(folder: Path, county_list: list[br.County]) -> tuple[Path, Path]:
    table = folder / "schools.csv"
    with table.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS)
        for county in county_list:
            for school in county.schools:
                row = {**attrs.asdict(school, recurse=False), "county": county.name}
                writer.writerow([cell_text(row[f]) for f in FIELDS])
    facts = folder / "facts.csv"
    names = sorted({f for c in county_list for f in c.facts})
    with facts.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["county", *names])
        for county in county_list:
            writer.writerow([county.name, *(_fact(county.facts.get(n)) for n in names)])
    return table, facts


def _fact(value: Decimal | bool | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _command(table: Path, facts: Path, standard_id: str, out: Path) -> str:
    argv = ["evaluate", str(table), "--standard", standard_id, "--format", "csv"]
    argv += ["--output", str(out), "--no-progress"]
    if facts.read_text(encoding="utf-8").count(",") > 0:
        argv += ["--facts", str(facts)]
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(argv, stdout=stdout, stderr=stderr)
    assert code in (0, 1), stderr.getvalue()
    return out.read_text(encoding="utf-8-sig")


@SETTINGS
@given(data=st.data(), standard_id=st.sampled_from(STANDARD_IDS))
def test_the_command_writes_the_row_writers_cells_for_every_standard(
    data: st.DataObject, standard_id: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    county_list = [  # a misspelt fact name is refused by the command: none here
        attrs.evolve(c, facts={k: v for k, v in c.facts.items() if not k.endswith("_x")})
        for c in data.draw(_nation(standard_id))
    ]
    folder = tmp_path_factory.mktemp("csv")
    table, facts = _write_inputs(folder, county_list)
    fast = _command(table, facts, standard_id, folder / "fast.csv")
    patch = pytest.MonkeyPatch()
    try:  # the row-by-row writer: an independent path through the same command
        patch.setattr(csv_render, "fast_csv_available", lambda: False)
        rows = _command(table, facts, standard_id, folder / "rows.csv")
    finally:
        patch.undo()
    assert fast.splitlines()[0] == ",".join(SCHOOL_COLUMNS)
    assert fast == rows  # byte for byte


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_small_chunks_on_threads_give_the_same_file(data: st.DataObject) -> None:
    result = _evaluate("national/quality-2017", data.draw(_nation("national/quality-2017")))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csv_columns, "_threads", lambda: 1)
        whole = render_csv(result, rows=False)
        patch.setattr(csv_columns, "CHUNK_ROWS", 5)  # a county a chunk: many in flight
        patch.setattr(csv_columns, "COUNTY_BATCH", 3)  # county rows a county at a time
        patch.setattr(csv_columns, "_threads", lambda: 3)
        small = render_csv(result, rows=False)
    assert small == whole == render_csv(result, rows=True)


def test_a_county_without_sections_writes_only_its_county_rows() -> None:
    """A county whose only school is out of scope: its facts and CVs, no school rows."""
    public = br.School(school_id="S1", school_name="一小", county="甲县", primary_students=D(300))
    private = attrs.evolve(public, school_id="S2", county="乙县", ownership="private")
    county_list = [
        br.County(name="甲县", schools=(public,)),
        br.County(name="乙县", schools=(private,), facts={"satisfaction_rate": D(90)}),
    ]
    result = _evaluate("national/quality-2017", county_list)
    fast, rows = render_csv(result, rows=False), render_csv(result, rows=True)
    assert fast == rows
    found = _parsed(fast)
    assert {r[0] for r in found[1:]} == {"甲县", "乙县"}
    b = [r for r in found[1:] if r[0] == "乙县"]
    assert b and all(r[1] == "" for r in b)  # county rows only: no school id
    (satisfaction,) = [r for r in b if r[SCHOOL_COLUMNS.index("rule")] == "social_recognition"]
    assert satisfaction[SCHOOL_COLUMNS.index("value")] == "90"


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16"])
def test_another_output_encoding_gets_the_same_text(tmp_path: Path, encoding: str) -> None:
    """Not UTF-8: the chunks' text goes through the text stream, encoded there."""
    school = br.School(
        school_id="S1", school_name="一小, 东", county="甲县", primary_students=D(300)
    )
    table, _ = _write_inputs(tmp_path, [br.County(name="甲县", schools=(school,))])
    argv = ["evaluate", str(table), "--format", "csv", "--no-progress"]
    texts = []
    for fast in (True, False):
        out = tmp_path / f"out-{fast}.csv"
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(csv_render, "fast_csv_available", lambda fast=fast: fast)
            code = main(
                [*argv, "--output", str(out), "--output-encoding", encoding],
                stdout=io.StringIO(),
                stderr=io.StringIO(),
            )
        assert code in (0, 1)
        texts.append(out.read_text(encoding=encoding))
    assert texts[0] == texts[1]
    assert '"一小, 东"' in texts[0]


def test_school_ids_are_ordered_as_python_orders_them() -> None:
    """Ids NumPy's fixed-width text would tie ("S1" and "S1\\x00") keep the row order."""
    one = br.School(school_id="S1\x00", school_name="甲", county="甲县", primary_students=D(300))
    schools = (
        one,
        attrs.evolve(one, school_id="S1", school_name="乙"),
        attrs.evolve(one, school_id="S0", school_name="丙"),
    )
    result = _evaluate("national/quality-2017", [br.County(name="甲县", schools=schools)])
    fast = render_csv(result, rows=False)
    assert fast == render_csv(result, rows=True)
    names = list(dict.fromkeys(r[2] for r in _parsed(fast)[1:] if r[2]))
    assert names == ["丙", "乙", "甲"]  # "S0", "S1", then "S1\x00"


def test_table_text_columns_become_text_as_the_row_writer_shows_them() -> None:
    """Ids: None empty, a number as its text; names: anything but text empty."""
    import numpy as np

    values = np.array([None, "S1", 5, "=x"], dtype=object)
    assert csv_columns._column(values, str).to_pylist() == ["", "S1", "5", "=x"]
    assert csv_columns._column(values, lambda v: "").to_pylist() == ["", "S1", "", "=x"]
    text = np.array(["S1", None], dtype=object)
    assert csv_columns._column(text, str).to_pylist() == ["S1", ""]
