"""Read Entra's directory audit log (GET /auditLogs/directoryAudits) for an interval and a few
categories, through the same Kiota request adapter and failure classification as every Graph read.

Facts (Microsoft Learn, "List directoryAudits" and "directoryAudit resource type"):
- Application permission AuditLog.Read.All (with Directory.Read.All, both in core/permissions.py).
- $filter on activityDateTime supports ge and le, $orderby activityDateTime is supported; pages
  follow @odata.nextLink. Filtering on `category eq '...'` together with activityDateTime is how
  public tools narrow the log (for instance `category eq 'RoleManagement'` and
  `category eq 'ApplicationManagement' and activityDateTime ge ...`), so each category is one
  request rather than an `or` the documentation does not show.
- Retention ("Microsoft Entra data retention"): audit logs are kept 7 days on Entra ID Free and
  30 days with P1 or P2. Unlike the sign-in logs, which answer a Free tenant 403
  Authentication_RequestFromNonPremiumTenantOrB2CTenant (learn.microsoft.com/troubleshoot/entra/
  entra-id/users-groups-entra-apis/b2c-or-tenant-premium-license-sign-in-activities), audit logs
  are available on every edition; should Graph answer that code anyway, `classify` reports it as a
  licence refusal in its own words.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from azure.core.exceptions import ClientAuthenticationError

from core.collect.failures import SourceError, classify
from core.collect.readers import send_json
from core.scan.attribution import AuditEntry, AuditTarget, ChangeLog, PropertyChange

if TYPE_CHECKING:
    from kiota_http.httpx_request_adapter import HttpxRequestAdapter

PAGE_SIZE = 200
MAX_PAGES = 5  # per category: at most 1,000 entries, newest first; a busier log is said to be capped
FREE_RETENTION = timedelta(days=7)
PREMIUM_RETENTION = timedelta(days=30)
QUOTE_SAFE = "':"
PERMISSIONS = "AuditLog.Read.All and Directory.Read.All"  # Learn's least privilege, both


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def directory_audits_url(base_url: str, since: datetime, until: datetime, category: str) -> str:
    """The first page's URL: one category, the interval (whole seconds, widened to cover it),
    newest first."""
    start, end = _instant(since), _instant(until + timedelta(seconds=1))
    where = f"activityDateTime ge {start} and activityDateTime le {end} and category eq '{category}'"
    query = f"$filter={quote(where, safe=QUOTE_SAFE)}&$orderby=activityDateTime%20desc&$top={PAGE_SIZE}"
    return f"{base_url.rstrip('/')}/auditLogs/directoryAudits?{query}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _initiator(row: Mapping[str, Any]) -> str:
    by = row.get("initiatedBy") or {}
    user, app = by.get("user") or {}, by.get("app") or {}
    return _text(user.get("userPrincipalName") or user.get("displayName") or app.get("displayName"))


def parse_entry(row: Mapping[str, Any]) -> AuditEntry:
    """One directoryAudit as Graph documents it; a row without its time is an error, not data."""
    targets = tuple(
        AuditTarget(
            id=_text(t.get("id")),
            name=_text(t.get("displayName")),
            type=_text(t.get("type")),
            changes=tuple(
                PropertyChange(
                    _text(m.get("displayName")), _text(m.get("oldValue")), _text(m.get("newValue"))
                )
                for m in t.get("modifiedProperties") or []
                if isinstance(m, Mapping)
            ),
        )
        for t in row.get("targetResources") or []
        if isinstance(t, Mapping)
    )
    return AuditEntry(
        id=_text(row.get("id")),
        at=datetime.fromisoformat(_text(row["activityDateTime"]).replace("Z", "+00:00")),
        activity=_text(row.get("activityDisplayName")),
        category=_text(row.get("category")),
        initiator=_initiator(row),
        targets=targets,
        result=_text(row.get("result")) or "success",
    )


async def _category(adapter: HttpxRequestAdapter, url: str) -> tuple[list[AuditEntry], bool]:
    entries: list[AuditEntry] = []
    page: Any = await send_json(adapter, "GET", url)
    for _ in range(MAX_PAGES):
        rows = page.get("value") if isinstance(page, Mapping) else None
        if not isinstance(rows, list):
            raise ValueError("the directory audit answer has no value list")
        entries.extend(parse_entry(r) for r in rows if isinstance(r, Mapping))
        next_link = page.get("@odata.nextLink")
        if not next_link:
            return entries, False
        if len(entries) >= PAGE_SIZE * MAX_PAGES:
            break
        page = await send_json(adapter, "GET", next_link)
    return entries, True


def retention_note(since: datetime, until: datetime, premium: bool | None) -> str | None:
    """Words for an interval that starts before the log's retention, or None."""
    kept = PREMIUM_RETENTION if premium else FREE_RETENTION
    if since >= until - kept:
        return None
    edition = "with Entra ID P1/P2" if premium else "on Entra ID Free" if premium is False else "at least"
    return (
        f"the part before {(until - kept):%Y-%m-%d %H:%M} UTC is beyond the audit log's retention "
        f"({kept.days} days {edition})"
    )


async def read_directory_changes(
    adapter: HttpxRequestAdapter,
    base_url: str,
    since: datetime,
    until: datetime,
    categories: tuple[str, ...],
    premium: bool | None = None,
) -> ChangeLog:
    """Every entry of the categories in [since, until], newest first; or why the log is unreadable."""
    entries: list[AuditEntry] = []
    capped = False
    try:
        for category in categories:
            found, more = await _category(adapter, directory_audits_url(base_url, since, until, category))
            entries.extend(found)
            capped = capped or more
    except ClientAuthenticationError:
        raise  # the tenant refused a token: the caller decides, as for every read
    except SourceError as exc:
        return ChangeLog(unreadable=exc.failure.reason)
    except (KeyError, ValueError) as exc:
        return ChangeLog(unreadable=f"the answer was not a directory audit list ({exc})")
    except Exception as exc:  # noqa: BLE001 - every failed answer becomes words, as in readers.py
        failure = classify(exc, permission=PERMISSIONS, licence=None)
        return ChangeLog(unreadable=failure.reason)
    entries.sort(key=lambda e: e.at, reverse=True)
    return ChangeLog(tuple(entries), capped=capped, beyond_retention=retention_note(since, until, premium))
