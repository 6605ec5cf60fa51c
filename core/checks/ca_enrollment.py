"""Conditional Access for Intune enrollment: a fresh sign-in with MFA every time a device is enrolled.

Which CIS and SCuBA controls this check covers is data in core/frameworks/*.json (see
docs/frameworks.md). Policies are judged through `core.checks.conditional_access` and the session
reader in `core.checks.ca_session`. "Microsoft Intune Enrollment" is the first-party application
d4ebce55-015a-49b5-a083-c84d1797ae8c (the id CIS names, and the one a tenant must create a service
principal for when the app is missing from its resource picker).
"""

from __future__ import annotations

from typing import Any

from core.checks import ca_users
from core.checks import conditional_access as ca
from core.checks.ca_session import frequency_hours
from core.checks.helpers import capped, check, folded_all, metadata, plural, shown, steps, verb
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, passed
from core.checks.well_known import ENTRA_P1

CA = ca.SOURCE
INTUNE_ENROLLMENT_APP = "d4ebce55-015a-49b5-a083-c84d1797ae8c"


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def targets_enrollment(policy: ca.Policy) -> bool:
    """The policy reaches Intune enrollment: it names the app, or covers all resources without
    excluding it."""
    apps = (policy.get("conditions") or {}).get("applications") or {}
    included = folded_all(_list(apps.get("includeApplications")))
    excluded = folded_all(_list(apps.get("excludeApplications")))
    return INTUNE_ENROLLMENT_APP not in excluded and bool(included & {INTUNE_ENROLLMENT_APP, "all"})


def enrollment_gap(policy: ca.Policy) -> str | None:
    if not ca.is_enforced(policy):
        return "report-only, not enforced" if ca.is_report_only(policy) else "disabled"
    scope = ca_users.scope_gap(policy)
    if scope:
        return scope
    if not ca.covers_all_client_apps(policy):
        return "applies only to some client app types"
    narrowed = ca.narrowing_conditions(policy)
    if narrowed:
        return "limited by " + ", ".join(narrowed)
    if frequency_hours(policy) != 0:
        return "sign-in frequency is not 'Every time'"
    return ca.mfa_gap(policy)


@check(
    metadata(
        id="entra.intune_enrollment_reauth",
        title="Enrolling a device in Intune needs a fresh MFA sign-in every time",
        category="Identity",
        severity=Severity.MEDIUM,
        sources=(CA,),
        rationale=(
            "A device enrolled in Intune becomes compliant, and a compliant device satisfies device-based "
            "Conditional Access: with a stolen session, an attacker can enroll a device of their own and "
            "walk past those policies. Requires an enabled policy for all users on the Microsoft Intune "
            "Enrollment app (or all resources) whose grant requires MFA (or a multifactor authentication "
            "strength) with sign-in frequency 'Every time', without narrowing conditions. "
            + ca_users.EXCLUSION_RATIONALE
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Conditional Access > Policies > New policy.",
            "Users = All users (exclude emergency-access accounts); Target resources = Select resources > "
            "Microsoft Intune Enrollment (if it is missing, create its service principal: "
            f"New-MgServicePrincipal -AppId {INTUNE_ENROLLMENT_APP}).",
            "Grant = Require multifactor authentication (or an authentication strength); Session = "
            "Sign-in frequency > Every time.",
            "Or with Microsoft Graph PowerShell: New-MgIdentityConditionalAccessPolicy with "
            "sessionControls.signInFrequency = @{isEnabled=$true; frequencyInterval='everyTime'; "
            "authenticationType='primaryAndSecondaryAuthentication'}; then set Enable policy to On.",
        ),
        licence=ENTRA_P1,
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/conditional-access/concept-session-lifetime",
        ),
    )
)
def intune_enrollment_reauth(snapshot: TenantSnapshot) -> Outcome:
    policies = ca.policies(snapshot)
    aimed = [p for p in policies if targets_enrollment(p) and frequency_hours(p) is not None]
    for policy in aimed:
        if enrollment_gap(policy) is None:
            return passed(
                f"Conditional Access policy '{policy.get('displayName')}' requires MFA every time a device "
                f"is enrolled in Intune{ca_users.exclusion_note(policy)}."
            )
    near = [ca.describe(p, enrollment_gap(p)) for p in aimed]
    return failed(
        "No enabled Conditional Access policy requires MFA every time a device is enrolled in Intune "
        f"({plural(len(near), 'sign-in frequency policy', 'sign-in frequency policies')} "
        f"{verb(len(near), 'falls', 'fall')} short).{ca_users.exclusions_named(aimed)}{shown(len(near))}",
        capped(near),
    )


CHECKS = (intune_enrollment_reauth,)
