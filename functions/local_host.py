"""Stands in for the Functions host on a developer machine: serves the same ASGI app under uvicorn
(with the static portal on the same origin) and drains the scan queue with the same handler the
queue trigger calls, retrying and poisoning as host.json configures the real host to."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.bootstrap import LazyServices, Services, prepare_local_resources
from core.scheduling import handle_scan_request
from core.settings import Settings
from core.store.errors import Unavailable
from core.store.queues import QueueChannel, ReceivedMessage
from functions.api import create_api

log = logging.getLogger("scanposture.local_host")
HOST_JSON = Path(__file__).resolve().parent.parent / "host.json"
PORTAL_DIR = Path(__file__).resolve().parent.parent / "portal"
SWA_CONFIG = PORTAL_DIR / "staticwebapp.config.json"


def portal_headers(path: Path = SWA_CONFIG) -> list[tuple[bytes, bytes]]:
    """The security headers Static Web Apps sends with the portal in Azure (one source for both)."""
    headers = json.loads(path.read_text())["globalHeaders"]
    return [(k.lower().encode(), v.encode()) for k, v in headers.items()]


class PortalHeaders:
    """ASGI middleware: the portal's security headers (CSP and friends) on every non-/api
    response, so the portal is developed and tested under the policy it gets in Azure."""

    def __init__(self, app: Any, headers: list[tuple[bytes, bytes]]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/api"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                names = {k for k, _ in self.headers}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": kept + self.headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# While a message is being handled it stays invisible for this long (the host renews its lease).
PROCESSING_LEASE_SECONDS = 300


@dataclass(frozen=True)
class QueueOptions:
    batch_size: int
    new_batch_threshold: int
    max_dequeue_count: int
    retry_delay_seconds: int

    @classmethod
    def from_host_json(cls, path: Path = HOST_JSON) -> QueueOptions:
        queues = json.loads(path.read_text())["extensions"]["queues"]
        hours, minutes, seconds = (int(p) for p in queues["visibilityTimeout"].split(":"))
        return cls(
            batch_size=int(queues["batchSize"]),
            new_batch_threshold=int(queues["newBatchThreshold"]),
            max_dequeue_count=int(queues["maxDequeueCount"]),
            retry_delay_seconds=hours * 3600 + minutes * 60 + seconds,
        )


async def _handle(services: Services, options: QueueOptions, message: ReceivedMessage) -> None:
    queue = services.scan_queue
    try:
        outcome = await handle_scan_request(services, message.text)
    except Exception:
        log.exception("scan request %s failed (attempt %d)", message.id, message.dequeue_count)
        if message.dequeue_count >= options.max_dequeue_count:
            await queue.poison(message, f"failed {message.dequeue_count} times")
        else:
            await queue.release(message, options.retry_delay_seconds)
        return
    log.info("scan request %s: %s", message.id, outcome)
    await queue.delete(message)


async def drain_scan_queue_once(services: Services, options: QueueOptions) -> int:
    """Handle one batch of scan requests; returns how many messages were taken."""
    messages = await services.scan_queue.receive(options.batch_size, PROCESSING_LEASE_SECONDS)
    await asyncio.gather(*(_handle(services, options, m) for m in messages))
    return len(messages)


async def drain_scan_queue(
    services: Services, options: QueueOptions, stop: asyncio.Event | None = None, idle_seconds: float = 0.5
) -> int:
    """Work the queue as the Functions host does: up to `batch_size` messages at once, fetching
    the next batch as soon as fewer than `new_batch_threshold` are still running (no waiting for
    the slowest of a batch). Returns when the queue is empty, or when `stop` is set if given."""
    running: set[asyncio.Task[None]] = set()
    handled = 0
    while True:
        if stop is not None and stop.is_set():
            break
        taken = 0
        if len(running) <= options.new_batch_threshold:
            try:
                messages = await services.scan_queue.receive(options.batch_size, PROCESSING_LEASE_SECONDS)
            except Unavailable as exc:
                log.warning("queue unavailable: %s", exc)
                messages = []
            taken = len(messages)
            handled += taken
            running |= {asyncio.create_task(_handle(services, options, m)) for m in messages}
        if running:
            _, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        elif not taken:
            if stop is None:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), idle_seconds)
    if running:
        await asyncio.wait(running)
    return handled


async def drain_queue_once(
    queue: QueueChannel, options: QueueOptions, handler: Callable[[str], Awaitable[str]]
) -> int:
    """Handle one batch from a work queue as its queue trigger does in Azure: a message whose
    handler raises is released for another try, and poisoned after `max_dequeue_count` tries."""
    messages = await queue.receive(options.batch_size, PROCESSING_LEASE_SECONDS)
    for message in messages:
        try:
            log.info("%s %s: %s", queue.name, message.id, await handler(message.text))
        except Exception:
            log.exception("%s %s failed (attempt %d)", queue.name, message.id, message.dequeue_count)
            if message.dequeue_count >= options.max_dequeue_count:
                await queue.poison(message, f"failed {message.dequeue_count} times")
            else:
                await queue.release(message, options.retry_delay_seconds)
            continue
        await queue.delete(message)
    return len(messages)


async def drain_webhook_queue_once(services: Services, options: QueueOptions) -> int:
    """Deliver one batch of webhook messages. A failed delivery re-queues itself with back-off
    (core.webhooks.delivery), so the original is done."""
    from core.webhooks.delivery import deliver, webhook_queue

    queue = webhook_queue(services)
    try:
        return await drain_queue_once(queue, options, lambda text: deliver(services, json.loads(text)))
    finally:
        await queue.close()


async def drain_summary_queue_once(services: Services, options: QueueOptions) -> int:
    """Send one batch of email summaries, as the email queue trigger does in Azure."""
    from core.reports.summary import handle_summary_message, summary_queue

    queue = summary_queue(services)
    try:
        return await drain_queue_once(queue, options, lambda text: handle_summary_message(services, text))
    finally:
        await queue.close()


async def _keep_draining(
    drain_once: Callable[[Services, QueueOptions], Awaitable[int]],
    services: Services,
    options: QueueOptions,
    stop: asyncio.Event,
) -> None:
    while not stop.is_set():
        try:
            taken = await drain_once(services, options)
        except Unavailable as exc:
            log.warning("queue unavailable: %s", exc)
            taken = 0
        if not taken:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)


async def run_worker(services: Services, stop: asyncio.Event) -> None:
    options = QueueOptions.from_host_json()
    await asyncio.gather(
        drain_scan_queue(services, options, stop),
        _keep_draining(drain_webhook_queue_once, services, options, stop),
        _keep_draining(drain_summary_queue_once, services, options, stop),
    )


async def serve(settings: Settings, host: str, port: int, *, worker: bool = True) -> None:
    import uvicorn
    from fastapi.staticfiles import StaticFiles

    services = LazyServices(settings)
    await prepare_local_resources(await services.get())
    app = create_api(services)
    app.mount("/", StaticFiles(directory=PORTAL_DIR, html=True), name="portal")
    served = PortalHeaders(app, portal_headers())
    server = uvicorn.Server(uvicorn.Config(served, host=host, port=port, log_level="warning", lifespan="off"))
    stop = asyncio.Event()
    worker_task = asyncio.create_task(run_worker(await services.get(), stop)) if worker else None
    try:
        await server.serve()
    finally:
        stop.set()
        if worker_task is not None:
            await worker_task
        await services.close()
