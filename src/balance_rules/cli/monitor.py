"""``balance-rules monitor``: several years evaluated, each under its standard, and compared."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from ..errors import BalanceRulesError, DataError, Problem
from ..monitor.core import DEFAULT_STANDARD, monitor
from ..monitor.model import YearNote
from ..monitor.reading import read_renamed, read_years
from ..render.monitor import note_text, render_monitor_csv, render_monitor_json, render_monitor_text
from ..standard.loader import load_standard
from ..standard.model import Standard
from .common import EXIT_FAIL, EXIT_OK, Streams
from .output import choose_format, open_output

__all__ = ["FORMATS", "add_parser", "run"]

FORMATS = ("text", "json", "csv", "xlsx", "html")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mo = commands.add_parser(
        "monitor",
        help="annual monitoring: several years side by side, trends, flips, early warnings",
    )
    mo.add_argument(
        "data",
        metavar="DATA",
        nargs="+",
        help="school tables, one per year (year from --year, the file name, e.g. "
        "schools-2023.csv, or a year column), or one file with a year column (年份)",
    )
    mo.add_argument(
        "--facts",
        metavar="FACTS",
        nargs="+",
        default=[],
        help="county facts per year (year in the file name); one file without a year applies "
        "to every year. Give it after DATA (it takes every file that follows)",
    )
    mo.add_argument(
        "--year",
        metavar="YEAR",
        type=int,
        action="append",
        help="the year of each DATA file, in order (repeat: --year 2022 --year 2023)",
    )
    mo.add_argument(
        "--standard",
        default=None,
        metavar="ID|PATH",
        help=f"standard for every year (default {DEFAULT_STANDARD}); a layer with warning_* "
        "rules, e.g. monitoring/quality-2017-warnings, adds early warnings",
    )
    mo.add_argument(
        "--standard-for",
        metavar="YEAR=ID|PATH",
        action="append",
        default=[],
        help="the standard of one year (repeat), e.g. --standard-for 2016=national/basic-2012",
    )
    mo.add_argument(
        "--renamed",
        metavar="FILE",
        help="changed school ids, old → new: YAML {renamed: {old: new}} or a CSV with "
        "old_id,new_id (原学校标识码,新学校标识码)",
    )
    mo.add_argument("--sheet", metavar="NAME", help="worksheet of .xlsx files (default: first)")
    mo.add_argument("--mapping", metavar="FILE", help="YAML file mapping your headers")
    mo.add_argument("--encoding", help="text encoding of CSV input (default: detect)")
    mo.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="text (default), json, csv (every CV per county and year), xlsx (overview and "
        "one sheet per year; needs --output), html (trend charts). Without it, the --output "
        "suffix decides",
    )
    mo.add_argument("--output", metavar="FILE", help="write the report here instead of stdout")
    mo.add_argument("--lang", choices=("zh", "en"), default="zh", help="labels: zh (default) or en")


_YEAR_STANDARD = re.compile(r"^\s*((?:19|20)\d{2})\s*=\s*(.+?)\s*$")


def _standards(
    args: argparse.Namespace, years: list[int]
) -> tuple[Standard | dict[int, Standard], list[YearNote]]:
    """One standard, or one per year; a year whose standard cannot be loaded is noted."""
    default = load_standard(args.standard or DEFAULT_STANDARD)
    if not args.standard_for:
        return default, []
    notes: list[YearNote] = []
    chosen: dict[int, Standard] = {}
    for item in args.standard_for:
        match = _YEAR_STANDARD.match(item)
        if match is None:
            raise DataError(
                [
                    Problem(
                        f"--standard-for {item!r}: write YEAR=STANDARD, "
                        "e.g. 2023=national/quality-2017"
                    )
                ]
            )
        year, ref = int(match[1]), match[2]
        if year in chosen:
            raise DataError([Problem(f"--standard-for gives {year} twice")])
        if year not in years:
            notes.append(
                YearNote(
                    code="standard_without_data",
                    year=year,
                    message=f"--standard-for {year}：没有 {year} 年的数据",
                    message_en=f"--standard-for {year}: there is no data for {year}",
                )
            )
            continue
        try:
            chosen[year] = load_standard(ref)
        except BalanceRulesError as exc:
            notes.append(
                YearNote(
                    code="no_standard",
                    year=year,
                    message=f"{year} 年的标准无法读取，该年未评估：{exc}",
                    message_en=f"the standard for {year} cannot be loaded; {year} is not "
                    f"evaluated: {exc}",
                )
            )
    by_year: dict[int, Standard] = {}
    for year in years:
        if year in chosen:
            by_year[year] = chosen[year]
        elif not any(n.code == "no_standard" and n.year == year for n in notes):
            by_year[year] = default
    return by_year, notes


def _known_facts(args: argparse.Namespace) -> frozenset[str]:
    """Facts the run's standards read (a standard's own fact is no typo)."""
    from ..data.facts import standard_facts

    refs = [args.standard or DEFAULT_STANDARD]
    refs += [item.partition("=")[2] for item in args.standard_for or ()]
    names: set[str] = set()
    for ref in refs:
        try:
            names |= standard_facts(load_standard(ref))
        except BalanceRulesError:  # reported where the standard is used
            continue
    return frozenset(names)


def run(args: argparse.Namespace, streams: Streams) -> int:
    args.format = choose_format(args.format, args.output, FORMATS)
    from ..data.readers import load_mapping

    mapping = load_mapping(args.mapping) if args.mapping else None
    data = read_years(
        args.data,
        years=args.year,
        facts=args.facts,
        encoding=args.encoding,
        sheet=args.sheet,
        mapping=mapping,
        known=_known_facts(args),
    )
    for warning in data.warnings:
        streams.warn(f"warning: {warning}")
    standard, notes = _standards(args, sorted(data.counties))
    renamed = read_renamed(args.renamed) if args.renamed else None
    result = monitor(
        {year: list(counties) for year, counties in data.counties.items()},
        standard,
        renamed=renamed,
        notes=notes,
    )
    for note in result.notes:
        streams.warn(f"warning: {note_text(note, args.lang)}")
    inputs = [
        *args.data,
        *args.facts,
        args.mapping,
        args.renamed,
        *(s for s in [args.standard] if s and Path(s).exists()),
        *(item.partition("=")[2] for item in args.standard_for or ()),
    ]
    if args.format == "xlsx":
        from ..render.monitor_xlsx import write_monitor_xlsx

        with open_output(args.output, streams.stdout, inputs=inputs, binary=True) as raw:
            write_monitor_xlsx(result, raw, lang=args.lang)
    else:
        if args.format == "json":
            text = render_monitor_json(result, args.lang)
        elif args.format == "csv":
            text = render_monitor_csv(result, bom=bool(args.output))
        elif args.format == "html":
            from ..render.monitor_html import render_monitor_html

            text = render_monitor_html(result, args.lang)
        else:
            text = render_monitor_text(result, args.lang)
        with open_output(args.output, streams.stdout, inputs=inputs) as stream:
            stream.write(text)
    return EXIT_OK if result.passed else EXIT_FAIL
