"""Which partitions and org documents a customer principal's request may reach
(core/auth/database_scope.py, core/store/narrow_org.py, core/store/scope.py), decided without the
stack: the real repositories over the in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.auth.database_scope import customer_reach, database_scope, is_customer_principal
from core.auth.principals import Membership, Principal
from core.auth.roles import Role
from core.customers import register_customer
from core.store import AccessDenied, InvalidId
from core.store import documents as docs
from core.store.narrow_org import OrgView
from core.store.resource_tokens import Mode, user_id
from core.store.scope import RelationshipScope
from tests.unit.fakes import FakeServices, fake_services

ORG = "org-scope"
X, Y = "11111111-0000-0000-0000-00000000000x", "22222222-0000-0000-0000-00000000000y"
TODAY = datetime.now(UTC).date()


def person(*memberships: Membership, key: str | None = None) -> Principal:
    return Principal("home", "oid", "Pat", "pat@example.test", memberships, api_key_id=key)


@pytest.fixture
async def services() -> FakeServices:
    built = fake_services()
    for tenant, connected in ((X, True), (Y, False)):
        await register_customer(
            built.store.org(ORG),
            tenant_id=tenant,
            display_name=tenant,
            primary_domain="d.test",
            connected=connected,
        )
    return built


def test_only_principals_with_customer_roles_alone_are_customer_principals() -> None:
    viewer = Membership(ORG, Role.CUSTOMER_VIEWER, X)
    assert is_customer_principal(person(viewer))
    assert is_customer_principal(person(viewer, key="k-1"))  # a key with a customer role would be one too
    assert not is_customer_principal(person(Membership(ORG, Role.MSP_ANALYST)))
    assert not is_customer_principal(person(viewer, Membership("other", Role.MSP_ADMIN)))
    assert not is_customer_principal(person())


async def test_a_viewer_reads_and_an_admin_writes_only_connected_relationships(
    services: FakeServices,
) -> None:
    reach = await customer_reach(
        services.store,
        person(Membership(ORG, Role.CUSTOMER_VIEWER, X), Membership(ORG, Role.CUSTOMER_ADMIN, Y)),
        TODAY,
    )
    x = (await services.store.relationships_of(X))[0]
    y = (await services.store.relationships_of(Y))[0]
    assert reach.relationships == {x.relationship_id: Mode.READ}  # Y is pending: no partition opens
    view = reach.views()[ORG]
    assert view.tenant_ids == {X, Y} and view.customer_ids == {x.customer_id, y.customer_id}
    admin = await customer_reach(services.store, person(Membership(ORG, Role.CUSTOMER_ADMIN, X)), TODAY)
    assert admin.relationships == {x.relationship_id: Mode.ALL}


async def test_a_cancelled_relationship_opens_nothing_after_its_day(services: FakeServices) -> None:
    org = services.store.org(ORG)
    stored = (await org.customers_of_tenant(X))[0]
    await org.replace({**stored.body, "cancelledOn": (TODAY - timedelta(days=1)).isoformat()}, stored.etag)
    reach = await customer_reach(services.store, person(Membership(ORG, Role.CUSTOMER_VIEWER, X)), TODAY)
    assert reach.relationships == {}


async def test_msp_principals_and_a_store_without_a_broker_keep_the_app_identity(
    services: FakeServices,
) -> None:
    assert await database_scope(services.store, person(Membership(ORG, Role.MSP_ADMIN)), TODAY) is None
    # The in-memory store has no broker (CUSTOMER_RESOURCE_TOKENS off): no scope either.
    assert (
        await database_scope(services.store, person(Membership(ORG, Role.CUSTOMER_VIEWER, X)), TODAY) is None
    )


def test_the_org_view_admits_only_the_customers_own_documents() -> None:
    view = OrgView(frozenset({X}), frozenset({"cx"}))
    allowed: list[dict[str, Any]] = [
        {"id": "customer:cx", "type": docs.CUSTOMER, "tenantId": X},
        {"id": "member:h:o:x", "type": docs.MEMBER, "tenantId": X},
        {"id": "invitation:h", "type": docs.INVITATION, "tenantId": X},
        {"id": "audit:1", "type": docs.AUDIT, "auditTenantId": X},
        {"id": docs.FLEET_BRANDING_ID, "type": docs.BRANDING},
        {"id": docs.customer_branding_id("cx"), "type": docs.BRANDING},
        {"id": docs.ORG_DOCUMENT_ID, "type": docs.ORG},
    ]
    refused: list[dict[str, Any]] = [
        {"id": "customer:cy", "type": docs.CUSTOMER, "tenantId": Y},
        {"id": "member:h:o:org", "type": docs.MEMBER, "tenantId": None},  # the MSP's own staff
        {"id": "audit:2", "type": docs.AUDIT, "auditTenantId": None},  # the org's own log
        {"id": docs.customer_branding_id("cy"), "type": docs.BRANDING},
        {"id": "apikey:k", "type": docs.API_KEY},
        {"id": "webhook:w", "type": docs.WEBHOOK_ENDPOINT},
        {"id": docs.PLAN_ID, "type": docs.BILLING_PLAN},
        {"id": "usage:cx:2026-01-01", "type": docs.USAGE, "customerId": "cx"},
        {"id": "org-impostor", "type": docs.ORG},
        {"id": "customer:cx", "type": docs.CUSTOMER},  # no tenant named: not provably its own
    ]
    assert all(view.allows(item) for item in allowed)
    assert not any(view.allows(item) for item in refused)


def test_another_relationship_gets_the_callers_own_token_and_none_gets_nothing() -> None:
    mine, other = object(), object()
    scope = RelationshipScope({"rel-a": mine, "rel-b": other}, {})  # type: ignore[dict-item]
    assert scope.container("rel-b") is other
    assert scope.container("rel-z") in (mine, other)  # never the app's identity: the database refuses
    with pytest.raises(AccessDenied):
        RelationshipScope({}, {}).container("rel-a")
    with pytest.raises(AccessDenied):
        RelationshipScope({}, {}).org_view(ORG)


def test_cosmos_user_ids_name_one_relationship_and_mode() -> None:
    assert user_id("rel-a", Mode.READ) == "rel.rel-a.read" != user_id("rel-a", Mode.ALL)
    with pytest.raises(InvalidId):
        user_id("rel/../x", Mode.READ)
