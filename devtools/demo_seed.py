"""What `make demo` does once everything runs: bootstrap the demo MSP, onboard each demo customer
through the real admin-consent flow (API -> simulator consent page -> callback), invite the
customers' users through the API, and wait for the first scans."""

from __future__ import annotations

import asyncio
import ssl
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from core.auth.principals import Membership, grant_membership
from core.auth.roles import Role
from core.bootstrap import build_services
from core.fleet import fleet_table, list_customers
from core.orgs import create_org
from core.settings import Settings
from devtools.consent_browser import consent_as_admin
from devtools.graphsim.launcher import GraphSimulator
from devtools.processes import StackError
from devtools.signin.launcher import SignInProvider

DEMO_ORG_ID = "demo-msp"
DEMO_MSP_NAME = "Demo MSP Ltd"
DEMO_MSP_TENANT = "5c7a1e0d-0b6e-4a53-9b7e-6d2f3c1a9e10"
_NAMESPACE = uuid.UUID("0f5e8a9c-3d2b-4c1a-8e7f-6a5b4c3d2e1f")


@dataclass(frozen=True)
class DemoUser:
    id: str
    tid: str
    name: str
    email: str
    role: Role
    tenant_id: str | None
    label: str

    @property
    def oid(self) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"{self.tid}/{self.id}"))

    def signin_user(self) -> dict[str, str]:
        return {
            "id": self.id,
            "tid": self.tid,
            "oid": self.oid,
            "name": self.name,
            "email": self.email,
            "role": self.role.value,
            "label": self.label,
        }


def demo_users(tenants: list[dict[str, str]], msp_tenant: str = DEMO_MSP_TENANT) -> list[DemoUser]:
    """One person per role: the MSP's two at `msp_tenant` (a fresh one per test world, so that each
    world's MSP staff belong to that world's org only), a customer admin and viewer per tenant."""
    users = [
        DemoUser(
            "msp-admin",
            msp_tenant,
            "Maria Admin",
            "maria@demo-msp.example",
            Role.MSP_ADMIN,
            None,
            "MSP admin",
        ),
        DemoUser(
            "msp-analyst",
            msp_tenant,
            "Arun Analyst",
            "arun@demo-msp.example",
            Role.MSP_ANALYST,
            None,
            "MSP analyst",
        ),
    ]
    for tenant in tenants:
        slug = tenant["defaultDomain"].split(".")[0]
        users.append(
            DemoUser(
                f"{slug}-admin",
                tenant["id"],
                f"{tenant['displayName']} Admin",
                f"admin@{tenant['defaultDomain']}",
                Role.CUSTOMER_ADMIN,
                tenant["id"],
                f"customer admin, {tenant['displayName']}",
            )
        )
        users.append(
            DemoUser(
                f"{slug}-viewer",
                tenant["id"],
                f"{tenant['displayName']} Viewer",
                f"viewer@{tenant['defaultDomain']}",
                Role.CUSTOMER_VIEWER,
                tenant["id"],
                f"customer viewer, {tenant['displayName']}",
            )
        )
    return users


async def onboard_demo(
    settings: Settings,
    base_url: str,
    simulator: GraphSimulator,
    signin: SignInProvider,
    users: list[DemoUser],
    wait_seconds: float = 180,
    *,
    org_id: str = DEMO_ORG_ID,
    tenants: list[dict[str, str]] | None = None,
) -> str:
    """Returns the fleet table once every demo customer's first scan has landed. The browser
    tests seed their own org with their own simulated tenants through the same steps."""
    tenants = simulator.demo_tenants() if tenants is None else tenants
    services = build_services(settings)
    try:
        admin = users[0]
        # Bootstrapping the MSP and its first admin is an operator step, not an API call.
        await create_org(services.store, org_id, DEMO_MSP_NAME, "msp")
        await grant_membership(
            services.store,
            home_tenant_id=admin.tid,
            object_id=admin.oid,
            membership=Membership(org_id, Role.MSP_ADMIN),
            name=admin.name,
            email=admin.email,
        )
        simulator_tls = ssl.create_default_context(cafile=str(simulator.ca_cert))
        async with (
            httpx.AsyncClient(base_url=base_url, timeout=60) as api,
            httpx.AsyncClient(verify=simulator_tls, timeout=60) as browser,
        ):
            as_admin = {"authorization": f"Bearer {signin.token_for(admin.id)}"}
            analyst = users[1]
            await _invite_and_accept(api, as_admin, "/api/team/invitations", analyst, signin)
            await api.put(
                "/api/branding", headers=as_admin, json={"primary": "#0B6E4F", "secondary": "#F2C14E"}
            )
            for tenant in tenants:
                added = await api.post(
                    "/api/customers",
                    headers=as_admin,
                    json={
                        "displayName": tenant["displayName"],
                        "primaryDomain": tenant["defaultDomain"],
                        "reportRecipients": [f"it@{tenant['defaultDomain']}"],
                    },
                )
                if added.status_code != 201:
                    raise StackError(f"adding {tenant['displayName']} failed: {added.text}")
                # The customer's Global Administrator follows the link, grants consent and signs in.
                link = added.json()["consentLink"]["url"]
                landed = await consent_as_admin(browser, api, link, tenant["id"])
                if landed.status_code != 302:
                    raise StackError(f"consent for {tenant['displayName']} failed: {landed.text[:300]}")
                for user in users:
                    if user.tenant_id == tenant["id"]:
                        await _invite_and_accept(
                            api, as_admin, f"/api/tenants/{tenant['id']}/invitations", user, signin
                        )
        return await _wait_for_first_scans(services, org_id, len(tenants), wait_seconds)
    finally:
        await services.close()


