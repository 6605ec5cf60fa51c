"""The report's framework scorecards and peer position (issue 22), read back as text."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from core.reports.model import ReportPeerPosition, ReportScorecard
from core.reports.pdf import render_report
from tests.unit.reports import support
from tests.unit.reports.test_pdf_report import ARTIFACTS, page_texts

COUNTS = {"met": 30, "not_met": 3, "partly_assessed": 4, "not_assessable": 5, "not_automated": 40}


def test_the_report_prints_each_profiles_share_its_controls_not_met_and_the_peer_position() -> None:
    cards = [
        ReportScorecard(
            "CIS v5.0.0 E3 Level 1",
            90.9,
            COUNTS,
            [("1.1.3", "Ensure that between two and four global admins are designated"), ("6.5.4", "SMTP")],
        ),
        ReportScorecard("CISA SCuBA baseline (SHALL)", None, dict.fromkeys(COUNTS, 0)),
    ]
    data = replace(support.report(20), scorecards=cards, peer_position=ReportPeerPosition(64, 71))
    pdf = render_report(data)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "scorecards.pdf").write_bytes(pdf)
    text = " ".join(page_texts(pdf))
    assert "Framework scorecards" in text
    assert "CIS v5.0.0 E3 Level 1 91% (30/33) 3 4 5 40" in text
    assert "CISA SCuBA baseline (SHALL) none assessed 0 0 0 0" in text
    assert "CIS v5.0.0 E3 Level 1: controls not met" in text and "1.1.3 Ensure that between two" in text
    assert (
        "higher than 64% of the other customers' scores" in text
        and "median score across the customers is 71" in text
    )


def test_without_enough_peers_the_report_says_so_and_shows_no_figures(tmp_path: Path) -> None:
    data = replace(support.report(5), scorecards=[ReportScorecard("CIS v5.0.0 E3 Level 1", 50.0, COUNTS)])
    text = " ".join(page_texts(render_report(data)))
    assert "Not shown: too few customers have a score" in text
    assert "controls not met" not in text and "median" not in text
