"""The Exchange mail flow, sharing, add-in, storage-provider, Lockbox and mailbox-audit checks, read
from the Graph simulator's Exchange admin API through the real msgraph-sdk adapters, for the demo
tenants of each posture."""

from __future__ import annotations

import ssl

import pytest

from core.checks import compliance, exchange_mailboxes, exchange_policies
from core.checks.model import Status, run_check
from core.collect.compliance import discover_base, regional_base
from core.collect.connection import COMPLIANCE_SCOPE, open_connection
from core.collect.exchange import exchange_headers, read_exchange_source
from core.collect.sources import EXCHANGE_SOURCES
from core.settings import Settings
from devtools.graphsim.compliance import region
from devtools.graphsim.launcher import GraphSimulator
from tests.reading import collected_snapshot, demo_tenant_id

CHECKS = (*exchange_policies.CHECKS, *exchange_mailboxes.CHECKS, *compliance.CHECKS)
NEW_SOURCES = (
    "exo_transport_rules",
    "exo_sharing_policies",
    "exo_role_assignment_policies",
    "exo_owa_mailbox_policies",
    "exo_mailbox_audit_bypass",
    "sc_protection_alerts",
    "sc_audit_retention_policies",
    "sc_dlp_policies",
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Weak: every one of these fails, but those whose plans Business Standard does not include.
        (
            "Contoso Dental",
            {c.id: Status.FAIL for c in CHECKS}
            | {
                "exo.customer_lockbox": Status.NOT_APPLICABLE,
                "monitoring.audit_retention": Status.NOT_APPLICABLE,
                "compliance.dlp_policies_enabled": Status.NOT_APPLICABLE,
            },
        ),
        (
            "Northwind Logistics",
            {
                "exo.transport_rules_safe": Status.FAIL,  # SCL -1 for a scanner's IP range
                "exo.external_sender_tag_rule": Status.FAIL,  # the tag rule is still in test mode
                "exo.direct_send_rejected": Status.FAIL,
                "exo.calendar_sharing": Status.FAIL,  # free/busy with every domain
                "exo.outlook_addins_restricted": Status.PASS,
                "exo.owa_storage_providers_restricted": Status.PASS,
                "exo.customer_lockbox": Status.NOT_APPLICABLE,  # Business Premium has no Lockbox plan
                "exo.shared_mailbox_signin_blocked": Status.PASS,
                "exo.mailbox_audit_actions": Status.FAIL,  # Microsoft's default sets only
                "exo.mailbox_audit_bypass": Status.PASS,
                "monitoring.alert_policies": Status.FAIL,  # connector alert switched off
                "monitoring.audit_retention": Status.NOT_APPLICABLE,  # no Audit (Premium)
                "compliance.dlp_policies_enabled": Status.FAIL,  # its one policy is still in test mode
            },
        ),
        ("Fabrikam Legal", {c.id: Status.PASS for c in CHECKS}),
    ],
)
async def test_demo_postures_give_clearly_different_verdicts(
    scan_settings: Settings, graphsim: GraphSimulator, name: str, expected: dict[str, Status]
) -> None:
    snapshot = await collected_snapshot(scan_settings, demo_tenant_id(graphsim, name))
    assert not set(NEW_SOURCES) & set(snapshot.failures), snapshot.failures
    verdicts = {c.id: run_check(c, snapshot) for c in CHECKS}
    assert {k: v.status for k, v in verdicts.items()} == expected, {k: v.summary for k, v in verdicts.items()}


async def test_the_new_cmdlets_answer_in_the_admin_api_shape(
    scan_settings: Settings, graphsim: GraphSimulator
) -> None:
    tenant = demo_tenant_id(graphsim, "Contoso Dental")
    connection = open_connection(scan_settings, tenant)
    try:
        assert await connection.exchange_token_refusal() is None
        adapter, base = connection.invoke_adapter("compliance")
        connection.use_compliance_base(await discover_base(adapter, base, tenant))
        rows = {
            s.name: await read_exchange_source(*connection.invoke_adapter(s.endpoint), tenant, s)
            for s in EXCHANGE_SOURCES
            if s.name in NEW_SOURCES
        }
    finally:
        await connection.close()
    assert {r["Name"] for r in rows["exo_transport_rules"]} == {
        "Allow dental-lab.example",
        "Copy invoices to bookkeeper",
    }
    assert rows["exo_sharing_policies"][0]["Domains"][0].startswith("Anonymous:")
    bypass = rows["exo_mailbox_audit_bypass"]
    assert sum(1 for r in bypass if r["AuditBypassEnabled"]) == 1 and len(bypass) > 1
    assert sum(1 for a in rows["sc_protection_alerts"] if a["Disabled"]) == 3
    assert rows["sc_audit_retention_policies"] == []


async def test_a_tenant_without_exchange_has_these_checks_in_error(
    scan_settings: Settings, graphsim: GraphSimulator
) -> None:
    snapshot = await collected_snapshot(scan_settings, demo_tenant_id(graphsim, "Tailwind Traders"))
    for check in CHECKS:
        outcome = run_check(check, snapshot)
        assert outcome.status is Status.ERROR, (check.id, outcome.summary)
        assert "Exchange Online is not set up" in outcome.summary  # S&C lives on the same principal


async def test_the_compliance_endpoint_wants_its_own_token_and_answers_like_exchange(
    scan_settings: Settings, graphsim: GraphSimulator
) -> None:
    import httpx

    tenant = demo_tenant_id(graphsim, "Northwind Logistics")
    connection = open_connection(scan_settings, tenant)
    try:
        exchange_token = await connection.credential.get_token("https://outlook.office365.com/.default")
        compliance_token = await connection.credential.get_token(COMPLIANCE_SCOPE)
    finally:
        await connection.close()
    headers = exchange_headers(tenant)
    verify = ssl.create_default_context(cafile=str(graphsim.ca_cert))
    banner = f"{graphsim.compliance_url}/adminapi/beta/{tenant}/EXOBanner('AutogenSession')?Version=3.7.1"
    async with httpx.AsyncClient(verify=verify, timeout=30) as client:
        moved = await client.get(
            banner, headers={**headers, "Authorization": f"Bearer {compliance_token.token}"}
        )
    assert moved.status_code == 302
    regional = regional_base(moved.headers["location"], graphsim.compliance_url)
    assert regional == f"{graphsim.compliance_url}/{region(tenant)}"
    url = f"{regional}/adminapi/beta/{tenant}/InvokeCommand"

    def post(token: str, cmdlet: str, at: str = url) -> httpx.Response:
        body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": {}}}
        auth = {**headers, "Authorization": f"Bearer {token}"}
        with httpx.Client(verify=verify, timeout=30) as http:
            return http.post(at, json=body, headers=auth)

    # Posting to the global endpoint without finding the region first is redirected, not answered.
    global_url = f"{graphsim.compliance_url}/adminapi/beta/{tenant}/InvokeCommand"
    assert post(compliance_token.token, "Get-ProtectionAlert", global_url).status_code == 302

    assert post(exchange_token.token, "Get-ProtectionAlert").status_code == 401  # wrong audience
    answer = post(compliance_token.token, "Get-ProtectionAlert")
    assert answer.status_code == 200
    assert answer.json()["@odata.context"].endswith("$metadata#Collection(Exchange.GenericHashTable)")
    assert "Suspicious connector activity" in {a["Name"] for a in answer.json()["value"]}
    unknown = post(compliance_token.token, "Get-TransportConfig")  # an Exchange cmdlet, not one of S&C's
    assert unknown.status_code == 400 and "is not recognized" in unknown.text
