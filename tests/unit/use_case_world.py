"""The small world the use-case unit tests share: one org, one tenant, a few checks, and the
in-memory services of tests/unit/fakes.py."""

from __future__ import annotations

from datetime import UTC, datetime

from core.audit import Actor
from core.auth.principals import Grant, Membership, Principal
from core.auth.roles import Role
from core.checks.catalogue import CATALOGUE
from core.checks.model import Outcome, Status, TenantSnapshot
from core.customers import Customer, get_customer, register_customer
from core.scan.assess import Assessment
from core.scan.findings import CheckResult
from core.scan.requests import ScanRequest
from core.scan.service import scan_tenant
from tests.unit.fakes import FakeServices

ORG = "org-fake"
TENANT = "11111111-2222-3333-4444-555555555555"
CHECKS = [c.metadata for c in CATALOGUE[:4]]
STATUSES = (Status.PASS, Status.FAIL, Status.FAIL, Status.PASS)
FAILING = CHECKS[1].id
PASSING = CHECKS[0].id
ACTOR = Actor(kind="user", tenant_id="msp-tenant", object_id="u-1", name="Ada", email="ada@msp.test")


async def new_customer(services: FakeServices, *, recipients: list[str] | None = None) -> Customer:
    return await register_customer(
        services.store.org(ORG),
        tenant_id=TENANT,
        display_name="Contoso Fake",
        primary_domain="contoso.test",
        report_recipients=recipients,
        report_cadence="weekly",
        connected=True,
    )


def assessment(tenant_id: str = TENANT, statuses: tuple[Status, ...] = STATUSES) -> Assessment:
    """What a tenant's scan found: the first checks of the catalogue with these statuses."""
    snapshot = TenantSnapshot(tenant_id, datetime.now(UTC), data={})
    results = [
        CheckResult(meta, Outcome(status, f"{status.value}: {meta.id}"))
        for meta, status in zip(CHECKS, statuses, strict=True)
    ]
    return Assessment(snapshot, results)


async def scanned(services: FakeServices, *, recipients: list[str] | None = None) -> Customer:
    """A customer scanned through the real scan use case; only the tenant is stood in for."""
    customer = await new_customer(services, recipients=recipients)
    services.tenants.add(TENANT, assessment=assessment())
    request = ScanRequest(
        org_id=ORG, tenant_id=TENANT, customer_id=customer.customer_id, request_id="s-1", reason="schedule"
    )
    outcome = await scan_tenant(services, request)
    assert outcome.status == "completed", outcome
    found, _ = await get_customer(services.store.org(ORG), TENANT)
    return found


def grant(customer: Customer) -> Grant:
    principal = Principal("msp-tenant", "u-1", "Ada", "ada@msp.test", (Membership(ORG, Role.MSP_ADMIN),))
    return Grant(principal, ORG, Role.MSP_ADMIN, TENANT, customer.relationship_id)
