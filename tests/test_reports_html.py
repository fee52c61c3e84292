"""The HTML report opened in a real headless Chromium (never skipped: CI installs it)."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from balance_rules.cli import main
from balance_rules.render.html import render_html

from .reports_support import FORMULA_NAMES, SCRIPT_NAME, hand_report, hostile_example

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> str:
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not path:
        pytest.fail(
            "Chromium is needed for the HTML report tests: apt-get install chromium "
            "(.ci/run installs it); these tests are never skipped"
        )
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=_chromium(), args=ARGS)
        yield instance
        instance.close()


class Opened:
    """A page opened from a file, with everything it logged and requested."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.page = browser.new_page()
        self.console: list[tuple[str, str]] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.console.append(("pageerror", str(e))))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_load_state("load")
        self.text: str = self.page.inner_text("body")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def clean(self) -> None:
        errors = [c for c in self.console if c[0] in ("error", "pageerror", "warning")]
        assert errors == []
        assert self.requests == [self.url]  # the page itself, nothing else
        assert self.dialogs == []


def test_hand_computed_county_in_the_browser(browser: Any, tmp_path: Path) -> None:
    page_file = tmp_path / "r.html"
    page_file.write_text(render_html(hand_report()), encoding="utf-8")
    opened = Opened(browser, page_file)
    opened.clean()
    text = opened.text
    assert "结论: 未通过" in text
    # Coefficient table: n, N, weighted mean, S, CV, cap — hand-computed (see hand_report).
    rows = opened.page.eval_on_selector_all(
        "table.cv tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))"
    )
    assert rows == [
        ["小学", "生均教学及辅助用房面积", "2", "200", "5.000", "1.000", "0.200", "0.50", "达标"],
        ["小学", "生均图书", "2", "200", "20.000", "10.000", "0.500", "0.50", "达标"],
    ]
    # The markup in a school name is shown as text, never run.
    assert SCRIPT_NAME in text
    assert FORMULA_NAMES[0] in text
    assert opened.page.eval_on_selector_all("script", "s => s.length") == 0
    # The failing cell (area 4 < 4.5) and its school's result are marked, nothing else.
    failing = opened.page.eval_on_selector_all(
        "table.schools td.f", "cells => cells.map(c => c.innerText.trim())"
    )
    assert failing == ["4.00", "✗"]
    # One chart per indicator with school values, plus the CV chart; text stays text.
    titles = opened.page.eval_on_selector_all(
        "svg.chart > title", "ts => ts.map(t => t.textContent)"
    )
    assert titles == ["测试县 · 差异系数与上限", "小学 生均教学及辅助用房面积"]
    labels = opened.page.eval_on_selector_all("svg.chart text", "ts => ts.map(t => t.textContent)")
    assert "小学 生均图书" in labels and "≥ 4.5" in labels and SCRIPT_NAME[:13] + "…" in labels


def test_cli_report_many_counties_in_english(browser: Any, tmp_path: Path) -> None:
    schools, facts = hostile_example(tmp_path)
    out = tmp_path / "report.html"
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(
        ["evaluate", str(schools), "--facts", str(facts), "--output", str(out), "--lang", "en"],
        stdout=stdout,
        stderr=stderr,
    )
    assert code == 1, stderr.getvalue()  # the blank sports area leaves both incomplete
    json_out = io.StringIO()
    main(
        ["evaluate", str(schools), "--facts", str(facts), "--format", "json", "--lang", "en"],
        stdout=json_out,
        stderr=io.StringIO(),
    )
    report = json.loads(json_out.getvalue())
    opened = Opened(browser, out)
    opened.clean()
    text = opened.text
    # The overview comes first and lists both counties.
    overview = opened.page.inner_text("section.overview")
    assert "All counties" in overview and "示例县" in overview and "第二县" in overview
    assert text.index("All counties") < text.index("Why")
    for county in report["counties"]:
        assert county["verdict"] == "incomplete"
        section = opened.page.inner_text(f"section.county:has(h2:has-text('{county['county']}'))")
        assert "Verdict: incomplete" in section
        for c in county["coefficients"]:
            if c["value"] is not None:
                assert f"{c['value']:.3f}" in section
    # The missing cell is named with the school it belongs to.
    assert "sports_area" in text
    for name in (SCRIPT_NAME, *FORMULA_NAMES):
        assert name in text
    assert opened.page.eval_on_selector_all("script", "s => s.length") == 0
    # Printing: A4, each county on a new page.
    opened.page.emulate_media(media="print")
    breaks = opened.page.eval_on_selector_all(
        "section.county", "ss => ss.map(s => getComputedStyle(s).breakBefore)"
    )
    assert breaks == ["page", "page"]
    pdf = opened.page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 3
