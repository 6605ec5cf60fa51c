"""Guests and external collaboration: what guests can see, who can invite them, and stale guests.

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md).

A tenant without guests passes the inactive-guest and stale-invitation checks with "no guests": there is
nothing stale to remove, and `not_applicable` would hide the result from the score.
"""

from __future__ import annotations

from datetime import timedelta

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
    user_ref,
)
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, passed
from core.checks.users import INACTIVE_DAYS, inactive_accounts
from core.checks.well_known import ENTRA_P1, GUEST_LIMITED, GUEST_RESTRICTED, GUEST_SAME_AS_MEMBERS

CATEGORY = "Guests and external access"
AUTHZ = "authorization_policy"
PENDING_DAYS = 30
GUEST_ROLE_NAMES = {
    GUEST_SAME_AS_MEMBERS: "same access as members",
    GUEST_LIMITED: "limited access",
    GUEST_RESTRICTED: "restricted access",
}
COLLAB_DOCS = "https://learn.microsoft.com/en-us/entra/external-id/external-collaboration-settings-configure"


@check(
    metadata(
        id="guests.access_restricted",
        title="Guest users have limited or restricted directory access",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(AUTHZ,),
        rationale=(
            "With member-level access, any guest (or an attacker holding a guest account) can enumerate "
            "every user, group and app in the directory to plan phishing and lateral movement."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > External Identities > External collaboration settings.",
            "Under Guest user access select 'Guest users have limited access to properties and "
            "memberships of directory objects' or the most restrictive option.",
            "Select Save.",
        ),
        references=(COLLAB_DOCS,),
    )
)
def access_restricted(snapshot: TenantSnapshot) -> Outcome:
    role = (snapshot.get(AUTHZ) or {}).get("guestUserRoleId")
    if folded(role) in (GUEST_LIMITED, GUEST_RESTRICTED):
        return passed(f"Guest users have {GUEST_ROLE_NAMES[folded(role)]} to directory objects.")
    described = GUEST_ROLE_NAMES.get(folded(role), f"an unrecognised role ({role})")
    return failed(f"Guest users have {described} to directory objects.", [{"guestUserRoleId": role}])


@check(
    metadata(
        id="guests.invites_restricted",
        title="Only administrators and Guest Inviters can invite guests",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(AUTHZ,),
        rationale=(
            "When every member (or every guest) can invite, anyone can bring outsiders into Teams and "
            "SharePoint without review, and a compromised account can invite attacker-controlled guests."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > External Identities > External collaboration settings.",
            "Under Guest invite settings select 'Only users assigned to specific admin roles can invite "
            "guest users'.",
            "Assign the Guest Inviter role to the people who approve external collaboration; Save.",
        ),
        references=(COLLAB_DOCS,),
    )
)
def invites_restricted(snapshot: TenantSnapshot) -> Outcome:
    setting = (snapshot.get(AUTHZ) or {}).get("allowInvitesFrom")
    if setting in ("adminsAndGuestInviters", "none"):
        return passed(f"Guest invitations are limited (allowInvitesFrom = {setting}).")
    return failed(
        f"Guest invitations are open too widely (allowInvitesFrom = {setting}).",
        [{"allowInvitesFrom": setting}],
    )


