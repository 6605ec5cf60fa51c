"""App credential restrictions (app management policies) and third-party delegated grants."""

from __future__ import annotations

from typing import Any

import pytest

from core.checks import app_governance, app_grants
from core.checks.model import Check, SourceFailure, Status
from tests.unit.checks.support import mutated, run, values

DEFAULT = "app_management_default"
CUSTOM = "app_management_policies"
POLICY_CHECKS = [
    app_governance.password_addition_blocked,
    app_governance.password_lifetime_limited,
    app_governance.certificate_lifetime_limited,
]


def restriction(data: dict[str, Any], scope: str, kind: str, restriction_type: str) -> dict[str, Any]:
    rows = data[DEFAULT][scope][kind]
    return next(r for r in rows if r["restrictionType"] == restriction_type)


def unblock_passwords(data: dict[str, Any]) -> None:
    for scope in ("applicationRestrictions", "servicePrincipalRestrictions"):
        restriction(data, scope, "passwordCredentials", "passwordAddition")["state"] = "disabled"


@pytest.mark.parametrize("check", POLICY_CHECKS, ids=lambda c: c.id)
def test_a_disabled_default_policy_enforces_nothing(check: Check) -> None:
    outcome = run(check, mutated(lambda d: d[DEFAULT].update(isEnabled=False)))
    assert outcome.status is Status.FAIL
    assert "the default app management policy is disabled" in outcome.summary


@pytest.mark.parametrize("check", POLICY_CHECKS, ids=lambda c: c.id)
def test_unreadable_policies_are_an_error(check: Check) -> None:
    refused = SourceFailure("forbidden", "Policy.Read.All missing")
    for source in (DEFAULT, CUSTOM):
        outcome = run(check, **{source: refused})
        assert outcome.status is Status.ERROR
        assert source in outcome.summary


def test_password_addition_fails_when_it_reaches_only_new_apps() -> None:
    def dated(data: dict[str, Any]) -> None:
        rule = restriction(data, "applicationRestrictions", "passwordCredentials", "passwordAddition")
        rule["restrictForAppsCreatedAfterDateTime"] = "2025-06-01T00:00:00Z"

    outcome = run(app_governance.password_addition_blocked, mutated(dated))
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        "Client secrets can still be added: applies to app registrations created after 2025-06-01 only."
    )


def test_password_addition_fails_when_missing_for_enterprise_apps() -> None:
    def one_sided(data: dict[str, Any]) -> None:
        data[DEFAULT]["servicePrincipalRestrictions"]["passwordCredentials"] = []

    outcome = run(app_governance.password_addition_blocked, mutated(one_sided))
    assert outcome.status is Status.FAIL
    assert "not set for enterprise apps" in outcome.summary


def test_a_custom_policy_that_switches_the_block_off_exempts_its_apps() -> None:
    def exempting(data: dict[str, Any]) -> None:
        rule = data[CUSTOM][0]["restrictions"]["passwordCredentials"][0]
        rule["state"] = "disabled"

    outcome = run(app_governance.password_addition_blocked, mutated(exempting))
    assert outcome.status is Status.FAIL
    assert "custom policy 'Certificates for the payroll connector' exempts its apps" in outcome.summary
    # a disabled custom policy exempts nothing
    data = mutated(exempting)
    data[CUSTOM][0]["isEnabled"] = False
    assert run(app_governance.password_addition_blocked, data).status is Status.PASS


def test_password_lifetime_passes_when_secrets_are_blocked_whatever_the_lifetime() -> None:
    def long_but_blocked(data: dict[str, Any]) -> None:
        restriction(data, "applicationRestrictions", "passwordCredentials", "passwordLifetime")[
            "maxLifetime"
        ] = "P2Y"

    outcome = run(app_governance.password_lifetime_limited, mutated(long_but_blocked))
    assert outcome.status is Status.PASS
    assert "blocked altogether" in outcome.summary


def test_password_lifetime_judges_the_limit_once_secrets_are_allowed() -> None:
    data = mutated(unblock_passwords)
    outcome = run(app_governance.password_lifetime_limited, data)
    assert outcome.status is Status.PASS
    assert outcome.summary == "Client secrets of every app expire within 180 days."
    restriction(data, "servicePrincipalRestrictions", "passwordCredentials", "passwordLifetime")[
        "maxLifetime"
    ] = "P365D"
    outcome = run(app_governance.password_lifetime_limited, data)
    assert outcome.status is Status.FAIL
    assert "enterprise apps allow P365D (at most 181 days)" in outcome.summary


def test_certificate_lifetime_fails_above_a_year_and_on_an_unreadable_duration() -> None:
    for value in ("P2Y", "soon"):

        def change(data: dict[str, Any], value: str = value) -> None:
            restriction(data, "applicationRestrictions", "keyCredentials", "asymmetricKeyLifetime")[
                "maxLifetime"
            ] = value

        outcome = run(app_governance.certificate_lifetime_limited, mutated(change))
        assert outcome.status is Status.FAIL
        assert f"app registrations allow {value}" in outcome.summary


def test_certificate_lifetime_passes_on_the_good_tenant_and_reads_durations() -> None:
    assert run(app_governance.certificate_lifetime_limited).status is Status.PASS
    assert app_governance.duration_days("P366D") == 366
    assert app_governance.duration_days("P1Y") == 365
    assert app_governance.duration_days("PT12H") is None


def test_risky_delegated_grants_pass_for_microsoft_and_own_apps() -> None:
    # The good tenant grants files to a Microsoft app and mail to its own app, and only basic scopes to
    # a third-party app; a third-party grant a single user gave is not judged here.
    outcome = run(app_grants.risky_delegated_grants)
    assert outcome.status is Status.PASS


def test_risky_delegated_grants_fail_on_a_third_party_tenant_wide_mail_grant() -> None:
    def risky(data: dict[str, Any]) -> None:
        data["delegated_grants"][2]["scope"] = "openid User.Read Mail.ReadWrite Sites.Read.All"

    outcome = run(app_grants.risky_delegated_grants, mutated(risky))
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("1 third-party app holds organisation-wide delegated access")
    assert values(outcome.evidence, "scopes") == [["Mail.ReadWrite", "Sites.Read.All"]]
    assert values(outcome.evidence, "api") == ["Microsoft Graph"]


def test_a_grant_naming_an_unknown_app_is_manual() -> None:
    def unknown(data: dict[str, Any]) -> None:
        data["delegated_grants"].append(dict(data["delegated_grants"][0], id="g-x", clientId="sp-gone"))

    outcome = run(app_grants.risky_delegated_grants, mutated(unknown))
    assert outcome.status is Status.MANUAL


def test_risky_delegated_grants_need_both_sources() -> None:
    for source, permission in (
        ("delegated_grants", "Directory.Read.All"),
        ("service_principals", "Application.Read.All"),
    ):
        outcome = run(
            app_grants.risky_delegated_grants, **{source: SourceFailure("forbidden", f"{permission} missing")}
        )
        assert outcome.status is Status.ERROR
        assert permission in outcome.summary
