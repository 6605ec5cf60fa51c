"""A small world of orgs, customers and people for API tests: MSP A with customers X and Y,
MSP B with customer Z, a person of every role, and a stranger with a valid token but no account."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field

from core.auth.principals import Membership, grant_membership
from core.auth.roles import Role
from core.bootstrap import Services
from core.customers import Customer, register_customer
from core.store import RelationshipRepository


def _guid() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Person:
    id: str
    tid: str
    oid: str
    name: str
    email: str
    role: Role | None
    org: str | None
    tenant: str | None  # for customer roles

    def signin_user(self) -> dict[str, str]:
        return {
            "id": self.id,
            "tid": self.tid,
            "oid": self.oid,
            "name": self.name,
            "email": self.email,
            "role": self.role.value if self.role else "none",
            "label": self.id,
        }


@dataclass
class World:
    org_a: str
    org_b: str
    org_c: str  # an MSP of its own for tests that need a fleet nobody else touches
    org_d: str  # another, for the report tests
    org_e: str  # and one for billing
    org_f: str  # and one whose admin calls every route to record the API's response examples
    org_g: str  # and one that the API fuzzer may change at will, with people of every role
    tenant_x: str
    tenant_y: str
    tenant_z: str
    tenant_w: str  # a customer of A that a test may remove
    tenant_t: str  # G's customer, fuzzed
    org_v: str  # a victim MSP whose customer V another MSP tries to take over (test_hijack.py)
    org_h: str  # the hijacking MSP
    tenant_v: str  # V's customer tenant; the simulator serves it under this id in test_hijack.py
    msp_a_tid: str
    msp_b_tid: str
    org_s: str  # an MSP whose fleet at a glance tests/integration/test_fleet_summary.py counts
    people: dict[str, Person] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    # An MSP for the triage tests (tests/integration/test_triage_api.py) and its customer's tenant,
    # which that module scans and accepts risks in; nobody else counts its fleet.
    org_triage: str = ""
    tenant_triage: str = ""
    # An MSP whose fleet the scorecard tests fill (tests/integration/test_scorecards_api.py), with a
    # customer viewer of its tenant P who must learn nothing about the other customers.
    org_p: str = ""
    tenant_p: str = ""

    @classmethod
    def plan(cls) -> World:
        suffix = uuid.uuid4().hex[:8]
        world = cls(
            org_a=f"msp-a-{suffix}",
            org_b=f"msp-b-{suffix}",
            org_c=f"msp-c-{suffix}",
            org_d=f"msp-d-{suffix}",
            org_e=f"msp-e-{suffix}",
            org_f=f"msp-f-{suffix}",
            org_g=f"msp-g-{suffix}",
            tenant_x=_guid(),
            tenant_y=_guid(),
            tenant_z=_guid(),
            tenant_w=_guid(),
            tenant_t=_guid(),
            org_v=f"msp-v-{suffix}",
            org_h=f"msp-h-{suffix}",
            tenant_v=_guid(),
            msp_a_tid=_guid(),
            msp_b_tid=_guid(),
            org_s=f"msp-s-{suffix}",
        )
        msp_f_tid, race_tid = _guid(), _guid()
        world.org_triage, world.tenant_triage = f"msp-triage-{suffix}", _guid()
        world.org_p, world.tenant_p = f"msp-p-{suffix}", _guid()
        specs = [
            ("msp_admin_a", world.msp_a_tid, Role.MSP_ADMIN, world.org_a, None),
            ("msp_analyst_a", world.msp_a_tid, Role.MSP_ANALYST, world.org_a, None),
            ("customer_admin_x", world.tenant_x, Role.CUSTOMER_ADMIN, world.org_a, world.tenant_x),
            ("customer_viewer_x", world.tenant_x, Role.CUSTOMER_VIEWER, world.org_a, world.tenant_x),
            ("customer_admin_y", world.tenant_y, Role.CUSTOMER_ADMIN, world.org_a, world.tenant_y),
            ("msp_admin_b", world.msp_b_tid, Role.MSP_ADMIN, world.org_b, None),
            ("target_viewer_x", world.tenant_x, Role.CUSTOMER_VIEWER, world.org_a, world.tenant_x),
            ("stranger", _guid(), None, None, None),
            # No account until an invitation test runs; invited into Y, so signs in from Y's tenant.
            ("invitee", world.tenant_y, None, None, None),
            ("direct_admin", _guid(), None, None, None),  # becomes a direct customer's admin
            ("views_admin", _guid(), Role.MSP_ADMIN, world.org_c, None),
            ("views_analyst", _guid(), Role.MSP_ANALYST, world.org_c, None),
            ("reports_admin", _guid(), Role.MSP_ADMIN, world.org_d, None),
            ("reports_analyst", _guid(), Role.MSP_ANALYST, world.org_d, None),
            ("billing_admin", _guid(), Role.MSP_ADMIN, world.org_e, None),
            ("billing_analyst", _guid(), Role.MSP_ANALYST, world.org_e, None),
            ("examples_admin", msp_f_tid, Role.MSP_ADMIN, world.org_f, None),
            # Accepts an MSP invitation in that walk, so signs in from the MSP's own tenant.
            ("examples_invitee", msp_f_tid, None, None, None),
            ("fuzz_admin", _guid(), Role.MSP_ADMIN, world.org_g, None),
            ("fuzz_analyst", _guid(), Role.MSP_ANALYST, world.org_g, None),
            ("fuzz_customer_admin", world.tenant_t, Role.CUSTOMER_ADMIN, world.org_g, world.tenant_t),
            ("fuzz_customer_viewer", world.tenant_t, Role.CUSTOMER_VIEWER, world.org_g, world.tenant_t),
            ("victim_admin", _guid(), Role.MSP_ADMIN, world.org_v, None),
            ("hijack_admin", _guid(), Role.MSP_ADMIN, world.org_h, None),
            ("hijack_analyst", _guid(), Role.MSP_ANALYST, world.org_h, None),
            # The strongest hijacker: people of the victim's own tenant holding customer roles in H.
            ("hijack_customer_admin", world.tenant_v, Role.CUSTOMER_ADMIN, world.org_h, world.tenant_v),
            ("hijack_customer_viewer", world.tenant_v, Role.CUSTOMER_VIEWER, world.org_h, world.tenant_v),
            # One address claimed from two tenants each (Entra does not verify the email claim):
            # an invitation to it is taken only from the tenant it is bound to.
            ("dana_at_y", world.tenant_y, None, None, None),
            ("dana_elsewhere", _guid(), None, None, None),
            ("mo_at_msp_a", world.msp_a_tid, None, None, None),
            ("mo_elsewhere", _guid(), None, None, None),
            # Two MSP admins of orgs the team tests make, who demote and remove each other at once.
            ("race_admin_1", race_tid, None, None, None),
            ("race_admin_2", race_tid, None, None, None),
            # The first admin of an MSP a test bootstraps, a colleague, and a newcomer from elsewhere.
            ("home_admin", _guid(), None, None, None),
            ("home_analyst", _guid(), None, None, None),
            ("home_joiner", _guid(), None, None, None),
            ("triage_analyst", _guid(), Role.MSP_ANALYST, world.org_triage, None),
            (
                "triage_viewer",
                world.tenant_triage,
                Role.CUSTOMER_VIEWER,
                world.org_triage,
                world.tenant_triage,
            ),
            ("glance_admin", _guid(), Role.MSP_ADMIN, world.org_s, None),
            ("peer_admin", _guid(), Role.MSP_ADMIN, world.org_p, None),
            ("peer_viewer", world.tenant_p, Role.CUSTOMER_VIEWER, world.org_p, world.tenant_p),
            ("glance_analyst", _guid(), Role.MSP_ANALYST, world.org_s, None),
        ]
        for pid, tid, role, org, tenant in specs:
            world.people[pid] = Person(
                pid, tid, _guid(), pid.replace("_", " ").title(), f"{pid}@{suffix}.example", role, org, tenant
            )
        for pid in ("dana_at_y", "dana_elsewhere", "mo_at_msp_a", "mo_elsewhere"):
            shared = f"{pid.split('_')[0]}@{suffix}.example"
            world.people[pid] = dataclasses.replace(world.people[pid], email=shared)
        return world

    async def build(self, services: Services) -> None:
        for org, tenant, name in (
            (self.org_a, self.tenant_x, "Xylophone Dental"),
            (self.org_a, self.tenant_y, "Yew Tree Legal"),
            (self.org_b, self.tenant_z, "Zephyr Freight"),
            (self.org_a, self.tenant_w, "Willow Accounting"),
            (self.org_g, self.tenant_t, "Tern Fuzzing Ltd"),
        ):
            self.customers[tenant] = await register_customer(
                services.store.org(org),
                tenant_id=tenant,
                display_name=name,
                primary_domain=f"{name.split()[0].lower()}.example",
                connected=True,
            )
        # MSP A lets its customer admins brand their own outputs, so the role table alone decides
        # there; tests/integration/test_branding.py covers an MSP that does not.
        await services.store.org(self.org_a).upsert(
            {"id": "branding:fleet", "type": "branding", "enabled": True, "customerAdminsMayBrand": True}
        )
        for person in self.people.values():
            if person.role is None or person.org is None:
                continue
            await grant_membership(
                services.store,
                home_tenant_id=person.tid,
                object_id=person.oid,
                membership=Membership(person.org, person.role, person.tenant),
                name=person.name,
                email=person.email,
            )

    def member_id(self, person_id: str) -> str:
        p = self.people[person_id]
        return f"member:{p.tid}:{p.oid}:{p.tenant or 'org'}"


async def tenant_data(services: Services, tenant_id: str) -> RelationshipRepository:
    """The partition of the one relationship a test made with `tenant_id` (a cross-partition
    look-up, as tests may)."""
    (customer,) = await services.store.relationships_of(tenant_id)
    return services.store.relationship(customer.relationship_id)
