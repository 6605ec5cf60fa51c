"""Organisations: an MSP, or a direct customer (an org with one tenant whose customer admin holds
the relationship). Both use the same customers, drill-down and roles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from core.audit import Actor, record
from core.auth.admin_roster import add_admin, admin_members
from core.auth.principals import Membership, grant_membership
from core.auth.roles import Role
from core.customers import Customer, register_customer
from core.ports import Store
from core.store import AlreadyExists, Conflict, NotFound
from core.store.documents import ORG, ORG_DOCUMENT_ID

OrgKind = Literal["msp", "direct"]


def _now() -> str:
    return datetime.now(UTC).isoformat()


async def create_org(store: Store, org_id: str, name: str, kind: OrgKind) -> dict[str, Any]:
    document = {
        "id": ORG_DOCUMENT_ID,
        "type": ORG,
        "name": name,
        "kind": kind,
        "createdAt": _now(),
    }
    try:
        await store.org(org_id).create(document)
    except AlreadyExists:
        return (await store.org(org_id).get(ORG_DOCUMENT_ID)).body
    return {**document, "orgId": org_id}


async def get_org(store: Store, org_id: str) -> dict[str, Any] | None:
    try:
        return (await store.org(org_id).get(ORG_DOCUMENT_ID)).body
    except NotFound:
        return None


async def create_direct_customer(
    store: Store,
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
    store: Store,
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
    # The first admin signs in from the MSP's own tenant: invitations to MSP roles are accepted
    # from there (more home tenants are added through PUT /api/org/home-tenants).
    homes = await home_tenants(store, org_id)
    tenant = admin_tenant_id.lower()
    if homes.recorded and tenant in homes.tenant_ids:
        return org
    wanted = sorted({*homes.tenant_ids, tenant})
    return await _update_org(store, org_id, lambda body: {**body, "homeTenantIds": wanted})


@dataclass(frozen=True)
class HomeTenants:
    """The Entra tenants an MSP's own staff sign in from; invitations to MSP roles are bound to them."""

    tenant_ids: tuple[str, ...]
    recorded: bool  # False: none recorded yet, so the MSP admins' own tenants stand in


async def home_tenants(store: Store, org_id: str) -> HomeTenants:
    org = await get_org(store, org_id)
    if org is not None and org.get("homeTenantIds"):
        return HomeTenants(tuple(org["homeTenantIds"]), recorded=True)
    # Orgs created before home tenants were recorded have none on their org document. The tenants
    # their current MSP admins signed in from are where their staff are, so those stand in until
    # an admin records the list; an org with neither accepts no MSP invitation at all.
    admins = await admin_members(store.org(org_id))
    return HomeTenants(tuple(sorted({tid.lower() for tid, _ in admins})), recorded=False)


async def set_home_tenants(store: Store, org_id: str, tenant_ids: list[str], actor: Actor) -> HomeTenants:
    """An MSP admin's edit of the list, audited with what it replaced."""
    wanted = list(dict.fromkeys(t.lower() for t in tenant_ids))
    if not wanted:
        raise ValueError("homeTenantIds: name at least one tenant id")
    before = await home_tenants(store, org_id)
    await _update_org(store, org_id, lambda body: {**body, "homeTenantIds": wanted})
    await record(
        store,
        org_id=org_id,
        actor=actor,
        action="org.home_tenants_changed",
        target={"from": list(before.tenant_ids), "to": wanted},
    )
    return HomeTenants(tuple(wanted), recorded=True)


async def _update_org(
    store: Store, org_id: str, change: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """Apply `change` to the org document under its etag, reading again if another write won."""
    repo = store.org(org_id)
    for _ in range(6):
        stored = await repo.find(ORG_DOCUMENT_ID)
        try:
            if stored is None:
                # Orgs seeded before org documents existed have none. Only MSP admins edit
                # their org, so it is an MSP's; the name stays unknown (readers fall back to the id).
                base = {"id": ORG_DOCUMENT_ID, "type": ORG, "kind": "msp", "createdAt": _now()}
                return (await repo.create(change(base))).body
            return (await repo.replace(change(stored.body), stored.etag)).body
        except (Conflict, AlreadyExists):
            continue
    raise Conflict(ORG_DOCUMENT_ID)
