"""Test support: the 'good tenant' fixture (every check passes) and ways to break one thing at a time."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from core.checks.licensing import SATISFIED_BY, SUBSCRIBED_SKUS
from core.checks.model import Check, Outcome, SourceFailure, TenantSnapshot, run_check

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
BREAK_GLASS = "b6f1c2a0-0000-4000-8000-0000000000b1"
BREAK_GLASS_2 = "b6f1c2a0-0000-4000-8000-0000000000b2"  # the second emergency-access account


@cache
def _good_tenant() -> dict[str, Any]:
    return {
        path.stem: json.loads(path.read_text()) for path in sorted((FIXTURES / "good_tenant").glob("*.json"))
    }


def good_data() -> dict[str, Any]:
    """A fresh deep copy of the well-configured tenant, safe to mutate in a test."""
    return copy.deepcopy(_good_tenant())


def without_plan(data: dict[str, Any], plan: str) -> None:
    """Take `plan` (and every plan that would satisfy it) out of the tenant's subscriptions."""
    dropped = SATISFIED_BY.get(plan, frozenset({plan}))
    for sku in data.get(SUBSCRIBED_SKUS) or []:
        plans = sku.get("servicePlans", [])
        sku["servicePlans"] = [p for p in plans if p.get("servicePlanName") not in dropped]


def snapshot(
    data: dict[str, Any] | None = None, failures: dict[str, SourceFailure] | None = None
) -> TenantSnapshot:
    """The tenant with `failures` in place of those sources. A licence refusal stands only where the
    subscriptions lack the plan, so the plan it names is taken out of them too."""
    collected = good_data() if data is None else data
    failed = failures or {}
    for name, failure in failed.items():
        collected.pop(name, None)
        if failure.kind == "not_licensed" and failure.plan:
            without_plan(collected, failure.plan)
    return TenantSnapshot(tenant_id="tenant-1", collected_at=NOW, data=collected, failures=dict(failed))


def run(check: Check, data: dict[str, Any] | None = None, /, **failures: SourceFailure) -> Outcome:
    return run_check(check, snapshot(data, failures))


def mutated(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = good_data()
    change(data)
    return data


def by_id(items: list[dict[str, Any]], item_id: str) -> dict[str, Any]:
    return next(item for item in items if item.get("id") == item_id)


def values(evidence: tuple[Any, ...], key: str) -> list[Any]:
    return [entry.get(key) for entry in evidence if isinstance(entry, dict)]


FORBIDDEN = SourceFailure("forbidden", "Policy.Read.All missing")
NOT_LICENSED = SourceFailure("not_licensed", "Entra ID P1 required", plan="AAD_PREMIUM")
