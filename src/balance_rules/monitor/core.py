"""Several years evaluated and compared: :func:`monitor`.

Each year is evaluated under its own standard by the one core
(:func:`balance_rules.evaluate`); the comparison then reads only the results
(:class:`~balance_rules.monitor.model.CountyYear`).  Schools are matched between
consecutive years by school id, through ``renamed`` (old id → new id) where an id
changed; nothing is dropped silently: a school that appears, disappears, merges
or whose id seems reused is listed, and a county missing from a year is noted.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ..collector import paused
from ..data.model import County
from ..engine.plan import compile_standard, evaluate
from ..errors import DataError, Problem
from ..report import Report
from ..standard.loader import load_standard
from ..standard.model import Standard
from .model import (
    CountyTrend,
    CountyYear,
    CVPoint,
    CVSeries,
    Direction,
    EarlyWarningHit,
    Flip,
    Headline,
    Monitoring,
    Movement,
    OverviewCell,
    OverviewRow,
    Presence,
    SectionState,
    YearNote,
)
from .snapshot import report_years

__all__ = [
    "DEFAULT_STANDARD",
    "assemble",
    "compare_snapshots",
    "compare_years",
    "compile_warnings",
    "county_trends",
    "monitor",
    "run_warnings",
]

if TYPE_CHECKING:  # the kernels need NumPy: imported when warnings are compiled
    from ..engine.kernels import Kernel

DEFAULT_STANDARD = "national/quality-2017"

YearData = Report | County | Sequence[County]
StandardRef = Standard | str


Compiled = list[tuple["Kernel", Any]]


def compile_warnings(standard: Standard) -> Compiled:
    """Every warning rule of *standard*, compiled by its kernel in the core's table."""
    from ..engine.kernels import KERNELS

    compiled = []
    plan = compile_standard(standard)
    for rule in standard.warnings.values():
        kernel = KERNELS[rule.kind]
        if not kernel.needs_previous:  # pragma: no cover - the schema allows warning kinds only
            raise TypeError(f"{rule.kind}: a warning kind's kernel must need the previous year")
        compiled.append((kernel, kernel.compile(rule, plan)))
    return compiled


def run_warnings(
    compiled: Compiled, current: CountyYear, previous: CountyYear | None
) -> list[EarlyWarningHit]:
    """Every warning of one county in one year (``previous``: the year before)."""
    hits: list[EarlyWarningHit] = []
    for kernel, rule in compiled:
        found = kernel.run(rule, current, previous)
        hits += [kernel.explain(rule, current, hit, i) for i, hit in enumerate(found)]
    return hits


def _standard(ref: StandardRef) -> Standard:
    return ref if isinstance(ref, Standard) else load_standard(ref)


def _issued_year(standard: Standard) -> int | None:
    issued = standard.source.issued or ""
    return int(issued[:4]) if issued[:4].isdigit() else None


