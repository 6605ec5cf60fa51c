"""The `scanposture` command line, run as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

from core.auth.principals import Membership
from core.auth.roles import Role
from core.bootstrap import Services
from core.checks.catalogue import CATALOGUE
from core.collect.sources import MICROSOFT_GRAPH_APP_ID, SHAREPOINT_ONLINE_APP_ID
from core.orgs import get_org
from core.permissions import APP_ROLE_IDS, EXCHANGE_ONLINE_APP_ID, SHAREPOINT_ROLE_IDS
from core.store.documents import principal_document_id
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant
from devtools.stack import LocalStack

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "functions.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


def test_checks_lists_the_catalogue_with_metadata() -> None:
    out = _run("checks", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [r["id"] for r in rows] == [c.id for c in CATALOGUE]
    smtp = next(r for r in rows if r["id"] == "exo.smtp_auth_disabled")
    assert (smtp["cis"], smtp["scuba"], smtp["severity"]) == ("6.5.4", "MS.EXO.5.1v1", "high")
    assert smtp["remediation"] and smtp["permissions"] == ["Exchange.ManageAsApp"]
    table = _run("checks")
    assert f"{len(CATALOGUE)} checks" in table.stdout


def test_scan_against_the_simulator_by_domain_prints_a_summary_and_writes_json(
    graphsim: GraphSimulator, tmp_path: Path
) -> None:
    demo = next(t for t in graphsim.demo_tenants() if t["displayName"] == "Contoso Dental")
    results = tmp_path / "contoso.json"
    # The running simulator's settings, as an operator's environment would give them.
    out = _run("scan", "--tenant", demo["defaultDomain"], "--json", str(results), env=graphsim.env())
    assert out.returncode == 0, out.stderr
    assert demo["id"] in out.stdout and "top failures" in out.stdout
    saved = json.loads(results.read_text())
    assert saved["tenantId"] == demo["id"]
    assert len(saved["results"]) == len(CATALOGUE)
    assert 0 <= saved["score"] < 50  # the weak demo customer


def test_scan_of_a_revoked_tenant_says_why_and_fails(graphsim: GraphSimulator) -> None:
    tenant = graphsim.load_tenant(synthetic_tenant(5, seed=4))
    graphsim.set_faults(tenant, revoked_consent="AADSTS7000229")
    try:
        out = _run("scan", "--tenant", tenant, env=graphsim.env())
    finally:
        graphsim.clear_faults(tenant)
    assert out.returncode == 3
    assert "AADSTS7000229" in out.stderr


def test_scan_with_its_own_simulator() -> None:
    out = _run("scan", "--simulator", "--tenant", "fabrikam-legal.example")
    assert out.returncode == 0, out.stderr
    assert "score" in out.stdout


async def test_bootstrap_msp_makes_the_first_msp_admin(stack: LocalStack, services: Services) -> None:
    org_id, tid, oid = f"msp-{uuid.uuid4().hex[:8]}", str(uuid.uuid4()), str(uuid.uuid4())
    args = ["bootstrap-msp", "--org-id", org_id, "--name", "Harbour IT", "--admin-tenant-id", tid]
    args += ["--admin-object-id", oid, "--admin-email", "first.admin@harbour-it.example"]
    out = _run(*args, env=stack.env())
    assert out.returncode == 0, out.stderr
    assert "first.admin@harbour-it.example is an MSP admin" in out.stdout
    again = _run(*args, env=stack.env())  # an operator re-running the step changes nothing
    assert again.returncode == 0, again.stderr
    stored = await services.store.home_tenant(tid).get(principal_document_id(oid))
    assert [Membership.from_json(m) for m in stored.body["memberships"]] == [
        Membership(org_id, Role.MSP_ADMIN)
    ]
    org = await get_org(services.store, org_id) or {}
    assert org["kind"] == "msp"
    assert org["homeTenantIds"] == [tid]  # invitations to MSP roles are accepted from there


def test_permissions_prints_the_app_registrations_required_resource_access() -> None:
    out = _run("permissions", "--json")
    assert out.returncode == 0, out.stderr
    access = {api["resourceAppId"]: api["resourceAccess"] for api in json.loads(out.stdout)}
    assert {"id": APP_ROLE_IDS["Policy.Read.All"], "type": "Role"} in access[MICROSOFT_GRAPH_APP_ID]
    assert access[EXCHANGE_ONLINE_APP_ID] == [{"id": APP_ROLE_IDS["Exchange.ManageAsApp"], "type": "Role"}]
    # The write-capable SharePoint permission only when the MSP asks for it (docs/deploy.md).
    assert SHAREPOINT_ONLINE_APP_ID not in access
    optional = _run("permissions", "--json", "--with-optional")
    assert optional.returncode == 0, optional.stderr
    with_it = {api["resourceAppId"]: api["resourceAccess"] for api in json.loads(optional.stdout)}
    role = SHAREPOINT_ROLE_IDS["Sites.FullControl.All"]
    assert with_it[SHAREPOINT_ONLINE_APP_ID] == [{"id": role, "type": "Role"}]
