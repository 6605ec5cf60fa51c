"""Inactive accounts, tenant creation and authentication methods checks."""

from __future__ import annotations

from typing import Any

import pytest

from core.checks import auth_methods, users
from core.checks.model import Status
from tests.unit.checks.support import FORBIDDEN, NOT_LICENSED, by_id, mutated, run, values

SIGN_INS = "user_sign_ins"
REGISTRATION = "user_registration_details"


def test_inactive_users_lists_stale_and_never_used_members_but_not_disabled_ones() -> None:
    def go_stale(data: dict[str, Any]) -> None:
        activity = by_id(data[SIGN_INS], "u-carol")["signInActivity"]
        activity.update(
            lastSignInDateTime="2026-07-01T08:00:00Z", lastSuccessfulSignInDateTime="2026-07-01T08:00:00Z"
        )
        for key in ("lastSignInDateTime", "lastNonInteractiveSignInDateTime", "lastSuccessfulSignInDateTime"):
            by_id(data[SIGN_INS], "u-bob")["signInActivity"][key] = None
        by_id(data["users"], "u-bob")["createdDateTime"] = "2025-01-10T00:00:00Z"
        by_id(data[SIGN_INS], "u-alice").update(accountEnabled=False)
        by_id(data[SIGN_INS], "u-alice")["signInActivity"]["lastNonInteractiveSignInDateTime"] = (
            "2024-01-01T00:00:00Z"
        )

    outcome = run(users.inactive_users, mutated(go_stale))
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("2 enabled member accounts of 6 inactive for more than 90 days")
    assert outcome.evidence == (
        {
            "userPrincipalName": "bob@contoso.com",
            "id": "u-bob",
            "lastSignIn": None,
            "lastSignInFrom": None,
            "createdDateTime": "2025-01-10T00:00:00Z",
        },
        {
            "userPrincipalName": "carol@contoso.com",
            "id": "u-carol",
            "lastSignIn": "2026-07-01T08:00:00Z",
            "lastSignInFrom": "lastSuccessfulSignInDateTime",
            "createdDateTime": "2024-02-01T09:00:00Z",
        },
    )


def test_inactive_users_sees_through_a_password_spray_on_a_dormant_account() -> None:
    # Failed attempts move lastSignInDateTime and lastNonInteractiveSignInDateTime; only the last
    # successful sign-in says whether anybody really used the account.
    def sprayed(data: dict[str, Any]) -> None:
        by_id(data[SIGN_INS], "u-carol")["signInActivity"].update(
            lastSignInDateTime="2026-10-31T23:00:00Z",
            lastNonInteractiveSignInDateTime="2026-10-30T23:00:00Z",
            lastSuccessfulSignInDateTime="2026-03-01T08:00:00Z",
        )

    outcome = run(users.inactive_users, mutated(sprayed))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "id") == ["u-carol"]
    assert values(outcome.evidence, "lastSignIn") == ["2026-03-01T08:00:00Z"]
    assert values(outcome.evidence, "lastSignInFrom") == ["lastSuccessfulSignInDateTime"]


def test_inactive_users_falls_back_to_attempts_only_where_no_successful_sign_in_is_recorded() -> None:
    # lastSuccessfulSignInDateTime exists since December 2023 and was not backfilled.
    def not_backfilled(data: dict[str, Any]) -> None:
        by_id(data[SIGN_INS], "u-carol")["signInActivity"].update(
            lastSignInDateTime="2026-01-01T08:00:00Z",
            lastNonInteractiveSignInDateTime="2026-10-15T08:00:00Z",
            lastSuccessfulSignInDateTime=None,
        )
        by_id(data[SIGN_INS], "u-bob")["signInActivity"].update(
            lastSignInDateTime="2026-02-01T08:00:00Z",
            lastNonInteractiveSignInDateTime="2026-01-01T08:00:00Z",
            lastSuccessfulSignInDateTime=None,
        )

    outcome = run(users.inactive_users, mutated(not_backfilled))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "id") == ["u-bob"]
    assert values(outcome.evidence, "lastSignInFrom") == ["lastSignInDateTime"]


