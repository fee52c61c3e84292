"""Small inline SVG charts for the HTML reports (no dependency, no network).

Every function returns SVG markup as a ``str`` that can be pasted into an HTML
page (in a jinja2 template: ``{{ svg | safe }}``).  Text stays text (``<text>``
elements, searchable, selectable, printable), every label and title is escaped
here, and numbers are only drawn — callers pass floats for display, never the
exact figures a decision was made on.

Why hand-written SVG rather than matplotlib or Vega-Lite: a national report has
about 15 charts per county; matplotlib (``svg.fonttype: none``) takes ~0.19 s and
~66 kB per 300-bar chart, altair + vl-convert ~0.35 s and ~130 kB, which puts
100 counties at 280–530 s and 100–190 MB.  These functions draw the same chart in
~1 ms and ~5 kB (bars as one ``<path>`` per colour).  See docs/reports.md.

API (used by the evaluation, shortfall and monitoring reports)::

    from balance_rules.render.charts import bar_chart, cv_chart, line_chart

    bar_chart([4.1, 5.0, 3.9], threshold=4.2, labels=["甲", "乙", "丙"],
              title="每百名学生拥有高于规定学历教师数", op=">=")
    cv_chart([("图书", 0.31, 0.5), ("计算机", 0.62, 0.5)], title="差异系数")
    line_chart({"小学": [0.41, 0.38, 0.36]}, x_labels=["2021", "2022", "2023"],
               cap=0.5, title="综合差异系数")

Text uses the page's font (set ``svg.chart{font-family:...}`` in CSS; the base
template does, with :data:`FONT`, a stack with CJK fallbacks).

Colours: ``PASS`` (blue), ``FAIL`` (red), ``CAP`` (the threshold line, dark);
bars that fail are red *and* listed in the chart's ``<desc>`` count, so the chart
does not rely on colour alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape

__all__ = [
    "CAP",
    "FAIL",
    "FONT",
    "PASS",
    "bar_chart",
    "cv_chart",
    "line_chart",
    "nice_ticks",
]

PASS = "#4a7ab5"
FAIL = "#c8372d"
MISSING = "#b0b0b0"
CAP = "#222"
#: Font stack with CJK fallbacks present on Windows, macOS and Linux (no web font).
FONT = (
    "system-ui,-apple-system,'Segoe UI','PingFang SC','Hiragino Sans GB',"
    "'Microsoft YaHei','Noto Sans CJK SC','Noto Sans SC','WenQuanYi Micro Hei',sans-serif"
)
#: Above this many bars, bars are drawn as one path per colour, without labels.
DETAILED_BARS = 60
_SERIES = ("#4a7ab5", "#e08a2c", "#5b9e4d", "#8e5ea2", "#c8372d", "#6b6b6b")

#: A white outline behind text drawn over bars.
_HALO = 'paint-order="stroke" stroke="#fff" stroke-width="3" stroke-linejoin="round"'
_OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _n(x: float) -> str:
    """A coordinate: one decimal, no trailing zero."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _num(x: float) -> str:
    """A tick or value label: up to 4 significant decimals, trimmed."""
    if x == 0:
        return "0"
    magnitude = abs(x)
    places = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2 if magnitude >= 1 else 3
    text = f"{x:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``[low, high]`` (about ``count`` of them)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        high = low + 1.0
    raw = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks = [round(start, 10)]
    while ticks[-1] < high - step * 1e-9:
        ticks.append(round(start + len(ticks) * step, 10))
    if len(ticks) == 1:
        ticks.append(round(start + step, 10))
    return ticks


def _svg_open(width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-size="11">'
        f"<title>{_e(title)}</title><desc>{_e(desc)}</desc>",
        f'<text x="4" y="14" font-size="13" font-weight="600">{_e(title)}</text>',
    ]


