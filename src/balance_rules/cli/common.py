"""What every subcommand shares: exit codes, data options, reading the school table."""

from __future__ import annotations

import argparse
import re
from typing import TextIO

import attrs

from ..data.readers import SchoolTable, load_mapping, read_school_table

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_FAIL",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Streams",
    "clean_message",
    "data_options",
    "read_table",
]

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
#: An unexpected internal error (a bug): never 1, which means "a county fails".
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a process killed by it


#: Control characters (terminal escapes, bidirectional overrides) never reach the
#: terminal from data quoted in a message; newline and tab are kept.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_message(text: str) -> str:
    """*text* without control characters (for messages that quote input data)."""
    return _CONTROL.sub("", text)


@attrs.frozen
class Streams:
    """Where a subcommand writes: its report to ``stdout``, messages to ``stderr``."""

    stdout: TextIO
    stderr: TextIO

    def warn(self, text: str) -> None:
        """One message line on stderr, cleaned of control characters from the data."""
        self.stderr.write(clean_message(text.rstrip("\n")) + "\n")


def data_options(parser: argparse.ArgumentParser) -> None:
    """--facts, --sheet, --mapping, --encoding: how to read SCHOOLS and FACTS."""
    parser.add_argument(
        "--facts", metavar="FACTS", help="county facts: .yaml, .json, .csv or .xlsx"
    )
    parser.add_argument(
        "--sheet", metavar="NAME", help="worksheet of an .xlsx file (default: first)"
    )
    parser.add_argument(
        "--mapping", metavar="FILE", help="YAML file mapping your headers to canonical columns"
    )
    parser.add_argument("--encoding", help="text encoding of CSV input (default: detect)")


def read_table(args: argparse.Namespace, skip_bad_rows: bool = False) -> SchoolTable:
    """The school table named by ``args.schools`` with the data options."""
    mapping = load_mapping(args.mapping) if args.mapping else None
    return read_school_table(
        args.schools,
        encoding=args.encoding,
        sheet=args.sheet,
        mapping=mapping,
        skip_bad_rows=skip_bad_rows,
    )
