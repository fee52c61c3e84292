"""Provincial and county layers: overlay semantics, locks, provenance, diff."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import balance_rules as br
from balance_rules.standard.model import SchoolKOfN, SchoolThreshold, Threshold
from balance_rules.testing import check_at_least_as_strict

from .conftest import EXAMPLE_FACTS, EXAMPLES, run_cli, school

PROVINCES = ("hebei/basic-2012", "hebei/quality-2017", "liaoning/quality-2017", "jiangsu/quality")


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def _layer(layer_id: str, parent: str, body: str = "") -> str:
    return (
        f"format: 1\nid: {layer_id}\nextends: {parent}\nversion: '1'\n"
        f"title: {{zh: {layer_id}}}\nsource: {{document: {layer_id}文件}}\n{body}"
    )


def _problems(path: Path) -> list[br.Problem]:
    with pytest.raises(br.StandardError) as info:
        br.load_standard(path)
    return list(info.value.problems)


@pytest.mark.parametrize("name", PROVINCES)
def test_provincial_standards_load_and_cite_their_document(name: str) -> None:
    standard = br.load_standard(name)
    assert standard.layers[-1] == name
    assert standard.layers[0].startswith("national/")
    own = [r for r in standard.rules.values() if r.origin.layer == name]
    changed = [p for p, o in standard.provenance.items() if o.layer == name and p[:1] == ("rules",)]
    assert own or changed or name == "hebei/quality-2017"
    for rule in own:
        assert rule.source.document == standard.source.document


def test_hebei_basic_figures() -> None:
    hebei = br.load_standard("hebei/basic-2012")
    k = hebei.rules["hebei_school_standard"]
    assert isinstance(k, SchoolKOfN)
    assert (k.min_met, k.floor_ratio, len(k.rules)) == (8, Decimal("0.6"), 10)
    site = hebei.rules["hebei_site_area"]
    assert isinstance(site, SchoolThreshold)
    assert site.threshold.for_level("primary", "urban")[0] == 15
    assert site.threshold.for_level("primary", "rural")[0] == 20
    assert site.threshold.for_level("junior", "town")[0] == 25
    staff = hebei.rules["hebei_students_per_teacher"]
    assert isinstance(staff, SchoolThreshold) and staff.op == "<="
    assert staff.threshold.for_level("primary", "rural")[0] == 23
    assert staff.threshold.for_level("junior", "town")[0] == 16
    assert hebei.rules["hebei_labs"].confidence == "unconfirmed"
    # The national rules are still there, unchanged.
    assert hebei.rules["balance_composite"].origin.layer == "national/basic-2012"


def _hebei_school(**changes: Any) -> br.School:
    values: dict[str, Any] = {
        "location": "rural",
        "primary_students": 200,
        "site_area": 4400,  # 22 ≥ 20
        "labs": 1,
        "equipment_value": 80000,  # 400 ≥ 365
        "computers": 25,  # 8 per computer ≤ 10
        "books": 6000,  # 30 ≥ 25
        "primary_teachers": 10,  # 20 per teacher ≤ 23
        "primary_teachers_above_degree": 9,  # 90 % ≥ 85 %
        "extra": {"primary_qualified_teachers": 10, "primary_retention_rate": Decimal("99.5")},
    }
    values.update(changes)
    return school("H", **values)


def test_hebei_eight_of_ten_with_the_60_percent_floor() -> None:
    hebei = br.load_standard("hebei/basic-2012")

    def k_of_n(**changes: Any) -> br.Finding:
        report = br.evaluate(hebei, br.County(name="县", schools=[_hebei_school(**changes)]))
        return next(
            f for f in report.counties[0].schools[0].findings if f.rule == "hebei_school_standard"
        )

    good = k_of_n()
    assert (good.status, good.met, good.of) == ("pass", 9, 9)  # no primary building figure
    # One unmet at 60 % of its standard exactly: books 15 of 25.
    assert k_of_n(books=3000).status == "pass"
    assert k_of_n(books=2999).status == "fail"
    # A "≤" rule: 16.6… students per computer is 10 / 16.6… = 60 % of the standard.
    at_floor = k_of_n(computers=12)  # 200 / 12 = 16.67: ratio 10 / 16.67 = 0.6
    assert at_floor.lowest_rule == "hebei_students_per_computer"
    assert at_floor.lowest_ratio == pytest.approx(0.6, rel=1e-12)  # 10 / (200 / 12) = 3/5
    assert at_floor.status == "pass"
    # Two unmet: 7 of 9 fails however close they are.
    assert k_of_n(books=4900, labs=0).status == "fail"
    # The per-level extra column (primary_qualified_teachers) is read for the primary section.
    qualified = next(
        f
        for f in br.evaluate(hebei, br.County(name="县", schools=[_hebei_school()]))
        .counties[0]
        .schools[0]
        .findings
        if f.rule == "hebei_qualified_teachers"
    )
    assert qualified.value == 100


def test_site_area_threshold_depends_on_location() -> None:
    hebei = br.load_standard("hebei/basic-2012")
    urban = _hebei_school(location="urban", site_area=3200)  # 16: ≥ 15 in the city
    rural = _hebei_school(location="rural", site_area=3200)  # 16: < 20 elsewhere
    results = {}
    for item in (urban, rural):
        report = br.evaluate(hebei, br.County(name="县", schools=[item]))
        finding = next(
            f for f in report.counties[0].schools[0].findings if f.rule == "hebei_site_area"
        )
        results[item.location] = (finding.status, finding.threshold, finding.layer)
    assert results == {
        "urban": ("pass", Decimal(15), "hebei/basic-2012"),
        "rural": ("fail", Decimal(20), "hebei/basic-2012"),
    }


def test_same_data_national_versus_each_province() -> None:
    counties = br.read_counties(EXAMPLES / "example-county.csv", EXAMPLE_FACTS)
    national = br.evaluate(br.load_standard("national/quality-2017"), counties).counties[0]
    hebei = br.evaluate(br.load_standard("hebei/quality-2017"), counties).counties[0]
    jiangsu = br.evaluate(br.load_standard("jiangsu/quality"), counties).counties[0]
    liaoning = br.evaluate(br.load_standard("liaoning/quality-2017"), counties).counties[0]
    # Hebei evaluates the teaching point with 56 students; the national method does not.
    assert "2160000002" not in {s.school_id for s in national.schools}
    assert "2160000002" in {s.school_id for s in hebei.schools}
    assert {e.school_id for e in hebei.excluded if e.reason == "teaching_point"} == {"2160000001"}
    # Jiangsu: retention 97.8 < 99 fails; class sizes above 40 fail.
    retention = next(f for f in jiangsu.findings if f.rule == "retention_rate_junior")
    assert (retention.status, retention.threshold, retention.layer) == (
        "fail",
        Decimal(99),
        "jiangsu/quality",
    )
    assert jiangsu.verdict == "fail" and national.verdict == "pass"
    # Liaoning: 7200 yuan meets the national 6000 but not Liaoning's 8000; new facts missing.
    special = next(f for f in liaoning.findings if f.rule == "special_ed_funding")
    assert (special.status, special.layer) == ("fail", "liaoning/quality-2017")
    funding = next(f for f in liaoning.findings if f.rule == "public_funding_primary")
    assert funding.status == "not_evaluated"


def test_overlay_semantics_in_a_deep_chain(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "province.yaml",
        _layer(
            "test/province",
            "national/quality-2017",
            "rules:\n  class_size:\n    threshold: {primary: 44}\n    source: {article: 省}\n",
        ),
    )
    _write(
        tmp_path,
        "city.yaml",
        _layer(
            "test/city",
            "province.yaml",
            "rules:\n  class_size:\n    threshold: {junior: 48}\n    source: {article: 市}\n",
        ),
    )
    county = _write(
        tmp_path,
        "county.yaml",
        _layer(
            "test/county",
            "city.yaml",
            "remove:\n  rules: [art_room_area]\n"
            "rules:\n  class_size:\n    threshold: {primary: 42}\n    source: {article: 县}\n",
        ),
    )
    standard = br.load_standard(county)
    assert standard.layers == ("national/quality-2017", "test/province", "test/city", "test/county")
    rule = standard.rules["class_size"]
    assert isinstance(rule, SchoolThreshold)
    assert rule.threshold.for_level("primary", None)[0] == 42
    assert rule.threshold.for_level("junior", None)[0] == 48
    assert standard.origin("rules", "class_size", "threshold", "primary").layer == "test/county"  # type: ignore[union-attr]
    assert standard.origin("rules", "class_size", "threshold", "junior").layer == "test/city"  # type: ignore[union-attr]
    origin, old = standard.overridden[("rules", "class_size", "threshold", "primary")]
    assert (origin.layer, old) == ("test/province", 44)
    assert "art_room_area" not in standard.rules
    shown = run_cli("show", county, "--lang", "en").stdout
    assert "primary 42 — test/county, line 11, overrides test/province 44" in shown
    assert "junior 48 — test/city, line 9, overrides national/quality-2017 50" in shown


def test_overriding_an_unknown_id_suggests(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "l.yaml",
        _layer("test/l", "national/quality-2017", "rules:\n  clas_size:\n    threshold: 40\n"),
    )
    (problem,) = _problems(path)
    assert problem.suggestion == "class_size"
    assert problem.line == 8
    assert "does not have" in problem.message


def test_locked_rules_may_tighten_but_not_loosen(tmp_path: Path) -> None:
    tighten = _write(
        tmp_path,
        "t.yaml",
        _layer(
            "test/t", "national/quality-2017", "rules:\n  resource_cv:\n    max: {junior: 0.4}\n"
        ),
    )
    assert br.load_standard(tighten).rules["resource_cv"].max["junior"] == Decimal("0.4")  # type: ignore[union-attr]
    loosen = _write(
        tmp_path,
        "l.yaml",
        _layer(
            "test/l",
            "national/quality-2017",
            "rules:\n  above_degree_teachers_per_100:\n    threshold: {primary: 4.0}\n",
        ),
    )
    (problem,) = _problems(loosen)
    assert "loosened locked rule 'above_degree_teachers_per_100'" in problem.message
    assert (problem.file, problem.line) == (str(loosen), 9)
    assert "quality-2017.yaml:" in problem.message  # names the parent file and line too
    unlock = _write(
        tmp_path,
        "u.yaml",
        _layer("test/u", "national/quality-2017", "rules:\n  class_size:\n    locked: false\n"),
    )
    assert "locked" in _problems(unlock)[0].message
    remove = _write(
        tmp_path,
        "r.yaml",
        _layer("test/r", "national/quality-2017", "remove:\n  rules: [class_size]\n"),
    )
    assert "removes locked rule 'class_size'" in _problems(remove)[0].message
    veto = _write(
        tmp_path,
        "v.yaml",
        _layer("test/v", "national/quality-2017", "rules:\n  exam_admission:\n    veto: false\n"),
    )
    assert "loosened" in _problems(veto)[0].message
    # An unconfirmed national figure is not locked: a province may correct it either way.
    lower = _write(
        tmp_path,
        "s.yaml",
        _layer(
            "test/s", "national/quality-2017", "rules:\n  music_room_area:\n    threshold: 90\n"
        ),
    )
    rule = br.load_standard(lower).rules["music_room_area"]
    assert isinstance(rule, SchoolThreshold) and isinstance(rule.threshold, Threshold)
    assert rule.threshold.for_level("primary", None)[0] == 90


def test_version_pin(tmp_path: Path) -> None:
    ok = _write(tmp_path, "a.yaml", _layer("test/a", "national/quality-2017@2017"))
    assert br.load_standard(ok).layers[0] == "national/quality-2017"
    wrong = _write(tmp_path, "b.yaml", _layer("test/b", "national/quality-2017@2020"))
    (problem,) = _problems(wrong)
    assert "version '2017'" in problem.message and problem.line == 3


def test_county_layer_example() -> None:
    path = EXAMPLES / "example-county-standard.yaml"
    standard = br.load_standard(path)
    assert standard.layers == ("national/quality-2017", "examples/shili-county")
    result = run_cli(
        "evaluate",
        EXAMPLES / "example-county.xlsx",
        "--facts",
        EXAMPLE_FACTS,
        "--standard",
        path,
        "--format",
        "json",
    )
    assert result.returncode == 1
    county = json.loads(result.stdout)["counties"][0]
    canteen = [f for s in county["schools"] for f in s["findings"] if f["rule"] == "canteen_area"]
    assert canteen and all(f["status"] != "not_evaluated" for f in canteen)
    assert {f["layer"] for f in canteen} == {"examples/shili-county"}
    failing = {f["status"] for f in canteen if f["value"] < 0.8}
    assert failing == {"fail"}
    class_size = [f for s in county["schools"] for f in s["findings"] if f["rule"] == "class_size"]
    assert {(f["threshold"], f["layer"]) for f in class_size} == {
        (42, "examples/shili-county"),
        (48, "examples/shili-county"),
    }


def test_diff_command_and_function() -> None:
    national, jiangsu = (
        br.load_standard("national/quality-2017"),
        br.load_standard("jiangsu/quality"),
    )
    changes = br.diff_standards(national, jiangsu)
    by_path = {c.path: c for c in changes}
    class_size = by_path[("rules", "class_size", "threshold", "primary")]
    assert (class_size.direction, class_size.old, class_size.new) == ("tightened", 45, 40)
    assert by_path[("rules", "backbone_rotation")].direction == "added"
    assert by_path[("rules", "retention_rate_junior", "threshold")].direction == "tightened"
    assert not [c for c in changes if c.direction == "loosened"]
    reverse = br.diff_standards(jiangsu, national)
    assert {c.path for c in reverse if c.direction == "loosened"} == {
        c.path for c in changes if c.direction == "tightened"
    }
    assert br.diff_standards(national, national) == []
    result = run_cli("diff", "national/quality-2017", "jiangsu/quality", "--lang", "en")
    assert result.returncode == 1
    assert "rules.class_size.threshold.primary: 45 → 40" in result.stdout
    assert "now set in jiangsu/quality" in result.stdout
    result = run_cli("diff", "national/quality-2017", "hebei/quality-2017", "--format", "json")
    data = json.loads(result.stdout)
    (scope,) = data["changes"]
    assert scope["direction"] == "scope" and scope["new"]["when"]["students_below"] == 50
    assert scope["new_origin"]["layer"] == "hebei/quality-2017"
    same = run_cli("diff", "national/basic-2012", "national/basic-2012")
    assert same.returncode == 0


# -- property: a layer that only tightens never lets anything pass that failed ------

_TIGHTENABLE = {
    # rule id: (op, primary, junior)
    "above_degree_teachers_per_100": (">=", Decimal("4.2"), Decimal("5.3")),
    "teaching_aux_area_per_student": (">=", Decimal("4.5"), Decimal("5.8")),
    "sports_area_per_student": (">=", Decimal("7.5"), Decimal("10.2")),
    "equipment_value_per_student": (">=", Decimal(2000), Decimal(2500)),
    "class_size": ("<=", Decimal(45), Decimal(50)),
}


@st.composite
def tightening_layers(draw: st.DrawFn) -> str:
    chosen = draw(
        st.lists(st.sampled_from(sorted(_TIGHTENABLE)), min_size=1, max_size=4, unique=True)
    )
    lines = ["rules:"]
    for rule_id in chosen:
        op, primary, junior = _TIGHTENABLE[rule_id]
        step = draw(st.decimals(min_value=0, max_value=Decimal("0.3"), places=2))
        sign = 1 if op == ">=" else -1
        new_primary, new_junior = primary * (1 + sign * step), junior * (1 + sign * step)
        lines += [
            f"  {rule_id}:",
            f"    threshold: {{primary: {new_primary}, junior: {new_junior}}}",
        ]
    if draw(st.booleans()):
        cap = draw(st.decimals(min_value=Decimal("0.05"), max_value=Decimal("0.45"), places=2))
        lines += ["  resource_cv:", f"    max: {{junior: {cap}}}"]
    return "\n".join(lines) + "\n"


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tightening_layers())
def test_a_tightening_layer_never_turns_a_fail_into_a_pass(tmp_path: Path, body: str) -> None:
    counties = br.read_counties(EXAMPLES / "example-county.csv", EXAMPLE_FACTS)
    parent = br.load_standard("national/quality-2017")
    layer = br.standard_from_text(
        _layer("test/tight", "national/quality-2017", body), name="tight.yaml", base=tmp_path
    )
    assert not [c for c in br.diff_standards(parent, layer) if c.direction == "loosened"]
    check_at_least_as_strict(layer, parent, counties)


SIZE_LAYER = """\
rules:
  size_rooms:
    kind: school_threshold
    group: government_guarantee
    indicator: multimedia_rooms_per_100
    op: ">="
    threshold:
      by: size                       # small schools need more rooms per 100 students
      primary: {under_100: 5, under_500: 3, default: 2.3}
      junior: {default: 2.4}
    source: {article: 第八条}
