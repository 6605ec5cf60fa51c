"""API latency (issue 5): one MSP with 1,000 customers of 50 findings each in the local Cosmos
stand-in, measured through the HTTP API (uvicorn, real JWT validation) one request at a time.
The fleet view's answer carries its at-a-glance summary (tiles and score distribution, issue 18),
so its figure includes computing them over every customer; some customers are stale or have lost
their connection, and trends run up to six scans.

Targets: fleet view p95 <= 50 ms; cross-tenant search and a drill-down page p95 <= 100 ms.
The fleet compliance matrix (issue 22: customers by CIS E3 Level 1 sections, from the shares each
scan stored on the summaries the fleet view reads) is measured whole and filtered to the customers
below 80%, against the fleet view's later target of p95 <= 15 ms.

Isolation by the database (issue 23): a customer viewer's dashboard, read through a Cosmos client
holding only that customer's resource token, against the drill-down target (p95 <= 100 ms); its
first request (which creates the Cosmos user and permission, mints the token and builds the
client) is reported apart, and the same dashboard read by the MSP admin on the app's identity is
measured beside it, so the difference is the cost of the tokens.

Load (issues 11 and 24): then 50 concurrent portal users for 60 seconds from a bounded
(closed-loop) generator on loopback, in this same process, against the app served by `--workers`
HTTP worker processes (one per CPU unless told): throughput, p95 and error rate, and beside them
each worker's requests and CPU, the local stack's and this generator's CPU, and how busy the whole
machine was (bench/load.py). Issue 24's targets: at least 150 requests/s, p95 at most 400 ms, no
errors.

Per request (issue 24 item 2; bench/api_requests.py): the CPU time of each route of the load mix
through the app in-process, and with `--fleet-sizes 10000` the fleet view of another MSP of that
many customers (target p95 <= 60 ms; the 1,000-customer fleet view's target is 15 ms).

Run: .venv/bin/python -m bench.api [--customers 1000] [--requests 200] [--load-users 50] [--workers N]
     [--fleet-sizes 10000]
Prints the figures and saves them to bench/results/api.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.api_requests import cpu_per_request, fleet_at_sizes
from bench.synthetic import FINDINGS_PER_CUSTOMER, synthetic_customer
from core.auth.principals import Membership, grant_membership
from core.auth.roles import Role
from core.bootstrap import build_services, prepare_local_resources
from core.checks.catalogue import CATALOGUE
from core.customers import save_new_customer
from core.settings import Settings
from devtools.processes import free_port, spawn, wait_until
from devtools.signin.launcher import start_signin
from devtools.stack import LocalStack

RESULTS = Path(__file__).resolve().parent / "results"
# The app's HTTP worker processes (FUNCTIONS_WORKER_PROCESS_COUNT, functions/local_host.py): one per
# core, as an instance of this machine's size would be configured for a CPU-bound API (one Python
# process uses one core at most; Microsoft's throughput guide for Python apps says to add worker
# processes for CPU-bound work), within the host's limit of 10.
DEFAULT_WORKERS = min(os.cpu_count() or 1, 10)
AUDIENCE = "api://scanposture-bench"


async def seed(
    settings: Settings, org_id: str, customers: int, admin: dict[str, str], viewer: dict[str, str]
) -> list[str]:
    services = build_services(settings)
    await prepare_local_resources(services)
    rng = random.Random(7)
    org = services.store.org(org_id)
    tenants = []
    now = datetime.now(UTC)
    for i in range(customers):
        tenant_id = str(uuid.UUID(int=rng.getrandbits(128)))
        if i == 1:
            tenant_id = viewer["tid"]  # the customer viewer's own tenant
        customer, findings = synthetic_customer(rng, org_id, i, tenant_id, now)
        await services.store.relationship(customer.customer_id).upsert_many(
            [f.to_document() for f in findings]
        )
        await save_new_customer(org, customer)
        tenants.append(tenant_id)
    await grant_membership(
        services.store,
        home_tenant_id=admin["tid"],
        object_id=admin["oid"],
        membership=Membership(org_id, Role.MSP_ADMIN),
        name=admin["name"],
        email=admin["email"],
    )
    # A customer viewer of the second customer (connected, recently scanned): issue 23's figure.
    await grant_membership(
        services.store,
        home_tenant_id=viewer["tid"],
        object_id=viewer["oid"],
        membership=Membership(org_id, Role.CUSTOMER_VIEWER, viewer["tid"]),
        name=viewer["name"],
        email=viewer["email"],
    )
    await services.close()
    return tenants


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
        "requests": len(ordered),
    }


def measure(client: httpx.Client, urls: list[str], headers: dict[str, str]) -> dict[str, float]:
    samples = []
    for url in urls:
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
    return percentiles(samples)


def customer_dashboard(client: httpx.Client, served: SeededApp, requests: int) -> dict[str, Any]:
    """Issue 23: a customer viewer's own dashboard through its resource token, its first request
    (user, permission, token and client made) apart, and the same dashboard as the MSP admin on
    the app's identity, the two alternating so that a busy machine weighs on both alike."""
    url = f"/api/tenants/{served.tenants[1]}/dashboard"
    start = time.perf_counter()
    first = client.get(url, headers=served.viewer_headers)
    first_ms = round((time.perf_counter() - start) * 1000, 1)
    if first.status_code != 200:
        raise RuntimeError(f"customer dashboard: {first.status_code} {first.text[:200]}")
    samples: dict[str, list[float]] = {"viewer": [], "admin": []}
    for _ in range(requests):
        for who, headers in (("viewer", served.viewer_headers), ("admin", served.headers)):
            start = time.perf_counter()
            response = client.get(url, headers=headers)
            samples[who].append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{who} dashboard: {response.status_code} {response.text[:200]}")
    return {
        "first_request_ms": first_ms,
        "as_customer_viewer": percentiles(samples["viewer"]),
        "same_dashboard_as_msp_admin": percentiles(samples["admin"]),
    }


