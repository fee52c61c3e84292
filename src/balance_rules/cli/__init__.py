"""The ``balance-rules`` command: argument parsing and exit codes only.

Each subcommand lives in its own module with ``add_parser`` (or ``add_parsers``)
and a ``run(args, streams) -> int``; :data:`COMMANDS` maps a subcommand name to
its ``run``.  Adding a subcommand is a module and two lines here.

Exit status: 0 every county passes (or the files are valid, or two standards do
not differ), 1 a county fails or is incomplete (or the standards differ), 2 bad
input or usage (one message on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from .._version import __version__
from ..errors import BalanceRulesError, Problem
from . import check_data, evaluate, standards
from .common import EXIT_BROKEN_PIPE, EXIT_USAGE, Streams

__all__ = ["COMMANDS", "main"]

Command = Callable[[argparse.Namespace, Streams], int]

#: Subcommand name → the function that runs it.
COMMANDS: dict[str, Command] = {
    "evaluate": evaluate.run,
    "check-data": check_data.run,
    "validate": standards.run_validate,
    "show": standards.run_show,
    "diff": standards.run_diff,
    "test": standards.run_test,
    "list": standards.run_list,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="balance-rules",
        description="Evaluate county school data against compulsory-education balance "
        "standards (义务教育均衡发展督导评估).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    evaluate.add_parser(commands)
    check_data.add_parser(commands)
    standards.add_parsers(commands)
    return parser


def _silence(stream: TextIO) -> None:
    """Point a closed pipe at /dev/null so that flushing it at exit raises nothing."""
    try:
        fileno = stream.fileno()
    except (OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)


def _error_text(error: BaseException) -> str:
    problems: Sequence[Problem] = getattr(error, "problems", ())
    summary = getattr(error, "summary", None)
    if problems:
        shown = [str(p) for p in problems[:50]]
        if len(problems) > 50:
            shown.append(f"... and {len(problems) - 50} more")
        head = summary or "error"
        return f"balance-rules: {head}\n  " + "\n  ".join(shown) + "\n"
    return f"balance-rules: {error}\n"


def main(
    argv: Sequence[str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line; returns the exit status."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    for stream in (stdout, stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and (getattr(stream, "encoding", "") or "").lower() not in (
            "utf-8",
            "utf8",
        ):
            reconfigure(encoding="utf-8")
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args, Streams(stdout, stderr))
    except BalanceRulesError as exc:
        stderr.write(_error_text(exc))
        return EXIT_USAGE
    except BrokenPipeError:  # the reader stopped early (| head): stop quietly
        _silence(stdout)
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        stderr.write(f"balance-rules: {exc.filename or ''}: {exc.strerror or exc}\n")
        return EXIT_USAGE
