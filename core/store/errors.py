"""Storage errors the service layer understands, independent of the SDK that raised them."""

from __future__ import annotations

from core import errors


class StoreError(errors.ScanPostureError):
    """Base for every storage failure a caller may want to handle."""


class NotFound(StoreError, errors.NotFound):
    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} '{key}' was not found")
        self.kind = kind
        self.key = key


class AlreadyExists(StoreError, errors.Conflict):
    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} '{key}' already exists")
        self.kind = kind
        self.key = key


class Conflict(StoreError, errors.Conflict):
    """An optimistic-concurrency check failed: someone else wrote the item since it was read."""

    def __init__(self, key: str) -> None:
        super().__init__(f"item '{key}' was changed by another writer; read it again and retry")
        self.key = key


class InvalidId(StoreError, errors.Refused):
    """An id that cannot name a document (it would change the request path); the message says why.
    Where the id came from a request it is the caller's mistake: 400, or 401 for a token's claim."""

    def __init__(self, key: object, reason: str) -> None:
        shown = f"{key[:80]}…" if isinstance(key, str) and len(key) > 80 else key
        super().__init__(f"id {shown!r} is not a valid document id: {reason}")
        self.key = key
        self.reason = reason


class AccessDenied(StoreError, errors.Forbidden):
    """Cosmos DB refused the request (403): the caller's resource token does not cover it."""


class Unavailable(StoreError, errors.Unavailable):
    """The backing service could not be reached or answered with a server error."""


def storage_retry(retry_total: int) -> dict[str, int]:
    """The storage clients' retry keywords (they build their own async ExponentialRetry from these):
    tries 1, 3 and 5 s apart instead of the SDK's 15, 18 and 24 s."""
    return {"initial_backoff": 1, "increment_base": 2, "retry_total": retry_total}