def compliance_figures(client: httpx.Client, headers: dict[str, str], requests: int) -> dict[str, Any]:
    """The fleet compliance matrix (issue 22) of CIS E3 Level 1 over HTTP: every customer, and
    those below 80% (the question an MSP asks)."""
    matrix = "/api/fleet/scorecards/cis-e3-l1"
    return {
        "fleet_compliance_matrix": measure(client, [f"{matrix}?sort=share"] * requests, headers),
        "fleet_compliance_below_80": measure(client, [f"{matrix}?below=80&sort=share"] * requests, headers),
    }


def fleet_summary(client: httpx.Client, headers: dict[str, str], customers: int) -> dict[str, Any]:
    """The fleet view answers its tiles and score distribution (issue 18) over every customer,
    so the fleet view's figure includes computing them."""
    summary: dict[str, Any] = client.get("/api/fleet", headers=headers).json()["summary"]
    if (summary["customers"], sum(summary["distribution"])) != (customers, summary["scored"]):
        raise RuntimeError(f"the fleet summary does not cover the fleet: {summary}")
    return {k: v for k, v in summary.items() if k != "distribution"}


@dataclass(frozen=True)
class SeededApp:
    """The app served under uvicorn over an MSP seeded with `customers` customers."""

    base: str
    headers: dict[str, str]  # the MSP admin's bearer token
    admin_name: str
    tenants: list[str]
    seed_seconds: float
    viewer_headers: dict[str, str]  # a customer viewer of tenants[1] (issue 23)
    settings: Settings  # the stack's, for in-process measurements
    processes: dict[str, int]  # role -> pid: the app ("app") and the local stack's, for CPU figures


def stack_processes(stack: LocalStack) -> dict[str, int]:
    """The local stack's processes, whose CPU the load shares the machine with."""
    running = {"cosmos stand-in": stack.cosmos, "azurite": stack.azurite}
    return {role: service.process.pid for role, service in running.items() if service is not None}


