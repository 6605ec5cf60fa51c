"""Per-user reads for the Global Administrators, after the role assignments and role groups are read.

Only a few users hold Global Administrator, and only their sign-in methods matter to the
emergency-access check, so `/users/{id}/authentication/methods` is read for them alone rather than for
every user. Each source in `ADMIN_USER_SOURCES` is read once per such user and its snapshot data maps
the folded user id to what was read. When any user cannot be read, or the role data that names them
could not be, the whole source is recorded as failed with the reason, so no check judges half of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any

from core.checks.directory_roles import holders
from core.checks.model import SourceFailure, SourceMissing, TenantSnapshot
from core.checks.well_known import GLOBAL_ADMINISTRATOR
from core.collect.failures import SourceError
from core.collect.sources import USER_PLACEHOLDER, GraphSource

ReadSource = Callable[[GraphSource], Awaitable[Any]]


def global_admin_users(snapshot: TenantSnapshot) -> list[str]:
    """Ids of the users holding Global Administrator (active, eligible, or through a group), or raise
    `SourceMissing` when the role data could not be read."""
    found, _ = holders(snapshot, {GLOBAL_ADMINISTRATOR})
    return sorted(h.principal_id.lower() for h in found.values() if h.kind == "user")


def for_user(source: GraphSource, user_id: str) -> GraphSource:
    return replace(source, path=source.path.replace(USER_PLACEHOLDER, user_id))


async def read_admin_sources(
    snapshot: TenantSnapshot,
    sources: Iterable[GraphSource],
    read: ReadSource,
    limiter: AbstractAsyncContextManager[None],
) -> None:
    """Fill `snapshot` with each source's per-user data, or its failure."""
    try:
        users = global_admin_users(snapshot)
    except SourceMissing as exc:
        failure = exc.failure
        for source in sources:
            snapshot.failures[source.name] = SourceFailure(
                failure.kind if failure.kind != "not_licensed" else "unavailable",
                f"Global Administrators unknown: {exc.source} unreadable: {failure.reason}",
                failure.code,
            )
        return
    for source in sources:
        try:
            snapshot.data[source.name] = dict(
                await asyncio.gather(*(_one(source, user, read, limiter) for user in users))
            )
        except SourceError as exc:
            snapshot.failures[source.name] = exc.failure


async def _one(
    source: GraphSource, user_id: str, read: ReadSource, limiter: AbstractAsyncContextManager[None]
) -> tuple[str, Any]:
    try:
        async with limiter:
            return user_id, await read(for_user(source, user_id))
    except SourceError as exc:
        failure = exc.failure
        raise SourceError(
            SourceFailure(failure.kind, f"user {user_id}: {failure.reason}", failure.code, failure.plan)
        ) from exc
