"""The local host's HTTP worker processes (`serve --workers N`, functions.local_host): a supervisor
that prepares the local resources once and drains the queues once, and N processes that each serve
the API and portal on their own socket of the port's SO_REUSEPORT group, as a Functions instance runs
FUNCTIONS_WORKER_PROCESS_COUNT worker processes."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from core.bootstrap import LazyServices, prepare_local_resources
from core.settings import Settings
from functions.local_host import configure_logging, local_app, log, run_worker, uvicorn_server


def _listening_socket(host: str, port: int) -> socket.socket:
    """One worker's own listening socket on the shared port. SO_REUSEPORT: the kernel spreads new
    connections over the group's sockets by their addresses, so each worker gets its share of the
    clients; one shared socket would let the first worker to wake accept a whole burst (asyncio
    accepts up to 100 at a wake-up). Only sockets of the same user join a group, and only if every
    one asks to: a port some other server holds without SO_REUSEPORT fails to bind, as it should."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


async def serve_workers(settings: Settings, host: str, port: int, *, workers: int, worker: bool) -> int:
    """`workers` HTTP worker processes, each with its own socket of the port's SO_REUSEPORT group,
    under this process, which prepares the local resources once and runs the queue worker (when
    `worker`) exactly once, as one host instance drains its queues once however many workers it
    has. SIGINT/SIGTERM here stops them all; a worker that exits stops the rest (status 1)."""
    if port and _answering(host, port):  # another `serve --workers` would share it silently
        log.error("something already serves %s:%d", host, port)
        return 1
    services = LazyServices(settings)
    await prepare_local_resources(await services.get())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    sockets = [_listening_socket(host, port)]
    port = sockets[0].getsockname()[1]  # port 0: the one the first socket was given
    sockets += [_listening_socket(host, port) for _ in range(workers - 1)]
    spawn = multiprocessing.get_context("spawn")  # never fork a process with a running event loop
    processes: list[BaseProcess] = [
        spawn.Process(target=http_worker, args=(settings, sock, os.getpid()), name=f"http-{i}", daemon=True)
        for i, sock in enumerate(sockets)
    ]
    for process in processes:
        process.start()
    for sock in sockets:  # each worker holds its own now: a worker that dies leaves the group
        sock.close()
    log.info("serving http://%s:%d with %d HTTP worker processes", host, port, workers)
    worker_task = asyncio.create_task(run_worker(await services.get(), stop)) if worker else None
    try:
        status = await _until_stopped(stop, processes)
    finally:
        stop.set()
        await asyncio.to_thread(_stop_processes, processes)
        if worker_task is not None:
            await worker_task
        await services.close()
    return status


def _answering(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


async def _until_stopped(stop: asyncio.Event, processes: list[BaseProcess]) -> int:
    while not stop.is_set():
        exited = [p for p in processes if p.exitcode is not None]
        if exited:
            log.error("HTTP worker %s exited with %s: stopping", exited[0].pid, exited[0].exitcode)
            return 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)
    return 0


def _stop_processes(processes: list[BaseProcess], timeout: float = 8.0) -> None:
    """SIGTERM (uvicorn's graceful shutdown), then SIGKILL whatever is left after `timeout`."""
    for process in processes:
        if process.exitcode is None:
            process.terminate()
    deadline = time.monotonic() + timeout
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.exitcode is None:
            log.warning("HTTP worker %s did not stop: killing it", process.pid)
            process.kill()
            process.join(5)


def http_worker(settings: Settings, sock: socket.socket, parent: int) -> None:
    """One HTTP worker process (spawned by serve_workers): the API and portal on `sock` until
    SIGTERM/SIGINT, or until the supervisor is gone."""
    _exit_with_parent(parent)
    configure_logging()
    services = LazyServices(settings)
    server = uvicorn_server(local_app(services))

    # uvicorn raises the signal it stopped for again once it has restored the handlers it found;
    # with these (not the default, which would end the process at once) the clients are closed
    # first. A signal before uvicorn's own handlers are in place stops the server as soon as it starts.
    def exit_soon(*_: Any) -> None:
        server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, exit_soon)

    async def run() -> None:
        try:
            await server.serve(sockets=[sock])
        finally:
            await services.close()

    _profiled(lambda: asyncio.run(run()))


# Local diagnosis only: with this set to a directory, each HTTP worker process writes its CPU
# profile (cProfile, its event loop's thread) there as <pid>.prof when it stops.
PROFILE_DIR = "SCANPOSTURE_PROFILE_DIR"


def _profiled(run: Callable[[], None]) -> None:
    directory = os.environ.get(PROFILE_DIR)
    if not directory:
        run()
        return
    import cProfile

    # CPU time, not the wall clock: on a shared machine a function's wall time includes the time
    # the process waited for a core.
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    try:
        run()
    finally:
        profile.disable()
        profile.dump_stats(Path(directory) / f"{os.getpid()}.prof")


def _exit_with_parent(parent: int) -> None:
    """Linux: SIGTERM this worker when the supervisor dies, even by SIGKILL, so that no worker
    outlives it holding the port."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != parent:  # it died before prctl took effect
        sys.exit(0)
