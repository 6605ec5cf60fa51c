"""Fleet view, search, drill-down, risk acceptance, frameworks, scan now and exports, through the
API over scans of the simulator's demo tenants."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest

from core.bootstrap import Services
from core.checks.catalogue import CATALOGUE
from core.checks.model import Severity, Status
from core.customers import register_customer
from core.risk import sweep_expired_acceptances
from core.scan.requests import ScanRequest
from core.scan.scoring import Scored, posture_score
from core.scan.service import handle_scan_request
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant
from functions.local_host import QueueOptions, drain_scan_queue_once
from tests.world import World

WEAK, STRONG, NEVER_SCANNED = "Weak Widgets", "Strong Solicitors", "Never Scanned Ltd"


@pytest.fixture(scope="module")
async def scanned(world: World, api_services: Services, graphsim: GraphSimulator) -> dict[str, str]:
    """MSP C's fleet: a weak and a strong tenant of their own, scanned once, and one customer that
    was never scanned. Nothing else touches MSP C or these tenants' partitions."""
    org = api_services.store.org(world.org_c)
    ids = {}
    for name, posture in ((WEAK, "weak"), (STRONG, "strong")):
        tenant_id = graphsim.load_tenant(synthetic_tenant(30, seed=random.randint(1, 10**6), posture=posture))
        await register_customer(
            org, tenant_id=tenant_id, display_name=name, primary_domain=f"{posture}.example", connected=True
        )
        request = ScanRequest(org_id=world.org_c, tenant_id=tenant_id, request_id="views-1", reason="manual")
        assert (await handle_scan_request(api_services, json.dumps(request.to_message()))).startswith(
            "completed"
        )
        ids[name] = tenant_id
    await register_customer(
        org,
        tenant_id=str(uuid.uuid4()),
        display_name=NEVER_SCANNED,
        primary_domain="never.example",
        connected=True,
    )
    return ids


def _as(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens[who]}"}


async def _get(client: httpx.AsyncClient, tokens: dict[str, str], url: str, who: str = "views_admin") -> Any:
    response = await client.get(url, headers=_as(tokens, who))
    assert response.status_code == 200, response.text
    return response.json()


async def test_fleet_sorts_filters_and_puts_never_scanned_last(
    client: httpx.AsyncClient, tokens: dict[str, str], scanned: dict[str, str]
) -> None:
    fleet = await _get(client, tokens, "/api/fleet?sort=score&order=desc")
    names = [c["displayName"] for c in fleet["customers"]]
    assert names[:2] == [STRONG, WEAK]
    assert all(c["score"] is None for c in fleet["customers"][2:])
    strong = fleet["customers"][0]
    assert strong["trend"] == [strong["score"]] and strong["lastScanAt"]
    low = await _get(client, tokens, "/api/fleet?maxScore=50")
    assert [c["displayName"] for c in low["customers"]] == [WEAK]
    by_name = await _get(client, tokens, "/api/fleet?name=solicit")
    assert [c["displayName"] for c in by_name["customers"]] == [STRONG]
    lost = await _get(client, tokens, "/api/fleet?state=connection_lost")
    assert lost["total"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort=colour", "sort"),
        ("order=sideways", "order"),
        ("minScore=150", "minScore"),
        ("state=asleep", "state"),
        ("colour=blue", "colour"),
    ],
)
async def test_bad_fleet_queries_name_the_field(
    client: httpx.AsyncClient, tokens: dict[str, str], query: str, field: str
) -> None:
    response = await client.get(f"/api/fleet?{query}", headers=_as(tokens, "views_admin"))
    assert response.status_code == 400
    assert field in response.json()["detail"]


async def test_search_by_check_lists_failing_and_unassessed_customers(
    client: httpx.AsyncClient, tokens: dict[str, str], scanned: dict[str, str]
) -> None:
    result = await _get(client, tokens, "/api/search?check=exo.smtp_auth_disabled")
    (match,) = result["matches"]
    failing = {f["displayName"]: f for f in match["failing"]}
    assert set(failing) == {WEAK}
    assert failing[WEAK]["evidenceCount"] >= 1 and failing[WEAK]["lastSeenAt"]
    assert match["passingCount"] == 1  # the strong tenant
    not_assessed = {u["displayName"]: u["reason"] for u in match["notAssessed"]}
    assert not_assessed == {NEVER_SCANNED: "not_scanned"}  # never implies a pass

    by_text = await _get(client, tokens, "/api/search?q=smtp")
    assert "exo.smtp_auth_disabled" in {m["checkId"] for m in by_text["matches"]}
    by_framework = await _get(client, tokens, "/api/search?q=MS.EXO.5.1v1")
    assert [m["checkId"] for m in by_framework["matches"]] == ["exo.smtp_auth_disabled"]
    too_long = await client.get("/api/search?q=" + "x" * 201, headers=_as(tokens, "views_admin"))
    assert too_long.status_code == 400 and "q" in too_long.json()["detail"]
    customer = await client.get("/api/search?q=smtp", headers=_as(tokens, "customer_admin_x"))
    assert customer.status_code == 403


