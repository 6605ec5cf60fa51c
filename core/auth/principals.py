"""Principals, their memberships, and the one authorisation decision every request goes through.

A signed-in user is (tid, oid). Their memberships live in one document in the `tenants` container
under their own home tenant's partition (`principal:{oid}`), so finding who someone is costs one
point read on the request path and never a cross-partition query. Each org also keeps a `member`
document per person for listing its team. Grants are written org-first then principal, and
revocations principal-first, so access appears last and disappears first.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core import errors
from core.auth.memo import PRINCIPAL_TTL_SECONDS, Memo, forget_all, generation
from core.auth.roles import PEOPLE_ONLY_ACTIONS, TENANT_ACTIONS, Action, Role, may
from core.auth.tokens import TokenClaims
from core.customers import customer_of_tenant
from core.ports import Store
from core.store import AlreadyExists, Conflict, NotFound
from core.store.documents import MEMBER, PRINCIPAL, member_id, principal_document_id


class Forbidden(errors.Forbidden):
    """Authenticated, but not allowed: the message says why (returned with the 403)."""


@dataclass(frozen=True)
class Membership:
    org_id: str
    role: Role
    tenant_id: str | None = None  # the one customer tenant, for customer roles

    def to_json(self) -> dict[str, Any]:
        return {"orgId": self.org_id, "role": self.role.value, "tenantId": self.tenant_id}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Membership:
        return cls(org_id=data["orgId"], role=Role(data["role"]), tenant_id=data.get("tenantId"))


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    object_id: str
    name: str | None
    email: str | None
    memberships: tuple[Membership, ...]
    api_key_id: str | None = None  # set when an API key, not a person, is calling


@dataclass(frozen=True)
class Grant:
    """What an authorised request may touch: exactly one org and, for tenant actions, one tenant
    through one relationship, whose id is the only partition its tenant data may be read from."""

    principal: Principal
    org_id: str
    role: Role
    tenant_id: str | None
    relationship_id: str | None = None

    @property
    def relationship(self) -> str:
        """The relationship id of a tenant grant: the partition its tenant data lives in."""
        if self.relationship_id is None:
            raise ValueError("not a tenant grant: it names no relationship")
        return self.relationship_id


# Memberships read lately, by (store, home tenant, object id); see core/auth/memo.py for how long.
_memberships: Memo[tuple[Membership, ...]] = Memo(4096)


async def load_principal(store: Store, claims: TokenClaims) -> Principal:
    """The caller's memberships. A validly signed user with none is refused, never enrolled.
    Remembered for PRINCIPAL_TTL_SECONDS at most, and forgotten at once when this process
    changes anyone's memberships (`_change_memberships`); a refusal is never remembered."""
    key, seen = (id(store), claims.tenant_id, claims.object_id), generation()
    memberships = _memberships.get(key)
    if memberships is None:
        stored = await store.home_tenant(claims.tenant_id).find(principal_document_id(claims.object_id))
        memberships = tuple(Membership.from_json(m) for m in (stored.body["memberships"] if stored else []))
        if memberships:
            _memberships.remember(key, memberships, time.time() + PRINCIPAL_TTL_SECONDS, seen)
    if not memberships:
        raise Forbidden("you are signed in, but not a member of any organisation in ScanPosture")
    return Principal(claims.tenant_id, claims.object_id, claims.name, claims.email, memberships)


async def authorize(
    store: Store,
    principal: Principal,
    action: Action,
    *,
    tenant_id: str | None = None,
    org_id: str | None = None,
) -> Grant:
    """Decide one request. Tenant actions need `tenant_id`; the grant names the relationship
    through which the caller reaches it, read from that org's own customer records: the URL names
    a tenant, never a partition, and only a relationship whose tenant's admin proved consent for
    that org opens its data (`Customer.grants_access`)."""
    if principal.api_key_id is not None and action in PEOPLE_ONLY_ACTIONS:
        raise Forbidden(f"an API key may not {action.value.replace('_', ' ')}: sign in as a person")
    if action in TENANT_ACTIONS:
        if not tenant_id:
            raise ValueError(f"{action} needs a tenant")
        return await _tenant_grant(store, principal, action, tenant_id, org_id)
    candidates = [m for m in principal.memberships if m.role.is_msp and may(m.role, action)]
    if org_id is not None:
        candidates = [m for m in candidates if m.org_id == org_id]
    if not candidates:
        raise Forbidden(f"you may not {action.value.replace('_', ' ')}")
    if len({m.org_id for m in candidates}) > 1:
        raise Forbidden("you belong to several organisations: say which one (org)")
    return Grant(principal, candidates[0].org_id, candidates[0].role, None)


