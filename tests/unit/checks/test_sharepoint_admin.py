"""SharePoint and OneDrive checks read from the SharePoint admin API (spo_tenant)."""

from __future__ import annotations

from typing import Any

import pytest

from core.checks import sharepoint_admin, sharepoint_content
from core.checks.model import Check, SourceFailure, Status, TenantSnapshot, run_check
from core.collect.sources import SHAREPOINT
from tests.unit.checks.support import NOW, good_data, mutated, run

SPO = "spo_tenant"
CHECKS: tuple[Check, ...] = (*sharepoint_admin.CHECKS, *sharepoint_content.CHECKS)
MISSING = SourceFailure(
    "forbidden", "permission Sites.FullControl.All missing or not granted on Office 365 SharePoint Online"
)
NO_SHAREPOINT = SourceFailure("not_licensed", "Entra knows no SharePoint here", "AADSTS500011", SHAREPOINT)


def tenant(**changes: Any) -> dict[str, Any]:
    return mutated(lambda d: d[SPO].update(changes))


def anyone(**changes: Any) -> dict[str, Any]:
    return tenant(SharingCapability=2, **changes)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_the_good_tenant_passes(check: Check) -> None:
    assert run(check).status is Status.PASS


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_without_the_permission_every_check_is_an_error_naming_it(check: Check) -> None:
    outcome = run(check, None, **{SPO: MISSING})
    assert outcome.status is Status.ERROR
    assert "Sites.FullControl.All" in outcome.summary


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_a_tenant_without_sharepoint_is_not_applicable(check: Check) -> None:
    assert run(check, None, **{SPO: NO_SHAREPOINT}).status is Status.NOT_APPLICABLE


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_a_licensed_tenant_whose_host_entra_does_not_know_is_an_error(check: Check) -> None:
    # The same refusal, for a tenant that holds SharePoint (a renamed domain, say): never N/A.
    data = good_data()
    data.pop(SPO)
    snapshot = TenantSnapshot("tenant-1", NOW, data, {SPO: NO_SHAREPOINT})
    outcome = run_check(check, snapshot)
    assert outcome.status is Status.ERROR
    assert "renamed" in outcome.summary


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_an_answer_without_the_sharing_level_is_never_judged(check: Check) -> None:
    outcome = run(check, mutated(lambda d: d[SPO].pop("SharingCapability")))
    assert outcome.status is Status.ERROR


def test_onedrive_sharing_fails_for_new_guests_and_anyone() -> None:
    outcome = run(sharepoint_admin.onedrive_sharing_limited, tenant(OneDriveSharingCapability=2))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"OneDriveSharingCapability": "ExternalUserAndGuestSharing"},)
    assert (
        run(sharepoint_admin.onedrive_sharing_limited, tenant(OneDriveSharingCapability=1)).status
        is Status.FAIL
    )
    assert (
        run(sharepoint_admin.onedrive_sharing_limited, tenant(OneDriveSharingCapability=0)).status
        is Status.PASS
    )


def test_names_as_get_spotenant_prints_them_read_like_numbers() -> None:
    named = tenant(OneDriveSharingCapability="ExternalUserSharingOnly", DefaultSharingLinkType="Direct")
    assert run(sharepoint_admin.onedrive_sharing_limited, named).status is Status.FAIL
    assert run(sharepoint_admin.default_link_specific_people, named).status is Status.PASS


@pytest.mark.parametrize("value", [None, 7, "Somewhere", True])
def test_an_unknown_enumeration_value_is_an_error(value: object) -> None:
    outcome = run(sharepoint_admin.onedrive_sharing_limited, tenant(OneDriveSharingCapability=value))
    assert outcome.status is Status.ERROR
    assert "OneDriveSharingCapability" in outcome.summary


@pytest.mark.parametrize(("link", "name"), [(2, "Internal"), (3, "AnonymousAccess"), (0, "None")])
def test_default_link_specific_people_fails_for_wider_links(link: int, name: str) -> None:
    outcome = run(sharepoint_admin.default_link_specific_people, tenant(DefaultSharingLinkType=link))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"DefaultSharingLinkType": name},)


def test_default_link_view_only_fails_for_edit() -> None:
    outcome = run(sharepoint_admin.default_link_view_only, tenant(DefaultLinkPermission=2))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"DefaultLinkPermission": "Edit"},)


