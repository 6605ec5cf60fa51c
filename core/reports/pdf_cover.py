"""The cover page: the brand band with logo, customer, domain, scan date and score, the key
figures and the score trend."""

from __future__ import annotations

import io
import logging
import math

from core.posture import SinceLastScan
from core.reports.charts import trend_chart
from core.reports.colour import WHITE, text_colour_on
from core.reports.fonts import ELLIPSIS, PT_TO_MM
from core.reports.layout import (
    INK,
    MARGIN,
    MUTED,
    RULE,
    STATUS_COLOURS,
    ReportPDF,
    format_datetime,
    format_score,
)
from core.reports.model import ReportData

log = logging.getLogger(__name__)

BAND_HEIGHT = 112.0
SCORE_CARD_WIDTH = 54.0


def draw_cover(pdf: ReportPDF, data: ReportData) -> None:
    theme = pdf.theme
    pdf.set_fill_color(*theme.primary)
    pdf.rect(0, 0, pdf.w, BAND_HEIGHT, style="F")
    pdf.set_fill_color(*theme.secondary)
    pdf.rect(0, BAND_HEIGHT, pdf.w, 3, style="F")

    _logo_or_wordmark(pdf)
    text_width = pdf.content_width - SCORE_CARD_WIDTH - 8
    y = 52.0
    pdf.put(MARGIN, y, "SECURITY POSTURE REPORT", style="B", size=9, colour=theme.on_primary, leading=5)
    y += 7
    name_lines, size = _name_lines(pdf, data.customer_name, text_width)
    leading = size * PT_TO_MM * 1.25
    for line in name_lines:
        pdf.put(MARGIN, y, line, style="B", size=size, colour=theme.on_primary, leading=leading)
        y += leading
    y += 1.5
    domain = pdf.rfont.fit(pdf.rfont.clean(data.primary_domain, limit=300), "", 12, text_width)
    pdf.put(MARGIN, y, domain, size=12, colour=theme.on_primary, leading=6.5)
    y += 8
    for detail in (f"Scanned {format_datetime(data.scanned_at)}", f"Tenant {data.tenant_id}"):
        line = pdf.rfont.fit(pdf.rfont.clean(detail, limit=300), "", 8.5, text_width)
        pdf.put(MARGIN, y, line, size=8.5, colour=theme.on_primary, leading=4.5)
        y += 4.8
    _score_card(pdf, data)

    pdf.set_y(BAND_HEIGHT + 11)
    pdf.heading("At a glance", size=13, room_after=0)
    _key_figures(pdf, data)
    pdf.set_y(pdf.y + 8)
    pdf.heading("Score trend", size=13, room_after=0)
    trend_chart(pdf, MARGIN, pdf.y, pdf.content_width, pdf.bottom - pdf.y - 4, data.trend)


def _logo_or_wordmark(pdf: ReportPDF) -> None:
    theme = pdf.theme
    if theme.logo_png:
        # A white card under the logo: logos are drawn for light backgrounds, and a dark logo
        # straight on a dark band would vanish.
        pdf.set_fill_color(*WHITE)
        pdf.rect(MARGIN, 14, 64, 26, style="F", round_corners=True, corner_radius=2.5)
        try:
            pdf.image(io.BytesIO(theme.logo_png), MARGIN + 4, 17, 56, 20, keep_aspect_ratio=True)
            return
        except Exception:  # a broken logo costs the logo, never the report
            log.warning("brand logo could not be drawn; using the name instead", exc_info=True)
            pdf.set_fill_color(*theme.primary)
            pdf.rect(MARGIN, 14, 64, 26, style="F")
    mark = pdf.rfont.fit(pdf.rfont.clean(theme.wordmark, limit=200), "B", 15, pdf.content_width - 60)
    pdf.put(MARGIN, 20, mark, style="B", size=15, colour=theme.on_primary, leading=8)


