"""The Security & Compliance channel: a token refused for it fails only its own sources, and the other
way round; each source reaches the endpoint it names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from azure.core.exceptions import ClientAuthenticationError

from core.checks.model import TenantSnapshot
from core.collect.collector import _probe_tokens
from core.collect.compliance import regional_base
from core.collect.connection import COMPLIANCE_SCOPE, EXCHANGE_SCOPE, TenantConnection
from core.collect.failures import SourceError
from core.collect.sources import EXCHANGE_SOURCES
from core.collect.unreadable import explain
from core.permissions import roles_markdown

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
    assert {"sc_protection_alerts", "sc_audit_retention_policies", "sc_dlp_policies"} == COMPLIANCE
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


def test_the_regional_endpoint_is_taken_from_the_redirect() -> None:
    base = "https://ps.compliance.protection.outlook.com"
    location = (
        "https://eur03b.ps.compliance.protection.outlook.com/adminapi/beta/t/EXOBanner('AutogenSession')?V=1"
    )
    assert regional_base(location, base) == "https://eur03b.ps.compliance.protection.outlook.com"
    # The simulator names the region by a path segment on its one host.
    assert regional_base(
        "https://127.0.0.1:8443/compliance/nam42b/adminapi/beta/t/x", "https://127.0.0.1:8443/compliance"
    ) == ("https://127.0.0.1:8443/compliance/nam42b")


@pytest.mark.parametrize(
    "location",
    [
        "https://ps.compliance.protection.outlook.com.evil.example/adminapi/beta/t/x",
        "http://eur03b.ps.compliance.protection.outlook.com/adminapi/beta/t/x",
        "https://login.microsoftonline.com/adminapi/beta/t/x",
    ],
)
def test_a_redirect_elsewhere_is_refused_so_the_token_never_leaves(location: str) -> None:
    with pytest.raises(SourceError, match=r"outside ps\.compliance\.protection\.outlook\.com"):
        regional_base(location, "https://ps.compliance.protection.outlook.com")


def test_scanposture_permissions_names_the_directory_role_both_channels_need() -> None:
    text = roles_markdown()
    assert "Global Reader" in text and "f2ef992c-3afb-46b9-b7cf-a126ee74c451" in text
    assert "3 compliance sources" in text and "Security & Compliance" in text
    assert "6 teams sources" in text and "Teams admin API" in text
