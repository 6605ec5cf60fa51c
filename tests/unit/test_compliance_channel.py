"""The Security & Compliance channel: a token refused for it fails only its own sources, and the other
way round; each source reaches the endpoint it names."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from azure.core.exceptions import ClientAuthenticationError

from core.checks.model import TenantSnapshot
from core.collect.collector import _FirstTokens
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
    tokens = _FirstTokens(connection, snapshot)
    await tokens.graph()
    await tokens.refusals()
    assert set(snapshot.failures) == failed
    for name in COMPLIANCE & failed:
        assert "token for Security & Compliance" in snapshot.failures[name].reason
        assert snapshot.failures[name].kind == "forbidden"


@dataclass
class SlowExchange:
    """Graph's token at once; the other services' tokens only once `released` is set."""

    released: asyncio.Event
    graph_refused: bool = False
    tenant_id: str = "t"

    async def probe_token(self, *scopes: str) -> None:
        if self.graph_refused:
            raise ClientAuthenticationError("AADSTS7000229: the tenant has no service principal for the app")

    async def exchange_token_refusal(self, scope: str = EXCHANGE_SCOPE) -> ClientAuthenticationError | None:
        await self.released.wait()
        return None


async def test_graph_reads_start_before_the_other_services_tokens_arrive() -> None:
    """A scan's Graph reads wait for Graph's token only; the Exchange, Security & Compliance and
    Teams tokens (whose refusals only fail their own sources) may come back later."""
    snapshot = TenantSnapshot(tenant_id="t", collected_at=datetime.now(UTC))
    released = asyncio.Event()
    tokens = _FirstTokens(SlowExchange(released), snapshot)  # type: ignore[arg-type]
    await asyncio.wait_for(tokens.graph(), timeout=1)
    waiting = asyncio.create_task(tokens.refusals())
    await asyncio.sleep(0.01)
    assert not waiting.done()
    released.set()
    await asyncio.wait_for(waiting, timeout=1)
    assert snapshot.failures == {}


async def test_a_refused_graph_token_stops_the_scan_and_leaves_no_token_request_running() -> None:
    snapshot = TenantSnapshot(tenant_id="t", collected_at=datetime.now(UTC))
    tokens = _FirstTokens(SlowExchange(asyncio.Event(), graph_refused=True), snapshot)  # type: ignore[arg-type]
    with pytest.raises(ClientAuthenticationError):
        await tokens.graph()
    assert tokens._refusals.cancelled()


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
