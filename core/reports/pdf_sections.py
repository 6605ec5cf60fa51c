"""The body sections: top priorities with their remediation, the findings overview, framework
coverage and accepted risks."""

from __future__ import annotations

import re
from datetime import datetime

from core.reports.charts import BAR_ROW, bar_rows, coverage_bar
from core.reports.colour import RGB, text_colour_on
from core.reports.fonts import ELLIPSIS, PT_TO_MM
from core.reports.layout import (
    INK,
    MARGIN,
    MUTED,
    PANEL,
    RULE,
    SEVERITY_COLOURS,
    STATUS_COLOURS,
    TOP,
    UNKNOWN_COLOUR,
    ReportPDF,
    format_date,
    status_label,
)
from core.reports.model import ReportData, ReportFinding

MAX_PRIORITIES = 10
MAX_CATEGORY_BARS = 16
SEVERITY_ORDER = ("critical", "high", "medium", "low")
_STEP_PREFIX = re.compile(r"^\s*(?:\(?\d{1,3}[.):]|[-*\u2022\u2013])\s+")

BODY = 9.0
BODY_LEADING = BODY * PT_TO_MM * 1.45


def severity_pills(pdf: ReportPDF, x: float, top: float, finding: ReportFinding) -> float:
    """Severity and priority labels side by side; the x after them."""
    severity = pdf.rfont.clean(str(finding.severity).upper(), limit=20) or "UNKNOWN"
    x += pdf.pill(x, top, severity, SEVERITY_COLOURS.get(finding.severity, UNKNOWN_COLOUR)) + 1.5
    priority = pdf.rfont.clean(finding.priority, limit=10)
    if priority:
        x += pdf.pill(x, top, priority, INK) + 1.5
    return x


def remediation_steps(text: str) -> list[str]:
    """Remediation as a list of steps; the numbering is redrawn, so any the text carries is dropped."""
    steps = [_STEP_PREFIX.sub("", line).strip() for line in text.split("\n")]
    return [step for step in steps if step]


def draw_priorities(pdf: ReportPDF, data: ReportData) -> None:
    priorities = data.top_priorities[:MAX_PRIORITIES]
    pdf.heading("Top priorities")
    if not priorities:
        pdf.paragraph("No open priorities: every assessed check passes or has an accepted risk.")
        return
    pdf.paragraph(
        f"The {len(priorities)} most urgent failing checks, most urgent first, with what to do about "
        "each. Fixing these raises the posture score the most.",
        colour=MUTED,
    )
    pdf.y += 3
    for number, finding in enumerate(priorities, start=1):
        pdf.continuing = None
        _priority_block(pdf, number, finding)
    pdf.continuing = None


def _priority_block(pdf: ReportPDF, number: int, finding: ReportFinding) -> None:
    theme = pdf.theme
    indent = MARGIN + 11
    width = pdf.w - MARGIN - indent
    title = pdf.wrap(finding.title, width, style="B", size=11, multiline=False, limit=400)
    summary = pdf.wrap(finding.summary, width, size=BODY)
    steps = [
        pdf.wrap(step, width - 6, size=BODY)
        for step in remediation_steps(pdf.rfont.clean(finding.remediation, multiline=True))
    ]
    height = len(title) * 5.6 + 7 + len(summary) * BODY_LEADING + 8
    height += (6 + sum(len(s) for s in steps) * BODY_LEADING) if steps else 0
    # Keep a priority on one page when it fits on one; otherwise start it with room to read.
    pdf.ensure(height if height <= pdf.bottom - TOP else 60.0)

    pdf.continuing = f"Priority {number}"
    top = pdf.y
    pdf.set_fill_color(*theme.primary)
    pdf.circle(MARGIN + 4, top + 4, 4, style="F")
    label = str(number)
    lw = pdf.rfont.width(label, "B", 10)
    pdf.put(MARGIN + 4 - lw / 2, top + 1.5, label, style="B", size=10, colour=theme.on_primary, leading=5)

    pdf.lines(title, indent, style="B", size=11, leading=5.6)
    pdf.y += 0.8
    after = severity_pills(pdf, indent, pdf.y, finding)
    meta = pdf.rfont.fit(
        pdf.rfont.clean(f"{finding.check_id} \u00b7 {finding.category}", limit=300),
        "",
        8,
        pdf.w - MARGIN - after,
    )
    pdf.put(after + 1, pdf.y, meta, size=8, colour=MUTED, leading=7 * PT_TO_MM * 1.6)
    pdf.y += 6.2
    pdf.lines(summary, indent, size=BODY, leading=BODY_LEADING)
    if steps:
        pdf.y += 1.5
        pdf.ensure(4.5 + BODY_LEADING)
        pdf.put(indent, pdf.y, "What to do", style="B", size=BODY, colour=theme.accent, leading=4.5)
        pdf.y += 4.5
        for i, lines in enumerate(steps, start=1):
            pdf.ensure(BODY_LEADING)
            pdf.put(indent, pdf.y, f"{i}.", style="B", size=BODY, leading=BODY_LEADING)
            pdf.lines(lines, indent + 6, size=BODY, leading=BODY_LEADING)
    pdf.y += 3
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    pdf.line(indent, pdf.y, pdf.w - MARGIN, pdf.y)
    pdf.y += 4


