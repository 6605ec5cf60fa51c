"""SharePoint and OneDrive tenant settings checks."""

from __future__ import annotations

from typing import Any

import pytest

from core.checks import sharepoint
from core.checks.model import Status
from tests.unit.checks.support import mutated, run

SP = "sharepoint_settings"


def settings(**changes: Any) -> dict[str, Any]:
    return mutated(lambda d: d[SP].update(changes))


def test_anyone_links_disabled_fails_for_anyone_sharing() -> None:
    outcome = run(sharepoint.anyone_links_disabled, settings(sharingCapability="externalUserAndGuestSharing"))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"sharingCapability": "externalUserAndGuestSharing"},)


def test_anyone_links_disabled_accepts_new_and_existing_guests() -> None:
    outcome = run(sharepoint.anyone_links_disabled, settings(sharingCapability="externalUserSharingOnly"))
    assert outcome.status is Status.PASS


def test_anyone_links_disabled_never_passes_without_a_sharing_level() -> None:
    outcome = run(sharepoint.anyone_links_disabled, mutated(lambda d: d[SP].pop("sharingCapability")))
    assert outcome.status is Status.ERROR


@pytest.mark.parametrize("level", ["externalUserSharingOnly", "externalUserAndGuestSharing"])
def test_external_sharing_limited_fails_for_new_guests_or_anyone(level: str) -> None:
    outcome = run(sharepoint.external_sharing_limited, settings(sharingCapability=level))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"sharingCapability": level},)


def test_sharing_domains_restricted_fails_without_a_list_and_accepts_a_block_list() -> None:
    outcome = run(sharepoint.sharing_domains_restricted, settings(sharingDomainRestrictionMode="none"))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == (
        {"sharingDomainRestrictionMode": "none", "allowedDomains": 2, "blockedDomains": 0},
    )
    block = settings(sharingDomainRestrictionMode="blockList", sharingBlockedDomainList=["gmail.com"])
    assert run(sharepoint.sharing_domains_restricted, block).status is Status.PASS


def test_sharing_domains_restricted_is_not_applicable_when_sharing_is_off() -> None:
    outcome = run(
        sharepoint.sharing_domains_restricted,
        settings(sharingCapability="disabled", sharingDomainRestrictionMode="none"),
    )
    assert outcome.status is Status.NOT_APPLICABLE


def test_guest_resharing_disabled_fails_when_guests_can_reshare() -> None:
    outcome = run(sharepoint.guest_resharing_disabled, settings(isResharingByExternalUsersEnabled=True))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"isResharingByExternalUsersEnabled": True},)


def test_legacy_auth_disabled_fails_when_legacy_protocols_are_allowed() -> None:
    outcome = run(sharepoint.legacy_auth_disabled, settings(isLegacyAuthProtocolsEnabled=True))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"isLegacyAuthProtocolsEnabled": True},)


def test_sync_restricted_to_managed_devices_needs_the_flag_and_domains() -> None:
    outcome = run(sharepoint.sync_restricted_to_managed_devices, settings(allowedDomainGuidsForSyncApp=[]))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"isUnmanagedSyncAppForTenantRestricted": True, "allowedDomains": 0},)


def test_guest_must_match_invitation_fails_unless_sharing_is_off() -> None:
    outcome = run(
        sharepoint.guest_must_match_invitation,
        settings(isRequireAcceptingUserToMatchInvitedUserEnabled=False),
    )
    assert outcome.status is Status.FAIL
    off = settings(isRequireAcceptingUserToMatchInvitedUserEnabled=False, sharingCapability="disabled")
    assert run(sharepoint.guest_must_match_invitation, off).status is Status.PASS