@pytest.mark.parametrize(
    ("failure", "status"), [(FORBIDDEN, Status.ERROR), (NOT_LICENSED, Status.NOT_APPLICABLE)]
)
def test_inactive_users_is_never_judged_without_sign_in_activity(failure: Any, status: Status) -> None:
    assert run(users.inactive_users, user_sign_ins=failure).status is status


def test_inactive_users_spares_new_accounts_that_never_signed_in() -> None:
    def brand_new(data: dict[str, Any]) -> None:
        for key in ("lastSignInDateTime", "lastNonInteractiveSignInDateTime", "lastSuccessfulSignInDateTime"):
            by_id(data[SIGN_INS], "u-carol")["signInActivity"][key] = None
        by_id(data["users"], "u-carol")["createdDateTime"] = "2026-10-20T00:00:00Z"

    assert run(users.inactive_users, mutated(brand_new)).status is Status.PASS


def test_inactive_users_measures_time_from_collection_not_the_clock() -> None:
    # Carol last signed in on 2026-10-01: 31 days before the snapshot, whatever today's date is.
    outcome = run(users.inactive_users)
    assert outcome.status is Status.PASS
    assert outcome.summary == "All 7 enabled member accounts signed in within 90 days."


def test_tenant_creation_restricted_fails_when_users_may_create_tenants() -> None:
    data = mutated(
        lambda d: d["authorization_policy"]["defaultUserRolePermissions"].update(allowedToCreateTenants=True)
    )
    outcome = run(users.tenant_creation_restricted, data)
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "setting") == ["defaultUserRolePermissions.allowedToCreateTenants"]


def method(data: dict[str, Any], method_id: str) -> dict[str, Any]:
    return by_id(data["authentication_methods_policy"]["authenticationMethodConfigurations"], method_id)


def test_weak_methods_disabled_lists_each_enabled_weak_method() -> None:
    def enable(data: dict[str, Any]) -> None:
        method(data, "Sms")["state"] = "enabled"
        method(data, "Email")["state"] = "enabled"

    outcome = run(auth_methods.weak_methods_disabled, mutated(enable))
    assert outcome.status is Status.FAIL
    assert outcome.summary == "2 weak authentication methods enabled: SMS, Email OTP."
    assert values(outcome.evidence, "id") == ["Sms", "Email"]


def test_authenticator_context_shown_fails_for_microsoft_managed_or_partial_targeting() -> None:
    def weaken(data: dict[str, Any]) -> None:
        features = method(data, "MicrosoftAuthenticator")["featureSettings"]
        features["displayAppInformationRequiredState"]["state"] = "default"
        features["displayLocationInformationRequiredState"]["includeTarget"]["id"] = "g-pilot"

    outcome = run(auth_methods.authenticator_context_shown, mutated(weaken))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == (
        {"setting": "displayAppInformationRequiredState", "state": "default", "includeTarget": "all_users"},
        {
            "setting": "displayLocationInformationRequiredState",
            "state": "enabled",
            "includeTarget": "g-pilot",
        },
    )


def test_authenticator_context_shown_passes_when_authenticator_is_off() -> None:
    # Disabled, the app shows no prompt and no code, so SCuBA's requirement is met (ScubaGear reports
    # it as met too); a licence is not what is missing, so this is not "not applicable".
    outcome = run(
        auth_methods.authenticator_context_shown,
        mutated(
            lambda d: method(d, "MicrosoftAuthenticator").update(state="disabled", isSoftwareOathEnabled=True)
        ),
    )
    assert outcome.status is Status.PASS
    assert "disabled" in outcome.summary


