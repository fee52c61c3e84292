"""Loading, validating and layering standard files."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import balance_rules as br
from balance_rules.standard.loader import bundled_dir
from balance_rules.standard.model import CountyFact, SchoolThreshold
from balance_rules.standard.schema import standard_schema

from .conftest import mini

NATIONAL = ("national/basic-2012", "national/quality-2017")


@pytest.mark.parametrize("name", NATIONAL)
def test_bundled_standards_load_and_are_listed(name: str) -> None:
    assert name in br.bundled_ids()
    standard = br.load_standard(name)
    assert standard.id == name
    assert standard.layers == (name,)
    assert standard.digest.startswith("sha256:")
    for rule in standard.rules.values():
        assert rule.source.document and rule.source.article, rule.id
    for indicator in standard.indicators.values():
        assert indicator.source.article and indicator.label.en, indicator.id


def test_quality_2017_figures(quality: br.Standard) -> None:
    expected = {
        "above_degree_teachers_per_100": ("4.2", "5.3"),
        "backbone_teachers_per_100": ("1.0", "1.0"),
        "pe_art_teachers_per_100": ("0.9", "0.9"),
        "teaching_aux_area_per_student": ("4.5", "5.8"),
        "sports_area_per_student": ("7.5", "10.2"),
        "equipment_value_per_student": ("2000", "2500"),
        "multimedia_rooms_per_100": ("2.3", "2.4"),
    }
    for rule_id, (primary, junior) in expected.items():
        rule = quality.rules[rule_id]
        assert isinstance(rule, SchoolThreshold)
        assert rule.op == ">="
        assert rule.threshold.for_level("primary", None)[0] == Decimal(primary)
        assert rule.threshold.for_level("junior", None)[0] == Decimal(junior)
    k = quality.rules["resource_school_6_of_7"]
    assert (k.min_met, k.floor_ratio, len(k.rules)) == (6, Decimal("0.85"), 7)  # type: ignore[union-attr]
    cv = quality.rules["resource_cv"]
    assert cv.max == {"primary": Decimal("0.50"), "junior": Decimal("0.45")}  # type: ignore[union-attr]
    assert set(cv.indicators) == set(expected)  # type: ignore[union-attr]
    vetoes = {r.fact for r in quality.rules.values() if isinstance(r, CountyFact) and r.veto}
    assert {
        "exam_admission",
        "illegal_school_choice",
        "key_schools_or_classes",
        "satisfaction_rate",
    } <= vetoes
    unconfirmed = {r.id for r in quality.rules.values() if r.confidence == "unconfirmed"}
    assert {"special_ed_funding", "music_room_area", "art_room_area"} <= unconfirmed
    # 15 government-guarantee items and 9 quality items, some with two parts.
    groups = {r.group for r in quality.rules.values()}
    assert {"government_guarantee", "education_quality", "social_recognition", "vetoes"} <= groups


def test_basic_2012_tests_only_the_composite(basic: br.Standard) -> None:
    assert basic.rules["balance_cv"].max == {}  # type: ignore[union-attr]
    assert basic.rules["balance_composite"].max == {  # type: ignore[union-attr]
        "primary": Decimal("0.65"),
        "junior": Decimal("0.55"),
    }
    assert len(basic.rules["balance_composite"].indicators) == 8  # type: ignore[union-attr]
    assert basic.rules["gov_effort_score"].confidence == "unconfirmed"
    assert basic.split.weights["nine_year"] == {"primary": Decimal(1), "junior": Decimal("1.1")}


def test_published_schema_is_draft7_and_accepts_the_bundled_files() -> None:
    schema = standard_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["$schema"].startswith("http://json-schema.org/draft-07")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _bundled_text(name: str) -> str:
    return (bundled_dir() / f"{name}.yaml").read_text(encoding="utf-8")


def _problems(path: Path) -> list[br.Problem]:
    with pytest.raises(br.StandardError) as info:
        br.load_standard(path)
    return list(info.value.problems)


def test_every_error_is_reported_with_line_and_suggestion(tmp_path: Path) -> None:
    text = _bundled_text("national/quality-2017")
    text = text.replace(
        '    op: ">="\n    threshold: {primary: 4.2, junior: 5.3}',
        '    op: ">="\n    threshhold: {primary: 4.2, junior: 5.3}',
    )
    text = text.replace("kind: composite", "kind: compsite")
    path = _write(tmp_path, "bad.yaml", text)
    problems = _problems(path)
    messages = [str(p) for p in problems]
    assert len(problems) >= 3, messages
    typo = next(p for p in problems if "threshhold" in p.message)
    assert typo.suggestion == "threshold"
    assert typo.file == str(path)
    assert typo.line is not None
    assert text.splitlines()[typo.line - 1].strip().startswith("threshhold")
    kind = next(p for p in problems if "compsite" in p.message)
    assert kind.suggestion == "composite"
    assert any("'threshold' is required" in p.message for p in problems)


def test_semantic_errors_name_the_line(tmp_path: Path) -> None:
    text = _bundled_text("national/quality-2017")
    text = text.replace(
        "indicator: backbone_teachers_per_100", "indicator: backbone_teacher_per_100"
    )
    text = text.replace("denominator: school_classes", "denominator: school_clases")
    text = text.replace("    group: monitoring\n", "    group: monitorin\n")
    path = _write(tmp_path, "bad.yaml", text)
    problems = _problems(path)
    by_suggestion = {p.suggestion: p for p in problems}
    assert "backbone_teachers_per_100" in by_suggestion
    assert "school_classes" in by_suggestion
    assert "monitoring" in by_suggestion
    line = by_suggestion["monitoring"].line
    assert line is not None and "monitorin" in text.splitlines()[line - 1]


def test_level_without_threshold_and_composite_checks(tmp_path: Path) -> None:
    document = mini()
    document["rules"]["area_min"]["threshold"] = {"primary": Decimal("4.5")}
    document["rules"]["comp"] = {
        "kind": "composite",
        "group": "main",
        "indicators": ["area", "nonexistent"],
        "max": {"primary": Decimal("0.6")},
        "source": {"article": "x"},
    }
    with pytest.raises(br.StandardError) as info:
        br.standard_from_mapping(document)
    messages = [p.message for p in info.value.problems]
    assert any("no threshold for level 'junior'" in m for m in messages), messages
    assert any("unknown indicator 'nonexistent'" in m for m in messages), messages
    assert any("no cap for level 'junior'" in m for m in messages), messages


def test_duplicate_keys_and_bad_yaml(tmp_path: Path) -> None:
    dup = _write(tmp_path, "dup.yaml", "format: 1\nid: a/b\nid: a/c\n")
    problems = _problems(dup)
    assert problems[0].line == 3 and "twice" in problems[0].message
    broken = _write(tmp_path, "broken.yaml", "format: 1\nrules: [\n  a: b\n")
    problems = _problems(broken)
    assert problems[0].line is not None and "not valid YAML" in problems[0].message


def test_yaml_cannot_run_code(tmp_path: Path) -> None:
    evil = _write(tmp_path, "evil.yaml", "!!python/object/apply:os.system ['echo hacked']\n")
    problems = _problems(evil)
    assert "not valid YAML" in problems[0].message


def test_unknown_standard_suggests() -> None:
    with pytest.raises(br.UnknownStandardError) as info:
        br.load_standard("national/quality-2071")
    assert info.value.suggestion == "national/quality-2017"
    assert isinstance(info.value, LookupError)


def test_validate_reports_each_file(tmp_path: Path) -> None:
    good = br.bundled_ids()[0]
    bad = _write(tmp_path, "bad.yaml", "format: 2\n")
    results = br.validate_standard([good, bad])
    assert results[good] == []
    assert results[str(bad)]


# -- layers -------------------------------------------------------------------------


LAYER = """\
format: 1
id: test/province
extends: national/quality-2017
title: {zh: 某省优质均衡实施办法}
version: "2020"
source: {document: 某教督〔2020〕1号}
rules:
  class_size:
    threshold: {primary: 40, junior: 45}
    source: {article: 第三条}
  local_rule:
    kind: county_fact
    group: government_guarantee
    fact: special_ed_funding_per_student
    op: ">="
    threshold: 8000
    source: {article: 第四条}
