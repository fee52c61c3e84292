"""``balance-rules evaluate``: a school table against a standard, in any output format."""

from __future__ import annotations

import argparse
import codecs
from collections.abc import Sequence
from pathlib import Path

import attrs

from ..data.columns import ColumnTable, fast_columns
from ..data.facts import standard_facts
from ..data.mapping import mapping_inputs
from ..data.readers import SkippedRow, read_counties, read_facts
from ..engine.columnar import evaluate_columns
from ..engine.plan import compile_standard, evaluate
from ..errors import DataError, Problem
from ..render.csv import fast_csv_available, write_csv
from ..render.html import render_html
from ..render.json import render_json_summary, write_json
from ..render.jsonl import write_jsonl
from ..render.markdown import render_markdown
from ..render.progress import ProgressBar, interactive
from ..render.text import render_text
from ..render.xlsx import require_format, write_xlsx
from ..report import Report
from ..standard.loader import load_standard
from ..standard.model import Standard
from .common import EXIT_FAIL, EXIT_OK, Streams, data_options, read_table
from .output import choose_format, open_output

__all__ = ["FORMATS", "add_parser", "inputs", "load_args_standard", "run"]

DEFAULT_STANDARD = "national/quality-2017"
FORMATS = ("text", "json", "markdown", "csv", "jsonl", "html", "xlsx")
#: Formats written county by county through the columnar core.
STREAMED = ("csv", "jsonl")
#: Formats whose --summary is one line, row or entry per county of the object report.
SUMMARISED = ("text", "markdown", "json")
#: Output encodings that can write every character (school names can hold any).
WHOLE_UNICODE = ("utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be")
#: Formats evaluated through the columnar core and written county by county (the
#: JSON report builds each county's findings just before writing them).
COLUMNAR = (*STREAMED, "json")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ev = commands.add_parser("evaluate", help="evaluate a school table against a standard")
    ev.add_argument("schools", metavar="SCHOOLS", help="school table: .xlsx, .csv, .json or .yaml")
    data_options(ev)
    ev.add_argument(
        "--standard",
        default=DEFAULT_STANDARD,
        metavar="ID|PATH",
        help=f"bundled standard id or a YAML file (default {DEFAULT_STANDARD})",
    )
    ev.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="text (default), json, markdown, html (one self-contained page with charts), "
        "xlsx (workbook of the annex tables; needs --output); for national runs csv or jsonl "
        "(JSON Lines, streamed county by county). Without it, the --output suffix decides",
    )
    ev.add_argument(
        "--summary",
        action="store_true",
        help="one line (text), row (markdown, csv) or entry (json) per county",
    )
    ev.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress on stderr (default: on a terminal when output goes to a file or "
        "the terminal, never when it is piped or in CI)",
    )
    ev.add_argument("--output", metavar="FILE", help="write the report here instead of stdout")
    ev.add_argument(
        "--output-encoding",
        metavar="ENC",
        help="encoding of a text output (default UTF-8; a CSV file gets a UTF-8 byte-order "
        "mark so Excel reads it: utf-8 drops it, gb18030 suits old Excel)",
    )
    ev.add_argument("--lang", choices=("zh", "en"), default="zh", help="labels: zh (default) or en")
    ev.add_argument(
        "--root",
        metavar="DIR",
        help="confine standard files, and every file they extend, to this folder (absolute "
        "and ..-escaping extends: refused); for services evaluating uploaded standards",
    )
    ev.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="evaluate without rows that have bad data, listing them in the report",
    )
    ev.add_argument(
        "--verbose", "-v", action="store_true", help="list every finding, not only problems"
    )


def load_args_standard(args: argparse.Namespace) -> Standard:
    """``--standard`` (within ``--root``); every file of its layers becomes an input."""
    standard = load_standard(args.standard, root=getattr(args, "root", None))
    origins = [*standard.provenance.values(), *(o for o, _ in standard.overridden.values())]
    args.standard_files = sorted({o.file for o in origins if o.file})
    return standard


def inputs(args: argparse.Namespace) -> list[str | None]:
    """Every input file of an evaluate-like run (the output may be none of them)."""
    standard = getattr(args, "standard", None)
    return [
        args.schools,
        getattr(args, "facts", None),
        getattr(args, "mapping", None),
        standard if standard and Path(standard).exists() else None,
        *getattr(args, "standard_files", ()),  # every layer it extends, too
        *mapping_inputs(getattr(args, "mapping", None), args.schools),  # joined files
    ]


_WARNING = {"zh": "警告", "en": "warning"}
_SLOW_CSV = {
    "zh": "注意：未安装 pyarrow，CSV 逐行写出（较慢）；pip install 'balance-rules[arrow]'",
    "en": "note: pyarrow is not installed, so the CSV is written row by row (slower); "
    "pip install 'balance-rules[arrow]'",
}


def _line_break_in_text(columns: ColumnTable, path: str) -> bool:
    """A text cell holding a line break: a quote opened and closed rows later.

    Only a file with a quote character can have one, so most files are not scanned.
    """
    import mmap

    with open(path, "rb") as handle:
        try:
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                if data.find(b'"') < 0:
                    return False
        except ValueError:  # an empty file
            return False
    for values in columns.text.values():
        joined = "\x00".join(v for v in values.tolist() if isinstance(v, str))
        if "\n" in joined or "\r" in joined:
            return True
    return False


