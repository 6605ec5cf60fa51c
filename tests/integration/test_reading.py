"""Verdicts that hold on real tenants, against the Graph simulator: first each new simulator behaviour
over HTTPS as a client sees it, then scans through the real msgraph-sdk request path, the real store
and the real queue handler."""

from __future__ import annotations

import json
import ssl
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from core.bootstrap import Services
from core.checks.catalogue import CATALOGUE
from core.collect.connection import open_connection
from core.collect.exchange import SYSTEM_MAILBOX, exchange_headers, read_exchange_source
from core.collect.sources import EXCHANGE_SOURCES, P1, graph_source
from core.customers import ConnectionState, get_customer, register_customer
from core.scan.requests import ScanRequest
from core.scan.service import handle_scan_request
from core.settings import Settings
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant
from tests.integration.test_graphsim import EXCHANGE, GRAPH, entra_error, get, graph_error, token
from tests.world import tenant_data

SIGN_INS = graph_source("user_sign_ins").path
REGISTRATION = graph_source("user_registration_details").path
CA = graph_source("conditional_access_policies").path


@pytest.fixture
def http(graphsim: GraphSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(verify=ssl.create_default_context(cafile=str(graphsim.ca_cert)), timeout=30) as client:
        yield client


@pytest.fixture
def loaded(graphsim: GraphSimulator) -> Iterator[list[str]]:
    """Tenants a test loads; their faults are cleared afterwards."""
    tenants: list[str] = []
    yield tenants
    for tenant_id in tenants:
        graphsim.clear_faults(tenant_id)


def load(graphsim: GraphSimulator, loaded: list[str], **changes: Any) -> str:
    """A fresh mixed-posture tenant (Microsoft 365 Business Premium: Entra ID P1, no P2)."""
    fixture = synthetic_tenant(30, seed=uuid.uuid4().int % 100_000, posture="mixed")
    fixture.update(changes)
    loaded.append(graphsim.load_tenant(fixture))
    return loaded[-1]


def invoke(http: httpx.Client, graphsim: GraphSimulator, tenant: str, **headers: str) -> httpx.Response:
    body = {"CmdletInput": {"CmdletName": "Get-TransportConfig", "Parameters": {}}}
    auth = {"Authorization": f"Bearer {token(http, graphsim, tenant, EXCHANGE)}", **headers}
    return http.post(f"{graphsim.exchange_url}/adminapi/beta/{tenant}/InvokeCommand", json=body, headers=auth)


# -- the simulator's new answers -------------------------------------------------------------------


def test_a_missing_audit_log_permission_is_refused_by_name(
    http: httpx.Client, graphsim: GraphSimulator, loaded: list[str]
) -> None:
    tenant = load(graphsim, loaded)
    graphsim.set_faults(tenant, removed_permissions=["AuditLog.Read.All"])
    token(http, graphsim, tenant, fresh=True)
    for path in (SIGN_INS, REGISTRATION):
        error = graph_error(get(http, graphsim, tenant, path), 403, "Authentication_MSGraphPermissionMissing")
        assert (
            error["message"]
            == "Calling principal does not have required MSGraph permissions AuditLog.Read.All"
        )
    assert get(http, graphsim, tenant, graph_source("users").path).status_code == 200


def test_the_licence_check_can_refuse_a_tenant_that_holds_the_licence(
    http: httpx.Client, graphsim: GraphSimulator, loaded: list[str]
) -> None:
    tenant = load(graphsim, loaded)
    graphsim.set_faults(tenant, licence_check_fails=True)
    for path in (SIGN_INS, REGISTRATION):
        graph_error(
            get(http, graphsim, tenant, path), 403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
        )
    assert get(http, graphsim, tenant, CA).status_code == 200  # only the documented reads are affected
    skus = get(http, graphsim, tenant, "/subscribedSkus").json()["value"]
    assert {p["servicePlanName"]: p["provisioningStatus"] for s in skus for p in s["servicePlans"]}[
        P1
    ] == "Success"


def test_sharepoint_settings_in_the_shape_microsoft_learn_shows(
    http: httpx.Client, graphsim: GraphSimulator, loaded: list[str]
) -> None:
    tenant = load(graphsim, loaded)
    plain = get(http, graphsim, tenant, "/admin/sharepoint/settings").json()
    graphsim.set_faults(tenant, sharepoint_settings_wrapped=True)
    wrapped = get(http, graphsim, tenant, "/admin/sharepoint/settings").json()
    assert set(wrapped) == {"value"}
    assert wrapped["value"]["@odata.type"] == "#microsoft.graph.sharepointSettings"
    assert wrapped["value"]["sharingCapability"] == plain["sharingCapability"]


def test_invoke_command_refuses_a_call_without_the_anchor_mailbox(
    http: httpx.Client, graphsim: GraphSimulator, loaded: list[str]
) -> None:
    tenant = load(graphsim, loaded)
    for headers in ({}, {"X-AnchorMailbox": f"APP:{SYSTEM_MAILBOX}@{uuid.uuid4()}"}):
        refused = invoke(http, graphsim, tenant, **headers)
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert error["message"].startswith("Cmdlet needs proxy. Required Server FQDN: ")
        assert error["innererror"]["type"].endswith("CmdletProxyNotAvailableException")
    assert invoke(http, graphsim, tenant, **exchange_headers(tenant)).status_code == 200
    initial = f"UPN:{SYSTEM_MAILBOX}@{graphsim_initial_domain(http, graphsim, tenant)}"
    assert invoke(http, graphsim, tenant, **{"X-AnchorMailbox": initial}).status_code == 200
    graphsim.set_faults(tenant, exchange_proxy_errors=2)
    statuses = [invoke(http, graphsim, tenant, **exchange_headers(tenant)).status_code for _ in range(3)]
    assert statuses == [400, 400, 200]


def graphsim_initial_domain(http: httpx.Client, graphsim: GraphSimulator, tenant: str) -> str:
    domains = get(http, graphsim, tenant, "/domains").json()["value"]
    return str(next(d["id"] for d in domains if d["isInitial"]))


def test_a_tenant_without_exchange_online_refuses_exchange_tokens_only(
    http: httpx.Client, graphsim: GraphSimulator, loaded: list[str]
) -> None:
    tenant = load(graphsim, loaded, exchangeOnline=False)
    form = {"grant_type": "client_credentials", "client_id": graphsim.client_id, "scope": EXCHANGE}
    form["client_secret"] = graphsim.client_secret
    refused = http.post(f"{graphsim.authority}/{tenant}/oauth2/v2.0/token", data=form)
    body = entra_error(refused, 400, "invalid_resource", 500011)
    assert (
        "The resource principal named https://outlook.office365.com was not found"
        in body["error_description"]
    )
    assert token(http, graphsim, tenant, GRAPH)


# -- scans through the product's request path --------------------------------------------------------


@pytest.fixture
async def customer(graphsim: GraphSimulator, scan_services: Services, loaded: list[str]) -> dict[str, Any]:
    """Registers a tenant the test loads (by calling the returned `add`) as a connected customer."""
    org_id = f"org-reading-{uuid.uuid4().hex[:8]}"

    async def add(**changes: Any) -> str:
        tenant_id = load(graphsim, loaded, **changes)
        await register_customer(
            scan_services.store.org(org_id),
            tenant_id=tenant_id,
            display_name="Reading test",
            primary_domain=f"{tenant_id[:8]}.example",
            connected=True,
        )
        return tenant_id

    return {"org_id": org_id, "add": add}


async def scan(services: Services, org_id: str, tenant_id: str) -> tuple[str, dict[str, dict[str, Any]]]:
    request_id = f"r-{uuid.uuid4().hex[:8]}"
    request = ScanRequest(org_id=org_id, tenant_id=tenant_id, request_id=request_id, reason="manual")
    outcome = await handle_scan_request(services, json.dumps(request.to_message()))
    documents = await (await tenant_data(services, tenant_id)).query_all("c.type = @t", {"@t": "finding"})
    return outcome, {d["checkId"]: d for d in documents}


def reading(*sources: str) -> set[str]:
    return {c.id for c in CATALOGUE if set(sources) & set(c.metadata.sources)}


async def test_a_missing_permission_is_an_error_naming_it_never_not_applicable(
    customer: dict[str, Any], scan_services: Services, graphsim: GraphSimulator
) -> None:
    tenant = await customer["add"]()
    graphsim.set_faults(tenant, removed_permissions=["AuditLog.Read.All", "Policy.Read.All"])
    outcome, findings = await scan(scan_services, customer["org_id"], tenant)
    assert outcome.startswith("completed"), outcome
    for check_id in reading("user_sign_ins", "user_registration_details"):
        assert findings[check_id]["status"] == "error", findings[check_id]
        assert "AuditLog.Read.All" in findings[check_id]["summary"]
    for check_id in reading("conditional_access_policies"):
        assert findings[check_id]["status"] == "error", findings[check_id]
        assert "Policy.Read.All" in findings[check_id]["summary"]
    # Checks that fall back to Conditional Access when security defaults are off never conclude
    # "no licence" from a refusal.
    assert not [f for f in findings.values() if "no Conditional Access licence" in f["summary"]]


async def test_a_licence_refusal_the_subscriptions_contradict_is_an_error(
    customer: dict[str, Any], scan_services: Services, graphsim: GraphSimulator
) -> None:
    tenant = await customer["add"]()
    graphsim.set_faults(tenant, licence_check_fails=True)
    outcome, findings = await scan(scan_services, customer["org_id"], tenant)
    assert outcome.startswith("completed"), outcome
    affected = reading("user_sign_ins", "user_registration_details")
    assert affected
    for check_id in affected:
        assert findings[check_id]["status"] == "error", findings[check_id]
        assert "active AAD_PREMIUM plan" in findings[check_id]["summary"]
    graphsim.set_faults(tenant, licence_check_fails=None, missing_licences=["AAD_PREMIUM", "AAD_PREMIUM_P2"])
    _, unlicensed = await scan(scan_services, customer["org_id"], tenant)
    for check_id in affected:
        assert unlicensed[check_id]["status"] == "not_applicable", unlicensed[check_id]
        assert "no active AAD_PREMIUM plan" in unlicensed[check_id]["summary"]


async def test_a_tenant_without_exchange_online_stays_connected(
    customer: dict[str, Any], scan_services: Services, graphsim: GraphSimulator
) -> None:
    tenant = await customer["add"](exchangeOnline=False)
    graphsim.reset_request_log(tenant)
    outcome, findings = await scan(scan_services, customer["org_id"], tenant)
    assert outcome.startswith("completed"), outcome
    record, _ = await get_customer(scan_services.store.org(customer["org_id"]), tenant)
    assert record.connection.state is ConnectionState.CONNECTED
    exchange_checks = reading(*(s.name for s in EXCHANGE_SOURCES))
    assert exchange_checks
    for check_id in exchange_checks:
        assert findings[check_id]["status"] == "error", findings[check_id]
        assert "AADSTS500011" in findings[check_id]["summary"]
    assert not [e for e in graphsim.request_log(tenant) if "InvokeCommand" in e["path"]]
    others = [f for c, f in findings.items() if c not in exchange_checks and f["status"] == "error"]
    assert not others, others


async def test_exchange_proxy_refusals_are_retried_then_reported(
    customer: dict[str, Any], scan_services: Services, graphsim: GraphSimulator
) -> None:
    tenant = await customer["add"]()
    graphsim.set_faults(tenant, exchange_proxy_errors=3)
    graphsim.reset_request_log(tenant)
    outcome, findings = await scan(scan_services, customer["org_id"], tenant)
    assert outcome.startswith("completed"), outcome
    exchange_checks = reading(*(s.name for s in EXCHANGE_SOURCES))
    assert all(findings[c]["status"] != "error" for c in exchange_checks), [
        findings[c] for c in exchange_checks
    ]
    calls = [e["status"] for e in graphsim.request_log(tenant) if "InvokeCommand" in e["path"]]
    assert calls.count(400) == 3 and calls.count(200) >= len(EXCHANGE_SOURCES)

    graphsim.set_faults(tenant, exchange_proxy_errors=10_000)
    outcome, findings = await scan(scan_services, customer["org_id"], tenant)
    assert outcome.startswith("completed"), outcome
    for check_id in exchange_checks:
        assert findings[check_id]["status"] == "error", findings[check_id]
        assert "could not route" in findings[check_id]["summary"]


async def test_sharepoint_settings_wrapped_or_not_give_the_same_verdicts(
    customer: dict[str, Any], scan_services: Services, graphsim: GraphSimulator
) -> None:
    tenant = await customer["add"]()
    sharepoint = reading("sharepoint_settings")
    _, plain = await scan(scan_services, customer["org_id"], tenant)
    graphsim.set_faults(tenant, sharepoint_settings_wrapped=True)
    _, wrapped = await scan(scan_services, customer["org_id"], tenant)
    assert {c: wrapped[c]["status"] for c in sharepoint} == {c: plain[c]["status"] for c in sharepoint}
    assert all(plain[c]["status"] != "error" for c in sharepoint)

    settings = synthetic_tenant(30, seed=1, posture="mixed")["sharepointSettings"]
    settings.pop("sharingCapability")
    broken = await customer["add"](sharepointSettings=settings)
    _, findings = await scan(scan_services, customer["org_id"], broken)
    for check_id in sharepoint:
        assert findings[check_id]["status"] == "error", findings[check_id]
        assert "sharingCapability" in findings[check_id]["summary"]


async def test_exchange_pages_are_fetched_by_posting_again(
    scan_settings: Settings, graphsim: GraphSimulator, loaded: list[str]
) -> None:
    fixture = synthetic_tenant(1_150, seed=11, posture="mixed")
    loaded.append(tenant := graphsim.load_tenant(fixture))
    graphsim.reset_request_log(tenant)
    connection = open_connection(scan_settings, tenant)
    try:
        assert await connection.exchange_token_refusal() is None
        source = next(s for s in EXCHANGE_SOURCES if s.cmdlet == "Get-Mailbox")
        rows = await read_exchange_source(connection.exchange, connection.exchange_base_url, tenant, source)
    finally:
        await connection.close()
    mailboxes = [u for u in fixture["users"] if u.get("mailbox")]
    assert len(rows) == len(mailboxes) > 1_000
    assert len({r["UserPrincipalName"] for r in rows}) == len(rows)
    posts = [e["path"] for e in graphsim.request_log(tenant) if "InvokeCommand" in e["path"]]
    assert len(posts) == 2 and "$skiptoken=" in posts[1]


async def test_defender_checks_follow_the_tenants_own_defender_plan(
    customer: dict[str, Any], scan_services: Services, graphsim: GraphSimulator
) -> None:
    # A Business Premium tenant holds Defender for Office 365 Plan 1 (ATP_ENTERPRISE): every
    # Defender check is judged, and each names the policy that decided.
    tenant = await customer["add"]()
    outcome, findings = await scan(scan_services, customer["org_id"], tenant)
    assert outcome.startswith("completed"), outcome
    defender = {c: f for c, f in findings.items() if c.startswith("defender.")}
    assert len(defender) >= 10
    plan_two = {c.id for c in CATALOGUE if c.metadata.licence == "THREAT_INTELLIGENCE"}
    assert plan_two and all(defender[c]["status"] == "not_applicable" for c in plan_two)
    assert {f["status"] for c, f in defender.items() if c not in plan_two} <= {"pass", "fail"}, defender
    assert "Built-in protection" in json.dumps(defender["defender.safe_links"]["evidence"])
    # Without the plan Exchange does not know the Defender cmdlets: those checks are not applicable,
    # the Exchange Online Protection ones are still judged.
    graphsim.set_faults(tenant, missing_licences=["ATP_ENTERPRISE"])
    _, unlicensed = await scan(scan_services, customer["org_id"], tenant)
    plan_one = {c.id for c in CATALOGUE if c.metadata.licence == "ATP_ENTERPRISE"}
    assert plan_one
    for check_id in plan_one | plan_two:
        assert unlicensed[check_id]["status"] == "not_applicable", unlicensed[check_id]
        assert "not licensed" in unlicensed[check_id]["summary"], unlicensed[check_id]
    for check_id in set(defender) - plan_one - plan_two:
        assert unlicensed[check_id]["status"] in ("pass", "fail"), unlicensed[check_id]


def test_an_unlicensed_defender_cmdlet_is_unknown_to_exchange(
    http: httpx.Client, graphsim: GraphSimulator, loaded: list[str]
) -> None:
    tenant = load(graphsim, loaded)
    auth = {
        "Authorization": f"Bearer {token(http, graphsim, tenant, EXCHANGE)}",
        **exchange_headers(tenant),
    }
    url = f"{graphsim.exchange_url}/adminapi/beta/{tenant}/InvokeCommand"
    body = {"CmdletInput": {"CmdletName": "Get-SafeLinksPolicy", "Parameters": {}}}
    answer = http.post(url, json=body, headers=auth)
    assert answer.status_code == 200
    assert answer.json()["@odata.context"].endswith("Collection(Exchange.GenericHashTable)")
    graphsim.set_faults(tenant, missing_licences=["ATP_ENTERPRISE"])
    refused = http.post(url, json=body, headers=auth)
    assert refused.status_code == 400
    assert "is not recognized as a name of a cmdlet" in refused.json()["error"]["message"]
    eop = {"CmdletInput": {"CmdletName": "Get-HostedContentFilterPolicy", "Parameters": {}}}
    assert http.post(url, json=eop, headers=auth).status_code == 200
