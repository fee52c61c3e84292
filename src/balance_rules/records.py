"""Report records of a columnar result, one county at a time.

The rows of ``--format csv`` and the lines of ``--format jsonl`` are built from
these records, so a whole nation is written county by county without holding
every finding in memory.  Each finding carries its structured reason — rule,
indicator, observed value, operator, threshold, status, the layer that set the
threshold, the source document and article, and for a finding not evaluated
the missing columns (or what else stopped it) — under the same keys as the JSON
report's findings.  Values are floating-point renderings of the exact decisions
the columnar core made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .engine.findings import finding_record
from .engine.findings import number as _number
from .report import Finding

if TYPE_CHECKING:  # the columnar core needs numpy; keep `import balance_rules` light
    from .engine.columnar import ColumnarResult

__all__ = [
    "ROW_KEYS",
    "WORKING_KEYS",
    "Coded",
    "CodedRows",
    "CountyRecords",
    "Progress",
    "coded",
    "county_columns",
    "county_columns_coded",
    "county_records",
    "finding_record",
    "flat_finding",
    "flat_row",
]

#: ``progress(done, total)``, called as counties are produced.
Progress = Callable[[int, int], None]

_PASSED = {1: True, 0: False, -1: None}

#: The keys of a finding's flat row (a CSV or frame row less its county and school):
#: the record's keys with ``source`` split and ``missing`` joined by ``;``.
ROW_KEYS = (
    "level", "rule", "kind", "indicator", "value", "op", "threshold", "status",
    "decides", "veto", "document", "article", "layer", "missing", "detail",
)  # fmt: skip
#: What a county kernel's ``columns`` may add: a CV's working (total students N,
#: weighted mean X̄, S), None where there is none; the record does not hold it.
WORKING_KEYS = ("students", "mean", "std")


def flat_row(record: dict[str, Any]) -> dict[str, Any]:
    """A kernel's record as a flat row (:data:`ROW_KEYS`)."""
    source = record["source"]
    return {
        "level": record["level"],
        "rule": record["rule"],
        "kind": record["kind"],
        "indicator": record["indicator"],
        "value": record["value"],
        "op": record["op"],
        "threshold": record["threshold"],
        "status": record["status"],
        "decides": record["decides"],
        "veto": record["veto"],
        "document": source["document"],
        "article": source["article"],
        "layer": record["layer"],
        "missing": ";".join(record["missing"]),
        "detail": record.get("detail"),
    }


@attrs.frozen
class CountyRecords:
    """One county: its verdict, school sections, county-level findings and exclusions.

    Read-only: findings of one rule share their unchanging parts (``source``, an
    empty ``missing``) to keep a national run fast; copy a record before editing it.
    """

    county: str
    verdict: str
    vetoed: bool
    #: One per school section, in school id then level order, each with its findings.
    sections: list[dict[str, Any]]
    #: County-level findings (CVs, composites, facts) in the standard's rule order.
    findings: list[dict[str, Any]]
    coefficients: list[dict[str, Any]]
    excluded: list[dict[str, Any]]


class _Rules:
    """Per level: each section rule's kernel, compiled rule and outcome arrays."""

    def __init__(self, result: ColumnarResult) -> None:
        from .engine.kernels import KERNELS

        self.result = result
        standard = result.plan.standard
        self.kernels = KERNELS
        self.by_level: dict[str, list[tuple[Any, Any]]] = {}
        for rule_id, level in result.outcomes:
            rule = standard.rules[rule_id]
            kernel = KERNELS[rule.kind]
            self.by_level.setdefault(level, []).append((kernel.record, result.compiled[rule_id]))

    def county_finding(self, finding: Any, code: int) -> dict[str, Any]:
        kernel = self.kernels[finding.kind]
        return kernel.record(self.result.compiled[finding.rule], self.result, finding, code)


def _coefficient(finding: Any) -> dict[str, Any]:
    return {
        "level": finding.level,
        "indicator": finding.indicator,
        "value": finding.value,
        "max": _number(finding.threshold),
        "passed": (
            None
            if finding.status == "not_evaluated" or finding.threshold is None
            else finding.status == "pass"
        ),
        "schools": finding.schools,
        "rule": finding.rule,
        # The working, as in the JSON report (None for composites): total students N,
        # weighted mean and S.
        "students": finding.students,
        "mean": finding.mean,
        "std": finding.std,
    }


def sections_by_county(result: ColumnarResult) -> list[list[tuple[str, int, str, int]]]:
    """Per county code: (school id, level order, level, index in level)."""
    k = len(result.county_names)
    by_county: list[list[tuple[str, int, str, int]]] = [[] for _ in range(k)]
    ids = result.table.text["school_id"]
    order_of = {level: n for n, level in enumerate(result.plan.standard.levels)}
    for level, part in result.levels.items():
        position = order_of.get(level, len(order_of))
        for i, (code, row) in enumerate(
            zip(part.counties.tolist(), part.rows.tolist(), strict=True)
        ):
            by_county[code].append((ids[row], position, level, i))
    for sections in by_county:
        sections.sort()
    return by_county


