"""Hostile text: cleaning, wrapping and rendering strings no finding should contain, but might."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.reports import fonts
from core.reports.fonts import FontMissingError, report_font
from core.reports.model import ReportData
from core.reports.pdf import render_report
from tests.unit.reports import support
from tests.unit.reports.test_pdf_report import page_texts

LONG_WORD = "A" * 2500 + "/" + "b" * 2499
HOSTILE = (
    "Line one\nline two\r\nthree\ttabbed \x00\x07\x1b[31mred\x1b[0m \u200b\u202eevil\u202c "
    "🔥 emoji 👨\u200d👩\u200d👧 family ❤\ufe0f lone \ud800 surrogate \U0010ffff private \ue000 "
    "عربي עברית 中文 "
)


def test_clean_removes_controls_and_replaces_missing_glyphs() -> None:
    font = report_font()
    cleaned = font.clean(HOSTILE)
    assert "\n" not in cleaned and "\x00" not in cleaned and "\x1b" not in cleaned
    assert "\u202e" not in cleaned and "\u200b" not in cleaned
    assert "🔥" not in cleaned and "\ud800" not in cleaned
    assert "\ufffd" in cleaned
    assert "\ufffd\ufffd" not in cleaned  # one mark per run: the family emoji is one glyph
    assert all(ord(ch) in font.supported for ch in cleaned)
    assert font.clean(HOSTILE, multiline=True).count("\n") == 2


def test_clean_keeps_ordinary_unicode_and_composes_it() -> None:
    font = report_font()
    assert font.clean("Zürich Dental GmbH") == "Zürich Dental GmbH"
    assert font.clean("Zu\u0308rich") == "Zürich"  # decomposed input, composed output
    assert font.clean("Ελληνικά Λογιστικά") == "Ελληνικά Λογιστικά"


def test_clean_bounds_length() -> None:
    assert len(report_font().clean("x" * 10_000, limit=100)) == 101


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.floats(min_value=5, max_value=180))
def test_wrapped_lines_always_fit(text: str, width: float) -> None:
    font = report_font()
    cleaned = font.clean(text, multiline=True)
    lines = font.wrap(cleaned, "", 9, width)
    for line in lines:
        # A single glyph wider than the line is the one thing that cannot be made to fit.
        assert font.width(line, "", 9) <= width + 1e-6 or len(line) == 1
    assert "".join(lines).replace(" ", "") == "".join(cleaned.split())


def test_a_long_word_breaks_at_a_punctuation_mark_near_the_end() -> None:
    font = report_font()
    lines = font.wrap("https://contoso.example/" + "segment/" * 30, "", 9, 60)
    assert len(lines) > 1
    assert all(line.endswith("/") for line in lines[:-1])


def test_fit_shortens_with_an_ellipsis() -> None:
    font = report_font()
    assert font.fit("short", "", 9, 100) == "short"
    fitted = font.fit("x" * 500, "B", 9, 40)
    assert fitted.endswith("…") and font.width(fitted, "B", 9) <= 40


def test_missing_font_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setattr(fonts, "FONT_DIRS", (fonts.Path("/nonexistent/fonts"),))
    with pytest.raises(FontMissingError, match="fonts-dejavu-core") as error:
        fonts._font_path("DejaVuSans.ttf")
    assert "/nonexistent/fonts" in str(error.value)


def hostile_report() -> ReportData:
    data = support.report(12)
    first = data.findings[0]
    nasty = replace(
        first,
        check_id="ID-" + LONG_WORD[:300],
        title=LONG_WORD,
        category=HOSTILE,
        severity="catastrophic\nǆ🔥",
        priority="P0\x00",
        status="exploded",
        summary=HOSTILE * 3 + LONG_WORD,
        remediation="\n".join([HOSTILE, LONG_WORD, "", "  7) step seven", "- bullet"]),
        evidence=[
            LONG_WORD,
            HOSTILE,
            {"key\nwith newline": HOSTILE, "nested": {"a": [1, 2, {"b": LONG_WORD}]}, "none": None, 3: True},
            ["list", "of", 3, None],
            12345,
        ],
        evidence_count=10_000,
        accepted=True,
        acceptance_justification=LONG_WORD + HOSTILE,
    )
    return replace(
        data,
        customer_name=HOSTILE + LONG_WORD,
        primary_domain=LONG_WORD,
        findings=[nasty, *data.findings[1:]],
        top_priorities=[nasty, *data.top_priorities[1:]],
        failing_by_category={HOSTILE: 3, LONG_WORD: 2, "": -4},
        failing_by_severity={"catastrophic 🔥": 1, "high": 2, "ǆ\x00": 1},
        counts_by_status={"fail": 5, "exploded_💥": 1},
        score=float("nan"),
        score_change=float("inf"),
        trend=[(data.generated_at, float("nan")), (data.generated_at, 150.0), (data.generated_at, -3.0)],
        brand=replace(data.brand, msp_name="MSP\nwith 🔥 " + LONG_WORD),
    )


def test_hostile_strings_render(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        pdf = render_report(hostile_report())
    texts = page_texts(pdf)
    assert len(texts) > 3
    everything = " ".join(texts)
    assert "🔥" not in everything
    assert "\ufffd" in everything
    assert "… and 9995 more" in everything
    assert "missing the following glyphs" not in caplog.text  # every glyph was replaced before fpdf2 saw it
