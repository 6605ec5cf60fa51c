"""One read-only request's view of the orgs' fleet versions: read once, then the same for the
rest of the request.

A GET on a tenant route reads the org's fleet version to authorise (core.customers'
customer_of_tenant) and again to find its cached answer (core/answers.py); both must say the same,
and the second read costs a round trip to Cosmos DB for nothing. Inside a snapshot (entered by the
entry point for GET requests only) the first read is remembered for the request; a version this
request moves itself (put_fleet_version) replaces it, so it never reads back a version older than
its own write. Outside a snapshot (writes, jobs) every read goes to the store.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

Versions = dict[tuple[int, str], str | None]  # (container, org id) -> fleet version, None: none yet

_versions: ContextVar[Versions | None] = ContextVar("fleet_versions", default=None)


def current_versions() -> Versions | None:
    return _versions.get()


def enter_snapshot() -> Token[Versions | None]:
    return _versions.set({})


def leave_snapshot(token: Token[Versions | None]) -> None:
    try:
        _versions.reset(token)
    except ValueError:  # ended in another context than it began: clear this one instead
        _versions.set(None)
