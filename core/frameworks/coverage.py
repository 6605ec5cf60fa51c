"""CIS Microsoft 365 Foundations and CISA SCuBA coverage of one tenant: each mapped control with the
checks behind it, and whether it passed, failed or could not be assessed.

The controls, their titles and how fully the checks cover them come from the framework's mapping
file (`core.frameworks.mappings`). A control covered only in part keeps the status its checks give
it and says so (`coverage: partial` with the note); `partialControls` counts them, so nobody reads a
partial pass as the whole control passing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from core.checks.model import Status
from core.frameworks.mappings import FrameworkKey, mapping
from core.lazy import lazy_module
from core.scan.findings import Finding, acceptance_in_force
from core.store import RelationshipRepository

if TYPE_CHECKING:
    from core.checks import catalogue
else:
    # Every check module: loaded by the first coverage that names a title, not by the API's import.
    catalogue = lazy_module("core.checks.catalogue")

Framework = FrameworkKey
ControlStatus = Literal["passed", "failed", "not_assessed"]


def control_status(statuses: list[str]) -> ControlStatus:
    """Failed if any check behind it fails (accepted or not: acceptance is not compliance);
    passed only when every check behind it was assessed and passed."""
    if Status.FAIL.value in statuses:
        return "failed"
    if statuses and all(s == Status.PASS.value for s in statuses):
        return "passed"
    return "not_assessed"


async def framework_coverage(
    tenant: RelationshipRepository, framework: Framework, now: datetime
) -> dict[str, Any]:
    return coverage_of(await tenant.findings(), framework, now)


def coverage_of(tenant_findings: Iterable[Finding], framework: Framework, now: datetime) -> dict[str, Any]:
    """The framework's scorecard over findings already read."""
    data = mapping(framework)
    findings = {f.check_id: f for f in tenant_findings}
    controls: list[dict[str, Any]] = []
    for control in data.controls:  # in control order already
        checks: list[dict[str, Any]] = []
        for check_id in control.checks:
            finding = findings.get(check_id)
            checks.append(
                {
                    "checkId": check_id,
                    "title": catalogue.get_check(check_id).metadata.title,
                    "status": finding.status if finding else "not_scanned",
                    "accepted": acceptance_in_force(finding, now),
                }
            )
        controls.append(
            {
                "id": control.id,
                "title": control.title,
                "section": control.section,
                "coverage": control.coverage,
                "note": control.note,
                "status": control_status([c["status"] for c in checks]),
                "checks": checks,
            }
        )
    counts = {s: sum(1 for c in controls if c["status"] == s) for s in ("passed", "failed", "not_assessed")}
    return {
        "framework": framework,
        "title": data.title,
        "version": data.version,
        "counts": counts,
        "partialControls": sum(1 for c in controls if c["coverage"] == "partial"),
        "controls": controls,
    }


def coverage_overview(findings: Sequence[Finding], now: datetime) -> list[dict[str, Any]]:
    """Each framework's control counts over a tenant's findings, as the PDF's coverage table and
    the tenant overview show them (one function, so the two cannot disagree)."""
    overview = []
    for framework in ("cis", "scuba"):
        c = coverage_of(findings, framework, now)
        overview.append(
            {
                "framework": framework,
                "title": c["title"],
                "passed": c["counts"]["passed"],
                "failed": c["counts"]["failed"],
                "notAssessed": c["counts"]["not_assessed"],
                "partial": c["partialControls"],
            }
        )
    return overview
