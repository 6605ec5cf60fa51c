"""The repositories of the three containers, each bound to one partition, with the typed reads
of the documents that live there: an org's (customers, members, invitations, webhooks, API keys,
usage), a relationship's (findings, scans, reports, deliveries) and people's principal documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from azure.cosmos.aio import ContainerProxy

from core.store import documents as docs
from core.store.read_snapshot import current_versions
from core.store.repository import Item, Page, PartitionRepository, StoredItem, type_filter

if TYPE_CHECKING:
    from core.customers import Customer
    from core.reports.service import ReportRecord
    from core.scan.findings import Finding
    from core.scan.record import ScanDocument
    from core.summaries import SummaryDelivery
    from core.webhooks.delivery import DeliveryAttempt
    from core.webhooks.endpoints import WebhookEndpoint


# Most severe first, which is also the priority order (core.scan.scoring.priority_for is a
# function of severity; tests/unit/test_triage_numbers.py holds it so).
FINDINGS_ORDER = "c.severityRank"


@dataclass(frozen=True)
class FindingQuery:
    """Which findings of a relationship a page lists, in the store's terms (plain values; the
    caller validates them). `framework` becomes part of the query text, so it must be a code-chosen
    name; every other value travels as a parameter."""

    status: str | None = None
    severity: str | None = None
    category: str | None = None
    framework: str | None = None
    new: bool | None = None  # new since the previous scan
    accepted: bool | None = None
    now: datetime | None = None  # when acceptances are judged (only with `accepted`)
    text: str | None = None  # lower-case words found in the check's title or id

    def where(self) -> tuple[str, dict[str, Any]]:
        clauses, params = ["c.type = @type"], {"@type": docs.FINDING}
        if self.status is not None:
            clauses.append("c.status = @status")
            params["@status"] = self.status
        if self.severity is not None:
            clauses.append("c.severity = @severity")
            params["@severity"] = self.severity
        if self.category is not None:
            clauses.append("c.category = @category")
            params["@category"] = self.category
        if self.framework is not None:
            if not self.framework.isidentifier():
                raise ValueError(f"not a framework name: {self.framework!r}")
            clauses.append(f"c.frameworks.{self.framework} != null")
        if self.new is not None:
            clauses.append("c.change = 'new'" if self.new else "c.change != 'new'")
        if self.accepted is not None:
            if self.now is None:
                raise ValueError("judging acceptances needs the time")
            params["@now"] = self.now.isoformat()
            # core.scan.findings.in_force, in Cosmos SQL: an acceptance holds until its expiry.
            clauses.append(
                "c.acceptance.expiresAt > @now"
                if self.accepted
                else "(c.acceptance = null OR c.acceptance.expiresAt <= @now)"
            )
        if self.text is not None:
            # Check ids are lower case already; titles are lowered so "MFA" finds "mfa".
            clauses.append("(CONTAINS(LOWER(c.title), @text) OR CONTAINS(c.checkId, @text))")
            params["@text"] = self.text.lower()
        return " AND ".join(clauses), params

    def scope(self) -> tuple[object, ...]:
        """What the page is of, for a page token's scope: the clock changes with every request,
        the rest names the listing."""
        where, params = self.where()
        return where, sorted((k, v) for k, v in params.items() if k != "@now")


class OrgRepository(PartitionRepository):
    """Org-level data (an MSP or a direct customer), partition key `/orgId`."""

    kind = "org item"

    def __init__(self, container: ContainerProxy, org_id: str) -> None:
        super().__init__(container, "orgId", org_id)

    @property
    def org_id(self) -> str:
        return self.partition_value

    def for_aggregates(self) -> OrgRepository:
        """The whole org partition, for figures that name no customer (core/peers.py). Here that is
        this repository; a customer principal's narrow view (core/store/narrow_org.py) answers with
        the app's own view of the partition, so only code that returns numbers may call it
        (tests/unit/test_store_boundary.py keeps the callers to core/peers.py)."""
        return self

    # Customers and the fleet-version marker.
    async def customers(self) -> list[Customer]:
        """Every customer of the org, in store order."""
        from core.customers import Customer  # the model imports the store; loaded when used

        return [Customer.model_validate(d) for d in await self.of_type(docs.CUSTOMER)]

    async def customers_of_tenant(self, tenant_id: str) -> list[StoredItem]:
        """The org's customer documents for one tenant (at most one), with their etags."""
        where, params = type_filter(docs.CUSTOMER, {"tenantId": tenant_id})
        return await self.query_stored(where, params)

    async def find_fleet_version(self) -> str | None:
        """The org's fleet version; read once per read-only request (core/store/read_snapshot.py)."""
        snapshot, key = current_versions(), (id(self.container), self.org_id)
        if snapshot is not None and key in snapshot:
            return snapshot[key]
        marker = await self.find(docs.FLEET_VERSION_ID)
        version = str(marker.body["version"]) if marker else None
        if snapshot is not None:
            snapshot[key] = version
        return version

    async def put_fleet_version(self, version: str) -> None:
        await self.upsert({"id": docs.FLEET_VERSION_ID, "type": docs.FLEET_VERSION, "version": version})
        snapshot = current_versions()
        if snapshot is not None:
            snapshot[(id(self.container), self.org_id)] = version

    # People.
    async def members(self, *, role: str | None = None, tenant_id: str | None = None) -> list[Item]:
        """Member documents, all or those with one role or of one customer tenant."""
        equal = {k: v for k, v in (("role", role), ("tenantId", tenant_id)) if v is not None}
        return await self.of_type(docs.MEMBER, **equal)

    async def find_invitation(self, secret_hash: str) -> StoredItem | None:
        return await self.find(docs.invitation_id(secret_hash))

    # Integrations.
    async def api_keys(self) -> list[Item]:
        return await self.of_type(docs.API_KEY)

    async def api_key(self, key_id: str) -> StoredItem:
        return await self.get(docs.api_key_id(key_id))

    async def find_api_key(self, key_id: str) -> StoredItem | None:
        return await self.find(docs.api_key_id(key_id))

    async def webhook_endpoints(self, *, enabled_only: bool = False) -> list[WebhookEndpoint]:
        from core.webhooks.endpoints import WebhookEndpoint

        equal = {"enabled": True} if enabled_only else {}
        return [WebhookEndpoint.model_validate(d) for d in await self.of_type(docs.WEBHOOK_ENDPOINT, **equal)]

    async def webhook_endpoint(self, endpoint_id: str) -> tuple[WebhookEndpoint, str]:
        """One endpoint and its etag; NotFound if the org has no such endpoint."""
        from core.webhooks.endpoints import WebhookEndpoint

        stored = await self.get(docs.webhook_endpoint_id(endpoint_id))
        return WebhookEndpoint.model_validate(stored.body), stored.etag

    async def webhook_deliveries(self, endpoint_id: str) -> list[DeliveryAttempt]:
        from core.webhooks.delivery import DeliveryAttempt

        items = await self.of_type(docs.WEBHOOK_DELIVERY, endpointId=endpoint_id)
        return [DeliveryAttempt.model_validate(d) for d in items]

    # Billing.
    async def find_usage(self, customer_id: str, day: date) -> StoredItem | None:
        return await self.find(docs.usage_id(customer_id, day))

    async def usage_between(self, start: date, end: date) -> list[Item]:
        """Usage records of every customer for days start..end (ISO dates compare as strings)."""
        return await self.query_all(
            "c.type = @t AND c.day >= @start AND c.day <= @end",
            {"@t": docs.USAGE, "@start": start.isoformat(), "@end": end.isoformat()},
        )

    async def usage_of_customer(self, customer_id: str, since: date, before: date) -> list[Item]:
        """One customer's usage records for days since..before (excluding `before`)."""
        return await self.query_all(
            "c.type = @t AND c.customerId = @c AND c.day < @day AND c.day >= @since",
            {"@t": docs.USAGE, "@c": customer_id, "@day": before.isoformat(), "@since": since.isoformat()},
        )


