"""The main use cases over the in-memory adapters of tests/unit/fakes.py: the real use-case and
repository code, no stack, milliseconds each (the PDF render is the slow one)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address

import pytest

from core.customers import get_customer
from core.messages import SummaryMessage
from core.risk import AcceptanceRefused, accept_risk, revoke_acceptance
from core.scan.now import request_scan
from core.scan.requests import parse_scan_request
from core.store import documents
from core.summaries import enqueue_due_summaries, handle_summary, send_summary
from core.webhooks.delivery import publish_all
from core.webhooks.egress import EgressPolicy
from core.webhooks.endpoints import create_endpoint
from tests.unit.fakes import FakeServices, fake_services
from tests.unit.use_case_world import ACTOR, FAILING, ORG, PASSING, TENANT, grant, new_customer, scanned


@pytest.fixture
def services() -> FakeServices:
    return fake_services()


# --- risk acceptance -------------------------------------------------------------------------------


async def test_accepting_a_failing_finding_sets_it_aside_audits_and_updates_the_summary(
    services: FakeServices,
) -> None:
    customer = await scanned(services)
    expires = datetime.now(UTC) + timedelta(days=30)
    finding = await accept_risk(
        services,
        grant(customer),
        ACTOR,
        check_id=FAILING,
        justification="compensating control in place",
        expires_at=expires,
    )
    assert finding.acceptance is not None
    assert finding.acceptance.justification == "compensating control in place"
    stored, _ = await services.store.relationship(customer.relationship_id).finding(FAILING)
    assert stored.acceptance is not None and stored.acceptance.expires_at == expires
    for repo in (services.store.org(ORG), services.store.relationship(customer.relationship_id)):
        actions = [e["action"] for e in await repo.audit_entries()]
        assert "risk.accepted" in actions
    updated, _ = await get_customer(services.store.org(ORG), TENANT)
    assert FAILING in updated.summary.acceptances

    await revoke_acceptance(services, grant(customer), ACTOR, check_id=FAILING)
    stored, _ = await services.store.relationship(customer.relationship_id).finding(FAILING)
    assert stored.acceptance is None
    updated, _ = await get_customer(services.store.org(ORG), TENANT)
    assert FAILING not in updated.summary.acceptances
    org_actions = [e["action"] for e in await services.store.org(ORG).audit_entries()]
    assert "risk.revoked" in org_actions


@pytest.mark.parametrize(
    ("check", "justification", "expires", "reason"),
    [
        (PASSING, "a good enough reason", datetime.now(UTC) + timedelta(days=3), "only a failing finding"),
        (FAILING, "a good enough reason", datetime.now() + timedelta(days=3), "time zone"),
        (FAILING, "a good enough reason", datetime.now(UTC) + timedelta(days=400), "at most one year"),
        (FAILING, "short", datetime.now(UTC) + timedelta(days=3), "justification"),
    ],
)
async def test_acceptance_refusals_change_nothing(
    services: FakeServices,
    check: str,
    justification: str,
    expires: datetime,
    reason: str,
) -> None:
    customer = await scanned(services)
    _, before = await services.store.relationship(customer.relationship_id).finding(check)
    with pytest.raises(AcceptanceRefused, match=reason):
        await accept_risk(
            services, grant(customer), ACTOR, check_id=check, justification=justification, expires_at=expires
        )
    _, after = await services.store.relationship(customer.relationship_id).finding(check)
    assert after == before  # the same etag: nothing was written
    assert "risk.accepted" not in [e["action"] for e in await services.store.org(ORG).audit_entries()]


# --- scan now --------------------------------------------------------------------------------------


async def test_scan_now_twice_queues_one_scan(services: FakeServices) -> None:
    customer = await new_customer(services)
    first = await request_scan(services, grant(customer), ACTOR)
    second = await request_scan(services, grant(customer), ACTOR)
    assert first.created and not second.created  # the second answers alreadyQueued
    assert second.scan_id == first.scan_id
    assert len(services.scan_queue.sent) == 1
    message = parse_scan_request(json.dumps(services.scan_queue.sent[0]))
    assert (message.request_id, message.reason) == (first.scan_id, "manual")
    assert (message.org_id, message.tenant_id, message.customer_id) == (ORG, TENANT, customer.customer_id)
    pending = await services.store.relationship(customer.relationship_id).get(documents.PENDING_ID)
    assert pending.body["status"] == "queued"


# --- email summaries -------------------------------------------------------------------------------


async def test_a_summary_is_mailed_once_with_the_pdf_attached(services: FakeServices) -> None:
    await scanned(services, recipients=["it@contoso.test"])
    delivery = await send_summary(services, ORG, TENANT, ACTOR, period="2026-W49")
    assert delivery.status == "sent" and delivery.attached is True and delivery.attempts == 1
    assert len(services.mailer.sent) == 1
    mail = services.mailer.sent[0]
    assert mail.to == ["it@contoso.test"]
    (attachment,) = mail.attachments
    assert attachment.content_type == "application/pdf" and attachment.data.startswith(b"%PDF")
    assert services.blobs.blobs, "the rendered report is stored before it is mailed"


async def test_a_large_report_is_linked_not_attached(services: FakeServices) -> None:
    services.settings = services.settings.model_copy(update={"mail_attachment_limit_bytes": 1})
    await scanned(services, recipients=["it@contoso.test"])
    delivery = await send_summary(services, ORG, TENANT, ACTOR, period="2026-W49")
    assert delivery.status == "sent" and delivery.attached is False
    assert services.mailer.sent[0].attachments == []


async def test_a_failed_mail_is_recorded_with_its_reason(services: FakeServices) -> None:
    customer = await scanned(services, recipients=["it@contoso.test"])
    services.mailer.fail_with = "the mailbox is not licensed"
    delivery = await send_summary(services, ORG, TENANT, ACTOR, period="2026-W49")
    assert delivery.status == "failed" and "not licensed" in delivery.error
    assert services.mailer.sent == []
    stored = await services.store.relationship(customer.relationship_id).find_delivery("2026-W49")
    assert stored is not None and stored.status == "failed"


async def test_due_summaries_are_queued_once_and_not_after_they_are_sent(services: FakeServices) -> None:
    customer = await scanned(services, recipients=["it@contoso.test"])
    now = datetime.now(UTC)
    assert await enqueue_due_summaries(services, now) == {"queued": 1}
    (sent,) = services.email_queue.sent
    message = SummaryMessage.model_validate(sent)
    assert (message.org_id, message.tenant_id, message.customer_id) == (ORG, TENANT, customer.customer_id)

    # The queue may deliver a message twice: one mail all the same.
    assert await handle_summary(services, message, now) == "sent"
    assert await handle_summary(services, message, now) == "skipped: already sent"
    assert len(services.mailer.sent) == 1
    assert await enqueue_due_summaries(services, now) == {"queued": 0}
    assert len(services.email_queue.sent) == 1


# --- webhooks --------------------------------------------------------------------------------------


async def test_publish_queues_one_delivery_per_subscribed_event(services: FakeServices) -> None:
    address = "203.0.113.7"
    policy = EgressPolicy(also_allow=frozenset({ip_address(address)}))
    endpoint = await create_endpoint(
        services.store.org(ORG),
        url=f"https://{address}/hook",
        events=["scan.completed", "score.changed"],
        description="SIEM",
        policy=policy,
    )
    queued = await publish_all(
        services,
        ORG,
        [("scan.completed", {"scanId": "s-1"}), ("finding.opened", {"checkId": "x"}), ("score.changed", {})],
    )
    assert queued == 2
    assert [m["event"]["type"] for m in services.webhook_queue.sent] == ["scan.completed", "score.changed"]
    assert {m["endpointId"] for m in services.webhook_queue.sent} == {endpoint.endpoint_id}
    assert await publish_all(services, "another-org", [("scan.completed", {})]) == 0
