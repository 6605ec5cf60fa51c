"""Shared Conditional Access evaluation, so every CA-based check reads policies the same careful way.

Policies are read from Graph beta (GET /beta/identity/conditionalAccess/policies: v1.0 leaves out policies
that use beta-only features; see `core.collect.sources`). Only these properties are used, all of which
have the same shape in beta and v1.0: `state`, `displayName`, `conditions.{users, applications,
clientAppTypes, locations, platforms, devices.deviceFilter, userRiskLevels, signInRiskLevels,
servicePrincipalRiskLevels, authenticationFlows}` and `grantControls.{operator, builtInControls,
authenticationStrength, customAuthenticationFactors, termsOfUse}`. Anything else beta adds is ignored.

Rules applied here (and documented in the check rationales):
- Only `state == "enabled"` enforces; `enabledForReportingButNotEnforced` (report-only) never counts.
- "All users" means `includeUsers` contains "All" and no directory role or guest/external user type is
  excluded; excluded users and groups (emergency-access accounts) are tolerated but reported
  (`core.checks.ca_users`).
- "All resources" means `includeApplications` contains "All" and nothing is excluded.
- A policy narrowed by locations, platforms, device filters or risk levels does not count as a baseline
  for everyone: it leaves sign-ins outside those conditions unprotected.
- Grant controls combine with `operator`: under OR, any non-MFA alternative (compliant device, terms of
  use...) lets a user through without MFA, so the policy does not *require* MFA. An authentication
  strength counts as MFA only when every combination it allows is multifactor
  (`core.checks.ca_strengths`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from core.checks import ca_strengths
from core.checks.ca_users import scope_gap
from core.checks.helpers import folded_all
from core.checks.model import TenantSnapshot

Policy = Mapping[str, Any]

ENABLED = "enabled"
REPORT_ONLY = "enabledForReportingButNotEnforced"
LEGACY_CLIENT_TYPES = frozenset({"exchangeActiveSync", "other"})
SOURCE = "conditional_access_policies"
MFA_OPTIONAL = "grant lets users in without MFA (OR with a non-MFA control)"


def policies(snapshot: TenantSnapshot, *, judge_strengths: bool = True) -> list[Policy]:
    """The tenant's CA policies, each authentication strength carrying its allowed combinations.

    A strength given by id alone is completed from the tenant's strength policies; when those could not
    be read, `SourceMissing` names why and `run_check` makes the check `error`. Checks that never judge
    a strength (blocks, enabled policies) pass `judge_strengths=False` and are not held up by it."""
    resolved: list[Policy] = []
    for policy in snapshot.get(SOURCE) or []:
        strength = _strength(policy)
        if not judge_strengths or strength is None or not ca_strengths.needs_lookup(strength):
            resolved.append(policy)
            continue
        full = ca_strengths.lookup(snapshot, strength, str(policy.get("displayName")))
        grant = {**_grant(policy), "authenticationStrength": full}
        resolved.append({**policy, "grantControls": grant})
    return resolved


def policies_if_licensed(snapshot: TenantSnapshot, *, judge_strengths: bool = True) -> list[Policy] | None:
    """CA policies, or None when the tenant has no Conditional Access licence.

    Any other reason the source is missing (forbidden, unavailable) raises `SourceMissing` from
    `snapshot.get`, which `run_check` turns into `error` naming the reason."""
    failure = snapshot.failures.get(SOURCE)
    if not snapshot.has(SOURCE) and failure is not None and failure.kind == "not_licensed":
        return None
    return policies(snapshot, judge_strengths=judge_strengths)


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


def targets_all_apps(policy: Policy) -> bool:
    apps = _conditions(policy).get("applications") or {}
    included = folded_all(_list(apps.get("includeApplications")))
    return "all" in included and not _list(apps.get("excludeApplications"))


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
    """The grant's built-in controls, folded ("mfa", "block", "passwordchange", ...)."""
    return set(folded_all(_list(_grant(policy).get("builtInControls"))))


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


def _multifactor_strength(policy: Policy) -> bool:
    strength = _strength(policy)
    return strength is not None and ca_strengths.is_multifactor(strength)


def requires_mfa(policy: Policy) -> bool:
    """True when every way through the policy includes multifactor authentication."""
    if blocks(policy):
        return False
    strong = _multifactor_strength(policy)
    if "mfa" not in _builtin(policy) and not strong:
        return False
    if _operator(policy) == "AND":
        return True
    # Under OR, a strength that one factor can meet is itself a way in without MFA.
    return (strong or _strength(policy) is None) and not _other_alternatives(policy, {"mfa"})


def mfa_gap(policy: Policy) -> str | None:
    """Why a policy's grant does not make MFA mandatory (None when it does)."""
    if requires_mfa(policy):
        return None
    strength = _strength(policy)
    if strength is not None and not ca_strengths.is_multifactor(strength):
        return ca_strengths.describe_weakness(strength)
    return MFA_OPTIONAL


def requires_phishing_resistant_mfa(policy: Policy) -> bool:
    if blocks(policy) or not ca_strengths.is_phishing_resistant(_strength(policy)):
        return False
    # Under OR, plain "mfa" or any other control is a weaker way through.
    return _operator(policy) == "AND" or not _other_alternatives(policy, set())


def requires_password_change_with_mfa(policy: Policy) -> bool:
    controls = _builtin(policy)
    has_mfa = "mfa" in controls or _multifactor_strength(policy)
    return "passwordchange" in controls and has_mfa and _operator(policy) == "AND"


def risk_levels(policy: Policy, kind: str) -> set[str]:
    return set(_list(_conditions(policy).get(kind)))


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
    users_gap = scope_gap(policy)
    if users_gap:
        return users_gap
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
