"""Reading role-holding groups after the role assignments: which groups, and how a failure is kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from core.checks.model import SourceFailure, TenantSnapshot
from core.collect.readers import SourceError
from core.collect.role_groups import read_role_groups, role_holding_groups
from core.collect.sources import ROLE_GROUP_SOURCES, GraphSource

GROUP = "#microsoft.graph.group"


def assignment(principal_id: str, odata_type: str) -> dict[str, Any]:
    return {"principalId": principal_id, "principal": {"@odata.type": odata_type, "id": principal_id}}


def snapshot(**data: Any) -> TenantSnapshot:
    return TenantSnapshot("t", datetime(2026, 11, 1, tzinfo=UTC), data=dict(data))


def test_groups_are_taken_from_active_and_eligible_assignments_once_each() -> None:
    snap = snapshot(
        role_assignments=[assignment("G-1", GROUP), assignment("u-1", "#microsoft.graph.user")],
        role_eligibility_schedules=[assignment("g-1", GROUP), assignment("g-2", GROUP)],
    )
    assert role_holding_groups(snap) == ["g-1", "g-2"]


def run(snap: TenantSnapshot, read: Any) -> None:
    asyncio.run(read_role_groups(snap, ROLE_GROUP_SOURCES, read, asyncio.Semaphore(2)))


def test_each_group_is_read_through_its_own_path() -> None:
    paths: list[str] = []

    async def read(source: GraphSource) -> list[Any]:
        paths.append(source.path)
        return [{"id": source.path}]

    snap = snapshot(role_assignments=[assignment("g-1", GROUP)], role_eligibility_schedules=[])
    run(snap, read)
    assert sorted(paths) == [
        "/groups/g-1/transitiveMembers",
        "/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances?$filter=groupId eq 'g-1'",
    ]
    assert snap.data["role_group_members"] == {"g-1": [{"id": "/groups/g-1/transitiveMembers"}]}


def test_one_unreadable_group_fails_the_whole_source_naming_it() -> None:
    async def read(source: GraphSource) -> list[Any]:
        if "g-2" in source.path and "transitiveMembers" in source.path:
            raise SourceError(SourceFailure("forbidden", "permission Directory.Read.All missing"))
        return []

    snap = snapshot(role_assignments=[assignment("g-1", GROUP), assignment("g-2", GROUP)])
    snap.failures["role_eligibility_schedules"] = SourceFailure("not_licensed", "needs AAD_PREMIUM_P2")
    run(snap, read)
    assert "role_group_members" not in snap.data
    failure = snap.failures["role_group_members"]
    assert failure.kind == "forbidden" and failure.reason.startswith(
        "group g-2: permission Directory.Read.All"
    )
    # Without P2 the PIM for Groups list is not asked for at all.
    assert snap.failures["role_group_eligibility"].kind == "not_licensed"


def test_nothing_is_read_when_the_role_assignments_could_not_be() -> None:
    async def read(source: GraphSource) -> list[Any]:
        raise AssertionError("no group can be known")

    snap = snapshot()
    snap.failures["role_assignments"] = SourceFailure(
        "forbidden", "permission RoleManagement.Read.Directory missing"
    )
    run(snap, read)
    assert {name: f.kind for name, f in snap.failures.items() if name.startswith("role_group")} == {
        "role_group_members": "forbidden",
        "role_group_eligibility": "forbidden",
    }
    assert "role assignments unreadable" in snap.failures["role_group_members"].reason


def test_a_tenant_without_role_groups_reads_nothing_and_has_empty_data() -> None:
    async def read(source: GraphSource) -> list[Any]:
        raise AssertionError("nothing to read")

    snap = snapshot(
        role_assignments=[assignment("u-1", "#microsoft.graph.user")], role_eligibility_schedules=[]
    )
    run(snap, read)
    assert snap.data["role_group_members"] == {} and snap.data["role_group_eligibility"] == {}
