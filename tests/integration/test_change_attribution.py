"""Change attribution end to end: a demo tenant in the Graph simulator is scanned over HTTPS through
the real msgraph-sdk request adapter, an administrator disables a Conditional Access policy (the
simulator records the directory audit entry for it), and the next scan's regressed finding, its
signed finding.opened webhook and the email summary name who changed what and when."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from core.audit import SYSTEM
from core.bootstrap import Services
from core.collect.audit_log import read_directory_changes
from core.collect.connection import open_connection
from core.customers import get_customer, register_customer
from core.orgs import create_org
from core.scan.requests import ScanRequest
from core.scan.service import handle_scan_request
from core.summaries import send_summary
from core.webhooks.egress import EgressPolicy
from core.webhooks.endpoints import create_endpoint
from devtools.graphsim.admin import read_demo_fixtures
from devtools.graphsim.launcher import GraphSimulator
from devtools.processes import free_port
from tests.conftest import loopback_webhook_services
from tests.integration.test_webhooks import Receiver, serving_receiver

DEMO = "Fabrikam Legal"
POLICY = "CA004 Block device code flow"
CHECK = "entra.device_code_flow_blocked"  # P1: a regression opens a finding.opened event
DEMO_DOMAIN = "fabrikam-legal.example"
DOMAIN = "attribution-copy.example"
ADMIN = f"bob.admin@{DOMAIN}"


@pytest.fixture
def fabrikam(graphsim: GraphSimulator) -> Any:
    """A copy of the demo tenant under its own id and domain, removed afterwards: the shared demo
    tenant keeps its one relationship for the tests that look it up by tenant id, and a policy
    change here cannot leak into them."""
    (demo,) = [f for f in read_demo_fixtures() if f["displayName"] == DEMO]
    copy_id = str(uuid.uuid4())
    # Its own initial domain too: SharePoint's admin host is named after it.
    initial = demo["initialDomain"]
    text = json.dumps(demo).replace(demo["id"], copy_id).replace(DEMO_DOMAIN, DOMAIN)
    text = text.replace(initial, f"attributioncopy{copy_id[:8]}.onmicrosoft.com")
    fixture = json.loads(text)
    graphsim.load_tenant(fixture)
    yield fixture
    graphsim.remove_tenant(copy_id)


@pytest.fixture
async def hooks(scan_settings: Any) -> AsyncIterator[Services]:
    async with loopback_webhook_services(scan_settings) as services:
        yield services


@pytest.fixture
async def receiver(tmp_path: Path) -> AsyncIterator[Receiver]:
    async with serving_receiver(
        tmp_path / "tls", bind="127.0.0.1", port=free_port(), url_host="127.0.0.1"
    ) as r:
        yield r


async def _scan(services: Services, org_id: str, tenant_id: str) -> None:
    request = ScanRequest(org_id=org_id, tenant_id=tenant_id, request_id=uuid.uuid4().hex, reason="manual")
    outcome = await handle_scan_request(services, json.dumps(request.to_message()))
    assert outcome.startswith("completed"), outcome


async def _finding(services: Services, org_id: str, tenant_id: str) -> dict[str, Any]:
    """The check's finding document as stored (this org's relationship: a demo tenant may have
    others from other tests)."""
    customer, _ = await get_customer(services.store.org(org_id), tenant_id)
    findings = await services.store.relationship(customer.relationship_id).findings()
    (finding,) = [f for f in findings if f.check_id == CHECK]
    return finding.to_document()


async def test_a_disabled_policy_is_attributed_in_the_finding_the_webhook_and_the_summary(
    graphsim: GraphSimulator, hooks: Services, receiver: Receiver, fabrikam: Any
) -> None:
    from functions.local_host import QueueOptions, drain_webhook_queue_once

    tenant_id, org_id = fabrikam["id"], f"org-{uuid.uuid4().hex[:10]}"
    policy_id = next(p["id"] for p in fabrikam["conditionalAccessPolicies"] if p["displayName"] == POLICY)
    graphsim.load_tenant(fabrikam)  # as committed, whatever an earlier test did
    await create_org(hooks.store, org_id, "Attribution MSP", "msp")
    await register_customer(
        hooks.store.org(org_id),
        tenant_id=tenant_id,
        display_name=DEMO,
        primary_domain=DOMAIN,
        report_recipients=[f"it@{DOMAIN}"],
        connected=True,
    )
    endpoint = await create_endpoint(
        hooks.store.org(org_id),
        url=f"{receiver.url}/opened",
        events=["finding.opened"],
        description="",
        policy=EgressPolicy.from_settings(hooks.settings),
    )
    receiver.secrets["/opened"] = endpoint.secret

    await _scan(hooks, org_id, tenant_id)
    assert (await _finding(hooks, org_id, tenant_id))["status"] == "pass"
    graphsim.reset_request_log(tenant_id)
    entry = graphsim.set_policy_state(tenant_id, policy_id, "disabled", by=ADMIN)
    await _scan(hooks, org_id, tenant_id)

    # The finding: who, what, when, in words and as entries.
    finding = await _finding(hooks, org_id, tenant_id)
    assert finding["status"] == "fail" and finding["change"] == "new"
    attribution = finding["attribution"]
    changed = datetime.fromisoformat(entry["activityDateTime"].replace("Z", "+00:00"))
    assert attribution["status"] == "attributed", attribution
    for words in (ADMIN, f"'{POLICY}'", "enabled → disabled", f"{changed:%Y-%m-%d %H:%M} UTC"):
        assert words in attribution["text"], (words, attribution["text"])
    assert attribution["entries"][0]["target"] == POLICY and attribution["entries"][0]["initiator"] == ADMIN
    audit_reads = [e["path"] for e in graphsim.request_log(tenant_id) if "directoryAudits" in e["path"]]
    assert len(audit_reads) == 1 and "category eq 'Policy'" in audit_reads[0].replace("%20", " ")

    # The webhook, delivered and verified with its signature.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SSL_CERT_FILE", receiver.client_tls_path)
        while await drain_webhook_queue_once(hooks, QueueOptions.from_host_json()):
            pass
    opened = [p for p in receiver.received if p["type"] == "finding.opened" and p["data"]["checkId"] == CHECK]
    assert len(opened) == 1, receiver.received
    sent = opened[0]["data"]["attribution"]
    assert sent["text"] == attribution["text"] and sent["entries"][0]["initiator"] == ADMIN

    # The email summary: a "What changed" line.
    before = len(graphsim.sent_mail(graphsim.provider_tenant_id))
    delivery = await send_summary(hooks, org_id, tenant_id, SYSTEM, period=f"attr-{uuid.uuid4().hex[:6]}")
    assert delivery.status == "sent", delivery.error
    (mail,) = graphsim.sent_mail(graphsim.provider_tenant_id)[before:]
    body = mail["message"]["body"]["content"]
    assert "What changed" in body and ADMIN in body and "CA004 Block device code flow" in body


async def test_the_log_is_read_through_the_real_adapter_and_a_missing_permission_is_said(
    graphsim: GraphSimulator, scan_settings: Any, fabrikam: Any
) -> None:
    tenant_id = fabrikam["id"]
    policy_id = next(p["id"] for p in fabrikam["conditionalAccessPolicies"] if p["displayName"] == POLICY)
    graphsim.load_tenant(fabrikam)
    entry = graphsim.set_policy_state(tenant_id, policy_id, "enabledForReportingButNotEnforced", by=ADMIN)
    at = datetime.fromisoformat(entry["activityDateTime"].replace("Z", "+00:00"))
    connection = open_connection(scan_settings, tenant_id)
    try:
        read = await read_directory_changes(
            connection.graph, connection.graph_base_url, at.replace(hour=0, minute=0), at, ("Policy",), True
        )
        other = await read_directory_changes(
            connection.graph, connection.graph_base_url, at.replace(hour=0, minute=0), at, ("UserManagement",)
        )
        graphsim.set_faults(tenant_id, removed_permissions=["AuditLog.Read.All"])
        refused = await read_directory_changes(
            connection.graph, connection.graph_base_url, at.replace(hour=0, minute=0), at, ("Policy",)
        )
    finally:
        graphsim.clear_faults(tenant_id)
        await connection.close()
    assert [e.initiator for e in read.entries] == [ADMIN] and read.unreadable is None
    assert read.entries[0].targets[0].name == POLICY and other.entries == ()
    assert refused.unreadable is not None and "AuditLog.Read.All" in refused.unreadable


async def test_the_log_is_paged_newest_first_capped_and_an_unknown_filter_refused(
    graphsim: GraphSimulator, scan_settings: Any, fabrikam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiota_abstractions.api_error import APIError

    from core.collect import audit_log
    from core.collect.readers import send_json

    tenant_id = fabrikam["id"]
    policy_id = next(p["id"] for p in fabrikam["conditionalAccessPolicies"] if p["displayName"] == POLICY)
    graphsim.load_tenant(fabrikam)
    states = ("disabled", "enabled", "disabled")
    made = [
        graphsim.set_policy_state(tenant_id, policy_id, s, by=f"admin{i}@x.example")
        for i, s in enumerate(states)
    ]
    first = datetime.fromisoformat(made[0]["activityDateTime"].replace("Z", "+00:00"))
    last = datetime.fromisoformat(made[-1]["activityDateTime"].replace("Z", "+00:00"))
    monkeypatch.setattr(audit_log, "PAGE_SIZE", 1)
    monkeypatch.setattr(audit_log, "MAX_PAGES", 2)
    connection = open_connection(scan_settings, tenant_id)
    try:
        log = await read_directory_changes(
            connection.graph, connection.graph_base_url, first, last, ("Policy",)
        )
        bad = f"{connection.graph_base_url}/auditLogs/directoryAudits?$filter=loggedByService%20eq%20'x'"
        with pytest.raises(APIError) as refused:
            await send_json(connection.graph, "GET", bad)
    finally:
        await connection.close()
    # Two pages of one, newest first; the third entry is not read, and that is said.
    assert [e.initiator for e in log.entries] == ["admin2@x.example", "admin1@x.example"] and log.capped
    assert refused.value.response_status_code == 400


async def test_entries_older_than_the_tenants_retention_are_not_served(
    graphsim: GraphSimulator, scan_settings: Any, fabrikam: Any
) -> None:
    from datetime import UTC, timedelta

    tenant_id = fabrikam["id"]
    policy_id = next(p["id"] for p in fabrikam["conditionalAccessPolicies"] if p["displayName"] == POLICY)
    graphsim.load_tenant(fabrikam)
    now = datetime.now(UTC)
    ten_days_ago = (now - timedelta(days=10)).isoformat()
    graphsim.set_policy_state(tenant_id, policy_id, "disabled", by=ADMIN, at=ten_days_ago)

    async def read() -> list[str]:
        connection = open_connection(scan_settings, tenant_id)
        try:
            log = await read_directory_changes(
                connection.graph, connection.graph_base_url, now - timedelta(days=20), now, ("Policy",)
            )
        finally:
            await connection.close()
        return [e.initiator for e in log.entries]

    assert await read() == [ADMIN]  # 30 days with P1/P2
    graphsim.set_faults(tenant_id, missing_licences=["AAD_PREMIUM", "AAD_PREMIUM_P2"])
    try:
        assert await read() == []  # 7 days on Free: the entry is gone
    finally:
        graphsim.clear_faults(tenant_id)
