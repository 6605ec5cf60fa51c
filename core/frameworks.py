"""CIS Microsoft 365 Foundations and CISA SCuBA coverage of one tenant: each control with the
checks behind it, and whether it passed, failed or could not be assessed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from core.checks.catalogue import CATALOGUE
from core.checks.model import Status
from core.scan.findings import acceptance_in_force
from core.store import RelationshipRepository

Framework = Literal["cis", "scuba"]
FRAMEWORKS: dict[str, str] = {
    "cis": "CIS Microsoft 365 Foundations Benchmark v5.0.0",
    "scuba": "CISA SCuBA Secure Configuration Baselines",
}


@dataclass
class Control:
    id: str
    status: Literal["passed", "failed", "not_assessed"] = "not_assessed"
    checks: list[dict[str, Any]] = field(default_factory=list)


def control_status(statuses: list[str]) -> Literal["passed", "failed", "not_assessed"]:
    """Failed if any check behind it fails (accepted or not: acceptance is not compliance);
    passed only when every check behind it was assessed and passed."""
    if Status.FAIL.value in statuses:
        return "failed"
    if statuses and all(s == Status.PASS.value for s in statuses):
        return "passed"
    return "not_assessed"


def _control_key(control_id: str) -> tuple[object, ...]:
    return tuple(int(p) if p.isdigit() else p for p in control_id.replace("v", ".v.").split("."))


async def framework_coverage(
    tenant: RelationshipRepository, framework: Framework, now: datetime
) -> dict[str, Any]:
    findings = {f["checkId"]: f for f in await tenant.query_all("c.type = @t", {"@t": "finding"})}
    controls: dict[str, Control] = defaultdict(lambda: Control(""))
    for check in CATALOGUE:
        control_id = getattr(check.metadata, framework)
        if not control_id:
            continue
        control = controls[control_id]
        control.id = control_id
        finding = findings.get(check.id)
        control.checks.append(
            {
                "checkId": check.id,
                "title": check.metadata.title,
                "status": finding["status"] if finding else "not_scanned",
                "accepted": acceptance_in_force(finding, now),
            }
        )
    ordered = sorted(controls.values(), key=lambda c: _control_key(c.id))
    for control in ordered:
        control.status = control_status([c["status"] for c in control.checks])
    counts = {s: sum(1 for c in ordered if c.status == s) for s in ("passed", "failed", "not_assessed")}
    return {
        "framework": framework,
        "title": FRAMEWORKS[framework],
        "counts": counts,
        "controls": [{"id": c.id, "status": c.status, "checks": c.checks} for c in ordered],
    }
