"""The Exchange mail flow, sharing, add-in, storage-provider, Lockbox and mailbox-audit checks, read
from the Graph simulator's Exchange admin API through the real msgraph-sdk adapters, for the demo
tenants of each posture."""

from __future__ import annotations

import pytest

from core.checks import exchange_mailboxes, exchange_policies
from core.checks.model import Status, TenantSnapshot, run_check
from core.collect.collector import collect_tenant
from core.collect.connection import open_connection
from core.collect.exchange import read_exchange_source
from core.collect.sources import EXCHANGE_SOURCES
from core.settings import Settings
from devtools.graphsim.launcher import GraphSimulator

CHECKS = (*exchange_policies.CHECKS, *exchange_mailboxes.CHECKS)
NEW_SOURCES = (
    "exo_transport_rules",
    "exo_sharing_policies",
    "exo_role_assignment_policies",
    "exo_owa_mailbox_policies",
    "exo_mailbox_audit_bypass",
)


async def _snapshot(settings: Settings, tenant_id: str) -> TenantSnapshot:
    connection = open_connection(settings, tenant_id)
    try:
        return await collect_tenant(connection, settings)
    finally:
        await connection.close()


def _demo(graphsim: GraphSimulator, name: str) -> str:
    return next(t["id"] for t in graphsim.demo_tenants() if t["displayName"] == name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Weak: every one of these fails, but Customer Lockbox, which Business Standard does not include.
        (
            "Contoso Dental",
            {c.id: Status.FAIL for c in CHECKS} | {"exo.customer_lockbox": Status.NOT_APPLICABLE},
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
            },
        ),
        ("Fabrikam Legal", {c.id: Status.PASS for c in CHECKS}),
    ],
)
async def test_demo_postures_give_clearly_different_verdicts(
    scan_settings: Settings, graphsim: GraphSimulator, name: str, expected: dict[str, Status]
) -> None:
    snapshot = await _snapshot(scan_settings, _demo(graphsim, name))
    assert not set(NEW_SOURCES) & set(snapshot.failures), snapshot.failures
    verdicts = {c.id: run_check(c, snapshot) for c in CHECKS}
    assert {k: v.status for k, v in verdicts.items()} == expected, {k: v.summary for k, v in verdicts.items()}


async def test_the_new_cmdlets_answer_in_the_admin_api_shape(
    scan_settings: Settings, graphsim: GraphSimulator
) -> None:
    tenant = _demo(graphsim, "Contoso Dental")
    connection = open_connection(scan_settings, tenant)
    try:
        assert await connection.exchange_token_refusal() is None
        rows = {
            s.name: await read_exchange_source(connection.exchange, connection.exchange_base_url, tenant, s)
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


async def test_a_tenant_without_exchange_has_these_checks_in_error(
    scan_settings: Settings, graphsim: GraphSimulator
) -> None:
    snapshot = await _snapshot(scan_settings, _demo(graphsim, "Tailwind Traders"))
    for check in CHECKS:
        outcome = run_check(check, snapshot)
        assert outcome.status is Status.ERROR, (check.id, outcome.summary)
        assert "Exchange Online is not set up" in outcome.summary
