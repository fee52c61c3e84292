"""Write the case files shipped beside the bundled standards.

    python scripts/make_cases.py             # every bundled standard
    python scripts/make_cases.py hebei/basic-2012

Each case puts one rule exactly at, just above or just below its threshold; the
expected status follows from the rule's operator. Review the diff before
committing: a changed expectation means a changed standard.
"""

from __future__ import annotations

import sys

from balance_rules import bundled_ids, load_standard
from balance_rules.standard.loader import bundled_dir
from balance_rules.testing.cases import dump_cases, generate_cases

HEADER = """\
# Cases for {id}: each rule exactly at, just above and just below its threshold.
# Written by scripts/make_cases.py from the rule definitions; run them with
#   balance-rules test {id}
# Regenerating replaces this file: hand-written cases go in NAME.manual.cases.yaml.
"""


def main(names: list[str]) -> None:
    for name in names or bundled_ids():
        standard = load_standard(name)
        path = bundled_dir() / f"{name}.cases.yaml"
        document = generate_cases(standard)
        path.write_text(dump_cases(document, HEADER.format(id=name)), encoding="utf-8")
        print(f"wrote {path} ({len(document['cases'])} cases)")


if __name__ == "__main__":
    main(sys.argv[1:])
