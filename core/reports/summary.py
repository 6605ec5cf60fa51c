"""Email summaries: each customer's report mailed to its recipients on its cadence (weekly or
monthly), with the PDF attached, or linked when it is too large to attach.

Every delivery is recorded in the tenant's partition (sent, failed, attempts). A failed one is
retried by the daily job; the report itself is already in Blob storage, so nothing is lost.
"""

from __future__ import annotations

import html
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from core.audit import SYSTEM, Actor, record
from core.bootstrap import Services
from core.customers import ConnectionState, Customer, get_customer
from core.reports.colour import parse_hex, text_colour_on, to_hex
from core.reports.mail import Attachment, MailFailed, send_mail
from core.reports.model import ReportData
from core.reports.service import assemble, generate_report, read_report
from core.store import NotFound
from core.store.queues import QueueChannel

MAX_ATTEMPTS = 5


def summary_html(data: ReportData, changes: dict[str, int], report_url: str, attached: bool) -> str:
    """A branded HTML body: score and change, the top five priorities, what changed."""
    brand = data.brand
    band, ink = brand.primary, to_hex(text_colour_on(parse_hex(brand.primary)))
    score = "not assessed" if data.score is None else f"{data.score:.0f} / 100"
    change = "" if data.score_change is None else f" ({data.score_change:+.1f} since the previous scan)"
    priorities = (
        "".join(
            f"<li><strong>{html.escape(f.title)}</strong> "
            f"({html.escape(f.priority)}, {html.escape(f.severity)})"
            f"<br>{html.escape(f.summary)}</li>"
            for f in data.top_priorities[:5]
        )
        or "<li>No open priorities.</li>"
    )
    where = (
        "The full report is attached."
        if attached
        else (
            "The full report is too large to attach: "
            f'<a href="{html.escape(report_url)}">open it in ScanPosture</a>.'
        )
    )
    return (
        '<!doctype html><html><body style="font-family:Segoe UI,Arial,sans-serif;color:#1b1b1b">'
        f'<div style="background:{band};color:{ink};padding:16px 20px">'
        f'<h1 style="margin:0;font-size:20px">{html.escape(data.customer_name)}: security posture</h1></div>'
        f"<p>Posture score: <strong>{score}</strong>{html.escape(change)}. "
        f"Open priorities: <strong>{data.open_priority_count}</strong>.</p>"
        f"<p>Since the previous scan: {changes.get('new', 0)} new, {changes.get('resolved', 0)} resolved, "
        f"{changes.get('persisting', 0)} still open.</p>"
        f'<h2 style="font-size:16px">Top priorities</h2><ol>{priorities}</ol>'
        f"<p>{where}</p>"
        f'<p style="color:#555;font-size:12px">Prepared by {html.escape(brand.msp_name)}</p>'
        "</body></html>"
    )


async def send_summary(
    services: Services, org_id: str, tenant_id: str, actor: Actor, *, period: str, now: datetime | None = None
) -> dict[str, Any]:
    """Send (or retry) the summary for `period` (e.g. "2026-W48", "now-…"). Returns the delivery."""
    now = now or datetime.now(UTC)
    customer, _ = await get_customer(services.store.org(org_id), tenant_id)
    data = await assemble(services, customer, now)
    tenant = services.store.relationship(customer.relationship_id)
    try:
        pdf = await read_report(services, customer.relationship_id, data.scan_id)
    except NotFound:
        await generate_report(services, org_id, tenant_id, actor, now)
        pdf = await read_report(services, customer.relationship_id, data.scan_id)
    scan = await tenant.find(f"scan:{data.scan_id}")
    changes = (scan.body.get("changes") if scan else None) or {}
    attached = len(pdf) <= services.settings.mail_attachment_limit_bytes
    report_url = (
        f"{services.settings.public_base_url.rstrip('/')}/#/tenants/{tenant_id}/reports/{data.scan_id}"
    )
    delivery_id = f"delivery:{period}"
    previous = await tenant.find(delivery_id)
    delivery = {
        **(
            previous.body
            if previous
            else {"id": delivery_id, "type": "delivery", "period": period, "attempts": 0}
        ),
        "scanId": data.scan_id,
        "recipients": customer.report_recipients,
        "attempts": (previous.body["attempts"] if previous else 0) + 1,
        "lastAttemptAt": now.isoformat(),
        "attached": attached,
    }
    if not customer.report_recipients:
        delivery.update(status="failed", error="recipients: this customer has no report recipients")
    else:
        try:
            await send_mail(
                services.settings,
                to=customer.report_recipients,
                subject=f"{data.customer_name}: security posture summary",
                html=summary_html(data, changes, report_url, attached),
                attachments=[
                    Attachment(f"{customer.primary_domain}-{data.scan_id}.pdf", "application/pdf", pdf)
                ]
                if attached
                else [],
            )
            delivery.update(status="sent", sentAt=now.isoformat(), error=None)
        except MailFailed as exc:
            delivery.update(status="failed", error=str(exc)[:300])
    await tenant.upsert(delivery)
    await record(
        services.store,
        org_id=org_id,
        actor=actor,
        tenant_id=tenant_id,
        relationship_id=customer.relationship_id,
        action=f"summary.{delivery['status']}",
        target={"period": period, "scanId": data.scan_id, "attempt": delivery["attempts"]},
    )
    return delivery


def period_of(customer: Customer, now: datetime) -> str:
    if customer.report_cadence == "weekly":
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{now:%Y-%m}"


def summary_queue(services: Services) -> QueueChannel:
    return QueueChannel.from_settings(services.settings, services.settings.email_queue_name)


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
    existing = await services.store.relationship(relationship_id).find(f"delivery:{period}")
    if existing and existing.body["status"] == "sent":
        return "already sent"
    if existing and existing.body["attempts"] >= MAX_ATTEMPTS:
        return f"gave up after {MAX_ATTEMPTS} attempts"
    return None


async def enqueue_due_summaries(services: Services, now: datetime | None = None) -> dict[str, int]:
    """The daily job: one message per owed summary on the email queue, so each customer's mail is
    sent (and retried) on its own rather than one failure or slow render holding up the rest."""
    now = now or datetime.now(UTC)
    queue = summary_queue(services)
    queued = 0
    try:
        async for customer, period in _due(services, now):
            assert customer.tenant_id is not None
            message = {
                "orgId": customer.org_id,
                "tenantId": customer.tenant_id,
                "customerId": customer.customer_id,
                "period": period,
            }
            await queue.send(message)
            queued += 1
    finally:
        await queue.close()
    return {"queued": queued}


async def handle_summary_message(services: Services, text: str, now: datetime | None = None) -> str:
    """The email queue's handler. A message delivered twice sends one mail: the delivery record of
    the period says it went out already."""
    try:
        message = json.loads(text)
        org_id, tenant_id, period = (str(message[k]) for k in ("orgId", "tenantId", "period"))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"malformed summary message: {type(exc).__name__}") from exc
    try:
        customer, _ = await get_customer(services.store.org(org_id), tenant_id)
    except NotFound:
        return "skipped: the customer is gone"
    if message.get("customerId", customer.customer_id) != customer.customer_id:
        return "skipped: queued for a relationship that no longer exists"
    settled = await _settled(services, customer.relationship_id, period)
    if settled:
        return f"skipped: {settled}"
    try:
        delivery = await send_summary(services, org_id, tenant_id, SYSTEM, period=period, now=now)
    except NotFound:
        return "skipped: the customer is gone"
    return str(delivery["status"])
