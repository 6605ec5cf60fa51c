"""How many requests one scan has in flight to one service, and in which order waiting reads go."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from types import TracebackType


class ServiceLimit:
    """At most `limit` requests in flight, handed out in the order they are asked for, except that
    a read through `ahead` goes before every ordinary one still waiting.

    A scan lasts as long as its longest chain of dependent reads. The roles, then the groups that
    hold them, then the administrators' methods are such a chain, each link asked for only once the
    one before has landed; with first-come slots every link queued behind the dozens of one-request
    sources already waiting, and the chain ended some 80 ms later than its own requests take on a
    5,000-user tenant (bench/scan.py (a), issue 24)."""

    def __init__(self, limit: int) -> None:
        self._free = limit
        self._first: deque[asyncio.Future[None]] = deque()
        self._waiting: deque[asyncio.Future[None]] = deque()
        self.ahead = _Ahead(self)

    async def __aenter__(self) -> None:
        await self._acquire(self._waiting)

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release()

    async def _acquire(self, queue: deque[asyncio.Future[None]]) -> None:
        if self._free > 0 and not self._first and not self._waiting:
            self._free -= 1
            return
        granted = asyncio.get_running_loop().create_future()
        queue.append(granted)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release()  # handed a slot as it was cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    queue.remove(granted)
            raise

    def _release(self) -> None:
        for queue in (self._first, self._waiting):
            while queue:
                granted = queue.popleft()
                if not granted.done():
                    granted.set_result(None)  # the slot passes straight to the next reader
                    return
        self._free += 1


class _Ahead:
    def __init__(self, limit: ServiceLimit) -> None:
        self._limit = limit

    async def __aenter__(self) -> None:
        await self._limit._acquire(self._limit._first)

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._limit._release()
