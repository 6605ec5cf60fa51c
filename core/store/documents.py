"""Document ids and type names: the one place that spells them (DESIGN.md: `core/store/` owns
document ids, Cosmos SQL and the typed documents; nothing else spells them).

Relationship partition (`/relationshipId`): findings, scans, the scan lease, report records,
summary deliveries and audit entries. Org partition (`/orgId`): customers, the fleet-version
marker, members, invitations, consent states, usage records, webhook endpoints and deliveries,
API keys and audit entries. Tenant partition (`/tenantId`): people's principal documents.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

# Type names (the `type` field of each document).
FINDING = "finding"
SCAN = "scan"
REPORT = "report"
DELIVERY = "delivery"
AUDIT = "audit"
CUSTOMER = "customer"
FLEET_VERSION = "fleet_version"
MEMBER = "member"
INVITATION = "invitation"
CONSENT_STATE = "consent_state"
USAGE = "usage"
WEBHOOK_ENDPOINT = "webhook_endpoint"
WEBHOOK_DELIVERY = "webhook_delivery"
API_KEY = "api_key"
PRINCIPAL = "principal"
ORG = "org"
ADMIN_ROSTER = "adminRoster"
BILLING_PLAN = "billing_plan"
BRANDING = "branding"
SCAN_REQUEST = "scan_request"
SCAN_LEASE = "scan_lease"

# Singletons: one document of its kind per partition.
ORG_DOCUMENT_ID = "org"  # the org's own record (org partition)
ROSTER_ID = "roster:msp-admins"  # who the org's MSP admins are (org partition)
PLAN_ID = "billing:plan"  # the org's billing plan (org partition)
FLEET_BRANDING_ID = "branding:fleet"  # the org's default branding (org partition)
FLEET_VERSION_ID = "fleet-version"  # moves with every change to the org's customers (org partition)
PENDING_ID = "scan-request:pending"  # the manual scan asked for and not yet finished (relationship)
LEASE_ID = "scan-lease"  # who is scanning the tenant now (relationship partition)


def finding_id(check_id: str) -> str:
    return f"finding:{check_id}"


def scan_document_id(scan_id: str) -> str:
    return f"scan:{scan_id}"


def report_id(scan_id: str) -> str:
    return f"report:{scan_id}"


def delivery_id(period: str) -> str:
    """The summary delivery of one period (e.g. "2026-W48", "now-…")."""
    return f"delivery:{period}"


def audit_id(at: datetime) -> str:
    # Time first in the id, so ids sort like the log reads.
    return f"audit:{at:%Y%m%dT%H%M%S%f}:{uuid.uuid4().hex[:8]}"


def customer_document_id(customer_id: str) -> str:
    return f"customer:{customer_id}"


def member_id(home_tenant_id: str, object_id: str, tenant_id: str | None) -> str:
    """One person's role in one scope of an org: the whole org, or one customer tenant."""
    return f"member:{home_tenant_id}:{object_id}:{tenant_id or 'org'}"


def invitation_id(secret_hash: str) -> str:
    return f"invitation:{secret_hash}"


def consent_state_document_id(secret_hash: str) -> str:
    return f"consent:{secret_hash}"


def consent_secret_hash(document_id: str) -> str:
    """The secret's hash a consent state's id holds (the inverse of consent_state_document_id)."""
    return document_id.removeprefix("consent:")


def usage_id(customer_id: str, day: date) -> str:
    return f"usage:{customer_id}:{day.isoformat()}"


def webhook_endpoint_id(endpoint_id: str) -> str:
    return f"webhook:{endpoint_id}"


def webhook_delivery_id(event_id: str, endpoint_id: str, attempt: int) -> str:
    return f"webhook-delivery:{event_id}:{endpoint_id}:{attempt}"


def api_key_id(key_id: str) -> str:
    return f"apikey:{key_id}"


def principal_document_id(object_id: str) -> str:
    return f"principal:{object_id}"


def customer_branding_id(customer_id: str) -> str:
    """One customer's own branding (org partition)."""
    return f"branding:customer:{customer_id}"
