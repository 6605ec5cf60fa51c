"""The small interfaces the use cases in core/ depend on; `core.bootstrap` wires the real adapters
behind them once per process, and tests can put in-memory ones in their place.

Use cases take `Services` (this Protocol), never `core.bootstrap`: only entry points (function_app,
functions/, the CLI, the local host) import the wiring.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from core.settings import Settings

if TYPE_CHECKING:
    from core.auth.id_tokens import ConsentSignIn
    from core.customers import Customer
    from core.mail.graph import Attachment
    from core.scan.assess import Assessment
    from core.scan.attribution import ChangeLog
    from core.store.partitions import OrgRepository, RelationshipRepository, TenantRepository
    from core.store.queues import ReceivedMessage


class Store(Protocol):
    """Cosmos DB, as repositories bound to one partition each."""

    def org(self, org_id: str) -> OrgRepository: ...

    def relationship(self, relationship_id: str) -> RelationshipRepository: ...

    def home_tenant(self, tenant_id: str) -> TenantRepository: ...

    # Cross-partition reads: for scheduling, billing and migration jobs only, never a request path.
    def connected_customers(self) -> AsyncIterator[Customer]: ...

    def all_customers(self) -> AsyncIterator[Customer]: ...

    async def relationships_of(self, tenant_id: str) -> list[Customer]: ...

    async def ping(self) -> None: ...


class Blobs(Protocol):
    """Blob storage: report PDFs and logos."""

    async def put(self, container: str, name: str, data: bytes, content_type: str) -> None: ...

    async def get(self, container: str, name: str) -> bytes: ...

    async def list(self, container: str, prefix: str = "") -> list[str]: ...

    async def delete(self, container: str, name: str) -> None: ...

    async def read_url(self, container: str, name: str, valid_for: timedelta) -> str: ...

    async def ping(self) -> None: ...


class Queue(Protocol):
    """One storage queue and its poison twin."""

    @property
    def name(self) -> str: ...

    async def send(self, payload: Any, *, visibility_delay: int | None = None) -> str: ...

    async def send_to_poison(self, text: str, reason: str, dequeue_count: int = 1) -> None: ...

    async def receive(self, max_messages: int = 1, visibility_timeout: int = 60) -> list[ReceivedMessage]: ...

    async def ping(self) -> None: ...


class Mailer(Protocol):
    """Mail from the MSP's configured mailbox; raises core.mail.graph.MailFailed saying why not."""

    async def send(
        self, *, to: Sequence[str], subject: str, html: str, attachments: Sequence[Attachment] = ()
    ) -> None: ...


class TenantConnector(Protocol):
    """A customer's tenant as ScanPosture reaches it: Entra's tokens and sign-in, then Microsoft
    Graph and Exchange Online. Raises core.collect.connection.TenantUnreachable when Entra refuses
    the app (consent revoked, tenant gone) and core.collect.failures.SourceError when a read fails."""

    async def assess(self, tenant_id: str) -> Assessment:
        """Collect the tenant and evaluate the catalogue on it; nothing is stored."""
        ...

    async def probe(self, tenant_id: str) -> None:
        """Ask Entra for a token and nothing else: whether consent still holds."""
        ...

    async def verified_domains(self, tenant_id: str) -> list[str]:
        """The tenant's verified domain names, lower-cased, read with the app's own permissions."""
        ...

    async def directory_changes(
        self,
        tenant_id: str,
        since: datetime,
        until: datetime,
        categories: tuple[str, ...],
        premium: bool | None = None,
    ) -> ChangeLog:
        """Entra's directory audit entries of `categories` in [since, until], newest first, or a
        ChangeLog saying why the log could not be read (`premium`: whether the tenant holds Entra
        ID P1/P2, which sets how far back the log reaches; None when unknown)."""
        ...

    async def prove_admin_sign_in(
        self, tenant_id: str, *, code: str, code_verifier: str, nonce: str, redirect_uri: str
    ) -> ConsentSignIn:
        """Redeem an administrator's sign-in code at the tenant and validate the ID token it
        returns; raises core.auth.id_tokens.ConsentSignInRefused saying why not."""
        ...


class Clock(Protocol):
    """The time, so use cases can be run at a chosen moment."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class Services(Protocol):
    """What a use case may reach: settings and the adapters built once per process."""

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> Store: ...

    @property
    def blobs(self) -> Blobs: ...

    @property
    def scan_queue(self) -> Queue: ...

    @property
    def webhook_queue(self) -> Queue: ...

    @property
    def email_queue(self) -> Queue: ...

    @property
    def mailer(self) -> Mailer: ...

    @property
    def tenants(self) -> TenantConnector: ...

    @property
    def clock(self) -> Clock: ...