def _name_lines(pdf: ReportPDF, name: str, width: float) -> tuple[list[str], float]:
    """The customer's name as large as fits in three lines (or fewer)."""
    size = 24.0
    lines: list[str] = []
    for size in (24.0, 19.0, 15.0):
        lines = pdf.wrap(name, width, style="B", size=size, multiline=False, limit=300)
        if len(lines) <= 2:
            break
    if len(lines) > 3:
        lines = [*lines[:2], pdf.rfont.fit(lines[2] + ELLIPSIS, "B", size, width)]
    return lines, size


def _score_card(pdf: ReportPDF, data: ReportData) -> None:
    theme = pdf.theme
    x, y, w, h = pdf.w - MARGIN - SCORE_CARD_WIDTH, 46.0, SCORE_CARD_WIDTH, 52.0
    pdf.set_fill_color(*WHITE)
    pdf.rect(x, y, w, h, style="F", round_corners=True, corner_radius=3)

    def centred(text: str, top: float, *, style: str, size: float, colour: tuple[int, int, int]) -> None:
        tw = pdf.rfont.width(text, style, size)
        pdf.put(x + (w - tw) / 2, top, text, style=style, size=size, colour=colour, leading=size * 0.5)

    centred("Posture score", y + 4, style="B", size=8.5, colour=MUTED)
    score = format_score(data.score)
    centred(score, y + 12, style="B", size=36 if len(score) <= 3 else 28, colour=theme.accent)
    centred("out of 100" if score != "-" else "not scored yet", y + 32, style="", size=8, colour=MUTED)
    if score == "-":
        return
    arrow, arrow_colour, text = _change_line(data)
    # Only the arrow is green or red: small coloured text on white would not reach 4.5:1.
    arrow_w = pdf.rfont.width(arrow + " ", "B", 8) if arrow else 0.0
    tx = x + (w - arrow_w - pdf.rfont.width(text, "B", 8)) / 2
    if arrow:
        pdf.put(tx, y + 40, arrow, style="B", size=8, colour=arrow_colour, leading=4)
    pdf.put(tx + arrow_w, y + 40, text, style="B", size=8, colour=INK, leading=4)


def _change_line(data: ReportData) -> tuple[str, tuple[int, int, int], str]:
    """The arrow, its colour and the words under the score. The words come from
    core.posture.SinceLastScan, as in the portal and the mail: "No change" only when neither the
    score, the findings nor the acceptances changed."""
    since = data.since_last_scan or SinceLastScan(data.score_change, 0, 0, False)
    change = since.score_change
    if change is None or not math.isfinite(change) or round(change, 1) == 0:
        return "", MUTED, since.text()
    if change > 0:
        return "\u25b2", STATUS_COLOURS["pass"], since.text()
    return "\u25bc", STATUS_COLOURS["fail"], since.text()


def _key_figures(pdf: ReportPDF, data: ReportData) -> None:
    theme = pdf.theme
    accepted = sum(1 for f in data.findings if f.accepted)
    figures = [
        (data.open_priority_count, "Open priorities"),
        (data.counts_by_status.get("fail", 0), "Failing checks"),
        (data.counts_by_status.get("pass", 0), "Passing checks"),
        (accepted, "Accepted risks"),
    ]
    gap = 4.0
    tile_w = (pdf.content_width - gap * (len(figures) - 1)) / len(figures)
    top = pdf.y
    on_tint = text_colour_on(theme.tint)
    for i, (value, label) in enumerate(figures):
        x = MARGIN + i * (tile_w + gap)
        pdf.set_fill_color(*theme.tint)
        pdf.rect(x, top, tile_w, 22, style="F", round_corners=True, corner_radius=2)
        pdf.set_fill_color(*theme.graphic)
        pdf.rect(x, top, 1.4, 22, style="F")
        pdf.put(x + 5, top + 3, str(value), style="B", size=18, colour=on_tint, leading=9)
        pdf.put(x + 5, top + 14, label, size=8, colour=on_tint, leading=5)
    pdf.set_draw_color(*RULE)
    pdf.set_y(top + 22)