def monitor(
    years: Mapping[int, YearData],
    standard: StandardRef | Mapping[int, StandardRef] | None = None,
    *,
    renamed: Mapping[str, str] | None = None,
    notes: Iterable[YearNote] = (),
) -> Monitoring:
    """Evaluate each year under its standard and compare the years.

    ``years`` maps a year to its counties (or to a ready :class:`Report`).
    ``standard`` is one standard for every year, or a mapping year → standard; a
    year the mapping does not cover is noted and left out (a :class:`DataError`
    if no year is left).  ``renamed`` maps a school's old id to its new one.
    """
    all_notes = list(notes)
    if not years:
        raise DataError([Problem("no years to monitor: give at least one year of data")])
    by_year: dict[int, Standard] = {}
    loaded: dict[int, Standard] = {}
    for year in sorted(years):
        data = years[year]
        if isinstance(data, Report):
            by_year[year] = data.standard
            continue
        if isinstance(standard, Mapping):
            ref = standard.get(year)
            if ref is None:
                all_notes.append(
                    YearNote(
                        code="no_standard",
                        year=year,
                        message=f"{year} 年没有指定评估标准，该年数据未评估",
                        message_en=f"no standard was given for {year}: its data is not evaluated",
                    )
                )
                continue
        else:
            ref = standard if standard is not None else DEFAULT_STANDARD
        key = id(ref)
        loaded.setdefault(key, _standard(ref))
        by_year[year] = loaded[key]
    if not by_year:  # say why for each year (an unknown standard, say), not only that
        raise DataError(
            [
                Problem(
                    "no year has a standard to evaluate it by (give --standard)",
                    message_zh="没有任何一年有可用的评估标准（请用 --standard 指定）",
                ),
                *(Problem(n.message_en, message_zh=n.message) for n in all_notes),
            ]
        )
    reports: dict[int, Report] = {}
    results: dict[int, Any] = {}
    for year, std in by_year.items():
        data = years[year]
        if isinstance(data, Report):
            reports[year] = data
        else:
            reports[year], found = _evaluate(std, data)
            if found is not None:
                results[year] = found
        issued = _issued_year(std)
        if issued is not None and year < issued:
            all_notes.append(
                YearNote(
                    code="standard_after_year",
                    year=year,
                    message=f"{year} 年的数据按 {issued} 年印发的标准 {std.id} 评估",
                    message_en=f"{year} is evaluated by {std.id}, issued in {issued}",
                )
            )
    ordered = tuple(sorted(reports))
    from .exactness import fill_squares

    snapshots = {year: report_years(reports[year], year) for year in ordered}
    for before, year in zip((None, *ordered), ordered, strict=False):
        # The exact CV squares where a warning is near its boundary (from the core's
        # result, kept alive by its Report anyway); none for a ready Report.
        if year in results:
            last = None
            if before is not None and before in results and before == year - 1:
                last = (snapshots[before], results[before])
            fill_squares(snapshots[year], results[year], by_year[year], last)
    return compare_snapshots(
        ordered,
        snapshots,
        {year: reports[year].standard for year in ordered},
        renamed=renamed,
        notes=all_notes,
        reports=tuple((year, reports[year]) for year in ordered),
    )


def _evaluate(standard: Standard, data: County | Sequence[County]) -> tuple[Report, Any]:
    """One year's Report and the core's result behind it (None if not County objects)."""
    counties = [data] if isinstance(data, County) else list(data)
    if not all(isinstance(c, County) for c in counties):
        return evaluate(standard, data), None  # evaluate names the wrong argument
    from ..engine.columnar import evaluate_columns
    from ..engine.core import table_of
    from ..engine.view import report_of

    table, facts = table_of(counties)
    result = evaluate_columns(
        compile_standard(standard), table, facts, counties=[c.name for c in counties]
    )
    return report_of(result), result


def compare_years(
    reports: Mapping[int, Report],
    *,
    renamed: Mapping[str, str] | None = None,
    notes: Iterable[YearNote] = (),
) -> Monitoring:
    """Compare ready evaluations, one :class:`Report` per year."""
    years = tuple(sorted(reports))
    snapshots = {year: report_years(reports[year], year) for year in years}
    return compare_snapshots(
        years,
        snapshots,
        {year: reports[year].standard for year in years},
        renamed=renamed,
        notes=notes,
        reports=tuple((year, reports[year]) for year in years),
    )


def compare_snapshots(
    years: tuple[int, ...],
    snapshots: Mapping[int, Mapping[str, CountyYear]],
    standards: Mapping[int, Standard],
    *,
    renamed: Mapping[str, str] | None = None,
    notes: Iterable[YearNote] = (),
    reports: tuple[tuple[int, Report], ...] = (),
) -> Monitoring:
    """The comparison itself, over reduced results (also fed by the columnar path)."""
    with paused():
        return _compare(years, snapshots, standards, renamed, notes, reports)


