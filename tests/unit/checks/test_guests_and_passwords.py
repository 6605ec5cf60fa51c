"""Guest access and password policy checks."""

from __future__ import annotations

from typing import Any

import pytest

from core.checks import guests, passwords
from core.checks.model import Status
from core.checks.well_known import GUEST_LIMITED, GUEST_SAME_AS_MEMBERS
from tests.unit.checks.support import FORBIDDEN, by_id, mutated, run, values

AUTHZ = "authorization_policy"


def test_access_restricted_accepts_limited_and_rejects_member_level_access() -> None:
    assert (
        run(
            guests.access_restricted, mutated(lambda d: d[AUTHZ].update(guestUserRoleId=GUEST_LIMITED))
        ).status
        is Status.PASS
    )
    outcome = run(
        guests.access_restricted, mutated(lambda d: d[AUTHZ].update(guestUserRoleId=GUEST_SAME_AS_MEMBERS))
    )
    assert outcome.status is Status.FAIL
    assert outcome.summary == "Guest users have same access as members to directory objects."
    assert outcome.evidence == ({"guestUserRoleId": GUEST_SAME_AS_MEMBERS},)


@pytest.mark.parametrize("setting", ["everyone", "adminsGuestInvitersAndAllMembers"])
def test_invites_restricted_fails_when_members_or_everyone_can_invite(setting: str) -> None:
    outcome = run(guests.invites_restricted, mutated(lambda d: d[AUTHZ].update(allowInvitesFrom=setting)))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"allowInvitesFrom": setting},)


def test_inactive_guests_are_listed_with_their_last_sign_in() -> None:
    def stale(data: dict[str, Any]) -> None:
        by_id(data["user_sign_ins"], "u-guest1")["signInActivity"].update(
            lastSignInDateTime="2026-05-02T10:00:00Z", lastSuccessfulSignInDateTime="2026-05-02T10:00:00Z"
        )

    outcome = run(guests.inactive, mutated(stale))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == (
        {
            "userPrincipalName": "dan_fabrikam.com#EXT#@contoso.onmicrosoft.com",
            "id": "u-guest1",
            "lastSignIn": "2026-05-02T10:00:00Z",
            "lastSignInFrom": "lastSuccessfulSignInDateTime",
            "createdDateTime": "2025-03-01T12:00:00Z",
        },
    )


def test_a_tenant_without_guests_passes_the_inactive_guest_check() -> None:
    def no_guests(data: dict[str, Any]) -> None:
        data["user_sign_ins"] = [r for r in data["user_sign_ins"] if r["userType"] != "Guest"]

    outcome = run(guests.inactive, mutated(no_guests))
    assert outcome.status is Status.PASS
    assert outcome.summary == "The tenant has no enabled guest accounts."


def test_stale_invitations_lists_guests_pending_for_over_30_days() -> None:
    def pending(data: dict[str, Any]) -> None:
        old = dict(
            by_id(data["users"], "u-guest1"),
            id="u-guest2",
            userPrincipalName="eve_x.com#EXT#@contoso.onmicrosoft.com",
        )
        old.update(externalUserState="PendingAcceptance", createdDateTime="2026-09-15T00:00:00Z")
        recent = dict(
            old,
            id="u-guest3",
            userPrincipalName="fay_x.com#EXT#@contoso.onmicrosoft.com",
            createdDateTime="2026-10-15T00:00:00Z",
        )
        data["users"] += [old, recent]

    outcome = run(guests.stale_invitations, mutated(pending))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == (
        {
            "userPrincipalName": "eve_x.com#EXT#@contoso.onmicrosoft.com",
            "id": "u-guest2",
            "invitedDateTime": "2026-09-15T00:00:00Z",
        },
    )


def test_email_verified_join_disabled_fails_when_self_service_join_is_on() -> None:
    outcome = run(
        guests.email_verified_join_disabled,
        mutated(lambda d: d[AUTHZ].update(allowEmailVerifiedUsersToJoinOrganization=True)),
    )
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"allowEmailVerifiedUsersToJoinOrganization": True},)


def test_never_expire_lists_managed_domains_with_expiry_and_ignores_federated_ones() -> None:
    def expiring(data: dict[str, Any]) -> None:
        by_id(data["domains"], "contoso.onmicrosoft.com")["passwordValidityPeriodInDays"] = 60
        fed = by_id(data["domains"], "contoso.onmicrosoft.com")
        data["domains"].append(
            dict(fed, id="corp.example", authenticationType="Federated", passwordValidityPeriodInDays=30)
        )

    outcome = run(passwords.never_expire, mutated(expiring))
    assert outcome.status is Status.FAIL
    assert outcome.summary == "Passwords expire on 1 managed domain."
    assert outcome.evidence == ({"domain": "contoso.onmicrosoft.com", "passwordValidityPeriodInDays": 60},)


def unset(data: dict[str, Any], domain: str) -> None:
    by_id(data["domains"], domain)["passwordValidityPeriodInDays"] = None


def created(data: dict[str, Any], when: str | None) -> None:
    data["organization"][0]["createdDateTime"] = when


def test_an_unset_expiry_means_90_days_in_a_tenant_created_before_2021() -> None:
    data = mutated(lambda d: (unset(d, "contoso.com"), created(d, "2020-12-31T23:00:00Z")))
    outcome = run(passwords.never_expire, data)
    assert outcome.status is Status.FAIL
    assert outcome.evidence == (
        {"domain": "contoso.com", "passwordValidityPeriodInDays": 90, "tenantDefault": True},
    )
    assert "tenant created 2020-12-31T23:00:00Z" in outcome.summary


