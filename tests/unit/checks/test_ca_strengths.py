"""Authentication strengths: only a strength whose every allowed combination is multifactor counts as MFA."""

from __future__ import annotations

from typing import Any

import pytest

from core.checks import ca_strengths, identity, identity_risk
from core.checks.model import SourceFailure, Status
from tests.unit.checks.support import by_id, mutated, run, values

CA = "conditional_access_policies"
STRENGTHS = "authentication_strength_policies"
STRONG_CUSTOM = "5e8a1f2c-0000-4000-8000-00000000c001"  # fido2, windowsHelloForBusiness
WEAK_CUSTOM = "5e8a1f2c-0000-4000-8000-00000000c002"  # allows password alone
BUILT_IN_MFA = "00000000-0000-0000-0000-000000000002"


def strength(combinations: list[str], name: str = "Custom strength") -> dict[str, Any]:
    return {
        "id": "7f3d9a10-0000-4000-8000-0000000000aa",
        "displayName": name,
        "policyType": "custom",
        "allowedCombinations": combinations,
    }


def grant(policy_id: str, value: dict[str, Any] | None, controls: list[str] | None = None) -> Any:
    """Replace a policy's grant with an authentication strength (and the given built-in controls)."""

    def change(data: dict[str, Any]) -> None:
        grant_controls = by_id(data[CA], policy_id)["grantControls"]
        grant_controls["builtInControls"] = controls or []
        grant_controls["authenticationStrength"] = value

    return change


@pytest.mark.parametrize(
    ("combination", "multifactor"),
    [
        ("password,microsoftAuthenticatorPush", True),
        ("password, sms", True),  # Microsoft's own create example puts a space after the comma
        ("sms,federatedSingleFactor", True),
        ("fido2", True),
        ("windowsHelloForBusiness", True),
        ("temporaryAccessPassOneTime", True),
        ("federatedMultiFactor", True),
        ("password", False),
        ("sms", False),
        ("email", False),
        ("federatedSingleFactor", False),
        ("x509CertificateSingleFactor", False),
        ("qrCodePin", False),  # a single method this code does not know as multifactor
        ("", False),
    ],
)
def test_which_combinations_are_multifactor(combination: str, multifactor: bool) -> None:
    assert ca_strengths.is_multifactor_combination(combination) is multifactor


def test_a_strength_allowing_password_alone_is_not_mfa_for_all_users() -> None:
    weak = strength(["password", "password,microsoftAuthenticatorPush"], "Password or MFA")
    outcome = run(identity.mfa_all_users, mutated(grant("ca-01", weak)))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "gap")[0] == (
        "authentication strength 'Password or MFA' can be met with one factor (password)"
    )


@pytest.mark.parametrize(
    "combinations",
    [["password,sms", "fido2"], ["password, hardwareOath", "password, sms"]],
    ids=["mixed", "spaced"],
)
def test_a_strength_of_multifactor_combinations_is_mfa_for_all_users(combinations: list[str]) -> None:
    outcome = run(identity.mfa_all_users, mutated(grant("ca-01", strength(combinations))))
    assert outcome.status is Status.PASS


def test_a_built_in_strength_by_id_alone_needs_no_lookup() -> None:
    data = mutated(grant("ca-01", {"id": BUILT_IN_MFA}))
    del data[STRENGTHS]
    assert run(identity.mfa_all_users, data).status is Status.PASS


@pytest.mark.parametrize(
    ("strength_id", "status"),
    [(STRONG_CUSTOM, Status.PASS), (WEAK_CUSTOM, Status.FAIL)],
    ids=["strong", "weak"],
)
def test_a_custom_strength_by_id_is_looked_up(strength_id: str, status: Status) -> None:
    outcome = run(identity.mfa_all_users, mutated(grant("ca-01", {"id": strength_id})))
    assert outcome.status is status
    if status is Status.FAIL:
        assert (
            "'Legacy-friendly sign-in' can be met with one factor (password)"
            in values(outcome.evidence, "gap")[0]
        )


