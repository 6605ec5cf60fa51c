"""The email summary's HTML body: a branded band, the score and its change, the top five
priorities and what changed since the previous scan."""

from __future__ import annotations

import html

from core.reports.colour import parse_hex, text_colour_on, to_hex
from core.reports.model import ReportData


def summary_html(data: ReportData, changes: dict[str, int], report_url: str, attached: bool) -> str:
    """A branded HTML body: score and change, the top five priorities, what changed."""
    brand = data.brand
    band, ink = brand.primary, to_hex(text_colour_on(parse_hex(brand.primary)))
    score = "not assessed" if data.score is None else f"{data.score:.0f} / 100"
    change = "" if data.score_change is None else f" ({data.score_change:+.1f} since the previous scan)"
    priorities = (
        "".join(
            f"<li><strong>{html.escape(f.title)}</strong> "
            f"({html.escape(f.priority)}, {html.escape(f.severity)})"
            f"<br>{html.escape(f.summary)}</li>"
            for f in data.top_priorities[:5]
        )
        or "<li>No open priorities.</li>"
    )
    where = (
        "The full report is attached."
        if attached
        else (
            "The full report is too large to attach: "
            f'<a href="{html.escape(report_url)}">open it in ScanPosture</a>.'
        )
    )
    return (
        '<!doctype html><html><body style="font-family:Segoe UI,Arial,sans-serif;color:#1b1b1b">'
        f'<div style="background:{band};color:{ink};padding:16px 20px">'
        f'<h1 style="margin:0;font-size:20px">{html.escape(data.customer_name)}: security posture</h1></div>'
        f"<p>Posture score: <strong>{score}</strong>{html.escape(change)}. "
        f"Open priorities: <strong>{data.open_priority_count}</strong>.</p>"
        f"<p>Since the previous scan: {changes.get('new', 0)} new, {changes.get('resolved', 0)} resolved, "
        f"{changes.get('persisting', 0)} still open.</p>"
        f'<h2 style="font-size:16px">Top priorities</h2><ol>{priorities}</ol>'
        f"<p>{where}</p>"
        f'<p style="color:#555;font-size:12px">Prepared by {html.escape(brand.msp_name)}</p>'
        "</body></html>"
    )
