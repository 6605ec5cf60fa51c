"""The one place that wires real adapters from settings."""

from __future__ import annotations

from dataclasses import dataclass

from core.settings import Settings, get_settings
from core.store.blobs import BlobStore, blob_service_from_settings
from core.store.cosmos import CosmosStore
from core.store.queues import QueueChannel


@dataclass
class Services:
    settings: Settings
    store: CosmosStore
    blobs: BlobStore
    scan_queue: QueueChannel

    async def close(self) -> None:
        await self.store.close()
        await self.blobs.close()
        await self.scan_queue.close()


def build_services(settings: Settings | None = None) -> Services:
    settings = settings or get_settings()
    return Services(
        settings=settings,
        store=CosmosStore.from_settings(settings),
        blobs=BlobStore(blob_service_from_settings(settings)),
        scan_queue=QueueChannel.from_settings(settings, settings.scan_queue_name),
    )


async def prepare_local_resources(services: Services) -> None:
    """Create what Bicep creates in Azure: the database, containers and queues. Local only."""
    settings = services.settings
    await services.store.ensure_containers()
    await services.blobs.ensure_containers(settings.reports_container, settings.logos_container)
    await services.scan_queue.ensure()
    for name in (settings.webhook_queue_name, settings.email_queue_name):
        queue = QueueChannel.from_settings(settings, name)
        try:
            await queue.ensure()
        finally:
            await queue.close()


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
