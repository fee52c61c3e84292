"""Annual monitoring of a synthetic nation over ten years: one process, and Dask.

    python benchmarks/nation.py --out /tmp/nation.csv          # the seeded nation (one year)
    python benchmarks/bench_monitor.py --csv /tmp/nation.csv [--years 10] [--workers 2]

Ten years are derived from the one-year nation, seeded: resource values drift a
little each year (area, equipment, backbone teachers), and a changing 0.5 % of
the schools without sub-sites is left out of each year (they read as closed, and
as opened again when they come back).  Each phase runs in a fresh process and
reports its wall time and peak memory (ru_maxrss):

- ``one``: ``monitor_frames`` over the first year only;
- ``ten``: ``monitor_frames`` over every year, one year's table at a time;
- ``dask``: ``monitor_dask`` over all years in one pandas frame built in this
  process (sorted by a year-county key, shipped to the workers), ``processes``
  scheduler with ``--workers`` workers;
- ``dask-map``: ``monitor_dask`` over a Dask DataFrame whose partitions (one per
  year) are read and derived in the workers (``dd.from_map``), then reduced by
  ``map_partitions`` (Dask's local scheduler runs the two as separate tasks, so
  each table still passes through this process);
- ``ten-files``: ``monitor_frames`` over the ten years read one at a time from
  one file per year (pickled DataFrames written once beforehand, as a province
  keeps one file per year);
- ``dask-read``: ``monitor_from_map`` over the same year files: one task per year
  reads *and* reduces its partition, so only the reduced results travel back
  (compared with ``ten-files``);
- ``dask-county``: ``monitor_by_county`` over the same year files: the counties
  are split into one bucket per worker, and each task reads every year file,
  keeps its counties, evaluates them year by year *and compares the years*, so
  only the county trends travel back (compared with ``ten-files``).

Targets (issue 15): ten years within 12x one year, peak memory under 4 GB, and
Dask on two workers no slower than the single process.  The script also checks
that the Dask result equals the single-process one (a digest of the JSON form).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PHASES = ("one", "ten", "ten-files", "dask", "dask-map", "dask-read", "dask-county")
TEXT = {"county": str, "school_id": str, "school_name": str, "parent_school_id": str}


def _base(csv: Path, nrows: int | None = None) -> tuple[Any, Any, Any]:
    import pandas as pd

    base = pd.read_csv(csv, dtype=TEXT, nrows=nrows)
    parents = set(base["parent_school_id"].dropna())
    bucket = base["school_id"].map(lambda s: int(hashlib.md5(s.encode()).hexdigest()[:6], 16))
    movable = ~base["school_id"].isin(parents) & base["parent_school_id"].isna()
    return base, bucket, movable


def year_frame(base: Any, bucket: Any, movable: Any, k: int) -> Any:
    """Year number *k* (0, 1, ...) derived from the one-year nation, seeded."""
    import numpy as np

    rng = np.random.default_rng(1000 + k)
    frame = base[~(movable & (bucket % 200 == k % 200))].copy()
    n = len(frame)
    for column, spread in (("teaching_aux_area", 0.03), ("equipment_value", 0.05)):
        frame[column] = (frame[column] * (1 + spread * k / 10 * rng.standard_normal(n))).round(1)
    for column in ("primary_backbone_teachers", "junior_backbone_teachers"):
        drift = 1 + 0.1 * k / 10 * rng.standard_normal(n)
        frame[column] = (frame[column] * drift).round(0).clip(lower=0)
    return frame


def year_frames(csv: Path, years: int, first: int = 2015) -> Iterator[tuple[int, Any]]:
    """(year, frame) for each derived year, built one at a time."""
    base, bucket, movable = _base(csv)
    for k in range(years):
        yield first + k, year_frame(base, bucket, movable, k)


def load_year(csv: str, k: int, first: int = 2015, nrows: int | None = None) -> Any:
    """One year of the nation as a Dask partition (read and derived in the worker)."""
    base, bucket, movable = _base(Path(csv), nrows)
    return year_frame(base, bucket, movable, k).assign(year=first + k)


def year_files(csv: Path, years: int, first: int = 2015) -> list[Path]:
    """The derived years as one pickled DataFrame per year (written once, beside the CSV)."""
    folder = csv.with_suffix(".years")
    folder.mkdir(exist_ok=True)
    paths = [folder / f"year-{first + k}.pkl" for k in range(years)]
    if not all(p.exists() for p in paths):
        for (year, frame), path in zip(year_frames(csv, years, first), paths, strict=True):
            frame.assign(year=year).to_pickle(path)
    return paths


def read_year_file(path: Path) -> Any:
    """One year's file (a worker's partition)."""
    import pandas as pd

    return pd.read_pickle(path)


def _digest(monitoring: Any) -> str:
    from balance_rules.render.monitor import monitoring_dict

    text = json.dumps(monitoring_dict(monitoring, reports=False), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def phase(name: str, csv: Path, years: int, workers: int) -> dict[str, Any]:
    import balance_rules as br
    from balance_rules.monitor.scale import monitor_dask, monitor_frames

    standard = br.load_standard("monitoring/quality-2017-warnings")
    if name.startswith("dask"):
        import dask

        # Fork the two worker processes (Linux) rather than spawn them: a spawned
        # worker imports NumPy, pandas, Dask and balance-rules again (seconds each).
        dask.config.set({"multiprocessing.context": "fork"})
    if name == "dask-county":
        from balance_rules.monitor.scale import monitor_by_county

        paths = year_files(csv, years)
        start = time.perf_counter()
        result = monitor_by_county(
            read_year_file, paths, standard, scheduler="processes", num_workers=workers
        )
    elif name == "dask-read":
        from balance_rules.monitor.scale import monitor_from_map

        paths = year_files(csv, years)
        start = time.perf_counter()
        result = monitor_from_map(
            read_year_file, paths, standard, scheduler="processes", num_workers=workers
        )
    elif name == "ten-files":
        paths = year_files(csv, years)
        start = time.perf_counter()
        result = monitor_frames(((int(p.stem[5:]), read_year_file(p)) for p in paths), standard)
    elif name == "dask-map":
        import dask.dataframe as dd

        meta = load_year(str(csv), 0, nrows=20).iloc[:0]
        ddf = dd.from_map(load_year, [str(csv)] * years, list(range(years)), meta=meta)
        start = time.perf_counter()
        result = monitor_dask(
            ddf, standard, scheduler="processes", num_workers=workers, partitioned=True
        )
    elif name == "dask":
        import pandas as pd

        frames = []
        for year, frame in year_frames(csv, years):
            frames.append(frame.assign(year=year))
        whole = pd.concat(frames, ignore_index=True)
        del frames
        start = time.perf_counter()
        result = monitor_dask(
            whole, standard, scheduler="processes", num_workers=workers, npartitions=4 * workers
        )
    else:
        count = 1 if name == "one" else years
        start = time.perf_counter()
        result = monitor_frames(year_frames(csv, count), standard)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)
    return {
        "phase": name,
        "seconds": round(seconds, 2),
        "peak_mib": round(peak),
        "counties": len(result.counties),
        "years": len(result.years),
        "flips": sum(len(t.flips) for t in result.counties),
        "warnings": sum(len(t.warnings) for t in result.counties),
        "digest": _digest(result) if name != "one" else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", type=Path, default=Path("/tmp/nation.csv"))
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--phases", default=",".join(PHASES), help="comma-separated phases to run")
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.csv, args.years, args.workers)))
        return
    if not args.csv.exists():
        subprocess.run(
            [sys.executable, str(HERE / "nation.py"), "--out", str(args.csv)], check=True
        )
    results = {}
    for name in args.phases.split(","):
        command = [
            sys.executable, __file__, "--phase", name, "--csv", str(args.csv),
            "--years", str(args.years), "--workers", str(args.workers),
        ]  # fmt: skip
        start = time.perf_counter()
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        results[name] = json.loads(out.strip().splitlines()[-1])
        results[name]["process_seconds"] = round(time.perf_counter() - start, 2)
        print(json.dumps(results[name]), flush=True)
    if {"one", "ten"} <= set(results):
        one, ten = results["one"], results["ten"]
        print(
            f"{args.years} years / one year: {ten['seconds'] / one['seconds']:.1f}x (target <= 12x)"
        )
        print(f"peak memory, {args.years} years in one process: {ten['peak_mib']} MiB (< 4096)")
    for name in ("dask", "dask-map", "dask-read", "dask-county"):
        files = name in ("dask-read", "dask-county") and "ten-files" in results
        base = "ten-files" if files else "ten"
        if name in results and base in results:
            spread, ten = results[name], results[base]
            print(
                f"{name} on {args.workers} workers: {spread['seconds']} s vs one process "
                f"{ten['seconds']} s (target: no slower); driver peak {spread['peak_mib']} MiB; "
                f"same result: {spread['digest'] == ten['digest']}"
            )


if __name__ == "__main__":
    main()
