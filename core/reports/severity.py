"""Severity colours, the one table: the PDF's pills are drawn in them, and the portal's chips use
the same values as CSS custom properties (portal/css/app.css, the "Triage: severity chips" block;
tests/unit/test_severity_colours.py fails when the two differ). Text on a chip is black or white,
whichever reads better on its colour, in both."""

from __future__ import annotations

from core.reports.colour import RGB, parse_hex, text_colour_on, to_hex

SEVERITY_HEX: dict[str, str] = {
    "critical": "#9B1C1C",
    "high": "#D9480F",
    "medium": "#E8A33D",
    "low": "#4C7A9F",
}


def severity_rgb() -> dict[str, RGB]:
    return {severity: parse_hex(colour) for severity, colour in SEVERITY_HEX.items()}


def chip_ink(severity: str) -> str:
    """The text colour on a severity's chip, "#000000" or "#FFFFFF"."""
    return to_hex(text_colour_on(parse_hex(SEVERITY_HEX[severity])))


def css_properties() -> dict[str, str]:
    """The custom properties the portal's stylesheet must declare, name -> value."""
    props: dict[str, str] = {}
    for severity, colour in SEVERITY_HEX.items():
        props[f"--sev-{severity}"] = colour
        props[f"--sev-{severity}-ink"] = chip_ink(severity)
    return props
