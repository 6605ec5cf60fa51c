"""Evaluate the catalogue while a scan's longest chain of pages is still arriving.

A large tenant's scan ends with one source still paging (sign-in activity, 500 users a page) while
every other source has long been read; evaluating the 149 checks only after it lands put some 40 ms
of CPU after the last page on a 5,000-user tenant (bench/scan.py (a)). Instead, once a single read
is left, the checks run one at a time in the gaps between its pages, over `CollectedSoFar`: a view
of the snapshot that refuses (`NotYetCollected`) any source neither read nor failed yet. A check
that touches such a source is put back and runs on the finished snapshot with whatever was not
evaluated early, so every verdict is the one the finished snapshot gives (tests/integration/
test_early_evaluation.py compares the two for whole tenants).

What decides a source's failure beyond its own read, the tenant's subscriptions (licence refusals
are believed only when they lack the plan), must be final first: without subscriptions read,
nothing is evaluated early.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from core.checks.licensing import SUBSCRIBED_SKUS
from core.checks.model import Check, Outcome, SourceFailure, TenantSnapshot, run_check
from core.collect.teams import settle_teams_licence
from core.scan.findings import CheckResult

T = TypeVar("T")


class NotYetCollected(BaseException):
    """A check read a source still being collected. A BaseException, so that no check's own error
    handling can mistake it for a reading and turn it into a verdict."""

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.source = source


class _FailuresSoFar(dict[str, SourceFailure]):
    def __init__(self, failures: dict[str, SourceFailure], data: dict[str, Any]) -> None:
        super().__init__(failures)
        self._data = data

    def get(self, name: str, default: Any = None) -> Any:
        if name not in self and name not in self._data:
            raise NotYetCollected(name)
        return super().get(name, default)


class CollectedSoFar(TenantSnapshot):
    """The snapshot as collected so far: the same data (sources land whole, never half-read) and a
    copy of the failures, settled as the collector will settle them."""

    def _require(self, source: str) -> None:
        if source not in self.data and not dict.__contains__(self.failures, source):
            raise NotYetCollected(source)

    def get(self, source: str) -> Any:
        self._require(source)
        return super().get(source)

    def has(self, source: str) -> bool:
        self._require(source)
        return super().has(source)

    def derived(self, name: str, source: str, build: Callable[[Any], T]) -> T:
        self._require(source)
        return super().derived(name, source, build)

    @classmethod
    def of(cls, snapshot: TenantSnapshot) -> CollectedSoFar | None:
        if SUBSCRIBED_SKUS not in snapshot.data and SUBSCRIBED_SKUS not in snapshot.failures:
            return None
        view = cls(snapshot.tenant_id, snapshot.collected_at, snapshot.data)
        view.failures = _FailuresSoFar(dict(snapshot.failures), snapshot.data)
        try:
            settle_teams_licence(view)  # as collect_tenant does once everything is read
        except NotYetCollected:
            return None  # a Teams read is the one left: its settling must wait for it
        view.settle_licences()
        return view


class EarlyEvaluation:
    """`start` (the collector calls it when one read is left) evaluates what it can in the
    background; `finish` evaluates the rest over the finished snapshot and returns every result in
    the catalogue's order."""

    def __init__(self, checks: Sequence[Check]) -> None:
        self._checks = list(checks)
        self._outcomes: dict[int, Outcome] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self, snapshot: TenantSnapshot) -> None:
        view = CollectedSoFar.of(snapshot)
        if view is not None and self._task is None:
            self._task = asyncio.create_task(self._evaluate(view))

    async def _evaluate(self, view: CollectedSoFar) -> None:
        for index, check in enumerate(self._checks):
            with contextlib.suppress(NotYetCollected):  # then evaluated over the finished snapshot
                self._outcomes[index] = run_check(check, view)
            await asyncio.sleep(0)  # let the last chain's next page in between checks

    async def finish(self, snapshot: TenantSnapshot) -> list[CheckResult]:
        if self._task is not None:
            await self._task
        results = []
        for index, check in enumerate(self._checks):
            outcome = self._outcomes.get(index)
            if outcome is None:
                outcome = run_check(check, snapshot)
            results.append(CheckResult(check.metadata, outcome))
        return results

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    @property
    def evaluated_early(self) -> int:
        return len(self._outcomes)
