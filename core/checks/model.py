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
from typing import Any, Literal, TypeVar

from core.checks.licensing import SUBSCRIBED_SKUS, holds_plan


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


T = TypeVar("T")

FailureKind = Literal["not_licensed", "forbidden", "unavailable", "not_found"]


@dataclass(frozen=True)
class SourceFailure:
    """Why a source could not be read. `not_licensed` (a documented licence refusal, for a plan the
    tenant's own subscriptions lack: see `settle_licence`) makes dependent checks not_applicable;
    every other kind makes them error."""

    kind: FailureKind
    reason: str
    code: str | None = None  # the service's error code, e.g. Graph's "Authorization_IdentityNotFound"
    plan: str | None = None  # for a licence refusal: the service plan the source needs


def settle_licence(failure: SourceFailure, skus: list[Any] | None, skus_failure: str | None) -> SourceFailure:
    """A licence refusal stands only when the tenant's subscriptions (`skus`, None when they could
    not be read) lack the plan; otherwise it is an error that says why it could not be trusted.
    Idempotent: a refusal that stands is returned unchanged, one that does not is no longer one."""
    if failure.kind != "not_licensed":
        return failure
    # Who answered so: Exchange (an unknown cmdlet), Entra (no SharePoint resource, core.collect.
    # sharepoint_admin) or Graph (its licence codes).
    service = {"CommandNotFound": "Exchange Online", "AADSTS500011": "Entra"}.get(failure.code or "", "Graph")
    said = f"{service} answered as if the tenant were not licensed ({failure.reason})"
    if failure.plan is None:
        return SourceFailure("unavailable", f"{said}, for a source no licence is known to gate", failure.code)
    if skus is None:
        why = skus_failure or "subscribedSkus was not collected"
        return SourceFailure(
            "unavailable",
            f"{said}, and the tenant's subscriptions could not be read to confirm it: {why}",
            failure.code,
        )
    if holds_plan(skus, failure.plan):
        # Graph's licence check itself reads the directory: without Directory.Read.All it is known to
        # refuse licensed tenants (microsoftgraph/microsoft-graph-docs#12537, #2789).
        why = {
            "Exchange Online": "the cmdlet may not be provisioned yet, or the app's Exchange role "
            "does not include it",
            "Entra": "its SharePoint domain may have been renamed away from the initial domain's name",
        }.get(service, "Graph answers this way when the app lacks Directory.Read.All, or transiently")
        return SourceFailure(
            "unavailable",
            f"{said}, but its subscriptions include an active {failure.plan} plan; {why}",
            failure.code,
        )
    return failure


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
    # Indexes many checks build from one source (users by id), each kept with the object it was
    # built from, and the failures as last settled: 149 checks read one snapshot.
    _derived: dict[str, tuple[Any, Any]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _settled: tuple[Any, tuple[tuple[str, SourceFailure], ...]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def derived(self, name: str, source: str, build: Callable[[Any], T]) -> T:
        """`build(data of source)`, worked out once while that source's data stays the same object.
        Checks only read what it returns."""
        raw = self.data.get(source)
        held = self._derived.get(name)
        if held is not None and held[0] is raw:
            return held[1]
        value = build(raw)
        self._derived[name] = (raw, value)  # held, so its id cannot be reused
        return value

    def get(self, source: str) -> Any:
        if source in self.data:
            return self.data[source]
        failure = self.failures.get(source) or SourceFailure("unavailable", f"{source} was not collected")
        raise SourceMissing(source, failure)

    def has(self, source: str) -> bool:
        return source in self.data

    def settle_licences(self) -> None:
        """Decide every licence refusal from `subscribed_skus` (see `settle_licence`), in place, so
        checks that look at `failures` directly see the decided kind too."""
        raw = self.data.get(SUBSCRIBED_SKUS)
        settled = self._settled
        if settled is not None and settled[0] is raw and settled[1] == tuple(self.failures.items()):
            return  # settling again would change nothing: every check's run calls this
        skus = raw if isinstance(raw, list) else None
        unread = self.failures.get(SUBSCRIBED_SKUS)
        why = unread.reason if unread else None if raw is None else "subscribedSkus was not a list"
        for name, failure in list(self.failures.items()):
            self.failures[name] = settle_licence(failure, skus, why)
        self._settled = (raw, tuple(self.failures.items()))


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
    "Defender for Office 365",
    "SharePoint and OneDrive",
    "Microsoft Teams",
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


def _unreadable(source: str, failure: SourceFailure) -> Outcome:
    if failure.kind == "not_licensed":
        return not_applicable(
            f"not licensed: the tenant's subscriptions have no active {failure.plan} plan ({failure.reason})"
        )
    return error(f"could not read {source}: {failure.reason}")


def run_check(check: Check, snapshot: TenantSnapshot) -> Outcome:
    """Evaluate one check; unreadable sources become error/not_applicable, never pass."""
    snapshot.settle_licences()  # cheap and idempotent; callers need not remember to
    for source in check.metadata.sources:
        if not snapshot.has(source):
            failure = snapshot.failures.get(source) or SourceFailure(
                "unavailable", f"{source} was not collected"
            )
            return _unreadable(source, failure)
    try:
        return check.evaluate(snapshot)
    except SourceMissing as exc:  # an optional source the check reads beyond its declared ones
        return _unreadable(exc.source, exc.failure)
