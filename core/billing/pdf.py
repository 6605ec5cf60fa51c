"""An invoice preview as a PDF in the MSP's own branding, on the report's page layout."""

from __future__ import annotations

from datetime import datetime

from core.billing.invoice import Invoice
from core.reports.fonts import report_font
from core.reports.layout import MARGIN, MUTED, TOP, ReportPDF, format_datetime, theme_for
from core.reports.model import Brand


def invoice_pdf(invoice: Invoice, brand: Brand, org_name: str, generated_at: datetime) -> bytes:
    pdf = ReportPDF(
        report_font(),
        theme_for(brand),
        running_title=f"{org_name} · Invoice preview {invoice.period.start} to {invoice.period.end}",
        footer_note=f"Prepared by {brand.msp_name} · Generated {format_datetime(generated_at)}",
    )
    pdf.alias_nb_pages()
    pdf.new_page()
    pdf.y = TOP + 4
    pdf.heading(f"Invoice preview: {invoice.period.start} to {invoice.period.end}")
    basis = "peak" if invoice.band_basis == "peak" else "average"
    pdf.paragraph(
        f"{invoice.model.title()} pricing. Band {invoice.band}, from the fleet's {basis} of "
        f"{invoice.basis_total_users} managed users: {invoice.rate:.4f} {invoice.currency} "
        "per user per month. "
        "Charges accrue per day (a day is 1/days-in-month of a monthly amount); each line is rounded "
        "half-up to the currency's minor unit and the total is the sum of the lines."
    )
    pdf.y += 4
    columns = (
        ("Customer", 64),
        ("Days", 14),
        ("Avg users", 22),
        ("Users", 24),
        ("Add-ons", 22),
        ("Amount", 28),
    )
    x = MARGIN
    for title, width in columns:
        pdf.put(x, pdf.y, title, style="B", size=8.5, colour=MUTED)
        x += width
    pdf.y += 6
    for line in invoice.lines:
        pdf.ensure(6)
        cells = (
            pdf.rfont.fit(pdf.rfont.clean(line.name), "", 8.5, 62),
            str(line.active_days),
            str(line.average_users),
            str(line.user_amount),
            str(line.branded_amount + line.weekly_amount),
            f"{line.amount} {invoice.currency}",
        )
        x = MARGIN
        for (_, width), text in zip(columns, cells, strict=True):
            pdf.put(x, pdf.y, text, size=8.5)
            x += width
        pdf.y += 5.5
    pdf.ensure(10)
    pdf.y += 3
    pdf.put(MARGIN, pdf.y, f"Total: {invoice.total} {invoice.currency}", style="B", size=11)
    return bytes(pdf.output())
