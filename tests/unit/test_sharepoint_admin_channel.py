"""The SharePoint admin channel's pure parts: the host from the initial domain, the answers it refuses
to judge, and the refusals in words."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError

from core.checks.model import TenantSnapshot
from core.collect.failures import SourceError
from core.collect.sharepoint_admin import (
    admin_base_url,
    admin_prefix,
    admin_resource,
    classify_answer,
    collect_sharepoint_admin,
    settings_body,
    token_failure,
)
from core.collect.sources import SHAREPOINT, SHAREPOINT_ADMIN_SOURCES
from core.collect.unreadable import explain
from core.settings import Settings

SOURCE = SHAREPOINT_ADMIN_SOURCES[0]


def organization(*domains: tuple[str, bool, bool], name: str = "Contoso Dental") -> list[dict[str, Any]]:
    verified = [{"name": n, "isDefault": default, "isInitial": initial} for n, default, initial in domains]
    return [{"id": "t", "displayName": name, "verifiedDomains": verified}]


def test_the_host_comes_from_the_initial_domain_never_the_default_or_the_name() -> None:
    org = organization(
        ("contoso-dental.example", True, False),
        ("ContosoDental.onmicrosoft.com", False, True),
        ("contosodentalltd.onmicrosoft.com", False, False),  # a second onmicrosoft domain, not initial
        name="Fabrikam",
    )
    prefix = admin_prefix(org)
    assert prefix == "contosodental"
    assert admin_resource(prefix) == "https://contosodental-admin.sharepoint.com"
    assert admin_base_url("https://{tenant}-admin.sharepoint.com", prefix) == admin_resource(prefix)
    simulated = admin_base_url("https://127.0.0.1:9/sharepoint/{tenant}-admin.sharepoint.com/", prefix)
    assert simulated == "https://127.0.0.1:9/sharepoint/contosodental-admin.sharepoint.com"


@pytest.mark.parametrize(
    "org",
    [
        organization(("contoso.example", True, False)),
        organization(("contoso.example", True, True)),  # an initial domain that is not onmicrosoft.com
        [],
        [{"id": "t"}],
    ],
)
def test_no_host_is_guessed_without_an_initial_onmicrosoft_domain(org: Any) -> None:
    with pytest.raises(SourceError) as raised:
        admin_prefix(org)
    assert raised.value.failure.kind == "unavailable"


def test_the_verbose_envelope_and_its_metadata_are_taken_off() -> None:
    body = {
        "d": {
            "__metadata": {"type": "Microsoft.Online.SharePoint.TenantAdministration.Tenant"},
            "SharingCapability": 0,
        }
    }
    assert settings_body(body, SOURCE) == {"SharingCapability": 0}
    assert settings_body({"SharingCapability": 3}, SOURCE) == {"SharingCapability": 3}


@pytest.mark.parametrize("body", [{"d": {}}, {"d": []}, [], None, {"value": [{"SharingCapability": 0}]}])
def test_an_answer_without_the_sharing_level_is_not_settings(body: Any) -> None:
    with pytest.raises(SourceError) as raised:
        settings_body(body, SOURCE)
    assert raised.value.failure.kind == "unavailable"


def test_a_token_from_a_secret_is_named_as_such() -> None:
    failure = classify_answer(401, {"error_description": "Unsupported app only token."}, SOURCE)
    assert failure.kind == "forbidden"
    assert "certificate" in failure.reason and "client secret" in failure.reason
    assert "certificate" in explain(SOURCE.name, failure.reason).sentence


def test_access_denied_names_the_permission() -> None:
    body = {
        "error": {
            "code": "-2147024891, System.UnauthorizedAccessException",
            "message": {"lang": "en-US", "value": "Access denied."},
        }
    }
    failure = classify_answer(403, body, SOURCE)
    assert failure.kind == "forbidden"
    assert "Sites.FullControl.All" in failure.reason and "Access denied." in failure.reason
    assert explain(SOURCE.name, failure.reason).sentence == (
        "The SharePoint admin API could not be read: the app lacks permission Sites.FullControl.All."
    )


@pytest.mark.parametrize(("status", "kind"), [(404, "not_found"), (429, "unavailable"), (503, "unavailable")])
def test_other_answers_are_unavailable_or_not_found(status: int, kind: str) -> None:
    failure = classify_answer(status, b"<html>", SOURCE)
    assert failure.kind == kind
    assert f"HTTP {status}" in failure.reason


def test_entra_not_knowing_the_host_is_a_licence_claim_for_the_subscriptions_to_settle() -> None:
    refused = ClientAuthenticationError(
        "AADSTS500011: The resource principal named https://x-admin.sharepoint.com was not found"
    )
    failure = token_failure(refused, "x", SOURCE)
    assert (failure.kind, failure.code, failure.plan) == ("not_licensed", "AADSTS500011", SHAREPOINT)
    other = token_failure(ClientAuthenticationError("AADSTS7000215: Invalid client secret"), "x", SOURCE)
    assert other.kind == "forbidden" and other.code == "AADSTS7000215"


async def test_an_unread_organization_fails_the_sharepoint_sources_with_its_reason() -> None:
    snapshot = TenantSnapshot("t", datetime.now(UTC))
    from core.checks.model import SourceFailure

    snapshot.failures["organization"] = SourceFailure("forbidden", "permission Organization.Read.All missing")
    await collect_sharepoint_admin(None, Settings(), snapshot)  # type: ignore[arg-type]
    failure = snapshot.failures[SOURCE.name]
    assert failure.kind == "unavailable" and "Organization.Read.All" in failure.reason
