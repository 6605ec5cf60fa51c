"""Who holds directory roles: active assignments plus PIM eligibility, tenant-wide scope only.

Role assignments come from /roleManagement/directory/roleAssignments?$expand=principal (active, including
activated PIM assignments); eligible PIM assignments from roleEligibilitySchedules (Entra ID P2) are added
whenever that source was collected. Only tenant-wide assignments (directoryScopeId "/") count:
administrative-unit scoped roles do not grant tenant-wide control. Members of role-assignable groups
cannot be expanded from these sources, so groups stay groups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.checks.helpers import folded, folded_all
from core.checks.model import TenantSnapshot
from core.checks.well_known import role_name

ACTIVE = "role_assignments"
ELIGIBLE = "role_eligibility_schedules"


@dataclass
class Holder:
    principal_id: str
    kind: str  # "user", "group", "servicePrincipal" or "unknown"
    principal: Mapping[str, Any]
    roles: set[str] = field(default_factory=set)
    how: set[str] = field(default_factory=set)  # "active" and/or "eligible"

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
        return entry


def principal_kind(assignment: Mapping[str, Any]) -> str:
    odata = str((assignment.get("principal") or {}).get("@odata.type") or "")
    return odata.rsplit(".", 1)[-1] if odata else "unknown"


def tenant_wide(assignment: Mapping[str, Any]) -> bool:
    return assignment.get("directoryScopeId") in (None, "/")


def holders(snapshot: TenantSnapshot, roles: Iterable[str]) -> tuple[dict[str, Holder], bool]:
    """Principals holding any of `roles` tenant-wide, and whether eligible assignments were included."""
    wanted = folded_all(roles)
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
                principal_id,
                Holder(principal_id, principal_kind(assignment), assignment.get("principal") or {}),
            )
            holder.roles.add(role)
            holder.how.add(how)
    return found, with_eligible


def scope_note(with_eligible: bool) -> str:
    return "" if with_eligible else " (PIM eligible assignments not collected: active assignments only)"
