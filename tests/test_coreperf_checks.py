"""The library refuses what the command refuses, through the same functions; the fast paths.

County facts go through the facts reader's own checks (typos with a did-you-mean,
是/否, "95%"); numbers changed on School objects after they were built are
refused with the School's own message; each School's float view and the
compiled rules of a plan are made once and stay right.
"""

from __future__ import annotations

import io
import math
import pickle
from decimal import Decimal
from pathlib import Path

import attrs
import numpy as np
import pytest

import balance_rules as br
from balance_rules.cli import main
from balance_rules.data.columns import ColumnTable
from balance_rules.data.model import FLOAT_FIELDS, float_row
from balance_rules.engine.columnar import compiled_rules
from balance_rules.engine.kernels import KERNELS, register

from .conftest import school

QUALITY = "national/quality-2017"


def _problem_messages(error: br.DataError) -> list[str]:
    return [p.message for p in error.problems]


# -- county facts -------------------------------------------------------------------


def test_a_fact_typo_is_refused_by_evaluate_with_a_did_you_mean() -> None:
    county = br.County(name="甲县", schools=[school("s1", primary_students=500)],
                       facts={"planing_sound": True})  # fmt: skip
    with pytest.raises(br.DataError) as caught:
        br.evaluate(br.load_standard(QUALITY), county)
    (problem,) = caught.value.problems
    assert problem.suggestion == "planning_sound"
    assert "unknown fact 'planing_sound'" in problem.message
    assert problem.column == "planing_sound"


def test_county_and_facts_file_refuse_a_typo_with_the_same_message(tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text("rates: percent\ncounties:\n  甲县:\n    planing_sound: 是\n", "utf-8")
    with pytest.raises(br.DataError) as from_file:
        br.read_facts(facts)
    county = br.County(name="甲县", facts={"planing_sound": "是"})
    with pytest.raises(br.DataError) as from_code:
        br.evaluate(br.load_standard(QUALITY), county)
    assert _problem_messages(from_file.value) == _problem_messages(from_code.value)
    assert from_file.value.problems[0].suggestion == from_code.value.problems[0].suggestion
    # ... and the command stops on it with exit 2 and the did-you-mean.
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["evaluate", "examples/example-county.csv", "--facts", str(facts), "--lang", "en"],
        stdout=out,
        stderr=err,
    )
    assert code == 2
    assert "planning_sound" in err.getvalue()


def test_a_standards_own_fact_is_no_typo() -> None:
    # jiangsu/quality defines backbone_rotation_rate (close to rotation_rate).
    standard = br.load_standard("jiangsu/quality")
    county = br.County(
        name="甲县",
        schools=[school("s1", primary_students=500)],
        facts={"backbone_rotation_rate": 16, "backbone_rotaton_rate": 16},
    )
    with pytest.raises(br.DataError) as caught:
        br.evaluate(standard, county)
    (problem,) = caught.value.problems  # only the misspelt one
    assert problem.column == "backbone_rotaton_rate"
    assert problem.suggestion == "backbone_rotation_rate"
    given = attrs.evolve(county, facts={"backbone_rotation_rate": 16})
    (found,) = [
        f for f in br.evaluate(standard, given).counties[0].findings
        if f.fact == "backbone_rotation_rate"
    ]  # fmt: skip
    assert found.status == "pass"  # 16 >= 15


def test_yes_no_words_and_percent_signs_are_read_as_the_facts_reader_reads_them() -> None:
    county = br.County(
        name="甲县",
        facts={
            "planning_sound": "是",
            "unified_standards": "否",
            "staffing_allocated": "yes",
            "satisfaction_rate": "95%",
            "公众满意度": None,  # blank: dropped, as a blank cell is
            "teacher_salary_ratio": "1.03",
            "gov_effort_score": 91.5,
        },
    )
    assert county.facts == {
        "planning_sound": True,
        "unified_standards": False,
        "staffing_allocated": True,
        "satisfaction_rate": Decimal(95),
        "teacher_salary_ratio": Decimal("1.03"),
        "gov_effort_score": Decimal("91.5"),
    }
    assert isinstance(county.facts["planning_sound"], bool)


