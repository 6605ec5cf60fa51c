"""Who holds directory roles: active assignments plus PIM eligibility, tenant-wide scope only, with
role-assignable groups replaced by the people and apps in them.

Role assignments come from /roleManagement/directory/roleAssignments?$expand=principal (active, including
activated PIM assignments); eligible PIM assignments from roleEligibilitySchedules (Entra ID P2) are added
whenever that source was collected. Only tenant-wide assignments (directoryScopeId "/") count:
administrative-unit scoped roles do not grant tenant-wide control.

A role held by a group is held by each of its members (`role_group_members`, from
/groups/{id}/transitiveMembers) and, through PIM for Groups, by each principal eligible to become one
(`role_group_eligibility`, Entra ID P2): such a principal holds the role as eligible, and so does an
active member of a group whose own role is only eligible. Group owners are left out, as ScubaGear
leaves them out. When a group's members could not be read the checks that ask are errors, never a
count of the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.checks.helpers import folded, folded_all, users_by_id
from core.checks.model import SourceFailure, SourceMissing, TenantSnapshot
from core.checks.well_known import role_name

ACTIVE = "role_assignments"
ELIGIBLE = "role_eligibility_schedules"
GROUP_MEMBERS = "role_group_members"
GROUP_ELIGIBILITY = "role_group_eligibility"


@dataclass
class Holder:
    principal_id: str
    kind: str  # "user", "group", "servicePrincipal" or "unknown"
    principal: Mapping[str, Any]
    roles: set[str] = field(default_factory=set)
    how: set[str] = field(default_factory=set)  # "active" and/or "eligible"
    via: set[str] = field(default_factory=set)  # the groups a role comes through, by name

    def evidence(self, directory: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        user = directory.get(folded(self.principal_id), {})
        entry: dict[str, Any] = {
            "id": self.principal_id,
            "principalType": self.kind,
            "displayName": self.principal.get("displayName") or user.get("displayName"),
            "roles": sorted(role_name(r) for r in self.roles),
            "assignment": sorted(self.how),
        }
        upn = self.principal.get("userPrincipalName") or user.get("userPrincipalName")
        if upn:
            entry["userPrincipalName"] = upn
        if self.principal.get("appId"):
            entry["appId"] = self.principal.get("appId")
        if self.via:
            entry["viaGroups"] = sorted(self.via)
        return entry


def odata_kind(principal: Mapping[str, Any]) -> str:
    odata = str(principal.get("@odata.type") or "")
    return odata.rsplit(".", 1)[-1] if odata else "unknown"


def principal_kind(assignment: Mapping[str, Any]) -> str:
    return odata_kind(assignment.get("principal") or {})


def tenant_wide(assignment: Mapping[str, Any]) -> bool:
    return assignment.get("directoryScopeId") in (None, "/")


def _assigned(snapshot: TenantSnapshot, wanted: frozenset[str]) -> tuple[dict[str, Holder], bool]:
    """Principals named in the assignments themselves (groups included), and whether eligible
    assignments were read."""
    found: dict[str, Holder] = {}
    sources = [(ACTIVE, "active")]
    with_eligible = snapshot.has(ELIGIBLE)
    if with_eligible:
        sources.append((ELIGIBLE, "eligible"))
    for source, how in sources:
        for assignment in snapshot.get(source) or []:
            role = folded(assignment.get("roleDefinitionId"))
            principal_id = assignment.get("principalId")
            if role not in wanted or not principal_id or not tenant_wide(assignment):
                continue
            holder = found.setdefault(
                folded(principal_id),
                Holder(principal_id, principal_kind(assignment), assignment.get("principal") or {}),
            )
            holder.roles.add(role)
            holder.how.add(how)
    return found, with_eligible


def _per_group(snapshot: TenantSnapshot, source: str, group: Holder) -> list[Mapping[str, Any]]:
    """What `source` holds for one group; a group it lacks was not read, which is not the same as empty."""
    by_group: Mapping[str, Any] = snapshot.get(source) or {}
    rows = by_group.get(folded(group.principal_id))
    if rows is None:
        name = group.principal.get("displayName") or group.principal_id
        raise SourceMissing(source, SourceFailure("unavailable", f"group {name} was not read"))
    return list(rows)


def _eligible_members(snapshot: TenantSnapshot, group: Holder) -> list[str]:
    """Principals PIM for Groups lets become members. A tenant without the licence has none."""
    failure = snapshot.failures.get(GROUP_ELIGIBILITY)
    if failure is not None and failure.kind == "not_licensed":
        return []
    rows = _per_group(snapshot, GROUP_ELIGIBILITY, group)
    return [
        str(r["principalId"]) for r in rows if folded(r.get("accessId")) == "member" and r.get("principalId")
    ]


def _grant(found: dict[str, Holder], member: Holder, group: Holder, how: set[str]) -> None:
    holder = found.setdefault(folded(member.principal_id), member)
    holder.roles |= group.roles
    holder.how |= how
    holder.via.add(str(group.principal.get("displayName") or group.principal_id))


def _expand(snapshot: TenantSnapshot, group: Holder, found: dict[str, Holder]) -> None:
    for member in _per_group(snapshot, GROUP_MEMBERS, group):
        kind = odata_kind(member)
        if kind != "group" and member.get("id"):  # nested groups' members are listed in their own right
            _grant(found, Holder(str(member["id"]), kind, member), group, set(group.how))
    eligible = _eligible_members(snapshot, group)
    directory = users_by_id(snapshot) if eligible and snapshot.has("users") else {}
    for principal_id in eligible:
        user = directory.get(folded(principal_id))
        eligible_member = Holder(principal_id, "user" if user else "unknown", user or {})
        _grant(found, eligible_member, group, {"eligible"})


def holders(snapshot: TenantSnapshot, roles: Iterable[str]) -> tuple[dict[str, Holder], bool]:
    """Principals holding any of `roles` tenant-wide, groups replaced by their members, keyed by
    folded id; and whether eligible assignments were included."""
    assigned, with_eligible = _assigned(snapshot, folded_all(roles))
    found = {key: h for key, h in assigned.items() if h.kind != "group"}
    for group in (h for h in assigned.values() if h.kind == "group"):
        _expand(snapshot, group, found)
    return found, with_eligible


def scope_note(with_eligible: bool) -> str:
    return "" if with_eligible else " (PIM eligible assignments not collected: active assignments only)"
