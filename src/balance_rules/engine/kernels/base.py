"""What every rule kernel shares: statuses, the arrays of a level, and the kernel surface.

A kernel evaluates one rule kind for every section (or every county) at once.
Its surface is four functions, collected in a :class:`Kernel`:

``compile(rule, plan)``
    everything that does not depend on the data (thresholds as numbers, the
    layer that set each, the indicator arithmetic), done once per standard;
``run(compiled, run)``
    arrays for all sections or counties: it stores an :class:`Outcome` per level
    (status, value, threshold) in ``run.outcomes`` — or appends one county finding
    per county to ``run.findings`` — and hands values near their threshold to the
    shared exact step (``run.ties``, or the functions of
    :mod:`balance_rules.engine.exact`);
``record(compiled, result, level, index)``
    the reason of one row as a flat record (the keys of the JSON report's
    findings), built on demand;
``explain(compiled, result, level, index)``
    the same as a :class:`~balance_rules.report.Finding`;
``columns(compiled, result, items, codes)`` (optional, county rules)
    the flat rows (:data:`ROW_KEYS`) of many county findings at once, as
    columns: one list per key, entry *i* equal to ``record`` of ``items[i]``
    (county ``codes[i]``) flattened by :func:`flat_row`; it may add the CV's
    working (:data:`WORKING_KEYS`).  A kind without it is explained by
    ``record`` row by row (:func:`record_columns`) — the same rows, slower.

A kernel with ``needs_previous`` (monitoring's ``warning_*`` kinds) reads one
county's results in two consecutive years instead: ``run(compiled, current,
previous)`` returns its hits, ``explain(compiled, current, hit, index)`` one
hit as a result object.  The one-year evaluation skips it.

Kernels never read files, print, or know about output formats.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import attrs
import numpy as np

from ...records import ROW_KEYS, WORKING_KEYS, flat_row
from ..findings import base_record, common, finding_of, finding_record, number

if TYPE_CHECKING:
    from ...data.columns import ColumnTable
    from ...report import Excluded
    from ...sections import Section
    from ...standard.model import Standard
    from ..exact import Tie
    from ..plan import Plan

__all__ = [
    "FAIL",
    "NOT_EVALUATED",
    "PASS",
    "ROW_KEYS",
    "STATUS",
    "WORKING_KEYS",
    "CountyFinding",
    "Kernel",
    "Level",
    "Outcome",
    "Result",
    "Run",
    "base_record",
    "common",
    "finding_of",
    "finding_record",
    "flat_row",
    "number",
    "record_columns",
]

PASS, FAIL, NOT_EVALUATED = 0, 1, 2
#: Status codes in arrays → the status words of findings.
STATUS = ("pass", "fail", "not_evaluated")


def record_columns(
    record: Callable[..., dict[str, Any]],
    compiled: Any,
    result: Any,
    items: Sequence[Any],
    codes: Sequence[int],
) -> dict[str, list[Any]]:
    """County findings' flat rows as columns, through ``record`` row by row.

    What a kernel's ``columns`` must equal, and what is used for a kind without it.
    """
    pairs = zip(items, codes, strict=True)
    rows = [flat_row(record(compiled, result, item, code)) for item, code in pairs]
    return {key: [row[key] for row in rows] for key in ROW_KEYS}


@attrs.define
class Level:
    """The sections of one level: rows of the table, county codes, students, values."""

    level: str
    rows: np.ndarray
    counties: np.ndarray
    students: np.ndarray
    values: dict[str, np.ndarray] = attrs.field(factory=dict)


@attrs.define
class Outcome:
    """One section rule at one level: status, value and threshold per section."""

    status: np.ndarray
    value: np.ndarray
    threshold: np.ndarray
    #: The layers that set the thresholds, and per section an index into them (-1: none).
    layers: list[str]
    layer: np.ndarray


class CountyFinding(NamedTuple):
    """A CV or composite decision of one county (a light stand-in for a full Finding).

    A named tuple: a nation has tens of thousands of them, built in one pass.
    """

    rule: str
    kind: str
    level: str
    indicator: str
    status: str
    value: float | None
    threshold: Decimal | None
    decides: bool
    veto: bool
    group: str
    schools: int
    #: For a CV not evaluated: the missing columns and the schools lacking them.
    missing: tuple[str, ...] = ()
    missing_at: tuple[str, ...] = ()
    #: For a composite: the indicators whose CV is undefined (mean zero).
    detail: str | None = None
    #: The CV's working (single-indicator CVs): total students, weighted mean and S.
    students: float | None = None
    mean: float | None = None
    std: float | None = None


class Run(Protocol):
    """One evaluation in progress, as kernels see it (see ``engine.columnar``)."""

    plan: Plan
    standard: Standard
    table: ColumnTable
    county_names: list[str]
    levels: dict[str, Level]
    outcomes: dict[tuple[str, str], Outcome]
    #: Per county code: its county findings, in the standard's rule order.
    findings: list[list[Any]]
    #: Section values near a threshold, decided by the exact step after stage 0.
    ties: list[Tie]
    split_items: frozenset[str]
    combined: np.ndarray
    merged: np.ndarray
    fact_counties: list[Any]

    def indicator(self, name: str, part: Level) -> np.ndarray: ...

    def exact_section(self, row: int, level: str) -> Section: ...

    def moments(
        self, name: str, part: Level
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]: ...


class Result(Protocol):
    """A finished evaluation, as kernels explain it (see ``engine.columnar``)."""

    plan: Plan
    table: ColumnTable
    levels: dict[str, Level]
    outcomes: dict[tuple[str, str], Outcome]
    county_findings: list[list[Any]]
    excluded: list[list[Excluded]]


@attrs.frozen
class Kernel:
    """One rule kind: how to compile, run and explain its rules.

    ``stage`` orders the kinds: 0 section rules on the data (their near-ties are
    decided exactly before stage 1), 1 section rules over other rules' outcomes,
    2 county rules.  Within a stage rules run in the standard's order.
    """

    kind: str
    stage: int
    compile: Callable[[Any, Plan], Any]
    #: ``run(compiled, run)`` (one year: stores outcomes or county findings), or for
    #: a kernel that :attr:`needs_previous`, ``run(compiled, current, previous)``
    #: over one county's results in two consecutive years, returning its hits.
    run: Callable[..., Any]
    #: ``record(compiled, result, key, index)``: for a section rule *key* is the
    #: level and *index* the section's place in it; for a county rule *key* is the
    #: county finding ``run`` stored and *index* the county's code; for a kernel
    #: that needs the previous year, *result* is the county's year and *key* a hit.
    record: Callable[..., dict[str, Any]]
    explain: Callable[..., Any]
    #: For section rules: the levels it produces outcomes at (None: county rule).
    levels: Callable[[Any], Sequence[str]] | None = None
    #: Optional, for county rules: ``columns(compiled, result, items, codes)``, the
    #: flat rows of many county findings (all of this kernel's rule) at once — a
    #: mapping from each of :data:`ROW_KEYS` (and optionally :data:`WORKING_KEYS`)
    #: to a sequence (list or 1-d NumPy array) with one entry per item, equal to
    #: :func:`record_columns`.  None: the rows are built by ``record``, one by one.
    columns: Callable[..., dict[str, Any]] | None = None
    #: True for a year-on-year kind (monitoring's early warnings): its input is a
    #: county's result this year and the year before, so the one-year evaluation
    #: skips it and it never decides a verdict.
    needs_previous: bool = False