def test_a_chinese_fact_name_becomes_its_canonical_name() -> None:
    county = br.County(name="甲县", facts={"公众满意度": 96})
    assert county.facts == {"satisfaction_rate": Decimal(96)}


@pytest.mark.parametrize(
    ("facts", "words"),
    [
        ({"planning_sound": "也许"}, "is not yes/no"),
        ({"gov_effort_score": -1}, "is negative"),
        ({"satisfaction_rate": 120}, "out of range"),
        ({"gov_effort_score": True}, "must be a number"),
        ({"teacher_salary_ratio": "很多"}, "is not a number"),
    ],
)
def test_bad_fact_values_are_refused_naming_county_and_fact(
    facts: dict[str, object], words: str
) -> None:
    with pytest.raises(br.DataError) as caught:
        br.County(name="甲县", facts=facts)
    (problem,) = caught.value.problems
    assert words in problem.message
    assert "'甲县'" in problem.message
    assert problem.column == next(iter(facts))


def test_a_fact_no_standard_knows_and_no_typo_is_kept() -> None:
    # A provincial standard may define facts of its own; only near misses are refused.
    county = br.County(name="甲县", facts={"county_own_item": 3})
    assert county.facts == {"county_own_item": Decimal(3)}


def test_a_yes_no_fact_given_as_text_decides_like_a_bool() -> None:
    standard = br.load_standard(QUALITY)
    schools = [school("s1", primary_students=500)]
    as_text = br.evaluate(
        standard, br.County(name="甲县", schools=schools, facts={"planning_sound": "否"})
    )
    as_bool = br.evaluate(
        standard, br.County(name="甲县", schools=schools, facts={"planning_sound": False})
    )

    def status(report: br.Report) -> str:
        (found,) = [f for f in report.counties[0].findings if f.fact == "planning_sound"]
        return found.status

    assert status(as_text) == status(as_bool) == "fail"  # the standard requires 是


def test_evaluate_frame_checks_its_facts_too() -> None:
    pd = pytest.importorskip("pandas")
    from balance_rules.frames import evaluate_frame

    frame = pd.DataFrame({"county": ["甲县"], "school_id": ["s1"], "primary_students": [500]})
    with pytest.raises(br.DataError) as caught:
        evaluate_frame(frame, br.load_standard(QUALITY), {"甲县": {"planing_sound": True}})
    assert caught.value.problems[0].suggestion == "planning_sound"


# -- numbers changed after a School was built ---------------------------------------


def test_a_negative_count_forced_onto_a_school_is_refused_by_evaluate() -> None:
    bad = school("s2", primary_students=400, primary_teachers=20)
    object.__setattr__(bad, "primary_teachers", Decimal(-3))
    county = br.County(name="甲县", schools=[school("s1", primary_students=500), bad])
    with pytest.raises(br.DataError) as caught:
        br.evaluate(br.load_standard(QUALITY), county)
    (problem,) = caught.value.problems
    assert problem.column == "primary_teachers"
    assert "'s2'" in problem.message and "negative (-3)" in problem.message


def test_a_fractional_count_forced_onto_a_school_is_refused() -> None:
    bad = school("s1", primary_students=400)
    object.__setattr__(bad, "primary_classes", Decimal("10.5"))
    with pytest.raises(br.DataError) as caught:
        br.evaluate(br.load_standard(QUALITY), br.County(name="甲县", schools=[bad]))
    assert "whole number" in caught.value.problems[0].message


def test_a_negative_extra_edited_in_place_is_refused() -> None:
    bad = school("s1", primary_students=400, extra={"playground_area": 10})
    bad.extra["playground_area"] = Decimal(-2)  # type: ignore[index]
    with pytest.raises(br.DataError) as caught:
        br.evaluate(br.load_standard(QUALITY), br.County(name="甲县", schools=[bad]))
    assert caught.value.problems[0].column == "playground_area"


# -- the float view and the compiled rules -------------------------------------------


