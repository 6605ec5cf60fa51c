"""The database-side half of isolation: which relationship partitions a customer principal's
request may reach with its own resource tokens, and in which mode.

`authorize` decides each route in code; this decides what the database will serve whatever the
code asks. A customer principal (every membership a customer role: customer admins, viewers and
their API keys) gets a scope of exactly the relationships its memberships name and that open
tenant data today, `All` for an admin and `Read` for a viewer (DESIGN.md: isolation "at the
database level"). Anyone with an MSP membership keeps the app's identity: MSP staff reach every
customer of their org, which no single partition-bound token could express.
"""

from __future__ import annotations

from datetime import date

from core.auth.principals import Principal
from core.auth.roles import Role
from core.customers import find_customer
from core.ports import Store
from core.store.resource_tokens import Mode
from core.store.scope import RelationshipScope


def is_customer_principal(principal: Principal) -> bool:
    return bool(principal.memberships) and not any(m.role.is_msp for m in principal.memberships)


async def customer_relationships(store: Store, principal: Principal, today: date) -> dict[str, Mode]:
    """The relationship partitions of a customer principal, each with its permission mode. One
    narrow read per membership: that org's customer record for that member's own tenant."""
    wanted: dict[str, Mode] = {}
    for membership in principal.memberships:
        if membership.tenant_id is None:
            continue
        found = await find_customer(store.org(membership.org_id), membership.tenant_id)
        if found is None or not found[0].grants_access(today):
            continue
        mode = Mode.ALL if membership.role is Role.CUSTOMER_ADMIN else Mode.READ
        relationship_id = found[0].relationship_id
        if wanted.get(relationship_id) is not Mode.ALL:
            wanted[relationship_id] = mode
    return wanted


async def database_scope(store: Store, principal: Principal, today: date) -> RelationshipScope | None:
    """The scope a request by `principal` runs in: None (the app's identity) for MSP principals or
    with resource tokens switched off; else containers over the principal's own tokens only."""
    if not is_customer_principal(principal):
        return None
    return await store.scope_for(await customer_relationships(store, principal, today))