def _compare(
    years: tuple[int, ...],
    snapshots: Mapping[int, Mapping[str, CountyYear]],
    standards: Mapping[int, Standard],
    renamed: Mapping[str, str] | None,
    notes: Iterable[YearNote],
    reports: tuple[tuple[int, Report], ...],
) -> Monitoring:
    trends = county_trends(years, snapshots, standards, renamed)
    return assemble(years, standards, trends, notes, reports)


def standard_notes(years: tuple[int, ...], standards: Mapping[int, Standard]) -> list[YearNote]:
    """A note for each pair of consecutive years evaluated under different standards."""
    found = []
    for before, after in itertools.pairwise(years):
        if standards[before].id != standards[after].id:
            found.append(
                YearNote(
                    code="standard_changed",
                    year=after,
                    message=f"{before} 年按 {standards[before].id} 评估，{after} 年按 "
                    f"{standards[after].id} 评估：上限和指标可能不同，结论不能直接对比",
                    message_en=f"{before} is evaluated by {standards[before].id}, {after} by "
                    f"{standards[after].id}: caps and indicators may differ",
                )
            )
    return found


def county_trends(
    years: tuple[int, ...],
    snapshots: Mapping[int, Mapping[str, CountyYear]],
    standards: Mapping[int, Standard],
    renamed: Mapping[str, str] | None,
) -> list[CountyTrend]:
    """Each county's trend over *years* (every county of *snapshots*, by name).

    Counties are compared independently, so any set of counties can be compared
    on its own (a Dask worker compares its counties) and the trends joined.
    """
    renamed = dict(renamed or {})
    compiled = {year: compile_warnings(standards[year]) for year in years}
    names: dict[str, None] = {}
    for year in years:
        names.update(dict.fromkeys(snapshots[year]))
    trends = []
    for name in sorted(names):
        history = tuple((year, snapshots[year].get(name)) for year in years)
        county_notes = [
            YearNote(
                code="county_missing",
                year=year,
                county=name,
                message=f"{name} 没有 {year} 年的数据（其他年份有），该年未评估",
                message_en=f"{name} has no data for {year} (it has for other years); "
                "that year is not evaluated",
            )
            for year, data in history
            if data is None
        ]
        trends.append(_county_trend(name, history, compiled, renamed, county_notes))
    return trends


def assemble(
    years: tuple[int, ...],
    standards: Mapping[int, Standard],
    trends: Sequence[CountyTrend],
    notes: Iterable[YearNote] = (),
    reports: tuple[tuple[int, Report], ...] = (),
) -> Monitoring:
    """The :class:`Monitoring` of county trends (sorted by county name): notes, overview."""
    all_notes = list(notes) + standard_notes(years, standards)
    trends_t = tuple(trends)
    for trend in trends_t:
        all_notes += trend.notes
    return Monitoring(
        years=years,
        reports=reports,
        standards=tuple((year, standards[year].id) for year in years),
        counties=trends_t,
        overview=_overview(trends_t),
        notes=tuple(all_notes),
    )


# -- one county ------------------------------------------------------------------------


def _direction(before: float, after: float) -> Direction:
    # Floats order exactly as their shortest decimal forms do.
    return "up" if after > before else "down" if after < before else "flat"


def _series(history: Sequence[tuple[int, CountyYear | None]]) -> tuple[CVSeries, ...]:
    keys: dict[tuple[str, str, str], bool] = {}
    for _, data in history:
        for point in data.coefficients if data else ():
            keys.setdefault((point.rule, point.level, point.indicator), point.composite)
    by_year = [
        (year, {(p.rule, p.level, p.indicator): p for p in (data.coefficients if data else ())})
        for year, data in history
    ]
    series = []
    for key, composite in keys.items():
        rule, level, indicator = key
        points: list[tuple[int, CVPoint | None]] = [
            (year, found.get(key)) for year, found in by_year
        ]
        values = [p.value for _, p in points if p is not None and p.value is not None]
        direction = _direction(values[-2], values[-1]) if len(values) >= 2 else None
        changes: list[tuple[int, Direction | None]] = []
        last: float | None = None
        for year, known in points:
            if known is None or known.value is None:
                changes.append((year, None))
                continue
            changes.append((year, None if last is None else _direction(last, known.value)))
            last = known.value
        series.append(
            CVSeries(
                rule=rule,
                level=level,
                indicator=indicator,
                composite=composite,
                points=tuple(points),
                direction=direction,
                changes=tuple(changes),
            )
        )
    return tuple(series)


