"""core/answers.py: whose answer is served to whom, until when, and the ETags that say so."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta

from core.answers import (
    MAX_AGE,
    Answer,
    AnswerCache,
    AnswerKey,
    cached_answer,
    etag_of,
    matches,
    until_next_change,
)
from core.auth.principals import Grant, Principal
from core.auth.roles import Role
from core.customers import (
    Customer,
    PostureSummary,
    bump_fleet_version,
    customer_document_id,
    customer_of_tenant,
    register_customer,
    update_customer,
)
from core.fleet import STALE_AFTER, FleetFilter, fleet_overview
from core.store.documents import FLEET_VERSION, FLEET_VERSION_ID
from core.store.errors import AccessDenied
from core.store.narrow_org import NarrowOrgRepository, OrgView
from core.store.read_snapshot import enter_snapshot, leave_snapshot
from core.store.scope import RelationshipScope, enter_scope, leave_scope
from tests.unit.fakes import FakeStore

ORG = "msp-cache"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _grant(role: Role, tenant: str | None = None, org: str = ORG) -> Grant:
    principal = Principal("home", "oid", None, None, ())
    return Grant(principal, org, role, tenant, f"rel-{tenant}" if tenant else None)


async def test_no_scope_is_ever_served_an_answer_built_for_another() -> None:
    store = FakeStore()
    org = store.org(ORG)
    await bump_fleet_version(org)
    scopes = {
        "msp admin": _grant(Role.MSP_ADMIN),
        "msp analyst": _grant(Role.MSP_ANALYST),
        "viewer of A": _grant(Role.CUSTOMER_VIEWER, "tenant-a"),
        "admin of A": _grant(Role.CUSTOMER_ADMIN, "tenant-a"),
        "viewer of B": _grant(Role.CUSTOMER_VIEWER, "tenant-b"),
        "admin of another org": _grant(Role.MSP_ADMIN, org="msp-other"),
    }
    served: dict[str, Answer] = {}
    for who, grant in scopes.items():

        async def build(who: str = who) -> tuple[bytes, datetime]:
            return f'{{"for":"{who}"}}'.encode(), NOW + MAX_AGE

        served[who] = await cached_answer(org, grant, "dashboard", NOW, build)
        again = await cached_answer(org, grant, "dashboard", NOW, build)
        assert again is served[who]  # each scope's own answer is cached...
    for who, answer in served.items():  # ...and never anyone else's, nor under their ETag
        assert answer.body == f'{{"for":"{who}"}}'.encode()
    assert len({a.etag for a in served.values()}) == len(scopes)


async def test_a_request_through_the_customers_own_tokens_is_a_scope_of_its_own() -> None:
    store = FakeStore()
    org = store.org(ORG)
    await bump_fleet_version(org)
    grant = _grant(Role.CUSTOMER_VIEWER, "tenant-a")

    async def app_identity() -> tuple[bytes, datetime]:
        return b'"app"', NOW + MAX_AGE

    async def own_tokens() -> tuple[bytes, datetime]:
        return b'"tokens"', NOW + MAX_AGE

    assert (await cached_answer(org, grant, "v", NOW, app_identity)).body == b'"app"'
    token = enter_scope(RelationshipScope({}, {}))
    try:
        assert (await cached_answer(org, grant, "v", NOW, own_tokens)).body == b'"tokens"'
    finally:
        leave_scope(token)


async def test_an_answer_is_built_again_once_the_fleet_version_moves() -> None:
    store = FakeStore()
    org = store.org(ORG)
    await bump_fleet_version(org)
    grant, built = _grant(Role.MSP_ADMIN), []

    async def build() -> tuple[bytes, datetime]:
        built.append(1)
        return str(len(built)).encode(), NOW + MAX_AGE

    first = await cached_answer(org, grant, "fleet", NOW, build)
    assert (await cached_answer(org, grant, "fleet", NOW, build)).body == first.body == b"1"
    await bump_fleet_version(org)
    assert (await cached_answer(org, grant, "fleet", NOW, build)).body == b"2"


def test_an_answer_is_not_served_at_or_after_its_boundary() -> None:
    cache = AnswerCache()
    key = AnswerKey(1, ORG, "scope", "fleet", "v1")
    cache.put(key, Answer(b"{}", etag_of("scope", b"{}"), NOW + timedelta(minutes=5)))
    assert cache.get(key, NOW + timedelta(minutes=4, seconds=59)) is not None
    assert cache.get(key, NOW + timedelta(minutes=5)) is None


def test_the_cache_is_bounded_in_entries_and_bytes() -> None:
    cache = AnswerCache(max_entries=2, max_bytes=10)
    keys = [AnswerKey(1, ORG, "s", f"v{i}", "1") for i in range(3)]
    for key in keys:
        cache.put(key, Answer(b"1234", '"e"', NOW + MAX_AGE))
    assert cache.get(keys[0], NOW) is None and cache.get(keys[2], NOW) is not None
    cache.put(keys[0], Answer(b"123456789", '"e"', NOW + MAX_AGE))  # 9 + 4 > 10 bytes
    assert cache.get(keys[1], NOW) is None and cache.get(keys[2], NOW) is None
    cache.put(keys[1], Answer(b"x" * 11, '"e"', NOW + MAX_AGE))  # larger than everything
    assert cache.get(keys[1], NOW) is None


def test_etags_are_scope_specific_and_if_none_match_never_honours_a_star() -> None:
    assert etag_of("msp", b"{}") != etag_of("viewer", b"{}")
    tag = etag_of("msp", b"{}")
    assert matches(tag, tag) and matches(f'"x", W/{tag}', tag)
    assert not matches("*", tag) and not matches(None, tag) and not matches('"x"', tag)


def _customer(**summary: object) -> Customer:
    return Customer(
        id=customer_document_id("c1"),
        customer_id="c1",
        org_id=ORG,
        tenant_id="t1",
        display_name="C",
        primary_domain="c.example",
        summary=PostureSummary(**summary),  # type: ignore[arg-type]
    )


def test_an_answer_holds_until_the_first_time_boundary_of_its_customers() -> None:
    assert until_next_change([_customer()], NOW) == NOW + MAX_AGE
    scanned = _customer(last_scan_at=NOW - STALE_AFTER + timedelta(seconds=10))
    assert until_next_change([scanned], NOW, STALE_AFTER) == NOW + timedelta(seconds=10)
    assert until_next_change([scanned], NOW) == NOW + MAX_AGE  # a view that shows no staleness
    lapsing = _customer(acceptances={"x.y": NOW + timedelta(seconds=5)})
    assert until_next_change([scanned, lapsing], NOW, STALE_AFTER) == NOW + timedelta(seconds=5)
    cancelled = _customer().model_copy(update={"cancelled_on": date(2026, 6, 1)})
    just_before_midnight = datetime(2026, 6, 1, 23, 59, 50, tzinfo=UTC)
    assert until_next_change([cancelled], just_before_midnight) == datetime(2026, 6, 2, tzinfo=UTC)
    assert until_next_change([], NOW, extra=[NOW + timedelta(seconds=1)]) == NOW + timedelta(seconds=1)


async def test_a_tenant_is_found_in_the_version_checked_list_and_a_narrow_view_never_reads_it() -> None:
    store = FakeStore()
    org = store.org(ORG)
    a = await register_customer(org, tenant_id="tenant-a", display_name="A", primary_domain="a.example")
    b = await register_customer(org, tenant_id="tenant-b", display_name="B", primary_domain="b.example")
    assert (await customer_of_tenant(org, "tenant-b")) == b

    def tag(c: Customer) -> None:
        c.tags = ["gold"]

    await update_customer(org, "tenant-b", tag)  # moves the fleet version: the list is read again
    found = await customer_of_tenant(org, "tenant-b")
    assert found is not None and found.tags == ["gold"]
    await org.delete(customer_document_id(b.customer_id))
    await bump_fleet_version(org)
    assert await customer_of_tenant(org, "tenant-b") is None
    # A customer principal's narrow view never reads the whole fleet's list, cached as it is.
    narrow = NarrowOrgRepository(
        org.container, ORG, OrgView(frozenset({"tenant-a"}), frozenset({a.customer_id}))
    )
    assert await customer_of_tenant(narrow, "tenant-a") == a
    with contextlib.suppress(AccessDenied):
        assert await customer_of_tenant(narrow, "tenant-b") is None


async def test_every_filter_of_the_fleet_view_shares_its_rows_until_the_time_passes_a_boundary() -> None:
    store = FakeStore()
    org = store.org(ORG)
    customer = await register_customer(
        org, tenant_id="tenant-s", display_name="S", primary_domain="s.example", connected=True
    )

    def scanned(c: Customer) -> None:
        c.summary.last_scan_id, c.summary.last_scan_at = "s1", NOW - STALE_AFTER + timedelta(minutes=1)

    await update_customer(org, customer.tenant_id or "", scanned)
    by_name = await fleet_overview(org, FleetFilter(), NOW)
    by_score = await fleet_overview(org, FleetFilter(sort="score"), NOW + timedelta(seconds=30))
    assert by_score.rows[0] is by_name.rows[0] and not by_name.rows[0].stale  # derived once
    later = await fleet_overview(org, FleetFilter(), NOW + timedelta(minutes=1, seconds=1))
    assert later.rows[0].stale and later.summary.stale == 1  # derived again past the boundary
    earlier = await fleet_overview(org, FleetFilter(), NOW - timedelta(seconds=1))
    assert not earlier.rows[0].stale  # a clock set back never reads rows derived for later


async def test_a_read_only_request_reads_the_fleet_version_once_and_its_own_write_replaces_it() -> None:
    store = FakeStore()
    org = store.org(ORG)
    await bump_fleet_version(org)
    token = enter_snapshot()
    try:
        seen = await org.find_fleet_version()
        await store.org(ORG).upsert({"id": FLEET_VERSION_ID, "type": FLEET_VERSION, "version": "elsewhere"})
        assert await org.find_fleet_version() == seen  # another process's write: the next request's
        await bump_fleet_version(org)  # this request's own write
        own = await org.find_fleet_version()
        assert own not in (seen, "elsewhere")
    finally:
        leave_snapshot(token)
    assert await org.find_fleet_version() == own  # outside a snapshot: read from the store
