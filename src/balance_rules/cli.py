"""The ``balance-rules`` command: argument parsing and exit codes only.

Exit status: 0 every county passes (or the files are valid, or two standards do
not differ), 1 a county fails or is incomplete (or the standards differ), 2 bad
input or usage (one message on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

import attrs

from . import __version__
from .data.columns import ColumnTable, read_columns
from .data.readers import (
    SchoolTable,
    SkippedRow,
    load_mapping,
    read_counties,
    read_facts,
    read_school_table,
)
from .engine.columnar import evaluate_columns
from .engine.plan import compile_standard, evaluate
from .errors import BalanceRulesError, DataError, Problem
from .flips import flip_report
from .render.csv import write_csv
from .render.diff import render_diff_json, render_diff_text
from .render.flips import render_flips_json, render_flips_text
from .render.json import render_json
from .render.jsonl import write_jsonl
from .render.markdown import render_markdown
from .render.progress import ProgressBar, interactive
from .render.show import render_show
from .render.text import render_text
from .standard.compare import diff_standards
from .standard.loader import bundled_ids, load_standard, validate_standard
from .testing.cases import case_files, run_case_file

__all__ = ["main"]

DEFAULT_STANDARD = "national/quality-2017"
EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a process killed by it


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="balance-rules",
        description="Evaluate county school data against compulsory-education balance "
        "standards (义务教育均衡发展督导评估).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ev = commands.add_parser("evaluate", help="evaluate a school table against a standard")
    ev.add_argument("schools", metavar="SCHOOLS", help="school table: .xlsx, .csv, .json or .yaml")
    _data_options(ev)
    ev.add_argument(
        "--standard",
        default=DEFAULT_STANDARD,
        metavar="ID|PATH",
        help=f"bundled standard id or a YAML file (default {DEFAULT_STANDARD})",
    )
    ev.add_argument(
        "--format",
        choices=("text", "json", "markdown", "csv", "jsonl"),
        default="text",
        help="text (default), json, markdown; for national runs csv or jsonl (JSON Lines, "
        "streamed county by county)",
    )
    ev.add_argument("--summary", action="store_true", help="with --format csv: one row per county")
    ev.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress on stderr (default: on a terminal when output goes to a file or "
        "the terminal, never when it is piped or in CI)",
    )
    ev.add_argument("--output", metavar="FILE", help="write the report here instead of stdout")
    ev.add_argument("--lang", choices=("zh", "en"), default="zh", help="labels: zh (default) or en")
    ev.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="evaluate without rows that have bad data, listing them in the report",
    )
    ev.add_argument(
        "--verbose", "-v", action="store_true", help="list every finding, not only problems"
    )

    cd = commands.add_parser(
        "check-data", help="check a school table (and facts) and list every problem"
    )
    cd.add_argument("schools", metavar="SCHOOLS")
    _data_options(cd)

    va = commands.add_parser("validate", help="check standard files and report every error")
    va.add_argument("standards", nargs="+", metavar="STANDARD")

    sh = commands.add_parser("show", help="the effective standard and where each value came from")
    sh.add_argument("standard", metavar="STANDARD")
    sh.add_argument("--lang", choices=("zh", "en"), default="zh")

    df = commands.add_parser("diff", help="every change between two standards")
    df.add_argument("old", metavar="A", help="bundled id or YAML file")
    df.add_argument("new", metavar="B", help="bundled id or YAML file")
    df.add_argument("--format", choices=("text", "json"), default="text")
    df.add_argument("--lang", choices=("zh", "en"), default="zh")
    df.add_argument(
        "--data",
        metavar="SCHOOLS",
        help="also evaluate this school table under both and list what flips",
    )
    df.add_argument("--facts", metavar="FACTS", help="county facts for --data")
    df.add_argument("--sheet", metavar="NAME", help="worksheet of an .xlsx --data file")
    df.add_argument("--encoding", help="text encoding of a CSV --data file")

    te = commands.add_parser(
        "test", help="run the test cases shipped beside standards (NAME.cases.yaml)"
    )
    te.add_argument(
        "targets",
        nargs="+",
        metavar="STANDARD_OR_DIR",
        help="bundled id, standard file, case file or folder of case files",
    )

    commands.add_parser("list", help="list the bundled standards")
    return parser


def _data_options(parser: argparse.ArgumentParser) -> None:
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


def _read_table(args: argparse.Namespace, skip_bad_rows: bool) -> SchoolTable:
    mapping = load_mapping(args.mapping) if args.mapping else None
    return read_school_table(
        args.schools,
        encoding=args.encoding,
        sheet=args.sheet,
        mapping=mapping,
        skip_bad_rows=skip_bad_rows,
    )


def _write(text: str, output: str | None, stdout: TextIO) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        stdout.write(text)


def _evaluate_columns(
    args: argparse.Namespace, stdout: TextIO, stderr: TextIO, bar: ProgressBar
) -> int:
    """National-scale path: columns in, CSV or JSON Lines streamed out."""
    plan = compile_standard(load_standard(args.standard))
    bar.stage("read", Path(args.schools).name)
    skipped: Sequence[SkippedRow] = ()
    if args.sheet or args.mapping or args.encoding or args.skip_bad_rows:
        table = _read_table(args, args.skip_bad_rows)
        for warning in table.warnings:
            stderr.write(f"warning: {warning}\n")
        skipped = table.skipped
        columns = ColumnTable.from_schools(table.schools)
    else:
        columns = read_columns(args.schools)
    facts = read_facts(args.facts, encoding=args.encoding) if args.facts else {}
    names = set(columns.text["county"].tolist())
    unknown = sorted(set(facts) - names)
    if unknown:
        raise DataError(
            [
                Problem(f"facts for county {n!r}, which has no schools", file=args.facts)
                for n in unknown
            ]
        )
    bar.stage("evaluate")
    result = evaluate_columns(plan, columns, facts)
    bar.stage("write")
    with _output(args.output, stdout) as stream:
        if args.format == "jsonl":
            write_jsonl(result, stream, lang=args.lang, skipped=skipped, progress=bar.update)
        else:
            write_csv(result, stream, summary=args.summary, progress=bar.update)
    return EXIT_OK if result.passed else EXIT_FAIL


@contextlib.contextmanager
def _output(path: str | None, stdout: TextIO) -> Iterator[TextIO]:
    """The --output file (complete or not there at all), else stdout."""
    if not path:
        yield stdout
        return
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as stream:
            yield stream
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def _show_progress(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> bool:
    """--progress / --no-progress, else: on a terminal, and never when output is piped.

    Output streamed to the terminal itself (csv, jsonl without --output) would be
    interleaved with the progress line, so none is drawn then either.
    """
    if args.progress is not None:
        return bool(args.progress)
    if not interactive(stderr):
        return False
    if args.output:
        return True
    return interactive(stdout) and args.format not in ("csv", "jsonl")


def _evaluate(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    shown = _show_progress(args, stdout, stderr)
    with ProgressBar(stderr, lang=args.lang, enabled=shown) as bar:
        if args.format in ("csv", "jsonl"):
            return _evaluate_columns(args, stdout, stderr, bar)
        standard = load_standard(args.standard)
        bar.stage("read", Path(args.schools).name)
        table = _read_table(args, args.skip_bad_rows)
        for warning in table.warnings:
            stderr.write(f"warning: {warning}\n")
        counties = read_counties(table, args.facts, encoding=args.encoding)
        bar.stage("evaluate")
        report = attrs.evolve(evaluate(standard, counties, bar.update), skipped=table.skipped)
    if args.format == "json":
        text = render_json(report, args.lang)
    elif args.format == "markdown":
        text = render_markdown(report, args.lang)
    else:
        text = render_text(report, args.lang, verbose=args.verbose)
    _write(text, args.output, stdout)
    return EXIT_OK if report.passed else EXIT_FAIL


def _check_data(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    table = _read_table(args, skip_bad_rows=False)
    counties = read_counties(table, args.facts, encoding=args.encoding)
    for warning in table.warnings:
        stderr.write(f"warning: {warning}\n")
    sections = sum(len(c.schools) for c in counties)
    stdout.write(
        f"{table.file}: ok — {sections} schools in {len(counties)} "
        f"count{'y' if len(counties) == 1 else 'ies'}"
        + (f", facts for {sum(1 for c in counties if c.facts)}" if args.facts else "")
        + "\n"
    )
    return EXIT_OK


def _validate(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    results = validate_standard(args.standards)
    bad = 0
    for name, problems in results.items():
        if problems:
            bad += 1
            stderr.write(f"{name}: invalid ({len(problems)} problem(s))\n")
            for problem in problems:
                stderr.write(f"  {problem}\n")
        else:
            stdout.write(f"{name}: ok\n")
    return EXIT_USAGE if bad else EXIT_OK


def _diff(args: argparse.Namespace, stdout: TextIO) -> int:
    old, new = load_standard(args.old), load_standard(args.new)
    changes = diff_standards(old, new)
    flips = None
    if args.data:
        table = read_school_table(args.data, encoding=args.encoding, sheet=args.sheet)
        flips = flip_report(old, new, read_counties(table, args.facts, encoding=args.encoding))
    if args.format == "json":
        if flips is None:
            stdout.write(render_diff_json(old, new, changes))
        else:
            combined = json.loads(render_diff_json(old, new, changes))
            combined["flips"] = json.loads(render_flips_json(flips))
            stdout.write(json.dumps(combined, ensure_ascii=False, indent=2) + "\n")
    else:
        stdout.write(render_diff_text(old, new, changes, args.lang))
        if flips is not None:
            stdout.write("\n" + render_flips_text(flips, args.lang))
    return EXIT_FAIL if changes or (flips is not None and not flips.empty) else EXIT_OK


def _test(args: argparse.Namespace, stdout: TextIO) -> int:
    files = [path for target in args.targets for path in case_files(target)]
    if not files:
        raise DataError([Problem(f"no case files (NAME.cases.yaml) for {', '.join(args.targets)}")])
    passed = failed = 0
    for path in files:
        results = run_case_file(path)
        bad = [r for r in results if not r.passed]
        passed += len(results) - len(bad)
        failed += len(bad)
        marks = "." * (len(results) - len(bad)) + "F" * len(bad)
        stdout.write(f"{path}: {len(results)} cases {marks[:60]}{'…' if len(marks) > 60 else ''}\n")
        for result in bad:
            stdout.write(f"FAILED {path} :: {result.name}\n")
            for failure in result.failures:
                stdout.write(f"    {failure}\n")
    stdout.write(f"{passed} passed, {failed} failed\n")
    return EXIT_FAIL if failed else EXIT_OK


def _list(stdout: TextIO) -> int:
    for name in bundled_ids():
        standard = load_standard(name)
        cases = sum(1 for _ in case_files(name))
        stdout.write(
            f"{name}\t{standard.title.zh}\t{standard.source.document}"
            f"\t{' → '.join(standard.layers)}\t{cases} case file(s)\n"
        )
    return EXIT_OK


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
        if args.command == "evaluate":
            return _evaluate(args, stdout, stderr)
        if args.command == "check-data":
            return _check_data(args, stdout, stderr)
        if args.command == "validate":
            return _validate(args, stdout, stderr)
        if args.command == "show":
            stdout.write(render_show(load_standard(args.standard), args.lang))
            return EXIT_OK
        if args.command == "test":
            return _test(args, stdout)
        if args.command == "diff":
            return _diff(args, stdout)
        return _list(stdout)
    except BalanceRulesError as exc:
        stderr.write(_error_text(exc))
        return EXIT_USAGE
    except BrokenPipeError:  # the reader stopped early (| head): stop quietly
        _silence(stdout)
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        stderr.write(f"balance-rules: {exc.filename or ''}: {exc.strerror or exc}\n")
        return EXIT_USAGE
