"""Collect one tenant: every source once, the independent ones concurrently; DNS after the domain
list, the members of role-holding groups after the role assignments, the Global Administrators'
sign-in methods after both, and SharePoint's admin API after the organization (whose initial domain
names its host)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from azure.core.exceptions import ClientAuthenticationError

from core.checks.model import SourceFailure, TenantSnapshot
from core.collect.admin_methods import read_admin_sources
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
from core.collect.exchange import PAGE_SIZE as EXCHANGE_PAGE_SIZE
from core.collect.exchange import read_exchange_source
from core.collect.failures import SourceError, exchange_token_failure
from core.collect.limits import ServiceLimit
from core.collect.readers import read_graph_source
from core.collect.role_groups import ROLE_SOURCES, read_role_groups
from core.collect.sharepoint_admin import collect_sharepoint_admin
from core.collect.sources import (
    ADMIN_USER_SOURCES,
    DNS_SOURCE,
    EXCHANGE_SOURCES,
    GRAPH_SOURCES,
    ROLE_GROUP_SOURCES,
    TEAMS_SOURCES,
    ExchangeSource,
    GraphSource,
    TeamsSource,
    graph_source,
)
from core.collect.teams import read_teams_source, settle_teams_licence, teams_token_failure
from core.settings import Settings

CHANNELS = ("graph", "exchange", "compliance", "sharepoint", "teams")
# Graph's page when a request names no $top; the collections the scanner reads without one are small.
GRAPH_DEFAULT_PAGE_SIZE = 100


async def collect_tenant(
    connection: TenantConnection,
    settings: Settings,
    when_one_read_left: Callable[[TenantSnapshot], None] | None = None,
) -> TenantSnapshot:
    """Read everything the catalogue needs. A Graph token failure raises `TenantUnreachable` (the
    scan cannot start); any other failure, an Exchange token refused included, is recorded against
    its sources and the rest completes. `when_one_read_left` is told once, when all but one read
    (usually the longest run of pages) are done (core.scan.early)."""
    snapshot = TenantSnapshot(tenant_id=connection.tenant_id, collected_at=datetime.now(UTC))
    tokens = _FirstTokens(connection, snapshot)
    await tokens.graph()
    run = _Collection(connection, settings, snapshot, tokens)
    chained = {"domains", "organization", *ROLE_SOURCES}
    independent: list[GraphSource | ExchangeSource] = [s for s in GRAPH_SOURCES if s.name not in chained]
    independent += [s for s in EXCHANGE_SOURCES if s.endpoint == "exchange"]
    # Longest chains first. A scan lasts as long as its longest run of pages, so the sources with one
    # row per user or mailbox start at once, then the reads other reads wait on, then the rest; each
    # channel's limiter hands out its slots in the order they are asked for.
    bulk = sorted((s for s in independent if s.bulk), key=_rows_per_page)
    tasks = [run.source(s) for s in bulk]
    tasks += [
        run.dns_after_domains(),
        run.role_groups_after_roles(),
        run.compliance_after_discovery(),
        run.sharepoint_after_organization(),
    ]
    tasks += [run.teams_source(s) for s in TEAMS_SOURCES]
    tasks += [run.source(s) for s in independent if not s.bulk]
    await _all_of(tasks, snapshot, when_one_read_left)
    _stop_if_identity_gone(snapshot)
    settle_teams_licence(snapshot)  # a tenant without Teams: its subscriptions decide, not the answer
    snapshot.settle_licences()  # so the scan records why a licence refusal was or was not believed
    return snapshot


async def _all_of(
    reads: list[Coroutine[Any, Any, None]],
    snapshot: TenantSnapshot,
    when_one_left: Callable[[TenantSnapshot], None] | None,
) -> None:
    """Run every read to its end, then raise the first failure among them in their order (as
    gather(return_exceptions=True) would), telling `when_one_left` once a single read is left."""
    futures = [asyncio.ensure_future(read) for read in reads]
    running: set[asyncio.Future[None]] = set(futures)
    while running:
        _, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        if when_one_left is not None and len(running) <= 1:
            when_one_left(snapshot)
            when_one_left = None
    for future in futures:
        if future.exception() is not None:
            raise future.exception()  # type: ignore[misc]


def _rows_per_page(source: GraphSource | ExchangeSource) -> int:
    """Fewer rows a page means more pages for the same tenant: those chains are the longest."""
    if isinstance(source, ExchangeSource):
        return EXCHANGE_PAGE_SIZE
    top = dict(parse_qsl(urlsplit(source.path).query)).get("$top", "")
    return int(top) if top.isdigit() else GRAPH_DEFAULT_PAGE_SIZE


class _FirstTokens:
    """The scan's first token requests, sent together. Graph's decides whether the scan can start,
    and Graph's reads start once it is issued. Exchange's, Security & Compliance's and Teams' only
    say whether their services' sources are refused (a tenant without Exchange Online refuses the
    token, AADSTS500011, yet is as connected as any other), so only those reads wait for them: a
    token request is a round trip to Entra, and the last of four can come back well after Graph's."""

    def __init__(self, connection: TenantConnection, snapshot: TenantSnapshot) -> None:
        self._graph = asyncio.ensure_future(connection.probe_token(GRAPH_SCOPE))
        self._refusals = asyncio.ensure_future(_record_refusals(connection, snapshot))

    async def graph(self) -> None:
        """Fail fast, once, when Entra refuses the tenant, rather than once per source."""
        try:
            await self._graph
        except BaseException:
            self._refusals.cancel()
            with contextlib.suppress(BaseException):
                await self._refusals
            raise

    async def refusals(self) -> None:
        """Wait until the other services' refusals are recorded in the snapshot. Shielded: a read
        cancelled while waiting must not cancel the others' wait."""
        await asyncio.shield(self._refusals)