"""


def test_threshold_by_school_size_band(tmp_path: Path) -> None:
    from balance_rules.data.columns import ColumnTable
    from balance_rules.engine.columnar import evaluate_columns

    path = _write(tmp_path, "size.yaml", _layer("test/size", "national/quality-2017", SIZE_LAYER))
    standard = br.load_standard(path)
    schools = [
        school("S", primary_students=80, multimedia_rooms=4),  # under 100: 5.0 needed, 5.0 given
        school("M", primary_students=400, multimedia_rooms=11),  # under 500: 2.75 < 3
        school("L", primary_students=1000, multimedia_rooms=23),  # default: 2.3 ≥ 2.3
        school("N", school_type="nine_year", primary_students=450, junior_students=100,
               multimedia_rooms=20),  # whole school 550: default band for the primary section
    ]  # fmt: skip
    county = br.County(name="县", schools=schools)
    report = br.evaluate(standard, county)
    found = {
        (s.school_id, s.level): (f.status, f.threshold)
        for s in report.counties[0].schools
        for f in s.findings
        if f.rule == "size_rooms"
    }
    assert found[("S", "primary")] == ("pass", Decimal(5))
    assert found[("M", "primary")] == ("fail", Decimal(3))
    assert found[("L", "primary")] == ("pass", Decimal("2.3"))
    assert found[("N", "primary")][1] == Decimal("2.3")
    plan = br.compile_standard(standard)
    result = evaluate_columns(plan, ColumnTable.from_schools(schools))
    for (rule, level), outcome in result.outcomes.items():
        if rule != "size_rooms":
            continue
        part = result.levels[level]
        for i, row in enumerate(part.rows):
            status = ("pass", "fail", "not_evaluated")[outcome.status[i]]
            assert found[(schools[row].school_id, level)][0] == status


def test_size_band_validation_and_diff(tmp_path: Path) -> None:
    bad = _write(
        tmp_path,
        "bad.yaml",
        _layer(
            "test/bad",
            "national/quality-2017",
            SIZE_LAYER.replace("under_500: 3, default: 2.3", "below_500: 3"),
        ),
    )
    messages = [p.message for p in _problems(bad)]
    assert any("'below_500' is not a size band" in m for m in messages), messages
    assert any("needs a 'default' case" in m for m in messages), messages
    old = br.load_standard(
        _write(tmp_path, "a.yaml", _layer("test/a", "national/quality-2017", SIZE_LAYER))
    )
    new = br.load_standard(
        _write(
            tmp_path,
            "b.yaml",
            _layer(
                "test/b",
                "national/quality-2017",
                SIZE_LAYER.replace("under_100: 5", "under_100: 6"),
            ),
        )
    )
    (change,) = [c for c in br.diff_standards(old, new) if c.direction == "tightened"]
    assert change.path == ("rules", "size_rooms", "threshold", "primary", "under_100")
    assert (change.old, change.new) == (5, 6)
