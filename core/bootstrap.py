"""The one place that wires real adapters from settings."""

from __future__ import annotations

from dataclasses import dataclass

from core.clock import SystemClock
from core.collect.connector import GraphTenantConnector
from core.mail.graph import GraphMailer
from core.settings import Settings, get_settings
from core.store.blobs import BlobStore, blob_service_from_settings
from core.store.cosmos import CosmosStore
from core.store.queues import QueueChannel


@dataclass
class Services:
    """Every adapter, built once per process (Azure's guidance for Functions: create clients once
    and reuse them); use cases see it through `core.ports.Services`."""

    settings: Settings
    store: CosmosStore
    blobs: BlobStore
    scan_queue: QueueChannel
    webhook_queue: QueueChannel
    email_queue: QueueChannel
    mailer: GraphMailer
    tenants: GraphTenantConnector
    clock: SystemClock

    def queue(self, name: str) -> QueueChannel:
        """The channel of the queue called `name` (one of the three the app uses)."""
        for channel in (self.scan_queue, self.webhook_queue, self.email_queue):
            if channel.name == name:
                return channel
        raise ValueError(f"no queue called {name!r} is wired")

    async def close(self) -> None:
        await self.store.close()
        await self.blobs.close()
        for channel in (self.scan_queue, self.webhook_queue, self.email_queue):
            await channel.close()
        await self.mailer.close()


def build_services(settings: Settings | None = None) -> Services:
    settings = settings or get_settings()
    return Services(
        settings=settings,
        store=CosmosStore.from_settings(settings),
        blobs=BlobStore(blob_service_from_settings(settings)),
        scan_queue=QueueChannel.from_settings(settings, settings.scan_queue_name),
        webhook_queue=QueueChannel.from_settings(settings, settings.webhook_queue_name),
        email_queue=QueueChannel.from_settings(settings, settings.email_queue_name),
        mailer=GraphMailer(settings),
        tenants=GraphTenantConnector(settings),
        clock=SystemClock(),
    )


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
