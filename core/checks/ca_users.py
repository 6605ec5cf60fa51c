"""Who a Conditional Access policy applies to: "All users", and the exclusions that narrow it.

Graph's `conditionalAccessUsers`: `includeUsers` may hold "All"; `excludeUsers` holds user ids and, in
policies made before guest types could be chosen, the value "GuestsOrExternalUsers"; `excludeGroups`;
`excludeRoles` (directory role template ids); `excludeGuestsOrExternalUsers`
(`{guestOrExternalUserTypes: "b2bCollaborationGuest,internalGuest", externalTenants: {...}}`, null when
no guest type is excluded).

How exclusions are judged, and why:
- Excluded users and groups are tolerated and counted in the result, because CIS asks tenants to keep
  emergency-access (break-glass) accounts out of Conditional Access. CISA's ScubaGear judges this
  differently: it fails a policy with any excluded user or group its configuration file does not list.
- An excluded directory role or guest/external user type means the policy does not cover all users:
  everyone holding that role, or every guest of that type, signs in without the control. ScubaGear
  rejects these as well (any excluded role; guest types unless its configuration allows them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.checks.helpers import folded, folded_all
from core.checks.well_known import role_name

Policy = Mapping[str, Any]

GUESTS_VALUE = "GuestsOrExternalUsers"  # the older way of excluding every guest in excludeUsers
EXCLUSION_RATIONALE = (
    "Excluded users and groups are accepted (CIS expects emergency-access accounts to be excluded) and "
    "counted in the result, where CISA's ScubaGear fails any exclusion its configuration does not list; a "
    "policy that excludes a directory role or guest or external user types does not cover all users."
)


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def users(policy: Policy) -> Mapping[str, Any]:
    return (policy.get("conditions") or {}).get("users") or {}


def targets_all_users(policy: Policy) -> bool:
    return "all" in folded_all(_list(users(policy).get("includeUsers")))


def excluded_roles(policy: Policy) -> list[str]:
    return [str(role) for role in _list(users(policy).get("excludeRoles"))]


def excluded_guest_types(policy: Policy) -> list[str]:
    """The guest or external user types left out, as Graph names them ("all" for every type)."""
    scope = users(policy)
    if folded(GUESTS_VALUE) in folded_all(_list(scope.get("excludeUsers"))):
        return ["all"]
    guests = scope.get("excludeGuestsOrExternalUsers")
    if not isinstance(guests, Mapping):
        return []
    raw = guests.get("guestOrExternalUserTypes")
    # Documented as a comma-separated string of flags; a list is accepted in case a client splits it.
    parts = raw if isinstance(raw, list) else str(raw or "").split(",")
    return [str(part).strip() for part in parts if str(part).strip() and str(part).strip() != "none"]


def excluded_principals(policy: Policy) -> int:
    scope = users(policy)
    excluded_users = [u for u in _list(scope.get("excludeUsers")) if folded(u) != folded(GUESTS_VALUE)]
    return len(excluded_users) + len(_list(scope.get("excludeGroups")))


def exclusion_gap(policy: Policy) -> str | None:
    """Why an all-users policy still leaves people out (role or guest exclusions), or None."""
    parts = []
    roles = excluded_roles(policy)
    if roles:
        names = ", ".join(role_name(role) for role in roles)
        parts.append(f"the {names} role" if len(roles) == 1 else f"the {names} roles")
    guests = excluded_guest_types(policy)
    if guests == ["all"]:
        parts.append("all guest and external users")
    elif guests:
        parts.append(f"guest or external users ({', '.join(guests)})")
    return "excludes " + " and ".join(parts) if parts else None


def scope_gap(policy: Policy) -> str | None:
    """Why a policy does not cover every user, or None when it does (user/group exclusions aside)."""
    if not targets_all_users(policy):
        return "does not target all users"
    return exclusion_gap(policy)


def covers_role(policy: Policy, role_template_id: str) -> bool:
    scope = users(policy)
    role = folded(role_template_id)
    if role in folded_all(_list(scope.get("excludeRoles"))):
        return False
    return targets_all_users(policy) or role in folded_all(_list(scope.get("includeRoles")))


def emergency_access_accounts(policies: Iterable[Policy]) -> set[str]:
    """Users excluded from every enabled all-users policy: how Microsoft tells tenants to set up
    emergency-access (break-glass) accounts, so their standing access can be recognised."""
    tenant_wide = [p for p in policies if p.get("state") == "enabled" and targets_all_users(p)]
    if not tenant_wide:
        return set()
    excluded = [set(_list(users(p).get("excludeUsers"))) - {GUESTS_VALUE} for p in tenant_wide]
    return set.intersection(*excluded)


def exclusion_note(policy: Policy) -> str:
    count = excluded_principals(policy)
    if not count:
        return ""
    noun = "exclusion" if count == 1 else "exclusions"
    return f" ({count} user/group {noun}: confirm they are emergency-access accounts)"


def exclusions_named(policies: Iterable[Policy]) -> str:
    """A sentence for a finding's summary naming what enabled all-users policies leave out."""
    named = []
    for policy in policies:
        if policy.get("state") != "enabled" or not targets_all_users(policy):
            continue
        gap = exclusion_gap(policy)
        if gap:
            named.append(f"'{policy.get('displayName')}' {gap}")
    return f" {'; '.join(named)}." if named else ""
