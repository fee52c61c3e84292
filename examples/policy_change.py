"""A province proposes a change; what flips, and is it only ever stricter?

    python examples/policy_change.py

1. Compare the standards value by value (diff).
2. Evaluate the example county under both and list what flips.
3. Property-test the proposal on generated counties: it must never let a school
   or county pass that fails today, and it may only flip the rule it changes
   (and the 6-of-7 rule that counts it).
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings

import balance_rules as br
from balance_rules.flips import flip_report
from balance_rules.render.flips import render_flips_text
from balance_rules.testing import check_at_least_as_strict, check_flips_only
from balance_rules.testing.strategies import counties

HERE = Path(__file__).parent
CURRENT = br.load_standard("national/quality-2017")
PROPOSAL = br.load_standard(HERE / "proposal-equipment-3000.yaml")


def main() -> None:
    # 1. What the proposal changes, and where each value is set.
    for change in br.diff_standards(CURRENT, PROPOSAL):
        print(change.direction, ".".join(change.path), change.old, "->", change.new)

    # 2. Who flips in the example county.
    data = br.read_counties(HERE / "example-county.xlsx", HERE / "example-county-facts.yaml")
    print()
    print(render_flips_text(flip_report(CURRENT, PROPOSAL, data), lang="en"))

    # 3. Property tests on generated counties (schools near the thresholds included).
    @settings(max_examples=50, deadline=None)
    @given(counties(standard=CURRENT, max_schools=10))
    def proposal_is_only_stricter(county: br.County) -> None:
        check_at_least_as_strict(PROPOSAL, CURRENT, county)
        check_flips_only(
            CURRENT, PROPOSAL, county, rules=["equipment_value_per_student", "resource_school_6_of_7"]
        )

    proposal_is_only_stricter()
    print("property tests passed: the proposal only tightens, and only the equipment rule flips")


if __name__ == "__main__":
    main()
