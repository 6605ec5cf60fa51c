"""Fleet compliance: the org's customers by a scorecard profile's sections, each cell the share of
controls met of those assessed, from one read of the org (the per-section counts each scan stored
on the customer's summary, core.frameworks.scorecard.shares_of) — never one read per customer.

"Customers below 80% of CIS E3 Level 1" is `MatrixFilter(below=80)` on profile cis-e3-l1: a
customer without an assessed control has no share and is never "below" anything (it is listed,
last, so nobody reads its absence as compliance).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from core.customers import Customer, list_customers
from core.fleet import tags_in_use
from core.frameworks.mappings import mapping
from core.frameworks.profiles import Profile, profile
from core.frameworks.scorecard import section_key, share, unpack_shares
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
    met: int
    assessed: int
    shares: tuple[float | None, ...]  # per section of the profile, in its order; None: none assessed

    @property
    def share(self) -> float | None:
        return share(self.met, self.assessed)

    @classmethod
    def of(cls, customer: Customer, packed: str, keys: tuple[str, ...]) -> MatrixRow:
        """Unpacked, summed and divided once per fleet version (see _rows): a 1,000-customer
        matrix is sorted, filtered and written from these (bench/api.py)."""
        cells = unpack_shares(packed)
        met = sum(c[0] for c in cells.values())
        assessed = sum(c[1] for c in cells.values())
        shares = tuple(share(*cells[k]) if k in cells else None for k in keys)
        return cls(customer, met, assessed, shares)


@dataclass(frozen=True)
class FleetMatrix:
    profile: Profile
    sections: tuple[str, ...]  # the profile's sections, in control order
    rows: list[MatrixRow]  # those the filter keeps, sorted
    customers: int  # every customer of the org, whatever the filter
    tags: list[str]  # every tag in use in the org, for the filter (as the fleet view lists them)


@cache
def profile_columns(profile: Profile) -> tuple[tuple[str, str], ...]:
    """A profile's sections in control order (the matrix's columns): (key, title) each."""
    listed = profile.controls(mapping(profile.framework).listed)
    return tuple(dict.fromkeys((section_key(c), c.section) for c in listed))


def profile_sections(profile: Profile) -> tuple[str, ...]:
    return tuple(title for _, title in profile_columns(profile))


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


def _sorted(rows: list[MatrixRow], wanted: MatrixFilter, sections: tuple[str, ...]) -> list[MatrixRow]:
    if wanted.sort == "name":
        return sorted(rows, key=lambda r: r.customer.display_name.lower(), reverse=wanted.descending)
    column = None if wanted.sort == "share" else sections.index(wanted.sort)
    keyed = [(r.share if column is None else r.shares[column], r) for r in rows]
    present = [(v, r) for v, r in keyed if v is not None]
    absent = [r for v, r in keyed if v is None]  # no share: last, whichever the direction
    present.sort(key=lambda vr: (vr[0], vr[1].customer.display_name.lower()), reverse=wanted.descending)
    return [r for _, r in present] + absent


async def fleet_matrix(
    org: OrgRepository, profile: Profile, wanted: MatrixFilter, now: datetime
) -> FleetMatrix:
    sections = profile_sections(profile)
    if wanted.sort not in MATRIX_SORTS and wanted.sort not in sections:
        raise BadSort(f"sort: one of {', '.join(MATRIX_SORTS)} or a section of {profile.key}")
    customers = await list_customers(org)  # the cached list the fleet view reads
    rows, tags = _rows(org, customers, profile, now.date())
    kept = [r for r in rows if _keeps(r, wanted)]
    return FleetMatrix(profile, sections, _sorted(kept, wanted, sections), len(customers), tags)


# The rows of a profile, per org, for as long as list_customers hands out the same list (it does
# until the fleet changes) and the day is the same (a cancellation ends access at a day's end).
# Summing and dividing 1,000 customers' sections was most of a request (bench/api.py).
Rows = tuple[list[MatrixRow], list[str]]
_ROWS: OrderedDict[tuple[int, str, str], tuple[list[Customer], date, Rows]] = OrderedDict()
_ROWS_KEPT = 64


def _rows(org: OrgRepository, customers: list[Customer], profile: Profile, today: date) -> Rows:
    key = (id(org.container), org.org_id, profile.key)
    cached = _ROWS.get(key)
    if cached is not None and cached[0] is customers and cached[1] == today:
        _ROWS.move_to_end(key)
        return cached[2]
    keys = tuple(key for key, _ in profile_columns(profile))
    rows = [
        # A relationship that opens no tenant data (pending, cancelled) shows no posture.
        MatrixRow.of(c, c.summary.compliance.get(profile.key, "") if c.grants_access(today) else "", keys)
        for c in customers
    ]
    _ROWS[key] = (customers, today, (rows, tags_in_use(customers)))
    while len(_ROWS) > _ROWS_KEPT:
        _ROWS.popitem(last=False)
    return _ROWS[key][2]


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
