"""Change attribution: when a check regresses (it passed before and fails now), who changed what
and when, read from Entra's directory audit log between the two scans.

Everything here is pure: the audit entries come in through `core.ports.TenantConnector.
directory_changes` as a `ChangeLog` (entries, or an honest "unreadable: why"), and `attribute`
turns them into the `Attribution` stored on the finding, shown in the webhook and the summary.

Facts relied on (Microsoft Learn, "directoryAudit resource type" and "List directoryAudits"):
- `activityDateTime` supports $filter ge/le, `category` names the resource category
  (UserManagement, GroupManagement, ApplicationManagement, RoleManagement, Policy,
  DirectoryManagement, ... as listed in "Microsoft Entra audit log categories and activities").
- A Conditional Access change is recorded as "Update conditional access policy" (category Policy)
  whose one modified property, ConditionalAccessPolicy, holds the whole policy as JSON before and
  after (Learn, "Troubleshoot Conditional Access policy changes"; the msec module's
  Get-MsecEntraConditionalAccessChange diffs those two JSON values the same way).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from core.checks.model import Status
from core.store.model import StoredModel, Timestamp

if TYPE_CHECKING:
    from core.checks.model import CheckMetadata
    from core.scan.findings import Finding

# The sources a check reads -> the audit categories a change to them is logged under. Data, in one
# place; a source missing here (reports, secure scores, DNS) has no directory audit trail.
AUDIT_CATEGORIES: dict[str, str] = {
    "conditional_access_policies": "Policy",
    "security_defaults": "Policy",
    "authentication_strength_policies": "Policy",
    "authorization_policy": "Policy",
    "authentication_methods_policy": "Policy",
    "admin_consent_request_policy": "Policy",
    "role_assignments": "RoleManagement",
    "role_assignment_schedules": "RoleManagement",
    "role_eligibility_schedules": "RoleManagement",
    "applications": "ApplicationManagement",
    "graph_app_role_grants": "ApplicationManagement",
    "users": "UserManagement",
    "domains": "DirectoryManagement",
    "directory_settings": "DirectoryManagement",
    "organization": "DirectoryManagement",
}
# Exchange and Defender settings come from Exchange cmdlets, whose admin audit log is not read:
# Search-AdminAuditLog was retired from Exchange Online on 30 April 2024 in favour of
# Search-UnifiedAuditLog (Microsoft's message-center notice, quoted in T0pCyber/hawk#116), and even
# before that it did not answer app-only sessions (MicrosoftDocs/office-docs-powershell#6661). The
# unified audit log is a separate Purview search this app has no permission or channel for yet.
EXCHANGE_PREFIXES = ("exo_", "defender_", "sc_")
EXCHANGE_NOT_ATTRIBUTED = (
    "Exchange changes are not attributed: Exchange Online retired Search-AdminAuditLog in April 2024 "
    "and ScanPosture does not read the unified audit log"
)
MAX_ENTRIES = 5  # per finding, newest first: enough to name who did it, small enough for a webhook

AttributionStatus = Literal["attributed", "no_entries", "unreadable", "not_attributed"]


def is_regression(previous: Finding | None, status: Status) -> bool:
    """The one definition: the check fails now, was not open before, and its last assessed result
    was a pass (perhaps with scans in between that could not assess it). A first scan (no previous
    finding), a check that was already failing, or one that never passed is not a regression."""
    if previous is None or status is not Status.FAIL or previous.state == "open":
        return False
    return previous.status == Status.PASS.value or previous.last_passed_at is not None


def last_passed(previous: Finding) -> datetime | None:
    """When a regressed check last passed: where the window of changes to read starts. Findings
    stored before `last_passed_at` existed passed at their last assessment."""
    return previous.last_passed_at or (previous.assessed_at if previous.status == Status.PASS.value else None)


def audit_categories(check: CheckMetadata) -> tuple[str, ...]:
    return tuple(sorted({AUDIT_CATEGORIES[s] for s in check.sources if s in AUDIT_CATEGORIES}))


def reads_exchange(check: CheckMetadata) -> bool:
    return any(s.startswith(EXCHANGE_PREFIXES) for s in check.sources)


@dataclass(frozen=True)
class PropertyChange:
    name: str
    old: str
    new: str


@dataclass(frozen=True)
class AuditTarget:
    id: str
    name: str
    type: str
    changes: tuple[PropertyChange, ...] = ()


@dataclass(frozen=True)
class AuditEntry:
    """One directoryAudit record, reduced to what a sentence needs."""

    id: str
    at: datetime
    activity: str
    category: str
    initiator: str  # a user's UPN or an app's display name; "" when the log names neither
    targets: tuple[AuditTarget, ...] = ()
    result: str = "success"


@dataclass(frozen=True)
class ChangeLog:
    """What the directory audit log said for an interval: entries newest first, or why not."""

    entries: tuple[AuditEntry, ...] = ()
    unreadable: str | None = None  # licence, permission, service: in words
    capped: bool = False  # more entries matched than were read
    beyond_retention: str | None = None  # the interval starts before the log's retention


class AttributedEntry(StoredModel):
    at: Timestamp
    activity: str
    initiator: str
    target: str
    text: str


class Attribution(StoredModel):
    """Who changed what, stored on a regressed finding and sent with it."""

    status: AttributionStatus
    text: str
    since: Timestamp
    until: Timestamp
    entries: list[AttributedEntry] = Field(default_factory=list)
    matched: int = 0  # audit entries in the interval and categories; `entries` shows the newest


@dataclass(frozen=True)
class Regression:
    check: CheckMetadata
    since: datetime  # when the check last passed


def _short(value: str) -> str:
    return value.strip().strip('"')[:80]


def _what_moved(change: PropertyChange) -> str | None:
    """ "state enabled → disabled" from a plain State property or from a whole policy as JSON,
    else the names of the policy's properties that changed; None when it cannot tell."""
    if change.name.lower() == "state":
        return f"state {_short(change.old) or '(none)'} → {_short(change.new) or '(none)'}"
    try:
        old, new = json.loads(change.old or "null"), json.loads(change.new or "null")
    except ValueError:
        return None
    if not (isinstance(old, Mapping) and isinstance(new, Mapping)):
        return None
    if old.get("state") != new.get("state"):
        return f"state {old.get('state')} → {new.get('state')}"
    # The whole object before and after: name what moved, not the two blobs (modifiedDateTime
    # moves on every edit and says nothing).
    moved = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k) and k != "modifiedDateTime")
    return f"changed {', '.join(moved[:4])}" if moved else None


