"""Small shared pieces for check modules: metadata construction, evidence capping, dates, licences.

Kept free of any check logic so every module reads the same way: a `CheckMetadata` built with
`metadata(...)`, a pure function decorated with `@check(meta)`, and outcomes built from the helpers in
`core.checks.model`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from core.checks.licensing import SUBSCRIBED_SKUS, holds_plan
from core.checks.model import Check, CheckMetadata, Evaluate, Evidence, Severity, TenantSnapshot
from core.collect.sources import (
    ADMIN_USER_SOURCES,
    DNS_SOURCE,
    EXCHANGE_SOURCES,
    GRAPH_SOURCES,
    ROLE_GROUP_SOURCES,
    SHAREPOINT_ADMIN_SOURCES,
    TEAMS_SOURCES,
)

# Reports stay readable and findings stay small in Cosmos; the summary always carries the full count.
EVIDENCE_LIMIT = 100

_PERMISSION_BY_SOURCE: dict[str, str | None] = {
    **{s.name: s.permission for s in (*GRAPH_SOURCES, *ROLE_GROUP_SOURCES, *ADMIN_USER_SOURCES)},
    **{s.name: s.permission for s in EXCHANGE_SOURCES},
    **{s.name: s.permission for s in SHAREPOINT_ADMIN_SOURCES},
    **{s.name: s.permission for s in TEAMS_SOURCES},  # none: a directory role authorises Teams reads
    DNS_SOURCE: None,
}


def permissions_for(sources: Iterable[str]) -> tuple[str, ...]:
    """The application permissions the declared sources need, derived so they can never drift."""
    seen: list[str] = []
    for source in sources:
        permission = _PERMISSION_BY_SOURCE[source]
        if permission and permission not in seen:
            seen.append(permission)
    return tuple(seen)


def steps(*lines: str) -> str:
    return "\n".join(f"{number}. {line}" for number, line in enumerate(lines, start=1))


def metadata(
    *,
    id: str,
    title: str,
    category: str,
    severity: Severity,
    sources: tuple[str, ...],
    rationale: str,
    remediation: str,
    licence: str | None = None,
    references: tuple[str, ...] = (),
) -> CheckMetadata:
    return CheckMetadata(
        id=id,
        title=title,
        category=category,
        severity=severity,
        rationale=rationale,
        remediation=remediation,
        sources=sources,
        permissions=permissions_for(sources),
        licence=licence,
        references=references,
    )


def check(meta: CheckMetadata) -> Callable[[Evaluate], Check]:
    """Pair metadata with its evaluation function; the decorated name becomes the `Check`."""

    def wrap(evaluate: Evaluate) -> Check:
        return Check(meta, evaluate)

    return wrap


def capped(items: Sequence[Evidence], limit: int = EVIDENCE_LIMIT) -> list[Evidence]:
    return list(items[:limit])


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count} {word}"


def verb(count: int, singular: str, plural_form: str) -> str:
    """The verb form agreeing with `count` ("1 app holds", "2 apps hold")."""
    return singular if count == 1 else plural_form


def shown(count: int, limit: int = EVIDENCE_LIMIT) -> str:
    """A suffix telling the reader the evidence list was cut."""
    return f" (first {limit} listed)" if count > limit else ""


def parse_time(value: object) -> datetime | None:
    """Graph timestamps (ISO 8601, 'Z', up to 7 fractional digits) as aware UTC datetimes."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def now_of(snapshot: TenantSnapshot) -> datetime:
    """'Now' for time-based checks is when the data was collected, so checks stay pure."""
    collected = snapshot.collected_at
    return collected if collected.tzinfo else collected.replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def objects(value: Any) -> list[Mapping[str, Any]]:
    """Exchange cmdlets return a list, or a single object for singletons; normalise to a list."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [value]
    return [item for item in value if isinstance(item, Mapping)]


def first_object(value: Any) -> Mapping[str, Any] | None:
    found = objects(value)
    return found[0] if found else None


def is_true(value: Any) -> bool:
    """Exchange booleans occasionally arrive as strings through the admin REST endpoint."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True


def is_false(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "false"
    return value is False


def folded(value: object) -> str:
    """An identifier in the form every comparison uses. Directory ids are GUIDs, which are
    case-insensitive, and Graph does not promise the case of names either: the documentation spells
    grant policy ids `managePermissionGrantsForSelf.{id}` while older tenants and tools show
    `ManagePermissionGrantsForSelf.{id}`. Comparing folded values keeps a verdict from turning on case."""
    return str(value).lower() if value is not None else ""


def folded_all(values: Iterable[object]) -> frozenset[str]:
    return frozenset(folded(value) for value in values if value is not None)


def has_service_plan(snapshot: TenantSnapshot, plan: str) -> bool | None:
    """Whether an active subscription includes `plan`; None when subscriptions were not collected."""
    if not snapshot.has(SUBSCRIBED_SKUS):
        return None
    return holds_plan(snapshot.get(SUBSCRIBED_SKUS) or [], plan)


def users_by_id(snapshot: TenantSnapshot) -> Mapping[str, Mapping[str, Any]]:
    """Users keyed by their folded id: look them up with `folded(some_id)`. Built once per snapshot."""
    snapshot.get("users")  # unread users raise SourceMissing here, as before
    return snapshot.derived("users_by_id", "users", _users_by_id)


def _users_by_id(users: Any) -> dict[str, Mapping[str, Any]]:
    return {folded(user["id"]): user for user in users or [] if user.get("id")}


def user_ref(user: Mapping[str, Any]) -> dict[str, Any]:
    return {"userPrincipalName": user.get("userPrincipalName"), "id": user.get("id")}
