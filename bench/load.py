"""The API under load (issues 11 and 24): a closed loop of portal users against the served app, with
the totals and, next to them, each process's share: the requests each HTTP worker process answered
(the local host names the answering process in a header) and the CPU every process of the app, the
local stack and this load generator used, read from /proc before and after. The machine is shared
(the load generator, the Cosmos and storage stand-ins and anything else running take the same
cores), so its busy share is recorded too: what the listed processes did not use went elsewhere."""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from bench.api import percentiles
from core.checks.catalogue import CATALOGUE

LOAD_MIX = ("fleet", "search", "findings", "dashboard")
WORKER_HEADER = "x-local-worker-pid"  # functions/local_host.py WORKER_HEADER
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU of a live process (/proc/<pid>/stat, fields 14 and 15)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (the HTTP workers of a supervising host)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent busy since boot (/proc/stat)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / TICKS


@dataclass
class CpuSnapshot:
    processes: dict[int, float]
    busy: float
    here: float

    @classmethod
    def take(cls, pids: list[int]) -> CpuSnapshot:
        measured = {pid: cpu_seconds(pid) for pid in pids}
        alive = {pid: cpu for pid, cpu in measured.items() if cpu is not None}
        return cls(alive, machine_busy_seconds(), time.process_time())


def process_figures(
    app_pid: int,
    named: dict[str, int],
    answered: dict[int, list[float]],
    before: CpuSnapshot,
    after: CpuSnapshot,
    elapsed: float,
) -> dict[str, Any]:
    """Each process's requests and CPU over the load, and the machine's busy share."""

    def used(pid: int) -> float:
        return round(after.processes.get(pid, 0.0) - before.processes.get(pid, 0.0), 2)

    rows: list[dict[str, Any]] = []
    for pid in sorted(before.processes):
        if pid in named.values():
            continue
        cpu = used(pid)
        if pid in answered:
            samples = answered[pid]
            rows.append(
                {
                    "role": "http worker",
                    "pid": pid,
                    "requests": len(samples),
                    "requests_per_second": round(len(samples) / elapsed, 1),
                    "p95_ms": percentiles(samples)["p95_ms"],
                    "cpu_seconds": cpu,
                    "cpu_ms_per_request": round(1000 * cpu / max(len(samples), 1), 1),
                }
            )
        else:
            role = "host supervisor" if pid == app_pid else "other host process"
            rows.append({"role": role, "pid": pid, "cpu_seconds": cpu})
    rows += [{"role": role, "pid": pid, "cpu_seconds": used(pid)} for role, pid in named.items()]
    rows.append({"role": "load generator (this bench)", "cpu_seconds": round(after.here - before.here, 2)})
    busy = after.busy - before.busy
    listed = sum(row["cpu_seconds"] for row in rows)
    return {
        "processes": rows,
        "machine_cpu": {
            "cpus": os.cpu_count(),
            "available_cpu_seconds": round((os.cpu_count() or 1) * elapsed, 1),
            "busy_cpu_seconds": round(busy, 1),
            "busy_share": round(busy / ((os.cpu_count() or 1) * elapsed), 3),
            "used_by_others_cpu_seconds": round(busy - listed, 1),
        },
    }


async def warm_every_worker(base: str, headers: dict[str, str], workers: int, tries: int = 200) -> set[int]:
    """A fleet view from every HTTP worker before the clock starts, as the single-request figures'
    warm-up gives the one worker they reach: each process keeps its own customer cache, and a
    cold one would spend the load's first seconds filling it. A new connection a request, since
    each connection stays with the worker the kernel gave it to."""
    warmed: set[int] = set()
    for _ in range(tries):
        if len(warmed) >= workers:
            break
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            response = await client.get("/api/fleet", headers=headers)
            response.raise_for_status()
            warmed.add(int(response.headers.get(WORKER_HEADER, 0)))
    return warmed


