"""The portal's severity chips and the PDF's severity pills are one colour scheme: the stylesheet
declares core/reports/severity.py's table as custom properties, and the chip rules use them."""

from __future__ import annotations

import re
from pathlib import Path

from core.reports.colour import contrast_ratio, parse_hex
from core.reports.layout import SEVERITY_COLOURS
from core.reports.severity import SEVERITY_HEX, css_properties

CSS = Path(__file__).resolve().parents[2] / "portal" / "css" / "app.css"
_PROPERTY = re.compile(r"(--sev-[a-z-]+)\s*:\s*(#[0-9A-Fa-f]{6})\s*;")


def _declared() -> dict[str, str]:
    return {name: value.upper() for name, value in _PROPERTY.findall(CSS.read_text(encoding="utf-8"))}


def test_the_stylesheet_declares_the_pdf_table() -> None:
    assert _declared() == css_properties()


def test_the_pdf_draws_its_pills_from_the_same_table() -> None:
    assert {k: parse_hex(v) for k, v in SEVERITY_HEX.items()} == SEVERITY_COLOURS


def test_every_chip_rule_reads_its_properties_and_nothing_else_colours_a_chip() -> None:
    css = CSS.read_text(encoding="utf-8")
    for severity in SEVERITY_HEX:
        rules = re.findall(rf"\.sev-{severity}\s*\{{([^}}]*)\}}", css)
        assert len(rules) == 1, f"one rule colours .sev-{severity}"
        assert f"background: var(--sev-{severity})" in rules[0]
        assert f"color: var(--sev-{severity}-ink)" in rules[0]


def test_chip_text_is_readable_on_every_severity() -> None:
    props = css_properties()
    for severity in SEVERITY_HEX:
        ink, chip = parse_hex(props[f"--sev-{severity}-ink"]), parse_hex(props[f"--sev-{severity}"])
        assert contrast_ratio(ink, chip) >= 4.5, severity