def _y_axis(
    ticks: Sequence[float], y: Callable[[float], float], left: float, right: float
) -> list[str]:
    out = []
    for tick in ticks:
        ty = y(tick)
        label = _num(tick)
        out.append(
            f'<line x1="{_n(left)}" x2="{_n(right)}" y1="{_n(ty)}" y2="{_n(ty)}" '
            f'stroke="#e3e3e3"/><text x="{_n(left - 4)}" y="{_n(ty + 4)}" '
            f'text-anchor="end" fill="#555">{_e(label)}</text>'
        )
    return out


def bar_chart(
    values: Sequence[float | None],
    threshold: float | None,
    labels: Sequence[str],
    title: str,
    *,
    op: str = ">=",
    failing: Sequence[bool] | None = None,
    threshold_label: str | None = None,
    unit: str = "",
    width: int = 720,
    height: int = 220,
) -> str:
    """One bar per item (e.g. every school's value) against a threshold line.

    ``failing`` marks red bars (default: those on the wrong side of
    ``threshold`` for ``op``); ``None`` values are drawn as a short grey stub
    (missing data).  Up to :data:`DETAILED_BARS` bars each get a hover title and
    an axis label; beyond that the bars are drawn as one path per colour.
    """
    n = len(values)
    if failing is None:
        failing = [_fails(v, op, threshold) for v in values]
    present = [v for v in values if v is not None]
    top = max([*present, threshold or 0.0, 0.0])
    bottom = min([*present, 0.0])
    ticks = nice_ticks(bottom, top if top > bottom else bottom + 1)
    low, high = ticks[0], ticks[-1]
    detailed = n <= DETAILED_BARS
    left, right, top_pad = 52.0, 8.0, 26.0
    bottom_pad = 64.0 if detailed else 18.0
    plot_h = height - top_pad - bottom_pad
    plot_w = width - left - right

    def y(v: float) -> float:
        return top_pad + plot_h * (1 - (v - low) / (high - low))

    failed = sum(1 for f in failing if f)
    missing = sum(1 for v in values if v is None)
    shown_op = _OPS.get(op, op)
    desc = f"{n} bars; threshold {shown_op} {_num(threshold) if threshold is not None else '—'}"
    desc += f"; {failed} on the wrong side; {missing} missing"
    out = _svg_open(width, height, title, desc)
    out += _y_axis(ticks, y, left, width - right)
    step = plot_w / max(n, 1)
    bar_w = max(step * 0.8, 0.6)
    zero = y(0.0) if low <= 0 <= high else y(low)
    if detailed:
        for i, (v, label, bad) in enumerate(zip(values, labels, failing, strict=False)):
            x = left + i * step + (step - bar_w) / 2
            cx = x + bar_w / 2
            if v is None:
                colour, ty, h, shown = MISSING, zero - 3, 3.0, "—"
            else:
                colour = FAIL if bad else PASS
                ty, h, shown = min(y(v), zero), abs(zero - y(v)), _num(v)
            out.append(
                f'<rect x="{_n(x)}" y="{_n(ty)}" width="{_n(bar_w)}" height="{_n(h)}" '
                f'fill="{colour}"><title>{_e(label)}: {_e(shown)}{_e(unit)}</title></rect>'
            )
            out.append(
                f'<text transform="translate({_n(cx + 3)},{_n(height - bottom_pad + 6)}) '
                f'rotate(-55)" text-anchor="end" font-size="9" fill="#333">'
                f"{_e(_short(label))}</text>"
            )
    else:
        # Each bar is a vertical stroke from the baseline, one path per colour, in
        # a coordinate system where bar i sits at x = i + 0.5 and y is whole pixels;
        # moves are relative ("m1 59V140": one bar right, back to the baseline, up).
        base = round(zero)
        paths: dict[str, list[str]] = {PASS: [], FAIL: [], MISSING: []}
        pens: dict[str, tuple[int, int]] = {}
        for i, (v, bad) in enumerate(zip(values, failing, strict=False)):
            if v is None:
                colour, end = MISSING, base - 3
            else:
                colour, end = (FAIL if bad else PASS), round(y(v))
            pen = pens.get(colour)
            if pen is None:
                paths[colour].append(f"M{i}.5 {base}V{end}")
            else:
                paths[colour].append(f"m{i - pen[0]} {base - pen[1]}V{end}")
            pens[colour] = (i, end)
        out.append(f'<g transform="translate({_n(left)} 0) scale({step:.4g} 1)">')
        for colour, parts in paths.items():
            if parts:
                stroke = f"{bar_w / step:.2g}"
                out.append(
                    f'<path stroke="{colour}" stroke-width="{stroke}" d="{"".join(parts)}"/>'
                )
        out.append("</g>")
    if threshold is not None:
        ty = y(threshold)
        label = threshold_label or f"{shown_op} {_num(threshold)}{unit}"
        out.append(
            f'<line x1="{_n(left)}" x2="{_n(width - right)}" y1="{_n(ty)}" y2="{_n(ty)}" '
            f'stroke="{CAP}" stroke-width="1.5" stroke-dasharray="5 3"/>'
            f'<text x="{_n(width - right - 2)}" y="{_n(ty - 4)}" text-anchor="end" '
            f'font-weight="600" fill="{CAP}" {_HALO}>{_e(label)}</text>'
        )
    out.append(
        f'<line x1="{_n(left)}" x2="{_n(left)}" y1="{_n(top_pad)}" '
        f'y2="{_n(top_pad + plot_h)}" stroke="#888"/></svg>'
    )
    return "".join(out)


