"""Emergency-access accounts and the licences administrators hold (CIS Microsoft 365 v5.0.0 1.1.2, 1.1.4).

Both start from who holds roles (`directory_roles.holders`, groups expanded). The emergency-access
check also reads Conditional Access (an optional source: a tenant without Entra ID P1 has no policies
to be excluded from) and the Global Administrators' registered sign-in methods (`admin_auth_methods`,
read per Global Administrator by core/collect/admin_methods.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks.ca_users import targets_all_users, users
from core.checks.directory_roles import ACTIVE, GROUP_MEMBERS, Holder, holders, scope_note
from core.checks.helpers import (
    capped,
    check,
    folded,
    folded_all,
    is_true,
    metadata,
    plural,
    steps,
    users_by_id,
)
from core.checks.licensing import SUBSCRIBED_SKUS
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, manual, passed
from core.checks.privileged import on_premises_anchor
from core.checks.well_known import ADMIN_ROLES, GLOBAL_ADMINISTRATOR

CATEGORY = "Privileged access"
METHODS = "admin_auth_methods"
CA = "conditional_access_policies"
# Methods an emergency account should sign in with: phishing-resistant, and independent of a phone or
# of the MFA service a regional outage might take down (Microsoft's emergency-access guidance,
# learn.microsoft.com/entra/identity/role-based-access-control/security-emergency-access).
STRONG_METHODS = {
    "#microsoft.graph.fido2authenticationmethod": "FIDO2 security key or passkey",
    "#microsoft.graph.x509certificateauthenticationmethod": "certificate",
}
EMERGENCY_DOCS = (
    "https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/security-emergency-access"
)


def _enabled_policies(snapshot: TenantSnapshot) -> list[Mapping[str, Any]] | None:
    """Enabled Conditional Access policies; [] when the tenant is not licensed for any (nothing to be
    excluded from); raises SourceMissing when they could not be read for another reason."""
    failure = snapshot.failures.get(CA)
    if failure is not None and failure.kind == "not_licensed":
        return None
    return [p for p in snapshot.get(CA) or [] if p.get("state") == "enabled"]


def _exclusion(user_id: str, policies: list[Mapping[str, Any]]) -> str:
    """'excluded' when every enabled policy that reaches a Global Administrator excludes the user by id,
    'unknown' when one only excludes groups (whose members are not read), else 'included'."""
    verdict = "excluded"
    for policy in policies:
        scope = users(policy)
        reaches = targets_all_users(policy) or user_id in folded_all(scope.get("includeUsers") or [])
        reaches = reaches or folded(GLOBAL_ADMINISTRATOR) in folded_all(scope.get("includeRoles") or [])
        if not reaches or user_id in folded_all(scope.get("excludeUsers") or []):
            continue
        if scope.get("excludeGroups"):
            verdict = "unknown"
            continue
        return "included"
    return verdict


def _candidate(holder: Holder, user: Mapping[str, Any], methods: list[Any]) -> list[str]:
    """Why this Global Administrator is not a sound emergency-access account ([] when it is)."""
    problems = []
    if "active" not in holder.how:
        problems.append("holds the role only as eligible")
    if not is_true(user.get("accountEnabled")):
        problems.append("disabled")
    if on_premises_anchor(user):
        problems.append("synchronised from on-premises")
    kinds = {folded(m.get("@odata.type")) for m in methods if isinstance(m, Mapping)}
    if not kinds & set(STRONG_METHODS):
        problems.append("no FIDO2 or certificate sign-in method")
    return problems


@check(
    metadata(
        id="entra.emergency_access_accounts",
        title="Two emergency-access Global Administrators are ready for use",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(ACTIVE, GROUP_MEMBERS, "users", METHODS),
        rationale=(
            "When MFA, federation or the only administrators are unavailable, an emergency-access "
            "(break-glass) account is the way back in; with one, a lost key locks the tenant out. CIS "
            "1.1.2 asks for two. Passes when at least two enabled, cloud-only users hold Global "
            "Administrator actively, are left out of every enabled Conditional Access policy that reaches "
            "them, and have a FIDO2 key, passkey or certificate registered. CIS audits these accounts by "
            "hand and asks more (no licences, an .onmicrosoft.com name, monitored sign-ins), which is not "
            "judged here; an exclusion through a group cannot be confirmed (its members are not read), "
            "so such accounts make the result manual rather than pass."
        ),
        remediation=steps(
            "Create two cloud-only users named user@<tenant>.onmicrosoft.com with long random passwords, "
            "assign them Global Administrator as permanent active, and give them no licences.",
            "Register a FIDO2 security key (kept in a safe) or a certificate for each "
            "(Entra ID > Users > the account > Authentication methods).",
            "Exclude both accounts from every Conditional Access policy (Entra ID > Conditional Access > "
            "each policy > Users > Exclude), and alert on any sign-in by them.",
        ),
        references=(EMERGENCY_DOCS,),
    )
)
def emergency_access_accounts(snapshot: TenantSnapshot) -> Outcome:
    found, with_eligible = holders(snapshot, {GLOBAL_ADMINISTRATOR})
    directory = users_by_id(snapshot)
    methods: Mapping[str, Any] = snapshot.get(METHODS) or {}
    policies = _enabled_policies(snapshot)
    ready: list[dict[str, Any]] = []
    unconfirmed: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for key, holder in sorted(found.items()):
        if holder.kind != "user":
            continue
        problems = _candidate(holder, directory.get(key, {}), list(methods.get(key) or []))
        exclusion = _exclusion(key, policies or [])
        if exclusion == "included":
            problems.append("subject to Conditional Access")
        entry = {**holder.evidence(directory), "problems": problems}
        if problems:
            others.append(entry)
        else:
            (unconfirmed if exclusion == "unknown" else ready).append(entry)
    note = " (the tenant has no Conditional Access licence)" if policies is None else ""
    if len(ready) >= 2:
        return passed(f"{plural(len(ready), 'emergency-access account')} ready{note}.", ready)
    if len(ready) + len(unconfirmed) >= 2:
        return manual(
            f"{plural(len(ready), 'emergency-access account')} confirmed and {len(unconfirmed)} more "
            "excluded "
            "from Conditional Access through a group: confirm the group holds only them.",
            ready + unconfirmed,
        )
    return failed(
        f"Only {plural(len(ready), 'Global Administrator')} would serve as emergency access (two needed)"
        f"{note}{scope_note(with_eligible)}.",
        capped(ready + unconfirmed + others),
    )


# Service plans that give an account a mailbox, Teams or SharePoint and OneDrive: what CIS 1.1.4 wants
# administrators to be without. Names as subscribedSkus lists them ("Product names and service plan
# identifiers for licensing", learn.microsoft.com/entra/identity/users/licensing-service-plan-reference).
# EXCHANGE_S_FOUNDATION is left out: it rides along in many non-mail subscriptions and gives no mailbox.
PRODUCTIVITY_PREFIXES = ("EXCHANGE_S_", "EXCHANGE_L_", "SHAREPOINT", "TEAMS")
NOT_PRODUCTIVITY = frozenset({"EXCHANGE_S_FOUNDATION"})


def _plans_by_sku(snapshot: TenantSnapshot) -> dict[str, list[Mapping[str, Any]]]:
    return {
        folded(sku.get("skuId")): list(sku.get("servicePlans") or [])
        for sku in snapshot.get(SUBSCRIBED_SKUS) or []
    }


def productivity_plans(
    user: Mapping[str, Any], plans_by_sku: Mapping[str, list[Mapping[str, Any]]]
) -> tuple[list[str], list[str]]:
    """The mail, Teams and SharePoint plans the user's licences switch on, and any sku ids not found."""
    plans, unknown = set(), []
    for licence in user.get("assignedLicenses") or []:
        sku = folded(licence.get("skuId"))
        if sku not in plans_by_sku:
            unknown.append(sku)
            continue
        disabled = folded_all(licence.get("disabledPlans") or [])
        for plan in plans_by_sku[sku]:
            name = str(plan.get("servicePlanName") or "").upper()
            if folded(plan.get("servicePlanId")) in disabled or name in NOT_PRODUCTIVITY:
                continue
            if name.startswith(PRODUCTIVITY_PREFIXES):
                plans.add(name)
    return sorted(plans), unknown


