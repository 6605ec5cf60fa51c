"""The appendix: every finding of the scan with its evidence."""

from __future__ import annotations

import json
from typing import Any

from core.collect.unreadable import Unreadable, explain, explain_summary
from core.reports.fonts import PT_TO_MM
from core.reports.layout import (
    MARGIN,
    MUTED,
    RULE,
    STATUS_COLOURS,
    UNKNOWN_COLOUR,
    ReportPDF,
    format_date,
    status_label,
)
from core.reports.model import ReportData, ReportFinding
from core.reports.pdf_sections import remediation_steps, severity_pills

# The store caps evidence already; these bounds only keep a malformed finding from filling
# hundreds of pages.
MAX_EVIDENCE_ITEMS = 50
MAX_DICT_KEYS = 20
MAX_VALUE_CHARS = 300
MAX_ITEM_CHARS = 2000

SMALL = 8.0
SMALL_LEADING = SMALL * PT_TO_MM * 1.4
BODY = 8.5
BODY_LEADING = BODY * PT_TO_MM * 1.45


def evidence_lines(item: Any) -> list[str]:
    """An evidence item as short lines: a dict as "key: value" lines, anything else as text."""
    if isinstance(item, dict):
        keys = list(item)
        lines = [f"{key}: {_short(item[key])}" for key in keys[:MAX_DICT_KEYS]]
        if len(keys) > MAX_DICT_KEYS:
            lines.append(f"\u2026 and {len(keys) - MAX_DICT_KEYS} more fields")
        return lines
    if isinstance(item, list | tuple):
        return [", ".join(_short(value) for value in item[:MAX_DICT_KEYS])]
    return [str(item)]


def _short(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list | tuple):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "\u2026"


def draw_appendix(pdf: ReportPDF, data: ReportData) -> None:
    pdf.heading("Appendix: all findings")
    pdf.paragraph(
        f"All {len(data.findings)} checks of this scan, most urgent first, with the evidence collected.",
        colour=MUTED,
    )
    pdf.y += 3
    _unreadable_sources(pdf, data)
    for finding in data.findings:
        pdf.continuing = None  # a finding that starts on a fresh page needs no "continued" line
        _finding(pdf, finding)
    pdf.continuing = None


def _finding(pdf: ReportPDF, finding: ReportFinding) -> None:
    width = pdf.content_width
    title = pdf.wrap(finding.title, width, style="B", size=10, multiline=False, limit=400)
    # The strip, the title's first line and a few lines of body stay together.
    pdf.ensure(7 + min(len(title), 2) * 5 + 12)

    top = pdf.y
    pdf.continuing = pdf.rfont.clean(finding.check_id, limit=200)
    pdf.set_fill_color(*pdf.theme.tint)
    pdf.rect(MARGIN, top, width, 6.5, style="F")
    check_id = pdf.rfont.fit(pdf.rfont.clean(finding.check_id, limit=200), "B", 8.5, width - 40)
    pdf.put(MARGIN + 2, top, check_id, style="B", size=8.5, leading=6.5)
    status = pdf.rfont.clean(status_label(finding.status).upper(), limit=30)
    colour = STATUS_COLOURS.get(finding.status, UNKNOWN_COLOUR)
    pill_w = pdf.rfont.width(status, "B", 7) + 3.6
    pdf.pill(pdf.w - MARGIN - 2 - pill_w, top + 1.1, status, colour)
    pdf.y = top + 8

    pdf.lines(title, MARGIN, style="B", size=10, leading=5)
    pdf.y += 0.5
    pdf.ensure(5)
    after = severity_pills(pdf, MARGIN, pdf.y, finding)
    refs = [finding.category]
    refs += [f"CIS {finding.cis}"] if finding.cis else []
    refs += [f"SCuBA {finding.scuba}"] if finding.scuba else []
    meta = pdf.rfont.fit(pdf.rfont.clean(" \u00b7 ".join(refs), limit=400), "", SMALL, pdf.w - MARGIN - after)
    pdf.put(after + 1, pdf.y, meta, size=SMALL, colour=MUTED, leading=7 * PT_TO_MM * 1.6)
    pdf.y += 6

    unreadable = explain_summary(finding.summary) if finding.status == "error" else None
    if unreadable is None:
        pdf.paragraph(finding.summary, size=BODY, leading=BODY_LEADING)
    else:
        _explained(pdf, unreadable, MARGIN)
    if finding.accepted:
        until = format_date(finding.acceptance_expires_at) if finding.acceptance_expires_at else "no expiry"
        reason = finding.acceptance_justification or "no justification recorded"
        pdf.y += 1
        pdf.paragraph(
            f"Risk accepted until {until}: {reason}", size=BODY, leading=BODY_LEADING, colour=pdf.theme.accent
        )
    if finding.status == "fail":
        steps = remediation_steps(pdf.rfont.clean(finding.remediation, multiline=True))
        if steps:
            _label(pdf, "Remediation")
            for i, step in enumerate(steps, start=1):
                pdf.paragraph(f"{i}. {step}", x=MARGIN + 2, size=BODY, leading=BODY_LEADING)
    _evidence(pdf, finding)
    pdf.y += 2
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN, pdf.y, pdf.w - MARGIN, pdf.y)
    pdf.y += 4


def _unreadable_sources(pdf: ReportPDF, data: ReportData) -> None:
    """What could not be read, once, before the findings it left unassessed."""
    if not data.source_failures:
        return
    _label(pdf, "Sources that could not be read")
    for name, reason in sorted(data.source_failures.items()):
        _explained(pdf, explain(name, reason), MARGIN + 2)
        pdf.y += 1
    pdf.y += 2


def _explained(pdf: ReportPDF, unreadable: Unreadable, x: float) -> None:
    """The sentence in body text, the raw reason (HTTP error and all) in a smaller muted line."""
    pdf.paragraph(unreadable.sentence, x=x, size=BODY, leading=BODY_LEADING)
    detail = f"Detail ({unreadable.source}): {unreadable.detail}"
    pdf.paragraph(detail, x=x, size=SMALL - 0.5, colour=MUTED, leading=SMALL_LEADING)


def _evidence(pdf: ReportPDF, finding: ReportFinding) -> None:
    items = finding.evidence if isinstance(finding.evidence, list) else []
    shown = items[:MAX_EVIDENCE_ITEMS]
    more = max(finding.evidence_count, len(items)) - len(shown)
    if not shown and more <= 0:
        return
    _label(pdf, "Evidence")
    x = MARGIN + 5
    width = pdf.w - MARGIN - x
    for item in shown:
        lines: list[str] = []
        for line in evidence_lines(item):
            lines += pdf.wrap(line, width, size=SMALL, limit=MAX_ITEM_CHARS)
        pdf.ensure(min(len(lines), 6) * SMALL_LEADING)  # a short item is not split across pages
        pdf.put(MARGIN + 2, pdf.y, "\u2022", size=SMALL, colour=MUTED, leading=SMALL_LEADING)
        pdf.lines(lines, x, size=SMALL, leading=SMALL_LEADING)
    if more > 0:
        pdf.lines([f"\u2026 and {more} more"], x, size=SMALL, colour=MUTED, leading=SMALL_LEADING)


def _label(pdf: ReportPDF, text: str) -> None:
    pdf.y += 1
    pdf.ensure(4.5 + SMALL_LEADING)
    pdf.put(MARGIN, pdf.y, text, style="B", size=SMALL, colour=MUTED, leading=4.5)
    pdf.y += 4.5
