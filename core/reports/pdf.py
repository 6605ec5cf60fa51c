"""The PDF executive report: a pure function from ReportData to the bytes of a PDF.

Pages: the cover (brand band, score, key figures, score trend), top priorities with remediation,
findings overview with framework coverage, the framework scorecards and peer position, accepted
risks, then the appendix of every finding with its evidence. Every page carries "Prepared by
{msp_name}", the generation date and "Page X of Y". Nothing is read but the font files, and no
clock: dates come from the data."""

from __future__ import annotations

from datetime import UTC

from core.reports.fonts import report_font
from core.reports.layout import ReportPDF, format_datetime, theme_for
from core.reports.model import ReportData
from core.reports.pdf_appendix import draw_appendix
from core.reports.pdf_cover import draw_cover
from core.reports.pdf_scorecards import draw_scorecards
from core.reports.pdf_sections import draw_accepted_risks, draw_frameworks, draw_overview, draw_priorities

__all__ = ["render_report"]


def render_report(data: ReportData) -> bytes:
    font = report_font()
    customer = font.clean(data.customer_name, limit=300)
    # Bounded so a long MSP name cannot push the generation date out of the footer line.
    msp_name = font.fit(font.clean(data.brand.msp_name, limit=200), "", 7.5, 100)
    pdf = ReportPDF(
        font,
        theme_for(data.brand),
        running_title=f"{customer} \u00b7 Security posture report",
        footer_note=f"Prepared by {msp_name} \u00b7 Generated {format_datetime(data.generated_at)}",
    )
    generated = data.generated_at
    # fpdf2 stamps the current time unless told otherwise, and reads a naive time as local time.
    pdf.set_creation_date(generated if generated.tzinfo is not None else generated.replace(tzinfo=UTC))
    pdf.set_title(f"Security posture report: {customer}")
    pdf.set_author(msp_name)
    pdf.set_creator("ScanPosture")
    pdf.set_lang("en")

    pdf.add_page()
    draw_cover(pdf, data)
    pdf.new_page()
    draw_priorities(pdf, data)
    pdf.new_page()
    draw_overview(pdf, data)
    draw_frameworks(pdf, data)
    draw_scorecards(pdf, data)
    draw_accepted_risks(pdf, data)
    pdf.new_page()
    draw_appendix(pdf, data)
    return bytes(pdf.output())
