"""Monitoring at national scale: DataFrames through the columnar core, and Dask.

:func:`monitor_frame` evaluates a pandas DataFrame in the canonical school
columns plus a ``year`` column, one year at a time through the columnar core
(``engine.columnar``), keeps per county and year only what monitoring compares
(:class:`~balance_rules.monitor.model.CountyYear`), and compares the years.  The
per-year reports are not kept (``Monitoring.reports`` is empty): a nation's
findings for ten years would not fit in memory, and are not needed to compare.

:func:`monitor_dask` does the same with the evaluation spread over a Dask
DataFrame partitioned by year and county: every county-year lies whole in one
partition, each partition is evaluated on its own (evaluation is independent
per county), and only the reduced results travel back to be compared in the
calling process.  The result is identical to :func:`monitor_frame`'s
(tests/test_monitor_scale.py).  Needs pandas (``fast`` extra) and, for Dask,
``pip install 'balance-rules[dask]'``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs
import numpy as np

from ..collector import paused
from ..data.columns import ColumnTable
from ..engine.columnar import ColumnarResult, evaluate_columns
from ..engine.plan import Plan, compile_standard
from ..errors import DataError, Problem
from ..standard.model import SchoolKOfN, SchoolThreshold, Standard
from .core import assemble, compare_snapshots, county_trends
from .exactness import fill_squares
from .model import CountyTrend, CountyYear, CVPoint, Monitoring, SectionState, YearNote

__all__ = [
    "county_bucket",
    "monitor_by_county",
    "monitor_dask",
    "monitor_frame",
    "monitor_frames",
    "monitor_from_map",
    "snapshots_from_columns",
]

YEAR = "year"
_PAD = "__balance_rules_pad__"
#: Compiled plans of a worker process, by standard digest.
_PLANS: dict[str, Plan] = {}
Facts = Mapping[int, Mapping[str, Mapping[str, Any]]]


def _passed(status: str, cap: object) -> bool | None:
    if cap is None or status == "not_evaluated":
        return None
    return status == "pass"


def snapshots_from_columns(result: ColumnarResult, year: int) -> dict[str, CountyYear]:
    """Every county of a columnar result, reduced to what monitoring compares."""
    with paused():
        return _snapshots(result, year)


def _snapshots(result: ColumnarResult, year: int) -> dict[str, CountyYear]:
    plan = result.plan
    standard = plan.standard
    rules = standard.rules
    text = result.table.text
    ids, names = text["school_id"].tolist(), text["school_name"].tolist()
    types = text["school_type"].tolist()
    k_rules = [r for r in rules.values() if isinstance(r, SchoolKOfN)]
    sections: list[list[SectionState]] = [[] for _ in result.county_names]
    for level, part in result.levels.items():
        passed = result.section_passed[level]
        failing: list[list[str]] = [[] for _ in range(len(part.rows))]
        for (rule_id, rule_level), outcome in result.outcomes.items():
            if rule_level != level:
                continue
            rule = rules[rule_id]
            is_threshold = isinstance(rule, SchoolThreshold)
            if not is_threshold and (isinstance(rule, SchoolKOfN) or not plan.decides[rule_id]):
                continue
            label = rule.indicator if isinstance(rule, SchoolThreshold) else rule_id
            for i in np.flatnonzero(outcome.status == 1).tolist():  # FAIL
                if label not in failing[i]:
                    failing[i].append(label)
        k_outcome = next(
            (
                (r, result.outcomes[(r.id, level)])
                for r in k_rules
                if (r.id, level) in result.outcomes
            ),
            None,
        )
        n = len(part.rows)
        k_rule: str | None = None
        of: int | None = None
        k_codes: list[int] = [2] * n
        k_values: list[float] = [float("nan")] * n
        if k_outcome is not None:
            k_rule, of = k_outcome[0].id, len(k_outcome[0].rules)
            k_codes = k_outcome[1].status.tolist()
            k_values = k_outcome[1].value.tolist()
        flags = passed.tolist()
        children = result.children
        empty: tuple[str, ...] = ()
        no_k = k_outcome is None
        for i, (row, code) in enumerate(
            zip(part.rows.tolist(), part.counties.tolist(), strict=True)
        ):
            flag = flags[i]
            value = k_values[i]
            sections[code].append(
                SectionState(
                    school_id=ids[row],
                    name=names[row] or "",
                    school_type=types[row],
                    level=level,
                    passed=None if flag == -1 else flag == 1,
                    failing=tuple(failing[i]) if failing[i] else empty,
                    k_rule=k_rule,
                    k_passed=None if no_k or k_codes[i] == 2 else k_codes[i] == 0,
                    met=None if value != value else int(value),
                    of=of,
                    merged=tuple(ids[c] for c in children[row]) if row in children else empty,
                )
            )
    order = {level: n for n, level in enumerate(standard.levels)}
    snapshots = {}
    for code, name in enumerate(result.county_names):
        points = tuple(
            CVPoint(
                rule=f.rule,
                level=f.level,
                indicator=f.indicator,
                composite=f.kind == "composite",
                value=f.value,
                max=f.threshold,
                passed=_passed(f.status, f.threshold),
            )
            for f in result.county_findings[code]
            if getattr(f, "kind", None) in ("coefficients", "composite")
        )
        snapshots[name] = CountyYear(
            county=name,
            year=year,
            standard=standard.id,
            verdict=result.verdicts[code],  # type: ignore[arg-type]
            coefficients=points,
            sections=tuple(
                sorted(sections[code], key=lambda s: (s.school_id, order.get(s.level, 99)))
            ),
        )
    return snapshots


def _standards(
    standard: Standard | Mapping[int, Standard], years: Iterable[int]
) -> dict[int, Standard]:
    if isinstance(standard, Standard):
        return {year: standard for year in years}
    missing = [year for year in years if year not in standard]
    if missing:
        raise DataError([Problem(f"no standard for year(s) {', '.join(map(str, missing))}")])
    return {year: standard[year] for year in years}


def _evaluate_year(
    frame: Any, plan: Plan, year: int, facts: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, CountyYear], ColumnarResult]:
    table = ColumnTable.from_frame(frame.drop(columns=[YEAR]))
    result = evaluate_columns(plan, table, facts)
    return snapshots_from_columns(result, year), result


def _plain_text(frame: Any) -> Any:
    """Text columns as pandas' default string dtype (missing = NaN), as ``read_csv`` gives.

    A Dask round trip may return the ``string`` dtype, whose missing value pd.NA the
    column reader does not take.
    """
    for name in frame.columns:
        if str(frame[name].dtype) == "string":
            frame[name] = frame[name].astype("str")
    return frame


def _years_of(frame: Any) -> list[int]:
    if YEAR not in frame.columns:
        raise DataError([Problem("the DataFrame has no 'year' column")])
    return sorted(int(y) for y in frame[YEAR].dropna().unique())


def monitor_frame(
    frame: Any,
    standard: Standard | Mapping[int, Standard],
    *,
    facts: Facts | None = None,
    renamed: Mapping[str, str] | None = None,
) -> Monitoring:
    """Monitor a pandas DataFrame of several years (canonical columns + ``year``)."""
    years = _years_of(frame)
    return monitor_frames(
        ((year, frame[frame[YEAR] == year]) for year in years),
        standard,
        facts=facts,
        renamed=renamed,
    )


def monitor_frames(
    frames: Iterable[tuple[int, Any]],
    standard: Standard | Mapping[int, Standard],
    *,
    facts: Facts | None = None,
    renamed: Mapping[str, str] | None = None,
) -> Monitoring:
    """Monitor one DataFrame per year, given (year, frame) one at a time.

    Only one year's table is held at once (a generator may read or build each
    frame when asked), so memory grows with the reduced results, not the data.
    """
    plans: dict[str, Plan] = {}
    snapshots: dict[int, dict[str, CountyYear]] = {}
    standards: dict[int, Standard] = {}
    last: tuple[int, ColumnarResult] | None = None
    for year, frame in frames:
        if year in snapshots:
            raise DataError([Problem(f"two frames for the year {year}")])
        standards[year] = _standards(standard, [year])[year]
        std = standards[year]
        plan = plans.setdefault(std.digest, compile_standard(std))
        part = frame.drop(columns=[YEAR]) if YEAR in frame.columns else frame
        table = ColumnTable.from_frame(part)
        result = evaluate_columns(plan, table, (facts or {}).get(year, {}))
        snapshots[year] = snapshots_from_columns(result, year)
        # Last year's result is kept (one table) for the rises near their figure.
        before = last if last is not None and last[0] == year - 1 else None
        fill_squares(snapshots[year], result, std, before and (snapshots[before[0]], before[1]))
        last = (year, result)
    if not snapshots:
        raise DataError([Problem("no years to monitor")])
    years = tuple(sorted(snapshots))
    return compare_snapshots(years, snapshots, standards, renamed=renamed)


def _pack(snapshot: CountyYear) -> tuple[Any, ...]:
    """A county-year as plain tuples: pickled in C, several times faster than attrs objects."""
    return (
        snapshot.county,
        snapshot.year,
        snapshot.standard,
        snapshot.verdict,
        tuple(
            (p.rule, p.level, p.indicator, p.composite, p.value,
             None if p.max is None else str(p.max), p.passed)
            for p in snapshot.coefficients
        ),
        tuple(
            (s.school_id, s.name, s.school_type, s.level, s.passed, s.failing, s.k_rule,
             s.k_passed, s.met, s.of, s.merged)
            for s in snapshot.sections
        ),
    )  # fmt: skip


def _unpack(packed: tuple[Any, ...]) -> CountyYear:
    county, year, standard, verdict, points, sections = packed
    return CountyYear(
        county=county,
        year=year,
        standard=standard,
        verdict=verdict,
        coefficients=tuple(
            CVPoint(
                rule=rule, level=level, indicator=indicator, composite=composite, value=value,
                max=None if cap is None else Decimal(cap), passed=passed,
            )
            for rule, level, indicator, composite, value, cap, passed in points
        ),
        sections=tuple(
            SectionState(
                school_id=i, name=n, school_type=t, level=lv, passed=p, failing=f, k_rule=kr,
                k_passed=kp, met=m, of=o, merged=mg,
            )
            for i, n, t, lv, p, f, kr, kp, m, o, mg in sections
        ),
    )  # fmt: skip


def _evaluate_part(
    part: Any,
    year: int,
    standards: Standard | Mapping[int, Standard],
    facts: Facts,
    previous: tuple[dict[str, CountyYear], ColumnarResult] | None = None,
) -> tuple[dict[str, CountyYear], ColumnarResult]:
    """Whole county-years of one year, evaluated and reduced (a worker's share).

    *previous* (last year's snapshots and result of the same counties) lets the
    rises near their figure be decided exactly.
    """
    import pandas as pd

    std = _standards(standards, [year])[year]
    plan = _PLANS.get(std.digest) or _PLANS.setdefault(std.digest, compile_standard(std))
    if part["county"].nunique() == 1:
        # The core's composite is a NumPy mean over counties whose last bit depends
        # on whether the batch holds one county or several; evaluating a lone county
        # beside a copy of itself gives the bits of a many-county batch, so every
        # partition matches the single-process run exactly.
        pad = part.assign(county=_PAD, school_id=_PAD + part["school_id"].astype(str))
        if "parent_school_id" in pad.columns:
            parents = pad["parent_school_id"]
            pad["parent_school_id"] = parents.where(parents.isna(), _PAD + parents.astype(str))
        part = pd.concat([part, pad])
    snapshots, result = _evaluate_year(part, plan, year, facts.get(year, {}))
    snapshots.pop(_PAD, None)
    fill_squares(snapshots, result, std, previous)
    return snapshots, result


def _partition(
    frame: Any, standards: Standard | Mapping[int, Standard], facts: Facts
) -> Any:  # pragma: no cover - runs in Dask workers (tested through monitor_dask)
    import pandas as pd

    rows = []
    frame = _plain_text(frame)
    for year, part in frame.groupby(YEAR, sort=True):
        snapshots, _ = _evaluate_part(part, int(year), standards, facts)
        rows += [(int(year), name, _pack(snap)) for name, snap in snapshots.items()]
    result = pd.DataFrame(
        {
            "year": pd.Series([r[0] for r in rows], dtype="int64"),
            "county": pd.Series([r[1] for r in rows], dtype=object),
            "snapshot": pd.Series([r[2] for r in rows], dtype=object),
        }
    )
    return result


def monitor_dask(
    frame: Any,
    standard: Standard | Mapping[int, Standard],
    *,
    facts: Facts | None = None,
    renamed: Mapping[str, str] | None = None,
    npartitions: int | None = None,
    scheduler: str = "processes",
    num_workers: int | None = None,
    partitioned: bool = False,
) -> Monitoring:
    """:func:`monitor_frame` with the evaluation spread over Dask partitions.

    ``frame`` is a pandas DataFrame (keyed by year and county and sorted, so that
    no county-year is cut between partitions) or a Dask DataFrame (shuffled on
    year and county, never collected in this process; with ``partitioned`` it is
    taken as already holding each county-year whole in one partition — e.g. built
    with ``dd.from_map`` or read from files split by year and county — and only
    the reduced results travel); ``scheduler`` and
    ``num_workers`` are passed to ``compute`` (``"processes"`` for real
    parallelism, ``"synchronous"`` for tests; a ``distributed`` client overrides
    them when one is active).
    """
    try:
        import dask
        import dask.dataframe as _dd
        import pandas as pd
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError("monitor_dask needs Dask: pip install 'balance-rules[dask]'") from None
    dd: Any = _dd
    with dask.config.set({"dataframe.convert-string": False}):
        parts = npartitions or max(2, 2 * (num_workers or 2))
        if isinstance(frame, dd.DataFrame):
            # Already distributed: a hash shuffle on year and county puts every
            # county-year whole in one partition, without collecting the data here.
            if YEAR not in frame.columns:
                raise DataError([Problem("the DataFrame has no 'year' column")])
            # The years are learnt from the results (a year without a standard in a
            # mapping is refused in the worker): the data is read once.
            standards: Standard | Mapping[int, Standard] = standard
            ddf = frame if partitioned else frame.shuffle(on=[YEAR, "county"], npartitions=parts)
        else:
            standards = _standards(standard, _years_of(frame))
            # One key per county-year; a sorted index keeps each key in one partition.
            key = frame[YEAR].astype("int64").astype(str) + "\x1f" + frame["county"].astype(str)
            keyed = frame.set_index(pd.Index(key, name="_key")).sort_index(kind="stable")
            ddf = dd.from_pandas(keyed, npartitions=parts, sort=True)
        reduced = ddf.map_partitions(_partition, standards, facts or {}, meta=_reduced_meta())
        computed = reduced.compute(scheduler=scheduler, num_workers=num_workers)
    return _monitoring(computed, standards, renamed)


def _monitoring(
    computed: Any,
    standards: Standard | Mapping[int, Standard],
    renamed: Mapping[str, str] | None,
) -> Monitoring:
    """Compare the reduced rows (year, county, packed snapshot) that came back."""
    years = sorted(set(computed["year"].tolist()))
    if not years:
        raise DataError([Problem("no rows to monitor")])
    by_year = _standards(standards, years)
    snapshots: dict[int, dict[str, CountyYear]] = {year: {} for year in years}
    with paused():
        _unpack_all(computed, snapshots)
    ordered = {year: dict(sorted(snapshots[year].items())) for year in years}
    notes: list[YearNote] = []
    return compare_snapshots(tuple(years), ordered, by_year, renamed=renamed, notes=notes)


def _reduced_meta() -> Any:
    import pandas as pd

    return pd.DataFrame(
        {
            "year": pd.Series(dtype="int64"),
            "county": pd.Series(dtype=object),
            "snapshot": pd.Series(dtype=object),
        }
    )


@attrs.frozen
class _LoadAndReduce:
    """One Dask task: read a partition and reduce it, so the table never leaves the worker."""

    load: Callable[[Any], Any]
    standards: Standard | Mapping[int, Standard]
    facts: Facts

    def __call__(self, item: Any) -> Any:  # pragma: no cover - runs in Dask workers
        return _partition(self.load(item), self.standards, self.facts)


def monitor_from_map(
    load: Callable[[Any], Any],
    items: Iterable[Any],
    standard: Standard | Mapping[int, Standard],
    *,
    facts: Facts | None = None,
    renamed: Mapping[str, str] | None = None,
    scheduler: str = "processes",
    num_workers: int | None = None,
) -> Monitoring:
    """Monitor partitions that Dask workers read themselves: ``load(item)`` for each item.

    Each ``load(item)`` returns a pandas DataFrame in the canonical columns with a
    ``year`` column, holding whole county-years (e.g. one year file, or one
    year's counties of one province).  Reading and reducing happen in one task
    (``dd.from_map``), so a partition's table never travels: only the reduced
    results come back to be compared.  Same result as :func:`monitor_frame`.
    """
    try:
        import dask
        import dask.dataframe as _dd
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError(
            "monitor_from_map needs Dask: pip install 'balance-rules[dask]'"
        ) from None
    dd: Any = _dd
    task = _LoadAndReduce(load, standard, facts or {})
    with dask.config.set({"dataframe.convert-string": False}):
        reduced = dd.from_map(task, list(items), meta=_reduced_meta())
        computed = reduced.compute(scheduler=scheduler, num_workers=num_workers)
    return _monitoring(computed, standard, renamed)


def _unpack_all(computed: Any, snapshots: dict[int, dict[str, CountyYear]]) -> None:
    for year, name, snapshot in zip(
        computed["year"].tolist(),
        computed["county"].tolist(),
        computed["snapshot"].tolist(),
        strict=True,
    ):
        if name in snapshots[year]:
            raise DataError([Problem(f"county {name!r} ({year}) was cut between partitions")])
        snapshots[year][name] = _unpack(snapshot)


# -- partitioned by county across all years ------------------------------------------


def county_bucket(names: Any, buckets: int) -> Any:
    """The bucket (0 … buckets − 1) of each county name: CRC-32, the same in every process."""
    codes, uniques = _factorize(names)
    own = np.array([zlib.crc32(str(u).encode("utf-8")) % buckets for u in uniques], dtype=np.int64)
    return own[codes]


def _factorize(names: Any) -> tuple[Any, Any]:
    import pandas as pd

    return pd.factorize(names)  # type: ignore[no-any-return]


@attrs.frozen
class _CountyShare:
    """One Dask task: every year of one bucket of counties, evaluated *and compared*.

    The task reads each item, keeps its own counties' rows, evaluates them year
    by year and compares the years county by county; only the county trends
    (and the years it saw) travel back.
    """

    load: Callable[[Any], Any]
    items: tuple[Any, ...]
    buckets: int
    standards: Standard | Mapping[int, Standard]
    facts: Facts
    renamed: Mapping[str, str] | None
    sections: bool = False

    def __call__(self, bucket: int) -> tuple[list[int], list[Any]]:
        snapshots: dict[int, dict[str, CountyYear]] = {}
        last: tuple[int, ColumnarResult] | None = None
        with paused():
            for item in self.items:
                frame = _plain_text(self.load(item))
                seen = _years_of(frame)
                for year in seen:
                    snapshots.setdefault(year, {})
                mine = frame[county_bucket(frame["county"], self.buckets) == bucket]
                del frame
                for year, part in mine.groupby(YEAR, sort=True):
                    # Last year's result of these counties (one table) for the rises.
                    before = None
                    if last is not None and last[0] == int(year) - 1:
                        before = (snapshots[last[0]], last[1])
                    found, result = _evaluate_part(
                        part, int(year), self.standards, self.facts, before
                    )
                    last = (int(year), result)
                    here = snapshots[int(year)]
                    for name, snap in found.items():
                        if name in here:
                            raise DataError(
                                [Problem(f"county {name!r} ({int(year)}) is in two partitions")]
                            )
                        here[name] = snap
            years = tuple(sorted(snapshots))
            standards = _standards(self.standards, years)
            trends = county_trends(years, snapshots, standards, self.renamed)
            if not self.sections:
                trends = [_without_sections(t) for t in trends]
        return list(years), trends


def _without_sections(trend: CountyTrend) -> CountyTrend:
    """A trend whose county-years keep verdict and coefficients, not the school sections."""
    years = tuple(
        (year, None if data is None else attrs.evolve(data, sections=()))
        for year, data in trend.years
    )
    return attrs.evolve(trend, years=years)


def monitor_by_county(
    load: Callable[[Any], Any],
    items: Iterable[Any],
    standard: Standard | Mapping[int, Standard],
    *,
    facts: Facts | None = None,
    renamed: Mapping[str, str] | None = None,
    buckets: int | None = None,
    scheduler: str = "processes",
    num_workers: int | None = None,
    sections: bool = False,
) -> Monitoring:
    """Monitor with Dask partitioned by county across all years: the comparison runs in the workers.

    Each of ``buckets`` tasks (default: ``num_workers``, else 2) calls
    ``load(item)`` for every item (a pandas DataFrame in the canonical columns
    with a ``year`` column — e.g. one year file), keeps the counties of its bucket
    (a CRC-32 of the county name), evaluates them year by year and compares
    their years; only the county trends come back, to be joined, noted and
    ranked in the calling process.  Same result as :func:`monitor_frame` — every
    flip, movement, presence event, warning, note and the overview — except that
    the county-years in ``CountyTrend.years`` carry no school sections
    (``sections=()``: the states the comparison read, about 200,000 objects a
    year for a nation, which no output shows) unless ``sections=True``.
    Every task reads every item: worth it where the comparison, not the reading,
    is the cost (a nation over many years).
    """
    try:
        import dask as _dask
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError(
            "monitor_by_county needs Dask: pip install 'balance-rules[dask]'"
        ) from None
    dask: Any = _dask
    n = buckets or num_workers or 2
    task = _CountyShare(load, tuple(items), n, standard, facts or {}, renamed, sections)
    delayed = [dask.delayed(task)(b) for b in range(n)]
    with dask.config.set({"dataframe.convert-string": False}):
        results = dask.compute(*delayed, scheduler=scheduler, num_workers=num_workers)
    years_seen: set[int] = set()
    trends: list[Any] = []
    for years, found in results:
        years_seen.update(years)
        trends += found
    if not years_seen:
        raise DataError([Problem("no rows to monitor")])
    years_t = tuple(sorted(years_seen))
    trends.sort(key=lambda t: t.county)
    with paused():
        return assemble(years_t, _standards(standard, years_t), trends)