def county_records(
    result: ColumnarResult, progress: Progress | None = None
) -> Iterator[CountyRecords]:
    """Every county's records, in county name order."""
    rules = _Rules(result)
    text = result.table.text
    by_county = sections_by_county(result)
    total = len(result.county_names)
    for code, name in enumerate(result.county_names):
        if progress is not None:
            progress(code, total)
        sections = []
        for school_id, _, level, i in by_county[code]:
            part = result.levels[level]
            row = int(part.rows[i])
            findings = [
                record(compiled, result, level, i)
                for record, compiled in rules.by_level.get(level, ())
            ]
            sections.append(
                {
                    "school_id": school_id,
                    "name": text["school_name"][row] or "",
                    "level": level,
                    "passed": _PASSED[int(result.section_passed[level][i])],
                    "school_type": text["school_type"][row],
                    "location": text["location"][row],
                    "students": _number(part.students[i]),
                    "merged": [text["school_id"][c] for c in result.children.get(row, ())],
                    "findings": findings,
                }
            )
        county_findings = result.county_findings[code]
        yield CountyRecords(
            county=name,
            verdict=result.verdicts[code],
            vetoed=result.vetoed[code],
            sections=sections,
            findings=[rules.county_finding(f, code) for f in county_findings],
            coefficients=[_coefficient(f) for f in county_findings if not isinstance(f, Finding)],
            excluded=[
                {
                    "school_id": e.school_id,
                    "reason": e.reason,
                    "name": e.name,
                    "level": e.level,
                    "detail": e.detail,
                }
                for e in result.excluded[code]
            ],
        )
    if progress is not None:
        progress(total, total)


def flat_finding(
    county: str, school_id: str | None, school_name: str | None, finding: dict[str, Any]
) -> dict[str, Any]:
    """A finding as one flat row (a CSV or DataFrame row): source split, missing joined."""
    return {
        "county": county,
        "school_id": school_id,
        "school_name": school_name,
        **flat_row(finding),
    }


@attrs.frozen(eq=False)
class Coded:
    """A column given as its distinct cells and, per row, its cell's place among them.

    What a kernel's ``columns`` may give for a column whose cells repeat (a
    level, a status, a threshold, a fact finding shared by counties): the rows
    are ``cells[index[i]]``, so a writer makes each distinct cell's text once.
    It reads as the sequence of its rows.
    """

    #: The distinct cells (or any cells: a cell may be given twice).
    cells: Sequence[Any]
    #: Per row, the place of its cell in :attr:`cells` (a 1-d integer NumPy array).
    index: Any

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, row: int) -> Any:
        return self.cells[int(self.index[row])]

    def __iter__(self) -> Iterator[Any]:
        return map(self.cells.__getitem__, self.index.tolist())


def coded(values: Sequence[Any], cell: Callable[[Any], Any] | None = None) -> Coded:
    """*values* as a :class:`Coded` column: equal values share one cell (``cell(value)``).

    Only for values whose equality is their cell's (text, one type of number):
    ``1 == 1.0 == True`` would share one cell.
    """
    import numpy as np

    place: dict[Any, Any] = dict.fromkeys(values)
    distinct = list(place)
    for n, value in enumerate(distinct):
        place[value] = n
    index = np.fromiter(map(place.__getitem__, values), dtype=np.int64, count=len(values))
    return Coded(distinct if cell is None else [cell(v) for v in distinct], index)


@attrs.frozen(eq=False)
class CodedRows:
    """Rows as coded columns, and which rows are the same in every column.

    Rows of one :attr:`identity` have the same cell in every column, so a writer
    can make each identity's text once: :attr:`first` is, per identity, its
    first row.
    """

    columns: dict[str, Coded]
    #: Per row, its identity (0 … number of identities - 1).
    identity: Any
    #: Per identity, the first row that has it.
    first: Any


