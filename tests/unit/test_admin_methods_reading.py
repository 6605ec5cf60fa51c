"""Reading the Global Administrators' sign-in methods after the role data: whom, and how a failure is kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from core.checks.model import SourceFailure, TenantSnapshot
from core.checks.well_known import EXCHANGE_ADMINISTRATOR, GLOBAL_ADMINISTRATOR
from core.collect.admin_methods import global_admin_users, read_admin_sources
from core.collect.readers import SourceError
from core.collect.sources import ADMIN_USER_SOURCES, GraphSource

USER, GROUP = "#microsoft.graph.user", "#microsoft.graph.group"


def assignment(principal_id: str, odata_type: str, role: str = GLOBAL_ADMINISTRATOR) -> dict[str, Any]:
    return {
        "principalId": principal_id,
        "roleDefinitionId": role,
        "directoryScopeId": "/",
        "principal": {"@odata.type": odata_type, "id": principal_id},
    }


def snapshot(**data: Any) -> TenantSnapshot:
    return TenantSnapshot("t", datetime(2026, 11, 1, tzinfo=UTC), data=dict(data))


def run(snap: TenantSnapshot, read: Any) -> None:
    asyncio.run(read_admin_sources(snap, ADMIN_USER_SOURCES, read, asyncio.Semaphore(2)))


def test_global_administrators_are_users_holding_the_role_directly_or_through_a_group() -> None:
    snap = snapshot(
        role_assignments=[
            assignment("U-1", USER),
            assignment("u-2", USER, EXCHANGE_ADMINISTRATOR),
            assignment("g-1", GROUP),
        ],
        role_eligibility_schedules=[assignment("u-3", USER)],
        role_group_members={"g-1": [{"@odata.type": USER, "id": "u-4"}]},
        role_group_eligibility={"g-1": []},
    )
    assert global_admin_users(snap) == ["u-1", "u-3", "u-4"]


def test_each_administrator_is_read_through_their_own_path() -> None:
    paths: list[str] = []

    async def read(source: GraphSource) -> list[Any]:
        paths.append(source.path)
        return [{"@odata.type": "#microsoft.graph.fido2AuthenticationMethod"}]

    snap = snapshot(
        role_assignments=[assignment("u-1", USER)], role_group_members={}, role_group_eligibility={}
    )
    run(snap, read)
    assert paths == ["/users/u-1/authentication/methods"]
    assert snap.data["admin_auth_methods"] == {
        "u-1": [{"@odata.type": "#microsoft.graph.fido2AuthenticationMethod"}]
    }


def test_one_unreadable_administrator_fails_the_whole_source_naming_them() -> None:
    async def read(source: GraphSource) -> list[Any]:
        if "u-2" in source.path:
            raise SourceError(SourceFailure("forbidden", "UserAuthenticationMethod.Read.All missing"))
        return []

    snap = snapshot(
        role_assignments=[assignment("u-1", USER), assignment("u-2", USER)],
        role_group_members={},
        role_group_eligibility={},
    )
    run(snap, read)
    assert "admin_auth_methods" not in snap.data
    failure = snap.failures["admin_auth_methods"]
    assert failure.kind == "forbidden"
    assert failure.reason == "user u-2: UserAuthenticationMethod.Read.All missing"


def test_unreadable_role_data_fails_the_source_without_reading_anyone() -> None:
    async def read(source: GraphSource) -> list[Any]:
        raise AssertionError("nothing should be read")

    snap = snapshot()
    snap.failures["role_assignments"] = SourceFailure("forbidden", "RoleManagement.Read.Directory missing")
    run(snap, read)
    failure = snap.failures["admin_auth_methods"]
    assert failure.kind == "forbidden"
    assert "role_assignments unreadable: RoleManagement.Read.Directory missing" in failure.reason
