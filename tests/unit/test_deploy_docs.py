"""The deployment guide's permission list is the catalogue's, and its ids are Microsoft's (as the
Graph simulator, which enforces them, knows them)."""

from __future__ import annotations

import re
from pathlib import Path

from core.checks.catalogue import CATALOGUE
from core.collect.sources import SHAREPOINT_ONLINE_APP_ID
from core.permissions import (
    APP_ROLE_IDS,
    MAILER_PERMISSION,
    OPTIONAL_PERMISSIONS,
    permissions_markdown,
    required_resource_access,
    scanner_permissions,
)
from devtools.graphsim.catalog import EXCHANGE_APP_ID, GRAPH_APP_ROLE, ROLE

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def test_the_guide_lists_exactly_the_generated_permissions() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    embedded = re.search(r"<!-- permissions:start -->\n(.*?)\n<!-- permissions:end -->", text, re.S)
    assert embedded, "docs/deploy.md lost its permission markers"
    assert embedded.group(1) == permissions_markdown(), "run `scanposture permissions` and paste the table"


def test_every_permission_a_check_needs_is_requested() -> None:
    requested = {p.name for p in scanner_permissions()}
    needed = {name for check in CATALOGUE for name in check.metadata.permissions}
    assert needed <= requested
    # Read-only: nothing that can change a customer's tenant, but for the optional SharePoint one.
    assert not any("Write" in name for name in requested)
    assert (
        {p.name for p in scanner_permissions() if p.optional}
        == OPTIONAL_PERMISSIONS
        == {"Sites.FullControl.All"}
    )


def test_the_optional_permission_is_requested_only_when_asked_for() -> None:
    def roles(optional: bool) -> dict[str, list[object]]:
        return {
            str(a["resourceAppId"]): list(a["resourceAccess"])
            for a in required_resource_access(optional=optional)
        }  # type: ignore[call-overload]

    assert SHAREPOINT_ONLINE_APP_ID not in roles(False)
    assert roles(True)[SHAREPOINT_ONLINE_APP_ID] == [
        {"id": "678536fe-1083-478a-9c59-b99265e6b0d3", "type": "Role"}
    ]
    assert "**optional, can change settings**" in permissions_markdown()


def test_permission_ids_match_the_graph_app_roles() -> None:
    for permission in scanner_permissions():
        if permission.api_app_id == EXCHANGE_APP_ID:
            assert permission.name == "Exchange.ManageAsApp"
        elif permission.api_app_id == SHAREPOINT_ONLINE_APP_ID:
            assert permission.optional and permission.api == "Office 365 SharePoint Online"
        else:
            assert GRAPH_APP_ROLE[permission.name] == permission.role_id, permission.name
    assert APP_ROLE_IDS[MAILER_PERMISSION] == GRAPH_APP_ROLE["Mail.Send"]


def test_the_guide_names_the_global_reader_role_by_its_template_id() -> None:
    assert ROLE["Global Reader"] in GUIDE.read_text(encoding="utf-8")
