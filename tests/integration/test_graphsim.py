"""The Graph simulator over real HTTPS (and UDP DNS): Entra tokens, Graph, Exchange, faults, DNS,
admin consent, mail, and the real azure-identity credentials the product uses."""

from __future__ import annotations

import base64
import os
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dns.asyncresolver
import dns.resolver
import httpx
import jwt
import pytest

from core.collect.exchange import exchange_headers
from core.collect.sources import DEFENDER_P1, EXCHANGE_SOURCES, GRAPH_SOURCES, P1, P2
from devtools.graphsim.compliance import region
from devtools.graphsim.graph_endpoints import unserved_sources
from devtools.graphsim.launcher import GraphSimulator, start_graph_simulator
from devtools.graphsim.synthetic import synthetic_tenant
from devtools.processes import port_open

CONTOSO = "babd5d49-1067-4712-813b-d4f179d61913"  # weak, no P1
NORTHWIND = "10e36c9e-9dda-40fb-ab2f-b1889571e188"  # mixed, P1
FABRIKAM = "fb716fe6-4338-4787-a12c-a6bde4eb4568"  # strong, P2
GRAPH = "https://graph.microsoft.com/.default"
EXCHANGE = "https://outlook.office365.com/.default"
SIGN_INS = next(s for s in GRAPH_SOURCES if s.name == "user_sign_ins")
USERS = next(s for s in GRAPH_SOURCES if s.name == "users")


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphSimulator]:
    simulator = start_graph_simulator(tmp_path_factory.mktemp("graphsim"))
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def http(sim: GraphSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(verify=ssl.create_default_context(cafile=str(sim.ca_cert)), timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def big_tenant(sim: GraphSimulator) -> str:
    """1,500 users: more than one page of 999 and many pages of 120 (signInActivity)."""
    return sim.load_synthetic_tenant(1500, seed=7, posture="mixed")


@pytest.fixture(autouse=True)
def no_faults_left(sim: GraphSimulator) -> Iterator[None]:
    yield
    current = sim.faults()
    for tenant_id in current["tenants"]:
        sim.clear_faults(tenant_id)
    sim.clear_faults(None)
    _TOKENS.clear()


def token_response(
    http: httpx.Client, sim: GraphSimulator, tenant: str, scope: str = GRAPH, **form: str
) -> httpx.Response:
    data = {
        "grant_type": "client_credentials",
        "client_id": sim.client_id,
        "client_secret": sim.client_secret,
    }
    data.update(scope=scope, **form)
    return http.post(f"{sim.authority}/{tenant}/oauth2/v2.0/token", data=data)


_TOKENS: dict[tuple[str, str, str], str] = {}


def token(
    http: httpx.Client, sim: GraphSimulator, tenant: str, scope: str = GRAPH, *, fresh: bool = False
) -> str:
    """A token as a client would cache it (per simulator process, tenant and resource)."""
    key = (sim.base_url, tenant, scope)
    if fresh or key not in _TOKENS:
        response = token_response(http, sim, tenant, scope)
        assert response.status_code == 200, response.text
        _TOKENS[key] = str(response.json()["access_token"])
    return _TOKENS[key]


def get(http: httpx.Client, sim: GraphSimulator, tenant: str, path: str, **headers: str) -> httpx.Response:
    url = path if path.startswith("https://") else sim.graph_url + path
    return http.get(url, headers={"Authorization": f"Bearer {token(http, sim, tenant)}", **headers})


def read_all(http: httpx.Client, sim: GraphSimulator, tenant: str, path: str) -> list[httpx.Response]:
    pages = [get(http, sim, tenant, path)]
    while pages[-1].status_code == 200 and "@odata.nextLink" in pages[-1].json():
        pages.append(get(http, sim, tenant, pages[-1].json()["@odata.nextLink"]))
    return pages


def invoke(
    http: httpx.Client,
    sim: GraphSimulator,
    tenant: str,
    cmdlet: str,
    bearer: str | None = None,
    **params: Any,
) -> httpx.Response:
    body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": params}}
    bearer = bearer or token(http, sim, tenant, EXCHANGE)
    auth = {"Authorization": f"Bearer {bearer}", **exchange_headers(tenant)}
    return http.post(f"{sim.exchange_url}/adminapi/beta/{tenant}/InvokeCommand", json=body, headers=auth)


def invoke_compliance(http: httpx.Client, sim: GraphSimulator, tenant: str, cmdlet: str) -> httpx.Response:
    """The same call on the Security & Compliance endpoint, with a token for its own resource."""
    body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": {}}}
    bearer = token(http, sim, tenant, "https://ps.compliance.protection.outlook.com/.default")
    auth = {"Authorization": f"Bearer {bearer}", **exchange_headers(tenant)}
    regional = f"{sim.compliance_url}/{region(tenant)}"
    return http.post(f"{regional}/adminapi/beta/{tenant}/InvokeCommand", json=body, headers=auth)


def graph_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    assert response.headers["request-id"] == error["innerError"]["request-id"]
    return dict(error)


def entra_error(response: httpx.Response, status: int, error: str, code: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error and body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    for part in ("Trace ID: ", "Correlation ID: ", "Timestamp: "):
        assert part in body["error_description"]
    assert {"timestamp", "trace_id", "correlation_id", "error_uri"} <= set(body)
    return dict(body)


# -- lifecycle and contract ---------------------------------------------------------------------


def test_starts_and_stops_leaving_nothing_behind(tmp_path: Path) -> None:
    other = start_graph_simulator(tmp_path, demo_tenants=False)
    pid, port = other.process.pid, other.port
    assert port_open(port) and other.tenants() == []
    assert set(other.env()) == {
        "GRAPH_BASE_URL", "EXCHANGE_BASE_URL", "COMPLIANCE_BASE_URL", "SHAREPOINT_ADMIN_URL",
        "TEAMS_BASE_URL", "AUTHORITY_HOST", "GRAPH_CA_CERT", "APP_CLIENT_ID", "APP_CLIENT_SECRET",
        "APP_CERTIFICATE_PATH", "DNS_NAMESERVERS", "MAILER_TENANT_ID", "MAILER_CLIENT_ID",
        "MAILER_CLIENT_SECRET", "MAIL_SENDER",
    }  # fmt: skip
    other.stop()
    assert not port_open(port)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not (tmp_path / "graphsim/pids.json").exists()


def test_every_source_has_an_endpoint() -> None:
    assert unserved_sources() == []


def test_demo_tenants_are_the_four_customers(sim: GraphSimulator) -> None:
    names = {t["displayName"]: t for t in sim.demo_tenants()}
    assert set(names) == {"Contoso Dental", "Northwind Logistics", "Fabrikam Legal", "Tailwind Traders"}
    assert names["Contoso Dental"] == {
        "id": CONTOSO,
        "displayName": "Contoso Dental",
        "defaultDomain": "contoso-dental.example",
    }


LICENCES = {CONTOSO: set(), NORTHWIND: {P1}, FABRIKAM: {P1, P2}}


@pytest.mark.parametrize("tenant", [CONTOSO, NORTHWIND, FABRIKAM])
def test_every_source_is_served_for_each_demo_tenant(
    http: httpx.Client, sim: GraphSimulator, tenant: str
) -> None:
    for source in GRAPH_SOURCES:
        pages = read_all(http, sim, tenant, source.url(sim.graph_url))
        if source.licence is None or source.licence in LICENCES[tenant]:
            assert all(p.status_code == 200 for p in pages), (source.name, pages[-1].text)
            assert "@odata.context" in pages[0].json()
        else:
            code = "AadPremiumLicenseRequired" if source.licence == P2 else (
                "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
            )  # fmt: skip
            graph_error(pages[0], 400 if source.licence == P2 else 403, code)
    for source in EXCHANGE_SOURCES:
        if source.endpoint == "compliance":
            response = invoke_compliance(http, sim, tenant, source.cmdlet)
        else:
            response = invoke(http, sim, tenant, source.cmdlet, **source.parameters)
        if source.licence == DEFENDER_P1 and tenant == CONTOSO:
            # Business Standard has no Defender for Office 365: Exchange does not know its cmdlets.
            assert response.status_code == 400, (source.cmdlet, response.text)
            assert "is not recognized as a name of a cmdlet" in response.json()["error"]["message"]
            continue
        assert response.status_code == 200, (source.cmdlet, response.text)
        # A tenant without custom threat policies has no rules: an empty collection, as Exchange
        # answers; only a tenant with Audit (Premium) or DLP has retention or DLP policies of its own.
        assert (
            response.json()["value"]
            or source.cmdlet.endswith("Rule")
            or source.cmdlet
            in (
                "Get-UnifiedAuditLogRetentionPolicy",
                "Get-DlpCompliancePolicy",
            )
        ), source.cmdlet


# -- tokens -------------------------------------------------------------------------------------


def test_token_carries_tenant_audience_app_and_roles(http: httpx.Client, sim: GraphSimulator) -> None:
    body = token_response(http, sim, NORTHWIND).json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599 and body["ext_expires_in"] == 3599
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["tid"] == NORTHWIND and claims["aud"] == "https://graph.microsoft.com"
    assert claims["appid"] == sim.client_id and "Policy.Read.All" in claims["roles"]
    assert "Exchange.ManageAsApp" not in claims["roles"] and claims["exp"] > time.time()
    exchange = jwt.decode(token(http, sim, NORTHWIND, EXCHANGE), options={"verify_signature": False})
    assert exchange["aud"] == "https://outlook.office365.com" and exchange["roles"] == [
        "Exchange.ManageAsApp"
    ]
    by_domain = token_response(http, sim, "northwind-logistics.example")
    assert by_domain.status_code == 200


@pytest.mark.parametrize(
    ("tenant", "form", "status", "error", "code"),
    [
        (NORTHWIND, {"client_secret": "wrong"}, 401, "invalid_client", 7000215),
        ("00000000-0000-0000-0000-00000000dead", {}, 400, "invalid_request", 90002),
        (
            NORTHWIND,
            {"client_id": "11111111-2222-3333-4444-555555555555"},
            400,
            "unauthorized_client",
            700016,
        ),
        (NORTHWIND, {"client_secret": ""}, 401, "invalid_client", 7000218),
        (NORTHWIND, {"scope": "https://graph.microsoft.com/User.Read.All"}, 400, "invalid_scope", 1002012),
        (NORTHWIND, {"scope": "https://vault.azure.net/.default"}, 400, "invalid_resource", 500011),
        (NORTHWIND, {"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
    ],
)
def test_token_errors(
    http: httpx.Client,
    sim: GraphSimulator,
    tenant: str,
    form: dict[str, str],
    status: int,
    error: str,
    code: int,
) -> None:
    entra_error(token_response(http, sim, tenant, **form), status, error, code)


def test_revoked_consent(http: httpx.Client, sim: GraphSimulator) -> None:
    earlier = token(http, sim, FABRIKAM)
    sim.set_faults(FABRIKAM, revoked_consent="AADSTS7000229")
    body = entra_error(token_response(http, sim, FABRIKAM), 401, "invalid_client", 7000229)
    assert "missing service principal in the tenant" in body["error_description"]
    refused = http.get(sim.graph_url + "/domains", headers={"Authorization": f"Bearer {earlier}"})
    graph_error(refused, 401, "Authorization_IdentityNotFound")
    sim.set_faults(FABRIKAM, revoked_consent="AADSTS700016")
    body = entra_error(token_response(http, sim, FABRIKAM), 400, "unauthorized_client", 700016)
    assert "was not found in the directory" in body["error_description"]
    sim.clear_faults(FABRIKAM)
    assert token_response(http, sim, FABRIKAM).status_code == 200


def test_never_consented_tenant(http: httpx.Client, sim: GraphSimulator) -> None:
    tenant = sim.load_tenant(
        {**synthetic_tenant(5, seed=3, posture="weak"), "displayName": "Not Yet A Customer"}
    )
    try:
        sim.set_consent(tenant, "none")
        entra_error(token_response(http, sim, tenant), 401, "invalid_client", 7000229)
        sim.set_consent(tenant, "granted")
        assert token_response(http, sim, tenant).status_code == 200
    finally:
        sim.remove_tenant(tenant)


# -- Graph --------------------------------------------------------------------------------------


def test_paging_follows_next_links_across_pages(
    http: httpx.Client, sim: GraphSimulator, big_tenant: str
) -> None:
    pages = read_all(http, sim, big_tenant, USERS.path)
    assert [len(p.json()["value"]) for p in pages] == [999, 501]
    next_link = urlsplit(pages[0].json()["@odata.nextLink"])
    assert f"{next_link.scheme}://{next_link.netloc}" == sim.base_url and next_link.path == "/v1.0/users"
    query = parse_qs(next_link.query)
    assert query["$top"] == ["999"] and query["$skiptoken"] and "@odata.nextLink" not in pages[-1].json()
    ids = [u["id"] for p in pages for u in p.json()["value"]]
    assert len(ids) == len(set(ids)) == 1500


def test_select_is_honoured(http: httpx.Client, sim: GraphSimulator) -> None:
    page = get(http, sim, NORTHWIND, "/users?$select=displayName,accountEnabled&$top=5").json()
    assert (
        page["@odata.context"]
        == "https://graph.microsoft.com/v1.0/$metadata#users(id,displayName,accountEnabled)"
    )
    assert all(set(u) == {"id", "displayName", "accountEnabled"} for u in page["value"])
    default = get(http, sim, NORTHWIND, "/users?$top=5").json()["value"][0]
    assert "userPrincipalName" in default and "accountEnabled" not in default
    skus = get(http, sim, CONTOSO, "/subscribedSkus?$select=skuPartNumber").json()["value"]
    assert skus == [{"id": skus[0]["id"], "skuPartNumber": "O365_BUSINESS_PREMIUM"}]


def test_sign_in_activity_pages_hold_at_most_500_users_and_a_larger_top_is_refused(
    http: httpx.Client, sim: GraphSimulator, big_tenant: str
) -> None:
    pages = read_all(http, sim, big_tenant, SIGN_INS.path)
    assert "$top=500" in SIGN_INS.path
    assert [len(p.json()["value"]) for p in pages] == [500, 500, 500]
    user = pages[0].json()["value"][0]
    assert set(user) == {"id", "userType", "accountEnabled", "signInActivity"}
    assert pages[0].json()["@odata.context"].endswith("#users(id,userType,accountEnabled,signInActivity)")
    refused = get(http, sim, big_tenant, SIGN_INS.path.replace("$top=500", "$top=501"))
    assert refused.status_code == 400
    assert refused.json() == {
        "@odata.context": "http://reportingservice.activedirectory.windowsazure.com/auditLogs/$metadata#Edm.String",
        "value": "Cannot query data for more than 500 users at a time.",
    }
    assert [
        len(p.json()["value"])
        for p in read_all(http, sim, big_tenant, SIGN_INS.path.replace("&$top=500", ""))
    ] == [100] * 15


def test_graph_error_bodies(http: httpx.Client, sim: GraphSimulator) -> None:
    response = get(
        http, sim, NORTHWIND, "/users?$filter=accountEnabled eq true", **{"client-request-id": "abc-1"}
    )
    error = graph_error(response, 400, "Request_BadRequest")
    assert error["message"] == "Unrecognized query argument specified: '$filter'."
    assert response.headers["client-request-id"] == error["innerError"]["client-request-id"] == "abc-1"
    error = graph_error(get(http, sim, NORTHWIND, "/users?$select=shoeSize"), 400, "Request_BadRequest")
    assert error["message"] == "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'."
    graph_error(get(http, sim, NORTHWIND, "/users?$top=1000"), 400, "Request_BadRequest")
    graph_error(get(http, sim, NORTHWIND, "/users?$skiptoken=bogus"), 400, "Request_BadRequest")
    graph_error(get(http, sim, NORTHWIND, "/devices"), 400, "BadRequest")
    graph_error(http.get(sim.graph_url + "/domains"), 401, "InvalidAuthenticationToken")
    graph_error(
        http.get(sim.graph_url + "/domains", headers={"Authorization": "Bearer x.y.z"}),
        401,
        "InvalidAuthenticationToken",
    )
    exchange_token = token(http, sim, NORTHWIND, EXCHANGE)
    wrong = http.get(sim.graph_url + "/domains", headers={"Authorization": f"Bearer {exchange_token}"})
    assert "Invalid audience" in graph_error(wrong, 401, "InvalidAuthenticationToken")["message"]


def test_licence_errors_and_subscribed_skus(http: httpx.Client, sim: GraphSimulator) -> None:
    plans = {
        p["servicePlanName"]
        for s in get(http, sim, CONTOSO, "/subscribedSkus").json()["value"]
        for p in s["servicePlans"]
    }
    assert P1 not in plans
    error = graph_error(
        get(http, sim, CONTOSO, SIGN_INS.path), 403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    )
    assert error["message"] == "Neither tenant is B2C or tenant doesn't have premium license"
    graph_error(
        get(http, sim, CONTOSO, "/identity/conditionalAccess/policies"),
        403,
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
    )
    graph_error(
        get(http, sim, NORTHWIND, "/roleManagement/directory/roleEligibilitySchedules?$expand=principal"),
        400,
        "AadPremiumLicenseRequired",
    )
    sim.set_faults(FABRIKAM, missing_licences=[P2])
    graph_error(
        get(http, sim, FABRIKAM, "/roleManagement/directory/roleAssignmentSchedules?$expand=principal"),
        400,
        "AadPremiumLicenseRequired",
    )
    assert get(http, sim, FABRIKAM, SIGN_INS.path).status_code == 200
    sim.set_faults(FABRIKAM, missing_licences=[P1, P2])
    graph_error(
        get(http, sim, FABRIKAM, SIGN_INS.path), 403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    )
    skus = get(http, sim, FABRIKAM, "/subscribedSkus").json()["value"]
    status = {p["servicePlanName"]: p["provisioningStatus"] for s in skus for p in s["servicePlans"]}
    assert status[P1] == status[P2] == "Disabled" and status["EXCHANGE_S_ENTERPRISE"] == "Success"


def test_removed_permission(http: httpx.Client, sim: GraphSimulator) -> None:
    sim.set_faults(NORTHWIND, removed_permissions=["Policy.Read.All"])
    error = graph_error(
        get(http, sim, NORTHWIND, "/policies/authorizationPolicy"), 403, "Authorization_RequestDenied"
    )
    assert error["message"] == "Insufficient privileges to complete the operation."
    graph_error(get(http, sim, NORTHWIND, "/identity/conditionalAccess/policies"), 403, "AccessDenied")
    assert get(http, sim, NORTHWIND, "/domains").status_code == 200
    fresh = jwt.decode(token(http, sim, NORTHWIND, fresh=True), options={"verify_signature": False})
    assert "Policy.Read.All" not in fresh["roles"]
    grants = get(
        http, sim, NORTHWIND, next(s.path for s in GRAPH_SOURCES if s.name == "graph_app_role_grants")
    )
    ours = [g for g in grants.json()["value"] if g["principalDisplayName"] == "ScanPosture Scanner"]
    assert ours and "246dd0d5-5bd0-4def-940b-0421030a5b68" not in {g["appRoleId"] for g in ours}
    sim.set_faults(NORTHWIND, removed_permissions=["Exchange.ManageAsApp"])
    response = invoke(http, sim, NORTHWIND, "Get-TransportConfig")
    assert response.status_code == 401 and response.json()["error"]["code"] == "Unauthorized"
    sim.clear_faults(NORTHWIND)
    token(http, sim, NORTHWIND, fresh=True)  # the withdrawn role comes back with the next token
    assert get(http, sim, NORTHWIND, "/policies/authorizationPolicy").status_code == 200


# -- faults -------------------------------------------------------------------------------------


def test_latency_for_one_tenant_and_for_all(http: httpx.Client, sim: GraphSimulator) -> None:
    get(http, sim, FABRIKAM, "/domains")  # a token in hand, so only the Graph call is timed
    sim.set_faults(FABRIKAM, latency_ms=300)
    started = time.perf_counter()
    assert get(http, sim, FABRIKAM, "/domains").status_code == 200
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    get(http, sim, NORTHWIND, "/domains")
    assert time.perf_counter() - started < 0.3
    sim.set_faults(None, latency_ms=200)
    started = time.perf_counter()
    assert token_response(http, sim, NORTHWIND).status_code == 200
    assert time.perf_counter() - started >= 0.2


def test_throttling_for_the_next_k_requests(http: httpx.Client, sim: GraphSimulator) -> None:
    get(http, sim, NORTHWIND, "/domains")
    sim.set_faults(NORTHWIND, throttle=2, throttle_retry_after=3, throttle_path="/v1.0/users")
    assert get(http, sim, NORTHWIND, "/domains").status_code == 200
    for _ in range(2):
        response = get(http, sim, NORTHWIND, "/users?$top=1")
        assert graph_error(response, 429, "TooManyRequests")["message"].startswith("Too many requests")
        assert response.headers["Retry-After"] == "3"
    assert get(http, sim, NORTHWIND, "/users?$top=1").status_code == 200
    sim.set_faults(None, throttle=1)
    assert token_response(http, sim, CONTOSO).status_code == 429
    assert token_response(http, sim, CONTOSO).status_code == 200


def test_server_errors_on_a_chosen_endpoint(http: httpx.Client, sim: GraphSimulator) -> None:
    get(http, sim, FABRIKAM, "/domains")
    sim.set_faults(FABRIKAM, fail_status=503, fail_path="/v1.0/domains", fail_count=1)
    graph_error(get(http, sim, FABRIKAM, "/domains"), 503, "serviceNotAvailable")
    assert get(http, sim, FABRIKAM, "/domains").status_code == 200
    sim.set_faults(FABRIKAM, fail_status=504, fail_path="/v1.0/organization", fail_count=None)
    for _ in range(3):
        graph_error(get(http, sim, FABRIKAM, "/organization"), 504, "GatewayTimeout")
    sim.set_faults(FABRIKAM, fail_status=500, fail_path="exchange:Get-Mailbox")
    assert invoke(http, sim, FABRIKAM, "Get-Mailbox", ResultSize="Unlimited").status_code == 500
    assert invoke(http, sim, FABRIKAM, "Get-TransportConfig").status_code == 200
    sim.clear_faults(FABRIKAM)
    assert get(http, sim, FABRIKAM, "/organization").status_code == 200


def test_unknown_fault_keywords_are_refused(sim: GraphSimulator) -> None:
    with pytest.raises(Exception, match="unknown fault keyword"):
        sim.set_faults(None, latency=5)
    with pytest.raises(Exception, match="fail_status"):
        sim.set_faults(None, fail_status=418)


# -- Exchange -----------------------------------------------------------------------------------


def test_invoke_command_answers_with_the_cmdlet_output(http: httpx.Client, sim: GraphSimulator) -> None:
    body = invoke(http, sim, CONTOSO, "Get-TransportConfig").json()
    assert body["@odata.context"] == (
        f"https://outlook.office365.com/adminapi/beta/{CONTOSO}/$metadata#Collection(Exchange.GenericHashTable)"
    )
    assert body["value"][0]["SmtpClientAuthenticationDisabled"] is False
    spam = invoke(http, sim, CONTOSO, "Get-HostedOutboundSpamFilterPolicy").json()["value"]
    assert spam[0] | {"Name": "Default", "IsDefault": True, "AutoForwardingMode": "On"} == spam[0]
    boxes = invoke(http, sim, FABRIKAM, "Get-CASMailbox", ResultSize="Unlimited").json()["value"]
    assert {"PrimarySmtpAddress", "SmtpClientAuthenticationDisabled"} <= set(boxes[0])
    dkim = invoke(http, sim, FABRIKAM, "Get-DkimSigningConfig").json()["value"]
    assert {(d["Domain"], d["Enabled"], d["Status"]) for d in dkim} >= {
        ("fabrikam-legal.example", True, "Valid")
    }


def test_invoke_command_pages_with_next_links(http: httpx.Client, sim: GraphSimulator) -> None:
    bearer = token(http, sim, NORTHWIND, EXCHANGE)
    request = {"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {"ResultSize": "Unlimited"}}}
    headers = {**exchange_headers(NORTHWIND), "Authorization": f"Bearer {bearer}"}
    headers["Prefer"] = "odata.maxpagesize=100"
    url: str | None = f"{sim.exchange_url}/adminapi/beta/{NORTHWIND}/InvokeCommand"
    rows: list[dict[str, Any]] = []
    sizes = []
    while url:
        page = http.post(url, json=request, headers=headers).json()
        rows += page["value"]
        sizes.append(len(page["value"]))
        url = page.get("@odata.nextLink")
    assert sizes == [100, 100, len(rows) - 200] and len({r["UserPrincipalName"] for r in rows}) == len(rows)
    assert {"UserPrincipalName", "AuditEnabled", "RecipientTypeDetails"} <= set(rows[0])


def test_invoke_command_returns_only_the_selected_properties_on_every_page(
    http: httpx.Client, sim: GraphSimulator
) -> None:
    bearer = token(http, sim, NORTHWIND, EXCHANGE)
    request = {"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {"ResultSize": "Unlimited"}}}
    headers = {**exchange_headers(NORTHWIND), "Authorization": f"Bearer {bearer}"}
    headers["Prefer"] = "odata.maxpagesize=100"
    # Names match whatever their case; rows keep the property's own spelling.
    url: str | None = (
        f"{sim.exchange_url}/adminapi/beta/{NORTHWIND}/InvokeCommand?$select=userPrincipalName,AuditOwner"
    )
    pages = []
    while url:
        page = http.post(url, json=request, headers=headers).json()
        pages.append(page["value"])
        url = page.get("@odata.nextLink")
        assert url is None or "$select=userPrincipalName,AuditOwner" in url
    assert len(pages) >= 3
    assert all(set(row) == {"UserPrincipalName", "AuditOwner"} for page in pages for row in page)


def test_invoke_command_errors(http: httpx.Client, sim: GraphSimulator) -> None:
    unknown = invoke(http, sim, NORTHWIND, "Get-Nothing")
    assert (
        unknown.status_code == 400
        and "is not recognized as a name of a cmdlet" in unknown.json()["error"]["message"]
    )
    wrong_parameter = invoke(http, sim, NORTHWIND, "Get-TransportConfig", Verbose=True)
    assert wrong_parameter.status_code == 400
    graph_token = invoke(http, sim, NORTHWIND, "Get-TransportConfig", bearer=token(http, sim, NORTHWIND))
    assert graph_token.status_code == 401
    other_tenant = invoke(
        http, sim, NORTHWIND, "Get-TransportConfig", bearer=token(http, sim, CONTOSO, EXCHANGE)
    )
    assert other_tenant.status_code == 401
    no_body = http.post(
        f"{sim.exchange_url}/adminapi/beta/{NORTHWIND}/InvokeCommand",
        content=b"{}",
        headers={"Authorization": f"Bearer {token(http, sim, NORTHWIND, EXCHANGE)}"},
    )
    assert no_body.status_code == 400
    error = unknown.json()["error"]
    assert error["innererror"]["type"] == "Microsoft.Exchange.Admin.OData.Core.ODataServiceException"


# -- DNS ----------------------------------------------------------------------------------------


async def test_dns_answers_from_the_fixtures(sim: GraphSimulator) -> None:
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = sim.dns_port

    async def txt(name: str) -> list[str]:
        answer = await resolver.resolve(name, "TXT")
        return [b"".join(r.strings).decode() for r in answer]

    assert any(t.startswith("v=spf1") and t.endswith("~all") for t in await txt("contoso-dental.example"))
    assert await txt("_dmarc.northwind-logistics.example") == [
        "v=DMARC1; p=none; rua=mailto:dmarc@northwind-logistics.example"
    ]
    assert (await txt("_dmarc.fabrikam-legal.example"))[0].startswith("v=DMARC1; p=reject")
    cname = await resolver.resolve("selector1._domainkey.fabrikam-legal.example", "CNAME")
    assert (
        cname[0].target.to_text()
        == "selector1-fabrikam-legal-example._domainkey.fabrikamlegal.onmicrosoft.com."
    )
    with pytest.raises(dns.resolver.NXDOMAIN):
        await resolver.resolve("_dmarc.contoso-dental.example", "TXT")
    with pytest.raises(dns.resolver.NXDOMAIN):
        await resolver.resolve("selector1._domainkey.contoso-dental.example", "CNAME")
    with pytest.raises(dns.resolver.NoAnswer):
        await resolver.resolve("northwind-freight.test", "TXT")  # the domain exists, without SPF


# -- admin consent, request log, mail -----------------------------------------------------------


def test_admin_consent_redirects(http: httpx.Client, sim: GraphSimulator) -> None:
    params = {
        "client_id": sim.client_id,
        "scope": GRAPH,
        "redirect_uri": "http://127.0.0.1:7071/api/consent/callback",
        "state": "xyz",
    }
    page = http.get(f"{sim.base_url}/organizations/v2.0/adminconsent", params=params)
    assert page.status_code == 200 and "Contoso Dental" in page.text and "Fabrikam Legal" in page.text
    sim.set_faults(CONTOSO, revoked_consent="AADSTS7000229")
    granted = http.get(
        f"{sim.base_url}/organizations/v2.0/adminconsent",
        params={**params, "sim_tenant": CONTOSO, "sim_outcome": "grant"},
    )
    assert granted.status_code == 302
    location = urlsplit(granted.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == params["redirect_uri"]
    assert parse_qs(location.query) == {
        "admin_consent": ["True"],
        "tenant": [CONTOSO],
        "scope": [GRAPH],
        "state": ["xyz"],
    }
    assert token_response(http, sim, CONTOSO).status_code == 200  # consent granted again
    denied = http.get(
        f"{sim.base_url}/{NORTHWIND}/v2.0/adminconsent",
        params={**params, "sim_tenant": NORTHWIND, "sim_outcome": "deny"},
    )
    query = parse_qs(urlsplit(denied.headers["location"]).query)
    assert (
        query["error"] == ["access_denied"]
        and query["state"] == ["xyz"]
        and query["admin_consent"] == ["True"]
    )
    assert query["error_description"][0].startswith("AADSTS65004: ")
    wrong_app = http.get(
        f"{sim.base_url}/organizations/v2.0/adminconsent", params={**params, "client_id": "nope"}
    )
    assert wrong_app.status_code == 400 and "AADSTS700016" in wrong_app.text


def test_request_log_records_each_request(http: httpx.Client, sim: GraphSimulator) -> None:
    sim.reset_request_log(FABRIKAM)
    get(http, sim, FABRIKAM, "/domains")
    get(http, sim, FABRIKAM, "/users?$select=nothing")
    invoke(http, sim, FABRIKAM, "Get-RemoteDomain")
    log = sim.request_log(FABRIKAM)
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("POST", f"/{FABRIKAM}/oauth2/v2.0/token", 200),
        ("GET", "/v1.0/domains", 200),
        ("GET", "/v1.0/users?$select=nothing", 400),
        ("POST", f"/{FABRIKAM}/oauth2/v2.0/token", 200),
        ("POST", f"/adminapi/beta/{FABRIKAM}/InvokeCommand", 200),
    ]
    assert log[-1]["cmdlet"] == "Get-RemoteDomain"
    sim.reset_request_log(FABRIKAM)
    assert sim.request_log(FABRIKAM) == []


def test_send_mail_is_accepted_and_kept(http: httpx.Client, sim: GraphSimulator) -> None:
    provider = sim.provider_tenant_id
    pdf = base64.b64encode(b"%PDF-1.7 report").decode()
    message = {
        "message": {
            "subject": "Weekly posture report",
            "body": {"contentType": "HTML", "content": "<p>Score 71</p>"},
            "toRecipients": [{"emailAddress": {"address": "owner@contoso-dental.example"}}],
            "attachments": [
                {
                    "@odata.type": "#microsoft.graph.fileAttachment",
                    "name": "report.pdf",
                    "contentType": "application/pdf",
                    "contentBytes": pdf,
                }
            ],
        },
        "saveToSentItems": False,
    }
    bearer = {"Authorization": f"Bearer {token(http, sim, provider)}"}
    sent = http.post(
        f"{sim.graph_url}/users/reports@scanposture.example/sendMail", json=message, headers=bearer
    )
    assert sent.status_code == 202 and sent.content == b""
    mail = sim.sent_mail(provider)
    assert mail[-1]["from"] == "reports@scanposture.example" and mail[-1]["recipients"] == [
        "owner@contoso-dental.example"
    ]
    assert mail[-1]["attachments"] == [{"name": "report.pdf", "contentType": "application/pdf", "size": 15}]
    assert mail[-1]["message"]["attachments"][0]["contentBytes"] == pdf
    unknown = http.post(
        f"{sim.graph_url}/users/nobody@scanposture.example/sendMail", json=message, headers=bearer
    )
    graph_error(unknown, 404, "ErrorInvalidUser")
    broken = {
        "message": {
            **message["message"],
            "attachments": [{**message["message"]["attachments"][0], "contentBytes": "%%"}],
        }
    }
    graph_error(
        http.post(f"{sim.graph_url}/users/reports@scanposture.example/sendMail", json=broken, headers=bearer),
        400,
        "ErrorInvalidRequest",
    )
    customer = {"Authorization": f"Bearer {token(http, sim, FABRIKAM)}"}
    admin = get(http, sim, FABRIKAM, "/users?$top=1").json()["value"][0]["id"]
    refused = http.post(f"{sim.graph_url}/users/{admin}/sendMail", json=message, headers=customer)
    graph_error(refused, 403, "ErrorAccessDenied")


# -- the product's real credentials -------------------------------------------------------------


async def test_azure_identity_credentials_get_tokens(sim: GraphSimulator) -> None:
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity.aio import CertificateCredential, ClientSecretCredential

    # connection_verify is azure-core's transport keyword: a CA bundle path the aiohttp session trusts.
    options = {"authority": sim.authority, "connection_verify": str(sim.ca_cert)}
    async with ClientSecretCredential(NORTHWIND, sim.client_id, sim.client_secret, **options) as secret:
        access = await secret.get_token(GRAPH)
    claims = jwt.decode(access.token, options={"verify_signature": False})
    assert claims["tid"] == NORTHWIND and claims["appidacr"] == "1"
    async with CertificateCredential(
        FABRIKAM, sim.client_id, certificate_path=str(sim.certificate_path), **options
    ) as cert:
        access = await cert.get_token(EXCHANGE)
    claims = jwt.decode(access.token, options={"verify_signature": False})
    assert (
        claims["tid"] == FABRIKAM
        and claims["appidacr"] == "2"
        and claims["roles"] == ["Exchange.ManageAsApp"]
    )
    async with ClientSecretCredential(NORTHWIND, sim.client_id, "not-the-secret", **options) as wrong:
        with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
            await wrong.get_token(GRAPH)


# -- synthetic tenants --------------------------------------------------------------------------


def test_synthetic_tenants_are_fast_deterministic_and_complete() -> None:
    started = time.perf_counter()
    big = synthetic_tenant(5000, seed=1, posture="strong")
    assert time.perf_counter() - started < 1.0
    assert len(big["users"]) == 5000
    assert synthetic_tenant(30, seed=2) == synthetic_tenant(30, seed=2) != synthetic_tenant(30, seed=3)
    for posture in ("weak", "mixed", "strong"):
        assert len(synthetic_tenant(1, seed=4, posture=posture)["users"]) == 1
    with pytest.raises(ValueError, match="posture"):
        synthetic_tenant(10, seed=1, posture="excellent")
