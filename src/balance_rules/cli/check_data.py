"""``balance-rules check-data``: every problem in a school table, without evaluating."""

from __future__ import annotations

import argparse

from ..data.readers import read_counties
from .common import EXIT_OK, Streams, data_options, read_table

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cd = commands.add_parser(
        "check-data", help="check a school table (and facts) and list every problem"
    )
    cd.add_argument("schools", metavar="SCHOOLS")
    data_options(cd)


def run(args: argparse.Namespace, streams: Streams) -> int:
    table = read_table(args)
    counties = read_counties(table, args.facts, encoding=args.encoding)
    for warning in table.warnings:
        streams.stderr.write(f"warning: {warning}\n")
    sections = sum(len(c.schools) for c in counties)
    streams.stdout.write(
        f"{table.file}: ok — {sections} schools in {len(counties)} "
        f"count{'y' if len(counties) == 1 else 'ies'}"
        + (f", facts for {sum(1 for c in counties if c.facts)}" if args.facts else "")
        + "\n"
    )
    return EXIT_OK