def test_float_row_is_each_number_as_the_nearest_float() -> None:
    item = school("s1", primary_students=501, sports_area=Decimal("0.1"), equipment_value="1234.56")
    row = np.frombuffer(float_row(item), dtype=np.float64)
    expected = [
        501.0 if name == "primary_students"
        else 0.1 if name == "sports_area"
        else 1234.56 if name == "equipment_value"
        else math.nan
        for name in FLOAT_FIELDS
    ]  # fmt: skip
    np.testing.assert_array_equal(row, np.array(expected))
    assert float_row(item) is float_row(item)  # made once


def test_float_row_follows_evolve_and_pickling() -> None:
    item = school("s1", primary_students=500)
    float_row(item)
    changed = attrs.evolve(item, primary_students=600)
    assert np.frombuffer(float_row(changed))[FLOAT_FIELDS.index("primary_students")] == 600
    again = pickle.loads(pickle.dumps(item))
    assert again == item and float_row(again) == float_row(item)
    assert set(attrs.asdict(item, recurse=False)) == {a.name for a in attrs.fields(br.School)}


def test_table_of_school_objects_matches_their_values() -> None:
    schools = [
        school("s1", primary_students=500, primary_teachers=30, extra={"x": 2}),
        school("s2", primary_students=None, site_area=Decimal("12.5")),
    ]
    table = ColumnTable.from_schools(schools, counties=["甲县", "甲县"])
    assert table.numbers["primary_students"][0] == 500
    assert np.isnan(table.numbers["primary_students"][1])
    assert table.numbers["site_area"].tolist()[1] == 12.5
    assert table.extras["x"][0] == 2 and np.isnan(table.extras["x"][1])
    assert table.text["county"].tolist() == ["甲县", "甲县"]
    assert table.text["school_id"].tolist() == ["s1", "s2"]
    table.numbers["primary_students"][0] = 1  # columns are writable copies
    assert schools[0].primary_students == 500


def test_rules_are_compiled_once_per_plan_and_again_when_a_kernel_changes() -> None:
    plan = br.compile_standard(br.load_standard(QUALITY))
    first, _ = compiled_rules(plan)
    assert compiled_rules(plan)[0] is first
    original = KERNELS["coefficients"]
    try:
        register(attrs.evolve(original), replace=True)
        assert compiled_rules(plan)[0] is not first
    finally:
        register(original, replace=True)


def test_the_facts_reader_takes_a_standards_own_facts_when_told(tmp_path: Path) -> None:
    from balance_rules.data.facts import standard_facts

    facts = tmp_path / "facts.yaml"
    facts.write_text("counties:\n  甲县:\n    backbone_rotation_rate: 16\n", "utf-8")
    with pytest.raises(br.DataError):  # alone, it looks like a typo of rotation_rate
        br.read_facts(facts)
    known = standard_facts(br.load_standard("jiangsu/quality"))
    assert br.read_facts(facts, known=known) == {"甲县": {"backbone_rotation_rate": Decimal(16)}}


def test_exact_products_stay_exact_past_int64() -> None:
    from balance_rules.engine.exact import _exact_product

    small = _exact_product(np.array([3, 7], dtype=np.int64), np.array([5, 11], dtype=object))
    assert small.tolist() == [15, 77]
    big = _exact_product(np.array([3, 2**40], dtype=np.int64), np.array([5, 2**30], dtype=object))
    assert big.tolist() == [15, 2**70]  # beyond int64: Python integers, exactly
    huge = _exact_product(np.array([10**400], dtype=object), np.array([2], dtype=object))
    assert huge.tolist() == [2 * 10**400]


def test_the_command_takes_the_standards_own_facts(tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text("counties:\n  示例县:\n    backbone_rotation_rate: 16\n", "utf-8")
    for extra in ([], ["--summary"], ["--format", "json"]):
        out, err = io.StringIO(), io.StringIO()
        args = ["evaluate", "examples/example-county.csv", "--facts", str(facts)]
        code = main([*args, "--standard", "jiangsu/quality", *extra], stdout=out, stderr=err)
        assert code in (0, 1), err.getvalue()
    # Under a standard without that fact, it is a typo of rotation_rate.
    out, err = io.StringIO(), io.StringIO()
    assert main([*args, "--lang", "en"], stdout=out, stderr=err) == 2
    assert "rotation_rate" in err.getvalue()
