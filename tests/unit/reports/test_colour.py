"""WCAG contrast arithmetic and colour parsing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.reports.colour import (
    BLACK,
    GRAPHIC_CONTRAST,
    TEXT_CONTRAST,
    WHITE,
    contrast_ratio,
    ensure_contrast,
    parse_hex,
    text_colour_on,
    to_hex,
)

channel = st.integers(min_value=0, max_value=255)
rgb = st.tuples(channel, channel, channel)


def test_parse_hex_reads_six_digit_colours() -> None:
    assert parse_hex("#1A2B3C") == (26, 43, 60)
    assert parse_hex("#0b6e4f") == (11, 110, 79)
    assert parse_hex("#FFFFFF") == WHITE


@pytest.mark.parametrize(
    "value",
    ["", "1A2B3C", "#1A2B3", "#1A2B3C4", "#GGGGGG", " #1A2B3C", "#1A2B3C\n", "#abc", "red", None, 123],
)
def test_parse_hex_rejects_anything_else_naming_the_value(value: object) -> None:
    with pytest.raises(ValueError, match="#RRGGBB") as error:
        parse_hex(value)  # type: ignore[arg-type]
    assert repr(value) in str(error.value)


@given(rgb)
def test_hex_round_trip(colour: tuple[int, int, int]) -> None:
    assert parse_hex(to_hex(colour)) == colour


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert contrast_ratio(BLACK, WHITE) == pytest.approx(21.0)
    assert contrast_ratio(WHITE, BLACK) == pytest.approx(21.0)
    assert contrast_ratio((119, 119, 119), WHITE) == pytest.approx(4.48, abs=0.01)  # the classic #777
    assert contrast_ratio((11, 110, 79), (11, 110, 79)) == 1.0


@given(rgb)
def test_text_colour_on_any_background_reaches_aa(background: tuple[int, int, int]) -> None:
    text = text_colour_on(background)
    assert text in (BLACK, WHITE)
    assert contrast_ratio(text, background) >= TEXT_CONTRAST
    other = WHITE if text == BLACK else BLACK
    assert contrast_ratio(text, background) >= contrast_ratio(other, background)


def test_text_colour_on_brand_examples() -> None:
    assert text_colour_on(parse_hex("#0B6E4F")) == WHITE
    assert text_colour_on(parse_hex("#F2C14E")) == BLACK
    assert text_colour_on(parse_hex("#1F3A5F")) == WHITE


@given(rgb, st.sampled_from([TEXT_CONTRAST, GRAPHIC_CONTRAST]))
def test_ensure_contrast_on_white_always_reaches_the_minimum(
    colour: tuple[int, int, int], minimum: float
) -> None:
    shade = ensure_contrast(colour, WHITE, minimum)
    assert contrast_ratio(shade, WHITE) >= minimum
    if contrast_ratio(colour, WHITE) >= minimum:
        assert shade == colour