@pytest.mark.parametrize("kind", ["forbidden", "unavailable", "not_licensed"])
def test_a_custom_strength_that_cannot_be_looked_up_is_an_error(kind: Any) -> None:
    data = mutated(grant("ca-01", {"id": STRONG_CUSTOM}))
    outcome = run(identity.mfa_all_users, data, **{STRENGTHS: SourceFailure(kind, "HTTP 403 refused")})
    assert outcome.status is Status.ERROR
    assert STRENGTHS in outcome.summary
    assert "HTTP 403 refused" in outcome.summary
    assert "'CA01 - Require MFA for all users'" in outcome.summary


@pytest.mark.parametrize(
    "check",
    [
        identity.mfa_baseline_present,
        identity.legacy_auth_blocked,
        identity.device_code_flow_blocked,
        identity_risk.high_risk_users_blocked,
    ],
    ids=lambda c: c.id,
)
def test_checks_that_judge_no_strength_are_not_held_up_by_its_lookup(check: Any) -> None:
    data = mutated(grant("ca-01", {"id": STRONG_CUSTOM}))
    outcome = run(check, data, **{STRENGTHS: SourceFailure("forbidden", "HTTP 403 refused")})
    assert outcome.status is Status.PASS


def test_an_unknown_strength_id_never_counts() -> None:
    outcome = run(
        identity.mfa_all_users, mutated(grant("ca-01", {"id": "4f8e0000-0000-4000-8000-00000000dead"}))
    )
    assert outcome.status is Status.FAIL
    assert "is not among the tenant's strength policies" in values(outcome.evidence, "gap")[0]


def test_a_weak_strength_does_not_cover_administrators() -> None:
    def weak_everywhere(data: dict[str, Any]) -> None:
        grant("ca-01", strength(["password"]))(data)
        data[CA] = [p for p in data[CA] if p["id"] != "ca-03"]

    outcome = run(identity.mfa_admins, mutated(weak_everywhere))
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("16 administrator roles of 16")


def test_a_weak_strength_does_not_meet_the_sign_in_risk_policy() -> None:
    outcome = run(identity_risk.signin_risk_policy, mutated(grant("ca-07", strength(["sms"]))))
    assert outcome.status is Status.FAIL
    assert "at medium sign-in risk" in outcome.summary


@pytest.mark.parametrize(
    ("value", "status"),
    [(strength(["password"]), Status.FAIL), ({"id": BUILT_IN_MFA}, Status.PASS)],
    ids=["weak", "built-in"],
)
def test_secure_password_change_needs_a_multifactor_strength(value: dict[str, Any], status: Status) -> None:
    def change(data: dict[str, Any]) -> None:
        data[CA] = [p for p in data[CA] if p["id"] != "ca-06"]
        grant("ca-05", value, ["passwordChange"])(data)

    assert run(identity_risk.user_risk_policy, mutated(change)).status is status


def test_under_or_a_weak_strength_beside_mfa_is_a_way_in_without_mfa() -> None:
    outcome = run(identity.mfa_all_users, mutated(grant("ca-01", strength(["password"]), ["mfa"])))
    assert outcome.status is Status.FAIL


def test_phishing_resistant_admins_accept_a_looked_up_custom_strength() -> None:
    outcome = run(identity.phishing_resistant_mfa_admins, mutated(grant("ca-03", {"id": STRONG_CUSTOM})))
    assert outcome.status is Status.PASS


def test_phishing_resistant_admins_reject_a_looked_up_weak_strength() -> None:
    def weak_for_admins(data: dict[str, Any]) -> None:
        grant("ca-01", None, ["mfa"])(data)  # CA01's phishing-resistant MFA for all users covers admins too
        grant("ca-03", {"id": WEAK_CUSTOM})(data)

    outcome = run(identity.phishing_resistant_mfa_admins, mutated(weak_for_admins))
    assert outcome.status is Status.FAIL
