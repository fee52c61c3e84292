"""Tools for testing standards and policy changes (public API).

Checks to call from your own tests, each raising :class:`PolicyViolation` (an
``AssertionError``) with a readable counterexample::

    from balance_rules import load_standard, read_counties
    from balance_rules.testing import check_at_least_as_strict

    counties = read_counties("schools.xlsx", "facts.yaml")
    check_at_least_as_strict(load_standard("my-county.yaml"),
                             load_standard("hebei/quality-2017"), counties)

Hypothesis strategies for generated schools, counties, facts and standards are in
:mod:`balance_rules.testing.strategies` (needs ``pip install 'balance-rules[testing]'``);
case files shipped beside standards are run by :mod:`balance_rules.testing.cases`.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from ..data.model import County
from ..engine.plan import evaluate
from ..flips import FindingFlip, FlipReport, flip_report
from ..render.json import render_json
from ..standard.model import Standard
from .cases import CaseResult, case_files, generate_cases, run_case_file

__all__ = [
    "CaseResult",
    "PolicyViolation",
    "case_files",
    "check_at_least_as_strict",
    "check_deterministic",
    "check_equivalent",
    "check_flips_only",
    "generate_cases",
    "run_case_file",
]

_SHOWN = 8


class PolicyViolation(AssertionError):
    """A policy check failed; ``flips`` holds the counterexamples."""

    def __init__(self, message: str, flips: FlipReport | None = None) -> None:
        super().__init__(message)
        self.flips = flips


def _describe(flip: FindingFlip) -> str:
    where = (
        f"school {flip.school_id} {flip.name or ''} [{flip.level}]"
        if flip.school_id
        else (f"county {flip.county}" + (f" [{flip.level}]" if flip.level else ""))
    )
    indicator = f" ({flip.indicator})" if flip.indicator and flip.indicator != flip.rule else ""
    return (
        f"{where.strip()}: rule {flip.rule}{indicator}: {flip.old_status} -> {flip.new_status}; "
        f"value {flip.old_value} -> {flip.new_value}, "
        f"threshold {flip.old_threshold} -> {flip.new_threshold}"
    )


def _counties(counties: County | Iterable[County]) -> list[County]:
    return [counties] if isinstance(counties, County) else list(counties)


def check_at_least_as_strict(
    candidate: Standard, reference: Standard, counties: County | Iterable[County]
) -> None:
    """Nothing (rule, school section or county) passes under *candidate* that fails
    under *reference*, on the given data."""
    report = flip_report(reference, candidate, _counties(counties))
    looser = [f for f in report.findings if f.to_pass]
    schools = [s for s in report.schools if s.old_passed is False and s.new_passed is True]
    counties_ = [c for c in report.counties if c.old_verdict == "fail" and c.new_verdict == "pass"]
    if not (looser or schools or counties_):
        return
    lines = [f"{candidate.id} is looser than {reference.id} on this data:"]
    lines += [f"  county {c.county}: fail -> pass" for c in counties_]
    lines += [
        f"  school {s.school_id} {s.name} [{s.level}]: fail -> pass" for s in schools[:_SHOWN]
    ]
    lines += [f"  {_describe(f)}" for f in looser[:_SHOWN]]
    if len(looser) > _SHOWN:
        lines.append(f"  ... and {len(looser) - _SHOWN} more rules")
    raise PolicyViolation("\n".join(lines), report)


def check_equivalent(a: Standard, b: Standard, counties: County | Iterable[County]) -> None:
    """Every finding, school section and county has the same status under both."""
    report = flip_report(a, b, _counties(counties))
    if report.empty:
        return
    lines = [f"{a.id} and {b.id} differ on this data:"]
    lines += [f"  county {c.county}: {c.old_verdict} -> {c.new_verdict}" for c in report.counties]
    lines += [f"  {_describe(f)}" for f in report.findings[:_SHOWN]]
    if len(report.findings) > _SHOWN:
        lines.append(f"  ... and {len(report.findings) - _SHOWN} more")
    raise PolicyViolation("\n".join(lines), report)


def check_flips_only(
    old: Standard,
    new: Standard,
    counties: County | Iterable[County],
    rules: Iterable[str],
) -> None:
    """Only findings of the named *rules* (and the results they feed) change."""
    allowed = set(rules)
    report = flip_report(old, new, _counties(counties))
    unexpected = [f for f in report.findings if f.rule not in allowed]
    if not unexpected:
        return
    lines = [f"{old.id} -> {new.id} flips rules other than {sorted(allowed)}:"]
    lines += [f"  {_describe(f)}" for f in unexpected[:_SHOWN]]
    if len(unexpected) > _SHOWN:
        lines.append(f"  ... and {len(unexpected) - _SHOWN} more")
    raise PolicyViolation("\n".join(lines), report)


def check_deterministic(standard: Standard, counties: County | Iterable[County]) -> None:
    """Evaluating twice, and with the schools in reverse order, gives identical JSON."""
    counties = _counties(counties)
    first = render_json(evaluate(standard, counties))
    second = render_json(evaluate(standard, counties))
    reordered = [attrs.evolve(c, schools=tuple(reversed(c.schools))) for c in reversed(counties)]
    third = render_json(evaluate(standard, reordered))
    if first == second == third:
        return
    differing = next(
        i for i, (x, y, z) in enumerate(zip(first, second, third, strict=False)) if not x == y == z
    )
    raise PolicyViolation(
        f"{standard.id}: evaluation is not deterministic; the JSON reports first differ "
        f"at character {differing}: {first[max(0, differing - 60) : differing + 60]!r}"
    )
