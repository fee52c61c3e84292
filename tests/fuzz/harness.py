"""The fuzzing harness: corrupt an input file, run it, check the guarantees.

Every run goes through ``main(argv)`` in-process (and the library readers), and
must keep these properties (docs/guarantees.md):

- the exit status is 0, 1 or 2 (never 3, a bug; never a traceback);
- an exit 2 carries a message naming one of the run's files;
- no input file changes, and an ``--output`` file is complete or absent.

``BALANCE_RULES_FUZZ_EXAMPLES`` sets the number of examples per test (small by
default, so that CI stays fast); with it, hypothesis also searches at random
instead of replaying its fixed seed.  A failure found is kept as a file under
``tests/fuzz/cases/`` (see ``test_fuzz_regressions.py``).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from balance_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = ROOT / "examples"
CASES = Path(__file__).resolve().parent / "cases"

#: Examples per fuzz test: few in CI, more when asked.
EXAMPLES_PER_TEST = int(os.environ.get("BALANCE_RULES_FUZZ_EXAMPLES", "0") or 0)


def fuzz_settings(default: int) -> settings:
    """Hypothesis settings: *default* examples, derandomized unless more are asked for."""
    asked = EXAMPLES_PER_TEST > 0
    return settings(
        max_examples=EXAMPLES_PER_TEST if asked else default,
        deadline=None,
        derandomize=not asked,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )


#: Values that have broken readers somewhere: numbers that are not, markup, escapes.
NASTY = [
    "",
    " ",
    "0",
    "-1",
    "-5",
    "1e400",
    "1.0e+400",
    "9" * 5000,
    "0." + "1" * 60,
    ".nan",
    ".inf",
    "-.inf",
    "NaN",
    "Infinity",
    "1850%",
    "978%",
    "18,50",
    "1_850",
    "１８５０",
    "0x1F",
    "1:30",
    "是",
    "否",
    "yes",
    "~",
    "null",
    '"',
    "'",
    '"unbalanced',
    "a,b",
    "{",
    "}",
    "[",
    "]",
    "- ",
    ": ",
    "&a",
    "*a",
    "*nope",
    "<<: *a",
    "!!python/object/apply:os.system ['true']",
    "!!binary AAAA",
    "%YAML 1.1",
    "---",
    "...",
    "\t",
    "\r\n",
    "\x00",
    "\x1b[2J",
    "\ufeff",
    "\u202e",
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "=1+1",
    "x" * 5000,
    "𝟘",
    "../../etc/passwd",
    "/etc/passwd",
    "national/quality-2017",
    "national/../../../../etc/hostname",
]


@st.composite
def corrupted_text(draw: st.DrawFn, text: str) -> str:
    """*text* with 1-4 edits: a nasty value or random text put in, lines cut,
    repeated or swapped, the end cut off."""
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not lines:
            lines = [""]
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        action = draw(
            st.sampled_from(["nasty", "random", "cut", "repeat", "swap", "truncate", "value"])
        )
        if action == "nasty" or action == "random":
            piece = draw(st.sampled_from(NASTY)) if action == "nasty" else draw(st.text(max_size=8))
            at = draw(st.integers(min_value=0, max_value=len(lines[i])))
            lines[i] = lines[i][:at] + piece + lines[i][at:]
        elif action == "value":
            # Replace what follows the last ':' or ',' on the line: a YAML value or a cell.
            line = lines[i]
            cut = max(line.rfind(":"), line.rfind(","))
            if cut >= 0:
                ending = "\n" if line.endswith("\n") else ""
                lines[i] = line[: cut + 1] + " " + draw(st.sampled_from(NASTY)) + ending
        elif action == "cut":
            del lines[i]
        elif action == "repeat":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines = lines[: i + 1]
            lines[-1] = lines[-1][: draw(st.integers(min_value=0, max_value=len(lines[-1])))]
    return "".join(lines)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "-"


@contextmanager
def workspace() -> Iterator[Path]:
    """A fresh folder with copies of the examples (table, facts, standard, xlsx)."""
    folder = Path(tempfile.mkdtemp(prefix="br-fuzz-"))
    try:
        for name in (
            "example-county.csv",
            "example-county.xlsx",
            "example-county-facts.yaml",
            "example-county-standard.yaml",
        ):
            shutil.copy(EXAMPLES / name, folder / name)
        (folder / "mapping.yaml").write_text(
            "columns:\n  学校名称: school_name\n  县区: county\n", encoding="utf-8"
        )
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_and_check(argv: Sequence[str], inputs: Sequence[Path], output: Path | None = None) -> int:
    """Run the command in-process and assert every guarantee; returns the exit status."""
    before = {path: _digest(path) for path in inputs}
    out, err = io.StringIO(), io.StringIO()
    try:
        code = main(list(argv), stdout=out, stderr=err)
    except SystemExit as exc:  # argparse: a usage error
        code = exc.code if isinstance(exc.code, int) else 2
    message = err.getvalue()
    assert code in (0, 1, 2), f"exit {code} for {argv}:\n{message}"
    assert "Traceback" not in message, message
    if code == 2:
        names = {p.name for p in inputs} | ({output.name} if output else set())
        assert any(name in message for name in names), f"exit 2 names no file:\n{message}"
    for path, digest in before.items():
        assert _digest(path) == digest, f"{path} changed"
    if output is not None:
        leftovers = [p.name for p in output.parent.iterdir() if p.name.endswith(".partial")]
        assert not leftovers, leftovers
        if code in (0, 1) and output.exists():
            assert output.stat().st_size > 0
    return code