@pytest.mark.parametrize(
    ("question", "first"),
    [
        ("which customers still have legacy SMTP auth enabled?", "exo.smtp_auth_disabled"),
        ("SMTP AUTH", "exo.smtp_auth_disabled"),
        ("basic authentication", "entra.legacy_auth_blocked"),
        ("legacy auth", "entra.legacy_auth_blocked"),
        ("who has no MFA for admins", "entra.mfa_admins"),
        ("forw", "exo.outbound_spam_forwarding_off"),
    ],
)
async def test_search_answers_questions_as_people_ask_them(
    client: httpx.AsyncClient, tokens: dict[str, str], scanned: dict[str, str], question: str, first: str
) -> None:
    result = await _get(client, tokens, "/api/search?" + urlencode({"q": question}))
    found = [m["checkId"] for m in result["matches"]]
    assert found[:1] == [first], found
    assert result["suggestions"] == []
    smtp = next((m for m in result["matches"] if m["checkId"] == "exo.smtp_auth_disabled"), None)
    if smtp is not None:  # answered with the customers, as a search by check is
        assert {f["displayName"] for f in smtp["failing"]} == {WEAK}


async def test_a_question_matching_nothing_gets_the_nearest_checks(
    client: httpx.AsyncClient, tokens: dict[str, str], scanned: dict[str, str]
) -> None:
    misspelt = await _get(client, tokens, "/api/search?q=smpt")
    assert misspelt["matches"] == []
    assert [s["checkId"] for s in misspelt["suggestions"]][:2] == [
        "exo.smtp_auth_disabled",
        "exo.smtp_auth_mailboxes",
    ]
    nothing = await _get(client, tokens, "/api/search?q=zzzz")
    assert nothing == {"matches": [], "suggestions": [], "compliance": None}


async def test_drill_down_filters_and_pages_with_tokens_bound_to_the_tenant(
    client: httpx.AsyncClient, tokens: dict[str, str], scanned: dict[str, str]
) -> None:
    weak = scanned[WEAK]
    board = await _get(client, tokens, f"/api/tenants/{weak}/dashboard")
    assert sum(board["byStatus"].values()) == len(CATALOGUE)
    assert sum(board["failingBySeverity"].values()) == board["byStatus"]["fail"]
    assert board["newSinceLastScan"] == board["byStatus"]["fail"]  # the first scan: all new

    high = await _get(client, tokens, f"/api/tenants/{weak}/findings?status=fail&severity=high&pageSize=100")
    assert high["items"] and all(f["status"] == "fail" and f["severity"] == "high" for f in high["items"])
    cis = await _get(client, tokens, f"/api/tenants/{weak}/findings?framework=cis&pageSize=100")
    assert cis["items"] and all(f["frameworks"]["cis"] for f in cis["items"])

    seen, token, pages = [], None, 0
    while True:
        url = f"/api/tenants/{weak}/findings?pageSize=7" + (f"&pageToken={token}" if token else "")
        page = await _get(client, tokens, url)
        seen += [f["checkId"] for f in page["items"]]
        pages += 1
        token = page["nextPageToken"]
        if not token:
            break
    assert pages > 2 and sorted(seen) == sorted(c.id for c in CATALOGUE)
    ranks = [
        next(f for f in (await _get(client, tokens, f"/api/tenants/{weak}/findings/{c}"),))["severity"]
        for c in seen[:3]
    ]
    assert ranks[0] == "critical"

    first = await _get(client, tokens, f"/api/tenants/{weak}/findings?pageSize=5")
    foreign = await client.get(
        f"/api/tenants/{scanned[STRONG]}/findings?pageSize=5&pageToken={first['nextPageToken']}",
        headers=_as(tokens, "views_admin"),
    )
    assert foreign.status_code == 400 and "pageToken" in foreign.json()["detail"]
    other_filter = await client.get(
        f"/api/tenants/{weak}/findings?pageSize=5&status=fail&pageToken={first['nextPageToken']}",
        headers=_as(tokens, "views_admin"),
    )
    assert other_filter.status_code == 400
    garbage = await client.get(
        f"/api/tenants/{weak}/findings?pageToken=zzz", headers=_as(tokens, "views_admin")
    )
    assert garbage.status_code == 400 and "pageToken" in garbage.json()["detail"]
    unknown = await client.get(f"/api/tenants/{weak}/findings?colour=red", headers=_as(tokens, "views_admin"))
    assert unknown.status_code == 400 and "colour" in unknown.json()["detail"]
    bad_category = await client.get(
        f"/api/tenants/{weak}/findings?category=Nope", headers=_as(tokens, "views_admin")
    )
    assert bad_category.status_code == 400 and "category" in bad_category.json()["detail"]

    detail = await _get(client, tokens, f"/api/tenants/{weak}/findings/exo.smtp_auth_disabled")
    assert (
        detail["status"] == "fail"
        and detail["remediation"]
        and detail["frameworks"]["scuba"] == "MS.EXO.5.1v1"
    )
    assert detail["evidence"]
    history = await _get(client, tokens, f"/api/tenants/{weak}/scans")
    assert [s["scanId"] for s in history["items"]] == ["views-1"]


