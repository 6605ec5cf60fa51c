"""The Security & Compliance channel: a token refused for it fails only its own sources, and the other
way round; each source reaches the endpoint it names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from azure.core.exceptions import ClientAuthenticationError

from core.checks.model import TenantSnapshot
from core.collect.collector import _probe_tokens
from core.collect.connection import COMPLIANCE_SCOPE, EXCHANGE_SCOPE, TenantConnection
from core.collect.sources import EXCHANGE_SOURCES
from core.collect.unreadable import explain

COMPLIANCE = {s.name for s in EXCHANGE_SOURCES if s.endpoint == "compliance"}
EXCHANGE = {s.name for s in EXCHANGE_SOURCES if s.endpoint == "exchange"}


@dataclass
class Refusing:
    """Just the token calls of a connection; `refused` scopes get Entra's refusal."""

    refused: frozenset[str]
    tenant_id: str = "t"

    async def probe_token(self, *scopes: str) -> None:
        return None

    async def exchange_token_refusal(self, scope: str = EXCHANGE_SCOPE) -> ClientAuthenticationError | None:
        if scope in self.refused:
            return ClientAuthenticationError(
                f"AADSTS500014: The service principal for resource '{scope}' is disabled."
            )
        return None


@pytest.mark.parametrize(
    ("refused", "failed"),
    [
        (frozenset({COMPLIANCE_SCOPE}), COMPLIANCE),
        (frozenset({EXCHANGE_SCOPE}), EXCHANGE),
        (frozenset({EXCHANGE_SCOPE, COMPLIANCE_SCOPE}), COMPLIANCE | EXCHANGE),
        (frozenset(), set()),
    ],
)
async def test_a_refused_token_fails_only_its_own_endpoint(refused: frozenset[str], failed: set[str]) -> None:
    snapshot = TenantSnapshot(tenant_id="t", collected_at=datetime.now(UTC))
    connection: TenantConnection = Refusing(refused)  # type: ignore[assignment]
    await _probe_tokens(connection, snapshot)
    assert set(snapshot.failures) == failed
    for name in COMPLIANCE & failed:
        assert "token for Security & Compliance" in snapshot.failures[name].reason
        assert snapshot.failures[name].kind == "forbidden"


def test_compliance_sources_are_named_as_their_service() -> None:
    assert {"sc_protection_alerts", "sc_audit_retention_policies"} == COMPLIANCE
    said = explain("sc_protection_alerts", "Get-ProtectionAlert: the app needs Exchange.ManageAsApp and ...")
    assert said.sentence.startswith("Security & Compliance could not be read: the app lacks permission")


def test_a_connection_routes_each_endpoint_to_its_adapter() -> None:
    exchange, compliance = object(), object()
    connection = TenantConnection(
        tenant_id="t",
        credential=None,  # type: ignore[arg-type]
        graph=None,  # type: ignore[arg-type]
        exchange=exchange,  # type: ignore[arg-type]
        graph_base_url="g",
        exchange_base_url="https://outlook.office365.com",
        http_client=None,  # type: ignore[arg-type]
        owns_client=False,
        compliance=compliance,  # type: ignore[arg-type]
        compliance_base_url="https://ps.compliance.protection.outlook.com",
    )
    assert connection.invoke_adapter("exchange") == (exchange, "https://outlook.office365.com")
    assert connection.invoke_adapter("compliance") == (
        compliance,
        "https://ps.compliance.protection.outlook.com",
    )