@dataclass
class _PortalUsers:
    """The simulated users' shared pick of pages and what they measured."""

    base: str
    headers: dict[str, str]
    tenants: list[str]
    deadline: float
    rng: random.Random = field(default_factory=lambda: random.Random(13))
    checks: list[str] = field(default_factory=lambda: [c.id for c in CATALOGUE])
    samples: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in LOAD_MIX})
    answered: dict[int, list[float]] = field(default_factory=dict)  # worker pid -> latencies
    errors: dict[str, int] = field(default_factory=dict)

    def url(self, kind: str) -> str:
        tenant = self.rng.choice(self.tenants)
        return (
            self.base
            + {
                "fleet": "/api/fleet?sort=score&order=asc",
                "search": f"/api/search?check={self.rng.choice(self.checks)}",
                "findings": f"/api/tenants/{tenant}/findings?status=fail&pageSize=50",
                "dashboard": f"/api/tenants/{tenant}/dashboard",
            }[kind]
        )

    async def user(self, client: aiohttp.ClientSession, offset: int) -> None:
        turn = offset
        while time.perf_counter() < self.deadline:
            kind = LOAD_MIX[turn % len(LOAD_MIX)]
            turn += 1
            start = time.perf_counter()
            pid = 0
            try:
                async with client.get(self.url(kind), headers=self.headers) as response:
                    await response.read()
                    failed = None if response.status == 200 else str(response.status)
                    pid = int(response.headers.get(WORKER_HEADER, 0))
            except (aiohttp.ClientError, TimeoutError) as exc:
                failed = type(exc).__name__
            ms = (time.perf_counter() - start) * 1000
            self.samples[kind].append(ms)
            self.answered.setdefault(pid, []).append(ms)
            if failed:
                self.errors[failed] = self.errors.get(failed, 0) + 1


async def load(
    base: str,
    headers: dict[str, str],
    tenants: list[str],
    users: int,
    seconds: float,
    processes: dict[str, int] | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """A closed loop of `users` portal users, each sending its next request when the last one
    answers (bounded: never more than `users` in flight), for `seconds`, cycling through the
    pages an MSP analyst opens: the fleet, a search, a customer's findings and its dashboard.
    `processes` names the served app's process ("app") and others to account CPU for (role: pid);
    each of its `workers` HTTP worker processes is warmed first."""
    warmed = await warm_every_worker(base, headers, workers)
    portal = _PortalUsers(base, headers, tenants, time.perf_counter() + seconds)
    named = dict(processes or {})
    app_pid = named.pop("app", 0)
    app = [app_pid, *children(app_pid)] if app_pid else []
    before = CpuSnapshot.take([*app, *named.values()])
    # aiohttp, not httpx, for the simulated users: the generator shares this machine's two cores
    # with the app and the stand-ins, and httpx's client spent about 4.8 ms of CPU a request here
    # (a fifth of the machine at 166 requests/s), against about a third of that with aiohttp; its
    # own queueing then showed up in the latencies it measured.
    connector = aiohttp.TCPConnector(limit=users)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
        began = time.perf_counter()
        await asyncio.gather(*(portal.user(client, i) for i in range(users)))
        elapsed = time.perf_counter() - began
    after = CpuSnapshot.take(list(before.processes))
    everything = [ms for kind in LOAD_MIX for ms in portal.samples[kind]]
    return {
        "concurrent_users": users,
        "seconds": round(elapsed, 1),
        "requests": len(everything),
        "requests_per_second": round(len(everything) / elapsed, 1),
        "error_rate": round(sum(portal.errors.values()) / max(len(everything), 1), 4),
        "errors": portal.errors,
        "all": percentiles(everything),
        **{kind: percentiles(portal.samples[kind]) for kind in LOAD_MIX if portal.samples[kind]},
        "http_workers": len([pid for pid in portal.answered if pid]),
        "http_workers_warmed_first": len(warmed),
        **process_figures(app_pid, named, portal.answered, before, after, elapsed),
    }
