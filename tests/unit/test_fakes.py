"""The in-memory Cosmos container of tests/unit/fakes.py answers like the real client, so the use-case
tests over it can be believed: the query grammar core/store emits, etags, not-found, batches."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from azure.core import MatchConditions
from azure.cosmos.exceptions import (
    CosmosAccessConditionFailedError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)

from core.store import AlreadyExists, Conflict, NotFound
from core.store.documents import FINDING, USAGE, finding_id, usage_id
from core.store.partitions import FindingQuery
from tests.unit.fakes import FakeContainer, FakeStore, UnsupportedQuery


def _params(**values: object) -> list[dict[str, object]]:
    return [{"name": f"@{k}", "value": v} for k, v in values.items()]


async def _ids(container: FakeContainer, query: str, **values: object) -> list[str]:
    return [i["id"] async for i in container.query_items(query, parameters=_params(**values))]


@pytest.fixture
async def container() -> FakeContainer:
    c = FakeContainer("things", "/pk")
    for item in (
        {"id": "a", "pk": "p1", "type": "t", "n": 3, "tag": "x", "nested": {"v": 1}, "acceptance": None},
        {"id": "b", "pk": "p1", "type": "t", "n": 1, "tag": "y", "nested": {"v": 2}},
        {"id": "c", "pk": "p1", "type": "u", "n": 2, "tag": "x"},
        {"id": "d", "pk": "p2", "type": "t", "n": 5, "tag": "x", "flag": True},
    ):
        await c.create_item(item)
    return c


async def test_query_grammar(container: FakeContainer) -> None:
    q = "SELECT * FROM c WHERE c.pk = @pk AND (c.type = @t)"
    assert await _ids(container, q, pk="p1", t="t") == ["a", "b"]
    assert await _ids(container, "SELECT * FROM c WHERE c.type = 't' ORDER BY c.n DESC") == ["d", "a", "b"]
    assert await _ids(container, "SELECT * FROM c WHERE c.n >= 2 AND c.n < 5 ORDER BY c.n") == ["c", "a"]
    assert await _ids(container, "SELECT * FROM c WHERE c.tag != 'x' OR c.n > 4") == ["b", "d"]
    assert await _ids(container, "SELECT * FROM c WHERE c.nested.v = @v", v=2) == ["b"]
    assert await _ids(container, "SELECT * FROM c WHERE c.flag = true") == ["d"]
    # A missing path is undefined: neither equal nor unequal to null.
    assert await _ids(container, "SELECT * FROM c WHERE c.acceptance = null") == ["a"]
    assert await _ids(container, "SELECT * FROM c WHERE c.nested.v != null") == ["a", "b"]
    # Values of different types are unequal, never ordered.
    assert await _ids(container, "SELECT * FROM c WHERE c.n = '3'") == []
    assert await _ids(container, "SELECT * FROM c WHERE c.tag > 1") == []


async def test_partition_key_scopes_a_query(container: FakeContainer) -> None:
    found = [
        i["id"] async for i in container.query_items("SELECT * FROM c WHERE c.tag = 'x'", partition_key="p2")
    ]
    assert found == ["d"]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT c.id FROM c",
        "SELECT * FROM c WHERE ARRAY_CONTAINS(c.tags, 'x')",
        "SELECT * FROM c WHERE c.n IN (1, 2)",
        "SELECT * FROM c WHERE c.n = @missing",
        "SELECT * FROM c WHERE c.n = 1 OFFSET 0 LIMIT 1",
        "SELECT * FROM d WHERE d.n = 1",
    ],
)
async def test_anything_outside_the_grammar_fails_loudly(container: FakeContainer, query: str) -> None:
    with pytest.raises(UnsupportedQuery):
        container.query_items(query)


async def test_pages_carry_a_continuation(container: FakeContainer) -> None:
    result = container.query_items("SELECT * FROM c WHERE c.type = 't' ORDER BY c.n", max_item_count=2)
    pager = result.by_page(None)
    first = await pager.__anext__()
    assert [i["id"] async for i in first] == ["b", "a"] and pager.continuation_token
    pager = result.by_page(pager.continuation_token)
    second = await pager.__anext__()
    assert [i["id"] async for i in second] == ["d"] and pager.continuation_token is None


async def test_writes_raise_what_the_real_client_raises(container: FakeContainer) -> None:
    with pytest.raises(CosmosResourceExistsError):
        await container.create_item({"id": "a", "pk": "p1"})
    await container.create_item({"id": "a", "pk": "p3"})  # ids are unique per partition only
    with pytest.raises(CosmosResourceNotFoundError):
        await container.read_item("a", partition_key="nowhere")
    stored = await container.read_item("a", partition_key="p1")
    replaced = await container.replace_item(
        "a", {**stored, "n": 9}, etag=stored["_etag"], match_condition=MatchConditions.IfNotModified
    )
    assert replaced["_etag"] != stored["_etag"]
    with pytest.raises(CosmosAccessConditionFailedError) as raised:
        await container.replace_item(
            "a", {**stored, "n": 10}, etag=stored["_etag"], match_condition=MatchConditions.IfNotModified
        )
    assert raised.value.status_code == 412
    with pytest.raises(CosmosAccessConditionFailedError):
        await container.delete_item(
            "a", partition_key="p1", etag=stored["_etag"], match_condition=MatchConditions.IfNotModified
        )
    await container.delete_item("a", partition_key="p1")
    with pytest.raises(CosmosResourceNotFoundError):
        await container.delete_item("a", partition_key="p1")


async def test_the_repositories_translate_the_fakes_errors() -> None:
    repo = FakeStore().relationship("rel-1")
    created = await repo.create({"id": "doc", "type": "t", "v": 1})
    with pytest.raises(AlreadyExists):
        await repo.create({"id": "doc", "type": "t"})
    await repo.replace({**created.body, "v": 2}, created.etag)
    with pytest.raises(Conflict):
        await repo.replace({**created.body, "v": 3}, created.etag)
    with pytest.raises(NotFound):
        await repo.get("nothing")
    assert (await repo.get("doc")).body == {"id": "doc", "type": "t", "v": 2, "relationshipId": "rel-1"}


def _finding(check: str, **fields: object) -> dict[str, object]:
    """A finding document with what every finding has, and `fields` (camelCase) over it."""
    base = {"id": finding_id(check), "type": FINDING, "checkId": check, "title": check}
    return {**base, "severity": "low", "status": "fail", **fields}


async def test_batches_upsert_within_their_partition() -> None:
    store = FakeStore()
    repo = store.relationship("rel-1")
    await repo.upsert_many([_finding(f"check_{n}", severityRank=n) for n in range(150)])
    await repo.upsert_many([_finding("check_0", severityRank=999)])
    assert len(await repo.findings()) == 150
    assert (await repo.get(finding_id("check_0"))).body["severityRank"] == 999
    assert await store.relationship("rel-2").findings() == []
    page, continuation = await repo.findings_page(FindingQuery(), page_size=100, continuation=None)
    assert len(page) == 100 and continuation is not None
    rest, end = await repo.findings_page(FindingQuery(), page_size=100, continuation=continuation)
    assert len(rest) == 50 and end is None
    container = store.containers["relationships"]
    with pytest.raises(ValueError, match="partition"):
        await container.execute_item_batch([("upsert", ({"id": "x", "relationshipId": "rel-2"},))], "rel-1")


async def test_every_query_shape_core_store_emits_is_understood() -> None:
    """Each typed read over the fake: a new shape the grammar lacks fails here first."""
    store = FakeStore()
    rel = store.relationship("rel-1")
    now = datetime(2026, 11, 30, tzinfo=UTC)
    later = (now + timedelta(days=1)).isoformat()
    await rel.upsert_many(
        [
            _finding(
                "open",
                severity="high",
                category="identity",
                frameworks={"cis": ["1.1"]},
                change="new",
                acceptance=None,
                severityRank=1,
            ),
            _finding(
                "accepted",
                category="mail",
                frameworks={},
                change="persisting",
                acceptance={
                    "justification": "a compensating control",
                    "acceptedAt": now.isoformat(),
                    "expiresAt": later,
                    "acceptedBy": {"kind": "user"},
                },
                severityRank=3,
            ),
        ]
    )

    async def checks(query: FindingQuery) -> list[str]:
        page, _ = await rel.findings_page(query, page_size=10, continuation=None)
        return [finding.id for finding in page]

    assert await checks(FindingQuery(status="fail", severity="high", category="identity")) == [
        finding_id("open")
    ]
    assert await checks(FindingQuery(framework="cis")) == [finding_id("open")]
    assert await checks(FindingQuery(new=False)) == [finding_id("accepted")]
    assert await checks(FindingQuery(accepted=True, now=now)) == [finding_id("accepted")]
    assert await checks(FindingQuery(accepted=False, now=now)) == [finding_id("open")]
    assert await checks(FindingQuery(accepted=False, now=now + timedelta(days=2))) == [
        finding_id("open"),
        finding_id("accepted"),
    ]
    assert (await rel.scans_page(page_size=5, continuation=None)).items == []

    org = store.org("org-1")
    for day in (date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)):
        await org.upsert(
            {"id": usage_id("cust-1", day), "type": USAGE, "customerId": "cust-1", "day": day.isoformat()}
        )
    assert len(await org.usage_between(date(2026, 11, 2), date(2026, 11, 3))) == 2
    assert len(await org.usage_of_customer("cust-1", date(2026, 11, 1), date(2026, 11, 3))) == 2
    assert await org.members(role="msp_admin") == [] and await org.webhook_endpoints(enabled_only=True) == []
    assert await store.home_tenant("t-1").all_but_principals() == []
    assert [c async for c in store.all_customers()] == [] and await store.relationships_of("t-1") == []
