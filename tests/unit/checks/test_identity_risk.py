"""Risk-based Conditional Access checks."""

from __future__ import annotations

from typing import Any

import pytest

from core.checks import identity_risk
from core.checks.model import Status
from tests.unit.checks.support import by_id, mutated, run, values

CA = "conditional_access_policies"
RISK_CHECKS = [
    identity_risk.user_risk_policy,
    identity_risk.high_risk_users_blocked,
    identity_risk.signin_risk_policy,
    identity_risk.high_risk_signins_blocked,
]


def drop(*policy_ids: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        data[CA] = [p for p in data[CA] if p["id"] not in policy_ids]

    return change


@pytest.mark.parametrize("check", RISK_CHECKS, ids=lambda c: c.id)
def test_risk_checks_are_not_applicable_without_p2(check: Any) -> None:
    def p1_only(data: dict[str, Any]) -> None:
        plans = data["subscribed_skus"][0]["servicePlans"]
        data["subscribed_skus"][0]["servicePlans"] = [
            p for p in plans if p["servicePlanName"] != "AAD_PREMIUM_P2"
        ]

    outcome = run(check, mutated(p1_only))
    assert outcome.status is Status.NOT_APPLICABLE
    assert "AAD_PREMIUM_P2" in outcome.summary


def test_user_risk_policy_accepts_a_block_instead_of_password_change() -> None:
    outcome = run(identity_risk.user_risk_policy, mutated(drop("ca-05")))
    assert outcome.status is Status.PASS
    assert "CA06" in outcome.summary


def test_user_risk_policy_fails_when_password_change_is_not_combined_with_mfa() -> None:
    def or_operator(data: dict[str, Any]) -> None:
        drop("ca-06")(data)
        by_id(data[CA], "ca-05")["grantControls"]["operator"] = "OR"

    outcome = run(identity_risk.user_risk_policy, mutated(or_operator))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "id") == ["ca-05"]
    assert "high user risk" in outcome.summary


def test_high_risk_users_blocked_does_not_accept_password_change() -> None:
    outcome = run(identity_risk.high_risk_users_blocked, mutated(drop("ca-06")))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "id") == ["ca-05"]
    assert values(outcome.evidence, "gap") == ["grant control does not meet the requirement"]


def test_signin_risk_policy_needs_both_medium_and_high() -> None:
    def high_only(data: dict[str, Any]) -> None:
        by_id(data[CA], "ca-07")["conditions"]["signInRiskLevels"] = ["high"]

    outcome = run(identity_risk.signin_risk_policy, mutated(high_only))
    assert outcome.status is Status.FAIL
    assert "at medium sign-in risk" in outcome.summary


def test_signin_risk_policy_accepts_levels_split_across_policies() -> None:
    def split(data: dict[str, Any]) -> None:
        by_id(data[CA], "ca-07")["conditions"]["signInRiskLevels"] = ["medium"]

    outcome = run(identity_risk.signin_risk_policy, mutated(split))
    assert outcome.status is Status.PASS
    assert "CA07" in outcome.summary and "CA08" in outcome.summary


def test_high_risk_signins_blocked_fails_when_the_block_is_report_only() -> None:
    outcome = run(
        identity_risk.high_risk_signins_blocked,
        mutated(lambda d: by_id(d[CA], "ca-08").update(state="enabledForReportingButNotEnforced")),
    )
    assert outcome.status is Status.FAIL
    assert "ca-08" in values(outcome.evidence, "id")
    assert "report-only, not enforced" in values(outcome.evidence, "gap")


def test_risk_checks_run_when_subscriptions_were_not_collected() -> None:
    outcome = run(identity_risk.high_risk_signins_blocked, mutated(lambda d: d.pop("subscribed_skus")))
    assert outcome.status is Status.PASS
