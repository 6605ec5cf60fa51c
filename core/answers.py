"""Encoded answers of the read views (fleet, search, a tenant's dashboard and findings), cached per
process while nothing they are derived from has changed, with an ETag per caller's scope.

What an answer is derived from, and how each is covered:
- the org's customers, and the findings of its relationships: every write that changes them moves
  the org's fleet version (core.customers.bump_fleet_version), which is part of the key, and which
  every request reads (one point read), so a write in any process is seen by every process's next
  request;
- the time: staleness ("last scanned more than 7 days ago"), risk acceptances lapsing and a
  cancelled customer's last day all change an answer with nothing written. The builder of an answer
  says until when it holds (`until_next_change`); an answer is never served at or after that
  instant, nor after MAX_AGE in any case (a time rule added to a view later and forgotten here
  costs at most that long);
- who asks: the key holds the org, the caller's role, tenant and relationship, and whether the
  request reads through the caller's own resource tokens (`scope_of`), so an answer built for the
  MSP is never served to a customer's people, nor one built for tenant A to tenant B. The ETag is a
  digest of that same scope and the body: an ETag minted for one scope never matches another's
  answer, so a 304 says nothing to a caller about what another scope sees.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from core.store.scope import current_scope

if TYPE_CHECKING:  # annotations only: core.fleet imports this module, and needs neither at import
    from core.auth.principals import Grant
    from core.customers import Customer
    from core.store import OrgRepository

# The longest any answer is served from memory; see the module's docstring.
MAX_AGE = timedelta(seconds=60)
# Bounds on what a process keeps: the fleet view of 10,000 customers encodes to a few megabytes.
MAX_ENTRIES = 256
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Answer:
    body: bytes  # the JSON the route answers, encoded once
    etag: str  # quoted, as the ETag header carries it
    until: datetime  # served only before this instant


@dataclass(frozen=True)
class AnswerKey:
    store: int  # the container the org partition is read through (one per store/database)
    org_id: str
    scope: str  # scope_of(grant)
    view: str  # the route and its query, normalised by the caller
    version: str  # the org's fleet version when the answer was built


def scope_of(grant: Grant) -> str:
    """The caller's data scope, as cache keys and ETags name it: the MSP's roles see the org, a
    customer's people one tenant through one relationship, perhaps through their own tokens."""
    reads = "tokens" if current_scope() is not None else "app"
    # JSON, so that no id, whatever characters it holds, can make two scopes read alike.
    return json.dumps([grant.org_id, grant.role.value, grant.tenant_id, grant.relationship_id, reads])


def etag_of(scope: str, body: bytes) -> str:
    """Strong, and scope-specific: the same bytes answered to two scopes get two ETags."""
    digest = hashlib.blake2b(scope.encode(), digest_size=16)
    digest.update(b"\0")
    digest.update(body)
    return f'"{digest.hexdigest()}"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names this ETag (weak comparison, as RFC 9110 asks for
    GET); `*` is not honoured, so a 304 always proves the caller held this scope's own ETag."""
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in candidates


def _midnight_after(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, UTC)


def until_next_change(
    customers: Iterable[Customer],
    now: datetime,
    stale_after: timedelta | None = None,
    extra: Iterable[datetime] = (),
) -> datetime:
    """The first instant after `now` at which a view of these customers could read differently
    with nothing written: a scan going stale, an acceptance lapsing, a cancellation taking effect
    (and any `extra` instants the view knows of), or MAX_AGE from now."""
    soonest = now + MAX_AGE
    for c in customers:
        last = c.summary.last_scan_at
        if stale_after is not None and last is not None and last + stale_after >= now:
            soonest = min(soonest, last + stale_after)
        for expires in c.summary.acceptances.values():
            if expires > now:
                soonest = min(soonest, expires)
        if c.cancelled_on is not None and _midnight_after(c.cancelled_on) > now:
            soonest = min(soonest, _midnight_after(c.cancelled_on))
    for instant in extra:
        if instant > now:
            soonest = min(soonest, instant)
    return soonest


class AnswerCache:
    """Least recently used first out, bounded in entries and in bytes."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self._entries: OrderedDict[AnswerKey, Answer] = OrderedDict()
        self._max_entries, self._max_bytes, self._bytes = max_entries, max_bytes, 0

    def get(self, key: AnswerKey, now: datetime) -> Answer | None:
        answer = self._entries.get(key)
        if answer is None:
            return None
        if now >= answer.until:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return answer

    def put(self, key: AnswerKey, answer: Answer) -> None:
        if key in self._entries:
            self._drop(key)
        if len(answer.body) > self._max_bytes:
            return
        self._entries[key] = answer
        self._bytes += len(answer.body)
        while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: AnswerKey) -> None:
        self._bytes -= len(self._entries.pop(key).body)

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0


_answers = AnswerCache()
# What a builder returns: the encoded body and the instant it stops holding.
Built = tuple[bytes, datetime]


async def cached_answer(
    org: OrgRepository, grant: Grant, view: str, now: datetime, build: Callable[[], Awaitable[Built]]
) -> Answer:
    """The answer for this caller's scope and `view` at `now`: from memory while the org's fleet
    version and the time allow, else built (and kept, when the org has a fleet version)."""
    scope = scope_of(grant)
    version = await org.find_fleet_version()
    key = AnswerKey(id(org.container), org.org_id, scope, view, version or "")
    if version is not None and (hit := _answers.get(key, now)) is not None:
        return hit
    body, until = await build()
    answer = Answer(body, etag_of(scope, body), until)
    if version is not None:
        _answers.put(key, answer)
    return answer