@check(
    metadata(
        id="guests.inactive",
        title=f"No guest accounts inactive for more than {INACTIVE_DAYS} days",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=("user_sign_ins", "users"),
        rationale=(
            "Guests keep their access to Teams, sites and files long after the project ends; nobody in "
            "this organisation controls their password or notices their sign-ins. Enabled guests with "
            f"no successful sign-in for {INACTIVE_DAYS} days (or never signed in and invited longer ago) "
            "are listed; failed attempts do not count as activity."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Users > All users, filter User type = Guest and add the "
            "'Last sign-in' columns.",
            "Confirm with each guest's sponsor whether access is still needed; block sign-in or delete "
            "guests that are not.",
            "Automate with Access reviews for guest users (Entra ID P2 / ID Governance) where licensed.",
        ),
        licence=ENTRA_P1,
        references=(
            "https://learn.microsoft.com/en-us/entra/id-governance/access-reviews-overview",
            "https://learn.microsoft.com/en-us/entra/identity/monitoring-health/howto-manage-inactive-user-accounts",
        ),
    )
)
def inactive(snapshot: TenantSnapshot) -> Outcome:
    stale, considered = inactive_accounts(snapshot, "Guest")
    if considered == 0:
        return passed("The tenant has no enabled guest accounts.")
    if not stale:
        return passed(f"All {plural(considered, 'enabled guest')} signed in within {INACTIVE_DAYS} days.")
    return failed(
        f"{plural(len(stale), 'enabled guest')} of {considered} inactive for more than {INACTIVE_DAYS} days."
        f"{shown(len(stale))}",
        capped(stale),
    )


@check(
    metadata(
        id="guests.stale_invitations",
        title=f"No guest invitations pending for more than {PENDING_DAYS} days",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=("users",),
        rationale=(
            "An unredeemed invitation is a live link into the tenant: whoever gets hold of the invitation "
            "email can redeem it. Invitations never accepted within a month are rarely still wanted."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Users > All users, filter User type = Guest and Invitation "
            "state = Pending acceptance.",
            "Delete the listed guests, or resend the invitation if the collaboration is still current.",
        ),
        references=(COLLAB_DOCS,),
    )
)
def stale_invitations(snapshot: TenantSnapshot) -> Outcome:
    cutoff = now_of(snapshot) - timedelta(days=PENDING_DAYS)
    guests = [u for u in snapshot.get("users") or [] if str(u.get("userType") or "").lower() == "guest"]
    pending = []
    for guest in guests:
        created = parse_time(guest.get("createdDateTime"))
        awaiting = guest.get("externalUserState") == "PendingAcceptance" and not is_false(
            guest.get("accountEnabled")
        )
        if awaiting and created and created < cutoff:
            pending.append({**user_ref(guest), "invitedDateTime": iso(created)})
    if not guests:
        return passed("The tenant has no guest accounts.")
    if not pending:
        return passed(
            f"No invitation among {plural(len(guests), 'guest')} pending for over {PENDING_DAYS} days."
        )
    return failed(
        f"{plural(len(pending), 'guest invitation')} pending for more than {PENDING_DAYS} days."
        f"{shown(len(pending))}",
        capped(pending),
    )


@check(
    metadata(
        id="guests.email_verified_join_disabled",
        title="Email-verified users cannot join the tenant by themselves",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(AUTHZ,),
        rationale=(
            "When allowEmailVerifiedUsersToJoinOrganization is on, anyone who proves control of an email "
            "address in a matching domain can create an account in the tenant through self-service "
            "sign-up, without an administrator or an invitation."
        ),
        remediation=steps(
            "Connect with Microsoft Graph PowerShell: Connect-MgGraph -Scopes "
            "Policy.ReadWrite.Authorization.",
            "Run: Update-MgPolicyAuthorizationPolicy -AllowEmailVerifiedUsersToJoinOrganization:$false.",
            "Re-run the scan to confirm.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/graph/api/resources/authorizationpolicy",
            "https://learn.microsoft.com/en-us/entra/identity/users/directory-self-service-signup",
        ),
    )
)
def email_verified_join_disabled(snapshot: TenantSnapshot) -> Outcome:
    value = (snapshot.get(AUTHZ) or {}).get("allowEmailVerifiedUsersToJoinOrganization")
    if is_false(value):
        return passed("Email-verified users cannot join the tenant on their own.")
    return failed(
        "Users with a verified email address can join the tenant without an invitation.",
        [{"allowEmailVerifiedUsersToJoinOrganization": value}],
    )


CHECKS = (access_restricted, invites_restricted, inactive, stale_invitations, email_verified_join_disabled)
