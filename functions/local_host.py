"""Stands in for the Functions host on a developer machine: serves the same ASGI app under uvicorn
(with the static portal on the same origin) and drains every queue of core.messages.MESSAGES with
one loop and the handlers the queue triggers call, retrying and poisoning as host.json configures
the real host to."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.bootstrap import LazyServices, Services, prepare_local_resources
from core.messages import EMAIL_SUMMARIES, MESSAGES, SCAN_REQUESTS, WEBHOOK_DELIVERIES, Route, dispatch
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


async def _handle(
    services: Services,
    options: QueueOptions,
    route: Route[Any],
    queue: QueueChannel,
    message: ReceivedMessage,
) -> None:
    """One message, as its queue trigger handles it in Azure: a message whose handler raises is
    released for another try, and poisoned after `max_dequeue_count` tries."""
    try:
        outcome = await dispatch(services, route, message.text)
    except Exception:
        log.exception("%s %s failed (attempt %d)", route.label, message.id, message.dequeue_count)
        if message.dequeue_count >= options.max_dequeue_count:
            await queue.poison(message, f"failed {message.dequeue_count} times")
        else:
            await queue.release(message, options.retry_delay_seconds)
        return
    log.info("%s %s: %s", route.label, message.id, outcome)
    await queue.delete(message)


async def drain_once(services: Services, options: QueueOptions, route: Route[Any]) -> int:
    """Handle one batch from the route's queue; returns how many messages were taken."""
    queue = services.queue(route.queue_name(services.settings))
    messages = await queue.receive(options.batch_size, PROCESSING_LEASE_SECONDS)
    await asyncio.gather(*(_handle(services, options, route, queue, m) for m in messages))
    return len(messages)


async def drain(
    services: Services,
    options: QueueOptions,
    route: Route[Any],
    stop: asyncio.Event | None = None,
    idle_seconds: float = 0.5,
) -> int:
    """Work the route's queue as the Functions host does: up to `batch_size` messages at once,
    fetching the next batch as soon as fewer than `new_batch_threshold` are still running (no
    waiting for the slowest of a batch). Returns when the queue is empty, or when `stop` is set if
    given."""
    running: set[asyncio.Task[None]] = set()
    handled = 0
    queue = services.queue(route.queue_name(services.settings))
    while True:
        if stop is not None and stop.is_set():
            break
        taken = 0
        if len(running) <= options.new_batch_threshold:
            try:
                messages = await queue.receive(options.batch_size, PROCESSING_LEASE_SECONDS)
            except Unavailable as exc:
                log.warning("queue unavailable: %s", exc)
                messages = []
            taken = len(messages)
            handled += taken
            running |= {asyncio.create_task(_handle(services, options, route, queue, m)) for m in messages}
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


# The queues one at a time, by name (tests and bench).


async def drain_scan_queue_once(services: Services, options: QueueOptions) -> int:
    return await drain_once(services, options, SCAN_REQUESTS)


async def drain_scan_queue(
    services: Services, options: QueueOptions, stop: asyncio.Event | None = None, idle_seconds: float = 0.5
) -> int:
    return await drain(services, options, SCAN_REQUESTS, stop, idle_seconds)


async def drain_webhook_queue_once(services: Services, options: QueueOptions) -> int:
    """A failed delivery re-queues itself with back-off (core.webhooks.delivery), so the original
    is done."""
    return await drain_once(services, options, WEBHOOK_DELIVERIES)


async def drain_summary_queue_once(services: Services, options: QueueOptions) -> int:
    return await drain_once(services, options, EMAIL_SUMMARIES)


async def run_worker(services: Services, stop: asyncio.Event) -> None:
    """Every queue of core.messages.MESSAGES, drained until `stop` is set."""
    options = QueueOptions.from_host_json()
    await asyncio.gather(*(drain(services, options, route, stop) for route in MESSAGES))


async def serve(settings: Settings, host: str, port: int, *, worker: bool = True) -> None:
    import uvicorn
    from fastapi.staticfiles import StaticFiles

    services = LazyServices(settings)
    await prepare_local_resources(await services.get())
    app = create_api(services)
    # follow_symlink: a git worktree's portal/vendor may be a link to the main checkout's copy (the
    # path is still confined to the portal directory as written; `..` cannot leave it).
    app.mount("/", StaticFiles(directory=PORTAL_DIR, html=True, follow_symlink=True), name="portal")
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
