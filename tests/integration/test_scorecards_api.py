"""Framework scorecards, the fleet compliance matrix and the peer position through the API, over a
scan of a simulator tenant (issue 22). MSP P's fleet is this module's alone: its tenant P is
scanned, and six other customers carry scores that P's customer viewer must never learn."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from core.bootstrap import Services
from core.customers import Customer, register_customer, update_customer
from core.frameworks.mappings import mapping
from core.frameworks.profiles import profile
from core.scan.requests import ScanRequest
from core.scan.service import handle_scan_request
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant
from tests.world import World

# The other customers' scores: none is a whole number, so the rounded median can never be one.
PEER_SCORES = [12.3, 27.7, 41.9, 58.1, 86.4, 93.6]
PEER_NAMES = [f"Peer Company {chr(65 + i)}" for i in range(len(PEER_SCORES))]


def _scored(score: float) -> Any:
    def change(customer: Customer) -> None:
        summary = customer.summary
        summary.earned_weight, summary.possible_weight = round(score * 10), 1000
        summary.score, summary.last_scan_id = score, "scan-peer"
        summary.compliance = {"cis-e3-l1": "1.1=1/2"}

    return change


@pytest.fixture(scope="module")
async def fleet_p(world: World, api_services: Services, graphsim: GraphSimulator) -> list[Customer]:
    org = api_services.store.org(world.org_p)
    fixture = synthetic_tenant(20, seed=random.randint(1, 10**6), posture="mixed")
    fixture["id"] = world.tenant_p
    assert graphsim.load_tenant(fixture) == world.tenant_p
    await register_customer(
        org,
        tenant_id=world.tenant_p,
        display_name="Pelican Print",
        primary_domain="pelican.example",
        connected=True,
    )
    request = ScanRequest(org_id=world.org_p, tenant_id=world.tenant_p, request_id="cards-1", reason="manual")
    assert (await handle_scan_request(api_services, json.dumps(request.to_message()))).startswith("completed")
    peers = []
    for index, (name, score) in enumerate(zip(PEER_NAMES, PEER_SCORES, strict=True)):
        tenant = f"00000000-0000-4000-8000-{index:012d}{world.org_p[-4:]}"[:36]
        await register_customer(
            org, tenant_id=tenant, display_name=name, primary_domain=f"peer{index}.example", connected=True
        )
        peers.append(await update_customer(org, tenant, _scored(score)))
    return peers


def _as(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens[who]}"}


async def test_a_tenant_scorecard_lists_every_control_and_exports_as_csv(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World, fleet_p: list[Customer]
) -> None:
    url = f"/api/tenants/{world.tenant_p}/scorecards/cis-e3-l1"
    card = (await client.get(url, headers=_as(tokens, "peer_admin"))).json()
    expected = [c.id for c in profile("cis-e3-l1").controls(mapping("cis").listed)]
    assert [c["id"] for c in card["controls"]] == expected
    states = {c["state"] for c in card["controls"]}
    assert {"met", "not_met", "not_automated"} <= states  # a mixed tenant fails some, meets some
    assert card["assessed"] == card["counts"]["met"] + card["counts"]["not_met"] > 0
    assert card["share"] == round(100 * card["met"] / card["assessed"], 1)
    assert all(c["checks"] == [] for c in card["controls"] if c["state"] == "not_automated")
    # The tenant's own customer viewer reads the same scorecard.
    viewer = (await client.get(url, headers=_as(tokens, "peer_viewer"))).json()
    assert viewer["share"] == card["share"]
    exported = await client.get(url + "?format=csv", headers=_as(tokens, "peer_viewer"))
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["control"] for r in rows] == expected
    assert {r["state"] for r in rows} >= {"Met", "Not met", "Not automated"}


async def test_the_fleet_matrix_agrees_with_each_tenants_scorecard(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World, fleet_p: list[Customer]
) -> None:
    headers = _as(tokens, "peer_admin")
    card = (await client.get(f"/api/tenants/{world.tenant_p}/scorecards/scuba-shall", headers=headers)).json()
    matrix = (await client.get("/api/fleet/scorecards/scuba-shall?sort=share", headers=headers)).json()
    (own,) = [r for r in matrix["rows"] if r["tenantId"] == world.tenant_p]
    assert own["share"] == card["share"] and own["assessed"] == card["assessed"]
    shares = {s["section"]: s["share"] for s in card["sections"]}
    assert dict(zip(matrix["sections"], own["sections"], strict=True)) == {
        section: shares.get(section) for section in matrix["sections"]
    }
    below = (await client.get("/api/fleet/scorecards/cis-e3-l1?below=80&sort=share", headers=headers)).json()
    assert below["rows"] and all(r["share"] is not None and r["share"] < 80 for r in below["rows"])
    assert below["customers"] == len(PEER_SCORES) + 1
    exported = await client.get("/api/fleet/scorecards/cis-e3-l1?format=csv", headers=headers)
    assert exported.text.splitlines()[0].startswith("customer,tenant,share met,1.1 Users")


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/fleet/scorecards/cis-level-9", "profile_key"),
        ("/api/fleet/scorecards/cis-e3-l1?sort=nowhere", "sort"),
        ("/api/fleet/scorecards/cis-e3-l1?below=150", "below"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field(
    client: httpx.AsyncClient, tokens: dict[str, str], url: str, field: str
) -> None:
    response = await client.get(url, headers=_as(tokens, "peer_admin"))
    assert response.status_code == 400, response.text
    assert field in response.text or field.replace("_", " ") in response.text


async def test_a_customer_learns_its_position_and_nothing_about_any_other_customer(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World, fleet_p: list[Customer]
) -> None:
    """The attack: P's customer viewer asks every route that could say something about the fleet,
    for its own tenant and for the others, and looks for another customer's name, id or score."""
    headers = _as(tokens, "peer_viewer")
    secrets = [
        value
        for peer in fleet_p
        for value in (peer.display_name, peer.customer_id, str(peer.tenant_id), str(peer.summary.score))
    ]
    own = await client.get(f"/api/tenants/{world.tenant_p}/peers", headers=headers)
    assert own.status_code == 200
    body = own.json()
    assert set(body) == {"score", "percentile", "median", "shown"} and body["shown"] is True
    assert isinstance(body["median"], int) and body["percentile"] is not None
    probes = [
        own,
        *[await client.get(f"/api/tenants/{p.tenant_id}/peers", headers=headers) for p in fleet_p],
        *[
            await client.get(f"/api/tenants/{p.tenant_id}/scorecards/cis-e3-l1", headers=headers)
            for p in fleet_p
        ],
        await client.get("/api/fleet/scorecards/cis-e3-l1", headers=headers),
        await client.get(f"/api/fleet/scorecards/cis-e3-l1?org={world.org_p}", headers=headers),
        await client.get("/api/fleet/scorecards/cis-e3-l1?format=csv", headers=headers),
    ]
    assert [p.status_code for p in probes[1:]] == [403] * (len(probes) - 1)
    for probe in probes:
        assert not any(secret in probe.text for secret in secrets), probe.text[:300]