remove:
  rules: [falsified_data]
"""


def test_layer_overrides_adds_removes_and_records_provenance(tmp_path: Path) -> None:
    path = _write(tmp_path, "province.yaml", LAYER)
    standard = br.load_standard(path)
    assert standard.layers == ("national/quality-2017", "test/province")
    assert standard.id == "test/province"
    class_size = standard.rules["class_size"]
    assert isinstance(class_size, SchoolThreshold)
    assert class_size.threshold.for_level("primary", None)[0] == Decimal(40)
    origin = standard.origin("rules", "class_size", "threshold", "primary")
    assert origin is not None and origin.layer == "test/province" and origin.line == 9
    previous, old_value = standard.overridden[("rules", "class_size", "threshold", "primary")]
    assert previous.layer == "national/quality-2017" and old_value == 45
    # The rule itself (label, op, group) still comes from the national file.
    assert standard.origin("rules", "class_size", "op").layer == "national/quality-2017"  # type: ignore[union-attr]
    assert class_size.source.document == "某教督〔2020〕1号"  # the layer cites its own article
    assert "falsified_data" not in standard.rules
    assert standard.rules["local_rule"].source.document == "某教督〔2020〕1号"
    # Findings say which layer set their threshold.
    county = br.County(
        name="县",
        schools=[br.School(school_id="A", primary_students=100, primary_max_class_size=42)],
    )
    report = br.evaluate(standard, county)
    finding = next(f for f in report.counties[0].schools[0].findings if f.rule == "class_size")
    assert (finding.status, finding.layer) == ("fail", "test/province")
    school_size = next(f for f in report.counties[0].schools[0].findings if f.rule == "school_size")
    assert school_size.layer == "national/quality-2017"


def test_layer_errors(tmp_path: Path) -> None:
    unknown_remove = _write(
        tmp_path, "a.yaml", LAYER.replace("rules: [falsified_data]", "rules: [falsifed_data]")
    )
    problems = _problems(unknown_remove)
    assert problems[0].suggestion == "falsified_data"
    missing_parent = _write(
        tmp_path,
        "b.yaml",
        LAYER.replace("extends: national/quality-2017", "extends: national/quality-2071"),
    )
    problems = _problems(missing_parent)
    assert problems[0].suggestion == "national/quality-2017" and problems[0].line == 3
    # A typo inside a partial override is caught once merged, at the layer's line.
    typo = _write(
        tmp_path,
        "t.yaml",
        LAYER.replace("    threshold: {primary: 40", "    threshhold: {primary: 40"),
    )
    problems = _problems(typo)
    (problem,) = [p for p in problems if "threshhold" in p.message]
    assert (problem.file, problem.line, problem.suggestion) == (str(typo), 9, "threshold")
    # A cycle: c extends d extends c.
    _write(
        tmp_path,
        "c.yaml",
        LAYER.replace("extends: national/quality-2017", "extends: d.yaml").replace(
            "id: test/province", "id: test/c"
        ),
    )
    d = _write(
        tmp_path,
        "d.yaml",
        LAYER.replace("extends: national/quality-2017", "extends: c.yaml").replace(
            "id: test/province", "id: test/d"
        ),
    )
    problems = _problems(d)
    assert "cycle" in problems[0].message


def test_empty_layer_changes_nothing_but_the_name(tmp_path: Path, quality: br.Standard) -> None:
    path = _write(
        tmp_path,
        "empty.yaml",
        "format: 1\nid: test/empty\nextends: national/quality-2017\n"
        "title: {zh: 空}\nversion: '1'\nsource: {document: x}\n",
    )
    layered = br.load_standard(path)

    def canonical(standard: br.Standard) -> str:
        kept = {
            k: v
            for k, v in standard.document.items()
            if k not in ("id", "source", "title", "version")
        }
        return json.dumps(kept, default=str, sort_keys=True)

    assert canonical(layered) == canonical(quality)
    assert layered.layers == ("national/quality-2017", "test/empty")


_CORRUPTIONS = ("delete", "text", "number", "list", "unknown_key")


def _nodes(node: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _nodes(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _nodes(value, (*path, index))
    return found


def _corrupt(document: dict[str, object], path: tuple[object, ...], how: str) -> None:
    parent: Any = document
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if how == "delete" and isinstance(parent, dict):
        del parent[last]
    elif how == "unknown_key" and isinstance(parent[last], dict):
        parent[last]["bogus_key"] = 1
    else:
        parent[last] = {"text": "x", "number": Decimal(12), "list": [1]}.get(how, "x")


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(["national/quality-2017", "national/basic-2012", "hebei/quality-2017"]),
    data=st.data(),
)
def test_the_fast_validator_reports_what_the_published_schema_reports(
    name: str, data: st.DataObject
) -> None:
    # The loader validates each rule against the branch its kind selects; a plain
    # Draft 7 validator over the published schema must find exactly the same errors.
    import copy

    from balance_rules.standard import schema as schema_module
    from balance_rules.yamlio import read_yaml

    document = copy.deepcopy(read_yaml(bundled_dir() / f"{name}.yaml"))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        paths = [p for p in _nodes(document) if p]
        _corrupt(
            document, data.draw(st.sampled_from(paths)), data.draw(st.sampled_from(_CORRUPTIONS))
        )
    layer = "extends" in document

    def locate(path: tuple[object, ...]) -> tuple[str, int | None]:
        return name, None

    fast = schema_module.schema_problems(document, locate, layer=layer)
    schema = schema_module.layer_schema() if layer else standard_schema()
    plain_validator = jsonschema.Draft7Validator(schema)
    original = schema_module._validator
    try:
        schema_module._validator = lambda layer: plain_validator  # type: ignore[assignment]
        plain = schema_module.schema_problems(document, locate, layer=layer)
    finally:
        schema_module._validator = original
    assert [(p.path, p.message) for p in fast] == [(p.path, p.message) for p in plain]
