"""National-scale benchmark: balance-rules against a hand-written NumPy reference.

    pip install '.[fast]'
    python benchmarks/bench_national.py [--csv /tmp/nation.csv] [--repeat 3] [--outputs]
                                        [--shortfall | --shortfall-only]

Prints, from one run (medians of --repeat runs, each phase in a fresh process so
peak memory is its own):

- the NumPy reference: CSV -> the 7 resource indicators of national/quality-2017
  per section, 6 of 7 with the 85 % floor, student-weighted CVs per county and
  level, a county verdict on that resource part;
- balance-rules as a library (read_columns + evaluate_columns: every rule of the
  standard, not only the resource part) and as the command
  (`balance-rules evaluate --format csv --summary`);
- the ratio balance-rules / reference in time and in peak memory, ``br.evaluate``
  on one county of 500 schools built as attrs objects, loading and compiling a
  bundled standard; with --outputs the full findings CSV against pyarrow's CSV
  writer writing the same rows: its output stage alone (evaluated result ->
  finished file, the target) and the whole command;
- a check that both agree on every section's 6-of-7 result and every CV.

The reference decides in floating point with a 1e-9 relative tolerance (right for
these decimal inputs); balance-rules decides exactly.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
THRESHOLDS = {  # indicator: (column, scale, primary, junior)
    "above_degree_teachers_per_100": ("teachers_above_degree", 100, 4.2, 5.3),
    "backbone_teachers_per_100": ("backbone_teachers", 100, 1.0, 1.0),
    "pe_art_teachers_per_100": ("pe_art_teachers", 100, 0.9, 0.9),
    "teaching_aux_area_per_student": ("teaching_aux_area", 1, 4.5, 5.8),
    "sports_area_per_student": ("sports_area", 1, 7.5, 10.2),
    "equipment_value_per_student": ("equipment_value", 1, 2000, 2500),
    "multimedia_rooms_per_100": ("multimedia_rooms", 100, 2.3, 2.4),
}
CAPS = {"primary": 0.50, "junior": 0.45}
LEVEL_FIELDS = {"teachers_above_degree", "backbone_teachers", "pe_art_teachers"}
WEIGHTS = {
    "nine_year": {"primary": 1.0, "junior": 1.1},
    "twelve_year": {"primary": 1.0, "junior": 1.1, "senior": 1.32},
    "complete_secondary": {"junior": 1.0, "senior": 1.2},
}
TYPES = {
    "primary": ("primary", "nine_year", "twelve_year"),
    "junior": ("junior", "nine_year", "twelve_year", "complete_secondary"),
}


def reference(csv: Path) -> dict[str, object]:
    """The resource part of national/quality-2017, by hand, in NumPy."""
    import numpy as np
    import pandas as pd

    df = pd.read_csv(csv, dtype={"county": str, "school_id": str, "parent_school_id": str})
    numeric = [c for c in df.columns if df[c].dtype.kind in "iuf" and c != "counted_as_school"]
    values = {c: df[c].to_numpy(dtype=float) for c in numeric}
    sub = df["counted_as_school"].to_numpy() == 0
    position = pd.Series(np.arange(len(df)), index=df["school_id"])
    parents = position.reindex(df["parent_school_id"][sub]).to_numpy()
    for column, array in values.items():  # sub-sites add to their parent
        if column.endswith("max_class_size") or column.startswith("min_"):
            continue
        np.add.at(array, parents.astype(int), np.nan_to_num(array[sub]))
    scope = (
        ~sub & (df["ownership"].to_numpy() == "public") & (df["authority"].to_numpy() == "county")
    )
    types = df["school_type"].to_numpy()
    county_codes, counties = pd.factorize(df["county"], sort=True)
    result: dict[str, object] = {"sections": {}, "cvs": {}}
    fail_county = np.zeros(len(counties), dtype=bool)
    for level, level_types in TYPES.items():
        rows = np.flatnonzero(scope & np.isin(types, level_types))
        students = values[f"{level}_students"][rows]
        rows, students = rows[students > 0], students[students > 0]
        share = np.ones(len(rows))
        for school_type, weights in WEIGHTS.items():
            mask = types[rows] == school_type
            if mask.any():
                total = sum(
                    w * np.nan_to_num(values[f"{lv}_students"][rows[mask]])
                    for lv, w in weights.items()
                )
                share[mask] = weights.get(level, 0) * students[mask] / total
        met = np.zeros(len(rows), dtype=np.int64)
        lowest = np.full(len(rows), np.inf)
        t_index = 0 if level == "primary" else 1
        codes = county_codes[rows]
        for name, (column, scale, *limits) in THRESHOLDS.items():
            source = f"{level}_{column}" if column in LEVEL_FIELDS else column
            amount = values[source][rows] * (1 if column in LEVEL_FIELDS else share)
            x = amount * scale / students
            limit = limits[t_index]
            ok = x >= limit * (1 - 1e-9)
            met += ok
            lowest = np.where(~ok, np.minimum(lowest, x / limit), lowest)
            w_sum = np.bincount(codes, weights=students, minlength=len(counties))
            mean = np.bincount(codes, weights=students * x, minlength=len(counties)) / w_sum
            var = (
                np.bincount(
                    codes, weights=students * (x - mean[codes]) ** 2, minlength=len(counties)
                )
                / w_sum
            )
            cv = np.sqrt(var) / mean
            present = np.bincount(codes, minlength=len(counties)) > 0
            fail_county |= present & (cv > CAPS[level] * (1 + 1e-9))
            result["cvs"].update(  # type: ignore[union-attr]
                {(counties[c], level, name): float(cv[c]) for c in np.flatnonzero(present)}
            )
        passed = (met >= 6) & (lowest >= 0.85 * (1 - 1e-9))
        fail_county |= np.bincount(codes[~passed], minlength=len(counties)) > 0
        ids = df["school_id"].to_numpy()[rows]
        result["sections"].update(
            dict(zip(((i, level) for i in ids), passed.tolist(), strict=True))
        )  # type: ignore[union-attr]
    result["verdicts"] = dict(
        zip(counties, np.where(fail_county, "fail", "pass").tolist(), strict=True)
    )
    return result


def library(csv: Path) -> dict[str, object]:
    """balance-rules: read the columns, evaluate every rule of the standard."""
    import balance_rules as br
    from balance_rules.data.columns import read_columns
    from balance_rules.engine.columnar import evaluate_columns

    plan = br.compile_standard(br.load_standard("national/quality-2017"))
    result = evaluate_columns(plan, read_columns(csv))
    return {"result": result, "summary": list(result.summary())}


def _phase(name: str, csv: Path) -> dict[str, float]:
    """Run one phase in a fresh process: (seconds, CPU seconds, peak MiB)."""
    code = (
        f"import sys, time, resource, json; sys.path.insert(0, {str(HERE)!r});"
        "import bench_national as b; t = time.perf_counter(); c = time.process_time();"
        f"b.{name}(b.Path({str(csv)!r})); s = time.perf_counter() - t;"
        "cpu = time.process_time() - c;"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024;"
        "print(json.dumps({'seconds': s, 'cpu': cpu, 'peak_mib': peak}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _command(csv: Path, out: Path, *options: str) -> dict[str, float]:
    """The command as a whole process: wall seconds and its own peak memory."""
    argv = ["evaluate", str(csv), *(options or ("--format", "csv", "--summary")), "--output"]
    code = (
        "import json, resource, sys; from balance_rules.cli import main;"
        f"main({[*argv, str(out)]!r});"
        "print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),"
        " file=sys.stderr)"
    )
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mib": float(done.stderr.strip().splitlines()[-1])}


def _reference_process(csv: Path) -> float:
    start = time.perf_counter()
    code = (
        f"import sys; sys.path.insert(0, {str(HERE)!r}); import bench_national as b;"
        f"b.reference(b.Path({str(csv)!r}))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def _one_county(csv: Path) -> dict[str, float]:
    import balance_rules as br
    from balance_rules.data.columns import read_columns
    from balance_rules.engine.columnar import evaluate_columns

    t = time.perf_counter()
    standard = br.load_standard("national/quality-2017")
    plan = br.compile_standard(standard)
    load_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    br.compile_standard(br.load_standard("hebei/quality-2017"))
    provincial_ms = (time.perf_counter() - t) * 1000
    table = read_columns(csv)
    schools = [table.school(i) for i in range(2000) if table.counted[i]][:500]
    county = br.County(
        name="C", schools=[s.__class__(**{**_fields(s), "county": "C"}) for s in schools]
    )
    from balance_rules.data.columns import ColumnTable

    columns = ColumnTable.from_schools(county.schools)
    timings_evaluate, timings_columns, timings_table, timings_findings = [], [], [], []
    for _ in range(21):
        t = time.perf_counter()
        evaluate_columns(plan, columns)
        timings_columns.append((time.perf_counter() - t) * 1000)
    for _ in range(21):
        t = time.perf_counter()
        ColumnTable.from_schools(county.schools)
        timings_table.append((time.perf_counter() - t) * 1000)
    for _ in range(21):
        t = time.perf_counter()
        report = br.evaluate(standard, county)
        timings_evaluate.append((time.perf_counter() - t) * 1000)
    for _ in range(5):
        report = br.evaluate(standard, county)
        t = time.perf_counter()
        sum(len(s.findings) for s in report.counties[0].schools)
        timings_findings.append((time.perf_counter() - t) * 1000)
    # The first evaluation of School objects also makes their float views.
    timings_first = []
    for _ in range(11):
        fresh = br.County(name="C", schools=[s.__class__(**_fields(s)) for s in county.schools])
        t = time.perf_counter()
        br.evaluate(standard, fresh)
        timings_first.append((time.perf_counter() - t) * 1000)
    return {
        "standard_load_compile_ms": load_ms,
        "provincial_load_compile_ms": provincial_ms,
        # br.evaluate on one county of 500 schools built as attrs objects (target < 5 ms):
        "county_500_br_evaluate_ms": statistics.median(timings_evaluate),
        "  of which objects -> table ms": statistics.median(timings_table),
        "  of which the columnar core ms": statistics.median(timings_columns),
        "  then reading every finding ms": statistics.median(timings_findings),
        "  first call on School objects never evaluated ms": statistics.median(timings_first),
    }


def output_stage(csv: Path, out: Path, repeat: int = 3) -> dict[str, float]:
    """The full CSV's output stage alone, from the evaluated result to the finished file.

    Reads and evaluates once (not timed), then, alternating in this one process so
    that both see the same load (medians of *repeat*; the synced pair once):

    - ``stage``: ``write_csv`` into a plain file, as pyarrow's baseline writes one;
    - ``stage_fsync``: into the command's ``open_output`` (a temporary file, synced
      to disk, then renamed), as ``evaluate --format csv --output`` does;
    - ``arrow`` and ``arrow_fsync``: pyarrow's ``write_csv`` of the same rows (read
      back from our file, every column as text), without and with the same sync
      and rename over the file written before.
    """
    import os

    import pyarrow as pa
    import pyarrow.csv as pacsv

    from balance_rules.cli.output import open_output
    from balance_rules.data.columns import read_columns
    from balance_rules.engine.columnar import evaluate_columns
    from balance_rules.engine.plan import compile_standard
    from balance_rules.render.csv import write_csv
    from balance_rules.standard.loader import load_standard

    plan = compile_standard(load_standard("national/quality-2017"))
    result = evaluate_columns(plan, read_columns(csv))
    baseline = out.with_name(out.stem + "-arrow.csv")

    def plain() -> None:
        with out.open("w", encoding="utf-8-sig", newline="") as f:
            write_csv(result, f)

    def synced() -> None:
        with open_output(str(out), sys.stdout, inputs=[str(csv)], encoding="utf-8-sig") as f:
            write_csv(result, f)

    plain()
    names = out.open(encoding="utf-8-sig").readline().strip().split(",")
    table = pacsv.read_csv(
        out, convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names})
    )

    def arrow() -> None:
        pacsv.write_csv(table, str(baseline))

    def arrow_synced() -> None:  # as open_output does: beside, synced, renamed over
        partial = baseline.with_name(baseline.name + ".partial")
        pacsv.write_csv(table, str(partial))
        with partial.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(partial, baseline)

    steps = {"stage": plain, "arrow": arrow, "stage_fsync": synced, "arrow_fsync": arrow_synced}
    walls: dict[str, list[float]] = {name: [] for name in steps}
    cpus: dict[str, list[float]] = {"stage": [], "arrow": []}
    # The synced pair once, last: its writing back to disk would slow the others.
    for name in [*("stage", "arrow") * repeat, "stage_fsync", "arrow_fsync"]:
        wall, cpu = time.perf_counter(), time.process_time()
        steps[name]()
        walls[name].append(time.perf_counter() - wall)
        if name in cpus:  # CPU seconds of every thread: what the stage costs on a busy machine
            cpus[name].append(time.process_time() - cpu)
    baseline.unlink()
    return {
        **{name: statistics.median(runs) for name, runs in walls.items()},
        "cpu": statistics.median(cpus["stage"]),
        "arrow_cpu": statistics.median(cpus["arrow"]),
        "rows": float(table.num_rows),
        "load": os.getloadavg()[0],
    }


def _output_stage(csv: Path, out: Path) -> dict[str, float]:
    """:func:`output_stage` in a fresh process."""
    code = (
        f"import sys, json; sys.path.insert(0, {str(HERE)!r}); import bench_national as b;"
        f"print(json.dumps(b.output_stage(b.Path({str(csv)!r}), b.Path({str(out)!r}))))"
    )
    out_ = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out_.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _arrow_write(path: Path) -> tuple[int, float] | None:
    """The baseline of the full CSV: pyarrow writing the same rows (median of 3).

    The rows are read back from our own output (every column as text, so the
    writer does no formatting we skip), then timed being written with
    ``pyarrow.csv.write_csv``.
    """
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:
        return None
    names = path.open(encoding="utf-8-sig").readline().strip().split(",")
    table = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}),
    )
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        pacsv.write_csv(table, "/tmp/bench-arrow.csv")
        runs.append(time.perf_counter() - t)
    return table.num_rows, statistics.median(runs)


def _fields(school: object) -> dict[str, object]:
    import attrs

    return attrs.asdict(school, recurse=False)  # type: ignore[arg-type]


def _agreement(csv: Path) -> dict[str, object]:
    ref = reference(csv)
    ours = library(csv)["result"]
    sections = ref["sections"]
    text = ours.table.text  # type: ignore[attr-defined]
    disagree = 0
    compared = 0
    for level, part in ours.levels.items():  # type: ignore[attr-defined]
        outcome = ours.outcomes[("resource_school_6_of_7", level)]  # type: ignore[attr-defined]
        for i, row in enumerate(part.rows):
            key = (text["school_id"][row], level)
            if key in sections:
                compared += 1
                disagree += (outcome.status[i] == 0) != sections[key]  # type: ignore[index]
    cv_diff = 0.0
    cv_compared = 0
    for code, name in enumerate(ours.county_names):  # type: ignore[attr-defined]
        for finding in ours.county_findings[code]:  # type: ignore[attr-defined]
            if finding.rule == "resource_cv" and finding.value is not None:
                other = ref["cvs"].get((name, finding.level, finding.indicator))  # type: ignore[union-attr]
                if other is not None:
                    cv_compared += 1
                    cv_diff = max(cv_diff, abs(other - finding.value))
    return {
        "sections_compared": compared,
        "section_disagreements": disagree,
        "reference_sections": len(sections),  # type: ignore[arg-type]
        "cvs_compared": cv_compared,
        "max_cv_difference": cv_diff,
    }


def _shortfall(csv: Path, repeat: int) -> None:
    """Issue #13: the plan for the whole nation against evaluating it (target <= 3x).

    The County objects are read once; ``br.evaluate`` and ``br.shortfall`` run on
    them in turn, *repeat* times (medians, wall and CPU); then, once each, the
    commands ``evaluate --format json`` and ``shortfall --format json``.

    Both calls return results whose details are built when first read (the
    Report's findings, the plan's additions, totals and CV changes); the timings
    are of the calls.  Reading every addition of the plan afterwards (all
    counties' built at once) is timed on its own and printed.
    """
    import os

    import balance_rules as br

    standard = br.load_standard("national/quality-2017")
    counties = br.read_counties(csv)
    br.evaluate(standard, counties[:1])  # compile the standard outside the timings
    runs: dict[str, list[tuple[float, float]]] = {"evaluate": [], "shortfall": []}
    planned = 0
    reads: list[float] = []
    for _ in range(repeat):
        for name in runs:
            wall, cpu = time.perf_counter(), time.process_time()
            if name == "evaluate":
                br.evaluate(standard, counties)
            else:
                plan = br.shortfall(standard, counties)
            runs[name].append((time.perf_counter() - wall, time.process_time() - cpu))
            if name == "shortfall":  # every addition read (built on first read)
                cpu = time.process_time()
                planned = sum(1 for c in plan.counties if c.additions)
                reads.append(time.process_time() - cpu)
                del plan
    walls = {name: statistics.median(r[0] for r in found) for name, found in runs.items()}
    cpus = {name: statistics.median(r[1] for r in found) for name, found in runs.items()}
    load = os.getloadavg()[0]
    print(f"shortfall (issue #13): {len(counties)} counties, {planned} planned; load {load:.2f}")
    for name in runs:
        label = f"br.{name}(standard, counties)"
        print(f"{label:38s} {walls[name]:7.2f} s wall {cpus[name]:7.2f} s CPU (median)")
    ratio_wall = walls["shortfall"] / walls["evaluate"]
    ratio_cpu = cpus["shortfall"] / cpus["evaluate"]
    print(f"{'  ratio shortfall / evaluate':38s} {ratio_wall:7.2f}x wall {ratio_cpu:5.2f}x CPU"
          "  (target <= 3x)")  # fmt: skip
    read = statistics.median(reads)
    print(f"{'  then reading every addition':38s} {read:7.2f} s CPU (median; built on first read)")
    commands = {}
    for name in ("evaluate", "shortfall"):
        out = Path(f"/tmp/bench-{name}.json")
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "balance_rules", name, str(csv), "--format", "json",
             "--output", str(out)],
            check=False, capture_output=True,
        )  # fmt: skip
        commands[name] = time.perf_counter() - start
        print(f"{'command ' + name + ' --format json':38s} {commands[name]:7.2f} s")
    ratio = commands["shortfall"] / commands["evaluate"]
    print(f"{'  ratio shortfall / evaluate command':38s} {ratio:7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description="national-scale benchmark")
    parser.add_argument("--csv", type=Path, default=Path("/tmp/nation.csv"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--outputs",
        action="store_true",
        help="also time the full outputs once: --format csv (every finding) and --format jsonl",
    )
    parser.add_argument(
        "--shortfall",
        action="store_true",
        help="also time br.shortfall against br.evaluate on the nation (issue #13, target <= 3x)",
    )
    parser.add_argument(
        "--shortfall-only", action="store_true", help="time only the shortfall comparison"
    )
    args = parser.parse_args()
    if not args.csv.exists():
        sys.path.insert(0, str(HERE))
        from nation import generate

        print(f"generating {args.csv} ...", flush=True)
        generate(args.csv)
    rows = sum(1 for _ in args.csv.open(encoding="utf-8")) - 1
    print(f"nation: {args.csv} ({rows} rows)")
    if args.shortfall_only:
        _shortfall(args.csv, args.repeat)
        return
    # Reference and library alternate, so that both see the same load on a shared machine.
    pairs = [
        (_phase("reference", args.csv), _phase("library", args.csv)) for _ in range(args.repeat)
    ]
    ref, lib = [r for r, _ in pairs], [lb for _, lb in pairs]
    cmd = [_command(args.csv, Path("/tmp/bench-summary.csv")) for _ in range(args.repeat)]
    ref_process = [_reference_process(args.csv) for _ in range(args.repeat)]

    def med(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    def line(label: str, runs: list[dict[str, float]]) -> str:
        return f"{label:38s} {med(runs, 'seconds'):7.2f} s   peak {med(runs, 'peak_mib'):6.0f} MiB"

    process = statistics.median(ref_process)
    print(line("NumPy reference (in process)", ref))
    print(line("balance-rules library (in process)", lib))
    print(f"{'  ratio library / reference':38s} {med(lib, 'seconds') / med(ref, 'seconds'):7.2f}x")
    pair_ratios = [lb["seconds"] / r["seconds"] for r, lb in pairs]
    print(
        f"{'  ... median of the pairs, CPU ratio':38s} {statistics.median(pair_ratios):7.2f}x"
        f" {med(lib, 'cpu') / med(ref, 'cpu'):7.2f}x"
    )
    print(f"{'NumPy reference (whole process)':38s} {process:7.2f} s")
    print(line("balance-rules command (whole process)", cmd))
    print(f"{'  ratio command / reference process':38s} {med(cmd, 'seconds') / process:7.2f}x")
    print(
        f"{'  peak memory library / reference':38s} "
        f"{med(lib, 'peak_mib') / med(ref, 'peak_mib'):7.2f}x"
    )
    if args.outputs:
        full = _command(args.csv, Path("/tmp/bench-full.csv"), "--format", "csv")
        print(line("command, --format csv (every finding)", [full]))
        arrow = _arrow_write(Path("/tmp/bench-full.csv"))
        if arrow is not None:
            rows, seconds = arrow
            print(f"{'pyarrow write_csv, same rows':38s} {seconds:7.2f} s   ({rows} rows)")
            # The target: the output stage (evaluated result -> finished file) within
            # 2x of pyarrow writing the same rows, measured alternately in one process;
            # then both synced to disk as the command's --output is; the whole command.
            st = _output_stage(args.csv, Path("/tmp/bench-stage.csv"))
            print(
                f"{'output stage (result -> file), median':38s} {st['stage']:7.2f} s"
                f"   cpu {st['cpu']:.2f} s, load {st['load']:.2f}"
            )
            print(
                f"{'  pyarrow write_csv, same rows, same run':38s} {st['arrow']:7.2f} s"
                f"   cpu {st['arrow_cpu']:.2f} s"
            )
            print(f"{'  ratio output stage / pyarrow':38s} {st['stage'] / st['arrow']:7.2f}x")
            print(
                f"{'  both synced, renamed over (fsync)':38s} {st['stage_fsync']:7.2f} s"
                f" / {st['arrow_fsync']:.2f} s = {st['stage_fsync'] / st['arrow_fsync']:.2f}x"
            )
            ratio = full["seconds"] / seconds
            print(f"{'  ratio whole command / pyarrow':38s} {ratio:7.2f}x")
        jsonl = _command(args.csv, Path("/tmp/bench-full.jsonl"), "--format", "jsonl")
        print(line("command, --format jsonl", [jsonl]))
    if args.shortfall:
        _shortfall(args.csv, args.repeat)
    for key, value in _one_county(args.csv).items():
        print(f"{key:36s} {value:8.1f}")
    for key, value in _agreement(args.csv).items():
        print(f"{key:36s} {value}")


if __name__ == "__main__":
    main()