def _evaluate_columns(args: argparse.Namespace, streams: Streams, bar: ProgressBar) -> int:
    """National-scale path: columns in, CSV or JSON Lines streamed out."""
    plan = compile_standard(load_args_standard(args))
    bar.stage("read", Path(args.schools).name)
    skipped: Sequence[SkippedRow] = ()
    fast = not (args.sheet or args.mapping or args.encoding or args.skip_bad_rows)
    columns = fast_columns(args.schools) if fast else None
    if (
        columns is None
        or set(columns.text["county"].tolist()) & {None, ""}
        or _line_break_in_text(columns, args.schools)
    ):
        # No county column: the full reader names the county after the file, and says
        # so; a line break inside a cell (an unbalanced quote?): it refuses naming the row.
        table = read_table(args, args.skip_bad_rows)
        for warning in table.warnings:
            streams.warn(f"{_WARNING[args.lang]}: {warning.render(args.lang)}")
        skipped = table.skipped
        columns = ColumnTable.from_read(table)  # each row's origin: file, sheet, row
    known = standard_facts(plan.standard)  # the standard's own facts are no typos
    facts = read_facts(args.facts, encoding=args.encoding, known=known) if args.facts else {}
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
    if args.format == "csv" and not args.summary and not fast_csv_available():
        streams.stderr.write(_SLOW_CSV[args.lang] + "\n")
    encoding = output_encoding(args)
    with open_output(args.output, streams.stdout, inputs=inputs(args), encoding=encoding) as stream:
        if args.format == "jsonl":
            write_jsonl(result, stream, lang=args.lang, skipped=skipped, progress=bar.update)
        elif args.format == "json":
            write_json(result, stream, args.lang, skipped=skipped, progress=bar.update)
        else:
            write_csv(result, stream, summary=args.summary, progress=bar.update)
    return EXIT_OK if result.passed else EXIT_FAIL


def show_progress(args: argparse.Namespace, streams: Streams) -> bool:
    """--progress / --no-progress, else: on a terminal, and never when output is piped.

    Output streamed to the terminal itself (csv, jsonl without --output) would be
    interleaved with the progress line, so none is drawn then either.
    """
    if args.progress is not None:
        return bool(args.progress)
    if not interactive(streams.stderr):
        return False
    if args.output:
        return True
    return interactive(streams.stdout) and args.format not in STREAMED


def _report(args: argparse.Namespace, streams: Streams, bar: ProgressBar) -> Report:
    """Read the table and facts (warnings to stderr) and evaluate: the whole Report."""
    standard = load_args_standard(args)
    bar.stage("read", Path(args.schools).name)
    table = read_table(args, args.skip_bad_rows)
    for warning in table.warnings:
        streams.warn(f"{_WARNING[args.lang]}: {warning.render(args.lang)}")
    counties = read_counties(
        table, args.facts, encoding=args.encoding, known=standard_facts(standard)
    )
    bar.stage("evaluate")
    return attrs.evolve(evaluate(standard, counties, bar.update), skipped=table.skipped)


def run(args: argparse.Namespace, streams: Streams) -> int:
    args.format = choose_format(args.format, args.output, FORMATS)
    require_format(args.format, args.output)
    if args.summary and args.format in SUMMARISED:
        return _summary(args, streams)
    shown = show_progress(args, streams)
    with ProgressBar(streams.stderr, lang=args.lang, enabled=shown) as bar:
        if args.format in COLUMNAR:
            return _evaluate_columns(args, streams, bar)
        report = _report(args, streams, bar)
    if args.format == "xlsx":
        with open_output(args.output, streams.stdout, inputs=inputs(args), binary=True) as raw:
            write_xlsx(report, raw, args.lang)
        return EXIT_OK if report.passed else EXIT_FAIL
    if args.format == "html":
        text = render_html(report, args.lang)
    elif args.format == "markdown":
        text = render_markdown(report, args.lang)
    else:
        text = render_text(report, args.lang, verbose=args.verbose)
    encoding = output_encoding(args)
    with open_output(args.output, streams.stdout, inputs=inputs(args), encoding=encoding) as stream:
        stream.write(text)
    return EXIT_OK if report.passed else EXIT_FAIL


def output_encoding(args: argparse.Namespace) -> str:
    """--output-encoding; else UTF-8, with a byte-order mark for a CSV file (Excel).

    An HTML page is always UTF-8 (it says so in its <meta charset>).
    """
    if args.format == "html":
        return "utf-8"
    if args.output_encoding:
        try:
            name = codecs.lookup(args.output_encoding).name
        except LookupError:
            name = ""
        if name not in WHOLE_UNICODE:
            raise DataError(
                [
                    Problem(
                        f"--output-encoding {args.output_encoding!r}: use one that can write "
                        "every character: utf-8, utf-8-sig (with a byte-order mark), gb18030, "
                        "utf-16"
                    )
                ]
            )
        return name
    return "utf-8-sig" if args.format == "csv" and args.output else "utf-8"


def _summary(args: argparse.Namespace, streams: Streams) -> int:
    """--summary with text, markdown or json: one line, row or entry per county."""
    shown = show_progress(args, streams)
    with ProgressBar(streams.stderr, lang=args.lang, enabled=shown) as bar:
        report = _report(args, streams, bar)
    if args.format == "json":
        text = render_json_summary(report, args.lang)
    elif args.format == "markdown":
        text = render_markdown(report, args.lang, summary=True)
    else:
        text = render_text(report, args.lang, summary=True)
    encoding = output_encoding(args)
    with open_output(args.output, streams.stdout, inputs=inputs(args), encoding=encoding) as stream:
        stream.write(text)
    return EXIT_OK if report.passed else EXIT_FAIL