def _movements(series: Iterable[CVSeries]) -> list[Movement]:
    moves = []
    for s in series:
        known = [(y, p) for y, p in s.points if p is not None and p.value is not None]
        for (y0, p0), (y1, p1) in itertools.pairwise(known):
            assert p0.value is not None and p1.value is not None
            if p1.max is None:
                continue
            change: Literal["toward", "past", "back"] | None = None
            if p0.passed is True and p1.passed is False:
                change = "past"
            elif p0.passed is False and p1.passed is True:
                change = "back"
            elif p1.passed is True and p1.value > p0.value:
                change = "toward"
            if change is not None:
                moves.append(
                    Movement(
                        rule=s.rule,
                        level=s.level,
                        indicator=s.indicator,
                        composite=s.composite,
                        from_year=y0,
                        to_year=y1,
                        before=p0.value,
                        after=p1.value,
                        max=p1.max,
                        change=change,
                    )
                )
    order = {"past": 0, "toward": 1, "back": 2}
    moves.sort(key=lambda m: (order[m.change], m.to_year, m.level, m.indicator))
    return moves


def _schools(data: CountyYear) -> dict[str, SectionState]:
    """The first section of each school (its name and type)."""
    first: dict[str, SectionState] = {}
    for section in data.sections:
        first.setdefault(section.school_id, section)
    return first


def _link(
    prev: CountyYear, cur: CountyYear, renamed: Mapping[str, str]
) -> tuple[dict[str, str], list[Presence], set[str]]:
    """Old id → id this year, the presence events, and ids that were reused."""
    old, new = _schools(prev), _schools(cur)
    year = cur.year
    link: dict[str, str] = {}
    events: list[Presence] = []
    reused: set[str] = set()
    targets: dict[str, list[str]] = {}
    for school_id in old:
        if school_id in new:
            target = school_id
        else:
            mapped = renamed.get(school_id)
            target = mapped if mapped is not None and mapped in new else ""
        if target:
            targets.setdefault(target, []).append(school_id)
    merged_into = {sub: s.school_id for s in new.values() for sub in s.merged}
    for school_id, section in old.items():
        mapped = renamed.get(school_id)
        if school_id in new:
            now = new[school_id]
            if now.name != section.name and now.school_type != section.school_type:
                reused.add(school_id)
                events.append(
                    Presence(
                        school_id=school_id,
                        name=now.name,
                        year=year,
                        event="id_reused",
                        detail=f"{section.name} ({section.school_type}) → "
                        f"{now.name} ({now.school_type})",
                    )
                )
                continue
            link[school_id] = school_id
        elif mapped is not None and mapped in new:
            if len(targets[mapped]) > 1 or mapped in old:
                events.append(
                    Presence(
                        school_id=school_id, name=section.name, year=year, event="merged",
                        other=mapped,
                    )
                )  # fmt: skip
            else:
                link[school_id] = mapped
                events.append(
                    Presence(
                        school_id=school_id, name=section.name, year=year, event="renamed",
                        other=mapped,
                    )
                )  # fmt: skip
        elif school_id in merged_into:
            events.append(
                Presence(
                    school_id=school_id, name=section.name, year=year, event="merged",
                    other=merged_into[school_id],
                )
            )  # fmt: skip
        else:
            events.append(
                Presence(school_id=school_id, name=section.name, year=year, event="closed")
            )
    arrived = set(link.values()) | {e.other for e in events if e.event == "merged"}
    for school_id, section in new.items():
        if school_id not in arrived and (school_id not in old or school_id in reused):
            if school_id in reused:
                continue
            events.append(
                Presence(school_id=school_id, name=section.name, year=year, event="opened")
            )
    return link, events, reused


