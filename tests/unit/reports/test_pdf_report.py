"""The PDF executive report, read back as text (pypdf) and as pixels (pdftoppm)."""

from __future__ import annotations

import io
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader

from core.reports.colour import GRAPHIC_CONTRAST, TEXT_CONTRAST, WHITE, contrast_ratio, parse_hex
from core.reports.layout import format_date, format_score, theme_for
from core.reports.model import NEUTRAL_PRIMARY, NEUTRAL_SECONDARY, Brand, ReportData
from core.reports.pdf import render_report
from tests.unit.reports import support

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "reports"


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text with whitespace runs collapsed, so wrapped lines read as one."""
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def close_pixels(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 12) -> float:
    """Share of the image's pixels within `tolerance` of `colour` on every channel."""
    rgb = image.convert("RGB")
    diff = ImageChops.difference(rgb, Image.new("RGB", rgb.size, colour))
    near = [band.point(lambda v: 255 if v <= tolerance else 0) for band in diff.split()]
    mask = ImageChops.multiply(ImageChops.multiply(near[0], near[1]), near[2])
    return mask.histogram()[255] / (rgb.width * rgb.height)


@pytest.fixture(scope="module")
def data() -> ReportData:
    return support.report(60)


@pytest.fixture(scope="module")
def pdf(data: ReportData) -> bytes:
    return render_report(data)


@pytest.fixture(scope="module")
def texts(pdf: bytes) -> list[str]:
    return page_texts(pdf)


def test_cover_names_customer_score_and_scan(data: ReportData, texts: list[str]) -> None:
    cover = texts[0]
    assert data.customer_name in cover
    assert format_score(data.score) == "72.4"
    assert "72.4" in cover
    assert data.primary_domain in cover
    assert "Scanned 2026-03-14 06:05 UTC" in cover


def test_every_page_has_the_footer_and_its_page_number(texts: list[str]) -> None:
    total = len(texts)
    assert total > 5
    assert "Page 1 of " + str(total) in texts[0]
    for number, text in enumerate(texts, start=1):
        assert f"Prepared by {support.MSP_NAME}" in text, number
        assert "Generated 2026-03-14 09:30 UTC" in text, number
        assert f"Page {number} of {total}" in text


def test_top_priorities_with_remediation(data: ReportData, texts: list[str]) -> None:
    assert len(data.top_priorities) == 10
    body = " ".join(texts[1:5])
    assert "Top priorities" in body
    for finding in data.top_priorities:
        assert finding.title in body
    assert "What to do" in body
    assert "Go to Protection > Conditional Access > Policies and open the policy." in body


def test_overview_frameworks_and_accepted_risks(data: ReportData, texts: list[str]) -> None:
    everything = " ".join(texts)
    for heading in ("Findings overview", "Failing checks by severity", "Checks by status", "Accepted risks"):
        assert heading in everything
    assert "CIS Microsoft 365 Foundations Benchmark v5.0.0" in everything
    assert "Passed 48 · Failed 17 · Not assessed 9" in everything
    assert "6 covered only in part" in everything  # partial coverage is never read as a full pass
    accepted = [f for f in data.findings if f.accepted]
    expiring = [f for f in accepted if f.acceptance_expires_at is not None]
    assert expiring and len(expiring) < len(accepted)
    for finding in expiring:
        assert format_date(finding.acceptance_expires_at) in everything
    assert "No expiry" in everything


def test_appendix_lists_every_finding_with_evidence(data: ReportData, texts: list[str]) -> None:
    start = next(i for i, text in enumerate(texts) if "Appendix: all findings" in text)
    appendix = " ".join(texts[start:])
    for finding in data.findings:
        assert finding.check_id in appendix
    assert "policy: CA000 Require MFA for admins" in appendix
    truncated = next(f for f in data.findings if f.evidence_count > len(f.evidence))
    assert f"… and {truncated.evidence_count - len(truncated.evidence)} more" in appendix


def test_rendering_is_deterministic(data: ReportData, pdf: bytes) -> None:
    assert render_report(data) == pdf


def test_cover_is_drawn_in_the_brand_and_neutral_without_it(
    data: ReportData, pdf: bytes, tmp_path: Path
) -> None:
    primary, neutral = parse_hex(support.PRIMARY), parse_hex(NEUTRAL_PRIMARY)

    pages = support.rasterise(pdf, tmp_path / "branded")
    cover = Image.open(pages[0])
    assert close_pixels(cover, primary) > 0.25  # the band is over a third of the page
    assert close_pixels(cover, support.LOGO_COLOUR) > 0.005
    assert close_pixels(cover, neutral) < 0.001
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("branded-page-*.png"):
        old.unlink()
    for page in pages:
        shutil.copy(page, ARTIFACTS / f"branded-{page.name}")

    plain = support.rasterise(render_report(support.neutral(data)), tmp_path / "neutral")
    cover = Image.open(plain[0])
    assert close_pixels(cover, neutral) > 0.25
    assert close_pixels(cover, primary) < 0.001
    assert close_pixels(cover, support.LOGO_COLOUR) < 0.0005
    assert len(plain) == len(pages)


@pytest.mark.parametrize("name", ["Zürich Dental GmbH", "Ελληνικά Λογιστικά"])
def test_unicode_names_come_out_intact(name: str) -> None:
    texts = page_texts(render_report(support.report(12, customer_name=name)))
    assert name in texts[0]
    assert f"{name} · Security posture report" in texts[1]


def test_without_findings_trend_or_score() -> None:
    empty = replace(
        support.report(0),
        score=None,
        score_change=None,
        trend=[],
        frameworks=[],
        counts_by_status={},
        failing_by_category={},
        failing_by_severity={},
    )
    everything = " ".join(page_texts(render_report(empty)))
    for note in ("No scored scans yet", "No open priorities", "No accepted risks", "No failing checks"):
        assert note in everything


def test_a_broken_logo_costs_only_the_logo(data: ReportData, caplog: pytest.LogCaptureFixture) -> None:
    broken = replace(data, brand=replace(data.brand, logo_png=b"\x89PNG\r\n\x1a\nnot really"))
    texts = page_texts(render_report(broken))
    assert support.MSP_NAME in texts[0]  # the name stands in for the logo
    assert "brand logo could not be drawn" in caplog.text


def test_an_invalid_stored_brand_colour_falls_back_to_neutral(data: ReportData) -> None:
    odd = replace(data.brand, primary="green", secondary="#12")
    theme = theme_for(odd)
    assert theme.primary == parse_hex(NEUTRAL_PRIMARY)
    assert theme.secondary == parse_hex(NEUTRAL_SECONDARY)
    assert render_report(replace(data, brand=odd)).startswith(b"%PDF-")


def test_a_pale_brand_keeps_text_and_marks_readable() -> None:
    pale = Brand(True, "#F2C14E", "#FFF4D6", None, support.MSP_NAME)
    theme = theme_for(pale)
    assert theme.primary == parse_hex("#F2C14E")  # the band keeps the brand's own colour
    assert theme.on_primary == (0, 0, 0)
    assert contrast_ratio(theme.accent, WHITE) >= TEXT_CONTRAST
    assert contrast_ratio(theme.graphic, WHITE) >= GRAPHIC_CONTRAST


def test_five_hundred_findings(tmp_path: Path) -> None:
    big = support.report(500)
    texts = page_texts(render_report(big))
    assert len(texts) > 60
    assert f"Page {len(texts)} of {len(texts)}" in texts[-1]
    assert big.findings[-1].check_id in " ".join(texts[-3:])
