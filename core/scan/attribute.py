"""The attribution step of the scan use case: for the checks that regressed since the previous
scan, read the directory audit log once (only then) and attribute each regression from it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from core.checks.licensing import holds_plan
from core.collect.sources import P1, P2
from core.ports import Services
from core.scan.assess import Assessment
from core.scan.attribution import (
    Attribution,
    ChangeLog,
    attribute,
    find_regressions,
    wanted_categories,
)
from core.scan.findings import Finding

log = logging.getLogger(__name__)
SUBSCRIBED_SKUS = "subscribed_skus"


def _premium(assessment: Assessment) -> bool | None:
    """Whether the tenant holds Entra ID P1 or P2 (30 days of audit log rather than 7), or None
    when its subscriptions could not be read."""
    snapshot = assessment.snapshot
    if not snapshot.has(SUBSCRIBED_SKUS):
        return None
    skus = snapshot.data[SUBSCRIBED_SKUS] or []
    return holds_plan(skus, P1) or holds_plan(skus, P2)


async def attribute_regressions(
    services: Services,
    tenant_id: str,
    previous: Mapping[str, Finding],
    assessment: Assessment,
    until: datetime,
) -> dict[str, Attribution]:
    """By check id, the attribution of every regression; {} (and no audit read) when none."""
    regressions = find_regressions(previous, assessment.results)
    if not regressions:
        return {}
    categories = wanted_categories(regressions)
    changes: ChangeLog | None = None
    if categories:
        since = min(r.since for r in regressions)
        try:
            changes = await services.tenants.directory_changes(
                tenant_id, since, until, categories, _premium(assessment)
            )
        except Exception as exc:  # noqa: BLE001 - attribution never fails the scan; it says why
            log.warning("directory audit log of %s not read: %s", tenant_id, exc)
            changes = ChangeLog(unreadable=f"{type(exc).__name__}: {str(exc)[:200]}")
    evidence = {r.check.id: r.outcome.evidence for r in assessment.results}
    return {r.check.id: attribute(r, list(evidence[r.check.id]), changes, until) for r in regressions}
