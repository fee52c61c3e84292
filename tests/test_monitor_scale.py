"""Monitoring a (small) synthetic nation: columnar path, object path and Dask agree."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import attrs
import pytest

import balance_rules as br
from balance_rules.data.columns import ColumnTable
from balance_rules.engine.columnar import evaluate_columns
from balance_rules.monitor import compare_years
from balance_rules.render.monitor import monitoring_dict

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

ROOT = Path(__file__).resolve().parent.parent
YEARS = (2021, 2022, 2023)


def _nation_module() -> Any:
    spec = importlib.util.spec_from_file_location("nation", ROOT / "benchmarks" / "nation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def nation(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Five counties of the seeded nation over three years: values drift, schools close."""
    path = tmp_path_factory.mktemp("nation") / "nation.csv"
    _nation_module().generate(path, scale=0.002, seed=7)
    text = {c: str for c in ("county", "school_id", "school_name", "parent_school_id")}
    base = pd.read_csv(path, dtype=text)
    parents = set(base["parent_school_id"].dropna())
    frames = []
    for k, year in enumerate(YEARS):
        frame = base.copy()
        rng = np.random.default_rng(k)
        drift = 1 + 0.05 * k * rng.standard_normal(len(frame))
        frame["teaching_aux_area"] = (frame["teaching_aux_area"] * drift).round(1)
        teachers = frame["primary_backbone_teachers"] * (
            1 + 0.2 * k * rng.standard_normal(len(frame))
        )
        frame["primary_backbone_teachers"] = teachers.round(0).clip(lower=0)
        if year == 2022:  # a few schools without sub-sites close for one year
            closing = ~frame["school_id"].isin(parents) & frame["parent_school_id"].isna()
            frame = frame.drop(frame[closing].index[:4])
        frame["year"] = year
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def standard() -> br.Standard:
    return br.load_standard("monitoring/quality-2017-warnings")


@pytest.fixture(scope="module")
def single(nation: Any, standard: br.Standard) -> br.Monitoring:
    from balance_rules.monitor.scale import monitor_frame

    return monitor_frame(nation, standard)


def test_the_nation_has_something_to_compare(single: br.Monitoring) -> None:
    assert single.years == YEARS
    assert len(single.counties) == 5
    assert any(t.flips for t in single.counties)
    assert sum(p.event == "closed" for t in single.counties for p in t.presence) == 4
    assert sum(p.event == "opened" for t in single.counties for p in t.presence) == 4
    assert any(t.warnings for t in single.counties)


def test_columnar_path_equals_object_path(
    nation: Any, standard: br.Standard, single: br.Monitoring
) -> None:
    plan = br.compile_standard(standard)
    reports = {}
    for year in YEARS:
        frame = nation[nation["year"] == year].drop(columns=["year"])
        reports[year] = evaluate_columns(plan, ColumnTable.from_frame(frame)).county_report()
    objects = compare_years(reports)
    assert monitoring_dict(objects, reports=False) == monitoring_dict(single, reports=False)


@pytest.mark.parametrize("scheduler", ["synchronous", "threads"])
def test_dask_equals_single_process(
    nation: Any, standard: br.Standard, single: br.Monitoring, scheduler: str
) -> None:
    pytest.importorskip("dask")
    from balance_rules.monitor.scale import monitor_dask

    spread = monitor_dask(nation, standard, scheduler=scheduler, npartitions=4, num_workers=2)
    assert monitoring_dict(spread, reports=False) == monitoring_dict(single, reports=False)


def test_dask_dataframe_input_and_standards_per_year(nation: Any, standard: br.Standard) -> None:
    dd = pytest.importorskip("dask.dataframe")
    from balance_rules.monitor.scale import monitor_dask, monitor_frame

    basic = br.load_standard("national/basic-2012")
    per_year = {2021: basic, 2022: standard, 2023: standard}
    spread = monitor_dask(dd.from_pandas(nation, npartitions=3), per_year, scheduler="synchronous")
    assert monitoring_dict(spread, reports=False) == monitoring_dict(
        monitor_frame(nation, per_year), reports=False
    )
    assert [n.code for n in spread.notes] == ["standard_changed"]
    with pytest.raises(br.DataError, match="no standard for year"):
        monitor_frame(nation, {2021: basic})


def test_dask_from_map_reads_in_the_workers(
    nation: Any, standard: br.Standard, single: br.Monitoring
) -> None:
    pytest.importorskip("dask")
    from balance_rules.monitor.scale import monitor_from_map

    def load(year: int) -> Any:
        return nation[nation["year"] == year]

    spread = monitor_from_map(load, YEARS, standard, scheduler="threads", num_workers=2)
    assert monitoring_dict(spread, reports=False) == monitoring_dict(single, reports=False)


@pytest.mark.parametrize(("scheduler", "buckets"), [("synchronous", 2), ("threads", 5)])
def test_dask_by_county_compares_in_the_workers(
    nation: Any, standard: br.Standard, single: br.Monitoring, scheduler: str, buckets: int
) -> None:
    pytest.importorskip("dask")
    from balance_rules.monitor.scale import county_bucket, monitor_by_county

    def load(year: int) -> Any:
        return nation[nation["year"] == year]

    spread = monitor_by_county(
        load, YEARS, standard, scheduler=scheduler, num_workers=2, buckets=buckets
    )
    assert monitoring_dict(spread, reports=False) == monitoring_dict(single, reports=False)
    assert spread.overview == single.overview
    assert spread.notes == single.notes
    # The trends themselves: equal, the school sections left in the workers ...
    for mine, theirs in zip(spread.counties, single.counties, strict=True):
        assert attrs.evolve(mine, years=()) == attrs.evolve(theirs, years=())
        for (y0, d0), (y1, d1) in zip(mine.years, theirs.years, strict=True):
            assert y0 == y1 and (d0 is None) == (d1 is None)
            if d0 is not None and d1 is not None:
                assert d0.sections == () and d1.sections
                assert attrs.evolve(d1, sections=()) == d0
    # ... or brought back on request: then the very same objects' values.
    whole = monitor_by_county(
        load, YEARS, standard, scheduler=scheduler, buckets=buckets, sections=True
    )
    assert whole.counties == single.counties
    # The buckets really split the counties (five counties, two buckets: both used).
    names = pd.Series(sorted(nation["county"].unique()))
    assert len(set(county_bucket(names, 2).tolist())) == 2


def test_dask_by_county_notes_a_county_missing_a_year(nation: Any, standard: br.Standard) -> None:
    pytest.importorskip("dask")
    from balance_rules.monitor.scale import monitor_by_county, monitor_frame

    gone = sorted(nation["county"].unique())[0]
    holey = nation[~((nation["county"] == gone) & (nation["year"] == 2022))]
    basic = br.load_standard("national/basic-2012")
    per_year = {2021: basic, 2022: standard, 2023: standard}

    def load(year: int) -> Any:
        return holey[holey["year"] == year]

    spread = monitor_by_county(load, YEARS, per_year, scheduler="synchronous", buckets=5)
    alone = monitor_frame(holey, per_year)
    assert monitoring_dict(spread, reports=False) == monitoring_dict(alone, reports=False)
    assert [(n.code, n.year, n.county) for n in spread.notes] == [
        ("standard_changed", 2022, None),
        ("county_missing", 2022, gone),
    ]
