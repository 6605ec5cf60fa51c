"""What a check is: metadata next to a small, pure evaluation function (as in Prowler's catalogue).

A check reads a `TenantSnapshot` (what the collector gathered) and returns an `Outcome`. It never
does I/O. The runner, not the check, turns a source that could not be read into `error` (with the
reason, e.g. the missing permission) or `not_applicable` (the tenant lacks the licence), so a check
function only ever sees data that was actually collected and can never `pass` on missing data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a check status, not a password
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"
    MANUAL = "manual"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


FailureKind = Literal["not_licensed", "forbidden", "unavailable", "not_found"]


@dataclass(frozen=True)
class SourceFailure:
    """Why a source could not be read. `not_licensed` makes dependent checks not_applicable;
    every other kind makes them error."""

    kind: FailureKind
    reason: str
    code: str | None = None  # the service's error code, e.g. Graph's "Authorization_IdentityNotFound"


class SourceMissing(Exception):
    def __init__(self, source: str, failure: SourceFailure) -> None:
        super().__init__(f"{source}: {failure.reason}")
        self.source = source
        self.failure = failure


@dataclass
class TenantSnapshot:
    """Everything collected from one tenant in one scan, keyed by source name
    (`core.collect.sources`). Collections are lists of Graph objects; objects are dicts."""

    tenant_id: str
    collected_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    failures: dict[str, SourceFailure] = field(default_factory=dict)

    def get(self, source: str) -> Any:
        if source in self.data:
            return self.data[source]
        failure = self.failures.get(source) or SourceFailure("unavailable", f"{source} was not collected")
        raise SourceMissing(source, failure)

    def has(self, source: str) -> bool:
        return source in self.data


Evidence = Mapping[str, Any] | str


@dataclass(frozen=True)
class Outcome:
    status: Status
    summary: str
    evidence: tuple[Evidence, ...] = ()


def passed(summary: str, evidence: Sequence[Evidence] = ()) -> Outcome:
    return Outcome(Status.PASS, summary, tuple(evidence))


def failed(summary: str, evidence: Sequence[Evidence] = ()) -> Outcome:
    return Outcome(Status.FAIL, summary, tuple(evidence))


def not_applicable(why: str) -> Outcome:
    return Outcome(Status.NOT_APPLICABLE, why)


def manual(why: str, evidence: Sequence[Evidence] = ()) -> Outcome:
    return Outcome(Status.MANUAL, why, tuple(evidence))


def error(reason: str) -> Outcome:
    return Outcome(Status.ERROR, reason)


@dataclass(frozen=True)
class CheckMetadata:
    id: str  # stable, dotted: "entra.legacy_auth_blocked"
    title: str
    category: str  # one of CATEGORIES
    severity: Severity
    rationale: str
    remediation: str  # numbered steps an admin can follow
    sources: tuple[str, ...]  # snapshot sources the check reads
    permissions: tuple[str, ...]  # Graph / Exchange application permissions needed
    licence: str | None = None  # service plan needed (e.g. "AAD_PREMIUM"), None if any tenant
    # CIS and SCuBA ids are not metadata: core/frameworks/*.json maps controls to checks.
    references: tuple[str, ...] = ()  # documentation URLs


CATEGORIES = (
    "Identity",
    "Authentication methods",
    "Privileged access",
    "Applications",
    "Guests and external access",
    "Passwords",
    "Exchange Online",
    "SharePoint and OneDrive",
    "Email authentication (DNS)",
    "Monitoring",
)

Evaluate = Callable[[TenantSnapshot], Outcome]


@dataclass(frozen=True)
class Check:
    metadata: CheckMetadata
    evaluate: Evaluate

    @property
    def id(self) -> str:
        return self.metadata.id


def run_check(check: Check, snapshot: TenantSnapshot) -> Outcome:
    """Evaluate one check; unreadable sources become error/not_applicable, never pass."""
    for source in check.metadata.sources:
        if not snapshot.has(source):
            failure = snapshot.failures.get(source) or SourceFailure(
                "unavailable", f"{source} was not collected"
            )
            if failure.kind == "not_licensed":
                return not_applicable(f"not licensed: {failure.reason}")
            return error(f"could not read {source}: {failure.reason}")
    try:
        return check.evaluate(snapshot)
    except SourceMissing as exc:  # an optional source the check reads beyond its declared ones
        if exc.failure.kind == "not_licensed":
            return not_applicable(f"not licensed: {exc.failure.reason}")
        return error(f"could not read {exc.source}: {exc.failure.reason}")
