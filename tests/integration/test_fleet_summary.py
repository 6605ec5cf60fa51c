"""The fleet at a glance through the API: GET /api/fleet's `summary` (the tiles and the score
distribution) over MSP S's whole fleet, each tile's filter keeping exactly the customers it counts,
a clear 400 for a filter value the API does not know, and the score bands in GET /api/config."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from core.bootstrap import Services
from core.customers import (
    Connection,
    ConnectionState,
    Customer,
    FailingCheck,
    PostureSummary,
    TrendPoint,
    customer_document_id,
    save_new_customer,
)
from core.scan.scoring import SCORE_BANDS
from tests.world import World

# name: (score, open P1 findings, days since the last scan or None, connection state)
FLEET: dict[str, tuple[float | None, int, int | None, ConnectionState]] = {
    "Anchor Accountants": (91.5, 0, 1, ConnectionState.CONNECTED),
    "Beacon Builders": (80.0, 2, 2, ConnectionState.CONNECTED),
    "Cobalt Clinic": (79.9, 1, 12, ConnectionState.CONNECTED),
    "Dune Dental": (55.0, 3, 3, ConnectionState.CONNECTED),
    "Ember Estates": (23.4, 6, 20, ConnectionState.CONNECTION_LOST),
    "Fjord Freight": (49.9, 4, 1, ConnectionState.CONNECTION_LOST),
    "Garnet Gardens": (None, 0, None, ConnectionState.CONNECTED),  # connected, never scanned
    "Harbour Hotels": (None, 0, None, ConnectionState.PENDING_CONSENT),
}
SCORES = [s for s, _, _, _ in FLEET.values() if s is not None]


def _customer(org_id: str, name: str, now: datetime) -> Customer:
    score, p1, days, state = FLEET[name]
    failing = {f"check.p1_{i}": FailingCheck(severity="critical") for i in range(p1)}
    scanned = now - timedelta(days=days) if days is not None else None
    trend = [TrendPoint(scan_id="scan-1", at=scanned, score=score)] if scanned else []
    customer_id = name.lower().replace(" ", "-") + "-" + org_id[-8:]
    return Customer(
        id=customer_document_id(customer_id),
        customer_id=customer_id,
        org_id=org_id,
        tenant_id=str(uuid.uuid4()),
        display_name=name,
        primary_domain=f"{customer_id}.example",
        connection=Connection(state=state, since=scanned),
        summary=PostureSummary(
            score=score,
            last_scan_id="scan-1" if scanned else None,
            last_scan_at=scanned,
            open_priority_count=p1,
            failing_count=p1,
            failing_check_ids=sorted(failing),
            failing=failing,
            trend=trend,
            # The score the fleet shows is recomputed from the weights (acceptances may expire).
            earned_weight=round(score * 10) if score is not None else 0,
            possible_weight=1000 if score is not None else 0,
        ),
    )


@pytest.fixture(scope="module")
async def glance(world: World, api_services: Services) -> None:
    """MSP S's fleet: nothing else reads or writes MSP S."""
    org = api_services.store.org(world.org_s)
    now = datetime.now(UTC)
    for name in FLEET:
        await save_new_customer(org, _customer(world.org_s, name, now))


def _as(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens[who]}"}


