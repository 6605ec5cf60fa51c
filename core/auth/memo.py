"""Short-lived memory of who a caller is, so a request does not redo what the last one proved:
a token's validation (until the token expires) and the memberships of a person or an API key (a
few seconds, and forgotten in this process at once whenever anyone's memberships or keys change).

A value read before a change must never be remembered after it: `remember` takes the generation
the reader saw before it read (`generation()`), and every change (`forget_all`) moves the
generation, so a read that raced a revocation is not kept.
"""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")

# How long another process's change of memberships or API keys may take to be seen here: this
# process's own changes are seen at once (forget_all), but nothing tells it of another's, so each
# remembered lookup is read again after this long at most. A revoked person or key can therefore
# keep access through another instance for up to this many seconds.
PRINCIPAL_TTL_SECONDS = 15.0

_generation = 0
_forgetful: weakref.WeakSet[Memo[Any]] = weakref.WeakSet()  # the memos forget_all clears


def generation() -> int:
    return _generation


class Memo(Generic[V]):
    """Values by key until their own deadline (seconds on `time.time()`), least recently used out
    first past `capacity`; `of_principals`: cleared whenever memberships or API keys change."""

    def __init__(self, capacity: int, *, of_principals: bool = True) -> None:
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._capacity = capacity
        if of_principals:
            _forgetful.add(self)

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if time.time() >= entry[0]:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def remember(self, key: Hashable, value: V, until: float, seen: int) -> None:
        """Keep `value` until `until`, unless anything changed since generation `seen`."""
        if seen != _generation or until <= time.time():
            return
        self._entries[key] = (until, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


def forget_all() -> None:
    """Someone's memberships or an API key changed: forget every remembered principal in this
    process (rare writes; a cheap, obviously complete invalidation)."""
    global _generation
    _generation += 1
    for memo in list(_forgetful):
        memo.clear()