@pytest.mark.parametrize("otp", [True, None])
def test_authenticator_context_shown_fails_when_authenticator_otp_codes_are_allowed_or_unreported(
    otp: bool | None,
) -> None:
    outcome = run(
        auth_methods.authenticator_context_shown,
        mutated(lambda d: method(d, "MicrosoftAuthenticator").update(isSoftwareOathEnabled=otp)),
    )
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"setting": "isSoftwareOathEnabled", "value": otp},)


def test_authenticator_context_shown_passes_with_context_for_all_and_otp_off() -> None:
    outcome = run(auth_methods.authenticator_context_shown)
    assert outcome.status is Status.PASS
    assert "no OTP codes" in outcome.summary


def test_authenticator_context_shown_is_an_error_when_the_policy_lacks_authenticator() -> None:
    def remove(data: dict[str, Any]) -> None:
        configurations = data["authentication_methods_policy"]["authenticationMethodConfigurations"]
        configurations.remove(method(data, "MicrosoftAuthenticator"))

    outcome = run(auth_methods.authenticator_context_shown, mutated(remove))
    assert outcome.status is Status.ERROR
    assert "no Microsoft Authenticator configuration" in outcome.summary


def test_authenticator_context_shown_is_an_error_when_the_policy_is_unreadable() -> None:
    outcome = run(auth_methods.authenticator_context_shown, authentication_methods_policy=FORBIDDEN)
    assert outcome.status is Status.ERROR
    assert "Policy.Read.All" in outcome.summary


def test_methods_migration_complete_fails_in_progress_and_is_manual_when_unreported() -> None:
    in_progress = mutated(
        lambda d: d["authentication_methods_policy"].update(policyMigrationState="migrationInProgress")
    )
    outcome = run(auth_methods.methods_migration_complete, in_progress)
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"policyMigrationState": "migrationInProgress"},)
    unreported = mutated(lambda d: d["authentication_methods_policy"].pop("policyMigrationState"))
    assert run(auth_methods.methods_migration_complete, unreported).status is Status.MANUAL


def test_users_mfa_capable_lists_members_without_mfa_and_skips_disabled_and_guests() -> None:
    def unregister(data: dict[str, Any]) -> None:
        for user_id in ("u-alice", "u-bob", "u-guest1"):
            by_id(data[REGISTRATION], user_id)["isMfaCapable"] = False
        by_id(data["users"], "u-bob")["accountEnabled"] = False

    outcome = run(auth_methods.users_mfa_capable, mutated(unregister))
    assert outcome.status is Status.FAIL
    assert outcome.summary == "1 member user of 6 not MFA capable."
    assert outcome.evidence == ({"userPrincipalName": "alice@contoso.com", "id": "u-alice"},)


def test_users_mfa_capable_says_when_disabled_accounts_could_not_be_filtered() -> None:
    data = mutated(lambda d: by_id(d[REGISTRATION], "u-alice").update(isMfaCapable=False))
    del data["users"]
    outcome = run(auth_methods.users_mfa_capable, data)
    assert outcome.status is Status.FAIL
    assert "users list unavailable" in outcome.summary


def test_admins_mfa_capable_lists_admins_without_mfa() -> None:
    outcome = run(
        auth_methods.admins_mfa_capable,
        mutated(lambda d: by_id(d[REGISTRATION], "u-admin2").update(isMfaCapable=False)),
    )
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"userPrincipalName": "bruno.admin@contoso.com", "id": "u-admin2"},)


def test_system_preferred_mfa_reports_when_it_is_off_for_everyone() -> None:
    def off(data: dict[str, Any]) -> None:
        for record in data[REGISTRATION]:
            record["isSystemPreferredAuthenticationMethodEnabled"] = False

    outcome = run(auth_methods.system_preferred_mfa, mutated(off))
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("System-preferred MFA is off for all member users")
    assert "alice@contoso.com" in values(outcome.evidence, "userPrincipalName")
