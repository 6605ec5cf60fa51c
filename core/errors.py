"""The one exception tree of ScanPosture: every failure a caller is meant to see derives from
`ScanPostureError`, through one of five kinds that say what went wrong, not how it is answered.

    ScanPostureError
    ├── Refused        the request cannot be carried out as asked; the message says why
    ├── NotFound       what the request names does not exist (or is not the caller's to see)
    ├── Forbidden      the caller is known but not allowed to do this
    ├── Conflict       the request clashes with the current state (a concurrent write, a duplicate)
    └── Unavailable    a service behind us failed; trying again later may succeed

Domain modules subclass a kind (`core.store.NotFound(StoreError, NotFound)`,
`core.team.NoSuchMember(NotFound, TeamError)`); `functions/api` maps the kinds to HTTP once
(400, 404, 403, 409, 503 with Retry-After). Nothing here knows about HTTP, so the queue workers,
the CLI and the MCP server can handle the same exceptions their own way.
"""

from __future__ import annotations

__all__ = ["Conflict", "Forbidden", "NotFound", "Refused", "ScanPostureError", "Unavailable"]


class ScanPostureError(Exception):
    """Base of every exception ScanPosture raises on purpose. Catch a kind below, not this, unless
    you mean "anything ScanPosture refused"; a bare instance is a bug reported as a server error.

    `field` names the request field the message concerns (so a form can show it next to that
    field); `confirm` names the request flag that would carry the request out anyway, for a
    refusal the caller may override once a person confirmed it. Both stay None for most errors."""

    field: str | None = None
    confirm: str | None = None


class Refused(ScanPostureError):
    """The request cannot be carried out as asked (an invalid value, a rule it breaks); the message
    says why, in words the caller can act on."""


class NotFound(ScanPostureError):
    """What the request names does not exist, or exists only where the caller may not look."""


class Forbidden(ScanPostureError):
    """The caller is known but not allowed to do this; the message says why."""


class Conflict(ScanPostureError):
    """The request clashes with the current state: someone else wrote first, or it already exists.
    Reading again and retrying may succeed."""


class Unavailable(ScanPostureError):
    """A service behind ScanPosture (the store, a queue, Graph) could not be reached or failed.

    `retry_after` is how many seconds the caller should wait before trying again, if known."""

    def __init__(self, *args: object, retry_after: int | None = None) -> None:
        super().__init__(*args)
        self.retry_after = retry_after