def draw_overview(pdf: ReportPDF, data: ReportData) -> None:
    pdf.heading("Findings overview")
    column = (pdf.content_width - 10) / 2
    severity_rows = _severity_rows(data.failing_by_severity)
    status_rows = _status_rows(data.counts_by_status)
    rows = max(len(severity_rows), len(status_rows) + 1)
    pdf.ensure(8 + rows * BAR_ROW)
    top = pdf.y
    pdf.subheading("Failing checks by severity", room_after=0)
    bar_rows(pdf, MARGIN, column, severity_rows, label_width=22)
    left_end = pdf.y

    right = MARGIN + column + 10
    pdf.y = top
    pdf.put(right, pdf.y, "Checks by status", style="B", size=11, leading=7)
    pdf.y += 8
    for label, value, colour in [*status_rows, ("Total", sum(v for _, v, _ in status_rows), PANEL)]:
        is_total = label == "Total"
        if is_total:
            pdf.set_draw_color(*RULE)
            pdf.line(right, pdf.y, right + column, pdf.y)
        else:
            pdf.set_fill_color(*colour)
            pdf.rect(right, pdf.y + 1.7, 3, 3, style="F")
        style = "B" if is_total else ""
        pdf.put(
            right + 5,
            pdf.y,
            pdf.rfont.fit(pdf.rfont.clean(label, limit=200), style, 8.5, column - 20),
            style=style,
            size=8.5,
            leading=BAR_ROW,
        )
        count = str(value)
        cw = pdf.rfont.width(count, "B", 8.5)
        pdf.put(right + column - cw, pdf.y, count, style="B", size=8.5, leading=BAR_ROW)
        pdf.y += BAR_ROW
    pdf.y = max(pdf.y, left_end) + 6

    pdf.subheading("Failing checks by category")
    categories = _category_rows(pdf, data.failing_by_category)
    if categories:
        bar_rows(pdf, MARGIN, pdf.content_width, categories, label_width=60)
    else:
        pdf.paragraph("No failing checks.", colour=MUTED)
    pdf.y += 6


def _count(value: object) -> int:
    return value if isinstance(value, int) and value > 0 else 0


def _severity_rows(counts: dict[str, int]) -> list[tuple[str, int, RGB]]:
    names = [*SEVERITY_ORDER, *sorted((k for k in counts if k not in SEVERITY_ORDER), key=str)]
    return [
        (str(name).capitalize(), _count(counts.get(name)), SEVERITY_COLOURS.get(name, UNKNOWN_COLOUR))
        for name in names
    ]


def _status_rows(counts: dict[str, int]) -> list[tuple[str, int, RGB]]:
    order = [s for s in STATUS_COLOURS if s in counts]
    order += sorted((k for k in counts if k not in STATUS_COLOURS), key=str)
    return [(status_label(str(s)), _count(counts[s]), STATUS_COLOURS.get(s, UNKNOWN_COLOUR)) for s in order]


def _category_rows(pdf: ReportPDF, counts: dict[str, int]) -> list[tuple[str, int, RGB]]:
    ranked = sorted(
        ((pdf.rfont.clean(k, limit=200), _count(v)) for k, v in counts.items()),
        key=lambda item: (-item[1], item[0]),
    )
    ranked = [(name, value) for name, value in ranked if value > 0]
    if len(ranked) > MAX_CATEGORY_BARS:
        rest = ranked[MAX_CATEGORY_BARS - 1 :]
        ranked = [
            *ranked[: MAX_CATEGORY_BARS - 1],
            (f"{len(rest)} other categories", sum(v for _, v in rest)),
        ]
    return [(name, value, pdf.theme.graphic) for name, value in ranked]


