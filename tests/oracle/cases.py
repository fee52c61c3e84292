"""The expected statuses of shipped case files, from the oracle.

``scripts/make_cases.py`` writes every expectation from here, and
tests/test_core_cases.py checks every shipped case file against it, so no case
file gets its expectations from the code it tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from balance_rules.data.model import County, School
from balance_rules.standard.model import Standard

from . import OracleCounty, evaluate

__all__ = ["COUNTY", "county_of", "expected_status", "with_oracle_statuses"]

COUNTY = "测试县"


def county_of(case: Mapping[str, Any]) -> County:
    schools = [School(**{"county": COUNTY, **dict(record)}) for record in case.get("schools", [])]
    return County(name=COUNTY, schools=schools, facts=dict(case.get("facts", {}) or {}))


def expected_status(result: OracleCounty, expect: Mapping[str, Any]) -> set[str]:
    """The oracle's statuses of the findings one expectation names."""
    school = expect.get("school")
    found = result.school_findings if school is not None else result.county_findings
    return {
        f.status
        for f in found
        if f.rule == expect["rule"]
        and (school is None or f.school_id == school)
        and ("level" not in expect or f.level == expect["level"])
        and ("indicator" not in expect or f.indicator == expect["indicator"])
    }


def with_oracle_statuses(standard: Standard, document: dict[str, Any]) -> dict[str, Any]:
    """*document* with every expectation's status (and verdict) set by the oracle.

    Raises ValueError when an expectation names no finding or several that
    disagree, or when the oracle contradicts the status the case was built for
    (the generator and the oracle must then be reconciled by hand).
    """
    for case in document["cases"]:
        result = evaluate(standard, county_of(case))
        for expect in case.get("expect", []):
            statuses = expected_status(result, expect)
            if len(statuses) != 1:
                raise ValueError(
                    f"{case['name']}: the oracle gives {sorted(statuses)} for {expect}"
                )
            (status,) = statuses
            if expect.get("status") not in (None, status):
                raise ValueError(
                    f"{case['name']}: built to {expect['status']}, the oracle says {status}"
                )
            expect["status"] = status
        if "verdict" in case:
            case["verdict"] = result.verdict
    return document
