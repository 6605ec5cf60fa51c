"""ReportData builders for the report tests and the benchmark: a realistic scan of N findings
across categories, severities and statuses, some accepted with an expiry, a six-point trend and
two frameworks."""

from __future__ import annotations

import io
import random
import subprocess
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw

from core.reports.model import Brand, FrameworkCoverage, ReportData, ReportFinding

PRIMARY = "#0B6E4F"
SECONDARY = "#F2C14E"
LOGO_COLOUR = (200, 30, 120)  # a magenta no part of the report uses, so a test can find the logo
MSP_NAME = "Northwind Managed IT"
GENERATED_AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
SCANNED_AT = datetime(2026, 3, 14, 6, 5, tzinfo=UTC)

CATEGORIES = ("Identity", "Privileged access", "Exchange Online", "SharePoint", "Applications", "Devices")
SEVERITIES = ("critical", "high", "medium", "low")
PRIORITY = {"critical": "P1", "high": "P1", "medium": "P2", "low": "P3"}
STATUSES = ("fail", "pass", "fail", "pass", "not_applicable", "manual", "error")
ORDER = {"fail": 0, "error": 1, "manual": 2, "pass": 3, "not_applicable": 4}


def logo_png(size: tuple[int, int] = (360, 120)) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((4, 4, size[0] - 4, size[1] - 4), radius=24, fill=LOGO_COLOUR)
    draw.ellipse((20, 20, size[1] - 20, size[1] - 20), fill=(255, 255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def branded() -> Brand:
    return Brand(enabled=True, primary=PRIMARY, secondary=SECONDARY, logo_png=logo_png(), msp_name=MSP_NAME)


def _finding(i: int, rng: random.Random) -> ReportFinding:
    severity = SEVERITIES[i % 4]
    status = STATUSES[i % len(STATUSES)]
    category = CATEGORIES[i % len(CATEGORIES)]
    accepted = status == "fail" and i % 5 == 2
    users = rng.randint(1, 40)
    evidence: list[object] = [
        f"user{n}@contoso.onmicrosoft.com has no registered MFA method" for n in range(min(users, 3))
    ]
    evidence.append({"policy": f"CA{i:03d} Require MFA for admins", "state": "disabled", "users": users})
    return ReportFinding(
        check_id=f"{category.split()[0].upper()[:4]}-{i:03d}",
        title=f"{category}: setting number {i} is configured as recommended",
        category=category,
        severity=severity,
        priority=PRIORITY[severity],
        status=status,
        summary=(
            f"{users} accounts are affected. The tenant allows a configuration that attackers use to "
            "gain or keep access; Microsoft and CIS recommend the stricter setting."
        ),
        remediation=(
            "1. Sign in to the Microsoft Entra admin center as a Security Administrator.\n"
            "2. Go to Protection > Conditional Access > Policies and open the policy.\n"
            f"3. Set the control to the recommended value and save; expect {users} users to be prompted."
        ),
        evidence=evidence,
        evidence_count=len(evidence) + (users if users > 10 else 0),
        cis=f"{1 + i % 8}.{1 + i % 3}.{1 + i % 5}" if i % 3 else None,
        scuba=f"MS.AAD.{1 + i % 9}.{1 + i % 4}v1" if i % 2 else None,
        accepted=accepted,
        acceptance_expires_at=GENERATED_AT + timedelta(days=30 + 7 * i) if accepted and i % 2 else None,
        acceptance_justification=(
            f"Legacy line-of-business application {i} needs this until its migration finishes."
            if accepted
            else None
        ),
    )


def report(
    findings: int = 60,
    *,
    brand: Brand | None = None,
    customer_name: str = "Zürich Dental GmbH",
    seed: int = 7,
) -> ReportData:
    rng = random.Random(seed)
    items = sorted(
        (_finding(i, rng) for i in range(findings)),
        key=lambda f: (ORDER[f.status], f.accepted, SEVERITIES.index(f.severity), f.check_id),
    )
    failing = [f for f in items if f.status == "fail"]
    top = [f for f in failing if not f.accepted][:10]
    trend_scores = [58.0, 61.5, None, 66.0, 70.0, 72.4]
    trend = [(GENERATED_AT - timedelta(days=7 * (5 - n)), s) for n, s in enumerate(trend_scores)]
    return ReportData(
        customer_name=customer_name,
        tenant_id="3f2b8c1e-5d4a-4e7b-9a61-0c8d2e4f6a10",
        primary_domain="zuerich-dental.ch",
        scan_id="scan-20260314-0605",
        scanned_at=SCANNED_AT,
        generated_at=GENERATED_AT,
        score=72.4,
        score_change=2.4,
        trend=trend,
        open_priority_count=sum(1 for f in failing if not f.accepted and f.priority == "P1"),
        counts_by_status=dict(Counter(f.status for f in items)),
        failing_by_category=dict(Counter(f.category for f in failing)),
        failing_by_severity=dict(Counter(f.severity for f in failing)),
        findings=items,
        frameworks=[
            FrameworkCoverage("CIS Microsoft 365 Foundations Benchmark v5.0.0", 48, 17, 9, partial=6),
            FrameworkCoverage("CISA SCuBA Secure Configuration Baselines (Entra ID, Exchange)", 31, 12, 4),
        ],
        brand=brand if brand is not None else branded(),
        top_priorities=top,
    )


def neutral(data: ReportData) -> ReportData:
    return replace(data, brand=Brand.neutral(MSP_NAME))


def rasterise(pdf: bytes, directory: Path, dpi: int = 40) -> list[Path]:
    """Every page as a PNG (poppler's pdftoppm), in page order."""
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(source), str(directory / "page")], check=True)
    return sorted(directory.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