def draw_frameworks(pdf: ReportPDF, data: ReportData) -> None:
    pdf.heading("CIS and SCuBA coverage")
    if not data.frameworks:
        pdf.paragraph("No framework mappings for this scan.", colour=MUTED)
        return
    pdf.paragraph(
        "Controls of each framework that this scan assessed. Not assessed: controls with no automated "
        "check, or whose check could not run (licence or permission missing). A control the checks "
        "cover only in part is counted by that part, and the number of such controls is shown.",
        colour=MUTED,
    )
    pdf.y += 3
    for framework in data.frameworks:
        coverage_bar(pdf, framework)
    pdf.y += 4


def draw_accepted_risks(pdf: ReportPDF, data: ReportData) -> None:
    accepted = sorted((f for f in data.findings if f.accepted), key=_expiry_key)
    pdf.heading("Accepted risks")
    if not accepted:
        pdf.paragraph("No accepted risks.", colour=MUTED)
        return
    pdf.paragraph(
        "Failing checks the organisation has chosen to accept, soonest expiry first. An acceptance "
        "returns the finding to the open list when it expires.",
        colour=MUTED,
    )
    pdf.y += 3
    widths = (66.0, 26.0, pdf.content_width - 92.0)
    _table_header(pdf, widths)
    for finding in accepted:
        check = pdf.wrap(finding.check_id, widths[0] - 4, style="B", size=8.5, multiline=False, limit=200)
        check += pdf.wrap(finding.title, widths[0] - 4, size=8.5, multiline=False, limit=400)
        expiry = [
            format_date(finding.acceptance_expires_at) if finding.acceptance_expires_at else "No expiry"
        ]
        if _expired(finding.acceptance_expires_at, data.generated_at):
            expiry.append("(expired)")
        reason = pdf.wrap(
            finding.acceptance_justification or "No justification recorded.", widths[2] - 4, size=8.5
        )
        leading = 8.5 * PT_TO_MM * 1.4
        # A row never spans pages: a hostile justification is cut to what one page holds.
        room = int((pdf.bottom - TOP - 12) / leading)
        cells = [
            _cap(pdf, cell, room, width - 4)
            for cell, width in zip((check, expiry, reason), widths, strict=True)
        ]
        height = max(len(cell) for cell in cells) * leading + 3
        if pdf.ensure(height):
            _table_header(pdf, widths)
        top = pdf.y + 1.5
        x = MARGIN + 2
        for i, cell in enumerate(cells):
            for row, line in enumerate(cell):
                style = "B" if i == 0 and row == 0 else ""
                pdf.put(x, top + row * leading, line, style=style, size=8.5, leading=leading)
            x += widths[i]
        pdf.y += height
        pdf.set_draw_color(*RULE)
        pdf.line(MARGIN, pdf.y, pdf.w - MARGIN, pdf.y)
    pdf.y += 6


def _cap(pdf: ReportPDF, lines: list[str], most: int, width: float) -> list[str]:
    if len(lines) <= most:
        return lines
    return [*lines[: most - 1], pdf.rfont.fit(lines[most - 1] + ELLIPSIS, "", 8.5, width)]


def _table_header(pdf: ReportPDF, widths: tuple[float, ...]) -> None:
    fill = pdf.theme.tint
    pdf.set_fill_color(*fill)
    pdf.rect(MARGIN, pdf.y, pdf.content_width, 6.5, style="F")
    x = MARGIN + 2
    for label, width in zip(("Check", "Expires", "Justification"), widths, strict=True):
        pdf.put(x, pdf.y, label, style="B", size=8.5, colour=text_colour_on(fill), leading=6.5)
        x += width
    pdf.y += 6.5


def _expiry_key(finding: ReportFinding) -> tuple[int, str, str]:
    expires = finding.acceptance_expires_at
    return (1, "", finding.check_id) if expires is None else (0, format_date(expires), finding.check_id)


def _expired(expires: datetime | None, now: datetime) -> bool:
    if expires is None or (expires.tzinfo is None) != (now.tzinfo is None):
        return False  # naive and aware times cannot be compared; say nothing rather than guess
    return expires < now
