"""Checks evaluated while the last read is still paging (core.scan.early) give the verdicts the
finished snapshot gives: whole tenants, read through the simulator, compared check by check."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from core.checks.catalogue import CATALOGUE
from core.collect.collector import collect_tenant
from core.collect.connection import open_connection
from core.scan.early import EarlyEvaluation
from core.scan.evaluate import evaluate_catalogue
from core.settings import Settings
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant


@pytest.fixture
async def no_faults(graphsim: GraphSimulator) -> AsyncIterator[None]:
    yield
    graphsim.clear_faults()


async def _early_and_late(settings: Settings, tenant_id: str) -> tuple[int, list[object], list[object]]:
    connection = open_connection(settings, tenant_id)
    early = EarlyEvaluation(CATALOGUE)
    try:
        snapshot = await collect_tenant(connection, settings, early.start)
        results = await early.finish(snapshot)
    finally:
        early.cancel()
        await connection.close()
    finished = evaluate_catalogue(snapshot)
    return (
        early.evaluated_early,
        [(r.check.id, r.outcome) for r in results],
        [(r.check.id, r.outcome) for r in finished],
    )


async def test_every_demo_tenant_gets_the_finished_snapshots_verdicts(
    scan_settings: Settings, graphsim: GraphSimulator
) -> None:
    for demo in graphsim.demo_tenants():
        evaluated_early, results, finished = await _early_and_late(scan_settings, demo["id"])
        assert results == finished, demo["displayName"]
        assert evaluated_early > len(CATALOGUE) // 2, demo["displayName"]  # not a vacuous comparison


@pytest.mark.parametrize(
    ("faults", "sign_ins_read"),
    [
        # Licence refusals settled from subscriptions.
        ({"missing_licences": ["AAD_PREMIUM_P2", "TEAMS1"]}, True),
        ({"removed_permissions": ["AuditLog.Read.All"]}, False),  # the paging read itself fails
        ({"throttle": 3, "throttle_retry_after": 0, "throttle_path": "/v1.0/users"}, True),
    ],
)
async def test_a_tenant_paging_sign_ins_gets_the_same_verdicts_under_faults(
    scan_settings: Settings,
    graphsim: GraphSimulator,
    no_faults: None,
    faults: dict[str, object],
    sign_ins_read: bool,
) -> None:
    # 4,000 users: the sign-in activity read runs eight pages, 30 ms each, and is the last read of
    # the scan (the Exchange cmdlets, some forty, outlast fewer pages), so the early evaluation
    # meets it still paging and puts back the checks that need it.
    tenant_id = graphsim.load_tenant(synthetic_tenant(4000, seed=uuid.uuid4().int % 10**9))
    graphsim.set_faults(tenant_id, latency_ms=30, **faults)
    evaluated_early, results, finished = await _early_and_late(scan_settings, tenant_id)
    assert results == finished
    assert evaluated_early > 0
    if sign_ins_read:
        assert evaluated_early < len(CATALOGUE)  # some put back for the last read