def _by_rule(rules: list[str], codes: Sequence[int]) -> list[tuple[str, Any, slice | None]]:
    """Each rule and the places of its findings, in order (rule of first appearance).

    Usually every county has the same findings' rules in the same order: the
    places of a rule are then its places in the first county, county after county
    (and, for a rule found once per county, that slice of the findings).
    """
    import numpy as np

    n = len(rules)
    width = next((i for i, code in enumerate(codes) if code != codes[0]), n)
    if width and n % width == 0 and rules == rules[:width] * (n // width):
        template: dict[str, list[int]] = {}
        for j, rule in enumerate(rules[:width]):
            template.setdefault(rule, []).append(j)
        starts = np.arange(0, n, width)[:, None]
        return [
            (
                rule,
                (starts + np.array(js)).reshape(-1),
                slice(js[0], None, width) if len(js) == 1 else None,
            )
            for rule, js in template.items()
        ]
    number = {rule: i for i, rule in enumerate(dict.fromkeys(rules))}
    # (16-bit: a stable sort of few distinct small numbers is a radix sort)
    small = np.int16 if len(number) < 2**15 else np.int64
    rule_of = np.fromiter(map(number.__getitem__, rules), dtype=small, count=n)
    grouped = np.argsort(rule_of, kind="stable")
    bounds = np.searchsorted(rule_of[grouped], np.arange(len(number) + 1))
    return [(rule, grouped[bounds[i] : bounds[i + 1]], None) for rule, i in number.items()]


def county_columns_coded(
    result: ColumnarResult, items: Sequence[Any], codes: Sequence[int]
) -> CodedRows:
    """The flat rows of county findings (CVs, composites, facts) as coded columns.

    Each rule's findings are explained together by its kernel's ``columns`` when
    the kernel has one, else by its ``record`` row by row; row *i* of every
    column is ``items[i]``'s (found in county ``codes[i]``).  The CV's working
    (``students``, ``mean``, ``std``) is there when some kernel gives it (None
    on other rows).  A kernel's :class:`Coded` column keeps its cells; any other
    column gives one cell per row.  Rows share an identity when a kernel gives
    every column coded with one index (a finding shared by counties): equal
    places in it are equal rows.
    """
    from operator import attrgetter

    import numpy as np

    from .engine.kernels import KERNELS
    from .engine.kernels.base import record_columns

    n = len(items)
    # Cell 0 of every column: None, the cell of rows no kernel gives one for.
    cells: dict[str, list[Any]] = {key: [None] for key in ROW_KEYS}
    index: dict[str, Any] = {key: np.zeros(n, dtype=np.int64) for key in ROW_KEYS}
    # Each rule's findings together (in their order), one kernel call per rule.
    rules = list(map(attrgetter("rule"), items))
    identity = np.zeros(n, dtype=np.int64)
    identities = 0
    for rule_id, at, every in _by_rule(rules, codes):
        if every is not None:  # (a slice of the lists: no lookup per finding)
            mine, where = list(items[every]), list(codes[every])
        else:
            positions = at.tolist()
            mine = list(map(items.__getitem__, positions))
            where = list(map(codes.__getitem__, positions))
        kernel = KERNELS[mine[0].kind]
        compiled = result.compiled[rule_id]
        if kernel.columns is not None:
            found = kernel.columns(compiled, result, mine, where)
        else:
            found = record_columns(kernel.record, compiled, result, mine, where)
        shared = [getattr(column, "index", None) for column in found.values()]
        if shared and shared[0] is not None and all(i is shared[0] for i in shared):
            places = np.asarray(shared[0])
            identity[at] = places + identities
            identities += int(places.max()) + 1 if len(places) else 0
        else:
            identity[at] = np.arange(identities, identities + len(at))
            identities += len(at)
        for key, column in found.items():
            if key not in cells:
                if key not in WORKING_KEYS:
                    continue
                cells[key] = [None]
                index[key] = np.zeros(n, dtype=np.int64)
            mine_cells = cells[key]
            base = len(mine_cells)
            if isinstance(column, Coded):
                mine_cells.extend(column.cells)
                index[key][at] = np.asarray(column.index) + base
            else:  # a list or an array: one cell per row, its value as it is
                mine_cells.extend(column.tolist() if isinstance(column, np.ndarray) else column)
                index[key][at] = np.arange(base, base + len(at))
    # Identities numbered without gaps (an identity given no row is dropped).
    first = np.full(identities, n, dtype=np.int64)
    np.minimum.at(first, identity, np.arange(n))
    seen = first < n
    renumber = np.cumsum(seen) - 1
    columns = {key: Coded(cells[key], index[key]) for key in cells}
    return CodedRows(columns, renumber[identity], first[seen])


def county_columns(result: ColumnarResult, items: Sequence[Any], codes: Sequence[int]) -> Any:
    """The flat rows of county findings (CVs, composites, facts) as columns, in order.

    :func:`county_columns_coded`, each column a NumPy object array of its rows.
    """
    import numpy as np

    out: dict[str, Any] = {}
    for key, column in county_columns_coded(result, items, codes).columns.items():
        distinct = np.empty(len(column.cells), dtype=object)
        for n, cell in enumerate(column.cells):  # (a cell as it is, never unpacked)
            distinct[n] = cell
        out[key] = distinct[column.index]
    return out
