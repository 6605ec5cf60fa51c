"""Findings exports (CSV and JSON), per tenant and fleet-wide, with framework ids and acceptance
state. Cells are neutralised against spreadsheet formula injection: evidence is tenant data."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from core.customers import Customer, list_customers
from core.frameworks.mappings import FRAMEWORK_KEYS, ids_text
from core.ports import Store
from core.posture import effective
from core.scan.findings import Finding
from core.scan.scoring import format_score
from core.store import OrgRepository
from core.store.model import timestamp_text
from core.store.partitions import FindingQuery

COLUMNS = (
    "customer",
    "tenantId",
    "postureScore",
    "checkId",
    "title",
    "category",
    "severity",
    "priority",
    "status",
    "state",
    "change",
    "evidenceCount",
    "firstSeenAt",
    "lastSeenAt",
    "resolvedAt",
    "cis",
    "scuba",
    "accepted",
    "acceptanceExpiresAt",
    "acceptanceJustification",
    "summary",
)


def finding_rows(
    customer: Customer, findings: list[Finding], now: datetime, *, in_order: bool = False
) -> list[dict[str, Any]]:
    """One row per finding, most severe first; `in_order` keeps the order given (the findings
    page's, so an export of the filters on screen lists them as the screen does)."""
    rows = []
    # The customer's posture score as shown everywhere (acceptances applied, one decimal), so a
    # spreadsheet of several customers can be sorted by it; never Microsoft's Secure Score.
    posture_score = effective(customer.summary, now).score
    ordered = findings if in_order else sorted(findings, key=lambda f: (f.severity_rank, f.check_id))
    for f in ordered:
        active = f.accepted_on(now)
        acceptance = f.acceptance if active else None
        rows.append(
            {
                "customer": customer.display_name,
                "tenantId": customer.tenant_id,
                "postureScore": posture_score,
                "checkId": f.check_id,
                "title": f.title,
                "category": f.category,
                "severity": f.severity,
                "priority": f.priority,
                "status": f.status,
                "state": f.state,
                "change": f.change,
                "evidenceCount": f.evidence_count,
                "firstSeenAt": timestamp_text(f.first_seen_at),
                "lastSeenAt": timestamp_text(f.last_seen_at),
                "resolvedAt": timestamp_text(f.resolved_at),
                "cis": f.frameworks.get("cis"),
                "scuba": f.frameworks.get("scuba"),
                "accepted": active,
                "acceptanceExpiresAt": timestamp_text(acceptance.expires_at) if acceptance else None,
                "acceptanceJustification": acceptance.justification if acceptance else None,
                "summary": f.summary,
            }
        )
    return rows


async def tenant_rows(
    store: Store, customer: Customer, now: datetime, query: FindingQuery | None = None
) -> list[dict[str, Any]]:
    """The customer's findings as rows; with `query`, only those it selects (the portal exports
    what its filters show)."""
    if not customer.grants_access(now.date()):
        return []
    tenant = store.relationship(customer.relationship_id)
    if query is None:
        return finding_rows(customer, await tenant.findings(), now)
    return finding_rows(customer, await tenant.findings_matching(query), now, in_order=True)


async def fleet_rows(store: Store, org: OrgRepository, now: datetime) -> list[dict[str, Any]]:
    """Every customer's findings: one partition-scoped query per tenant, never a cross-partition one."""
    rows: list[dict[str, Any]] = []
    for customer in await list_customers(org):
        rows.extend(await tenant_rows(store, customer, now))
    return rows


def spreadsheet_safe(value: Any) -> Any:
    """A cell a spreadsheet will show as text: a leading formula character gets a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _cell(column: str, value: Any) -> Any:
    """A framework column holds one control id, a list of them, or None; a cell holds text, and a
    score one decimal as the portal, the PDF and the mail show it."""
    if column == "postureScore":
        return format_score(value) if value is not None else ""
    return ids_text(value, "; ") if column in FRAMEWORK_KEYS else value


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: spreadsheet_safe(_cell(k, v)) for k, v in row.items()})
    return out.getvalue()
