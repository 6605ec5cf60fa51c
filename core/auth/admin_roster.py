"""The org's roster of MSP admins: the one document that makes "an MSP keeps at least one admin" atomic.

Counting admin member documents and then writing is a race: two admins demoting each other at the
same moment both count two and both go ahead, leaving none. Instead every promotion, demotion and
removal of an MSP admin replaces this one document in the org's partition with its etag (If-Match),
so of two concurrent changes one wins and the other reads the roster again and is judged against it.
(The Cosmos stand-in cannot roll back a transactional batch, so a batch is no substitute.)

The member and principal documents follow the roster: a demotion or removal leaves the roster before
the person's documents change, a promotion joins it after. Interrupted half-way, the roster then
holds fewer admins than the documents, never more, so the rule can only err on the side of refusing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from core import errors
from core.auth.roles import Role
from core.ports import Store
from core.store import AlreadyExists, Conflict
from core.store.documents import ADMIN_ROSTER, ROSTER_ID
from core.store.partitions import OrgRepository
from core.store.repository import StoredItem

ATTEMPTS = 6

# An admin as Entra names a person: (home tenant id, object id).
Admin = tuple[str, str]


class LastAdmin(errors.Refused):
    """The change would leave the org without an MSP admin."""


class RosterBusy(errors.Conflict):
    """Concurrent changes kept winning; the caller may try again."""


async def admin_members(repo: OrgRepository) -> set[Admin]:
    """Who the org's member documents say is an MSP admin."""
    rows = await repo.members(role=Role.MSP_ADMIN.value)
    return {(m["homeTenantId"], m["objectId"]) for m in rows}


def _admins(stored: StoredItem) -> set[Admin]:
    return {(a["homeTenantId"], a["objectId"]) for a in stored.body["admins"]}


def _document(admins: set[Admin]) -> dict[str, object]:
    return {
        "id": ROSTER_ID,
        "type": ADMIN_ROSTER,
        "admins": [{"homeTenantId": tid, "objectId": oid} for tid, oid in sorted(admins)],
        "updatedAt": datetime.now(UTC).isoformat(),
    }


async def _load(repo: OrgRepository) -> StoredItem:
    stored = await repo.find(ROSTER_ID)
    if stored is not None:
        return stored
    # Orgs from before the roster have none: build it once from their member documents. Two
    # requests doing so at once both build the same list; the second reads the first's.
    try:
        return await repo.create(_document(await admin_members(repo)))
    except AlreadyExists:
        return await repo.get(ROSTER_ID)


async def _change(repo: OrgRepository, decide: Callable[[set[Admin]], Awaitable[set[Admin] | None]]) -> None:
    """Apply `decide` (current admins -> new admins, or None for no change) under the etag."""
    for _ in range(ATTEMPTS):
        stored = await _load(repo)
        wanted = await decide(_admins(stored))
        if wanted is None:
            return
        try:
            await repo.replace(_document(wanted), stored.etag)
            return
        except Conflict:
            continue  # another change landed first: judge ours against the roster it left
    raise RosterBusy(f"the MSP admins of {repo.org_id} kept changing")


async def add_admin(store: Store, org_id: str, admin: Admin) -> None:
    """Call after the person's documents say msp_admin (see the module docstring for why after)."""

    async def decide(current: set[Admin]) -> set[Admin] | None:
        return None if admin in current else current | {admin}

    await _change(store.org(org_id), decide)


async def remove_admin(store: Store, org_id: str, admin: Admin) -> None:
    """Call before the person's documents stop saying msp_admin. Raises LastAdmin, changing
    nothing, when no other admin would remain."""
    repo = store.org(org_id)

    async def decide(current: set[Admin]) -> set[Admin] | None:
        remaining = current - {admin}
        # Count only admins whose member document agrees: if a crash or a promotion racing a
        # demotion of the same person left the roster naming someone who is no longer an admin,
        # that entry must not be what lets the last real admin go.
        if not remaining & (await admin_members(repo) - {admin}):
            raise LastAdmin("an organisation needs at least one MSP admin")
        return None if remaining == current else remaining

    await _change(repo, decide)