def test_anyone_link_checks_pass_when_anyone_links_are_off_whatever_their_settings() -> None:
    loose = tenant(RequireAnonymousLinksExpireInDays=0, FileAnonymousLinkType=2, FolderAnonymousLinkType=2)
    assert run(sharepoint_admin.anyone_links_expire, loose).status is Status.PASS
    assert run(sharepoint_admin.anyone_links_view_only, loose).status is Status.PASS


@pytest.mark.parametrize(
    ("days", "status"), [(-1, Status.FAIL), (0, Status.FAIL), (31, Status.FAIL), (30, Status.PASS)]
)
def test_anyone_links_expire_within_30_days(days: int, status: Status) -> None:
    outcome = run(sharepoint_admin.anyone_links_expire, anyone(RequireAnonymousLinksExpireInDays=days))
    assert outcome.status is status
    if status is Status.FAIL:
        assert outcome.evidence == ({"RequireAnonymousLinksExpireInDays": days},)


def test_anyone_links_expire_is_an_error_without_a_number() -> None:
    outcome = run(sharepoint_admin.anyone_links_expire, anyone(RequireAnonymousLinksExpireInDays="30"))
    assert outcome.status is Status.ERROR


def test_anyone_links_view_only_names_what_can_edit() -> None:
    outcome = run(sharepoint_admin.anyone_links_view_only, anyone(FolderAnonymousLinkType=2))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"FolderAnonymousLinkType": "Edit"},)
    assert run(sharepoint_admin.anyone_links_view_only, anyone()).status is Status.PASS


@pytest.mark.parametrize(
    ("required", "days", "status"),
    [(False, 30, Status.FAIL), (True, 60, Status.FAIL), (True, 0, Status.FAIL), (True, 14, Status.PASS)],
)
def test_guest_access_expires(required: bool, days: int, status: Status) -> None:
    data = tenant(ExternalUserExpirationRequired=required, ExternalUserExpireInDays=days)
    assert run(sharepoint_admin.guest_access_expires, data).status is status


def test_guest_access_expires_is_an_error_without_a_flag() -> None:
    data = mutated(lambda d: d[SPO].pop("ExternalUserExpirationRequired"))
    outcome = run(sharepoint_admin.guest_access_expires, data)
    assert outcome.status is Status.ERROR
    assert "ExternalUserExpirationRequired" in outcome.summary


@pytest.mark.parametrize(
    ("required", "days", "status"),
    [(False, 15, Status.FAIL), (True, 30, Status.FAIL), (True, 16, Status.FAIL), (True, 7, Status.PASS)],
)
def test_verification_code_reauth_within_15_days(required: bool, days: int, status: Status) -> None:
    data = tenant(EmailAttestationRequired=required, EmailAttestationReAuthDays=days)
    outcome = run(sharepoint_admin.verification_code_reauth, data)
    assert outcome.status is status
    if status is Status.FAIL:
        assert outcome.evidence == (
            {"EmailAttestationRequired": required, "EmailAttestationReAuthDays": days},
        )


@pytest.mark.parametrize(
    ("check", "key", "bad"),
    [
        (sharepoint_content.infected_files_blocked, "DisallowInfectedFileDownload", False),
        (sharepoint_content.custom_script_enforced, "DelayDenyAddAndCustomizePagesEnforcement", True),
        (sharepoint_content.b2b_integration_enabled, "EnableAzureADB2BIntegration", False),
    ],
    ids=lambda v: v.id if isinstance(v, Check) else str(v),
)
def test_flag_checks_fail_on_the_wrong_value_and_never_pass_without_one(
    check: Check, key: str, bad: bool
) -> None:
    outcome = run(check, tenant(**{key: bad}))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({key: bad},)
    assert run(check, tenant(**{key: None})).status is Status.ERROR
    assert run(check, mutated(lambda d: d[SPO].pop(key))).status is Status.ERROR


def test_metadata_names_the_optional_permission_and_the_plan() -> None:
    for check in CHECKS:
        assert check.metadata.permissions == ("Sites.FullControl.All",)
        assert check.metadata.licence == SHAREPOINT
        assert check.metadata.category == "SharePoint and OneDrive"
        assert "Set-SPO" in check.metadata.remediation