@contextlib.contextmanager
def seeded_app(customers: int, workers: int = 1) -> Iterator[SeededApp]:
    """The local stack, the sign-in provider (for the portal too) and the app over a seeded MSP,
    served by `workers` HTTP worker processes, stopped on leaving: what the API and portal
    benchmarks measure against."""
    admin = {
        "id": "admin",
        "tid": str(uuid.uuid4()),
        "oid": str(uuid.uuid4()),
        "name": "Bench Admin",
        "email": "admin@bench.example",
        "role": "msp_admin",
        "label": "MSP admin",
    }
    viewer = {
        "id": "viewer",
        "tid": str(uuid.uuid4()),  # the second customer's tenant (seed)
        "oid": str(uuid.uuid4()),
        "name": "Bench Viewer",
        "email": "viewer@bench.example",
        "role": "customer_viewer",
        "label": "Customer viewer",
    }
    with tempfile.TemporaryDirectory(prefix="bench-app-") as workdir:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        stack = LocalStack(Path(workdir) / "stack").start()
        signin = start_signin(Path(workdir) / "signin", [admin, viewer], AUDIENCE, portal_origin=base)
        env = {**stack.env(), **signin.env(), "PUBLIC_BASE_URL": base}
        settings = Settings(**{k.lower(): v for k, v in env.items()})  # type: ignore[arg-type]
        app = None
        try:
            t0 = time.perf_counter()
            tenants = asyncio.run(seed(settings, "bench-msp", customers, admin, viewer))
            seeded_s = time.perf_counter() - t0
            serve = ["serve", "--no-worker", "--port", str(port), "--workers", str(workers)]
            argv = [sys.executable, "-m", "functions.cli", *serve]
            app = spawn("app", argv, Path(workdir) / "app.log", env=env)

            def up() -> bool:
                try:
                    return httpx.get(f"{base}/api/health", timeout=2).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_until(up, "the app", 60, app)
            headers = {"authorization": f"Bearer {signin.token_for('admin')}"}
            viewer_headers = {"authorization": f"Bearer {signin.token_for('viewer')}"}
            seconds = round(seeded_s, 1)
            processes = {"app": app.pid, **stack_processes(stack)}
            yield SeededApp(
                base, headers, admin["name"], tenants, seconds, viewer_headers, settings, processes
            )
        finally:
            if app is not None:
                app.stop()
            signin.stop()
            stack.stop()


TARGETS = {
    "fleet_view_p95_ms": 50,
    "search_p95_ms": 100,
    "drill_down_p95_ms": 100,
    "customer_dashboard_p95_ms": 100,
    "fleet_compliance_p95_ms": 15,
    "issue_24_fleet_view_p95_ms": 15,
    "issue_24_fleet_view_10000_p95_ms": 60,
    "issue_24_load_requests_per_second": 150,
    "issue_24_load_p95_ms": 400,
}


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--load-users", type=int, default=50, help="concurrent users; 0 skips the load")
    parser.add_argument("--load-seconds", type=float, default=60)
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help="HTTP worker processes serving the app (default: one per CPU, at most 10)",
    )
    parser.add_argument(
        "--fleet-sizes",
        type=int,
        nargs="*",
        default=[],
        help="also measure the fleet view of another MSP of each of these sizes (issue 24: 10000)",
    )
    return parser.parse_args()


def route_figures(served: SeededApp, customers: int, requests: int) -> dict[str, Any]:
    """Each route's latency over HTTP, one request at a time, after a warm-up."""
    headers, tenants = served.headers, served.tenants
    rng = random.Random(11)
    checks = [c.id for c in CATALOGUE]

    def each(make: Callable[[], str]) -> list[str]:
        return [make() for _ in range(requests)]

    with httpx.Client(base_url=served.base, timeout=30) as client:
        for _ in range(5):  # warm: JWKS fetch, imports, connection pools
            client.get("/api/fleet", headers=headers)
        return {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count()},
            "customers": customers,
            "findings_per_customer": FINDINGS_PER_CUSTOMER,
            "seed_seconds": served.seed_seconds,
            "fleet_summary": fleet_summary(client, headers, customers),
            "fleet_view": measure(client, ["/api/fleet?sort=score&order=asc"] * requests, headers),
            "search_by_check": measure(
                client, each(lambda: f"/api/search?check={rng.choice(checks)}"), headers
            ),
            "search_by_text": measure(client, ["/api/search?q=mfa"] * requests, headers),
            "drill_down_findings_page": measure(
                client,
                each(lambda: f"/api/tenants/{rng.choice(tenants)}/findings?status=fail&pageSize=50"),
                headers,
            ),
            "drill_down_dashboard": measure(
                client, each(lambda: f"/api/tenants/{rng.choice(tenants)}/dashboard"), headers
            ),
            "customer_dashboard": customer_dashboard(client, served, requests),
            **compliance_figures(client, headers, requests),
            "targets": TARGETS,
        }


def main() -> None:
    args = _arguments()
    with seeded_app(args.customers, args.workers) as served:
        results = route_figures(served, args.customers, args.requests)
        cpu = cpu_per_request(
            served.settings, "bench-msp", served.headers, served.tenants, min(args.requests, 100), percentiles
        )
        results["cpu_per_request"] = asyncio.run(cpu)
        if args.fleet_sizes:
            results["fleet_view_at_size"] = fleet_at_sizes(
                served.base, served.settings, args.fleet_sizes, args.requests, measure
            )
        if args.load_users:
            from bench.load import load

            users, seconds = args.load_users, args.load_seconds
            figures = load(
                served.base, served.headers, served.tenants, users, seconds, served.processes, args.workers
            )
            results["load"] = {"workers": args.workers, **asyncio.run(figures)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "api.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