def cv_chart(
    items: Sequence[tuple[str, float | None, float | None]],
    title: str,
    *,
    width: int = 720,
    row_height: int = 20,
    label_width: int = 260,
) -> str:
    """Horizontal bars of coefficients (label, value, cap) with each cap as a tick.

    A bar over its cap is red; a missing value (undefined CV) is shown as "—".
    Also used for an all-county overview (label = county, value = worst CV).
    """
    top_pad, bottom_pad, right = 26.0, 24.0, 56.0
    height = int(top_pad + bottom_pad + row_height * max(len(items), 1))
    numbers = [v for _, v, c in items for v in (v, c) if v is not None]
    ticks = nice_ticks(0.0, max([*numbers, 0.1]))
    high = ticks[-1]
    plot_w = width - label_width - right

    def x(v: float) -> float:
        return label_width + plot_w * v / high

    over = sum(1 for _, v, c in items if v is not None and c is not None and v > c)
    out = _svg_open(width, height, title, f"{len(items)} coefficients; {over} above the cap")
    base = top_pad + row_height * len(items)
    for tick in ticks:
        tx = x(tick)
        out.append(
            f'<line x1="{_n(tx)}" x2="{_n(tx)}" y1="{_n(top_pad)}" y2="{_n(base)}" '
            f'stroke="#e3e3e3"/><text x="{_n(tx)}" y="{_n(base + 14)}" text-anchor="middle" '
            f'fill="#555">{_e(_num(tick))}</text>'
        )
    for i, (label, value, cap) in enumerate(items):
        ry = top_pad + i * row_height
        mid = ry + row_height / 2 + 4
        out.append(
            f'<text x="{label_width - 6}" y="{_n(mid)}" text-anchor="end">'
            f"{_e(_short(label, label_width // 12))}</text>"
        )
        if value is None:
            out.append(f'<text x="{label_width + 4}" y="{_n(mid)}" fill="#777">—</text>')
        else:
            bad = cap is not None and value > cap
            out.append(
                f'<rect x="{label_width}" y="{_n(ry + 3)}" width="{_n(x(value) - label_width)}" '
                f'height="{row_height - 6}" fill="{FAIL if bad else PASS}">'
                f"<title>{_e(label)}: {_e(_num(value))}</title></rect>"
                f'<text x="{_n(x(value) + 4)}" y="{_n(mid)}" fill="#222">{_e(_num(value))}</text>'
            )
        if cap is not None:
            cx = x(cap)
            out.append(
                f'<line x1="{_n(cx)}" x2="{_n(cx)}" y1="{_n(ry + 1)}" '
                f'y2="{_n(ry + row_height - 1)}" '
                f'stroke="{CAP}" stroke-width="2"><title>≤ {_e(_num(cap))}</title></line>'
            )
    out.append("</svg>")
    return "".join(out)