async def _record_refusals(connection: TenantConnection, snapshot: TenantSnapshot) -> None:
    exchange_refused, compliance_refused, teams_refused = await asyncio.gather(
        connection.exchange_token_refusal(EXCHANGE_SCOPE),
        connection.exchange_token_refusal(COMPLIANCE_SCOPE),
        connection.exchange_token_refusal(TEAMS_SCOPE),
        return_exceptions=True,
    )
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
    """One tenant's reads, sharing a snapshot and a limit on concurrent requests per service: Graph,
    Exchange Online, Security & Compliance, SharePoint's admin API and the Teams admin service throttle
    apart, and a slow one holds up only itself."""

    def __init__(
        self, connection: TenantConnection, settings: Settings, snapshot: TenantSnapshot, tokens: _FirstTokens
    ) -> None:
        self.connection, self.settings, self.snapshot, self.tokens = connection, settings, snapshot, tokens
        limit = settings.scan_request_concurrency
        self.limiters = {channel: ServiceLimit(limit) for channel in CHANNELS}

    async def fetch(self, name: str, read: _Read, *, ahead: bool = False) -> None:
        limit = self.limiters[read.channel]
        try:
            async with limit.ahead if ahead else limit:
                self.snapshot.data[name] = await read()
        except SourceError as exc:
            self.snapshot.failures[name] = exc.failure
        except ClientAuthenticationError as exc:
            raise _unreachable(self.connection.tenant_id, exc) from exc

    async def source(self, source: GraphSource | ExchangeSource) -> None:
        if isinstance(source, ExchangeSource) and await self._refused(source.name):
            return
        await self.fetch(source.name, self.read(source))

    async def teams_source(self, source: TeamsSource) -> None:
        # One request each, on the Teams admin service's own limiter.
        if not await self._refused(source.name):
            await self.fetch(source.name, self.teams(source))

    async def _refused(self, name: str) -> bool:
        """Whether Entra refused the token this source's service needs (recorded as its failure)."""
        await self.tokens.refusals()
        return name in self.snapshot.failures

    def read(self, source: GraphSource | ExchangeSource) -> _Read:
        return self.graph(source) if isinstance(source, GraphSource) else self.exchange(source)

    def graph(self, source: GraphSource) -> _Read:
        connection = self.connection
        return _Read("graph", lambda: read_graph_source(connection.graph, connection.graph_base_url, source))

    def exchange(self, source: ExchangeSource) -> _Read:
        connection = self.connection
        adapter, base_url = connection.invoke_adapter(source.endpoint)
        return _Read(
            source.endpoint, lambda: read_exchange_source(adapter, base_url, connection.tenant_id, source)
        )

    def teams(self, source: TeamsSource) -> _Read:
        adapter, base_url = self.connection.teams, self.connection.teams_base_url
        if adapter is None:
            raise ValueError("this connection has no Teams admin adapter")
        return _Read("teams", lambda: read_teams_source(adapter, base_url, source))

    async def compliance_after_discovery(self) -> None:
        # Security & Compliance answers from a regional host, found first (core.collect.compliance).
        await self.tokens.refusals()
        sources = [
            s for s in EXCHANGE_SOURCES if s.endpoint == "compliance" and s.name not in self.snapshot.failures
        ]
        if not sources:
            return
        adapter, base_url = self.connection.invoke_adapter("compliance")
        try:
            async with self.limiters["compliance"]:
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

    async def sharepoint_after_organization(self) -> None:
        # The admin host is named after the initial domain, which the organization lists.
        await self.fetch("organization", self.graph(graph_source("organization")))
        async with self.limiters["sharepoint"]:
            await collect_sharepoint_admin(self.connection, self.settings, self.snapshot)

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
        # Each link of this chain goes ahead of the one-request sources waiting (ServiceLimit).
        roles = [
            self.fetch(s.name, self.graph(s), ahead=True) for s in GRAPH_SOURCES if s.name in ROLE_SOURCES
        ]
        await asyncio.gather(*roles)
        try:
            limiter = self.limiters["graph"].ahead
            await read_role_groups(self.snapshot, ROLE_GROUP_SOURCES, lambda s: self.graph(s)(), limiter)
            # The Global Administrators are known only once the roles and role groups are read.
            await read_admin_sources(self.snapshot, ADMIN_USER_SOURCES, lambda s: self.graph(s)(), limiter)
        except ClientAuthenticationError as exc:
            raise _unreachable(self.connection.tenant_id, exc) from exc


@dataclass(frozen=True)
class _Read:
    """One source's read, and the service whose limit it counts against."""

    channel: str
    run: Callable[[], Awaitable[Any]]

    def __call__(self) -> Awaitable[Any]:
        return self.run()


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
