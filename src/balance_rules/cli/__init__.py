"""The ``balance-rules`` command: argument parsing and exit codes only.

Each subcommand lives in its own module with ``add_parser`` (or ``add_parsers``)
and a ``run(args, streams) -> int``; :data:`COMMANDS` maps a subcommand name to
its ``run``.  Adding a subcommand is a module and two lines here.

Exit status: 0 every county passes (or the files are valid, or two standards do
not differ), 1 a county fails or is incomplete (or the standards differ), 2 bad
input or usage (one message on stderr, no traceback), 3 an unexpected internal
error (a bug: one paragraph saying how to report it; the traceback only with
``--debug``), 130 interrupted by Ctrl-C, 141 the reader of a pipe stopped.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import TextIO

from .._version import __version__
from ..errors import BalanceRulesError, Problem
from . import check_data, evaluate, standards
from . import monitor as monitor_command
from . import shortfall as shortfall_command
from .common import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Streams,
    clean_message,
)

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
    "monitor": monitor_command.run,
    "shortfall": shortfall_command.run,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="balance-rules",
        description="Evaluate county school data against compulsory-education balance "
        "standards (义务教育均衡发展督导评估).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="on an unexpected internal error, print the full traceback",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    evaluate.add_parser(commands)
    check_data.add_parser(commands)
    standards.add_parsers(commands)
    monitor_command.add_parser(commands)
    shortfall_command.add_parser(commands)
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


_clean = clean_message


def _internal_error_text(error: BaseException, command: str | None) -> str:
    """One paragraph for a bug: what happened, and how to report it."""
    where = f" while running `balance-rules {command}`" if command else ""
    return _clean(
        f"balance-rules: 内部错误 (internal error){where}: {type(error).__name__}: {error}\n"
        "This is a bug in balance-rules, not a problem with your files. Please report it "
        "to the balance-rules maintainers (the project's issue tracker) with the command "
        f"you ran, the version ({__version__}) and, if you can, the input files; run "
        "the command again with `balance-rules --debug ...` to include the full "
        "traceback. Your input files were not changed, and an --output file is either "
        "complete or untouched.\n"
    )


def _error_text(error: BaseException, lang: str = "zh", limit: int = 0) -> str:
    """Every problem of *error* in *lang*; with a *limit*, the rest counted and named."""
    from ..messages import to_chinese

    problems: Sequence[Problem] = getattr(error, "problems", ())
    summary_text = getattr(error, "summary_text", None)
    summary = summary_text(lang) if summary_text is not None else None
    if problems:
        cut = problems[:limit] if limit > 0 else problems
        shown = [p.render(lang) for p in cut]
        if len(problems) > len(cut):
            more = len(problems) - len(cut)
            shown.append(
                f"…… 另有 {more} 个问题（--limit 0 列出全部）"
                if lang == "zh"
                else f"... and {more} more (--limit 0 lists them all)"
            )
        head = summary or ("错误" if lang == "zh" else "error")
        return f"balance-rules: {head}\n  " + "\n  ".join(shown) + "\n"
    text = to_chinese(str(error)) if lang == "zh" else str(error)
    return f"balance-rules: {text}\n"


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
        stderr.write(
            _clean(_error_text(exc, getattr(args, "lang", "zh"), getattr(args, "limit", 0) or 0))
        )
        return EXIT_USAGE
    except BrokenPipeError:  # the reader stopped early (| head): stop quietly
        _silence(stdout)
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:  # Ctrl-C: stop quietly, as a shell reports it
        return EXIT_INTERRUPTED
    except RecursionError as exc:  # input nested beyond what the checks allowed
        return _internal(exc, args, stderr)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        stderr.write(_clean(f"balance-rules: {where}{exc.strerror or exc}\n"))
        return EXIT_USAGE
    except Exception as exc:  # a bug: never exit 1, which means "a county fails"
        return _internal(exc, args, stderr)


def _internal(exc: BaseException, args: argparse.Namespace, stderr: TextIO) -> int:
    if getattr(args, "debug", False):
        stderr.write(_clean("".join(traceback.format_exception(exc))))
    stderr.write(_internal_error_text(exc, getattr(args, "command", None)))
    return EXIT_INTERNAL
