"""Privileged access managed just in time: highly privileged roles held without standing access.

Split from `privileged` (which judges who holds roles) because this check reads PIM's assignment
schedules rather than the role holders. Framework ids: CIS Microsoft 365 Foundations v5.0.0 5.3.1
(maester365/maester website/docs/tests/cis/readme.md, v5.0.0 revision) and CISA SCuBA MS.AAD.7.4v1
(cisagov/ScubaGear PowerShell/ScubaGear/baselines/aad.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks.ca_users import emergency_access_accounts
from core.checks.directory_roles import Holder, principal_kind, tenant_wide
from core.checks.helpers import capped, check, folded, folded_all, metadata, plural, shown, steps, users_by_id
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, passed
from core.checks.well_known import ENTRA_P2, HIGHLY_PRIVILEGED_ROLES, TENANT_TAKEOVER_ROLES

CATEGORY = "Privileged access"
SCHEDULES = "role_assignment_schedules"
PIM_DOCS = (
    "https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/pim-configure"
)


def _emergency_accounts(snapshot: TenantSnapshot) -> frozenset[str]:
    """Emergency-access accounts, recognised as the users excluded from every enabled all-users
    Conditional Access policy (read only when that source was collected)."""
    if not snapshot.has("conditional_access_policies"):
        return frozenset()
    return folded_all(emergency_access_accounts(snapshot.get("conditional_access_policies") or []))


def _is_permanent_active(schedule: Mapping[str, Any]) -> bool:
    expiration = (schedule.get("scheduleInfo") or {}).get("expiration") or {}
    return (
        str(schedule.get("assignmentType") or "").lower() == "assigned"
        and str(schedule.get("memberType") or "direct").lower() == "direct"
        and str(expiration.get("type") or "").lower() == "noexpiration"
    )


@check(
    metadata(
        id="privileged.no_permanent_active_assignments",
        title="Highly privileged roles have no permanent active assignments",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(SCHEDULES,),
        rationale=(
            "A permanent active assignment gives standing privilege that an attacker can use the moment "
            "the account is compromised. With PIM, people are eligible and activate just in time, with "
            "MFA, justification and approval. Emergency-access accounts are the accepted exception: "
            "users excluded from every enabled all-users Conditional Access policy (when that source was "
            "collected) are treated as such and counted, not listed. Group assignments are left out "
            "because a PIM-managed group is also acceptable."
        ),
        remediation=steps(
            "Entra admin center > ID Governance > Privileged Identity Management > Microsoft Entra roles "
            "> Roles, open each listed role.",
            "For each permanent active user or app, add an Eligible assignment (users) or remove the role "
            "(apps that do not need it), then remove the permanent active assignment.",
            "In Role settings require MFA, justification and (for Global Administrator) approval on "
            "activation.",
        ),
        licence=ENTRA_P2,
        references=(PIM_DOCS,),
    )
)
def no_permanent_active_assignments(snapshot: TenantSnapshot) -> Outcome:
    roles = HIGHLY_PRIVILEGED_ROLES | TENANT_TAKEOVER_ROLES
    directory = users_by_id(snapshot) if snapshot.has("users") else {}
    emergency = _emergency_accounts(snapshot)
    offending: list[dict[str, Any]] = []
    groups = 0
    accepted = 0
    for schedule in snapshot.get(SCHEDULES) or []:
        role = folded(schedule.get("roleDefinitionId"))
        if role not in roles or not _is_permanent_active(schedule):
            continue
        if not tenant_wide(schedule):
            continue
        kind = principal_kind(schedule)
        if kind == "group":
            groups += 1
            continue
        if folded(schedule.get("principalId")) in emergency:
            accepted += 1
            continue
        holder = Holder(schedule.get("principalId") or "", kind, schedule.get("principal") or {})
        holder.roles.add(role)
        holder.how.add("permanent active")
        offending.append(holder.evidence(directory))
    notes = []
    if accepted:
        notes.append(f"{plural(accepted, 'emergency-access assignment')} accepted")
    if groups:
        notes.append(f"{plural(groups, 'permanent group assignment')} not judged")
    if offending and not snapshot.has("conditional_access_policies"):
        notes.append("Conditional Access not collected, so emergency-access accounts were not recognised")
    group_note = f" ({'; '.join(notes)})" if notes else ""
    if not offending:
        return passed(f"No user or app holds a highly privileged role permanently active{group_note}.")
    return failed(
        f"{plural(len(offending), 'permanent active assignment')} to highly privileged roles"
        f"{group_note}.{shown(len(offending))}",
        capped(offending),
    )
