"""The members of groups that hold directory roles, read after the role assignments name the groups.

A role given to a role-assignable group reaches every member of the group, and, with PIM for Groups,
everyone eligible to become one. Each source in `ROLE_GROUP_SOURCES` is read once per such group; its
snapshot data maps the group id to what was read. If any group cannot be read the whole source is
recorded as failed, naming the group, so no check counts administrators from half the groups.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any

from core.checks.model import SourceFailure, TenantSnapshot
from core.collect.readers import SourceError
from core.collect.sources import GROUP_PLACEHOLDER, GraphSource

ROLE_SOURCES = ("role_assignments", "role_eligibility_schedules")
GROUP_TYPE = "#microsoft.graph.group"

ReadSource = Callable[[GraphSource], Awaitable[Any]]


def role_holding_groups(snapshot: TenantSnapshot) -> list[str]:
    """Ids of the groups that hold a role, in the order first seen (lower-cased, deduplicated)."""
    found: dict[str, None] = {}
    for name in ROLE_SOURCES:
        for assignment in snapshot.data.get(name) or []:
            principal = assignment.get("principal") or {}
            if str(principal.get("@odata.type") or "").lower() == GROUP_TYPE and assignment.get(
                "principalId"
            ):
                found.setdefault(str(assignment["principalId"]).lower(), None)
    return list(found)


def for_group(source: GraphSource, group_id: str) -> GraphSource:
    return replace(source, path=source.path.replace(GROUP_PLACEHOLDER, group_id))


def _skip_reason(snapshot: TenantSnapshot, source: GraphSource) -> SourceFailure | None:
    """Why `source` cannot or need not be read for any group, if it cannot."""
    active = snapshot.failures.get(ROLE_SOURCES[0])
    if active is not None:
        return SourceFailure(active.kind, f"role assignments unreadable: {active.reason}", active.code)
    eligible = snapshot.failures.get(ROLE_SOURCES[1])
    if source.licence and eligible is not None and eligible.kind == "not_licensed":
        # The same plan gates PIM for roles and PIM for Groups (Entra ID P2): no need to ask again.
        return eligible
    return None


async def read_role_groups(
    snapshot: TenantSnapshot,
    sources: Iterable[GraphSource],
    read: ReadSource,
    limiter: AbstractAsyncContextManager[None],
) -> None:
    """Fill `snapshot` with each source's per-group data, or its failure."""
    groups = role_holding_groups(snapshot)

    async def fill(source: GraphSource) -> None:
        skip = _skip_reason(snapshot, source)
        if skip is not None:
            snapshot.failures[source.name] = skip
            return
        try:
            snapshot.data[source.name] = await _read_each(source, groups, read, limiter)
        except _GroupFailed as exc:
            snapshot.failures[source.name] = exc.failure

    await asyncio.gather(*(fill(source) for source in sources))


class _GroupFailed(Exception):
    def __init__(self, failure: SourceFailure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


async def _read_each(
    source: GraphSource, groups: list[str], read: ReadSource, limiter: AbstractAsyncContextManager[None]
) -> Mapping[str, Any]:
    async def one(group_id: str) -> tuple[str, Any]:
        try:
            async with limiter:
                return group_id, await read(for_group(source, group_id))
        except SourceError as exc:
            failure = exc.failure
            raise _GroupFailed(
                SourceFailure(failure.kind, f"group {group_id}: {failure.reason}", failure.code)
            ) from exc

    return dict(await asyncio.gather(*(one(group_id) for group_id in groups)))
