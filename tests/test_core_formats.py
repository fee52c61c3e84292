"""One input, every way out: the same findings, warnings and digits in every format.

Generated counties are written to one CSV (with a totals row and an unknown
text column, which every format must warn about) and evaluated through the
command in json, jsonl, csv, text and markdown, through ``evaluate_frame`` and
through ``br.evaluate``; every school finding's status and value and every CV
must be identical — the same float, so the same digits — everywhere.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import balance_rules as br
from balance_rules.cli import main
from balance_rules.render.explain import fmt
from balance_rules.testing.strategies import counties

from .nation_support import cell_text, unique_ids

STANDARD = br.load_standard("national/quality-2017")
_SKIP = {"extra"}
FIELDS = [a.name for a in attrs.fields(br.School) if a.name not in _SKIP]


def write_table(path: Path, county_list: list[br.County]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*FIELDS, "备注"])  # a text column the standard does not use
        for county in county_list:
            for school in county.schools:
                row = {**attrs.asdict(school, recurse=False), "county": county.name}
                writer.writerow([*(cell_text(row[f]) for f in FIELDS), "note"])
        writer.writerow(["合计", *([""] * len(FIELDS))])  # a totals row: skipped, with a warning


def _without_facts(n: int, county: br.County) -> br.County:
    """School ids unique in the whole file (as a real table has them); no facts."""
    return attrs.evolve(unique_ids(n, county), facts={})


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


Key = tuple[str, str, str, str]


def from_json(text: str) -> tuple[dict[Key, Any], dict[tuple[str, str, str], Any]]:
    report = json.loads(text)
    schools = {
        (c["county"], s["school_id"], s["level"], f["rule"]): (f["status"], f["value"])
        for c in report["counties"]
        for s in c["schools"]
        for f in s["findings"]
    }
    cvs = {
        (c["county"], k["level"], k["indicator"]): k["value"]
        for c in report["counties"]
        for k in c["coefficients"]
    }
    return schools, cvs


def from_jsonl(text: str) -> tuple[dict[Key, Any], dict[tuple[str, str, str], Any]]:
    schools, cvs = {}, {}
    for line in text.splitlines():
        item = json.loads(line)
        if item["type"] == "school":
            for f in item["findings"]:
                key = (item["county"], item["school_id"], item["level"], f["rule"])
                schools[key] = (f["status"], f["value"])
        elif item["type"] == "county":
            for k in item["coefficients"]:
                cvs[(item["county"], k["level"], k["indicator"])] = k["value"]
    return schools, cvs


def _number(text: str) -> Any:
    if text == "":
        return None
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text else value


def from_csv(text: str) -> tuple[dict[Key, Any], dict[tuple[str, str, str], Any]]:
    schools, cvs = {}, {}
    for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))):
        if row["school_id"]:
            key = (row["county"], row["school_id"], row["level"], row["rule"])
            schools[key] = (row["status"], _number(row["value"]))
        elif row["rule"] in ("resource_cv", "resource_composite") or "cv" in row["rule"]:
            cvs[(row["county"], row["level"], row["indicator"])] = _number(row["value"])
    return schools, cvs


def from_report(report: br.Report) -> tuple[dict[Key, Any], dict[tuple[str, str, str], Any]]:
    schools = {
        (c.county, s.school_id, s.level, f.rule): (f.status, f.value)
        for c in report.counties
        for s in c.schools
        for f in s.findings
    }
    cvs = {
        (c.county, k.level, k.indicator): k.value for c in report.counties for k in c.coefficients
    }
    return schools, cvs


def _same(a: dict[Any, Any], b: dict[Any, Any]) -> None:
    assert a.keys() == b.keys()
    for key, value in a.items():
        other = b[key]
        if isinstance(value, tuple):
            assert value[0] == other[0], key
            value, other = value[1], other[1]
        if value is None or other is None:
            assert value is None and other is None, key
        else:
            assert float(value) == float(other), (key, value, other)  # the same float: same digits


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_every_format_shows_the_same_findings_warnings_and_digits(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    county_list = [
        data.draw(counties(name=name, standard=STANDARD, sub_sites=True, max_schools=8))
        for name in ("甲县", "乙县", "丙县")
    ]
    county_list = [_without_facts(n, c) for n, c in enumerate(county_list)]
    folder = tmp_path_factory.mktemp("formats")
    table = folder / "schools.csv"
    write_table(table, county_list)
    outputs: dict[str, str] = {}
    for fmt_name in ("json", "jsonl", "csv", "text", "markdown"):
        target = folder / f"out.{fmt_name}"
        code, _, err = run("evaluate", str(table), "--format", fmt_name, "--output", str(target),
                           "--lang", "en", "--no-progress")  # fmt: skip
        assert code in (0, 1), err
        # Every format warns about the totals row and the ignored column, the same way.
        assert "合计" in err or "total" in err.lower(), (fmt_name, err)
        assert "备注" in err, (fmt_name, err)
        outputs[fmt_name] = target.read_text(encoding="utf-8-sig")
    reference = from_json(outputs["json"])
    _same(reference[0], from_jsonl(outputs["jsonl"])[0])
    _same(reference[1], from_jsonl(outputs["jsonl"])[1])
    _same(reference[0], from_csv(outputs["csv"])[0])
    _same(reference[1], from_csv(outputs["csv"])[1])
    report = br.evaluate(STANDARD, br.read_counties(table))
    _same(reference[0], from_report(report)[0])
    _same(reference[1], from_report(report)[1])
    pd = pytest.importorskip("pandas")
    from balance_rules.frames import evaluate_frame

    frame = pd.read_csv(table, dtype={"school_id": str, "county": str, "parent_school_id": str})
    frame = frame[frame.school_id != "合计"].drop(columns=["备注"])
    frames = evaluate_frame(frame, STANDARD)
    frame_schools = {
        (r.county, r.school_id, r.level, r.rule): (r.status, None if pd.isna(r.value) else r.value)
        for r in frames.schools.itertuples()
    }
    _same(reference[0], frame_schools)
    for county in report.counties:
        for k in county.coefficients:
            if k.value is not None:  # text and markdown show the same rounded digits
                shown = fmt(k.value, k.max, "en")
                assert shown in outputs["text"] and shown in outputs["markdown"]
        label = county.verdict
        assert label in outputs["markdown"].lower() or label in outputs["text"].lower()
