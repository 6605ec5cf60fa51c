"""Password policy: expiry, custom banned passwords, smart lockout and per-user strong-password opt-outs.

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md).

Shapes: /domains (`id`, `isVerified`, `isRoot`, `authenticationType`, `passwordValidityPeriodInDays`,
where 2147483647 means never; how unset values and subdomains resolve is in `password_expiry`);
/organization (`createdDateTime`); /groupSettings objects (`templateId`,
`values[{name, value}]`, values are strings); users' `passwordPolicies` (e.g. "DisablePasswordExpiration,
DisableStrongPassword").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks.helpers import (
    capped,
    check,
    folded,
    has_service_plan,
    is_true,
    metadata,
    plural,
    shown,
    steps,
    user_ref,
)
from core.checks.model import Outcome, Severity, TenantSnapshot, error, failed, manual, not_applicable, passed
from core.checks.password_expiry import ExpiryUnknown, default_note, effective_expiry
from core.checks.well_known import ENTRA_P1, PASSWORD_RULE_SETTINGS_TEMPLATE

CATEGORY = "Passwords"
SETTINGS = "directory_settings"
DEFAULT_LOCKOUT_THRESHOLD = 10
PROTECTION_DOCS = "https://learn.microsoft.com/en-us/entra/identity/authentication/concept-password-ban-bad"


def password_rule_values(snapshot: TenantSnapshot) -> dict[str, str] | None:
    """The 'Password Rule Settings' values, or None when the tenant never customised them."""
    for setting in snapshot.get(SETTINGS) or []:
        if folded(setting.get("templateId")) == PASSWORD_RULE_SETTINGS_TEMPLATE:
            return {str(v.get("name")): str(v.get("value") or "") for v in setting.get("values") or []}
    return None


@check(
    metadata(
        id="passwords.never_expire",
        title="Passwords are set to never expire",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=("domains",),
        rationale=(
            "Forced periodic changes push users to predictable patterns (Spring2025!) and add no "
            "protection against phishing; NIST, Microsoft and CISA all advise against expiry when MFA "
            "and banned-password checks are in place. Applies to verified cloud-managed domains; "
            "federated domains follow the on-premises policy, subdomains follow their root domain, and "
            "an unset value follows the tenant's default (90 days for tenants created before 2021, "
            "never for newer ones), read from the organization's creation date."
        ),
        remediation=steps(
            "Microsoft 365 admin center > Settings > Org settings > Security & privacy > Password "
            "expiration policy.",
            "Tick 'Set passwords to never expire (recommended)' and Save.",
            "Or per root domain: Update-MgDomain -DomainId <domain> -PasswordValidityPeriodInDays "
            "2147483647 (subdomains follow their root domain).",
        ),
        references=(
            "https://learn.microsoft.com/en-us/microsoft-365/admin/manage/set-password-expiration-policy",
            "https://learn.microsoft.com/en-us/entra/identity/authentication/concept-sspr-policy",
        ),
    )
)
def never_expire(snapshot: TenantSnapshot) -> Outcome:
    domains = list(snapshot.get("domains") or [])
    managed = [
        d
        for d in domains
        if is_true(d.get("isVerified")) and folded(d.get("authenticationType") or "Managed") == "managed"
    ]
    if not managed:
        return manual("No verified cloud-managed domain: password expiry is set by the federation provider.")
    try:
        expiring = [e for e in effective_expiry(snapshot, managed, domains) if e.days is not None]
        note = default_note(snapshot, expiring)
    except ExpiryUnknown as exc:
        return error(f"Password expiry cannot be determined: {exc}.")
    if not expiring:
        return passed(f"Passwords never expire on all {plural(len(managed), 'managed domain')}.")
    return failed(
        f"Passwords expire on {plural(len(expiring), 'managed domain')}{note}.",
        capped([e.evidence() for e in expiring]),
    )


@check(
    metadata(
        id="passwords.custom_banned_list",
        title="A custom banned password list is enforced",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(SETTINGS,),
        rationale=(
            "The global banned list stops common passwords, but not the organisation's own name, products, "
            "sites or sports teams that password sprayers try first. Requires 'Enforce custom list' on and "
            "a non-empty list. Not applicable without Entra ID P1 (read from subscriptions when collected)."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Authentication methods > Password protection.",
            "Set 'Enforce custom list' to Yes.",
            "Add the organisation's names, brands, products, locations and local terms to 'Custom banned "
            "password list' (up to 1,000 entries) and Save.",
        ),
        licence=ENTRA_P1,
        references=(PROTECTION_DOCS,),
    )
)
def custom_banned_list(snapshot: TenantSnapshot) -> Outcome:
    if has_service_plan(snapshot, ENTRA_P1) is False:
        return not_applicable("No Entra ID P1 (AAD_PREMIUM) service plan: custom banned passwords need P1.")
    values = password_rule_values(snapshot)
    if values is None:
        return failed(
            "Password protection was never configured: no custom banned password list is enforced.",
            [{"setting": "Password Rule Settings", "value": "absent"}],
        )
    enforced = values.get("EnableBannedPasswordCheck", "").lower() == "true"
    entries = [
        word for word in values.get("BannedPasswordList", "").replace("\t", ",").split(",") if word.strip()
    ]
    if enforced and entries:
        return passed(
            f"A custom banned password list of {plural(len(entries), 'entry', 'entries')} is enforced."
        )
    problem = "is not enforced" if not enforced else "is empty"
    return failed(
        f"The custom banned password list {problem}.",
        [{"EnableBannedPasswordCheck": values.get("EnableBannedPasswordCheck"), "entries": len(entries)}],
    )


@check(
    metadata(
        id="passwords.smart_lockout_threshold",
        title=f"Smart lockout locks accounts after at most {DEFAULT_LOCKOUT_THRESHOLD} failed sign-ins",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(SETTINGS,),
        rationale=(
            "Smart lockout slows password guessing against each account. Raising the threshold above "
            f"the default of {DEFAULT_LOCKOUT_THRESHOLD} gives attackers more guesses per lockout window. "
            "An unconfigured tenant uses the default and passes."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Authentication methods > Password protection.",
            f"Set 'Lockout threshold' to {DEFAULT_LOCKOUT_THRESHOLD} or lower (and keep 'Lockout duration "
            "in seconds' at 60 or more).",
            "Select Save.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/authentication/howto-password-smart-lockout",
        ),
    )
)
def smart_lockout_threshold(snapshot: TenantSnapshot) -> Outcome:
    values = password_rule_values(snapshot)
    raw = (values or {}).get("LockoutThreshold") or ""
    if not raw:
        return passed(
            f"Smart lockout uses the default threshold of {DEFAULT_LOCKOUT_THRESHOLD} failed sign-ins."
        )
    try:
        threshold = int(raw)
    except ValueError:
        return failed(
            f"Smart lockout threshold has an unreadable value '{raw}'.", [{"LockoutThreshold": raw}]
        )
    if threshold <= DEFAULT_LOCKOUT_THRESHOLD:
        return passed(f"Smart lockout locks accounts after {threshold} failed sign-ins.")
    return failed(
        f"Smart lockout allows {threshold} failed sign-ins before locking (at most "
        f"{DEFAULT_LOCKOUT_THRESHOLD} recommended).",
        [{"LockoutThreshold": threshold}],
    )


def _policies(user: Mapping[str, Any]) -> set[str]:
    return {p.strip() for p in str(user.get("passwordPolicies") or "").split(",") if p.strip()}


@check(
    metadata(
        id="passwords.strong_password_required",
        title="No users are exempt from password complexity",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=("users",),
        rationale=(
            "The DisableStrongPassword password policy lets a user set a short, simple password that "
            "ignores Entra ID's complexity rules; it is usually a leftover from a migration or a service "
            "account shortcut."
        ),
        remediation=steps(
            "For each listed user run (Microsoft Graph PowerShell): Update-MgUser -UserId <id> "
            "-PasswordPolicies 'None' (or 'DisablePasswordExpiration' if that flag is wanted).",
            "Reset the user's password so a compliant one is set.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/authentication/concept-password-policies",
        ),
    )
)
def strong_password_required(snapshot: TenantSnapshot) -> Outcome:
    exempt = [user_ref(u) for u in snapshot.get("users") or [] if "DisableStrongPassword" in _policies(u)]
    if not exempt:
        return passed("No user is exempt from password complexity.")
    return failed(
        f"{plural(len(exempt), 'user')} exempt from password complexity (DisableStrongPassword)."
        f"{shown(len(exempt))}",
        capped(exempt),
    )


CHECKS = (never_expire, custom_banned_list, smart_lockout_threshold, strong_password_required)
