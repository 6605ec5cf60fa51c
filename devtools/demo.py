"""`make demo`: the local stack, the Graph simulator and the app on http://127.0.0.1:7071.

It adds the simulator's demo customers to a demo MSP, scans them through the queue (the app's own
worker drains it), prints the fleet table, and serves until Ctrl-C. `make demo ARGS=--once` stops
after the fleet table and exits 0 (or non-zero, saying what failed).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx

from core.bootstrap import build_services
from core.customers import register_customer
from core.fleet import fleet_table, list_customers
from core.scan.requests import ScanRequest
from core.settings import Settings
from devtools.graphsim.launcher import GraphSimulator, start_graph_simulator
from devtools.processes import REPO_ROOT, ManagedProcess, StackError, port_open, spawn, wait_until
from devtools.stack import LocalStack

DEMO_PORT = 7071
BASE_URL = f"http://127.0.0.1:{DEMO_PORT}"
STATE_DIR = REPO_ROOT / ".devstack"
DEMO_ORG_ID = "demo-msp"


def start_app(env: dict[str, str], log_path: Path) -> ManagedProcess:
    if port_open(DEMO_PORT):
        raise StackError(f"port {DEMO_PORT} is already in use; stop whatever serves {BASE_URL} first")
    app = spawn(
        "app",
        [sys.executable, "-m", "functions.cli", "serve", "--port", str(DEMO_PORT)],
        log_path,
        env=env,
    )

    def healthy() -> bool:
        try:
            return httpx.get(f"{BASE_URL}/api/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(healthy, "the app", 60, app)
    return app


def print_banner(stack: LocalStack, app_log: Path) -> None:
    health = httpx.get(f"{BASE_URL}/api/health", timeout=5).json()
    print(f"\nScanPosture is running at {BASE_URL}")
    print(f"  API docs      {BASE_URL}/api/docs")
    print(f"  OpenAPI       {BASE_URL}/api/openapi.json")
    print(f"  health        {health['status']} ({health['message']})")
    print(f"  app log       {app_log}")
    print(f"  stack state   {stack.workdir}")


async def seed_and_scan(settings: Settings, tenants: list[dict[str, str]], wait_seconds: float = 180) -> str:
    """Add the demo customers (connected: consent arrives with onboarding), queue a scan of each
    and wait for the app's worker to finish them. Returns the fleet table."""
    services = build_services(settings)
    try:
        org = services.store.org(DEMO_ORG_ID)
        existing = {c.tenant_id for c in await list_customers(org)}
        run_id = datetime.now(UTC).strftime("demo-%Y%m%d%H%M%S")
        for tenant in tenants:
            if tenant["id"] not in existing:
                await register_customer(
                    org,
                    tenant_id=tenant["id"],
                    display_name=tenant["displayName"],
                    primary_domain=tenant["defaultDomain"],
                    connected=True,
                )
            request = ScanRequest(
                org_id=DEMO_ORG_ID, tenant_id=tenant["id"], request_id=run_id, reason="manual"
            )
            await services.scan_queue.send(request.to_message())
        deadline = time.monotonic() + wait_seconds
        while True:
            customers = await list_customers(org)
            if all(c.summary.last_scan_id == run_id for c in customers):
                return fleet_table(customers)
            if time.monotonic() > deadline:
                pending = [c.display_name for c in customers if c.summary.last_scan_id != run_id]
                raise StackError(f"scans did not finish within {wait_seconds:g} s: {', '.join(pending)}")
            await asyncio.sleep(0.5)
    finally:
        await services.close()


def run(once: bool) -> int:
    stack = LocalStack(STATE_DIR, in_memory=False)
    simulator: GraphSimulator | None = None
    app: ManagedProcess | None = None
    try:
        stack.start()
        simulator = start_graph_simulator(STATE_DIR / "graphsim")
        env = {**stack.env(), **simulator.env()}
        app_log = STATE_DIR / "logs/app.log"
        app = start_app(env, app_log)
        print_banner(stack, app_log)
        settings = Settings(**{k.lower(): v for k, v in env.items()})  # type: ignore[arg-type]
        print(f"\nScanning the demo customers of {DEMO_ORG_ID} through the queue ...\n")
        print(asyncio.run(seed_and_scan(settings, simulator.demo_tenants())))
        if once:
            return 0
        print("\nPress Ctrl-C to stop.")
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while app.popen.poll() is None:
            time.sleep(0.5)
        print(f"the app exited with {app.popen.returncode}; see {app_log}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except StackError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if app is not None:
            app.stop()
        if simulator is not None:
            simulator.stop()
        stack.stop()
        print("stopped the app, the Graph simulator and the local stack")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("--once", action="store_true", help="do the demo's job, then exit")
    return run(parser.parse_args(argv).once)


if __name__ == "__main__":
    sys.exit(main())