def _flips(prev: CountyYear, cur: CountyYear, link: Mapping[str, str]) -> list[Flip]:
    now = {(s.school_id, s.level): s for s in cur.sections}
    flips = []
    for before in prev.sections:
        target = link.get(before.school_id)
        after = now.get((target, before.level)) if target is not None else None
        if after is None or after.passed == before.passed:
            continue
        if after.passed is False:
            causes = tuple(i for i in after.failing if i not in before.failing)
        elif before.passed is False:
            causes = tuple(i for i in before.failing if i not in after.failing)
        else:
            causes = ()
        flips.append(
            Flip(
                school_id=after.school_id,
                name=after.name,
                level=after.level,
                from_year=prev.year,
                to_year=cur.year,
                before=before.passed,
                after=after.passed,
                causes=causes or after.failing,
            )
        )
    return flips


def _renamed_prev(prev: CountyYear, link: Mapping[str, str]) -> CountyYear:
    """Last year's result with this year's ids (unlinked sections dropped)."""
    sections = []
    changed = False
    for s in prev.sections:
        target = link.get(s.school_id)
        if target is None:
            changed = True
            continue
        if target != s.school_id:
            changed = True
            s = attrs.evolve(s, school_id=target)
        sections.append(s)
    if not changed:
        return prev
    return attrs.evolve(prev, sections=tuple(sections))


def _headline(
    history: Sequence[tuple[int, CountyYear | None]], series: Sequence[CVSeries], national: bool
) -> Headline | None:
    known = [(y, d) for y, d in history if d is not None]
    if not known:
        return None
    year = known[-1][0]
    previous = known[-2][0] if len(known) >= 2 else None
    capped_composites = [
        s for s in series if s.composite and dict(s.points).get(year) and _capped(s, year)
    ]
    chosen = capped_composites or [s for s in series if not s.composite and _capped(s, year)]
    parts: list[tuple[str, float, Decimal, bool | None]] = []
    directions: set[Direction | None] = set()
    levels: dict[str, None] = dict.fromkeys(s.level for s in chosen)
    for level in levels:
        candidates = []
        for s in chosen:
            point = dict(s.points)[year]
            if s.level == level and point is not None and point.value is not None:
                candidates.append((s, point))
        if not candidates:
            continue
        s, point = max(candidates, key=lambda c: _ratio(c[1]))
        assert point.value is not None and point.max is not None
        parts.append((level, point.value, point.max, point.passed))
        before = dict(s.points).get(previous) if previous is not None else None
        directions.add(
            _direction(before.value, point.value)
            if before is not None and before.value is not None
            else None
        )
    if not parts:
        return None
    direction = directions.pop() if len(directions) == 1 else None
    return Headline(
        year=year,
        composite=bool(capped_composites),
        parts=tuple(parts),
        all_passed=all(p[3] is True for p in parts),
        direction=direction,
        national=national,
    )


def _capped(series: CVSeries, year: int) -> bool:
    point = dict(series.points).get(year)
    return point is not None and point.max is not None and point.value is not None


def _ratio(point: CVPoint) -> float:
    """CV ÷ cap, for ranking and display only (decisions are the core's)."""
    if point.value is None or point.max is None or point.max == 0:
        return -1.0
    return point.value / float(point.max)


