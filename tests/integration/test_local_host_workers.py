"""`scanposture serve --workers N`: N HTTP worker processes behind one port, as a Functions host
instance runs FUNCTIONS_WORKER_PROCESS_COUNT of them, stopped with the server however it stops."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devtools.processes import ManagedProcess, free_port, spawn, wait_until
from devtools.stack import LocalStack
from functions.local_host import WORKER_HEADER

HEADER = WORKER_HEADER.decode()


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _gone(pids: set[int], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(_state(pid) in ("gone", "Z") for pid in pids):  # a zombie holds no socket
            return True
        time.sleep(0.1)
    return False


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


@pytest.fixture
def two_workers(stack: LocalStack, tmp_path: Path) -> Iterator[tuple[ManagedProcess, str]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "functions.cli", "serve", "--workers", "2", "--no-worker"]
    argv += ["--port", str(port)]
    app = spawn("app", argv, tmp_path / "app.log", env={**stack.env(), "PUBLIC_BASE_URL": base})

    def up() -> bool:
        try:
            return httpx.get(f"{base}/api/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(up, "the app", 60, app)
        yield app, base
    finally:
        app.stop()


def _answering_workers(base: str, wanted: int = 2, tries: int = 100) -> set[int]:
    """The pids that answer, a new connection a request (each connection goes to one worker)."""
    seen: set[int] = set()
    for _ in range(tries):
        response = httpx.get(f"{base}/api/health", timeout=10)
        assert response.status_code == 200
        seen.add(int(response.headers[HEADER]))
        if len(seen) >= wanted:
            break
    return seen


def test_two_worker_processes_answer_and_stopping_the_server_stops_both(
    two_workers: tuple[ManagedProcess, str],
) -> None:
    app, base = two_workers
    workers = _answering_workers(base)
    assert len(workers) == 2, f"one process answered {len(workers)} requests"
    assert app.pid not in workers  # the supervisor serves no HTTP
    assert {_parent(pid) for pid in workers} == {app.pid}
    portal = httpx.get(f"{base}/", timeout=10)  # the portal too, with its security headers
    assert int(portal.headers[HEADER]) in workers and "content-security-policy" in portal.headers
    os.kill(app.pid, signal.SIGTERM)  # the server only, not its process group
    assert app.popen.wait(timeout=20) == 0
    assert _gone(workers), "an HTTP worker outlived the server"


def test_a_killed_server_takes_its_workers_with_it(two_workers: tuple[ManagedProcess, str]) -> None:
    app, base = two_workers
    workers = _answering_workers(base)
    os.kill(app.pid, signal.SIGKILL)  # no chance to stop them itself
    app.popen.wait(timeout=10)
    assert _gone(workers), "an HTTP worker outlived the killed server"


def test_a_worker_that_dies_stops_the_server(two_workers: tuple[ManagedProcess, str]) -> None:
    app, base = two_workers
    first, *others = sorted(_answering_workers(base))
    os.kill(first, signal.SIGKILL)
    assert app.popen.wait(timeout=20) == 1  # not a server quietly short of a worker
    assert _gone(set(others)), "the other HTTP worker outlived the server"


def test_a_second_server_on_the_same_port_refuses_to_start(
    two_workers: tuple[ManagedProcess, str], stack: LocalStack, tmp_path: Path
) -> None:
    _, base = two_workers
    port = base.rsplit(":", 1)[1]
    argv = [sys.executable, "-m", "functions.cli", "serve", "--workers", "2", "--no-worker", "--port", port]
    second = spawn("second", argv, tmp_path / "second.log", env=stack.env())
    try:
        assert second.popen.wait(timeout=60) == 1  # not a silent share of the first one's port
    finally:
        second.stop()
    assert "already serves" in (tmp_path / "second.log").read_text()
