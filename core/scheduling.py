"""Scan scheduling: which tenants are due, and handling one scan request from the queue."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.bootstrap import Services

log = logging.getLogger(__name__)


class ScanRequest(BaseModel):
    """The body of a message on the scan queue."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    org_id: str = Field(alias="orgId", min_length=1)
    tenant_id: str = Field(alias="tenantId", min_length=1)
    reason: str = "schedule"


@dataclass(frozen=True)
class EnqueueResult:
    due: int
    enqueued: int


def parse_scan_request(text: str) -> ScanRequest:
    """Raise ValueError naming what is wrong with a malformed message."""
    try:
        return ScanRequest.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise ValueError(problems) from exc


async def enqueue_due_scans(services: Services) -> EnqueueResult:
    """Enqueue one scan request per connected tenant that is due. Customers arrive with the
    onboarding issue; until then there is nothing due."""
    return EnqueueResult(due=0, enqueued=0)


async def handle_scan_request(services: Services, text: str) -> str:
    try:
        request = parse_scan_request(text)
    except ValueError as exc:
        # Retrying cannot fix a malformed message: park it at once instead of failing five times.
        log.warning("malformed scan request sent to the poison queue: %s", exc)
        await services.scan_queue.send_to_poison(text, f"malformed scan request: {exc}")
        return f"rejected: {exc}"
    return f"accepted tenant {request.tenant_id}"
