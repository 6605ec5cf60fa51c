"""The database-side half of isolation: which relationship partitions a customer principal's
request may reach with its own resource tokens, in which mode, and which of its provider's
org documents it may touch.

`authorize` decides each route in code; this decides what the store will serve whatever the code
asks. A customer principal (every membership a customer role: customer admins, viewers and their
API keys) gets resource tokens for exactly the relationships its memberships name that open tenant
data today, `All` for an admin and `Read` for a viewer (DESIGN.md: isolation "at the database
level"), and a narrow view of each org's partition: its own tenants' records only
(core/store/narrow_org.py). Anyone with an MSP membership keeps the app's identity: MSP staff reach
every customer of their org, which no single partition-bound token could express.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from core.auth.principals import Principal
from core.auth.roles import Role
from core.customers import Customer
from core.ports import Store
from core.store.narrow_org import CustomerRows, OrgView
from core.store.resource_tokens import Mode
from core.store.scope import RelationshipScope


def is_customer_principal(principal: Principal) -> bool:
    return bool(principal.memberships) and not any(m.role.is_msp for m in principal.memberships)


@dataclass
class CustomerReach:
    """A customer principal's relationship partitions (with modes) and org views."""

    relationships: dict[str, Mode] = field(default_factory=dict)
    tenants: dict[str, set[str]] = field(default_factory=dict)  # org id -> tenant ids
    customers: dict[str, set[str]] = field(default_factory=dict)  # org id -> customer ids
    rows: CustomerRows = field(default_factory=dict)  # the records read, for the request to reuse

    def views(self) -> dict[str, OrgView]:
        return {
            org: OrgView(frozenset(tenants), frozenset(self.customers.get(org, set())))
            for org, tenants in self.tenants.items()
        }


async def customer_reach(store: Store, principal: Principal, today: date) -> CustomerReach:
    """One narrow read per membership: that org's customer record for the member's own tenant. A
    pending or cancelled relationship still shows its own record, but opens no partition."""
    reach = CustomerReach()
    for membership in principal.memberships:
        if membership.tenant_id is None:
            continue
        reach.tenants.setdefault(membership.org_id, set()).add(membership.tenant_id)
        rows = await store.org(membership.org_id).customers_of_tenant(membership.tenant_id)
        reach.rows[(membership.org_id, membership.tenant_id)] = rows
        if not rows:
            continue
        customer = Customer.model_validate(rows[0].body)
        reach.customers.setdefault(membership.org_id, set()).add(customer.customer_id)
        if not customer.grants_access(today):
            continue
        mode = Mode.ALL if membership.role is Role.CUSTOMER_ADMIN else Mode.READ
        if reach.relationships.get(customer.relationship_id) is not Mode.ALL:
            reach.relationships[customer.relationship_id] = mode
    return reach


async def database_scope(store: Store, principal: Principal, today: date) -> RelationshipScope | None:
    """The scope a request by `principal` runs in: None (the app's identity) for MSP principals or
    with resource tokens switched off; else the principal's own tokens and org views only."""
    if not is_customer_principal(principal):
        return None
    reach = await customer_reach(store, principal, today)
    return await store.scope_for(reach.relationships, reach.views(), reach.rows)
