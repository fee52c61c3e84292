"""`validate` accepts nothing that `evaluate`, `show` or `diff` cannot run.

Property: a standard with any numbers put in its thresholds and caps (NaN,
infinities, huge, tiny, negative, many digits) is either refused with located
problems, or evaluates generated counties and renders without error.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from balance_rules import evaluate
from balance_rules.errors import StandardError
from balance_rules.render.diff import render_diff_text
from balance_rules.render.json import render_json
from balance_rules.render.show import render_show
from balance_rules.render.text import render_text
from balance_rules.standard.compare import diff_standards
from balance_rules.standard.loader import load_standard, standard_from_mapping
from balance_rules.testing.strategies import counties, edited_standards, threshold_perturbations

NATIONAL = load_standard("national/quality-2017")

EXTREMES = [
    Decimal("0"),
    Decimal("-1"),
    Decimal("1E+14"),
    Decimal("999999999999999"),
    Decimal("1E+15"),
    Decimal("1E+400"),
    Decimal("1E-12"),
    Decimal("1E-13"),
    Decimal("0." + "3" * 40),
    Decimal("NaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
]

numbers = st.one_of(
    st.sampled_from(EXTREMES),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
)


def _set(document: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node: Any = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@given(
    base=edited_standards(NATIONAL, max_edits=2),
    data=st.data(),
    county=counties(standard=NATIONAL, max_schools=6, sub_sites=True),
)
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_every_standard_that_validates_evaluates(
    base: tuple[Any, Any], data: st.DataObject, county: Any
) -> None:
    standard, _ = base
    document = copy.deepcopy(dict(standard.document))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        edit = data.draw(threshold_perturbations(standard))
        _set(document, edit.path, data.draw(numbers))
    try:
        edited = standard_from_mapping(document, name="edited.yaml")
    except StandardError as exc:
        assert exc.problems
        assert all(p.file == "edited.yaml" for p in exc.problems)
        return
    report = evaluate(edited, county)
    render_json(report, "en")
    render_text(report, "zh", verbose=True)
    render_show(edited, "en")
    render_diff_text(NATIONAL, edited, diff_standards(NATIONAL, edited), "en")
