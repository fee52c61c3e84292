"""``balance-rules shortfall``: the least additions, school by school, to pass.

Exit status: 0 when, with the plan applied, every county passes; 1 when a county
would still fail or be incomplete (for items no addition can fix: county facts,
class sizes, missing data — each listed); 2 bad input.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from ..data.facts import standard_facts
from ..data.fields import NUMERIC_FIELDS, TEXT_FIELDS
from ..data.model import School
from ..data.readers import read_counties
from ..errors import DataError, Problem
from ..shortfall.apply import apply_to_schools
from ..shortfall.costs import load_costs
from ..shortfall.planner import plan_shortfall
from ..standard.loader import load_standard
from .common import EXIT_FAIL, EXIT_OK, Streams, data_options, read_table
from .output import choose_format, open_output

__all__ = ["FORMATS", "add_parser", "run", "write_schools_csv"]

DEFAULT_STANDARD = "national/quality-2017"
FORMATS = ("text", "json", "csv", "xlsx", "html")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sf = commands.add_parser(
        "shortfall",
        help="the least additions per school (teachers, m², computers, books, equipment) "
        "that make each county pass",
    )
    sf.add_argument("schools", metavar="SCHOOLS", help="school table: .xlsx, .csv, .json or .yaml")
    data_options(sf)
    sf.add_argument(
        "--standard",
        default=DEFAULT_STANDARD,
        metavar="ID|PATH",
        help=f"bundled standard id or a YAML file (default {DEFAULT_STANDARD})",
    )
    sf.add_argument("--costs", metavar="COSTS", help="unit costs (YAML, docs/costs-format.md)")
    sf.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="text (default), json, csv, xlsx or html; without it the --output suffix decides",
    )
    sf.add_argument("--output", metavar="FILE", help="write the plan here instead of stdout")
    sf.add_argument(
        "--write-applied",
        metavar="FILE",
        help="also write the school table with every addition applied (CSV, canonical "
        "columns), ready for `balance-rules evaluate`",
    )
    sf.add_argument("--lang", choices=("zh", "en"), default="zh", help="labels: zh (default) or en")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_schools_csv(schools: Sequence[School], stream: TextIO) -> None:
    """The school table in canonical columns (extra columns after them)."""
    extras = sorted({name for s in schools for name in s.extra})
    numeric = [n for n in NUMERIC_FIELDS if n != "counted_as_school"]
    header = [*TEXT_FIELDS, "counted_as_school", *numeric, *extras]
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(header)
    for school in schools:
        row = [_cell(getattr(school, name)) for name in TEXT_FIELDS]
        row.append(_cell(school.counted_as_school))
        row += [_cell(getattr(school, name)) for name in numeric]
        row += [_cell(school.extra.get(name)) for name in extras]
        writer.writerow(row)


def _table_units(table: object) -> dict[str, tuple[str, Decimal]]:
    """Columns the input states in a scaled unit (教学仪器设备资产值（万元）→ 万元, 10000)."""
    units: dict[str, tuple[str, Decimal]] = {}
    for info in getattr(table, "columns", ()):
        field = getattr(info, "field", None)
        factor = getattr(info, "factor", Decimal(1))
        unit = getattr(info, "unit", None)
        if field and unit and factor != 1:
            units[str(field)] = (str(unit), Decimal(factor))
    return units


def _inputs(args: argparse.Namespace) -> list[str | None]:
    standard = args.standard if args.standard and Path(args.standard).exists() else None
    return [args.schools, args.facts, args.mapping, args.costs, standard]


def run(args: argparse.Namespace, streams: Streams) -> int:
    args.format = choose_format(args.format, args.output, FORMATS)
    if args.write_applied and Path(args.write_applied).suffix.lower() not in (".csv", ""):
        raise DataError(
            [
                Problem(
                    "--write-applied writes a CSV school table; give it a .csv name",
                    file=args.write_applied,
                )
            ]
        )
    standard = load_standard(args.standard)
    costs = load_costs(args.costs) if args.costs else None
    table = read_table(args)
    for warning in table.warnings:
        streams.warn(f"warning: {warning}")
    counties = read_counties(
        table, args.facts, encoding=args.encoding, known=standard_facts(standard)
    )
    plan = plan_shortfall(standard, counties, costs)
    if args.format == "json":
        from ..render.shortfall import render_shortfall_json

        text = render_shortfall_json(plan, standard, _table_units(table))
    elif args.format == "csv":
        from ..render.shortfall import render_shortfall_csv

        text = render_shortfall_csv(plan, bom=bool(args.output))
    elif args.format in ("html", "xlsx"):
        from ..render.shortfall_report import render_shortfall_html, write_shortfall_xlsx

        if args.format == "xlsx":
            with open_output(args.output, streams.stdout, inputs=_inputs(args), binary=True) as raw:
                write_shortfall_xlsx(plan, standard, raw, lang=args.lang)
            return _status(plan, args, table.schools, streams)
        text = render_shortfall_html(plan, standard, lang=args.lang)
    else:
        from ..render.shortfall import render_shortfall_text

        text = render_shortfall_text(plan, standard, lang=args.lang)
    with open_output(args.output, streams.stdout, inputs=_inputs(args)) as stream:
        stream.write(text)
    return _status(plan, args, table.schools, streams)


def _status(
    plan: object, args: argparse.Namespace, schools: Sequence[School], streams: Streams
) -> int:
    from ..shortfall.model import ShortfallPlan

    assert isinstance(plan, ShortfallPlan)
    if args.write_applied:
        additions = [a for c in plan.counties for a in c.additions]
        applied = apply_to_schools(schools, additions)
        applied_inputs = [*_inputs(args), args.output]  # nor over the plan just written
        with open_output(
            args.write_applied, streams.stdout, inputs=applied_inputs, option="--write-applied"
        ) as stream:
            write_schools_csv(applied, stream)
    return EXIT_OK if all(c.verdict_after == "pass" for c in plan.counties) else EXIT_FAIL
