"""Colour arithmetic for branded reports: parsing "#RRGGBB" and keeping text readable on brand
colours (WCAG 2.x contrast)."""

from __future__ import annotations

import re

RGB = tuple[int, int, int]

BLACK: RGB = (0, 0, 0)
WHITE: RGB = (255, 255, 255)

# WCAG 2.x success criterion 1.4.3 (normal text) and 1.4.11 (graphical objects).
TEXT_CONTRAST = 4.5
GRAPHIC_CONTRAST = 3.0

_HEX = re.compile(r"#([0-9a-fA-F]{6})")


def parse_hex(colour: str) -> RGB:
    """'#1A2B3C' -> (26, 43, 60). Only the full six-digit form is accepted, as branding stores it."""
    match = _HEX.fullmatch(colour) if isinstance(colour, str) else None
    if match is None:
        raise ValueError(f"not a colour of the form #RRGGBB: {colour!r}")
    digits = match.group(1)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def to_hex(colour: RGB) -> str:
    return "#{:02X}{:02X}{:02X}".format(*colour)


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: RGB) -> float:
    r, g, b = colour
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast_ratio(a: RGB, b: RGB) -> float:
    """WCAG 2.x contrast ratio, from 1.0 (same colour) to 21.0 (black on white)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    lighter, darker = max(la, lb), min(la, lb)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour_on(background: RGB) -> RGB:
    """Black or white, whichever contrasts more with the background. For any sRGB colour the
    better of the two reaches at least 4.58:1, so this always meets WCAG AA for normal text."""
    if contrast_ratio(BLACK, background) >= contrast_ratio(WHITE, background):
        return BLACK
    return WHITE


def mix(colour: RGB, other: RGB, amount: float) -> RGB:
    """`amount` of `other` blended into `colour` (0 keeps colour, 1 gives other)."""
    r, g, b = (round(c + (o - c) * amount) for c, o in zip(colour, other, strict=True))
    return r, g, b


def ensure_contrast(colour: RGB, background: RGB, minimum: float) -> RGB:
    """The colour itself if it already contrasts enough with the background, otherwise the least
    darkened (or lightened) shade of it that does. Brand colours are often pale (a yellow primary
    on a white page), and headings and chart lines in them must still be readable."""
    if contrast_ratio(colour, background) >= minimum:
        return colour
    target = BLACK if text_colour_on(background) == BLACK else WHITE
    for step in range(1, 21):
        shade = mix(colour, target, step / 20)
        if contrast_ratio(shade, background) >= minimum:
            return shade
    return target
