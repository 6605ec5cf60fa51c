"""Authentication methods policy and per-user registration state.

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md).

Shapes: GET /policies/authenticationMethodsPolicy (`policyMigrationState`,
`authenticationMethodConfigurations[]` with `id` and `state`; Microsoft Authenticator's
`isSoftwareOathEnabled` and `featureSettings.displayAppInformationRequiredState` /
`displayLocationInformationRequiredState`, each `{state, includeTarget: {id, targetType}}`) and
GET /reports/authenticationMethods/userRegistrationDetails (`userPrincipalName`, `userType`, `isAdmin`,
`isMfaCapable`, `isSystemPreferredAuthenticationMethodEnabled`). Registration checks also read `users`,
when collected, to leave out disabled accounts; the summary says whether that filter was applied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from core.checks.helpers import (
    capped,
    check,
    folded,
    is_false,
    is_true,
    metadata,
    plural,
    shown,
    steps,
    users_by_id,
)
from core.checks.model import Outcome, Severity, TenantSnapshot, error, failed, manual, passed
from core.checks.well_known import ENTRA_P1

CATEGORY = "Authentication methods"
POLICY = "authentication_methods_policy"
REGISTRATION = "user_registration_details"
WEAK_METHODS = {"sms": "SMS", "voice": "Voice call", "email": "Email OTP"}  # folded configuration ids
# Documents isSoftwareOathEnabled: whether users may sign in with the one-time codes the Authenticator
# app generates.
AUTHENTICATOR_DOCS = (
    "https://learn.microsoft.com/graph/api/resources/microsoftauthenticatorauthenticationmethodconfiguration"
)
METHODS_DOCS = (
    "https://learn.microsoft.com/en-us/entra/identity/authentication/concept-authentication-methods-manage"
)


def _configurations(snapshot: TenantSnapshot) -> dict[str, Mapping[str, Any]]:
    policy = snapshot.get(POLICY) or {}
    return {
        folded(c.get("id")): c for c in policy.get("authenticationMethodConfigurations") or [] if c.get("id")
    }


@check(
    metadata(
        id="auth.weak_methods_disabled",
        title="SMS, voice call and email one-time passcode methods are disabled",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(POLICY,),
        rationale=(
            "SMS and voice codes can be intercepted (SIM swap, SS7) and phished; email OTP is only as strong "
            "as the mailbox. With these disabled in the authentication methods policy, users register "
            "Authenticator, passkeys or other stronger methods."
        ),
        remediation=steps(
            "Make sure users have a stronger method registered (Authenticator, passkey / FIDO2).",
            "Entra admin center > Entra ID > Authentication methods > Policies.",
            "Open SMS, Voice call and Email OTP in turn, set Enable to off and select Save.",
        ),
        references=(METHODS_DOCS,),
    )
)
def weak_methods_disabled(snapshot: TenantSnapshot) -> Outcome:
    configurations = _configurations(snapshot)
    enabled = [
        {
            "method": label,
            "id": configurations[method_id].get("id"),
            "state": configurations[method_id].get("state"),
        }
        for method_id, label in WEAK_METHODS.items()
        if method_id in configurations and configurations[method_id].get("state") == "enabled"
    ]
    if not enabled:
        return passed("SMS, voice call and email OTP are disabled in the authentication methods policy.")
    names = ", ".join(str(entry["method"]) for entry in enabled)
    return failed(f"{plural(len(enabled), 'weak authentication method')} enabled: {names}.", enabled)


@check(
    metadata(
        id="auth.authenticator_context_shown",
        title="Microsoft Authenticator shows sign-in context and does not offer OTP codes",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(POLICY,),
        rationale=(
            "MFA-fatigue attacks rely on users approving prompts they did not start. Number matching is "
            "now always on; showing the requesting application and sign-in location must be explicitly "
            "enabled for all users ('Microsoft managed' does not count). The one-time codes the app can "
            "also show carry no context at all and can be phished like any code, so they must be off "
            "(isSoftwareOathEnabled false). Met without further settings when Authenticator is disabled."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Authentication methods > Policies > Microsoft Authenticator.",
            "Open the Configure tab.",
            "Set 'Allow use of Microsoft Authenticator OTP' to No.",
            "Set 'Show application name in push and passwordless notifications' to Enabled, "
            "target All users.",
            "Set 'Show geographic location in push and passwordless notifications' to Enabled, "
            "target All users.",
            "Select Save.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/authentication/how-to-mfa-additional-context",
            AUTHENTICATOR_DOCS,
        ),
    )
)
def authenticator_context_shown(snapshot: TenantSnapshot) -> Outcome:
    authenticator = _configurations(snapshot).get("microsoftauthenticator")
    if authenticator is None:
        return error("The authentication methods policy has no Microsoft Authenticator configuration.")
    if authenticator.get("state") != "enabled":
        return passed("Microsoft Authenticator is disabled, so it shows no prompts and no one-time codes.")
    gaps = _context_gaps(authenticator.get("featureSettings") or {})
    # SCuBA MS.AAD.3.3v2 (ScubaGear AADConfig.rego) requires the OTP switch to be false, not merely
    # unset, so a missing value is a gap as well.
    if authenticator.get("isSoftwareOathEnabled") is not False:
        gaps.append({"setting": "isSoftwareOathEnabled", "value": authenticator.get("isSoftwareOathEnabled")})
    if not gaps:
        return passed(
            "Authenticator shows application name and location to all users and offers no OTP codes."
        )
    return failed(f"{plural(len(gaps), 'Authenticator setting')} weaker than required.", gaps)


def _context_gaps(features: Mapping[str, Any]) -> list[dict[str, Any]]:
    gaps = []
    for setting in ("displayAppInformationRequiredState", "displayLocationInformationRequiredState"):
        feature = features.get(setting) or {}
        target = (feature.get("includeTarget") or {}).get("id")
        if feature.get("state") != "enabled" or folded(target) != "all_users":
            gaps.append({"setting": setting, "state": feature.get("state"), "includeTarget": target})
    return gaps


@check(
    metadata(
        id="auth.methods_migration_complete",
        title="Authentication methods policy migration is complete",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(POLICY,),
        rationale=(
            "Until migration is complete, the legacy per-user MFA and SSPR method settings still apply "
            "alongside the authentication methods policy, so a method disabled in one place can remain "
            "usable through the other."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Authentication methods > Policies > Manage migration.",
            "Reproduce any methods still enabled in the legacy MFA and SSPR settings in the policy.",
            "Set Manage migration to Migration Complete and select Save.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/authentication/how-to-authentication-methods-manage",
        ),
    )
)
def methods_migration_complete(snapshot: TenantSnapshot) -> Outcome:
    state = (snapshot.get(POLICY) or {}).get("policyMigrationState")
    if state == "migrationComplete":
        return passed("The authentication methods policy migration is complete.")
    if state is None:
        return manual(
            "The policy did not report policyMigrationState; check Manage migration in the admin center."
        )
    return failed(
        f"Authentication methods policy migration is '{state}', not complete.",
        [{"policyMigrationState": state}],
    )


def _registrations(
    snapshot: TenantSnapshot, keep: Callable[[Mapping[str, Any]], bool]
) -> tuple[list[Mapping[str, Any]], str]:
    """Registration records matching `keep`, without disabled accounts when `users` was collected."""
    records = [r for r in snapshot.get(REGISTRATION) or [] if keep(r)]
    if not snapshot.has("users"):
        return records, " (users list unavailable, so disabled accounts may be included)"
    directory = users_by_id(snapshot)
    enabled = [
        r for r in records if not is_false(directory.get(folded(r.get("id")), {}).get("accountEnabled"))
    ]
    return enabled, ""


def _ref(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"userPrincipalName": record.get("userPrincipalName"), "id": record.get("id")}


def _is_member(record: Mapping[str, Any]) -> bool:
    return str(record.get("userType") or "").lower() == "member"


@check(
    metadata(
        id="auth.users_mfa_capable",
        title="All member users are MFA capable",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(REGISTRATION,),
        rationale=(
            "A user with no strong method registered cannot be challenged for MFA, and whoever signs in "
            "first with the password can register their own. Every enabled member user should be MFA "
            "capable (registered with a method the policy allows)."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Authentication methods > User registration details: filter "
            "'Multifactor authentication capable' = Not capable.",
            "Ask each listed user to register at https://aka.ms/mysecurityinfo, or issue a Temporary "
            "Access Pass for onboarding.",
            "Enable the registration campaign (Authentication methods > Registration campaign) to nudge "
            "users at sign-in.",
        ),
        licence=ENTRA_P1,
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/authentication/howto-authentication-methods-activity",
        ),
    )
)
def users_mfa_capable(snapshot: TenantSnapshot) -> Outcome:
    members, note = _registrations(snapshot, _is_member)
    lacking = [_ref(r) for r in members if not is_true(r.get("isMfaCapable"))]
    if not lacking:
        return passed(f"All {plural(len(members), 'member user')} are MFA capable{note}.")
    return failed(
        f"{plural(len(lacking), 'member user')} of {len(members)} not MFA capable{note}."
        f"{shown(len(lacking))}",
        capped(lacking),
    )


@check(
    metadata(
        id="auth.admins_mfa_capable",
        title="All administrators have MFA registered",
        category=CATEGORY,
        severity=Severity.CRITICAL,
        sources=(REGISTRATION,),
        rationale=(
            "An administrator without a registered strong method is one password away from a full tenant "
            "compromise, whatever the MFA policies say. Uses the report's isAdmin and isMfaCapable flags."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Authentication methods > User registration details: filter "
            "Admin = Yes and 'Multifactor authentication capable' = Not capable.",
            "Have each listed administrator register a phishing-resistant method (passkey / FIDO2 key) at "
            "https://aka.ms/mysecurityinfo, using a Temporary Access Pass if needed.",
            "Remove administrator roles from accounts that cannot register.",
        ),
        licence=ENTRA_P1,
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/authentication/howto-authentication-methods-activity",
        ),
    )
)
def admins_mfa_capable(snapshot: TenantSnapshot) -> Outcome:
    admins, note = _registrations(snapshot, lambda r: is_true(r.get("isAdmin")))
    lacking = [_ref(r) for r in admins if not is_true(r.get("isMfaCapable"))]
    if not lacking:
        return passed(f"All {plural(len(admins), 'administrator')} are MFA capable{note}.")
    return failed(
        f"{plural(len(lacking), 'administrator')} of {len(admins)} not MFA capable{note}.", capped(lacking)
    )


@check(
    metadata(
        id="auth.system_preferred_mfa",
        title="System-preferred multifactor authentication is enabled",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(REGISTRATION,),
        rationale=(
            "System-preferred MFA prompts each user for the strongest method they have registered instead "
            "of a weaker default such as SMS. Evaluated from each member's "
            "isSystemPreferredAuthenticationMethodEnabled flag, which reflects the tenant setting and its "
            "targeting."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Authentication methods > Settings.",
            "Under System-preferred multifactor authentication set State = Enabled, Include = All users.",
            "Select Save.",
        ),
        licence=ENTRA_P1,
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/authentication/concept-system-preferred-multifactor-authentication",
        ),
    )
)
def system_preferred_mfa(snapshot: TenantSnapshot) -> Outcome:
    members, note = _registrations(snapshot, _is_member)
    off = [_ref(r) for r in members if not is_true(r.get("isSystemPreferredAuthenticationMethodEnabled"))]
    if not off:
        return passed(f"System-preferred MFA applies to all {plural(len(members), 'member user')}{note}.")
    scope = "all" if len(off) == len(members) else f"{len(off)} of {len(members)}"
    return failed(
        f"System-preferred MFA is off for {scope} member users{note}.{shown(len(off))}",
        capped(off),
    )


CHECKS = (
    weak_methods_disabled,
    authenticator_context_shown,
    methods_migration_complete,
    users_mfa_capable,
    admins_mfa_capable,
    system_preferred_mfa,
)
