"""A source that could not be read, in words a customer can act on: "Exchange Online could not be
read: the app lacks permission Exchange.ManageAsApp". The raw reason (the HTTP status and the
service's own error) stays beside it as a detail line, for whoever fixes it.

The scan stores each failed source's reason as text (`sourceFailures` on the scan document, and
"could not read {source}: {reason}" as an error finding's summary); the reasons are written by
core.collect.failures, so the phrases matched here are that module's own."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.collect.sources import DNS_SOURCE, EXCHANGE_SOURCES, SHAREPOINT_ADMIN_SOURCES

_EXCHANGE = frozenset(s.name for s in EXCHANGE_SOURCES if s.endpoint == "exchange")
_COMPLIANCE = frozenset(s.name for s in EXCHANGE_SOURCES if s.endpoint == "compliance")
_SHAREPOINT = frozenset(s.name for s in SHAREPOINT_ADMIN_SOURCES)
_PERMISSION = re.compile(r"permission ([A-Za-z][\w.]*) missing")
_STATUS = re.compile(r"\bHTTP (\d{3})\b")
_SUMMARY = re.compile(r"could not read (\S+): (.+)", re.DOTALL)


@dataclass(frozen=True)
class Unreadable:
    source: str
    sentence: str  # what happened, in words
    detail: str  # the raw reason, HTTP error included, shown smaller


def service_of(source: str) -> str:
    """The service a source is read from, as a customer knows it."""
    if source in _COMPLIANCE or source.startswith("sc_"):
        return "Security & Compliance"
    if source in _EXCHANGE or source.startswith("exo_"):
        return "Exchange Online"
    if source == DNS_SOURCE:
        return "DNS"
    if source in _SHAREPOINT:
        return "The SharePoint admin API"
    if source.startswith("teams_"):
        return "Microsoft Teams"
    return "Microsoft Graph"


def _why(service: str, reason: str) -> str:
    lowered = reason.lower()
    status = _STATUS.search(reason)
    code = int(status.group(1)) if status else None
    if service in ("Exchange Online", "Security & Compliance") and "exchange.manageasapp" in lowered:
        return (
            "could not be read: the app lacks permission Exchange.ManageAsApp "
            "or the Global Reader role in the tenant"
        )
    if "only from a certificate" in lowered:
        return "refused the app's client secret: it accepts only a certificate credential"
    if service == "Microsoft Teams" and "global reader" in lowered:
        return "could not be read: the app lacks the Global Reader (or Teams Reader) role in the tenant"
    if service == "Microsoft Teams" and "not set up" in lowered:
        return "is not set up in this tenant"
    permission = _PERMISSION.search(reason)
    if permission:
        return f"could not be read: the app lacks permission {permission.group(1)}"
    if "throttled" in lowered or code == 429:
        return "was throttled: it asked ScanPosture to slow down and still refused after several retries"
    if "timed out" in lowered:
        return "did not answer in time"
    if "not licensed" in lowered or "licence" in lowered or "license" in lowered:
        return "could not confirm the tenant's licences for this information"
    if "could not route" in lowered:
        return "could not route the request to the mailbox server"
    if code == 404:
        return "could not find this information in the tenant"
    if code is not None and code >= 500:
        return "had a service error and could not be read"
    if "was not collected" in lowered or "not collected" in lowered:
        return "was not read in this scan"
    return "could not be read"


def explain(source: str, reason: str) -> Unreadable:
    """One failed source, as a sentence and a detail line."""
    service = service_of(source)
    return Unreadable(source, f"{service} {_why(service, reason)}.", reason.strip())


def explain_summary(summary: str) -> Unreadable | None:
    """An error finding's summary ("could not read {source}: {reason}") explained; None for a
    summary of another shape (a check's own error, which is already in words)."""
    match = _SUMMARY.fullmatch(summary.strip())
    return explain(match.group(1), match.group(2)) if match else None