class TenantRepository(PartitionRepository):
    """People's principal documents, under their own home tenant, partition key `/tenantId`.
    Nothing about a customer's posture lives here: that belongs to a relationship."""

    kind = "tenant item"

    def __init__(self, container: ContainerProxy, tenant_id: str) -> None:
        super().__init__(container, "tenantId", tenant_id)

    @property
    def tenant_id(self) -> str:
        return self.partition_value

    async def all_but_principals(self) -> list[Item]:
        """Everything in the partition except people's principal documents (what versions before
        relationships kept here about the tenant)."""
        return await self.query_all("c.type != @principal", {"@principal": docs.PRINCIPAL})


def _findings(items: list[Item]) -> list[Finding]:
    from core.scan.findings import Finding  # the model imports the store; loaded when used

    return [Finding.model_validate(item) for item in items]


class RelationshipRepository(PartitionRepository):
    """Everything one org learned about one tenant it manages (scans, findings, acceptances, audit
    entries, report records, deliveries), partition key `/relationshipId`. A second org managing
    the same tenant has its own relationship and so its own partition: none of this is shared."""

    kind = "relationship item"

    def __init__(self, container: ContainerProxy, relationship_id: str) -> None:
        super().__init__(container, "relationshipId", relationship_id)

    @property
    def relationship_id(self) -> str:
        return self.partition_value

    # Findings.
    async def findings(self) -> list[Finding]:
        return _findings(await self.of_type(docs.FINDING))

    async def finding(self, check_id: str) -> tuple[Finding, str]:
        """The finding of one check and its etag; NotFound if the tenant has none."""
        from core.scan.findings import Finding

        stored = await self.get(docs.finding_id(check_id))
        return Finding.model_validate(stored.body), stored.etag

    async def findings_page(
        self, query: FindingQuery, *, page_size: int, continuation: str | None
    ) -> tuple[list[Finding], str | None]:
        """One page of the findings `query` selects, most urgent first, and the next page's token."""
        where, params = query.where()
        page = await self.query_page(
            where, params, order_by=FINDINGS_ORDER, page_size=page_size, continuation=continuation
        )
        return _findings(page.items), page.continuation

    async def findings_matching(self, query: FindingQuery) -> list[Finding]:
        """Every finding `query` selects, in the order of `findings_page` (an export of what the
        findings page lists: the same filters, the same order)."""
        where, params = query.where()
        return _findings(await self.query_all(where, params, order_by=FINDINGS_ORDER))

    # Scans.
    async def scan(self, scan_id: str) -> tuple[ScanDocument, str]:
        """One scan's document and its etag; NotFound if there is no such scan."""
        from core.scan.record import ScanDocument

        stored = await self.get(docs.scan_document_id(scan_id))
        return ScanDocument.model_validate(stored.body), stored.etag

    async def find_scan(self, scan_id: str) -> ScanDocument | None:
        from core.scan.record import ScanDocument

        stored = await self.find(docs.scan_document_id(scan_id))
        return ScanDocument.model_validate(stored.body) if stored else None

    async def scans_page(self, *, page_size: int, continuation: str | None) -> Page:
        """One page of the scans, newest first."""
        return await self.query_page(
            "c.type = @t",
            {"@t": docs.SCAN},
            order_by="c.startedAt DESC",
            page_size=page_size,
            continuation=continuation,
        )

    # Reports and summary deliveries.
    async def reports(self) -> list[ReportRecord]:
        from core.reports.service import ReportRecord

        return [ReportRecord.model_validate(d) for d in await self.of_type(docs.REPORT)]

    async def report(self, scan_id: str) -> ReportRecord:
        """The report record of one scan; NotFound if none was made."""
        from core.reports.service import ReportRecord

        return ReportRecord.model_validate((await self.get(docs.report_id(scan_id))).body)

    async def find_delivery(self, period: str) -> SummaryDelivery | None:
        """The summary delivery of one period (e.g. "2026-W48"), if one was attempted."""
        from core.summaries import SummaryDelivery

        stored = await self.find(docs.delivery_id(period))
        return SummaryDelivery.model_validate(stored.body) if stored else None
