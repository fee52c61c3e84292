"""Markup and terminal escapes from the data never act in Markdown or text output."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from balance_rules.cli import main
from balance_rules.render.markdown import escape
from balance_rules.render.text import clean

from .conftest import EXAMPLE_SCHOOLS

HOSTILE_NAME = "<script>alert(1)</script> [click](javascript:alert(2)) <javascript:x> a|b *em*"
HOSTILE_COUNTY = "县\x1b[2J\x1b]0;owned\x07<img src=x onerror=alert(3)>"
TERMINAL_NAME = "小学\x1b[31mRED\x1b[0m\t结论: 通过\u202e"


def _hostile_table(tmp_path: Path) -> Path:
    with EXAMPLE_SCHOOLS.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    name, county = header.index("学校名称"), header.index("县区")
    students = header.index("小学在校生数")
    for row in rows[1:]:
        row[county] = HOSTILE_COUNTY
    rows[1][name] = HOSTILE_NAME
    rows[1][students] = ""  # so its findings are "not evaluated" and listed
    rows[2][name] = TERMINAL_NAME
    rows[2][students] = ""
    path = tmp_path / "hostile.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_markdown_report_carries_no_markup_from_the_data(tmp_path: Path) -> None:
    code, text, err = _run("evaluate", _hostile_table(tmp_path), "--format", "markdown")
    assert code in (0, 1), err
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<script" not in html and "<img" not in html
    assert "<a " not in html and "href" not in html
    # The data is still shown, literally.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "[click](javascript:alert(2))" in html
    assert "a|b *em*" in html
    assert "<em>" not in html
    # The pipe did not split the table: every row has as many cells as the header.
    for table in html.split("<table>")[1:]:
        head = table.split("</thead>")[0].count("</th>")
        body = table.split("<tbody>")[1].split("</tbody>")[0]
        for row in body.split("<tr>")[1:]:
            assert row.count("</td>") == head
    assert "\x1b" not in text and "\x07" not in text


def test_text_report_strips_terminal_escapes(tmp_path: Path) -> None:
    code, text, err = _run("evaluate", _hostile_table(tmp_path), "--lang", "en")
    assert code in (0, 1), err
    assert not any((ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F for c in text)
    assert "\u202e" not in text
    assert "小学[31mRED[0m 结论: 通过" in text  # shown, harmless, not on its own line
    assert not any(line.startswith("结论") for line in text.splitlines())
    assert "县[2J]0;owned<img src=x onerror=alert(3)>" in text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain 学校", "plain 学校"),
        ("<b>", "\\<b>"),
        ("7.2 < 7.5", "7.2 < 7.5"),
        ("[x](y)", "\\[x\\](y)"),
        ("a|b", "a\\|b"),
        ("JavaScript:go", "JavaScript\\:go"),
        ("a\nb", "a b"),
        ("1 & 2", "1 & 2"),
    ],
)
def test_escape(raw: str, shown: str) -> None:
    assert escape(raw) == shown


def test_clean() -> None:
    assert clean("a\x1b[0mb\tc\nd\x00") == "a[0mb c d"



def test_warnings_on_stderr_carry_no_terminal_escapes() -> None:
    """Every warning line of a command goes through Streams.warn, which cleans it."""
    from balance_rules.cli.common import Streams

    err = io.StringIO()
    Streams(io.StringIO(), err).warn("warning: county \x1b]0;pwned\x07\x1b[31m示例县\u202e: gap\n")
    assert err.getvalue() == "warning: county ]0;pwned[31m示例县: gap\n"


def test_no_command_writes_warnings_around_the_cleaner() -> None:
    """No subcommand writes a formatted warning to stderr except through Streams.warn."""
    cli = Path(__file__).resolve().parent.parent / "src" / "balance_rules" / "cli"
    offenders = [
        f"{path.name}:{number}"
        for path in cli.glob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "stderr.write(f" in line and "warning" in line.lower()
    ]
    assert offenders == []
