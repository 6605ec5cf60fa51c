"""The body of a message on the scan queue (core.messages.SCAN_REQUESTS)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ScanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    org_id: str = Field(alias="orgId", min_length=1, max_length=64)
    tenant_id: str = Field(alias="tenantId", min_length=1, max_length=64)
    # The relationship the scan is for; a message that outlived it is dropped, not scanned into
    # a relationship added later for the same tenant. Absent in messages queued by older versions.
    customer_id: str | None = Field(default=None, alias="customerId", pattern=r"^[A-Za-z0-9-]{1,64}$")
    # Idempotency key, unique within the tenant: a redelivered message carries the same one, so it
    # yields one scan. It becomes the scan's id (and the report's blob name), hence the pattern.
    request_id: str = Field(alias="requestId", pattern=r"^[A-Za-z0-9._-]{1,80}$")
    reason: Literal["schedule", "manual", "consent"] = "schedule"

    def to_message(self) -> dict[str, str]:
        return self.model_dump(by_alias=True, exclude_none=True)


def scheduled_request_id(now: datetime) -> str:
    """One id per tenant per hour: the hourly timer firing twice enqueues a duplicate, not a scan."""
    return now.strftime("sched-%Y%m%d%H")


def parse_scan_request(text: str) -> ScanRequest:
    """Raise ValueError naming what is wrong with a malformed message."""
    from core.messages import parse_message

    return parse_message(ScanRequest, text)
