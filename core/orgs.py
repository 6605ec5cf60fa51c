"""Organisations: an MSP, or a direct customer (an org with one tenant whose customer admin holds
the relationship). Both use the same customers, drill-down and roles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from core.auth.admin_roster import add_admin
from core.auth.principals import Membership, grant_membership
from core.auth.roles import Role
from core.customers import Customer, register_customer
from core.store import AlreadyExists, NotFound
from core.store.cosmos import CosmosStore

OrgKind = Literal["msp", "direct"]
ORG_DOCUMENT_ID = "org"


async def create_org(store: CosmosStore, org_id: str, name: str, kind: OrgKind) -> dict[str, Any]:
    document = {
        "id": ORG_DOCUMENT_ID,
        "type": "org",
        "name": name,
        "kind": kind,
        "createdAt": datetime.now(UTC).isoformat(),
    }
    try:
        await store.org(org_id).create(document)
    except AlreadyExists:
        return (await store.org(org_id).get(ORG_DOCUMENT_ID)).body
    return {**document, "orgId": org_id}


async def get_org(store: CosmosStore, org_id: str) -> dict[str, Any] | None:
    try:
        return (await store.org(org_id).get(ORG_DOCUMENT_ID)).body
    except NotFound:
        return None


async def create_direct_customer(
    store: CosmosStore,
    *,
    org_id: str,
    name: str,
    tenant_id: str,
    primary_domain: str,
    admin_tenant_id: str,
    admin_object_id: str,
    admin_name: str | None,
    admin_email: str | None,
) -> Customer:
    """An operator step (sign-up): the org, its one customer, and its customer admin."""
    await create_org(store, org_id, name, "direct")
    customer = await register_customer(
        store.org(org_id), tenant_id=tenant_id, display_name=name, primary_domain=primary_domain
    )
    await grant_membership(
        store,
        home_tenant_id=admin_tenant_id,
        object_id=admin_object_id,
        membership=Membership(org_id, Role.CUSTOMER_ADMIN, tenant_id),
        name=admin_name,
        email=admin_email,
    )
    return customer


async def bootstrap_msp(
    store: CosmosStore,
    *,
    org_id: str,
    name: str,
    admin_tenant_id: str,
    admin_object_id: str,
    admin_name: str | None,
    admin_email: str | None,
) -> dict[str, Any]:
    """An operator step after deployment: the MSP's org and its first MSP admin, who then invites
    everyone else from the portal. Running it again is harmless; another org's id is refused."""
    org = await create_org(store, org_id, name, "msp")
    if org["kind"] != "msp":
        raise ValueError(f"org_id: {org_id} is a direct customer's org, not an MSP's")
    await grant_membership(
        store,
        home_tenant_id=admin_tenant_id,
        object_id=admin_object_id,
        membership=Membership(org_id, Role.MSP_ADMIN),
        name=admin_name,
        email=admin_email,
    )
    await add_admin(store, org_id, (admin_tenant_id, admin_object_id))
    return org
