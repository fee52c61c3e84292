"""Benchmark of the reports people read: HTML and XLSX for many counties.

    pip install '.[report,xlsx]'
    python benchmarks/bench_reports.py [--counties 100] [--schools 300] [--out /tmp/reports]

Generates a seeded province (``--counties`` counties of ``--schools`` schools, the
value spread of benchmarks/nation.py), evaluates it once with the object engine,
then times, each the best of ``--repeat`` runs:

- rendering the HTML report and writing it to a file (and its size);
- writing the workbook (and its size);
- one county of 500 schools, HTML and XLSX, from evaluation to file.

Targets (issue 12): 100 counties of 300 schools, both written in under 10 s and
the HTML under 15 MB; one county of 500 schools in under 1 s.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import nation  # noqa: E402  (the seeded nation's value helpers)


def generate(out: Path, counties: int, schools: int, seed: int = 2026) -> int:
    """Write ``counties`` counties of ``schools`` schools each; returns the row count."""
    rng = random.Random(seed)
    rows = 0
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=nation.COLUMNS)
        writer.writeheader()
        for c in range(counties):
            county = f"县{c:03d}"
            for serial in range(1, schools + 1):
                sid = f"{c:03d}{serial:05d}"
                school_type = rng.choices(("primary", "junior", "nine_year"), (70, 20, 10))[0]
                row: dict[str, object] = {
                    "county": county,
                    "school_id": sid,
                    "school_name": f"第{serial}学校",
                    "school_type": school_type,
                    "ownership": "private" if rng.random() < 0.03 else "public",
                    "authority": "county",
                    "location": rng.choice(("urban", "town", "rural", "rural")),
                    "counted_as_school": 1,
                }
                if school_type == "nine_year":
                    weighted = 0.0
                    for level in ("primary", "junior"):
                        n = nation._students(rng)
                        nation._level(rng, row, level, n)
                        weighted += n * (1.0 if level == "primary" else 1.1)
                    nation._facilities(rng, row, weighted, 1)
                else:
                    n = nation._students(rng)
                    nation._level(rng, row, school_type, n)
                    nation._facilities(rng, row, n, 0 if school_type == "primary" else 1)
                writer.writerow(row)
                rows += 1
    return rows


def _best(repeat: int, action: Callable[[], object]) -> tuple[float, float]:
    """The best wall-clock time and the best CPU time of ``repeat`` runs.

    CPU time is shown too because the benchmark machine may be shared: wall time
    then includes waiting for a core.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--schools", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-reports"))
    args = parser.parse_args()

    import balance_rules as br
    from balance_rules.render.html import render_html
    from balance_rules.render.xlsx import write_xlsx

    args.out.mkdir(parents=True, exist_ok=True)
    province = args.out / "province.csv"
    one = args.out / "county500.csv"
    generate(province, args.counties, args.schools)
    generate(one, 1, 500, seed=7)
    standard = br.load_standard("national/quality-2017")

    start = time.perf_counter()
    table = br.read_school_table(str(province))
    report = br.evaluate(standard, br.read_counties(table))
    evaluated = time.perf_counter() - start
    html_path, xlsx_path = args.out / "province.html", args.out / "province.xlsx"

    def html() -> None:
        html_path.write_text(render_html(report), encoding="utf-8")

    def xlsx() -> None:
        with xlsx_path.open("wb") as stream:
            write_xlsx(report, stream)

    html_s = _best(args.repeat, html)
    xlsx_s = _best(args.repeat, xlsx)

    def county(fmt: str) -> Callable[[], None]:
        def run() -> None:
            small = br.evaluate(standard, br.read_counties(br.read_school_table(str(one))))
            if fmt == "html":
                (args.out / "county.html").write_text(render_html(small), encoding="utf-8")
            else:
                with (args.out / "county.xlsx").open("wb") as stream:
                    write_xlsx(small, stream)

        return run

    one_html = _best(args.repeat + 1, county("html"))
    one_xlsx = _best(args.repeat + 1, county("xlsx"))
    sections = sum(len(c.schools) for c in report.counties)
    print(f"province: {args.counties} counties x {args.schools} schools ({sections} sections)")
    print(f"  read + evaluate (object engine, not part of the target): {evaluated:.2f} s")
    size = html_path.stat().st_size / 1e6
    print(f"  HTML written:  {html_s[0]:.2f} s (CPU {html_s[1]:.2f} s), {size:.1f} MB")
    size = xlsx_path.stat().st_size / 1e6
    print(f"  XLSX written:  {xlsx_s[0]:.2f} s (CPU {xlsx_s[1]:.2f} s), {size:.1f} MB")
    print("one county of 500 schools, read + evaluate + write:")
    print(f"  HTML: {one_html[0]:.2f} s (CPU {one_html[1]:.2f} s)")
    print(f"  XLSX: {one_xlsx[0]:.2f} s (CPU {one_xlsx[1]:.2f} s)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
