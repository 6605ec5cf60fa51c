"""The document id rule at the store boundary: every id the code builds passes, and nothing that
could change the Cosmos REST path (`/`, `\\`, `?`, `#`, a `.` or `..` segment, their percent-encoded
forms, control characters) ever reaches the SDK."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime

import pytest

from core.branding import BrandingScope
from core.checks.catalogue import CATALOGUE
from core.scan.requests import scheduled_request_id
from core.store import InvalidId
from core.store.documents import (
    FLEET_BRANDING_ID,
    FLEET_VERSION_ID,
    LEASE_ID,
    ORG_DOCUMENT_ID,
    PENDING_ID,
    PLAN_ID,
    customer_document_id,
    finding_id,
    principal_document_id,
    scan_document_id,
    usage_id,
)
from core.store.repository import MAX_ID_BYTES, check_document_id

GUID = str(uuid.uuid4())
HEX = hashlib.sha256(b"secret").hexdigest()

# Every id format the code spells (by its own function where there is one).
VALID = [
    principal_document_id(GUID),
    f"member:{GUID}:{GUID}:org",
    f"member:{GUID}:{GUID}:{GUID}",
    f"apikey:{uuid.uuid4().hex}",
    f"consent:{HEX}",
    f"invitation:{HEX}",
    f"webhook:{uuid.uuid4().hex}",
    f"evt_{uuid.uuid4().hex}",
    f"webhook-delivery:evt_{uuid.uuid4().hex}:{uuid.uuid4().hex}:3",
    f"report:manual-20250101120000-{'ab' * 3}",
    f"delivery:{date(2025, 1, 6).isoformat()}",
    f"audit:{datetime.now(UTC):%Y%m%dT%H%M%S%f}:{uuid.uuid4().hex[:8]}",
    scan_document_id(scheduled_request_id(datetime.now(UTC))),
    scan_document_id(f"consent-{HEX[:16]}"),
    customer_document_id(GUID),
    usage_id(GUID, date(2025, 1, 6)),
    BrandingScope("msp-a", GUID).document_id,
    *(finding_id(check.id) for check in CATALOGUE),
    ORG_DOCUMENT_ID,
    FLEET_BRANDING_ID,
    FLEET_VERSION_ID,
    PLAN_ID,
    PENDING_ID,
    LEASE_ID,
    "a..b",  # dots inside a name are not a path segment
    "x" * MAX_ID_BYTES,
]

INVALID = [
    f"principal:x/../principal:{GUID}",  # the traversal that read another person's memberships
    f"apikey:x/../apikey:{uuid.uuid4().hex}",
    "principal:victim/",
    "a\\b",
    "principal:x\\..\\principal:y",
    "principal:victim?x",
    "principal:victim#x",
    "..",  # the container itself
    ".",  # every document of the container
    "",
    "principal:x%2F..%2Fprincipal:y",
    "%2e%2e",
    "%2E",
    "a%5Cb",
    "a%3Fb",
    "a%23b",
    "line\nbreak",
    "nul\x00",
    "x" * (MAX_ID_BYTES + 1),
    "é" * (MAX_ID_BYTES // 2 + 1),  # over the limit in bytes, not in characters
]


@pytest.mark.parametrize("item_id", VALID)
def test_every_id_the_code_builds_passes(item_id: str) -> None:
    assert check_document_id(item_id) == item_id


@pytest.mark.parametrize("item_id", INVALID, ids=repr)
def test_ids_that_could_change_the_request_path_are_refused(item_id: str) -> None:
    with pytest.raises(InvalidId, match="id"):
        check_document_id(item_id)


def test_an_id_that_is_not_a_string_is_refused() -> None:
    for wrong in (None, 42, ["a"]):
        with pytest.raises(InvalidId):
            check_document_id(wrong)  # type: ignore[arg-type]
