"""The result of an evaluation: plain, immutable data that every renderer reads.

A Report is a view over the evaluation core's result: school findings are built
when first read.  Decisions (statuses, verdicts) are exact; computed values
(indicator values, CVs, ratios) are the floats every output format prints, so
json, csv, jsonl, text, markdown and frames show the same digits.  Thresholds
and county facts stay the exact ``Decimal`` read from the files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import attrs

from .data.readers import SkippedRow
from .sections import Excluded
from .standard.model import Citation, Standard

__all__ = [
    "Coefficient",
    "CountyResult",
    "Excluded",
    "Finding",
    "Report",
    "SchoolResult",
    "SkippedRow",
    "Status",
    "Verdict",
]

Status = Literal["pass", "fail", "not_evaluated"]
Verdict = Literal["pass", "fail", "incomplete"]
Exact = Fraction | Decimal


@attrs.frozen(kw_only=True)
class Finding:
    """One rule applied to one school section or one county, with its reason.

    ``value`` is the observed value (a float for computed values, the exact
    ``Decimal`` of a county fact as given; ``bool`` for yes/no facts; ``None``
    when it could not be computed), ``op`` and ``threshold`` what it was compared
    with, ``layer`` the standard layer that set the threshold, ``missing`` the
    data fields whose absence left the rule ``not_evaluated``.  ``decides`` is
    false for rules that only feed another rule (the 7 of a 6-of-7 rule) or sit in
    a group outside the verdict.
    """

    rule: str
    kind: str
    group: str
    status: Status
    indicator: str | None = None
    fact: str | None = None
    level: str | None = None
    value: Exact | float | int | bool | None = None
    op: str | None = None
    threshold: Decimal | int | bool | None = None
    source: Citation
    layer: str
    veto: bool = False
    decides: bool = True
    confidence: str = "confirmed"
    missing: tuple[str, ...] = ()
    #: For CVs: the schools whose data is missing.
    missing_at: tuple[str, ...] = ()
    detail: str | None = None
    # For k-of-n rules: how many were met and the weakest unmet ratio.
    met: int | None = None
    of: int | None = None
    lowest_ratio: Fraction | None = None
    lowest_rule: str | None = None
    #: The CV was undefined (mean zero).
    undefined: bool = False
    #: A county fact computed from the schools because the county did not give it.
    derived: bool = False


def built_once(owner: Any, name: str) -> Any:
    """A lazily built field: call its builder once, keep the result (as a tuple).

    The fields of a frozen result that may be given as a function building them
    (a Report's findings, a shortfall plan's refusals) are read through this.
    """
    value = getattr(owner, name)
    if callable(value):
        value = tuple(value())
        object.__setattr__(owner, name, value)
    return value


@attrs.frozen(kw_only=True, eq=False, repr=False)
class SchoolResult:
    """The findings for one level section of one school.

    ``findings`` may be given as a function that builds them: they are then built
    on first use (a report over a whole nation costs nothing until it is read).
    """

    school_id: str
    name: str
    level: str
    school_type: str
    location: str | None
    students: Fraction | float | None
    _findings: tuple[Finding, ...] | Callable[[], Iterable[Finding]]
    merged: tuple[str, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        found: tuple[Finding, ...] = built_once(self, "_findings")
        return found

    @property
    def passed(self) -> bool | None:
        """False if a deciding finding fails, None if one is not evaluated, else True."""
        return _passed(f for f in self.findings if f.decides)

    def _key(self) -> tuple[Any, ...]:
        return (self.school_id, self.name, self.level, self.school_type, self.location,
                self.students, self.findings, self.merged)  # fmt: skip

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SchoolResult):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"SchoolResult({self.school_id!r}, {self.level!r}, passed={self.passed})"


@attrs.frozen(kw_only=True)
class Coefficient:
    """A difference coefficient (CV) of one indicator, or a composite, at one level."""

    rule: str
    level: str
    indicator: str
    value: float | None
    max: Decimal | None
    passed: bool | None
    schools: int
    composite: bool = False
    #: The working (single-indicator CVs; None for composites or when undefined):
    #: total students P, student-weighted mean X̄ and S, so that CV = S / X̄.
    students: float | None = None
    mean: float | None = None
    std: float | None = None


@attrs.frozen(kw_only=True, eq=False, repr=False)
class CountyResult:
    """Everything evaluated for one county.

    ``schools``, ``coefficients`` and ``findings`` may be given as functions that
    build them; they are then built on first use.
    """

    county: str
    verdict: Verdict
    vetoed: bool
    _schools: tuple[SchoolResult, ...] | Callable[[], Iterable[SchoolResult]]
    _coefficients: tuple[Coefficient, ...] | Callable[[], Iterable[Coefficient]]
    _findings: tuple[Finding, ...] | Callable[[], Iterable[Finding]]
    excluded: tuple[Excluded, ...]
    notes: tuple[str, ...] = ()

    @property
    def schools(self) -> tuple[SchoolResult, ...]:
        found: tuple[SchoolResult, ...] = built_once(self, "_schools")
        return found

    @property
    def coefficients(self) -> tuple[Coefficient, ...]:
        found: tuple[Coefficient, ...] = built_once(self, "_coefficients")
        return found

    @property
    def findings(self) -> tuple[Finding, ...]:
        found: tuple[Finding, ...] = built_once(self, "_findings")
        return found

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def _key(self) -> tuple[Any, ...]:
        return (self.county, self.verdict, self.vetoed, self.schools, self.coefficients,
                self.findings, self.excluded, self.notes)  # fmt: skip

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CountyResult):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"CountyResult({self.county!r}, verdict={self.verdict!r}, vetoed={self.vetoed})"

    def all_findings(self) -> Iterator[Finding]:
        """School findings, then county findings."""
        for school in self.schools:
            yield from school.findings
        yield from self.findings


@attrs.frozen(kw_only=True, repr=False)
class Report:
    """The evaluation of one or more counties against one standard."""

    standard: Standard
    counties: tuple[CountyResult, ...]
    #: Input rows left out because of bad data (only with ``skip_bad_rows``).
    skipped: tuple[SkippedRow, ...] = ()

    def __repr__(self) -> str:
        verdicts = ", ".join(f"{c.county}: {c.verdict}" for c in self.counties[:5])
        more = f", … {len(self.counties) - 5} more" if len(self.counties) > 5 else ""
        return f"Report({self.standard.id!r}, {{{verdicts}{more}}})"

    @property
    def passed(self) -> bool:
        """True when every county passes."""
        return all(c.passed for c in self.counties)


def _passed(findings: Iterator[Finding]) -> bool | None:
    result: bool | None = True
    for finding in findings:
        if finding.status == "fail":
            return False
        if finding.status == "not_evaluated":
            result = None
    return result
