"""The portal's copy of the check categories stays the catalogue's."""

import re
from pathlib import Path

from core.checks.model import CATEGORIES

FINDINGS_PAGE = Path(__file__).resolve().parents[2] / "portal/js/pages/findings.js"


def test_the_portal_offers_exactly_the_catalogue_categories() -> None:
    block = re.search(
        r"const CATEGORIES = \[\[\"\", \"Any\"\], \.\.\.\[(.*?)\]\.map", FINDINGS_PAGE.read_text(), re.S
    )
    assert block is not None
    assert tuple(re.findall(r'"([^"]+)"', block.group(1))) == CATEGORIES
