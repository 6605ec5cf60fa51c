"""Fleet compliance: the org's customers by a scorecard profile's sections, each cell the share of
controls met of those assessed, from one read of the org (the per-section counts each scan stored
on the customer's summary, core.frameworks.scorecard.shares_of) — never one read per customer.

"Customers below 80% of CIS E3 Level 1" is `MatrixFilter(below=80)` on profile cis-e3-l1: a
customer without an assessed control has no share and is never "below" anything (it is listed,
last, so nobody reads its absence as compliance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from core.customers import Customer, list_customers
from core.frameworks.mappings import mapping
from core.frameworks.profiles import Profile, profile
from core.frameworks.scorecard import share
from core.store import OrgRepository

MATRIX_SORTS = ("name", "share")  # or a section of the profile, by its share


class BadSort(ValueError):
    """A sort that names neither a column nor a section of the profile."""


@dataclass(frozen=True)
class MatrixFilter:
    below: float | None = None  # only customers whose overall share is below this percent
    name: str | None = None  # case-insensitive substring of the display name or primary domain
    tag: str | None = None
    sort: str = "name"  # "name", "share" or a section of the profile
    descending: bool = False


@dataclass(frozen=True)
class MatrixRow:
    customer: Customer
    cells: dict[str, list[int]]  # section -> [met, assessed]; sections with nothing assessed absent

    @property
    def met(self) -> int:
        return sum(c[0] for c in self.cells.values())

    @property
    def assessed(self) -> int:
        return sum(c[1] for c in self.cells.values())

    @property
    def share(self) -> float | None:
        return share(self.met, self.assessed)

    def section_share(self, section: str) -> float | None:
        cell = self.cells.get(section)
        return share(cell[0], cell[1]) if cell else None


@dataclass(frozen=True)
class FleetMatrix:
    profile: Profile
    sections: tuple[str, ...]  # the profile's sections, in control order
    rows: list[MatrixRow]  # those the filter keeps, sorted
    customers: int  # every customer of the org, whatever the filter


@cache
def profile_sections(profile: Profile) -> tuple[str, ...]:
    """A profile's sections in control order (the matrix's columns)."""
    listed = profile.controls(mapping(profile.framework).listed)
    return tuple(dict.fromkeys(c.section for c in listed))


def _keeps(row: MatrixRow, wanted: MatrixFilter) -> bool:
    c = row.customer
    if wanted.name and wanted.name.lower() not in f"{c.display_name} {c.primary_domain}".lower():
        return False
    if wanted.tag and wanted.tag.lower() not in {t.lower() for t in c.tags}:
        return False
    if wanted.below is not None:
        value = row.share
        return value is not None and value < wanted.below
    return True


def _sorted(rows: list[MatrixRow], wanted: MatrixFilter) -> list[MatrixRow]:
    if wanted.sort == "name":
        return sorted(rows, key=lambda r: r.customer.display_name.lower(), reverse=wanted.descending)
    value = (lambda r: r.share) if wanted.sort == "share" else (lambda r: r.section_share(wanted.sort))
    present = [r for r in rows if value(r) is not None]
    absent = [r for r in rows if value(r) is None]  # no share: last, whichever the direction
    present.sort(key=lambda r: (value(r), r.customer.display_name.lower()), reverse=wanted.descending)
    return present + absent


async def fleet_matrix(
    org: OrgRepository, profile: Profile, wanted: MatrixFilter, now: datetime
) -> FleetMatrix:
    sections = profile_sections(profile)
    if wanted.sort not in MATRIX_SORTS and wanted.sort not in sections:
        raise BadSort(f"sort: one of {', '.join(MATRIX_SORTS)} or a section of {profile.key}")
    customers = await list_customers(org)  # the cached list the fleet view reads
    today = now.date()
    rows = [
        # A relationship that opens no tenant data (pending, cancelled) shows no posture.
        MatrixRow(c, c.summary.compliance.get(profile.key, {}) if c.grants_access(today) else {})
        for c in customers
    ]
    kept = [r for r in rows if _keeps(r, wanted)]
    return FleetMatrix(profile, sections, _sorted(kept, wanted), len(customers))


# "customers below 80% of CIS Level 1", "under 70 scuba", "less than 90 percent of CIS E5 L2".
_BELOW = re.compile(r"\b(?:below|under|less than|lower than)\s+(\d{1,3}(?:\.\d+)?)\s*(?:%|percent\b)?", re.I)
_LEVEL_2 = re.compile(r"\b(?:level\s*2|l2)\b", re.I)


@dataclass(frozen=True)
class ComplianceQuestion:
    profile: Profile
    below: float


def compliance_question(text: str) -> ComplianceQuestion | None:
    """A search that asks which customers fall below a share of a framework profile; None for any
    other question (it is then a search for checks). CIS means E3 Level 1 unless the words say
    Level 2 or E5; SCuBA means its baseline (SHALL) unless they say all or SHOULD."""
    below = _BELOW.search(text)
    lowered = text.lower()
    if below is None or float(below.group(1)) > 100:
        return None
    if "scuba" in lowered or "cisa" in lowered:
        key = "scuba-all" if re.search(r"\b(all|should)\b", lowered) else "scuba-shall"
    elif re.search(r"\bcis\b", lowered):
        licence = "e5" if re.search(r"\be5\b", lowered) else "e3"
        key = f"cis-{licence}-{'l2' if _LEVEL_2.search(text) else 'l1'}"
    else:
        return None
    return ComplianceQuestion(profile(key), float(below.group(1)))