@check(
    metadata(
        id="entra.admins_unlicensed",
        title="Administrator accounts have no mailbox, Teams or SharePoint licence",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        # subscribed_skus is read too, undeclared: a licence refusal can never be confirmed against the
        # subscriptions themselves, so when they are unreadable the check is an error naming them.
        sources=(ACTIVE, GROUP_MEMBERS, "users"),
        rationale=(
            "An administrator account that also reads mail, chats in Teams and opens shared files meets "
            "phishing links and malicious attachments with its privileges. CIS 1.1.4 asks that "
            "administrative accounts hold no licence, or only one without such applications (Entra ID "
            "P1 or P2). Judged from each role holder's assignedLicenses: a licence counts by the plans it "
            "leaves switched on, so a suite with Exchange, Teams and SharePoint disabled passes."
        ),
        remediation=steps(
            "Give each listed person a separate, unlicensed account for daily work, or remove the mail, "
            "Teams and SharePoint plans from the administrator account.",
            "Microsoft 365 admin center > Users > Active users > the account > Licenses and apps: clear "
            "the licence, or untick Exchange Online, Microsoft Teams and SharePoint.",
            "Or with Graph: POST /users/{id}/assignLicense with removeLicenses [skuId] (PowerShell: "
            "Set-MgUserLicense -UserId <id> -AddLicenses @() -RemoveLicenses @('<skuId>')).",
        ),
        references=(
            "https://learn.microsoft.com/en-us/microsoft-365/enterprise/protect-your-global-administrator-accounts",
        ),
    )
)
def admins_unlicensed(snapshot: TenantSnapshot) -> Outcome:
    found, with_eligible = holders(snapshot, ADMIN_ROLES)
    directory = users_by_id(snapshot)
    plans_by_sku = _plans_by_sku(snapshot)
    licensed, unknown = [], []
    people = [(key, h) for key, h in sorted(found.items()) if h.kind == "user"]
    for key, holder in people:
        plans, missing = productivity_plans(directory.get(key, {}), plans_by_sku)
        if plans:
            licensed.append({**holder.evidence(directory), "plans": plans})
        elif missing:
            unknown.append({**holder.evidence(directory), "unknownSkus": missing})
    note = scope_note(with_eligible)
    if licensed:
        return failed(
            f"{plural(len(licensed), 'administrator account')} can use mail, Teams or SharePoint{note}.",
            capped(licensed),
        )
    if unknown:
        return manual(
            f"{plural(len(unknown), 'administrator')} hold licences not among the tenant's subscriptions; "
            "check them by hand.",
            capped(unknown),
        )
    return passed(
        f"None of the {plural(len(people), 'administrator account')} can use mail, Teams or SharePoint{note}."
    )


CHECKS = (emergency_access_accounts, admins_unlicensed)