def describe(entry: AuditEntry) -> str:
    """One sentence in our words: "'Require MFA' (Policy): Update conditional access policy,
    state enabled → disabled, by bob@contoso.example at 2026-11-30 14:02 UTC"."""
    target = entry.targets[0] if entry.targets else None
    what = f"'{target.name}' ({target.type})" if target and target.name else (target.type if target else "")
    details = [s for c in (target.changes if target else ()) if (s := _what_moved(c))]
    if not details and target and target.changes:
        details = [f"changed {', '.join(c.name for c in target.changes[:3])}"]
    who = entry.initiator or "an unnamed initiator"
    parts = [p for p in (what, entry.activity) if p]
    text = ": ".join(parts) if len(parts) == 2 else (parts[0] if parts else "a change")
    if details:
        text += f", {details[0]}"
    failed = "" if entry.result in ("success", "") else f" (result: {entry.result})"
    return f"{text}, by {who} at {entry.at:%Y-%m-%d %H:%M} UTC{failed}"


def _entry(entry: AuditEntry) -> AttributedEntry:
    target = entry.targets[0] if entry.targets else None
    name = (target.name or target.id) if target else ""
    return AttributedEntry(
        at=entry.at, activity=entry.activity, initiator=entry.initiator, target=name, text=describe(entry)
    )


def _named(check_evidence: Iterable[Any]) -> set[str]:
    """Object ids and display names the finding's evidence names, to narrow entries to them."""
    names: set[str] = set()
    for item in check_evidence:
        if isinstance(item, Mapping):
            for key in ("id", "displayName", "policyId", "name"):
                if isinstance(item.get(key), str):
                    names.add(item[key].lower())
    return names


def _about(entry: AuditEntry, names: set[str]) -> bool:
    return any(t.id.lower() in names or t.name.lower() in names for t in entry.targets)


def _in(entry: AuditEntry, since: datetime, until: datetime, categories: tuple[str, ...]) -> bool:
    return since <= entry.at <= until and entry.category in categories


def attribute(
    regression: Regression, evidence: list[Any], log: ChangeLog | None, until: datetime
) -> Attribution:
    """The attribution of one regression from the log read for the scan (None: not read, which
    only happens when no check that regressed has a directory audit trail)."""
    check, since = regression.check, regression.since
    categories = audit_categories(check)
    base = {"since": since, "until": until}
    if not categories:
        why = EXCHANGE_NOT_ATTRIBUTED if reads_exchange(check) else "what this check reads has no audit trail"
        return Attribution(status="not_attributed", text=f"Not attributed: {why}.", **base)
    if log is None or log.unreadable:
        why = (log.unreadable if log else None) or "the directory audit log was not read"
        return Attribution(
            status="unreadable", text=f"The directory audit log could not be read: {why}.", **base
        )
    matched = [e for e in log.entries if _in(e, since, until, categories)]
    names = _named(evidence)
    about = [e for e in matched if names and _about(e, names)]
    ordered = about + [e for e in matched if e not in about]  # never drop one: the named ones first
    notes = []
    if about:
        notes.append(f"{len(about)} of {len(matched)} name an object this finding shows")
    if log.capped:
        notes.append("the log had more entries than were read; these are the newest")
    if log.beyond_retention:
        notes.append(log.beyond_retention)
    tail = f" ({'; '.join(notes)})" if notes else ""
    if not matched:
        where = "/".join(categories)
        text = f"No {where} change was recorded in the directory audit log between the scans{tail}."
        return Attribution(status="no_entries", text=text, **base)
    entries = [_entry(e) for e in ordered[:MAX_ENTRIES]]
    more = f" and {len(matched) - 1} more change(s)" if len(matched) > 1 else ""
    text = f"Changed between the scans: {entries[0].text}{more}{tail}."
    return Attribution(status="attributed", text=text, entries=entries, matched=len(matched), **base)


def wanted_categories(regressions: Iterable[Regression]) -> tuple[str, ...]:
    """The categories to read for a scan's regressions, or () when none has an audit trail."""
    return tuple(sorted({c for r in regressions for c in audit_categories(r.check)}))


def find_regressions(previous: Mapping[str, Finding], results: Iterable[Any]) -> list[Regression]:
    """The scan's regressions: `results` are core.scan.findings.CheckResult."""
    found = []
    for result in results:
        before = previous.get(result.check.id)
        if before is not None and is_regression(before, result.outcome.status):
            since = last_passed(before)
            if since is not None:
                found.append(Regression(result.check, since))
    return found
