"""The view of a snapshot still being collected (core.scan.early.CollectedSoFar)."""

from __future__ import annotations

import pytest

from core.checks.model import SourceFailure, TenantSnapshot
from core.collect.sources import TEAMS_SOURCES
from core.scan.early import CollectedSoFar, NotYetCollected
from tests.unit.checks.support import NOW

FAILED = SourceFailure("forbidden", "Policy.Read.All missing")


TEAMS_READ: dict[str, object] = {source.name: {} for source in TEAMS_SOURCES}


def _view(**data: object) -> CollectedSoFar:
    read = {"subscribed_skus": [], **TEAMS_READ, **data}
    snapshot = TenantSnapshot("t", NOW, data=read, failures={"policies": FAILED})
    view = CollectedSoFar.of(snapshot)
    assert view is not None
    return view


def test_a_source_read_or_failed_is_there_to_read() -> None:
    view = _view(users=[{"id": "a"}])
    assert view.get("users") == [{"id": "a"}] and view.has("users")
    assert not view.has("policies") and view.failures.get("policies") == FAILED
    assert view.derived("ids", "users", lambda users: len(users)) == 1


@pytest.mark.parametrize(
    "read",
    [
        lambda v: v.get("user_sign_ins"),
        lambda v: v.has("user_sign_ins"),
        lambda v: v.failures.get("user_sign_ins"),
        lambda v: v.derived("x", "user_sign_ins", len),
    ],
)
def test_a_source_still_being_read_is_refused_however_it_is_asked_for(read: object) -> None:
    with pytest.raises(NotYetCollected):
        read(_view())  # type: ignore[operator]


def test_nothing_is_evaluated_early_before_the_subscriptions_or_teams_are_read() -> None:
    assert CollectedSoFar.of(TenantSnapshot("t", NOW, data={"users": [], **TEAMS_READ})) is None
    # The Teams reads' failures are settled from the subscriptions, so they must be in first.
    assert CollectedSoFar.of(TenantSnapshot("t", NOW, data={"subscribed_skus": []})) is None


def test_a_source_landing_later_is_readable_then() -> None:
    view = _view()
    with pytest.raises(NotYetCollected):
        view.get("users")
    view.data["users"] = []  # the same data the collector writes into
    assert view.get("users") == []
