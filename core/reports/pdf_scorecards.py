"""The report's framework scorecards (issue 22): per profile the share of controls met of those
assessed and how many fall in each state, then the controls not met, by id; and the tenant's
position in its MSP's fleet, as a percentile and a median that name nobody."""

from __future__ import annotations

from core.reports.layout import MARGIN, MUTED, ReportPDF
from core.reports.model import ReportData, ReportScorecard

COLUMNS = (
    ("Profile", 52.0),
    ("Met", 26.0),
    ("Not met", 16.0),
    ("Partly", 14.0),
    ("Not assessable", 30.0),
    ("Not automated", 0.0),  # the rest of the line
)
MAX_LISTED = 12  # controls not met listed per profile; the scorecard page and CSV have them all


def _share(card: ReportScorecard) -> str:
    if card.share is None:
        return "none assessed"
    assessed = card.counts["met"] + card.counts["not_met"]
    return f"{card.share:.0f}% ({card.counts['met']}/{assessed})"


def _row(pdf: ReportPDF, cells: list[str], *, bold: bool = False) -> None:
    pdf.ensure(6)
    x = MARGIN
    for (_, width), text in zip(COLUMNS, cells, strict=True):
        room = (width or pdf.w - MARGIN - x) - 2
        pdf.put(
            x, pdf.y, pdf.rfont.fit(text, "B" if bold else "", 8.5, room), style="B" if bold else "", size=8.5
        )
        x += width
    pdf.y += 5.5


def draw_scorecards(pdf: ReportPDF, data: ReportData) -> None:
    if not data.scorecards and data.peer_position is None:
        return
    pdf.heading("Framework scorecards")
    pdf.paragraph(
        "Every control of each profile, by state. Met counts only controls whose mapped checks all "
        "passed and cover the whole control; the share is met of those assessed (met or not met). "
        "Partly assessed controls, those that could not be assessed (licence, permission or a "
        "service error) and those no check automates are counted, never hidden.",
        colour=MUTED,
    )
    pdf.y += 2
    _row(pdf, [label for label, _ in COLUMNS], bold=True)
    for card in data.scorecards:
        c = card.counts
        _row(
            pdf,
            [
                card.name,
                _share(card),
                str(c["not_met"]),
                str(c["partly_assessed"]),
                str(c["not_assessable"]),
                str(c["not_automated"]),
            ],
        )
    for card in data.scorecards:
        if not card.not_met:
            continue
        pdf.y += 2
        pdf.subheading(f"{card.name}: controls not met")
        for control_id, title in card.not_met[:MAX_LISTED]:
            pdf.paragraph(f"{control_id}  {title}", size=8.5, multiline=False)
        if len(card.not_met) > MAX_LISTED:
            pdf.paragraph(
                f"and {len(card.not_met) - MAX_LISTED} more (see the scorecard page).", colour=MUTED
            )
    _draw_peer_position(pdf, data)


def _draw_peer_position(pdf: ReportPDF, data: ReportData) -> None:
    pdf.y += 3
    pdf.subheading("Position among your provider's customers")
    peer = data.peer_position
    if peer is None:
        pdf.paragraph("Not shown: too few customers have a score to compare with safely.", colour=MUTED)
        return
    pdf.paragraph(
        f"This tenant's score is higher than {peer.percentile}% of the other customers' scores; the "
        f"median score across the customers is {peer.median}. No other customer is named.",
    )
