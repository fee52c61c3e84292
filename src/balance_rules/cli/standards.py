"""Commands about standards: ``validate``, ``show``, ``diff``, ``test``, ``list``."""

from __future__ import annotations

import argparse
import json

from ..data.facts import standard_facts
from ..data.readers import read_counties, read_school_table
from ..errors import DataError, Problem
from ..flips import flip_report
from ..render.diff import render_diff_json, render_diff_text
from ..render.flips import render_flips_json, render_flips_text
from ..render.show import render_show
from ..standard.compare import diff_standards
from ..standard.loader import bundled_ids, load_standard, validate_standard
from ..testing.cases import case_files, run_case_file
from .common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, Streams

__all__ = ["add_parsers", "run_diff", "run_list", "run_show", "run_test", "run_validate"]


ROOT_HELP = (
    "confine standard files, and every file they extend, to this folder (absolute and "
    "..-escaping extends: refused); for services evaluating uploaded standards"
)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    va = commands.add_parser("validate", help="check standard files and report every error")
    va.add_argument("standards", nargs="+", metavar="STANDARD")
    va.add_argument("--root", metavar="DIR", help=ROOT_HELP)
    va.add_argument("--lang", choices=("zh", "en"), default="zh", help="messages: zh or en")

    sh = commands.add_parser("show", help="the effective standard and where each value came from")
    sh.add_argument("standard", metavar="STANDARD")
    sh.add_argument("--lang", choices=("zh", "en"), default="zh")
    sh.add_argument("--root", metavar="DIR", help=ROOT_HELP)

    df = commands.add_parser("diff", help="every change between two standards")
    df.add_argument("old", metavar="A", help="bundled id or YAML file")
    df.add_argument("new", metavar="B", help="bundled id or YAML file")
    df.add_argument("--format", choices=("text", "json"), default="text")
    df.add_argument("--lang", choices=("zh", "en"), default="zh")
    df.add_argument("--root", metavar="DIR", help=ROOT_HELP)
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


def run_validate(args: argparse.Namespace, streams: Streams) -> int:
    results = validate_standard(args.standards, root=args.root)
    bad = 0
    for name, problems in results.items():
        if problems:
            bad += 1
            if args.lang == "zh":
                streams.stderr.write(f"{name}: 无效（{len(problems)} 个问题）\n")
            else:
                streams.stderr.write(f"{name}: invalid ({len(problems)} problem(s))\n")
            for problem in problems:
                streams.warn(f"  {problem.render(args.lang)}")
        else:
            streams.stdout.write(f"{name}: ok\n")
    return EXIT_USAGE if bad else EXIT_OK


def run_show(args: argparse.Namespace, streams: Streams) -> int:
    streams.stdout.write(render_show(load_standard(args.standard, root=args.root), args.lang))
    return EXIT_OK


def run_diff(args: argparse.Namespace, streams: Streams) -> int:
    stdout = streams.stdout
    old = load_standard(args.old, root=args.root)
    new = load_standard(args.new, root=args.root)
    changes = diff_standards(old, new)
    flips = None
    if args.data:
        table = read_school_table(args.data, encoding=args.encoding, sheet=args.sheet)
        known = standard_facts(old) | standard_facts(new)
        counties = read_counties(table, args.facts, encoding=args.encoding, known=known)
        flips = flip_report(old, new, counties)
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


def run_test(args: argparse.Namespace, streams: Streams) -> int:
    stdout = streams.stdout
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


def run_list(args: argparse.Namespace, streams: Streams) -> int:
    for name in bundled_ids():
        standard = load_standard(name)
        cases = sum(1 for _ in case_files(name))
        streams.stdout.write(
            f"{name}\t{standard.title.zh}\t{standard.source.document}"
            f"\t{' → '.join(standard.layers)}\t{cases} case file(s)\n"
        )
    return EXIT_OK