def write_demo_reports(
    base_url: str, signin: SignInProvider, tenants: list[dict[str, str]], out: Path
) -> list[Path]:
    """Generate each demo customer's executive report through the API and save it under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    as_admin = {"authorization": f"Bearer {signin.token_for('msp-admin')}"}
    written = []
    with httpx.Client(base_url=base_url, timeout=120) as api:
        for tenant in tenants:
            made = api.post(f"/api/tenants/{tenant['id']}/reports", headers=as_admin)
            if made.status_code != 201:
                raise StackError(f"the report of {tenant['displayName']} failed: {made.text[:300]}")
            pdf = api.get(made.json()["download"], headers=as_admin)
            path = out / f"{tenant['defaultDomain']}.pdf"
            path.write_bytes(pdf.content)
            written.append(path)
    return written


async def _invite_and_accept(
    api: httpx.AsyncClient, as_admin: dict[str, str], path: str, user: DemoUser, signin: SignInProvider
) -> None:
    invited = await api.post(path, headers=as_admin, json={"email": user.email, "role": user.role.value})
    if invited.status_code != 201:
        raise StackError(f"inviting {user.email} failed: {invited.text}")
    accepted = await api.post(
        "/api/invitations/accept",
        headers={"authorization": f"Bearer {signin.token_for(user.id)}"},
        json={"code": invited.json()["code"]},
    )
    if accepted.status_code != 201:
        raise StackError(f"{user.email} could not accept: {accepted.text}")


async def _wait_for_first_scans(services: object, org_id: str, expected: int, wait_seconds: float) -> str:
    from core.bootstrap import Services

    assert isinstance(services, Services)
    org = services.store.org(org_id)
    deadline = time.monotonic() + wait_seconds
    while True:
        customers = await list_customers(org)
        if len(customers) >= expected and all(c.summary.last_scan_id for c in customers):
            return fleet_table(customers)
        if time.monotonic() > deadline:
            pending = [c.display_name for c in customers if not c.summary.last_scan_id]
            raise StackError(f"first scans did not land within {wait_seconds:g} s: {', '.join(pending)}")
        await asyncio.sleep(0.5)


# A customer the demo leaves for a person to onboard by hand, through a browser (see demo.py).
AWAITING_CONSENT = {"name": "Lakeside Bakery", "slug": "lakeside-bakery"}
_AWAITING_TENANT = str(uuid.uuid5(_NAMESPACE, "tenant/lakeside-bakery"))


def add_customer_awaiting_consent(base_url: str, simulator: GraphSimulator, signin: SignInProvider) -> str:
    """Add a small simulated tenant that has not consented as a customer of the demo MSP; returns
    the consent link the MSP would send its administrator."""
    simulator.load_synthetic_tenant(
        12,
        seed=7,
        posture="mixed",
        tenant_id=_AWAITING_TENANT,
        display_name=AWAITING_CONSENT["name"],
        slug=AWAITING_CONSENT["slug"],
    )
    simulator.set_consent(_AWAITING_TENANT, "none")
    domain = next(t["defaultDomain"] for t in simulator.tenants() if t["id"] == _AWAITING_TENANT)
    as_admin = {"authorization": f"Bearer {signin.token_for('msp-admin')}"}
    body = {"displayName": AWAITING_CONSENT["name"], "primaryDomain": domain, "reportRecipients": []}
    added = httpx.post(f"{base_url}/api/customers", headers=as_admin, json=body, timeout=60)
    if added.status_code != 201:
        raise StackError(f"adding {AWAITING_CONSENT['name']} failed: {added.text[:300]}")
    return str(added.json()["consentLink"]["url"])