async def test_accepting_a_risk_changes_score_and_priorities_until_revoked_or_expired(
    client: httpx.AsyncClient, tokens: dict[str, str], scanned: dict[str, str], api_services: Services
) -> None:
    weak = scanned[WEAK]
    url = f"/api/tenants/{weak}/findings/exo.smtp_auth_disabled/acceptance"

    async def weak_row() -> dict[str, Any]:
        fleet = await _get(client, tokens, "/api/fleet")
        return next(c for c in fleet["customers"] if c["displayName"] == WEAK)

    async def scored_from_findings() -> float | None:
        """The score the tenant's findings imply, unrounded inputs and all: accepting one failure
        of 150-odd checks in a weak tenant can leave the one-decimal score where it was."""
        url, items, token = f"/api/tenants/{weak}/findings?pageSize=100", [], ""
        while True:
            page = await _get(client, tokens, url + (f"&pageToken={quote(token)}" if token else ""))
            items += page["items"]
            if not (token := page["nextPageToken"]):
                break
        return posture_score(
            Scored(Status(f["status"]), Severity(f["severity"]), bool(f.get("accepted"))) for f in items
        )

    before = await weak_row()
    assert before["score"] == await scored_from_findings()
    in_a_year_and_a_day = (datetime.now(UTC) + timedelta(days=366)).isoformat()
    for body, field in (
        ({"justification": "short", "expiresAt": "2099-01-01T00:00:00Z"}, "justification"),
        ({"justification": "legacy scanner relay", "expiresAt": in_a_year_and_a_day}, "expiresAt"),
        ({"justification": "legacy scanner relay", "expiresAt": "2001-01-01T00:00:00Z"}, "expiresAt"),
    ):
        refused = await client.put(url, headers=_as(tokens, "views_analyst"), json=body)
        assert refused.status_code == 400 and field in refused.json()["detail"], refused.text

    expires = (datetime.now(UTC) + timedelta(days=90)).isoformat()
    accepted = await client.put(
        url,
        headers=_as(tokens, "views_analyst"),
        json={"justification": "Legacy scanner relay until March", "expiresAt": expires},
    )
    assert accepted.status_code == 200, accepted.text
    during = await weak_row()
    assert during["score"] == await scored_from_findings() >= before["score"]
    assert during["openPriorityCount"] == before["openPriorityCount"] - 1
    assert during["acceptedCount"] == 1
    detail = await _get(client, tokens, f"/api/tenants/{weak}/findings/exo.smtp_auth_disabled")
    assert detail["accepted"] is True and detail["acceptance"]["justification"].startswith("Legacy")
    search = await _get(client, tokens, "/api/search?check=exo.smtp_auth_disabled")
    assert search["matches"][0]["failing"][0]["accepted"] is True
    only_accepted = await _get(client, tokens, f"/api/tenants/{weak}/findings?accepted=true")
    assert [f["checkId"] for f in only_accepted["items"]] == ["exo.smtp_auth_disabled"]

    passing = await client.put(
        f"/api/tenants/{scanned[STRONG]}/findings/exo.smtp_auth_disabled/acceptance",
        headers=_as(tokens, "views_admin"),
        json={"justification": "nothing to accept here", "expiresAt": expires},
    )
    assert passing.status_code == 400 and "failing" in passing.json()["detail"]

    revoked = await client.delete(url, headers=_as(tokens, "views_admin"))
    assert revoked.status_code == 200
    assert (await weak_row())["score"] == before["score"]

    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    await client.put(
        url,
        headers=_as(tokens, "views_admin"),
        json={"justification": "Two second acceptance for the test", "expiresAt": soon},
    )
    assert (await weak_row())["acceptedCount"] == 1
    await asyncio.sleep(2.5)
    assert (await weak_row())["score"] == before["score"]  # reopened by itself at expiry
    assert await sweep_expired_acceptances(api_services) >= 1
    log = [e["action"] for e in await _get(client, tokens, f"/api/tenants/{weak}/audit")]
    assert {"risk.accepted", "risk.revoked", "risk.expired"} <= set(log)


