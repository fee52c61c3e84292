"""Write the case files shipped beside the bundled standards.

    python scripts/make_cases.py             # every bundled standard
    python scripts/make_cases.py hebei/basic-2012

Each case puts one rule exactly at, just above or just below its threshold.  The
inputs come from the rule definitions; every expected status is then set by the
independent oracle in tests/oracle (plain exact Fractions, none of the package's
evaluation code), never by the engine the cases test — and the script stops if
the oracle contradicts the status a case was built for.  Review the diff before
committing: a changed expectation means a changed standard.
"""

from __future__ import annotations

import sys
from pathlib import Path

from balance_rules import bundled_ids, load_standard
from balance_rules.standard.loader import bundled_dir
from balance_rules.testing.cases import dump_cases, generate_cases

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.oracle.cases import with_oracle_statuses

HEADER = """\
# Cases for {id}: each rule exactly at, just above and just below its threshold.
# Written by scripts/make_cases.py from the rule definitions, every expected
# status set by the independent oracle in tests/oracle; run them with
#   balance-rules test {id}
# Regenerating replaces this file: hand-written cases go in NAME.manual.cases.yaml.
"""


def main(names: list[str]) -> None:
    for name in names or bundled_ids():
        standard = load_standard(name)
        path = bundled_dir() / f"{name}.cases.yaml"
        document = with_oracle_statuses(standard, generate_cases(standard))
        path.write_text(dump_cases(document, HEADER.format(id=name)), encoding="utf-8")
        print(f"wrote {path} ({len(document['cases'])} cases)")


if __name__ == "__main__":
    main(sys.argv[1:])
