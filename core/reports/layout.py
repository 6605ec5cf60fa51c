"""The report's page furniture and text flow: theme colours from the brand, the FPDF subclass with
its running header and footer, and helpers that wrap text and break pages."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from fpdf import FPDF

from core.reports.colour import (
    GRAPHIC_CONTRAST,
    RGB,
    TEXT_CONTRAST,
    WHITE,
    ensure_contrast,
    mix,
    parse_hex,
    text_colour_on,
)
from core.reports.fonts import FONT_FAMILY, PT_TO_MM, ReportFont, font_paths
from core.reports.model import NEUTRAL_PRIMARY, NEUTRAL_SECONDARY, Brand
from core.reports.severity import severity_rgb

# The one score format, shared with the mail and the CSV; re-exported for the report's pages.
from core.scan.scoring import format_score as format_score

log = logging.getLogger(__name__)

MARGIN = 18.0
TOP = 20.0  # where content starts on pages after the cover, below the running header
FOOTER_ZONE = 20.0  # kept free at the bottom of every page for the footer

INK: RGB = (33, 37, 41)
MUTED: RGB = (84, 91, 98)  # 7:1 on white: small print stays legible
RULE: RGB = (214, 219, 224)
PANEL: RGB = (245, 247, 249)

SEVERITY_COLOURS: dict[str, RGB] = severity_rgb()  # the table the portal's chips share
STATUS_COLOURS: dict[str, RGB] = {
    "pass": (43, 138, 62),
    "fail": (201, 42, 42),
    "error": (232, 163, 61),
    "manual": (76, 122, 159),
    "not_applicable": (134, 142, 150),
}
STATUS_LABELS: dict[str, str] = {
    "pass": "Passed",
    "fail": "Failed",
    "error": "Error",
    "manual": "Manual",
    "not_applicable": "Not applicable",
}
UNKNOWN_COLOUR: RGB = (134, 142, 150)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Theme:
    branded: bool
    primary: RGB  # the cover band, exactly the brand colour
    secondary: RGB
    on_primary: RGB  # text drawn on the band
    accent: RGB  # headings: primary, darkened if needed to read on white
    graphic: RGB  # chart marks: primary, darkened if needed to stand out on white
    tint: RGB  # pale panels behind figures
    logo_png: bytes | None
    wordmark: str  # shown on the cover when there is no logo


def _brand_colour(value: str, fallback: str, what: str) -> RGB:
    try:
        return parse_hex(value)
    except ValueError:
        # Branding validates colours on save; a bad stored value must not stop the report.
        log.warning("brand %s colour %r is invalid; using the neutral colour", what, value)
        return parse_hex(fallback)


def theme_for(brand: Brand) -> Theme:
    if brand.enabled:
        primary = _brand_colour(brand.primary, NEUTRAL_PRIMARY, "primary")
        secondary = _brand_colour(brand.secondary, NEUTRAL_SECONDARY, "secondary")
        logo, wordmark = brand.logo_png, brand.msp_name
    else:
        primary, secondary = parse_hex(NEUTRAL_PRIMARY), parse_hex(NEUTRAL_SECONDARY)
        logo, wordmark = None, "ScanPosture"
    return Theme(
        branded=brand.enabled,
        primary=primary,
        secondary=secondary,
        on_primary=text_colour_on(primary),
        accent=ensure_contrast(primary, WHITE, TEXT_CONTRAST),
        graphic=ensure_contrast(primary, WHITE, GRAPHIC_CONTRAST),
        tint=mix(primary, WHITE, 0.9),
        logo_png=logo,
        wordmark=wordmark,
    )


def format_date(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return _utc(moment).strftime("%Y-%m-%d")


def format_datetime(moment: datetime) -> str:
    moment = _utc(moment)
    suffix = " UTC" if moment.tzinfo is not None else ""
    return moment.strftime("%Y-%m-%d %H:%M") + suffix


def short_date(moment: datetime) -> str:
    """'14 Mar', for chart axes; month names are fixed so the locale cannot change the report."""
    moment = _utc(moment)
    return f"{moment.day} {_MONTHS[moment.month - 1]}"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


class ReportPDF(FPDF):
    """A4 portrait in mm. Automatic page breaks are off: the section code measures what it draws
    and calls `ensure`, so blocks are kept together and never cut by the footer."""

    def __init__(self, font: ReportFont, theme: Theme, *, running_title: str, footer_note: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.rfont = font
        self.theme = theme
        self.running_title = running_title
        self.footer_note = footer_note
        # Shown at the top of a page that continues a block, so a reader landing there knows
        # what they are reading ("IDEN-001 (continued)").
        self.continuing: str | None = None
        for style, path in font_paths().items():
            self.add_font(FONT_FAMILY, style, str(path))
        self.set_auto_page_break(False)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_font(FONT_FAMILY, "", 9)

    @property
    def content_width(self) -> float:
        return self.w - 2 * MARGIN

    @property
    def bottom(self) -> float:
        return self.h - FOOTER_ZONE

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_fill_color(*self.theme.primary)
        self.rect(0, 0, self.w, 4, style="F")
        title = self.rfont.fit(self.running_title, "", 7.5, self.content_width)
        self.put(MARGIN, 7, title, size=7.5, colour=MUTED, leading=5)

    def footer(self) -> None:
        y = self.h - 14
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(MARGIN, y, self.w - MARGIN, y)
        note = self.rfont.fit(self.footer_note, "", 7.5, self.content_width - 30)
        self.put(MARGIN, y + 1.5, note, size=7.5, colour=MUTED, leading=5)
        # cell(), not text(): only the cell path substitutes the {nb} page-count alias.
        self.set_font(FONT_FAMILY, "", 7.5)
        self.set_text_color(*MUTED)
        self.set_xy(self.w - MARGIN - 30, y + 1.5)
        self.cell(30, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    def new_page(self) -> None:
        self.add_page()
        self.set_y(TOP)
        if self.continuing:
            label = self.rfont.fit(f"{self.continuing} (continued)", "B", 8, self.content_width)
            self.put(MARGIN, self.y, label, style="B", size=8, colour=MUTED, leading=5)
            self.y += 6

    def ensure(self, height: float) -> bool:
        """Start a new page unless `height` mm still fit above the footer. True if it broke."""
        if self.y + height > self.bottom:
            self.new_page()
            return True
        return False

    def put(
        self,
        x: float,
        top: float,
        text: str,
        *,
        style: str = "",
        size: float = 9,
        colour: RGB = INK,
        leading: float | None = None,
    ) -> None:
        """One line of cleaned text in a line box of height `leading` whose top is `top`."""
        leading = leading if leading is not None else size * PT_TO_MM * 1.45
        self.set_font(FONT_FAMILY, style, size)
        self.set_text_color(*colour)
        # Centre the capitals in the line box (DejaVu's cap height is 0.73 em).
        self.text(x, top + leading / 2 + 0.365 * size * PT_TO_MM, text)

    def wrap(
        self,
        text: object,
        width: float,
        *,
        style: str = "",
        size: float = 9,
        multiline: bool = True,
        limit: int = 4000,
    ) -> list[str]:
        cleaned = self.rfont.clean(text, multiline=multiline, limit=limit)
        return self.rfont.wrap(cleaned, style, size, width)

    def lines(
        self,
        lines: list[str],
        x: float,
        *,
        style: str = "",
        size: float = 9,
        colour: RGB = INK,
        leading: float | None = None,
    ) -> None:
        """Draws lines from the cursor down, continuing on a new page when one is full."""
        leading = leading if leading is not None else size * PT_TO_MM * 1.45
        for line in lines:
            self.ensure(leading)
            self.put(x, self.y, line, style=style, size=size, colour=colour, leading=leading)
            self.y += leading

    def paragraph(
        self,
        text: object,
        *,
        x: float | None = None,
        width: float | None = None,
        style: str = "",
        size: float = 9,
        colour: RGB = INK,
        leading: float | None = None,
        multiline: bool = True,
    ) -> None:
        x = MARGIN if x is None else x
        width = self.w - MARGIN - x if width is None else width
        wrapped = self.wrap(text, width, style=style, size=size, multiline=multiline)
        self.lines(wrapped, x, style=style, size=size, colour=colour, leading=leading)

    def heading(self, text: str, *, size: float = 15, room_after: float = 30) -> None:
        """A section heading, moved to a new page with what follows if it would be stranded."""
        self.ensure(size * PT_TO_MM * 2 + room_after)
        self.put(
            MARGIN,
            self.y,
            self.rfont.fit(text, "B", size, self.content_width),
            style="B",
            size=size,
            colour=self.theme.accent,
            leading=size * PT_TO_MM * 1.6,
        )
        self.y += size * PT_TO_MM * 1.6
        self.set_fill_color(*self.theme.secondary)
        self.rect(MARGIN, self.y, 24, 1.0, style="F")
        self.y += 4

    def subheading(self, text: str, *, room_after: float = 15) -> None:
        self.ensure(8 + room_after)
        self.put(
            MARGIN,
            self.y,
            self.rfont.fit(text, "B", 11, self.content_width),
            style="B",
            size=11,
            colour=INK,
            leading=7,
        )
        self.y += 8

    def pill(self, x: float, top: float, text: str, fill: RGB, *, size: float = 7) -> float:
        """A rounded label in `fill` with black or white text, whichever reads better; its width."""
        pad = 1.8
        width = self.rfont.width(text, "B", size) + 2 * pad
        height = size * PT_TO_MM * 1.6
        self.set_fill_color(*fill)
        self.rect(x, top, width, height, style="F", round_corners=True, corner_radius=height / 2.5)
        self.put(x + pad, top, text, style="B", size=size, colour=text_colour_on(fill), leading=height)
        return width
