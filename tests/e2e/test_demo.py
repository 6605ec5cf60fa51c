"""The app served over real HTTP, as `make demo` runs it."""

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devtools.demo import DEMO_PORT
from devtools.processes import ManagedProcess, free_port, spawn, wait_until
from devtools.stack import LocalStack

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def served_app(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app: ManagedProcess = spawn(
        "app",
        [sys.executable, "-m", "functions.cli", "serve", "--port", str(port)],
        tmp_path_factory.mktemp("app") / "app.log",
        env=stack.env(),
    )

    def up() -> bool:
        try:
            return httpx.get(f"{base}/api/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(up, "the app", 60, app)
        yield base
    finally:
        app.stop()


def test_health_and_openapi_over_http(served_app: str) -> None:
    health = httpx.get(f"{served_app}/api/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    spec = httpx.get(f"{served_app}/api/openapi.json").json()
    assert spec["info"]["title"] == "ScanPosture API"
    assert "/api/health" in spec["paths"]


def test_portal_is_served_on_the_same_origin(served_app: str) -> None:
    page = httpx.get(f"{served_app}/")
    assert page.status_code == 200
    assert "<title>ScanPosture</title>" in page.text


def test_cli_health_reports_each_dependency(stack: LocalStack) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "functions.cli", "health"],
        env={**stack.env(), "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert [line.split()[:2] for line in out.stdout.splitlines()] == [
        ["cosmos", "up"],
        ["blob", "up"],
        ["queue", "up"],
    ]


@pytest.mark.slow
def test_make_demo_once_exits_zero() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "devtools.demo", "--once"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "health        ok" in out.stdout
    assert "stopped the app, the sign-in provider, the Graph simulator and the local stack" in out.stdout
    for name in ("Contoso Dental", "Northwind Logistics", "Fabrikam Legal"):
        assert name in out.stdout
    assert "Sign in at http://127.0.0.1:" in out.stdout
    for domain in ("contoso-dental.example", "northwind-logistics.example", "fabrikam-legal.example"):
        report = ROOT / "demo-out" / f"{domain}.pdf"
        assert report.read_bytes().startswith(b"%PDF"), report


@pytest.mark.slow
def test_make_demo_stopped_twice_still_stops_every_service() -> None:
    demo = subprocess.Popen(
        [sys.executable, "-u", "-m", "devtools.demo"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert demo.stdout is not None
    seen = []
    deadline = time.monotonic() + 120
    for line in demo.stdout:  # stop it while it is still onboarding, the services all up
        seen.append(line)
        if "ScanPosture is running" in line or time.monotonic() > deadline:
            break
    demo.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    demo.send_signal(signal.SIGTERM)  # impatient: the second one must not cut the cleanup short
    rest, _ = demo.communicate(timeout=120)
    output = "".join(seen) + rest
    assert demo.returncode == 0, output
    assert "stopped the app, the sign-in provider, the Graph simulator and the local stack" in output
    assert _processes_naming(str(ROOT / ".devstack")) == []
    with pytest.raises(ConnectionRefusedError):  # nor the app on the demo's port
        socket.create_connection(("127.0.0.1", DEMO_PORT), timeout=2).close()


def _processes_naming(text: str) -> list[str]:
    """Command lines of running processes that mention `text` (read from /proc)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone meanwhile
        if text in command:
            found.append(command)
    return found
