"""Charts as ReportLab Drawings, for the PDF and (as inline SVG) for the web page.

One Drawing is built per chart and rendered twice: placed in a PDF story as a
flowable, and turned into an SVG string by :func:`to_svg` for the HTML view,
so the numbers on screen and on paper can never disagree.  Every function
takes plain numbers on the 0–100 POMP scale (or weights summing to 1) and
knows nothing about the database.

:func:`to_svg` makes the SVG safe to inline under a Content-Security-Policy
of ``style-src 'self'``: style attributes become presentation attributes,
ids are made unique per chart, scripts and event handlers are removed, and
the chart gets ``role="img"``, an ``aria-label``, a ``<title>`` and a
``<desc>`` listing the values for screen readers.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import weakref
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth

from assessor.reports.base import PALETTE
from assessor.reports.fonts import FONTS, register_fonts

ColourLike = colors.Color | str
#: One radar series: (name, values 0–100 per axis, colour).
RadarSeries = tuple[str, Sequence[float | None], ColourLike]
#: One competency bar: (label, score, band low, band high, required minimum, band label).
CompetencyBar = tuple[str, float | None, float | None, float | None, float | None, str]

#: Default series colours, in order (candidate, role profile, further candidates).
SERIES_COLOURS: tuple[colors.Color, ...] = (
    PALETTE.navy,
    PALETTE.coral,
    PALETTE.teal,
    PALETTE.amber,
    PALETTE.purple,
)
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
FONT_STACK = "Roboto, 'Helvetica Neue', Arial, sans-serif"
_FONT_FACES = {
    FONTS.regular: {},
    FONTS.medium: {"font-weight": "500"},
    FONTS.bold: {"font-weight": "700"},
    FONTS.italic: {"font-style": "italic"},
    FONTS.bold_italic: {"font-weight": "700", "font-style": "italic"},
}
_GRID = colors.HexColor("#C9D1DA")
_TRACK = colors.HexColor("#E9EDF1")
_SUPPRESSED = colors.HexColor("#E3E6EA")
_HATCH = colors.HexColor("#B5BCC5")

# Accessible title and value summary of each chart, for to_svg.
_DESCRIPTIONS: weakref.WeakKeyDictionary[Drawing, tuple[str, str]] = weakref.WeakKeyDictionary()


# ------------------------------------------------------------------ helpers
def _colour(value: ColourLike) -> colors.Color:
    return colors.HexColor(value) if isinstance(value, str) else value


def _alpha(colour: colors.Color, alpha: float) -> colors.Color:
    return colors.Color(colour.red, colour.green, colour.blue, alpha=alpha)


def _mix(a: colors.Color, b: colors.Color, t: float) -> colors.Color:
    t = min(1.0, max(0.0, t))
    return colors.Color(
        a.red + (b.red - a.red) * t,
        a.green + (b.green - a.green) * t,
        a.blue + (b.blue - a.blue) * t,
    )


def _wrap(label: str, font: str, size: float, width: float, max_lines: int = 3) -> list[str]:
    lines = simpleSplit(str(label), font, size, width) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and stringWidth(last + "…", font, size) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def _string(
    x: float,
    y: float,
    value: str,
    size: float = 8,
    *,
    font: str = FONTS.regular,
    colour: colors.Color = PALETTE.ink,
    anchor: str = "start",
) -> String:
    return String(x, y, value, fontName=font, fontSize=size, fillColor=colour, textAnchor=anchor)


def _clamp(value: float) -> float:
    return min(100.0, max(0.0, float(value)))


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _describe(drawing: Drawing, title: str, description: str) -> Drawing:
    _DESCRIPTIONS[drawing] = (title, description)
    return drawing


def _legend(
    items: Sequence[tuple[str, Group]], width: float, y_top: float, size: float = 8
) -> tuple[Group, float]:
    """Legend entries (label, 12×8 swatch group) laid out in rows; returns group and height."""
    group = Group()
    row_h = size + 7
    x, y = 0.0, y_top - row_h
    rows = 1
    placed: list[tuple[float, float, str, Group]] = []
    for label, swatch in items:
        w = 16 + stringWidth(label, FONTS.regular, size) + 14
        if x > 0 and x + w > width:
            x, y, rows = 0.0, y - row_h, rows + 1
        placed.append((x, y, label, swatch))
        x += w
    # centre each row
    by_row: dict[float, list[tuple[float, float, str, Group]]] = {}
    for item in placed:
        by_row.setdefault(item[1], []).append(item)
    for row_y, entries in by_row.items():
        last_x, _, last_label, _ = entries[-1]
        used = last_x + 16 + stringWidth(last_label, FONTS.regular, size)
        shift = max(0.0, (width - used) / 2)
        for ex, _, label, swatch in entries:
            swatch.translate(shift + ex, row_y + 1)
            group.add(swatch)
            group.add(_string(shift + ex + 16, row_y + 1, label, size, colour=PALETTE.ink))
    return group, rows * row_h


def _swatch_rect(
    fill: colors.Color | None, stroke: colors.Color | None = None, height: float = 8
) -> Group:
    g = Group()
    g.add(
        Rect(0, 0, 12, height, fillColor=fill, strokeColor=stroke, strokeWidth=1 if stroke else 0)
    )
    return g


# -------------------------------------------------------------------- radar
def radar_chart(
    labels: Sequence[str],
    series: Sequence[RadarSeries],
    size: float = 360,
    *,
    title: str = "Competency profile",
    label_font_size: float = 7.5,
    rings: Sequence[float] = (0, 25, 50, 75, 100),
) -> Drawing:
    """A spider chart on 0–100 axes: candidate against role profile, or 2–4 candidates.

    ``series`` are (name, values, colour); a value of None is drawn at the
    centre without a marker, so a missing score never looks like a real 0.
    The drawing is ``size`` wide; the legend below adds a little height.
    """
    register_fonts()
    n = len(labels)
    if n < 3:
        raise ValueError("a radar chart needs at least 3 axes")
    if not series:
        raise ValueError("a radar chart needs at least one series")
    for name, values, _ in series:
        if len(values) != n:
            raise ValueError(f"series {name!r} has {len(values)} values for {n} axes")

    legend_items = []
    for name, _, colour in series:
        c = _colour(colour)
        legend_items.append((name, _swatch_rect(_alpha(c, 0.25), c)))
    legend_group, legend_h = _legend(legend_items, size, 0)
    lead = label_font_size + 1.5
    label_w = max(size * 0.2, 72.0)
    radius = size / 2 - label_w - 8
    if radius < 40:
        raise ValueError(f"size {size:g} leaves no room for the radar; use at least 260")
    # Room above and below for up to three lines of axis label.
    plot_h = 2 * (radius + 10 + 3 * lead)
    height = plot_h + legend_h + 8
    drawing = Drawing(size, height, initialFontName=FONTS.regular)
    cx, cy = size / 2, legend_h + 8 + plot_h / 2

    def angle(i: int) -> float:
        return math.pi / 2 - 2 * math.pi * i / n

    def point(i: int, value: float) -> tuple[float, float]:
        r = radius * _clamp(value) / 100.0
        return cx + r * math.cos(angle(i)), cy + r * math.sin(angle(i))

    # web: rings and spokes
    for ring in rings:
        if ring <= 0:
            continue
        pts: list[float] = []
        for i in range(n):
            pts.extend(point(i, ring))
        drawing.add(
            Polygon(pts, fillColor=None, strokeColor=_GRID, strokeWidth=0.8 if ring == 100 else 0.5)
        )
    for i in range(n):
        x, y = point(i, 100)
        drawing.add(Line(cx, cy, x, y, strokeColor=_GRID, strokeWidth=0.5))
    # series: all fills first, then outlines and markers, so no fill hides a line
    shapes = []
    for _, values, colour in series:
        c = _colour(colour)
        pts = []
        for i, v in enumerate(values):
            pts.extend(point(i, 0 if v is None else v))
        shapes.append((c, pts, values))
        drawing.add(Polygon(pts, fillColor=_alpha(c, 0.14), strokeColor=None, strokeWidth=0))
    for c, pts, values in shapes:
        drawing.add(Polygon(pts, fillColor=None, strokeColor=c, strokeWidth=1.6, strokeLineJoin=1))
        for i, v in enumerate(values):
            if v is not None:
                drawing.add(
                    Circle(
                        pts[2 * i],
                        pts[2 * i + 1],
                        2.1,
                        fillColor=c,
                        strokeColor=colors.white,
                        strokeWidth=0.6,
                    )
                )

    # ring values along the first spoke, on a light halo so lines do not cross them
    for ring in rings:
        _, y = point(0, ring)
        w = stringWidth(f"{ring:g}", FONTS.regular, 6)
        drawing.add(
            Rect(
                cx + 2,
                y + 0.5,
                w + 2,
                7,
                fillColor=_alpha(colors.white, 0.8),
                strokeColor=None,
                strokeWidth=0,
            )
        )
        drawing.add(_string(cx + 3, y + 1.8, f"{ring:g}", 6, colour=PALETTE.muted))

    # axis labels
    for i, label in enumerate(labels):
        a = angle(i)
        cos, sin = math.cos(a), math.sin(a)
        lx, ly = cx + (radius + 8) * cos, cy + (radius + 8) * sin
        anchor = "start" if cos > 0.25 else "end" if cos < -0.25 else "middle"
        lines = _wrap(
            label, FONTS.regular, label_font_size, label_w + (20 if anchor == "middle" else 0)
        )
        if sin > 0.25:  # upper half: block sits above the point
            first_y = ly + (len(lines) - 1) * lead + 1
        elif sin < -0.25:  # lower half: block hangs below the point
            first_y = ly - label_font_size
        else:
            first_y = ly + (len(lines) - 1) * lead / 2 - label_font_size / 3
        for k, line in enumerate(lines):
            drawing.add(
                _string(
                    lx, first_y - k * lead, line, label_font_size, colour=PALETTE.ink, anchor=anchor
                )
            )

    legend_group.translate(0, legend_h)
    drawing.add(legend_group)
    summary = "; ".join(
        f"{name}: " + ", ".join(f"{lab} {_fmt(v)}" for lab, v in zip(labels, values, strict=True))
        for name, values, _ in series
    )
    return _describe(drawing, title, summary)


# ---------------------------------------------------------- competency bars
def competency_bars(
    rows: Sequence[CompetencyBar],
    width: float = 480,
    *,
    title: str = "Competency scores",
    band_level: int = 90,
    row_height: float = 24,
) -> Drawing:
    """Horizontal 0–100 bars with the confidence band, the required minimum and the band label.

    The band (low–high) is drawn as a shaded interval with a whisker, so a
    reader sees at once how precise each score is; a score whose band lies
    wholly below the minimum is drawn in the warning colour.
    """
    register_fonts()
    label_w = width * 0.34
    right_w = 92.0
    x0 = label_w + 8
    plot_w = width - x0 - right_w - 8
    axis_h = 14.0
    legend_items = [
        ("Score", _swatch_rect(PALETTE.navy)),
        (f"{band_level}% band", _swatch_rect(_alpha(PALETTE.teal, 0.28))),
        ("Band wholly below minimum", _swatch_rect(PALETTE.coral)),
    ]
    minimum_swatch = Group()
    minimum_swatch.add(Polygon([2, 9, 10, 9, 6, 3], fillColor=PALETTE.coral, strokeColor=None))
    minimum_swatch.add(Line(6, -1, 6, 4, strokeColor=PALETTE.coral, strokeWidth=1.2))
    legend_items.insert(2, ("Required minimum", minimum_swatch))
    legend_group, legend_h = _legend(legend_items, width, 0)
    height = axis_h + len(rows) * row_height + 8 + legend_h
    drawing = Drawing(width, height, initialFontName=FONTS.regular)

    def sx(value: float) -> float:
        return x0 + plot_w * _clamp(value) / 100.0

    top = height - axis_h
    bottom = top - len(rows) * row_height
    for tick in (0, 25, 50, 75, 100):
        x = sx(tick)
        drawing.add(
            Line(
                x,
                bottom,
                x,
                top,
                strokeColor=_GRID,
                strokeWidth=0.4,
                strokeDashArray=None if tick in (0, 100) else [1.5, 2],
            )
        )
        drawing.add(_string(x, top + 4, str(tick), 6.5, colour=PALETTE.muted, anchor="middle"))

    summary: list[str] = []
    bar_h = 8.0
    for r, (label, score, low, high, minimum, band_label) in enumerate(rows):
        cy = top - (r + 0.5) * row_height
        if r % 2 == 1:
            drawing.add(
                Rect(
                    0,
                    cy - row_height / 2,
                    width,
                    row_height,
                    fillColor=PALETTE.light,
                    strokeColor=None,
                    strokeWidth=0,
                )
            )
        lines = _wrap(label, FONTS.regular, 8, label_w, max_lines=2)
        lead = 9.5
        y = cy + (len(lines) - 1) * lead / 2 - 2.8
        for k, line in enumerate(lines):
            drawing.add(_string(0, y - k * lead, line, 8))
        drawing.add(
            Rect(
                x0, cy - bar_h / 2, plot_w, bar_h, fillColor=_TRACK, strokeColor=None, strokeWidth=0
            )
        )
        below = minimum is not None and high is not None and high < minimum
        if low is not None and high is not None:
            drawing.add(
                Rect(
                    sx(low),
                    cy - 6.5,
                    max(0.8, sx(high) - sx(low)),
                    13,
                    fillColor=_alpha(PALETTE.teal, 0.28),
                    strokeColor=None,
                    strokeWidth=0,
                )
            )
        if score is None:
            drawing.add(
                _string(x0 + 4, cy - 2.8, "not scored", 7, font=FONTS.italic, colour=PALETTE.muted)
            )
        else:
            drawing.add(
                Rect(
                    x0,
                    cy - bar_h / 2,
                    sx(score) - x0,
                    bar_h,
                    fillColor=PALETTE.coral if below else PALETTE.navy,
                    strokeColor=None,
                    strokeWidth=0,
                )
            )
        if low is not None and high is not None:
            whisker = PALETTE.ink
            drawing.add(Line(sx(low), cy, sx(high), cy, strokeColor=whisker, strokeWidth=0.9))
            for edge in (low, high):
                drawing.add(
                    Line(sx(edge), cy - 4, sx(edge), cy + 4, strokeColor=whisker, strokeWidth=0.9)
                )
        if minimum is not None:
            mx = sx(minimum)
            drawing.add(
                Line(
                    mx,
                    cy - bar_h / 2 - 1,
                    mx,
                    cy + bar_h / 2 + 1,
                    strokeColor=PALETTE.coral,
                    strokeWidth=1.4,
                )
            )
            drawing.add(
                Polygon(
                    [mx - 3.5, cy + 10, mx + 3.5, cy + 10, mx, cy + 5.5],
                    fillColor=PALETTE.coral,
                    strokeColor=None,
                    strokeWidth=0,
                )
            )
        tx = width - right_w
        drawing.add(
            _string(
                tx,
                cy - 2.8,
                _fmt(score),
                8.5,
                font=FONTS.bold,
                colour=PALETTE.coral if below else PALETTE.navy,
            )
        )
        drawing.add(_string(tx + 20, cy - 2.8, band_label, 7.5, colour=PALETTE.muted))
        part = f"{label}: {_fmt(score)}"
        if low is not None and high is not None:
            part += f" ({band_level}% band {_fmt(low)}–{_fmt(high)})"
        if minimum is not None:
            part += f", minimum {_fmt(minimum)}"
        if band_label:
            part += f", {band_label}"
        summary.append(part)

    legend_group.translate(0, legend_h)
    drawing.add(legend_group)
    return _describe(drawing, title, "; ".join(summary))


# -------------------------------------------------------------- priorities
def priority_bars(
    labels: Sequence[str],
    weights: Sequence[float],
    width: float = 420,
    *,
    title: str = "Priority weights",
    colour: ColourLike = PALETTE.teal,
    row_height: float = 20,
) -> Drawing:
    """AHP priority weights (summing to 1) as horizontal bars labelled in per cent.

    Bars are scaled to the largest weight so that small differences between
    criteria stay visible; the printed percentage carries the exact value.
    """
    register_fonts()
    if len(labels) != len(weights):
        raise ValueError(f"{len(labels)} labels for {len(weights)} weights")
    if any(w < 0 or not math.isfinite(w) for w in weights):
        raise ValueError("weights must be finite and non-negative")
    c = _colour(colour)
    label_w = width * 0.38
    x0 = label_w + 8
    plot_w = width - x0 - 44
    top_w = max(weights, default=0.0) or 1.0
    height = len(labels) * row_height + 4
    drawing = Drawing(width, height, initialFontName=FONTS.regular)
    summary = []
    for r, (label, weight) in enumerate(zip(labels, weights, strict=True)):
        cy = height - 2 - (r + 0.5) * row_height
        lines = _wrap(label, FONTS.regular, 8, label_w, max_lines=2)
        y = cy + (len(lines) - 1) * 4.75 - 2.8
        for k, line in enumerate(lines):
            drawing.add(_string(0, y - k * 9.5, line, 8))
        w = plot_w * weight / top_w
        drawing.add(Rect(x0, cy - 5, plot_w, 10, fillColor=_TRACK, strokeColor=None, strokeWidth=0))
        drawing.add(Rect(x0, cy - 5, w, 10, fillColor=c, strokeColor=None, strokeWidth=0))
        pct = f"{100 * weight:.1f}%"
        drawing.add(_string(x0 + plot_w + 6, cy - 2.8, pct, 8, font=FONTS.bold, colour=PALETTE.ink))
        summary.append(f"{label}: {pct}")
    return _describe(drawing, title, "; ".join(summary))


# ------------------------------------------------------------------ heatmap
def _heat_colour(value: float, vmin: float, vmax: float) -> colors.Color:
    low, mid, high = (
        colors.HexColor("#C0503A"),
        colors.HexColor("#F4E3B5"),
        colors.HexColor("#2A7F8F"),
    )
    t = 0.5 if vmax == vmin else (min(vmax, max(vmin, value)) - vmin) / (vmax - vmin)
    return _mix(low, mid, t * 2) if t < 0.5 else _mix(mid, high, (t - 0.5) * 2)


def _luminance(c: colors.Color) -> float:
    return 0.2126 * c.red + 0.7152 * c.green + 0.0722 * c.blue


def _hatch(x: float, y: float, w: float, h: float, step: float = 5) -> list[Line]:
    """Diagonal hatch lines clipped to the rectangle (no clip paths needed in SVG or PDF)."""
    lines = []
    k = -h
    while k < w:
        t0, t1 = max(0.0, -k), min(h, w - k)
        if t1 > t0:
            lines.append(
                Line(x + k + t0, y + t0, x + k + t1, y + t1, strokeColor=_HATCH, strokeWidth=0.6)
            )
        k += step
    return lines


def heatmap(
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    values: Sequence[Sequence[float | None]],
    width: float = 480,
    *,
    title: str = "Readiness by level",
    vmin: float = 0.0,
    vmax: float = 100.0,
    value_format: str = "{:.0f}",
    suppressed_text: str = "n<5",
    suppressed_note: str = "too few responses to report",
    cell_height: float = 24,
) -> Drawing:
    """A grid of scores (e.g. readiness dimensions × levels) coloured low-to-high.

    A cell whose value is None is suppressed (too few respondents to keep
    them anonymous): it is hatched grey and shows ``suppressed_text``; its
    value is never printed, neither in the chart nor in the SVG description.
    """
    register_fonts()
    if len(values) != len(row_labels):
        raise ValueError(f"{len(values)} rows of values for {len(row_labels)} row labels")
    for r, row in enumerate(values):
        if len(row) != len(col_labels):
            raise ValueError(f"row {r} has {len(row)} values for {len(col_labels)} columns")
    label_w = width * 0.3
    x0 = label_w + 8
    n_cols = max(1, len(col_labels))
    cell_w = (width - x0) / n_cols
    head_lines = [_wrap(c, FONTS.medium, 7.5, cell_w - 4, max_lines=2) for c in col_labels]
    head_h = 9.0 * max((len(ls) for ls in head_lines), default=1) + 6
    legend_h = 26.0
    height = head_h + len(row_labels) * cell_height + legend_h
    drawing = Drawing(width, height, initialFontName=FONTS.regular)
    top = height - head_h

    for c, lines in enumerate(head_lines):
        cx = x0 + (c + 0.5) * cell_w
        for k, line in enumerate(lines):
            drawing.add(
                _string(
                    cx,
                    top + 4 + (len(lines) - 1 - k) * 9,
                    line,
                    7.5,
                    font=FONTS.medium,
                    colour=PALETTE.ink,
                    anchor="middle",
                )
            )
    summary = []
    for r, label in enumerate(row_labels):
        y = top - (r + 1) * cell_height
        lines = _wrap(label, FONTS.regular, 8, label_w, max_lines=2)
        ly = y + cell_height / 2 + (len(lines) - 1) * 4.75 - 2.8
        for k, line in enumerate(lines):
            drawing.add(_string(0, ly - k * 9.5, line, 8))
        cells = []
        for c, value in enumerate(values[r]):
            x = x0 + c * cell_w
            if value is None:
                drawing.add(
                    Rect(
                        x,
                        y,
                        cell_w,
                        cell_height,
                        fillColor=_SUPPRESSED,
                        strokeColor=colors.white,
                        strokeWidth=1.5,
                    )
                )
                for line in _hatch(x + 1, y + 1, cell_w - 2, cell_height - 2):
                    drawing.add(line)
                tw = stringWidth(suppressed_text, FONTS.medium, 7) + 6
                drawing.add(
                    Rect(
                        x + cell_w / 2 - tw / 2,
                        y + cell_height / 2 - 5,
                        tw,
                        10,
                        fillColor=_SUPPRESSED,
                        strokeColor=None,
                        strokeWidth=0,
                    )
                )
                drawing.add(
                    _string(
                        x + cell_w / 2,
                        y + cell_height / 2 - 2.5,
                        suppressed_text,
                        7,
                        font=FONTS.medium,
                        colour=PALETTE.muted,
                        anchor="middle",
                    )
                )
                cells.append(f"{col_labels[c]} suppressed ({suppressed_text})")
            else:
                fill = _heat_colour(value, vmin, vmax)
                drawing.add(
                    Rect(
                        x,
                        y,
                        cell_w,
                        cell_height,
                        fillColor=fill,
                        strokeColor=colors.white,
                        strokeWidth=1.5,
                    )
                )
                shown = value_format.format(value)
                ink = colors.white if _luminance(fill) < 0.55 else PALETTE.ink
                drawing.add(
                    _string(
                        x + cell_w / 2,
                        y + cell_height / 2 - 3,
                        shown,
                        8.5,
                        font=FONTS.bold,
                        colour=ink,
                        anchor="middle",
                    )
                )
                cells.append(f"{col_labels[c]} {shown}")
        summary.append(f"{label}: " + ", ".join(cells))

    # legend: colour ramp and the suppressed swatch
    ramp_w, steps = min(150.0, width * 0.35), 30
    lx, ly = x0, 6.0
    for s in range(steps):
        v = vmin + (vmax - vmin) * (s + 0.5) / steps
        drawing.add(
            Rect(
                lx + s * ramp_w / steps,
                ly,
                ramp_w / steps + 0.3,
                8,
                fillColor=_heat_colour(v, vmin, vmax),
                strokeColor=None,
                strokeWidth=0,
            )
        )
    drawing.add(_string(lx - 4, ly + 1, f"{vmin:g}", 7, colour=PALETTE.muted, anchor="end"))
    drawing.add(_string(lx + ramp_w + 4, ly + 1, f"{vmax:g}", 7, colour=PALETTE.muted))
    sx = lx + ramp_w + 34
    drawing.add(Rect(sx, ly - 1, 16, 10, fillColor=_SUPPRESSED, strokeColor=None, strokeWidth=0))
    for line in _hatch(sx, ly - 1, 16, 10, step=4):
        drawing.add(line)
    drawing.add(
        _string(sx + 21, ly + 1, f"{suppressed_text}: {suppressed_note}", 7, colour=PALETTE.muted)
    )
    return _describe(drawing, title, "; ".join(summary))


# ---------------------------------------------------------------------- SVG
_STYLE_DECL = re.compile(r"\s*([a-zA-Z-]+)\s*:\s*([^;]+?)\s*(?:;|$)")
_DROP_TAGS = {"script", "foreignObject", "iframe", "object", "embed", "style"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def to_svg(drawing: Drawing, title: str | None = None, description: str | None = None) -> str:
    """Render a Drawing as an SVG string safe to inline in a page with ``style-src 'self'``.

    ``title`` and ``description`` default to what the chart function
    recorded (its title and a text list of its values).
    """
    register_fonts()
    known_title, known_desc = _DESCRIPTIONS.get(drawing, ("Chart", ""))
    title = known_title if title is None else title
    description = known_desc if description is None else description
    raw = renderSVG.drawToString(drawing)
    # Unique ids per chart: renderSVG always says id="clip", which collides when
    # several charts share a page. A content hash keeps the output deterministic.
    prefix = "c" + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:10] + "-"
    root = ET.fromstring(raw.encode("utf-8"))

    parents = {child: parent for parent in root.iter() for child in parent}
    for element in list(root.iter()):
        if _local(element.tag) in _DROP_TAGS and element is not root:
            parents[element].remove(element)
            continue
        style = element.attrib.pop("style", None)
        if style:
            for name, value in _STYLE_DECL.findall(style):
                element.set(name, value.strip())
        for name in list(element.attrib):
            value = element.attrib[name]
            if _local(name).lower().startswith("on") or "javascript:" in value.lower():
                del element.attrib[name]
            elif name == "id":
                element.set("id", prefix + value)
            elif "url(#" in value:
                element.set(name, value.replace("url(#", "url(#" + prefix))
            elif _local(name) == "href" and value.startswith("#"):
                element.set(name, "#" + prefix + value[1:])
        family = element.attrib.get("font-family")
        if family is not None:
            element.set("font-family", FONT_STACK)
            for name, value in _FONT_FACES.get(family, {}).items():
                element.set(name, value)

    for element in list(root):
        if _local(element.tag) in ("title", "desc"):
            root.remove(element)
    title_el = ET.Element("title", {"id": prefix + "title"})
    title_el.text = title
    desc_el = ET.Element("desc", {"id": prefix + "desc"})
    desc_el.text = description
    root.insert(0, desc_el)
    root.insert(0, title_el)
    root.set("role", "img")
    root.set("aria-label", title)
    root.set("aria-describedby", prefix + "desc")
    root.set("focusable", "false")
    root.set("class", "chart")
    # Write plain names with the namespaces declared on the root, rather than
    # touching ElementTree's process-wide prefix registry.
    for element in root.iter():
        element.tag = _local(element.tag)
        for name in [n for n in element.attrib if n.startswith("{")]:
            value = element.attrib.pop(name)
            element.set(
                ("xlink:" if name.startswith(f"{{{XLINK_NS}}}") else "") + _local(name), value
            )
    root.set("xmlns", SVG_NS)
    root.set("xmlns:xlink", XLINK_NS)
    return ET.tostring(root, encoding="unicode")


class ChartCache:
    """Drawn charts kept per owner (a candidate) while what they show is unchanged.

    Drawing a chart through ReportLab's SVG renderer costs far more than the
    rest of a page, so each owner keeps one entry: the SVG and a fingerprint
    of the inputs it was drawn from. New inputs replace the owner's entry at
    once, so a superseded chart never lingers, and the least recently used
    owners go when the total passes ``max_bytes``.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[str, tuple[str, ...], int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(
        self, owner: Hashable, inputs: Any, draw: Callable[[], tuple[str, ...]]
    ) -> tuple[str, ...]:
        """The owner's charts for ``inputs`` (plain data with a stable ``repr``)."""
        fingerprint = hashlib.sha256(repr(inputs).encode()).hexdigest()
        with self._lock:
            entry = self._entries.get(owner)
            if entry is not None and entry[0] == fingerprint:
                self._entries.move_to_end(owner)
                return entry[1]
        drawn = draw()
        size = sum(len(part) for part in drawn)
        with self._lock:
            superseded = self._entries.pop(owner, None)
            if superseded is not None:
                self._bytes -= superseded[2]
            self._entries[owner] = (fingerprint, drawn, size)
            self._bytes += size
            while self._bytes > self.max_bytes and len(self._entries) > 1:
                _, (_, _, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped
        return drawn

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        """Bytes of SVG held (the bound applies to this)."""
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
