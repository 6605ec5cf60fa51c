"""The synthetic fleet the API and portal benchmarks seed: customers with up to six weekly scans
of 50 findings each, some stale, some with a lost connection."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from core.checks.catalogue import CATALOGUE
from core.checks.model import Check, Outcome, Status
from core.customers import Connection, ConnectionState, Customer, customer_document_id
from core.posture import summarise_scan
from core.scan.findings import CheckResult, next_finding

FINDINGS_PER_CUSTOMER = 50


def _synthetic_results(rng: random.Random, chosen: list[Check], i: int) -> list[CheckResult]:
    kinds, weights = [Status.PASS, Status.FAIL, Status.NOT_APPLICABLE, Status.ERROR], (0.55, 0.3, 0.1, 0.05)
    statuses = rng.choices(kinds, weights, k=len(chosen))
    return [
        CheckResult(
            c.metadata,
            Outcome(s, f"{s.value}: synthetic", ({"id": f"obj-{i}"},) if s is Status.FAIL else ()),
        )
        for c, s in zip(chosen, statuses, strict=True)
    ]


def synthetic_customer(
    rng: random.Random, org_id: str, i: int, tenant_id: str, now: datetime
) -> tuple[Customer, list[Any]]:
    """Customer `i` of a seeded fleet, with up to six weekly scans summarised, and the findings of
    its last scan. Every tenth customer was last scanned over a week ago (stale), every
    twenty-fifth lost its connection: the fleet summary's tiles count something."""
    chosen = rng.sample(list(CATALOGUE), FINDINGS_PER_CUSTOMER)
    last = now - timedelta(days=10 if i % 10 == 0 else 1)
    state = ConnectionState.CONNECTION_LOST if i % 25 == 0 else ConnectionState.CONNECTED
    customer_id = uuid.uuid4().hex
    customer = Customer(
        id=customer_document_id(customer_id),
        customer_id=customer_id,
        org_id=org_id,
        tenant_id=tenant_id,
        display_name=f"Customer {i:04d} Ltd",
        primary_domain=f"customer{i:04d}.example",
        connection=Connection(state=state, since=last),
    )
    # Up to six weekly scans, so the trend (and its sparkline) has points.
    findings: list[Any] = []
    for week in range(i % 6, -1, -1):
        results = _synthetic_results(rng, chosen, i)
        at = last - timedelta(days=7 * week)
        findings = [next_finding(r, None, f"bench-scan-{week}", at)[0] for r in results]
        customer.summary = summarise_scan(customer.summary, results, findings, f"bench-scan-{week}", at)
    return customer, findings
