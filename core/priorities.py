"""Which failing findings come first: the one order the findings page, the tenant overview, the
PDF's top priorities and the summary mail share (priority, then severity, then check id)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from core.checks.model import Severity, Status
from core.scan.findings import Finding

TOP_PRIORITIES = 10
PRIORITY_RANK = {"P1": 0, "P2": 1, "P3": 2}
SEVERITY_RANK = {s.value: rank for rank, s in enumerate(Severity)}  # critical first


def urgency(priority: str, severity: str, check_id: str) -> tuple[int, int, str]:
    """The sort key of a finding: most urgent first; unknown values (old documents) go last."""
    last = len(PRIORITY_RANK)
    return PRIORITY_RANK.get(priority, last), SEVERITY_RANK.get(severity, last + 1), check_id


def top_priorities(findings: Iterable[Finding], now: datetime, limit: int = TOP_PRIORITIES) -> list[Finding]:
    """The failing findings nobody accepted as a risk, most urgent first, at most `limit`."""
    open_failing = [f for f in findings if f.status == Status.FAIL.value and not f.accepted_on(now)]
    open_failing.sort(key=lambda f: urgency(f.priority, f.severity, f.check_id))
    return open_failing[:limit]