def line_chart(
    series: Mapping[str, Sequence[float | None]],
    x_labels: Sequence[str],
    title: str,
    *,
    cap: float | Mapping[str, float] | None = None,
    width: int = 720,
    height: int = 240,
) -> str:
    """Lines over time (e.g. yearly CVs), one per series, with a cap line.

    ``cap`` is one value for every series, or one per series name (drawn in
    the series' colour).  Points over their cap are drawn red.  ``None`` values
    leave a gap.
    """
    caps: dict[str, float] = {}
    if isinstance(cap, Mapping):
        caps = {name: float(value) for name, value in cap.items()}
    elif cap is not None:
        caps = {name: float(cap) for name in series}
    numbers = [v for values in series.values() for v in values if v is not None]
    ticks = nice_ticks(0.0, max([*numbers, *caps.values(), 0.1]))
    high = ticks[-1]
    left, right, top_pad, bottom_pad = 52.0, 110.0, 26.0, 30.0
    plot_w = width - left - right
    plot_h = height - top_pad - bottom_pad
    count = max(len(x_labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / count)

    def y(v: float) -> float:
        return top_pad + plot_h * (1 - v / high)

    out = _svg_open(width, height, title, f"{len(series)} series over {len(x_labels)} points")
    out += _y_axis(ticks, y, left, left + plot_w)
    for i, label in enumerate(x_labels):
        out.append(
            f'<text x="{_n(x(i))}" y="{_n(height - bottom_pad + 16)}" text-anchor="middle" '
            f'fill="#333">{_e(label)}</text>'
        )
    shared_cap = cap is not None and not isinstance(cap, Mapping)
    for k, (name, values) in enumerate(series.items()):
        colour = _SERIES[k % len(_SERIES)]
        limit = caps.get(name)
        if limit is not None and not (shared_cap and k > 0):
            ly = y(limit)
            out.append(
                f'<line x1="{_n(left)}" x2="{_n(left + plot_w)}" y1="{_n(ly)}" y2="{_n(ly)}" '
                f'stroke="{CAP if shared_cap else colour}" stroke-width="1.2" '
                f'stroke-dasharray="5 3"/><text x="{_n(left + plot_w + 4)}" y="{_n(ly + 4)}" '
                f'fill="{CAP if shared_cap else colour}">≤ {_e(_num(limit))}</text>'
            )
        path: list[str] = []
        pen_up = True
        for i, v in enumerate(values):
            if v is None:
                pen_up = True
                continue
            path.append(f"{'M' if pen_up else 'L'}{_n(x(i))} {_n(y(v))}")
            pen_up = False
        if path:
            out.append(
                f'<path d="{"".join(path)}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for i, v in enumerate(values):
            if v is None:
                continue
            bad = limit is not None and v > limit
            out.append(
                f'<circle cx="{_n(x(i))}" cy="{_n(y(v))}" r="3.5" fill="{FAIL if bad else colour}">'
                f"<title>{_e(name)} {_e(x_labels[i] if i < len(x_labels) else '')}: "
                f"{_e(_num(v))}</title></circle>"
            )
        last = next((v for v in reversed(values) if v is not None), None)
        if last is not None:
            out.append(
                f'<text x="{_n(width - 4)}" y="{_n(y(last) + 4)}" text-anchor="end" '
                f'fill="{colour}">{_e(_short(name, 12))}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def _fails(value: float | None, op: str, threshold: float | None) -> bool:
    if value is None or threshold is None:
        return False
    if op == ">=":
        return value < threshold
    if op == ">":
        return value <= threshold
    if op == "<=":
        return value > threshold
    if op == "<":
        return value >= threshold
    return value != threshold


def _short(text: str, limit: int = 14) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
