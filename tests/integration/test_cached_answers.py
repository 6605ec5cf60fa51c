"""The cached read views (core/answers.py) over real HTTP: ETags and 304s, an answer that follows
every write and the passing of time, and the attack: a customer's people never get an answer (or
a 304) minted for the MSP or for another tenant."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from core.audit import Actor
from core.auth.api_keys import create_api_key
from core.auth.principals import Grant, Principal
from core.auth.roles import Role
from core.bootstrap import LazyServices, Services
from core.checks.catalogue import CATALOGUE
from core.checks.model import Outcome, Status
from core.customers import Customer, register_customer, update_customer_by_id
from core.posture import summarise_scan
from core.risk import accept_risk
from core.scan.findings import CheckResult, next_finding
from core.settings import Settings
from functions.api import create_api
from tests.conftest import api_over_http
from tests.unit.fakes import FakeClock
from tests.world import World

FOUR_ROUTES = (
    "/api/fleet?sort=score&order=asc",
    "/api/search?check={check}",
    "/api/tenants/{tenant}/findings?status=fail&pageSize=50",
    "/api/tenants/{tenant}/dashboard",
)


async def _keyed_org(services: Services) -> tuple[str, Customer, dict[str, str]]:
    """An org of its own with one connected customer, and an MSP analyst's API key for it."""
    org_id = f"cache-{uuid.uuid4().hex[:10]}"
    customer = await register_customer(
        services.store.org(org_id),
        tenant_id=str(uuid.uuid4()),
        display_name="Cached Ltd",
        primary_domain="cached.example",
        connected=True,
    )
    issued = await create_api_key(
        services.store,
        org_id,
        name="cache test",
        role=Role.MSP_ANALYST,
        expires_at=datetime.now(UTC) + timedelta(days=1),
        created_by={"kind": "test"},
    )
    return org_id, customer, {"authorization": f"Bearer {issued.secret_key}"}


@pytest.fixture
def served(api_settings: Settings, api_services: Services) -> Iterator[str]:
    with api_over_http(api_settings) as port:
        yield f"http://127.0.0.1:{port}"


async def test_each_view_answers_an_etag_and_304_to_it_until_a_write_moves_it(
    served: str, api_services: Services
) -> None:
    org_id, customer, headers = await _keyed_org(api_services)
    urls = [u.format(check="entra.mfa_admins", tenant=customer.tenant_id) for u in FOUR_ROUTES]
    async with httpx.AsyncClient(base_url=served) as http:
        tags: dict[str, str] = {}
        for url in urls:
            first = await http.get(url, headers=headers)
            assert first.status_code == 200, first.text
            etag = first.headers["etag"]
            assert etag.startswith('"') and first.headers["cache-control"] == "private, no-cache"
            again = await http.get(url, headers={**headers, "if-none-match": etag})
            assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
            listed = await http.get(url, headers={**headers, "if-none-match": f'"other", W/{etag}'})
            assert listed.status_code == 304  # a list, and the weak form of the same tag
            star = await http.get(url, headers={**headers, "if-none-match": "*"})
            assert star.status_code == 200 and star.content == first.content
            tags[url] = etag

        def rename(c: Customer) -> None:
            c.display_name = "Renamed Ltd"
            c.tags = ["gold"]

        await update_customer_by_id(api_services.store.org(org_id), customer.customer_id, rename)
        fleet = await http.get(urls[0], headers={**headers, "if-none-match": tags[urls[0]]})
        assert fleet.status_code == 200 and fleet.headers["etag"] != tags[urls[0]]
        body = fleet.json()
        assert body["customers"][0]["displayName"] == "Renamed Ltd" and body["tags"] == ["gold"]


async def test_a_customer_never_gets_an_answer_or_a_304_minted_for_the_msp_or_another_tenant(
    served: str, tokens: dict[str, str], world: World
) -> None:
    def auth(person: str, etag: str | None = None) -> dict[str, str]:
        headers = {"authorization": f"Bearer {tokens[person]}"}
        return headers | ({"if-none-match": etag} if etag else {})

    x, y = world.tenant_x, world.tenant_y
    async with httpx.AsyncClient(base_url=served) as http:
        minted: dict[str, str] = {}
        for url in (f"/api/tenants/{x}/dashboard", f"/api/tenants/{x}/findings?status=fail&pageSize=50"):
            msp = await http.get(url, headers=auth("msp_admin_a"))
            assert msp.status_code == 200
            # The viewer of X asks for the same view of X holding the MSP's ETag: its own answer,
            # built for its own scope, under an ETag of its own; never the MSP's 304.
            viewer = await http.get(url, headers=auth("customer_viewer_x", msp.headers["etag"]))
            assert viewer.status_code == 200 and viewer.headers["etag"] != msp.headers["etag"]
            assert viewer.json() == msp.json()  # the same data: only the scope differs
            own = await http.get(url, headers=auth("customer_viewer_x", viewer.headers["etag"]))
            assert own.status_code == 304
            # Another customer of the same MSP, holding X's ETags, learns nothing about X.
            for etag in (msp.headers["etag"], viewer.headers["etag"]):
                other = await http.get(url, headers=auth("customer_admin_y", etag))
                assert other.status_code == 403 and other.content != b""
            minted[url] = viewer.headers["etag"]
        # Y's own views are refused to the viewer of X whatever ETag it holds.
        for url in (f"/api/tenants/{y}/dashboard", f"/api/tenants/{y}/findings?status=fail&pageSize=50"):
            msp = await http.get(url, headers=auth("msp_admin_a"))
            stolen = await http.get(url, headers=auth("customer_viewer_x", msp.headers["etag"]))
            assert stolen.status_code == 403
        # And the MSP-only views, too.
        for url in ("/api/fleet?sort=score&order=asc", "/api/search?check=entra.mfa_admins"):
            msp = await http.get(url, headers=auth("msp_admin_a"))
            assert msp.status_code == 200
            refused = await http.get(url, headers=auth("customer_viewer_x", msp.headers["etag"]))
            assert refused.status_code == 403 and "customers" not in refused.text
        # An MSP analyst's answer is the MSP admin's data, but its ETag is its own scope's too.
        url = f"/api/tenants/{x}/dashboard"
        admin = await http.get(url, headers=auth("msp_admin_a"))
        analyst = await http.get(url, headers=auth("msp_analyst_a", admin.headers["etag"]))
        assert analyst.status_code == 200 and analyst.headers["etag"] != admin.headers["etag"]