def test_an_unset_expiry_means_never_in_a_tenant_created_since_2021() -> None:
    def new_tenant(data: dict[str, Any]) -> None:
        for domain in data["domains"]:
            domain["passwordValidityPeriodInDays"] = None
        created(data, "2021-01-01T00:00:00Z")

    outcome = run(passwords.never_expire, mutated(new_tenant))
    assert outcome.status is Status.PASS
    assert outcome.summary == "Passwords never expire on all 3 managed domains."


def subdomain(data: dict[str, Any], name: str, **fields: Any) -> None:
    base = by_id(data["domains"], "contoso.com")
    data["domains"].append(
        dict(base, id=name, isRoot=False, isDefault=False, passwordValidityPeriodInDays=None, **fields)
    )


def test_subdomains_follow_their_root_domain_not_the_unset_value_graph_shows() -> None:
    # contoso.com never expires; Graph shows its subdomain's own value as unset.
    data = mutated(lambda d: subdomain(d, "eu.contoso.com"))
    assert run(passwords.never_expire, data).status is Status.PASS


def test_a_subdomain_of_an_expiring_root_is_listed_with_the_root_it_inherits_from() -> None:
    def expiring_root(data: dict[str, Any]) -> None:
        by_id(data["domains"], "contoso.com")["passwordValidityPeriodInDays"] = 180
        subdomain(data, "eu.contoso.com")
        subdomain(data, "ops.news.contoso.com")  # closest root: news.contoso.com, which never expires

    outcome = run(passwords.never_expire, mutated(expiring_root))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == (
        {"domain": "contoso.com", "passwordValidityPeriodInDays": 180},
        {"domain": "eu.contoso.com", "passwordValidityPeriodInDays": 180, "inheritedFrom": "contoso.com"},
    )


def test_never_expire_is_an_error_when_the_tenant_age_is_needed_but_unreadable() -> None:
    data = mutated(lambda d: unset(d, "contoso.com"))
    outcome = run(passwords.never_expire, data, organization=FORBIDDEN)
    assert outcome.status is Status.ERROR
    assert "could not read organization" in outcome.summary
    no_date = mutated(lambda d: (unset(d, "contoso.com"), created(d, None)))
    outcome = run(passwords.never_expire, no_date)
    assert outcome.status is Status.ERROR
    assert "createdDateTime was not returned" in outcome.summary


def test_never_expire_needs_no_tenant_age_when_every_value_is_set() -> None:
    assert run(passwords.never_expire, organization=FORBIDDEN).status is Status.PASS


def test_never_expire_is_an_error_for_a_subdomain_whose_root_was_not_returned() -> None:
    data = mutated(lambda d: subdomain(d, "eu.fabrikam.com"))
    outcome = run(passwords.never_expire, data)
    assert outcome.status is Status.ERROR
    assert "no root domain found for the subdomain eu.fabrikam.com" in outcome.summary


def test_never_expire_is_an_error_when_domains_are_unreadable() -> None:
    assert run(passwords.never_expire, domains=FORBIDDEN).status is Status.ERROR


def test_never_expire_is_manual_when_every_domain_is_federated() -> None:
    def federate(data: dict[str, Any]) -> None:
        for domain in data["domains"]:
            domain["authenticationType"] = "Federated"

    assert run(passwords.never_expire, mutated(federate)).status is Status.MANUAL


def rules(data: dict[str, Any]) -> dict[str, Any]:
    return by_id(data["directory_settings"], "ds-01")


def set_rule(data: dict[str, Any], name: str, value: str) -> None:
    next(v for v in rules(data)["values"] if v["name"] == name)["value"] = value


def test_custom_banned_list_fails_when_not_enforced_empty_or_never_configured() -> None:
    off = run(
        passwords.custom_banned_list, mutated(lambda d: set_rule(d, "EnableBannedPasswordCheck", "False"))
    )
    assert off.status is Status.FAIL
    assert off.summary == "The custom banned password list is not enforced."
    empty = run(passwords.custom_banned_list, mutated(lambda d: set_rule(d, "BannedPasswordList", "")))
    assert empty.status is Status.FAIL
    assert empty.evidence == ({"EnableBannedPasswordCheck": "True", "entries": 0},)
    absent = run(passwords.custom_banned_list, mutated(lambda d: d["directory_settings"].remove(rules(d))))
    assert absent.status is Status.FAIL
    assert "never configured" in absent.summary


def test_custom_banned_list_is_not_applicable_without_p1() -> None:
    outcome = run(passwords.custom_banned_list, mutated(lambda d: d.update(subscribed_skus=[])))
    assert outcome.status is Status.NOT_APPLICABLE


def test_smart_lockout_threshold_fails_above_ten_and_passes_on_defaults() -> None:
    outcome = run(passwords.smart_lockout_threshold, mutated(lambda d: set_rule(d, "LockoutThreshold", "50")))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"LockoutThreshold": 50},)
    defaults = run(passwords.smart_lockout_threshold, mutated(lambda d: d.update(directory_settings=[])))
    assert defaults.status is Status.PASS
    assert "default threshold" in defaults.summary


def test_strong_password_required_lists_users_exempt_from_complexity() -> None:
    outcome = run(
        passwords.strong_password_required,
        mutated(
            lambda d: by_id(d["users"], "u-carol").update(
                passwordPolicies="DisablePasswordExpiration, DisableStrongPassword"
            )
        ),
    )
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "userPrincipalName") == ["carol@contoso.com"]
