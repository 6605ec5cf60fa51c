"""The small interfaces the use cases in core/ depend on; `core.bootstrap` wires the real adapters
behind them once per process, and tests can put in-memory ones in their place.

Use cases take `Services` (this Protocol), never `core.bootstrap`: only entry points (function_app,
functions/, the CLI, the local host) import the wiring.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from core.settings import Settings

if TYPE_CHECKING:
    from core.customers import Customer
    from core.mail.graph import Attachment
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
