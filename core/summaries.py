"""Email summaries: each customer's report mailed to its recipients on its cadence (weekly or
monthly), with the PDF attached, or linked when it is too large to attach. Here are the use case
(send_summary), its daily scheduler (enqueue_due_summaries, what is due for which period) and the
email queue's handler (handle_summary, routed by core.messages); the HTML body is
core.mail.summary_template.

Every delivery is recorded in the tenant's partition (sent, failed, attempts). A failed one is
retried by the daily job; the report itself is already in Blob storage, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Literal

from core.audit import SYSTEM, Actor, record
from core.customers import ConnectionState, Customer, get_customer
from core.mail.graph import Attachment, MailFailed
from core.mail.summary_template import summary_html
from core.messages import EMAIL_SUMMARIES, SummaryMessage, dispatch
from core.ports import Services
from core.reports.service import assemble, generate_customer_report, read_report
from core.store import NotFound, documents
from core.store.model import StoredModel, Timestamp

MAX_ATTEMPTS = 5


class SummaryDelivery(StoredModel):
    """The mailing of one period's summary (e.g. "2026-W48", or "now-…" for a send-now), in the
    relationship's partition: the latest attempt's outcome and how many attempts were made."""

    id: str
    type: str = documents.DELIVERY
    period: str
    scan_id: str
    recipients: list[str]
    attempts: int
    last_attempt_at: Timestamp
    attached: bool = False
    status: Literal["sent", "failed"] | None = None
    sent_at: Timestamp | None = None
    error: str | None = None


async def send_summary(
    services: Services, org_id: str, tenant_id: str, actor: Actor, *, period: str, now: datetime | None = None
) -> SummaryDelivery:
    """Send (or retry) the summary for `period` (e.g. "2026-W48", "now-…"). Returns the delivery."""
    now = now or services.clock.now()
    customer, _ = await get_customer(services.store.org(org_id), tenant_id)
    data = await assemble(services, customer, now)
    tenant = services.store.relationship(customer.relationship_id)
    pdf = await _report_pdf(services, customer, actor, data.scan_id, now)
    scan = await tenant.find_scan(data.scan_id)
    changes = (scan.changes if scan else None) or {}
    attached = len(pdf) <= services.settings.mail_attachment_limit_bytes
    report_url = (
        f"{services.settings.public_base_url.rstrip('/')}/#/tenants/{tenant_id}/reports/{data.scan_id}"
    )
    delivery = _next_attempt(await tenant.find_delivery(period), period, customer, data.scan_id, now)
    delivery.attached = attached
    if not customer.report_recipients:
        delivery.status, delivery.error = "failed", "recipients: this customer has no report recipients"
    else:
        attachment = Attachment(f"{customer.primary_domain}-{data.scan_id}.pdf", "application/pdf", pdf)
        try:
            await services.mailer.send(
                to=customer.report_recipients,
                subject=f"{data.customer_name}: security posture summary",
                html=summary_html(data, changes, report_url, attached),
                attachments=[attachment] if attached else [],
            )
            delivery.status, delivery.sent_at, delivery.error = "sent", now, None
        except MailFailed as exc:
            delivery.status, delivery.error = "failed", str(exc)[:300]
    await tenant.upsert(delivery.to_document())
    await record(
        services.store,
        org_id=org_id,
        actor=actor,
        tenant_id=tenant_id,
        relationship_id=customer.relationship_id,
        action=f"summary.{delivery.status}",
        target={"period": period, "scanId": data.scan_id, "attempt": delivery.attempts},
    )
    return delivery


async def _report_pdf(
    services: Services, customer: Customer, actor: Actor, scan_id: str, now: datetime
) -> bytes:
    """The stored report of the scan, rendered first if it is not there yet."""
    try:
        return await read_report(services, customer.relationship_id, scan_id)
    except NotFound:
        await generate_customer_report(services, customer, actor, now)
        return await read_report(services, customer.relationship_id, scan_id)


def _next_attempt(
    previous: SummaryDelivery | None, period: str, customer: Customer, scan_id: str, now: datetime
) -> SummaryDelivery:
    """The period's delivery record for this attempt, counting the attempts before it."""
    if previous is None:
        previous = SummaryDelivery(
            id=documents.delivery_id(period),
            period=period,
            scan_id=scan_id,
            recipients=[],
            attempts=0,
            last_attempt_at=now,
        )
    return previous.model_copy(
        update={
            "scan_id": scan_id,
            "recipients": list(customer.report_recipients),
            "attempts": previous.attempts + 1,
            "last_attempt_at": now,
        }
    )


def period_of(customer: Customer, now: datetime) -> str:
    if customer.report_cadence == "weekly":
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{now:%Y-%m}"


async def _due(services: Services, now: datetime) -> AsyncIterator[tuple[Customer, str]]:
    """Connected, scanned customers with recipients whose summary of the current period is owed."""
    async for customer in services.store.connected_customers():
        if not (customer.tenant_id and customer.report_recipients and customer.summary.last_scan_id):
            continue
        if customer.connection.state is not ConnectionState.CONNECTED:
            continue
        period = period_of(customer, now)
        if await _settled(services, customer.relationship_id, period) is None:
            yield customer, period


async def _settled(services: Services, relationship_id: str, period: str) -> str | None:
    """Why the period's summary needs nothing more (sent, or out of attempts), or None."""
    existing = await services.store.relationship(relationship_id).find_delivery(period)
    if existing and existing.status == "sent":
        return "already sent"
    if existing and existing.attempts >= MAX_ATTEMPTS:
        return f"gave up after {MAX_ATTEMPTS} attempts"
    return None


async def enqueue_due_summaries(services: Services, now: datetime | None = None) -> dict[str, int]:
    """The daily job: one message per owed summary on the email queue, so each customer's mail is
    sent (and retried) on its own rather than one failure or slow render holding up the rest."""
    now = now or services.clock.now()
    queued = 0
    async for customer, period in _due(services, now):
        assert customer.tenant_id is not None
        message = SummaryMessage(
            org_id=customer.org_id,
            tenant_id=customer.tenant_id,
            customer_id=customer.customer_id,
            period=period,
        )
        await services.email_queue.send(message.to_message())
        queued += 1
    return {"queued": queued}


async def handle_summary_message(services: Services, text: str) -> str:
    """A summary message's text, as the email queue's trigger hands it over (core.messages)."""
    return await dispatch(services, EMAIL_SUMMARIES, text)


async def handle_summary(services: Services, message: SummaryMessage, now: datetime | None = None) -> str:
    """The email queue's handler. A message delivered twice sends one mail: the delivery record of
    the period says it went out already."""
    org_id, tenant_id, period = message.org_id, message.tenant_id, message.period
    try:
        customer, _ = await get_customer(services.store.org(org_id), tenant_id)
    except NotFound:
        return "skipped: the customer is gone"
    if (message.customer_id or customer.customer_id) != customer.customer_id:
        return "skipped: queued for a relationship that no longer exists"
    settled = await _settled(services, customer.relationship_id, period)
    if settled:
        return f"skipped: {settled}"
    try:
        delivery = await send_summary(services, org_id, tenant_id, SYSTEM, period=period, now=now)
    except NotFound:
        return "skipped: the customer is gone"
    return str(delivery.status)
