"""JSON Lines output for national runs (``evaluate --format jsonl``).

One JSON object per line, written county by county as it is produced:

- ``{"type": "run", ...}`` first: schema version, generator, standard, county count;
- ``{"type": "skipped_row", ...}`` for each row left out with ``--skip-bad-rows``;
- per county, in name order: one ``{"type": "school", "county": ..., ...}`` line per
  school section (the JSON report's school entry: findings included), then one
  ``{"type": "county", ...}`` line (verdict, coefficients, county-level findings,
  exclusions);
- ``{"type": "summary", ...}`` last: how many counties pass, fail or are incomplete.

Findings have the JSON report's keys and their structured reason (value, op,
threshold, status, layer, source, missing, detail) but not its prose ``reason``
sentence, which would dominate the time of a national run.  Key order is fixed,
so the same input gives byte-identical output.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any, TextIO

from .._version import __version__
from ..engine.columnar import ColumnarResult
from ..records import Progress, county_records
from .json import SCHEMA_VERSION, standard_dict

__all__ = ["write_jsonl"]

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def write_jsonl(
    result: ColumnarResult,
    stream: TextIO,
    *,
    lang: str = "zh",
    skipped: Iterable[Any] = (),
    progress: Progress | None = None,
) -> None:
    """Write the result as JSON Lines to *stream*, one county at a time."""
    standard = result.plan.standard
    write = stream.write
    write(
        _encode(
            {
                "type": "run",
                "schema_version": SCHEMA_VERSION,
                "generator": {"name": "balance-rules", "version": __version__},
                "standard": standard_dict(standard, lang),
                "counties": len(result.county_names),
            }
        )
        + "\n"
    )
    for row in skipped:
        record = {
            "type": "skipped_row",
            "file": row.file,
            "row": row.row,
            "school_id": row.school_id,
            "county": row.county,
            "problems": [str(p) for p in row.problems],
        }
        write(_encode(record) + "\n")
    verdicts: Counter[str] = Counter()
    for county in county_records(result, progress):
        for section in county.sections:
            write(_encode({"type": "school", "county": county.county, **section}) + "\n")
        verdicts[county.verdict] += 1
        record = {
            "type": "county",
            "county": county.county,
            "verdict": county.verdict,
            "passed": county.verdict == "pass",
            "vetoed": county.vetoed,
            "sections": len(county.sections),
            "coefficients": county.coefficients,
            "findings": county.findings,
            "excluded": county.excluded,
        }
        write(_encode(record) + "\n")
    summary = {
        "type": "summary",
        "counties": len(result.county_names),
        "pass": verdicts["pass"],
        "fail": verdicts["fail"],
        "incomplete": verdicts["incomplete"],
        "passed": result.passed,
    }
    write(_encode(summary) + "\n")
