"""Fixtures for the portal's browser tests: the app served over HTTP by `scanposture serve` (with
its queue worker) against the local stack, the Graph simulator and a sign-in provider whose
portal origin is the served app; an MSP seeded through the real API and admin consent; and
headless Chromium (Debian's package) driven by Playwright."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.auth.roles import Role
from core.settings import Settings
from devtools.demo_seed import DemoUser, demo_users, onboard_demo
from devtools.graphsim.launcher import GraphSimulator
from devtools.processes import ManagedProcess, free_port, spawn, wait_until
from devtools.signin.launcher import SignInProvider, start_signin
from devtools.stack import LocalStack

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "portal"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AUDIENCE = "api://scanposture-portal-tests"


@dataclass
class Portal:
    base: str
    org_id: str
    users: dict[str, DemoUser]
    tenants: list[dict[str, Any]]
    signin: SignInProvider
    graphsim: GraphSimulator
    spare_tenant: dict[str, Any] = field(default_factory=dict)  # not yet a customer: for onboarding

    def new_tenant(self, name: str, posture: str = "mixed") -> dict[str, Any]:
        return _synthetic(self.graphsim, name, posture)

    def user(self, role: str, tenant: int = 0) -> DemoUser:
        """The person of a role (a customer role: of the n-th seeded customer)."""
        if role.startswith("msp"):
            return self.users[role.replace("_", "-")]
        slug = self.tenants[tenant]["defaultDomain"].split(".")[0]
        return self.users[f"{slug}-{role.removeprefix('customer_')}"]


def _synthetic(graphsim: GraphSimulator, name: str, posture: str) -> dict[str, Any]:
    tenant_id = str(uuid.uuid4())
    slug = f"{name.lower().replace(' ', '-')}-{tenant_id[:6]}"
    graphsim.load_synthetic_tenant(
        12,
        seed=uuid.UUID(tenant_id).int % 100_000,
        posture=posture,
        tenant_id=tenant_id,
        display_name=name,
        slug=slug,
    )
    graphsim.set_consent(tenant_id, "none")  # consent comes through the portal's link
    return next(t for t in graphsim.tenants() if t["id"] == tenant_id)


@pytest.fixture(scope="session")
def portal_vendor() -> Path:
    vendor = ROOT / "portal" / "vendor"
    if not (vendor / "axe.min.js").exists():  # a checkout where `make setup` has not run yet
        subprocess.run(["bash", str(ROOT / "devtools" / "vendor-portal.sh")], check=True)
    return vendor


@pytest.fixture(scope="module")
def portal(
    stack: LocalStack, graphsim: GraphSimulator, portal_vendor: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Portal]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    tenants = [
        _synthetic(graphsim, "Harbor Clinic", "weak"),
        _synthetic(graphsim, "Summit Builders", "strong"),
    ]
    spare = _synthetic(graphsim, "Lakeside Bakery", "mixed")
    # Someone of Summit Builders whom nobody has invited yet (tenant_id None: not seeded).
    newcomer = DemoUser(
        "newcomer",
        tenants[1]["id"],
        "Nia Newcomer",
        f"nia@{tenants[1]['defaultDomain']}",
        Role.CUSTOMER_VIEWER,
        None,
        "not invited yet",
    )
    stranger = DemoUser(
        "stranger",
        str(uuid.uuid4()),
        "Sam Stranger",
        "sam@elsewhere.example",
        Role.CUSTOMER_VIEWER,
        None,
        "no account",
    )
    # Each module's world is a new MSP: its staff are new people, members of that org alone.
    users = [*demo_users(tenants, msp_tenant=str(uuid.uuid4())), newcomer, stranger]
    workdir = tmp_path_factory.mktemp("portal")
    signin = start_signin(workdir / "signin", [u.signin_user() for u in users], AUDIENCE, portal_origin=base)
    env = {
        **stack.env(),
        **graphsim.env(),
        **signin.env(),
        "PUBLIC_BASE_URL": base,
        # The integrations test registers a loopback endpoint (a development-only setting).
        "WEBHOOKS_ALLOW_LOOPBACK": "true",
    }
    app: ManagedProcess = spawn(
        "portal-app",
        [sys.executable, "-m", "functions.cli", "serve", "--port", str(port)],
        workdir / "app.log",
        env=env,
    )

    def up() -> bool:
        try:
            return httpx.get(f"{base}/api/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(up, "the app", 60, app)
        org_id = f"portal-msp-{uuid.uuid4().hex[:8]}"
        settings = Settings(**{k.lower(): v for k, v in env.items()})  # type: ignore[arg-type]
        asyncio.run(
            onboard_demo(settings, base, graphsim, signin, users, 120, org_id=org_id, tenants=tenants)
        )
        yield Portal(base, org_id, {u.id: u for u in users}, tenants, signin, graphsim, spare)
    finally:
        app.stop()
        signin.stop()


@pytest.fixture(scope="module")
def browser(portal: Portal) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
