"""User-account hygiene: inactive members and guests (signInActivity) and tenant creation by users.

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md).

Inactivity is measured from `snapshot.collected_at`, never the wall clock, and from the last
*successful* sign-in. `lastSignInDateTime` and `lastNonInteractiveSignInDateTime` record attempts,
failed ones included, so a dormant account under password spray would look active by them;
`lastSuccessfulSignInDateTime` records only sign-ins that worked (signInActivity resource type,
learn.microsoft.com/graph/api/resources/signinactivity). That property exists only since December 2023
and was not backfilled, so where it is empty the later of the other two stands in for it. An account
that never signed in is inactive once it is older than the threshold (`createdDateTime` from the
`users` source). Disabled accounts are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from core.checks.helpers import (
    capped,
    check,
    folded,
    is_false,
    iso,
    metadata,
    now_of,
    parse_time,
    plural,
    shown,
    steps,
    users_by_id,
)
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, passed
from core.checks.well_known import ENTRA_P1

CATEGORY = "Identity"
INACTIVE_DAYS = 90
SUCCESSFUL = "lastSuccessfulSignInDateTime"
ATTEMPTS = ("lastSignInDateTime", "lastNonInteractiveSignInDateTime")  # failed attempts count here too
SIGN_IN_DOCS = (
    "https://learn.microsoft.com/en-us/entra/identity/monitoring-health/howto-manage-inactive-user-accounts"
)


def last_sign_in(record: Mapping[str, Any]) -> tuple[datetime | None, str | None]:
    """The last successful sign-in and the field it was read from; the latest attempt only where
    Graph has no successful one on record (before December 2023, nothing was backfilled)."""
    activity = record.get("signInActivity") or {}
    successful = parse_time(activity.get(SUCCESSFUL))
    if successful:
        return successful, SUCCESSFUL
    attempts = [(moment, field) for field in ATTEMPTS if (moment := parse_time(activity.get(field)))]
    return max(attempts) if attempts else (None, None)


# One enabled account's row of the sign-in activity read: folded userType, id, last sign-in and
# the field it came from. A plain tuple: thousands are made per scan, after the last page.
_SignIns = tuple[str, Any, datetime | None, str | None]


def _enabled_sign_ins(records: Any) -> list[_SignIns]:
    # Read once per scan for both the member and the guest check: parsing the timestamps of
    # thousands of accounts was most of what evaluating after the last page cost.
    return [
        (str(record.get("userType") or "").lower(), record.get("id"), *last_sign_in(record))
        for record in records or []
        if not is_false(record.get("accountEnabled"))
    ]


def inactive_accounts(snapshot: TenantSnapshot, user_type: str) -> tuple[list[dict[str, Any]], int]:
    """Enabled accounts of `user_type` inactive for INACTIVE_DAYS, and how many enabled ones exist."""
    cutoff = now_of(snapshot) - timedelta(days=INACTIVE_DAYS)
    directory = users_by_id(snapshot)
    snapshot.get("user_sign_ins")  # unread sign-ins raise SourceMissing here
    accounts = snapshot.derived("enabled_sign_ins", "user_sign_ins", _enabled_sign_ins)
    wanted = user_type.lower()
    stale: list[dict[str, Any]] = []
    considered = 0
    for kind, account_id, last, field in accounts:
        if kind != wanted:
            continue
        considered += 1
        if last is not None and last >= cutoff:
            continue  # signed in lately: no need for the directory's creation date
        user = directory.get(folded(account_id), {})
        created = parse_time(user.get("createdDateTime"))
        reference = last or created
        if reference is None or reference >= cutoff:
            continue
        stale.append(
            {
                "userPrincipalName": user.get("userPrincipalName"),
                "id": account_id,
                "lastSignIn": iso(last),
                "lastSignInFrom": field,
                "createdDateTime": iso(created),
            }
        )
    stale.sort(key=lambda entry: entry["lastSignIn"] or "")
    return stale, considered


@check(
    metadata(
        id="entra.inactive_users",
        title=f"No enabled member accounts inactive for more than {INACTIVE_DAYS} days",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=("user_sign_ins", "users"),
        rationale=(
            "Dormant accounts belong to leavers or forgotten test and service identities; nobody notices "
            "when an attacker signs in to them. Enabled member accounts with no successful sign-in "
            f"(interactive or not) for {INACTIVE_DAYS} days, or never signed in and older than that, are "
            "listed. Failed attempts, such as a password spray, do not make an account active."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Users > All users: add the 'Last sign-in' columns and review "
            "each listed account with its owner or manager.",
            "Disable (Edit properties > Account enabled = off) or delete accounts that are no longer needed.",
            "For accounts that must stay, document why; automate the review with Access reviews or "
            "Lifecycle Workflows where licensed.",
        ),
        licence=ENTRA_P1,
        references=(SIGN_IN_DOCS,),
    )
)
def inactive_users(snapshot: TenantSnapshot) -> Outcome:
    stale, considered = inactive_accounts(snapshot, "Member")
    if not stale:
        return passed(
            f"All {plural(considered, 'enabled member account')} signed in within {INACTIVE_DAYS} days."
        )
    return failed(
        f"{plural(len(stale), 'enabled member account')} of {considered} inactive for more than "
        f"{INACTIVE_DAYS} days.{shown(len(stale))}",
        capped(stale),
    )


@check(
    metadata(
        id="entra.tenant_creation_restricted",
        title="Non-admin users cannot create tenants",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=("authorization_policy",),
        rationale=(
            "Users who create their own Entra tenants become Global Administrators of directories the "
            "organisation does not govern, where company data and identities can drift outside its "
            "controls. Checked via authorizationPolicy.defaultUserRolePermissions.allowedToCreateTenants."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Users > User settings.",
            "Set 'Restrict non-admin users from creating tenants' to Yes and select Save.",
            "Grant the Tenant Creator role to the few people who legitimately need to create tenants.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/entra/fundamentals/users-default-permissions#restrict-member-users-default-permissions",
        ),
    )
)
def tenant_creation_restricted(snapshot: TenantSnapshot) -> Outcome:
    permissions = (snapshot.get("authorization_policy") or {}).get("defaultUserRolePermissions") or {}
    if is_false(permissions.get("allowedToCreateTenants")):
        return passed("Non-admin users cannot create tenants.")
    return failed(
        "Non-admin users can create new Entra tenants (allowedToCreateTenants is not false).",
        [
            {
                "setting": "defaultUserRolePermissions.allowedToCreateTenants",
                "value": permissions.get("allowedToCreateTenants"),
            }
        ],
    )


CHECKS = (inactive_users, tenant_creation_restricted)
