"""The fleet at a glance: score bands, the stale rule, the tile figures and the table's filters,
over customers built in memory (and the fake store for the filters)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import get_args

import pytest

from core.customers import (
    Connection,
    ConnectionState,
    Customer,
    FailingCheck,
    PostureSummary,
    customer_document_id,
    save_new_customer,
)
from core.fleet import BandFilter, FleetFilter, FleetRow, fleet_overview, is_stale, summarise_fleet
from core.scan.scoring import SCORE_BANDS, UNSCORED, band_of
from tests.unit.fakes import fake_services

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
FRESH = NOW - timedelta(days=1)


def _customer(
    name: str,
    score: float | None,
    *,
    p1: int = 0,
    scanned: datetime | None = FRESH,
    state: ConnectionState = ConnectionState.CONNECTED,
    cancelled_on: date | None = None,
) -> Customer:
    """A customer whose effective score is `score` (weights out of 1,000) with `p1` open P1s."""
    failing = {f"check.p1_{i}": FailingCheck(severity="high") for i in range(p1)}
    summary = PostureSummary(
        last_scan_at=scanned,
        last_scan_id="scan-1" if scanned else None,
        earned_weight=round(score * 10) if score is not None else 0,
        possible_weight=1000 if score is not None else 0,
        failing=failing,
        failing_check_ids=sorted(failing),
        failing_count=len(failing),
    )
    customer_id = name.lower().replace(" ", "-")
    return Customer(
        id=customer_document_id(customer_id),
        customer_id=customer_id,
        org_id="org-fleet",
        tenant_id=f"tenant-{customer_id}",
        display_name=name,
        primary_domain=f"{customer_id}.test",
        connection=Connection(state=state),
        summary=summary,
        cancelled_on=cancelled_on,
    )


def _row(customer: Customer) -> FleetRow:
    score = customer.summary.earned_weight / 10 if customer.summary.possible_weight else None
    return FleetRow(customer, score, len(customer.summary.failing), 0, is_stale(customer, NOW))


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (100.0, "good"),
        (80.0, "good"),
        (79.9, "fair"),
        (50.0, "fair"),
        (49.9, "poor"),
        (0.0, "poor"),
        (None, None),
    ],
)
def test_each_score_falls_in_the_band_its_threshold_gives(score: float | None, band: str | None) -> None:
    assert band_of(score) == band


def test_bands_run_from_the_highest_floor_down_to_zero() -> None:
    floors = [floor for _, floor, _ in SCORE_BANDS]
    assert floors == sorted(floors, reverse=True) and floors[-1] == 0


def test_the_band_filter_offers_every_band_and_unscored() -> None:
    assert get_args(BandFilter) == (*(band for band, _, _ in SCORE_BANDS), UNSCORED)


def test_the_stale_rule() -> None:
    assert not is_stale(_customer("Fresh", 70), NOW)
    assert not is_stale(_customer("Seven days", 70, scanned=NOW - timedelta(days=7)), NOW)
    assert is_stale(_customer("Eight days", 70, scanned=NOW - timedelta(days=7, minutes=1)), NOW)
    assert is_stale(_customer("Never, connected", None, scanned=None), NOW)
    pending = _customer("Never, pending", None, scanned=None, state=ConnectionState.PENDING_CONSENT)
    assert not is_stale(pending, NOW)
    lost = _customer(
        "Lost long ago", 40, scanned=NOW - timedelta(days=30), state=ConnectionState.CONNECTION_LOST
    )
    assert is_stale(lost, NOW)
    gone = _customer("Cancelled", 40, scanned=NOW - timedelta(days=30), cancelled_on=date(2026, 11, 1))
    assert not is_stale(gone, NOW), "a cancelled customer is not scanned any more"


def _fleet() -> list[Customer]:
    return [
        _customer("Alpha", 92.4, p1=0),
        _customer("Bravo", 80.0, p1=1),
        _customer("Charlie", 61.3, p1=2, scanned=NOW - timedelta(days=9)),
        _customer("Delta", 12.0, p1=5, state=ConnectionState.CONNECTION_LOST),
        _customer("Echo", 100.0, p1=0),
        _customer("Foxtrot", None, scanned=None),  # connected, never scanned: stale
        _customer("Golf", None, scanned=None, state=ConnectionState.PENDING_CONSENT),
    ]


def test_the_tile_figures_cover_every_customer() -> None:
    summary = summarise_fleet([_row(c) for c in _fleet()])
    assert summary.customers == 7
    assert summary.scored == 5
    assert summary.average_score == round((92.4 + 80.0 + 61.3 + 12.0 + 100.0) / 5, 1) == 69.1
    assert summary.bands == {"good": 3, "fair": 1, "poor": 1, "unscored": 2}
    assert summary.open_priorities == 8
    assert summary.customers_with_open_priorities == 3
    assert summary.stale == 2  # Charlie (nine days) and Foxtrot (connected, never scanned)
    assert summary.connection_problems == 1
    # 12.0 in 10-19.9, 61.3 in 60-69.9, 80.0 in 80-89.9, 92.4 and 100 in 90-100.
    assert summary.distribution == [0, 1, 0, 0, 0, 0, 1, 0, 1, 2]
    assert sum(summary.distribution) == summary.scored


def test_an_empty_fleet_has_no_average() -> None:
    summary = summarise_fleet([])
    assert (summary.customers, summary.average_score, summary.open_priorities) == (0, None, 0)
    assert summary.bands == {"good": 0, "fair": 0, "poor": 0, "unscored": 0}
    assert summary.distribution == [0] * 10


async def _overview(wanted: FleetFilter) -> tuple[list[str], int]:
    services = fake_services()
    org = services.store.org("org-fleet")
    for customer in _fleet():
        await save_new_customer(org, customer)
    view = await fleet_overview(org, wanted, NOW)
    return [r.customer.display_name for r in view.rows], view.summary.customers


@pytest.mark.parametrize(
    ("wanted", "names"),
    [
        (FleetFilter(band="good"), ["Alpha", "Bravo", "Echo"]),
        (FleetFilter(band="fair"), ["Charlie"]),
        (FleetFilter(band="poor"), ["Delta"]),
        (FleetFilter(band="unscored"), ["Foxtrot", "Golf"]),
        (FleetFilter(stale=True), ["Charlie", "Foxtrot"]),
        (FleetFilter(stale=False), ["Alpha", "Bravo", "Delta", "Echo", "Golf"]),
        (FleetFilter(open_priorities=True), ["Bravo", "Charlie", "Delta"]),
        (FleetFilter(state=ConnectionState.CONNECTION_LOST), ["Delta"]),
        (FleetFilter(band="good", open_priorities=True), ["Bravo"]),
    ],
)
async def test_each_tile_filter_keeps_the_customers_it_counts(wanted: FleetFilter, names: list[str]) -> None:
    shown, whole = await _overview(wanted)
    assert shown == names
    assert whole == 7, "the summary covers the whole fleet, not the filtered table"
