"""Shared Conditional Access evaluation, so every CA-based check reads policies the same careful way.

Policies arrive as Graph v1.0 `conditionalAccessPolicy` objects (GET /identity/conditionalAccess/policies):
`state`, `conditions.{users,applications,clientAppTypes,locations,platforms,devices,userRiskLevels,
signInRiskLevels,authenticationFlows}` and `grantControls.{operator,builtInControls,
authenticationStrength,customAuthenticationFactors,termsOfUse}`.

Rules applied here (and documented in the check rationales):
- Only `state == "enabled"` enforces; `enabledForReportingButNotEnforced` (report-only) never counts.
- "All users" means `includeUsers` contains "All". User and group exclusions (emergency-access accounts)
  are tolerated but reported; role exclusions remove those roles from coverage.
- "All resources" means `includeApplications` contains "All" and nothing is excluded.
- A policy narrowed by locations, platforms, device filters or risk levels does not count as a baseline
  for everyone: it leaves sign-ins outside those conditions unprotected.
- Grant controls combine with `operator`: under OR, any non-MFA alternative (compliant device, terms of
  use...) lets a user through without MFA, so the policy does not *require* MFA.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from core.checks.model import TenantSnapshot
from core.checks.well_known import PHISHING_RESISTANT_COMBINATIONS, PHISHING_RESISTANT_STRENGTH

Policy = Mapping[str, Any]

ENABLED = "enabled"
REPORT_ONLY = "enabledForReportingButNotEnforced"
LEGACY_CLIENT_TYPES = frozenset({"exchangeActiveSync", "other"})
SOURCE = "conditional_access_policies"


def policies_if_licensed(snapshot: TenantSnapshot) -> list[Policy] | None:
    """CA policies, or None when the tenant has no Conditional Access licence.

    Any other reason the source is missing (forbidden, unavailable) raises `SourceMissing` from
    `snapshot.get`, which `run_check` turns into `error` naming the reason."""
    failure = snapshot.failures.get(SOURCE)
    if not snapshot.has(SOURCE) and failure is not None and failure.kind == "not_licensed":
        return None
    return list(snapshot.get(SOURCE) or [])


def _conditions(policy: Policy) -> Mapping[str, Any]:
    return policy.get("conditions") or {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def is_enforced(policy: Policy) -> bool:
    return policy.get("state") == ENABLED


def is_report_only(policy: Policy) -> bool:
    return policy.get("state") == REPORT_ONLY


def enforced(policies: Iterable[Policy]) -> list[Policy]:
    return [policy for policy in policies if is_enforced(policy)]


def users(policy: Policy) -> Mapping[str, Any]:
    return _conditions(policy).get("users") or {}


def targets_all_users(policy: Policy) -> bool:
    return "All" in _list(users(policy).get("includeUsers"))


def excluded_principals(policy: Policy) -> int:
    scope = users(policy)
    return len(_list(scope.get("excludeUsers"))) + len(_list(scope.get("excludeGroups")))


def covers_role(policy: Policy, role_template_id: str) -> bool:
    scope = users(policy)
    if role_template_id in _list(scope.get("excludeRoles")):
        return False
    return targets_all_users(policy) or role_template_id in _list(scope.get("includeRoles"))


def targets_all_apps(policy: Policy) -> bool:
    apps = _conditions(policy).get("applications") or {}
    return "All" in _list(apps.get("includeApplications")) and not _list(apps.get("excludeApplications"))


def client_app_types(policy: Policy) -> set[str]:
    # Graph reports an unconfigured condition as ["all"]; treat a missing value the same way.
    return set(_list(_conditions(policy).get("clientAppTypes"))) or {"all"}


def covers_all_client_apps(policy: Policy) -> bool:
    return "all" in client_app_types(policy)


def covers_legacy_clients(policy: Policy) -> bool:
    types = client_app_types(policy)
    return "all" in types or types >= LEGACY_CLIENT_TYPES


def transfer_methods(policy: Policy) -> set[str]:
    flows = _conditions(policy).get("authenticationFlows") or {}
    raw = flows.get("transferMethods") or ""
    return {part.strip() for part in str(raw).split(",") if part.strip()}


def narrowing_conditions(policy: Policy, ignore: Sequence[str] = ()) -> list[str]:
    """Conditions that limit a policy to some sign-ins; empty when it applies to every sign-in."""
    conditions = _conditions(policy)
    found: list[str] = []
    locations = conditions.get("locations") or {}
    if _list(locations.get("excludeLocations")) or (
        _list(locations.get("includeLocations")) and _list(locations.get("includeLocations")) != ["All"]
    ):
        found.append("locations")
    platforms = conditions.get("platforms") or {}
    if _list(platforms.get("excludePlatforms")) or (
        _list(platforms.get("includePlatforms")) and "all" not in _list(platforms.get("includePlatforms"))
    ):
        found.append("platforms")
    devices = conditions.get("devices") or {}
    if (devices.get("deviceFilter") or {}).get("rule"):
        found.append("device filter")
    for risk in ("userRiskLevels", "signInRiskLevels", "servicePrincipalRiskLevels"):
        if _list(conditions.get(risk)):
            found.append(risk)
    if transfer_methods(policy):
        found.append("authenticationFlows")
    return [name for name in found if name not in ignore]


def _grant(policy: Policy) -> Mapping[str, Any]:
    return policy.get("grantControls") or {}


def _builtin(policy: Policy) -> set[str]:
    return set(_list(_grant(policy).get("builtInControls")))


def _operator(policy: Policy) -> str:
    return str(_grant(policy).get("operator") or "OR").upper()


def _strength(policy: Policy) -> Mapping[str, Any] | None:
    strength = _grant(policy).get("authenticationStrength")
    return strength if isinstance(strength, Mapping) and strength else None


def _other_alternatives(policy: Policy, mfa_controls: set[str]) -> bool:
    grant = _grant(policy)
    others = _builtin(policy) - mfa_controls
    return bool(others or _list(grant.get("customAuthenticationFactors")) or _list(grant.get("termsOfUse")))


def blocks(policy: Policy) -> bool:
    return "block" in _builtin(policy)


def mentions_mfa(policy: Policy) -> bool:
    """The policy asks for MFA somewhere in its grant, whether or not that makes MFA mandatory."""
    return "mfa" in _builtin(policy) or _strength(policy) is not None


def is_risk_scoped(policy: Policy) -> bool:
    conditions = _conditions(policy)
    return any(_list(conditions.get(kind)) for kind in ("userRiskLevels", "signInRiskLevels"))


def targets_legacy_clients(policy: Policy) -> bool:
    return bool(set(_list(_conditions(policy).get("clientAppTypes"))) & LEGACY_CLIENT_TYPES)


def requires_mfa(policy: Policy) -> bool:
    """True when every way through the policy includes multifactor authentication."""
    if blocks(policy):
        return False
    if "mfa" not in _builtin(policy) and _strength(policy) is None:
        return False
    return _operator(policy) == "AND" or not _other_alternatives(policy, {"mfa"})


def strength_is_phishing_resistant(strength: Mapping[str, Any] | None) -> bool:
    if not strength:
        return False
    if strength.get("id") == PHISHING_RESISTANT_STRENGTH:
        return True
    combinations = _list(strength.get("allowedCombinations"))
    return bool(combinations) and all(combo in PHISHING_RESISTANT_COMBINATIONS for combo in combinations)


def requires_phishing_resistant_mfa(policy: Policy) -> bool:
    if blocks(policy) or not strength_is_phishing_resistant(_strength(policy)):
        return False
    # Under OR, plain "mfa" or any other control is a weaker way through.
    return _operator(policy) == "AND" or not _other_alternatives(policy, set())


def requires_password_change_with_mfa(policy: Policy) -> bool:
    controls = _builtin(policy)
    has_mfa = "mfa" in controls or _strength(policy) is not None
    return "passwordChange" in controls and has_mfa and _operator(policy) == "AND"


def risk_levels(policy: Policy, kind: str) -> set[str]:
    return set(_list(_conditions(policy).get(kind)))


def emergency_access_accounts(policies: Iterable[Policy]) -> set[str]:
    """Users excluded from every enabled all-users policy: how Microsoft tells tenants to set up
    emergency-access (break-glass) accounts, so their standing access can be recognised."""
    tenant_wide = [p for p in policies if is_enforced(p) and targets_all_users(p)]
    if not tenant_wide:
        return set()
    excluded = [set(_list(users(p).get("excludeUsers"))) for p in tenant_wide]
    return set.intersection(*excluded)


def describe(policy: Policy, gap: str | None = None) -> dict[str, Any]:
    """Evidence entry naming a policy (and, for near misses, why it does not count)."""
    entry: dict[str, Any] = {
        "id": policy.get("id"),
        "displayName": policy.get("displayName"),
        "state": policy.get("state"),
    }
    if gap:
        entry["gap"] = gap
    return entry


def baseline_gap(policy: Policy, *, legacy: bool = False, ignore: Sequence[str] = ()) -> str | None:
    """Why a policy is not a tenant-wide control for all users and resources (None if it is)."""
    if not is_enforced(policy):
        return "report-only, not enforced" if is_report_only(policy) else "disabled"
    if not targets_all_users(policy):
        return "does not target all users"
    if not targets_all_apps(policy):
        return "does not target all resources (or excludes some)"
    if legacy and not covers_legacy_clients(policy):
        return "does not cover legacy clients (Exchange ActiveSync and other clients)"
    if not legacy and not covers_all_client_apps(policy):
        return "applies only to some client app types"
    narrowed = narrowing_conditions(policy, ignore)
    if narrowed:
        return "limited by " + ", ".join(narrowed)
    return None


def exclusion_note(policy: Policy) -> str:
    count = excluded_principals(policy)
    if not count:
        return ""
    noun = "exclusion" if count == 1 else "exclusions"
    return f" ({count} user/group {noun}: confirm they are emergency-access accounts)"