async def test_framework_coverage_lists_controls_with_their_checks(
    client: httpx.AsyncClient, tokens: dict[str, str], scanned: dict[str, str]
) -> None:
    cis = await _get(client, tokens, f"/api/tenants/{scanned[WEAK]}/frameworks/cis")
    controls = {c["id"]: c for c in cis["controls"]}
    assert controls["6.5.4"]["status"] == "failed"
    assert sum(cis["counts"].values()) == len(controls)
    assert (controls["6.2.1"]["coverage"], controls["6.5.4"]["coverage"]) == ("partial", "full")
    assert controls["6.2.1"]["note"] and cis["partialControls"] >= 1
    scuba = await _get(client, tokens, f"/api/tenants/{scanned[STRONG]}/frameworks/scuba")
    assert scuba["counts"]["passed"] > scuba["counts"]["failed"]
    assert all(c["id"].startswith("MS.") for c in scuba["controls"])
    listed = {c["id"] for c in scuba["controls"]}
    assert "MS.EXO.10.1v1" not in listed  # not assessed that way (the Security Suite controls are)
    assert "MS.EXO.7.1v1" in listed  # the external-sender tag rule check (issue 19)


async def test_scan_now_pressed_at_once_by_several_people_queues_one_scan(
    client: httpx.AsyncClient, tokens: dict[str, str], scanned: dict[str, str], api_services: Services
) -> None:
    weak = scanned[WEAK]
    answers = await asyncio.gather(
        *(
            client.post(f"/api/tenants/{weak}/scans", headers=_as(tokens, who))
            for who in ["views_admin"] * 3 + ["views_analyst"] * 3
        )
    )
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["scanId"] for a in answers}) == 1
    assert sum(1 for a in answers if not a.json()["alreadyQueued"]) == 1
    # One message on the queue for this tenant (others' messages are left for their own tests).
    queued = await api_services.scan_queue.receive(32, visibility_timeout=1)
    assert [m.json()["tenantId"] for m in queued].count(weak) == 1


async def test_scan_now_queues_one_and_returns_it_again_until_it_ran(
    client: httpx.AsyncClient, tokens: dict[str, str], scanned: dict[str, str], api_services: Services
) -> None:
    strong = scanned[STRONG]
    first = await client.post(f"/api/tenants/{strong}/scans", headers=_as(tokens, "views_analyst"))
    assert first.status_code == 202
    again = await client.post(f"/api/tenants/{strong}/scans", headers=_as(tokens, "views_admin"))
    assert again.json()["scanId"] == first.json()["scanId"] and again.json()["alreadyQueued"] is True
    watch = first.headers["location"]
    assert (await _get(client, tokens, watch))["status"] == "queued"
    options = QueueOptions.from_host_json()
    while await drain_scan_queue_once(api_services, options):
        pass
    assert (await _get(client, tokens, watch))["status"] == "completed"
    later = await client.post(f"/api/tenants/{strong}/scans", headers=_as(tokens, "views_admin"))
    assert later.json()["scanId"] != first.json()["scanId"]
    viewer = await client.post(f"/api/tenants/{strong}/scans", headers=_as(tokens, "customer_viewer_x"))
    assert viewer.status_code == 403


async def test_exports_carry_framework_ids_and_acceptance_state(
    client: httpx.AsyncClient, tokens: dict[str, str], scanned: dict[str, str]
) -> None:
    response = await client.get(
        f"/api/tenants/{scanned[WEAK]}/findings/export", headers=_as(tokens, "views_admin")
    )
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == len(CATALOGUE)
    smtp = next(r for r in rows if r["checkId"] == "exo.smtp_auth_disabled")
    assert (smtp["cis"], smtp["scuba"], smtp["status"]) == ("6.5.4", "MS.EXO.5.1v1", "fail")
    assert smtp["accepted"] in ("False", "True")
    as_json = await _get(client, tokens, f"/api/tenants/{scanned[WEAK]}/findings/export?format=json")
    assert len(as_json) == len(CATALOGUE)
    fleet = await _get(client, tokens, "/api/fleet/findings/export?format=json")
    assert {r["customer"] for r in fleet} >= {WEAK, STRONG}
