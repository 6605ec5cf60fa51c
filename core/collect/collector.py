"""Collect one tenant: every source once, the independent ones concurrently; DNS after the domain
list, and the members of role-holding groups after the role assignments."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from azure.core.exceptions import ClientAuthenticationError

from core.checks.model import SourceFailure, TenantSnapshot
from core.collect.compliance import discover_base
from core.collect.connection import (
    COMPLIANCE_SCOPE,
    EXCHANGE_SCOPE,
    GRAPH_SCOPE,
    IDENTITY_GONE_CODE,
    TEAMS_SCOPE,
    TenantConnection,
    TenantUnreachable,
    entra_error_code,
)
from core.collect.dns_records import DnsUnavailable, collect_dns, custom_domains, make_resolver
from core.collect.exchange import read_exchange_source
from core.collect.failures import SourceError, exchange_token_failure
from core.collect.readers import read_graph_source
from core.collect.role_groups import ROLE_SOURCES, read_role_groups
from core.collect.sources import (
    DNS_SOURCE,
    EXCHANGE_SOURCES,
    GRAPH_SOURCES,
    ROLE_GROUP_SOURCES,
    TEAMS_SOURCES,
)
from core.collect.teams import read_teams_source, settle_teams_licence, teams_token_failure
from core.settings import Settings


async def collect_tenant(connection: TenantConnection, settings: Settings) -> TenantSnapshot:
    """Read everything the catalogue needs. A Graph token failure raises `TenantUnreachable` (the
    scan cannot start); any other failure, an Exchange token refused included, is recorded against
    its sources and the rest completes."""
    snapshot = TenantSnapshot(tenant_id=connection.tenant_id, collected_at=datetime.now(UTC))
    await _probe_tokens(connection, snapshot)
    run = _Collection(connection, settings, snapshot)
    chained = {"domains", *ROLE_SOURCES}
    tasks = [run.fetch(s.name, run.graph(s)) for s in GRAPH_SOURCES if s.name not in chained]
    tasks += [
        run.fetch(s.name, run.exchange(s))
        for s in EXCHANGE_SOURCES
        if s.name not in snapshot.failures and s.endpoint == "exchange"
    ]
    tasks += [run.fetch(s.name, run.teams(s)) for s in TEAMS_SOURCES if s.name not in snapshot.failures]
    tasks += [run.dns_after_domains(), run.role_groups_after_roles(), run.compliance_after_discovery()]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    _stop_if_identity_gone(snapshot)
    settle_teams_licence(snapshot)  # a tenant without Teams: its subscriptions decide, not the answer
    snapshot.settle_licences()  # so the scan records why a licence refusal was or was not believed
    return snapshot


async def _probe_tokens(connection: TenantConnection, snapshot: TenantSnapshot) -> None:
    """Fail fast, once, when Entra refuses the tenant, rather than once per source. Only the Graph
    token says whether the tenant still lets the app in: a tenant without Exchange Online refuses
    the Exchange token (AADSTS500011) yet is as connected as any other."""
    graph_probe, exchange_refused, compliance_refused, teams_refused = await asyncio.gather(
        connection.probe_token(GRAPH_SCOPE),
        connection.exchange_token_refusal(EXCHANGE_SCOPE),
        connection.exchange_token_refusal(COMPLIANCE_SCOPE),
        connection.exchange_token_refusal(TEAMS_SCOPE),
        return_exceptions=True,
    )
    if isinstance(graph_probe, BaseException):
        raise graph_probe
    # A refusal fails only its own endpoint's sources. Anything else (a network error on the way to
    # Entra) is left to each read to meet.
    refusals = {"exchange": exchange_refused, "compliance": compliance_refused}
    services = {"exchange": "Exchange Online", "compliance": "Security & Compliance"}
    for source in EXCHANGE_SOURCES:
        refused = refusals[source.endpoint]
        if isinstance(refused, ClientAuthenticationError):
            snapshot.failures[source.name] = exchange_token_failure(refused, services[source.endpoint])
    if isinstance(teams_refused, ClientAuthenticationError):
        for teams_source in TEAMS_SOURCES:
            snapshot.failures[teams_source.name] = teams_token_failure(teams_refused)


class _Collection:
    """One tenant's reads, sharing a snapshot and a limit on concurrent requests."""

    def __init__(self, connection: TenantConnection, settings: Settings, snapshot: TenantSnapshot) -> None:
        self.connection, self.settings, self.snapshot = connection, settings, snapshot
        self.limiter = asyncio.Semaphore(settings.scan_request_concurrency)

    async def fetch(self, name: str, read: Callable[[], Awaitable[Any]]) -> None:
        try:
            async with self.limiter:
                self.snapshot.data[name] = await read()
        except SourceError as exc:
            self.snapshot.failures[name] = exc.failure
        except ClientAuthenticationError as exc:
            raise _unreachable(self.connection.tenant_id, exc) from exc

    def graph(self, source: Any) -> Callable[[], Awaitable[Any]]:
        connection = self.connection
        return lambda: read_graph_source(connection.graph, connection.graph_base_url, source)

    def exchange(self, source: Any) -> Callable[[], Awaitable[Any]]:
        connection = self.connection
        adapter, base_url = connection.invoke_adapter(source.endpoint)
        return lambda: read_exchange_source(adapter, base_url, connection.tenant_id, source)

    def teams(self, source: Any) -> Callable[[], Awaitable[Any]]:
        adapter, base_url = self.connection.teams, self.connection.teams_base_url
        if adapter is None:
            raise ValueError("this connection has no Teams admin adapter")
        return lambda: read_teams_source(adapter, base_url, source)

    async def compliance_after_discovery(self) -> None:
        # Security & Compliance answers from a regional host, found first (core.collect.compliance).
        sources = [
            s for s in EXCHANGE_SOURCES if s.endpoint == "compliance" and s.name not in self.snapshot.failures
        ]
        if not sources:
            return
        adapter, base_url = self.connection.invoke_adapter("compliance")
        try:
            async with self.limiter:
                found = await discover_base(adapter, base_url, self.connection.tenant_id)
        except SourceError as exc:
            failure = exc.failure
        except ClientAuthenticationError as exc:
            failure = exchange_token_failure(exc, "Security & Compliance")
        else:
            self.connection.use_compliance_base(found)
            await asyncio.gather(*(self.fetch(s.name, self.exchange(s)) for s in sources))
            return
        for source in sources:
            self.snapshot.failures[source.name] = failure

    async def dns_after_domains(self) -> None:
        # The only dependent chain besides paging and role groups: DNS needs the domain list first.
        snapshot = self.snapshot
        await self.fetch("domains", self.graph(next(s for s in GRAPH_SOURCES if s.name == "domains")))
        if "domains" not in snapshot.data:
            failure = snapshot.failures["domains"]
            snapshot.failures[DNS_SOURCE] = SourceFailure(
                failure.kind, f"domains unreadable: {failure.reason}"
            )
            return
        resolver = make_resolver(self.settings.dns_nameservers)
        try:
            snapshot.data[DNS_SOURCE] = await collect_dns(resolver, custom_domains(snapshot.data["domains"]))
        except DnsUnavailable as exc:
            snapshot.failures[DNS_SOURCE] = SourceFailure("unavailable", f"DNS lookup failed: {exc}")

    async def role_groups_after_roles(self) -> None:
        # Groups that hold roles are known only once the role assignments are read.
        roles = [self.fetch(s.name, self.graph(s)) for s in GRAPH_SOURCES if s.name in ROLE_SOURCES]
        await asyncio.gather(*roles)
        try:
            await read_role_groups(self.snapshot, ROLE_GROUP_SOURCES, lambda s: self.graph(s)(), self.limiter)
        except ClientAuthenticationError as exc:
            raise _unreachable(self.connection.tenant_id, exc) from exc


def _unreachable(tenant_id: str, exc: ClientAuthenticationError) -> TenantUnreachable:
    return TenantUnreachable(tenant_id, entra_error_code(str(exc)), str(exc).splitlines()[0][:300])


def _stop_if_identity_gone(snapshot: TenantSnapshot) -> None:
    gone = sorted(name for name, failure in snapshot.failures.items() if failure.code == IDENTITY_GONE_CODE)
    if gone:
        raise TenantUnreachable(
            snapshot.tenant_id,
            IDENTITY_GONE_CODE,
            f"the app's identity disappeared from the tenant during the scan ({', '.join(gone)})",
        )
