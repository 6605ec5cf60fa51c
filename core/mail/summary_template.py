"""The email summary's HTML body: a branded band, the score and its change, the top five
priorities and what changed since the previous scan."""

from __future__ import annotations

import html

from core.posture import SinceLastScan
from core.reports.colour import parse_hex, text_colour_on, to_hex
from core.reports.model import ReportData
from core.scan.scoring import format_score, format_score_change


def _change(data: ReportData) -> str:
    """ " (+2.5 since the previous scan)", or the words of core.posture.SinceLastScan when the score
    did not move ("no change" only when nothing else changed either)."""
    since = data.since_last_scan or SinceLastScan(data.score_change, 0, 0, False)
    if since.score_change is None:
        return ""
    if round(since.score_change, 1) == 0:
        return f" ({since.text().lower()})"
    return f" ({format_score_change(since.score_change)} since the previous scan)"


def what_changed(data: ReportData) -> str:
    """A "What changed" line per regression still failing, in our words from the audit log."""
    lines = "".join(
        f"<li><strong>{html.escape(f.title)}</strong>: {html.escape(f.what_changed)}</li>"
        for f in data.findings
        if f.what_changed
    )
    return f'<h2 style="font-size:16px">What changed</h2><ul>{lines}</ul>' if lines else ""


def summary_html(data: ReportData, changes: dict[str, int], report_url: str, attached: bool) -> str:
    """A branded HTML body: score and change, the top five priorities, what changed."""
    brand = data.brand
    band, ink = brand.primary, to_hex(text_colour_on(parse_hex(brand.primary)))
    score = "not assessed" if data.score is None else f"{format_score(data.score)} / 100"
    change = _change(data)
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
        f"{what_changed(data)}"
        f"<p>{where}</p>"
        f'<p style="color:#555;font-size:12px">Prepared by {html.escape(brand.msp_name)}</p>'
        "</body></html>"
    )
