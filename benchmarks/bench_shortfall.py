"""Shortfall planning on the synthetic nation, against evaluating it.

    python benchmarks/nation.py --out /tmp/nation.csv          # once
    python benchmarks/bench_shortfall.py [--csv /tmp/nation.csv] [--scale 0.1]
                                         [--standard national/quality-2017] [--costs FILE]

Reads the school table once (not timed), then times, in this process:

- evaluating every county with ``br.evaluate`` (the object report the planner
  starts from: its verdicts and findings);
- ``br.shortfall(standard, counties)`` from scratch: the same evaluation, the
  plan of every failing county, and the re-evaluation of each planned county
  with the plan applied (the verification);

and prints both, their ratio, and how many counties were planned.  With
``--scale`` below 1 only that share of the counties is used (the first ones).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import balance_rules as br


def main() -> None:
    parser = argparse.ArgumentParser(description="shortfall planning benchmark")
    parser.add_argument("--csv", type=Path, default=Path("/tmp/nation.csv"))
    parser.add_argument("--scale", type=float, default=1.0, help="share of counties to plan")
    parser.add_argument("--standard", default="national/quality-2017")
    parser.add_argument("--costs", default=None)
    parser.add_argument(
        "--commands",
        action="store_true",
        help="also time `balance-rules evaluate --format json` against "
        "`balance-rules shortfall --format json` on the whole --csv file",
    )
    args = parser.parse_args()
    standard = br.load_standard(args.standard)
    counties = br.read_counties(args.csv)
    if args.scale < 1:
        counties = counties[: max(1, int(len(counties) * args.scale))]
    br.evaluate(standard, counties[:1])  # compile the standard outside the timings
    start, cpu = time.perf_counter(), time.process_time()
    report = br.evaluate(standard, counties)
    evaluate_seconds = time.perf_counter() - start
    evaluate_cpu = time.process_time() - cpu
    sections = sum(len(c.schools) for c in report.counties)
    start, cpu = time.perf_counter(), time.process_time()
    plan = br.shortfall(standard, counties, args.costs)
    plan_seconds = time.perf_counter() - start
    plan_cpu = time.process_time() - cpu
    planned = sum(1 for c in plan.counties if c.additions)
    additions = sum(len(c.additions) for c in plan.counties)
    print(f"standard           {args.standard}")
    print(f"counties           {len(counties)} ({sections} school sections)")
    print(f"evaluate           {evaluate_seconds:8.2f} s wall {evaluate_cpu:8.2f} s CPU")
    print(f"shortfall          {plan_seconds:8.2f} s wall {plan_cpu:8.2f} s CPU  ({planned} "
          f"counties planned, {additions} additions, each planned county re-evaluated)")
    print(f"ratio              {plan_seconds / evaluate_seconds:8.2f} x wall "
          f"{plan_cpu / evaluate_cpu:8.2f} x CPU  (target ≤ 3)")
    if args.commands:
        timings = {}
        for command in ("evaluate", "shortfall"):
            with tempfile.TemporaryDirectory() as folder:
                out = Path(folder) / "out.json"
                start = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "balance_rules", command, str(args.csv),
                     "--standard", args.standard, "--format", "json", "--output", str(out)],
                    check=False, capture_output=True,
                )  # fmt: skip
                timings[command] = time.perf_counter() - start
        print(f"command evaluate   {timings['evaluate']:8.2f} s  (--format json, every finding)")
        print(f"command shortfall  {timings['shortfall']:8.2f} s  (--format json)")
        print(f"ratio              {timings['shortfall'] / timings['evaluate']:8.2f} x")


if __name__ == "__main__":
    main()
