"""Roles held through role-assignable groups and PIM for Groups count for the people and apps in them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from core.checks import privileged
from core.checks.model import SourceFailure, Status
from core.checks.well_known import GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR, USER_ADMINISTRATOR
from tests.unit.checks.support import FORBIDDEN, NOT_LICENSED, by_id, mutated, run, values
from tests.unit.checks.test_privileged import assign

GROUP = "g-tier0"
MEMBERS = "role_group_members"
ELIGIBILITY = "role_group_eligibility"


def member(data: dict[str, Any], principal_id: str, kind: str = "user") -> dict[str, Any]:
    """A directoryObject as transitiveMembers lists it: its @odata.type, id and default properties."""
    user = next((u for u in data["users"] if u["id"] == principal_id), {})
    return {
        "@odata.type": f"#microsoft.graph.{kind}",
        "id": principal_id,
        "displayName": user.get("displayName", principal_id),
        "userPrincipalName": user.get("userPrincipalName"),
    }


def group_role(
    data: dict[str, Any],
    role: str,
    members: list[str],
    *,
    eligible: Sequence[str] = (),
    eligible_role: bool = False,
) -> None:
    """`GROUP` holds `role` (actively, or as PIM eligible), with these members and PIM-eligible members."""
    if eligible_role:
        schedule = dict(
            data["role_eligibility_schedules"][0], id="res-group", principalId=GROUP, roleDefinitionId=role
        )
        schedule["principal"] = {
            "@odata.type": "#microsoft.graph.group",
            "id": GROUP,
            "displayName": "Tier 0",
        }
        data["role_eligibility_schedules"].append(schedule)
    else:
        assign(data, role, GROUP, kind="group")
        data["role_assignments"][-1]["principal"]["displayName"] = "Tier 0"
    data[MEMBERS][GROUP] = [member(data, m) for m in members]
    data[ELIGIBILITY][GROUP] = [
        {
            "id": f"{GROUP}_member_{p}",
            "accessId": "member",
            "principalId": p,
            "groupId": GROUP,
            "memberType": "Direct",
        }
        for p in eligible
    ]


def test_members_of_a_group_holding_global_administrator_are_counted() -> None:
    outcome = run(
        privileged.global_admin_count,
        mutated(lambda d: group_role(d, GLOBAL_ADMINISTRATOR, ["u-carol"])),
    )
    assert outcome.status is Status.PASS
    assert outcome.summary == "4 users hold Global Administrator."
    carol = next(e for e in outcome.evidence if e["id"] == "u-carol")  # type: ignore[index]
    assert carol["viaGroups"] == ["Tier 0"] and carol["assignment"] == ["active"]  # type: ignore[index]


def test_pim_eligible_members_of_the_group_are_counted_as_eligible() -> None:
    outcome = run(
        privileged.global_admin_count,
        mutated(lambda d: group_role(d, GLOBAL_ADMINISTRATOR, ["u-carol", "u-alice"], eligible=["u-admin2"])),
    )
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("6 users hold Global Administrator")
    bruno = next(e for e in outcome.evidence if e["id"] == "u-admin2")  # type: ignore[index]
    assert bruno["assignment"] == ["eligible"]  # type: ignore[index]


def test_active_members_of_a_group_whose_role_is_only_eligible_hold_it_as_eligible() -> None:
    outcome = run(
        privileged.global_admin_count,
        mutated(lambda d: group_role(d, GLOBAL_ADMINISTRATOR, ["u-carol"], eligible_role=True)),
    )
    carol = next(e for e in outcome.evidence if e["id"] == "u-carol")  # type: ignore[index]
    assert carol["assignment"] == ["eligible"]  # type: ignore[index]


def test_group_owners_and_nested_group_objects_are_not_role_holders() -> None:
    def owners_and_nesting(data: dict[str, Any]) -> None:
        group_role(data, GLOBAL_ADMINISTRATOR, ["u-carol"])
        data[MEMBERS][GROUP].append(member(data, "g-nested", kind="group"))
        data[ELIGIBILITY][GROUP].append(
            {"id": "x", "accessId": "owner", "principalId": "u-bob", "groupId": GROUP, "memberType": "Direct"}
        )

    outcome = run(privileged.global_admin_count, mutated(owners_and_nesting))
    assert set(values(outcome.evidence, "id")) == {
        "u-admin1",
        "b6f1c2a0-0000-4000-8000-0000000000b1",
        "b6f1c2a0-0000-4000-8000-0000000000b2",
        "u-carol",
    }


def test_a_synchronised_member_of_an_admin_group_is_not_cloud_only() -> None:
    outcome = run(
        privileged.admins_cloud_only, mutated(lambda d: group_role(d, USER_ADMINISTRATOR, ["u-bob"]))
    )
    assert outcome.status is Status.FAIL
    assert outcome.evidence[0]["userPrincipalName"] == "bob@contoso.com"  # type: ignore[index]
    assert outcome.evidence[0]["viaGroups"] == ["Tier 0"]  # type: ignore[index]
    assert outcome.evidence[0]["onPremises"] == "onPremisesSyncEnabled"  # type: ignore[index]


def test_an_admin_still_anchored_to_on_premises_is_not_cloud_only() -> None:
    # Sync stopped (onPremisesSyncEnabled false) but the immutable id still ties the account to AD.
    def anchored(data: dict[str, Any]) -> None:
        by_id(data["users"], "u-admin1").update(
            onPremisesSyncEnabled=False, onPremisesImmutableId="b64AnchorA=="
        )

    outcome = run(privileged.admins_cloud_only, mutated(anchored))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "id") == ["u-admin1"]
    assert values(outcome.evidence, "onPremises") == ["onPremisesImmutableId"]


def test_a_pim_eligible_guest_member_of_an_admin_group_is_a_guest_admin() -> None:
    outcome = run(
        privileged.no_guest_admins,
        mutated(lambda d: group_role(d, USER_ADMINISTRATOR, [], eligible=["u-guest1"])),
    )
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "id") == ["u-guest1"]
    assert values(outcome.evidence, "assignment") == [["eligible"]]


def test_an_app_in_a_group_holding_a_takeover_role_is_listed() -> None:
    def app_member(data: dict[str, Any]) -> None:
        group_role(data, PRIVILEGED_ROLE_ADMINISTRATOR, [])
        data[MEMBERS][GROUP] = [member(data, "sp-backup", kind="servicePrincipal")]

    outcome = run(privileged.no_app_tenant_takeover_roles, mutated(app_member))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "id") == ["sp-backup"]


def test_global_administrators_through_a_group_count_against_least_privilege() -> None:
    outcome = run(
        privileged.global_admin_least_privilege,
        mutated(lambda d: group_role(d, GLOBAL_ADMINISTRATOR, ["u-carol", "u-alice"])),
    )
    assert outcome.status is Status.FAIL
    assert "5 Global Administrators vs" in outcome.summary


@pytest.mark.parametrize(
    "check",
    [
        privileged.global_admin_count,
        privileged.admins_cloud_only,
        privileged.global_admin_least_privilege,
        privileged.no_guest_admins,
        privileged.no_app_tenant_takeover_roles,
    ],
)
def test_unreadable_group_members_make_every_holder_check_an_error(check: Any) -> None:
    data = mutated(lambda d: group_role(d, GLOBAL_ADMINISTRATOR, ["u-carol"]))
    outcome = run(check, data, role_group_members=FORBIDDEN)
    assert outcome.status is Status.ERROR
    assert "role_group_members" in outcome.summary


def test_a_group_missing_from_what_was_read_is_an_error_not_an_empty_group() -> None:
    def unread(data: dict[str, Any]) -> None:
        group_role(data, GLOBAL_ADMINISTRATOR, ["u-carol"])
        del data[MEMBERS][GROUP]

    outcome = run(privileged.global_admin_count, mutated(unread))
    assert outcome.status is Status.ERROR
    assert "group Tier 0 was not read" in outcome.summary


def test_pim_for_groups_without_p2_means_no_eligible_members() -> None:
    data = mutated(lambda d: group_role(d, GLOBAL_ADMINISTRATOR, ["u-carol"]))
    outcome = run(privileged.global_admin_count, data, role_group_eligibility=NOT_LICENSED)
    assert outcome.status is Status.PASS
    assert outcome.summary == "4 users hold Global Administrator."


def test_unreadable_pim_for_groups_eligibility_is_an_error_when_a_group_holds_a_role() -> None:
    data = mutated(lambda d: group_role(d, GLOBAL_ADMINISTRATOR, ["u-carol"]))
    failure = SourceFailure("forbidden", "permission PrivilegedEligibilitySchedule.Read.AzureADGroup missing")
    outcome = run(privileged.no_guest_admins, data, role_group_eligibility=failure)
    assert outcome.status is Status.ERROR
    assert "PrivilegedEligibilitySchedule.Read.AzureADGroup" in outcome.summary
    # Without any role-holding group nothing needs it.
    assert run(privileged.no_guest_admins, role_group_eligibility=failure).status is Status.PASS
