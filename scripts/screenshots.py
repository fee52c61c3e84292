"""Screenshots of the HTML report and the workbook for README and docs/reports.md.

    pip install '.[report,xlsx]' playwright
    python scripts/screenshots.py [--out docs/images] [--chromium /usr/bin/chromium]

Runs ``balance-rules evaluate`` on the bundled example county (HTML and XLSX,
Chinese labels), then with headless Chromium:

- ``report-html.png``: the top of the HTML report (verdict, reasons, coefficient
  table with the working, CV chart);
- ``report-html-schools.png``: the per-school table (表1) with failing cells;
- ``report-xlsx.png``: the workbook's 表1 and 表2 sheets.  No spreadsheet program
  is needed: the sheet is read back with openpyxl and drawn as an HTML grid with
  each cell's stored fill, number format and value (so it shows what Excel shows,
  but it is not a screenshot of Excel itself).
"""

from __future__ import annotations

import argparse
import html
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = [
    str(ROOT / "examples" / "example-county.csv"),
    "--facts",
    str(ROOT / "examples" / "example-county-facts.yaml"),
]
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def _evaluate(out: Path) -> None:
    command = [sys.executable, "-m", "balance_rules", "evaluate", *EXAMPLE, "--output", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1):
        raise SystemExit(result.stderr)


def _shown(cell: Any) -> str:
    """The cell as Excel displays it (the number formats this project writes)."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        fmt = cell.number_format or "General"
        if fmt.endswith("%"):
            places = len(fmt.split(".")[1]) - 1 if "." in fmt else 0
            return f"{value * 100:.{places}f}%"
        if fmt.startswith("0"):
            places = len(fmt.split(".")[1]) if "." in fmt else 0
            return f"{value:.{places}f}"
        return f"{value:g}"
    return str(value)


def _sheet_html(path: Path, names: list[str], rows: int) -> str:
    import openpyxl

    book = openpyxl.load_workbook(path)
    parts = [
        "<!DOCTYPE html><meta charset='utf-8'><style>",
        "body{font:12px 'Noto Sans CJK SC',sans-serif;margin:8px;background:#fff}",
        "table{border-collapse:collapse;margin-bottom:4px}",
        "td,th{border:1px solid #d0d0d0;padding:1px 5px;white-space:nowrap;max-width:170px;"
        "overflow:hidden;text-overflow:ellipsis}",
        "th.c{background:#f0f0f0;color:#555;font-weight:normal}",
        ".tabs span{display:inline-block;padding:2px 12px;border:1px solid #bbb;"
        "border-top:0;margin-right:2px;background:#eee}.tabs .on{background:#fff;font-weight:600}",
        "h4{margin:14px 0 4px;font-weight:600}</style>",
    ]
    for name in names:
        sheet = book[name]
        parts.append(f"<h4>{html.escape(name)}</h4><table>")
        letters = [
            openpyxl.utils.get_column_letter(i + 1) for i in range(min(sheet.max_column, 14))
        ]
        parts.append(
            "<tr><th class='c'></th>" + "".join(f"<th class='c'>{c}</th>" for c in letters)
        )
        for r, row in enumerate(sheet.iter_rows(max_row=rows, max_col=len(letters)), start=1):
            cells = []
            for cell in row:
                style = []
                fill = cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type else None
                if isinstance(fill, str) and fill not in ("00000000",):
                    style.append(f"background:#{fill[-6:]}")
                if cell.font is not None and cell.font.bold:
                    style.append("font-weight:600")
                if cell.font is not None and isinstance(
                    cell.font.color and cell.font.color.rgb, str
                ):
                    style.append(f"color:#{cell.font.color.rgb[-6:]}")
                if isinstance(cell.value, int | float):
                    style.append("text-align:right")
                attr = f" style='{';'.join(style)}'" if style else ""
                cells.append(f"<td{attr}>{html.escape(_shown(cell))}</td>")
            parts.append(f"<tr><th class='c'>{r}</th>{''.join(cells)}</tr>")
        parts.append("</table>")
    tabs = "".join(
        f"<span class='{'on' if n in names else ''}'>{html.escape(n)}</span>"
        for n in book.sheetnames
    )
    parts.append(f"<div class='tabs'>{tabs}</div>")
    return "".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        page_file, book_file = Path(folder) / "report.html", Path(folder) / "report.xlsx"
        _evaluate(page_file)
        _evaluate(book_file)
        grid = Path(folder) / "sheets.html"
        grid.write_text(_sheet_html(book_file, ["表1 小学", "表2 差异系数"], 14), "utf-8")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 1500})
            page.goto(page_file.as_uri())
            page.screenshot(path=str(args.out / "report-html.png"))
            page.set_viewport_size({"width": 1500, "height": 900})
            page.add_style_tag(content="body{max-width:none}")
            table = page.locator("div.tbl:has(table.schools)").first
            table.screenshot(path=str(args.out / "report-html-schools.png"))
            sheet = browser.new_page(viewport={"width": 1400, "height": 820})
            sheet.goto(grid.as_uri())
            sheet.screenshot(path=str(args.out / "report-xlsx.png"), full_page=True)
            browser.close()
    for name in ("report-html.png", "report-html-schools.png", "report-xlsx.png"):
        print(args.out / name, (args.out / name).stat().st_size)


if __name__ == "__main__":
    main()
