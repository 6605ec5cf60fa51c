"""Charts drawn with fpdf2 primitives (lines, rectangles, circles): the score trend, horizontal bar
rows and framework coverage bars. Every chart prints its numbers too, so nothing is told by colour
alone."""

from __future__ import annotations

import math
from datetime import datetime

from core.reports.colour import RGB, WHITE, mix
from core.reports.layout import (
    INK,
    MUTED,
    RULE,
    STATUS_COLOURS,
    ReportPDF,
    format_score,
    short_date,
)
from core.reports.model import FrameworkCoverage

BAR_ROW = 6.5  # mm per bar row


def trend_chart(
    pdf: ReportPDF, x: float, y: float, w: float, h: float, trend: list[tuple[datetime, float | None]]
) -> None:
    """Score (0-100) per scan, oldest on the left. Scans are spaced evenly: they run on a schedule,
    and a failed scan (no score) keeps its slot so the gap is visible."""
    theme = pdf.theme
    left, bottom_pad, top_pad = 9.0, 7.0, 5.0
    px, py, pw, ph = x + left, y + top_pad, w - left - 3, h - top_pad - bottom_pad

    pdf.set_line_width(0.2)
    pdf.set_draw_color(*RULE)
    for grid in (0, 25, 50, 75, 100):
        gy = py + ph * (1 - grid / 100)
        pdf.line(px, gy, px + pw, gy)
        label = str(grid)
        pdf.put(px - 1.5 - pdf.rfont.width(label, "", 6.5), gy - 2, label, size=6.5, colour=MUTED, leading=4)

    points = list(trend)
    scored: list[tuple[float, float, float]] = []  # (x, y, score)
    slots = max(len(points), 1)
    step = pw / (slots - 1) if slots > 1 else 0.0
    label_every = max(1, math.ceil(slots / 12))
    for i, (moment, score) in enumerate(points):
        sx = px + (step * i if slots > 1 else pw / 2)
        if i % label_every == 0 or i == slots - 1:
            label = short_date(moment)
            lw = pdf.rfont.width(label, "", 6.5)
            lx = min(max(sx - lw / 2, x), x + w - lw)
            pdf.put(lx, py + ph + 1.5, label, size=6.5, colour=MUTED, leading=4)
        if score is None or not math.isfinite(score):
            continue
        value = min(max(score, 0.0), 100.0)
        scored.append((sx, py + ph * (1 - value / 100), score))

    if not scored:
        note = "No scored scans yet"
        nw = pdf.rfont.width(note, "", 9)
        pdf.put(px + (pw - nw) / 2, py + ph / 2 - 3, note, colour=MUTED, leading=6)
        return

    if len(scored) > 1:
        # Pale area under the line, then the line itself on top.
        area = [(scored[0][0], py + ph), *((sx, sy) for sx, sy, _ in scored), (scored[-1][0], py + ph)]
        pdf.set_fill_color(*mix(theme.primary, WHITE, 0.85))
        pdf.polygon(area, style="F")
        pdf.set_draw_color(*theme.graphic)
        pdf.set_line_width(0.7)
        pdf.polyline([(sx, sy) for sx, sy, _ in scored])

    pdf.set_line_width(0.5)
    pdf.set_draw_color(*theme.graphic)
    pdf.set_fill_color(*WHITE)
    for sx, sy, score in scored:
        pdf.circle(sx, sy, 1.1, style="DF")
        label = format_score(score)
        lw = pdf.rfont.width(label, "B", 7)
        pdf.put(sx - lw / 2, sy - 6, label, style="B", size=7, colour=INK, leading=4)


def bar_rows(
    pdf: ReportPDF, x: float, w: float, rows: list[tuple[str, int, RGB]], *, label_width: float = 45
) -> None:
    """One labelled horizontal bar per row from the cursor down, scaled to the largest value."""
    peak = max((value for _, value, _ in rows), default=0) or 1
    count_width = 12.0
    track = w - label_width - count_width
    for label, value, colour in rows:
        pdf.ensure(BAR_ROW)
        top = pdf.y
        pdf.put(
            x,
            top,
            pdf.rfont.fit(pdf.rfont.clean(label, limit=200), "", 8.5, label_width - 2),
            size=8.5,
            leading=BAR_ROW,
        )
        pdf.set_fill_color(*mix(colour, WHITE, 0.85))
        pdf.rect(x + label_width, top + 1.2, track, BAR_ROW - 2.4, style="F")
        if value > 0:
            pdf.set_fill_color(*colour)
            pdf.rect(x + label_width, top + 1.2, max(track * value / peak, 0.8), BAR_ROW - 2.4, style="F")
        pdf.put(x + label_width + track + 2, top, str(value), style="B", size=8.5, leading=BAR_ROW)
        pdf.y += BAR_ROW


def coverage_bar(pdf: ReportPDF, framework: FrameworkCoverage) -> None:
    """A framework's controls as one stacked bar (passed, failed, not assessed) with the figures."""
    x, w = pdf.l_margin, pdf.content_width
    title = pdf.wrap(framework.title, w, style="B", size=9.5, multiline=False, limit=300)
    pdf.ensure(len(title) * 5 + 16)
    pdf.lines(title, x, style="B", size=9.5, leading=5)
    parts = [
        ("Passed", max(framework.passed, 0), STATUS_COLOURS["pass"]),
        ("Failed", max(framework.failed, 0), STATUS_COLOURS["fail"]),
        ("Not assessed", max(framework.not_assessed, 0), STATUS_COLOURS["not_applicable"]),
    ]
    total = sum(value for _, value, _ in parts)
    top = pdf.y + 1
    pdf.set_fill_color(*RULE)
    pdf.rect(x, top, w, 5, style="F")
    offset = 0.0
    for _, value, colour in parts:
        if total and value:
            seg = w * value / total
            pdf.set_fill_color(*colour)
            pdf.rect(x + offset, top, seg, 5, style="F")
            offset += seg
    assessed = parts[0][1] + parts[1][1]
    share = f" ({round(100 * parts[0][1] / assessed)}% of assessed controls pass)" if assessed else ""
    legend = " \u00b7 ".join(f"{label} {value}" for label, value, _ in parts) + share
    if framework.partial > 0:
        legend += f" \u00b7 {framework.partial} covered only in part"
    pdf.y = top + 6
    pdf.put(x, pdf.y, pdf.rfont.fit(legend, "", 8, w), size=8, colour=MUTED, leading=5)
    pdf.y += 8
