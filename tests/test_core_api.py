"""Public entry points: argument checks, named results, sub-site loops, import direction."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import balance_rules as br
from balance_rules.sections import parent_cycles

from .conftest import mini_standard, school

PACKAGE = Path(br.__file__).resolve().parent


def test_nothing_inside_the_package_imports_its_init() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "__init__.py" and path.parent == PACKAGE:
            continue
        depth = len(path.relative_to(PACKAGE).parts) - 1  # 0: a module of the package itself
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                # "from .. import x" inside a subpackage, "from . import x" at the top,
                # or "from balance_rules import x": all read the package __init__.
                to_root = node.level == depth + 1 and node.module is None
                absolute = node.level == 0 and node.module == "balance_rules"
                if to_root or absolute:
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
            elif isinstance(node, ast.Import) and any(
                a.name == "balance_rules" for a in node.names
            ):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    # Docstring examples are not imports; only real statements count.  The version
    # is `from .._version import __version__` (or `from ._version ...` at the top).
    assert offenders == [], "these import the package __init__: " + ", ".join(offenders)


def test_version_is_one_value() -> None:
    from balance_rules._version import __version__

    assert br.__version__ == __version__
    assert (
        br.report_dict(br.evaluate(mini_standard(), br.County(name="县", schools=[])))["generator"][
            "version"
        ]
        == __version__
    )


def test_validate_standard_takes_one_path_an_id_a_standard_or_a_list() -> None:
    one = br.validate_standard("national/basic-2012")
    assert one == {"national/basic-2012": []}  # not one entry per character
    standard = br.load_standard("national/basic-2012")
    assert br.validate_standard(standard) == {standard.id: []}
    both = br.validate_standard(["national/basic-2012", Path("no/such/file.yaml")])
    assert both["national/basic-2012"] == [] and len(both["no/such/file.yaml"]) == 1
    with pytest.raises(TypeError, match="validate_standard"):
        br.validate_standard(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="each item"):
        br.validate_standard([3.5])  # type: ignore[list-item]


def test_evaluate_names_the_wrong_argument() -> None:
    standard = mini_standard()
    county = br.County(name="县", schools=[school("A", primary_students=10)])
    with pytest.raises(TypeError, match="compiled Plan"):
        br.evaluate(br.compile_standard(standard), county)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="load_standard"):
        br.evaluate("national/quality-2017", county)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="counties"):
        br.evaluate(standard, "schools.csv")
    with pytest.raises(TypeError, match="item 1 is a dict"):
        br.evaluate(standard, [county, {"name": "x"}])
    with pytest.raises(ValueError, match="given twice"):
        br.evaluate(standard, [county, county])


def test_evaluate_frame_returns_named_frames() -> None:
    pd = pytest.importorskip("pandas")
    from balance_rules.frames import FrameResult, evaluate_frame

    frame = pd.DataFrame(
        [["甲县", "A1", "primary", 500, 21]],
        columns=["county", "school_id", "school_type", "primary_students",
                 "primary_teachers_above_degree"],
    )  # fmt: skip
    standard = br.load_standard("national/quality-2017")
    result = evaluate_frame(frame, standard)
    assert isinstance(result, FrameResult)
    assert list(result.summary.county) == ["甲县"]
    row = result.schools[result.schools.rule == "above_degree_teachers_per_100"]
    assert row.status.tolist() == ["pass"]  # 21 / 500 × 100 = 4.2 ≥ 4.2
    schools, _counties, summary = result  # still unpacks like the old tuple
    assert schools is result.schools and summary is result[2]
    with pytest.raises(TypeError, match="DataFrame"):
        evaluate_frame([1, 2], standard)
    with pytest.raises(TypeError, match="Standard"):
        evaluate_frame(frame, "national/quality-2017")  # type: ignore[arg-type]


def test_parent_cycles_found_by_hand() -> None:
    ids = ["A", "B", "C", "D", "E", "P", "Q"]
    parents = ["B", "C", "A", "D", "P", None, "Q"]
    counted = [False, False, False, False, False, True, True]
    # A→B→C→A loops, D is its own parent, E reaches a counted school, Q is counted
    # (a counted school's parent is never followed).
    assert parent_cycles(ids, parents, counted) == [["A", "B", "C"], ["D"]]


def test_self_parent_and_loops_are_refused_naming_the_schools() -> None:
    standard = mini_standard()
    loop = [
        school("P", primary_students=100, teaching_aux_area=500),
        school("S1", counted_as_school=False, parent_school_id="S2", primary_students=5),
        school("S2", counted_as_school=False, parent_school_id="S1", primary_students=5),
    ]
    with pytest.raises(br.DataError, match=r"S1 → S2 → S1|S2 → S1 → S2"):
        br.evaluate(standard, br.County(name="县", schools=loop))
    itself = [school("S", counted_as_school=False, parent_school_id="S", primary_students=5)]
    with pytest.raises(br.DataError, match="'S' is its own parent"):
        br.evaluate(standard, br.County(name="县", schools=itself))
    from balance_rules.data.columns import ColumnTable
    from balance_rules.engine.columnar import evaluate_columns

    with pytest.raises(br.DataError, match="own parent"):
        evaluate_columns(br.compile_standard(standard), ColumnTable.from_schools(itself))


def test_a_school_id_twice_in_a_county_is_refused_as_the_command_refuses_it() -> None:
    twice = br.County(
        name="县",
        schools=[school("A", primary_students=10), school("A", primary_students=20)],
    )
    with pytest.raises(br.DataError, match="'A' repeats"):
        br.evaluate(mini_standard(), twice)
    # The same id in two counties is two schools.
    other = br.County(name="乡", schools=[school("A", primary_students=20)])
    once = br.County(name="县", schools=[school("A", primary_students=10)])
    assert len(br.evaluate(mini_standard(), [once, other]).counties) == 2
