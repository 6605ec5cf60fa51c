"""The Cosmos repositories against the local Cosmos stand-in."""

import pytest

from core.bootstrap import Services
from core.store import AlreadyExists, Conflict, InvalidId, NotFound


async def test_create_then_read_returns_the_item_with_its_partition(
    services: Services, unique_id: str
) -> None:
    repo = services.store.relationship(unique_id)
    created = await repo.create({"id": "scan-1", "type": "scan", "score": 71})
    read = await repo.get("scan-1")
    assert read.body == {"id": "scan-1", "type": "scan", "score": 71, "relationshipId": unique_id}
    assert read.etag == created.etag and read.etag
    assert "_rid" not in read.body and "_etag" not in read.body


async def test_missing_item_is_not_found(services: Services, unique_id: str) -> None:
    repo = services.store.relationship(unique_id)
    with pytest.raises(NotFound, match="nope"):
        await repo.get("nope")
    assert await repo.find("nope") is None


async def test_item_in_another_partition_is_not_found(services: Services, unique_id: str) -> None:
    await services.store.relationship(unique_id).create({"id": "shared-id", "type": "scan"})
    with pytest.raises(NotFound):
        await services.store.relationship(unique_id + "-other").get("shared-id")


async def test_creating_twice_is_already_exists(services: Services, unique_id: str) -> None:
    repo = services.store.org(unique_id)
    await repo.create({"id": "customer-1", "type": "customer"})
    with pytest.raises(AlreadyExists):
        await repo.create({"id": "customer-1", "type": "customer"})


async def test_stale_etag_is_a_conflict_and_keeps_the_newer_write(services: Services, unique_id: str) -> None:
    repo = services.store.org(unique_id)
    first = await repo.create({"id": "c", "type": "customer", "name": "A"})
    second = await repo.replace({**first.body, "name": "B"}, first.etag)
    assert second.etag != first.etag
    with pytest.raises(Conflict):
        await repo.replace({**first.body, "name": "C"}, first.etag)
    assert (await repo.get("c")).body["name"] == "B"


async def test_delete_with_stale_etag_is_a_conflict(services: Services, unique_id: str) -> None:
    repo = services.store.relationship(unique_id)
    first = await repo.create({"id": "x", "type": "finding"})
    await repo.replace({**first.body, "status": "fail"}, first.etag)
    with pytest.raises(Conflict):
        await repo.delete("x", first.etag)
    await repo.delete("x")
    assert await repo.find("x") is None
    with pytest.raises(NotFound):
        await repo.delete("x")


async def test_upsert_overwrites(services: Services, unique_id: str) -> None:
    repo = services.store.relationship(unique_id)
    await repo.upsert({"id": "f", "type": "finding", "status": "fail"})
    await repo.upsert({"id": "f", "type": "finding", "status": "pass"})
    assert (await repo.get("f")).body["status"] == "pass"


async def test_query_stays_inside_the_partition(services: Services, unique_id: str) -> None:
    mine, theirs = services.store.relationship(unique_id), services.store.relationship(unique_id + "-b")
    await mine.create({"id": "a", "type": "finding", "status": "fail"})
    await mine.create({"id": "b", "type": "finding", "status": "pass"})
    await theirs.create({"id": "c", "type": "finding", "status": "fail"})
    failing = await mine.query_all(
        "c.type = @type AND c.status = @status", {"@type": "finding", "@status": "fail"}
    )
    assert [f["id"] for f in failing] == ["a"]
    assert all(f["relationshipId"] == unique_id for f in await mine.query_all())


async def test_paging_across_pages_with_continuation_tokens(services: Services, unique_id: str) -> None:
    repo = services.store.relationship(unique_id)
    for i in range(7):
        await repo.create({"id": f"f{i}", "type": "finding", "n": i})
    seen: list[str] = []
    pages = 0
    continuation = None
    while True:
        page = await repo.query_page("c.type = @t", {"@t": "finding"}, page_size=3, continuation=continuation)
        pages += 1
        assert len(page.items) <= 3
        seen += [item["id"] for item in page.items]
        continuation = page.continuation
        if continuation is None:
            break
    assert pages == 3
    assert sorted(seen) == [f"f{i}" for i in range(7)]


def test_a_tenant_repository_needs_a_tenant(services: Services) -> None:
    for empty in ("", "  "):
        with pytest.raises(ValueError, match="relationshipId"):
            services.store.relationship(empty)


async def test_writing_another_partitions_item_is_refused(services: Services, unique_id: str) -> None:
    repo = services.store.relationship(unique_id)
    with pytest.raises(ValueError, match="belongs to relationshipId"):
        await repo.create({"id": "x", "relationshipId": "someone-else"})
    assert await services.store.relationship("someone-else").find("x") is None


async def test_reserved_partition_parameter_cannot_be_overridden(services: Services, unique_id: str) -> None:
    with pytest.raises(ValueError, match="reserved"):
        await services.store.relationship(unique_id).query_all("c.x = @partition", {"@partition": "other"})


async def test_ids_that_walk_the_rest_path_are_refused_by_every_operation(
    services: Services, unique_id: str
) -> None:
    # On the stand-in `principal:x/../principal:victim` read the victim, `.` listed the container
    # and `..` read the container itself: the repository refuses such ids before any request.
    repo = services.store.home_tenant(unique_id)
    victim = await repo.create({"id": "principal:victim", "type": "principal", "memberships": ["admin"]})
    for walk in ("principal:x/../principal:victim", "principal:victim/", "..", ".", "principal:victim?x"):
        with pytest.raises(InvalidId):
            await repo.get(walk)
        with pytest.raises(InvalidId):
            await repo.find(walk)  # refused, never "not found"
        with pytest.raises(InvalidId):
            await repo.delete(walk)
        with pytest.raises(InvalidId):
            await repo.create({"id": walk, "type": "principal", "memberships": ["stolen"]})
        with pytest.raises(InvalidId):
            await repo.upsert({"id": walk, "type": "principal", "memberships": ["stolen"]})
        with pytest.raises(InvalidId):
            await repo.replace({"id": walk, "type": "principal", "memberships": ["stolen"]}, victim.etag)
        with pytest.raises(InvalidId):
            await repo.upsert_many([{"id": "fine", "type": "x"}, {"id": walk, "type": "x"}])
    assert (await repo.get("principal:victim")).body == victim.body
    assert await repo.find("fine") is None  # a batch with one bad id writes nothing
    assert [d["id"] for d in await repo.query_all()] == ["principal:victim"]