async def test_search_answers_which_customers_fall_below_a_framework_share(
    client: httpx.AsyncClient, tokens: dict[str, str], fleet_p: list[Customer]
) -> None:
    headers = _as(tokens, "peer_admin")
    question = "customers below 80% of CIS Level 1"
    found = (await client.get("/api/search", params={"q": question}, headers=headers)).json()
    assert found["matches"] == [] and found["suggestions"] == []
    compliance = found["compliance"]
    assert compliance["profile"] == "cis-e3-l1" and compliance["below"] == 80
    matrix = (await client.get("/api/fleet/scorecards/cis-e3-l1?below=80&sort=share", headers=headers)).json()
    assert compliance["rows"] == matrix["rows"] and compliance["rows"]
    shares = [r["share"] for r in compliance["rows"]]
    assert shares == sorted(shares) and all(s < 80 for s in shares)
    checks = (await client.get("/api/search", params={"q": "smtp auth"}, headers=headers)).json()
    assert checks["compliance"] is None and checks["matches"]


async def test_the_report_carries_the_scorecards_and_a_position_naming_no_other_customer(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World, fleet_p: list[Customer]
) -> None:
    made = await client.post(f"/api/tenants/{world.tenant_p}/reports", headers=_as(tokens, "peer_admin"))
    assert made.status_code == 201, made.text
    download = await client.get(made.json()["download"], headers=_as(tokens, "peer_viewer"))
    assert download.status_code == 200
    text = re.sub(
        r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(download.content)).pages)
    )
    assert "Framework scorecards" in text and "CIS v5.0.0 E3 Level 1" in text
    assert "CISA SCuBA baseline (SHALL)" in text
    position = (
        await client.get(f"/api/tenants/{world.tenant_p}/peers", headers=_as(tokens, "peer_viewer"))
    ).json()
    assert f"higher than {position['percentile']}% of the other customers" in text
    assert f"median score across the customers is {position['median']}" in text
    for peer in fleet_p:
        assert peer.display_name not in text and str(peer.summary.score) not in text
