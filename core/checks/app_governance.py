"""Application governance: how apps may hold credentials, and what delegated access third parties hold.

App credential restrictions come from the tenant's default app management policy and its custom
app management policies (learn.microsoft.com/graph/api/resources/applicationauthenticationmethodpolicy).
The default policy carries two parallel restriction sets, `applicationRestrictions` (app
registrations) and `servicePrincipalRestrictions` (enterprise apps); a restriction counts only when it
is switched on and reaches every app, not only those created after a date. CISA's ScubaGear judges
SCuBA MS.AAD.5.5v1 to 5.7v1 the same way (cisagov/ScubaGear PowerShell/ScubaGear/Rego/AADConfig.rego).
Delegated grants are judged in `app_grants`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from core.checks.helpers import check, folded, is_true, metadata, steps
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, passed

CATEGORY = "Applications"
DEFAULT = "app_management_default"
CUSTOM = "app_management_policies"
SCOPES = {"applicationRestrictions": "app registrations", "servicePrincipalRestrictions": "enterprise apps"}
# .NET's DateTime.MinValue: "applies to every app, whatever its creation date". ScubaGear accepts both
# of its serialisations (AADConfig.rego ALL_APPS_DATES); Graph itself answers in ISO 8601.
ALL_APPS_DATES = frozenset({"0001-01-01t00:00:00z", "/date(-62135596800000)/"})
# Entra compares a lifetime with "less than", so a limit of 181 days enforces "180 days or less" and
# 366 days "365 days or less" (ScubaGear baselines/aad.md, MS.AAD.5.6v1 and 5.7v1 notes).
PASSWORD_MAX_DAYS = 181
CERTIFICATE_MAX_DAYS = 366
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T.*)?$", re.IGNORECASE)
POLICIES_DOCS = (
    "https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/tutorial-enforce-secret-standards"
)
GRAPH_DOCS = "https://learn.microsoft.com/en-us/graph/api/resources/tenantappmanagementpolicy"
PORTAL = "Entra admin center > Enterprise apps > Security > Application policies"
SHARED_RATIONALE = (
    " Counted only when the tenant default policy is enabled and the restriction is on for both app "
    "registrations and enterprise apps with no 'only apps created after' date; an enabled custom app "
    "management policy that switches the restriction off exempts the apps it is assigned to. "
    "Which apps a custom policy is assigned to is not read, so any enabled custom policy that loosens "
    "the restriction is reported (ScubaGear reports it only when it is assigned to an app)."
)


def duration_days(value: object) -> float | None:
    """An ISO 8601 duration ("P180D", "P1Y") in days; None when it cannot be read."""
    match = _DURATION.match(str(value or ""))
    if match is None or not any(match.groups()[:4]):
        return None
    years, months, weeks, days = (int(part or 0) for part in match.groups()[:4])
    return years * 365 + months * 30 + weeks * 7 + days


def _is_on(restriction: Mapping[str, Any]) -> bool:
    # `state` arrived after the restriction lists; a restriction listed without it is enforced.
    return "state" not in restriction or folded(restriction.get("state")) == "enabled"


def _reaches_all_apps(restriction: Mapping[str, Any]) -> bool:
    when = restriction.get("restrictForAppsCreatedAfterDateTime")
    return when is None or folded(when) in ALL_APPS_DATES


def _restrictions(config: Any, kind: str, restriction_type: str) -> list[Mapping[str, Any]]:
    rows = (config or {}).get(kind) or [] if isinstance(config, Mapping) else []
    return [
        r
        for r in rows
        if isinstance(r, Mapping) and folded(r.get("restrictionType")) == folded(restriction_type)
    ]


def default_gaps(
    policy: Mapping[str, Any], kind: str, restriction_type: str, max_days: int | None = None
) -> list[str]:
    """Why the default policy does not enforce `restriction_type` on every app, or [] when it does."""
    if not is_true(policy.get("isEnabled")):
        return ["the default app management policy is disabled"]
    gaps = []
    for scope, label in SCOPES.items():
        found = _restrictions(policy.get(scope), kind, restriction_type)
        if not found:
            gaps.append(f"not set for {label}")
            continue
        restriction = found[0]
        if not _is_on(restriction):
            gaps.append(f"switched off for {label}")
        elif not _reaches_all_apps(restriction):
            after = str(restriction.get("restrictForAppsCreatedAfterDateTime"))[:10]
            gaps.append(f"applies to {label} created after {after} only")
        elif max_days is not None:
            days = duration_days(restriction.get("maxLifetime"))
            if days is None or days > max_days:
                gaps.append(f"{label} allow {restriction.get('maxLifetime')} (at most {max_days} days)")
    return gaps


def custom_exemptions(
    policies: Iterable[Mapping[str, Any]], kind: str, restriction_type: str, max_days: int | None = None
) -> list[str]:
    """Enabled custom policies that switch the restriction off (or allow longer lifetimes)."""
    found = []
    for policy in policies:
        if not is_true(policy.get("isEnabled")):
            continue
        for restriction in _restrictions(policy.get("restrictions"), kind, restriction_type):
            days = duration_days(restriction.get("maxLifetime"))
            too_long = max_days is not None and (days is None or days > max_days)
            if not _is_on(restriction) or too_long:
                found.append(
                    f"custom policy '{policy.get('displayName') or policy.get('id')}' exempts its apps"
                )
    return found


def _judge(snapshot: TenantSnapshot, kind: str, restriction_type: str, max_days: int | None) -> list[str]:
    default = snapshot.get(DEFAULT) or {}
    return default_gaps(default, kind, restriction_type, max_days) + custom_exemptions(
        snapshot.get(CUSTOM) or [], kind, restriction_type, max_days
    )


def password_addition_blocked_everywhere(snapshot: TenantSnapshot) -> bool:
    return not _judge(snapshot, "passwordCredentials", "passwordAddition", None)


@check(
    metadata(
        id="apps.password_addition_blocked",
        title="Apps cannot be given client secrets",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(DEFAULT, CUSTOM),
        rationale=(
            "A client secret is a password an app signs in with; secrets end up in configuration files, "
            "scripts and tickets, and anyone who finds one signs in as the app. Blocking new secrets "
            "leaves certificates and federated credentials (SCuBA MS.AAD.5.5)." + SHARED_RATIONALE
        ),
        remediation=steps(
            f"{PORTAL} > Block password addition: set it On for All applications, and leave 'Only apply "
            "to apps created after' empty.",
            "Or with Graph: PATCH /policies/defaultAppManagementPolicy with isEnabled true and a "
            "passwordAddition restriction (state enabled, restrictForAppsCreatedAfterDateTime "
            "0001-01-01T00:00:00Z) under both applicationRestrictions and servicePrincipalRestrictions "
            "(PowerShell: Update-MgPolicyDefaultAppManagementPolicy -BodyParameter <policy>).",
            "Move apps that use secrets to certificates or workload identity federation first.",
        ),
        references=(POLICIES_DOCS, GRAPH_DOCS),
    )
)
def password_addition_blocked(snapshot: TenantSnapshot) -> Outcome:
    gaps = _judge(snapshot, "passwordCredentials", "passwordAddition", None)
    if gaps:
        return failed(f"Client secrets can still be added: {'; '.join(gaps)}.", gaps)
    return passed("Adding client secrets is blocked for every app registration and enterprise app.")


@check(
    metadata(
        id="apps.password_lifetime_limited",
        title="Client secrets expire within 180 days",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(DEFAULT, CUSTOM),
        rationale=(
            "A secret that lives for years gives whoever copies it years of access. SCuBA MS.AAD.5.6 "
            "limits secrets to 180 days (a 181-day limit in Entra, which compares with 'less than'); "
            "when secrets are blocked altogether the limit is moot and the check passes." + SHARED_RATIONALE
        ),
        remediation=steps(
            f"{PORTAL} > Restrict max password lifetime: On for All applications, 181 days, and leave "
            "'Only apply to apps created after' empty.",
            "Or with Graph: PATCH /policies/defaultAppManagementPolicy with a passwordLifetime restriction "
            "(maxLifetime P181D, state enabled, restrictForAppsCreatedAfterDateTime 0001-01-01T00:00:00Z) "
            "under applicationRestrictions and servicePrincipalRestrictions (PowerShell: "
            "Update-MgPolicyDefaultAppManagementPolicy -BodyParameter <policy>).",
        ),
        references=(POLICIES_DOCS, GRAPH_DOCS),
    )
)
def password_lifetime_limited(snapshot: TenantSnapshot) -> Outcome:
    if password_addition_blocked_everywhere(snapshot):
        return passed("Client secrets are blocked altogether, so no secret outlives the limit.")
    gaps = _judge(snapshot, "passwordCredentials", "passwordLifetime", PASSWORD_MAX_DAYS)
    if gaps:
        return failed(f"Client secret lifetime is not limited to 180 days: {'; '.join(gaps)}.", gaps)
    return passed("Client secrets of every app expire within 180 days.")


@check(
    metadata(
        id="apps.certificate_lifetime_limited",
        title="App certificates expire within a year",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(DEFAULT, CUSTOM),
        rationale=(
            "A certificate is a stronger credential than a secret, yet a stolen long-lived key keeps "
            "working until it expires. SCuBA MS.AAD.5.7 limits app certificates to 365 days (366 in "
            "Entra's 'less than' comparison)." + SHARED_RATIONALE
        ),
        remediation=steps(
            f"{PORTAL} > Restrict max certificate lifetime: On for All applications, 366 days, and leave "
            "'Only apply to apps created after' empty.",
            "Or with Graph: PATCH /policies/defaultAppManagementPolicy with an asymmetricKeyLifetime "
            "keyCredentials restriction (maxLifetime P366D, state enabled) under applicationRestrictions "
            "and servicePrincipalRestrictions (PowerShell: Update-MgPolicyDefaultAppManagementPolicy).",
        ),
        references=(POLICIES_DOCS, GRAPH_DOCS),
    )
)
def certificate_lifetime_limited(snapshot: TenantSnapshot) -> Outcome:
    gaps = _judge(snapshot, "keyCredentials", "asymmetricKeyLifetime", CERTIFICATE_MAX_DAYS)
    if gaps:
        return failed(f"App certificate lifetime is not limited to a year: {'; '.join(gaps)}.", gaps)
    return passed("Certificates of every app expire within 365 days.")


CHECKS = (password_addition_blocked, password_lifetime_limited, certificate_lifetime_limited)
