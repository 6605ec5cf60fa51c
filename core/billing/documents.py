"""An invoice preview as CSV. The PDF is in `core.billing.pdf`, so fpdf2 loads only where PDFs are made."""

from __future__ import annotations

import csv
import io

from core.billing.invoice import Invoice
from core.exports import spreadsheet_safe

CSV_COLUMNS = (
    "customerId",
    "customer",
    "activeDays",
    "averageUsers",
    "userAmount",
    "brandedAmount",
    "weeklyAmount",
    "amount",
    "currency",
)


def invoice_csv(invoice: Invoice) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for line in invoice.lines:
        writer.writerow(
            [
                line.customer_id,
                spreadsheet_safe(line.name),  # customer names are tenant data
                line.active_days,
                line.average_users,
                line.user_amount,
                line.branded_amount,
                line.weekly_amount,
                line.amount,
                invoice.currency,
            ]
        )
    writer.writerow(["", "Total", "", "", "", "", "", invoice.total, invoice.currency])
    return out.getvalue()
