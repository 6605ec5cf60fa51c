"""What a report shows, assembled from the store by core.reports.service and drawn by
core.reports.pdf. The renderer is a pure function of this data: no I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.posture import SinceLastScan

NEUTRAL_PRIMARY = "#1F3A5F"  # ScanPosture's own look when branding is off
NEUTRAL_SECONDARY = "#5B7DB1"


@dataclass(frozen=True)
class Brand:
    enabled: bool
    primary: str  # "#RRGGBB"
    secondary: str  # "#RRGGBB"
    logo_png: bytes | None  # validated and re-encoded PNG, or None
    msp_name: str  # the footer says "Prepared by {msp_name}"

    @classmethod
    def neutral(cls, msp_name: str) -> Brand:
        return cls(False, NEUTRAL_PRIMARY, NEUTRAL_SECONDARY, None, msp_name)


@dataclass(frozen=True)
class ReportFinding:
    check_id: str
    title: str
    category: str
    severity: str  # critical | high | medium | low
    priority: str  # P1 | P2 | P3
    status: str  # pass | fail | not_applicable | error | manual
    summary: str
    remediation: str  # numbered steps, newline separated
    evidence: list[Any]  # strings or small dicts, already capped
    evidence_count: int
    cis: str | None
    scuba: str | None
    accepted: bool = False
    acceptance_expires_at: datetime | None = None
    acceptance_justification: str | None = None
    # For a failing check that regressed: who changed what between the scans (core.scan.attribution).
    what_changed: str = ""


@dataclass(frozen=True)
class FrameworkCoverage:
    title: str  # e.g. "CIS Microsoft 365 Foundations Benchmark v5.0.0"
    passed: int
    failed: int
    not_assessed: int
    partial: int = 0  # controls the checks cover only in part (counted by the status of that part)


@dataclass(frozen=True)
class ReportScorecard:
    """One framework profile's scorecard as the report prints it (core.frameworks.scorecard)."""

    name: str  # "CIS v5.0.0 E3 Level 1"
    share: float | None  # percent met of those assessed
    counts: dict[str, int]  # met, not_met, partly_assessed, not_assessable, not_automated
    not_met: list[tuple[str, str]] = field(default_factory=list)  # (control id, title)


@dataclass(frozen=True)
class ReportPeerPosition:
    """Where the tenant's score stands in its MSP's fleet: no other customer is named or scored."""

    percentile: int
    median: int


@dataclass(frozen=True)
class ReportData:
    customer_name: str
    tenant_id: str
    primary_domain: str
    scan_id: str
    scanned_at: datetime
    generated_at: datetime
    score: float | None
    score_change: float | None
    trend: list[tuple[datetime, float | None]]  # oldest first, up to 12 points
    open_priority_count: int
    counts_by_status: dict[str, int]
    failing_by_category: dict[str, int]
    failing_by_severity: dict[str, int]
    findings: list[ReportFinding]  # every finding of the scan, most urgent first
    frameworks: list[FrameworkCoverage]
    brand: Brand
    top_priorities: list[ReportFinding] = field(default_factory=list)  # failing, not accepted, P1 first
    since_last_scan: SinceLastScan | None = None  # None: worded from score_change alone
    # The scan's sources that could not be read: source name -> the raw reason.
    source_failures: dict[str, str] = field(default_factory=dict)
    scorecards: list[ReportScorecard] = field(default_factory=list)  # issue 22
    peer_position: ReportPeerPosition | None = None  # None: too few scored peers to show safely
