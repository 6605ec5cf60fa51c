"""The one place that wires real adapters from settings.

Each adapter is built, and its SDK imported, when a use case first reaches for it (issue 24: a
cold start pays only for what its route uses; GET /api/config touches no SDK, a health check
imports the storage SDKs but never Graph's). The imports inside the properties below are that
seam; every adapter is still built once per process.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from core.clock import SystemClock
from core.settings import Settings, get_settings
from core.startup import collection_paused

if TYPE_CHECKING:
    from core.collect.connector import GraphTenantConnector
    from core.mail.graph import GraphMailer
    from core.store.blobs import BlobStore
    from core.store.cosmos import CosmosStore
    from core.store.queues import QueueChannel

_QUEUES = ("scan_queue", "webhook_queue", "email_queue")


class Services:
    """Every adapter, built once per process (Azure's guidance for Functions: create clients once
    and reuse them) and at its first use; use cases see it through `core.ports.Services`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = SystemClock()

    @cached_property
    def store(self) -> CosmosStore:
        with collection_paused():  # core.startup: a cold start's largest imports are these
            from core.store.cosmos import CosmosStore  # azure.cosmos, at first use (module docstring)

        return CosmosStore.from_settings(self.settings)

    @cached_property
    def blobs(self) -> BlobStore:
        with collection_paused():
            from core.store.blobs import BlobStore, blob_service_from_settings  # azure.storage.blob

        return BlobStore(blob_service_from_settings(self.settings))

    @cached_property
    def scan_queue(self) -> QueueChannel:
        return self._channel(self.settings.scan_queue_name)

    @cached_property
    def webhook_queue(self) -> QueueChannel:
        return self._channel(self.settings.webhook_queue_name)

    @cached_property
    def email_queue(self) -> QueueChannel:
        return self._channel(self.settings.email_queue_name)

    @cached_property
    def mailer(self) -> GraphMailer:
        from core.mail.graph import GraphMailer  # the Graph SDK loads later still, at the first mail

        return GraphMailer(self.settings)

    @cached_property
    def tenants(self) -> GraphTenantConnector:
        from core.collect.connector import GraphTenantConnector  # httpx and jwt, for scans only

        return GraphTenantConnector(self.settings)

    def _channel(self, name: str) -> QueueChannel:
        with collection_paused():
            from core.store.queues import QueueChannel  # azure.storage.queue, at first use

        return QueueChannel.from_settings(self.settings, name)

    def queue(self, name: str) -> QueueChannel:
        """The channel of the queue called `name` (one of the three the app uses)."""
        settings = self.settings
        names = (settings.scan_queue_name, settings.webhook_queue_name, settings.email_queue_name)
        for attribute, queue_name in zip(_QUEUES, names, strict=True):
            if queue_name == name:
                channel: QueueChannel = getattr(self, attribute)
                return channel
        raise ValueError(f"no queue called {name!r} is wired")

    async def close(self) -> None:
        """Close the adapters that were built; one never used has nothing open."""
        built = vars(self)
        for attribute in ("store", "blobs", *_QUEUES, "mailer"):
            if attribute in built:
                await built[attribute].close()


def build_services(settings: Settings | None = None) -> Services:
    return Services(settings or get_settings())


async def prepare_local_resources(services: Services) -> None:
    """Create what Bicep creates in Azure: the database, containers and queues. Local only."""
    settings = services.settings
    await services.store.ensure_containers()
    await services.blobs.ensure_containers(settings.reports_container, settings.logos_container)
    for channel in (services.scan_queue, services.webhook_queue, services.email_queue):
        await channel.ensure()


class LazyServices:
    """Builds `Services` on first use and shares them afterwards.

    Entry points (the ASGI app, timers, the queue trigger) hold one of these so that a cold start
    pays for no client until a request needs one.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings
        self._services: Services | None = None

    async def get(self) -> Services:
        # Building only creates client objects (no I/O), so there is no await between the check and
        # the assignment and no lock is needed on the single-threaded event loop.
        if self._services is None:
            self._services = build_services(self._settings)
        return self._services

    async def close(self) -> None:
        if self._services is not None:
            await self._services.close()
            self._services = None
