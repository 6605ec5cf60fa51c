"""Framework scorecards (issue 22): the control states, the profiles, the data they come from, the
shares a scan stores, the fleet matrix over them and a tenant's peer position."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.compliance import BadSort, MatrixFilter, fleet_matrix, profile_sections
from core.customers import (
    Connection,
    ConnectionState,
    Customer,
    PostureSummary,
    customer_document_id,
    save_new_customer,
    update_customer_by_id,
)
from core.frameworks.mappings import DATA_DIR, MappingError, mapping, parse_mapping
from core.frameworks.profiles import PROFILES, profile
from core.frameworks.scorecard import control_state, pack_shares, scorecard, shares_of, unpack_shares
from core.frameworks.scorecard_view import scorecard_body, scorecard_csv
from core.peers import MIN_PEERS, peer_position, position_among
from core.scan.findings import Finding
from tests.unit.fakes import fake_services

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("statuses", "partial", "state"),
    [
        ([], False, "not_automated"),
        (["pass"], False, "met"),
        (["pass", "pass"], False, "met"),
        (["pass"], True, "partly_assessed"),
        (["fail"], True, "not_met"),
        (["pass", "fail"], False, "not_met"),
        (["pass", "error"], False, "partly_assessed"),
        (["pass", "not_scanned"], False, "partly_assessed"),
        (["error"], False, "not_assessable"),
        (["not_applicable", "error"], True, "not_assessable"),
        (["manual"], False, "not_assessable"),
        (["fail", "error"], False, "not_met"),
    ],
)
def test_a_controls_state_follows_its_checks(statuses: list[str], partial: bool, state: str) -> None:
    assert control_state(statuses, partial) == state


def test_every_control_of_both_versions_is_listed_with_its_profile_data() -> None:
    cis, scuba = mapping("cis"), mapping("scuba")
    assert len(cis.listed) == 130 and len(scuba.listed) == 109
    assert all(c.level in (1, 2) and c.licence in ("E3", "E5") for c in cis.listed)
    assert all(c.criticality in ("SHALL", "SHOULD") for c in scuba.listed)
    for data in (cis, scuba):  # every mapped control is in the listing, under the same title
        listed = {c.id: c for c in data.listed}
        assert {c.id for c in data.controls} <= set(listed)
        assert all(listed[c.id].title == c.title for c in data.controls)
    # Spot checks against the sources (docs/frameworks.md): levels from the v5.0.0 list, E5 where
    # the control needs an E5 plan.
    listed = {c.id: c for c in cis.listed}
    assert (listed["1.1.1"].level, listed["1.1.1"].licence) == (1, "E3")
    assert (listed["5.2.2.8"].level, listed["5.2.2.8"].licence) == (2, "E5")
    assert listed["8.5.1"].section == "8.5 Meetings"
    assert {c.id: c for c in scuba.listed}["MS.AAD.2.2v1"].criticality == "SHOULD"


def test_profiles_nest_level_2_over_level_1_and_e5_over_e3() -> None:
    held = {p.key: {c.id for c in p.controls(mapping(p.framework).listed)} for p in PROFILES}
    assert held["cis-e3-l1"] < held["cis-e3-l2"] < held["cis-e5-l2"]
    assert held["cis-e3-l1"] < held["cis-e5-l1"] < held["cis-e5-l2"]
    assert len(held["cis-e5-l2"]) == 130
    assert "5.2.2.6" in held["cis-e5-l1"] and "5.2.2.6" not in held["cis-e3-l2"]  # E5 only
    assert "1.2.1" in held["cis-e3-l2"] and "1.2.1" not in held["cis-e3-l1"]  # Level 2
    assert held["scuba-shall"] < held["scuba-all"] and "MS.AAD.2.2v1" not in held["scuba-shall"]


def _finding(check_id: str, status: str, summary: str = "") -> Finding:
    return Finding(
        id=f"finding:{check_id}",
        check_id=check_id,
        title=check_id,
        severity="high",
        status=status,
        summary=summary,
    )


def test_a_tenants_scorecard_lists_every_control_and_says_why_one_could_not_be_assessed() -> None:
    findings = [
        _finding("privileged.admins_cloud_only", "pass"),  # 1.1.1, full
        _finding("privileged.global_admin_count", "fail"),  # 1.1.3
        _finding(
            "exo.shared_mailbox_signin_blocked",
            "error",
            "could not read exo_mailboxes: permission Exchange.ManageAsApp missing (HTTP 403)",
        ),
        _finding("passwords.never_expire", "not_applicable", "No licence"),  # 1.3.1
    ]
    card = scorecard(profile("cis-e3-l1"), findings, NOW)
    states = {c.control.id: c for c in card.controls}
    assert len(card.controls) == len(profile("cis-e3-l1").controls(mapping("cis").listed))
    assert states["1.1.1"].state == "met" and states["1.1.3"].state == "not_met"
    assert states["1.2.2"].state == "not_assessable" and states["1.2.2"].why == ["permission"]
    assert states["1.3.1"].state == "not_assessable" and states["1.3.1"].why == ["licence"]
    assert states["1.3.2"].state == "not_automated" and states["1.3.2"].checks == ()
    assert states["3.3.1"].state == "not_automated"  # listed, never hidden
    # Everything else mapped was never scanned: not assessable, and said so.
    assert states["6.5.4"].state == "not_assessable" and states["6.5.4"].why == ["not_scanned"]
    assert card.share == 50.0  # one met of two assessed
    users = next(s for s in card.sections if s.section == "1.1 Users")
    assert (users.met, users.assessed, users.share) == (1, 2, 50.0)
    body = scorecard_body(card)
    assert body["counts"]["not_automated"] >= 2 and body["assessed"] == 2
    assert "1.3.2," in scorecard_csv(card) and "Not automated" in scorecard_csv(card)


def test_the_shares_a_scan_stores_agree_with_the_scorecard() -> None:
    statuses = {
        "privileged.admins_cloud_only": "pass",
        "privileged.global_admin_count": "fail",
        "exo.smtp_auth_disabled": "pass",
    }
    stored = shares_of(statuses)
    assert set(stored) == {p.key for p in PROFILES}
    card = scorecard(profile("cis-e3-l1"), [_finding(k, v) for k, v in statuses.items()], NOW)
    expected = {s.section.split()[0]: (s.met, s.assessed) for s in card.sections if s.assessed}
    assert unpack_shares(stored["cis-e3-l1"]) == expected
    assert stored["cis-e3-l1"] == "1.1=1/2 6.5=1/1"
    # SCuBA sections are keyed by their policy group.
    assert unpack_shares(stored["scuba-shall"]) == {"MS.AAD.7": (1, 1), "MS.EXO.5": (1, 1)}


def test_a_stored_string_that_does_not_parse_is_left_out_not_guessed() -> None:
    assert unpack_shares("1.1=2/3 5.2=x/4 junk 6.5=1/") == {"1.1": (2, 3)}
    assert pack_shares({"1.1": (2, 3), "MS.AAD.3": [0, 1]}) == "1.1=2/3 MS.AAD.3=0/1"


def _customer(name: str, score: float | None, compliance: dict[str, str], **kw: object) -> Customer:
    customer_id = name.lower().replace(" ", "-")
    summary = PostureSummary(
        last_scan_at=NOW - timedelta(days=1),
        last_scan_id="scan-1",
        earned_weight=round(score * 10) if score is not None else 0,
        possible_weight=1000 if score is not None else 0,
        compliance=compliance,
    )
    return Customer(
        id=customer_document_id(customer_id),
        customer_id=customer_id,
        org_id="org-matrix",
        tenant_id=f"tenant-{customer_id}",
        display_name=name,
        primary_domain=f"{customer_id}.test",
        connection=Connection(state=ConnectionState.CONNECTED),
        summary=summary,
        **kw,  # type: ignore[arg-type]
    )


async def _org(customers: list[Customer]):  # type: ignore[no-untyped-def]
    services = fake_services()
    org = services.store.org("org-matrix")
    for customer in customers:
        await save_new_customer(org, customer)
    return org


async def test_the_fleet_matrix_filters_customers_below_a_share_and_sorts_them() -> None:
    l1 = "cis-e3-l1"
    org = await _org(
        [
            _customer("Alpha", 90, {l1: "1.1=2/2 5.2=3/4"}),  # 5 of 6
            _customer("Bravo", 60, {l1: "1.1=0/2 5.2=4/4"}),  # 4 of 6
            _customer("Charlie", 70, {}),  # scanned before issue 22: no share
            _customer("Delta", 80, {l1: "1.1=1/2"}),  # 1 of 2
        ]
    )
    matrix = await fleet_matrix(org, profile(l1), MatrixFilter(below=80, sort="share"), NOW)
    assert [r.customer.display_name for r in matrix.rows] == ["Delta", "Bravo"]
    assert matrix.customers == 4 and matrix.sections == profile_sections(profile(l1))
    by_section = await fleet_matrix(org, profile(l1), MatrixFilter(sort="1.1 Users", descending=True), NOW)
    assert [r.customer.display_name for r in by_section.rows] == ["Alpha", "Delta", "Bravo", "Charlie"]
    assert by_section.rows[0].shares[by_section.sections.index("5.2 Protection")] == 75.0
    with pytest.raises(BadSort, match="sort"):
        await fleet_matrix(org, profile(l1), MatrixFilter(sort="9.9 Nowhere"), NOW)


def test_a_peer_position_needs_enough_peers_and_rounds_the_median() -> None:
    assert position_among(70.0, [10.0, 20.0, 30.0, 40.0]).shown is False  # too few to hide them
    assert position_among(None, [10.0] * 10).shown is False
    position = position_among(70.0, [10.0, 20.0, 80.0, 90.0, 70.0])
    assert position.shown and position.percentile == 50 and position.median == 70


async def test_a_peer_position_reads_the_fleet_and_counts_only_scored_peers() -> None:
    names = ["Own", "P1", "P2", "P3", "P4", "P5", "Pending"]
    scores = [75.0, 10.0, 20.0, 30.0, 40.0, 95.0, None]
    org = await _org([_customer(n, s, {}) for n, s in zip(names, scores, strict=True)])
    position = await peer_position(org, "own", NOW)
    assert position.shown and position.percentile == 80 and position.median == 35
    assert (await peer_position(org, "pending", NOW)).shown is False
    assert MIN_PEERS == 5


async def test_the_matrix_follows_a_rescan_and_a_cancellation() -> None:
    """The rows are kept between requests only while the fleet and the day are unchanged."""
    l1 = "cis-e3-l1"
    org = await _org([_customer("Echo", 70, {l1: "1.1=1/2"})])
    before = await fleet_matrix(org, profile(l1), MatrixFilter(), NOW)
    assert before.rows[0].share == 50.0

    def rescanned(customer: Customer) -> None:
        customer.summary.compliance = {l1: "1.1=2/2"}

    await update_customer_by_id(org, "echo", rescanned)
    assert (await fleet_matrix(org, profile(l1), MatrixFilter(), NOW)).rows[0].share == 100.0

    def cancelled(customer: Customer) -> None:
        customer.cancelled_on = NOW.date()

    await update_customer_by_id(org, "echo", cancelled)
    assert (await fleet_matrix(org, profile(l1), MatrixFilter(), NOW)).rows[0].share == 100.0
    tomorrow = NOW + timedelta(days=1)  # access ends after the cancellation day: no posture shown
    assert (await fleet_matrix(org, profile(l1), MatrixFilter(), tomorrow)).rows[0].share is None


def _raw(name: str) -> dict[str, Any]:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


CIS_FILE, SCUBA_FILE = "cis_m365_v5_0_0.json", "scuba_m365_main_2026_08_20.json"


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        (CIS_FILE, lambda r: r["allControls"][0].update(level=3), "level is 1 or 2"),
        (CIS_FILE, lambda r: r["allControls"][0].update(licence="E7"), "licence E3 or E5"),
        (CIS_FILE, lambda r: r["allControls"].append(dict(r["allControls"][0])), "listed twice"),
        (CIS_FILE, lambda r: r["allControls"][0].update(owner="me"), "keys"),
        (SCUBA_FILE, lambda r: r["allControls"][0].update(criticality="MAY"), "SHALL or SHOULD"),
        (SCUBA_FILE, lambda r: r["allControls"].pop(), "allControls and allControlIds"),
    ],
)
def test_a_listing_that_cannot_be_trusted_is_refused(file: str, change: Any, message: str) -> None:
    raw = _raw(file)
    change(raw)
    with pytest.raises(MappingError, match=message):
        parse_mapping(raw, file)


def test_a_mapped_control_the_listing_lacks_is_listed_without_profile_data() -> None:
    raw = _raw(CIS_FILE)
    raw["allControls"] = [c for c in raw["allControls"] if c["id"] != "6.5.4"]
    listed = {c.id: c for c in parse_mapping(raw, CIS_FILE).listed}
    assert listed["6.5.4"].level is None and listed["6.5.4"].title == "Ensure SMTP AUTH is disabled"
    cis = [p for p in PROFILES if p.framework == "cis"]
    held = {p.key for p in cis if any(c.id == "6.5.4" for c in p.controls(tuple(listed.values())))}
    assert held == {"cis-e5-l2"}  # only the widest profile claims a control of unknown level


async def test_the_matrix_lists_the_orgs_tags_and_filters_by_one() -> None:
    l1 = "cis-e3-l1"
    org = await _org(
        [
            _customer("Foxtrot", 60, {l1: "1.1=1/2"}, tags=["Dental"]),
            _customer("Golf", 60, {l1: "1.1=2/2"}, tags=["gold plan"]),
        ]
    )
    dental = await fleet_matrix(org, profile(l1), MatrixFilter(tag="dental"), NOW)
    assert [r.customer.display_name for r in dental.rows] == ["Foxtrot"]
    assert dental.tags == ["Dental", "gold plan"] and dental.customers == 2
