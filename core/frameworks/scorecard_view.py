"""Scorecards and the fleet matrix as the API, the CSV exports, the MCP tools and the portal read
them: one shaping each, so the page, the file and the assistant cannot disagree."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.compliance import FleetMatrix, MatrixRow
from core.exports import spreadsheet_safe
from core.frameworks.profiles import PROFILES, Profile
from core.frameworks.scorecard import ControlLine, Scorecard, SectionLine, scorecard
from core.lazy import lazy_module
from core.store import RelationshipRepository

if TYPE_CHECKING:
    from core.checks import catalogue
else:
    catalogue = lazy_module("core.checks.catalogue")  # every check module, at the first title shown

# Why a control could not be assessed, in words (the API carries the key beside these).
WHY_WORDS = {
    "licence": "the tenant's licences do not include it",
    "permission": "ScanPosture lacks a permission or role to read it",
    "source_error": "the service could not be read",
    "not_scanned": "not scanned yet",
    "manual": "needs a person to judge it",
}
STATE_WORDS = {
    "met": "Met",
    "not_met": "Not met",
    "partly_assessed": "Partly assessed",
    "not_assessable": "Not assessable",
    "not_automated": "Not automated",
}


async def tenant_scorecard(tenant: RelationshipRepository, profile: Profile, now: datetime) -> Scorecard:
    """One tenant's scorecard for one profile: one read of its findings."""
    return scorecard(profile, await tenant.findings(), now)


def profiles_body() -> list[dict[str, str]]:
    return [{"key": p.key, "framework": p.framework, "name": p.name} for p in PROFILES]


def _section(line: SectionLine) -> dict[str, Any]:
    return {
        "section": line.section,
        "share": line.share,
        "met": line.met,
        "assessed": line.assessed,
        "counts": line.counts,
    }


def _control(line: ControlLine) -> dict[str, Any]:
    c = line.control
    return {
        "id": c.id,
        "title": c.title,
        "section": c.section,
        "level": c.level,
        "licence": c.licence,
        "criticality": c.criticality,
        "coverage": line.mapped.coverage if line.mapped else None,
        "note": line.mapped.note if line.mapped else None,
        "state": line.state,
        "why": line.why,
        "checks": [
            {
                "checkId": k.check_id,
                "title": catalogue.get_check(k.check_id).metadata.title,
                "status": k.status,
                "accepted": k.accepted,
                "why": k.why,
                "reason": k.reason,
            }
            for k in line.checks
        ],
    }


def scorecard_body(card: Scorecard) -> dict[str, Any]:
    counts = card.counts
    return {
        "profile": card.profile.key,
        "name": card.profile.name,
        "framework": card.profile.framework,
        "title": card.title,
        "version": card.version,
        "share": card.share,
        "met": counts["met"],
        "assessed": counts["met"] + counts["not_met"],
        "counts": counts,
        "sections": [_section(s) for s in card.sections],
        "controls": [_control(c) for c in card.controls],
        "profiles": profiles_body(),
    }


SCORECARD_COLUMNS = (
    "control",
    "title",
    "section",
    "level",
    "licence",
    "criticality",
    "state",
    "why",
    "checks",
)


def _csv(columns: tuple[str, ...], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([spreadsheet_safe("" if v is None else str(v)) for v in row])
    return out.getvalue()


def scorecard_csv(card: Scorecard) -> str:
    """One row per control, every control of the profile (not automated ones too)."""
    rows = [
        [
            line.control.id,
            line.control.title,
            line.control.section,
            line.control.level,
            line.control.licence,
            line.control.criticality,
            STATE_WORDS[line.state],
            "; ".join(WHY_WORDS[w] for w in line.why),
            "; ".join(f"{k.check_id} ({k.status})" for k in line.checks),
        ]
        for line in card.controls
    ]
    return _csv(SCORECARD_COLUMNS, rows)


def _row(row: MatrixRow) -> dict[str, Any]:
    c = row.customer
    return {
        "customerId": c.customer_id,
        "tenantId": c.tenant_id,
        "displayName": c.display_name,
        "share": row.share,
        "met": row.met,
        "assessed": row.assessed,
        "sections": row.shares,  # in the order of `sections`
        "lastScanAt": c.summary.last_scan_at,
    }


def matrix_body(matrix: FleetMatrix) -> dict[str, Any]:
    return {
        "profile": matrix.profile.key,
        "name": matrix.profile.name,
        "framework": matrix.profile.framework,
        "sections": list(matrix.sections),
        "total": len(matrix.rows),
        "customers": matrix.customers,
        "rows": [_row(r) for r in matrix.rows],
        "tags": matrix.tags,
        "profiles": profiles_body(),
    }


def matrix_csv(matrix: FleetMatrix) -> str:
    columns = ("customer", "tenant", "share met", *matrix.sections)
    rows = [
        [
            r.customer.display_name,
            r.customer.tenant_id,
            r.share,
            *r.shares,
        ]
        for r in matrix.rows
    ]
    return _csv(columns, rows)
