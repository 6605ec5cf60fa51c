"""Stands in for the Functions host on a developer machine: serves the same ASGI app under uvicorn
(with the static portal on the same origin) in as many worker processes as the host would run
(FUNCTIONS_WORKER_PROCESS_COUNT), and drains every queue of core.messages.MESSAGES with one loop and
the handlers the queue triggers call, retrying and poisoning as host.json configures the real host
to."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Mapping
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


# Names the process that answered, on every response the local host serves, so tests and the bench
# see which HTTP worker served what. Never sent in Azure: function_app.py serves the API without
# this layer (and the pid would tell a stranger nothing they should know).
WORKER_HEADER = b"x-local-worker-pid"


class LocalHeaders:
    """ASGI middleware: the portal's security headers (CSP and friends) on every non-/api
    response, so the portal is developed and tested under the policy it gets in Azure; and the
    answering worker's pid (WORKER_HEADER) on every response."""

    def __init__(self, app: Any, portal: list[tuple[bytes, bytes]]) -> None:
        self.app = app
        self.worker = (WORKER_HEADER, str(os.getpid()).encode())
        self.portal = [*portal, self.worker]
        self.portal_names = frozenset(k for k, _ in portal)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith("/api")

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if api:
                    headers.append(self.worker)
                else:
                    headers = [(k, v) for k, v in headers if k.lower() not in self.portal_names]
                    headers += self.portal
                message = {**message, "headers": headers}
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


# The Functions host runs FUNCTIONS_WORKER_PROCESS_COUNT Python worker processes per instance (1
# unless set, at most 10) and hands each invocation to one of them: "Improve throughput performance
# of Python apps in Azure Functions",
# https://learn.microsoft.com/azure/azure-functions/python-scale-performance-reference
# It is the host's setting, not the app's (the app never reads it), so it is not in core/settings.py
# (whose keys are the app's settings in Bicep and local.settings.example.json) but read here, where
# the stand-in for the host is.
WORKER_PROCESS_COUNT = "FUNCTIONS_WORKER_PROCESS_COUNT"
MAX_WORKER_PROCESSES = 10
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def worker_process_count(environ: Mapping[str, str] = os.environ) -> int:
    """The HTTP worker processes a host instance runs, as FUNCTIONS_WORKER_PROCESS_COUNT says."""
    raw = environ.get(WORKER_PROCESS_COUNT, "").strip() or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_WORKER_PROCESSES:
        raise ValueError(f"{WORKER_PROCESS_COUNT} must be 1 to {MAX_WORKER_PROCESSES}, not {raw!r}")
    return int(raw)


def configure_logging() -> None:
    """INFO from the app and the host, from the Azure SDKs only WARNING and up: at INFO their HTTP
    logging policy writes every Cosmos DB and storage request and its response, headers and all
    (two records a call, about 1.5 ms of a worker's CPU under load, and most API requests make a
    call or more), which told a developer nothing the app's own log does not."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    logging.getLogger("azure").setLevel(logging.WARNING)


def local_app(services: LazyServices) -> Any:
    """The API with the portal on the same origin, as one worker process serves them."""
    from fastapi.staticfiles import StaticFiles

    app = create_api(services)
    # follow_symlink: a git worktree's portal/vendor may be a link to the main checkout's copy (the
    # path is still confined to the portal directory as written; `..` cannot leave it).
    app.mount("/", StaticFiles(directory=PORTAL_DIR, html=True, follow_symlink=True), name="portal")
    return LocalHeaders(app, portal_headers())


def uvicorn_server(app: Any, **where: Any) -> Any:
    import uvicorn

    # access_log off: uvicorn's access line is dropped at "warning" anyway; this skips even the
    # call per request that finds so.
    # timeout_keep_alive: Azure's front ends keep an idle client connection for minutes, uvicorn 5 s by
    # default; a client reusing a connection just as uvicorn closes it gets a reset (the 50-user
    # load saw a few in 10,000 requests), which no browser would meet against Azure.
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=120, **where
    )
    return uvicorn.Server(config)


async def serve(settings: Settings, host: str, port: int, *, worker: bool = True, workers: int = 1) -> int:
    """Serve until SIGINT/SIGTERM. One worker: HTTP and the queue worker in this process; more:
    see serve_workers. Returns the exit status."""
    if workers > 1:
        from functions.local_workers import serve_workers  # it builds on this module

        return await serve_workers(settings, host, port, workers=workers, worker=worker)
    services = LazyServices(settings)
    await prepare_local_resources(await services.get())
    server = uvicorn_server(local_app(services), host=host, port=port)
    stop = asyncio.Event()
    worker_task = asyncio.create_task(run_worker(await services.get(), stop)) if worker else None
    try:
        await server.serve()
    finally:
        stop.set()
        if worker_task is not None:
            await worker_task
        await services.close()
    return 0