async def _fleet(
    client: httpx.AsyncClient, tokens: dict[str, str], query: str = "", who: str = "glance_admin"
) -> Any:
    response = await client.get(f"/api/fleet{query}", headers=_as(tokens, who))
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_summary_counts_the_whole_fleet(
    client: httpx.AsyncClient, tokens: dict[str, str], glance: None
) -> None:
    fleet = await _fleet(client, tokens)
    summary = fleet["summary"]
    assert summary["customers"] == len(FLEET) == fleet["total"]
    assert summary["scored"] == len(SCORES) == 6
    assert summary["averageScore"] == round(sum(SCORES) / len(SCORES), 1) == 63.3
    assert summary["bands"] == {"good": 2, "fair": 2, "poor": 2, "unscored": 2}
    assert summary["openPriorities"] == 16
    assert summary["customersWithOpenPriorities"] == 5
    assert summary["stale"] == 3  # Cobalt (12 days), Ember (20 days), Garnet (never, connected)
    assert summary["staleAfterDays"] == 7
    assert summary["connectionProblems"] == 2
    assert summary["distribution"] == [0, 0, 1, 0, 1, 1, 0, 1, 1, 1]
    stale = {c["displayName"] for c in fleet["customers"] if c["stale"]}
    assert stale == {"Cobalt Clinic", "Ember Estates", "Garnet Gardens"}
    # A filtered table still comes with the whole fleet's summary.
    filtered = await _fleet(client, tokens, "?band=poor&name=ember")
    assert [c["displayName"] for c in filtered["customers"]] == ["Ember Estates"]
    assert filtered["summary"] == summary


@pytest.mark.parametrize("who", ["glance_admin", "glance_analyst"])
@pytest.mark.parametrize(
    ("query", "tile", "names"),
    [
        ("?band=good", ("bands", "good"), ["Anchor Accountants", "Beacon Builders"]),
        ("?band=fair", ("bands", "fair"), ["Cobalt Clinic", "Dune Dental"]),
        ("?band=poor", ("bands", "poor"), ["Ember Estates", "Fjord Freight"]),
        ("?band=unscored", ("bands", "unscored"), ["Garnet Gardens", "Harbour Hotels"]),
        ("?stale=true", ("stale",), ["Cobalt Clinic", "Ember Estates", "Garnet Gardens"]),
        ("?state=connection_lost", ("connectionProblems",), ["Ember Estates", "Fjord Freight"]),
        (
            "?priorities=open&sort=openPriority&order=desc",
            ("customersWithOpenPriorities",),
            ["Ember Estates", "Fjord Freight", "Dune Dental", "Beacon Builders", "Cobalt Clinic"],
        ),
    ],
)
async def test_each_tile_links_to_the_customers_it_counts(
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    glance: None,
    who: str,
    query: str,
    tile: tuple[str, ...],
    names: list[str],
) -> None:
    fleet = await _fleet(client, tokens, query, who)
    assert [c["displayName"] for c in fleet["customers"]] == names
    counted: Any = fleet["summary"]
    for key in tile:
        counted = counted[key]
    assert counted == fleet["total"] == len(names)


async def test_fresh_scans_and_open_priorities_filter_too(
    client: httpx.AsyncClient, tokens: dict[str, str], glance: None
) -> None:
    fresh = await _fleet(client, tokens, "?stale=false")
    assert {c["displayName"] for c in fresh["customers"]} == set(FLEET) - {
        "Cobalt Clinic",
        "Ember Estates",
        "Garnet Gardens",
    }
    open_in_good = await _fleet(client, tokens, "?band=good&priorities=open")
    assert [c["displayName"] for c in open_in_good["customers"]] == ["Beacon Builders"]
    open_total = await _fleet(client, tokens, "?priorities=open")
    assert (
        sum(c["openPriorityCount"] for c in open_total["customers"])
        == open_total["summary"]["openPriorities"]
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [("band=excellent", "band"), ("stale=maybe", "stale"), ("priorities=closed", "priorities")],
)
async def test_a_bad_filter_value_is_a_400_naming_the_field(
    client: httpx.AsyncClient, tokens: dict[str, str], query: str, field: str
) -> None:
    response = await client.get(f"/api/fleet?{query}", headers=_as(tokens, "glance_admin"))
    assert response.status_code == 400
    assert field in response.json()["detail"]


async def test_config_carries_the_score_bands_the_gauge_and_pills_use(client: httpx.AsyncClient) -> None:
    bands = (await client.get("/api/config")).json()["scoreBands"]
    assert [(b["band"], b["min"], b["label"]) for b in bands] == list(SCORE_BANDS)
