"""Reachability of each dependency, for `GET /api/health`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.ports import Services


@dataclass(frozen=True)
class DependencyState:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class HealthReport:
    dependencies: list[DependencyState]

    @property
    def ok(self) -> bool:
        return all(d.ok for d in self.dependencies)

    @property
    def down(self) -> list[str]:
        return [d.name for d in self.dependencies if not d.ok]


async def _probe(name: str, ping: Callable[[], Awaitable[None]], limit_seconds: float) -> DependencyState:
    try:
        await asyncio.wait_for(ping(), limit_seconds)
    except TimeoutError:
        return DependencyState(name, False, f"no answer within {limit_seconds:g} s")
    except Exception as exc:  # noqa: BLE001 - any failure to answer means "down"; the type says why
        return DependencyState(name, False, f"{type(exc).__name__}")
    return DependencyState(name, True, "reachable")


async def check_health(services: Services) -> HealthReport:
    timeout = services.settings.health_timeout_seconds
    states = await asyncio.gather(
        _probe("cosmos", services.store.ping, timeout),
        _probe("blob", services.blobs.ping, timeout),
        _probe("queue", services.scan_queue.ping, timeout),
    )
    return HealthReport(dependencies=list(states))
