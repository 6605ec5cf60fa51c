"""Cross-tenant search for MSP staff: which customers fail a check ("who still has legacy SMTP
auth enabled?"), found by check id or by free text over titles, categories and framework ids.

One single-partition read of the org (each customer's summary carries its failing checks with
evidence counts), and never a silent "nobody": customers that could not be assessed for a check
are listed as such, apart from those that pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from core.answers import until_next_change
from core.checks.model import CheckMetadata
from core.compliance import FleetMatrix, MatrixFilter, compliance_question, fleet_matrix
from core.customers import ConnectionState, Customer, PostureSummary, list_customers
from core.lazy import lazy_module
from core.scan.findings import in_force
from core.search_words import rank_checks
from core.store import OrgRepository

if TYPE_CHECKING:
    from core.checks import catalogue
else:
    catalogue = lazy_module("core.checks.catalogue")  # every check module, at the first search

MAX_QUERY_LENGTH = 200
Unassessed = Literal["error", "not_applicable", "not_scanned", "connection_lost"]


@dataclass(frozen=True)
class FailingCustomer:
    customer_id: str
    tenant_id: str | None
    display_name: str
    evidence_count: int
    first_seen_at: str | None
    last_seen_at: str | None
    accepted: bool


@dataclass(frozen=True)
class UnassessedCustomer:
    customer_id: str
    display_name: str
    reason: Unassessed


@dataclass
class CheckMatch:
    check: CheckMetadata
    failing: list[FailingCustomer] = field(default_factory=list)
    unassessed: list[UnassessedCustomer] = field(default_factory=list)
    passing_count: int = 0


def matching_checks(check_id: str | None, text: str | None) -> list[CheckMetadata]:
    """The checks a search means, best first: a check id; a check or framework id in the text; or
    the checks whose words cover most of the question's (core.search_words)."""
    if check_id:
        return [c.metadata for c in catalogue.CATALOGUE if c.id == check_id]
    return rank_checks(text or "")


async def search_fleet(
    org: OrgRepository,
    *,
    check_id: str | None,
    text: str | None,
    now: datetime,
    customers: list[Customer] | None = None,
) -> list[CheckMatch]:
    """`customers`: the org's list when the caller read it already (each read checks the fleet
    version, one point read)."""
    checks = matching_checks(check_id, text)
    if not checks:
        return []
    customers = await list_customers(org) if customers is None else customers
    # Only a relationship that opens tenant data shows its posture; a pending or cancelled one is
    # listed as not scanned. Decided once per customer, not once per matching check.
    today, nothing = now.date(), PostureSummary()
    shown = [(c, c.summary if c.grants_access(today) else nothing) for c in customers]
    matches = []
    for meta in checks:
        match = CheckMatch(meta)
        for c, summary in shown:
            reason: Unassessed | None = None
            if c.connection.state is ConnectionState.CONNECTION_LOST:
                reason = "connection_lost"
            elif summary.last_scan_id is None:
                reason = "not_scanned"
            elif meta.id in summary.unassessed_check_ids:
                reason = "error"
            elif meta.id in summary.not_applicable_check_ids:
                reason = "not_applicable"
            failing = summary.failing.get(meta.id)
            if failing is not None:
                # A lost connection keeps the last known failure visible: it was last seen then.
                match.failing.append(
                    FailingCustomer(
                        c.customer_id,
                        c.tenant_id,
                        c.display_name,
                        failing.evidence_count,
                        failing.first_seen_at,
                        failing.last_seen_at,
                        # core.posture.active_acceptances, for this one failing check only
                        (expires := summary.acceptances.get(meta.id)) is not None and in_force(expires, now),
                    )
                )
            elif reason is not None:
                match.unassessed.append(UnassessedCustomer(c.customer_id, c.display_name, reason))
            else:
                match.passing_count += 1
        matches.append(match)
    return matches


@dataclass(frozen=True)
class SearchAnswer:
    """Checks and who fails them; or, for a question such as "customers below 80% of CIS Level 1"
    (core.compliance.compliance_question), the fleet matrix rows below that share, lowest first."""

    matches: list[CheckMatch]
    compliance: FleetMatrix | None = None
    below: float | None = None
    until: datetime | None = None  # when the time alone may change it (core.answers)


async def answer_search(
    org: OrgRepository, *, check_id: str | None, text: str | None, now: datetime
) -> SearchAnswer:
    question = compliance_question(text) if text and not check_id else None
    # Acceptances lapsing and cancellations taking effect change an answer; staleness is not shown.
    customers = await list_customers(org)
    until = until_next_change(customers, now)
    if question is not None:
        wanted = MatrixFilter(below=question.below, sort="share")
        matrix = await fleet_matrix(org, question.profile, wanted, now)
        return SearchAnswer([], matrix, question.below, until)
    matches = await search_fleet(org, check_id=check_id, text=text, now=now, customers=customers)
    return SearchAnswer(matches, until=until)