def _county_trend(
    name: str,
    history: tuple[tuple[int, CountyYear | None], ...],
    compiled: Mapping[int, Compiled],
    renamed: Mapping[str, str],
    notes: list[YearNote],
) -> CountyTrend:
    series = _series(history)
    flips: list[Flip] = []
    presence: list[Presence] = []
    warnings: list[EarlyWarningHit] = []
    known = [(y, d) for y, d in history if d is not None]
    previous: CountyYear | None = None
    for year, data in known:
        last_year = None
        if previous is not None:
            link, events, reused = _link(previous, data, renamed)
            presence += events
            flips += _flips(previous, data, link)
            last_year = _renamed_prev(previous, link)
            notes += [
                YearNote(
                    code="id_reused",
                    year=year,
                    county=name,
                    message=f"{name}：学校标识码 {school_id} 在 {previous.year} 与 {year} 年"
                    "名称和类型都不同，按两所学校处理，请核实",
                    message_en=f"{name}: school id {school_id} has another name and type in "
                    f"{year} than in {previous.year}; treated as two schools, please check",
                )
                for school_id in sorted(reused)
            ]
        warnings += run_warnings(compiled[year], data, last_year)
        previous = data
    flips.sort(key=lambda f: (f.after is not False, f.to_year, f.school_id, f.level))
    warnings.sort(
        key=lambda w: (w.year, w.severity != "red", w.rule, w.level or "", w.school_id or "")
    )
    national = bool(known) and known[-1][1].standard.startswith("national/")
    return CountyTrend(
        county=name,
        years=history,
        coefficients=series,
        flips=tuple(flips),
        movements=tuple(_movements(series)),
        presence=tuple(presence),
        warnings=tuple(warnings),
        headline=_headline(history, series, national),
        notes=tuple(notes),
    )


# -- overview --------------------------------------------------------------------------

_VERDICT_RANK = {"fail": 0, "incomplete": 1, None: 2, "pass": 3}


def _overview(trends: Sequence[CountyTrend]) -> tuple[OverviewRow, ...]:
    rows = []
    for trend in trends:
        known = [(y, d) for y, d in trend.years if d is not None]
        latest_year, latest = known[-1] if known else (None, None)
        worst: CVPoint | None = None
        for point in latest.coefficients if latest else ():
            if point.value is None or point.max is None:
                continue
            if worst is None or _ratio(point) > _ratio(worst):
                worst = point
        current = [w for w in trend.warnings if w.year == latest_year]
        rows.append(
            (
                trend,
                latest.verdict if latest else None,
                worst,
                sum(w.severity == "red" for w in current),
                sum(w.severity == "yellow" for w in current),
                sum(f.to_year == latest_year and f.after is False for f in trend.flips),
            )
        )
    rows.sort(
        key=lambda r: (
            _VERDICT_RANK[r[1]],
            -r[3],
            -(_ratio(r[2]) if r[2] is not None else -1.0),
            -r[4],
            r[0].county,
        )
    )
    return tuple(
        OverviewRow(
            cells=_cells(trend),
            county=trend.county,
            verdicts=tuple((y, d.verdict if d else None) for y, d in trend.years),
            latest=latest,
            worst_rule=worst.rule if worst else None,
            worst_level=worst.level if worst else None,
            worst_indicator=worst.indicator if worst else None,
            worst_value=worst.value if worst else None,
            worst_max=worst.max if worst else None,
            red=red,
            yellow=yellow,
            flips_to_fail=flips,
            urgency=rank,
        )
        for rank, (trend, latest, worst, red, yellow, flips) in enumerate(rows, start=1)
    )


def _cells(trend: CountyTrend) -> tuple[OverviewCell, ...]:
    cells = []
    for year, data in trend.years:
        ratios = [
            _ratio(p)
            for p in (data.coefficients if data else ())
            if p.value is not None and p.max is not None and p.max != 0
        ]
        cells.append(
            OverviewCell(
                year=year,
                verdict=data.verdict if data else None,
                worst_ratio=max(ratios) if ratios else None,
                warnings=sum(w.year == year for w in trend.warnings),
            )
        )
    return tuple(cells)