async def _tenant_grant(
    store: Store, principal: Principal, action: Action, tenant_id: str, org_id: str | None
) -> Grant:
    # A customer membership names its tenant; an MSP membership covers its org's customers.
    scopes = [
        m
        for m in principal.memberships
        if may(m.role, action) and org_id in (None, m.org_id) and (m.role.is_msp or m.tenant_id == tenant_id)
    ]
    scopes.sort(key=lambda m: m.role.is_msp)  # the person's own tenant first
    today = datetime.now(UTC).date()
    for m in scopes:
        # As fresh as the fleet version (core.customers.customer_of_tenant): every request reads it.
        found = await customer_of_tenant(store.org(m.org_id), tenant_id)
        if found is not None and found.grants_access(today):
            return Grant(principal, m.org_id, m.role, tenant_id, found.relationship_id)
    raise Forbidden(f"you may not {action.value.replace('_', ' ')} for this tenant")


async def grant_membership(
    store: Store,
    *,
    home_tenant_id: str,
    object_id: str,
    membership: Membership,
    name: str | None,
    email: str | None,
) -> None:
    """Give (tid, oid) a role in an org (replacing any role they had in that same scope)."""
    if membership.role.is_msp == (membership.tenant_id is not None):
        raise ValueError("MSP roles span the org; customer roles need exactly one tenant")
    member = {
        "id": member_id(home_tenant_id, object_id, membership.tenant_id),
        "type": MEMBER,
        "homeTenantId": home_tenant_id,
        "objectId": object_id,
        "name": name,
        "email": email,
        **membership.to_json(),
    }
    await store.org(membership.org_id).upsert(member)
    await _change_memberships(store, home_tenant_id, object_id, name, email, add=membership)


async def revoke_membership(
    store: Store, *, home_tenant_id: str, object_id: str, org_id: str, tenant_id: str | None
) -> None:
    scope = Membership(org_id, Role.CUSTOMER_VIEWER if tenant_id else Role.MSP_ANALYST, tenant_id)
    await _change_memberships(store, home_tenant_id, object_id, None, None, remove=scope)
    with contextlib.suppress(NotFound):
        await store.org(org_id).delete(member_id(home_tenant_id, object_id, tenant_id))


async def _change_memberships(
    store: Store,
    tid: str,
    oid: str,
    name: str | None,
    email: str | None,
    *,
    add: Membership | None = None,
    remove: Membership | None = None,
) -> None:
    repo = store.home_tenant(tid)
    target = add or remove
    assert target is not None
    for _ in range(8):
        stored = await repo.find(principal_document_id(oid))
        current = [Membership.from_json(m) for m in (stored.body["memberships"] if stored else [])]
        kept = [m for m in current if (m.org_id, m.tenant_id) != (target.org_id, target.tenant_id)]
        memberships = [*kept, add] if add else kept
        body = {
            "id": principal_document_id(oid),
            "type": PRINCIPAL,
            "objectId": oid,
            "name": name or (stored.body.get("name") if stored else None),
            "email": email or (stored.body.get("email") if stored else None),
            "memberships": [m.to_json() for m in memberships],
        }
        try:
            if stored is None:
                await repo.create(body)
            else:
                await repo.replace(body, stored.etag)
            return
        except (Conflict, AlreadyExists):
            continue  # a concurrent change: read again and re-apply ours
        finally:
            forget_all()  # whatever happened, no principal remembered before it is served after
    raise Conflict(principal_document_id(oid))
