"""Access reviews of guests (CIS 5.3.2) and of the Global Administrator role (CIS 5.3.3)."""

from __future__ import annotations

from typing import Any

import pytest

from core.checks import access_reviews
from core.checks.model import Check, SourceFailure, Status
from tests.unit.checks.support import mutated, run

REVIEWS = "access_reviews"
BOTH = [access_reviews.access_reviews_guests, access_reviews.access_reviews_privileged_roles]


def test_running_recurring_reviews_pass() -> None:
    guests = run(access_reviews.access_reviews_guests)
    assert guests.status is Status.PASS
    assert guests.summary == "1 recurring access review of guest users: Monthly guest review."
    roles = run(access_reviews.access_reviews_privileged_roles)
    assert roles.status is Status.PASS
    assert "Quarterly Global Administrator review" in roles.summary


@pytest.mark.parametrize("check", BOTH, ids=lambda c: c.id)
def test_a_finished_or_one_time_review_does_not_count(check: Check) -> None:
    def finished(data: dict[str, Any]) -> None:
        data[REVIEWS][0]["status"] = "Completed"
        data[REVIEWS][1]["settings"]["recurrence"] = None

    outcome = run(check, mutated(finished))
    assert outcome.status is Status.FAIL
    assert "finished or does not recur" in outcome.summary


@pytest.mark.parametrize("check", BOTH, ids=lambda c: c.id)
def test_no_reviews_fail(check: Check) -> None:
    outcome = run(check, mutated(lambda d: d.update({REVIEWS: []})))
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("No access review of")


def test_a_review_of_another_role_does_not_cover_global_administrator() -> None:
    def exchange_only(data: dict[str, Any]) -> None:
        scope = data[REVIEWS][1]["scope"]["resourceScopes"][0]
        scope["query"] = "/roleManagement/directory/roleDefinitions/29232cdf-9323-42fd-ade2-1d097af3e4de"

    assert run(access_reviews.access_reviews_privileged_roles, mutated(exchange_only)).status is Status.FAIL


@pytest.mark.parametrize("check", BOTH, ids=lambda c: c.id)
def test_without_p2_not_applicable_and_refused_an_error(check: Check) -> None:
    refusal = SourceFailure("not_licensed", "Entra ID P2 required", plan="AAD_PREMIUM_P2")
    assert run(check, access_reviews=refusal).status is Status.NOT_APPLICABLE
    outcome = run(check, access_reviews=SourceFailure("forbidden", "AccessReview.Read.All missing"))
    assert outcome.status is Status.ERROR
    assert "AccessReview.Read.All missing" in outcome.summary