async def test_a_cached_fleet_view_changes_when_time_passes_a_staleness_boundary(
    api_settings: Settings, api_services: Services
) -> None:
    """Nothing is written: only the (injected) clock moves past the customer's last scan plus
    seven days, and the cached answer must not be served past that instant."""
    org_id, customer, headers = await _keyed_org(api_services)
    lazy = LazyServices(api_settings)
    clock = FakeClock()
    (await lazy.get()).clock = clock  # type: ignore[assignment]

    def scanned(c: Customer) -> None:
        c.summary.last_scan_id, c.summary.last_scan_at = "s1", clock.now() - timedelta(days=7, minutes=-30)

    await update_customer_by_id(api_services.store.org(org_id), customer.customer_id, scanned)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_api(lazy)), base_url="http://testserver"
        ) as http:
            fresh = await http.get("/api/fleet", headers=headers)
            assert fresh.json()["customers"][0]["stale"] is False and fresh.json()["summary"]["stale"] == 0
            clock.advance(minutes=29)
            still = await http.get("/api/fleet", headers={**headers, "if-none-match": fresh.headers["etag"]})
            assert still.status_code == 304  # the boundary is not reached: the cache holds
            clock.advance(minutes=2)
            stale = await http.get("/api/fleet", headers={**headers, "if-none-match": fresh.headers["etag"]})
            assert stale.status_code == 200, "a cached answer outlived the staleness boundary"
            assert stale.json()["customers"][0]["stale"] is True and stale.json()["summary"]["stale"] == 1
    finally:
        await lazy.close()


async def test_the_fleet_view_answers_in_pages_when_asked_and_whole_otherwise(
    client: httpx.AsyncClient, api_services: Services
) -> None:
    org_id, _, headers = await _keyed_org(api_services)
    for name in ("Beta Ltd", "Gamma Ltd"):
        await register_customer(
            api_services.store.org(org_id),
            tenant_id=str(uuid.uuid4()),
            display_name=name,
            primary_domain=f"{name.split()[0].lower()}.example",
            connected=True,
        )
    whole = (await client.get("/api/fleet", headers=headers)).json()
    assert "nextPageToken" not in whole and whole["total"] == 3
    first = (await client.get("/api/fleet?pageSize=2", headers=headers)).json()
    assert (first["total"], len(first["customers"]), first["summary"]) == (3, 2, whole["summary"])
    token = first["nextPageToken"]
    second = (await client.get(f"/api/fleet?pageSize=2&pageToken={token}", headers=headers)).json()
    assert second["nextPageToken"] is None
    assert first["customers"] + second["customers"] == whole["customers"]
    other_filter = await client.get(f"/api/fleet?pageSize=2&sort=score&pageToken={token}", headers=headers)
    assert other_filter.status_code == 400 and "pageToken" in other_filter.text
    forged = await client.get("/api/fleet?pageToken=eyJzIjoieCIsImMiOiIxIn0", headers=headers)
    assert forged.status_code == 400


async def test_a_scan_landing_and_an_acceptance_move_the_tenant_views_answers(
    client: httpx.AsyncClient, api_services: Services
) -> None:
    """The writes behind the tenant views as their use cases make them: findings stored and the
    summary updated (a scan landing), then a risk accepted; each answer follows at once."""
    org_id, customer, headers = await _keyed_org(api_services)
    urls = [f"/api/tenants/{customer.tenant_id}/dashboard", f"/api/tenants/{customer.tenant_id}/findings"]
    before = {url: (await client.get(url, headers=headers)).headers["etag"] for url in urls}
    check = CATALOGUE[0]
    result = CheckResult(check.metadata, Outcome(Status.FAIL, "fails", ({"id": "o1"},)))
    now = datetime.now(UTC)
    finding = next_finding(result, None, "scan-1", now)[0]
    await api_services.store.relationship(customer.relationship_id).upsert_many([finding.to_document()])

    def landed(c: Customer) -> None:
        c.summary = summarise_scan(c.summary, [result], [finding], "scan-1", now)

    await update_customer_by_id(api_services.store.org(org_id), customer.customer_id, landed)
    scanned = {url: await client.get(url, headers={**headers, "if-none-match": before[url]}) for url in urls}
    assert all(r.status_code == 200 for r in scanned.values())
    assert scanned[urls[1]].json()["counts"] == {"failing": 1, "total": 1}

    grant = Grant(
        Principal("t", "o", None, None, ()), org_id, Role.MSP_ADMIN, customer.tenant_id, customer.customer_id
    )
    expires = now + timedelta(days=30)
    await accept_risk(
        api_services,
        grant,
        Actor("system"),
        check_id=check.id,
        justification="A test accepts it",
        expires_at=expires,
    )
    for url in urls:
        accepted = await client.get(url, headers={**headers, "if-none-match": scanned[url].headers["etag"]})
        assert accepted.status_code == 200, f"{url}: an acceptance did not move the cached answer"
    assert accepted.json()["items"][0]["accepted"] is True
